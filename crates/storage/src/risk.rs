//! Storage of credit-risk classification: the few bulk reads a classification run needs (each one aggregated
//! text value, not hundreds of thousands of rows), the run's writes in one
//! transaction with its ledger entry, and the explanations.

use chrono::NaiveDate;

use super::engine::{Arg, Column, Dialect, Engine, OnConflict, RowRead, Table, bulk_insert};
use super::workflow::{Change, Document, put_in};
use super::{StoreError, WorkflowStore};
use domain::entity::CreditClass;
use domain::risk::{ClassCounts, ClassificationRun, RUN_KIND};

impl Document for ClassificationRun {
    const NOUN: &'static str = "classification run";
    const TABLE: &'static str = "credit_runs";
    const COLUMNS: &'static [&'static str] = &["kind"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.kind.clone())]
    }
}

/// A published inspection result, as the indicators read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultFact {
    /// 统一社会信用代码.
    pub entity: String,
    /// The result's id.
    pub id: String,
    /// The result category (Chinese name).
    pub category: String,
    /// Last day of the check.
    pub check_end: NaiveDate,
    /// The result it corrects, if any.
    pub corrects: Option<String>,
}

/// One entity's stored class and explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRow {
    /// 统一社会信用代码.
    pub uscc: String,
    /// Class.
    pub class: CreditClass,
    /// Score.
    pub score: i64,
    /// As-of date of the run.
    pub classified_on: NaiveDate,
    /// JSON: [`domain::risk::StoredExplanation`].
    pub explanation: String,
}

/// What a classification run writes, in one transaction.
#[derive(Debug, Clone)]
pub struct ClassificationWrite {
    /// Every classified entity (replaces all stored explanations).
    pub rows: Vec<RiskRow>,
    /// The run document.
    pub run: ClassificationRun,
    /// Its ledger entry.
    pub change: Change,
}

