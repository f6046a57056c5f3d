//! Scoring of a drawn review (issue 20): the standard's versions, the score
//! files, the further reviewer of a 待复核 file, the report (通报) and the
//! rectification notices of 不合格 files. The arithmetic is
//! [`domain::review_scoring`]'s. See docs/review.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use super::super::enforcement::{CaseImport, file_name};
use crate::supervision::{self, NewNotice};
use crate::{Refusal, Result};
use domain::inspection::RoundStatus;
use domain::rectification::{Rectification, SupervisedKind, SupervisedObject};
use domain::review::{Escalation, Review, ReviewFile};
use domain::review_scoring::{
    FileResult, FileStatus, Grade, Mark, Part, ScoreSheet, Scored, Standard, Tenths, Thresholds,
    file_result, format_tenths, reviewer_score,
};
use files::{ImportError, Problem};
use storage::{Change, ReviewStore, WorkflowStore};

fn read_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Read(files::ReadError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// What a standard import did: the rows, the version now current and
/// whether the file made a new one.
#[derive(Debug)]
pub struct StandardImport {
    /// Rows, problems and the file's SHA-256.
    pub import: CaseImport,
    /// The current version after the import (`None`: none stored yet).
    pub version: Option<u32>,
    /// Whether this file made a new version.
    pub created: bool,
}

/// Every stored version of the standard, oldest first.
pub async fn standards<S: WorkflowStore>(store: &S) -> Result<Vec<Standard>> {
    let mut all = store.list::<Standard>(None).await?;
    all.sort_by_key(|s| s.version);
    Ok(all)
}

/// The current (latest) standard.
pub async fn current_standard<S: WorkflowStore>(store: &S) -> Result<Option<Standard>> {
    Ok(standards(store).await?.pop())
}

/// Imports a standard file (项目编码, 项目名称, 部分, 类别, 扣分, 扣分上限,
/// 部分总分). A file with any rejected row stores nothing (a partial standard
/// would score wrongly); a file equal in content to the current version
/// changes nothing; otherwise it becomes the next version (ledger
/// `review_standard.imported`).
pub async fn import_standard<S: WorkflowStore>(
    store: &S,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> std::result::Result<StandardImport, ImportError> {
    let owned = path.to_owned();
    let (sha256, file) = files::off_async(path, move || {
        let sha256 =
            crate::credit::file_sha256(&owned).map_err(|source| read_error(&owned, source))?;
        Ok((sha256, files::review_scoring::read_standard(&owned)?))
    })
    .await?;
    let mut outcome = file.outcome;
    let current = store
        .list::<Standard>(None)
        .await?
        .into_iter()
        .max_by_key(|s| s.version);
    let version = current.as_ref().map(|s| s.version);
    if !outcome.errors.is_empty() || file.items.is_empty() {
        return Ok(StandardImport {
            import: CaseImport { outcome, sha256 },
            version,
            created: false,
        });
    }
    let standard = Standard {
        version: version.unwrap_or(0) + 1,
        sha256: sha256.clone(),
        form_total: file
            .totals
            .get(&Part::Form)
            .copied()
            .unwrap_or(Part::Form.default_total()),
        content_total: file
            .totals
            .get(&Part::Content)
            .copied()
            .unwrap_or(Part::Content.default_total()),
        items: file.items,
        imported_at: at,
    };
    let rows = standard.items.len() as u64;
    if current.as_ref().is_some_and(|c| c.same_content(&standard)) {
        outcome.unchanged += rows;
        return Ok(StandardImport {
            import: CaseImport { outcome, sha256 },
            version,
            created: false,
        });
    }
    outcome.inserted += rows;
    let detail = format!(
        "version {} from {} (SHA-256 {sha256})",
        standard.version,
        file_name(path)
    );
    store
        .put(
            std::slice::from_ref(&standard),
            &Change::new(at, actor, "review_standard.imported", detail),
        )
        .await?;
    Ok(StandardImport {
        import: CaseImport { outcome, sha256 },
        version: Some(standard.version),
        created: true,
    })
}

/// Every score sheet of `review`.
pub async fn score_sheets<S: WorkflowStore>(store: &S, review: &str) -> Result<Vec<ScoreSheet>> {
    let mut sheets = store.list::<ScoreSheet>(Some(("review", review))).await?;
    sheets.sort_by(|a, b| (&a.case, &a.reviewer).cmp(&(&b.case, &b.reviewer)));
    Ok(sheets)
}

/// The standard a review is scored against: the version of its first
/// stored sheet, else the current one (fixed when scoring starts).
pub async fn review_standard<S: WorkflowStore>(store: &S, review: &str) -> Result<Standard> {
    let sheets = score_sheets(store, review).await?;
    let version = sheets.first().map(|sheet| sheet.standard);
    let all = standards(store).await?;
    let found = match version {
        Some(v) => all.into_iter().find(|s| s.version == v),
        None => all.into_iter().last(),
    };
    found.ok_or_else(|| {
        Refusal::new(
            "no_standard",
            "no review standard is imported: run `jianguan review standard import FILE`",
            "尚未导入评查标准",
        )
        .into()
    })
}

async fn drawn_review<S: WorkflowStore>(store: &S, id: &str) -> Result<Review> {
    let review = crate::existing::<S, Review>(store, id).await?;
    if review.status != RoundStatus::Drawn {
        return Err(Refusal::new(
            "review_status",
            format!("review {id} is not drawn yet"),
            format!("评查活动 {id} 尚未抽取"),
        )
        .into());
    }
    Ok(review)
}

/// The reviewers who may score `file`: its panel and its further reviewer.
pub fn assigned(file: &ReviewFile) -> impl Iterator<Item = &str> {
    file.reviewers
        .iter()
        .map(String::as_str)
        .chain(file.escalated.iter().map(|e| e.reviewer.as_str()))
}

/// What a score import did.
#[derive(Debug)]
pub struct ScoreImport {
    /// Rows (inserted/updated/unchanged count sheets), problems, SHA-256.
    pub import: CaseImport,
    /// Files that went to a further reviewer: (case, reviewer).
    pub escalated: Vec<(String, String)>,
}

fn problem(row: usize, column: &str, value: &str, reason: String, reason_zh: String) -> Problem {
    Problem {
        row,
        column: column.to_owned(),
        value: value.chars().take(100).collect(),
        reason,
        reason_zh,
    }
}

/// One reviewer's sheet for one file, from a validated set of marks.
pub fn sheet(
    review: &str,
    case: &str,
    reviewer: &str,
    standard: &Standard,
    mut marks: Vec<Mark>,
    note: &str,
    at: DateTime<FixedOffset>,
) -> ScoreSheet {
    marks.retain(|m| m.count > 0);
    marks.sort_by(|a, b| a.item.cmp(&b.item));
    let (score, veto) = reviewer_score(standard, &marks);
    ScoreSheet {
        review: review.to_owned(),
        case: case.to_owned(),
        reviewer: reviewer.to_owned(),
        standard: standard.version,
        marks,
        note: note.trim().to_owned(),
        score,
        veto,
        submitted_at: at,
    }
}

fn same_sheet(a: &ScoreSheet, b: &ScoreSheet) -> bool {
    a.standard == b.standard && a.marks == b.marks && a.note == b.note
}

/// Stores `sheets` (a sheet equal to the stored one is left as it is; a
/// later one replaces the reviewer's earlier sheet for that file) and sends
/// every file made 待复核 to its next reviewer. Returns (new, replaced,
/// unchanged, escalated).
pub async fn save_sheets<S: WorkflowStore>(
    store: &S,
    review: &str,
    sheets: Vec<ScoreSheet>,
    detail: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<(u64, u64, u64, Vec<(String, String)>)> {
    let stored: BTreeMap<String, ScoreSheet> = score_sheets(store, review)
        .await?
        .into_iter()
        .map(|s| (ScoreSheet::key_for(&s.review, &s.case, &s.reviewer), s))
        .collect();
    let (mut inserted, mut updated, mut unchanged) = (0, 0, 0);
    let mut changed = Vec::new();
    for sheet in sheets {
        match stored.get(&ScoreSheet::key_for(
            &sheet.review,
            &sheet.case,
            &sheet.reviewer,
        )) {
            Some(before) if same_sheet(before, &sheet) => unchanged += 1,
            Some(_) => {
                updated += 1;
                changed.push(sheet);
            }
            None => {
                inserted += 1;
                changed.push(sheet);
            }
        }
    }
    if !changed.is_empty() {
        store
            .put(
                &changed,
                &Change::new(at, actor, "review_score.imported", detail),
            )
            .await?;
    }
    let escalated = escalate(store, review, actor, at).await?;
    Ok((inserted, updated, unchanged, escalated))
}

/// One reviewer's rows for one file: marks by item, notes of the rows
/// without an item, whether a row was rejected.
type Group = (BTreeMap<String, Mark>, Vec<String>, bool);

/// Imports a score file for `review` (案件编号, 评查员编号, 项目编码, 次数,
/// 说明). A row is refused when the file was not drawn, the reviewer is not
/// assigned to it, or the item is not in the review's standard; a
/// reviewer's rows for a file make one sheet, saved only when none of them
/// is rejected (here or by the reader: a partial sheet would score too high). Files made 待复核 go to their next reviewer.
pub async fn import_scores<S: WorkflowStore>(
    store: &S,
    review: &str,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> std::result::Result<ScoreImport, ScoringError> {
    let review = drawn_review(store, review).await?;
    let standard = review_standard(store, &review.id).await?;
    let owned = path.to_owned();
    let (sha256, file) = files::off_async(path, move || {
        let sha256 =
            crate::credit::file_sha256(&owned).map_err(|source| read_error(&owned, source))?;
        Ok((sha256, files::review_scoring::read_scores(&owned)?))
    })
    .await?;
    let mut outcome = file.outcome;
    let files: BTreeMap<String, ReviewFile> = store
        .review_assignments(&review.id)
        .await
        .map_err(crate::WorkflowError::from)?
        .into_iter()
        .map(|f| (f.case.clone(), f))
        .collect();
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for key in file.rejected {
        groups.entry(key).or_default().2 = true;
    }
    for line in file.rows {
        let key = (line.case.clone(), line.reviewer.clone());
        let mut refusal = None;
        match files.get(&line.case) {
            None => {
                refusal = Some(problem(
                    line.row,
                    "案件编号",
                    &line.case,
                    format!("case {} was not drawn in review {}", line.case, review.id),
                    format!("案卷 {} 不在评查活动 {} 的抽取结果中", line.case, review.id),
                ))
            }
            Some(f) if !assigned(f).any(|r| r == line.reviewer) => {
                refusal = Some(problem(
                    line.row,
                    &line.headers.0,
                    &line.reviewer,
                    format!(
                        "reviewer {} is not assigned to case {}",
                        line.reviewer, line.case
                    ),
                    format!("评查员 {} 未被分配评查案卷 {}", line.reviewer, line.case),
                ))
            }
            Some(_) => {}
        }
        if refusal.is_none() && !line.item.is_empty() && standard.item(&line.item).is_none() {
            refusal = Some(problem(
                line.row,
                &line.headers.1,
                &line.item,
                format!(
                    "item {} is not in version {} of the standard",
                    line.item, standard.version
                ),
                format!(
                    "评查标准（第 {} 版）中没有项目 {}",
                    standard.version, line.item
                ),
            ));
        }
        let group = groups.entry(key).or_default();
        if let Some(p) = refusal {
            outcome.errors.push(p);
            group.2 = true;
            continue;
        }
        if line.item.is_empty() {
            if !line.note.is_empty() {
                group.1.push(line.note);
            }
            continue;
        }
        let mark = group.0.entry(line.item.clone()).or_insert(Mark {
            item: line.item,
            count: 0,
            note: String::new(),
        });
        mark.count = mark.count.saturating_add(line.count);
        if !line.note.is_empty() {
            if !mark.note.is_empty() {
                mark.note.push('；');
            }
            mark.note.push_str(&line.note);
        }
    }
    let mut sheets = Vec::new();
    for ((case, reviewer), (marks, notes, refused)) in groups {
        if refused {
            continue;
        }
        sheets.push(sheet(
            &review.id,
            &case,
            &reviewer,
            &standard,
            marks.into_values().collect(),
            &notes.join("；"),
            at,
        ));
    }
    outcome.errors.sort_by_key(|p| p.row);
    let detail = format!("{} {} (SHA-256 {sha256})", review.id, file_name(path));
    let (inserted, updated, unchanged, escalated) =
        save_sheets(store, &review.id, sheets, &detail, actor, at).await?;
    outcome.inserted = inserted;
    outcome.updated = updated;
    outcome.unchanged = unchanged;
    Ok(ScoreImport {
        import: CaseImport { outcome, sha256 },
        escalated,
    })
}

/// Why a score import failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    /// The review or its standard refuses it.
    #[error(transparent)]
    Workflow(#[from] crate::WorkflowError),
    /// The file cannot be read or its headers are wrong.
    #[error(transparent)]
    File(#[from] ImportError),
}

fn result_of(file: &ReviewFile, sheets: &BTreeMap<&str, &ScoreSheet>) -> FileResult {
    let scored = |reviewer: &str| {
        sheets.get(reviewer).map(|s| Scored {
            score: s.score,
            veto: s.veto,
        })
    };
    let panel: Vec<Option<Scored>> = file.reviewers.iter().map(|r| scored(r)).collect();
    let further = file.escalated.first().and_then(|e| scored(&e.reviewer));
    file_result(&panel, further)
}

/// Sends every 待复核 file of `review` without a further reviewer to the
/// first of its alternates (§6 order) still below the review's cap, counting
/// the files each reviewer holds (panel and further). Ledger
/// `review_file.escalated`; returns (case, reviewer) per file sent.
pub async fn escalate<S: WorkflowStore>(
    store: &S,
    review: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<Vec<(String, String)>> {
    let stored = crate::existing::<S, Review>(store, review).await?;
    let files = store.review_assignments(review).await?;
    let sheets = score_sheets(store, review).await?;
    let mut held: BTreeMap<String, u32> = BTreeMap::new();
    for f in &files {
        for r in assigned(f) {
            *held.entry(r.to_owned()).or_default() += 1;
        }
    }
    let mut changed = Vec::new();
    for file in files {
        if !file.escalated.is_empty() {
            continue;
        }
        let by_reviewer: BTreeMap<&str, &ScoreSheet> = sheets
            .iter()
            .filter(|s| s.case == file.case)
            .map(|s| (s.reviewer.as_str(), s))
            .collect();
        if result_of(&file, &by_reviewer).status != FileStatus::Disputed {
            continue;
        }
        let next = file.alternates.iter().enumerate().find(|(_, r)| {
            stored
                .cap
                .is_none_or(|cap| held.get(r.as_str()).copied().unwrap_or(0) < cap)
        });
        let Some((position, reviewer)) = next else {
            continue;
        };
        *held.entry(reviewer.clone()).or_default() += 1;
        let mut file = file.clone();
        file.escalated.push(Escalation {
            reviewer: reviewer.clone(),
            position,
            at,
        });
        changed.push(file);
    }
    let sent: Vec<(String, String)> = changed
        .iter()
        .filter_map(|f| {
            f.escalated
                .first()
                .map(|e| (f.case.clone(), e.reviewer.clone()))
        })
        .collect();
    if !changed.is_empty() {
        let detail = sent
            .iter()
            .map(|(case, reviewer)| format!("{case}→{reviewer}"))
            .collect::<Vec<_>>()
            .join(", ");
        store
            .put(
                &changed,
                &Change::new(
                    at,
                    actor,
                    "review_file.escalated",
                    format!("{review}: {detail}"),
                ),
            )
            .await?;
    }
    Ok(sent)
}

/// One file's line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    /// 案件编号.
    pub case: String,
    /// The case's department (code).
    pub department: String,
    /// The final score in tenths (已评定 only).
    pub score: Option<Tenths>,
    /// The grade (已评定 only).
    pub grade: Option<Grade>,
    /// 待评分, 待复核 or 已评定.
    pub status: FileStatus,
    /// A counted reviewer marked a 否决项.
    pub veto: bool,
}

/// One department's line of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentGrades {
    /// Department code.
    pub code: String,
    /// Drawn files.
    pub files: u64,
    /// Mean final score in tenths, half up (`None`: no file final yet).
    pub average: Option<Tenths>,
    /// Files per grade, in [`Grade::ALL`] order.
    pub grades: [u64; 4],
    /// Sum of the final scores (tenths) and their count, for merging.
    pub scored: (u64, u64),
}

impl DepartmentGrades {
    /// Files graded `grade`.
    pub fn count(&self, grade: Grade) -> u64 {
        Grade::ALL
            .iter()
            .position(|g| *g == grade)
            .map_or(0, |i| self.grades[i])
    }

    fn add(&mut self, line: &FileLine) {
        self.files += 1;
        if let (Some(score), Some(grade)) = (line.score, line.grade) {
            self.scored.0 += u64::from(score);
            self.scored.1 += 1;
            if let Some(i) = Grade::ALL.iter().position(|g| *g == grade) {
                self.grades[i] += 1;
            }
        }
        self.average = average(self.scored);
    }

    /// Adds `other`'s files and scores to these.
    pub fn merge(&mut self, other: &DepartmentGrades) {
        self.files += other.files;
        self.scored.0 += other.scored.0;
        self.scored.1 += other.scored.1;
        for (mine, theirs) in self.grades.iter_mut().zip(other.grades) {
            *mine += theirs;
        }
        self.average = average(self.scored);
    }
}

fn average((sum, count): (u64, u64)) -> Option<Tenths> {
    if count == 0 {
        return None;
    }
    Tenths::try_from((2 * sum + count) / (2 * count)).ok()
}

/// A review's results: every drawn file (by case number) and every
/// department (by code).
#[derive(Debug, Clone)]
pub struct ReviewReport {
    /// The review.
    pub review: Review,
    /// The standard version scored against (`None`: no standard yet).
    pub standard: Option<u32>,
    /// The files.
    pub files: Vec<FileLine>,
    /// The departments.
    pub departments: Vec<DepartmentGrades>,
}

fn score_json(score: Option<Tenths>) -> serde_json::Value {
    // Output only: the tenths are exact; the JSON number is their decimal.
    score.map_or(serde_json::Value::Null, |s| {
        serde_json::json!(f64::from(s) / 10.0)
    })
}

impl ReviewReport {
    /// The report as `{"files": [...], "departments": [...]}` (docs/review.md).
    pub fn to_json(&self) -> serde_json::Value {
        let files: Vec<_> = self
            .files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "case": f.case,
                    "department": f.department,
                    "score": score_json(f.score),
                    "grade": f.grade.map(Grade::as_str),
                    "status": f.status.as_str(),
                })
            })
            .collect();
        let departments: Vec<_> = self
            .departments
            .iter()
            .map(|d| {
                let mut line = serde_json::Map::new();
                line.insert("code".into(), d.code.clone().into());
                line.insert("files".into(), d.files.into());
                line.insert("average".into(), score_json(d.average));
                for grade in Grade::ALL {
                    line.insert(grade.as_str().into(), d.count(grade).into());
                }
                serde_json::Value::Object(line)
            })
            .collect();
        serde_json::json!({ "files": files, "departments": departments })
    }
}

