//! Import and export of the directories (两库 and the item list) from and to
//! CSV and spreadsheets.
//!
//! - [`table`] reads a file into text cells (CSV in UTF-8 or GBK/GB18030,
//!   detected; XLSX/XLS, first sheet).
//! - [`columns`] lists each directory's columns: Chinese template headers with
//!   an English alternative.
//! - [`import_table`] validates every row, reports each rejected row by row
//!   number, column and reason (English and Chinese), resolves duplicates (the
//!   later row wins, with a warning) and upserts the good rows through the
//!   [`Store`] in batches, one transaction each. A batch the database rejects is
//!   retried row by row, so its good rows are kept and the failing ones reported.
//! - [`report`] writes the XLSX error report; [`export`] writes files that
//!   re-import unchanged; [`templates`] writes a template workbook for every
//!   importable file.

#![deny(missing_docs)]

pub mod columns;
pub mod credit;
pub mod enforcement;
pub mod export;
pub mod formula;
#[cfg(test)]
mod fuzz;
pub mod hotline;
pub mod licences;
pub mod limits;
pub mod reconsideration;
pub mod report;
pub mod review;
pub mod review_scoring;
pub mod rows;
pub mod services;
pub mod table;
pub mod templates;
pub mod watermark;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use storage::{Store, StoreError};

pub use columns::{Column, HeaderError};
pub use rows::{Record, Resolver};
pub use table::{ReadError, Table};

/// Writes `bytes` to `path` through a temporary file (`PATH.partial`) and a
/// rename, so a crash leaves the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

/// A progress bar on stderr (hidden when stderr is not a terminal) with `template`.
pub fn progress_bar(len: u64, template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// Rows per upsert batch (one transaction each).
pub const DEFAULT_BATCH: usize = 2_000;

/// Which directory a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Kind {
    /// 部门名录: the departments, which the other directories name.
    Departments,
    /// 检查对象名录库: market entities.
    Entities,
    /// 执法检查人员名录库: inspectors.
    Inspectors,
    /// 回避关系: recusals.
    Recusals,
    /// 随机抽查事项清单: random-inspection items.
    Items,
    /// 部门联合抽查事项清单: the cross-department joint list.
    JointItems,
}

impl Kind {
    /// Every directory, departments first (the others name them).
    pub const ALL: [Kind; 6] = [
        Kind::Departments,
        Kind::Entities,
        Kind::Inspectors,
        Kind::Recusals,
        Kind::Items,
        Kind::JointItems,
    ];

    /// The directory named `text` ([`Kind::as_str`], ASCII case ignored, blanks trimmed).
    pub fn parse(text: &str) -> Option<Kind> {
        let text = text.trim();
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
    }

    /// The columns of this directory.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Departments => columns::DEPARTMENTS,
            Kind::Entities => columns::ENTITIES,
            Kind::Inspectors => columns::INSPECTORS,
            Kind::Recusals => columns::RECUSALS,
            Kind::Items => columns::ITEMS,
            Kind::JointItems => columns::JOINT_ITEMS,
        }
    }

    /// `departments`, `entities`, `inspectors`, `recusals`, `items` or `joint-items`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Departments => "departments",
            Kind::Entities => "entities",
            Kind::Inspectors => "inspectors",
            Kind::Recusals => "recusals",
            Kind::Items => "items",
            Kind::JointItems => "joint-items",
        }
    }
}

/// A rejected row or a warning: where, what and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The row number as seen in Excel (header = row 1).
    pub row: usize,
    /// The column's header as written in the file (empty for the whole row).
    pub column: String,
    /// The value found.
    pub value: String,
    /// Why, in English (CLI).
    pub reason: String,
    /// Why, in Chinese (report file, UI).
    pub reason_zh: String,
}

