//! The draw record of spec §7, and drawing a whole round into one.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;
use crate::hash::{
    Digest, RoundSeed, Secret, normalize_beacon, parse_hex32, parse_u64_hex, to_hex, u64_hex,
};
use crate::sample::{Allocation, FrameRow, PlanSpec, StratumRule, draw_plan, round_digest};
use crate::visits::{Demand, group_visits, match_inspectors};

/// The protocol name every record carries.
pub const PROTOCOL: &str = "jianguan-draw/v1";

/// 32 bytes written as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hex32(pub Digest);

/// A `prn` or cut-off written as 16 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hex64(pub u64);

impl std::fmt::Debug for Hex32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}

impl std::fmt::Display for Hex32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}

impl std::fmt::Debug for Hex64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&u64_hex(self.0))
    }
}

impl std::fmt::Display for Hex64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&u64_hex(self.0))
    }
}

impl Serialize for Hex32 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Hex32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_hex32(&text).map(Self).ok_or_else(|| {
            serde::de::Error::custom(format!("expected 64 hex digits, got {text:?}"))
        })
    }
}

impl Serialize for Hex64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&u64_hex(self.0))
    }
}

impl<'de> Deserialize<'de> for Hex64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_u64_hex(&text).map(Self).ok_or_else(|| {
            serde::de::Error::custom(format!("expected 16 hex digits, got {text:?}"))
        })
    }
}

/// An inspector id in a record; shared, since one inspector is listed on many visits.
pub type InspectorId = std::sync::Arc<str>;

/// A round's complete, publishable record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Always [`PROTOCOL`].
    pub protocol: String,
    /// `H("jianguan-draw/v1/commit" ‖ 0x00 ‖ secret)`, published before the draw.
    pub commitment: Hex32,
    /// The secret, published after the draw; absent before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Hex32>,
    /// The beacon as recorded, trimmed.
    pub beacon: String,
    /// The round seed.
    pub round_seed: Hex32,
    /// Digest over the plans' frame digests.
    pub round_digest: Hex32,
    /// The plans of the round.
    pub plans: Vec<RecordPlan>,
    /// The most visits one inspector may get in this round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// One visit per drawn subject.
    pub visits: Vec<RecordVisit>,
}

/// A plan in the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPlan {
    /// Plan id.
    pub id: String,
    /// Department code.
    pub department: String,
    /// Rates or counts per stratum.
    pub strata: Vec<RecordStratum>,
    /// The frozen frame.
    pub frame: Vec<FrameRow>,
    /// SHA-256 of the sorted frame lines.
    pub frame_digest: Hex32,
    /// The selected subjects.
    pub selected: Vec<RecordSelection>,
    /// The `prn` of the last selected subject per stratum.
    pub cutoffs: BTreeMap<String, Hex64>,
}

/// A stratum rule as written: exactly one of `rate_bp` and `count`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordStratum {
    /// Stratum label.
    pub stratum: String,
    /// Rate in basis points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bp: Option<u64>,
    /// Fixed count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl RecordStratum {
    /// The rule as written for `allocation`.
    pub fn from_rule(rule: &StratumRule) -> Self {
        let (rate_bp, count) = match rule.allocation {
            Allocation::RateBp(rate) => (Some(u64::from(rate)), None),
            Allocation::Count(count) => (None, Some(count)),
        };
        Self {
            stratum: rule.stratum.clone(),
            rate_bp,
            count,
        }
    }

    /// Checks the rule: exactly one of rate and count, the rate in 0..=10000.
    pub fn to_rule(&self) -> Result<StratumRule, Error> {
        let allocation = match (self.rate_bp, self.count) {
            (Some(rate), None) => Allocation::rate_bp(u32::try_from(rate).unwrap_or(u32::MAX))
                .map_err(|_| Error::RateOutOfRange {
                    rate_bp: u32::try_from(rate).unwrap_or(u32::MAX),
                })?,
            (None, Some(count)) => Allocation::Count(count),
            _ => {
                return Err(Error::AmbiguousAllocation {
                    stratum: self.stratum.clone(),
                });
            }
        };
        Ok(StratumRule {
            stratum: self.stratum.clone(),
            allocation,
        })
    }
}

/// A selected subject as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSelection {
    /// Subject id.
    pub id: String,
    /// Its stratum.
    pub stratum: String,
    /// Its `prn`.
    pub prn: Hex64,
}

/// A visit as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordVisit {
    /// The subject visited.
    pub subject: String,
    /// The plans that drew it.
    pub plans: Vec<String>,
    /// Staffing per department, ascending by code.
    pub departments: Vec<RecordStaffing>,
}

/// One department's staffing of a visit as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordStaffing {
    /// Department code.
    pub department: String,
    /// Inspectors required.
    pub k: u32,
    /// `E`, ascending by id.
    pub eligible: Vec<InspectorId>,
    /// Those chosen.
    pub assigned: Vec<InspectorId>,
    /// Whether `|E| < k`.
    pub unstaffed: bool,
}

