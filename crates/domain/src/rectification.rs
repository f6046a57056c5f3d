//! Rectification notices (整改通知) of the Justice Bureau's supervision of
//! enforcement: issued on an inspection (an out-of-plan inspection flagged for
//! reason 其他, a result, a plan), answered by the department, then accepted
//! (销号) or sent back by the supervisor.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::entity::chinese_enum;

chinese_enum! {
    /// Where a notice stands.
    RectificationStatus, "status", "the status is 待整改, 已反馈 or 已销号" {
        /// Issued, waiting for the department's answer.
        Issued = "待整改" | "issued",
        /// Answered by the department, waiting for the supervisor.
        Answered = "已反馈" | "answered",
        /// Accepted by the supervisor.
        Closed = "已销号" | "closed",
    }
}

/// A rectification notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    /// Id, e.g. `ZG-2025-0001`.
    pub id: String,
    /// What it is about: `out_of_plan:ID`, `result:ID` or `plan:ID`.
    pub subject: String,
    /// The department that must rectify.
    pub department: String,
    /// What must be rectified.
    pub requirement: String,
    /// Answer due (working days from issue).
    pub due: NaiveDate,
    /// Status.
    pub status: RectificationStatus,
    /// Who issued it, when.
    pub issued_by: String,
    /// When.
    pub issued_at: DateTime<FixedOffset>,
    /// The department's answers, oldest first.
    #[serde(default)]
    pub answers: Vec<RectificationNote>,
    /// The supervisor's decisions (sent back or accepted), oldest first.
    #[serde(default)]
    pub reviews: Vec<RectificationNote>,
}

/// One answer or review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RectificationNote {
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// What.
    pub text: String,
}

impl Rectification {
    /// Open and past its due date on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == RectificationStatus::Issued && today > self.due
    }
}