/// Import options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rows per upsert batch.
    pub batch: usize,
    /// Reject 统一社会信用代码 whose check characters fail instead of accepting
    /// them as pilot-era codes with a warning.
    pub strict_uscc: bool,
    /// Show a progress bar on stderr (hidden when stderr is not a terminal).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch: DEFAULT_BATCH,
            strict_uscc: false,
            progress: false,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Non-empty data rows read.
    pub total_rows: usize,
    /// Records new to the directory.
    pub inserted: u64,
    /// Records that replaced existing ones and changed them.
    pub updated: u64,
    /// Valid rows whose record was stored already, as it is: nothing written.
    pub unchanged: u64,
    /// Rows superseded by a later row with the same key (also in `warnings`).
    pub superseded: usize,
    /// Empty rows skipped.
    pub empty_rows: usize,
    /// Rejected rows' problems (one or more per rejected row), by row.
    pub errors: Vec<Problem>,
    /// Warnings (pilot-era codes, duplicates), by row.
    pub warnings: Vec<Problem>,
}

impl Outcome {
    /// Rows saved: inserted + updated.
    pub fn imported(&self) -> u64 {
        self.inserted + self.updated
    }

    /// Distinct rows rejected.
    pub fn rejected(&self) -> usize {
        let mut rows: Vec<usize> = self.errors.iter().map(|p| p.row).collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    }
}

/// Why an import could not run. Rows with bad values are not errors: they are
/// reported in [`Outcome::errors`].
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as a table.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The header row does not fit the directory.
    #[error("{path}: {error}")]
    Header {
        /// The file.
        path: String,
        /// What is wrong.
        error: HeaderError,
    },
    /// The database serves no city yet, so there are no districts to refer to.
    #[error(
        "no city is set up: run `jianguan setup --city CODE` (a prefecture-level GB/T 2260 code such as 420500) before importing"
    )]
    NoCity,
    /// The database failed (not a per-row constraint).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// Whether the file itself is at fault (exit status 2), not the database.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ImportError::Read(_) | ImportError::Header { .. } | ImportError::NoCity
        )
    }

    /// The message for a page, in Chinese.
    pub fn reason_zh(&self) -> String {
        match self {
            ImportError::Read(error) => error.reason_zh(),
            ImportError::Header { path, error } => format!("{path}：{}", error.message_zh()),
            ImportError::NoCity => {
                "尚未设置本系统服务的城市：请系统管理员先完成城市设置，再导入名录".into()
            }
            ImportError::Store(_) => "数据库出错，导入未完成，已记录".into(),
        }
    }
}

/// Runs `read` (a file reader) on a blocking thread, off the async workers.
pub async fn off_async<T: Send + 'static>(
    path: &Path,
    read: impl FnOnce() -> Result<T, ImportError> + Send + 'static,
) -> Result<T, ImportError> {
    tokio::task::spawn_blocking(read)
        .await
        .unwrap_or_else(|error| {
            Err(ImportError::Read(ReadError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(error),
            }))
        })
}

/// Reads `path` and imports it into `store`, streaming: a reader thread reads,
/// decodes and validates the rows batch by batch while the batches already
/// validated are written, so the rows are never all held at once.
pub async fn import_file<S: Store>(
    store: &S,
    kind: Kind,
    path: &Path,
    options: &Options,
) -> Result<Outcome, ImportError> {
    let name = path.display().to_string();
    import_source(
        store,
        kind,
        Source::File(path.to_owned()),
        &name,
        options,
        None,
    )
    .await
}

/// Called after each batch written with how far the reader is (source units
/// done, total): a web job's progress.
pub type ProgressReport = dyn Fn(u64, u64) + Send + Sync;

/// [`import_file`], reporting its progress to `report`.
pub async fn import_file_reporting<S: Store>(
    store: &S,
    kind: Kind,
    path: &Path,
    options: &Options,
    report: &ProgressReport,
) -> Result<Outcome, ImportError> {
    let name = path.display().to_string();
    import_source(
        store,
        kind,
        Source::File(path.to_owned()),
        &name,
        options,
        Some(report),
    )
    .await
}

/// Imports a table already read (`name` is used in messages), as
/// [`import_file`] does.
pub async fn import_table<S: Store>(
    store: &S,
    kind: Kind,
    table: Table,
    name: &str,
    options: &Options,
) -> Result<Outcome, ImportError> {
    import_source(store, kind, Source::Table(table), name, options, None).await
}

/// Where the rows come from.
enum Source {
    File(PathBuf),
    Table(Table),
}

