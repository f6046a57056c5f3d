//! Districts (GB/T 2260 county-level codes) and government departments.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::field::{InvalidField, ascii_code, optional_text, required_text};
use super::uscc::Uscc;

/// Longest department or district name, in characters.
pub const MAX_NAME: usize = 100;

/// A six-digit administrative division code (GB/T 2260), e.g. `420202`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DistrictCode(String);

impl DistrictCode {
    /// Parses six ASCII digits (surrounding white space removed) whose first digit is not 0.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        Self::parse_as("district", text)
    }

    /// Like [`DistrictCode::parse`], naming `field` in the error.
    pub fn parse_as(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        let code = text.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') {
            return Err(InvalidField::new(
                field,
                text,
                "a district code is six digits (GB/T 2260), e.g. 420202",
            )
            .zh("行政区划代码为 6 位数字（GB/T 2260），如 420202"));
        }
        Ok(Self(code.to_owned()))
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DistrictCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DistrictCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DistrictCode({})", self.0)
    }
}

/// A district (区县) of the city, or the city-level pseudo-district (市直).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct District {
    code: DistrictCode,
    name: String,
}

impl District {
    /// A district with a non-empty name.
    pub fn new(code: DistrictCode, name: &str) -> Result<Self, InvalidField> {
        Ok(Self {
            code,
            name: required_text("name", name, MAX_NAME)?,
        })
    }

    /// The code.
    pub fn code(&self) -> &DistrictCode {
        &self.code
    }

    /// The name, e.g. 黄石港区.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Huangshi's districts: the city level (市直) and its four districts, one county
/// and one county-level city. The default district directory.
pub const HUANGSHI_DISTRICTS: [(&str, &str); 7] = [
    ("420200", "市直"),
    ("420202", "黄石港区"),
    ("420203", "西塞山区"),
    ("420204", "下陆区"),
    ("420205", "铁山区"),
    ("420222", "阳新县"),
    ("420281", "大冶市"),
];

/// [`HUANGSHI_DISTRICTS`] as validated values.
pub fn huangshi_districts() -> Vec<District> {
    HUANGSHI_DISTRICTS
        .iter()
        .filter_map(|(code, name)| District::new(DistrictCode::parse(code).ok()?, name).ok())
        .collect()
}

/// A department's code: 1–32 ASCII letters, digits, `-`, `_` or `.` (for example
/// its own 统一社会信用代码, or a short code such as `SJGJ`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DepartmentCode(String);

impl DepartmentCode {
    /// Longest code.
    pub const MAX_LEN: usize = 32;

    /// Parses a code, trimmed.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        Self::parse_as("department", text)
    }

    /// Like [`DepartmentCode::parse`], naming `field` in the error.
    pub fn parse_as(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        Ok(Self(ascii_code(field, text, Self::MAX_LEN)?))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DepartmentCode({})", self.0)
    }
}

/// The level of government a department belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepartmentLevel {
    /// 市级.
    City,
    /// 区县级.
    County,
}

impl DepartmentLevel {
    /// The Chinese name, as stored: 市级 or 区县级.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "市级",
            Self::County => "区县级",
        }
    }

    /// Parses 市级 / 区县级 (also 市, 区县, 县级, 区级, `city`, `county`).
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        match text.trim() {
            "市级" | "市" | "city" | "City" | "CITY" => Ok(Self::City),
            "区县级" | "区县" | "县级" | "区级" | "county" | "County" | "COUNTY" => {
                Ok(Self::County)
            }
            _ => Err(
                InvalidField::new("level", text, "the level is 市级 or 区县级")
                    .zh("级别只能是市级或区县级"),
            ),
        }
    }
}

impl fmt::Display for DepartmentLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of a department, as given. [`Department::new`] validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentFields {
    /// 部门编码; the key, kept when the department is renamed.
    pub code: DepartmentCode,
    /// 部门名称, unique among departments.
    pub name: String,
    /// 市级 or 区县级.
    pub level: DepartmentLevel,
    /// 所属区域: a district of the city (市直 for the city level). `None` only for
    /// departments stored before the district was recorded (migration 0009).
    pub district: Option<DistrictCode>,
    /// 统一社会信用代码 of the organ, if given: an organ's code begins with `11`.
    pub uscc: Option<Uscc>,
    /// 简称, if any.
    pub short_name: Option<String>,
    /// Whether the department is active. An inactive department keeps its
    /// records but no new inspector, item, joint item, order or plan may name it.
    pub active: bool,
}

