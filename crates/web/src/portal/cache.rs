//! What the portal reads, kept in memory so that a public request costs one
//! ledger-head query and a scan of a few thousand rows, not a database read of
//! every document.
//!
//! - [`Snapshot`]: the published plans, rounds and results with the names they
//!   show. Rebuilt when the ledger head's sequence moved (every workflow change
//!   appends to the ledger) or when it is older than [`SNAPSHOT_MAX_AGE`]
//!   (directory imports do not touch the ledger; entity names are re-read then).
//! - [`RoundIndex`]: one published round's record without its frames, and its
//!   frames and exclusions as sorted line indexes for per-entity look-ups. A
//!   published round never changes, so it is built once (the last
//!   [`MAX_ROUND_INDEXES`] used are kept).
//! - [`Verdict`]: the full recomputation of a published round's record
//!   (`draw::verify`), run once per round on a blocking thread and kept.
//!
//! Only published things enter this cache: no unpublished round, result or
//! plan, no credit-risk class, no inspector, no internal note.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::Serialize;
use tokio::sync::OnceCell;

use crate::error::{Error, Result};
use domain::Uscc;
use domain::inspection::{
    FollowUp, InspectionResult, ResultCategory, ResultStatus, Round, RoundStatus,
};
use domain::item::CheckMethod;
use domain::ledger;
use domain::plan::{Plan, PlanKind, PlanStatus};
use storage::{Db, Store, WorkflowStore};

/// Entity names and other directory texts are re-read at least this often.
pub const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(600);

/// Round indexes kept in memory (each holds its frames' text).
pub const MAX_ROUND_INDEXES: usize = 4;

/// Entity names remembered for verification at most.
pub const MAX_REMEMBERED_NAMES: usize = 100_000;

/// Record downloads prepared at once (each holds a whole record in memory).
pub const CONCURRENT_EXPORTS: usize = 2;

/// The portal's cache; one per [`crate::AppState`].
pub struct Cache {
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    rebuilding: tokio::sync::Mutex<()>,
    /// The last ledger head read, with when its read started.
    head: tokio::sync::Mutex<Option<(Instant, i64)>>,
    /// Entity names looked up for verification (cleared with stale snapshots).
    names: Mutex<HashMap<String, Option<String>>>,
    /// Most recently used last.
    rounds: Mutex<Vec<(String, Slot<RoundIndex>)>>,
    verdicts: Mutex<HashMap<String, Slot<Verdict>>>,
    exports: tokio::sync::Semaphore,
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            snapshot: RwLock::default(),
            rebuilding: tokio::sync::Mutex::default(),
            head: tokio::sync::Mutex::default(),
            names: Mutex::default(),
            rounds: Mutex::default(),
            verdicts: Mutex::default(),
            exports: tokio::sync::Semaphore::new(CONCURRENT_EXPORTS),
        }
    }
}

