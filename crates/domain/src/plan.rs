//! Random-inspection plans (抽查计划): single-department and joint, with their
//! life cycle 草稿 → 已备案 → 已批准 → 已公示.

use std::collections::BTreeSet;
use std::ops::Deref;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::entity::{EntityType, chinese_enum};
use super::field::{InvalidField, required_text};
use super::item::ItemCode;
use super::org::{DepartmentCode, DistrictCode};

chinese_enum! {
    /// 单部门 or 联合 (joint: a lead department and participating departments).
    PlanKind, "kind", "the kind is 单部门 or 联合" {
        /// One department.
        Single = "单部门" | "single",
        /// Several departments, one visit (部门联合抽查).
        Joint = "联合" | "joint",
    }
}

chinese_enum! {
    /// Where a plan is in its life cycle.
    PlanStatus, "status", "the status is 草稿, 已备案, 已批准 or 已公示" {
        /// Being written; not drawable.
        Draft = "草稿" | "draft",
        /// Filed with the Justice Bureau (已备案); awaiting approval.
        Filed = "已备案" | "filed",
        /// Approved; drawable.
        Approved = "已批准" | "approved",
        /// Approved and published (已公示); drawable.
        Published = "已公示" | "published",
    }
}

chinese_enum! {
    /// A partner department's answer to a joint plan (会签).
    Decision, "decision", "the decision is 同意 or 不同意" {
        /// 同意: the partner takes part in this version.
        Confirmed = "同意" | "confirm" | "confirmed",
        /// 不同意: the partner declines this version, with a reason.
        Declined = "不同意" | "decline" | "declined",
    }
}

/// A partner department's confirmation (会签) of one version of a joint plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The partner department.
    pub department: String,
    /// The plan version answered; a later version needs a new answer.
    pub version: u32,
    /// Confirmed or declined.
    pub decision: Decision,
    /// Why (required when declining).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Who answered.
    pub by: String,
    /// When (RFC 3339, China time).
    pub at: String,
}

impl PlanStatus {
    /// Only filed-and-approved plans may be drawn.
    pub fn drawable(self) -> bool {
        matches!(self, Self::Approved | Self::Published)
    }
}

/// Stratum of a frame row: the credit-risk class, `U` for entities not yet
/// classified, `N` for newly registered entities under the reduced-rate policy.
pub const STRATA: [&str; 6] = ["A", "B", "C", "D", "U", "N"];

/// The sampling rule of one stratum: a rate in basis points or a fixed count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumRate {
    /// One of [`STRATA`].
    pub stratum: String,
    /// Rate in basis points (1–10000), or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bp: Option<u32>,
    /// a fixed number to draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// Which entities a plan covers; an empty list does not narrow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanScope {
    /// District codes.
    pub districts: Vec<String>,
    /// GB/T 4754 section letters (`F`) or code prefixes (`52`, `5211`).
    pub industries: Vec<String>,
    /// Entity types.
    pub entity_types: Vec<EntityType>,
    /// Special pools (an entity in any of them).
    pub pools: Vec<String>,
    /// Tags (an entity carrying any of them).
    pub tags: Vec<String>,
}

/// A department taking part in a plan, with what it checks and sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Department code.
    pub department: String,
    /// Inspectors it sends to each visit (持证上岗: at least 2).
    pub inspectors: u32,
    /// Item codes from the item list (or the joint list) it checks.
    pub items: Vec<String>,
    /// Enforcement field (执法领域) its inspectors must be qualified for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The fields of a plan, as written in a plan file (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFields {
    /// Plan id, e.g. `2026-SJ-001`: letters, digits, `-`, `_`, `.`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Single-department or joint.
    pub kind: PlanKind,
    /// The lead department (for a single plan, its only department).
    pub lead: String,
    /// Every department taking part, the lead first.
    pub participants: Vec<Participant>,
    /// Which entities.
    #[serde(default)]
    pub scope: PlanScope,
    /// Rates or counts per stratum.
    pub strata: Vec<StratumRate>,
    /// Required by law or regulation: class A entities stay in the frame.
    #[serde(default)]
    pub required_by_law: bool,
    /// First day of the period the plan runs in.
    pub period_start: NaiveDate,
    /// Last day.
    pub period_end: NaiveDate,
    /// Frequency as published, e.g. `每年1次`.
    pub frequency: String,
    /// Life-cycle state.
    #[serde(default = "draft")]
    pub status: PlanStatus,
    /// Incremented by every change after filing.
    #[serde(default = "first_version")]
    pub version: u32,
    /// The version last approved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_version: Option<u32>,
    /// Who filed the current version; another person approves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed_by: Option<String>,
    /// The partner departments' latest answers (会签), one per department.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmations: Vec<Confirmation>,
}

