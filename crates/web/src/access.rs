//! Every form field of every template has a label: a `<label for>`, an
//! enclosing `<label>`, or `aria-label`/`aria-labelledby` (docs/web.md, "Access").

use std::path::{Path, PathBuf};

/// The fields of `source` without a label, as (line, tag).
fn unlabelled(source: &str) -> Vec<(usize, String)> {
    let mut missing = Vec::new();
    let mut rest = 0;
    while let Some(found) = next_field(&source[rest..]) {
        let start = rest + found;
        let end = source[start..]
            .find('>')
            .map_or(source.len(), |e| start + e + 1);
        let tag = &source[start..end];
        rest = end;
        let kind = attribute(tag, "type").unwrap_or("text");
        if matches!(kind, "hidden" | "submit" | "button" | "reset" | "image")
            || tag.contains("aria-label=")
            || tag.contains("aria-labelledby=")
        {
            continue;
        }
        let labelled_for =
            attribute(tag, "id").is_some_and(|id| source.contains(&format!("for=\"{id}\"")));
        let before = &source[..start];
        let enclosed = before.rfind("<label") > before.rfind("</label>");
        if !labelled_for && !enclosed {
            let line = before.matches('\n').count() + 1;
            missing.push((line, tag.chars().take(120).collect()));
        }
    }
    missing
}

/// Where the next `<input`, `<textarea` or `<select` starts.
fn next_field(source: &str) -> Option<usize> {
    ["<input", "<textarea", "<select"]
        .iter()
        .filter_map(|open| {
            source.match_indices(open).find_map(|(at, _)| {
                let after = source[at + open.len()..].chars().next();
                after
                    .is_some_and(|c| c.is_whitespace() || c == '>')
                    .then_some(at)
            })
        })
        .min()
}

/// The value of `name="…"` in a tag.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

fn templates(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            templates(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
    Ok(())
}

#[test]
fn every_template_field_has_a_label() -> std::io::Result<()> {
    let mut files = Vec::new();
    templates(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &mut files,
    )?;
    assert!(
        files.len() > 40,
        "the templates were found: {}",
        files.len()
    );
    let mut missing = Vec::new();
    for file in &files {
        for (line, tag) in unlabelled(&std::fs::read_to_string(file)?) {
            missing.push(format!("{}:{line}: {tag}", file.display()));
        }
    }
    assert!(
        missing.is_empty(),
        "fields without a label:\n{}",
        missing.join("\n")
    );
    Ok(())
}

#[test]
fn the_check_finds_an_unlabelled_field_and_accepts_labelled_ones() {
    let page = "<label for=\"a\">甲</label><input id=\"a\" name=\"a\">\n\
                <label>乙 <select name=\"b\"></select></label>\n\
                <input type=\"hidden\" name=\"csrf\"><input aria-label=\"丙\" name=\"c\">\n\
                <textarea name=\"d\"></textarea>";
    let missing = unlabelled(page);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].0, 4);
    assert!(missing[0].1.starts_with("<textarea"));
}
