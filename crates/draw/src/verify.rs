//! Recomputing a record from its published inputs and listing every deviation.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::hash::{RoundSeed, Secret, normalize_beacon};
use crate::record::{PROTOCOL, Record, RecordStaffing, RecordVisit};
use crate::sample::{PlanDraw, PlanSpec, draw_plan, frame_digest, round_digest};
use crate::visits::{Demand, MIN_INSPECTORS_PER_DEPARTMENT, group_visits, match_inspectors};

/// One way in which a record differs from what the protocol gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deviation {
    /// Where: a field path such as `plans[P1].selected`.
    pub location: String,
    /// What differs, in plain English.
    pub message: String,
}

impl std::fmt::Display for Deviation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

#[derive(Default)]
struct Findings(Vec<Deviation>);

impl Findings {
    fn add(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.0.push(Deviation {
            location: location.into(),
            message: message.into(),
        });
    }
}

/// Recomputes everything in `record` and returns every deviation found; empty means it conforms.
pub fn verify(record: &Record) -> Vec<Deviation> {
    let mut findings = Findings::default();
    if record.protocol != PROTOCOL {
        findings.add(
            "protocol",
            format!("is {:?}, expected {PROTOCOL:?}", record.protocol),
        );
    }
    check_seed(record, &mut findings);
    let seed = RoundSeed::from_bytes(record.round_seed.0);

    let mut seen_plans = BTreeSet::new();
    let mut digests = Vec::with_capacity(record.plans.len());
    let mut drawn: Vec<(PlanSpec, PlanDraw)> = Vec::new();
    for plan in &record.plans {
        let at = format!("plans[{}]", plan.id);
        if !seen_plans.insert(plan.id.as_str()) {
            findings.add(&at, "plan id used more than once");
        }
        let digest = frame_digest(&plan.frame);
        if digest != plan.frame_digest.0 {
            findings.add(
                format!("{at}.frame_digest"),
                format!(
                    "recorded {}, computed {}",
                    plan.frame_digest,
                    crate::hash::to_hex(&digest)
                ),
            );
        }
        digests.push((plan.id.as_str(), digest));
        let spec = match plan.spec() {
            Ok(spec) => spec,
            Err(error) => {
                findings.add(format!("{at}.strata"), error.to_string());
                continue;
            }
        };
        match draw_plan(&seed, &spec, &plan.frame) {
            Ok(draw) => {
                check_selection(&at, plan, &draw, &mut findings);
                drawn.push((spec, draw));
            }
            Err(error) => findings.add(format!("{at}.frame"), error.to_string()),
        }
    }
    let computed_round = round_digest(digests.iter().map(|(id, digest)| (*id, digest)));
    if computed_round != record.round_digest.0 {
        findings.add(
            "round_digest",
            format!(
                "recorded {}, computed {}",
                record.round_digest,
                crate::hash::to_hex(&computed_round)
            ),
        );
    }

    let pairs: Vec<_> = drawn.iter().map(|(spec, draw)| (spec, draw)).collect();
    check_visits(record, &seed, &pairs, &mut findings);
    findings.0
}

fn check_seed(record: &Record, findings: &mut Findings) {
    let Some(secret) = record.secret else {
        findings.add(
            "secret",
            "not published, so the seed cannot be checked against the commitment",
        );
        return;
    };
    let secret = Secret::from_bytes(secret.0);
    if secret.commitment() != record.commitment.0 {
        findings.add(
            "commitment",
            "does not match H(\"jianguan-draw/v1/commit\" ‖ 0x00 ‖ secret)",
        );
    }
    let seed = RoundSeed::derive_from_recorded(&secret, &record.beacon);
    if normalize_beacon(&record.beacon) != record.beacon {
        findings.add(
            "beacon",
            "has leading or trailing white space; a beacon is recorded trimmed",
        );
    }
    if seed.as_bytes() != &record.round_seed.0 {
        findings.add(
            "round_seed",
            format!(
                "recorded {}, computed {} from the secret and the beacon",
                record.round_seed,
                crate::hash::to_hex(seed.as_bytes())
            ),
        );
    }
}