fn draft() -> PlanStatus {
    PlanStatus::Draft
}

fn first_version() -> u32 {
    1
}

/// A validated plan. Deserializing validates too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PlanFields", into = "PlanFields")]
pub struct Plan(PlanFields);

impl Deref for Plan {
    type Target = PlanFields;

    fn deref(&self) -> &PlanFields {
        &self.0
    }
}

impl From<Plan> for PlanFields {
    fn from(plan: Plan) -> Self {
        plan.0
    }
}

impl TryFrom<PlanFields> for Plan {
    type Error = InvalidField;

    fn try_from(fields: PlanFields) -> Result<Self, InvalidField> {
        Plan::new(fields)
    }
}

/// Plan and round ids: 1–40 ASCII letters, digits, `-`, `_` or `.`; no `/` (used in entry ids).
pub fn check_id(field: &'static str, id: &str) -> Result<(), InvalidField> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(
            InvalidField::new(field, id, "1 to 40 ASCII letters, digits, '-', '_' or '.'")
                .zh("须为 1 至 40 个英文字母、数字或 - _ . 符号"),
        )
    }
}

impl Plan {
    /// Validates `fields`.
    pub fn new(mut fields: PlanFields) -> Result<Self, InvalidField> {
        check_id("id", &fields.id)?;
        fields.title = required_text("title", &fields.title, 200)?;
        fields.frequency = required_text("frequency", &fields.frequency, 50)?;
        DepartmentCode::parse_as("lead", &fields.lead)?;
        if fields.participants.is_empty() {
            return Err(
                InvalidField::new("participants", "", "at least one department").zh("至少一个部门"),
            );
        }
        let mut seen = BTreeSet::new();
        for participant in &fields.participants {
            DepartmentCode::parse_as("participants", &participant.department)?;
            if !seen.insert(participant.department.as_str()) {
                return Err(InvalidField::new(
                    "participants",
                    &participant.department,
                    "a department takes part once",
                )
                .zh("同一部门只能参与一次"));
            }
            if participant.inspectors < 2 {
                return Err(InvalidField::new(
                    "inspectors",
                    participant.inspectors.to_string(),
                    "at least 2 inspectors per department and visit (持证上岗)",
                )
                .zh("每个部门每户至少 2 名检查人员（持证上岗）"));
            }
            if participant.items.is_empty() {
                return Err(InvalidField::new(
                    "items",
                    &participant.department,
                    "each department checks at least one item",
                )
                .zh("每个部门至少检查一个事项"));
            }
            for item in &participant.items {
                ItemCode::parse(item)?;
            }
        }
        if fields.participants.first().map(|p| p.department.as_str()) != Some(fields.lead.as_str())
        {
            return Err(InvalidField::new(
                "participants",
                &fields.lead,
                "the lead department comes first among the participants",
            )
            .zh("牵头部门须列在参与部门的第一位"));
        }
        match (fields.kind, fields.participants.len()) {
            (PlanKind::Single, 1) => {}
            (PlanKind::Joint, n) if n >= 2 => {}
            (PlanKind::Single, n) => {
                return Err(InvalidField::new(
                    "kind",
                    n.to_string(),
                    "a 单部门 plan has one department",
                )
                .zh("单部门计划只有一个部门"));
            }
            (PlanKind::Joint, n) => {
                return Err(InvalidField::new(
                    "kind",
                    n.to_string(),
                    "a 联合 plan has at least two departments",
                )
                .zh("联合计划至少有两个部门"));
            }
        }
        for district in &fields.scope.districts {
            DistrictCode::parse(district)?;
        }
        if fields.strata.is_empty() {
            return Err(InvalidField::new("strata", "", "at least one stratum rule")
                .zh("至少一条分层抽取规则"));
        }
        let mut strata = BTreeSet::new();
        for rule in &fields.strata {
            if !STRATA.contains(&rule.stratum.as_str()) {
                return Err(InvalidField::new(
                    "strata",
                    &rule.stratum,
                    "a stratum is A, B, C, D, U (未分类) or N (新设)",
                )
                .zh("分层只能是 A、B、C、D、U（未分类）或 N（新设）"));
            }
            if !strata.insert(rule.stratum.as_str()) {
                return Err(
                    InvalidField::new("strata", &rule.stratum, "one rule per stratum")
                        .zh("每个分层只能有一条规则"),
                );
            }
            match (rule.rate_bp, rule.count) {
                (Some(rate), None) if (1..=10_000).contains(&rate) => {}
                (None, Some(_)) => {}
                _ => {
                    return Err(InvalidField::new(
                        "strata",
                        &rule.stratum,
                        "give either rate_bp (1–10000) or count",
                    )
                    .zh("比例（万分之 1 至 10000）与户数须且只能填一项"));
                }
            }
        }
        if fields.period_start > fields.period_end {
            return Err(InvalidField::new(
                "period_end",
                fields.period_end.to_string(),
                "the period ends before it starts",
            )
            .zh("结束日期早于开始日期"));
        }
        if fields.period_start.year() != fields.period_end.year() {
            return Err(InvalidField::new(
                "period_end",
                fields.period_end.to_string(),
                "a plan runs within one calendar year",
            )
            .zh("计划须在同一自然年度内（开始与结束日期在同一年）"));
        }
        if fields.version == 0 {
            return Err(
                InvalidField::new("version", "0", "versions start at 1").zh("版本号从 1 开始")
            );
        }
        let mut answered = BTreeSet::new();
        for confirmation in &fields.confirmations {
            let partner = fields
                .participants
                .iter()
                .skip(1)
                .any(|p| p.department == confirmation.department);
            if !partner || !answered.insert(confirmation.department.as_str()) {
                return Err(InvalidField::new(
                    "confirmations",
                    &confirmation.department,
                    "one answer per partner department (not the lead)",
                )
                .zh("每个协办部门只能有一条会签意见（牵头部门不会签）"));
            }
            if confirmation.version == 0 || confirmation.version > fields.version {
                return Err(InvalidField::new(
                    "confirmations",
                    confirmation.version.to_string(),
                    "an answer is for an existing version of the plan",
                )
                .zh("会签意见须针对计划已有的版本"));
            }
        }
        Ok(Self(fields))
    }

