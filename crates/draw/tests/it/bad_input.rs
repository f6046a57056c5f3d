//! Edge cases and bad input: each gives a defined result or a specific error,
//! and `verify` reports malformed records instead of panicking.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::common;

use common::{frame, plan, ref_frame_digest, subject_id};
use draw::{
    Allocation, Demand, Error, FrameRow, PlanSampler, PlanSpec, Record, RecordStratum, RoundInput,
    RoundSeed, Secret, StratumOutcome, StratumRule, Visit, draw_plan, draw_round, match_inspectors,
    to_hex, verify,
};

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn seed() -> RoundSeed {
    RoundSeed::derive(&Secret::from_bytes([0x11; 32]), "20240917")
}

fn row(id: &str, stratum: &str) -> FrameRow {
    FrameRow {
        id: id.into(),
        stratum: stratum.into(),
    }
}

fn two_inspector_demand(_: &Visit, _: &str) -> Demand {
    Demand {
        k: 2,
        candidates: vec![0, 1, 2],
    }
}

fn round(plans: Vec<(PlanSpec, Vec<FrameRow>)>) -> RoundInput {
    RoundInput {
        secret: Secret::from_bytes([0x22; 32]),
        beacon: "12 34 56".to_owned(),
        cap: None,
        plans,
        inspectors: vec!["INS-A".to_owned(), "INS-B".to_owned(), "INS-C".to_owned()],
    }
}

/// A small conforming record to break in various ways.
fn small_record() -> Record {
    let input = round(vec![
        (
            plan(
                "P1",
                "SCJG",
                &[
                    ("A", Allocation::RateBp(3_000)),
                    ("B", Allocation::Count(2)),
                ],
            ),
            frame(0..20, |n| if n % 2 == 0 { "A" } else { "B" }),
        ),
        (
            plan("P2", "WSJ", &[("A", Allocation::RateBp(5_000))]),
            frame(10..30, |_| "A"),
        ),
    ]);
    let record = draw_round(input, two_inspector_demand).expect("draw");
    assert_eq!(verify(&record), Vec::new());
    assert!(!record.visits.is_empty());
    record
}

fn reported_at(record: &Record, location: &str) -> bool {
    let deviations = verify(record);
    assert!(!deviations.is_empty(), "no deviation reported");
    deviations.iter().any(|d| d.location.starts_with(location))
}

#[test]
fn an_empty_frame_selects_nothing_and_digests_the_empty_input() {
    let plan = plan(
        "P1",
        "SCJG",
        &[("A", Allocation::RateBp(300)), ("D", Allocation::Count(3))],
    );
    let drawn = draw_plan(&seed(), &plan, &[]).expect("an empty frame is valid");
    assert!(drawn.selected.is_empty());
    assert_eq!(to_hex(&drawn.frame_digest), EMPTY_SHA256);
    assert_eq!(
        drawn.strata,
        [
            StratumOutcome {
                stratum: "A".into(),
                population: 0,
                sample_size: 0,
                cutoff: None,
                has_rule: true
            },
            StratumOutcome {
                stratum: "D".into(),
                population: 0,
                sample_size: 0,
                cutoff: None,
                has_rule: true
            },
        ]
    );
    let streamed = PlanSampler::for_counts(
        &seed(),
        &PlanSpec {
            strata: vec![],
            ..plan.clone()
        },
    )
    .expect("no rules")
    .finish()
    .expect("nothing to check");
    assert!(streamed.selected.is_empty());
    assert_eq!(to_hex(&streamed.frame_digest), EMPTY_SHA256);

    // A round with an empty frame: no visits, and the record conforms.
    let record = draw_round(round(vec![(plan, Vec::new())]), two_inspector_demand).expect("draw");
    assert!(record.visits.is_empty());
    assert!(record.plans[0].selected.is_empty() && record.plans[0].cutoffs.is_empty());
    assert_eq!(record.plans[0].frame_digest.to_string(), EMPTY_SHA256);
    assert_eq!(verify(&record), Vec::new());
}

#[test]
fn a_stratum_without_a_rule_is_counted_but_never_drawn() {
    let plan = plan("P1", "SCJG", &[("A", Allocation::RateBp(10_000))]);
    let rows = frame(0..10, |n| if n < 4 { "A" } else { "未分类" });
    let drawn = draw_plan(&seed(), &plan, &rows).expect("valid");
    assert_eq!(drawn.selected.len(), 4);
    assert!(drawn.selected.iter().all(|s| s.stratum == "A"));
    assert_eq!(drawn.strata[1].stratum, "未分类");
    assert_eq!(
        (
            drawn.strata[1].population,
            drawn.strata[1].sample_size,
            drawn.strata[1].has_rule
        ),
        (6, 0, false)
    );
    assert_eq!(drawn.frame_digest, ref_frame_digest(&rows));
}

