//! 行政处罚案件录入 (/cases/new, /cases/{no}, /cases/{no}/edit): a
//! department's clerk enters and edits one case of their own department on
//! a form, validated by the very rules of the case file
//! (`files::enforcement::parse_case_fields`). The Justice Bureau reads the
//! case but may not edit it. The party's ID number is shown masked.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::flash::Done;
use crate::ops::plans::FormPairs;
use crate::pages::{Chrome, render};
use crate::steps;
use domain::enforcement::{PenaltyCase, PenaltyKind, Tier, yuan};
use files::enforcement::{CASE_COLUMNS, parse_case_fields};
use storage::CaseStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/cases/new", get(new_form).post(create))
        .route("/cases/{no}", get(show))
        .route("/cases/{no}/edit", get(edit_form).post(update))
}

use super::cases::ENTER_CASES as ENTER;

/// The fields whose values are 是 / 否.
const YES_NO: [(&str, &str); 4] = [
    ("legal_review", "法制审核"),
    ("first_offence", "首次违法"),
    ("corrected", "及时改正"),
    ("extended", "延期"),
];

/// The date fields after the filing date.
const DATES: [(&str, &str); 5] = [
    ("decided_on", "决定日期"),
    ("published_on", "公示日期"),
    ("changed_on", "决定变更日期"),
    ("withdrawn_on", "撤回日期"),
    ("closed_on", "结案日期"),
];

