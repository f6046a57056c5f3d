//! Reading a file into a table of text cells: CSV (UTF-8 with or without a BOM,
//! or GBK/GB18030, detected) and spreadsheets (XLSX/XLSM/XLS/ODS, first sheet).
//!
//! Row numbers are the ones the user sees in Excel: the header is row 1 (for a
//! spreadsheet whose data starts lower, the sheet's own row number). For CSV a
//! row's number is the line it starts on, so empty lines count, as in Excel.
//!
//! Lines before the header whose first cell starts with `#` are comments and
//! skipped: the watermark line of an export ([`crate::watermark`]).

use std::io::Read as _;
use std::ops::ControlFlow;
use std::path::Path;

use calamine::{Data, Reader};
use chrono::NaiveDate;

use super::formula::unguard;
use super::limits::{self, Exceeded, ZipCheck};

/// A table of text cells read from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The header cells, as written.
    pub headers: Vec<String>,
    /// The header's row number.
    pub header_row: usize,
    /// Data rows that are not empty: (row number, cells).
    pub rows: Vec<(usize, Vec<String>)>,
    /// Empty rows skipped (counted where the format shows them).
    pub empty_rows: usize,
    /// The text encoding detected (CSV), or the format (spreadsheets).
    pub source_format: &'static str,
}

/// Why a file could not be read as a table.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be opened.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a readable CSV or spreadsheet.
    #[error("{path} is not a readable {format} file: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What it was read as.
        format: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The file goes past one of the [`limits`]: refused whole.
    #[error("{path} is refused: {}", exceeded.english())]
    Limit {
        /// The file.
        path: String,
        /// Which limit.
        exceeded: Exceeded,
    },
    /// The file holds no header row.
    #[error("{path} is empty (no header row)")]
    Empty {
        /// The file.
        path: String,
    },
}

impl ReadError {
    /// Why, in Chinese (pages, reports).
    pub fn reason_zh(&self) -> String {
        match self {
            Self::Io { path, .. } => format!("无法读取文件 {path}"),
            Self::Format { path, format, .. } => {
                format!("{path} 不是可读的 {format} 文件，请检查文件格式")
            }
            Self::Limit { path, exceeded } => format!("{path}：{}", exceeded.chinese()),
            Self::Empty { path } => format!("{path} 是空文件（没有表头行）"),
        }
    }
}

/// Whether `path` names a spreadsheet (by extension).
pub fn is_spreadsheet(path: &Path) -> bool {
    matches!(
        extension(path).as_deref(),
        Some("xlsx" | "xlsm" | "xlsb" | "xls" | "ods")
    )
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Why a data row cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The line is not UTF-8.
    NotUtf8,
    /// The line is not a JSON object; the parser's message.
    NotJsonObject(String),
}

impl Unreadable {
    /// Why, in English (logs, the CLI).
    pub fn english(&self) -> String {
        match self {
            Self::NotUtf8 => "not UTF-8".to_owned(),
            Self::NotJsonObject(error) => format!("not a JSON object: {error}"),
        }
    }

    /// Why, in Chinese (reports, pages).
    pub fn chinese(&self) -> &'static str {
        match self {
            Self::NotUtf8 => "不是 UTF-8 编码",
            Self::NotJsonObject(_) => "不是有效的 JSON 对象",
        }
    }
}

