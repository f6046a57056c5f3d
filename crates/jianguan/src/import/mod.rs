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
//!   re-import unchanged.

pub mod columns;
pub mod export;
pub mod report;
pub mod rows;
pub mod table;

use std::collections::HashMap;
use std::path::Path;

use crate::storage::{Store, StoreError, UpsertCount};

pub use columns::{Column, HeaderError};
pub use rows::{Record, Resolver};
pub use table::{ReadError, Table};

/// Rows per upsert batch (one transaction each).
pub const DEFAULT_BATCH: usize = 2_000;

/// Which directory a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Kind {
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
    /// The columns of this directory.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Entities => columns::ENTITIES,
            Kind::Inspectors => columns::INSPECTORS,
            Kind::Recusals => columns::RECUSALS,
            Kind::Items => columns::ITEMS,
            Kind::JointItems => columns::JOINT_ITEMS,
        }
    }

    /// `entities`, `inspectors`, `recusals`, `items` or `joint-items`.
    pub fn as_str(self) -> &'static str {
        match self {
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
    /// Records that replaced existing ones.
    pub updated: u64,
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
    /// The database failed (not a per-row constraint).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// Whether the file itself is at fault (exit status 2), not the database.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, ImportError::Read(_) | ImportError::Header { .. })
    }
}

/// Reads `path` and imports it into `store`.
pub async fn import_file<S: Store>(
    store: &S,
    kind: Kind,
    path: &Path,
    options: &Options,
) -> Result<Outcome, ImportError> {
    let table = table::read_table(path)?;
    import_table(store, kind, table, &path.display().to_string(), options).await
}

/// Imports a table already read (`name` is used in messages). Rows are
/// consumed as they are validated, so the text and the records are not both
/// held in full.
pub async fn import_table<S: Store>(
    store: &S,
    kind: Kind,
    table: Table,
    name: &str,
    options: &Options,
) -> Result<Outcome, ImportError> {
    let mapping = columns::map_headers(kind.columns(), &table.headers).map_err(|error| {
        ImportError::Header {
            path: name.to_owned(),
            error,
        }
    })?;
    let resolver = Resolver::load(store, options.strict_uscc).await?;
    let mut outcome = Outcome {
        total_rows: table.rows.len(),
        empty_rows: table.empty_rows,
        ..Outcome::default()
    };

    // Validate every row; keep the last valid row of each key.
    let mut records: Vec<(usize, Record)> = Vec::with_capacity(table.rows.len());
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (row, cells) in table.rows {
        let row = &row;
        let parsed = rows::parse_row(kind, &mapping, &resolver, *row, &cells);
        outcome.warnings.extend(parsed.warnings);
        if !parsed.errors.is_empty() {
            outcome.errors.extend(parsed.errors);
            continue;
        }
        let Some(record) = parsed.record else {
            // Every path that yields no record records why; never drop a row silently.
            outcome.errors.push(Problem {
                row: *row,
                column: String::new(),
                value: String::new(),
                reason: "the row could not be read".into(),
                reason_zh: "该行无法读取".into(),
            });
            continue;
        };
        let key = record.key();
        if let Some(&earlier) = by_key.get(&key) {
            let (earlier_row, _) = &records[earlier];
            let earlier_row = *earlier_row;
            outcome.warnings.push(Problem {
                row: *row,
                column: String::new(),
                value: key.clone(),
                reason: format!(
                    "duplicate of row {earlier_row} (same key {key}); row {row} replaces it"
                ),
                reason_zh: format!("与第 {earlier_row} 行重复（键 {key}），以第 {row} 行为准"),
            });
            outcome.superseded += 1;
            records[earlier].1 = record;
            records[earlier].0 = *row;
            continue;
        }
        by_key.insert(key, records.len());
        records.push((*row, record));
    }
    drop(by_key);

    let progress = progress_bar(options.progress, records.len() as u64);
    // Batches are moved out of the list (not copied), freeing it as they are saved.
    let batch_size = options.batch.max(1);
    let mut remaining = records.into_iter();
    loop {
        let batch: Vec<(usize, Record)> = remaining.by_ref().take(batch_size).collect();
        if batch.is_empty() {
            break;
        }
        let len = batch.len() as u64;
        let counts = save_batch(store, kind, &mapping, batch, &mut outcome).await?;
        outcome.inserted += counts.inserted;
        outcome.updated += counts.updated;
        progress.inc(len);
    }
    progress.finish_and_clear();
    outcome.errors.sort_by_key(|p| p.row);
    outcome.warnings.sort_by_key(|p| p.row);
    Ok(outcome)
}

fn progress_bar(show: bool, len: u64) -> indicatif::ProgressBar {
    if !show || len < 5_000 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({percent}%), eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Upserts a batch in one transaction; when the database rejects it, retries
/// row by row and reports the rows it rejects.
async fn save_batch<S: Store>(
    store: &S,
    kind: Kind,
    mapping: &columns::Mapping,
    batch: Vec<(usize, Record)>,
    outcome: &mut Outcome,
) -> Result<UpsertCount, ImportError> {
    let (row_numbers, records): (Vec<usize>, Vec<Record>) = batch.into_iter().unzip();
    let records = match rows::upsert_owned(store, kind, records).await {
        (Ok(counts), _) => return Ok(counts),
        (Err(error), _) if !is_row_error(&error) => return Err(error.into()),
        (Err(_), records) => records,
    };
    let mut total = UpsertCount::default();
    for (row, record) in row_numbers.iter().zip(&records) {
        match rows::upsert(store, kind, &[record]).await {
            Ok(counts) => {
                total.inserted += counts.inserted;
                total.updated += counts.updated;
            }
            Err(error) if is_row_error(&error) => {
                outcome
                    .errors
                    .push(rows::store_problem(kind, mapping, *row, record, &error));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(total)
}

fn is_row_error(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::MissingReference { .. }
            | StoreError::Duplicate { .. }
            | StoreError::Constraint { .. }
    )
}
