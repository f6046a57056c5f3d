//! 执法监督 (/supervision): the out-of-plan register (计划外检查) with the
//! cases flagged to the Justice Bureau, and rectification notices (整改通知):
//! issued by a supervisor, answered by the department, accepted or sent back.
//!
//! The functions without `_page` are shared with the API (`api/supervision.rs`).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::names::Names;
use crate::ops::supervision::{
    NoteInput, NoticeInput, OutOfPlanInput, answer, issue, register, review, visible_notice,
    visible_notices, visible_out_of_plan,
};
use crate::pages::{Chrome, render};
use domain::account::Permission;
use domain::inspection::{OutOfPlan, OutOfPlanReason};
use domain::rectification::Rectification;
use service::{self};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/supervision", get(index))
        .route("/supervision/out-of-plan", post(register_page))
        .route("/supervision/notices", post(issue_page))
        .route("/supervision/notices/{id}", get(notice_page))
        .route("/supervision/notices/{id}/answer", post(answer_page))
        .route("/supervision/notices/{id}/review", post(review_page))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    flagged: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/supervision.html")]
struct Index {
    chrome: Chrome,
    out_of_plan: Vec<OutOfPlan>,
    notices: Vec<Rectification>,
    /// Notices whose due date rests on a provisional calendar year (暂定).
    provisional: Vec<String>,
    today: NaiveDate,
    flagged_only: bool,
    may_register: bool,
    may_rectify: bool,
    reasons: &'static [OutOfPlanReason],
    department: String,
    names: Names,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>> {
    let account = user.account();
    let flagged_only = query.flagged.is_some_and(|f| !f.is_empty() && f != "0");
    let mut out_of_plan = visible_out_of_plan(&state, account).await?;
    if flagged_only {
        out_of_plan.retain(|o| o.flagged);
    }
    let notices = visible_notices(&state, account).await?;
    let calendar = state.calendar.get();
    let provisional = notices
        .iter()
        .filter(|n| calendar.is_provisional_span(n.issued_at.date_naive(), n.due))
        .map(|n| n.id.clone())
        .collect();
    let entities: Vec<&str> = out_of_plan.iter().map(|o| o.entity.as_str()).collect();
    let inspectors: Vec<&str> = out_of_plan
        .iter()
        .flat_map(|o| &o.inspectors)
        .map(String::as_str)
        .collect();
    let names = Names::load(&state, &entities, &inspectors).await?;
    render(&Index {
        names,
        out_of_plan,
        notices,
        provisional,
        today: service::now().date_naive(),
        flagged_only,
        may_register: account
            .department
            .as_deref()
            .is_some_and(|d| account.may_in(Permission::RegisterOutOfPlan, d)),
        may_rectify: account.may(Permission::Rectify),
        reasons: OutOfPlanReason::ALL,
        department: account.department.clone().unwrap_or_default(),
        chrome: Chrome::staff(&user, "执法监督", "/supervision"),
    })
}

async fn register_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(input): Form<OutOfPlanInput>,
) -> Result<Redirect> {
    register(&state, &user, input).await?;
    Ok(Redirect::to("/supervision"))
}

async fn issue_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(input): Form<NoticeInput>,
) -> Result<Redirect> {
    let notice = issue(&state, &user, input).await?;
    Ok(Redirect::to(&format!("/supervision/notices/{}", notice.id)))
}

#[derive(Template)]
#[template(path = "staff/supervision_notice.html")]
struct NoticePage {
    chrome: Chrome,
    notice: Rectification,
    today: NaiveDate,
    /// The due date rests on a provisional calendar year (暂定).
    provisional: bool,
    may_answer: bool,
    may_review: bool,
    names: Names,
}

async fn notice_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let notice = visible_notice(&state, user.account(), &id).await?;
    let names = Names::directories(&state).await?;
    render(&NoticePage {
        names,
        may_answer: user
            .account()
            .may_in(Permission::RegisterOutOfPlan, &notice.department),
        may_review: user.account().may(Permission::Rectify),
        today: service::now().date_naive(),
        provisional: state
            .calendar
            .get()
            .is_provisional_span(notice.issued_at.date_naive(), notice.due),
        chrome: Chrome::staff(&user, format!("整改通知 {id}"), "/supervision"),
        notice,
    })
}

async fn answer_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(input): Form<NoteInput>,
) -> Result<Redirect> {
    answer(&state, &user, &id, input).await?;
    Ok(Redirect::to(&format!("/supervision/notices/{id}")))
}

async fn review_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(input): Form<NoteInput>,
) -> Result<Redirect> {
    review(&state, &user, &id, input).await?;
    Ok(Redirect::to(&format!("/supervision/notices/{id}")))
}
