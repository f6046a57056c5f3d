//! Files of the e-licence library: the licence types file (small, read
//! whole within the held-row limits) and licence files (streamed: rows are
//! validated and handed over in batches, so memory stays flat).

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::path::Path;

use super::columns::{Column, Mapping, map_headers};
use super::credit::{Cells, collect, keep_last, scan_any};
use super::table::RowSink;
use super::{ImportError, Outcome, Problem};
use domain::credit::Subject;
use domain::licence::{Licence, LicenceStatus, LicenceType};

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a licence types file.
pub const TYPE_COLUMNS: &[Column] = &[
    col("code", &["证照类型代码", "类型代码"], true),
    col("name", &["证照名称", "证照类型名称"], true),
    col("issuer", &["颁发部门", "发证部门", "颁发机构"], true),
    col("years", &["有效期（年）", "有效期(年)", "有效期"], false),
    col("fields", &["照面字段", "照面信息项"], false),
];

/// The columns of a licence file.
pub const LICENCE_COLUMNS: &[Column] = &[
    col("no", &["证照编号"], true),
    col("type_code", &["证照类型代码", "类型代码"], true),
    col(
        "holder_name",
        &["持证主体名称", "持证者名称", "持证人"],
        true,
    ),
    col(
        "holder",
        &[
            "持证主体证件号码",
            "统一社会信用代码或身份证号码",
            "持证主体代码",
            "证件号码",
        ],
        true,
    ),
    col("issuer", &["颁发部门", "发证部门", "颁发机构"], false),
    col("issued_on", &["颁证日期", "发证日期"], true),
    col(
        "valid_from",
        &["有效期起始", "有效期起", "有效期开始"],
        false,
    ),
    col(
        "valid_until",
        &["有效期截止", "有效期止", "有效期至"],
        false,
    ),
    col("status", &["状态", "证照状态"], false),
    col("fields", &["照面信息", "照面字段"], false),
];

/// Licences per batch handed to the writer.
pub const LICENCE_BATCH: usize = 20_000;

/// A licence types file read and validated.
#[derive(Debug, Default)]
pub struct TypesFile {
    /// Valid types, one per code (the later row wins).
    pub types: Vec<LicenceType>,
    /// Rows read, rejected rows' problems, duplicate warnings.
    pub outcome: Outcome,
}

