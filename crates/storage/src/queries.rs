//! Every [`Store`] method, written once over [`Engine`]: the two backends get
//! the same SQL (with `$n` placeholders) except where [`Dialect`] says otherwise.

use std::collections::{HashMap, HashSet};

use sqlx::error::ErrorKind;

use super::engine::{Arg, Column, Dialect, Engine, OnConflict, RowRead, Sql, Table, bulk_insert};
use super::{
    Backend, ClassFilter, EntityFilter, IndustryFilter, IndustryRow, InspectorFilter, MAX_PAGE,
    MigrationReport, Page, PageRequest, Store, StoreError, UpsertCount,
};
use domain::divisions::CityRecord;
use domain::entity::{
    CreditClass, CreditRating, EntityFields, EntityStatus, EntityType, MarketEntity,
};
use domain::idcard::IdCardNo;
use domain::industry::{self, IndustryCode};
use domain::inspector::{
    CertificateNo, CertificateStatus, Inspector, InspectorFields, OfficerRegister, Recusal,
};
use domain::item::{
    CheckMethod, Frequency, InspectionItem, ItemCode, ItemFields, JointItem, JointItemFields,
    Period, RatioBp,
};
use domain::org::{
    Department, DepartmentCode, DepartmentFields, DepartmentLevel, District, DistrictCode,
};
use domain::registration::RegistrationType;
use domain::uscc::Uscc;

// ---------------------------------------------------------------------------
// Tables written in bulk.

const DISTRICTS: Table = Table {
    name: "districts",
    columns: &["code", "name"],
    key: &["code"],
};
const SECTIONS: Table = Table {
    name: "industry_sections",
    columns: &["code", "name"],
    key: &["code"],
};
const DIVISIONS: Table = Table {
    name: "industry_divisions",
    columns: &["code", "section", "name"],
    key: &["code"],
};
const DEPARTMENTS: Table = Table {
    name: "departments",
    columns: &["code", "name", "level", "district", "uscc", "short_name"],
    key: &["code"],
};
const ENTITIES: Table = Table {
    name: "entities",
    columns: &[
        "uscc",
        "name",
        "entity_type",
        "district",
        "industry",
        "industry_division",
        "industry_section",
        "registered_on",
        "status",
        "address",
        "legal_representative",
        "credit_class",
        "credit_class_on",
        "uscc_warning",
        "registration_type",
    ],
    key: &["uscc"],
};
const ENTITY_LABELS: Table = Table {
    name: "entity_labels",
    columns: &["uscc", "kind", "label"],
    key: &["uscc", "kind", "label"],
};
const INSPECTORS: Table = Table {
    name: "inspectors",
    columns: &[
        "cert_no",
        "name",
        "id_card",
        "department",
        "cert_valid_from",
        "cert_valid_until",
        "district",
        "cert_status",
        "issuer",
        "exam_passed_on",
        "in_pool",
    ],
    key: &["cert_no"],
};
const INSPECTOR_FIELDS: Table = Table {
    name: "inspector_fields",
    columns: &["cert_no", "field"],
    key: &["cert_no", "field"],
};
const RECUSALS: Table = Table {
    name: "recusals",
    columns: &["inspector", "entity", "reason"],
    key: &["inspector", "entity"],
};
const ITEMS: Table = Table {
    name: "inspection_items",
    columns: &[
        "code",
        "category",
        "name",
        "legal_basis",
        "department",
        "target_type",
        "methods",
        "ratio_bp",
        "frequency_times",
        "frequency_period",
    ],
    key: &["code"],
};
const JOINT_ITEMS: Table = Table {
    name: "joint_items",
    columns: &[
        "code",
        "field",
        "name",
        "legal_basis",
        "lead",
        "target_type",
        "methods",
        "ratio_bp",
        "frequency_times",
        "frequency_period",
    ],
    key: &["code"],
};
const JOINT_DEPARTMENTS: Table = Table {
    name: "joint_item_departments",
    columns: &["item", "department"],
    key: &["item", "department"],
};

// ---------------------------------------------------------------------------
// Generic batch upsert.

/// Child rows of a record, replaced whole with the record.
struct Children<T: 'static> {
    table: &'static Table,
    /// The column referring to the parent's (first) key column.
    parent: &'static str,
    columns: fn(&[&T]) -> Vec<Column>,
}

/// Separator of composite keys in memory and in cursors; no key contains it.
const KEY_SEPARATOR: char = '/';

/// The records with distinct keys, the last occurrence of a key winning, in first-seen order.
fn last_wins<T>(records: &[T], key: fn(&T) -> Vec<String>) -> Vec<&T> {
    let mut position: HashMap<String, usize> = HashMap::with_capacity(records.len());
    let mut out: Vec<&T> = Vec::with_capacity(records.len());
    for record in records {
        let joined = key(record).join("/");
        match position.get(&joined) {
            Some(&index) => out[index] = record,
            None => {
                position.insert(joined, out.len());
                out.push(record);
            }
        }
    }
    out
}

/// Rows given column-wise, as texts row by row (see [`Column::texts`]).
fn text_rows(columns: &[Column]) -> Vec<Vec<Option<String>>> {
    let texts: Vec<Vec<Option<String>>> = columns.iter().map(Column::texts).collect();
    let rows = texts.first().map_or(0, Vec::len);
    (0..rows)
        .map(|i| {
            texts
                .iter()
                .map(|column| column.get(i).cloned().flatten())
                .collect()
        })
        .collect()
}

/// The stored rows of `table` whose `column` is one of `keys`, every column as text.
async fn stored_rows<E: Engine>(
    tx: &mut E::Tx,
    table: &Table,
    column: &str,
    keys: Vec<String>,
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
    let casts: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("CAST({c} AS TEXT)"))
        .collect();
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} WHERE ",
        casts.join(", "),
        table.name
    ));
    sql.bind_in(E::tx_dialect(tx), column, keys);
    let rows = E::tx_fetch_all(tx, &sql.text, sql.args).await?;
    rows.iter()
        .map(|row| (0..table.columns.len()).map(|i| row.opt_text(i)).collect())
        .collect()
}

/// Child rows grouped by their parent's key, each group sorted.
fn children_by_parent(
    table: &Table,
    parent: &str,
    rows: Vec<Vec<Option<String>>>,
) -> HashMap<String, Vec<Vec<Option<String>>>> {
    let index = table.columns.iter().position(|c| *c == parent).unwrap_or(0);
    let mut groups: HashMap<String, Vec<Vec<Option<String>>>> = HashMap::new();
    for row in rows {
        let key = row.get(index).cloned().flatten().unwrap_or_default();
        groups.entry(key).or_default().push(row);
    }
    for group in groups.values_mut() {
        group.sort();
    }
    groups
}

