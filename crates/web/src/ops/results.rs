//! Inspection results as the staff pages and the API both do it: who enters
//! which results, entering and publishing them.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::Deserialize;

use super::plans::parse_date;
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use domain::CheckMethod;
use domain::account::{Permission, Role};
use domain::inspection::{FollowUp, InspectionResult, ResultCategory, ResultStatus, Visit};
use service::{self, results};
use storage::{DocQuery, Store, WorkflowStore, json_fragment};

/// Today, in China.
pub(crate) fn today() -> NaiveDate {
    service::now().date_naive()
}

/// The department whose results the user works on: its own, or (for readers
/// of every department) the one asked for.
pub(crate) fn working_department(user: &User, asked: Option<&str>) -> Option<String> {
    let asked = asked.map(str::trim).filter(|d| !d.is_empty());
    match (&user.account().department, asked) {
        (Some(own), _) => Some(own.clone()),
        (None, Some(asked)) if user.account().reads_all() => Some(asked.to_owned()),
        _ => None,
    }
}

/// Whether the user works on `visit` for `department`: the department sends a
/// team, and an inspector is on it.
fn works_on(user: &User, visit: &Visit, department: &str) -> bool {
    visit.teams.iter().any(|team| {
        team.department == department
            && (user.account().role != Role::Inspector
                || user
                    .account()
                    .certificate
                    .as_ref()
                    .is_some_and(|cert| team.assigned.contains(cert)))
    })
}

/// Whether the user may enter results of `visit` at all: in its own
/// department, which sends a team, with [`Permission::EnterResults`] there
/// (an inspector only on a team that includes it). Pages show the entry link
/// only then; [`entry_target`] enforces the same rule.
pub(crate) fn enters_results(user: &User, visit: &Visit) -> bool {
    user.account()
        .department
        .as_deref()
        .is_some_and(|department| {
            user.account().may_in(Permission::EnterResults, department)
                && works_on(user, visit, department)
        })
}

/// The visit the user may enter results of, and its department
/// ([`Permission::EnterResults`] in the department; an inspector on the team).
pub(crate) async fn entry_target(
    state: &AppState,
    user: &User,
    visit_id: &str,
) -> Result<(Visit, String)> {
    let department = user.account().department.clone().ok_or(Error::Forbidden)?;
    user.require_in(Permission::EnterResults, &department)?;
    let visit = state
        .db
        .get::<Visit>(visit_id)
        .await?
        .filter(|v| v.teams.iter().any(|t| t.department == department))
        .ok_or_else(|| Error::NotFound(format!("检查任务 {visit_id} 不存在或不属于本部门")))?;
    if !works_on(user, &visit, &department) {
        return Err(Error::Forbidden);
    }
    Ok((visit, department))
}

/// Why an inspector cannot enter results today, in words for the page: a
/// certificate expired (with its last day), not yet valid, or missing.
/// `None` for every other account, and for an inspector certified today.
pub(crate) async fn certificate_notice(state: &AppState, user: &User) -> Result<Option<String>> {
    let account = user.account();
    if account.role != Role::Inspector {
        return Ok(None);
    }
    let Some(cert) = account.certificate.as_deref() else {
        return Ok(Some(
            "您的账号未关联执法证，不能录入检查结果，请联系系统管理员。".to_owned(),
        ));
    };
    let found = match domain::CertificateNo::parse(cert) {
        Ok(parsed) => state.db.inspector(&parsed).await?,
        Err(_) => None,
    };
    let Some(inspector) = found else {
        return Ok(Some(format!(
            "执法人员名录中没有您的执法证 {cert}，不能录入检查结果，请联系本部门管理员。"
        )));
    };
    let today = today();
    let fields = inspector.fields();
    Ok(if today > fields.cert_valid_until {
        Some(format!(
            "您的执法证已于 {} 到期，不能录入检查结果，也不会被派入新的检查任务（证号 {cert}）。请换证后由本部门管理员更新执法人员名录。",
            fields.cert_valid_until
        ))
    } else if today < fields.cert_valid_from {
        Some(format!(
            "您的执法证自 {} 起生效，生效前不能录入检查结果（证号 {cert}）。",
            fields.cert_valid_from
        ))
    } else {
        None
    })
}

/// What the form or the API sends for a visit's results (texts, parsed here).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct EntryFields {
    /// 检查结果 category (a standard category).
    pub category: String,
    /// 检查方式.
    pub method: String,
    /// 后续处置.
    pub follow_up: String,
    /// First day of the check, `YYYY-MM-DD`.
    pub check_start: String,
    /// Last day.
    pub check_end: String,
    /// Certificate numbers (default: the team).
    #[serde(default)]
    pub inspectors: Vec<String>,
    /// Remarks.
    #[serde(default)]
    pub note: String,
}

