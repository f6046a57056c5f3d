//! API of credit repair and expiry (the same functions as the `/credit/repair`
//! pages, and `service::credit_repair::{expiring, ended}`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::body::JsonBody;
use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::credit_repair::{self as pages, REVIEW, RequestInput, ReviewInput};
use crate::portal::credit::{self as public_credit, PublicEntry};
use domain::credit_repair::RepairRequest;
use service::{self, credit_repair};

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/credit/repairs", get(list).post(file))
        .route("/api/v1/credit/repairs/{id}", get(one))
        .route("/api/v1/credit/repairs/{id}/review", post(review))
        .route("/api/v1/credit/expiry", get(expiry))
        .route("/api/v1/public/credit", get(published))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
}

async fn list(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<RepairRequest>>> {
    let status = pages::status_filter(&query.status)?;
    Ok(Json(pages::visible_requests(&state, &user, status).await?))
}

async fn one(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<RepairRequest>> {
    Ok(Json(pages::visible_request(&state, &user, &id).await?))
}

async fn file(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(input): JsonBody<RequestInput>,
) -> Result<Json<RepairRequest>> {
    Ok(Json(pages::request(&state, &user, input).await?))
}

async fn review(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ReviewInput>,
) -> Result<Json<RepairRequest>> {
    Ok(Json(pages::review(&state, &user, &id, input).await?))
}

#[derive(Debug, Deserialize)]
struct ExpiryQuery {
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    within: Option<String>,
}

/// What `GET /api/v1/credit/expiry` answers.
#[derive(Debug, Serialize)]
struct Expiry {
    as_of: NaiveDate,
    within_days: u32,
    expiring: Vec<credit_repair::ExpiryLine>,
    ended: Vec<credit_repair::ExpiryLine>,
}

async fn expiry(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ExpiryQuery>,
) -> Result<Json<Expiry>> {
    user.require(REVIEW)?;
    let as_of = match query
        .as_of
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => text.parse().map_err(|_| {
            Error::BadRequest(format!("as_of 应为日期 YYYY-MM-DD，而不是 {text:?}"))
        })?,
        None => service::now().date_naive(),
    };
    let within_days = match query
        .within
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => text
            .parse()
            .map_err(|_| Error::BadRequest(format!("within 应为天数，而不是 {text:?}")))?,
        None => 30,
    };
    Ok(Json(Expiry {
        as_of,
        within_days,
        expiring: credit_repair::expiring(&state.db, as_of, within_days).await?,
        ended: credit_repair::ended(&state.db, as_of, within_days).await?,
    }))
}

#[derive(Debug, Deserialize)]
struct PublishedQuery {
    #[serde(default)]
    q: String,
}

