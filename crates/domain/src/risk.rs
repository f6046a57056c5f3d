//! Enterprise credit-risk classification (信用风险分类): a configurable
//! indicator model that turns an entity's facts into integer points, sums
//! them and maps the score onto the classes A (low risk) … D (high risk).
//!
//! Every indicator gives points (negative points lower the risk); the score is
//! their sum; the thresholds are the lowest scores of classes B, C and D. Only
//! integers are used. [`RiskModel::assess`] explains every point: each
//! indicator's value, its points, and the thresholds. The default model and
//! its reasoning are documented on [`RiskModel::default`].

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::entity::CreditClass;

/// The lowest score of classes B, C and D (a score below `b` is class A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Lowest score of class B.
    #[serde(rename = "B")]
    pub b: i64,
    /// Lowest score of class C.
    #[serde(rename = "C")]
    pub c: i64,
    /// Lowest score of class D.
    #[serde(rename = "D")]
    pub d: i64,
}

impl Thresholds {
    /// The class of `score`.
    pub fn class_of(&self, score: i64) -> CreditClass {
        if score >= self.d {
            CreditClass::D
        } else if score >= self.c {
            CreditClass::C
        } else if score >= self.b {
            CreditClass::B
        } else {
            CreditClass::A
        }
    }

    /// The range of scores of `class`, in words (for explanations).
    pub fn describe(&self, class: CreditClass) -> String {
        match class {
            CreditClass::A => format!("低于 {}", self.b),
            CreditClass::B => format!("{} 至 {}", self.b, self.c - 1),
            CreditClass::C => format!("{} 至 {}", self.c, self.d - 1),
            CreditClass::D => format!("{} 及以上", self.d),
        }
    }
}

/// Points for a registration younger than `under_months`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeBand {
    /// The band holds entities registered fewer than this many full months ago.
    pub under_months: u32,
    /// Points.
    pub points: i64,
}

/// 成立年限: points by full months since registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeIndicator {
    /// Bands in ascending `under_months`; the first that holds the entity applies.
    pub bands: Vec<AgeBand>,
    /// Points for an entity older than every band.
    pub otherwise: i64,
}

/// 年报公示: points by how the last annual report due was filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIndicator {
    /// Filed by 30 June of the following year.
    pub on_time: i64,
    /// Filed after the deadline (补报).
    pub late: i64,
    /// Not filed by the as-of date.
    pub missing: i64,
}

/// A membership: points when the entity is on the list on the as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListIndicator {
    /// Points.
    pub points: i64,
}

/// Events counted over a window: `each` per event, at most `max` in absolute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountIndicator {
    /// The window: events in the last this many months count.
    pub months: u32,
    /// Points per event.
    pub each: i64,
    /// The most points (in absolute value) all events give together.
    pub max: i64,
}

impl CountIndicator {
    /// The points of `count` events.
    pub fn points(&self, count: u32) -> i64 {
        let total = self.each.saturating_mul(i64::from(count));
        let cap = self.max.saturating_abs();
        total.clamp(-cap, cap)
    }
}

/// 检查结果: problems found in the inspections of the window, or a clean record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionIndicator {
    /// The window in months.
    pub months: u32,
    /// Points per result with a problem found, at most `problem_max`.
    pub problem_each: i64,
    /// The most points problems give together (absolute value).
    pub problem_max: i64,
    /// Points when the entity was inspected in the window and no problem was found.
    pub clean: i64,
}

/// The indicator model. Load one with [`RiskModel::from_json`]; the default is
/// [`RiskModel::default`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskModel {
    /// The model's name, shown with every explanation.
    pub name: String,
    /// Class thresholds.
    pub thresholds: Thresholds,
    /// 成立年限.
    pub registration_age: AgeIndicator,
    /// 年报公示.
    pub annual_report: ReportIndicator,
    /// 经营异常名录 (on the list on the as-of date).
    pub abnormal: ListIndicator,
    /// 行政处罚 (decided within the window, not revoked).
    pub penalties: CountIndicator,
    /// 严重失信主体名单 (on the list on the as-of date).
    pub blacklist: ListIndicator,
    /// 红名单 (on the list on the as-of date).
    pub redlist: ListIndicator,
    /// 检查结果 (published results of the window).
    pub inspections: InspectionIndicator,
    /// 投诉举报 (out-of-plan inspections on a complaint, within the window).
    pub complaints: CountIndicator,
}

