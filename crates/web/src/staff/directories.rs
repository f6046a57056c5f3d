//! 名录库 (/directories): market entities, inspectors, items and joint items;
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
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
pub use crate::export::{Downloads, attachment};
use crate::jobs;
use crate::pages::{Chrome, render, url_encode};
use domain::account::{Account, Permission, Role};
use domain::entity::{CreditClass, EntityStatus, MarketEntity};
use domain::inspector::Inspector;
use domain::item::{InspectionItem, JointItem};
use domain::{DepartmentCode, DistrictCode};
use files::export::{Format, export_file};
use files::watermark::Watermark;
use files::{self, Kind, Options};
use storage::{ClassFilter, EntityFilter, InspectorFilter, Page, PageRequest, Store};

/// Rows per page.
pub const PAGE_SIZE: u32 = 50;
/// Largest page the API serves.
pub const MAX_LIMIT: u32 = 500;
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
        .route("/files/{token}", get(download))
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

// ---------------------------------------------------------------------------
// Listing.

/// The directory tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 检查对象名录库.
    Entities,
    /// 执法检查人员名录库.
    Inspectors,
    /// 随机抽查事项清单.
    Items,
    /// 部门联合抽查事项清单.
    JointItems,
}

impl Tab {
    const ALL: [Self; 4] = [
        Self::Entities,
        Self::Inspectors,
        Self::Items,
        Self::JointItems,
    ];

    fn parse(text: Option<&str>) -> Result<Self> {
        match text.unwrap_or("entities") {
            "entities" | "" => Ok(Self::Entities),
            "inspectors" => Ok(Self::Inspectors),
            "items" => Ok(Self::Items),
            "joint-items" => Ok(Self::JointItems),
            other => Err(Error::BadRequest(format!(
                "未知名录 {other} (unknown directory)"
            ))),
        }
    }

    /// `entities`, `inspectors`, `items` or `joint-items`.
    pub fn code(self) -> &'static str {
        self.kind().as_str()
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Entities => "检查对象名录库",
            Self::Inspectors => "执法检查人员名录库",
            Self::Items => "随机抽查事项清单",
            Self::JointItems => "部门联合抽查事项清单",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Self::Entities => Kind::Entities,
            Self::Inspectors => Kind::Inspectors,
            Self::Items => Kind::Items,
            Self::JointItems => Kind::JointItems,
        }
    }
}

/// Search and paging parameters of the directory listings (page and API).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// `entities` (default), `inspectors`, `items` or `joint-items` (page only).
    pub tab: Option<String>,
    /// Name substring or code prefix.
    pub q: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// Entity status (存续, 注销, 吊销, 迁出).
    pub status: Option<String>,
    /// Credit-risk class `A`–`D` or `none` (only with SeeRiskClasses).
    pub class: Option<String>,
    /// Department code (inspectors, items).
    pub department: Option<String>,
    /// The previous page's `next`.
    pub after: Option<String>,
    /// Rows per page.
    pub limit: Option<u32>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ListQuery {
    /// The page asked for.
    pub fn page(&self) -> PageRequest {
        PageRequest {
            after: present(&self.after).map(str::to_owned),
            limit: self.limit.unwrap_or(PAGE_SIZE).clamp(1, MAX_LIMIT),
        }
    }

    /// The entity filter, refusing a class filter to those who may not see classes.
    pub fn entity_filter(&self, account: &Account) -> Result<EntityFilter> {
        let credit_class = match present(&self.class) {
            None => None,
            Some(_) if !account.may(Permission::SeeRiskClasses) => return Err(Error::Forbidden),
            Some("none" | "未分类") => Some(ClassFilter::Unclassified),
            Some(class) => Some(ClassFilter::Class(CreditClass::parse(class)?)),
        };
        Ok(EntityFilter {
            text: present(&self.q).map(str::to_owned),
            district: present(&self.district)
                .map(DistrictCode::parse)
                .transpose()?,
            status: present(&self.status).map(EntityStatus::parse).transpose()?,
            credit_class,
            ..EntityFilter::default()
        })
    }

    /// The inspector filter; departmental roles see their own department only.
    pub fn inspector_filter(&self, account: &Account) -> Result<InspectorFilter> {
        let department = match (scoped_department(account), present(&self.department)) {
            (Some(own), Some(asked)) if own != asked => return Err(Error::Forbidden),
            (Some(own), _) => Some(own.to_owned()),
            (None, asked) => asked.map(str::to_owned),
        };
        Ok(InspectorFilter {
            text: present(&self.q).map(str::to_owned),
            department: department
                .as_deref()
                .map(DepartmentCode::parse)
                .transpose()?,
            district: present(&self.district)
                .map(DistrictCode::parse)
                .transpose()?,
            ..InspectorFilter::default()
        })
    }

    /// The department filter of the item lists.
    fn item_department(&self) -> Result<Option<DepartmentCode>> {
        Ok(present(&self.department)
            .map(DepartmentCode::parse)
            .transpose()?)
    }
}

