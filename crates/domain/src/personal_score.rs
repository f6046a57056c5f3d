//! Personal credit score (个人信用积分): a configurable model of a base score
//! plus rules in five dimensions (cf. Hangzhou 钱江分: 身份特质, 履约能力,
//! 信用历史, 社会贡献, 遵纪守法), on a 0–1000 scale with five levels.
//!
//! The rules read a person's credit entries (the red list rewards, the black
//! list and penalties deduct). Every score is explained rule by rule: the base,
//! each rule's matches and points, and the clamp to the scale, which sum to
//! the score. Integers only.
//!
//! Default levels (documented on [`ScoreModel::default`]): 较差 below 450,
//! 一般 450–529, 良好 530–599, 优秀 600–649, 极好 650 and above. The three upper
//! thresholds are those from which Xiamen's 白鹭分 grants benefits
//! (530/600/650); below 450 is where the black list or several serious
//! penalties put a person.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::credit::{CreditEntry, ListType};

/// The top of the scale.
pub const SCALE_MAX: i64 = 1000;

/// The five dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// 身份特质.
    Identity,
    /// 履约能力.
    Capacity,
    /// 信用历史.
    History,
    /// 社会贡献.
    Contribution,
    /// 遵纪守法.
    Compliance,
}

impl Dimension {
    /// Every dimension, in display order.
    pub const ALL: [Self; 5] = [
        Self::Identity,
        Self::Capacity,
        Self::History,
        Self::Contribution,
        Self::Compliance,
    ];

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Identity => "身份特质",
            Self::Capacity => "履约能力",
            Self::History => "信用历史",
            Self::Contribution => "社会贡献",
            Self::Compliance => "遵纪守法",
        }
    }
}

/// What a rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Once: the 身份证号码 passed its GB 11643 check (every scored person).
    IdentityVerified,
    /// Each entry of `list` that counts on the as-of date.
    Current {
        /// List type code (`blacklist`, `redlist`, `abnormal`, `penalty`, `licence`).
        list: String,
    },
    /// Each entry of `list` that no longer counts but counted within the last `months`.
    Lapsed {
        /// List type code.
        list: String,
        /// Window in months.
        months: u32,
    },
    /// Each entry of `list` found (decided) within the last `months`, not
    /// removed, whose severity is one of `severities` (`轻微`, `一般`, `严重`,
    /// or `未定级` for none; empty: any).
    Found {
        /// List type code.
        list: String,
        /// Window in months.
        months: u32,
        /// Severities matched; empty matches all.
        #[serde(default)]
        severities: Vec<String>,
    },
    /// Once, when no entry of `lists` was found within the last `months`.
    NoneFound {
        /// List type codes.
        lists: Vec<String>,
        /// Window in months.
        months: u32,
    },
}

/// One rule: a condition, the points per match, and a cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    /// Stable code, e.g. `redlist_current`.
    pub code: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// Chinese name shown in the explanation.
    pub name: String,
    /// What it matches.
    pub condition: Condition,
    /// Points per match (negative: a deduction).
    pub points: i64,
    /// The most points (absolute value) the rule gives in all; `None`: no cap.
    #[serde(default)]
    pub max: Option<i64>,
}

/// A level: scores from `from` up to the next level's `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Lowest score of the level.
    pub from: i64,
    /// Chinese name.
    pub name: String,
}

/// The scoring model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreModel {
    /// Name.
    pub name: String,
    /// Every person starts here.
    pub base: i64,
    /// Five levels, ascending; the first starts at 0.
    pub levels: Vec<Level>,
    /// The rules, in explanation order.
    pub rules: Vec<ScoreRule>,
}

fn rule(
    code: &str,
    dimension: Dimension,
    name: &str,
    condition: Condition,
    points: i64,
    max: Option<i64>,
) -> ScoreRule {
    ScoreRule {
        code: code.into(),
        dimension,
        name: name.into(),
        condition,
        points,
        max,
    }
}

