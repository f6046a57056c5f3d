//! 抽查批次 (/rounds).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::response::Html;
use axum::routing::get;

use crate::http::AppState;
use crate::http::auth::User;
use crate::http::error::Result;
use crate::http::pages::{Chrome, render};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/rounds", get(index))
}

#[derive(Template)]
#[template(path = "staff/rounds.html")]
struct Index {
    chrome: Chrome,
}

async fn index(user: User) -> Result<Html<String>> {
    render(&Index {
        chrome: Chrome::staff(&user, "抽查批次", "/rounds"),
    })
}