/// The department a departmental role is confined to.
fn scoped_department(account: &Account) -> Option<&str> {
    if account.reads_all() {
        None
    } else {
        account.department.as_deref()
    }
}

/// An entity as listed; the class only for those who may see it.
#[derive(Debug, Clone, Serialize)]
pub struct EntityRow {
    /// 统一社会信用代码.
    pub uscc: String,
    /// 名称.
    pub name: String,
    /// 主体类型.
    pub entity_type: String,
    /// 所属区域 (code).
    pub district: String,
    /// 行业代码.
    pub industry: String,
    /// 成立日期.
    pub registered_on: String,
    /// 登记状态.
    pub status: String,
    /// 信用风险分类 (only with SeeRiskClasses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_class: Option<String>,
    /// 标签.
    pub tags: Vec<String>,
}

impl EntityRow {
    /// The row of `entity` as `account` may see it.
    pub fn of(entity: &MarketEntity, account: &Account) -> Self {
        let classes = account.may(Permission::SeeRiskClasses);
        Self {
            uscc: entity.uscc.as_str().to_owned(),
            name: entity.name.clone(),
            entity_type: entity.entity_type.as_str().to_owned(),
            district: entity.district.as_str().to_owned(),
            industry: entity
                .industry
                .as_ref()
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default(),
            registered_on: entity.registered_on.to_string(),
            status: entity.status.as_str().to_owned(),
            credit_class: classes.then(|| {
                entity
                    .credit
                    .map_or_else(|| "未分类".to_owned(), |c| c.class.as_str().to_owned())
            }),
            tags: entity.tags.clone(),
        }
    }
}

/// An inspector as listed; the identity card masked except for the system administrator.
#[derive(Debug, Clone, Serialize)]
pub struct InspectorRow {
    /// 执法证号.
    pub cert_no: String,
    /// 姓名.
    pub name: String,
    /// 部门.
    pub department: String,
    /// 身份证号 (masked).
    pub id_card: String,
    /// 证件有效期起.
    pub valid_from: String,
    /// 证件有效期止.
    pub valid_until: String,
    /// Certified today.
    pub certified: bool,
    /// 执法领域.
    pub fields: Vec<String>,
    /// 所属区域.
    pub district: String,
}

impl InspectorRow {
    /// The row of `inspector` as `account` may see it.
    pub fn of(inspector: &Inspector, account: &Account) -> Self {
        let id_card = inspector
            .id_card
            .as_ref()
            .map(|c| {
                let text = c.as_str();
                if account.role == Role::SystemAdmin {
                    text.to_owned()
                } else {
                    mask(text)
                }
            })
            .unwrap_or_default();
        Self {
            cert_no: inspector.cert_no.as_str().to_owned(),
            name: inspector.name.clone(),
            department: inspector.department.as_str().to_owned(),
            id_card,
            valid_from: inspector.cert_valid_from.to_string(),
            valid_until: inspector.cert_valid_until.to_string(),
            certified: inspector.is_certified_on(domain::clock::now().date_naive()),
            fields: inspector.fields.clone(),
            district: inspector
                .district
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// `420202********1234`: the first six and last four characters.
fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 10;
    chars[..6]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[chars.len() - 4..])
        .collect()
}

/// An item of either list, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    /// 事项编码.
    pub code: String,
    /// 类别 or 执法领域.
    pub category: String,
    /// 名称.
    pub name: String,
    /// 实施部门 (joint: lead, then cooperating).
    pub departments: Vec<String>,
    /// 检查对象.
    pub target_type: String,
    /// 抽查比例.
    pub ratio: String,
    /// 抽查频次.
    pub frequency: String,
    /// 法律依据.
    pub legal_basis: String,
}

