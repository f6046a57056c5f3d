//! 政务服务 (/services): the matter catalogue (事项清单) and the comprehensive
//! window (综合窗口): the desk (收件 and the window's list), an application's
//! file with the step forms of its stage, the printable 补正通知书 and 受理凭证
//! (with the QR code of the public status page), and the due lists.
//!
//! Who does what: window staff (accounts that may check credit) take in any
//! 一窗通办 matter (无差别受理), give 补正, 受理, 分办, 出件 and 办结; the
//! matter's department (accounts that handle its work orders) pauses,
//! resumes, decides (not the 受理人) and rectifies 差评. Every step is a
//! `service::window` function.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::flash::Done;
use crate::ops::lists::{Filters, PER_PAGE, offset, page_number};
use crate::ops::names::Names;
use crate::ops::plans::FormPairs;
use crate::pages::{Chrome, department_options, render};
use crate::staff::list_export::{self, ExportRequest, ListExport};
use crate::staff::lists::{ExportForm, Pager};
use crate::steps;
use domain::account::Permission;
use domain::services::{Decision, Handling, MatterKind, MatterRecord, Review};
use domain::window::{Stage, WindowFile};
use service::window::{self as flow, Receipt, WindowCase};
use storage::WorkflowStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/services/matters", get(matters))
        .route("/services/matters/export", post(matters_export))
        .route("/services/matters/{code}", get(matter))
        .route("/services/window", get(desk).post(receive))
        .route("/services/window/export", post(desk_export))
        .route("/services/window/due", get(due))
        .route("/services/window/due/export", post(due_export))
        .route("/services/window/{id}", get(file))
        .route("/services/window/{id}/receipt", get(receipt_print))
        .route("/services/window/{id}/correction", get(correction_print))
        .route("/services/window/{id}/{step}", post(step))
}

// ---- the catalogue ----

/// The catalogue's filters.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct MatterFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    handling: String,
    #[serde(default)]
    one_window: String,
    #[serde(default)]
    one_licence: String,
    #[serde(default)]
    page: Option<u64>,
}

impl MatterFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", &self.q)
            .with("kind", &self.kind)
            .with("handling", &self.handling)
            .with("one_window", &self.one_window)
            .with("one_licence", &self.one_licence)
    }

    fn keeps(&self, record: &MatterRecord) -> bool {
        let Some(current) = record.current() else {
            return false;
        };
        let m = &current.matter;
        let q = self.q.trim();
        let flag = |asked: &str, value: bool| match asked {
            "是" => value,
            "否" => !value,
            _ => true,
        };
        (q.is_empty() || m.code.contains(q) || m.name.contains(q) || m.department.contains(q))
            && (self.kind.is_empty() || m.kind.is_some_and(|k| k.as_str() == self.kind))
            && (self.handling.is_empty() || m.handling.as_str() == self.handling)
            && flag(&self.one_window, m.one_window)
            && flag(&self.one_licence, m.one_licence)
    }
}

async fn matching_matters(state: &AppState, filter: &MatterFilter) -> Result<Vec<MatterRecord>> {
    Ok(state
        .db
        .list::<MatterRecord>(None)
        .await?
        .into_iter()
        .filter(|r| filter.keeps(r))
        .collect())
}

/// A catalogue row as the list shows it.
pub struct MatterRow {
    code: String,
    name: String,
    department: String,
    kind: String,
    handling: &'static str,
    promised_days: u32,
    one_window: bool,
    one_licence: bool,
    version: u32,
}

fn matter_row(record: &MatterRecord) -> Option<MatterRow> {
    let current = record.current()?;
    let m = &current.matter;
    Some(MatterRow {
        code: m.code.clone(),
        name: m.name.clone(),
        department: m.department.clone(),
        kind: m.kind.map_or_else(String::new, |k| k.as_str().to_owned()),
        handling: m.handling.as_str(),
        promised_days: m.promised_days,
        one_window: m.one_window,
        one_licence: m.one_licence,
        version: current.version,
    })
}

