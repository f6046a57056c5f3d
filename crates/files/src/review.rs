//! Reading reviewer files (评查人员, issue 20), CSV or XLSX, held whole within
//! the limits of [`super::limits`]. Bad rows are reported by row and column;
//! an ID number never appears in a report (its cell is reported as withheld).

use std::collections::HashMap;
use std::path::Path;

use super::columns::Column;
use super::credit::{Cells, collect, keep_last};
use super::enforcement::MAX_TEXT;
use super::rows::split_list;
use super::{ImportError, Outcome, Problem};
use domain::idcard::IdCardNo;
use domain::review::Reviewer;

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a reviewer file.
pub const REVIEWER_COLUMNS: &[Column] = &[
    col("id", &["评查员编号"], true),
    col("name", &["姓名"], true),
    col("unit", &["所属单位"], true),
    col("fields", &["专业领域"], false),
    col(
        "id_card",
        &["身份证号", "身份证号码", "公民身份号码"],
        false,
    ),
];

/// One valid reviewer row, its unit as written (a code, a name or 外聘).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerLine {
    /// Row number.
    pub row: usize,
    /// The header of the unit column, for messages.
    pub unit_header: String,
    /// The reviewer, `unit` as written.
    pub reviewer: Reviewer,
}

/// A reviewer file read and validated.
#[derive(Debug, Default)]
pub struct ReviewerFile {
    /// Valid rows, one per 评查员编号 (a later row replaces an earlier one).
    pub rows: Vec<ReviewerLine>,
    /// Rows read, rejected rows' problems, warnings.
    pub outcome: Outcome,
}

/// Reads and validates a reviewer file.
pub fn read_reviewers(path: &Path) -> Result<ReviewerFile, ImportError> {
    let (mapping, collected) = collect(path, REVIEWER_COLUMNS)?;
    let mut file = ReviewerFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    let mut index_of: HashMap<String, (usize, usize)> = HashMap::new();
    for (row, cells) in &collected.rows {
        let row = *row;
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: REVIEWER_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let mut errors = Vec::new();
        let id = view.get("id").to_owned();
        if domain::plan::check_id("id", &id).is_err() {
            errors.push(view.problem(
                row,
                "id",
                "1 to 40 ASCII letters, digits, '-', '_' or '.'",
                "评查员编号应为1至40位字母、数字或 - _ .",
            ));
        }
        let mut text = |key: &str| {
            let value = view.get(key);
            if value.is_empty() {
                errors.push(view.problem(row, key, "required", "必填"));
            } else if value.chars().count() > MAX_TEXT {
                errors.push(view.problem(
                    row,
                    key,
                    format!("longer than {MAX_TEXT} characters"),
                    format!("超过 {MAX_TEXT} 字"),
                ));
            }
            value.to_owned()
        };
        let name = text("name");
        let unit = text("unit");
        let mut fields = split_list(view.get("fields"));
        fields.sort();
        fields.dedup();
        if fields.iter().any(|f| f.chars().count() > 64) {
            errors.push(view.problem(
                row,
                "fields",
                "a field longer than 64 characters",
                "专业领域过长",
            ));
        }
        let id_card = match view.get("id_card") {
            "" => None,
            value => match IdCardNo::parse(value) {
                Ok(number) => Some(number.as_str().to_owned()),
                Err(e) => {
                    errors.push(Problem {
                        value: "(withheld)".into(),
                        ..view.problem(row, "id_card", e.to_string(), e.reason_zh())
                    });
                    None
                }
            },
        };
        if !errors.is_empty() {
            file.outcome.errors.extend(errors);
            continue;
        }
        let line = ReviewerLine {
            row,
            unit_header: view.problem(row, "unit", "", "").column,
            reviewer: Reviewer {
                id: id.clone(),
                name,
                unit,
                fields,
                id_card,
            },
        };
        keep_last(
            &mut file.rows,
            &mut index_of,
            id,
            row,
            line,
            &mut file.outcome,
            |earlier| {
                view.problem(
                    row,
                    "id",
                    format!("duplicate of row {earlier}; row {row} replaces it"),
                    format!("与第 {earlier} 行评查员编号重复，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}
