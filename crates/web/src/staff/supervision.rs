//! 执法监督 (/supervision): the out-of-plan register (计划外检查) with the
//! cases flagged to the Justice Bureau, and rectification notices (整改通知):
//! issued by a supervisor, answered by the department, accepted or sent back.
//!
//! The functions without `_page` are shared with the API (`api/supervision.rs`).

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::hotline::visible_order;
use crate::ops::lists::{PER_PAGE, offset, page_number};
use crate::ops::names::Names;
use crate::ops::supervision::{
    NoteInput, NoticeInput, OutOfPlanInput, RegisterFilter, answer, issue, register,
    register_conditions, review, visible_notice, visible_notices,
};
use crate::pages::{Chrome, department_options, render, url_encode};
use crate::staff::list_export::{ExportRequest, ListExport, for_each_page, start};
use crate::staff::lists::{ExportForm, Pager};
use domain::account::Permission;
use domain::inspection::{InspectionResult, OutOfPlan, OutOfPlanReason};
use domain::rectification::{Rectification, SupervisedKind};
use service::{self};
use storage::WorkflowStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/supervision", get(index))
        .route("/supervision/out-of-plan", post(register_page))
        .route("/supervision/out-of-plan/export", post(export_register))
        .route("/supervision/notices", post(issue_page))
        .route("/supervision/notices/{id}", get(notice_page))
        .route("/supervision/notices/{id}/print", get(print_page))
        .route("/supervision/notices/{id}/answer", post(answer_page))
        .route("/supervision/notices/{id}/review", post(review_page))
}

