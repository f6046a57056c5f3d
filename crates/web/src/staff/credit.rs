//! 信用监管 (/credit): the lists, the matters catalogue, credit checks (single
//! and in batches, with an XLSX report) and the check log (谁应用、谁核查).
//!
//! - Checking and reading enterprises' entries needs [`Permission::CheckCredit`];
//!   importing lists and matters [`Permission::ManageCredit`]. Persons'
//!   identifiers, names and reasons are masked unless the account has
//!   [`Permission::SeePersonalCredit`]; every unmasked view of a person's
//!   entries is written to the access log.
//! - Departmental accounts see their own department's checks in the log.
//! - Pages showing credit data are sensitive ([`Chrome::sensitive`]).
//! - [`CreditState`] serves the single check fast (the API's goal is p99 < 5 ms
//!   at 64 connections): the matters catalogue is cached in memory (cleared on
//!   import, read again after a minute) and the check log is written by one task that commits every
//!   waiting row in one transaction (group commit), each request awaiting its
//!   row's commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::directories::Downloads;
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::jobs;
use crate::ops::credit::{
    EntryQuery, EntryRow, LIST_LIMIT, MatterQuery, MatterRow, as_of_date, check_batch, check_one,
    disclose, list_matters, search_entries, today,
};
use crate::ops::lists::{Filters, PER_PAGE, offset, page_number};
use crate::ops::names::Names;
use crate::pages::{Chrome, render};
use crate::query::present;
use crate::staff::list_export::{self, ExportRequest, ListExport};
use crate::staff::lists::{ExportForm, Pager};
use domain::account::{Account, Permission};
use domain::credit::{ListType, Matter, Outcome, Subject, SubjectKind};
use files::ImportError;
use files::credit::read_applicants;
use files::watermark::Watermark;
use service::credit::{self as credit_flow, CheckReport};
use storage::WorkflowStore;
use storage::credit::{CheckLog, CheckLogFilter, CreditRun, CreditStore};

