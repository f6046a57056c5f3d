//! `jianguan bench licences`: the e-licence library of issue 21 at full size.
//!
//! - 248 licence types and `--licences` (default 1,268,900) generated licences
//!   in a CSV file, imported by `jianguan licences import` as a child process
//!   into a fresh SQLite file (and a fresh PostgreSQL schema with
//!   `--postgres`): every row validated and signed (Ed25519 over RFC 8785 JSON,
//!   on every core), written in one transaction. Goal: under 60 s.
//! - A holder's licences over HTTP (`GET /api/v1/licences?holder=`, Bearer
//!   token) under `wrk` with 64 connections, rotating the holders. Goal: p99
//!   under 10 ms.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{Days, NaiveDate};

use super::web::{Server, check_wrk, wrk};
use super::{Spread, ms, pg_admin, thousands};
use domain::account::{Account, Role};
use domain::idcard;
use domain::uscc::{ALPHABET, Uscc};
use storage::WorkflowStore;

/// The city library's size (issue 21).
pub const LICENCES: u64 = 1_268_900;
/// Licence types.
const TYPES: u64 = 248;
/// Licences per holder, on average.
const PER_HOLDER: u64 = 3;
const IMPORT_GOAL: Duration = Duration::from_secs(60);
const HTTP_GOAL: Duration = Duration::from_millis(10);
const CONNECTIONS: u32 = 64;
const WARM_UP_SECONDS: u32 = 3;
const MEASURE_SECONDS: u32 = 15;
const ACCOUNT: &str = "window.staff";
const WRK_SCRIPT: &str = include_str!("../../../../scripts/licence-lookup.lua");

/// The identifier of holder `index`: every third a person (ID number), the
/// others enterprises (统一社会信用代码), all valid.
fn holder(index: u64) -> String {
    if index.is_multiple_of(3) {
        let k = index / 3;
        let first = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default();
        let birth = first
            .checked_add_days(Days::new(k % 20_000))
            .unwrap_or(first);
        let body = format!("420202{}{:03}", birth.format("%Y%m%d"), (k / 20_000) % 1000);
        let check = char::from(idcard::check_character(body.as_bytes()));
        format!("{body}{check}")
    } else {
        let mut org = index;
        let mut digits = [0u8; 8];
        for digit in digits.iter_mut().rev() {
            *digit = ALPHABET[(org % 31) as usize];
            org /= 31;
        }
        let body = format!(
            "91420200{}",
            digits.iter().map(|&b| char::from(b)).collect::<String>()
        );
        Uscc::from_body(&body)
            .map(|code| code.as_str().to_owned())
            .unwrap_or(body)
    }
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .context("the temporary folder's path is not UTF-8")
}

/// Writes the types file, the licence file and the holders file (a sample of
/// holders for the lookups).
fn write_files(dir: &Path, licences: u64) -> anyhow::Result<(PathBuf, PathBuf, PathBuf)> {
    let types = dir.join("types.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&types)?);
    writeln!(out, "证照类型代码,证照名称,颁发部门,有效期（年）,照面字段")?;
    for t in 0..TYPES {
        let years = if t.is_multiple_of(4) {
            String::new()
        } else {
            (t % 10 + 1).to_string()
        };
        writeln!(
            out,
            "T{t:03},电子证照类型{t:03},黄石市第{}部门,{years},经营场所、许可范围",
            t % 44 + 1
        )?;
    }
    out.flush()?;
    let file = dir.join("licences.csv");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&file)?);
    writeln!(
        out,
        "证照编号,证照类型代码,持证主体名称,持证主体证件号码,颁证日期,照面信息"
    )?;
    let holders = (licences / PER_HOLDER).max(1);
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    for n in 0..licences {
        let h = n % holders;
        let issued = start
            .checked_add_days(Days::new(n % 1_800))
            .unwrap_or(start);
        writeln!(
            out,
            "HS{n:09},T{:03},持证主体{h},{},{issued},经营场所=黄石港区示例路{}号",
            n % TYPES,
            holder(h),
            n % 500
        )?;
    }
    out.flush()?;
    let ids = dir.join("holders.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&ids)?);
    let step = (holders / 20_000).max(1);
    for h in (0..holders).step_by(usize::try_from(step)?) {
        writeln!(out, "{}", holder(h))?;
    }
    out.flush()?;
    Ok((types, file, ids))
}

