//! Credit supervision (信用监管): list entries, the matters of credit
//! verification (信用核查) and their rules, and the evaluation of a check.
//!
//! # Dates
//!
//! An entry counts on a date when it was listed on or before it, is valid until
//! it or later, and was not removed on or before it. A severity (2026-04-01
//! rules) caps publication: it stops by itself the day after
//! [`Severity::publication_last_day`], counted from the finding date; repair may
//! be requested from [`Severity::repair_opens_on`].

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::entity::chinese_enum;
use super::field::{InvalidField, required_text};
use super::idcard::IdCardNo;
use super::uscc::{Uscc, UsccError};

/// Longest subject name, authority or reference, in characters.
pub const MAX_TEXT: usize = 200;
/// Longest reason, in characters.
pub const MAX_REASON: usize = 1000;

/// The kind of a credit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ListType {
    /// 严重失信主体名单 (the black list).
    Blacklist,
    /// 红名单 (the red list).
    Redlist,
    /// 经营异常名录.
    Abnormal,
    /// 行政处罚 (双公示).
    Penalty,
    /// 行政许可 (双公示).
    Licence,
    /// 虚假承诺: a 告知承诺 found false at 核查 (国办发〔2020〕42号).
    FalsePromise,
}

impl ListType {
    /// Every type, in order.
    pub const ALL: &'static [Self] = &[
        Self::Blacklist,
        Self::Redlist,
        Self::Abnormal,
        Self::Penalty,
        Self::Licence,
        Self::FalsePromise,
    ];

    /// The stable code, as stored and in JSON: `blacklist`, `redlist`,
    /// `abnormal`, `penalty`, `licence` or `false_promise`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blacklist => "blacklist",
            Self::Redlist => "redlist",
            Self::Abnormal => "abnormal",
            Self::Penalty => "penalty",
            Self::Licence => "licence",
            Self::FalsePromise => "false_promise",
        }
    }

    /// The Chinese name, as in list files.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Blacklist => "严重失信主体名单",
            Self::Redlist => "红名单",
            Self::Abnormal => "经营异常名录",
            Self::Penalty => "行政处罚",
            Self::Licence => "行政许可",
            Self::FalsePromise => "虚假承诺",
        }
    }

    /// Whether being on it is bad credit (everything but the red list and licences).
    pub fn is_adverse(self) -> bool {
        !matches!(self, Self::Redlist | Self::Licence)
    }

    /// Parses the Chinese name, a common synonym or the code.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let found = match text.trim() {
            "严重失信主体名单" | "失信名单" | "黑名单" | "严重失信名单" | "blacklist" => {
                Self::Blacklist
            }
            "红名单" | "守信激励名单" | "redlist" => Self::Redlist,
            "经营异常名录" | "经营异常名单" | "abnormal" => Self::Abnormal,
            "行政处罚" | "行政处罚信息" | "penalty" => Self::Penalty,
            "行政许可" | "行政许可信息" | "licence" | "license" => Self::Licence,
            "虚假承诺" | "虚假承诺名单" | "false_promise" => Self::FalsePromise,
            _ => {
                return Err(InvalidField::new(
                    "list_type",
                    text,
                    "the list type is 严重失信主体名单, 红名单, 经营异常名录, 行政处罚, 行政许可 or 虚假承诺",
                ));
            }
        };
        Ok(found)
    }

    /// Parses a `;`-separated list (also `；`, `,`, `、`), empty parts ignored,
    /// duplicates removed.
    pub fn parse_set(text: &str) -> Result<Vec<Self>, InvalidField> {
        let mut set = Vec::new();
        for part in text.split([';', '；', ',', '，', '、']) {
            if part.trim().is_empty() {
                continue;
            }
            let list = Self::parse(part)?;
            if !set.contains(&list) {
                set.push(list);
            }
        }
        set.sort();
        Ok(set)
    }
}

impl std::fmt::Display for ListType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name_zh())
    }
}