    /// The calendar year the plan runs in.
    pub fn year(&self) -> i32 {
        self.period_start.year()
    }

    /// The plan's entries in a draw record: the plan id for a single plan; for a
    /// joint plan one entry per department, `ID/DEPARTMENT`, sharing one frame.
    pub fn entries(&self) -> Vec<(String, &Participant)> {
        match self.kind {
            PlanKind::Single => self
                .participants
                .iter()
                .map(|p| (self.id.clone(), p))
                .collect(),
            PlanKind::Joint => self
                .participants
                .iter()
                .map(|p| (format!("{}/{}", self.id, p.department), p))
                .collect(),
        }
    }

    /// The plan id of a record entry id.
    pub fn id_of_entry(entry: &str) -> &str {
        entry.split_once('/').map_or(entry, |(id, _)| id)
    }

    /// Whether the plan's period overlaps `start..=end`.
    pub fn overlaps(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.period_start <= end && start <= self.period_end
    }

    /// The partner departments of a joint plan: every participant but the lead.
    pub fn partners(&self) -> impl Iterator<Item = &str> {
        self.participants
            .iter()
            .skip(1)
            .map(|p| p.department.as_str())
    }

    /// A partner's answer to the current version, if it gave one.
    pub fn answer_of(&self, department: &str) -> Option<&Confirmation> {
        self.confirmations
            .iter()
            .find(|c| c.department == department && c.version == self.version)
    }

    /// The partners that have not confirmed the current version (declined or silent).
    pub fn unconfirmed_partners(&self) -> Vec<&str> {
        self.partners()
            .filter(|d| {
                self.answer_of(d)
                    .is_none_or(|c| c.decision != Decision::Confirmed)
            })
            .collect()
    }

