//! Government services (政务服务): the matter catalogue (事项清单), applications
//! (办件) with their due time, and the KPI counts. Every type validates on
//! construction; see docs/services.md.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::credit::Subject;
use crate::field::InvalidField;
use crate::hotline::{Refused, WorkingDays, beijing};

/// The longest 承诺时限 or 法定时限 accepted, in working days.
pub const MAX_TIME_LIMIT_DAYS: u32 = 365;
/// Working days a 差评 has to be rectified in (国办发〔2019〕51号).
pub const RECTIFY_DAYS: u32 = 5;

macro_rules! zh_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $zh:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $zh)] $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The Chinese name, as in files and stored.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $zh),+
                }
            }

            /// Parses the Chinese name.
            pub fn parse(text: &str) -> Result<Self, InvalidField> {
                let text = text.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        InvalidField::new(
                            stringify!($name),
                            text,
                            format!("one of {}", names.join(" / ")),
                        )
                    })
            }
        }
    };
}

zh_enum!(
    /// 事项类型.
    MatterKind {
        /// 行政许可.
        Licensing = "行政许可",
        /// 行政确认.
        Confirmation = "行政确认",
        /// 行政给付.
        Benefit = "行政给付",
        /// 公共服务.
        PublicService = "公共服务",
        /// 其他.
        Other = "其他",
    }
);

zh_enum!(
    /// 风险等级 of a matter: the stratum of its 告知承诺 核查 sampling.
    RiskLevel {
        /// 高.
        High = "高",
        /// 中 (the default).
        Medium = "中",
        /// 低.
        Low = "低",
    }
);

#[allow(
    clippy::derivable_impls,
    reason = "zh_enum! derives a fixed set; Default is the 中 of docs/services.md"
)]
impl Default for RiskLevel {
    fn default() -> Self {
        Self::Medium
    }
}

zh_enum!(
    /// 办件类型.
    Handling {
        /// 即办件: done on the day it is accepted.
        Immediate = "即办件",
        /// 承诺件: done within the 承诺时限.
        Promised = "承诺件",
    }
);

zh_enum!(
    /// 受理渠道.
    Channel {
        /// 综合窗口 (一窗通办).
        OneWindow = "综合窗口",
        /// 部门窗口.
        DepartmentWindow = "部门窗口",
        /// 网上.
        Online = "网上",
    }
);

zh_enum!(
    /// 办理结果.
    Decision {
        /// 准予.
        Granted = "准予",
        /// 不予.
        Refused = "不予",
        /// 撤回.
        Withdrawn = "撤回",
    }
);

zh_enum!(
    /// 好差评: the five grades of 国办发〔2019〕51号.
    Review {
        /// 非常满意.
        VerySatisfied = "非常满意",
        /// 满意.
        Satisfied = "满意",
        /// 基本满意.
        FairlySatisfied = "基本满意",
        /// 不满意.
        Dissatisfied = "不满意",
        /// 非常不满意.
        VeryDissatisfied = "非常不满意",
    }
);

impl Review {
    /// 好评: 非常满意, 满意 or 基本满意.
    pub fn is_good(self) -> bool {
        !self.is_bad()
    }

    /// 差评: 不满意 or 非常不满意.
    pub fn is_bad(self) -> bool {
        matches!(self, Self::Dissatisfied | Self::VeryDissatisfied)
    }
}

/// One 证明事项 of a matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Its name.
    pub name: String,
    /// Marked `（可承诺）`: may be replaced by a promise (告知承诺).
    pub promisable: bool,
}

/// The mark after a 证明事项 that may be replaced by a promise.
pub const PROMISABLE_MARK: &str = "（可承诺）";

/// Splits a `、`-separated list, dropping empty items.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(['、', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses the 证明事项 column: `、`-separated names, each optionally followed
/// by `（可承诺）` (or the half-width `(可承诺)`).
pub fn parse_proofs(text: &str) -> Vec<Proof> {
    split_list(text)
        .into_iter()
        .map(|item| {
            let bare = item
                .strip_suffix(PROMISABLE_MARK)
                .or_else(|| item.strip_suffix("(可承诺)"));
            match bare {
                Some(name) => Proof {
                    name: name.trim().to_owned(),
                    promisable: true,
                },
                None => Proof {
                    name: item,
                    promisable: false,
                },
            }
        })
        .collect()
}

