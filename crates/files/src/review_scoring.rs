//! Reading review standards (评查标准) and score files (评分表) of case-file
//! reviews (issue 20), CSV or XLSX. Bad rows are reported by row and column;
//! what rows mean against the stored review is checked by the service.

use std::collections::BTreeMap;
use std::path::Path;

use super::columns::Column;
use super::credit::{Cells, collect};
use super::enforcement::MAX_TEXT;
use super::{ImportError, Outcome, Problem};
use domain::review_scoring::{
    Category, FULL_MARKS, Part, StandardItem, Tenths, format_tenths, parse_tenths,
};

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a standard file.
pub const STANDARD_COLUMNS: &[Column] = &[
    col("code", &["项目编码"], true),
    col("name", &["项目名称"], true),
    col("part", &["部分"], true),
    col("category", &["类别"], true),
    col("points", &["扣分"], false),
    col("cap", &["扣分上限"], false),
    col("part_total", &["部分总分"], false),
];

/// The columns of a score file.
pub const SCORE_COLUMNS: &[Column] = &[
    col("case", &["案件编号"], true),
    col("reviewer", &["评查员编号"], true),
    col("item", &["项目编码"], false),
    col("count", &["次数"], false),
    col("note", &["说明"], false),
];

/// A standard file read and validated.
#[derive(Debug, Default)]
pub struct StandardFile {
    /// The valid items, in file order.
    pub items: Vec<StandardItem>,
    /// 部分总分 of 卷面 and 内容 (the defaults when not given).
    pub totals: BTreeMap<Part, Tenths>,
    /// Rows read and rejected rows' problems.
    pub outcome: Outcome,
}

