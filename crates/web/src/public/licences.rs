//! 电子证照验真 (/gongshi/licences): the verify page a licence's QR code opens
//! (`/gongshi/licences/verify?no=`) and the city's public signing key
//! (`/gongshi/licences/key`), for anyone to verify a licence file offline.
//!
//! The page shows the licence's status, type, issuer, holder name (a person's
//! as surname + 某) and validity: never the holder's identifier.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render};
use domain::licence::{LicenceStatus, MAX_CODE};
use storage::licences::LicenceStore;

/// The portal's licence routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/gongshi/licences/verify", get(verify))
        .route("/gongshi/licences/key", get(key))
}

/// `GET /gongshi/licences/key`: the public key, 64 hex digits and a newline.
async fn key(State(state): State<Arc<AppState>>) -> Result<Response> {
    let hex = state
        .db
        .licence_public_key()
        .await?
        .ok_or_else(|| Error::NotFound("本市尚未生成电子证照签名密钥".into()))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{hex}\n"),
    )
        .into_response())
}

/// The query of the verify page.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    /// 证照编号.
    #[serde(default)]
    pub no: String,
}

/// What the verify page shows of a licence: nothing that identifies a person.
pub struct PublicLicence {
    /// 证照编号.
    pub no: String,
    /// 证照名称.
    pub type_name: String,
    /// 颁发部门.
    pub issuer: String,
    /// The holder's name (a person's as surname + 某).
    pub holder_name: String,
    /// 颁证日期.
    pub issued_on: NaiveDate,
    /// 有效期起.
    pub valid_from: NaiveDate,
    /// 有效期止; `None`: 长期.
    pub valid_until: Option<NaiveDate>,
    /// Status today.
    pub status: LicenceStatus,
    /// 注销日期.
    pub revoked_on: Option<NaiveDate>,
}

#[derive(Template)]
#[template(path = "public/licence_verify.html")]
struct Page {
    chrome: Chrome,
    no: String,
    today: NaiveDate,
    licence: Option<PublicLicence>,
    /// Whether the city has a signing key to offer (`/gongshi/licences/key`).
    has_key: bool,
}

async fn verify(
    State(state): State<Arc<AppState>>,
    viewer: MaybeUser,
    Query(query): Query<VerifyQuery>,
) -> Result<Html<String>> {
    let today = service::now().date_naive();
    let no: String = query.no.trim().chars().take(MAX_CODE).collect();
    let licence = if no.is_empty() {
        None
    } else {
        state.db.licence(&no).await?.map(|stored| PublicLicence {
            no: stored.licence.no.clone(),
            type_name: stored.licence.type_name.clone(),
            issuer: stored.licence.issuer.clone(),
            holder_name: stored.licence.public_holder_name(),
            issued_on: stored.licence.issued_on,
            valid_from: stored.licence.valid_from,
            valid_until: stored.licence.valid_until,
            status: stored.licence.status_on(today),
            revoked_on: stored.revoked_on,
        })
    };
    let has_key = state.db.licence_public_key().await?.is_some();
    render(&Page {
        chrome: Chrome::public(&viewer, "电子证照验真"),
        no,
        today,
        licence,
        has_key,
    })
}
