//! Storage of the 双随机、一公开 workflow: plans, rounds, visits, results and
//! out-of-plan inspections as canonical JSON documents, every change appended
//! to the hash-chained ledger in the same transaction.
//!
//! A document row holds its key, a few columns derived from the document (for
//! filtering) and the document text. [`WorkflowStore::document_rows`] returns
//! them raw, so `audit verify` can check each row against its document and the
//! ledger.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::engine::{Arg, Dialect, Engine, RowRead, Sql};
use super::queries::escape_like;
use super::{Store, StoreError};
use domain::account::{Account, ApiToken};
use domain::credit_repair::RepairRequest;
use domain::divisions::CityRecord;
use domain::entity::{CreditClass, EntityStatus, EntityType};
use domain::inspection::{InspectionResult, OutOfPlan, Round, Visit};
use domain::ledger::{self, Anchor, LedgerEntry};
use domain::org::District;
use domain::plan::Plan;
use domain::rectification::Rectification;

/// Who changed what, when and why: one ledger entry per document written.
#[derive(Debug, Clone)]
pub struct Change {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Who.
    pub actor: String,
    /// What, e.g. `plan.approved`.
    pub action: String,
    /// Reason or summary.
    pub detail: String,
}

impl Change {
    /// A change by `actor` at `at`.
    pub fn new(
        at: DateTime<FixedOffset>,
        actor: &str,
        action: &str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            detail: detail.into(),
        }
    }
}

/// A workflow record stored as a document.
pub trait Document: Serialize + DeserializeOwned + Send + Sync {
    /// Its table.
    const TABLE: &'static str;
    /// What one is called in messages, e.g. `plan`.
    const NOUN: &'static str;
    /// The derived columns after `id`, before `doc`.
    const COLUMNS: &'static [&'static str];
    /// The key (`id`).
    fn key(&self) -> String;
    /// The derived column values, in [`Document::COLUMNS`] order.
    fn columns(&self) -> Vec<Option<String>>;
}

impl Document for domain::calendar::CalendarNotice {
    const NOUN: &'static str = "calendar notice";
    const TABLE: &'static str = "calendar_notices";
    const COLUMNS: &'static [&'static str] = &["sha256"];
    fn key(&self) -> String {
        domain::calendar::notice_key(self.year)
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.sha256.clone())]
    }
}

impl Document for CityRecord {
    const NOUN: &'static str = "city";
    const TABLE: &'static str = "city";
    const COLUMNS: &'static [&'static str] = &["name"];
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.name.clone())]
    }
}

impl Document for Plan {
    const NOUN: &'static str = "plan";
    const TABLE: &'static str = "plans";
    const COLUMNS: &'static [&'static str] = &["year", "lead", "status"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.year().to_string()),
            Some(self.lead.clone()),
            Some(self.status.as_str().to_owned()),
        ]
    }
}

impl Document for Round {
    const NOUN: &'static str = "round";
    const TABLE: &'static str = "rounds";
    const COLUMNS: &'static [&'static str] = &["status"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.status.as_str().to_owned())]
    }
}

/// The tables a document drawn by the protocol keeps its frozen frames, sealed
/// secret and §7 record in (rounds; case-file reviews).
#[derive(Debug, Clone, Copy)]
pub struct DrawTables {
    /// The column naming the owner in the three tables (`round`, `review`).
    pub owner: &'static str,
    /// Frames: `(owner, plan, frame, exclusions)`.
    pub frames: &'static str,
    /// Sealed secrets: `(owner, secret)`.
    pub secrets: &'static str,
    /// Records with empty frames: `(owner, record)`.
    pub records: &'static str,
}

/// A document drawn by `jianguan-draw/v1`: committed with frames and a sealed
/// secret, then drawn into a record.
pub trait Drawn: Document {
    /// Where its frames, secret and record are.
    const DRAW_TABLES: DrawTables;
}

impl Drawn for Round {
    const DRAW_TABLES: DrawTables = DrawTables {
        owner: "round",
        frames: "round_frames",
        secrets: "round_secrets",
        records: "round_records",
    };
}

impl Document for Visit {
    const NOUN: &'static str = "visit";
    const TABLE: &'static str = "visits";
    const COLUMNS: &'static [&'static str] = &["round", "entity"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.round.clone()), Some(self.entity.clone())]
    }
}

impl Document for InspectionResult {
    const NOUN: &'static str = "result";
    const TABLE: &'static str = "results";
    const COLUMNS: &'static [&'static str] = &["visit", "entity", "department", "status"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            self.visit.clone(),
            Some(self.entity.clone()),
            Some(self.department.clone()),
            Some(self.status.as_str().to_owned()),
        ]
    }
}

