//! Property tests over arbitrary bytes: every reader and the date parser return
//! a value or an error, never a panic, and stay within [`super::limits`].
//! `JIANGUAN_FUZZ_CASES` sets the cases per property (docs/reliability.md).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::credit::{read_applicants, read_matters};
use super::hotline::read_orders;
use super::rows::parse_date;
use super::table::{read_csv_bytes, read_table};
use domain::hotline::HotlineRules;

fn cases() -> u32 {
    std::env::var("JIANGUAN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// A small valid XLSX: a header and two rows.
fn sample_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["统一社会信用代码或身份证号码", "主体名称"],
        ["91420200MA4KXXXX1X", "=1+1"],
        ["110101199003078515", "2020-01-23"],
    ];
    for (r, row) in (0u32..).zip(rows) {
        for (c, cell) in (0u16..).zip(row) {
            let _ = sheet.write_string(r, c, cell);
        }
    }
    book.save_to_buffer().unwrap_or_default()
}

/// Writes `bytes` to a fresh file named `name` in a folder of its own.
fn file(name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let folder = std::env::temp_dir().join(format!(
        "jianguan-fuzz-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&folder)?;
    let path = folder.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path)
}

/// Removes a file's folder when dropped, also when a reader panicked.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        remove(&self.0);
    }
}

/// Every file reader over `bytes` named `name`: none may panic.
fn read_all(name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = Scratch(file(name, bytes)?);
    let _ = read_table(&path.0);
    let _ = read_applicants(&path.0);
    let _ = read_matters(&path.0);
    let _ = read_orders(&path.0, &HotlineRules::default(), false);
    Ok(())
}

fn remove(path: &Path) {
    if let Some(folder) = path.parent() {
        let _ = std::fs::remove_dir_all(folder);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn csv_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(table) = read_csv_bytes(&bytes, "fuzz") {
            prop_assert!(table.headers.len() <= super::limits::MAX_COLUMNS);
            prop_assert!(table.rows.iter().all(|(_, cells)| cells.len() <= super::limits::MAX_COLUMNS));
        }
    }

    #[test]
    fn csv_like_text_never_panics(text in "([\\\",\\r\\n'=a-z0-9\u{4e00}-\u{4e10}]|\u{feff}){0,400}") {
        let _ = read_csv_bytes(text.as_bytes(), "fuzz");
    }

    #[test]
    fn every_reader_takes_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        ext in prop::sample::select(vec!["csv", "xlsx", "xls", "xlsb", "ods", "jsonl"]),
    ) {
        read_all(&format!("fuzz.{ext}"), &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }

    #[test]
    fn mutated_workbooks_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = sample_xlsx();
        for (at, byte) in flips {
            let at = at.index(bytes.len().max(1));
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
        }
        read_all("fuzz.xlsx", &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }

    #[test]
    fn json_lines_never_panic(lines in proptest::collection::vec("[{}\\[\\]\":,a-z0-9 \\\\]{0,60}", 0..20)) {
        read_all("fuzz.jsonl", lines.join("\n").as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }

    #[test]
    fn dates_are_right_or_refused(text in "[0-9年月日/.\\- :T]{0,24}") {
        if let Ok(date) = parse_date(&text) {
            // A date read from text names its four-digit year, or is an Excel serial of 1950-2099.
            let year = chrono::Datelike::year(&date).to_string();
            prop_assert!(text.contains(&year) || (1950..2100).contains(&chrono::Datelike::year(&date)), "{text} -> {date}");
        }
    }

    #[test]
    fn arbitrary_date_text_never_panics(text in any::<String>()) {
        let _ = parse_date(&text);
    }
}

#[test]
fn the_sample_workbook_reads() -> std::io::Result<()> {
    let path = file("sample.xlsx", &sample_xlsx())?;
    let table = read_table(&path).map_err(std::io::Error::other)?;
    remove(&path);
    assert_eq!(table.headers, ["统一社会信用代码或身份证号码", "主体名称"]);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0].1[1], "=1+1", "a formula-like text is text");
    Ok(())
}

/// Found by `mutated_workbooks_never_panic`: a shared-string index past the
/// table panics inside calamine; it is now the file's error.
#[test]
fn a_shared_string_index_past_the_table_is_an_error() -> std::io::Result<()> {
    use std::io::{Read as _, Write as _};
    let sample = sample_xlsx();
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(&sample)).map_err(std::io::Error::other)?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(std::io::Error::other)?;
        let name = part.name().to_owned();
        let mut text = String::new();
        part.read_to_string(&mut text)?;
        if name == "xl/worksheets/sheet1.xml" {
            text = text.replacen("<v>0</v>", "<v>99</v>", 1);
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .map_err(std::io::Error::other)?;
        out.write_all(text.as_bytes())?;
    }
    let broken = out.finish().map_err(std::io::Error::other)?.into_inner();
    let path = file("broken.xlsx", &broken)?;
    let read = read_table(&path);
    remove(&path);
    assert!(
        matches!(read, Err(super::ReadError::Format { .. })),
        "{read:?}"
    );
    Ok(())
}
