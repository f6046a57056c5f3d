//! Credit repair (信用修复, rules in force 2026-04-01): a subject asks to have a
//! bad-credit record (严重失信主体名单, 经营异常名录, 行政处罚) taken out of
//! publication once its minimum period has run; the credit office reviews.
//!
//! The dates count from the finding (`CreditEntry::finding_date`): a request
//! opens on `Severity::repair_opens_on`, and publication stops by itself after
//! `Severity::publication_last_day`. An entry without a severity has no known
//! minimum: the request is filed, and the reviewer assigns the severity before
//! approving (there is no default: a wrong guess would shorten or lengthen a
//! sanction).
//!
//! A request is a document on the ledger (`credit_repairs`); approval sets the
//! entry's `removed_on` to the repair date, so it stops counting from that day.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::credit::{CreditEntry, EntryKey, ListType, Severity};
use super::entity::chinese_enum;

chinese_enum! {
    /// Where a repair request stands.
    RepairStatus, "status", "the status is 待审核, 已修复 or 已驳回" {
        /// Filed, waiting for the credit office.
        Pending = "待审核" | "pending",
        /// Approved: the entry is removed from publication.
        Repaired = "已修复" | "repaired" | "approved",
        /// Rejected: the entry stays.
        Rejected = "已驳回" | "rejected",
    }
}

/// An entry's key in messages and ledger details: `SUBJECT/LIST/LISTED_ON/REF`.
pub fn key_text(key: &EntryKey) -> String {
    format!(
        "{}/{}/{}/{}",
        key.subject,
        key.list_type.as_str(),
        key.listed_on,
        key.ref_no
    )
}

/// The list types whose records are bad credit and so may be repaired.
pub const REPAIRABLE: [ListType; 4] = [
    ListType::Blacklist,
    ListType::Abnormal,
    ListType::Penalty,
    ListType::FalsePromise,
];

/// Whether records of `list` may be repaired (not the red list, not licences).
pub fn repairable(list: ListType) -> bool {
    REPAIRABLE.contains(&list)
}

/// The first day a repair of `entry` may be requested, when its severity is known.
pub fn repair_opens_on(entry: &CreditEntry, severity: Severity) -> NaiveDate {
    severity.repair_opens_on(entry.finding_date())
}

/// Why a request cannot be filed or approved on a given day, or `None` when it
/// can. `severity` is the entry's (or the one the reviewer assigns); without
/// one the minimum period is unknown and only the other rules apply.
pub fn refusal(
    entry: &CreditEntry,
    severity: Option<Severity>,
    on: NaiveDate,
) -> Option<RepairRefusal> {
    if !repairable(entry.list_type) {
        return Some(RepairRefusal::new(
            "not_repairable",
            format!(
                "{} records are not bad credit and are not repaired",
                entry.list_type.name_zh()
            ),
            format!(
                "{}记录不属于失信信息，无需信用修复",
                entry.list_type.name_zh()
            ),
        ));
    }
    if let Some(removed) = entry.removed_on.filter(|removed| *removed <= on) {
        return Some(RepairRefusal::new(
            "already_removed",
            format!("the entry was already removed on {removed}"),
            format!("该记录已于 {removed} 移出"),
        ));
    }
    if on < entry.listed_on {
        return Some(RepairRefusal::new(
            "not_yet_listed",
            format!("the entry is only listed from {}", entry.listed_on),
            format!("该记录自 {} 起才列入", entry.listed_on),
        ));
    }
    if let Some(last) = entry.effective_until().filter(|last| *last < on) {
        return Some(RepairRefusal::new(
            "publication_ended",
            format!("publication already ended after {last}: there is nothing to repair"),
            format!("该记录的公示期已于 {last} 届满，无需修复"),
        ));
    }
    let severity = severity?;
    let opens = repair_opens_on(entry, severity);
    (on < opens).then(|| {
        RepairRefusal::new(
            "repair_not_open",
            format!(
                "repair of a {} record opens on {opens} ({} from the finding on {}); it cannot be requested on {on}",
                severity.as_str(),
                minimum_in_words(severity),
                entry.finding_date()
            ),
            format!(
                "{}失信记录自 {opens} 起才能申请修复（自 {} 认定起{}），{on} 不能申请",
                severity.as_str(),
                entry.finding_date(),
                minimum_in_chinese(severity)
            ),
        )
    })
}

