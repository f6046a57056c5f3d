//! The 双随机、一公开 workflow over any [`WorkflowStore`]: plan life cycle,
//! rounds (commit, draw, publish, export), visits, results, out-of-plan
//! inspections, the ledger audit and the reports; accounts and API tokens
//! ([`accounts`]) and credit checks ([`credit`]). See `docs/workflow.md`.

#![deny(missing_docs)]

pub mod accounts;
pub mod annual;
pub mod audit;
pub mod calendar;
pub mod credit;
pub mod credit_repair;
pub mod eligibility;
pub mod enforcement;
pub mod hotline;
pub mod licences;
pub mod reconsideration;
pub mod report;
pub mod results;
pub mod review;
pub mod risk;
pub mod rounds;
pub mod services;
pub mod setup;
pub mod supervision;
pub mod verification;
pub mod window;

use domain::InvalidField;
use domain::plan::{Confirmation, Decision, Plan, PlanFields, PlanStatus};
use storage::{Change, StoreError, WorkflowStore};

pub use domain::Refusal;

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
    Refused(Refusal),
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

/// A [`WorkflowError::Refused`] known only in English (code `refused`); steps
/// a page can reach use [`refuse`].
pub fn refused(message: impl Into<String>) -> WorkflowError {
    WorkflowError::Refused(Refusal::from(message.into()))
}

/// A [`WorkflowError::Refused`] with its stable `code` and the message in
/// English (CLI) and Chinese (pages, API).
pub fn refuse(
    code: &'static str,
    english: impl Into<String>,
    chinese: impl Into<String>,
) -> WorkflowError {
    WorkflowError::Refused(Refusal::new(code, english, chinese))
}

impl From<Refusal> for WorkflowError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl WorkflowError {
    /// The stable machine code, e.g. `round_exists`, `invalid_field`, `not_found`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Refused(refusal) => refusal.code(),
            Self::Invalid(field) => field.code(),
            Self::Draw(_) => "draw_refused",
            Self::Calendar(_) => "calendar",
            Self::AwaitingConfirmation { .. } => "awaiting_confirmation",
            Self::Store(StoreError::MissingReference { .. }) => "missing_reference",
            Self::Store(_) => "internal",
        }
    }

    /// The form field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Refused(refusal) => refusal.field(),
            Self::Invalid(field) => Some(field.field),
            _ => None,
        }
    }

    /// The message in Chinese, built from the error's values.
    pub fn message_zh(&self) -> String {
        match self {
            Self::NotFound { what, id } => format!("{}“{id}”不存在", noun_zh(what)),
            Self::Refused(refusal) => refusal.chinese().to_owned(),
            Self::Invalid(field) => field.message_zh(),
            Self::Draw(error) => draw_zh(error),
            Self::Calendar(error) => calendar_zh(error),
            Self::AwaitingConfirmation {
                plan,
                version,
                waiting,
            } => {
                let names: Vec<String> = waiting
                    .iter()
                    .map(|w| match &w.declined {
                        Some(reason) => format!("{}（{}，不同意：{reason}）", w.name, w.department),
                        None => format!("{}（{}，未会签）", w.name, w.department),
                    })
                    .collect();
                format!(
                    "计划 {plan} 第 {version} 版尚待协办部门会签，不能批准：{}",
                    names.join("；")
                )
            }
            Self::Store(StoreError::MissingReference { .. }) => {
                "引用的记录不存在（如部门、主体或检查人员），请检查后重试".to_owned()
            }
            Self::Store(_) => "服务器内部错误，已记录".to_owned(),
        }
    }

    /// One error of each kind, for tests that read every message.
    pub fn examples() -> Vec<Self> {
        let mut examples = vec![
            Self::NotFound {
                what: "plan",
                id: "SCJG-2026-01".into(),
            },
            Self::AwaitingConfirmation {
                plan: "SCJG-2026-01".into(),
                version: 2,
                waiting: vec![
                    Waiting {
                        department: "FGW".into(),
                        name: "市发展和改革委员会".into(),
                        declined: None,
                    },
                    Waiting {
                        department: "SWJ".into(),
                        name: "市商务局".into(),
                        declined: Some("时间冲突".into()),
                    },
                ],
            },
            Self::Calendar(workcal::Error::UnknownYear(2031)),
            Self::Calendar(workcal::Error::DateOutOfRange),
            Self::Draw(draw::Error::RateOutOfRange { rate_bp: 20_000 }),
            Self::Draw(draw::Error::DuplicateInspector {
                inspector: "42020000001".into(),
            }),
        ];
        examples.extend(
            domain::InvalidField::examples()
                .into_iter()
                .map(Self::Invalid),
        );
        examples.extend(refusal_examples().into_iter().map(Self::Refused));
        examples
    }
}