#[test]
fn a_count_above_the_population_takes_everyone() {
    let rows = frame(0..5, |_| "D");
    for count in [5, 6, 9, u64::MAX] {
        let drawn = draw_plan(
            &seed(),
            &plan("P1", "SCJG", &[("D", Allocation::Count(count))]),
            &rows,
        )
        .expect("valid");
        assert_eq!(drawn.selected.len(), 5);
        assert_eq!(drawn.strata[0].sample_size, 5);
        let largest = rows.iter().map(|r| seed().prn(r.id.as_bytes())).max();
        assert_eq!(drawn.strata[0].cutoff, largest);
    }
    let drawn = draw_plan(
        &seed(),
        &plan("P1", "SCJG", &[("D", Allocation::Count(0))]),
        &rows,
    )
    .expect("valid");
    assert!(drawn.selected.is_empty());
    assert_eq!(drawn.strata[0].cutoff, None);
}

#[test]
fn rates_outside_0_to_10000_are_errors() {
    assert_eq!(Allocation::rate_bp(0), Ok(Allocation::RateBp(0)));
    assert_eq!(Allocation::rate_bp(10_000), Ok(Allocation::RateBp(10_000)));
    for rate_bp in [10_001, 20_000, u32::MAX] {
        assert_eq!(
            Allocation::rate_bp(rate_bp),
            Err(Error::RateOutOfRange { rate_bp })
        );
        // A rule built around the checked constructor is still rejected.
        let bad = plan("P1", "SCJG", &[("A", Allocation::RateBp(rate_bp))]);
        assert_eq!(
            draw_plan(&seed(), &bad, &frame(0..3, |_| "A")),
            Err(Error::RateOutOfRange { rate_bp })
        );
        assert_eq!(
            PlanSampler::new(&seed(), &bad, &[]).err(),
            Some(Error::RateOutOfRange { rate_bp })
        );
    }
    // 0 % draws nobody, 100 % everybody.
    let rows = frame(0..7, |_| "A");
    let none = draw_plan(
        &seed(),
        &plan("P1", "D", &[("A", Allocation::RateBp(0))]),
        &rows,
    )
    .expect("valid");
    assert!(none.selected.is_empty());
    let all = draw_plan(
        &seed(),
        &plan("P1", "D", &[("A", Allocation::RateBp(10_000))]),
        &rows,
    )
    .expect("valid");
    assert_eq!(all.selected.len(), 7);
    // 1 bp of a single subject is ceil(0.0001) = 1.
    let one = draw_plan(
        &seed(),
        &plan("P1", "D", &[("A", Allocation::RateBp(1))]),
        &rows[..1],
    )
    .expect("valid");
    assert_eq!(one.selected.len(), 1);

    // In a record: reported, no panic.
    for rate in [10_001u64, 1 << 40] {
        let mut record = small_record();
        record.plans[0].strata[0].rate_bp = Some(rate);
        assert!(reported_at(&record, "plans[P1].strata"));
    }
}

#[test]
fn a_stratum_with_two_rules_is_an_error() {
    let bad = plan(
        "P1",
        "SCJG",
        &[("A", Allocation::RateBp(100)), ("A", Allocation::Count(3))],
    );
    let expected = || Error::DuplicateStratum {
        plan: "P1".into(),
        stratum: "A".into(),
    };
    assert_eq!(
        draw_plan(&seed(), &bad, &frame(0..3, |_| "A")),
        Err(expected())
    );
    let counts = PlanSpec {
        strata: vec![bad.strata[1].clone(), bad.strata[1].clone()],
        ..bad
    };
    assert_eq!(
        PlanSampler::for_counts(&seed(), &counts).err(),
        Some(expected())
    );
}

#[test]
fn a_duplicate_frame_id_is_an_error() {
    let p = plan(
        "P1",
        "SCJG",
        &[
            ("A", Allocation::RateBp(5_000)),
            ("B", Allocation::RateBp(5_000)),
        ],
    );
    let id = subject_id(3);
    let expected = Err(Error::DuplicateFrameId {
        plan: "P1".into(),
        id: id.clone(),
    });
    let mut rows = frame(0..6, |_| "A");
    rows.push(row(&id, "A"));
    assert_eq!(draw_plan(&seed(), &p, &rows), expected);
    // Also when the two rows disagree on the stratum.
    let mut rows = frame(0..6, |_| "A");
    rows.insert(0, row(&id, "B"));
    assert_eq!(draw_plan(&seed(), &p, &rows), expected);
    assert_eq!(
        draw_round(round(vec![(p, rows.clone())]), two_inspector_demand).err(),
        expected.err()
    );

    // In a record: reported, no panic.
    let mut record = small_record();
    let first = record.plans[0].frame[0].clone();
    record.plans[0].frame.push(first);
    assert!(reported_at(&record, "plans[P1]"));
}

