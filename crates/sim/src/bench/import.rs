//! Directory import: the 403,000 Huangshi entities from CSV and from XLSX into a
//! fresh SQLite database (and PostgreSQL schema), fully validated, against the
//! `sqlite3` shell's `.import --csv` of the same CSV into a table keyed like
//! jianguan's (`WITHOUT ROWID`) and, with `--postgres`, `psql`'s `\copy` of it
//! into a bare table.
//!
//! The rows are written in an arbitrary order (a ChaCha20 shuffle with a fixed
//! seed, so every run reads the same file), as registration exports come,
//! not in key order.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{Spread, ms, peak_rss_kib, reset_peak_rss, thousands};
use crate::synth::{City, Entity, Stream};
use files::{self, Kind, Options};
use storage::{self, EntityFilter, Store};

/// The files and the temporary directory holding them (removed on drop).
struct Files {
    dir: PathBuf,
    csv: PathBuf,
    xlsx: PathBuf,
    rows: usize,
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The cells of a synthetic entity, in the order of the export headers.
fn cells(city: &City, index: usize, e: &Entity) -> [String; 13] {
    const TYPES: [&str; 4] = ["企业", "个体工商户", "企业", "农民专业合作社"];
    let year = 1995 + (index % 28);
    let month = 1 + index % 12;
    let day = 1 + index % 28;
    let district = &city.districts[usize::from(e.district)];
    [
        e.uscc.as_str().to_owned(),
        e.name.clone(),
        TYPES[index % TYPES.len()].to_owned(),
        district.code.to_owned(),
        e.industry.code(),
        format!("{year}-{month:02}-{day:02}"),
        if index.is_multiple_of(50) {
            "注销"
        } else {
            "存续"
        }
        .to_owned(),
        format!("湖北省黄石市{}{}号", district.name, index % 997 + 1),
        if index.is_multiple_of(3) {
            String::new()
        } else {
            "王五".to_owned()
        },
        e.risk.as_str().to_owned(),
        format!("{}-06-30", year + 1),
        if index.is_multiple_of(10) {
            "食品生产".to_owned()
        } else {
            String::new()
        },
        String::new(),
    ]
}

/// Writes the city's entities, in an arbitrary order, as a UTF-8 CSV (with a BOM,
/// as Excel writes it) and an XLSX.
fn write_files(city: &City) -> anyhow::Result<Files> {
    let dir = std::env::temp_dir().join(format!("jianguan-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let files = Files {
        csv: dir.join("entities.csv"),
        xlsx: dir.join("entities.xlsx"),
        dir,
        rows: city.entities.len(),
    };
    let headers = files::export::headers(Kind::Entities);
    let mut order: Vec<usize> = (0..city.entities.len()).collect();
    Stream::named("bench import row order").shuffle(&mut order);
    let rows = || {
        order
            .iter()
            .filter_map(|&index| city.entities.get(index).map(|e| (index, e)))
    };

    let mut file = std::io::BufWriter::new(std::fs::File::create(&files.csv)?);
    std::io::Write::write_all(&mut file, b"\xEF\xBB\xBF")?;
    let mut csv = csv::Writer::from_writer(file);
    csv.write_record(&headers)?;
    for (index, e) in rows() {
        csv.write_record(cells(city, index, e))?;
    }
    csv.flush()?;
    drop(csv);

    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("数据")?;
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string(0, u16::try_from(column)?, *header)?;
    }
    for (line, (index, e)) in rows().enumerate() {
        let row = u32::try_from(line + 1)?;
        for (column, cell) in cells(city, index, e).iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(row, u16::try_from(column)?, cell)?;
            }
        }
    }
    workbook.save(&files.xlsx)?;
    Ok(files)
}

/// One import: its time, peak memory (KiB, if measurable) and outcome.
struct Run {
    time: Duration,
    peak_kib: Option<u64>,
    outcome: files::Outcome,
}

/// Imports `path` into `store` (already migrated), timing the whole validated import.
async fn import_once<S: Store>(store: &S, path: &Path) -> anyhow::Result<Run> {
    let measured = reset_peak_rss();
    let started = Instant::now();
    let outcome = files::import_file(store, Kind::Entities, path, &Options::default()).await?;
    let time = started.elapsed();
    Ok(Run {
        time,
        peak_kib: if measured { peak_rss_kib() } else { None },
        outcome,
    })
}

