//! `jianguan bench`: the performance benchmarks of `docs/benchmarks.md`.
//!
//! - `huangshi`: one whole round of Huangshi's year at about ten times its real
//!   weight (403,000 entities, 156 plans, 3,010 inspectors), in memory, against
//!   PostgreSQL drawing the same plans with `row_number() OVER (… ORDER BY random())`.
//! - `national`: one plan over 188,000,000 generated entities streamed through
//!   [`draw::PlanSampler`], against the machine's one-block SHA-256 rate
//!   (`openssl speed -evp sha256 -bytes 16`), with peak memory.
//! - `import`: the 403,000-entity directory imported from CSV and from XLSX
//!   into a fresh SQLite database (and PostgreSQL with `--postgres`), with full
//!   validation, against the `sqlite3` shell's `.import --csv`, with peak memory.
//! - `credit`: 7,000,000 credit list entries imported into a fresh SQLite file
//!   (child process, peak memory), a batch check of 10,000 applicants against
//!   them, the same check as one SQL join in PostgreSQL with `--postgres`, and
//!   the single check through the HTTP API under `wrk`.
//! - `hotline`: a year of 1,000,000 synthetic 12345 work orders seeded into a
//!   fresh SQLite file (and PostgreSQL with `--postgres`): the year's KPI report
//!   per department and the overdue list, against reading every document back
//!   and counting in Rust (same run; the counts must be identical).
//! - `licences`: the e-licence library's 1,268,900 licences imported and
//!   signed (SQLite, and PostgreSQL with `--postgres`), and a holder's
//!   licences over HTTP under `wrk`.
//!
//! - `cases`: 100,000 penalty cases imported into a fresh SQLite file (and
//!   PostgreSQL with `--postgres`) and checked for the whole city.
//!
//! - `services`: a year of 1,000,000 synthetic applications (办件) seeded into a
//!   fresh SQLite file (and PostgreSQL with `--postgres`): the year's KPIs,
//!   checked against the definitions counted in Rust.
//!
//! Figures go to standard output as Markdown, ready for `docs/benchmarks.md`.

mod cases;
mod classify;
mod credit;
mod hotline;
mod huangshi;
mod import;
mod licences;
mod national;
mod services;
mod web;
mod year;

use std::time::Duration;

/// Which benchmark to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// The Huangshi round (and its PostgreSQL baseline with `--postgres`).
    Huangshi,
    /// The national plan.
    National,
    /// All of them: Huangshi, national, then import.
    All,
    /// The directory import (and its `sqlite3 .import` baseline; PostgreSQL with `--postgres`).
    Import,
    /// A Huangshi year of the workflow (not part of `all`).
    Year,
    /// The web application under `wrk` (not part of `all`; uses --database or a new demo city of --city-entities).
    Web,
    /// Credit supervision: list import, batch check (PostgreSQL join baseline with `--postgres`), HTTP check (not part of `all`).
    Credit,
    /// Credit-risk classification of a whole city (not part of `all`; `--entities`, default 403,000; PostgreSQL with `--postgres`).
    Classify,
    /// 12345 work orders: the year's KPI report and the overdue list over `--orders` (default 1,000,000) seeded orders (not part of `all`; PostgreSQL with `--postgres`).
    Hotline,
    /// Penalty cases: import and check `--cases` (default 100,000) cases (not part of `all`; PostgreSQL with `--postgres`).
    Cases,
    /// Government services: the year's KPIs over `--applications` (default 1,000,000) seeded applications (not part of `all`; PostgreSQL with `--postgres`).
    Services,
    /// The e-licence library: `--licences` (default 1,268,900) imported and signed, and a holder's licences over HTTP (not part of `all`; PostgreSQL with `--postgres`).
    Licences,
}

/// Options of `jianguan bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Which benchmark to run.
    #[arg(value_enum, default_value_t = Which::All)]
    pub which: Which,

    /// Timed runs of the Huangshi round and of its baseline (after one warm-up run), and of each import; medians are reported.
    #[arg(long, default_value_t = 7)]
    pub runs: usize,

    /// PostgreSQL URL for the Huangshi baseline, e.g.
    /// postgres://jianguan:jianguan@127.0.0.1:5432/jianguan_bench (scripts/pg-start.sh prints it).
    /// Uses the `psql` client. Without it the baseline is skipped.
    #[arg(long, visible_alias = "pg", value_name = "URL")]
    pub postgres: Option<String>,

    /// Entities in the national plan (default 188,000,000; e.g. 10000000 for a quick run),
    /// or in the city of `classify` (default 403,000).
    #[arg(long)]
    pub entities: Option<u64>,

    /// Seconds `openssl speed` measures SHA-256 for the national comparison.
    #[arg(long, default_value_t = 3)]
    pub openssl_seconds: u32,

    /// `year`, `web`: entities in the generated city.
    #[arg(long, default_value_t = 403_000)]
    pub city_entities: usize,

    /// `credit`: list entries imported.
    #[arg(long, default_value_t = 7_000_000)]
    pub entries: u64,

    /// `credit`: applicants in the batch check.
    #[arg(long, default_value_t = 10_000)]
    pub applicants: usize,

    /// `hotline`: work orders seeded.
    #[arg(long, default_value_t = 1_000_000)]
    pub orders: u64,

    /// `services`: applications (办件) seeded.
    #[arg(long, default_value_t = 1_000_000)]
    pub applications: u64,

    /// `cases`: penalty cases generated.
    #[arg(long, default_value_t = 100_000)]
    pub cases: u64,

    /// `licences`: licences imported and signed.
    #[arg(long, default_value_t = licences::LICENCES)]
    pub licences: u64,

    /// `year`: play on this database (which already holds a city) instead of fresh ones; `web`: serve this demo city; `services`: seed this new SQLite file and keep it.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

