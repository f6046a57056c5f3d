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
    /// The comprehensive window's steps (综合窗口): receive, correct, accept,
    /// assign, pause, resume, decide, issue, close, rate.
    Window {
        #[command(subcommand)]
        command: super::services_window::WindowCommand,
    },
    /// 告知承诺 核查: sample the month's promise-based applications with
    /// jianguan-draw/v1 (one plan per matter, strata by risk level) and
    /// record the results.
    Verification {
        #[command(subcommand)]
        command: VerificationCommand,
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

#[derive(Debug, Subcommand)]
enum VerificationCommand {
    /// Freeze the frames of the month (the applications received whose
    /// applicant passed a promise check for the matter) and seal the secret.
    Commit {
        /// Id (also the round's), e.g. HC-2026-03.
        id: String,
        /// The month sampled.
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        /// Rates per risk level in basis points, e.g. 高=3000,中=1000,低=500
        /// (levels not named keep these defaults).
        #[arg(long = "rate-bp", value_name = "RATES", default_value = "")]
        rates: String,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Draw with the witnesses' beacon, and publish the record.
    Draw {
        /// Id.
        id: String,
        /// The public beacon.
        #[arg(long)]
        beacon: String,
        /// A witness (repeat).
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Write the record (spec §7), verifiable with `jianguan verify`.
    Export {
        /// Id.
        id: String,
        #[command(flatten)]
        out: super::workflow::RecordOut,
    },
    /// Record a result: 属实 or 不实 (不实 revokes the approval and lists the
    /// applicant as 虚假承诺).
    Result {
        /// Id.
        id: String,
        /// 办件编号 (drawn in this sampling).
        #[arg(long)]
        application: String,
        /// 属实 or 不实.
        #[arg(long)]
        outcome: String,
        /// 核查说明.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// The samplings, or one with its selections and results.
    Show {
        /// Id (none: list every sampling).
        id: Option<String>,
    },
}

async fn verification_command(db: &Db, command: &VerificationCommand) -> anyhow::Result<ExitCode> {
    use service::verification as hc;
    let at = now();
    match command {
        VerificationCommand::Commit {
            id,
            month,
            rates,
            actor,
        } => {
            let Ok(month) = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d") else {
                eprintln!("error: --month must be YYYY-MM, got {month:?}");
                return Ok(ExitCode::from(EXIT_BAD_INPUT));
            };
            let rates_bp = match hc::parse_rates(rates) {
                Ok(rates) => rates,
                Err(refusal) => {
                    eprintln!("error: {refusal}");
                    return Ok(ExitCode::from(EXIT_BAD_INPUT));
                }
            };
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .map_err(|e| anyhow::anyhow!("no system randomness for the secret: {e}"))?;
            let request = hc::VerificationRequest {
                id: id.clone(),
                month,
                rates_bp,
            };
            let result = hc::commit(
                db,
                &request,
                &draw::Secret::from_bytes(bytes),
                at,
                &actor.actor,
            )
            .await;
            finish(result, false, |v| {
                let frames: u32 = v.matters.values().map(|m| m.applications).sum();
                println!(
                    "verification {} committed: {} matters, {frames} promise-based applications",
                    v.id,
                    v.matters.len()
                );
                Ok(())
            })
        }
        VerificationCommand::Draw {
            id,
            beacon,
            witnesses,
            actor,
        } => {
            let result = hc::draw(db, id, beacon, witnesses, at, &actor.actor).await;
            finish(result, false, |round| {
                println!(
                    "verification {} drawn and published: {} selections",
                    round.id, round.selections
                );
                Ok(())
            })
        }
        VerificationCommand::Export { id, out } => {
            if let Err(error) = hc::get(db, id).await {
                return finish::<()>(Err(error), false, |_| Ok(()));
            }
            out.write(&service::rounds::export(db, id).await?)?;
            Ok(ExitCode::SUCCESS)
        }
        VerificationCommand::Result {
            id,
            application,
            outcome,
            note,
            actor,
        } => {
            let outcome = match domain::services::VerificationOutcome::parse(outcome) {
                Ok(outcome) => outcome,
                Err(error) => return Ok(super::bad_input(&error, false)),
            };
            let result =
                hc::record_result(db, id, application, outcome, note.clone(), at, &actor.actor)
                    .await;
            finish(result, false, |done| {
                println!("{application}: {}", outcome.as_str());
                if let Some(entry) = done.listed {
                    println!(
                        "approval revoked; listed 虚假承诺 on {} (ref {})",
                        entry.listed_on, entry.ref_no
                    );
                }
                Ok(())
            })
        }
        VerificationCommand::Show { id: None } => {
            for (v, round) in hc::list(db).await? {
                println!(
                    "{}\t{}\t{} matters\t{}\t{} results",
                    v.id,
                    v.month,
                    v.matters.len(),
                    round.status,
                    v.results.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        VerificationCommand::Show { id: Some(id) } => {
            let (v, round) = match hc::get(db, id).await {
                Ok(found) => found,
                Err(error) => return finish::<()>(Err(error), false, |_| Ok(())),
            };
            println!("{} {} {}", v.id, v.month, round.status);
            for (matter, application) in hc::selected(db, id).await? {
                let result = v
                    .results
                    .get(&application)
                    .map_or("待核查", |r| r.outcome.as_str());
                println!("{matter}\t{application}\t{result}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `jianguan services …`.
pub fn run(args: &ServicesArgs) -> anyhow::Result<ExitCode> {
    let calendar = super::calendar::load(args.calendar.as_ref())?;
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let calendar = service::calendar::with_stored_notices(&db, &calendar).await?;
        let outcome = run_command(&db, &calendar, &args.database, &args.command).await;
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
    database: &super::database::DatabaseArgs,
    command: &ServicesCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        ServicesCommand::Window { command } => {
            super::services_window::run(db, calendar, database, command).await
        }
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
        ServicesCommand::Verification { command } => verification_command(db, command).await,
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