/// Upserts `records` into `table` (and replaces their children) in one
/// transaction. Each record is compared with the stored one (its row and its
/// children, as text): new keys are inserted, changed records rewritten, and
/// unchanged ones left alone and counted so.
async fn upsert_batch<E: Engine, T: Sync>(
    engine: &E,
    records: &[&T],
    table: &'static Table,
    key: fn(&T) -> Vec<String>,
    columns: fn(&[&T]) -> Vec<Column>,
    children: &[Children<T>],
) -> Result<UpsertCount, sqlx::Error> {
    let key_positions: Vec<usize> = table
        .key
        .iter()
        .filter_map(|k| table.columns.iter().position(|c| c == k))
        .collect();
    let key_of = |row: &[Option<String>]| -> String {
        let parts: Vec<&str> = key_positions
            .iter()
            .map(|&i| row.get(i).and_then(|v| v.as_deref()).unwrap_or_default())
            .collect();
        parts.join("/")
    };
    let first_column = table.key.first().copied().unwrap_or_default();
    let mut tx = engine.begin().await?;
    let mut count = UpsertCount::default();
    for chunk in records.chunks(engine.dialect().chunk()) {
        let mut first_keys: Vec<String> = chunk
            .iter()
            .filter_map(|r| key(r).into_iter().next())
            .collect();
        first_keys.sort();
        first_keys.dedup();
        let stored: HashMap<String, Vec<Option<String>>> =
            stored_rows::<E>(&mut tx, table, first_column, first_keys.clone())
                .await?
                .into_iter()
                .map(|row| (key_of(&row), row))
                .collect();
        let mut stored_children = Vec::with_capacity(children.len());
        let mut new_children = Vec::with_capacity(children.len());
        for child in children {
            let rows =
                stored_rows::<E>(&mut tx, child.table, child.parent, first_keys.clone()).await?;
            stored_children.push(children_by_parent(child.table, child.parent, rows));
            let rows = text_rows(&(child.columns)(chunk));
            new_children.push(children_by_parent(child.table, child.parent, rows));
        }
        let new_rows = text_rows(&columns(chunk));
        let mut write: Vec<&T> = Vec::with_capacity(chunk.len());
        for (record, row) in chunk.iter().zip(&new_rows) {
            let Some(old) = stored.get(&key_of(row)) else {
                count.inserted += 1;
                write.push(*record);
                continue;
            };
            let parent = row
                .get(key_positions.first().copied().unwrap_or(0))
                .cloned()
                .flatten()
                .unwrap_or_default();
            let children_same = stored_children
                .iter()
                .zip(&new_children)
                .all(|(old, new)| old.get(&parent) == new.get(&parent));
            if old == row && children_same {
                count.unchanged += 1;
            } else {
                count.updated += 1;
                write.push(*record);
            }
        }
        if write.is_empty() {
            continue;
        }
        bulk_insert::<E>(&mut tx, table, columns(&write), OnConflict::Update).await?;
        let mut written_keys: Vec<String> = write
            .iter()
            .filter_map(|r| key(r).into_iter().next())
            .collect();
        written_keys.sort();
        written_keys.dedup();
        for child in children {
            let mut delete = Sql::new(&format!("DELETE FROM {} WHERE ", child.table.name));
            delete.bind_in(engine.dialect(), child.parent, written_keys.clone());
            E::tx_execute(&mut tx, &delete.text, delete.args).await?;
            bulk_insert::<E>(
                &mut tx,
                child.table,
                (child.columns)(&write),
                OnConflict::Fail,
            )
            .await?;
        }
    }
    E::commit(tx).await?;
    Ok(count)
}

/// What kind of constraint a failed write hit.
enum WriteFailure {
    ForeignKey,
    Unique,
    Other(StoreError),
}

fn classify(error: sqlx::Error) -> WriteFailure {
    match &error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::ForeignKeyViolation => WriteFailure::ForeignKey,
            ErrorKind::UniqueViolation => WriteFailure::Unique,
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                WriteFailure::Other(StoreError::Constraint {
                    message: db.message().to_owned(),
                })
            }
            _ => WriteFailure::Other(StoreError::Database(error)),
        },
        _ => WriteFailure::Other(StoreError::Database(error)),
    }
}

/// The values of `keys` present in `table.column` (read outside any transaction).
async fn present<E: Engine>(
    engine: &E,
    table: &str,
    column: &str,
    keys: impl IntoIterator<Item = String>,
) -> Result<HashSet<String>, StoreError> {
    let mut wanted: Vec<String> = keys.into_iter().collect();
    wanted.sort();
    wanted.dedup();
    let mut found = HashSet::new();
    for chunk in wanted.chunks(5_000) {
        let mut sql = Sql::new(&format!("SELECT {column} FROM {table} WHERE "));
        sql.bind_in(engine.dialect(), column, chunk.to_vec());
        for row in engine.fetch_all(&sql.text, sql.args).await? {
            found.insert(row.text(0)?);
        }
    }
    Ok(found)
}

/// A reference that may be missing: record key, field, value, directory table, its key column.
type Reference = (String, &'static str, String, &'static str, &'static str);

/// After a foreign-key failure: the first reference of the batch whose target
/// does not exist, as [`StoreError::MissingReference`]; `fallback` if none is found.
async fn missing_reference<E: Engine>(
    engine: &E,
    references: Vec<Reference>,
    fallback: &str,
) -> StoreError {
    let mut by_directory: HashMap<(&'static str, &'static str), Vec<String>> = HashMap::new();
    for (_, _, value, table, column) in &references {
        by_directory
            .entry((table, column))
            .or_default()
            .push(value.clone());
    }
    let mut present_by_directory = HashMap::new();
    for ((table, column), values) in by_directory {
        match present(engine, table, column, values).await {
            Ok(found) => {
                present_by_directory.insert(table, found);
            }
            Err(error) => return error,
        }
    }
    for (record, field, value, table, _) in references {
        if present_by_directory
            .get(table)
            .is_some_and(|found| !found.contains(&value))
        {
            return StoreError::MissingReference {
                record,
                field,
                value,
                directory: table,
            };
        }
    }
    StoreError::Constraint {
        message: format!("a foreign-key constraint failed: {fallback}"),
    }
}

fn check_page(page: &PageRequest) -> Result<i64, StoreError> {
    if page.limit == 0 || page.limit > MAX_PAGE {
        return Err(StoreError::BadPage(page.limit));
    }
    Ok(i64::from(page.limit))
}

/// Escapes `%`, `_` and `\` for `LIKE … ESCAPE '\'`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn corrupt(table: &'static str, key: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table,
        key: key.to_owned(),
        reason: reason.to_string(),
    }
}

/// Keeps the first `limit` items and sets the cursor when there were more.
fn into_page<T>(mut items: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more { items.last().map(cursor) } else { None };
    Page { items, next }
}