impl RecordPlan {
    /// The plan's id, department and checked rules.
    pub fn spec(&self) -> Result<PlanSpec, Error> {
        let strata = self
            .strata
            .iter()
            .map(RecordStratum::to_rule)
            .collect::<Result<Vec<_>, _>>()?;
        let spec = PlanSpec {
            id: self.id.clone(),
            department: self.department.clone(),
            strata,
        };
        spec.validate()?;
        Ok(spec)
    }
}

/// Everything a round's draw needs.
#[derive(Clone, Debug)]
pub struct RoundInput {
    /// The sealed secret.
    pub secret: Secret,
    /// The witnesses' beacon, trimmed when recorded.
    pub beacon: String,
    /// Load cap per inspector, if any.
    pub cap: Option<u32>,
    /// Each plan with its frozen frame.
    pub plans: Vec<(PlanSpec, Vec<FrameRow>)>,
    /// Every inspector id that demands may name, by index.
    pub inspectors: Vec<String>,
}

/// Draws each plan of a round, spreading the plans over the available cores; the result does not depend on how.
pub fn draw_plans(
    seed: &RoundSeed,
    plans: &[(PlanSpec, Vec<FrameRow>)],
) -> Result<Vec<crate::PlanDraw>, Error> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(plans.len())
        .max(1);
    if workers == 1 {
        return plans
            .iter()
            .map(|(plan, frame)| draw_plan(seed, plan, frame))
            .collect();
    }
    let chunk = plans.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(plan, frame)| draw_plan(seed, plan, frame))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut draws = Vec::with_capacity(plans.len());
        for handle in handles {
            match handle.join() {
                Ok(part) => draws.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        draws.into_iter().collect()
    })
}

/// Draws a whole round and writes its record (spec §1–§7).
///
/// `demand` gives `k` and the candidates for a visit and one of its departments.
/// The input is consumed: its frames move into the record rather than being copied.
pub fn draw_round<F>(input: RoundInput, demand: F) -> Result<Record, Error>
where
    F: FnMut(&crate::visits::Visit, &str) -> Demand,
{
    let seed = RoundSeed::derive(&input.secret, &input.beacon);
    let mut plan_ids: Vec<&str> = Vec::with_capacity(input.plans.len());
    for (plan, _) in &input.plans {
        if plan_ids.contains(&plan.id.as_str()) {
            return Err(Error::DuplicatePlanId {
                plan: plan.id.clone(),
            });
        }
        plan_ids.push(&plan.id);
    }
    let mut distinct = std::collections::HashSet::with_capacity(input.inspectors.len());
    if let Some(twice) = input
        .inspectors
        .iter()
        .find(|id| !distinct.insert(id.as_str()))
    {
        return Err(Error::DuplicateInspector {
            inspector: twice.clone(),
        });
    }
    let draws = draw_plans(&seed, &input.plans)?;
    let pairs: Vec<_> = input
        .plans
        .iter()
        .map(|(plan, _)| plan)
        .zip(draws.iter())
        .collect();
    let visits = group_visits(&pairs);
    let staffing = match_inspectors(&seed, &visits, &input.inspectors, input.cap, demand)?;
    let shared: Vec<InspectorId> = input
        .inspectors
        .iter()
        .map(|id| InspectorId::from(id.as_str()))
        .collect();
    let names = |indexes: &[u32]| -> Vec<InspectorId> {
        indexes
            .iter()
            .map(|&i| shared[i as usize].clone())
            .collect()
    };
    let record_visits = visits
        .iter()
        .zip(staffing)
        .map(|(visit, staffs)| RecordVisit {
            subject: visit.subject.clone(),
            plans: visit.plans.clone(),
            departments: staffs
                .into_iter()
                .map(|staff| RecordStaffing {
                    eligible: names(&staff.eligible),
                    assigned: names(&staff.assigned),
                    department: staff.department,
                    k: staff.k,
                    unstaffed: staff.unstaffed,
                })
                .collect(),
        })
        .collect();
    let round_digest = round_digest(
        pairs
            .iter()
            .map(|(plan, draw)| (plan.id.as_str(), &draw.frame_digest)),
    );
    drop(pairs);
    let plans = input
        .plans
        .into_iter()
        .zip(draws)
        .map(|((plan, frame), draw)| RecordPlan {
            strata: plan.strata.iter().map(RecordStratum::from_rule).collect(),
            id: plan.id,
            department: plan.department,
            frame,
            frame_digest: Hex32(draw.frame_digest),
            selected: draw
                .selected
                .iter()
                .map(|s| RecordSelection {
                    id: s.id.clone(),
                    stratum: s.stratum.clone(),
                    prn: Hex64(s.prn),
                })
                .collect(),
            cutoffs: draw
                .strata
                .iter()
                .filter_map(|outcome| {
                    outcome
                        .cutoff
                        .map(|cutoff| (outcome.stratum.clone(), Hex64(cutoff)))
                })
                .collect(),
        })
        .collect();
    Ok(Record {
        protocol: PROTOCOL.to_owned(),
        commitment: Hex32(input.secret.commitment()),
        secret: Some(Hex32(*input.secret.as_bytes())),
        beacon: normalize_beacon(&input.beacon).to_owned(),
        round_seed: Hex32(*seed.as_bytes()),
        round_digest: Hex32(round_digest),
        plans,
        cap: input.cap,
        visits: record_visits,
    })
}
