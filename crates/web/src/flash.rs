//! The message shown once after a state change (备案、批准、公示 …): the step's
//! handler redirects with a short-lived cookie naming what was done, and the
//! next full page shows it in the app frame and clears the cookie. The cookie
//! holds a code and an ASCII id, never text: the message is written here.

use std::time::Duration;

/// The cookie's name.
pub const COOKIE: &str = "jg_flash";

/// How long the cookie lives: enough for the redirect.
pub const LIFETIME: Duration = Duration::from_secs(60);

/// A state change that was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// A plan was created.
    PlanCreated,
    /// A plan was filed (备案).
    PlanFiled,
    /// A plan was approved (批准).
    PlanApproved,
    /// A plan was published (公示).
    PlanPublished,
    /// A partner department answered a joint plan (会签).
    PlanAnswered,
    /// A round's results were published (公示).
    RoundPublished,
    /// Results were published (公示); the subject is their number.
    ResultsPublished,
    /// A penalty case was entered or edited.
    CaseSaved,
    /// A step on an application at the comprehensive window was recorded.
    ServiceStep,
    /// A 核查 result was recorded; the subject is the application.
    VerificationRecorded,
    /// A reviewer's score sheet of a review file was saved.
    ScoreSaved,
    /// A 核查 sampling was committed; the subject is its id.
    VerificationCommitted,
}

impl Done {
    const ALL: [Self; 12] = [
        Self::PlanCreated,
        Self::PlanFiled,
        Self::PlanApproved,
        Self::PlanPublished,
        Self::PlanAnswered,
        Self::RoundPublished,
        Self::ResultsPublished,
        Self::CaseSaved,
        Self::ServiceStep,
        Self::VerificationRecorded,
        Self::ScoreSaved,
        Self::VerificationCommitted,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::PlanCreated => "plan-created",
            Self::PlanFiled => "plan-filed",
            Self::PlanApproved => "plan-approved",
            Self::PlanPublished => "plan-published",
            Self::PlanAnswered => "plan-answered",
            Self::RoundPublished => "round-published",
            Self::ResultsPublished => "results-published",
            Self::CaseSaved => "case-saved",
            Self::ServiceStep => "service-step",
            Self::VerificationRecorded => "verification-recorded",
            Self::ScoreSaved => "score-saved",
            Self::VerificationCommitted => "verification-committed",
        }
    }

    /// The message, in Chinese, about `subject` (an id or a count).
    pub fn message(self, subject: &str) -> String {
        match self {
            Self::PlanCreated => format!("计划 {subject} 已创建（草稿），核对后可报备案。"),
            Self::PlanFiled => format!("计划 {subject} 已备案，待其他人员批准。"),
            Self::PlanApproved => format!("计划 {subject} 已批准，可以公示。"),
            Self::PlanPublished => format!("计划 {subject} 已向社会公示。"),
            Self::PlanAnswered => format!("已提交对计划 {subject} 的会签意见。"),
            Self::RoundPublished => format!("批次 {subject} 的抽取结果已公示。"),
            Self::ResultsPublished => format!("已公示 {subject} 条检查结果。"),
            Self::CaseSaved => format!("案件 {subject} 已保存。"),
            Self::ServiceStep => format!("办件 {subject} 的办理环节已记录。"),
            Self::VerificationRecorded => format!("办件 {subject} 的核查结果已登记。"),
            Self::ScoreSaved => format!("案卷 {subject} 的评分已保存。"),
            Self::VerificationCommitted => {
                format!("核查批次 {subject} 已承诺（名录与密钥已封存），请在见证下抽取。")
            }
        }
    }

    /// The cookie's value: the code and the subject when it is a plain ASCII id.
    pub fn cookie_value(self, subject: &str) -> String {
        let plain = !subject.is_empty()
            && subject.len() <= 64
            && subject
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if plain {
            format!("{}~{subject}", self.code())
        } else {
            self.code().to_owned()
        }
    }
}

/// The message a cookie value stands for; `None` for anything else.
pub fn message_of(value: &str) -> Option<String> {
    let (code, subject) = value.split_once('~').unwrap_or((value, ""));
    let done = Done::ALL.into_iter().find(|d| d.code() == code)?;
    let subject = if Done::cookie_value(done, subject) == value {
        subject
    } else {
        ""
    };
    Some(done.message(subject).replace("  ", " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_names_a_message_and_carries_no_text() {
        let value = Done::PlanApproved.cookie_value("2026-SCJG-A01");
        assert_eq!(value, "plan-approved~2026-SCJG-A01");
        assert_eq!(
            message_of(&value).as_deref(),
            Some("计划 2026-SCJG-A01 已批准，可以公示。")
        );
        assert_eq!(
            Done::PlanFiled.cookie_value("<script>"),
            "plan-filed",
            "no markup travels in the cookie"
        );
        assert_eq!(message_of("plan-filed~<b>"), message_of("plan-filed"));
        assert_eq!(message_of("anything"), None);
    }
}
