//! The authorization matrix: every route of the application, asked by nobody
//! and by each of the seven demo accounts, each answer sorted into an
//! [`Outcome`] and compared with what the route's [`Rule`] says.
//!
//! - Pages: the table [`PAGES`], one line per (method, route). A `{name}` in a
//!   probe path is a [`Fixtures`] value of the demo city. A test reads the
//!   routers' source and fails on a page route missing from the table, so a new
//!   page gets its line.
//! - API: derived from `api::operations()` (the OpenAPI list), so a new
//!   operation is covered without a line here: `Public` → everyone, `LoggedIn`
//!   → anyone logged in, `Permission(p)` → the roles that `may(p)`. Called with
//!   each account's API token, the documented examples of the path and the
//!   required query parameters, and a body made from the request schema. A
//!   record an example names may be absent from the test city: the route's
//!   own 404 counts as allowed. A test also reads the API routers' source and
//!   fails on a route missing from `operations()`, and calls every operation
//!   with all its examples to find a documented one with no route.
//! - State changes: with a session and without its CSRF token → 403, always;
//!   without a session → login required; with the token, the route's rule
//!   (a 400/409/422 means the request passed the check and was judged on its
//!   content). A record route may hide (404) what it refuses.
//! - Department scoping: [`SCOPED`] probes records of SCJG (the demo accounts'
//!   department) and of another department.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use domain::account::{Permission, Role};
use domain::inspection::{Round, RoundStatus, Visit};
use domain::plan::{Plan, PlanStatus};
use serde_json::{Value, json};
use service::accounts::issue_token;
use storage::{self, WorkflowStore};
use web::api::openapi::{Access, Operation};
use web::api::operations;
use web::pages::url_encode;

use crate::common::web::{Answer, Client, TestServer};

/// The demo accounts (password `jianguan-demo`), with their roles; the departmental ones are in SCJG.
const ACCOUNTS: [(&str, Role); 7] = [
    ("admin", Role::SystemAdmin),
    ("scjg.admin", Role::DepartmentAdmin),
    ("scjg.staff", Role::DepartmentStaff),
    ("scjg.inspector", Role::Inspector),
    ("sfj.supervisor", Role::Supervisor),
    ("credit.office", Role::CreditOffice),
    ("hotline.operator", Role::HotlineOperator),
];

/// The demo accounts' department.
const OWN_DEPARTMENT: &str = "SCJG";

/// What an answer means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 2xx, or a redirect other than to the login page (a state change judged
    /// on its content, 400/404/409/422, also passed the authorization).
    Allowed,
    /// 401 (API), or 303 to `/login` (pages).
    LoginRequired,
    /// 403.
    Forbidden,
    /// The route's own 404 (with a message): the thing asked for does not exist or is hidden.
    Missing,
}

/// Who may use a route.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, without login.
    Public,
    /// Any logged-in account.
    LoggedIn,
    /// Accounts with the permission.
    Needs(Permission),
    /// Accounts with the permission, but not this role (whose demo account is
    /// not on the record, e.g. an inspector on no team of the visit).
    NeedsExcept(Permission, Role),
    /// Accounts with any of the permissions.
    AnyOf(&'static [Permission]),
}

impl Rule {
    /// What `role` (`None`: nobody logged in) should get.
    fn expect(self, role: Option<Role>) -> Outcome {
        let Some(role) = role else {
            return match self {
                Self::Public => Outcome::Allowed,
                _ => Outcome::LoginRequired,
            };
        };
        let allowed = match self {
            Self::Public | Self::LoggedIn => true,
            Self::Needs(permission) => role.may(permission),
            Self::NeedsExcept(permission, except) => role.may(permission) && role != except,
            Self::AnyOf(permissions) => permissions.iter().any(|p| role.may(*p)),
        };
        if allowed {
            Outcome::Allowed
        } else {
            Outcome::Forbidden
        }
    }
}

impl From<Access> for Rule {
    fn from(access: Access) -> Self {
        match access {
            Access::Public => Self::Public,
            Access::LoggedIn => Self::LoggedIn,
            Access::Permission(permission) => Self::Needs(permission),
            Access::AnyOf(permissions) => Self::AnyOf(permissions),
        }
    }
}

/// One page route.
struct Page {
    /// `GET` or `POST`.
    method: &'static str,
    /// The path; `{name}` is replaced by the fixture `name`.
    path: &'static str,
    /// Who may use it.
    rule: Rule,
    /// For POST: a form that passes the authorization check, or `None` to
    /// probe only the login and CSRF refusals (a POST whose success would
    /// disturb the other probes, e.g. a password change).
    form: Option<&'static [(&'static str, &'static str)]>,
    /// What an allowed caller gets ([`Outcome::Missing`] for a probe of
    /// something that cannot exist in a fresh server, like a job).
    allowed_as: Outcome,
}

/// A page anyone allowed reads.
const fn get(path: &'static str, rule: Rule) -> Page {
    Page {
        method: "GET",
        path,
        rule,
        form: None,
        allowed_as: Outcome::Allowed,
    }
}

/// A form post, with a form that passes the authorization check (or `None`).
const fn post(
    path: &'static str,
    rule: Rule,
    form: Option<&'static [(&'static str, &'static str)]>,
) -> Page {
    Page {
        method: "POST",
        path,
        rule,
        form,
        allowed_as: Outcome::Allowed,
    }
}

/// A plan creation form that passes the authorization check (SCJG lead).
const PLAN_FORM: &[(&str, &str)] = &[
    ("id", "AUTHZ-PLAN-1"),
    ("title", "授权测试计划"),
    ("lead", OWN_DEPARTMENT),
    ("items", "SCJG-004-1"),
    ("inspectors", "2"),
    ("rate_A", "1"),
    ("period_start", "2026-12-01"),
    ("period_end", "2026-12-31"),
];

/// A round commitment form (no plan is drawable in December: refused on content).
const COMMIT_FORM: &[(&str, &str)] = &[
    ("id", "AUTHZ-ROUND-1"),
    ("window_start", "2026-12-01"),
    ("window_end", "2026-12-31"),
];

