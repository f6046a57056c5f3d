//! Property tests of the sampler (spec §2–§5) against a brute-force reference:
//! sample sizes, the exact `(prn, id)` selection, cut-offs, frame digests,
//! coordination across plans, and the streaming sampler.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::common;

use std::collections::BTreeSet;

use common::{ref_frame_digest, ref_prn, ref_sample_size, ref_strata, ref_ticket};
use draw::{
    Allocation, Error, FrameRow, PlanDraw, PlanSampler, PlanSpec, RoundSeed, StratumRule, draw_plan,
};
use proptest::prelude::*;

const LABELS: [&str; 4] = ["A", "B", "C", "未分类"];

/// Ids of mixed shapes: credit codes, short and long (> 23 bytes, the crate's
/// one-block fast path limit) ASCII ids, and non-ASCII case numbers, so that
/// byte order differs from char order and both hashing paths are used.
fn id_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9A-Z]{18}",
        "[0-9A-Z]{1,40}",
        "[（）0-9闽执号字第]{1,12}",
    ]
}

fn allocation_strategy() -> impl Strategy<Value = Allocation> {
    prop_oneof![
        (0u32..=10_000).prop_map(Allocation::RateBp),
        prop_oneof![Just(0u32), Just(1), Just(9_999), Just(10_000), 1u32..3_000]
            .prop_map(Allocation::RateBp),
        (0u64..60).prop_map(Allocation::Count),
    ]
}

