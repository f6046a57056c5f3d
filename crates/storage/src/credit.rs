//! Storage of credit supervision: the list entries (millions of rows, written
//! in bulk and read by subject), the check log (谁应用、谁核查) and the access
//! log of persons' credit data. The matters catalogue and the import runs are
//! documents on the ledger ([`Document`] impls below).

use std::future::Future;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::engine::{Arg, Column, Dialect, Engine, OnConflict, RowRead, Sql, Table, bulk_insert};
use super::workflow::{Change, Document, put_in};
use domain::credit::{
    CreditEntry, EntryKey, ListType, Matter, Outcome, Severity, Subject, SubjectKind,
};

/// The columns of `credit_entries`, key first.
pub const ENTRY_COLUMNS: &[&str] = &[
    "subject",
    "list_type",
    "listed_on",
    "ref_no",
    "subject_kind",
    "subject_name",
    "valid_until",
    "removed_on",
    "authority",
    "reason",
    "severity",
    "decided_on",
    "source",
    "details",
];

const ENTRIES: Table = Table {
    name: "credit_entries",
    columns: ENTRY_COLUMNS,
    key: &["subject", "list_type", "listed_on", "ref_no"],
};

/// An upsert keeps a stored removal date (a repair) when the new row has none.
const KEEP_REMOVAL: OnConflict = OnConflict::UpdateKeeping(&["removed_on"]);

const STAGE: Table = Table {
    name: "credit_stage",
    columns: &[
        "stage",
        "subject",
        "list_type",
        "listed_on",
        "ref_no",
        "subject_kind",
        "subject_name",
        "valid_until",
        "removed_on",
        "authority",
        "reason",
        "severity",
        "decided_on",
        "source",
        "details",
    ],
    key: &[],
};

/// The columns of [`ENTRIES`] as a SELECT list.
const ENTRY_SELECT: &str = "SELECT subject, list_type, listed_on, ref_no, subject_kind, subject_name, \
     valid_until, removed_on, authority, reason, severity, decided_on, source, details FROM credit_entries";

/// An import of list entries or matters, or a classification run: one ledger
/// document each (the entries themselves are too many to chain one by one; the
/// run records the file's SHA-256 and what it changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRun {
    /// `import-20261129T170000Z-ab12cd34`.
    pub id: String,
    /// `entries`, `matters` or `classify`.
    pub kind: String,
    /// The file's name as given.
    pub source: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Rows read.
    pub rows: u64,
    /// Records new or changed.
    pub changed: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Records before and after.
    pub before: u64,
    /// Records after.
    pub after: u64,
}

impl Document for CreditRun {
    const NOUN: &'static str = "credit run";
    const TABLE: &'static str = "credit_runs";
    const COLUMNS: &'static [&'static str] = &["kind"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.kind.clone())]
    }
}

impl Document for Matter {
    const NOUN: &'static str = "credit matter";
    const TABLE: &'static str = "credit_matters";
    const COLUMNS: &'static [&'static str] = &["domain", "department"];
    fn key(&self) -> String {
        self.code.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.domain.clone()), Some(self.department.clone())]
    }
}

/// One logged check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckLog {
    /// When (RFC 3339, China time).
    pub checked_at: String,
    /// Who asked (account name, or `cli:USER`).
    pub actor: String,
    /// The asking account's department, if any.
    pub department: Option<String>,
    /// The matter's code.
    pub matter: String,
    /// The identifier checked (as given, trimmed, when it was invalid).
    pub subject: String,
    /// Enterprise or person; `None` when the identifier was invalid.
    pub subject_kind: Option<SubjectKind>,
    /// The outcome.
    pub outcome: Outcome,
    /// Number of hits.
    pub hits: u32,
    /// The date the check was made for.
    pub as_of: NaiveDate,
    /// The batch it belongs to, if any.
    pub batch: Option<String>,
}

/// A filter over the check log.
#[derive(Debug, Clone, Default)]
pub struct CheckLogFilter {
    /// Only this matter.
    pub matter: Option<String>,
    /// Only this subject.
    pub subject: Option<String>,
    /// Only checks by accounts of this department.
    pub department: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
}

/// One access to a person's credit data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessLog {
    /// When (RFC 3339).
    pub accessed_at: String,
    /// Who.
    pub actor: String,
    /// The person's identifier.
    pub subject: String,
    /// What was seen, e.g. `entries`, `score`, `check`.
    pub what: String,
    /// The purpose given.
    pub purpose: String,
}

