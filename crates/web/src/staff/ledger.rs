//! 审计台账 (/ledger): the hash-chained ledger, newest first, filtered by
//! action and actor; "立即校验" runs [`audit::verify`] as a background job and
//! offers the list of breaks. Needs [`Permission::AuditLedger`].
//!
//! The listing reads the ledger once per head position ([`LedgerCache`]): the
//! ledger only grows, so a page is cut from memory. Verification always reads
//! the database afresh.

use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::directories::Downloads;
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::jobs;
use crate::pages::{Chrome, render, url_encode};
use domain::account::Permission;
use domain::ledger::LedgerEntry;
use service::audit::{self, AuditReport};
use storage::WorkflowStore;

/// Entries per page.
const PAGE_SIZE: usize = 50;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ledger", get(index))
        .route("/ledger/verify", post(verify))
}

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

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
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

#[derive(Template)]
#[template(path = "staff/ledger.html")]
struct Index {
    chrome: Chrome,
    page: LedgerPage,
    action: String,
    actor: String,
    next_href: Option<String>,
    job: Option<u64>,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<LedgerQuery>,
) -> Result<Html<String>> {
    user.require(Permission::AuditLedger)?;
    let page = entries(&state, &query).await?;
    let action = present(&query.action).unwrap_or("").to_owned();
    let actor = present(&query.actor).unwrap_or("").to_owned();
    let next_href = page.next.map(|before| {
        format!(
            "/ledger?action={}&actor={}&before={before}",
            url_encode(&action),
            url_encode(&actor)
        )
    });
    render(&Index {
        chrome: Chrome::staff(&user, "审计台账", "/ledger"),
        page,
        action,
        actor,
        next_href,
        job: None,
    })
}

/// `POST /ledger/verify`: the audit as a job; its outcome is the verdict,
/// with the breaks (if any) offered as a CSV file.
async fn verify(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    user.require(Permission::AuditLedger)?;
    let owner = user.account().username.clone();
    let id = state.jobs.start("审计台账校验", &owner);
    let job_state = state.clone();
    jobs::spawn(&state, id, async move {
        let report = audit::verify(&job_state.db).await?;
        let mut message = verdict(&report);
        for found in report.breaks.iter().take(3) {
            message.push_str(&format!(
                "；#{} {}：{}",
                found.seq, found.subject, found.problem
            ));
        }
        if report.intact() {
            return Ok((message, None));
        }
        let path = Downloads::new_path("csv")?;
        write_breaks(&report, &path).map_err(Error::internal)?;
        let name = format!(
            "台账校验问题-{}.csv",
            domain::clock::now().format("%Y%m%d-%H%M%S")
        );
        let href = job_state.downloads.offer(&owner, path, &name)?;
        Ok((message, Some((href, "下载问题清单 (CSV)".to_owned()))))
    });
    let page = entries(&state, &LedgerQuery::default()).await?;
    render(&Index {
        chrome: Chrome::staff(&user, "审计台账", "/ledger"),
        page,
        action: String::new(),
        actor: String::new(),
        next_href: None,
        job: Some(id),
    })
}

fn write_breaks(
    report: &AuditReport,
    path: &std::path::Path,
) -> std::result::Result<(), csv::Error> {
    let mut file = std::fs::File::create(path)?;
    std::io::Write::write_all(&mut file, b"\xEF\xBB\xBF")?;
    let mut writer = csv::Writer::from_writer(file);
    writer.write_record(["台账序号", "对象", "问题"])?;
    for found in &report.breaks {
        let row = [
            found.seq.to_string(),
            found.subject.clone(),
            found.problem.clone(),
        ];
        writer.write_record(
            files::formula::guard_row(&row)
                .iter()
                .map(|cell| cell.as_bytes()),
        )?;
    }
    writer.flush()?;
    Ok(())
}
