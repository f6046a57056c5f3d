//! `jianguan reconsideration` (行政复议: import, the statutory clock, KPIs)
//! and `jianguan litigation` (行政诉讼出庭应诉: import, the appearance rate).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::bad_input;
use super::database::{DatabaseArgs, runtime};
use super::import::finish_import;
use super::workflow::ActorArgs;
use service::now;
use service::reconsideration as flow;
use storage::{Db, Store};

/// `jianguan reconsideration`.
#[derive(Debug, Args)]
pub struct ReconsiderationArgs {
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
    command: ReconsiderationCommand,
}

#[derive(Debug, Subcommand)]
enum ReconsiderationCommand {
    /// Import applications (CSV or XLSX) with the headers 案号, 申请人, 被申请人,
    /// 收到日期, 补正通知日期, 补正完成日期, 受理日期, 程序, 延期, 中止天数,
    /// 决定日期, 决定类型, 原行政行为案件编号. Re-importing changes nothing; an
    /// unknown 原行政行为案件编号 is a warning.
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
    /// Check the statutory clock; print the findings by application then rule
    /// (correction_notice_late, admission_late, decision_late).
    Check {
        /// One respondent's applications only (department code or name).
        #[arg(long, value_name = "CODE")]
        respondent: Option<String>,
        /// The day open clocks are judged on (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Print `{"cases": N, "findings": [{"case", "rule", "detail"}]}`.
        #[arg(long)]
        json: bool,
    },
    /// The KPIs of the applications received (收到日期) in a year.
    Kpi {
        /// The year.
        #[arg(long)]
        year: i32,
        /// One respondent's applications only (department code or name).
        #[arg(long, value_name = "CODE")]
        respondent: Option<String>,
        /// The day open clocks are judged on (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Print `{"received", "accepted", "substantive", "corrected",
        /// "correction_rate", "admission_late", "decision_late"}`.
        #[arg(long)]
        json: bool,
    },
}

/// `jianguan litigation`.
#[derive(Debug, Args)]
pub struct LitigationArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: LitigationCommand,
}

#[derive(Debug, Subcommand)]
enum LitigationCommand {
    /// Import hearings (CSV or XLSX) with the headers 案号, 被告, 开庭日期,
    /// 负责人出庭. Re-importing changes nothing.
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
    /// The 负责人出庭应诉率 per department and city-wide.
    Report {
        /// Only the hearings (开庭日期) of this year.
        #[arg(long)]
        year: Option<i32>,
        /// Print `{"year", "departments": [{"code", "name", "hearings",
        /// "appeared", "rate"}], "city": {"hearings", "appeared", "rate"}}`.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `jianguan reconsideration …`.
pub fn run_reconsideration(args: &ReconsiderationArgs) -> anyhow::Result<ExitCode> {
    let calendar = super::calendar::load(args.calendar.as_ref())?;
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let calendar = service::calendar::with_stored_notices(&db, &calendar).await?;
        let outcome = reconsideration(&db, &calendar, &args.command).await;
        db.close().await;
        outcome
    })
}

/// Runs `jianguan litigation …`.
pub fn run_litigation(args: &LitigationArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let outcome = litigation(&db, &args.command).await;
        db.close().await;
        outcome
    })
}

/// A department given by code or name, as its code.
async fn respondent_code(
    db: &Db,
    text: Option<&str>,
) -> anyhow::Result<Result<Option<String>, String>> {
    let Some(text) = text else {
        return Ok(Ok(None));
    };
    let text = text.trim();
    let found = db
        .departments()
        .await?
        .into_iter()
        .find(|d| d.code().as_str() == text || d.name() == text)
        .map(|d| d.code().as_str().to_owned());
    Ok(found
        .map(Some)
        .ok_or_else(|| format!("{text} is not in the department directory")))
}

fn finish(
    import: Result<flow::RegisterImport, files::ImportError>,
    file: &Path,
    report: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    match import {
        Ok(import) => {
            let mut extra = serde_json::Map::new();
            extra.insert("sha256".into(), import.sha256.clone().into());
            finish_import(&import.outcome, file, report, json, extra)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) if error.is_bad_input() => Ok(bad_input(&error, json)),
        Err(error) => Err(error.into()),
    }
}

async fn reconsideration(
    db: &Db,
    calendar: &workcal::Calendar,
    command: &ReconsiderationCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        ReconsiderationCommand::Import {
            file,
            report,
            json,
            actor,
        } => finish(
            flow::import_reconsiderations(db, file, &actor.actor, now()).await,
            file,
            report.as_deref(),
            *json,
        ),
        ReconsiderationCommand::Check {
            respondent,
            as_of,
            json,
        } => {
            let respondent = match respondent_code(db, respondent.as_deref()).await? {
                Ok(code) => code,
                Err(message) => return Ok(bad_input(&message, *json)),
            };
            let as_of = as_of.unwrap_or_else(domain::clock::today);
            let report = flow::run_check(db, respondent.as_deref(), as_of, calendar).await?;
            if *json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                for finding in &report.findings {
                    println!("{}\t{}\t{}", finding.case, finding.rule, finding.detail);
                }
                println!(
                    "{} applications checked, {} findings",
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
        ReconsiderationCommand::Kpi {
            year,
            respondent,
            as_of,
            json,
        } => {
            let respondent = match respondent_code(db, respondent.as_deref()).await? {
                Ok(code) => code,
                Err(message) => return Ok(bad_input(&message, *json)),
            };
            let as_of = as_of.unwrap_or_else(domain::clock::today);
            let kpi = flow::kpi(db, *year, respondent.as_deref(), calendar, as_of).await?;
            if *json {
                println!("{}", serde_json::to_string(&kpi)?);
            } else {
                println!(
                    "{year}: received {}, accepted {}, substantive {}, corrected {} (rate {}), admission late {}, decision late {}",
                    kpi.received,
                    kpi.accepted,
                    kpi.substantive,
                    kpi.corrected,
                    kpi.correction_rate
                        .map_or_else(|| "-".to_owned(), |r| format!("{r:.4}")),
                    kpi.admission_late,
                    kpi.decision_late
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn litigation(db: &Db, command: &LitigationCommand) -> anyhow::Result<ExitCode> {
    match command {
        LitigationCommand::Import {
            file,
            report,
            json,
            actor,
        } => finish(
            flow::import_litigation(db, file, &actor.actor, now()).await,
            file,
            report.as_deref(),
            *json,
        ),
        LitigationCommand::Report { year, json } => {
            let report = flow::litigation_report(db, *year).await?;
            if *json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                let rate = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("{r:.4}"));
                for line in &report.departments {
                    println!(
                        "{}\t{}\t{}/{}\t{}",
                        line.code.as_deref().unwrap_or(""),
                        line.name.as_deref().unwrap_or(""),
                        line.appeared,
                        line.hearings,
                        rate(line.rate)
                    );
                }
                println!(
                    "city\t{}/{}\t{}",
                    report.city.appeared,
                    report.city.hearings,
                    rate(report.city.rate)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