impl ItemRow {
    fn of_item(item: &InspectionItem) -> Self {
        Self {
            code: item.code.as_str().to_owned(),
            category: item.category.clone(),
            name: item.name.clone(),
            departments: vec![item.department.as_str().to_owned()],
            target_type: item.target_type.clone(),
            ratio: item.ratio.to_string(),
            frequency: item.frequency.to_string(),
            legal_basis: item.legal_basis.clone(),
        }
    }

    fn of_joint(item: &JointItem) -> Self {
        Self {
            code: item.code.as_str().to_owned(),
            category: item.field.clone(),
            name: item.name.clone(),
            departments: item.departments().map(|d| d.as_str().to_owned()).collect(),
            target_type: item.target_type.clone(),
            ratio: item.ratio.to_string(),
            frequency: item.frequency.to_string(),
            legal_basis: item.legal_basis.clone(),
        }
    }

    fn matches(&self, text: Option<&str>) -> bool {
        text.is_none_or(|t| {
            self.code.starts_with(t) || self.name.contains(t) || self.category.contains(t)
        })
    }
}

/// A page of a listing: rows, the next cursor and how many match in all.
#[derive(Debug, Clone, Serialize)]
pub struct Listing<T> {
    /// How many match the filter.
    pub total: u64,
    /// This page's rows.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

fn listing<T, U>(page: Page<T>, total: u64, view: impl Fn(&T) -> U) -> Listing<U> {
    Listing {
        total,
        items: page.items.iter().map(view).collect(),
        next: page.next,
    }
}

/// A page of entities.
pub async fn list_entities(
    state: &AppState,
    account: &Account,
    query: &ListQuery,
) -> Result<Listing<EntityRow>> {
    let filter = query.entity_filter(account)?;
    let page = state.db.search_entities(&filter, &query.page()).await?;
    let total = state.db.count_entities(&filter).await?;
    Ok(listing(page, total, |e| EntityRow::of(e, account)))
}

/// A page of inspectors.
pub async fn list_inspectors(
    state: &AppState,
    account: &Account,
    query: &ListQuery,
) -> Result<Listing<InspectorRow>> {
    let filter = query.inspector_filter(account)?;
    let page = state.db.search_inspectors(&filter, &query.page()).await?;
    let total = state.db.count_inspectors(&filter).await?;
    Ok(listing(page, total, |i| InspectorRow::of(i, account)))
}

/// The items of one list, filtered (the lists are small: no paging).
pub async fn list_items(state: &AppState, query: &ListQuery, joint: bool) -> Result<Vec<ItemRow>> {
    let department = query.item_department()?;
    let rows: Vec<ItemRow> = if joint {
        state
            .db
            .joint_items(department.as_ref())
            .await?
            .iter()
            .map(ItemRow::of_joint)
            .collect()
    } else {
        state
            .db
            .items(department.as_ref())
            .await?
            .iter()
            .map(ItemRow::of_item)
            .collect()
    };
    let text = present(&query.q);
    Ok(rows.into_iter().filter(|r| r.matches(text)).collect())
}

#[derive(Template)]
#[template(path = "staff/directories.html")]
struct Index {
    chrome: Chrome,
    tab: Tab,
    tabs: Vec<(&'static str, &'static str, bool)>,
    query: ListQuery,
    total: u64,
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
    let (total, next) = match tab {
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
    let districts = state
        .db
        .districts()
        .await?
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect();
    render(&Index {
        chrome: Chrome::staff(&user, "名录库", "/directories"),
        tabs: Tab::ALL
            .iter()
            .map(|t| (t.code(), t.label(), *t == tab))
            .collect(),
        next_href: next.as_deref().map(|n| page_href(tab, &query, Some(n))),
        first_href: present(&query.after).map(|_| page_href(tab, &query, None)),
        total,
        entities,
        inspectors,
        items,
        districts,
        statuses: EntityStatus::ALL.iter().map(|s| s.as_str()).collect(),
        classes: account.may(Permission::SeeRiskClasses),
        may_import: account.may(Permission::ImportDirectories),
        may_export: may_export(account, tab.kind()),
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
