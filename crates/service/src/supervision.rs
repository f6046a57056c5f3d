//! Supervision of enforcement (执法监督): the Justice Bureau issues
//! rectification notices, the department answers, the supervisor accepts or
//! sends back. Every step is on the ledger.

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{Refusal, Result, existing, refuse};
use domain::hotline::WorkOrder;
use domain::inspection::{InspectionResult, OutOfPlan};
use domain::plan::Plan;
use domain::rectification::{
    Rectification, RectificationNote, RectificationStatus, SupervisedKind, SupervisedObject,
};
use storage::{Change, WorkflowStore};

/// Working days a department has to answer.
pub const ANSWER_WORKING_DAYS: u32 = 10;

/// What issuing a notice takes.
#[derive(Debug, Clone)]
pub struct NewNotice {
    /// What the notice is against.
    pub object: SupervisedObject,
    /// The department that must rectify: required for the kinds known by id
    /// only (a case finding, a review file); for the others it is the
    /// object's own department, and a different one is refused.
    pub department: Option<String>,
    /// What the supervisor found; empty: the object's state, described.
    pub finding: String,
    /// What must be rectified.
    pub requirement: String,
}

/// The department `object` belongs to, and its state described (the finding
/// the printed notice states when the supervisor writes none). A result must
/// be overdue for publication and a work order late, or the notice is refused.
pub async fn describe<S: WorkflowStore>(
    store: &S,
    object: &SupervisedObject,
    today: NaiveDate,
) -> Result<(Option<String>, String)> {
    let id = object.id.as_str();
    Ok(match object.kind {
        SupervisedKind::OutOfPlan => {
            let record = existing::<S, OutOfPlan>(store, id).await?;
            let finding = format!(
                "计划外检查 {id}（{}，检查日期 {}）：{}",
                record.reason, record.inspected_on, record.detail
            );
            (Some(record.department), finding)
        }
        SupervisedKind::OverdueResult => {
            let result = existing::<S, InspectionResult>(store, id).await?;
            if !result.overdue(today) {
                return Err(refuse(
                    "not_overdue",
                    format!(
                        "result {id} is not overdue for publication (due {})",
                        result.publish_due
                    ),
                    format!(
                        "检查结果 {id} 未逾期公示（公示期限 {}），不能督办",
                        result.publish_due
                    ),
                ));
            }
            let finding = match result.published_on {
                Some(on) => format!(
                    "检查结果 {id} 应于 {} 前公示，{on} 才公示，逾期公示",
                    result.publish_due
                ),
                None => format!(
                    "检查结果 {id} 应于 {} 前公示，截至 {today} 仍未公示",
                    result.publish_due
                ),
            };
            (Some(result.department), finding)
        }
        SupervisedKind::HotlineOrder => {
            let order = existing::<S, WorkOrder>(store, id).await?;
            let Some(department) = order.department.clone() else {
                return Err(refuse(
                    "not_dispatched",
                    format!("work order {id} was not dispatched to a department"),
                    format!("工单 {id} 尚未派给承办部门，不能督办"),
                ));
            };
            if !(order.close_overdue(today) || order.sign_overdue(today)) {
                return Err(refuse(
                    "not_overdue",
                    format!(
                        "work order {id} is not late (closing due {})",
                        order.close_due
                    ),
                    format!("工单 {id} 未超期（办结时限 {}），不能督办", order.close_due),
                ));
            }
            let finding = match order.closed_at {
                Some(at) => format!(
                    "12345工单 {id}（{}）办结时限 {}，{} 才办结，超期办结",
                    order.category,
                    order.close_due,
                    at.date_naive()
                ),
                None => format!(
                    "12345工单 {id}（{}）办结时限 {}，截至 {today} 仍为“{}”，超期未办结",
                    order.category, order.close_due, order.status
                ),
            };
            (Some(department), finding)
        }
        SupervisedKind::Result => {
            let result = existing::<S, InspectionResult>(store, id).await?;
            (Some(result.department), format!("检查结果 {id}"))
        }
        SupervisedKind::Plan => {
            let plan = existing::<S, Plan>(store, id).await?;
            (Some(plan.lead.clone()), format!("抽查计划 {id}"))
        }
        // Known by id only, until their records are stored here.
        SupervisedKind::CaseFinding | SupervisedKind::ReviewFile => (None, String::new()),
    })
}

