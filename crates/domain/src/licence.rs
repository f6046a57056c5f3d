//! The e-licence library (电子证照库): licence types, licences, their JSON
//! object (`jianguan-licence/v1`, documented in docs/licences.md), RFC 8785
//! canonical JSON and the Ed25519 signature over it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde_json::{Map, Value};

use crate::credit::{Subject, SubjectKind};
use crate::entity::chinese_enum;
use crate::field::InvalidField;

pub mod jcs;

/// The `schema` member of every licence object.
pub const SCHEMA: &str = "jianguan-licence/v1";
/// Longest 证照编号 and 证照类型代码, in characters.
pub const MAX_CODE: usize = 64;
/// Longest name (证照名称, holder name, issuer), in characters.
pub const MAX_NAME: usize = 200;
/// Most face fields (照面字段) per type or licence.
pub const MAX_FIELDS: usize = 50;
/// Longest face field value, in characters.
pub const MAX_FIELD_VALUE: usize = 500;
/// Longest validity of a type, in years.
pub const MAX_YEARS: u32 = 100;

chinese_enum! {
    /// A licence's status.
    LicenceStatus, "status", "the status is 有效, 注销 or 过期" {
        /// In force.
        Valid = "有效" | "valid",
        /// Revoked (注销).
        Revoked = "注销" | "已注销" | "revoked",
        /// Expired.
        Expired = "过期" | "已过期" | "expired",
    }
}

/// A licence type of the library.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LicenceType {
    /// 证照类型代码.
    pub code: String,
    /// 证照名称.
    pub name: String,
    /// 颁发部门.
    pub issuer: String,
    /// 有效期（年）; `None`: 长期.
    pub years: Option<u32>,
    /// 照面字段, in order.
    pub fields: Vec<String>,
}

