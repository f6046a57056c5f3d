//! The statutory clock against the embedded calendar (2025's holidays) and
//! properties of the deadlines.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;

use super::*;
use domain::reconsideration::DecisionKind;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn calendar() -> workcal::Calendar {
    workcal::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"))
}

fn application(id: &str, received: &str) -> Reconsideration {
    Reconsideration {
        id: id.into(),
        applicant: "张三".into(),
        respondent: "SJGJ".into(),
        received_on: day(received),
        correction_notice_on: None,
        corrected_on: None,
        accepted_on: None,
        procedure: Procedure::Ordinary,
        extended: false,
        suspended_days: 0,
        decided_on: None,
        decision: None,
        original_case: None,
    }
}

fn rules(found: &[Finding]) -> Vec<&str> {
    found.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn admission_skips_the_national_day_holiday() {
    let calendar = calendar();
    // Friday 26 September 2025: Sunday 28th is a make-up working day, 1–8
    // October are holidays; the 5th working day is Friday 10 October.
    let mut a = application("F1", "2025-09-26");
    assert_eq!(admission_deadline(&calendar, &a), Some(day("2025-10-10")));
    a.accepted_on = Some(day("2025-10-10"));
    assert!(check_application(&a, &calendar, day("2025-10-31")).is_empty());
    a.accepted_on = Some(day("2025-10-11"));
    assert_eq!(
        rules(&check_application(&a, &calendar, day("2025-10-31"))),
        ["admission_late"]
    );
    // Undecided and not accepted: late once the as-of day passes the deadline.
    a.accepted_on = None;
    assert!(check_application(&a, &calendar, day("2025-10-10")).is_empty());
    assert_eq!(
        rules(&check_application(&a, &calendar, day("2025-10-13"))),
        ["admission_late"]
    );
}

#[test]
fn a_correction_restarts_the_admission_clock() {
    let calendar = calendar();
    // Received Monday 28 April 2025; 劳动节 1–5 May: 5th working day is 8 May.
    let mut a = application("B1", "2025-04-28");
    assert_eq!(
        correction_notice_deadline(&calendar, &a),
        Some(day("2025-05-08"))
    );
    a.correction_notice_on = Some(day("2025-05-09"));
    a.corrected_on = Some(day("2025-05-20"));
    a.accepted_on = Some(day("2025-05-27"));
    // 补正 completed Tuesday 20 May: admission due Tuesday 27 May.
    assert_eq!(admission_deadline(&calendar, &a), Some(day("2025-05-27")));
    assert_eq!(
        rules(&check_application(&a, &calendar, day("2025-06-30"))),
        ["correction_notice_late"]
    );
    // While the 补正 is outstanding, the admission clock is stopped.
    a.corrected_on = None;
    a.accepted_on = None;
    assert_eq!(admission_deadline(&calendar, &a), None);
    assert_eq!(
        rules(&check_application(&a, &calendar, day("2025-12-31"))),
        ["correction_notice_late"]
    );
}

#[test]
fn the_decision_deadline_counts_calendar_days() {
    let calendar = calendar();
    let mut a = application("D1", "2025-01-02");
    a.accepted_on = Some(day("2025-01-06"));
    assert_eq!(decision_deadline(&a), Some(day("2025-03-07")));
    a.extended = true;
    assert_eq!(decision_deadline(&a), Some(day("2025-04-06")));
    a.suspended_days = 10;
    assert_eq!(decision_deadline(&a), Some(day("2025-04-16")));
    a.procedure = Procedure::Simplified;
    a.extended = false;
    a.suspended_days = 0;
    assert_eq!(decision_deadline(&a), Some(day("2025-02-05")));
    a.decided_on = Some(day("2025-02-06"));
    a.decision = Some(DecisionKind::Uphold);
    assert_eq!(
        rules(&check_application(&a, &calendar, day("2025-12-31"))),
        ["decision_late"]
    );
    // Undecided: late once the as-of day passes the deadline.
    a.decided_on = None;
    a.decision = None;
    assert!(check_application(&a, &calendar, day("2025-02-05")).is_empty());
    assert_eq!(
        rules(&check_application(&a, &calendar, day("2025-02-06"))),
        ["decision_late"]
    );
}

#[test]
fn kpis_count_the_year_of_receipt() {
    let calendar = calendar();
    let decided = |id: &str, received: &str, kind: DecisionKind| {
        let mut a = application(id, received);
        a.accepted_on = Some(a.received_on);
        a.decided_on = Some(a.received_on + Duration::days(20));
        a.decision = Some(kind);
        a
    };
    let applications = vec![
        decided("K1", "2025-03-03", DecisionKind::Revoke),
        decided("K2", "2025-03-03", DecisionKind::Uphold),
        decided("K3", "2025-03-03", DecisionKind::Dismiss),
        decided("K4", "2025-03-03", DecisionKind::Terminate),
        {
            let mut a = decided("K5", "2025-03-03", DecisionKind::Inadmissible);
            a.accepted_on = None;
            a
        },
        decided("K6", "2024-12-30", DecisionKind::Revoke),
        application("K7", "2025-12-01"),
    ];
    let kpi = kpi_of(&applications, 2025, &calendar, day("2025-12-31"));
    assert_eq!(
        kpi,
        Kpi {
            received: 6,
            accepted: 4,
            substantive: 3,
            corrected: 1,
            correction_rate: Some(0.3333),
            admission_late: 1,
            decision_late: 0,
        }
    );
    let empty = kpi_of(&applications, 2023, &calendar, day("2025-12-31"));
    assert_eq!((empty.received, empty.correction_rate), (0, None));
}

#[test]
fn the_appearance_rate_is_per_department_and_city_wide() {
    let case = |id: &str, dept: &str, on: &str, appeared: bool| LitigationCase {
        id: id.into(),
        defendant: dept.into(),
        hearing_on: day(on),
        head_appeared: appeared,
    };
    let cases = [
        case("L1", "A", "2025-01-10", true),
        case("L2", "A", "2025-02-10", false),
        case("L3", "A", "2025-03-10", true),
        case("L4", "B", "2025-03-10", true),
        case("L5", "B", "2024-03-10", false),
    ];
    let report = litigation_report_of(&cases, Some(2025), &BTreeMap::new());
    let lines: Vec<(Option<&str>, u64, u64, Option<f64>)> = report
        .departments
        .iter()
        .map(|d| (d.code.as_deref(), d.hearings, d.appeared, d.rate))
        .collect();
    assert_eq!(
        lines,
        [
            (Some("A"), 3, 2, Some(0.6667)),
            (Some("B"), 1, 1, Some(1.0))
        ]
    );
    assert_eq!(
        (report.city.hearings, report.city.appeared, report.city.rate),
        (4, 3, Some(0.75))
    );
    let none = litigation_report_of(&cases, Some(2020), &BTreeMap::new());
    assert_eq!(none.city.rate, None);
}

proptest! {
    #[test]
    fn the_admission_deadline_is_a_working_day_five_working_days_on(
        offset in 0i64..700,
        later in 0i64..40,
    ) {
        let calendar = calendar();
        let received = day("2024-01-01") + Duration::days(offset);
        let a = application("P", &received.to_string());
        let deadline = admission_deadline(&calendar, &a);
        prop_assert!(deadline.is_some());
        let deadline = deadline.unwrap_or(received);
        prop_assert!(calendar.is_working_day(deadline).unwrap_or(false));
        prop_assert_eq!(calendar.working_days_between(received, deadline).ok(), Some(5));
        prop_assert!(deadline >= received + Duration::days(5));
        // Monotone: a later receipt never has an earlier deadline.
        let b = application("Q", &(received + Duration::days(later)).to_string());
        prop_assert!(admission_deadline(&calendar, &b).is_some_and(|d| d >= deadline));
    }

    #[test]
    fn the_decision_deadline_grows_with_extension_and_suspension(
        offset in 0i64..700,
        suspended in 0u32..400,
    ) {
        let mut a = application("P", "2024-01-01");
        a.accepted_on = Some(day("2024-01-01") + Duration::days(offset));
        let plain = decision_deadline(&a);
        a.suspended_days = suspended;
        let suspended_deadline = decision_deadline(&a);
        a.extended = true;
        let extended = decision_deadline(&a);
        prop_assert!(plain.is_some() && suspended_deadline.is_some() && extended.is_some());
        prop_assert_eq!(suspended_deadline, plain.map(|d| d + Duration::days(i64::from(suspended))));
        prop_assert_eq!(extended, suspended_deadline.map(|d| d + Duration::days(30)));
    }
}
