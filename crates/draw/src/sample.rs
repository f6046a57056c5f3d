//! Sample sizes, selection and cut-offs (spec §3–§5), streaming over frames sorted by id.

use sha2::{Digest as _, Sha256};

use crate::Error;
use crate::hash::{Digest, RoundSeed, sha256};

/// How many subjects a stratum gives (spec §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allocation {
    /// A rate in basis points, 0..=10000 (300 = 3 %), rounded up.
    RateBp(u32),
    /// A fixed number, capped at the stratum's size.
    Count(u64),
}

/// The largest rate: 10000 basis points, 100 %.
pub const MAX_RATE_BP: u32 = 10_000;

impl Allocation {
    /// A rate, rejected outside 0..=10000.
    pub fn rate_bp(rate_bp: u32) -> Result<Self, Error> {
        if rate_bp > MAX_RATE_BP {
            return Err(Error::RateOutOfRange { rate_bp });
        }
        Ok(Self::RateBp(rate_bp))
    }

    /// `n_h` for a stratum of `population` subjects, in integers only.
    pub fn sample_size(self, population: u64) -> u64 {
        match self {
            Self::RateBp(rate) => {
                let scaled = u128::from(population) * u128::from(rate.min(MAX_RATE_BP)) + 9_999;
                u64::try_from(scaled / 10_000).unwrap_or(population)
            }
            Self::Count(count) => count.min(population),
        }
    }
}

/// One stratum's rule in a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StratumRule {
    /// The stratum label, e.g. the risk class `A`.
    pub stratum: String,
    /// Its rate or count.
    pub allocation: Allocation,
}

/// What the protocol needs of a plan: its id, department and strata rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanSpec {
    /// The plan id, unique in the round.
    pub id: String,
    /// The department code that inspects for this plan.
    pub department: String,
    /// The strata rules; a frame stratum without a rule gives no selections.
    pub strata: Vec<StratumRule>,
}

impl PlanSpec {
    /// Checks that no stratum has two rules.
    pub fn validate(&self) -> Result<(), Error> {
        for (index, rule) in self.strata.iter().enumerate() {
            if self.strata[..index]
                .iter()
                .any(|earlier| earlier.stratum == rule.stratum)
            {
                return Err(Error::DuplicateStratum {
                    plan: self.id.clone(),
                    stratum: rule.stratum.clone(),
                });
            }
            if let Allocation::RateBp(rate_bp) = rule.allocation {
                Allocation::rate_bp(rate_bp)?;
            }
        }
        Ok(())
    }

    fn allocation(&self, stratum: &str) -> Option<Allocation> {
        self.strata
            .iter()
            .find(|rule| rule.stratum == stratum)
            .map(|rule| rule.allocation)
    }
}

/// One row of a frame: a subject and its stratum.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct FrameRow {
    /// The subject's canonical id (spec §2). Shared, so a frame several plans
    /// use (a joint plan's entries) is copied without copying its texts.
    pub id: std::sync::Arc<str>,
    /// Its stratum label.
    pub stratum: std::sync::Arc<str>,
}

/// A selected subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The subject's id.
    pub id: String,
    /// Its stratum.
    pub stratum: String,
    /// Its `prn`.
    pub prn: u64,
}

/// The outcome of drawing one plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanDraw {
    /// SHA-256 over the frame lines sorted by id (spec §5).
    pub frame_digest: Digest,
    /// Per stratum in the plan's rule order, then strata without a rule: label,
    /// population `N_h`, sample size `n_h`, and cut-off (absent when `n_h` = 0).
    pub strata: Vec<StratumOutcome>,
    /// Selected subjects, stratum by stratum in rule order, each in `(prn, id)` order.
    pub selected: Vec<Selection>,
}

/// Population, sample size and cut-off of one stratum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StratumOutcome {
    /// The stratum label.
    pub stratum: String,
    /// `N_h`, the eligible subjects in the frame.
    pub population: u64,
    /// `n_h`, the number selected.
    pub sample_size: u64,
    /// The `prn` of the last selected subject.
    pub cutoff: Option<u64>,
    /// Whether the plan gave this stratum a rule.
    pub has_rule: bool,
}

/// Keeps the `n` smallest `(prn, id)` keys seen: memory O(n), not O(frame).
///
/// Keys below the current threshold go into a buffer of up to `2n`; when it is
/// full, the `n` smallest are kept and the threshold drops to the largest of
/// them. Most keys of a large frame are rejected by one integer comparison.
#[derive(Debug)]
pub struct SmallestKeys {
    limit: usize,
    entries: Vec<KeptKey>,
    ids: Vec<u8>,
    threshold: Option<(u64, Box<[u8]>)>,
}

