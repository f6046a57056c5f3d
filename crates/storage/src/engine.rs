//! The few primitives a backend provides; every query of the [`Store`](super::Store)
//! is written once over them (in `queries`).
//!
//! A backend runs SQL with `$n` placeholders and owned arguments ([`Arg`]),
//! returns rows that read by column index ([`RowRead`]), and opens
//! transactions. Where the SQL must differ, the generic code asks the
//! backend's [`Dialect`]: multi-row `VALUES` versus `UNNEST` of arrays for bulk
//! upserts, `IN (…)` versus `= ANY($n)` for key lists, `LIKE` versus `ILIKE`.
//!
//! The trait is public inside a private module: it cannot be named or
//! implemented outside the crate (sealed).

use std::fmt::Write as _;
use std::future::Future;

use chrono::NaiveDate;

use super::MigrationReport;

/// How a backend spells what differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.35+.
    Sqlite,
    /// PostgreSQL 13+.
    Postgres,
}

impl Dialect {
    /// ASCII-case-insensitive pattern match (SQLite's LIKE already is).
    pub fn ilike(self) -> &'static str {
        match self {
            Self::Sqlite => "LIKE",
            Self::Postgres => "ILIKE",
        }
    }

    /// Upsert batches are written this many records at a time (each chunk's
    /// existence check and child rows are one statement or a few).
    pub fn chunk(self) -> usize {
        match self {
            Self::Sqlite => 500,
            Self::Postgres => 5_000,
        }
    }
}

/// A column of values, for bulk statements.
#[derive(Debug, Clone)]
pub enum Column {
    /// `TEXT NOT NULL`.
    Text(Vec<String>),
    /// `TEXT`.
    OptText(Vec<Option<String>>),
    /// `INTEGER` / `BIGINT`.
    Int(Vec<i64>),
    /// `DATE NOT NULL`.
    Date(Vec<NaiveDate>),
    /// `DATE`.
    OptDate(Vec<Option<NaiveDate>>),
}

impl Column {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(v) => v.len(),
            Self::OptText(v) => v.len(),
            Self::Int(v) => v.len(),
            Self::Date(v) => v.len(),
            Self::OptDate(v) => v.len(),
        }
    }

    /// The value at `index` as a scalar argument.
    pub fn cell(&self, index: usize) -> Arg {
        match self {
            Self::Text(v) => Arg::Text(v.get(index).cloned().unwrap_or_default()),
            Self::OptText(v) => Arg::OptText(v.get(index).cloned().flatten()),
            Self::Int(v) => Arg::Int(v.get(index).copied().unwrap_or_default()),
            Self::Date(v) => Arg::Date(v.get(index).copied().unwrap_or_default()),
            Self::OptDate(v) => Arg::OptDate(v.get(index).copied().flatten()),
        }
    }

    /// The values as text, as `CAST(column AS TEXT)` reads them back on
    /// either backend (dates `YYYY-MM-DD`), to tell a changed row from an
    /// unchanged one.
    pub fn texts(&self) -> Vec<Option<String>> {
        match self {
            Self::Text(v) => v.iter().cloned().map(Some).collect(),
            Self::OptText(v) => v.clone(),
            Self::Int(v) => v.iter().map(|i| Some(i.to_string())).collect(),
            Self::Date(v) => v.iter().map(|d| Some(date_text(*d))).collect(),
            Self::OptDate(v) => v.iter().map(|d| d.map(date_text)).collect(),
        }
    }

    /// The values as scalar arguments, moved out (no copy of the texts).
    fn into_args(self) -> std::vec::IntoIter<Arg> {
        let args: Vec<Arg> = match self {
            Self::Text(v) => v.into_iter().map(Arg::Text).collect(),
            Self::OptText(v) => v.into_iter().map(Arg::OptText).collect(),
            Self::Int(v) => v.into_iter().map(Arg::Int).collect(),
            // As text, exactly as sqlx would bind the date (`%F`), without chrono's
            // format-string parser (about 2 % of an import).
            Self::Date(v) => v.into_iter().map(|d| Arg::Text(date_text(d))).collect(),
            Self::OptDate(v) => v
                .into_iter()
                .map(|d| Arg::OptText(d.map(date_text)))
                .collect(),
        };
        args.into_iter()
    }

    /// The PostgreSQL array type to cast an `UNNEST` argument to.
    fn pg_array_type(&self) -> &'static str {
        match self {
            Self::Text(_) | Self::OptText(_) => "text[]",
            Self::Int(_) => "int8[]",
            Self::Date(_) | Self::OptDate(_) => "date[]",
        }
    }
}

