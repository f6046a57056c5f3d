//! The XLSX error report: a sheet 错误 (行号, 列, 值, 原因), a sheet 警告 with the
//! same columns, and a sheet 汇总 with the counts.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Workbook, XlsxError};

use super::{Outcome, Problem};
use crate::watermark::Watermark;

/// Where the report of `input` goes: `DIR/<file name>.errors.xlsx` when a
/// report folder is given, else next to the input.
pub fn report_path(input: &Path, dir: Option<&Path>) -> PathBuf {
    let file_name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".to_owned());
    let name = format!("{file_name}.errors.xlsx");
    match dir {
        Some(dir) => dir.join(name),
        None => input.with_file_name(name),
    }
}

/// The 汇总 label of the count of 主体类型 no rule classifies.
pub const UNKNOWN_TYPES_LABEL: &str = "其中主体类型未能识别（归入“其他”）";

/// Writes the report of `outcome` (for the file `source`) to `path`, marked with `watermark`.
pub fn write_report(
    outcome: &Outcome,
    source: &str,
    path: &Path,
    watermark: &Watermark,
) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    problem_sheet(&mut workbook, "错误", &outcome.errors)?;
    problem_sheet(&mut workbook, "警告", &outcome.warnings)?;
    let summary = workbook.add_worksheet();
    summary.set_name("汇总")?;
    summary.set_column_width(0, 24)?;
    summary.set_column_width(1, 60)?;
    let counts: [(&str, u64); 8] = [
        ("总行数", outcome.total_rows as u64),
        ("导入成功", outcome.imported()),
        ("新增", outcome.inserted),
        ("更新", outcome.updated),
        ("错误", outcome.rejected() as u64),
        ("警告", outcome.warnings.len() as u64),
        ("重复行（被后行覆盖）", outcome.superseded as u64),
        ("空行（已跳过）", outcome.empty_rows as u64),
    ];
    summary.write_string(0, 0, "文件")?;
    summary.write_string(0, 1, source)?;
    for (index, (label, value)) in counts.iter().enumerate() {
        let row = index as u32 + 1;
        summary.write_string(row, 0, *label)?;
        summary.write_number(row, 1, *value as f64)?;
    }
    let pilot = outcome
        .warnings
        .iter()
        .filter(|w| w.reason_zh.contains("试点期"))
        .count();
    summary.write_string(9, 0, "其中试点期统一社会信用代码警告")?;
    summary.write_number(9, 1, pilot as f64)?;
    let unknown_types = outcome
        .warnings
        .iter()
        .filter(|w| w.reason_zh == crate::rows::UNKNOWN_TYPE_WARNING_ZH)
        .count();
    summary.write_string(10, 0, UNKNOWN_TYPES_LABEL)?;
    summary.write_number(10, 1, unknown_types as f64)?;
    watermark.save(&mut workbook, path)
}

fn problem_sheet(
    workbook: &mut Workbook,
    name: &str,
    problems: &[Problem],
) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    for (col, header) in ["行号", "列", "值", "原因"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header)?;
    }
    sheet.set_column_width(1, 20)?;
    sheet.set_column_width(2, 30)?;
    sheet.set_column_width(3, 60)?;
    for (index, problem) in problems.iter().enumerate() {
        // Rows beyond the sheet's limit are left out; the summary still counts them.
        let Ok(row) = u32::try_from(index + 1) else {
            break;
        };
        if row >= 1_048_576 {
            break;
        }
        sheet.write_number(row, 0, problem.row as f64)?;
        sheet.write_string(row, 1, &problem.column)?;
        sheet.write_string(row, 2, &problem.value)?;
        sheet.write_string(row, 3, &problem.reason_zh)?;
    }
    Ok(())
}
