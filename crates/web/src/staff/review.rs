//! 案卷评查 (/review): the reviewers (list, search, department filter, paging,
//! export, import), the reviews (list, commit form), a review's witness
//! screen (commitment, frame digests, witnesses and beacon, the draw as a
//! background job) and its drawn files with their reviewers, the record and
//! its public view. The Justice Bureau (整改/监督 permission) commits and
//! draws; a department sees its own drawn files.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::flash::Done;
use crate::jobs;
use crate::ops::lists::{Filters, PER_PAGE, offset, page_number};
use crate::ops::plans::FormPairs;
use crate::pages::{Chrome, department_options, render, url_encode};
use crate::staff::cases::scope;
use crate::staff::list_export::{self, ExportRequest, ListExport};
use crate::staff::lists::{ExportForm, Pager};
use crate::steps;
use domain::account::Permission;
use domain::inspection::RoundStatus;
use domain::review::{Review, ReviewFile, Reviewer, Sampling};
use domain::review_scoring::{Category, Mark, Thresholds, format_tenths};
use service::review::ReviewSpec;
use service::review::scoring::{self, FileLine};
use storage::{ReviewStore, WorkflowStore};

/// Who commits and draws reviews: the Justice Bureau.
const RUN_REVIEWS: Permission = Permission::Rectify;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/review", get(index).post(commit_from_form))
        .route("/review/export", post(export_reviews))
        .route("/review/reviewers", get(reviewers))
        .route(
            "/review/reviewers/import",
            post(import_reviewers).layer(DefaultBodyLimit::max(32 << 20)),
        )
        .route("/review/reviewers/export", post(export_reviewers))
        .route("/review/{id}", get(show))
        .route("/review/{id}/draw", post(draw_from_form))
        .route("/review/{id}/record.json", get(record_download))
        .route("/review/{id}/public.json", get(public_download))
        .route("/review/{id}/files/{case}", get(file_page))
        .route("/review/{id}/files/{case}/score", post(score_from_form))
}

// ---- reviewers ---------------------------------------------------------------

/// Which reviewers the list shows.
#[derive(Debug, Default, Deserialize)]
struct ReviewerFilter {
    /// Part of the 评查员编号, name or field.
    #[serde(default)]
    q: Option<String>,
    /// A department code or 外聘.
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

impl ReviewerFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", self.q.as_deref().unwrap_or(""))
            .with("unit", self.unit.as_deref().unwrap_or(""))
    }

    fn matches(&self, reviewer: &Reviewer) -> bool {
        let q = self.q.as_deref().map(str::trim).unwrap_or("");
        let unit = self.unit.as_deref().map(str::trim).unwrap_or("");
        (unit.is_empty() || reviewer.unit == unit)
            && (q.is_empty()
                || reviewer.id.contains(q)
                || reviewer.name.contains(q)
                || reviewer.fields.iter().any(|f| f.contains(q)))
    }
}

/// A reviewer as listed: the ID number masked, the unit named.
struct ReviewerRow {
    id: String,
    name: String,
    unit: String,
    fields: String,
    id_card: String,
}

fn reviewer_row(reviewer: &Reviewer, names: &HashMap<String, String>) -> ReviewerRow {
    ReviewerRow {
        id: reviewer.id.clone(),
        name: reviewer.name.clone(),
        unit: unit_label(&reviewer.unit, names),
        fields: reviewer.fields.join("、"),
        id_card: reviewer.masked_id_card(),
    }
}

/// `名称（CODE）` for a department, `外聘` as it is.
fn unit_label(unit: &str, names: &HashMap<String, String>) -> String {
    match names.get(unit) {
        Some(name) => format!("{name}（{unit}）"),
        None => unit.to_owned(),
    }
}

async fn department_names(
    state: &AppState,
) -> Result<(Vec<(String, String)>, HashMap<String, String>)> {
    let options = department_options(state).await?;
    let names = options.iter().cloned().collect();
    Ok((options, names))
}

#[derive(Template)]
#[template(path = "staff/review_reviewers.html")]
struct ReviewersPage {
    chrome: Chrome,
    rows: Vec<ReviewerRow>,
    total: usize,
    q: String,
    unit: String,
    departments: Vec<(String, String)>,
    may_import: bool,
    pager: Pager,
    export: ExportForm,
}