/// `text` trimmed, non-empty and at most `max` characters.
fn bounded(field: &'static str, text: &str, max: usize) -> Result<String, InvalidField> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(InvalidField::new(field, text, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(InvalidField::new(
            field,
            text,
            format!("at most {max} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidField::new(
            field,
            text,
            "must not hold control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

impl LicenceType {
    /// Checks every field's bounds; field names are unique.
    pub fn validate(&self) -> Result<(), InvalidField> {
        bounded("code", &self.code, MAX_CODE)?;
        bounded("name", &self.name, MAX_NAME)?;
        bounded("issuer", &self.issuer, MAX_NAME)?;
        if let Some(years) = self.years
            && !(1..=MAX_YEARS).contains(&years)
        {
            return Err(InvalidField::new(
                "years",
                years.to_string(),
                format!("between 1 and {MAX_YEARS} years, or empty for 长期"),
            ));
        }
        if self.fields.len() > MAX_FIELDS {
            return Err(InvalidField::new(
                "fields",
                self.fields.join("、"),
                format!("at most {MAX_FIELDS} face fields"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for field in &self.fields {
            bounded("fields", field, MAX_NAME)?;
            if !seen.insert(field) {
                return Err(InvalidField::new("fields", field, "is listed twice"));
            }
        }
        Ok(())
    }

    /// Parses 照面字段: names separated by `、` (or `,`/`，`/`;`/`；`), blanks dropped.
    pub fn parse_fields(text: &str) -> Vec<String> {
        text.split(['、', ',', '，', ';', '；'])
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The last day of a licence valid from `from`: `from` plus the type's
    /// years, less one day; `None` for 长期.
    pub fn valid_until(&self, from: NaiveDate) -> Option<NaiveDate> {
        let years = self.years?;
        from.checked_add_months(chrono::Months::new(years.saturating_mul(12)))
            .and_then(|d| d.pred_opt())
    }
}

/// A licence as the library holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    /// 证照编号 (unique).
    pub no: String,
    /// 证照类型代码.
    pub type_code: String,
    /// 证照名称.
    pub type_name: String,
    /// The holder's 统一社会信用代码 or 居民身份证号码 (never shown in full on pages).
    pub holder: Subject,
    /// The holder's name.
    pub holder_name: String,
    /// 颁发部门.
    pub issuer: String,
    /// 颁证日期.
    pub issued_on: NaiveDate,
    /// 有效期起.
    pub valid_from: NaiveDate,
    /// 有效期止; `None`: 长期.
    pub valid_until: Option<NaiveDate>,
    /// Status as recorded.
    pub status: LicenceStatus,
    /// 照面字段 and their values.
    pub fields: BTreeMap<String, String>,
}

impl Licence {
    /// Checks bounds and dates.
    pub fn validate(&self) -> Result<(), InvalidField> {
        bounded("no", &self.no, MAX_CODE)?;
        bounded("type_code", &self.type_code, MAX_CODE)?;
        bounded("type_name", &self.type_name, MAX_NAME)?;
        bounded("holder_name", &self.holder_name, MAX_NAME)?;
        bounded("issuer", &self.issuer, MAX_NAME)?;
        if let Some(until) = self.valid_until
            && until < self.valid_from
        {
            return Err(InvalidField::new(
                "valid_until",
                until.to_string(),
                "is before the start of validity",
            ));
        }
        if self.fields.len() > MAX_FIELDS {
            return Err(InvalidField::new(
                "fields",
                self.fields.len().to_string(),
                format!("at most {MAX_FIELDS} face fields"),
            ));
        }
        for (key, value) in &self.fields {
            bounded("fields", key, MAX_NAME)?;
            if value.chars().count() > MAX_FIELD_VALUE || value.chars().any(char::is_control) {
                return Err(InvalidField::new(
                    "fields",
                    value,
                    format!("at most {MAX_FIELD_VALUE} characters, no control characters"),
                ));
            }
        }
        Ok(())
    }

    /// The status on `date`: 注销 as recorded, else 过期 after the last day of
    /// validity, else 有效.
    pub fn status_on(&self, date: NaiveDate) -> LicenceStatus {
        match self.status {
            LicenceStatus::Revoked => LicenceStatus::Revoked,
            _ if self.valid_until.is_some_and(|until| until < date) => LicenceStatus::Expired,
            status => status,
        }
    }

    /// The holder's name for the public: an enterprise's in full, a person's
    /// as surname + 某.
    pub fn public_holder_name(&self) -> String {
        match self.holder.kind() {
            SubjectKind::Enterprise => self.holder_name.clone(),
            SubjectKind::Person => format!("{}某", surname(&self.holder_name)),
        }
    }

    /// The licence object without `signature` (docs/licences.md).
    pub fn to_json(&self) -> Value {
        let mut holder = Map::new();
        holder.insert("id".into(), self.holder.as_str().into());
        holder.insert("kind".into(), self.holder.kind().as_str().into());
        holder.insert("name".into(), self.holder_name.clone().into());
        let fields: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let mut object = Map::new();
        object.insert("schema".into(), SCHEMA.into());
        object.insert("no".into(), self.no.clone().into());
        object.insert("type_code".into(), self.type_code.clone().into());
        object.insert("type_name".into(), self.type_name.clone().into());
        object.insert("holder".into(), Value::Object(holder));
        object.insert("issuer".into(), self.issuer.clone().into());
        object.insert("issued_on".into(), self.issued_on.to_string().into());
        object.insert("valid_from".into(), self.valid_from.to_string().into());
        object.insert(
            "valid_until".into(),
            self.valid_until
                .map_or(Value::Null, |d| Value::String(d.to_string())),
        );
        object.insert("status".into(), self.status.as_str().into());
        object.insert("fields".into(), Value::Object(fields));
        Value::Object(object)
    }

    /// Reads a licence object (with or without `signature`).
    pub fn from_json(value: &Value) -> Result<Self, InvalidField> {
        let object = value
            .as_object()
            .ok_or_else(|| InvalidField::new("licence", "", "is not a JSON object"))?;
        let text = |map: &Map<String, Value>, key: &'static str| -> Result<String, InvalidField> {
            map.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| InvalidField::new(key, "", "is missing or not a string"))
        };
        let date =
            |map: &Map<String, Value>, key: &'static str| -> Result<NaiveDate, InvalidField> {
                let text = text(map, key)?;
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|_| InvalidField::new(key, &text, "is not a date YYYY-MM-DD"))
            };
        if text(object, "schema")? != SCHEMA {
            return Err(InvalidField::new(
                "schema",
                text(object, "schema")?,
                "is not jianguan-licence/v1",
            ));
        }
        let holder = object
            .get("holder")
            .and_then(Value::as_object)
            .ok_or_else(|| InvalidField::new("holder", "", "is missing or not an object"))?;
        let holder_id = Subject::parse_valid(&text(holder, "id")?).map_err(|e| {
            InvalidField::new("holder", "", format!("holder.id: {}", e.reason_zh()))
        })?;
        let valid_until = match object.get("valid_until") {
            Some(Value::Null) => None,
            Some(_) => Some(date(object, "valid_until")?),
            None => return Err(InvalidField::new("valid_until", "", "is missing")),
        };
        let mut fields = BTreeMap::new();
        match object.get("fields") {
            Some(Value::Object(map)) => {
                for (key, value) in map {
                    let value = value.as_str().ok_or_else(|| {
                        InvalidField::new("fields", key, "face field values are strings")
                    })?;
                    fields.insert(key.clone(), value.to_owned());
                }
            }
            _ => {
                return Err(InvalidField::new(
                    "fields",
                    "",
                    "is missing or not an object",
                ));
            }
        }
        let licence = Self {
            no: text(object, "no")?,
            type_code: text(object, "type_code")?,
            type_name: text(object, "type_name")?,
            holder: holder_id,
            holder_name: text(holder, "name")?,
            issuer: text(object, "issuer")?,
            issued_on: date(object, "issued_on")?,
            valid_from: date(object, "valid_from")?,
            valid_until,
            status: LicenceStatus::parse(&text(object, "status")?)?,
            fields,
        };
        licence.validate()?;
        Ok(licence)
    }

    /// The bytes signed: the RFC 8785 canonical JSON of [`Licence::to_json`].
    pub fn signing_bytes(&self) -> Vec<u8> {
        jcs::canonical(&self.to_json()).into_bytes()
    }

    /// Signs the licence with the city's key.
    pub fn sign(&self, key: &SigningKey) -> [u8; 64] {
        key.sign(&self.signing_bytes()).to_bytes()
    }

    /// The signed licence object: [`Licence::to_json`] plus `signature` (hex).
    pub fn signed_json(&self, signature: &[u8; 64]) -> Value {
        let mut value = self.to_json();
        if let Value::Object(map) = &mut value {
            map.insert("signature".into(), to_hex(signature).into());
        }
        value
    }
}

/// What happened to the library, as recorded with its ledger entry: an
/// import (types or licences), an issue or a revocation. No ID numbers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LicenceEvent {
    /// Unique: `KIND:SUBJECT:TIME`, or `revoked:NO` / `issued:NO`.
    pub id: String,
    /// `types.imported`, `licences.imported`, `issued` or `revoked`.
    pub kind: String,
    /// The file name or the 证照编号.
    pub subject: String,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// Counts, or the reason.
    pub detail: String,
}

/// Compound surnames kept whole when a person's name is shortened to surname + 某.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "令狐", "夏侯", "端木", "澹台", "南宫", "独孤",
];