/// Largest applicant file accepted.
const MAX_UPLOAD: usize = 64 << 20;
/// Largest list file accepted (a national list file is large).
const MAX_IMPORT: usize = 2 << 30;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/credit", get(index))
        .route("/credit/entries", get(entries))
        .route("/credit/matters", get(matters_page))
        .route("/credit/check", get(check_form).post(check_page))
        .route(
            "/credit/check/batch",
            get(batch_form)
                .post(batch_upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/credit/log", get(log_page))
        .route("/credit/log/export", post(export_log))
        .route(
            "/credit/import",
            post(import_upload).layer(DefaultBodyLimit::max(MAX_IMPORT)),
        )
}

// ---------------------------------------------------------------------------
// Pages.

fn may_import(account: &Account) -> bool {
    account.may(Permission::ManageCredit)
}

#[derive(Template)]
#[template(path = "staff/credit.html")]
struct Index {
    chrome: Chrome,
    counts: Vec<(&'static str, u64, u64)>,
    total: u64,
    matters: usize,
    domains: usize,
    runs: Vec<CreditRun>,
    may_import: bool,
    checks: Vec<LogRow>,
}

async fn index(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    let account = user.require(Permission::CheckCredit)?;
    let counts = state.db.credit_entry_counts().await?;
    let per_list: Vec<(&'static str, u64, u64)> = ListType::ALL
        .iter()
        .map(|list| {
            let of = |kind| {
                counts
                    .iter()
                    .filter(|c| c.list_type == *list && c.kind == kind)
                    .map(|c| c.entries)
                    .sum()
            };
            (
                list.name_zh(),
                of(SubjectKind::Enterprise),
                of(SubjectKind::Person),
            )
        })
        .collect();
    let matters = state.credit.matters(&state.db).await?;
    let domains = matters
        .values()
        .map(|m| m.domain.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut runs = state.db.list::<CreditRun>(None).await?;
    runs.sort_by(|a, b| b.finished_at.cmp(&a.finished_at));
    runs.truncate(10);
    let checks = visible_log(&state, account, &CheckLogFilter::default(), 10).await?;
    render(&Index {
        chrome: Chrome::staff(&user, "信用监管", "/credit"),
        total: per_list.iter().map(|(_, e, p)| e + p).sum(),
        counts: per_list,
        matters: matters.len(),
        domains,
        runs,
        may_import: may_import(account),
        checks,
    })
}

#[derive(Template)]
#[template(path = "staff/credit_entries.html")]
struct EntriesPage {
    chrome: Chrome,
    query: EntryQuery,
    rows: Vec<EntryRow>,
    lists: Vec<(&'static str, &'static str)>,
    persons_visible: bool,
    limit: u32,
}

async fn entries(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<EntryQuery>,
) -> Result<Html<String>> {
    let account = user.require(Permission::CheckCredit)?;
    let rows = if present(&query.q).is_some()
        || present(&query.list).is_some()
        || present(&query.kind).is_some()
    {
        search_entries(&state, account, &query).await?
    } else {
        Vec::new()
    };
    render(&EntriesPage {
        chrome: Chrome::staff(&user, "信用记录查询", "/credit").sensitive(&user),
        persons_visible: account.may(Permission::SeePersonalCredit),
        lists: ListType::ALL
            .iter()
            .map(|l| (l.as_str(), l.name_zh()))
            .collect(),
        limit: LIST_LIMIT,
        query,
        rows,
    })
}

#[derive(Template)]
#[template(path = "staff/credit_matters.html")]
struct MattersPage {
    chrome: Chrome,
    query: MatterQuery,
    rows: Vec<MatterRow>,
    domains: Vec<String>,
    may_import: bool,
}

async fn matters_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<MatterQuery>,
) -> Result<Html<String>> {
    let account = user.require(Permission::CheckCredit)?;
    let rows = list_matters(&state, &query).await?;
    let domains = state
        .credit
        .matters(&state.db)
        .await?
        .values()
        .map(|m| m.domain.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    render(&MattersPage {
        chrome: Chrome::staff(&user, "核查事项目录", "/credit"),
        may_import: may_import(account),
        query,
        rows,
        domains,
    })
}

/// The single check form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckForm {
    /// The matter's code.
    pub matter: Option<String>,
    /// The identifier.
    pub id: Option<String>,
    /// `YYYY-MM-DD` (default today).
    pub as_of: Option<String>,
}

/// A hit as the check page shows it.
#[derive(Debug, Clone)]
struct HitRow {
    list: &'static str,
    effect: Outcome,
    listed_on: NaiveDate,
    valid_until: String,
    authority: String,
    reason: String,
    ref_no: String,
}

#[derive(Template)]
#[template(path = "staff/credit_check.html")]
struct CheckPage {
    chrome: Chrome,
    form: CheckForm,
    domains: Vec<(String, Vec<(String, String)>)>,
    today: NaiveDate,
    result: Option<CheckView>,
}

/// A single check's result as the page shows it.
#[derive(Debug, Clone)]
struct CheckView {
    matter: Matter,
    rule: String,
    id: String,
    outcome: Outcome,
    reason: Option<String>,
    hits: Vec<HitRow>,
}

/// The matters grouped by domain, for the select boxes.
async fn matter_options(state: &AppState) -> Result<Vec<(String, Vec<(String, String)>)>> {
    let mut grouped: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for matter in state.credit.matters(&state.db).await?.values() {
        grouped.entry(matter.domain.clone()).or_default().push((
            matter.code.clone(),
            format!("{} {}（{}）", matter.code, matter.name, matter.department),
        ));
    }
    Ok(grouped.into_iter().collect())
}

async fn check_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(form): Query<CheckForm>,
) -> Result<Html<String>> {
    user.require(Permission::CheckCredit)?;
    render(&CheckPage {
        chrome: Chrome::staff(&user, "信用核查", "/credit").sensitive(&user),
        domains: matter_options(&state).await?,
        today: today(),
        form,
        result: None,
    })
}

async fn check_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<CheckForm>,
) -> Result<Html<String>> {
    let account = user.require(Permission::CheckCredit)?;
    let code = present(&form.matter)
        .ok_or_else(|| Error::BadRequest("请选择核查事项".into()).on("matter"))?;
    let matter = state
        .credit
        .matter(&state.db, code)
        .await
        .map_err(|error| match error {
            Error::NotFound(_) => {
                Error::NotFound(format!("核查事项 {code} 不存在，请从列表中选择")).on("matter")
            }
            other => other.on("matter"),
        })?;
    let as_of = as_of_date(form.as_of.as_deref()).map_err(|error| error.on("as_of"))?;
    let mut result = check_one(
        &state,
        account,
        &matter,
        form.id.as_deref().unwrap_or_default(),
        as_of,
    )
    .await?;
    disclose(
        &state,
        account,
        std::slice::from_mut(&mut result),
        &matter.code,
    )
    .await?;
    let hits = result
        .hits
        .iter()
        .map(|h| HitRow {
            list: h.list.name_zh(),
            effect: h.effect,
            listed_on: h.listed_on,
            valid_until: h
                .valid_until
                .map_or_else(|| "长期".to_owned(), |d| d.to_string()),
            authority: h.authority.clone(),
            reason: h.reason.clone(),
            ref_no: h.ref_no.clone(),
        })
        .collect();
    render(&CheckPage {
        chrome: Chrome::staff(&user, "信用核查结果", "/credit").sensitive(&user),
        domains: matter_options(&state).await?,
        today: today(),
        result: Some(CheckView {
            rule: matter.rule_text(),
            matter,
            id: result.id,
            outcome: result.outcome,
            reason: result.reason_zh,
            hits,
        }),
        form,
    })
}

// ---------------------------------------------------------------------------
// Batch checks.

#[derive(Template)]
#[template(path = "staff/credit_batch.html")]
struct BatchPage {
    chrome: Chrome,
    domains: Vec<(String, Vec<(String, String)>)>,
    today: NaiveDate,
    job: Option<u64>,
}

async fn batch_form(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    user.require(Permission::CheckCredit)?;
    render(&BatchPage {
        chrome: Chrome::staff(&user, "批量信用核查", "/credit"),
        domains: matter_options(&state).await?,
        today: today(),
        job: None,
    })
}

/// `POST /credit/check/batch?csrf=…`: multipart `matter`, `as_of` and `file`.
async fn batch_upload(
    State(state): State<Arc<AppState>>,
    user: User,
    multipart: Multipart,
) -> Result<Html<String>> {
    let account = user.require(Permission::CheckCredit)?.clone();
    let upload = receive_upload(multipart).await?;
    let file = upload.path.clone();
    let applicants = files::off_async(&upload.path, move || read_applicants(&file))
        .await
        .map_err(|e| upload.refusal(e));
    upload.remove();
    let applicants = applicants?;
    let code = upload
        .field("matter")
        .ok_or_else(|| Error::BadRequest("请选择核查事项".into()))?;
    let matter = state.credit.matter(&state.db, code).await?;
    let as_of = as_of_date(upload.field("as_of"))?;
    let label = format!("批量信用核查：{}（{} 人）", matter.name, applicants.len());
    let id = state.jobs.start(&label, &account.username);
    let job_state = state.clone();
    let watermark = Watermark::web(
        &account,
        format!("信用核查报告 {} {}", matter.code, upload.file_name),
    );
    jobs::spawn(&state, id, async move {
        let total = applicants.len() as u64;
        job_state.jobs.progress(id, 0, total);
        let mut report = check_batch(&job_state, &account, &matter, &applicants, as_of).await?;
        disclose(&job_state, &account, &mut report.results, &matter.code).await?;
        job_state.jobs.progress(id, total, total);
        let path = Downloads::new_path("xlsx")?;
        let file = path.clone();
        let summary = summarize(&report);
        let batch = report.batch.clone();
        tokio::task::spawn_blocking(move || write_batch_report(&file, &report, &watermark))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)?;
        let name = format!("信用核查-{}-{}.xlsx", matter.code, as_of);
        let href = job_state.downloads.offer(&account.username, path, &name)?;
        Ok((
            format!("已核查 {total} 人：{summary}（批次 {batch}）"),
            Some((href, format!("下载核查报告 {name}"))),
        ))
    });
    render(&BatchPage {
        chrome: Chrome::staff(&user, "批量信用核查", "/credit"),
        domains: matter_options(&state).await?,
        today: today(),
        job: Some(id),
    })
}

