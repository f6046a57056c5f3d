//! The random-inspection item list (随机抽查事项清单) and the cross-department
//! joint list (部门联合抽查事项清单).

use std::fmt;
use std::ops::Deref;

use super::entity::chinese_enum;
use super::field::{InvalidField, ascii_code, required_text};
use super::org::DepartmentCode;

/// Longest category, item name, field or target type, in characters.
pub const MAX_NAME: usize = 200;
/// Longest legal basis, in characters.
pub const MAX_LEGAL_BASIS: usize = 2000;

/// An item's code in the list (e.g. `SJ-001-01`): 1–32 ASCII letters, digits,
/// `-`, `_` or `.`. The key of the item lists.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemCode(String);

impl ItemCode {
    /// Longest code.
    pub const MAX_LEN: usize = 32;

    /// Parses a code, trimmed.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        Ok(Self(ascii_code("code", text, Self::MAX_LEN)?))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemCode({})", self.0)
    }
}

chinese_enum! {
    /// 检查方式.
    CheckMethod, "methods", "a check method is 实地检查, 书面检查, 网络监测, 检验检测, 委托专业机构 or 采用部门意见" {
        /// 实地检查 (on-site).
        OnSite = "实地检查" | "现场检查",
        /// 书面检查 (documents).
        Documents = "书面检查",
        /// 网络监测 (online monitoring).
        Online = "网络监测",
        /// 检验检测 (testing).
        Testing = "检验检测" | "抽样检测",
        /// 委托专业机构 (commissioned professional body).
        Commissioned = "委托专业机构",
        /// 采用部门意见 (another department's findings).
        DepartmentOpinion = "采用部门意见" | "采信部门意见",
    }
}

impl CheckMethod {
    /// Parses a list separated by `、`, `,`, `，`, `;`, `；` or `/`, de-duplicated
    /// in [`CheckMethod::ALL`] order; at least one.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, InvalidField> {
        let mut methods = text
            .split(['、', ',', '，', ';', '；', '/'])
            .filter(|part| !part.trim().is_empty())
            .map(Self::parse)
            .collect::<Result<Vec<_>, _>>()?;
        methods.sort();
        methods.dedup();
        if methods.is_empty() {
            return Err(InvalidField::new(
                "methods",
                text,
                "at least one check method",
            ));
        }
        Ok(methods)
    }
}

chinese_enum! {
    /// The period of a frequency.
    Period, "frequency", "the period is 年, 半年, 季度 or 月" {
        /// A year.
        Year = "年" | "每年" | "year",
        /// Half a year.
        HalfYear = "半年" | "每半年" | "half_year",
        /// A quarter.
        Quarter = "季度" | "季" | "每季度" | "quarter",
        /// A month.
        Month = "月" | "每月" | "month",
    }
}

/// A default inspection frequency: `times` checks per `period` (每年1次).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frequency {
    times: u16,
    period: Period,
}

impl Frequency {
    /// At least once per period.
    pub fn new(times: u16, period: Period) -> Result<Self, InvalidField> {
        if times == 0 {
            return Err(InvalidField::new(
                "frequency",
                "0",
                "at least once per period",
            ));
        }
        Ok(Self { times, period })
    }

    /// Parses `每年1次`, `每季度2次`, `1次/年` (also with `不少于`).
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let bad = || {
            InvalidField::new(
                "frequency",
                text,
                "a frequency is written like 每年1次, 每季度2次 or 1次/年",
            )
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.replace("不少于", "").replace("至少", "");
        let (period, count) = if let Some((count, period)) = compact.split_once("次/") {
            (period.to_owned(), count.to_owned())
        } else {
            let rest = compact.strip_prefix('每').ok_or_else(bad)?;
            let rest = rest.strip_suffix('次').ok_or_else(bad)?;
            let split = rest.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
            (rest[..split].to_owned(), rest[split..].to_owned())
        };
        let times: u16 = count.parse().map_err(|_| bad())?;
        Self::new(times, Period::parse(&period).map_err(|_| bad())?)
    }

    /// Checks per period.
    pub fn times(self) -> u16 {
        self.times
    }

    /// The period.
    pub fn period(self) -> Period {
        self.period
    }
}

impl fmt::Display for Frequency {
    /// `每年1次`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "每{}{}次", self.period.as_str(), self.times)
    }
}

/// A sampling ratio in basis points: 1 (0.01 %) to 10 000 (100 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RatioBp(u16);

impl RatioBp {
    /// 100 %.
    pub const FULL: u16 = 10_000;

    /// A ratio of `basis_points` / 10 000, from 1 to 10 000.
    pub fn new(basis_points: u32) -> Result<Self, InvalidField> {
        match u16::try_from(basis_points) {
            Ok(bp) if (1..=Self::FULL).contains(&bp) => Ok(Self(bp)),
            _ => Err(InvalidField::new(
                "ratio_bp",
                basis_points.to_string(),
                "a ratio is 1 to 10000 basis points (0.01 % to 100 %)",
            )),
        }
    }

