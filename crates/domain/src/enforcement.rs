//! Enforcement supervision (行政执法监督): discretion benchmarks (裁量基准)
//! with the four lists, penalty cases (行政处罚案件), and the rules the
//! Justice Bureau checks them against (行政处罚法 2021, 国办发〔2018〕118号).
//!
//! Money is held in fen (分) as integers: an amount in 元 is parsed from its
//! text, never through a float.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::entity::chinese_enum;
use super::field::InvalidField;
use super::idcard::IdCardNo;
use super::uscc::Uscc;

/// Parses 是/否 (also `Y`/`N`, `true`/`false`, `1`/`0`); an empty cell is `None`.
pub fn parse_yes_no(field: &'static str, text: &str) -> Result<Option<bool>, InvalidField> {
    match text.trim() {
        "" => Ok(None),
        "是" | "Y" | "y" | "yes" | "true" | "1" => Ok(Some(true)),
        "否" | "N" | "n" | "no" | "false" | "0" => Ok(Some(false)),
        _ => Err(InvalidField::new(field, text, "是 or 否")),
    }
}

/// The largest amount accepted: 10¹² 元.
pub const MAX_FEN: i64 = 100_000_000_000_000;

/// Parses an amount in 元 with at most two decimals (`5000`, `5,000.5`,
/// `300.25元`) into fen. No floats: the digits are read as integers.
pub fn parse_fen(field: &'static str, text: &str) -> Result<i64, InvalidField> {
    let bad = || {
        InvalidField::new(
            field,
            text,
            "an amount in yuan with at most two decimals, e.g. 5000 or 1234.50",
        )
    };
    let cleaned: String = text
        .trim()
        .trim_end_matches('元')
        .trim()
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, decimals) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty()
        || whole.len() > 13
        || decimals.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !decimals.bytes().all(|b| b.is_ascii_digit())
        || (cleaned.contains('.') && decimals.is_empty())
    {
        return Err(bad());
    }
    let mut fen: i64 = 0;
    for b in whole.bytes() {
        fen = fen
            .checked_mul(10)
            .and_then(|f| f.checked_add(i64::from(b - b'0')))
            .ok_or_else(bad)?;
    }
    let mut cents: i64 = 0;
    for (i, b) in decimals.bytes().enumerate() {
        cents += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    let total = fen
        .checked_mul(100)
        .and_then(|f| f.checked_add(cents))
        .ok_or_else(bad)?;
    if total > MAX_FEN {
        return Err(bad());
    }
    Ok(total)
}

/// An amount in fen written in 元: `5000`, `1234.5`, `0.05`.
pub fn yuan(fen: i64) -> String {
    let (whole, cents) = (fen / 100, (fen % 100).abs());
    match cents {
        0 => whole.to_string(),
        c if c % 10 == 0 => format!("{whole}.{}", c / 10),
        c => format!("{whole}.{c:02}"),
    }
}

chinese_enum! {
    /// 裁量阶次: a tier of the discretion benchmark.
    Tier, "tier", "the tier is 不予处罚, 减轻处罚, 从轻处罚, 一般处罚 or 从重处罚" {
        /// 不予处罚.
        NoPenalty = "不予处罚",
        /// 减轻处罚.
        Mitigated = "减轻处罚",
        /// 从轻处罚.
        Lighter = "从轻处罚",
        /// 一般处罚.
        Ordinary = "一般处罚",
        /// 从重处罚.
        Heavier = "从重处罚",
    }
}

chinese_enum! {
    /// 清单: one of the four lists a benchmark row may be on.
    ListKind, "list", "the list is 不予处罚, 减轻处罚, 从轻处罚 or 行政强制免于执行" {
        /// 不予处罚清单 (including 首违不罚).
        NoPenalty = "不予处罚" | "不予处罚清单",
        /// 减轻处罚清单.
        Mitigated = "减轻处罚" | "减轻处罚清单",
        /// 从轻处罚清单.
        Lighter = "从轻处罚" | "从轻处罚清单",
        /// 行政强制免于执行清单.
        NoEnforcement = "行政强制免于执行" | "行政强制免于执行清单",
    }
}

