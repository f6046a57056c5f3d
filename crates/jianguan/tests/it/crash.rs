//! SIGKILL during an entity import, a credit import and a hotline import
//! (the round draw's trial is in tests/workflow.rs, beside its fixture):
//! after every kill the database is intact, `audit verify` says so, and a
//! re-run converges to an uninterrupted run's data (see common/crash.rs and
//! docs/reliability.md). SQLite only: the kill tests what the embedded
//! database's journal and our transactions guarantee together.

use crate::common;

use std::error::Error;
use std::io::Write as _;
use std::path::Path;

use common::crash::{self, Operation};
use domain::uscc::Uscc;

type Fallible<T> = Result<T, Box<dyn Error>>;

/// Rows of each input: about 1–3 s of work for the debug binary on a busy machine.
const ENTITIES: u32 = 20_000;
const CREDIT_ENTRIES: u64 = 15_000;
const ORDERS: u32 = 1_500;

/// A migrated database set up for 黄石 (`setup` migrates), empty otherwise.
fn migrated(dir: &Path) -> Fallible<std::path::PathBuf> {
    let base = dir.join("base.sqlite3");
    let status = std::process::Command::new(crash::BINARY)
        .args(["setup", "--city", "420200", "--database"])
        .arg(&base)
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err("setup failed".into());
    }
    Ok(base)
}

fn count(db: &Path, sql: &str) -> Fallible<u64> {
    let found = crash::rows(db, &format!("SELECT CAST(({sql}) AS TEXT)"))?;
    Ok(found.first().and_then(|n| n.parse().ok()).unwrap_or(0))
}

/// Every ledger action with its count (timestamps differ between runs; the
/// entries made must not).
fn ledger_actions(db: &Path) -> Fallible<Vec<String>> {
    crash::rows(
        db,
        "SELECT action, CAST(COUNT(*) AS TEXT) FROM ledger GROUP BY action",
    )
}

/// The command line of `command` importing `file` into the database `{db}`.
fn import_args(command: [&str; 2], file: &Path) -> Vec<String> {
    let mut args = Vec::from(command.map(str::to_owned));
    args.push(file.display().to_string());
    args.extend(["--json", "--database", "{db}"].map(str::to_owned));
    args
}

/// With a few kills, at least one landed while the command ran.
fn assert_killed(report: &crash::Report) {
    if crash::kills() >= 5 {
        assert!(report.killed > 0, "no kill landed: {report:?}");
    }
}

#[test]
fn entity_import_survives_sigkill() -> Fallible<()> {
    let dir = crash::scratch("entities")?;
    let base = migrated(&dir)?;
    let file = dir.join("entities.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    writeln!(
        out,
        "统一社会信用代码,主体名称,主体类型,所属区域,行业代码,成立日期,登记状态"
    )?;
    for n in 0..ENTITIES {
        let code = Uscc::from_body(&format!("91420200{n:08}"))?;
        writeln!(
            out,
            "{},黄石测试商贸有限公司{n},企业,420203,,2015-03-0{},存续",
            code.as_str(),
            1 + n % 9
        )?;
    }
    out.flush()?;
    drop(out);
    let dump = |db: &Path| -> Fallible<Vec<String>> {
        let mut rows = crash::table_rows(db, "entities")?;
        rows.extend(crash::table_rows(db, "entity_labels")?);
        Ok(rows)
    };
    let phase = |db: &Path| -> Fallible<String> {
        Ok(match count(db, "SELECT COUNT(*) FROM entities")? {
            0 => "before the first batch".into(),
            n if n < u64::from(ENTITIES) => "between batches (some committed)".into(),
            _ => "after the last batch".into(),
        })
    };
    let report = crash::trials(&Operation {
        name: "entity import",
        base: &base,
        dir: &dir,
        args: import_args(["import", "entities"], &file),
        dump: &dump,
        phase: &phase,
        rerun: &crash::always,
    })?;
    assert_killed(&report);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn credit_import_survives_sigkill() -> Fallible<()> {
    let dir = crash::scratch("credit")?;
    let base = migrated(&dir)?;
    let file = dir.join("national.csv");
    let lists = sim::synth::credit::Lists::national(CREDIT_ENTRIES);
    sim::synth::credit::write_entries_csv(lists.entries(), std::fs::File::create(&file)?)?;
    // The data, the runs and their ledger entries, and an empty stage: a
    // kill that left entries without their run would differ here.
    let dump = |db: &Path| -> Fallible<Vec<String>> {
        let mut rows = crash::table_rows(db, "credit_entries")?;
        rows.push(format!(
            "runs {}",
            count(db, "SELECT COUNT(*) FROM credit_runs")?
        ));
        rows.push(format!(
            "staged {}",
            count(db, "SELECT COUNT(*) FROM credit_stage")?
        ));
        rows.extend(ledger_actions(db)?);
        Ok(rows)
    };
    let phase = |db: &Path| -> Fallible<String> {
        let staged = count(db, "SELECT COUNT(*) FROM credit_stage")?;
        let entries = count(db, "SELECT COUNT(*) FROM credit_entries")?;
        let runs = count(db, "SELECT COUNT(*) FROM credit_runs")?;
        Ok(match (entries, staged, runs) {
            (0, 0, _) => "before staging".into(),
            (0, _, _) => "staging (stage left behind)".into(),
            (_, _, 0) => "entries without their run (the old gap)".into(),
            _ => "after the commit".into(),
        })
    };
    let report = crash::trials(&Operation {
        name: "credit import",
        base: &base,
        dir: &dir,
        args: import_args(["credit", "import"], &file),
        dump: &dump,
        phase: &phase,
        rerun: &crash::always,
    })?;
    assert_killed(&report);
    assert!(
        !report
            .phases
            .iter()
            .any(|(phase, _)| phase.starts_with("entries without")),
        "entries committed without their run: {report:?}"
    );
    // Stages left by kills are removed at the next start: the file does not grow.
    assert!(
        report.largest <= report.reference_size + report.reference_size / 4,
        "the database grew across killed runs: {report:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn hotline_import_survives_sigkill() -> Fallible<()> {
    let dir = crash::scratch("hotline")?;
    let base = migrated(&dir)?;
    let file = dir.join("orders.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    writeln!(
        out,
        "工单编号,来源渠道,受理时间,问题类型,难度,承办部门,签收时间,办结时间,延期工作日,回访结果,涉及主体统一社会信用代码"
    )?;
    for n in 0..ORDERS {
        let (category, hour) = if n % 2 == 0 {
            ("食品安全", 9)
        } else {
            ("价格", 14)
        };
        writeln!(
            out,
            "HL-{n:05},12345,2026-03-{:02} {hour}:{:02},{category},一般,,,,,,",
            2 + n % 25,
            n % 60
        )?;
    }
    out.flush()?;
    drop(out);
    let since = domain::clock::now();
    let dump = |db: &Path| -> Fallible<Vec<String>> {
        let mut rows = crash::documents(db, "work_orders", since)?;
        rows.extend(ledger_actions(db)?);
        Ok(rows)
    };
    let phase = |db: &Path| -> Fallible<String> {
        Ok(match count(db, "SELECT COUNT(*) FROM work_orders")? {
            0 => "before the commit".into(),
            _ => "after the commit".into(),
        })
    };
    let report = crash::trials(&Operation {
        name: "hotline import",
        base: &base,
        dir: &dir,
        args: import_args(["hotline", "import"], &file),
        dump: &dump,
        phase: &phase,
        rerun: &crash::always,
    })?;
    assert_killed(&report);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
