//! 告知承诺 核查 (/services/verification): the monthly samplings drawn with
//! `jianguan-draw/v1` (`jianguan services verification`), their selected
//! applications, and the results entry: 不实 asks for confirmation first,
//! then revokes the approval and lists the applicant as 虚假承诺.
//!
//! The credit office commits a month's sampling from the list page and draws
//! it on the sampling's page with the shared witness form
//! (templates/staff/witness_form.html, as rounds and reviews), confirmed,
//! as a background job.
//!
//! Who: the credit office ([`Permission::ManageCredit`]), which keeps the lists.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::flash::Done;
use crate::jobs;
use crate::ops::plans::FormPairs;
use crate::ops::rounds::DrawGuard;
use crate::pages::{Chrome, render, url_encode};
use crate::steps;
use domain::account::Permission;
use domain::inspection::RoundStatus;
use domain::services::VerificationOutcome;
use service::Refusal;
use service::rounds::draw_state;
use service::verification as hc;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/services/verification", get(list_page).post(commit_page))
        .route("/services/verification/{id}", get(show_page))
        .route("/services/verification/{id}/draw", post(draw_page))
        .route("/services/verification/{id}/result", post(result_page))
}

fn allowed(user: &User) -> Result<()> {
    if user.account().may(Permission::ManageCredit) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// One sampling as a row of the list.
struct Row {
    id: String,
    month: String,
    matters: usize,
    applications: u32,
    state: String,
    results: usize,
}

#[derive(Template)]
#[template(path = "staff/verification_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    /// The month the commit form proposes: the last one.
    last_month: String,
}

async fn list_page(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    allowed(&user)?;
    let rows = hc::list(&state.db)
        .await?
        .into_iter()
        .map(|(v, round)| Row {
            matters: v.matters.len(),
            applications: v.matters.values().map(|m| m.applications).sum(),
            state: draw_state(&round),
            results: v.results.len(),
            id: v.id,
            month: v.month,
        })
        .collect();
    let today = domain::clock::today();
    let last_month = today
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(today)
        .format("%Y-%m")
        .to_string();
    render(&ListPage {
        chrome: Chrome::staff(&user, "告知承诺核查", "/services/verification"),
        rows,
        last_month,
    })
}

/// A selected application with its result, if any.
struct Selected {
    matter: String,
    application: String,
    result: Option<String>,
    note: String,
}

#[derive(Template)]
#[template(path = "staff/verification_show.html")]
struct ShowPage {
    chrome: Chrome,
    id: String,
    month: String,
    state: String,
    rates: String,
    selected: Vec<Selected>,
    /// Not drawn yet: the witness form is shown.
    drawable: bool,
    /// Being drawn in the background now.
    drawing: bool,
    /// A draw job started from this page.
    job: Option<u64>,
    /// Where the witness form posts (staff/witness_form.html).
    draw_action: String,
    /// What the witness form's confirmation names.
    draw_subject: String,
}

/// The page's query: a draw job started from it.
#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    #[serde(default)]
    job: Option<u64>,
}

async fn show_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Html<String>> {
    allowed(&user)?;
    let (verification, round) = hc::get(&state.db, &id).await?;
    let selected = hc::selected(&state.db, &id)
        .await?
        .into_iter()
        .map(|(matter, application)| {
            let result = verification.results.get(&application);
            Selected {
                result: result.map(|r| r.outcome.as_str().to_owned()),
                note: result.and_then(|r| r.note.clone()).unwrap_or_default(),
                matter,
                application,
            }
        })
        .collect();
    let rates = verification
        .rates_bp
        .iter()
        .map(|(level, bp)| format!("{level} {}%", f64::from(*bp) / 100.0))
        .collect::<Vec<_>>()
        .join("，");
    let drawable = round.status == RoundStatus::Committed;
    render(&ShowPage {
        chrome: Chrome::staff(&user, "告知承诺核查", "/services/verification"),
        drawing: drawable && state.drawing.contains(&drawing_key(&id)),
        drawable,
        job: query.job,
        draw_action: format!("/services/verification/{}/draw", url_encode(&id)),
        draw_subject: format!("核查批次 {id}"),
        state: draw_state(&round),
        id: verification.id,
        month: verification.month,
        rates,
        selected,
    })
}

