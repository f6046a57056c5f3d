//! The credit operations the staff pages (`staff::credit`) and the API
//! (`api::credit`) share: the cached matters catalogue and the group-committed
//! check log ([`CreditState`]), the single and batch checks through
//! `service::credit`, the disclosure rule for persons, entry and matter rows.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::AppState;
use crate::error::{Error, Result};
use crate::query::present;
use domain::account::{Account, Permission};
use domain::credit::{CreditEntry, ListType, Matter, Subject, SubjectKind};
use domain::idcard::IdCardNo;
use files::credit::Applicant;
use service::credit::{self as credit_flow, ApplicantResult, CheckReport, Checker};
use storage::credit::{CheckLog, CreditStore, EntryFilter};
use storage::{Db, WorkflowStore};

/// Rows a listing shows.
pub const LIST_LIMIT: u32 = 200;
/// Applicants in one batch (a larger file is refused).
pub const MAX_BATCH: usize = 100_000;
/// How long the cached catalogue is used before it is read again (an import
/// through the pages clears it at once; one by the command line is seen after this).
const MATTERS_LIFETIME: Duration = Duration::from_secs(60);
/// Rows the log writer commits in one transaction at most.
const LOG_BATCH: usize = 4_096;

// ---------------------------------------------------------------------------
// The shared state: the matters catalogue and the check-log writer.

/// The matters catalogue by code.
pub type Catalogue = Arc<BTreeMap<String, Matter>>;

/// One request's rows for the log writer, and where to say they are committed.
type Pending = (
    Vec<CheckLog>,
    oneshot::Sender<std::result::Result<(), String>>,
);

/// What the credit pages and API share: the matters catalogue, cached, and
/// the check-log writer (group commit).
#[derive(Default)]
pub struct CreditState {
    matters: RwLock<Option<(Instant, Catalogue)>>,
    log: OnceLock<mpsc::UnboundedSender<Pending>>,
}

impl CreditState {
    /// The matters catalogue by code (read once, then from memory).
    pub async fn matters(&self, db: &Db) -> Result<Catalogue> {
        if let Some((read, cached)) = self.read_cache().as_ref()
            && read.elapsed() < MATTERS_LIFETIME
        {
            return Ok(cached.clone());
        }
        let loaded: BTreeMap<String, Matter> = db
            .list::<Matter>(None)
            .await?
            .into_iter()
            .map(|m| (m.code.clone(), m))
            .collect();
        let loaded = Arc::new(loaded);
        *self
            .matters
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), loaded.clone()));
        Ok(loaded)
    }

    fn read_cache(&self) -> std::sync::RwLockReadGuard<'_, Option<(Instant, Catalogue)>> {
        self.matters
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets the cached catalogue (after an import of matters).
    pub fn forget_matters(&self) {
        *self
            .matters
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// One matter, or 404.
    pub async fn matter(&self, db: &Db, code: &str) -> Result<Matter> {
        self.matters(db)
            .await?
            .get(code.trim())
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!("核查事项 {} 不存在 (no such matter)", code.trim()))
            })
    }

    /// Appends `rows` to the check log and waits until they are committed.
    /// Rows of concurrent requests are committed together by one writer task.
    pub async fn log(&self, db: &Db, rows: Vec<CheckLog>) -> Result<()> {
        let sender = self.log.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(write_log(db.clone(), receiver));
            sender
        });
        let (ack, committed) = oneshot::channel();
        sender
            .send((rows, ack))
            .map_err(|_| Error::internal(anyhow::anyhow!("the check-log writer stopped")))?;
        committed
            .await
            .map_err(|_| Error::internal(anyhow::anyhow!("the check-log writer stopped")))?
            .map_err(|e| Error::internal(anyhow::anyhow!("cannot write the check log: {e}")))
    }
}

/// The log writer: takes the rows waiting, commits them in one transaction,
/// tells each request; again.
async fn write_log(db: Db, mut receiver: mpsc::UnboundedReceiver<Pending>) {
    while let Some((mut rows, ack)) = receiver.recv().await {
        let mut acks = vec![ack];
        while rows.len() < LOG_BATCH {
            match receiver.try_recv() {
                Ok((more, ack)) => {
                    rows.extend(more);
                    acks.push(ack);
                }
                Err(_) => break,
            }
        }
        let result = db.log_checks(rows).await.map_err(|e| e.to_string());
        if let Err(error) = &result {
            tracing::error!(%error, "check log not written");
        }
        for ack in acks {
            let _ = ack.send(result.clone());
        }
    }
}

// ---------------------------------------------------------------------------
// Checks.

/// Today in China.
pub fn today() -> NaiveDate {
    domain::clock::now().date_naive()
}

/// Parses an optional `YYYY-MM-DD` date (default today).
pub fn as_of_date(text: Option<&str>) -> Result<NaiveDate> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(today()),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| Error::BadRequest(format!("核查日期 {text} 无效，应为 YYYY-MM-DD"))),
    }
}

