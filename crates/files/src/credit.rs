//! Import of credit list files (national, provincial and city lists, 双公示
//! penalties and licences) and of the matters catalogue, and reading applicant
//! lists for batch checks.
//!
//! List files are CSV (UTF-8 or GBK), XLSX or JSON Lines, streamed: a reader
//! thread decodes and validates rows in batches while the writer upserts the
//! batches already validated, each in one transaction. Memory stays flat
//! whatever the file's size: the file's keys are remembered as 64-bit hashes
//! only (to warn of duplicates; the later row wins).
//!
//! Incremental updates are upserts keyed by (identifier, list, listing date,
//! document number or authority): a new key is added, a changed validity or
//! removal date updates the entry, an unchanged row writes nothing, so
//! re-importing a file changes nothing.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::path::Path;

use chrono::NaiveDate;

use super::columns::{Column, Mapping, map_headers};
use super::limits::{self, Exceeded};
use super::rows::parse_date;
use super::table::{self, RowSink};
use super::{ImportError, Outcome, Problem, ReadError};
use domain::credit::{CreditEntry, ListType, Matter, Severity, Subject};
use storage::StoreError;
use storage::credit::{CreditRun, CreditStore, StageApplied};
use storage::workflow::Change;

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a list file.
pub const ENTRY_COLUMNS: &[Column] = &[
    col("list_type", &["名单类型", "名单类别", "信息类别"], true),
    col(
        "name",
        &["主体名称", "行政相对人名称", "名称", "姓名"],
        true,
    ),
    col(
        "id",
        &[
            "统一社会信用代码或身份证号码",
            "统一社会信用代码/证件号码",
            "统一社会信用代码",
            "身份证号码",
            "证件号码",
        ],
        true,
    ),
    col(
        "listed_on",
        &["列入日期", "列入时间", "处罚决定日期", "许可决定日期"],
        true,
    ),
    col(
        "valid_until",
        &["有效期至", "公示截止期", "有效期截止", "有效截止日期"],
        false,
    ),
    col(
        "authority",
        &["认定部门", "处罚机关", "许可机关", "列入机关", "认定单位"],
        true,
    ),
    col("reason", &["列入原因", "违法行为类型", "列入事由"], false),
    col("removed_on", &["移出日期", "移出时间"], false),
    col("severity", &["严重程度", "失信程度"], false),
    col("decided_on", &["认定日期"], false),
    col(
        "ref_no",
        &["文书号", "处罚决定书文号", "许可文书编号", "决定文书号"],
        false,
    ),
    col("source", &["数据来源", "来源"], false),
    col(
        "basis",
        &["处罚依据", "认定依据", "法律依据", "许可依据"],
        false,
    ),
    col("penalty_kind", &["处罚类别"], false),
    col("penalty_content", &["处罚内容", "许可内容"], false),
    col("fine", &["罚款金额", "罚款金额（万元）"], false),
];

/// The columns of a matters catalogue file.
pub const MATTER_COLUMNS: &[Column] = &[
    col("code", &["事项编码"], true),
    col("name", &["事项名称"], true),
    col("domain", &["领域"], true),
    col("department", &["主管部门"], true),
    col("block", &["阻断名单"], true),
    col("warn", &["警示名单"], true),
    col("reward", &["激励名单"], true),
];

/// The columns of an applicant list.
pub const APPLICANT_COLUMNS: &[Column] = &[
    col(
        "id",
        &[
            "统一社会信用代码或身份证号码",
            "统一社会信用代码/证件号码",
            "统一社会信用代码",
            "身份证号码",
            "证件号码",
        ],
        true,
    ),
    col("name", &["主体名称", "申请人", "名称", "姓名"], false),
];

/// Entries per transaction.
pub const ENTRY_BATCH: usize = 20_000;

/// The cells of one row by column key.
pub(crate) struct Cells<'a> {
    pub(crate) columns: &'static [Column],
    pub(crate) mapping: &'a Mapping,
    pub(crate) cells: &'a [String],
}

