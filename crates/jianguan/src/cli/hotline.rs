//! `jianguan hotline`: 12345 work orders from the command line: batch import,
//! KPIs, the overdue list, the 督办 sweep, and single steps.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::{Args, Subcommand};

use super::EXIT_BAD_INPUT;
use super::database::{DatabaseArgs, runtime};
use super::import::finish_import;
use super::workflow::ActorArgs;
use domain::hotline::{
    Caller, Difficulty, Escalation, HotlineRules, Intake, OrderAction, Rating, WorkOrder,
    parse_time, stored_time,
};
use service::hotline::{self as flow, ComplaintInspection, KpiQuery, Party};
use service::{WorkflowError, now};
use storage::{Db, Store};

/// `jianguan hotline`.
#[derive(Debug, Args)]
pub struct HotlineArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Hotline rules (time limits, channels) as JSON, replacing Huangshi's defaults.
    #[arg(
        long,
        value_name = "FILE",
        env = "JIANGUAN_HOTLINE_RULES",
        global = true
    )]
    rules: Option<PathBuf>,
    /// A working-day calendar override file.
    #[arg(
        long = "calendar",
        value_name = "FILE",
        env = "JIANGUAN_CALENDAR_OVERRIDE",
        global = true
    )]
    calendar: Option<PathBuf>,
    #[command(subcommand)]
    command: HotlineCommand,
}

