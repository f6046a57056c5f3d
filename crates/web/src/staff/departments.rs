//! The department directory's edits (/directories/departments/…), for the
//! system administrator only: create, edit (name, level, district, 统一社会信用代码,
//! short name), deactivate, reactivate and delete. Every change is written with
//! its record on the audit ledger ([`storage::DepartmentStore`]). A department
//! that anything refers to cannot be deleted: the refusal names what refers to it.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::directories::{DepartmentRow, district_names};
use crate::pages::{Chrome, render};
use domain::account::{Account, Permission};
use domain::org::{
    Department, DepartmentChange, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode,
    check_organ_uscc,
};
use domain::uscc::Uscc;
use storage::{DepartmentStore, DepartmentWrite, DepartmentWritten, Store, StoreError};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/directories/departments/new", get(new_form))
        .route("/directories/departments", post(create))
        .route("/directories/departments/{code}", get(edit_form).post(edit))
        .route("/directories/departments/{code}/active", post(set_active))
        .route("/directories/departments/{code}/delete", post(delete))
}

/// Whether `account` may edit the department directory: the system administrator.
pub fn may_edit(account: &Account) -> bool {
    account.may(Permission::ManageDepartments)
}

fn require_admin(user: &User) -> Result<()> {
    user.require(Permission::ManageDepartments).map(|_| ())
}

