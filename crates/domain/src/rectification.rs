//! Rectification notices (整改通知) of the Justice Bureau's supervision of
//! enforcement: issued against any supervised object ([`SupervisedObject`]:
//! an out-of-plan inspection, an overdue result publication, a late 12345
//! work order, a penalty case finding, a review file; older notices also name
//! a result or a plan), answered by the department, then accepted (销号) or
//! sent back by the supervisor.

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

/// What kind of object a notice is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisedKind {
    /// An out-of-plan inspection (计划外检查).
    OutOfPlan,
    /// An inspection result not published by its due date (检查结果逾期未公示).
    OverdueResult,
    /// A 12345 work order past its deadline (超期工单).
    HotlineOrder,
    /// A finding of a penalty case (行政处罚案件).
    CaseFinding,
    /// A file of a case review (案卷评查).
    ReviewFile,
    /// An inspection result (notices issued before the kinds above).
    Result,
    /// An inspection plan (notices issued before the kinds above).
    Plan,
}

impl SupervisedKind {
    /// The kinds a new notice may name, in the order the page offers them.
    pub const ISSUABLE: &'static [Self] = &[
        Self::OutOfPlan,
        Self::OverdueResult,
        Self::HotlineOrder,
        Self::CaseFinding,
        Self::ReviewFile,
    ];

    /// The code, e.g. `hotline_order`.
    pub fn code(self) -> &'static str {
        match self {
            Self::OutOfPlan => "out_of_plan",
            Self::OverdueResult => "overdue_result",
            Self::HotlineOrder => "hotline_order",
            Self::CaseFinding => "case_finding",
            Self::ReviewFile => "review_file",
            Self::Result => "result",
            Self::Plan => "plan",
        }
    }

    /// The Chinese noun, e.g. `12345工单`.
    pub fn noun(self) -> &'static str {
        match self {
            Self::OutOfPlan => "计划外检查",
            Self::OverdueResult => "逾期未公示的检查结果",
            Self::HotlineOrder => "12345工单",
            Self::CaseFinding => "行政处罚案件认定",
            Self::ReviewFile => "案卷评查",
            Self::Result => "检查结果",
            Self::Plan => "抽查计划",
        }
    }

    /// The kind of `code` (or of its Chinese noun).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        [
            Self::OutOfPlan,
            Self::OverdueResult,
            Self::HotlineOrder,
            Self::CaseFinding,
            Self::ReviewFile,
            Self::Result,
            Self::Plan,
        ]
        .into_iter()
        .find(|k| k.code() == text || k.noun() == text)
    }
}

impl std::fmt::Display for SupervisedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

/// A typed reference to what a notice is against: a kind and the object's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SupervisedObject {
    /// What kind of object.
    pub kind: SupervisedKind,
    /// Its id (a result id, a work-order number, a case number …).
    pub id: String,
}

impl SupervisedObject {
    /// `KIND:ID` as stored in [`Rectification::subject`], e.g.
    /// `hotline_order:GD-20260302-0001`; `None` for an unknown kind or an empty id.
    pub fn parse(subject: &str) -> Option<Self> {
        let (kind, id) = subject.trim().split_once(':')?;
        let id = id.trim();
        if id.is_empty() {
            return None;
        }
        Some(Self {
            kind: SupervisedKind::parse(kind)?,
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for SupervisedObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.code(), self.id)
    }
}

/// A rectification notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    /// Id, e.g. `ZG-2025-0001`.
    pub id: String,
    /// What it is against, as `KIND:ID` (see [`SupervisedObject`]).
    pub subject: String,
    /// What the supervisor found (the object's state when the notice was
    /// issued, as the printed notice states it); empty on older notices.
    #[serde(default)]
    pub finding: String,
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
    /// What the notice is against, typed (`None` for a subject of no known kind).
    pub fn object(&self) -> Option<SupervisedObject> {
        SupervisedObject::parse(&self.subject)
    }

    /// The `(kind, id)` columns stored with the notice: the parts of the subject around its first `:`.
    pub fn subject_parts(&self) -> (Option<String>, Option<String>) {
        match self.subject.split_once(':') {
            Some((kind, id)) => (Some(kind.to_owned()), Some(id.to_owned())),
            None => (None, None),
        }
    }

    /// Open and past its due date on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == RectificationStatus::Issued && today > self.due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_reads_as_a_typed_reference_and_back() {
        let object = SupervisedObject::parse("hotline_order:GD-20260302-0001");
        assert_eq!(
            object,
            Some(SupervisedObject {
                kind: SupervisedKind::HotlineOrder,
                id: "GD-20260302-0001".into()
            })
        );
        assert_eq!(
            object.map(|o| o.to_string()).as_deref(),
            Some("hotline_order:GD-20260302-0001")
        );
        for kind in SupervisedKind::ISSUABLE {
            assert_eq!(SupervisedKind::parse(kind.code()), Some(*kind));
        }
        assert_eq!(SupervisedObject::parse("case_finding:"), None);
        assert_eq!(SupervisedObject::parse("nothing:1"), None);
        assert_eq!(SupervisedObject::parse("no colon"), None);
    }
}