    /// Parses `5%`, `5 %`, `0.5%` or a plain number of basis points (`500`).
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let bad = || {
            InvalidField::new(
                "ratio_bp",
                text,
                "a ratio is written like 5%, 0.5% or 500 (basis points)",
            )
        };
        let trimmed = text.trim();
        if let Some(percent) = trimmed.strip_suffix(['%', '％']) {
            let percent = percent.trim();
            let (whole, fraction) = percent.split_once('.').unwrap_or((percent, ""));
            if whole.is_empty()
                || fraction.len() > 2
                || !(whole
                    .bytes()
                    .chain(fraction.bytes())
                    .all(|b| b.is_ascii_digit()))
            {
                return Err(bad());
            }
            let whole: u32 = whole.parse().map_err(|_| bad())?;
            let fraction: u32 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
            Self::new(whole.saturating_mul(100).saturating_add(fraction))
        } else {
            Self::new(trimmed.parse().map_err(|_| bad())?)
        }
    }

    /// Basis points.
    pub fn basis_points(self) -> u16 {
        self.0
    }
}

impl fmt::Display for RatioBp {
    /// `5%`, `0.5%`, `12.34%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        match fraction {
            0 => write!(f, "{whole}%"),
            f2 if f2 % 10 == 0 => write!(f, "{whole}.{}%", f2 / 10),
            f2 => write!(f, "{whole}.{f2:02}%"),
        }
    }
}

/// The fields of a random-inspection item, as given. [`InspectionItem::new`] validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFields {
    /// 事项编码; the key.
    pub code: ItemCode,
    /// 抽查类别 (one of the 158 categories).
    pub category: String,
    /// 抽查事项.
    pub name: String,
    /// 检查依据.
    pub legal_basis: String,
    /// 实施主体.
    pub department: DepartmentCode,
    /// 检查对象 (e.g. 食品生产企业).
    pub target_type: String,
    /// 检查方式, at least one.
    pub methods: Vec<CheckMethod>,
    /// Default ratio (抽查比例).
    pub ratio: RatioBp,
    /// Default frequency (抽查频次).
    pub frequency: Frequency,
}

/// A validated random-inspection item. Read its fields through `Deref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionItem(ItemFields);

impl InspectionItem {
    /// Validates `fields`: texts required and trimmed; methods non-empty, sorted, de-duplicated.
    pub fn new(fields: ItemFields) -> Result<Self, InvalidField> {
        let ItemFields {
            code,
            category,
            name,
            legal_basis,
            department,
            target_type,
            methods,
            ratio,
            frequency,
        } = fields;
        Ok(Self(ItemFields {
            code,
            category: required_text("category", &category, MAX_NAME)?,
            name: required_text("name", &name, MAX_NAME)?,
            legal_basis: required_text("legal_basis", &legal_basis, MAX_LEGAL_BASIS)?,
            department,
            target_type: required_text("target_type", &target_type, MAX_NAME)?,
            methods: method_set(methods)?,
            ratio,
            frequency,
        }))
    }

    /// The fields.
    pub fn fields(&self) -> &ItemFields {
        &self.0
    }

    /// The fields, to change and validate again.
    pub fn into_fields(self) -> ItemFields {
        self.0
    }
}

impl Deref for InspectionItem {
    type Target = ItemFields;

    fn deref(&self) -> &ItemFields {
        &self.0
    }
}

/// The fields of a joint-list item, as given. [`JointItem::new`] validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointItemFields {
    /// 事项编码; the key.
    pub code: ItemCode,
    /// 领域 (one of the 58 fields).
    pub field: String,
    /// 抽查事项.
    pub name: String,
    /// 检查依据.
    pub legal_basis: String,
    /// 发起部门 (the lead, who draws the targets).
    pub lead: DepartmentCode,
    /// 配合部门, at least one, not the lead.
    pub cooperating: Vec<DepartmentCode>,
    /// 检查对象.
    pub target_type: String,
    /// 检查方式, at least one.
    pub methods: Vec<CheckMethod>,
    /// Default ratio.
    pub ratio: RatioBp,
    /// Default frequency.
    pub frequency: Frequency,
}

/// A validated joint-list item. Read its fields through `Deref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointItem(JointItemFields);

impl JointItem {
    /// Validates `fields`: as [`InspectionItem::new`], and the cooperating
    /// departments are at least one, sorted, de-duplicated, and exclude the lead.
    pub fn new(fields: JointItemFields) -> Result<Self, InvalidField> {
        let JointItemFields {
            code,
            field,
            name,
            legal_basis,
            lead,
            mut cooperating,
            target_type,
            methods,
            ratio,
            frequency,
        } = fields;
        cooperating.sort();
        cooperating.dedup();
        if cooperating.contains(&lead) {
            return Err(InvalidField::new(
                "cooperating",
                lead.as_str(),
                "the lead department cannot also be cooperating",
            )
            .zh("不能包含发起部门"));
        }
        if cooperating.is_empty() {
            return Err(InvalidField::new(
                "cooperating",
                "",
                "a joint item has at least one cooperating department",
            ));
        }
        Ok(Self(JointItemFields {
            code,
            field: required_text("field", &field, MAX_NAME)?,
            name: required_text("name", &name, MAX_NAME)?,
            legal_basis: required_text("legal_basis", &legal_basis, MAX_LEGAL_BASIS)?,
            lead,
            cooperating,
            target_type: required_text("target_type", &target_type, MAX_NAME)?,
            methods: method_set(methods)?,
            ratio,
            frequency,
        }))
    }

