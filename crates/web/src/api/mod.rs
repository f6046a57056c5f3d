//! The JSON API under `/api/v1`, with the same authorization as the pages
//! (session cookie with CSRF, or `Authorization: Bearer` token), errors as
//! `{"error": "…"}`, and its OpenAPI document at `/api/openapi.json`.
//!
//! Each area lists its operations ([`openapi::Operation`]) next to its
//! handlers; the OpenAPI document is built from those lists, and a test checks
//! that every listed operation answers.

pub mod body;
pub mod credit;
pub mod credit_repair;
pub mod directories;
pub mod hotline;
pub mod licences;
pub mod openapi;
pub mod public;
pub mod supervision;
pub mod workflow;

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::AppState;
pub use body::JsonBody;

/// Every API route.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/openapi.json", get(document))
        .merge(public::routes())
        .merge(workflow::routes())
        .merge(directories::routes())
        .merge(supervision::routes())
        .merge(credit_repair::routes())
        .merge(credit::routes())
        .merge(hotline::routes())
        .merge(licences::routes())
}

/// `GET /api/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(openapi::build(&operations()))
}

/// Every documented operation, in the document's order.
pub fn operations() -> Vec<openapi::Operation> {
    let mut all = Vec::new();
    all.extend(public::operations());
    all.extend(workflow::operations());
    all.extend(directories::operations());
    all.extend(supervision::operations());
    all.extend(credit_repair::operations());
    all.extend(credit::operations());
    all.extend(hotline::operations());
    all.extend(licences::operations());
    all
}