/// What a scan of a file gives, row by row: the header row first, then each
/// non-empty data row, with the empty rows counted. A visitor may stop the scan
/// early by returning [`ControlFlow::Break`].
pub trait RowSink {
    /// The header row (the first row that is not blank) and its number.
    fn header(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()>;
    /// A data row that is not empty, and its number.
    fn row(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()>;
    /// `count` empty data rows skipped.
    fn empty(&mut self, count: usize);
    /// A data row that cannot be read at all (a broken JSON line), and why.
    /// Only line-based formats give it; sinks that never read them may ignore it.
    fn unreadable(&mut self, _row: usize, _reason: Unreadable) {}
    /// How far the scan is, in units of the source (bytes of CSV, rows of a sheet).
    fn position(&mut self, _done: u64, _total: u64) {}
}

/// Collects a whole table.
impl RowSink for Table {
    fn header(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()> {
        self.headers = cells;
        self.header_row = row;
        ControlFlow::Continue(())
    }

    fn row(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()> {
        self.rows.push((row, cells));
        ControlFlow::Continue(())
    }

    fn empty(&mut self, count: usize) {
        self.empty_rows += count;
    }
}

/// Reads `path`: a spreadsheet by extension, otherwise CSV.
pub fn read_table(path: &Path) -> Result<Table, ReadError> {
    let mut table = Table::default();
    table.source_format = scan_file(path, &mut table)?;
    Ok(table)
}

/// Scans `path` row by row into `sink` (a spreadsheet by extension, otherwise
/// CSV) without holding its rows: CSV is decoded and parsed as it is read, so
/// a file of millions of rows needs little memory; a spreadsheet is held as the
/// sheet's cells. Returns the encoding detected (CSV) or the format. Every read
/// error before the header row comes before it is given.
pub fn scan_file(path: &Path, sink: &mut impl RowSink) -> Result<&'static str, ReadError> {
    if is_spreadsheet(path) {
        // calamine indexes some parts of a malformed file without checking (a shared
        // string index past the table): its panic is this file's error, not the process's.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            scan_spreadsheet(path, sink)
        }))
        .unwrap_or_else(|panic| {
            let reason = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("the reader failed");
            Err(ReadError::Format {
                path: path.display().to_string(),
                format: "spreadsheet",
                reason: format!("the workbook is malformed ({reason})"),
            })
        })?;
        Ok("spreadsheet")
    } else {
        let name = path.display().to_string();
        let io_error = |source| ReadError::Io {
            path: name.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io_error)?;
        let total = file.metadata().map_err(io_error)?.len();
        scan_csv_reader(
            std::io::BufReader::with_capacity(1 << 16, file),
            total,
            &name,
            sink,
        )
    }
}

/// Scans a table already read into `sink`.
pub fn scan_table(table: Table, sink: &mut impl RowSink) -> Result<(), ReadError> {
    if sink.header(table.header_row, table.headers).is_break() {
        return Ok(());
    }
    if table.empty_rows > 0 {
        sink.empty(table.empty_rows);
    }
    let total = table.rows.len() as u64;
    for (done, (row, cells)) in table.rows.into_iter().enumerate() {
        sink.position(done as u64, total);
        if sink.row(row, cells).is_break() {
            break;
        }
    }
    Ok(())
}

/// Decodes CSV bytes: a UTF-8 BOM → UTF-8; valid UTF-8 → UTF-8; otherwise GB18030
/// (a superset of GBK). Returns the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let encoding = sniff_encoding(bytes, true);
    let (text, _, _) = match encoding {
        Encoding::Gb18030 => encoding_rs::GB18030.decode(bytes),
        Encoding::Utf8 | Encoding::Utf8Bom => encoding_rs::UTF_8.decode(bytes),
    };
    (text.into_owned(), encoding.name())
}

/// The encodings CSV files come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 (BOM)",
            Self::Gb18030 => "GB18030",
        }
    }
}

/// The encoding of text starting with `head`: UTF-8 when `head` is valid UTF-8
/// (but for a sequence cut at its end, unless `whole`), otherwise GB18030.
fn sniff_encoding(head: &[u8], whole: bool) -> Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Encoding::Utf8Bom;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        Err(error) if !whole && error.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Gb18030,
    }
}

/// Bytes sniffed for the encoding before a CSV stream is parsed.
const SNIFF_BYTES: usize = 1 << 20;

/// Parses CSV bytes (see [`decode`]); `name` is used in messages.
pub fn read_csv_bytes(bytes: &[u8], name: &str) -> Result<Table, ReadError> {
    let mut table = Table::default();
    table.source_format = scan_csv_reader(bytes, bytes.len() as u64, name, &mut table)?;
    Ok(table)
}

/// Scans decoded CSV text into `sink`; `name` is used in messages.
pub fn scan_csv(text: &str, name: &str, sink: &mut impl RowSink) -> Result<(), ReadError> {
    scan_csv_reader(text.as_bytes(), text.len() as u64, name, sink).map(|_| ())
}

