//! What the public portal (`public`) and the public API (`api/public.rs`)
//! share: the cache of published values ([`cache::Cache`], rebuilt when the
//! ledger moves), the entity check, the credit search, and the read
//! operations over them. Only published values; no HTML.

pub mod cache;
pub mod check;
pub mod credit;

pub use cache::Cache;
use cache::{PublicPlan, PublicRound, RoundIndex};
use check::EntityCheck;

use crate::AppState;
use crate::error::{Error, Result};
use domain::inspection::Round;
use storage::{Store, WorkflowStore};

/// Results per page of the search.
pub const RESULTS_PER_PAGE: usize = 20;

/// A published plan, or 404.
pub fn published_plan(snapshot: &cache::Snapshot, id: &str) -> Result<PublicPlan> {
    snapshot
        .plan(id)
        .cloned()
        .ok_or_else(|| Error::NotFound(format!("没有已公示的抽查计划 {id}")))
}

/// One plan entry of a round, summarised as its public view gives it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntrySummary {
    /// Entry id.
    pub entry: String,
    /// Plan id.
    pub plan: String,
    /// Whether the plan is published (linkable).
    pub plan_published: bool,
    /// Department code.
    pub department: String,
    /// Department name.
    pub department_name: String,
    /// Frame size.
    pub frame_size: u64,
    /// Per stratum of the frame: the published rule, `N_h` and `n_h` (no cut-off).
    pub strata: Vec<StratumSummary>,
    /// Selected.
    pub selected: usize,
}

/// One stratum of a plan entry, in aggregate: no entity is linked to it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StratumSummary {
    /// Stratum label as the plan publishes it.
    pub stratum: String,
    /// `N_h`.
    pub population: u64,
    /// Rule in words: a rate, a count, or none.
    pub rule: String,
    /// `n_h`.
    pub sample: u64,
}

/// The plan entries of a round, summarised.
pub fn entry_summaries(index: &RoundIndex, snapshot: &cache::Snapshot) -> Vec<EntrySummary> {
    index
        .entries
        .iter()
        .map(|entry| EntrySummary {
            entry: entry.entry.clone(),
            plan: entry.plan.clone(),
            plan_published: snapshot.plan(&entry.plan).is_some(),
            department: entry.department.clone(),
            department_name: snapshot.department_name(&entry.department),
            frame_size: index.frame_size(&entry.plan),
            strata: index
                .public_strata(entry)
                .into_iter()
                .map(|stratum| StratumSummary {
                    rule: match (stratum.rate_bp, stratum.count) {
                        (None, None) => "不抽取".to_owned(),
                        (rate, count) => cache::rule_amount(rate, count),
                    },
                    stratum: stratum.stratum,
                    population: stratum.population,
                    sample: stratum.sample,
                })
                .collect(),
            selected: entry.selected.len(),
        })
        .collect()
}

/// A plan of a committed round before publication: what was fixed with the commitment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommittedPlan {
    /// Plan id.
    pub plan: String,
    /// The version drawn.
    pub version: u32,
    /// Whether the plan is published (linkable).
    pub plan_published: bool,
    /// Its frame digest (spec §5), fixed before the beacon existed.
    pub frame_digest: String,
    /// Its sampling rules in words, as published with the plan.
    pub sampling: Vec<String>,
}

/// The plans of a pending round, with their frame digests and parameters.
pub fn committed_plans(
    snapshot: &cache::Snapshot,
    round: &PublicRound,
    versions: &[(String, u32)],
) -> Vec<CommittedPlan> {
    versions
        .iter()
        .map(|(plan, version)| CommittedPlan {
            plan: plan.clone(),
            version: *version,
            plan_published: snapshot.plan(plan).is_some(),
            frame_digest: round.frame_digests.get(plan).cloned().unwrap_or_default(),
            sampling: snapshot
                .pending_plans
                .get(plan)
                .cloned()
                .unwrap_or_default(),
        })
        .collect()
}