fn check_selection(
    at: &str,
    plan: &crate::record::RecordPlan,
    draw: &PlanDraw,
    findings: &mut Findings,
) {
    let mut recorded: HashMap<&str, (&str, u64)> = HashMap::new();
    for selection in &plan.selected {
        if recorded
            .insert(&selection.id, (&selection.stratum, selection.prn.0))
            .is_some()
        {
            findings.add(
                format!("{at}.selected"),
                format!("{} is listed more than once", selection.id),
            );
        }
    }
    for expected in &draw.selected {
        match recorded.remove(expected.id.as_str()) {
            None => findings.add(
                format!("{at}.selected"),
                format!(
                    "{} (stratum {}, prn {:016x}) should be selected but is missing",
                    expected.id, expected.stratum, expected.prn
                ),
            ),
            Some((stratum, prn)) => {
                if stratum != expected.stratum {
                    findings.add(
                        format!("{at}.selected"),
                        format!(
                            "{} is in stratum {}, recorded as {stratum}",
                            expected.id, expected.stratum
                        ),
                    );
                }
                if prn != expected.prn {
                    findings.add(
                        format!("{at}.selected"),
                        format!(
                            "{} has prn {:016x}, recorded as {prn:016x}",
                            expected.id, expected.prn
                        ),
                    );
                }
            }
        }
    }
    let mut extra: Vec<&str> = recorded.into_keys().collect();
    extra.sort_unstable();
    for id in extra {
        findings.add(
            format!("{at}.selected"),
            format!("{id} is listed as selected but the protocol does not select it"),
        );
    }
    let computed: BTreeMap<&str, u64> = draw
        .strata
        .iter()
        .filter_map(|outcome| {
            outcome
                .cutoff
                .map(|cutoff| (outcome.stratum.as_str(), cutoff))
        })
        .collect();
    let labels: BTreeSet<&str> = computed
        .keys()
        .copied()
        .chain(plan.cutoffs.keys().map(String::as_str))
        .collect();
    for label in labels {
        let recorded = plan.cutoffs.get(label).map(|hex| hex.0);
        let expected = computed.get(label).copied();
        if recorded != expected {
            let show = |value: Option<u64>| {
                value.map_or_else(|| "absent".to_owned(), |v| format!("{v:016x}"))
            };
            findings.add(
                format!("{at}.cutoffs[{label}]"),
                format!("recorded {}, computed {}", show(recorded), show(expected)),
            );
        }
    }
}

