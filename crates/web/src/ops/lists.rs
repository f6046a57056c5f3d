//! What every long list shares: its filters (kept by page links and exports)
//! and the page asked for. The pager and the export form are in
//! `staff::lists`.

use crate::text::url_encode;

/// Rows a list page shows.
pub(crate) const PER_PAGE: u32 = 50;

/// The filters of a list as `(name, value)`, empty values left out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters(pub Vec<(&'static str, String)>);

impl Filters {
    /// Adds `name=value` when the value is not empty.
    pub fn with(mut self, name: &'static str, value: &str) -> Self {
        let value = value.trim();
        if !value.is_empty() {
            self.0.push((name, value.to_owned()));
        }
        self
    }

    /// The filters as a query string, without `?`.
    pub fn query(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={}", url_encode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `path` with the filters.
    pub fn href(&self, path: &str) -> String {
        match self.query() {
            q if q.is_empty() => path.to_owned(),
            q => format!("{path}?{q}"),
        }
    }
}

/// The page number asked for (from 1; anything else is 1).
pub(crate) fn page_number(asked: Option<u64>) -> u64 {
    asked.unwrap_or(1).max(1)
}

/// Rows skipped before page `page` (from 1).
pub(crate) fn offset(page: u64) -> u64 {
    (page - 1).saturating_mul(u64::from(PER_PAGE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_leave_out_empty_values_and_encode_the_rest() {
        let filters = Filters::default()
            .with("q", "黄石 食品&")
            .with("plan", "")
            .with("department", "SCJG");
        assert_eq!(
            filters.href("/rounds/2025-Q1/visits"),
            "/rounds/2025-Q1/visits?q=%E9%BB%84%E7%9F%B3%20%E9%A3%9F%E5%93%81%26&department=SCJG"
        );
        assert_eq!(Filters::default().href("/plans"), "/plans");
        assert_eq!(offset(3), 100);
        assert_eq!(page_number(Some(0)), 1);
    }
}
