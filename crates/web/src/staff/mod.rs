//! The staff pages, one module per section. Every handler takes [`super::auth::User`]
//! (login required) and asks it for the permission and department it needs.

pub mod accounts;
pub mod calendar;
pub mod case_entry;
pub mod cases;
pub mod credit;
pub mod credit_repair;
pub mod credit_risk;
pub mod dashboard;
pub mod departments;
pub mod directories;
pub mod hotline;
pub mod jobs;
pub mod justice;
pub mod ledger;
pub mod list_export;
pub mod lists;
pub mod plans;
pub mod reconsideration;
pub mod reports;
pub mod results;
pub mod review;
pub mod rounds;
pub mod services;
pub mod services_kpi;
pub mod setup;
pub mod supervision;
pub mod verification;

use std::sync::Arc;

use axum::Router;

use super::AppState;

/// Every staff page.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .merge(accounts::routes())
        .merge(calendar::routes())
        .merge(cases::routes())
        .merge(case_entry::routes())
        .merge(credit_repair::routes())
        .merge(credit::routes())
        .merge(credit_risk::routes())
        .merge(dashboard::routes())
        .merge(departments::routes())
        .merge(directories::routes())
        .merge(hotline::routes())
        .merge(ledger::routes())
        .merge(plans::routes())
        .merge(reconsideration::routes())
        .merge(reports::routes())
        .merge(justice::routes())
        .merge(results::routes())
        .merge(review::routes())
        .merge(rounds::routes())
        .merge(services::routes())
        .merge(services_kpi::routes())
        .merge(setup::routes())
        .merge(supervision::routes())
        .merge(verification::routes())
}
