//! Inspector matching (spec §6): distinct eligible inspectors, least loaded first,
//! the cap, unstaffed visits, and agreement with a brute-force reference.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::common;

use std::collections::BTreeSet;

use common::{Demands, demand_from, ref_match, seed_from_counter, subject_id};
use draw::{Demand, RoundSeed, Staffing, Visit, match_inspectors};
use proptest::prelude::*;

const DEPARTMENTS: [&str; 3] = ["SCJG", "WSJ", "YJJ"];

#[derive(Debug, Clone)]
struct Case {
    inspectors: Vec<String>,
    visits: Vec<Visit>,
    demands: Demands,
    cap: Option<u32>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let inspectors = proptest::collection::btree_set("[A-Z]{1,2}-[0-9]{1,3}", 2..12)
        .prop_map(|names| names.into_iter().collect::<Vec<_>>())
        .prop_shuffle();
    (inspectors, proptest::option::of(1u32..6)).prop_flat_map(|(inspectors, cap)| {
        let m = inspectors.len() as u32;
        let demand = (
            2u32..5,
            proptest::collection::vec(0..m, 0..(m as usize + 3)),
        );
        let visit = (
            // Small prns collide, so ties are broken by subject id.
            prop_oneof![0u64..3, any::<u64>()],
            1usize..8,
            proptest::collection::vec(demand, DEPARTMENTS.len()),
        );
        let visits = proptest::collection::btree_set("[0-9A-Z]{1,18}", 0..30).prop_flat_map(
            move |subjects| {
                let n = subjects.len();
                (Just(subjects), proptest::collection::vec(visit.clone(), n))
            },
        );
        (Just(inspectors), Just(cap), visits).prop_map(|(inspectors, cap, (subjects, specs))| {
            let mut visits = Vec::new();
            let mut demands = Demands::new();
            for (subject, (prn, mask, per_department)) in subjects.into_iter().zip(specs) {
                let departments: Vec<String> = DEPARTMENTS
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| mask & (1 << bit) != 0)
                    .map(|(_, d)| (*d).to_owned())
                    .collect();
                for (department, demand) in DEPARTMENTS.iter().zip(per_department) {
                    demands.insert((subject.clone(), (*department).to_owned()), demand);
                }
                visits.push(Visit {
                    subject,
                    prn,
                    plans: vec!["P1".to_owned()],
                    departments,
                });
            }
            Case {
                inspectors,
                visits,
                demands,
                cap,
            }
        })
    })
}

