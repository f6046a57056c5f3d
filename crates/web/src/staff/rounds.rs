//! 抽查批次 (/rounds): list, commit form, the witness screen (commitment,
//! witnesses and beacon, the draw as a background job), the round page with
//! its selections per plan, publication, and the visits with paging. The
//! checks live in the `pub(crate)` functions, shared with the JSON API.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
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
use crate::ops::results::enters_results;
use crate::ops::rounds::{
    CommitFields, DrawFields, VisitQuery, commit, full_record, publish, reads_full_record, round,
    sealed, start_draw, visit_conditions, visit_page, visit_visible,
};
use crate::pages::{Chrome, render, url_encode};
use crate::staff::list_export::for_each_page;
use crate::staff::list_export::{self, ExportRequest, ListExport};
use crate::staff::lists::{ExportForm, Pager};
use crate::steps;
use domain::account::Permission;
use domain::inspection::{InspectionResult, ResultStatus, Round, RoundStatus, Visit};
use domain::plan::Plan;
use service::{self, rounds};
use storage::{DocQuery, Store, WorkflowStore};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/rounds", get(index).post(commit_from_form))
        .route("/rounds/export", post(export_rounds))
        .route("/rounds/{id}", get(show))
        .route("/rounds/{id}/draw", post(draw_from_form))
        .route("/rounds/{id}/publish", post(publish_from_form))
        .route("/rounds/{id}/visits", get(visits))
        .route("/rounds/{id}/visits/export", post(export_visits))
        .route("/rounds/{id}/visits/{entity}/notice", get(visit_notice))
        .route("/rounds/{id}/bulletin", get(bulletin))
        .route("/rounds/{id}/witness-record", get(witness_record))
        .route("/rounds/{id}/record.json", get(full_record_download))
}

// ---- pages ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/rounds.html")]
struct Index {
    chrome: Chrome,
    rounds: Vec<Round>,
    may_run: bool,
    drawable: Vec<Plan>,
    q: String,
    status: String,
    statuses: &'static [RoundStatus],
    pager: Pager,
    export: ExportForm,
}

/// Which rounds the list shows.
#[derive(Debug, Default, Deserialize)]
struct RoundFilter {
    /// Part of the round's id.
    #[serde(default)]
    q: Option<String>,
    /// 已承诺, 已抽取 or 已公开.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

impl RoundFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", self.q.as_deref().unwrap_or(""))
            .with("status", self.status.as_deref().unwrap_or(""))
    }

    /// Newest id first; the search never reads the documents (a drawn
    /// round's seed is sealed until publication).
    fn conditions(&self) -> Result<DocQuery> {
        let mut query = DocQuery {
            search: self.q.clone().unwrap_or_default(),
            key_only_search: true,
            descending: true,
            without_keys_of: Some(<domain::services::Verification as storage::Document>::TABLE),
            ..DocQuery::default()
        };
        if let Some(status) = self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            query
                .equal
                .push(("status", RoundStatus::parse(status)?.as_str().to_owned()));
        }
        Ok(query)
    }
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<RoundFilter>,
) -> Result<Html<String>> {
    let page = page_number(filter.page);
    let mut query = filter.conditions()?;
    query.offset = offset(page);
    query.limit = PER_PAGE;
    let found = state.db.page::<Round>(&query).await?;
    let rounds = found.rows.into_iter().map(sealed).collect();
    let may_run = user.account().may(Permission::RunRounds);
    let drawable = if may_run {
        state
            .db
            .list::<Plan>(None)
            .await?
            .into_iter()
            .filter(|p| p.status.drawable())
            .collect()
    } else {
        Vec::new()
    };
    let filters = filter.filters();
    render(&Index {
        chrome: Chrome::staff(&user, "抽查批次", "/rounds"),
        pager: Pager::new("/rounds", &filters, page, found.total),
        export: ExportForm::new("/rounds/export", &user.0.csrf, &filters),
        q: filter.q.unwrap_or_default(),
        status: filter.status.unwrap_or_default(),
        statuses: RoundStatus::ALL,
        rounds,
        may_run,
        drawable,
    })
}

