//! The workflow from the command line: `plans`, `rounds`, `visits`, `results`,
//! `out-of-plan`, `audit` and `report`. Every listing takes `--json` (one JSON
//! document with stable field names on standard output).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::database::{DatabaseArgs, runtime};
use super::offline::write_atomically;
use domain::CheckMethod;
use domain::inspection::{
    EligibilityRules, FollowUp, InspectionResult, OutOfPlanReason, ResultCategory, Round,
    RoundStatus, Visit,
};
use domain::plan::{Decision, Plan, PlanFields, PlanStatus};
use service::{self, audit, report, results, rounds};
use storage::{Db, Store, WorkflowStore};

/// Who is acting, for the ledger.
#[derive(Debug, Clone, Args)]
pub struct ActorArgs {
    /// Your name or account, recorded in the audit ledger.
    #[arg(long, env = "JIANGUAN_ACTOR", default_value = "cli")]
    pub actor: String,
}

/// `jianguan plans`.
#[derive(Debug, Args)]
pub struct PlansArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: PlansCommand,
}

#[derive(Debug, Subcommand)]
enum PlansCommand {
    /// List plans.
    List {
        /// Only this year's.
        #[arg(long)]
        year: Option<i32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create plans (drafts) from a JSON file: one plan or an array.
    Add {
        /// The plan file.
        file: PathBuf,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// File a draft with the Justice Bureau (草稿 → 已备案).
    File(StepArgs),
    /// A partner department's confirmation of a filed joint plan (会签), or with
    /// `--decline` its refusal; every partner confirms before approval.
    Confirm {
        /// Plan id.
        id: String,
        /// The partner department answering (its code).
        #[arg(long)]
        department: String,
        /// Decline the current version instead (needs --reason).
        #[arg(long)]
        decline: bool,
        /// Why (required with --decline, recorded).
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Approve a filed plan (已备案 → 已批准); a joint plan needs every partner's
    /// confirmation, and whoever filed it does not approve it.
    Approve(StepArgs),
    /// Publish an approved plan (已批准 → 已公示).
    Publish(StepArgs),
    /// Change a plan from a JSON file; after filing this makes a new version that needs approval.
    Change {
        /// The plan file (same id).
        file: PathBuf,
        /// Why (required, recorded).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: ActorArgs,
    },
}

#[derive(Debug, Args)]
struct StepArgs {
    /// Plan ids.
    #[arg(required = true)]
    ids: Vec<String>,
    /// Note recorded with the step.
    #[arg(long, default_value = "")]
    note: String,
    /// Let whoever filed a plan approve it too (separation of duties off; an
    /// office too small for two people). Off by default.
    #[arg(long, env = "JIANGUAN_ALLOW_SELF_APPROVAL")]
    allow_self_approval: bool,
    #[command(flatten)]
    actor: ActorArgs,
}

/// What the witnesses bring to a draw (rounds and reviews).
#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// The beacon the witnesses read out.
    #[arg(long)]
    pub beacon: String,
    /// Witness names (repeatable).
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
}

/// Where a draw record is exported (rounds and reviews).
#[derive(Debug, Args)]
pub struct RecordOut {
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
    /// Write the public view, which links no subject to a stratum.
    #[arg(long)]
    pub public: bool,
}

impl RecordOut {
    /// Writes the full record, or its public view; says which.
    pub fn write(&self, record: &draw::Record) -> anyhow::Result<()> {
        let (text, what) = if self.public {
            let (view, _) = rounds::public_view(record)?;
            (serde_json::to_vec(&view)?, "public view")
        } else {
            (rounds::record_bytes(record)?, "full record")
        };
        write_atomically(&self.out, &text)?;
        println!(
            "wrote the {what} to {} ({} plans, {} visits)",
            self.out.display(),
            record.plans.len(),
            record.visits.len()
        );
        Ok(())
    }
}

/// `jianguan rounds`.
#[derive(Debug, Args)]
pub struct RoundsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: RoundsCommand,
}

#[derive(Debug, Subcommand)]
enum RoundsCommand {
    /// List rounds: id, status, whether the draw committed, plans, visits and selections.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Commit a round: freeze the frames, seal a fresh secret, publish the commitment.
    Commit {
        /// Round id, e.g. 2026-Q2.
        id: String,
        /// First day of the window.
        #[arg(long)]
        window_start: NaiveDate,
        /// Last day of the window.
        #[arg(long)]
        window_end: NaiveDate,
        /// Title (default: the id).
        #[arg(long)]
        title: Option<String>,
        /// Load cap per inspector.
        #[arg(long)]
        cap: Option<u32>,
        /// Plans to draw (default: every approved plan of the window not yet drawn in it).
        #[arg(long = "plan")]
        plans: Vec<String>,
        /// Eligibility rules (JSON); defaults documented in docs/workflow.md.
        #[arg(long)]
        rules: Option<PathBuf>,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Draw a committed round with the witnesses' beacon.
    Draw {
        /// Round id.
        id: String,
        #[command(flatten)]
        witnessed: WitnessArgs,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Publish a drawn round: release the secret and the record.
    Publish {
        /// Round id.
        id: String,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Write a published round's full record (spec §7), or with --public its
    /// public view (spec/draw-v1-public-view.md); `jianguan verify` checks either.
    Export {
        /// Round id.
        id: String,
        #[command(flatten)]
        out: RecordOut,
    },
    /// Explain, plan by plan, why an entity was or was not drawn in a round.
    Explain {
        /// Round id.
        id: String,
        /// 统一社会信用代码.
        entity: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `jianguan visits`.
#[derive(Debug, Args)]
pub struct VisitsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: VisitsCommand,
}

#[derive(Debug, Subcommand)]
enum VisitsCommand {
    /// List the visits of a round.
    List {
        /// Round id.
        #[arg(long)]
        round: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a department's team on a visit (reason required, audited).
    Reassign {
        /// Visit id (ROUND/USCC).
        visit: String,
        /// Department code.
        #[arg(long)]
        department: String,
        /// Certificate numbers, comma-separated.
        #[arg(long, value_delimiter = ',')]
        inspectors: Vec<String>,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: ActorArgs,
    },
}

/// `jianguan results`.
#[derive(Debug, Args)]
pub struct ResultsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: ResultsCommand,
}

#[derive(Debug, Subcommand)]
enum ResultsCommand {
    /// Enter the results of a department's items on a visit.
    Enter {
        /// Visit id (ROUND/USCC).
        visit: String,
        /// Department code.
        #[arg(long)]
        department: String,
        #[command(flatten)]
        entry: EntryArgs,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Publish entered results.
    Publish {
        /// Result ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Publication date (default today).
        #[arg(long)]
        on: Option<NaiveDate>,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Correct a published result with a new, linked one.
    Correct {
        /// The published result's id.
        id: String,
        #[command(flatten)]
        entry: EntryArgs,
        /// Why (required).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// List results of a visit, or the overdue ones.
    List {
        /// Only this visit's.
        #[arg(long)]
        visit: Option<String>,
        /// Only those past their publication due date and not published on time.
        #[arg(long)]
        overdue: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
struct EntryArgs {
    /// Result category, e.g. 未发现问题.
    #[arg(long)]
    category: String,
    /// Check method, e.g. 实地检查.
    #[arg(long, default_value = "实地检查")]
    method: String,
    /// Follow-up, e.g. 无需后续处置.
    #[arg(long, default_value = "无需后续处置")]
    follow_up: String,
    /// First day of the check.
    #[arg(long)]
    check_start: NaiveDate,
    /// Last day (default: the first).
    #[arg(long)]
    check_end: Option<NaiveDate>,
    /// Inspectors, comma-separated (default: the visit's team).
    #[arg(long, value_delimiter = ',')]
    inspectors: Vec<String>,
    /// Remarks.
    #[arg(long, default_value = "")]
    note: String,
}

impl EntryArgs {
    fn entry(&self) -> anyhow::Result<results::ResultEntry> {
        Ok(results::ResultEntry {
            category: ResultCategory::parse(&self.category)?,
            method: CheckMethod::parse(&self.method)?,
            follow_up: FollowUp::parse(&self.follow_up)?,
            check_start: self.check_start,
            check_end: self.check_end.unwrap_or(self.check_start),
            inspectors: self.inspectors.clone(),
            note: self.note.clone(),
        })
    }
}

/// `jianguan out-of-plan`.
#[derive(Debug, Args)]
pub struct OutOfPlanArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Id, e.g. SJJ-2026-0001.
    id: String,
    /// 统一社会信用代码.
    #[arg(long)]
    entity: String,
    /// Department code.
    #[arg(long)]
    department: String,
    /// 投诉举报, 上级交办, 涉安涉危 or 其他 (flagged to the Justice Bureau).
    #[arg(long)]
    reason: String,
    /// What happened.
    #[arg(long)]
    detail: String,
    /// Hotline work order, for a complaint.
    #[arg(long)]
    work_order: Option<String>,
    /// Date inspected.
    #[arg(long)]
    on: NaiveDate,
    /// Inspectors, comma-separated.
    #[arg(long, value_delimiter = ',')]
    inspectors: Vec<String>,
    #[command(flatten)]
    actor: ActorArgs,
}

/// `jianguan audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the ledger and the rows it records: `intact` (exit 0) or each break (exit 1).
    Verify {
        /// Also prove that the chain still extends each head saved in this file:
        /// the JSON of /gongshi/ledger.json, or lines of it.
        #[arg(long)]
        anchors: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record the ledger head now as an anchor (serve records one a day), published at /gongshi/ledger.
    Anchor {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Report kinds.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportKind {
    /// 月通报.
    Monthly,
    /// 季调度.
    Quarterly,
    /// 年终考评.
    Annual,
}

/// `jianguan report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// monthly, quarterly or annual.
    kind: ReportKind,
    /// Year.
    #[arg(long)]
    year: i32,
    /// Month (monthly).
    #[arg(long)]
    month: Option<u32>,
    /// Quarter (quarterly).
    #[arg(long)]
    quarter: Option<u32>,
    /// One department only.
    #[arg(long)]
    department: Option<String>,
    /// Write XLSX here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

async fn open(database: &DatabaseArgs) -> anyhow::Result<Db> {
    let db = database.open().await?;
    db.migrate().await?;
    Ok(db)
}

/// Runs `body` on the migrated database, then closes it.
macro_rules! on_database {
    ($database:expr, $store:ident => $body:expr) => {
        runtime()?.block_on(async {
            let db = open($database).await?;
            let $store = &db;
            let outcome: anyhow::Result<ExitCode> = $body;
            db.close().await;
            outcome
        })
    };
}

pub(super) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn read_plans(file: &PathBuf) -> anyhow::Result<Vec<PlanFields>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let list = if value.is_array() {
        value
    } else {
        serde_json::Value::Array(vec![value])
    };
    let fields: Vec<PlanFields> =
        serde_path_to_error::deserialize(list).with_context(|| format!("in {}", file.display()))?;
    for plan in &fields {
        Plan::new(plan.clone()).with_context(|| format!("plan {}", plan.id))?;
    }
    Ok(fields)
}

#[derive(Serialize)]
struct PlanLine<'a> {
    id: &'a str,
    title: &'a str,
    kind: &'a str,
    lead: &'a str,
    departments: Vec<&'a str>,
    status: &'a str,
    version: u32,
    /// Partners that have not confirmed the current version (会签), while filed.
    awaiting_confirmation: Vec<&'a str>,
    period_start: NaiveDate,
    period_end: NaiveDate,
}

/// `jianguan plans …`.
pub fn run_plans(args: &PlansArgs) -> anyhow::Result<ExitCode> {
    on_database!(&args.database, store => plans(store, &args.command).await)
}

async fn plans<S: WorkflowStore>(store: &S, command: &PlansCommand) -> anyhow::Result<ExitCode> {
    let at = service::now();
    match command {
        PlansCommand::List { year, json } => {
            let plans: Vec<Plan> = store
                .list::<Plan>(None)
                .await?
                .into_iter()
                .filter(|p| year.is_none_or(|y| p.year() == y))
                .collect();
            let lines: Vec<PlanLine> = plans
                .iter()
                .map(|p| PlanLine {
                    id: &p.id,
                    title: &p.title,
                    kind: p.kind.as_str(),
                    lead: &p.lead,
                    departments: p
                        .participants
                        .iter()
                        .map(|d| d.department.as_str())
                        .collect(),
                    status: p.status.as_str(),
                    version: p.version,
                    awaiting_confirmation: if p.status == PlanStatus::Filed {
                        p.unconfirmed_partners()
                    } else {
                        Vec::new()
                    },
                    period_start: p.period_start,
                    period_end: p.period_end,
                })
                .collect();
            if *json {
                print_json(&lines)?;
            } else {
                for l in &lines {
                    let waiting = if l.awaiting_confirmation.is_empty() {
                        String::new()
                    } else {
                        format!("\t(awaiting 会签: {})", l.awaiting_confirmation.join(","))
                    };
                    println!(
                        "{}\t{}\t{}\tv{}\t{}–{}\t{}\t{}{waiting}",
                        l.id,
                        l.status,
                        l.kind,
                        l.version,
                        l.period_start,
                        l.period_end,
                        l.departments.join(","),
                        l.title
                    );
                }
                println!("{} plans", lines.len());
            }
        }
        PlansCommand::Add { file, actor } => {
            for fields in read_plans(file)? {
                let plan = service::create_plan(store, fields, at, &actor.actor).await?;
                println!("{} {} ({})", plan.id, plan.status, plan.title);
            }
        }
        PlansCommand::File(step) | PlansCommand::Approve(step) | PlansCommand::Publish(step) => {
            let to = match command {
                PlansCommand::File(_) => PlanStatus::Filed,
                PlansCommand::Approve(_) => PlanStatus::Approved,
                _ => PlanStatus::Published,
            };
            for id in &step.ids {
                let duties = service::Duties {
                    allow_self_approval: step.allow_self_approval,
                };
                let plan = service::advance_plan_under(
                    store,
                    id,
                    to,
                    at,
                    &step.actor.actor,
                    &step.note,
                    duties,
                )
                .await?;
                println!("{} {} (v{})", plan.id, plan.status, plan.version);
            }
        }
        PlansCommand::Confirm {
            id,
            department,
            decline,
            reason,
            actor,
        } => {
            let decision = if *decline {
                Decision::Declined
            } else {
                Decision::Confirmed
            };
            let plan =
                service::answer_plan(store, id, department, decision, reason, at, &actor.actor)
                    .await?;
            let waiting = plan.unconfirmed_partners();
            println!(
                "{} v{}: {department} {} ({})",
                plan.id,
                plan.version,
                if *decline { "declined" } else { "confirmed" },
                if waiting.is_empty() {
                    "every partner has confirmed".to_owned()
                } else {
                    format!("waiting for {}", waiting.join(", "))
                }
            );
        }
        PlansCommand::Change {
            file,
            reason,
            actor,
        } => {
            for fields in read_plans(file)? {
                let plan = service::change_plan(store, fields, at, &actor.actor, reason).await?;
                println!(
                    "{} {} (v{}; needs approval before it can be drawn)",
                    plan.id, plan.status, plan.version
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct RoundLine<'a> {
    id: &'a str,
    status: &'a str,
    /// Whether a draw committed: `未抽取`, or `已抽取 TIME…`.
    draw: String,
    drawn: bool,
    drawn_at: Option<String>,
    published_at: Option<String>,
    window_start: NaiveDate,
    window_end: NaiveDate,
    plans: usize,
    plan_ids: Vec<&'a str>,
    selections: u64,
    visits: u64,
    unstaffed: u64,
    commitment: &'a str,
    round_digest: &'a str,
    beacon: Option<&'a str>,
}

fn round_line(r: &Round) -> RoundLine<'_> {
    RoundLine {
        id: &r.id,
        status: r.status.as_str(),
        draw: rounds::draw_state(r),
        drawn: r.status != RoundStatus::Committed,
        drawn_at: r.drawn_at.map(|t| t.to_rfc3339()),
        published_at: r.published_at.map(|t| t.to_rfc3339()),
        window_start: r.window_start,
        window_end: r.window_end,
        plans: r.plans.len(),
        plan_ids: r.plans.keys().map(String::as_str).collect(),
        selections: r.selections,
        visits: r.visits,
        unstaffed: r.unstaffed,
        commitment: &r.commitment,
        round_digest: &r.round_digest,
        beacon: r.beacon.as_deref(),
    }
}

/// `jianguan rounds …`.
pub fn run_rounds(args: &RoundsArgs) -> anyhow::Result<ExitCode> {
    on_database!(&args.database, store => rounds_command(store, &args.command).await)
}

async fn rounds_command<S: WorkflowStore>(
    store: &S,
    command: &RoundsCommand,
) -> anyhow::Result<ExitCode> {
    let at = service::now();
    match command {
        RoundsCommand::List { json } => {
            // 核查 samplings (issue 21) are drawn on rounds but listed by `services verification show`.
            let checks: std::collections::HashSet<String> = service::verification::list(store)
                .await?
                .into_iter()
                .map(|(v, _)| v.id)
                .collect();
            let list: Vec<Round> = store
                .list::<Round>(None)
                .await?
                .into_iter()
                .filter(|r| !checks.contains(&r.id))
                .collect();
            let lines: Vec<RoundLine> = list.iter().map(round_line).collect();
            if *json {
                print_json(&lines)?;
            } else {
                for l in &lines {
                    println!(
                        "{}\t{}\t{}\t{}–{}\t{} plans\t{} selections\t{} visits\t{} unstaffed",
                        l.id,
                        l.status,
                        l.draw,
                        l.window_start,
                        l.window_end,
                        l.plans,
                        l.selections,
                        l.visits,
                        l.unstaffed
                    );
                }
            }
        }
        RoundsCommand::Commit {
            id,
            window_start,
            window_end,
            title,
            cap,
            plans,
            rules,
            actor,
        } => {
            let rules = match rules {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    serde_json::from_str::<EligibilityRules>(&text)
                        .with_context(|| format!("rules in {}", path.display()))?
                }
                None => EligibilityRules::default(),
            };
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .map_err(|e| anyhow::anyhow!("no system randomness for the secret: {e}"))?;
            let request = rounds::CommitRequest {
                id: id.clone(),
                title: title.clone().unwrap_or_else(|| id.clone()),
                window_start: *window_start,
                window_end: *window_end,
                cap: *cap,
                plans: (!plans.is_empty()).then(|| plans.clone()),
            };
            let round = rounds::commit(
                store,
                &request,
                &rules,
                &draw::Secret::from_bytes(bytes),
                at,
                &actor.actor,
            )
            .await?;
            println!("round {} committed: {} plans", round.id, round.plans.len());
            println!("commitment {}", round.commitment);
            println!("round_digest {}", round.round_digest);
        }
        RoundsCommand::Draw {
            id,
            witnessed,
            actor,
        } => {
            let (beacon, witnesses) = (&witnessed.beacon, &witnessed.witnesses);
            let round = rounds::draw(store, id, beacon, witnesses, at, &actor.actor).await?;
            println!(
                "round {} drawn: {} selections, {} visits, {} unstaffed (visit, department) pairs",
                round.id, round.selections, round.visits, round.unstaffed
            );
        }
        RoundsCommand::Publish { id, actor } => {
            let round = rounds::publish(store, id, at, &actor.actor).await?;
            println!(
                "round {} published; secret {}",
                round.id,
                round.secret.as_deref().unwrap_or("")
            );
        }
        RoundsCommand::Export { id, out } => out.write(&rounds::export(store, id).await?)?,
        RoundsCommand::Explain { id, entity, json } => {
            let explanation = rounds::explain(store, id, entity).await?;
            if *json {
                print_json(&explanation)?;
            } else {
                for fate in &explanation.plans {
                    let what = match (fate.fate.as_str(), &fate.stratum, &fate.excluded) {
                        ("frame", Some(stratum), _) => format!("in the frame, stratum {stratum}"),
                        ("excluded", _, Some(reason)) => format!("excluded: {reason}"),
                        _ => "out of scope".to_owned(),
                    };
                    let selected = if fate.selected { "; SELECTED" } else { "" };
                    println!("{}\t{what}{selected}", fate.plan);
                }
                if let Some(visit) = &explanation.visit {
                    println!("visit {}: plans {}", visit.id, visit.plans.join(", "));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `jianguan visits …`.
pub fn run_visits(args: &VisitsArgs) -> anyhow::Result<ExitCode> {
    on_database!(&args.database, store => visits_command(store, &args.command).await)
}

async fn visits_command<S: WorkflowStore>(
    store: &S,
    command: &VisitsCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        VisitsCommand::List { round, json } => {
            let visits = store.list::<Visit>(Some(("round", round))).await?;
            if *json {
                print_json(&visits)?;
            } else {
                for v in &visits {
                    let teams: Vec<String> = v
                        .teams
                        .iter()
                        .map(|t| {
                            if t.unstaffed && t.assigned.is_empty() {
                                format!("{}:未配齐", t.department)
                            } else {
                                format!("{}:{}", t.department, t.assigned.join("+"))
                            }
                        })
                        .collect();
                    println!("{}\t{}\t{}", v.id, v.plans.join(","), teams.join(" "));
                }
                println!("{} visits", visits.len());
            }
        }
        VisitsCommand::Reassign {
            visit,
            department,
            inspectors,
            reason,
            actor,
        } => {
            let visit = rounds::reassign(
                store,
                visit,
                department,
                inspectors,
                reason,
                service::now(),
                &actor.actor,
            )
            .await?;
            println!(
                "visit {} reassigned ({} reassignments on record)",
                visit.id,
                visit.reassignments.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `jianguan results …`.
pub fn run_results(args: &ResultsArgs) -> anyhow::Result<ExitCode> {
    let override_file = std::env::var_os("JIANGUAN_CALENDAR_OVERRIDE").map(PathBuf::from);
    let calendar = super::calendar::load(override_file.as_ref())?;
    on_database!(&args.database, store => {
        match service::calendar::with_stored_notices(store, &calendar).await {
            Ok(calendar) => results_command(store, &calendar, &args.command).await,
            Err(error) => Err(error.into()),
        }
    })
}

async fn results_command<S: WorkflowStore>(
    store: &S,
    calendar: &workcal::Calendar,
    command: &ResultsCommand,
) -> anyhow::Result<ExitCode> {
    let at = service::now();
    match command {
        ResultsCommand::Enter {
            visit,
            department,
            entry,
            actor,
        } => {
            let entered = results::enter_visit(
                store,
                calendar,
                visit,
                department,
                &entry.entry()?,
                at,
                &actor.actor,
            )
            .await?;
            for r in &entered {
                let provisional = service::calendar::result_provisional(calendar, r);
                println!(
                    "{}\t{}\tpublish by {}{}",
                    r.id,
                    r.category,
                    r.publish_due,
                    if provisional { " (provisional)" } else { "" }
                );
            }
        }
        ResultsCommand::Publish { ids, on, actor } => {
            let on = on.unwrap_or_else(|| at.date_naive());
            let published = results::publish(store, ids, on, at, &actor.actor).await?;
            for r in &published {
                let late = if r.overdue(on) { " (late)" } else { "" };
                println!("{} published on {on}{late}", r.id);
            }
        }
        ResultsCommand::Correct {
            id,
            entry,
            reason,
            actor,
        } => {
            let correction = results::correct(
                store,
                id,
                &entry.entry()?,
                reason,
                at.date_naive(),
                at,
                &actor.actor,
            )
            .await?;
            println!("{} corrects {id}", correction.id);
        }
        ResultsCommand::List {
            visit,
            overdue,
            json,
        } => {
            let today = at.date_naive();
            let list: Vec<InspectionResult> = match visit {
                Some(v) => store.list::<InspectionResult>(Some(("visit", v))).await?,
                None => store.list::<InspectionResult>(None).await?,
            }
            .into_iter()
            .filter(|r| !overdue || r.overdue(today))
            .collect();
            if *json {
                print_json(&list)?;
            } else {
                for r in &list {
                    let flag = if r.overdue(today) { "\t逾期" } else { "" };
                    println!(
                        "{}\t{}\t{}\tdue {}{flag}",
                        r.id, r.status, r.category, r.publish_due
                    );
                }
                println!("{} results", list.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `jianguan out-of-plan …`.
pub fn run_out_of_plan(args: &OutOfPlanArgs) -> anyhow::Result<ExitCode> {
    on_database!(&args.database, store => {
        let reason = OutOfPlanReason::parse(&args.reason)?;
        let record = results::register_out_of_plan(
            store, &args.id, &args.entity, &args.department, reason, &args.detail, args.work_order.clone(),
            args.on, args.inspectors.clone(), service::now(), &args.actor.actor,
        ).await?;
        let flag = if record.flagged { " — flagged to the Justice Bureau for rectification (督促整改)" } else { "" };
        println!("{} registered ({}){flag}", record.id, record.reason);
        Ok(ExitCode::SUCCESS)
    })
}

/// `jianguan audit verify [--anchors FILE]` and `jianguan audit anchor`.
pub fn run_audit(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let (anchors, json) = match &args.command {
        AuditCommand::Anchor { json } => {
            return on_database!(&args.database, store => {
                let anchor = audit::record_anchor(store, service::now()).await?;
                if *json {
                    print_json(&anchor)?;
                } else {
                    println!("anchor {} at position {}: {}", anchor.at, anchor.seq, anchor.hash);
                }
                Ok(ExitCode::SUCCESS)
            });
        }
        AuditCommand::Verify { anchors, json } => (anchors, *json),
    };
    let saved = match anchors {
        Some(file) => Some(read_anchors(file)?),
        None => None,
    };
    on_database!(&args.database, store => {
        let mut found = audit::verify(store).await?;
        let checked = match &saved {
            Some(saved) => {
                let entries = store.ledger().await?;
                found.breaks.extend(audit::check_anchors(&entries, saved));
                saved.len()
            }
            None => 0,
        };
        if json {
            print_json(&serde_json::json!({
                "intact": found.intact(), "entries": found.entries, "rows": found.rows,
                "anchors": checked, "breaks": found.breaks,
            }))?;
        } else if found.intact() {
            println!("intact ({} ledger entries, {} rows checked)", found.entries, found.rows);
            if saved.is_some() {
                println!("anchors: the chain still extends each of the {checked} saved heads");
            }
        } else {
            for b in &found.breaks {
                println!("break at position {}: {}: {}", b.seq, b.subject, b.problem);
            }
            println!("{} breaks ({} ledger entries, {} rows, {checked} anchors checked)", found.breaks.len(), found.entries, found.rows);
        }
        Ok(if found.intact() { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}

/// Reads a saved anchors file, bounded in size.
fn read_anchors(file: &PathBuf) -> anyhow::Result<Vec<domain::ledger::Anchor>> {
    use std::io::Read as _;
    let opened =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut text = String::new();
    opened
        .take(audit::MAX_ANCHORS_FILE + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("{} is not UTF-8 text", file.display()))?;
    if text.len() as u64 > audit::MAX_ANCHORS_FILE {
        anyhow::bail!(
            "{} is larger than {} bytes",
            file.display(),
            audit::MAX_ANCHORS_FILE
        );
    }
    audit::parse_anchors(&text).map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))
}

/// `jianguan report …`.
pub fn run_report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let period = match (args.kind, args.month, args.quarter) {
        (ReportKind::Monthly, Some(m), None) => report::Period::Month(args.year, m),
        (ReportKind::Quarterly, None, Some(q)) => report::Period::Quarter(args.year, q),
        (ReportKind::Annual, None, None) => report::Period::Year(args.year),
        (ReportKind::Monthly, ..) => {
            anyhow::bail!("a monthly report takes --month (and no --quarter)")
        }
        (ReportKind::Quarterly, ..) => {
            anyhow::bail!("a quarterly report takes --quarter (and no --month)")
        }
        (ReportKind::Annual, ..) => {
            anyhow::bail!("an annual report takes neither --month nor --quarter")
        }
    };
    on_database!(&args.database, store => {
        let built = report::build(store, period, args.department.as_deref(), service::now().date_naive()).await?;
        if let Some(out) = &args.out {
            report::write_xlsx(&built, out, &files::watermark::Watermark::cli(built.title.clone())).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
        if args.json {
            print_json(&built)?;
        } else {
            println!("{} ({} – {})", built.title, built.start, built.end);
            for r in &built.rows {
                println!(
                    "{}\t{}\tplans {} (joint {}), executed {}, entities {}, selections {}, visits {}, doors saved {}, results {}, problems {} ({}%), on time {}, late {}, overdue {}, out-of-plan {}",
                    r.department, r.name, r.plans_drawn, r.joint_plans_drawn, r.plans_executed, r.entities_drawn, r.selections,
                    r.visits, r.doors_saved, r.results, r.problems_found, r.problem_rate_percent, r.published_on_time,
                    r.published_late, r.overdue_unpublished, r.out_of_plan.values().sum::<u64>()
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
