//! Storage: the [`Store`] trait over the directories (两库 and the item lists),
//! with an embedded SQLite backend (the default) and a PostgreSQL backend.
//!
//! # Design
//!
//! - [`Store`] is an async trait written with `fn … -> impl Future + Send`
//!   (no `async_trait`, no boxed futures). Such a trait is not object-safe, so
//!   callers that choose the backend at run time hold a [`Db`], an enum of the
//!   two backends. Generic code (the contract tests, exporters) takes
//!   `S: Store`.
//! - Every query is written once, generically, over a backend's few primitives
//!   (`engine::Engine`: run SQL with `$n` placeholders, read rows, transactions,
//!   the dialect); only bulk upserts and key lists differ by
//!   dialect (multi-row `VALUES` versus `COPY … FROM STDIN` into a staging
//!   table and one `INSERT … SELECT`, or `UNNEST` of arrays for a few rows;
//!   `IN (…)` versus `= ANY($n)`). Queries are checked at run time (`sqlx::query`), never at
//!   build time.
//! - Each store trait ([`Store`], [`WorkflowStore`], [`credit::CreditStore`],
//!   [`hotline::HotlineStore`], [`risk::RiskStore`], [`DepartmentStore`]) has one implementation, for
//!   every `Engine`. [`SqliteStore`], [`PgStore`] and [`Db`] are engines; `Db`'s
//!   rows and transactions are enums of the two backends' (module `db`), so
//!   nothing is forwarded by hand: static dispatch, one `match` per primitive.
//! - Each backend has its own embedded, forward-only migrations
//!   (`crates/storage/migrations/{sqlite,postgres}`); [`Store::migrate`] applies
//!   them and then the reference data (GB/T 4754-2017 industries; the Huangshi
//!   districts when the district table is empty).
//! - Batch upserts are idempotent, keyed by the natural key (统一社会信用代码,
//!   certificate number, codes), last occurrence winning within a batch, and
//!   atomic: one transaction per batch, rolled back whole on any error.
//! - Rows read back are validated again by the domain constructors; a row that
//!   fails is reported as [`StoreError::Corrupt`], never unwrapped.
//!
//! # Choosing the backend
//!
//! [`open`] takes a URL: `postgres://…` or `postgresql://…` for PostgreSQL;
//! `sqlite:…` or a plain file path for SQLite. [`default_database`] gives the
//! SQLite file in the data folder (`./data` unless `--data-dir` or
//! `JIANGUAN_DATA` say otherwise), used when no URL is given.

#![deny(missing_docs)]

mod copy;
pub mod credit;
mod db;
pub mod departments;
pub mod enforcement;
mod engine;
pub mod export;
pub mod hotline;
pub mod licences;
mod migrations;
pub mod postgres;
mod queries;
pub mod reconsideration;
pub mod review;
pub mod risk;
pub mod services;
pub mod sqlite;
pub mod window;
pub mod workflow;

use std::future::Future;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use domain::divisions::CityRecord;
use domain::entity::{CreditClass, EntityStatus, EntityType, MarketEntity};
use domain::industry::IndustryCode;
use domain::inspector::{CertificateNo, Inspector, Recusal};
use domain::item::{InspectionItem, ItemCode, JointItem};
use domain::org::{Department, DepartmentCode, District, DistrictCode};
use domain::uscc::Uscc;

pub use departments::{DepartmentStore, DepartmentWrite, DepartmentWritten};
pub use enforcement::{CaseStore, PublicCaseFilter};
pub use postgres::PgStore;
pub use review::ReviewStore;
pub use sqlite::SqliteStore;
pub use workflow::{
    Candidate, Change, DocPage, DocQuery, Document, DocumentRow, DrawTables, Drawn, StoredFrame,
    WorkflowStore, json_fragment,
};

/// File name of the default SQLite database inside the data folder.
pub const DEFAULT_DATABASE_FILE: &str = "jianguan.sqlite3";
/// The default data folder.
pub const DEFAULT_DATA_DIR: &str = "data";
/// The largest page [`PageRequest`] returns.
pub const MAX_PAGE: u32 = 10_000;