/// A valid record on its way to the database.
struct Pending {
    row: usize,
    record: Record,
    /// The row of the same key's previous occurrence, when that one was in an
    /// earlier batch (within a batch the later row replaces the earlier one).
    previous: Option<usize>,
}

/// What the reader thread sends.
enum Message {
    /// The header row fits: where each column is.
    Header(columns::Mapping),
    /// Valid records, at most one per key.
    Batch {
        records: Vec<Pending>,
        /// How far the reader is (source units), for the progress bar.
        done: u64,
        total: u64,
    },
    /// The file is read: what the reader found.
    Done(Box<Validated>),
    /// The file cannot be read, or its header row does not fit.
    Failed(ImportError),
}

/// What validation found, apart from the records.
#[derive(Default)]
struct Validated {
    total_rows: usize,
    empty_rows: usize,
    superseded: usize,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

/// Batches sent to the writer before the reader waits for it.
const BATCHES_AHEAD: usize = 2;

/// Where a key was last seen.
struct Seen {
    row: usize,
    /// The batch it is in (counted from 0).
    batch: u64,
    /// Its place in that batch.
    index: usize,
}

/// The reader side: validates rows and resolves duplicates within the file
/// (the later row wins, with a warning), keeping only the keys seen.
struct Validator {
    kind: Kind,
    name: String,
    resolver: Resolver,
    batch_size: usize,
    mapping: Option<columns::Mapping>,
    seen: HashMap<String, Seen>,
    batch: Vec<Pending>,
    batch_number: u64,
    found: Validated,
    sender: std::sync::mpsc::SyncSender<Message>,
    done: u64,
    total: u64,
}

impl Validator {
    /// Sends the batch being filled; `Break` when the writer has gone.
    fn send_batch(&mut self) -> ControlFlow<()> {
        if self.batch.is_empty() {
            return ControlFlow::Continue(());
        }
        let records = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        self.batch_number += 1;
        let message = Message::Batch {
            records,
            done: self.done,
            total: self.total,
        };
        match self.sender.send(message) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }

    /// Sends the last batch and what was found, or why the file cannot be read.
    fn finish(mut self, result: Result<(), ImportError>) {
        let message = match result {
            Ok(()) => {
                if self.send_batch().is_break() {
                    return;
                }
                Message::Done(Box::new(std::mem::take(&mut self.found)))
            }
            Err(error) => Message::Failed(error),
        };
        // The writer may have stopped (a database error): nobody to tell.
        let _ = self.sender.send(message);
    }
}

impl table::RowSink for Validator {
    fn header(&mut self, _row: usize, cells: Vec<String>) -> ControlFlow<()> {
        match columns::map_headers(self.kind.columns(), &cells) {
            Ok(mapping) => {
                self.mapping = Some(mapping.clone());
                match self.sender.send(Message::Header(mapping)) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                }
            }
            Err(error) => {
                let _ = self.sender.send(Message::Failed(ImportError::Header {
                    path: self.name.clone(),
                    error,
                }));
                ControlFlow::Break(())
            }
        }
    }