/// A reader that decodes GB18030 to UTF-8 as it reads.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    input_start: usize,
    input_end: usize,
    input_done: bool,
    /// The decoder was given its last input: it must not be called again.
    flushed: bool,
    output: Vec<u8>,
    output_start: usize,
    output_end: usize,
}

impl<R: std::io::Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            input_start: 0,
            input_end: 0,
            input_done: false,
            flushed: false,
            output: vec![0; 3 << 16],
            output_start: 0,
            output_end: 0,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.output_start == self.output_end {
            if self.input_start == self.input_end && !self.input_done {
                let read = self.inner.read(&mut self.input)?;
                self.input_start = 0;
                self.input_end = read;
                self.input_done = read == 0;
            }
            if self.input_start == self.input_end && self.input_done {
                if self.flushed {
                    return Ok(0);
                }
                // Flush what the decoder holds (an incomplete sequence at the end), once.
                self.flushed = true;
                let (_, _, written, _) = self.decoder.decode_to_utf8(&[], &mut self.output, true);
                self.output_start = 0;
                self.output_end = written;
                if written == 0 {
                    return Ok(0);
                }
                break;
            }
            let (_, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.input_start..self.input_end],
                &mut self.output,
                false,
            );
            self.input_start += read;
            self.output_start = 0;
            self.output_end = written;
        }
        let n = buf.len().min(self.output_end - self.output_start);
        buf[..n].copy_from_slice(&self.output[self.output_start..self.output_start + n]);
        self.output_start += n;
        Ok(n)
    }
}

/// Scans CSV from `input` (`total` bytes, for progress) into `sink`, decoding
/// it as it goes (the encoding is sniffed from its first megabyte); `name` is
/// used in messages. Returns the encoding's name.
///
/// Rows are numbered as Excel shows them: records end at `\n` only (a `\r`
/// before it is dropped), so a record's line is exact, counted back from the
/// reader's line after it, less the line breaks inside its quoted cells.
pub fn scan_csv_reader(
    input: impl std::io::Read,
    total: u64,
    name: &str,
    sink: &mut impl RowSink,
) -> Result<&'static str, ReadError> {
    let io_error = |source: std::io::Error| match limits::exceeded_in(&source) {
        Some(exceeded) => ReadError::Limit {
            path: name.to_owned(),
            exceeded,
        },
        None => ReadError::Io {
            path: name.to_owned(),
            source,
        },
    };
    let mut input = limits::RecordBound::new(input);
    let mut head = Vec::new();
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    let encoding = sniff_encoding(&head, head.len() < SNIFF_BYTES);
    let skip = if encoding == Encoding::Utf8Bom { 3 } else { 0 };
    // Every record then ends with a line break (an extra empty line is skipped).
    let mut raw = std::io::Cursor::new(head).chain(input).chain(&b"\n"[..]);
    if skip > 0 {
        std::io::copy(&mut (&mut raw).take(skip), &mut std::io::sink()).map_err(io_error)?;
    }
    let decoded: Box<dyn std::io::Read> = match encoding {
        Encoding::Gb18030 => Box::new(Gb18030Reader::new(raw)),
        Encoding::Utf8 | Encoding::Utf8Bom => Box::new(raw),
    };
    scan_csv_records(decoded, total, name, sink)?;
    Ok(encoding.name())
}