/// Replays the staffing in processing order and checks §6 without the reference:
/// E is exactly the distinct candidates below the cap, sorted by inspector id;
/// unstaffed exactly when |E| < k, with nothing assigned; otherwise k distinct
/// inspectors from E, none more loaded than any eligible one left out; the cap
/// is never exceeded. Returns the final loads.
fn check_staffing(case: &Case, staffing: &[Vec<Staffing>]) -> Result<Vec<u32>, TestCaseError> {
    let names = &case.inspectors;
    prop_assert_eq!(staffing.len(), case.visits.len());
    let mut order: Vec<usize> = (0..case.visits.len()).collect();
    order.sort_by_key(|&i| {
        (
            case.visits[i].prn,
            case.visits[i].subject.clone().into_bytes(),
        )
    });
    let mut loads = vec![0u32; names.len()];
    for index in order {
        let visit = &case.visits[index];
        let departments: Vec<&str> = staffing[index]
            .iter()
            .map(|s| s.department.as_str())
            .collect();
        prop_assert_eq!(
            &departments,
            &visit
                .departments
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
        for staff in &staffing[index] {
            let (k, candidates) = &case.demands[&(visit.subject.clone(), staff.department.clone())];
            prop_assert_eq!(staff.k, *k);
            let mut expected_e: Vec<u32> = candidates
                .iter()
                .copied()
                .filter(|&c| case.cap.is_none_or(|cap| loads[c as usize] < cap))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            expected_e.sort_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
            prop_assert_eq!(&staff.eligible, &expected_e);
            prop_assert_eq!(staff.unstaffed, staff.eligible.len() < *k as usize);
            if staff.unstaffed {
                prop_assert!(staff.assigned.is_empty());
                continue;
            }
            prop_assert_eq!(staff.assigned.len(), *k as usize);
            let distinct: BTreeSet<u32> = staff.assigned.iter().copied().collect();
            prop_assert_eq!(
                distinct.len(),
                *k as usize,
                "assigned twice: {:?}",
                staff.assigned
            );
            prop_assert!(distinct.iter().all(|i| staff.eligible.contains(i)));
            let most_loaded_chosen = distinct
                .iter()
                .map(|&i| loads[i as usize])
                .max()
                .expect("k ≥ 2");
            let least_loaded_left = staff
                .eligible
                .iter()
                .filter(|i| !distinct.contains(i))
                .map(|&i| loads[i as usize])
                .min();
            prop_assert!(least_loaded_left.is_none_or(|left| left >= most_loaded_chosen));
            for &i in &staff.assigned {
                loads[i as usize] += 1;
                prop_assert!(case.cap.is_none_or(|cap| loads[i as usize] <= cap));
            }
        }
    }
    Ok(loads)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn matching_follows_spec_section_6(seed in any::<[u8; 32]>(), case in case_strategy()) {
        let round_seed = RoundSeed::from_bytes(seed);
        let staffing = match_inspectors(&round_seed, &case.visits, &case.inspectors, case.cap, demand_from(&case.demands))
            .expect("valid demands");
        check_staffing(&case, &staffing)?;
        let (expected, _) = ref_match(&seed, &case.visits, &case.inspectors, case.cap, &case.demands);
        for (staffs, expected) in staffing.iter().zip(&expected) {
            let actual: Vec<(Vec<u32>, Vec<u32>, bool)> =
                staffs.iter().map(|s| (s.eligible.clone(), s.assigned.clone(), s.unstaffed)).collect();
            prop_assert_eq!(&actual, expected);
        }
    }
}

/// With everyone eligible and no binding cap, least-loaded-first keeps each
/// department's inspectors within one visit of each other, after every visit.
#[test]
fn loads_stay_within_one_when_everyone_is_eligible() {
    // SCJG sends 2 of 7, WSJ 3 of 5; pools are disjoint.
    let inspectors: Vec<String> = (0..7)
        .map(|i| format!("SCJG-{i}"))
        .chain((0..5).map(|i| format!("WSJ-{i}")))
        .collect();
    let pool = |department: &str| -> Vec<u32> {
        if department == "SCJG" {
            (0..7).collect()
        } else {
            (7..12).collect()
        }
    };
    for counter in 0..40u64 {
        let seed = seed_from_counter(counter);
        let visits: Vec<Visit> = (0..60u32)
            .map(|n| {
                let mix = (u64::from(n) * 2_654_435_761 + counter * 40_503) % 3;
                let departments = match mix {
                    0 => vec!["SCJG".to_owned()],
                    1 => vec!["WSJ".to_owned()],
                    _ => vec!["SCJG".to_owned(), "WSJ".to_owned()],
                };
                Visit {
                    subject: subject_id(n),
                    prn: seed.prn(subject_id(n).as_bytes()),
                    plans: vec!["P".to_owned()],
                    departments,
                }
            })
            .collect();
        for cap in [None, Some(1_000)] {
            let staffing =
                match_inspectors(&seed, &visits, &inspectors, cap, |_, department| Demand {
                    k: if department == "SCJG" { 2 } else { 3 },
                    candidates: pool(department),
                })
                .expect("valid");
            let mut order: Vec<usize> = (0..visits.len()).collect();
            order.sort_by_key(|&i| visits[i].prn);
            let mut loads = [0u32; 12];
            for index in order {
                for staff in &staffing[index] {
                    assert!(!staff.unstaffed);
                    for &i in &staff.assigned {
                        loads[i as usize] += 1;
                    }
                }
                for (range, name) in [(0..7, "SCJG"), (7..12, "WSJ")] {
                    let slice = &loads[range];
                    let spread = slice.iter().max().unwrap() - slice.iter().min().unwrap();
                    assert!(spread <= 1, "seed {counter}: {name} loads {slice:?}");
                }
            }
        }
    }
}

/// A binding cap: 4 inspectors, cap 3, k = 2, 10 visits. Exactly 6 visits can be
/// staffed (12 slots); they are the first 6 in prn order, every inspector ends
/// at the cap, and the last 4 are unstaffed with E empty.
#[test]
fn the_cap_binds_and_overflow_is_reported_unstaffed() {
    let inspectors: Vec<String> = ["ZH-1", "LI-2", "WA-3", "CH-4"].map(str::to_owned).to_vec();
    for counter in 0..20 {
        let seed = seed_from_counter(counter);
        let visits: Vec<Visit> = (0..10u32)
            .map(|n| Visit {
                subject: subject_id(n),
                prn: seed.prn(subject_id(n).as_bytes()),
                plans: vec!["P".to_owned()],
                departments: vec!["SCJG".to_owned()],
            })
            .collect();
        let staffing = match_inspectors(&seed, &visits, &inspectors, Some(3), |_, _| Demand {
            k: 2,
            candidates: vec![0, 1, 2, 3],
        })
        .expect("valid");
        let mut order: Vec<usize> = (0..10).collect();
        order.sort_by_key(|&i| visits[i].prn);
        let mut loads = [0u32; 4];
        for (position, index) in order.into_iter().enumerate() {
            let staff = &staffing[index][0];
            if position < 6 {
                assert!(!staff.unstaffed);
                assert_eq!(staff.assigned.len(), 2);
            } else {
                assert!(
                    staff.unstaffed,
                    "visit {position} in prn order should be unstaffed"
                );
                assert!(staff.assigned.is_empty());
                assert!(
                    staff.eligible.is_empty(),
                    "everyone is at the cap: {:?}",
                    staff.eligible
                );
            }
            for &i in &staff.assigned {
                loads[i as usize] += 1;
            }
        }
        assert_eq!(loads, [3; 4]);
    }
}

/// |E| counts distinct inspectors: a candidate listed twice is one inspector.
#[test]
fn repeated_candidates_count_once() {
    let seed = RoundSeed::from_bytes([9; 32]);
    let inspectors: Vec<String> = ["B-1", "A-2", "C-3"].map(str::to_owned).to_vec();
    let visit = Visit {
        subject: subject_id(1),
        prn: 5,
        plans: vec!["P".to_owned()],
        departments: vec!["SCJG".to_owned()],
    };
    let run = |candidates: Vec<u32>| {
        match_inspectors(
            &seed,
            std::slice::from_ref(&visit),
            &inspectors,
            None,
            move |_, _| Demand {
                k: 2,
                candidates: candidates.clone(),
            },
        )
        .expect("valid")
        .remove(0)
        .remove(0)
    };
    let staff = run(vec![0, 0, 0]);
    assert!(staff.unstaffed);
    assert_eq!(staff.eligible, [0]);
    assert!(staff.assigned.is_empty());
    let staff = run(vec![2, 0, 2, 0, 1]);
    assert!(!staff.unstaffed);
    // E ascending by inspector id: A-2, B-1, C-3.
    assert_eq!(staff.eligible, [1, 0, 2]);
    assert_eq!(staff.assigned.len(), 2);
    assert_ne!(staff.assigned[0], staff.assigned[1]);
}