impl DepartmentFields {
    /// An active department without 统一社会信用代码 or short name.
    pub fn new(
        code: DepartmentCode,
        name: &str,
        level: DepartmentLevel,
        district: Option<DistrictCode>,
    ) -> Self {
        Self {
            code,
            name: name.to_owned(),
            level,
            district,
            uscc: None,
            short_name: None,
            active: true,
        }
    }
}

/// A government department that inspects (市场监管局, 应急管理局, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department(DepartmentFields);

/// Longest short name (简称), in characters.
pub const MAX_SHORT_NAME: usize = 30;

impl Department {
    /// Validates `fields`: the name is required, the short name is one line, and
    /// the 统一社会信用代码 is an organ's (it begins with `11`).
    pub fn new(fields: DepartmentFields) -> Result<Self, InvalidField> {
        let name = required_text("name", &fields.name, MAX_NAME)?;
        let short_name = optional_text("short_name", fields.short_name.as_deref(), MAX_SHORT_NAME)?;
        if let Some(uscc) = &fields.uscc {
            check_organ_uscc(uscc)?;
        }
        Ok(Self(DepartmentFields {
            name,
            short_name,
            ..fields
        }))
    }

    /// The code.
    pub fn code(&self) -> &DepartmentCode {
        &self.0.code
    }

    /// The name, e.g. 黄石市市场监督管理局.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// 市级 or 区县级.
    pub fn level(&self) -> DepartmentLevel {
        self.0.level
    }

    /// 所属区域 (`None` for a department stored before it was recorded).
    pub fn district(&self) -> Option<&DistrictCode> {
        self.0.district.as_ref()
    }

    /// The organ's 统一社会信用代码, if given.
    pub fn uscc(&self) -> Option<&Uscc> {
        self.0.uscc.as_ref()
    }

    /// 简称, if any.
    pub fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }

    /// Whether `text` (trimmed) names this department: its code (ASCII case ignored),
    /// its name or its 简称, as files from other systems write it.
    pub fn is_named(&self, text: &str) -> bool {
        let text = text.trim();
        self.code().as_str().eq_ignore_ascii_case(text)
            || self.name() == text
            || self.short_name() == Some(text)
    }

    /// Whether the department is active.
    pub fn is_active(&self) -> bool {
        self.0.active
    }

    /// The fields, to change some and validate again.
    pub fn fields(&self) -> &DepartmentFields {
        &self.0
    }

    /// The fields, by value.
    pub fn into_fields(self) -> DepartmentFields {
        self.0
    }
}

/// Refuses a 统一社会信用代码 that is not an organ's: an organ's (机关) code
/// begins with `11` (registration authority 1, 机构编制; category 1, 机关).
pub fn check_organ_uscc(uscc: &Uscc) -> Result<(), InvalidField> {
    if uscc.as_str().starts_with("11") {
        Ok(())
    } else {
        Err(InvalidField::new(
            "uscc",
            uscc.as_str(),
            "a department's code is an organ's (机关) 统一社会信用代码, which begins with 11",
        )
        .zh("部门的统一社会信用代码须为机关代码（以 11 开头）"))
    }
}

/// A department as recorded in a change: every field as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentSnapshot {
    /// 部门编码.
    pub code: String,
    /// 部门名称.
    pub name: String,
    /// 市级 or 区县级.
    pub level: String,
    /// 所属区域 code.
    pub district: Option<String>,
    /// 统一社会信用代码.
    pub uscc: Option<String>,
    /// 简称.
    pub short_name: Option<String>,
    /// Active.
    pub active: bool,
}

