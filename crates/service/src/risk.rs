//! Credit-risk classification of the whole directory ([`classify`]), each
//! entity's explanation ([`explain`]), and the personal credit score with its
//! access log ([`personal_score`]).
//!
//! A run reads everything it needs in a few bulk queries (the directory, the
//! annual reports of the year due, the credit entries of the directory's
//! entities, the published results, the complaints), computes every entity in
//! memory with integer arithmetic, and writes the classes, the explanations
//! and one ledger document in one transaction.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use super::{Refusal, Result, WorkflowError, refuse};
use domain::credit::{CreditEntry, ListType};
use domain::entity::CreditClass;
use domain::idcard::IdCardNo;
use domain::inspection::ResultCategory;
use domain::personal_score::{PersonalScore, ScoreModel};
use domain::risk::{
    Assessment, ClassCounts, ClassificationRun, IndicatorLine, RUN_KIND, ReportState, RiskFacts,
    RiskModel, StoredExplanation, Thresholds, full_months,
};
use storage::credit::AccessLog;
use storage::credit::CreditStore;
use storage::risk::{ClassificationWrite, RiskRow, RiskStore};
use storage::{Change, StoreError};

/// The ledger action of a classification run.
pub const CLASSIFIED: &str = "credit.classified";

/// Classifies every entity registered on or before `as_of` with `model`,
/// writes the classes and explanations, and records the run on the ledger.
pub async fn classify<S: RiskStore + CreditStore>(
    store: &S,
    model: &RiskModel,
    as_of: NaiveDate,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<ClassificationRun> {
    model.check().map_err(model_invalid)?;
    let candidates = store.frame_candidates().await?;
    let index_of = |uscc: &str| {
        candidates
            .binary_search_by(|c| c.uscc.as_str().cmp(uscc))
            .ok()
    };
    let mut facts: Vec<RiskFacts> = vec![RiskFacts::default(); candidates.len()];

    let due_year = ReportState::due_year(as_of);
    let mut filed: Vec<Option<NaiveDate>> = vec![None; candidates.len()];
    for (uscc, filed_on) in store.annual_reports_of_year(due_year).await? {
        if let Some(index) = index_of(&uscc) {
            filed[index] = Some(filed_on);
        }
    }
    for (index, candidate) in candidates.iter().enumerate() {
        let f = &mut facts[index];
        f.age_months = full_months(candidate.registered_on, as_of);
        f.annual_report = ReportState::of(candidate.registered_on, due_year, filed[index], as_of);
        f.report_year = (f.annual_report != ReportState::NotDue).then_some(due_year);
    }
    drop(filed);

    let penalties_from = RiskModel::window_start(as_of, model.penalties.months);
    let usccs = candidates.iter().map(|c| c.uscc.clone()).collect();
    for entry in store.credit_entries_of(usccs).await? {
        let Some(index) = index_of(entry.subject.as_str()) else {
            continue;
        };
        let f = &mut facts[index];
        match entry.list_type {
            ListType::Abnormal => f.abnormal |= entry.counts_on(as_of),
            ListType::Blacklist => f.blacklisted |= entry.counts_on(as_of),
            ListType::Redlist => f.redlisted |= entry.counts_on(as_of),
            ListType::Penalty if penalty_counts(&entry, penalties_from, as_of) => f.penalties += 1,
            _ => {}
        }
    }

    let results = store.published_results().await?;
    let corrected: HashSet<&str> = results
        .iter()
        .filter_map(|r| r.corrects.as_deref())
        .collect();
    let results_from = RiskModel::window_start(as_of, model.inspections.months);
    for result in &results {
        if corrected.contains(result.id.as_str())
            || !(results_from..=as_of).contains(&result.check_end)
        {
            continue;
        }
        let (Some(index), Ok(category)) = (
            index_of(&result.entity),
            ResultCategory::parse(&result.category),
        ) else {
            continue;
        };
        if category.problem_found() {
            facts[index].problems_found += 1;
        } else if category == ResultCategory::NoProblem {
            facts[index].clean_results += 1;
        }
    }
    drop(results);

    let complaints_from = RiskModel::window_start(as_of, model.complaints.months);
    for (entity, inspected_on) in store.complaints().await? {
        if let Some(index) =
            index_of(&entity).filter(|_| (complaints_from..=as_of).contains(&inspected_on))
        {
            facts[index].complaints += 1;
        }
    }

    let id = run_id(store, at).await?;
    let mut counts = ClassCounts::default();
    let mut rows = Vec::with_capacity(candidates.len());
    let (mut skipped, mut before, mut kept) = (0, 0, 0);
    for (candidate, facts) in candidates.iter().zip(&facts) {
        before += u64::from(candidate.credit_class.is_some());
        if candidate.registered_on > as_of {
            skipped += 1;
            kept += u64::from(candidate.credit_class.is_some());
            continue;
        }
        let assessment = model.assess(facts);
        counts.add(assessment.class);
        let explanation = StoredExplanation {
            run: id.clone(),
            facts: *facts,
        };
        rows.push(RiskRow {
            uscc: candidate.uscc.clone(),
            class: assessment.class,
            score: assessment.score,
            classified_on: as_of,
            explanation: serde_json::to_string(&explanation).map_err(|e| {
                refuse(
                    "explanation_unwritable",
                    e.to_string(),
                    "分类说明无法写出，已记录",
                )
            })?,
        });
    }
    let run = ClassificationRun {
        id,
        kind: RUN_KIND.to_owned(),
        source: model.name.clone(),
        sha256: model.digest(),
        finished_at: super::now().to_rfc3339(),
        rows: candidates.len() as u64,
        changed: 0,
        rejected: 0,
        before,
        after: kept + counts.total(),
        as_of,
        model: model.clone(),
        counts,
        skipped,
        actor: actor.to_owned(),
    };
    drop(candidates);
    let detail = format!(
        "as of {as_of}; model {} sha256 {}; A {} B {} C {} D {}",
        run.source, run.sha256, counts.a, counts.b, counts.c, counts.d
    );
    let change = Change::new(at, actor, CLASSIFIED, detail);
    let changed = store
        .store_classification(ClassificationWrite {
            rows,
            run: run.clone(),
            change,
        })
        .await?;
    Ok(ClassificationRun { changed, ..run })
}

/// A run id not yet used: `classify-` and the time stamp (so ids sort by time).
async fn run_id<S: RiskStore>(store: &S, at: DateTime<FixedOffset>) -> Result<String> {
    let stamp = format!("{RUN_KIND}-{}", at.format("%Y%m%dT%H%M%S%3f"));
    let mut id = stamp.clone();
    let mut n = 1;
    while store.get::<ClassificationRun>(&id).await?.is_some() {
        n += 1;
        id = format!("{stamp}-{n}");
    }
    Ok(id)
}

/// Whether a penalty was decided in `from..=as_of` and not revoked by `as_of`.
pub fn penalty_counts(entry: &CreditEntry, from: NaiveDate, as_of: NaiveDate) -> bool {
    (from..=as_of).contains(&entry.finding_date())
        && entry.removed_on.is_none_or(|removed| removed > as_of)
}

/// An entity's class, explained indicator by indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// 统一社会信用代码.
    pub uscc: String,
    /// Class.
    pub class: CreditClass,
    /// Score (the sum of the points).
    pub score: i64,
    /// As-of date of the run.
    pub classified_on: NaiveDate,
    /// The run.
    pub run: String,
    /// The model's name.
    pub model_name: String,
    /// The model's SHA-256.
    pub model_sha256: String,
    /// The class thresholds.
    pub thresholds: Thresholds,
    /// Every indicator: value and points.
    pub indicators: Vec<IndicatorLine>,
}

