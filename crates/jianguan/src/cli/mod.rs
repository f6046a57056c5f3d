//! The command line: clap-derived commands, each in its own module.

mod calendar;
mod credit;
mod credit_repair;
mod credit_risk;
mod database;
#[cfg(feature = "sim")]
mod demo;
mod enforcement;
mod hotline;
mod import;
mod justice;
mod licences;
mod offline;
mod reconsideration;
mod review;
mod serve;
mod services;
mod services_window;
mod setup;
mod templates;
mod workflow;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// jianguan (监管): random inspection, credit and enforcement supervision.
#[derive(Debug, Parser)]
#[command(name = "jianguan", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a fresh 32-byte secret and its commitment as JSON.
    Commit,
    /// Draw a round offline from a request file and write its record.
    Draw(offline::DrawArgs),
    /// Recompute a draw record; print `conforms` (exit 0) or each deviation (exit 1).
    Verify(offline::VerifyArgs),
    /// Print a year's working-day calendar, or check an override file.
    Calendar(calendar::CalendarArgs),
    /// Load the demo city into the database and draw a round from it: committed, drawn with a witness beacon, published and verified.
    #[cfg(feature = "sim")]
    Demo(demo::DemoArgs),
    /// Run the benchmarks and print their figures.
    #[cfg(feature = "sim")]
    Bench(sim::bench::BenchArgs),
    /// Apply the database migrations and reference data; print the applied versions.
    Migrate(database::MigrateArgs),
    /// Set the database up for its city (GB/T 2260 code): load the city's districts and record it.
    Setup(setup::SetupArgs),
    /// Import a directory file (CSV or XLSX/XLS); rejected rows go to an XLSX error report.
    Import(import::ImportArgs),
    /// Export a directory to CSV or XLSX with the headers `import` reads.
    Export(import::ExportArgs),
    /// Write an XLSX template (headers, an example row, a 说明 sheet) for every importable file.
    Templates(templates::TemplatesArgs),
    /// Random-inspection plans: list, add, file, approve, publish, change.
    Plans(workflow::PlansArgs),
    /// Rounds of draws: list, commit, draw, publish, export, explain.
    Rounds(workflow::RoundsArgs),
    /// Visits of a round: list, reassign.
    Visits(workflow::VisitsArgs),
    /// Inspection results: enter, publish, correct, list.
    Results(workflow::ResultsArgs),
    /// Register an inspection outside the plan.
    OutOfPlan(workflow::OutOfPlanArgs),
    /// Check the audit ledger.
    Audit(workflow::AuditArgs),
    /// Monthly, quarterly and annual reports (JSON, XLSX).
    Report(workflow::ReportArgs),
    /// Run the web application: staff pages, the public portal and the JSON API.
    Serve(serve::ServeArgs),
    /// Accounts of the web application: list, add, disable, issue API tokens.
    Accounts(serve::AccountsArgs),
    /// Credit supervision: import lists and matters, check applicants, look up entries, the check log.
    Credit(credit::CreditArgs),
    /// 12345 hotline work orders: import, KPIs, the overdue list, 督办, single steps.
    Hotline(hotline::HotlineArgs),
    /// Discretion benchmarks (裁量基准): import a new version, look a behaviour up.
    Discretion(enforcement::DiscretionArgs),
    /// Penalty cases (行政处罚案件): import the register, check it against the rules.
    Cases(enforcement::CasesArgs),
    /// Case-file reviews (评查活动): commit, draw with witnesses, export the record, list.
    Review(review::ReviewArgs),
    /// 行政复议: import applications, check the statutory clock, the year's KPIs.
    Reconsideration(reconsideration::ReconsiderationArgs),
    /// 行政诉讼出庭应诉: import hearings, the appearance rate.
    Litigation(reconsideration::LitigationArgs),
    /// The Justice Bureau's reports: the annual 行政执法统计年报.
    Justice(justice::JusticeArgs),
    /// Government services: the matter catalogue, applications, KPIs, 告知承诺 checks.
    Services(services::ServicesArgs),
    /// The e-licence library (电子证照库): types, import, key, issue, verify, revoke.
    Licences(licences::LicencesArgs),
}

/// Exit status for bad input: unreadable or malformed files and arguments.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Reports bad input on stderr (and, with `--json`, as one line `{"error": …}`
/// on stdout); the exit status for it.
pub fn bad_input(error: &dyn std::fmt::Display, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::json!({"error": error.to_string()}));
    }
    eprintln!("error: {error}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Commit => offline::commit(),
        Command::Draw(args) => offline::draw(args),
        Command::Verify(args) => offline::verify(args),
        Command::Calendar(args) => calendar::run(args),
        #[cfg(feature = "sim")]
        Command::Demo(args) => demo::run(args),
        #[cfg(feature = "sim")]
        Command::Bench(args) => sim::bench::run(args).map(|()| ExitCode::SUCCESS),
        Command::Migrate(args) => database::migrate(args),
        Command::Setup(args) => setup::run(args),
        Command::Import(args) => import::run_import(args),
        Command::Export(args) => import::run_export(args),
        Command::Templates(args) => templates::run(args),
        Command::Plans(args) => workflow::run_plans(args),
        Command::Rounds(args) => workflow::run_rounds(args),
        Command::Visits(args) => workflow::run_visits(args),
        Command::Results(args) => workflow::run_results(args),
        Command::OutOfPlan(args) => workflow::run_out_of_plan(args),
        Command::Audit(args) => workflow::run_audit(args),
        Command::Credit(args) => credit::run(args),
        Command::Hotline(args) => hotline::run(args),
        Command::Discretion(args) => enforcement::run_discretion(args),
        Command::Cases(args) => enforcement::run_cases(args),
        Command::Review(args) => review::run(args),
        Command::Reconsideration(args) => reconsideration::run_reconsideration(args),
        Command::Litigation(args) => reconsideration::run_litigation(args),
        Command::Justice(args) => justice::run_justice(args),
        Command::Services(args) => services::run(args),
        Command::Licences(args) => licences::run(args),
        Command::Report(args) => workflow::run_report(args),
        Command::Serve(args) => serve::run_serve(args),
        Command::Accounts(args) => serve::run_accounts(args),
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("error: {error:#}");
        ExitCode::from(EXIT_BAD_INPUT)
    })
}
