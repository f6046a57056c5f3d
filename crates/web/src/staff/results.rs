//! 检查结果 (/results): the visits of one's department awaiting results (an
//! inspector: the visits whose team includes them), the entry form (works on
//! a phone), publication with due dates and overdue flags. The checks live in
//! the `pub(crate)` functions, shared with the JSON API.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::Result;
use crate::ops::lists::{Filters, PER_PAGE, offset, page_number};
use crate::ops::names::Names;
use crate::ops::plans::{FormPairs, split_list};
use crate::ops::results::{
    EntryFields, Pending, ResultFilter, certificate_notice, enter, entry_target, pending_visits,
    publish, today, visible_results, working_department,
};
use crate::pages::{Chrome, render, url_encode};
use crate::staff::lists::Pager;
use crate::steps;
use domain::CheckMethod;
use domain::account::Permission;
use domain::inspection::{FollowUp, InspectionResult, ResultCategory, ResultStatus, Visit};
use service::{self, results};
use storage::WorkflowStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/results", get(index))
        .route("/results/publish", post(publish_from_form))
        .route(
            "/results/visits/{round}/{entity}",
            get(entry_form).post(enter_from_form),
        )
}

// ---- pages ----------------------------------------------------------------

/// A result as a row, with its overdue flag.
struct ResultRow {
    result: InspectionResult,
    overdue: bool,
    /// The due date rests on a provisional calendar year (暂定).
    provisional: bool,
}