impl Cells<'_> {
    pub(crate) fn get(&self, key: &str) -> &str {
        self.columns
            .iter()
            .position(|c| c.key == key)
            .and_then(|i| self.mapping.positions[i])
            .and_then(|p| self.cells.get(p))
            .map_or("", |c| c.trim())
    }

    /// The header as written in the file for `key`, else its Chinese name.
    fn header(&self, key: &str) -> String {
        let index = self.columns.iter().position(|c| c.key == key);
        index
            .and_then(|i| self.mapping.positions[i])
            .and_then(|p| self.mapping.headers.get(p))
            .map(|h| h.trim().to_owned())
            .or_else(|| index.map(|i| self.columns[i].zh[0].to_owned()))
            .unwrap_or_default()
    }

    pub(crate) fn problem(
        &self,
        row: usize,
        key: &str,
        reason: impl Into<String>,
        reason_zh: impl Into<String>,
    ) -> Problem {
        Problem {
            row,
            column: self.header(key),
            value: self.get(key).chars().take(100).collect(),
            reason: reason.into(),
            reason_zh: reason_zh.into(),
        }
    }

    pub(crate) fn date(
        &self,
        row: usize,
        key: &str,
        errors: &mut Vec<Problem>,
    ) -> Option<NaiveDate> {
        let text = self.get(key);
        if text.is_empty() {
            return None;
        }
        match parse_date(text) {
            Ok(date) => Some(date),
            Err((reason, reason_zh)) => {
                errors.push(self.problem(row, key, reason, reason_zh));
                None
            }
        }
    }
}

/// Validates one row of a list file: the entry, or every problem found.
fn parse_entry(
    cells: &Cells<'_>,
    row: usize,
    source: &str,
    strict_uscc: bool,
    warnings: &mut Vec<Problem>,
) -> Result<CreditEntry, Vec<Problem>> {
    let mut errors = Vec::new();
    let list_type = ListType::parse(cells.get("list_type"))
        .map_err(|e| {
            errors.push(cells.problem(
                row,
                "list_type",
                e.reason.to_string(),
                "名单类型应为 严重失信主体名单、红名单、经营异常名录、行政处罚、行政许可 或 虚假承诺",
            ))
        })
        .ok();
    let subject = match Subject::parse_for_import(cells.get("id"), strict_uscc) {
        Ok((subject, warning)) => {
            if let Some(warning) = warning {
                warnings.push(cells.problem(row, "id", warning, super::rows::PILOT_WARNING_ZH));
            }
            Some(subject)
        }
        Err(error) => {
            errors.push(cells.problem(row, "id", error.to_string(), error.reason_zh()));
            None
        }
    };
    let listed_on = cells.date(row, "listed_on", &mut errors);
    if listed_on.is_none() && cells.get("listed_on").is_empty() {
        errors.push(cells.problem(
            row,
            "listed_on",
            "the listing date is required",
            "列入日期不能为空",
        ));
    }
    let valid_until = cells.date(row, "valid_until", &mut errors);
    let removed_on = cells.date(row, "removed_on", &mut errors);
    let decided_on = cells.date(row, "decided_on", &mut errors);
    let severity = match cells.get("severity") {
        "" => None,
        text => Severity::parse(text)
            .map_err(|e| {
                errors.push(cells.problem(
                    row,
                    "severity",
                    e.reason.to_string(),
                    "严重程度应为 轻微、一般 或 严重",
                ))
            })
            .ok(),
    };
    for (key, zh) in [("name", "主体名称"), ("authority", "认定部门")] {
        if cells.get(key).is_empty() {
            errors.push(cells.problem(
                row,
                key,
                format!("{key} is required"),
                format!("{zh}不能为空"),
            ));
        }
    }
    let (Some(list_type), Some(subject), Some(listed_on), true) =
        (list_type, subject, listed_on, errors.is_empty())
    else {
        return Err(errors);
    };
    let authority = cells.get("authority").to_owned();
    let details: serde_json::Map<String, serde_json::Value> =
        ["basis", "penalty_kind", "penalty_content", "fine"]
            .iter()
            .filter(|key| !cells.get(key).is_empty())
            .map(|key| {
                (
                    (*key).to_owned(),
                    serde_json::Value::String(cells.get(key).to_owned()),
                )
            })
            .collect();
    let entry = CreditEntry {
        subject,
        subject_name: cells.get("name").to_owned(),
        list_type,
        listed_on,
        valid_until,
        removed_on,
        ref_no: match cells.get("ref_no") {
            "" => authority.clone(),
            text => text.to_owned(),
        },
        authority,
        reason: cells.get("reason").to_owned(),
        severity,
        decided_on,
        source: match cells.get("source") {
            "" => source.to_owned(),
            text => text.to_owned(),
        },
        details: (!details.is_empty()).then_some(serde_json::Value::Object(details)),
    };
    entry.validate().map_err(|e| {
        let key = match e.field {
            "subject_name" => "name",
            other => other,
        };
        vec![cells.problem(
            row,
            key,
            e.to_string(),
            format!("{}（{}）", zh_of(key), e.reason),
        )]
    })?;
    Ok(entry)
}

