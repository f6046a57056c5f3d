//! `jianguan services`: government services (issue 21): the matter
//! catalogue, past applications, the KPIs and 告知承诺 checks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::EXIT_BAD_INPUT;
use super::database::{DatabaseArgs, runtime};
use super::hotline::{AsOfArgs, finish};
use super::import::finish_import;
use super::workflow::ActorArgs;
use domain::services::MatterRecord;
use service::credit::Checker;
use service::now;
use service::services::{self as flow, PromiseRules, ServiceKpiQuery, ServicesImport};
use storage::{Db, Store};

/// `jianguan services`.
#[derive(Debug, Args)]
pub struct ServicesArgs {
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
    command: ServicesCommand,
}

#[derive(Debug, Subcommand)]
enum ServicesCommand {
    /// The matter catalogue (事项清单): import, show, search.
    Matters {
        #[command(subcommand)]
        command: MattersCommand,
    },
    /// Applications (办件): import past ones.
    Applications {
        #[command(subcommand)]
        command: ApplicationsCommand,
    },
    /// KPIs of the applications received from --from to --to: applications,
    /// on_time_rate, one_window_share, good_rate, bad_reviews, rectified_on_time_rate.
    Kpi {
        /// First day received.
        #[arg(long, value_name = "DATE")]
        from: NaiveDate,
        /// Last day received.
        #[arg(long, value_name = "DATE")]
        to: NaiveDate,
        /// One department (its code, as the catalogue's 实施部门).
        #[arg(long, value_name = "CODE")]
        department: Option<String>,
        #[command(flatten)]
        as_of: AsOfArgs,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
        /// Also write the figures with their numerators and denominators as XLSX.
        #[arg(long, value_name = "FILE")]
        xlsx: Option<PathBuf>,
    },
    /// Whether an applicant may use 告知承诺 for a matter: refused for a subject
    /// in force on a refusing credit list (default 严重失信主体名单 and 虚假承诺),
    /// or a matter that marks no proof 可承诺. Every check is logged in the
    /// credit check log.
    PromiseCheck {
        /// 事项编码.
        #[arg(long, value_name = "CODE")]
        matter: String,
        /// The applicant's 统一社会信用代码 or 居民身份证号码.
        #[arg(long, value_name = "ID")]
        applicant: String,
        /// The day the check is for (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// The refusing list types, comma-separated (names or codes).
        #[arg(
            long,
            value_name = "LISTS",
            env = "JIANGUAN_PROMISE_LISTS",
            default_value = "严重失信主体名单,虚假承诺"
        )]
        lists: String,
        /// Print one JSON line: {"allowed": bool, "reason": "…"}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
}