fn scan_csv_records(
    decoded: impl std::io::Read,
    total: u64,
    name: &str,
    sink: &mut impl RowSink,
) -> Result<(), ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(decoded);
    let mut header_seen = false;
    let mut last_line = 0usize;
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                if let csv::ErrorKind::Io(source) = error.kind()
                    && let Some(exceeded) = limits::exceeded_in(source)
                {
                    return Err(ReadError::Limit {
                        path: name.to_owned(),
                        exceeded,
                    });
                }
                return Err(ReadError::Format {
                    path: name.to_owned(),
                    format: "CSV",
                    reason: error.to_string(),
                });
            }
        }
        let inner_breaks: usize = record
            .iter()
            .map(|c| c.iter().filter(|&&b| b == b'\n').count())
            .sum();
        // The reader is on the line after this record (every record ends with \n).
        let after = usize::try_from(reader.position().line()).unwrap_or(usize::MAX);
        let end_line = after.saturating_sub(1);
        let line = end_line.saturating_sub(inner_breaks);
        // The csv crate skips empty lines itself: count them from the line gap.
        let gap = line.saturating_sub(last_line + 1);
        last_line = end_line;
        let limit = |exceeded| ReadError::Limit {
            path: name.to_owned(),
            exceeded,
        };
        if line > limits::MAX_ROWS {
            return Err(limit(Exceeded::Rows {
                row: line,
                limit: limits::MAX_ROWS,
            }));
        }
        // Empty cells at the end of a record do not count against the column limit.
        let width = record
            .iter()
            .rposition(|cell| !cell.is_empty() && cell != b"\r")
            .map_or(0, |last| last + 1);
        if width > limits::MAX_COLUMNS {
            return Err(limit(Exceeded::Columns {
                row: line,
                column: width,
            }));
        }
        let cells: Vec<String> = record
            .iter()
            .take(width.max(1))
            .map(cell_from_bytes)
            .collect();
        let blank = cells.iter().all(|c| c.trim().is_empty());
        if !header_seen {
            if blank || is_comment(cells.first().map(String::as_str)) {
                continue;
            }
            header_seen = true;
            if sink.header(line, cells).is_break() {
                return Ok(());
            }
            continue;
        }
        if gap > 0 {
            sink.empty(gap);
        }
        if blank {
            sink.empty(1);
            continue;
        }
        sink.position(reader.position().byte().min(total), total);
        if sink.row(line, cells).is_break() {
            return Ok(());
        }
    }
    if !header_seen {
        return Err(ReadError::Empty {
            path: name.to_owned(),
        });
    }
    Ok(())
}

/// A comment line before the header: its first cell starts with `#`.
fn is_comment(first_cell: Option<&str>) -> bool {
    first_cell.is_some_and(|cell| cell.trim_start().starts_with('#'))
}

/// A cell's text: UTF-8 (invalid bytes replaced), a trailing `\r` of a CRLF line
/// dropped, the `'` an export put before a formula-like text removed.
fn cell_from_bytes(cell: &[u8]) -> String {
    let cell = cell.strip_suffix(b"\r").unwrap_or(cell);
    match std::str::from_utf8(cell) {
        Ok(text) => unguard(text).to_owned(),
        Err(_) => unguard(&String::from_utf8_lossy(cell)).to_owned(),
    }
}