fn points(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> Option<Tenths> {
    match view.get(key) {
        "" => None,
        text => match parse_tenths(text) {
            Some(value) if value <= FULL_MARKS => Some(value),
            _ => {
                errors.push(view.problem(
                    row,
                    key,
                    "a number of points from 0 to 100 with at most one decimal",
                    "应为 0 至 100 的分值，至多一位小数",
                ));
                None
            }
        },
    }
}

fn required_text(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> String {
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
}

/// Reads and validates a standard: unique ASCII item codes, 部分 卷面 or
/// 内容, 类别 否决项 or 扣分项, 扣分 (required and above 0 for a 扣分项),
/// 扣分上限, and 部分总分 on the first row of a part only; the two parts'
/// totals must make 100.
pub fn read_standard(path: &Path) -> Result<StandardFile, ImportError> {
    let (mapping, collected) = collect(path, STANDARD_COLUMNS)?;
    let mut file = StandardFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut parts_seen: BTreeMap<Part, usize> = BTreeMap::new();
    let mut last_total_row = None;
    for (row, cells) in &collected.rows {
        let row = *row;
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: STANDARD_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let mut errors = Vec::new();
        let code = view.get("code").to_owned();
        if domain::plan::check_id("code", &code).is_err() {
            errors.push(view.problem(
                row,
                "code",
                "1 to 40 ASCII letters, digits, '-', '_' or '.'",
                "项目编码应为1至40位字母、数字或 - _ .",
            ));
        } else if let Some(earlier) = seen.get(&code) {
            errors.push(view.problem(
                row,
                "code",
                format!("duplicate of row {earlier}"),
                format!("与第 {earlier} 行项目编码重复"),
            ));
        } else {
            seen.insert(code.clone(), row);
        }
        let name = required_text(&view, row, "name", &mut errors);
        let part = Part::parse(view.get("part"));
        if part.is_none() {
            errors.push(view.problem(row, "part", "卷面 or 内容", "部分应为 卷面 或 内容"));
        }
        let category = Category::parse(view.get("category"));
        if category.is_none() {
            errors.push(view.problem(
                row,
                "category",
                "否决项 or 扣分项",
                "类别应为 否决项 或 扣分项",
            ));
        }
        let deduction = points(&view, row, "points", &mut errors);
        let cap = points(&view, row, "cap", &mut errors);
        let total = points(&view, row, "part_total", &mut errors);
        if category == Some(Category::Deduction) && deduction.is_none_or(|p| p == 0) {
            errors.push(view.problem(
                row,
                "points",
                "a 扣分项 deducts more than 0 points per occurrence",
                "扣分项须填写大于 0 的扣分",
            ));
        }
        if let Some(part) = part {
            let first = *parts_seen.entry(part).or_insert(row);
            if let Some(total) = total {
                if first != row {
                    errors.push(view.problem(
                        row,
                        "part_total",
                        format!(
                            "部分总分 belongs on the first row of {} (row {first})",
                            part.as_str()
                        ),
                        format!("部分总分只填在“{}”的第一行（第 {first} 行）", part.as_str()),
                    ));
                } else {
                    file.totals.insert(part, total);
                    last_total_row = Some((row, view.get("part_total").to_owned()));
                }
            }
        }
        let (Some(part), Some(category), true) = (part, category, errors.is_empty()) else {
            file.outcome.errors.extend(errors);
            continue;
        };
        file.items.push(StandardItem {
            code,
            name,
            part,
            category,
            points: if category == Category::Veto {
                0
            } else {
                deduction.unwrap_or(0)
            },
            cap,
        });
    }
    for part in Part::ALL {
        file.totals.entry(part).or_insert(part.default_total());
    }
    let sum: Tenths = file.totals.values().sum();
    if sum != FULL_MARKS {
        let (row, value) = last_total_row.unwrap_or((1, String::new()));
        file.outcome.errors.push(Problem {
            row,
            column: "部分总分".into(),
            value,
            reason: format!("the parts' totals make {}, not 100", format_tenths(sum)),
            reason_zh: format!(
                "卷面与内容的部分总分合计为 {}，应为 100",
                format_tenths(sum)
            ),
        });
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

/// One valid row of a score file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreLine {
    /// Row number.
    pub row: usize,
    /// 案件编号, trimmed.
    pub case: String,
    /// 评查员编号.
    pub reviewer: String,
    /// 项目编码; empty on a row saying nothing was found.
    pub item: String,
    /// 次数 (0 on a row saying nothing was found).
    pub count: u32,
    /// 说明.
    pub note: String,
    /// The headers of 评查员编号 and 项目编码 as written, for later problems.
    pub headers: (String, String),
}

/// A score file read and validated.
#[derive(Debug, Default)]
pub struct ScoreFile {
    /// Valid rows, in file order.
    pub rows: Vec<ScoreLine>,
    /// Rows read and rejected rows' problems.
    pub outcome: Outcome,
}

/// Reads and validates a score file: 案件编号 and 评查员编号 required, 次数
/// a whole number ≥ 0 (required with a 项目编码), no 次数 above 0 without a
/// 项目编码.
pub fn read_scores(path: &Path) -> Result<ScoreFile, ImportError> {
    let (mapping, collected) = collect(path, SCORE_COLUMNS)?;
    let mut file = ScoreFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    for (row, cells) in &collected.rows {
        let row = *row;
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: SCORE_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let mut errors = Vec::new();
        let case = required_text(&view, row, "case", &mut errors);
        let reviewer = required_text(&view, row, "reviewer", &mut errors);
        let item = view.get("item").to_owned();
        let count = match view.get("count") {
            "" if item.is_empty() => Some(0),
            "" => {
                errors.push(view.problem(
                    row,
                    "count",
                    "required with a 项目编码",
                    "填写项目编码时须填写次数",
                ));
                None
            }
            text if text.starts_with('-') => {
                errors.push(view.problem(row, "count", "negative", "次数不能为负数"));
                None
            }
            text => match text.parse::<u32>() {
                Ok(n) if n <= 10_000 => Some(n),
                _ => {
                    errors.push(view.problem(
                        row,
                        "count",
                        "a whole number from 0 to 10000",
                        "次数应为 0 至 10000 的整数",
                    ));
                    None
                }
            },
        };
        if item.is_empty() && count.is_some_and(|n| n > 0) {
            errors.push(view.problem(
                row,
                "item",
                "a 次数 above 0 names its 项目编码",
                "次数大于 0 时须填写项目编码",
            ));
        }
        let note = view.get("note");
        if note.chars().count() > MAX_TEXT {
            errors.push(view.problem(
                row,
                "note",
                format!("longer than {MAX_TEXT} characters"),
                format!("超过 {MAX_TEXT} 字"),
            ));
        }
        match count {
            Some(count) if errors.is_empty() => file.rows.push(ScoreLine {
                row,
                case,
                reviewer,
                item,
                count,
                note: note.to_owned(),
                headers: (
                    view.problem(row, "reviewer", "", "").column,
                    view.problem(row, "item", "", "").column,
                ),
            }),
            _ => file.outcome.errors.extend(errors),
        }
    }
    Ok(file)
}
