//! The embedded SQLite backend: one file, WAL journal, foreign keys on.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrate;
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection, Sqlite, SqliteConnection, Transaction};

use super::engine::{Arg, Dialect, Engine};
use super::{AppliedMigration, MigrationReport, StoreError, migrations};

/// How long a writer waits for another writer's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `target`: a `sqlite:` URL
    /// (`sqlite://data/jianguan.sqlite3`, `sqlite:///abs/path`, `sqlite::memory:`)
    /// or a plain file path. Every connection uses WAL, `synchronous = NORMAL`,
    /// foreign keys and a 30 s busy timeout.
    pub async fn connect(target: &str) -> Result<Self, StoreError> {
        let connect_error = |source| StoreError::Connect {
            target: target.to_owned(),
            source,
        };
        let options = if target.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(target).map_err(connect_error)?
        } else {
            SqliteConnectOptions::new().filename(Path::new(target))
        };
        let in_memory = target.contains(":memory:") || target.contains("mode=memory");
        let options = options
            .create_if_missing(true)
            .journal_mode(if in_memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // 64 MiB of page cache per connection (default 2 MiB): bulk upserts
            // into the 403,000-entity directory touch its indexes all over.
            .pragma("cache_size", "-65536");
        if !in_memory {
            // One direct connection first, to report why the file cannot be opened
            // (a pool would only report a time-out).
            SqliteConnection::connect_with(&options)
                .await
                .map_err(connect_error)?
                .close()
                .await
                .map_err(connect_error)?;
        }
        // A private in-memory database exists once per connection: keep one.
        let max_connections = if in_memory { 1 } else { 4 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout(if in_memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if in_memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            })
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(Self { pool })
    }

    /// The connection pool, for backend-specific checks and tools.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Checkpoints the WAL into the database file, then closes every connection,
    /// so the file alone holds everything (it can be copied).
    pub async fn close(&self) {
        // Best effort: a busy reader elsewhere only delays the checkpoint to the next open.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }
}

type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

fn build(sql: &str, args: Vec<Arg>) -> Result<SqliteQuery<'_>, sqlx::Error> {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg {
            Arg::Text(v) => query.bind(v),
            Arg::OptText(v) => query.bind(v),
            Arg::Int(v) => query.bind(v),
            Arg::Date(v) => query.bind(v),
            Arg::OptDate(v) => query.bind(v),
            Arg::Array(_) => {
                return Err(sqlx::Error::Protocol(
                    "array arguments are not supported by the SQLite backend".into(),
                ));
            }
        };
    }
    Ok(query)
}

impl Engine for SqliteStore {
    type Row = SqliteRow;
    type Tx = Transaction<'static, Sqlite>;

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn tx_dialect(_: &Self::Tx) -> Dialect {
        Dialect::Sqlite
    }

    async fn fetch_all(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<SqliteRow>, sqlx::Error> {
        build(sql, args)?.fetch_all(&self.pool).await
    }

    async fn execute(&self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        Ok(build(sql, args)?.execute(&self.pool).await?.rows_affected())
    }

    /// `BEGIN IMMEDIATE`: the write lock is taken up front, so a transaction that
    /// reads before it writes waits for other writers (busy timeout) instead of
    /// failing when it upgrades.
    async fn begin(&self) -> Result<Self::Tx, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// `BEGIN` (deferred): no lock until the first read or write of the database.
    async fn begin_deferred(&self) -> Result<Self::Tx, sqlx::Error> {
        self.pool.begin_with("BEGIN").await
    }

    async fn tx_fetch_all(
        tx: &mut Self::Tx,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<SqliteRow>, sqlx::Error> {
        build(sql, args)?.fetch_all(&mut **tx).await
    }

    async fn tx_execute(tx: &mut Self::Tx, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        Ok(build(sql, args)?.execute(&mut **tx).await?.rows_affected())
    }

    async fn tx_copy_in(_: &mut Self::Tx, _: &str, _: Vec<u8>) -> Result<u64, sqlx::Error> {
        Err(sqlx::Error::Protocol(
            "COPY FROM STDIN is PostgreSQL's; SQLite writes with INSERT".into(),
        ))
    }

    async fn commit(tx: Self::Tx) -> Result<(), sqlx::Error> {
        tx.commit().await
    }

    async fn run_migrations(&self) -> Result<MigrationReport, StoreError> {
        let migrator = migrations::sqlite();
        let before: HashSet<i64> = {
            let mut connection = self.pool.acquire().await?;
            connection.ensure_migrations_table().await?;
            connection
                .list_applied_migrations()
                .await?
                .into_iter()
                .map(|m| m.version)
                .collect()
        };
        migrator.run(&self.pool).await?;
        Ok(MigrationReport {
            backend: super::Backend::Sqlite,
            migrations: migrator
                .iter()
                .map(|m| AppliedMigration {
                    version: m.version,
                    description: m.description.to_string(),
                    applied_now: !before.contains(&m.version),
                })
                .collect(),
            ..MigrationReport::default()
        })
    }
}
