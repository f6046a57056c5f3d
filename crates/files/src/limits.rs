//! The bounds every file reader enforces before it allocates (docs/import.md,
//! "Limits"). A file past one of them is refused whole with [`Exceeded`]:
//! nothing is written.

use std::io::{Read, Seek};

/// Cells in one row (a directory has about 20 columns).
pub const MAX_COLUMNS: usize = 1_024;
/// Bytes of one CSV record (line breaks inside quoted cells included) or one JSON line.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Data rows of a file read as a stream (directory and credit list imports).
pub const MAX_ROWS: usize = 50_000_000;
/// Rows of a spreadsheet: the XLSX format's own limit.
pub const MAX_SHEET_ROWS: usize = 1_048_576;
/// Rows of a file that is read whole before it is checked (credit check batches,
/// matters catalogues, hotline orders).
pub const MAX_HELD_ROWS: usize = 1_048_576;
/// Text bytes held for such a file.
pub const MAX_HELD_BYTES: usize = 256 << 20;
/// Parts (entries) of an XLSX zip.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Decompressed bytes of all parts of an XLSX zip together.
pub const MAX_UNZIPPED_BYTES: u64 = 2 << 30;
/// Decompressed bytes of the shared strings part, which the reader holds whole.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 256 << 20;
/// Decompressed : compressed ratio of a part larger than [`RATIO_FLOOR`].
pub const MAX_ZIP_RATIO: u64 = 200;
/// Parts up to this size are not held to [`MAX_ZIP_RATIO`].
pub const RATIO_FLOOR: u64 = 1 << 20;

/// Which limit a file went past, and by what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeded {
    /// A row has a cell past [`MAX_COLUMNS`]: (row, column number).
    Columns {
        /// The row (1-based).
        row: usize,
        /// The column number (1-based).
        column: usize,
    },
    /// A record or line is longer than [`MAX_LINE_BYTES`]: the line it starts on.
    Line {
        /// The line (1-based).
        line: usize,
    },
    /// More rows than allowed: the row number reached, and the limit.
    Rows {
        /// The row number reached.
        row: usize,
        /// The limit.
        limit: usize,
    },
    /// More text than [`MAX_HELD_BYTES`] for a file held whole: the row reached.
    HeldBytes {
        /// The row reached.
        row: usize,
    },
    /// An XLSX zip with more than [`MAX_ZIP_ENTRIES`] parts.
    ZipEntries {
        /// The number of parts.
        entries: usize,
    },
    /// A zip part that decompresses past a limit: its name, and why.
    Unzipped {
        /// The part's name in the zip.
        part: String,
        /// Which limit it passed.
        reason: String,
    },
    /// A format that cannot be read within bounds.
    Format {
        /// The format's name.
        format: &'static str,
    },
}

impl Exceeded {
    /// The English message (CLI).
    pub fn english(&self) -> String {
        match self {
            Self::Columns { row, column } => {
                format!(
                    "row {row} has a cell in column {column}, past the limit of {MAX_COLUMNS} columns"
                )
            }
            Self::Line { line } => format!(
                "the record starting on line {line} is longer than {} bytes",
                MAX_LINE_BYTES
            ),
            Self::Rows { row, limit } => format!("row {row} is past the limit of {limit} rows"),
            Self::HeldBytes { row } => {
                format!(
                    "the file holds more than {} MiB of text by row {row}",
                    MAX_HELD_BYTES >> 20
                )
            }
            Self::ZipEntries { entries } => {
                format!("the workbook has {entries} parts, past the limit of {MAX_ZIP_ENTRIES}")
            }
            Self::Unzipped { part, reason } => format!("the workbook's part {part} {reason}"),
            Self::Format { format } => {
                format!(
                    "{format} files cannot be read within bounds; save the sheet as XLSX or CSV"
                )
            }
        }
    }

