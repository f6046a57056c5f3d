//! 12345热线 (/hotline): work orders (工单) from intake to closing, the
//! overdue list, the KPI dashboard and complaints that open out-of-plan
//! inspections.
//!
//! Who sees what:
//! - the 12345 centre ([`Permission::DispatchWorkOrders`]: hotline operators,
//!   the system administrator) sees every order, takes in (受理), dispatches
//!   (派单), decides extensions, escalates (督办), calls back (回访), closes
//!   (办结) and reopens (重办);
//! - a department ([`Permission::HandleWorkOrders`]) sees only the orders
//!   dispatched to it, and signs (签收), handles (办理), replies (答复), returns
//!   (退单) and asks for extensions (延期申请); with
//!   [`Permission::RegisterOutOfPlan`] it turns a complaint about an enterprise
//!   into an out-of-plan inspection (转立案检查);
//! - city-wide readers ([`Account::reads_all`]) read every order.
//!
//! An order the viewer may not see answers 404, as if absent. Callers are
//! always shown masked. Refusals of the workflow are shown in Chinese and the
//! order is left as it was.
//!
//! The functions without `_page` are shared with the API (`api/hotline.rs`).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::directories::{Downloads, attachment};
use super::list_export::{self, ListExport};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::hotline::{
    ActionInput, DueQuery, InspectionInput, IntakeInput, KpiParams, ListQuery, PAGE_SIZE, act,
    asked_department, call_centre, due, intake, kpi, kpi_json, list_orders, open_inspection, party,
    percent, reveal_caller, rules, scope, today, visible_order,
};
use crate::ops::names::Names;
use crate::pages::{Chrome, department_options, render, url_encode};
use crate::query::present;
use domain::account::{Account, Permission};
use domain::hotline::{Difficulty, Escalation, OrderStatus, Rating, WorkOrder};
use files::watermark::Watermark;
use service::{self, hotline as flow};
use storage::hotline::HotlineStore;
use storage::{EntityFilter, InspectorFilter, PageRequest, Store};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/hotline", get(index).post(intake_page))
        .route("/hotline/entities", get(entity_lookup))
        .route("/hotline/export", post(export_page))
        .route("/hotline/orders/{id}", get(order_page))
        .route("/hotline/orders/{id}/reveal", post(reveal_page))
        .route("/hotline/orders/{id}/act", post(act_page))
        .route("/hotline/orders/{id}/inspection", post(inspection_page))
        .route("/hotline/due", get(due_page))
        .route("/hotline/kpi", get(kpi_page))
        .route("/hotline/kpi/download", get(kpi_download))
}

// ---------------------------------------------------------------------------
// Pages.

/// An order as a row of the list.
pub struct Row {
    order: WorkOrder,
    caller: String,
    overdue: bool,
    /// The deadlines rest on a provisional calendar year (暂定).
    provisional: bool,
}

impl Row {
    fn of(order: WorkOrder, today: NaiveDate, calendar: &workcal::Calendar) -> Self {
        let overdue = order.is_open()
            && (order.close_overdue(today)
                || (order.signed_at.is_none() && order.sign_overdue(today)));
        let provisional = service::calendar::order_provisional(calendar, &order);
        Self {
            caller: order.caller.masked(),
            overdue,
            provisional,
            order,
        }
    }
}

