//! Staff API for plans, rounds, visits and results. Every handler calls the
//! same checked functions as the staff pages (`http::staff::{plans, rounds,
//! results}`), so the permissions and department scoping are the pages'.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::plans::{self, PlanFilter, PlanStep};
use crate::ops::results::{self, EntryFields, ResultFilter};
use crate::ops::rounds::{self, CommitFields, DrawFields, VisitPage, VisitQuery};
use domain::account::Permission;
use domain::inspection::{InspectionResult, Round};
use domain::plan::{Decision, Plan, PlanFields};

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/plans", get(list_plans).post(create_plan))
        .route("/api/v1/plans/{id}", get(get_plan))
        .route("/api/v1/plans/{id}/confirm", post(answer_plan))
        .route("/api/v1/plans/{id}/{step}", post(advance_plan))
        .route("/api/v1/rounds", get(list_rounds).post(commit_round))
        .route("/api/v1/rounds/{id}", get(get_round))
        .route("/api/v1/rounds/{id}/draw", post(draw_round))
        .route("/api/v1/rounds/{id}/publish", post(publish_round))
        .route("/api/v1/rounds/{id}/visits", get(round_visits))
        .route("/api/v1/rounds/{id}/record", get(full_record))
        .route("/api/v1/results", get(list_results).post(enter_results))
        .route("/api/v1/results/publish", post(publish_results))
}

async fn list_plans(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<PlanFilter>,
) -> Result<Json<Vec<Plan>>> {
    Ok(Json(plans::visible_plans(&state, &user, &filter).await?))
}

