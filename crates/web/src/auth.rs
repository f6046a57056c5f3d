//! Logins, sessions, API tokens, CSRF and the login rate limit.
//!
//! - Passwords: hashed and checked by [`service::accounts`] on a blocking
//!   thread, at most [`HashGate`]'s bound at once; a caller that waits longer
//!   than [`HASH_QUEUE_WAIT`] for its turn gets [`Error::Busy`].
//! - Sessions: a random 256-bit token in an `HttpOnly; Secure; SameSite=Strict`
//!   cookie; the server keeps only its SHA-256, with the account, a CSRF token
//!   and an idle expiry (8 hours). Logging out or restarting ends sessions.
//! - CSRF: every state-changing request made with the session cookie carries
//!   the session's token, as the `csrf` form field (forms) or the
//!   `X-CSRF-Token` header (htmx and scripts). Requests with an API token
//!   (`Authorization: Bearer …`) carry no ambient credential and need none.
//! - Rate limit ([`LoginLimiter`]): 5 failed logins per (user name, client
//!   address) in 15 minutes block that pair only, never the account from
//!   other addresses; after 5 failures from one address each further attempt
//!   from it waits twice as long as the last (1 s, 2 s, … up to 5 minutes).
//! - Client address ([`client_address`]): the socket peer, or the right-most
//!   untrusted `X-Forwarded-For` hop when the peer is a trusted proxy.
//! - API tokens: issued, verified and revoked by [`service::accounts`]; this
//!   module only reads the `Authorization: Bearer` header.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use super::AppState;
use super::error::{Error, Result};
use domain::account::{Account, Permission};
use service::accounts::{self, token_digest};
use storage::WorkflowStore;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "jg_session";
/// The cookie of the login form's CSRF token (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "jg_login";
/// How long an idle session lives.
pub const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// Failed logins allowed per window.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// The rate limit's window.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Largest form body read for the CSRF check.
const MAX_FORM_BODY: usize = 1 << 20;

/// 32 random bytes as 64 hex digits (session cookies, CSRF tokens, scratch names).
pub fn random_token() -> Result<String> {
    Ok(accounts::random_token()?)
}

/// How long a password check waits for its turn before [`Error::Busy`].
pub const HASH_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Bounds concurrent Argon2 work (each hash holds about 19 MiB for a few
/// tens of milliseconds): at most `bound` run at once, on blocking threads;
/// a caller waits for its turn at most `wait`.
pub struct HashGate {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl HashGate {
    /// A gate letting `bound` (at least 1) computations run at once.
    pub fn new(bound: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(bound.max(1))),
            wait,
        }
    }

    /// The process-wide gate: one computation per CPU.
    pub fn global() -> &'static Self {
        static GATE: OnceLock<HashGate> = OnceLock::new();
        GATE.get_or_init(|| {
            let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
            Self::new(cpus, HASH_QUEUE_WAIT)
        })
    }

    /// Runs `work` on a blocking thread once a permit is free. The permit
    /// moves into the thread, so a caller that gives up (a closed
    /// connection, a request timeout) cannot push the count over the bound.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::Busy)?
            .map_err(|_| Error::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(Error::internal)
    }

    /// Permits free now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

impl accounts::Hashing for HashGate {
    type Error = Error;

    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = Result<T>> + Send {
        HashGate::run(self, work) // the inherent method
    }
}

/// Whether `password` matches the PHC string, through [`HashGate::global`]
/// ([`Error::Busy`] when too many checks wait).
pub async fn password_matches(password: String, hash: String) -> Result<bool> {
    accounts::matches_with(HashGate::global(), password, hash).await
}

/// One logged-in session.
#[derive(Clone)]
struct Session {
    username: String,
    csrf: String,
    last_seen: Instant,
}

/// The live sessions, keyed by the SHA-256 of their cookie.
#[derive(Default)]
pub struct Sessions {
    by_digest: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Starts a session; returns the cookie value.
    pub fn start(&self, username: &str) -> Result<String> {
        let token = random_token()?;
        let session = Session {
            username: username.to_owned(),
            csrf: random_token()?,
            last_seen: Instant::now(),
        };
        let mut map = self.lock();
        map.retain(|_, s| s.last_seen.elapsed() < SESSION_IDLE);
        map.insert(token_digest(&token), session);
        Ok(token)
    }