async fn reviewers(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<ReviewerFilter>,
) -> Result<Html<String>> {
    let all = service::review::reviewers(&state.db).await?;
    let (departments, names) = department_names(&state).await?;
    let matching: Vec<&Reviewer> = all.iter().filter(|r| filter.matches(r)).collect();
    let page = page_number(filter.page);
    let rows = matching
        .iter()
        .skip(usize::try_from(offset(page)).unwrap_or(usize::MAX))
        .take(PER_PAGE as usize)
        .map(|r| reviewer_row(r, &names))
        .collect();
    let filters = filter.filters();
    render(&ReviewersPage {
        chrome: Chrome::staff(&user, "评查人员", "/review"),
        pager: Pager::new("/review/reviewers", &filters, page, matching.len() as u64),
        export: ExportForm::new("/review/reviewers/export", &user.0.csrf, &filters),
        total: matching.len(),
        rows,
        q: filter.q.unwrap_or_default(),
        unit: filter.unit.unwrap_or_default(),
        departments,
        may_import: user.account().may(RUN_REVIEWS),
    })
}

async fn export_reviewers(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<ReviewerFilter>>,
) -> Result<Html<String>> {
    let back = request.filter.filters().href("/review/reviewers");
    let export = ListExport {
        name: "评查人员",
        back: &back,
        format: request.format(),
    };
    let filter = request.filter;
    list_export::start(
        &state,
        &user,
        export,
        async move |state, mut writer, progress| {
            writer
                .row(&["评查员编号", "姓名", "所属单位", "专业领域", "身份证号"])
                .map_err(Error::internal)?;
            let (_, names) = department_names(&state).await?;
            let all = service::review::reviewers(&state.db).await?;
            let matching: Vec<&Reviewer> = all.iter().filter(|r| filter.matches(r)).collect();
            for reviewer in &matching {
                let row = reviewer_row(reviewer, &names);
                writer
                    .row(&[row.id, row.name, row.unit, row.fields, row.id_card])
                    .map_err(Error::internal)?;
            }
            progress.set(matching.len() as u64, matching.len() as u64);
            Ok(writer)
        },
    )
}

#[derive(Template)]
#[template(path = "staff/directories_job.html")]
struct JobPage {
    chrome: Chrome,
    heading: String,
    job: u64,
}

/// `POST /review/reviewers/import`: multipart `file` (CSV or XLSX), imported
/// as a job as `jianguan import reviewers` does.
async fn import_reviewers(
    State(state): State<Arc<AppState>>,
    user: User,
    mut multipart: Multipart,
) -> Result<Html<String>> {
    user.require(RUN_REVIEWS)?;
    let bad =
        |e: axum::extract::multipart::MultipartError| Error::BadRequest(format!("上传失败：{e}"));
    let mut saved = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("reviewers.csv").to_owned();
        let ext = std::path::Path::new(&file_name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .filter(|e| matches!(e.as_str(), "csv" | "xlsx" | "xls"))
            .ok_or_else(|| Error::BadRequest("请上传 CSV、XLSX 或 XLS 文件".into()))?;
        let path = crate::export::Downloads::new_path(&ext)?;
        if let Err(error) = crate::staff::directories::save_field(&mut field, &path).await {
            let _ = std::fs::remove_file(&path);
            return Err(error);
        }
        saved = Some((path, file_name));
    }
    let (path, file_name) = saved.ok_or_else(|| Error::BadRequest("请选择要上传的文件".into()))?;
    let heading = format!("导入评查人员：{file_name}");
    let job = state.jobs.start(&heading, &user.account().username);
    let (task_state, actor) = (state.clone(), user.actor());
    jobs::spawn(&state, job, async move {
        let outcome =
            service::review::import_reviewers(&task_state.db, &path, &actor, service::now()).await;
        let _ = std::fs::remove_file(&path);
        let import = outcome.map_err(|e| Error::BadRequest(format!("导入失败：{e}")))?;
        let o = &import.outcome;
        Ok((
            format!(
                "新增 {} 人，更新 {} 人，未变 {} 人，有误 {} 行",
                o.inserted,
                o.updated,
                o.unchanged,
                o.errors.len()
            ),
            Some(("/review/reviewers".to_owned(), "查看评查人员".to_owned())),
        ))
    });
    render(&JobPage {
        chrome: Chrome::staff(&user, heading.clone(), "/review"),
        heading,
        job,
    })
}