    fn row(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()> {
        let Some(mapping) = &self.mapping else {
            return ControlFlow::Break(());
        };
        self.found.total_rows += 1;
        let parsed = rows::parse_row(self.kind, mapping, &self.resolver, row, &cells);
        drop(cells);
        self.found.warnings.extend(parsed.warnings);
        if !parsed.errors.is_empty() {
            self.found.errors.extend(parsed.errors);
            return ControlFlow::Continue(());
        }
        let Some(record) = parsed.record else {
            // Every path that yields no record records why; never drop a row silently.
            self.found.errors.push(Problem {
                row,
                column: String::new(),
                value: String::new(),
                reason: "the row could not be read".into(),
                reason_zh: "该行无法读取".into(),
            });
            return ControlFlow::Continue(());
        };
        let key = record.key();
        let index = self.batch.len();
        let mut previous = None;
        if let Some(seen) = self.seen.get_mut(&key) {
            let earlier_row = seen.row;
            self.found.warnings.push(Problem {
                row,
                column: String::new(),
                value: key.clone(),
                reason: format!(
                    "duplicate of row {earlier_row} (same key {key}); row {row} replaces it"
                ),
                reason_zh: format!("与第 {earlier_row} 行重复（键 {key}），以第 {row} 行为准"),
            });
            self.found.superseded += 1;
            seen.row = row;
            if seen.batch == self.batch_number
                && let Some(pending) = self.batch.get_mut(seen.index)
            {
                // Still in the batch being filled: replaced in place.
                pending.row = row;
                pending.record = record;
                return ControlFlow::Continue(());
            }
            // Already sent: this row follows it, and the writer settles the counts.
            seen.batch = self.batch_number;
            seen.index = index;
            previous = Some(earlier_row);
        } else {
            self.seen.insert(
                key,
                Seen {
                    row,
                    batch: self.batch_number,
                    index,
                },
            );
        }
        self.batch.push(Pending {
            row,
            record,
            previous,
        });
        if self.batch.len() >= self.batch_size {
            return self.send_batch();
        }
        ControlFlow::Continue(())
    }

    fn empty(&mut self, count: usize) {
        self.found.empty_rows += count;
    }

    fn position(&mut self, done: u64, total: u64) {
        self.done = done;
        self.total = total;
    }
}

/// A row the database rejected, kept until the end: a later row with the same
/// key supersedes it.
struct Rejected {
    problem: Problem,
    /// Whether an earlier row with the same key was saved by this import.
    key_saved_before: bool,
}

/// The writer side's tally.
#[derive(Default)]
struct Written {
    inserted: u64,
    updated: u64,
    unchanged: u64,
    rejected: HashMap<usize, Rejected>,
}

impl Written {
    /// Records the fate of a row. A row whose key an earlier batch of this
    /// import already saved was counted as updated by the database; the key was
    /// counted when first saved, so that count is taken back. An earlier
    /// occurrence the database rejected is superseded, as if never tried.
    fn settle(&mut self, row: usize, previous: Option<usize>, rejected: Option<Problem>) {
        let key_saved_before = match previous {
            None => false,
            Some(earlier) => match self.rejected.remove(&earlier) {
                Some(earlier) => earlier.key_saved_before,
                None => true,
            },
        };
        match rejected {
            // Counted once, when first saved. Which count the repeat went to
            // is not known row by row: taken from `updated` first (a repeat
            // that changes its record is the usual case).
            None if key_saved_before => {
                if self.updated > 0 {
                    self.updated -= 1;
                } else {
                    self.unchanged = self.unchanged.saturating_sub(1);
                }
            }
            None => {}
            Some(problem) => {
                self.rejected.insert(
                    row,
                    Rejected {
                        problem,
                        key_saved_before,
                    },
                );
            }
        }
    }
}

async fn import_source<S: Store>(
    store: &S,
    kind: Kind,
    source: Source,
    name: &str,
    options: &Options,
    report: Option<&ProgressReport>,
) -> Result<Outcome, ImportError> {
    if store.city().await?.is_none() {
        return Err(ImportError::NoCity);
    }
    let resolver = Resolver::load(store, options.strict_uscc).await?;
    let batch_size = options.batch.max(1);
    let (sender, receiver) = std::sync::mpsc::sync_channel(BATCHES_AHEAD);
    let validator = Validator {
        kind,
        name: name.to_owned(),
        resolver,
        batch_size,
        mapping: None,
        seen: HashMap::new(),
        batch: Vec::with_capacity(batch_size),
        batch_number: 0,
        found: Validated::default(),
        sender,
        done: 0,
        total: 0,
    };
    let reader_failed = |reason: String| {
        ImportError::Read(ReadError::Io {
            path: name.to_owned(),
            source: std::io::Error::other(reason),
        })
    };
    std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || {
            let mut validator = validator;
            let result = match source {
                Source::File(path) => table::scan_file(&path, &mut validator).map(|_| ()),
                Source::Table(table) => table::scan_table(table, &mut validator),
            };
            validator.finish(result.map_err(ImportError::from));
        })
        .map_err(|error| reader_failed(format!("cannot start the reader: {error}")))?;