async fn get_plan(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Plan>> {
    Ok(Json(plans::visible_plan(&state, &user, &id).await?))
}

async fn create_plan(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(fields): JsonBody<PlanFields>,
) -> Result<Json<Plan>> {
    Ok(Json(plans::create_plan(&state, &user, fields).await?))
}

async fn advance_plan(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((id, step)): Path<(String, String)>,
) -> Result<Json<Plan>> {
    Ok(Json(
        plans::advance(&state, &user, &id, PlanStep::parse(&step)?).await?,
    ))
}

/// `POST /api/v1/plans/{id}/confirm`: a partner department's answer (会签).
#[derive(Debug, Deserialize)]
struct AnswerBody {
    /// `同意` (confirm) or `不同意` (decline).
    decision: Decision,
    #[serde(default)]
    reason: String,
}

async fn answer_plan(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AnswerBody>,
) -> Result<Json<Plan>> {
    Ok(Json(
        plans::answer(&state, &user, &id, body.decision, &body.reason).await?,
    ))
}

async fn list_rounds(State(state): State<Arc<AppState>>, _user: User) -> Result<Json<Vec<Round>>> {
    Ok(Json(rounds::all_rounds(&state).await?))
}

async fn full_record(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response> {
    let bytes = rounds::full_record(&state, &user, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

async fn get_round(
    State(state): State<Arc<AppState>>,
    _user: User,
    Path(id): Path<String>,
) -> Result<Json<Round>> {
    Ok(Json(rounds::round(&state, &id).await?))
}

async fn commit_round(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(fields): JsonBody<CommitFields>,
) -> Result<Json<Round>> {
    Ok(Json(rounds::commit(&state, &user, fields).await?))
}

async fn draw_round(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    JsonBody(fields): JsonBody<DrawFields>,
) -> Result<Json<Round>> {
    Ok(Json(rounds::draw_now(&state, &user, &id, &fields).await?))
}

async fn publish_round(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Round>> {
    Ok(Json(rounds::sealed(
        rounds::publish(&state, &user, &id).await?,
    )))
}

async fn round_visits(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Query(query): Query<VisitQuery>,
) -> Result<Json<VisitPage>> {
    Ok(Json(rounds::visit_page(&state, &user, &id, &query).await?))
}

/// Results as JSON, each with `publish_due_provisional`: the due date rests
/// on a provisional calendar year (暂定).
fn results_json(state: &AppState, results: Vec<InspectionResult>) -> Vec<Value> {
    let calendar = state.calendar.get();
    results
        .into_iter()
        .map(|result| {
            let provisional = service::calendar::result_provisional(&calendar, &result);
            let mut value = serde_json::to_value(&result).unwrap_or(Value::Null);
            if let Some(map) = value.as_object_mut() {
                map.insert("publish_due_provisional".into(), Value::Bool(provisional));
            }
            value
        })
        .collect()
}

async fn list_results(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<ResultFilter>,
) -> Result<Json<Vec<Value>>> {
    Ok(Json(results_json(
        &state,
        results::visible_results(&state, &user, &filter).await?,
    )))
}

/// `POST /api/v1/results`: a visit and what was found.
#[derive(Debug, Deserialize)]
struct EnterBody {
    visit: String,
    #[serde(flatten)]
    fields: EntryFields,
}

async fn enter_results(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(body): JsonBody<EnterBody>,
) -> Result<Json<Vec<Value>>> {
    Ok(Json(results_json(
        &state,
        results::enter(&state, &user, &body.visit, &body.fields).await?,
    )))
}

#[derive(Debug, Deserialize)]
struct PublishBody {
    ids: Vec<String>,
}

async fn publish_results(
    State(state): State<Arc<AppState>>,
    user: User,
    JsonBody(body): JsonBody<PublishBody>,
) -> Result<Json<Vec<Value>>> {
    Ok(Json(results_json(
        &state,
        results::publish(&state, &user, &body.ids).await?,
    )))
}

// ---- the document ---------------------------------------------------------

const TAG: &str = "workflow";
/// A plan of SCJG in the test city (year 2025, published).
const PLAN_EXAMPLE: &str = "HS2025-S090";
/// A drawn and published round of the test city.
const ROUND_EXAMPLE: &str = "2025-Q1";

fn list_of(what: &str) -> Value {
    json!({"type": "array", "items": {"type": "object", "description": what}})
}

fn object(what: &str) -> Value {
    json!({"type": "object", "description": what})
}

fn plan_schema() -> Value {
    json!({"type": "object", "description": "抽查计划 (plan)",
    "required": ["id", "title", "kind", "lead", "participants", "strata", "period_start", "period_end", "frequency"],
    "properties": {
        "id": {"type": "string", "example": "2026-SCJG-001"},
        "title": {"type": "string"},
        "kind": {"type": "string", "enum": ["单部门", "联合"]},
        "lead": {"type": "string", "example": "SCJG"},
        "participants": {"type": "array", "items": {"type": "object",
            "required": ["department", "inspectors", "items"],
            "properties": {"department": {"type": "string"}, "inspectors": {"type": "integer", "minimum": 2},
                           "items": {"type": "array", "items": {"type": "string"}}, "field": {"type": "string"}}}},
        "scope": {"type": "object", "properties": {"districts": {"type": "array"}, "industries": {"type": "array"},
                  "entity_types": {"type": "array"}, "pools": {"type": "array"}, "tags": {"type": "array"}}},
        "strata": {"type": "array", "items": {"type": "object", "required": ["stratum"],
            "properties": {"stratum": {"type": "string", "enum": ["A", "B", "C", "D", "U", "N"]},
                           "rate_bp": {"type": "integer", "minimum": 1, "maximum": 10000}, "count": {"type": "integer"}}}},
        "required_by_law": {"type": "boolean"},
        "period_start": {"type": "string", "format": "date"},
        "period_end": {"type": "string", "format": "date"},
        "frequency": {"type": "string", "example": "每年1次"},
        "status": {"type": "string"}, "version": {"type": "integer"}, "approved_version": {"type": "integer"},
        "filed_by": {"type": "string"},
        "confirmations": {"type": "array", "description": "协办部门会签（每部门最新一次；version 不等于当前版本的须重新会签）",
            "items": {"type": "object", "properties": {"department": {"type": "string"}, "version": {"type": "integer"},
                "decision": {"type": "string", "enum": ["同意", "不同意"]}, "reason": {"type": "string"},
                "by": {"type": "string"}, "at": {"type": "string"}}}}
    }})
}

fn step(path: &'static str, summary: &'static str, permission: Permission) -> Operation {
    Operation {
        method: "post",
        path,
        summary,
        tag: TAG,
        access: Access::Permission(permission),
        params: vec![param("id", "path", true, "计划编号", PLAN_EXAMPLE)],
        body: None,
        response: plan_schema(),
    }
}

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let round_id = param("id", "path", true, "批次编号", ROUND_EXAMPLE);
    vec![
        Operation {
            method: "get",
            path: "/api/v1/plans",
            summary: "抽查计划列表（本部门牵头或参与的；监督、信用办与管理员看全部）",
            tag: TAG,
            access: Access::LoggedIn,
            params: vec![
                param("year", "query", false, "年度", "2025"),
                param(
                    "status",
                    "query",
                    false,
                    "状态：草稿、已备案、已批准、已公示",
                    "已公示",
                ),
            ],
            body: None,
            response: json!({"type": "array", "items": plan_schema()}),
        },
        Operation {
            method: "post",
            path: "/api/v1/plans",
            summary: "新建计划（草稿），本部门牵头",
            tag: TAG,
            access: Access::Permission(Permission::EditPlans),
            params: Vec::new(),
            body: Some(plan_schema()),
            response: plan_schema(),
        },
        Operation {
            method: "get",
            path: "/api/v1/plans/{id}",
            summary: "一个抽查计划",
            tag: TAG,
            access: Access::LoggedIn,
            params: vec![param("id", "path", true, "计划编号", PLAN_EXAMPLE)],
            body: None,
            response: plan_schema(),
        },
        step(
            "/api/v1/plans/{id}/file",
            "备案（草稿 → 已备案），牵头部门",
            Permission::EditPlans,
        ),
        Operation {
            method: "post",
            path: "/api/v1/plans/{id}/confirm",
            summary: "会签：联合计划的协办部门同意或不同意当前版本（本部门工作人员；不同意须写理由）",
            tag: TAG,
            access: Access::Permission(Permission::EditPlans),
            params: vec![param("id", "path", true, "计划编号", PLAN_EXAMPLE)],
            body: Some(
                json!({"type": "object", "required": ["decision"], "properties": {
                "decision": {"type": "string", "enum": ["同意", "不同意"], "example": "同意"},
                "reason": {"type": "string", "description": "不同意时必填"}}}),
            ),
            response: plan_schema(),
        },
        step(
            "/api/v1/plans/{id}/approve",
            "批准（已备案 → 已批准），牵头部门；联合计划须各协办部门会签，备案人不能批准",
            Permission::ApprovePlans,
        ),
        step(
            "/api/v1/plans/{id}/publish",
            "公示（已批准 → 已公示），牵头部门",
            Permission::ApprovePlans,
        ),
        Operation {
            method: "get",
            path: "/api/v1/rounds",
            summary: "抽取批次列表",
            tag: TAG,
            access: Access::LoggedIn,
            params: Vec::new(),
            body: None,
            response: list_of("抽取批次 (round)"),
        },
        Operation {
            method: "post",
            path: "/api/v1/rounds",
            summary: "承诺新批次：冻结名单、封存秘密（系统随机数），公布承诺值",
            tag: TAG,
            access: Access::Permission(Permission::RunRounds),
            params: Vec::new(),
            body: Some(
                json!({"type": "object", "required": ["id", "window_start", "window_end"],
                "properties": {"id": {"type": "string", "example": "2026-Q1"}, "title": {"type": "string"},
                    "window_start": {"type": "string", "format": "date"}, "window_end": {"type": "string", "format": "date"},
                    "cap": {"type": "integer"}, "plans": {"type": "array", "items": {"type": "string"},
                    "description": "为空：窗口内所有已批准且未抽取的计划"}}}),
            ),
            response: object("抽取批次 (round)"),
        },
        Operation {
            method: "get",
            path: "/api/v1/rounds/{id}",
            summary: "一个抽取批次（种子与秘密在公开后才出现）",
            tag: TAG,
            access: Access::LoggedIn,
            params: vec![round_id],
            body: None,
            response: object("抽取批次 (round)"),
        },
        Operation {
            method: "post",
            path: "/api/v1/rounds/{id}/draw",
            summary: "以见证人录入的公开随机数（信标）抽取（同步执行，全市规模约 1–3 秒）",
            tag: TAG,
            access: Access::Permission(Permission::RunRounds),
            params: vec![round_id],
            body: Some(
                json!({"type": "object", "required": ["beacon", "witnesses"],
                "properties": {"beacon": {"type": "string", "example": "2026-04-01 上证指数收盘 3245.67"},
                    "witnesses": {"type": "array", "items": {"type": "string"}}}}),
            ),
            response: object("抽取批次 (round)"),
        },
        Operation {
            method: "post",
            path: "/api/v1/rounds/{id}/publish",
            summary: "公开已抽取批次的秘密与抽取记录",
            tag: TAG,
            access: Access::Permission(Permission::RunRounds),
            params: vec![round_id],
            body: None,
            response: object("抽取批次 (round)"),
        },
        Operation {
            method: "get",
            path: "/api/v1/rounds/{id}/visits",
            summary: "批次的检查任务，每页 50 个（公开前各部门只看本部门派出检查组的任务；公开后可查看全部部门的账号看全部）",
            tag: TAG,
            access: Access::LoggedIn,
            params: vec![
                round_id,
                param("page", "query", false, "页码，从 1 开始", "1"),
                param("plan", "query", false, "只看某计划的任务", "HS2025-S104"),
            ],
            body: None,
            response: json!({"type": "object", "properties": {"total": {"type": "integer"}, "page": {"type": "integer"},
                "pages": {"type": "integer"}, "visits": list_of("检查任务 (visit)")}}),
        },
        Operation {
            method: "get",
            path: "/api/v1/rounds/{id}/record",
            summary: "已公开批次的完整抽取记录（jianguan-draw/v1 §7，含各主体的分层）：仅司法局监督人员与系统管理员；公开前只能由命令行导出",
            tag: TAG,
            access: Access::Permission(Permission::AuditLedger),
            params: vec![round_id],
            body: None,
            response: json!({"type": "object", "description": "draw record, spec/draw-v1.md §7"}),
        },
        Operation {
            method: "get",
            path: "/api/v1/results",
            summary: "检查结果（本部门；监督、信用办与管理员可按部门查看）",
            tag: TAG,
            access: Access::LoggedIn,
            params: vec![
                param(
                    "department",
                    "query",
                    false,
                    "部门代码（仅可查看全部部门的账号）",
                    "SCJG",
                ),
                param("status", "query", false, "已录入 或 已公开", "已公开"),
                param("round", "query", false, "只看某批次的结果", ROUND_EXAMPLE),
            ],
            body: None,
            response: list_of("检查结果 (result)"),
        },
        Operation {
            method: "post",
            path: "/api/v1/results",
            summary: "录入本部门在一个检查任务中全部事项的结果（检查人员须在检查组内）",
            tag: TAG,
            access: Access::Permission(Permission::EnterResults),
            params: Vec::new(),
            body: Some(json!({"type": "object",
                "required": ["visit", "category", "method", "follow_up", "check_start", "check_end"],
                "properties": {"visit": {"type": "string", "example": "2026-Q1/91420200MAWNPLKY57"},
                    "category": {"type": "string", "example": "未发现问题"},
                    "method": {"type": "string", "example": "实地检查"},
                    "follow_up": {"type": "string", "example": "无需后续处置"},
                    "check_start": {"type": "string", "format": "date"}, "check_end": {"type": "string", "format": "date"},
                    "inspectors": {"type": "array", "items": {"type": "string"}}, "note": {"type": "string"}}})),
            response: list_of("检查结果 (result)"),
        },
        Operation {
            method: "post",
            path: "/api/v1/results/publish",
            summary: "公开已录入的结果（今日公开；逾期者按公开期限标记）",
            tag: TAG,
            access: Access::Permission(Permission::PublishResults),
            params: Vec::new(),
            body: Some(json!({"type": "object", "required": ["ids"],
                "properties": {"ids": {"type": "array", "items": {"type": "string"}}}})),
            response: list_of("检查结果 (result)"),
        },
    ]
}