#[derive(Template)]
#[template(path = "staff/hotline.html")]
struct Index {
    chrome: Chrome,
    rows: Vec<Row>,
    total: u64,
    page: u32,
    pages: u32,
    query: ListQuery,
    link: String,
    statuses: &'static [OrderStatus],
    departments: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    difficulties: &'static [Difficulty],
    scoped: Option<String>,
    centre: bool,
    /// A 12345 operator: may search by the caller's number.
    call_centre: bool,
    /// The filters, for the export form.
    export_fields: Vec<(&'static str, String)>,
    now: String,
    names: Names,
}

/// The list's address with its filters (for paging, export and the way back), ending in `&` or `?`.
fn list_link(query: &ListQuery) -> String {
    let mut link = String::from("/hotline?");
    for (name, value) in list_fields(query) {
        link.push_str(&format!("{name}={}&", url_encode(&value)));
    }
    link
}

/// The filters set in `query`, as (field, value).
fn list_fields(query: &ListQuery) -> Vec<(&'static str, String)> {
    [
        ("number", &query.number),
        ("keyword", &query.keyword),
        ("phone", &query.phone),
        ("status", &query.status),
        ("department", &query.department),
        ("channel", &query.channel),
        ("from", &query.from),
        ("to", &query.to),
        ("overdue", &query.overdue),
        ("entity", &query.entity),
    ]
    .into_iter()
    .filter_map(|(name, value)| present(value).map(|v| (name, v.to_owned())))
    .collect()
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>> {
    let account = user.account();
    let scoped = scope(account)?;
    let (orders, total) = list_orders(&state, account, &query, PAGE_SIZE).await?;
    let today = today();
    let page = query.page.unwrap_or(1).max(1);
    let pages = u32::try_from(total.div_ceil(u64::from(PAGE_SIZE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let link = list_link(&query);
    let rules = rules(&state);
    let calendar = state.calendar.get();
    let names = Names::directories(&state).await?;
    render(&Index {
        chrome: Chrome::staff(&user, "12345热线工单", "/hotline"),
        names,
        rows: orders
            .into_iter()
            .map(|o| Row::of(o, today, &calendar))
            .collect(),
        total,
        page,
        pages,
        link,
        statuses: OrderStatus::ALL,
        departments: department_options(&state).await?,
        channels: rules
            .channels
            .iter()
            .map(|c| (c.number.clone(), c.name.clone()))
            .collect(),
        difficulties: Difficulty::ALL,
        centre: account.may(Permission::DispatchWorkOrders),
        call_centre: call_centre(account),
        export_fields: list_fields(&query),
        scoped,
        now: service::now().format("%Y-%m-%dT%H:%M").to_string(),
        query,
    })
}

async fn intake_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(input): Form<IntakeInput>,
) -> Result<Redirect> {
    let order = intake(&state, &user, input).await.map_err(|error| {
        // The form's input names: the typed code and the caller's phone.
        match error.field() {
            Some("enterprise" | "entity") => error.on_named("entity_code"),
            Some("phone") => error.on_named("caller_phone"),
            _ => error,
        }
    })?;
    Ok(Redirect::to(&format!(
        "/hotline/orders/{}",
        url_encode(&order.id)
    )))
}

/// The forms a viewer may use on an order.
#[derive(Debug, Clone, Copy, Default)]
struct Forms {
    dispatch: bool,
    decide_extension: bool,
    escalate: bool,
    callback: bool,
    close: bool,
    reopen: bool,
    sign: bool,
    handle: bool,
    reply: bool,
    return_: bool,
    request_extension: bool,
    inspection: bool,
}

impl Forms {
    fn for_viewer(account: &Account, order: &WorkOrder) -> Self {
        use OrderStatus as S;
        let mut forms = Self::default();
        let status = order.status;
        match party(account) {
            Ok(flow::Party::Centre) => {
                forms.dispatch = status == S::Received;
                forms.decide_extension = order.pending_extension.is_some();
                forms.escalate = order.is_open() && order.escalation != Some(Escalation::Red);
                forms.callback = status == S::Replied;
                forms.close = status == S::Visited;
                forms.reopen = matches!(status, S::Visited | S::Closed)
                    && order.rating == Some(Rating::Dissatisfied);
            }
            Ok(flow::Party::Department(_)) => {
                forms.sign = status == S::Dispatched;
                forms.handle = matches!(status, S::Signed | S::Handling);
                forms.reply = forms.handle;
                forms.return_ = matches!(status, S::Dispatched | S::Signed);
                forms.request_extension = forms.handle && order.pending_extension.is_none();
            }
            Err(_) => {}
        }
        forms.inspection = order.entity.is_some()
            && order
                .department
                .as_deref()
                .is_some_and(|d| account.may_in(Permission::RegisterOutOfPlan, d));
        forms
    }

    fn any(&self) -> bool {
        self.dispatch
            || self.decide_extension
            || self.escalate
            || self.callback
            || self.close
            || self.reopen
            || self.sign
            || self.handle
            || self.reply
            || self.return_
            || self.request_extension
    }
}

#[derive(Template)]
#[template(path = "staff/hotline_order.html")]
struct OrderPage {
    chrome: Chrome,
    order: WorkOrder,
    caller: String,
    channel_name: String,
    department_name: String,
    sign_overdue: bool,
    close_overdue: bool,
    due_level: Option<Escalation>,
    /// The deadlines rest on a provisional calendar year (暂定).
    provisional: bool,
    forms: Forms,
    any_form: bool,
    message: String,
    departments: Vec<(String, String)>,
    ratings: &'static [Rating],
    levels: &'static [Escalation],
    inspectors: Vec<(String, String)>,
    today: NaiveDate,
    names: Names,
    /// The 12345 operator may show the caller's full number (at the callback).
    may_reveal: bool,
    /// The caller's full number, shown once after 显示完整号码 (logged).
    revealed: Option<String>,
    /// A supervisor may issue a rectification notice on this (late) order.
    may_rectify: bool,
}

async fn order_view(
    state: &AppState,
    user: &User,
    order: WorkOrder,
    message: String,
) -> Result<OrderPage> {
    order_view_revealed(state, user, order, message, None).await
}

async fn order_view_revealed(
    state: &AppState,
    user: &User,
    order: WorkOrder,
    message: String,
    revealed: Option<String>,
) -> Result<OrderPage> {
    let account = user.account();
    let today = today();
    let departments = department_options(state).await?;
    let department_name = order
        .department
        .as_deref()
        .map(|code| {
            departments
                .iter()
                .find(|(c, _)| c == code)
                .map_or_else(|| code.to_owned(), |(_, n)| format!("{n}（{code}）"))
        })
        .unwrap_or_default();
    let rules = rules(state);
    let channel_name = rules
        .channel(&order.channel)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let forms = Forms::for_viewer(account, &order);
    let inspectors = if forms.inspection {
        department_inspectors(
            state,
            order.department.as_deref().unwrap_or_default(),
            today,
        )
        .await?
    } else {
        Vec::new()
    };
    let entities: Vec<&str> = order.entity.as_deref().into_iter().collect();
    let names = Names::load(state, &entities, &[]).await?;
    Ok(OrderPage {
        chrome: Chrome::staff(user, format!("工单 {}", order.id), "/hotline"),
        names,
        caller: order.caller.masked(),
        channel_name,
        department_name,
        sign_overdue: order.sign_overdue(today),
        close_overdue: order.close_overdue(today),
        due_level: order
            .due_escalation(today, rules, &*state.calendar.get())
            .ok()
            .flatten(),
        provisional: service::calendar::order_provisional(&state.calendar.get(), &order),
        any_form: forms.any(),
        forms,
        message,
        departments,
        ratings: Rating::ALL,
        levels: Escalation::ALL,
        inspectors,
        today,
        may_reveal: call_centre(account) && forms.callback,
        may_rectify: account.may(Permission::Rectify)
            && order.department.is_some()
            && (order.close_overdue(today) || order.sign_overdue(today)),
        revealed,
        order,
    })
}

/// The department's inspectors certified on `day`: (certificate, name).
async fn department_inspectors(
    state: &AppState,
    department: &str,
    day: NaiveDate,
) -> Result<Vec<(String, String)>> {
    let Ok(code) = domain::DepartmentCode::parse(department) else {
        return Ok(Vec::new());
    };
    let filter = InspectorFilter {
        department: Some(code),
        certified_on: Some(day),
        ..InspectorFilter::default()
    };
    let page = state
        .db
        .search_inspectors(&filter, &PageRequest::first(200))
        .await?;
    Ok(page
        .items
        .iter()
        .map(|i| {
            (
                i.fields().cert_no.as_str().to_owned(),
                i.fields().name.clone(),
            )
        })
        .collect())
}

async fn order_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let order = visible_order(&state, user.account(), &id).await?;
    render(&order_view(&state, &user, order, String::new()).await?)
}

/// After a refused step: the order as it is, with the reason (409 or 400).
async fn refused_page(state: &AppState, user: &User, id: &str, error: Error) -> Result<Response> {
    let status = error.status();
    match error {
        Error::Conflict(message)
        | Error::BadRequest(message)
        | Error::Coded {
            status: StatusCode::CONFLICT | StatusCode::BAD_REQUEST,
            message,
            ..
        } => {
            let order = visible_order(state, user.account(), id).await?;
            let page = order_view(state, user, order, message).await?;
            Ok((status, render(&page)?).into_response())
        }
        other => Err(other),
    }
}

async fn act_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(input): Form<ActionInput>,
) -> Result<Response> {
    match act(&state, &user, &id, &input).await {
        Ok(order) => {
            Ok(Redirect::to(&format!("/hotline/orders/{}", url_encode(&order.id))).into_response())
        }
        Err(error) => refused_page(&state, &user, &id, error).await,
    }
}

async fn inspection_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let input = InspectionInput {
        detail: field("detail").unwrap_or_default(),
        inspected_on: field("inspected_on"),
        inspectors: fields
            .iter()
            .filter(|(k, _)| k == "inspectors")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    match open_inspection(&state, &user, &id, input).await {
        Ok((order, _)) => {
            Ok(Redirect::to(&format!("/hotline/orders/{}", url_encode(&order.id))).into_response())
        }
        Err(error) => refused_page(&state, &user, &id, error).await,
    }
}

/// `POST /hotline/orders/{id}/reveal` (显示完整号码): the order page with the
/// caller's full number, for the operator calling back; the reveal is on the
/// ledger. The page is not stored by the browser.
async fn reveal_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response> {
    match reveal_caller(&state, &user, &id).await {
        Ok(phone) => {
            let order = visible_order(&state, user.account(), &id).await?;
            let page =
                order_view_revealed(&state, &user, order, String::new(), Some(phone)).await?;
            Ok((
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                render(&page)?,
            )
                .into_response())
        }
        Err(error) => refused_page(&state, &user, &id, error).await,
    }
}

/// The enterprise lookup of the intake form: `q` a part of the name (or the
/// code's beginning).
#[derive(Debug, Default, serde::Deserialize)]
struct LookupQuery {
    #[serde(default)]
    q: Option<String>,
}

/// One enterprise found by the lookup.
struct Found {
    uscc: String,
    name: String,
    address: String,
    district: String,
}

#[derive(Template)]
#[template(path = "staff/hotline_entities.html")]
struct Lookup {
    query: String,
    found: Vec<Found>,
    more: bool,
}

/// Enterprises found for the intake form, at most this many.
const LOOKUP_LIMIT: u32 = 20;

/// `GET /hotline/entities?q=…`: the enterprises whose name contains `q` (or
/// whose code starts with it), each with address, district and code, so that
/// identical names are told apart; a fragment the intake form shows as choices.
async fn entity_lookup(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<LookupQuery>,
) -> Result<Html<String>> {
    user.require(Permission::DispatchWorkOrders)?;
    let text = present(&query.q).unwrap_or_default().to_owned();
    let (found, more) = if text.chars().count() < 2 {
        (Vec::new(), false)
    } else {
        let filter = EntityFilter {
            text: Some(text.clone()),
            ..EntityFilter::default()
        };
        let page = state
            .db
            .search_entities(&filter, &PageRequest::first(LOOKUP_LIMIT))
            .await?;
        let names = Names::directories(&state).await?;
        let more = page.next.is_some();
        let found = page
            .items
            .iter()
            .map(|e| Found {
                uscc: e.uscc.as_str().to_owned(),
                name: e.name.clone(),
                address: e.address.clone().unwrap_or_default(),
                district: names.district(e.district.as_str()).text().to_owned(),
            })
            .collect();
        (found, more)
    };
    render(&Lookup {
        query: text,
        found,
        more,
    })
}

/// The list's filters (as the list page sends them) and the export format.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ExportForm {
    number: Option<String>,
    keyword: Option<String>,
    phone: Option<String>,
    status: Option<String>,
    department: Option<String>,
    channel: Option<String>,
    from: Option<String>,
    to: Option<String>,
    overdue: Option<String>,
    entity: Option<String>,
    format: Option<String>,
}

impl ExportForm {
    fn query(&self) -> ListQuery {
        ListQuery {
            number: self.number.clone(),
            keyword: self.keyword.clone(),
            phone: self.phone.clone(),
            status: self.status.clone(),
            department: self.department.clone(),
            channel: self.channel.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            overdue: self.overdue.clone(),
            entity: self.entity.clone(),
            ..ListQuery::default()
        }
    }
}

/// `POST /hotline/export`: the orders the list shows (same filters and
/// scope), every page, as a CSV or XLSX job. Callers stay masked.
async fn export_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<ExportForm>,
) -> Result<Html<String>> {
    let account = user.account();
    let query = form.query();
    let filter = query.filter(account, today())?;
    let back = list_link(&query);
    let back = back.trim_end_matches(['&', '?']).to_owned();
    list_export::start(
        &state,
        &user,
        ListExport {
            name: "12345热线工单",
            back: &back,
            format: list_export::format(form.format.as_deref()),
        },
        move |state, mut writer, progress| async move {
            let total = state.db.hotline_order_count(&filter).await?;
            writer
                .row(&[
                    "工单编号",
                    "受理时间",
                    "来源渠道",
                    "问题类型",
                    "诉求内容",
                    "发生地点",
                    "来电人",
                    "涉及主体",
                    "统一社会信用代码",
                    "承办部门",
                    "签收时限",
                    "办结时限",
                    "状态",
                    "督办",
                ])
                .map_err(Error::internal)?;
            const CHUNK: u32 = 1000;
            let mut offset = 0u32;
            loop {
                let orders = state.db.hotline_orders(&filter, CHUNK, offset).await?;
                if orders.is_empty() {
                    break;
                }
                let entities: Vec<&str> =
                    orders.iter().filter_map(|o| o.entity.as_deref()).collect();
                let names = Names::load(&state, &entities, &[]).await?;
                for order in &orders {
                    let department = order
                        .department
                        .as_deref()
                        .map(|d| names.department(d).text().to_owned())
                        .unwrap_or_else(|| "未派单".to_owned());
                    writer
                        .row(&[
                            order.id.clone(),
                            order.received_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                            order.channel.clone(),
                            order.category.clone(),
                            order.content.clone(),
                            order.location.clone(),
                            order.caller.masked(),
                            order
                                .entity
                                .as_deref()
                                .map(|e| names.entity(e).name)
                                .unwrap_or_default(),
                            order.entity.clone().unwrap_or_default(),
                            department,
                            order.sign_due.to_string(),
                            order.close_due.to_string(),
                            order.status.as_str().to_owned(),
                            order
                                .escalation
                                .map(|e| e.as_str().to_owned())
                                .unwrap_or_default(),
                        ])
                        .map_err(Error::internal)?;
                }
                offset = offset.saturating_add(CHUNK);
                progress.set(u64::from(offset).min(total), total);
            }
            Ok(writer)
        },
    )
}