/// Which backend a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Embedded SQLite.
    #[default]
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported backend.
    #[error("unsupported database {url:?}: {reason}")]
    BadUrl {
        /// The URL, password removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// The database cannot be opened or reached.
    #[error("cannot open the database {target}")]
    Connect {
        /// Path or URL, password removed.
        target: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A migration failed, or the database was migrated by another version.
    #[error("migrating the database failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A record refers to a district, department, industry, inspector or entity
    /// that is not in its directory. The whole batch was rolled back.
    #[error(
        "{record}: {field} {value:?} is not in the {directory} directory (nothing in this batch was saved)"
    )]
    MissingReference {
        /// The referring record's key, e.g. its 统一社会信用代码.
        record: String,
        /// The referring field, e.g. `district`.
        field: &'static str,
        /// The value not found.
        value: String,
        /// Where it was looked for, e.g. `districts`.
        directory: &'static str,
    },
    /// A unique value is already used by another record. The batch was rolled back.
    #[error("{what} {value:?} is already used by another record (nothing in this batch was saved)")]
    Duplicate {
        /// What must be unique, e.g. `department name`.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// Another constraint of the database rejected the batch, which was rolled back.
    #[error("the database rejected the batch (nothing in it was saved): {message}")]
    Constraint {
        /// The database's message.
        message: String,
    },
    /// A stored row no longer passes validation (edited outside jianguan?).
    #[error("stored {table} row {key:?} is invalid: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
        /// What failed.
        reason: String,
    },
    /// A page size out of range.
    #[error("a page holds 1 to {MAX_PAGE} records; asked for {0}")]
    BadPage(u32),
    /// Any other database error.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One migration and whether this run applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Version (the file's number).
    pub version: i64,
    /// Description (the file's name after the number).
    pub description: String,
    /// Applied by this run (false: it was applied before).
    pub applied_now: bool,
}

/// What [`Store::migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// The backend.
    pub backend: Backend,
    /// Every migration this binary knows, all applied now, in version order.
    pub migrations: Vec<AppliedMigration>,
    /// Industry sections and divisions written (GB/T 4754-2017; refreshed every run).
    pub industries: u64,
    /// Staging rows of killed credit imports removed.
    pub stale_stage_rows: u64,
}

/// How many records of a batch were new and how many replaced existing ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCount {
    /// New keys.
    pub inserted: u64,
    /// Existing keys whose record changed and was rewritten.
    pub updated: u64,
    /// Existing keys whose record was identical: nothing written.
    pub unchanged: u64,
}

/// A page of a keyset-paged listing: records with a key after `after`, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The `next` cursor of the previous page; `None` for the first page.
    pub after: Option<String>,
    /// Records per page, 1 to [`MAX_PAGE`].
    pub limit: u32,
}

impl PageRequest {
    /// The first page of `limit` records.
    pub fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }
}

/// A page of records and the cursor of the next page (`None` on the last page).
///
/// Keyset paging is stable: records inserted or changed while paging neither
/// repeat nor shift others; each record present throughout appears exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The records, in key order.
    pub items: Vec<T>,
    /// Pass as [`PageRequest::after`] for the next page.
    pub next: Option<String>,
}

/// An industry filter: a whole section, or a code prefix (division, group or class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndustryFilter {
    /// Section letter `A`–`T`.
    Section(char),
    /// Codes starting with this one (`52` matches `52`, `521`, `5211`).
    Code(IndustryCode),
}

/// A credit-risk class filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassFilter {
    /// Entities of this class.
    Class(CreditClass),
    /// Entities not yet classified.
    Unclassified,
}

/// Which entities to list or count; every field set narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityFilter {
    /// A substring of the name, or a prefix of the 统一社会信用代码
    /// (ASCII letters case-insensitive).
    pub text: Option<String>,
    /// 所属区域.
    pub district: Option<DistrictCode>,
    /// 行业.
    pub industry: Option<IndustryFilter>,
    /// 主体类型.
    pub entity_type: Option<EntityType>,
    /// 登记状态.
    pub status: Option<EntityStatus>,
    /// 信用风险分类.
    pub credit_class: Option<ClassFilter>,
    /// Member of this special pool.
    pub special_pool: Option<String>,
    /// Carries this tag.
    pub tag: Option<String>,
    /// Only entities whose pilot-era code failed its check (`Some(true)`), or only the others.
    pub uscc_warning: Option<bool>,
}