/// `阻断 2，警示 1，…`: the count of each outcome present.
pub fn summarize(report: &CheckReport) -> String {
    Outcome::ALL
        .iter()
        .filter_map(|outcome| {
            let n = report.count(*outcome);
            (n > 0).then(|| format!("{} {n}", short_label(*outcome)))
        })
        .collect::<Vec<_>>()
        .join("，")
}

fn short_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Block => "阻断",
        Outcome::Warn => "警示",
        Outcome::Reward => "激励",
        Outcome::Clear => "无记录",
        Outcome::Invalid => "号码无效",
    }
}

/// An uploaded file, saved under its own name in a folder of its own (so an
/// import names the file as uploaded), and the form's text fields.
pub(crate) struct Upload {
    fields: BTreeMap<String, String>,
    folder: PathBuf,
    pub(crate) path: PathBuf,
    pub(crate) file_name: String,
}

impl Upload {
    /// A text field, trimmed, if not empty.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Deletes the file.
    pub(crate) fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.folder);
    }

    /// An import error as the uploader sees it: bad input names the file as uploaded.
    pub(crate) fn refusal(&self, error: ImportError) -> Error {
        if error.is_bad_input() {
            let reason = error
                .reason_zh()
                .replace(&self.path.display().to_string(), &self.file_name);
            Error::BadRequest(format!("文件无法读取：{reason}"))
        } else {
            Error::internal(error)
        }
    }
}