impl Default for RiskModel {
    /// The default model (integer points; a higher score is a higher risk):
    ///
    /// | indicator | points |
    /// |---|---|
    /// | 成立年限 | under 12 months 20, under 36 months 10, under 120 months 5, older 0 |
    /// | 年报公示 (last report due) | on time 0, late 10, missing 20 |
    /// | 经营异常名录 | 30 |
    /// | 行政处罚, last 36 months | 10 each, at most 40 |
    /// | 严重失信主体名单 | 60 |
    /// | 红名单 | −20 |
    /// | 检查结果, last 36 months | 10 per problem found, at most 30; inspected without problems −5 |
    /// | 投诉举报, last 12 months | 5 each, at most 20 |
    ///
    /// Classes: A below 5, B 5–24, C 25–49, D 50 and above. So an established
    /// entity with a clean record is A, a young one B; a missing annual report
    /// or two recent penalties make C; the blacklist, or the abnormal list
    /// with a penalty, make D.
    fn default() -> Self {
        Self {
            name: "默认信用风险分类模型（2026版）".into(),
            thresholds: Thresholds { b: 5, c: 25, d: 50 },
            registration_age: AgeIndicator {
                bands: vec![
                    AgeBand {
                        under_months: 12,
                        points: 20,
                    },
                    AgeBand {
                        under_months: 36,
                        points: 10,
                    },
                    AgeBand {
                        under_months: 120,
                        points: 5,
                    },
                ],
                otherwise: 0,
            },
            annual_report: ReportIndicator {
                on_time: 0,
                late: 10,
                missing: 20,
            },
            abnormal: ListIndicator { points: 30 },
            penalties: CountIndicator {
                months: 36,
                each: 10,
                max: 40,
            },
            blacklist: ListIndicator { points: 60 },
            redlist: ListIndicator { points: -20 },
            inspections: InspectionIndicator {
                months: 36,
                problem_each: 10,
                problem_max: 30,
                clean: -5,
            },
            complaints: CountIndicator {
                months: 12,
                each: 5,
                max: 20,
            },
        }
    }
}

/// Why a model was refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not JSON of the model's shape.
    #[error("the risk model is not valid JSON of the expected shape: {0}")]
    Json(String),
    /// Thresholds out of order.
    #[error("the thresholds must rise: B ({b}) ≤ C ({c}) ≤ D ({d})")]
    Thresholds {
        /// B.
        b: i64,
        /// C.
        c: i64,
        /// D.
        d: i64,
    },
    /// Age bands out of order.
    #[error("registration_age.bands must have strictly rising under_months")]
    Bands,
    /// A window of zero months.
    #[error("{0}.months must be at least 1")]
    Window(&'static str),
}

