//! Public API: what the portal shows, as JSON, without login. The same cached
//! values as the pages ([`crate::public`]); only published things.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::error::{Error, Result};
use crate::portal::cache::{PublicPlan, PublicRound, ResultPage, SeedSteps, Verdict};
use crate::portal::check::EntityCheck;
use crate::portal::{self, EntrySummary, RESULTS_PER_PAGE};
use crate::query::{SearchQuery, page_number};

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/public/plans", get(plans))
        .route("/api/v1/public/plans/{id}", get(plan))
        .route("/api/v1/public/results", get(results))
        .route("/api/v1/public/rounds", get(rounds))
        .route("/api/v1/public/rounds/{id}", get(round))
        .route("/api/v1/public/rounds/{id}/record", get(record))
        .route("/api/v1/public/rounds/{id}/verify", get(verify))
}

/// Examples that exist in the demo city.
const PLAN_EXAMPLE: &str = "HS2025-J003";
const ROUND_EXAMPLE: &str = "2025-Q1";
const ENTITY_EXAMPLE: &str = "92420200MA2R0REB86";

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let public = |method, path, summary, params, response| Operation {
        method,
        path,
        summary,
        tag: "public",
        access: Access::Public,
        params,
        body: None,
        response,
    };
    let round_id = param(
        "id",
        "path",
        true,
        "抽取批次编号（已公开的批次）",
        ROUND_EXAMPLE,
    );
    vec![
        public(
            "get",
            "/api/v1/public/plans",
            "已公示的抽查计划 (published plans)",
            vec![],
            json!({"type": "array", "items": plan_schema()}),
        ),
        public(
            "get",
            "/api/v1/public/plans/{id}",
            "一项已公示的抽查计划 (one published plan)",
            vec![param("id", "path", true, "计划编号", PLAN_EXAMPLE)],
            plan_schema(),
        ),
        public(
            "get",
            "/api/v1/public/results",
            "查询已公示的检查结果：按企业名称或统一社会信用代码 (search published results)",
            vec![
                param(
                    "q",
                    "query",
                    false,
                    "企业名称中的字词，或统一社会信用代码的开头",
                    "商贸",
                ),
                param("page", "query", false, "页码，从 1 开始，每页 20 条", "1"),
            ],
            json!({"type": "object", "required": ["total", "page", "pages", "per_page", "items"],
                   "properties": {"total": {"type": "integer"}, "page": {"type": "integer"},
                                  "pages": {"type": "integer"}, "per_page": {"type": "integer"},
                                  "items": {"type": "array", "items": result_schema()}}}),
        ),
        public(
            "get",
            "/api/v1/public/rounds",
            "抽取批次：已公开的，以及已承诺、尚未公开的（只有承诺值、名录摘要和计划参数，不含种子与密钥）(draw rounds)",
            vec![],
            json!({"type": "array", "items": round_schema()}),
        ),
        public(
            "get",
            "/api/v1/public/rounds/{id}",
            "一个批次：已公开的给出参数、种子推导、各计划各层的户数与抽取数、复核结论；已承诺未公开的只给出承诺值、名录摘要和计划参数 (one round)",
            vec![round_id],
            json!({"type": "object", "required": ["round", "plans"],
                   "properties": {"round": round_schema(), "seed": {"type": "object"},
                                  "plans": {"type": "array", "items": {"type": "object"}},
                                  "verdict": verdict_schema()}}),
        ),
        public(
            "get",
            "/api/v1/public/rounds/{id}/record",
            "已公开批次抽取记录的公开视图（spec/draw-v1-public-view.md，与 jianguan rounds export --public 相同；jianguan verify 可复核）",
            vec![round_id],
            json!({"type": "object", "description": "public view of a draw record, spec/draw-v1-public-view.md",
                   "required": ["protocol", "view", "full_record_sha256", "commitment", "secret", "beacon", "round_seed", "round_digest", "plans", "visits"]}),
        ),
        public(
            "get",
            "/api/v1/public/rounds/{id}/verify",
            "验证一个主体在已公开批次中的抽取：种子、prn 的哈希输入、在哪些计划的名录中、是否抽中（不含任何主体的分层）(verify one entity)",
            vec![
                round_id,
                param(
                    "code",
                    "query",
                    true,
                    "统一社会信用代码（18位）",
                    ENTITY_EXAMPLE,
                ),
            ],
            json!({"type": "object",
                   "required": ["round", "entity", "seed", "prn", "plans", "in_frame", "drawn", "exclusions", "verdict"],
                   "properties": {"round": {"type": "string"}, "entity": {"type": "string"},
                                  "entity_name": {"type": ["string", "null"]},
                                  "seed": {"type": "object"}, "prn": {"type": "object"},
                                  "plans": {"type": "array", "items": {"type": "object"}},
                                  "in_frame": {"type": "boolean"}, "drawn": {"type": "boolean"},
                                  "exclusions": {"type": "array", "items": {"type": "object"}},
                                  "verdict": verdict_schema()}}),
        ),
    ]
}

