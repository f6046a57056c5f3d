//! 工作日历 (/calendar): the administrator loads the State Council's holiday
//! notice (放假安排) as an override TOML, uploaded or pasted. Needs
//! [`Permission::ManageAccounts`] (system administrator). Until a year's
//! notice is loaded its deadlines rest on a provisional year and are marked
//! 暂定; loading recomputes the stored deadlines and is on the ledger (see
//! [`service::calendar`]).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Html;
use axum::routing::get;
use chrono::Datelike;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render};
use domain::account::Permission;
use domain::calendar::CalendarNotice;
use service::WorkflowError;
use service::calendar::{self as flow, MAX_NOTICE_BYTES};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/calendar", get(index).post(load))
        .layer(DefaultBodyLimit::max(MAX_NOTICE_BYTES * 2 + 16 * 1024))
}

/// One year's standing, as the page shows it.
struct YearStatus {
    year: i32,
    provisional: bool,
    notices: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/calendar.html")]
struct Index {
    chrome: Chrome,
    years: Vec<YearStatus>,
    loaded: Vec<CalendarNotice>,
    message: String,
}

async fn page(state: &AppState, user: &User, message: String) -> Result<Html<String>> {
    let calendar = state.calendar.get();
    let this_year = domain::clock::now().year();
    let years = (this_year..=this_year + 1)
        .map(|year| YearStatus {
            year,
            provisional: calendar.is_provisional_year(year),
            notices: calendar
                .notices(year)
                .map(<[String]>::to_vec)
                .unwrap_or_default(),
        })
        .collect();
    let mut loaded = flow::stored_notices(&state.db).await?;
    loaded.sort_by(|a, b| b.loaded_at.cmp(&a.loaded_at).then(a.year.cmp(&b.year)));
    render(&Index {
        chrome: Chrome::staff(user, "工作日历", "/calendar"),
        years,
        loaded,
        message,
    })
}

async fn index(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    user.require(Permission::ManageAccounts)?;
    page(&state, &user, String::new()).await
}

/// `POST /calendar?csrf=…`: multipart `file` (the TOML) or `text` (pasted).
async fn load(
    State(state): State<Arc<AppState>>,
    user: User,
    multipart: Multipart,
) -> Result<Html<String>> {
    user.require(Permission::ManageAccounts)?;
    let text = receive(multipart).await?;
    let actor = user.actor();
    let loaded = {
        let _one_at_a_time = state.calendar.loading.lock().await;
        let current = state.calendar.get();
        let (next, loaded) = flow::load_notice(
            &state.db,
            &state.hotline,
            &current,
            &text,
            &actor,
            domain::clock::now(),
        )
        .await
        .map_err(|error| match error {
            // A notice with problems is bad input, not a conflict.
            WorkflowError::Refused(refusal) => Error::Coded {
                status: axum::http::StatusCode::BAD_REQUEST,
                code: refusal.code(),
                message: refusal.chinese().to_owned(),
                field: refusal.field(),
            },
            other => other.into(),
        })?;
        state.calendar.set(next);
        loaded
    };
    state.figures.clear();
    let years = loaded
        .years
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("、");
    let message = format!(
        "已载入 {years} 年放假安排（SHA-256 {}），重算 {} 张在办工单、{} 条未公开结果的时限。",
        loaded.sha256,
        loaded.orders.len(),
        loaded.results
    );
    page(&state, &user, message).await
}

/// The notice text: the uploaded file if one was chosen, else the pasted text.
async fn receive(mut multipart: Multipart) -> Result<String> {
    let bad =
        |e: axum::extract::multipart::MultipartError| Error::BadRequest(format!("上传失败：{e}"));
    let (mut file, mut pasted) = (None, None);
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" && name != "text" {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if bytes.len() + chunk.len() > MAX_NOTICE_BYTES {
                return Err(Error::BadRequest(format!(
                    "放假安排文件超过 {MAX_NOTICE_BYTES} 字节"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::BadRequest("放假安排须为 UTF-8 编码的 TOML 文本".into()))?;
        if text.trim().is_empty() {
            continue;
        }
        if name == "file" {
            file = Some(text);
        } else {
            pasted = Some(text);
        }
    }
    file.or(pasted)
        .ok_or_else(|| Error::BadRequest("请上传或粘贴放假安排（TOML）".into()))
}
