//! The public view of a draw record (`spec/draw-v1-public-view.md`): derived
//! from the full record, it links no subject to a stratum, and anyone checks it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::hash::{RoundSeed, sha256, to_hex};
use crate::record::{Hex32, Hex64, PROTOCOL, Record, RecordPlan, RecordStratum, RecordVisit};
use crate::sample::{Allocation, PlanDraw, PlanSpec, Selection, round_digest};
use crate::verify::{Deviation, Findings, check_commitment_and_seed, check_visits};

/// The value of `view` in a public view.
pub const PUBLIC_VIEW: &str = "public";

/// What the public receives of a round (addendum §1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicView {
    /// Always [`PROTOCOL`].
    pub protocol: String,
    /// Always [`PUBLIC_VIEW`].
    pub view: String,
    /// SHA-256 of the full record's bytes as exported.
    pub full_record_sha256: Hex32,
    /// As in the full record.
    pub commitment: Hex32,
    /// As in the full record; absent only if the full record lacks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Hex32>,
    /// As in the full record.
    pub beacon: String,
    /// As in the full record.
    pub round_seed: Hex32,
    /// As in the full record.
    pub round_digest: Hex32,
    /// As in the full record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// The plans, without strata per subject.
    pub plans: Vec<PublicPlan>,
    /// Exactly as in the full record.
    pub visits: Vec<RecordVisit>,
}

/// A plan in the public view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicPlan {
    /// Plan id.
    pub id: String,
    /// Department code.
    pub department: String,
    /// As in the full record.
    pub frame_digest: Hex32,
    /// The frame's ids without strata, sorted by id bytes.
    pub frame_ids: Vec<String>,
    /// Every stratum present in the frame: its rule, population and sample size.
    pub strata: Vec<PublicStratum>,
    /// The selected ids in `(prn, id)` order, without strata.
    pub selected: Vec<PublicSelection>,
}

/// A stratum's published rule with its population `N_h` and sample size `n_h`; no cut-off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStratum {
    /// Stratum label.
    pub stratum: String,
    /// Rate in basis points, when the rule is a rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bp: Option<u64>,
    /// Fixed count, when the rule is a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// `N_h`.
    pub population: u64,
    /// `n_h`; 0 for a stratum without a rule.
    pub sample: u64,
}

/// A selected subject in the public view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSelection {
    /// Subject id.
    pub id: String,
    /// Its `prn`.
    pub prn: Hex64,
}

/// One of the checks of addendum §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PublicCheck {
    /// 1: the commitment against the secret.
    Commitment,
    /// 2: the round seed, and the round digest from the frame digests.
    SeedAndRoundDigest,
    /// 3: per plan, frame ids, populations, sample sizes, selected ids and their `prn`.
    Selection,
    /// 4: visits and inspector matching (draw-v1 §6).
    Visits,
    /// 5: the full record's hash, and the view derived from it.
    FullRecord,
}

impl PublicCheck {
    /// The number of the check in addendum §2.
    pub fn number(self) -> u8 {
        match self {
            Self::Commitment => 1,
            Self::SeedAndRoundDigest => 2,
            Self::Selection => 3,
            Self::Visits => 4,
            Self::FullRecord => 5,
        }
    }
}

impl std::fmt::Display for PublicCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self {
            Self::Commitment => "commitment matches the secret",
            Self::SeedAndRoundDigest => "round seed and round digest",
            Self::Selection => "frame ids, populations, sample sizes, selected ids and prn",
            Self::Visits => "visits and inspector matching",
            Self::FullRecord => "full record hash and derivation",
        };
        write!(f, "{}. {what}", self.number())
    }
}

/// What [`verify_public`] did: the checks it ran and every deviation found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicReport {
    /// The checks run, in order.
    pub checks: Vec<PublicCheck>,
    /// Every deviation; empty means the view conforms to the checks run.
    pub deviations: Vec<Deviation>,
}