impl Serialize for ListType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ListType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whose record: an enterprise or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// Identified by its 统一社会信用代码.
    Enterprise,
    /// Identified by a 居民身份证号码.
    Person,
}

impl SubjectKind {
    /// `enterprise` or `person`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::Person => "person",
        }
    }

    /// Parses [`SubjectKind::as_str`].
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        match text {
            "enterprise" => Ok(Self::Enterprise),
            "person" => Ok(Self::Person),
            _ => Err(InvalidField::new(
                "subject_kind",
                text,
                "enterprise or person",
            )),
        }
    }
}

/// A credit subject's identifier: a 统一社会信用代码 or a 居民身份证号码, validated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// An enterprise.
    Enterprise(Uscc),
    /// A person.
    Person(IdCardNo),
}

/// Why a text identifies no credit subject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// Empty.
    #[error("the identifier is empty")]
    Empty,
    /// Looks like an ID number (17 digits first) but is not a valid one.
    #[error("not a valid 居民身份证号码: {0}")]
    IdCard(#[from] super::idcard::IdCardError),
    /// Not a valid 统一社会信用代码.
    #[error("not a valid 统一社会信用代码 or 居民身份证号码: {0}")]
    Uscc(#[from] UsccError),
}

impl SubjectError {
    /// The reason in Chinese, for pages and report files.
    pub fn reason_zh(&self) -> String {
        match self {
            Self::Empty => "证件号码为空".into(),
            Self::IdCard(error) => format!("不是有效的居民身份证号码（{}）", error.reason_zh()),
            Self::Uscc(error) => format!(
                "不是有效的统一社会信用代码或居民身份证号码（{}）",
                error.reason_zh()
            ),
        }
    }
}

/// Whether `text` has the shape of a 居民身份证号码: 17 digits and a digit or `X`.
fn id_shaped(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17].eq_ignore_ascii_case(&b'X'))
}

