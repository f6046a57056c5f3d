//! The JSON API under `/api/v1`, with the same authorization as the pages
//! (session cookie with CSRF, or `Authorization: Bearer` token), errors as
//! `{"error": "…"}`, and its OpenAPI document at `/api/openapi.json`.
//!
//! Each area lists its operations ([`openapi::Operation`]) next to its
//! handlers; the OpenAPI document is built from those lists, and a test checks
//! that every listed operation answers.

pub mod directories;
pub mod openapi;
pub mod public;
pub mod supervision;
pub mod workflow;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::AppState;

/// Every API route.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .merge(public::routes())
        .merge(workflow::routes())
        .merge(directories::routes())
        .merge(supervision::routes())
}

/// Every documented operation, in the document's order.
pub fn operations() -> Vec<openapi::Operation> {
    let mut all = Vec::new();
    all.extend(public::operations());
    all.extend(workflow::operations());
    all.extend(directories::operations());
    all.extend(supervision::operations());
    all
}
