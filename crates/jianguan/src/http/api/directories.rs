//! Staff API for the directories, reports and the ledger.

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