fn current(list: &str) -> Condition {
    Condition::Current { list: list.into() }
}

fn found(list: &str, months: u32, severities: &[&str]) -> Condition {
    Condition::Found {
        list: list.into(),
        months,
        severities: severities.iter().map(|s| (*s).to_owned()).collect(),
    }
}

impl Default for ScoreModel {
    /// Base 500. A person with a clean record (identity +30, no negative
    /// record in 36 months +50) scores 580, 良好; on the red list 660, 极好;
    /// one ordinary penalty drops them to 490, 一般; the black list to 280, 较差.
    ///
    /// | dimension | rule | points |
    /// |---|---|---|
    /// | 身份特质 | 身份证号码核验通过 | +30 |
    /// | 履约能力 | 持有有效行政许可 | +10 each, at most 30 |
    /// | 信用历史 | 近 36 个月无失信、处罚、经营异常记录 | +50 |
    /// | 信用历史 | 近 60 个月曾列入严重失信主体名单（已移出） | −40 each, at most 80 |
    /// | 社会贡献 | 列入红名单（有效期内） | +80 each, at most 160 |
    /// | 社会贡献 | 近 36 个月曾列入红名单 | +20 each, at most 40 |
    /// | 遵纪守法 | 列入严重失信主体名单（有效期内） | −250 each, at most 500 |
    /// | 遵纪守法 | 近 36 个月行政处罚（严重） | −80 each, at most 240 |
    /// | 遵纪守法 | 近 36 个月行政处罚（一般、未定级） | −40 each, at most 160 |
    /// | 遵纪守法 | 近 36 个月行政处罚（轻微） | −10 each, at most 50 |
    ///
    /// Levels: 较差 0–449, 一般 450–529, 良好 530–599, 优秀 600–649, 极好 650–1000.
    fn default() -> Self {
        use Dimension as D;
        Self {
            name: "默认个人信用积分模型（2026版）".into(),
            base: 500,
            levels: [
                (0, "较差"),
                (450, "一般"),
                (530, "良好"),
                (600, "优秀"),
                (650, "极好"),
            ]
            .into_iter()
            .map(|(from, name)| Level {
                from,
                name: name.into(),
            })
            .collect(),
            rules: vec![
                rule(
                    "identity_verified",
                    D::Identity,
                    "身份证号码核验通过",
                    Condition::IdentityVerified,
                    30,
                    None,
                ),
                rule(
                    "licence_current",
                    D::Capacity,
                    "持有有效行政许可",
                    current("licence"),
                    10,
                    Some(30),
                ),
                rule(
                    "clean_history",
                    D::History,
                    "近36个月无失信、处罚、经营异常记录",
                    Condition::NoneFound {
                        lists: vec!["blacklist".into(), "penalty".into(), "abnormal".into()],
                        months: 36,
                    },
                    50,
                    None,
                ),
                rule(
                    "blacklist_lapsed",
                    D::History,
                    "近60个月曾列入严重失信主体名单（已移出）",
                    Condition::Lapsed {
                        list: "blacklist".into(),
                        months: 60,
                    },
                    -40,
                    Some(80),
                ),
                rule(
                    "redlist_current",
                    D::Contribution,
                    "列入红名单（有效期内）",
                    current("redlist"),
                    80,
                    Some(160),
                ),
                rule(
                    "redlist_lapsed",
                    D::Contribution,
                    "近36个月曾列入红名单",
                    Condition::Lapsed {
                        list: "redlist".into(),
                        months: 36,
                    },
                    20,
                    Some(40),
                ),
                rule(
                    "blacklist_current",
                    D::Compliance,
                    "列入严重失信主体名单（有效期内）",
                    current("blacklist"),
                    -250,
                    Some(500),
                ),
                rule(
                    "penalty_serious",
                    D::Compliance,
                    "近36个月行政处罚（严重）",
                    found("penalty", 36, &["严重"]),
                    -80,
                    Some(240),
                ),
                rule(
                    "penalty_ordinary",
                    D::Compliance,
                    "近36个月行政处罚（一般、未定级）",
                    found("penalty", 36, &["一般", UNGRADED]),
                    -40,
                    Some(160),
                ),
                rule(
                    "penalty_minor",
                    D::Compliance,
                    "近36个月行政处罚（轻微）",
                    found("penalty", 36, &["轻微"]),
                    -10,
                    Some(50),
                ),
            ],
        }
    }
}

