//! Reading discretion benchmark files (裁量基准) and penalty case files
//! (行政处罚案件), CSV or XLSX, held whole within the limits of
//! [`super::limits`] (checked before allocating). Bad rows are reported by
//! row and column, in English and Chinese; the good rows are kept. A party's
//! ID number never appears in a report: its cell is reported as withheld.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use super::columns::Column;
use super::credit::{Cells, collect, keep_last};
use super::rows::{parse_date, split_list};
use super::{ImportError, Outcome, Problem};
use domain::enforcement::{ListKind, PartyId, PenaltyKind, Tier, parse_fen, parse_yes_no};

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a discretion benchmark file: one row per (behaviour, tier).
pub const BENCHMARK_COLUMNS: &[Column] = &[
    col("code", &["违法行为编码", "行为编码"], true),
    col("behaviour", &["违法行为", "违法行为名称"], true),
    col("department", &["实施部门", "执法部门"], true),
    col("legal_basis", &["法律依据", "处罚依据"], true),
    col("tier", &["裁量阶次", "裁量等级"], true),
    col("conditions", &["适用情形", "情形"], true),
    col("fine_min", &["罚款下限", "罚款下限(元)"], false),
    col("fine_max", &["罚款上限", "罚款上限(元)"], false),
    col("list", &["清单", "所属清单"], false),
];

/// The columns of a penalty case file.
pub const CASE_COLUMNS: &[Column] = &[
    col("id", &["案件编号", "案号"], true),
    col("department", &["执法部门", "实施部门"], true),
    col("party_name", &["当事人名称", "当事人"], true),
    col("party_id", &["当事人证件号码", "证件号码"], true),
    col("behaviour", &["违法行为编码"], true),
    col("filed_on", &["立案日期"], true),
    col("decided_on", &["决定日期", "处罚决定日期"], false),
    col("kinds", &["处罚种类"], false),
    col("tier", &["裁量阶次"], false),
    col("fine", &["罚款金额", "罚款金额(元)"], false),
    col("officers", &["执法人员", "执法人员执法证号"], false),
    col("legal_review", &["法制审核"], false),
    col("first_offence", &["首次违法"], false),
    col("corrected", &["及时改正"], false),
    col("extended", &["延期"], false),
    col("published_on", &["公示日期"], false),
    col("changed_on", &["决定变更日期"], false),
    col("withdrawn_on", &["撤回日期"], false),
    col("closed_on", &["结案日期"], false),
];

/// One valid benchmark row, its department as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchmarkLine {
    /// Row number.
    pub row: usize,
    /// The header of the department column, for messages.
    pub department_header: String,
    /// The row, `departments` as written (codes or names).
    pub benchmark: domain::enforcement::BenchmarkRow,
}

/// A benchmark file read and validated.
#[derive(Debug, Default)]
pub struct BenchmarkFile {
    /// Valid rows, one per (code, tier, department) (a later row replaces an earlier one).
    pub rows: Vec<BenchmarkLine>,
    /// Rows read, rejected rows' problems, warnings.
    pub outcome: Outcome,
}

/// One valid case row, its department as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLine {
    /// Row number.
    pub row: usize,
    /// The header of the department column, for messages.
    pub department_header: String,
    /// The case, `department` as written (code or name).
    pub case: domain::enforcement::PenaltyCase,
}

/// A case file read and validated.
#[derive(Debug, Default)]
pub struct CaseFile {
    /// Valid rows, one per 案件编号 (a later row replaces an earlier one).
    pub rows: Vec<CaseLine>,
    /// Rows read, rejected rows' problems, warnings.
    pub outcome: Outcome,
}

/// Longest free text in a benchmark or case cell, in characters.
pub const MAX_TEXT: usize = 2_000;

