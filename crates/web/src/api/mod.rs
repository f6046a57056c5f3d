//! The JSON API under `/api/v1`, with the same authorization as the pages
//! (session cookie with CSRF, or `Authorization: Bearer` token), errors as
//! `{"error": "…"}`, and its OpenAPI document at `/api/openapi.json`.
//!
//! Each area lists its operations ([`openapi::Operation`]) next to its
//! handlers; the OpenAPI document is built from those lists, and a test checks
//! that every listed operation answers.

pub mod credit;
pub mod credit_repair;
pub mod directories;
pub mod hotline;
pub mod openapi;
pub mod public;
pub mod supervision;
pub mod workflow;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::routing::get;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::Error;

/// A JSON request body. Unlike axum's `Json`, a bad body is an [`Error`]: a
/// JSON answer with a Chinese message naming what is wrong.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let text = String::from_request(request, state)
            .await
            .map_err(|e| Error::BadRequest(format!("请求体无法读取：{e}")))?;
        serde_json::from_str(&text)
            .map(JsonBody)
            .map_err(|e| Error::BadRequest(format!("请求体不是有效的 JSON 或缺少字段：{e}")))
    }
}

/// Every API route.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .merge(public::routes())
        .merge(workflow::routes())
        .merge(directories::routes())
        .merge(supervision::routes())
        .merge(credit_repair::routes())
        .merge(credit::routes())
        .merge(hotline::routes())
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
    all
}
