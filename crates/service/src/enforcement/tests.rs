//! The eight rules, one example each, and properties against independent counts.

use super::*;
use domain::enforcement::{PartyId, PenaltyKind};
use domain::hotline::Refused;
use domain::inspector::{CertificateNo, CertificateStatus, InspectorFields, OfficerRegister};
use domain::org::DepartmentCode;
use proptest::prelude::*;

/// Monday to Friday: an independent working-day count for the properties.
struct Weekdays;

fn is_weekday(day: NaiveDate) -> bool {
    use chrono::Datelike as _;
    day.weekday().number_from_monday() <= 5
}

impl WorkingDays for Weekdays {
    fn last_day(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, Refused> {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day
                .succ_opt()
                .ok_or_else(|| Refused("out of range".into()))?;
            if is_weekday(day) {
                left -= 1;
            }
        }
        Ok(day)
    }
    fn between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, Refused> {
        Ok(a.iter_days()
            .skip(1)
            .take_while(|d| *d <= b)
            .filter(|d| is_weekday(*d))
            .count() as i64)
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap_or_default()
}

fn officer(cert: &str, department: &str, status: CertificateStatus) -> Option<(String, Inspector)> {
    let inspector = Inspector::new(InspectorFields {
        cert_no: CertificateNo::parse(cert).ok()?,
        name: "执法员".into(),
        id_card: None,
        department: DepartmentCode::parse(department).ok()?,
        cert_valid_from: day("2020-01-01"),
        cert_valid_until: day("2030-12-31"),
        fields: Vec::new(),
        district: None,
        register: OfficerRegister {
            status,
            ..OfficerRegister::default()
        },
    })
    .ok()?;
    Some((cert.to_owned(), inspector))
}

fn register() -> HashMap<String, Inspector> {
    [
        officer("A1", "SJGJ", CertificateStatus::Valid),
        officer("A2", "SJGJ", CertificateStatus::Valid),
        officer("A3", "SJGJ", CertificateStatus::Suspended),
        officer("B1", "HBJ", CertificateStatus::Valid),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn benchmark(
    tier: Tier,
    min: Option<i64>,
    max: Option<i64>,
    list: Option<ListKind>,
) -> BenchmarkRow {
    BenchmarkRow {
        code: "SJ001".into(),
        behaviour: "未按规定公示".into(),
        departments: vec!["SJGJ".into()],
        legal_basis: "某法第十条".into(),
        tier,
        conditions: "情形".into(),
        fine_min: min,
        fine_max: max,
        list,
    }
}

fn versions() -> Vec<DiscretionVersion> {
    vec![DiscretionVersion {
        version: 1,
        in_force: day("2025-01-01"),
        sha256: String::new(),
        rows: vec![
            benchmark(Tier::NoPenalty, None, None, Some(ListKind::NoPenalty)),
            benchmark(Tier::Ordinary, Some(100_000), Some(500_000), None),
        ],
    }]
}

/// A clean decided case: two valid officers, a fine inside 一般处罚, reviewed, published on time.
fn clean() -> PenaltyCase {
    PenaltyCase {
        id: "C1".into(),
        department: "SJGJ".into(),
        party_name: "某公司".into(),
        party_id: PartyId::parse("91350200776049653A").unwrap_or_else(|_| PartyId {
            kind: PartyKind::Organisation,
            code: String::new(),
        }),
        behaviour: "SJ001".into(),
        filed_on: day("2025-03-03"),
        decided_on: Some(day("2025-04-01")),
        kinds: vec![PenaltyKind::Fine],
        tier: Some("一般处罚".into()),
        fine: Some(200_000),
        officers: vec!["A1".into(), "A2".into()],
        legal_review: false,
        first_offence: false,
        corrected: false,
        extended: false,
        published_on: Some(day("2025-04-03")),
        changed_on: None,
        withdrawn_on: None,
        closed_on: Some(day("2025-04-20")),
    }
}

fn rules_of(case: &PenaltyCase) -> Vec<String> {
    let (officers, versions, rules) = (register(), versions(), CaseRules::default());
    let context = CheckContext {
        officers: &officers,
        benchmarks: Benchmarks::new(&versions),
        rules: &rules,
        calendar: &Weekdays,
        as_of: day("2025-12-31"),
    };
    check_case(case, &context)
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn a_clean_case_has_no_finding() {
    assert_eq!(rules_of(&clean()), Vec::<String>::new());
}

#[test]
fn each_rule_fires_on_its_defect() {
    let one_officer = PenaltyCase {
        officers: vec!["A1".into(), "a1".to_ascii_uppercase()],
        ..clean()
    };
    assert_eq!(rules_of(&one_officer), ["officers"]);
    let suspended = PenaltyCase {
        officers: vec!["A1".into(), "A3".into()],
        ..clean()
    };
    assert_eq!(rules_of(&suspended), ["officers"]);
    let other_department = PenaltyCase {
        officers: vec!["A1".into(), "B1".into()],
        ..clean()
    };
    assert_eq!(rules_of(&other_department), ["officers"]);
    let unknown = PenaltyCase {
        behaviour: "XX9".into(),
        ..clean()
    };
    assert_eq!(rules_of(&unknown), ["unknown_behaviour", "tier_range"]);
    let above = PenaltyCase {
        fine: Some(500_001),
        ..clean()
    };
    assert_eq!(rules_of(&above), ["tier_range"]);
    let at_bounds = PenaltyCase {
        fine: Some(500_000),
        ..clean()
    };
    assert_eq!(rules_of(&at_bounds), Vec::<String>::new());
    let no_penalty_fined = PenaltyCase {
        tier: Some("不予处罚".into()),
        ..clean()
    };
    assert_eq!(rules_of(&no_penalty_fined), ["tier_range"]);
    let first = PenaltyCase {
        first_offence: true,
        corrected: true,
        ..clean()
    };
    assert_eq!(rules_of(&first), ["first_offence"]);
    let person = PenaltyCase {
        party_id: PartyId::parse("11010519491231002X").unwrap_or_else(|_| clean().party_id),
        fine: Some(500_000),
        ..clean()
    };
    assert_eq!(rules_of(&person), ["legal_review"]);
    let closed = PenaltyCase {
        kinds: vec![PenaltyKind::Close],
        ..clean()
    };
    assert_eq!(rules_of(&closed), ["legal_review"]);
    // 2025-04-01 is a Tuesday: the 7th weekday after it is Thursday 04-10.
    let on_time = PenaltyCase {
        published_on: Some(day("2025-04-10")),
        ..clean()
    };
    assert_eq!(rules_of(&on_time), Vec::<String>::new());
    let late = PenaltyCase {
        published_on: Some(day("2025-04-11")),
        ..clean()
    };
    assert_eq!(rules_of(&late), ["publicity"]);
    let never = PenaltyCase {
        published_on: None,
        ..clean()
    };
    assert_eq!(rules_of(&never), ["publicity"]);
    let changed = PenaltyCase {
        changed_on: Some(day("2025-05-06")),
        ..clean()
    };
    assert_eq!(rules_of(&changed), ["withdrawal"]);
    let withdrawn = PenaltyCase {
        changed_on: Some(day("2025-05-06")),
        withdrawn_on: Some(day("2025-05-09")),
        ..clean()
    };
    assert_eq!(rules_of(&withdrawn), Vec::<String>::new());
    let slow = PenaltyCase {
        decided_on: Some(day("2025-06-02")),
        published_on: Some(day("2025-06-03")),
        ..clean()
    };
    assert_eq!(rules_of(&slow), ["decision_late"]);
    let extended = PenaltyCase {
        extended: true,
        ..slow
    };
    assert_eq!(rules_of(&extended), Vec::<String>::new());
}

proptest! {
    #[test]
    fn publicity_matches_an_independent_count(
        decided in 0i64..700,
        delay in 0i64..30,
        n in 0u32..15,
    ) {
        let decided_on = day("2025-01-01") + chrono::Duration::days(decided);
        let published_on = decided_on + chrono::Duration::days(delay);
        let case = PenaltyCase {
            decided_on: Some(decided_on),
            filed_on: decided_on,
            published_on: Some(published_on),
            ..clean()
        };
        let rules = CaseRules { publicity_working_days: n, ..CaseRules::default() };
        let (officers, versions) = (register(), versions());
        let context = CheckContext {
            officers: &officers,
            benchmarks: Benchmarks::new(&versions),
            rules: &rules,
            calendar: &Weekdays,
            as_of: day("2030-01-01"),
        };
        let found = check_case(&case, &context).iter().any(|f| f.rule == "publicity");
        // Independent: count the weekdays in (decided, published].
        let counted = decided_on
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= published_on)
            .filter(|d| is_weekday(*d))
            .count() as u32;
        // Late when more than n working days lie in (decided, published], or
        // (n = 0) when it was not published on the decision day itself.
        let expected = if n == 0 { published_on > decided_on } else { counted > n || (counted == n && !is_weekday(published_on)) };
        prop_assert_eq!(found, expected);
    }

    #[test]
    fn decision_late_is_inclusive_at_the_limit(days in 0i64..200, limit in 0i64..150) {
        let case = PenaltyCase {
            decided_on: Some(day("2025-01-01") + chrono::Duration::days(days)),
            filed_on: day("2025-01-01"),
            published_on: Some(day("2025-01-01") + chrono::Duration::days(days)),
            ..clean()
        };
        let rules = CaseRules { decision_days: limit, ..CaseRules::default() };
        let (officers, versions) = (register(), versions());
        let context = CheckContext { officers: &officers, benchmarks: Benchmarks::new(&versions), rules: &rules, calendar: &Weekdays, as_of: day("2030-01-01") };
        let found = check_case(&case, &context).iter().any(|f| f.rule == "decision_late");
        prop_assert_eq!(found, days > limit);
    }

    #[test]
    fn tier_bounds_are_inclusive(fine in 0i64..1_000_000) {
        let case = PenaltyCase { fine: Some(fine), ..clean() };
        let found = rules_of(&case).contains(&"tier_range".to_owned());
        prop_assert_eq!(found, !(100_000..=500_000).contains(&fine));
    }
}

#[test]
fn findings_sort_by_case_then_rule() {
    let (officers, versions, rules) = (register(), versions(), CaseRules::default());
    let context = CheckContext {
        officers: &officers,
        benchmarks: Benchmarks::new(&versions),
        rules: &rules,
        calendar: &Weekdays,
        as_of: day("2025-12-31"),
    };
    let cases = vec![
        PenaltyCase {
            id: "C2".into(),
            officers: Vec::new(),
            ..clean()
        },
        PenaltyCase {
            id: "C1".into(),
            behaviour: "XX".into(),
            officers: Vec::new(),
            ..clean()
        },
    ];
    let order: Vec<(String, String)> = check_cases(&cases, &context)
        .into_iter()
        .map(|f| (f.case, f.rule))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    assert_eq!(
        order.first().map(|(c, r)| (c.as_str(), r.as_str())),
        Some(("C1", "officers"))
    );
}

#[test]
fn an_empty_tier_is_a_finding_only_for_a_decided_penalty() {
    let undecided = PenaltyCase {
        tier: None,
        decided_on: None,
        kinds: Vec::new(),
        fine: None,
        published_on: None,
        ..clean()
    };
    assert_eq!(rules_of(&undecided), Vec::<String>::new());
    let decided = PenaltyCase {
        tier: None,
        ..clean()
    };
    assert_eq!(rules_of(&decided), ["tier_range"]);
    let unknown_tier = PenaltyCase {
        tier: Some("特别处罚".into()),
        ..clean()
    };
    assert_eq!(rules_of(&unknown_tier), ["tier_range"]);
}