fn text_cell(
    view: &Cells<'_>,
    row: usize,
    key: &str,
    required: bool,
    errors: &mut Vec<Problem>,
) -> String {
    let text = view.get(key);
    if required && text.is_empty() {
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

fn fen_cell(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> Option<i64> {
    match view.get(key) {
        "" => None,
        text => match parse_fen("fine", text) {
            Ok(fen) => Some(fen),
            Err(e) => {
                errors.push(view.problem(
                    row,
                    key,
                    e.reason.to_string(),
                    "金额应为以元为单位、至多两位小数的非负数，如 5000 或 1234.50",
                ));
                None
            }
        },
    }
}

fn date_cell(
    view: &Cells<'_>,
    row: usize,
    key: &str,
    errors: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    match view.get(key) {
        "" => None,
        text => match parse_date(text) {
            Ok(date) => Some(date),
            Err((reason, reason_zh)) => {
                errors.push(view.problem(row, key, reason, reason_zh));
                None
            }
        },
    }
}

fn yes_no_cell(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> bool {
    match parse_yes_no("yes_no", view.get(key)) {
        Ok(value) => value.unwrap_or(false),
        Err(_) => {
            errors.push(view.problem(row, key, "是 or 否", "应为 是 或 否"));
            false
        }
    }
}

/// Reads and validates a discretion benchmark file.
pub fn read_benchmarks(path: &Path) -> Result<BenchmarkFile, ImportError> {
    let (mapping, collected) = collect(path, BENCHMARK_COLUMNS)?;
    let mut file = BenchmarkFile::default();
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
            columns: BENCHMARK_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let mut errors = Vec::new();
        let code = text_cell(&view, row, "code", true, &mut errors);
        if !code.is_empty() && domain::plan::check_id("code", &code).is_err() {
            errors.push(view.problem(
                row,
                "code",
                "1 to 40 ASCII letters, digits, '-', '_' or '.'",
                "违法行为编码应为1至40位字母、数字或 - _ .",
            ));
        }
        let behaviour = text_cell(&view, row, "behaviour", true, &mut errors);
        let departments = split_list(view.get("department"));
        if departments.is_empty() {
            errors.push(view.problem(row, "department", "required", "必填"));
        }
        let legal_basis = text_cell(&view, row, "legal_basis", true, &mut errors);
        let conditions = text_cell(&view, row, "conditions", true, &mut errors);
        let tier = match Tier::parse(view.get("tier")) {
            Ok(tier) => Some(tier),
            Err(e) => {
                errors.push(view.problem(
                    row,
                    "tier",
                    e.reason.to_string(),
                    "裁量阶次应为 不予处罚、减轻处罚、从轻处罚、一般处罚 或 从重处罚",
                ));
                None
            }
        };
        let fine_min = fen_cell(&view, row, "fine_min", &mut errors);
        let fine_max = fen_cell(&view, row, "fine_max", &mut errors);
        if let (Some(min), Some(max)) = (fine_min, fine_max)
            && min > max
        {
            errors.push(view.problem(
                row,
                "fine_max",
                "below the lower bound",
                "罚款上限低于罚款下限",
            ));
        }
        let list = match view.get("list") {
            "" | "无" | "-" => None,
            text => match ListKind::parse(text) {
                Ok(list) => Some(list),
                Err(e) => {
                    errors.push(view.problem(
                        row,
                        "list",
                        e.reason.to_string(),
                        "清单应为 不予处罚、减轻处罚、从轻处罚 或 行政强制免于执行",
                    ));
                    None
                }
            },
        };
        let Some(tier) = tier.filter(|_| errors.is_empty()) else {
            file.outcome.errors.extend(errors);
            continue;
        };
        let key = format!(
            "{code}\u{1f}{}\u{1f}{}",
            tier.as_str(),
            departments.join("、")
        );
        let line = BenchmarkLine {
            row,
            department_header: view.problem(row, "department", "", "").column,
            benchmark: domain::enforcement::BenchmarkRow {
                code,
                behaviour,
                departments,
                legal_basis,
                tier,
                conditions,
                fine_min,
                fine_max,
                list,
            },
        };
        keep_last(
            &mut file.rows,
            &mut index_of,
            key,
            row,
            line,
            &mut file.outcome,
            |earlier| {
                view.problem(
                    row,
                    "code",
                    format!("same behaviour, tier and department as row {earlier}; row {row} replaces it"),
                    format!("与第 {earlier} 行违法行为编码、裁量阶次和实施部门相同，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

/// Reads and validates a penalty case file. Unknown officers, behaviours and
/// tiers are kept as written (the checks judge them); a bad date, amount,
/// kind, yes/no or party ID number rejects the row.
pub fn read_cases(path: &Path) -> Result<CaseFile, ImportError> {
    let (mapping, collected) = collect(path, CASE_COLUMNS)?;
    let mut file = CaseFile::default();
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
            columns: CASE_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let line = match parse_case_row(&view, row) {
            Ok(case) => CaseLine {
                row,
                department_header: view.problem(row, "department", "", "").column,
                case,
            },
            Err(errors) => {
                file.outcome.errors.extend(errors);
                continue;
            }
        };
        let id = line.case.id.clone();
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
                    format!("与第 {earlier} 行案件编号重复，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

/// Validates one case row: the one rule set of the case file and the web form.
fn parse_case_row(
    view: &Cells<'_>,
    row: usize,
) -> Result<domain::enforcement::PenaltyCase, Vec<Problem>> {
    let mut errors = Vec::new();
    let id = view.get("id").to_owned();
    if domain::plan::check_id("id", &id).is_err() {
        errors.push(view.problem(
            row,
            "id",
            "1 to 40 ASCII letters, digits, '-', '_' or '.'",
            "案件编号应为1至40位字母、数字或 - _ .",
        ));
    }
    let department = text_cell(view, row, "department", true, &mut errors);
    let party_name = text_cell(view, row, "party_name", true, &mut errors);
    let party_id = match view.get("party_id") {
        "" => {
            errors.push(view.problem(row, "party_id", "required", "必填"));
            None
        }
        text => match PartyId::parse(text) {
            Ok(id) => Some(id),
            Err(_) => {
                // The value is withheld: it may be a person's ID number.
                errors.push(Problem {
                    value: "(withheld)".into(),
                    ..view.problem(
                        row,
                        "party_id",
                        "neither a valid 统一社会信用代码 nor a valid 身份证号码 (check characters verified)",
                        "不是有效的统一社会信用代码或居民身份证号码（校验位不符）",
                    )
                });
                None
            }
        },
    };
    let behaviour = text_cell(view, row, "behaviour", true, &mut errors);
    let filed_on = date_cell(view, row, "filed_on", &mut errors);
    if view.get("filed_on").is_empty() {
        errors.push(view.problem(row, "filed_on", "required", "必填"));
    }
    let decided_on = date_cell(view, row, "decided_on", &mut errors);
    let kinds = match PenaltyKind::parse_list(view.get("kinds")) {
        Ok(kinds) => kinds,
        Err(e) => {
            errors.push(view.problem(
                row,
                "kinds",
                e.to_string(),
                "处罚种类应为 警告、通报批评、罚款、没收违法所得、没收非法财物、暂扣许可证件、降低资质等级、吊销许可证件、限制开展生产经营活动、责令停产停业、责令关闭、限制从业、其他 中的一项或多项，以 、 分隔",
            ));
            Vec::new()
        }
    };
    let tier = text_cell(view, row, "tier", false, &mut errors);
    let fine = fen_cell(view, row, "fine", &mut errors);
    let officers: Vec<String> = split_list(view.get("officers"))
        .into_iter()
        .map(|o| o.to_ascii_uppercase())
        .collect();
    if officers.iter().any(|o| o.chars().count() > 64) {
        errors.push(view.problem(
            row,
            "officers",
            "a certificate number longer than 64 characters",
            "执法证号过长",
        ));
    }
    let legal_review = yes_no_cell(view, row, "legal_review", &mut errors);
    let first_offence = yes_no_cell(view, row, "first_offence", &mut errors);
    let corrected = yes_no_cell(view, row, "corrected", &mut errors);
    let extended = yes_no_cell(view, row, "extended", &mut errors);
    let published_on = date_cell(view, row, "published_on", &mut errors);
    let changed_on = date_cell(view, row, "changed_on", &mut errors);
    let withdrawn_on = date_cell(view, row, "withdrawn_on", &mut errors);
    let closed_on = date_cell(view, row, "closed_on", &mut errors);
    let (Some(party_id), Some(filed_on), true) = (party_id, filed_on, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(domain::enforcement::PenaltyCase {
        id,
        department,
        party_name,
        party_id,
        behaviour,
        filed_on,
        decided_on,
        kinds,
        tier: (!tier.is_empty()).then_some(tier),
        fine,
        officers,
        legal_review,
        first_offence,
        corrected,
        extended,
        published_on,
        changed_on,
        withdrawn_on,
        closed_on,
    })
}

/// Validates one case entered on a form: `fields` maps the keys of
/// [`CASE_COLUMNS`] to their text (a missing key is an empty cell), by the
/// same rules as [`read_cases`]. A problem's `column` is the key.
pub fn parse_case_fields(
    fields: &HashMap<String, String>,
) -> Result<domain::enforcement::PenaltyCase, Vec<Problem>> {
    let mapping = super::columns::Mapping {
        positions: (0..CASE_COLUMNS.len()).map(Some).collect(),
        headers: CASE_COLUMNS.iter().map(|c| c.key.to_owned()).collect(),
    };
    let cells: Vec<String> = CASE_COLUMNS
        .iter()
        .map(|c| fields.get(c.key).cloned().unwrap_or_default())
        .collect();
    let view = Cells {
        columns: CASE_COLUMNS,
        mapping: &mapping,
        cells: &cells,
    };
    parse_case_row(&view, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of a case file, the header first: good ones and ones each
    /// refused for one cell.
    const ROWS: &[&str] = &[
        "SCJG-1,SCJG,某公司,91420200MA4K8B6C20,WF-1,2025-03-01,2025-03-10,警告、罚款,一般处罚,1234.56,A1、A2,是,否,否,否,2025-03-12,,,",
        "SCJG-2,SCJG,张三,11010519491231002X,WF-2,2025-03-01,,,,,,,,,,,,,",
        "SCJG-3,SCJG,张三,11010519491231002X,WF-2,2025-03-01,,,,1234.567,,,,,,,,,",
        "SCJG-4,SCJG,张三,110105194912310021,WF-2,2025-03-01,,,,,,,,,,,,,",
        "SCJG-5,SCJG,张三,11010519491231002X,WF-2,2025-02-30,,,,,,,,,,,,,",
        "SCJG-6,SCJG,张三,11010519491231002X,WF-2,2025-03-01,,警告、拘留,,,,,,,,,,,",
        "SCJG-7,SCJG,张三,11010519491231002X,WF-2,2025-03-01,,,,,,也许,,,,,,,",
        "SCJG 8,SCJG,,11010519491231002X,,,,,,,,,,,,,,,",
    ];

    /// What a row's cells say: the form's fields.
    fn fields(line: &str) -> HashMap<String, String> {
        CASE_COLUMNS
            .iter()
            .zip(line.split(','))
            .map(|(c, v)| (c.key.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn the_form_and_the_file_accept_and_refuse_the_same_rows() {
        let dir = std::env::temp_dir().join(format!("jg-case-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("cases.csv");
        let header = CASE_COLUMNS
            .iter()
            .map(|c| c.zh[0])
            .collect::<Vec<_>>()
            .join(",");
        let mut text = header;
        for row in ROWS {
            text.push('\n');
            text.push_str(row);
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let file = read_cases(&path).unwrap_or_else(|e| panic!("{e}"));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(file.outcome.total_rows, ROWS.len());
        let mut accepted = 0;
        for (index, line) in ROWS.iter().enumerate() {
            let row = index + 2;
            let from_file = file.rows.iter().find(|l| l.row == row).map(|l| &l.case);
            let refused_in_file: Vec<&str> = file
                .outcome
                .errors
                .iter()
                .filter(|p| p.row == row)
                .map(|p| p.reason_zh.as_str())
                .collect();
            match parse_case_fields(&fields(line)) {
                Ok(case) => {
                    accepted += 1;
                    assert_eq!(Some(&case), from_file, "row {row}");
                    assert!(refused_in_file.is_empty(), "row {row}");
                }
                Err(problems) => {
                    assert_eq!(from_file, None, "row {row}");
                    let reasons: Vec<&str> =
                        problems.iter().map(|p| p.reason_zh.as_str()).collect();
                    assert_eq!(reasons, refused_in_file, "row {row}");
                    assert!(
                        problems
                            .iter()
                            .all(|p| !p.value.contains("110105194912310021")),
                        "a person's number is withheld"
                    );
                }
            }
        }
        assert_eq!(accepted, 2, "two good rows");
    }
}
