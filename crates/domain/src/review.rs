//! Case-file review (案卷评查, issue 20): the reviewers (评查人员).

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