#[derive(Template)]
#[template(path = "staff/case_form.html")]
struct CaseForm {
    chrome: Chrome,
    /// Empty for a new case.
    id: String,
    action: String,
    department: String,
    /// The stored party number, masked (editing), else empty.
    party_masked: String,
    values: HashMap<String, String>,
    kinds: Vec<(&'static str, bool)>,
    tiers: Vec<&'static str>,
    yes_no: Vec<(&'static str, &'static str)>,
    dates: Vec<(&'static str, &'static str)>,
}

impl CaseForm {
    fn value(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "staff/case_show.html")]
struct CaseView {
    chrome: Chrome,
    case: PenaltyCase,
    party: String,
    kinds: String,
    fine: String,
    may_edit: bool,
}

/// The form's values of a stored case (the party's number left out).
fn values_of(case: &PenaltyCase) -> HashMap<String, String> {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let yes = |b: bool| if b { "是" } else { "否" }.to_owned();
    [
        ("id", case.id.clone()),
        ("party_name", case.party_name.clone()),
        ("behaviour", case.behaviour.clone()),
        ("filed_on", case.filed_on.to_string()),
        ("decided_on", date(case.decided_on)),
        ("tier", case.tier.clone().unwrap_or_default()),
        ("fine", case.fine.map(yuan).unwrap_or_default()),
        ("officers", case.officers.join("、")),
        ("legal_review", yes(case.legal_review)),
        ("first_offence", yes(case.first_offence)),
        ("corrected", yes(case.corrected)),
        ("extended", yes(case.extended)),
        ("published_on", date(case.published_on)),
        ("changed_on", date(case.changed_on)),
        ("withdrawn_on", date(case.withdrawn_on)),
        ("closed_on", date(case.closed_on)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn form(user: &User, department: &str, stored: Option<&PenaltyCase>) -> Result<Html<String>> {
    let values = stored.map(values_of).unwrap_or_default();
    let kinds = PenaltyKind::ALL
        .iter()
        .map(|k| (k.as_str(), stored.is_some_and(|c| c.kinds.contains(k))))
        .collect();
    let (id, action, title) = match stored {
        Some(case) => (
            case.id.clone(),
            format!("/cases/{}/edit", case.id),
            "修改行政处罚案件",
        ),
        None => (String::new(), "/cases/new".to_owned(), "录入行政处罚案件"),
    };
    render(&CaseForm {
        chrome: Chrome::staff(user, title, "/cases"),
        id,
        action,
        department: department.to_owned(),
        party_masked: stored.map(|c| c.party_id.masked()).unwrap_or_default(),
        values,
        kinds,
        tiers: Tier::ALL.iter().map(|t| t.as_str()).collect(),
        yes_no: YES_NO.to_vec(),
        dates: DATES.to_vec(),
    })
}

/// The clerk's department, if the account may enter cases.
fn own_department(user: &User) -> Result<String> {
    user.require(ENTER)?;
    let department = user.account().department.clone().ok_or(Error::Forbidden)?;
    user.require_in(ENTER, &department)?;
    Ok(department)
}

/// The stored case `no` of `department`, if any.
async fn stored(
    state: &AppState,
    department: Option<&str>,
    no: &str,
) -> Result<Option<PenaltyCase>> {
    Ok(state
        .db
        .penalty_cases(department)
        .await?
        .into_iter()
        .find(|c| c.id == no))
}

fn not_found(no: &str) -> Error {
    Error::NotFound(format!(
        "案件 {} 不存在",
        no.chars().take(40).collect::<String>()
    ))
}

/// The case the clerk may edit: 404 when no such case, 403 when another
/// department's.
async fn editable(state: &AppState, user: &User, no: &str) -> Result<(String, PenaltyCase)> {
    let department = own_department(user)?;
    let case = stored(state, None, no)
        .await?
        .ok_or_else(|| not_found(no))?;
    user.require_in(ENTER, &case.department)?;
    if case.department != department {
        return Err(Error::Forbidden);
    }
    Ok((department, case))
}

async fn new_form(State(_state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    let department = own_department(&user)?;
    form(&user, &department, None)
}

async fn edit_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(no): Path<String>,
) -> Result<Html<String>> {
    let (department, case) = editable(&state, &user, &no).await?;
    form(&user, &department, Some(&case))
}

/// The form's fields as the case file's cells: the department is the
/// clerk's, the kinds' check boxes joined with 、.
pub(crate) fn cells_of(form: &FormPairs, department: &str) -> HashMap<String, String> {
    let mut fields: HashMap<String, String> = CASE_COLUMNS
        .iter()
        .map(|c| (c.key.to_owned(), form.get(c.key).to_owned()))
        .collect();
    fields.insert("kinds".into(), form.all("kinds").join("、"));
    fields.insert("department".into(), department.to_owned());
    fields
}

/// Validates the form by the case file's rules: the first problem as a
/// refusal on its field, every problem's reason in the message.
fn validate(fields: &HashMap<String, String>) -> Result<PenaltyCase> {
    parse_case_fields(fields).map_err(|problems| {
        let field = problems
            .first()
            .and_then(|p| CASE_COLUMNS.iter().find(|c| c.key == p.column))
            .map(|c| c.key);
        let message = problems
            .iter()
            .map(|p| {
                let name = CASE_COLUMNS
                    .iter()
                    .find(|c| c.key == p.column)
                    .map_or("", |c| c.zh[0]);
                format!("{name}：{}", p.reason_zh)
            })
            .collect::<Vec<_>>()
            .join("；");
        Error::Coded {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_case",
            message,
            field,
        }
    })
}

async fn create(State(state): State<Arc<AppState>>, user: User, body: String) -> Result<Response> {
    let department = own_department(&user)?;
    let case = validate(&cells_of(&FormPairs::parse(&body), &department))?;
    if stored(&state, None, &case.id).await?.is_some() {
        return Err(Error::Coded {
            status: StatusCode::CONFLICT,
            code: "case_exists",
            message: format!("案件编号 {} 已存在，请修改该案件或换用其他编号", case.id),
            field: Some("id"),
        });
    }
    service::enforcement::save_case(&state.db, &case, true, &user.actor(), service::now()).await?;
    steps::done(&format!("/cases/{}", case.id), Done::CaseSaved, &case.id)
}

async fn update(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(no): Path<String>,
    body: String,
) -> Result<Response> {
    let (department, before) = editable(&state, &user, &no).await?;
    let form = FormPairs::parse(&body);
    let mut fields = cells_of(&form, &department);
    fields.insert("id".into(), before.id.clone());
    if form.get("party_id").trim().is_empty() {
        fields.insert("party_id".into(), before.party_id.code.clone());
    }
    let case = validate(&fields)?;
    if case != before {
        service::enforcement::save_case(&state.db, &case, false, &user.actor(), service::now())
            .await?;
    }
    steps::done(&format!("/cases/{}", case.id), Done::CaseSaved, &case.id)
}

async fn show(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(no): Path<String>,
) -> Result<Html<String>> {
    let scope = super::cases::scope(user.account());
    let case = stored(&state, scope.as_deref(), &no)
        .await?
        .ok_or_else(|| not_found(&no))?;
    let may_edit = user.account().may_in(ENTER, &case.department)
        && user.account().department.as_deref() == Some(case.department.as_str());
    render(&CaseView {
        chrome: Chrome::staff(&user, format!("案件 {}", case.id), "/cases"),
        party: case.party_id.masked(),
        kinds: case
            .kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        fine: case.fine.map(yuan).unwrap_or_default(),
        may_edit,
        case,
    })
}
