//! The e-licence library's workflows: the city's signing key (a file outside
//! the database, mode 0600), importing types and licences (each licence
//! signed), issuing one licence, verifying a licence file, and revocation.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::Value;

use crate::now;
use domain::clock::today;
use domain::credit::Subject;
use domain::licence::{self, Licence, LicenceStatus, LicenceType, VerifyFailure};
use files::licences::{read_licences, read_types};
use files::{ImportError, Outcome};
use storage::licences::{LicenceStore, LicencesWritten, SignedLicence, StoredLicence};
use storage::{Change, Db, StoreError};

/// File name of the key in the data folder when the database is not a local file.
pub const KEY_FILE: &str = "licence-signing.key";

/// Why a licence workflow failed.
#[derive(Debug, thiserror::Error)]
pub enum LicenceError {
    /// The file cannot be read.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The key file is missing, unreadable or malformed (never its content).
    #[error("licence-signing key {path}: {reason}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Input refused, with the reason.
    #[error("{0}")]
    Invalid(String),
}

impl LicenceError {
    /// Whether the error is the caller's input (exit 2), not a failure.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Import(error) => error.is_bad_input(),
            Self::Store(_) => false,
            Self::Key { .. } | Self::Invalid(_) => true,
        }
    }
}

/// Where the key lives by default: next to a SQLite database file
/// (`FILE.licence.key`), else `KEY_FILE` in the data folder.
pub fn default_key_path(url: &str, data_dir: &Path) -> PathBuf {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return data_dir.join(KEY_FILE);
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.contains(":memory:") {
        return data_dir.join(KEY_FILE);
    }
    PathBuf::from(format!("{path}.licence.key"))
}

