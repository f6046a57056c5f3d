//! 台账锚点 (`/gongshi/ledger`): the audit ledger's head, recorded once a day
//! (and by `jianguan audit anchor`), published so that witnesses keep copies
//! outside the database. `jianguan audit verify --anchors FILE` proves that the
//! chain still extends every head they saved; a ledger rewritten and rehashed
//! behind the application's back fails it.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::error::Result;
use crate::pages::{Chrome, render};
use domain::ledger::Anchor;
use service::{self, audit};
use storage::WorkflowStore;

/// `/gongshi/ledger` and its JSON form.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/gongshi/ledger", get(page))
        .route("/gongshi/ledger.json", get(document))
}

/// How often serve checks whether today's anchor is recorded.
const ANCHOR_CHECK: Duration = Duration::from_secs(600);

/// Records the day's anchor at start and then within ten minutes of each new day (China time).
pub fn schedule_daily_anchor(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(ANCHOR_CHECK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match audit::daily_anchor(&state.db, service::now()).await {
                Ok(Some(anchor)) => {
                    tracing::info!(seq = anchor.seq, hash = %anchor.hash, "ledger anchor recorded")
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "the daily ledger anchor failed"),
            }
        }
    });
}

#[derive(Template)]
#[template(path = "public/ledger.html")]
struct Page {
    chrome: Chrome,
    latest: Option<Anchor>,
    /// Earlier anchors, newest first.
    earlier: Vec<Anchor>,
}

async fn page(State(state): State<Arc<AppState>>, viewer: MaybeUser) -> Result<Html<String>> {
    let mut anchors = state.db.anchors().await?;
    anchors.reverse();
    let latest = (!anchors.is_empty()).then(|| anchors.remove(0));
    render(&Page {
        chrome: Chrome::public(&viewer, "审计台账锚点"),
        latest,
        earlier: anchors,
    })
}

async fn document(State(state): State<Arc<AppState>>) -> Result<Response> {
    let anchors = state.db.anchors().await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"ledger-anchors.json\"",
            ),
        ],
        audit::anchors_document(&anchors),
    )
        .into_response())
}