/// How a condition names an entry without a severity.
pub const UNGRADED: &str = "未定级";

/// Why a model was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScoreModelError {
    /// Not JSON of the model's shape.
    #[error("the score model is not valid JSON of the expected shape: {0}")]
    Json(String),
    /// Something else wrong, in words.
    #[error("the score model is invalid: {0}")]
    Invalid(String),
}

impl ScoreModel {
    /// Parses and checks a model.
    pub fn from_json(text: &str) -> Result<Self, ScoreModelError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let model: Self = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| ScoreModelError::Json(e.to_string()))?;
        model.check()?;
        Ok(model)
    }

    /// Checks: base on the scale, five rising levels from 0, known list types
    /// and severities, unique rule codes, non-empty windows.
    pub fn check(&self) -> Result<(), ScoreModelError> {
        let invalid = |m: String| Err(ScoreModelError::Invalid(m));
        if !(0..=SCALE_MAX).contains(&self.base) {
            return invalid(format!("base {} is outside 0..={SCALE_MAX}", self.base));
        }
        if self.levels.len() != 5
            || self.levels.first().is_some_and(|l| l.from != 0)
            || self.levels.windows(2).any(|w| w[0].from >= w[1].from)
            || self.levels.iter().any(|l| l.from > SCALE_MAX)
        {
            return invalid("five levels, the first from 0, rising, within the scale".into());
        }
        let mut codes = std::collections::HashSet::new();
        for rule in &self.rules {
            if !codes.insert(rule.code.as_str()) {
                return invalid(format!("rule code {} is used twice", rule.code));
            }
            let (lists, months, severities): (Vec<&String>, u32, &[String]) = match &rule.condition
            {
                Condition::IdentityVerified => (vec![], 1, &[]),
                Condition::Current { list } => (vec![list], 1, &[]),
                Condition::Lapsed { list, months } => (vec![list], *months, &[]),
                Condition::Found {
                    list,
                    months,
                    severities,
                } => (vec![list], *months, severities),
                Condition::NoneFound { lists, months } => (lists.iter().collect(), *months, &[]),
            };
            if months == 0 {
                return invalid(format!(
                    "rule {}: the window must be at least 1 month",
                    rule.code
                ));
            }
            if let Some(list) = lists.iter().find(|l| ListType::parse(l).is_err()) {
                return invalid(format!("rule {}: unknown list type {list:?}", rule.code));
            }
            if let Some(s) = severities
                .iter()
                .find(|s| !matches!(s.as_str(), "轻微" | "一般" | "严重" | UNGRADED))
            {
                return invalid(format!("rule {}: unknown severity {s:?}", rule.code));
            }
        }
        Ok(())
    }

    /// SHA-256 of the canonical JSON, hex.
    pub fn digest(&self) -> String {
        draw::to_hex(&draw::sha256(&[serde_json::to_string(self)
            .unwrap_or_default()
            .as_bytes()]))
    }

    /// The level of `score`.
    pub fn level_of(&self, score: i64) -> String {
        self.levels
            .iter()
            .rev()
            .find(|level| score >= level.from)
            .map(|level| level.name.clone())
            .unwrap_or_default()
    }

    /// Scores a person from their credit entries on `as_of`.
    pub fn score(&self, entries: &[CreditEntry], as_of: NaiveDate) -> PersonalScore {
        let mut lines = Vec::with_capacity(self.rules.len());
        let mut sum = self.base;
        for rule in &self.rules {
            let matches = self.matches(&rule.condition, entries, as_of);
            let raw = rule.points.saturating_mul(i64::from(matches));
            let points = match rule.max {
                Some(max) => raw.clamp(-max.saturating_abs(), max.saturating_abs()),
                None => raw,
            };
            sum = sum.saturating_add(points);
            lines.push(RuleLine {
                code: rule.code.clone(),
                dimension: rule.dimension,
                dimension_name: rule.dimension.name_zh(),
                name: rule.name.clone(),
                matches,
                points,
            });
        }
        let score = sum.clamp(0, SCALE_MAX);
        PersonalScore {
            base: self.base,
            clamp: score - sum,
            score,
            level: self.level_of(score),
            lines,
        }
    }

    fn matches(&self, condition: &Condition, entries: &[CreditEntry], as_of: NaiveDate) -> u32 {
        let of = |list: &str| {
            let list = ListType::parse(list).ok();
            entries.iter().filter(move |e| Some(e.list_type) == list)
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        match condition {
            Condition::IdentityVerified => 1,
            Condition::Current { list } => count(of(list).filter(|e| e.counts_on(as_of)).count()),
            Condition::Lapsed { list, months } => {
                let from = window_start(as_of, *months);
                count(
                    of(list)
                        .filter(|e| {
                            !e.counts_on(as_of)
                                && e.listed_on <= as_of
                                && last_counted(e, as_of) >= from
                        })
                        .count(),
                )
            }
            Condition::Found {
                list,
                months,
                severities,
            } => {
                let from = window_start(as_of, *months);
                count(
                    of(list)
                        .filter(|e| found_in(e, from, as_of))
                        .filter(|e| {
                            severities.is_empty()
                                || severities.iter().any(|s| *s == severity_name(e))
                        })
                        .count(),
                )
            }
            Condition::NoneFound { lists, months } => {
                let from = window_start(as_of, *months);
                let any = lists
                    .iter()
                    .any(|list| of(list).any(|e| found_in(e, from, as_of)));
                u32::from(!any)
            }
        }
    }
}

