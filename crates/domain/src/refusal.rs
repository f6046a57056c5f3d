//! Refusals with a stable code and a message in each language.
//!
//! A [`Refusal`] is built where a step is refused, from the same values in
//! English (the CLI's `Display`) and in Chinese (pages, API, reports), with a
//! snake_case [`Refusal::code`] clients can rely on. `service::WorkflowError`
//! gives every error the same three: `code()`, `message_zh()` and `field()`.

use std::fmt;

/// Why a step was refused in the record's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    code: &'static str,
    english: String,
    chinese: String,
    field: Option<&'static str>,
}

impl Refusal {
    /// A refusal with its stable `code`, e.g. `round_exists`.
    pub fn new(code: &'static str, english: impl Into<String>, chinese: impl Into<String>) -> Self {
        Self {
            code,
            english: english.into(),
            chinese: chinese.into(),
            field: None,
        }
    }

    /// The same refusal, naming the form field it is about.
    #[must_use]
    pub fn on(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message in English, for the CLI.
    pub fn english(&self) -> &str {
        &self.english
    }

    /// The message in Chinese, for pages, the API and reports.
    pub fn chinese(&self) -> &str {
        &self.chinese
    }

    /// The form field the refusal is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        self.field
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english)
    }
}

/// Reads as the English message, so callers that searched the old message
/// text (`message.contains(…)`) keep working.
impl std::ops::Deref for Refusal {
    type Target = str;

    fn deref(&self) -> &str {
        &self.english
    }
}

/// A refusal known only by an English sentence (tests, the simulator):
/// code `refused`, and a Chinese message that says only that it was refused.
impl From<String> for Refusal {
    fn from(english: String) -> Self {
        Self::new("refused", english, "操作未执行：当前状态不允许此操作")
    }
}

impl From<&str> for Refusal {
    fn from(english: &str) -> Self {
        Self::from(english.to_owned())
    }
}
