//! `jianguan review`: case-file reviews (评查活动) drawn by `jianguan-draw/v1`:
//! commit, draw, export, list and show (see docs/review.md).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::database::{DatabaseArgs, runtime};
use super::workflow::{ActorArgs, RecordOut, WitnessArgs, print_json};
use domain::review::Review;
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
    /// The drawn files of a review with their reviewers (slot order) and alternates (§6 order).
    Files {
        /// Review id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `jianguan review …`.
pub fn run(args: &ReviewArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let outcome = review(&db, &args.command).await;
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
