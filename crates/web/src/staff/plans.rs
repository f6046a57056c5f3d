//! 抽查计划 (/plans): list, plan page, the creation form and the life-cycle
//! steps 备案 → 批准 → 公示. The checks live in the `pub(crate)` functions
//! here, shared with the JSON API (`http::api::workflow`).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render, url_decode};
use domain::account::{Account, Permission};
use domain::item::InspectionItem;
use domain::plan::{
    Decision, Participant, Plan, PlanFields, PlanKind, PlanScope, PlanStatus, STRATA, StratumRate,
};
use domain::{DepartmentCode, EntityType};
use service::{self, WorkflowError};
use storage::{Store, WorkflowStore};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/plans", get(index).post(create_from_form))
        .route("/plans/new", get(new_form))
        .route("/plans/{id}", get(show))
        .route("/plans/{id}/confirm", post(answer_from_form))
        .route("/plans/{id}/{step}", post(step_from_form))
}

// ---- shared with the API -------------------------------------------------

/// A URL-encoded form body as (name, value) pairs; repeated names (check
/// boxes) are kept.
pub(crate) struct FormPairs(Vec<(String, String)>);

impl FormPairs {
    /// Parses `a=1&b=2&b=3`.
    pub(crate) fn parse(body: &str) -> Self {
        Self(
            body.split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (url_decode(name), url_decode(value))
                })
                .collect(),
        )
    }

    /// The first value of `name`, trimmed ("" when missing).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every non-empty value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// A required date field.
    pub(crate) fn date(&self, name: &str, label: &str) -> Result<NaiveDate> {
        parse_date(self.get(name), label)
    }
}

/// A `YYYY-MM-DD` date, or a Chinese error naming `label`.
pub(crate) fn parse_date(text: &str, label: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::BadRequest(format!("{label}应为日期 YYYY-MM-DD（收到 “{text}”）")))
}

/// A list separated by commas, Chinese commas, `、` or white space.
pub(crate) fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ' ', '\n', '\r', '\t', ';', '；'])
        .filter(|part| !part.trim().is_empty())
        .map(|part| part.trim().to_owned())
        .collect()
}

/// Whether the account sees the plan: readers of every department, or a
/// department that leads it or takes part in it.
pub(crate) fn plan_visible(account: &Account, plan: &Plan) -> bool {
    account.reads_all()
        || plan
            .participants
            .iter()
            .any(|p| account.department.as_deref() == Some(p.department.as_str()))
}

/// Which plans a list shows.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PlanFilter {
    /// Calendar year.
    #[serde(default)]
    pub year: Option<String>,
    /// Status (草稿, 已备案, 已批准, 已公示 or the English codes).
    #[serde(default)]
    pub status: Option<String>,
}

/// The plans the user sees, filtered.
pub(crate) async fn visible_plans(
    state: &AppState,
    user: &User,
    filter: &PlanFilter,
) -> Result<Vec<Plan>> {
    let year = match filter
        .year
        .as_deref()
        .map(str::trim)
        .filter(|y| !y.is_empty())
    {
        Some(text) => Some(
            text.parse::<i32>()
                .map_err(|_| Error::BadRequest(format!("年度应为数字（收到 “{text}”）")))?,
        ),
        None => None,
    };
    let status = match filter
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(text) => Some(PlanStatus::parse(text)?),
        None => None,
    };
    let plans = match year {
        Some(year) => {
            state
                .db
                .list::<Plan>(Some(("year", &year.to_string())))
                .await?
        }
        None => state.db.list::<Plan>(None).await?,
    };
    Ok(plans
        .into_iter()
        .filter(|p| plan_visible(user.account(), p))
        .filter(|p| status.is_none_or(|s| p.status == s))
        .collect())
}