#[derive(Template)]
#[template(path = "staff/services_matters.html")]
struct MattersPage {
    chrome: Chrome,
    rows: Vec<MatterRow>,
    names: Names,
    filter: MatterFilter,
    kinds: &'static [MatterKind],
    handlings: &'static [Handling],
    pager: String,
    export: String,
}

async fn matters(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<MatterFilter>,
) -> Result<Html<String>> {
    let all = matching_matters(&state, &filter).await?;
    let page = page_number(filter.page);
    let rows: Vec<MatterRow> = all
        .iter()
        .skip(usize::try_from(offset(page)).unwrap_or(usize::MAX))
        .take(PER_PAGE as usize)
        .filter_map(matter_row)
        .collect();
    let filters = filter.filters();
    let chrome = Chrome::staff(&user, "事项清单", "/services/matters");
    render(&MattersPage {
        names: Names::directories(&state).await?,
        pager: Pager::new("/services/matters", &filters, page, all.len() as u64)
            .render()
            .map_err(Error::internal)?,
        export: ExportForm::new("/services/matters/export", &chrome.csrf, &filters)
            .render()
            .map_err(Error::internal)?,
        chrome,
        rows,
        filter,
        kinds: MatterKind::ALL,
        handlings: Handling::ALL,
    })
}

async fn matters_export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<ExportRequest<MatterFilter>>,
) -> Result<Html<String>> {
    let back = form.filter.filters().href("/services/matters");
    let filter = form.filter.clone();
    list_export::start(
        &state,
        &user,
        ListExport {
            name: "政务服务事项清单",
            back: &back,
            format: form.format(),
        },
        move |state, mut writer, progress| async move {
            let all = matching_matters(&state, &filter).await?;
            let names = Names::directories(&state).await?;
            writer
                .row(&[
                    "事项编码",
                    "事项名称",
                    "实施部门",
                    "实施部门名称",
                    "事项类型",
                    "办件类型",
                    "承诺时限（工作日）",
                    "一窗通办",
                    "一证通办",
                    "版本",
                ])
                .map_err(Error::internal)?;
            for row in all.iter().filter_map(matter_row) {
                let yes = |b: bool| if b { "是" } else { "否" };
                writer
                    .row(&[
                        row.code,
                        row.name,
                        row.department.clone(),
                        names.department(&row.department).name,
                        row.kind,
                        row.handling.to_owned(),
                        row.promised_days.to_string(),
                        yes(row.one_window).to_owned(),
                        yes(row.one_licence).to_owned(),
                        row.version.to_string(),
                    ])
                    .map_err(Error::internal)?;
            }
            progress.set(all.len() as u64, all.len() as u64);
            Ok(writer)
        },
    )
}

#[derive(Template)]
#[template(path = "staff/services_matter.html")]
struct MatterPage {
    chrome: Chrome,
    record: MatterRecord,
    licence_type_name: String,
    names: Names,
}

async fn matter(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(code): Path<String>,
) -> Result<Html<String>> {
    let record = service::services::matter(&state.db, &code).await?;
    let licence_type = record
        .current()
        .and_then(|v| v.matter.licence_type.clone())
        .unwrap_or_default();
    let licence_type_name = if licence_type.is_empty() {
        String::new()
    } else {
        use storage::licences::LicenceStore;
        state
            .db
            .licence_types()
            .await?
            .into_iter()
            .find(|t| t.code == licence_type)
            .map_or_else(|| "（证照类型未导入）".to_owned(), |t| t.name)
    };
    render(&MatterPage {
        names: Names::directories(&state).await?,
        chrome: Chrome::staff(&user, format!("事项 {code}"), "/services/matters"),
        record,
        licence_type_name,
    })
}

// ---- the window ----

async fn city_name(state: &AppState) -> Result<String> {
    Ok(state
        .city
        .get(&state.db)
        .await?
        .map(|c| c.name.clone())
        .unwrap_or_default())
}