/// Runs the benchmarks and prints their figures.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.runs == 0 {
        anyhow::bail!("--runs must be at least 1");
    }
    if args.entities == Some(0) {
        anyhow::bail!("--entities must be at least 1");
    }
    let machine = Machine::read();
    println!("# jianguan bench\n");
    println!(
        "Machine: {} logical CPUs (nproc), {}; {}; load average at start {}; build: {}.\n",
        machine.cpus,
        machine.cpu_model,
        machine.memory,
        load_average(),
        if cfg!(debug_assertions) {
            "DEBUG (figures meaningless: use --release)"
        } else {
            "release"
        }
    );
    if matches!(args.which, Which::Huangshi | Which::All) {
        huangshi::run(args.runs, args.postgres.as_deref())?;
    }
    if matches!(args.which, Which::National | Which::All) {
        national::run(args.entities.unwrap_or(188_000_000), args.openssl_seconds)?;
    }
    if matches!(args.which, Which::Import | Which::All) {
        import::run(args.runs, args.postgres.as_deref())?;
    }
    if args.which == Which::Web {
        web::run(args.database.as_deref(), args.city_entities)?;
    }
    if args.which == Which::Credit {
        credit::run(
            args.entries,
            args.applicants,
            args.runs,
            args.postgres.as_deref(),
        )?;
    }
    if args.which == Which::Classify {
        let entities = usize::try_from(args.entities.unwrap_or(403_000))?;
        classify::run(entities, args.runs, args.postgres.as_deref())?;
    }
    if args.which == Which::Hotline {
        hotline::run(args.orders, args.runs, args.postgres.as_deref())?;
    }
    if args.which == Which::Cases {
        cases::run(args.cases, args.runs, args.postgres.as_deref())?;
    }
    if args.which == Which::Services {
        services::run(
            args.applications,
            args.runs,
            args.postgres.as_deref(),
            args.database.as_deref(),
        )?;
    }
    if args.which == Which::Licences {
        licences::run(args.licences, args.runs, args.postgres.as_deref())?;
    }
    if args.which == Which::Year {
        year::run(
            args.city_entities,
            args.runs,
            args.postgres.as_deref(),
            args.database.as_deref(),
        )?;
    }
    Ok(())
}

/// Facts about the machine that the figures depend on.
struct Machine {
    cpus: usize,
    cpu_model: String,
    memory: String,
}

impl Machine {
    fn read() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = field(&cpuinfo, "model name").unwrap_or_else(|| "unknown CPU".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = field(&meminfo, "MemTotal")
            .and_then(|text| text.trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or_else(
                || "memory unknown".into(),
                |kib| format!("{:.1} GiB RAM", kib as f64 / 1_048_576.0),
            );
        Self {
            cpus,
            cpu_model,
            memory,
        }
    }
}

/// The 1, 5 and 15 minute load averages: other work on the machine skews the figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// The value of the first `name: value` line of a /proc file.
fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        line.split_once(':')
            .filter(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().to_owned())
    })
}

/// Peak resident memory of this process so far (`VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    field(&status, "VmHWM")?
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Current resident memory (`VmRSS`), in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    field(&status, "VmRSS")?
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets `VmHWM` to the current RSS (Linux: write 5 to clear_refs); false if refused.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Median, minimum and maximum of some timings.
#[derive(Clone, Copy, Debug)]
struct Spread {
    median: Duration,
    min: Duration,
    max: Duration,
}

impl Spread {
    /// The spread of `times`; zero for none. The median of an even count is the mean of the middle two.
    fn of(times: &[Duration]) -> Self {
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let median = match n {
            0 => Duration::ZERO,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
        };
        Self {
            median,
            min: sorted.first().copied().unwrap_or_default(),
            max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "median {} (min {}, max {})",
            ms(self.median),
            ms(self.min),
            ms(self.max)
        )
    }
}

/// A duration in milliseconds, e.g. `123.4 ms`.
fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// An integer with thousands separators, e.g. `403,000`.
fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs one statement on the PostgreSQL server at `url` (schema set-up and clean-up).
async fn pg_admin(url: &str, sql: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("cannot connect to {}", storage::redact(url)))?;
    sqlx::query(sql).execute(&mut admin).await?;
    admin.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_formatting() {
        let times = [3, 1, 2, 10].map(Duration::from_millis);
        let spread = Spread::of(&times);
        assert_eq!(spread.median, Duration::from_micros(2_500));
        assert_eq!(spread.min, Duration::from_millis(1));
        assert_eq!(spread.max, Duration::from_millis(10));
        assert_eq!(thousands(188_000_000), "188,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(
            field("VmHWM:\t  1234 kB\n", "VmHWM").as_deref(),
            Some("1234 kB")
        );
    }
}