fn count_of<R: RowRead>(rows: &[R]) -> Result<u64, StoreError> {
    let count = rows.first().map(|row| row.int(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(count).unwrap_or(0))
}

// ---------------------------------------------------------------------------
// Column builders and row readers.

fn texts<T>(records: &[&T], f: impl Fn(&T) -> String) -> Column {
    Column::Text(records.iter().map(|r| f(r)).collect())
}

fn opt_texts<T>(records: &[&T], f: impl Fn(&T) -> Option<String>) -> Column {
    Column::OptText(records.iter().map(|r| f(r)).collect())
}

fn entity_columns(entities: &[&MarketEntity]) -> Vec<Column> {
    vec![
        texts(entities, |e| e.uscc.as_str().to_owned()),
        texts(entities, |e| e.name.clone()),
        texts(entities, |e| e.entity_type.class().as_str().to_owned()),
        texts(entities, |e| e.district.as_str().to_owned()),
        opt_texts(entities, |e| {
            e.industry.as_ref().map(|i| i.as_str().to_owned())
        }),
        opt_texts(entities, |e| {
            e.industry.as_ref().map(|i| i.division().code.to_owned())
        }),
        opt_texts(entities, |e| {
            e.industry.as_ref().map(|i| i.section().to_string())
        }),
        Column::Date(entities.iter().map(|e| e.registered_on).collect()),
        texts(entities, |e| e.status.as_str().to_owned()),
        opt_texts(entities, |e| e.address.clone()),
        opt_texts(entities, |e| e.legal_representative.clone()),
        opt_texts(entities, |e| e.credit.map(|c| c.class.as_str().to_owned())),
        Column::OptDate(
            entities
                .iter()
                .map(|e| e.credit.map(|c| c.set_on))
                .collect(),
        ),
        opt_texts(entities, |e| e.uscc_warning().map(|w| w.to_string())),
        // NULL when the text is the class name, as in rows stored before the column.
        opt_texts(entities, |e| {
            let registration = &e.entity_type;
            (registration.text() != registration.class().as_str())
                .then(|| registration.text().to_owned())
        }),
    ]
}

fn entity_label_columns(entities: &[&MarketEntity]) -> Vec<Column> {
    let (mut uscc, mut kind, mut label) = (Vec::new(), Vec::new(), Vec::new());
    for entity in entities {
        for (k, labels) in [("pool", &entity.special_pools), ("tag", &entity.tags)] {
            for l in labels {
                uscc.push(entity.uscc.as_str().to_owned());
                kind.push(k.to_owned());
                label.push(l.clone());
            }
        }
    }
    vec![Column::Text(uscc), Column::Text(kind), Column::Text(label)]
}

const ENTITY_SELECT: &str = "SELECT e.uscc, e.name, e.entity_type, e.district, e.industry, e.registered_on, e.status, \
     e.address, e.legal_representative, e.credit_class, e.credit_class_on, e.registration_type FROM entities e";

fn entity_fields<R: RowRead>(row: &R) -> Result<EntityFields, StoreError> {
    let key = row.text(0)?;
    let bad = |e: &dyn std::fmt::Display| corrupt("entities", &key, e);
    let (uscc, _) = Uscc::parse_lenient(&key).map_err(|e| bad(&e))?;
    let credit = match (row.opt_text(9)?, row.opt_date(10)?) {
        (Some(class), Some(set_on)) => Some(CreditRating {
            class: CreditClass::parse(&class).map_err(|e| bad(&e))?,
            set_on,
        }),
        (None, None) => None,
        _ => {
            return Err(bad(
                &"credit_class and credit_class_on must both be set or both be empty",
            ));
        }
    };
    Ok(EntityFields {
        uscc,
        name: row.text(1)?,
        entity_type: RegistrationType::stored(
            row.opt_text(11)?.as_deref(),
            EntityType::parse(&row.text(2)?).map_err(|e| bad(&e))?,
        )
        .map_err(|e| bad(&e))?,
        district: DistrictCode::parse(&row.text(3)?).map_err(|e| bad(&e))?,
        industry: row
            .opt_text(4)?
            .map(|code| IndustryCode::parse(&code))
            .transpose()
            .map_err(|e| bad(&e))?,
        registered_on: row.date(5)?,
        status: EntityStatus::parse(&row.text(6)?).map_err(|e| bad(&e))?,
        address: row.opt_text(7)?,
        legal_representative: row.opt_text(8)?,
        special_pools: Vec::new(),
        tags: Vec::new(),
        credit,
    })
}

/// Reads entity rows and attaches their labels.
/// The rows of `select` whose `key` column is among `keys`, by key (none for no keys).
async fn rows_with_keys<E: Engine>(
    engine: &E,
    select: &str,
    key: &str,
    keys: &[String],
) -> Result<Vec<E::Row>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(select);
    sql.push(" WHERE ");
    sql.bind_in(engine.dialect(), key, keys.to_vec());
    sql.push(&format!(" ORDER BY {key}"));
    Ok(engine.fetch_all(&sql.text, sql.args).await?)
}

async fn entities_from_rows<E: Engine>(
    engine: &E,
    rows: Vec<E::Row>,
) -> Result<Vec<MarketEntity>, StoreError> {
    let mut fields = rows
        .iter()
        .map(entity_fields)
        .collect::<Result<Vec<_>, _>>()?;
    if !fields.is_empty() {
        let mut sql = Sql::new("SELECT uscc, kind, label FROM entity_labels WHERE ");
        sql.bind_in(
            engine.dialect(),
            "uscc",
            fields.iter().map(|f| f.uscc.as_str().to_owned()).collect(),
        );
        sql.push(" ORDER BY uscc, kind, label");
        let mut labels: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for row in engine.fetch_all(&sql.text, sql.args).await? {
            labels
                .entry(row.text(0)?)
                .or_default()
                .push((row.text(1)?, row.text(2)?));
        }
        for f in &mut fields {
            for (kind, label) in labels.remove(f.uscc.as_str()).unwrap_or_default() {
                if kind == "pool" {
                    f.special_pools.push(label);
                } else {
                    f.tags.push(label);
                }
            }
        }
    }
    fields
        .into_iter()
        .map(|f| {
            let key = f.uscc.as_str().to_owned();
            MarketEntity::new(f).map_err(|e| corrupt("entities", &key, e))
        })
        .collect()
}

fn entity_where(dialect: Dialect, filter: &EntityFilter, sql: &mut Sql) {
    sql.push(" WHERE 1 = 1");
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        sql.push(" AND (e.name ").push(dialect.ilike()).push(" ");
        sql.bind(Arg::Text(format!("%{}%", escape_like(text))));
        sql.push(" ESCAPE '\\' OR e.uscc LIKE ");
        sql.bind(Arg::Text(format!(
            "{}%",
            escape_like(&text.to_ascii_uppercase())
        )));
        sql.push(" ESCAPE '\\')");
    }
    if let Some(district) = &filter.district {
        sql.push(" AND e.district = ")
            .bind(Arg::Text(district.as_str().to_owned()));
    }
    match &filter.industry {
        Some(IndustryFilter::Section(letter)) => {
            sql.push(" AND e.industry_section = ")
                .bind(Arg::Text(letter.to_ascii_uppercase().to_string()));
        }
        Some(IndustryFilter::Code(code)) => {
            sql.push(" AND e.industry LIKE ")
                .bind(Arg::Text(format!("{}%", code.as_str())));
        }
        None => {}
    }
    if let Some(entity_type) = filter.entity_type {
        sql.push(" AND e.entity_type = ")
            .bind(Arg::Text(entity_type.as_str().to_owned()));
    }
    if let Some(status) = filter.status {
        sql.push(" AND e.status = ")
            .bind(Arg::Text(status.as_str().to_owned()));
    }
    match filter.credit_class {
        Some(ClassFilter::Class(class)) => {
            sql.push(" AND e.credit_class = ")
                .bind(Arg::Text(class.as_str().to_owned()));
        }
        Some(ClassFilter::Unclassified) => {
            sql.push(" AND e.credit_class IS NULL");
        }
        None => {}
    }
    for (kind, label) in [("pool", &filter.special_pool), ("tag", &filter.tag)] {
        if let Some(label) = label {
            sql.push(
                " AND EXISTS (SELECT 1 FROM entity_labels l WHERE l.uscc = e.uscc AND l.kind = '",
            )
            .push(kind)
            .push("' AND l.label = ")
            .bind(Arg::Text(label.trim().to_owned()))
            .push(")");
        }
    }
    match filter.uscc_warning {
        Some(true) => {
            sql.push(" AND e.uscc_warning IS NOT NULL");
        }
        Some(false) => {
            sql.push(" AND e.uscc_warning IS NULL");
        }
        None => {}
    }
}

