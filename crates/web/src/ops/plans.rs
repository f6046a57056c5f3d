//! Inspection plans as the staff pages and the API both do it: form fields,
//! filters, who sees which plans, creating and advancing them.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::lists::Filters;
use crate::text::url_decode;
use domain::account::{Account, Permission};
use domain::plan::{Decision, Plan, PlanFields, PlanStatus};
use service::{self, WorkflowError};
use storage::{DocQuery, WorkflowStore, json_fragment};

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

    /// Every field, in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
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
    /// A department leading or taking part.
    #[serde(default)]
    pub department: Option<String>,
    /// Part of the id or the title.
    #[serde(default)]
    pub q: Option<String>,
    /// Page, from 1 (the list page).
    #[serde(default)]
    pub page: Option<u64>,
}

impl PlanFilter {
    /// The filters, for page links and the export form.
    pub(crate) fn filters(&self) -> Filters {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Filters::default()
            .with("q", &text(&self.q))
            .with("year", &text(&self.year))
            .with("status", &text(&self.status))
            .with("department", &text(&self.department))
    }
}

/// The SQL conditions of the plans the user sees ([`plan_visible`]), filtered.
pub(crate) fn plan_conditions(user: &User, filter: &PlanFilter) -> Result<DocQuery> {
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let mut query = DocQuery {
        search: text(&filter.q).unwrap_or_default(),
        ..DocQuery::default()
    };
    if let Some(year) = text(&filter.year) {
        let year: i32 = year
            .parse()
            .map_err(|_| Error::BadRequest(format!("年度应为数字（收到 “{year}”）")))?;
        query.equal.push(("year", year.to_string()));
    }
    if let Some(status) = text(&filter.status) {
        query
            .equal
            .push(("status", PlanStatus::parse(&status)?.as_str().to_owned()));
    }
    let account = user.account();
    if !account.reads_all() {
        query.contains.push(
            account
                .department
                .as_deref()
                .map(|d| vec![json_fragment("department", d)])
                .unwrap_or_default(),
        );
    }
    if let Some(department) = text(&filter.department) {
        query
            .contains
            .push(vec![json_fragment("department", &department)]);
    }
    Ok(query)
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

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::File => "备案",
            Self::Approve => "批准",
            Self::Publish => "公示",
        }
    }

    /// The status the step starts from.
    fn from(self) -> PlanStatus {
        match self {
            Self::File => PlanStatus::Draft,
            Self::Approve => PlanStatus::Filed,
            Self::Publish => PlanStatus::Approved,
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

/// The plan, if the user may take `step` on it: in the lead department only,
/// and under separation of duties ([`service::Duties`]) for approval.
pub(crate) async fn check_step(
    state: &AppState,
    user: &User,
    id: &str,
    step: PlanStep,
) -> Result<Plan> {
    let plan = visible_plan(state, user, id).await?;
    user.require_in(step.permission(), &plan.lead)?;
    if plan.status != step.from() {
        return Err(Error::conflict(
            "plan_status",
            format!("计划当前为“{}”，不能{}", plan.status, step.label()),
        ));
    }
    if step == PlanStep::Approve
        && let Some(rule) = state.duties.refuse_approval(&plan, &user.actor())
    {
        return Err(Error::conflict("duties_conflict", rule.explain_zh()));
    }
    Ok(plan)
}

/// Moves a plan on by one step (see [`check_step`]).
pub(crate) async fn advance(
    state: &AppState,
    user: &User,
    id: &str,
    step: PlanStep,
) -> Result<Plan> {
    let plan = check_step(state, user, id, step).await?;
    service::advance_plan_under(
        &state.db,
        id,
        step.target(),
        service::now(),
        &user.actor(),
        step.label(),
        state.duties,
    )
    .await
    .map_err(|error| match error {
        WorkflowError::Refused(refusal) => Error::conflict(
            refusal.code(),
            format!(
                "计划当前为“{}”，不能{}（{}）",
                plan.status,
                step.label(),
                refusal.chinese()
            ),
        ),
        other => other.into(),
    })
}

/// The partner department the user answers for: its own, if it is one of the
/// plan's partners (not the lead) and the account edits plans there.
pub(crate) fn partner_of<'a>(account: &'a Account, plan: &Plan) -> Option<&'a str> {
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
        WorkflowError::Refused(refusal) => Error::conflict(
            refusal.code(),
            format!(
                "计划当前为“{}”，不能会签（{}）",
                plan.status,
                refusal.chinese()
            ),
        ),
        other => other.into(),
    })
}
