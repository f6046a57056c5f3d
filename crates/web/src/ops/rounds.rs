//! Draw rounds as the staff pages and the API both do it: committing, drawing,
//! publishing, the full record and the visits.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::jobs;
use crate::ops::lists::{Filters, PER_PAGE, offset, page_number};
use crate::text::url_encode;
use domain::account::{Account, Permission};
use domain::inspection::{EligibilityRules, Round, RoundStatus, Visit};
use service::{self, rounds};
use storage::{DocQuery, WorkflowStore, json_fragment};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct VisitQuery {
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// Only the visits of this plan.
    #[serde(default)]
    pub plan: Option<String>,
    /// Only the visits to which this department sends a team.
    #[serde(default)]
    pub department: Option<String>,
    /// Part of the entity's name or code, or of the visit's id.
    #[serde(default)]
    pub q: Option<String>,
}

impl VisitQuery {
    /// The filters, for page links and the export form.
    pub(crate) fn filters(&self) -> Filters {
        Filters::default()
            .with("q", self.q.as_deref().unwrap_or(""))
            .with("plan", self.plan.as_deref().unwrap_or(""))
            .with("department", self.department.as_deref().unwrap_or(""))
    }
}

/// Whether the account sees the visit. Before publication only a department
/// sending a team to it does, whatever the account's role: who is drawn stays
/// within each department until the record is public. After publication,
/// readers of every department too.
pub(crate) fn visit_visible(account: &Account, visit: &Visit, round_published: bool) -> bool {
    (round_published && account.reads_all())
        || visit
            .teams
            .iter()
            .any(|team| account.department.as_deref() == Some(team.department.as_str()))
}

/// A round as any page or API shows it: before publication without its seed
/// and secret (the CLI operator alone still reads them), so nobody can foresee
/// the draw from the seed and the directory.
pub(crate) fn sealed(mut round: Round) -> Round {
    if round.status != RoundStatus::Published {
        round.round_seed = None;
        round.secret = None;
    }
    round
}

/// A round; rounds are city-wide, every logged-in account sees them, sealed
/// until published ([`sealed`]).
pub(crate) async fn round(state: &AppState, id: &str) -> Result<Round> {
    state
        .db
        .get::<Round>(id)
        .await?
        .map(sealed)
        .ok_or_else(|| Error::NotFound(format!("抽取批次 {id} 不存在")))
}

/// Every round, sealed ([`sealed`]).
pub(crate) async fn all_rounds(state: &AppState) -> Result<Vec<Round>> {
    Ok(service::rounds::inspection_rounds(&state.db)
        .await?
        .into_iter()
        .map(sealed)
        .collect())
}

/// Whether the account may read a published round's full record (spec §7,
/// with every subject's stratum): the auditors, that is the Justice Bureau's
/// supervisors and the system administrator ([`Permission::AuditLedger`]).
/// Departments and the public get the public view.
pub(crate) fn reads_full_record(account: &Account) -> bool {
    account.may(Permission::AuditLedger)
}

/// A published round's full record as `jianguan rounds export` writes it, for
/// [`reads_full_record`] accounts only; before publication, for nobody here.
pub(crate) async fn full_record(state: &AppState, user: &User, id: &str) -> Result<Vec<u8>> {
    if !reads_full_record(user.account()) {
        return Err(Error::Forbidden);
    }
    let round = round(state, id).await?;
    if round.status != RoundStatus::Published {
        return Err(Error::NotFound(format!(
            "抽取批次 {id} 尚未公开，完整记录只能由命令行导出"
        )));
    }
    let record = rounds::export(&state.db, id).await?;
    tokio::task::spawn_blocking(move || rounds::record_bytes(&record))
        .await
        .map_err(Error::internal)?
        .map_err(Error::from)
}

