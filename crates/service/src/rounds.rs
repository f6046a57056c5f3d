//! Rounds (抽取批次): commit (freeze frames, seal the secret, publish the
//! commitment), draw (with the witnesses' beacon), publish (release the secret
//! and record), export (the spec §7 record) and explain (one entity's fate).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use super::eligibility::{self, BuiltFrame, History, PastInspection};
use super::{Refusal, Result, WorkflowError, refuse};
use domain::inspection::{EligibilityRules, OutOfPlan, Round, RoundStatus, Team, Visit, VisitItem};
use domain::inspector::Inspector;
use domain::ledger;
use domain::plan::{Plan, StratumRate};
use storage::export::{Inspectors, Recusals};
use storage::{Change, Drawn, InspectorFilter, MAX_PAGE, StoredFrame, WorkflowStore};

/// What a commit needs.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    /// Round id, e.g. `2026-Q2`.
    pub id: String,
    /// Title.
    pub title: String,
    /// First day of the window.
    pub window_start: NaiveDate,
    /// Last day.
    pub window_end: NaiveDate,
    /// Load cap per inspector.
    pub cap: Option<u32>,
    /// The plans; `None`: every drawable plan whose period overlaps the window
    /// and that no other round overlapping the window has drawn.
    pub plans: Option<Vec<String>>,
}

/// The past inspections recorded in the store: visits of drawn rounds (dated
/// by their due date) and out-of-plan inspections.
pub async fn history<S: WorkflowStore>(store: &S) -> Result<History> {
    let mut history = History::default();
    for visit in store.list::<Visit>(None).await? {
        for team in &visit.teams {
            history.add(
                &visit.entity,
                PastInspection {
                    occasion: visit.id.clone(),
                    department: team.department.clone(),
                    on: visit.due_by,
                    inspectors: team.assigned.clone(),
                },
            );
        }
    }
    for inspection in store.list::<OutOfPlan>(None).await? {
        history.add(
            &inspection.entity,
            PastInspection {
                occasion: inspection.id.clone(),
                department: inspection.department.clone(),
                on: inspection.inspected_on,
                inspectors: inspection.inspectors.clone(),
            },
        );
    }
    Ok(history)
}

fn stratum_rules(strata: &[StratumRate]) -> Vec<draw::StratumRule> {
    strata
        .iter()
        .map(|rule| draw::StratumRule {
            stratum: rule.stratum.clone(),
            allocation: match (rule.rate_bp, rule.count) {
                (Some(rate), _) => draw::Allocation::RateBp(rate),
                (None, count) => draw::Allocation::Count(count.unwrap_or(0)),
            },
        })
        .collect()
}

/// The record entries of the plans, in round order, each with its plan.
fn entries(plans: &[Plan]) -> Vec<(String, &Plan, &domain::plan::Participant)> {
    plans
        .iter()
        .flat_map(|plan| plan.entries().into_iter().map(move |(id, p)| (id, plan, p)))
        .collect()
}