impl EntryFields {
    fn entry(&self) -> Result<results::ResultEntry> {
        Ok(results::ResultEntry {
            category: ResultCategory::parse(&self.category)?,
            method: CheckMethod::parse(&self.method)?,
            follow_up: FollowUp::parse(&self.follow_up)?,
            check_start: parse_date(&self.check_start, "检查开始日期")
                .map_err(|e| e.on("check_start"))?,
            check_end: parse_date(&self.check_end, "检查结束日期")
                .map_err(|e| e.on("check_end"))?,
            inspectors: self.inspectors.clone(),
            note: self.note.trim().to_owned(),
        })
    }
}

/// Enters the results of a visit for the user's department.
pub(crate) async fn enter(
    state: &AppState,
    user: &User,
    visit_id: &str,
    fields: &EntryFields,
) -> Result<Vec<InspectionResult>> {
    let (visit, department) = entry_target(state, user, visit_id).await?;
    let entry = fields.entry()?;
    Ok(results::enter_visit(
        &state.db,
        &state.calendar.get(),
        &visit.id,
        &department,
        &entry,
        service::now(),
        &user.actor(),
    )
    .await?)
}

/// Publishes results today: [`Permission::PublishResults`] in each one's department.
pub(crate) async fn publish(
    state: &AppState,
    user: &User,
    ids: &[String],
) -> Result<Vec<InspectionResult>> {
    user.require(Permission::PublishResults)?;
    if ids.is_empty() {
        return Err(Error::BadRequest("请至少选择一条结果".into()));
    }
    for id in ids {
        let result = state
            .db
            .get::<InspectionResult>(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("检查结果 {id} 不存在")))?;
        user.require_in(Permission::PublishResults, &result.department)?;
    }
    Ok(results::publish(&state.db, ids, today(), service::now(), &user.actor()).await?)
}

/// Which results a list shows.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ResultFilter {
    /// Department (readers of every department; others see their own).
    #[serde(default)]
    pub department: Option<String>,
    /// 已录入 or 已公开.
    #[serde(default)]
    pub status: Option<String>,
    /// One round's results.
    #[serde(default)]
    pub round: Option<String>,
}

/// The results the user sees, filtered.
pub(crate) async fn visible_results(
    state: &AppState,
    user: &User,
    filter: &ResultFilter,
) -> Result<Vec<InspectionResult>> {
    let status = match filter
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(text) => Some(ResultStatus::parse(text)?),
        None => None,
    };
    let round = filter
        .round
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| format!("{r}/"));
    let all = match working_department(user, filter.department.as_deref()) {
        Some(department) => {
            state
                .db
                .list::<InspectionResult>(Some(("department", &department)))
                .await?
        }
        None if user.account().reads_all() => state.db.list::<InspectionResult>(None).await?,
        None => Vec::new(),
    };
    Ok(all
        .into_iter()
        .filter(|r| user.account().sees_department(&r.department))
        .filter(|r| status.is_none_or(|s| r.status == s))
        .filter(|r| {
            round
                .as_deref()
                .is_none_or(|prefix| r.visit.as_deref().is_some_and(|v| v.starts_with(prefix)))
        })
        .collect())
}

/// A visit of the department with items still without a result.
pub(crate) struct Pending {
    /// The visit.
    pub visit: Visit,
    /// Items without a result.
    pub missing: usize,
    /// Past its due date.
    pub overdue: bool,
}

/// The visits of `department` the user works on that await results, earliest
/// due first; `search` (part of the entity's name or code, or of the visit's
/// id) narrows them in SQL.
pub(crate) async fn pending_visits(
    state: &AppState,
    user: &User,
    department: &str,
    search: &str,
) -> Result<Vec<Pending>> {
    let entered: HashSet<String> = state
        .db
        .list::<InspectionResult>(Some(("department", department)))
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let today = today();
    let mut query = DocQuery {
        contains: vec![vec![json_fragment("department", department)]],
        search: search.to_owned(),
        limit: storage::MAX_PAGE,
        ..DocQuery::default()
    };
    if user.account().role == Role::Inspector {
        let cert = user.account().certificate.clone().unwrap_or_default();
        query
            .contains
            .push(vec![serde_json::to_string(&cert).map_err(Error::internal)?]);
    }
    let mut visits = Vec::new();
    loop {
        let page = state.db.page::<Visit>(&query).await?;
        let read = page.rows.len() as u64;
        visits.extend(page.rows);
        query.offset += read;
        if read == 0 || query.offset >= page.total {
            break;
        }
    }
    let mut pending: Vec<Pending> = visits
        .into_iter()
        .filter(|v| works_on(user, v, department))
        .filter_map(|visit| {
            let missing = visit
                .items
                .iter()
                .filter(|i| i.department == department)
                .filter(|i| {
                    !entered.contains(&results::result_id(&visit.id, &i.plan, department, &i.item))
                })
                .count();
            (missing > 0).then(|| Pending {
                overdue: today > visit.due_by,
                missing,
                visit,
            })
        })
        .collect();
    pending.sort_by(|a, b| {
        a.visit
            .due_by
            .cmp(&b.visit.due_by)
            .then_with(|| a.visit.id.cmp(&b.visit.id))
    });
    Ok(pending)
}