#[derive(Debug, Subcommand)]
enum HotlineCommand {
    /// Import work orders (CSV or XLSX) with the headers 工单编号, 来源渠道, 受理时间,
    /// 问题类型, 难度, 承办部门, 签收时间, 办结时间, 延期工作日, 回访结果,
    /// 涉及主体统一社会信用代码. Empty cells mean "not yet". Re-importing changes nothing.
    Import {
        /// The file.
        file: PathBuf,
        /// Folder for the error report (default: next to the file).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
        /// Reject 统一社会信用代码 failing both check characters too (default:
        /// accepted as pilot-era codes with a warning; mistyped codes are always rejected).
        #[arg(long)]
        strict_uscc: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// KPIs of the orders received from --from to --to: 及时签收率, 按时办结率,
    /// 满意率 and the average working days to close.
    Kpi {
        /// First day of receipt.
        #[arg(long, value_name = "DATE")]
        from: NaiveDate,
        /// Last day of receipt.
        #[arg(long, value_name = "DATE")]
        to: NaiveDate,
        /// One department (code or name).
        #[arg(long, value_name = "CODE")]
        department: Option<String>,
        #[command(flatten)]
        as_of: AsOfArgs,
        /// Print one JSON line: orders, sign_rate, close_rate, satisfaction_rate, avg_close_working_days.
        #[arg(long)]
        json: bool,
        /// Also write the full report (per department, channel, category) as XLSX.
        #[arg(long, value_name = "FILE")]
        xlsx: Option<PathBuf>,
    },
    /// Open orders past a deadline or about to be, per department.
    Due {
        /// One department (code).
        #[arg(long, value_name = "CODE")]
        department: Option<String>,
        #[command(flatten)]
        as_of: AsOfArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Raise 督办 on every open order past a deadline (黄牌; 红牌 when long overdue).
    Escalate {
        #[command(flatten)]
        as_of: AsOfArgs,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// One order with its history.
    Show {
        /// 工单编号.
        id: String,
        /// Print JSON (the caller unmasked is never printed).
        #[arg(long)]
        json: bool,
    },
    /// Take in a new order (受理).
    Intake(IntakeArgs),
    /// Take one step on an order.
    Act(ActArgs),
    /// Open an out-of-plan inspection (投诉举报) of the enterprise a complaint names.
    Inspect {
        /// 工单编号.
        id: String,
        /// The inspecting department (code or name).
        #[arg(long)]
        department: String,
        /// Inspectors' certificate numbers (at least 2), comma-separated.
        #[arg(long, value_delimiter = ',')]
        inspectors: Vec<String>,
        /// What happened.
        #[arg(long)]
        detail: String,
        /// Date inspected (default: today).
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[command(flatten)]
        actor: ActorArgs,
    },
}

#[derive(Debug, Args)]
pub(super) struct AsOfArgs {
    /// "Now" for the report, e.g. `2026-06-30 18:00`; a date alone is the end of
    /// that day (default: the current time).
    #[arg(long, value_name = "DATETIME")]
    as_of: Option<String>,
}

impl AsOfArgs {
    /// The time given; a date alone means the end of that day.
    pub(super) fn at(&self) -> Result<DateTime<FixedOffset>, WorkflowError> {
        if let Some(day) = self
            .as_of
            .as_deref()
            .and_then(|t| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok())
        {
            return Ok(parse_time("as-of", &format!("{day} 23:59:59"))?);
        }
        at_or_now("as-of", self.as_of.as_deref())
    }
}

fn at_or_now(
    field: &'static str,
    text: Option<&str>,
) -> Result<DateTime<FixedOffset>, WorkflowError> {
    match text {
        Some(text) => Ok(parse_time(field, text)?),
        None => Ok(now()),
    }
}

#[derive(Debug, Args)]
struct IntakeArgs {
    /// 工单编号 (default: GD-YYYYMMDD-NNNN).
    #[arg(long, default_value = "")]
    id: String,
    /// Channel number (12345, 12315 …).
    #[arg(long, default_value = "12345")]
    channel: String,
    /// 问题类型.
    #[arg(long)]
    category: String,
    /// 一般 or 疑难.
    #[arg(long, default_value = "一般")]
    difficulty: String,
    /// The caller's name.
    #[arg(long, default_value = "")]
    caller: String,
    /// The caller's telephone.
    #[arg(long, default_value = "")]
    phone: String,
    /// What the caller said.
    #[arg(long, default_value = "")]
    content: String,
    /// Where.
    #[arg(long, default_value = "")]
    location: String,
    /// The enterprise concerned (统一社会信用代码).
    #[arg(long)]
    entity: Option<String>,
    /// 受理时间 (default: now).
    #[arg(long)]
    at: Option<String>,
    #[command(flatten)]
    actor: ActorArgs,
}

#[derive(Debug, Args)]
struct ActArgs {
    /// 工单编号.
    id: String,
    /// dispatch, sign, handle, reply, return, extend, approve, reject, escalate, callback, close, reopen.
    step: String,
    /// Act as this department (code); without it, as the 12345 centre.
    #[arg(long = "as-department", value_name = "CODE")]
    as_department: Option<String>,
    /// dispatch: the department (code or name).
    #[arg(long)]
    to: Option<String>,
    /// The note, reply, reason.
    #[arg(long, default_value = "")]
    text: String,
    /// extend / approve: working days.
    #[arg(long, default_value_t = 0)]
    days: u32,
    /// callback: 满意, 基本满意 or 不满意.
    #[arg(long)]
    rating: Option<String>,
    /// escalate: 黄牌 or 红牌.
    #[arg(long)]
    level: Option<String>,
    /// When (default: now).
    #[arg(long)]
    at: Option<String>,
    /// Print the order as JSON afterwards.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    actor: ActorArgs,
}

impl ActArgs {
    fn action(&self) -> Result<OrderAction, WorkflowError> {
        let text = self.text.clone();
        Ok(match self.step.as_str() {
            "dispatch" | "派单" => OrderAction::Dispatch {
                department: self.to.clone().unwrap_or_default(),
            },
            "sign" | "签收" => OrderAction::Sign,
            "handle" | "办理" => OrderAction::Handle { note: text },
            "reply" | "答复" => OrderAction::Reply { text },
            "return" | "退单" => OrderAction::Return { reason: text },
            "extend" | "延期" => OrderAction::RequestExtension {
                days: self.days,
                reason: text,
            },
            "approve" => OrderAction::DecideExtension {
                approve: true,
                days: self.days,
                note: text,
            },
            "reject" => OrderAction::DecideExtension {
                approve: false,
                days: 0,
                note: text,
            },
            "escalate" | "督办" => OrderAction::Escalate {
                level: Escalation::parse(self.level.as_deref().unwrap_or("黄牌"))?,
                note: text,
            },
            "callback" | "回访" => OrderAction::Callback {
                rating: Rating::parse(self.rating.as_deref().unwrap_or(""))?,
                note: text,
            },
            "close" | "办结" => OrderAction::Close { note: text },
            "reopen" | "重办" => OrderAction::Reopen { reason: text },
            other => {
                return Err(WorkflowError::Refused(format!(
                    "unknown step {other:?}: dispatch, sign, handle, reply, return, extend, approve, reject, escalate, callback, close or reopen"
                ).into()));
            }
        })
    }
}

/// The rules: the file given, else Huangshi's.
pub fn load_rules(path: Option<&PathBuf>) -> anyhow::Result<HotlineRules> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            HotlineRules::from_json(&text)
                .with_context(|| format!("hotline rules {}", path.display()))
        }
        None => Ok(HotlineRules::default()),
    }
}

