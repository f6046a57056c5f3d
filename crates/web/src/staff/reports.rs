//! 统计报表 (/reports): the monthly, quarterly and annual bulletins, shown as a
//! table and downloaded as XLSX ([`report::build`], [`report::write_xlsx`]).
//! Needs [`Permission::DownloadReports`]; departmental roles get their own
//! department's report, the others the city's or any department's.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use axum::routing::get;
use chrono::Datelike;

use super::directories::{Downloads, attachment};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::reports::{ReportQuery, report_for};
use crate::pages::{Chrome, render};
use domain::account::Permission;
use files::watermark::Watermark;
use service::report::{self, Report};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/reports", get(index))
        .route("/reports/download", get(download))
}

#[derive(Template)]
#[template(path = "staff/reports.html")]
struct Index {
    chrome: Chrome,
    report: Report,
    kind: String,
    year: i32,
    period: u32,
    department: String,
    departments: Vec<(String, String)>,
    download_href: String,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(mut query): Query<ReportQuery>,
) -> Result<Html<String>> {
    user.require(Permission::DownloadReports)?;
    if query.year.is_none() {
        query.year = Some(crate::ops::dashboard::default_year(&state).await?);
    }
    let built = report_for(&state, user.account(), &query).await?;
    let department = query.department(user.account())?.unwrap_or_default();
    let departments = if user.account().reads_all() {
        crate::pages::department_options(&state).await?
    } else {
        Vec::new()
    };
    let kind = built.kind.clone();
    let year = built.start.year();
    let period = query.period.unwrap_or(1);
    render(&Index {
        chrome: Chrome::staff(&user, "统计报表", "/reports"),
        download_href: format!(
            "/reports/download?kind={kind}&year={year}&period={period}&department={}",
            crate::pages::url_encode(&department)
        ),
        report: built,
        kind,
        year,
        period,
        department,
        departments,
    })
}

async fn download(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let built = report_for(&state, user.account(), &query).await?;
    let path = Downloads::new_path("xlsx")?;
    let watermark = Watermark::web(user.account(), built.title.clone());
    let written = report::write_xlsx(&built, &path, &watermark).map_err(Error::internal);
    let bytes = written.and_then(|()| std::fs::read(&path).map_err(Error::internal));
    let _ = std::fs::remove_file(&path);
    let scope = built.rows.first().map_or("全市", |r| r.name.as_str());
    attachment(bytes?, &format!("{}-{scope}.xlsx", built.title))
}
