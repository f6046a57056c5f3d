//! The credit lists the portal publishes, and their search.

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::Result;
use domain::credit::{CreditEntry, ListType, SubjectKind};
use storage::credit::{CreditStore, EntryFilter};

/// The lists the portal publishes.
pub const PUBLISHED_LISTS: [ListType; 3] =
    [ListType::Blacklist, ListType::Penalty, ListType::Abnormal];

/// Entries shown for one search, at most.
pub const SHOWN: usize = 100;

/// Entries read from the store for one search, at most.
const READ_AT_MOST: u32 = 3000;

/// One published entry, as the portal shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicEntry {
    /// 统一社会信用代码.
    pub subject: String,
    /// 主体名称.
    pub subject_name: String,
    /// List name (中文).
    pub list_name: &'static str,
    /// The list's place in [`PUBLISHED_LISTS`], for ordering.
    #[serde(skip)]
    pub list_rank: usize,
    /// 列入日期 / 处罚决定日期.
    pub listed_on: NaiveDate,
    /// 认定部门 / 处罚机关.
    pub authority: String,
    /// 列入原因 / 违法行为类型.
    pub reason: String,
    /// 文号.
    pub ref_no: String,
    /// 公示截止期 (the last day), if it has one.
    pub published_until: Option<NaiveDate>,
}

impl PublicEntry {
    fn of(entry: &CreditEntry) -> Self {
        Self {
            subject: entry.subject.as_str().to_owned(),
            subject_name: entry.subject_name.clone(),
            list_name: entry.list_type.name_zh(),
            list_rank: PUBLISHED_LISTS
                .iter()
                .position(|l| *l == entry.list_type)
                .unwrap_or(PUBLISHED_LISTS.len()),
            listed_on: entry.listed_on,
            authority: entry.authority.clone(),
            reason: entry.reason.clone(),
            ref_no: entry.ref_no.clone(),
            published_until: entry.effective_until(),
        }
    }
}

/// Whether `entry` is on the portal on `today`.
pub fn published_on(entry: &CreditEntry, today: NaiveDate) -> bool {
    entry.subject.kind() == SubjectKind::Enterprise
        && PUBLISHED_LISTS.contains(&entry.list_type)
        && entry.counts_on(today)
}

/// The entries published on `today` matching `q` (the start of a 统一社会信用代码,
/// or part of a name), by list then subject; at most [`SHOWN`]. Empty for an empty query.
pub async fn search<S: CreditStore>(
    store: &S,
    q: &str,
    today: NaiveDate,
) -> Result<Vec<PublicEntry>> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let looks_like_code = q.chars().all(|c| c.is_ascii_alphanumeric());
    let filter = EntryFilter {
        subject_prefix: looks_like_code.then(|| q.to_owned()),
        name: (!looks_like_code).then(|| q.to_owned()),
        list_type: None,
        kind: Some(SubjectKind::Enterprise),
    };
    // One read (a name search scans the entries once), the lists picked here.
    let mut shown: Vec<PublicEntry> = store
        .search_credit_entries(&filter, READ_AT_MOST)
        .await?
        .iter()
        .filter(|e| published_on(e, today))
        .map(PublicEntry::of)
        .take(SHOWN)
        .collect();
    shown.sort_by(|a, b| {
        (a.list_rank, &a.subject, a.listed_on).cmp(&(b.list_rank, &b.subject, b.listed_on))
    });
    Ok(shown)
}