/// Reads a multipart form with one `file` (CSV, XLSX, XLS or JSON Lines).
pub(crate) async fn receive_upload(mut multipart: Multipart) -> Result<Upload> {
    let bad =
        |e: axum::extract::multipart::MultipartError| Error::BadRequest(format!("上传失败：{e}"));
    let mut fields = BTreeMap::new();
    let mut saved: Option<(PathBuf, PathBuf, String)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if name != "file" {
            fields.insert(name, field.text().await.map_err(bad)?);
            continue;
        }
        let file_name: String = field
            .file_name()
            .unwrap_or("upload.csv")
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("upload.csv")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let extension = Path::new(&file_name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(extension.as_deref(), Some("csv" | "xlsx" | "xls" | "jsonl")) {
            return Err(Error::BadRequest(
                "请上传 CSV、XLSX、XLS 或 JSONL 文件".into(),
            ));
        }
        let folder = Downloads::new_folder()?;
        let path = folder.join(&file_name);
        if let Err(error) = super::directories::save_field(&mut field, &path).await {
            let _ = std::fs::remove_dir_all(&folder);
            return Err(error);
        }
        saved = Some((folder, path, file_name));
    }
    let (folder, path, file_name) =
        saved.ok_or_else(|| Error::BadRequest("请选择要上传的文件".into()))?;
    Ok(Upload {
        fields,
        folder,
        path,
        file_name,
    })
}