/// Which inspectors to list or count; every field set narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectorFilter {
    /// A substring of the name, or a prefix of the certificate number.
    pub text: Option<String>,
    /// Department.
    pub department: Option<DepartmentCode>,
    /// District.
    pub district: Option<DistrictCode>,
    /// Qualified for this enforcement field.
    pub field: Option<String>,
    /// Certificate valid on this date.
    pub certified_on: Option<NaiveDate>,
}

/// A stored industry section or division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryRow {
    /// `A`–`T` for a section, `01`–`97` for a division.
    pub code: String,
    /// The section letter (the code itself for a section).
    pub section: String,
    /// The name.
    pub name: String,
}

/// The directories' storage. See the [module documentation](self) for the design.
///
/// Every batch method is atomic and idempotent. Methods that return `Vec`
/// without paging are for the small directories (hundreds of rows).
pub trait Store: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Applies the embedded migrations not yet applied, then the reference data.
    /// Safe to run again: a second run applies nothing and changes no data.
    fn migrate(&self) -> impl Future<Output = Result<MigrationReport, StoreError>> + Send;

    /// Refreshes the planner's statistics after a bulk load, so that the next
    /// queries use the indexes: on PostgreSQL, `ANALYZE` of this schema's
    /// tables changed by more than a tenth (and 1,000 rows) since their last
    /// statistics; on SQLite nothing. Returns the tables analyzed.
    fn refresh_statistics(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Inserts or replaces districts, keyed by code.
    fn upsert_districts(
        &self,
        districts: &[District],
    ) -> impl Future<Output = Result<UpsertCount, StoreError>> + Send;
    /// All districts, by code.
    fn districts(&self) -> impl Future<Output = Result<Vec<District>, StoreError>> + Send;
    /// The city this database serves; `None` until `jianguan setup --city` (or the
    /// first-run page) sets it up ([`WorkflowStore::set_up_city`]).
    fn city(&self) -> impl Future<Output = Result<Option<CityRecord>, StoreError>> + Send;

    /// The GB/T 4754-2017 sections, by letter.
    fn industry_sections(
        &self,
    ) -> impl Future<Output = Result<Vec<IndustryRow>, StoreError>> + Send;
    /// The GB/T 4754-2017 divisions, by code.
    fn industry_divisions(
        &self,
    ) -> impl Future<Output = Result<Vec<IndustryRow>, StoreError>> + Send;

    /// Inserts or replaces departments, keyed by code (names are unique): a
    /// known code with a new name renames the department. The active flag of
    /// a stored department is kept (see [`DepartmentStore::write_department`]);
    /// a new one is stored active.
    fn upsert_departments(
        &self,
        departments: &[Department],
    ) -> impl Future<Output = Result<UpsertCount, StoreError>> + Send;
    /// All departments, by code.
    fn departments(&self) -> impl Future<Output = Result<Vec<Department>, StoreError>> + Send;
    /// One department.
    fn department(
        &self,
        code: &DepartmentCode,
    ) -> impl Future<Output = Result<Option<Department>, StoreError>> + Send;

    /// Inserts or replaces entities, keyed by 统一社会信用代码, in one transaction.
    fn upsert_entities(
        &self,
        entities: &[MarketEntity],
    ) -> impl Future<Output = Result<UpsertCount, StoreError>> + Send;
    /// One entity.
    fn entity(
        &self,
        uscc: &Uscc,
    ) -> impl Future<Output = Result<Option<MarketEntity>, StoreError>> + Send;
    /// The entities whose 统一社会信用代码 is among `codes` (a page's worth, to
    /// show names next to codes in one query), by code; unknown codes are left out.
    fn entities_in(
        &self,
        codes: &[String],
    ) -> impl Future<Output = Result<Vec<MarketEntity>, StoreError>> + Send;
    /// A page of the entities matching `filter`, by 统一社会信用代码.
    fn search_entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<MarketEntity>, StoreError>> + Send;
    /// How many entities match `filter`.
    fn count_entities(
        &self,
        filter: &EntityFilter,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Inserts or replaces inspectors, keyed by certificate number, in one transaction.
    fn upsert_inspectors(
        &self,
        inspectors: &[Inspector],
    ) -> impl Future<Output = Result<UpsertCount, StoreError>> + Send;
    /// One inspector.
    fn inspector(
        &self,
        cert_no: &CertificateNo,
    ) -> impl Future<Output = Result<Option<Inspector>, StoreError>> + Send;
    /// The inspectors whose certificate number is among `certs` (a page's
    /// worth), by number; unknown numbers are left out.
    fn inspectors_in(
        &self,
        certs: &[String],
    ) -> impl Future<Output = Result<Vec<Inspector>, StoreError>> + Send;
    /// A page of the inspectors matching `filter`, by certificate number.
    fn search_inspectors(
        &self,
        filter: &InspectorFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Inspector>, StoreError>> + Send;
    /// How many inspectors match `filter`.
    fn count_inspectors(
        &self,
        filter: &InspectorFilter,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Inserts or replaces recusals, keyed by (inspector, entity).
    fn upsert_recusals(
        &self,
        recusals: &[Recusal],
    ) -> impl Future<Output = Result<UpsertCount, StoreError>> + Send;
    /// The recusals of an entity, by inspector.
    fn recusals_of_entity(
        &self,
        uscc: &Uscc,
    ) -> impl Future<Output = Result<Vec<Recusal>, StoreError>> + Send;
    /// The recusals of an inspector, by entity.
    fn recusals_of_inspector(
        &self,
        cert_no: &CertificateNo,
    ) -> impl Future<Output = Result<Vec<Recusal>, StoreError>> + Send;
    /// A page of all recusals, by (inspector, entity).
    fn recusals(
        &self,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Recusal>, StoreError>> + Send;
    /// How many recusals there are.
    fn count_recusals(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Inserts or replaces random-inspection items, keyed by code.
    fn upsert_items(
        &self,
        items: &[InspectionItem],
    ) -> impl Future<Output = Result<UpsertCount, StoreError>> + Send;
    /// The items, of one department or all, by code.
    fn items(
        &self,
        department: Option<&DepartmentCode>,
    ) -> impl Future<Output = Result<Vec<InspectionItem>, StoreError>> + Send;
    /// One item.
    fn item(
        &self,
        code: &ItemCode,
    ) -> impl Future<Output = Result<Option<InspectionItem>, StoreError>> + Send;

    /// Inserts or replaces joint-list items, keyed by code.
    fn upsert_joint_items(
        &self,
        items: &[JointItem],
    ) -> impl Future<Output = Result<UpsertCount, StoreError>> + Send;
    /// The joint items a department leads or cooperates in, or all, by code.
    fn joint_items(
        &self,
        department: Option<&DepartmentCode>,
    ) -> impl Future<Output = Result<Vec<JointItem>, StoreError>> + Send;
    /// One joint item.
    fn joint_item(
        &self,
        code: &ItemCode,
    ) -> impl Future<Output = Result<Option<JointItem>, StoreError>> + Send;
}

/// A store whose backend was chosen at run time (see [`open`]).
#[derive(Debug, Clone)]
pub enum Db {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

/// Opens the database named by `url`, choosing the backend:
/// `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:…` or a path without
/// a scheme → SQLite (the file is created if missing). Migrations are not run:
/// call [`Store::migrate`].
pub async fn open(url: &str) -> Result<Db, StoreError> {
    let trimmed = url.trim();
    if trimmed.is_empty() {
        return Err(StoreError::BadUrl {
            url: String::new(),
            reason: "empty".into(),
        });
    }
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        return Ok(Db::Postgres(PgStore::connect(trimmed).await?));
    }
    if trimmed.starts_with("sqlite:") {
        return Ok(Db::Sqlite(SqliteStore::connect(trimmed).await?));
    }
    if let Some((scheme, _)) = trimmed.split_once("://") {
        return Err(StoreError::BadUrl {
            url: redact(trimmed),
            reason: format!(
                "scheme {scheme:?} is not supported; use postgres://…, sqlite://PATH or a file path"
            ),
        });
    }
    Ok(Db::Sqlite(SqliteStore::connect(trimmed).await?))
}

/// The default SQLite database: `DATA_DIR/jianguan.sqlite3`.
pub fn default_database(data_dir: &Path) -> PathBuf {
    data_dir.join(DEFAULT_DATABASE_FILE)
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

impl Db {
    /// Closes every connection (on SQLite this checkpoints the WAL).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(store) => store.close().await,
            Db::Postgres(store) => store.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("data/jianguan.sqlite3"), "data/jianguan.sqlite3");
        assert_eq!(redact("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
    }
}