/// Scans the first sheet of a spreadsheet into `sink`, within the bounds of
/// [`limits`]. XLSX/XLSM/XLSB: every zip part is checked (count, decompressed
/// size and ratio), then the sheet's cells are streamed and placed in rows by
/// their references, so a far cell costs nothing and a cell past
/// [`limits::MAX_COLUMNS`] is refused. XLS: the format caps a sheet at
/// 65,536 × 256 cells, read whole by calamine, one file at a time. ODS is
/// refused (a repeated-cells attribute expands without bound in calamine).
fn scan_spreadsheet(path: &Path, sink: &mut impl RowSink) -> Result<(), ReadError> {
    let name = path.display().to_string();
    let format_error = |reason: String| ReadError::Format {
        path: name.clone(),
        format: "spreadsheet",
        reason,
    };
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: name.clone(),
        source,
    })?;
    let mut rows = SheetRows::new(sink);
    match extension(path).as_deref() {
        Some("ods") => {
            return Err(ReadError::Limit {
                path: name,
                exceeded: Exceeded::Format { format: "ODS" },
            });
        }
        Some("xls") => {
            // Calamine holds an XLS sheet densely: one such read at a time bounds the worst case.
            static XLS_READS: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one_at_a_time = XLS_READS
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut workbook: calamine::Xls<_> = calamine::open_workbook(path)
                .map_err(|e: calamine::XlsError| format_error(e.to_string()))?;
            let range = workbook
                .worksheet_range_at(0)
                .ok_or_else(|| format_error("the workbook has no sheet".into()))?
                .map_err(|e| format_error(e.to_string()))?;
            drop(workbook);
            let (first_row, first_column) = range.start().unwrap_or((0, 0));
            let total = range.height() as u64;
            for (index, row) in range.rows().enumerate() {
                rows.position(index as u64, total);
                let end = row
                    .iter()
                    .rposition(|c| !cell_blank(c))
                    .map_or(0, |last| last + 1);
                check_columns(first_row as usize + index + 1, first_column as usize + end)
                    .map_err(|exceeded| ReadError::Limit {
                        path: name.clone(),
                        exceeded,
                    })?;
                if rows
                    .row(first_row as usize + index + 1, row[..end].to_vec())
                    .is_break()
                {
                    return Ok(());
                }
            }
        }
        _ => {
            let limit = |exceeded| ReadError::Limit {
                path: name.clone(),
                exceeded,
            };
            limits::check_zip(std::io::BufReader::new(&file)).map_err(|check| match check {
                ZipCheck::Unreadable(reason) => format_error(reason),
                ZipCheck::Exceeded(exceeded) => limit(exceeded),
            })?;
            let streamed = if extension(path).as_deref() == Some("xlsb") {
                let mut workbook: calamine::Xlsb<_> = calamine::open_workbook(path)
                    .map_err(|e: calamine::XlsbError| format_error(e.to_string()))?;
                let sheet = first_sheet(&workbook)
                    .ok_or_else(|| format_error("the workbook has no sheet".into()))?;
                let mut cells = workbook
                    .worksheet_cells_reader(&sheet)
                    .map_err(|e| format_error(e.to_string()))?;
                scan_cells(
                    cells.dimensions(),
                    || cells.next_cell().map_err(|e| e.to_string()),
                    &mut rows,
                )
            } else {
                let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(path)
                    .map_err(|e: calamine::XlsxError| format_error(e.to_string()))?;
                let sheet = first_sheet(&workbook)
                    .ok_or_else(|| format_error("the workbook has no sheet".into()))?;
                let mut cells = workbook
                    .worksheet_cells_reader(&sheet)
                    .map_err(|e| format_error(e.to_string()))?;
                scan_cells(
                    cells.dimensions(),
                    || cells.next_cell().map_err(|e| e.to_string()),
                    &mut rows,
                )
            };
            match streamed {
                Ok(()) => {}
                Err(SheetError::Stopped) => return Ok(()),
                Err(SheetError::Format(reason)) => return Err(format_error(reason)),
                Err(SheetError::Limit(exceeded)) => return Err(limit(exceeded)),
            }
        }
    }
    if !rows.header_seen {
        return Err(ReadError::Empty { path: name });
    }
    Ok(())
}

fn first_sheet<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(workbook: &R) -> Option<String> {
    workbook.sheet_names().into_iter().next()
}

/// A cell past [`limits::MAX_COLUMNS`] (1-based `end`, the column after the last cell) or a row past the sheet's.
fn check_columns(row: usize, end: usize) -> Result<(), Exceeded> {
    if end > limits::MAX_COLUMNS {
        return Err(Exceeded::Columns { row, column: end });
    }
    if row > limits::MAX_SHEET_ROWS {
        return Err(Exceeded::Rows {
            row,
            limit: limits::MAX_SHEET_ROWS,
        });
    }
    Ok(())
}

/// Why a streamed sheet stopped.
enum SheetError {
    /// The sink asked to stop.
    Stopped,
    /// The sheet's XML is broken.
    Format(String),
    /// Past a limit.
    Limit(Exceeded),
}

/// Streams a sheet's cells (in row order, as Excel writes them) into rows;
/// `dimensions` are the sheet's declared ones.
fn scan_cells<'a>(
    dimensions: calamine::Dimensions,
    mut next: impl FnMut() -> Result<Option<calamine::Cell<calamine::DataRef<'a>>>, String>,
    rows: &mut SheetRows<'_, impl RowSink>,
) -> Result<(), SheetError> {
    let total = u64::from(dimensions.end.0) + 1;
    let start_column = dimensions.start.1;
    let mut current: Option<u32> = None;
    let mut cells: Vec<Data> = Vec::new();
    let emit = |row: u32, cells: Vec<Data>, rows: &mut SheetRows<'_, _>| {
        rows.position(u64::from(row), total);
        match rows.row(row as usize + 1, cells) {
            ControlFlow::Break(()) => Err(SheetError::Stopped),
            ControlFlow::Continue(()) => Ok(()),
        }
    };
    while let Some(cell) = next().map_err(SheetError::Format)? {
        let (row, column) = cell.get_position();
        let value = Data::from(cell.get_value().clone());
        if cell_blank(&value) {
            continue;
        }
        let Some(index) = column.checked_sub(start_column) else {
            return Err(SheetError::Format(format!(
                "a cell in row {} lies left of the sheet's declared dimension; re-save the file",
                row + 1
            )));
        };
        check_columns(row as usize + 1, column as usize + 1).map_err(SheetError::Limit)?;
        match current {
            Some(previous) if row < previous => {
                return Err(SheetError::Format(format!(
                    "the cells of row {} come after row {}; re-save the file",
                    row + 1,
                    previous + 1
                )));
            }
            Some(previous) if row > previous => emit(previous, std::mem::take(&mut cells), rows)?,
            _ => {}
        }
        current = Some(row);
        let index = index as usize;
        if cells.len() <= index {
            cells.resize(index + 1, Data::Empty);
        }
        cells[index] = value;
    }
    if let Some(row) = current {
        emit(row, cells, rows)?;
    }
    Ok(())
}