/// A catalogue entry (事项) as one version states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matter {
    /// 事项编码.
    pub code: String,
    /// 事项名称.
    pub name: String,
    /// 实施部门 (code).
    pub department: String,
    /// 事项类型.
    pub kind: Option<MatterKind>,
    /// 办件类型.
    pub handling: Handling,
    /// 法定时限, working days.
    pub legal_days: Option<u32>,
    /// 承诺时限, working days.
    pub promised_days: u32,
    /// 一窗通办.
    pub one_window: bool,
    /// 一证通办.
    pub one_licence: bool,
    /// 申请材料.
    pub materials: Vec<String>,
    /// 证明事项.
    pub proofs: Vec<Proof>,
    /// 结果证照类型 (a licence type code).
    pub licence_type: Option<String>,
    /// 风险等级 (empty in a file: 中): the stratum of 核查 sampling.
    #[serde(default)]
    pub risk: RiskLevel,
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), InvalidField> {
    if text.trim().is_empty() {
        return Err(InvalidField::new(field, text, "required"));
    }
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(InvalidField::new(
            field,
            text,
            format!("at most {max} characters, no control characters"),
        ));
    }
    Ok(())
}

impl Matter {
    /// Checks every field: codes 1–40 letters, digits or `-_.`; names up to 200
    /// characters; 承诺时限 at most the 法定时限 (优化营商环境条例 Art. 36) and
    /// at most [`MAX_TIME_LIMIT_DAYS`].
    pub fn validate(&self) -> Result<(), InvalidField> {
        crate::plan::check_id("code", &self.code)?;
        check_text("name", &self.name, 200)?;
        crate::plan::check_id("department", &self.department)?;
        for (field, days) in [
            ("legal_days", self.legal_days),
            ("promised_days", Some(self.promised_days)),
        ] {
            if let Some(days) = days
                && days > MAX_TIME_LIMIT_DAYS
            {
                return Err(InvalidField::new(
                    field,
                    days.to_string(),
                    format!("at most {MAX_TIME_LIMIT_DAYS} working days"),
                ));
            }
        }
        if let Some(legal) = self.legal_days
            && self.promised_days > legal
        {
            return Err(InvalidField::new(
                "promised_days",
                self.promised_days.to_string(),
                format!("the 承诺时限 may not exceed the 法定时限 ({legal})"),
            ));
        }
        for material in &self.materials {
            check_text("materials", material, 200)?;
        }
        for proof in &self.proofs {
            check_text("proofs", &proof.name, 200)?;
        }
        if let Some(code) = &self.licence_type {
            crate::plan::check_id("licence_type", code)?;
        }
        Ok(())
    }

    /// Whether some proof may be replaced by a promise (告知承诺).
    pub fn allows_promise(&self) -> bool {
        self.proofs.iter().any(|p| p.promisable)
    }
}

/// One version of a catalogue entry, with who made it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterVersion {
    /// 1, 2, …
    pub version: u32,
    /// When it was made.
    pub at: DateTime<FixedOffset>,
    /// Who made it.
    pub actor: String,
    /// What it states.
    pub matter: Matter,
}

/// A catalogue entry with its history: a change makes a new version; earlier
/// versions are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterRecord {
    /// 事项编码.
    pub code: String,
    /// Every version, oldest first; never empty.
    pub versions: Vec<MatterVersion>,
}

impl MatterRecord {
    /// A new entry at version 1.
    pub fn new(matter: Matter, at: DateTime<FixedOffset>, actor: &str) -> Self {
        Self {
            code: matter.code.clone(),
            versions: vec![MatterVersion {
                version: 1,
                at,
                actor: actor.to_owned(),
                matter,
            }],
        }
    }