impl Explanation {
    /// The range of scores of each class, in words, A first.
    pub fn class_ranges(&self) -> Vec<(CreditClass, String)> {
        CreditClass::ALL
            .iter()
            .map(|&class| (class, self.thresholds.describe(class)))
            .collect()
    }
}

/// The stored class of `uscc` with its explanation (`None`: not classified).
pub async fn explain<S: RiskStore>(store: &S, uscc: &str) -> Result<Option<Explanation>> {
    let Some(row) = store.entity_risk(uscc.trim()).await? else {
        return Ok(None);
    };
    let corrupt = |reason: String| {
        WorkflowError::Store(StoreError::Corrupt {
            table: "entity_risk",
            key: row.uscc.clone(),
            reason,
        })
    };
    let stored: StoredExplanation =
        serde_json::from_str(&row.explanation).map_err(|e| corrupt(e.to_string()))?;
    let run = store
        .get::<ClassificationRun>(&stored.run)
        .await?
        .ok_or_else(|| corrupt(format!("its run {} is missing", stored.run)))?;
    let Assessment {
        score,
        class,
        lines,
    } = run.model.assess(&stored.facts);
    if (score, class) != (row.score, row.class) {
        return Err(corrupt(format!(
            "stored {} ({}) but its facts give {class} ({score})",
            row.class, row.score
        )));
    }
    Ok(Some(Explanation {
        uscc: row.uscc,
        class,
        score,
        classified_on: row.classified_on,
        run: run.id,
        model_name: run.source,
        model_sha256: run.sha256,
        thresholds: run.model.thresholds,
        indicators: lines,
    }))
}

