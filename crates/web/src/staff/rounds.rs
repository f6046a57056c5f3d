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
use crate::ops::plans::{FormPairs, split_list};
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
        witnesses: split_list(form.get("witnesses")),
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
) -> Response {
    let outcome = publish_step(&state, &user, &id, &body).await;
    steps::answer(&user, &format!("批次 {id}"), outcome)
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

/// A visit as a row: its teams in words.
struct VisitRow {
    visit: Visit,
    teams: Vec<(String, String, bool)>,
    may_enter: bool,
}

#[derive(Template)]
#[template(path = "staff/rounds_visits.html")]
struct Visits {
    chrome: Chrome,
    round: Round,
    rows: Vec<VisitRow>,
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
    let account = user.account();
    let rows = page
        .visits
        .into_iter()
        .map(|visit| VisitRow {
            teams: visit
                .teams
                .iter()
                .map(|t| {
                    let staffed = !(t.unstaffed && t.assigned.is_empty());
                    let who = if staffed {
                        t.assigned.join("、")
                    } else {
                        "未配齐".to_owned()
                    };
                    (t.department.clone(), who, staffed)
                })
                .collect(),
            may_enter: visit
                .teams
                .iter()
                .any(|t| account.may_in(Permission::EnterResults, &t.department)),
            visit,
        })
        .collect();
    render(&Visits {
        chrome: Chrome::staff(&user, format!("批次 {} 检查任务", round.id), "/rounds"),
        round,
        rows,
        total: page.total,
        page: page.page,
        pages: page.pages,
        plan,
    })
}
