//! [`Engine`] for [`Db`]: the backend chosen at run time. Every store trait's
//! blanket implementation over [`Engine`] then covers [`Db`] too, so nothing
//! is forwarded method by method; each primitive is one `match`.
//!
//! A [`DbTx`] carries its backend's transaction and the transaction functions
//! take no engine, so a transaction cannot be run on the other backend.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Postgres, Sqlite, Type};

use chrono::NaiveDate;

use super::engine::{Arg, Dialect, Engine, RowRead};
use super::{Db, MigrationReport, PgStore, SqliteStore, StoreError};

/// A row of either backend.
pub enum DbRow {
    /// A SQLite row.
    Sqlite(SqliteRow),
    /// A PostgreSQL row.
    Postgres(PgRow),
}

impl DbRow {
    /// Column `index` decoded as `T` by the row's own backend.
    fn get<T>(&self, index: usize) -> Result<T, sqlx::Error>
    where
        T: for<'r> Decode<'r, Sqlite>
            + Type<Sqlite>
            + for<'r> Decode<'r, Postgres>
            + Type<Postgres>,
    {
        match self {
            Self::Sqlite(row) => sqlx::Row::try_get(row, index),
            Self::Postgres(row) => sqlx::Row::try_get(row, index),
        }
    }
}

impl RowRead for DbRow {
    fn text(&self, index: usize) -> Result<String, sqlx::Error> {
        self.get(index)
    }

    fn opt_text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
        self.get(index)
    }

    fn int(&self, index: usize) -> Result<i64, sqlx::Error> {
        self.get(index)
    }

    fn date(&self, index: usize) -> Result<NaiveDate, sqlx::Error> {
        self.get(index)
    }

    fn opt_date(&self, index: usize) -> Result<Option<NaiveDate>, sqlx::Error> {
        self.get(index)
    }
}

/// An open transaction of either backend; dropped without commit it rolls back.
#[derive(Debug)]
pub enum DbTx {
    /// On SQLite.
    Sqlite(<SqliteStore as Engine>::Tx),
    /// On PostgreSQL.
    Postgres(<PgStore as Engine>::Tx),
}

impl Engine for Db {
    type Row = DbRow;
    type Tx = DbTx;

    fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    fn tx_dialect(tx: &DbTx) -> Dialect {
        match tx {
            DbTx::Sqlite(_) => Dialect::Sqlite,
            DbTx::Postgres(_) => Dialect::Postgres,
        }
    }

    async fn fetch_all(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<DbRow>, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(store) => wrap(store.fetch_all(sql, args).await?, DbRow::Sqlite),
            Self::Postgres(store) => wrap(store.fetch_all(sql, args).await?, DbRow::Postgres),
        })
    }

    async fn execute(&self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        match self {
            Self::Sqlite(store) => store.execute(sql, args).await,
            Self::Postgres(store) => store.execute(sql, args).await,
        }
    }

    async fn begin(&self) -> Result<DbTx, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(store) => DbTx::Sqlite(store.begin().await?),
            Self::Postgres(store) => DbTx::Postgres(store.begin().await?),
        })
    }

    async fn begin_deferred(&self) -> Result<DbTx, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(store) => DbTx::Sqlite(store.begin_deferred().await?),
            Self::Postgres(store) => DbTx::Postgres(store.begin_deferred().await?),
        })
    }

    async fn tx_fetch_all(
        tx: &mut DbTx,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<DbRow>, sqlx::Error> {
        Ok(match tx {
            DbTx::Sqlite(tx) => wrap(
                SqliteStore::tx_fetch_all(tx, sql, args).await?,
                DbRow::Sqlite,
            ),
            DbTx::Postgres(tx) => {
                wrap(PgStore::tx_fetch_all(tx, sql, args).await?, DbRow::Postgres)
            }
        })
    }

    async fn tx_execute(tx: &mut DbTx, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        match tx {
            DbTx::Sqlite(tx) => SqliteStore::tx_execute(tx, sql, args).await,
            DbTx::Postgres(tx) => PgStore::tx_execute(tx, sql, args).await,
        }
    }

    async fn tx_copy_in(tx: &mut DbTx, statement: &str, data: Vec<u8>) -> Result<u64, sqlx::Error> {
        match tx {
            DbTx::Sqlite(tx) => SqliteStore::tx_copy_in(tx, statement, data).await,
            DbTx::Postgres(tx) => PgStore::tx_copy_in(tx, statement, data).await,
        }
    }

    async fn commit(tx: DbTx) -> Result<(), sqlx::Error> {
        match tx {
            DbTx::Sqlite(tx) => SqliteStore::commit(tx).await,
            DbTx::Postgres(tx) => PgStore::commit(tx).await,
        }
    }

    async fn run_migrations(&self) -> Result<MigrationReport, StoreError> {
        match self {
            Self::Sqlite(store) => store.run_migrations().await,
            Self::Postgres(store) => store.run_migrations().await,
        }
    }
}

/// A backend's rows as [`DbRow`]s.
fn wrap<R>(rows: Vec<R>, variant: fn(R) -> DbRow) -> Vec<DbRow> {
    rows.into_iter().map(variant).collect()
}
