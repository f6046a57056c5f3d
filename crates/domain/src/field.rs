//! The error every directory type returns when a field is invalid, and the text
//! checks they share.
//!
//! Importers report rejected rows by column: [`InvalidField::field`] is the
//! stable English name of the field (the same name as the storage column where
//! there is one), so an importer maps it back to the header it read.

use std::borrow::Cow;

/// A field that failed validation: which field, the offending value, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason} (got {value:?})")]
pub struct InvalidField {
    /// The field's English name, e.g. `name`, `district`, `cert_valid_until`.
    pub field: &'static str,
    /// The value as given (shortened to 100 characters).
    pub value: String,
    /// What is wrong with it.
    pub reason: Cow<'static, str>,
}

impl InvalidField {
    /// An error for `field` holding `value`.
    pub fn new(
        field: &'static str,
        value: impl AsRef<str>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        let value: String = value.as_ref().chars().take(100).collect();
        Self {
            field,
            value,
            reason: reason.into(),
        }
    }
}

/// Trims `value` and checks it is a non-empty single line of at most `max_chars`
/// characters without control characters.
pub(crate) fn required_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, InvalidField> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidField::new(field, value, "must not be empty"));
    }
    check_line(field, trimmed, max_chars)?;
    Ok(trimmed.to_owned())
}

/// Like [`required_text`], but an empty or blank value is `None`.
pub(crate) fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, InvalidField> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(trimmed) => {
            check_line(field, trimmed, max_chars)?;
            Ok(Some(trimmed.to_owned()))
        }
    }
}

/// Validates each label with [`required_text`], then sorts and removes duplicates.
pub(crate) fn label_set(
    field: &'static str,
    labels: &[String],
    max_chars: usize,
) -> Result<Vec<String>, InvalidField> {
    let mut out = labels
        .iter()
        .map(|label| required_text(field, label, max_chars))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

fn check_line(field: &'static str, text: &str, max_chars: usize) -> Result<(), InvalidField> {
    let count = text.chars().count();
    if count > max_chars {
        return Err(InvalidField::new(
            field,
            text,
            format!("at most {max_chars} characters; got {count}"),
        ));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(InvalidField::new(
            field,
            text,
            format!("contains the control character {c:?}"),
        ));
    }
    Ok(())
}

/// Checks a code of 1–`max` ASCII letters, digits, `-`, `_` or `.`; returns it trimmed.
pub(crate) fn ascii_code(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, InvalidField> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidField::new(field, value, "must not be empty"));
    }
    if trimmed.len() > max {
        return Err(InvalidField::new(
            field,
            value,
            format!("at most {max} characters"),
        ));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(InvalidField::new(
            field,
            value,
            format!(
                "character {c:?} is not allowed (ASCII letters, digits, '-', '_' and '.' only)"
            ),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_checked() {
        assert_eq!(
            required_text("name", "  黄石市某某公司 ", 10),
            Ok("黄石市某某公司".to_owned())
        );
        assert_eq!(
            required_text("name", "   ", 10).map_err(|e| e.field),
            Err("name")
        );
        assert!(required_text("name", "a\u{7}b", 10).is_err());
        assert!(required_text("name", "一二三四五六七八九十一", 10).is_err());
        assert_eq!(optional_text("address", Some("  "), 10), Ok(None));
        assert_eq!(optional_text("address", None, 10), Ok(None));
    }

    #[test]
    fn labels_are_sorted_and_unique() {
        let labels = vec!["食品".to_owned(), " 特种设备".to_owned(), "食品".to_owned()];
        assert_eq!(
            label_set("tags", &labels, 10),
            Ok(vec!["特种设备".to_owned(), "食品".to_owned()])
        );
    }

    #[test]
    fn codes_are_ascii() {
        assert_eq!(ascii_code("code", " SC-01 ", 8), Ok("SC-01".to_owned()));
        assert!(ascii_code("code", "市场", 8).is_err());
        assert!(ascii_code("code", "123456789", 8).is_err());
    }
}