/// Checks an import of `rows` rows did what it should: every row written, or
/// found unchanged on a re-import.
fn check(run: &Run, rows: usize, fresh: bool) -> anyhow::Result<()> {
    let o = &run.outcome;
    if !o.errors.is_empty() || o.total_rows != rows || o.imported() + o.unchanged != rows as u64 {
        bail!(
            "the import went wrong: {} rows read, {} imported, {} unchanged, {} errors (first: {:?})",
            o.total_rows,
            o.imported(),
            o.unchanged,
            o.errors.len(),
            o.errors.first()
        );
    }
    if fresh && o.inserted != rows as u64 {
        bail!("a fresh import inserted {} of {rows} rows", o.inserted);
    }
    Ok(())
}

/// Timings of imports into fresh SQLite databases in `dir`.
async fn sqlite_runs(
    dir: &Path,
    path: &Path,
    rows: usize,
    runs: usize,
    tag: &str,
) -> anyhow::Result<Vec<Run>> {
    let mut out = Vec::with_capacity(runs);
    for n in 0..runs {
        let db_path = dir.join(format!("ours-{tag}-{n}.sqlite3"));
        let store = storage::open(&db_path.display().to_string()).await?;
        store.migrate().await?;
        crate::demo::set_up_demo_city(&store).await?;
        let run = import_once(&store, path).await?;
        check(&run, rows, true)?;
        let count = store.count_entities(&EntityFilter::default()).await?;
        if count != rows as u64 {
            bail!("{count} entities in the database after importing {rows}");
        }
        store.close().await;
        remove_sqlite(&db_path);
        out.push(run);
    }
    Ok(out)
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Whether the `sqlite3` shell is installed, and its version.
fn sqlite3_version() -> Option<String> {
    let output = Command::new("sqlite3").arg("--version").output().ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .to_owned()
    })
}