    /// The Chinese message (pages).
    pub fn chinese(&self) -> String {
        match self {
            Self::Columns { row, column } => {
                format!("第 {row} 行第 {column} 列有内容，超过 {MAX_COLUMNS} 列的上限")
            }
            Self::Line { line } => {
                format!(
                    "从第 {line} 行开始的一条记录超过 {} 字节的上限",
                    MAX_LINE_BYTES
                )
            }
            Self::Rows { row, limit } => format!("第 {row} 行超过 {limit} 行的上限"),
            Self::HeldBytes { row } => format!(
                "到第 {row} 行文件内容已超过 {} MiB 的上限",
                MAX_HELD_BYTES >> 20
            ),
            Self::ZipEntries { entries } => {
                format!("工作簿有 {entries} 个部件，超过 {MAX_ZIP_ENTRIES} 个的上限")
            }
            Self::Unzipped { part, .. } => {
                format!("工作簿部件 {part} 解压后超过上限（疑似压缩炸弹）")
            }
            Self::Format { format } => {
                format!("无法在安全限度内读取 {format} 文件，请另存为 XLSX 或 CSV")
            }
        }
    }
}

/// Checks every part of a zip (XLSX) before a reader opens it: the number of
/// parts, and each part's size by decompressing it into nothing, so that a
/// part whose header lies about its size is caught too.
pub fn check_zip(reader: impl Read + Seek) -> Result<(), ZipCheck> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| ZipCheck::Unreadable(e.to_string()))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(ZipCheck::Exceeded(Exceeded::ZipEntries {
            entries: archive.len(),
        }));
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut part = archive
            .by_index(index)
            .map_err(|e| ZipCheck::Unreadable(e.to_string()))?;
        let name = part.name().to_owned();
        let exceeded = |reason: String| {
            ZipCheck::Exceeded(Exceeded::Unzipped {
                part: name.clone(),
                reason,
            })
        };
        let part_limit = if name.ends_with("sharedStrings.xml") {
            MAX_SHARED_STRINGS_BYTES
        } else {
            MAX_UNZIPPED_BYTES
        };
        let compressed = part.compressed_size().max(1);
        let declared = part.size();
        let allowed = part_limit
            .min(MAX_UNZIPPED_BYTES - total)
            .min(RATIO_FLOOR.max(compressed.saturating_mul(MAX_ZIP_RATIO)));
        if declared > allowed {
            return Err(exceeded(format!(
                "declares {declared} bytes from {compressed} compressed, past the limit of {allowed}"
            )));
        }
        // Decompress at most one byte past what is allowed: a lying header stops there.
        let read = std::io::copy(&mut (&mut part).take(allowed + 1), &mut std::io::sink())
            .map_err(|e| ZipCheck::Unreadable(format!("{name}: {e}")))?;
        if read > allowed {
            return Err(exceeded(format!(
                "decompresses past {allowed} bytes from {compressed} compressed (it declares {declared})"
            )));
        }
        total += read;
    }
    Ok(())
}

/// Why [`check_zip`] refused a file.
#[derive(Debug)]
pub enum ZipCheck {
    /// Not a readable zip.
    Unreadable(String),
    /// Past a limit.
    Exceeded(Exceeded),
}

/// A reader that fails once a CSV record grows past [`MAX_LINE_BYTES`]. It
/// follows quotes (`"`, doubled inside a quoted cell) so that a record ends at a
/// line break outside them; the error names the line the long record starts on.
pub struct RecordBound<R> {
    inner: R,
    in_quotes: bool,
    record_bytes: usize,
    line: usize,
    record_line: usize,
}

impl<R> RecordBound<R> {
    /// Bounds `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            in_quotes: false,
            record_bytes: 0,
            line: 1,
            record_line: 1,
        }
    }
}

/// The message of the I/O error a bound gives; [`exceeded_in`] finds it again.
#[derive(Debug)]
struct LimitError(Exceeded);

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.english())
    }
}

impl std::error::Error for LimitError {}

/// An I/O error carrying `exceeded`.
pub fn limit_error(exceeded: Exceeded) -> std::io::Error {
    std::io::Error::other(LimitError(exceeded))
}

/// The limit an I/O error (from [`limit_error`]) carries, if any.
pub fn exceeded_in(error: &std::io::Error) -> Option<Exceeded> {
    error
        .get_ref()?
        .downcast_ref::<LimitError>()
        .map(|e| e.0.clone())
}

