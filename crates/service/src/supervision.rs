//! Supervision of enforcement (执法监督): the Justice Bureau issues
//! rectification notices, the department answers, the supervisor accepts or
//! sends back. Every step is on the ledger.

use chrono::{DateTime, FixedOffset};

use super::{Refusal, Result, existing, refuse};
use domain::inspection::{InspectionResult, OutOfPlan};
use domain::plan::Plan;
use domain::rectification::{Rectification, RectificationNote, RectificationStatus};
use storage::{Change, WorkflowStore};

/// Working days a department has to answer.
pub const ANSWER_WORKING_DAYS: u32 = 10;

/// The department a subject (`out_of_plan:ID`, `result:ID`, `plan:ID`) belongs to.
pub async fn subject_department<S: WorkflowStore>(store: &S, subject: &str) -> Result<String> {
    let (kind, id) = subject.split_once(':').ok_or_else(|| {
        refuse(
            "invalid_subject",
            format!("subject {subject:?} is not KIND:ID"),
            format!("督办对象“{subject}”的格式应为 类型:编号"),
        )
    })?;
    Ok(match kind {
        "out_of_plan" => existing::<S, OutOfPlan>(store, id).await?.department,
        "result" => existing::<S, InspectionResult>(store, id).await?.department,
        "plan" => existing::<S, Plan>(store, id).await?.lead.clone(),
        other => {
            return Err(refuse(
                "invalid_subject",
                format!("subject kind {other:?} is not out_of_plan, result or plan"),
                format!("督办对象类型“{other}”不受支持（应为计划外检查、检查结果或抽查计划）"),
            ));
        }
    })
}

/// Issues a notice on `subject`, due [`ANSWER_WORKING_DAYS`] working days later.
pub async fn issue<S: WorkflowStore>(
    store: &S,
    calendar: &workcal::Calendar,
    subject: &str,
    requirement: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Rectification> {
    if requirement.trim().is_empty() {
        return Err(Refusal::new(
            "text_required",
            "a notice states what must be rectified",
            "请填写整改要求",
        )
        .on("text")
        .into());
    }
    let department = subject_department(store, subject).await?;
    let today = at.date_naive();
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
    let notice = Rectification {
        id: format!("{year_prefix}{:04}", taken + 1),
        subject: subject.to_owned(),
        department,
        requirement: requirement.trim().to_owned(),
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
