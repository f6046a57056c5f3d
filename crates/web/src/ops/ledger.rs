//! The audit ledger as the staff pages and the API both read it: a cached,
//! filtered listing and the verdict of an audit.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{Error, Result};
use crate::query::present;
use domain::account::Account;
use domain::ledger::LedgerEntry;
use service::audit::AuditReport;
use storage::WorkflowStore;

/// Entries per page.
pub const PAGE_SIZE: usize = 50;

/// Filters and cursor of the ledger listing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LedgerQuery {
    /// Action prefix, e.g. `plan.` or `result.published` (the page offers the codes in a select).
    pub action: Option<String>,
    /// Actor substring, e.g. `scjg.staff` (the page offers the actors in a select).
    pub actor: Option<String>,
    /// Only actions by accounts of this department (code).
    pub department: Option<String>,
    /// First day, local time (YYYY-MM-DD).
    pub from: Option<String>,
    /// Last day, local time (YYYY-MM-DD).
    pub to: Option<String>,
    /// Entries before this position (the previous page's `next`).
    pub before: Option<i64>,
    /// Page, from 1 (the staff page; the API pages with `before`).
    pub page: Option<usize>,
    /// Entries per page (1–500, default 50).
    pub limit: Option<usize>,
}

/// A page of the ledger, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerPage {
    /// The head position (entries in all).
    pub head: i64,
    /// The entries.
    pub items: Vec<LedgerEntry>,
    /// Pass as `before` for the next (older) page.
    pub next: Option<i64>,
    /// Entries matching the filters (all pages).
    pub matching: usize,
}

/// The whole ledger as last read, with the head position it was read at.
#[derive(Default)]
pub struct LedgerCache {
    read: Mutex<Option<(i64, Arc<Vec<LedgerEntry>>)>>,
}

impl LedgerCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(i64, Arc<Vec<LedgerEntry>>)>> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The whole ledger, read afresh only when it grew.
pub async fn all_entries(state: &AppState) -> Result<(i64, Arc<Vec<LedgerEntry>>)> {
    let (head, _) = state.db.ledger_head().await?;
    let cached = state
        .ledger
        .lock()
        .as_ref()
        .filter(|(at, _)| *at == head)
        .map(|(_, all)| all.clone());
    let all = match cached {
        Some(all) => all,
        None => {
            let all = Arc::new(state.db.ledger().await?);
            *state.ledger.lock() = Some((head, all.clone()));
            all
        }
    };
    Ok((head, all))
}

/// The ledger filters as a test on entries: the usernames of the asked
/// department's accounts are looked up once.
pub struct LedgerFilter {
    action: Option<String>,
    actor: Option<String>,
    actors: Option<BTreeSet<String>>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

impl LedgerFilter {
    /// The filter of `query` (dates checked; a department's accounts read).
    pub async fn of(state: &AppState, query: &LedgerQuery) -> Result<Self> {
        let day = |field: &str, text: &Option<String>| -> Result<Option<String>> {
            present(text)
                .map(|d| crate::ops::hotline::date(field, d).map(|d| d.to_string()))
                .transpose()
        };
        let (from, to) = (day("开始日期", &query.from)?, day("结束日期", &query.to)?);
        if let (Some(from), Some(to)) = (&from, &to)
            && to < from
        {
            return Err(Error::BadRequest(format!(
                "结束日期 {to} 早于开始日期 {from}"
            )));
        }
        let actors = match present(&query.department) {
            Some(department) => Some(
                state
                    .db
                    .list::<Account>(Some(("department", department)))
                    .await?
                    .into_iter()
                    .map(|a| a.username)
                    .collect(),
            ),
            None => None,
        };
        Ok(Self {
            action: present(&query.action).map(str::to_owned),
            actor: present(&query.actor).map(str::to_owned),
            actors,
            from,
            to,
            before: query.before,
        })
    }

    /// Whether `entry` passes.
    pub fn passes(&self, entry: &LedgerEntry) -> bool {
        // The local day of the entry: its time is stored in China time.
        let day = || {
            domain::ledger::local_time(&entry.at)
                .chars()
                .take(10)
                .collect::<String>()
        };
        self.before.is_none_or(|before| entry.seq < before)
            && self
                .action
                .as_deref()
                .is_none_or(|a| entry.action.starts_with(a))
            && self
                .actor
                .as_deref()
                .is_none_or(|a| entry.actor.contains(a))
            && self
                .actors
                .as_ref()
                .is_none_or(|actors| actors.contains(&entry.actor))
            && self
                .from
                .as_deref()
                .is_none_or(|from| day().as_str() >= from)
            && self.to.as_deref().is_none_or(|to| day().as_str() <= to)
    }
}

/// A page of ledger entries, newest first: after `before` (the API's
/// cursor), or page `page` of the matching entries.
pub async fn entries(state: &AppState, query: &LedgerQuery) -> Result<LedgerPage> {
    let (head, all) = all_entries(state).await?;
    let filter = LedgerFilter::of(state, query).await?;
    let limit = query.limit.unwrap_or(PAGE_SIZE).clamp(1, 500);
    let matching: Vec<&LedgerEntry> = all.iter().rev().filter(|e| filter.passes(e)).collect();
    let skip = query
        .page
        .unwrap_or(1)
        .max(1)
        .saturating_sub(1)
        .saturating_mul(limit);
    let items: Vec<LedgerEntry> = matching
        .iter()
        .skip(skip)
        .take(limit)
        .map(|e| (*e).clone())
        .collect();
    let next = if matching.len() > skip.saturating_add(items.len()) {
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(LedgerPage {
        head,
        items,
        next,
        matching: matching.len(),
    })
}

/// One line in Chinese: the verdict of an audit.
pub fn verdict(report: &AuditReport) -> String {
    if report.intact() {
        format!(
            "台账完整 (intact)：校验 {} 条台账记录、{} 行业务数据，未发现篡改",
            report.entries, report.rows
        )
    } else {
        format!(
            "发现 {} 处问题 (broken)：校验 {} 条台账记录、{} 行业务数据",
            report.breaks.len(),
            report.entries,
            report.rows
        )
    }
}