#[test]
fn a_secret_that_is_not_64_hex_digits_is_an_error() {
    let valid = "95ccd0932409a80681d1335de1505595aae104e9a369489d55d619512a722b49";
    assert_eq!(Secret::from_hex(valid).expect("valid").to_hex(), valid);
    let cases: Vec<String> = vec![
        String::new(),
        "abc".into(),
        valid[..63].into(),
        valid[..62].into(),
        format!("{valid}0"),
        format!("{valid}{valid}"),
        format!("0x{}", &valid[..62]),
        format!("{}g", &valid[..63]),
        format!("{} {}", &valid[..31], &valid[32..]),
        // 64 bytes, but not hex digits.
        format!("{}监", &valid[..61]),
        "z".repeat(64),
    ];
    for text in &cases {
        assert!(
            matches!(Secret::from_hex(text), Err(Error::InvalidSecret { .. })),
            "{text:?} should be rejected"
        );
    }
    assert_eq!(
        Secret::from_hex("abc").err(),
        Some(Error::InvalidSecret { length: 3 })
    );

    // In a record, malformed hex is a parse error, not a panic.
    let mut value = serde_json::to_value(small_record()).expect("json");
    value["secret"] = serde_json::Value::from(&valid[..63]);
    assert!(serde_json::from_value::<Record>(value.clone()).is_err());
    value["secret"] = serde_json::Value::from(format!("{}g", &valid[..63]));
    assert!(serde_json::from_value::<Record>(value).is_err());
    let mut value = serde_json::to_value(small_record()).expect("json");
    value["plans"][0]["selected"][0]["prn"] = serde_json::Value::from("123");
    assert!(serde_json::from_value::<Record>(value).is_err());
}

#[test]
fn an_unpublished_secret_or_a_wrong_protocol_is_reported() {
    let mut record = small_record();
    record.secret = None;
    assert!(reported_at(&record, "secret"));
    let mut record = small_record();
    record.protocol = "jianguan-draw/v2".into();
    assert!(reported_at(&record, "protocol"));
    let mut record = small_record();
    record.commitment.0[31] ^= 1;
    assert!(reported_at(&record, "commitment"));
}

#[test]
fn a_plan_id_used_twice_is_an_error() {
    let p = plan("P1", "SCJG", &[("A", Allocation::RateBp(5_000))]);
    let q = PlanSpec {
        department: "WSJ".into(),
        ..p.clone()
    };
    let input = round(vec![(p, frame(0..5, |_| "A")), (q, frame(3..9, |_| "A"))]);
    assert_eq!(
        draw_round(input, two_inspector_demand).err(),
        Some(Error::DuplicatePlanId { plan: "P1".into() })
    );

    // In a record: reported, no panic.
    let mut record = small_record();
    record.plans[1].id = "P1".into();
    assert!(reported_at(&record, "plans[P1]"));
}

#[test]
fn fewer_than_two_inspectors_per_visit_is_an_error() {
    let visits = vec![Visit {
        subject: subject_id(1),
        prn: 1,
        plans: vec!["P1".into()],
        departments: vec!["SCJG".into()],
    }];
    let inspectors = vec!["A".to_owned(), "B".to_owned()];
    for k in [0, 1] {
        let result = match_inspectors(&seed(), &visits, &inspectors, None, |_, _| Demand {
            k,
            candidates: vec![0, 1],
        });
        assert_eq!(
            result,
            Err(Error::TooFewInspectorsRequired {
                department: "SCJG".into(),
                k
            })
        );
    }
    let input = round(vec![(
        plan("P1", "SCJG", &[("A", Allocation::Count(2))]),
        frame(0..4, |_| "A"),
    )]);
    assert_eq!(
        draw_round(input, |_, _| Demand {
            k: 1,
            candidates: vec![0, 1, 2]
        })
        .err(),
        Some(Error::TooFewInspectorsRequired {
            department: "SCJG".into(),
            k: 1
        })
    );

    // In a record: reported, no panic.
    let mut record = small_record();
    record.visits[0].departments[0].k = 1;
    let location = format!(
        "visits[{}].departments[{}].k",
        record.visits[0].subject, record.visits[0].departments[0].department
    );
    assert!(reported_at(&record, &location));
}