#[derive(Template)]
#[template(path = "staff/hotline_due.html")]
struct DuePage {
    chrome: Chrome,
    groups: Vec<(String, Vec<flow::DueOrder>)>,
    total: usize,
    query: DueQuery,
    departments: Vec<(String, String)>,
    scoped: Option<String>,
}

async fn due_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<DueQuery>,
) -> Result<Html<String>> {
    let account = user.account();
    let list = due(&state, account, &query).await?;
    let departments = department_options(&state).await?;
    let name_of = |code: &str| {
        departments
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, n)| format!("{n}（{code}）"))
    };
    let mut groups: Vec<(String, Vec<flow::DueOrder>)> = Vec::new();
    let total = list.len();
    for order in list {
        let name = match order.department.as_deref() {
            Some(code) if !code.is_empty() => name_of(code),
            _ => "12345 中心（未派单）".to_owned(),
        };
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, orders)) => orders.push(order),
            None => groups.push((name, vec![order])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    render(&DuePage {
        chrome: Chrome::staff(&user, "超期预警", "/hotline"),
        groups,
        total,
        query,
        departments,
        scoped: scope(account)?,
    })
}

#[derive(Template)]
#[template(path = "staff/hotline_kpi.html")]
struct KpiPage {
    chrome: Chrome,
    report: flow::KpiReport,
    sign_rate: String,
    close_rate: String,
    satisfaction_rate: String,
    avg_days: String,
    departments: Vec<(String, String, u64, String, String, String, String)>,
    charts: Vec<(&'static str, String)>,
    department: String,
    department_options: Vec<(String, String)>,
    scoped: Option<String>,
    query_string: String,
}

/// The ECharts options of the KPI page: volumes by channel and category, rates per department.
pub fn kpi_charts(report: &flow::KpiReport) -> Vec<(&'static str, String)> {
    let bars = |list: &[flow::Volume], name: &str| {
        let labels: Vec<String> = list
            .iter()
            .map(|v| {
                if v.name.is_empty() || v.name == v.key {
                    v.key.clone()
                } else {
                    format!("{} {}", v.key, v.name)
                }
            })
            .collect();
        let values: Vec<u64> = list.iter().map(|v| v.orders).collect();
        json!({
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "bottom": 80},
            "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 30}},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [{"name": name, "type": "bar", "data": values}]
        })
    };
    let names: Vec<String> = report.departments.iter().map(|d| d.name.clone()).collect();
    let rate = |f: fn(&flow::Kpi) -> Option<f64>| -> Vec<Value> {
        report
            .departments
            .iter()
            .map(|d| f(&d.kpi).map_or(Value::Null, |r| json!((r * 1000.0).round() / 10.0)))
            .collect()
    };
    let rates = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["及时签收率", "按时办结率", "满意率"], "top": 0},
        "grid": {"top": 56, "left": 50, "right": 20, "bottom": 20, "containLabel": true},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "value", "name": "%", "max": 100},
        "series": [
            {"name": "及时签收率", "type": "bar", "data": rate(flow::Kpi::sign_rate)},
            {"name": "按时办结率", "type": "bar", "data": rate(flow::Kpi::close_rate)},
            {"name": "满意率", "type": "bar", "data": rate(flow::Kpi::satisfaction_rate)}
        ]
    });
    vec![
        (
            "来源渠道工单量",
            bars(&report.channels, "工单量").to_string(),
        ),
        (
            "问题类型工单量",
            bars(&report.categories, "工单量").to_string(),
        ),
        ("各部门考核指标（%）", rates.to_string()),
    ]
}