/// Who checks, for the log.
pub fn checker(account: &Account) -> Checker {
    Checker {
        actor: account.username.clone(),
        department: account.department.clone(),
    }
}

/// The single check's log rows go to the group-commit writer ([`CreditState::log`]).
impl credit_flow::CheckLogWriter for AppState {
    type Error = Error;

    fn write(&self, rows: Vec<CheckLog>) -> impl Future<Output = Result<()>> + Send {
        self.credit.log(&self.db, rows)
    }
}

/// Checks one identifier for `matter` on `as_of` ([`credit_flow::check_one`]),
/// the fast way: the matter from the cache, the log row committed with the
/// other requests' rows ([`CreditState::log`]).
pub async fn check_one(
    state: &AppState,
    account: &Account,
    matter: &Matter,
    id: &str,
    as_of: NaiveDate,
) -> Result<ApplicantResult> {
    credit_flow::check_one(&state.db, state, matter, id, as_of, &checker(account)).await
}

/// Checks a batch (logged in one transaction) for `account`.
pub async fn check_batch(
    state: &AppState,
    account: &Account,
    matter: &Matter,
    applicants: &[Applicant],
    as_of: NaiveDate,
) -> Result<CheckReport> {
    if applicants.len() > MAX_BATCH {
        return Err(Error::BadRequest(format!(
            "一次最多核查 {MAX_BATCH} 个申请人"
        )));
    }
    Ok(
        credit_flow::check_applicants(&state.db, matter, applicants, as_of, &checker(account))
            .await?,
    )
}

/// Shows `results` as `account` may see them: the reasons and references of
/// persons' hits are hidden unless it may see persons' credit data, and the
/// persons it does see are written to the access log.
pub async fn disclose(
    state: &AppState,
    account: &Account,
    results: &mut [ApplicantResult],
    purpose: &str,
) -> Result<()> {
    let is_person = |r: &ApplicantResult| r.kind == Some(SubjectKind::Person) && !r.hits.is_empty();
    if account.may(Permission::SeePersonalCredit) {
        let seen: Vec<Subject> = results
            .iter()
            .filter(|r| is_person(r))
            .filter_map(|r| Subject::parse(&r.id).ok().map(|(s, _)| s))
            .collect();
        credit_flow::log_person_access(&state.db, &account.username, &seen, "check", purpose)
            .await?;
        return Ok(());
    }
    for result in results.iter_mut().filter(|r| is_person(r)) {
        for hit in &mut result.hits {
            hit.reason = HIDDEN.to_owned();
            hit.ref_no = String::new();
        }
    }
    Ok(())
}

/// What a masked person's field shows.
const HIDDEN: &str = "（个人信息，无权查看）";

/// The API's and the CLI's JSON of one result, with the matter's code.
pub fn result_json(matter: &Matter, result: &ApplicantResult) -> serde_json::Value {
    let mut json = result.to_json();
    if let Some(map) = json.as_object_mut() {
        map.insert("matter".into(), matter.code.clone().into());
    }
    json
}

// ---------------------------------------------------------------------------
// Entries as shown.

/// An entry as listed: a person's identifier, name and reason masked unless
/// the viewer may see persons' credit data.
#[derive(Debug, Clone, Serialize)]
pub struct EntryRow {
    /// The identifier (masked for persons).
    pub subject: String,
    /// `enterprise` or `person`.
    pub kind: SubjectKind,
    /// The name (masked for persons).
    pub name: String,
    /// The list's code.
    pub list: ListType,
    /// The list's Chinese name.
    pub list_name: &'static str,
    /// 列入日期.
    pub listed_on: NaiveDate,
    /// 有效期至 as recorded.
    pub valid_until: Option<NaiveDate>,
    /// The last day it counts (validity and the severity's cap).
    pub effective_until: Option<NaiveDate>,
    /// 移出日期.
    pub removed_on: Option<NaiveDate>,
    /// Counts today.
    pub in_force: bool,
    /// 认定部门.
    pub authority: String,
    /// 列入原因 (hidden for persons).
    pub reason: String,
    /// 文书号.
    pub ref_no: String,
    /// 严重程度.
    pub severity: Option<String>,
    /// Where it came from.
    pub source: String,
}

impl EntryRow {
    /// The row of `entry` as `account` may see it.
    pub fn of(entry: &CreditEntry, account: &Account) -> Self {
        let hidden = entry.subject.kind() == SubjectKind::Person
            && !account.may(Permission::SeePersonalCredit);
        Self {
            subject: if hidden {
                entry.subject.masked()
            } else {
                entry.subject.as_str().to_owned()
            },
            kind: entry.subject.kind(),
            name: if hidden {
                mask_name(&entry.subject_name)
            } else {
                entry.subject_name.clone()
            },
            list: entry.list_type,
            list_name: entry.list_type.name_zh(),
            listed_on: entry.listed_on,
            valid_until: entry.valid_until,
            effective_until: entry.effective_until(),
            removed_on: entry.removed_on,
            in_force: entry.counts_on(today()),
            authority: entry.authority.clone(),
            reason: if hidden {
                "（个人信息，无权查看）".to_owned()
            } else {
                entry.reason.clone()
            },
            ref_no: if hidden {
                String::new()
            } else {
                entry.ref_no.clone()
            },
            severity: entry.severity.map(|s| s.as_str().to_owned()),
            source: entry.source.clone(),
        }
    }
}