/// One plan, if the user sees it.
pub(crate) async fn visible_plan(state: &AppState, user: &User, id: &str) -> Result<Plan> {
    state
        .db
        .get::<Plan>(id)
        .await?
        .filter(|plan| plan_visible(user.account(), plan))
        .ok_or_else(|| Error::NotFound(format!("抽查计划 {id} 不存在或无权查看")))
}

/// Creates a plan (草稿) of the lead department: [`Permission::EditPlans`] there.
pub(crate) async fn create_plan(state: &AppState, user: &User, fields: PlanFields) -> Result<Plan> {
    user.require_in(Permission::EditPlans, &fields.lead)?;
    Ok(service::create_plan(&state.db, fields, service::now(), &user.actor()).await?)
}

/// A life-cycle step of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlanStep {
    /// 备案 (草稿 → 已备案).
    File,
    /// 批准 (已备案 → 已批准).
    Approve,
    /// 公示 (已批准 → 已公示).
    Publish,
}

impl PlanStep {
    /// From the last path segment: `file`, `approve` or `publish`.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        match text {
            "file" => Ok(Self::File),
            "approve" => Ok(Self::Approve),
            "publish" => Ok(Self::Publish),
            other => Err(Error::NotFound(format!("没有这个步骤：{other}"))),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::File => "备案",
            Self::Approve => "批准",
            Self::Publish => "公示",
        }
    }

    fn target(self) -> PlanStatus {
        match self {
            Self::File => PlanStatus::Filed,
            Self::Approve => PlanStatus::Approved,
            Self::Publish => PlanStatus::Published,
        }
    }

    /// Filing needs [`Permission::EditPlans`]; approving and publishing
    /// [`Permission::ApprovePlans`].
    fn permission(self) -> Permission {
        match self {
            Self::File => Permission::EditPlans,
            Self::Approve | Self::Publish => Permission::ApprovePlans,
        }
    }
}

/// Moves a plan on by one step, in the lead department only; the person who
/// filed the plan does not approve it.
pub(crate) async fn advance(
    state: &AppState,
    user: &User,
    id: &str,
    step: PlanStep,
) -> Result<Plan> {
    let plan = visible_plan(state, user, id).await?;
    user.require_in(step.permission(), &plan.lead)?;
    if step == PlanStep::Approve && plan.filed_by.as_deref() == Some(user.actor().as_str()) {
        return Err(Error::Conflict(format!(
            "计划 {id} 由您备案，须由他人批准（备案与批准不由同一人办理）"
        )));
    }
    service::advance_plan(
        &state.db,
        id,
        step.target(),
        service::now(),
        &user.actor(),
        step.label(),
    )
    .await
    .map_err(|error| match error {
        WorkflowError::Refused(message) => Error::Conflict(format!(
            "计划当前为“{}”，不能{}（{message}）",
            plan.status,
            step.label()
        )),
        other => other.into(),
    })
}

/// The partner department the user answers for: its own, if it is one of the
/// plan's partners (not the lead) and the account edits plans there.
fn partner_of<'a>(account: &'a Account, plan: &Plan) -> Option<&'a str> {
    let department = account.department.as_deref()?;
    (account.may(Permission::EditPlans) && plan.partners().any(|p| p == department))
        .then_some(department)
}

/// A partner department's answer to a joint plan (会签): `同意`, or `不同意`
/// with a reason. Only the partner's own staff answer for it.
pub(crate) async fn answer(
    state: &AppState,
    user: &User,
    id: &str,
    decision: Decision,
    reason: &str,
) -> Result<Plan> {
    let plan = visible_plan(state, user, id).await?;
    let account = user.require(Permission::EditPlans)?;
    let department = match account.department.as_deref() {
        Some(own) if plan.partners().any(|p| p == own) => own,
        Some(own) if own == plan.lead => {
            return Err(Error::Conflict(format!(
                "{own} 是计划 {id} 的牵头部门，不能代替协办部门会签"
            )));
        }
        _ => {
            return Err(Error::Conflict(format!(
                "只有计划 {id} 协办部门的工作人员才能为本部门会签"
            )));
        }
    };
    if decision == Decision::Declined && reason.trim().is_empty() {
        return Err(Error::BadRequest("不同意时请填写理由".into()));
    }
    service::answer_plan(
        &state.db,
        id,
        department,
        decision,
        reason,
        service::now(),
        &user.actor(),
    )
    .await
    .map_err(|error| match error {
        WorkflowError::Refused(message) => Error::Conflict(format!(
            "计划当前为“{}”，不能会签（{message}）",
            plan.status
        )),
        other => other.into(),
    })
}

