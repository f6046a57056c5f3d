//! Storage of government services (issue 21): catalogue entries with every
//! version, and applications (办件) with the derived columns the KPI query
//! reads on one index. Both are documents on the ledger.

use chrono::{DateTime, Days, FixedOffset, NaiveDate};

use super::StoreError;
use super::engine::{Arg, Column, Engine, OnConflict, RowRead, Sql, Table, bulk_insert};
use super::workflow::Document;
use domain::hotline::{beijing, stored_time};
use domain::services::{Application, MatterRecord, ServiceKpiCounts, Verification};

impl Document for MatterRecord {
    const NOUN: &'static str = "matter";
    const TABLE: &'static str = "service_matters";
    const COLUMNS: &'static [&'static str] = &["department", "name", "version"];
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        let current = self.current();
        vec![
            Some(current.map_or_else(String::new, |v| v.matter.department.clone())),
            Some(current.map_or_else(String::new, |v| v.matter.name.clone())),
            Some(current.map_or(0, |v| v.version).to_string()),
        ]
    }
}

impl Document for Verification {
    const NOUN: &'static str = "verification";
    const TABLE: &'static str = "service_verifications";
    const COLUMNS: &'static [&'static str] = &["month"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.month.clone())]
    }
}

impl Document for Application {
    const NOUN: &'static str = "application";
    const TABLE: &'static str = "service_applications";
    const COLUMNS: &'static [&'static str] = APPLICATION_COLUMNS.split_at(1).1.split_at(11).0;
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.matter.clone()),
            Some(self.department.clone()),
            Some(self.channel.as_str().to_owned()),
            Some(stored_time(self.received_at)),
            self.accepted_at.map(stored_time),
            self.due.map(|d| d.to_string()),
            self.closed_at.map(stored_time),
            self.review.map(|r| r.as_str().to_owned()),
            self.reviewed_at.map(stored_time),
            self.rectify_due.map(|d| d.to_string()),
            self.rectified_at.map(stored_time),
        ]
    }
}

/// The table's columns: the key, the derived columns, the document.
const APPLICATION_COLUMNS: &[&str] = &[
    "id",
    "matter",
    "department",
    "channel",
    "received_at",
    "accepted_at",
    "due",
    "closed_at",
    "review",
    "reviewed_at",
    "rectify_due",
    "rectified_at",
    "doc",
];

const SEED: Table = Table {
    name: "service_applications",
    columns: APPLICATION_COLUMNS,
    key: &["id"],
};

/// A KPI query: applications received from `from` to `to` (both days
/// included), as things stood at `as_of` (later steps have not happened yet).
#[derive(Debug, Clone)]
pub struct ServiceKpiRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// "Now".
    pub as_of: DateTime<FixedOffset>,
    /// One department only.
    pub department: Option<String>,
}

/// `$1`..`$2`: the received range; `$3`: as-of time; `$4`: as-of day. A step
/// after `$3` has not happened yet; a deadline before `$4` has passed.
const KPI_SQL: &str = "SELECT COUNT(*), \
    COALESCE(SUM(CASE WHEN channel = '综合窗口' THEN 1 ELSE 0 END), 0), \
    COALESCE(SUM(CASE WHEN accepted_at <= $3 AND closed_at <= $3 AND substr(closed_at, 1, 10) <= due THEN 1 ELSE 0 END), 0), \
    COALESCE(SUM(CASE WHEN accepted_at <= $3 AND (closed_at <= $3 OR due < $4) THEN 1 ELSE 0 END), 0), \
    COALESCE(SUM(CASE WHEN reviewed_at <= $3 AND review IN ('非常满意', '满意', '基本满意') THEN 1 ELSE 0 END), 0), \
    COALESCE(SUM(CASE WHEN reviewed_at <= $3 THEN 1 ELSE 0 END), 0), \
    COALESCE(SUM(CASE WHEN reviewed_at <= $3 AND review IN ('不满意', '非常不满意') THEN 1 ELSE 0 END), 0), \
    COALESCE(SUM(CASE WHEN reviewed_at <= $3 AND rectified_at <= $3 AND substr(rectified_at, 1, 10) <= rectify_due THEN 1 ELSE 0 END), 0), \
    COALESCE(SUM(CASE WHEN reviewed_at <= $3 AND rectify_due IS NOT NULL AND (rectified_at <= $3 OR rectify_due < $4) THEN 1 ELSE 0 END), 0) \
    FROM service_applications WHERE received_at >= $1 AND received_at < $2 AND received_at <= $3";

