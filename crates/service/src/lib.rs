//! The 双随机、一公开 workflow over any [`WorkflowStore`]: plan life cycle,
//! rounds (commit, draw, publish, export), visits, results, out-of-plan
//! inspections, the ledger audit and the reports; accounts and API tokens
//! ([`accounts`]) and credit checks ([`credit`]). See `docs/workflow.md`.

#![deny(missing_docs)]

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod credit;
pub mod credit_repair;
pub mod eligibility;
pub mod hotline;
pub mod licences;
pub mod report;
pub mod results;
pub mod risk;
pub mod rounds;
pub mod setup;
pub mod supervision;

use domain::InvalidField;
use domain::plan::{Confirmation, Decision, Plan, PlanFields, PlanStatus};
use storage::{Change, StoreError, WorkflowStore};

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
    /// A joint plan's partners have not all confirmed it (会签).
    #[error("plan {plan} cannot be approved before every partner department confirms version {version} (会签); waiting for: {}", waiting_list(.waiting))]
    AwaitingConfirmation {
        /// The plan.
        plan: String,
        /// Its current version.
        version: u32,
        /// The partners that have not confirmed it.
        waiting: Vec<Waiting>,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Separation of duties on a plan's life cycle (备案与批准分离). On by default;
/// `serve --allow-self-approval` (or `JIANGUAN_ALLOW_SELF_APPROVAL`) turns it off
/// for an office too small to have two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duties {
    /// Whoever filed a plan may also approve it.
    pub allow_self_approval: bool,
}

/// A rule of [`Duties`] a step broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DutyRule {
    /// The approver is the account that filed the plan.
    SamePerson {
        /// That account.
        actor: String,
    },
    /// The approver has the same role as the account that filed the plan.
    SameRole {
        /// That role.
        role: domain::account::Role,
    },
}

impl DutyRule {
    /// The rule in English, for the CLI.
    pub fn explain(&self) -> String {
        match self {
            Self::SamePerson { actor } => format!(
                "it was filed by {actor}; another person approves it (separation of duties)"
            ),
            Self::SameRole { role } => format!(
                "it was filed by a {} account; an account of another role approves it (separation of duties)",
                role.code()
            ),
        }
    }

    /// The rule in Chinese, for the pages.
    pub fn explain_zh(&self) -> String {
        match self {
            Self::SamePerson { .. } => {
                "本计划由您备案，须由他人批准（备案与批准不由同一人办理）".to_owned()
            }
            Self::SameRole { role } => format!(
                "本计划由{}备案，须由其他角色的人员批准（职责分离）",
                role.label()
            ),
        }
    }
}

impl Duties {
    /// The rule `actor` would break approving `plan` under these duties, if any.
    pub fn refuse_approval(self, plan: &Plan, actor: &str) -> Option<DutyRule> {
        if self.allow_self_approval {
            return None;
        }
        let filer = plan.filed_by.as_deref()?;
        let rule = if filer == actor {
            DutyRule::SamePerson {
                actor: actor.to_owned(),
            }
        } else {
            let role = domain::account::actor_role(filer)?;
            if domain::account::actor_role(actor) != Some(role) {
                return None;
            }
            DutyRule::SameRole { role }
        };
        Some(rule)
    }
}

/// A partner department that has not confirmed a joint plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Department code.
    pub department: String,
    /// Its name (the code when the directory lacks it).
    pub name: String,
    /// The reason, when it declined; `None` when it has not answered.
    pub declined: Option<String>,
}