/// The per-applicant XLSX report: the matter, its rule and the date on top,
/// then one row per applicant (outcome, hits), watermarked.
pub fn write_batch_report(
    path: &Path,
    report: &CheckReport,
    watermark: &Watermark,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let matter = &report.matter;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("核查结果")?;
    let bold = Format::new().set_bold();
    let grey = Format::new().set_font_color("#667085").set_italic();
    sheet.write_string_with_format(
        0,
        0,
        format!("信用核查报告：{} {}", matter.code, matter.name),
        &bold,
    )?;
    sheet.write_string(
        1,
        0,
        format!(
            "领域 {}；主管部门 {}；规则 {}",
            matter.domain,
            matter.department,
            matter.rule_text()
        ),
    )?;
    sheet.write_string(
        2,
        0,
        format!(
            "核查日期 {}；批次 {}；共 {} 人：{}",
            report.as_of,
            report.batch,
            report.results.len(),
            summarize(report)
        ),
    )?;
    sheet.write_string_with_format(3, 0, format!("导出人 {}", watermark.text()), &grey)?;
    let headers = [
        "序号",
        "统一社会信用代码或身份证号码",
        "主体名称",
        "核查结果",
        "结果代码",
        "适用规则",
        "命中记录",
        "说明",
    ];
    for (column, header) in (0u16..).zip(headers) {
        sheet.write_string_with_format(5, column, header, &bold)?;
    }
    for (index, result) in report.results.iter().enumerate() {
        let row = 6 + u32::try_from(index).unwrap_or(u32::MAX - 6);
        if row >= 1_048_576 {
            break;
        }
        let hits: Vec<String> = result
            .hits
            .iter()
            .map(|h| {
                let until = h
                    .valid_until
                    .map_or_else(|| "长期".to_owned(), |d| d.to_string());
                format!(
                    "{}（{}）{} 至 {}，{}",
                    h.list.name_zh(),
                    short_label(h.effect),
                    h.listed_on,
                    until,
                    h.authority
                )
            })
            .collect();
        let applied: Vec<&str> = result
            .hits
            .iter()
            .filter(|h| h.effect == result.outcome)
            .map(|h| h.list.name_zh())
            .collect();
        let rule = match result.outcome {
            Outcome::Invalid => String::new(),
            Outcome::Clear => "无命中：按正常程序办理".to_owned(),
            outcome => format!("{}：{}", short_label(outcome), applied.join("、")),
        };
        sheet.write_number(row, 0, (index + 1) as f64)?;
        sheet.write_string(row, 1, &result.id)?;
        sheet.write_string(row, 2, result.name.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 3, result.outcome.label())?;
        sheet.write_string(row, 4, result.outcome.as_str())?;
        sheet.write_string(row, 5, rule)?;
        sheet.write_string(row, 6, hits.join("；"))?;
        sheet.write_string(row, 7, result.reason_zh.as_deref().unwrap_or(""))?;
    }
    for (column, width) in [
        (0u16, 6.0),
        (1, 24.0),
        (2, 24.0),
        (3, 16.0),
        (4, 8.0),
        (5, 28.0),
        (6, 60.0),
        (7, 30.0),
    ] {
        sheet.set_column_width(column, width)?;
    }
    watermark.save(&mut book, path)
}

// ---------------------------------------------------------------------------
// Imports of lists and matters.

#[derive(Template)]
#[template(path = "staff/credit_import.html")]
pub(crate) struct ImportPage {
    pub(crate) chrome: Chrome,
    pub(crate) heading: String,
    pub(crate) job: u64,
}

