//! The audit ledger as the staff pages and the API both read it: a cached,
//! filtered listing and the verdict of an audit.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::Result;
use crate::query::present;
use domain::ledger::LedgerEntry;
use service::audit::AuditReport;
use storage::WorkflowStore;

/// Entries per page.
const PAGE_SIZE: usize = 50;

/// Filters and cursor of the ledger listing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LedgerQuery {
    /// Action prefix, e.g. `plan.` or `result.published`.
    pub action: Option<String>,
    /// Actor substring, e.g. `scjg.staff`.
    pub actor: Option<String>,
    /// Entries before this position (the previous page's `next`).
    pub before: Option<i64>,
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

/// A page of ledger entries, newest first.
pub async fn entries(state: &AppState, query: &LedgerQuery) -> Result<LedgerPage> {
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
    let action = present(&query.action);
    let actor = present(&query.actor);
    let limit = query.limit.unwrap_or(PAGE_SIZE).clamp(1, 500);
    let mut matching = all
        .iter()
        .rev()
        .filter(|e| query.before.is_none_or(|before| e.seq < before))
        .filter(|e| action.is_none_or(|a| e.action.starts_with(a)))
        .filter(|e| actor.is_none_or(|a| e.actor.contains(a)));
    let items: Vec<LedgerEntry> = matching.by_ref().take(limit).cloned().collect();
    let next = if matching.next().is_some() {
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(LedgerPage { head, items, next })
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