/// What a commit asks for (the form and the API).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct CommitFields {
    /// Round id, e.g. `2026-Q2`.
    pub id: String,
    /// Title (defaults to the id).
    #[serde(default)]
    pub title: String,
    /// First day of the window.
    pub window_start: NaiveDate,
    /// Last day.
    pub window_end: NaiveDate,
    /// Load cap per inspector.
    #[serde(default)]
    pub cap: Option<u32>,
    /// Plan ids; empty: every drawable plan of the window not yet drawn.
    #[serde(default)]
    pub plans: Vec<String>,
}

/// Commits a round with a fresh secret from the operating system
/// ([`Permission::RunRounds`]).
pub(crate) async fn commit(state: &AppState, user: &User, fields: CommitFields) -> Result<Round> {
    user.require(Permission::RunRounds)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::internal(anyhow::anyhow!("no system randomness: {e}")))?;
    let request = rounds::CommitRequest {
        title: if fields.title.trim().is_empty() {
            fields.id.clone()
        } else {
            fields.title.trim().to_owned()
        },
        id: fields.id,
        window_start: fields.window_start,
        window_end: fields.window_end,
        cap: fields.cap,
        plans: (!fields.plans.is_empty()).then_some(fields.plans),
    };
    Ok(sealed(
        rounds::commit(
            &state.db,
            &request,
            &EligibilityRules::default(),
            &draw::Secret::from_bytes(bytes),
            service::now(),
            &user.actor(),
        )
        .await?,
    ))
}

/// What a draw needs: the beacon and who witnessed it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DrawFields {
    /// The public value typed in (e.g. a closing index or lottery number).
    pub beacon: String,
    /// Witnesses, each exactly as typed (`市司法局 王明` is one witness).
    #[serde(default)]
    pub witnesses: Vec<String>,
}

/// The rounds this server is drawing now, so that a double click does not
/// draw twice and the draw screen can say 正在抽取 (one per [`AppState`]).
#[derive(Default)]
pub struct Drawing(Arc<Mutex<HashSet<String>>>);

impl Drawing {
    /// Whether round `id` is being drawn now.
    pub fn contains(&self, id: &str) -> bool {
        lock_set(&self.0).contains(id)
    }
}