/// `POST /credit/import?csrf=…`: multipart `kind` (`entries` or `matters`), `file`
/// and optionally `strict_uscc` (refuse pilot-pattern codes too).
async fn import_upload(
    State(state): State<Arc<AppState>>,
    user: User,
    multipart: Multipart,
) -> Result<Html<String>> {
    let account = user.require(Permission::ManageCredit)?.clone();
    let upload = receive_upload(multipart).await?;
    let matters = match upload.field("kind") {
        Some("matters") => true,
        Some("entries") | None => false,
        Some(other) => {
            upload.remove();
            return Err(Error::BadRequest(format!(
                "未知导入类型 {other}，应为 entries 或 matters"
            )));
        }
    };
    let strict_uscc = upload
        .field("strict_uscc")
        .is_some_and(|v| !v.is_empty() && v != "0");
    let heading = format!(
        "导入{}：{}",
        if matters {
            "核查事项目录"
        } else {
            "信用记录"
        },
        upload.file_name
    );
    let id = state.jobs.start(&heading, &account.username);
    let job_state = state.clone();
    let watermark = Watermark::web(&account, format!("{} 导入错误报告", upload.file_name));
    jobs::spawn(&state, id, async move {
        let progress = {
            let state = job_state.clone();
            move |done: u64, total: u64| state.jobs.progress(id, done, total)
        };
        let imported = if matters {
            credit_flow::import_matters_file(&job_state.db, &upload.path, &account.username).await
        } else {
            credit_flow::import_credit_file(
                &job_state.db,
                &upload.path,
                &account.username,
                strict_uscc,
                Some(&progress),
            )
            .await
        };
        upload.remove();
        job_state.credit.forget_matters();
        let imported = imported.map_err(|e| upload.refusal(e))?;
        let outcome = &imported.outcome;
        let mut message = format!(
            "读取 {} 行，导入 {} 行（新增 {}，更新 {}，未变 {}），拒绝 {} 行，警告 {} 条；现有 {} 条",
            outcome.total_rows,
            outcome.imported(),
            outcome.inserted,
            outcome.updated,
            outcome.unchanged,
            outcome.rejected(),
            outcome.warnings.len(),
            imported.after
        );
        for problem in outcome.errors.iter().take(3) {
            message.push_str(&format!(
                "；第 {} 行 {}：{}",
                problem.row, problem.column, problem.reason_zh
            ));
        }
        if outcome.errors.is_empty() && outcome.warnings.is_empty() {
            return Ok((message, None));
        }
        let path = Downloads::new_path("xlsx")?;
        files::report::write_report(outcome, &upload.file_name, &path, &watermark)
            .map_err(Error::internal)?;
        let href = job_state.downloads.offer(
            &account.username,
            path,
            &format!("{}.errors.xlsx", upload.file_name),
        )?;
        Ok((message, Some((href, "下载错误报告 (XLSX)".to_owned()))))
    });
    render(&ImportPage {
        chrome: Chrome::staff(&user, heading.clone(), "/credit"),
        heading,
        job: id,
    })
}

// ---------------------------------------------------------------------------
// The check log.

/// A logged check as shown: a person's identifier masked unless the viewer
/// may see persons' credit data.
#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    /// When.
    pub checked_at: String,
    /// Who.
    pub actor: String,
    /// Their department.
    pub department: String,
    /// The matter's code.
    pub matter: String,
    /// The identifier (masked for persons).
    pub subject: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Hits.
    pub hits: u32,
    /// The date checked for.
    pub as_of: NaiveDate,
    /// The batch.
    pub batch: String,
}

impl LogRow {
    fn of(check: CheckLog, account: &Account) -> Self {
        let subject = match Subject::parse(&check.subject) {
            Ok((subject, _))
                if subject.kind() == SubjectKind::Person
                    && !account.may(Permission::SeePersonalCredit) =>
            {
                subject.masked()
            }
            _ => check.subject,
        };
        Self {
            checked_at: check
                .checked_at
                .chars()
                .take(19)
                .collect::<String>()
                .replace('T', " "),
            actor: check.actor,
            department: check.department.unwrap_or_default(),
            matter: check.matter,
            subject,
            outcome: check.outcome,
            hits: check.hits,
            as_of: check.as_of,
            batch: check.batch.unwrap_or_default(),
        }
    }
}

/// The check log as `account` may read it: departmental accounts their own
/// department's checks only.
pub async fn visible_log(
    state: &AppState,
    account: &Account,
    filter: &CheckLogFilter,
    limit: u32,
) -> Result<Vec<LogRow>> {
    if !account.may(Permission::CheckCredit) {
        return Err(Error::Forbidden);
    }
    let mut filter = filter.clone();
    if !account.reads_all() {
        filter.department = Some(account.department.clone().ok_or(Error::Forbidden)?);
    }
    Ok(state
        .db
        .check_log(&filter, limit)
        .await?
        .into_iter()
        .map(|c| LogRow::of(c, account))
        .collect())
}

/// Filters of the log page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogQuery {
    /// One matter.
    pub matter: Option<String>,
    /// One identifier.
    pub subject: Option<String>,
    /// One account.
    pub actor: Option<String>,
    /// One department (readers of every department).
    #[serde(default)]
    pub department: Option<String>,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<u64>,
}

impl LogQuery {
    fn filters(&self) -> Filters {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Filters::default()
            .with("matter", &text(&self.matter))
            .with("subject", &text(&self.subject))
            .with("actor", &text(&self.actor))
            .with("department", &text(&self.department))
    }