impl PublicView {
    /// Derives the public view of `record`, whose exported bytes are `full_record_bytes`.
    pub fn derive(record: &Record, full_record_bytes: &[u8]) -> Self {
        Self {
            protocol: record.protocol.clone(),
            view: PUBLIC_VIEW.to_owned(),
            full_record_sha256: Hex32(sha256(&[full_record_bytes])),
            commitment: record.commitment,
            secret: record.secret,
            beacon: record.beacon.clone(),
            round_seed: record.round_seed,
            round_digest: record.round_digest,
            cap: record.cap,
            plans: record.plans.iter().map(public_plan).collect(),
            visits: record.visits.clone(),
        }
    }
}

fn by_bytes(a: &str, b: &str) -> std::cmp::Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

fn public_plan(plan: &RecordPlan) -> PublicPlan {
    let mut frame_ids: Vec<String> = plan.frame.iter().map(|row| row.id.to_string()).collect();
    frame_ids.sort_by(|a, b| by_bytes(a, b));
    let mut populations: BTreeMap<&[u8], (&str, u64)> = BTreeMap::new();
    for row in &plan.frame {
        populations
            .entry(row.stratum.as_bytes())
            .or_insert((&row.stratum, 0))
            .1 += 1;
    }
    let mut strata = Vec::with_capacity(populations.len());
    for rule in &plan.strata {
        if let Some((_, population)) = populations.remove(rule.stratum.as_bytes()) {
            strata.push(PublicStratum {
                stratum: rule.stratum.clone(),
                rate_bp: rule.rate_bp,
                count: rule.count,
                population,
                sample: rule_sample(rule, population),
            });
        }
    }
    strata.extend(
        populations
            .into_values()
            .map(|(stratum, population)| PublicStratum {
                stratum: stratum.to_owned(),
                rate_bp: None,
                count: None,
                population,
                sample: 0,
            }),
    );
    let mut selected: Vec<PublicSelection> = plan
        .selected
        .iter()
        .map(|s| PublicSelection {
            id: s.id.clone(),
            prn: s.prn,
        })
        .collect();
    selected.sort_by(|a, b| (a.prn, a.id.as_bytes()).cmp(&(b.prn, b.id.as_bytes())));
    PublicPlan {
        id: plan.id.clone(),
        department: plan.department.clone(),
        frame_digest: plan.frame_digest,
        frame_ids,
        strata,
        selected,
    }
}

/// `n_h` of §3 for a rule as written; a malformed rule (both or neither, or a rate above 10000) gives `None`.
fn sample_of(rule_rate: Option<u64>, rule_count: Option<u64>, population: u64) -> Option<u64> {
    match (rule_rate, rule_count) {
        (Some(rate), None) => {
            let rate = u32::try_from(rate).ok()?;
            Allocation::rate_bp(rate)
                .ok()
                .map(|allocation| allocation.sample_size(population))
        }
        (None, Some(count)) => Some(Allocation::Count(count).sample_size(population)),
        _ => None,
    }
}

fn rule_sample(rule: &RecordStratum, population: u64) -> u64 {
    sample_of(rule.rate_bp, rule.count, population).unwrap_or(0)
}