    /// The version in force (the latest).
    pub fn current(&self) -> Option<&MatterVersion> {
        self.versions.last()
    }

    /// Records `matter` as a new version if it differs from the current one;
    /// returns whether it did.
    pub fn revise(&mut self, matter: Matter, at: DateTime<FixedOffset>, actor: &str) -> bool {
        let version = match self.current() {
            Some(current) if current.matter == matter => return false,
            Some(current) => current.version + 1,
            None => 1,
        };
        self.versions.push(MatterVersion {
            version,
            at,
            actor: actor.to_owned(),
            matter,
        });
        true
    }
}

/// The last day an application accepted on `accepted` is due (it is due by the
/// end of that day): `deadline(受理日, 承诺时限 + 暂停工作日)` for a 承诺件, the
/// 受理 day itself for a 即办件. The n-th working day after the day, counted as
/// the hotline counts deadlines (`workcal::Calendar::deadline`).
pub fn due_day(
    days: &impl WorkingDays,
    accepted: NaiveDate,
    handling: Handling,
    promised_days: u32,
    paused_days: u32,
) -> Result<NaiveDate, Refused> {
    match handling {
        Handling::Immediate => Ok(accepted),
        Handling::Promised => days.last_day(accepted, promised_days.saturating_add(paused_days)),
    }
}

/// An application (办件).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// 办件编号.
    pub id: String,
    /// 事项编码.
    pub matter: String,
    /// The matter version it was received under.
    pub matter_version: u32,
    /// 实施部门 of the matter.
    pub department: String,
    /// 申请人名称.
    pub applicant_name: String,
    /// 申请人证件号码 (confidential: shown masked).
    pub applicant: Subject,
    /// 受理渠道.
    pub channel: Channel,
    /// 收件时间.
    pub received_at: DateTime<FixedOffset>,
    /// 受理时间.
    pub accepted_at: Option<DateTime<FixedOffset>>,
    /// 暂停工作日.
    pub paused_days: u32,
    /// The last day it is due (from [`due_day`]); none until accepted.
    pub due: Option<NaiveDate>,
    /// 办结时间.
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// 办理结果.
    pub decision: Option<Decision>,
    /// 评价.
    pub review: Option<Review>,
    /// 评价时间.
    pub reviewed_at: Option<DateTime<FixedOffset>>,
    /// For a 差评: the last day to rectify it, `deadline(评价日, 5)`.
    pub rectify_due: Option<NaiveDate>,
    /// 整改完成时间.
    pub rectified_at: Option<DateTime<FixedOffset>>,
    /// SHA-256 of the imported row, if it came from a file.
    pub import_digest: Option<String>,
    /// When the approval was revoked (撤销): a 告知承诺 found false on 核查.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<FixedOffset>>,
}

fn day(at: DateTime<FixedOffset>) -> NaiveDate {
    at.with_timezone(&beijing()).date_naive()
}

impl Application {
    /// Checks the order of the times and the fields that go together.
    pub fn validate(&self) -> Result<(), InvalidField> {
        crate::plan::check_id("id", &self.id)?;
        crate::plan::check_id("matter", &self.matter)?;
        check_text("applicant_name", &self.applicant_name, 200)?;
        let after = |field: &'static str,
                     later: Option<DateTime<FixedOffset>>,
                     earlier: Option<DateTime<FixedOffset>>,
                     what: &str| match (later, earlier) {
            (Some(later), Some(earlier)) if later < earlier => Err(InvalidField::new(
                field,
                later.to_rfc3339(),
                format!("before the {what}"),
            )),
            _ => Ok(()),
        };
        after(
            "accepted_at",
            self.accepted_at,
            Some(self.received_at),
            "收件时间",
        )?;
        after(
            "closed_at",
            self.closed_at,
            self.accepted_at.or(Some(self.received_at)),
            "受理时间",
        )?;
        after("reviewed_at", self.reviewed_at, self.closed_at, "办结时间")?;
        after(
            "rectified_at",
            self.rectified_at,
            self.reviewed_at,
            "评价时间",
        )?;
        if self.review.is_some() != self.reviewed_at.is_some() {
            return Err(InvalidField::new(
                "reviewed_at",
                "",
                "a 评价 and its 评价时间 go together",
            ));
        }
        if self.rectified_at.is_some() && !self.review.is_some_and(Review::is_bad) {
            return Err(InvalidField::new(
                "rectified_at",
                "",
                "only a 差评 (不满意, 非常不满意) is rectified",
            ));
        }
        if self.decision.is_some() != self.closed_at.is_some() {
            return Err(InvalidField::new(
                "decision",
                "",
                "a 办理结果 and its 办结时间 go together",
            ));
        }
        if self.paused_days > MAX_TIME_LIMIT_DAYS {
            return Err(InvalidField::new(
                "paused_days",
                self.paused_days.to_string(),
                format!("at most {MAX_TIME_LIMIT_DAYS} working days"),
            ));
        }
        Ok(())
    }