/// Runs `jianguan hotline …`.
pub fn run(args: &HotlineArgs) -> anyhow::Result<ExitCode> {
    let rules = load_rules(args.rules.as_ref())?;
    let calendar = super::calendar::load(args.calendar.as_ref())?;
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let calendar = service::calendar::with_stored_notices(&db, &calendar).await?;
        let outcome = run_command(&db, &rules, &calendar, &args.command).await;
        db.close().await;
        outcome
    })
}

/// Exit 2 with the message for a refusal or bad input; other errors go up.
pub(super) fn finish<T>(
    result: Result<T, WorkflowError>,
    json: bool,
    done: impl FnOnce(T) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    match result {
        Ok(value) => {
            done(value)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(WorkflowError::Store(error)) => Err(error.into()),
        Err(error) => {
            if json {
                println!("{}", serde_json::json!({"error": error.to_string()}));
            }
            eprintln!("error: {error}");
            Ok(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}

async fn run_command(
    db: &Db,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    command: &HotlineCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        HotlineCommand::Import {
            file,
            report,
            json,
            strict_uscc,
            actor,
        } => {
            match flow::import_orders(db, rules, calendar, file, *strict_uscc, &actor.actor, now())
                .await
            {
                Ok(import) => {
                    let mut extra = serde_json::Map::new();
                    extra.insert("sha256".into(), import.sha256.clone().into());
                    finish_import(&import.outcome, file, report.as_deref(), *json, extra)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) if error.is_bad_input() => {
                    if *json {
                        println!("{}", serde_json::json!({"error": error.to_string()}));
                    }
                    eprintln!("error: {error}");
                    Ok(ExitCode::from(EXIT_BAD_INPUT))
                }
                Err(error) => Err(error.into()),
            }
        }
        HotlineCommand::Kpi {
            from,
            to,
            department,
            as_of,
            json,
            xlsx,
        } => {
            let report = match as_of.at() {
                Ok(as_of) => {
                    let query = KpiQuery {
                        from: *from,
                        to: *to,
                        department: department.clone(),
                        as_of,
                    };
                    flow::kpi(db, rules, query).await
                }
                Err(error) => Err(error),
            };
            finish(report, *json, |report| {
                if let Some(path) = xlsx {
                    let watermark = files::watermark::Watermark::cli(format!(
                        "12345热线考核指标 {from} 至 {to}"
                    ));
                    flow::kpi_xlsx(&report, &watermark, path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                if *json {
                    println!("{}", report.city.summary());
                } else {
                    print_kpi(&report);
                }
                Ok(())
            })
        }
        HotlineCommand::Due {
            department,
            as_of,
            json,
        } => {
            let list = match as_of.at() {
                Ok(at) => flow::due(db, rules, calendar, department.as_deref(), at).await,
                Err(error) => Err(error),
            };
            finish(list, *json, |list| {
                if *json {
                    println!("{}", serde_json::to_string(&list)?);
                } else {
                    for order in &list {
                        let state = if order.sign_overdue {
                            "逾期未签收"
                        } else if order.close_overdue {
                            "逾期未办结"
                        } else {
                            "即将到期"
                        };
                        println!(
                            "{}\t{}\t{}\t{}\t签收时限 {}\t办结时限 {}{}\t{}",
                            order.id,
                            order.department.as_deref().unwrap_or("未派单"),
                            order.status,
                            state,
                            order.sign_due,
                            order.close_due,
                            if order.provisional {
                                "（暂定）"
                            } else {
                                ""
                            },
                            order.escalation.as_deref().unwrap_or("")
                        );
                    }
                    let overdue = list.iter().filter(|o| !o.due_soon).count();
                    println!("{overdue} overdue, {} about to be", list.len() - overdue);
                }
                Ok(())
            })
        }
        HotlineCommand::Escalate { as_of, actor } => {
            let raised = match as_of.at() {
                Ok(at) => flow::escalate_overdue(db, rules, calendar, at, &actor.actor).await,
                Err(error) => Err(error),
            };
            finish(raised, false, |raised| {
                for order in &raised {
                    println!(
                        "{}\t{}",
                        order.id,
                        order.escalation.map(|e| e.as_str()).unwrap_or("")
                    );
                }
                println!("{} orders escalated", raised.len());
                Ok(())
            })
        }
        HotlineCommand::Show { id, json } => {
            let order = service::existing::<Db, WorkOrder>(db, id).await;
            finish(order, *json, |order| print_order(&order, calendar, *json))
        }
        HotlineCommand::Intake(args) => {
            let intake = match (
                Difficulty::parse(&args.difficulty),
                at_or_now("at", args.at.as_deref()),
            ) {
                (Ok(difficulty), Ok(received_at)) => Ok(Intake {
                    id: args.id.clone(),
                    channel: args.channel.clone(),
                    received_at,
                    caller: Caller {
                        name: args.caller.clone(),
                        phone: args.phone.clone(),
                    },
                    content: args.content.clone(),
                    category: args.category.clone(),
                    location: args.location.clone(),
                    entity: args.entity.clone(),
                    difficulty,
                }),
                (Err(error), _) => Err(error.into()),
                (_, Err(error)) => Err(error),
            };
            let order = match intake {
                Ok(intake) => flow::intake(db, rules, calendar, intake, &args.actor.actor).await,
                Err(error) => Err(error),
            };
            finish(order, false, |order| print_order(&order, calendar, false))
        }
        HotlineCommand::Act(args) => {
            let party = args
                .as_department
                .clone()
                .map_or(Party::Centre, Party::Department);
            let order = match (args.action(), at_or_now("at", args.at.as_deref())) {
                (Ok(action), Ok(at)) => {
                    flow::act(
                        db,
                        rules,
                        calendar,
                        &args.id,
                        action,
                        &party,
                        at,
                        &args.actor.actor,
                    )
                    .await
                }
                (Err(error), _) | (_, Err(error)) => Err(error),
            };
            finish(order, args.json, |order| {
                print_order(&order, calendar, args.json)
            })
        }
        HotlineCommand::Inspect {
            id,
            department,
            inspectors,
            detail,
            on,
            actor,
        } => {
            let at = now();
            let inspection = ComplaintInspection {
                id: String::new(),
                department: department.clone(),
                detail: detail.clone(),
                inspected_on: on.unwrap_or_else(|| at.date_naive()),
                inspectors: inspectors.clone(),
            };
            let opened =
                flow::open_inspection(db, id, inspection, &Party::Centre, at, &actor.actor).await;
            finish(opened, false, |(order, inspection)| {
                println!(
                    "out-of-plan inspection {} (投诉举报) opened from work order {}",
                    inspection.id, order.id
                );
                Ok(())
            })
        }
    }
}

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.2}%", v * 100.0))
}

fn print_kpi(report: &flow::KpiReport) {
    println!(
        "orders received {} to {} (as of {}):",
        report.from,
        report.to,
        stored_time(report.as_of)
    );
    println!("code\tdepartment\torders\tsign\tclose\tsatisfaction\tavg days");
    let city = flow::DepartmentKpi {
        code: "-".into(),
        name: "合计".into(),
        kpi: report.city,
    };
    for line in report.departments.iter().chain(std::iter::once(&city)) {
        let k = &line.kpi;
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            line.code,
            line.name,
            k.orders,
            rate(k.sign_rate()),
            rate(k.close_rate()),
            rate(k.satisfaction_rate()),
            k.avg_close_working_days()
                .map_or_else(|| "—".to_owned(), |d| format!("{d:.2}"))
        );
    }
}

fn print_order(order: &WorkOrder, calendar: &workcal::Calendar, json: bool) -> anyhow::Result<()> {
    let provisional = service::calendar::order_provisional(calendar, order);
    if json {
        let mut value = serde_json::to_value(order)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("caller".into(), order.caller.masked().into());
            map.insert("deadline_provisional".into(), provisional.into());
        }
        println!("{value}");
        return Ok(());
    }
    println!(
        "{} {} {} {} {}\n  {} 受理 {}; 签收时限 {}; 办结时限 {}{}{}",
        order.id,
        order.status,
        order.channel,
        order.category,
        order.difficulty,
        order.department.as_deref().unwrap_or("未派单"),
        stored_time(order.received_at),
        order.sign_due,
        order.close_due,
        if provisional {
            "（暂定：该年放假安排未载入）"
        } else {
            ""
        },
        order
            .escalation
            .map(|e| format!("; {e}督办"))
            .unwrap_or_default()
    );
    if !order.caller.masked().is_empty() {
        println!("  来电人 {}", order.caller.masked());
    }
    for event in &order.events {
        println!(
            "  {} {} {} {}",
            stored_time(event.at),
            event.actor,
            event.action,
            event.detail
        );
    }
    Ok(())
}