fn plan_schema() -> Value {
    json!({"type": "object", "required": ["id", "title", "kind", "lead", "departments", "period_start", "period_end"],
           "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "kind": {"type": "string"},
                          "lead": {"type": "string"}, "lead_name": {"type": "string"},
                          "departments": {"type": "array", "items": {"type": "object"}},
                          "period_start": {"type": "string", "format": "date"},
                          "period_end": {"type": "string", "format": "date"},
                          "frequency": {"type": "string"}, "sampling": {"type": "array", "items": {"type": "string"}},
                          "scope": {"type": "array", "items": {"type": "string"}}}})
}

fn result_schema() -> Value {
    json!({"type": "object",
           "required": ["id", "entity", "entity_name", "department", "item", "category", "check_start", "check_end"],
           "properties": {"id": {"type": "string"}, "entity": {"type": "string"}, "entity_name": {"type": "string"},
                          "department": {"type": "string"}, "department_name": {"type": "string"},
                          "plan": {"type": ["string", "null"]}, "item": {"type": "string"}, "item_name": {"type": "string"},
                          "category": {"type": "string"}, "method": {"type": "string"}, "follow_up": {"type": "string"},
                          "check_start": {"type": "string", "format": "date"}, "check_end": {"type": "string", "format": "date"},
                          "published_on": {"type": ["string", "null"], "format": "date"}}})
}

fn round_schema() -> Value {
    json!({"type": "object", "required": ["id", "status", "draw", "published", "title", "window_start", "window_end", "commitment", "round_digest", "frame_digests"],
           "properties": {"id": {"type": "string"}, "status": {"type": "string"}, "draw": {"type": "string"},
                          "published": {"type": "boolean"}, "frame_digests": {"type": "object"}, "title": {"type": "string"},
                          "window_start": {"type": "string", "format": "date"},
                          "window_end": {"type": "string", "format": "date"},
                          "plans": {"type": "array", "items": {"type": "string"}},
                          "commitment": {"type": "string"}, "round_digest": {"type": "string"},
                          "beacon": {"type": ["string", "null"]}, "round_seed": {"type": ["string", "null"]},
                          "secret": {"type": ["string", "null"]}}})
}

fn verdict_schema() -> Value {
    json!({"type": "object", "required": ["conforms", "checks", "deviations", "deviation_count", "full_record_conforms"],
           "properties": {"conforms": {"type": "boolean"}, "checks": {"type": "array", "items": {"type": "string"}},
                          "deviations": {"type": "array", "items": {"type": "string"}},
                          "deviation_count": {"type": "integer"}, "full_record_conforms": {"type": "boolean"},
                          "full_record_deviations": {"type": "integer"}}})
}

async fn plans(State(state): State<Arc<AppState>>) -> Result<Json<Vec<PublicPlan>>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    Ok(Json(snapshot.plans.clone()))
}

async fn plan(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<PublicPlan>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    portal::published_plan(&snapshot, &id).map(Json)
}

async fn results(
    State(state): State<Arc<AppState>>,
    Query(query): Query<SearchQuery>,
) -> Result<Response> {
    let snapshot = state.public.snapshot(&state.db).await?;
    let page: ResultPage<'_> = snapshot.search(
        &query.q,
        page_number(query.page.as_deref()),
        RESULTS_PER_PAGE,
    );
    Ok(Json(page).into_response())
}

async fn rounds(State(state): State<Arc<AppState>>) -> Result<Json<Vec<PublicRound>>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    Ok(Json(
        snapshot
            .rounds
            .iter()
            .map(PublicRound::of)
            .chain(snapshot.pending.iter().cloned())
            .collect(),
    ))
}

/// A published round in full.
#[derive(Serialize)]
struct RoundDetail {
    round: PublicRound,
    seed: SeedSteps,
    plans: Vec<EntrySummary>,
    verdict: Arc<Verdict>,
}

/// A committed round not yet published: what was fixed with its commitment.
#[derive(Serialize)]
struct CommittedDetail {
    round: PublicRound,
    plans: Vec<portal::CommittedPlan>,
}

async fn round(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response> {
    if let Some((round, plans)) = portal::pending_round(&state, &id).await? {
        return Ok(Json(CommittedDetail { round, plans }).into_response());
    }
    let (snapshot, round) = state.public.published_round(&state.db, &id).await?;
    let index = state.public.round_index(&state.db, &round).await?;
    let verdict = state.public.verdict(&state.db, &round.id).await?;
    Ok(Json(RoundDetail {
        round: PublicRound::of(&round),
        seed: index.seed.clone(),
        plans: portal::entry_summaries(&index, &snapshot),
        verdict,
    })
    .into_response())
}

async fn record(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response> {
    let bytes = portal::public_view_bytes(&state, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

#[derive(Debug, Deserialize)]
struct VerifyParams {
    code: Option<String>,
}

async fn verify(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(params): Query<VerifyParams>,
) -> Result<Json<EntityCheck>> {
    let code = params
        .code
        .ok_or_else(|| Error::BadRequest("缺少参数 code（统一社会信用代码）".into()))?;
    portal::entity_check(&state, &id, &code).await.map(Json)
}