impl Document for OutOfPlan {
    const NOUN: &'static str = "out-of-plan inspection";
    const TABLE: &'static str = "out_of_plan";
    const COLUMNS: &'static [&'static str] = &["entity", "department", "reason"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.entity.clone()),
            Some(self.department.clone()),
            Some(self.reason.as_str().to_owned()),
        ]
    }
}

impl Document for Account {
    const NOUN: &'static str = "account";
    const TABLE: &'static str = "accounts";
    const COLUMNS: &'static [&'static str] = &["role", "department"];
    fn key(&self) -> String {
        self.username.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.role.code().to_owned()), self.department.clone()]
    }
}

impl Document for ApiToken {
    const NOUN: &'static str = "API token";
    const TABLE: &'static str = "api_tokens";
    const COLUMNS: &'static [&'static str] = &["username"];
    fn key(&self) -> String {
        self.digest.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.username.clone())]
    }
}

impl Document for Rectification {
    const NOUN: &'static str = "rectification notice";
    const TABLE: &'static str = "rectifications";
    const COLUMNS: &'static [&'static str] =
        &["department", "status", "subject_kind", "subject_id"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        let (kind, id) = self.subject_parts();
        vec![
            Some(self.department.clone()),
            Some(self.status.as_str().to_owned()),
            kind,
            id,
        ]
    }
}

impl Document for RepairRequest {
    const NOUN: &'static str = "credit repair request";
    const TABLE: &'static str = "credit_repairs";
    const COLUMNS: &'static [&'static str] = &["subject", "status"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.entry.subject.clone()),
            Some(self.status.as_str().to_owned()),
        ]
    }
}

/// A plan's frozen frame in a round, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFrame {
    /// Plan id.
    pub plan: String,
    /// Lines `id<TAB>stratum`, ascending by id.
    pub frame: String,
    /// Lines `id<TAB>rule<TAB>detail`.
    pub exclusions: String,
}

/// What frame building needs of an entity, read in one pass over the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// 统一社会信用代码.
    pub uscc: String,
    /// 主体类型.
    pub entity_type: EntityType,
    /// District code.
    pub district: String,
    /// GB/T 4754 code.
    pub industry: Option<String>,
    /// Its section letter.
    pub section: Option<String>,
    /// 登记状态.
    pub status: EntityStatus,
    /// 成立日期.
    pub registered_on: NaiveDate,
    /// Credit-risk class.
    pub credit_class: Option<CreditClass>,
    /// Special pools and tags, as (kind, label).
    pub labels: Vec<(String, String)>,
}

/// A stored document row, unparsed: for audits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    /// Key.
    pub key: String,
    /// Derived columns as stored.
    pub columns: Vec<Option<String>>,
    /// The document text.
    pub doc: String,
}

