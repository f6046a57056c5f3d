//! 行政执法统计年报 (/justice/annual): the Justice Bureau's annual report
//! ([`annual::build`]), shown as a table and downloaded as XLSX with a notes
//! sheet. A department's staff see only their own line; the Justice Bureau
//! (and whoever reads all) sees every department and the city.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use axum::routing::get;
use chrono::Datelike;
use serde::Deserialize;

use super::directories::{Downloads, attachment};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render};
use crate::staff::cases::scope;
use domain::enforcement::CaseRules;
use domain::review_scoring::Thresholds;
use files::watermark::Watermark;
use service::annual::{self, AnnualReport};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/justice/annual", get(index))
        .route("/justice/annual/download", get(download))
}

/// The page's query: the year (default: last year).
#[derive(Debug, Default, Deserialize)]
pub struct AnnualQuery {
    #[serde(default)]
    year: Option<String>,
}

impl AnnualQuery {
    fn year(&self) -> Result<i32> {
        match self
            .year
            .as_deref()
            .map(str::trim)
            .filter(|y| !y.is_empty())
        {
            None => Ok(domain::clock::today().year() - 1),
            Some(text) => text
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| {
                    Error::BadRequest("年度须在 2000 至 2100 之间".to_owned()).on("year")
                }),
        }
    }
}

async fn report_for(state: &AppState, user: &User, year: i32) -> Result<AnnualReport> {
    let calendar = state.calendar.get();
    let report = annual::build(
        &state.db,
        year,
        &CaseRules::default(),
        &Thresholds::default(),
        &*calendar,
        domain::clock::today(),
    )
    .await?;
    Ok(match scope(user.account()) {
        Some(own) => report.only(&own),
        None => report,
    })
}

#[derive(Template)]
#[template(path = "staff/justice_annual.html")]
struct Index {
    chrome: Chrome,
    year: i32,
    as_of: String,
    headers: Vec<String>,
    /// Each line's cells; the city line last (the Justice Bureau only).
    rows: Vec<Vec<String>>,
    notes: &'static [(&'static str, &'static str)],
    download_href: String,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<AnnualQuery>,
) -> Result<Html<String>> {
    let year = query.year()?;
    let sees_all = scope(user.account()).is_none();
    let report = report_for(&state, &user, year).await?;
    let mut rows: Vec<Vec<String>> = report.departments.iter().map(annual::row_cells).collect();
    if sees_all {
        rows.push(annual::row_cells(&report.city));
    }
    render(&Index {
        chrome: Chrome::staff(&user, "行政执法统计年报", "/reconsideration"),
        year,
        as_of: report.as_of.to_string(),
        headers: annual::headers(),
        rows,
        notes: annual::NOTES,
        download_href: format!("/justice/annual/download?year={year}"),
    })
}

async fn download(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<AnnualQuery>,
) -> Result<Response> {
    let year = query.year()?;
    let report = report_for(&state, &user, year).await?;
    let path = Downloads::new_path("xlsx")?;
    let title = format!("{year} 年度行政执法统计年报");
    let watermark = Watermark::web(user.account(), title.clone());
    let written = annual::write_xlsx(&report, &path, &watermark).map_err(Error::internal);
    let bytes = written.and_then(|()| std::fs::read(&path).map_err(Error::internal));
    let _ = std::fs::remove_file(&path);
    let scope = match scope(user.account()) {
        Some(_) => report.city.name.clone(),
        None => "全市".to_owned(),
    };
    attachment(bytes?, &format!("{title}-{scope}.xlsx"))
}