fn lock_set(set: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    set.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Marks a round as being drawn for as long as the guard lives.
pub(crate) struct DrawGuard {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl DrawGuard {
    /// Marks `id` as being drawn; refused while another draw of it runs.
    pub(crate) fn take(drawing: &Drawing, id: &str) -> Result<Self> {
        if !lock_set(&drawing.0).insert(id.to_owned()) {
            return Err(Error::Conflict(format!("批次 {id} 正在抽取，请稍候")));
        }
        Ok(Self {
            set: drawing.0.clone(),
            id: id.to_owned(),
        })
    }
}

impl Drop for DrawGuard {
    fn drop(&mut self) {
        lock_set(&self.set).remove(&self.id);
    }
}

/// Checks that the user may draw round `id` now, with these fields.
async fn check_draw(
    state: &AppState,
    user: &User,
    id: &str,
    fields: &mut DrawFields,
) -> Result<Round> {
    user.require(Permission::RunRounds)?;
    fields.witnesses = rounds::witness_list(&fields.witnesses);
    let round = round(state, id).await?;
    if round.status != RoundStatus::Committed {
        return Err(Error::Conflict(format!(
            "批次 {id} 当前为“{}”，只有已承诺的批次可以抽取",
            round.status
        )));
    }
    if fields.beacon.trim().is_empty() {
        return Err(Error::BadRequest("请填写公开随机数（信标）".into()));
    }
    if fields.witnesses.is_empty() {
        return Err(Error::BadRequest("请填写至少一名见证人".into()));
    }
    Ok(round)
}

/// Draws a round now ([`Permission::RunRounds`]).
pub(crate) async fn draw_now(
    state: &AppState,
    user: &User,
    id: &str,
    fields: &DrawFields,
) -> Result<Round> {
    let mut fields = fields.clone();
    check_draw(state, user, id, &mut fields).await?;
    let _guard = DrawGuard::take(&state.drawing, id)?;
    let at = service::now();
    Ok(sealed(
        rounds::draw(
            &state.db,
            id,
            &fields.beacon,
            &fields.witnesses,
            at,
            &user.actor(),
        )
        .await?,
    ))
}

/// Starts the draw of a round as a background job; returns the job id.
pub(crate) async fn start_draw(
    state: &Arc<AppState>,
    user: &User,
    id: &str,
    mut fields: DrawFields,
) -> Result<u64> {
    check_draw(state, user, id, &mut fields).await?;
    let guard = DrawGuard::take(&state.drawing, id)?;
    let job = state
        .jobs
        .start(&format!("抽取批次 {id}"), &user.account().username);
    // Coarse progress: started (1/3), drawing (2/3), done.
    state.jobs.progress(job, 1, 3);
    let (task_state, actor, id) = (state.clone(), user.actor(), id.to_owned());
    jobs::spawn(state, job, async move {
        let _guard = guard;
        task_state.jobs.progress(job, 2, 3);
        let round = rounds::draw(
            &task_state.db,
            &id,
            &fields.beacon,
            &fields.witnesses,
            service::now(),
            &actor,
        )
        .await?;
        task_state.jobs.progress(job, 3, 3);
        Ok((
            format!(
                "抽中 {} 条，生成检查任务 {} 个，未配齐检查组 {} 个",
                round.selections, round.visits, round.unstaffed
            ),
            Some((
                format!("/rounds/{}", url_encode(&round.id)),
                "查看抽取结果".to_owned(),
            )),
        ))
    });
    Ok(job)
}

/// Publishes a drawn round: releases the secret ([`Permission::RunRounds`]).
pub(crate) async fn publish(state: &AppState, user: &User, id: &str) -> Result<Round> {
    user.require(Permission::RunRounds)?;
    Ok(rounds::publish(&state.db, id, service::now(), &user.actor()).await?)
}

/// One page of a round's visits the user sees.
#[derive(Debug, Serialize)]
pub(crate) struct VisitPage {
    /// Visits the user sees in all (with the filters).
    pub total: u64,
    /// Page number, from 1.
    pub page: u64,
    /// Pages in all.
    pub pages: u64,
    /// This page's visits.
    pub visits: Vec<Visit>,
}

/// The SQL conditions of the visits of round `id` the user sees
/// ([`visit_visible`]) with the query's filters.
pub(crate) async fn visit_conditions(
    state: &AppState,
    user: &User,
    id: &str,
    query: &VisitQuery,
) -> Result<DocQuery> {
    let published = round(state, id).await?.status == RoundStatus::Published;
    let team = |department: &str| vec![json_fragment("department", department)];
    let mut conditions = DocQuery {
        equal: vec![("round", id.to_owned())],
        search: query.q.clone().unwrap_or_default(),
        ..DocQuery::default()
    };
    if !(published && user.account().reads_all()) {
        // No department: an empty group, which matches nothing.
        conditions.contains.push(
            user.account()
                .department
                .as_deref()
                .map(team)
                .unwrap_or_default(),
        );
    }
    if let Some(department) = query
        .department
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        conditions.contains.push(team(department));
    }
    if let Some(plan) = query
        .plan
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        conditions
            .contains
            .push(vec![serde_json::to_string(plan).map_err(Error::internal)?]);
    }
    Ok(conditions)
}

/// The visits of a round the user sees, one page of [`PER_PAGE`], filtered:
/// searched and paged in SQL.
pub(crate) async fn visit_page(
    state: &AppState,
    user: &User,
    id: &str,
    query: &VisitQuery,
) -> Result<VisitPage> {
    let page = page_number(query.page);
    let mut conditions = visit_conditions(state, user, id, query).await?;
    conditions.offset = offset(page);
    conditions.limit = PER_PAGE;
    let found = state.db.page::<Visit>(&conditions).await?;
    Ok(VisitPage {
        total: found.total,
        page,
        pages: found.total.div_ceil(u64::from(PER_PAGE)).max(1),
        visits: found.rows,
    })
}