/// An out-of-plan inspection form (the entity is not real: refused on content).
const OUT_OF_PLAN_FORM: &[(&str, &str)] = &[
    ("entity", "91420200AUTHZ00000"),
    ("reason", "投诉举报"),
    ("detail", "授权测试"),
    ("inspected_on", "2026-03-02"),
    ("inspectors", "420200-SCJG-0001"),
];

/// A credit repair request for an entry that does not exist.
const REPAIR_FORM: &[(&str, &str)] = &[
    ("subject", "91420200AUTHZ00000"),
    ("list_type", "penalty"),
    ("listed_on", "2026-03-02"),
    ("ref_no", "授权测试"),
    ("statement", "授权测试"),
];

/// Entering a visit's results: the department's staff, or an inspector on the team.
const ENTER_RESULTS: Rule = Rule::NeedsExcept(Permission::EnterResults, Role::Inspector);

/// A new account (a hotline operator, who changes nothing the matrix probes).
const ACCOUNT_FORM: &[(&str, &str)] = &[
    ("username", "authz.new"),
    ("display_name", "授权测试"),
    ("role", "hotline_operator"),
];

/// Who reads the comprehensive window's lists and files.
const SERVICE_READERS: [Permission; 3] = [
    Permission::CheckCredit,
    Permission::HandleWorkOrders,
    Permission::ReadAllDepartments,
];

