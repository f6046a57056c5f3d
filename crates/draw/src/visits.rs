//! Grouping selections into visits and matching inspectors to them (spec §6).

use std::collections::HashMap;

use crate::Error;
use crate::hash::RoundSeed;
use crate::sample::{PlanDraw, PlanSpec};

/// The least number of inspectors a department sends on a visit (持证上岗).
pub const MIN_INSPECTORS_PER_DEPARTMENT: u32 = 2;

/// One visit: a subject drawn by one or more plans of the round, visited once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    /// The subject's id.
    pub subject: String,
    /// Its `prn`, which orders matching.
    pub prn: u64,
    /// The plans that drew it, ascending by id.
    pub plans: Vec<String>,
    /// The departments of those plans, ascending by code, each once.
    pub departments: Vec<String>,
}

/// Groups selections by subject: one visit each, listed in order of first
/// appearance over the plans ascending by id.
pub fn group_visits(plans: &[(&PlanSpec, &PlanDraw)]) -> Vec<Visit> {
    let mut ordered: Vec<&(&PlanSpec, &PlanDraw)> = plans.iter().collect();
    ordered.sort_by(|a, b| a.0.id.as_bytes().cmp(b.0.id.as_bytes()));
    let mut visits: Vec<Visit> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (plan, draw) in ordered {
        for selection in &draw.selected {
            let slot = *index.entry(selection.id.as_str()).or_insert_with(|| {
                visits.push(Visit {
                    subject: selection.id.clone(),
                    prn: selection.prn,
                    plans: Vec::new(),
                    departments: Vec::new(),
                });
                visits.len() - 1
            });
            let visit = &mut visits[slot];
            if !visit.plans.contains(&plan.id) {
                visit.plans.push(plan.id.clone());
            }
            if !visit.departments.contains(&plan.department) {
                visit.departments.push(plan.department.clone());
            }
        }
    }
    for visit in &mut visits {
        visit.plans.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        visit
            .departments
            .sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    }
    visits
}

/// What a department must send to a visit, and who may go before the load cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    /// `k`, the number of inspectors to send (at least 2).
    pub k: u32,
    /// Indexes into the round's inspector list of those eligible by every rule
    /// except the load cap, which matching applies itself.
    pub candidates: Vec<u32>,
}

/// The staffing of one department on one visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staffing {
    /// The department code.
    pub department: String,
    /// The number it must send.
    pub k: u32,
    /// `E`: eligible inspectors (below the cap at this point), ascending by id.
    pub eligible: Vec<u32>,
    /// The `k` chosen, in order of choice; empty when unstaffed.
    pub assigned: Vec<u32>,
    /// `|E| < k`: reported, never silently dropped.
    pub unstaffed: bool,
}

/// Matches inspectors to visits (spec §6).
///
/// `inspectors` holds every inspector id of the round; `demand` gives, for a
/// visit and one of its departments, `k` and the candidate indexes. Visits are
/// processed in `(prn, id)` order; the result is aligned with `visits`.
pub fn match_inspectors<F>(
    seed: &RoundSeed,
    visits: &[Visit],
    inspectors: &[String],
    cap: Option<u32>,
    mut demand: F,
) -> Result<Vec<Vec<Staffing>>, Error>
where
    F: FnMut(&Visit, &str) -> Demand,
{
    let mut order: Vec<usize> = (0..visits.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        (visits[a].prn, visits[a].subject.as_bytes())
            .cmp(&(visits[b].prn, visits[b].subject.as_bytes()))
    });
    // Each inspector's position in id order, so sorting and ties compare integers.
    let mut by_id: Vec<u32> = (0..u32::try_from(inspectors.len()).unwrap_or(u32::MAX)).collect();
    by_id.sort_unstable_by(|&a, &b| {
        inspectors[a as usize]
            .as_bytes()
            .cmp(inspectors[b as usize].as_bytes())
    });
    let mut rank = vec![0u32; inspectors.len()];
    for (position, &inspector) in by_id.iter().enumerate() {
        rank[inspector as usize] = u32::try_from(position).unwrap_or(u32::MAX);
    }
    let mut loads = vec![0u32; inspectors.len()];
    let mut staffing: Vec<Vec<Staffing>> = vec![Vec::new(); visits.len()];
    for visit_index in order {
        let visit = &visits[visit_index];
        let mut tickets = seed.ticket_hasher(visit.subject.as_bytes());
        for department in &visit.departments {
            let Demand { k, mut candidates } = demand(visit, department);
            if k < MIN_INSPECTORS_PER_DEPARTMENT {
                return Err(Error::TooFewInspectorsRequired {
                    department: department.clone(),
                    k,
                });
            }
            if let Some(bad) = candidates.iter().find(|&&c| c as usize >= inspectors.len()) {
                return Err(Error::UnknownInspector { index: *bad });
            }
            candidates.retain(|&c| cap.is_none_or(|cap| loads[c as usize] < cap));
            candidates.sort_unstable_by_key(|&c| rank[c as usize]);
            candidates.dedup();
            let unstaffed = candidates.len() < k as usize;
            let assigned = if unstaffed {
                Vec::new()
            } else {
                least_loaded(
                    &candidates,
                    k as usize,
                    &loads,
                    inspectors,
                    &rank,
                    &mut tickets,
                )
            };
            for &chosen in &assigned {
                loads[chosen as usize] += 1;
            }
            staffing[visit_index].push(Staffing {
                department: department.clone(),
                k,
                eligible: candidates,
                assigned,
                unstaffed,
            });
        }
    }
    Ok(staffing)
}

/// The first `k` of `eligible` by `(load, ticket, id)`, in that order.
///
/// Tickets are computed only for the load levels that decide the choice, which
/// gives the same result as ranking everyone.
fn least_loaded(
    eligible: &[u32],
    k: usize,
    loads: &[u32],
    inspectors: &[String],
    rank: &[u32],
    tickets: &mut crate::hash::TicketHasher,
) -> Vec<u32> {
    let mut chosen = Vec::with_capacity(k);
    let mut floor = 0u32;
    let mut level: Vec<(u64, u32)> = Vec::new();
    while chosen.len() < k {
        let Some(load) = eligible
            .iter()
            .map(|&c| loads[c as usize])
            .filter(|&l| l >= floor)
            .min()
        else {
            break;
        };
        level.clear();
        for &candidate in eligible.iter().filter(|&&c| loads[c as usize] == load) {
            level.push((
                tickets.ticket(inspectors[candidate as usize].as_bytes()),
                candidate,
            ));
        }
        let order = |a: &(u64, u32), b: &(u64, u32)| {
            (a.0, rank[a.1 as usize]).cmp(&(b.0, rank[b.1 as usize]))
        };
        let wanted = k - chosen.len();
        if wanted < level.len() {
            level.select_nth_unstable_by(wanted - 1, order);
            level.truncate(wanted);
        }
        level.sort_unstable_by(order);
        chosen.extend(level.iter().map(|&(_, candidate)| candidate));
        match load.checked_add(1) {
            Some(next) => floor = next,
            None => break,
        }
    }
    chosen
}
