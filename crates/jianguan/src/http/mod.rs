//! The web application: staff pages, the public portal (`/gongshi`) and the
//! JSON API (`/api/v1`), on axum with askama templates and embedded assets.
//!
//! - One [`AppState`] holds the database, the calendar, the sessions, the login
//!   limiter and the background jobs.
//! - Every module has its own router; [`router`] merges them. Page routers get
//!   [`error::html_errors`], so handlers return the one [`Error`] and the page
//!   routers show it as a page while the API answers JSON.
//! - [`auth::authenticate`] runs on every request: session cookie or API
//!   token, CSRF on state changes. Who may do what is decided by
//!   [`crate::domain::account`], asked through [`auth::User`].

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod files;
pub mod jobs;
pub mod pages;
pub mod public;
pub mod staff;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;

pub use error::{Error, Result};

use crate::domain::account::Account;
use crate::storage::{Db, Store, WorkflowStore};

/// What every handler shares.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The working-day calendar.
    pub calendar: workcal::Calendar,
    /// Live sessions.
    pub sessions: auth::Sessions,
    /// Failed-login counts.
    pub limiter: auth::LoginLimiter,
    /// Long operations and their progress.
    pub jobs: jobs::Jobs,
    /// What the public portal shows, cached (see [`public::cache`]).
    pub public: public::Cache,
    /// The dashboard's figures, per scope and year.
    pub figures: staff::dashboard::FiguresCache,
    /// Files made for one user (import error reports, exports, reports).
    pub downloads: staff::directories::Downloads,
    /// The ledger as last read, for the ledger pages.
    pub ledger: staff::ledger::LedgerCache,
    /// The credit matters catalogue (cached) and the check-log writer.
    pub credit: staff::credit::CreditState,
    /// The 12345 hotline's rules (time limits, channels).
    pub hotline: crate::domain::hotline::HotlineRules,
}

impl AppState {
    /// State over a migrated database.
    pub fn new(db: Db, calendar: workcal::Calendar) -> Arc<Self> {
        Arc::new(Self {
            db,
            calendar,
            sessions: auth::Sessions::default(),
            limiter: auth::LoginLimiter::default(),
            jobs: jobs::Jobs::default(),
            public: public::Cache::default(),
            figures: staff::dashboard::FiguresCache::default(),
            downloads: staff::directories::Downloads::default(),
            ledger: staff::ledger::LedgerCache::default(),
            credit: staff::credit::CreditState::default(),
            hotline: crate::domain::hotline::HotlineRules::default(),
        })
    }
}

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    let pages = Router::new()
        .merge(pages::routes())
        .merge(staff::routes().layer(middleware::from_fn(fresh_password)))
        .merge(public::routes())
        .merge(jobs::routes())
        .layer(middleware::from_fn(error::html_errors));
    Router::new()
        .merge(pages)
        .merge(api::routes())
        .route("/healthz", get(healthz))
        .merge(assets::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .with_state(state)
}

/// Staff pages wait until an account given a one-time password has set its own.
async fn fresh_password(request: Request, next: Next) -> Response {
    let must_change = request
        .extensions()
        .get::<auth::Caller>()
        .is_some_and(|caller| caller.account.must_change_password);
    if must_change {
        return Redirect::to("/account/password").into_response();
    }
    next.run(request).await
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    accounts: Option<usize>,
    ledger_entries: Option<i64>,
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let accounts = state.db.list::<Account>(None).await;
    let head = state.db.ledger_head().await;
    let ok = accounts.is_ok() && head.is_ok();
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: state.db.backend().as_str(),
        accounts: accounts.ok().map(|a| a.len()),
        ledger_entries: head.ok().map(|(sequence, _)| sequence),
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Removes the files that server processes no longer running made for users
/// ([`files::remove_stale`]); logs the outcome.
pub fn remove_stale_files() {
    match files::remove_stale() {
        Ok(0) => {}
        Ok(removed) => tracing::info!("removed {removed} stale folder(s) of files made for users"),
        Err(error) => tracing::warn!("cannot clean the folder of files made for users: {error}"),
    }
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    serve_until(listener, state, shutdown_signal()).await
}

/// Serves until `stop` completes, then finishes the requests in flight.
pub async fn serve_until(
    listener: TcpListener,
    state: Arc<AppState>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    remove_stale_files();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