/// The surname of a Chinese name: a listed compound surname, else the first character.
pub fn surname(name: &str) -> String {
    let name = name.trim();
    COMPOUND_SURNAMES
        .iter()
        .find(|s| name.starts_with(*s) && name.chars().count() > 2)
        .map_or_else(
            || name.chars().next().map(String::from).unwrap_or_default(),
            |s| (*s).to_owned(),
        )
}

/// Why a licence object fails verification (English, for the CLI).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyFailure {
    /// No `signature` member, or not 128 hex digits.
    #[error("the signature is missing or malformed")]
    MalformedSignature,
    /// The signature does not match the canonical JSON under the key.
    #[error("the signature does not match the licence (altered, or not signed by this city's key)")]
    BadSignature,
}

/// Verifies a licence object's `signature` (hex) over the RFC 8785 canonical
/// JSON of the object without its `signature` member, as received.
pub fn verify_signature(value: &Value, key: &VerifyingKey) -> Result<(), VerifyFailure> {
    let Value::Object(map) = value else {
        return Err(VerifyFailure::MalformedSignature);
    };
    let signature = map
        .get("signature")
        .and_then(Value::as_str)
        .and_then(from_hex::<64>)
        .ok_or(VerifyFailure::MalformedSignature)?;
    let mut unsigned = map.clone();
    unsigned.remove("signature");
    let bytes = jcs::canonical(&Value::Object(unsigned));
    key.verify(
        bytes.as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&signature),
    )
    .map_err(|_| VerifyFailure::BadSignature)
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    text
}