/// `date` as sqlx binds it to SQLite: `%F` (`YYYY-MM-DD`).
pub fn date_text(date: NaiveDate) -> String {
    use chrono::Datelike as _;
    if (0..=9999).contains(&date.year()) {
        format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
    } else {
        date.format("%F").to_string()
    }
}

/// An owned argument bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    /// Text.
    Text(String),
    /// Text or NULL.
    OptText(Option<String>),
    /// 64-bit integer.
    Int(i64),
    /// Date.
    Date(NaiveDate),
    /// Date or NULL.
    OptDate(Option<NaiveDate>),
    /// An array (PostgreSQL only: `UNNEST($n::text[])`, `= ANY($n)`).
    Array(Column),
}

/// A row read by 0-based column index.
pub trait RowRead {
    /// Non-null text.
    fn text(&self, index: usize) -> Result<String, sqlx::Error>;
    /// Nullable text.
    fn opt_text(&self, index: usize) -> Result<Option<String>, sqlx::Error>;
    /// Non-null integer.
    fn int(&self, index: usize) -> Result<i64, sqlx::Error>;
    /// Non-null date.
    fn date(&self, index: usize) -> Result<NaiveDate, sqlx::Error>;
    /// Nullable date.
    fn opt_date(&self, index: usize) -> Result<Option<NaiveDate>, sqlx::Error>;
}

/// Implements [`RowRead`] with `sqlx::Row::try_get`, the same for every backend's row type.
macro_rules! row_read_by_try_get {
    ($($row:ty),*) => {$(
        impl RowRead for $row {
            fn text(&self, index: usize) -> Result<String, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }

            fn opt_text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }

            fn int(&self, index: usize) -> Result<i64, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }

            fn date(&self, index: usize) -> Result<NaiveDate, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }

            fn opt_date(&self, index: usize) -> Result<Option<NaiveDate>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
        }
    )*};
}

row_read_by_try_get!(sqlx::postgres::PgRow, sqlx::sqlite::SqliteRow);

/// A backend's primitives.
///
/// The transaction functions take no engine, only the transaction, so a
/// transaction of one backend cannot be run on another.
pub trait Engine: Send + Sync {
    /// A result row.
    type Row: RowRead + Send;
    /// An open transaction; dropped without [`Engine::commit`] it rolls back.
    type Tx: Send;

    /// How this backend spells what differs.
    fn dialect(&self) -> Dialect;
    /// The dialect of the backend `tx` belongs to.
    fn tx_dialect(tx: &Self::Tx) -> Dialect;

