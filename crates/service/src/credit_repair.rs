//! Credit repair and expiry (信用修复、到期停止公示): requests filed for an
//! entry once its minimum period has run, reviewed by the credit office; an
//! approval takes the entry out of publication from the repair date. Every
//! step is a ledger entry. Expiry needs no job: an entry stops counting after
//! its last day of publication by itself; [`expiring`] and [`ended`] list them.

use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use serde::Serialize;

use super::{Refusal, Result, existing, refuse};
use domain::credit::{CreditEntry, EntryKey, ListType, Severity, SubjectKind};
use domain::credit_repair::{self as rules, RepairRequest, RepairReview, RepairStatus};
use storage::credit::CreditStore;
use storage::{Change, Store, WorkflowStore};

/// What filing a request takes.
#[derive(Debug, Clone)]
pub struct RequestInput {
    /// The entry concerned.
    pub entry: EntryKey,
    /// Who applies; the subject's name when empty.
    pub applicant: String,
    /// The statement and evidence.
    pub statement: String,
    /// The day it is requested.
    pub requested_on: NaiveDate,
}

/// The credit office's decision.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Approve (repair) or reject.
    pub approve: bool,
    /// Why.
    pub reason: String,
    /// A severity for an entry that has none.
    pub severity: Option<Severity>,
    /// The decision's date: for an approval, the repair date.
    pub on: NaiveDate,
}

/// The entry with `key`, or not found.
pub async fn entry_of<S: CreditStore>(store: &S, key: &EntryKey) -> Result<CreditEntry> {
    store
        .credit_entries_of(vec![key.subject.clone()])
        .await?
        .into_iter()
        .find(|entry| entry.key() == *key)
        .ok_or_else(|| super::WorkflowError::NotFound {
            what: "credit entry",
            id: rules::key_text(key),
        })
}

/// The department code an authority names (code or name), if one of the city's.
async fn department_of<S: Store>(store: &S, authority: &str) -> Result<Option<String>> {
    let authority = authority.trim();
    Ok(store
        .departments()
        .await?
        .iter()
        .find(|d| d.is_named(authority))
        .map(|d| d.code().as_str().to_owned()))
}

