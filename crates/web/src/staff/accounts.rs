//! 账号管理 (/accounts): list, create, disable or enable, reset a password,
//! issue, list and revoke API tokens. Needs [`Permission::ManageAccounts`]
//! (system administrator). New and reset passwords are one-time passwords
//! shown once and must be changed at the next login; tokens are shown once and
//! listed by fingerprint; revoking one asks for confirmation first. Resetting
//! or disabling an account revokes its tokens. Every change is written through
//! [`service::accounts`], so it is on the ledger; new and reset passwords are
//! hashed through the server's [`HashGate`].

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{HashGate, User};
use crate::error::{Error, Result};
use crate::ops::accounts::{AccountRow, TokenRow, list};
use crate::pages::{Chrome, render};
use domain::account::{Account, ApiToken, Permission, Role};
use service::accounts::{self, Revoked};
use storage::WorkflowStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/accounts", get(index).post(create))
        .route("/accounts/{username}/disable", post(disable))
        .route("/accounts/{username}/reset", post(reset))
        .route("/accounts/{username}/token", post(token))
        .route(
            "/accounts/{username}/tokens/{fingerprint}/revoke",
            post(revoke),
        )
}

#[derive(Template)]
#[template(path = "staff/accounts.html")]
struct Index {
    chrome: Chrome,
    accounts: Vec<AccountRow>,
    roles: Vec<(&'static str, &'static str)>,
    departments: Vec<(String, String)>,
    /// A message after an action.
    message: String,
    /// A secret shown once: (what, for whom, the secret).
    secret: Option<(String, String, String)>,
    /// Every API token, live first.
    tokens: Vec<TokenRow>,
}

#[derive(Template)]
#[template(path = "staff/accounts_revoke.html")]
struct ConfirmRevoke {
    chrome: Chrome,
    token: TokenRow,
}

async fn page(
    state: &AppState,
    user: &User,
    message: String,
    secret: Option<(String, String, String)>,
) -> Result<Html<String>> {
    let departments = crate::pages::department_options(state).await?;
    let mut tokens: Vec<TokenRow> = state
        .db
        .list::<ApiToken>(None)
        .await?
        .iter()
        .map(TokenRow::from)
        .collect();
    tokens.sort_by(|a, b| {
        (a.revoked, &a.username, &b.issued_at).cmp(&(b.revoked, &b.username, &a.issued_at))
    });
    render(&Index {
        tokens,
        chrome: Chrome::staff(user, "账号管理", "/accounts"),
        accounts: list(state).await?,
        roles: Role::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        departments,
        message,
        secret,
    })
}

async fn index(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    user.require(Permission::ManageAccounts)?;
    page(&state, &user, String::new(), None).await
}

#[derive(Deserialize)]
struct CreateForm {
    username: String,
    display_name: String,
    role: String,
    department: Option<String>,
    certificate: Option<String>,
}

fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

async fn create(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<CreateForm>,
) -> Result<Html<String>> {
    user.require(Permission::ManageAccounts)?;
    let username = form.username.trim().to_owned();
    let role = Role::parse(&form.role)?;
    let account = Account {
        username: username.clone(),
        display_name: form.display_name,
        role,
        department: present(form.department).filter(|_| role.is_departmental()),
        certificate: present(form.certificate).filter(|_| role == Role::Inspector),
        password_hash: String::new(),
        must_change_password: true,
        disabled: false,
    };
    let (_, password) =
        accounts::create_account_with(&state.db, account, &user.actor(), HashGate::global())
            .await?;
    let secret = ("一次性密码".to_owned(), username.clone(), password);
    page(
        &state,
        &user,
        format!("已创建账号 {username}"),
        Some(secret),
    )
    .await
}

#[derive(Deserialize)]
struct DisableForm {
    /// `true` to disable, `false` to enable again.
    disabled: String,
}

async fn disable(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(username): Path<String>,
    Form(form): Form<DisableForm>,
) -> Result<Html<String>> {
    user.require(Permission::ManageAccounts)?;
    let disabled = form.disabled == "true";
    if disabled && username == user.account().username {
        return Err(Error::Conflict(
            "不能停用自己的账号 (cannot disable yourself)".into(),
        ));
    }
    accounts::set_disabled(&state.db, &username, disabled, &user.actor()).await?;
    if disabled {
        state.sessions.end_all_of(&username);
    }
    let done = if disabled {
        "已停用账号，其 API 令牌已全部吊销："
    } else {
        "已启用账号 "
    };
    page(&state, &user, format!("{done}{username}"), None).await
}

async fn reset(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(username): Path<String>,
) -> Result<Html<String>> {
    user.require(Permission::ManageAccounts)?;
    let password =
        accounts::reset_password_with(&state.db, &username, &user.actor(), HashGate::global())
            .await?;
    state.sessions.end_all_of(&username);
    let secret = ("新的一次性密码".to_owned(), username.clone(), password);
    let message = format!("已重置账号 {username} 的密码，其 API 令牌已全部吊销");
    page(&state, &user, message, Some(secret)).await
}

#[derive(Deserialize)]
struct TokenForm {
    label: String,
}

async fn token(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(username): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Html<String>> {
    user.require(Permission::ManageAccounts)?;
    let label = form.label.trim();
    let label = if label.is_empty() { "API" } else { label };
    let issued = accounts::issue_token(&state.db, &username, label, &user.actor()).await?;
    let secret = ("API 令牌".to_owned(), username.clone(), issued);
    page(
        &state,
        &user,
        format!("已为 {username} 签发 API 令牌"),
        Some(secret),
    )
    .await
}

#[derive(Deserialize)]
struct RevokeForm {
    /// `yes` once confirmed; without it the confirmation page is shown.
    confirm: Option<String>,
}

async fn revoke(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((username, fingerprint)): Path<(String, String)>,
    Form(form): Form<RevokeForm>,
) -> Result<Response> {
    user.require(Permission::ManageAccounts)?;
    if form.confirm.as_deref() != Some("yes") {
        let token = accounts::tokens_of(&state.db, &username)
            .await?
            .iter()
            .find(|t| t.fingerprint() == fingerprint)
            .map(TokenRow::from)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "账号 {username} 没有指纹为 {fingerprint} 的令牌 (no such token)"
                ))
            })?;
        let chrome = Chrome::staff(&user, "确认吊销 API 令牌", "/accounts");
        return Ok(render(&ConfirmRevoke { chrome, token })?.into_response());
    }
    let message =
        match accounts::revoke_token(&state.db, &username, &fingerprint, &user.actor()).await? {
            Revoked::Now(token) => format!(
                "已吊销 {username} 的 API 令牌 {}（{}）",
                token.fingerprint(),
                token.label
            ),
            Revoked::Already(token) => {
                format!("{username} 的 API 令牌 {} 此前已吊销", token.fingerprint())
            }
        };
    Ok(page(&state, &user, message, None).await?.into_response())
}
