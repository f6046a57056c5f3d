//! Storage of enforcement supervision: discretion benchmark versions and
//! penalty cases, as documents on the ledger (one entry per document written).
//! A case import writes its documents and their ledger entries in bulk, in one
//! transaction.

use chrono::NaiveDate;

use super::StoreError;
use super::engine::{Arg, Column, Engine, OnConflict, RowRead, Sql, Table, bulk_insert};
use super::workflow::{Change, Document, append_ledger_many};
use domain::enforcement::{DiscretionVersion, PartyKind, PenaltyCase};
use domain::review::Reviewer;

impl Document for DiscretionVersion {
    const NOUN: &'static str = "discretion benchmark version";
    const TABLE: &'static str = "discretion_versions";
    const COLUMNS: &'static [&'static str] = &["in_force"];
    fn key(&self) -> String {
        DiscretionVersion::key_of(self.version)
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.in_force.to_string())]
    }
}

impl Document for PenaltyCase {
    const NOUN: &'static str = "penalty case";
    const TABLE: &'static str = "penalty_cases";
    const COLUMNS: &'static [&'static str] = CASE_COLUMNS.split_at(1).1.split_at(7).0;
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.department.clone()),
            Some(self.public_party_name()),
            (self.party_id.kind == PartyKind::Organisation).then(|| self.party_id.code.clone()),
            Some(self.behaviour.clone()),
            self.decided_on.map(|d| d.to_string()),
            self.published_on.map(|d| d.to_string()),
            self.withdrawn_on.map(|d| d.to_string()),
        ]
    }
}

impl Document for Reviewer {
    const NOUN: &'static str = "reviewer";
    const TABLE: &'static str = "reviewers";
    const COLUMNS: &'static [&'static str] = &["unit"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.unit.clone())]
    }
}

/// The case table's columns: the key, the derived columns, the document.
const CASE_COLUMNS: &[&str] = &[
    "id",
    "department",
    "party_name",
    "party_code",
    "behaviour",
    "decided_on",
    "published_on",
    "withdrawn_on",
    "doc",
];

const CASES: Table = Table {
    name: "penalty_cases",
    columns: CASE_COLUMNS,
    key: &["id"],
};

/// Which published decisions the portal lists.
#[derive(Debug, Clone, Default)]
pub struct PublicCaseFilter {
    /// Words matched against the party's name as published, an organisation's
    /// code, the case number, the behaviour code and the department (a
    /// person's name and ID number are never matched).
    pub text: Option<String>,
    /// One department.
    pub department: Option<String>,
}

/// Penalty-case storage.
pub trait CaseStore {
    /// Inserts or replaces `cases` with one ledger entry each, in one transaction.
    fn put_cases(
        &self,
        cases: &[PenaltyCase],
        change: &Change,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Every case (of `department`, if given), by case number.
    fn penalty_cases(
        &self,
        department: Option<&str>,
    ) -> impl Future<Output = Result<Vec<PenaltyCase>, StoreError>> + Send;
    /// A page of the decisions public on `today` (decided, published on or
    /// before it, not withdrawn on or before it), newest decision first.
    fn public_cases(
        &self,
        filter: &PublicCaseFilter,
        today: NaiveDate,
        limit: u32,
        offset: u32,
    ) -> impl Future<Output = Result<(Vec<PenaltyCase>, u64), StoreError>> + Send;
}

fn parse_case(key: &str, text: &str) -> Result<PenaltyCase, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        table: "penalty_cases",
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

fn push_public_filter(sql: &mut Sql, filter: &PublicCaseFilter, today: NaiveDate, like: &str) {
    let today = today.to_string();
    sql.push(" WHERE published_on IS NOT NULL AND decided_on IS NOT NULL AND published_on <= ")
        .bind(Arg::Text(today.clone()))
        .push(" AND (withdrawn_on IS NULL OR withdrawn_on > ")
        .bind(Arg::Text(today))
        .push(")");
    if let Some(department) = &filter.department {
        sql.push(" AND department = ")
            .bind(Arg::Text(department.clone()));
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", escape_like(text));
        sql.push(&format!(" AND (party_name {like} "))
            .bind(Arg::Text(pattern.clone()))
            .push(" ESCAPE '\\'");
        for column in ["party_code", "id", "behaviour", "department"] {
            sql.push(&format!(" OR {column} {like} "))
                .bind(Arg::Text(pattern.clone()))
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl<E: Engine> CaseStore for E {
    async fn put_cases(&self, cases: &[PenaltyCase], change: &Change) -> Result<u64, StoreError> {
        if cases.is_empty() {
            return Ok(0);
        }
        let mut values: Vec<Vec<Option<String>>> = CASE_COLUMNS
            .iter()
            .map(|_| Vec::with_capacity(cases.len()))
            .collect();
        let mut subjects = Vec::with_capacity(cases.len());
        for case in cases {
            let doc = serde_json::to_string(case).map_err(|e| StoreError::Corrupt {
                table: "penalty_cases",
                key: case.id.clone(),
                reason: e.to_string(),
            })?;
            subjects.push((case.id.clone(), domain::ledger::digest(&doc)));
            let row = std::iter::once(Some(case.id.clone()))
                .chain(case.columns())
                .chain(std::iter::once(Some(doc)));
            for (column, value) in values.iter_mut().zip(row) {
                column.push(value);
            }
        }
        let columns = values.into_iter().map(Column::OptText).collect();
        let mut tx = self.begin().await?;
        let written = bulk_insert::<E>(&mut tx, &CASES, columns, OnConflict::Update).await?;
        append_ledger_many::<E>(&mut tx, PenaltyCase::TABLE, subjects, change).await?;
        E::commit(tx).await?;
        Ok(written)
    }

    async fn penalty_cases(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<PenaltyCase>, StoreError> {
        let mut sql = Sql::new("SELECT id, doc FROM penalty_cases");
        if let Some(department) = department {
            sql.push(" WHERE department = ")
                .bind(Arg::Text(department.to_owned()));
        }
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        let mut cases = rows
            .iter()
            .map(|row| parse_case(&row.text(0)?, &row.text(1)?))
            .collect::<Result<Vec<_>, _>>()?;
        // Byte order, whatever the database's collation.
        cases.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(cases)
    }

    async fn public_cases(
        &self,
        filter: &PublicCaseFilter,
        today: NaiveDate,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<PenaltyCase>, u64), StoreError> {
        let like = self.dialect().ilike();
        let mut count = Sql::new("SELECT COUNT(*) FROM penalty_cases");
        push_public_filter(&mut count, filter, today, like);
        let rows = self.fetch_all(&count.text, count.args).await?;
        let total = rows
            .first()
            .map(|row| row.int(0))
            .transpose()?
            .map_or(0, |n| u64::try_from(n).unwrap_or(0));
        let mut sql = Sql::new("SELECT id, doc FROM penalty_cases");
        push_public_filter(&mut sql, filter, today, like);
        sql.push(" ORDER BY decided_on DESC, id LIMIT ")
            .bind(Arg::Int(i64::from(limit)))
            .push(" OFFSET ")
            .bind(Arg::Int(i64::from(offset)));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        let cases = rows
            .iter()
            .map(|row| parse_case(&row.text(0)?, &row.text(1)?))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((cases, total))
    }
}