async fn kpi_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(params): Query<KpiParams>,
) -> Result<Html<String>> {
    let account = user.account();
    let report = kpi(&state, account, &params).await?;
    let department = asked_department(account, &params.department)?.unwrap_or_default();
    let city = &report.city;
    let departments = report
        .departments
        .iter()
        .map(|d| {
            let k = &d.kpi;
            (
                d.code.clone(),
                d.name.clone(),
                k.orders,
                percent(k.sign_rate()),
                percent(k.close_rate()),
                percent(k.satisfaction_rate()),
                k.avg_close_working_days()
                    .map_or_else(|| "—".to_owned(), |d| format!("{d:.2}")),
            )
        })
        .collect();
    let query_string = format!(
        "from={}&to={}&department={}&as_of={}",
        report.from,
        report.to,
        url_encode(&department),
        url_encode(&domain::hotline::stored_time(report.as_of)),
    );
    render(&KpiPage {
        chrome: Chrome::staff(&user, "12345热线考核指标", "/hotline"),
        sign_rate: percent(city.sign_rate()),
        close_rate: percent(city.close_rate()),
        satisfaction_rate: percent(city.satisfaction_rate()),
        avg_days: city
            .avg_close_working_days()
            .map_or_else(|| "—".to_owned(), |d| format!("{d:.2}")),
        departments,
        charts: kpi_charts(&report),
        department_options: if scope(account)?.is_none() {
            department_options(&state).await?
        } else {
            Vec::new()
        },
        scoped: scope(account)?,
        department,
        query_string,
        report,
    })
}