/// `sqlite3 fresh.db ".import --csv --skip 1 file entities"` into a table keyed
/// like jianguan's (the 统一社会信用代码 column the `WITHOUT ROWID` primary
/// key): wall-clock time including the shell's start-up.
fn sqlite3_import(dir: &Path, csv: &Path, n: usize, rows: usize) -> anyhow::Result<Duration> {
    let db_path = dir.join(format!("baseline-{n}.sqlite3"));
    remove_sqlite(&db_path);
    let headers = files::export::headers(Kind::Entities);
    let key = headers
        .iter()
        .position(|h| h.contains("统一社会信用代码"))
        .unwrap_or(0);
    let columns: Vec<String> = (0..headers.len())
        .map(|i| format!("c{i} TEXT{}", if i == key { " NOT NULL" } else { "" }))
        .collect();
    let create = format!(
        "CREATE TABLE entities ({}, PRIMARY KEY (c{key})) WITHOUT ROWID;",
        columns.join(", ")
    );
    let started = Instant::now();
    let output = Command::new("sqlite3")
        .arg(&db_path)
        .arg(create)
        .arg(format!(".import --csv --skip 1 {} entities", csv.display()))
        .output()
        .context("could not run sqlite3")?;
    let time = started.elapsed();
    if !output.status.success() || !output.stderr.is_empty() {
        bail!(
            "sqlite3 .import failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let count = Command::new("sqlite3")
        .arg(&db_path)
        .arg("SELECT count(*) FROM entities")
        .output()?;
    let count = String::from_utf8_lossy(&count.stdout).trim().to_owned();
    if count != rows.to_string() {
        bail!("sqlite3 .import loaded {count} rows, not {rows}");
    }
    remove_sqlite(&db_path);
    Ok(time)
}

fn peak(runs: &[Run]) -> String {
    runs.iter().filter_map(|r| r.peak_kib).max().map_or_else(
        || "not measurable".into(),
        |kib| format!("{:.0} MiB", kib as f64 / 1024.0),
    )
}

fn spread(runs: &[Run]) -> Spread {
    Spread::of(&runs.iter().map(|r| r.time).collect::<Vec<_>>())
}

fn rate(rows: usize, time: Duration) -> String {
    format!(
        "{} rows/s",
        thousands((rows as f64 / time.as_secs_f64()).round() as u64)
    )
}

/// Runs the import benchmark and prints its section of the report.
pub(super) fn run(runs: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let started = Instant::now();
    let city = City::huangshi();
    let files = write_files(&city)?;
    drop(city);
    let rows = files.rows;
    let csv_bytes = std::fs::metadata(&files.csv)?.len();
    let xlsx_bytes = std::fs::metadata(&files.xlsx)?.len();
    println!("## Directory import\n");
    println!(
        "{} synthetic Huangshi entities (`synth::City::huangshi()`, valid 统一社会信用代码, 13 columns with the \
         Chinese template headers) written (not timed, {:.1} s) as a UTF-8 CSV of {:.1} MiB and an XLSX of {:.1} MiB. \
         Each run imports the file into a fresh, migrated database: read, decode, validate every row, upsert. \
         {runs} timed runs each; medians.\n",
        thousands(rows as u64),
        started.elapsed().as_secs_f64(),
        csv_bytes as f64 / 1_048_576.0,
        xlsx_bytes as f64 / 1_048_576.0,
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let csv_runs = runtime.block_on(sqlite_runs(&files.dir, &files.csv, rows, runs, "csv"))?;
    let xlsx_runs = runtime.block_on(sqlite_runs(&files.dir, &files.xlsx, rows, runs, "xlsx"))?;
    // Re-importing the same file into the same database: every row unchanged.
    let reimport = runtime.block_on(async {
        let db_path = files.dir.join("reimport.sqlite3");
        let store = storage::open(&db_path.display().to_string()).await?;
        store.migrate().await?;
        crate::demo::set_up_demo_city(&store).await?;
        check(&import_once(&store, &files.csv).await?, rows, true)?;
        let again = import_once(&store, &files.csv).await?;
        check(&again, rows, false)?;
        if again.outcome.unchanged != rows as u64 {
            bail!(
                "a re-import of the same file counted {} of {rows} rows as unchanged ({} updated)",
                again.outcome.unchanged,
                again.outcome.updated
            );
        }
        store.close().await;
        remove_sqlite(&db_path);
        anyhow::Ok(again.time)
    })?;

    let baseline = match sqlite3_version() {
        None => {
            println!(
                "**The `sqlite3` shell is not installed: no baseline** (`apt-get install -y sqlite3`).\n"
            );
            None
        }
        Some(version) => {
            let _warm_up = sqlite3_import(&files.dir, &files.csv, 0, rows)?;
            let times = (1..=runs)
                .map(|n| sqlite3_import(&files.dir, &files.csv, n, rows))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Some((version, Spread::of(&times)))
        }
    };

    let pg_runs = match postgres {
        None => None,
        Some(url) => Some(runtime.block_on(postgres_runs(url, &files, runs))?),
    };
    let pg_baseline = match postgres {
        None => None,
        Some(url) => match psql_version() {
            None => {
                println!("**`psql` is not installed: no PostgreSQL baseline.**\n");
                None
            }
            Some(version) => {
                let _warm_up = runtime.block_on(psql_copy(url, &files, 0))?;
                let mut times = Vec::with_capacity(runs);
                for n in 1..=runs {
                    times.push(runtime.block_on(psql_copy(url, &files, n))?);
                }
                Some((version, Spread::of(&times)))
            }
        },
    };

    let csv = spread(&csv_runs);
    let xlsx = spread(&xlsx_runs);
    println!(
        "| import of {} entities | time | rate | peak memory (VmHWM) |",
        thousands(rows as u64)
    );
    println!("|---|---|---|---|");
    println!(
        "| **SQLite, from CSV** | **{csv}** | {} | {} |",
        rate(rows, csv.median),
        peak(&csv_runs)
    );
    println!(
        "| **SQLite, from XLSX** | **{xlsx}** | {} | {} |",
        rate(rows, xlsx.median),
        peak(&xlsx_runs)
    );
    println!(
        "| SQLite, the same CSV again (every row unchanged, one run) | {} | {} | |",
        ms(reimport),
        rate(rows, reimport)
    );
    if let Some((pg_csv, pg_xlsx)) = &pg_runs {
        let (c, x) = (spread(pg_csv), spread(pg_xlsx));
        println!(
            "| PostgreSQL, from CSV | {c} | {} | {} |",
            rate(rows, c.median),
            peak(pg_csv)
        );
        println!(
            "| PostgreSQL, from XLSX | {x} | {} | {} |",
            rate(rows, x.median),
            peak(pg_xlsx)
        );
        if let Some((version, base)) = &pg_baseline {
            println!(
                "| baseline: `psql` {version} `\\copy` (CSV) into a bare table (wall clock, with start-up) | {base} | {} | |",
                rate(rows, base.median)
            );
        }
    }
    match &baseline {
        Some((version, base)) => {
            println!(
                "| baseline: `sqlite3` {version} shell, `.import --csv` into a keyed `WITHOUT ROWID` table (wall clock, with start-up) | {base} | {} | |",
                rate(rows, base.median)
            );
            let ratio = |ours: Spread| ours.median.as_secs_f64() / base.median.as_secs_f64();
            println!(
                "\nRatio ours / sqlite3 `.import` (medians): **CSV {:.2}×, XLSX {:.2}×** (goal: within 2×).\n",
                ratio(csv),
                ratio(xlsx)
            );
        }
        None => println!("\nRatio ours / sqlite3: not measured (no `sqlite3` shell).\n"),
    }
    if let (Some((pg_csv, _)), Some((_, base))) = (&pg_runs, &pg_baseline) {
        println!(
            "Ratio ours / `psql \\copy` (medians): **PostgreSQL CSV {:.2}×** (goal: within 2×).\n",
            spread(pg_csv).median.as_secs_f64() / base.median.as_secs_f64()
        );
    }
    if pg_runs.is_none() {
        println!("PostgreSQL: skipped (no `--postgres URL`).\n");
    }
    Ok(())
}

/// The same imports into fresh schemas of the PostgreSQL database at `url` (dropped afterwards).
async fn postgres_runs(
    url: &str,
    files: &Files,
    runs: usize,
) -> anyhow::Result<(Vec<Run>, Vec<Run>)> {
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("cannot connect to {}", storage::redact(url)))?;
    let mut csv = Vec::with_capacity(runs);
    let mut xlsx = Vec::with_capacity(runs);
    for n in 0..runs * 2 {
        let schema = format!("bench_import_{}_{n}", std::process::id());
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&mut admin)
            .await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await?;
        let separator = if url.contains('?') { '&' } else { '?' };
        let result = async {
            let store =
                storage::open(&format!("{url}{separator}options[search_path]={schema}")).await?;
            store.migrate().await?;
            crate::demo::set_up_demo_city(&store).await?;
            let path = if n % 2 == 0 { &files.csv } else { &files.xlsx };
            let run = import_once(&store, path).await?;
            store.close().await;
            check(&run, files.rows, true)?;
            anyhow::Ok(run)
        }
        .await;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&mut admin)
            .await?;
        let run = result?;
        if n % 2 == 0 {
            csv.push(run)
        } else {
            xlsx.push(run)
        }
    }
    Ok((csv, xlsx))
}