/// The rounds of the list (with its filters) as a CSV/XLSX job.
async fn export_rounds(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<RoundFilter>>,
) -> Result<Html<String>> {
    let conditions = request.filter.conditions()?;
    let back = request.filter.filters().href("/rounds");
    let export = ListExport {
        name: "抽查批次",
        back: &back,
        format: request.format(),
    };
    list_export::start(
        &state,
        &user,
        export,
        async move |state, mut writer, progress| {
            writer
                .row(&[
                    "批次",
                    "名称",
                    "窗口开始",
                    "窗口结束",
                    "计划",
                    "抽中",
                    "检查任务",
                    "未配齐",
                    "状态",
                    "抽取时间",
                ])
                .map_err(Error::internal)?;
            for_each_page::<Round>(&state, conditions, &progress, async |_, rounds| {
                for round in rounds {
                    writer
                        .row(&[
                            round.id.clone(),
                            round.title.clone(),
                            round.window_start.to_string(),
                            round.window_end.to_string(),
                            round.plans.keys().cloned().collect::<Vec<_>>().join("、"),
                            round.selections.to_string(),
                            round.visits.to_string(),
                            round.unstaffed.to_string(),
                            round.status.as_str().to_owned(),
                            round
                                .drawn_at
                                .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
                                .unwrap_or_default(),
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

/// Reads a number that may be left empty.
fn optional_number(text: &str, label: &str) -> Result<Option<u32>> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| Error::BadRequest(format!("{label}应为整数（收到 “{text}”）"))),
    }
}

async fn commit_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    body: String,
) -> Result<Redirect> {
    let form = FormPairs::parse(&body);
    let fields = CommitFields {
        id: form.get("id").to_owned(),
        title: form.get("title").to_owned(),
        window_start: form.date("window_start", "窗口开始日期")?,
        window_end: form.date("window_end", "窗口结束日期")?,
        cap: optional_number(form.get("cap"), "每人任务上限")?,
        plans: form.all("plans"),
    };
    let round = commit(&state, &user, fields).await?;
    Ok(Redirect::to(&format!("/rounds/{}", url_encode(&round.id))))
}

/// How many visits each plan of the round drew.
struct PlanCount {
    plan: String,
    version: u32,
    visits: usize,
    /// The viewer may open the plan (else its id is shown without a link that would answer 404).
    linked: bool,
}

#[derive(Template)]
#[template(path = "staff/rounds_show.html")]
struct Show {
    chrome: Chrome,
    round: Round,
    plans: Vec<PlanCount>,
    job: Option<u64>,
    may_run: bool,
    visible_visits: usize,
    /// Whether the draw committed, in words.
    draw_state: String,
    /// Whether the viewer may download the full record (published rounds only).
    full_record: bool,
    /// Whether this process is drawing the round now: no form, the page polls.
    drawing: bool,
    /// Where the witness form posts (staff/witness_form.html).
    draw_action: String,
    /// What the form draws, in its confirmation.
    draw_subject: String,
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    #[serde(default)]
    job: Option<u64>,
}

async fn show(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    let visits = state.db.list::<Visit>(Some(("round", &id))).await?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for plan in visits.iter().flat_map(|v| v.plans.iter()) {
        *counts.entry(plan.as_str()).or_default() += 1;
    }
    let mut plans = Vec::new();
    for (plan, version) in &round.plans {
        plans.push(PlanCount {
            visits: counts.get(plan.as_str()).copied().unwrap_or(0),
            linked: crate::ops::plans::visible_plan(&state, &user, plan)
                .await
                .is_ok(),
            plan: plan.clone(),
            version: *version,
        });
    }
    let published = round.status == RoundStatus::Published;
    let visible_visits = visits
        .iter()
        .filter(|v| visit_visible(user.account(), v, published))
        .count();
    render(&Show {
        chrome: Chrome::staff(&user, format!("批次 {}", round.id), "/rounds"),
        draw_action: format!("/rounds/{}/draw", round.id),
        draw_subject: format!("批次 {}", round.id),
        draw_state: rounds::draw_state(&round),
        full_record: published && reads_full_record(user.account()),
        drawing: round.status == RoundStatus::Committed && state.drawing.contains(&round.id),
        may_run: user.account().may(Permission::RunRounds),
        round,
        plans,
        job: query.job,
        visible_visits,
    })
}

async fn full_record_download(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response> {
    let bytes = full_record(&state, &user, &id).await?;
    Ok(crate::export::round_json_download(&id, "full", bytes))
}

async fn draw_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    let form = FormPairs::parse(&body);
    if !steps::confirmed(&form) {
        user.require(Permission::RunRounds)?;
        let text = format!(
            "现在抽取批次 {id}？信标：{}。抽取一经进行不能重做，请见证人先核对信标与见证人名单。",
            form.get("beacon")
        );
        let question = steps::Question {
            title: "确认抽取",
            text: &text,
            button: "确认抽取",
            back: &format!("/rounds/{}", url_encode(&id)),
        };
        let action = format!("/rounds/{}/draw", url_encode(&id));
        return steps::ask(&user, &question, &action, &form);
    }
    let fields = DrawFields {
        beacon: form.get("beacon").to_owned(),
        witnesses: rounds::witness_lines(form.get("witnesses")),
    };
    let job = start_draw(&state, &user, &id, fields).await?;
    Ok(Redirect::to(&format!("/rounds/{}?job={job}", url_encode(&id))).into_response())
}

/// 公示 of a round's secret and record, only with the confirmation (see [`crate::steps`]).
async fn publish_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    publish_step(&state, &user, &id, &body).await
}

async fn publish_step(state: &AppState, user: &User, id: &str, body: &str) -> Result<Response> {
    let form = FormPairs::parse(body);
    let back = format!("/rounds/{}", url_encode(id));
    if !steps::confirmed(&form) {
        user.require(Permission::RunRounds)?;
        let text =
            format!("公开批次 {id} 的秘密与抽取记录？公开后任何人都可复核抽取结果，不能撤回。");
        let question = steps::Question {
            title: "确认公开抽取记录",
            text: &text,
            button: "确认公开",
            back: &back,
        };
        return steps::ask(user, &question, &format!("{back}/publish"), &form);
    }
    let round = publish(state, user, id).await?;
    steps::done(&back, Done::RoundPublished, &round.id)
}

/// A team as a row shows it: the department, its inspectors' certificates
/// (none when unstaffed) and whether it is staffed.
struct TeamRow {
    department: String,
    assigned: Vec<String>,
    staffed: bool,
}

/// One plan of a round on the witness record.
struct WitnessedPlan {
    plan: String,
    title: String,
    version: u32,
    frame_digest: String,
}

#[derive(Template)]
#[template(path = "staff/rounds_witness_record.html")]
struct WitnessRecord {
    chrome: Chrome,
    round: Round,
    plans: Vec<WitnessedPlan>,
    printed_at: String,
}

/// The 抽取见证记录 to print and sign: commitment, frame digests, beacon,
/// witnesses, counts and the SHA-256 of the full record; never the seed.
async fn witness_record(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    if round.status == RoundStatus::Committed {
        return Err(Error::Conflict(format!(
            "批次 {id} 尚未抽取：见证记录在抽取完成后打印"
        )));
    }
    let mut plans = Vec::new();
    for (plan, version) in &round.plans {
        let title = state
            .db
            .get::<Plan>(plan)
            .await?
            .map(|p| p.title.clone())
            .unwrap_or_default();
        plans.push(WitnessedPlan {
            plan: plan.clone(),
            title,
            version: *version,
            frame_digest: round.frame_digests.get(plan).cloned().unwrap_or_default(),
        });
    }
    render(&WitnessRecord {
        chrome: Chrome::staff(&user, format!("抽取见证记录 {}", round.id), "/rounds"),
        // The seed is never printed here, published or not: the record is signed before publication.
        round: Round {
            round_seed: None,
            secret: None,
            ..round
        },
        plans,
        printed_at: service::now().format("%Y-%m-%d %H:%M").to_string(),
    })
}

/// A visit as a row: its teams, and whether the viewer may enter its results.
struct VisitRow {
    visit: Visit,
    teams: Vec<TeamRow>,
    may_enter: bool,
}

#[derive(Template)]
#[template(path = "staff/rounds_visits.html")]
struct Visits {
    chrome: Chrome,
    round: Round,
    rows: Vec<VisitRow>,
    names: Names,
    pager: Pager,
    export: ExportForm,
    q: String,
    plan: String,
    department: String,
    departments: Vec<(String, String)>,
}

/// The certificates of the inspectors on a visit's teams.
fn assigned(visits: &[Visit]) -> Vec<&str> {
    visits
        .iter()
        .flat_map(|v| &v.teams)
        .flat_map(|t| &t.assigned)
        .map(String::as_str)
        .collect()
}

async fn visits(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Query(query): Query<VisitQuery>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    let page = visit_page(&state, &user, &id, &query).await?;
    let entities: Vec<&str> = page.visits.iter().map(|v| v.entity.as_str()).collect();
    let names = Names::load(&state, &entities, &assigned(&page.visits)).await?;
    let rows = page
        .visits
        .into_iter()
        .map(|visit| VisitRow {
            teams: visit
                .teams
                .iter()
                .map(|t| TeamRow {
                    department: t.department.clone(),
                    assigned: t.assigned.clone(),
                    staffed: !(t.unstaffed && t.assigned.is_empty()),
                })
                .collect(),
            may_enter: enters_results(&user, &visit),
            visit,
        })
        .collect();
    let path = format!("/rounds/{}/visits", url_encode(&round.id));
    let filters = query.filters();
    render(&Visits {
        chrome: Chrome::staff(&user, format!("批次 {} 检查任务", round.id), "/rounds"),
        pager: Pager::new(&path, &filters, page.page, page.total),
        export: ExportForm::new(&format!("{path}/export"), &user.0.csrf, &filters),
        departments: crate::pages::department_options(&state).await?,
        q: query.q.unwrap_or_default(),
        plan: query.plan.unwrap_or_default(),
        department: query.department.unwrap_or_default(),
        round,
        rows,
        names,
    })
}

/// The visits of the list (with its filters) as a CSV/XLSX job: names next
/// to codes, only the visits the user sees.
async fn export_visits(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Form(request): Form<ExportRequest<VisitQuery>>,
) -> Result<Html<String>> {
    let conditions = visit_conditions(&state, &user, &id, &request.filter).await?;
    let back = request
        .filter
        .filters()
        .href(&format!("/rounds/{}/visits", url_encode(&id)));
    let export = ListExport {
        name: &format!("批次{id}检查任务"),
        back: &back,
        format: request.format(),
    };
    list_export::start(
        &state,
        &user,
        export,
        async move |state, mut writer, progress| {
            writer
                .row(&[
                    "检查任务",
                    "市场主体名称",
                    "统一社会信用代码",
                    "地址",
                    "计划",
                    "检查部门",
                    "检查人员（执法证号）",
                    "完成期限",
                ])
                .map_err(Error::internal)?;
            for_each_page::<Visit>(&state, conditions, &progress, async |state, visits| {
                let entities: Vec<&str> = visits.iter().map(|v| v.entity.as_str()).collect();
                let names = Names::load(state, &entities, &assigned(visits)).await?;
                for visit in visits {
                    let entity = names.entity(&visit.entity);
                    let departments: Vec<String> = visit
                        .teams
                        .iter()
                        .map(|t| {
                            format!(
                                "{}（{}）",
                                names.department(&t.department).text(),
                                t.department
                            )
                        })
                        .collect();
                    let inspectors: Vec<String> = visit
                        .teams
                        .iter()
                        .flat_map(|t| &t.assigned)
                        .map(|cert| format!("{}（{cert}）", names.inspector(cert).text()))
                        .collect();
                    writer
                        .row(&[
                            visit.id.clone(),
                            entity.name.clone(),
                            visit.entity.clone(),
                            entity.detail.clone(),
                            visit.plans.join("、"),
                            departments.join("、"),
                            inspectors.join("、"),
                            visit.due_by.to_string(),
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

/// An item of a visit on its notice: name, code and legal basis.
struct NoticeItem {
    department: String,
    code: String,
    name: String,
    legal_basis: String,
}

#[derive(Template)]
#[template(path = "staff/visit_notice.html")]
struct VisitNotice {
    chrome: Chrome,
    round: Round,
    visit: Visit,
    names: Names,
    items: Vec<NoticeItem>,
    plans: Vec<(String, String)>,
    printed_at: String,
}

/// The 检查通知书 of a visit, to print: entity, items with their legal basis,
/// inspectors with certificate numbers, the window, the departments, a space
/// for the seal. Only for accounts that see the visit; never a risk class.
async fn visit_notice(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((id, entity)): Path<(String, String)>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    let missing = || Error::NotFound(format!("检查任务 {id}/{entity} 不存在"));
    let visit = state
        .db
        .get::<Visit>(&Visit::id_for(&id, &entity))
        .await?
        .ok_or_else(missing)?;
    if !visit_visible(
        user.account(),
        &visit,
        round.status == RoundStatus::Published,
    ) {
        return Err(missing());
    }
    let names = Names::load(
        &state,
        &[visit.entity.as_str()],
        &assigned(std::slice::from_ref(&visit)),
    )
    .await?;
    let mut items = Vec::new();
    for item in &visit.items {
        let (name, legal_basis) = item_text(&state, &item.item).await?;
        items.push(NoticeItem {
            department: item.department.clone(),
            code: item.item.clone(),
            name,
            legal_basis,
        });
    }
    let mut plans = Vec::new();
    for plan in &visit.plans {
        let title = state
            .db
            .get::<Plan>(plan)
            .await?
            .map(|p| p.title.clone())
            .unwrap_or_default();
        plans.push((plan.clone(), title));
    }
    render(&VisitNotice {
        chrome: Chrome::staff(&user, format!("检查通知书 {}", visit.id), "/rounds"),
        round,
        visit,
        names,
        items,
        plans,
        printed_at: service::now().format("%Y-%m-%d %H:%M").to_string(),
    })
}

/// An item's (or joint item's) name and legal basis; empty when unknown.
async fn item_text(state: &AppState, code: &str) -> Result<(String, String)> {
    let Ok(parsed) = domain::ItemCode::parse(code) else {
        return Ok(Default::default());
    };
    if let Some(item) = state.db.item(&parsed).await? {
        let f = item.fields();
        return Ok((f.name.clone(), f.legal_basis.clone()));
    }
    Ok(state
        .db
        .joint_item(&parsed)
        .await?
        .map(|item| {
            (
                item.fields().name.clone(),
                item.fields().legal_basis.clone(),
            )
        })
        .unwrap_or_default())
}

/// A results bulletin: whose results, and the published results themselves.
#[derive(Template)]
#[template(path = "staff/results_bulletin.html")]
pub(crate) struct Bulletin {
    chrome: Chrome,
    /// What the bulletin covers, e.g. 批次 2025-Q1 …
    scope: String,
    /// The page it returns to.
    back: String,
    results: Vec<InspectionResult>,
    names: Names,
    total: u64,
    printed_at: String,
}

impl Bulletin {
    /// The published results matching `query` (at most [`storage::MAX_PAGE`]),
    /// as the public sees them: entity, item, department, result; no risk
    /// class. `scope`: the menu section and what the bulletin covers.
    pub(crate) async fn render(
        state: &AppState,
        user: &User,
        (section, scope): (&str, String),
        back: String,
        mut query: DocQuery,
    ) -> Result<Html<String>> {
        query
            .equal
            .push(("status", ResultStatus::Published.as_str().to_owned()));
        query.limit = storage::MAX_PAGE;
        let found = state.db.page::<InspectionResult>(&query).await?;
        let entities: Vec<&str> = found.rows.iter().map(|r| r.entity.as_str()).collect();
        let names = Names::load(state, &entities, &[]).await?;
        render(&Bulletin {
            chrome: Chrome::staff(user, format!("抽查结果公告 {scope}"), section),
            scope,
            back,
            total: found.total,
            results: found.rows,
            names,
            printed_at: service::now().format("%Y-%m-%d %H:%M").to_string(),
        })
    }
}

/// The results bulletin of a round, to print.
async fn bulletin(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let round = round(&state, &id).await?;
    let query = DocQuery {
        key_prefix: format!("{id}/"),
        ..DocQuery::default()
    };
    let scope = format!(
        "批次 {} {}（检查窗口 {} 至 {}）",
        round.id, round.title, round.window_start, round.window_end
    );
    let back = format!("/rounds/{}", url_encode(&round.id));
    Bulletin::render(&state, &user, ("/rounds", scope), back, query).await
}
