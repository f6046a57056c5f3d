//! API of credit verification (信用核查): single and batch checks, the matters
//! catalogue and a subject's entries (the same functions as the `/credit` pages).
//! The single check is the fast path ([`pages::check_one`]); every check is logged.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::credit::{self as pages, EntryQuery, EntryRow, MatterQuery, MatterRow};
use domain::account::Permission;
use files::credit::Applicant;

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/credit/check", post(check))
        .route("/api/v1/credit/check/batch", post(check_batch))
        .route("/api/v1/credit/matters", get(matters))
        .route("/api/v1/credit/entries", get(entries))
}

/// `POST /api/v1/credit/check`.
#[derive(Debug, Deserialize)]
struct CheckInput {
    matter: String,
    id: String,
    as_of: Option<String>,
}

async fn check(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(input): JsonBody<CheckInput>,
) -> Result<Json<Value>> {
    let account = user.require(Permission::CheckCredit)?;
    let matter = state.credit.matter(&state.db, &input.matter).await?;
    let as_of = pages::as_of_date(input.as_of.as_deref())?;
    let mut result = pages::check_one(&state, account, &matter, &input.id, as_of).await?;
    pages::disclose(
        &state,
        account,
        std::slice::from_mut(&mut result),
        &matter.code,
    )
    .await?;
    Ok(Json(pages::result_json(&matter, &result)))
}

/// One applicant of `POST /api/v1/credit/check/batch`.
#[derive(Debug, Deserialize)]
struct ApplicantInput {
    id: String,
    name: Option<String>,
}

/// `POST /api/v1/credit/check/batch`.
#[derive(Debug, Deserialize)]
struct BatchInput {
    matter: String,
    as_of: Option<String>,
    applicants: Vec<ApplicantInput>,
}

async fn check_batch(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(input): JsonBody<BatchInput>,
) -> Result<Json<Value>> {
    let account = user.require(Permission::CheckCredit)?;
    if input.applicants.is_empty() {
        return Err(Error::BadRequest("applicants 不能为空".into()));
    }
    let matter = state.credit.matter(&state.db, &input.matter).await?;
    let as_of = pages::as_of_date(input.as_of.as_deref())?;
    let applicants: Vec<Applicant> = input
        .applicants
        .into_iter()
        .enumerate()
        .map(|(index, a)| Applicant {
            id: a.id,
            name: a.name,
            row: index + 1,
        })
        .collect();
    let mut report = pages::check_batch(&state, account, &matter, &applicants, as_of).await?;
    pages::disclose(&state, account, &mut report.results, &matter.code).await?;
    Ok(Json(report.to_json()))
}

async fn matters(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<MatterQuery>,
) -> Result<Json<Vec<MatterRow>>> {
    user.require(Permission::CheckCredit)?;
    Ok(Json(pages::list_matters(&state, &query).await?))
}

async fn entries(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<EntryQuery>,
) -> Result<Json<Vec<EntryRow>>> {
    let account = user.require(Permission::CheckCredit)?;
    Ok(Json(pages::search_entries(&state, account, &query).await?))
}