/// Whether `psql` is installed, and its version.
fn psql_version() -> Option<String> {
    let output = Command::new("psql").arg("--version").output().ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .last()
            .unwrap_or("?")
            .to_owned()
    })
}

/// `psql URL -c "\copy schema.entities FROM file CSV HEADER"` into a bare
/// table of 13 text columns in a fresh schema (dropped afterwards): wall-clock
/// time including psql's start-up.
async fn psql_copy(url: &str, files: &Files, n: usize) -> anyhow::Result<Duration> {
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("cannot connect to {}", storage::redact(url)))?;
    let schema = format!("bench_psql_copy_{}_{n}", std::process::id());
    let columns: Vec<String> = (1..=13).map(|c| format!("c{c} text")).collect();
    for statement in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
        format!("CREATE TABLE {schema}.entities ({})", columns.join(", ")),
    ] {
        sqlx::query(&statement).execute(&mut admin).await?;
    }
    let started = Instant::now();
    let output = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c"])
        .arg(format!(
            "\\copy {schema}.entities FROM '{}' WITH (FORMAT csv, HEADER true)",
            files.csv.display()
        ))
        .output()
        .context("could not run psql")?;
    let time = started.elapsed();
    let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {schema}.entities"))
        .fetch_one(&mut admin)
        .await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut admin)
        .await?;
    if !output.status.success() {
        bail!(
            "psql \\copy failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    if count != files.rows as i64 {
        bail!("psql \\copy loaded {count} rows, not {}", files.rows);
    }
    Ok(time)
}