/// Reads a licence types file (CSV, XLSX or JSON Lines).
pub fn read_types(path: &Path) -> Result<TypesFile, ImportError> {
    let (mapping, collected) = collect(path, TYPE_COLUMNS)?;
    let mut file = TypesFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    let mut index_of = HashMap::new();
    for (row, cells) in &collected.rows {
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: TYPE_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let years = match view.get("years") {
            "" | "长期" => Ok(None),
            text => text
                .trim_end_matches('年')
                .parse::<u32>()
                .map(Some)
                .map_err(|_| {
                    view.problem(
                        *row,
                        "years",
                        "the validity is a whole number of years, or empty for 长期",
                        "有效期应为整数年数，长期有效则留空",
                    )
                }),
        };
        let years = match years {
            Ok(years) => years,
            Err(problem) => {
                file.outcome.errors.push(problem);
                continue;
            }
        };
        let kind = LicenceType {
            code: view.get("code").to_owned(),
            name: view.get("name").to_owned(),
            issuer: view.get("issuer").to_owned(),
            years,
            fields: LicenceType::parse_fields(view.get("fields")),
        };
        if let Err(e) = kind.validate() {
            file.outcome.errors.push(view.problem(
                *row,
                e.field,
                e.to_string(),
                format!("{}（{}）", zh_of(TYPE_COLUMNS, e.field), e.reason),
            ));
            continue;
        }
        let code = kind.code.clone();
        keep_last(
            &mut file.types,
            &mut index_of,
            code,
            *row,
            kind,
            &mut file.outcome,
            |earlier| {
                view.problem(
                    *row,
                    "code",
                    format!("duplicate of row {earlier}; row {row} replaces it"),
                    format!("与第 {earlier} 行证照类型代码重复，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

fn zh_of(columns: &[Column], key: &str) -> &'static str {
    columns
        .iter()
        .find(|c| c.key == key)
        .map_or("该行", |c| c.zh[0])
}

/// Parses 照面信息: `名称=值` pairs separated by `；` or `;` (or a JSON object),
/// each name one of the type's 照面字段.
fn parse_face_fields(
    text: &str,
    kind: &LicenceType,
) -> Result<BTreeMap<String, String>, (String, String)> {
    let mut fields = BTreeMap::new();
    if text.is_empty() {
        return Ok(fields);
    }
    if text.starts_with('{') {
        let map: BTreeMap<String, String> = serde_json::from_str(text).map_err(|e| {
            (
                format!("not a JSON object of strings: {e}"),
                "照面信息应为“名称=值”以“；”分隔，或 JSON 对象".to_owned(),
            )
        })?;
        fields = map;
    } else {
        for pair in text
            .split([';', '；'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once(['=', '＝']).ok_or_else(|| {
                (
                    format!("{pair:?} is not NAME=VALUE"),
                    format!("“{pair}”不是“名称=值”"),
                )
            })?;
            fields.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    if let Some(unknown) = fields.keys().find(|k| !kind.fields.contains(k)) {
        return Err((
            format!("{unknown:?} is not a face field of type {}", kind.code),
            format!("“{unknown}”不是证照类型 {} 的照面字段", kind.code),
        ));
    }
    Ok(fields)
}

/// Validates one licence row against the types.
fn parse_licence(
    view: &Cells<'_>,
    row: usize,
    types: &HashMap<String, LicenceType>,
) -> Result<Licence, Vec<Problem>> {
    let mut errors = Vec::new();
    let kind = types.get(view.get("type_code"));
    if kind.is_none() {
        errors.push(view.problem(
            row,
            "type_code",
            "no licence type has this code (import the types first)",
            "证照类型代码不存在（请先导入证照类型）",
        ));
    }
    let holder = match Subject::parse_valid(view.get("holder")) {
        Ok(holder) => Some(holder),
        Err(e) => {
            // The value is an ID number or close to one: never echoed.
            let mut problem = view.problem(row, "holder", e.to_string(), e.reason_zh());
            problem.value = String::new();
            problem.reason = "not a valid 统一社会信用代码 or 居民身份证号码 (check digits)".into();
            errors.push(problem);
            None
        }
    };
    let issued_on = view.date(row, "issued_on", &mut errors);
    if view.get("issued_on").is_empty() {
        errors.push(view.problem(
            row,
            "issued_on",
            "the issue date is required",
            "颁证日期不能为空",
        ));
    }
    let valid_from = view.date(row, "valid_from", &mut errors);
    let valid_until = view.date(row, "valid_until", &mut errors);
    let status = match view.get("status") {
        "" => Some(LicenceStatus::Valid),
        text => LicenceStatus::parse(text)
            .map_err(|e| {
                errors.push(view.problem(
                    row,
                    "status",
                    e.to_string(),
                    "状态应为 有效、注销 或 过期",
                ))
            })
            .ok(),
    };
    let fields = kind.and_then(|kind| {
        parse_face_fields(view.get("fields"), kind)
            .map_err(|(en, zh)| errors.push(view.problem(row, "fields", en, zh)))
            .ok()
    });
    let (Some(kind), Some(holder), Some(issued_on), Some(status), Some(fields), true) =
        (kind, holder, issued_on, status, fields, errors.is_empty())
    else {
        return Err(errors);
    };
    let valid_from = valid_from.unwrap_or(issued_on);
    let licence = Licence {
        no: view.get("no").to_owned(),
        type_code: kind.code.clone(),
        type_name: kind.name.clone(),
        holder,
        holder_name: view.get("holder_name").to_owned(),
        issuer: match view.get("issuer") {
            "" => kind.issuer.clone(),
            text => text.to_owned(),
        },
        issued_on,
        valid_from,
        valid_until: valid_until.or_else(|| kind.valid_until(valid_from)),
        status,
        fields,
    };
    licence.validate().map_err(|e| {
        let key = if e.field == "holder_name" || e.field == "no" || e.field == "issuer" {
            e.field
        } else if e.field == "valid_until" {
            "valid_until"
        } else {
            "fields"
        };
        vec![view.problem(
            row,
            key,
            e.to_string(),
            format!("{}（{}）", zh_of(LICENCE_COLUMNS, key), e.reason),
        )]
    })?;
    Ok(licence)
}

fn key_hash(no: &str) -> u64 {
    use std::hash::{BuildHasher as _, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(no)
}

/// Streams a licence file's valid rows in batches.
struct LicenceReader<'a, F> {
    name: String,
    types: &'a HashMap<String, LicenceType>,
    mapping: Option<Mapping>,
    header_error: Option<ImportError>,
    /// 证照编号's hash → the row it was last seen on (memory stays small).
    seen: HashMap<u64, usize>,
    batch: Vec<Licence>,
    found: Outcome,
    deliver: F,
}

impl<F: FnMut(Vec<Licence>, u64, u64) -> ControlFlow<()>> LicenceReader<'_, F> {
    fn send(&mut self, done: u64, total: u64) -> ControlFlow<()> {
        if self.batch.is_empty() {
            return ControlFlow::Continue(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(LICENCE_BATCH));
        (self.deliver)(batch, done, total)
    }
}

impl<F: FnMut(Vec<Licence>, u64, u64) -> ControlFlow<()>> RowSink for LicenceReader<'_, F> {
    fn header(&mut self, _row: usize, cells: Vec<String>) -> ControlFlow<()> {
        match map_headers(LICENCE_COLUMNS, &cells) {
            Ok(mapping) => {
                self.mapping = Some(mapping);
                ControlFlow::Continue(())
            }
            Err(error) => {
                self.header_error = Some(ImportError::Header {
                    path: self.name.clone(),
                    error,
                });
                ControlFlow::Break(())
            }
        }
    }

    fn row(&mut self, row: usize, cells: Vec<String>) -> ControlFlow<()> {
        let Some(mapping) = &self.mapping else {
            return ControlFlow::Break(());
        };
        self.found.total_rows += 1;
        let view = Cells {
            columns: LICENCE_COLUMNS,
            mapping,
            cells: &cells,
        };
        match parse_licence(&view, row, self.types) {
            Ok(licence) => {
                if let Some(earlier) = self.seen.insert(key_hash(&licence.no), row) {
                    self.found.superseded += 1;
                    self.found.warnings.push(view.problem(
                        row,
                        "no",
                        format!("duplicate of row {earlier}; row {row} replaces it"),
                        format!("与第 {earlier} 行证照编号重复，以第 {row} 行为准"),
                    ));
                    // The earlier row may be in this batch still: the later wins.
                    self.batch.retain(|l| l.no != licence.no);
                }
                self.batch.push(licence);
                if self.batch.len() >= LICENCE_BATCH {
                    return self.send(0, 0);
                }
            }
            Err(problems) => self.found.errors.extend(problems),
        }
        ControlFlow::Continue(())
    }

    fn empty(&mut self, count: usize) {
        self.found.empty_rows += count;
    }

    fn unreadable(&mut self, row: usize, reason: crate::table::Unreadable) {
        self.found.total_rows += 1;
        self.found.errors.push(Problem {
            row,
            column: String::new(),
            value: String::new(),
            reason_zh: format!("该行无法读取（{}）", reason.chinese()),
            reason: reason.english(),
        });
    }
}

/// Reads a licence file (CSV, XLSX or JSON Lines), validating each row
/// against `types`, and hands the valid licences to `deliver` in batches of
/// [`LICENCE_BATCH`] (a `Break` stops the read). A 证照编号 repeated in the file:
/// the later row wins, with a warning (an earlier batch already delivered is
/// overwritten by the later one, as the write is an upsert).
pub fn read_licences(
    path: &Path,
    types: &HashMap<String, LicenceType>,
    deliver: impl FnMut(Vec<Licence>, u64, u64) -> ControlFlow<()>,
) -> Result<Outcome, ImportError> {
    let mut reader = LicenceReader {
        name: path.display().to_string(),
        types,
        mapping: None,
        header_error: None,
        seen: HashMap::new(),
        batch: Vec::with_capacity(LICENCE_BATCH),
        found: Outcome::default(),
        deliver,
    };
    scan_any(path, &mut reader)?;
    if let Some(error) = reader.header_error.take() {
        return Err(error);
    }
    if reader.mapping.is_none() {
        return Err(ImportError::Read(super::ReadError::Empty {
            path: path.display().to_string(),
        }));
    }
    let _ = reader.send(0, 0);
    let mut outcome = reader.found;
    outcome.errors.sort_by_key(|p| p.row);
    outcome.warnings.sort_by_key(|p| p.row);
    Ok(outcome)
}