// ---- pages ----------------------------------------------------------------

/// What a row of the list shows.
struct PlanRow {
    plan: Plan,
    departments: String,
}

#[derive(Template)]
#[template(path = "staff/plans.html")]
struct Index {
    chrome: Chrome,
    rows: Vec<PlanRow>,
    year: String,
    status: String,
    statuses: &'static [PlanStatus],
    may_create: bool,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<PlanFilter>,
) -> Result<Html<String>> {
    let plans = visible_plans(&state, &user, &filter).await?;
    let rows = plans
        .into_iter()
        .map(|plan| PlanRow {
            departments: plan
                .participants
                .iter()
                .map(|p| p.department.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            plan,
        })
        .collect();
    render(&Index {
        chrome: Chrome::staff(&user, "抽查计划", "/plans"),
        rows,
        year: filter.year.unwrap_or_default(),
        status: filter.status.unwrap_or_default(),
        statuses: PlanStatus::ALL,
        may_create: user.account().may(Permission::EditPlans),
    })
}

/// A partner department's line in the 会签 table.
struct PartnerLine {
    code: String,
    name: String,
    /// 待会签, 已同意 or 不同意.
    state: String,
    /// Who answered and when, the reason given, or an answer to an earlier version.
    note: String,
}

#[derive(Template)]
#[template(path = "staff/plans_show.html")]
struct Show {
    chrome: Chrome,
    plan: Plan,
    department_names: Vec<(String, String)>,
    strata: Vec<(String, String)>,
    partners: Vec<PartnerLine>,
    /// The department the user may answer for, when the plan awaits it.
    may_answer: Option<String>,
    may_file: bool,
    may_approve: bool,
    may_publish: bool,
}

fn partner_line(plan: &Plan, code: &str, name: String) -> PartnerLine {
    let earlier = plan.confirmations.iter().find(|c| c.department == code);
    let (state, note) = match (plan.answer_of(code), earlier) {
        (Some(c), _) if c.decision == Decision::Confirmed => {
            ("已同意".to_owned(), format!("{}，{}", c.by, c.at))
        }
        (Some(c), _) => (
            "不同意".to_owned(),
            format!("{}：{}（{}）", c.by, c.reason, c.at),
        ),
        (None, Some(c)) => (
            "待会签".to_owned(),
            format!("第 {} 版{}，计划变更后须重新会签", c.version, c.decision),
        ),
        (None, None) => ("待会签".to_owned(), String::new()),
    };
    PartnerLine {
        code: code.to_owned(),
        name,
        state,
        note,
    }
}

/// A stratum's label and its rule in words.
fn stratum_text(rule: &StratumRate) -> (String, String) {
    let label = match rule.stratum.as_str() {
        "U" => "U（未分类）".to_owned(),
        "N" => "N（新设）".to_owned(),
        other => format!("{other} 类"),
    };
    let rule = match (rule.rate_bp, rule.count) {
        (Some(bp), _) => format!("{}%", f64::from(bp) / 100.0),
        (None, Some(count)) => format!("{count} 户"),
        (None, None) => "—".to_owned(),
    };
    (label, rule)
}

async fn department_name(state: &AppState, code: &str) -> String {
    let Ok(parsed) = DepartmentCode::parse(code) else {
        return code.to_owned();
    };
    match state.db.department(&parsed).await {
        Ok(Some(department)) => department.name().to_owned(),
        _ => code.to_owned(),
    }
}

async fn show(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let plan = visible_plan(&state, &user, &id).await?;
    let mut department_names = Vec::new();
    for participant in &plan.participants {
        let name = department_name(&state, &participant.department).await;
        department_names.push((participant.department.clone(), name));
    }
    let account = user.account();
    let partners = plan
        .partners()
        .map(|code| {
            let name = department_names
                .iter()
                .find(|(c, _)| c == code)
                .map_or_else(|| code.to_owned(), |(_, n)| n.clone());
            partner_line(&plan, code, name)
        })
        .collect();
    let may_answer = partner_of(account, &plan)
        .filter(|_| plan.status == PlanStatus::Filed)
        .map(str::to_owned);
    render(&Show {
        chrome: Chrome::staff(&user, format!("计划 {}", plan.id), "/plans"),
        strata: plan.strata.iter().map(stratum_text).collect(),
        department_names,
        partners,
        may_answer,
        may_file: plan.status == PlanStatus::Draft
            && account.may_in(Permission::EditPlans, &plan.lead),
        may_approve: plan.status == PlanStatus::Filed
            && account.may_in(Permission::ApprovePlans, &plan.lead)
            && plan.filed_by.as_deref() != Some(user.actor().as_str()),
        may_publish: plan.status == PlanStatus::Approved
            && account.may_in(Permission::ApprovePlans, &plan.lead),
        plan,
    })
}

async fn step_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((id, step)): Path<(String, String)>,
) -> Result<Redirect> {
    let plan = advance(&state, &user, &id, PlanStep::parse(&step)?).await?;
    Ok(Redirect::to(&format!("/plans/{}", plan.id)))
}

