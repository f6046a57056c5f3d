//! Credit supervision (issue 7): the national lists imported into a fresh
//! SQLite file, a batch check against them, the same check as one SQL join in
//! PostgreSQL, and the single check through the HTTP API under `wrk`.
//!
//! The data are [`crate::synth::credit`]'s: [`Lists::national`] streamed to a
//! CSV list file, an applicant file of [`Lists::applicants`] and the demo
//! matters catalogue. The import runs as a child process (`jianguan credit
//! import`) under `/usr/bin/time`, whose maximum resident set size is the peak
//! memory; without it, the child's `VmHWM` is read from /proc while it runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::NaiveDate;

use super::web::{Server, check_wrk, wrk};
use super::{Spread, field, ms, pg_admin, thousands};
use crate::synth::credit::{self as synth, Applicant, BENCH_AS_OF, Lists};
use domain::account::{Account, Role};
use domain::credit::{Matter, Outcome};
use files::credit::Applicant as Applying;
use service::credit::{self as checks, ApplicantResult, Checker};
use storage::credit::ENTRY_COLUMNS;
use storage::{self, Db, WorkflowStore};

/// The goals of issue 7.
const IMPORT_GOAL: Duration = Duration::from_secs(60);
const MEMORY_GOAL_KIB: u64 = 1024 * 1024;
const BATCH_GOAL: Duration = Duration::from_secs(1);
const HTTP_GOAL: Duration = Duration::from_millis(5);
/// wrk's connections, warm-up and measured seconds for the single check.
const CONNECTIONS: u32 = 64;
const WARM_UP_SECONDS: u32 = 3;
const MEASURE_SECONDS: u32 = 15;
/// The account that checks (信用办) and the one actor of the batch checks.
const ACCOUNT: &str = "credit.office";
const ACTOR: &str = "bench";
/// The wrk script that rotates the applicants' identifiers.
const WRK_SCRIPT: &str = include_str!("../../../../scripts/credit-check.lua");

/// Runs the credit benchmark: `entries` list entries, `applicants` applicants,
/// `runs` timed batch checks (after one warm-up), the PostgreSQL baseline with `postgres`.
pub fn run(
    entries: u64,
    applicants: usize,
    runs: usize,
    postgres: Option<&str>,
) -> anyhow::Result<()> {
    let scratch = Scratch::new()?;
    println!("## Credit supervision\n");
    let lists = Lists::national(entries);
    let files = scratch.write_files(&lists, applicants)?;
    let matter = bench_matter()?;
    println!(
        "Data: {} list entries on {} subjects (`{}`, {:.0} MiB, written in {:.1} s); {} applicants ({} listed, {} malformed); matter {} {} ({}); as of {BENCH_AS_OF}.\n",
        thousands(entries),
        thousands(lists.subjects()),
        files.entries.display(),
        files.entries_bytes as f64 / 1_048_576.0,
        files.written_in.as_secs_f64(),
        thousands(applicants as u64),
        thousands(files.listed_applicants as u64),
        thousands(files.malformed_applicants as u64),
        matter.code,
        matter.name,
        matter.rule_text(),
    );

    let database = scratch.dir.join("credit.sqlite3");
    let database_url = database
        .to_str()
        .context("the temporary folder's path is not UTF-8")?
        .to_owned();
    child(&["migrate"], &database_url)?;
    child(
        &["credit", "matters", "import", path_str(&files.matters)?],
        &database_url,
    )?;
    let first = import(&files.entries, &database_url)?;
    let again = import(&files.entries, &database_url)?;
    print_imports(&first, &again, entries);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let sqlite = runtime.block_on(batch_checks(
        &database_url,
        &matter,
        &files.applicants,
        runs,
    ))?;
    let mut table = vec![("jianguan on SQLite".to_owned(), sqlite.spread)];
    if let Some(url) = postgres {
        let baseline =
            runtime.block_on(postgres_runs(url, &database_url, &matter, &files, runs))?;
        compare(
            "jianguan on PostgreSQL",
            &sqlite.results,
            &baseline.jianguan.results,
        )?;
        compare("the SQL join", &sqlite.results, &baseline.join_results)?;
        table.push((
            "jianguan on PostgreSQL".to_owned(),
            baseline.jianguan.spread,
        ));
        table.push(("one SQL join in PostgreSQL".to_owned(), baseline.join));
        println!(
            "PostgreSQL: {} entries copied from the SQLite file in {:.1} s (COPY, then the primary key).\n",
            thousands(baseline.copied),
            baseline.copy_time.as_secs_f64()
        );
    }
    print_checks(&table, &sqlite.results, applicants, runs);
    drop(runtime);

    http_check(&database_url, &matter.code, &files, &scratch.dir)?;
    Ok(())
}