fn key_error(path: &Path, reason: impl Into<String>) -> LicenceError {
    LicenceError::Key {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Reads the signing key: 64 hex digits (the Ed25519 seed), mode 0600.
pub fn load_key(path: &Path) -> Result<SigningKey, LicenceError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = std::fs::metadata(path).map_err(|e| {
            key_error(
                path,
                format!(
                    "{e} (create it with `jianguan licences key --create`, or pass --licence-key)"
                ),
            )
        })?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(key_error(
                path,
                "is readable by others: chmod 600 it (the key stays private)",
            ));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| key_error(path, e.to_string()))?;
    let seed =
        licence::from_hex::<32>(&text).ok_or_else(|| key_error(path, "is not 64 hex digits"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The city's key: loaded from `path`, or created there (mode 0600) when
/// missing; its public key recorded in the database. `true` when it was
/// created now.
pub async fn ensure_key(db: &Db, path: &Path) -> Result<(SigningKey, bool), LicenceError> {
    let recorded = db.licence_public_key().await?;
    let (key, created) = if path.exists() {
        (load_key(path)?, false)
    } else if recorded.is_some() {
        return Err(key_error(
            path,
            "is missing, but the database records the city's public key already: \
             restore the key file from its backup (a new key would not match the licences signed)",
        ));
    } else {
        (create_key(path)?, true)
    };
    let public = licence::to_hex(key.verifying_key().as_bytes());
    match recorded {
        Some(recorded) if recorded == public => {}
        Some(_) => {
            return Err(key_error(
                path,
                "is not the key whose public key the database records for this city",
            ));
        }
        None => {
            db.set_licence_public_key(&public, &now().to_rfc3339())
                .await?
        }
    }
    Ok((key, created))
}

fn create_key(path: &Path) -> Result<SigningKey, LicenceError> {
    use std::io::Write as _;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| key_error(path, e.to_string()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| key_error(path, e.to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| key_error(path, e.to_string()))?;
    writeln!(file, "{}", licence::to_hex(&seed)).map_err(|e| key_error(path, e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The city's public key as recorded in the database.
pub async fn public_key(db: &Db) -> Result<Option<VerifyingKey>, LicenceError> {
    Ok(db
        .licence_public_key()
        .await?
        .and_then(|hex| licence::public_key_from_hex(&hex)))
}

fn source_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// What an import of licence types did.
#[derive(Debug)]
pub struct TypesImport {
    /// Rows and problems (`inserted`/`updated`/`unchanged` filled in).
    pub outcome: Outcome,
    /// Types in the library after it.
    pub types: usize,
}

/// Imports a licence types file: upserted by code, one ledger entry.
pub async fn import_types(db: &Db, path: &Path, actor: &str) -> Result<TypesImport, LicenceError> {
    let owned = path.to_owned();
    let file = files::off_async(path, move || read_types(&owned)).await?;
    let mut outcome = file.outcome;
    if !file.types.is_empty() {
        let (inserted, updated) = db
            .put_licence_types(
                &file.types,
                &Change::new(now(), actor, "licence.types.imported", source_name(path)),
            )
            .await?;
        outcome.inserted = inserted;
        outcome.updated = updated;
        outcome.unchanged = (file.types.len() as u64).saturating_sub(inserted + updated);
    }
    let types = db.licence_types().await?.len();
    Ok(TypesImport { outcome, types })
}

/// Signs `batch` on up to `threads` threads, in order.
pub fn sign_all(batch: Vec<Licence>, key: &SigningKey, threads: usize) -> Vec<SignedLicence> {
    let sign = |licence: Licence| {
        let signature = licence::to_hex(&licence.sign(key));
        SignedLicence { licence, signature }
    };
    let threads = threads.clamp(1, 16);
    if threads == 1 || batch.len() < 256 {
        return batch.into_iter().map(sign).collect();
    }
    let per = batch.len().div_ceil(threads);
    let mut parts: Vec<Vec<Licence>> = Vec::with_capacity(threads);
    let mut rest = batch;
    while rest.len() > per {
        let tail = rest.split_off(per);
        parts.push(rest);
        rest = tail;
    }
    parts.push(rest);
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(sign).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Threads to sign on: the machine's cores.
pub fn signing_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// What an import of licences did.
#[derive(Debug)]
pub struct LicencesImport {
    /// Rows and problems (`inserted`/`updated`/`unchanged` filled in).
    pub outcome: Outcome,
    /// What the write did.
    pub written: LicencesWritten,
}

enum Batch {
    Signed(Vec<SignedLicence>),
    Done(Result<Outcome, ImportError>),
}

/// Imports a licence file: every valid row signed with `key` and upserted by
/// 证照编号, all in one transaction with one ledger entry; a reader thread
/// reads and signs while the batches already signed are written.
pub async fn import_licences(
    db: &Db,
    path: &Path,
    key: &SigningKey,
    actor: &str,
) -> Result<LicencesImport, LicenceError> {
    let types: HashMap<String, LicenceType> = db
        .licence_types()
        .await?
        .into_iter()
        .map(|t| (t.code.clone(), t))
        .collect();
    let (sender, mut receiver) = tokio::sync::mpsc::channel(2);
    let owned = path.to_owned();
    let signing = key.clone();
    let threads = signing_threads();
    let reader = std::thread::spawn(move || {
        let result = read_licences(&owned, &types, |batch, _, _| {
            let signed = sign_all(batch, &signing, threads);
            match sender.blocking_send(Batch::Signed(signed)) {
                Ok(()) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            }
        });
        let _ = sender.blocking_send(Batch::Done(result));
    });
    let mut writer = db.licence_writer().await?;
    let mut valid = 0u64;
    let mut result = None;
    let mut failure = None;
    while let Some(message) = receiver.recv().await {
        match message {
            Batch::Signed(batch) => {
                valid += batch.len() as u64;
                if let Err(error) = writer.add(batch).await {
                    failure = Some(error);
                    break;
                }
            }
            Batch::Done(outcome) => result = Some(outcome),
        }
    }
    drop(receiver);
    let _ = reader.join();
    if let Some(error) = failure {
        return Err(error.into());
    }
    let mut outcome = match result {
        Some(outcome) => outcome?,
        None => {
            return Err(LicenceError::Invalid(
                "the reader stopped before the end of the file".into(),
            ));
        }
    };
    let written = writer
        .finish(
            &source_name(path),
            &Change::new(now(), actor, "licences.imported", source_name(path)),
        )
        .await?;
    outcome.inserted = written.inserted;
    outcome.updated = written.updated;
    let distinct = valid.saturating_sub(outcome.superseded as u64);
    outcome.unchanged = distinct.saturating_sub(written.inserted + written.updated);
    Ok(LicencesImport { outcome, written })
}

/// A licence to issue: what `licences issue` is given.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// 证照类型代码.
    pub type_code: String,
    /// 统一社会信用代码 or 居民身份证号码.
    pub holder: String,
    /// The holder's name.
    pub holder_name: String,
    /// 有效期起 (also the 颁证日期).
    pub valid_from: NaiveDate,
    /// 有效期止; `None`: from the type's years, or 长期.
    pub valid_until: Option<NaiveDate>,
    /// 照面字段 and values.
    pub fields: Vec<(String, String)>,
    /// 证照编号; `None`: a new number `TYPE-YYYYMMDD-XXXXXXXX`.
    pub no: Option<String>,
}

/// Issues one licence: validated against its type, numbered, signed, and
/// recorded with its ledger entry. Returns the signed licence object.
pub async fn issue(
    db: &Db,
    key: &SigningKey,
    request: &IssueRequest,
    actor: &str,
) -> Result<Value, LicenceError> {
    let types = db.licence_types().await?;
    let kind = types
        .iter()
        .find(|t| t.code == request.type_code.trim())
        .ok_or_else(|| {
            LicenceError::Invalid(format!(
                "no licence type has the code {:?} (import the types first)",
                request.type_code
            ))
        })?;
    let holder = Subject::parse_valid(&request.holder).map_err(|_| {
        LicenceError::Invalid(
            "--holder is not a valid 统一社会信用代码 or 居民身份证号码 (check digits)".into(),
        )
    })?;
    let mut fields = std::collections::BTreeMap::new();
    for (name, value) in &request.fields {
        if !kind.fields.contains(name) {
            return Err(LicenceError::Invalid(format!(
                "{name:?} is not a face field of type {} (fields: {})",
                kind.code,
                kind.fields.join("、")
            )));
        }
        fields.insert(name.clone(), value.clone());
    }
    let no = match &request.no {
        Some(no) => no.trim().to_owned(),
        None => {
            let mut random = [0u8; 4];
            getrandom::fill(&mut random).map_err(|e| LicenceError::Invalid(e.to_string()))?;
            format!(
                "{}-{}-{}",
                kind.code,
                today().format("%Y%m%d"),
                licence::to_hex(&random).to_uppercase()
            )
        }
    };
    if db.licence(&no).await?.is_some() {
        return Err(LicenceError::Invalid(format!(
            "licence {no} exists already"
        )));
    }
    let licence = Licence {
        no: no.clone(),
        type_code: kind.code.clone(),
        type_name: kind.name.clone(),
        holder,
        holder_name: request.holder_name.trim().to_owned(),
        issuer: kind.issuer.clone(),
        issued_on: today(),
        valid_from: request.valid_from,
        valid_until: request
            .valid_until
            .or_else(|| kind.valid_until(request.valid_from)),
        status: LicenceStatus::Valid,
        fields,
    };
    licence
        .validate()
        .map_err(|e| LicenceError::Invalid(e.to_string()))?;
    let signature = licence.sign(key);
    let value = licence.signed_json(&signature);
    let mut writer = db.licence_writer().await?;
    writer
        .add(vec![SignedLicence {
            licence,
            signature: licence::to_hex(&signature),
        }])
        .await?;
    writer
        .finish(
            &no,
            &Change::new(now(), actor, "licence.issued", no.clone()),
        )
        .await?;
    Ok(value)
}

/// Why a licence file does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The signature is missing, malformed or wrong.
    #[error(transparent)]
    Signature(#[from] VerifyFailure),
    /// Signed, but not a well-formed licence object.
    #[error("not a jianguan-licence/v1 object: {0}")]
    Malformed(String),
    /// The library holds no licence with the number.
    #[error("licence {0} is not in the licence library")]
    Unknown(String),
    /// The library's record differs from the file.
    #[error("licence {0} differs from the licence library's record")]
    Differs(String),
    /// Revoked (注销).
    #[error("licence {no} was revoked (注销) on {on}: {reason}")]
    Revoked {
        /// The number.
        no: String,
        /// When.
        on: String,
        /// Why.
        reason: String,
    },
    /// Past its last day of validity.
    #[error("licence {no} expired on {until}")]
    Expired {
        /// The number.
        no: String,
        /// The last day of validity.
        until: NaiveDate,
    },
    /// Its validity has not begun.
    #[error("licence {no} is valid only from {from}")]
    NotYetValid {
        /// The number.
        no: String,
        /// The first day.
        from: NaiveDate,
    },
}

/// Verifies a licence object: its signature under `key`, then its dates on
/// `on`, then, when `stored` is given (`Some(None)`: the library has no such
/// number), the library's record (status, revocation, content).
pub fn verify(
    value: &Value,
    key: &VerifyingKey,
    stored: Option<Option<&StoredLicence>>,
    on: NaiveDate,
) -> Result<Licence, Rejection> {
    licence::verify_signature(value, key)?;
    let licence = Licence::from_json(value).map_err(|e| Rejection::Malformed(e.to_string()))?;
    let revoked = |stored: &StoredLicence| Rejection::Revoked {
        no: licence.no.clone(),
        on: stored
            .revoked_on
            .map_or_else(|| "an unknown date".into(), |d| d.to_string()),
        reason: stored.revoked_reason.clone().unwrap_or_default(),
    };
    if let Some(stored) = stored {
        let stored = stored.ok_or_else(|| Rejection::Unknown(licence.no.clone()))?;
        if stored.licence.status == LicenceStatus::Revoked {
            return Err(revoked(stored));
        }
        if stored.licence != licence {
            return Err(Rejection::Differs(licence.no.clone()));
        }
    }
    match licence.status_on(on) {
        LicenceStatus::Revoked => {
            return Err(Rejection::Revoked {
                no: licence.no.clone(),
                on: "an unknown date".into(),
                reason: "the licence says 注销".into(),
            });
        }
        LicenceStatus::Expired => {
            return Err(Rejection::Expired {
                no: licence.no.clone(),
                until: licence.valid_until.unwrap_or(on),
            });
        }
        LicenceStatus::Valid => {}
    }
    if licence.valid_from > on {
        return Err(Rejection::NotYetValid {
            no: licence.no.clone(),
            from: licence.valid_from,
        });
    }
    Ok(licence)
}

/// Revokes (注销) a licence: its record becomes 注销, re-signed, with the
/// reason and a ledger entry, in one transaction.
pub async fn revoke(
    db: &Db,
    key: &SigningKey,
    no: &str,
    reason: &str,
    actor: &str,
) -> Result<StoredLicence, LicenceError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(LicenceError::Invalid(
            "--reason is required (at most 500 characters)".into(),
        ));
    }
    let stored = db
        .licence(no.trim())
        .await?
        .ok_or_else(|| LicenceError::Invalid(format!("no licence has the number {no:?}")))?;
    if stored.licence.status == LicenceStatus::Revoked {
        return Err(LicenceError::Invalid(format!(
            "licence {no} is revoked already"
        )));
    }
    let mut licence = stored.licence;
    licence.status = LicenceStatus::Revoked;
    let signature = licence::to_hex(&licence.sign(key));
    let on = today();
    let change = Change::new(
        now(),
        actor,
        "licence.revoked",
        format!("{} 注销：{reason}", licence.no),
    );
    if !db
        .revoke_licence(&licence.no, on, reason, &signature, &change)
        .await?
    {
        return Err(LicenceError::Invalid(format!(
            "licence {no} is revoked already"
        )));
    }
    Ok(StoredLicence {
        licence,
        signature,
        revoked_on: Some(on),
        revoked_reason: Some(reason.to_owned()),
    })
}

/// The signed licence object of a stored licence.
pub fn stored_json(stored: &StoredLicence) -> Value {
    let mut value = stored.licence.to_json();
    if let Value::Object(map) = &mut value {
        map.insert("signature".into(), stored.signature.clone().into());
    }
    value
}
