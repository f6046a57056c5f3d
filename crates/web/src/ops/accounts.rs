//! Accounts and API tokens as the staff pages and the API both list them.

use serde::Serialize;

use crate::AppState;
use crate::error::Result;
use domain::account::{Account, ApiToken};

/// An API token as listed (never its digest in full).
#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    /// Its account.
    pub username: String,
    /// The first digits of its digest.
    pub fingerprint: String,
    /// What it is for.
    pub label: String,
    /// When it was issued ("—" when unknown).
    pub issued_at: String,
    /// Revoked.
    pub revoked: bool,
}

impl From<&ApiToken> for TokenRow {
    fn from(token: &ApiToken) -> Self {
        Self {
            username: token.username.clone(),
            fingerprint: token.fingerprint().to_owned(),
            label: token.label.clone(),
            issued_at: token.issued_at.as_deref().map_or_else(
                || "—".to_owned(),
                |at| at.get(..16).unwrap_or(at).replace('T', " "),
            ),
            revoked: token.revoked,
        }
    }
}

/// An account as listed (never its password hash).
#[derive(Debug, Clone, Serialize)]
pub struct AccountRow {
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Role in Chinese.
    pub role_label: String,
    /// Department code.
    pub department: Option<String>,
    /// Inspector certificate.
    pub certificate: Option<String>,
    /// Must change the password at the next login.
    pub must_change_password: bool,
    /// Disabled.
    pub disabled: bool,
}

impl From<&Account> for AccountRow {
    fn from(account: &Account) -> Self {
        Self {
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            role: account.role.code().to_owned(),
            role_label: account.role.label().to_owned(),
            department: account.department.clone(),
            certificate: account.certificate.clone(),
            must_change_password: account.must_change_password,
            disabled: account.disabled,
        }
    }
}

/// Every account, by user name.
pub async fn list(state: &AppState) -> Result<Vec<AccountRow>> {
    Ok(service::accounts::list(&state.db)
        .await?
        .iter()
        .map(AccountRow::from)
        .collect())
}