    /// Runs a query outside a transaction.
    fn fetch_all(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;
    /// Runs a statement outside a transaction (its own, in autocommit); the
    /// number of rows affected.
    fn execute(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
    /// Begins a transaction.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx, sqlx::Error>> + Send;
    /// Begins a transaction that takes the write lock only when it first
    /// writes to the database (SQLite's deferred `BEGIN`: writes to its own
    /// `TEMP` tables lock nothing); elsewhere the same as [`Engine::begin`].
    /// Its first statement on the database must be a write, or a concurrent
    /// commit can make the upgrade fail.
    fn begin_deferred(&self) -> impl Future<Output = Result<Self::Tx, sqlx::Error>> + Send {
        self.begin()
    }
    /// Runs a query in `tx`.
    fn tx_fetch_all(
        tx: &mut Self::Tx,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;
    /// Runs a statement in `tx`; the number of rows affected.
    fn tx_execute(
        tx: &mut Self::Tx,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
    /// Streams `data`, in COPY text format (module `copy`), into `statement`
    /// (`COPY … FROM STDIN`) inside `tx`; the rows copied. PostgreSQL only: the
    /// SQLite engine answers an error.
    fn tx_copy_in(
        tx: &mut Self::Tx,
        statement: &str,
        data: Vec<u8>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
    /// Commits `tx`.
    fn commit(tx: Self::Tx) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Applies the embedded migrations not yet applied.
    fn run_migrations(
        &self,
    ) -> impl Future<Output = Result<MigrationReport, super::StoreError>> + Send;
}

/// SQL text with `$n` placeholders and its arguments, built together.
#[derive(Debug, Default)]
pub struct Sql {
    /// The text.
    pub text: String,
    /// The arguments, `$1` first.
    pub args: Vec<Arg>,
}

impl Sql {
    /// Starts with `text`.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// Appends `expr IN (SELECT value FROM json_each($i))` (SQLite, the keys as
    /// a JSON array) or `expr = ANY($i)` (PostgreSQL, a text array); an empty
    /// list matches nothing.
    pub fn bind_in(&mut self, dialect: Dialect, expr: &str, keys: Vec<String>) -> &mut Self {
        if keys.is_empty() {
            return self.push("1 = 0");
        }
        self.push(expr);
        match dialect {
            Dialect::Postgres => {
                self.push(" = ANY(");
                self.bind(Arg::Array(Column::Text(keys)));
                self.push(")")
            }
            Dialect::Sqlite => {
                // One JSON array argument rather than a placeholder per key: sqlx
                // resolves each `$n` with sqlite3_bind_parameter_name, which is
                // linear in the number of parameters (quadratic per statement).
                self.push(" IN (SELECT value FROM json_each(");
                self.bind(Arg::Text(serde_json::to_string(&keys).unwrap_or_default()));
                self.push("))")
            }
        }
    }
}

/// What a bulk insert does with a row whose key exists.
#[derive(Debug, Clone, Copy)]
pub enum OnConflict {
    /// Replace the non-key columns (`ON CONFLICT (key) DO UPDATE`).
    Update,
    /// Like [`OnConflict::Update`], but the columns listed keep their stored
    /// value when the new one is NULL (e.g. a removal date set by a repair,
    /// which a re-imported file without that column must not clear).
    UpdateKeeping(&'static [&'static str]),
    /// Fail (child rows, inserted after deleting the old ones).
    Fail,
}

/// A table written in bulk: its name, columns (in the order of the [`Column`]s
/// given) and key columns.
#[derive(Debug)]
pub struct Table {
    /// Table name.
    pub name: &'static str,
    /// Column names.
    pub columns: &'static [&'static str],
    /// Key column names (a prefix of or subset of `columns`).
    pub key: &'static [&'static str],
}

impl Table {
    /// `INSERT INTO table (columns) `.
    pub fn insert_head(&self) -> String {
        format!("INSERT INTO {} ({}) ", self.name, self.columns.join(", "))
    }

    /// The `ON CONFLICT` clause. An update leaves a row whose values are all
    /// unchanged untouched (no write), so re-running an import is cheap.
    pub fn conflict_tail(&self, on_conflict: OnConflict, dialect: Dialect) -> String {
        let keep: &[&str] = match on_conflict {
            OnConflict::Fail => return String::new(),
            OnConflict::Update => &[],
            OnConflict::UpdateKeeping(keep) => keep,
        };
        let values: Vec<&str> = self
            .columns
            .iter()
            .copied()
            .filter(|c| !self.key.contains(c))
            .collect();
        if values.is_empty() {
            return format!(" ON CONFLICT ({}) DO NOTHING", self.key.join(", "));
        }
        let new: Vec<String> = values
            .iter()
            .map(|c| {
                if keep.contains(c) {
                    format!("COALESCE(excluded.{c}, {}.{c})", self.name)
                } else {
                    format!("excluded.{c}")
                }
            })
            .collect();
        let updates: Vec<String> = values
            .iter()
            .zip(&new)
            .map(|(c, value)| format!("{c} = {value}"))
            .collect();
        let old: Vec<String> = values
            .iter()
            .map(|c| format!("{}.{c}", self.name))
            .collect();
        let distinct = match dialect {
            Dialect::Sqlite => "IS NOT",
            Dialect::Postgres => "IS DISTINCT FROM",
        };
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) {distinct} ({})",
            self.key.join(", "),
            updates.join(", "),
            old.join(", "),
            new.join(", ")
        )
    }
}