fn inspector_columns(inspectors: &[&Inspector]) -> Vec<Column> {
    vec![
        texts(inspectors, |i| i.cert_no.as_str().to_owned()),
        texts(inspectors, |i| i.name.clone()),
        opt_texts(inspectors, |i| i.id_card.map(|c| c.as_str().to_owned())),
        texts(inspectors, |i| i.department.as_str().to_owned()),
        Column::Date(inspectors.iter().map(|i| i.cert_valid_from).collect()),
        Column::Date(inspectors.iter().map(|i| i.cert_valid_until).collect()),
        opt_texts(inspectors, |i| {
            i.district.as_ref().map(|d| d.as_str().to_owned())
        }),
        texts(inspectors, |i| i.register.status.as_str().to_owned()),
        opt_texts(inspectors, |i| i.register.issuer.clone()),
        Column::OptDate(
            inspectors
                .iter()
                .map(|i| i.register.exam_passed_on)
                .collect(),
        ),
        texts(inspectors, |i| yes_no(i.register.in_pool).to_owned()),
    ]
}

/// `是` or `否`, as the register stores a yes/no.
fn yes_no(value: bool) -> &'static str {
    if value { "是" } else { "否" }
}

fn inspector_field_columns(inspectors: &[&Inspector]) -> Vec<Column> {
    let (mut cert, mut field) = (Vec::new(), Vec::new());
    for inspector in inspectors {
        for f in &inspector.fields {
            cert.push(inspector.cert_no.as_str().to_owned());
            field.push(f.clone());
        }
    }
    vec![Column::Text(cert), Column::Text(field)]
}

const INSPECTOR_SELECT: &str = "SELECT i.cert_no, i.name, i.id_card, i.department, i.cert_valid_from, i.cert_valid_until, i.district, i.cert_status, i.issuer, i.exam_passed_on, i.in_pool FROM inspectors i";

fn inspector_fields<R: RowRead>(row: &R) -> Result<InspectorFields, StoreError> {
    let key = row.text(0)?;
    let bad = |e: &dyn std::fmt::Display| corrupt("inspectors", &key, e);
    Ok(InspectorFields {
        cert_no: CertificateNo::parse(&key).map_err(|e| bad(&e))?,
        name: row.text(1)?,
        id_card: row
            .opt_text(2)?
            .map(|text| IdCardNo::parse(&text))
            .transpose()
            .map_err(|e| bad(&e))?,
        department: DepartmentCode::parse(&row.text(3)?).map_err(|e| bad(&e))?,
        cert_valid_from: row.date(4)?,
        cert_valid_until: row.date(5)?,
        fields: Vec::new(),
        district: row
            .opt_text(6)?
            .map(|d| DistrictCode::parse(&d))
            .transpose()
            .map_err(|e| bad(&e))?,
        register: OfficerRegister {
            status: CertificateStatus::parse(&row.text(7)?).map_err(|e| bad(&e))?,
            issuer: row.opt_text(8)?,
            exam_passed_on: row.opt_date(9)?,
            in_pool: row.text(10)? != "否",
        },
    })
}

async fn inspectors_from_rows<E: Engine>(
    engine: &E,
    rows: Vec<E::Row>,
) -> Result<Vec<Inspector>, StoreError> {
    let mut fields = rows
        .iter()
        .map(inspector_fields)
        .collect::<Result<Vec<_>, _>>()?;
    if !fields.is_empty() {
        let mut sql = Sql::new("SELECT cert_no, field FROM inspector_fields WHERE ");
        sql.bind_in(
            engine.dialect(),
            "cert_no",
            fields
                .iter()
                .map(|f| f.cert_no.as_str().to_owned())
                .collect(),
        );
        sql.push(" ORDER BY cert_no, field");
        let mut by_cert: HashMap<String, Vec<String>> = HashMap::new();
        for row in engine.fetch_all(&sql.text, sql.args).await? {
            by_cert.entry(row.text(0)?).or_default().push(row.text(1)?);
        }
        for f in &mut fields {
            f.fields = by_cert.remove(f.cert_no.as_str()).unwrap_or_default();
        }
    }
    fields
        .into_iter()
        .map(|f| {
            let key = f.cert_no.as_str().to_owned();
            Inspector::new(f).map_err(|e| corrupt("inspectors", &key, e))
        })
        .collect()
}

fn inspector_where(dialect: Dialect, filter: &InspectorFilter, sql: &mut Sql) {
    sql.push(" WHERE 1 = 1");
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        sql.push(" AND (i.name ").push(dialect.ilike()).push(" ");
        sql.bind(Arg::Text(format!("%{}%", escape_like(text))));
        sql.push(" ESCAPE '\\' OR i.cert_no LIKE ");
        sql.bind(Arg::Text(format!(
            "{}%",
            escape_like(&text.to_ascii_uppercase())
        )));
        sql.push(" ESCAPE '\\')");
    }
    if let Some(department) = &filter.department {
        sql.push(" AND i.department = ")
            .bind(Arg::Text(department.as_str().to_owned()));
    }
    if let Some(district) = &filter.district {
        sql.push(" AND i.district = ")
            .bind(Arg::Text(district.as_str().to_owned()));
    }
    if let Some(field) = &filter.field {
        sql.push(" AND EXISTS (SELECT 1 FROM inspector_fields f WHERE f.cert_no = i.cert_no AND f.field = ")
            .bind(Arg::Text(field.trim().to_owned()))
            .push(")");
    }
    if let Some(date) = filter.certified_on {
        sql.push(" AND i.cert_status = '有效' AND i.cert_valid_from <= ")
            .bind(Arg::Date(date));
        sql.push(" AND i.cert_valid_until >= ")
            .bind(Arg::Date(date));
    }
}

fn recusal_from_row<R: RowRead>(row: &R) -> Result<Recusal, StoreError> {
    let (inspector, entity, reason) = (row.text(0)?, row.text(1)?, row.text(2)?);
    let key = format!("{inspector}{KEY_SEPARATOR}{entity}");
    let bad = |e: &dyn std::fmt::Display| corrupt("recusals", &key, e);
    let cert = CertificateNo::parse(&inspector).map_err(|e| bad(&e))?;
    let (uscc, _) = Uscc::parse_lenient(&entity).map_err(|e| bad(&e))?;
    Recusal::new(cert, uscc, &reason).map_err(|e| bad(&e))
}

