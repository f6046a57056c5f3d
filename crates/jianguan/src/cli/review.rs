//! `jianguan review`: case-file reviews (评查活动) drawn by `jianguan-draw/v1`:
//! commit, draw, export, list and show (see docs/review.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::database::{DatabaseArgs, runtime};
use super::import::finish_import;
use super::workflow::{ActorArgs, RecordOut, WitnessArgs, print_json};
use domain::review::Review;
use domain::review_scoring::{FULL_MARKS, Tenths, Thresholds, format_tenths, parse_tenths};
use service::review::scoring;
use service::review::{self as flow, ReviewSpec, Sampling};
use storage::{ReviewStore, Store, WorkflowStore};

/// `jianguan review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: ReviewCommand,
}

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    /// Commit a review: freeze one frame per department (its cases decided in
    /// the year) and the reviewer pool, seal a fresh secret; print the
    /// commitment and the frame digests.
    Commit {
        /// Review id, e.g. PC2025.
        id: String,
        /// The year whose decided cases are drawn from.
        #[arg(long)]
        year: i32,
        /// Departments (codes, comma-separated; default every department with a decided case).
        #[arg(long, value_delimiter = ',')]
        departments: Vec<String>,
        /// Files per department.
        #[arg(long, conflicts_with = "rate_bp", required_unless_present = "rate_bp")]
        per_department: Option<u64>,
        /// Files per department as a rate in basis points (rounded up).
        #[arg(long)]
        rate_bp: Option<u32>,
        /// Reviewers per file.
        #[arg(long, default_value_t = 2)]
        reviewers_per_case: u32,
        /// Files per reviewer at most.
        #[arg(long)]
        cap: Option<u32>,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Draw a committed review with the witnesses' beacon.
    Draw {
        /// Review id.
        id: String,
        #[command(flatten)]
        witnessed: WitnessArgs,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Write a drawn review's full record (spec §7), or with --public its
    /// public view; `jianguan verify` checks either.
    Export {
        /// Review id.
        id: String,
        #[command(flatten)]
        out: RecordOut,
    },
    /// List the reviews.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The review standard (评查标准): import a version, list the versions.
    Standard {
        #[command(subcommand)]
        command: StandardCommand,
    },
    /// Import reviewers' scores of a drawn review (案件编号, 评查员编号,
    /// 项目编码, 次数, 说明); files made 待复核 go to their next reviewer.
    Score {
        /// Review id.
        id: String,
        /// The score file (CSV or XLSX).
        file: PathBuf,
        #[command(flatten)]
        output: ImportOutput,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// The results: every file's score, grade and status and every
    /// department's line; raises a rectification notice for each 不合格 file
    /// (once).
    Report {
        /// Review id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Write the 通报 workbook here.
        #[arg(long, value_name = "FILE")]
        xlsx: Option<PathBuf>,
        /// Lowest score of 优秀.
        #[arg(long, default_value = "90", value_parser = points)]
        excellent: Tenths,
        /// Lowest score of 良好.
        #[arg(long, default_value = "80", value_parser = points)]
        good: Tenths,
        /// Lowest score of 合格.
        #[arg(long = "pass", default_value = "60", value_parser = points)]
        pass_mark: Tenths,
        /// A working-day calendar override file (the notices' due dates).
        #[arg(long, value_name = "FILE")]
        calendar: Option<PathBuf>,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// The drawn files of a review with their reviewers (slot order) and alternates (§6 order).
    Files {
        /// Review id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum StandardCommand {
    /// Import a standard file (项目编码, 项目名称, 部分, 类别, 扣分, 扣分上限,
    /// 部分总分); a changed file makes a new version.
    Import {
        /// The standard file (CSV or XLSX).
        file: PathBuf,
        #[command(flatten)]
        output: ImportOutput,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// List the versions.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// How an import reports.
#[derive(Debug, Args)]
struct ImportOutput {
    /// Folder for the error report (default: next to the file).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Print one JSON line.
    #[arg(long)]
    json: bool,
}

fn points(text: &str) -> Result<Tenths, String> {
    parse_tenths(text)
        .filter(|p| *p <= FULL_MARKS)
        .ok_or_else(|| format!("{text:?} is not a score from 0 to 100 with at most one decimal"))
}

/// `jianguan review …`.
pub fn run(args: &ReviewArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let outcome = match &args.command {
            ReviewCommand::Standard { command } => standard(&db, command).await,
            ReviewCommand::Score {
                id,
                file,
                output,
                actor,
            } => score(&db, id, file, output, &actor.actor).await,
            ReviewCommand::Report {
                id,
                json,
                xlsx,
                excellent,
                good,
                pass_mark,
                calendar,
                actor,
            } => {
                let thresholds = Thresholds {
                    excellent: *excellent,
                    good: *good,
                    pass: *pass_mark,
                };
                let request = ReportRequest {
                    id,
                    json: *json,
                    xlsx: xlsx.as_deref(),
                    calendar: calendar.as_ref(),
                    actor: &actor.actor,
                };
                report(&db, &request, &thresholds).await
            }
            command => review(&db, command).await,
        };
        db.close().await;
        outcome
    })
}

async fn review<S: WorkflowStore>(store: &S, command: &ReviewCommand) -> anyhow::Result<ExitCode> {
    let at = service::now();
    match command {
        ReviewCommand::Commit {
            id,
            year,
            departments,
            per_department,
            rate_bp,
            reviewers_per_case,
            cap,
            actor,
        } => {
            let sampling = match (per_department, rate_bp) {
                (Some(n), _) => Sampling::PerDepartment(*n),
                (None, Some(r)) => Sampling::RateBp(*r),
                (None, None) => anyhow::bail!("give --per-department N or --rate-bp R"),
            };
            let spec = ReviewSpec {
                id: id.clone(),
                year: *year,
                departments: departments
                    .iter()
                    .map(|d| d.trim().to_owned())
                    .filter(|d| !d.is_empty())
                    .collect(),
                sampling,
                reviewers_per_case: *reviewers_per_case,
                cap: *cap,
            };
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .map_err(|e| anyhow::anyhow!("no system randomness for the secret: {e}"))?;
            let secret = draw::Secret::from_bytes(bytes);
            let review = flow::commit(store, &spec, &secret, at, &actor.actor).await?;
            let files: u64 = review.frame_sizes.values().sum();
            println!(
                "review {} committed: {} departments, {files} files, {} reviewers",
                review.id,
                review.departments.len(),
                review.pool.len()
            );
            println!("commitment {}", review.commitment);
            println!("round_digest {}", review.round_digest);
            for (plan, digest) in &review.frame_digests {
                let size = review.frame_sizes.get(plan).copied().unwrap_or(0);
                println!("frame {plan} {digest} ({size} files)");
            }
        }
        ReviewCommand::Draw {
            id,
            witnessed,
            actor,
        } => {
            let (beacon, witnesses) = (&witnessed.beacon, &witnessed.witnesses);
            let review = flow::draw(store, id, beacon, witnesses, at, &actor.actor).await?;
            println!(
                "review {} drawn: {} files, {} unstaffed",
                review.id, review.files, review.unstaffed
            );
            println!(
                "full_record_sha256 {}",
                review.full_record_sha256.as_deref().unwrap_or("")
            );
        }
        ReviewCommand::Export { id, out } => out.write(&flow::export(store, id).await?)?,
        ReviewCommand::List { json } => {
            let reviews = store.list::<Review>(None).await?;
            if *json {
                print_json(&reviews)?;
            } else {
                for r in &reviews {
                    println!(
                        "{}\t{}\t{}\t{} departments\t{} files\t{} unstaffed",
                        r.id,
                        r.year,
                        r.status,
                        r.departments.len(),
                        r.files,
                        r.unstaffed
                    );
                }
            }
        }
        ReviewCommand::Standard { .. }
        | ReviewCommand::Score { .. }
        | ReviewCommand::Report { .. } => {
            anyhow::bail!("handled by run")
        }
        ReviewCommand::Files { id, json } => {
            service::existing::<S, Review>(store, id).await?;
            let files = store.review_assignments(id).await?;
            if *json {
                print_json(&files)?;
            } else {
                for f in &files {
                    println!(
                        "{}\t{}\t{}\talternates {}",
                        f.case,
                        f.department,
                        f.reviewers.join(","),
                        f.alternates.join(",")
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn standard<S: WorkflowStore>(
    store: &S,
    command: &StandardCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        StandardCommand::Import {
            file,
            output,
            actor,
        } => {
            let result = scoring::import_standard(store, file, &actor.actor, service::now()).await;
            let import = match result {
                Ok(import) => import,
                Err(error) if error.is_bad_input() => {
                    return Ok(super::bad_input(&error, output.json));
                }
                Err(error) => return Err(error.into()),
            };
            let mut extra = serde_json::Map::new();
            extra.insert("sha256".into(), import.import.sha256.clone().into());
            extra.insert("version".into(), import.version.into());
            extra.insert("new_version".into(), import.created.into());
            finish_import(
                &import.import.outcome,
                file,
                output.report.as_deref(),
                output.json,
                extra,
            )?;
            if !output.json {
                match (import.created, import.version) {
                    (true, Some(v)) => println!("standard version {v} stored"),
                    (false, Some(v)) => println!("standard unchanged: version {v} is current"),
                    _ => println!("no standard stored"),
                }
            }
        }
        StandardCommand::List { json } => {
            let all = scoring::standards(store).await?;
            if *json {
                print_json(&all)?;
            } else {
                for s in &all {
                    println!(
                        "{}\t{} items\t卷面 {}\t内容 {}\t{}",
                        s.version,
                        s.items.len(),
                        format_tenths(s.form_total),
                        format_tenths(s.content_total),
                        s.sha256
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn score<S: WorkflowStore>(
    store: &S,
    id: &str,
    file: &Path,
    output: &ImportOutput,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let import = match scoring::import_scores(store, id, file, actor, service::now()).await {
        Ok(import) => import,
        Err(scoring::ScoringError::File(error)) if error.is_bad_input() => {
            return Ok(super::bad_input(&error, output.json));
        }
        Err(scoring::ScoringError::File(error)) => return Err(error.into()),
        Err(scoring::ScoringError::Workflow(error)) => return Err(error.into()),
    };
    let mut extra = serde_json::Map::new();
    extra.insert("sha256".into(), import.import.sha256.clone().into());
    let escalated: Vec<_> = import
        .escalated
        .iter()
        .map(|(case, reviewer)| serde_json::json!({"case": case, "reviewer": reviewer}))
        .collect();
    extra.insert("escalated".into(), escalated.into());
    finish_import(
        &import.import.outcome,
        file,
        output.report.as_deref(),
        output.json,
        extra,
    )?;
    if !output.json {
        for (case, reviewer) in &import.escalated {
            println!("{case}: 待复核, sent to reviewer {reviewer}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct ReportRequest<'a> {
    id: &'a str,
    json: bool,
    xlsx: Option<&'a Path>,
    calendar: Option<&'a PathBuf>,
    actor: &'a str,
}

async fn report<S: WorkflowStore>(
    store: &S,
    request: &ReportRequest<'_>,
    thresholds: &Thresholds,
) -> anyhow::Result<ExitCode> {
    if !thresholds.is_valid() {
        anyhow::bail!("the thresholds must descend: --excellent ≥ --good ≥ --pass");
    }
    let calendar = super::calendar::load(request.calendar)?;
    let calendar = service::calendar::with_stored_notices(store, &calendar).await?;
    let report = scoring::report(store, request.id, thresholds).await?;
    let raised =
        scoring::raise_notices(store, &calendar, &report, service::now(), request.actor).await?;
    if let Some(path) = request.xlsx {
        let names = scoring::department_names(store).await?;
        let watermark =
            files::watermark::Watermark::cli(format!("{} 案卷评查通报", report.review.id));
        scoring::report_xlsx(&report, &names, &watermark, path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if request.json {
        println!("{}", report.to_json());
    } else {
        for f in &report.files {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                f.case,
                f.department,
                f.score.map(format_tenths).unwrap_or_default(),
                f.grade.map(|g| g.as_str()).unwrap_or(""),
                f.status.as_str()
            );
        }
        for d in &report.departments {
            println!(
                "{}\t{} files\taverage {}\t{}",
                d.code,
                d.files,
                d.average.map(format_tenths).unwrap_or_else(|| "—".into()),
                domain::review_scoring::Grade::ALL
                    .iter()
                    .map(|g| format!("{} {}", g.as_str(), d.count(*g)))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        for notice in &raised {
            eprintln!("notice {} raised: {}", notice.id, notice.subject);
        }
    }
    Ok(ExitCode::SUCCESS)
}
