//! The web application: staff pages, the public portal (`/gongshi`) and the
//! JSON API (`/api/v1`), on axum with askama templates and embedded assets.
//!
//! - One [`AppState`] holds the database, the calendar, the sessions, the login
//!   limiter and the background jobs.
//! - Every module has its own router; [`router`] merges them. Page routers get
//!   [`pages::html_errors`], so handlers return the one [`Error`] and the page
//!   routers show it as a page while the API answers JSON.
//! - [`auth::authenticate`] runs on every request: session cookie or API
//!   token, CSRF on state changes. Who may do what is decided by
//!   [`domain::account`], asked through [`auth::User`].
//! - [`serve_until`] runs hyper's HTTP/1 server itself (not `axum::serve`) so
//!   that the [`Limits`] hold: a header-read timeout, a request timeout, an
//!   idle timeout and a connection limit.

#![deny(missing_docs)]

#[cfg(test)]
mod access;
pub mod api;
pub mod assets;
pub mod auth;
pub mod city;
pub mod error;
pub mod export;
pub mod flash;
pub mod jobs;
#[cfg(test)]
mod module_graph;
pub mod ops;
pub mod pages;
pub mod portal;
#[cfg(test)]
mod prose;
pub mod public;
pub mod query;
pub mod scratch;
pub mod staff;
pub mod steps;
pub mod text;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

pub use error::{Error, Result};

use domain::account::Account;
use storage::{Db, Store, WorkflowStore};

/// What every handler shares.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The working-day calendar (replaced when a notice is loaded).
    pub calendar: CalendarCell,
    /// Live sessions.
    pub sessions: auth::Sessions,
    /// Failed-login counts.
    pub limiter: auth::LoginLimiter,
    /// Long operations and their progress.
    pub jobs: jobs::Jobs,
    /// What the public portal shows, cached (see [`portal::cache`]).
    pub public: portal::Cache,
    /// The dashboard's figures, per scope and year.
    pub figures: ops::dashboard::FiguresCache,
    /// Files made for one user (import error reports, exports, reports).
    pub downloads: export::Downloads,
    /// The ledger as last read, for the ledger pages.
    pub ledger: ops::ledger::LedgerCache,
    /// The credit matters catalogue (cached) and the check-log writer.
    pub credit: ops::credit::CreditState,
    /// The 12345 hotline's rules (time limits, channels).
    pub hotline: domain::hotline::HotlineRules,
    /// Proxies whose `X-Forwarded-For` is believed (see [`auth::client_address`]).
    pub trusted_proxies: Vec<auth::Cidr>,
    /// The server's timeouts and connection limit.
    pub limits: Limits,
    /// The city the database serves, cached once set up.
    pub city: city::CityCell,
    /// The rounds being drawn now.
    pub drawing: ops::rounds::Drawing,
    /// Separation of duties on plans (on unless `serve --allow-self-approval`).
    pub duties: service::Duties,
    /// The city's licence-signing key file, for 出件 at the comprehensive window.
    pub licence_key: Option<std::path::PathBuf>,
}

/// The server's timeouts and connection limit (`jianguan serve` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A request's head must arrive within this, counted from when the
    /// server waits for it (also between requests on a kept-alive connection).
    pub header_read: Duration,
    /// A handler (body read included) must answer within this; then 503.
    pub request: Duration,
    /// A connection with no handler running and no byte read or written for
    /// this long is closed (e.g. a client that stopped reading its download).
    pub idle: Duration,
    /// Connections open at once; beyond it new ones are closed at once.
    pub max_connections: usize,
}

impl Limits {
    /// Default header-read timeout.
    pub const HEADER_READ: Duration = Duration::from_secs(10);
    /// Default request timeout.
    pub const REQUEST: Duration = Duration::from_secs(120);
    /// Default idle timeout.
    pub const IDLE: Duration = Duration::from_secs(60);
    /// Default connection limit.
    pub const MAX_CONNECTIONS: usize = 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Self::HEADER_READ,
            request: Self::REQUEST,
            idle: Self::IDLE,
            max_connections: Self::MAX_CONNECTIONS,
        }
    }
}

impl AppState {
    /// State over a migrated database.
    pub fn new(db: Db, calendar: workcal::Calendar) -> Arc<Self> {
        Arc::new(Self {
            db,
            calendar: CalendarCell::new(calendar),
            sessions: auth::Sessions::default(),
            limiter: auth::LoginLimiter::default(),
            jobs: jobs::Jobs::default(),
            public: portal::Cache::default(),
            figures: ops::dashboard::FiguresCache::default(),
            downloads: export::Downloads::default(),
            ledger: ops::ledger::LedgerCache::default(),
            credit: ops::credit::CreditState::default(),
            hotline: domain::hotline::HotlineRules::default(),
            trusted_proxies: Vec::new(),
            limits: Limits::default(),
            city: city::CityCell::default(),
            drawing: ops::rounds::Drawing::default(),
            duties: service::Duties::default(),
            licence_key: None,
        })
    }
}

