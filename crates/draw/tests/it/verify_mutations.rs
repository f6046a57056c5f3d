//! `verify` accepts what `draw_round` writes and rejects any single tampering.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use common::{frame, plan, subject_id};
use draw::{
    Allocation, Demand, FrameRow, Hex64, InspectorId, Record, RecordSelection, RoundInput,
    RoundSeed, Secret, Visit, draw_round, verify,
};
use proptest::prelude::*;

const BEACON: &str = "监督员 2024-09-17 88 31 07";
const SCJG: std::ops::Range<u32> = 0..7;
const WSJ: std::ops::Range<u32> = 7..12;

fn inspectors() -> Vec<String> {
    SCJG.map(|i| format!("SCJG-{:02}", 7 - i))
        .chain(WSJ.map(|i| format!("WSJ-{:02}", i)))
        .collect()
}

/// A number from a subject id, for deterministic recusals.
fn subject_number(subject: &str) -> u32 {
    subject.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    })
}

/// SCJG sends 2 of its 7, WSJ 3 of its 5; some are recused per subject.
#[allow(clippy::manual_is_multiple_of)] // `is_multiple_of` is newer than the workspace's rust-version 1.85
fn demand(visit: &Visit, department: &str) -> Demand {
    let n = subject_number(&visit.subject);
    match department {
        "SCJG" => Demand {
            k: 2,
            candidates: SCJG.filter(|j| (n + j) % 5 != 0).collect(),
        },
        _ => Demand {
            k: 3,
            candidates: WSJ.filter(|j| (n + j) % 4 != 0).collect(),
        },
    }
}

/// Three plans, two departments, overlapping frames, and a cap that binds.
fn input(secret: [u8; 32], beacon: &str, cap: Option<u32>) -> RoundInput {
    let p1 = plan(
        "P-01",
        "SCJG",
        &[
            ("A", Allocation::RateBp(500)),
            ("B", Allocation::RateBp(1_000)),
            ("C", Allocation::RateBp(2_000)),
            ("D", Allocation::Count(5)),
        ],
    );
    let p2 = plan(
        "P-02",
        "WSJ",
        &[
            ("B", Allocation::RateBp(1_500)),
            ("未分类", Allocation::Count(4)),
        ],
    );
    let p3 = plan("P-03", "SCJG", &[("U", Allocation::Count(10))]);
    RoundInput {
        secret: Secret::from_bytes(secret),
        beacon: beacon.to_owned(),
        cap,
        plans: vec![
            (
                p2,
                frame(120..360, |n| if n % 3 == 0 { "未分类" } else { "B" }),
            ),
            (p1, frame(0..240, |n| ["A", "B", "C", "D"][n as usize % 4])),
            (p3, frame(200..300, |_| "U")),
        ],
        inspectors: inspectors(),
    }
}

fn base_record() -> &'static Record {
    static RECORD: OnceLock<Record> = OnceLock::new();
    RECORD.get_or_init(|| {
        let record =
            draw_round(input([0x5a; 32], &format!("  {BEACON}\n"), Some(7)), demand).expect("draw");
        assert_eq!(record.beacon, BEACON, "the beacon is recorded trimmed");
        record
    })
}

/// Visit-departments where an assigned inspector could be swapped for another eligible one.
fn swappable(record: &Record) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (v, visit) in record.visits.iter().enumerate() {
        for (d, staff) in visit.departments.iter().enumerate() {
            if !staff.unstaffed && staff.eligible.len() > staff.assigned.len() {
                out.push((v, d));
            }
        }
    }
    out
}

/// Visit-departments whose recorded E lacks some candidates: those the cap removed.
fn capped(record: &Record) -> Vec<(usize, usize, Vec<InspectorId>)> {
    let names = inspectors();
    let mut out = Vec::new();
    for (v, visit) in record.visits.iter().enumerate() {
        let as_visit = Visit {
            subject: visit.subject.clone(),
            prn: 0,
            plans: Vec::new(),
            departments: Vec::new(),
        };
        for (d, staff) in visit.departments.iter().enumerate() {
            let left_out: Vec<InspectorId> = demand(&as_visit, &staff.department)
                .candidates
                .into_iter()
                .map(|i| InspectorId::from(names[i as usize].as_str()))
                .filter(|name| !staff.eligible.contains(name))
                .collect();
            if !left_out.is_empty() {
                out.push((v, d, left_out));
            }
        }
    }
    out
}