#[derive(Debug, Subcommand)]
enum MattersCommand {
    /// Import a catalogue (CSV, XLSX or JSON Lines) with the headers 事项编码*,
    /// 事项名称*, 实施部门*, 事项类型, 办件类型*, 法定时限（工作日）, 承诺时限*,
    /// 一窗通办, 一证通办, 申请材料, 证明事项, 结果证照类型. A changed entry gets
    /// a new version; earlier versions are kept. Rejected rows go to an XLSX error report.
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
    /// One entry with every version.
    Show {
        /// 事项编码.
        code: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Entries whose code or name contains the text.
    Search {
        /// The text (empty: all).
        #[arg(default_value = "")]
        query: String,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ApplicationsCommand {
    /// Import past applications (CSV, XLSX or JSON Lines) with the headers
    /// 办件编号*, 事项编码*, 申请人名称*, 申请人证件号码*, 受理渠道*, 收件时间*,
    /// 受理时间, 暂停工作日, 办结时间, 办理结果, 评价, 评价时间, 整改完成时间.
    /// Re-importing a row changes nothing; a changed row replaces the application.
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
}

/// Runs `jianguan services …`.
pub fn run(args: &ServicesArgs) -> anyhow::Result<ExitCode> {
    let calendar = super::calendar::load(args.calendar.as_ref())?;
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let calendar = service::calendar::with_stored_notices(&db, &calendar).await?;
        let outcome = run_command(&db, &calendar, &args.command).await;
        db.close().await;
        outcome
    })
}

fn finish_services_import(
    result: Result<ServicesImport, files::ImportError>,
    file: &std::path::Path,
    report: Option<&std::path::Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    match result {
        Ok(import) => {
            let mut extra = serde_json::Map::new();
            extra.insert("sha256".into(), import.sha256.into());
            finish_import(&import.outcome, file, report, json, extra)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) if error.is_bad_input() => Ok(super::bad_input(&error, json)),
        Err(error) => Err(error.into()),
    }
}

fn print_matter(record: &MatterRecord) {
    for version in &record.versions {
        let m = &version.matter;
        println!(
            "{} v{} {} ({}) {} {} 承诺时限 {} 个工作日{}{}",
            m.code,
            version.version,
            m.name,
            m.department,
            m.kind.map_or("", |k| k.as_str()),
            m.handling.as_str(),
            m.promised_days,
            if m.one_window { " 一窗通办" } else { "" },
            if m.allows_promise() { " 可承诺" } else { "" },
        );
    }
}

async fn run_command(
    db: &Db,
    calendar: &workcal::Calendar,
    command: &ServicesCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        ServicesCommand::Matters {
            command:
                MattersCommand::Import {
                    file,
                    report,
                    json,
                    actor,
                },
        } => finish_services_import(
            flow::import_catalogue(db, file, &actor.actor, now()).await,
            file,
            report.as_deref(),
            *json,
        ),
        ServicesCommand::Matters {
            command: MattersCommand::Show { code, json },
        } => finish(flow::matter(db, code).await, *json, |record| {
            if *json {
                println!("{}", serde_json::to_string(&record)?);
            } else {
                print_matter(&record);
            }
            Ok(())
        }),
        ServicesCommand::Matters {
            command: MattersCommand::Search { query, limit, json },
        } => finish(
            flow::search_matters(db, query, *limit).await,
            *json,
            |records| {
                for record in &records {
                    if *json {
                        println!("{}", serde_json::to_string(record)?);
                    } else {
                        print_matter(record);
                    }
                }
                Ok(())
            },
        ),
        ServicesCommand::Applications {
            command:
                ApplicationsCommand::Import {
                    file,
                    report,
                    json,
                    actor,
                },
        } => finish_services_import(
            flow::import_applications(db, calendar, file, &actor.actor, now()).await,
            file,
            report.as_deref(),
            *json,
        ),
        ServicesCommand::PromiseCheck {
            matter,
            applicant,
            as_of,
            lists,
            json,
            actor,
        } => {
            let rules = match PromiseRules::parse(lists) {
                Ok(rules) => rules,
                Err(error) => return Ok(super::bad_input(&error, *json)),
            };
            let checker = Checker {
                actor: super::credit::cli_actor(&actor.actor),
                department: None,
            };
            let as_of = as_of.unwrap_or_else(domain::clock::today);
            let decision =
                flow::promise_check(db, matter, applicant, as_of, &rules, &checker).await;
            finish(decision, *json, |decision| {
                if *json {
                    println!("{}", serde_json::to_string(&decision)?);
                } else {
                    let verdict = if decision.allowed {
                        "allowed"
                    } else {
                        "refused"
                    };
                    println!("{verdict}: {}", decision.reason);
                }
                Ok(())
            })
        }
        ServicesCommand::Kpi {
            from,
            to,
            department,
            as_of,
            json,
            xlsx,
        } => {
            let as_of = match as_of.at() {
                Ok(at) => at,
                Err(error) => {
                    if *json {
                        println!("{}", serde_json::json!({"error": error.to_string()}));
                    }
                    eprintln!("error: {error}");
                    return Ok(ExitCode::from(EXIT_BAD_INPUT));
                }
            };
            let query = ServiceKpiQuery {
                from: *from,
                to: *to,
                department: department.clone(),
                as_of,
            };
            finish(flow::kpi_counts(db, &query).await, *json, |counts| {
                if let Some(path) = xlsx {
                    let watermark = files::watermark::Watermark::cli(format!(
                        "政务服务办件考核指标 {from} 至 {to}"
                    ));
                    flow::kpi_xlsx(&query, &counts, &watermark, path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                let kpi = counts.kpi();
                if *json {
                    println!("{}", serde_json::to_string(&kpi)?);
                } else {
                    let rate = |r: Option<domain::services::Rate>| {
                        r.map_or_else(|| "—".to_owned(), |r| r.to_fixed())
                    };
                    println!("applications            {}", kpi.applications);
                    println!("on_time_rate            {}", rate(kpi.on_time_rate));
                    println!("one_window_share        {}", rate(kpi.one_window_share));
                    println!("good_rate               {}", rate(kpi.good_rate));
                    println!("bad_reviews             {}", kpi.bad_reviews);
                    println!(
                        "rectified_on_time_rate  {}",
                        rate(kpi.rectified_on_time_rate)
                    );
                }
                Ok(())
            })
        }
    }
}
