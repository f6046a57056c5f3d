//! `jianguan bench cases`: the penalty case register (issue 19). A year of
//! synthetic cases ([`crate::synth::cases`], 100,000 by default) with the
//! benchmark set and the officer register is written as CSV; then, on a fresh
//! SQLite file (and a fresh PostgreSQL schema with `--postgres`) per run:
//!
//! - `cases import` ([`service::enforcement::import_cases`]: read, validate,
//!   every case written with its ledger entry in one transaction), goal under
//!   10 s on SQLite;
//! - `cases check` for the whole city ([`service::enforcement::run_check`]),
//!   goal under 2 s on SQLite.
//!
//! Medians over `--runs` runs (at most 3: each run imports afresh).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::NaiveDate;

use super::{Spread, pg_admin, thousands};
use crate::synth::cases::{CaseDepartment, CaseParams, generate, officer_register};
use crate::synth::{City, CityParams, DEPARTMENTS};
use domain::enforcement::CaseRules;
use domain::org::{Department, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode};
use storage::{Db, Store};

const YEAR: i32 = 2025;
const IMPORT_GOAL: Duration = Duration::from_secs(10);
const CHECK_GOAL: Duration = Duration::from_secs(2);
/// Most runs: each imports the whole file into a fresh database.
const MAX_RUNS: usize = 3;

struct Paths {
    officers: std::path::PathBuf,
    benchmarks: std::path::PathBuf,
    cases: std::path::PathBuf,
}

/// One run on a fresh database: (import, check, findings).
async fn one_run(db: &Db, paths: &Paths) -> anyhow::Result<(Duration, Duration, usize, u64)> {
    db.migrate().await?;
    crate::demo::set_up_demo_city(db).await?;
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
    db.upsert_departments(&departments).await?;
    files::import_file(
        db,
        files::Kind::Inspectors,
        &paths.officers,
        &files::Options::default(),
    )
    .await?;
    let now = service::now();
    let in_force = NaiveDate::from_ymd_opt(YEAR, 1, 1).context("year")?;
    service::enforcement::import_benchmarks(db, &paths.benchmarks, Some(in_force), "bench", now)
        .await?;
    let started = Instant::now();
    let imported = service::enforcement::import_cases(db, &paths.cases, "bench", now).await?;
    let import = started.elapsed();
    let calendar = workcal::Calendar::embedded()?;
    let as_of = NaiveDate::from_ymd_opt(YEAR + 1, 3, 31).context("year")?;
    let started = Instant::now();
    let report =
        service::enforcement::run_check(db, None, as_of, &CaseRules::default(), &calendar).await?;
    let check = started.elapsed();
    Ok((
        import,
        check,
        report.findings.len(),
        imported.outcome.inserted,
    ))
}

/// Runs the benchmark: `cases` cases, `runs` runs, PostgreSQL at `postgres`.
pub fn run(cases: u64, runs: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!("## Penalty cases\n");
    let calendar = workcal::Calendar::embedded().context("the embedded calendar is damaged")?;
    let city = City::generate(&CityParams {
        entities: 20_000,
        ..CityParams::huangshi()
    });
    let departments: Vec<CaseDepartment> = DEPARTMENTS
        .iter()
        .map(|d| CaseDepartment {
            code: d.code.to_owned(),
            name: d.name.to_owned(),
            weight: d.weight,
        })
        .collect();
    let parties: Vec<(String, String)> = city
        .entities
        .iter()
        .map(|e| (e.uscc.as_str().to_owned(), e.name.clone()))
        .collect();
    let (officers_csv, officers) = officer_register(&departments);
    let generated = generate(
        &CaseParams::year(YEAR, usize::try_from(cases)?),
        &departments,
        &officers,
        &parties,
        &calendar,
    );
    let dir = std::env::temp_dir().join(format!("jianguan-bench-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let paths = Paths {
        officers: dir.join("officers.csv"),
        benchmarks: dir.join("benchmarks.csv"),
        cases: dir.join("cases.csv"),
    };
    std::fs::write(&paths.officers, &officers_csv)?;
    std::fs::write(&paths.benchmarks, &generated.benchmarks)?;
    std::fs::write(&paths.cases, &generated.cases)?;
    let runs = runs.clamp(1, MAX_RUNS);
    let mut rows = Vec::new();
    let outcome = runtime.block_on(async {
        let mut backends: Vec<(&str, Option<&str>)> = vec![("SQLite", None)];
        if let Some(base) = postgres {
            backends.push(("PostgreSQL", Some(base)));
        }
        for (name, base) in backends {
            let (mut imports, mut checks, mut findings, mut inserted) =
                (Vec::new(), Vec::new(), 0, 0);
            for run in 0..runs {
                let schema = format!("bench_cases_{}_{run}", std::process::id());
                let (db, url) = match base {
                    None => {
                        let path = dir.join(format!("cases-{run}.sqlite3"));
                        let url = path.display().to_string();
                        (storage::open(&url).await?, url)
                    }
                    Some(base) => {
                        pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
                        pg_admin(base, &format!("CREATE SCHEMA {schema}")).await?;
                        let separator = if base.contains('?') { '&' } else { '?' };
                        let url = format!("{base}{separator}options[search_path]={schema}");
                        (storage::open(&url).await?, url)
                    }
                };
                let measured = one_run(&db, &paths).await;
                db.close().await;
                if let Some(base) = base {
                    pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
                } else {
                    let _ = std::fs::remove_file(&url);
                }
                let (import, check, found, written) = measured?;
                imports.push(import);
                checks.push(check);
                (findings, inserted) = (found, written);
            }
            rows.push((
                name,
                Spread::of(&imports),
                Spread::of(&checks),
                findings,
                inserted,
            ));
        }
        anyhow::Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    outcome?;
    println!(
        "{} cases of {YEAR} across {} departments ({} benchmark rows), imported from CSV into a fresh database per run, then checked for the whole city as of {}-03-31; {runs} run(s), medians.\n",
        thousands(cases),
        departments.len(),
        generated.benchmarks.lines().count().saturating_sub(1),
        YEAR + 1
    );
    println!("| backend | cases written | `cases import` | `cases check` | findings |");
    println!("| --- | ---: | --- | --- | ---: |");
    for (name, import, check, findings, inserted) in &rows {
        println!(
            "| {name} | {} | {import} | {check} | {} |",
            thousands(*inserted),
            thousands(*findings as u64)
        );
    }
    if let Some((_, import, check, _, _)) = rows.first() {
        println!(
            "\nGoals on SQLite: import under {} s ({}), check under {} s ({}).\n",
            IMPORT_GOAL.as_secs(),
            if import.median < IMPORT_GOAL {
                "met"
            } else {
                "NOT met"
            },
            CHECK_GOAL.as_secs(),
            if check.median < CHECK_GOAL {
                "met"
            } else {
                "NOT met"
            },
        );
    }
    Ok(())
}