/// Why a repair cannot be requested or approved: a stable code and the reason
/// in English (CLI) and Chinese (pages). Reads as the English reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairRefusal {
    /// The stable machine code, e.g. `repair_not_open`.
    pub code: &'static str,
    /// The reason in English.
    pub english: String,
    /// The reason in Chinese.
    pub chinese: String,
}

impl RepairRefusal {
    fn new(code: &'static str, english: String, chinese: String) -> Self {
        Self {
            code,
            english,
            chinese,
        }
    }
}

impl std::ops::Deref for RepairRefusal {
    type Target = str;

    fn deref(&self) -> &str {
        &self.english
    }
}

impl std::fmt::Display for RepairRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english)
    }
}

/// The minimum period in Chinese, for messages.
fn minimum_in_chinese(severity: Severity) -> &'static str {
    match severity {
        Severity::Minor => "无最短期限",
        Severity::Ordinary => "满 3 个月",
        Severity::Serious => "满 1 年",
    }
}

/// The minimum period in words, for messages.
fn minimum_in_words(severity: Severity) -> &'static str {
    match severity {
        Severity::Minor => "no minimum period",
        Severity::Ordinary => "3 months",
        Severity::Serious => "1 year",
    }
}

/// The credit office's decision on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairReview {
    /// Who decided.
    pub reviewer: String,
    /// The decision's date; for an approval, the repair date (the entry's `removed_on`).
    pub reviewed_on: NaiveDate,
    /// When it was recorded.
    pub reviewed_at: DateTime<FixedOffset>,
    /// Why (required for a rejection and for repairing a 严重失信主体名单 entry).
    pub reason: String,
    /// The severity the reviewer assigned to an entry that had none.
    #[serde(default)]
    pub severity_assigned: Option<String>,
}

/// A repair request (信用修复申请).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairRequest {
    /// Id, e.g. `XF-2026-0001`.
    pub id: String,
    /// The entry it concerns.
    pub entry: EntryKey,
    /// 主体名称.
    pub subject_name: String,
    /// Whether the subject is a person (whose data only authorized roles see).
    pub person: bool,
    /// 认定部门 of the entry.
    pub authority: String,
    /// The department code the authority names, when it names one of the city's.
    #[serde(default)]
    pub department: Option<String>,
    /// Who applies (the subject or its representative).
    pub applicant: String,
    /// 信用修复承诺及证明材料: the statement and evidence.
    pub statement: String,
    /// The day it was requested.
    pub requested_on: NaiveDate,
    /// The entry's severity when filed (中文), if any.
    #[serde(default)]
    pub severity: Option<String>,
    /// The first day repair could be requested, when the severity is known.
    #[serde(default)]
    pub opens_on: Option<NaiveDate>,
    /// Status.
    pub status: RepairStatus,
    /// Who recorded it.
    pub filed_by: String,
    /// When.
    pub filed_at: DateTime<FixedOffset>,
    /// The decision, once taken.
    #[serde(default)]
    pub review: Option<RepairReview>,
}

impl RepairRequest {
    /// The list's Chinese name.
    pub fn list_name(&self) -> &'static str {
        self.entry.list_type.name_zh()
    }

    /// The repair date, for an approved request.
    pub fn repaired_on(&self) -> Option<NaiveDate> {
        self.review
            .as_ref()
            .filter(|_| self.status == RepairStatus::Repaired)
            .map(|review| review.reviewed_on)
    }
}
