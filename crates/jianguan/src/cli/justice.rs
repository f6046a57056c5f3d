//! `jianguan justice annual`: the Justice Bureau's 行政执法统计年报.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::database::{DatabaseArgs, runtime};
use domain::review_scoring::Thresholds;
use service::annual;
use storage::Store;

/// `jianguan justice`.
#[derive(Debug, Args)]
pub struct JusticeArgs {
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
    command: JusticeCommand,
}

#[derive(Debug, Subcommand)]
enum JusticeCommand {
    /// The year's 行政执法统计年报 per department and for the city: cases by
    /// kind and fines, review grades, publication timeliness, 复议 and the
    /// court appearance rate (docs/annual-report.md).
    Annual {
        /// The year.
        #[arg(long)]
        year: i32,
        /// The day open deadlines are judged on (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        /// Case rules (JSON) for the publication limit.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Write the workbook (sheets 年报 and 说明) here.
        #[arg(long, value_name = "FILE")]
        xlsx: Option<PathBuf>,
        /// Print `{"year", "as_of", "departments": [...], "city": {...}}`.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `jianguan justice …`.
pub fn run_justice(args: &JusticeArgs) -> anyhow::Result<ExitCode> {
    let calendar = super::calendar::load(args.calendar.as_ref())?;
    let JusticeCommand::Annual {
        year,
        as_of,
        rules,
        xlsx,
        json,
    } = &args.command;
    let rules = super::enforcement::load_rules(rules.as_ref())?;
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let outcome = async {
            let calendar = service::calendar::with_stored_notices(&db, &calendar).await?;
            let as_of = as_of.unwrap_or_else(domain::clock::today);
            let report =
                annual::build(&db, *year, &rules, &Thresholds::default(), &calendar, as_of).await?;
            if let Some(out) = xlsx {
                let watermark =
                    files::watermark::Watermark::cli(format!("{year} 年度行政执法统计年报"));
                annual::write_xlsx(&report, out, &watermark)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                eprintln!("wrote {}", out.display());
            }
            if *json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{}", annual::headers().join("\t"));
                for row in report.departments.iter().chain([&report.city]) {
                    println!("{}", annual::row_cells(row).join("\t"));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        .await;
        db.close().await;
        outcome
    })
}
