//! Staff API for the directories, the dashboard, reports, the ledger and
//! accounts: the same functions and rules as the pages, as JSON.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::accounts::{self, AccountRow};
use crate::ops::dashboard::{self, Figures};
use crate::ops::directories::{
    self, DepartmentRow, EntityRow, InspectorRow, ItemRow, ListQuery, Listing,
};
use crate::ops::ledger::{self, LedgerPage, LedgerQuery};
use crate::ops::reports::{self, ReportQuery};
use domain::account::Permission;
use service::audit::{self, AuditReport};
use service::report::Report;

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/departments", get(departments))
        .route("/api/v1/entities", get(entities))
        .route("/api/v1/inspectors", get(inspectors))
        .route("/api/v1/items", get(items))
        .route("/api/v1/joint-items", get(joint_items))
        .route("/api/v1/dashboard", get(figures))
        .route("/api/v1/reports", get(report))
        .route("/api/v1/ledger", get(ledger_entries))
        .route("/api/v1/ledger/verify", get(verify))
        .route("/api/v1/accounts", get(account_list))
}

async fn departments(
    State(state): State<Arc<AppState>>,
    _user: User,
    Query(query): Query<ListQuery>,
) -> Result<Json<Listing<DepartmentRow>>> {
    Ok(Json(directories::list_departments(&state, &query).await?))
}

