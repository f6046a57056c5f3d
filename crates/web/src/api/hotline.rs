//! API of the 12345 hotline work orders (the same functions as the `/hotline`
//! pages): list, get and take in orders, take steps on them, turn a complaint
//! into an out-of-plan inspection, the overdue list and the KPIs. Callers are
//! masked; a department sees only the orders dispatched to it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::body::JsonBody;
use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::hotline::{
    self as pages, ActionInput, DueQuery, InspectionInput, IntakeInput, KpiParams, ListQuery,
    MAX_LIMIT, PAGE_SIZE,
};
use domain::account::Permission;

/// Who reads orders: the centre, city-wide readers, handling departments (their own orders).
pub const READERS: &[Permission] = &[
    Permission::DispatchWorkOrders,
    Permission::ReadAllDepartments,
    Permission::HandleWorkOrders,
];
/// Who takes steps on orders: the centre and handling departments.
pub const ACTORS: &[Permission] = &[Permission::DispatchWorkOrders, Permission::HandleWorkOrders];

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/hotline/orders", get(list).post(intake))
        .route("/api/v1/hotline/orders/{id}", get(order))
        .route("/api/v1/hotline/orders/{id}/actions", post(act))
        .route(
            "/api/v1/hotline/orders/{id}/inspection",
            post(open_inspection),
        )
        .route("/api/v1/hotline/due", get(due))
        .route("/api/v1/hotline/kpi", get(kpi))
}

async fn list(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>> {
    let limit = query.limit.unwrap_or(PAGE_SIZE).clamp(1, MAX_LIMIT);
    let (orders, total) = pages::list_orders(&state, user.account(), &query, limit).await?;
    let calendar = state.calendar.get();
    Ok(Json(json!({
        "total": total,
        "page": query.page.unwrap_or(1).max(1),
        "limit": limit,
        "orders": orders.iter().map(|order| pages::order_json(order, &calendar)).collect::<Vec<_>>(),
    })))
}

async fn intake(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(input): JsonBody<IntakeInput>,
) -> Result<Json<Value>> {
    Ok(Json(pages::order_json(
        &pages::intake(&state, &user, input).await?,
        &state.calendar.get(),
    )))
}

async fn order(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(pages::order_json(
        &pages::visible_order(&state, user.account(), &id).await?,
        &state.calendar.get(),
    )))
}

async fn act(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ActionInput>,
) -> Result<Json<Value>> {
    Ok(Json(pages::order_json(
        &pages::act(&state, &user, &id, &input).await?,
        &state.calendar.get(),
    )))
}

async fn open_inspection(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<InspectionInput>,
) -> Result<Json<Value>> {
    let (order, inspection) = pages::open_inspection(&state, &user, &id, input).await?;
    Ok(Json(
        json!({"order": pages::order_json(&order, &state.calendar.get()), "inspection": inspection}),
    ))
}

async fn due(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<DueQuery>,
) -> Result<Json<Value>> {
    let list = pages::due(&state, user.account(), &query).await?;
    Ok(Json(serde_json::to_value(list).unwrap_or(Value::Null)))
}

