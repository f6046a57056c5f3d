//! Accounts and API tokens: what the CLI, the pages and the demo call.
//!
//! - Passwords: Argon2id (the `argon2` crate's defaults), at least
//!   [`MIN_PASSWORD_CHARS`] characters ([`MIN_CHOSEN_PASSWORD_CHARS`] for one
//!   its holder chooses). The hashing runs where the caller's [`Hashing`]
//!   says: in place for the CLI ([`InPlace`]), on a bounded pool for a server.
//! - API tokens: `jg_` and 64 hex digits, shown once; only their SHA-256 is
//!   stored. A new password (changed or reset) and disabling an account revoke
//!   every token of the account in the same transaction.
//! - Every change is on the ledger (`account.created`, `account.changed`,
//!   `account.password`, `token.issued`, `token.revoked`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::Refusal;
use domain::InvalidField;
use domain::account::{Account, ApiToken, Role};
use domain::inspector::CertificateNo;
use storage::{Change, StoreError, WorkflowStore};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The shortest password an account's holder may choose for it.
pub const MIN_CHOSEN_PASSWORD_CHARS: usize = 10;

/// Why an account or token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The input breaks a rule (password policy, unknown department, …).
    #[error("{0}")]
    Invalid(Refusal),
    /// No such account or token.
    #[error("{0}")]
    NotFound(Refusal),
    /// The step conflicts with what exists (the account exists already).
    #[error("{0}")]
    Conflict(Refusal),
    /// An invalid field of the account.
    #[error(transparent)]
    Field(#[from] InvalidField),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The system's randomness or the hasher failed.
    #[error("{0}")]
    Internal(String),
}

/// Shorthand of this module.
pub type Result<T, E = AccountError> = std::result::Result<T, E>;

/// Where Argon2 work runs (each hash holds about 19 MiB for tens of
/// milliseconds): [`InPlace`] for the command line; a server bounds and
/// offloads it, failing with its own error type.
pub trait Hashing: Sync {
    /// The error of the place the work runs, holding [`AccountError`]s too.
    type Error: From<AccountError> + Send;

    /// Runs `work` and returns its result.
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = Result<T, Self::Error>> + Send;
}

/// Runs the Argon2 work on the caller's thread (the CLI, the demo, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct InPlace;

impl Hashing for InPlace {
    type Error = AccountError;

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        Ok(work())
    }
}

/// 32 random bytes as 64 hex digits, from the operating system.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AccountError::Internal(e.to_string()))?;
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
    getrandom::fill(&mut bytes).map_err(|e| AccountError::Internal(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Refuses a password shorter than [`MIN_PASSWORD_CHARS`].
fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid(
            Refusal::new(
                "password_too_short",
                format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
                format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"),
            )
            .on("password"),
        ));
    }
    Ok(())
}