/// Commits a round: chooses its plans, freezes their frames under `rules`,
/// seals `secret` and stores the commitment and round digest.
pub async fn commit<S: WorkflowStore>(
    store: &S,
    request: &CommitRequest,
    rules: &EligibilityRules,
    secret: &draw::Secret,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Round> {
    domain::plan::check_id("round", &request.id)?;
    if request.window_start > request.window_end {
        return Err(Refusal::new(
            "window_order",
            "the window ends before it starts",
            "检查期限的结束日期早于开始日期",
        )
        .on("window_end")
        .into());
    }
    if store.get::<Round>(&request.id).await?.is_some() {
        return Err(round_exists(&request.id).into());
    }
    let all_plans = store.list::<Plan>(None).await?;
    let plans: Vec<Plan> = match &request.plans {
        Some(ids) => {
            let mut chosen = Vec::new();
            for id in ids {
                let plan = all_plans.iter().find(|p| &p.id == id).ok_or_else(|| {
                    WorkflowError::NotFound {
                        what: "plan",
                        id: id.clone(),
                    }
                })?;
                if !plan.status.drawable() {
                    return Err(refuse(
                        "plan_not_drawable",
                        format!(
                            "plan {id} is {}: only filed and approved plans can be drawn",
                            plan.status
                        ),
                        format!(
                            "计划 {id} 当前为“{}”，只有已备案、已批准的计划才能抽取",
                            plan.status
                        ),
                    ));
                }
                chosen.push(plan.clone());
            }
            chosen
        }
        None => {
            let rounds = store.list::<Round>(None).await?;
            all_plans
                .into_iter()
                .filter(|p| {
                    p.status.drawable() && p.overlaps(request.window_start, request.window_end)
                })
                .filter(|p| {
                    !rounds.iter().any(|r| {
                        r.plans.contains_key(&p.id)
                            && r.window_start <= request.window_end
                            && request.window_start <= r.window_end
                    })
                })
                .collect()
        }
    };
    if plans.is_empty() {
        return Err(no_plan_in_window().into());
    }
    let candidates = store.frame_candidates().await?;
    let history = history(store).await?;
    let candidates = eligibility::CandidateIndex::new(candidates);
    let built: Vec<BuiltFrame> =
        build_frames(&plans, &candidates, &history, rules, request.window_start);
    drop_elsewhere(candidates);
    let sealed = plans
        .iter()
        .zip(built)
        .map(|(plan, frame)| SealedPlan {
            id: plan.id.clone(),
            version: plan.version,
            entries: plan.entries().into_iter().map(|(id, _)| id).collect(),
            frame,
        })
        .collect();
    seal(
        store,
        request,
        rules,
        sealed,
        secret,
        "round.committed",
        at,
        actor,
    )
    .await
}

/// A plan's frame as a round seals it.
#[derive(Debug)]
pub struct SealedPlan {
    /// The plan id (a frame is stored per plan).
    pub id: String,
    /// The plan's version committed.
    pub version: u32,
    /// The record entry ids that draw from this frame.
    pub entries: Vec<String>,
    /// The frozen frame.
    pub frame: BuiltFrame,
}

/// The 双随机 rounds: every round but the 核查 samplings' (which share the
/// rounds machinery and table, and are listed on their own page), by id.
pub async fn inspection_rounds<S: WorkflowStore>(store: &S) -> Result<Vec<Round>> {
    let samplings: std::collections::HashSet<String> = store
        .list::<domain::services::Verification>(None)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    Ok(store
        .list::<Round>(None)
        .await?
        .into_iter()
        .filter(|r| !samplings.contains(&r.id))
        .collect())
}

/// Seals built frames into a committed round: stores the frames, the secret
/// and the round with its commitment, frame and round digests, in one
/// transaction with its ledger entry (`action`). Used by [`commit`] and by
/// other samplings that build their own frames (services 核查).
#[allow(clippy::too_many_arguments)]
pub async fn seal<S: WorkflowStore>(
    store: &S,
    request: &CommitRequest,
    rules: &EligibilityRules,
    plans: Vec<SealedPlan>,
    secret: &draw::Secret,
    action: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Round> {
    let change = Change::new(at, actor, action, String::new());
    seal_with::<S, Round>(
        store,
        request,
        rules,
        plans,
        secret,
        action,
        at,
        actor,
        (&[], &change),
    )
    .await
}

/// [`seal`], writing the documents that own the round (a 核查 sampling) in
/// the same transaction.
#[allow(clippy::too_many_arguments)]
pub async fn seal_with<S: WorkflowStore, X: storage::Document>(
    store: &S,
    request: &CommitRequest,
    rules: &EligibilityRules,
    plans: Vec<SealedPlan>,
    secret: &draw::Secret,
    action: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
    owners: (&[X], &Change),
) -> Result<Round> {
    let mut frame_digests = BTreeMap::new();
    let mut exclusion_digests = BTreeMap::new();
    let mut stored = Vec::with_capacity(plans.len());
    let mut entry_digests = Vec::new();
    let mut versions = BTreeMap::new();
    let (mut rows, mut excluded) = (0, 0);
    for plan in plans {
        // The text is the sorted frame lines, so its hash is the spec §5 frame digest.
        let digest = draw::sha256(&[plan.frame.frame.as_bytes()]);
        for entry in plan.entries {
            entry_digests.push((entry, digest));
        }
        frame_digests.insert(plan.id.clone(), draw::to_hex(&digest));
        exclusion_digests.insert(
            plan.id.clone(),
            domain::ledger::digest(&plan.frame.exclusions),
        );
        versions.insert(plan.id.clone(), plan.version);
        rows += plan.frame.rows;
        excluded += plan.frame.excluded;
        stored.push(StoredFrame {
            plan: plan.id,
            frame: plan.frame.frame,
            exclusions: plan.frame.exclusions,
        });
    }
    let round_digest = draw::round_digest(entry_digests.iter().map(|(id, d)| (id.as_str(), d)));
    let round = Round {
        id: request.id.clone(),
        title: request.title.clone(),
        window_start: request.window_start,
        window_end: request.window_end,
        cap: request.cap,
        rules: rules.clone(),
        plans: versions,
        frame_digests,
        exclusion_digests,
        commitment: draw::to_hex(&secret.commitment()),
        round_digest: draw::to_hex(&round_digest),
        status: RoundStatus::Committed,
        beacon: None,
        witnesses: Vec::new(),
        round_seed: None,
        record_digest: None,
        full_record_sha256: None,
        selections: 0,
        visits: 0,
        unstaffed: 0,
        secret: None,
        committed_at: at,
        drawn_at: None,
        published_at: None,
    };
    let detail = format!(
        "{} plans, {rows} frame rows, {excluded} exclusions",
        round.plans.len()
    );
    store
        .commit_round_with(
            &round,
            &stored,
            &secret.to_hex(),
            &Change::new(at, actor, action, detail),
            owners,
        )
        .await?;
    drop_elsewhere(stored);
    Ok(round)
}

/// Builds every plan's frame, spreading the plans over the cores.
fn build_frames(
    plans: &[Plan],
    candidates: &eligibility::CandidateIndex,
    history: &History,
    rules: &EligibilityRules,
    window_start: NaiveDate,
) -> Vec<BuiltFrame> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, plans.len().max(1));
    let chunk = plans.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|plan| {
                            eligibility::build_frame(plan, candidates, history, rules, window_start)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Frees a large value on another thread: millions of small strings take
/// a noticeable time to free, and nobody needs to wait for it.
fn drop_elsewhere<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// The plans of a round at the versions committed, and their frozen frames
/// (checked against the committed digests by the caller, once drawn).
async fn committed_plans<S: WorkflowStore>(
    store: &S,
    round: &Round,
) -> Result<Vec<(Plan, Vec<draw::FrameRow>)>> {
    let mut out = Vec::with_capacity(round.plans.len());
    for (id, version) in &round.plans {
        let plan = super::existing::<S, Plan>(store, id).await?;
        if plan.version != *version {
            return Err(refuse(
                "plan_changed",
                format!(
                    "plan {id} changed after round {} was committed (version {} → {}); commit a new round",
                    round.id, version, plan.version
                ),
                format!(
                    "计划 {id} 在批次 {} 承诺后已变更（第 {} 版 → 第 {} 版），请重新建立批次",
                    round.id, version, plan.version
                ),
            ));
        }
        let stored =
            store
                .round_frame(&round.id, id)
                .await?
                .ok_or_else(|| WorkflowError::NotFound {
                    what: "frame",
                    id: format!("{}/{id}", round.id),
                })?;
        let frame =
            eligibility::parse_frame(&stored.frame).map_err(|line| frame_damaged(id, line))?;
        out.push((plan, frame));
    }
    Ok(out)
}

/// What matching knows of one inspector.
struct Corps {
    ids: Vec<String>,
    by_department: HashMap<String, Vec<u32>>,
    fields: Vec<Vec<String>>,
    certified: Vec<bool>,
}

async fn corps<S: WorkflowStore>(store: &S, start: NaiveDate, end: NaiveDate) -> Result<Corps> {
    let mut inspectors: Vec<Inspector> = Vec::new();
    let mut pages = Inspectors::new(store, InspectorFilter::default(), MAX_PAGE);
    while let Some(batch) = pages.next_batch().await? {
        inspectors.extend(batch);
    }
    inspectors.sort_by(|a, b| a.cert_no.as_str().cmp(b.cert_no.as_str()));
    let mut corps = Corps {
        ids: Vec::new(),
        by_department: HashMap::new(),
        fields: Vec::new(),
        certified: Vec::new(),
    };
    for (index, inspector) in inspectors.iter().enumerate() {
        corps.ids.push(inspector.cert_no.as_str().to_owned());
        corps
            .by_department
            .entry(inspector.department.as_str().to_owned())
            .or_default()
            .push(index as u32);
        corps.fields.push(inspector.fields.clone());
        corps.certified.push(inspector.drawable(start, end));
    }
    Ok(corps)
}

/// Draws a committed round with the witnesses' beacon: selections, visits and
/// inspector matching (spec §1–§7), then stores the record and the visits.
pub async fn draw<S: WorkflowStore>(
    store: &S,
    id: &str,
    beacon: &str,
    witnesses: &[String],
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Round> {
    let round = super::existing::<S, Round>(store, id).await?;
    let (secret, beacon) = opening(store, &round, beacon).await?;
    let plans_frames = committed_plans(store, &round).await?;
    let corps = corps(store, round.window_start, round.window_end).await?;
    let mut recused: HashSet<(String, String)> = HashSet::new();
    let mut pages = Recusals::new(store, MAX_PAGE);
    while let Some(batch) = pages.next_batch().await? {
        for recusal in batch {
            recused.insert((
                recusal.inspector().as_str().to_owned(),
                recusal.entity().as_str().to_owned(),
            ));
        }
    }
    let history = history(store).await?;
    let plans: Vec<Plan> = plans_frames.iter().map(|(p, _)| p.clone()).collect();
    let entry_list = entries(&plans);
    let by_entry: HashMap<&str, (&Plan, &domain::plan::Participant)> = entry_list
        .iter()
        .map(|(id, plan, p)| (id.as_str(), (*plan, *p)))
        .collect();
    let frames: HashMap<&str, &Vec<draw::FrameRow>> = plans_frames
        .iter()
        .map(|(p, f)| (p.id.as_str(), f))
        .collect();
    let input = draw::RoundInput {
        secret,
        beacon,
        cap: round.cap,
        plans: entry_list
            .iter()
            .map(|(entry, plan, participant)| {
                let spec = draw::PlanSpec {
                    id: entry.clone(),
                    department: participant.department.clone(),
                    strata: stratum_rules(&plan.strata),
                };
                (
                    spec,
                    frames
                        .get(plan.id.as_str())
                        .map(|f| f.to_vec())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        inspectors: corps.ids.clone(),
    };
    let window_start = round.window_start;
    let demand = |visit: &draw::Visit, department: &str| {
        let mut k = draw::MIN_INSPECTORS_PER_DEPARTMENT;
        let mut required: BTreeSet<&str> = BTreeSet::new();
        for entry in &visit.plans {
            if let Some((_, participant)) = by_entry
                .get(entry.as_str())
                .filter(|(_, p)| p.department == department)
            {
                k = k.max(participant.inspectors);
                required.extend(participant.field.as_deref());
            }
        }
        let previous: Vec<&str> = history.previous_inspectors(&visit.subject, window_start);
        let candidates = corps
            .by_department
            .get(department)
            .map(|members| {
                members
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let index = i as usize;
                        let id = corps.ids[index].as_str();
                        corps.certified[index]
                            && required
                                .iter()
                                .all(|f| corps.fields[index].iter().any(|g| g == f))
                            && !recused.contains(&(id.to_owned(), visit.subject.clone()))
                            && !previous.contains(&id)
                    })
                    .collect()
            })
            .unwrap_or_default();
        draw::Demand { k, candidates }
    };
    let record = draw::draw_round(input, demand)?;
    let visits: Vec<Visit> = record
        .visits
        .iter()
        .map(|v| {
            let mut items = BTreeSet::new();
            for entry in &v.plans {
                if let Some((plan, participant)) = by_entry.get(entry.as_str()) {
                    for item in &participant.items {
                        items.insert(VisitItem {
                            plan: plan.id.clone(),
                            department: participant.department.clone(),
                            item: item.clone(),
                        });
                    }
                }
            }
            let plan_ids: BTreeSet<String> = v
                .plans
                .iter()
                .map(|e| Plan::id_of_entry(e).to_owned())
                .collect();
            Visit {
                id: Visit::id_for(id, &v.subject),
                round: id.to_owned(),
                entity: v.subject.clone(),
                plans: plan_ids.into_iter().collect(),
                teams: v
                    .departments
                    .iter()
                    .map(|d| Team {
                        department: d.department.clone(),
                        k: d.k,
                        assigned: d.assigned.iter().map(|a| a.to_string()).collect(),
                        unstaffed: d.unstaffed,
                        eligible: d.eligible.len() as u32,
                    })
                    .collect(),
                items: items.into_iter().collect(),
                due_by: round.window_end,
                reassignments: Vec::new(),
            }
        })
        .collect();
    let round = record_draw(
        store,
        round,
        record,
        witnesses,
        &visits,
        "round.drawn",
        at,
        actor,
    )
    .await?;
    drop(frames);
    drop(by_entry);
    drop(entry_list);
    drop_elsewhere(plans_frames);
    Ok(round)
}

/// The sealed secret of a committed round, checked against its commitment,
/// and the beacon as recorded: what a draw opens.
pub async fn opening<S: WorkflowStore>(
    store: &S,
    round: &Round,
    beacon: &str,
) -> Result<(draw::Secret, String)> {
    let id = round.id.as_str();
    if round.status != RoundStatus::Committed {
        return Err(refuse(
            "round_status",
            format!(
                "round {id} is {}; only a committed round can be drawn",
                round.status
            ),
            format!(
                "批次 {id} 当前为“{}”，只有已承诺的批次才能抽取",
                round.status
            ),
        ));
    }
    let beacon = checked_beacon(beacon)?;
    let secret = sealed_secret::<S, Round>(store, ROUND, id, &round.commitment).await?;
    Ok((secret, beacon))
}

/// Stores a drawn record: checks each plan's frame against the committed
/// digest, keeps the full record's SHA-256 for the witnesses, and stores the
/// record (secret and frames left out), the round's new state and `visits`
/// in one transaction with its ledger entry (`action`).
#[allow(clippy::too_many_arguments)]
pub async fn record_draw<S: WorkflowStore>(
    store: &S,
    mut round: Round,
    mut record: draw::Record,
    witnesses: &[String],
    visits: &[Visit],
    action: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Round> {
    // The digest of the full record as it will be exported at publication
    // (secret and frames included), for the witnesses to sign now.
    let full_record_sha256 = record_sha256(&record)?;
    check_frame_digests(&record, &round.frame_digests, Plan::id_of_entry)?;
    let text = stored_text(&mut record)?;
    round.status = RoundStatus::Drawn;
    round.beacon = Some(record.beacon.clone());
    round.witnesses = witness_list(witnesses);
    round.full_record_sha256 = Some(full_record_sha256);
    round.round_seed = Some(
        record
            .round_seed
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    );
    round.record_digest = Some(ledger::digest(&text));
    round.selections = record.plans.iter().map(|p| p.selected.len() as u64).sum();
    round.visits = visits.len() as u64;
    round.unstaffed = record
        .visits
        .iter()
        .flat_map(|v| &v.departments)
        .filter(|d| d.unstaffed)
        .count() as u64;
    round.drawn_at = Some(at);
    let detail = format!(
        "beacon {:?}; {} selections, {} visits, {} unstaffed",
        record.beacon, round.selections, round.visits, round.unstaffed
    );
    store
        .record_draw(
            &round,
            &text,
            visits,
            &Change::new(at, actor, action, detail),
        )
        .await?;
    Ok(round)
}

/// Publishes a drawn round: releases the secret, so anyone can verify the record.
pub async fn publish<S: WorkflowStore>(
    store: &S,
    id: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Round> {
    let mut round = super::existing::<S, Round>(store, id).await?;
    if round.status != RoundStatus::Drawn {
        return Err(refuse(
            "round_status",
            format!(
                "round {id} is {}; only a drawn round can be published",
                round.status
            ),
            format!(
                "批次 {id} 当前为“{}”，只有已抽取的批次才能公示",
                round.status
            ),
        ));
    }
    round.secret = store.round_secret(id).await?;
    round.status = RoundStatus::Published;
    round.published_at = Some(at);
    store
        .put(
            std::slice::from_ref(&round),
            &Change::new(at, actor, "round.published", "secret and record released"),
        )
        .await?;
    Ok(round)
}

/// The spec §7 record of a published round, frames restored from the store.
pub async fn export<S: WorkflowStore>(store: &S, id: &str) -> Result<draw::Record> {
    let round = super::existing::<S, Round>(store, id).await?;
    if round.status != RoundStatus::Published {
        return Err(refuse(
            "round_status",
            format!(
                "round {id} is {}; its record is exported once published",
                round.status
            ),
            format!("批次 {id} 当前为“{}”，公示后才能导出抽取记录", round.status),
        ));
    }
    let secret = round.secret.as_deref().ok_or_else(|| {
        refuse(
            "secret_missing",
            "the published round has no secret",
            "已公示的批次缺少密钥",
        )
    })?;
    let secret = draw::Secret::from_hex(secret)?;
    let digest = round.record_digest.as_deref();
    stored_record::<S, Round>(store, ROUND, id, digest, &secret, Plan::id_of_entry).await
}

/// What a drawn document is called in refusals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Noun {
    /// In English.
    pub en: &'static str,
    /// In Chinese.
    pub zh: &'static str,
}

/// A round.
pub(crate) const ROUND: Noun = Noun {
    en: "round",
    zh: "批次",
};

/// The beacon normalised (spec §1); refused when empty.
pub(crate) fn checked_beacon(beacon: &str) -> Result<String> {
    let beacon = draw::normalize_beacon(beacon);
    if beacon.is_empty() {
        return Err(Refusal::new(
            "beacon_required",
            "the beacon is empty",
            "请填写公开随机数（信标）",
        )
        .on("beacon")
        .into());
    }
    Ok(beacon.to_owned())
}

/// The sealed secret of `id`, checked against its commitment.
pub(crate) async fn sealed_secret<S: WorkflowStore, D: Drawn>(
    store: &S,
    noun: Noun,
    id: &str,
    commitment: &str,
) -> Result<draw::Secret> {
    let (en, zh) = (noun.en, noun.zh);
    let secret_hex = store.drawn_secret::<D>(id).await?.ok_or_else(|| {
        refuse(
            "secret_missing",
            format!("{en} {id} has no sealed secret"),
            format!("{zh} {id} 没有封存的密钥，不能抽取"),
        )
    })?;
    let secret = draw::Secret::from_hex(&secret_hex)?;
    if draw::to_hex(&secret.commitment()) != commitment {
        return Err(refuse(
            "secret_mismatch",
            format!("the sealed secret of {en} {id} does not match its commitment"),
            format!("{zh} {id} 封存的密钥与承诺值不符，不能抽取"),
        ));
    }
    Ok(secret)
}

/// Refuses a draw whose frames are not the committed ones; `frame_of` maps a
/// record plan id to the key of its committed digest.
pub(crate) fn check_frame_digests(
    record: &draw::Record,
    committed: &BTreeMap<String, String>,
    frame_of: fn(&str) -> &str,
) -> Result<()> {
    for plan in &record.plans {
        let id = frame_of(&plan.id);
        if committed.get(id) != Some(&draw::to_hex(&plan.frame_digest.0)) {
            return Err(refuse(
                "frame_mismatch",
                format!(
                    "stored frame of plan {id} does not match the committed digest; nothing was drawn"
                ),
                format!("计划 {id} 保存的抽取名录与承诺时的摘要不符，未作抽取"),
            ));
        }
    }
    Ok(())
}

/// The record text as stored: no secret, frames empty (they are stored apart).
pub(crate) fn stored_text(record: &mut draw::Record) -> Result<String> {
    record.secret = None;
    let frames_drawn: Vec<Vec<draw::FrameRow>> = record
        .plans
        .iter_mut()
        .map(|plan| std::mem::take(&mut plan.frame))
        .collect();
    drop_elsewhere(frames_drawn);
    serde_json::to_string(record).map_err(|e| record_unwritable(&e))
}

/// The full §7 record of `id`: the stored text checked against `digest`,
/// with the secret and the frozen frames restored (`frame_of` maps a record
/// plan id to its stored frame's key).
pub(crate) async fn stored_record<S: WorkflowStore, D: Drawn>(
    store: &S,
    noun: Noun,
    id: &str,
    digest: Option<&str>,
    secret: &draw::Secret,
    frame_of: fn(&str) -> &str,
) -> Result<draw::Record> {
    let (en, zh) = (noun.en, noun.zh);
    let text = store
        .drawn_record::<D>(id)
        .await?
        .ok_or_else(|| WorkflowError::NotFound {
            what: "record",
            id: id.to_owned(),
        })?;
    if digest != Some(ledger::digest(&text).as_str()) {
        return Err(refuse(
            "record_damaged",
            format!("the stored record of {en} {id} does not match its digest"),
            format!("{zh} {id} 保存的抽取记录与其摘要不符"),
        ));
    }
    let mut record: draw::Record = serde_json::from_str(&text).map_err(|e| {
        refuse(
            "record_damaged",
            format!("the stored record of {en} {id} is unreadable: {e}"),
            format!("{zh} {id} 保存的抽取记录无法读取"),
        )
    })?;
    record.secret = Some(draw::Hex32(secret.as_bytes().to_owned()));
    let mut frames: HashMap<String, Vec<draw::FrameRow>> = HashMap::new();
    for stored in store.drawn_frames::<D>(id).await? {
        let frame = eligibility::parse_frame(&stored.frame)
            .map_err(|line| frame_damaged(&stored.plan, line))?;
        frames.insert(stored.plan, frame);
    }
    for plan in &mut record.plans {
        plan.frame = frames.get(frame_of(&plan.id)).cloned().unwrap_or_default();
    }
    Ok(record)
}

/// A full record's bytes as `rounds export` writes them: what the public
/// view's `full_record_sha256` hashes.
pub fn record_bytes(record: &draw::Record) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|e| record_unwritable(&e))
}

/// SHA-256 (hex) of a full record's bytes as [`record_bytes`] writes them,
/// hashed as they are written rather than held in memory.
pub fn record_sha256(record: &draw::Record) -> Result<String> {
    use sha2::Digest;
    struct Hasher(sha2::Sha256);
    impl std::io::Write for Hasher {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hasher = Hasher(sha2::Sha256::new());
    serde_json::to_writer(&mut hasher, record).map_err(|e| record_unwritable(&e))?;
    Ok(draw::to_hex(hasher.0.finalize().as_slice()))
}

/// Witnesses as recorded: each name exactly as typed, trimmed; empty ones dropped.
pub fn witness_list(witnesses: &[String]) -> Vec<String> {
    witnesses
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Witnesses typed one per line (`市司法局 王明` is one witness): each line
/// trimmed, empty lines dropped. Nothing else separates names.
pub fn witness_lines(text: &str) -> Vec<String> {
    witness_list(&text.lines().map(str::to_owned).collect::<Vec<_>>())
}

/// The public view (`spec/draw-v1-public-view.md`) of a published round's record,
/// with the exported bytes of the full record it was derived from.
pub fn public_view(record: &draw::Record) -> Result<(draw::PublicView, Vec<u8>)> {
    let bytes = record_bytes(record)?;
    Ok((draw::PublicView::derive(record, &bytes), bytes))
}

/// Whether a round's draw committed, in words for `rounds list` and the round
/// pages: `未抽取` until a draw's transaction committed, then when it did.
pub fn draw_state(round: &Round) -> String {
    let time = |t: &DateTime<FixedOffset>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    match (round.status, &round.drawn_at) {
        (RoundStatus::Committed, _) | (_, None) => "未抽取".to_owned(),
        (RoundStatus::Drawn, Some(at)) => format!("已抽取 {}，未公开", time(at)),
        (RoundStatus::Published, Some(at)) => format!(
            "已抽取 {}，已公开 {}",
            time(at),
            round.published_at.as_ref().map(time).unwrap_or_default()
        ),
    }
}

/// One plan's view of an entity in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanFate {
    /// Plan id.
    pub plan: String,
    /// `frame` (with its stratum), `excluded` (with the rules), or `out_of_scope`.
    pub fate: String,
    /// Stratum, when in the frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stratum: Option<String>,
    /// The rules and explanation, when excluded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
    /// Whether the draw selected it for this plan.
    pub selected: bool,
}

/// Why an entity was or was not drawn in a round, plan by plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Round id.
    pub round: String,
    /// 统一社会信用代码.
    pub entity: String,
    /// Per plan.
    pub plans: Vec<PlanFate>,
    /// Its visit, if drawn.
    pub visit: Option<Visit>,
}

/// Explains the fate of `entity` in round `id`, from the frozen frames and exclusions.
pub async fn explain<S: WorkflowStore>(store: &S, id: &str, entity: &str) -> Result<Explanation> {
    let round = super::existing::<S, Round>(store, id).await?;
    // A malformed code is an error, not an entity that is out of every scope.
    let (code, _) = super::entity_code(entity)?;
    let entity = code.as_str();
    let visit = store.get::<Visit>(&Visit::id_for(id, entity)).await?;
    let mut plans = Vec::new();
    for stored in store.round_frames(id).await? {
        let stratum = stored.frame.lines().find_map(|line| {
            let (row_id, stratum) = line.split_once('\t')?;
            (row_id == entity).then(|| stratum.to_owned())
        });
        let excluded = eligibility::find_exclusion(&stored.exclusions, entity);
        let fate = match (&stratum, &excluded) {
            (Some(_), _) => "frame",
            (None, Some(_)) => "excluded",
            (None, None) => "out_of_scope",
        };
        plans.push(PlanFate {
            selected: visit
                .as_ref()
                .is_some_and(|v| v.plans.contains(&stored.plan)),
            plan: stored.plan,
            fate: fate.to_owned(),
            stratum,
            excluded: excluded.map(|e| {
                format!(
                    "{}: {}",
                    e.codes(),
                    e.describe(&round.rules, round.window_start)
                )
            }),
        });
    }
    Ok(Explanation {
        round: id.to_owned(),
        entity: entity.to_owned(),
        plans,
        visit,
    })
}

/// The inspector with certificate number `cert`.
pub(crate) async fn inspector_named<S: WorkflowStore>(store: &S, cert: &str) -> Result<Inspector> {
    let code = domain::CertificateNo::parse(cert)?;
    store
        .inspector(&code)
        .await?
        .ok_or_else(|| WorkflowError::NotFound {
            what: "inspector",
            id: cert.to_owned(),
        })
}

/// What a department's team on a visit must satisfy beyond certificate and
/// recusal: the fields its plans require, and not the entity's previous inspectors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamRules {
    /// Enforcement fields every member must hold.
    pub fields: Vec<String>,
    /// Inspectors of the entity's previous inspection.
    pub previous: Vec<String>,
}

/// The [`TeamRules`] of `department` on `visit`.
pub async fn team_rules<S: WorkflowStore>(
    store: &S,
    visit: &Visit,
    department: &str,
) -> Result<TeamRules> {
    let mut fields = BTreeSet::new();
    for id in &visit.plans {
        if let Some(plan) = store.get::<Plan>(id).await? {
            fields.extend(
                plan.participants
                    .iter()
                    .filter(|p| p.department == department)
                    .filter_map(|p| p.field.clone()),
            );
        }
    }
    let start = match store.get::<Round>(&visit.round).await? {
        Some(round) => round.window_start,
        None => visit.due_by,
    };
    let previous = history(store)
        .await?
        .previous_inspectors(&visit.entity, start)
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(TeamRules {
        fields: fields.into_iter().collect(),
        previous,
    })
}

/// Changes a department's team on a visit by hand; the reason is required and recorded.
pub async fn reassign<S: WorkflowStore>(
    store: &S,
    visit_id: &str,
    department: &str,
    inspectors: &[String],
    reason: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Visit> {
    if reason.trim().is_empty() {
        return Err(Refusal::new(
            "reason_required",
            "a reassignment needs a reason",
            "请填写调整检查人员的理由",
        )
        .on("reason")
        .into());
    }
    let mut visit = super::existing::<S, Visit>(store, visit_id).await?;
    let rules = team_rules(store, &visit, department).await?;
    let team = visit
        .teams
        .iter_mut()
        .find(|t| t.department == department)
        .ok_or_else(|| {
            refuse(
                "no_team",
                format!("department {department} has no team on visit {visit_id}"),
                format!("部门 {department} 在检查任务 {visit_id} 中没有检查组"),
            )
        })?;
    if inspectors.iter().collect::<BTreeSet<_>>().len() < team.k as usize {
        return Err(refuse(
            "too_few_inspectors",
            format!("{department} must send {} different inspectors", team.k),
            format!("部门 {department} 须派 {} 名不同的检查人员", team.k),
        ));
    }
    for cert in inspectors {
        let inspector = inspector_named(store, cert).await?;
        if inspector.department.as_str() != department {
            return Err(refuse(
                "inspector_department",
                format!("inspector {cert} is not in department {department}"),
                format!("执法证号 {cert} 的检查人员不属于部门 {department}"),
            ));
        }
        if !inspector.is_certified_on(visit.due_by) {
            return Err(refuse(
                "certificate_invalid",
                format!(
                    "inspector {cert} holds no valid certificate on {}",
                    visit.due_by
                ),
                format!(
                    "执法证号 {cert} 的检查人员在 {} 没有有效执法证",
                    visit.due_by
                ),
            ));
        }
        let entity = domain::Uscc::parse_lenient(&visit.entity).map(|(u, _)| u);
        if let Ok(entity) = entity
            && store
                .recusals_of_entity(&entity)
                .await?
                .iter()
                .any(|r| r.inspector().as_str() == cert)
        {
            return Err(refuse(
                "inspector_recused",
                format!("inspector {cert} is recused from {}", visit.entity),
                format!("执法证号 {cert} 的检查人员须回避主体 {}", visit.entity),
            ));
        }
        if let Some(field) = rules.fields.iter().find(|f| !inspector.fields.contains(f)) {
            return Err(refuse(
                "inspector_unqualified",
                format!("inspector {cert} is not qualified for the field {field}"),
                format!("执法证号 {cert} 的检查人员不具备“{field}”领域的执法资格"),
            ));
        }
        if rules.previous.contains(cert) {
            return Err(refuse(
                "inspector_repeated",
                format!("inspector {cert} inspected {} last time", visit.entity),
                format!(
                    "执法证号 {cert} 的检查人员上次已检查过主体 {}，本次须换人",
                    visit.entity
                ),
            ));
        }
    }
    let from = std::mem::replace(&mut team.assigned, inspectors.to_vec());
    team.unstaffed = false;
    visit.reassignments.push(domain::inspection::Reassignment {
        department: department.to_owned(),
        from,
        to: inspectors.to_vec(),
        reason: reason.to_owned(),
        actor: actor.to_owned(),
        at,
    });
    store
        .put(
            std::slice::from_ref(&visit),
            &Change::new(at, actor, "visit.reassigned", reason),
        )
        .await?;
    Ok(visit)
}

fn round_exists(id: &str) -> Refusal {
    Refusal::new(
        "round_exists",
        format!("round {id} already exists"),
        format!("批次编号 {id} 已存在，请换一个编号"),
    )
    .on("id")
}

fn no_plan_in_window() -> Refusal {
    Refusal::new(
        "no_plan_in_window",
        "no approved plan to draw in this window",
        "检查期限内没有可抽取的已批准计划",
    )
}

fn frame_damaged(plan: &str, line: usize) -> WorkflowError {
    refuse(
        "frame_damaged",
        format!("stored frame of plan {plan} is damaged at line {line}"),
        format!("计划 {plan} 保存的抽取名录第 {line} 行已损坏"),
    )
}

fn record_unwritable(error: &impl std::fmt::Display) -> WorkflowError {
    refuse(
        "record_unwritable",
        format!("cannot write the record: {error}"),
        "抽取记录无法写出，已记录",
    )
}

/// One refusal of each kind the round steps give, for tests that read every message.
pub(crate) fn refusal_examples() -> Vec<Refusal> {
    vec![round_exists("2026-Q1"), no_plan_in_window()]
}

#[cfg(test)]
mod tests {
    use super::{witness_lines, witness_list};

    #[test]
    fn a_witness_is_a_line_as_typed() {
        assert_eq!(
            witness_lines("  市司法局 王明 \r\n\r\n区公证处 李华，张三\n \n"),
            ["市司法局 王明", "区公证处 李华，张三"]
        );
        assert!(witness_lines(" \n\t\n").is_empty());
        assert_eq!(
            witness_list(&[" 市司法局 王明".to_owned(), String::new()]),
            ["市司法局 王明"]
        );
    }
}