/// The working-day calendar in force, replaced whole when the administrator
/// loads a holiday notice (readers keep the one they took).
pub struct CalendarCell {
    current: std::sync::RwLock<Arc<workcal::Calendar>>,
    /// Held while a notice is loaded, so that two loads do not overwrite each other.
    pub loading: tokio::sync::Mutex<()>,
}

impl CalendarCell {
    /// A cell holding `calendar`.
    pub fn new(calendar: workcal::Calendar) -> Self {
        Self {
            current: std::sync::RwLock::new(Arc::new(calendar)),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// The calendar in force.
    pub fn get(&self) -> Arc<workcal::Calendar> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts `calendar` in force.
    pub fn set(&self, calendar: workcal::Calendar) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(calendar);
    }
}

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    let pages = Router::new()
        .merge(pages::routes())
        .merge(staff::routes().layer(middleware::from_fn(fresh_password)))
        .merge(public::routes())
        .merge(staff::jobs::routes())
        .layer(middleware::from_fn(pages::html_errors));
    Router::new()
        .merge(pages)
        .merge(api::routes().layer(middleware::from_fn(api_fresh_password)))
        .route("/healthz", get(healthz))
        .merge(assets::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            city::with_city,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .with_state(state)
}

/// Answers 503 when a handler runs longer than [`Limits::request`].
async fn request_timeout(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(state.limits.request, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit = ?state.limits.request, "request timed out");
            Error::Timeout.into_response()
        }
    }
}

/// The API refuses an account still on its one-time password (403) until
/// the password is changed on the web.
async fn api_fresh_password(request: Request, next: Next) -> Response {
    if must_change_password(&request) {
        return Error::PasswordChangeRequired.into_response();
    }
    next.run(request).await
}

fn must_change_password(request: &Request) -> bool {
    request
        .extensions()
        .get::<auth::Caller>()
        .is_some_and(|caller| caller.account.must_change_password)
}

/// Staff pages wait until an account given a one-time password has set its own.
async fn fresh_password(request: Request, next: Next) -> Response {
    if must_change_password(&request) {
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
/// ([`scratch::remove_stale`]); logs the outcome.
pub fn remove_stale_files() {
    match scratch::remove_stale() {
        Ok(0) => {}
        Ok(removed) => tracing::info!("removed {removed} stale folder(s) of files made for users"),
        Err(error) => tracing::warn!("cannot clean the folder of files made for users: {error}"),
    }
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    serve_until(listener, state, shutdown_signal()).await
}

/// Serves until `stop` completes, then finishes the requests in flight
/// (waiting at most the request timeout), under the state's [`Limits`].
pub async fn serve_until(
    listener: TcpListener,
    state: Arc<AppState>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    remove_stale_files();
    let limits = state.limits;
    let app = TowerToHyperService::new(router(state));
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let mut stop = std::pin::pin!(stop);
    let mut refused: u64 = 0;
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not stop serving.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    refused,
                    limit = limits.max_connections,
                    "connection limit reached: new connections closed"
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let service = {
            let app = app.clone();
            let activity = activity.clone();
            hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let busy = Busy::start(activity.clone());
                let answer = hyper::service::Service::call(&app, request);
                async move {
                    let answer = answer.await;
                    drop(busy);
                    answer
                }
            })
        };
        let io = TokioIo::new(Tracked {
            stream,
            activity: activity.clone(),
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                ended = connection => if let Err(error) = ended {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                },
                () = activity.idle_for(limits.idle) => tracing::debug!(%peer, "idle connection closed"),
            }
        });
    }
    drop(listener);
    let in_flight = graceful.count();
    if tokio::time::timeout(limits.request, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            in_flight,
            "stopping: some connections did not finish in time"
        );
    }
    Ok(())
}

/// When a connection last moved a byte, and how many handlers run on it.
struct Activity {
    start: Instant,
    last_millis: AtomicU64,
    handlers: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_millis: AtomicU64::new(0),
            handlers: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let millis = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    fn quiet(&self) -> Duration {
        let last = Duration::from_millis(self.last_millis.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }

    /// Completes once no handler has run and no byte moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let quiet = self.quiet();
            let running = self.handlers.load(Ordering::Relaxed) > 0;
            if !running && quiet >= idle {
                return;
            }
            let next = if running {
                idle
            } else {
                idle.saturating_sub(quiet)
            };
            tokio::time::sleep(next.max(Duration::from_millis(10))).await;
        }
    }
}

/// A handler running on a connection (counted until dropped).
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Self {
        activity.handlers.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        Self(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.handlers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A socket that records when it last moved a byte.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
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
