//! The 双随机、一公开 workflow over any [`WorkflowStore`]: plan life cycle,
//! rounds (commit, draw, publish, export), visits, results, out-of-plan
//! inspections, the ledger audit and the reports. See `docs/workflow.md`.

pub mod audit;
pub mod calendar;
pub mod credit;
pub mod credit_repair;
pub mod eligibility;
pub mod hotline;
pub mod report;
pub mod results;
pub mod risk;
pub mod rounds;
pub mod supervision;
pub mod year;

use chrono::{DateTime, FixedOffset, Offset, Utc};

use crate::domain::InvalidField;
use crate::domain::plan::{Plan, PlanFields, PlanStatus};
use crate::storage::{Change, StoreError, WorkflowStore};

/// Why a workflow step was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// No such record.
    #[error("{what} {id:?} does not exist")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The step is not allowed in the record's current state.
    #[error("{0}")]
    Refused(String),
    /// Invalid input.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The draw protocol refused the input.
    #[error("draw: {0}")]
    Draw(#[from] draw::Error),
    /// A date outside the working-day calendar.
    #[error("calendar: {0}")]
    Calendar(#[from] workcal::Error),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shorthand.
pub type Result<T, E = WorkflowError> = std::result::Result<T, E>;

/// China Standard Time (UTC+8), the zone every timestamp is recorded in.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix())
}

/// Now, in China time.
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&china())
}

pub(crate) fn refused(message: impl Into<String>) -> WorkflowError {
    WorkflowError::Refused(message.into())
}

/// The document `key` of type `D`, or [`WorkflowError::NotFound`] naming it.
pub(crate) async fn existing<S: WorkflowStore, D: crate::storage::Document>(
    store: &S,
    key: &str,
) -> Result<D> {
    store
        .get::<D>(key)
        .await?
        .ok_or_else(|| WorkflowError::NotFound {
            what: D::NOUN,
            id: key.to_owned(),
        })
}

/// Creates a plan as a draft (草稿).
pub async fn create_plan<S: WorkflowStore>(
    store: &S,
    mut fields: PlanFields,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Plan> {
    if store.get::<Plan>(&fields.id).await?.is_some() {
        return Err(refused(format!(
            "plan {} already exists; change it instead",
            fields.id
        )));
    }
    for participant in &fields.participants {
        let code = crate::domain::DepartmentCode::parse(&participant.department)?;
        if store.department(&code).await?.is_none() {
            return Err(WorkflowError::NotFound {
                what: "department",
                id: participant.department.clone(),
            });
        }
    }
    fields.status = PlanStatus::Draft;
    fields.version = 1;
    fields.approved_version = None;
    let plan = Plan::new(fields)?;
    store
        .put(
            std::slice::from_ref(&plan),
            &Change::new(at, actor, "plan.created", plan.title.clone()),
        )
        .await?;
    Ok(plan)
}

/// Moves a plan on in its life cycle: 草稿 → 已备案 (file), 已备案 → 已批准
/// (approve), 已批准 → 已公示 (publish).
pub async fn advance_plan<S: WorkflowStore>(
    store: &S,
    id: &str,
    to: PlanStatus,
    at: DateTime<FixedOffset>,
    actor: &str,
    note: &str,
) -> Result<Plan> {
    let plan = existing::<S, Plan>(store, id).await?;
    let (action, allowed) = match to {
        PlanStatus::Filed => ("plan.filed", plan.status == PlanStatus::Draft),
        PlanStatus::Approved => ("plan.approved", plan.status == PlanStatus::Filed),
        PlanStatus::Published => ("plan.published", plan.status == PlanStatus::Approved),
        PlanStatus::Draft => ("plan.draft", false),
    };
    if !allowed {
        return Err(refused(format!(
            "plan {id} is {}; it cannot become {to}",
            plan.status
        )));
    }
    let mut fields = plan.into_fields();
    fields.status = to;
    if to == PlanStatus::Approved {
        fields.approved_version = Some(fields.version);
    }
    let plan = Plan::new(fields)?;
    store
        .put(
            std::slice::from_ref(&plan),
            &Change::new(at, actor, action, note),
        )
        .await?;
    Ok(plan)
}

/// Changes a plan. A draft changes freely; after filing, the change makes a new
/// version that is filed again and needs approval before the plan can be drawn.
pub async fn change_plan<S: WorkflowStore>(
    store: &S,
    mut fields: PlanFields,
    at: DateTime<FixedOffset>,
    actor: &str,
    reason: &str,
) -> Result<Plan> {
    let current = existing::<S, Plan>(store, &fields.id).await?;
    if reason.trim().is_empty() {
        return Err(refused("a change needs a reason"));
    }
    fields.approved_version = current.approved_version;
    if current.status == PlanStatus::Draft {
        fields.status = PlanStatus::Draft;
        fields.version = current.version;
    } else {
        fields.status = PlanStatus::Filed;
        fields.version = current.version + 1;
    }
    let plan = Plan::new(fields)?;
    store
        .put(
            std::slice::from_ref(&plan),
            &Change::new(at, actor, "plan.changed", reason),
        )
        .await?;
    Ok(plan)
}
