//! Results (谁检查、谁录入、谁公开): entry, publication within 20 working days,
//! corrections as new linked records, and out-of-plan inspections.

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{Refusal, Result, refuse};
use domain::CheckMethod;
use domain::inspection::{
    FollowUp, InspectionResult, OutOfPlan, OutOfPlanReason, ResultCategory, ResultStatus, Visit,
};
use storage::{Change, WorkflowStore};

/// Working days between the end of a check and the publication deadline.
pub const PUBLISH_WITHIN_WORKING_DAYS: u32 = 20;

/// What an inspector enters for one item.
#[derive(Debug, Clone)]
pub struct ResultEntry {
    /// Result category.
    pub category: ResultCategory,
    /// Check method.
    pub method: CheckMethod,
    /// Follow-up.
    pub follow_up: FollowUp,
    /// First day of the check.
    pub check_start: NaiveDate,
    /// Last day.
    pub check_end: NaiveDate,
    /// Inspectors who checked (defaults to the visit's team).
    pub inspectors: Vec<String>,
    /// Remarks.
    pub note: String,
}

/// The publication due date: 20 working days after `check_end`, from the
/// working-day calendar (a weekends-only estimate for a year it lacks).
pub fn publish_due(calendar: &workcal::Calendar, check_end: NaiveDate) -> Result<NaiveDate> {
    match calendar.add_working_days(check_end, PUBLISH_WITHIN_WORKING_DAYS) {
        Ok(due) => Ok(due),
        Err(workcal::Error::UnknownYear(_)) => Ok(calendar
            .estimating()
            .add_working_days(check_end, PUBLISH_WITHIN_WORKING_DAYS)?
            .value),
        Err(error) => Err(error.into()),
    }
}

/// The id of the result `department` enters for `item` of `plan` on `visit`
/// (the department is part of it: a joint plan's departments may check the same
/// joint item, each entering its own result).
pub fn result_id(visit: &str, plan: &str, department: &str, item: &str) -> String {
    format!("{visit}/{plan}/{department}/{item}")
}