chinese_enum! {
    /// 处罚种类 (行政处罚法 Art. 9).
    PenaltyKind, "kinds", "each kind is one of 警告, 通报批评, 罚款, 没收违法所得, 没收非法财物, 暂扣许可证件, 降低资质等级, 吊销许可证件, 限制开展生产经营活动, 责令停产停业, 责令关闭, 限制从业, 其他" {
        /// 警告.
        Warning = "警告",
        /// 通报批评.
        Reprimand = "通报批评",
        /// 罚款.
        Fine = "罚款",
        /// 没收违法所得.
        ConfiscateGains = "没收违法所得",
        /// 没收非法财物.
        ConfiscateProperty = "没收非法财物",
        /// 暂扣许可证件.
        SuspendLicence = "暂扣许可证件",
        /// 降低资质等级.
        Downgrade = "降低资质等级",
        /// 吊销许可证件.
        RevokeLicence = "吊销许可证件",
        /// 限制开展生产经营活动.
        RestrictBusiness = "限制开展生产经营活动",
        /// 责令停产停业.
        SuspendBusiness = "责令停产停业",
        /// 责令关闭.
        Close = "责令关闭",
        /// 限制从业.
        BarFromPractice = "限制从业",
        /// 其他.
        Other = "其他" | "其他行政处罚",
    }
}

impl PenaltyKind {
    /// Whether a decision of this kind needs 法制审核 whatever the fine
    /// (行政处罚法 Art. 58).
    pub fn needs_legal_review(self) -> bool {
        matches!(
            self,
            Self::RevokeLicence | Self::SuspendBusiness | Self::Close | Self::BarFromPractice
        )
    }

    /// Parses a `、`-separated list (also `,` `，` `;` `；`), sorted and de-duplicated.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, InvalidField> {
        let mut kinds = text
            .split(['、', '，', ',', '；', ';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Self::parse(s).map_err(|e| InvalidField::new("kinds", s, e.reason)))
            .collect::<Result<Vec<_>, _>>()?;
        kinds.sort_unstable();
        kinds.dedup();
        Ok(kinds)
    }
}

/// Whether the party is a person or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// A natural person, identified by a 身份证号码.
    Person,
    /// An organisation (or 个体工商户), identified by a 统一社会信用代码.
    Organisation,
}

/// A party's identifier: a 身份证号码 (check character and birth date
/// verified) or a 统一社会信用代码 (both check characters verified).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyId {
    /// Which kind of code.
    pub kind: PartyKind,
    /// The code, normalised (upper case, trimmed).
    pub code: String,
}

impl PartyId {
    /// Parses a 身份证号码 first, then a 统一社会信用代码.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        if let Ok(id) = IdCardNo::parse(text) {
            return Ok(Self {
                kind: PartyKind::Person,
                code: id.as_str().to_owned(),
            });
        }
        match Uscc::parse(text) {
            Ok(code) => Ok(Self {
                kind: PartyKind::Organisation,
                code: code.as_str().to_owned(),
            }),
            Err(_) => Err(InvalidField::new(
                "party_id",
                "(withheld)",
                "neither a valid 统一社会信用代码 nor a valid 身份证号码 (check characters verified)",
            )),
        }
    }

    /// What staff pages show: a person's number masked, an organisation's code whole.
    pub fn masked(&self) -> String {
        match self.kind {
            PartyKind::Organisation => self.code.clone(),
            PartyKind::Person => match IdCardNo::parse(&self.code) {
                Ok(id) => id.masked(),
                Err(_) => "******".into(),
            },
        }
    }
}

impl std::fmt::Debug for PartyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a person's number, even in a debug log.
        write!(f, "PartyId({:?}, {})", self.kind, self.masked())
    }
}

/// Compound surnames (复姓) kept whole when a person's name is reduced.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "太史", "端木", "上官", "司马", "东方", "独孤", "南宫", "万俟", "闻人", "夏侯", "诸葛",
    "尉迟", "公羊", "赫连", "澹台", "皇甫", "宗政", "濮阳", "公冶", "太叔", "申屠", "公孙", "慕容",
    "仲孙", "钟离", "长孙", "宇文", "司徒", "鲜于", "司空", "令狐",
];

