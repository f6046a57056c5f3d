//! 行政执法公示 at `/gongshi/penalties`: decided penalty cases once published,
//! until their 撤回日期. A person appears by surname and 某, never by ID
//! number; a search never matches a person's name or number.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;

use service::enforcement::{PublicDecision, public_decisions};
use storage::PublicCaseFilter;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::error::Result;
use crate::pages::{Chrome, render, url_encode};
use crate::portal::RESULTS_PER_PAGE;
use crate::query::{SearchQuery, page_number};

/// The page's route.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/gongshi/penalties", get(page))
}

#[derive(Template)]
#[template(path = "public/penalties.html")]
struct Penalties {
    chrome: Chrome,
    q: String,
    total: u64,
    page: u64,
    pages: u64,
    decisions: Vec<PublicDecision>,
    previous: Option<String>,
    next: Option<String>,
}

async fn page(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Query(query): Query<SearchQuery>,
) -> Result<Html<String>> {
    let q = query.q.trim().chars().take(100).collect::<String>();
    let filter = PublicCaseFilter {
        text: (!q.is_empty()).then(|| q.clone()),
        department: None,
    };
    let per_page = RESULTS_PER_PAGE as u64;
    let today = domain::clock::today();
    let (_, total) = public_decisions(&state.db, &filter, today, 0, 0).await?;
    let pages = total.div_ceil(per_page).max(1);
    let page = (page_number(query.page.as_deref()) as u64).clamp(1, pages);
    let offset = u32::try_from((page - 1) * per_page).unwrap_or(u32::MAX);
    let (decisions, _) =
        public_decisions(&state.db, &filter, today, per_page as u32, offset).await?;
    let link = |page: u64| format!("/gongshi/penalties?q={}&page={page}", url_encode(&q));
    render(&Penalties {
        chrome: Chrome::public(&viewer, "行政执法公示"),
        total,
        page,
        pages,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        decisions,
        q,
    })
}
