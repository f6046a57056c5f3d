//! 首次设置 (/setup): on a database without a city, the system administrator
//! chooses the city (GB/T 2260: province → prefecture, or the code typed),
//! confirms the districts it loads ([`service::setup`]), then uploads the
//! directories in order, each through the import job and error report of
//! /directories. Other staff are told to ask the administrator. The dashboard
//! sends the administrator here while no city is set up.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::pages::{Chrome, render};
use domain::account::{Account, Permission};
use domain::divisions::{self, Division};
use service::setup::{self, SetupError};
use storage::Store;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/setup", get(index).post(choose))
}

/// The directories to upload after the city, in order: (kind, name, why first).
const STEPS: &[(&str, &str, &str)] = &[
    (
        "departments",
        "部门名录",
        "执法人员、事项和工单都引用部门，须最先导入",
    ),
    ("inspectors", "执法检查人员名录库", "引用部门和区县"),
    ("entities", "检查对象名录库", "引用区县"),
    ("recusals", "回避关系", "引用执法人员和检查对象"),
    ("items", "随机抽查事项清单", "引用部门"),
    ("joint-items", "部门联合抽查事项清单", "引用部门"),
];

/// Whether `account` may set the city up: the system administrator
/// ([`Permission::ManageAccounts`], as for the calendar).
pub fn may_set_up(account: &Account) -> bool {
    account.may(Permission::ManageAccounts)
}

/// A province and its cities, for the select box.
struct Province {
    name: &'static str,
    cities: Vec<Division>,
}

fn provinces() -> Vec<Province> {
    let mut out: Vec<Province> = Vec::new();
    for city in divisions::cities() {
        let province = if divisions::MUNICIPALITIES.contains(&city.code) {
            city.name
        } else {
            divisions::find(city.parent).map_or("", |p| p.name)
        };
        match out.last_mut() {
            Some(last) if last.name == province => last.cities.push(city),
            _ => out.push(Province {
                name: province,
                cities: vec![city],
            }),
        }
    }
    out
}

/// A city chosen, awaiting confirmation.
struct Pending {
    code: String,
    name: String,
    /// The districts it will load: (code, name).
    districts: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "staff/setup.html")]
struct Page {
    chrome: Chrome,
    may_set_up: bool,
    /// The city set up: (code, name).
    city: Option<(String, String)>,
    districts: Vec<(String, String)>,
    provinces: Vec<Province>,
    pending: Option<Pending>,
    message: String,
    steps: &'static [(&'static str, &'static str, &'static str)],
    edition: &'static str,
}

async fn page(
    state: &AppState,
    user: &User,
    pending: Option<Pending>,
    message: String,
) -> Result<Html<String>> {
    let city = state.city.get(&state.db).await?;
    let districts = if city.is_some() {
        state
            .db
            .districts()
            .await?
            .iter()
            .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    render(&Page {
        chrome: Chrome::staff(user, "首次设置", "/setup"),
        may_set_up: may_set_up(user.account()),
        city: city.map(|c| (c.code.clone(), c.name.clone())),
        districts,
        provinces: provinces(),
        pending,
        message,
        steps: STEPS,
        edition: divisions::EDITION,
    })
}

async fn index(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    page(&state, &user, None, String::new()).await
}

#[derive(Deserialize)]
struct Choice {
    /// From the select box.
    city: Option<String>,
    /// Typed; wins over the select box.
    code: Option<String>,
    /// Present on the confirmation step.
    confirm: Option<String>,
}

/// `POST /setup`: a city chosen (shows what it loads) or confirmed (sets it up).
async fn choose(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(choice): Form<Choice>,
) -> Result<Response> {
    if !may_set_up(user.account()) {
        return Err(Error::Forbidden);
    }
    let code = [choice.code.as_deref(), choice.city.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|c| !c.is_empty())
        .unwrap_or_default()
        .to_owned();
    let refused = |error: SetupError| error.reason_zh();
    let city = match divisions::city(&code) {
        Ok(city) => city,
        Err(error) => {
            let message = refused(error.into());
            return Ok(page(&state, &user, None, message).await?.into_response());
        }
    };
    if choice.confirm.is_none() {
        let districts = setup::districts_of(&city)
            .map_err(|e| Error::BadRequest(e.to_string()))?
            .iter()
            .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
            .collect();
        let pending = Some(Pending {
            code,
            name: city.division.name.to_owned(),
            districts,
        });
        return Ok(page(&state, &user, pending, String::new())
            .await?
            .into_response());
    }
    let actor = user.account().username.clone();
    match setup::set_up_city(&state.db, &code, &actor, domain::clock::now()).await {
        Ok(_) => Ok(Redirect::to("/setup").into_response()),
        Err(error) if error.is_bad_input() => {
            let message = refused(error);
            Ok(page(&state, &user, None, message).await?.into_response())
        }
        Err(SetupError::Store(error)) => Err(error.into()),
        Err(error) => Err(Error::BadRequest(error.to_string())),
    }
}