/// A value computed once, shared by every request that waits for it.
type Slot<T> = Arc<OnceCell<Arc<T>>>;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cache {
    /// The current snapshot, rebuilt first if the ledger moved or it is stale.
    pub async fn snapshot(&self, db: &Db) -> Result<Arc<Snapshot>> {
        let sequence = self.ledger_sequence(db).await?;
        if let Some(current) = self.fresh(sequence) {
            return Ok(current);
        }
        let _one_builder = self.rebuilding.lock().await;
        if let Some(current) = self.fresh(sequence) {
            return Ok(current);
        }
        let previous = self.current();
        let names = match previous
            .as_ref()
            .filter(|p| p.built.elapsed() < SNAPSHOT_MAX_AGE)
        {
            Some(previous) => previous.names.clone(),
            None => {
                lock(&self.names).clear();
                HashMap::new()
            }
        };
        let built = Arc::new(Snapshot::build(db, sequence, names).await?);
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(built.clone());
        self.warm_up(db, &built.rounds);
        Ok(built)
    }

    /// The ledger head's sequence as of a read that started after this call:
    /// concurrent callers share one read instead of each asking the database.
    async fn ledger_sequence(&self, db: &Db) -> Result<i64> {
        let arrived = Instant::now();
        let mut head = self.head.lock().await;
        if let Some((read_at, sequence)) = *head
            && read_at >= arrived
        {
            return Ok(sequence);
        }
        let read_at = Instant::now();
        let (sequence, _) = db.ledger_head().await?;
        *head = Some((read_at, sequence));
        Ok(sequence)
    }

    /// An entity's name in the directory (remembered until the snapshot ages out).
    pub async fn entity_name(&self, db: &Db, code: &Uscc) -> Result<Option<String>> {
        if let Some(name) = lock(&self.names).get(code.as_str()) {
            return Ok(name.clone());
        }
        let name = db.entity(code).await?.map(|e| e.fields().name.clone());
        let mut names = lock(&self.names);
        if names.len() >= MAX_REMEMBERED_NAMES {
            names.clear();
        }
        names.insert(code.as_str().to_owned(), name.clone());
        Ok(name)
    }

    fn current(&self) -> Option<Arc<Snapshot>> {
        self.snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn fresh(&self, sequence: i64) -> Option<Arc<Snapshot>> {
        self.current()
            .filter(|s| s.sequence == sequence && s.built.elapsed() < SNAPSHOT_MAX_AGE)
    }

    /// The published round `id` (404 for any other), as of the current snapshot.
    pub async fn published_round(&self, db: &Db, id: &str) -> Result<(Arc<Snapshot>, Round)> {
        let snapshot = self.snapshot(db).await?;
        let round = snapshot
            .round(id)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("没有已公开的抽取批次 {id}")))?;
        Ok((snapshot, round))
    }

    /// The index of a published round, built on first use.
    pub async fn round_index(&self, db: &Db, round: &Round) -> Result<Arc<RoundIndex>> {
        let cell = {
            let mut rounds = lock(&self.rounds);
            let cell = match rounds.iter().position(|(id, _)| *id == round.id) {
                Some(at) => rounds.remove(at).1,
                None => Arc::new(OnceCell::new()),
            };
            rounds.push((round.id.clone(), cell.clone()));
            if rounds.len() > MAX_ROUND_INDEXES {
                rounds.remove(0);
            }
            cell
        };
        cell.get_or_try_init(|| async { RoundIndex::build(db, round).await.map(Arc::new) })
            .await
            .cloned()
    }

    fn verdict_slot(&self, round: &str) -> Slot<Verdict> {
        lock(&self.verdicts)
            .entry(round.to_owned())
            .or_insert_with(|| Arc::new(OnceCell::new()))
            .clone()
    }

    /// The full verification of a published round's record, computed once.
    pub async fn verdict(&self, db: &Db, round: &str) -> Result<Arc<Verdict>> {
        self.verdict_slot(round)
            .get_or_try_init(|| async { Verdict::compute(db, round).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Verifies, in the background and one after the other, the records of the
    /// published rounds not verified yet, so no visitor waits for it; requests
    /// arriving meanwhile wait for the same computation.
    fn warm_up(&self, db: &Db, rounds: &[Round]) {
        let pending: Vec<(String, Slot<Verdict>)> = rounds
            .iter()
            .map(|r| (r.id.clone(), self.verdict_slot(&r.id)))
            .filter(|(_, slot)| !slot.initialized())
            .collect();
        if pending.is_empty() {
            return;
        }
        let db = db.clone();
        tokio::spawn(async move {
            for (round, slot) in pending {
                let computed = slot
                    .get_or_try_init(|| async { Verdict::compute(&db, &round).await.map(Arc::new) })
                    .await;
                if let Err(error) = computed {
                    tracing::warn!(%round, %error, "public portal: the record could not be verified");
                }
            }
        });
    }

    /// Waits for a turn to prepare a record download.
    pub async fn export_permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        self.exports.acquire().await.map_err(Error::internal)
    }
}

/// A published plan as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicPlan {
    /// Plan id.
    pub id: String,
    /// Title.
    pub title: String,
    /// 单部门 or 联合.
    pub kind: PlanKind,
    /// Lead department code.
    pub lead: String,
    /// Lead department name.
    pub lead_name: String,
    /// Each department with the items it checks.
    pub departments: Vec<PublicParticipant>,
    /// First day.
    pub period_start: NaiveDate,
    /// Last day.
    pub period_end: NaiveDate,
    /// Frequency as published.
    pub frequency: String,
    /// Sampling rules, in words, e.g. `B类 2.00%`.
    pub sampling: Vec<String>,
    /// The scope, in words; empty: the whole city.
    pub scope: Vec<String>,
    /// Required by law or regulation (法律法规规定必检).
    pub required_by_law: bool,
    /// Version published.
    pub version: u32,
}

/// A department of a published plan.
#[derive(Debug, Clone, Serialize)]
pub struct PublicParticipant {
    /// Department code.
    pub department: String,
    /// Department name.
    pub name: String,
    /// Items: (code, name).
    pub items: Vec<PublicItem>,
}

/// An inspection item.
#[derive(Debug, Clone, Serialize)]
pub struct PublicItem {
    /// 事项编码.
    pub code: String,
    /// 抽查事项.
    pub name: String,
}