fn zh_of(key: &str) -> &'static str {
    ENTRY_COLUMNS
        .iter()
        .find(|c| c.key == key)
        .map_or("该行", |c| c.zh[0])
}

/// What the reader thread sends the writer.
enum Message {
    Batch {
        entries: Vec<CreditEntry>,
        done: u64,
        total: u64,
    },
    Done(Box<Outcome>),
    Failed(ImportError),
}

/// The reader side: validates rows into batches, warns of duplicate keys.
struct EntryReader {
    name: String,
    source: String,
    strict_uscc: bool,
    mapping: Option<Mapping>,
    /// Key hash → the row it was last seen on.
    seen: HashMap<u64, u32>,
    /// Key → index in `batch`, so a repeated key replaces its earlier row.
    in_batch: HashMap<(String, ListType, NaiveDate, String), usize>,
    batch: Vec<CreditEntry>,
    found: Outcome,
    sender: tokio::sync::mpsc::Sender<Message>,
    done: u64,
    total: u64,
}

impl EntryReader {
    fn send_batch(&mut self) -> ControlFlow<()> {
        if self.batch.is_empty() {
            return ControlFlow::Continue(());
        }
        self.in_batch.clear();
        let entries = std::mem::replace(&mut self.batch, Vec::with_capacity(ENTRY_BATCH));
        let message = Message::Batch {
            entries,
            done: self.done,
            total: self.total,
        };
        match self.sender.blocking_send(message) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }

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
        let _ = self.sender.blocking_send(message);
    }

    fn accept(&mut self, row: usize, entry: CreditEntry) -> ControlFlow<()> {
        let key = (
            entry.subject.as_str().to_owned(),
            entry.list_type,
            entry.listed_on,
            entry.ref_no.clone(),
        );
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let row32 = u32::try_from(row).unwrap_or(u32::MAX);
        if let Some(earlier) = self.seen.insert(hasher.finish(), row32) {
            self.found.superseded += 1;
            self.found.warnings.push(Problem {
                row,
                column: String::new(),
                value: key.0.clone(),
                reason: format!("duplicate of row {earlier} (same identifier, list, listing date and reference); row {row} replaces it"),
                reason_zh: format!("与第 {earlier} 行重复（证件号码、名单类型、列入日期和文书号相同），以第 {row} 行为准"),
            });
        }
        if let Some(&index) = self.in_batch.get(&key) {
            self.batch[index] = entry;
            return ControlFlow::Continue(());
        }
        self.in_batch.insert(key, self.batch.len());
        self.batch.push(entry);
        if self.batch.len() >= ENTRY_BATCH {
            return self.send_batch();
        }
        ControlFlow::Continue(())
    }

    fn row_cells(&mut self, row: usize, cells: &[String]) -> ControlFlow<()> {
        let Some(mapping) = self.mapping.take() else {
            return ControlFlow::Break(());
        };
        self.found.total_rows += 1;
        let view = Cells {
            columns: ENTRY_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let parsed = parse_entry(
            &view,
            row,
            &self.source,
            self.strict_uscc,
            &mut self.found.warnings,
        );
        self.mapping = Some(mapping);
        match parsed {
            Ok(entry) => self.accept(row, entry),
            Err(problems) => {
                self.found.errors.extend(problems);
                ControlFlow::Continue(())
            }
        }
    }
}