/// Which documents one page of a list holds ([`WorkflowStore::page`]): every
/// condition is SQL, so a page costs one indexed query and one count.
#[derive(Debug, Clone, Default)]
pub struct DocQuery {
    /// Derived columns ([`Document::COLUMNS`]) that must equal a value.
    pub equal: Vec<(&'static str, String)>,
    /// Search the key only, never the document text (tables whose documents
    /// hold what a searcher must not probe, e.g. a round's sealed seed).
    pub key_only_search: bool,
    /// The start of the key, e.g. `2025-Q1/` for a round's visits or results.
    pub key_prefix: String,
    /// A derived column that must be one of these values (an empty list matches nothing).
    pub one_of: Option<(&'static str, Vec<String>)>,
    /// A document table whose keys this query leaves out, e.g.
    /// `service_verifications` for the 双随机 rounds (a 核查 sampling's round
    /// has the sampling's id).
    pub without_keys_of: Option<&'static str>,
    /// Groups of exact fragments of the document's JSON text, e.g.
    /// `"department":"SCJG"`: a row holds at least one fragment of every group.
    pub contains: Vec<Vec<String>>,
    /// What was typed in a search box: part of the key or of the document
    /// text, or (tables with an `entity` column) part of the entity's name.
    pub search: String,
    /// Newest key first (`ORDER BY id DESC`); by key otherwise.
    pub descending: bool,
    /// Rows skipped, in key order.
    pub offset: u64,
    /// Rows at most (1 to [`super::MAX_PAGE`]).
    pub limit: u32,
}

/// One page of documents and how many match in all.
#[derive(Debug, Clone)]
pub struct DocPage<D> {
    /// This page, by key.
    pub rows: Vec<D>,
    /// Matching documents in all.
    pub total: u64,
}

/// A document's JSON fragment `"field":"value"`, as [`DocQuery::contains`] matches it.
pub fn json_fragment(field: &str, value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    format!("\"{field}\":{quoted}")
}

/// The `WHERE` clause of a [`DocQuery`] on `D`'s table.
fn doc_where<D: Document>(
    dialect: Dialect,
    query: &DocQuery,
    sql: &mut Sql,
) -> Result<(), StoreError> {
    let column = |name: &str| {
        if D::COLUMNS.contains(&name) {
            Ok(())
        } else {
            Err(StoreError::Constraint {
                message: format!("{} has no column {name}", D::TABLE),
            })
        }
    };
    sql.push(" WHERE 1 = 1");
    for (name, value) in &query.equal {
        column(name)?;
        sql.push(&format!(" AND {name} = "))
            .bind(Arg::Text(value.clone()));
    }
    if !query.key_prefix.is_empty() {
        sql.push(" AND id LIKE ")
            .bind(Arg::Text(format!("{}%", escape_like(&query.key_prefix))))
            .push(" ESCAPE '\\'");
    }
    if let Some(table) = query.without_keys_of {
        if !table.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(StoreError::Constraint {
                message: format!("no table {table}"),
            });
        }
        sql.push(&format!(" AND id NOT IN (SELECT id FROM {table})"));
    }
    if let Some((name, values)) = &query.one_of {
        column(name)?;
        sql.push(" AND ").bind_in(dialect, name, values.clone());
    }
    for group in &query.contains {
        sql.push(" AND (1 = 0");
        for fragment in group {
            sql.push(" OR doc LIKE ")
                .bind(Arg::Text(format!("%{}%", escape_like(fragment))))
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    let search = query.search.trim();
    if !search.is_empty() {
        let pattern = Arg::Text(format!("%{}%", escape_like(search)));
        let like = format!(" {} ", dialect.ilike());
        sql.push(" AND (id")
            .push(&like)
            .bind(pattern.clone())
            .push(" ESCAPE '\\'");
        sql.push(" OR doc")
            .push(&like)
            .bind(pattern.clone())
            .push(" ESCAPE '\\'");
        if D::COLUMNS.contains(&"entity") {
            sql.push(" OR entity IN (SELECT uscc FROM entities WHERE name")
                .push(&like)
                .bind(pattern)
                .push(" ESCAPE '\\')");
        }
        sql.push(")");
    }
    Ok(())
}

/// The workflow's storage, over either backend. Every write is one transaction
/// that also appends one ledger entry per document written.
pub trait WorkflowStore: Store {
    /// Writes documents (insert or replace), each with a ledger entry.
    fn put<D: Document>(
        &self,
        docs: &[D],
        change: &Change,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Writes two kinds of documents in one transaction, each with its own
    /// change (e.g. an account and the tokens its new password revokes).
    fn put_both<A: Document, B: Document>(
        &self,
        first: (&[A], &Change),
        second: (&[B], &Change),
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// One document.
    fn get<D: Document>(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<D>, StoreError>> + Send;
    /// Documents whose `column` equals `value` (every document with `None`), by key.
    fn list<D: Document>(
        &self,
        filter: Option<(&'static str, &str)>,
    ) -> impl Future<Output = Result<Vec<D>, StoreError>> + Send;
    /// One page of the documents matching `query`, by key, and their number.
    fn page<D: Document>(
        &self,
        query: &DocQuery,
    ) -> impl Future<Output = Result<DocPage<D>, StoreError>> + Send;
    /// Every row of a document table, unparsed, by key.
    fn document_rows<D: Document>(
        &self,
    ) -> impl Future<Output = Result<Vec<DocumentRow>, StoreError>> + Send;

    /// Records the city this database serves and loads its districts (inserted or
    /// replaced by code), with the city's ledger entry, in one transaction.
    /// Refused ([`StoreError::Constraint`]) when another city is set up already.
    fn set_up_city(
        &self,
        city: &CityRecord,
        districts: &[District],
        change: &Change,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Commits a round or review: its document, frames and sealed secret.
    fn commit_round<D: Drawn>(
        &self,
        round: &D,
        frames: &[StoredFrame],
        secret_hex: &str,
        change: &Change,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Commits a round as [`WorkflowStore::commit_round`] does, with the
    /// documents that own it (a 核查 sampling) in the same transaction.
    fn commit_round_with<D: Drawn, X: Document>(
        &self,
        round: &D,
        frames: &[StoredFrame],
        secret_hex: &str,
        change: &Change,
        owners: (&[X], &Change),
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The frozen frames of a round, by plan id.
    fn round_frames(
        &self,
        round: &str,
    ) -> impl Future<Output = Result<Vec<StoredFrame>, StoreError>> + Send;
    /// The frozen frames of a round or review `D`, by plan id.
    fn drawn_frames<D: Drawn>(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Vec<StoredFrame>, StoreError>> + Send;
    /// The frozen frame of one plan in a round.
    fn round_frame(
        &self,
        round: &str,
        plan: &str,
    ) -> impl Future<Output = Result<Option<StoredFrame>, StoreError>> + Send;
    /// The sealed secret of a round.
    fn round_secret(
        &self,
        round: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// The sealed secret of a round or review `D`.
    fn drawn_secret<D: Drawn>(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Records a draw: the round's (or review's) new state, its record text
    /// (frames empty) and what it created (visits; review files).
    fn record_draw<D: Drawn, V: Document>(
        &self,
        round: &D,
        record: &str,
        visits: &[V],
        change: &Change,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The stored record text of a drawn round (frames empty).
    fn round_record(
        &self,
        round: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// The stored record text of a drawn round or review `D` (frames empty).
    fn drawn_record<D: Drawn>(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Every entity of the directory, lean, ascending by 统一社会信用代码.
    fn frame_candidates(&self) -> impl Future<Output = Result<Vec<Candidate>, StoreError>> + Send;
    /// The ledger head: the last position and hash appended.
    fn ledger_head(&self) -> impl Future<Output = Result<(i64, String), StoreError>> + Send;
    /// The whole ledger, by position.
    fn ledger(&self) -> impl Future<Output = Result<Vec<LedgerEntry>, StoreError>> + Send;
    /// Stores a ledger anchor (one per `at`; a second with the same `at` is ignored).
    fn record_anchor(&self, anchor: &Anchor)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The stored anchors, oldest first.
    fn anchors(&self) -> impl Future<Output = Result<Vec<Anchor>, StoreError>> + Send;
}

fn json_error(table: &'static str, key: &str, error: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        table,
        key: key.to_owned(),
        reason: error.to_string(),
    }
}

/// Upserts one document and appends its ledger entry, inside `tx`.
pub(super) async fn put_in<E: Engine, D: Document>(
    tx: &mut E::Tx,
    doc: &D,
    change: &Change,
) -> Result<(), StoreError> {
    let key = doc.key();
    let text = serde_json::to_string(doc).map_err(|e| json_error(D::TABLE, &key, e))?;
    let mut columns = vec!["id"];
    columns.extend_from_slice(D::COLUMNS);
    columns.push("doc");
    let mut sql = Sql::new(&format!(
        "INSERT INTO {} ({}) VALUES (",
        D::TABLE,
        columns.join(", ")
    ));
    sql.bind(Arg::Text(key.clone()));
    for value in doc.columns() {
        sql.push(", ").bind(Arg::OptText(value));
    }
    sql.push(", ").bind(Arg::Text(text.clone()));
    let updates: Vec<String> = columns[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    sql.push(&format!(
        ") ON CONFLICT (id) DO UPDATE SET {}",
        updates.join(", ")
    ));
    E::tx_execute(tx, &sql.text, sql.args).await?;
    append_ledger::<E>(tx, D::TABLE, &key, &ledger::digest(&text), change).await
}

/// Appends one ledger entry inside `tx`; `ledger_head` serialises writers.
async fn append_ledger<E: Engine>(
    tx: &mut E::Tx,
    table: &str,
    key: &str,
    state_digest: &str,
    change: &Change,
) -> Result<(), StoreError> {
    let rows = E::tx_fetch_all(
        tx,
        "UPDATE ledger_head SET seq = seq + 1 WHERE one = 1 RETURNING seq, hash",
        Vec::new(),
    )
    .await?;
    let row = rows.first().ok_or_else(|| StoreError::Corrupt {
        table: "ledger_head",
        key: "1".into(),
        reason: "the ledger head row is missing".into(),
    })?;
    let mut entry = LedgerEntry {
        seq: row.int(0)?,
        at: change.at.to_rfc3339(),
        actor: change.actor.clone(),
        action: change.action.clone(),
        subject_table: table.to_owned(),
        subject_key: key.to_owned(),
        state_digest: state_digest.to_owned(),
        detail: change.detail.clone(),
        prev_hash: row.text(1)?,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    E::tx_execute(
        tx,
        "UPDATE ledger_head SET hash = $1 WHERE one = 1",
        vec![Arg::Text(entry.hash.clone())],
    )
    .await?;
    E::tx_execute(
        tx,
        "INSERT INTO ledger (seq, at, actor, action, subject_table, subject_key, state_digest, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            Arg::Int(entry.seq),
            Arg::Text(entry.at),
            Arg::Text(entry.actor),
            Arg::Text(entry.action),
            Arg::Text(entry.subject_table),
            Arg::Text(entry.subject_key),
            Arg::Text(entry.state_digest),
            Arg::Text(entry.detail),
            Arg::Text(entry.prev_hash),
            Arg::Text(entry.hash),
        ],
    )
    .await?;
    Ok(())
}

const LEDGER: super::engine::Table = super::engine::Table {
    name: "ledger",
    columns: &[
        "seq",
        "at",
        "actor",
        "action",
        "subject_table",
        "subject_key",
        "state_digest",
        "detail",
        "prev_hash",
        "hash",
    ],
    key: &["seq"],
};

/// Appends one ledger entry per `(key, state digest)` of `table` inside `tx`,
/// in bulk: the head is moved once, the chain computed here.
pub(super) async fn append_ledger_many<E: Engine>(
    tx: &mut E::Tx,
    table: &str,
    subjects: Vec<(String, String)>,
    change: &Change,
) -> Result<(), StoreError> {
    let n = i64::try_from(subjects.len()).unwrap_or(i64::MAX);
    if n == 0 {
        return Ok(());
    }
    let rows = E::tx_fetch_all(
        tx,
        "UPDATE ledger_head SET seq = seq + $1 WHERE one = 1 RETURNING seq, hash",
        vec![Arg::Int(n)],
    )
    .await?;
    let row = rows.first().ok_or_else(|| StoreError::Corrupt {
        table: "ledger_head",
        key: "1".into(),
        reason: "the ledger head row is missing".into(),
    })?;
    let (last, mut previous) = (row.int(0)?, row.text(1)?);
    let at = change.at.to_rfc3339();
    let mut columns: Vec<Vec<String>> =
        (0..9).map(|_| Vec::with_capacity(subjects.len())).collect();
    let mut seqs = Vec::with_capacity(subjects.len());
    for (offset, (key, digest)) in (0..).zip(subjects) {
        let mut entry = LedgerEntry {
            seq: last - n + 1 + offset,
            at: at.clone(),
            actor: change.actor.clone(),
            action: change.action.clone(),
            subject_table: table.to_owned(),
            subject_key: key,
            state_digest: digest,
            detail: change.detail.clone(),
            prev_hash: previous,
            hash: String::new(),
        };
        entry.hash = entry.expected_hash();
        previous = entry.hash.clone();
        seqs.push(entry.seq);
        for (column, value) in columns.iter_mut().zip([
            entry.at,
            entry.actor,
            entry.action,
            entry.subject_table,
            entry.subject_key,
            entry.state_digest,
            entry.detail,
            entry.prev_hash,
            entry.hash,
        ]) {
            column.push(value);
        }
    }
    E::tx_execute(
        tx,
        "UPDATE ledger_head SET hash = $1 WHERE one = 1",
        vec![Arg::Text(previous)],
    )
    .await?;
    let mut bulk = vec![super::engine::Column::Int(seqs)];
    bulk.extend(columns.into_iter().map(super::engine::Column::Text));
    super::engine::bulk_insert::<E>(tx, &LEDGER, bulk, super::engine::OnConflict::Fail).await?;
    Ok(())
}

/// Runs two futures concurrently and returns both outputs.
async fn futures_join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    use std::task::Poll;
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut first, mut second) = (None, None);
    std::future::poll_fn(move |cx| {
        if first.is_none()
            && let Poll::Ready(value) = a.as_mut().poll(cx)
        {
            first = Some(value);
        }
        if second.is_none()
            && let Poll::Ready(value) = b.as_mut().poll(cx)
        {
            second = Some(value);
        }
        match (first.take(), second.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                (first, second) = (x, y);
                Poll::Pending
            }
        }
    })
    .await
}

/// The frozen frames of the round (or review) `$1`, narrowed and ordered by `tail`.
async fn stored_frames<E: Engine>(
    engine: &E,
    tables: DrawTables,
    tail: &str,
    args: Vec<Arg>,
) -> Result<Vec<StoredFrame>, StoreError> {
    let sql = format!(
        "SELECT plan, frame, exclusions FROM {} WHERE {} = $1 {tail}",
        tables.frames, tables.owner
    );
    let rows = engine.fetch_all(&sql, args).await?;
    rows.iter()
        .map(|row| {
            Ok(StoredFrame {
                plan: row.text(0)?,
                frame: row.text(1)?,
                exclusions: row.text(2)?,
            })
        })
        .collect()
}

/// The text in the first column of the first row `sql` returns for the round `$1`.
async fn first_text<E: Engine>(
    engine: &E,
    sql: &str,
    round: &str,
) -> Result<Option<String>, StoreError> {
    let rows = engine
        .fetch_all(sql, vec![Arg::Text(round.to_owned())])
        .await?;
    Ok(rows.first().map(|row| row.text(0)).transpose()?)
}

/// The single text value `sql` returns ("" for NULL, from an empty table).
async fn aggregated<E: Engine>(engine: &E, sql: &str) -> Result<String, StoreError> {
    let rows = engine.fetch_all(sql, Vec::new()).await?;
    Ok(rows
        .first()
        .map(|row| row.opt_text(0))
        .transpose()?
        .flatten()
        .unwrap_or_default())
}

/// One entity line of [`WorkflowStore::frame_candidates`]'s aggregate.
fn candidate(line: &str) -> Result<Candidate, String> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [
        uscc,
        entity_type,
        district,
        industry,
        section,
        status,
        registered_on,
        class,
    ] = fields[..]
    else {
        return Err(format!("expected 8 fields, found {}", fields.len()));
    };
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    Ok(Candidate {
        uscc: uscc.to_owned(),
        entity_type: EntityType::parse(entity_type).map_err(|e| e.to_string())?,
        district: district.to_owned(),
        industry: optional(industry),
        section: optional(section),
        status: EntityStatus::parse(status).map_err(|e| e.to_string())?,
        registered_on: registered_on
            .parse()
            .map_err(|e| format!("registered_on {registered_on:?}: {e}"))?,
        credit_class: optional(class)
            .map(|c| CreditClass::parse(&c))
            .transpose()
            .map_err(|e| e.to_string())?,
        labels: Vec::new(),
    })
}

fn parse_doc<D: Document>(key: &str, text: &str) -> Result<D, StoreError> {
    serde_json::from_str(text).map_err(|e| json_error(D::TABLE, key, e))
}

impl<E: Engine> WorkflowStore for E {
    async fn put<D: Document>(&self, docs: &[D], change: &Change) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for doc in docs {
            put_in::<E, D>(&mut tx, doc, change).await?;
        }
        E::commit(tx).await?;
        Ok(())
    }

    async fn put_both<A: Document, B: Document>(
        &self,
        (first, first_change): (&[A], &Change),
        (second, second_change): (&[B], &Change),
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for doc in first {
            put_in::<E, A>(&mut tx, doc, first_change).await?;
        }
        for doc in second {
            put_in::<E, B>(&mut tx, doc, second_change).await?;
        }
        E::commit(tx).await?;
        Ok(())
    }

    async fn set_up_city(
        &self,
        city: &CityRecord,
        districts: &[District],
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        super::queries::put_districts_in::<E>(&mut tx, districts).await?;
        match put_in::<E, CityRecord>(&mut tx, city, change).await {
            Err(StoreError::Database(error))
                if error
                    .as_database_error()
                    .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation) =>
            {
                return Err(StoreError::Constraint {
                    message: "another city is set up already".into(),
                });
            }
            other => other?,
        }
        E::commit(tx).await?;
        Ok(())
    }

    async fn get<D: Document>(&self, key: &str) -> Result<Option<D>, StoreError> {
        let rows = self
            .fetch_all(
                &format!("SELECT doc FROM {} WHERE id = $1", D::TABLE),
                vec![Arg::Text(key.to_owned())],
            )
            .await?;
        match rows.first() {
            Some(row) => Ok(Some(parse_doc(key, &row.text(0)?)?)),
            None => Ok(None),
        }
    }

    async fn list<D: Document>(
        &self,
        filter: Option<(&'static str, &str)>,
    ) -> Result<Vec<D>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT id, doc FROM {}", D::TABLE));
        if let Some((column, value)) = filter {
            if !D::COLUMNS.contains(&column) {
                return Err(StoreError::Constraint {
                    message: format!("{} has no column {column}", D::TABLE),
                });
            }
            sql.push(&format!(" WHERE {column} = "))
                .bind(Arg::Text(value.to_owned()));
        }
        sql.push(" ORDER BY id");
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter()
            .map(|row| parse_doc(&row.text(0)?, &row.text(1)?))
            .collect()
    }

    async fn page<D: Document>(&self, query: &DocQuery) -> Result<DocPage<D>, StoreError> {
        if query.limit == 0 || query.limit > super::MAX_PAGE {
            return Err(StoreError::BadPage(query.limit));
        }
        let mut count = Sql::new(&format!("SELECT COUNT(*) FROM {}", D::TABLE));
        doc_where::<D>(self.dialect(), query, &mut count)?;
        let total = match self.fetch_all(&count.text, count.args).await?.first() {
            Some(row) => u64::try_from(row.int(0)?).unwrap_or(0),
            None => 0,
        };
        let mut sql = Sql::new(&format!("SELECT id, doc FROM {}", D::TABLE));
        doc_where::<D>(self.dialect(), query, &mut sql)?;
        sql.push(if query.descending {
            " ORDER BY id DESC LIMIT "
        } else {
            " ORDER BY id LIMIT "
        })
        .bind(Arg::Int(i64::from(query.limit)))
        .push(" OFFSET ")
        .bind(Arg::Int(i64::try_from(query.offset).unwrap_or(i64::MAX)));
        let rows = self
            .fetch_all(&sql.text, sql.args)
            .await?
            .iter()
            .map(|row| parse_doc(&row.text(0)?, &row.text(1)?))
            .collect::<Result<Vec<D>, StoreError>>()?;
        Ok(DocPage { rows, total })
    }

    async fn document_rows<D: Document>(&self) -> Result<Vec<DocumentRow>, StoreError> {
        let sql = format!(
            "SELECT id, {}, doc FROM {} ORDER BY id",
            D::COLUMNS.join(", "),
            D::TABLE
        );
        let rows = self.fetch_all(&sql, Vec::new()).await?;
        rows.iter()
            .map(|row| {
                let columns = (1..=D::COLUMNS.len())
                    .map(|i| row.opt_text(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(DocumentRow {
                    key: row.text(0)?,
                    doc: row.text(D::COLUMNS.len() + 1)?,
                    columns,
                })
            })
            .collect()
    }

    async fn commit_round<D: Drawn>(
        &self,
        round: &D,
        frames: &[StoredFrame],
        secret_hex: &str,
        change: &Change,
    ) -> Result<(), StoreError> {
        self.commit_round_with::<D, D>(round, frames, secret_hex, change, (&[], change))
            .await
    }

    async fn commit_round_with<D: Drawn, X: Document>(
        &self,
        round: &D,
        frames: &[StoredFrame],
        secret_hex: &str,
        change: &Change,
        (owners, owners_change): (&[X], &Change),
    ) -> Result<(), StoreError> {
        let tables = D::DRAW_TABLES;
        let id = round.key();
        let mut tx = self.begin().await?;
        put_in::<E, D>(&mut tx, round, change).await?;
        for owner in owners {
            put_in::<E, X>(&mut tx, owner, owners_change).await?;
        }
        let insert_frame = format!(
            "INSERT INTO {} ({}, plan, frame, exclusions) VALUES ($1, $2, $3, $4)",
            tables.frames, tables.owner
        );
        for frame in frames {
            E::tx_execute(
                &mut tx,
                &insert_frame,
                vec![
                    Arg::Text(id.clone()),
                    Arg::Text(frame.plan.clone()),
                    Arg::Text(frame.frame.clone()),
                    Arg::Text(frame.exclusions.clone()),
                ],
            )
            .await?;
        }
        E::tx_execute(
            &mut tx,
            &format!(
                "INSERT INTO {} ({}, secret) VALUES ($1, $2)",
                tables.secrets, tables.owner
            ),
            vec![Arg::Text(id), Arg::Text(secret_hex.to_owned())],
        )
        .await?;
        E::commit(tx).await?;
        Ok(())
    }

    async fn round_frames(&self, round: &str) -> Result<Vec<StoredFrame>, StoreError> {
        self.drawn_frames::<Round>(round).await
    }

    async fn drawn_frames<D: Drawn>(&self, id: &str) -> Result<Vec<StoredFrame>, StoreError> {
        let args = vec![Arg::Text(id.to_owned())];
        stored_frames(self, D::DRAW_TABLES, "ORDER BY plan", args).await
    }

    async fn round_frame(
        &self,
        round: &str,
        plan: &str,
    ) -> Result<Option<StoredFrame>, StoreError> {
        let args = vec![Arg::Text(round.to_owned()), Arg::Text(plan.to_owned())];
        Ok(
            stored_frames(self, Round::DRAW_TABLES, "AND plan = $2", args)
                .await?
                .into_iter()
                .next(),
        )
    }

    async fn round_secret(&self, round: &str) -> Result<Option<String>, StoreError> {
        self.drawn_secret::<Round>(round).await
    }

    async fn drawn_secret<D: Drawn>(&self, id: &str) -> Result<Option<String>, StoreError> {
        let tables = D::DRAW_TABLES;
        let sql = format!(
            "SELECT secret FROM {} WHERE {} = $1",
            tables.secrets, tables.owner
        );
        first_text(self, &sql, id).await
    }

    async fn record_draw<D: Drawn, V: Document>(
        &self,
        round: &D,
        record: &str,
        visits: &[V],
        change: &Change,
    ) -> Result<(), StoreError> {
        let tables = D::DRAW_TABLES;
        let id = round.key();
        let mut tx = self.begin().await?;
        put_in::<E, D>(&mut tx, round, change).await?;
        E::tx_execute(
            &mut tx,
            &format!(
                "INSERT INTO {} ({}, record) VALUES ($1, $2)",
                tables.records, tables.owner
            ),
            vec![Arg::Text(id.clone()), Arg::Text(record.to_owned())],
        )
        .await?;
        let created = Change {
            action: format!("{}.created", V::NOUN.replace(' ', "_")),
            detail: format!("{} {id}", D::NOUN),
            ..change.clone()
        };
        for visit in visits {
            put_in::<E, V>(&mut tx, visit, &created).await?;
        }
        E::commit(tx).await?;
        Ok(())
    }

    async fn round_record(&self, round: &str) -> Result<Option<String>, StoreError> {
        self.drawn_record::<Round>(round).await
    }

    async fn drawn_record<D: Drawn>(&self, id: &str) -> Result<Option<String>, StoreError> {
        let tables = D::DRAW_TABLES;
        let sql = format!(
            "SELECT record FROM {} WHERE {} = $1",
            tables.records, tables.owner
        );
        first_text(self, &sql, id).await
    }

    async fn frame_candidates(&self) -> Result<Vec<Candidate>, StoreError> {
        // One aggregated text value rather than 403,000 rows: decoding rows one
        // by one costs the driver seconds; splitting lines costs milliseconds.
        let (entities_sql, labels_sql) = match self.dialect() {
            Dialect::Sqlite => (
                // printf (NULL prints as empty) is faster here than a chain of `||`.
                "SELECT group_concat(printf('%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s', uscc, entity_type, district, industry, \
                 industry_section, status, registered_on, credit_class), char(10)) FROM entities",
                "SELECT group_concat(uscc || char(9) || kind || char(9) || label, char(10)) FROM entity_labels",
            ),
            Dialect::Postgres => (
                "SELECT string_agg(uscc || E'\\t' || entity_type || E'\\t' || district || E'\\t' || \
                 coalesce(industry, '') || E'\\t' || coalesce(industry_section, '') || E'\\t' || status || E'\\t' || \
                 to_char(registered_on, 'YYYY-MM-DD') || E'\\t' || coalesce(credit_class, ''), E'\\n') FROM entities",
                "SELECT string_agg(uscc || E'\\t' || kind || E'\\t' || label, E'\\n') FROM entity_labels",
            ),
        };
        let text = match self.dialect() {
            // SQLite: two halves by rowid, on two connections at once (the
            // formatting inside SQLite is most of the cost, and it is per core).
            Dialect::Sqlite => {
                let rows = self
                    .fetch_all("SELECT coalesce(max(rowid), 0) FROM entities", Vec::new())
                    .await?;
                let middle = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) / 2;
                let half = |op: &str| format!("{entities_sql} WHERE rowid {op} {middle}");
                let (low, high) = (half("<="), half(">"));
                let (first, second) =
                    futures_join(aggregated(self, &low), aggregated(self, &high)).await;
                let (mut first, second) = (first?, second?);
                if !first.is_empty() && !second.is_empty() {
                    first.push('\n');
                }
                first.push_str(&second);
                first
            }
            Dialect::Postgres => aggregated(self, entities_sql).await?,
        };
        let mut candidates = Vec::with_capacity(text.len() / 60);
        for line in text.lines() {
            candidates.push(candidate(line).map_err(|reason| StoreError::Corrupt {
                table: "entities",
                key: line.split('\t').next().unwrap_or_default().to_owned(),
                reason,
            })?);
        }
        drop(text);
        // Byte order, whatever the database's collation.
        candidates.sort_unstable_by(|a, b| a.uscc.cmp(&b.uscc));
        for line in aggregated(self, labels_sql).await?.lines() {
            let mut parts = line.splitn(3, '\t');
            let (Some(uscc), Some(kind), Some(label)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if let Ok(index) = candidates.binary_search_by(|c| c.uscc.as_str().cmp(uscc)) {
                candidates[index]
                    .labels
                    .push((kind.to_owned(), label.to_owned()));
            }
        }
        Ok(candidates)
    }

    async fn ledger_head(&self) -> Result<(i64, String), StoreError> {
        let rows = self
            .fetch_all(
                "SELECT seq, hash FROM ledger_head WHERE one = 1",
                Vec::new(),
            )
            .await?;
        match rows.first() {
            Some(row) => Ok((row.int(0)?, row.text(1)?)),
            None => Ok((-1, String::new())),
        }
    }

    async fn ledger(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT seq, at, actor, action, subject_table, subject_key, state_digest, detail, prev_hash, hash \
                 FROM ledger ORDER BY seq",
                Vec::new(),
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(LedgerEntry {
                    seq: row.int(0)?,
                    at: row.text(1)?,
                    actor: row.text(2)?,
                    action: row.text(3)?,
                    subject_table: row.text(4)?,
                    subject_key: row.text(5)?,
                    state_digest: row.text(6)?,
                    detail: row.text(7)?,
                    prev_hash: row.text(8)?,
                    hash: row.text(9)?,
                })
            })
            .collect()
    }

    async fn record_anchor(&self, anchor: &Anchor) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ledger_anchors (at, day, seq, hash) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (at) DO NOTHING",
            vec![
                Arg::Text(anchor.at.clone()),
                Arg::Text(anchor.day.clone()),
                Arg::Int(anchor.seq),
                Arg::Text(anchor.hash.clone()),
            ],
        )
        .await?;
        Ok(())
    }

    async fn anchors(&self) -> Result<Vec<Anchor>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT day, seq, hash, at FROM ledger_anchors ORDER BY at",
                Vec::new(),
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Anchor {
                    day: row.text(0)?,
                    seq: row.int(1)?,
                    hash: row.text(2)?,
                    at: row.text(3)?,
                })
            })
            .collect()
    }
}