/// The results of a drawn review with `thresholds`.
pub async fn report<S: WorkflowStore>(
    store: &S,
    id: &str,
    thresholds: &Thresholds,
) -> Result<ReviewReport> {
    let review = drawn_review(store, id).await?;
    let files = store.review_assignments(id).await?;
    let sheets = score_sheets(store, id).await?;
    let standard = sheets.first().map(|s| s.standard);
    let mut by_department: BTreeMap<String, DepartmentGrades> = review
        .departments
        .iter()
        .map(|d| {
            (
                d.clone(),
                DepartmentGrades {
                    code: d.clone(),
                    ..DepartmentGrades::default()
                },
            )
        })
        .collect();
    let mut lines = Vec::new();
    for file in &files {
        let by_reviewer: BTreeMap<&str, &ScoreSheet> = sheets
            .iter()
            .filter(|s| s.case == file.case)
            .map(|s| (s.reviewer.as_str(), s))
            .collect();
        let result = result_of(file, &by_reviewer);
        let line = FileLine {
            case: file.case.clone(),
            department: file.department.clone(),
            score: result.score,
            grade: result.score.map(|s| thresholds.grade(s, result.veto)),
            status: result.status,
            veto: result.veto,
        };
        by_department
            .entry(file.department.clone())
            .or_insert_with(|| DepartmentGrades {
                code: file.department.clone(),
                ..DepartmentGrades::default()
            })
            .add(&line);
        lines.push(line);
    }
    lines.sort_by(|a, b| a.case.cmp(&b.case));
    Ok(ReviewReport {
        review,
        standard,
        files: lines,
        departments: by_department.into_values().collect(),
    })
}

