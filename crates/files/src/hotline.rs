//! Reading a work-order file (CSV or XLSX) exported from the 12345 platform:
//! one order per row, empty cells meaning "not yet". Bad rows are reported by
//! row and column, in English and Chinese; the good rows are kept.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use super::columns::Column;
use super::credit::{Cells, collect, keep_last};
use super::{ImportError, Outcome, Problem};
use domain::Uscc;
use domain::hotline::{Difficulty, HotlineRules, Rating, parse_time};

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a work-order file.
pub const ORDER_COLUMNS: &[Column] = &[
    col("id", &["工单编号", "工单号"], true),
    col("channel", &["来源渠道", "渠道"], true),
    col("received_at", &["受理时间"], true),
    col("category", &["问题类型", "问题分类"], true),
    col("difficulty", &["难度", "难易程度"], true),
    col("department", &["承办部门", "承办单位"], true),
    col("signed_at", &["签收时间"], true),
    col("closed_at", &["办结时间"], true),
    col("extension_days", &["延期工作日", "延期天数"], true),
    col("rating", &["回访结果", "满意度"], true),
    col(
        "entity",
        &["涉及主体统一社会信用代码", "统一社会信用代码"],
        true,
    ),
];

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    /// Row number.
    pub row: usize,
    /// 工单编号.
    pub id: String,
    /// Channel number.
    pub channel: String,
    /// 受理时间.
    pub received_at: DateTime<FixedOffset>,
    /// 问题类型.
    pub category: String,
    /// 难度.
    pub difficulty: Difficulty,
    /// 承办部门 as written (code or name); empty: not dispatched.
    pub department: String,
    /// The header of the department column, for messages.
    pub department_header: String,
    /// 签收时间.
    pub signed_at: Option<DateTime<FixedOffset>>,
    /// 办结时间.
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// 延期工作日 approved.
    pub extension_days: u32,
    /// 回访结果.
    pub rating: Option<Rating>,
    /// 统一社会信用代码.
    pub entity: Option<String>,
}