#[derive(Template)]
#[template(path = "staff/results.html")]
struct Index {
    chrome: Chrome,
    department: String,
    pending: Vec<Pending>,
    pending_total: usize,
    pager: Pager,
    q: String,
    entered: Vec<ResultRow>,
    published: usize,
    may_publish: bool,
    /// Whether the user enters results in this department (the 录入 links).
    may_enter: bool,
    message: String,
    /// Why the inspector cannot enter results (an expired certificate …), if so.
    certificate_notice: Option<String>,
    names: Names,
    /// The departments to choose from (readers of every department).
    departments: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
struct IndexQuery {
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<IndexQuery>,
) -> Result<Html<String>> {
    let department = working_department(&user, query.department.as_deref()).unwrap_or_default();
    let (mut pending, mut entered, mut published) = (Vec::new(), Vec::new(), 0);
    if !department.is_empty() {
        pending =
            pending_visits(&state, &user, &department, query.q.as_deref().unwrap_or("")).await?;
        let today = today();
        let calendar = state.calendar.get();
        let filter = ResultFilter {
            department: Some(department.clone()),
            ..ResultFilter::default()
        };
        for result in visible_results(&state, &user, &filter).await? {
            if result.status == ResultStatus::Published {
                published += 1;
            } else {
                let provisional = service::calendar::result_provisional(&calendar, &result);
                entered.push(ResultRow {
                    overdue: result.overdue(today),
                    provisional,
                    result,
                });
            }
        }
        entered.sort_by_key(|row| row.result.publish_due);
    }
    let pending_total = pending.len();
    let page = page_number(query.page);
    let skip = usize::try_from(offset(page)).unwrap_or(usize::MAX);
    let pending: Vec<Pending> = pending
        .into_iter()
        .skip(skip)
        .take(PER_PAGE as usize)
        .collect();
    let filters = Filters::default()
        .with("department", query.department.as_deref().unwrap_or(""))
        .with("q", query.q.as_deref().unwrap_or(""));
    let pager = Pager::new("/results", &filters, page, pending_total as u64);
    let entities: Vec<&str> = pending
        .iter()
        .map(|p| p.visit.entity.as_str())
        .chain(entered.iter().map(|row| row.result.entity.as_str()))
        .collect();
    let names = Names::load(&state, &entities, &[]).await?;
    let departments = if department.is_empty() {
        crate::pages::department_options(&state).await?
    } else {
        Vec::new()
    };
    render(&Index {
        departments,
        certificate_notice: certificate_notice(&state, &user).await?,
        may_enter: user.account().department.as_deref() == Some(department.as_str())
            && user.account().may_in(Permission::EnterResults, &department),
        names,
        chrome: Chrome::staff(&user, "检查结果", "/results"),
        may_publish: !department.is_empty()
            && user
                .account()
                .may_in(Permission::PublishResults, &department),
        department,
        pending,
        pending_total,
        pager,
        q: query.q.clone().unwrap_or_default(),
        entered,
        published,
        message: query.done.unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "staff/results_entry.html")]
struct EntryForm {
    chrome: Chrome,
    visit: Visit,
    department: String,
    items: Vec<(String, String, Option<InspectionResult>)>,
    team: Vec<String>,
    fields: EntryFields,
    categories: &'static [ResultCategory],
    methods: &'static [CheckMethod],
    follow_ups: &'static [FollowUp],
    locked: bool,
    names: Names,
}

async fn entry_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((round, entity)): Path<(String, String)>,
) -> Result<Html<String>> {
    let visit_id = Visit::id_for(&round, &entity);
    let (visit, department) = entry_target(&state, &user, &visit_id).await?;
    let existing = state
        .db
        .list::<InspectionResult>(Some(("visit", &visit_id)))
        .await?;
    let items: Vec<(String, String, Option<InspectionResult>)> = visit
        .items
        .iter()
        .filter(|i| i.department == department)
        .map(|i| {
            let id = results::result_id(&visit.id, &i.plan, &department, &i.item);
            (
                i.plan.clone(),
                i.item.clone(),
                existing.iter().find(|r| r.id == id).cloned(),
            )
        })
        .collect();
    let first = items.iter().find_map(|(_, _, r)| r.clone());
    let today = today().to_string();
    let fields = match &first {
        Some(r) => EntryFields {
            category: r.category.as_str().to_owned(),
            method: r.method.as_str().to_owned(),
            follow_up: r.follow_up.as_str().to_owned(),
            check_start: r.check_start.to_string(),
            check_end: r.check_end.to_string(),
            inspectors: r.inspectors.clone(),
            note: r.note.clone(),
        },
        None => EntryFields {
            category: ResultCategory::NoProblem.as_str().to_owned(),
            method: CheckMethod::OnSite.as_str().to_owned(),
            follow_up: FollowUp::None.as_str().to_owned(),
            check_start: today.clone(),
            check_end: today,
            ..EntryFields::default()
        },
    };
    let locked = items.iter().any(|(_, _, r)| {
        r.as_ref()
            .is_some_and(|r| r.status == ResultStatus::Published)
    });
    let team = visit
        .teams
        .iter()
        .find(|t| t.department == department)
        .map(|t| t.assigned.clone())
        .unwrap_or_default();
    let inspectors: Vec<&str> = team
        .iter()
        .chain(&fields.inspectors)
        .map(String::as_str)
        .collect();
    let names = Names::load(&state, &[visit.entity.as_str()], &inspectors).await?;
    render(&EntryForm {
        names,
        chrome: Chrome::staff(&user, "录入检查结果", "/results"),
        visit,
        department,
        items,
        team,
        fields,
        categories: ResultCategory::ALL,
        methods: CheckMethod::ALL,
        follow_ups: FollowUp::ALL,
        locked,
    })
}

async fn enter_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((round, entity)): Path<(String, String)>,
    body: String,
) -> Result<Redirect> {
    let form = FormPairs::parse(&body);
    let fields = EntryFields {
        category: form.get("category").to_owned(),
        method: form.get("method").to_owned(),
        follow_up: form.get("follow_up").to_owned(),
        check_start: form.get("check_start").to_owned(),
        check_end: form.get("check_end").to_owned(),
        inspectors: split_list(form.get("inspectors")),
        note: form.get("note").to_owned(),
    };
    let visit_id = Visit::id_for(&round, &entity);
    let entered = enter(&state, &user, &visit_id, &fields).await?;
    let message = format!("已录入 {} 的 {} 条结果", visit_id, entered.len());
    Ok(Redirect::to(&format!(
        "/results?done={}",
        url_encode(&message)
    )))
}

async fn publish_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    body: String,
) -> Result<Response> {
    let form = FormPairs::parse(&body);
    let ids = form.all("ids");
    if !steps::confirmed(&form) {
        user.require(Permission::PublishResults)?;
        let text = format!(
            "向社会公开所选的 {} 条检查结果？公开后不能撤回，更正须另行办理。",
            ids.len()
        );
        let question = steps::Question {
            title: "确认公开检查结果",
            text: &text,
            button: "确认公开",
            back: "/results",
        };
        return steps::ask(&user, &question, "/results/publish", &form);
    }
    let published = publish(&state, &user, &ids).await?;
    let late = published.iter().filter(|r| r.overdue(today())).count();
    let message = format!("已公开 {} 条结果（其中逾期 {late} 条）", published.len());
    Ok(Redirect::to(&format!("/results?done={}", url_encode(&message))).into_response())
}