/// Per department, the grades of every drawn review of `year` together
/// (files, mean score, files per grade), by code: what the annual report
/// (行政执法统计年报) shows.
pub async fn grades_by_department<S: WorkflowStore>(
    store: &S,
    year: i32,
    thresholds: &Thresholds,
) -> Result<Vec<DepartmentGrades>> {
    let mut merged: BTreeMap<String, DepartmentGrades> = BTreeMap::new();
    for review in store.list::<Review>(None).await? {
        if review.year != year || review.status != RoundStatus::Drawn {
            continue;
        }
        for line in report(store, &review.id, thresholds).await?.departments {
            merged
                .entry(line.code.clone())
                .or_insert_with(|| DepartmentGrades {
                    code: line.code.clone(),
                    ..DepartmentGrades::default()
                })
                .merge(&line);
        }
    }
    Ok(merged.into_values().collect())
}

/// The subject of a review file's notice: `review_file:REVIEW/CASE`.
pub fn notice_object(review: &str, case: &str) -> SupervisedObject {
    SupervisedObject {
        kind: SupervisedKind::ReviewFile,
        id: ReviewFile::key_for(review, case),
    }
}

/// Raises a rectification notice to the department of every 不合格 file of
/// `report` that has none yet (a notice whose subject is the file, in any
/// status, counts): re-running raises nothing twice. Returns the new notices.
pub async fn raise_notices<S: WorkflowStore>(
    store: &S,
    calendar: &workcal::Calendar,
    report: &ReviewReport,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Vec<Rectification>> {
    let existing: BTreeSet<String> = store
        .list::<Rectification>(None)
        .await?
        .into_iter()
        .map(|r| r.subject)
        .collect();
    let mut raised = Vec::new();
    for file in &report.files {
        if file.grade != Some(Grade::Fail) {
            continue;
        }
        let object = notice_object(&report.review.id, &file.case);
        if existing.contains(&object.to_string()) {
            continue;
        }
        let score = file.score.map(format_tenths).unwrap_or_default();
        let finding = if file.veto {
            format!(
                "评查活动 {} 中案卷 {} 存在否决项，评定为不合格（得分 {score}）",
                report.review.id, file.case
            )
        } else {
            format!(
                "评查活动 {} 中案卷 {} 得分 {score}，评定为不合格",
                report.review.id, file.case
            )
        };
        let notice = NewNotice {
            object,
            department: Some(file.department.clone()),
            finding,
            requirement: "对照评查意见逐项整改该案卷存在的问题，并在期限内反馈整改情况".into(),
        };
        raised.push(supervision::issue(store, calendar, notice, at, actor).await?);
    }
    Ok(raised)
}

/// A drawn file of `review` and its reviewers' sheets, panel first, then
/// the further reviewer.
pub async fn file_sheets<S: WorkflowStore>(
    store: &S,
    review: &str,
    case: &str,
) -> Result<(ReviewFile, Vec<ScoreSheet>)> {
    let file = crate::existing::<S, ReviewFile>(store, &ReviewFile::key_for(review, case)).await?;
    let sheets = score_sheets(store, review).await?;
    let order: Vec<&str> = assigned(&file).collect();
    let mut mine: Vec<ScoreSheet> = sheets.into_iter().filter(|s| s.case == case).collect();
    mine.sort_by_key(|s| order.iter().position(|r| *r == s.reviewer));
    Ok((file, mine))
}

/// Writes `report` as the watermarked 通报: a sheet of departments (code,
/// name, files, average, files per grade) and a sheet of files (case,
/// department code and name, score, grade, status). `names` maps department
/// codes to names.
pub fn report_xlsx(
    report: &ReviewReport,
    names: &BTreeMap<String, String>,
    watermark: &files::watermark::Watermark,
    path: &Path,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    let name_of = |code: &str| names.get(code).cloned().unwrap_or_default();
    let score_text = |s: Option<Tenths>| s.map_or_else(|| "—".to_owned(), format_tenths);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("部门汇总")?;
    sheet.write_string(
        0,
        0,
        format!(
            "{} 案卷评查通报（{} 年度案卷）",
            report.review.id, report.review.year
        ),
    )?;
    let headers = [
        "部门代码",
        "部门",
        "抽查案卷",
        "平均分",
        "优秀",
        "良好",
        "合格",
        "不合格",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(2, col as u16, *header)?;
    }
    for (index, line) in report.departments.iter().enumerate() {
        let row = 3 + index as u32;
        sheet.write_string(row, 0, &line.code)?;
        sheet.write_string(row, 1, name_of(&line.code))?;
        sheet.write_number(row, 2, line.files as f64)?;
        sheet.write_string(row, 3, score_text(line.average))?;
        for (offset, grade) in Grade::ALL.iter().enumerate() {
            sheet.write_number(row, 4 + offset as u16, line.count(*grade) as f64)?;
        }
    }
    sheet.set_column_width(1, 24)?;
    let sheet = workbook.add_worksheet();
    sheet.set_name("案卷评分")?;
    let headers = ["案件编号", "部门代码", "部门", "得分", "等次", "状态"];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header)?;
    }
    for (index, line) in report.files.iter().enumerate() {
        let row = 1 + index as u32;
        sheet.write_string(row, 0, &line.case)?;
        sheet.write_string(row, 1, &line.department)?;
        sheet.write_string(row, 2, name_of(&line.department))?;
        sheet.write_string(row, 3, score_text(line.score))?;
        sheet.write_string(row, 4, line.grade.map_or("—", Grade::as_str))?;
        sheet.write_string(row, 5, line.status.as_str())?;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(2, 24)?;
    watermark.save(&mut workbook, path)
}

/// Department names by code, for reports.
pub async fn department_names<S: WorkflowStore>(store: &S) -> Result<BTreeMap<String, String>> {
    Ok(store
        .departments()
        .await?
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect())
}
