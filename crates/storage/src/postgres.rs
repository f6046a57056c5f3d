//! The PostgreSQL backend (13+; developed against 15).

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrate;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{Connection, PgConnection, Postgres, Transaction};

use super::engine::{Arg, Column, Dialect, Engine};
use super::{AppliedMigration, MigrationReport, StoreError, migrations, redact};

/// A PostgreSQL database (or one schema of it, with `?options[search_path]=…`).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to a `postgres://` or `postgresql://` URL, failing at once when
    /// the server cannot be reached or refuses the login. URL parameters are
    /// sqlx's (libpq's), e.g. `sslmode`, `options[search_path]=schema`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let connect_error = |source| StoreError::Connect {
            target: redact(url),
            source,
        };
        let options = PgConnectOptions::from_str(url).map_err(connect_error)?;
        // One direct connection first: a pool only reports "timed out" when the
        // server is down or the login is refused, this reports why.
        PgConnection::connect_with(&options)
            .await
            .map_err(connect_error)?
            .close()
            .await
            .map_err(connect_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(Self { pool })
    }

    /// The connection pool, for backend-specific checks and tools.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

fn build(sql: &str, args: Vec<Arg>) -> PgQuery<'_> {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg {
            Arg::Text(v) => query.bind(v),
            Arg::OptText(v) => query.bind(v),
            Arg::Int(v) => query.bind(v),
            Arg::Date(v) => query.bind(v),
            Arg::OptDate(v) => query.bind(v),
            Arg::Array(Column::Text(v)) => query.bind(v),
            Arg::Array(Column::OptText(v)) => query.bind(v),
            Arg::Array(Column::Int(v)) => query.bind(v),
            Arg::Array(Column::Date(v)) => query.bind(v),
            Arg::Array(Column::OptDate(v)) => query.bind(v),
        };
    }
    query
}

impl Engine for PgStore {
    type Row = PgRow;
    type Tx = Transaction<'static, Postgres>;

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn tx_dialect(_: &Self::Tx) -> Dialect {
        Dialect::Postgres
    }

    async fn fetch_all(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<PgRow>, sqlx::Error> {
        build(sql, args).fetch_all(&self.pool).await
    }

    async fn execute(&self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        Ok(build(sql, args).execute(&self.pool).await?.rows_affected())
    }

    async fn begin(&self) -> Result<Self::Tx, sqlx::Error> {
        self.pool.begin().await
    }

    async fn tx_fetch_all(
        tx: &mut Self::Tx,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<PgRow>, sqlx::Error> {
        build(sql, args).fetch_all(&mut **tx).await
    }

    async fn tx_execute(tx: &mut Self::Tx, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        Ok(build(sql, args).execute(&mut **tx).await?.rows_affected())
    }

    async fn tx_copy_in(
        tx: &mut Self::Tx,
        statement: &str,
        data: Vec<u8>,
    ) -> Result<u64, sqlx::Error> {
        let mut copy = tx.copy_in_raw(statement).await?;
        if let Err(error) = copy.send(data).await {
            // Ends the COPY so that the connection stays usable (and the
            // transaction rolls back when dropped).
            let _ = copy.abort(error.to_string()).await;
            return Err(error);
        }
        copy.finish().await
    }

    async fn commit(tx: Self::Tx) -> Result<(), sqlx::Error> {
        tx.commit().await
    }

    async fn run_migrations(&self) -> Result<MigrationReport, StoreError> {
        let migrator = migrations::postgres();
        let before: HashSet<i64> = {
            let mut connection = self.pool.acquire().await?;
            connection.lock().await?;
            let applied = async {
                connection.ensure_migrations_table().await?;
                connection.list_applied_migrations().await
            }
            .await;
            connection.unlock().await?;
            applied?.into_iter().map(|m| m.version).collect()
        };
        migrator.run(&self.pool).await?;
        Ok(MigrationReport {
            backend: super::Backend::Postgres,
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
