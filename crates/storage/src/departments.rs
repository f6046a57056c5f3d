//! The department directory's changes made by a person: create, edit,
//! deactivate, reactivate and delete, each written with its
//! [`DepartmentChange`] document and ledger entry in one transaction. A
//! department that anything refers to cannot be deleted, only deactivated.

use std::future::Future;

use chrono::{DateTime, FixedOffset};

use super::StoreError;
use super::engine::{Arg, Engine, RowRead};
use super::queries::{department_from_row, department_insert, department_update};
use super::workflow::{Change, Document, put_in};
use domain::org::{
    Department, DepartmentAction, DepartmentChange, DepartmentCode, DepartmentSnapshot,
};

impl Document for DepartmentChange {
    const NOUN: &'static str = "department change";
    const TABLE: &'static str = "department_changes";
    const COLUMNS: &'static [&'static str] = &["department"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some(self.department.clone())]
    }
}

/// A place that refers to departments: table, column and its Chinese name.
const REFERRERS: &[(&str, &str, &str)] = &[
    ("inspectors", "department", "执法检查人员"),
    ("inspection_items", "department", "随机抽查事项"),
    ("joint_items", "lead", "联合抽查事项（发起部门）"),
    (
        "joint_item_departments",
        "department",
        "联合抽查事项（配合部门）",
    ),
    ("plans", "lead", "抽查计划"),
    ("results", "department", "检查结果"),
    ("out_of_plan", "department", "计划外检查"),
    ("accounts", "department", "账号"),
    ("rectifications", "department", "整改通知"),
    ("work_orders", "department", "12345 工单"),
    ("credit_matters", "department", "信用事项"),
    ("credit_checks", "department", "信用核查记录"),
];

/// How many records of one kind refer to a department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentReference {
    /// The table, e.g. `inspectors`.
    pub table: &'static str,
    /// Its Chinese name, e.g. 执法检查人员.
    pub label: &'static str,
    /// How many of its records name the department.
    pub count: u64,
}

/// A change to one department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartmentWrite {
    /// A new department (its code must be new; the name unique).
    Create(Department),
    /// New name, level, district, 统一社会信用代码 and short name for an existing
    /// code (the active flag is kept).
    Edit(Department),
    /// Deactivate (`false`) or reactivate (`true`).
    SetActive(DepartmentCode, bool),
    /// Delete a department nothing refers to.
    Delete(DepartmentCode),
}

impl DepartmentWrite {
    fn code(&self) -> &DepartmentCode {
        match self {
            Self::Create(d) | Self::Edit(d) => d.code(),
            Self::SetActive(code, _) | Self::Delete(code) => code,
        }
    }
}

/// What a [`DepartmentWrite`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartmentWritten {
    /// Written, with its audit record.
    Done(Box<DepartmentChange>),
    /// Nothing changed (already so): nothing written.
    Unchanged,
    /// No department has the code.
    NotFound,
    /// Create: the code is taken.
    CodeTaken,
    /// Delete: records refer to the department; nothing written.
    Referenced(Vec<DepartmentReference>),
}

/// The department directory's audited changes.
pub trait DepartmentStore: Send + Sync {
    /// What refers to the department, by kind (kinds with no record left out).
    fn department_references(
        &self,
        code: &DepartmentCode,
    ) -> impl Future<Output = Result<Vec<DepartmentReference>, StoreError>> + Send;

    /// Applies `write` by `actor` at `at` with its [`DepartmentChange`] on the
    /// ledger (action `department.created`, …), in one transaction. A name used
    /// by another department is [`StoreError::Duplicate`]; an unknown district
    /// [`StoreError::MissingReference`].
    fn write_department(
        &self,
        write: &DepartmentWrite,
        actor: &str,
        at: DateTime<FixedOffset>,
    ) -> impl Future<Output = Result<DepartmentWritten, StoreError>> + Send;

    /// The audited changes of one department, oldest first.
    fn department_changes(
        &self,
        code: &DepartmentCode,
    ) -> impl Future<Output = Result<Vec<DepartmentChange>, StoreError>> + Send;
}

async fn references_in<E: Engine>(
    tx: &mut E::Tx,
    code: &DepartmentCode,
) -> Result<Vec<DepartmentReference>, StoreError> {
    let mut found = Vec::new();
    for &(table, column, label) in REFERRERS {
        let rows = E::tx_fetch_all(
            tx,
            &format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"),
            vec![Arg::Text(code.as_str().to_owned())],
        )
        .await?;
        let count = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        if count > 0 {
            found.push(DepartmentReference {
                table,
                label,
                count: u64::try_from(count).unwrap_or(0),
            });
        }
    }
    Ok(found)
}

async fn stored_in<E: Engine>(
    tx: &mut E::Tx,
    code: &DepartmentCode,
) -> Result<Option<Department>, StoreError> {
    let rows = E::tx_fetch_all(
        tx,
        &format!("{} WHERE code = $1", super::queries::DEPARTMENT_SELECT),
        vec![Arg::Text(code.as_str().to_owned())],
    )
    .await?;
    rows.first().map(department_from_row).transpose()
}