/// The refusals of the plan and round workflows, one of each code.
fn refusal_examples() -> Vec<Refusal> {
    let mut out = vec![
        plan_exists("SCJG-2026-01"),
        plan_wrong_status("SCJG-2026-01", PlanStatus::Draft, PlanStatus::Approved),
        change_needs_reason(),
    ];
    out.extend(rounds::refusal_examples());
    out.extend(domain::hotline::Refused::examples());
    out
}

fn plan_exists(id: &str) -> Refusal {
    Refusal::new(
        "plan_exists",
        format!("plan {id} already exists; change it instead"),
        format!("计划编号 {id} 已存在，请修改原计划或换一个编号"),
    )
    .on("id")
}

fn plan_wrong_status(id: &str, from: PlanStatus, to: PlanStatus) -> Refusal {
    Refusal::new(
        "plan_status",
        format!("plan {id} is {from}; it cannot become {to}"),
        format!("计划 {id} 当前为“{from}”，不能改为“{to}”"),
    )
}

fn change_needs_reason() -> Refusal {
    Refusal::new(
        "reason_required",
        "a change needs a reason",
        "请填写变更理由",
    )
    .on("reason")
}

/// The Chinese noun of a record kind named in English ([`storage::Document::NOUN`]).
pub fn noun_zh(what: &str) -> &'static str {
    match what {
        "plan" => "抽查计划",
        "round" => "抽查批次",
        "visit" => "检查任务",
        "result" => "检查结果",
        "out-of-plan inspection" => "计划外检查",
        "account" => "账号",
        "API token" => "API 令牌",
        "rectification notice" => "整改通知",
        "credit repair request" => "信用修复申请",
        "classification run" => "分类计算",
        "credit run" => "信用核查",
        "credit matter" | "matter (事项)" => "信用核查事项",
        "credit entry" => "信用记录",
        "work order" => "工单",
        "department" | "department name" => "部门",
        "department change" => "部门变更",
        "calendar notice" => "放假安排",
        "city" => "城市",
        "frame" => "抽取名录",
        "record" => "抽取记录",
        "inspector" => "检查人员",
        _ => "记录",
    }
}

fn draw_zh(error: &draw::Error) -> String {
    use draw::Error as E;
    match error {
        E::InvalidSecret { .. } => "密钥须为 64 位十六进制数字（32 字节）".to_owned(),
        E::RateOutOfRange { rate_bp } => {
            format!("抽取比例 {rate_bp}（万分之）超出 0 至 10000 的范围")
        }
        E::AmbiguousAllocation { stratum } => {
            format!("分层 {stratum} 的比例与户数须且只能填一项")
        }
        E::DuplicateStratum { plan, stratum } => {
            format!("计划 {plan} 的分层 {stratum} 有多条规则")
        }
        E::DuplicatePlanId { plan } => format!("计划编号 {plan} 重复"),
        E::DuplicateFrameId { plan, id } => format!("计划 {plan} 的抽取名录中 {id} 重复"),
        E::TooFewInspectorsRequired { department, k } => {
            format!("部门 {department} 每户至少派 2 名检查人员，不能是 {k} 名")
        }
        E::DuplicateInspector { inspector } => format!("检查人员 {inspector} 重复"),
        _ => "抽取参数不符合抽取规则，请核对计划与名录".to_owned(),
    }
}

fn calendar_zh(error: &workcal::Error) -> String {
    match error {
        workcal::Error::UnknownYear(year) => {
            format!("工作日历中没有 {year} 年的放假安排，请先由管理员导入国务院当年的放假通知")
        }
        workcal::Error::DateOutOfRange => "日期超出可计算的范围".to_owned(),
        _ => "工作日历数据有误，请联系管理员".to_owned(),
    }
}