/// Files a request. Refused before the entry's repair opens (the message names
/// the day), for a list that is not bad credit, for an entry already removed
/// or no longer published, and while another request for it is pending.
pub async fn request<S: WorkflowStore + CreditStore>(
    store: &S,
    input: RequestInput,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<RepairRequest> {
    if input.statement.trim().is_empty() {
        return Err(Refusal::new(
            "statement_required",
            "a repair request states what was corrected (statement and evidence)",
            "请填写信用修复申请的整改情况说明（及证明材料）",
        )
        .on("statement")
        .into());
    }
    let entry = entry_of(store, &input.entry).await?;
    if let Some(reason) = rules::refusal(&entry, entry.severity, input.requested_on) {
        return Err(refuse(reason.code, reason.english, reason.chinese));
    }
    let requests = store
        .list::<RepairRequest>(Some(("subject", &input.entry.subject)))
        .await?;
    if let Some(pending) = requests
        .iter()
        .find(|r| r.entry == input.entry && r.status == RepairStatus::Pending)
    {
        return Err(refuse(
            "repair_pending",
            format!(
                "request {} for this entry is still pending review",
                pending.id
            ),
            format!("该记录已有待审核的修复申请 {}", pending.id),
        ));
    }
    let year_prefix = format!("XF-{}-", input.requested_on.format("%Y"));
    let taken = store
        .list::<RepairRequest>(None)
        .await?
        .iter()
        .filter(|r| r.id.starts_with(&year_prefix))
        .count();
    let applicant = match input.applicant.trim() {
        "" => entry.subject_name.clone(),
        name => name.to_owned(),
    };
    let filed = RepairRequest {
        id: format!("{year_prefix}{:04}", taken + 1),
        entry: input.entry,
        subject_name: entry.subject_name.clone(),
        person: entry.subject.kind() == SubjectKind::Person,
        department: department_of(store, &entry.authority).await?,
        authority: entry.authority.clone(),
        applicant,
        statement: input.statement.trim().to_owned(),
        requested_on: input.requested_on,
        severity: entry.severity.map(|s| s.as_str().to_owned()),
        opens_on: entry.severity.map(|s| rules::repair_opens_on(&entry, s)),
        status: RepairStatus::Pending,
        filed_by: actor.to_owned(),
        filed_at: at,
        review: None,
    };
    store
        .put(
            std::slice::from_ref(&filed),
            &Change::new(
                at,
                actor,
                "credit_repair.requested",
                rules::key_text(&filed.entry),
            ),
        )
        .await?;
    Ok(filed)
}

/// Reviews a pending request. Approval needs the entry's severity (the reviewer
/// may assign one to an entry without), a request on or after the day repair
/// opened, and a reason for a 严重失信主体名单 entry; it sets the entry's
/// `removed_on` to the decision's date. Rejection needs a reason and keeps the entry.
pub async fn review<S: WorkflowStore + CreditStore>(
    store: &S,
    id: &str,
    decision: Decision,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<RepairRequest> {
    let mut request = existing::<S, RepairRequest>(store, id).await?;
    if request.status != RepairStatus::Pending {
        return Err(refuse(
            "repair_reviewed",
            format!(
                "request {id} is {}; it was already reviewed",
                request.status
            ),
            format!("修复申请 {id} 当前为“{}”，已审核过", request.status),
        ));
    }
    if decision.on < request.requested_on {
        return Err(refuse(
            "date_order",
            format!(
                "the decision date {} is before the request ({})",
                decision.on, request.requested_on
            ),
            format!(
                "审核日期 {} 早于申请日期 {}",
                decision.on, request.requested_on
            ),
        ));
    }
    let reason = decision.reason.trim().to_owned();
    let mut entry = entry_of(store, &request.entry).await?;
    let assigned = match (entry.severity, decision.severity) {
        (Some(current), Some(asked)) if current != asked => {
            return Err(refuse(
                "severity_fixed",
                format!(
                    "the entry's severity is already {}; it is not changed by a repair review",
                    current.as_str()
                ),
                format!(
                    "该记录的失信程度已认定为“{}”，修复审核不能更改",
                    current.as_str()
                ),
            ));
        }
        (None, Some(asked)) => Some(asked),
        _ => None,
    };
    let action = if decision.approve {
        let Some(severity) = entry.severity.or(assigned) else {
            return Err(refuse(
                "severity_required",
                "the entry has no severity (轻微/一般/严重): assign one with the review (--severity) before approving",
                "该记录尚未认定失信程度（轻微、一般、严重），请在审核时先认定再批准",
            ));
        };
        if let Some(why) = rules::refusal(&entry, Some(severity), request.requested_on) {
            return Err(refuse(
                why.code,
                format!(
                    "cannot approve: {}; reject the request instead",
                    why.english
                ),
                format!("不能批准：{}；请驳回该申请", why.chinese),
            ));
        }
        if request.entry.list_type == ListType::Blacklist && reason.is_empty() {
            return Err(Refusal::new(
                "reason_required",
                "repairing a 严重失信主体名单 entry needs the reviewer's reason",
                "修复严重失信主体名单记录须填写审核意见",
            )
            .on("reason")
            .into());
        }
        if let Some(severity) = assigned {
            entry.severity = Some(severity);
            store.upsert_credit_entries(vec![entry.clone()]).await?;
        }
        if !store
            .set_credit_entry_removed(&request.entry, Some(decision.on))
            .await?
        {
            return Err(super::WorkflowError::NotFound {
                what: "credit entry",
                id: rules::key_text(&request.entry),
            });
        }
        request.opens_on = Some(rules::repair_opens_on(&entry, severity));
        request.status = RepairStatus::Repaired;
        "credit_repair.approved"
    } else {
        if reason.is_empty() {
            return Err(Refusal::new(
                "reason_required",
                "a rejection says why",
                "驳回时请填写理由",
            )
            .on("reason")
            .into());
        }
        if let Some(severity) = assigned {
            entry.severity = Some(severity);
            store.upsert_credit_entries(vec![entry.clone()]).await?;
            request.opens_on = Some(rules::repair_opens_on(&entry, severity));
        }
        request.status = RepairStatus::Rejected;
        "credit_repair.rejected"
    };
    request.review = Some(RepairReview {
        reviewer: actor.to_owned(),
        reviewed_on: decision.on,
        reviewed_at: at,
        reason: reason.clone(),
        severity_assigned: assigned.map(|s| s.as_str().to_owned()),
    });
    let detail = match assigned {
        Some(severity) => format!("{reason} (severity assigned: {})", severity.as_str()),
        None => reason,
    };
    store
        .put(
            std::slice::from_ref(&request),
            &Change::new(at, actor, action, detail),
        )
        .await?;
    Ok(request)
}

/// Requests, newest first, optionally of one status.
pub async fn list<S: WorkflowStore>(
    store: &S,
    status: Option<RepairStatus>,
) -> Result<Vec<RepairRequest>> {
    let mut requests = match status {
        Some(status) => {
            store
                .list::<RepairRequest>(Some(("status", status.as_str())))
                .await?
        }
        None => store.list::<RepairRequest>(None).await?,
    };
    requests.sort_by(|a, b| b.requested_on.cmp(&a.requested_on).then(b.id.cmp(&a.id)));
    Ok(requests)
}

/// An entry whose publication ends, or ended, by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiryLine {
    /// 统一社会信用代码 or 身份证号码.
    pub subject: String,
    /// `enterprise` or `person`.
    pub subject_kind: String,
    /// 主体名称.
    pub subject_name: String,
    /// List type code.
    pub list_type: String,
    /// 列入日期.
    pub listed_on: NaiveDate,
    /// 文号.
    pub ref_no: String,
    /// 轻微/一般/严重, if known.
    pub severity: Option<String>,
    /// The finding date the periods count from.
    pub decided_on: NaiveDate,
    /// The last day it is published (it no longer counts the day after).
    pub last_day: NaiveDate,
    /// Why it ends then: `severity` (the maximum period) or `valid_until`.
    pub ends_by: String,
}

impl ExpiryLine {
    /// The line of an entry whose publication ends on `last_day`.
    fn of(entry: &CreditEntry, last_day: NaiveDate) -> Self {
        let capped = entry
            .severity
            .is_some_and(|s| s.publication_last_day(entry.finding_date()) == last_day);
        Self {
            subject: entry.subject.as_str().to_owned(),
            subject_kind: entry.subject.kind().as_str().to_owned(),
            subject_name: entry.subject_name.clone(),
            list_type: entry.list_type.as_str().to_owned(),
            listed_on: entry.listed_on,
            ref_no: entry.ref_no.clone(),
            severity: entry.severity.map(|s| s.as_str().to_owned()),
            decided_on: entry.finding_date(),
            last_day,
            ends_by: if capped { "severity" } else { "valid_until" }.to_owned(),
        }
    }
}

/// The last day `entry` is published, when it ends by itself and was not removed first.
fn natural_last_day(entry: &CreditEntry) -> Option<NaiveDate> {
    let last = entry.effective_until()?;
    match entry.removed_on {
        Some(removed) if removed <= last => None,
        _ => Some(last),
    }
}

/// Entries still published on `as_of` whose last day of publication is within
/// `within_days` days from it (`as_of` itself included), soonest first.
pub async fn expiring<S: CreditStore>(
    store: &S,
    as_of: NaiveDate,
    within_days: u32,
) -> Result<Vec<ExpiryLine>> {
    let until = as_of
        .checked_add_days(Days::new(u64::from(within_days)))
        .ok_or_else(|| {
            refuse(
                "date_range",
                format!("{within_days} days from {as_of} is out of range"),
                format!("自 {as_of} 起 {within_days} 天超出可计算的日期范围"),
            )
        })?;
    let lines = store
        .ending_credit_entries(as_of, until)
        .await?
        .iter()
        .filter(|entry| entry.counts_on(as_of))
        .filter_map(|entry| {
            natural_last_day(entry)
                .filter(|last| *last <= until)
                .map(|last| ExpiryLine::of(entry, last))
        })
        .collect();
    Ok(sorted(lines))
}

/// Entries whose publication ended by itself within the `within_days` days
/// before `as_of` (last day from `as_of − within_days` to `as_of − 1`), latest first.
pub async fn ended<S: CreditStore>(
    store: &S,
    as_of: NaiveDate,
    within_days: u32,
) -> Result<Vec<ExpiryLine>> {
    let since = as_of
        .checked_sub_days(Days::new(u64::from(within_days)))
        .ok_or_else(|| {
            refuse(
                "date_range",
                format!("{within_days} days before {as_of} is out of range"),
                format!("{as_of} 之前 {within_days} 天超出可计算的日期范围"),
            )
        })?;
    let yesterday = as_of.pred_opt().unwrap_or(as_of);
    let mut lines: Vec<ExpiryLine> = store
        .ending_credit_entries(since, yesterday)
        .await?
        .iter()
        .filter_map(|entry| {
            natural_last_day(entry)
                .filter(|last| *last >= since && *last < as_of)
                .map(|last| ExpiryLine::of(entry, last))
        })
        .collect();
    lines = sorted(lines);
    lines.reverse();
    Ok(lines)
}

fn sorted(mut lines: Vec<ExpiryLine>) -> Vec<ExpiryLine> {
    lines.sort_by(|a, b| {
        (a.last_day, &a.subject, &a.list_type, a.listed_on, &a.ref_no).cmp(&(
            b.last_day,
            &b.subject,
            &b.list_type,
            b.listed_on,
            &b.ref_no,
        ))
    });
    lines
}
