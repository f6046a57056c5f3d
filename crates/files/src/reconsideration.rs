//! Reading 行政复议 files and 行政诉讼 hearing files (issue 20), CSV or XLSX,
//! held whole within the limits of [`super::limits`]. Bad rows are reported by
//! row and column, in English and Chinese; the good rows are kept.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use super::columns::Column;
use super::credit::{Cells, collect, keep_last};
use super::enforcement::MAX_TEXT;
use super::rows::parse_date;
use super::{ImportError, Outcome, Problem};
use domain::enforcement::parse_yes_no;
use domain::reconsideration::{
    DecisionKind, LitigationCase, MAX_SUSPENDED_DAYS, Procedure, Reconsideration,
};

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a 行政复议 file.
pub const RECONSIDERATION_COLUMNS: &[Column] = &[
    col("id", &["案号", "复议案号"], true),
    col("applicant", &["申请人"], true),
    col("respondent", &["被申请人"], true),
    col("received_on", &["收到日期", "收到申请日期"], true),
    col("correction_notice_on", &["补正通知日期"], false),
    col("corrected_on", &["补正完成日期"], false),
    col("accepted_on", &["受理日期"], false),
    col("procedure", &["程序", "适用程序"], false),
    col("extended", &["延期"], false),
    col("suspended_days", &["中止天数"], false),
    col("decided_on", &["决定日期"], false),
    col("decision", &["决定类型"], false),
    col(
        "original_case",
        &["原行政行为案件编号", "原案件编号"],
        false,
    ),
];

/// The columns of a 行政诉讼 hearing file.
pub const LITIGATION_COLUMNS: &[Column] = &[
    col("id", &["案号"], true),
    col("defendant", &["被告"], true),
    col("hearing_on", &["开庭日期"], true),
    col("head_appeared", &["负责人出庭"], false),
];

/// One valid row, its department as written (code or name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<T> {
    /// Row number.
    pub row: usize,
    /// The header of the department column, for messages.
    pub department_header: String,
    /// The header of the original-case column, for messages.
    pub case_header: String,
    /// The record, its department as written.
    pub record: T,
}

/// A file read and validated.
#[derive(Debug)]
pub struct LineFile<T> {
    /// Valid rows, one per 案号 (a later row replaces an earlier one).
    pub rows: Vec<Line<T>>,
    /// Rows read, rejected rows' problems, warnings.
    pub outcome: Outcome,
}