    let mut written = Written::default();
    let mut progress = Progress::new(options.progress);
    let mut receiver = receiver;
    let mut mapping = None;
    let found = loop {
        // Waiting for the reader blocks, so it is done off the async threads.
        let (back, message) = tokio::task::spawn_blocking(move || {
            let message = receiver.recv();
            (receiver, message)
        })
        .await
        .map_err(|error| reader_failed(error.to_string()))?;
        receiver = back;
        match message {
            Ok(Message::Header(map)) => mapping = Some(map),
            Ok(Message::Batch {
                records,
                done,
                total,
            }) => {
                let len = records.len() as u64;
                let Some(mapping) = &mapping else {
                    return Err(reader_failed("records came before the header row".into()));
                };
                save_batch(store, kind, mapping, records, &mut written).await?;
                progress.advance(len, done, total);
                if let Some(report) = report {
                    report(done, total);
                }
            }
            Ok(Message::Done(found)) => break *found,
            Ok(Message::Failed(error)) => return Err(error),
            Err(_) => return Err(reader_failed("the reader stopped unexpectedly".into())),
        }
    };
    progress.finish();

    let mut outcome = Outcome {
        total_rows: found.total_rows,
        inserted: written.inserted,
        updated: written.updated,
        unchanged: written.unchanged,
        superseded: found.superseded,
        empty_rows: found.empty_rows,
        errors: found.errors,
        warnings: found.warnings,
    };
    outcome
        .errors
        .extend(written.rejected.into_values().map(|r| r.problem));
    outcome.errors.sort_by_key(|p| p.row);
    outcome.warnings.sort_by_key(|p| p.row);
    if outcome.imported() > 0 {
        store
            .refresh_statistics()
            .await
            .map_err(ImportError::from)?;
    }
    Ok(outcome)
}

/// The progress bar, shown once more than a few thousand rows are written.
struct Progress {
    show: bool,
    rows: u64,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(show: bool) -> Self {
        Self {
            show,
            rows: 0,
            bar: None,
        }
    }

