//! Small text helpers of every layer: HTML escaping and URL encoding.

/// Minimal HTML escaping for text outside templates.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Percent-encodes a URL component.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Decodes a URL-encoded form value (`+` is a space).
pub fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Acronyms and terms a Chinese sentence may carry (they do not count as
/// English words): formats, standards and protocol names a clerk reads as is.
const ALLOWED_TERMS: &[&str] = &["Excel", "Chromium", "Chrome", "Edge", "Firefox", "Safari"];

/// The first run of English prose in `text`: three or more consecutive words
/// of ASCII letters (each with a lower-case letter; all-capital acronyms such
/// as USCC, JSON, CSV, XLSX, API and codes with digits or hyphens such as
/// `SCJG-003-1`, `SHA-256` are identifiers, not words) separated only by
/// spaces or `, . ; : ( )`. `None` when there is none.
pub fn english_prose(text: &str) -> Option<String> {
    let mut run: Vec<&str> = Vec::new();
    let mut longest: Option<String> = None;
    for token in text.split(|c: char| c.is_whitespace() || ",.;:()!?".contains(c)) {
        if token.is_empty() {
            continue;
        }
        let word = token.chars().all(|c| c.is_ascii_alphabetic())
            && token.chars().any(|c| c.is_ascii_lowercase())
            && !ALLOWED_TERMS.contains(&token);
        if word {
            run.push(token);
            if run.len() >= 3 && longest.is_none() {
                longest = Some(run.join(" "));
            }
        } else {
            run.clear();
        }
    }
    longest
}

/// The text a reader sees in an askama template: tags, attributes, template
/// tags (`{% %}`, `{{ }}`, `{# #}`), scripts, styles and `<code>` removed.
pub fn visible_template_text(template: &str) -> String {
    let mut text = template.to_owned();
    for (open, close) in [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<code", "</code>"),
        ("{#", "#}"),
        ("{%", "%}"),
        ("{{", "}}"),
        ("<", ">"),
    ] {
        text = cut_between(&text, open, close);
    }
    text.replace("&nbsp;", " ")
}

/// `text` with every `open … close` span replaced by a line break (so that the
/// words on either side do not join).
fn cut_between(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        out.push('\n');
        match rest[start + open.len()..].find(close) {
            Some(end) => rest = &rest[start + open.len() + end + close.len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod prose_tests {
    use super::*;

    #[test]
    fn english_prose_is_found_and_identifiers_are_not() {
        assert_eq!(
            english_prose("period_end: a plan runs within one calendar year"),
            Some("a plan runs".to_owned())
        );
        assert_eq!(english_prose("round 2026-Q1 already exists"), None);
        assert_eq!(
            english_prose("round 2026 already exists now"),
            Some("already exists now".to_owned())
        );
        assert_eq!(
            english_prose("检查事项 SCJG-003-1 的 USCC、SHA-256 与 JSON API"),
            None
        );
        assert_eq!(english_prose("用 Excel 打开 CSV 或 XLSX 文件"), None);
        assert_eq!(
            visible_template_text(r#"<p title="a b c d">中文 {{ x.y }} {% if a and b or c %}</p>"#)
                .trim(),
            "中文"
        );
    }
}
