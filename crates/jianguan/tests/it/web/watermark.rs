//! Data security: every file exported for a user carries a visible watermark
//! (page header and footer, the sheet 导出信息, the CSV's first line) and a
//! hidden one (the custom document property `jianguan-watermark`), naming the
//! user and the time; a watermarked CSV re-imports unchanged.

use std::io::Read;
use std::process::Command;

use files::watermark::{self, Marker};

use crate::common::web::{TestServer, encode};
use crate::web::staff_directories::{file_link, finished_job};

/// The text of one part (`docProps/custom.xml`, `xl/worksheets/sheet1.xml`) of an XLSX file.
pub fn xlsx_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("not an XLSX file: {e}"));
    let mut part = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("no part {name}: {e}"));
    let mut text = String::new();
    part.read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    text
}

/// Checks both watermarks of an XLSX file made for `user` (login name) shown
/// as `shown` (display name), and returns the hidden marker.
pub fn assert_xlsx_watermark(bytes: &[u8], user: &str, shown: &str) -> Marker {
    assert!(bytes.starts_with(b"PK"), "not an XLSX file");
    let custom = xlsx_part(bytes, "docProps/custom.xml");
    let marker = watermark::marker_in_xml(&custom)
        .unwrap_or_else(|| panic!("no hidden watermark: {custom}"));
    assert_eq!(marker.user, user, "{custom}");
    assert!(marker.is_intact(), "{marker:?}");
    let made = chrono::DateTime::parse_from_rfc3339(&marker.at).unwrap_or_else(|e| panic!("{e}"));
    let age = chrono::Utc::now().signed_duration_since(made);
    assert!(age.num_seconds().abs() < 600, "made at {made}");
    let sheet = xlsx_part(bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("<oddHeader>") && sheet.contains("<oddFooter>"),
        "no header or footer"
    );
    assert!(
        sheet.contains(&format!("导出人 {shown}")),
        "the header does not name {shown}"
    );
    assert!(
        sheet.contains(&made.format("%Y-%m-%d %H:%M").to_string()),
        "the header has no time"
    );
    let info = xlsx_sheet(bytes, watermark::INFO_SHEET);
    assert!(
        info.contains(shown) && info.contains(&marker.sha256),
        "{info}"
    );
    marker
}

/// The cells of one sheet, tab-separated.
pub fn xlsx_sheet(bytes: &[u8], sheet: &str) -> String {
    use calamine::Reader;
    let mut book =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap_or_else(|e| panic!("{e}"));
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{sheet}: {e}"));
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn reports_carry_the_users_watermark() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let file = staff.get("/reports/download?kind=annual&year=2025");
    assert_eq!(file.status, 200, "{}", file.body);
    let shown = "市场监管局工作人员";
    let marker = assert_xlsx_watermark(&file.bytes, "scjg.staff", shown);
    assert_eq!(marker.channel, "web");
    // The report's own sheet shows it above the table too.
    assert!(xlsx_sheet(&file.bytes, "报表").contains(&format!("导出人 {shown}（scjg.staff）")));
}

#[test]
fn directory_exports_and_error_reports_carry_the_watermark_and_csv_reimports() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let shown = "系统管理员";

    // XLSX export.
    let page = admin.post_form(
        "/directories/export",
        &[("kind", "items"), ("format", "xlsx")],
    );
    let outcome = finished_job(&mut admin, &page);
    let xlsx = admin.get(&file_link(&outcome));
    assert_eq!(xlsx.status, 200);
    assert_xlsx_watermark(&xlsx.bytes, "admin", shown);

    // CSV export: a first `#` line names the user, the time and the tag …
    let page = admin.post_form(
        "/directories/export",
        &[("kind", "items"), ("format", "csv")],
    );
    let outcome = finished_job(&mut admin, &page);
    let csv = admin.get(&file_link(&outcome));
    let first = csv.body.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("\u{feff}# 水印 导出人 系统管理员（admin） 时间 20"),
        "{first}"
    );
    assert!(watermark::csv_line_tag(first).is_some(), "{first}");
    assert!(
        csv.body
            .lines()
            .nth(1)
            .unwrap_or_default()
            .starts_with("事项编码,")
    );
    let items = csv.body.lines().count() - 2;

    // … and the file re-imports unchanged: every row unchanged, none rejected.
    let path = format!("/directories/import?csrf={}", admin.csrf);
    let page = admin.post_multipart(
        &path,
        &[("kind", "items")],
        ("file", "items.csv", &csv.bytes),
    );
    let outcome = finished_job(&mut admin, &page);
    assert!(
        outcome.contains(&format!(
            "导入 0 行（新增 0，更新 0，未变 {items}），拒绝 0 行"
        )),
        "{outcome}"
    );

    // The error report of an import.
    let bad = "事项编码,抽查类别,抽查事项,检查依据,实施主体,检查对象,检查方式,抽查比例,抽查频次\nX-1,食品,名称,依据,NOPE,对象,实地检查,5%,每年1次\n";
    let page = admin.post_multipart(
        &path,
        &[("kind", "items")],
        ("file", "bad.csv", bad.as_bytes()),
    );
    let outcome = finished_job(&mut admin, &page);
    let report = admin.get(&file_link(&outcome));
    assert_eq!(report.status, 200);
    assert_xlsx_watermark(&report.bytes, "admin", shown);
}

#[test]
fn command_line_exports_name_the_system_user() {
    let server = TestServer::start();
    let dir = server
        .database
        .parent()
        .unwrap_or_else(|| panic!("no folder"));
    let run = |out: &std::path::Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
            .args(["export", "items", "--out"])
            .arg(out)
            .arg("--database")
            .arg(&server.database)
            .env("USER", "cli-tester")
            .env_remove("JIANGUAN_DATABASE")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let xlsx = dir.join("items.xlsx");
    run(&xlsx);
    let bytes = std::fs::read(&xlsx).unwrap_or_else(|e| panic!("{e}"));
    let marker = assert_xlsx_watermark(&bytes, "cli-tester", "cli-tester（命令行 cli）");
    assert_eq!(marker.channel, "cli");
    let csv = dir.join("items.csv");
    run(&csv);
    let text = std::fs::read_to_string(&csv).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text.starts_with("\u{feff}# 水印 导出人 cli-tester（命令行 cli）"),
        "{}",
        encode(&text[..80])
    );
}