/// Storage of the classification.
pub trait RiskStore: WorkflowStore {
    /// `(uscc, filed_on)` of the annual reports for `year`.
    fn annual_reports_of_year(
        &self,
        year: i32,
    ) -> impl Future<Output = Result<Vec<(String, NaiveDate)>, StoreError>> + Send;
    /// Inserts or replaces annual reports `(uscc, year, filed_on)`.
    fn upsert_annual_reports(
        &self,
        reports: Vec<(String, i32, NaiveDate)>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every published inspection result.
    fn published_results(&self)
    -> impl Future<Output = Result<Vec<ResultFact>, StoreError>> + Send;
    /// `(entity, inspected_on)` of every out-of-plan inspection on a complaint (投诉举报).
    fn complaints(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, NaiveDate)>, StoreError>> + Send;
    /// Writes a run: replaces every explanation, sets the changed classes of
    /// `entities` (and their date) and puts the run document on the ledger.
    /// Returns how many entities changed class.
    fn store_classification(
        &self,
        write: ClassificationWrite,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// One entity's stored class and explanation.
    fn entity_risk(
        &self,
        uscc: &str,
    ) -> impl Future<Output = Result<Option<RiskRow>, StoreError>> + Send;
    /// Entities of the directory per class, and the unclassified.
    fn class_distribution(
        &self,
    ) -> impl Future<Output = Result<(ClassCounts, u64), StoreError>> + Send;
    /// The latest classification run.
    fn latest_classification(
        &self,
    ) -> impl Future<Output = Result<Option<ClassificationRun>, StoreError>> + Send;
}

/// The one text value `sql` returns, split in lines of tab-separated fields.
async fn lines<E: Engine>(
    engine: &E,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<Vec<String>>, StoreError> {
    let rows = engine.fetch_all(sql, args).await?;
    let text = rows
        .first()
        .map(|row| row.opt_text(0))
        .transpose()?
        .flatten()
        .unwrap_or_default();
    Ok(text
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect())
}

/// `fields` joined by tabs, rows by new lines, as one text value (NULL as empty).
fn aggregate(dialect: Dialect, fields: &[&str]) -> String {
    match dialect {
        Dialect::Sqlite => format!(
            "group_concat(printf('{}', {}), char(10))",
            vec!["%s"; fields.len()].join("\t"),
            fields.join(", ")
        ),
        Dialect::Postgres => format!(
            "string_agg(concat_ws(E'\\t', {}), E'\\n')",
            fields
                .iter()
                .map(|f| format!("coalesce({f}, '')"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A date column as `YYYY-MM-DD` text (NULL stays NULL).
fn date_text(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::Sqlite => column.to_owned(),
        Dialect::Postgres => format!("to_char({column}, 'YYYY-MM-DD')"),
    }
}

/// A text field of the JSON document column `doc`.
fn json_field(dialect: Dialect, field: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("json_extract(doc, '$.{field}')"),
        Dialect::Postgres => format!("(doc::jsonb ->> '{field}')"),
    }
}

fn corrupt(table: &'static str, fields: &[String], reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        table,
        key: fields.first().cloned().unwrap_or_default(),
        reason: reason.into(),
    }
}

fn field_date(
    table: &'static str,
    fields: &[String],
    index: usize,
) -> Result<NaiveDate, StoreError> {
    let text = fields.get(index).map_or("", String::as_str);
    text.parse().map_err(|_| {
        corrupt(
            table,
            fields,
            format!("field {index} {text:?} is not a date"),
        )
    })
}

fn field_text(fields: &[String], index: usize) -> String {
    fields.get(index).cloned().unwrap_or_default()
}

fn field_opt_text(fields: &[String], index: usize) -> Option<String> {
    fields.get(index).filter(|t| !t.is_empty()).cloned()
}

const ENTITY_RISK: Table = Table {
    name: "entity_risk",
    columns: &["uscc", "class", "score", "classified_on", "explanation"],
    key: &["uscc"],
};

impl<E: Engine> RiskStore for E {
    async fn annual_reports_of_year(
        &self,
        year: i32,
    ) -> Result<Vec<(String, NaiveDate)>, StoreError> {
        let sql = format!(
            "SELECT {} FROM annual_reports WHERE year = $1",
            aggregate(
                self.dialect(),
                &["uscc", &date_text(self.dialect(), "filed_on")]
            )
        );
        lines(self, &sql, vec![Arg::Int(i64::from(year))])
            .await?
            .into_iter()
            .map(|fields| {
                Ok((
                    field_text(&fields, 0),
                    field_date("annual_reports", &fields, 1)?,
                ))
            })
            .collect()
    }

    async fn upsert_annual_reports(
        &self,
        reports: Vec<(String, i32, NaiveDate)>,
    ) -> Result<(), StoreError> {
        const TABLE: Table = Table {
            name: "annual_reports",
            columns: &["uscc", "year", "filed_on"],
            key: &["uscc", "year"],
        };
        let mut tx = self.begin().await?;
        for chunk in reports.chunks(50_000) {
            let columns = vec![
                Column::Text(chunk.iter().map(|r| r.0.clone()).collect()),
                Column::Int(chunk.iter().map(|r| i64::from(r.1)).collect()),
                Column::Date(chunk.iter().map(|r| r.2).collect()),
            ];
            bulk_insert::<E>(&mut tx, &TABLE, columns, OnConflict::Update).await?;
        }
        E::commit(tx).await?;
        Ok(())
    }

    async fn published_results(&self) -> Result<Vec<ResultFact>, StoreError> {
        let d = self.dialect();
        let fields = [
            "entity".to_owned(),
            "id".to_owned(),
            json_field(d, "category"),
            json_field(d, "check_end"),
            json_field(d, "corrects"),
        ];
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let sql = format!(
            "SELECT {} FROM results WHERE status = '已公开'",
            aggregate(d, &fields)
        );
        lines(self, &sql, Vec::new())
            .await?
            .into_iter()
            .map(|f| {
                Ok(ResultFact {
                    entity: field_text(&f, 0),
                    id: field_text(&f, 1),
                    category: field_text(&f, 2),
                    check_end: field_date("results", &f, 3)?,
                    corrects: field_opt_text(&f, 4),
                })
            })
            .collect()
    }

    async fn complaints(&self) -> Result<Vec<(String, NaiveDate)>, StoreError> {
        let d = self.dialect();
        let inspected_on = json_field(d, "inspected_on");
        let sql = format!(
            "SELECT {} FROM out_of_plan WHERE reason = '投诉举报'",
            aggregate(d, &["entity", &inspected_on])
        );
        lines(self, &sql, Vec::new())
            .await?
            .into_iter()
            .map(|f| Ok((field_text(&f, 0), field_date("out_of_plan", &f, 1)?)))
            .collect()
    }

    async fn store_classification(&self, write: ClassificationWrite) -> Result<u64, StoreError> {
        let ClassificationWrite { rows, run, change } = write;
        let mut tx = self.begin().await?;
        E::tx_execute(&mut tx, "DELETE FROM entity_risk", Vec::new()).await?;
        for chunk in rows.chunks(100_000) {
            let columns = vec![
                Column::Text(chunk.iter().map(|r| r.uscc.clone()).collect()),
                Column::Text(chunk.iter().map(|r| r.class.as_str().to_owned()).collect()),
                Column::Int(chunk.iter().map(|r| r.score).collect()),
                Column::Date(chunk.iter().map(|r| r.classified_on).collect()),
                Column::Text(chunk.iter().map(|r| r.explanation.clone()).collect()),
            ];
            bulk_insert::<E>(&mut tx, &ENTITY_RISK, columns, OnConflict::Fail).await?;
        }
        let distinct = match self.dialect() {
            Dialect::Sqlite => "IS NOT",
            Dialect::Postgres => "IS DISTINCT FROM",
        };
        let changed = E::tx_execute(
            &mut tx,
            &format!(
                "UPDATE entities SET credit_class = r.class, credit_class_on = r.classified_on \
                 FROM entity_risk r WHERE r.uscc = entities.uscc AND entities.credit_class {distinct} r.class"
            ),
            Vec::new(),
        )
        .await?;
        put_in::<E, ClassificationRun>(&mut tx, &ClassificationRun { changed, ..run }, &change)
            .await?;
        E::commit(tx).await?;
        Ok(changed)
    }

    async fn entity_risk(&self, uscc: &str) -> Result<Option<RiskRow>, StoreError> {
        let sql = format!(
            "SELECT uscc, class, score, {}, explanation FROM entity_risk WHERE uscc = $1",
            date_text(self.dialect(), "classified_on")
        );
        let rows = self
            .fetch_all(&sql, vec![Arg::Text(uscc.to_owned())])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let class = row.text(1)?;
        let classified_on = row.text(3)?;
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "entity_risk",
            key: uscc.to_owned(),
            reason,
        };
        Ok(Some(RiskRow {
            uscc: row.text(0)?,
            class: CreditClass::parse(&class).map_err(|e| corrupt(e.to_string()))?,
            score: row.int(2)?,
            classified_on: classified_on
                .parse()
                .map_err(|_| corrupt(format!("classified_on {classified_on:?}")))?,
            explanation: row.text(4)?,
        }))
    }

    async fn class_distribution(&self) -> Result<(ClassCounts, u64), StoreError> {
        let rows = self
            .fetch_all(
                "SELECT coalesce(credit_class, ''), count(*) FROM entities GROUP BY credit_class",
                Vec::new(),
            )
            .await?;
        let mut counts = ClassCounts::default();
        let mut unclassified = 0;
        for row in &rows {
            let n = u64::try_from(row.int(1)?).unwrap_or(0);
            match CreditClass::parse(&row.text(0)?) {
                Ok(CreditClass::A) => counts.a += n,
                Ok(CreditClass::B) => counts.b += n,
                Ok(CreditClass::C) => counts.c += n,
                Ok(CreditClass::D) => counts.d += n,
                Err(_) => unclassified += n,
            }
        }
        Ok((counts, unclassified))
    }

    async fn latest_classification(&self) -> Result<Option<ClassificationRun>, StoreError> {
        // Ids start with the run's time stamp, so the greatest is the latest.
        let rows = self
            .fetch_all(
                "SELECT id FROM credit_runs WHERE kind = $1 ORDER BY id DESC LIMIT 1",
                vec![Arg::Text(RUN_KIND.to_owned())],
            )
            .await?;
        match rows.first() {
            Some(row) => self.get::<ClassificationRun>(&row.text(0)?).await,
            None => Ok(None),
        }
    }
}