    /// Computes the due day and the rectification deadline from `matter`.
    pub fn recompute_deadlines(
        &mut self,
        matter: &Matter,
        days: &impl WorkingDays,
    ) -> Result<(), Refused> {
        self.due = match self.accepted_at {
            Some(at) => Some(due_day(
                days,
                day(at),
                matter.handling,
                matter.promised_days,
                self.paused_days,
            )?),
            None => None,
        };
        self.rectify_due = match (self.review, self.reviewed_at) {
            (Some(review), Some(at)) if review.is_bad() => {
                Some(days.last_day(day(at), RECTIFY_DAYS)?)
            }
            _ => None,
        };
        Ok(())
    }
}

/// The counts behind the KPIs of a period (see [`ServiceKpi`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ServiceKpiCounts {
    /// Applications received in the period (by the as-of time).
    pub applications: u64,
    /// Of which through the 综合窗口.
    pub one_window: u64,
    /// 办结 on or before the due day.
    pub closed_on_time: u64,
    /// 办结, plus still open past the due day (accepted ones only).
    pub timed: u64,
    /// 非常满意 + 满意 + 基本满意.
    pub good: u64,
    /// Rated.
    pub rated: u64,
    /// 不满意 + 非常不满意.
    pub bad: u64,
    /// 差评 rectified by `deadline(评价日, 5)`.
    pub rectified_on_time: u64,
    /// 差评 rectified, or past that deadline unrectified.
    pub rectify_counted: u64,
}

impl ServiceKpiCounts {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Self) {
        self.applications += other.applications;
        self.one_window += other.one_window;
        self.closed_on_time += other.closed_on_time;
        self.timed += other.timed;
        self.good += other.good;
        self.rated += other.rated;
        self.bad += other.bad;
        self.rectified_on_time += other.rectified_on_time;
        self.rectify_counted += other.rectify_counted;
    }

    /// The KPIs.
    pub fn kpi(&self) -> ServiceKpi {
        ServiceKpi {
            applications: self.applications,
            on_time_rate: Rate::of(self.closed_on_time, self.timed),
            one_window_share: Rate::of(self.one_window, self.applications),
            good_rate: Rate::of(self.good, self.rated),
            bad_reviews: self.bad,
            rectified_on_time_rate: Rate::of(self.rectified_on_time, self.rectify_counted),
        }
    }
}

/// A ratio rounded to 4 decimals in integer arithmetic: `units` ten-thousandths,
/// rounded half up (`(2·num·10000 + den) div 2·den`). No float decides anything;
/// [`Rate::as_f64`] exists only to print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate {
    /// The ratio in ten-thousandths, 0 to 10000.
    pub units: u64,
}

