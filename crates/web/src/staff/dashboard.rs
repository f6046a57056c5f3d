//! 工作台 (/dashboard): KPI tiles and ECharts charts of one year, for the
//! caller's department (departmental roles) or the whole city.
//!
//! The figures come from [`report::build`] (the year's report row) plus the
//! monthly draws and visits, and the directory's risk-class mix counted with
//! [`Store::count_entities`] (never loading the entities). They are cached per
//! (scope, year) while the ledger head stays the same, for at most
//! [`CACHE_TTL`] (directory imports do not touch the ledger; "today" moves).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::dashboard::{Figures, charts, figures_for, year_or_default};
use crate::pages::{Chrome, render};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/dashboard", get(index))
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
struct Index {
    chrome: Chrome,
    figures: Figures,
    charts: Vec<(&'static str, String)>,
    on_time_percent: f64,
    /// From 1 November: next year, when its holiday notice is not loaded.
    notice_missing: Option<i32>,
    /// The viewer may load it (system administrator).
    may_load_notice: bool,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<YearQuery>,
) -> Result<Response> {
    if state.city.get(&state.db).await?.is_none() {
        // First run: /setup lets the administrator choose the city and tells others to ask.
        return Ok(Redirect::to("/setup").into_response());
    }
    let year = year_or_default(&state, query.year).await?;
    let figures = figures_for(&state, user.account(), year).await?;
    let row = &figures.report;
    let published = row.published_on_time + row.published_late + row.overdue_unpublished;
    let on_time_percent = if published == 0 {
        0.0
    } else {
        (row.published_on_time as f64 * 1000.0 / published as f64).round() / 10.0
    };
    Ok(render(&Index {
        chrome: Chrome::staff(&user, "工作台", "/dashboard"),
        charts: charts(&figures),
        figures,
        on_time_percent,
        notice_missing: service::calendar::notice_due(
            &state.calendar.get(),
            domain::clock::now().date_naive(),
        ),
        may_load_notice: user
            .account()
            .may(domain::account::Permission::ManageAccounts),
    })?
    .into_response())
}
