//! The public portal (公示平台) at `/gongshi`: no login. It shows only what is
//! published: published plans, published results, the commitments of rounds
//! not yet drawn or published, the public views of published draw records
//! (`spec/draw-v1-public-view.md`) and the verification page. Never a risk
//! class or a stratum of an entity, never a cut-off, never a seed before publication.
//!
//! Everything it shows comes from [`crate::portal`] and its cache (in
//! [`AppState`]), which the JSON API (`api/public.rs`) uses too.

pub mod credit;
pub mod ledger;
pub mod licences;
pub mod penalties;
pub mod services;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::portal::cache::{self, PublicPlan, PublicResult, PublicRound, Verdict};
use crate::portal::check::EntityCheck;
use crate::portal::{
    CommittedPlan, EntrySummary, NamedEntity, RESULTS_PER_PAGE, entities_named, entity_check,
    entity_name, entry_summaries, pending_round, public_view_bytes, published_plan,
};

use super::AppState;
use super::auth::MaybeUser;
use super::error::{Error, Result};
use super::pages::{Chrome, render, url_encode};
pub use super::query::{SearchQuery, page_number};
use domain::inspection::Round;

/// Drawn entities per page of a round.
const VISITS_PER_PAGE: usize = 100;

/// The portal's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/gongshi", get(index))
        .route("/gongshi/plans", get(plans))
        .route("/gongshi/plans/{id}", get(plan))
        .route("/gongshi/results", get(results))
        .route("/gongshi/rounds", get(rounds))
        .route("/gongshi/rounds/{id}", get(round))
        .route("/gongshi/rounds/{id}/record.json", get(record_download))
        .route("/gongshi/verify", get(verify))
        .merge(credit::routes())
        .merge(ledger::routes())
        .merge(penalties::routes())
        .merge(licences::routes())
        .merge(services::routes())
}

#[derive(Template)]
#[template(path = "public/index.html")]
struct Index {
    chrome: Chrome,
    plans: usize,
    rounds: Vec<Round>,
    results: usize,
}

async fn index(State(state): State<Arc<AppState>>, viewer: MaybeUser) -> Result<Html<String>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    render(&Index {
        chrome: Chrome::public(&viewer, "公示平台"),
        plans: snapshot.plans.len(),
        rounds: snapshot.rounds.clone(),
        results: snapshot.results.len(),
    })
}

#[derive(Template)]
#[template(path = "public/plans.html")]
struct Plans {
    chrome: Chrome,
    plans: Vec<PublicPlan>,
}

async fn plans(State(state): State<Arc<AppState>>, viewer: MaybeUser) -> Result<Html<String>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    render(&Plans {
        chrome: Chrome::public(&viewer, "抽查计划公示"),
        plans: snapshot.plans.clone(),
    })
}

#[derive(Template)]
#[template(path = "public/plan.html")]
struct PlanPage {
    chrome: Chrome,
    plan: PublicPlan,
    rounds: Vec<Round>,
}

async fn plan(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    let plan = published_plan(&snapshot, &id)?;
    let rounds = snapshot
        .rounds
        .iter()
        .filter(|r| r.plans.contains_key(&plan.id))
        .cloned()
        .collect();
    render(&PlanPage {
        chrome: Chrome::public(&viewer, format!("抽查计划 {}", plan.id)),
        plan,
        rounds,
    })
}

#[derive(Template)]
#[template(path = "public/results.html")]
struct Results {
    chrome: Chrome,
    q: String,
    total: usize,
    page: usize,
    pages: usize,
    results: Vec<PublicResult>,
    previous: Option<String>,
    next: Option<String>,
}

async fn results(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Query(query): Query<SearchQuery>,
) -> Result<Html<String>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    let found = snapshot.search(
        &query.q,
        page_number(query.page.as_deref()),
        RESULTS_PER_PAGE,
    );
    let link = |page: usize| {
        format!(
            "/gongshi/results?q={}&page={page}",
            url_encode(query.q.trim())
        )
    };
    render(&Results {
        chrome: Chrome::public(&viewer, "检查结果公示"),
        q: query.q.trim().to_owned(),
        total: found.total,
        page: found.page,
        pages: found.pages,
        previous: (found.page > 1).then(|| link(found.page - 1)),
        next: (found.page < found.pages).then(|| link(found.page + 1)),
        results: found.items.into_iter().cloned().collect(),
    })
}

#[derive(Template)]
#[template(path = "public/rounds.html")]
struct Rounds {
    chrome: Chrome,
    rounds: Vec<PublicRound>,
    pending: Vec<PublicRound>,
}

async fn rounds(State(state): State<Arc<AppState>>, viewer: MaybeUser) -> Result<Html<String>> {
    let snapshot = state.public.snapshot(&state.db).await?;
    render(&Rounds {
        chrome: Chrome::public(&viewer, "抽取记录公开"),
        rounds: snapshot.rounds.iter().map(PublicRound::of).collect(),
        pending: snapshot.pending.clone(),
    })
}