/// The 统一社会信用代码 `entity` (leniently parsed), or the refusal `invalid_entity`.
pub(crate) fn entity_code(entity: &str) -> Result<(domain::Uscc, Option<domain::UsccWarning>)> {
    domain::Uscc::parse_lenient(entity).map_err(|e| {
        refuse(
            "invalid_entity",
            format!("entity {entity:?}: {e}"),
            format!("统一社会信用代码“{entity}”有误：{}", e.reason_zh()),
        )
    })
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
        return Err(plan_exists(&fields.id).into());
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
        return Err(plan_wrong_status(id, plan.status, to).into());
    }
    if to == PlanStatus::Approved {
        if let Some(rule) = duties.refuse_approval(&plan, actor) {
            return Err(refuse(
                "duties_conflict",
                format!("plan {id}: {}", rule.explain()),
                rule.explain_zh(),
            ));
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
                return Err(refuse(
                    "department_deactivated",
                    format!(
                        "department {code} ({}) is deactivated: a plan cannot name it",
                        department.name()
                    ),
                    format!("{}（{code}）已停用，计划不能选择该部门", department.name()),
                ));
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
        return Err(change_needs_reason().into());
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
        return Err(if department == plan.lead {
            refuse(
                "not_a_partner",
                format!("{department} leads plan {id}; only its partner departments confirm it"),
                format!("{department} 是计划 {id} 的牵头部门，会签由协办部门办理"),
            )
        } else {
            refuse(
                "not_a_partner",
                format!("{department} is not a partner department of plan {id}"),
                format!("{department} 不是计划 {id} 的协办部门"),
            )
        });
    }
    if plan.status != PlanStatus::Filed {
        return Err(refuse(
            "plan_status",
            format!(
                "plan {id} is {}; partners answer a filed plan (已备案) before its approval",
                plan.status
            ),
            format!(
                "计划 {id} 当前为“{}”，协办部门只能在计划已备案、批准之前会签",
                plan.status
            ),
        ));
    }
    if plan.filed_by.as_deref() == Some(actor) {
        return Err(refuse(
            "duties_conflict",
            format!("plan {id} was filed by {actor}; a partner department's own staff confirm it"),
            format!("计划 {id} 由您备案，会签须由协办部门的工作人员办理"),
        ));
    }
    let reason = reason.trim();
    if decision == Decision::Declined && reason.is_empty() {
        return Err(Refusal::new(
            "reason_required",
            "declining a plan needs a reason",
            "不同意会签时请填写理由",
        )
        .on("reason")
        .into());
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

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn errors_have_codes_chinese_messages_and_english_displays() {
        let exists = WorkflowError::from(rounds::refusal_examples().remove(0));
        assert_eq!(exists.code(), "round_exists");
        assert_eq!(exists.field(), Some("id"));
        assert_eq!(exists.to_string(), "round 2026-Q1 already exists");
        assert_eq!(exists.message_zh(), "批次编号 2026-Q1 已存在，请换一个编号");

        let invalid = WorkflowError::from(
            InvalidField::new(
                "period_end",
                "2027-01-31",
                "a plan runs within one calendar year",
            )
            .zh("计划须在同一自然年度内"),
        );
        assert_eq!(invalid.code(), "invalid_field");
        assert_eq!(invalid.field(), Some("period_end"));
        assert_eq!(
            invalid.message_zh(),
            "计划结束日期：计划须在同一自然年度内（输入：2027-01-31）"
        );

        let missing = WorkflowError::NotFound {
            what: "round",
            id: "2026-Q9".into(),
        };
        assert_eq!(missing.code(), "not_found");
        assert_eq!(missing.message_zh(), "抽查批次“2026-Q9”不存在");

        let legacy = refused("something only the simulator says");
        assert_eq!(legacy.code(), "refused");
        assert!(!legacy.message_zh().contains("simulator"));
    }

    #[test]
    fn every_example_has_a_distinct_looking_chinese_message() {
        for error in WorkflowError::examples() {
            let zh = error.message_zh();
            assert!(
                !zh.is_empty() && zh != error.to_string(),
                "{}",
                error.code()
            );
        }
    }
}
