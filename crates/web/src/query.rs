//! Query strings shared by pages and API: searches and page numbers.

use serde::Deserialize;

/// The results search's query.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    /// Entity name or 统一社会信用代码.
    #[serde(default)]
    pub q: String,
    /// Page, from 1 (anything else: the first page).
    pub page: Option<String>,
}

/// A page number as typed in a URL; the first page when absent or not a number.
pub fn page_number(text: Option<&str>) -> usize {
    text.and_then(|t| t.trim().parse().ok()).unwrap_or(1)
}

/// A filter value as typed: `None` when absent or blank.
pub fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}