/// A drawn entity on a round's page.
struct DrawnRow {
    entity: String,
    name: String,
    plans: String,
}

#[derive(Template)]
#[template(path = "public/round.html")]
struct RoundPage {
    chrome: Chrome,
    round: PublicRound,
    seed: cache::SeedSteps,
    entries: Vec<EntrySummary>,
    verdict: Arc<Verdict>,
    drawn: Vec<DrawnRow>,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "public/round_committed.html")]
struct CommittedPage {
    chrome: Chrome,
    round: PublicRound,
    plans: Vec<CommittedPlan>,
}

async fn round(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    if let Some((round, plans)) = pending_round(&state, &id).await? {
        return Ok(render(&CommittedPage {
            chrome: Chrome::public(
                &viewer,
                format!("抽取批次 {}（{}）", round.id, round.status),
            ),
            round,
            plans,
        })?
        .into_response());
    }
    let (snapshot, round) = state.public.published_round(&state.db, &id).await?;
    let index = state.public.round_index(&state.db, &round).await?;
    let verdict = state.public.verdict(&state.db, &round.id).await?;
    let pages = index.visits.len().div_ceil(VISITS_PER_PAGE).max(1);
    let page = page_number(query.page.as_deref()).clamp(1, pages);
    let mut drawn = Vec::new();
    for (entity, plans) in index
        .visits
        .iter()
        .skip((page - 1) * VISITS_PER_PAGE)
        .take(VISITS_PER_PAGE)
    {
        drawn.push(DrawnRow {
            name: entity_name(&state, entity).await?.unwrap_or_default(),
            entity: entity.clone(),
            plans: plans.join("、"),
        });
    }
    let link = |page: usize| format!("/gongshi/rounds/{}?page={page}", url_encode(&round.id));
    render(&RoundPage {
        chrome: Chrome::public(&viewer, format!("抽取批次 {}", round.id)),
        round: PublicRound::of(&round),
        seed: index.seed.clone(),
        entries: entry_summaries(&index, &snapshot),
        verdict,
        drawn,
        page,
        pages,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    })
    .map(IntoResponse::into_response)
}

async fn record_download(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response> {
    let bytes = public_view_bytes(&state, &id).await?;
    Ok(crate::export::round_json_download(&id, "public", bytes))
}

#[derive(Debug, Deserialize)]
struct VerifyQuery {
    round: Option<String>,
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "public/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    rounds: Vec<Round>,
    round: String,
    code: String,
    error: String,
    check: Option<EntityCheck>,
    /// Entities of the round's frames whose name matched, to choose from.
    choices: Vec<NamedEntity>,
}

/// Whether a look-up reads as a name (it has a character a code never has)
/// rather than a 统一社会信用代码.
fn reads_as_name(text: &str) -> bool {
    !text.is_ascii()
}

async fn verify(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Query(query): Query<VerifyQuery>,
) -> Result<Response> {
    let snapshot = state.public.snapshot(&state.db).await?;
    let round = query
        .round
        .clone()
        .filter(|r| !r.is_empty())
        .or_else(|| snapshot.rounds.first().map(|r| r.id.clone()))
        .unwrap_or_default();
    let code = query.code.clone().unwrap_or_default().trim().to_owned();
    let mut page = VerifyPage {
        chrome: Chrome::public(&viewer, "抽取结果验证"),
        rounds: snapshot.rounds.clone(),
        round: round.clone(),
        code: code.clone(),
        error: String::new(),
        check: None,
        choices: Vec::new(),
    };
    if query.code.is_none() {
        return Ok(render(&page)?.into_response());
    }
    let code = if reads_as_name(&code) {
        let mut found = match entities_named(&state, &round, &code).await {
            Ok(found) => found,
            Err(error @ Error::NotFound(_)) => {
                page.error = error.to_string();
                return Ok((error.status(), render(&page)?).into_response());
            }
            Err(error) => return Err(error),
        };
        match found.len() {
            0 => {
                page.error = format!(
                    "批次 {round} 的抽取名录中没有名称含“{}”的主体。请核对名称，或输入18位统一社会信用代码。",
                    code.chars().take(40).collect::<String>()
                );
                return Ok((axum::http::StatusCode::BAD_REQUEST, render(&page)?).into_response());
            }
            1 => found.remove(0).entity,
            _ => {
                page.choices = found;
                return Ok(render(&page)?.into_response());
            }
        }
    } else {
        code
    };
    match entity_check(&state, &round, &code).await {
        Ok(found) => {
            page.check = Some(found);
            Ok(render(&page)?.into_response())
        }
        Err(error @ (Error::BadRequest(_) | Error::NotFound(_))) => {
            page.error = error.to_string();
            Ok((error.status(), render(&page)?).into_response())
        }
        Err(error) => Err(error),
    }
}
