//! `jianguan discretion` and `jianguan cases`: discretion benchmarks (裁量基准)
//! and the penalty case register (行政处罚案件) with its checks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::bad_input;
use super::database::{DatabaseArgs, runtime};
use super::import::finish_import;
use super::workflow::ActorArgs;
use domain::enforcement::{CaseRules, DiscretionVersion, yuan};
use service::enforcement as flow;
use service::now;
use storage::{Db, Store, WorkflowStore};

/// `jianguan discretion`.
#[derive(Debug, Args)]
pub struct DiscretionArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: DiscretionCommand,
}

#[derive(Debug, Subcommand)]
enum DiscretionCommand {
    /// Import the benchmarks (CSV or XLSX), one row per (behaviour, tier), with the
    /// headers 违法行为编码, 违法行为, 实施部门, 法律依据, 裁量阶次, 适用情形,
    /// 罚款下限, 罚款上限, 清单. A changed file makes a new version.
    Import {
        /// The file.
        file: PathBuf,
        /// First day the new version is in force (default: today).
        #[arg(long, value_name = "DATE")]
        in_force: Option<NaiveDate>,
        /// Folder for the error report (default: next to the file).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Show a behaviour's tiers, ranges and lists, by its code or words of its name.
    Show {
        /// A behaviour code, or text in the behaviour's name.
        query: String,
        /// The version in force on this day (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `jianguan cases`.
#[derive(Debug, Args)]
pub struct CasesArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// A working-day calendar override file.
    #[arg(
        long = "calendar",
        value_name = "FILE",
        env = "JIANGUAN_CALENDAR_OVERRIDE",
        global = true
    )]
    calendar: Option<PathBuf>,
    #[command(subcommand)]
    command: CasesCommand,
}

#[derive(Debug, Subcommand)]
enum CasesCommand {
    /// Import penalty cases (CSV or XLSX) with the headers 案件编号, 执法部门,
    /// 当事人名称, 当事人证件号码, 违法行为编码, 立案日期, 决定日期, 处罚种类,
    /// 裁量阶次, 罚款金额, 执法人员, 法制审核, 首次违法, 及时改正, 延期,
    /// 公示日期, 决定变更日期, 撤回日期, 结案日期. Re-importing changes nothing.
    Import {
        /// The file.
        file: PathBuf,
        /// Folder for the error report (default: next to the file).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Check the cases against the rules; print the findings by case then rule.
    Check {
        /// One department's cases only.
        #[arg(long, value_name = "CODE")]
        department: Option<String>,
        /// The day deadlines are judged on (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Rules JSON: legal_review_fine_person, legal_review_fine_organisation,
        /// publicity_working_days, decision_days (unknown keys are an error).
        #[arg(long, value_name = "FILE.json")]
        rules: Option<PathBuf>,
        /// Print `{"cases": N, "findings": [{"case", "rule", "detail"}]}`.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `jianguan discretion …`.
pub fn run_discretion(args: &DiscretionArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let outcome = discretion(&db, &args.command).await;
        db.close().await;
        outcome
    })
}

async fn discretion(db: &Db, command: &DiscretionCommand) -> anyhow::Result<ExitCode> {
    match command {
        DiscretionCommand::Import {
            file,
            in_force,
            report,
            json,
            actor,
        } => match flow::import_benchmarks(db, file, *in_force, &actor.actor, now()).await {
            Ok(import) => {
                let mut extra = serde_json::Map::new();
                extra.insert("sha256".into(), import.sha256.clone().into());
                extra.insert("version".into(), import.version.into());
                extra.insert(
                    "in_force".into(),
                    import.in_force.map(|d| d.to_string()).into(),
                );
                finish_import(&import.outcome, file, report.as_deref(), *json, extra)?;
                if !*json && let (Some(version), Some(day)) = (import.version, import.in_force) {
                    println!("benchmark version {version}, in force from {day}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(error) if error.is_bad_input() => Ok(bad_input(&error, *json)),
            Err(error) => Err(error.into()),
        },
        DiscretionCommand::Show { query, as_of, json } => {
            let versions = db.list::<DiscretionVersion>(None).await?;
            let day = as_of.unwrap_or_else(domain::clock::today);
            let Some(version) = domain::enforcement::version_in_force(&versions, day) else {
                return Ok(bad_input(&"no discretion benchmarks imported", *json));
            };
            let query = query.trim();
            let rows = version.matching(query);
            if rows.is_empty() {
                return Ok(bad_input(
                    &format!(
                        "no behaviour matches {query:?} in version {}",
                        version.version
                    ),
                    *json,
                ));
            }
            if *json {
                println!(
                    "{}",
                    serde_json::json!({
                        "version": version.version,
                        "in_force": version.in_force.to_string(),
                        "rows": rows,
                    })
                );
            } else {
                println!(
                    "version {} (in force from {})",
                    version.version, version.in_force
                );
                for row in rows {
                    println!(
                        "{} {} [{}] {}: {} – {}{}\n    {}\n    {}",
                        row.code,
                        row.behaviour,
                        row.departments.join("、"),
                        row.tier,
                        row.fine_min.map_or_else(|| "-".into(), yuan),
                        row.fine_max.map_or_else(|| "-".into(), yuan),
                        row.list
                            .map(|l| format!(" (清单: {l})"))
                            .unwrap_or_default(),
                        row.conditions,
                        row.legal_basis
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads a rules file (unknown keys refused).
pub(super) fn load_rules(path: Option<&PathBuf>) -> anyhow::Result<CaseRules> {
    match path {
        None => Ok(CaseRules::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            CaseRules::from_json(&text).with_context(|| format!("case rules {}", path.display()))
        }
    }
}

/// Runs `jianguan cases …`.
pub fn run_cases(args: &CasesArgs) -> anyhow::Result<ExitCode> {
    let calendar = super::calendar::load(args.calendar.as_ref())?;
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let calendar = service::calendar::with_stored_notices(&db, &calendar).await?;
        let outcome = cases(&db, &calendar, &args.command).await;
        db.close().await;
        outcome
    })
}

async fn cases(
    db: &Db,
    calendar: &workcal::Calendar,
    command: &CasesCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        CasesCommand::Import {
            file,
            report,
            json,
            actor,
        } => match flow::import_cases(db, file, &actor.actor, now()).await {
            Ok(import) => {
                let mut extra = serde_json::Map::new();
                extra.insert("sha256".into(), import.sha256.clone().into());
                finish_import(&import.outcome, file, report.as_deref(), *json, extra)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(error) if error.is_bad_input() => Ok(bad_input(&error, *json)),
            Err(error) => Err(error.into()),
        },
        CasesCommand::Check {
            department,
            as_of,
            rules,
            json,
        } => {
            let rules = match load_rules(rules.as_ref()) {
                Ok(rules) => rules,
                Err(error) => return Ok(bad_input(&format!("{error:#}"), *json)),
            };
            let as_of = as_of.unwrap_or_else(domain::clock::today);
            let report =
                flow::run_check(db, department.as_deref(), as_of, &rules, calendar).await?;
            if *json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                for finding in &report.findings {
                    println!("{}\t{}\t{}", finding.case, finding.rule, finding.detail);
                }
                println!(
                    "{} cases checked, {} findings",
                    report.cases,
                    report.findings.len()
                );
                for rule in flow::RULES {
                    let n = report.findings.iter().filter(|f| f.rule == rule).count();
                    println!("  {rule}: {n}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
