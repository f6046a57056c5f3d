//! 审计台账 (/ledger): the hash-chained ledger, newest first, filtered by
//! action and actor; "立即校验" runs [`audit::verify`] as a background job and
//! offers the list of breaks. Needs [`Permission::AuditLedger`].
//!
//! The listing reads the ledger once per head position ([`LedgerCache`]): the
//! ledger only grows, so a page is cut from memory. Verification always reads
//! the database afresh.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::{get, post};

use super::directories::Downloads;
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::jobs;
use crate::ops::ledger::{LedgerPage, LedgerQuery, entries, verdict};
use crate::pages::{Chrome, render, url_encode};
use crate::query::present;
use domain::account::Permission;
use service::audit::{self, AuditReport};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ledger", get(index))
        .route("/ledger/verify", post(verify))
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