/// An example matter code of the demo catalogue.
const EXAMPLE_MATTER: &str = "GWY-001";
/// An example 统一社会信用代码.
const EXAMPLE_ID: &str = "91420200MA4KLTGX86";

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let hit = json!({"type": "object", "properties": {
        "list": {"type": "string", "description": "名单中文名，如 严重失信主体名单"},
        "list_code": {"type": "string", "enum": ["blacklist", "redlist", "abnormal", "penalty", "licence"]},
        "effect": {"type": "string", "enum": ["block", "warn", "reward"]},
        "listed_on": {"type": "string", "format": "date"},
        "valid_until": {"type": ["string", "null"], "format": "date"},
        "authority": {"type": "string"}, "reason": {"type": "string"}, "ref_no": {"type": "string"}}});
    let outcome =
        json!({"type": "string", "enum": ["block", "warn", "reward", "clear", "invalid"]});
    let result = json!({"type": "object", "required": ["id", "outcome", "hits"], "properties": {
        "matter": {"type": "string"}, "id": {"type": "string"}, "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["enterprise", "person"]},
        "outcome": outcome, "reason": {"type": "string", "description": "号码无效的原因"},
        "hits": {"type": "array", "items": hit}}});
    let matter = json!({"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "domain": {"type": "string"}, "department": {"type": "string"},
        "block": {"type": "array", "items": {"type": "string"}}, "warn": {"type": "array", "items": {"type": "string"}},
        "reward": {"type": "array", "items": {"type": "string"}}, "rule": {"type": "string"}}});
    let entry = json!({"type": "object", "properties": {
        "subject": {"type": "string", "description": "代码或号码（个人无权限时脱敏）"}, "kind": {"type": "string"},
        "name": {"type": "string"}, "list": {"type": "string"}, "list_name": {"type": "string"},
        "listed_on": {"type": "string", "format": "date"}, "valid_until": {"type": ["string", "null"]},
        "effective_until": {"type": ["string", "null"]}, "removed_on": {"type": ["string", "null"]},
        "in_force": {"type": "boolean"}, "authority": {"type": "string"}, "reason": {"type": "string"},
        "ref_no": {"type": "string"}, "severity": {"type": ["string", "null"]}, "source": {"type": "string"}}});
    vec![
        Operation {
            method: "post",
            path: "/api/v1/credit/check",
            summary: "单个信用核查：事项 + 统一社会信用代码或身份证号码 → 结果、命中记录（记入核查日志）",
            tag: "credit",
            access: Access::Permission(Permission::CheckCredit),
            params: vec![],
            body: Some(
                json!({"type": "object", "required": ["matter", "id"], "properties": {
                "matter": {"type": "string", "example": EXAMPLE_MATTER},
                "id": {"type": "string", "example": EXAMPLE_ID},
                "as_of": {"type": "string", "format": "date", "description": "核查日期，默认今天"}},
                "example": {"matter": EXAMPLE_MATTER, "id": EXAMPLE_ID}}),
            ),
            response: result.clone(),
        },
        Operation {
            method: "post",
            path: "/api/v1/credit/check/batch",
            summary: "批量信用核查：与命令行 credit check --json 相同的结果（按输入顺序）",
            tag: "credit",
            access: Access::Permission(Permission::CheckCredit),
            params: vec![],
            body: Some(
                json!({"type": "object", "required": ["matter", "applicants"], "properties": {
                "matter": {"type": "string"}, "as_of": {"type": "string", "format": "date"},
                "applicants": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}}}}},
                "example": {"matter": EXAMPLE_MATTER, "applicants": [{"id": EXAMPLE_ID, "name": "示例公司"}, {"id": "12345"}]}}),
            ),
            response: json!({"type": "object", "properties": {
                "matter": {"type": "string"}, "as_of": {"type": "string", "format": "date"}, "batch": {"type": "string"},
                "results": {"type": "array", "items": result}}}),
        },
        Operation {
            method: "get",
            path: "/api/v1/credit/matters",
            summary: "核查事项目录（领域、主管部门、阻断/警示/激励名单）",
            tag: "credit",
            access: Access::Permission(Permission::CheckCredit),
            params: vec![
                param("q", "query", false, "编码、名称或部门的一部分", "GWY"),
                param("domain", "query", false, "领域", "公务员招录调任"),
            ],
            body: None,
            response: json!({"type": "array", "items": matter}),
        },
        Operation {
            method: "get",
            path: "/api/v1/credit/entries",
            summary: "一个主体的信用记录（个人须完整号码；需 SeePersonalCredit 权限才不脱敏；每次查询个人记入访问日志）",
            tag: "credit",
            access: Access::Permission(Permission::CheckCredit),
            params: vec![
                param(
                    "subject",
                    "query",
                    false,
                    "统一社会信用代码或身份证号码",
                    EXAMPLE_ID,
                ),
                param(
                    "q",
                    "query",
                    false,
                    "企业代码前缀、完整的身份证号码或名称（个人不支持前缀）",
                    "9142",
                ),
                param("list", "query", false, "名单类型", "blacklist"),
                param(
                    "purpose",
                    "query",
                    false,
                    "查询个人的事由（记入访问日志）",
                    "行政许可审查",
                ),
            ],
            body: None,
            response: json!({"type": "array", "items": entry}),
        },
    ]
}
