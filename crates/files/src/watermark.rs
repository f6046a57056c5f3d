//! Watermarks (数据安全): every file the application writes for a person names
//! who it was made for and when, and every sensitive page shows the same.
//!
//! - XLSX ([`Watermark::save`]): a visible page header and footer on every
//!   sheet, a last sheet 导出信息, the author and comment of the document
//!   properties, and a hidden custom property [`PROPERTY`] holding the
//!   [`Marker`] as JSON (user, channel, time, title and a SHA-256 tag over them).
//! - CSV ([`Watermark::csv_line`]): a first line starting with `#`, which the
//!   importer skips ([`crate::table`]), so an export re-imports unchanged.
//! - Pages ([`Watermark::svg_data_uri`]): the text repeated diagonally as a
//!   background that does not take clicks.
//!
//! Web files name the account (`web`); command-line files name the operating
//! system user (`cli`). The tag is a checksum over the fields, so an edited
//! marker no longer matches ([`Marker::is_intact`]); it is not a signature.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use rust_xlsxwriter::{DocProperties, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

/// The name of the hidden custom document property.
pub const PROPERTY: &str = "jianguan-watermark";
/// The name of the visible sheet added last to every workbook.
pub const INFO_SHEET: &str = "导出信息";
/// The first characters of the CSV watermark line.
pub const CSV_PREFIX: &str = "# 水印";

/// Who a file or page is made for, through which channel, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// Login name (web) or operating-system user (CLI).
    pub user: String,
    /// The name shown beside the login name (web: the display name).
    pub display_name: String,
    /// `web` or `cli`.
    pub channel: &'static str,
    /// When the file was made (China time).
    pub at: DateTime<FixedOffset>,
    /// What the file is (report title, file name).
    pub title: String,
}

/// The hidden marker: the watermark's fields and a SHA-256 tag over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Login name or operating-system user.
    pub user: String,
    /// `web` or `cli`.
    pub channel: String,
    /// RFC 3339 time.
    pub at: String,
    /// What the file is.
    pub title: String,
    /// SHA-256 (hex) over the fields above.
    pub sha256: String,
}

impl Marker {
    fn tag(user: &str, channel: &str, at: &str, title: &str) -> String {
        let parts: [&[u8]; 9] = [
            PROPERTY.as_bytes(),
            b"\0",
            user.as_bytes(),
            b"\0",
            channel.as_bytes(),
            b"\0",
            at.as_bytes(),
            b"\0",
            title.as_bytes(),
        ];
        draw::to_hex(&draw::sha256(&parts))
    }

    /// Whether the tag still matches the fields.
    pub fn is_intact(&self) -> bool {
        self.sha256 == Self::tag(&self.user, &self.channel, &self.at, &self.title)
    }
}

impl Watermark {
    /// A file or page made through the web for `account`, now.
    pub fn web(account: &domain::account::Account, title: impl Into<String>) -> Self {
        Self {
            user: account.username.clone(),
            display_name: account.display_name.clone(),
            channel: "web",
            at: domain::clock::now(),
            title: title.into(),
        }
    }

