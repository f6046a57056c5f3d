//! SIGKILL trials of the real binary on SQLite: run a command on a copy of a
//! prepared database, kill it after a delay drawn from a seeded ChaCha20
//! stream, then check the database (`integrity_check`, `foreign_key_check`,
//! `audit verify`), run the command again to the end and compare the data
//! with an uninterrupted run's.
//!
//! `JIANGUAN_CRASH_KILLS` sets the kills per operation (default 20),
//! `JIANGUAN_CRASH_SEED` the stream's name (default `crash-v1`).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sim::synth::Stream;
use sqlx::{Connection as _, Row as _, SqliteConnection};

type Fallible<T> = Result<T, Box<dyn Error>>;

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_jianguan");

/// Kills per operation: `JIANGUAN_CRASH_KILLS`, else 20.
pub fn kills() -> usize {
    std::env::var("JIANGUAN_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// The seed's name: `JIANGUAN_CRASH_SEED`, else `crash-v1`.
pub fn seed() -> String {
    std::env::var("JIANGUAN_CRASH_SEED").unwrap_or_else(|_| "crash-v1".into())
}

/// One operation under trial.
pub struct Operation<'a> {
    /// Its name, e.g. `credit import`.
    pub name: &'a str,
    /// The prepared database, closed.
    pub base: &'a Path,
    /// A scratch folder.
    pub dir: &'a Path,
    /// The command's arguments after the binary; `{db}` is replaced by the database.
    pub args: Vec<String>,
    /// The data compared between runs, read from a database.
    pub dump: &'a dyn Fn(&Path) -> Fallible<Vec<String>>,
    /// Where a kill landed, read from the killed database before anything opens it.
    pub phase: &'a dyn Fn(&Path) -> Fallible<String>,
    /// Whether the operator runs the command again after a kill (an import
    /// always; a draw only when it did not commit, as a drawn round refuses).
    pub rerun: &'a dyn Fn(&Path) -> Fallible<bool>,
}

/// Run the command again after every kill.
pub fn always(_: &Path) -> Fallible<bool> {
    Ok(true)
}

/// What the trials found.
#[derive(Debug)]
pub struct Report {
    /// The uninterrupted run's duration.
    pub run: Duration,
    /// Kills sent (the command was still running).
    pub killed: usize,
    /// Trials whose command ended before its kill.
    pub finished_first: usize,
    /// Kills per phase, in order of first appearance.
    pub phases: Vec<(String, usize)>,
    /// The largest database file after a re-run, and the uninterrupted run's.
    pub largest: u64,
    /// The uninterrupted run's database size.
    pub reference_size: u64,
    /// Wall time of all trials.
    pub total: Duration,
}

/// Copies a closed database: its file and its write-ahead log, if one is left.
fn copy_database(from: &Path, to: &Path) -> Fallible<()> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
    }
    std::fs::copy(from, to)?;
    let wal = PathBuf::from(format!("{}-wal", from.display()));
    if wal.exists() {
        std::fs::copy(&wal, format!("{}-wal", to.display()))?;
    }
    Ok(())
}