/// Turns a sheet's rows into the header and data rows a [`RowSink`] takes:
/// blank rows and comments before the header are skipped, blank rows after it
/// (and rows missing between two rows) counted as empty.
struct SheetRows<'s, S> {
    sink: &'s mut S,
    header_seen: bool,
    last_row: usize,
}

impl<'s, S: RowSink> SheetRows<'s, S> {
    fn new(sink: &'s mut S) -> Self {
        Self {
            sink,
            header_seen: false,
            last_row: 0,
        }
    }

    fn position(&mut self, done: u64, total: u64) {
        if self.header_seen {
            self.sink.position(done, total);
        }
    }

    /// Row `number` (1-based) with its cells.
    fn row(&mut self, number: usize, row: Vec<Data>) -> ControlFlow<()> {
        let blank = row.iter().all(cell_blank);
        if !self.header_seen {
            if blank || matches!(row.first(), Some(Data::String(text)) if is_comment(Some(text))) {
                return ControlFlow::Continue(());
            }
            self.header_seen = true;
            self.last_row = number;
            return self
                .sink
                .header(number, row.iter().map(cell_text).collect());
        }
        let gap = number.saturating_sub(self.last_row + 1);
        self.last_row = number;
        if gap > 0 {
            self.sink.empty(gap);
        }
        if blank {
            self.sink.empty(1);
            return ControlFlow::Continue(());
        }
        self.sink.row(number, row.iter().map(cell_text).collect())
    }
}

/// Whether a cell's text ([`cell_text`]) is blank, without copying it.
fn cell_blank(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(text) => text.trim().is_empty(),
        Data::DateTimeIso(_) | Data::DurationIso(_) => cell_text(cell).trim().is_empty(),
        _ => false,
    }
}

/// The text of a cell: dates as `YYYY-MM-DD`, whole numbers without `.0`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => unguard(text).to_owned(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) => float_text(*value),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => match excel_serial_date(value.as_f64()) {
            Some(date) => match time_of_day(value.as_f64()) {
                Some(time) => format!("{date} {time}"),
                None => date.to_string(),
            },
            None => float_text(value.as_f64()),
        },
        Data::DateTimeIso(text) | Data::DurationIso(text) => {
            text.split('T').next().unwrap_or(text).to_owned()
        }
        Data::Error(error) => format!("#{error}"),
    }
}

/// The time of day of an Excel serial date-time, to the nearest second; `None`
/// at midnight (a plain date).
fn time_of_day(serial: f64) -> Option<chrono::NaiveTime> {
    let seconds = (serial.fract().abs() * 86_400.0).round() as u32;
    (!seconds.is_multiple_of(86_400))
        .then(|| chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds % 86_400, 0))
        .flatten()
}

/// A number cell's text. Numbers of 16 digits or more have lost precision in the
/// spreadsheet (Excel keeps 15 digits), so they are written in exponent form and
/// fail validation as codes instead of passing as wrong, plausible digits.
fn float_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else if value.abs() >= 1e15 {
        format!("{value:E}")
    } else {
        value.to_string()
    }
}

