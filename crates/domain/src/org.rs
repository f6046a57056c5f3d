//! Districts (GB/T 2260 county-level codes) and government departments.

use std::fmt;

use super::field::{InvalidField, ascii_code, required_text};

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
            ));
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
            _ => Err(InvalidField::new(
                "level",
                text,
                "the level is 市级 or 区县级",
            )),
        }
    }
}

impl fmt::Display for DepartmentLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A government department that inspects (市场监管局, 应急管理局, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    code: DepartmentCode,
    name: String,
    level: DepartmentLevel,
}

impl Department {
    /// A department with a non-empty name.
    pub fn new(
        code: DepartmentCode,
        name: &str,
        level: DepartmentLevel,
    ) -> Result<Self, InvalidField> {
        Ok(Self {
            code,
            name: required_text("name", name, MAX_NAME)?,
            level,
        })
    }

    /// The code.
    pub fn code(&self) -> &DepartmentCode {
        &self.code
    }

    /// The name, e.g. 黄石市市场监督管理局.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// 市级 or 区县级.
    pub fn level(&self) -> DepartmentLevel {
        self.level
    }
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
        let department = Department::new(
            code.clone(),
            " 黄石市市场监督管理局 ",
            DepartmentLevel::parse("市级")?,
        )?;
        assert_eq!(department.name(), "黄石市市场监督管理局");
        assert_eq!(department.level().as_str(), "市级");
        assert_eq!(
            Department::new(code, "", DepartmentLevel::City).map_err(|e| e.field),
            Err("name")
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