#[test]
fn the_base_record_conforms_and_is_interesting() {
    let record = base_record();
    assert_eq!(verify(record), Vec::new());
    let staffs: Vec<_> = record.visits.iter().flat_map(|v| &v.departments).collect();
    assert!(
        staffs.iter().any(|s| s.unstaffed),
        "some visit is unstaffed"
    );
    assert!(staffs.iter().any(|s| !s.unstaffed), "some visit is staffed");
    assert!(
        !swappable(record).is_empty(),
        "some staffed visit has a spare eligible inspector"
    );
    assert!(
        record.visits.iter().any(|v| v.plans.len() >= 2),
        "some subject is drawn by two plans"
    );
    assert!(
        record.visits.iter().any(|v| v.departments.len() >= 2),
        "some visit has two departments"
    );
    assert!(
        !capped(record).is_empty(),
        "the cap removes someone from some E"
    );
    // Loads never exceed the cap; every staffed department got k distinct eligible inspectors.
    let mut loads: BTreeMap<&str, u32> = BTreeMap::new();
    for staff in staffs {
        let assigned: BTreeSet<&InspectorId> = staff.assigned.iter().collect();
        assert_eq!(staff.unstaffed, staff.eligible.len() < staff.k as usize);
        if staff.unstaffed {
            assert!(staff.assigned.is_empty());
        } else {
            assert_eq!(assigned.len(), staff.k as usize);
            assert!(assigned.iter().all(|a| staff.eligible.contains(a)));
        }
        for inspector in &staff.assigned {
            *loads.entry(inspector).or_insert(0) += 1;
        }
    }
    assert!(loads.values().all(|&l| l <= 7), "{loads:?}");
    // One visit per drawn subject, after coordination: fewer visits than selections.
    let selections: usize = record.plans.iter().map(|p| p.selected.len()).sum();
    assert!(record.visits.len() < selections);
}

#[test]
fn the_record_round_trips_through_json() {
    let record = base_record();
    for text in [
        serde_json::to_string(record).expect("json"),
        serde_json::to_string_pretty(record).expect("json"),
    ] {
        let back: Record = serde_json::from_str(&text).expect("parse");
        assert_eq!(&back, record);
        assert_eq!(verify(&back), Vec::new());
    }
    // A verifier ignores fields it does not know.
    let mut value = serde_json::to_value(record).expect("json");
    value["organiser"] = serde_json::Value::from("厦门市市场监督管理局");
    let back: Record = serde_json::from_value(value).expect("parse");
    assert_eq!(verify(&back), Vec::new());
}

#[derive(Debug, Clone)]
enum Mutation {
    SecretBit(usize),
    Beacon(String),
    FrameId(usize, usize),
    FrameStratum(usize, usize, usize),
    RemoveRow(usize, usize),
    AddRow(usize, u32, usize),
    SelectedToUnselected(usize, usize, usize),
    SelectedPrn(usize, usize, u64),
    Cutoff(usize, usize),
    AssignedInspector(usize, usize, usize),
    FlipUnstaffed(usize, usize),
    RemoveVisit(usize),
    RoundSeedBit(usize),
    InflateEligible(usize, usize),
    FrameDigestBit(usize, usize),
    RoundDigestBit(usize),
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    let any_index = || any::<usize>();
    prop_oneof![
        (0usize..256).prop_map(Mutation::SecretBit),
        prop_oneof![
            "[0-9 ]{0,24}".prop_map(|s| s.trim().to_owned()),
            Just(BEACON.replace("07", "08")),
            Just(BEACON.to_uppercase() + "1"),
        ]
        .prop_map(Mutation::Beacon),
        (any_index(), any_index()).prop_map(|(p, r)| Mutation::FrameId(p, r)),
        (any_index(), any_index(), any_index())
            .prop_map(|(p, r, s)| Mutation::FrameStratum(p, r, s)),
        (any_index(), any_index()).prop_map(|(p, r)| Mutation::RemoveRow(p, r)),
        (any_index(), 1_000u32..2_000, any_index()).prop_map(|(p, n, s)| Mutation::AddRow(p, n, s)),
        (any_index(), any_index(), any_index())
            .prop_map(|(p, s, r)| Mutation::SelectedToUnselected(p, s, r)),
        (any_index(), any_index(), 1u64..).prop_map(|(p, s, x)| Mutation::SelectedPrn(p, s, x)),
        (any_index(), any_index()).prop_map(|(p, c)| Mutation::Cutoff(p, c)),
        (any_index(), any_index(), any_index())
            .prop_map(|(v, a, r)| Mutation::AssignedInspector(v, a, r)),
        (any_index(), any_index()).prop_map(|(v, d)| Mutation::FlipUnstaffed(v, d)),
        any_index().prop_map(Mutation::RemoveVisit),
        (0usize..256).prop_map(Mutation::RoundSeedBit),
        (any_index(), any_index()).prop_map(|(v, r)| Mutation::InflateEligible(v, r)),
        (any_index(), 0usize..256).prop_map(|(p, bit)| Mutation::FrameDigestBit(p, bit)),
        (0usize..256).prop_map(Mutation::RoundDigestBit),
    ]
}