impl Rate {
    /// `num ÷ den`, none when `den` is 0.
    pub fn of(num: u64, den: u64) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let (num, den) = (u128::from(num), u128::from(den));
        let units = (2 * num * 10_000 + den) / (2 * den);
        Some(Self {
            units: u64::try_from(units).unwrap_or(u64::MAX),
        })
    }

    /// Four decimals, e.g. `0.8333`.
    pub fn to_fixed(self) -> String {
        format!("{}.{:04}", self.units / 10_000, self.units % 10_000)
    }

    /// The value as a JSON number: the nearest double to `units / 10000`,
    /// which prints back as those (at most) four decimals.
    pub fn as_f64(self) -> f64 {
        self.units as f64 / 10_000.0
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

/// The KPIs of issue 21, as `jianguan services kpi --json` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServiceKpi {
    /// Applications received in the period.
    pub applications: u64,
    /// 办结 on or before due ÷ (办结 + still open past due as of).
    pub on_time_rate: Option<Rate>,
    /// 综合窗口 ÷ all.
    pub one_window_share: Option<Rate>,
    /// (非常满意 + 满意 + 基本满意) ÷ rated.
    pub good_rate: Option<Rate>,
    /// 不满意 + 非常不满意.
    pub bad_reviews: u64,
    /// 差评 rectified by `deadline(评价日, 5)` ÷ (差评 rectified, or past that deadline).
    pub rectified_on_time_rate: Option<Rate>,
}

zh_enum!(
    /// 核查结果 of a promise (告知承诺) checked afterwards.
    VerificationOutcome {
        /// 属实: the promise was true.
        True = "属实",
        /// 不实: the promise was false; the approval is revoked.
        False = "不实",
    }
);

/// One matter's part of a 核查 sampling: what its plan is drawn by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationMatter {
    /// 实施部门 (the plan's department in the record).
    pub department: String,
    /// The matter's version when committed.
    pub version: u32,
    /// 风险等级: the stratum of its frame.
    pub risk: RiskLevel,
    /// Promise-based applications in the frame.
    pub applications: u32,
}

/// A recorded 核查 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationResult {
    /// 属实 or 不实.
    pub outcome: VerificationOutcome,
    /// 核查说明.
    pub note: Option<String>,
    /// When recorded.
    pub at: DateTime<FixedOffset>,
    /// Who recorded it.
    pub actor: String,
}

