//! 行政处罚案件 (/cases): the Justice Bureau's view of every department's
//! penalty cases, their findings per department and rule with a trend by
//! month, and the decisions overdue for publication or withdrawal. A
//! department's staff see their own department only. Each finding can raise
//! a rectification notice (`case_finding`) on `/supervision/notices`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::lists::{Filters, PER_PAGE, offset, page_number};
use crate::pages::{Chrome, department_options, render};
use crate::staff::list_export::{ExportRequest, ListExport, start};
use crate::staff::lists::{ExportForm, Pager};
use domain::account::{Account, Permission};
use domain::enforcement::{CaseRules, PenaltyCase};
use domain::hotline::WorkingDays;
use service::enforcement::{Finding, RULES, run_check};
use storage::CaseStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/cases", get(index))
        .route("/cases/export", post(export))
        .route("/cases/discretion", get(discretion))
}

/// A rule's name in Chinese.
pub fn rule_name(rule: &str) -> &'static str {
    match rule {
        "officers" => "执法人员资格",
        "unknown_behaviour" => "违法行为未设裁量基准",
        "tier_range" => "罚款超出裁量阶次",
        "first_offence" => "首违不罚",
        "legal_review" => "法制审核",
        "publicity" => "公示逾期",
        "withdrawal" => "撤回逾期",
        "decision_late" => "决定超期",
        _ => "其他",
    }
}

/// The list's filters, as the page reads them from the query.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CaseFilter {
    /// Words of the case number, the party's name or the behaviour code.
    #[serde(default)]
    q: Option<String>,
    /// A department code.
    #[serde(default)]
    department: Option<String>,
    /// `decided`, `pending` or `published`.
    #[serde(default)]
    status: Option<String>,
    /// A rule with findings.
    #[serde(default)]
    rule: Option<String>,
    /// `YYYY-MM` of the decision (the filing while undecided).
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().map_or("", str::trim)
}

impl CaseFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", text(&self.q))
            .with("department", text(&self.department))
            .with("status", text(&self.status))
            .with("rule", text(&self.rule))
            .with("month", text(&self.month))
    }
}

/// The case's month: of its decision, of its filing while undecided.
fn month_of(case: &PenaltyCase) -> String {
    case.decided_on
        .unwrap_or(case.filed_on)
        .format("%Y-%m")
        .to_string()
}

/// The department whose cases `account` sees: `None` for all (the Justice
/// Bureau and the readers of every department), else its own (an account of
/// no department sees none).
pub(crate) fn scope(account: &Account) -> Option<String> {
    if account.may(Permission::Rectify) || account.reads_all() {
        None
    } else {
        Some(account.department.clone().unwrap_or_default())
    }
}

/// The permission to enter and edit one's department's cases
/// (`staff::case_entry`): the one a department's staff hold for its
/// out-of-plan inspections.
pub(crate) const ENTER_CASES: Permission = Permission::RegisterOutOfPlan;

/// Whether `account` enters cases of its own department.
fn may_enter(account: &Account) -> bool {
    account
        .department
        .as_deref()
        .is_some_and(|d| account.may_in(ENTER_CASES, d))
}

/// The cases the viewer sees and their findings, as of today.
struct Register {
    cases: Vec<PenaltyCase>,
    findings: HashMap<String, Vec<Finding>>,
    all_findings: Vec<Finding>,
}

async fn load(state: &AppState, department: Option<&str>, today: NaiveDate) -> Result<Register> {
    let calendar = state.calendar.get();
    let rules = CaseRules::default();
    let report = run_check(&state.db, department, today, &rules, &*calendar).await?;
    let cases = state.db.penalty_cases(department).await?;
    let mut findings: HashMap<String, Vec<Finding>> = HashMap::new();
    for finding in &report.findings {
        findings
            .entry(finding.case.clone())
            .or_default()
            .push(finding.clone());
    }
    Ok(Register {
        cases,
        findings,
        all_findings: report.findings,
    })
}