/// Argon2id hash of a password (PHC string), on this thread.
pub fn hash_password(password: &str) -> Result<String> {
    check_password(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AccountError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Internal(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`, on this thread.
pub fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// [`hash_password`] through `hashing` (the policy is checked first, in place).
pub async fn hash_with<H: Hashing>(hashing: &H, password: String) -> Result<String, H::Error> {
    check_password(&password)?;
    Ok(hashing.run(move || hash_password(&password)).await??)
}

/// [`password_matches`] through `hashing`.
pub async fn matches_with<H: Hashing>(
    hashing: &H,
    password: String,
    hash: String,
) -> Result<bool, H::Error> {
    hashing
        .run(move || password_matches(&password, &hash))
        .await
}

/// Every account, by user name.
pub async fn list<S: WorkflowStore>(store: &S) -> Result<Vec<Account>> {
    Ok(store.list::<Account>(None).await?)
}

/// The account `username`, or [`AccountError::NotFound`].
pub async fn existing<S: WorkflowStore>(store: &S, username: &str) -> Result<Account> {
    store.get::<Account>(username).await?.ok_or_else(|| {
        AccountError::NotFound(Refusal::new(
            "not_found",
            format!("no such account: {username}"),
            format!("账号 {username} 不存在"),
        ))
    })
}

/// Creates the first system administrator when there is no account; returns
/// the one-time password to print.
pub async fn bootstrap_admin<S: WorkflowStore>(store: &S) -> Result<Option<String>> {
    if !list(store).await?.is_empty() {
        return Ok(None);
    }
    let password = one_time_password()?;
    let account = Account {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        role: Role::SystemAdmin,
        department: None,
        certificate: None,
        password_hash: hash_password(&password)?,
        must_change_password: true,
        disabled: false,
    };
    store
        .put(
            std::slice::from_ref(&account),
            &Change::new(
                domain::clock::now(),
                "system",
                "account.created",
                "first administrator",
            ),
        )
        .await?;
    Ok(Some(password))
}

/// Creates or replaces an account with a password (CLI, demo, tests), hashing
/// in place. See [`save_account_with`].
pub async fn save_account<S: WorkflowStore>(
    store: &S,
    account: Account,
    password: Option<String>,
    actor: &str,
) -> Result<Account> {
    save_account_with(store, account, password, actor, &InPlace).await
}

/// Creates or replaces an account, hashing a new password through `hashing`.
/// A new password for an existing account, or disabling it, revokes every
/// token of the account in the same transaction.
pub async fn save_account_with<S: WorkflowStore, H: Hashing>(
    store: &S,
    mut account: Account,
    password: Option<String>,
    actor: &str,
    hashing: &H,
) -> Result<Account, H::Error> {
    account.validate().map_err(AccountError::from)?;
    if let Some(code) = &account.department {
        let code = domain::DepartmentCode::parse(code).map_err(AccountError::from)?;
        if store
            .department(&code)
            .await
            .map_err(AccountError::from)?
            .is_none()
        {
            return Err(AccountError::Invalid(
                Refusal::new(
                    "department_unknown",
                    format!("no such department: {code}"),
                    format!("部门 {code} 不存在"),
                )
                .on("department"),
            )
            .into());
        }
    }
    let existing = store
        .get::<Account>(&account.username)
        .await
        .map_err(AccountError::from)?;
    let action = if existing.is_some() {
        "account.changed"
    } else {
        "account.created"
    };
    let revoke = match (&existing, &password) {
        (Some(_), Some(_)) => Some("password reset"),
        (Some(before), None) if account.disabled && !before.disabled => Some("account disabled"),
        _ => None,
    };
    account.password_hash = match (password, existing) {
        (Some(password), _) => hash_with(hashing, password).await?,
        (None, Some(existing)) => existing.password_hash,
        (None, None) => {
            return Err(AccountError::Invalid(
                Refusal::new(
                    "password_required",
                    "a new account needs a password",
                    "新账号需要密码",
                )
                .on("password"),
            )
            .into());
        }
    };
    let change = Change::new(domain::clock::now(), actor, action, account.role.code());
    put_account(store, &account, &change, revoke).await?;
    Ok(account)
}

/// Creates a new account with a one-time password (to be changed at the first
/// login): refused when the user name is taken, without a display name, or
/// with a certificate not in its department's inspector directory. Returns
/// the account and the password (shown once).
pub async fn create_account_with<S: WorkflowStore, H: Hashing>(
    store: &S,
    mut account: Account,
    actor: &str,
    hashing: &H,
) -> Result<(Account, String), H::Error> {
    let username = &account.username;
    if store
        .get::<Account>(username)
        .await
        .map_err(AccountError::from)?
        .is_some()
    {
        return Err(AccountError::Conflict(
            Refusal::new(
                "account_exists",
                format!("account {username} exists"),
                format!("账号 {username} 已存在"),
            )
            .on("username"),
        )
        .into());
    }
    if let Some(cert) = &account.certificate {
        let inspector = store
            .inspector(&CertificateNo::parse(cert).map_err(AccountError::from)?)
            .await
            .map_err(AccountError::from)?;
        if inspector.is_none_or(|i| Some(i.department.as_str()) != account.department.as_deref()) {
            return Err(AccountError::Invalid(
                Refusal::new(
                    "certificate_unknown",
                    format!("certificate {cert} is not in the department's inspector directory"),
                    format!("执法证号 {cert} 不在该部门的执法检查人员名录中"),
                )
                .on("certificate"),
            )
            .into());
        }
    }
    account.display_name = account.display_name.trim().to_owned();
    if account.display_name.is_empty() {
        return Err(AccountError::Invalid(
            Refusal::new("name_required", "display name required", "请填写姓名").on("display_name"),
        )
        .into());
    }
    let password = one_time_password()?;
    account.must_change_password = true;
    account.disabled = false;
    let account = save_account_with(store, account, Some(password.clone()), actor, hashing).await?;
    Ok((account, password))
}

/// Gives `username` a new one-time password (to be changed at the next
/// login), revoking its tokens; returns the password (shown once).
pub async fn reset_password_with<S: WorkflowStore, H: Hashing>(
    store: &S,
    username: &str,
    actor: &str,
    hashing: &H,
) -> Result<String, H::Error> {
    let mut account = existing(store, username).await?;
    let password = one_time_password()?;
    account.must_change_password = true;
    save_account_with(store, account, Some(password.clone()), actor, hashing).await?;
    Ok(password)
}

/// Disables (revoking every live token) or enables `username` again; returns
/// how many tokens were revoked.
pub async fn set_disabled<S: WorkflowStore>(
    store: &S,
    username: &str,
    disabled: bool,
    actor: &str,
) -> Result<usize> {
    let mut account = existing(store, username).await?;
    let revoke = (disabled && !account.disabled).then_some("account disabled");
    account.disabled = disabled;
    let change = Change::new(
        domain::clock::now(),
        actor,
        "account.changed",
        account.role.code(),
    );
    put_account(store, &account, &change, revoke).await
}

/// Sets the password `account`'s holder chose (at least
/// [`MIN_CHOSEN_PASSWORD_CHARS`] characters), clears the one-time flag and
/// revokes every token of the account, in one transaction.
pub async fn change_password_with<S: WorkflowStore, H: Hashing>(
    store: &S,
    mut account: Account,
    new_password: String,
    actor: &str,
    hashing: &H,
) -> Result<Account, H::Error> {
    if new_password.chars().count() < MIN_CHOSEN_PASSWORD_CHARS {
        return Err(AccountError::Invalid(
            Refusal::new(
                "password_too_short",
                format!("a new password has at least {MIN_CHOSEN_PASSWORD_CHARS} characters"),
                format!("新密码至少 {MIN_CHOSEN_PASSWORD_CHARS} 个字符"),
            )
            .on("new_password"),
        )
        .into());
    }
    account.password_hash = hash_with(hashing, new_password).await?;
    account.must_change_password = false;
    let change = Change::new(
        domain::clock::now(),
        actor,
        "account.password",
        "password changed",
    );
    put_account(store, &account, &change, Some("password changed")).await?;
    Ok(account)
}

/// Writes an account; with `revoke` (why), also revokes every live token of
/// the account, in the same transaction. Returns the tokens revoked.
async fn put_account<S: WorkflowStore>(
    store: &S,
    account: &Account,
    change: &Change,
    revoke: Option<&str>,
) -> Result<usize> {
    let revoked: Vec<ApiToken> = match revoke {
        Some(_) => tokens_of(store, &account.username)
            .await?
            .into_iter()
            .filter(|t| !t.revoked)
            .map(|t| ApiToken { revoked: true, ..t })
            .collect(),
        None => Vec::new(),
    };
    let revoked_change = Change::new(
        change.at,
        &change.actor,
        "token.revoked",
        revoke.unwrap_or_default(),
    );
    store
        .put_both(
            (std::slice::from_ref(account), change),
            (revoked.as_slice(), &revoked_change),
        )
        .await?;
    Ok(revoked.len())
}

/// Issues an API token for an account; returns the token (shown once).
pub async fn issue_token<S: WorkflowStore>(
    store: &S,
    username: &str,
    label: &str,
    actor: &str,
) -> Result<String> {
    existing(store, username).await?;
    let token = format!("jg_{}", random_token()?);
    let at = domain::clock::now();
    let record = ApiToken {
        digest: token_digest(&token),
        username: username.to_owned(),
        label: label.to_owned(),
        revoked: false,
        issued_at: Some(at.to_rfc3339()),
    };
    store
        .put(
            std::slice::from_ref(&record),
            &Change::new(at, actor, "token.issued", label),
        )
        .await?;
    Ok(token)
}

/// The live token `token` presented by a client, with its active account;
/// `None` when the token is unknown or revoked or the account disabled.
pub async fn verify_token<S: WorkflowStore>(store: &S, token: &str) -> Result<Option<Account>> {
    let Some(record) = store
        .get::<ApiToken>(&token_digest(token))
        .await?
        .filter(|t| !t.revoked)
    else {
        return Ok(None);
    };
    Ok(store
        .get::<Account>(&record.username)
        .await?
        .filter(|a| !a.disabled))
}

/// Every token of an account (live and revoked), by digest.
pub async fn tokens_of<S: WorkflowStore>(store: &S, username: &str) -> Result<Vec<ApiToken>> {
    Ok(store.list::<ApiToken>(Some(("username", username))).await?)
}

/// What a token revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now.
    Now(ApiToken),
    /// It was revoked before; nothing written.
    Already(ApiToken),
}

/// Revokes one token of `username`, named by its fingerprint (a prefix of its
/// digest, at least [`ApiToken::FINGERPRINT_LEN`] hex digits) or the token itself.
pub async fn revoke_token<S: WorkflowStore>(
    store: &S,
    username: &str,
    which: &str,
    actor: &str,
) -> Result<Revoked> {
    let which = which.trim();
    let prefix = if which.starts_with("jg_") {
        token_digest(which)
    } else {
        which.to_ascii_lowercase()
    };
    if prefix.len() < ApiToken::FINGERPRINT_LEN || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AccountError::Invalid(Refusal::new(
            "invalid_fingerprint",
            format!(
                "a token fingerprint is at least {} hex digits",
                ApiToken::FINGERPRINT_LEN
            ),
            format!(
                "令牌指纹应为至少 {} 位十六进制数字",
                ApiToken::FINGERPRINT_LEN
            ),
        )));
    }
    let mut matching: Vec<ApiToken> = tokens_of(store, username)
        .await?
        .into_iter()
        .filter(|t| t.digest.starts_with(&prefix))
        .collect();
    let token = match (matching.pop(), matching.is_empty()) {
        (Some(token), true) => token,
        (Some(_), false) => {
            return Err(AccountError::Invalid(Refusal::new(
                "ambiguous_fingerprint",
                format!("fingerprint {which} is ambiguous"),
                format!("指纹 {which} 对应多个令牌"),
            )));
        }
        (None, _) => {
            return Err(AccountError::NotFound(Refusal::new(
                "not_found",
                format!("account {username} has no token with fingerprint {which}"),
                format!("账号 {username} 没有指纹为 {which} 的令牌"),
            )));
        }
    };
    if token.revoked {
        return Ok(Revoked::Already(token));
    }
    let token = ApiToken {
        revoked: true,
        ..token
    };
    let detail = format!("{} ({})", token.fingerprint(), token.label);
    store
        .put(
            std::slice::from_ref(&token),
            &Change::new(domain::clock::now(), actor, "token.revoked", detail),
        )
        .await?;
    Ok(Revoked::Now(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches("correct horse", &hash));
        assert!(!password_matches("wrong horse!", &hash));
        assert!(!password_matches("correct horse", "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(AccountError::Invalid(_))
        ));
    }

    #[test]
    fn tokens_and_one_time_passwords_are_random_and_readable() {
        let (a, b) = (
            random_token().unwrap_or_default(),
            random_token().unwrap_or_default(),
        );
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_digest("jg_x").len(), 64);
        let password = one_time_password().unwrap_or_default();
        assert_eq!(password.chars().count(), 16);
        assert!(!password.contains(['0', 'O', 'l', '1', 'I']));
    }
}
