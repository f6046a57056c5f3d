//! 告知承诺 核查 (/services/verification): the monthly samplings drawn with
//! `jianguan-draw/v1` (`jianguan services verification`), their selected
//! applications, and the results entry: 不实 asks for confirmation first,
//! then revokes the approval and lists the applicant as 虚假承诺.
//!
//! Who: the credit office ([`Permission::ManageCredit`]), which keeps the lists.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, Response};
use axum::routing::{get, post};

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::flash::Done;
use crate::ops::plans::FormPairs;
use crate::pages::{Chrome, render};
use crate::steps;
use domain::account::Permission;
use domain::services::VerificationOutcome;
use service::rounds::draw_state;
use service::verification as hc;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/services/verification", get(list_page))
        .route("/services/verification/{id}", get(show_page))
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
    render(&ListPage {
        chrome: Chrome::staff(&user, "告知承诺核查", "/services/verification"),
        rows,
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
}

async fn show_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
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
    render(&ShowPage {
        chrome: Chrome::staff(&user, "告知承诺核查", "/services/verification"),
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
