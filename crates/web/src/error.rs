//! The one error type of every handler.
//!
//! [`Error`] answers as JSON (`{"code": "…", "message": "…", "field": "…",
//! "error": "…"}`: a stable snake_case code, the Chinese message, the form field
//! when one is at fault, and `error`, the same message, for older clients) with
//! its status, marked with an [`ErrorMark`]. Page routers add `pages::html_errors`, which turns such an
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
    #[error("请先登录")]
    Unauthenticated,
    /// Logged in, but the role or department does not allow it.
    #[error("无权访问")]
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
    /// A workflow or validation error: its status, stable code, Chinese
    /// message and the form field at fault.
    #[error("{message}")]
    Coded {
        /// The HTTP status.
        status: StatusCode,
        /// The stable machine code, e.g. `round_exists`.
        code: &'static str,
        /// The message in Chinese.
        message: String,
        /// The form field at fault, if any.
        field: Option<&'static str>,
    },
    /// The CSRF token is missing or wrong.
    #[error("页面已过期，请刷新后重试")]
    Csrf,
    /// Too many failed logins.
    #[error("登录失败次数过多，请 {0} 分钟后再试")]
    TooManyAttempts(u64),
    /// Repeated failed logins from this address: wait before the next attempt.
    #[error("该地址登录失败过多，请 {0} 秒后再试")]
    SlowDown(u64),
    /// Too many passwords being checked at once.
    #[error("服务器繁忙，请稍后再试")]
    Busy,
    /// The request took longer than the server's request timeout.
    #[error("请求处理超时，请稍后再试")]
    Timeout,
    /// The account still has its one-time password.
    #[error("请先登录网页修改一次性密码，再使用 API")]
    PasswordChangeRequired,
    /// Anything else: logged, not shown.
    #[error("服务器内部错误，已记录")]
    Internal(#[source] anyhow::Error),
}

/// Shorthand for handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An internal error from anything displayable.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// A 409 with `code` and the Chinese `message`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Coded {
            status: StatusCode::CONFLICT,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// The same error with `field` named as the form field at fault (when the
    /// error is one of bad input or a refusal, and names no field yet), so that
    /// the page marks that input. Other errors are returned unchanged.
    pub fn on(self, field: &'static str) -> Self {
        let status = self.status();
        let code = self.code();
        match self {
            Self::BadRequest(message) | Self::Conflict(message) | Self::NotFound(message) => {
                Self::Coded {
                    status,
                    code,
                    message,
                    field: Some(field),
                }
            }
            Self::Coded {
                status,
                code,
                message,
                field: None,
            } => Self::Coded {
                status,
                code,
                message,
                field: Some(field),
            },
            other => other,
        }
    }

    /// The same error naming `field` as the input at fault, in place of the
    /// field it names (a workflow's name for a value, e.g. `enterprise`, renamed
    /// to the form's input, e.g. `entity_code`).
    pub fn on_named(self, field: &'static str) -> Self {
        match self {
            Self::Coded {
                status,
                code,
                message,
                ..
            } => Self::Coded {
                status,
                code,
                message,
                field: Some(field),
            },
            other => other.on(field),
        }
    }

    /// [`Error::on`] the field paired with this error's code in `fields`
    /// (`(code, field)`), when the error names no field yet: how a page maps a
    /// workflow's refusals to its form's inputs.
    pub fn on_code(self, fields: &[(&str, &'static str)]) -> Self {
        if self.field().is_some() {
            return self;
        }
        let code = self.code();
        match fields.iter().find(|(known, _)| *known == code) {
            Some((_, field)) => self.on(field),
            None => self,
        }
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::Conflict(_) => "conflict",
            Self::Coded { code, .. } => code,
            Self::Csrf => "csrf",
            Self::TooManyAttempts(_) | Self::SlowDown(_) => "too_many_attempts",
            Self::Busy => "busy",
            Self::Timeout => "timeout",
            Self::PasswordChangeRequired => "password_change_required",
            Self::Internal(_) => "internal",
        }
    }

    /// The form field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Coded { field, .. } => *field,
            _ => None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Coded { status, .. } => *status,
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
        let error = match error {
            WorkflowError::Store(store) => return store.into(),
            other => other,
        };
        let status = match &error {
            WorkflowError::NotFound { .. } => StatusCode::NOT_FOUND,
            WorkflowError::Refused(_) | WorkflowError::AwaitingConfirmation { .. } => {
                StatusCode::CONFLICT
            }
            WorkflowError::Invalid(_) | WorkflowError::Draw(_) | WorkflowError::Calendar(_) => {
                StatusCode::BAD_REQUEST
            }
            WorkflowError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::Coded {
            status,
            code: error.code(),
            message: error.message_zh(),
            field: error.field(),
        }
    }
}

/// A refusal as a page or API error with `status`.
fn coded(status: StatusCode, refusal: &service::Refusal) -> Error {
    Error::Coded {
        status,
        code: refusal.code(),
        message: refusal.chinese().to_owned(),
        field: refusal.field(),
    }
}

impl From<AccountError> for Error {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(refusal) => coded(StatusCode::BAD_REQUEST, &refusal),
            AccountError::NotFound(refusal) => coded(StatusCode::NOT_FOUND, &refusal),
            AccountError::Conflict(refusal) => coded(StatusCode::CONFLICT, &refusal),
            AccountError::Field(error) => error.into(),
            AccountError::Store(error) => error.into(),
            AccountError::Internal(message) => Self::internal(anyhow::anyhow!(message)),
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::MissingReference { .. } => Self::Coded {
                status: StatusCode::BAD_REQUEST,
                code: "missing_reference",
                message: WorkflowError::Store(error).message_zh(),
                field: None,
            },
            other => Self::internal(other),
        }
    }
}

impl From<InvalidField> for Error {
    fn from(error: InvalidField) -> Self {
        WorkflowError::Invalid(error).into()
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
    /// The stable machine code, e.g. `invalid_field`, `round_exists`.
    pub code: &'static str,
    /// The message shown to the user, in Chinese.
    pub message: String,
    /// The form field at fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// The same message, for clients that read the older `{"error": …}`.
    pub error: String,
}

/// Marks a response as an [`Error`], for the page routers' error pages
/// (`pages::html_errors`).
#[derive(Debug, Clone)]
pub struct ErrorMark {
    /// The message shown to the user.
    pub message: String,
    /// The stable machine code.
    pub code: &'static str,
    /// The form field at fault, if any.
    pub field: Option<&'static str>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(source) = &self {
            tracing::error!(error = format!("{source:#}"), "request failed");
        }
        let message = self.to_string();
        let code = self.code();
        let field = self.field();
        let mut response = (
            status,
            Json(ErrorBody {
                code,
                message: message.clone(),
                field,
                error: message.clone(),
            }),
        )
            .into_response();
        response.extensions_mut().insert(ErrorMark {
            message,
            code,
            field,
        });
        response
    }
}
