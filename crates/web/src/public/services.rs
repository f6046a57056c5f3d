//! 办件查询与评价 (/gongshi/services/status): the page the QR code on a 受理凭证
//! opens. The query code (random, 32 hex digits) finds the application; the
//! page shows the matter, the stage and the due day, never the applicant's
//! identifier; a closed application can be rated once there (好差评).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render};
use domain::services::Review;
use service::window::{self as flow, WindowCase};

/// The portal's services routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/gongshi/services/status", get(status).post(rate))
}

/// The query of the status page.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// The query code.
    #[serde(default)]
    pub code: String,
}

/// What the status page shows: nothing that identifies the applicant.
pub struct PublicStatus {
    /// 办件编号.
    pub id: String,
    /// 事项名称.
    pub matter_name: String,
    /// 实施部门.
    pub department: String,
    /// 环节.
    pub stage: &'static str,
    /// 收件日期.
    pub received_on: String,
    /// 办结期限.
    pub due: String,
    /// 评价, once rated.
    pub review: Option<&'static str>,
    /// Whether it may be rated now.
    pub may_rate: bool,
}

fn public_status(case: &WindowCase) -> PublicStatus {
    PublicStatus {
        id: case.file.id.clone(),
        matter_name: case.file.matter_name.clone(),
        department: case.file.department.clone(),
        stage: case.file.stage.as_str(),
        received_on: case.application.received_at.format("%Y-%m-%d").to_string(),
        due: case.file.due.map_or_else(String::new, |d| d.to_string()),
        review: case.application.review.map(Review::as_str),
        may_rate: case.file.stage == domain::window::Stage::Closed
            && case.application.review.is_none(),
    }
}

#[derive(Template)]
#[template(path = "public/services_status.html")]
struct Page {
    chrome: Chrome,
    code: String,
    status: Option<PublicStatus>,
    reviews: &'static [Review],
}

async fn status(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Query(query): Query<StatusQuery>,
) -> Result<Html<String>> {
    let code: String = query.code.trim().chars().take(64).collect();
    let status = if code.is_empty() {
        None
    } else {
        flow::case_by_code(&state.db, &code)
            .await?
            .as_ref()
            .map(public_status)
    };
    render(&Page {
        chrome: Chrome::public(&viewer, "办件查询"),
        code,
        status,
        reviews: Review::ALL,
    })
}

/// The rating form.
#[derive(Debug, Deserialize)]
struct RateForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    review: String,
    #[serde(default)]
    comment: String,
}

async fn rate(State(state): State<Arc<AppState>>, Form(form): Form<RateForm>) -> Result<Redirect> {
    let case = flow::case_by_code(&state.db, &form.code)
        .await?
        .ok_or_else(|| Error::NotFound("查询码不正确".into()))?;
    let review =
        Review::parse(&form.review).map_err(|_| Error::BadRequest("请选择评价等级".into()))?;
    let calendar = state.calendar.get();
    flow::rate(
        &state.db,
        calendar.as_ref(),
        &case.file.id,
        review,
        &form.comment,
        "办件查询页（申请人）",
        domain::clock::now(),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/gongshi/services/status?code={}",
        case.file.query_code
    )))
}