#[derive(Clone, Copy, Debug)]
struct KeptKey {
    prn: u64,
    start: usize,
    end: usize,
}

impl SmallestKeys {
    /// Keeps at most `limit` keys.
    pub fn new(limit: u64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Self {
            limit,
            entries: Vec::new(),
            ids: Vec::new(),
            threshold: None,
        }
    }

    /// Offers a key; it is kept only while it is among the `limit` smallest.
    pub fn offer(&mut self, prn: u64, id: &[u8]) {
        if self.limit == 0 {
            return;
        }
        if let Some((top_prn, top_id)) = &self.threshold
            && (prn > *top_prn || (prn == *top_prn && id >= &top_id[..]))
        {
            return;
        }
        let start = self.ids.len();
        self.ids.extend_from_slice(id);
        self.entries.push(KeptKey {
            prn,
            start,
            end: self.ids.len(),
        });
        if self.entries.len() >= self.limit.saturating_mul(2).max(1024) {
            self.compact();
        }
    }

    fn compact(&mut self) {
        if self.entries.len() <= self.limit {
            return;
        }
        let ids = &self.ids;
        let key = |entry: &KeptKey| (entry.prn, &ids[entry.start..entry.end]);
        self.entries
            .select_nth_unstable_by(self.limit - 1, |a, b| key(a).cmp(&key(b)));
        self.entries.truncate(self.limit);
        let mut compacted = Vec::with_capacity(self.ids.len() / 2 + 64);
        let mut largest: Option<KeptKey> = None;
        for entry in &mut self.entries {
            let start = compacted.len();
            compacted.extend_from_slice(&self.ids[entry.start..entry.end]);
            *entry = KeptKey {
                prn: entry.prn,
                start,
                end: compacted.len(),
            };
            if largest.is_none_or(|top| {
                (entry.prn, &compacted[entry.start..entry.end])
                    > (top.prn, &compacted[top.start..top.end])
            }) {
                largest = Some(*entry);
            }
        }
        self.ids = compacted;
        self.threshold = largest.map(|top| (top.prn, self.ids[top.start..top.end].into()));
    }

    /// The kept keys in ascending order.
    pub fn into_sorted(mut self) -> Vec<(u64, Box<[u8]>)> {
        let ids = &self.ids;
        self.entries.sort_unstable_by(|a, b| {
            (a.prn, &ids[a.start..a.end]).cmp(&(b.prn, &ids[b.start..b.end]))
        });
        self.entries.truncate(self.limit);
        self.entries
            .iter()
            .map(|entry| (entry.prn, ids[entry.start..entry.end].into()))
            .collect()
    }
}

struct StratumState {
    label: String,
    allocation: Option<Allocation>,
    declared_population: u64,
    seen: u64,
    kept: SmallestKeys,
}

const FRAME_LINE_BUFFER: usize = 16 * 1024;

/// Draws one plan from a frame streamed in ascending id order.
///
/// Rates need each stratum's population before the first row, so the caller
/// declares the populations (a database counts them cheaply); `finish` checks them.
pub struct PlanSampler {
    seed: RoundSeed,
    plan_id: String,
    strata: Vec<StratumState>,
    frame_hasher: Sha256,
    /// Frame lines not yet hashed: one hasher call per few thousand rows.
    frame_lines: Vec<u8>,
    previous_id: Option<Box<[u8]>>,
    populations_declared: bool,
    plan: PlanSpec,
}

impl PlanSampler {
    /// Starts a plan. `populations` lists every stratum of the frame with its size.
    pub fn new(
        seed: &RoundSeed,
        plan: &PlanSpec,
        populations: &[(String, u64)],
    ) -> Result<Self, Error> {
        plan.validate()?;
        let mut labels: Vec<&str> = plan
            .strata
            .iter()
            .map(|rule| rule.stratum.as_str())
            .collect();
        for (label, _) in populations {
            if !labels.contains(&label.as_str()) {
                labels.push(label);
            }
        }
        let strata = labels
            .into_iter()
            .map(|label| {
                let allocation = plan.allocation(label);
                let declared_population = populations
                    .iter()
                    .filter(|(name, _)| name == label)
                    .map(|(_, count)| *count)
                    .sum::<u64>();
                let limit = allocation.map_or(0, |a| a.sample_size(declared_population));
                StratumState {
                    label: label.to_owned(),
                    allocation,
                    declared_population,
                    seen: 0,
                    kept: SmallestKeys::new(limit),
                }
            })
            .collect();
        Ok(Self {
            seed: *seed,
            plan_id: plan.id.clone(),
            strata,
            frame_hasher: Sha256::new(),
            frame_lines: Vec::with_capacity(FRAME_LINE_BUFFER + 256),
            previous_id: None,
            populations_declared: true,
            plan: plan.clone(),
        })
    }

