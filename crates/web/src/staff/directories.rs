//! 名录库 (/directories): departments, market entities, inspectors, items and joint items;
//! search, filters and keyset paging; upload import (a background job, with
//! its XLSX error report offered to the uploader only) and export.
//!
//! - Risk classes (信用风险分类) are shown and filtered only for accounts with
//!   [`Permission::SeeRiskClasses`].
//! - Departmental roles see their own department's inspectors; identity card
//!   numbers are masked except for the system administrator.
//! - Import needs [`Permission::ImportDirectories`]; exporting entities or
//!   items needs [`Permission::SeeRiskClasses`], inspectors and recusals (identity
//!   card numbers) [`Permission::ImportDirectories`].
//! - Files made for one user (error reports, exports) are kept under the temp
//!   folder with an unguessable name and served at `/files/{token}` to that
//!   user only ([`Downloads`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path as UrlPath, Query, State};
use axum::response::{Html, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
pub use crate::export::{Downloads, attachment};
use crate::jobs;
use crate::ops::directories::{
    DepartmentRow, EntityRow, InspectorRow, ItemRow, ListQuery, Tab, district_names,
    list_departments, list_entities, list_inspectors, list_items,
};
use crate::pages::{Chrome, render, url_encode};
use crate::query::present;
use domain::account::{Account, Permission};
use domain::entity::EntityStatus;
use files::export::{Format, export_file};
use files::watermark::Watermark;
use files::{self, Kind, Options};

/// Largest upload accepted (a full-scale entity file is about 80 MB).
const MAX_UPLOAD: usize = 256 << 20;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/directories", get(index))
        .route(
            "/directories/import",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/directories/export", post(export))
        .route("/directories/templates/{name}", get(template))
        .route("/files/{token}", get(download))
}

/// The XLSX template of an importable file (`jianguan templates`): headers, an
/// example row and the 说明 sheet. Any signed-in user; it holds no data.
async fn template(_user: User, UrlPath(name): UrlPath<String>) -> Result<Response> {
    let template = files::templates::Template::all()
        .into_iter()
        .find(|t| t.file_name() == name || t.name() == name)
        .ok_or_else(|| Error::NotFound(format!("没有这个导入模板：{name} (no such template)")))?;
    let bytes = template.workbook().map_err(Error::internal)?;
    attachment(bytes, &format!("{}模板.xlsx", template.title()))
}

async fn download(
    State(state): State<Arc<AppState>>,
    user: User,
    UrlPath(token): UrlPath<String>,
) -> Result<Response> {
    let missing = || Error::NotFound("文件不存在或已过期 (no such file)".into());
    let (path, file_name) = state
        .downloads
        .find(&token, &user.account().username)
        .ok_or_else(missing)?;
    let bytes = std::fs::read(&path).map_err(|_| missing())?;
    attachment(bytes, &file_name)
}

#[derive(Template)]
#[template(path = "staff/directories.html")]
struct Index {
    chrome: Chrome,
    tab: Tab,
    tabs: Vec<(&'static str, &'static str, bool)>,
    query: ListQuery,
    total: u64,
    departments: Vec<DepartmentRow>,
    entities: Vec<EntityRow>,
    inspectors: Vec<InspectorRow>,
    items: Vec<ItemRow>,
    next_href: Option<String>,
    first_href: Option<String>,
    districts: Vec<(String, String)>,
    statuses: Vec<&'static str>,
    classes: bool,
    may_import: bool,
    may_export: bool,
    /// The system administrator edits the department directory.
    may_edit_departments: bool,
}

/// The page's URL with the same filters and another cursor.
fn page_href(tab: Tab, query: &ListQuery, after: Option<&str>) -> String {
    let mut href = format!("/directories?tab={}", tab.code());
    let fields = [
        ("q", &query.q),
        ("district", &query.district),
        ("status", &query.status),
        ("class", &query.class),
        ("department", &query.department),
    ];
    for (name, value) in fields {
        if let Some(value) = present(value) {
            href.push_str(&format!("&{name}={}", url_encode(value)));
        }
    }
    if let Some(after) = after {
        href.push_str(&format!("&after={}", url_encode(after)));
    }
    href
}

/// Whether `account` may export `kind`.
fn may_export(account: &Account, kind: Kind) -> bool {
    match kind {
        Kind::Inspectors | Kind::Recusals => account.may(Permission::ImportDirectories),
        Kind::Entities | Kind::Items | Kind::JointItems => account.may(Permission::SeeRiskClasses),
        // The department directory is public knowledge: every staff account may export it.
        Kind::Departments => true,
    }
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>> {
    let account = user.account();
    let tab = Tab::parse(query.tab.as_deref())?;
    let (mut entities, mut inspectors, mut items) = (Vec::new(), Vec::new(), Vec::new());
    let mut departments = Vec::new();
    let (total, next) = match tab {
        Tab::Departments => {
            let found = list_departments(&state, &query).await?;
            departments = found.items;
            (found.total, found.next)
        }
        Tab::Entities => {
            let found = list_entities(&state, account, &query).await?;
            entities = found.items;
            (found.total, found.next)
        }
        Tab::Inspectors => {
            let found = list_inspectors(&state, account, &query).await?;
            inspectors = found.items;
            (found.total, found.next)
        }
        Tab::Items | Tab::JointItems => {
            items = list_items(&state, &query, tab == Tab::JointItems).await?;
            (items.len() as u64, None)
        }
    };
    let districts = district_names(&state).await?;
    render(&Index {
        chrome: Chrome::staff(&user, "名录库", "/directories"),
        tabs: Tab::ALL
            .iter()
            .map(|t| (t.code(), t.label(), *t == tab))
            .collect(),
        next_href: next.as_deref().map(|n| page_href(tab, &query, Some(n))),
        first_href: present(&query.after).map(|_| page_href(tab, &query, None)),
        total,
        departments,
        entities,
        inspectors,
        items,
        districts,
        statuses: EntityStatus::ALL.iter().map(|s| s.as_str()).collect(),
        classes: account.may(Permission::SeeRiskClasses),
        may_import: account.may(Permission::ImportDirectories),
        may_export: may_export(account, tab.kind()),
        may_edit_departments: super::departments::may_edit(account),
        tab,
        query,
    })
}

// ---------------------------------------------------------------------------
// Import and export jobs.

#[derive(Template)]
#[template(path = "staff/directories_job.html")]
struct JobPage {
    chrome: Chrome,
    heading: String,
    job: u64,
}

fn job_page(user: &User, heading: String, job: u64) -> Result<Html<String>> {
    render(&JobPage {
        chrome: Chrome::staff(user, heading.clone(), "/directories"),
        heading,
        job,
    })
}

fn parse_kind(text: &str) -> Result<Kind> {
    Kind::parse(text)
        .ok_or_else(|| Error::BadRequest(format!("未知名录 {text} (unknown directory)")))
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Departments => "部门名录",
        Kind::Entities => "检查对象名录库",
        Kind::Inspectors => "执法检查人员名录库",
        Kind::Recusals => "回避关系",
        Kind::Items => "随机抽查事项清单",
        Kind::JointItems => "部门联合抽查事项清单",
    }
}

/// `POST /directories/import?csrf=…`: multipart `kind` and `file` (CSV, XLSX or XLS).
async fn upload(
    State(state): State<Arc<AppState>>,
    user: User,
    multipart: Multipart,
) -> Result<Html<String>> {
    user.require(Permission::ImportDirectories)?;
    let (kind, path, file_name) = receive_upload(multipart).await?;
    let label = format!("导入{}：{file_name}", kind_label(kind));
    let owner = user.account().username.clone();
    let id = state.jobs.start(&label, &owner);
    let job_state = state.clone();
    let watermark = Watermark::web(user.account(), format!("{file_name} 导入错误报告"));
    jobs::spawn(&state, id, async move {
        let outcome = run_import(&job_state, id, kind, &path, &file_name, &watermark).await;
        let _ = std::fs::remove_file(&path);
        job_state.figures.clear();
        outcome
    });
    job_page(&user, label, id)
}

/// Reads the form: the directory kind and the file, saved under an unguessable name.
async fn receive_upload(mut multipart: Multipart) -> Result<(Kind, PathBuf, String)> {
    let bad =
        |e: axum::extract::multipart::MultipartError| Error::BadRequest(format!("上传失败：{e}"));
    let mut kind = None;
    let mut saved: Option<(PathBuf, String)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("kind") => kind = Some(parse_kind(&field.text().await.map_err(bad)?)?),
            Some("file") => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_owned();
                let ext = Path::new(&file_name)
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .filter(|e| matches!(e.as_str(), "csv" | "xlsx" | "xls"))
                    .ok_or_else(|| Error::BadRequest("请上传 CSV、XLSX 或 XLS 文件".into()))?;
                let path = Downloads::new_path(&ext)?;
                if let Err(error) = save_field(&mut field, &path).await {
                    let _ = std::fs::remove_file(&path);
                    return Err(error);
                }
                saved = Some((path, file_name));
            }
            _ => {}
        }
    }
    let (path, file_name) = saved.ok_or_else(|| Error::BadRequest("请选择要上传的文件".into()))?;
    let Some(kind) = kind else {
        let _ = std::fs::remove_file(&path);
        return Err(Error::BadRequest("请选择名录类型".into()));
    };
    Ok((kind, path, file_name))
}

