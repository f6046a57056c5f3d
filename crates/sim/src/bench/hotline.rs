//! `jianguan bench hotline`: 12345 work orders (issue 8). A year of synthetic
//! orders ([`crate::synth::hotline`], 1,000,000 by default) is seeded in bulk
//! (no ledger entries) into a fresh SQLite file, and into a fresh schema of
//! PostgreSQL with `--postgres`; then, as of the year's last day at 18:00:
//!
//! - the year's KPI report per department ([`workflow::hotline::kpi`]: one
//!   aggregate query over the derived columns, grouped by department, channel
//!   and category), goal under 1 s on SQLite;
//! - the overdue list ([`workflow::hotline::due`]) city-wide and for the
//!   market regulation bureau, goal under 100 ms on SQLite;
//! - the naive baseline in the same run: every order document of the year
//!   read back (month by month) and the KPIs counted in Rust from the issue's
//!   definitions; its counts must equal the SQL report's ("identical").
//!
//! Medians over `--runs` timed runs after one warm-up (the baseline: at most
//! three runs, no warm-up).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{Spread, ms, pg_admin, thousands};
use crate::synth::hotline::{Generator, Params};
use crate::synth::{City, CityParams, DEPARTMENTS};
use domain::hotline::{HotlineRules, Rating, WorkOrder};
use domain::org::{Department, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode};
use service::hotline::{self as hotline, Kpi, KpiQuery, KpiReport};
use storage::hotline::{HotlineStore, OrderFilter};
use storage::{self, Db, Store};

/// The year of the orders.
const YEAR: i32 = 2025;
/// The goals of issue 8 (SQLite, 1,000,000 orders).
const KPI_GOAL: Duration = Duration::from_secs(1);
const DUE_GOAL: Duration = Duration::from_millis(100);
/// The department of the one-department overdue list.
const DEPARTMENT: &str = "SCJG";
/// Orders generated and seeded per batch.
const BATCH: usize = 20_000;
/// Enterprises of the directory the orders may be about (a tenth of Huangshi's).
const DIRECTORY: usize = 40_300;
/// Most timed runs of the naive baseline.
const NAIVE_RUNS: usize = 3;

