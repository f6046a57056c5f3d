//! The harness shared by the suites that run on both engines: a runtime, unique
//! names, and a fresh migrated PostgreSQL schema per test.

#![allow(dead_code, reason = "each test crate uses part of the harness")]

pub mod crash;
pub mod web;

use std::error::Error;
use std::future::Future;
use std::io::Write as _;
use std::process::{Command, Output};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection as _;
use storage::{self, Backend, Db, Store};

/// What every test returns.
pub type TestResult = Result<(), Box<dyn Error>>;

/// The variable naming the test PostgreSQL server.
pub const POSTGRES_ENV: &str = "JIANGUAN_TEST_POSTGRES";

/// A single-threaded runtime for one test.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Runs one SQL statement on either engine; the rows it touched.
pub async fn execute(db: &Db, sql: &str) -> Result<u64, Box<dyn Error>> {
    Ok(match db {
        Db::Sqlite(store) => sqlx::query(sql)
            .execute(store.pool())
            .await?
            .rows_affected(),
        Db::Postgres(store) => sqlx::query(sql)
            .execute(store.pool())
            .await?
            .rows_affected(),
    })
}

/// The city the tests' databases serve unless a test chooses another: 黄石市.
pub const TEST_CITY: &str = "420200";

/// Migrates `db` and sets it up for [`TEST_CITY`], as `jianguan migrate` then
/// `jianguan setup --city 420200` do.
pub async fn migrate_and_set_up(db: &Db) -> TestResult {
    db.migrate().await?;
    service::setup::set_up_city(db, TEST_CITY, "test", domain::clock::now()).await?;
    Ok(())
}

/// Runs `jianguan setup --city 420200` on the database `--database URL` names.
pub fn cli_set_up(database: &str) -> TestResult {
    jianguan_ok(&["setup", "--city", TEST_CITY, "--database", database])?;
    Ok(())
}

/// Runs the `jianguan` binary with `args`.
pub fn jianguan(args: &[&str]) -> Result<Output, Box<dyn Error>> {
    Ok(Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .output()?)
}

/// Runs the `jianguan` binary with `args`; the test fails unless it succeeds.
pub fn jianguan_ok(args: &[&str]) -> Result<Output, Box<dyn Error>> {
    let out = jianguan(args)?;
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

/// `name` made unique across processes, threads and runs.
pub fn unique(name: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{name}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The test server's URL; `None` (after one loud notice) on a developer machine
/// without it, and an error under CI, where the PostgreSQL tests must run.
pub fn postgres_base(suite: &str) -> Result<Option<String>, Box<dyn Error>> {
    if let Some(base) = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        return Ok(Some(base));
    }
    if ci() {
        return Err(format!(
            "{POSTGRES_ENV} is not set, and CI is: the PostgreSQL {suite} must run in CI \
             (scripts/test.sh starts PostgreSQL 15 and sets {POSTGRES_ENV})"
        )
        .into());
    }
    static NOTICE: Once = Once::new();
    NOTICE.call_once(|| {
        // Written to the real stderr, past the test harness's capture.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPING the PostgreSQL {suite}: {POSTGRES_ENV} is not set. \
             Run scripts/test.sh (starts PostgreSQL 15) or set {POSTGRES_ENV}=postgres://… ***\n"
        );
    });
    Ok(None)
}

/// Runs `test` on a fresh schema of the server at `base`, migrated and set up
/// for [`TEST_CITY`], dropped afterwards.
pub async fn in_fresh_schema<F, Fut>(base: &str, prefix: &str, name: &str, test: F) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    fresh_schema(base, prefix, name, true, test).await
}

/// Runs `test` on a fresh schema of the server at `base`, only migrated (no
/// city), dropped afterwards.
pub async fn in_fresh_schema_without_city<F, Fut>(
    base: &str,
    prefix: &str,
    name: &str,
    test: F,
) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    fresh_schema(base, prefix, name, false, test).await
}

