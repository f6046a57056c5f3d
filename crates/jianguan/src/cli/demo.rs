//! `jianguan demo`: the demo city of the `sim` crate loaded into the database,
//! its year played ([`sim::demo::play`]), then the web application started on it.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use super::database::{DatabaseArgs, runtime};
use sim::demo::{DemoOptions, entity_count, play};

/// Options of `jianguan demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Print the summary and exit; do not start the web application.
    #[arg(long)]
    no_serve: bool,
    /// Where the web application listens after the demo.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// Scale the number of market entities and recusals (1 = Huangshi's 403,000 and 403;
    /// e.g. 0.01 in tests). Departments, inspectors and the item lists keep their size.
    #[arg(long, value_name = "FACTOR", conflicts_with = "entities")]
    scale: Option<f64>,
    /// Number of market entities (default 403,000).
    #[arg(long, hide = true, value_name = "N")]
    entities: Option<usize>,
    /// Leave out the government services (catalogue, licences, applications,
    /// 核查) and the 复议 and litigation registers: the web tests' city, whose
    /// tests bring their own.
    #[arg(long, hide = true)]
    no_services: bool,
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let options = DemoOptions {
        entities: entity_count(args.scale, args.entities)?,
        data_dir: args.database.data_dir.clone(),
        services: !args.no_services,
    };
    runtime()?.block_on(async {
        let url = args.database.url()?;
        let db = storage::open(&url).await?;
        let outcome = play(&db, &url, &options, started).await;
        db.close().await;
        outcome
    })?;
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let calendar = workcal::Calendar::embedded().context("the embedded calendar is damaged")?;
    super::serve::serve_database(&args.database, calendar, args.listen)
}