async fn result_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    allowed(&user)?;
    let form = FormPairs::parse(&body);
    let application = form.get("application").trim().to_owned();
    let outcome = VerificationOutcome::parse(form.get("outcome"))
        .map_err(|_| Error::BadRequest("核查结果应为 属实 或 不实".to_owned()))?;
    if outcome == VerificationOutcome::False && !steps::confirmed(&form) {
        hc::get(&state.db, &id).await?;
        let text = format!(
            "登记办件 {application} 的核查结果为“不实”？将撤销该办件的审批，并将申请人列入虚假承诺名单，不能撤回。"
        );
        let question = steps::Question {
            title: "确认核查不实",
            text: &text,
            button: "确认不实",
            back: &format!("/services/verification/{id}"),
        };
        return steps::ask(
            &user,
            &question,
            &format!("/services/verification/{id}/result"),
            &form,
        );
    }
    let note = Some(form.get("note").to_owned());
    hc::record_result(
        &state.db,
        &id,
        &application,
        outcome,
        note,
        service::now(),
        &user.account().username,
    )
    .await?;
    steps::done(
        &format!("/services/verification/{id}"),
        Done::VerificationRecorded,
        &application,
    )
}

/// `POST /services/verification`: commits the sampling of a month with a
/// fresh secret from the operating system (the frames and the commitment
/// sealed in one transaction with the sampling).
async fn commit_page(
    State(state): State<Arc<AppState>>,
    user: User,
    body: String,
) -> Result<Response> {
    allowed(&user)?;
    let form = FormPairs::parse(&body);
    let id = form.get("id").trim().to_owned();
    let month_text = form.get("month").trim();
    let month =
        NaiveDate::parse_from_str(&format!("{month_text}-01"), "%Y-%m-%d").map_err(|_| {
            service::WorkflowError::from(
                Refusal::new(
                    "month_invalid",
                    format!("month {month_text:?}: write YYYY-MM"),
                    format!("核查月份“{month_text}”应写作 年-月，如 2026-03"),
                )
                .on("month"),
            )
        })?;
    let rates_bp = hc::parse_rates(form.get("rates")).map_err(service::WorkflowError::from)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::internal(anyhow::anyhow!("no system randomness: {e}")))?;
    let request = hc::VerificationRequest {
        id,
        month,
        rates_bp,
    };
    let verification = hc::commit(
        &state.db,
        &request,
        &draw::Secret::from_bytes(bytes),
        service::now(),
        &user.account().username,
    )
    .await?;
    steps::done(
        &format!("/services/verification/{}", url_encode(&verification.id)),
        Done::VerificationCommitted,
        &verification.id,
    )
}

/// The key of a 核查 draw running in the background.
fn drawing_key(id: &str) -> String {
    format!("verification/{id}")
}

/// `POST /services/verification/{id}/draw`: the witnesses and the beacon
/// (the shared witness form), confirmed, then the draw as a background job.
async fn draw_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    allowed(&user)?;
    let form = FormPairs::parse(&body);
    let back = format!("/services/verification/{}", url_encode(&id));
    let (_, round) = hc::get(&state.db, &id).await?;
    if round.status != RoundStatus::Committed {
        return Err(Error::Conflict(format!("核查批次 {id} 已抽取")));
    }
    if !steps::confirmed(&form) {
        let text = format!(
            "现在抽取核查批次 {id}？信标：{}。抽取一经进行不能重做，请见证人先核对信标与见证人名单。",
            form.get("beacon")
        );
        let question = steps::Question {
            title: "确认抽取",
            text: &text,
            button: "确认抽取",
            back: &back,
        };
        return steps::ask(&user, &question, &format!("{back}/draw"), &form);
    }
    let beacon = form.get("beacon").to_owned();
    let witnesses = service::rounds::witness_lines(form.get("witnesses"));
    if witnesses.is_empty() {
        let refusal = Refusal::new("witness_required", "name the witnesses", "请填写见证人");
        return Err(service::WorkflowError::from(refusal.on("witnesses")).into());
    }
    let guard = DrawGuard::take(&state.drawing, &drawing_key(&id))?;
    let job = state
        .jobs
        .start(&format!("抽取核查批次 {id}"), &user.account().username);
    let (task_state, actor, sampling) = (state.clone(), user.actor(), id.clone());
    jobs::spawn(&state, job, async move {
        let _guard = guard;
        let round = hc::draw(
            &task_state.db,
            &sampling,
            &beacon,
            &witnesses,
            service::now(),
            &actor,
        )
        .await?;
        Ok((
            format!("抽中办件 {} 件，抽取记录已公开", round.selections),
            Some((
                format!("/services/verification/{}", url_encode(&round.id)),
                "查看抽取结果".to_owned(),
            )),
        ))
    });
    Ok(Redirect::to(&format!("{back}?job={job}")).into_response())
}
