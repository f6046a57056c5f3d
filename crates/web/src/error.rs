//! The one error type of every handler.
//!
//! [`Error`] answers as JSON (`{"error": "…"}`) with its status, marked with
//! an [`ErrorMark`]. Page routers add `pages::html_errors`, which turns such an
//! answer into the HTML error page (or the login redirect), so handlers never
//! choose between the two. This module imports no other module of the crate. Internal
//! errors are logged with their chain and shown as a plain message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use domain::InvalidField;
use service::WorkflowError;
use service::accounts::AccountError;
use storage::StoreError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No session or token.
    #[error("请先登录 (login required)")]
    Unauthenticated,
    /// Logged in, but the role or department does not allow it.
    #[error("无权访问 (forbidden)")]
    Forbidden,
    /// No such record, or not one the caller may see.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The step is refused in the record's current state.
    #[error("{0}")]
    Conflict(String),
    /// The CSRF token is missing or wrong.
    #[error("页面已过期，请刷新后重试 (CSRF token missing or wrong)")]
    Csrf,
    /// Too many failed logins.
    #[error("登录失败次数过多，请 {0} 分钟后再试 (too many failed logins)")]
    TooManyAttempts(u64),
    /// Repeated failed logins from this address: wait before the next attempt.
    #[error("该地址登录失败过多，请 {0} 秒后再试 (too many failed logins from this address)")]
    SlowDown(u64),
    /// Too many passwords being checked at once.
    #[error("服务器繁忙，请稍后再试 (server busy, try again shortly)")]
    Busy,
    /// The request took longer than the server's request timeout.
    #[error("请求处理超时，请稍后再试 (request timed out)")]
    Timeout,
    /// The account still has its one-time password.
    #[error("请先登录网页修改一次性密码，再使用 API (change the one-time password first)")]
    PasswordChangeRequired,
    /// Anything else: logged, not shown.
    #[error("服务器内部错误，已记录 (internal error, logged)")]
    Internal(#[source] anyhow::Error),
}

/// Shorthand for handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An internal error from anything displayable.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Csrf | Self::PasswordChangeRequired => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts(_) | Self::SlowDown(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy | Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<WorkflowError> for Error {
    fn from(error: WorkflowError) -> Self {
        match error {
            WorkflowError::NotFound { .. } => Self::NotFound(error.to_string()),
            WorkflowError::Refused(message) => Self::Conflict(message),
            WorkflowError::Invalid(_) | WorkflowError::Draw(_) | WorkflowError::Calendar(_) => {
                Self::BadRequest(error.to_string())
            }
            WorkflowError::AwaitingConfirmation {
                plan,
                version,
                waiting,
            } => {
                let names: Vec<String> = waiting
                    .iter()
                    .map(|w| match &w.declined {
                        Some(reason) => format!("{}（{}，不同意：{reason}）", w.name, w.department),
                        None => format!("{}（{}，未会签）", w.name, w.department),
                    })
                    .collect();
                Self::Conflict(format!(
                    "计划 {plan} 第 {version} 版尚待协办部门会签，不能批准：{}",
                    names.join("；")
                ))
            }
            WorkflowError::Store(error) => error.into(),
        }
    }
}

impl From<AccountError> for Error {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(message) => Self::BadRequest(message),
            AccountError::NotFound(message) => Self::NotFound(message),
            AccountError::Conflict(message) => Self::Conflict(message),
            AccountError::Field(error) => error.into(),
            AccountError::Store(error) => error.into(),
            AccountError::Internal(message) => Self::internal(anyhow::anyhow!(message)),
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::MissingReference { .. } => Self::BadRequest(error.to_string()),
            other => Self::internal(other),
        }
    }
}

impl From<InvalidField> for Error {
    fn from(error: InvalidField) -> Self {
        Self::BadRequest(error.to_string())
    }
}

impl From<askama::Error> for Error {
    fn from(error: askama::Error) -> Self {
        Self::internal(error)
    }
}

/// The JSON body of an error.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// The message shown to the user.
    pub error: String,
}

/// Marks a response as an [`Error`], for the page routers' error pages
/// (`pages::html_errors`).
#[derive(Debug, Clone)]
pub struct ErrorMark {
    /// The message shown to the user.
    pub message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(source) = &self {
            tracing::error!(error = format!("{source:#}"), "request failed");
        }
        let message = self.to_string();
        let mut response = (
            status,
            Json(ErrorBody {
                error: message.clone(),
            }),
        )
            .into_response();
        response.extensions_mut().insert(ErrorMark { message });
        response
    }
}