impl Register {
    fn matching(&self, filter: &CaseFilter) -> Vec<&PenaltyCase> {
        let q = text(&filter.q).to_lowercase();
        let rule = text(&filter.rule);
        self.cases
            .iter()
            .filter(|c| {
                q.is_empty()
                    || c.id.to_lowercase().contains(&q)
                    || c.party_name.to_lowercase().contains(&q)
                    || c.behaviour.to_lowercase().contains(&q)
            })
            .filter(|c| match text(&filter.department) {
                "" => true,
                d => c.department == d,
            })
            .filter(|c| match text(&filter.status) {
                "decided" => c.decided_on.is_some(),
                "pending" => c.decided_on.is_none(),
                "published" => c.published_on.is_some(),
                _ => true,
            })
            .filter(|c| {
                rule.is_empty()
                    || self
                        .findings
                        .get(&c.id)
                        .is_some_and(|f| f.iter().any(|f| f.rule == rule))
            })
            .filter(|c| match text(&filter.month) {
                "" => true,
                m => month_of(c) == m,
            })
            .collect()
    }
}

/// One row of the list.
struct CaseRow {
    id: String,
    department: String,
    party_name: String,
    party_id: String,
    behaviour: String,
    filed_on: String,
    decided_on: String,
    fine: String,
    published_on: String,
    /// (rule code, rule name).
    findings: Vec<(String, &'static str)>,
}

fn row(case: &PenaltyCase, findings: Option<&Vec<Finding>>) -> CaseRow {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    CaseRow {
        id: case.id.clone(),
        department: case.department.clone(),
        party_name: case.party_name.clone(),
        party_id: case.party_id.masked(),
        behaviour: case.behaviour.clone(),
        filed_on: case.filed_on.to_string(),
        decided_on: date(case.decided_on),
        fine: case
            .fine
            .map(|fen| format!("{}.{:02}", fen / 100, fen % 100))
            .unwrap_or_default(),
        published_on: date(case.published_on),
        findings: findings
            .into_iter()
            .flatten()
            .map(|f| (f.rule.clone(), rule_name(&f.rule)))
            .collect(),
    }
}

/// A decision overdue for publication or withdrawal.
struct Overdue {
    id: String,
    department: String,
    /// 应公示 or 应撤回.
    what: &'static str,
    /// The decision (or change) date.
    from: NaiveDate,
    deadline: String,
}

#[derive(Template)]
#[template(path = "staff/cases.html")]
struct Index {
    chrome: Chrome,
    rows: Vec<CaseRow>,
    pager: Pager,
    export: ExportForm,
    q: String,
    department: String,
    status: String,
    rule: String,
    month: String,
    departments: Vec<(String, String)>,
    /// Whether the viewer sees every department.
    sees_all: bool,
    rules: Vec<(&'static str, &'static str)>,
    /// Per department: (code, name, counts per rule in [`RULES`] order, total).
    table: Vec<(String, String, Vec<usize>, usize)>,
    /// Per month: (month, counts per rule).
    trend: Vec<(String, Vec<usize>)>,
    chart: String,
    overdue: Vec<Overdue>,
    may_rectify: bool,
    /// Whether the viewer enters its department's cases (`/cases/new`).
    may_enter: bool,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<CaseFilter>,
) -> Result<Html<String>> {
    let account = user.account();
    let department = scope(account);
    let today = domain::clock::today();
    let register = load(&state, department.as_deref(), today).await?;
    let matching = register.matching(&filter);
    let page = page_number(filter.page);
    let total = matching.len() as u64;
    let rows = matching
        .iter()
        .skip(usize::try_from(offset(page)).unwrap_or(usize::MAX))
        .take(PER_PAGE as usize)
        .map(|c| row(c, register.findings.get(&c.id)))
        .collect();
    let departments: Vec<(String, String)> = department_options(&state)
        .await?
        .into_iter()
        .filter(|(code, _)| department.as_deref().is_none_or(|d| d == code))
        .collect();
    let case_of: HashMap<&str, &PenaltyCase> =
        register.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let rule_index = |rule: &str| RULES.iter().position(|r| *r == rule);
    let mut by_department: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_month: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for finding in &register.all_findings {
        let (Some(case), Some(at)) = (
            case_of.get(finding.case.as_str()),
            rule_index(&finding.rule),
        ) else {
            continue;
        };
        by_department
            .entry(case.department.clone())
            .or_insert_with(|| vec![0; RULES.len()])[at] += 1;
        by_month
            .entry(month_of(case))
            .or_insert_with(|| vec![0; RULES.len()])[at] += 1;
    }
    let names: HashMap<&str, &str> = departments
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect();
    let table = by_department
        .into_iter()
        .map(|(code, counts)| {
            let name = names.get(code.as_str()).copied().unwrap_or("").to_owned();
            let sum = counts.iter().sum();
            (code, name, counts, sum)
        })
        .collect();
    let months: Vec<&String> = by_month.keys().collect();
    let series: Vec<_> = RULES
        .iter()
        .enumerate()
        .map(|(at, rule)| {
            let data: Vec<usize> = by_month.values().map(|c| c[at]).collect();
            json!({"name": rule_name(rule), "type": "line", "data": data})
        })
        .collect();
    let chart = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"top": 56, "left": 50, "right": 20, "bottom": 30},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series
    })
    .to_string();
    let calendar = state.calendar.get();
    let rules = CaseRules::default();
    let mut overdue = Vec::new();
    for finding in &register.all_findings {
        let Some(case) = case_of.get(finding.case.as_str()) else {
            continue;
        };
        let (what, from, days) = match finding.rule.as_str() {
            "publicity" if case.published_on.is_none() => (
                "应公示未公示",
                case.decided_on,
                rules.publicity_working_days,
            ),
            "withdrawal" if case.withdrawn_on.is_none() => ("应撤回未撤回", case.changed_on, 3),
            _ => continue,
        };
        let Some(from) = from else { continue };
        overdue.push(Overdue {
            id: case.id.clone(),
            department: case.department.clone(),
            what,
            from,
            deadline: calendar
                .last_day(from, days)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        });
    }
    let filters = filter.filters();
    render(&Index {
        rows,
        pager: Pager::new("/cases", &filters, page, total),
        export: ExportForm::new("/cases/export", &user.0.csrf, &filters),
        q: text(&filter.q).to_owned(),
        department: text(&filter.department).to_owned(),
        status: text(&filter.status).to_owned(),
        rule: text(&filter.rule).to_owned(),
        month: text(&filter.month).to_owned(),
        departments,
        sees_all: department.is_none(),
        rules: RULES.iter().map(|r| (*r, rule_name(r))).collect(),
        table,
        trend: by_month.into_iter().collect(),
        chart,
        overdue,
        may_rectify: account.may(Permission::Rectify),
        may_enter: may_enter(account),
        chrome: Chrome::staff(&user, "行政处罚案件", "/cases"),
    })
}