/// A notice form filled in advance from an object's page (`?kind=…&id=…`).
#[derive(Debug, Deserialize)]
struct NoticeAsked {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/supervision.html")]
struct Index {
    chrome: Chrome,
    out_of_plan: Vec<OutOfPlan>,
    notices: Vec<Rectification>,
    /// Notices whose due date rests on a provisional calendar year (暂定).
    provisional: Vec<String>,
    today: NaiveDate,
    flagged_only: bool,
    q: String,
    reason: String,
    register_department: String,
    departments: Vec<(String, String)>,
    pager: Pager,
    export: ExportForm,
    may_register: bool,
    may_rectify: bool,
    reasons: &'static [OutOfPlanReason],
    department: String,
    names: Names,
    /// The 12345 work orders named by the register that exist and the viewer may open.
    linked_orders: BTreeSet<String>,
    /// The kinds a notice may be issued against.
    kinds: &'static [SupervisedKind],
    /// A notice form filled in advance (`?kind=…&id=…`, from an object's page).
    asked_kind: String,
    asked_id: String,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<RegisterFilter>,
    Query(asked): Query<NoticeAsked>,
) -> Result<Html<String>> {
    let account = user.account();
    let page = page_number(filter.page);
    let mut query = register_conditions(account, &filter)?;
    query.offset = offset(page);
    query.limit = PER_PAGE;
    let found = state.db.page::<OutOfPlan>(&query).await?;
    let out_of_plan = found.rows;
    let filters = filter.filters();
    let notices = visible_notices(&state, account).await?;
    let calendar = state.calendar.get();
    let provisional = notices
        .iter()
        .filter(|n| calendar.is_provisional_span(n.issued_at.date_naive(), n.due))
        .map(|n| n.id.clone())
        .collect();
    let entities: Vec<&str> = out_of_plan.iter().map(|o| o.entity.as_str()).collect();
    let inspectors: Vec<&str> = out_of_plan
        .iter()
        .flat_map(|o| &o.inspectors)
        .map(String::as_str)
        .collect();
    let names = Names::load(&state, &entities, &inspectors).await?;
    let mut linked_orders = BTreeSet::new();
    for order in out_of_plan.iter().filter_map(|o| o.work_order.as_deref()) {
        if visible_order(&state, account, order).await.is_ok() {
            linked_orders.insert(order.to_owned());
        }
    }
    render(&Index {
        names,
        linked_orders,
        kinds: SupervisedKind::ISSUABLE,
        asked_kind: asked.kind.unwrap_or_default(),
        asked_id: asked.id.unwrap_or_default(),
        out_of_plan,
        pager: Pager::new("/supervision", &filters, page, found.total),
        export: ExportForm::new("/supervision/out-of-plan/export", &user.0.csrf, &filters),
        departments: department_options(&state).await?,
        flagged_only: filter.flagged_only(),
        q: filter.q.clone().unwrap_or_default(),
        reason: filter.reason.clone().unwrap_or_default(),
        register_department: filter.department.clone().unwrap_or_default(),
        notices,
        provisional,
        today: service::now().date_naive(),
        may_register: account
            .department
            .as_deref()
            .is_some_and(|d| account.may_in(Permission::RegisterOutOfPlan, d)),
        may_rectify: account.may(Permission::Rectify),
        reasons: OutOfPlanReason::ALL,
        department: account.department.clone().unwrap_or_default(),
        chrome: Chrome::staff(&user, "执法监督", "/supervision"),
    })
}

/// The register (with its filters) as a CSV/XLSX job: names next to codes.
async fn export_register(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<RegisterFilter>>,
) -> Result<Html<String>> {
    let conditions = register_conditions(user.account(), &request.filter)?;
    let back = request.filter.filters().href("/supervision");
    let export = ListExport {
        name: "计划外检查登记",
        back: &back,
        format: request.format(),
    };
    start(
        &state,
        &user,
        export,
        async move |state, mut writer, progress| {
            writer
                .row(&[
                    "编号",
                    "检查日期",
                    "部门",
                    "部门代码",
                    "市场主体名称",
                    "统一社会信用代码",
                    "理由",
                    "情况",
                    "12345工单",
                    "检查人员（执法证号）",
                    "督促整改",
                ])
                .map_err(Error::internal)?;
            for_each_page::<OutOfPlan>(&state, conditions, &progress, async |state, rows| {
                let entities: Vec<&str> = rows.iter().map(|o| o.entity.as_str()).collect();
                let inspectors: Vec<&str> = rows
                    .iter()
                    .flat_map(|o| &o.inspectors)
                    .map(String::as_str)
                    .collect();
                let names = Names::load(state, &entities, &inspectors).await?;
                for o in rows {
                    let inspectors: Vec<String> = o
                        .inspectors
                        .iter()
                        .map(|cert| format!("{}（{cert}）", names.inspector(cert).text()))
                        .collect();
                    writer
                        .row(&[
                            o.id.clone(),
                            o.inspected_on.to_string(),
                            names.department(&o.department).text().to_owned(),
                            o.department.clone(),
                            names.entity(&o.entity).name,
                            o.entity.clone(),
                            o.reason.as_str().to_owned(),
                            o.detail.clone(),
                            o.work_order.clone().unwrap_or_default(),
                            inspectors.join("、"),
                            if o.flagged { "是" } else { "否" }.to_owned(),
                        ])
                        .map_err(Error::internal)?;
                }
                Ok(())
            })
            .await?;
            Ok(writer)
        },
    )
}

async fn register_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(input): Form<OutOfPlanInput>,
) -> Result<Redirect> {
    register(&state, &user, input).await.map_err(|error| {
        error.on_code(&[
            ("invalid_entity", "entity"),
            ("entity_unknown", "entity"),
            ("invalid_field", "inspectors"),
        ])
    })?;
    Ok(Redirect::to("/supervision"))
}

async fn issue_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(input): Form<NoticeInput>,
) -> Result<Redirect> {
    let notice = issue(&state, &user, input)
        .await
        .map_err(|error| error.on_code(&[("not_found", "id")]))?;
    Ok(Redirect::to(&format!("/supervision/notices/{}", notice.id)))
}

#[derive(Template)]
#[template(path = "staff/supervision_notice.html")]
struct NoticePage {
    chrome: Chrome,
    notice: Rectification,
    today: NaiveDate,
    /// The due date rests on a provisional calendar year (暂定).
    provisional: bool,
    may_answer: bool,
    may_review: bool,
    names: Names,
    /// The object in words, e.g. `12345工单 GD-…（问题类型 …）`.
    object: String,
    /// Where the object is shown, if the viewer may open it.
    object_href: Option<String>,
}

