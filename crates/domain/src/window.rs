//! The comprehensive window (综合窗口, 一窗通办): the file an application
//! received at the window carries through 收件, 补正, 受理, 分办, 暂停/恢复,
//! 审批, 出件 and 办结, then 好差评 and a 差评's rectification. The
//! application itself ([`crate::services::Application`]) keeps the times the
//! KPIs read; this file keeps who did what. See docs/services.md.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::services::{Decision, Review};

/// Working days after 收件 within which a 补正 notice may be given
/// (行政许可法 Art. 32).
pub const CORRECTION_DAYS: u32 = 5;

/// Where an application stands at the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Stage {
    /// 已收件: materials taken in, not yet accepted.
    #[serde(rename = "已收件")]
    Received,
    /// 待补正: a 补正 notice was given.
    #[serde(rename = "待补正")]
    Correcting,
    /// 已受理: accepted, waiting for 分办.
    #[serde(rename = "已受理")]
    Accepted,
    /// 审批中: with the department's back office.
    #[serde(rename = "审批中")]
    Assigned,
    /// 已暂停: the clock stopped (hearing, test, expert review).
    #[serde(rename = "已暂停")]
    Paused,
    /// 待出件: decided, waiting at the window.
    #[serde(rename = "待出件")]
    Decided,
    /// 已出件: the result handed out.
    #[serde(rename = "已出件")]
    Issued,
    /// 已办结.
    #[serde(rename = "已办结")]
    Closed,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: &'static [Self] = &[
        Self::Received,
        Self::Correcting,
        Self::Accepted,
        Self::Assigned,
        Self::Paused,
        Self::Decided,
        Self::Issued,
        Self::Closed,
    ];

    /// The Chinese name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "已收件",
            Self::Correcting => "待补正",
            Self::Accepted => "已受理",
            Self::Assigned => "审批中",
            Self::Paused => "已暂停",
            Self::Decided => "待出件",
            Self::Issued => "已出件",
            Self::Closed => "已办结",
        }
    }

    /// Parses the Chinese name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == text.trim())
    }

    /// Whether the clock of an accepted application runs (it is not yet decided).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Accepted | Self::Assigned | Self::Paused)
    }
}

/// One required material (申请材料 or 证明事项) and how it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    /// The name, as in the catalogue.
    pub name: String,
    /// A 证明事项 (not a 申请材料).
    pub proof: bool,
    /// Handed in.
    pub submitted: bool,
    /// 免提交 (一证通办): the number of the valid licence that stands for it.
    pub licence_no: Option<String>,
}

impl Material {
    /// Neither handed in nor stood for by a licence.
    pub fn is_missing(&self) -> bool {
        !self.submitted && self.licence_no.is_none()
    }
}

/// A 补正 notice (一次性告知).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// 补正通知书编号.
    pub no: String,
    /// Every missing material.
    pub missing: Vec<String>,
    /// A note to the applicant.
    pub note: String,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Who.
    pub by: String,
}

/// One step done, for the file's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The ledger action.
    pub action: String,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Who.
    pub by: String,
    /// What was recorded.
    pub note: String,
}

/// A pause of the clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Why (听证、检验检测、专家评审…).
    pub reason: String,
    /// Stopped.
    pub from: DateTime<FixedOffset>,
    /// Resumed.
    pub to: Option<DateTime<FixedOffset>>,
    /// Working days excluded from the clock (set on 恢复).
    pub days: u32,
}

/// The 审批 decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// 准予 or 不予.
    pub decision: Decision,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub by: String,
    /// When.
    pub at: DateTime<FixedOffset>,
}

/// A 差评's rectification task (国办发〔2019〕51号).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    /// The grade.
    pub review: Review,
    /// The rater's words.
    pub comment: String,
    /// Last day: `deadline(评价日, 5)`.
    pub due: NaiveDate,
    /// What was done.
    pub done: Option<String>,
    /// The callback (回访) record.
    pub callback: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// When.
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// The 12345 work order it became.
    pub work_order: Option<String>,
}

/// The window file of an application, keyed by its 办件编号.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowFile {
    /// 办件编号 (the application's id).
    pub id: String,
    /// 事项编码.
    pub matter: String,
    /// 事项名称.
    pub matter_name: String,
    /// 实施部门.
    pub department: String,
    /// The window that took it in.
    pub window: String,
    /// Where it stands.
    pub stage: Stage,
    /// The public status page's query code (random, not guessable).
    pub query_code: String,
    /// 收件人.
    pub received_by: String,
    /// The materials and how each came in.
    pub materials: Vec<Material>,
    /// The 一次性告知 补正 notice, at most one.
    pub correction: Option<Correction>,
    /// 受理凭证编号.
    pub receipt_no: Option<String>,
    /// 受理人 (who may not approve).
    pub accepted_by: Option<String>,
    /// The application's due day (none until accepted).
    pub due: Option<NaiveDate>,
    /// The pauses of the clock.
    pub pauses: Vec<Pause>,
    /// The 审批 decision.
    pub approval: Option<Approval>,
    /// The licence issued at 出件.
    pub licence_no: Option<String>,
    /// A 差评's rectification.
    pub rectification: Option<Rectification>,
    /// Every step, in order.
    pub steps: Vec<Step>,
}

impl WindowFile {
    /// Names of the materials neither handed in nor stood for by a licence.
    pub fn missing(&self) -> Vec<String> {
        self.materials
            .iter()
            .filter(|m| m.is_missing())
            .map(|m| m.name.clone())
            .collect()
    }

    /// Records a step.
    pub fn record(&mut self, action: &str, at: DateTime<FixedOffset>, by: &str, note: String) {
        self.steps.push(Step {
            action: action.to_owned(),
            at,
            by: by.to_owned(),
            note,
        });
    }

    /// Working days paused in all (closed pauses).
    pub fn paused_days(&self) -> u32 {
        self.pauses.iter().map(|p| p.days).sum()
    }
}

/// Whether a required material named `material` is stood for by a licence of
/// the type named `licence_type_name` (一证通办): the names are equal once
/// spaces are removed. See docs/services.md.
pub fn licence_stands_for(material: &str, licence_type_name: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let material = squeeze(material);
    !material.is_empty() && material == squeeze(licence_type_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_licence_stands_for_a_material_of_its_name_only() {
        assert!(licence_stands_for("营业执照", "营业执照"));
        assert!(licence_stands_for(" 营业 执照", "营业执照"));
        assert!(!licence_stands_for("营业执照复印件", "营业执照"));
        assert!(!licence_stands_for("", ""));
    }

    #[test]
    fn stages_round_trip_by_name() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(*stage));
        }
        assert_eq!(Stage::parse("未知"), None);
    }
}