/// The date of an Excel serial day number (1900 date system; 60 is the
/// nonexistent 1900-02-29), or `None` out of range.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let days = if days < 61 { days + 1 } else { days };
    base.checked_add_signed(chrono::Duration::days(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_rows_and_files_read_in_chinese() {
        let line = Unreadable::NotJsonObject("expected value at line 1 column 1".into());
        assert_eq!(line.chinese(), "不是有效的 JSON 对象");
        assert!(line.english().starts_with("not a JSON object"));
        let empty = ReadError::Empty {
            path: "名录.csv".into(),
        };
        assert_eq!(empty.reason_zh(), "名录.csv 是空文件（没有表头行）");
        assert!(
            crate::ImportError::Read(empty)
                .reason_zh()
                .starts_with("名录.csv")
        );
    }

    #[test]
    fn encodings_are_detected() {
        let text = "统一社会信用代码,主体名称\n";
        assert_eq!(decode(text.as_bytes()), (text.to_owned(), "UTF-8"));
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode(&bom), (text.to_owned(), "UTF-8 (BOM)"));
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(&gbk), (text.to_owned(), "GB18030"));
    }

    #[test]
    fn csv_rows_are_numbered_as_in_excel() -> Result<(), ReadError> {
        let table = read_csv_bytes(b"a,b\r\n1,2\r\n\r\n,\r\n\"x\ny\",3\r\n4,5\r\n", "t")?;
        assert_eq!(table.header_row, 1);
        let rows: Vec<usize> = table.rows.iter().map(|(row, _)| *row).collect();
        assert_eq!(rows, vec![2, 5, 7]);
        assert_eq!(table.empty_rows, 2);
        let commented = read_csv_bytes("# 水印 x\r\na,b\r\n1,2\r\n".as_bytes(), "t")?;
        assert_eq!(
            (commented.header_row, commented.headers.clone()),
            (2, vec!["a".into(), "b".into()])
        );
        assert_eq!(commented.rows, vec![(3, vec!["1".into(), "2".into()])]);
        assert!(matches!(
            read_csv_bytes(b"\n \n", "t"),
            Err(ReadError::Empty { .. })
        ));
        Ok(())
    }

    #[test]
    fn gbk_streams_decode_across_buffer_boundaries() -> Result<(), ReadError> {
        let mut text = String::from("主体名称,列入原因\r\n");
        for row in 0..20_000 {
            text.push_str(&format!(
                "黄石市第{row}号商贸有限公司,未按规定报送年度报告\r\n"
            ));
        }
        text.push_str("最后一行,无换行");
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        assert!(gbk.len() > 4 * SNIFF_BYTES / 3 / 2, "spans several buffers");
        let table = read_csv_bytes(&gbk, "t")?;
        assert_eq!(table.source_format, "GB18030");
        assert_eq!(table.rows.len(), 20_001);
        assert_eq!(
            table.rows[12_345],
            (
                12_347,
                vec![
                    "黄石市第12345号商贸有限公司".to_owned(),
                    "未按规定报送年度报告".to_owned()
                ]
            )
        );
        assert_eq!(
            table.rows[20_000],
            (20_002, vec!["最后一行".to_owned(), "无换行".to_owned()])
        );
        Ok(())
    }

    /// Found by the fuzzing of `import::fuzz`: a GB18030 file ending in half a
    /// character flushed the decoder twice, which panics.
    #[test]
    fn a_gbk_file_cut_in_a_character_reads() -> Result<(), ReadError> {
        let table = read_csv_bytes(b"a,b\n\xff1,\xc4", "t")?;
        assert_eq!(table.source_format, "GB18030");
        assert_eq!(table.rows.len(), 1);
        Ok(())
    }

    #[test]
    fn numbers_and_serials() {
        assert_eq!(float_text(5211.0), "5211");
        assert_eq!(float_text(914202001234567890.0), "9.14202001234568E17");
        assert_eq!(
            excel_serial_date(43252.0).map(|d| d.to_string()),
            Some("2018-06-01".into())
        );
        assert_eq!(
            excel_serial_date(1.0).map(|d| d.to_string()),
            Some("1900-01-01".into())
        );
        assert_eq!(
            excel_serial_date(61.0).map(|d| d.to_string()),
            Some("1900-03-01".into())
        );
        assert_eq!(excel_serial_date(f64::NAN), None);
    }
}
