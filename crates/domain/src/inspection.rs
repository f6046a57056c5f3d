//! Rounds (抽取批次), visits (检查任务), results (检查结果), out-of-plan
//! inspections (计划外检查) and the eligibility rules a round applies.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::entity::chinese_enum;
use super::item::CheckMethod;

chinese_enum! {
    /// Where a round is.
    RoundStatus, "status", "the status is 已承诺, 已抽取 or 已公开" {
        /// Frames frozen, secret sealed, commitment published.
        Committed = "已承诺" | "committed",
        /// Drawn with the witnesses' beacon; visits created.
        Drawn = "已抽取" | "drawn",
        /// Secret and record published.
        Published = "已公开" | "published",
    }
}

chinese_enum! {
    /// What newly registered entities get.
    NewEntityPolicy, "new_entities", "the policy is 排除 or 降低比例" {
        /// Left out of frames (the exclusion is recorded).
        Exclude = "排除" | "exclude",
        /// Kept in their own stratum `N`, drawn at the plan's `N` rate.
        ReducedRate = "降低比例" | "reduced",
    }
}

/// The eligibility rules a round applies when it freezes its frames. The
/// defaults are documented in `docs/workflow.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EligibilityRules {
    /// Only 存续 entities (default true).
    pub active_only: bool,
    /// Visits per entity per calendar year, all departments together (default 2,
    /// 国办发〔2024〕54号); `0` means no cap.
    pub annual_cap: u32,
    /// Days after an inspection by a department during which it does not
    /// inspect the same entity again (default 180).
    pub cooling_off_days: u32,
    /// Months after registration during which an entity counts as new (default 6).
    pub new_entity_months: u32,
    /// What new entities get (default 降低比例: stratum `N`).
    pub new_entities: NewEntityPolicy,
    /// Class A only when the plan is required by law (default true).
    pub spare_class_a: bool,
}

impl Default for EligibilityRules {
    fn default() -> Self {
        Self {
            active_only: true,
            annual_cap: 2,
            cooling_off_days: 180,
            new_entity_months: 6,
            new_entities: NewEntityPolicy::ReducedRate,
            spare_class_a: true,
        }
    }
}

/// A round of draws: the plans of one window drawn together with one seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// Round id, e.g. `2026-Q1`.
    pub id: String,
    /// Title.
    pub title: String,
    /// The window the visits take place in.
    pub window_start: NaiveDate,
    /// Last day of the window (visits are due by then).
    pub window_end: NaiveDate,
    /// Load cap per inspector.
    pub cap: Option<u32>,
    /// The rules the frames were built with.
    pub rules: EligibilityRules,
    /// Plan id → the plan version drawn.
    pub plans: BTreeMap<String, u32>,
    /// Plan id → its frame digest (spec §5).
    pub frame_digests: BTreeMap<String, String>,
    /// Plan id → SHA-256 of its stored exclusions, so `explain` cannot be rewritten.
    #[serde(default)]
    pub exclusion_digests: BTreeMap<String, String>,
    /// Spec §1 commitment, hex.
    pub commitment: String,
    /// Spec §5 round digest, hex.
    pub round_digest: String,
    /// Status.
    pub status: RoundStatus,
    /// The witnesses' beacon, once drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<String>,
    /// Who witnessed the beacon.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
    /// The round seed, hex, once drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_seed: Option<String>,
    /// SHA-256 of the stored record text (without frames), once drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_digest: Option<String>,
    /// SHA-256 of the full record's bytes as exported at publication (secret
    /// and frames included), computed at the draw for the witnesses to sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_record_sha256: Option<String>,
    /// Selections over all plan entries.
    #[serde(default)]
    pub selections: u64,
    /// Visits.
    #[serde(default)]
    pub visits: u64,
    /// Unstaffed (visit, department) pairs.
    #[serde(default)]
    pub unstaffed: u64,
    /// The secret, hex, once published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// When committed.
    pub committed_at: DateTime<FixedOffset>,
    /// When drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawn_at: Option<DateTime<FixedOffset>>,
    /// When published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<FixedOffset>>,
}

/// The team one department sends to a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Department code.
    pub department: String,
    /// Inspectors it must send.
    pub k: u32,
    /// Certificate numbers assigned (by the draw, or by a reassignment).
    pub assigned: Vec<String>,
    /// The draw found fewer than `k` eligible inspectors.
    pub unstaffed: bool,
    /// How many were eligible at the draw.
    pub eligible: u32,
}

/// One checked item of a visit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VisitItem {
    /// Plan id.
    pub plan: String,
    /// Department checking it.
    pub department: String,
    /// Item code.
    pub item: String,
}

/// A manual change of a team, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    /// Department.
    pub department: String,
    /// Assigned before.
    pub from: Vec<String>,
    /// Assigned after.
    pub to: Vec<String>,
    /// Why (required).
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<FixedOffset>,
}

/// One visit (检查任务): a drawn entity, every item of every plan that drew it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// `ROUND/USCC`.
    pub id: String,
    /// Round id.
    pub round: String,
    /// 统一社会信用代码.
    pub entity: String,
    /// The plans (ids) that drew it.
    pub plans: Vec<String>,
    /// Teams, by department code.
    pub teams: Vec<Team>,
    /// The items to check.
    pub items: Vec<VisitItem>,
    /// The check is due by (the round's window end).
    pub due_by: NaiveDate,
    /// Manual changes of the teams.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reassignments: Vec<Reassignment>,
}

impl Visit {
    /// The id of the visit of `entity` in `round`.
    pub fn id_for(round: &str, entity: &str) -> String {
        format!("{round}/{entity}")
    }

