//! `jianguan calendar`: print a year's working days or check an override file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Options of `jianguan calendar`.
#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// The year to print, one line per day: date, work|off, kind, holiday name.
    #[arg(required_unless_present = "check")]
    year: Option<i32>,
    /// Validate an override file and report every problem by line.
    #[arg(long, value_name = "FILE", conflicts_with = "year")]
    check: Option<PathBuf>,
    /// An override file that adds or replaces years of the embedded calendar.
    #[arg(
        long = "override",
        value_name = "FILE",
        env = "JIANGUAN_CALENDAR_OVERRIDE"
    )]
    override_file: Option<PathBuf>,
}

/// Loads the embedded calendar with an optional override file applied.
pub fn load(override_file: Option<&PathBuf>) -> anyhow::Result<workcal::Calendar> {
    let calendar = workcal::Calendar::embedded().context("the embedded calendar is damaged")?;
    match override_file {
        Some(path) => calendar
            .with_override_file(path)
            .with_context(|| format!("calendar override {}", path.display())),
        None => Ok(calendar),
    }
}

/// Runs `jianguan calendar`.
pub fn run(args: &CalendarArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.check {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let problems = workcal::check_override(&text);
        if problems.is_empty() {
            println!("{}: ok", path.display());
            return Ok(ExitCode::SUCCESS);
        }
        for problem in &problems {
            println!("{}: {problem}", path.display());
        }
        eprintln!("{} problem(s) in {}", problems.len(), path.display());
        return Ok(ExitCode::FAILURE);
    }
    let calendar = load(args.override_file.as_ref())?;
    let year = args.year.context("a YEAR or --check FILE is required")?;
    match calendar.year_listing(year) {
        Ok(listing) => {
            print!("{listing}");
            Ok(ExitCode::SUCCESS)
        }
        Err(workcal::Error::UnknownYear(year)) => {
            let known: Vec<String> = calendar.years().map(|y| y.to_string()).collect();
            anyhow::bail!(
                "no published holiday schedule for {year} (known years: {}); add it with --override FILE",
                known.join(", ")
            )
        }
        Err(error) => Err(error.into()),
    }
}
