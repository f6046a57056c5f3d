//! The public portal (公示平台) at `/gongshi`: no login. It shows only what is
//! published: published plans, published results, published draw records and
//! the verification page. Never risk classes, never unpublished rounds.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::response::Html;
use axum::routing::get;

use super::AppState;
use super::auth::MaybeUser;
use super::error::Result;
use super::pages::{Chrome, render};

/// The portal's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/gongshi", get(index))
}

#[derive(Template)]
#[template(path = "public/index.html")]
struct Index {
    chrome: Chrome,
}

async fn index(viewer: MaybeUser) -> Result<Html<String>> {
    render(&Index {
        chrome: Chrome::public(&viewer, "公示平台"),
    })
}
