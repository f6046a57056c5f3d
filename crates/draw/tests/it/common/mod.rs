//! Independent reference implementations of spec `draw-v1.md`, written from the
//! spec text with `sha2` directly (never through the crate's fast paths), and
//! small fixtures shared by the integration tests.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};

use draw::{Allocation, Demand, FrameRow, PlanSpec, RoundSeed, Secret, StratumRule, Visit};
use sha2::{Digest as _, Sha256};

/// `H(x)` of spec notation.
pub fn h(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn u64be(digest: &[u8; 32]) -> u64 {
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// §2: `u64be(H(round_seed ‖ id)[..8])`.
pub fn ref_prn(seed: &[u8; 32], id: &[u8]) -> u64 {
    u64be(&h(&[seed, id]))
}

/// §6.2: `u64be(H(round_seed ‖ "insp" ‖ 0x00 ‖ id ‖ 0x00 ‖ inspector_id)[..8])`.
pub fn ref_ticket(seed: &[u8; 32], subject: &[u8], inspector: &[u8]) -> u64 {
    u64be(&h(&[seed, b"insp\0", subject, b"\0", inspector]))
}

/// §3 in 128-bit integers, with the spec's formula written out.
#[allow(clippy::manual_div_ceil)]
pub fn ref_sample_size(allocation: Allocation, population: u64) -> u64 {
    match allocation {
        Allocation::RateBp(rate) => {
            let n = (u128::from(population) * u128::from(rate) + 9_999) / 10_000;
            u64::try_from(n).expect("n_h <= N_h when rate <= 10000")
        }
        Allocation::Count(count) => count.min(population),
    }
}

/// §5: H over `id ‖ 0x09 ‖ stratum ‖ 0x0A` lines sorted by id bytes.
pub fn ref_frame_digest(frame: &[FrameRow]) -> [u8; 32] {
    let mut rows: Vec<&FrameRow> = frame.iter().collect();
    rows.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
    let mut hasher = Sha256::new();
    for row in rows {
        hasher.update(row.id.as_bytes());
        hasher.update(b"\t");
        hasher.update(row.stratum.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().into()
}

/// One stratum's expected outcome per §3–§4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefStratum {
    pub population: u64,
    pub sample_size: u64,
    /// The stratum's rows in `(prn, id)` order.
    pub ordered: Vec<(u64, String)>,
}

/// §3–§4 by brute force: every stratum of the frame or of the rules, with its rows
/// sorted by `(prn, id bytes)` and `n_h`.
pub fn ref_strata(
    seed: &[u8; 32],
    plan: &PlanSpec,
    frame: &[FrameRow],
) -> BTreeMap<String, RefStratum> {
    let mut out: BTreeMap<String, RefStratum> = BTreeMap::new();
    for rule in &plan.strata {
        out.entry(rule.stratum.clone()).or_insert(RefStratum {
            population: 0,
            sample_size: 0,
            ordered: Vec::new(),
        });
    }
    for row in frame {
        let entry = out.entry(row.stratum.to_string()).or_insert(RefStratum {
            population: 0,
            sample_size: 0,
            ordered: Vec::new(),
        });
        entry.population += 1;
        entry
            .ordered
            .push((ref_prn(seed, row.id.as_bytes()), row.id.to_string()));
    }
    for (label, stratum) in &mut out {
        stratum
            .ordered
            .sort_by(|a, b| (a.0, a.1.as_bytes()).cmp(&(b.0, b.1.as_bytes())));
        stratum.sample_size = plan
            .strata
            .iter()
            .find(|rule| &rule.stratum == label)
            .map_or(0, |rule| {
                ref_sample_size(rule.allocation, stratum.population)
            });
    }
    out
}

/// The (subject, department) → (k, candidates) demands of a matching test.
pub type Demands = HashMap<(String, String), (u32, Vec<u32>)>;

/// Expected staffing of one visit-department: (eligible, assigned in rank order, unstaffed).
pub type RefStaffing = (Vec<u32>, Vec<u32>, bool);

/// §6 by brute force: visits in `(prn, id)` order, departments ascending, `E` =
/// distinct candidates below the cap ascending by inspector id, the first `k` by
/// `(load, ticket, inspector id)`. Returns staffing aligned with `visits` and final loads.
pub fn ref_match(
    seed: &[u8; 32],
    visits: &[Visit],
    inspectors: &[String],
    cap: Option<u32>,
    demands: &Demands,
) -> (Vec<Vec<RefStaffing>>, Vec<u32>) {
    let mut order: Vec<usize> = (0..visits.len()).collect();
    order.sort_by(|&a, &b| {
        (visits[a].prn, visits[a].subject.as_bytes())
            .cmp(&(visits[b].prn, visits[b].subject.as_bytes()))
    });
    let mut loads = vec![0u32; inspectors.len()];
    let mut out = vec![Vec::new(); visits.len()];
    for index in order {
        let visit = &visits[index];
        let mut departments = visit.departments.clone();
        departments.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for department in departments {
            let (k, candidates) = &demands[&(visit.subject.clone(), department.clone())];
            let mut eligible: Vec<u32> = candidates.clone();
            eligible.sort_by(|&a, &b| {
                inspectors[a as usize]
                    .as_bytes()
                    .cmp(inspectors[b as usize].as_bytes())
            });
            eligible.dedup();
            eligible.retain(|&i| cap.is_none_or(|cap| loads[i as usize] < cap));
            let unstaffed = eligible.len() < *k as usize;
            let mut assigned = Vec::new();
            if !unstaffed {
                let mut ranked: Vec<(u32, u64, &[u8], u32)> = eligible
                    .iter()
                    .map(|&i| {
                        let name = inspectors[i as usize].as_bytes();
                        (
                            loads[i as usize],
                            ref_ticket(seed, visit.subject.as_bytes(), name),
                            name,
                            i,
                        )
                    })
                    .collect();
                ranked.sort();
                for &(_, _, _, i) in ranked.iter().take(*k as usize) {
                    loads[i as usize] += 1;
                    assigned.push(i);
                }
            }
            out[index].push((eligible, assigned, unstaffed));
        }
    }
    (out, loads)
}

/// A seed from a counter, as a test's n-th independent draw.
pub fn seed_from_counter(counter: u64) -> RoundSeed {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&counter.to_be_bytes());
    RoundSeed::derive(&Secret::from_bytes(bytes), "beacon")
}

/// A unified social credit code-like id for subject `n`.
pub fn subject_id(n: u32) -> String {
    format!("913502{n:011}X")
}

/// A plan with rates per stratum.
pub fn plan(id: &str, department: &str, rules: &[(&str, Allocation)]) -> PlanSpec {
    PlanSpec {
        id: id.to_owned(),
        department: department.to_owned(),
        strata: rules
            .iter()
            .map(|(stratum, allocation)| StratumRule {
                stratum: (*stratum).to_owned(),
                allocation: *allocation,
            })
            .collect(),
    }
}

/// Frame rows for subjects `range`, each stratum chosen by `stratum_of`.
pub fn frame(
    range: std::ops::Range<u32>,
    stratum_of: impl Fn(u32) -> &'static str,
) -> Vec<FrameRow> {
    range
        .map(|n| FrameRow {
            id: subject_id(n).into(),
            stratum: stratum_of(n).into(),
        })
        .collect()
}

/// A demand callback from a precomputed table.
pub fn demand_from(demands: &Demands) -> impl FnMut(&Visit, &str) -> Demand + '_ {
    move |visit, department| {
        let (k, candidates) = demands[&(visit.subject.clone(), department.to_owned())].clone();
        Demand { k, candidates }
    }
}