/// A person's name as published: the surname and 某 (张三 → 张某, 欧阳修 → 欧阳某).
pub fn surname_only(name: &str) -> String {
    let name = name.trim();
    let surname = COMPOUND_SURNAMES
        .iter()
        .find(|s| name.starts_with(**s) && name.chars().count() > 2)
        .map(|s| (*s).to_owned())
        .unwrap_or_else(|| name.chars().take(1).collect());
    format!("{surname}某")
}

/// One row of the discretion benchmarks: a behaviour's tier for a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchmarkRow {
    /// 违法行为编码.
    pub code: String,
    /// 违法行为.
    pub behaviour: String,
    /// 实施部门 (department codes).
    pub departments: Vec<String>,
    /// 法律依据.
    pub legal_basis: String,
    /// 裁量阶次.
    pub tier: Tier,
    /// 适用情形.
    pub conditions: String,
    /// 罚款下限, fen.
    pub fine_min: Option<i64>,
    /// 罚款上限, fen.
    pub fine_max: Option<i64>,
    /// The list the row is on, if any.
    pub list: Option<ListKind>,
}

/// A version of the benchmarks: every row, in force from a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscretionVersion {
    /// 1, 2, …
    pub version: u32,
    /// First day in force.
    pub in_force: NaiveDate,
    /// SHA-256 of the file imported.
    pub sha256: String,
    /// The rows, by code then tier.
    pub rows: Vec<BenchmarkRow>,
}

impl DiscretionVersion {
    /// The stored key of version `n`: zero-padded, so keys sort by version.
    pub fn key_of(version: u32) -> String {
        format!("v{version:06}")
    }

    /// The rows of a behaviour by its code (any case) or by words of its name.
    pub fn matching(&self, query: &str) -> Vec<&BenchmarkRow> {
        let query = query.trim();
        self.rows
            .iter()
            .filter(|row| {
                row.code.eq_ignore_ascii_case(query)
                    || (!query.is_empty() && row.behaviour.contains(query))
            })
            .collect()
    }
}

/// The version in force on `date`: the latest in force on or before it (by
/// in-force date, then version). Before the first version's in-force date
/// the earliest version applies, so cases decided before the register began
/// are still checked against a benchmark.
pub fn version_in_force(
    versions: &[DiscretionVersion],
    date: NaiveDate,
) -> Option<&DiscretionVersion> {
    versions
        .iter()
        .filter(|v| v.in_force <= date)
        .max_by_key(|v| (v.in_force, v.version))
        .or_else(|| versions.iter().min_by_key(|v| (v.in_force, v.version)))
}

/// A penalty case (行政处罚案件) as the department recorded it. Unknown
/// officers, behaviours and tiers are kept as written: the checks judge them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyCase {
    /// 案件编号.
    pub id: String,
    /// 执法部门 (department code).
    pub department: String,
    /// 当事人名称.
    pub party_name: String,
    /// 当事人证件号码.
    pub party_id: PartyId,
    /// 违法行为编码.
    pub behaviour: String,
    /// 立案日期.
    pub filed_on: NaiveDate,
    /// 决定日期.
    pub decided_on: Option<NaiveDate>,
    /// 处罚种类.
    pub kinds: Vec<PenaltyKind>,
    /// 裁量阶次 as written.
    pub tier: Option<String>,
    /// 罚款金额, fen.
    pub fine: Option<i64>,
    /// 执法人员: certificate numbers as written (upper case).
    pub officers: Vec<String>,
    /// 法制审核.
    pub legal_review: bool,
    /// 首次违法.
    pub first_offence: bool,
    /// 及时改正.
    pub corrected: bool,
    /// 延期.
    pub extended: bool,
    /// 公示日期.
    pub published_on: Option<NaiveDate>,
    /// 决定变更日期.
    pub changed_on: Option<NaiveDate>,
    /// 撤回日期.
    pub withdrawn_on: Option<NaiveDate>,
    /// 结案日期.
    pub closed_on: Option<NaiveDate>,
}

