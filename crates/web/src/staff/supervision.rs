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
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render};
use domain::account::{Account, Permission};
use domain::inspection::{OutOfPlan, OutOfPlanReason};
use domain::rectification::Rectification;
use service::{self, results, supervision};
use storage::WorkflowStore;

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

/// The out-of-plan inspections the account may see, newest first.
pub async fn visible_out_of_plan(state: &AppState, account: &Account) -> Result<Vec<OutOfPlan>> {
    let mut list = scoped::<OutOfPlan>(state, account).await?;
    list.sort_by(|a, b| b.inspected_on.cmp(&a.inspected_on).then(b.id.cmp(&a.id)));
    Ok(list)
}

/// The notices the account may see, newest first.
pub async fn visible_notices(state: &AppState, account: &Account) -> Result<Vec<Rectification>> {
    let mut list = scoped::<Rectification>(state, account).await?;
    list.sort_by(|a, b| b.issued_at.cmp(&a.issued_at).then(b.id.cmp(&a.id)));
    Ok(list)
}

/// Every record for readers of all departments; the own department's for the
/// departmental roles; nothing for the others.
async fn scoped<D: storage::Document>(state: &AppState, account: &Account) -> Result<Vec<D>> {
    if account.reads_all() {
        Ok(state.db.list::<D>(None).await?)
    } else if let Some(department) = &account.department {
        Ok(state.db.list::<D>(Some(("department", department))).await?)
    } else {
        Ok(Vec::new())
    }
}

/// A notice, if the account may see it.
pub async fn visible_notice(
    state: &AppState,
    account: &Account,
    id: &str,
) -> Result<Rectification> {
    state
        .db
        .get::<Rectification>(id)
        .await?
        .filter(|n| account.sees_department(&n.department))
        .ok_or_else(|| Error::NotFound(format!("整改通知 {id} 不存在 (no such notice)")))
}

/// What registering an out-of-plan inspection takes.
#[derive(Debug, Deserialize)]
pub struct OutOfPlanInput {
    /// Department code (default: the account's).
    #[serde(default)]
    pub department: Option<String>,
    /// 统一社会信用代码.
    pub entity: String,
    /// 投诉举报, 上级交办, 涉安涉危 or 其他.
    pub reason: String,
    /// What happened.
    pub detail: String,
    /// The hotline work order, for a complaint.
    #[serde(default)]
    pub work_order: Option<String>,
    /// Date inspected (YYYY-MM-DD).
    pub inspected_on: NaiveDate,
    /// Certificate numbers, separated by commas, spaces or lines.
    pub inspectors: String,
}

/// Registers an out-of-plan inspection in the account's department.
pub async fn register(state: &AppState, user: &User, input: OutOfPlanInput) -> Result<OutOfPlan> {
    // Refuse roles that may never register before asking for a department.
    user.require(Permission::RegisterOutOfPlan)?;
    let department = input
        .department
        .filter(|d| !d.trim().is_empty())
        .or_else(|| user.account().department.clone())
        .ok_or_else(|| Error::BadRequest("请选择部门 (department required)".into()))?;
    user.require_in(Permission::RegisterOutOfPlan, &department)?;
    let reason = OutOfPlanReason::parse(&input.reason)?;
    let id =
        results::next_out_of_plan_id(&state.db, &department, input.inspected_on.year()).await?;
    let inspectors = split_inspectors(&input.inspectors);
    Ok(results::register_out_of_plan(
        &state.db,
        &id,
        &input.entity,
        &department,
        reason,
        &input.detail,
        input.work_order.filter(|w| !w.trim().is_empty()),
        input.inspected_on,
        inspectors,
        service::now(),
        &user.actor(),
    )
    .await?)
}

/// Certificate numbers separated by commas, spaces or lines.
pub fn split_inspectors(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What issuing a notice takes.
#[derive(Debug, Deserialize)]
pub struct NoticeInput {
    /// `out_of_plan:ID`, `result:ID` or `plan:ID`.
    pub subject: String,
    /// What must be rectified.
    pub requirement: String,
}

/// Issues a notice (司法局).
pub async fn issue(state: &AppState, user: &User, input: NoticeInput) -> Result<Rectification> {
    user.require(Permission::Rectify)?;
    Ok(supervision::issue(
        &state.db,
        &state.calendar.get(),
        input.subject.trim(),
        &input.requirement,
        service::now(),
        &user.actor(),
    )
    .await?)
}

/// What answering or reviewing a notice takes.
#[derive(Debug, Deserialize)]
pub struct NoteInput {
    /// The text.
    #[serde(default)]
    pub text: String,
    /// For a review: accept (销号) rather than send back.
    #[serde(default)]
    pub accept: Option<String>,
}

/// The department answers a notice.
pub async fn answer(
    state: &AppState,
    user: &User,
    id: &str,
    input: NoteInput,
) -> Result<Rectification> {
    let notice = visible_notice(state, user.account(), id).await?;
    user.require_in(Permission::RegisterOutOfPlan, &notice.department)?;
    Ok(supervision::answer(&state.db, id, &input.text, service::now(), &user.actor()).await?)
}

/// The supervisor accepts or sends back an answer.
pub async fn review(
    state: &AppState,
    user: &User,
    id: &str,
    input: NoteInput,
) -> Result<Rectification> {
    user.require(Permission::Rectify)?;
    let accept = input
        .accept
        .as_deref()
        .is_some_and(|a| matches!(a, "1" | "true" | "yes" | "on"));
    Ok(supervision::review(
        &state.db,
        id,
        accept,
        &input.text,
        service::now(),
        &user.actor(),
    )
    .await?)
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
    render(&Index {
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
}

async fn notice_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let notice = visible_notice(&state, user.account(), &id).await?;
    render(&NoticePage {
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