/// A 告知承诺 核查 sampling of one month (国办发〔2020〕42号: promises are
/// checked afterwards). Its frames, commitment and record are those of the
/// round with the same id (`jianguan-draw/v1`); this keeps the rates, the
/// matters and the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Id (also the round's).
    pub id: String,
    /// The month sampled, `YYYY-MM`.
    pub month: String,
    /// Sampling rate per risk level, in basis points (1/10,000).
    pub rates_bp: std::collections::BTreeMap<String, u32>,
    /// Matters sampled, by code.
    pub matters: std::collections::BTreeMap<String, VerificationMatter>,
    /// Results by application id.
    #[serde(default)]
    pub results: std::collections::BTreeMap<String, VerificationResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Weekends only: an independent calendar for the properties.
    struct Weekdays;

    fn is_working(day: NaiveDate) -> bool {
        use chrono::Datelike;
        day.weekday().num_days_from_monday() < 5
    }

    impl WorkingDays for Weekdays {
        fn last_day(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, Refused> {
            let mut day = start;
            let mut left = n;
            while left > 0 {
                day = day
                    .succ_opt()
                    .ok_or_else(|| Refused("end of time".into()))?;
                if is_working(day) {
                    left -= 1;
                }
            }
            Ok(day)
        }
        fn between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, Refused> {
            let mut n = 0;
            let mut day = a;
            while day < b {
                day = day
                    .succ_opt()
                    .ok_or_else(|| Refused("end of time".into()))?;
                n += i64::from(is_working(day));
            }
            Ok(n)
        }
    }

    #[test]
    fn false_promises_are_a_repairable_adverse_list() {
        use crate::credit::ListType;
        assert_eq!(
            ListType::parse("虚假承诺").ok(),
            Some(ListType::FalsePromise)
        );
        assert_eq!(
            ListType::parse("false_promise").ok(),
            Some(ListType::FalsePromise)
        );
        assert!(ListType::FalsePromise.is_adverse());
        assert!(crate::credit_repair::repairable(ListType::FalsePromise));
    }

    #[test]
    fn proofs_marked_promisable_are_told_apart() {
        let proofs = parse_proofs("营业执照（可承诺）、 无犯罪记录证明 、场地证明(可承诺)");
        assert_eq!(
            proofs,
            vec![
                Proof {
                    name: "营业执照".into(),
                    promisable: true
                },
                Proof {
                    name: "无犯罪记录证明".into(),
                    promisable: false
                },
                Proof {
                    name: "场地证明".into(),
                    promisable: true
                },
            ]
        );
    }

    #[test]
    fn rates_round_half_up_and_are_null_on_nothing() {
        assert_eq!(Rate::of(1, 0), None);
        assert_eq!(
            Rate::of(5, 6).map(Rate::to_fixed).as_deref(),
            Some("0.8333")
        );
        assert_eq!(
            Rate::of(1, 8).map(Rate::to_fixed).as_deref(),
            Some("0.1250")
        );
        assert_eq!(Rate::of(1, 20_000).map(|r| r.units), Some(1));
        assert_eq!(Rate::of(1, 20_001).map(|r| r.units), Some(0));
        assert_eq!(
            Rate::of(3, 3).map(Rate::to_fixed).as_deref(),
            Some("1.0000")
        );
        assert_eq!(
            serde_json::to_string(&Rate::of(2, 3)).ok().as_deref(),
            Some("0.6667")
        );
    }

    proptest! {
        /// Against the State Council calendar, counted day by day: the due day
        /// is the n-th working day after acceptance (n = 承诺时限 + 暂停工作日),
        /// the acceptance day itself for n = 0 and for a 即办件.
        #[test]
        fn due_day_counts_the_calendars_working_days(
            offset in 0u64..2_000, promised in 0u32..40, paused in 0u32..10,
        ) {
            let calendar = workcal::Calendar::embedded().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let accepted = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default()
                + chrono::Days::new(offset);
            let due = due_day(&calendar, accepted, Handling::Promised, promised, paused)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut day = accepted;
            let mut left = promised + paused;
            while left > 0 {
                day = day.succ_opt().unwrap_or(day);
                if calendar.estimating().is_working_day(day).map_err(|e| TestCaseError::fail(e.to_string()))?.value {
                    left -= 1;
                }
            }
            prop_assert_eq!(due, day);
            prop_assert_eq!(
                due_day(&calendar, accepted, Handling::Immediate, promised, paused).map_err(|e| TestCaseError::fail(e.to_string()))?,
                accepted
            );
        }

        #[test]
        fn rate_matches_exact_rational_rounding(num in 0u64..1_000_000, extra in 0u64..1_000_000) {
            let den = num + extra;
            prop_assume!(den > 0);
            let rate = Rate::of(num, den).map(|r| r.units);
            // Independent: the candidate k minimises |num/den - k/10000|, ties up.
            let k = rate.unwrap_or(0);
            let exact = |k: u64| (i128::from(num) * 10_000 - i128::from(k) * i128::from(den)).abs();
            if k > 0 {
                prop_assert!(exact(k - 1) >= exact(k));
            }
            prop_assert!(exact(k + 1) > exact(k));
            prop_assert!(k <= 10_000);
        }

        #[test]
        fn due_day_is_the_nth_working_day_after_acceptance(
            offset in 0i64..3_000, promised in 0u32..60, paused in 0u32..30,
        ) {
            let accepted = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()
                + chrono::Days::new(offset as u64);
            let due = due_day(&Weekdays, accepted, Handling::Promised, promised, paused)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let n = promised + paused;
            prop_assert_eq!(Weekdays.between(accepted, due).map_err(|e| TestCaseError::fail(e.to_string()))?, i64::from(n));
            if n > 0 {
                prop_assert!(is_working(due));
            } else {
                prop_assert_eq!(due, accepted);
            }
            let immediate = due_day(&Weekdays, accepted, Handling::Immediate, promised, paused)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(immediate, accepted);
        }
    }
}