async fn fresh_schema<F, Fut>(
    base: &str,
    prefix: &str,
    name: &str,
    set_up: bool,
    test: F,
) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let mut admin = sqlx::PgConnection::connect(base)
        .await
        .map_err(|e| format!("{POSTGRES_ENV} is set but PostgreSQL cannot be reached: {e}"))?;
    // At most 63 characters, PostgreSQL's identifier limit, keeping the unique suffix.
    let short: String = name.chars().take(24).collect();
    let schema = unique(&format!("{prefix}_{short}")).to_lowercase();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await?;
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema}");
    let result = async {
        let db = storage::open(&url).await?;
        if db.backend() != Backend::Postgres {
            return Err(format!("{url} did not open PostgreSQL").into());
        }
        if set_up {
            migrate_and_set_up(&db).await?;
        } else {
            db.migrate().await?;
        }
        let result = test(db.clone()).await;
        db.close().await;
        result
    }
    .await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    result
}

/// Runs `contract` on a fresh SQLite file of the `suite`, migrated and set up
/// for [`TEST_CITY`], naming it alternately by `sqlite://` URL and by plain
/// path; the file is removed afterwards.
pub fn on_sqlite<F, Fut>(suite: &str, name: &str, contract: F) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    fresh_sqlite(suite, name, true, contract)
}

/// Like [`on_sqlite`], only migrated: no city.
pub fn on_sqlite_without_city<F, Fut>(suite: &str, name: &str, contract: F) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    fresh_sqlite(suite, name, false, contract)
}

fn fresh_sqlite<F, Fut>(suite: &str, name: &str, set_up: bool, contract: F) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let path = std::env::temp_dir().join(format!("jianguan-{suite}-{}.sqlite3", unique(name)));
    let path_text = path
        .to_str()
        .ok_or("temporary path is not UTF-8")?
        .to_owned();
    let result = runtime()?.block_on(async {
        let url = if name.len().is_multiple_of(2) {
            format!("sqlite://{path_text}")
        } else {
            path_text.clone()
        };
        let db = storage::open(&url).await?;
        if db.backend() != Backend::Sqlite {
            return Err(format!("{url} did not open SQLite").into());
        }
        if set_up {
            migrate_and_set_up(&db).await?;
        } else {
            db.migrate().await?;
        }
        let result = contract(db.clone()).await;
        db.close().await;
        result
    });
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path_text}{suffix}"));
    }
    result
}

/// Runs `contract` on a fresh, migrated schema of the test PostgreSQL server.
pub fn on_postgres<F, Fut>(suite: &str, name: &str, contract: F) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let Some(base) = postgres_base(&format!("{suite} contract"))? else {
        return Ok(());
    };
    runtime()?.block_on(in_fresh_schema(&base, suite, name, contract))
}

/// Like [`on_postgres`], only migrated: no city.
pub fn on_postgres_without_city<F, Fut>(suite: &str, name: &str, contract: F) -> TestResult
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let Some(base) = postgres_base(&format!("{suite} contract"))? else {
        return Ok(());
    };
    runtime()?.block_on(in_fresh_schema_without_city(&base, suite, name, contract))
}

/// Declares each contract once per backend, `sqlite::NAME` and `postgres::NAME`,
/// for the suite named first.
#[allow(unused_macros, reason = "each test crate uses part of the harness")]
macro_rules! contracts {
    ($suite:literal; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() -> crate::common::TestResult {
                    crate::common::on_sqlite($suite, stringify!($name), |db| async move { super::$name(&db).await })
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() -> crate::common::TestResult {
                    crate::common::on_postgres($suite, stringify!($name), |db| async move { super::$name(&db).await })
                }
            )+
        }
    };
}
#[allow(unused_imports, reason = "each test crate uses part of the harness")]
pub(crate) use contracts;

/// A decided (or pending) penalty case of `department` with these officers
/// and nothing else of note, for the review tests.
pub fn penalty_case(
    id: &str,
    department: &str,
    filed_on: chrono::NaiveDate,
    decided_on: Option<chrono::NaiveDate>,
    officers: &[&str],
) -> domain::enforcement::PenaltyCase {
    use domain::enforcement::{PartyId, PartyKind, PenaltyCase};
    PenaltyCase {
        id: id.into(),
        department: department.into(),
        party_name: "某公司".into(),
        party_id: PartyId {
            kind: PartyKind::Organisation,
            code: String::new(),
        },
        behaviour: "X".into(),
        filed_on,
        decided_on,
        kinds: Vec::new(),
        tier: None,
        fine: None,
        officers: officers.iter().map(|o| (*o).to_owned()).collect(),
        legal_review: false,
        first_offence: false,
        corrected: false,
        extended: false,
        published_on: None,
        changed_on: None,
        withdrawn_on: None,
        closed_on: None,
    }
}