/// Checks a public view (addendum §2, checks 1–4), and check 5 when the full
/// record is given with its exact bytes. Lists every deviation, not the first.
pub fn verify_public(view: &PublicView, full: Option<(&Record, &[u8])>) -> PublicReport {
    let mut findings = Findings::default();
    let mut checks = vec![
        PublicCheck::Commitment,
        PublicCheck::SeedAndRoundDigest,
        PublicCheck::Selection,
        PublicCheck::Visits,
    ];
    if view.protocol != PROTOCOL {
        findings.add(
            "protocol",
            format!("is {:?}, expected {PROTOCOL:?}", view.protocol),
        );
    }
    if view.view != PUBLIC_VIEW {
        findings.add(
            "view",
            format!("is {:?}, expected {PUBLIC_VIEW:?}", view.view),
        );
    }
    check_commitment_and_seed(
        view.secret,
        &view.commitment,
        &view.beacon,
        &view.round_seed,
        &mut findings,
    );
    let computed_round = round_digest(
        view.plans
            .iter()
            .map(|plan| (plan.id.as_str(), &plan.frame_digest.0)),
    );
    if computed_round != view.round_digest.0 {
        findings.add(
            "round_digest",
            format!(
                "recorded {}, computed {} from the plans' frame digests",
                view.round_digest,
                to_hex(&computed_round)
            ),
        );
    }
    let seed = RoundSeed::from_bytes(view.round_seed.0);
    let mut seen_plans = BTreeSet::new();
    let mut drawn: Vec<(PlanSpec, PlanDraw)> = Vec::with_capacity(view.plans.len());
    for plan in &view.plans {
        if !seen_plans.insert(plan.id.as_str()) {
            findings.add(format!("plans[{}]", plan.id), "plan id used more than once");
        }
        drawn.push(check_public_plan(plan, &seed, &mut findings));
    }
    let pairs: Vec<_> = drawn.iter().map(|(spec, draw)| (spec, draw)).collect();
    check_visits(&view.visits, view.cap, &seed, &pairs, &mut findings);
    if let Some((record, bytes)) = full {
        checks.push(PublicCheck::FullRecord);
        check_full_record(view, record, bytes, &mut findings);
    }
    PublicReport {
        checks,
        deviations: findings.0,
    }
}

/// Check 3 for one plan; returns the plan's selections with their computed `prn` for check 4.
fn check_public_plan(
    plan: &PublicPlan,
    seed: &RoundSeed,
    findings: &mut Findings,
) -> (PlanSpec, PlanDraw) {
    let at = format!("plans[{}]", plan.id);
    if let Some(pair) = plan
        .frame_ids
        .windows(2)
        .find(|pair| by_bytes(&pair[0], &pair[1]).is_ge())
    {
        findings.add(
            format!("{at}.frame_ids"),
            format!(
                "not sorted and unique by id bytes: {} before {}",
                pair[0], pair[1]
            ),
        );
    }
    let mut population_total: u64 = 0;
    let mut sample_total: u64 = 0;
    let mut labels = BTreeSet::new();
    for stratum in &plan.strata {
        let where_ = format!("{at}.strata[{}]", stratum.stratum);
        if !labels.insert(stratum.stratum.as_str()) {
            findings.add(&where_, "stratum listed more than once");
        }
        population_total = population_total.saturating_add(stratum.population);
        sample_total = sample_total.saturating_add(stratum.sample);
        let expected = match (stratum.rate_bp, stratum.count) {
            (None, None) => Some(0),
            (rate, count) => sample_of(rate, count, stratum.population),
        };
        match expected {
            None => findings.add(
                &where_,
                "gives both rate_bp and count, or a rate above 10000",
            ),
            Some(expected) if expected != stratum.sample => findings.add(
                format!("{where_}.sample"),
                format!(
                    "is {}, but the rule and a population of {} give {expected}",
                    stratum.sample, stratum.population
                ),
            ),
            Some(_) => {}
        }
    }
    if population_total != plan.frame_ids.len() as u64 {
        findings.add(
            format!("{at}.strata"),
            format!(
                "populations sum to {population_total}, but the frame has {} ids",
                plan.frame_ids.len()
            ),
        );
    }
    if plan.selected.len() as u64 != sample_total {
        findings.add(
            format!("{at}.selected"),
            format!(
                "lists {} ids, but the strata's samples sum to {sample_total}",
                plan.selected.len()
            ),
        );
    }
    let mut selected = Vec::with_capacity(plan.selected.len());
    let mut chosen = BTreeSet::new();
    for selection in &plan.selected {
        if plan
            .frame_ids
            .binary_search_by(|id| by_bytes(id, &selection.id))
            .is_err()
            && !plan.frame_ids.contains(&selection.id)
        {
            findings.add(
                format!("{at}.selected"),
                format!("{} is not in frame_ids", selection.id),
            );
        }
        if !chosen.insert(selection.id.as_str()) {
            findings.add(
                format!("{at}.selected"),
                format!("{} is listed more than once", selection.id),
            );
        }
        let prn = seed.prn(selection.id.as_bytes());
        if prn != selection.prn.0 {
            findings.add(
                format!("{at}.selected"),
                format!(
                    "{} has prn {prn:016x}, recorded as {}",
                    selection.id, selection.prn
                ),
            );
        }
        selected.push(Selection {
            id: selection.id.clone(),
            stratum: String::new(),
            prn,
        });
    }
    if let Some(pair) = plan
        .selected
        .windows(2)
        .find(|pair| (pair[0].prn, pair[0].id.as_bytes()) > (pair[1].prn, pair[1].id.as_bytes()))
    {
        findings.add(
            format!("{at}.selected"),
            format!(
                "not in (prn, id) order: {} before {}",
                pair[0].id, pair[1].id
            ),
        );
    }
    let spec = PlanSpec {
        id: plan.id.clone(),
        department: plan.department.clone(),
        strata: Vec::new(),
    };
    (
        spec,
        PlanDraw {
            frame_digest: plan.frame_digest.0,
            strata: Vec::new(),
            selected,
        },
    )
}