/// What reading a person's credit data is recorded as in the access log.
pub const SCORE_ACCESS: &str = "score";

/// A person's score as shown: the id masked, the score explained rule by rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreReport {
    /// The 身份证号码, masked.
    pub person: String,
    /// The date scored on.
    pub as_of: NaiveDate,
    /// The model's name.
    pub model_name: String,
    /// The model's SHA-256.
    pub model_sha256: String,
    /// Credit entries of the person read.
    pub entries: usize,
    /// The score and its explanation.
    pub score: PersonalScore,
}

/// Scores a person, after recording the access (who, when, whom, why) in the
/// access log. The purpose is required; the id must be a valid 身份证号码.
pub async fn personal_score<S: RiskStore + CreditStore>(
    store: &S,
    model: &ScoreModel,
    id: &str,
    purpose: &str,
    as_of: NaiveDate,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<ScoreReport> {
    let purpose = purpose.trim();
    if purpose.is_empty() {
        return Err(Refusal::new(
            "purpose_required",
            "a query of personal credit data states its purpose",
            "查询个人信用信息须填写查询用途",
        )
        .on("purpose")
        .into());
    }
    model.check().map_err(model_invalid)?;
    let person = IdCardNo::parse(id.trim()).map_err(|e| {
        refuse(
            "invalid_id_number",
            format!("invalid ID number: {e}"),
            format!("身份证号码无效：{}", e.reason_zh()),
        )
    })?;
    store
        .log_access(vec![AccessLog {
            accessed_at: at.to_rfc3339(),
            actor: actor.to_owned(),
            subject: person.as_str().to_owned(),
            what: SCORE_ACCESS.to_owned(),
            purpose: purpose.to_owned(),
        }])
        .await?;
    let entries = store
        .credit_entries_of(vec![person.as_str().to_owned()])
        .await?;
    Ok(ScoreReport {
        person: person.masked(),
        as_of,
        model_name: model.name.clone(),
        model_sha256: model.digest(),
        entries: entries.len(),
        score: model.score(&entries, as_of),
    })
}

/// A risk model that fails its own checks.
fn model_invalid(error: impl std::fmt::Display) -> WorkflowError {
    refuse(
        "model_invalid",
        error.to_string(),
        "风险分类模型的参数有误，请由管理员检查模型设置",
    )
}