/// A published result as the public sees it: no inspectors, no remarks.
#[derive(Debug, Clone, Serialize)]
pub struct PublicResult {
    /// Result id.
    pub id: String,
    /// 统一社会信用代码.
    pub entity: String,
    /// Entity name, from the directory.
    pub entity_name: String,
    /// Department code.
    pub department: String,
    /// Department name.
    pub department_name: String,
    /// Plan id, for a planned inspection.
    pub plan: Option<String>,
    /// Whether an inspection outside the plan (计划外检查).
    pub out_of_plan: bool,
    /// Item code.
    pub item: String,
    /// Item name.
    pub item_name: String,
    /// 检查结果.
    pub category: ResultCategory,
    /// 检查方式.
    pub method: CheckMethod,
    /// 后续处置.
    pub follow_up: FollowUp,
    /// First day of the check.
    pub check_start: NaiveDate,
    /// Last day of the check.
    pub check_end: NaiveDate,
    /// 公示日期.
    pub published_on: Option<NaiveDate>,
    /// The result this one corrects (更正).
    pub corrects: Option<String>,
    /// Whether a later published result corrects this one.
    pub corrected: bool,
}

/// A round as the public sees it: a committed round's commitment, frame
/// digests and plans before the draw; seed, secret and beacon only once published.
#[derive(Debug, Clone, Serialize)]
pub struct PublicRound {
    /// Round id.
    pub id: String,
    /// 已承诺, 已抽取 or 已公开.
    pub status: String,
    /// Whether a draw committed, in words (`未抽取`, `已抽取 …`).
    pub draw: String,
    /// Whether the secret and the record are public.
    pub published: bool,
    /// Plan id → frame digest (spec §5), published with the commitment.
    pub frame_digests: BTreeMap<String, String>,
    /// Title.
    pub title: String,
    /// First day of the window.
    pub window_start: NaiveDate,
    /// Last day.
    pub window_end: NaiveDate,
    /// Plans drawn.
    pub plans: Vec<String>,
    /// Selections over every plan entry.
    pub selections: u64,
    /// Visits (one per drawn entity).
    pub visits: u64,
    /// Commitment (spec §1), hex.
    pub commitment: String,
    /// Round digest (spec §5), hex.
    pub round_digest: String,
    /// The witnesses' beacon.
    pub beacon: Option<String>,
    /// The witnesses, each as typed (published with the record).
    pub witnesses: Vec<String>,
    /// SHA-256 of the full record as the witnesses signed it at the draw
    /// (published with the record).
    pub full_record_sha256: Option<String>,
    /// Round seed, hex.
    pub round_seed: Option<String>,
    /// Secret, hex (published).
    pub secret: Option<String>,
    /// When committed.
    pub committed_at: String,
    /// When drawn.
    pub drawn_at: Option<String>,
    /// When published.
    pub published_at: Option<String>,
}

impl PublicRound {
    /// The public fields of a round. Before publication only the commitment,
    /// frame digests, plans, status and times: no seed, secret, beacon,
    /// witnesses, digest of the record or counts.
    pub fn of(round: &Round) -> Self {
        let time =
            |t: &chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%d %H:%M").to_string();
        let published = round.status == RoundStatus::Published;
        Self {
            id: round.id.clone(),
            status: round.status.as_str().to_owned(),
            draw: service::rounds::draw_state(round),
            published,
            frame_digests: round.frame_digests.clone(),
            title: round.title.clone(),
            window_start: round.window_start,
            window_end: round.window_end,
            plans: round.plans.keys().cloned().collect(),
            selections: if published { round.selections } else { 0 },
            visits: if published { round.visits } else { 0 },
            commitment: round.commitment.clone(),
            round_digest: round.round_digest.clone(),
            beacon: round.beacon.clone().filter(|_| published),
            witnesses: if published {
                round.witnesses.clone()
            } else {
                Vec::new()
            },
            full_record_sha256: round.full_record_sha256.clone().filter(|_| published),
            round_seed: round.round_seed.clone().filter(|_| published),
            secret: round.secret.clone().filter(|_| published),
            committed_at: time(&round.committed_at),
            drawn_at: round.drawn_at.as_ref().map(time),
            published_at: round.published_at.as_ref().map(time),
        }
    }
}

/// Everything published, with names, as of one ledger head.
pub struct Snapshot {
    /// Ledger sequence it was built at.
    pub sequence: i64,
    built: Instant,
    /// Published plans, newest period first.
    pub plans: Vec<PublicPlan>,
    /// Published rounds, newest window first.
    pub rounds: Vec<Round>,
    /// Committed or drawn rounds not yet published, newest window first: their
    /// commitments and frame digests are public, their seeds sealed.
    pub pending: Vec<PublicRound>,
    /// Plans of pending rounds: plan id → its sampling rules in words.
    pub pending_plans: HashMap<String, Vec<String>>,
    /// Published results, newest publication first.
    pub results: Vec<PublicResult>,
    /// Department code → name.
    pub departments: HashMap<String, String>,
    names: HashMap<String, String>,
    search: SearchIndex,
}