impl<R: Read> Read for RecordBound<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        for &byte in &buf[..read] {
            self.record_bytes += 1;
            match byte {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' => {
                    self.line += 1;
                    if !self.in_quotes {
                        self.record_bytes = 0;
                        self.record_line = self.line;
                    }
                }
                _ => {}
            }
            if self.record_bytes > MAX_LINE_BYTES {
                return Err(limit_error(Exceeded::Line {
                    line: self.record_line,
                }));
            }
        }
        Ok(read)
    }
}

/// Reads one line (without its `\n`) into `line`, refusing past
/// [`MAX_LINE_BYTES`] before holding more; `Ok(false)` at the end.
pub fn read_bounded_line(
    input: &mut impl std::io::BufRead,
    line: &mut Vec<u8>,
    number: usize,
) -> std::io::Result<bool> {
    line.clear();
    let read =
        std::io::BufRead::read_until(&mut input.take(MAX_LINE_BYTES as u64 + 1), b'\n', line)?;
    if read == 0 {
        return Ok(false);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if line.len() > MAX_LINE_BYTES {
        return Err(limit_error(Exceeded::Line { line: number }));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_bounded_outside_quotes_only() {
        let mut long = b"a,b\n\"".to_vec();
        long.extend(
            std::iter::repeat_n(b'x', 10)
                .chain(*b"\n")
                .cycle()
                .take(MAX_LINE_BYTES + 10),
        );
        let error = std::io::copy(&mut RecordBound::new(&long[..]), &mut std::io::sink()).err();
        assert_eq!(
            error.as_ref().and_then(exceeded_in),
            Some(Exceeded::Line { line: 2 })
        );
        let mut many: Vec<u8> = Vec::new();
        for _ in 0..200_000 {
            many.extend_from_slice(b"\"x\"\"y\",z\n");
        }
        assert!(std::io::copy(&mut RecordBound::new(&many[..]), &mut std::io::sink()).is_ok());
    }

    fn zip_of_zeros(bytes: usize) -> Vec<u8> {
        use std::io::Write as _;
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let written = out
            .start_file("xl/worksheets/sheet1.xml", options)
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(&vec![0; bytes]));
        assert!(written.is_ok());
        out.finish()
            .map(std::io::Cursor::into_inner)
            .unwrap_or_default()
    }

    #[test]
    fn zip_parts_are_bounded_by_ratio_and_by_what_they_really_hold() {
        assert!(
            check_zip(std::io::Cursor::new(zip_of_zeros(1 << 20))).is_ok(),
            "1 MiB is under the floor"
        );
        let bomb = check_zip(std::io::Cursor::new(zip_of_zeros(64 << 20)));
        assert!(
            matches!(bomb, Err(ZipCheck::Exceeded(Exceeded::Unzipped { .. }))),
            "{bomb:?}"
        );
        // A part whose headers claim 1,000 bytes but which inflates to 8 MiB.
        let mut lying = zip_of_zeros(8 << 20);
        for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let at = lying
                .windows(4)
                .position(|w| w == signature)
                .unwrap_or(usize::MAX);
            if let Some(field) = lying.get_mut(at.wrapping_add(offset)..at.wrapping_add(offset + 4))
            {
                field.copy_from_slice(&1_000u32.to_le_bytes());
            }
        }
        let refused = check_zip(std::io::Cursor::new(lying));
        assert!(refused.is_err(), "a lying header passed");
    }

    #[test]
    fn lines_are_bounded() -> std::io::Result<()> {
        let text = [b"short\n".as_slice(), &vec![b'y'; MAX_LINE_BYTES + 1]].concat();
        let mut input = &text[..];
        let mut line = Vec::new();
        assert!(read_bounded_line(&mut input, &mut line, 1)?);
        assert_eq!(line, b"short");
        let error = read_bounded_line(&mut input, &mut line, 2).err();
        assert_eq!(
            error.as_ref().and_then(exceeded_in),
            Some(Exceeded::Line { line: 2 })
        );
        assert!(line.len() <= MAX_LINE_BYTES + 1);
        Ok(())
    }
}