/// The notice's object in words and its page (if the viewer may open it).
async fn object_of(
    state: &AppState,
    user: &User,
    notice: &Rectification,
    names: &Names,
) -> Result<(String, Option<String>)> {
    let words = names.subject(&notice.subject, &notice.department);
    let Some(object) = notice.object() else {
        return Ok((words, None));
    };
    let account = user.account();
    let id = object.id.as_str();
    Ok(match object.kind {
        SupervisedKind::HotlineOrder => match visible_order(state, account, id).await {
            Ok(order) => (
                format!("12345工单 {id}（{}，{}）", order.category, order.status),
                Some(format!("/hotline/orders/{}", url_encode(id))),
            ),
            Err(_) => (words, None),
        },
        SupervisedKind::OutOfPlan => (words, Some(format!("/supervision#oop-{id}"))),
        SupervisedKind::OverdueResult | SupervisedKind::Result => {
            match state.db.get::<InspectionResult>(id).await? {
                Some(result) => {
                    let entity_names = Names::load(state, &[result.entity.as_str()], &[]).await?;
                    let entity = entity_names.entity(&result.entity);
                    (
                        format!(
                            "{} {id}（{}，{}，检查项目 {}）",
                            object.kind.noun(),
                            entity.text(),
                            entity.detail,
                            names.item(&result.item).text()
                        ),
                        None,
                    )
                }
                None => (words, None),
            }
        }
        SupervisedKind::Plan => (words, Some(format!("/plans/{}", url_encode(id)))),
        SupervisedKind::CaseFinding | SupervisedKind::ReviewFile => (words, None),
    })
}

async fn notice_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let notice = visible_notice(&state, user.account(), &id).await?;
    let names = Names::directories(&state).await?;
    let (object, object_href) = object_of(&state, &user, &notice, &names).await?;
    render(&NoticePage {
        object,
        object_href,
        names,
        may_answer: user
            .account()
            .may_in(Permission::RegisterOutOfPlan, &notice.department),
        may_review: user.account().may(Permission::Rectify),
        today: service::now().date_naive(),
        provisional: state
            .calendar
            .get()
            .is_provisional_span(notice.issued_at.date_naive(), notice.due),
        chrome: Chrome::staff(&user, format!("整改通知 {id}"), "/supervision"),
        notice,
    })
}

#[derive(Template)]
#[template(path = "staff/supervision_notice_print.html")]
struct PrintPage {
    chrome: Chrome,
    notice: Rectification,
    object: String,
    department_name: String,
    /// Working days to answer.
    days: u32,
    provisional: bool,
    city: String,
    printed_by: String,
    printed_at: String,
}

/// `GET /supervision/notices/{id}/print`: the 整改通知书 as a printable page
/// (A4, print CSS): the object in words, the finding, the requirement, the
/// deadline in working days and the department.
async fn print_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let notice = visible_notice(&state, user.account(), &id).await?;
    let names = Names::directories(&state).await?;
    let (object, _) = object_of(&state, &user, &notice, &names).await?;
    let chrome = Chrome::staff(&user, format!("整改通知书 {id}"), "/supervision");
    render(&PrintPage {
        department_name: names.department(&notice.department).text().to_owned(),
        object,
        days: service::supervision::ANSWER_WORKING_DAYS,
        provisional: state
            .calendar
            .get()
            .is_provisional_span(notice.issued_at.date_naive(), notice.due),
        city: chrome.city.clone(),
        chrome,
        printed_by: user.account().username.clone(),
        printed_at: service::now().format("%Y-%m-%d %H:%M").to_string(),
        notice,
    })
}

async fn answer_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(input): Form<NoteInput>,
) -> Result<Redirect> {
    answer(&state, &user, &id, input).await?;
    Ok(Redirect::to(&format!("/supervision/notices/{id}")))
}

async fn review_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(input): Form<NoteInput>,
) -> Result<Redirect> {
    review(&state, &user, &id, input).await?;
    Ok(Redirect::to(&format!("/supervision/notices/{id}")))
}