/// Applies one change to the record; `false` if it happened to change nothing.
fn apply(record: &mut Record, mutation: &Mutation) -> bool {
    let plans = record.plans.len();
    let labels = |record: &Record, p: usize| -> Vec<String> {
        record.plans[p]
            .frame
            .iter()
            .map(|r| r.stratum.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    match *mutation {
        Mutation::SecretBit(bit) => {
            let secret = record.secret.as_mut().expect("published");
            secret.0[bit / 8] ^= 1 << (bit % 8);
        }
        Mutation::Beacon(ref beacon) => {
            if *beacon == record.beacon {
                return false;
            }
            record.beacon.clone_from(beacon);
        }
        Mutation::FrameId(p, r) => {
            let rows = &mut record.plans[p % plans].frame;
            let len = rows.len();
            rows[r % len].id = format!("{}Z", rows[r % len].id).into();
        }
        Mutation::FrameStratum(p, r, shift) => {
            let mut all = labels(record, p % plans);
            all.push("X".to_owned());
            let rows = &mut record.plans[p % plans].frame;
            let len = rows.len();
            let row = &mut rows[r % len];
            let at = all
                .iter()
                .position(|l| **l == *row.stratum)
                .expect("label of the frame");
            // A different label: shift by 1..len (there are at least two, with "X").
            row.stratum = all[(at + 1 + shift % (all.len() - 1)) % all.len()]
                .as_str()
                .into();
        }
        Mutation::RemoveRow(p, r) => {
            let rows = &mut record.plans[p % plans].frame;
            let len = rows.len();
            rows.remove(r % len);
        }
        Mutation::AddRow(p, n, s) => {
            let all = labels(record, p % plans);
            let stratum = all[s % all.len()].clone();
            record.plans[p % plans].frame.push(FrameRow {
                id: subject_id(n).into(),
                stratum: stratum.into(),
            });
        }
        Mutation::SelectedToUnselected(p, s, r) => {
            // The adversary's swap: replace a drawn subject by an undrawn one of the
            // frame, with the stratum and the true prn of the replacement.
            let seed = RoundSeed::from_bytes(record.round_seed.0);
            let plan = &mut record.plans[p % plans];
            if plan.selected.is_empty() {
                return false;
            }
            let chosen: BTreeSet<&str> = plan.selected.iter().map(|s| s.id.as_str()).collect();
            let undrawn: Vec<&FrameRow> = plan
                .frame
                .iter()
                .filter(|row| !chosen.contains(&*row.id))
                .collect();
            let row = undrawn[r % undrawn.len()].clone();
            let len = plan.selected.len();
            plan.selected[s % len] = RecordSelection {
                prn: Hex64(seed.prn(row.id.as_bytes())),
                id: row.id.to_string(),
                stratum: row.stratum.to_string(),
            };
        }
        Mutation::SelectedPrn(p, s, x) => {
            let plan = &mut record.plans[p % plans];
            if plan.selected.is_empty() {
                return false;
            }
            let len = plan.selected.len();
            plan.selected[s % len].prn.0 ^= x;
        }
        Mutation::Cutoff(p, c) => {
            let plan = &mut record.plans[p % plans];
            let len = plan.cutoffs.len();
            let Some((_, cutoff)) = plan.cutoffs.iter_mut().nth(c % len.max(1)) else {
                return false;
            };
            cutoff.0 = cutoff.0.wrapping_add(1);
        }
        Mutation::AssignedInspector(v, a, r) => {
            let spots = swappable(record);
            let (v, d) = spots[v % spots.len()];
            let staff = &mut record.visits[v].departments[d];
            let spare: Vec<InspectorId> = staff
                .eligible
                .iter()
                .filter(|e| !staff.assigned.contains(e))
                .cloned()
                .collect();
            let len = staff.assigned.len();
            staff.assigned[a % len].clone_from(&spare[r % spare.len()]);
        }
        Mutation::FlipUnstaffed(v, d) => {
            let visits = record.visits.len();
            let visit = &mut record.visits[v % visits];
            let len = visit.departments.len();
            let staff = &mut visit.departments[d % len];
            staff.unstaffed = !staff.unstaffed;
        }
        Mutation::RemoveVisit(v) => {
            let visits = record.visits.len();
            record.visits.remove(v % visits);
        }
        Mutation::RoundSeedBit(bit) => record.round_seed.0[bit / 8] ^= 1 << (bit % 8),
        Mutation::InflateEligible(v, r) => {
            // List in E an inspector whom the cap had removed (a candidate by every
            // other rule, but not in the recorded E).
            let spots = capped(record);
            let (v, d, ref left_out) = spots[v % spots.len()];
            let eligible = &mut record.visits[v].departments[d].eligible;
            eligible.push(left_out[r % left_out.len()].clone());
            eligible.sort();
        }
        Mutation::FrameDigestBit(p, bit) => {
            record.plans[p % plans].frame_digest.0[bit / 8] ^= 1 << (bit % 8)
        }
        Mutation::RoundDigestBit(bit) => record.round_digest.0[bit / 8] ^= 1 << (bit % 8),
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any single change to the record's inputs or outputs is reported.
    #[test]
    fn every_single_change_is_a_deviation(mutation in mutation_strategy()) {
        let mut record = base_record().clone();
        prop_assume!(apply(&mut record, &mutation));
        let deviations = verify(&record);
        prop_assert!(!deviations.is_empty(), "{:?} went unnoticed", mutation);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the secret, beacon and cap, the record `draw_round` writes conforms.
    #[test]
    fn draw_round_output_always_verifies(
        secret in any::<[u8; 32]>(),
        beacon in "[0-9 ]{0,20}",
        cap in proptest::option::of(0u32..12),
    ) {
        let record = draw_round(input(secret, &beacon, cap), demand).expect("draw");
        prop_assert_eq!(verify(&record), Vec::new());
        let text = serde_json::to_string(&record).expect("json");
        let back: Record = serde_json::from_str(&text).expect("parse");
        prop_assert_eq!(verify(&back), Vec::new());
    }
}

/// Spec §1.2: the beacon is trimmed *before it is recorded*, and "the recorded
/// bytes are used as they are". A record whose beacon carries white space is
/// therefore checked by an independent verifier (`sha256sum`) against
/// H(" … "), which does not give the recorded seed — but `verify` trims again
/// and accepts the record.
#[test]
fn a_beacon_padded_with_white_space_is_a_deviation() {
    let mut record = base_record().clone();
    record.beacon = format!(" {} ", record.beacon);
    assert_ne!(verify(&record), Vec::new());
}

/// `draw_round` must not write a record that its own `verify` rejects: two
/// inspector list entries with the same id make one person count as two.
#[test]
fn duplicate_inspector_ids_give_no_self_contradicting_record() {
    let mut round = input([1; 32], BEACON, None);
    round.inspectors[1] = round.inspectors[0].clone();
    let twice = round.inspectors[0].clone();
    assert_eq!(
        draw_round(round, demand),
        Err(draw::Error::DuplicateInspector { inspector: twice })
    );
}
