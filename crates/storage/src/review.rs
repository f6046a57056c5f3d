//! Storage of case-file reviews (评查活动, issue 20): the review document
//! (drawn like a round: frames, sealed secret and record in `review_*`
//! tables, see [`Drawn`]) and one [`ReviewFile`] per drawn file, which is
//! what later steps (scoring) read through [`ReviewStore`].

use std::future::Future;

use super::StoreError;
use super::workflow::{Document, DrawTables, Drawn, WorkflowStore};
use domain::review::{Review, ReviewFile};
use domain::review_scoring::{ScoreSheet, Standard};

impl Document for Review {
    const NOUN: &'static str = "review";
    const TABLE: &'static str = "reviews";
    const COLUMNS: &'static [&'static str] = &["status"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.status.as_str().to_owned())]
    }
}

impl Drawn for Review {
    const DRAW_TABLES: DrawTables = DrawTables {
        owner: "review",
        frames: "review_frames",
        secrets: "review_secrets",
        records: "review_records",
    };
}

impl Document for ReviewFile {
    const NOUN: &'static str = "review_file";
    const TABLE: &'static str = "review_files";
    const COLUMNS: &'static [&'static str] = &["review", "case_id", "department"];
    fn key(&self) -> String {
        ReviewFile::key_for(&self.review, &self.case)
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.review.clone()),
            Some(self.case.clone()),
            Some(self.department.clone()),
        ]
    }
}

impl Document for Standard {
    const NOUN: &'static str = "review standard";
    const TABLE: &'static str = "review_standards";
    const COLUMNS: &'static [&'static str] = &["sha256"];
    fn key(&self) -> String {
        Standard::key_for(self.version)
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.sha256.clone())]
    }
}

impl Document for ScoreSheet {
    const NOUN: &'static str = "review score";
    const TABLE: &'static str = "review_scores";
    const COLUMNS: &'static [&'static str] = &["review", "case_id", "reviewer"];
    fn key(&self) -> String {
        ScoreSheet::key_for(&self.review, &self.case, &self.reviewer)
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.review.clone()),
            Some(self.case.clone()),
            Some(self.reviewer.clone()),
        ]
    }
}

/// The drawn assignments of a review, for the steps that follow the draw.
pub trait ReviewStore: WorkflowStore {
    /// Per drawn file of `review`, in case-number order: the file with its
    /// `k` reviewers in slot order (empty when unstaffed).
    fn review_assignments(
        &self,
        review: &str,
    ) -> impl Future<Output = Result<Vec<ReviewFile>, StoreError>> + Send {
        async move {
            let mut files = self.list::<ReviewFile>(Some(("review", review))).await?;
            files.sort_by(|a, b| a.case.cmp(&b.case));
            Ok(files)
        }
    }

    /// The eligible reviewers of a drawn file not on its panel, in the §6
    /// order (`None` when the file was not drawn in `review`).
    fn review_alternates(
        &self,
        review: &str,
        case: &str,
    ) -> impl Future<Output = Result<Option<Vec<String>>, StoreError>> + Send {
        async move {
            let key = ReviewFile::key_for(review, case.trim());
            Ok(self.get::<ReviewFile>(&key).await?.map(|f| f.alternates))
        }
    }
}

impl<S: WorkflowStore> ReviewStore for S {}