/// The write's failure as a store error: a name clash or an unknown district.
fn write_error(error: sqlx::Error, department: &Department) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => StoreError::Duplicate {
                what: "department name",
                value: department.name().to_owned(),
            },
            sqlx::error::ErrorKind::ForeignKeyViolation => StoreError::MissingReference {
                record: department.code().as_str().to_owned(),
                field: "district",
                value: department
                    .district()
                    .map(|d| d.as_str().to_owned())
                    .unwrap_or_default(),
                directory: "districts",
            },
            _ => StoreError::Database(error),
        },
        _ => StoreError::Database(error),
    }
}

impl<E: Engine> DepartmentStore for E {
    async fn department_references(
        &self,
        code: &DepartmentCode,
    ) -> Result<Vec<DepartmentReference>, StoreError> {
        let mut tx = self.begin().await?;
        let found = references_in::<E>(&mut tx, code).await?;
        E::commit(tx).await?;
        Ok(found)
    }

    async fn write_department(
        &self,
        write: &DepartmentWrite,
        actor: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<DepartmentWritten, StoreError> {
        let code = write.code();
        let mut tx = self.begin().await?;
        let before = stored_in::<E>(&mut tx, code).await?;
        let action = match (write, &before) {
            (DepartmentWrite::Create(_), Some(_)) => return Ok(DepartmentWritten::CodeTaken),
            (DepartmentWrite::Create(department), None) => {
                let (sql, args) = department_insert(department);
                E::tx_execute(&mut tx, &sql, args)
                    .await
                    .map_err(|e| write_error(e, department))?;
                DepartmentAction::Created
            }
            (_, None) => return Ok(DepartmentWritten::NotFound),
            (DepartmentWrite::Edit(department), Some(stored)) => {
                if stored.fields().name == department.name()
                    && stored.level() == department.level()
                    && stored.district() == department.district()
                    && stored.uscc() == department.uscc()
                    && stored.short_name() == department.short_name()
                {
                    return Ok(DepartmentWritten::Unchanged);
                }
                let (sql, args) = department_update(department);
                E::tx_execute(&mut tx, &sql, args)
                    .await
                    .map_err(|e| write_error(e, department))?;
                DepartmentAction::Edited
            }
            (DepartmentWrite::SetActive(_, active), Some(stored)) => {
                if stored.is_active() == *active {
                    return Ok(DepartmentWritten::Unchanged);
                }
                E::tx_execute(
                    &mut tx,
                    "UPDATE departments SET active = $1 WHERE code = $2",
                    vec![
                        Arg::Int(i64::from(*active)),
                        Arg::Text(code.as_str().to_owned()),
                    ],
                )
                .await?;
                if *active {
                    DepartmentAction::Reactivated
                } else {
                    DepartmentAction::Deactivated
                }
            }
            (DepartmentWrite::Delete(_), Some(_)) => {
                let found = references_in::<E>(&mut tx, code).await?;
                if !found.is_empty() {
                    return Ok(DepartmentWritten::Referenced(found));
                }
                E::tx_execute(
                    &mut tx,
                    "DELETE FROM departments WHERE code = $1",
                    vec![Arg::Text(code.as_str().to_owned())],
                )
                .await?;
                DepartmentAction::Deleted
            }
        };
        let after = stored_in::<E>(&mut tx, code).await?;
        let rows = E::tx_fetch_all(
            &mut tx,
            "SELECT COUNT(*) FROM department_changes",
            Vec::new(),
        )
        .await?;
        let number = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) + 1;
        let record = DepartmentChange {
            id: format!("DC-{number:06}"),
            department: code.as_str().to_owned(),
            action,
            before: before.as_ref().map(DepartmentSnapshot::of),
            after: after.as_ref().map(DepartmentSnapshot::of),
            by: actor.to_owned(),
            at,
        };
        let name = after.as_ref().or(before.as_ref()).map_or("", |d| d.name());
        let change = Change::new(
            at,
            actor,
            action.ledger_action(),
            format!("部门名录{}：{code}（{name}）", action.chinese()),
        );
        put_in::<E, DepartmentChange>(&mut tx, &record, &change).await?;
        E::commit(tx).await?;
        Ok(DepartmentWritten::Done(Box::new(record)))
    }

    async fn department_changes(
        &self,
        code: &DepartmentCode,
    ) -> Result<Vec<DepartmentChange>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT id, doc FROM department_changes WHERE department = $1 ORDER BY id",
                vec![Arg::Text(code.as_str().to_owned())],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id = row.text(0)?;
                serde_json::from_str(&row.text(1)?).map_err(|e| StoreError::Corrupt {
                    table: "department_changes",
                    key: id,
                    reason: e.to_string(),
                })
            })
            .collect()
    }
}