/// SQLite's limit on placeholders per statement is 32 766; stay well below.
const SQLITE_MAX_ARGS: usize = 16_000;
/// Rows per multi-row SQLite statement at most.
const SQLITE_MAX_ROWS: usize = 500;

/// From this many rows on, PostgreSQL bulk writes go through `COPY` into a
/// staging table; fewer are one `UNNEST` statement (one round trip, not four).
const COPY_FROM_ROWS: usize = 64;

/// PostgreSQL: `COPY … FROM STDIN` of the rows into a staging table private
/// to the transaction (`TEMP … ON COMMIT DROP`, emptied if an earlier write
/// of this transaction made it), then one set-based `INSERT … SELECT` with
/// `tail` (the `ON CONFLICT` clause). The rows inserted or changed.
async fn copy_insert<E: Engine>(
    tx: &mut E::Tx,
    table: &Table,
    columns: &[Column],
    tail: &str,
) -> Result<u64, sqlx::Error> {
    let stage = format!("jg_stage_{}", table.name);
    let list = table.columns.join(", ");
    E::tx_execute(
        tx,
        &format!(
            "CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS \
             SELECT {list} FROM {} WITH NO DATA",
            table.name
        ),
        Vec::new(),
    )
    .await?;
    E::tx_execute(tx, &format!("TRUNCATE {stage}"), Vec::new()).await?;
    E::tx_copy_in(
        tx,
        &format!("COPY {stage} ({list}) FROM STDIN"),
        super::copy::encode(columns),
    )
    .await?;
    E::tx_execute(
        tx,
        &format!("{}SELECT {list} FROM {stage}{tail}", table.insert_head()),
        Vec::new(),
    )
    .await
}