impl Subject {
    /// Parses an identifier: a valid 居民身份证号码 is a person; otherwise a
    /// 统一社会信用代码, accepted with a warning when its check characters fail
    /// (pilot-era codes), unless it is a valid ID number but for its check
    /// character, which is reported as a mistyped ID number.
    pub fn parse(text: &str) -> Result<(Self, Option<String>), SubjectError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SubjectError::Empty);
        }
        let id_error = match IdCardNo::parse(text) {
            Ok(id) => return Ok((Self::Person(id), None)),
            Err(error) => error,
        };
        // A number whose only fault is its check character is a mistyped ID
        // number, not a pilot-era enterprise code.
        let looks_like_id = matches!(id_error, super::idcard::IdCardError::BadCheck { .. });
        match Uscc::parse_lenient(text) {
            Ok((code, None)) => Ok((Self::Enterprise(code), None)),
            Ok(_) if looks_like_id => Err(SubjectError::IdCard(id_error)),
            Ok((code, Some(warning))) => Ok((Self::Enterprise(code), Some(warning.to_string()))),
            Err(_) if looks_like_id => Err(SubjectError::IdCard(id_error)),
            Err(error) => Err(SubjectError::Uscc(error)),
        }
    }

    /// Parses an identifier that must be valid: a valid 居民身份证号码 (GB 11643)
    /// is a person, a valid 统一社会信用代码 (both check characters, GB 32100) an
    /// enterprise, whatever their shape; anything else is refused with the reason.
    /// A text valid as both is taken as a person (see docs/credit.md).
    pub fn parse_valid(text: &str) -> Result<Self, SubjectError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SubjectError::Empty);
        }
        let id_error = match IdCardNo::parse(text) {
            Ok(id) => return Ok(Self::Person(id)),
            Err(error) => error,
        };
        match Uscc::parse(text) {
            Ok(code) => Ok(Self::Enterprise(code)),
            Err(_) if id_shaped(text) => Err(SubjectError::IdCard(id_error)),
            Err(error) => Err(SubjectError::Uscc(error)),
        }
    }

    /// Parses an identifier of a list file: a valid ID number or code is taken;
    /// a mistyped code (organisation code right, final character wrong) and an
    /// ID number wrong only in its check character are refused; a code failing
    /// both checks (the pilot pattern) is taken with a warning, or refused when
    /// `strict_uscc`.
    pub fn parse_for_import(
        text: &str,
        strict_uscc: bool,
    ) -> Result<(Self, Option<String>), SubjectError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SubjectError::Empty);
        }
        let id_error = match IdCardNo::parse(text) {
            Ok(id) => return Ok((Self::Person(id), None)),
            Err(error) => error,
        };
        let mistyped_id = matches!(id_error, super::idcard::IdCardError::BadCheck { .. });
        match Uscc::parse_for_import(text, strict_uscc) {
            Ok((code, None)) => Ok((Self::Enterprise(code), None)),
            Ok(_) | Err(_) if mistyped_id => Err(SubjectError::IdCard(id_error)),
            Ok((code, Some(warning))) => Ok((Self::Enterprise(code), Some(warning.to_string()))),
            Err(error) => Err(SubjectError::Uscc(error)),
        }
    }

    /// The identifier as stored (18 characters).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Enterprise(code) => code.as_str(),
            Self::Person(id) => id.as_str(),
        }
    }

    /// Enterprise or person.
    pub fn kind(&self) -> SubjectKind {
        match self {
            Self::Enterprise(_) => SubjectKind::Enterprise,
            Self::Person(_) => SubjectKind::Person,
        }
    }

    /// The identifier for lists that may not show persons' numbers: a person's
    /// number is masked.
    pub fn masked(&self) -> String {
        match self {
            Self::Enterprise(code) => code.as_str().to_owned(),
            Self::Person(id) => id.masked(),
        }
    }
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Persons' numbers stay out of logs.
        f.write_str(&self.masked())
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text)
            .map(|(subject, _)| subject)
            .map_err(serde::de::Error::custom)
    }
}

chinese_enum! {
    /// Severity of a bad-credit record (2026-04-01 rules).
    Severity, "severity", "the severity is 轻微, 一般 or 严重" {
        /// 轻微: normally not published; at most 3 months.
        Minor = "轻微" | "minor",
        /// 一般: published 3 months to 1 year.
        Ordinary = "一般" | "ordinary",
        /// 严重: published 1 to 3 years.
        Serious = "严重" | "serious",
    }
}

impl Severity {
    /// The minimum publication period, in months: repair opens after it.
    pub fn minimum_months(self) -> u32 {
        match self {
            Self::Minor => 0,
            Self::Ordinary => 3,
            Self::Serious => 12,
        }
    }

    /// The maximum publication period, in months.
    pub fn maximum_months(self) -> u32 {
        match self {
            Self::Minor => 3,
            Self::Ordinary => 12,
            Self::Serious => 36,
        }
    }

    /// The first day a repair may be requested: the finding date plus the
    /// minimum period (a month-end date maps to the shorter month's end).
    pub fn repair_opens_on(self, finding: NaiveDate) -> NaiveDate {
        add_months(finding, self.minimum_months())
    }

    /// The last day of publication: the finding date plus the maximum period,
    /// minus one day. Publication stops by itself the day after.
    pub fn publication_last_day(self, finding: NaiveDate) -> NaiveDate {
        let end = add_months(finding, self.maximum_months());
        end.checked_sub_days(Days::new(1)).unwrap_or(end)
    }
}

/// `date` plus `months`, clamped to the month's end; the latest date if out of range.
fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The primary key of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryKey {
    /// The subject's identifier.
    pub subject: String,
    /// The list.
    pub list_type: ListType,
    /// 列入日期.
    pub listed_on: NaiveDate,
    /// 文书号 (or the authority, for the lists).
    pub ref_no: String,
}

