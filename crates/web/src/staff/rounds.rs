//! 抽查批次 (/rounds): list, commit form, the witness screen (commitment,
//! witnesses and beacon, the draw as a background job), the round page with
//! its selections per plan, publication, and the visits with paging. The
//! checks live in the `pub(crate)` functions, shared with the JSON API.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::flash::Done;
use crate::ops::names::Names;
use crate::ops::plans::FormPairs;
use crate::ops::results::enters_results;
use crate::ops::rounds::{
    CommitFields, DrawFields, VisitQuery, all_rounds, commit, full_record, publish,
    reads_full_record, round, start_draw, visit_page, visit_visible,
};
use crate::pages::{Chrome, render, url_encode};
use crate::steps;
use domain::account::Permission;
use domain::inspection::{Round, RoundStatus, Visit};
use domain::plan::Plan;
use service::{self, rounds};
use storage::WorkflowStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/rounds", get(index).post(commit_from_form))
        .route("/rounds/{id}", get(show))
        .route("/rounds/{id}/draw", post(draw_from_form))
        .route("/rounds/{id}/publish", post(publish_from_form))
        .route("/rounds/{id}/visits", get(visits))
        .route("/rounds/{id}/witness-record", get(witness_record))
        .route("/rounds/{id}/record.json", get(full_record_download))
}

// ---- pages ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/rounds.html")]
struct Index {
    chrome: Chrome,
    rounds: Vec<Round>,
    may_run: bool,
    drawable: Vec<Plan>,
}

async fn index(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    let mut rounds = all_rounds(&state).await?;
    rounds.reverse();
    let may_run = user.account().may(Permission::RunRounds);
    let drawable = if may_run {
        state
            .db
            .list::<Plan>(None)
            .await?
            .into_iter()
            .filter(|p| p.status.drawable())
            .collect()
    } else {
        Vec::new()
    };
    render(&Index {
        chrome: Chrome::staff(&user, "抽查批次", "/rounds"),
        rounds,
        may_run,
        drawable,
    })
}

/// Reads a number that may be left empty.
fn optional_number(text: &str, label: &str) -> Result<Option<u32>> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| Error::BadRequest(format!("{label}应为整数（收到 “{text}”）"))),
    }
}

async fn commit_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    body: String,
) -> Result<Redirect> {
    let form = FormPairs::parse(&body);
    let fields = CommitFields {
        id: form.get("id").to_owned(),
        title: form.get("title").to_owned(),
        window_start: form.date("window_start", "窗口开始日期")?,
        window_end: form.date("window_end", "窗口结束日期")?,
        cap: optional_number(form.get("cap"), "每人任务上限")?,
        plans: form.all("plans"),
    };
    let round = commit(&state, &user, fields).await?;
    Ok(Redirect::to(&format!("/rounds/{}", url_encode(&round.id))))
}

/// How many visits each plan of the round drew.
struct PlanCount {
    plan: String,
    version: u32,
    visits: usize,
}

#[derive(Template)]
#[template(path = "staff/rounds_show.html")]
struct Show {
    chrome: Chrome,
    round: Round,
    plans: Vec<PlanCount>,
    job: Option<u64>,
    may_run: bool,
    visible_visits: usize,
    /// Whether the draw committed, in words.
    draw_state: String,
    /// Whether the viewer may download the full record (published rounds only).
    full_record: bool,
    /// Whether this process is drawing the round now: no form, the page polls.
    drawing: bool,
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    #[serde(default)]
    job: Option<u64>,
}

async fn show(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    let visits = state.db.list::<Visit>(Some(("round", &id))).await?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for plan in visits.iter().flat_map(|v| v.plans.iter()) {
        *counts.entry(plan.as_str()).or_default() += 1;
    }
    let plans = round
        .plans
        .iter()
        .map(|(plan, version)| PlanCount {
            visits: counts.get(plan.as_str()).copied().unwrap_or(0),
            plan: plan.clone(),
            version: *version,
        })
        .collect();
    let published = round.status == RoundStatus::Published;
    let visible_visits = visits
        .iter()
        .filter(|v| visit_visible(user.account(), v, published))
        .count();
    render(&Show {
        chrome: Chrome::staff(&user, format!("批次 {}", round.id), "/rounds"),
        draw_state: rounds::draw_state(&round),
        full_record: published && reads_full_record(user.account()),
        drawing: round.status == RoundStatus::Committed && state.drawing.contains(&round.id),
        may_run: user.account().may(Permission::RunRounds),
        round,
        plans,
        job: query.job,
        visible_visits,
    })
}