async fn kpi(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(params): Query<KpiParams>,
) -> Result<Json<Value>> {
    let report = pages::kpi(&state, user.account(), &params).await?;
    let department = params
        .department
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let department = department
        .map(str::to_owned)
        .or_else(|| pages::scope(user.account()).ok().flatten());
    Ok(Json(pages::kpi_json(&report, department.as_deref())))
}

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let rate = json!({"type": ["number", "null"], "minimum": 0, "maximum": 1});
    let order = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "channel": {"type": "string"}, "received_at": {"type": "string", "format": "date-time"},
        "caller": {"type": "string", "description": "脱敏后的来电人（张* 138****5678）"},
        "content": {"type": "string"}, "category": {"type": "string"}, "location": {"type": "string"},
        "entity": {"type": "string"}, "difficulty": {"type": "string", "enum": ["一般", "疑难"]},
        "status": {"type": "string", "enum": ["已受理", "已派单", "已签收", "办理中", "已答复", "已回访", "已办结"]},
        "department": {"type": "string"}, "sign_due": {"type": "string", "format": "date"},
        "close_due": {"type": "string", "format": "date"}, "extension_days": {"type": "integer"},
        "deadline_provisional": {"type": "boolean", "description": "时限按暂定工作日历计算（该年放假安排未载入，按《全国年节及纪念日放假办法》推算），载入后重算"},
        "escalation": {"type": "string", "enum": ["黄牌", "红牌"]}, "rating": {"type": "string", "enum": ["满意", "基本满意", "不满意"]},
        "inspections": {"type": "array", "items": {"type": "string"}},
        "events": {"type": "array", "items": {"type": "object", "properties": {
            "at": {"type": "string"}, "actor": {"type": "string"}, "action": {"type": "string"}, "detail": {"type": "string"}}}}}});
    let summary = |extra: Value| {
        let mut schema = json!({"type": "object", "properties": {
            "orders": {"type": "integer"}, "sign_rate": rate, "close_rate": rate, "satisfaction_rate": rate,
            "avg_close_working_days": {"type": ["number", "null"]}}});
        if let (Some(map), Some(extra)) = (schema["properties"].as_object_mut(), extra.as_object())
        {
            map.extend(extra.clone());
        }
        schema
    };
    let volume = json!({"type": "array", "items": {"type": "object", "properties": {
        "key": {"type": "string"}, "name": {"type": "string"}, "orders": {"type": "integer"}}}});
    let kpi = summary(json!({
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
        "as_of": {"type": "string"}, "department": {"type": ["string", "null"]},
        "departments": {"type": "array", "items": summary(json!({"code": {"type": "string"}, "name": {"type": "string"}}))},
        "channels": volume.clone(), "categories": volume}));
    let id = || vec![param("id", "path", true, "工单编号", "RX202603020001")];
    vec![
        Operation {
            method: "get",
            path: "/api/v1/hotline/orders",
            summary: "工单列表（12345 中心和全市监督角色看全部，部门只看派给本部门的），新的在前",
            tag: "hotline",
            access: Access::AnyOf(READERS),
            params: vec![
                param(
                    "status",
                    "query",
                    false,
                    "状态：已受理、已派单、已签收、办理中、已答复、已回访、已办结",
                    "已派单",
                ),
                param(
                    "department",
                    "query",
                    false,
                    "承办部门代码（- 为未派单）",
                    "SCJG",
                ),
                param("channel", "query", false, "来源渠道号码", "12345"),
                param("overdue", "query", false, "1：仅看超期未办结的", "1"),
                param("number", "query", false, "工单编号（部分）", "GD-2025"),
                param(
                    "keyword",
                    "query",
                    false,
                    "问题类型或诉求内容中的字词",
                    "食品",
                ),
                param(
                    "phone",
                    "query",
                    false,
                    "来电号码（至少 4 位数字；仅 12345 热线话务员可用，其他角色 403）",
                    "5678",
                ),
                param("from", "query", false, "受理日期（起）", "2025-01-01"),
                param("to", "query", false, "受理日期（止）", "2025-12-31"),
                param(
                    "entity",
                    "query",
                    false,
                    "涉及主体统一社会信用代码",
                    "91420200MA4KLT0142",
                ),
                param("page", "query", false, "页码，从 1 起", "1"),
                param("limit", "query", false, "每页条数（最多 500）", "50"),
            ],
            body: None,
            response: json!({"type": "object", "properties": {"total": {"type": "integer"}, "page": {"type": "integer"},
                "limit": {"type": "integer"}, "orders": {"type": "array", "items": order.clone()}}}),
        },
        Operation {
            method: "post",
            path: "/api/v1/hotline/orders",
            summary: "受理工单（12345 中心）；填写 department 则同时派单",
            tag: "hotline",
            access: Access::Permission(Permission::DispatchWorkOrders),
            params: vec![],
            body: Some(
                json!({"type": "object", "required": ["category", "content"], "properties": {
                "id": {"type": "string", "description": "工单编号，留空自动编号"},
                "channel": {"type": "string", "example": "12345"},
                "received_at": {"type": "string", "description": "受理时间，默认现在", "example": "2026-03-02 09:15"},
                "caller_name": {"type": "string"}, "caller_phone": {"type": "string"},
                "content": {"type": "string"}, "category": {"type": "string"}, "location": {"type": "string"},
                "entity": {"type": "string", "description": "涉及主体统一社会信用代码"},
                "difficulty": {"type": "string", "enum": ["一般", "疑难"]},
                "department": {"type": "string", "description": "同时派单至该部门"}}}),
            ),
            response: order.clone(),
        },
        Operation {
            method: "get",
            path: "/api/v1/hotline/orders/{id}",
            summary: "一件工单（含时限、督办和办理记录）",
            tag: "hotline",
            access: Access::AnyOf(READERS),
            params: id(),
            body: None,
            response: order.clone(),
        },
        Operation {
            method: "post",
            path: "/api/v1/hotline/orders/{id}/actions",
            summary: "办理一步：中心 dispatch、decide_extension、escalate、callback、close、reopen；部门 sign、handle、reply、return、request_extension。不允许的操作返回 409，工单不变",
            tag: "hotline",
            access: Access::AnyOf(ACTORS),
            params: id(),
            body: Some(
                json!({"type": "object", "required": ["action"], "properties": {
                "action": {"type": "string", "enum": ["sign", "dispatch", "handle", "reply", "return", "request_extension",
                    "decide_extension", "escalate", "callback", "close", "reopen"]},
                "department": {"type": "string"}, "text": {"type": "string", "description": "办理情况、答复、理由或意见"},
                "days": {"type": "integer"}, "approve": {"type": "string", "enum": ["1", "0"]},
                "level": {"type": "string", "enum": ["黄牌", "红牌"]}, "rating": {"type": "string", "enum": ["满意", "基本满意", "不满意"]}}}),
            ),
            response: order.clone(),
        },
        Operation {
            method: "post",
            path: "/api/v1/hotline/orders/{id}/inspection",
            summary: "投诉转立案检查：登记理由为投诉举报的计划外检查，与工单互相关联（承办部门）",
            tag: "hotline",
            access: Access::Permission(Permission::RegisterOutOfPlan),
            params: id(),
            body: Some(
                json!({"type": "object", "required": ["detail", "inspectors"], "properties": {
                "detail": {"type": "string"}, "inspected_on": {"type": "string", "format": "date"},
                "inspectors": {"type": "array", "items": {"type": "string"}, "description": "执法证号，至少 2 名"}}}),
            ),
            response: json!({"type": "object", "properties": {"order": order, "inspection": {"type": "object"}}}),
        },
        Operation {
            method: "get",
            path: "/api/v1/hotline/due",
            summary: "超期和即将超期的工单（部门只看本部门的）",
            tag: "hotline",
            access: Access::AnyOf(READERS),
            params: vec![
                param("department", "query", false, "承办部门代码", "SCJG"),
                param(
                    "as_of",
                    "query",
                    false,
                    "统计时点，默认现在",
                    "2026-03-10 09:00",
                ),
            ],
            body: None,
            response: json!({"type": "array", "items": {"type": "object"}}),
        },
        Operation {
            method: "get",
            path: "/api/v1/hotline/kpi",
            summary: "考核指标：及时签收率、按时办结率、满意率、平均办结工作日（与 jianguan hotline kpi --json 相同），及各部门、渠道、问题类型",
            tag: "hotline",
            access: Access::AnyOf(READERS),
            params: vec![
                param(
                    "from",
                    "query",
                    false,
                    "开始日期（受理日），默认本年 1 月 1 日",
                    "2026-01-01",
                ),
                param("to", "query", false, "结束日期，默认今天", "2026-12-31"),
                param(
                    "department",
                    "query",
                    false,
                    "部门代码（部门账号只能看本部门）",
                    "SCJG",
                ),
                param(
                    "as_of",
                    "query",
                    false,
                    "统计时点，默认现在",
                    "2026-12-31 18:00",
                ),
            ],
            body: None,
            response: kpi,
        },
    ]
}