    /// The session's user name and CSRF token, refreshing its idle time.
    fn touch(&self, token: &str) -> Option<(String, String)> {
        let mut map = self.lock();
        let digest = token_digest(token);
        let session = map.get_mut(&digest)?;
        if session.last_seen.elapsed() >= SESSION_IDLE {
            map.remove(&digest);
            return None;
        }
        session.last_seen = Instant::now();
        Some((session.username.clone(), session.csrf.clone()))
    }

    /// Ends one session.
    pub fn end(&self, token: &str) {
        self.lock().remove(&token_digest(token));
    }

    /// Ends every session of an account (password changed, account disabled).
    pub fn end_all_of(&self, username: &str) {
        self.lock().retain(|_, s| s.username != username);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.by_digest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Failures from one address before each further attempt must wait.
pub const FREE_FAILURES_PER_ADDRESS: u32 = 5;
/// The first wait after those; it doubles with each failure.
const FIRST_ADDRESS_WAIT: Duration = Duration::from_secs(1);
/// The longest wait between attempts from one address.
const LONGEST_ADDRESS_WAIT: Duration = Duration::from_secs(5 * 60);
/// Entries the limiter keeps at most, per table (pairs, addresses).
pub const MAX_TRACKED: usize = 50_000;
/// Characters of a user name the limiter keys on.
const MAX_NAME_KEY: usize = 64;

/// Failures of one key.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    last: Instant,
}

impl Failures {
    fn expired(&self) -> bool {
        self.last.elapsed() >= LOGIN_WINDOW
    }
}

#[derive(Default)]
struct Tables {
    pairs: HashMap<(String, IpAddr), Failures>,
    addresses: HashMap<IpAddr, Failures>,
}

/// Why a login attempt is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This (user name, address) failed too often: minutes left in the window.
    Pair(u64),
    /// This address failed too often: seconds until its next attempt.
    Address(u64),
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Pair(minutes) => Self::TooManyAttempts(minutes),
            Refusal::Address(seconds) => Self::SlowDown(seconds),
        }
    }
}

/// Failed logins per (user name, client address), and per address. An
/// account is never locked for everyone: only the pair that failed is
/// blocked, and an address that keeps failing waits longer and longer.
/// At most `capacity` entries per table are kept; when full, expired entries
/// go first, then the one idle longest.
pub struct LoginLimiter {
    tables: Mutex<Tables>,
    capacity: usize,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::with_capacity(MAX_TRACKED)
    }
}

/// IPv6 clients are keyed by their /64 (one host usually holds a whole /64);
/// IPv4-mapped addresses as IPv4.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

fn name_key(username: &str) -> String {
    username
        .chars()
        .take(MAX_NAME_KEY)
        .collect::<String>()
        .to_lowercase()
}

/// The wait before the next attempt after `count` failures from an address.
fn address_wait(count: u32) -> Duration {
    let Some(extra) = count.checked_sub(FREE_FAILURES_PER_ADDRESS) else {
        return Duration::ZERO;
    };
    FIRST_ADDRESS_WAIT
        .checked_mul(1u32.checked_shl(extra).unwrap_or(u32::MAX))
        .map_or(LONGEST_ADDRESS_WAIT, |wait| wait.min(LONGEST_ADDRESS_WAIT))
}

/// Counts one failure under `key`, making room first when the table is full.
fn count_failure<K: std::hash::Hash + Eq + Clone>(
    table: &mut HashMap<K, Failures>,
    key: K,
    capacity: usize,
) {
    let now = Instant::now();
    if !table.contains_key(&key) && table.len() >= capacity {
        table.retain(|_, f| !f.expired());
        if table.len() >= capacity {
            let idlest = table
                .iter()
                .min_by_key(|(_, f)| f.last)
                .map(|(k, _)| k.clone());
            if let Some(idlest) = idlest {
                table.remove(&idlest);
            }
        }
    }
    let entry = table.entry(key).or_insert(Failures {
        count: 0,
        first: now,
        last: now,
    });
    if entry.expired() {
        *entry = Failures {
            count: 0,
            first: now,
            last: now,
        };
    }
    entry.count = entry.count.saturating_add(1);
    entry.last = now;
}