#[test]
fn an_unknown_inspector_index_is_an_error() {
    let visits = vec![Visit {
        subject: subject_id(1),
        prn: 1,
        plans: vec!["P1".into()],
        departments: vec!["SCJG".into()],
    }];
    let inspectors = vec!["A".to_owned(), "B".to_owned()];
    let result = match_inspectors(&seed(), &visits, &inspectors, None, |_, _| Demand {
        k: 2,
        candidates: vec![0, 2],
    });
    assert_eq!(result, Err(Error::UnknownInspector { index: 2 }));
}

#[test]
fn a_stratum_with_both_or_neither_rate_and_count_is_reported() {
    for (rate_bp, count) in [(Some(100), Some(3)), (None, None)] {
        let written = RecordStratum {
            stratum: "A".into(),
            rate_bp,
            count,
        };
        assert_eq!(
            written.to_rule(),
            Err(Error::AmbiguousAllocation {
                stratum: "A".into()
            })
        );
        let mut record = small_record();
        record.plans[0].strata[0].rate_bp = rate_bp;
        record.plans[0].strata[0].count = count;
        assert!(reported_at(&record, "plans[P1].strata"));
    }
    // Same through JSON.
    let mut value = serde_json::to_value(small_record()).expect("json");
    value["plans"][0]["strata"][0]["count"] = serde_json::Value::from(4);
    let record: Record = serde_json::from_value(value).expect("parses");
    assert!(reported_at(&record, "plans[P1].strata"));
}

#[test]
fn malformed_ids_and_strata_are_errors() {
    let p = plan("P1", "SCJG", &[("A", Allocation::RateBp(5_000))]);
    let bad_ids = [
        "91350200\t776049653A",
        "9135020077604965\n3A",
        " 91350200776049653A",
        "91350200776049653A ",
        "",
    ];
    for bad in bad_ids {
        let rows = vec![row("91350200776049653B", "A"), row(bad, "A")];
        assert!(
            matches!(draw_plan(&seed(), &p, &rows), Err(Error::InvalidLabel { ref text, .. }) if text == bad),
            "{bad:?}"
        );
        let mut sampler = PlanSampler::new(&seed(), &p, &[("A".to_owned(), 1)]).expect("valid");
        assert!(
            matches!(sampler.push(bad, "A"), Err(Error::InvalidLabel { .. })),
            "{bad:?}"
        );
    }
    for bad in ["A\tB", "A\n", ""] {
        let rows = vec![row("91350200776049653B", bad)];
        assert!(
            matches!(
                draw_plan(&seed(), &p, &rows),
                Err(Error::InvalidLabel { .. })
            ),
            "stratum {bad:?}"
        );
    }
    // In a record: reported, no panic.
    let mut record = small_record();
    record.plans[0].frame[0].id = "91350200\t776049653A".into();
    assert!(reported_at(&record, "plans[P1]"));
}

#[test]
fn verify_survives_odd_records() {
    // A visit for a subject nobody drew, a department that is not involved,
    // unknown inspectors, and empty staffing: all reported, nothing panics.
    let base = small_record();
    let mut record = base.clone();
    let mut extra = record.visits[0].clone();
    extra.subject = "NOT-IN-ANY-FRAME".into();
    record.visits.push(extra);
    assert!(reported_at(&record, "visits[NOT-IN-ANY-FRAME]"));

    let mut record = base.clone();
    record.visits[0].departments[0].department = "ZZZ".into();
    assert!(!verify(&record).is_empty());

    let mut record = base.clone();
    record.visits[0].departments[0].assigned = vec!["NOBODY".into(), "NOBODY-2".into()];
    assert!(!verify(&record).is_empty());

    let mut record = base.clone();
    record.visits[0].departments.clear();
    assert!(!verify(&record).is_empty());

    let mut record = base;
    record.plans.clear();
    assert!(!verify(&record).is_empty());

    let mut record = small_record();
    record.visits.push(record.visits[0].clone());
    assert!(!verify(&record).is_empty());
}

#[test]
fn a_rule_struct_round_trips_through_its_record_form() {
    for allocation in [
        Allocation::RateBp(0),
        Allocation::RateBp(10_000),
        Allocation::Count(0),
        Allocation::Count(u64::MAX),
    ] {
        let rule = StratumRule {
            stratum: "C".into(),
            allocation,
        };
        assert_eq!(RecordStratum::from_rule(&rule).to_rule(), Ok(rule));
    }
}
