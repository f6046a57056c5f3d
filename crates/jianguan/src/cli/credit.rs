//! `jianguan credit`: list imports, the matters catalogue, checks, lookups and
//! the check log.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::EXIT_BAD_INPUT;
use super::database::{DatabaseArgs, runtime};
use super::import::finish_import;
use super::workflow::ActorArgs;
use domain::clock::today;
use domain::credit::{Matter, Outcome, Subject, SubjectKind};
use files::ImportError;
use files::credit::read_applicants;
use service::credit::{self as credit_flow, Checker};
use storage::credit::{CheckLogFilter, CreditStore};
use storage::{Store, WorkflowStore};

/// `jianguan credit`.
#[derive(Debug, Args)]
pub struct CreditArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: CreditCommand,
}

#[derive(Debug, Subcommand)]
enum CreditCommand {
    /// Risk classes A–D and personal credit scores: classify, explain, score.
    #[command(flatten)]
    Risk(super::credit_risk::RiskCommand),
    /// Import a list file (CSV, XLSX or JSON Lines): 名单类型, 主体名称,
    /// 统一社会信用代码或身份证号码, 列入日期, 有效期至, 认定部门, 列入原因 (optional:
    /// 移出日期, 严重程度, 认定日期, 文书号, 数据来源, 处罚依据, 处罚类别, 处罚内容, 罚款金额).
    /// Re-importing a file changes nothing; rejected rows go to an XLSX error report.
    Import {
        /// The list file.
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
    /// The matters catalogue (事项) of credit verification.
    Matters {
        #[command(subcommand)]
        command: MattersCommand,
    },
    /// Check an applicant list for a matter; prints one JSON line with --json.
    Check {
        /// The matter's code (事项编码).
        #[arg(long, value_name = "CODE")]
        matter: String,
        /// The applicants: a column 统一社会信用代码或身份证号码 (主体名称 optional).
        file: PathBuf,
        /// The date the lists are taken on (default: today, China time).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Every entry held for one identifier (a person's lookup needs --purpose and is logged).
    Entries {
        /// 统一社会信用代码 or 身份证号码.
        id: String,
        /// Why a person's data is looked at (recorded in the access log).
        #[arg(long)]
        purpose: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Entries per list and subject kind.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Credit repair requests (信用修复): request, review, list.
    Repair(super::credit_repair::RepairArgs),
    /// Entries whose publication ends by itself within, or ended in, a number of days.
    Expiry(super::credit_repair::ExpiryArgs),
    /// The check log (谁应用、谁核查), newest first.
    Log {
        /// Only this matter.
        #[arg(long)]
        matter: Option<String>,
        /// Only this identifier.
        #[arg(long)]
        subject: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum MattersCommand {
    /// Import a catalogue: 事项编码, 事项名称, 领域, 主管部门, 阻断名单, 警示名单,
    /// 激励名单 (list types separated by `;`). Unchanged matters are left alone.
    Import {
        /// The catalogue file (CSV, XLSX or JSON Lines).
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
    /// List the matters.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Prints `error` for bad input (as JSON too with `json`) and gives exit status 2.
fn bad_input(error: impl std::fmt::Display, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::json!({"error": error.to_string()}));
    }
    eprintln!("error: {error}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Exit 2 for a file at fault, an error for the database.
fn import_failed(error: ImportError, json: bool) -> anyhow::Result<ExitCode> {
    if error.is_bad_input() {
        Ok(bad_input(error, json))
    } else {
        Err(error.into())
    }
}

/// Runs `jianguan credit …`.
pub fn run(args: &CreditArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let outcome = run_command(&db, &args.command).await;
        db.close().await;
        outcome
    })
}

async fn run_command(db: &storage::Db, command: &CreditCommand) -> anyhow::Result<ExitCode> {
    match command {
        CreditCommand::Repair(args) => super::credit_repair::repair(db, args).await,
        CreditCommand::Expiry(args) => super::credit_repair::expiry(db, args).await,
        CreditCommand::Risk(command) => super::credit_risk::run(db, command).await,
        CreditCommand::Import {
            file,
            report,
            json,
            strict_uscc,
            actor,
        } => {
            let bar = (!json).then(|| {
                files::progress_bar(
                    0,
                    "导入 importing {bar:40} {bytes}/{total_bytes} ({percent}%), eta {eta}",
                )
            });
            let progress = |done: u64, total: u64| {
                if let Some(bar) = &bar {
                    bar.set_length(total);
                    bar.set_position(done);
                }
            };
            let result = credit_flow::import_credit_file(
                db,
                file,
                &actor.actor,
                *strict_uscc,
                Some(&progress),
            )
            .await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let import = match result {
                Ok(import) => import,
                Err(error) => return import_failed(error, *json),
            };
            let mut extra = serde_json::Map::new();
            extra.insert("entries".into(), import.after.into());
            extra.insert("sha256".into(), import.sha256.clone().into());
            extra.insert(
                "run".into(),
                import.run.as_ref().map(|r| r.id.clone()).into(),
            );
            finish_import(&import.outcome, file, report.as_deref(), *json, extra)?;
            if !json {
                println!(
                    "{} entries held; file SHA-256 {}",
                    import.after, import.sha256
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CreditCommand::Matters {
            command:
                MattersCommand::Import {
                    file,
                    report,
                    json,
                    actor,
                },
        } => {
            let import = match credit_flow::import_matters_file(db, file, &actor.actor).await {
                Ok(import) => import,
                Err(error) => return import_failed(error, *json),
            };
            let mut extra = serde_json::Map::new();
            extra.insert("matters".into(), import.after.into());
            finish_import(&import.outcome, file, report.as_deref(), *json, extra)?;
            Ok(ExitCode::SUCCESS)
        }
        CreditCommand::Matters {
            command: MattersCommand::List { json },
        } => {
            let mut matters = db.list::<Matter>(None).await?;
            matters.sort_by(|a, b| a.code.cmp(&b.code));
            if *json {
                println!("{}", serde_json::to_string(&matters)?);
            } else {
                for m in &matters {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        m.code,
                        m.name,
                        m.domain,
                        m.department,
                        m.rule_text()
                    );
                }
                println!("{} matters", matters.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        CreditCommand::Check {
            matter,
            file,
            as_of,
            json,
            actor,
        } => {
            let matter = match credit_flow::matter(db, matter).await {
                Ok(matter) => matter,
                Err(error) => return Ok(bad_input(error, *json)),
            };
            let applicants = match read_applicants(file) {
                Ok(applicants) => applicants,
                Err(error) => return import_failed(error, *json),
            };
            let checker = Checker {
                actor: cli_actor(&actor.actor),
                department: None,
            };
            let as_of = as_of.unwrap_or_else(today);
            let report =
                credit_flow::check_applicants(db, &matter, &applicants, as_of, &checker).await?;
            if *json {
                println!("{}", report.to_json());
            } else {
                for result in &report.results {
                    let lists: Vec<String> = result
                        .hits
                        .iter()
                        .map(|h| format!("{}({})", h.list.name_zh(), h.listed_on))
                        .collect();
                    println!(
                        "{}\t{}\t{}",
                        result.id,
                        result.outcome.as_str(),
                        result.reason.clone().unwrap_or_else(|| lists.join(", "))
                    );
                }
                let counts: Vec<String> = Outcome::ALL
                    .iter()
                    .map(|o| format!("{} {}", report.count(*o), o.as_str()))
                    .collect();
                println!(
                    "{} applicants checked for {} {} on {}: {} (logged as {})",
                    report.results.len(),
                    matter.code,
                    matter.name,
                    as_of,
                    counts.join(", "),
                    report.batch
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CreditCommand::Entries {
            id,
            purpose,
            json,
            actor,
        } => {
            let subject = match Subject::parse(id) {
                Ok((subject, _)) => subject,
                Err(error) => return Ok(bad_input(error, *json)),
            };
            if subject.kind() == SubjectKind::Person {
                let Some(purpose) = purpose.as_deref().filter(|p| !p.trim().is_empty()) else {
                    return Ok(bad_input(
                        "a person's credit data is shown only with --purpose (it is logged)",
                        *json,
                    ));
                };
                credit_flow::log_person_access(
                    db,
                    &cli_actor(&actor.actor),
                    [&subject],
                    "entries",
                    purpose,
                )
                .await?;
            }
            let entries = db
                .credit_entries_of(vec![subject.as_str().to_owned()])
                .await?;
            if *json {
                println!("{}", serde_json::to_string(&entries)?);
            } else {
                for e in &entries {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        e.list_type.name_zh(),
                        e.listed_on,
                        e.effective_until()
                            .map_or_else(|| "-".to_owned(), |d| d.to_string()),
                        e.removed_on
                            .map_or_else(|| "-".to_owned(), |d| format!("removed {d}")),
                        e.authority,
                        e.reason
                    );
                }
                println!("{} entries", entries.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        CreditCommand::Stats { json } => {
            let counts = db.credit_entry_counts().await?;
            if *json {
                println!("{}", serde_json::to_string(&counts)?);
            } else {
                for c in &counts {
                    println!(
                        "{}\t{}\t{}",
                        c.list_type.name_zh(),
                        c.kind.as_str(),
                        c.entries
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CreditCommand::Log {
            matter,
            subject,
            limit,
            json,
        } => {
            let filter = CheckLogFilter {
                matter: matter.clone(),
                subject: subject.clone(),
                ..CheckLogFilter::default()
            };
            let log = db.check_log(&filter, *limit).await?;
            if *json {
                println!("{}", serde_json::to_string(&log)?);
            } else {
                for c in &log {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        c.checked_at,
                        c.actor,
                        c.matter,
                        c.subject,
                        c.outcome.as_str(),
                        c.hits
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The check log's actor for a command-line user: `cli:NAME`.
pub(super) fn cli_actor(actor: &str) -> String {
    if actor.starts_with("cli") {
        actor.to_owned()
    } else {
        format!("cli:{actor}")
    }
}
