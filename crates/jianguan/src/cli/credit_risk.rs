//! `jianguan credit classify`, `credit explain` and `credit score`: risk
//! classes A–D of the whole directory, one entity's explanation, and a
//! person's credit score (logged to the access log).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::workflow::ActorArgs;
use domain::personal_score::ScoreModel;
use domain::risk::RiskModel;
use service::{self, risk};
use storage::Db;

/// Exit status of `explain` for an entity not classified.
const EXIT_NOT_FOUND: u8 = 3;

/// The risk and score subcommands of `jianguan credit`, for the `Credit`
/// enum of `cli/credit.rs` to delegate to.
#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Classify every entity A–D with the indicator model; print the counts per class.
    Classify(ClassifyArgs),
    /// Explain an entity's class indicator by indicator.
    Explain(ExplainArgs),
    /// A person's credit score, explained rule by rule (the access is logged).
    Score(ScoreArgs),
}

/// Runs a risk or score subcommand on the migrated database.
pub async fn run(db: &Db, command: &RiskCommand) -> anyhow::Result<ExitCode> {
    match command {
        RiskCommand::Classify(args) => classify(db, args).await,
        RiskCommand::Explain(args) => explain(db, args).await,
        RiskCommand::Score(args) => score(db, args).await,
    }
}

/// Arguments of `jianguan credit classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The indicator model (JSON); default: the embedded model (see --print-model).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Print the model (the embedded default, or --model) as JSON and stop: a template to edit.
    #[arg(long)]
    pub print_model: bool,
    /// Take the facts on this date (YYYY-MM-DD); default: today in China.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Print one line of JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    actor: ActorArgs,
}

/// Arguments of `jianguan credit explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// 统一社会信用代码.
    pub uscc: String,
    /// Print one line of JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `jianguan credit score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The person's 身份证号码.
    #[arg(required_unless_present = "print_model")]
    pub id: Option<String>,
    /// Why the score is asked for (recorded in the access log).
    #[arg(long, required_unless_present = "print_model")]
    pub purpose: Option<String>,
    /// The scoring model (JSON); default: the embedded model (see --print-model).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Print the model (the embedded default, or --model) as JSON and stop: a template to edit.
    #[arg(long)]
    pub print_model: bool,
    /// Score on this date (YYYY-MM-DD); default: today in China.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Print one line of JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    actor: ActorArgs,
}

fn read_model(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the model {}", path.display()))
}

/// The risk model of `--model`, or the default.
pub fn risk_model(path: Option<&Path>) -> anyhow::Result<RiskModel> {
    match path {
        Some(path) => Ok(RiskModel::from_json(&read_model(path)?)?),
        None => Ok(RiskModel::default()),
    }
}

#[derive(Serialize)]
struct ClassifyLine<'a> {
    run: &'a str,
    as_of: NaiveDate,
    model: &'a str,
    model_sha256: &'a str,
    counts: domain::risk::ClassCounts,
    classified: u64,
    changed: u64,
    skipped: u64,
    seconds: f64,
}

/// `jianguan credit classify`.
async fn classify(db: &Db, args: &ClassifyArgs) -> anyhow::Result<ExitCode> {
    let model = risk_model(args.model.as_deref())?;
    if args.print_model {
        println!("{}", serde_json::to_string_pretty(&model)?);
        return Ok(ExitCode::SUCCESS);
    }
    let as_of = args.as_of.unwrap_or_else(domain::clock::today);
    let started = Instant::now();
    let run = risk::classify(db, &model, as_of, service::now(), &args.actor.actor).await?;
    let line = ClassifyLine {
        run: &run.id,
        as_of,
        model: &run.source,
        model_sha256: &run.sha256,
        counts: run.counts,
        classified: run.counts.total(),
        changed: run.changed,
        skipped: run.skipped,
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&line)?);
    } else {
        println!(
            "classified {} entities as of {as_of} in {:.2} s (run {})",
            line.classified, line.seconds, run.id
        );
        for class in domain::entity::CreditClass::ALL {
            println!("  {class}: {}", run.counts.get(*class));
        }
        println!(
            "changed class: {}; registered after {as_of}, not classified: {}",
            run.changed, run.skipped
        );
        println!("model: {} (sha256 {})", run.source, run.sha256);
    }
    Ok(ExitCode::SUCCESS)
}

/// `jianguan credit explain`.
async fn explain(db: &Db, args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let Some(explanation) = risk::explain(db, &args.uscc).await? else {
        eprintln!(
            "{} is not classified (run `jianguan credit classify`, or check the code)",
            args.uscc.trim()
        );
        return Ok(ExitCode::from(EXIT_NOT_FOUND));
    };
    if args.json {
        println!("{}", serde_json::to_string(&explanation)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: class {} (score {}), as of {}, run {}",
        explanation.uscc,
        explanation.class,
        explanation.score,
        explanation.classified_on,
        explanation.run
    );
    for line in &explanation.indicators {
        println!("  {:>5}  {}: {}", line.points, line.name, line.value);
    }
    let ranges: Vec<String> = explanation
        .class_ranges()
        .iter()
        .map(|(class, range)| format!("{class} {range}"))
        .collect();
    println!("thresholds: {}", ranges.join("; "));
    println!(
        "model: {} (sha256 {})",
        explanation.model_name, explanation.model_sha256
    );
    Ok(ExitCode::SUCCESS)
}

/// `jianguan credit score`.
async fn score(db: &Db, args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let model = match &args.model {
        Some(path) => ScoreModel::from_json(&read_model(path)?)?,
        None => ScoreModel::default(),
    };
    if args.print_model {
        println!("{}", serde_json::to_string_pretty(&model)?);
        return Ok(ExitCode::SUCCESS);
    }
    let as_of = args.as_of.unwrap_or_else(domain::clock::today);
    let actor = &args.actor.actor;
    let (id, purpose) = (
        args.id.as_deref().unwrap_or_default(),
        args.purpose.as_deref().unwrap_or_default(),
    );
    let report =
        risk::personal_score(db, &model, id, purpose, as_of, service::now(), actor).await?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} points, {} (as of {as_of}; model {})",
        report.person, report.score.score, report.score.level, report.model_name
    );
    println!("  {:>5}  base", report.score.base);
    for line in &report.score.lines {
        println!(
            "  {:>5}  {} · {} (×{})",
            line.points, line.dimension_name, line.name, line.matches
        );
    }
    if report.score.clamp != 0 {
        println!("  {:>5}  clamp to 0..=1000", report.score.clamp);
    }
    println!("access logged: {actor}, purpose {:?}", purpose.trim());
    Ok(ExitCode::SUCCESS)
}
