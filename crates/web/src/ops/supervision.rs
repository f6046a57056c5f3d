//! Enforcement supervision as the staff pages and the API both do it: who
//! sees which out-of-plan inspections and notices, and the steps on them.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::lists::Filters;
use domain::account::{Account, Permission};
use domain::inspection::{OutOfPlan, OutOfPlanReason};
use domain::rectification::Rectification;
use service::{self, results, supervision};
use storage::{DocQuery, WorkflowStore};

/// The out-of-plan inspections the account may see, newest first.
pub async fn visible_out_of_plan(state: &AppState, account: &Account) -> Result<Vec<OutOfPlan>> {
    let mut list = scoped::<OutOfPlan>(state, account).await?;
    list.sort_by(|a, b| b.inspected_on.cmp(&a.inspected_on).then(b.id.cmp(&a.id)));
    Ok(list)
}

/// Which out-of-plan inspections the register lists.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegisterFilter {
    /// Part of the id, the entity's name or code, the detail or the work order.
    #[serde(default)]
    pub q: Option<String>,
    /// One department (readers of every department).
    #[serde(default)]
    pub department: Option<String>,
    /// One reason (投诉举报 …).
    #[serde(default)]
    pub reason: Option<String>,
    /// Only those flagged to the Justice Bureau (`1`).
    #[serde(default)]
    pub flagged: Option<String>,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<u64>,
}

impl RegisterFilter {
    /// Whether only flagged inspections are asked for.
    pub(crate) fn flagged_only(&self) -> bool {
        self.flagged
            .as_deref()
            .is_some_and(|f| !f.is_empty() && f != "0")
    }

    /// The filters, for page links and the export form.
    pub(crate) fn filters(&self) -> Filters {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Filters::default()
            .with("q", &text(&self.q))
            .with("department", &text(&self.department))
            .with("reason", &text(&self.reason))
            .with("flagged", if self.flagged_only() { "1" } else { "" })
    }
}

/// The SQL conditions of the register's rows the account sees (as
/// [`visible_out_of_plan`]), filtered, newest id first.
pub(crate) fn register_conditions(account: &Account, filter: &RegisterFilter) -> Result<DocQuery> {
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let mut query = DocQuery {
        search: text(&filter.q).unwrap_or_default(),
        descending: true,
        ..DocQuery::default()
    };
    if !account.reads_all() {
        query.one_of = Some(("department", account.department.iter().cloned().collect()));
    }
    if let Some(department) = text(&filter.department) {
        query.equal.push(("department", department));
    }
    if let Some(reason) = text(&filter.reason) {
        query.equal.push((
            "reason",
            OutOfPlanReason::parse(&reason)?.as_str().to_owned(),
        ));
    }
    if filter.flagged_only() {
        query.contains.push(vec!["\"flagged\":true".to_owned()]);
    }
    Ok(query)
}

/// The notices the account may see, newest first.
pub async fn visible_notices(state: &AppState, account: &Account) -> Result<Vec<Rectification>> {
    let mut list = scoped::<Rectification>(state, account).await?;
    list.sort_by(|a, b| b.issued_at.cmp(&a.issued_at).then(b.id.cmp(&a.id)));
    Ok(list)
}

/// Every record for readers of all departments; the own department's for the
/// departmental roles; nothing for the others.
async fn scoped<D: storage::Document>(state: &AppState, account: &Account) -> Result<Vec<D>> {
    if account.reads_all() {
        Ok(state.db.list::<D>(None).await?)
    } else if let Some(department) = &account.department {
        Ok(state.db.list::<D>(Some(("department", department))).await?)
    } else {
        Ok(Vec::new())
    }
}

/// A notice, if the account may see it.
pub async fn visible_notice(
    state: &AppState,
    account: &Account,
    id: &str,
) -> Result<Rectification> {
    state
        .db
        .get::<Rectification>(id)
        .await?
        .filter(|n| account.sees_department(&n.department))
        .ok_or_else(|| Error::NotFound(format!("整改通知 {id} 不存在 (no such notice)")))
}