impl RiskModel {
    /// Parses and checks a model (JSON, every field required).
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let model: Self = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| ModelError::Json(e.to_string()))?;
        model.check()?;
        Ok(model)
    }

    /// Checks the thresholds rise, the bands rise and the windows are not empty.
    pub fn check(&self) -> Result<(), ModelError> {
        let Thresholds { b, c, d } = self.thresholds;
        if !(b <= c && c <= d) {
            return Err(ModelError::Thresholds { b, c, d });
        }
        if self
            .registration_age
            .bands
            .windows(2)
            .any(|pair| pair[0].under_months >= pair[1].under_months)
        {
            return Err(ModelError::Bands);
        }
        for (name, months) in [
            ("penalties", self.penalties.months),
            ("inspections", self.inspections.months),
            ("complaints", self.complaints.months),
        ] {
            if months == 0 {
                return Err(ModelError::Window(name));
            }
        }
        Ok(())
    }

    /// The canonical JSON text (the model's digest is over it).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 of [`RiskModel::to_json`], hex: names the model on the ledger.
    pub fn digest(&self) -> String {
        draw::to_hex(&draw::sha256(&[self.to_json().as_bytes()]))
    }

    /// The first day of an indicator's window of `months` ending on `as_of`
    /// (events on or after it and on or before `as_of` count).
    pub fn window_start(as_of: NaiveDate, months: u32) -> NaiveDate {
        as_of
            .checked_sub_months(chrono::Months::new(months))
            .and_then(|d| d.succ_opt())
            .unwrap_or(NaiveDate::MIN)
    }

    /// The score, class and explanation of `facts`.
    pub fn assess(&self, facts: &RiskFacts) -> Assessment {
        let age_points = self
            .registration_age
            .bands
            .iter()
            .find(|band| facts.age_months < band.under_months)
            .map_or(self.registration_age.otherwise, |band| band.points);
        let report = &self.annual_report;
        let report_points = match facts.annual_report {
            ReportState::NotDue => 0,
            ReportState::OnTime => report.on_time,
            ReportState::Late => report.late,
            ReportState::Missing => report.missing,
        };
        let flag = |on: bool, indicator: ListIndicator| if on { indicator.points } else { 0 };
        let inspections = &self.inspections;
        let inspection_points = if facts.problems_found > 0 {
            let cap = inspections.problem_max.saturating_abs();
            inspections
                .problem_each
                .saturating_mul(i64::from(facts.problems_found))
                .clamp(-cap, cap)
        } else if facts.clean_results > 0 {
            inspections.clean
        } else {
            0
        };
        let report_value = match (facts.annual_report, facts.report_year) {
            (ReportState::NotDue, _) | (_, None) => "尚无应报年度".to_owned(),
            (state, Some(year)) => format!("{year} 年度报告{}", state.label()),
        };
        let lines = vec![
            line(
                Indicator::RegistrationAge,
                format!("成立 {} 个月", facts.age_months),
                age_points,
            ),
            line(Indicator::AnnualReport, report_value, report_points),
            line(
                Indicator::Abnormal,
                yes_no(facts.abnormal, "列入"),
                flag(facts.abnormal, self.abnormal),
            ),
            line(
                Indicator::Penalties,
                format!("近 {} 个月 {} 次", self.penalties.months, facts.penalties),
                self.penalties.points(facts.penalties),
            ),
            line(
                Indicator::Blacklist,
                yes_no(facts.blacklisted, "列入"),
                flag(facts.blacklisted, self.blacklist),
            ),
            line(
                Indicator::Redlist,
                yes_no(facts.redlisted, "列入"),
                flag(facts.redlisted, self.redlist),
            ),
            line(
                Indicator::Inspections,
                format!(
                    "近 {} 个月检查结果 {} 项，发现问题 {} 项",
                    inspections.months,
                    facts.problems_found + facts.clean_results,
                    facts.problems_found
                ),
                inspection_points,
            ),
            line(
                Indicator::Complaints,
                format!("近 {} 个月 {} 次", self.complaints.months, facts.complaints),
                self.complaints.points(facts.complaints),
            ),
        ];
        let score = lines
            .iter()
            .fold(0i64, |sum, l| sum.saturating_add(l.points));
        Assessment {
            score,
            class: self.thresholds.class_of(score),
            lines,
        }
    }
}

fn yes_no(on: bool, verb: &str) -> String {
    if on {
        format!("{verb}（有效期内）")
    } else {
        format!("未{verb}")
    }
}

fn line(indicator: Indicator, value: String, points: i64) -> IndicatorLine {
    IndicatorLine {
        indicator,
        name: indicator.name_zh(),
        value,
        points,
    }
}

/// The indicators of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 成立年限.
    RegistrationAge,
    /// 年报公示.
    AnnualReport,
    /// 经营异常名录.
    Abnormal,
    /// 行政处罚.
    Penalties,
    /// 严重失信主体名单.
    Blacklist,
    /// 红名单.
    Redlist,
    /// 检查结果.
    Inspections,
    /// 投诉举报.
    Complaints,
}

impl Indicator {
    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::RegistrationAge => "成立年限",
            Self::AnnualReport => "年报公示",
            Self::Abnormal => "经营异常名录",
            Self::Penalties => "行政处罚",
            Self::Blacklist => "严重失信主体名单",
            Self::Redlist => "红名单",
            Self::Inspections => "双随机检查结果",
            Self::Complaints => "投诉举报",
        }
    }
}

/// How the last annual report due was filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    /// No report is due yet (registered after the last year due).
    #[default]
    NotDue,
    /// Filed by 30 June of the following year.
    OnTime,
    /// Filed after the deadline, by the as-of date.
    Late,
    /// Not filed by the as-of date.
    Missing,
}

