//! The progress of a background job (`/jobs/{id}`, polled by htmx), shown
//! only to the account that started it. The answer that reports the end
//! carries `HX-Trigger: job-finished`, so the page can refresh what the job
//! changed (the draw screen does).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::jobs::JobStatus;
use crate::pages::render;

/// `/jobs/{id}`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/jobs/{id}", get(job))
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobFragment {
    id: u64,
    job: JobStatus,
    percent: u64,
}

async fn job(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<u64>,
) -> Result<Response> {
    let job = state
        .jobs
        .get(id)
        .filter(|job| job.owner == user.account().username)
        .ok_or_else(|| Error::NotFound(format!("任务 {id} 不存在")))?;
    let percent = job
        .done
        .saturating_mul(100)
        .checked_div(job.total)
        .unwrap_or(0);
    let finished = job.finished;
    let page = render(&JobFragment { id, job, percent })?;
    Ok(if finished {
        ([("HX-Trigger", "job-finished")], page).into_response()
    } else {
        page.into_response()
    })
}