    fn advance(&mut self, rows: u64, done: u64, total: u64) {
        self.rows += rows;
        if !self.show || total == 0 {
            return;
        }
        if self.bar.is_none() && self.rows >= 5_000 {
            self.bar = Some(progress_bar(
                total,
                "{bar:40} {percent}%, {msg} rows written, eta {eta}",
            ));
        }
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(self.rows.to_string());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Upserts a batch in one transaction; when the database rejects it, retries
/// row by row and records the rows it rejects.
async fn save_batch<S: Store>(
    store: &S,
    kind: Kind,
    mapping: &columns::Mapping,
    batch: Vec<Pending>,
    written: &mut Written,
) -> Result<(), ImportError> {
    let mut rows = Vec::with_capacity(batch.len());
    let mut records = Vec::with_capacity(batch.len());
    for pending in batch {
        rows.push((pending.row, pending.previous));
        records.push(pending.record);
    }
    let records = match rows::upsert_owned(store, kind, records).await {
        (Ok(counts), _) => {
            written.inserted += counts.inserted;
            written.updated += counts.updated;
            written.unchanged += counts.unchanged;
            for (row, previous) in rows {
                written.settle(row, previous, None);
            }
            return Ok(());
        }
        (Err(error), _) if !is_row_error(&error) => return Err(error.into()),
        (Err(_), records) => records,
    };
    for ((row, previous), record) in rows.into_iter().zip(&records) {
        match rows::upsert(store, kind, &[record]).await {
            Ok(counts) => {
                written.inserted += counts.inserted;
                written.updated += counts.updated;
                written.unchanged += counts.unchanged;
                written.settle(row, previous, None);
            }
            Err(error) if is_row_error(&error) => {
                let problem = rows::store_problem(kind, mapping, row, record, &error);
                written.settle(row, previous, Some(problem));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

fn is_row_error(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::MissingReference { .. }
            | StoreError::Duplicate { .. }
            | StoreError::Constraint { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::uscc::Uscc;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn line(n: u32, name: &str) -> Result<String, Box<dyn std::error::Error>> {
        let code = Uscc::from_body(&format!("91420200{n:08}"))?;
        Ok(format!(
            "{},{name}{n},企业,420203,,2015-03-0{},存续\n",
            code.as_str(),
            1 + n % 9
        ))
    }

    /// Duplicates across batches (a chain of three, pairs, a rejected row
    /// between them) give the same outcome and the same rows whatever the
    /// batch size, as when every record was held before writing.
    /// Records 黄石市 with its default districts, as `jianguan setup --city 420200` does.
    async fn set_up_huangshi(db: &storage::Db) -> TestResult {
        use storage::WorkflowStore;
        let at = domain::clock::now();
        let city = domain::divisions::CityRecord {
            code: "420200".into(),
            name: "黄石市".into(),
            set_up_by: "test".into(),
            set_up_at: at,
        };
        let change = storage::Change::new(at, "test", "city.set_up", "黄石市");
        db.set_up_city(&city, &domain::org::huangshi_districts(), &change)
            .await?;
        Ok(())
    }

    #[test]
    fn duplicates_across_batches_count_as_within_one() -> TestResult {
        let dir = std::env::temp_dir().join(format!("jianguan-import-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut text =
            "统一社会信用代码,主体名称,主体类型,所属区域,行业代码,成立日期,登记状态\n".to_owned();
        for (n, name) in [
            (1, "甲"),
            (2, "甲"),
            (1, "乙"),
            (3, "甲"),
            (4, "甲"),
            (2, "乙"),
            (1, "丙"),
            (5, "甲"),
        ] {
            text += &line(n, name)?;
        }
        text += "bad,坏,企业,420203,,2015-03-01,存续\n";
        text += &line(3, "乙")?;
        let file = dir.join("entities.csv");
        std::fs::write(&file, text)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut outcomes = Vec::new();
        for batch in [1, 2, 3, 100] {
            let url = dir.join(format!("db-{batch}.sqlite3"));
            let url = url.to_str().ok_or("path")?.to_owned();
            let (outcome, names) = runtime.block_on(async {
                let db = storage::open(&url).await?;
                db.migrate().await?;
                set_up_huangshi(&db).await?;
                let options = Options {
                    batch,
                    ..Options::default()
                };
                let fresh = import_file(&db, Kind::Entities, &file, &options).await?;
                // The same file again: every key exists; updated or unchanged (below).
                let outcome = import_file(&db, Kind::Entities, &file, &options).await?;
                let mut names = Vec::new();
                for n in 1..=5 {
                    let code = Uscc::from_body(&format!("91420200{n:08}"))?;
                    let entity = db.entity(&code).await?.ok_or("entity missing")?;
                    names.push(entity.name.clone());
                }
                assert_eq!((fresh.inserted, fresh.updated), (5, 0), "batch {batch}");
                assert_eq!(
                    (&fresh.errors, &fresh.warnings, fresh.superseded),
                    (&outcome.errors, &outcome.warnings, outcome.superseded)
                );
                db.close().await;
                Ok::<_, Box<dyn std::error::Error>>((outcome, names))
            })?;
            outcomes.push((batch, outcome, names));
        }
        let _ = std::fs::remove_dir_all(&dir);
        for (batch, outcome, names) in &outcomes {
            assert_eq!(outcome.total_rows, 10, "batch {batch}");
            assert_eq!(outcome.superseded, 4, "batch {batch}");
            // Each key once. A key repeated across batches is written at each
            // occurrence, so it may count as updated; in one batch all are unchanged.
            assert_eq!(
                (outcome.inserted, outcome.updated + outcome.unchanged),
                (0, 5),
                "batch {batch}"
            );
            if *batch == 100 {
                assert_eq!(outcome.unchanged, 5);
            }
            assert_eq!(outcome.rejected(), 1, "batch {batch}");
            assert_eq!(outcome.warnings.len(), 4, "batch {batch}");
            assert_eq!(names, &["丙1", "乙2", "乙3", "甲4", "甲5"], "batch {batch}");
            let counted = |o: &Outcome| Outcome {
                updated: 0,
                unchanged: 0,
                ..o.clone()
            };
            assert_eq!(counted(outcome), counted(&outcomes[0].1), "batch {batch}");
        }
        Ok(())
    }
}
