//! Logins, sessions, API tokens, CSRF and the login rate limit.
//!
//! - Passwords: Argon2id (the `argon2` crate's defaults), hashed and checked on
//!   a blocking thread.
//! - Sessions: a random 256-bit token in an `HttpOnly; Secure; SameSite=Strict`
//!   cookie; the server keeps only its SHA-256, with the account, a CSRF token
//!   and an idle expiry (8 hours). Logging out or restarting ends sessions.
//! - CSRF: every state-changing request made with the session cookie carries
//!   the session's token, as the `csrf` form field (forms) or the
//!   `X-CSRF-Token` header (htmx and scripts). Requests with an API token
//!   (`Authorization: Bearer …`) carry no ambient credential and need none.
//! - Rate limit: 5 failed logins per user name and per client address in 15
//!   minutes; the sixth attempt is refused before the password is checked.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::error::{Error, Result};
use crate::domain::account::{Account, ApiToken, Permission, Role};
use crate::storage::{Change, WorkflowStore};

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

/// 32 random bytes as 64 hex digits, from the operating system.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    Ok(draw::to_hex(&bytes))
}

/// Hex SHA-256 of a token: what the server stores.
pub fn token_digest(token: &str) -> String {
    draw::to_hex(&draw::sha256(&[token.as_bytes()]))
}

