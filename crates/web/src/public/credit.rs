//! 信用信息公示 (/gongshi/credit): the enterprises' bad-credit entries (严重失信
//! 主体名单, 行政处罚, 经营异常名录) published today, searchable by name or
//! 统一社会信用代码.
//!
//! Published means: counting today (listed, within its validity and the
//! severity's maximum period) and not removed (repaired). Persons' entries are
//! never shown: the search asks the store for enterprises only, and each entry
//! is checked again before it is shown.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use chrono::NaiveDate;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::error::Result;
use crate::pages::{Chrome, render};
use crate::portal::credit::{PublicEntry, SHOWN, search};
use crate::query::SearchQuery;

/// The portal's credit routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/gongshi/credit", get(page))
}

#[derive(Template)]
#[template(path = "public/credit.html")]
struct Page {
    chrome: Chrome,
    q: String,
    today: NaiveDate,
    entries: Vec<PublicEntry>,
    shown_at_most: usize,
}

async fn page(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Query(query): Query<SearchQuery>,
) -> Result<Html<String>> {
    let today = service::now().date_naive();
    render(&Page {
        chrome: Chrome::public(&viewer, "信用信息公示"),
        entries: search(&state.db, &query.q, today).await?,
        q: query.q.trim().to_owned(),
        today,
        shown_at_most: SHOWN,
    })
}
