//! 信用修复 (/credit/repair): the repair requests, the form the credit office
//! files a request with, and its review form (approve: the entry stops counting
//! from the review date; reject: it stays).
//!
//! Who sees what: the credit office every request; city-wide readers (the
//! system administrator, supervisors) every enterprise's request; departmental
//! accounts the requests for enterprises' entries their department listed (the
//! entry's authority names the department by code or name). Persons' requests
//! only the credit office. Only the credit office files and reviews.
//!
//! The functions without `_page` are shared with the API (`api/credit_repair.rs`).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::credit_repair::{
    REVIEW, RequestInput, ReviewInput, request, review, status_filter, visible_request,
    visible_requests,
};
use crate::pages::{Chrome, render};
use domain::credit::Severity;
use domain::credit_repair::{REPAIRABLE, RepairRequest, RepairStatus};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/credit/repair", get(index).post(request_page))
        .route("/credit/repair/{id}", get(show_page))
        .route("/credit/repair/{id}/review", post(review_page))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "staff/credit_repair.html")]
struct Index {
    chrome: Chrome,
    requests: Vec<RepairRequest>,
    status: String,
    statuses: &'static [RepairStatus],
    lists: Vec<(&'static str, &'static str)>,
    may_review: bool,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>> {
    let status = status_filter(&query.status)?;
    render(&Index {
        requests: visible_requests(&state, &user, status).await?,
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        statuses: RepairStatus::ALL,
        lists: REPAIRABLE
            .iter()
            .map(|l| (l.as_str(), l.name_zh()))
            .collect(),
        may_review: user.account().may(REVIEW),
        chrome: Chrome::staff(&user, "信用修复", "/credit/repair"),
    })
}

async fn request_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(input): Form<RequestInput>,
) -> Result<Redirect> {
    let filed = request(&state, &user, input).await?;
    Ok(Redirect::to(&format!("/credit/repair/{}", filed.id)))
}

#[derive(Template)]
#[template(path = "staff/credit_repair_show.html")]
struct Show {
    chrome: Chrome,
    request: RepairRequest,
    may_review: bool,
    severities: &'static [Severity],
}

async fn show_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let request = visible_request(&state, &user, &id).await?;
    render(&Show {
        may_review: user.account().may(REVIEW),
        severities: Severity::ALL,
        chrome: Chrome::staff(&user, format!("信用修复申请 {id}"), "/credit/repair"),
        request,
    })
}

async fn review_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(input): Form<ReviewInput>,
) -> Result<Redirect> {
    review(&state, &user, &id, input).await?;
    Ok(Redirect::to(&format!("/credit/repair/{id}")))
}