/// Every page route but the department-scoped record pages of [`SCOPED`].
/// Add a line with each new page (the completeness test says which).
const PAGES: &[Page] = &[
    get("/", Rule::Public),
    get("/login", Rule::Public),
    get("/account/password", Rule::LoggedIn),
    post("/account/password", Rule::LoggedIn, None),
    get("/healthz", Rule::Public),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/jobs/{job}", Rule::LoggedIn)
    },
    // 公示平台: everything public.
    get("/gongshi", Rule::Public),
    get("/gongshi/plans", Rule::Public),
    get("/gongshi/plans/{published_plan}", Rule::Public),
    get("/gongshi/results?q={entity}", Rule::Public),
    get("/gongshi/rounds", Rule::Public),
    get("/gongshi/rounds/{round}", Rule::Public),
    get("/gongshi/rounds/{round}/record.json", Rule::Public),
    get("/gongshi/verify?round={round}&code={entity}", Rule::Public),
    get("/gongshi/ledger", Rule::Public),
    get("/gongshi/ledger.json", Rule::Public),
    get("/gongshi/penalties?q={entity}", Rule::Public),
    // 工作台, 名录库
    get("/dashboard", Rule::LoggedIn),
    get("/directories", Rule::LoggedIn),
    // Import templates hold no data.
    get("/directories/templates/departments", Rule::LoggedIn),
    // The upload is multipart (which this client does not send): only its login and CSRF refusals here.
    post(
        "/directories/import",
        Rule::Needs(Permission::ImportDirectories),
        None,
    ),
    post(
        "/directories/export",
        Rule::Needs(Permission::SeeRiskClasses),
        Some(&[("kind", "entities"), ("format", "csv")]),
    ),
    post(
        "/directories/export",
        Rule::Needs(Permission::ImportDirectories),
        Some(&[("kind", "inspectors"), ("format", "csv")]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/files/{file}", Rule::LoggedIn)
    },
    // 部门名录: the system administrator edits it. The forms are refused on
    // content (no district, no name) or change nothing (reactivating an active
    // department, a delete without confirmation).
    get(
        "/directories/departments/new",
        Rule::Needs(Permission::ManageDepartments),
    ),
    get(
        "/directories/departments/{department}",
        Rule::Needs(Permission::ManageDepartments),
    ),
    post(
        "/directories/departments",
        Rule::Needs(Permission::ManageDepartments),
        Some(&[
            ("code", "AUTHZ"),
            ("name", "授权测试局"),
            ("level", "市级"),
            ("district", ""),
        ]),
    ),
    post(
        "/directories/departments/{department}",
        Rule::Needs(Permission::ManageDepartments),
        Some(&[("name", ""), ("level", "市级"), ("district", "420200")]),
    ),
    post(
        "/directories/departments/{department}/active",
        Rule::Needs(Permission::ManageDepartments),
        Some(&[("active", "true")]),
    ),
    post(
        "/directories/departments/{department}/delete",
        Rule::Needs(Permission::ManageDepartments),
        Some(&[]),
    ),
    // 抽查计划
    get("/plans", Rule::LoggedIn),
    get("/plans/new", Rule::Needs(Permission::EditPlans)),
    post("/plans/export", Rule::LoggedIn, Some(&[("format", "csv")])),
    post("/rounds/export", Rule::LoggedIn, Some(&[("format", "csv")])),
    post(
        "/supervision/out-of-plan/export",
        Rule::LoggedIn,
        Some(&[("format", "csv")]),
    ),
    post(
        "/plans",
        Rule::Needs(Permission::EditPlans),
        Some(PLAN_FORM),
    ),
    post(
        "/plans/{own_plan}/file",
        Rule::Needs(Permission::EditPlans),
        Some(&[]),
    ),
    post(
        "/plans/{own_plan}/confirm",
        Rule::Needs(Permission::EditPlans),
        Some(&[("decision", "同意")]),
    ),
    post(
        "/plans/{own_plan}/approve",
        Rule::Needs(Permission::ApprovePlans),
        Some(&[]),
    ),
    post(
        "/plans/{own_plan}/publish",
        Rule::Needs(Permission::ApprovePlans),
        Some(&[]),
    ),
    // 抽查批次
    get("/rounds", Rule::LoggedIn),
    post(
        "/rounds",
        Rule::Needs(Permission::RunRounds),
        Some(COMMIT_FORM),
    ),
    get("/rounds/{round}", Rule::LoggedIn),
    post(
        "/rounds/{round}/draw",
        Rule::Needs(Permission::RunRounds),
        Some(&[("witnesses", "张三,李四"), ("beacon", "授权测试")]),
    ),
    post(
        "/rounds/{round}/publish",
        Rule::Needs(Permission::RunRounds),
        Some(&[]),
    ),
    get("/rounds/{round}/visits", Rule::LoggedIn),
    post(
        "/rounds/{round}/visits/export",
        Rule::LoggedIn,
        Some(&[("format", "csv")]),
    ),
    get("/rounds/{round}/bulletin", Rule::LoggedIn),
    get("/rounds/{round}/witness-record", Rule::LoggedIn),
    get(
        "/rounds/{round}/record.json",
        Rule::Needs(Permission::AuditLedger),
    ),
    // 检查结果: a visit of SCJG (its results already published); scjg.inspector
    // is on none of the small city's teams, and only the team's inspectors enter.
    get("/results", Rule::LoggedIn),
    get(
        "/results/visits/{visit_round}/{visit_entity}",
        ENTER_RESULTS,
    ),
    post(
        "/results/visits/{visit_round}/{visit_entity}",
        ENTER_RESULTS,
        Some(&[]),
    ),
    post(
        "/results/publish",
        Rule::Needs(Permission::PublishResults),
        Some(&[]),
    ),
    // 统计报表, 审计台账
    get("/reports", Rule::Needs(Permission::DownloadReports)),
    get("/services/kpi", Rule::Needs(Permission::DownloadReports)),
    get(
        "/services/verification",
        Rule::Needs(Permission::ManageCredit),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get(
            "/services/verification/{nobody}",
            Rule::Needs(Permission::ManageCredit),
        )
    },
    post(
        "/services/verification",
        Rule::Needs(Permission::ManageCredit),
        Some(&[("id", "AUTHZ-HC"), ("month", "1999-01")]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/services/verification/{nobody}/draw",
            Rule::Needs(Permission::ManageCredit),
            Some(&[("witnesses", "甲"), ("beacon", "b")]),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/services/verification/{nobody}/result",
            Rule::Needs(Permission::ManageCredit),
            Some(&[("application", "B1"), ("outcome", "属实")]),
        )
    },
    get(
        "/services/kpi/download",
        Rule::Needs(Permission::DownloadReports),
    ),
    get(
        "/reports/download",
        Rule::Needs(Permission::DownloadReports),
    ),
    get("/ledger", Rule::Needs(Permission::AuditLedger)),
    post(
        "/ledger/verify",
        Rule::Needs(Permission::AuditLedger),
        Some(&[]),
    ),
    get(
        "/ledger?action=plan.filed&from=2025-01-01&to=2025-12-31&page=2",
        Rule::Needs(Permission::AuditLedger),
    ),
    post(
        "/ledger/export",
        Rule::Needs(Permission::AuditLedger),
        Some(&[("action", "plan."), ("format", "csv")]),
    ),
    // 账号管理: the account changed does not exist (404 once authorized), so no session ends.
    get("/accounts", Rule::Needs(Permission::ManageAccounts)),
    post(
        "/accounts",
        Rule::Needs(Permission::ManageAccounts),
        Some(ACCOUNT_FORM),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/accounts/{nobody}/disable",
            Rule::Needs(Permission::ManageAccounts),
            Some(&[("disabled", "1")]),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/accounts/{nobody}/reset",
            Rule::Needs(Permission::ManageAccounts),
            Some(&[]),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/accounts/{nobody}/token",
            Rule::Needs(Permission::ManageAccounts),
            Some(&[("label", "authz")]),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/accounts/{nobody}/tokens/0123456789ab/revoke",
            Rule::Needs(Permission::ManageAccounts),
            Some(&[]),
        )
    },
    // 工作日历: the notice upload is multipart (which this client does not send): only its login and CSRF refusals here.
    get("/calendar", Rule::Needs(Permission::ManageAccounts)),
    post("/calendar", Rule::Needs(Permission::ManageAccounts), None),
    // 首次设置: everyone sees the page (others: ask the administrator); only the administrator sets up
    // (the demo city is 420200 already: a no-op).
    get("/setup", Rule::LoggedIn),
    post(
        "/setup",
        Rule::Needs(Permission::ManageAccounts),
        Some(&[("code", "420200"), ("confirm", "1")]),
    ),
    // 行政处罚案件
    get("/cases", Rule::LoggedIn),
    get("/cases/discretion?q=SJ", Rule::LoggedIn),
    post("/cases/export", Rule::LoggedIn, Some(&[("format", "csv")])),
    // 行政复议 and 出庭应诉: every account sees its own scope; the demo holds
    // no application, so an application's page answers 404.
    get("/reconsideration", Rule::LoggedIn),
    post(
        "/reconsideration/export",
        Rule::LoggedIn,
        Some(&[("format", "csv")]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/reconsideration/FY-NONE", Rule::LoggedIn)
    },
    // The upload is multipart (which this client does not send): only its login and CSRF refusals here.
    post(
        "/reconsideration/import",
        Rule::Needs(Permission::Rectify),
        None,
    ),
    // 行政执法统计年报: every account sees its own line (the Justice Bureau all).
    get("/justice/annual?year=2025", Rule::LoggedIn),
    get("/justice/annual/download?year=2025", Rule::LoggedIn),
    get("/litigation", Rule::LoggedIn),
    post(
        "/litigation/export",
        Rule::LoggedIn,
        Some(&[("format", "csv")]),
    ),
    // 行政处罚案件录入 (the case page is in SCOPED): an empty form passes the
    // authorization, then fails validation (400).
    get("/cases/new", CASE_CLERKS),
    post("/cases/new", CASE_CLERKS, Some(&[])),
    get("/cases/{own_case}/edit", CASE_CLERKS),
    post("/cases/{own_case}/edit", CASE_CLERKS, Some(&[])),
    // 案卷评查: the demo city has no review, so a review's pages answer 404
    // once authorized; the commitment form is refused on content (no case in 2019).
    get("/review", Rule::LoggedIn),
    post(
        "/review",
        Rule::Needs(Permission::Rectify),
        Some(&[
            ("id", "AUTHZ-REVIEW-1"),
            ("year", "2019"),
            ("per_department", "1"),
        ]),
    ),
    post("/review/export", Rule::LoggedIn, Some(&[("format", "csv")])),
    get("/review/reviewers", Rule::LoggedIn),
    post(
        "/review/reviewers/import",
        Rule::Needs(Permission::Rectify),
        None,
    ),
    post(
        "/review/reviewers/export",
        Rule::LoggedIn,
        Some(&[("format", "csv")]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/review/{nobody}", Rule::LoggedIn)
    },
    post(
        "/review/{nobody}/draw",
        Rule::Needs(Permission::Rectify),
        Some(&[("witnesses", "张三"), ("beacon", "授权测试")]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get(
            "/review/{nobody}/record.json",
            Rule::AnyOf(&[Permission::Rectify, Permission::ReadAllDepartments]),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..get("/review/{nobody}/public.json", Rule::LoggedIn)
    },
    Page {
        allowed_as: Outcome::Missing,
        ..get("/review/{nobody}/files/{nobody}", Rule::LoggedIn)
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/review/{nobody}/files/{nobody}/score",
            Rule::Needs(Permission::Rectify),
            Some(&[("reviewer", "E1")]),
        )
    },
    // 执法监督
    get("/supervision", Rule::LoggedIn),
    post(
        "/supervision/out-of-plan",
        Rule::Needs(Permission::RegisterOutOfPlan),
        Some(OUT_OF_PLAN_FORM),
    ),
    post(
        "/supervision/notices",
        Rule::Needs(Permission::Rectify),
        Some(&[("subject", "x"), ("requirement", "授权测试")]),
    ),
    post(
        "/supervision/notices/{notice}/answer",
        Rule::Needs(Permission::RegisterOutOfPlan),
        Some(&[("text", "已整改")]),
    ),
    post(
        "/supervision/notices/{notice}/review",
        Rule::Needs(Permission::Rectify),
        Some(&[("text", "退回")]),
    ),
    // 政务服务: the catalogue for everyone logged in; the window's lists for
    // window staff, back offices and city-wide readers; no file named exists.
    get("/services/matters", Rule::LoggedIn),
    get("/services/matters?q=食品&one_window=是", Rule::LoggedIn),
    post(
        "/services/matters/export",
        Rule::LoggedIn,
        Some(&[("format", "csv")]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/services/matters/{nobody}", Rule::LoggedIn)
    },
    get("/services/window", Rule::AnyOf(&SERVICE_READERS)),
    get("/services/window/due", Rule::AnyOf(&SERVICE_READERS)),
    get(
        "/services/window/due?q=W&department=SCJG&page=2",
        Rule::AnyOf(&SERVICE_READERS),
    ),
    post(
        "/services/window/export",
        Rule::AnyOf(&SERVICE_READERS),
        Some(&[("format", "csv"), ("stage", "已受理")]),
    ),
    post(
        "/services/window/due/export",
        Rule::AnyOf(&SERVICE_READERS),
        Some(&[("format", "xlsx")]),
    ),
    post(
        "/services/window",
        Rule::Needs(Permission::CheckCredit),
        Some(&[
            ("matter", "AUTHZ-NONE"),
            ("applicant_name", "授权测试"),
            ("applicant", "91420200MA4KLTGX86"),
            ("window", "综合窗口"),
        ]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/services/window/{nobody}", Rule::AnyOf(&SERVICE_READERS))
    },
    Page {
        allowed_as: Outcome::Missing,
        ..get(
            "/services/window/{nobody}/receipt",
            Rule::AnyOf(&SERVICE_READERS),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..get(
            "/services/window/{nobody}/correction",
            Rule::AnyOf(&SERVICE_READERS),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/services/window/{nobody}/accept",
            Rule::Needs(Permission::CheckCredit),
            None,
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/services/window/{nobody}/decide",
            Rule::AnyOf(&SERVICE_READERS),
            Some(&[("decision", "准予"), ("reason", "授权测试")]),
        )
    },
    get("/gongshi/services/status?code=00", Rule::Public),
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/gongshi/services/status",
            Rule::Public,
            Some(&[("code", "00"), ("review", "满意")]),
        )
    },
    // 信用修复: the entry and the request named do not exist (404 once authorized).
    get("/credit/repair", Rule::LoggedIn),
    get("/gongshi/credit?q={entity}", Rule::Public),
    // 电子证照验真: public; the demo city has no licence key (404 for the key).
    get("/gongshi/licences/verify?no=SP-0001", Rule::Public),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/gongshi/licences/key", Rule::Public)
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/credit/repair",
            Rule::Needs(Permission::ReviewCreditRepair),
            Some(REPAIR_FORM),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..get("/credit/repair/{nobody}", Rule::LoggedIn)
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/credit/repair/{nobody}/review",
            Rule::Needs(Permission::ReviewCreditRepair),
            Some(&[("decision", "reject"), ("reason", "授权测试")]),
        )
    },
    // 信用监管: the matter checked does not exist in the test city (404 once authorized).
    get("/credit", Rule::Needs(Permission::CheckCredit)),
    get(
        "/credit/entries?q=9142",
        Rule::Needs(Permission::CheckCredit),
    ),
    get("/credit/matters", Rule::Needs(Permission::CheckCredit)),
    get("/credit/check", Rule::Needs(Permission::CheckCredit)),
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/credit/check",
            Rule::Needs(Permission::CheckCredit),
            Some(&[("matter", "AUTHZ-NONE"), ("id", "91420200MA4KLTGX86")]),
        )
    },
    get("/credit/check/batch", Rule::Needs(Permission::CheckCredit)),
    post(
        "/credit/check/batch",
        Rule::Needs(Permission::CheckCredit),
        None,
    ),
    get("/credit/log", Rule::Needs(Permission::CheckCredit)),
    post(
        "/credit/log/export",
        Rule::Needs(Permission::CheckCredit),
        Some(&[("format", "csv")]),
    ),
    post(
        "/credit/import",
        Rule::Needs(Permission::ManageCredit),
        None,
    ),
    // 信用风险分类, 个人信用积分 (the query is logged; a person without records scores too)
    get("/credit/risk", Rule::Needs(Permission::SeeRiskClasses)),
    get(
        "/credit/risk?uscc={entity}",
        Rule::Needs(Permission::SeeRiskClasses),
    ),
    post(
        "/credit/risk/classify",
        Rule::Needs(Permission::ManageCredit),
        Some(&[]),
    ),
    get("/credit/score", Rule::Needs(Permission::SeePersonalCredit)),
    post(
        "/credit/score",
        Rule::Needs(Permission::SeePersonalCredit),
        Some(&[("id", "11010519491231002X"), ("purpose", "授权测试")]),
    ),
    // 12345热线: the centre, city-wide readers and handling departments read; the order named does not exist
    // (404 once authorized); the intake names no configured channel (refused on content).
    get("/hotline", HOTLINE_READERS),
    post(
        "/hotline",
        Rule::Needs(Permission::DispatchWorkOrders),
        Some(&[
            ("category", "授权测试"),
            ("content", "授权测试"),
            ("channel", "99999"),
        ]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..get("/hotline/orders/{nobody}", HOTLINE_READERS)
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/hotline/orders/{nobody}/act",
            HOTLINE_ACTORS,
            Some(&[("action", "sign")]),
        )
    },
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/hotline/orders/{nobody}/inspection",
            Rule::Needs(Permission::RegisterOutOfPlan),
            Some(&[("detail", "授权测试")]),
        )
    },
    get(
        "/hotline?number=GD&keyword=食品&from=2025-01-01&to=2025-12-31&page=2",
        HOTLINE_READERS,
    ),
    get(
        "/hotline/entities?q=公司",
        Rule::Needs(Permission::DispatchWorkOrders),
    ),
    post(
        "/hotline/export",
        HOTLINE_READERS,
        Some(&[("keyword", "食品"), ("format", "csv")]),
    ),
    Page {
        allowed_as: Outcome::Missing,
        ..post(
            "/hotline/orders/{nobody}/reveal",
            HOTLINE_READERS,
            Some(&[]),
        )
    },
    get("/hotline/due", HOTLINE_READERS),
    get("/hotline/kpi", HOTLINE_READERS),
    get("/hotline/kpi/download?format=json", HOTLINE_READERS),
    get("/hotline/kpi/download?format=xlsx", HOTLINE_READERS),
];