async fn published(
    State(state): State<Arc<AppState>>,
    Query(query): Query<PublishedQuery>,
) -> Result<Json<Vec<PublicEntry>>> {
    Ok(Json(
        public_credit::search(&state.db, &query.q, service::now().date_naive()).await?,
    ))
}

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let request = json!({"type": "object", "properties": {
        "id": {"type": "string"},
        "entry": {"type": "object", "properties": {
            "subject": {"type": "string"}, "list_type": {"type": "string", "enum": ["blacklist", "abnormal", "penalty"]},
            "listed_on": {"type": "string", "format": "date"}, "ref_no": {"type": "string"}}},
        "subject_name": {"type": "string"}, "person": {"type": "boolean"}, "authority": {"type": "string"},
        "department": {"type": "string"}, "applicant": {"type": "string"}, "statement": {"type": "string"},
        "requested_on": {"type": "string", "format": "date"}, "severity": {"type": "string", "enum": ["轻微", "一般", "严重"]},
        "opens_on": {"type": "string", "format": "date"}, "status": {"type": "string", "enum": ["待审核", "已修复", "已驳回"]},
        "review": {"type": "object", "properties": {
            "reviewer": {"type": "string"}, "reviewed_on": {"type": "string", "format": "date"}, "reason": {"type": "string"},
            "severity_assigned": {"type": "string"}}}}});
    let line = json!({"type": "object", "properties": {
        "subject": {"type": "string"}, "subject_kind": {"type": "string", "enum": ["enterprise", "person"]},
        "subject_name": {"type": "string"}, "list_type": {"type": "string"}, "listed_on": {"type": "string", "format": "date"},
        "ref_no": {"type": "string"}, "severity": {"type": "string"}, "decided_on": {"type": "string", "format": "date"},
        "last_day": {"type": "string", "format": "date"}, "ends_by": {"type": "string", "enum": ["severity", "valid_until"]}}});
    let id = || {
        vec![param(
            "id",
            "path",
            true,
            "信用修复申请编号",
            "XF-2026-0001",
        )]
    };
    vec![
        Operation {
            method: "get",
            path: "/api/v1/credit/repairs",
            summary: "信用修复申请（信用办看全部；部门看本部门认定的企业信息）",
            tag: "credit",
            access: Access::LoggedIn,
            params: vec![param(
                "status",
                "query",
                false,
                "待审核、已修复或已驳回",
                "待审核",
            )],
            body: None,
            response: json!({"type": "array", "items": request}),
        },
        Operation {
            method: "post",
            path: "/api/v1/credit/repairs",
            summary: "登记信用修复申请（申请日期为今天；最短公示期未满时拒绝并给出可申请日期）",
            tag: "credit",
            access: Access::Permission(REVIEW),
            params: vec![],
            body: Some(
                json!({"type": "object", "required": ["subject", "list_type", "listed_on", "ref_no", "statement"], "properties": {
                "subject": {"type": "string", "example": "91420200MA4AUTHZ0X"},
                "list_type": {"type": "string", "enum": ["penalty", "abnormal", "blacklist"]},
                "listed_on": {"type": "string", "format": "date", "example": "2026-01-05"},
                "ref_no": {"type": "string", "example": "黄市监罚〔2026〕1号"},
                "applicant": {"type": "string", "example": "张三（法定代表人）"},
                "statement": {"type": "string", "example": "已全额缴纳罚款并完成整改，承诺守法经营。"}}}),
            ),
            response: request.clone(),
        },
        Operation {
            method: "get",
            path: "/api/v1/credit/repairs/{id}",
            summary: "一份信用修复申请",
            tag: "credit",
            access: Access::LoggedIn,
            params: id(),
            body: None,
            response: request.clone(),
        },
        Operation {
            method: "post",
            path: "/api/v1/credit/repairs/{id}/review",
            summary: "审核信用修复申请：approve（自今日起不再公示）或 reject",
            tag: "credit",
            access: Access::Permission(REVIEW),
            params: id(),
            body: Some(
                json!({"type": "object", "required": ["decision"], "properties": {
                "decision": {"type": "string", "enum": ["reject", "approve"]},
                "reason": {"type": "string", "example": "材料不全"},
                "severity": {"type": "string", "enum": ["", "轻微", "一般", "严重"], "description": "未定级信息的严重程度"}}}),
            ),
            response: request,
        },
        Operation {
            method: "get",
            path: "/api/v1/public/credit",
            summary: "信用信息公示：企业在公示期内的严重失信主体名单、行政处罚、经营异常名录信息（不含自然人、已修复、已到期）",
            tag: "public",
            access: Access::Public,
            params: vec![param(
                "q",
                "query",
                true,
                "企业名称中的字词或统一社会信用代码开头",
                "91420200",
            )],
            body: None,
            response: json!({"type": "array", "items": {"type": "object", "properties": {
                "subject": {"type": "string"}, "subject_name": {"type": "string"}, "list_name": {"type": "string"},
                "listed_on": {"type": "string", "format": "date"}, "authority": {"type": "string"}, "reason": {"type": "string"},
                "ref_no": {"type": "string"}, "published_until": {"type": ["string", "null"], "format": "date"}}}}),
        },
        Operation {
            method: "get",
            path: "/api/v1/credit/expiry",
            summary: "即将到期停止公示的信息（within 天内）和近期已到期停止公示的信息",
            tag: "credit",
            access: Access::Permission(REVIEW),
            params: vec![
                param(
                    "as_of",
                    "query",
                    false,
                    "基准日期（默认今天）",
                    "2026-12-01",
                ),
                param("within", "query", false, "天数（默认 30）", "30"),
            ],
            body: None,
            response: json!({"type": "object", "properties": {
                "as_of": {"type": "string", "format": "date"}, "within_days": {"type": "integer"},
                "expiring": {"type": "array", "items": line.clone()}, "ended": {"type": "array", "items": line}}}),
        },
    ]
}