// ---- reviews -----------------------------------------------------------------

/// Which reviews the list shows.
#[derive(Debug, Default, Deserialize)]
struct ReviewFilter {
    /// Part of the review's id.
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

impl ReviewFilter {
    fn filters(&self) -> Filters {
        Filters::default().with("q", self.q.as_deref().unwrap_or(""))
    }

    fn query(&self) -> storage::DocQuery {
        storage::DocQuery {
            search: self.q.clone().unwrap_or_default(),
            key_only_search: true,
            descending: true,
            ..storage::DocQuery::default()
        }
    }
}

#[derive(Template)]
#[template(path = "staff/review_index.html")]
struct Index {
    chrome: Chrome,
    reviews: Vec<Review>,
    q: String,
    may_run: bool,
    departments: Vec<(String, String)>,
    pager: Pager,
    export: ExportForm,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<ReviewFilter>,
) -> Result<Html<String>> {
    let page = page_number(filter.page);
    let mut query = filter.query();
    query.offset = offset(page);
    query.limit = PER_PAGE;
    let found = state.db.page::<Review>(&query).await?;
    let filters = filter.filters();
    render(&Index {
        chrome: Chrome::staff(&user, "案卷评查", "/review"),
        pager: Pager::new("/review", &filters, page, found.total),
        export: ExportForm::new("/review/export", &user.0.csrf, &filters),
        reviews: found.rows,
        q: filter.q.unwrap_or_default(),
        may_run: user.account().may(RUN_REVIEWS),
        departments: department_options(&state).await?,
    })
}

async fn export_reviews(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<ReviewFilter>>,
) -> Result<Html<String>> {
    let query = request.filter.query();
    let back = request.filter.filters().href("/review");
    let export = ListExport {
        name: "评查活动",
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
                    "评查活动",
                    "年度",
                    "部门",
                    "抽取案卷",
                    "未配齐",
                    "状态",
                    "承诺值",
                ])
                .map_err(Error::internal)?;
            list_export::for_each_page::<Review>(&state, query, &progress, async |_, reviews| {
                for r in reviews {
                    writer
                        .row(&[
                            r.id.clone(),
                            r.year.to_string(),
                            r.departments.join("、"),
                            r.files.to_string(),
                            r.unstaffed.to_string(),
                            r.status.as_str().to_owned(),
                            r.commitment.clone(),
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

/// Reads a whole number the form may leave empty.
fn number<T: std::str::FromStr>(form: &FormPairs, field: &str, label: &str) -> Result<Option<T>> {
    match form.get(field).trim() {
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
    user.require(RUN_REVIEWS)?;
    let form = FormPairs::parse(&body);
    let year =
        number(&form, "year", "年度")?.ok_or_else(|| Error::BadRequest("请填写年度".into()))?;
    let sampling = match (
        number(&form, "per_department", "每部门抽取份数")?,
        number(&form, "rate_bp", "抽取比例（基点）")?,
    ) {
        (Some(n), None) => Sampling::PerDepartment(n),
        (None, Some(r)) => Sampling::RateBp(r),
        _ => {
            return Err(Error::BadRequest(
                "每部门抽取份数与抽取比例须填写且只填写其一".into(),
            ));
        }
    };
    let spec = ReviewSpec {
        id: form.get("id").trim().to_owned(),
        year,
        departments: form.all("departments"),
        sampling,
        reviewers_per_case: number(&form, "reviewers_per_case", "每卷评查人数")?.unwrap_or(2),
        cap: number(&form, "cap", "每人评查上限")?,
    };
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    let secret = draw::Secret::from_bytes(bytes);
    let review =
        service::review::commit(&state.db, &spec, &secret, service::now(), &user.actor()).await?;
    Ok(Redirect::to(&format!("/review/{}", url_encode(&review.id))))
}

/// A drawn file as the review page lists it: reviewers named next to codes.
struct FileRow {
    case: String,
    href: String,
    department: String,
    reviewers: Vec<String>,
    unstaffed: bool,
    result: ResultCells,
}

/// A file's score, grade and status as shown (empty until known).
struct ResultCells {
    score: String,
    grade: String,
    status: String,
}

impl ResultCells {
    fn of(line: Option<&FileLine>) -> Self {
        Self {
            score: line
                .and_then(|l| l.score)
                .map(format_tenths)
                .unwrap_or_default(),
            grade: line
                .and_then(|l| l.grade)
                .map(|g| g.as_str().to_owned())
                .unwrap_or_default(),
            status: line
                .map(|l| l.status.as_str().to_owned())
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/review_show.html")]
struct Show {
    chrome: Chrome,
    review: Review,
    files: Vec<FileRow>,
    /// Each department's frame: plan id, files, digest.
    frames: Vec<(String, u64, String)>,
    job: Option<u64>,
    may_run: bool,
    full_record: bool,
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

/// Reviewers' names by 评查员编号.
async fn reviewer_names(state: &AppState) -> Result<HashMap<String, String>> {
    Ok(service::review::reviewers(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

/// `姓名（编号）`, or the id alone for an unknown reviewer.
fn named_reviewer(names: &HashMap<String, String>, id: &str) -> String {
    match names.get(id) {
        Some(name) => format!("{name}（{id}）"),
        None => id.to_owned(),
    }
}

async fn existing_review(state: &AppState, id: &str) -> Result<Review> {
    Ok(service::existing::<_, Review>(&state.db, id).await?)
}

/// The key under which the in-process draw guard holds a review.
fn drawing_key(id: &str) -> String {
    format!("review:{id}")
}

async fn show(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Html<String>> {
    let review = existing_review(&state, &id).await?;
    let scope = scope(user.account());
    let (_, departments) = department_names(&state).await?;
    let reviewers = reviewer_names(&state).await?;
    let named = |id: &String| named_reviewer(&reviewers, id);
    let results: HashMap<String, FileLine> = if review.status == RoundStatus::Drawn {
        scoring::report(&state.db, &id, &Thresholds::default())
            .await?
            .files
            .into_iter()
            .map(|line| (line.case.clone(), line))
            .collect()
    } else {
        HashMap::new()
    };
    let files = state
        .db
        .review_assignments(&id)
        .await?
        .into_iter()
        .filter(|f: &ReviewFile| scope.as_deref().is_none_or(|d| d == f.department))
        .map(|f| {
            let line = results.get(&f.case);
            FileRow {
                href: file_href(&id, &f.case),
                department: unit_label(&f.department, &departments),
                reviewers: f
                    .reviewers
                    .iter()
                    .chain(f.escalated.iter().map(|e| &e.reviewer))
                    .map(named)
                    .collect(),
                unstaffed: f.unstaffed,
                result: ResultCells::of(line),
                case: f.case,
            }
        })
        .collect();
    let frames = review
        .frame_digests
        .iter()
        .map(|(plan, digest)| {
            let size = review.frame_sizes.get(plan).copied().unwrap_or(0);
            (plan.clone(), size, digest.clone())
        })
        .collect();
    let account = user.account();
    render(&Show {
        frames,
        chrome: Chrome::staff(&user, format!("评查活动 {id}"), "/review"),
        draw_action: format!("/review/{}/draw", url_encode(&id)),
        draw_subject: format!("评查活动 {id}"),
        drawing: review.status == RoundStatus::Committed
            && state.drawing.contains(&drawing_key(&id)),
        may_run: account.may(RUN_REVIEWS),
        full_record: account.may(RUN_REVIEWS) || account.reads_all(),
        review,
        files,
        job: query.job,
    })
}

async fn draw_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    user.require(RUN_REVIEWS)?;
    let form = FormPairs::parse(&body);
    let back = format!("/review/{}", url_encode(&id));
    if !steps::confirmed(&form) {
        let text = format!(
            "现在抽取评查活动 {id}？信标：{}。抽取一经进行不能重做，请见证人先核对信标与见证人名单。",
            form.get("beacon")
        );
        let question = steps::Question {
            title: "确认抽取",
            text: &text,
            button: "确认抽取",
            back: &back,
        };
        return steps::ask(&user, &question, &format!("{back}/draw"), &form);
    }
    service::review::check_drawable(&existing_review(&state, &id).await?)?;
    let beacon = form.get("beacon").to_owned();
    let witnesses = service::rounds::witness_lines(form.get("witnesses"));
    if witnesses.is_empty() {
        let refusal =
            service::Refusal::new("witness_required", "name the witnesses", "请填写见证人");
        return Err(service::WorkflowError::from(refusal.on("witnesses")).into());
    }
    let guard = crate::ops::rounds::DrawGuard::take(&state.drawing, &drawing_key(&id))?;
    let job = state
        .jobs
        .start(&format!("抽取评查活动 {id}"), &user.account().username);
    let (task_state, actor, review_id) = (state.clone(), user.actor(), id.clone());
    jobs::spawn(&state, job, async move {
        let _guard = guard;
        let review = service::review::draw(
            &task_state.db,
            &review_id,
            &beacon,
            &witnesses,
            service::now(),
            &actor,
        )
        .await?;
        Ok((
            format!(
                "抽取案卷 {} 份，未配齐评查组 {} 份",
                review.files, review.unstaffed
            ),
            Some((
                format!("/review/{}", url_encode(&review.id)),
                "查看抽取结果".to_owned(),
            )),
        ))
    });
    Ok(Redirect::to(&format!("{back}?job={job}")).into_response())
}

async fn record_download(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response> {
    if !(user.account().may(RUN_REVIEWS) || user.account().reads_all()) {
        return Err(Error::Forbidden);
    }
    let record = service::review::export(&state.db, &id).await?;
    let bytes = service::rounds::record_bytes(&record)?;
    Ok(crate::export::round_json_download(
        &format!("review-{id}"),
        "full",
        bytes,
    ))
}

async fn public_download(
    State(state): State<Arc<AppState>>,
    _user: User,
    Path(id): Path<String>,
) -> Result<Response> {
    let record = service::review::export(&state.db, &id).await?;
    let (view, _) = service::rounds::public_view(&record)?;
    let bytes = serde_json::to_vec(&view).map_err(Error::internal)?;
    Ok(crate::export::round_json_download(
        &format!("review-{id}"),
        "public",
        bytes,
    ))
}

// ---- scoring -----------------------------------------------------------------

fn file_href(review: &str, case: &str) -> String {
    format!("/review/{}/files/{}", url_encode(review), url_encode(case))
}

/// One reviewer's sheet as shown: deductions with the items' names.
struct SheetView {
    reviewer: String,
    further: bool,
    score: String,
    veto: bool,
    marks: Vec<(String, String, u32, String)>,
    note: String,
}

/// One item of the standard in the score form.
struct ItemField {
    code: String,
    name: String,
    part: &'static str,
    category: &'static str,
    points: String,
    cap: String,
}

#[derive(Template)]
#[template(path = "staff/review_file.html")]
struct FilePage {
    chrome: Chrome,
    review: String,
    case: String,
    department: String,
    result: ResultCells,
    sheets: Vec<SheetView>,
    waiting: Vec<String>,
    may_score: bool,
    /// Assigned reviewers: (id, name with id).
    assigned: Vec<(String, String)>,
    items: Vec<ItemField>,
    standard: String,
    action: String,
    back: String,
}

/// The file `case` of `review` if the user may see it: the Justice Bureau
/// and readers of all departments see every file, a department its own.
async fn visible_file(
    state: &AppState,
    user: &User,
    review: &str,
    case: &str,
) -> Result<ReviewFile> {
    let file =
        service::existing::<_, ReviewFile>(&state.db, &ReviewFile::key_for(review, case)).await?;
    let scope = scope(user.account());
    let sees_all = user.account().may(RUN_REVIEWS) || user.account().reads_all();
    if !sees_all && scope.as_deref().is_none_or(|d| d != file.department) {
        return Err(service::WorkflowError::NotFound {
            what: "review_file",
            id: ReviewFile::key_for(review, case),
        }
        .into());
    }
    Ok(file)
}

async fn file_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((id, case)): Path<(String, String)>,
) -> Result<Html<String>> {
    let file = visible_file(&state, &user, &id, &case).await?;
    let (_, departments) = department_names(&state).await?;
    let reviewers = reviewer_names(&state).await?;
    let named = |id: &str| named_reviewer(&reviewers, id);
    let report = scoring::report(&state.db, &id, &Thresholds::default()).await?;
    let line = report.files.iter().find(|l| l.case == file.case);
    let (_, sheets) = scoring::file_sheets(&state.db, &id, &file.case).await?;
    let standard = scoring::review_standard(&state.db, &id).await.ok();
    let item_name = |code: &str| {
        standard
            .as_ref()
            .and_then(|s| s.item(code))
            .map(|i| i.name.clone())
            .unwrap_or_default()
    };
    let further: Vec<&str> = file.escalated.iter().map(|e| e.reviewer.as_str()).collect();
    let views = sheets
        .iter()
        .map(|s| SheetView {
            reviewer: named(&s.reviewer),
            further: further.contains(&s.reviewer.as_str()),
            score: format_tenths(s.score),
            veto: s.veto,
            marks: s
                .marks
                .iter()
                .map(|m| (m.item.clone(), item_name(&m.item), m.count, m.note.clone()))
                .collect(),
            note: s.note.clone(),
        })
        .collect();
    let waiting = scoring::assigned(&file)
        .filter(|r| !sheets.iter().any(|s| s.reviewer == *r))
        .map(named)
        .collect();
    let items = standard
        .as_ref()
        .map(|s| {
            s.items
                .iter()
                .map(|i| ItemField {
                    code: i.code.clone(),
                    name: i.name.clone(),
                    part: i.part.as_str(),
                    category: i.category.as_str(),
                    points: if i.category == Category::Veto {
                        String::new()
                    } else {
                        format_tenths(i.points)
                    },
                    cap: i.cap.map(format_tenths).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    render(&FilePage {
        chrome: Chrome::staff(&user, format!("评查案卷 {}", file.case), "/review"),
        department: unit_label(&file.department, &departments),
        result: ResultCells::of(line),
        sheets: views,
        waiting,
        may_score: user.account().may(RUN_REVIEWS) && standard.is_some(),
        assigned: scoring::assigned(&file)
            .map(|r| (r.to_owned(), named(r)))
            .collect(),
        items,
        standard: standard
            .map(|s| format!("第 {} 版", s.version))
            .unwrap_or_default(),
        action: format!("{}/score", file_href(&id, &file.case)),
        back: format!("/review/{}", url_encode(&id)),
        review: id,
        case: file.case,
    })
}

async fn score_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((id, case)): Path<(String, String)>,
    body: String,
) -> Result<Response> {
    user.require(RUN_REVIEWS)?;
    let file = visible_file(&state, &user, &id, &case).await?;
    let form = FormPairs::parse(&body);
    let reviewer = form.get("reviewer").trim().to_owned();
    if !scoring::assigned(&file).any(|r| r == reviewer) {
        let refusal = service::Refusal::new(
            "reviewer_not_assigned",
            format!("reviewer {reviewer} is not assigned to case {case}"),
            "请选择分配评查该案卷的评查员",
        );
        return Err(service::WorkflowError::from(refusal.on("reviewer")).into());
    }
    let standard = scoring::review_standard(&state.db, &id).await?;
    let mut marks = Vec::new();
    for item in &standard.items {
        let field = format!("count_{}", item.code);
        let count = match form.get(&field).trim() {
            "" => 0,
            text => text
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 10_000)
                .ok_or_else(|| {
                    let refusal = service::Refusal::new(
                        "count",
                        format!(
                            "the count of {} is not a whole number from 0 to 10000",
                            item.code
                        ),
                        format!("项目 {} 的次数应为 0 至 10000 的整数", item.code),
                    );
                    Error::from(service::WorkflowError::from(refusal.on("count")))
                })?,
        };
        marks.push(Mark {
            item: item.code.clone(),
            count,
            note: form.get(&format!("note_{}", item.code)).trim().to_owned(),
        });
    }
    let at = service::now();
    let sheet = scoring::sheet(
        &id,
        &file.case,
        &reviewer,
        &standard,
        marks,
        form.get("note"),
        at,
    );
    let detail = format!("{id} {} by {reviewer} (web)", file.case);
    scoring::save_sheets(&state.db, &id, vec![sheet], &detail, &user.actor(), at).await?;
    steps::done(&file_href(&id, &file.case), Done::ScoreSaved, &file.case)
}