/// A readable one-time password: 16 characters without look-alikes.
pub fn one_time_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Argon2id hash of a password (PHC string), on a blocking thread.
pub async fn hash_password(password: String) -> Result<String> {
    if password.chars().count() < 8 {
        return Err(Error::BadRequest(
            "密码至少 8 个字符 (at least 8 characters)".into(),
        ));
    }
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("{e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("{e}"))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await
    .map_err(Error::internal)?
    .map_err(Error::Internal)
}

/// Whether `password` matches the PHC string, on a blocking thread.
pub async fn password_matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
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

/// Failed logins per user name and per client address.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    fn keys(username: &str, ip: IpAddr) -> [String; 2] {
        [
            format!("user:{}", username.to_lowercase()),
            format!("ip:{ip}"),
        ]
    }

    /// Minutes to wait if either key has used up its attempts.
    pub fn blocked(&self, username: &str, ip: IpAddr) -> Option<u64> {
        let mut map = self.lock();
        let mut wait = None;
        for key in Self::keys(username, ip) {
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| t.elapsed() < LOGIN_WINDOW);
                if times.len() >= MAX_FAILED_LOGINS as usize {
                    let oldest = times.iter().min().map_or(Duration::ZERO, Instant::elapsed);
                    let minutes = LOGIN_WINDOW.saturating_sub(oldest).as_secs().div_ceil(60);
                    wait = Some(wait.map_or(minutes, |w: u64| w.max(minutes)));
                }
            }
        }
        wait
    }

    /// Records a failure.
    pub fn failed(&self, username: &str, ip: IpAddr) {
        let mut map = self.lock();
        for key in Self::keys(username, ip) {
            map.entry(key).or_default().push(Instant::now());
        }
    }

    /// Forgets the user name's failures after a successful login.
    pub fn succeeded(&self, username: &str) {
        self.lock()
            .remove(&format!("user:{}", username.to_lowercase()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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
        format!(
            "{} ({})",
            self.0.account.username,
            self.0.account.role.code()
        )
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

/// Extractor: the client's address (the socket peer).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        Ok(ClientIp(ip))
    }
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
    match resolve(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => axum::response::IntoResponse::into_response(error),
    }
}

async fn resolve(state: &AppState, mut request: Request) -> Result<Request> {
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let caller = if let Some(token) = bearer {
        let record = state
            .db
            .get::<ApiToken>(&token_digest(token))
            .await?
            .filter(|t| !t.revoked)
            .ok_or(Error::Unauthenticated)?;
        let account = active_account(state, &record.username)
            .await?
            .ok_or(Error::Unauthenticated)?;
        Some(Caller {
            account,
            csrf: String::new(),
            via: Via::Token,
        })
    } else if let Some((username, csrf)) =
        cookie(headers, SESSION_COOKIE).and_then(|token| state.sessions.touch(token))
    {
        active_account(state, &username)
            .await?
            .map(|account| Caller {
                account,
                csrf,
                via: Via::Session,
            })
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
        (key == name).then(|| super::pages::url_decode(value))
    })
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Creates the first system administrator when there is no account; returns
/// the one-time password to print.
pub async fn bootstrap_admin<S: WorkflowStore>(store: &S) -> Result<Option<String>> {
    if !store.list::<Account>(None).await?.is_empty() {
        return Ok(None);
    }
    let password = one_time_password()?;
    let account = Account {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        role: Role::SystemAdmin,
        department: None,
        certificate: None,
        password_hash: hash_password(password.clone()).await?,
        must_change_password: true,
        disabled: false,
    };
    store
        .put(
            std::slice::from_ref(&account),
            &Change::new(
                crate::workflow::now(),
                "system",
                "account.created",
                "first administrator",
            ),
        )
        .await?;
    Ok(Some(password))
}

/// Creates or replaces an account with a password (CLI, demo, administrators).
pub async fn save_account<S: WorkflowStore>(
    store: &S,
    mut account: Account,
    password: Option<String>,
    actor: &str,
) -> Result<Account> {
    account.validate()?;
    if let Some(code) = &account.department {
        let code = crate::domain::DepartmentCode::parse(code)?;
        if store.department(&code).await?.is_none() {
            return Err(Error::BadRequest(format!(
                "部门 {code} 不存在 (no such department)"
            )));
        }
    }
    let existing = store.get::<Account>(&account.username).await?;
    let action = if existing.is_some() {
        "account.changed"
    } else {
        "account.created"
    };
    account.password_hash = match (password, existing) {
        (Some(password), _) => hash_password(password).await?,
        (None, Some(existing)) => existing.password_hash,
        (None, None) => {
            return Err(Error::BadRequest(
                "新账号需要密码 (a new account needs a password)".into(),
            ));
        }
    };
    store
        .put(
            std::slice::from_ref(&account),
            &Change::new(crate::workflow::now(), actor, action, account.role.code()),
        )
        .await?;
    Ok(account)
}

/// Issues an API token for an account; returns the token (shown once).
pub async fn issue_token<S: WorkflowStore>(
    store: &S,
    username: &str,
    label: &str,
    actor: &str,
) -> Result<String> {
    if store.get::<Account>(username).await?.is_none() {
        return Err(Error::NotFound(format!(
            "账号 {username} 不存在 (no such account)"
        )));
    }
    let token = format!("jg_{}", random_token()?);
    let record = ApiToken {
        digest: token_digest(&token),
        username: username.to_owned(),
        label: label.to_owned(),
        revoked: false,
    };
    store
        .put(
            std::slice::from_ref(&record),
            &Change::new(crate::workflow::now(), actor, "token.issued", label),
        )
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_blocks_after_five_failures_per_name_and_per_address() {
        let limiter = LoginLimiter::default();
        let ip = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..MAX_FAILED_LOGINS {
            assert_eq!(limiter.blocked("Alice", ip), None);
            limiter.failed("alice", ip);
        }
        assert!(
            limiter
                .blocked("ALICE", IpAddr::from([10, 0, 0, 2]))
                .is_some()
        );
        assert!(limiter.blocked("bob", ip).is_some());
        assert_eq!(limiter.blocked("bob", IpAddr::from([10, 0, 0, 2])), None);
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

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse".into())
            .await
            .unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches("correct horse".into(), hash.clone()).await);
        assert!(!password_matches("wrong horse!".into(), hash).await);
        assert!(hash_password("short".into()).await.is_err());
    }
}