/// `张**`: the first character of a person's name.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Search parameters of the entries (page and API).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EntryQuery {
    /// An identifier (or its prefix) or part of a name.
    pub q: Option<String>,
    /// An exact identifier (API).
    pub subject: Option<String>,
    /// A list's code or Chinese name.
    pub list: Option<String>,
    /// `enterprise` or `person`.
    pub kind: Option<String>,
    /// Why a person is looked up (logged; default 信用记录查询).
    pub purpose: Option<String>,
}

/// The purpose logged when a person lookup gives none.
const DEFAULT_PURPOSE: &str = "信用记录查询";

/// The entries matching `query`, as `account` may see them.
///
/// An identifier is looked up exactly when it is a whole valid 居民身份证号码
/// (or the API's `subject`); any other identifier is a prefix of enterprises'
/// codes only, so that masked numbers cannot be rebuilt by narrowing a prefix.
/// Every person shown, masked or not, is written to the access log with the
/// account and the purpose.
pub async fn search_entries(
    state: &AppState,
    account: &Account,
    query: &EntryQuery,
) -> Result<Vec<EntryRow>> {
    if !account.may(Permission::CheckCredit) {
        return Err(Error::Forbidden);
    }
    let mut filter = EntryFilter {
        list_type: present(&query.list).map(ListType::parse).transpose()?,
        kind: present(&query.kind).map(SubjectKind::parse).transpose()?,
        ..EntryFilter::default()
    };
    let exact = match (present(&query.subject), present(&query.q)) {
        (Some(subject), _) => Some(subject.to_ascii_uppercase()),
        (None, Some(q)) => IdCardNo::parse(q).ok().map(|id| id.as_str().to_owned()),
        (None, None) => None,
    };
    let found = if let Some(exact) = exact {
        let mut all = state.db.credit_entries_of(vec![exact]).await?;
        all.retain(|e| {
            filter.list_type.is_none_or(|l| e.list_type == l)
                && filter.kind.is_none_or(|k| e.subject.kind() == k)
        });
        all
    } else {
        match present(&query.q) {
            Some(text) if text.chars().all(|c| c.is_ascii_alphanumeric()) => {
                if filter.kind == Some(SubjectKind::Person) {
                    return Err(Error::BadRequest(
                        "按身份证号查询个人须输入完整、有效的18位号码，不支持按号码前缀查询".into(),
                    ));
                }
                filter.kind = Some(SubjectKind::Enterprise);
                filter.subject_prefix = Some(text.to_owned());
            }
            Some(text) => filter.name = Some(text.to_owned()),
            None => {}
        }
        state.db.search_credit_entries(&filter, LIST_LIMIT).await?
    };
    let persons: Vec<Subject> = found
        .iter()
        .map(|e| e.subject)
        .filter(|s| s.kind() == SubjectKind::Person)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let what = if account.may(Permission::SeePersonalCredit) {
        "entries"
    } else {
        "entries (masked)"
    };
    let purpose = present(&query.purpose).unwrap_or(DEFAULT_PURPOSE);
    credit_flow::log_person_access(&state.db, &account.username, &persons, what, purpose).await?;
    Ok(found.iter().map(|e| EntryRow::of(e, account)).collect())
}

/// Search parameters of the matters catalogue.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MatterQuery {
    /// Part of the code or name.
    pub q: Option<String>,
    /// One domain.
    pub domain: Option<String>,
}

/// A matter as listed: its rule in words too.
#[derive(Debug, Clone, Serialize)]
pub struct MatterRow {
    /// The matter.
    #[serde(flatten)]
    pub matter: Matter,
    /// The rule in words.
    pub rule: String,
}

/// The matters matching `query`, by code.
pub async fn list_matters(state: &AppState, query: &MatterQuery) -> Result<Vec<MatterRow>> {
    let all = state.credit.matters(&state.db).await?;
    let text = present(&query.q);
    let domain = present(&query.domain);
    Ok(all
        .values()
        .filter(|m| domain.is_none_or(|d| m.domain == d))
        .filter(|m| {
            text.is_none_or(|t| {
                m.code.contains(t) || m.name.contains(t) || m.department.contains(t)
            })
        })
        .map(|m| MatterRow {
            rule: m.rule_text(),
            matter: m.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_but_the_first_character() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn dates_default_to_today_and_bad_ones_are_refused() {
        assert_eq!(as_of_date(None).ok(), Some(today()));
        assert_eq!(
            as_of_date(Some("2026-03-01")).ok(),
            NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        assert!(as_of_date(Some("2026-13-01")).is_err());
    }
}
