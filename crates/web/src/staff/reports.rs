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
use serde::Deserialize;

use super::directories::{Downloads, attachment};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render};
use domain::account::{Account, Permission};
use files::watermark::Watermark;
use service::report::{self, Period, Report};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/reports", get(index))
        .route("/reports/download", get(download))
}

/// Which report: `kind` monthly, quarterly or annual; the year; the month
/// or quarter; a department (city-wide roles only; default the city).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportQuery {
    /// `monthly`, `quarterly` or `annual` (default).
    pub kind: Option<String>,
    /// Year (default: last year's report early in the year, else this year).
    pub year: Option<i32>,
    /// Month 1–12 or quarter 1–4.
    pub period: Option<u32>,
    /// Department code; empty for the city.
    pub department: Option<String>,
}

impl ReportQuery {
    /// The period asked for.
    pub fn period(&self) -> Result<Period> {
        let year = self.year.unwrap_or_else(|| domain::clock::now().year());
        let number = self.period.unwrap_or(1);
        match self.kind.as_deref().unwrap_or("annual") {
            "monthly" => Ok(Period::Month(year, number)),
            "quarterly" => Ok(Period::Quarter(year, number)),
            "annual" => Ok(Period::Year(year)),
            other => Err(Error::BadRequest(format!(
                "报表类型 {other} 无效，应为 monthly、quarterly 或 annual"
            ))),
        }
    }

    /// The department the report is about (`None`: the city), as `account` may ask.
    pub fn department(&self, account: &Account) -> Result<Option<String>> {
        let asked = self
            .department
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        if account.reads_all() {
            return Ok(asked.map(str::to_owned));
        }
        let own = account.department.clone().ok_or(Error::Forbidden)?;
        match asked {
            Some(code) if code != own => Err(Error::Forbidden),
            _ => Ok(Some(own)),
        }
    }
}

/// The report `account` asked for, after the permission check.
pub async fn report_for(
    state: &AppState,
    account: &Account,
    query: &ReportQuery,
) -> Result<Report> {
    if !account.may(Permission::DownloadReports) {
        return Err(Error::Forbidden);
    }
    let period = query.period()?;
    let department = query.department(account)?;
    let today = domain::clock::now().date_naive();
    Ok(report::build(&state.db, period, department.as_deref(), today).await?)
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
        query.year = Some(super::dashboard::default_year(&state).await?);
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