    /// Starts a plan whose rules are all counts, so no population need be known:
    /// one pass over the frame in O(selected) memory.
    pub fn for_counts(seed: &RoundSeed, plan: &PlanSpec) -> Result<Self, Error> {
        if let Some(rule) = plan
            .strata
            .iter()
            .find(|rule| matches!(rule.allocation, Allocation::RateBp(_)))
        {
            return Err(Error::RateNeedsPopulation {
                plan: plan.id.clone(),
                stratum: rule.stratum.clone(),
            });
        }
        let mut sampler = Self::new(seed, plan, &[])?;
        sampler.populations_declared = false;
        for state in &mut sampler.strata {
            state.kept = SmallestKeys::new(match state.allocation {
                Some(Allocation::Count(count)) => count,
                _ => 0,
            });
        }
        Ok(sampler)
    }

    fn stratum_index(&mut self, stratum: &str) -> Result<usize, Error> {
        if let Some(index) = self.strata.iter().position(|state| state.label == stratum) {
            return Ok(index);
        }
        if self.populations_declared {
            return Err(Error::UndeclaredStratum {
                plan: self.plan_id.clone(),
                stratum: stratum.to_owned(),
            });
        }
        // A stratum without a rule: counted and hashed into the digest, never selected.
        self.strata.push(StratumState {
            label: stratum.to_owned(),
            allocation: self.plan.allocation(stratum),
            declared_population: 0,
            seen: 0,
            kept: SmallestKeys::new(0),
        });
        Ok(self.strata.len() - 1)
    }

    /// Adds the next frame row; ids must come in strictly ascending byte order.
    pub fn push(&mut self, id: &str, stratum: &str) -> Result<(), Error> {
        check_label(&self.plan_id, id)?;
        check_label(&self.plan_id, stratum)?;
        let id_bytes = id.as_bytes();
        if let Some(previous) = &self.previous_id {
            match id_bytes.cmp(previous) {
                std::cmp::Ordering::Greater => {}
                std::cmp::Ordering::Equal => {
                    return Err(Error::DuplicateFrameId {
                        plan: self.plan_id.clone(),
                        id: id.to_owned(),
                    });
                }
                std::cmp::Ordering::Less => {
                    return Err(Error::FrameNotSorted {
                        plan: self.plan_id.clone(),
                        id: id.to_owned(),
                    });
                }
            }
        }
        let index = self.stratum_index(stratum)?;
        let declared = self.populations_declared;
        let state = &mut self.strata[index];
        state.seen += 1;
        if declared && state.seen > state.declared_population {
            return Err(population_mismatch(&self.plan_id, state));
        }
        self.frame_lines.extend_from_slice(id_bytes);
        self.frame_lines.push(b'\t');
        self.frame_lines.extend_from_slice(stratum.as_bytes());
        self.frame_lines.push(b'\n');
        if self.frame_lines.len() >= FRAME_LINE_BUFFER {
            self.frame_hasher.update(&self.frame_lines);
            self.frame_lines.clear();
        }
        if state.kept.limit > 0 {
            state.kept.offer(self.seed.prn(id_bytes), id_bytes);
        }
        match &mut self.previous_id {
            Some(previous) if previous.len() == id_bytes.len() => {
                previous.copy_from_slice(id_bytes)
            }
            slot => *slot = Some(id_bytes.into()),
        }
        Ok(())
    }

    /// Ends the frame and returns the plan's selections, cut-offs and frame digest.
    pub fn finish(mut self) -> Result<PlanDraw, Error> {
        self.frame_hasher.update(&self.frame_lines);
        let mut strata = Vec::with_capacity(self.strata.len());
        let mut selected = Vec::new();
        for state in self.strata {
            if self.populations_declared && state.seen != state.declared_population {
                return Err(population_mismatch(&self.plan_id, &state));
            }
            let kept = state.kept.into_sorted();
            let cutoff = kept.last().map(|(prn, _)| *prn);
            strata.push(StratumOutcome {
                stratum: state.label.clone(),
                population: state.seen,
                sample_size: kept.len() as u64,
                cutoff,
                has_rule: state.allocation.is_some(),
            });
            for (prn, id) in kept {
                // Ids were checked to be UTF-8 strings on the way in.
                let id = String::from_utf8_lossy(&id).into_owned();
                selected.push(Selection {
                    id,
                    stratum: state.label.clone(),
                    prn,
                });
            }
        }
        Ok(PlanDraw {
            frame_digest: self.frame_hasher.finalize().into(),
            strata,
            selected,
        })
    }
}