/// One credit record: an entry of a list, a penalty or a licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEntry {
    /// Whose.
    pub subject: Subject,
    /// The subject's name (主体名称 / 行政相对人名称).
    pub subject_name: String,
    /// Which list.
    pub list_type: ListType,
    /// 列入日期 (处罚决定日期 of a penalty as published).
    pub listed_on: NaiveDate,
    /// 有效期至 (公示截止期); `None`: no end.
    pub valid_until: Option<NaiveDate>,
    /// When it was removed (移出日期, repair); it does not count from that day.
    pub removed_on: Option<NaiveDate>,
    /// 认定部门 / 处罚机关.
    pub authority: String,
    /// 列入原因 / 违法行为类型.
    pub reason: String,
    /// 处罚决定书文号 or 许可文书编号; for the lists, the authority.
    pub ref_no: String,
    /// Severity, when the finding gives one.
    pub severity: Option<Severity>,
    /// 认定日期, when it differs from the listing date.
    pub decided_on: Option<NaiveDate>,
    /// Where it came from (the file or feed).
    pub source: String,
    /// Further published fields (双公示), as a JSON object.
    pub details: Option<serde_json::Value>,
}

impl CreditEntry {
    /// Checks the fields that relate to each other: dates in order, texts present.
    pub fn validate(&self) -> Result<(), InvalidField> {
        required_text("subject_name", &self.subject_name, MAX_TEXT)?;
        required_text("authority", &self.authority, MAX_TEXT)?;
        required_text("ref_no", &self.ref_no, MAX_TEXT)?;
        if self.reason.chars().count() > MAX_REASON {
            return Err(InvalidField::new(
                "reason",
                &self.reason,
                "is longer than 1000 characters",
            ));
        }
        // (field, date, whether it must be on or after the listing date, else on or before).
        let dates = [
            ("valid_until", self.valid_until, true),
            ("removed_on", self.removed_on, true),
            ("decided_on", self.decided_on, false),
        ];
        for (field, date, on_or_after) in dates {
            if let Some(date) = date
                && (if on_or_after {
                    date < self.listed_on
                } else {
                    date > self.listed_on
                })
            {
                let relation = if on_or_after { "before" } else { "after" };
                return Err(InvalidField::new(
                    field,
                    date.to_string(),
                    format!("is {relation} the listing date {}", self.listed_on),
                ));
            }
        }
        Ok(())
    }

    /// The key.
    pub fn key(&self) -> EntryKey {
        EntryKey {
            subject: self.subject.as_str().to_owned(),
            list_type: self.list_type,
            listed_on: self.listed_on,
            ref_no: self.ref_no.clone(),
        }
    }

    /// The finding date the periods count from: 认定日期, else the listing date.
    pub fn finding_date(&self) -> NaiveDate {
        self.decided_on.unwrap_or(self.listed_on)
    }

    /// The last day the entry counts, before removal: the earlier of its
    /// validity and the severity's publication cap; `None` for no end.
    pub fn effective_until(&self) -> Option<NaiveDate> {
        let cap = self
            .severity
            .map(|severity| severity.publication_last_day(self.finding_date()));
        match (self.valid_until, cap) {
            (Some(until), Some(cap)) => Some(until.min(cap)),
            (until, cap) => until.or(cap),
        }
    }

    /// Whether it counts on `date`: listed on or before, valid until `date` or
    /// later, not removed on or before `date`.
    pub fn counts_on(&self, date: NaiveDate) -> bool {
        self.listed_on <= date
            && self.effective_until().is_none_or(|until| until >= date)
            && self.removed_on.is_none_or(|removed| removed > date)
    }
}

/// What a check concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A blocking list holds the applicant: 不予办理 / 限制.
    Block,
    /// A warning list holds the applicant: 审慎办理.
    Warn,
    /// A reward list holds the applicant: 容缺受理、优先办理.
    Reward,
    /// Nothing relevant.
    Clear,
    /// The identifier is malformed.
    Invalid,
}