/// Writes an uploaded file field to `path`.
pub async fn save_field(
    field: &mut axum::extract::multipart::Field<'_>,
    path: &Path,
) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::internal)?;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| Error::BadRequest(format!("上传失败：{e}")))?
    {
        file.write_all(&chunk).map_err(Error::internal)?;
    }
    Ok(())
}

/// Imports the file; returns the summary and, if rows were rejected or
/// warned about, the link to the error report.
async fn run_import(
    state: &Arc<AppState>,
    id: u64,
    kind: Kind,
    path: &Path,
    file_name: &str,
    watermark: &Watermark,
) -> Result<(String, Option<(String, String)>)> {
    let report_progress = {
        let state = state.clone();
        move |done: u64, total: u64| state.jobs.progress(id, done, total)
    };
    let outcome =
        files::import_file_reporting(&state.db, kind, path, &Options::default(), &report_progress)
            .await
            .map_err(|error| {
                if error.is_bad_input() {
                    // Name the file as uploaded, not the server's temporary copy.
                    let reason = error
                        .reason_zh()
                        .replace(&path.display().to_string(), file_name);
                    Error::BadRequest(format!("文件无法导入：{reason}"))
                } else {
                    Error::internal(error)
                }
            })?;
    let mut message = format!(
        "读取 {} 行，导入 {} 行（新增 {}，更新 {}，未变 {}），拒绝 {} 行，警告 {} 条",
        outcome.total_rows,
        outcome.imported(),
        outcome.inserted,
        outcome.updated,
        outcome.unchanged,
        outcome.rejected(),
        outcome.warnings.len()
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
    let report_path = Downloads::new_path("xlsx")?;
    files::report::write_report(&outcome, file_name, &report_path, watermark)
        .map_err(Error::internal)?;
    let report_name = format!("{file_name}.errors.xlsx");
    let href = state
        .downloads
        .offer(&watermark.user, report_path, &report_name)?;
    Ok((message, Some((href, "下载错误报告 (XLSX)".to_owned()))))
}

#[derive(Deserialize)]
struct ExportForm {
    kind: String,
    format: Option<String>,
}

/// `POST /directories/export`: the whole directory as CSV or XLSX, as a job.
async fn export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<ExportForm>,
) -> Result<Html<String>> {
    let kind = parse_kind(&form.kind)?;
    if !may_export(user.account(), kind) {
        return Err(Error::Forbidden);
    }
    let (format, ext) = match form.format.as_deref() {
        Some("xlsx") => (Format::Xlsx, "xlsx"),
        _ => (Format::Csv, "csv"),
    };
    let label = format!("导出{}", kind_label(kind));
    let owner = user.account().username.clone();
    let id = state.jobs.start(&label, &owner);
    let job_state = state.clone();
    let watermark = Watermark::web(user.account(), label.clone());
    jobs::spawn(&state, id, async move {
        let path = Downloads::new_path(ext)?;
        // The export's writer is not `Send`: it runs on a blocking thread.
        let (db, file) = (job_state.db.clone(), path.clone());
        let runtime = tokio::runtime::Handle::current();
        let count = tokio::task::spawn_blocking(move || {
            runtime.block_on(export_file(&db, kind, &file, format, &watermark))
        })
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)?;
        let name = format!(
            "{}-{}.{ext}",
            kind_label(kind),
            domain::clock::now().date_naive()
        );
        let href = job_state.downloads.offer(&owner, path, &name)?;
        Ok((
            format!("已导出 {count} 条"),
            Some((href, format!("下载 {name}"))),
        ))
    });
    job_page(&user, label, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::directories::mask;

    #[test]
    fn identity_cards_are_masked() {
        assert_eq!(mask("420202198001011234"), "420202********1234");
        assert_eq!(mask("short"), "*****");
    }

    #[test]
    fn page_links_keep_the_filters() {
        let query = ListQuery {
            q: Some("黄石 公司".into()),
            status: Some("存续".into()),
            ..ListQuery::default()
        };
        let href = page_href(Tab::Entities, &query, Some("91420200X"));
        assert!(href.starts_with("/directories?tab=entities&q="), "{href}");
        assert!(href.ends_with("&after=91420200X"), "{href}");
    }
}