fn count(row: &impl RowRead, index: usize) -> Result<u64, StoreError> {
    Ok(u64::try_from(row.int(index)?).unwrap_or(0))
}

fn day_start(day: NaiveDate) -> String {
    format!("{day}T00:00:00+08:00")
}

/// Storage of the catalogue and applications.
pub trait ServiceStore {
    /// The KPI counts of `range`.
    fn service_kpi_counts(
        &self,
        range: &ServiceKpiRange,
    ) -> impl Future<Output = Result<ServiceKpiCounts, StoreError>> + Send;
    /// Catalogue entries whose code or name contains `query` (all when empty),
    /// by code, at most `limit`.
    fn service_matters(
        &self,
        query: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<MatterRecord>, StoreError>> + Send;
    /// Bulk-inserts applications without ledger entries: for benchmarks only.
    fn seed_applications(
        &self,
        applications: Vec<Application>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

async fn kpi_between<E: Engine>(
    engine: &E,
    range: &ServiceKpiRange,
    start: String,
    end: String,
) -> Result<ServiceKpiCounts, StoreError> {
    if start >= end {
        return Ok(ServiceKpiCounts::default());
    }
    let mut sql = Sql::new(KPI_SQL);
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
    let rows = engine.fetch_all(&sql.text, sql.args).await?;
    let Some(row) = rows.first() else {
        return Ok(ServiceKpiCounts::default());
    };
    Ok(ServiceKpiCounts {
        applications: count(row, 0)?,
        one_window: count(row, 1)?,
        closed_on_time: count(row, 2)?,
        timed: count(row, 3)?,
        good: count(row, 4)?,
        rated: count(row, 5)?,
        bad: count(row, 6)?,
        rectified_on_time: count(row, 7)?,
        rectify_counted: count(row, 8)?,
    })
}

impl<E: Engine> ServiceStore for E {
    async fn service_kpi_counts(
        &self,
        range: &ServiceKpiRange,
    ) -> Result<ServiceKpiCounts, StoreError> {
        // Two halves of the period read at once, on two connections (and cores).
        let start = day_start(range.from);
        let end = day_start(range.to.checked_add_days(Days::new(1)).unwrap_or(range.to));
        let days = (range.to - range.from).num_days().max(0) as u64;
        let middle = day_start(
            range
                .from
                .checked_add_days(Days::new(days.div_ceil(2)))
                .unwrap_or(range.to),
        )
        .clamp(start.clone(), end.clone());
        let (first, second) = tokio::join!(
            kpi_between(self, range, start, middle.clone()),
            kpi_between(self, range, middle, end)
        );
        let mut counts = first?;
        counts.add(&second?);
        Ok(counts)
    }

    async fn service_matters(
        &self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<MatterRecord>, StoreError> {
        let mut sql = Sql::new("SELECT id, doc FROM service_matters");
        let query = query.trim();
        if !query.is_empty() {
            let pattern = format!(
                "%{}%",
                query
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            sql.push(" WHERE id LIKE ")
                .bind(Arg::Text(pattern.clone()))
                .push(" ESCAPE '\\' OR name LIKE ")
                .bind(Arg::Text(pattern))
                .push(" ESCAPE '\\'");
        }
        sql.push(" ORDER BY id LIMIT ")
            .bind(Arg::Int(i64::from(limit)));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter()
            .map(|row| {
                let id = row.text(0)?;
                serde_json::from_str(&row.text(1)?).map_err(|e| StoreError::Corrupt {
                    table: "service_matters",
                    key: id,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    async fn seed_applications(&self, applications: Vec<Application>) -> Result<u64, StoreError> {
        let n = applications.len();
        let mut values: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(n); SEED.columns.len()];
        for application in &applications {
            let doc = serde_json::to_string(application).map_err(|e| StoreError::Corrupt {
                table: "service_applications",
                key: application.id.clone(),
                reason: e.to_string(),
            })?;
            let row = std::iter::once(Some(application.id.clone()))
                .chain(application.columns())
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
