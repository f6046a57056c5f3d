//! Law-enforcement inspectors (执法检查人员名录库) and recusal relations (回避).

use std::fmt;
use std::ops::Deref;

use chrono::NaiveDate;

use super::entity::chinese_enum;
use super::field::{InvalidField, ascii_code, label_set, required_text};
use super::idcard::IdCardNo;
use super::org::{DepartmentCode, DistrictCode};
use super::uscc::Uscc;

/// Longest inspector name, in characters.
pub const MAX_NAME: usize = 50;
/// Longest enforcement field (执法领域) name, in characters.
pub const MAX_FIELD: usize = 50;
/// Longest recusal reason, in characters.
pub const MAX_REASON: usize = 500;

/// An enforcement certificate number (执法证号): 1–32 ASCII letters, digits,
/// `-`, `_` or `.`, stored upper-case. The key of the inspector directory.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertificateNo(String);

impl CertificateNo {
    /// Longest number.
    pub const MAX_LEN: usize = 32;

    /// Parses a number (trimmed, letters upper-cased).
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        Self::parse_as("cert_no", text)
    }

    /// Like [`CertificateNo::parse`], naming `field` in the error.
    pub fn parse_as(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        Ok(Self(
            ascii_code(field, text, Self::MAX_LEN)?.to_ascii_uppercase(),
        ))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertificateNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CertificateNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertificateNo({})", self.0)
    }
}

chinese_enum! {
    /// 证件状态: the state of an enforcement certificate. Only 有效 lets its
    /// holder inspect or take part in a case.
    CertificateStatus, "cert_status", "the certificate status is 有效, 暂扣 or 注销" {
        /// 有效.
        Valid = "有效" | "valid" | "正常",
        /// 暂扣: suspended.
        Suspended = "暂扣" | "suspended",
        /// 注销: revoked.
        Revoked = "注销" | "revoked" | "吊销",
    }
}

/// What the register of enforcement officers (执法人员) adds to an inspector:
/// the certificate's state and issuer, the qualification exam, and whether the
/// officer is in the draw's inspector pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerRegister {
    /// 证件状态.
    pub status: CertificateStatus,
    /// 发证机关, if recorded.
    pub issuer: Option<String>,
    /// 资格考试 pass date, if recorded.
    pub exam_passed_on: Option<NaiveDate>,
    /// Whether the officer is in the draw's inspector pool (是 by default).
    pub in_pool: bool,
}

impl Default for OfficerRegister {
    fn default() -> Self {
        Self {
            status: CertificateStatus::Valid,
            issuer: None,
            exam_passed_on: None,
            in_pool: true,
        }
    }
}

/// Longest 发证机关, in characters.
pub const MAX_ISSUER: usize = 100;

/// The fields of an inspector, as given. [`Inspector::new`] validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectorFields {
    /// 执法证号; the key.
    pub cert_no: CertificateNo,
    /// 姓名.
    pub name: String,
    /// 身份证号, if recorded.
    pub id_card: Option<IdCardNo>,
    /// The department the inspector belongs to.
    pub department: DepartmentCode,
    /// First day the certificate is valid.
    pub cert_valid_from: NaiveDate,
    /// Last day the certificate is valid.
    pub cert_valid_until: NaiveDate,
    /// Enforcement fields (执法领域) the inspector is qualified for.
    pub fields: Vec<String>,
    /// The district the inspector works in, if not city-wide.
    pub district: Option<DistrictCode>,
    /// Certificate state, issuer, exam and pool membership.
    pub register: OfficerRegister,
}

/// A validated inspector. Read its fields through `Deref` (`inspector.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector(InspectorFields);

impl Inspector {
    /// Validates `fields`: the name is required, the certificate's validity is
    /// not empty (from ≤ until), and fields are trimmed, sorted and de-duplicated.
    pub fn new(fields: InspectorFields) -> Result<Self, InvalidField> {
        let InspectorFields {
            cert_no,
            name,
            id_card,
            department,
            cert_valid_from,
            cert_valid_until,
            fields,
            district,
            register,
        } = fields;
        if cert_valid_until < cert_valid_from {
            return Err(InvalidField::new(
                "cert_valid_until",
                cert_valid_until.to_string(),
                format!(
                    "the certificate cannot expire before it is valid (from {cert_valid_from})"
                ),
            )
            .zh("截止日期不能早于起始日期"));
        }
        Ok(Self(InspectorFields {
            cert_no,
            name: required_text("name", &name, MAX_NAME)?,
            id_card,
            department,
            cert_valid_from,
            cert_valid_until,
            fields: label_set("fields", &fields, MAX_FIELD)?,
            district,
            register: OfficerRegister {
                issuer: register
                    .issuer
                    .as_deref()
                    .map(str::trim)
                    .filter(|text| !text.is_empty())
                    .map(|text| required_text("issuer", text, MAX_ISSUER))
                    .transpose()?,
                ..register
            },
        }))
    }