async fn answer_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Redirect> {
    let form = FormPairs::parse(&body);
    let decision = Decision::parse(form.get("decision"))
        .map_err(|_| Error::BadRequest("请选择同意或不同意".into()))?;
    let plan = answer(&state, &user, &id, decision, form.get("reason")).await?;
    Ok(Redirect::to(&format!("/plans/{}", plan.id)))
}

#[derive(Template)]
#[template(path = "staff/plans_new.html")]
struct NewForm {
    chrome: Chrome,
    lead: String,
    departments: Vec<(String, String)>,
    items: Vec<InspectionItem>,
    strata: &'static [&'static str],
    suggested_id: String,
    year: i32,
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    #[serde(default)]
    lead: Option<String>,
}

async fn new_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<NewQuery>,
) -> Result<Html<String>> {
    user.require(Permission::EditPlans)?;
    let lead = query
        .lead
        .filter(|l| !l.trim().is_empty())
        .or_else(|| user.account().department.clone())
        .unwrap_or_default();
    let items = if lead.is_empty() {
        Vec::new()
    } else {
        user.require_in(Permission::EditPlans, &lead)?;
        state
            .db
            .items(Some(&DepartmentCode::parse_as("lead", &lead)?))
            .await?
    };
    let departments = crate::pages::department_options(&state).await?;
    let year = service::now().year();
    let count = state
        .db
        .list::<Plan>(Some(("year", &year.to_string())))
        .await?
        .len();
    render(&NewForm {
        chrome: Chrome::staff(&user, "新建抽查计划", "/plans"),
        suggested_id: format!("{year}-{lead}-{:03}", count + 1),
        lead,
        departments,
        items,
        strata: &STRATA,
        year,
    })
}