#[derive(Template)]
#[template(path = "staff/department.html")]
struct Edit {
    chrome: Chrome,
    /// `None` when creating.
    department: Option<DepartmentRow>,
    districts: Vec<(String, String)>,
    levels: [&'static str; 2],
    message: Option<String>,
    changes: Vec<ChangeRow>,
    /// What refers to the department (delete is refused while any).
    references: Vec<String>,
}

/// A recorded change, as listed.
struct ChangeRow {
    at: String,
    by: String,
    action: &'static str,
}

impl ChangeRow {
    fn of(change: &DepartmentChange) -> Self {
        Self {
            at: change.at.format("%Y-%m-%d %H:%M").to_string(),
            by: change.by.clone(),
            action: change.action.chinese(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/department_delete.html")]
struct ConfirmDelete {
    chrome: Chrome,
    department: DepartmentRow,
}

fn parse_code(text: &str) -> Result<DepartmentCode> {
    DepartmentCode::parse(text).map_err(|_| {
        Error::BadRequest(format!(
            "部门编码“{text}”无效：应为1至32位字母、数字或 - _ ."
        ))
    })
}

async fn stored(state: &AppState, code: &DepartmentCode) -> Result<Department> {
    state
        .db
        .department(code)
        .await?
        .ok_or_else(|| Error::NotFound(format!("部门 {code} 不存在 (no such department)")))
}

/// Writes `write` as `user`, now, with its record on the ledger.
async fn apply(
    state: &AppState,
    user: &User,
    write: DepartmentWrite,
) -> std::result::Result<DepartmentWritten, StoreError> {
    state
        .db
        .write_department(&write, &user.actor(), domain::clock::now())
        .await
}

/// The edit page of `code`, with `message` on top.
async fn edit_page(
    state: &AppState,
    user: &User,
    code: &DepartmentCode,
    message: Option<String>,
) -> Result<Html<String>> {
    let department = stored(state, code).await?;
    let districts = district_names(state).await?;
    let changes = state
        .db
        .department_changes(code)
        .await?
        .iter()
        .rev()
        .map(ChangeRow::of)
        .collect();
    let references = state
        .db
        .department_references(code)
        .await?
        .iter()
        .map(|r| format!("{} {} 条", r.label, r.count))
        .collect();
    render(&Edit {
        chrome: Chrome::staff(user, format!("部门 {}", department.name()), "/directories"),
        department: Some(DepartmentRow::of(&department, &districts)),
        districts,
        levels: ["市级", "区县级"],
        message,
        changes,
        references,
    })
}

async fn new_form(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    require_admin(&user)?;
    render(&Edit {
        chrome: Chrome::staff(&user, "新增部门", "/directories"),
        department: None,
        districts: district_names(&state).await?,
        levels: ["市级", "区县级"],
        message: None,
        changes: Vec::new(),
        references: Vec::new(),
    })
}

async fn edit_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(code): Path<String>,
) -> Result<Html<String>> {
    require_admin(&user)?;
    edit_page(&state, &user, &parse_code(&code)?, None).await
}

/// The department form's fields.
#[derive(Deserialize)]
struct DepartmentForm {
    /// Only when creating: the code of an existing one is its path.
    code: Option<String>,
    name: String,
    level: String,
    district: String,
    uscc: Option<String>,
    short_name: Option<String>,
}

impl DepartmentForm {
    /// The department the form describes, validated, with messages in Chinese.
    fn department(&self, code: DepartmentCode, active: bool) -> Result<Department> {
        let level = DepartmentLevel::parse(&self.level)
            .map_err(|_| Error::BadRequest("层级应为 市级 或 区县级".into()).on("level"))?;
        let district = DistrictCode::parse(&self.district)
            .map_err(|_| Error::BadRequest("请选择所属区域".into()).on("district"))?;
        let uscc = match self.uscc.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let code = Uscc::parse(text).map_err(|e| {
                    Error::BadRequest(format!("统一社会信用代码“{text}”无效：{}", e.reason_zh()))
                        .on("uscc")
                })?;
                check_organ_uscc(&code).map_err(|_| {
                    Error::BadRequest(format!(
                        "统一社会信用代码“{text}”不是机关代码：部门的统一社会信用代码以 11 开头"
                    ))
                    .on("uscc")
                })?;
                Some(code)
            }
        };
        Department::new(DepartmentFields {
            code,
            name: self.name.clone(),
            level,
            district: Some(district),
            uscc,
            short_name: self.short_name.clone(),
            active,
        })
        .map_err(|e| {
            let message = match e.field {
                "name" => "部门名称不能为空，且不超过 100 个字符".into(),
                "short_name" => "简称不超过 30 个字符".into(),
                _ => format!("部门信息无效：{e}"),
            };
            Error::BadRequest(message).on(e.field)
        })
    }
}

/// A write's store error in Chinese: a name clash or an unknown district.
fn write_failed(error: StoreError) -> Error {
    match error {
        StoreError::Duplicate { value, .. } => {
            Error::Conflict(format!("部门名称“{value}”已被其他部门使用，未保存")).on("name")
        }
        StoreError::MissingReference { value, .. } => {
            Error::BadRequest(format!("所属区域 {value} 不在区域名录中，未保存")).on("district")
        }
        other => other.into(),
    }
}

async fn create(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<DepartmentForm>,
) -> Result<Html<String>> {
    require_admin(&user)?;
    let code = parse_code(form.code.as_deref().unwrap_or_default()).map_err(|e| e.on("code"))?;
    let department = form.department(code.clone(), true)?;
    let written = apply(&state, &user, DepartmentWrite::Create(department))
        .await
        .map_err(write_failed)?;
    match written {
        DepartmentWritten::CodeTaken => Err(Error::Conflict(format!(
            "部门编码 {code} 已存在，未新增；如需改名请编辑该部门"
        ))
        .on("code")),
        _ => edit_page(&state, &user, &code, Some(format!("已新增部门 {code}"))).await,
    }
}

async fn edit(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(code): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Result<Html<String>> {
    require_admin(&user)?;
    let code = parse_code(&code)?;
    let current = stored(&state, &code).await?;
    let department = form.department(code.clone(), current.is_active())?;
    let written = apply(&state, &user, DepartmentWrite::Edit(department))
        .await
        .map_err(write_failed)?;
    let message = match written {
        DepartmentWritten::Unchanged => "没有改动".to_owned(),
        DepartmentWritten::NotFound => {
            return Err(Error::NotFound(format!(
                "部门 {code} 不存在 (no such department)"
            )));
        }
        _ => format!("已保存部门 {code}"),
    };
    edit_page(&state, &user, &code, Some(message)).await
}

#[derive(Deserialize)]
struct ActiveForm {
    /// `true` to reactivate, `false` to deactivate.
    active: String,
}

async fn set_active(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(code): Path<String>,
    Form(form): Form<ActiveForm>,
) -> Result<Html<String>> {
    require_admin(&user)?;
    let code = parse_code(&code)?;
    let active = form.active == "true";
    let written = apply(
        &state,
        &user,
        DepartmentWrite::SetActive(code.clone(), active),
    )
    .await?;
    let message = match (written, active) {
        (DepartmentWritten::NotFound, _) => {
            return Err(Error::NotFound(format!(
                "部门 {code} 不存在 (no such department)"
            )));
        }
        (DepartmentWritten::Unchanged, true) => format!("部门 {code} 已是启用状态"),
        (DepartmentWritten::Unchanged, false) => format!("部门 {code} 已是停用状态"),
        (_, true) => format!("已启用部门 {code}"),
        (_, false) => {
            format!("已停用部门 {code}：其已有记录保留，新的人员、事项、计划和工单不能再指定该部门")
        }
    };
    edit_page(&state, &user, &code, Some(message)).await
}

#[derive(Deserialize)]
struct DeleteForm {
    /// `yes` once confirmed; without it the confirmation page is shown.
    confirm: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/department_deleted.html")]
struct Deleted {
    chrome: Chrome,
    code: String,
    name: String,
}

async fn delete(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(code): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response> {
    require_admin(&user)?;
    let code = parse_code(&code)?;
    let department = stored(&state, &code).await?;
    if form.confirm.as_deref() != Some("yes") {
        let districts = district_names(&state).await?;
        return Ok(render(&ConfirmDelete {
            chrome: Chrome::staff(&user, "确认删除部门", "/directories"),
            department: DepartmentRow::of(&department, &districts),
        })?
        .into_response());
    }
    let written = apply(&state, &user, DepartmentWrite::Delete(code.clone())).await?;
    match written {
        DepartmentWritten::Referenced(found) => {
            let listed: Vec<String> = found
                .iter()
                .map(|r| format!("{} {} 条", r.label, r.count))
                .collect();
            let refusal = format!(
                "不能删除部门 {code}（{}）：仍有{}引用该部门。如不再使用，请停用该部门。",
                department.name(),
                listed.join("、")
            );
            // Refused inside the application's frame, on the department's page.
            let page = edit_page(&state, &user, &code, Some(refusal)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        DepartmentWritten::NotFound => Err(Error::NotFound(format!(
            "部门 {code} 不存在 (no such department)"
        ))),
        _ => Ok(render(&Deleted {
            chrome: Chrome::staff(&user, "已删除部门", "/directories"),
            code: code.as_str().to_owned(),
            name: department.name().to_owned(),
        })?
        .into_response()),
    }
}
