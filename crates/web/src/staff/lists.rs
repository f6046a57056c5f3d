//! The pager under every long list and the export buttons beside it (the
//! export itself: [`super::list_export`]).

use askama::Template;

use crate::ops::lists::{Filters, PER_PAGE};

/// The pager under a list: the count, this page of all, and links to the
/// first, previous, next and last pages that keep the filters. Render with
/// `|safe` (every part is escaped by the template).
#[derive(Template, Debug, Clone)]
#[template(
    ext = "html",
    source = r#"<nav class="pager" aria-label="分页"><span>共 {{ total }} 条</span>{% if page > 1 %}<a href="{{ first }}" rel="first">首页</a><a href="{{ previous }}" rel="prev">← 上一页</a>{% endif %}<span>第 {{ page }} / {{ pages }} 页</span>{% if page < pages %}<a href="{{ next }}" rel="next">下一页 →</a><a href="{{ last }}" rel="last">末页</a>{% endif %}</nav>"#
)]
pub(crate) struct Pager {
    /// This page, from 1.
    pub page: u64,
    /// Pages in all (at least 1).
    pub pages: u64,
    /// Rows in all.
    pub total: u64,
    first: String,
    previous: String,
    next: String,
    last: String,
}

impl Pager {
    /// The pager of page `page` of `total` rows at `path` with `filters`.
    pub(crate) fn new(path: &str, filters: &Filters, page: u64, total: u64) -> Self {
        let pages = total.div_ceil(u64::from(PER_PAGE)).max(1);
        let link = |page: u64| filters.clone().with("page", &page.to_string()).href(path);
        Self {
            page,
            pages,
            total,
            first: link(1),
            previous: link(page.saturating_sub(1).max(1)),
            next: link(page + 1),
            last: link(pages),
        }
    }
}

/// The two export buttons of a list, posting its filters to `action`.
/// Render with `|safe`.
#[derive(Template, Debug, Clone)]
#[template(
    ext = "html",
    source = r#"<form class="export-form no-print" method="post" action="{{ action }}"><input type="hidden" name="csrf" value="{{ csrf }}">{% for (name, value) in fields %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}<span class="muted">导出当前筛选结果：</span><button type="submit" name="format" value="xlsx" class="secondary">导出 XLSX</button> <button type="submit" name="format" value="csv" class="secondary">导出 CSV</button></form>"#
)]
pub(crate) struct ExportForm {
    action: String,
    csrf: String,
    fields: Vec<(&'static str, String)>,
}

impl ExportForm {
    /// The form posting `filters` to `action`.
    pub(crate) fn new(action: &str, csrf: &str, filters: &Filters) -> Self {
        Self {
            action: action.to_owned(),
            csrf: csrf.to_owned(),
            fields: filters.0.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters() {
        let filters = Filters::default()
            .with("q", "食品")
            .with("department", "SCJG");
        let pager = Pager::new("/rounds/2025-Q1/visits", &filters, 2, 101);
        assert_eq!(pager.pages, 3);
        let html = pager.render().unwrap_or_default();
        assert!(html.contains("rel=\"next\""), "{html}");
        assert!(html.contains("第 2 / 3 页"), "{html}");
        assert!(
            html.contains("href=\"/rounds/2025-Q1/visits?q=%E9%A3%9F%E5%93%81&#38;department=SCJG&#38;page=3\" rel=\"next\""),
            "{html}"
        );
    }
}
