//! Case-file review (案卷评查, issue 20): the reviewers. See docs/review.md.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use domain::review::{EXTERNAL, Reviewer};
use files::ImportError;
use storage::{Change, WorkflowStore};

use super::enforcement::{CaseImport, file_name, unknown_department};
use super::hotline::department_lookup;

/// What a reviewer import did (rows, problems, the file's SHA-256).
pub type ReviewerImport = CaseImport;

/// Imports a reviewer file (评查员编号, 姓名, 所属单位, 专业领域, 身份证号):
/// new reviewers and changed rows are written with one ledger entry each, in
/// one transaction. 所属单位 is a department (code or name) or 外聘.
pub async fn import_reviewers<S: WorkflowStore>(
    store: &S,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<ReviewerImport, ImportError> {
    let owned = path.to_owned();
    let (sha256, file) = files::off_async(path, move || {
        let sha256 = super::credit::file_sha256(&owned).map_err(|source| {
            ImportError::Read(files::ReadError::Io {
                path: owned.display().to_string(),
                source,
            })
        })?;
        Ok((sha256, files::review::read_reviewers(&owned)?))
    })
    .await?;
    let mut outcome = file.outcome;
    let departments = department_lookup(&store.departments().await?);
    let stored: BTreeMap<String, Reviewer> = store
        .list::<Reviewer>(None)
        .await?
        .into_iter()
        .map(|reviewer| (reviewer.id.clone(), reviewer))
        .collect();
    let mut changed = Vec::new();
    for line in file.rows {
        let unit = if line.reviewer.unit == EXTERNAL {
            EXTERNAL.to_owned()
        } else if let Some(code) = departments.get(&line.reviewer.unit) {
            code.clone()
        } else {
            outcome.errors.push(unknown_department(
                line.row,
                &line.unit_header,
                &line.reviewer.unit,
                "所属单位（部门编码或“外聘”）",
            ));
            continue;
        };
        let reviewer = Reviewer {
            unit,
            ..line.reviewer
        };
        match stored.get(&reviewer.id) {
            Some(before) if *before == reviewer => outcome.unchanged += 1,
            Some(_) => {
                outcome.updated += 1;
                changed.push(reviewer);
            }
            None => {
                outcome.inserted += 1;
                changed.push(reviewer);
            }
        }
    }
    outcome.errors.sort_by_key(|p| p.row);
    if !changed.is_empty() {
        let detail = format!("{} (SHA-256 {sha256})", file_name(path));
        store
            .put(
                &changed,
                &Change::new(at, actor, "reviewer.imported", detail),
            )
            .await?;
    }
    Ok(CaseImport { outcome, sha256 })
}

/// Every reviewer, by 评查员编号.
pub async fn reviewers<S: WorkflowStore>(store: &S) -> Result<Vec<Reviewer>, storage::StoreError> {
    let mut all = store.list::<Reviewer>(None).await?;
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(all)
}