/// Who enters and edits their department's penalty cases (the system
/// administrator belongs to no department).
const CASE_CLERKS: Rule = Rule::NeedsExcept(Permission::RegisterOutOfPlan, Role::SystemAdmin);

/// Who reads work orders (a department only those dispatched to it).
const HOTLINE_READERS: Rule = Rule::AnyOf(web::api::hotline::READERS);
/// Who takes steps on work orders.
const HOTLINE_ACTORS: Rule = Rule::AnyOf(web::api::hotline::ACTORS);

/// Routes tested elsewhere, not in the matrix: logging in and out change the
/// session the matrix runs on (tests/web/auth.rs covers them).
const ELSEWHERE: &[(&str, &str)] = &[("POST", "/login"), ("POST", "/logout")];

/// A record probed for department scoping: one of SCJG (the demo accounts'
/// department) and the same kind of record of a department SCJG has no part in.
struct Scoped {
    /// Path to SCJG's record (fixtures in braces).
    own: &'static str,
    /// Path to the other department's record.
    other: &'static str,
    /// Who may use the route at all.
    rule: Rule,
}

/// Department scoping: a departmental account reads its department's record
/// and is refused (403, or 404 as if absent) the other; city-wide readers
/// (`ReadAllDepartments`) read both; others read neither.
const SCOPED: &[Scoped] = &[
    Scoped {
        own: "/plans/{own_plan}",
        other: "/plans/{other_plan}",
        rule: Rule::LoggedIn,
    },
    Scoped {
        own: "/rounds/{visit_round}/visits/{visit_entity}/notice",
        other: "/rounds/{visit_round}/visits/{other_visit_entity}/notice",
        rule: Rule::LoggedIn,
    },
    Scoped {
        own: "/plans/{own_plan}/bulletin",
        other: "/plans/{other_plan}/bulletin",
        rule: Rule::LoggedIn,
    },
    Scoped {
        own: "/supervision/notices/{notice}",
        other: "/supervision/notices/{other_notice}",
        rule: Rule::LoggedIn,
    },
    Scoped {
        own: "/supervision/notices/{notice}/print",
        other: "/supervision/notices/{other_notice}/print",
        rule: Rule::LoggedIn,
    },
    Scoped {
        own: "/cases/{own_case}",
        other: "/cases/{other_case}",
        rule: Rule::LoggedIn,
    },
];