/// A pending round and its plans, or 404.
pub async fn pending_round(
    state: &AppState,
    id: &str,
) -> Result<Option<(PublicRound, Vec<CommittedPlan>)>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    let Some(round) = snapshot.pending_round(id).cloned() else {
        return Ok(None);
    };
    let versions: Vec<(String, u32)> = match state.db.get::<Round>(id).await? {
        Some(stored) => stored.plans.into_iter().collect(),
        None => Vec::new(),
    };
    let plans = committed_plans(&snapshot, &round, &versions);
    Ok(Some((round, plans)))
}

/// The name of an entity in the directory.
pub async fn entity_name(state: &AppState, uscc: &str) -> Result<Option<String>> {
    let Ok((code, _)) = domain::Uscc::parse_lenient(uscc) else {
        return Ok(None);
    };
    state.public.entity_name(&state.db, &code).await
}

/// A published round's public view (`spec/draw-v1-public-view.md`) as
/// `jianguan rounds export --public` writes it: the only record the portal serves.
pub async fn public_view_bytes(state: &AppState, id: &str) -> Result<Vec<u8>> {
    let (_, round) = state.public.published_round(&state.db, id).await?;
    let _turn = state.public.export_permit().await?;
    let record = service::rounds::export(&state.db, &round.id).await?;
    tokio::task::spawn_blocking(move || {
        let (view, _) = service::rounds::public_view(&record)?;
        serde_json::to_vec(&view).map_err(Error::internal)
    })
    .await
    .map_err(Error::internal)?
}

/// The verification of one entity in a published round.
pub async fn entity_check(state: &AppState, round: &str, code: &str) -> Result<EntityCheck> {
    let (snapshot, round) = state.public.published_round(&state.db, round).await?;
    let code = check::parse_code(code)?;
    let index = state.public.round_index(&state.db, &round).await?;
    let verdict = state.public.verdict(&state.db, &round.id).await?;
    let name = entity_name(state, code.as_str()).await?;
    Ok(check::check(
        &index,
        &code,
        name,
        verdict,
        |d| snapshot.department_name(d),
        service::now().date_naive(),
    ))
}

/// An entity found by name for the verification page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NamedEntity {
    /// 统一社会信用代码.
    pub entity: String,
    /// Name.
    pub name: String,
    /// Address, if known.
    pub address: String,
    /// District name.
    pub district: String,
}

/// Entities scanned at most for a name look-up.
const NAME_SCAN: u32 = 2_000;
/// Entities offered at most for a name look-up.
pub const NAME_CHOICES: usize = 20;

/// The entities whose name contains `text` and that were in a frame of the
/// published round `round` (at most [`NAME_CHOICES`]): a name look-up never
/// reveals anything about an entity outside the published frames.
pub async fn entities_named(state: &AppState, round: &str, text: &str) -> Result<Vec<NamedEntity>> {
    let (_, round) = state.public.published_round(&state.db, round).await?;
    let index = state.public.round_index(&state.db, &round).await?;
    let filter = storage::EntityFilter {
        text: Some(text.to_owned()),
        ..storage::EntityFilter::default()
    };
    let page = state
        .db
        .search_entities(&filter, &storage::PageRequest::first(NAME_SCAN))
        .await?;
    let districts: std::collections::HashMap<String, String> = state
        .db
        .districts()
        .await?
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect();
    Ok(page
        .items
        .into_iter()
        .map(|entity| entity.fields().clone())
        .filter(|fields| fields.name.contains(text))
        .filter(|fields| {
            index
                .entries
                .iter()
                .any(|entry| index.in_frame(&entry.plan, fields.uscc.as_str()))
        })
        .take(NAME_CHOICES)
        .map(|fields| NamedEntity {
            entity: fields.uscc.as_str().to_owned(),
            district: districts
                .get(fields.district.as_str())
                .cloned()
                .unwrap_or_else(|| fields.district.as_str().to_owned()),
            address: fields.address.unwrap_or_default(),
            name: fields.name,
        })
        .collect())
}