    /// Every participating department: the lead first, then the cooperating ones.
    pub fn departments(&self) -> impl Iterator<Item = &DepartmentCode> {
        std::iter::once(&self.0.lead).chain(&self.0.cooperating)
    }

    /// The fields.
    pub fn fields(&self) -> &JointItemFields {
        &self.0
    }

    /// The fields, to change and validate again.
    pub fn into_fields(self) -> JointItemFields {
        self.0
    }
}

impl Deref for JointItem {
    type Target = JointItemFields;

    fn deref(&self) -> &JointItemFields {
        &self.0
    }
}

fn method_set(mut methods: Vec<CheckMethod>) -> Result<Vec<CheckMethod>, InvalidField> {
    methods.sort();
    methods.dedup();
    if methods.is_empty() {
        return Err(InvalidField::new(
            "methods",
            "",
            "at least one check method",
        ));
    }
    Ok(methods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_parse_and_print() -> Result<(), InvalidField> {
        assert_eq!(
            Frequency::parse("每年1次")?,
            Frequency::new(1, Period::Year)?
        );
        assert_eq!(
            Frequency::parse("每季度 2 次")?,
            Frequency::new(2, Period::Quarter)?
        );
        assert_eq!(
            Frequency::parse("1次/年")?,
            Frequency::new(1, Period::Year)?
        );
        assert_eq!(
            Frequency::parse("每半年不少于1次")?,
            Frequency::new(1, Period::HalfYear)?
        );
        assert_eq!(Frequency::new(2, Period::Quarter)?.to_string(), "每季度2次");
        for bad in ["", "每年", "每年0次", "每周1次", "一年一次"] {
            assert_eq!(
                Frequency::parse(bad).map_err(|e| e.field),
                Err("frequency"),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn ratios_parse_and_print() -> Result<(), InvalidField> {
        assert_eq!(RatioBp::parse("5%")?.basis_points(), 500);
        assert_eq!(RatioBp::parse(" 0.5 ％")?.basis_points(), 50);
        assert_eq!(RatioBp::parse("12.34%")?.basis_points(), 1234);
        assert_eq!(RatioBp::parse("100%")?.basis_points(), 10_000);
        assert_eq!(RatioBp::parse("250")?.basis_points(), 250);
        assert_eq!(RatioBp::new(1234)?.to_string(), "12.34%");
        assert_eq!(RatioBp::new(50)?.to_string(), "0.5%");
        assert_eq!(RatioBp::new(500)?.to_string(), "5%");
        for bad in ["0", "0%", "101%", "10001", "5.555%", "-1", "%", "abc"] {
            assert_eq!(
                RatioBp::parse(bad).map_err(|e| e.field),
                Err("ratio_bp"),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn methods_parse_as_a_list() -> Result<(), InvalidField> {
        assert_eq!(
            CheckMethod::parse_list("书面检查、实地检查,书面检查")?,
            vec![CheckMethod::OnSite, CheckMethod::Documents]
        );
        assert!(CheckMethod::parse_list(" 、 ").is_err());
        assert_eq!(
            CheckMethod::parse_list("电话抽查").map_err(|e| e.field),
            Err("methods")
        );
        Ok(())
    }

    fn joint() -> Result<JointItemFields, InvalidField> {
        Ok(JointItemFields {
            code: ItemCode::parse("LH-01-001")?,
            field: "食品安全".into(),
            name: "餐饮服务食品安全检查".into(),
            legal_basis: "《中华人民共和国食品安全法》第八十七条".into(),
            lead: DepartmentCode::parse("SJGJ")?,
            cooperating: vec![DepartmentCode::parse("WJW")?, DepartmentCode::parse("WJW")?],
            target_type: "餐饮服务提供者".into(),
            methods: vec![CheckMethod::OnSite],
            ratio: RatioBp::new(500)?,
            frequency: Frequency::new(1, Period::Year)?,
        })
    }

    #[test]
    fn joint_items_check_departments() -> Result<(), InvalidField> {
        let item = JointItem::new(joint()?)?;
        assert_eq!(item.cooperating.len(), 1);
        assert_eq!(item.departments().count(), 2);
        let lead = DepartmentCode::parse("SJGJ")?;
        assert_eq!(
            JointItem::new(JointItemFields {
                cooperating: vec![lead],
                ..joint()?
            })
            .err()
            .map(|e| e.field),
            Some("cooperating")
        );
        assert_eq!(
            JointItem::new(JointItemFields {
                cooperating: vec![],
                ..joint()?
            })
            .err()
            .map(|e| e.field),
            Some("cooperating")
        );
        assert_eq!(
            JointItem::new(JointItemFields {
                methods: vec![],
                ..joint()?
            })
            .err()
            .map(|e| e.field),
            Some("methods")
        );
        Ok(())
    }
}