impl Outcome {
    /// Every outcome, in precedence order.
    pub const ALL: &'static [Self] = &[
        Self::Block,
        Self::Warn,
        Self::Reward,
        Self::Clear,
        Self::Invalid,
    ];

    /// `block`, `warn`, `reward`, `clear` or `invalid`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Warn => "warn",
            Self::Reward => "reward",
            Self::Clear => "clear",
            Self::Invalid => "invalid",
        }
    }

    /// The Chinese label pages show.
    pub fn label(self) -> &'static str {
        match self {
            Self::Block => "阻断（不予办理）",
            Self::Warn => "警示（审慎办理）",
            Self::Reward => "激励（优先办理）",
            Self::Clear => "无相关记录",
            Self::Invalid => "证件号码无效",
        }
    }

    /// Parses [`Outcome::as_str`].
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        Self::ALL
            .iter()
            .copied()
            .find(|o| o.as_str() == text)
            .ok_or_else(|| {
                InvalidField::new("outcome", text, "block, warn, reward, clear or invalid")
            })
    }
}

/// A matter (事项) of credit verification and its rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matter {
    /// 事项编码.
    pub code: String,
    /// 事项名称.
    pub name: String,
    /// 领域, e.g. 公务员招录调任.
    pub domain: String,
    /// 主管部门.
    pub department: String,
    /// Lists that block (阻断名单).
    pub block: Vec<ListType>,
    /// Lists that warn (警示名单).
    pub warn: Vec<ListType>,
    /// Lists that reward (激励名单).
    pub reward: Vec<ListType>,
}

impl Matter {
    /// Checks the texts and that no list has two effects.
    pub fn validate(&self) -> Result<(), InvalidField> {
        required_text("code", &self.code, 64)?;
        required_text("name", &self.name, MAX_TEXT)?;
        required_text("domain", &self.domain, MAX_TEXT)?;
        required_text("department", &self.department, MAX_TEXT)?;
        for list in ListType::ALL {
            let effects = [&self.block, &self.warn, &self.reward]
                .iter()
                .filter(|set| set.contains(list))
                .count();
            if effects > 1 {
                return Err(InvalidField::new(
                    "rules",
                    list.name_zh(),
                    "a list type may block, warn or reward, not more than one of them",
                ));
            }
        }
        Ok(())
    }

    /// What `list` does in this matter, if anything.
    pub fn effect_of(&self, list: ListType) -> Option<Outcome> {
        if self.block.contains(&list) {
            Some(Outcome::Block)
        } else if self.warn.contains(&list) {
            Some(Outcome::Warn)
        } else if self.reward.contains(&list) {
            Some(Outcome::Reward)
        } else {
            None
        }
    }

    /// The rule in words, e.g. `阻断：严重失信主体名单；警示：经营异常名录`.
    pub fn rule_text(&self) -> String {
        let parts: Vec<String> = [
            ("阻断", &self.block),
            ("警示", &self.warn),
            ("激励", &self.reward),
        ]
        .iter()
        .filter(|(_, set)| !set.is_empty())
        .map(|(label, set)| {
            let names: Vec<&str> = set.iter().map(|l| l.name_zh()).collect();
            format!("{label}：{}", names.join("、"))
        })
        .collect();
        if parts.is_empty() {
            "（无规则）".into()
        } else {
            parts.join("；")
        }
    }
}

/// An entry that counted in a check, with its effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The list's code.
    pub list: ListType,
    /// 列入日期.
    pub listed_on: NaiveDate,
    /// The last day it counts (`None`: no end).
    pub valid_until: Option<NaiveDate>,
    /// What it does under the matter's rule.
    pub effect: Outcome,
    /// 认定部门.
    pub authority: String,
    /// 列入原因.
    pub reason: String,
    /// 文书号.
    pub ref_no: String,
}