/// Values of the demo city the probes name.
struct Fixtures(BTreeMap<&'static str, String>);

impl Fixtures {
    /// Reads the database of a running test server; issues an API token per demo account.
    fn load(database: &Path) -> (Self, BTreeMap<&'static str, String>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async {
            let url = database.to_string_lossy().into_owned();
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            let plans = db
                .list::<Plan>(None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let involves_own = |plan: &Plan| {
                plan.participants
                    .iter()
                    .any(|p| p.department == OWN_DEPARTMENT)
            };
            let own_plan = plans
                .iter()
                .find(|plan| plan.lead == OWN_DEPARTMENT && plan.status == PlanStatus::Published)
                .unwrap_or_else(|| panic!("no published SCJG plan in the demo city"));
            let other_plan = plans
                .iter()
                .find(|plan| !involves_own(plan))
                .unwrap_or_else(|| panic!("no plan without SCJG in the demo city"));
            let mut values = BTreeMap::new();
            values.insert("job", "999999".to_owned());
            values.insert("file", "no-such-file".to_owned());
            values.insert("nobody", "authz.nobody".to_owned());
            values.insert("department", OWN_DEPARTMENT.to_owned());
            values.insert("own_plan", own_plan.id.clone());
            values.insert("other_plan", other_plan.id.clone());
            values.insert("published_plan", own_plan.id.clone());
            let rounds = db
                .list::<Round>(None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let round = rounds
                .iter()
                .rfind(|round| round.status == RoundStatus::Published)
                .unwrap_or_else(|| panic!("no published round in the demo city"));
            let visits = db
                .list::<Visit>(Some(("round", &round.id)))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let visit = visits
                .first()
                .unwrap_or_else(|| panic!("round {} has no visit", round.id));
            values.insert("round", round.id.clone());
            values.insert("entity", visit.entity.clone());
            // A visit of SCJG whose team scjg.inspector is not on.
            let inspector_certificate = db
                .get::<domain::account::Account>("scjg.inspector")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .and_then(|account| account.certificate);
            let inspected = visits
                .iter()
                .find(|v| {
                    v.teams.iter().any(|t| t.department == OWN_DEPARTMENT)
                        && !v.teams.iter().any(|t| {
                            inspector_certificate
                                .as_ref()
                                .is_some_and(|c| t.assigned.contains(c))
                        })
                })
                .unwrap_or_else(|| panic!("SCJG has no visit in round {}", round.id));
            values.insert("visit_round", inspected.round.clone());
            values.insert("visit_entity", inspected.entity.clone());
            let elsewhere = visits
                .iter()
                .find(|v| v.teams.iter().all(|t| t.department != OWN_DEPARTMENT))
                .unwrap_or_else(|| panic!("every visit of round {} has SCJG", round.id));
            values.insert("other_visit_entity", elsewhere.entity.clone());
            let cases = storage::CaseStore::penalty_cases(&db, None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            for (name, own) in [("own_case", true), ("other_case", false)] {
                let case = cases
                    .iter()
                    .find(|c| (c.department == OWN_DEPARTMENT) == own)
                    .unwrap_or_else(|| panic!("no {name} in the demo city"));
                values.insert(name, case.id.clone());
            }
            let mut tokens = BTreeMap::new();
            for (username, _) in ACCOUNTS {
                let token = issue_token(&db, username, "authz matrix", "test")
                    .await
                    .unwrap_or_else(|e| panic!("token for {username}: {e}"));
                tokens.insert(username, token);
            }
            db.close().await;
            (Self(values), tokens)
        })
    }

    /// `path` with each `{name}` replaced by its fixture (URL-encoded).
    fn fill(&self, path: &str) -> String {
        let mut out = path.to_owned();
        for (name, value) in &self.0 {
            out = out.replace(&format!("{{{name}}}"), &url_encode(value));
        }
        assert!(!out.contains('{'), "no fixture for a parameter of {path}");
        out
    }
}

/// Sorts an answer. `judged_on_content`: a state change whose 400/409/422
/// means the authorization passed and the request itself was refused.
fn classify(answer: &Answer, judged_on_content: bool) -> Result<Outcome, String> {
    let outcome = match answer.status {
        200..=299 => Outcome::Allowed,
        300..=399
            if answer
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login")) =>
        {
            Outcome::LoginRequired
        }
        300..=399 => Outcome::Allowed,
        401 => Outcome::LoginRequired,
        403 => Outcome::Forbidden,
        404 if answer.body.is_empty() => return Err("404 without a body: no such route".into()),
        405 => return Err("405: no such method on this route".into()),
        400 | 409 | 422 if judged_on_content => Outcome::Allowed,
        404 => Outcome::Missing,
        status => return Err(format!("{status}: {}", snippet(&answer.body))),
    };
    Ok(outcome)
}

fn snippet(body: &str) -> String {
    body.chars().take(300).collect()
}

/// The server, a session and an API-token client per account, and the mismatches found.
struct Matrix {
    server: TestServer,
    fixtures: Fixtures,
    /// Anonymous first, then one per account.
    sessions: Vec<(Option<Role>, &'static str, Client)>,
    tokens: BTreeMap<&'static str, String>,
    failures: Vec<String>,
}

impl Matrix {
    fn start() -> Self {
        let server = TestServer::start();
        let (mut fixtures, tokens) = Fixtures::load(&server.database);
        // Rectification notices to SCJG and to another department, issued by the Justice Bureau.
        let mut supervisor = server.anonymous();
        supervisor.bearer = tokens.get("sfj.supervisor").cloned();
        for (key, plan) in [("notice", "own_plan"), ("other_notice", "other_plan")] {
            let subject = format!("plan:{}", fixtures.0[plan]);
            let body = json!({"subject": subject, "requirement": "授权测试：请说明抽查比例的依据"});
            let answer = supervisor.send_json("POST", "/api/v1/rectifications", &body);
            assert_eq!(answer.status, 200, "issue a notice: {}", answer.body);
            let id = answer.json()["id"].as_str().map(str::to_owned);
            fixtures.0.insert(
                key,
                id.unwrap_or_else(|| panic!("no notice id: {}", answer.body)),
            );
        }
        let mut sessions = vec![(None, "anonymous", server.anonymous())];
        for (username, role) in ACCOUNTS {
            sessions.push((Some(role), username, server.login(username)));
        }
        Self {
            server,
            fixtures,
            sessions,
            tokens,
            failures: Vec::new(),
        }
    }

    /// Records a mismatch unless the answer is one of `expected`.
    fn check(
        &mut self,
        what: String,
        answer: &Answer,
        judged_on_content: bool,
        expected: &[Outcome],
    ) {
        match classify(answer, judged_on_content) {
            Ok(outcome) if expected.contains(&outcome) => {}
            Ok(outcome) => self.failures.push(format!(
                "{what}: expected {expected:?}, got {outcome:?} ({} {})",
                answer.status,
                answer
                    .location
                    .as_deref()
                    .map_or_else(|| snippet(&answer.body), str::to_owned)
            )),
            Err(problem) => self
                .failures
                .push(format!("{what}: expected {expected:?}, got {problem}")),
        }
    }

    /// Fails with every mismatch found.
    fn finish(self, area: &str) {
        assert!(
            self.failures.is_empty(),
            "{} {area} authorization mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }

    fn page(&mut self, page: &Page) {
        let path = self.fixtures.fill(page.path);
        let mut checks = Vec::new();
        let names_a_record = page.path.contains('{');
        for (role, name, client) in &mut self.sessions {
            let expected = match page.rule.expect(*role) {
                Outcome::Allowed => page.allowed_as,
                other => other,
            };
            let expected = acceptable(expected, names_a_record, false);
            let what = |how: &str| format!("{} {path} as {name}{how}", page.method);
            if page.method == "GET" {
                checks.push((
                    what(""),
                    again_if_dropped(|| client.get(&path)),
                    false,
                    expected,
                ));
                continue;
            }
            // A state change: nobody logged in → login; a session without its token → 403.
            let fields = page.form.unwrap_or(&[]);
            let mut forged: Vec<(&str, &str)> = fields.to_vec();
            forged.push(("csrf", "forged"));
            let without_token = again_if_dropped(|| client.post_form(&path, &forged));
            let refused = if role.is_some() {
                &[Outcome::Forbidden][..]
            } else {
                expected
            };
            checks.push((
                what(" without the CSRF token"),
                without_token,
                true,
                refused,
            ));
            if page.form.is_some() && role.is_some() {
                checks.push((
                    what(" with the CSRF token"),
                    again_if_dropped(|| client.post_form(&path, fields)),
                    true,
                    expected,
                ));
            }
        }
        for (what, answer, judged, expected) in checks {
            self.check(what, &answer, judged, expected);
        }
    }

    /// An API operation, with each account's token (and without any).
    fn operation(&mut self, op: &Operation) {
        let path = example_path(op, false);
        let method = op.method.to_uppercase();
        let body = op.body.as_ref().map_or(Value::Null, example_of);
        let changes_state = method != "GET";
        let rule = Rule::from(op.access);
        let names_a_record = op.params.iter().any(|p| p.location == "path");
        let mut checks = Vec::new();
        for (role, name, session) in &mut self.sessions {
            let expected = acceptable(rule.expect(*role), names_a_record, true);
            let what = |how: &str| format!("{method} {path} as {name}{how}");
            let mut caller = self.server.anonymous();
            caller.bearer = self.tokens.get(name).cloned();
            checks.push((
                what(" (API token)"),
                call(&mut caller, &method, &path, &body),
                changes_state,
                expected,
            ));
            if changes_state && role.is_some() {
                let token = std::mem::replace(&mut session.csrf, "forged".into());
                let forged = call(session, &method, &path, &body);
                session.csrf = token;
                checks.push((
                    what(" (session without the CSRF token)"),
                    forged,
                    true,
                    &[Outcome::Forbidden][..],
                ));
            }
        }
        for (what, answer, judged, expected) in checks {
            self.check(what, &answer, judged, expected);
        }
    }
}

/// The outcomes that satisfy `expected` on a route naming a record (`names_a_record`):
/// a record the caller may not see may be hidden (404) rather than refused;
/// on the API (`example`) the record a documented example names (in the path
/// or the body) may not exist in the test city, so an allowed caller may get
/// the route's own 404.
fn acceptable(expected: Outcome, names_a_record: bool, example: bool) -> &'static [Outcome] {
    match expected {
        Outcome::Forbidden if names_a_record => &[Outcome::Forbidden, Outcome::Missing],
        Outcome::Allowed if example => &[Outcome::Allowed, Outcome::Missing],
        Outcome::Allowed => &[Outcome::Allowed],
        Outcome::LoginRequired => &[Outcome::LoginRequired],
        Outcome::Forbidden => &[Outcome::Forbidden],
        Outcome::Missing => &[Outcome::Missing],
    }
}

/// Sends `body` (JSON) with `method`, or GETs.
fn call(client: &mut Client, method: &str, path: &str, body: &Value) -> Answer {
    again_if_dropped(|| {
        if method == "GET" {
            client.get(path)
        } else {
            client.send_json(method, path, body)
        }
    })
}

/// Runs a request, and once more if the harness panicked on a dropped
/// connection: a refusal sent before the request body was read (401, or 403
/// for a CSRF header) lets the server close a connection the client pooled.
fn again_if_dropped(mut request: impl FnMut() -> Answer) -> Answer {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(&mut request)) {
        Ok(answer) => answer,
        Err(_) => request(),
    }
}

/// The operation's path with its documented examples: path parameters filled
/// in, query parameters appended (only the required ones unless `optional`:
/// an optional parameter may need more, e.g. `class` needs `SeeRiskClasses`).
fn example_path(op: &Operation, optional: bool) -> String {
    let mut path = op.path.to_owned();
    let mut query = Vec::new();
    for param in &op.params {
        match param.location {
            "path" => {
                path = path.replace(&format!("{{{}}}", param.name), &url_encode(param.example))
            }
            _ if !param.example.is_empty() && (param.required || optional) => {
                query.push(format!("{}={}", param.name, url_encode(param.example)));
            }
            _ => {}
        }
    }
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// A value matching a JSON schema: its `example`, else the first of its
/// `examples`/`enum`, else a plain value of its type (objects with their
/// `required` properties, or every property when none is required).
fn example_of(schema: &Value) -> Value {
    if let Some(example) = schema.get("example").or_else(|| schema.get("const")) {
        return example.clone();
    }
    for list in ["examples", "enum"] {
        if let Some(first) = schema
            .get(list)
            .and_then(|v| v.as_array())
            .and_then(|v| v.first())
        {
            return first.clone();
        }
    }
    let kind = match schema.get("type") {
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null"),
        Some(Value::String(kind)) => kind.as_str(),
        _ if schema.get("properties").is_some() => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let mut object = serde_json::Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    if !required.is_empty() && !required.contains(&name.as_str()) {
                        continue;
                    }
                    object.insert(name.clone(), example_of(property));
                }
            }
            Value::Object(object)
        }
        "array" => json!([]),
        "string" if schema.get("format").and_then(Value::as_str) == Some("date") => {
            json!("2026-03-02")
        }
        "string" => json!("test"),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

/// `{anything}` → `{}` and no query, so route templates compare whatever their parameters are called.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("{}");
            }
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The (METHOD, route shape) pairs of every `.route("…", …)` in the `.rs`
/// files under `dir` (recursively), for routes given as string literals.
fn routes_in_source(dir: &Path) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(routes_in_source(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            found.extend(routes_in(&source));
        }
    }
    found
}

/// The routes declared in one source file.
fn routes_in(source: &str) -> Vec<(String, String)> {
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let mut routes = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let trimmed = rest.trim_start();
        let Some(literal) = trimmed.strip_prefix('"') else {
            continue;
        };
        let Some(end) = literal.find('"') else { break };
        let route = &literal[..end];
        // The method router: up to the `)` closing `.route(`.
        let mut depth = 1;
        let mut close = literal.len();
        for (index, c) in literal[end + 1..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                close = end + 1 + index;
                break;
            }
        }
        let handlers = &literal[end + 1..close];
        for method in METHODS {
            let mut search = handlers;
            while let Some(found) = search.find(&format!("{method}(")) {
                let before = search[..found].chars().next_back();
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                    routes.push((method.to_uppercase(), shape(route)));
                    break;
                }
                search = &search[found + 1..];
            }
        }
    }
    routes
}