async fn full_record_download(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response> {
    let bytes = full_record(&state, &user, &id).await?;
    Ok(crate::export::round_json_download(&id, "full", bytes))
}

async fn draw_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    let form = FormPairs::parse(&body);
    if !steps::confirmed(&form) {
        user.require(Permission::RunRounds)?;
        let text = format!(
            "现在抽取批次 {id}？信标：{}。抽取一经进行不能重做，请见证人先核对信标与见证人名单。",
            form.get("beacon")
        );
        let question = steps::Question {
            title: "确认抽取",
            text: &text,
            button: "确认抽取",
            back: &format!("/rounds/{}", url_encode(&id)),
        };
        let action = format!("/rounds/{}/draw", url_encode(&id));
        return steps::ask(&user, &question, &action, &form);
    }
    let fields = DrawFields {
        beacon: form.get("beacon").to_owned(),
        witnesses: rounds::witness_lines(form.get("witnesses")),
    };
    let job = start_draw(&state, &user, &id, fields).await?;
    Ok(Redirect::to(&format!("/rounds/{}?job={job}", url_encode(&id))).into_response())
}

/// 公示 of a round's secret and record, only with the confirmation (see [`crate::steps`]).
async fn publish_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    publish_step(&state, &user, &id, &body).await
}

async fn publish_step(state: &AppState, user: &User, id: &str, body: &str) -> Result<Response> {
    let form = FormPairs::parse(body);
    let back = format!("/rounds/{}", url_encode(id));
    if !steps::confirmed(&form) {
        user.require(Permission::RunRounds)?;
        let text =
            format!("公开批次 {id} 的秘密与抽取记录？公开后任何人都可复核抽取结果，不能撤回。");
        let question = steps::Question {
            title: "确认公开抽取记录",
            text: &text,
            button: "确认公开",
            back: &back,
        };
        return steps::ask(user, &question, &format!("{back}/publish"), &form);
    }
    let round = publish(state, user, id).await?;
    steps::done(&back, Done::RoundPublished, &round.id)
}

/// A team as a row shows it: the department, its inspectors' certificates
/// (none when unstaffed) and whether it is staffed.
struct TeamRow {
    department: String,
    assigned: Vec<String>,
    staffed: bool,
}

/// One plan of a round on the witness record.
struct WitnessedPlan {
    plan: String,
    title: String,
    version: u32,
    frame_digest: String,
}

#[derive(Template)]
#[template(path = "staff/rounds_witness_record.html")]
struct WitnessRecord {
    chrome: Chrome,
    round: Round,
    plans: Vec<WitnessedPlan>,
    printed_at: String,
}

/// The 抽取见证记录 to print and sign: commitment, frame digests, beacon,
/// witnesses, counts and the SHA-256 of the full record; never the seed.
async fn witness_record(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    if round.status == RoundStatus::Committed {
        return Err(Error::Conflict(format!(
            "批次 {id} 尚未抽取：见证记录在抽取完成后打印"
        )));
    }
    let mut plans = Vec::new();
    for (plan, version) in &round.plans {
        let title = state
            .db
            .get::<Plan>(plan)
            .await?
            .map(|p| p.title.clone())
            .unwrap_or_default();
        plans.push(WitnessedPlan {
            plan: plan.clone(),
            title,
            version: *version,
            frame_digest: round.frame_digests.get(plan).cloned().unwrap_or_default(),
        });
    }
    render(&WitnessRecord {
        chrome: Chrome::staff(&user, format!("抽取见证记录 {}", round.id), "/rounds"),
        // The seed is never printed here, published or not: the record is signed before publication.
        round: Round {
            round_seed: None,
            secret: None,
            ..round
        },
        plans,
        printed_at: service::now().format("%Y-%m-%d %H:%M").to_string(),
    })
}

/// A visit as a row: its teams, and whether the viewer may enter its results.
struct VisitRow {
    visit: Visit,
    teams: Vec<TeamRow>,
    may_enter: bool,
}

#[derive(Template)]
#[template(path = "staff/rounds_visits.html")]
struct Visits {
    chrome: Chrome,
    round: Round,
    rows: Vec<VisitRow>,
    names: Names,
    total: usize,
    page: usize,
    pages: usize,
    plan: String,
}

async fn visits(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Query(query): Query<VisitQuery>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    let plan = query.plan.unwrap_or_default();
    let page = visit_page(
        &state,
        &user,
        &id,
        query.page.unwrap_or(1),
        Some(plan.as_str()).filter(|p| !p.is_empty()),
    )
    .await?;
    let entities: Vec<&str> = page.visits.iter().map(|v| v.entity.as_str()).collect();
    let inspectors: Vec<&str> = page
        .visits
        .iter()
        .flat_map(|v| &v.teams)
        .flat_map(|t| &t.assigned)
        .map(String::as_str)
        .collect();
    let names = Names::load(&state, &entities, &inspectors).await?;
    let rows = page
        .visits
        .into_iter()
        .map(|visit| VisitRow {
            teams: visit
                .teams
                .iter()
                .map(|t| TeamRow {
                    department: t.department.clone(),
                    assigned: t.assigned.clone(),
                    staffed: !(t.unstaffed && t.assigned.is_empty()),
                })
                .collect(),
            may_enter: enters_results(&user, &visit),
            visit,
        })
        .collect();
    render(&Visits {
        chrome: Chrome::staff(&user, format!("批次 {} 检查任务", round.id), "/rounds"),
        round,
        rows,
        names,
        total: page.total,
        page: page.page,
        pages: page.pages,
        plan,
    })
}
