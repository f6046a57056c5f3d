//! Case-file review (案卷评查, issue 20): the reviewers. See docs/review.md.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use domain::review::{EXTERNAL, PoolMember, Reviewer};
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

/// The slot every review visit has: the review panel (评查组).
pub const PANEL: &str = "PCZ";

/// The stratum of every case file in a review frame.
pub const WHOLE_FRAME: &str = "全部";

pub use domain::review::Sampling;

/// The parameters of a review (评查活动).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSpec {
    /// The review's id; plans are `ID/DEPT`.
    pub id: String,
    /// The year whose decided cases form the frames.
    pub year: i32,
    /// The departments reviewed (every department with a decided case when empty).
    pub departments: Vec<String>,
    /// How many files per department.
    pub sampling: Sampling,
    /// Reviewers per file (`k`, at least 2).
    pub reviewers_per_case: u32,
    /// Files per reviewer at most.
    pub cap: Option<u32>,
}

/// One plan per department with its frame: the department's cases decided in
/// the year, each in stratum [`WHOLE_FRAME`], id the case number (spec §2).
/// Every plan's department is [`PANEL`], so each visit has the one panel slot.
pub fn review_frames(
    spec: &ReviewSpec,
    cases: &[domain::enforcement::PenaltyCase],
) -> Vec<(draw::PlanSpec, Vec<draw::FrameRow>)> {
    let mut frames: BTreeMap<&str, Vec<draw::FrameRow>> = BTreeMap::new();
    for department in &spec.departments {
        frames.entry(department.as_str()).or_default();
    }
    for case in cases {
        use chrono::Datelike;
        let decided_in_year = case.decided_on.is_some_and(|d| d.year() == spec.year);
        let wanted = spec.departments.is_empty() || spec.departments.contains(&case.department);
        if decided_in_year && wanted {
            frames
                .entry(case.department.as_str())
                .or_default()
                .push(draw::FrameRow {
                    id: case.id.trim().into(),
                    stratum: WHOLE_FRAME.into(),
                });
        }
    }
    let allocation = match spec.sampling {
        Sampling::PerDepartment(n) => draw::Allocation::Count(n),
        Sampling::RateBp(r) => draw::Allocation::RateBp(r),
    };
    frames
        .into_iter()
        .map(|(department, mut frame)| {
            frame.sort();
            let plan = draw::PlanSpec {
                id: format!("{}/{department}", spec.id),
                department: PANEL.to_owned(),
                strata: vec![draw::StratumRule {
                    stratum: WHOLE_FRAME.to_owned(),
                    allocation,
                }],
            };
            (plan, frame)
        })
        .collect()
}

/// What the draw knows of a file: its department and its officers.
pub struct FileFacts<'a> {
    /// The case's department.
    pub department: &'a str,
    /// The case's 执法人员 certificate numbers.
    pub officers: &'a [String],
}

/// Draws a review in memory (spec §1–§7): the frames of [`review_frames`],
/// then for each drawn file `k` reviewers among those eligible (see
/// [`draw_frames`]).
pub fn draw_review(
    spec: &ReviewSpec,
    cases: &[domain::enforcement::PenaltyCase],
    reviewers: &[Reviewer],
    secret: draw::Secret,
    beacon: &str,
) -> Result<draw::Record, draw::Error> {
    let facts: BTreeMap<&str, FileFacts> = cases
        .iter()
        .map(|c| {
            let facts = FileFacts {
                department: &c.department,
                officers: &c.officers,
            };
            (c.id.trim(), facts)
        })
        .collect();
    let pool: Vec<PoolMember> = reviewers.iter().map(pool_member).collect();
    draw_frames(
        review_frames(spec, cases),
        &pool,
        spec,
        &facts,
        secret,
        beacon,
    )
}

/// Draws frames already built: for each drawn file `k` reviewers of `pool`
/// among those eligible: not of the file's department, not an officer of
/// the case (a reviewer id among its officers), below the cap (applied by
/// the §6 matching).
pub fn draw_frames(
    plans: Vec<(draw::PlanSpec, Vec<draw::FrameRow>)>,
    pool: &[PoolMember],
    spec: &ReviewSpec,
    facts: &BTreeMap<&str, FileFacts>,
    secret: draw::Secret,
    beacon: &str,
) -> Result<draw::Record, draw::Error> {
    let mut sorted: Vec<&PoolMember> = pool.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let input = draw::RoundInput {
        secret,
        beacon: beacon.to_owned(),
        cap: spec.cap,
        plans,
        inspectors: sorted.iter().map(|r| r.id.clone()).collect(),
    };
    let k = spec.reviewers_per_case;
    draw::draw_round(input, |visit, _panel| {
        let case = facts.get(visit.subject.as_str());
        let candidates = sorted
            .iter()
            .enumerate()
            .filter(|(_, reviewer)| {
                case.is_some_and(|case| {
                    (reviewer.unit == EXTERNAL || reviewer.unit != case.department)
                        && !case
                            .officers
                            .iter()
                            .any(|o| o.eq_ignore_ascii_case(&reviewer.id))
                })
            })
            .filter_map(|(index, _)| u32::try_from(index).ok())
            .collect();
        draw::Demand { k, candidates }
    })
}

fn pool_member(reviewer: &Reviewer) -> PoolMember {
    PoolMember {
        id: reviewer.id.clone(),
        unit: reviewer.unit.clone(),
    }
}

pub mod scoring;
mod stored;
pub use stored::{check_drawable, commit, draw, export};

#[cfg(test)]
mod tests;