async fn kpi_download(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(params): Query<KpiParams>,
) -> Result<Response> {
    let account = user.account();
    let report = kpi(&state, account, &params).await?;
    let department = asked_department(account, &params.department)?;
    let scope_name = department.as_deref().unwrap_or("全市");
    match params.format.as_deref().unwrap_or("xlsx") {
        "json" => {
            let mut response = Json(kpi_json(&report, department.as_deref())).into_response();
            let name = format!(
                "12345热线考核指标-{scope_name}-{}-{}.json",
                report.from, report.to
            );
            if let Ok(value) = axum::http::HeaderValue::from_str(&format!(
                "attachment; filename=\"hotline-kpi.json\"; filename*=UTF-8''{}",
                url_encode(&name)
            )) {
                response
                    .headers_mut()
                    .insert(axum::http::header::CONTENT_DISPOSITION, value);
            }
            Ok(response)
        }
        "xlsx" => {
            let title = format!("12345热线考核指标 {} 至 {}", report.from, report.to);
            let watermark = Watermark::web(account, title);
            let path = Downloads::new_path("xlsx")?;
            let written = flow::kpi_xlsx(&report, &watermark, &path).map_err(Error::internal);
            let bytes = written.and_then(|()| std::fs::read(&path).map_err(Error::internal));
            let _ = std::fs::remove_file(&path);
            attachment(
                bytes?,
                &format!(
                    "12345热线考核指标-{scope_name}-{}-{}.xlsx",
                    report.from, report.to
                ),
            )
        }
        other => Err(Error::BadRequest(format!(
            "下载格式 {other} 无效，应为 xlsx 或 json"
        ))),
    }
}