impl LoginLimiter {
    /// A limiter keeping at most `capacity` entries per table.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            tables: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// Whether an attempt for `username` from `ip` is refused now, and why.
    pub fn check(&self, username: &str, ip: IpAddr) -> Option<Refusal> {
        let ip = address_key(ip);
        let tables = self.lock();
        if let Some(pair) = tables.pairs.get(&(name_key(username), ip))
            && pair.first.elapsed() < LOGIN_WINDOW
            && pair.count >= MAX_FAILED_LOGINS
        {
            let left = LOGIN_WINDOW.saturating_sub(pair.first.elapsed());
            return Some(Refusal::Pair(left.as_secs().div_ceil(60).max(1)));
        }
        if let Some(address) = tables.addresses.get(&ip).filter(|f| !f.expired()) {
            let left = address_wait(address.count).saturating_sub(address.last.elapsed());
            if !left.is_zero() {
                return Some(Refusal::Address(
                    u64::try_from(left.as_millis().div_ceil(1000)).unwrap_or(u64::MAX),
                ));
            }
        }
        None
    }

    /// Records a failure of `username` from `ip`.
    pub fn failed(&self, username: &str, ip: IpAddr) {
        let ip = address_key(ip);
        let capacity = self.capacity;
        let mut tables = self.lock();
        if let Some(pair) = tables.pairs.get_mut(&(name_key(username), ip))
            && pair.first.elapsed() >= LOGIN_WINDOW
        {
            pair.count = 0;
            pair.first = Instant::now();
        }
        count_failure(&mut tables.pairs, (name_key(username), ip), capacity);
        count_failure(&mut tables.addresses, ip, capacity);
    }

    /// Forgets the pair's failures after a successful login (the address's
    /// count stays: logging in to one account does not buy guesses at others).
    pub fn succeeded(&self, username: &str, ip: IpAddr) {
        self.lock()
            .pairs
            .remove(&(name_key(username), address_key(ip)));
    }