    /// The fields, to change and validate again with [`Plan::new`].
    pub fn into_fields(self) -> PlanFields {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> PlanFields {
        serde_json::from_str(
            r#"{"id":"2026-SJ-001","title":"食品经营者双随机抽查","kind":"联合","lead":"SJJ",
            "participants":[{"department":"SJJ","inspectors":2,"items":["SJ-001"]},
                            {"department":"WJW","inspectors":2,"items":["WJ-003"],"field":"卫生健康"}],
            "strata":[{"stratum":"B","rate_bp":300},{"stratum":"D","count":5}],
            "period_start":"2026-01-01","period_end":"2026-03-31","frequency":"每年1次"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_valid_joint_plan_has_one_entry_per_department() {
        let plan = Plan::new(fields()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.status, PlanStatus::Draft);
        let entries: Vec<String> = plan.entries().into_iter().map(|(id, _)| id).collect();
        assert_eq!(entries, ["2026-SJ-001/SJJ", "2026-SJ-001/WJW"]);
        assert_eq!(Plan::id_of_entry("2026-SJ-001/WJW"), "2026-SJ-001");
    }

    fn answer(department: &str, version: u32, decision: Decision) -> Confirmation {
        Confirmation {
            department: department.into(),
            version,
            decision,
            reason: String::new(),
            by: "某科员".into(),
            at: "2026-01-05T09:00:00+08:00".into(),
        }
    }

    #[test]
    fn only_confirmations_of_the_current_version_count() {
        let mut two = fields();
        two.version = 2;
        two.confirmations = vec![answer("WJW", 1, Decision::Confirmed)];
        let plan = Plan::new(two.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            plan.unconfirmed_partners(),
            ["WJW"],
            "an answer to version 1"
        );
        two.confirmations = vec![answer("WJW", 2, Decision::Declined)];
        let plan = Plan::new(two.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.unconfirmed_partners(), ["WJW"], "declined");
        two.confirmations = vec![answer("WJW", 2, Decision::Confirmed)];
        let plan = Plan::new(two.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert!(plan.unconfirmed_partners().is_empty());
        for wrong in [
            answer("SJJ", 2, Decision::Confirmed),
            answer("YJJ", 2, Decision::Confirmed),
            answer("WJW", 3, Decision::Confirmed),
        ] {
            let mut bad = two.clone();
            bad.confirmations = vec![wrong];
            assert_eq!(Plan::new(bad).err().map(|e| e.field), Some("confirmations"));
        }
        let mut twice = two;
        twice
            .confirmations
            .push(answer("WJW", 2, Decision::Confirmed));
        assert!(Plan::new(twice).is_err(), "one answer per partner");
    }

    #[test]
    fn invalid_plans_are_refused() {
        let mut one_inspector = fields();
        one_inspector.participants[1].inspectors = 1;
        assert_eq!(
            Plan::new(one_inspector).err().map(|e| e.field),
            Some("inspectors")
        );
        let mut single_with_two = fields();
        single_with_two.kind = PlanKind::Single;
        assert_eq!(
            Plan::new(single_with_two).err().map(|e| e.field),
            Some("kind")
        );
        let mut lead_not_first = fields();
        lead_not_first.participants.swap(0, 1);
        assert_eq!(
            Plan::new(lead_not_first).err().map(|e| e.field),
            Some("participants")
        );
        let mut both = fields();
        both.strata[0].count = Some(3);
        assert_eq!(Plan::new(both).err().map(|e| e.field), Some("strata"));
        let mut bad_stratum = fields();
        bad_stratum.strata[0].stratum = "E".into();
        assert!(Plan::new(bad_stratum).is_err());
        let mut slash = fields();
        slash.id = "a/b".into();
        assert_eq!(Plan::new(slash).err().map(|e| e.field), Some("id"));
        let text = r#"{"id":"x","title":"t","kind":"单部门","lead":"A","participants":[],"strata":[],
            "period_start":"2026-01-01","period_end":"2026-12-31","frequency":"f"}"#;
        assert!(
            serde_json::from_str::<Plan>(text).is_err(),
            "deserializing validates"
        );
    }
}