impl RowSink for EntryReader {
    fn header(&mut self, _row: usize, cells: Vec<String>) -> ControlFlow<()> {
        match map_headers(ENTRY_COLUMNS, &cells) {
            Ok(mapping) => {
                self.mapping = Some(mapping);
                ControlFlow::Continue(())
            }
            Err(error) => {
                let _ = self
                    .sender
                    .blocking_send(Message::Failed(ImportError::Header {
                        path: self.name.clone(),
                        error,
                    }));
                ControlFlow::Break(())
            }
        }
    }

    fn row(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()> {
        self.row_cells(row, &cells)
    }

    fn empty(&mut self, count: usize) {
        self.found.empty_rows += count;
    }

    fn unreadable(&mut self, row: usize, reason: crate::table::Unreadable) {
        self.found.total_rows += 1;
        self.found.errors.push(unreadable_problem(row, reason));
    }

    fn position(&mut self, done: u64, total: u64) {
        self.done = done;
        self.total = total;
    }
}

/// Whether `path` is JSON Lines (by extension).
fn is_json_lines(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jsonl" | "ndjson"))
}

/// Scans a JSON Lines file: each line an object whose keys are headers
/// (Chinese or English); the first line's keys make the header row, and a
/// line's row number is its line number.
fn scan_json_lines(path: &Path, sink: &mut impl RowSink) -> Result<(), ReadError> {
    let name = path.display().to_string();
    let io_error = |source| ReadError::Io {
        path: name.clone(),
        source,
    };
    let limit = |exceeded| ReadError::Limit {
        path: name.clone(),
        exceeded,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let total = file.metadata().map_err(io_error)?.len();
    let mut keys: Option<Vec<String>> = None;
    let mut done = 0u64;
    let mut input = std::io::BufReader::with_capacity(1 << 16, file);
    let mut bytes = Vec::new();
    let mut row = 0usize;
    loop {
        row += 1;
        match limits::read_bounded_line(&mut input, &mut bytes, row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => match limits::exceeded_in(&error) {
                Some(exceeded) => return Err(limit(exceeded)),
                None => return Err(io_error(error)),
            },
        }
        if row > limits::MAX_ROWS {
            return Err(limit(Exceeded::Rows {
                row,
                limit: limits::MAX_ROWS,
            }));
        }
        done += bytes.len() as u64 + 1;
        let Ok(line) = std::str::from_utf8(&bytes) else {
            if keys.is_none() {
                return Err(ReadError::Format {
                    path: name,
                    format: "JSON Lines",
                    reason: format!("line {row} is not UTF-8"),
                });
            }
            sink.unreadable(row, crate::table::Unreadable::NotUtf8);
            continue;
        };
        if line.trim().is_empty() {
            if keys.is_some() {
                sink.empty(1);
            }
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(line) {
            Ok(object) => object,
            Err(error) if keys.is_none() => {
                return Err(ReadError::Format {
                    path: name,
                    format: "JSON Lines",
                    reason: format!("line {row}: {error}"),
                });
            }
            Err(error) => {
                sink.unreadable(
                    row,
                    crate::table::Unreadable::NotJsonObject(error.to_string()),
                );
                continue;
            }
        };
        let header = match &keys {
            Some(header) => header,
            None => {
                if object.len() > limits::MAX_COLUMNS {
                    return Err(limit(Exceeded::Columns {
                        row,
                        column: object.len(),
                    }));
                }
                let header: Vec<String> = object.keys().cloned().collect();
                if sink.header(row, header.clone()).is_break() {
                    return Ok(());
                }
                keys.insert(header)
            }
        };
        let cells: Vec<String> = header
            .iter()
            .map(|key| match object.get(key) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        sink.position(done.min(total), total);
        if sink.row(row, cells).is_break() {
            return Ok(());
        }
    }
    if keys.is_none() {
        return Err(ReadError::Empty { path: name });
    }
    Ok(())
}

/// Reads `path` (CSV, XLSX or JSON Lines) into `sink`.
pub(crate) fn scan_any(path: &Path, sink: &mut impl RowSink) -> Result<(), ReadError> {
    if is_json_lines(path) {
        scan_json_lines(path, sink)
    } else {
        table::scan_file(path, sink).map(|_| ())
    }
}

/// Progress callback: (source units done, total).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// Imports a list file into `store`: every row validated, bad rows reported by
/// row and column, good rows staged in batches, then applied with the run
/// `record` makes of the outcome, in one transaction. `source` names the file
/// in the entries' `source` when the file has no 数据来源 column; `strict_uscc`
/// refuses pilot-pattern codes ([`Subject::parse_for_import`]).
/// `inserted` counts entries new to the store, `updated` those changed and
/// `unchanged` the valid rows that changed nothing.
pub async fn import_entries<S, F>(
    store: &S,
    path: &Path,
    source: &str,
    strict_uscc: bool,
    progress: Option<Progress<'_>>,
    record: F,
) -> Result<(Outcome, StageApplied), ImportError>
where
    S: CreditStore + Sync,
    F: FnOnce(&Outcome, StageApplied) -> Option<(CreditRun, Change)> + Send,
{
    let mut load = store.begin_credit_load().await?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel(2);
    let reader = EntryReader {
        name: path.display().to_string(),
        source: source.to_owned(),
        strict_uscc,
        mapping: None,
        seen: HashMap::new(),
        in_batch: HashMap::new(),
        batch: Vec::with_capacity(ENTRY_BATCH),
        found: Outcome::default(),
        sender,
        done: 0,
        total: 0,
    };
    let path_owned = path.to_owned();
    let thread = std::thread::spawn(move || {
        let mut reader = reader;
        let result = scan_any(&path_owned, &mut reader).map_err(ImportError::from);
        reader.finish(result);
    });
    let mut outcome = None;
    let mut failure = None;
    while let Some(message) = receiver.recv().await {
        match message {
            Message::Batch {
                entries,
                done,
                total,
            } => {
                if let Err(error) = store.load_credit_entries(&mut load, entries).await {
                    failure = Some(ImportError::Store(error));
                    break;
                }
                if let Some(report) = progress {
                    report(done, total);
                }
            }
            Message::Done(found) => outcome = Some(*found),
            Message::Failed(error) => failure = Some(error),
        }
    }
    drop(receiver);
    let _ = thread.join();
    if let Some(error) = failure {
        // What was staged is dropped: the entries stay as they were.
        let _ = store.discard_credit_load(load).await;
        return Err(error);
    }
    let Some(mut outcome) = outcome else {
        let _ = store.discard_credit_load(load).await;
        return Err(ImportError::Store(StoreError::Constraint {
            message: "the reader stopped before the end of the file".into(),
        }));
    };
    outcome.errors.sort_by_key(|p| p.row);
    outcome.warnings.sort_by_key(|p| p.row);
    // Distinct keys staged: the valid rows less those a later row replaced.
    let staged = outcome
        .total_rows
        .saturating_sub(outcome.rejected())
        .saturating_sub(outcome.superseded) as u64;
    let applied = store
        .finish_credit_load(load, |applied| {
            outcome.inserted = applied.after.saturating_sub(applied.before);
            outcome.updated = applied.changed.saturating_sub(outcome.inserted);
            outcome.unchanged = staged.saturating_sub(applied.changed);
            record(&outcome, applied)
        })
        .await?;
    Ok((outcome, applied))
}

/// Collects the rows of a small file: its mapping and (row, cells).
pub(crate) struct Collected {
    columns: &'static [Column],
    name: String,
    mapping: Option<Mapping>,
    header_error: Option<ImportError>,
    held_bytes: usize,
    pub(crate) rows: Vec<(usize, Vec<String>)>,
    pub(crate) empty_rows: usize,
    pub(crate) unreadable: Vec<Problem>,
}

impl RowSink for Collected {
    fn header(&mut self, _row: usize, cells: Vec<String>) -> ControlFlow<()> {
        match map_headers(self.columns, &cells) {
            Ok(mapping) => {
                self.mapping = Some(mapping);
                ControlFlow::Continue(())
            }
            Err(error) => {
                self.header_error = Some(ImportError::Header {
                    path: self.name.clone(),
                    error,
                });
                ControlFlow::Break(())
            }
        }
    }

    fn row(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()> {
        self.held_bytes += cells
            .iter()
            .map(|cell| cell.len() + size_of::<String>())
            .sum::<usize>();
        let exceeded = if self.rows.len() >= limits::MAX_HELD_ROWS {
            Some(Exceeded::Rows {
                row,
                limit: limits::MAX_HELD_ROWS,
            })
        } else if self.held_bytes > limits::MAX_HELD_BYTES {
            Some(Exceeded::HeldBytes { row })
        } else {
            None
        };
        if let Some(exceeded) = exceeded {
            self.header_error = Some(ImportError::Read(ReadError::Limit {
                path: self.name.clone(),
                exceeded,
            }));
            self.rows = Vec::new();
            return ControlFlow::Break(());
        }
        self.rows.push((row, cells));
        ControlFlow::Continue(())
    }

    fn empty(&mut self, count: usize) {
        self.empty_rows += count;
    }

    fn unreadable(&mut self, row: usize, reason: crate::table::Unreadable) {
        if self.unreadable.len() < limits::MAX_HELD_ROWS {
            self.unreadable.push(unreadable_problem(row, reason));
        }
    }
}

fn unreadable_problem(row: usize, reason: crate::table::Unreadable) -> Problem {
    Problem {
        row,
        column: String::new(),
        value: String::new(),
        reason_zh: format!("该行无法读取（{}）", reason.chinese()),
        reason: reason.english(),
    }
}

pub(crate) fn collect(
    path: &Path,
    columns: &'static [Column],
) -> Result<(Mapping, Collected), ImportError> {
    let mut collected = Collected {
        columns,
        name: path.display().to_string(),
        mapping: None,
        header_error: None,
        held_bytes: 0,
        rows: Vec::new(),
        empty_rows: 0,
        unreadable: Vec::new(),
    };
    scan_any(path, &mut collected)?;
    if let Some(error) = collected.header_error.take() {
        return Err(error);
    }
    let mapping = collected.mapping.take().ok_or_else(|| {
        ImportError::Read(ReadError::Empty {
            path: path.display().to_string(),
        })
    })?;
    Ok((mapping, collected))
}

/// A matters catalogue file read and validated: the matters, and the rejected rows.
#[derive(Debug, Default)]
pub struct MattersFile {
    /// Valid matters, at most one per code (the later row wins).
    pub matters: Vec<Matter>,
    /// Rows read, rejected rows' problems, duplicate warnings.
    pub outcome: Outcome,
}

/// Reads and validates a matters catalogue (CSV, XLSX or JSON Lines).
pub fn read_matters(path: &Path) -> Result<MattersFile, ImportError> {
    let (mapping, collected) = collect(path, MATTER_COLUMNS)?;
    let mut file = MattersFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    let mut index_of: HashMap<String, (usize, usize)> = HashMap::new();
    for (row, cells) in &collected.rows {
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: MATTER_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let mut errors = Vec::new();
        let mut lists = |key: &str| match ListType::parse_set(view.get(key)) {
            Ok(set) => set,
            Err(e) => {
                errors.push(view.problem(
                    *row,
                    key,
                    e.reason.to_string(),
                    "名单类型应为 严重失信主体名单、红名单、经营异常名录、行政处罚、行政许可 或 虚假承诺，以“;”分隔",
                ));
                Vec::new()
            }
        };
        let (block, warn, reward) = (lists("block"), lists("warn"), lists("reward"));
        let matter = Matter {
            code: view.get("code").to_owned(),
            name: view.get("name").to_owned(),
            domain: view.get("domain").to_owned(),
            department: view.get("department").to_owned(),
            block,
            warn,
            reward,
        };
        if errors.is_empty()
            && let Err(e) = matter.validate()
        {
            let key = if e.field == "rules" { "block" } else { e.field };
            errors.push(view.problem(
                *row,
                key,
                e.to_string(),
                format!("{}（{}）", e.value, e.reason),
            ));
        }
        if !errors.is_empty() {
            file.outcome.errors.extend(errors);
            continue;
        }
        let code = matter.code.clone();
        keep_last(
            &mut file.matters,
            &mut index_of,
            code,
            *row,
            matter,
            &mut file.outcome,
            |earlier| {
                view.problem(
                    *row,
                    "code",
                    format!("duplicate of row {earlier}; row {row} replaces it"),
                    format!("与第 {earlier} 行事项编码重复，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

/// Adds `item` (read from `row`) to `items`, or replaces the item of an
/// earlier row with the same `key`, counting it superseded with the warning
/// `duplicate(earlier row)`.
pub(crate) fn keep_last<T>(
    items: &mut Vec<T>,
    index_of: &mut HashMap<String, (usize, usize)>,
    key: String,
    row: usize,
    item: T,
    outcome: &mut Outcome,
    duplicate: impl FnOnce(usize) -> Problem,
) {
    if let Some(&(earlier, index)) = index_of.get(&key) {
        outcome.superseded += 1;
        outcome.warnings.push(duplicate(earlier));
        index_of.insert(key, (row, index));
        if let Some(slot) = items.get_mut(index) {
            *slot = item;
        }
    } else {
        index_of.insert(key, (row, items.len()));
        items.push(item);
    }
}

/// One applicant of a batch check, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    /// The identifier as given.
    pub id: String,
    /// The name, if given.
    pub name: Option<String>,
    /// The row it came from (0 when not from a file).
    pub row: usize,
}

/// Reads an applicant list (CSV, XLSX or JSON Lines), in file order. Rows are
/// never rejected here: a malformed identifier is the check's `invalid` outcome.
pub fn read_applicants(path: &Path) -> Result<Vec<Applicant>, ImportError> {
    let (mapping, collected) = collect(path, APPLICANT_COLUMNS)?;
    let mut applicants: Vec<Applicant> = collected
        .unreadable
        .iter()
        .map(|problem| Applicant {
            id: String::new(),
            name: None,
            row: problem.row,
        })
        .collect();
    applicants.extend(collected.rows.iter().map(|(row, cells)| {
        let view = Cells {
            columns: APPLICANT_COLUMNS,
            mapping: &mapping,
            cells,
        };
        Applicant {
            id: view.get("id").to_owned(),
            name: Some(view.get("name").to_owned()).filter(|n| !n.is_empty()),
            row: *row,
        }
    }));
    applicants.sort_by_key(|a| a.row);
    Ok(applicants)
}
