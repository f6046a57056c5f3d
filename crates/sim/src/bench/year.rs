//! `jianguan bench year`: a whole Huangshi year of the workflow (156 plans in
//! quarterly rounds, results for most visits, the ledger audited) on SQLite,
//! and on PostgreSQL with `--postgres`. Each round's commit and draw are timed;
//! so are the results and the audit.

use std::time::{Duration, Instant};

use super::ms;
use crate::synth::{City, CityParams};
use crate::year::{self, YearOptions, YearSummary};
use domain::inspection::Visit;
use storage::{self, Db, Store, WorkflowStore};

/// The year played.
const YEAR: i32 = 2025;

/// Runs the year on a fresh SQLite file (and a fresh PostgreSQL schema), or on
/// `database` when given (which must already hold a city).
pub fn run(
    entities: usize,
    runs: usize,
    postgres: Option<&str>,
    database: Option<&str>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("## A Huangshi year of the workflow\n");
    let calendar = workcal::Calendar::embedded()?;
    if let Some(url) = database {
        let db = runtime.block_on(storage::open(url))?;
        runtime.block_on(db.migrate())?;
        let summary = runtime.block_on(play(&db, &calendar))?;
        runtime.block_on(print(&db, "given database", &summary))?;
        runtime.block_on(db.close());
        return Ok(());
    }
    let city = City::generate(&CityParams {
        entities,
        ..CityParams::huangshi()
    });
    let dir = std::env::temp_dir().join(format!("jianguan-bench-year-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let outcome = sqlite_runs(&runtime, &city, &calendar, &dir, runs);
    let _ = std::fs::remove_dir_all(&dir);
    outcome?;
    if let Some(base) = postgres {
        let schema = format!("bench_year_{}", std::process::id());
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options[search_path]={schema}");
        runtime.block_on(super::pg_admin(base, &format!("CREATE SCHEMA {schema}")))?;
        let outcome = runtime.block_on(async {
            let db = storage::open(&url).await?;
            db.migrate().await?;
            load(&db, &city, "PostgreSQL").await?;
            let summary = play(&db, &calendar).await?;
            print(&db, "PostgreSQL, 1 run", &summary).await?;
            db.close().await;
            anyhow::Ok(())
        });
        runtime.block_on(super::pg_admin(
            base,
            &format!("DROP SCHEMA {schema} CASCADE"),
        ))?;
        outcome?;
    } else {
        println!("PostgreSQL: skipped (no `--postgres URL`).\n");
    }
    Ok(())
}

async fn load(db: &Db, city: &City, name: &str) -> anyhow::Result<()> {
    let loading = Instant::now();
    crate::demo::load(db, city).await?;
    println!(
        "{name}: city of {} entities loaded in {:.1} s (not timed below)\n",
        city.entities.len(),
        loading.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The year `runs` times on SQLite, each on a copy of one loaded city; prints
/// the last run in full and each round's median.
fn sqlite_runs(
    runtime: &tokio::runtime::Runtime,
    city: &City,
    calendar: &workcal::Calendar,
    dir: &std::path::Path,
    runs: usize,
) -> anyhow::Result<()> {
    let template = dir.join("city.sqlite3");
    runtime.block_on(async {
        let db = storage::open(&template.to_string_lossy()).await?;
        db.migrate().await?;
        load(&db, city, "SQLite").await?;
        db.close().await;
        anyhow::Ok(())
    })?;
    let mut summaries = Vec::with_capacity(runs);
    for run in 0..runs {
        let copy = dir.join(format!("run-{run}.sqlite3"));
        std::fs::copy(&template, &copy)?;
        let summary = runtime.block_on(async {
            let db = storage::open(&copy.to_string_lossy()).await?;
            let summary = play(&db, calendar).await?;
            if run + 1 == runs {
                print(&db, &format!("SQLite, run {} of {runs}", run + 1), &summary).await?;
            }
            db.close().await;
            anyhow::Ok(summary)
        })?;
        std::fs::remove_file(&copy)?;
        summaries.push(summary);
    }
    println!("SQLite, medians over {runs} runs (each on a fresh copy of the loaded city):\n");
    println!("| round | commit | draw | commit + draw |");
    println!("|---|---|---|---|");
    let rounds = summaries.first().map_or(0, |s| s.rounds.len());
    let mut worst = Duration::ZERO;
    for index in 0..rounds {
        let pick = |f: &dyn Fn(&year::RoundFigures) -> Duration| -> Vec<Duration> {
            summaries
                .iter()
                .filter_map(|s| s.rounds.get(index))
                .map(f)
                .collect()
        };
        let total = super::Spread::of(&pick(&|r| r.commit + r.draw));
        worst = worst.max(total.median);
        let id = summaries
            .first()
            .and_then(|s| s.rounds.get(index))
            .map_or("", |r| r.id.as_str());
        println!(
            "| {id} | {} | {} | **{}** |",
            ms(super::Spread::of(&pick(&|r| r.commit)).median),
            ms(super::Spread::of(&pick(&|r| r.draw)).median),
            total
        );
    }
    println!(
        "\nSlowest round's median commit + draw: **{}** (goal < 3 s).\n",
        ms(worst)
    );
    Ok(())
}

async fn play(db: &Db, calendar: &workcal::Calendar) -> anyhow::Result<YearSummary> {
    Ok(
        year::play(db, calendar, &YearOptions::huangshi(YEAR), |line| {
            eprintln!("{line}")
        })
        .await?,
    )
}

async fn print(db: &Db, name: &str, summary: &YearSummary) -> anyhow::Result<()> {
    println!(
        "### {name}: {} plans ({} joint), year {YEAR}\n",
        summary.plans, summary.joint_plans
    );
    println!(
        "| round | plans | frame rows | selections | visits | unstaffed | commit | draw | commit + draw |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut worst = Duration::ZERO;
    for r in &summary.rounds {
        worst = worst.max(r.commit + r.draw);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | **{}** |",
            r.id,
            r.plans,
            r.frame_rows,
            r.selections,
            r.visits,
            r.unstaffed,
            ms(r.commit),
            ms(r.draw),
            ms(r.commit + r.draw)
        );
    }
    println!(
        "\nSlowest round, commit + draw (frames, exclusions, selection, visits, matching, storage): **{}** (goal < 3 s on SQLite).",
        ms(worst)
    );
    let visits = db.list::<Visit>(None).await?;
    let plan_selections: usize = visits.iter().map(|v| v.plans.len()).sum();
    println!(
        "\nDoors knocked over the year: **{} visits** for {} plan selections; drawn independently, each plan would knock on its own {} doors ({:.2}× as many).",
        visits.len(),
        plan_selections,
        plan_selections,
        plan_selections as f64 / visits.len().max(1) as f64
    );
    println!(
        "\nResults: {} item results entered, {} published on time, {} late; {} out-of-plan inspections ({} flagged); {} visits reassigned by hand; results, publication and the rest took {}.",
        summary.results,
        summary.published_on_time,
        summary.published_late,
        summary.out_of_plan,
        summary.flagged,
        summary.reassigned,
        ms(summary.rest)
    );
    let timer = Instant::now();
    let audit = service::audit::verify(db).await?;
    println!(
        "\nLedger: {} entries, {} rows checked, {} in {}.\n",
        audit.entries,
        audit.rows,
        if audit.intact() {
            "intact".to_owned()
        } else {
            format!("{} BREAKS", audit.breaks.len())
        },
        ms(timer.elapsed())
    );
    Ok(())
}