fn waiting_list(waiting: &[Waiting]) -> String {
    waiting
        .iter()
        .map(|w| match &w.declined {
            Some(reason) => format!("{} {} (declined: {reason})", w.department, w.name),
            None => format!("{} {} (no answer yet)", w.department, w.name),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Shorthand.
pub type Result<T, E = WorkflowError> = std::result::Result<T, E>;

pub use domain::clock::{china, now};

use chrono::{DateTime, FixedOffset};

/// A [`WorkflowError::Refused`] with `message`.
pub fn refused(message: impl Into<String>) -> WorkflowError {
    WorkflowError::Refused(message.into())
}

/// The document `key` of type `D`, or [`WorkflowError::NotFound`] naming it.
pub async fn existing<S: WorkflowStore, D: storage::Document>(store: &S, key: &str) -> Result<D> {
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
    check_participants(store, &fields, &[]).await?;
    fields.status = PlanStatus::Draft;
    fields.version = 1;
    fields.approved_version = None;
    fields.filed_by = None;
    fields.confirmations = Vec::new();
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
/// (approve), 已批准 → 已公示 (publish), under the default [`Duties`].
pub async fn advance_plan<S: WorkflowStore>(
    store: &S,
    id: &str,
    to: PlanStatus,
    at: DateTime<FixedOffset>,
    actor: &str,
    note: &str,
) -> Result<Plan> {
    advance_plan_under(store, id, to, at, actor, note, Duties::default()).await
}

/// [`advance_plan`] under `duties`: with separation of duties on, the account
/// that filed a plan does not approve it, nor does another account of its role.
pub async fn advance_plan_under<S: WorkflowStore>(
    store: &S,
    id: &str,
    to: PlanStatus,
    at: DateTime<FixedOffset>,
    actor: &str,
    note: &str,
    duties: Duties,
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
    if to == PlanStatus::Approved {
        if let Some(rule) = duties.refuse_approval(&plan, actor) {
            return Err(refused(format!("plan {id}: {}", rule.explain())));
        }
        let waiting = waiting_partners(store, &plan).await?;
        if !waiting.is_empty() {
            return Err(WorkflowError::AwaitingConfirmation {
                plan: plan.id.clone(),
                version: plan.version,
                waiting,
            });
        }
    }
    let mut fields = plan.into_fields();
    fields.status = to;
    match to {
        PlanStatus::Approved => fields.approved_version = Some(fields.version),
        PlanStatus::Filed => fields.filed_by = Some(actor.to_owned()),
        _ => {}
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

/// Refuses a plan naming a department not in the directory, or a deactivated
/// one that `already` (the plan's departments before the change) does not hold.
async fn check_participants<S: WorkflowStore>(
    store: &S,
    fields: &PlanFields,
    already: &[String],
) -> Result<()> {
    for participant in &fields.participants {
        let code = domain::DepartmentCode::parse(&participant.department)?;
        match store.department(&code).await? {
            None => {
                return Err(WorkflowError::NotFound {
                    what: "department",
                    id: participant.department.clone(),
                });
            }
            Some(department)
                if !department.is_active() && !already.contains(&participant.department) =>
            {
                return Err(refused(format!(
                    "department {code} ({}) is deactivated: a plan cannot name it",
                    department.name()
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
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
    let already: Vec<String> = current
        .participants
        .iter()
        .map(|p| p.department.clone())
        .collect();
    check_participants(store, &fields, &already).await?;
    fields.approved_version = current.approved_version;
    if current.status == PlanStatus::Draft {
        fields.status = PlanStatus::Draft;
        fields.version = current.version;
        fields.filed_by = None;
    } else {
        // A new version, filed again by whoever changed it; partners answer it anew.
        fields.status = PlanStatus::Filed;
        fields.version = current.version + 1;
        fields.filed_by = Some(actor.to_owned());
    }
    let partners: Vec<String> = fields
        .participants
        .iter()
        .skip(1)
        .map(|p| p.department.clone())
        .collect();
    fields.confirmations = current
        .confirmations
        .iter()
        .filter(|c| partners.contains(&c.department))
        .cloned()
        .collect();
    let plan = Plan::new(fields)?;
    store
        .put(
            std::slice::from_ref(&plan),
            &Change::new(at, actor, "plan.changed", reason),
        )
        .await?;
    Ok(plan)
}

/// The partners of `plan` that have not confirmed its current version, with their names.
pub async fn waiting_partners<S: WorkflowStore>(store: &S, plan: &Plan) -> Result<Vec<Waiting>> {
    let mut waiting = Vec::new();
    for department in plan.unconfirmed_partners() {
        waiting.push(Waiting {
            department: department.to_owned(),
            name: department_name(store, department).await?,
            declined: plan
                .answer_of(department)
                .filter(|c| c.decision == Decision::Declined)
                .map(|c| c.reason.clone()),
        });
    }
    Ok(waiting)
}

/// A department's name, or its code when the directory lacks it.
pub async fn department_name<S: WorkflowStore>(store: &S, code: &str) -> Result<String> {
    let Ok(parsed) = domain::DepartmentCode::parse(code) else {
        return Ok(code.to_owned());
    };
    Ok(store
        .department(&parsed)
        .await?
        .map_or_else(|| code.to_owned(), |d| d.name().to_owned()))
}

/// A partner department answers a filed joint plan (会签): it confirms the
/// current version, or declines it with a reason. A later answer to the same
/// version replaces the earlier one; every answer is on the ledger.
pub async fn answer_plan<S: WorkflowStore>(
    store: &S,
    id: &str,
    department: &str,
    decision: Decision,
    reason: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Plan> {
    let plan = existing::<S, Plan>(store, id).await?;
    if !plan.partners().any(|p| p == department) {
        return Err(refused(if department == plan.lead {
            format!("{department} leads plan {id}; only its partner departments confirm it")
        } else {
            format!("{department} is not a partner department of plan {id}")
        }));
    }
    if plan.status != PlanStatus::Filed {
        return Err(refused(format!(
            "plan {id} is {}; partners answer a filed plan (已备案) before its approval",
            plan.status
        )));
    }
    if plan.filed_by.as_deref() == Some(actor) {
        return Err(refused(format!(
            "plan {id} was filed by {actor}; a partner department's own staff confirm it"
        )));
    }
    let reason = reason.trim();
    if decision == Decision::Declined && reason.is_empty() {
        return Err(refused("declining a plan needs a reason"));
    }
    let mut fields = plan.into_fields();
    fields.confirmations.retain(|c| c.department != department);
    fields.confirmations.push(Confirmation {
        department: department.to_owned(),
        version: fields.version,
        decision,
        reason: reason.to_owned(),
        by: actor.to_owned(),
        at: at.to_rfc3339(),
    });
    let plan = Plan::new(fields)?;
    let (action, detail) = match decision {
        Decision::Confirmed => ("plan.confirmed", format!("{department} v{}", plan.version)),
        Decision::Declined => (
            "plan.declined",
            format!("{department} v{}: {reason}", plan.version),
        ),
    };
    store
        .put(
            std::slice::from_ref(&plan),
            &Change::new(at, actor, action, detail),
        )
        .await?;
    Ok(plan)
}