/// Runs the benchmark: `orders` orders, `runs` timed runs of each query, PostgreSQL at `postgres`.
pub fn run(orders: u64, runs: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("## 12345 hotline\n");
    let calendar = workcal::Calendar::embedded().context("the embedded calendar is damaged")?;
    let rules = HotlineRules::default();
    let city = City::generate(&CityParams {
        entities: DIRECTORY,
        ..CityParams::huangshi()
    });
    let entities: Vec<String> = city
        .entities
        .iter()
        .filter(|e| e.is_active())
        .map(|e| e.uscc.as_str().to_owned())
        .collect();
    let params = Params::year(YEAR, orders);
    let as_of = params.as_of;
    let generator =
        Generator::new(params, &rules, &calendar, &entities).map_err(|e| anyhow::anyhow!("{e}"))?;

    let dir = std::env::temp_dir().join(format!("jianguan-bench-hotline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("hotline.sqlite3");
    let schema = format!("bench_hotline_{}", std::process::id());
    let pg_url = postgres.map(|base| {
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}options[search_path]={schema}")
    });
    let outcome = runtime.block_on(async {
        if let Some(base) = postgres {
            pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
            pg_admin(base, &format!("CREATE SCHEMA {schema}")).await?;
        }
        let sqlite = storage::open(&path.to_string_lossy()).await?;
        let pg = match &pg_url {
            Some(url) => Some(storage::open(url).await?),
            None => None,
        };
        let outcome = async {
            let mut targets: Vec<(&str, &Db)> = vec![("SQLite", &sqlite)];
            if let Some(pg) = &pg {
                targets.push(("PostgreSQL", pg));
            }
            let seeded = seed(&generator, &targets).await?;
            if let Some(base) = postgres {
                // VACUUM sets the visibility map, without which PostgreSQL
                // cannot answer the KPI from the covering index alone.
                pg_admin(base, &format!("VACUUM (ANALYZE) {schema}.work_orders")).await?;
            }
            let file = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!(
                "Data: {} orders received on the {} working days of {YEAR} (08:30–17:30), as of {} (the KPIs count every order; the open ones are those received in the last days and the stuck ones); generated through the domain's state machine and seeded in batches of {} without ledger entries in {:.1} s (generation alone {:.1} s); SQLite file {:.0} MiB. {}\n",
                thousands(seeded.orders),
                seeded.days,
                domain::hotline::stored_time(as_of),
                thousands(BATCH as u64),
                seeded.total.as_secs_f64(),
                seeded.generation.as_secs_f64(),
                file as f64 / 1_048_576.0,
                if postgres.is_some() {
                    "PostgreSQL: the same orders in a fresh schema, then `VACUUM (ANALYZE) work_orders`."
                } else {
                    "PostgreSQL: skipped (no `--postgres URL`)."
                }
            );
            let mut measured = Vec::new();
            for (name, db) in &targets {
                measured.push(measure(name, db, &rules, &calendar, as_of, runs).await?);
            }
            anyhow::Ok(measured)
        }
        .await;
        sqlite.close().await;
        if let Some(pg) = pg {
            pg.close().await;
        }
        if let Some(base) = postgres {
            pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
        }
        outcome
    });
    let _ = std::fs::remove_dir_all(&dir);
    let measured = outcome?;
    print(&measured, orders, runs);
    Ok(())
}

/// What seeding did.
struct Seeded {
    orders: u64,
    days: usize,
    total: Duration,
    generation: Duration,
}

/// Migrates every target, writes the city's departments, then generates the
/// orders batch by batch and seeds each batch into every target.
async fn seed(
    generator: &Generator<'_, workcal::Calendar>,
    targets: &[(&str, &Db)],
) -> anyhow::Result<Seeded> {
    let departments = DEPARTMENTS
        .iter()
        .map(|d| {
            Ok(Department::new(DepartmentFields::new(
                DepartmentCode::parse(d.code)?,
                d.name,
                DepartmentLevel::City,
                Some(DistrictCode::parse("420200")?),
            ))?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (_, db) in targets {
        db.migrate().await?;
        crate::demo::set_up_demo_city(db).await?;
        db.upsert_departments(&departments).await?;
    }
    let started = Instant::now();
    let mut generation = Duration::ZERO;
    let mut orders = generator.orders();
    let mut seeded = 0u64;
    let mut days = std::collections::BTreeSet::new();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(generator.params().orders),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "seeding work orders {bar:40} {pos}/{len} ({percent}%), eta {eta}",
    ) {
        bar.set_style(style);
    }
    loop {
        let generating = Instant::now();
        let batch = orders
            .by_ref()
            .take(BATCH)
            .collect::<Result<Vec<WorkOrder>, _>>()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        generation += generating.elapsed();
        if batch.is_empty() {
            break;
        }
        days.extend(batch.iter().map(WorkOrder::received_on));
        let n = batch.len() as u64;
        let mut batch = Some(batch);
        for (index, (_, db)) in targets.iter().enumerate() {
            let rows = if index + 1 == targets.len() {
                batch.take()
            } else {
                batch.clone()
            };
            db.seed_work_orders(rows.unwrap_or_default()).await?;
        }
        seeded += n;
        bar.inc(n);
    }
    bar.finish_and_clear();
    Ok(Seeded {
        orders: seeded,
        days: days.len(),
        total: started.elapsed(),
        generation,
    })
}

/// One database's figures.
struct Measured {
    name: String,
    kpi: Spread,
    report: KpiReport,
    due_city: Spread,
    due_city_rows: usize,
    due_city_overdue: usize,
    due_department: Spread,
    due_department_rows: usize,
    naive: Spread,
    naive_runs: usize,
}

async fn measure(
    name: &str,
    db: &Db,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    as_of: DateTime<FixedOffset>,
    runs: usize,
) -> anyhow::Result<Measured> {
    let query = KpiQuery {
        from: first_day(),
        to: last_day(),
        department: None,
        as_of,
    };
    let mut times = Vec::with_capacity(runs);
    let mut report = None;
    for run in 0..=runs {
        let started = Instant::now();
        let answer = hotline::kpi(db, rules, query.clone()).await?;
        if run > 0 {
            times.push(started.elapsed());
        }
        report = Some(answer);
    }
    let report = report.context("no KPI run")?;

    let mut city_times = Vec::with_capacity(runs);
    let mut department_times = Vec::with_capacity(runs);
    let (mut city_rows, mut overdue, mut department_rows) = (0, 0, 0);
    for run in 0..=runs {
        let started = Instant::now();
        let city = hotline::due(db, rules, calendar, None, as_of).await?;
        let city_time = started.elapsed();
        let started = Instant::now();
        let department = hotline::due(db, rules, calendar, Some(DEPARTMENT), as_of).await?;
        let department_time = started.elapsed();
        if run > 0 {
            city_times.push(city_time);
            department_times.push(department_time);
        }
        city_rows = city.len();
        overdue = city
            .iter()
            .filter(|o| o.sign_overdue || o.close_overdue)
            .count();
        department_rows = department.len();
    }

    let naive_runs = runs.clamp(1, NAIVE_RUNS);
    let mut naive_times = Vec::with_capacity(naive_runs);
    let mut naive = Naive::default();
    for _ in 0..naive_runs {
        let started = Instant::now();
        naive = naive_kpis(db, as_of).await?;
        naive_times.push(started.elapsed());
    }
    compare(name, &report, &naive)?;
    Ok(Measured {
        name: name.to_owned(),
        kpi: Spread::of(&times),
        report,
        due_city: Spread::of(&city_times),
        due_city_rows: city_rows,
        due_city_overdue: overdue,
        due_department: Spread::of(&department_times),
        due_department_rows: department_rows,
        naive: Spread::of(&naive_times),
        naive_runs,
    })
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or_default()
}

fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 12, 31).unwrap_or_default()
}

/// The KPIs counted in Rust from the documents: city-wide and per department.
#[derive(Debug, Default)]
struct Naive {
    city: Kpi,
    departments: BTreeMap<String, Kpi>,
    documents: u64,
}

/// The naive approach: every order document received in the year, read back
/// month by month through the store, and counted by the definitions
/// as of `as_of` (a step counts when taken at or before it; a deadline is
/// past when its last day is before the as-of day).
async fn naive_kpis(db: &Db, as_of: DateTime<FixedOffset>) -> anyhow::Result<Naive> {
    let mut naive = Naive::default();
    let today = as_of.date_naive();
    for month in 1..=12 {
        let from = NaiveDate::from_ymd_opt(YEAR, month, 1).context("month")?;
        let to = from
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .context("month")?;
        let filter = OrderFilter {
            from: Some(from),
            to: Some(to),
            ..OrderFilter::default()
        };
        let orders = db.hotline_orders(&filter, u32::MAX, 0).await?;
        for order in orders.iter().filter(|o| o.received_at <= as_of) {
            naive.documents += 1;
            let mut kpi = Kpi {
                orders: 1,
                ..Kpi::default()
            };
            let signed = order.signed_at.filter(|at| *at <= as_of);
            let closed = order.closed_at.filter(|at| *at <= as_of);
            kpi.signed_on_time =
                u64::from(signed.is_some_and(|at| at.date_naive() <= order.sign_due));
            kpi.sign_counted = u64::from(signed.is_some() || order.sign_due < today);
            kpi.closed_on_time =
                u64::from(closed.is_some_and(|at| at.date_naive() <= order.close_due));
            kpi.close_counted = u64::from(closed.is_some() || order.close_due < today);
            kpi.rated = u64::from(order.rating.is_some());
            kpi.satisfied = u64::from(order.rating.is_some_and(Rating::satisfied));
            kpi.closed = u64::from(closed.is_some());
            kpi.close_days_total = if closed.is_some() {
                u64::from(order.close_working_days.unwrap_or(0))
            } else {
                0
            };
            naive.city.add(&kpi);
            naive
                .departments
                .entry(order.department.clone().unwrap_or_default())
                .or_default()
                .add(&kpi);
        }
    }
    Ok(naive)
}

/// Checks that the SQL report and the naive count agree, city-wide and per department.
fn compare(name: &str, report: &KpiReport, naive: &Naive) -> anyhow::Result<()> {
    let sql: BTreeMap<String, Kpi> = report
        .departments
        .iter()
        .map(|d| (d.code.clone(), d.kpi))
        .collect();
    let mut differences = Vec::new();
    if report.city != naive.city {
        differences.push(format!(
            "city: SQL {:?}, naive {:?}",
            report.city, naive.city
        ));
    }
    for code in sql
        .keys()
        .chain(naive.departments.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (a, b) = (sql.get(code), naive.departments.get(code));
        if a != b {
            differences.push(format!("department {code:?}: SQL {a:?}, naive {b:?}"));
        }
    }
    if !differences.is_empty() {
        bail!(
            "{name}: the KPI report differs from the naive count: {}",
            differences.join("; ")
        );
    }
    println!(
        "{name}: KPIs from SQL and from the {} documents counted in Rust: **identical** (city and {} departments, every count).\n",
        thousands(naive.documents),
        sql.len()
    );
    Ok(())
}

fn print(measured: &[Measured], orders: u64, runs: usize) {
    let Some(sqlite) = measured.first() else {
        return;
    };
    let city = &sqlite.report.city;
    println!(
        "Year {YEAR}, city-wide: {} (及时签收 {} / {}, 按时办结 {} / {}, 满意 {} / {}); {} departments; {} channels, {} categories.\n",
        city.summary(),
        thousands(city.signed_on_time),
        thousands(city.sign_counted),
        thousands(city.closed_on_time),
        thousands(city.close_counted),
        thousands(city.satisfied),
        thousands(city.rated),
        sqlite.report.departments.len(),
        sqlite.report.channels.len(),
        sqlite.report.categories.len(),
    );
    let columns: Vec<&str> = measured.iter().map(|m| m.name.as_str()).collect();
    println!(
        "| {} orders, medians of {runs} runs after a warm-up | {} | goal (SQLite) | met |",
        thousands(orders),
        columns.join(" | ")
    );
    println!("|---|{}---|---|", "---:|".repeat(columns.len()));
    let row = |label: String, pick: &dyn Fn(&Measured) -> Spread, goal: Option<Duration>| {
        let cells: Vec<String> = measured.iter().map(|m| format!("{}", pick(m))).collect();
        let met = goal.map_or(String::new(), |goal| {
            if pick(sqlite).median < goal {
                "yes".into()
            } else {
                "no".into()
            }
        });
        let goal = goal.map_or_else(|| "baseline".to_owned(), |g| format!("< {}", ms(g)));
        println!("| {label} | {} | {goal} | {met} |", cells.join(" | "));
    };
    row(
        format!(
            "KPI report of the year, per department ({} departments)",
            sqlite.report.departments.len()
        ),
        &|m| m.kpi,
        Some(KPI_GOAL),
    );
    row(
        format!(
            "overdue list, city-wide ({} orders: {} overdue, {} due soon)",
            thousands(sqlite.due_city_rows as u64),
            thousands(sqlite.due_city_overdue as u64),
            thousands((sqlite.due_city_rows - sqlite.due_city_overdue) as u64)
        ),
        &|m| m.due_city,
        Some(DUE_GOAL),
    );
    row(
        format!(
            "overdue list, {DEPARTMENT} ({} orders)",
            thousands(sqlite.due_department_rows as u64)
        ),
        &|m| m.due_department,
        Some(DUE_GOAL),
    );
    row(
        format!(
            "naive: every document of the year read and counted in Rust ({} runs, no warm-up)",
            sqlite.naive_runs
        ),
        &|m| m.naive,
        None,
    );
    println!();
    for m in measured {
        println!(
            "{}: the SQL report is **{:.0}×** faster than the naive count ({} against {}).",
            m.name,
            m.naive.median.as_secs_f64() / m.kpi.median.as_secs_f64().max(1e-9),
            ms(m.kpi.median),
            ms(m.naive.median)
        );
    }
    println!();
}
