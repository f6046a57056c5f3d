//! Enforcement supervision as the staff pages and the API both do it: who
//! sees which out-of-plan inspections and notices, and the steps on them.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::lists::Filters;
use crate::query::present;
use domain::account::{Account, Permission};
use domain::hotline::WorkOrder;
use domain::inspection::{OutOfPlan, OutOfPlanReason};
use domain::rectification::{Rectification, SupervisedKind, SupervisedObject};
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
    let work_order = input
        .work_order
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned);
    if let Some(order) = &work_order
        && state.db.get::<WorkOrder>(order).await?.is_none()
    {
        return Err(
            Error::BadRequest(format!("12345 工单 {order} 不存在，请核对工单编号"))
                .on("work_order"),
        );
    }
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
        work_order,
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

/// What issuing a notice takes: the object as `kind` and `id`, or as
/// `subject` (`KIND:ID`).
#[derive(Debug, Default, Deserialize)]
pub struct NoticeInput {
    /// `KIND:ID`, e.g. `out_of_plan:SCJG-2026-0001` (when `kind` and `id` are not given).
    #[serde(default)]
    pub subject: Option<String>,
    /// The kind: `out_of_plan`, `overdue_result`, `hotline_order`, `case_finding` or `review_file`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The object's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The department that must rectify (required for a case finding or a review file).
    #[serde(default)]
    pub department: Option<String>,
    /// What was found (default: the object's state, described).
    #[serde(default)]
    pub finding: Option<String>,
    /// What must be rectified.
    pub requirement: String,
}

impl NoticeInput {
    /// The object named, typed.
    pub fn object(&self) -> Result<SupervisedObject> {
        let kinds = SupervisedKind::ISSUABLE
            .iter()
            .map(|k| k.noun())
            .collect::<Vec<_>>()
            .join("、");
        if let Some(kind) = present(&self.kind) {
            let kind = SupervisedKind::parse(kind).ok_or_else(|| {
                Error::BadRequest(format!("监督对象类型 {kind} 无效，应为 {kinds}")).on("kind")
            })?;
            let id = present(&self.id).ok_or_else(|| {
                Error::BadRequest(format!("请填写{}的编号", kind.noun())).on("id")
            })?;
            return Ok(SupervisedObject {
                kind,
                id: id.to_owned(),
            });
        }
        let subject = present(&self.subject)
            .ok_or_else(|| Error::BadRequest("请选择监督对象类型并填写编号".into()))?;
        SupervisedObject::parse(subject).ok_or_else(|| {
            Error::BadRequest(format!(
                "监督对象 {subject} 无效：应为“类型:编号”，类型为 {kinds}"
            ))
        })
    }
}

/// Issues a notice (司法局) against any supervised object.
pub async fn issue(state: &AppState, user: &User, input: NoticeInput) -> Result<Rectification> {
    user.require(Permission::Rectify)?;
    let notice = supervision::NewNotice {
        object: input.object()?,
        department: present(&input.department).map(str::to_owned),
        finding: input.finding.clone().unwrap_or_default(),
        requirement: input.requirement.clone(),
    };
    supervision::issue(
        &state.db,
        &state.calendar.get(),
        notice,
        service::now(),
        &user.actor(),
    )
    .await
    .map_err(refusal)
}

/// A refusal of the supervision workflow in Chinese.
pub fn refusal(error: service::WorkflowError) -> Error {
    let chinese = |message: String| -> String {
        let known: &[(&str, &str)] = &[
            (
                "is not overdue for publication",
                "该检查结果未逾期公示，不能以“逾期未公示”下发整改通知",
            ),
            (
                "was not dispatched to a department",
                "该工单尚未派单，没有承办部门",
            ),
            ("is not late", "该工单未超期，不能以“超期工单”下发整改通知"),
            ("belongs to department", "所选部门与监督对象的部门不一致"),
            ("is not in the department directory", "部门不在部门名录中"),
            ("names the department that must rectify", "请选择整改部门"),
            ("states what was found", "请填写发现的问题"),
            ("states what must be rectified", "请填写整改要求"),
            ("does not exist", "监督对象不存在，请核对编号"),
            ("takes no answer", "该整改通知当前状态不能反馈"),
            ("there is no answer to review", "该整改通知尚无待审核的反馈"),
            ("an answer says what was rectified", "请填写整改情况"),
            ("sending an answer back says why", "退回重新整改须说明理由"),
        ];
        known
            .iter()
            .find(|(english, _)| message.contains(english))
            .map_or_else(
                || "操作未执行，请核对后重试".to_owned(),
                |(_, zh)| (*zh).to_owned(),
            )
    };
    match Error::from(error) {
        Error::Conflict(message) => Error::Conflict(chinese(message)),
        Error::BadRequest(message) => Error::BadRequest(chinese(message)),
        Error::NotFound(message) => Error::NotFound(chinese(message)),
        other => other,
    }
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
    supervision::answer(&state.db, id, &input.text, service::now(), &user.actor())
        .await
        .map_err(refusal)
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
    supervision::review(
        &state.db,
        id,
        accept,
        &input.text,
        service::now(),
        &user.actor(),
    )
    .await
    .map_err(refusal)
}