impl ReportState {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotDue => "无需报送",
            Self::OnTime => "按时报送",
            Self::Late => "逾期补报",
            Self::Missing => "未报送",
        }
    }

    /// The year whose report is the last one due on `as_of`: reports for year
    /// Y are filed from 1 January to 30 June of Y + 1 (《企业信息公示暂行条例》).
    pub fn due_year(as_of: NaiveDate) -> i32 {
        if (as_of.month(), as_of.day()) > (6, 30) {
            as_of.year() - 1
        } else {
            as_of.year() - 2
        }
    }

    /// The state of the report for `due_year` of an entity registered on
    /// `registered_on`, filed on `filed_on` (if ever), seen on `as_of`.
    pub fn of(
        registered_on: NaiveDate,
        due_year: i32,
        filed_on: Option<NaiveDate>,
        as_of: NaiveDate,
    ) -> Self {
        if registered_on.year() > due_year {
            return Self::NotDue;
        }
        let deadline = NaiveDate::from_ymd_opt(due_year + 1, 6, 30).unwrap_or(NaiveDate::MAX);
        match filed_on.filter(|&filed| filed <= as_of) {
            Some(filed) if filed <= deadline => Self::OnTime,
            Some(_) => Self::Late,
            None => Self::Missing,
        }
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// An entity's facts on the as-of date: what the indicators read. Stored (as
/// JSON, defaults omitted) as each entity's explanation, so it can be
/// re-explained with the run's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskFacts {
    /// Full months since registration.
    #[serde(rename = "age", skip_serializing_if = "is_default")]
    pub age_months: u32,
    /// The last annual report due.
    #[serde(rename = "report", skip_serializing_if = "is_default")]
    pub annual_report: ReportState,
    /// Its year.
    #[serde(rename = "year", skip_serializing_if = "is_default")]
    pub report_year: Option<i32>,
    /// On the 经营异常名录.
    #[serde(skip_serializing_if = "is_default")]
    pub abnormal: bool,
    /// Penalties decided in the window.
    #[serde(skip_serializing_if = "is_default")]
    pub penalties: u32,
    /// On the blacklist.
    #[serde(rename = "black", skip_serializing_if = "is_default")]
    pub blacklisted: bool,
    /// On the red list.
    #[serde(rename = "red", skip_serializing_if = "is_default")]
    pub redlisted: bool,
    /// Published results with a problem found, in the window.
    #[serde(rename = "problems", skip_serializing_if = "is_default")]
    pub problems_found: u32,
    /// Published results without a problem, in the window.
    #[serde(rename = "clean", skip_serializing_if = "is_default")]
    pub clean_results: u32,
    /// Out-of-plan inspections on a complaint, in the window.
    #[serde(skip_serializing_if = "is_default")]
    pub complaints: u32,
}

/// Full months from `from` to `to` (0 when `to` is earlier).
pub fn full_months(from: NaiveDate, to: NaiveDate) -> u32 {
    let months = (to.year() - from.year()) * 12 + to.month() as i32
        - from.month() as i32
        - i32::from(to.day() < from.day());
    u32::try_from(months).unwrap_or(0)
}

/// One indicator of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorLine {
    /// Which indicator.
    pub indicator: Indicator,
    /// Its Chinese name.
    pub name: &'static str,
    /// The entity's value, in words.
    pub value: String,
    /// Points given.
    pub points: i64,
}

/// A score, its class and the indicators behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// The sum of the points.
    pub score: i64,
    /// The class.
    pub class: CreditClass,
    /// Every indicator, in the model's order.
    pub lines: Vec<IndicatorLine>,
}

/// Entities per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClassCounts {
    /// Class A.
    #[serde(rename = "A")]
    pub a: u64,
    /// Class B.
    #[serde(rename = "B")]
    pub b: u64,
    /// Class C.
    #[serde(rename = "C")]
    pub c: u64,
    /// Class D.
    #[serde(rename = "D")]
    pub d: u64,
}

impl ClassCounts {
    /// Counts one more entity of `class`.
    pub fn add(&mut self, class: CreditClass) {
        *self.get_mut(class) += 1;
    }

    /// The count of `class`.
    pub fn get(&self, class: CreditClass) -> u64 {
        match class {
            CreditClass::A => self.a,
            CreditClass::B => self.b,
            CreditClass::C => self.c,
            CreditClass::D => self.d,
        }
    }