/// The list (with its filters) as a CSV/XLSX job; ID numbers masked.
async fn export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<CaseFilter>>,
) -> Result<Html<String>> {
    let department = scope(user.account());
    let register = load(&state, department.as_deref(), domain::clock::today()).await?;
    let rows: Vec<CaseRow> = register
        .matching(&request.filter)
        .into_iter()
        .map(|c| row(c, register.findings.get(&c.id)))
        .collect();
    let back = request.filter.filters().href("/cases");
    let export = ListExport {
        name: "行政处罚案件",
        back: &back,
        format: request.format(),
    };
    start(
        &state,
        &user,
        export,
        async move |_, mut writer, progress| {
            writer
                .row(&[
                    "案件编号",
                    "执法部门",
                    "当事人名称",
                    "当事人证件号码",
                    "违法行为编码",
                    "立案日期",
                    "决定日期",
                    "罚款金额",
                    "公示日期",
                    "问题",
                ])
                .map_err(Error::internal)?;
            let total = rows.len() as u64;
            for (done, r) in rows.into_iter().enumerate() {
                let problems: BTreeSet<&str> = r.findings.iter().map(|(_, name)| *name).collect();
                writer
                    .row(&[
                        r.id,
                        r.department,
                        r.party_name,
                        r.party_id,
                        r.behaviour,
                        r.filed_on,
                        r.decided_on,
                        r.fine,
                        r.published_on,
                        problems.into_iter().collect::<Vec<_>>().join("、"),
                    ])
                    .map_err(Error::internal)?;
                progress.set(done as u64 + 1, total);
            }
            Ok(writer)
        },
    )
}