impl DepartmentSnapshot {
    /// The snapshot of `department`.
    pub fn of(department: &Department) -> Self {
        Self {
            code: department.code().as_str().to_owned(),
            name: department.name().to_owned(),
            level: department.level().as_str().to_owned(),
            district: department.district().map(|d| d.as_str().to_owned()),
            uscc: department.uscc().map(|u| u.as_str().to_owned()),
            short_name: department.short_name().map(str::to_owned),
            active: department.is_active(),
        }
    }
}

/// What was done to a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentAction {
    /// Created (新增).
    Created,
    /// Edited: name, level, district, 统一社会信用代码 or short name (修改).
    Edited,
    /// Deactivated (停用).
    Deactivated,
    /// Reactivated (启用).
    Reactivated,
    /// Deleted (删除).
    Deleted,
}

impl DepartmentAction {
    /// The ledger action, e.g. `department.created`.
    pub fn ledger_action(self) -> &'static str {
        match self {
            Self::Created => "department.created",
            Self::Edited => "department.edited",
            Self::Deactivated => "department.deactivated",
            Self::Reactivated => "department.reactivated",
            Self::Deleted => "department.deleted",
        }
    }

    /// The Chinese name: 新增, 修改, 停用, 启用 or 删除.
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Created => "新增",
            Self::Edited => "修改",
            Self::Deactivated => "停用",
            Self::Reactivated => "启用",
            Self::Deleted => "删除",
        }
    }
}

/// A change to the department directory made by a person, kept as a document
/// on the audit ledger: the department before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentChange {
    /// `DC-NNNNNN`, in order.
    pub id: String,
    /// The department's code.
    pub department: String,
    /// What was done.
    pub action: DepartmentAction,
    /// The department before (`None` when created).
    pub before: Option<DepartmentSnapshot>,
    /// The department after (`None` when deleted).
    pub after: Option<DepartmentSnapshot>,
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<FixedOffset>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huangshi_has_seven_districts() {
        let districts = huangshi_districts();
        assert_eq!(districts.len(), 7);
        assert_eq!(districts[1].code().as_str(), "420202");
        assert_eq!(districts[1].name(), "黄石港区");
    }

    #[test]
    fn district_codes_are_six_digits() {
        assert!(DistrictCode::parse(" 420281 ").is_ok());
        for bad in ["42020", "4202021", "42020A", "020202", ""] {
            assert_eq!(
                DistrictCode::parse(bad).map_err(|e| e.field),
                Err("district"),
                "{bad}"
            );
        }
    }

    #[test]
    fn departments_validate() -> Result<(), InvalidField> {
        let code = DepartmentCode::parse("SJGJ")?;
        let fields = DepartmentFields {
            code: code.clone(),
            name: " 黄石市市场监督管理局 ".into(),
            level: DepartmentLevel::parse("市级")?,
            district: Some(DistrictCode::parse("420200")?),
            uscc: None,
            short_name: Some(" 市监局 ".into()),
            active: true,
        };
        let department = Department::new(fields.clone())?;
        assert_eq!(department.name(), "黄石市市场监督管理局");
        assert_eq!(department.short_name(), Some("市监局"));
        assert_eq!(department.level().as_str(), "市级");
        assert_eq!(
            Department::new(DepartmentFields {
                name: String::new(),
                ..fields.clone()
            })
            .map_err(|e| e.field),
            Err("name")
        );
        let company = Uscc::from_body("9142020000000001")
            .map_err(|e| InvalidField::new("uscc", "9142020000000001", e.to_string()))?;
        assert_eq!(
            Department::new(DepartmentFields {
                uscc: Some(company),
                ..fields.clone()
            })
            .map_err(|e| e.field),
            Err("uscc")
        );
        let organ = Uscc::from_body("1142020000000001")
            .map_err(|e| InvalidField::new("uscc", "1142020000000001", e.to_string()))?;
        assert!(
            Department::new(DepartmentFields {
                uscc: Some(organ),
                ..fields
            })
            .is_ok()
        );
        assert_eq!(
            DepartmentLevel::parse("省级").map_err(|e| e.field),
            Err("level")
        );
        assert_eq!(
            DepartmentCode::parse("市监").map_err(|e| e.field),
            Err("department")
        );
        Ok(())
    }
}