/// The entities with published results, for search by name or code.
#[derive(Default)]
struct SearchIndex {
    /// (code, lower-cased name, indexes of its results in order).
    entities: Vec<(String, String, Vec<u32>)>,
    /// Each character of the lower-cased names → the entities whose name has it.
    by_char: HashMap<char, Vec<u32>>,
}

impl SearchIndex {
    fn new(results: &[PublicResult]) -> Self {
        let mut index = Self::default();
        let mut position: HashMap<&str, usize> = HashMap::new();
        for (at, result) in results.iter().enumerate() {
            let entity = *position.entry(result.entity.as_str()).or_insert_with(|| {
                index.entities.push((
                    result.entity.clone(),
                    result.entity_name.to_lowercase(),
                    Vec::new(),
                ));
                index.entities.len() - 1
            });
            index.entities[entity]
                .2
                .push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        for (at, (_, name, _)) in index.entities.iter().enumerate() {
            let mut seen: Vec<char> = name.chars().collect();
            seen.sort_unstable();
            seen.dedup();
            for c in seen {
                index
                    .by_char
                    .entry(c)
                    .or_default()
                    .push(u32::try_from(at).unwrap_or(u32::MAX));
            }
        }
        index
    }

    /// Indexes of the results whose entity matches, in result order.
    fn matching(&self, query: &str) -> Vec<u32> {
        let code = query.to_uppercase();
        let folded = query.to_lowercase();
        let mut entities: Vec<u32> = Vec::new();
        if code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            entities.extend(
                (0..self.entities.len())
                    .filter(|&at| self.entities[at].0.starts_with(&code))
                    .map(|at| u32::try_from(at).unwrap_or(u32::MAX)),
            );
        }
        let rarest = folded
            .chars()
            .map(|c| self.by_char.get(&c).map_or(&[][..], Vec::as_slice))
            .min_by_key(|postings| postings.len())
            .unwrap_or(&[]);
        entities.extend(rarest.iter().filter(|&&at| {
            self.entities
                .get(at as usize)
                .is_some_and(|e| e.1.contains(&folded))
        }));
        entities.sort_unstable();
        entities.dedup();
        let mut results: Vec<u32> = entities
            .iter()
            .filter_map(|&at| self.entities.get(at as usize))
            .flat_map(|e| e.2.iter().copied())
            .collect();
        results.sort_unstable();
        results
    }
}

/// A page of search hits.
#[derive(Debug, Clone, Serialize)]
pub struct ResultPage<'a> {
    /// Results matching, over every page.
    pub total: usize,
    /// Page number, from 1.
    pub page: usize,
    /// Pages.
    pub pages: usize,
    /// Per page.
    pub per_page: usize,
    /// This page's results.
    pub items: Vec<&'a PublicResult>,
}

