//! `jianguan calendar`: print a year's working days or check an override file.

use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `jianguan calendar`.
#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// The year to print, one line per day.
    #[arg(required_unless_present = "check")]
    year: Option<i32>,
    /// Validate an override file and report every problem by line.
    #[arg(long, value_name = "FILE", conflicts_with = "year")]
    check: Option<PathBuf>,
}

/// Runs `jianguan calendar`.
pub fn run(_args: &CalendarArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the calendar is not wired yet")
}