    /// Entries held: (pairs, addresses).
    pub fn tracked(&self) -> (usize, usize) {
        let tables = self.lock();
        (tables.pairs.len(), tables.addresses.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`; a bare address is
/// the single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (address, prefix) = text
            .trim()
            .split_once('/')
            .map_or((text.trim(), None), |(a, p)| (a, Some(p)));
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR network"))?;
        let network = network.to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {bits}"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn mask(bits: u32, prefix: u8) -> u128 {
            if prefix == 0 {
                0
            } else {
                u128::MAX << (bits - u32::from(prefix))
            }
        }
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let m = mask(32, self.prefix);
                (u128::from(u32::from(net)) & m) == (u128::from(u32::from(ip)) & m)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let m = mask(128, self.prefix);
                (u128::from(net) & m) == (u128::from(ip) & m)
            }
            _ => false,
        }
    }
}

/// Hops of `X-Forwarded-For` read at most (right to left).
const MAX_FORWARDED_HOPS: usize = 32;

/// The client's address: the socket `peer`, unless the peer is one of the
/// `trusted` proxies; then the right-most `X-Forwarded-For` hop that is not a
/// trusted proxy (the left-most if all are). A hop that is not an address
/// stops the walk at the last address read.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.iter().rev().take(MAX_FORWARDED_HOPS) {
        let hop = hop.trim();
        let parsed = hop
            .parse::<IpAddr>()
            .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()));
        let Ok(ip) = parsed else { break };
        client = ip.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    client
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The session cookie.
    Session,
    /// An API token.
    Token,
}

/// The authenticated caller, put in the request's extensions by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub account: Arc<Account>,
    /// The session's CSRF token (empty for API tokens).
    pub csrf: String,
    /// How.
    pub via: Via,
    /// The message to show once on this page (see [`crate::flash`]).
    pub flash: Option<String>,
    /// The name of the account's department, for the page header ("" for an
    /// API token or an account without one).
    pub department_name: String,
}

/// Extractor: the logged-in caller, or [`Error::Unauthenticated`].
#[derive(Debug, Clone)]
pub struct User(pub Caller);

impl User {
    /// The account.
    pub fn account(&self) -> &Account {
        &self.0.account
    }

    /// The account, if it may do `permission`; else [`Error::Forbidden`].
    pub fn require(&self, permission: Permission) -> Result<&Account> {
        if self.0.account.may(permission) {
            Ok(&self.0.account)
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The account, if it may do `permission` on department `code`'s data.
    pub fn require_in(&self, permission: Permission, code: &str) -> Result<&Account> {
        if self.0.account.may_in(permission, code) {
            Ok(&self.0.account)
        } else {
            Err(Error::Forbidden)
        }
    }

    /// [`Error::Forbidden`] unless the account sees department `code`.
    pub fn require_department(&self, code: &str) -> Result<&Account> {
        if self.0.account.sees_department(code) {
            Ok(&self.0.account)
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The actor named on the ledger: `username (role)`.
    pub fn actor(&self) -> String {
        self.0.account.actor()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(User)
            .ok_or(Error::Unauthenticated)
    }
}

/// Extractor: the caller if logged in (public pages show a login link otherwise).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<Caller>().cloned()))
    }
}

/// Extractor: the client's address, as [`client_address`] decided it in
/// [`authenticate`] (the socket peer without trusted proxies).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .map_or_else(|| peer_of(parts), |client| client.0);
        Ok(ClientIp(ip))
    }
}

fn peer_of(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip())
}

/// A cookie's value from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// A `Set-Cookie` value: HttpOnly, Secure, SameSite=Strict, path `/`.
pub fn set_cookie(name: &str, value: &str, max_age: Option<Duration>) -> String {
    let age = max_age.map_or_else(String::new, |age| format!("; Max-Age={}", age.as_secs()));
    format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict{age}")
}

/// Middleware on every route: resolves the session cookie or API token into a
/// [`Caller`] and, for state-changing requests with the cookie, checks CSRF.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let shows_flash = shows_flash(&request);
    match resolve(&state, request).await {
        Ok(request) => {
            let mut response = next.run(request).await;
            let is_page = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            if shows_flash
                && is_page
                && let Ok(clear) = HeaderValue::from_str(&set_cookie(
                    crate::flash::COOKIE,
                    "",
                    Some(Duration::ZERO),
                ))
            {
                response.headers_mut().append(header::SET_COOKIE, clear);
            }
            response
        }
        Err(error) => axum::response::IntoResponse::into_response(error),
    }
}

/// Whether `request` is a full page load carrying a flash cookie.
fn shows_flash(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.headers().contains_key("hx-request")
        && cookie(request.headers(), crate::flash::COOKIE).is_some()
}

async fn resolve(state: &AppState, request: Request) -> Result<Request> {
    let (mut parts, body) = request.into_parts();
    let client = client_address(peer_of(&parts), &parts.headers, &state.trusted_proxies);
    parts.extensions.insert(ClientIp(client));
    let mut request = Request::from_parts(parts, body);
    let flash = shows_flash(&request)
        .then(|| cookie(request.headers(), crate::flash::COOKIE))
        .flatten()
        .and_then(crate::flash::message_of);
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let caller = if let Some(token) = bearer {
        let account = accounts::verify_token(&state.db, token)
            .await?
            .ok_or(Error::Unauthenticated)?;
        Some(Caller {
            account: Arc::new(account),
            csrf: String::new(),
            via: Via::Token,
            flash: None,
            department_name: String::new(),
        })
    } else if let Some((username, csrf)) =
        cookie(headers, SESSION_COOKIE).and_then(|token| state.sessions.touch(token))
    {
        match active_account(state, &username).await? {
            Some(account) => {
                let department_name = match account.department.as_deref() {
                    Some(code) => service::department_name(&state.db, code).await?,
                    None => String::new(),
                };
                Some(Caller {
                    account,
                    csrf,
                    via: Via::Session,
                    flash,
                    department_name,
                })
            }
            None => None,
        }
    } else {
        None
    };
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if let Some(caller) = caller {
        if changes_state && caller.via == Via::Session {
            request = check_csrf(request, &caller.csrf).await?;
        }
        request.extensions_mut().insert(caller);
    }
    Ok(request)
}

async fn active_account(state: &AppState, username: &str) -> Result<Option<Arc<Account>>> {
    Ok(state
        .db
        .get::<Account>(username)
        .await?
        .filter(|a| !a.disabled)
        .map(Arc::new))
}

/// The CSRF token from the header, or from the `csrf` field of a URL-encoded
/// form (the body is read and put back).
async fn check_csrf(request: Request, expected: &str) -> Result<Request> {
    let header_token = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(token) = header_token {
        return if constant_time_eq(&token, expected) {
            Ok(request)
        } else {
            Err(Error::Csrf)
        };
    }
    let query_token = request.uri().query().and_then(|q| form_field(q, "csrf"));
    if let Some(token) = query_token {
        return if constant_time_eq(&token, expected) {
            Ok(request)
        } else {
            Err(Error::Csrf)
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Error::Csrf);
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BODY)
        .await
        .map_err(|_| Error::BadRequest("表单过大 (form too large)".into()))?;
    let token = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| form_field(text, "csrf"));
    match token {
        Some(token) if constant_time_eq(&token, expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(Error::Csrf),
    }
}

/// A field of a URL-encoded form or query string, decoded.
pub fn form_field(text: &str, name: &str) -> Option<String> {
    text.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| super::text::url_decode(value))
    })
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn failures_block_the_pair_never_the_account_from_elsewhere() {
        let limiter = LoginLimiter::default();
        let attacker = ip("127.0.0.2");
        for _ in 0..MAX_FAILED_LOGINS {
            assert_eq!(limiter.check("Admin", attacker), None);
            limiter.failed("admin", attacker);
        }
        assert!(matches!(
            limiter.check("ADMIN", attacker),
            Some(Refusal::Pair(15))
        ));
        assert_eq!(
            limiter.check("admin", ip("127.0.0.1")),
            None,
            "another address still logs in"
        );
        // The attacker's address now waits before any further attempt, on any account.
        assert_eq!(limiter.check("bob", attacker), Some(Refusal::Address(1)));
        limiter.succeeded("admin", ip("127.0.0.1"));
        assert!(
            limiter.check("admin", attacker).is_some(),
            "another address's success clears nothing"
        );
    }

    #[test]
    fn the_wait_per_address_doubles_up_to_five_minutes() {
        let waits: Vec<u64> = (0..=20).map(|n| address_wait(n).as_secs()).collect();
        assert_eq!(&waits[..9], &[0, 0, 0, 0, 0, 1, 2, 4, 8]);
        assert_eq!(waits[14], 300);
        assert_eq!(address_wait(u32::MAX), LONGEST_ADDRESS_WAIT);
        let limiter = LoginLimiter::default();
        let address = ip("10.0.0.9");
        for n in 0..8 {
            limiter.failed(&format!("user{n}"), address);
        }
        assert!(
            matches!(limiter.check("someone", address), Some(Refusal::Address(s)) if (7..=8).contains(&s))
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let limiter = LoginLimiter::default();
        for n in 0..FREE_FAILURES_PER_ADDRESS {
            limiter.failed("admin", ip(&format!("2001:db8:1:2::{n}")));
        }
        assert!(limiter.check("admin", ip("2001:db8:1:2::ffff")).is_some());
        assert_eq!(limiter.check("admin", ip("2001:db8:1:3::1")), None);
        limiter.failed("x", ip("::ffff:192.0.2.1"));
        assert_eq!(
            limiter.tracked().1,
            2,
            "an IPv4-mapped address counts as IPv4"
        );
    }

    #[test]
    fn the_limiter_holds_at_most_its_capacity() {
        let limiter = LoginLimiter::with_capacity(100);
        for n in 0..10_000u32 {
            limiter.failed(&format!("user{n}"), IpAddr::from(n.to_be_bytes()));
        }
        let (pairs, addresses) = limiter.tracked();
        assert!(pairs <= 100 && addresses <= 100, "{pairs} {addresses}");
        // The newest entries are the ones kept.
        assert!(
            limiter
                .check("user9999", IpAddr::from(9999u32.to_be_bytes()))
                .is_none()
        );
        for _ in 0..MAX_FAILED_LOGINS {
            limiter.failed("late", IpAddr::from([192, 0, 2, 7]));
        }
        assert!(
            limiter
                .check("late", IpAddr::from([192, 0, 2, 7]))
                .is_some()
        );
    }

    #[test]
    fn cidrs_parse_and_match() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap_or(Cidr {
            network: ip("0.0.0.0"),
            prefix: 32,
        });
        assert!(net.contains(ip("10.1.255.3")) && !net.contains(ip("10.2.0.1")));
        assert!(
            net.contains(ip("::ffff:10.1.0.1")),
            "IPv4-mapped peers match IPv4 networks"
        );
        assert!(!net.contains(ip("::1")));
        let host: Result<Cidr, _> = "127.0.0.1".parse();
        assert!(host.is_ok_and(|h| h.contains(ip("127.0.0.1")) && !h.contains(ip("127.0.0.2"))));
        let v6: Result<Cidr, _> = "fd00::/8".parse();
        assert!(v6.is_ok_and(|n| n.contains(ip("fd12::1")) && !n.contains(ip("fe80::1"))));
        let all: Result<Cidr, _> = "0.0.0.0/0".parse();
        assert!(all.is_ok_and(|n| n.contains(ip("203.0.113.1"))));
        for bad in ["10.0.0.0/33", "10.0.0/8", "::/129", "x", "10.0.0.0/-1", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<Cidr> = ["127.0.0.1/32", "10.0.0.0/8"]
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect();
        let headers = |values: &[&str]| {
            let mut map = HeaderMap::new();
            for value in values {
                map.append(
                    "x-forwarded-for",
                    header::HeaderValue::from_str(value)
                        .unwrap_or(header::HeaderValue::from_static("")),
                );
            }
            map
        };
        let forwarded = headers(&["198.51.100.7, 203.0.113.5"]);
        // An untrusted peer: the header is ignored.
        assert_eq!(
            client_address(ip("192.0.2.1"), &forwarded, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &forwarded, &[]),
            ip("127.0.0.1")
        );
        // A trusted peer: the right-most untrusted hop (the left one may be forged).
        assert_eq!(
            client_address(ip("127.0.0.1"), &forwarded, &trusted),
            ip("203.0.113.5")
        );
        let chained = headers(&["198.51.100.7", "203.0.113.5, 10.0.0.3"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &chained, &trusted),
            ip("203.0.113.5")
        );
        let all_trusted = headers(&["10.0.0.9, 10.0.0.3"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &all_trusted, &trusted),
            ip("10.0.0.9")
        );
        let garbage = headers(&["203.0.113.5, unknown"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &garbage, &trusted),
            ip("127.0.0.1")
        );
        let with_port = headers(&["[2001:db8::1]:443"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &with_port, &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &HeaderMap::new(), &trusted),
            ip("127.0.0.1")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_hash_gate_bounds_concurrency_refuses_a_flood_and_recovers() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(HashGate::new(2, Duration::from_millis(100)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..500 {
            let (gate, running, peak) = (gate.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                gate.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        let (mut done, mut busy) = (0, 0);
        for task in tasks {
            match tokio::time::timeout(Duration::from_secs(10), task).await {
                Ok(Ok(Ok(()))) => done += 1,
                Ok(Ok(Err(Error::Busy))) => busy += 1,
                other => panic!("a task neither ran nor was refused: {other:?}"),
            }
        }
        assert!(
            peak.load(Ordering::SeqCst) <= 2,
            "peak {}",
            peak.load(Ordering::SeqCst)
        );
        assert!(done >= 2 && busy > 400, "done {done}, busy {busy}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the flood was refused quickly: {:?}",
            started.elapsed()
        );
        // No permit leaked: the gate serves again at full width.
        assert_eq!(gate.available(), 2);
        assert_eq!(gate.run(|| 7).await.ok(), Some(7));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_gives_up_keeps_its_permit_until_the_work_ends() {
        let gate = Arc::new(HashGate::new(1, Duration::from_millis(50)));
        let slow = gate.clone();
        let abandoned = tokio::spawn(async move {
            slow.run(|| std::thread::sleep(Duration::from_millis(300)))
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        abandoned.abort();
        assert!(
            matches!(gate.run(|| ()).await, Err(Error::Busy)),
            "the work still runs"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(gate.run(|| ()).await.is_ok());
    }

    #[test]
    fn sessions_are_found_by_cookie_and_ended() {
        let sessions = Sessions::default();
        let token = sessions.start("alice").unwrap_or_default();
        assert_eq!(sessions.touch(&token).map(|s| s.0), Some("alice".into()));
        assert_eq!(sessions.touch("forged"), None);
        sessions.end_all_of("alice");
        assert_eq!(sessions.touch(&token), None);
    }

    #[test]
    fn cookies_and_form_fields_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; jg_session=abc; b=2"
                .parse()
                .unwrap_or(header::HeaderValue::from_static("")),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(form_field("x=1&csrf=a%2Bb&y=", "csrf"), Some("a+b".into()));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
    }
}
