//! 告知承诺 核查 (issue 21): the month's promise-based applications sampled
//! with `jianguan-draw/v1`, one plan per matter, strata by the matter's risk
//! level. The frames, commitment, draw and record are a round's
//! ([`crate::rounds::seal`], [`crate::rounds::opening`],
//! [`crate::rounds::record_draw`], [`crate::rounds::export`]); a 不实 result
//! revokes the approval and lists the applicant as 虚假承诺. See docs/services.md.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate};

use domain::credit::{CreditEntry, ListType, Outcome as CheckOutcome, Severity};
use domain::hotline::beijing;
use domain::inspection::{EligibilityRules, Round};
use domain::services::{
    Application, MatterRecord, RiskLevel, Verification, VerificationMatter, VerificationOutcome,
    VerificationResult,
};
use storage::credit::{CheckLogFilter, CreditStore};
use storage::{Change, MAX_PAGE, WorkflowStore};

use crate::eligibility::{self, BuiltFrame};
use crate::rounds::{self, CommitRequest, SealedPlan};
use crate::services::PROMISE_CHECK_BATCH;
use crate::{Refusal, Result, WorkflowError, refuse};

/// Default sampling rates, in basis points: 高 30 %, 中 10 %, 低 5 %.
pub const DEFAULT_RATES_BP: [(RiskLevel, u32); 3] = [
    (RiskLevel::High, 3_000),
    (RiskLevel::Medium, 1_000),
    (RiskLevel::Low, 500),
];

/// What a 核查 commit needs.
#[derive(Debug, Clone)]
pub struct VerificationRequest {
    /// Id (also the round's), e.g. `HC-2026-03`.
    pub id: String,
    /// Any day of the month sampled.
    pub month: NaiveDate,
    /// Rate per risk level (高/中/低), in basis points.
    pub rates_bp: BTreeMap<String, u32>,
}

/// Parses `高=3000,中=1000,低=500` (any subset; the rest keep the defaults).
pub fn parse_rates(text: &str) -> std::result::Result<BTreeMap<String, u32>, Refusal> {
    let mut rates: BTreeMap<String, u32> = DEFAULT_RATES_BP
        .into_iter()
        .map(|(level, bp)| (level.as_str().to_owned(), bp))
        .collect();
    for part in text
        .split([',', '、'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let parsed = part.split_once('=').and_then(|(level, bp)| {
            let level = RiskLevel::parse(level).ok()?;
            let bp = bp.trim().parse::<u32>().ok().filter(|bp| *bp <= 10_000)?;
            Some((level, bp))
        });
        let Some((level, bp)) = parsed else {
            return Err(Refusal::new(
                "rates_invalid",
                format!("rate {part:?}: write LEVEL=BP with LEVEL 高, 中 or 低 and BP 0 to 10000"),
                format!(
                    "抽查比例“{part}”应写作 等级=万分比，等级为 高、中 或 低，万分比 0 至 10000"
                ),
            )
            .on("rates"));
        };
        rates.insert(level.as_str().to_owned(), bp);
    }
    Ok(rates)
}

fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first);
    (first, last)
}

fn received_day(application: &Application) -> NaiveDate {
    application
        .received_at
        .with_timezone(&beijing())
        .date_naive()
}