/// The matter the batch checks use: the first whose rule blocks, warns and rewards.
fn bench_matter() -> anyhow::Result<Matter> {
    synth::matters()
        .into_iter()
        .find(|m| !m.block.is_empty() && !m.warn.is_empty() && !m.reward.is_empty())
        .map(|m| m.to_domain())
        .context("no matter of the catalogue blocks, warns and rewards")
}

/// The benchmark's files.
struct Files {
    entries: PathBuf,
    entries_bytes: u64,
    written_in: Duration,
    matters: PathBuf,
    applicants: Vec<Applicant>,
    listed_applicants: usize,
    malformed_applicants: usize,
    /// The applicants' well-formed identifiers, one a line, for wrk.
    ids: PathBuf,
}

/// A temporary folder, removed with everything in it.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> anyhow::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("jianguan-bench-credit-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self { dir })
    }

    fn write_files(&self, lists: &Lists, applicants: usize) -> anyhow::Result<Files> {
        let started = Instant::now();
        let entries = self.dir.join("entries.csv");
        let file = std::fs::File::create(&entries)
            .with_context(|| format!("cannot create {}", entries.display()))?;
        synth::write_entries_csv(lists.entries(), file)?;
        let written_in = started.elapsed();
        let entries_bytes = std::fs::metadata(&entries)?.len();

        let matters = self.dir.join("matters.csv");
        synth::write_matters_csv(&synth::matters(), std::fs::File::create(&matters)?)?;
        let applicants = lists.applicants(applicants);
        let listed_applicants = applicants.iter().filter(|a| a.listed).count();
        let well_formed: Vec<&str> = applicants
            .iter()
            .filter(|a| domain::credit::Subject::parse_valid(&a.id).is_ok())
            .map(|a| a.id.as_str())
            .collect();
        let ids = self.dir.join("ids.txt");
        std::fs::write(&ids, well_formed.join("\n"))?;
        let malformed_applicants = applicants.len() - well_formed.len();
        Ok(Files {
            entries,
            entries_bytes,
            written_in,
            matters,
            applicants,
            listed_applicants,
            malformed_applicants,
            ids,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .context("the temporary folder's path is not UTF-8")
}

/// Runs `jianguan ARGS --database URL` to completion; its standard output.
fn child(args: &[&str], database: &str) -> anyhow::Result<String> {
    let output = Command::new(std::env::current_exe()?)
        .args(args)
        .args(["--database", database])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run jianguan {}", args.join(" ")))?;
    if !output.status.success() {
        bail!(
            "jianguan {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// One import by the `jianguan credit import` child process.
struct Import {
    time: Duration,
    peak_kib: Option<u64>,
    /// Its `--json` report.
    report: serde_json::Value,
}

impl Import {
    fn count(&self, name: &str) -> u64 {
        self.report
            .get(name)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    }
}

/// Imports `file` into `database` as a child process, timed, with its peak memory.
fn import(file: &Path, database: &str) -> anyhow::Result<Import> {
    let exe = std::env::current_exe()?;
    let time_file = file.with_extension("time");
    let timed = Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut command = Command::new("/usr/bin/time");
        command
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&time_file)
            .arg(&exe);
        command
    } else {
        Command::new(&exe)
    };
    command
        .args(["credit", "import", "--json", "--database", database])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let process = command
        .spawn()
        .context("cannot run jianguan credit import")?;
    let pid = process.id();
    // Without /usr/bin/time, the child's high-water mark is read while it runs.
    let watcher = (!timed).then(|| {
        std::thread::spawn(move || {
            let mut peak = None;
            while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if status.contains("State:\tZ") {
                    break;
                }
                peak = field(&status, "VmHWM")
                    .and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
                    .or(peak);
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    });
    let output = process.wait_with_output()?;
    let time = started.elapsed();
    if !output.status.success() {
        bail!(
            "jianguan credit import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peak_kib = match watcher {
        Some(watcher) => watcher.join().ok().flatten(),
        None => std::fs::read_to_string(&time_file)
            .ok()
            .and_then(|text| text.trim().lines().last()?.trim().parse().ok()),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with('{'))
        .unwrap_or("{}");
    let report = serde_json::from_str(line)
        .with_context(|| format!("cannot read the import's report: {stdout}"))?;
    Ok(Import {
        time,
        peak_kib,
        report,
    })
}

fn print_imports(first: &Import, again: &Import, entries: u64) {
    let memory = |import: &Import| {
        import.peak_kib.map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.0} MiB", kib as f64 / 1024.0),
        )
    };
    let met = |import: &Import| {
        let fast = import.time < IMPORT_GOAL;
        let small = import.peak_kib.is_some_and(|kib| kib < MEMORY_GOAL_KIB);
        match (fast, small) {
            (true, true) => "yes",
            (true, false) => "no (memory)",
            (false, true) => "no (time)",
            (false, false) => "no",
        }
    };
    println!(
        "| import into a fresh SQLite file | rows | inserted | updated | rejected | wall time | peak memory | goal | met |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|---|");
    for (label, import) in [("first import", first), ("the same file again", again)] {
        println!(
            "| {label} | {} | {} | {} | {} | {:.1} s | {} | < 60 s, < 1 GiB | {} |",
            thousands(entries),
            thousands(import.count("imported")),
            thousands(import.count("updated")),
            thousands(import.count("rejected")),
            import.time.as_secs_f64(),
            memory(import),
            met(import),
        );
    }
    let reimport_ok = again.count("imported") == 0 && again.count("updated") == 0;
    println!(
        "\nRe-import changes nothing: {} (inserted {}, updated {}); import rate {} rows/s.\n",
        if reimport_ok { "yes" } else { "NO" },
        again.count("imported"),
        again.count("updated"),
        thousands((entries as f64 / first.time.as_secs_f64().max(1e-9)).round() as u64),
    );
}

/// Timed batch checks and the last run's results.
struct Checks {
    spread: Spread,
    results: Vec<ApplicantResult>,
}

/// `runs` timed batch checks (after one warm-up) on the database at `url`.
async fn batch_checks(
    url: &str,
    matter: &Matter,
    applicants: &[Applicant],
    runs: usize,
) -> anyhow::Result<Checks> {
    let db = storage::open(url).await?;
    let outcome = timed_checks(&db, matter, applicants, runs).await;
    db.close().await;
    outcome
}

async fn timed_checks(
    db: &Db,
    matter: &Matter,
    applicants: &[Applicant],
    runs: usize,
) -> anyhow::Result<Checks> {
    let mut times = Vec::with_capacity(runs);
    let mut results = Vec::new();
    let checker = Checker {
        actor: ACTOR.to_owned(),
        department: None,
    };
    for run in 0..=runs {
        let batch = core_applicants(applicants);
        let started = Instant::now();
        let report = checks::check_applicants(db, matter, &batch, BENCH_AS_OF, &checker).await?;
        if run > 0 {
            times.push(started.elapsed());
        }
        results = report.results;
    }
    Ok(Checks {
        spread: Spread::of(&times),
        results,
    })
}

/// The applicants as a file would give them (building them is part of the timed check).
fn core_applicants(applicants: &[Applicant]) -> Vec<Applying> {
    applicants
        .iter()
        .zip(2..)
        .map(|(a, row)| Applying {
            id: a.id.clone(),
            name: Some(a.name.clone()),
            row,
        })
        .collect()
}

fn print_checks(
    table: &[(String, Spread)],
    results: &[ApplicantResult],
    applicants: usize,
    runs: usize,
) {
    let mut outcomes: BTreeMap<Outcome, usize> = BTreeMap::new();
    for result in results {
        *outcomes.entry(result.outcome).or_default() += 1;
    }
    let hits: usize = results.iter().map(|r| r.hits.len()).sum();
    println!(
        "Batch check of {} applicants, as of {BENCH_AS_OF} ({runs} timed runs after one warm-up; every check logged): {}; {} hits.\n",
        thousands(applicants as u64),
        outcomes
            .iter()
            .map(|(o, n)| format!("{} {}", o.as_str(), thousands(*n as u64)))
            .collect::<Vec<_>>()
            .join(", "),
        thousands(hits as u64),
    );
    println!("| batch check | time | ratio to jianguan on SQLite | goal | met |");
    println!("|---|---:|---:|---|---|");
    let ours = table
        .first()
        .map_or(Duration::ZERO, |(_, spread)| spread.median);
    for (label, spread) in table {
        let ratio = spread.median.as_secs_f64() / ours.as_secs_f64().max(1e-9);
        let goal = if label.contains("SQL join") {
            "baseline"
        } else {
            "< 1 s"
        };
        let met = if label.contains("SQL join") {
            ""
        } else if spread.median < BATCH_GOAL {
            "yes"
        } else {
            "no"
        };
        println!("| {label} | {spread} | {ratio:.2} | {goal} | {met} |");
    }
    println!();
}

/// Checks that two runs gave every applicant the same outcome.
fn compare(what: &str, ours: &[ApplicantResult], theirs: &[ApplicantResult]) -> anyhow::Result<()> {
    if ours.len() != theirs.len() {
        bail!(
            "{what} answered for {} applicants, jianguan on SQLite for {}",
            theirs.len(),
            ours.len()
        );
    }
    let differing: Vec<String> = ours
        .iter()
        .zip(theirs)
        .filter(|(a, b)| a.id != b.id || a.outcome != b.outcome)
        .take(5)
        .map(|(a, b)| {
            format!(
                "{} {} / {} {}",
                a.id,
                a.outcome.as_str(),
                b.id,
                b.outcome.as_str()
            )
        })
        .collect();
    if !differing.is_empty() {
        bail!(
            "{what} disagrees with jianguan on SQLite: {}",
            differing.join("; ")
        );
    }
    println!(
        "Outcomes of {what} and of jianguan on SQLite: identical for all {} applicants.\n",
        thousands(ours.len() as u64)
    );
    Ok(())
}

/// The PostgreSQL figures.
struct Baseline {
    copied: u64,
    copy_time: Duration,
    jianguan: Checks,
    join: Spread,
    join_results: Vec<ApplicantResult>,
}

/// Loads the entries of the SQLite file into a fresh schema of the PostgreSQL
/// database at `base`, then times jianguan's batch check there and the same
/// check as one SQL join; the schema is dropped afterwards.
async fn postgres_runs(
    base: &str,
    sqlite: &str,
    matter: &Matter,
    files: &Files,
    runs: usize,
) -> anyhow::Result<Baseline> {
    let applicants = &files.applicants;
    let schema = format!("bench_credit_{}", std::process::id());
    pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    pg_admin(base, &format!("CREATE SCHEMA {schema}")).await?;
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema}");
    let outcome = async {
        child(&["migrate"], &url)?;
        child(
            &["credit", "matters", "import", path_str(&files.matters)?],
            &url,
        )?;
        let db = storage::open(&url).await?;
        let started = Instant::now();
        let copied = copy_entries(sqlite, &url).await?;
        let copy_time = started.elapsed();
        let jianguan = timed_checks(&db, matter, applicants, runs).await?;
        db.close().await;
        let (join, join_results) = sql_join(&url, matter, applicants, runs).await?;
        anyhow::Ok(Baseline {
            copied,
            copy_time,
            jianguan,
            join,
            join_results,
        })
    }
    .await;
    pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    outcome
}

/// Rows read from SQLite per query while copying.
const COPY_PAGE: i64 = 50_000;

/// Copies every entry of the SQLite file into PostgreSQL's `credit_entries`
/// with COPY (the primary key dropped during the load and rebuilt after),
/// reading SQLite in primary-key order a page at a time.
async fn copy_entries(sqlite: &str, postgres: &str) -> anyhow::Result<u64> {
    use sqlx::{Connection as _, Row as _};
    let mut source = sqlx::SqliteConnection::connect(&format!("sqlite://{sqlite}?mode=ro")).await?;
    let mut target = sqlx::PgConnection::connect(postgres).await?;
    sqlx::query("ALTER TABLE credit_entries DROP CONSTRAINT credit_entries_pkey")
        .execute(&mut target)
        .await?;
    let columns = ENTRY_COLUMNS.join(", ");
    let mut copy = target
        .copy_in_raw(&format!(
            "COPY credit_entries ({columns}) FROM STDIN WITH (FORMAT csv)"
        ))
        .await?;
    let first = format!(
        "SELECT {columns} FROM credit_entries ORDER BY subject, list_type, listed_on, ref_no LIMIT ?1"
    );
    let next = format!(
        "SELECT {columns} FROM credit_entries WHERE (subject, list_type, listed_on, ref_no) > ($2, $3, $4, $5) \
         ORDER BY subject, list_type, listed_on, ref_no LIMIT $1"
    );
    let mut copied = 0u64;
    let mut last: Option<[String; 4]> = None;
    loop {
        let query = match &last {
            None => sqlx::query(&first).bind(COPY_PAGE),
            Some([subject, list, listed, reference]) => sqlx::query(&next)
                .bind(COPY_PAGE)
                .bind(subject)
                .bind(list)
                .bind(listed)
                .bind(reference),
        };
        let rows = query.fetch_all(&mut source).await?;
        let Some(tail) = rows.last() else { break };
        last = Some([
            tail.try_get(0)?,
            tail.try_get(1)?,
            tail.try_get(2)?,
            tail.try_get(3)?,
        ]);
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(1 << 22));
        for row in &rows {
            let mut record = csv::ByteRecord::new();
            for index in 0..ENTRY_COLUMNS.len() {
                // NULL is an unquoted empty field; an empty text never occurs (NOT NULL texts are required).
                let value: Option<String> = row.try_get(index)?;
                record.push_field(value.as_deref().unwrap_or("").as_bytes());
            }
            csv.write_byte_record(&record)?;
        }
        copy.send(csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
            .await?;
        copied += rows.len() as u64;
    }
    copy.finish().await?;
    sqlx::query(
        "ALTER TABLE credit_entries ADD PRIMARY KEY (subject, list_type, listed_on, ref_no)",
    )
    .execute(&mut target)
    .await?;
    sqlx::query("ANALYZE credit_entries")
        .execute(&mut target)
        .await?;
    target.close().await?;
    source.close().await?;
    Ok(copied)
}

/// The batch check as one SQL join: the applicants in a temporary table, the
/// entries that count on the date (listed, valid, not removed, within the
/// severity's publication cap), the matter's rule deciding the outcome.
const JOIN: &str = "
WITH hits AS (
    SELECT a.ordinal, e.list_type
    FROM bench_applicants a
    JOIN credit_entries e ON e.subject = a.id
    WHERE e.listed_on <= $1
      AND (e.valid_until IS NULL OR e.valid_until >= $1)
      AND (e.removed_on IS NULL OR e.removed_on > $1)
      AND (e.severity IS NULL OR COALESCE(e.decided_on, e.listed_on)
           + CASE e.severity WHEN '轻微' THEN interval '3 months' WHEN '一般' THEN interval '1 year' ELSE interval '3 years' END > $1)
)
SELECT a.ordinal, a.id,
    CASE WHEN bool_or(h.list_type = ANY($2)) THEN 'block'
         WHEN bool_or(h.list_type = ANY($3)) THEN 'warn'
         WHEN bool_or(h.list_type = ANY($4)) THEN 'reward'
         ELSE 'clear' END AS outcome
FROM bench_applicants a
LEFT JOIN hits h ON h.ordinal = a.ordinal
GROUP BY a.ordinal, a.id
ORDER BY a.ordinal";

/// Times [`JOIN`] `runs` times (after one warm-up) on one connection.
async fn sql_join(
    url: &str,
    matter: &Matter,
    applicants: &[Applicant],
    runs: usize,
) -> anyhow::Result<(Spread, Vec<ApplicantResult>)> {
    use sqlx::{Connection as _, Row as _};
    let mut connection = sqlx::PgConnection::connect(url).await?;
    sqlx::query(
        "CREATE TEMPORARY TABLE bench_applicants (ordinal INTEGER PRIMARY KEY, id TEXT NOT NULL)",
    )
    .execute(&mut connection)
    .await?;
    let ordinals: Vec<i32> = (0..applicants.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    let ids: Vec<String> = applicants
        .iter()
        .map(|a| a.id.trim().to_uppercase())
        .collect();
    sqlx::query("INSERT INTO bench_applicants SELECT * FROM unnest($1::int[], $2::text[])")
        .bind(&ordinals)
        .bind(&ids)
        .execute(&mut connection)
        .await?;
    sqlx::query("ANALYZE bench_applicants")
        .execute(&mut connection)
        .await?;
    let codes = |types: &[domain::credit::ListType]| {
        types
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let (block, warn, reward) = (
        codes(&matter.block),
        codes(&matter.warn),
        codes(&matter.reward),
    );
    let as_of: NaiveDate = BENCH_AS_OF;
    let mut times = Vec::with_capacity(runs);
    let mut rows = Vec::new();
    for run in 0..=runs {
        let started = Instant::now();
        rows = sqlx::query(JOIN)
            .bind(as_of)
            .bind(&block)
            .bind(&warn)
            .bind(&reward)
            .fetch_all(&mut connection)
            .await?;
        if run > 0 {
            times.push(started.elapsed());
        }
    }
    connection.close().await?;
    let results = rows
        .iter()
        .zip(applicants)
        .map(|(row, applicant)| {
            let outcome: String = row.try_get("outcome")?;
            let outcome = if domain::credit::Subject::parse_valid(&applicant.id).is_err() {
                // The join knows no identifier rules: a malformed one simply matches nothing.
                Outcome::Invalid
            } else {
                Outcome::parse(&outcome)?
            };
            anyhow::Ok(ApplicantResult {
                id: applicant.id.clone(),
                name: None,
                kind: None,
                outcome,
                reason: None,
                reason_zh: None,
                hits: Vec::new(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((Spread::of(&times), results))
}

/// The single check through the HTTP API: the server over the SQLite file,
/// `wrk` with [`CONNECTIONS`] connections rotating the applicants' identifiers.
fn http_check(database: &str, matter: &str, files: &Files, dir: &Path) -> anyhow::Result<()> {
    check_wrk()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let token = runtime.block_on(async {
        let db = storage::open(database).await?;
        let token = bench_token(&db).await;
        db.close().await;
        token
    })?;
    drop(runtime);
    let script = dir.join("credit-check.lua");
    std::fs::write(&script, WRK_SCRIPT)?;
    let server = Server::start(database, false)?;
    let url = format!("{}/api/v1/credit/check", server.base);
    let options = vec!["--script".to_owned(), path_str(&script)?.to_owned()];
    let script_args = vec![
        path_str(&files.ids)?.to_owned(),
        token,
        matter.to_owned(),
        BENCH_AS_OF.to_string(),
    ];
    let measured = wrk(&url, CONNECTIONS, WARM_UP_SECONDS, &options, &script_args)
        .and_then(|_| wrk(&url, CONNECTIONS, MEASURE_SECONDS, &options, &script_args));
    server.stop();
    let figures = measured?;
    let met = if figures.failures > 0 {
        format!(
            "no: {} answers were not 2xx/3xx",
            thousands(figures.failures)
        )
    } else if figures.p99 < HTTP_GOAL {
        "yes".to_owned()
    } else {
        "no".to_owned()
    };
    println!(
        "| single check over HTTP | connections | requests/s | p50 | p99 | goal (p99) | met |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    println!(
        "| `POST /api/v1/credit/check` (Bearer token of {ACCOUNT}) | {CONNECTIONS} | {} | {} | {} | < {} | {met} |\n",
        thousands(figures.requests_per_second.round() as u64),
        ms(figures.median),
        ms(figures.p99),
        ms(HTTP_GOAL),
    );
    Ok(())
}

/// The 信用办 account and an API token for it.
async fn bench_token(db: &Db) -> anyhow::Result<String> {
    let account = Account {
        username: ACCOUNT.to_owned(),
        display_name: "信用办".to_owned(),
        role: Role::CreditOffice,
        department: None,
        certificate: None,
        password_hash: String::new(),
        must_change_password: false,
        disabled: false,
    };
    if db.get::<Account>(ACCOUNT).await?.is_none() {
        service::accounts::save_account(
            db,
            account,
            Some(crate::demo::DEMO_PASSWORD.to_owned()),
            ACTOR,
        )
        .await?;
    }
    Ok(service::accounts::issue_token(db, ACCOUNT, "jianguan bench credit", ACTOR).await?)
}