async fn entities(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Json<Listing<EntityRow>>> {
    Ok(Json(
        directories::list_entities(&state, user.account(), &query).await?,
    ))
}

async fn inspectors(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Json<Listing<InspectorRow>>> {
    Ok(Json(
        directories::list_inspectors(&state, user.account(), &query).await?,
    ))
}

async fn items(
    State(state): State<Arc<AppState>>,
    _user: User,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ItemRow>>> {
    Ok(Json(directories::list_items(&state, &query, false).await?))
}

async fn joint_items(
    State(state): State<Arc<AppState>>,
    _user: User,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ItemRow>>> {
    Ok(Json(directories::list_items(&state, &query, true).await?))
}

#[derive(serde::Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

async fn figures(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<YearQuery>,
) -> Result<Json<Figures>> {
    let year = dashboard::year_or_default(&state, query.year).await?;
    Ok(Json(
        dashboard::figures_for(&state, user.account(), year).await?,
    ))
}

async fn report(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ReportQuery>,
) -> Result<Json<Report>> {
    Ok(Json(
        reports::report_for(&state, user.account(), &query).await?,
    ))
}

async fn ledger_entries(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<LedgerQuery>,
) -> Result<Json<LedgerPage>> {
    user.require(Permission::AuditLedger)?;
    Ok(Json(ledger::entries(&state, &query).await?))
}

/// The audit with its one-line verdict.
#[derive(serde::Serialize)]
struct Verdict {
    intact: bool,
    verdict: String,
    #[serde(flatten)]
    report: AuditReport,
}

async fn verify(State(state): State<Arc<AppState>>, user: User) -> Result<Json<Verdict>> {
    user.require(Permission::AuditLedger)?;
    let report = audit::verify(&state.db).await?;
    Ok(Json(Verdict {
        intact: report.intact(),
        verdict: ledger::verdict(&report),
        report,
    }))
}

async fn account_list(
    State(state): State<Arc<AppState>>,
    user: User,
) -> Result<Json<Vec<AccountRow>>> {
    user.require(Permission::ManageAccounts)?;
    Ok(Json(accounts::list(&state).await?))
}

fn listing_schema(item: Value) -> Value {
    json!({"type": "object", "required": ["total", "items"], "properties": {
        "total": {"type": "integer"}, "items": {"type": "array", "items": item},
        "next": {"type": "string", "description": "传给 after 取下一页 (cursor of the next page)"}}})
}

fn object(properties: &[&str]) -> Value {
    let props: serde_json::Map<String, Value> = properties
        .iter()
        .map(|p| ((*p).to_owned(), json!({})))
        .collect();
    json!({"type": "object", "properties": props})
}

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let limit = param("limit", "query", false, "每页条数 1–500 (page size)", "20");
    let entity = object(&[
        "uscc",
        "name",
        "entity_type",
        "registration_type",
        "district",
        "industry",
        "registered_on",
        "status",
        "credit_class",
        "tags",
    ]);
    let inspector = object(&[
        "cert_no",
        "name",
        "department",
        "id_card",
        "valid_from",
        "valid_until",
        "certified",
        "fields",
        "district",
    ]);
    let item = object(&[
        "code",
        "category",
        "name",
        "departments",
        "target_type",
        "ratio",
        "frequency",
        "legal_basis",
    ]);
    let entity_params = vec![
        param(
            "q",
            "query",
            false,
            "名称包含或信用代码前缀 (name or code)",
            "商贸",
        ),
        param(
            "district",
            "query",
            false,
            "区域代码 (district code)",
            "420202",
        ),
        param(
            "status",
            "query",
            false,
            "登记状态 存续/注销/吊销/迁出",
            "存续",
        ),
        param(
            "class",
            "query",
            false,
            "信用风险分类 A–D 或 none，需 SeeRiskClasses",
            "A",
        ),
        param(
            "after",
            "query",
            false,
            "上一页的 next：统一社会信用代码 (cursor)",
            "91420200000000000X",
        ),
        limit,
    ];
    let inspector_params = vec![
        param(
            "q",
            "query",
            false,
            "姓名包含或执法证号前缀 (name or certificate)",
            "420200-SCJG",
        ),
        param(
            "department",
            "query",
            false,
            "部门代码；部门角色只能查本部门",
            "SCJG",
        ),
        param(
            "after",
            "query",
            false,
            "上一页的 next：执法证号 (cursor)",
            "420200-SCJG-0100",
        ),
        limit,
    ];
    let item_params = vec![
        param("q", "query", false, "编码前缀或名称包含", "食品"),
        param(
            "department",
            "query",
            false,
            "部门代码（联合清单：牵头或配合）",
            "SCJG",
        ),
    ];
    let department = object(&[
        "code",
        "name",
        "short_name",
        "level",
        "district",
        "district_name",
        "uscc",
        "active",
    ]);
    vec![
        Operation {
            method: "get",
            path: "/api/v1/departments",
            summary: "部门名录：搜索与分页（编码与名称、所属区域、启用状态）",
            tag: "directories",
            access: Access::LoggedIn,
            params: vec![
                param("q", "query", false, "编码前缀、名称或简称包含", "SJGJ"),
                param("district", "query", false, "所属区域代码", "420200"),
                param(
                    "after",
                    "query",
                    false,
                    "上一页的 next：部门编码 (cursor)",
                    "SJGJ",
                ),
                limit,
            ],
            body: None,
            response: listing_schema(department),
        },
        Operation {
            method: "get",
            path: "/api/v1/entities",
            summary: "检查对象名录库：搜索与分页（风险分类仅对有权限者返回）",
            tag: "directories",
            access: Access::LoggedIn,
            params: entity_params,
            body: None,
            response: listing_schema(entity),
        },
        Operation {
            method: "get",
            path: "/api/v1/inspectors",
            summary: "执法检查人员名录库：搜索与分页（部门角色仅本部门；身份证号脱敏）",
            tag: "directories",
            access: Access::LoggedIn,
            params: inspector_params,
            body: None,
            response: listing_schema(inspector),
        },
        Operation {
            method: "get",
            path: "/api/v1/items",
            summary: "随机抽查事项清单",
            tag: "directories",
            access: Access::LoggedIn,
            params: item_params.clone(),
            body: None,
            response: json!({"type": "array", "items": item}),
        },
        Operation {
            method: "get",
            path: "/api/v1/joint-items",
            summary: "部门联合抽查事项清单",
            tag: "directories",
            access: Access::LoggedIn,
            params: item_params,
            body: None,
            response: json!({"type": "array", "items": object(&["code", "category", "name", "departments"])}),
        },
        Operation {
            method: "get",
            path: "/api/v1/dashboard",
            summary: "工作台数据：本部门（部门角色）或全市的年度指标与图表数据",
            tag: "reports",
            access: Access::LoggedIn,
            params: vec![param(
                "year",
                "query",
                false,
                "年度（默认最近一次抽取的年度）",
                "2025",
            )],
            body: None,
            response: object(&[
                "scope",
                "scope_name",
                "year",
                "entities",
                "inspectors",
                "report",
                "monthly",
                "risk_classes",
            ]),
        },
        Operation {
            method: "get",
            path: "/api/v1/reports",
            summary: "统计报表（月通报、季调度、年终考评）；部门角色仅本部门",
            tag: "reports",
            access: Access::Permission(Permission::DownloadReports),
            params: vec![
                param(
                    "kind",
                    "query",
                    false,
                    "monthly、quarterly 或 annual（默认）",
                    "quarterly",
                ),
                param("year", "query", false, "年度", "2025"),
                param("period", "query", false, "月份 1–12 或季度 1–4", "2"),
                param("department", "query", false, "部门代码（空为全市）", "SCJG"),
            ],
            body: None,
            response: object(&["kind", "title", "start", "end", "as_of", "rows"]),
        },
        Operation {
            method: "get",
            path: "/api/v1/ledger",
            summary: "审计台账，新的在前，可按操作与操作人筛选",
            tag: "ledger",
            access: Access::Permission(Permission::AuditLedger),
            params: vec![
                param("action", "query", false, "操作前缀", "plan."),
                param("actor", "query", false, "操作人包含", "计划科"),
                param("department", "query", false, "操作人所属部门代码", "SCJG"),
                param("from", "query", false, "开始日期（北京时间）", "2025-01-01"),
                param("to", "query", false, "结束日期（北京时间）", "2025-12-31"),
                param(
                    "before",
                    "query",
                    false,
                    "早于此序号（上一页的 next）",
                    "5000",
                ),
                param("limit", "query", false, "每页条数 1–500", "20"),
            ],
            body: None,
            response: object(&["head", "items", "next"]),
        },
        Operation {
            method: "get",
            path: "/api/v1/ledger/verify",
            summary: "立即校验台账哈希链与业务数据，返回结论与问题清单",
            tag: "ledger",
            access: Access::Permission(Permission::AuditLedger),
            params: Vec::new(),
            body: None,
            response: object(&["intact", "verdict", "entries", "rows", "breaks"]),
        },
        Operation {
            method: "get",
            path: "/api/v1/accounts",
            summary: "账号列表（不含密码）",
            tag: "accounts",
            access: Access::Permission(Permission::ManageAccounts),
            params: Vec::new(),
            body: None,
            response: json!({"type": "array", "items": object(&["username", "display_name", "role", "department", "disabled"])}),
        },
    ]
}