/// Check 5: the hash of the full record's bytes, and the view derived from it.
fn check_full_record(view: &PublicView, record: &Record, bytes: &[u8], findings: &mut Findings) {
    let digest = sha256(&[bytes]);
    if digest != view.full_record_sha256.0 {
        findings.add(
            "full_record_sha256",
            format!(
                "recorded {}, but the full record's bytes hash to {}",
                view.full_record_sha256,
                to_hex(&digest)
            ),
        );
    }
    let derived = PublicView::derive(record, bytes);
    let differ = |field: &str| field.to_owned();
    let mut fields = Vec::new();
    if derived.protocol != view.protocol || derived.view != view.view {
        fields.push(differ("protocol"));
    }
    if derived.commitment != view.commitment {
        fields.push(differ("commitment"));
    }
    if derived.secret != view.secret {
        fields.push(differ("secret"));
    }
    if derived.beacon != view.beacon {
        fields.push(differ("beacon"));
    }
    if derived.round_seed != view.round_seed {
        fields.push(differ("round_seed"));
    }
    if derived.round_digest != view.round_digest {
        fields.push(differ("round_digest"));
    }
    if derived.cap != view.cap {
        fields.push(differ("cap"));
    }
    if derived.plans.len() != view.plans.len() {
        fields.push(differ("plans"));
    }
    for (index, (ours, theirs)) in derived.plans.iter().zip(&view.plans).enumerate() {
        let at = format!(
            "plans[{}]",
            if ours.id == theirs.id {
                ours.id.clone()
            } else {
                index.to_string()
            }
        );
        for (name, same) in [
            ("id", ours.id == theirs.id),
            ("department", ours.department == theirs.department),
            ("frame_digest", ours.frame_digest == theirs.frame_digest),
            ("frame_ids", ours.frame_ids == theirs.frame_ids),
            ("strata", ours.strata == theirs.strata),
            ("selected", ours.selected == theirs.selected),
        ] {
            if !same {
                fields.push(differ(&format!("{at}.{name}")));
            }
        }
    }
    if derived.visits != view.visits {
        fields.push(differ("visits"));
    }
    for field in fields {
        findings.add(
            field,
            "differs from the public view derived from the full record",
        );
    }
}

/// The checks [`crate::verify`] runs on a full record, for reports that say which checks ran.
pub const FULL_RECORD_CHECKS: [&str; 4] = [
    "commitment and round seed (draw-v1 §1)",
    "frame digests and round digest (§5)",
    "sample sizes, selection and cut-offs per stratum (§3–§4)",
    "visits and inspector matching (§6)",
];