    /// Whether any department is unstaffed.
    pub fn unstaffed(&self) -> bool {
        self.teams
            .iter()
            .any(|team| team.unstaffed && team.assigned.is_empty())
    }
}

chinese_enum! {
    /// The standard result categories (检查结果).
    ResultCategory, "category", "a standard result category (see the BRIEF)" {
        /// 未发现问题.
        NoProblem = "未发现问题",
        /// 未按规定公示应当公示的信息.
        NotDisclosed = "未按规定公示应当公示的信息",
        /// 公示信息隐瞒真实情况弄虚作假.
        FalseDisclosure = "公示信息隐瞒真实情况弄虚作假",
        /// 通过登记的住所（经营场所）无法联系.
        Unreachable = "通过登记的住所（经营场所）无法联系" | "通过登记的住所(经营场所)无法联系",
        /// 发现问题经责令已改正.
        Corrected = "发现问题经责令已改正",
        /// 发现问题待后续处理.
        PendingFollowUp = "发现问题待后续处理",
        /// 未发现开展本次抽查涉及的经营活动.
        NoRelevantActivity = "未发现开展本次抽查涉及的经营活动",
        /// 已关闭停业或正在组织清算.
        Closed = "已关闭停业或正在组织清算",
        /// 不配合检查情节严重.
        Obstructed = "不配合检查情节严重",
        /// 已注销.
        Deregistered = "已注销",
        /// 已被吊销.
        Revoked = "已被吊销",
        /// 已被撤销.
        Cancelled = "已被撤销",
        /// 已迁出.
        MovedOut = "已迁出",
    }
}

impl ResultCategory {
    /// Whether the category reports a problem found (for the problem-found rate).
    pub fn problem_found(self) -> bool {
        matches!(
            self,
            Self::NotDisclosed
                | Self::FalseDisclosure
                | Self::Unreachable
                | Self::Corrected
                | Self::PendingFollowUp
                | Self::Obstructed
        )
    }
}

chinese_enum! {
    /// Follow-up (后续处置).
    FollowUp, "follow_up", "the follow-up is 无需后续处置, 责令改正, 移送办案机构, 抄告相关部门 or 其他" {
        /// 无需后续处置.
        None = "无需后续处置",
        /// 责令改正.
        OrderCorrection = "责令改正",
        /// 移送办案机构.
        ReferToCase = "移送办案机构",
        /// 抄告相关部门.
        NotifyDepartment = "抄告相关部门",
        /// 其他.
        Other = "其他",
    }
}

chinese_enum! {
    /// Whether a result is public.
    ResultStatus, "status", "the status is 已录入 or 已公开" {
        /// Entered; not yet public; still editable.
        Entered = "已录入" | "entered",
        /// Public; immutable (corrections are new, linked results).
        Published = "已公开" | "published",
    }
}

/// The result of one item of a visit (or of an out-of-plan inspection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionResult {
    /// `VISIT/PLAN/DEPARTMENT/ITEM` (or `OUT_OF_PLAN_ID/ITEM`); a correction appends `/更正N`.
    pub id: String,
    /// The visit, for a planned inspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<String>,
    /// The out-of-plan inspection, for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_plan: Option<String>,
    /// 统一社会信用代码.
    pub entity: String,
    /// Department.
    pub department: String,
    /// Plan id, for a planned inspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Item code.
    pub item: String,
    /// Result category.
    pub category: ResultCategory,
    /// Check method.
    pub method: CheckMethod,
    /// Follow-up.
    pub follow_up: FollowUp,
    /// First day of the check.
    pub check_start: NaiveDate,
    /// Last day of the check.
    pub check_end: NaiveDate,
    /// Certificate numbers of the inspectors who checked.
    pub inspectors: Vec<String>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Publication due: 20 working days after `check_end`.
    pub publish_due: NaiveDate,
    /// Status.
    pub status: ResultStatus,
    /// When published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
    /// The result this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    /// Who entered it.
    pub entered_by: String,
    /// When.
    pub entered_at: DateTime<FixedOffset>,
}

impl InspectionResult {
    /// Published after its due date, or (unpublished) past it on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        match self.published_on {
            Some(published) => published > self.publish_due,
            None => today > self.publish_due,
        }
    }
}

chinese_enum! {
    /// Why an inspection outside the plan took place.
    OutOfPlanReason, "reason", "the reason is 投诉举报, 上级交办, 涉安涉危 or 其他" {
        /// A complaint or report (投诉举报), e.g. a 12345 work order.
        Complaint = "投诉举报" | "complaint",
        /// Assigned by a superior (上级交办).
        Assigned = "上级交办" | "assigned",
        /// A safety or hazard case (涉安涉危).
        Hazard = "涉安涉危" | "hazard",
        /// Anything else: flagged to the Justice Bureau for rectification.
        Other = "其他" | "other",
    }
}

/// An inspection outside the plan (计划外检查).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfPlan {
    /// Id, e.g. `JWJ-2026-0001`.
    pub id: String,
    /// 统一社会信用代码.
    pub entity: String,
    /// Department.
    pub department: String,
    /// Reason.
    pub reason: OutOfPlanReason,
    /// What happened, in words.
    pub detail: String,
    /// The hotline work order, for a complaint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_order: Option<String>,
    /// Date inspected.
    pub inspected_on: NaiveDate,
    /// Inspectors.
    pub inspectors: Vec<String>,
    /// Flagged to the Justice Bureau (督促整改): reason 其他.
    pub flagged: bool,
    /// Who registered it.
    pub registered_by: String,
    /// When.
    pub registered_at: DateTime<FixedOffset>,
}