/// Issues a notice against `notice.object`, due [`ANSWER_WORKING_DAYS`]
/// working days later (on the working-day calendar).
pub async fn issue<S: WorkflowStore>(
    store: &S,
    calendar: &workcal::Calendar,
    notice: NewNotice,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Rectification> {
    if notice.requirement.trim().is_empty() {
        return Err(Refusal::new(
            "text_required",
            "a notice states what must be rectified",
            "请填写整改要求",
        )
        .on("requirement")
        .into());
    }
    let today = at.date_naive();
    let (own, described) = describe(store, &notice.object, today).await?;
    let asked = notice
        .department
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let department = match (own, asked) {
        (Some(own), Some(asked)) if own != asked => {
            return Err(Refusal::new(
                "department_mismatch",
                format!(
                    "{} {} belongs to department {own}, not {asked}",
                    notice.object.kind.code(),
                    notice.object.id
                ),
                format!("督办对象 {} 属于部门 {own}，不是 {asked}", notice.object.id),
            )
            .on("department")
            .into());
        }
        (Some(own), _) => own,
        (None, Some(asked)) => {
            let known = store.departments().await?;
            if !known.iter().any(|d| d.code().as_str() == asked) {
                return Err(Refusal::new(
                    "unknown_department",
                    format!("department {asked} is not in the department directory"),
                    format!("部门 {asked} 不在部门名录中"),
                )
                .on("department")
                .into());
            }
            asked
        }
        (None, None) => {
            return Err(Refusal::new(
                "department_required",
                format!(
                    "a notice on a {} names the department that must rectify",
                    notice.object.kind.code()
                ),
                "请选择整改部门",
            )
            .on("department")
            .into());
        }
    };
    let finding = match notice.finding.trim() {
        "" if described.is_empty() => {
            return Err(Refusal::new(
                "text_required",
                format!(
                    "a notice on a {} states what was found",
                    notice.object.kind.code()
                ),
                "请填写发现的问题",
            )
            .on("finding")
            .into());
        }
        "" => described,
        typed => typed.to_owned(),
    };
    // A year without a loaded notice counts on its provisional year (暂定).
    let due = calendar
        .estimating()
        .add_working_days(today, ANSWER_WORKING_DAYS)?
        .value;
    let year_prefix = format!("ZG-{}-", today.format("%Y"));
    let taken = store
        .list::<Rectification>(None)
        .await?
        .iter()
        .filter(|r| r.id.starts_with(&year_prefix))
        .count();
    let subject = notice.object.to_string();
    let notice = Rectification {
        id: format!("{year_prefix}{:04}", taken + 1),
        subject: subject.clone(),
        finding,
        department,
        requirement: notice.requirement.trim().to_owned(),
        due,
        status: RectificationStatus::Issued,
        issued_by: actor.to_owned(),
        issued_at: at,
        answers: Vec::new(),
        reviews: Vec::new(),
    };
    store
        .put(
            std::slice::from_ref(&notice),
            &Change::new(at, actor, "rectification.issued", subject),
        )
        .await?;
    Ok(notice)
}

/// The notices against `object`, oldest first.
pub async fn notices_against<S: WorkflowStore>(
    store: &S,
    object: &SupervisedObject,
) -> Result<Vec<Rectification>> {
    let mut notices: Vec<Rectification> = store
        .list::<Rectification>(Some(("subject_id", object.id.as_str())))
        .await?
        .into_iter()
        .filter(|n| n.object().as_ref() == Some(object))
        .collect();
    notices.sort_by(|a, b| a.issued_at.cmp(&b.issued_at).then(a.id.cmp(&b.id)));
    Ok(notices)
}

/// The department answers an issued notice.
pub async fn answer<S: WorkflowStore>(
    store: &S,
    id: &str,
    text: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Rectification> {
    let mut notice = existing::<S, Rectification>(store, id).await?;
    if notice.status != RectificationStatus::Issued {
        return Err(refuse(
            "notice_status",
            format!("notice {id} is {}; it takes no answer", notice.status),
            format!("整改通知 {id} 当前为“{}”，不能答复", notice.status),
        ));
    }
    if text.trim().is_empty() {
        return Err(Refusal::new(
            "text_required",
            "an answer says what was rectified",
            "请填写整改情况",
        )
        .on("text")
        .into());
    }
    notice.answers.push(note(text, at, actor));
    notice.status = RectificationStatus::Answered;
    store
        .put(
            std::slice::from_ref(&notice),
            &Change::new(at, actor, "rectification.answered", id),
        )
        .await?;
    Ok(notice)
}

/// The supervisor accepts an answer (销号) or sends it back.
pub async fn review<S: WorkflowStore>(
    store: &S,
    id: &str,
    accept: bool,
    text: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Rectification> {
    let mut notice = existing::<S, Rectification>(store, id).await?;
    if notice.status != RectificationStatus::Answered {
        return Err(refuse(
            "notice_status",
            format!(
                "notice {id} is {}; there is no answer to review",
                notice.status
            ),
            format!("整改通知 {id} 当前为“{}”，没有待审核的答复", notice.status),
        ));
    }
    if !accept && text.trim().is_empty() {
        return Err(Refusal::new(
            "text_required",
            "sending an answer back says why",
            "退回答复时请填写理由",
        )
        .on("text")
        .into());
    }
    notice.reviews.push(note(text, at, actor));
    notice.status = if accept {
        RectificationStatus::Closed
    } else {
        RectificationStatus::Issued
    };
    let action = if accept {
        "rectification.closed"
    } else {
        "rectification.returned"
    };
    store
        .put(
            std::slice::from_ref(&notice),
            &Change::new(at, actor, action, id),
        )
        .await?;
    Ok(notice)
}

fn note(text: &str, at: DateTime<FixedOffset>, actor: &str) -> RectificationNote {
    RectificationNote {
        by: actor.to_owned(),
        at,
        text: text.trim().to_owned(),
    }
}