/// Inserts the rows given column-wise into `table` inside `tx`: multi-row
/// `VALUES` statements on SQLite; on PostgreSQL `COPY` into a staging table
/// and one `INSERT … SELECT` (one `UNNEST` statement for a few rows). Returns
/// the rows inserted or changed (an upsert that changes nothing counts 0).
pub async fn bulk_insert<E: Engine>(
    tx: &mut E::Tx,
    table: &Table,
    columns: Vec<Column>,
    on_conflict: OnConflict,
) -> Result<u64, sqlx::Error> {
    let rows = columns.first().map_or(0, Column::len);
    if rows == 0 {
        return Ok(0);
    }
    let mut affected = 0;
    let head = table.insert_head();
    let dialect = E::tx_dialect(tx);
    let tail = table.conflict_tail(on_conflict, dialect);
    match dialect {
        Dialect::Postgres if rows >= COPY_FROM_ROWS => {
            affected += copy_insert::<E>(tx, table, &columns, &tail).await?;
        }
        Dialect::Postgres => {
            let mut sql = Sql::new(&head);
            sql.push("SELECT * FROM UNNEST(");
            for (index, column) in columns.into_iter().enumerate() {
                if index > 0 {
                    sql.push(", ");
                }
                let cast = column.pg_array_type();
                sql.bind(Arg::Array(column));
                sql.push("::").push(cast);
            }
            sql.push(")").push(&tail);
            affected += E::tx_execute(tx, &sql.text, sql.args).await?;
        }
        Dialect::Sqlite => {
            let width = columns.len().max(1);
            let per_statement = (SQLITE_MAX_ARGS / width).clamp(1, SQLITE_MAX_ROWS);
            // The cells are moved, row by row, into the statements' arguments.
            let mut cells: Vec<std::vec::IntoIter<Arg>> =
                columns.into_iter().map(Column::into_args).collect();
            // Anonymous `?` placeholders, not `$n`: sqlx looks up each named
            // parameter with sqlite3_bind_parameter_name, which is linear in
            // the number of parameters, making a wide statement quadratic.
            let row_text = format!("({})", vec!["?"; width].join(", "));
            let mut start = 0;
            while start < rows {
                let end = (start + per_statement).min(rows);
                let mut text =
                    String::with_capacity(head.len() + tail.len() + (end - start) * width * 6);
                text.push_str(&head);
                text.push_str("VALUES ");
                let mut args = Vec::with_capacity((end - start) * width);
                for row in start..end {
                    if row > start {
                        text.push_str(", ");
                    }
                    text.push_str(&row_text);
                    args.extend(
                        cells
                            .iter_mut()
                            .map(|column| column.next().unwrap_or(Arg::OptText(None))),
                    );
                }
                text.push_str(&tail);
                affected += E::tx_execute(tx, &text, args).await?;
                start = end;
            }
        }
    }
    Ok(affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists_follow_the_dialect() {
        let mut sqlite = Sql::new("SELECT 1 WHERE ");
        sqlite.bind_in(Dialect::Sqlite, "k", vec!["a".into(), "b".into()]);
        assert_eq!(
            sqlite.text,
            "SELECT 1 WHERE k IN (SELECT value FROM json_each($1))"
        );
        assert!(matches!(&sqlite.args[..], [Arg::Text(json)] if json == r#"["a","b"]"#));
        let mut pg = Sql::new("SELECT 1 WHERE ");
        pg.bind_in(Dialect::Postgres, "k", vec!["a".into(), "b".into()]);
        assert_eq!(pg.text, "SELECT 1 WHERE k = ANY($1)");
        let mut empty = Sql::new("");
        empty.bind_in(Dialect::Sqlite, "k", vec![]);
        assert_eq!(empty.text, "1 = 0");
    }

    #[test]
    fn dates_are_bound_as_sqlx_would() {
        for (y, m, d) in [
            (2024, 2, 9),
            (1, 1, 1),
            (9999, 12, 31),
            (-5, 3, 4),
            (12345, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d);
            assert_eq!(
                date.map(date_text),
                date.map(|d| d.format("%F").to_string())
            );
        }
    }

    #[test]
    fn upserts_update_every_non_key_column() {
        let table = Table {
            name: "t",
            columns: &["k", "a", "b"],
            key: &["k"],
        };
        assert_eq!(
            table.conflict_tail(OnConflict::Update, Dialect::Sqlite),
            " ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b WHERE (t.a, t.b) IS NOT (excluded.a, excluded.b)"
        );
        assert!(
            table
                .conflict_tail(OnConflict::Update, Dialect::Postgres)
                .ends_with("IS DISTINCT FROM (excluded.a, excluded.b)")
        );
        let keys_only = Table {
            name: "t",
            columns: &["k"],
            key: &["k"],
        };
        assert_eq!(
            keys_only.conflict_tail(OnConflict::Update, Dialect::Postgres),
            " ON CONFLICT (k) DO NOTHING"
        );
        assert_eq!(table.conflict_tail(OnConflict::Fail, Dialect::Sqlite), "");
    }
}
