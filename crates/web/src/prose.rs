//! No English sentence reaches a staff page or an error a page shows: every
//! template and every workflow and field error's Chinese message is checked
//! with [`crate::text::english_prose`]. A new error variant joins its type's
//! `examples()`, so one without Chinese fails here.

use std::path::{Path, PathBuf};

use crate::text::{english_prose, visible_template_text};

fn templates(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            templates(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

#[test]
fn no_template_carries_english_prose() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut files = Vec::new();
    templates(&root, &mut files);
    assert!(files.len() > 20, "templates found: {}", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if let Some(prose) = english_prose(&visible_template_text(&text)) {
            found.push(format!("{}: {prose:?}", file.display()));
        }
    }
    assert!(found.is_empty(), "English prose:\n{}", found.join("\n"));
}

#[test]
fn every_workflow_and_field_error_has_a_chinese_message() {
    let mut found = Vec::new();
    for error in service::WorkflowError::examples() {
        let message = error.message_zh();
        let code = error.code();
        assert!(
            !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "code {code:?} is snake_case"
        );
        assert_ne!(
            code, "refused",
            "{error}: a page error carries its own code"
        );
        if let Some(prose) = english_prose(&message) {
            found.push(format!("{code}: {message} ({prose:?})"));
        }
        if !message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        {
            found.push(format!("{code}: {message} (no Chinese)"));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn page_errors_answer_with_the_chinese_message_and_code() {
    let error = crate::error::Error::from(service::WorkflowError::examples().remove(0));
    assert_eq!(error.code(), "not_found");
    assert!(english_prose(&error.to_string()).is_none(), "{error}");
}