/// Who reads the window's lists: window staff, the departments' back offices
/// and city-wide readers.
const READERS: [Permission; 3] = [
    Permission::CheckCredit,
    Permission::HandleWorkOrders,
    Permission::ReadAllDepartments,
];

fn require_reader(user: &User) -> Result<()> {
    if READERS.iter().any(|p| user.account().may(*p)) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

fn may_read_file(user: &User, file: &WindowFile) -> bool {
    let account = user.account();
    account.may(Permission::CheckCredit)
        || (READERS.iter().any(|p| account.may(*p)) && account.sees_department(&file.department))
}

fn require_window(user: &User) -> Result<()> {
    user.require(Permission::CheckCredit).map(|_| ())
}

/// The desk's filters.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct DeskFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "staff/services_window.html")]
struct DeskPage {
    chrome: Chrome,
    files: Vec<WindowFile>,
    filter: DeskFilter,
    stages: &'static [Stage],
    pager: String,
    export: String,
    may_receive: bool,
    one_window: Vec<(String, String)>,
    names: Names,
    departments: Vec<(String, String)>,
}

impl DeskFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", &self.q)
            .with("stage", &self.stage)
            .with("department", &self.department)
    }
}

/// The department a reader of the window's lists sees: the one asked for
/// when they read every department (window staff do), else their own.
fn list_department(user: &User, asked: &str) -> Result<String> {
    let account = user.account();
    if account.may(Permission::CheckCredit) || account.may(Permission::ReadAllDepartments) {
        Ok(asked.trim().to_owned())
    } else {
        account.department.clone().ok_or(Error::Forbidden)
    }
}