/// Runs `jianguan ARGS --database URL --licence-key KEY`; its standard output.
fn child(args: &[&str], database: &str, key: &Path) -> anyhow::Result<String> {
    let output = Command::new(std::env::current_exe()?)
        .args(args)
        .args(["--database", database, "--licence-key", path_str(key)?])
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

/// Sets `database` up, imports the types, then times the licence import.
fn import_into(
    database: &str,
    key: &Path,
    types: &Path,
    file: &Path,
) -> anyhow::Result<(Duration, serde_json::Value)> {
    child(&["setup", "--city", "420200"], database, key)?;
    child(
        &["licences", "types", "import", path_str(types)?],
        database,
        key,
    )?;
    let started = Instant::now();
    let out = child(
        &["licences", "import", path_str(file)?, "--json"],
        database,
        key,
    )?;
    let time = started.elapsed();
    Ok((time, serde_json::from_str(out.trim())?))
}

/// Runs the licence benchmark.
pub fn run(licences: u64, runs: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("jianguan-bench-licences-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let scratch = Scratch(dir.clone());
    let started = Instant::now();
    let (types, file, ids) = write_files(&dir, licences)?;
    eprintln!(
        "generated {} licences in {:.1} s",
        thousands(licences),
        started.elapsed().as_secs_f64()
    );
    println!("## E-licence library (issue 21)\n");
    println!(
        "{} licences of {TYPES} types, about {PER_HOLDER} per holder; each validated (identifier check digits), signed (Ed25519 over RFC 8785 JSON, {} signing threads) and written in one transaction by `jianguan licences import` (child process, wall time).\n",
        thousands(licences),
        service::licences::signing_threads()
    );
    println!("| import | backend | runs | time | licences/s | goal | met |");
    println!("|---|---|---:|---:|---:|---:|---|");
    let mut times = Vec::new();
    let mut last = None;
    for run in 0..runs.max(1) {
        let database = dir.join(format!("run{run}.sqlite3"));
        let key = dir.join(format!("run{run}.key"));
        let (time, report) = import_into(path_str(&database)?, &key, &types, &file)?;
        if report["imported"].as_u64() != Some(licences) {
            bail!("the import did not take every licence: {report}");
        }
        times.push(time);
        if run + 1 < runs.max(1) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path_str(&database)?));
            }
        } else {
            last = Some(database);
        }
    }
    print_import("SQLite", &times, licences);
    if let Some(base) = postgres {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let schema = format!("bench_licences_{}", std::process::id());
        runtime.block_on(pg_admin(
            base,
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ))?;
        runtime.block_on(pg_admin(base, &format!("CREATE SCHEMA {schema}")))?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options[search_path]={schema}");
        let result = import_into(&url, &dir.join("pg.key"), &types, &file);
        runtime.block_on(pg_admin(
            base,
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ))?;
        let (time, _) = result?;
        print_import("PostgreSQL", &[time], licences);
    }
    println!();
    let database = last.context("no SQLite database")?;
    lookup(path_str(&database)?, &ids, &dir)?;
    drop(scratch);
    Ok(())
}

fn print_import(backend: &str, times: &[Duration], licences: u64) {
    let spread = Spread::of(times);
    let rate = licences as f64 / spread.median.as_secs_f64().max(1e-9);
    println!(
        "| {} licences | {backend} | {} | {} | {} | < {} s | {} |",
        thousands(licences),
        times.len(),
        spread,
        thousands(rate.round() as u64),
        IMPORT_GOAL.as_secs(),
        if spread.median < IMPORT_GOAL {
            "yes"
        } else {
            "no"
        }
    );
}

/// A holder's licences over HTTP under wrk.
fn lookup(database: &str, ids: &Path, dir: &Path) -> anyhow::Result<()> {
    check_wrk()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let token = runtime.block_on(async {
        let db = storage::open(database).await?;
        let token = token(&db).await;
        db.close().await;
        token
    })?;
    drop(runtime);
    let script = dir.join("licence-lookup.lua");
    std::fs::write(&script, WRK_SCRIPT)?;
    let server = Server::start(database, false)?;
    let url = format!("{}/api/v1/licences", server.base);
    let options = vec!["--script".to_owned(), path_str(&script)?.to_owned()];
    let script_args = vec![path_str(ids)?.to_owned(), token];
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
        "| a holder's licences over HTTP | connections | requests/s | p50 | p99 | goal (p99) | met |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    println!(
        "| `GET /api/v1/licences?holder=` (Bearer token, SQLite) | {CONNECTIONS} | {} | {} | {} | < {} | {met} |\n",
        thousands(figures.requests_per_second.round() as u64),
        ms(figures.median),
        ms(figures.p99),
        ms(HTTP_GOAL),
    );
    Ok(())
}

/// A window account (checks applicants) and an API token for it.
async fn token(db: &storage::Db) -> anyhow::Result<String> {
    if db.get::<Account>(ACCOUNT).await?.is_none() {
        let account = Account {
            username: ACCOUNT.to_owned(),
            display_name: "综合窗口".to_owned(),
            role: Role::CreditOffice,
            department: None,
            certificate: None,
            password_hash: String::new(),
            must_change_password: false,
            disabled: false,
        };
        service::accounts::save_account(
            db,
            account,
            Some(crate::demo::DEMO_PASSWORD.to_owned()),
            "bench",
        )
        .await?;
    }
    Ok(service::accounts::issue_token(db, ACCOUNT, "jianguan bench licences", "bench").await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_holders_are_valid_and_distinct() {
        let ids: Vec<String> = (0..3_000).map(holder).collect();
        for id in &ids {
            assert!(domain::credit::Subject::parse_valid(id).is_ok(), "{id}");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }
}
