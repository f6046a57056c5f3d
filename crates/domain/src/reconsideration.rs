//! 行政复议 (administrative reconsideration, 行政复议法 2023, in force
//! 2024-01-01) and 行政诉讼出庭应诉 (court appearance of the responsible
//! person). The statutory clock lives in `service::reconsideration`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::entity::chinese_enum;

chinese_enum! {
    /// 程序: the procedure the application is heard in.
    Procedure, "procedure", "the procedure is 普通 or 简易" {
        /// 普通程序: 60 days, 30 more when extended (Art. 62).
        Ordinary = "普通" | "普通程序",
        /// 简易程序: 30 days (Art. 62).
        Simplified = "简易" | "简易程序",
    }
}

chinese_enum! {
    /// 决定类型: how the reconsideration ended.
    DecisionKind, "decision", "the decision is 变更, 撤销, 确认违法, 责令履行, 确认无效, 维持, 驳回, 终止 or 不予受理" {
        /// 变更.
        Vary = "变更",
        /// 撤销.
        Revoke = "撤销",
        /// 确认违法.
        ConfirmUnlawful = "确认违法",
        /// 责令履行.
        OrderPerformance = "责令履行",
        /// 确认无效.
        ConfirmVoid = "确认无效",
        /// 维持.
        Uphold = "维持",
        /// 驳回 (驳回复议请求).
        Dismiss = "驳回" | "驳回复议请求",
        /// 终止 (终止行政复议).
        Terminate = "终止" | "终止行政复议",
        /// 不予受理.
        Inadmissible = "不予受理",
    }
}

impl DecisionKind {
    /// Whether the organ reviewed the act on its merits: every type but 终止
    /// and 不予受理.
    pub fn is_substantive(self) -> bool {
        !matches!(self, Self::Terminate | Self::Inadmissible)
    }

    /// Whether the act was corrected directly (直接纠错): 变更, 撤销, 确认违法,
    /// 责令履行, 确认无效.
    pub fn is_correction(self) -> bool {
        matches!(
            self,
            Self::Vary
                | Self::Revoke
                | Self::ConfirmUnlawful
                | Self::OrderPerformance
                | Self::ConfirmVoid
        )
    }
}

/// The longest 中止 accepted, in days (ten years).
pub const MAX_SUSPENDED_DAYS: u32 = 3_650;

/// One application for 行政复议 as the organ recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconsideration {
    /// 案号.
    pub id: String,
    /// 申请人 (a person's or an organisation's name; no ID number is kept).
    pub applicant: String,
    /// 被申请人 (department code).
    pub respondent: String,
    /// 收到日期.
    pub received_on: NaiveDate,
    /// 补正通知日期.
    pub correction_notice_on: Option<NaiveDate>,
    /// 补正完成日期.
    pub corrected_on: Option<NaiveDate>,
    /// 受理日期.
    pub accepted_on: Option<NaiveDate>,
    /// 程序 (普通 when not given).
    pub procedure: Procedure,
    /// 延期.
    pub extended: bool,
    /// 中止天数.
    pub suspended_days: u32,
    /// 决定日期.
    pub decided_on: Option<NaiveDate>,
    /// 决定类型.
    pub decision: Option<DecisionKind>,
    /// 原行政行为案件编号 (a penalty case number), if given.
    pub original_case: Option<String>,
}

impl Reconsideration {
    /// The dates that must not go backwards, in order, with their field keys:
    /// 收到 ≤ 补正通知 ≤ 补正完成 ≤ 受理 ≤ 决定 (absent dates skipped).
    pub fn dates_in_order(&self) -> Vec<(&'static str, NaiveDate)> {
        [
            ("received_on", Some(self.received_on)),
            ("correction_notice_on", self.correction_notice_on),
            ("corrected_on", self.corrected_on),
            ("accepted_on", self.accepted_on),
            ("decided_on", self.decided_on),
        ]
        .into_iter()
        .filter_map(|(key, day)| day.map(|d| (key, d)))
        .collect()
    }

    /// Whether the application counts as substantive (decided, on the merits).
    pub fn is_substantive(&self) -> bool {
        self.decided_on.is_some() && self.decision.is_some_and(DecisionKind::is_substantive)
    }

    /// Whether the act was corrected directly.
    pub fn is_corrected(&self) -> bool {
        self.decided_on.is_some() && self.decision.is_some_and(DecisionKind::is_correction)
    }
}

/// One 行政诉讼 hearing: whether the defendant's responsible person appeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LitigationCase {
    /// 案号.
    pub id: String,
    /// 被告 (department code).
    pub defendant: String,
    /// 开庭日期.
    pub hearing_on: NaiveDate,
    /// 负责人出庭 (否 when not given).
    pub head_appeared: bool,
}

/// `part / whole` to 4 decimals (half away from zero), `None` when `whole` is 0.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    // Integer rounding to 1/10000, then one division: 16/78 → 0.2051.
    let scaled = (u128::from(part) * 20_000 + u128::from(whole)) / (2 * u128::from(whole));
    Some(scaled as f64 / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_to_four_decimals_and_are_none_on_nothing() {
        assert_eq!(rate(16, 78), Some(0.2051));
        assert_eq!(rate(97, 100), Some(0.97));
        assert_eq!(rate(1, 3), Some(0.3333));
        assert_eq!(rate(2, 3), Some(0.6667));
        assert_eq!(rate(0, 5), Some(0.0));
        assert_eq!(rate(0, 0), None);
    }

    #[test]
    fn substantive_and_corrected_follow_the_issue() {
        let corrections: Vec<&str> = DecisionKind::ALL
            .iter()
            .filter(|k| k.is_correction())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            corrections,
            ["变更", "撤销", "确认违法", "责令履行", "确认无效"]
        );
        let not_substantive: Vec<&str> = DecisionKind::ALL
            .iter()
            .filter(|k| !k.is_substantive())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(not_substantive, ["终止", "不予受理"]);
    }
}