/// What the lookup asks: a behaviour's code or words of its name.
#[derive(Debug, Default, Deserialize)]
struct LookupQuery {
    #[serde(default)]
    q: Option<String>,
}

/// One behaviour of the lookup: its tiers and the four lists.
struct Behaviour {
    code: String,
    name: String,
    departments: String,
    legal_basis: String,
    /// (tier, conditions, fine range).
    tiers: Vec<(String, String, String)>,
    /// (list, whether a row of the behaviour is on it).
    lists: Vec<(&'static str, bool)>,
}

#[derive(Template)]
#[template(path = "staff/cases_discretion.html")]
struct Lookup {
    chrome: Chrome,
    q: String,
    /// `第 N 版（YYYY-MM-DD 起施行）`, empty before any import.
    version: String,
    behaviours: Vec<Behaviour>,
}

/// 裁量基准查询: the version in force today, a behaviour's tiers with their
/// conditions and fine ranges, and which of the four lists apply.
async fn discretion(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<LookupQuery>,
) -> Result<Html<String>> {
    use domain::enforcement::{DiscretionVersion, ListKind, version_in_force, yuan};
    use storage::WorkflowStore;
    let q: String = text(&query.q).chars().take(100).collect();
    let versions = state.db.list::<DiscretionVersion>(None).await?;
    let in_force = version_in_force(&versions, domain::clock::today());
    let mut behaviours: Vec<Behaviour> = Vec::new();
    if let Some(version) = in_force.filter(|_| !q.is_empty()) {
        for row in version.matching(&q) {
            let range = match (row.fine_min, row.fine_max) {
                (None, None) => "不罚款".to_owned(),
                (min, max) => format!(
                    "{} 元 至 {} 元",
                    min.map_or_else(|| "不限".to_owned(), yuan),
                    max.map_or_else(|| "不限".to_owned(), yuan)
                ),
            };
            let tier = (row.tier.to_string(), row.conditions.clone(), range);
            match behaviours.iter_mut().find(|b| b.code == row.code) {
                Some(behaviour) => behaviour.tiers.push(tier),
                None => behaviours.push(Behaviour {
                    code: row.code.clone(),
                    name: row.behaviour.clone(),
                    departments: row.departments.join("、"),
                    legal_basis: row.legal_basis.clone(),
                    tiers: vec![tier],
                    lists: Vec::new(),
                }),
            }
        }
        for behaviour in &mut behaviours {
            behaviour.lists = ListKind::ALL
                .iter()
                .map(|list| {
                    let on = version
                        .rows
                        .iter()
                        .any(|r| r.code == behaviour.code && r.list == Some(*list));
                    (list.as_str(), on)
                })
                .collect();
        }
    }
    render(&Lookup {
        version: in_force
            .map(|v| format!("第 {} 版（{} 起施行）", v.version, v.in_force))
            .unwrap_or_default(),
        q,
        behaviours,
        chrome: Chrome::staff(&user, "裁量基准查询", "/cases"),
    })
}