fn check_visits(
    record: &Record,
    seed: &RoundSeed,
    plans: &[(&PlanSpec, &PlanDraw)],
    findings: &mut Findings,
) {
    let expected = group_visits(plans);
    let mut recorded: HashMap<&str, &RecordVisit> = HashMap::new();
    for visit in &record.visits {
        if recorded.insert(&visit.subject, visit).is_some() {
            findings.add(
                format!("visits[{}]", visit.subject),
                "subject has more than one visit",
            );
        }
    }
    let mut inspectors: Vec<String> = Vec::new();
    let mut inspector_index: HashMap<&str, u32> = HashMap::new();
    for staffing in record.visits.iter().flat_map(|visit| &visit.departments) {
        for id in staffing.eligible.iter().chain(&staffing.assigned) {
            inspector_index.entry(id).or_insert_with(|| {
                inspectors.push(id.to_string());
                u32::try_from(inspectors.len() - 1).unwrap_or(u32::MAX)
            });
        }
    }
    let staffing_of = |subject: &str, department: &str| -> Option<&RecordStaffing> {
        recorded
            .get(subject)?
            .departments
            .iter()
            .find(|staffing| staffing.department == department)
    };

    for visit in &expected {
        let at = format!("visits[{}]", visit.subject);
        let Some(written) = recorded.get(visit.subject.as_str()) else {
            findings.add(at, format!("missing: drawn by {}", visit.plans.join(", ")));
            continue;
        };
        if sorted(&written.plans) != visit.plans {
            findings.add(
                format!("{at}.plans"),
                format!(
                    "recorded [{}], computed [{}]",
                    written.plans.join(", "),
                    visit.plans.join(", ")
                ),
            );
        }
        for staffing in &written.departments {
            if !visit.departments.contains(&staffing.department) {
                findings.add(
                    format!("{at}.departments"),
                    format!(
                        "{} is not a department of the plans that drew this subject",
                        staffing.department
                    ),
                );
            }
        }
        for department in &visit.departments {
            match staffing_of(&visit.subject, department) {
                None => findings.add(
                    format!("{at}.departments"),
                    format!("{department} is missing"),
                ),
                Some(staffing) if staffing.k < MIN_INSPECTORS_PER_DEPARTMENT => findings.add(
                    format!("{at}.departments[{department}].k"),
                    format!(
                        "is {}, below the minimum of {MIN_INSPECTORS_PER_DEPARTMENT}",
                        staffing.k
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    let expected_subjects: BTreeSet<&str> = expected
        .iter()
        .map(|visit| visit.subject.as_str())
        .collect();
    for visit in &record.visits {
        if !expected_subjects.contains(visit.subject.as_str()) {
            findings.add(
                format!("visits[{}]", visit.subject),
                "no plan of the round selects this subject",
            );
        }
    }

    let demand = |visit: &crate::visits::Visit, department: &str| match staffing_of(
        &visit.subject,
        department,
    ) {
        Some(staffing) => Demand {
            k: staffing.k.max(MIN_INSPECTORS_PER_DEPARTMENT),
            candidates: staffing
                .eligible
                .iter()
                .filter_map(|id| inspector_index.get(&**id).copied())
                .collect(),
        },
        None => Demand {
            k: MIN_INSPECTORS_PER_DEPARTMENT,
            candidates: Vec::new(),
        },
    };
    let matched = match match_inspectors(seed, &expected, &inspectors, record.cap, demand) {
        Ok(matched) => matched,
        Err(error) => {
            findings.add("visits", error.to_string());
            return;
        }
    };
    let names = |indexes: &[u32]| -> BTreeSet<&str> {
        indexes
            .iter()
            .map(|&i| inspectors[i as usize].as_str())
            .collect()
    };
    for (visit, staffs) in expected.iter().zip(&matched) {
        for staff in staffs {
            let Some(written) = staffing_of(&visit.subject, &staff.department) else {
                continue;
            };
            let at = format!(
                "visits[{}].departments[{}]",
                visit.subject, staff.department
            );
            let written_eligible: BTreeSet<&str> =
                written.eligible.iter().map(|id| &**id).collect();
            if written_eligible.len() != written.eligible.len() {
                findings.add(
                    format!("{at}.eligible"),
                    "lists an inspector more than once",
                );
            }
            let below_cap = names(&staff.eligible);
            for id in written_eligible.difference(&below_cap) {
                findings.add(
                    format!("{at}.eligible"),
                    format!(
                        "{id} is listed but had already reached the cap of {}",
                        record.cap.unwrap_or(0)
                    ),
                );
            }
            if written.unstaffed != staff.unstaffed {
                findings.add(
                    format!("{at}.unstaffed"),
                    format!(
                        "recorded {}, computed {}",
                        written.unstaffed, staff.unstaffed
                    ),
                );
            }
            let computed = names(&staff.assigned);
            let written_assigned: BTreeSet<&str> =
                written.assigned.iter().map(|id| &**id).collect();
            if computed != written_assigned || written_assigned.len() != written.assigned.len() {
                let show =
                    |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
                findings.add(
                    format!("{at}.assigned"),
                    format!(
                        "recorded [{}], computed [{}]",
                        written.assigned.join(", "),
                        show(&computed)
                    ),
                );
            }
        }
    }
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut items = items.to_vec();
    items.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    items
}