/// Enters the results of every item a department checks on a visit.
pub async fn enter_visit<S: WorkflowStore>(
    store: &S,
    calendar: &workcal::Calendar,
    visit_id: &str,
    department: &str,
    entry: &ResultEntry,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Vec<InspectionResult>> {
    let visit = super::existing::<S, Visit>(store, visit_id).await?;
    let team = visit
        .teams
        .iter()
        .find(|t| t.department == department)
        .ok_or_else(|| {
            refuse(
                "no_team",
                format!("department {department} has no part in visit {visit_id}"),
                format!("部门 {department} 未参与检查任务 {visit_id}"),
            )
        })?;
    if entry.check_start > entry.check_end {
        return Err(Refusal::new(
            "date_order",
            "the check ends before it starts",
            "检查结束日期早于开始日期",
        )
        .on("check_end")
        .into());
    }
    let inspectors = if entry.inspectors.is_empty() {
        team.assigned.clone()
    } else {
        entry.inspectors.clone()
    };
    if inspectors.len() < 2 {
        return Err(Refusal::new(
            "too_few_inspectors",
            "a result names at least 2 inspectors (持证上岗)",
            "检查结果须有至少 2 名检查人员（持证上岗）",
        )
        .on("inspectors")
        .into());
    }
    for cert in inspectors.iter().filter(|c| !team.assigned.contains(c)) {
        let inspector = super::rounds::inspector_named(store, cert).await?;
        if inspector.department.as_str() != department
            || !inspector.is_certified_on(entry.check_end)
        {
            return Err(Refusal::new(
                "certificate_invalid",
                format!(
                    "inspector {cert} is not a certified inspector of {department} on {}",
                    entry.check_end
                ),
                format!(
                    "执法证号 {cert} 的人员在 {} 不是部门 {department} 持有效执法证的检查人员",
                    entry.check_end
                ),
            )
            .on("inspectors")
            .into());
        }
    }
    let due = publish_due(calendar, entry.check_end)?;
    let mut results = Vec::new();
    for item in visit.items.iter().filter(|i| i.department == department) {
        let id = result_id(visit_id, &item.plan, department, &item.item);
        if let Some(existing) = store.get::<InspectionResult>(&id).await?
            && existing.status == ResultStatus::Published
        {
            return Err(refuse(
                "result_published",
                format!("result {id} is published and cannot change; enter a correction"),
                format!("检查结果 {id} 已公示，不能修改，请录入更正"),
            ));
        }
        results.push(InspectionResult {
            id,
            visit: Some(visit_id.to_owned()),
            out_of_plan: None,
            entity: visit.entity.clone(),
            department: department.to_owned(),
            plan: Some(item.plan.clone()),
            item: item.item.clone(),
            category: entry.category,
            method: entry.method,
            follow_up: entry.follow_up,
            check_start: entry.check_start,
            check_end: entry.check_end,
            inspectors: inspectors.clone(),
            note: entry.note.clone(),
            publish_due: due,
            status: ResultStatus::Entered,
            published_on: None,
            corrects: None,
            entered_by: actor.to_owned(),
            entered_at: at,
        });
    }
    if results.is_empty() {
        return Err(refuse(
            "no_items",
            format!("department {department} checks no item on visit {visit_id}"),
            format!("部门 {department} 在检查任务 {visit_id} 中没有检查事项"),
        ));
    }
    store
        .put(
            &results,
            &Change::new(at, actor, "result.entered", entry.category.as_str()),
        )
        .await?;
    Ok(results)
}

/// Publishes entered results on `on` (late ones are flagged by their due date).
pub async fn publish<S: WorkflowStore>(
    store: &S,
    ids: &[String],
    on: NaiveDate,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Vec<InspectionResult>> {
    let mut published = Vec::new();
    for id in ids {
        let mut result = super::existing::<S, InspectionResult>(store, id).await?;
        if result.status == ResultStatus::Published {
            return Err(refuse(
                "result_published",
                format!("result {id} is already published"),
                format!("检查结果 {id} 已公示"),
            ));
        }
        result.status = ResultStatus::Published;
        result.published_on = Some(on);
        published.push(result);
    }
    let late = published.iter().filter(|r| r.overdue(on)).count();
    store
        .put(
            &published,
            &Change::new(
                at,
                actor,
                "result.published",
                format!("{} published, {late} after the due date", published.len()),
            ),
        )
        .await?;
    Ok(published)
}

/// Corrects a published result: a new result linked to it, published at once;
/// the original stays as it was.
pub async fn correct<S: WorkflowStore>(
    store: &S,
    id: &str,
    entry: &ResultEntry,
    reason: &str,
    on: NaiveDate,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<InspectionResult> {
    if reason.trim().is_empty() {
        return Err(Refusal::new(
            "reason_required",
            "a correction needs a reason",
            "请填写更正理由",
        )
        .on("reason")
        .into());
    }
    let original = super::existing::<S, InspectionResult>(store, id).await?;
    if original.status != ResultStatus::Published {
        return Err(refuse(
            "result_not_published",
            format!("result {id} is not published; change it instead of correcting it"),
            format!("检查结果 {id} 尚未公示，请直接修改，无需更正"),
        ));
    }
    let mut n = 1;
    let new_id = loop {
        let candidate = format!("{id}/更正{n}");
        if store.get::<InspectionResult>(&candidate).await?.is_none() {
            break candidate;
        }
        n += 1;
    };
    let correction = InspectionResult {
        id: new_id,
        category: entry.category,
        method: entry.method,
        follow_up: entry.follow_up,
        check_start: entry.check_start,
        check_end: entry.check_end,
        inspectors: if entry.inspectors.is_empty() {
            original.inspectors.clone()
        } else {
            entry.inspectors.clone()
        },
        note: entry.note.clone(),
        status: ResultStatus::Published,
        published_on: Some(on),
        corrects: Some(id.to_owned()),
        entered_by: actor.to_owned(),
        entered_at: at,
        // Published as soon as it is made: its lateness is the original's, not its own.
        publish_due: original.publish_due.max(on),
        ..original
    };
    store
        .put(
            std::slice::from_ref(&correction),
            &Change::new(at, actor, "result.corrected", reason),
        )
        .await?;
    Ok(correction)
}

/// Registers an inspection outside the plan. Reason 其他 is flagged to the
/// Justice Bureau for rectification.
#[allow(clippy::too_many_arguments)]
pub async fn register_out_of_plan<S: WorkflowStore>(
    store: &S,
    id: &str,
    entity: &str,
    department: &str,
    reason: OutOfPlanReason,
    detail: &str,
    work_order: Option<String>,
    inspected_on: NaiveDate,
    inspectors: Vec<String>,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<OutOfPlan> {
    let record = out_of_plan_record(
        store,
        id,
        entity,
        department,
        reason,
        detail,
        work_order,
        inspected_on,
        inspectors,
        at,
        actor,
    )
    .await?;
    store
        .put(std::slice::from_ref(&record), &out_of_plan_change(&record))
        .await?;
    Ok(record)
}

/// The next free id of `department`'s out-of-plan inspections in `year`:
/// `{department}-JWJ-{year}-{n:04}`.
pub async fn next_out_of_plan_id<S: WorkflowStore>(
    store: &S,
    department: &str,
    year: i32,
) -> Result<String> {
    let prefix = format!("{department}-JWJ-{year}-");
    let taken = store
        .list::<OutOfPlan>(Some(("department", department)))
        .await?
        .iter()
        .filter(|o| o.id.starts_with(&prefix))
        .count();
    Ok(format!("{prefix}{:04}", taken + 1))
}

/// The ledger change that registers `record`.
pub fn out_of_plan_change(record: &OutOfPlan) -> Change {
    let summary = if record.flagged {
        "理由为其他：已提示司法局督促整改"
    } else {
        record.reason.as_str()
    };
    Change::new(
        record.registered_at,
        &record.registered_by,
        "out_of_plan.registered",
        summary,
    )
}

/// Checks an out-of-plan inspection and builds its record, without saving it.
#[allow(clippy::too_many_arguments)]
pub async fn out_of_plan_record<S: WorkflowStore>(
    store: &S,
    id: &str,
    entity: &str,
    department: &str,
    reason: OutOfPlanReason,
    detail: &str,
    work_order: Option<String>,
    inspected_on: NaiveDate,
    inspectors: Vec<String>,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<OutOfPlan> {
    if detail.trim().is_empty() {
        return Err(Refusal::new(
            "detail_required",
            "describe why the inspection took place",
            "请填写检查事由及情况",
        )
        .on("detail")
        .into());
    }
    domain::plan::check_id("id", id)?;
    if store.get::<OutOfPlan>(id).await?.is_some() {
        return Err(refuse(
            "inspection_exists",
            format!("out-of-plan inspection {id} already exists"),
            format!("计划外检查编号 {id} 已存在"),
        ));
    }
    // The entity must be in the directory: a mistyped code is not recorded.
    let (code, _) = super::entity_code(entity)?;
    if store.entity(&code).await?.is_none() {
        return Err(refuse(
            "entity_unknown",
            format!("entity {code} is not in the entity directory"),
            format!("主体 {code} 不在检查对象名录库中"),
        ));
    }
    if inspectors.len() < 2 {
        return Err(Refusal::new(
            "too_few_inspectors",
            "an inspection names at least 2 inspectors (持证上岗)",
            "检查须有至少 2 名持证执法人员（持证上岗）",
        )
        .on("inspectors")
        .into());
    }
    for cert in &inspectors {
        let inspector = super::rounds::inspector_named(store, cert).await?;
        if inspector.department.as_str() != department || !inspector.is_certified_on(inspected_on) {
            return Err(Refusal::new(
                "certificate_invalid",
                format!(
                    "inspector {cert} is not a certified inspector of {department} on {inspected_on}"
                ),
                format!(
                    "执法证号 {cert} 的人员在 {inspected_on} 不是部门 {department} 持有效执法证的检查人员"
                ),
            )
            .on("inspectors")
            .into());
        }
    }
    let record = OutOfPlan {
        id: id.to_owned(),
        entity: code.as_str().to_owned(),
        department: department.to_owned(),
        reason,
        detail: detail.trim().to_owned(),
        work_order,
        inspected_on,
        inspectors,
        flagged: reason == OutOfPlanReason::Other,
        registered_by: actor.to_owned(),
        registered_at: at,
    };
    Ok(record)
}