    /// A file made on the command line by the operating-system user (`$USER`), now.
    pub fn cli(title: impl Into<String>) -> Self {
        let user = ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            display_name: user.clone(),
            user,
            channel: "cli",
            at: domain::clock::now(),
            title: title.into(),
        }
    }

    /// The time as shown: `2026-11-29 17:02:03`.
    pub fn time_text(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// Who, as shown: `张三（scjg.staff）` on the web, `alice（命令行）` on the CLI.
    pub fn who(&self) -> String {
        if self.channel == "cli" {
            format!("{}（命令行 cli）", self.user)
        } else if self.display_name.is_empty() || self.display_name == self.user {
            self.user.clone()
        } else {
            format!("{}（{}）", self.display_name, self.user)
        }
    }

    /// The visible text: `导出人 张三（scjg.staff） 2026-11-29 17:02:03`.
    pub fn text(&self) -> String {
        format!("{} {}", self.who(), self.time_text())
    }

    /// The hidden marker.
    pub fn marker(&self) -> Marker {
        let at = self.at.to_rfc3339();
        Marker {
            sha256: Marker::tag(&self.user, self.channel, &at, &self.title),
            user: self.user.clone(),
            channel: self.channel.to_owned(),
            at,
            title: self.title.clone(),
        }
    }

    /// The marker as one line of JSON.
    pub fn marker_json(&self) -> String {
        serde_json::to_string(&self.marker()).unwrap_or_default()
    }

    /// Marks `workbook` (see the module documentation) and saves it to `path`:
    /// the one way the application saves a workbook it made for someone.
    pub fn save(&self, workbook: &mut Workbook, path: &Path) -> Result<(), XlsxError> {
        self.apply(workbook)?;
        workbook.save(path)
    }

    /// Marks `workbook`: header and footer on every sheet, the sheet
    /// [`INFO_SHEET`], the document properties and the hidden marker.
    pub fn apply(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let who = header_text(&self.who());
        let header = format!(
            "&L监管平台 · 内部资料 · 严禁外传&R导出人 {who} {}",
            self.time_text()
        );
        let footer = format!(
            "&L水印 {who} {} · {}&R第 &P 页，共 &N 页",
            self.time_text(),
            &self.marker().sha256[..16]
        );
        for sheet in workbook.worksheets_mut() {
            sheet.set_header(&header);
            sheet.set_footer(&footer);
        }
        let marker = self.marker();
        let info = workbook.add_worksheet();
        info.set_name(INFO_SHEET)?;
        info.set_header(&header);
        info.set_footer(&footer);
        info.set_column_width(0, 14)?;
        info.set_column_width(1, 80)?;
        let rows = [
            ("导出人", self.who()),
            ("导出时间", self.time_text()),
            ("导出方式", self.channel.to_owned()),
            ("文件", self.title.clone()),
            ("水印校验码", marker.sha256.clone()),
            (
                "说明",
                "本文件含导出人水印，仅限工作使用，严禁外传。".to_owned(),
            ),
        ];
        for (row, (label, value)) in (0u32..).zip(rows) {
            info.write_string(row, 0, label)?;
            info.write_string(row, 1, value)?;
        }
        let properties = DocProperties::new()
            .set_title(&self.title)
            .set_author(&self.user)
            .set_comment(format!("导出人 {}", self.text()))
            .set_custom_property(PROPERTY, self.marker_json());
        workbook.set_properties(&properties);
        Ok(())
    }

    /// The CSV watermark line (without the line end): `# 水印 …` and the
    /// marker, with no comma or quote so it stays one cell.
    pub fn csv_line(&self) -> String {
        let clean = |text: String| {
            text.chars()
                .map(|c| match c {
                    ',' => '，',
                    '"' => '“',
                    c if c.is_control() => ' ',
                    c => c,
                })
                .collect::<String>()
        };
        let marker = self.marker();
        clean(format!(
            "{CSV_PREFIX} 导出人 {} 时间 {} 方式 {} 校验码 {}",
            self.who(),
            self.time_text(),
            self.channel,
            marker.sha256
        ))
    }

    /// The page watermark: an SVG tile with the text turned 24° as a
    /// `data:` URI, for a CSS `background-image`.
    pub fn svg_data_uri(&self) -> String {
        let text = xml_escape(&self.text());
        let svg = format!(
            "<svg xmlns='http://www.w3.org/2000/svg' width='420' height='240'>\
             <text x='30' y='150' transform='rotate(-24 210 120)' fill='#1f2937' fill-opacity='0.10' \
             font-size='16' font-family='sans-serif'>{text}</text></svg>"
        );
        let encoded: String = svg
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z'
                | b'a'..=b'z'
                | b'0'..=b'9'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
                | b'/'
                | b':'
                | b'='
                | b' ' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("data:image/svg+xml,{encoded}")
    }
}

/// Text for an XLSX header: `&` doubled, at most 60 characters.
fn header_text(text: &str) -> String {
    text.chars().take(60).collect::<String>().replace('&', "&&")
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

/// Finds the marker in the text of an XLSX part (`docProps/custom.xml`).
pub fn marker_in_xml(xml: &str) -> Option<Marker> {
    let start = xml.find(PROPERTY)?;
    let rest = &xml[start..];
    let open = rest.find("<vt:lpwstr>")? + "<vt:lpwstr>".len();
    let close = rest[open..].find("</vt:lpwstr>")?;
    let json = rest[open..open + close]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    serde_json::from_str(&json).ok()
}

/// Finds the marker in a CSV watermark line.
pub fn csv_line_tag(line: &str) -> Option<&str> {
    let line = line.trim_start_matches('\u{feff}');
    if !line.starts_with(CSV_PREFIX) {
        return None;
    }
    line.rsplit(' ').next().filter(|tag| tag.len() == 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Watermark {
        Watermark {
            user: "scjg.staff".into(),
            display_name: "张三".into(),
            channel: "web",
            at: chrono::DateTime::parse_from_rfc3339("2026-11-29T17:02:03+08:00").unwrap(),
            title: "报表".into(),
        }
    }

    #[test]
    fn the_marker_is_tagged_and_an_edit_breaks_it() {
        let mut marker = sample().marker();
        assert!(marker.is_intact());
        assert_eq!(marker.at, "2026-11-29T17:02:03+08:00");
        marker.user = "someone.else".into();
        assert!(!marker.is_intact());
    }

    #[test]
    fn the_csv_line_is_one_cell() {
        let mut mark = sample();
        mark.display_name = "张,\"三\n".into();
        let line = mark.csv_line();
        assert!(line.starts_with(CSV_PREFIX));
        assert!(!line.contains([',', '"', '\n']), "{line}");
        assert_eq!(csv_line_tag(&line), Some(mark.marker().sha256.as_str()));
    }

    #[test]
    fn headers_escape_ampersands() {
        assert_eq!(header_text("a&b"), "a&&b");
    }

    #[test]
    fn the_page_tile_names_the_user() {
        let uri = sample().svg_data_uri();
        assert!(uri.starts_with("data:image/svg+xml,"));
        assert!(uri.contains("scjg.staff"));
        assert!(!uri.contains(['<', '"', '#']));
    }
}