/// The allowed promise checks of the month, by (matter, applicant): the as-of
/// days of each.
async fn allowed_promises<S: CreditStore>(
    store: &S,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<HashMap<(String, String), Vec<NaiveDate>>> {
    let mut allowed: HashMap<(String, String), Vec<NaiveDate>> = HashMap::new();
    let mut offset = 0u64;
    loop {
        let (page, total) = store
            .check_log_page(&CheckLogFilter::default(), offset, MAX_PAGE)
            .await?;
        offset += page.len() as u64;
        for check in page {
            if check.batch.as_deref() == Some(PROMISE_CHECK_BATCH)
                && check.outcome == CheckOutcome::Clear
                && (first..=last).contains(&check.as_of)
            {
                allowed
                    .entry((check.matter, check.subject))
                    .or_default()
                    .push(check.as_of);
            }
        }
        if offset >= total || offset == 0 {
            break;
        }
    }
    Ok(allowed)
}

/// Commits a 核查 sampling: the frame of each matter is its applications
/// received in the month whose applicant passed a promise check for that
/// matter (allowed, logged) in the month on or before the day received, each
/// in the stratum of the matter's risk level. Frames are sealed as a round's.
pub async fn commit<S: WorkflowStore + CreditStore>(
    store: &S,
    request: &VerificationRequest,
    secret: &draw::Secret,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Verification> {
    domain::plan::check_id("id", &request.id)?;
    if store.get::<Verification>(&request.id).await?.is_some()
        || store.get::<Round>(&request.id).await?.is_some()
    {
        return Err(Refusal::new(
            "verification_exists",
            format!("{} already exists", request.id),
            format!("核查批次 {} 已存在", request.id),
        )
        .on("id")
        .into());
    }
    let (first, last) = month_bounds(request.month);
    let allowed = allowed_promises(store, first, last).await?;
    let matter_codes: BTreeSet<&str> = allowed.keys().map(|(m, _)| m.as_str()).collect();
    let mut plans = Vec::new();
    let mut matters = BTreeMap::new();
    for code in matter_codes {
        let Some(record) = store.get::<MatterRecord>(code).await? else {
            continue;
        };
        let Some(current) = record.current() else {
            continue;
        };
        let risk = current.matter.risk;
        let mut ids: Vec<String> = store
            .list::<Application>(Some(("matter", code)))
            .await?
            .into_iter()
            .filter(|a| {
                let day = received_day(a);
                (first..=last).contains(&day)
                    && allowed
                        .get(&(code.to_owned(), a.applicant.as_str().to_owned()))
                        .is_some_and(|days| days.iter().any(|d| *d <= day))
            })
            .map(|a| a.id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        ids.sort_unstable();
        let frame: String = ids
            .iter()
            .map(|id| format!("{id}\t{}\n", risk.as_str()))
            .collect();
        matters.insert(
            code.to_owned(),
            VerificationMatter {
                department: current.matter.department.clone(),
                version: current.version,
                risk,
                applications: u32::try_from(ids.len()).unwrap_or(u32::MAX),
            },
        );
        plans.push(SealedPlan {
            id: code.to_owned(),
            version: current.version,
            entries: vec![code.to_owned()],
            frame: BuiltFrame {
                frame,
                rows: ids.len(),
                exclusions: String::new(),
                excluded: 0,
            },
        });
    }
    if plans.is_empty() {
        return Err(Refusal::new(
            "no_promises",
            format!(
                "no promise-based application was received in {}",
                first.format("%Y-%m")
            ),
            format!(
                "{} 没有以告知承诺办理的办件，无可核查",
                first.format("%Y 年 %m 月")
            ),
        )
        .on("month")
        .into());
    }
    let month = first.format("%Y-%m").to_string();
    let commit = CommitRequest {
        id: request.id.clone(),
        title: format!("告知承诺核查 {month}"),
        window_start: first,
        window_end: last,
        cap: None,
        plans: None,
    };
    let verification = Verification {
        id: request.id.clone(),
        month,
        rates_bp: request.rates_bp.clone(),
        matters,
        results: BTreeMap::new(),
    };
    let detail = format!(
        "{} matters, rates {:?}",
        verification.matters.len(),
        verification.rates_bp
    );
    rounds::seal_with(
        store,
        &commit,
        &EligibilityRules::default(),
        plans,
        secret,
        "services.verification.committed",
        at,
        actor,
        (
            std::slice::from_ref(&verification),
            &Change::new(at, actor, "services.verification.committed", detail),
        ),
    )
    .await?;
    Ok(verification)
}

/// A 核查 sampling and its round.
pub async fn get<S: WorkflowStore>(store: &S, id: &str) -> Result<(Verification, Round)> {
    Ok((
        crate::existing::<S, Verification>(store, id).await?,
        crate::existing::<S, Round>(store, id).await?,
    ))
}

/// Every 核查 sampling, newest month first, with its round.
pub async fn list<S: WorkflowStore>(store: &S) -> Result<Vec<(Verification, Round)>> {
    let mut out = Vec::new();
    for verification in store.list::<Verification>(None).await? {
        if let Some(round) = store.get::<Round>(&verification.id).await? {
            out.push((verification, round));
        }
    }
    out.sort_by(|a, b| b.0.month.cmp(&a.0.month).then(b.0.id.cmp(&a.0.id)));
    Ok(out)
}

/// Draws a committed 核查 sampling with the witnesses' beacon and publishes
/// it (the secret is released, so the record can be exported and verified).
pub async fn draw<S: WorkflowStore>(
    store: &S,
    id: &str,
    beacon: &str,
    witnesses: &[String],
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Round> {
    let (verification, round) = get(store, id).await?;
    let (secret, beacon) = rounds::opening(store, &round, beacon).await?;
    let strata: Vec<draw::StratumRule> = verification
        .rates_bp
        .iter()
        .map(|(level, bp)| draw::StratumRule {
            stratum: level.clone(),
            allocation: draw::Allocation::RateBp(*bp),
        })
        .collect();
    let mut plans = Vec::new();
    for stored in store.round_frames(id).await? {
        let frame = eligibility::parse_frame(&stored.frame).map_err(|line| {
            refuse(
                "frame_damaged",
                format!(
                    "stored frame of matter {} is damaged at line {line}",
                    stored.plan
                ),
                format!("事项 {} 保存的核查名录第 {line} 行已损坏", stored.plan),
            )
        })?;
        let department = verification
            .matters
            .get(&stored.plan)
            .map(|m| m.department.clone())
            .ok_or_else(|| WorkflowError::NotFound {
                what: "matter",
                id: stored.plan.clone(),
            })?;
        plans.push((
            draw::PlanSpec {
                id: stored.plan,
                department,
                strata: strata.clone(),
            },
            frame,
        ));
    }
    let input = draw::RoundInput {
        secret,
        beacon,
        cap: None,
        plans,
        inspectors: Vec::new(),
    };
    // 核查 is done by the department's staff, not by drawn inspectors.
    let record = draw::draw_round(input, |_, _| draw::Demand {
        k: draw::MIN_INSPECTORS_PER_DEPARTMENT,
        candidates: Vec::new(),
    })?;
    rounds::record_draw(
        store,
        round,
        record,
        witnesses,
        &[],
        "services.verification.drawn",
        at,
        actor,
    )
    .await?;
    rounds::publish(store, id, at, actor).await
}

/// The applications a drawn 核查 selected, by matter.
pub async fn selected<S: WorkflowStore>(store: &S, id: &str) -> Result<Vec<(String, String)>> {
    let Some(text) = store.round_record(id).await? else {
        return Ok(Vec::new());
    };
    let record: draw::Record = serde_json::from_str(&text).map_err(|e| {
        refuse(
            "record_damaged",
            format!("the stored record of {id} is unreadable: {e}"),
            format!("核查批次 {id} 保存的抽取记录无法读取"),
        )
    })?;
    Ok(record
        .plans
        .into_iter()
        .flat_map(|plan| {
            let matter = plan.id;
            plan.selected
                .into_iter()
                .map(move |s| (matter.clone(), s.id))
        })
        .collect())
}

/// What a 核查 result did.
#[derive(Debug, Clone)]
pub struct ResultOutcome {
    /// The sampling with the result recorded.
    pub verification: Verification,
    /// The 虚假承诺 entry written, for 不实.
    pub listed: Option<CreditEntry>,
}

/// Records a 核查 result for a selected application. 不实 revokes the
/// approval (the application and the ledger) and writes a 虚假承诺 entry for
/// the applicant into the credit lists (severity 一般: listed on the day,
/// published until its cap, repairable), so the next promise check refuses.
pub async fn record_result<S: WorkflowStore + CreditStore>(
    store: &S,
    id: &str,
    application_id: &str,
    outcome: VerificationOutcome,
    note: Option<String>,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<ResultOutcome> {
    let (mut verification, _) = get(store, id).await?;
    if !selected(store, id)
        .await?
        .iter()
        .any(|(_, a)| a == application_id)
    {
        return Err(Refusal::new(
            "not_selected",
            format!("application {application_id} was not drawn in {id}"),
            format!("办件 {application_id} 未在核查批次 {id} 中抽中"),
        )
        .on("application")
        .into());
    }
    if verification.results.contains_key(application_id) {
        return Err(Refusal::new(
            "result_exists",
            format!("application {application_id} already has a result in {id}"),
            format!("办件 {application_id} 已登记核查结果"),
        )
        .on("application")
        .into());
    }
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let mut application = crate::existing::<S, Application>(store, application_id).await?;
    let mut listed = None;
    if outcome == VerificationOutcome::False {
        let day = at.with_timezone(&beijing()).date_naive();
        let entry = CreditEntry {
            subject: application.applicant,
            subject_name: application.applicant_name.clone(),
            list_type: ListType::FalsePromise,
            listed_on: day,
            valid_until: None,
            removed_on: None,
            authority: application.department.clone(),
            reason: format!(
                "告知承诺核查不实：办件 {application_id}（事项 {}）{}",
                application.matter,
                note.as_deref().unwrap_or("")
            ),
            ref_no: format!("{id}/{application_id}"),
            severity: Some(Severity::Ordinary),
            decided_on: None,
            source: format!("services verification {id}"),
            details: None,
        };
        entry.validate()?;
        application.revoked_at = Some(at);
        listed = Some(entry);
    }
    verification.results.insert(
        application_id.to_owned(),
        VerificationResult {
            outcome,
            note,
            at,
            actor: actor.to_owned(),
        },
    );
    let result_change = Change::new(
        at,
        actor,
        "services.verification.result",
        format!("{application_id}: {}", outcome.as_str()),
    );
    let verification_written = std::slice::from_ref(&verification);
    match &listed {
        // The entry, the revoked application and the result: one transaction.
        Some(entry) => {
            store
                .upsert_credit_entries_with(
                    vec![entry.clone()],
                    (
                        std::slice::from_ref(&application),
                        &Change::new(
                            at,
                            actor,
                            "services.application.revoked",
                            format!(
                                "核查 {id}: promise found false; approval revoked, listed 虚假承诺"
                            ),
                        ),
                    ),
                    (verification_written, &result_change),
                )
                .await?;
        }
        None => store.put(verification_written, &result_change).await?,
    }
    Ok(ResultOutcome {
        verification,
        listed,
    })
}