fn source_dir(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn every_page_route_answers_each_role_as_its_rule_says() {
    let mut matrix = Matrix::start();
    for page in PAGES {
        matrix.page(page);
    }
    matrix.finish("page");
}

#[test]
fn every_api_operation_answers_each_role_as_its_access_says() {
    let mut matrix = Matrix::start();
    for op in operations() {
        matrix.operation(&op);
    }
    matrix.finish("API");
}

#[test]
fn departmental_accounts_see_only_their_department() {
    let mut matrix = Matrix::start();
    let mut checks = Vec::new();
    for scoped in SCOPED {
        let own = matrix.fixtures.fill(scoped.own);
        let other = matrix.fixtures.fill(scoped.other);
        for (role, name, client) in &mut matrix.sessions {
            let sees_all = role.is_some_and(|r| r.may(Permission::ReadAllDepartments));
            let sees_own = sees_all || role.is_some_and(Role::is_departmental);
            for (path, sees) in [(&own, sees_own), (&other, sees_all)] {
                let expected = match scoped.rule.expect(*role) {
                    Outcome::Allowed if !sees => Outcome::Forbidden,
                    outcome => outcome,
                };
                checks.push((
                    format!("GET {path} as {name}"),
                    again_if_dropped(|| client.get(path)),
                    expected,
                ));
            }
        }
    }
    for (what, answer, expected) in checks {
        matrix.check(what, &answer, false, acceptable(expected, true, false));
    }
    matrix.finish("department scoping");
}

#[test]
fn the_openapi_document_lists_every_operation() {
    let server = TestServer::start();
    let answer = server.anonymous().get("/api/openapi.json");
    assert_eq!(answer.status, 200);
    let document = answer.json();
    assert_eq!(document["openapi"], "3.1.0", "{document}");
    let paths = document["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("no paths: {document}"));
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|methods| methods.keys())
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = operations()
        .iter()
        .map(|op| (op.method.to_uppercase(), op.path.to_owned()))
        .collect();
    assert_eq!(
        documented, listed,
        "the document is built from operations()"
    );
    for op in operations() {
        assert!(
            op.path.starts_with("/api/v1/"),
            "{} is not under /api/v1/",
            op.path
        );
        for param in &op.params {
            if param.location == "path" {
                assert!(
                    op.path.contains(&format!("{{{}}}", param.name)),
                    "{} has no {{{}}}",
                    op.path,
                    param.name
                );
                assert!(
                    !param.example.is_empty(),
                    "{} {}: parameter {} has no example",
                    op.method,
                    op.path,
                    param.name
                );
            }
        }
    }
}

#[test]
fn every_api_route_is_documented_and_every_documented_operation_is_routed() {
    let routed: BTreeSet<(String, String)> = routes_in_source(&source_dir("../web/src/api"))
        .into_iter()
        .filter(|(_, path)| path != "/api/openapi.json")
        .collect();
    let documented: BTreeSet<(String, String)> = operations()
        .iter()
        .map(|op| (op.method.to_uppercase(), shape(op.path)))
        .collect();
    let undocumented: Vec<_> = routed
        .iter()
        .filter(|(method, route)| {
            !documented
                .iter()
                .any(|(m, path)| m == method && instance_of(path, route))
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "API routes missing from operations(): {undocumented:?}"
    );
    // The other way round, by asking the server (a route the source scan missed still answers).
    let server = TestServer::start();
    let mut client = server.anonymous();
    let mut unrouted = Vec::new();
    for op in operations() {
        let path = example_path(&op, true);
        let body = op.body.as_ref().map_or(Value::Null, example_of);
        let answer = call(&mut client, &op.method.to_uppercase(), &path, &body);
        if (answer.status == 404 && answer.body.is_empty()) || answer.status == 405 {
            unrouted.push(format!("{} {path}: {}", op.method, answer.status));
        }
    }
    assert!(
        unrouted.is_empty(),
        "documented operations with no route: {unrouted:?}"
    );
}

/// Whether the probe path (shaped) is an instance of the route (shaped): equal
/// segments, or a parameter of the route standing for a fixed segment of the probe.
fn instance_of(probe: &str, route: &str) -> bool {
    let probe: Vec<&str> = probe.split('/').collect();
    let route: Vec<&str> = route.split('/').collect();
    probe.len() == route.len() && probe.iter().zip(&route).all(|(p, r)| p == r || *r == "{}")
}

#[test]
fn every_page_route_is_in_the_matrix() {
    let api = source_dir("../web/src/api");
    let routed: BTreeSet<(String, String)> = routes_in_source(&source_dir("../web/src"))
        .difference(&routes_in_source(&api))
        .cloned()
        .collect();
    let listed: BTreeSet<(String, String)> = PAGES
        .iter()
        .map(|page| (page.method.to_owned(), shape(page.path)))
        .chain(
            SCOPED
                .iter()
                .map(|scoped| ("GET".to_owned(), shape(scoped.own))),
        )
        .chain(
            ELSEWHERE
                .iter()
                .map(|(method, path)| ((*method).to_owned(), shape(path))),
        )
        .collect();
    let covers = |(method, probe): &(String, String), (route_method, route): &(String, String)| {
        method == route_method && instance_of(probe, route)
    };
    let missing: Vec<_> = routed
        .iter()
        .filter(|route| !listed.iter().any(|probe| covers(probe, route)))
        .collect();
    assert!(
        missing.is_empty(),
        "page routes missing from PAGES in tests/web/authz.rs: {missing:?}"
    );
    let stale: Vec<_> = listed
        .iter()
        .filter(|probe| !routed.iter().any(|route| covers(probe, route)))
        .collect();
    assert!(
        stale.is_empty(),
        "PAGES lines with no route in src/http: {stale:?}"
    );
}

#[test]
fn the_route_scanner_reads_chained_and_multi_line_routes() {
    let source = r#"Router::new()
        .route("/plans/{id}", get(show).post(change))
        .route(
            "/rounds/{round}/draw",
            axum::routing::post(draw).layer(DefaultBodyLimit::max(1 << 20)),
        )
        .route(&format!("{PREFIX}/{{name}}"), get(asset))"#;
    let routes: BTreeSet<(String, String)> = routes_in(source).into_iter().collect();
    let expected: BTreeSet<(String, String)> = [
        ("GET", "/plans/{}"),
        ("POST", "/plans/{}"),
        ("POST", "/rounds/{}/draw"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
    .collect();
    assert_eq!(routes, expected);
}