    fn get_mut(&mut self, class: CreditClass) -> &mut u64 {
        match class {
            CreditClass::A => &mut self.a,
            CreditClass::B => &mut self.b,
            CreditClass::C => &mut self.c,
            CreditClass::D => &mut self.d,
        }
    }

    /// All classes together.
    pub fn total(&self) -> u64 {
        self.a + self.b + self.c + self.d
    }
}

/// One classification run, kept as a document on the audit ledger in
/// `credit_runs` beside the credit imports: the fields every credit run has
/// (so the table reads as one kind of document), then the as-of date, the
/// model (whole, so every stored explanation can be re-explained) and the
/// counts per class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationRun {
    /// `classify-YYYYMMDDTHHMMSSmmm`: sorts by time.
    pub id: String,
    /// Always [`RUN_KIND`].
    pub kind: String,
    /// The model's name.
    pub source: String,
    /// SHA-256 of the model's canonical JSON, hex.
    pub sha256: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Entities read.
    pub rows: u64,
    /// Entities whose class changed.
    pub changed: u64,
    /// Always 0: every entity is classified or skipped.
    pub rejected: u64,
    /// Entities with a class before the run.
    pub before: u64,
    /// Entities with a class after the run.
    pub after: u64,
    /// The date the facts were taken on.
    pub as_of: NaiveDate,
    /// The model.
    pub model: RiskModel,
    /// Entities classified, per class.
    pub counts: ClassCounts,
    /// Entities registered after the as-of date, left as they were.
    pub skipped: u64,
    /// Who ran it (`scheduler` for the daily run).
    pub actor: String,
}

/// The kind of a [`ClassificationRun`] in the `credit_runs` table.
pub const RUN_KIND: &str = "classify";

/// What `entity_risk.explanation` holds: the run and the entity's facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredExplanation {
    /// The run's id.
    pub run: String,
    /// The facts.
    pub facts: RiskFacts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_default_model_is_valid_and_round_trips() -> Result<(), ModelError> {
        let model = RiskModel::default();
        model.check()?;
        assert_eq!(RiskModel::from_json(&model.to_json())?, model);
        assert_eq!(model.digest().len(), 64);
        Ok(())
    }

    #[test]
    fn bad_models_are_refused() {
        let mut model = RiskModel::default();
        model.thresholds.c = 100;
        assert!(matches!(
            RiskModel::from_json(&model.to_json()),
            Err(ModelError::Thresholds { .. })
        ));
        assert!(matches!(
            RiskModel::from_json("{}"),
            Err(ModelError::Json(_))
        ));
    }

    #[test]
    fn months_and_report_years() {
        assert_eq!(full_months(date(2020, 1, 31), date(2020, 2, 29)), 0);
        assert_eq!(full_months(date(2020, 1, 31), date(2020, 3, 1)), 1);
        assert_eq!(full_months(date(2021, 5, 4), date(2020, 3, 1)), 0);
        assert_eq!(ReportState::due_year(date(2026, 6, 30)), 2024);
        assert_eq!(ReportState::due_year(date(2026, 7, 1)), 2025);
        let as_of = date(2026, 11, 1);
        let registered = date(2020, 1, 1);
        assert_eq!(
            ReportState::of(date(2026, 1, 1), 2025, None, as_of),
            ReportState::NotDue
        );
        assert_eq!(
            ReportState::of(registered, 2025, Some(date(2026, 6, 30)), as_of),
            ReportState::OnTime
        );
        assert_eq!(
            ReportState::of(registered, 2025, Some(date(2026, 7, 1)), as_of),
            ReportState::Late
        );
        assert_eq!(
            ReportState::of(registered, 2025, Some(date(2026, 11, 2)), as_of),
            ReportState::Missing
        );
        assert_eq!(
            RiskModel::window_start(date(2026, 3, 31), 1),
            date(2026, 3, 1)
        );
    }

    #[test]
    fn facts_store_compactly() -> Result<(), serde_json::Error> {
        let facts = RiskFacts {
            age_months: 30,
            penalties: 2,
            ..RiskFacts::default()
        };
        let text = serde_json::to_string(&facts)?;
        assert_eq!(text, r#"{"age":30,"penalties":2}"#);
        assert_eq!(serde_json::from_str::<RiskFacts>(&text)?, facts);
        Ok(())
    }
}