async fn desk(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<DeskFilter>,
) -> Result<Html<String>> {
    require_reader(&user)?;
    let may_receive = user.account().may(Permission::CheckCredit);
    let department = list_department(&user, &filter.department)?;
    let page = page_number(filter.page);
    let found = flow::files(
        &state.db,
        Some(&department),
        Stage::parse(&filter.stage),
        &filter.q,
        offset(page),
        PER_PAGE,
    )
    .await?;
    let filters = filter.filters();
    let one_window = if may_receive {
        state
            .db
            .list::<MatterRecord>(None)
            .await?
            .iter()
            .filter_map(|r| r.current())
            .filter(|v| v.matter.one_window)
            .map(|v| (v.matter.code.clone(), v.matter.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let chrome = Chrome::staff(&user, "综合窗口", "/services/window");
    render(&DeskPage {
        pager: Pager::new("/services/window", &filters, page, found.total)
            .render()
            .map_err(Error::internal)?,
        export: ExportForm::new("/services/window/export", &chrome.csrf, &filters)
            .render()
            .map_err(Error::internal)?,
        names: Names::directories(&state).await?,
        departments: department_options(&state).await?,
        chrome,
        files: found.rows,
        filter,
        stages: Stage::ALL,
        may_receive,
        one_window,
    })
}

async fn receive(State(state): State<Arc<AppState>>, user: User, body: String) -> Result<Response> {
    require_window(&user)?;
    let form = FormPairs::parse(&body);
    let receipt = Receipt {
        matter: form.get("matter").to_owned(),
        applicant_name: form.get("applicant_name").to_owned(),
        applicant: form.get("applicant").to_owned(),
        window: form.get("window").to_owned(),
        submitted: form
            .get("submitted")
            .split(['、', ',', '，', '\n'])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    let case = flow::receive(&state.db, &receipt, &user.actor(), domain::clock::now()).await?;
    steps::done(
        &format!("/services/window/{}", case.file.id),
        Done::ServiceStep,
        &case.file.id,
    )
}

#[derive(Template)]
#[template(path = "staff/services_file.html")]
struct FilePage {
    chrome: Chrome,
    case: WindowCase,
    applicant: String,
    may_window: bool,
    may_department: bool,
    reviews: &'static [Review],
    stage: &'static str,
    names: Names,
}

async fn file(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    require_reader(&user)?;
    let case = flow::case(&state.db, &id).await?;
    if !may_read_file(&user, &case.file) {
        return Err(Error::Forbidden);
    }
    let account = user.account();
    render(&FilePage {
        names: Names::directories(&state).await?,
        chrome: Chrome::staff(&user, format!("办件 {id}"), "/services/window"),
        applicant: case.application.applicant.masked(),
        may_window: account.may(Permission::CheckCredit),
        may_department: account.may_in(Permission::HandleWorkOrders, &case.file.department),
        reviews: Review::ALL,
        stage: case.file.stage.as_str(),
        case,
    })
}

/// The steps window staff take.
const WINDOW_STEPS: [&str; 6] = ["correct", "accept", "assign", "issue", "close", "rate"];

/// The form of a step.
fn step_form(body: &str) -> FormPairs {
    FormPairs::parse(body)
}

async fn step(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((id, step)): Path<(String, String)>,
    body: String,
) -> Result<Response> {
    let form = step_form(&body);
    if WINDOW_STEPS.contains(&step.as_str()) {
        require_window(&user)?;
    } else {
        require_reader(&user)?;
    }
    let db = &state.db;
    let actor = user.actor();
    let now = domain::clock::now();
    let calendar = state.calendar.get();
    let current = flow::case(db, &id).await?;
    let department = current.file.department.clone();
    let window = || require_window(&user);
    let back = format!("/services/window/{id}");
    let confirm = |title: &str, text: &str, button: &str| -> Option<Result<Response>> {
        (!steps::confirmed(&form)).then(|| {
            steps::ask(
                &user,
                &steps::Question {
                    title,
                    text,
                    button,
                    back: &back,
                },
                &format!("/services/window/{id}/{step}"),
                &form,
            )
        })
    };
    match step.as_str() {
        "correct" => {
            window()?;
            flow::correct(db, calendar.as_ref(), &id, form.get("note"), &actor, now).await?;
        }
        "accept" => {
            window()?;
            flow::accept(db, calendar.as_ref(), &id, &actor, now).await?;
        }
        "assign" => {
            window()?;
            flow::assign(db, &id, &actor, now).await?;
        }
        "issue" => {
            window()?;
            if let Some(ask) = confirm(
                "确认出件",
                "出件后结果文书交付申请人，准予且有结果证照的将签发电子证照，不能撤回。确认出件？",
                "确认出件",
            ) {
                return ask;
            }
            let key = state
                .licence_key
                .as_deref()
                .and_then(|path| service::licences::load_key(path).ok());
            flow::issue(db, key.as_ref(), &id, &actor, now).await?;
        }
        "close" => {
            window()?;
            if let Some(ask) = confirm("确认办结", "办结后办件不能再变更。确认办结？", "确认办结")
            {
                return ask;
            }
            flow::close(db, &id, &actor, now).await?;
        }
        "rate" => {
            window()?;
            let review = Review::parse(form.get("review"))
                .map_err(|_| Error::BadRequest("请选择评价等级".into()))?;
            flow::rate(
                db,
                calendar.as_ref(),
                &id,
                review,
                form.get("comment"),
                &actor,
                now,
            )
            .await?;
        }
        "pause" => {
            user.require_in(Permission::HandleWorkOrders, &department)?;
            flow::pause(db, &id, form.get("reason"), &actor, now).await?;
        }
        "resume" => {
            user.require_in(Permission::HandleWorkOrders, &department)?;
            flow::resume(db, calendar.as_ref(), &id, &actor, now).await?;
        }
        "decide" => {
            user.require_in(Permission::HandleWorkOrders, &department)?;
            let decision = Decision::parse(form.get("decision"))
                .map_err(|_| Error::BadRequest("请选择准予或不予".into()))?;
            if let Some(ask) = confirm(
                "确认审批",
                "审批决定作出后不能撤回。确认提交审批决定？",
                "确认审批",
            ) {
                return ask;
            }
            flow::decide(db, &id, decision, form.get("reason"), &actor, now).await?;
        }
        "rectify" => {
            user.require_in(Permission::HandleWorkOrders, &department)?;
            flow::rectify(db, &id, form.get("done"), form.get("callback"), &actor, now).await?;
        }
        "hotline" => {
            user.require_in(Permission::HandleWorkOrders, &department)?;
            flow::to_hotline(db, calendar.as_ref(), &id, form.get("phone"), &actor, now).await?;
        }
        _ => return Err(Error::NotFound("没有这个办理环节".into())),
    }
    steps::done(&back, Done::ServiceStep, &id)
}

#[derive(Template)]
#[template(path = "staff/services_correction_print.html")]
struct CorrectionPrint {
    chrome: Chrome,
    case: WindowCase,
    city: String,
}

async fn correction_print(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    require_reader(&user)?;
    let case = flow::case(&state.db, &id).await?;
    if !may_read_file(&user, &case.file) || case.file.correction.is_none() {
        return Err(Error::NotFound("该办件没有补正通知书".into()));
    }
    render(&CorrectionPrint {
        chrome: Chrome::staff(&user, format!("补正通知书 {id}"), "/services/window"),
        city: city_name(&state).await?,
        case,
    })
}

#[derive(Template)]
#[template(path = "staff/services_receipt_print.html")]
struct ReceiptPrint {
    chrome: Chrome,
    case: WindowCase,
    city: String,
    status_url: String,
    qr_svg: String,
}

/// The QR code of `text` as an SVG element.
pub fn qr_svg(text: &str) -> Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(Error::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .build())
}

async fn receipt_print(
    State(state): State<Arc<AppState>>,
    user: User,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    require_reader(&user)?;
    let case = flow::case(&state.db, &id).await?;
    if !may_read_file(&user, &case.file) || case.file.receipt_no.is_none() {
        return Err(Error::NotFound("该办件尚未受理，没有受理凭证".into()));
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let status_url = format!(
        "http://{host}/gongshi/services/status?code={}",
        case.file.query_code
    );
    render(&ReceiptPrint {
        chrome: Chrome::staff(&user, format!("受理凭证 {id}"), "/services/window"),
        qr_svg: qr_svg(&status_url)?,
        status_url,
        city: city_name(&state).await?,
        case,
    })
}

/// The columns of an exported window list.
const FILE_COLUMNS: [&str; 9] = [
    "办件编号",
    "事项编码",
    "事项名称",
    "实施部门",
    "实施部门名称",
    "收件窗口",
    "环节",
    "受理凭证编号",
    "办结期限",
];

fn file_columns(names: &Names, f: &WindowFile) -> Vec<String> {
    vec![
        f.id.clone(),
        f.matter.clone(),
        f.matter_name.clone(),
        f.department.clone(),
        names.department(&f.department).name,
        f.window.clone(),
        f.stage.as_str().to_owned(),
        f.receipt_no.clone().unwrap_or_default(),
        f.due.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

async fn desk_export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<ExportRequest<DeskFilter>>,
) -> Result<Html<String>> {
    require_reader(&user)?;
    let department = list_department(&user, &form.filter.department)?;
    let back = form.filter.filters().href("/services/window");
    let filter = form.filter.clone();
    list_export::start(
        &state,
        &user,
        ListExport {
            name: "综合窗口办件",
            back: &back,
            format: form.format(),
        },
        move |state, mut writer, progress| async move {
            let names = Names::directories(&state).await?;
            writer.row(&FILE_COLUMNS).map_err(Error::internal)?;
            let stage = Stage::parse(&filter.stage);
            let mut done = 0u64;
            loop {
                let found = flow::files(
                    &state.db,
                    Some(&department),
                    stage,
                    &filter.q,
                    done,
                    storage::MAX_PAGE,
                )
                .await?;
                for f in &found.rows {
                    writer
                        .row(&file_columns(&names, f))
                        .map_err(Error::internal)?;
                }
                done += found.rows.len() as u64;
                progress.set(done, found.total);
                if found.rows.is_empty() || done >= found.total {
                    break;
                }
            }
            Ok(writer)
        },
    )
}

/// The due lists' filters.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct DueFilter {
    #[serde(default)]
    department: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u64>,
}

impl DueFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", &self.q)
            .with("department", &self.department)
    }

    fn keeps(&self, f: &WindowFile) -> bool {
        let q = self.q.trim();
        q.is_empty()
            || f.id.contains(q)
            || f.matter.contains(q)
            || f.matter_name.contains(q)
            || f.receipt_no.as_deref().is_some_and(|n| n.contains(q))
    }
}

/// The due lists of `department` (all when empty), searched.
async fn matching_due(
    state: &AppState,
    department: &str,
    filter: &DueFilter,
) -> Result<flow::DueLists> {
    let today = domain::clock::now().date_naive();
    let calendar = state.calendar.get();
    let mut lists = flow::due(&state.db, calendar.as_ref(), Some(department), today, 2).await?;
    lists.overdue.retain(|f| filter.keeps(f));
    lists.due_soon.retain(|f| filter.keeps(f));
    Ok(lists)
}

#[derive(Template)]
#[template(path = "staff/services_due.html")]
struct DuePage {
    chrome: Chrome,
    lists: flow::DueLists,
    department: String,
    today: chrono::NaiveDate,
    filter: DueFilter,
    names: Names,
    departments: Vec<(String, String)>,
    pager: String,
    export: String,
}

async fn due(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<DueFilter>,
) -> Result<Html<String>> {
    require_reader(&user)?;
    let department = list_department(&user, &filter.department)?;
    let mut lists = matching_due(&state, &department, &filter).await?;
    let page = page_number(filter.page);
    let total = lists.overdue.len().max(lists.due_soon.len()) as u64;
    let skip = usize::try_from(offset(page)).unwrap_or(usize::MAX);
    for list in [&mut lists.overdue, &mut lists.due_soon] {
        *list = list.drain(..).skip(skip).take(PER_PAGE as usize).collect();
    }
    let filters = filter.filters();
    let chrome = Chrome::staff(&user, "办件到期提醒", "/services/window");
    render(&DuePage {
        pager: Pager::new("/services/window/due", &filters, page, total)
            .render()
            .map_err(Error::internal)?,
        export: ExportForm::new("/services/window/due/export", &chrome.csrf, &filters)
            .render()
            .map_err(Error::internal)?,
        names: Names::directories(&state).await?,
        departments: department_options(&state).await?,
        chrome,
        lists,
        department,
        today: domain::clock::now().date_naive(),
        filter,
    })
}

async fn due_export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<ExportRequest<DueFilter>>,
) -> Result<Html<String>> {
    require_reader(&user)?;
    let back = form.filter.filters().href("/services/window/due");
    let filter = form.filter.clone();
    let department = list_department(&user, &filter.department)?;
    list_export::start(
        &state,
        &user,
        ListExport {
            name: "办件到期提醒",
            back: &back,
            format: form.format(),
        },
        move |state, mut writer, progress| async move {
            let lists = matching_due(&state, &department, &filter).await?;
            let names = Names::directories(&state).await?;
            let mut header = vec!["到期状态"];
            header.extend(FILE_COLUMNS);
            writer.row(&header).map_err(Error::internal)?;
            let total = (lists.overdue.len() + lists.due_soon.len()) as u64;
            for (status, list) in [("超期", &lists.overdue), ("即将超期", &lists.due_soon)] {
                for f in list {
                    let mut row = vec![status.to_owned()];
                    row.extend(file_columns(&names, f));
                    writer.row(&row).map_err(Error::internal)?;
                }
            }
            progress.set(total, total);
            Ok(writer)
        },
    )
}