fn command(args: &[String], db: &Path) -> Command {
    let mut command = Command::new(BINARY);
    let db = db.display().to_string();
    command
        .args(args.iter().map(|a| a.replace("{db}", &db)))
        .env_remove("JIANGUAN_DATABASE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn run_to_end(args: &[String], db: &Path, what: &str) -> Fallible<()> {
    let output = command(args, db).stderr(Stdio::piped()).output()?;
    if !output.status.success() {
        return Err(format!(
            "{what}: {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// `PRAGMA integrity_check` says ok and `foreign_key_check` finds nothing.
pub fn check_integrity(db: &Path) -> Fallible<()> {
    let url = format!("sqlite://{}", db.display());
    crate::common::runtime()?.block_on(async {
        let mut connection = SqliteConnection::connect(&url).await?;
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut connection)
            .await?;
        let verdict: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
        if verdict != ["ok"] {
            return Err(format!("integrity_check: {verdict:?}").into());
        }
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut connection)
            .await?;
        if !broken.is_empty() {
            return Err(format!("foreign_key_check: {} rows", broken.len()).into());
        }
        connection.close().await?;
        Ok::<_, Box<dyn Error>>(())
    })
}

/// `jianguan audit verify` says `intact`.
pub fn check_audit(db: &Path) -> Fallible<()> {
    let output = command(&[], db)
        .args(["audit", "verify", "--database", &db.display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !text.starts_with("intact") {
        return Err(format!(
            "audit verify: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// Rows of `sql` (every column `quote`d and joined by `|`), sorted.
pub fn rows(db: &Path, sql: &str) -> Fallible<Vec<String>> {
    let url = format!("sqlite://{}", db.display());
    crate::common::runtime()?.block_on(async {
        let mut connection = SqliteConnection::connect(&url).await?;
        let found = sqlx::query(sql).fetch_all(&mut connection).await?;
        let mut out = Vec::with_capacity(found.len());
        for row in &found {
            let mut cells = Vec::new();
            for index in 0..sqlx::Row::len(row) {
                cells.push(
                    row.try_get::<Option<String>, _>(index)?
                        .unwrap_or_else(|| "NULL".into()),
                );
            }
            out.push(cells.join("|"));
        }
        connection.close().await?;
        out.sort();
        Ok::<_, Box<dyn Error>>(out)
    })
}

/// The rows of `table`, every column quoted (no timestamps: compare whole rows).
pub fn table_rows(db: &Path, table: &str) -> Fallible<Vec<String>> {
    let columns = rows(
        db,
        &format!("SELECT name FROM pragma_table_info('{table}')"),
    )?;
    let quoted: Vec<String> = columns.iter().map(|c| format!("quote({c})")).collect();
    rows(db, &format!("SELECT {} FROM {table}", quoted.join(", ")))
}

/// Documents of `table` (`id`, `doc`) with every timestamp at or after
/// `since` (the run's own clock) replaced, so two runs compare.
pub fn documents(
    db: &Path,
    table: &str,
    since: chrono::DateTime<chrono::FixedOffset>,
) -> Fallible<Vec<String>> {
    fn scrub(value: &mut serde_json::Value, since: chrono::DateTime<chrono::FixedOffset>) {
        match value {
            serde_json::Value::String(text)
                if chrono::DateTime::parse_from_rfc3339(text).is_ok_and(|t| t >= since) =>
            {
                *text = "<run time>".into();
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, since)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| scrub(v, since)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for line in rows(db, &format!("SELECT id, doc FROM {table}"))? {
        let (id, doc) = line.split_once('|').ok_or("id|doc")?;
        let mut value: serde_json::Value = serde_json::from_str(doc)?;
        scrub(&mut value, since);
        out.push(format!("{id}|{value}"));
    }
    out.sort();
    Ok(out)
}

/// Runs the trials of `op` and checks each; the report of what happened.
pub fn trials(op: &Operation<'_>) -> Fallible<Report> {
    let started = Instant::now();
    let reference = op.dir.join("reference.sqlite3");
    copy_database(op.base, &reference)?;
    let clock = Instant::now();
    run_to_end(&op.args, &reference, "the uninterrupted run")?;
    let run = clock.elapsed();
    check_integrity(&reference)?;
    check_audit(&reference)?;
    let expected = (op.dump)(&reference)?;
    let reference_size = std::fs::metadata(&reference)?.len();

    let mut stream = Stream::named(&format!("{}/{}", seed(), op.name));
    let window = u64::try_from(run.as_millis()).unwrap_or(u64::MAX).max(1);
    let trial = op.dir.join("trial.sqlite3");
    let mut report = Report {
        run,
        killed: 0,
        finished_first: 0,
        phases: Vec::new(),
        largest: 0,
        reference_size,
        total: Duration::ZERO,
    };
    for index in 0..kills() {
        // Kills spread over the whole run and a little past it (startup varies).
        let delay = Duration::from_millis(stream.below(window + window / 10));
        let context =
            |e: Box<dyn Error>| format!("{} trial {index} (kill after {delay:?}): {e}", op.name);
        copy_database(op.base, &trial)?;
        let mut child = command(&op.args, &trial).spawn()?;
        std::thread::sleep(delay);
        let phase = if child.try_wait()?.is_some() {
            report.finished_first += 1;
            "finished before the kill".to_owned()
        } else {
            child.kill()?;
            child.wait()?;
            report.killed += 1;
            check_integrity(&trial).map_err(context)?;
            (op.phase)(&trial).map_err(context)?
        };
        match report.phases.iter_mut().find(|(name, _)| *name == phase) {
            Some((_, count)) => *count += 1,
            None => report.phases.push((phase, 1)),
        }
        check_audit(&trial).map_err(context)?;
        if (op.rerun)(&trial).map_err(context)? {
            run_to_end(&op.args, &trial, "the re-run").map_err(context)?;
        }
        check_integrity(&trial).map_err(context)?;
        check_audit(&trial).map_err(context)?;
        let got = (op.dump)(&trial).map_err(context)?;
        if got != expected {
            let first = got.iter().zip(&expected).position(|(a, b)| a != b);
            return Err(context(
                format!(
                    "the re-run did not converge: {} rows against {}; first difference at {first:?}",
                    got.len(),
                    expected.len()
                )
                .into(),
            )
            .into());
        }
        report.largest = report.largest.max(std::fs::metadata(&trial)?.len());
    }
    report.total = started.elapsed();
    // Printed for docs/reliability.md (`cargo test -- --nocapture`).
    println!("{}: {report:?} (seed {:?})", op.name, seed());
    Ok(report)
}

/// A scratch folder under the target directory, emptied.
pub fn scratch(name: &str) -> Fallible<PathBuf> {
    let dir = std::env::temp_dir().join(crate::common::unique(&format!("jianguan-crash-{name}")));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