fn methods_text(methods: &[CheckMethod]) -> String {
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_methods(text: &str) -> Result<Vec<CheckMethod>, domain::InvalidField> {
    text.split(',').map(CheckMethod::parse).collect()
}

fn item_columns(items: &[&InspectionItem]) -> Vec<Column> {
    vec![
        texts(items, |i| i.code.as_str().to_owned()),
        texts(items, |i| i.category.clone()),
        texts(items, |i| i.name.clone()),
        texts(items, |i| i.legal_basis.clone()),
        texts(items, |i| i.department.as_str().to_owned()),
        texts(items, |i| i.target_type.clone()),
        texts(items, |i| methods_text(&i.methods)),
        Column::Int(
            items
                .iter()
                .map(|i| i64::from(i.ratio.basis_points()))
                .collect(),
        ),
        Column::Int(
            items
                .iter()
                .map(|i| i64::from(i.frequency.times()))
                .collect(),
        ),
        texts(items, |i| i.frequency.period().as_str().to_owned()),
    ]
}

const ITEM_SELECT: &str = "SELECT t.code, t.category, t.name, t.legal_basis, t.department, t.target_type, t.methods, \
     t.ratio_bp, t.frequency_times, t.frequency_period FROM inspection_items t";

/// Ratio and frequency from columns 7–9.
fn ratio_frequency<R: RowRead>(
    row: &R,
) -> Result<Result<(RatioBp, Frequency), String>, sqlx::Error> {
    let (ratio, times, period) = (row.int(7)?, row.int(8)?, row.text(9)?);
    let parsed = (|| {
        let ratio = RatioBp::new(u32::try_from(ratio).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        let times = u16::try_from(times).map_err(|e| e.to_string())?;
        let frequency = Frequency::new(times, Period::parse(&period).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok((ratio, frequency))
    })();
    Ok(parsed)
}

fn item_from_row<R: RowRead>(row: &R) -> Result<InspectionItem, StoreError> {
    let key = row.text(0)?;
    let bad = |e: &dyn std::fmt::Display| corrupt("inspection_items", &key, e);
    let (ratio, frequency) = ratio_frequency(row)?.map_err(|e| bad(&e))?;
    InspectionItem::new(ItemFields {
        code: ItemCode::parse(&key).map_err(|e| bad(&e))?,
        category: row.text(1)?,
        name: row.text(2)?,
        legal_basis: row.text(3)?,
        department: DepartmentCode::parse(&row.text(4)?).map_err(|e| bad(&e))?,
        target_type: row.text(5)?,
        methods: parse_methods(&row.text(6)?).map_err(|e| bad(&e))?,
        ratio,
        frequency,
    })
    .map_err(|e| bad(&e))
}

fn joint_columns(items: &[&JointItem]) -> Vec<Column> {
    vec![
        texts(items, |i| i.code.as_str().to_owned()),
        texts(items, |i| i.field.clone()),
        texts(items, |i| i.name.clone()),
        texts(items, |i| i.legal_basis.clone()),
        texts(items, |i| i.lead.as_str().to_owned()),
        texts(items, |i| i.target_type.clone()),
        texts(items, |i| methods_text(&i.methods)),
        Column::Int(
            items
                .iter()
                .map(|i| i64::from(i.ratio.basis_points()))
                .collect(),
        ),
        Column::Int(
            items
                .iter()
                .map(|i| i64::from(i.frequency.times()))
                .collect(),
        ),
        texts(items, |i| i.frequency.period().as_str().to_owned()),
    ]
}

fn joint_department_columns(items: &[&JointItem]) -> Vec<Column> {
    let (mut item, mut department) = (Vec::new(), Vec::new());
    for joint in items {
        for d in &joint.cooperating {
            item.push(joint.code.as_str().to_owned());
            department.push(d.as_str().to_owned());
        }
    }
    vec![Column::Text(item), Column::Text(department)]
}

const JOINT_SELECT: &str = "SELECT t.code, t.field, t.name, t.legal_basis, t.lead, t.target_type, t.methods, \
     t.ratio_bp, t.frequency_times, t.frequency_period FROM joint_items t";

async fn joint_items_from_rows<E: Engine>(
    engine: &E,
    rows: Vec<E::Row>,
) -> Result<Vec<JointItem>, StoreError> {
    let mut cooperating: HashMap<String, Vec<String>> = HashMap::new();
    if !rows.is_empty() {
        let codes = rows
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sql = Sql::new("SELECT item, department FROM joint_item_departments WHERE ");
        sql.bind_in(engine.dialect(), "item", codes);
        sql.push(" ORDER BY item, department");
        for row in engine.fetch_all(&sql.text, sql.args).await? {
            cooperating
                .entry(row.text(0)?)
                .or_default()
                .push(row.text(1)?);
        }
    }
    rows.iter()
        .map(|row| {
            let key = row.text(0)?;
            let bad = |e: &dyn std::fmt::Display| corrupt("joint_items", &key, e);
            let (ratio, frequency) = ratio_frequency(row)?.map_err(|e| bad(&e))?;
            let departments = cooperating
                .get(&key)
                .map(|codes| {
                    codes
                        .iter()
                        .map(|c| DepartmentCode::parse(c))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(|e| bad(&e))?
                .unwrap_or_default();
            JointItem::new(JointItemFields {
                code: ItemCode::parse(&key).map_err(|e| bad(&e))?,
                field: row.text(1)?,
                name: row.text(2)?,
                legal_basis: row.text(3)?,
                lead: DepartmentCode::parse(&row.text(4)?).map_err(|e| bad(&e))?,
                cooperating: departments,
                target_type: row.text(5)?,
                methods: parse_methods(&row.text(6)?).map_err(|e| bad(&e))?,
                ratio,
                frequency,
            })
            .map_err(|e| bad(&e))
        })
        .collect()
}

/// The department columns [`department_from_row`] reads, `FROM departments`.
pub(crate) const DEPARTMENT_SELECT: &str =
    "SELECT code, name, level, district, uscc, short_name, CAST(active AS BIGINT) FROM departments";

pub(crate) fn department_from_row<R: RowRead>(row: &R) -> Result<Department, StoreError> {
    let key = row.text(0)?;
    let bad = |e: &dyn std::fmt::Display| corrupt("departments", &key, e);
    let code = DepartmentCode::parse(&key).map_err(|e| bad(&e))?;
    let level = DepartmentLevel::parse(&row.text(2)?).map_err(|e| bad(&e))?;
    let district = row
        .opt_text(3)?
        .map(|d| DistrictCode::parse(&d))
        .transpose()
        .map_err(|e| bad(&e))?;
    let uscc = row
        .opt_text(4)?
        .map(|u| Uscc::parse(&u))
        .transpose()
        .map_err(|e| bad(&e))?;
    Department::new(DepartmentFields {
        code,
        name: row.text(1)?,
        level,
        district,
        uscc,
        short_name: row.opt_text(5)?,
        active: row.int(6)? != 0,
    })
    .map_err(|e| bad(&e))
}

/// The department's columns after the code, as arguments `$2…$6`.
fn department_args(department: &Department) -> Vec<Arg> {
    vec![
        Arg::Text(department.code().as_str().to_owned()),
        Arg::Text(department.name().to_owned()),
        Arg::Text(department.level().as_str().to_owned()),
        Arg::OptText(department.district().map(|d| d.as_str().to_owned())),
        Arg::OptText(department.uscc().map(|u| u.as_str().to_owned())),
        Arg::OptText(department.short_name().map(str::to_owned)),
    ]
}

/// The insert of a new department (active as given).
pub(crate) fn department_insert(department: &Department) -> (String, Vec<Arg>) {
    let mut args = department_args(department);
    args.push(Arg::Int(i64::from(department.is_active())));
    (
        "INSERT INTO departments (code, name, level, district, uscc, short_name, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
            .to_owned(),
        args,
    )
}

/// The update of a department's fields but its active flag.
pub(crate) fn department_update(department: &Department) -> (String, Vec<Arg>) {
    (
        "UPDATE departments SET name = $2, level = $3, district = $4, uscc = $5, short_name = $6 \
         WHERE code = $1"
            .to_owned(),
        department_args(department),
    )
}

fn district_from_row<R: RowRead>(row: &R) -> Result<District, StoreError> {
    let key = row.text(0)?;
    let bad = |e: &dyn std::fmt::Display| corrupt("districts", &key, e);
    District::new(
        DistrictCode::parse(&key).map_err(|e| bad(&e))?,
        &row.text(1)?,
    )
    .map_err(|e| bad(&e))
}

// ---------------------------------------------------------------------------
// The Store, for every engine.

/// Seeds GB/T 4754-2017 (always, idempotent). Districts come with the city
/// (`WorkflowStore::set_up_city`), not with the migrations.
async fn seed_reference_data<E: Engine>(
    engine: &E,
    report: &mut MigrationReport,
) -> Result<(), StoreError> {
    let mut tx = engine.begin().await?;
    let sections: Vec<_> = industry::sections().collect();
    let divisions: Vec<_> = industry::divisions().collect();
    let section_columns = vec![
        Column::Text(sections.iter().map(|s| s.code.to_string()).collect()),
        Column::Text(sections.iter().map(|s| s.name.to_owned()).collect()),
    ];
    let division_columns = vec![
        Column::Text(divisions.iter().map(|d| d.code.to_owned()).collect()),
        Column::Text(divisions.iter().map(|d| d.section.to_string()).collect()),
        Column::Text(divisions.iter().map(|d| d.name.to_owned()).collect()),
    ];
    bulk_insert::<E>(&mut tx, &SECTIONS, section_columns, OnConflict::Update).await?;
    bulk_insert::<E>(&mut tx, &DIVISIONS, division_columns, OnConflict::Update).await?;
    report.industries = (sections.len() + divisions.len()) as u64;
    E::commit(tx).await?;
    Ok(())
}

/// Inserts or replaces `districts` inside `tx`.
pub(super) async fn put_districts_in<E: Engine>(
    tx: &mut E::Tx,
    districts: &[District],
) -> Result<(), StoreError> {
    let refs: Vec<&District> = districts.iter().collect();
    bulk_insert::<E>(tx, &DISTRICTS, district_columns(&refs), OnConflict::Update).await?;
    Ok(())
}

fn district_columns(districts: &[&District]) -> Vec<Column> {
    vec![
        texts(districts, |d| d.code().as_str().to_owned()),
        texts(districts, |d| d.name().to_owned()),
    ]
}

impl<E: Engine> Store for E {
    fn backend(&self) -> Backend {
        match self.dialect() {
            Dialect::Sqlite => Backend::Sqlite,
            Dialect::Postgres => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        let mut report = self.run_migrations().await?;
        seed_reference_data(self, &mut report).await?;
        // Every start clears what killed imports left behind.
        report.stale_stage_rows =
            super::credit::CreditStore::remove_stale_credit_stages(self).await?;
        Ok(report)
    }

    async fn refresh_statistics(&self) -> Result<Vec<String>, StoreError> {
        if self.dialect() != Dialect::Postgres {
            return Ok(Vec::new());
        }
        let rows = self
            .fetch_all(
                "SELECT relname::text FROM pg_stat_user_tables \
                 WHERE schemaname = current_schema() \
                 AND n_mod_since_analyze > 1000 + n_live_tup / 10 ORDER BY relname",
                Vec::new(),
            )
            .await?;
        let tables = rows
            .iter()
            .map(|row| row.text(0))
            .collect::<Result<Vec<_>, _>>()?;
        if !tables.is_empty() {
            let quoted: Vec<String> = tables
                .iter()
                .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
                .collect();
            self.execute(&format!("ANALYZE {}", quoted.join(", ")), Vec::new())
                .await?;
        }
        Ok(tables)
    }

    async fn upsert_districts(&self, districts: &[District]) -> Result<UpsertCount, StoreError> {
        let batch = last_wins(districts, |d| vec![d.code().as_str().to_owned()]);
        upsert_batch(
            self,
            &batch,
            &DISTRICTS,
            |d| vec![d.code().as_str().to_owned()],
            district_columns,
            &[],
        )
        .await
        .map_err(|e| match classify(e) {
            WriteFailure::Other(error) => error,
            _ => StoreError::Constraint {
                message: "district codes and names must be valid".into(),
            },
        })
    }

    async fn districts(&self) -> Result<Vec<District>, StoreError> {
        let rows = self
            .fetch_all("SELECT code, name FROM districts ORDER BY code", Vec::new())
            .await?;
        rows.iter().map(district_from_row).collect()
    }

    async fn city(&self) -> Result<Option<CityRecord>, StoreError> {
        let rows = self
            .fetch_all("SELECT id, doc FROM city ORDER BY id", Vec::new())
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let key = row.text(0)?;
        serde_json::from_str(&row.text(1)?)
            .map(Some)
            .map_err(|e| corrupt("city", &key, &e))
    }

    async fn industry_sections(&self) -> Result<Vec<IndustryRow>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT code, code, name FROM industry_sections ORDER BY code",
                Vec::new(),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(IndustryRow {
                    code: r.text(0)?,
                    section: r.text(1)?,
                    name: r.text(2)?,
                })
            })
            .collect()
    }

    async fn industry_divisions(&self) -> Result<Vec<IndustryRow>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT code, section, name FROM industry_divisions ORDER BY code",
                Vec::new(),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(IndustryRow {
                    code: r.text(0)?,
                    section: r.text(1)?,
                    name: r.text(2)?,
                })
            })
            .collect()
    }

    async fn upsert_departments(
        &self,
        departments: &[Department],
    ) -> Result<UpsertCount, StoreError> {
        fn key(d: &Department) -> Vec<String> {
            vec![d.code().as_str().to_owned()]
        }
        fn columns(departments: &[&Department]) -> Vec<Column> {
            vec![
                texts(departments, |d| d.code().as_str().to_owned()),
                texts(departments, |d| d.name().to_owned()),
                texts(departments, |d| d.level().as_str().to_owned()),
                opt_texts(departments, |d| d.district().map(|x| x.as_str().to_owned())),
                opt_texts(departments, |d| d.uscc().map(|x| x.as_str().to_owned())),
                opt_texts(departments, |d| d.short_name().map(str::to_owned)),
            ]
        }
        let batch = last_wins(departments, key);
        match upsert_batch(self, &batch, &DEPARTMENTS, key, columns, &[]).await {
            Ok(count) => Ok(count),
            Err(error) => Err(match classify(error) {
                WriteFailure::Unique => {
                    // Names are unique: find one used twice in the batch or by another stored code.
                    let mut seen: HashMap<&str, &str> = HashMap::new();
                    let twice = batch
                        .iter()
                        .find(|d| seen.insert(d.name(), d.code().as_str()).is_some());
                    let taken = match twice {
                        Some(d) => Some(d.name().to_owned()),
                        None => {
                            let mut sql = Sql::new("SELECT code, name FROM departments WHERE ");
                            sql.bind_in(
                                self.dialect(),
                                "name",
                                batch.iter().map(|d| d.name().to_owned()).collect(),
                            );
                            let rows = self.fetch_all(&sql.text, sql.args).await?;
                            let mut stored = HashMap::new();
                            for row in &rows {
                                stored.insert(row.text(1)?, row.text(0)?);
                            }
                            batch
                                .iter()
                                .find(|d| {
                                    stored
                                        .get(d.name())
                                        .is_some_and(|code| code != d.code().as_str())
                                })
                                .map(|d| d.name().to_owned())
                        }
                    };
                    match taken {
                        Some(value) => StoreError::Duplicate {
                            what: "department name",
                            value,
                        },
                        None => StoreError::Constraint {
                            message: "a department name is already used".into(),
                        },
                    }
                }
                WriteFailure::ForeignKey => StoreError::Constraint {
                    message: "a foreign-key constraint failed".into(),
                },
                WriteFailure::Other(error) => error,
            }),
        }
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let rows = self
            .fetch_all(&format!("{DEPARTMENT_SELECT} ORDER BY code"), Vec::new())
            .await?;
        rows.iter().map(department_from_row).collect()
    }

    async fn department(&self, code: &DepartmentCode) -> Result<Option<Department>, StoreError> {
        let rows = self
            .fetch_all(
                &format!("{DEPARTMENT_SELECT} WHERE code = $1"),
                vec![Arg::Text(code.as_str().to_owned())],
            )
            .await?;
        rows.first().map(department_from_row).transpose()
    }

    async fn upsert_entities(&self, entities: &[MarketEntity]) -> Result<UpsertCount, StoreError> {
        fn key(e: &MarketEntity) -> Vec<String> {
            vec![e.uscc.as_str().to_owned()]
        }
        let batch = last_wins(entities, key);
        let children = [Children {
            table: &ENTITY_LABELS,
            parent: "uscc",
            columns: entity_label_columns,
        }];
        match upsert_batch(self, &batch, &ENTITIES, key, entity_columns, &children).await {
            Ok(count) => Ok(count),
            Err(error) => Err(match classify(error) {
                WriteFailure::ForeignKey => {
                    let mut references: Vec<Reference> = Vec::new();
                    for e in &batch {
                        let record = e.uscc.as_str().to_owned();
                        references.push((
                            record.clone(),
                            "district",
                            e.district.as_str().to_owned(),
                            "districts",
                            "code",
                        ));
                        if let Some(industry) = &e.industry {
                            let division = industry.division().code.to_owned();
                            references.push((
                                record,
                                "industry",
                                division,
                                "industry_divisions",
                                "code",
                            ));
                        }
                    }
                    missing_reference(self, references, "entities").await
                }
                WriteFailure::Unique => StoreError::Constraint {
                    message: "a unique constraint failed".into(),
                },
                WriteFailure::Other(error) => error,
            }),
        }
    }

    async fn entity(&self, uscc: &Uscc) -> Result<Option<MarketEntity>, StoreError> {
        let sql = format!("{ENTITY_SELECT} WHERE e.uscc = $1");
        let rows = self
            .fetch_all(&sql, vec![Arg::Text(uscc.as_str().to_owned())])
            .await?;
        Ok(entities_from_rows(self, rows).await?.pop())
    }

    async fn entities_in(&self, codes: &[String]) -> Result<Vec<MarketEntity>, StoreError> {
        let rows = rows_with_keys(self, ENTITY_SELECT, "e.uscc", codes).await?;
        entities_from_rows(self, rows).await
    }

    async fn search_entities(
        &self,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> Result<Page<MarketEntity>, StoreError> {
        let limit = check_page(page)?;
        let mut sql = Sql::new(ENTITY_SELECT);
        entity_where(self.dialect(), filter, &mut sql);
        if let Some(after) = &page.after {
            sql.push(" AND e.uscc > ").bind(Arg::Text(after.clone()));
        }
        sql.push(" ORDER BY e.uscc LIMIT ")
            .bind(Arg::Int(limit + 1));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        let entities = entities_from_rows(self, rows).await?;
        Ok(into_page(entities, limit, |e| e.uscc.as_str().to_owned()))
    }

    async fn count_entities(&self, filter: &EntityFilter) -> Result<u64, StoreError> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM entities e");
        entity_where(self.dialect(), filter, &mut sql);
        count_of(&self.fetch_all(&sql.text, sql.args).await?)
    }

    async fn upsert_inspectors(&self, inspectors: &[Inspector]) -> Result<UpsertCount, StoreError> {
        fn key(i: &Inspector) -> Vec<String> {
            vec![i.cert_no.as_str().to_owned()]
        }
        let batch = last_wins(inspectors, key);
        let children = [Children {
            table: &INSPECTOR_FIELDS,
            parent: "cert_no",
            columns: inspector_field_columns,
        }];
        match upsert_batch(self, &batch, &INSPECTORS, key, inspector_columns, &children).await {
            Ok(count) => Ok(count),
            Err(error) => Err(match classify(error) {
                WriteFailure::ForeignKey => {
                    let mut references: Vec<Reference> = Vec::new();
                    for i in &batch {
                        let record = i.cert_no.as_str().to_owned();
                        references.push((
                            record.clone(),
                            "department",
                            i.department.as_str().to_owned(),
                            "departments",
                            "code",
                        ));
                        if let Some(district) = &i.district {
                            references.push((
                                record,
                                "district",
                                district.as_str().to_owned(),
                                "districts",
                                "code",
                            ));
                        }
                    }
                    missing_reference(self, references, "inspectors").await
                }
                WriteFailure::Unique => StoreError::Constraint {
                    message: "a unique constraint failed".into(),
                },
                WriteFailure::Other(error) => error,
            }),
        }
    }

    async fn inspector(&self, cert_no: &CertificateNo) -> Result<Option<Inspector>, StoreError> {
        let sql = format!("{INSPECTOR_SELECT} WHERE i.cert_no = $1");
        let rows = self
            .fetch_all(&sql, vec![Arg::Text(cert_no.as_str().to_owned())])
            .await?;
        Ok(inspectors_from_rows(self, rows).await?.pop())
    }

    async fn inspectors_in(&self, certs: &[String]) -> Result<Vec<Inspector>, StoreError> {
        let rows = rows_with_keys(self, INSPECTOR_SELECT, "i.cert_no", certs).await?;
        inspectors_from_rows(self, rows).await
    }

    async fn search_inspectors(
        &self,
        filter: &InspectorFilter,
        page: &PageRequest,
    ) -> Result<Page<Inspector>, StoreError> {
        let limit = check_page(page)?;
        let mut sql = Sql::new(INSPECTOR_SELECT);
        inspector_where(self.dialect(), filter, &mut sql);
        if let Some(after) = &page.after {
            sql.push(" AND i.cert_no > ").bind(Arg::Text(after.clone()));
        }
        sql.push(" ORDER BY i.cert_no LIMIT ")
            .bind(Arg::Int(limit + 1));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        let inspectors = inspectors_from_rows(self, rows).await?;
        Ok(into_page(inspectors, limit, |i| {
            i.cert_no.as_str().to_owned()
        }))
    }

    async fn count_inspectors(&self, filter: &InspectorFilter) -> Result<u64, StoreError> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM inspectors i");
        inspector_where(self.dialect(), filter, &mut sql);
        count_of(&self.fetch_all(&sql.text, sql.args).await?)
    }

    async fn upsert_recusals(&self, recusals: &[Recusal]) -> Result<UpsertCount, StoreError> {
        fn key(r: &Recusal) -> Vec<String> {
            vec![
                r.inspector().as_str().to_owned(),
                r.entity().as_str().to_owned(),
            ]
        }
        fn columns(recusals: &[&Recusal]) -> Vec<Column> {
            vec![
                texts(recusals, |r| r.inspector().as_str().to_owned()),
                texts(recusals, |r| r.entity().as_str().to_owned()),
                texts(recusals, |r| r.reason().to_owned()),
            ]
        }
        let batch = last_wins(recusals, key);
        match upsert_batch(self, &batch, &RECUSALS, key, columns, &[]).await {
            Ok(count) => Ok(count),
            Err(error) => Err(match classify(error) {
                WriteFailure::ForeignKey => {
                    let mut references: Vec<Reference> = Vec::new();
                    for r in &batch {
                        let record = key(r).join("/");
                        references.push((
                            record.clone(),
                            "inspector",
                            r.inspector().as_str().to_owned(),
                            "inspectors",
                            "cert_no",
                        ));
                        references.push((
                            record,
                            "entity",
                            r.entity().as_str().to_owned(),
                            "entities",
                            "uscc",
                        ));
                    }
                    missing_reference(self, references, "recusals").await
                }
                WriteFailure::Unique => StoreError::Constraint {
                    message: "a unique constraint failed".into(),
                },
                WriteFailure::Other(error) => error,
            }),
        }
    }

    async fn recusals_of_entity(&self, uscc: &Uscc) -> Result<Vec<Recusal>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT inspector, entity, reason FROM recusals WHERE entity = $1 ORDER BY inspector",
                vec![Arg::Text(uscc.as_str().to_owned())],
            )
            .await?;
        rows.iter().map(recusal_from_row).collect()
    }

    async fn recusals_of_inspector(
        &self,
        cert_no: &CertificateNo,
    ) -> Result<Vec<Recusal>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT inspector, entity, reason FROM recusals WHERE inspector = $1 ORDER BY entity",
                vec![Arg::Text(cert_no.as_str().to_owned())],
            )
            .await?;
        rows.iter().map(recusal_from_row).collect()
    }

    async fn recusals(&self, page: &PageRequest) -> Result<Page<Recusal>, StoreError> {
        let limit = check_page(page)?;
        let mut sql = Sql::new("SELECT inspector, entity, reason FROM recusals");
        if let Some(after) = &page.after {
            let (inspector, entity) = after
                .split_once(KEY_SEPARATOR)
                .unwrap_or((after.as_str(), ""));
            sql.push(" WHERE (inspector > ")
                .bind(Arg::Text(inspector.to_owned()));
            sql.push(" OR (inspector = ")
                .bind(Arg::Text(inspector.to_owned()));
            sql.push(" AND entity > ")
                .bind(Arg::Text(entity.to_owned()))
                .push("))");
        }
        sql.push(" ORDER BY inspector, entity LIMIT ")
            .bind(Arg::Int(limit + 1));
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        let recusals = rows
            .iter()
            .map(recusal_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(recusals, limit, |r| {
            format!("{}{KEY_SEPARATOR}{}", r.inspector(), r.entity())
        }))
    }

    async fn count_recusals(&self) -> Result<u64, StoreError> {
        count_of(
            &self
                .fetch_all("SELECT COUNT(*) FROM recusals", Vec::new())
                .await?,
        )
    }

    async fn upsert_items(&self, items: &[InspectionItem]) -> Result<UpsertCount, StoreError> {
        fn key(i: &InspectionItem) -> Vec<String> {
            vec![i.code.as_str().to_owned()]
        }
        let batch = last_wins(items, key);
        match upsert_batch(self, &batch, &ITEMS, key, item_columns, &[]).await {
            Ok(count) => Ok(count),
            Err(error) => Err(match classify(error) {
                WriteFailure::ForeignKey => {
                    let references = batch
                        .iter()
                        .map(|i| {
                            (
                                i.code.as_str().to_owned(),
                                "department",
                                i.department.as_str().to_owned(),
                                "departments",
                                "code",
                            )
                        })
                        .collect();
                    missing_reference(self, references, "inspection_items").await
                }
                WriteFailure::Unique => StoreError::Constraint {
                    message: "a unique constraint failed".into(),
                },
                WriteFailure::Other(error) => error,
            }),
        }
    }

    async fn items(
        &self,
        department: Option<&DepartmentCode>,
    ) -> Result<Vec<InspectionItem>, StoreError> {
        let mut sql = Sql::new(ITEM_SELECT);
        if let Some(department) = department {
            sql.push(" WHERE t.department = ")
                .bind(Arg::Text(department.as_str().to_owned()));
        }
        sql.push(" ORDER BY t.code");
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        rows.iter().map(item_from_row).collect()
    }

    async fn item(&self, code: &ItemCode) -> Result<Option<InspectionItem>, StoreError> {
        let sql = format!("{ITEM_SELECT} WHERE t.code = $1");
        let rows = self
            .fetch_all(&sql, vec![Arg::Text(code.as_str().to_owned())])
            .await?;
        rows.first().map(item_from_row).transpose()
    }

    async fn upsert_joint_items(&self, items: &[JointItem]) -> Result<UpsertCount, StoreError> {
        fn key(i: &JointItem) -> Vec<String> {
            vec![i.code.as_str().to_owned()]
        }
        let batch = last_wins(items, key);
        let children = [Children {
            table: &JOINT_DEPARTMENTS,
            parent: "item",
            columns: joint_department_columns,
        }];
        match upsert_batch(self, &batch, &JOINT_ITEMS, key, joint_columns, &children).await {
            Ok(count) => Ok(count),
            Err(error) => Err(match classify(error) {
                WriteFailure::ForeignKey => {
                    let mut references: Vec<Reference> = Vec::new();
                    for item in &batch {
                        let record = item.code.as_str().to_owned();
                        for (field, department) in std::iter::once(("lead", &item.lead))
                            .chain(item.cooperating.iter().map(|d| ("cooperating", d)))
                        {
                            references.push((
                                record.clone(),
                                field,
                                department.as_str().to_owned(),
                                "departments",
                                "code",
                            ));
                        }
                    }
                    missing_reference(self, references, "joint_items").await
                }
                WriteFailure::Unique => StoreError::Constraint {
                    message: "a unique constraint failed".into(),
                },
                WriteFailure::Other(error) => error,
            }),
        }
    }

    async fn joint_items(
        &self,
        department: Option<&DepartmentCode>,
    ) -> Result<Vec<JointItem>, StoreError> {
        let mut sql = Sql::new(JOINT_SELECT);
        if let Some(department) = department {
            sql.push(" WHERE t.lead = ")
                .bind(Arg::Text(department.as_str().to_owned()));
            sql.push(" OR EXISTS (SELECT 1 FROM joint_item_departments d WHERE d.item = t.code AND d.department = ")
                .bind(Arg::Text(department.as_str().to_owned()))
                .push(")");
        }
        sql.push(" ORDER BY t.code");
        let rows = self.fetch_all(&sql.text, sql.args).await?;
        joint_items_from_rows(self, rows).await
    }

    async fn joint_item(&self, code: &ItemCode) -> Result<Option<JointItem>, StoreError> {
        let sql = format!("{JOINT_SELECT} WHERE t.code = $1");
        let rows = self
            .fetch_all(&sql, vec![Arg::Text(code.as_str().to_owned())])
            .await?;
        Ok(joint_items_from_rows(self, rows).await?.pop())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn last_occurrence_wins() {
        let records = [("a", 1), ("b", 2), ("a", 3)];
        let batch = last_wins(&records, |r| vec![r.0.to_owned()]);
        assert_eq!(batch, vec![&("a", 3), &("b", 2)]);
    }
}