fn required_text(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> String {
    let text = view.get(key);
    if text.is_empty() {
        errors.push(view.problem(row, key, "required", "必填"));
    } else if text.chars().count() > MAX_TEXT {
        errors.push(view.problem(
            row,
            key,
            format!("longer than {MAX_TEXT} characters"),
            format!("超过 {MAX_TEXT} 字"),
        ));
    }
    text.to_owned()
}

fn date(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> Option<NaiveDate> {
    match view.get(key) {
        "" => None,
        text => parse_date(text)
            .map_err(|(reason, reason_zh)| errors.push(view.problem(row, key, reason, reason_zh)))
            .ok(),
    }
}

fn required_date(
    view: &Cells<'_>,
    row: usize,
    key: &str,
    errors: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    if view.get(key).is_empty() {
        errors.push(view.problem(row, key, "required", "必填"));
    }
    date(view, row, key, errors)
}

fn yes_no(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> bool {
    parse_yes_no("yes_no", view.get(key))
        .map_err(|_| errors.push(view.problem(row, key, "是 or 否", "应为 是 或 否")))
        .ok()
        .flatten()
        .unwrap_or(false)
}

fn check_id(view: &Cells<'_>, row: usize, errors: &mut Vec<Problem>) -> String {
    let id = view.get("id").to_owned();
    if id.is_empty() || id.chars().count() > 64 || id.chars().any(char::is_control) {
        errors.push(view.problem(row, "id", "1 to 64 characters", "案号应为1至64个字符"));
    }
    id
}

/// The Chinese name of a date column, for messages.
fn date_name(key: &str) -> &'static str {
    match key {
        "received_on" => "收到日期",
        "correction_notice_on" => "补正通知日期",
        "corrected_on" => "补正完成日期",
        "accepted_on" => "受理日期",
        _ => "决定日期",
    }
}

fn parse_reconsideration_row(
    view: &Cells<'_>,
    row: usize,
) -> Result<Reconsideration, Vec<Problem>> {
    let mut errors = Vec::new();
    let id = check_id(view, row, &mut errors);
    let applicant = required_text(view, row, "applicant", &mut errors);
    let respondent = required_text(view, row, "respondent", &mut errors);
    let received_on = required_date(view, row, "received_on", &mut errors);
    let correction_notice_on = date(view, row, "correction_notice_on", &mut errors);
    let corrected_on = date(view, row, "corrected_on", &mut errors);
    let accepted_on = date(view, row, "accepted_on", &mut errors);
    let decided_on = date(view, row, "decided_on", &mut errors);
    let procedure = match view.get("procedure") {
        "" => Procedure::Ordinary,
        text => Procedure::parse(text).unwrap_or_else(|_| {
            errors.push(view.problem(row, "procedure", "普通 or 简易", "程序应为 普通 或 简易"));
            Procedure::Ordinary
        }),
    };
    let extended = yes_no(view, row, "extended", &mut errors);
    let suspended_days = match view.get("suspended_days") {
        "" => 0,
        text => match text.parse::<u32>() {
            Ok(days) if days <= MAX_SUSPENDED_DAYS => days,
            _ => {
                errors.push(view.problem(
                    row,
                    "suspended_days",
                    format!("a whole number of days from 0 to {MAX_SUSPENDED_DAYS}"),
                    format!("中止天数应为 0 至 {MAX_SUSPENDED_DAYS} 的整数"),
                ));
                0
            }
        },
    };
    let decision = match view.get("decision") {
        "" => None,
        text => DecisionKind::parse(text)
            .map_err(|e| {
                errors.push(view.problem(
                    row,
                    "decision",
                    e.reason,
                    "决定类型应为 变更、撤销、确认违法、责令履行、确认无效、维持、驳回、终止、不予受理 之一",
                ))
            })
            .ok(),
    };
    if decision.is_none() && decided_on.is_some() && view.get("decision").is_empty() {
        errors.push(view.problem(
            row,
            "decision",
            "required when 决定日期 is given",
            "填写决定日期时必须填写决定类型",
        ));
    }
    if !view.get("decision").is_empty() && view.get("decided_on").is_empty() {
        errors.push(view.problem(
            row,
            "decided_on",
            "required when 决定类型 is given",
            "填写决定类型时必须填写决定日期",
        ));
    }
    if !view.get("corrected_on").is_empty() && view.get("correction_notice_on").is_empty() {
        errors.push(view.problem(
            row,
            "correction_notice_on",
            "required when 补正完成日期 is given",
            "填写补正完成日期时必须填写补正通知日期",
        ));
    }
    let original_case = match view.get("original_case") {
        "" => None,
        text if text.chars().count() > 64 => {
            errors.push(view.problem(
                row,
                "original_case",
                "longer than 64 characters",
                "案件编号过长",
            ));
            None
        }
        text => Some(text.to_owned()),
    };
    let Some(received_on) = received_on else {
        return Err(errors);
    };
    let application = Reconsideration {
        id,
        applicant,
        respondent,
        received_on,
        correction_notice_on,
        corrected_on,
        accepted_on,
        procedure,
        extended,
        suspended_days,
        decided_on,
        decision,
        original_case,
    };
    let dates = application.dates_in_order();
    for pair in dates.windows(2) {
        if let [(before_key, before), (key, day)] = pair
            && day < before
        {
            errors.push(view.problem(
                row,
                key,
                format!("before {} {before}", date_name(before_key)),
                format!("早于{} {before}", date_name(before_key)),
            ));
        }
    }
    if errors.is_empty() {
        Ok(application)
    } else {
        Err(errors)
    }
}

fn parse_litigation_row(view: &Cells<'_>, row: usize) -> Result<LitigationCase, Vec<Problem>> {
    let mut errors = Vec::new();
    let id = check_id(view, row, &mut errors);
    let defendant = required_text(view, row, "defendant", &mut errors);
    let hearing_on = required_date(view, row, "hearing_on", &mut errors);
    let head_appeared = yes_no(view, row, "head_appeared", &mut errors);
    match hearing_on {
        Some(hearing_on) if errors.is_empty() => Ok(LitigationCase {
            id,
            defendant,
            hearing_on,
            head_appeared,
        }),
        _ => Err(errors),
    }
}

type RowParser<T> = fn(&Cells<'_>, usize) -> Result<T, Vec<Problem>>;

fn read_lines<T>(
    path: &Path,
    columns: &'static [Column],
    department_key: &str,
    parse: RowParser<T>,
    id_of: fn(&T) -> String,
) -> Result<LineFile<T>, ImportError> {
    let (mapping, collected) = collect(path, columns)?;
    let mut file = LineFile {
        rows: Vec::new(),
        outcome: Outcome::default(),
    };
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
            columns,
            mapping: &mapping,
            cells,
        };
        let record = match parse(&view, row) {
            Ok(record) => record,
            Err(errors) => {
                file.outcome.errors.extend(errors);
                continue;
            }
        };
        let id = id_of(&record);
        let line = Line {
            row,
            department_header: view.problem(row, department_key, "", "").column,
            case_header: view.problem(row, "original_case", "", "").column,
            record,
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
                    format!("与第 {earlier} 行案号重复，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

/// Reads and validates a 行政复议 file: required cells, dates in order
/// (收到 ≤ 补正通知 ≤ 补正完成 ≤ 受理 ≤ 决定), 程序, 延期, 决定类型, 中止天数 ≥ 0.
pub fn read_reconsiderations(path: &Path) -> Result<LineFile<Reconsideration>, ImportError> {
    read_lines(
        path,
        RECONSIDERATION_COLUMNS,
        "respondent",
        parse_reconsideration_row,
        |r| r.id.clone(),
    )
}

/// Reads and validates a 行政诉讼 hearing file.
pub fn read_litigation(path: &Path) -> Result<LineFile<LitigationCase>, ImportError> {
    read_lines(
        path,
        LITIGATION_COLUMNS,
        "defendant",
        parse_litigation_row,
        |l| l.id.clone(),
    )
}