impl OrderRow {
    /// SHA-256 of what the row says (not where it stands in the file).
    pub fn digest(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let text = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{:?}\u{1f}{:?}",
            self.id,
            self.channel,
            self.received_at.to_rfc3339(),
            self.category,
            self.difficulty,
            self.department,
            self.signed_at.map(|t| t.to_rfc3339()),
            self.closed_at.map(|t| t.to_rfc3339()),
            self.extension_days,
            self.rating,
            self.entity,
        );
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A work-order file read and validated.
#[derive(Debug, Default)]
pub struct OrdersFile {
    /// Valid rows, one per order number (a later row replaces an earlier one).
    pub rows: Vec<OrderRow>,
    /// Rows read, rejected rows' problems, warnings.
    pub outcome: Outcome,
}

/// Reads and validates a work-order file against `rules` (the channels);
/// `strict_uscc` refuses pilot-pattern 统一社会信用代码 too.
pub fn read_orders(
    path: &Path,
    rules: &HotlineRules,
    strict_uscc: bool,
) -> Result<OrdersFile, ImportError> {
    let (mapping, collected) = collect(path, ORDER_COLUMNS)?;
    let mut file = OrdersFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    let mut index_of: HashMap<String, (usize, usize)> = HashMap::new();
    for (row, cells) in &collected.rows {
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: ORDER_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let order = match parse_row(&view, *row, rules, strict_uscc, &mut file.outcome.warnings) {
            Ok(order) => order,
            Err(errors) => {
                file.outcome.errors.extend(errors);
                continue;
            }
        };
        let id = order.id.clone();
        keep_last(
            &mut file.rows,
            &mut index_of,
            id,
            *row,
            order,
            &mut file.outcome,
            |earlier| {
                view.problem(
                    *row,
                    "id",
                    format!("duplicate of row {earlier}; row {row} replaces it"),
                    format!("与第 {earlier} 行工单编号重复，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

fn parse_row(
    view: &Cells<'_>,
    row: usize,
    rules: &HotlineRules,
    strict_uscc: bool,
    warnings: &mut Vec<Problem>,
) -> Result<OrderRow, Vec<Problem>> {
    let mut errors = Vec::new();
    let id = view.get("id").to_owned();
    if let Err(e) = domain::plan::check_id("id", &id) {
        errors.push(view.problem(
            row,
            "id",
            e.to_string(),
            "工单编号应为1至40位字母、数字或 - _ .",
        ));
    }
    let channel = match rules.channel(view.get("channel")) {
        Ok(channel) => channel.number.clone(),
        Err(e) => {
            errors.push(view.problem(
                row,
                "channel",
                e.reason.to_string(),
                "来源渠道不是已配置的热线（12345 或并入的热线号码）",
            ));
            String::new()
        }
    };
    let time = |key: &'static str, required: bool, errors: &mut Vec<Problem>| {
        let text = view.get(key);
        if text.is_empty() {
            if required {
                errors.push(view.problem(row, key, "required", "必填"));
            }
            return None;
        }
        match parse_time(key, text) {
            Ok(at) => Some(at),
            Err(e) => {
                errors.push(view.problem(
                    row,
                    key,
                    e.reason.to_string(),
                    "时间格式应如 2026-03-02 09:15",
                ));
                None
            }
        }
    };
    let received_at = time("received_at", true, &mut errors);
    let signed_at = time("signed_at", false, &mut errors);
    let closed_at = time("closed_at", false, &mut errors);
    let category = view.get("category").to_owned();
    if category.is_empty() {
        errors.push(view.problem(row, "category", "required", "必填"));
    }
    let difficulty = match view.get("difficulty") {
        "" => Some(Difficulty::Ordinary),
        text => Difficulty::parse(text)
            .map_err(|e| {
                errors.push(view.problem(
                    row,
                    "difficulty",
                    e.reason.to_string(),
                    "难度应为 一般 或 疑难",
                ))
            })
            .ok(),
    };
    let extension_days = match view.get("extension_days") {
        "" => 0,
        text => match text
            .trim_end_matches("个工作日")
            .trim_end_matches(['天', '日'])
            .trim()
            .parse::<u32>()
        {
            Ok(days) if days <= 365 => days,
            _ => {
                errors.push(view.problem(
                    row,
                    "extension_days",
                    "a whole number of working days (0 to 365)",
                    "延期工作日应为 0 至 365 的整数",
                ));
                0
            }
        },
    };
    let rating = match view.get("rating") {
        "" | "未回访" | "无" | "-" | "—" => None,
        text => Rating::parse(text)
            .map_err(|e| {
                errors.push(view.problem(
                    row,
                    "rating",
                    e.reason.to_string(),
                    "回访结果应为 满意、基本满意 或 不满意",
                ))
            })
            .ok(),
    };
    let entity = match view.get("entity") {
        "" => None,
        text => match Uscc::parse_for_import(text, strict_uscc) {
            Ok((code, warning)) => {
                if let Some(warning) = warning {
                    warnings.push(view.problem(
                        row,
                        "entity",
                        warning.to_string(),
                        super::rows::PILOT_WARNING_ZH,
                    ));
                }
                Some(code.as_str().to_owned())
            }
            Err(e) => {
                errors.push(view.problem(row, "entity", e.to_string(), e.reason_zh()));
                None
            }
        },
    };
    let department = view.get("department").to_owned();
    if let Some(received) = received_at {
        if signed_at.is_some_and(|s| s < received) {
            errors.push(view.problem(
                row,
                "signed_at",
                "before the order was received",
                "签收时间早于受理时间",
            ));
        }
        if closed_at.is_some_and(|c| c < received) {
            errors.push(view.problem(
                row,
                "closed_at",
                "before the order was received",
                "办结时间早于受理时间",
            ));
        }
    }
    if signed_at.is_some() && department.is_empty() {
        errors.push(view.problem(
            row,
            "department",
            "a signed order names the department that signed it",
            "已签收的工单须填写承办部门",
        ));
    }
    match (signed_at, closed_at) {
        (None, Some(_)) => errors.push(view.problem(
            row,
            "signed_at",
            "a closed order was signed first: give the 签收时间",
            "已办结的工单须有签收时间",
        )),
        (Some(signed), Some(closed)) if closed < signed => {
            errors.push(view.problem(
                row,
                "closed_at",
                "before the order was signed",
                "办结时间早于签收时间",
            ));
        }
        _ => {}
    }
    if rating.is_some() && signed_at.is_none() {
        errors.push(view.problem(
            row,
            "rating",
            "a callback follows the department's reply: the order has no 签收时间",
            "未签收的工单不应有回访结果",
        ));
    }
    if extension_days > 0 && signed_at.is_none() {
        errors.push(view.problem(
            row,
            "extension_days",
            "an extension is granted to a signed order: the order has no 签收时间",
            "未签收的工单不应有延期",
        ));
    }
    let (Some(received_at), Some(difficulty)) = (received_at, difficulty) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(OrderRow {
        row,
        id,
        channel,
        received_at,
        category,
        difficulty,
        department_header: view.problem(row, "department", "", "").column,
        department,
        signed_at,
        closed_at,
        extension_days,
        rating,
        entity,
    })
}