/// A plan whose rules cover a random subset of the labels in random order, and
/// a frame of distinct ids in random order over those labels.
fn plan_and_frame() -> impl Strategy<Value = (PlanSpec, Vec<FrameRow>)> {
    let rules =
        proptest::collection::vec(proptest::option::of(allocation_strategy()), LABELS.len())
            .prop_map(|allocations| {
                LABELS
                    .iter()
                    .zip(allocations)
                    .filter_map(|(label, allocation)| {
                        allocation.map(|allocation| StratumRule {
                            stratum: (*label).to_owned(),
                            allocation,
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle();
    let rows = proptest::collection::btree_set(id_strategy(), 0..90)
        .prop_flat_map(|ids| {
            let n = ids.len();
            (Just(ids), proptest::collection::vec(0..LABELS.len(), n))
        })
        .prop_map(|(ids, labels)| {
            ids.into_iter()
                .zip(labels)
                .map(|(id, label)| FrameRow {
                    id: id.into(),
                    stratum: LABELS[label].into(),
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle();
    (rules, rows).prop_map(|(strata, frame)| {
        (
            PlanSpec {
                id: "P-2024-017".to_owned(),
                department: "SCJG".to_owned(),
                strata,
            },
            frame,
        )
    })
}

/// Checks a plan's draw against the spec, stratum by stratum.
fn check_draw(
    seed: &[u8; 32],
    plan: &PlanSpec,
    frame: &[FrameRow],
    drawn: &PlanDraw,
) -> Result<(), TestCaseError> {
    let reference = ref_strata(seed, plan, frame);
    prop_assert_eq!(drawn.frame_digest, ref_frame_digest(frame));

    // Outcomes: each rule's stratum in rule order, then the frame's strata without
    // a rule; every stratum exactly once.
    let labels: Vec<&str> = drawn.strata.iter().map(|o| o.stratum.as_str()).collect();
    let distinct: BTreeSet<&str> = labels.iter().copied().collect();
    prop_assert_eq!(
        distinct.len(),
        labels.len(),
        "a stratum listed twice: {:?}",
        labels
    );
    prop_assert_eq!(
        distinct,
        reference
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
    );
    for (rule, outcome) in plan.strata.iter().zip(&drawn.strata) {
        prop_assert_eq!(&rule.stratum, &outcome.stratum);
        prop_assert!(outcome.has_rule);
    }
    for outcome in &drawn.strata[plan.strata.len()..] {
        prop_assert!(!outcome.has_rule);
        prop_assert_eq!(outcome.sample_size, 0);
        prop_assert_eq!(outcome.cutoff, None);
    }

    let mut expected_selected = Vec::new();
    for outcome in &drawn.strata {
        let stratum = &reference[&outcome.stratum];
        // §3: n_h = ceil(N_h × rate / 10000) or min(count, N_h).
        prop_assert_eq!(
            outcome.population,
            stratum.population,
            "N_h of {}",
            outcome.stratum
        );
        prop_assert_eq!(
            outcome.sample_size,
            stratum.sample_size,
            "n_h of {}",
            outcome.stratum
        );
        let n = usize::try_from(stratum.sample_size).expect("small");
        // §4: the n_h smallest (prn, id); the cut-off is the last one's prn.
        let chosen = &stratum.ordered[..n];
        prop_assert_eq!(outcome.cutoff, chosen.last().map(|(prn, _)| *prn));
        let selected_here: Vec<(u64, String)> = drawn
            .selected
            .iter()
            .filter(|s| s.stratum == outcome.stratum)
            .map(|s| (s.prn, s.id.clone()))
            .collect();
        prop_assert_eq!(
            &selected_here[..],
            chosen,
            "selection of stratum {}",
            outcome.stratum
        );
        // An entity checks its own fate from the cut-off alone.
        if let Some((cutoff, last_id)) = chosen.last() {
            for (prn, id) in &stratum.ordered {
                let in_sample = selected_here.iter().any(|(_, s)| s == id);
                prop_assert_eq!(
                    in_sample,
                    (*prn, id.as_bytes()) <= (*cutoff, last_id.as_bytes())
                );
                if in_sample {
                    prop_assert!(*prn <= *cutoff);
                } else {
                    prop_assert!((*prn, id.as_bytes()) > (*cutoff, last_id.as_bytes()));
                }
            }
        } else {
            prop_assert!(selected_here.is_empty());
        }
        expected_selected.extend(
            chosen
                .iter()
                .map(|(prn, id)| (id.clone(), outcome.stratum.clone(), *prn)),
        );
    }
    // Stratum by stratum in outcome order, each in (prn, id) order; nothing else.
    let actual: Vec<(String, String, u64)> = drawn
        .selected
        .iter()
        .map(|s| (s.id.clone(), s.stratum.clone(), s.prn))
        .collect();
    prop_assert_eq!(actual, expected_selected);
    Ok(())
}

fn sorted_by_id(frame: &[FrameRow]) -> Vec<FrameRow> {
    let mut rows = frame.to_vec();
    rows.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
    rows
}

fn selected_ids(drawn: &PlanDraw) -> BTreeSet<String> {
    drawn.selected.iter().map(|s| s.id.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Spec §3–§5 against the brute-force reference, and invariance under the
    /// order in which the frame is given.
    #[test]
    fn draw_plan_selects_the_n_h_smallest_prn_id_per_stratum(
        seed in any::<[u8; 32]>(),
        (plan, frame) in plan_and_frame(),
    ) {
        let round_seed = RoundSeed::from_bytes(seed);
        let drawn = draw_plan(&round_seed, &plan, &frame).expect("valid plan and frame");
        check_draw(&seed, &plan, &frame, &drawn)?;
        let mut reversed = frame.clone();
        reversed.reverse();
        prop_assert_eq!(draw_plan(&round_seed, &plan, &reversed).expect("same frame"), drawn);
    }

    /// §3 in integers for any population, including ones where `N × rate` overflows u64.
    #[test]
    fn sample_size_is_integer_ceiling(population in prop_oneof![0u64..100_000, any::<u64>()], rate in 0u32..=10_000, count in any::<u64>()) {
        let by_rate = Allocation::rate_bp(rate).expect("rate in range").sample_size(population);
        prop_assert_eq!(by_rate, ref_sample_size(Allocation::RateBp(rate), population));
        prop_assert!(by_rate <= population);
        // ceiling: n - 1 < N × rate / 10000 <= n
        let exact = u128::from(population) * u128::from(rate);
        prop_assert!(u128::from(by_rate) * 10_000 >= exact);
        prop_assert!(by_rate == 0 || (u128::from(by_rate) - 1) * 10_000 < exact);
        prop_assert_eq!(Allocation::Count(count).sample_size(population), count.min(population));
    }

    /// §2 and §6.2 computed with SHA-256 directly, for ids on both sides of the
    /// one-block boundary (23 bytes) and non-ASCII ids.
    #[test]
    fn prn_and_ticket_are_the_spec_hashes(
        seed in any::<[u8; 32]>(),
        id in prop_oneof![proptest::collection::vec(any::<u8>(), 0..80), "[0-9A-Z（）闽号]{0,30}".prop_map(String::into_bytes)],
        inspector in "[0-9A-Za-z-]{1,20}",
    ) {
        let round_seed = RoundSeed::from_bytes(seed);
        prop_assert_eq!(round_seed.prn(&id), ref_prn(&seed, &id));
        prop_assert_eq!(round_seed.ticket(&id, inspector.as_bytes()), ref_ticket(&seed, &id, inspector.as_bytes()));
    }

    /// Two plans over the same frame with the same rules select the same subjects,
    /// whatever their ids and departments.
    #[test]
    fn same_frame_and_rules_select_the_same_subjects(seed in any::<[u8; 32]>(), (plan, frame) in plan_and_frame()) {
        let round_seed = RoundSeed::from_bytes(seed);
        let other = PlanSpec { id: "WSJ-2024-003".to_owned(), department: "WSJ".to_owned(), strata: plan.strata.clone() };
        let mut shuffled = frame.clone();
        shuffled.rotate_left(frame.len() / 3);
        let first = draw_plan(&round_seed, &plan, &frame).expect("valid");
        let second = draw_plan(&round_seed, &other, &shuffled).expect("valid");
        prop_assert_eq!(first, second);
    }

    /// Coordination in its strongest form: on one frame, a higher rate (or count)
    /// selects a superset of what a lower one selects.
    #[test]
    fn a_larger_allocation_selects_a_superset(
        seed in any::<[u8; 32]>(),
        ids in proptest::collection::btree_set("[0-9A-Z]{18}", 1..120),
        low in 0u32..=10_000,
        extra in 0u32..=10_000,
    ) {
        let round_seed = RoundSeed::from_bytes(seed);
        let high = low.saturating_add(extra).min(10_000);
        let frame: Vec<FrameRow> = ids.into_iter().map(|id| FrameRow { id: id.into(), stratum: "B".into() }).collect();
        let rule = |allocation| PlanSpec {
            id: "P".to_owned(),
            department: "D".to_owned(),
            strata: vec![StratumRule { stratum: "B".to_owned(), allocation }],
        };
        let small = selected_ids(&draw_plan(&round_seed, &rule(Allocation::RateBp(low)), &frame).expect("valid"));
        let large = selected_ids(&draw_plan(&round_seed, &rule(Allocation::RateBp(high)), &frame).expect("valid"));
        prop_assert!(small.is_subset(&large));
        let few = selected_ids(&draw_plan(&round_seed, &rule(Allocation::Count(u64::from(low % 50))), &frame).expect("valid"));
        let more = selected_ids(&draw_plan(&round_seed, &rule(Allocation::Count(u64::from(low % 50 + extra % 50))), &frame).expect("valid"));
        prop_assert!(few.is_subset(&more));
    }

    /// The streaming sampler over the frame sorted by id, with declared
    /// populations, equals `draw_plan`.
    #[test]
    fn streaming_with_populations_equals_draw_plan(seed in any::<[u8; 32]>(), (plan, frame) in plan_and_frame()) {
        let round_seed = RoundSeed::from_bytes(seed);
        let expected = draw_plan(&round_seed, &plan, &frame).expect("valid");
        let sorted = sorted_by_id(&frame);
        // Populations in order of first appearance, as draw_plan declares them.
        let mut populations: Vec<(String, u64)> = Vec::new();
        for row in &sorted {
            match populations.iter_mut().find(|(label, _)| **label == *row.stratum) {
                Some((_, count)) => *count += 1,
                None => populations.push((row.stratum.to_string(), 1)),
            }
        }
        let mut sampler = PlanSampler::new(&round_seed, &plan, &populations).expect("valid plan");
        for row in &sorted {
            sampler.push(&row.id, &row.stratum).expect("sorted, declared");
        }
        prop_assert_eq!(sampler.finish().expect("populations match"), expected);
    }

    /// `for_counts` needs no populations and equals `draw_plan` for count-only plans.
    #[test]
    fn streaming_for_counts_equals_draw_plan(
        seed in any::<[u8; 32]>(),
        (plan, frame) in plan_and_frame(),
        counts in proptest::collection::vec(0u64..40, LABELS.len()),
    ) {
        let round_seed = RoundSeed::from_bytes(seed);
        let strata = plan
            .strata
            .iter()
            .zip(counts)
            .map(|(rule, count)| StratumRule { stratum: rule.stratum.clone(), allocation: Allocation::Count(count) })
            .collect();
        let plan = PlanSpec { strata, ..plan };
        let expected = draw_plan(&round_seed, &plan, &frame).expect("valid");
        check_draw(&seed, &plan, &frame, &expected)?;
        let mut sampler = PlanSampler::for_counts(&round_seed, &plan).expect("count-only plan");
        for row in sorted_by_id(&frame) {
            sampler.push(&row.id, &row.stratum).expect("sorted");
        }
        prop_assert_eq!(sampler.finish().expect("no populations to check"), expected);
    }

    /// Out-of-order and repeated ids are errors, never panics, in both kinds of sampler.
    #[test]
    fn streaming_rejects_unsorted_and_repeated_ids(
        seed in any::<[u8; 32]>(),
        ids in proptest::collection::btree_set("[0-9A-Z]{1,30}", 2..30),
        pick in any::<proptest::sample::Index>(),
    ) {
        let round_seed = RoundSeed::from_bytes(seed);
        let ids: Vec<String> = ids.into_iter().collect();
        let plan = PlanSpec {
            id: "P9".to_owned(),
            department: "SCJG".to_owned(),
            strata: vec![StratumRule { stratum: "B".to_owned(), allocation: Allocation::Count(3) }],
        };
        let at = pick.index(ids.len() - 1) + 1; // 1..len: a row with a predecessor
        for counted in [false, true] {
            let start = || if counted {
                PlanSampler::new(&round_seed, &plan, &[("B".to_owned(), ids.len() as u64 + 1)]).expect("valid")
            } else {
                PlanSampler::for_counts(&round_seed, &plan).expect("valid")
            };
            // Repeat ids[at - 1] right after itself.
            let mut sampler = start();
            for id in &ids[..at] {
                sampler.push(id, "B").expect("sorted");
            }
            prop_assert_eq!(
                sampler.push(&ids[at - 1], "B"),
                Err(Error::DuplicateFrameId { plan: "P9".to_owned(), id: ids[at - 1].clone() })
            );
            // Push ids[at - 1] after ids[at].
            let mut sampler = start();
            for id in &ids[..=at] {
                sampler.push(id, "B").expect("sorted");
            }
            prop_assert_eq!(
                sampler.push(&ids[at - 1], "B"),
                Err(Error::FrameNotSorted { plan: "P9".to_owned(), id: ids[at - 1].clone() })
            );
        }
    }
}

#[test]
fn for_counts_rejects_rate_rules() {
    let seed = RoundSeed::from_bytes([3; 32]);
    let plan = PlanSpec {
        id: "P1".to_owned(),
        department: "SCJG".to_owned(),
        strata: vec![
            StratumRule {
                stratum: "A".to_owned(),
                allocation: Allocation::Count(4),
            },
            StratumRule {
                stratum: "C".to_owned(),
                allocation: Allocation::RateBp(2_000),
            },
        ],
    };
    assert_eq!(
        PlanSampler::for_counts(&seed, &plan).err(),
        Some(Error::RateNeedsPopulation {
            plan: "P1".to_owned(),
            stratum: "C".to_owned()
        })
    );
}

#[test]
fn streaming_checks_declared_populations() {
    let seed = RoundSeed::from_bytes([4; 32]);
    let plan = PlanSpec {
        id: "P1".to_owned(),
        department: "SCJG".to_owned(),
        strata: vec![StratumRule {
            stratum: "A".to_owned(),
            allocation: Allocation::RateBp(5_000),
        }],
    };
    // Declared too many: caught at finish.
    let mut sampler = PlanSampler::new(&seed, &plan, &[("A".to_owned(), 3)]).expect("valid");
    sampler.push("X1", "A").expect("declared");
    sampler.push("X2", "A").expect("declared");
    assert_eq!(
        sampler.finish().err(),
        Some(Error::PopulationMismatch {
            plan: "P1".to_owned(),
            stratum: "A".to_owned(),
            declared: 3,
            seen: 2
        })
    );
    // Declared too few: caught at the first surplus row (n_h was sized from it).
    let mut sampler = PlanSampler::new(&seed, &plan, &[("A".to_owned(), 1)]).expect("valid");
    sampler.push("X1", "A").expect("declared");
    assert!(matches!(
        sampler.push("X2", "A"),
        Err(Error::PopulationMismatch {
            declared: 1,
            seen: 2,
            ..
        })
    ));
    // A stratum that was not declared at all.
    let mut sampler = PlanSampler::new(&seed, &plan, &[("A".to_owned(), 1)]).expect("valid");
    assert_eq!(
        sampler.push("X1", "B"),
        Err(Error::UndeclaredStratum {
            plan: "P1".to_owned(),
            stratum: "B".to_owned()
        })
    );
}