/// What registering an out-of-plan inspection takes.
#[derive(Debug, Deserialize)]
pub struct OutOfPlanInput {
    /// Department code (default: the account's).
    #[serde(default)]
    pub department: Option<String>,
    /// 统一社会信用代码.
    pub entity: String,
    /// 投诉举报, 上级交办, 涉安涉危 or 其他.
    pub reason: String,
    /// What happened.
    pub detail: String,
    /// The hotline work order, for a complaint.
    #[serde(default)]
    pub work_order: Option<String>,
    /// Date inspected (YYYY-MM-DD).
    pub inspected_on: NaiveDate,
    /// Certificate numbers, separated by commas, spaces or lines.
    pub inspectors: String,
}

/// Registers an out-of-plan inspection in the account's department.
pub async fn register(state: &AppState, user: &User, input: OutOfPlanInput) -> Result<OutOfPlan> {
    // Refuse roles that may never register before asking for a department.
    user.require(Permission::RegisterOutOfPlan)?;
    let department = input
        .department
        .filter(|d| !d.trim().is_empty())
        .or_else(|| user.account().department.clone())
        .ok_or_else(|| Error::BadRequest("请选择部门 (department required)".into()))?;
    user.require_in(Permission::RegisterOutOfPlan, &department)?;
    let reason = OutOfPlanReason::parse(&input.reason)?;
    let id =
        results::next_out_of_plan_id(&state.db, &department, input.inspected_on.year()).await?;
    let inspectors = split_inspectors(&input.inspectors);
    Ok(results::register_out_of_plan(
        &state.db,
        &id,
        &input.entity,
        &department,
        reason,
        &input.detail,
        input.work_order.filter(|w| !w.trim().is_empty()),
        input.inspected_on,
        inspectors,
        service::now(),
        &user.actor(),
    )
    .await?)
}

/// Certificate numbers separated by commas, spaces or lines.
pub fn split_inspectors(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What issuing a notice takes.
#[derive(Debug, Deserialize)]
pub struct NoticeInput {
    /// `out_of_plan:ID`, `result:ID` or `plan:ID`.
    pub subject: String,
    /// What must be rectified.
    pub requirement: String,
}

/// Issues a notice (司法局).
pub async fn issue(state: &AppState, user: &User, input: NoticeInput) -> Result<Rectification> {
    user.require(Permission::Rectify)?;
    Ok(supervision::issue(
        &state.db,
        &state.calendar.get(),
        input.subject.trim(),
        &input.requirement,
        service::now(),
        &user.actor(),
    )
    .await?)
}

/// What answering or reviewing a notice takes.
#[derive(Debug, Deserialize)]
pub struct NoteInput {
    /// The text.
    #[serde(default)]
    pub text: String,
    /// For a review: accept (销号) rather than send back.
    #[serde(default)]
    pub accept: Option<String>,
}

/// The department answers a notice.
pub async fn answer(
    state: &AppState,
    user: &User,
    id: &str,
    input: NoteInput,
) -> Result<Rectification> {
    let notice = visible_notice(state, user.account(), id).await?;
    user.require_in(Permission::RegisterOutOfPlan, &notice.department)?;
    Ok(supervision::answer(&state.db, id, &input.text, service::now(), &user.actor()).await?)
}

/// The supervisor accepts or sends back an answer.
pub async fn review(
    state: &AppState,
    user: &User,
    id: &str,
    input: NoteInput,
) -> Result<Rectification> {
    user.require(Permission::Rectify)?;
    let accept = input
        .accept
        .as_deref()
        .is_some_and(|a| matches!(a, "1" | "true" | "yes" | "on"));
    Ok(supervision::review(
        &state.db,
        id,
        accept,
        &input.text,
        service::now(),
        &user.actor(),
    )
    .await?)
}