impl PenaltyCase {
    /// Whether a penalty was imposed: a kind, or a fine above zero.
    pub fn imposes_penalty(&self) -> bool {
        !self.kinds.is_empty() || self.fine.is_some_and(|f| f > 0)
    }

    /// Whether the decision shows on the portal on `today`: decided, published
    /// on or before `today`, and not withdrawn on or before it.
    pub fn is_public_on(&self, today: NaiveDate) -> bool {
        self.decided_on.is_some()
            && self.published_on.is_some_and(|p| p <= today)
            && self.withdrawn_on.is_none_or(|w| w > today)
    }

    /// The party's name as the portal shows it.
    pub fn public_party_name(&self) -> String {
        match self.party_id.kind {
            PartyKind::Person => surname_only(&self.party_name),
            PartyKind::Organisation => self.party_name.clone(),
        }
    }
}

/// The local choices of the checks (JSON with exactly these keys; unknown keys
/// are an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaseRules {
    /// A person's fine from which 法制审核 is needed, in 元 (5,000).
    pub legal_review_fine_person: i64,
    /// An organisation's fine from which 法制审核 is needed, in 元 (50,000).
    pub legal_review_fine_organisation: i64,
    /// Working days to publish a decision in (7).
    pub publicity_working_days: u32,
    /// Calendar days from 立案 to the decision (90).
    pub decision_days: i64,
}

impl Default for CaseRules {
    fn default() -> Self {
        Self {
            legal_review_fine_person: 5_000,
            legal_review_fine_organisation: 50_000,
            publicity_working_days: 7,
            decision_days: 90,
        }
    }
}

impl CaseRules {
    /// Reads the rules from JSON; missing keys keep their defaults.
    pub fn from_json(text: &str) -> Result<Self, InvalidField> {
        let rules: Self = serde_json::from_str(text)
            .map_err(|e| InvalidField::new("rules", "", format!("{e}")))?;
        if rules.legal_review_fine_person < 0
            || rules.legal_review_fine_organisation < 0
            || rules.decision_days < 0
            || rules.legal_review_fine_person > MAX_FEN / 100
            || rules.legal_review_fine_organisation > MAX_FEN / 100
        {
            return Err(InvalidField::new(
                "rules",
                "",
                "thresholds and days are not negative",
            ));
        }
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_fen_without_floats() {
        assert_eq!(parse_fen("fine", "5000").ok(), Some(500_000));
        assert_eq!(parse_fen("fine", "5,000.5元").ok(), Some(500_050));
        assert_eq!(parse_fen("fine", "0.05").ok(), Some(5));
        assert_eq!(parse_fen("fine", "1234.56").ok(), Some(123_456));
        for bad in [
            "",
            "1.234",
            "-5",
            "1e3",
            "abc",
            "1.",
            ".5",
            "99999999999999",
        ] {
            assert!(parse_fen("fine", bad).is_err(), "{bad}");
        }
        assert_eq!(yuan(500_050), "5000.5");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(100), "1");
    }

    #[test]
    fn party_ids_are_verified() {
        let person = PartyId::parse("11010519491231002X").map_err(|e| e.to_string());
        assert_eq!(person.as_ref().map(|p| p.kind), Ok(PartyKind::Person));
        assert!(!format!("{:?}", person).contains("19491231"));
        let organisation = PartyId::parse("91350200776049653A").map(|p| p.kind);
        assert_eq!(organisation.ok(), Some(PartyKind::Organisation));
        assert!(PartyId::parse("110105194912310021").is_err());
        assert!(PartyId::parse("91350200776049653B").is_err());
    }

    #[test]
    fn persons_are_published_by_surname() {
        assert_eq!(surname_only("张三"), "张某");
        assert_eq!(surname_only("欧阳修"), "欧阳某");
        assert_eq!(surname_only("欧阳"), "欧某");
    }

    #[test]
    fn rules_refuse_unknown_keys() {
        assert!(CaseRules::from_json(r#"{"publicity_working_days": 5}"#).is_ok());
        assert!(CaseRules::from_json(r#"{"publicity_days": 5}"#).is_err());
    }
}
