//! Case-file review (案卷评查, issue 20): the reviewers (评查人员).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::idcard::IdCardNo;

/// What 所属单位 says of an outside expert instead of a department code.
pub const EXTERNAL: &str = "外聘";

/// A reviewer (评查员). The ID number is confidential: show [`Reviewer::masked_id_card`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    /// 评查员编号 (1 to 40 ASCII letters, digits, `-`, `_`, `.`).
    pub id: String,
    /// 姓名.
    pub name: String,
    /// 所属单位: a department code, or [`EXTERNAL`].
    pub unit: String,
    /// 专业领域, trimmed, sorted, without duplicates.
    pub fields: Vec<String>,
    /// 身份证号, validated (check character verified).
    pub id_card: Option<String>,
}

impl Reviewer {
    /// Whether the reviewer is an outside expert (外聘).
    pub fn is_external(&self) -> bool {
        self.unit == EXTERNAL
    }

    /// Whether the reviewer belongs to `department` (outside experts belong to none).
    pub fn belongs_to(&self, department: &str) -> bool {
        !self.is_external() && self.unit == department
    }

    /// The ID number masked as everywhere else (or empty when none is known).
    pub fn masked_id_card(&self) -> String {
        self.id_card
            .as_deref()
            .and_then(|text| IdCardNo::parse(text).ok())
            .map(|id| id.masked())
            .unwrap_or_default()
    }
}

/// How many files a review draws from each department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// A fixed number per department (capped at its files).
    PerDepartment(u64),
    /// A rate in basis points, rounded up (spec §3).
    RateBp(u32),
}

/// A reviewer as frozen in a review's pool: the id and the unit, which decide
/// eligibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolMember {
    /// 评查员编号.
    pub id: String,
    /// 所属单位 at commit: a department code or [`EXTERNAL`].
    pub unit: String,
}

/// A review (评查活动) drawn by `jianguan-draw/v1`: committed (frames, pool
/// and sealed secret frozen), then drawn with the witnesses' beacon. Its
/// status reuses the round's (已承诺, 已抽取).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The review's id; its plans are `ID/DEPT`.
    pub id: String,
    /// The year whose decided cases form the frames.
    pub year: i32,
    /// The departments reviewed, by code (one frame each).
    pub departments: Vec<String>,
    /// How many files per department.
    pub sampling: Sampling,
    /// Reviewers per file (`k`).
    pub reviewers_per_case: u32,
    /// Files per reviewer at most.
    pub cap: Option<u32>,
    /// The reviewer pool frozen at commit, by id.
    pub pool: Vec<PoolMember>,
    /// Frame digest (hex) per plan id.
    pub frame_digests: BTreeMap<String, String>,
    /// Files per plan id.
    pub frame_sizes: BTreeMap<String, u64>,
    /// Commitment to the sealed secret (hex).
    pub commitment: String,
    /// The round digest of the frames (spec §5, hex).
    pub round_digest: String,
    /// 已承诺 or 已抽取.
    pub status: crate::inspection::RoundStatus,
    /// The witnesses' beacon, once drawn.
    pub beacon: Option<String>,
    /// The witnesses, as typed.
    pub witnesses: Vec<String>,
    /// The round seed (hex), once drawn.
    pub round_seed: Option<String>,
    /// Digest of the stored record text.
    pub record_digest: Option<String>,
    /// SHA-256 of the full record as exported.
    pub full_record_sha256: Option<String>,
    /// Files drawn.
    pub files: u64,
    /// Drawn files with fewer than `k` eligible reviewers.
    pub unstaffed: u64,
    /// When committed.
    pub committed_at: DateTime<FixedOffset>,
    /// When drawn.
    pub drawn_at: Option<DateTime<FixedOffset>>,
}

impl Review {
    /// The plan id of a department's frame: `ID/DEPT`.
    pub fn plan_id(&self, department: &str) -> String {
        format!("{}/{department}", self.id)
    }
}

/// One drawn file of a review and its panel: what scoring reads. The key is
/// `REVIEW/CASE` (see [`ReviewFile::key_for`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFile {
    /// The review.
    pub review: String,
    /// 案件编号, trimmed (the record's subject).
    pub case: String,
    /// The case's department (whose plan drew it).
    pub department: String,
    /// The `k` reviewers, in slot order (empty when unstaffed).
    pub reviewers: Vec<String>,
    /// The other eligible reviewers in the §6 order: load after the draw
    /// ascending, then ticket, then id. The next one scores a 待复核 file.
    pub alternates: Vec<String>,
    /// Fewer than `k` reviewers were eligible.
    pub unstaffed: bool,
    /// The further reviewer a 待复核 file went to (at most one), with its
    /// position in `alternates`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalated: Vec<Escalation>,
}

/// A further reviewer of a 待复核 file: `alternates[position]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// 评查员编号.
    pub reviewer: String,
    /// Its index in the file's alternates (§6 order).
    pub position: usize,
    /// When assigned.
    pub at: DateTime<FixedOffset>,
}

impl ReviewFile {
    /// The key of `case` in `review`.
    pub fn key_for(review: &str, case: &str) -> String {
        format!("{review}/{case}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviewer(unit: &str) -> Reviewer {
        Reviewer {
            id: "R1".into(),
            name: "王一".into(),
            unit: unit.into(),
            fields: Vec::new(),
            id_card: Some("11010519491231002X".into()),
        }
    }

    #[test]
    fn outside_experts_belong_to_no_department() {
        assert!(reviewer("SJGJ").belongs_to("SJGJ"));
        assert!(!reviewer("SJGJ").belongs_to("HBJ"));
        assert!(!reviewer(EXTERNAL).belongs_to(EXTERNAL));
        assert!(reviewer(EXTERNAL).is_external());
    }

    #[test]
    fn the_id_number_is_masked() {
        let masked = reviewer("SJGJ").masked_id_card();
        assert!(!masked.contains("19491231"), "{masked}");
        assert!(!masked.is_empty());
    }
}