/// Reads the creation form into plan fields.
fn fields_from_form(form: &FormPairs) -> Result<PlanFields> {
    let lead = form.get("lead").to_owned();
    let inspectors = parse_inspectors(form.get("inspectors"))?;
    let mut participants = vec![Participant {
        department: lead.clone(),
        inspectors,
        items: form.all("items"),
        field: None,
    }];
    // Joint plans: one line per other department, `代码 事项,事项 [人数]`.
    for line in form
        .get("partners")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let mut parts = line.split_whitespace();
        let department = parts.next().unwrap_or_default().to_owned();
        let items = split_list(parts.next().unwrap_or_default());
        let inspectors = match parts.next() {
            Some(n) => parse_inspectors(n)?,
            None => 2,
        };
        participants.push(Participant {
            department,
            inspectors,
            items,
            field: None,
        });
    }
    let mut strata = Vec::new();
    for stratum in STRATA {
        let text = form.get(&format!("rate_{stratum}"));
        if text.is_empty() {
            continue;
        }
        let percent: f64 = text.parse().map_err(|_| {
            Error::BadRequest(format!("{stratum} 类抽查比例应为百分数（收到 “{text}”）"))
        })?;
        let rate_bp = (percent * 100.0).round();
        if !(1.0..=10_000.0).contains(&rate_bp) {
            return Err(Error::BadRequest(format!(
                "{stratum} 类抽查比例应在 0.01% 到 100% 之间（收到 {text}%）"
            )));
        }
        strata.push(StratumRate {
            stratum: (*stratum).to_owned(),
            rate_bp: Some(rate_bp as u32),
            count: None,
        });
    }
    let entity_types = split_list(form.get("entity_types"))
        .iter()
        .map(|t| EntityType::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlanFields {
        id: form.get("id").to_owned(),
        title: form.get("title").to_owned(),
        kind: if participants.len() > 1 {
            PlanKind::Joint
        } else {
            PlanKind::Single
        },
        lead,
        participants,
        scope: PlanScope {
            districts: split_list(form.get("districts")),
            industries: split_list(form.get("industries")),
            entity_types,
            pools: Vec::new(),
            tags: Vec::new(),
        },
        strata,
        required_by_law: form.get("required_by_law") == "on",
        period_start: form.date("period_start", "开始日期")?,
        period_end: form.date("period_end", "结束日期")?,
        frequency: match form.get("frequency") {
            "" => "每年1次".to_owned(),
            text => text.to_owned(),
        },
        status: PlanStatus::Draft,
        version: 1,
        approved_version: None,
        filed_by: None,
        confirmations: Vec::new(),
    })
}

fn parse_inspectors(text: &str) -> Result<u32> {
    match text.trim() {
        "" => Ok(2),
        text => text
            .parse()
            .map_err(|_| Error::BadRequest(format!("每组检查人员数应为整数（收到 “{text}”）"))),
    }
}

async fn create_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    body: String,
) -> Result<Redirect> {
    let fields = fields_from_form(&FormPairs::parse(&body))?;
    let plan = create_plan(&state, &user, fields).await?;
    Ok(Redirect::to(&format!("/plans/{}", plan.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_with_check_boxes_becomes_a_single_plan() {
        let body = "id=2026-SCJG-001&title=%E6%B5%8B&lead=SCJG&items=SCJG-004-1&items=SCJG-011-2\
                    &inspectors=2&rate_A=1.5&rate_C=&period_start=2026-01-01&period_end=2026-03-31&partners=";
        let fields = fields_from_form(&FormPairs::parse(body));
        let fields = fields.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fields.kind, PlanKind::Single);
        assert_eq!(fields.participants[0].items, ["SCJG-004-1", "SCJG-011-2"]);
        assert_eq!(
            fields.strata,
            [StratumRate {
                stratum: "A".into(),
                rate_bp: Some(150),
                count: None
            }]
        );
        assert!(Plan::new(fields).is_ok());
        let joint = format!("{body}WJW+WJ-003%2CWJ-004+3");
        let fields = fields_from_form(&FormPairs::parse(&joint)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fields.kind, PlanKind::Joint);
        assert_eq!(fields.participants[1].items, ["WJ-003", "WJ-004"]);
        assert_eq!(fields.participants[1].inspectors, 3);
    }
}