impl Snapshot {
    async fn build(db: &Db, sequence: i64, mut names: HashMap<String, String>) -> Result<Self> {
        let departments: HashMap<String, String> = db
            .departments()
            .await?
            .iter()
            .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
            .collect();
        let mut items: HashMap<String, String> = db
            .items(None)
            .await?
            .iter()
            .map(|i| (i.fields().code.as_str().to_owned(), i.fields().name.clone()))
            .collect();
        for joint in db.joint_items(None).await? {
            items.insert(
                joint.fields().code.as_str().to_owned(),
                joint.fields().name.clone(),
            );
        }
        let districts: HashMap<String, String> = db
            .districts()
            .await?
            .iter()
            .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
            .collect();
        let name_of = |map: &HashMap<String, String>, code: &str| {
            map.get(code).cloned().unwrap_or_else(|| code.to_owned())
        };

        let mut plans: Vec<PublicPlan> = db
            .list::<Plan>(Some(("status", PlanStatus::Published.as_str())))
            .await?
            .iter()
            .map(|plan| public_plan(plan, &departments, &items, &districts))
            .collect();
        plans.sort_by(|a, b| {
            b.period_start
                .cmp(&a.period_start)
                .then_with(|| a.id.cmp(&b.id))
        });

        let (mut rounds, mut unpublished): (Vec<Round>, Vec<Round>) = db
            .list::<Round>(None)
            .await?
            .into_iter()
            .partition(|r| r.status == RoundStatus::Published);
        rounds.sort_by(|a, b| {
            b.window_start
                .cmp(&a.window_start)
                .then_with(|| a.id.cmp(&b.id))
        });
        unpublished.sort_by(|a, b| {
            b.window_start
                .cmp(&a.window_start)
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut pending_plans = HashMap::new();
        for plan_id in unpublished.iter().flat_map(|r| r.plans.keys()) {
            if pending_plans.contains_key(plan_id) {
                continue;
            }
            if let Some(plan) = db.get::<Plan>(plan_id).await? {
                pending_plans.insert(plan_id.clone(), sampling(&plan));
            }
        }
        let pending = unpublished.iter().map(PublicRound::of).collect();

        let published: Vec<InspectionResult> = db
            .list::<InspectionResult>(Some(("status", ResultStatus::Published.as_str())))
            .await?
            .into_iter()
            .filter(|r| r.status == ResultStatus::Published)
            .collect();
        for result in &published {
            if names.contains_key(&result.entity) {
                continue;
            }
            let name = match Uscc::parse_lenient(&result.entity) {
                Ok((code, _)) => db.entity(&code).await?.map(|e| e.fields().name.clone()),
                Err(_) => None,
            };
            names.insert(result.entity.clone(), name.unwrap_or_default());
        }
        let corrected: std::collections::HashSet<&str> = published
            .iter()
            .filter_map(|r| r.corrects.as_deref())
            .collect();
        let mut results: Vec<PublicResult> = published
            .iter()
            .map(|r| {
                let entity_name = names.get(&r.entity).cloned().unwrap_or_default();
                PublicResult {
                    id: r.id.clone(),
                    entity: r.entity.clone(),
                    entity_name,
                    department: r.department.clone(),
                    department_name: name_of(&departments, &r.department),
                    plan: r.plan.clone(),
                    out_of_plan: r.out_of_plan.is_some(),
                    item: r.item.clone(),
                    item_name: name_of(&items, &r.item),
                    category: r.category,
                    method: r.method,
                    follow_up: r.follow_up,
                    check_start: r.check_start,
                    check_end: r.check_end,
                    published_on: r.published_on,
                    corrects: r.corrects.clone(),
                    corrected: corrected.contains(r.id.as_str()),
                }
            })
            .collect();
        results.sort_by(|a, b| {
            b.published_on
                .cmp(&a.published_on)
                .then_with(|| a.entity.cmp(&b.entity))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(Self {
            sequence,
            built: Instant::now(),
            plans,
            rounds,
            pending,
            pending_plans,
            search: SearchIndex::new(&results),
            results,
            departments,
            names,
        })
    }

    /// A published plan.
    pub fn plan(&self, id: &str) -> Option<&PublicPlan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// A published round.
    pub fn round(&self, id: &str) -> Option<&Round> {
        self.rounds.iter().find(|r| r.id == id)
    }

    /// A department's name (its code if unknown).
    pub fn department_name(&self, code: &str) -> String {
        self.departments
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// Published results whose entity name contains `query` or whose code starts
    /// with it (letters in either case); every result for an empty query.
    pub fn search(&self, query: &str, page: usize, per_page: usize) -> ResultPage<'_> {
        let query = query.trim();
        let hits: Vec<&PublicResult> = if query.is_empty() {
            self.results.iter().collect()
        } else {
            self.search
                .matching(query)
                .iter()
                .filter_map(|&at| self.results.get(at as usize))
                .collect()
        };
        let per_page = per_page.max(1);
        let pages = hits.len().div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        let items = hits
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .copied()
            .collect();
        ResultPage {
            total: hits.len(),
            page,
            pages,
            per_page,
            items,
        }
    }
}

fn public_plan(
    plan: &Plan,
    departments: &HashMap<String, String>,
    items: &HashMap<String, String>,
    districts: &HashMap<String, String>,
) -> PublicPlan {
    let name = |map: &HashMap<String, String>, code: &str| {
        map.get(code).cloned().unwrap_or_else(|| code.to_owned())
    };
    let sampling = sampling(plan);
    let mut scope = Vec::new();
    if !plan.scope.districts.is_empty() {
        let list: Vec<String> = plan
            .scope
            .districts
            .iter()
            .map(|d| name(districts, d))
            .collect();
        scope.push(format!("区域：{}", list.join("、")));
    }
    if !plan.scope.industries.is_empty() {
        scope.push(format!(
            "行业（国民经济行业分类）：{}",
            plan.scope.industries.join("、")
        ));
    }
    if !plan.scope.entity_types.is_empty() {
        let list: Vec<&str> = plan.scope.entity_types.iter().map(|t| t.as_str()).collect();
        scope.push(format!("主体类型：{}", list.join("、")));
    }
    if !plan.scope.pools.is_empty() {
        scope.push(format!("专项名单：{}", plan.scope.pools.join("、")));
    }
    PublicPlan {
        id: plan.id.clone(),
        title: plan.title.clone(),
        kind: plan.kind,
        lead: plan.lead.clone(),
        lead_name: name(departments, &plan.lead),
        departments: plan
            .participants
            .iter()
            .map(|p| PublicParticipant {
                department: p.department.clone(),
                name: name(departments, &p.department),
                items: p
                    .items
                    .iter()
                    .map(|code| PublicItem {
                        code: code.clone(),
                        name: name(items, code),
                    })
                    .collect(),
            })
            .collect(),
        period_start: plan.period_start,
        period_end: plan.period_end,
        frequency: plan.frequency.clone(),
        sampling,
        scope,
        required_by_law: plan.required_by_law,
        version: plan.version,
    }
}

/// A plan's sampling rules in words, as published with the plan (e.g. `B层：2.00%`).
pub fn sampling(plan: &Plan) -> Vec<String> {
    plan.strata
        .iter()
        .map(|rule| {
            format!(
                "{}：{}",
                stratum_label(&rule.stratum),
                rule_amount(rule.rate_bp.map(u64::from), rule.count)
            )
        })
        .collect()
}

/// A stratum rule's amount in words: `2.00%`, `40 户`, or `0`.
pub fn rule_amount(rate_bp: Option<u64>, count: Option<u64>) -> String {
    match (rate_bp, count) {
        (Some(rate), _) => format!("{}.{:02}%", rate / 100, rate % 100),
        (None, Some(count)) => format!("{count} 户"),
        (None, None) => "0".to_owned(),
    }
}

/// A pending (committed or drawn, unpublished) round.
impl Snapshot {
    /// The pending round `id`.
    pub fn pending_round(&self, id: &str) -> Option<&PublicRound> {
        self.pending.iter().find(|r| r.id == id)
    }
}

/// How a stratum is named on public pages: its label as published in the plan.
pub fn stratum_label(stratum: &str) -> String {
    match stratum {
        "U" => "U层（未分层主体）".to_owned(),
        "N" => "N层（新设立主体）".to_owned(),
        other => format!("{other}层"),
    }
}

/// Lines `id<TAB>rest`, indexed by id for binary search.
struct Lines {
    text: String,
    starts: Vec<u32>,
}

impl Lines {
    fn new(text: String) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 20);
        let mut at = 0usize;
        for line in text.split_inclusive('\n') {
            if line.trim_end().contains('\t') {
                starts.push(u32::try_from(at).unwrap_or(u32::MAX));
            }
            at += line.len();
        }
        let mut lines = Self { text, starts };
        let mut starts = std::mem::take(&mut lines.starts);
        starts.sort_by(|a, b| lines.key(*a).cmp(lines.key(*b)));
        lines.starts = starts;
        lines
    }

    fn line(&self, start: u32) -> &str {
        let rest = self.text.get(start as usize..).unwrap_or_default();
        rest.split('\n').next().unwrap_or_default()
    }

    fn key(&self, start: u32) -> &str {
        let line = self.line(start);
        line.split_once('\t').map_or(line, |(id, _)| id)
    }

    /// What follows the tab on the line of `id`.
    fn find(&self, id: &str) -> Option<&str> {
        let at = self
            .starts
            .binary_search_by(|s| self.key(*s).cmp(id))
            .ok()?;
        let line = self.line(self.starts[at]);
        line.split_once('\t')
            .map(|(_, rest)| rest.trim_end_matches('\r'))
    }

    /// Each `rest` with how many lines carry it.
    fn tally(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for start in &self.starts {
            let line = self.line(*start);
            if let Some((_, rest)) = line.split_once('\t') {
                *counts.entry(rest.to_owned()).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// One plan entry of a round's record, without its frame.
pub struct EntryIndex {
    /// Entry id: the plan id, or `PLAN/DEPARTMENT` for a joint plan.
    pub entry: String,
    /// Plan id.
    pub plan: String,
    /// Department code.
    pub department: String,
    /// Rules per stratum.
    pub strata: Vec<draw::RecordStratum>,
    /// Selected ids, sorted. (No cut-offs: they are not published.)
    pub selected: Vec<String>,
}

/// A published round, ready for per-entity look-ups.
pub struct RoundIndex {
    /// The round.
    pub round: Round,
    /// How its seed follows from its secret and beacon.
    pub seed: SeedSteps,
    /// The round seed.
    pub round_seed: draw::RoundSeed,
    /// The record's plan entries, in record order.
    pub entries: Vec<EntryIndex>,
    /// The visits: subject and the plan entries that drew it, by subject.
    pub visits: Vec<(String, Vec<String>)>,
    frames: HashMap<String, Lines>,
    populations: HashMap<String, BTreeMap<String, u64>>,
    exclusions: HashMap<String, Lines>,
}

/// The seed's derivation, each hashed input shown in hex (spec §1).
#[derive(Debug, Clone, Serialize)]
pub struct SeedSteps {
    /// The published secret, hex.
    pub secret: String,
    /// `"jianguan-draw/v1/commit" ‖ 0x00 ‖ secret`, hex.
    pub commitment_input: String,
    /// Its SHA-256.
    pub commitment_computed: String,
    /// The commitment published before the draw.
    pub commitment_published: String,
    /// Whether they agree.
    pub commitment_matches: bool,
    /// The beacon as recorded.
    pub beacon: String,
    /// The beacon's UTF-8 bytes, hex.
    pub beacon_hex: String,
    /// SHA-256 of the beacon.
    pub beacon_sha256: String,
    /// `"jianguan-draw/v1/seed" ‖ 0x00 ‖ secret ‖ H(beacon)`, hex.
    pub seed_input: String,
    /// Its SHA-256: the round seed.
    pub seed_computed: String,
    /// The round seed in the record.
    pub seed_recorded: String,
    /// Whether they agree.
    pub seed_matches: bool,
}

impl SeedSteps {
    fn of(secret: &draw::Secret, record: &draw::Record) -> Self {
        let commitment = draw::to_hex(&secret.commitment());
        let seed_input = draw::seed_input(secret, &record.beacon);
        let seed = draw::to_hex(&draw::sha256(&[&seed_input]));
        let recorded = record.round_seed.to_string();
        Self {
            secret: secret.to_hex(),
            commitment_input: draw::to_hex(&draw::commitment_input(secret)),
            commitment_matches: commitment == record.commitment.to_string(),
            commitment_computed: commitment,
            commitment_published: record.commitment.to_string(),
            beacon: record.beacon.clone(),
            beacon_hex: draw::to_hex(record.beacon.as_bytes()),
            beacon_sha256: draw::to_hex(&draw::sha256(&[record.beacon.as_bytes()])),
            seed_input: draw::to_hex(&seed_input),
            seed_matches: seed == recorded,
            seed_computed: seed,
            seed_recorded: recorded,
        }
    }
}

fn refused(message: String) -> Error {
    Error::Conflict(message)
}

impl RoundIndex {
    async fn build(db: &Db, round: &Round) -> Result<Self> {
        if round.status != RoundStatus::Published {
            return Err(Error::NotFound(format!(
                "没有已公开的抽取批次 {}",
                round.id
            )));
        }
        let text = db
            .round_record(&round.id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("抽取批次 {} 没有抽取记录", round.id)))?;
        if round.record_digest.as_deref() != Some(ledger::digest(&text).as_str()) {
            return Err(refused(format!("抽取批次 {} 的记录与其摘要不符", round.id)));
        }
        let record: draw::Record = serde_json::from_str(&text).map_err(Error::internal)?;
        let secret_hex = round
            .secret
            .as_deref()
            .ok_or_else(|| refused(format!("抽取批次 {} 尚未公开密钥", round.id)))?;
        let secret = draw::Secret::from_hex(secret_hex).map_err(Error::internal)?;
        let seed = SeedSteps::of(&secret, &record);
        let mut frames = HashMap::new();
        let mut populations = HashMap::new();
        let mut exclusions = HashMap::new();
        for stored in db.round_frames(&round.id).await? {
            let frame = Lines::new(stored.frame);
            populations.insert(stored.plan.clone(), frame.tally());
            frames.insert(stored.plan.clone(), frame);
            exclusions.insert(stored.plan, Lines::new(stored.exclusions));
        }
        let entries = record
            .plans
            .into_iter()
            .map(|plan| {
                let mut selected: Vec<String> = plan.selected.into_iter().map(|s| s.id).collect();
                selected.sort();
                EntryIndex {
                    plan: Plan::id_of_entry(&plan.id).to_owned(),
                    entry: plan.id,
                    department: plan.department,
                    strata: plan.strata,
                    selected,
                }
            })
            .collect();
        let mut visits: Vec<(String, Vec<String>)> = record
            .visits
            .into_iter()
            .map(|v| (v.subject, v.plans))
            .collect();
        visits.sort();
        Ok(Self {
            round: round.clone(),
            seed,
            round_seed: draw::RoundSeed::from_bytes(record.round_seed.0),
            entries,
            visits,
            frames,
            populations,
            exclusions,
        })
    }

    /// Whether the frame of `plan` contains `id` (its stratum stays inside).
    pub fn in_frame(&self, plan: &str, id: &str) -> bool {
        self.frames
            .get(plan)
            .is_some_and(|frame| frame.find(id).is_some())
    }

    /// The strata of the frame of `plan` as the public view lists them
    /// (addendum §1): the rules' strata present in the frame in rule order,
    /// then the others in byte order, with `N_h` and `n_h`.
    pub fn public_strata(&self, entry: &EntryIndex) -> Vec<draw::PublicStratum> {
        let mut populations: BTreeMap<Vec<u8>, (String, u64)> = self
            .populations
            .get(&entry.plan)
            .map(|p| {
                p.iter()
                    .map(|(label, n)| (label.as_bytes().to_vec(), (label.clone(), *n)))
                    .collect()
            })
            .unwrap_or_default();
        let mut strata = Vec::with_capacity(populations.len());
        for rule in &entry.strata {
            if let Some((_, population)) = populations.remove(rule.stratum.as_bytes()) {
                let sample = rule
                    .to_rule()
                    .map_or(0, |r| r.allocation.sample_size(population));
                strata.push(draw::PublicStratum {
                    stratum: rule.stratum.clone(),
                    rate_bp: rule.rate_bp,
                    count: rule.count,
                    population,
                    sample,
                });
            }
        }
        strata.extend(
            populations
                .into_values()
                .map(|(stratum, population)| draw::PublicStratum {
                    stratum,
                    rate_bp: None,
                    count: None,
                    population,
                    sample: 0,
                }),
        );
        strata
    }

    /// The place of `id` in the frame of `plan` when the frame is ordered by
    /// `(prn, id)`, from 1; `None` if the frame does not hold it. Anyone can
    /// compute it from the public view (`frame_ids` and the seed).
    pub fn frame_rank(&self, plan: &str, id: &str) -> Option<u64> {
        let frame = self.frames.get(plan)?;
        frame.find(id)?;
        let own = (self.round_seed.prn(id.as_bytes()), id);
        let before = frame
            .starts
            .iter()
            .map(|start| frame.key(*start))
            .filter(|other| (self.round_seed.prn(other.as_bytes()), *other) < own)
            .count();
        Some(before as u64 + 1)
    }

    /// Frame size of `plan`.
    pub fn frame_size(&self, plan: &str) -> u64 {
        self.populations.get(plan).map_or(0, |p| p.values().sum())
    }

    /// The stored exclusion rules of `id` in `plan` (`code=fact;…`), if excluded.
    pub fn exclusion(&self, plan: &str, id: &str) -> Option<service::eligibility::Exclusion> {
        let rules = self.exclusions.get(plan)?.find(id)?;
        service::eligibility::find_exclusion(&format!("{id}\t{rules}"), id)
    }
}

/// The outcome of checking a published round: the public view with checks 1–5
/// of the addendum (their deviations name no stratum), and the full recomputation
/// of the record (`draw::verify`), of which only the count is public because its
/// messages name strata.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// No deviation in either check.
    pub conforms: bool,
    /// The public view's checks that ran, in words.
    pub checks: Vec<String>,
    /// The public view's deviations (at most [`Verdict::SHOWN`]).
    pub deviations: Vec<String>,
    /// How many deviations the public view has in all.
    pub deviation_count: usize,
    /// Whether the full record (with strata) recomputes exactly.
    pub full_record_conforms: bool,
    /// How many deviations the full recomputation found (details to auditors only).
    pub full_record_deviations: usize,
    /// Plan entries checked.
    pub plans: usize,
    /// Frame rows recomputed.
    pub frame_rows: usize,
    /// SHA-256 of the full record's exported bytes, recomputed now (the
    /// public view's `full_record_sha256`).
    pub full_record_sha256: String,
}

impl Verdict {
    /// Deviations listed at most.
    pub const SHOWN: usize = 50;

    async fn compute(db: &Db, round: &str) -> Result<Self> {
        let record = service::rounds::export(db, round).await?;
        tokio::task::spawn_blocking(move || {
            let (view, bytes) = service::rounds::public_view(&record)?;
            let report = draw::verify_public(&view, Some((&record, &bytes)));
            let full = draw::verify(&record);
            Ok(Self {
                conforms: report.deviations.is_empty() && full.is_empty(),
                checks: report.checks.iter().map(ToString::to_string).collect(),
                deviation_count: report.deviations.len(),
                deviations: report
                    .deviations
                    .iter()
                    .take(Self::SHOWN)
                    .map(ToString::to_string)
                    .collect(),
                full_record_conforms: full.is_empty(),
                full_record_deviations: full.len(),
                plans: record.plans.len(),
                frame_rows: record.plans.iter().map(|p| p.frame.len()).sum(),
                full_record_sha256: view.full_record_sha256.to_string(),
            })
        })
        .await
        .map_err(Error::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_are_found_by_id_in_any_order() {
        let lines = Lines::new("B2\tC\nA1\tB\nC3\tB\n\nD4\tstatus=注销;class_a=\n".to_owned());
        assert_eq!(lines.find("A1"), Some("B"));
        assert_eq!(lines.find("B2"), Some("C"));
        assert_eq!(lines.find("D4"), Some("status=注销;class_a="));
        assert_eq!(lines.find("A"), None);
        assert_eq!(lines.find("E5"), None);
        let tally = lines.tally();
        assert_eq!(tally.get("B"), Some(&2));
        assert_eq!(tally.get("C"), Some(&1));
        assert!(Lines::new(String::new()).find("A1").is_none());
    }
}
