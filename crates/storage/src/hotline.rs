//! Storage of 12345 work orders: documents on the ledger (one entry per
//! change), with derived columns that let the KPI report and the overdue list
//! run on indexes alone, and the list's search (caller's number, content)
//! read plain columns rather than parse every document.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, FixedOffset, NaiveDate};

use super::StoreError;
use super::engine::{Arg, Column, Dialect, Engine, OnConflict, RowRead, Sql, Table, bulk_insert};
use super::workflow::{Change, Document, put_in};
use domain::hotline::{WorkOrder, beijing, stored_time};
use domain::inspection::OutOfPlan;

impl Document for WorkOrder {
    const NOUN: &'static str = "work order";
    const TABLE: &'static str = "work_orders";
    const COLUMNS: &'static [&'static str] = ORDER_TABLE_COLUMNS.split_at(1).1.split_at(16).0;
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(stored_time(self.received_at)),
            Some(self.channel.clone()),
            Some(self.category.clone()),
            Some(self.difficulty.as_str().to_owned()),
            self.department.clone(),
            Some(self.status.as_str().to_owned()),
            Some(self.sign_due.to_string()),
            self.signed_at.map(stored_time),
            Some(self.close_due.to_string()),
            self.closed_at.map(stored_time),
            self.close_working_days.map(|d| d.to_string()),
            self.rating.map(|r| r.as_str().to_owned()),
            self.escalation.map(|e| e.as_str().to_owned()),
            self.entity.clone(),
            Some(self.caller.phone.clone()),
            Some(self.content.clone()),
        ]
    }
}

/// A KPI query: orders received from `from` to `to` (both days included), as
/// things stood at `as_of` (steps after it have not happened yet).
#[derive(Debug, Clone)]
pub struct KpiRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// "Now".
    pub as_of: DateTime<FixedOffset>,
    /// One department only.
    pub department: Option<String>,
}

pub use domain::hotline::KpiCounts;

/// Counts for one department × channel × category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiRow {
    /// Department (none: not dispatched).
    pub department: Option<String>,
    /// Channel number.
    pub channel: String,
    /// 问题类型.
    pub category: String,
    /// The counts.
    pub counts: KpiCounts,
}

/// An open order near or past a deadline, from the derived columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRow {
    /// 工单编号.
    pub id: String,
    /// Department.
    pub department: Option<String>,
    /// 问题类型.
    pub category: String,
    /// 难度.
    pub difficulty: String,
    /// Status.
    pub status: String,
    /// 受理时间 as stored.
    pub received_at: String,
    /// 签收时限.
    pub sign_due: String,
    /// 签收时间 (none: unsigned as of then).
    pub signed_at: Option<String>,
    /// 办结时限.
    pub close_due: String,
    /// 督办.
    pub escalation: Option<String>,
}

/// Which orders a list shows.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// One department (`Some("")`: not dispatched).
    pub department: Option<String>,
    /// One status (Chinese name).
    pub status: Option<String>,
    /// One channel number.
    pub channel: Option<String>,
    /// About one enterprise.
    pub entity: Option<String>,
    /// Received on or after.
    pub from: Option<NaiveDate>,
    /// Received on or before.
    pub to: Option<NaiveDate>,
    /// Open and past a deadline on this day.
    pub overdue_on: Option<NaiveDate>,
    /// A part of the order number (工单编号), ASCII letters case-insensitive.
    pub number: Option<String>,
    /// A part of the caller's telephone number (digits). Only the 12345
    /// centre may search by it: the caller is confidential.
    pub phone: Option<String>,
    /// A word of the 问题类型 or the caller's account of the matter (诉求内容).
    pub keyword: Option<String>,
}