    /// The store's filter, scoped to the account's department unless it
    /// reads every department ([`Permission::CheckCredit`] required).
    fn scoped(&self, account: &Account) -> Result<CheckLogFilter> {
        if !account.may(Permission::CheckCredit) {
            return Err(Error::Forbidden);
        }
        let department = if account.reads_all() {
            present(&self.department).map(str::to_owned)
        } else {
            Some(account.department.clone().ok_or(Error::Forbidden)?)
        };
        Ok(CheckLogFilter {
            matter: present(&self.matter).map(str::to_owned),
            subject: present(&self.subject).map(str::to_owned),
            actor: present(&self.actor).map(str::to_owned),
            department,
        })
    }
}

#[derive(Template)]
#[template(path = "staff/credit_log.html")]
struct LogPage {
    chrome: Chrome,
    query: LogQuery,
    rows: Vec<LogRow>,
    scoped: Option<String>,
    matters: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    names: Names,
    pager: Pager,
    export: ExportForm,
}

async fn log_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<LogQuery>,
) -> Result<Html<String>> {
    let account = user.require(Permission::CheckCredit)?;
    let filter = query.scoped(account)?;
    let page = page_number(query.page);
    let (checks, total) = state
        .db
        .check_log_page(&filter, offset(page), PER_PAGE)
        .await?;
    let rows = checks.into_iter().map(|c| LogRow::of(c, account)).collect();
    let matters = state
        .credit
        .matters(&state.db)
        .await?
        .values()
        .map(|m| (m.code.clone(), m.name.clone()))
        .collect();
    let filters = query.filters();
    render(&LogPage {
        chrome: Chrome::staff(&user, "核查日志", "/credit").sensitive(&user),
        scoped: (!account.reads_all()).then(|| account.department.clone().unwrap_or_default()),
        pager: Pager::new("/credit/log", &filters, page, total),
        export: ExportForm::new("/credit/log/export", &user.0.csrf, &filters),
        departments: if account.reads_all() {
            crate::pages::department_options(&state).await?
        } else {
            Vec::new()
        },
        names: Names::directories(&state).await?,
        matters,
        query,
        rows,
    })
}

/// The check log (with its filters) as a CSV/XLSX job: persons' numbers
/// masked as on the page, names next to codes.
async fn export_log(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<LogQuery>>,
) -> Result<Html<String>> {
    let filter = request.filter.scoped(user.account())?;
    let back = request.filter.filters().href("/credit/log");
    let export = ListExport {
        name: "信用核查日志",
        back: &back,
        format: request.format(),
    };
    let account = user.account().clone();
    list_export::start(
        &state,
        &user,
        export,
        async move |state, mut writer, progress| {
            writer
                .row(&[
                    "核查时间",
                    "核查人",
                    "部门",
                    "部门代码",
                    "事项名称",
                    "事项编码",
                    "主体代码或号码",
                    "核查日期",
                    "结果",
                    "命中",
                    "批次",
                ])
                .map_err(Error::internal)?;
            let names = Names::directories(&state).await?;
            let matters = state.credit.matters(&state.db).await?;
            const CHUNK: u32 = 2_000;
            let mut done = 0u64;
            loop {
                let (checks, total) = state.db.check_log_page(&filter, done, CHUNK).await?;
                if checks.is_empty() {
                    break;
                }
                done += checks.len() as u64;
                for check in checks {
                    let row = LogRow::of(check, &account);
                    writer
                        .row(&[
                            row.checked_at.clone(),
                            row.actor.clone(),
                            names.department(&row.department).text().to_owned(),
                            row.department.clone(),
                            matters
                                .get(&row.matter)
                                .map(|m| m.name.clone())
                                .unwrap_or_default(),
                            row.matter.clone(),
                            row.subject.clone(),
                            row.as_of.to_string(),
                            row.outcome.label().to_owned(),
                            row.hits.to_string(),
                            row.batch.clone(),
                        ])
                        .map_err(Error::internal)?;
                }
                progress.set(done, total);
                if done >= total {
                    break;
                }
            }
            Ok(writer)
        },
    )
}