/// A filter over the entries.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Identifier prefix: enterprises only, whatever `kind` says (a person is
    /// looked up by the whole number, so a masked number cannot be rebuilt).
    pub subject_prefix: Option<String>,
    /// Part of the name.
    pub name: Option<String>,
    /// One list.
    pub list_type: Option<ListType>,
    /// Enterprises or persons.
    pub kind: Option<SubjectKind>,
}

/// Entries per list type and subject kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryCount {
    /// The list.
    pub list_type: ListType,
    /// Enterprise or person.
    pub kind: SubjectKind,
    /// How many entries.
    pub entries: u64,
}

/// Credit storage.
pub trait CreditStore {
    /// Upserts entries in one transaction, keyed by (subject, list, listing
    /// date, reference); an entry whose fields are all unchanged is not
    /// written, and a stored removal date is kept when the new entry has none.
    /// The entries must have distinct keys. Returns the entries inserted or changed.
    fn upsert_credit_entries(
        &self,
        entries: Vec<CreditEntry>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Upserts entries as [`CreditStore::upsert_credit_entries`] does and
    /// writes two kinds of documents, each with its own change, all in one
    /// transaction: either everything is written or nothing (a 核查 result of
    /// 不实: the 虚假承诺 entry, the revoked application and the result).
    fn upsert_credit_entries_with<A: Document, B: Document>(
        &self,
        entries: Vec<CreditEntry>,
        first: (&[A], &Change),
        second: (&[B], &Change),
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Loads a batch of a list import `stage` into the staging table, in its
    /// own transaction (distinct keys within the batch; a later batch's row
    /// wins over an earlier one's). Nothing reaches the entries until
    /// [`CreditStore::finish_credit_stage`].
    fn stage_credit_entries(
        &self,
        stage: &str,
        entries: Vec<CreditEntry>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// In one transaction: upserts what `stage` loaded (in key order), empties
    /// the stage, and stores the run `record` makes of what was applied, with
    /// its ledger entry. A crash leaves either all of it or none of it (and
    /// the stage, which [`CreditStore::remove_stale_credit_stages`] removes).
    fn finish_credit_stage<F>(
        &self,
        stage: &str,
        record: F,
    ) -> impl Future<Output = Result<StageApplied, StoreError>> + Send
    where
        F: FnOnce(StageApplied) -> Option<(CreditRun, Change)> + Send;
    /// What a list import being loaded holds ([`CreditLoad`]).
    type Load: Send;
    /// Begins a list import: on SQLite a transaction with a connection-private
    /// TEMP stage (no WAL for the staged rows); on PostgreSQL a fresh
    /// [`stage_id`] in the shared staging table.
    fn begin_credit_load(&self) -> impl Future<Output = Result<Self::Load, StoreError>> + Send;
    /// Stages a batch of the import `load` (distinct keys within the batch; a
    /// later batch's row wins over an earlier one's).
    fn load_credit_entries(
        &self,
        load: &mut Self::Load,
        entries: Vec<CreditEntry>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Applies what `load` staged, as [`CreditStore::finish_credit_stage`]
    /// does: in key order, with its run, all or nothing.
    fn finish_credit_load<F>(
        &self,
        load: Self::Load,
        record: F,
    ) -> impl Future<Output = Result<StageApplied, StoreError>> + Send
    where
        F: FnOnce(StageApplied) -> Option<(CreditRun, Change)> + Send;
    /// Drops what `load` staged without applying it (a failed import).
    fn discard_credit_load(
        &self,
        load: Self::Load,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Drops what `stage` loaded without applying it (a failed import).
    fn discard_credit_stage(
        &self,
        stage: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Drops the stages of imports that can no longer finish (see
    /// [`stage_is_stale`]); returns the rows removed. Run at every start.
    fn remove_stale_credit_stages(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Number of entries.
    fn count_credit_entries(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Entries per list type and subject kind.
    fn credit_entry_counts(
        &self,
    ) -> impl Future<Output = Result<Vec<EntryCount>, StoreError>> + Send;
    /// Every entry of these subjects (whatever their dates), by subject.
    fn credit_entries_of(
        &self,
        subjects: Vec<String>,
    ) -> impl Future<Output = Result<Vec<CreditEntry>, StoreError>> + Send;
    /// Entries matching `filter`, by subject, at most `limit`.
    fn search_credit_entries(
        &self,
        filter: &EntryFilter,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<CreditEntry>, StoreError>> + Send;
    /// Sets (or clears) an entry's removal date; false if there is no such entry.
    fn set_credit_entry_removed(
        &self,
        key: &EntryKey,
        removed_on: Option<NaiveDate>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The entries whose publication may end by itself between `from` and
    /// `to` (their validity, or their severity's maximum period from the
    /// finding date, give a last day near the window) and not removed before
    /// `from`: candidates for the expiry reports, which apply
    /// [`CreditEntry::effective_until`] themselves.
    fn ending_credit_entries(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<CreditEntry>, StoreError>> + Send;
    /// Appends checks to the check log, in one transaction.
    fn log_checks(
        &self,
        checks: Vec<CheckLog>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The newest checks matching `filter`, at most `limit`.
    fn check_log(
        &self,
        filter: &CheckLogFilter,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<CheckLog>, StoreError>> + Send;
    /// One page of the checks matching `filter`, newest first, and their number.
    fn check_log_page(
        &self,
        filter: &CheckLogFilter,
        offset: u64,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<CheckLog>, u64), StoreError>> + Send;
    /// Appends accesses to the access log.
    fn log_access(
        &self,
        accesses: Vec<AccessLog>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The newest accesses (to one person's data if `subject`), at most `limit`.
    fn access_log(
        &self,
        subject: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AccessLog>, StoreError>> + Send;
}

fn entry_columns(entries: Vec<CreditEntry>) -> Vec<Column> {
    let n = entries.len();
    let mut subject = Vec::with_capacity(n);
    let mut list_type = Vec::with_capacity(n);
    let mut listed_on = Vec::with_capacity(n);
    let mut ref_no = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut name = Vec::with_capacity(n);
    let mut valid_until = Vec::with_capacity(n);
    let mut removed_on = Vec::with_capacity(n);
    let mut authority = Vec::with_capacity(n);
    let mut reason = Vec::with_capacity(n);
    let mut severity = Vec::with_capacity(n);
    let mut decided_on = Vec::with_capacity(n);
    let mut source = Vec::with_capacity(n);
    let mut details = Vec::with_capacity(n);
    for e in entries {
        subject.push(e.subject.as_str().to_owned());
        list_type.push(e.list_type.as_str().to_owned());
        listed_on.push(e.listed_on);
        ref_no.push(e.ref_no);
        kind.push(e.subject.kind().as_str().to_owned());
        name.push(e.subject_name);
        valid_until.push(e.valid_until);
        removed_on.push(e.removed_on);
        authority.push(e.authority);
        reason.push(e.reason);
        severity.push(e.severity.map(|s| s.as_str().to_owned()));
        decided_on.push(e.decided_on);
        source.push(e.source);
        details.push(e.details.map(|d| d.to_string()));
    }
    vec![
        Column::Text(subject),
        Column::Text(list_type),
        Column::Date(listed_on),
        Column::Text(ref_no),
        Column::Text(kind),
        Column::Text(name),
        Column::OptDate(valid_until),
        Column::OptDate(removed_on),
        Column::Text(authority),
        Column::Text(reason),
        Column::OptText(severity),
        Column::OptDate(decided_on),
        Column::Text(source),
        Column::OptText(details),
    ]
}

fn corrupt(key: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table: "credit_entries",
        key: key.to_owned(),
        reason: reason.to_string(),
    }
}

/// Reads a row of [`ENTRY_SELECT`], validating it again.
fn entry_from_row(row: &impl RowRead) -> Result<CreditEntry, StoreError> {
    let id = row.text(0)?;
    let subject = Subject::parse(&id).map_err(|e| corrupt(&id, e))?.0;
    let stored_kind = SubjectKind::parse(&row.text(4)?).map_err(|e| corrupt(&id, e))?;
    if stored_kind != subject.kind() {
        return Err(corrupt(&id, "subject_kind does not match the identifier"));
    }
    let details = match row.opt_text(13)? {
        Some(text) => Some(serde_json::from_str(&text).map_err(|e| corrupt(&id, e))?),
        None => None,
    };
    let entry = CreditEntry {
        subject,
        list_type: ListType::parse(&row.text(1)?).map_err(|e| corrupt(&id, e))?,
        listed_on: row.date(2)?,
        ref_no: row.text(3)?,
        subject_name: row.text(5)?,
        valid_until: row.opt_date(6)?,
        removed_on: row.opt_date(7)?,
        authority: row.text(8)?,
        reason: row.text(9)?,
        severity: row
            .opt_text(10)?
            .map(|s| Severity::parse(&s))
            .transpose()
            .map_err(|e| corrupt(&id, e))?,
        decided_on: row.opt_date(11)?,
        source: row.text(12)?,
        details,
    };
    entry.validate().map_err(|e| corrupt(&id, e))?;
    Ok(entry)
}

fn check_from_row(row: &impl RowRead) -> Result<CheckLog, StoreError> {
    let bad = |e: domain::field::InvalidField| StoreError::Corrupt {
        table: "credit_checks",
        key: String::new(),
        reason: e.to_string(),
    };
    Ok(CheckLog {
        checked_at: row.text(0)?,
        actor: row.text(1)?,
        department: row.opt_text(2)?,
        matter: row.text(3)?,
        subject: row.text(4)?,
        subject_kind: row
            .opt_text(5)?
            .map(|k| SubjectKind::parse(&k))
            .transpose()
            .map_err(bad)?,
        outcome: Outcome::parse(&row.text(6)?).map_err(bad)?,
        hits: u32::try_from(row.int(7)?).unwrap_or(u32::MAX),
        as_of: row.date(8)?,
        batch: row.opt_text(9)?,
    })
}

/// What [`CreditStore::finish_credit_stage`] applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageApplied {
    /// Entries before.
    pub before: u64,
    /// Entries inserted or changed.
    pub changed: u64,
    /// Entries after.
    pub after: u64,
}

async fn count_in<E: Engine>(tx: &mut E::Tx) -> Result<u64, StoreError> {
    let rows = E::tx_fetch_all(tx, "SELECT COUNT(*) FROM credit_entries", Vec::new()).await?;
    let count = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(count).unwrap_or(0))
}

/// This machine's name, to tell its stages from other hosts' (PostgreSQL).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// A fresh stage id, `PID@HOST@TIME-TAG`: the process that owns it, where, and when it began.
pub fn stage_id() -> String {
    let mut tag = [0u8; 4];
    // Without the system's randomness the tag is 0: the process and time still tell imports apart.
    let _ = getrandom::fill(&mut tag);
    format!(
        "{}@{}@{}-{:08x}",
        std::process::id(),
        host_name(),
        domain::clock::now().format("%Y%m%dT%H%M%S%.6f"),
        u32::from_be_bytes(tag)
    )
}

/// Whether process `pid` of this machine still runs (a zombie does not).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
        // Without /proc (not Linux) a process cannot be looked up: assume it runs.
        Err(_) => !std::path::Path::new("/proc/self").exists(),
    }
}

/// Whether a stage can no longer finish: its process on this machine has
/// ended, or (another machine's) it began more than a day ago, or its id is
/// of the older form, which no running import uses.
pub fn stage_is_stale(stage: &str, now: chrono::DateTime<chrono::FixedOffset>) -> bool {
    let mut parts = stage.splitn(3, '@');
    let (Some(pid), Some(host), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return true;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return true;
    };
    if host == host_name() {
        return !process_alive(pid);
    }
    let began = rest
        .split('-')
        .next()
        .and_then(|time| chrono::NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%M%S%.f").ok());
    began.is_none_or(|began| now.naive_local() - began > chrono::TimeDelta::days(1))
}

/// A list import being loaded ([`CreditStore::begin_credit_load`]).
pub struct CreditLoad<T> {
    /// The stage id (PostgreSQL's shared staging table).
    stage: String,
    /// SQLite: the transaction whose connection holds the TEMP stage.
    tx: Option<T>,
}

/// SQLite's connection-private stage of a list import: rows in file order
/// (`seq`), no stage column, in the temp database (no WAL, no checkpoint).
const TEMP_STAGE: Table = Table {
    name: "temp.credit_load",
    columns: ENTRY_COLUMNS,
    key: &[],
};

/// Creates [`TEMP_STAGE`] (dropping one a failed load left on the connection).
const TEMP_STAGE_DDL: &str = "CREATE TEMP TABLE credit_load (seq INTEGER PRIMARY KEY, \
     subject TEXT, list_type TEXT, listed_on DATE, ref_no TEXT, subject_kind TEXT, subject_name TEXT, \
     valid_until DATE, removed_on DATE, authority TEXT, reason TEXT, severity TEXT, decided_on DATE, \
     source TEXT, details TEXT)";

/// In `tx`: upserts the rows `rows` selects with `args` (in key order, a
/// key's later row last) into the entries, empties the stage with `cleanup`
/// (the same `args`), stores the run `record` makes, commits.
async fn apply_staged<E: Engine, F>(
    mut tx: E::Tx,
    rows: &str,
    args: Vec<Arg>,
    cleanup: &str,
    record: F,
) -> Result<StageApplied, StoreError>
where
    F: FnOnce(StageApplied) -> Option<(CreditRun, Change)> + Send,
{
    let dialect = E::tx_dialect(&tx);
    let sql = format!(
        "{head}{rows}{tail}",
        head = ENTRIES.insert_head(),
        tail = ENTRIES.conflict_tail(KEEP_REMOVAL, dialect),
    );
    let before = count_in::<E>(&mut tx).await?;
    let changed = E::tx_execute(&mut tx, &sql, args.clone()).await?;
    let after = count_in::<E>(&mut tx).await?;
    E::tx_execute(&mut tx, cleanup, args).await?;
    let applied = StageApplied {
        before,
        changed,
        after,
    };
    if let Some((run, change)) = record(applied) {
        put_in::<E, CreditRun>(&mut tx, &run, &change).await?;
    }
    E::commit(tx).await?;
    Ok(applied)
}

impl<E: Engine> CreditStore for E {
    async fn upsert_credit_entries(&self, entries: Vec<CreditEntry>) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let changed =
            bulk_insert::<E>(&mut tx, &ENTRIES, entry_columns(entries), KEEP_REMOVAL).await?;
        E::commit(tx).await?;
        Ok(changed)
    }

    async fn upsert_credit_entries_with<A: Document, B: Document>(
        &self,
        entries: Vec<CreditEntry>,
        (first, first_change): (&[A], &Change),
        (second, second_change): (&[B], &Change),
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let changed =
            bulk_insert::<E>(&mut tx, &ENTRIES, entry_columns(entries), KEEP_REMOVAL).await?;
        for doc in first {
            put_in::<E, A>(&mut tx, doc, first_change).await?;
        }
        for doc in second {
            put_in::<E, B>(&mut tx, doc, second_change).await?;
        }
        E::commit(tx).await?;
        Ok(changed)
    }

    async fn stage_credit_entries(
        &self,
        stage: &str,
        entries: Vec<CreditEntry>,
    ) -> Result<(), StoreError> {
        let mut columns = vec![Column::Text(vec![stage.to_owned(); entries.len()])];
        columns.extend(entry_columns(entries));
        let mut tx = self.begin().await?;
        bulk_insert::<E>(&mut tx, &STAGE, columns, OnConflict::Fail).await?;
        E::commit(tx).await?;
        Ok(())
    }

    async fn finish_credit_stage<F>(
        &self,
        stage: &str,
        record: F,
    ) -> Result<StageApplied, StoreError>
    where
        F: FnOnce(StageApplied) -> Option<(CreditRun, Change)> + Send,
    {
        let columns = ENTRIES.columns.join(", ");
        // A key staged twice: the later row (higher seq) wins. SQLite applies
        // the rows in order; PostgreSQL may touch a row once per statement.
        let rows = match self.dialect() {
            Dialect::Sqlite => format!(
                "SELECT {columns} FROM credit_stage WHERE stage = $1 \
                 ORDER BY subject, list_type, listed_on, ref_no, seq"
            ),
            Dialect::Postgres => format!(
                "SELECT DISTINCT ON (subject, list_type, listed_on, ref_no) {columns} \
                 FROM credit_stage WHERE stage = $1 ORDER BY subject, list_type, listed_on, ref_no, seq DESC"
            ),
        };
        let tx = self.begin().await?;
        apply_staged::<E, F>(
            tx,
            &rows,
            vec![Arg::Text(stage.to_owned())],
            "DELETE FROM credit_stage WHERE stage = $1",
            record,
        )
        .await
    }

    type Load = CreditLoad<E::Tx>;

    async fn begin_credit_load(&self) -> Result<Self::Load, StoreError> {
        let stage = stage_id();
        let tx = match self.dialect() {
            Dialect::Postgres => None,
            Dialect::Sqlite => {
                // Deferred: staging into TEMP locks nothing; the write lock is
                // taken when the staged rows are applied.
                let mut tx = self.begin_deferred().await?;
                E::tx_execute(&mut tx, "DROP TABLE IF EXISTS temp.credit_load", Vec::new()).await?;
                E::tx_execute(&mut tx, TEMP_STAGE_DDL, Vec::new()).await?;
                Some(tx)
            }
        };
        Ok(CreditLoad { stage, tx })
    }

    async fn load_credit_entries(
        &self,
        load: &mut Self::Load,
        entries: Vec<CreditEntry>,
    ) -> Result<(), StoreError> {
        match &mut load.tx {
            None => self.stage_credit_entries(&load.stage, entries).await,
            Some(tx) => {
                bulk_insert::<E>(tx, &TEMP_STAGE, entry_columns(entries), OnConflict::Fail).await?;
                Ok(())
            }
        }
    }

    async fn finish_credit_load<F>(
        &self,
        load: Self::Load,
        record: F,
    ) -> Result<StageApplied, StoreError>
    where
        F: FnOnce(StageApplied) -> Option<(CreditRun, Change)> + Send,
    {
        let Some(mut tx) = load.tx else {
            return self.finish_credit_stage(&load.stage, record).await;
        };
        // The first statement on the database writes (to nothing): it takes
        // the write lock, waiting for other writers, before anything is read.
        E::tx_execute(
            &mut tx,
            "DELETE FROM credit_stage WHERE stage = $1",
            vec![Arg::Text(load.stage.clone())],
        )
        .await?;
        // `WHERE true`: SQLite reads `ON CONFLICT` after a bare SELECT's ORDER BY ambiguously.
        let rows = format!(
            "SELECT {} FROM temp.credit_load WHERE true \
             ORDER BY subject, list_type, listed_on, ref_no, seq",
            ENTRIES.columns.join(", ")
        );
        apply_staged::<E, F>(tx, &rows, Vec::new(), "DROP TABLE temp.credit_load", record).await
    }

    async fn discard_credit_load(&self, load: Self::Load) -> Result<(), StoreError> {
        match load.tx {
            // Rolling back drops the TEMP stage with everything in it.
            Some(tx) => drop(tx),
            None => self.discard_credit_stage(&load.stage).await?,
        }
        Ok(())
    }

    async fn discard_credit_stage(&self, stage: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM credit_stage WHERE stage = $1",
            vec![Arg::Text(stage.to_owned())],
        )
        .await?;
        Ok(())
    }

    async fn remove_stale_credit_stages(&self) -> Result<u64, StoreError> {
        let rows = self
            .fetch_all("SELECT DISTINCT stage FROM credit_stage", Vec::new())
            .await?;
        let now = domain::clock::now();
        let mut removed = 0;
        for row in rows {
            let stage = row.text(0)?;
            if stage_is_stale(&stage, now) {
                removed += self
                    .execute(
                        "DELETE FROM credit_stage WHERE stage = $1",
                        vec![Arg::Text(stage)],
                    )
                    .await?;
            }
        }
        Ok(removed)
    }

    async fn count_credit_entries(&self) -> Result<u64, StoreError> {
        let rows = self
            .fetch_all("SELECT COUNT(*) FROM credit_entries", Vec::new())
            .await?;
        let count = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn credit_entry_counts(&self) -> Result<Vec<EntryCount>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT list_type, subject_kind, COUNT(*) FROM credit_entries \
                 GROUP BY list_type, subject_kind ORDER BY list_type, subject_kind",
                Vec::new(),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let list = row.text(0)?;
                Ok(EntryCount {
                    list_type: ListType::parse(&list).map_err(|e| corrupt(&list, e))?,
                    kind: SubjectKind::parse(&row.text(1)?).map_err(|e| corrupt(&list, e))?,
                    entries: u64::try_from(row.int(2)?).unwrap_or(0),
                })
            })
            .collect()
    }

    async fn credit_entries_of(
        &self,
        subjects: Vec<String>,
    ) -> Result<Vec<CreditEntry>, StoreError> {
        let mut sql = Sql::new(ENTRY_SELECT);
        sql.push(" WHERE ");
        sql.bind_in(self.dialect(), "subject", subjects);
        sql.push(" ORDER BY subject, list_type, listed_on, ref_no");
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn search_credit_entries(
        &self,
        filter: &EntryFilter,
        limit: u32,
    ) -> Result<Vec<CreditEntry>, StoreError> {
        let mut sql = Sql::new(ENTRY_SELECT);
        sql.push(" WHERE 1 = 1");
        if let Some(prefix) = filter.subject_prefix.as_deref().filter(|p| !p.is_empty()) {
            let prefix: String = prefix
                .to_uppercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            sql.push(" AND subject_kind = ")
                .bind(Arg::Text(SubjectKind::Enterprise.as_str().to_owned()));
            match self.dialect() {
                // A range on the key's first column: SQLite's index serves it, LIKE it would not.
                Dialect::Sqlite => {
                    sql.push(" AND subject >= ").bind(Arg::Text(prefix.clone()));
                    sql.push(" AND subject < ")
                        .bind(Arg::Text(format!("{prefix}\u{7F}")));
                }
                Dialect::Postgres => {
                    sql.push(" AND subject LIKE ")
                        .bind(Arg::Text(format!("{prefix}%")));
                }
            }
        }
        if let Some(name) = filter.name.as_deref().filter(|n| !n.is_empty()) {
            sql.push(" AND subject_name LIKE ")
                .bind(Arg::Text(format!("%{}%", name.replace(['%', '_'], ""))));
        }
        if let Some(list) = filter.list_type {
            sql.push(" AND list_type = ")
                .bind(Arg::Text(list.as_str().to_owned()));
        }
        if let Some(kind) = filter.kind {
            sql.push(" AND subject_kind = ")
                .bind(Arg::Text(kind.as_str().to_owned()));
        }
        sql.push(" ORDER BY subject, list_type, listed_on, ref_no LIMIT ")
            .bind(Arg::Int(i64::from(limit)));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn set_credit_entry_removed(
        &self,
        key: &EntryKey,
        removed_on: Option<NaiveDate>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let changed = E::tx_execute(
            &mut tx,
            "UPDATE credit_entries SET removed_on = $1 \
             WHERE subject = $2 AND list_type = $3 AND listed_on = $4 AND ref_no = $5",
            vec![
                Arg::OptDate(removed_on),
                Arg::Text(key.subject.clone()),
                Arg::Text(key.list_type.as_str().to_owned()),
                Arg::Date(key.listed_on),
                Arg::Text(key.ref_no.clone()),
            ],
        )
        .await?;
        E::commit(tx).await?;
        Ok(changed > 0)
    }

    async fn ending_credit_entries(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreditEntry>, StoreError> {
        let mut sql = Sql::new(ENTRY_SELECT);
        sql.push(" WHERE (removed_on IS NULL OR removed_on > ")
            .bind(Arg::Date(from));
        sql.push(") AND (valid_until BETWEEN ")
            .bind(Arg::Date(from));
        sql.push(" AND ").bind(Arg::Date(to));
        for severity in Severity::ALL {
            // Last day = finding + maximum − 1 day, month ends clamped: the
            // findings a few days either side of the exact inverse are read.
            let months = chrono::Months::new(severity.maximum_months());
            let margin = chrono::Days::new(4);
            let earliest = from
                .checked_sub_months(months)
                .and_then(|d| d.checked_sub_days(margin));
            let latest = to
                .checked_sub_months(months)
                .and_then(|d| d.checked_add_days(margin));
            let (Some(earliest), Some(latest)) = (earliest, latest) else {
                continue;
            };
            sql.push(" OR (severity = ")
                .bind(Arg::Text(severity.as_str().to_owned()));
            sql.push(" AND coalesce(decided_on, listed_on) BETWEEN ")
                .bind(Arg::Date(earliest));
            sql.push(" AND ").bind(Arg::Date(latest));
            sql.push(")");
        }
        sql.push(") ORDER BY subject, list_type, listed_on, ref_no");
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn log_checks(&self, checks: Vec<CheckLog>) -> Result<(), StoreError> {
        if checks.is_empty() {
            return Ok(());
        }
        const TABLE: Table = Table {
            name: "credit_checks",
            columns: &[
                "checked_at",
                "actor",
                "department",
                "matter",
                "subject",
                "subject_kind",
                "outcome",
                "hits",
                "as_of",
                "batch",
            ],
            key: &[],
        };
        let n = checks.len();
        let mut at = Vec::with_capacity(n);
        let mut actor = Vec::with_capacity(n);
        let mut department = Vec::with_capacity(n);
        let mut matter = Vec::with_capacity(n);
        let mut subject = Vec::with_capacity(n);
        let mut kind = Vec::with_capacity(n);
        let mut outcome = Vec::with_capacity(n);
        let mut hits = Vec::with_capacity(n);
        let mut as_of = Vec::with_capacity(n);
        let mut batch = Vec::with_capacity(n);
        for c in checks {
            at.push(c.checked_at);
            actor.push(c.actor);
            department.push(c.department);
            matter.push(c.matter);
            subject.push(c.subject);
            kind.push(c.subject_kind.map(|k| k.as_str().to_owned()));
            outcome.push(c.outcome.as_str().to_owned());
            hits.push(i64::from(c.hits));
            as_of.push(c.as_of);
            batch.push(c.batch);
        }
        let columns = vec![
            Column::Text(at),
            Column::Text(actor),
            Column::OptText(department),
            Column::Text(matter),
            Column::Text(subject),
            Column::OptText(kind),
            Column::Text(outcome),
            Column::Int(hits),
            Column::Date(as_of),
            Column::OptText(batch),
        ];
        let mut tx = self.begin().await?;
        bulk_insert::<E>(&mut tx, &TABLE, columns, OnConflict::Fail).await?;
        E::commit(tx).await?;
        Ok(())
    }

    async fn check_log(
        &self,
        filter: &CheckLogFilter,
        limit: u32,
    ) -> Result<Vec<CheckLog>, StoreError> {
        Ok(self.check_log_page(filter, 0, limit).await?.0)
    }

    async fn check_log_page(
        &self,
        filter: &CheckLogFilter,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<CheckLog>, u64), StoreError> {
        let conditions = |sql: &mut Sql| {
            for (column, value) in [
                ("matter", &filter.matter),
                ("subject", &filter.subject),
                ("department", &filter.department),
                ("actor", &filter.actor),
            ] {
                if let Some(value) = value {
                    sql.push(&format!(" AND {column} = "))
                        .bind(Arg::Text(value.clone()));
                }
            }
        };
        let mut count = Sql::new("SELECT COUNT(*) FROM credit_checks WHERE 1 = 1");
        conditions(&mut count);
        let total = match self.fetch_all(&count.text, count.args).await?.first() {
            Some(row) => u64::try_from(row.int(0)?).unwrap_or(0),
            None => 0,
        };
        let mut sql = Sql::new(
            "SELECT checked_at, actor, department, matter, subject, subject_kind, outcome, hits, as_of, batch \
             FROM credit_checks WHERE 1 = 1",
        );
        conditions(&mut sql);
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(Arg::Int(i64::from(limit)))
            .push(" OFFSET ")
            .bind(Arg::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        let checks = rows
            .iter()
            .map(check_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((checks, total))
    }

    async fn log_access(&self, accesses: Vec<AccessLog>) -> Result<(), StoreError> {
        if accesses.is_empty() {
            return Ok(());
        }
        const TABLE: Table = Table {
            name: "credit_access",
            columns: &["accessed_at", "actor", "subject", "what", "purpose"],
            key: &[],
        };
        let mut columns: [Vec<String>; 5] = Default::default();
        for a in accesses {
            for (column, value) in
                columns
                    .iter_mut()
                    .zip([a.accessed_at, a.actor, a.subject, a.what, a.purpose])
            {
                column.push(value);
            }
        }
        let mut tx = self.begin().await?;
        bulk_insert::<E>(
            &mut tx,
            &TABLE,
            columns.into_iter().map(Column::Text).collect(),
            OnConflict::Fail,
        )
        .await?;
        E::commit(tx).await?;
        Ok(())
    }

    async fn access_log(
        &self,
        subject: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AccessLog>, StoreError> {
        let mut sql = Sql::new(
            "SELECT accessed_at, actor, subject, what, purpose FROM credit_access WHERE 1 = 1",
        );
        if let Some(subject) = subject {
            sql.push(" AND subject = ")
                .bind(Arg::Text(subject.to_owned()));
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(Arg::Int(i64::from(limit)));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter()
            .map(|row| {
                Ok(AccessLog {
                    accessed_at: row.text(0)?,
                    actor: row.text(1)?,
                    subject: row.text(2)?,
                    what: row.text(3)?,
                    purpose: row.text(4)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stage is stale once its process has ended (here: a child that ran and
    /// was reaped), or another machine's after a day, or of the older form;
    /// a running process's stage is kept.
    #[test]
    fn stale_stages_are_those_that_cannot_finish() -> Result<(), Box<dyn std::error::Error>> {
        let now = domain::clock::now();
        let own = stage_id();
        assert!(!stage_is_stale(&own, now), "{own}");
        let mut child = std::process::Command::new("true").spawn()?;
        let pid = child.id();
        child.wait()?;
        let host = host_name();
        let time = now.format("%Y%m%dT%H%M%S%.6f");
        if std::path::Path::new("/proc/self").exists() {
            assert!(stage_is_stale(
                &format!("{pid}@{host}@{time}-00000000"),
                now
            ));
        }
        let recent = format!("1@another-host@{time}-00000000");
        assert!(!stage_is_stale(&recent, now));
        let old = (now - chrono::TimeDelta::days(2)).format("%Y%m%dT%H%M%S%.6f");
        assert!(stage_is_stale(
            &format!("1@another-host@{old}-00000000"),
            now
        ));
        assert!(
            stage_is_stale("20261129T170000.000000-ab12cd34", now),
            "the older form"
        );
        Ok(())
    }
}