/// Exactly `N` bytes from hex (either case), else `None`.
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim().as_bytes();
    if text.len() != N * 2 {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = [0u8; N];
    for (i, pair) in text.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// A public key from 64 hex digits.
pub fn public_key_from_hex(text: &str) -> Option<VerifyingKey> {
    from_hex::<32>(text).and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Licence {
        Licence {
            no: "420200-SP-0001".into(),
            type_code: "SP".into(),
            type_name: "食品经营许可证".into(),
            holder: Subject::parse_valid("11010519491231002X").unwrap_or_else(|_| unreachable!()),
            holder_name: "欧阳小明".into(),
            issuer: "黄石市市场监督管理局".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            valid_until: NaiveDate::from_ymd_opt(2031, 1, 4),
            status: LicenceStatus::Valid,
            fields: BTreeMap::from([("经营场所".to_owned(), "黄石港区\"一号\"".to_owned())]),
        }
    }

    #[test]
    fn signed_licences_verify_and_tampered_ones_do_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let licence = sample();
        let signed = licence.signed_json(&licence.sign(&key));
        assert_eq!(verify_signature(&signed, &key.verifying_key()), Ok(()));
        assert_eq!(Licence::from_json(&signed), Ok(licence));
        let mut altered = signed.clone();
        altered["holder"]["name"] = "欧阳大明".into();
        assert_eq!(
            verify_signature(&altered, &key.verifying_key()),
            Err(VerifyFailure::BadSignature)
        );
        let mut extra = signed.clone();
        extra["note"] = "x".into();
        assert!(verify_signature(&extra, &key.verifying_key()).is_err());
        let other = SigningKey::from_bytes(&[8; 32]);
        assert!(verify_signature(&signed, &other.verifying_key()).is_err());
        let mut bad = signed;
        bad["signature"] = "zz".into();
        assert_eq!(
            verify_signature(&bad, &key.verifying_key()),
            Err(VerifyFailure::MalformedSignature)
        );
    }

    #[test]
    fn persons_are_shown_by_surname_only() {
        let mut licence = sample();
        assert_eq!(licence.public_holder_name(), "欧阳某");
        licence.holder_name = "王五".into();
        assert_eq!(licence.public_holder_name(), "王某");
    }

    #[test]
    fn status_follows_revocation_and_expiry() {
        let licence = sample();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(licence.status_on(day(2030, 1, 1)), LicenceStatus::Valid);
        assert_eq!(licence.status_on(day(2031, 1, 5)), LicenceStatus::Expired);
        let revoked = Licence {
            status: LicenceStatus::Revoked,
            ..licence
        };
        assert_eq!(revoked.status_on(day(2026, 2, 1)), LicenceStatus::Revoked);
    }

    #[test]
    fn types_derive_the_end_of_validity() {
        let kind = LicenceType {
            code: "SP".into(),
            name: "食品经营许可证".into(),
            issuer: "市场监管局".into(),
            years: Some(5),
            fields: LicenceType::parse_fields("经营场所、经营项目"),
        };
        assert_eq!(kind.validate(), Ok(()));
        assert_eq!(kind.fields, ["经营场所", "经营项目"]);
        let from = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default();
        assert_eq!(kind.valid_until(from), NaiveDate::from_ymd_opt(2029, 2, 27));
        assert!(
            LicenceType {
                years: Some(0),
                ..kind
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(to_hex(&bytes), "0001abff");
        assert_eq!(from_hex::<4>("0001ABff"), Some(bytes));
        assert_eq!(from_hex::<4>("0001abf"), None);
        assert_eq!(from_hex::<4>("0001abfg"), None);
    }
}