fn population_mismatch(plan: &str, state: &StratumState) -> Error {
    Error::PopulationMismatch {
        plan: plan.to_owned(),
        stratum: state.label.clone(),
        declared: state.declared_population,
        seen: state.seen,
    }
}

/// Rejects ids and labels that would make frame lines ambiguous.
fn check_label(plan: &str, text: &str) -> Result<(), Error> {
    let bytes = text.as_bytes();
    let reason = match (bytes.first(), bytes.last()) {
        (None, _) | (_, None) => "is empty",
        _ if bytes.iter().any(|&b| b == b'\t' || b == b'\n') => "contains a tab or line break",
        (Some(&first), Some(&last)) if has_edge_space(first, last, text) => {
            "has leading or trailing white space"
        }
        _ => return Ok(()),
    };
    Err(Error::InvalidLabel {
        plan: plan.to_owned(),
        text: text.to_owned(),
        reason,
    })
}

/// Whether `text` would change under `trim`, looking at its end bytes first.
fn has_edge_space(first: u8, last: u8, text: &str) -> bool {
    if first.is_ascii() && last.is_ascii() {
        char::from(first).is_whitespace() || char::from(last).is_whitespace()
    } else {
        text.trim() != text
    }
}

/// Draws one plan from an in-memory frame in any order.
pub fn draw_plan(seed: &RoundSeed, plan: &PlanSpec, frame: &[FrameRow]) -> Result<PlanDraw, Error> {
    let mut order: Vec<&FrameRow> = frame.iter().collect();
    if !order.is_sorted_by(|a, b| a.id.as_bytes() <= b.id.as_bytes()) {
        order.sort_unstable_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
    }
    let mut populations: Vec<(String, u64)> = Vec::new();
    for row in &order {
        match populations
            .iter_mut()
            .find(|(label, _)| **label == *row.stratum)
        {
            Some((_, count)) => *count += 1,
            None => populations.push((row.stratum.to_string(), 1)),
        }
    }
    let mut sampler = PlanSampler::new(seed, plan, &populations)?;
    for row in order {
        sampler.push(&row.id, &row.stratum)?;
    }
    sampler.finish()
}

/// `H("jianguan-draw/v1/round" ‖ 0x00 ‖ d_1 ‖ d_2 ‖ …)` over frame digests in ascending plan-id order.
pub fn round_digest<'a>(plans: impl IntoIterator<Item = (&'a str, &'a Digest)>) -> Digest {
    let mut ordered: Vec<(&str, &Digest)> = plans.into_iter().collect();
    ordered.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut parts: Vec<&[u8]> = vec![b"jianguan-draw/v1/round\0"];
    parts.extend(ordered.iter().map(|(_, digest)| &digest[..]));
    sha256(&parts)
}

/// The frame digest of an in-memory frame in any order (spec §5).
pub fn frame_digest(frame: &[FrameRow]) -> Digest {
    let mut order: Vec<&FrameRow> = frame.iter().collect();
    order.sort_unstable_by(|a, b| {
        (a.id.as_bytes(), a.stratum.as_bytes()).cmp(&(b.id.as_bytes(), b.stratum.as_bytes()))
    });
    let mut hasher = Sha256::new();
    for row in order {
        hasher.update(row.id.as_bytes());
        hasher.update([b'\t']);
        hasher.update(row.stratum.as_bytes());
        hasher.update([b'\n']);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::SmallestKeys;

    /// Offers keys with many equal prns so ties are decided by id, through several compactions.
    fn check(limit: u64, offered: u64) {
        let mut kept = SmallestKeys::new(limit);
        let mut all = Vec::new();
        for i in 0..offered {
            let prn = (i * 2_654_435_761) % 997;
            let id = format!("{:08}", (i * 7919) % 100_003).into_bytes();
            kept.offer(prn, &id);
            all.push((prn, id.into_boxed_slice()));
        }
        all.sort();
        all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        assert_eq!(kept.into_sorted(), all);
    }

    #[test]
    fn keeps_exactly_the_smallest_keys_across_compactions() {
        check(1, 5_000);
        check(5, 20_000);
        check(600, 5_000);
        check(3_000, 4_000);
        check(10_000, 3_000);
    }
}
