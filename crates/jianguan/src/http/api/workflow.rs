//! Staff API for plans, rounds, visits and results.

use std::sync::Arc;

use axum::Router;

use super::openapi::Operation;
use crate::http::AppState;

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
}

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    Vec::new()
}