    /// Whether the certificate is valid on `date`: its state is 有效 and the
    /// day lies in its validity (both ends inclusive). Only holders of a valid
    /// certificate may inspect or act in a case (持证上岗).
    pub fn is_certified_on(&self, date: NaiveDate) -> bool {
        self.0.register.status == CertificateStatus::Valid
            && self.0.cert_valid_from <= date
            && date <= self.0.cert_valid_until
    }

    /// Whether the officer may be drawn on every day from `start` to `end`:
    /// in the draw's pool and certified on both days.
    pub fn drawable(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.0.register.in_pool && self.is_certified_on(start) && self.is_certified_on(end)
    }

    /// The fields.
    pub fn fields(&self) -> &InspectorFields {
        &self.0
    }

    /// The fields, to change and validate again.
    pub fn into_fields(self) -> InspectorFields {
        self.0
    }
}

impl Deref for Inspector {
    type Target = InspectorFields;

    fn deref(&self) -> &InspectorFields {
        &self.0
    }
}

/// A conflict of interest: `inspector` must not inspect `entity` (回避).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recusal {
    inspector: CertificateNo,
    entity: Uscc,
    reason: String,
}

impl Recusal {
    /// A recusal with a non-empty reason (e.g. 近亲属任法定代表人).
    pub fn new(inspector: CertificateNo, entity: Uscc, reason: &str) -> Result<Self, InvalidField> {
        Ok(Self {
            inspector,
            entity,
            reason: required_text("reason", reason, MAX_REASON)?,
        })
    }

    /// The inspector's certificate number.
    pub fn inspector(&self) -> &CertificateNo {
        &self.inspector
    }

    /// The entity's code.
    pub fn entity(&self) -> &Uscc {
        &self.entity
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::tests::date;

    fn fields() -> Result<InspectorFields, InvalidField> {
        Ok(InspectorFields {
            cert_no: CertificateNo::parse(" hb4202-0001 ")?,
            name: "李四".into(),
            id_card: None,
            department: DepartmentCode::parse("SJGJ")?,
            cert_valid_from: date(2021, 1, 1),
            cert_valid_until: date(2025, 12, 31),
            fields: vec!["食品安全".into(), " 特种设备 ".into()],
            district: Some(DistrictCode::parse("420203")?),
            register: OfficerRegister::default(),
        })
    }

    #[test]
    fn inspector_validates() -> Result<(), InvalidField> {
        let inspector = Inspector::new(fields()?)?;
        assert_eq!(inspector.cert_no.as_str(), "HB4202-0001");
        assert_eq!(
            inspector.fields,
            vec!["特种设备".to_owned(), "食品安全".to_owned()]
        );
        assert!(inspector.is_certified_on(date(2025, 12, 31)));
        assert!(!inspector.is_certified_on(date(2026, 1, 1)));
        let suspended = Inspector::new(InspectorFields {
            register: OfficerRegister {
                status: CertificateStatus::Suspended,
                ..OfficerRegister::default()
            },
            ..fields()?
        })?;
        assert!(!suspended.is_certified_on(date(2025, 6, 1)));
        assert!(!suspended.drawable(date(2025, 6, 1), date(2025, 6, 1)));
        let outside_pool = Inspector::new(InspectorFields {
            register: OfficerRegister {
                in_pool: false,
                ..OfficerRegister::default()
            },
            ..fields()?
        })?;
        assert!(outside_pool.is_certified_on(date(2025, 6, 1)));
        assert!(!outside_pool.drawable(date(2025, 6, 1), date(2025, 6, 1)));
        let error = Inspector::new(InspectorFields {
            cert_valid_until: date(2020, 1, 1),
            ..fields()?
        })
        .err();
        assert_eq!(error.map(|e| e.field), Some("cert_valid_until"));
        assert_eq!(
            Inspector::new(InspectorFields {
                name: "".into(),
                ..fields()?
            })
            .err()
            .map(|e| e.field),
            Some("name")
        );
        assert_eq!(
            CertificateNo::parse("执法证").map_err(|e| e.field),
            Err("cert_no")
        );
        Ok(())
    }

    #[test]
    fn recusal_needs_a_reason() -> Result<(), Box<dyn std::error::Error>> {
        let cert = CertificateNo::parse("A1")?;
        let uscc = Uscc::parse("91350200776049653A")?;
        assert_eq!(
            Recusal::new(cert.clone(), uscc, " ").err().map(|e| e.field),
            Some("reason")
        );
        assert_eq!(
            Recusal::new(cert, uscc, "配偶任监事")?.reason(),
            "配偶任监事"
        );
        Ok(())
    }
}
