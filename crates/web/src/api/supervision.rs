//! API of the supervision of enforcement: the out-of-plan register and
//! rectification notices (the same functions as the `/supervision` pages).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::body::JsonBody;
use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::supervision::{self as pages, NoteInput, NoticeInput, OutOfPlanInput};
use domain::account::Permission;
use domain::inspection::OutOfPlan;
use domain::rectification::Rectification;

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/out-of-plan", get(list_out_of_plan).post(register))
        .route("/api/v1/rectifications", get(list_notices).post(issue))
        .route("/api/v1/rectifications/{id}", get(notice))
        .route("/api/v1/rectifications/{id}/answer", post(answer))
        .route("/api/v1/rectifications/{id}/review", post(review))
}

async fn list_out_of_plan(
    State(state): State<Arc<AppState>>,
    user: User,
) -> Result<Json<Vec<OutOfPlan>>> {
    Ok(Json(
        pages::visible_out_of_plan(&state, user.account()).await?,
    ))
}

async fn register(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(input): JsonBody<OutOfPlanInput>,
) -> Result<Json<OutOfPlan>> {
    Ok(Json(pages::register(&state, &user, input).await?))
}

async fn list_notices(
    State(state): State<Arc<AppState>>,
    user: User,
) -> Result<Json<Vec<Rectification>>> {
    Ok(Json(pages::visible_notices(&state, user.account()).await?))
}

async fn notice(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Rectification>> {
    Ok(Json(
        pages::visible_notice(&state, user.account(), &id).await?,
    ))
}

async fn issue(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(input): JsonBody<NoticeInput>,
) -> Result<Json<Rectification>> {
    Ok(Json(pages::issue(&state, &user, input).await?))
}

async fn answer(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<NoteInput>,
) -> Result<Json<Rectification>> {
    Ok(Json(pages::answer(&state, &user, &id, input).await?))
}

async fn review(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<NoteInput>,
) -> Result<Json<Rectification>> {
    Ok(Json(pages::review(&state, &user, &id, input).await?))
}

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let out_of_plan = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "entity": {"type": "string"}, "department": {"type": "string"},
        "reason": {"type": "string", "enum": ["投诉举报", "上级交办", "涉安涉危", "其他"]},
        "detail": {"type": "string"}, "work_order": {"type": "string"}, "inspected_on": {"type": "string", "format": "date"},
        "inspectors": {"type": "array", "items": {"type": "string"}}, "flagged": {"type": "boolean"}}});
    let notice = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "subject": {"type": "string", "description": "监督对象 KIND:ID"}, "department": {"type": "string"},
        "finding": {"type": "string"}, "requirement": {"type": "string"}, "due": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["待整改", "已反馈", "已销号"]}}});
    let note = json!({"type": "object", "properties": {"text": {"type": "string"}, "accept": {"type": "string", "enum": ["1", "0"]}}});
    let id = || vec![param("id", "path", true, "整改通知编号", "ZG-2025-0001")];
    vec![
        Operation {
            method: "get",
            path: "/api/v1/out-of-plan",
            summary: "计划外检查登记（本部门；监督角色看全部）",
            tag: "supervision",
            access: Access::LoggedIn,
            params: vec![],
            body: None,
            response: json!({"type": "array", "items": out_of_plan}),
        },
        Operation {
            method: "post",
            path: "/api/v1/out-of-plan",
            summary: "登记计划外检查（理由为“其他”时提示司法局）",
            tag: "supervision",
            access: Access::Permission(Permission::RegisterOutOfPlan),
            params: vec![],
            body: Some(
                json!({"type": "object", "required": ["entity", "reason", "detail", "inspected_on", "inspectors"], "properties": {
                "department": {"type": "string"}, "entity": {"type": "string"}, "reason": {"type": "string"},
                "detail": {"type": "string"}, "work_order": {"type": "string"}, "inspected_on": {"type": "string", "format": "date"},
                "inspectors": {"type": "string", "description": "执法证号，逗号分隔"}}}),
            ),
            response: out_of_plan,
        },
        Operation {
            method: "get",
            path: "/api/v1/rectifications",
            summary: "整改通知（本部门；监督角色看全部）",
            tag: "supervision",
            access: Access::LoggedIn,
            params: vec![],
            body: None,
            response: json!({"type": "array", "items": notice}),
        },
        Operation {
            method: "post",
            path: "/api/v1/rectifications",
            summary: "下发整改通知（司法局）",
            tag: "supervision",
            access: Access::Permission(Permission::Rectify),
            params: vec![],
            body: Some(
                json!({"type": "object", "required": ["subject", "requirement"], "properties": {
                "subject": {"type": "string", "description": "监督对象 KIND:ID（也可用 kind 与 id 两项代替）"},
                "kind": {"type": "string", "enum": ["out_of_plan", "overdue_result", "hotline_order", "case_finding", "review_file"]},
                "id": {"type": "string", "description": "监督对象编号"},
                "department": {"type": "string", "description": "整改部门（案件认定、评查案卷须填）"},
                "finding": {"type": "string", "description": "发现的问题（默认按对象现状生成）"},
                "requirement": {"type": "string"}}}),
            ),
            response: notice.clone(),
        },
        Operation {
            method: "get",
            path: "/api/v1/rectifications/{id}",
            summary: "一份整改通知",
            tag: "supervision",
            access: Access::LoggedIn,
            params: id(),
            body: None,
            response: notice.clone(),
        },
        Operation {
            method: "post",
            path: "/api/v1/rectifications/{id}/answer",
            summary: "部门反馈整改情况",
            tag: "supervision",
            access: Access::Permission(Permission::RegisterOutOfPlan),
            params: id(),
            body: Some(note.clone()),
            response: notice.clone(),
        },
        Operation {
            method: "post",
            path: "/api/v1/rectifications/{id}/review",
            summary: "司法局审核：销号（accept=1）或退回",
            tag: "supervision",
            access: Access::Permission(Permission::Rectify),
            params: id(),
            body: Some(note),
            response: notice,
        },
    ]
}