/// Evaluates `matter`'s rule for one subject's entries on `as_of`: the entries
/// that count and that the rule names are the hits, strongest effect first;
/// the outcome is the strongest effect (block > warn > reward), else clear.
pub fn evaluate<'a>(
    matter: &Matter,
    entries: impl IntoIterator<Item = &'a CreditEntry>,
    as_of: NaiveDate,
) -> (Outcome, Vec<Hit>) {
    let mut hits: Vec<Hit> = entries
        .into_iter()
        .filter(|entry| entry.counts_on(as_of))
        .filter_map(|entry| {
            matter.effect_of(entry.list_type).map(|effect| Hit {
                list: entry.list_type,
                listed_on: entry.listed_on,
                valid_until: entry.effective_until(),
                effect,
                authority: entry.authority.clone(),
                reason: entry.reason.clone(),
                ref_no: entry.ref_no.clone(),
            })
        })
        .collect();
    hits.sort_by(|a, b| {
        (a.effect, a.list, a.listed_on, &a.ref_no).cmp(&(b.effect, b.list, b.listed_on, &b.ref_no))
    });
    let outcome = hits.first().map_or(Outcome::Clear, |hit| hit.effect);
    (outcome, hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn entry(list: ListType, listed: &str, until: Option<&str>) -> CreditEntry {
        CreditEntry {
            subject: Subject::parse("91350200776049653A")
                .map(|(s, _)| s)
                .unwrap_or(Subject::Enterprise(
                    Uscc::from_body("9135020077604965").unwrap_or_else(|_| unreachable!()),
                )),
            subject_name: "某公司".into(),
            list_type: list,
            listed_on: day(listed),
            valid_until: until.map(day),
            removed_on: None,
            authority: "黄石市市场监督管理局".into(),
            reason: "".into(),
            ref_no: "黄石市市场监督管理局".into(),
            severity: None,
            decided_on: None,
            source: "test".into(),
            details: None,
        }
    }

    fn matter(block: &[ListType], warn: &[ListType], reward: &[ListType]) -> Matter {
        Matter {
            code: "M1".into(),
            name: "政府采购供应商资格审查".into(),
            domain: "政府采购".into(),
            department: "黄石市财政局".into(),
            block: block.to_vec(),
            warn: warn.to_vec(),
            reward: reward.to_vec(),
        }
    }

    #[test]
    fn subjects_are_told_apart_and_bad_ids_are_not_enterprises() {
        let (person, _) = Subject::parse("11010519491231002X").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(person.kind(), SubjectKind::Person);
        assert_eq!(format!("{person:?}"), person.masked());
        assert!(!format!("{person:?}").contains("19491231"));
        let (firm, warning) =
            Subject::parse(" 91350200776049653a ").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (firm.kind(), firm.as_str(), warning),
            (SubjectKind::Enterprise, "91350200776049653A", None)
        );
        let (pilot, warning) =
            Subject::parse("91350100M0001TGQXM").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pilot.kind(), SubjectKind::Enterprise);
        assert!(warning.is_some());
        assert!(matches!(
            Subject::parse("110105194912310021"),
            Err(SubjectError::IdCard(_))
        ));
        assert!(matches!(
            Subject::parse("12345"),
            Err(SubjectError::Uscc(_))
        ));
        assert!(matches!(Subject::parse("  "), Err(SubjectError::Empty)));
    }

    #[test]
    fn an_entry_counts_from_listing_through_its_last_valid_day() {
        let e = entry(ListType::Blacklist, "2025-03-01", Some("2026-02-28"));
        assert!(!e.counts_on(day("2025-02-28")));
        assert!(e.counts_on(day("2025-03-01")));
        assert!(e.counts_on(day("2026-02-28")));
        assert!(!e.counts_on(day("2026-03-01")));
        let open = entry(ListType::Blacklist, "2020-01-01", None);
        assert!(open.counts_on(day("2099-12-31")));
        let removed = CreditEntry {
            removed_on: Some(day("2025-06-01")),
            ..open
        };
        assert!(removed.counts_on(day("2025-05-31")));
        assert!(!removed.counts_on(day("2025-06-01")));
    }

    #[test]
    fn severity_caps_publication_from_the_finding_date() {
        let serious = CreditEntry {
            severity: Some(Severity::Serious),
            decided_on: Some(day("2026-04-01")),
            ..entry(ListType::Penalty, "2026-04-10", None)
        };
        assert_eq!(serious.effective_until(), Some(day("2029-03-31")));
        assert!(serious.counts_on(day("2029-03-31")));
        assert!(!serious.counts_on(day("2029-04-01")));
        assert_eq!(
            Severity::Serious.repair_opens_on(day("2026-04-01")),
            day("2027-04-01")
        );
        assert_eq!(
            Severity::Ordinary.repair_opens_on(day("2026-01-31")),
            day("2026-04-30")
        );
        assert_eq!(
            Severity::Ordinary.publication_last_day(day("2026-01-31")),
            day("2027-01-30")
        );
        assert_eq!(
            Severity::Minor.publication_last_day(day("2025-11-30")),
            day("2026-02-27")
        );
        assert_eq!(
            Severity::Minor.repair_opens_on(day("2025-11-30")),
            day("2025-11-30")
        );
        assert_eq!(
            Severity::Serious.publication_last_day(day("2028-02-29")),
            day("2031-02-27")
        );
        let shorter = CreditEntry {
            valid_until: Some(day("2027-01-01")),
            ..serious
        };
        assert_eq!(shorter.effective_until(), Some(day("2027-01-01")));
    }

    #[test]
    fn block_beats_warn_beats_reward() {
        let m = matter(
            &[ListType::Blacklist],
            &[ListType::Abnormal],
            &[ListType::Redlist],
        );
        let as_of = day("2026-01-01");
        let red = entry(ListType::Redlist, "2025-01-01", None);
        let abnormal = entry(ListType::Abnormal, "2025-01-01", None);
        let black = entry(ListType::Blacklist, "2025-01-01", Some("2025-12-31"));
        let licence = entry(ListType::Licence, "2025-01-01", None);
        assert_eq!(evaluate(&m, [&red, &licence], as_of).0, Outcome::Reward);
        assert_eq!(evaluate(&m, [&red, &abnormal], as_of).0, Outcome::Warn);
        // Expired the day before: not a hit.
        let (outcome, hits) = evaluate(&m, [&red, &black], as_of);
        assert_eq!((outcome, hits.len()), (Outcome::Reward, 1));
        let black = CreditEntry {
            valid_until: None,
            ..black
        };
        let (outcome, hits) = evaluate(&m, [&red, &abnormal, &black, &licence], as_of);
        assert_eq!(outcome, Outcome::Block);
        let order: Vec<Outcome> = hits.iter().map(|h| h.effect).collect();
        assert_eq!(order, [Outcome::Block, Outcome::Warn, Outcome::Reward]);
        assert_eq!(evaluate(&m, [&licence], as_of).0, Outcome::Clear);
    }

    #[test]
    fn a_matter_gives_each_list_one_effect() {
        assert_eq!(
            ListType::parse_set("严重失信主体名单；经营异常名录;;blacklist").ok(),
            Some(vec![ListType::Blacklist, ListType::Abnormal])
        );
        assert!(ListType::parse_set("白名单").is_err());
        let bad = matter(&[ListType::Blacklist], &[ListType::Blacklist], &[]);
        assert!(bad.validate().is_err());
        let good = matter(
            &[ListType::Blacklist],
            &[ListType::Penalty],
            &[ListType::Redlist],
        );
        assert!(good.validate().is_ok());
        assert_eq!(
            good.rule_text(),
            "阻断：严重失信主体名单；警示：行政处罚；激励：红名单"
        );
    }
}
