//! Statistical reports as the staff pages and the API both ask for them.

use chrono::Datelike;
use serde::Deserialize;

use crate::AppState;
use crate::error::{Error, Result};
use domain::account::{Account, Permission};
use service::report::{self, Period, Report};

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
