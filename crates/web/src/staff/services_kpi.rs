//! 政务服务办件考核指标 (/services/kpi): the six figures of issue 21 for a
//! period and a department (`service::services::kpi`, the same counts as
//! `jianguan services kpi --json`), with ECharts and an XLSX download.
//!
//! Who sees what: accounts that download reports ([`Permission::DownloadReports`]);
//! a city-wide reader any department or the whole city, a departmental
//! account its own department only.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use serde_json::json;

use super::directories::{Downloads, attachment};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::hotline::{KpiParams, date};
use crate::pages::{Chrome, department_options, render, url_encode};
use crate::query::present;
use domain::account::{Account, Permission};
use domain::services::{Rate, ServiceKpiCounts};
use files::watermark::Watermark;
use service::services::{self as flow, ServiceKpiQuery};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/services/kpi", get(kpi_page))
        .route("/services/kpi/download", get(kpi_download))
}

/// The department `account` may ask about: any (or the city) for a
/// city-wide reader, its own for a departmental account.
fn scoped_department(account: &Account, asked: &Option<String>) -> Result<Option<String>> {
    if !account.may(Permission::DownloadReports) {
        return Err(Error::Forbidden);
    }
    let asked = present(asked).map(str::to_owned);
    if account.reads_all() {
        return Ok(asked);
    }
    let own = account.department.clone().ok_or(Error::Forbidden)?;
    match asked {
        Some(code) if code != own => Err(Error::Forbidden),
        _ => Ok(Some(own)),
    }
}

fn query_of(account: &Account, params: &KpiParams) -> Result<ServiceKpiQuery> {
    let department = scoped_department(account, &params.department)?;
    let today = domain::clock::today();
    let typed = |field: &str, text: &Option<String>, default: NaiveDate| match present(text) {
        Some(text) => date(field, text),
        None => Ok(default),
    };
    let from = typed(
        "开始日期",
        &params.from,
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    )?;
    let to = typed("结束日期", &params.to, today)?;
    if to < from {
        return Err(Error::BadRequest(format!(
            "结束日期 {to} 早于开始日期 {from}"
        )));
    }
    let as_of = match present(&params.as_of) {
        Some(text) => domain::hotline::parse_time("as_of", text)?,
        None => service::now(),
    };
    Ok(ServiceKpiQuery {
        from,
        to,
        department,
        as_of,
    })
}

/// A rate as the page shows it: a percentage with one decimal, `—` when empty.
fn shown(num: u64, den: u64) -> String {
    Rate::of(num, den).map_or_else(
        || "—".to_owned(),
        |rate| format!("{:.1}%", rate.units as f64 / 100.0),
    )
}

#[derive(Template)]
#[template(path = "staff/services_kpi.html")]
struct KpiPage {
    chrome: Chrome,
    query: ServiceKpiQuery,
    counts: ServiceKpiCounts,
    on_time_rate: String,
    one_window_share: String,
    good_rate: String,
    rectified_on_time_rate: String,
    charts: Vec<(&'static str, String)>,
    department: String,
    department_options: Vec<(String, String)>,
    scoped: bool,
    query_string: String,
}

/// The ECharts options: the four rates, and the applications by outcome.
fn charts(counts: &ServiceKpiCounts) -> Vec<(&'static str, String)> {
    let percent = |num: u64, den: u64| {
        Rate::of(num, den).map_or(serde_json::Value::Null, |r| json!(r.units as f64 / 100.0))
    };
    let c = counts;
    let rates = json!({
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 50, "right": 20, "bottom": 40, "containLabel": true},
        "xAxis": {"type": "category", "data": ["按时办结率", "一窗受理占比", "好评率", "差评按时整改率"]},
        "yAxis": {"type": "value", "name": "%", "max": 100},
        "series": [{"name": "比率", "type": "bar", "data": [
            percent(c.closed_on_time, c.timed),
            percent(c.one_window, c.applications),
            percent(c.good, c.rated),
            percent(c.rectified_on_time, c.rectify_counted)
        ]}]
    });
    let reviews = json!({
        "tooltip": {"trigger": "item"},
        "series": [{"name": "评价", "type": "pie", "radius": "60%", "data": [
            {"name": "好评（非常满意、满意、基本满意）", "value": c.good},
            {"name": "差评（不满意、非常不满意）", "value": c.bad}
        ]}]
    });
    vec![
        ("考核比率（%）", rates.to_string()),
        ("好差评", reviews.to_string()),
    ]
}

async fn kpi_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(params): Query<KpiParams>,
) -> Result<Html<String>> {
    let account = user.account();
    let query = query_of(account, &params)?;
    let counts = flow::kpi_counts(&state.db, &query).await?;
    let c = &counts;
    let department = query.department.clone().unwrap_or_default();
    let query_string = format!(
        "from={}&to={}&department={}&as_of={}",
        query.from,
        query.to,
        url_encode(&department),
        url_encode(&domain::hotline::stored_time(query.as_of)),
    );
    render(&KpiPage {
        chrome: Chrome::staff(&user, "政务服务考核指标", "/services/kpi"),
        on_time_rate: shown(c.closed_on_time, c.timed),
        one_window_share: shown(c.one_window, c.applications),
        good_rate: shown(c.good, c.rated),
        rectified_on_time_rate: shown(c.rectified_on_time, c.rectify_counted),
        charts: charts(c),
        department_options: if account.reads_all() {
            department_options(&state).await?
        } else {
            Vec::new()
        },
        scoped: !account.reads_all(),
        department,
        query_string,
        query,
        counts,
    })
}

async fn kpi_download(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(params): Query<KpiParams>,
) -> Result<Response> {
    let account = user.account();
    let query = query_of(account, &params)?;
    let counts = flow::kpi_counts(&state.db, &query).await?;
    let scope_name = query.department.as_deref().unwrap_or("全市");
    let title = format!("政务服务办件考核指标 {} 至 {}", query.from, query.to);
    let watermark = Watermark::web(account, title);
    let path = Downloads::new_path("xlsx")?;
    let written = flow::kpi_xlsx(&query, &counts, &watermark, &path).map_err(Error::internal);
    let bytes = written.and_then(|()| std::fs::read(&path).map_err(Error::internal));
    let _ = std::fs::remove_file(&path);
    attachment(
        bytes?,
        &format!(
            "政务服务办件考核指标-{scope_name}-{}-{}.xlsx",
            query.from, query.to
        ),
    )
}