/// Work-order storage.
pub trait HotlineStore {
    /// The KPI counts of `range`, one row per department × channel × category.
    fn hotline_kpi_rows(
        &self,
        range: &KpiRange,
    ) -> impl Future<Output = Result<Vec<KpiRow>, StoreError>> + Send;
    /// Orders open at `as_of` (in `department`, if given) whose closing
    /// deadline, or unsigned sign deadline, is on or before `soon`; by closing deadline.
    fn hotline_due(
        &self,
        department: Option<&str>,
        as_of: DateTime<FixedOffset>,
        soon: NaiveDate,
    ) -> impl Future<Output = Result<Vec<DueRow>, StoreError>> + Send;
    /// Orders matching `filter`, newest first.
    fn hotline_orders(
        &self,
        filter: &OrderFilter,
        limit: u32,
        offset: u32,
    ) -> impl Future<Output = Result<Vec<WorkOrder>, StoreError>> + Send;
    /// How many orders match `filter`.
    fn hotline_order_count(
        &self,
        filter: &OrderFilter,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Writes `order`, which was read with `events_before` events, with its
    /// ledger entry; and `inspection` with its own, in the same transaction.
    /// Fails without writing if the stored order changed since it was read.
    fn replace_work_order(
        &self,
        order: &WorkOrder,
        events_before: usize,
        change: &Change,
        inspection: Option<(&OutOfPlan, &Change)>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Bulk-inserts orders without ledger entries: for benchmarks only.
    fn seed_work_orders(
        &self,
        orders: Vec<WorkOrder>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

const KPI_SQL: &str = "SELECT department, channel, category, COUNT(*), \
    SUM(CASE WHEN signed_at <= $3 AND substr(signed_at, 1, 10) <= sign_due THEN 1 ELSE 0 END), \
    SUM(CASE WHEN signed_at <= $3 OR sign_due < $4 THEN 1 ELSE 0 END), \
    SUM(CASE WHEN closed_at <= $3 AND substr(closed_at, 1, 10) <= close_due THEN 1 ELSE 0 END), \
    SUM(CASE WHEN closed_at <= $3 OR close_due < $4 THEN 1 ELSE 0 END), \
    SUM(CASE WHEN rating IN ('满意', '基本满意') THEN 1 ELSE 0 END), \
    SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), \
    SUM(CASE WHEN closed_at <= $3 THEN 1 ELSE 0 END), \
    SUM(CASE WHEN closed_at <= $3 THEN CAST(close_days AS INTEGER) ELSE 0 END) \
    FROM work_orders{kpi_index} WHERE received_at >= $1 AND received_at < $2 AND received_at <= $3";

/// On SQLite, the index a query must read, whatever the planner's statistics
/// say (jianguan never runs `ANALYZE`; without it SQLite would read the KPI
/// report through the table, four times slower).
fn sqlite_index(dialect: Dialect, index: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!(" INDEXED BY {index}"),
        Dialect::Postgres => String::new(),
    }
}

const DUE_COLUMNS: &str = "id, department, category, difficulty, status, received_at, sign_due, signed_at, close_due, escalation";

fn count(row: &impl RowRead, index: usize) -> Result<u64, StoreError> {
    Ok(u64::try_from(row.int(index)?).unwrap_or(0))
}

fn day_start(day: NaiveDate) -> String {
    format!("{day}T00:00:00+08:00")
}

/// `%text%` for `LIKE … ESCAPE '\'`.
fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn push_filter(sql: &mut Sql, dialect: Dialect, filter: &OrderFilter) {
    sql.push(" WHERE 1 = 1");
    let present = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if let Some(number) = present(&filter.number) {
        sql.push(" AND id ")
            .push(dialect.ilike())
            .push(" ")
            .bind(Arg::Text(contains_pattern(&number)))
            .push(" ESCAPE '\\'");
    }
    if let Some(phone) = present(&filter.phone) {
        sql.push(" AND caller_phone LIKE ")
            .bind(Arg::Text(contains_pattern(&phone)))
            .push(" ESCAPE '\\'");
    }
    if let Some(keyword) = present(&filter.keyword) {
        let pattern = contains_pattern(&keyword);
        sql.push(" AND (category ")
            .push(dialect.ilike())
            .push(" ")
            .bind(Arg::Text(pattern.clone()))
            .push(" ESCAPE '\\' OR content ")
            .push(dialect.ilike())
            .push(" ")
            .bind(Arg::Text(pattern))
            .push(" ESCAPE '\\')");
    }
    match filter.department.as_deref() {
        Some("") => {
            sql.push(" AND department IS NULL");
        }
        Some(department) => {
            sql.push(" AND department = ")
                .bind(Arg::Text(department.to_owned()));
        }
        None => {}
    }
    for (column, value) in [
        ("status", &filter.status),
        ("channel", &filter.channel),
        ("entity", &filter.entity),
    ] {
        if let Some(value) = value {
            sql.push(&format!(" AND {column} = "))
                .bind(Arg::Text(value.clone()));
        }
    }
    if let Some(from) = filter.from {
        sql.push(" AND received_at >= ")
            .bind(Arg::Text(day_start(from)));
    }
    if let Some(to) = filter.to.and_then(|d| d.checked_add_days(Days::new(1))) {
        sql.push(" AND received_at < ")
            .bind(Arg::Text(day_start(to)));
    }
    if let Some(day) = filter.overdue_on {
        let day = day.to_string();
        sql.push(" AND closed_at IS NULL AND (close_due < ")
            .bind(Arg::Text(day.clone()))
            .push(" OR (signed_at IS NULL AND department IS NOT NULL AND sign_due < ")
            .bind(Arg::Text(day))
            .push("))");
    }
}

/// The KPI counts of the orders of `range` received in `[start, end)`.
async fn kpi_rows_between<E: Engine>(
    engine: &E,
    range: &KpiRange,
    start: String,
    end: String,
) -> Result<Vec<KpiRow>, StoreError> {
    if start >= end {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&KPI_SQL.replace(
        "{kpi_index}",
        &sqlite_index(engine.dialect(), "work_orders_kpi"),
    ));
    sql.args = vec![
        Arg::Text(start),
        Arg::Text(end),
        Arg::Text(stored_time(range.as_of)),
        Arg::Text(
            range
                .as_of
                .with_timezone(&beijing())
                .date_naive()
                .to_string(),
        ),
    ];
    if let Some(department) = &range.department {
        sql.push(" AND department = ")
            .bind(Arg::Text(department.clone()));
    }
    sql.push(" GROUP BY department, channel, category");
    let rows = engine.fetch_all(&sql.text, sql.args).await?;
    rows.iter()
        .map(|row| {
            Ok(KpiRow {
                department: row.opt_text(0)?,
                channel: row.text(1)?,
                category: row.text(2)?,
                counts: KpiCounts {
                    orders: count(row, 3)?,
                    signed_on_time: count(row, 4)?,
                    sign_counted: count(row, 5)?,
                    closed_on_time: count(row, 6)?,
                    close_counted: count(row, 7)?,
                    satisfied: count(row, 8)?,
                    rated: count(row, 9)?,
                    closed: count(row, 10)?,
                    close_days_total: count(row, 11)?,
                },
            })
        })
        .collect()
}

/// The table's columns: the key, the derived columns, the document.
const ORDER_TABLE_COLUMNS: &[&str] = &[
    "id",
    "received_at",
    "channel",
    "category",
    "difficulty",
    "department",
    "status",
    "sign_due",
    "signed_at",
    "close_due",
    "closed_at",
    "close_days",
    "rating",
    "escalation",
    "entity",
    "caller_phone",
    "content",
    "doc",
];

const SEED: Table = Table {
    name: "work_orders",
    columns: ORDER_TABLE_COLUMNS,
    key: &["id"],
};

impl<E: Engine> HotlineStore for E {
    async fn hotline_kpi_rows(&self, range: &KpiRange) -> Result<Vec<KpiRow>, StoreError> {
        // Two halves of the period read at once, on two connections (and cores).
        let start = day_start(range.from);
        let end = day_start(range.to.checked_add_days(Days::new(1)).unwrap_or(range.to));
        let days = (range.to - range.from).num_days().max(0) as u64;
        let middle = day_start(
            range
                .from
                .checked_add_days(Days::new(days.div_ceil(2)))
                .unwrap_or(range.to),
        );
        let (first, second) = tokio::join!(
            kpi_rows_between(self, range, start, middle.clone()),
            kpi_rows_between(self, range, middle, end)
        );
        let mut merged: BTreeMap<(Option<String>, String, String), KpiRow> = BTreeMap::new();
        for row in first?.into_iter().chain(second?) {
            let key = (
                row.department.clone(),
                row.channel.clone(),
                row.category.clone(),
            );
            match merged.get_mut(&key) {
                Some(sum) => sum.counts.add(&row.counts),
                None => {
                    merged.insert(key, row);
                }
            }
        }
        Ok(merged.into_values().collect())
    }

    async fn hotline_due(
        &self,
        department: Option<&str>,
        as_of: DateTime<FixedOffset>,
        soon: NaiveDate,
    ) -> Result<Vec<DueRow>, StoreError> {
        // Open now (the partial index), or closed only after `as_of`; orders
        // received after `as_of` are dropped here, which keeps both on their index.
        let mut sql = Sql::new("");
        for (open, index) in [
            ("closed_at IS NULL", "work_orders_open"),
            ("closed_at > ", "work_orders_closed"),
        ] {
            if !sql.text.is_empty() {
                sql.push(" UNION ALL ");
            }
            let index = sqlite_index(self.dialect(), index);
            sql.push(&format!(
                "SELECT {DUE_COLUMNS} FROM work_orders{index} WHERE {open}"
            ));
            if open.ends_with("> ") {
                sql.bind(Arg::Text(stored_time(as_of)));
            }
            if let Some(department) = department {
                sql.push(" AND department = ")
                    .bind(Arg::Text(department.to_owned()));
            }
            sql.push(" AND (close_due <= ")
                .bind(Arg::Text(soon.to_string()))
                .push(" OR (department IS NOT NULL AND (signed_at IS NULL OR signed_at > ")
                .bind(Arg::Text(stored_time(as_of)))
                .push(") AND sign_due <= ")
                .bind(Arg::Text(soon.to_string()))
                .push("))");
        }
        sql.push(" ORDER BY 9, 1");
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        let as_of_text = stored_time(as_of);
        rows.iter()
            .filter(|row| row.text(5).is_ok_and(|received| received <= as_of_text))
            .map(|row| {
                let signed_at = row.opt_text(7)?.filter(|at| *at <= as_of_text);
                Ok(DueRow {
                    id: row.text(0)?,
                    department: row.opt_text(1)?,
                    category: row.text(2)?,
                    difficulty: row.text(3)?,
                    status: row.text(4)?,
                    received_at: row.text(5)?,
                    sign_due: row.text(6)?,
                    signed_at,
                    close_due: row.text(8)?,
                    escalation: row.opt_text(9)?,
                })
            })
            .collect()
    }

    async fn hotline_orders(
        &self,
        filter: &OrderFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<WorkOrder>, StoreError> {
        let mut sql = Sql::new("SELECT id, doc FROM work_orders");
        push_filter(&mut sql, self.dialect(), filter);
        sql.push(" ORDER BY received_at DESC, id DESC LIMIT ")
            .bind(Arg::Int(i64::from(limit)))
            .push(" OFFSET ")
            .bind(Arg::Int(i64::from(offset)));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter()
            .map(|row| {
                let id = row.text(0)?;
                serde_json::from_str(&row.text(1)?).map_err(|e| StoreError::Corrupt {
                    table: "work_orders",
                    key: id,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    async fn hotline_order_count(&self, filter: &OrderFilter) -> Result<u64, StoreError> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM work_orders");
        push_filter(&mut sql, self.dialect(), filter);
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        match rows.first() {
            Some(row) => count(row, 0),
            None => Ok(0),
        }
    }

    async fn replace_work_order(
        &self,
        order: &WorkOrder,
        events_before: usize,
        change: &Change,
        inspection: Option<(&OutOfPlan, &Change)>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let lock = match self.dialect() {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        };
        let rows = E::tx_fetch_all(
            &mut tx,
            &format!("SELECT doc FROM work_orders WHERE id = $1{lock}"),
            vec![Arg::Text(order.id.clone())],
        )
        .await?;
        if let Some(row) = rows.first() {
            let stored: WorkOrder =
                serde_json::from_str(&row.text(0)?).map_err(|e| StoreError::Corrupt {
                    table: "work_orders",
                    key: order.id.clone(),
                    reason: e.to_string(),
                })?;
            if stored.events.len() != events_before {
                return Err(StoreError::Constraint {
                    message: format!(
                        "work order {} was changed by someone else meanwhile; reload it and try again",
                        order.id
                    ),
                });
            }
        } else if events_before != 0 {
            return Err(StoreError::Constraint {
                message: format!("work order {} no longer exists", order.id),
            });
        }
        if let Some((inspection, change)) = inspection {
            put_in::<E, OutOfPlan>(&mut tx, inspection, change).await?;
        }
        put_in::<E, WorkOrder>(&mut tx, order, change).await?;
        E::commit(tx).await?;
        Ok(())
    }

    async fn seed_work_orders(&self, orders: Vec<WorkOrder>) -> Result<u64, StoreError> {
        let n = orders.len();
        let mut values: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(n); SEED.columns.len()];
        for order in &orders {
            let doc = serde_json::to_string(order).map_err(|e| StoreError::Corrupt {
                table: "work_orders",
                key: order.id.clone(),
                reason: e.to_string(),
            })?;
            let row = std::iter::once(Some(order.id.clone()))
                .chain(order.columns())
                .chain(std::iter::once(Some(doc)));
            for (column, value) in values.iter_mut().zip(row) {
                column.push(value);
            }
        }
        let columns = values.into_iter().map(Column::OptText).collect();
        let mut tx = self.begin().await?;
        let written = bulk_insert::<E>(&mut tx, &SEED, columns, OnConflict::Update).await?;
        E::commit(tx).await?;
        Ok(written)
    }
}