/// The first day of a window of `months` ending on `as_of`.
fn window_start(as_of: NaiveDate, months: u32) -> NaiveDate {
    super::risk::RiskModel::window_start(as_of, months)
}

/// The last day an entry counted, seen from `as_of`.
fn last_counted(entry: &CreditEntry, as_of: NaiveDate) -> NaiveDate {
    let removed = entry.removed_on.and_then(|d| d.pred_opt());
    [Some(as_of), entry.effective_until(), removed]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(as_of)
}

/// Found (decided) in `from..=as_of` and not removed by `as_of`.
fn found_in(entry: &CreditEntry, from: NaiveDate, as_of: NaiveDate) -> bool {
    (from..=as_of).contains(&entry.finding_date())
        && entry.removed_on.is_none_or(|removed| removed > as_of)
}

fn severity_name(entry: &CreditEntry) -> &'static str {
    entry.severity.map_or(UNGRADED, |s| s.as_str())
}

/// One rule of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleLine {
    /// The rule's code.
    pub code: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// The dimension's Chinese name.
    pub dimension_name: &'static str,
    /// The rule's name.
    pub name: String,
    /// How many times it matched.
    pub matches: u32,
    /// Points given (after the cap).
    pub points: i64,
}

/// A score explained: `base + Σ lines.points + clamp = score`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonalScore {
    /// The base score.
    pub base: i64,
    /// Rule by rule.
    pub lines: Vec<RuleLine>,
    /// What bringing the sum onto 0..=1000 added (0 mostly).
    pub clamp: i64,
    /// The score.
    pub score: i64,
    /// Its level.
    pub level: String,
}

impl PersonalScore {
    /// Points per dimension, in display order.
    pub fn by_dimension(&self) -> Vec<(Dimension, i64)> {
        Dimension::ALL
            .iter()
            .map(|&d| {
                (
                    d,
                    self.lines
                        .iter()
                        .filter(|l| l.dimension == d)
                        .map(|l| l.points)
                        .sum(),
                )
            })
            .collect()
    }
}
