//! The Justice Bureau's annual 行政执法统计年报: per department and for the
//! city, the year's penalty cases by kind and fines (the case register), the
//! review grades (案卷评查), the publication timeliness (行政执法公示), 复议
//! received and corrected, and the court appearance rate. See
//! docs/annual-report.md for each figure's definition.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use domain::enforcement::{CaseRules, PenaltyCase, PenaltyKind};
use domain::hotline::WorkingDays;
use domain::reconsideration::rate;
use domain::review_scoring::{Grade, Thresholds};
use storage::{CaseStore, WorkflowStore};

use super::enforcement::publication_deadline;
use super::reconsideration::{AnnualLine, annual_lines};
use super::review::scoring::{DepartmentGrades, grades_by_department};

/// One line of the 年报: a department's, or the city's (no code).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnnualRow {
    /// Department code; none for the city line.
    pub code: Option<String>,
    /// Department name (`全市` for the city line).
    pub name: String,
    /// Penalty cases decided (决定日期) in the year.
    pub cases: u64,
    /// Of them, per 处罚种类 (a case with two kinds counts under both).
    pub cases_by_kind: BTreeMap<String, u64>,
    /// Sum of their fines, fen.
    pub fines_fen: i64,
    /// Files drawn for review in the year's drawn reviews.
    pub review_files: u64,
    /// Mean final review score (1 decimal); null without a final score.
    pub review_average: Option<f64>,
    /// Files per grade: 优秀, 良好, 合格, 不合格.
    pub review_grades: BTreeMap<String, u64>,
    /// Decisions of the year that must be published and were due by the day
    /// (published, or the deadline passed).
    pub publication_due: u64,
    /// Of them, published on or before the deadline.
    pub published_on_time: u64,
    /// published_on_time / publication_due, 4 decimals; null on none due.
    pub publication_rate: Option<f64>,
    /// 复议 applications received (收到日期) in the year against it.
    pub reconsideration_received: u64,
    /// Of them, decided on the merits.
    pub reconsideration_substantive: u64,
    /// Of them, corrected directly.
    pub reconsideration_corrected: u64,
    /// corrected / substantive, 4 decimals; null when nothing was substantive.
    pub correction_rate: Option<f64>,
    /// Court hearings (开庭日期) in the year.
    pub hearings: u64,
    /// Of them, with the responsible person appearing.
    pub appeared: u64,
    /// appeared / hearings, 4 decimals; null without a hearing.
    pub appearance_rate: Option<f64>,
}

/// The whole 年报.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualReport {
    /// The year.
    pub year: i32,
    /// The day open deadlines are judged on.
    pub as_of: NaiveDate,
    /// Per department of the directory, by code.
    pub departments: Vec<AnnualRow>,
    /// The city (the sum of every department; rates from the sums).
    pub city: AnnualRow,
}

impl AnnualReport {
    /// Keeps only `code`'s line; the city line becomes that line (a
    /// department sees nothing of the others).
    pub fn only(mut self, code: &str) -> Self {
        self.departments.retain(|d| d.code.as_deref() == Some(code));
        self.city = self.departments.first().cloned().unwrap_or_default();
        self
    }
}

impl AnnualRow {
    fn add_case<W: WorkingDays>(
        &mut self,
        case: &PenaltyCase,
        rules: &CaseRules,
        calendar: &W,
        as_of: NaiveDate,
    ) {
        self.cases += 1;
        for kind in &case.kinds {
            *self
                .cases_by_kind
                .entry(kind.as_str().to_owned())
                .or_default() += 1;
        }
        self.fines_fen += case.fine.unwrap_or(0);
        if let Some(last_day) = publication_deadline(case, rules, calendar) {
            match case.published_on {
                Some(day) => {
                    self.publication_due += 1;
                    self.published_on_time += u64::from(day <= last_day);
                }
                None if as_of > last_day => self.publication_due += 1,
                None => {}
            }
        }
    }

    fn add_grades(&mut self, grades: &DepartmentGrades) {
        self.review_files += grades.files;
        for grade in Grade::ALL {
            *self
                .review_grades
                .entry(grade.as_str().to_owned())
                .or_default() += grades.count(grade);
        }
    }

    fn add_justice(&mut self, line: &AnnualLine) {
        self.reconsideration_received += line.received;
        self.reconsideration_substantive += line.substantive;
        self.reconsideration_corrected += line.corrected;
        self.hearings += line.hearings;
        self.appeared += line.appeared;
    }

    fn finish(&mut self, grades: Option<&DepartmentGrades>) {
        for kind in PenaltyKind::ALL {
            self.cases_by_kind
                .entry(kind.as_str().to_owned())
                .or_default();
        }
        for grade in Grade::ALL {
            self.review_grades
                .entry(grade.as_str().to_owned())
                .or_default();
        }
        self.review_average = grades
            .and_then(|g| g.average)
            .map(|tenths| f64::from(tenths) / 10.0);
        self.publication_rate = rate(self.published_on_time, self.publication_due);
        self.correction_rate = rate(
            self.reconsideration_corrected,
            self.reconsideration_substantive,
        );
        self.appearance_rate = rate(self.appeared, self.hearings);
    }
}

/// Builds the 年报 of `year`, open deadlines judged on `as_of`.
pub async fn build<S, W>(
    store: &S,
    year: i32,
    rules: &CaseRules,
    thresholds: &Thresholds,
    calendar: &W,
    as_of: NaiveDate,
) -> super::Result<AnnualReport>
where
    S: WorkflowStore + CaseStore,
    W: WorkingDays,
{
    let justice = annual_lines(store, year, calendar, as_of).await?;
    let grades = grades_by_department(store, year, thresholds).await?;
    let cases = store.penalty_cases(None).await?;
    let mut rows: BTreeMap<String, AnnualRow> = justice
        .iter()
        .map(|line| {
            let mut row = AnnualRow {
                code: Some(line.code.clone()),
                name: line.name.clone(),
                ..AnnualRow::default()
            };
            row.add_justice(line);
            (line.code.clone(), row)
        })
        .collect();
    for case in cases
        .iter()
        .filter(|c| c.decided_on.is_some_and(|d| d.year() == year))
    {
        rows.entry(case.department.clone())
            .or_insert_with(|| AnnualRow {
                code: Some(case.department.clone()),
                name: case.department.clone(),
                ..AnnualRow::default()
            })
            .add_case(case, rules, calendar, as_of);
    }
    let mut city_grades = DepartmentGrades::default();
    for line in &grades {
        city_grades.merge(line);
        if let Some(row) = rows.get_mut(&line.code) {
            row.add_grades(line);
        }
    }
    let mut city = AnnualRow {
        name: "全市".to_owned(),
        ..AnnualRow::default()
    };
    for row in rows.values() {
        city.cases += row.cases;
        for (kind, n) in &row.cases_by_kind {
            *city.cases_by_kind.entry(kind.clone()).or_default() += n;
        }
        city.fines_fen += row.fines_fen;
        city.publication_due += row.publication_due;
        city.published_on_time += row.published_on_time;
    }
    city.add_grades(&city_grades);
    for line in &justice {
        city.add_justice(line);
    }
    city.finish(Some(&city_grades));
    let departments = rows
        .into_values()
        .map(|mut row| {
            let own = grades.iter().find(|g| Some(&g.code) == row.code.as_ref());
            row.finish(own);
            row
        })
        .collect();
    Ok(AnnualReport {
        year,
        as_of,
        departments,
        city,
    })
}

/// The figures' headers, in the order of [`row_cells`].
pub fn headers() -> Vec<String> {
    let mut headers: Vec<String> = ["部门编码", "部门名称", "处罚决定数"]
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
    headers.extend(PenaltyKind::ALL.iter().map(|k| k.as_str().to_owned()));
    headers.extend(
        [
            "罚款金额（元）",
            "评查案卷数",
            "评查平均分",
            "优秀",
            "良好",
            "合格",
            "不合格",
            "应公示决定数",
            "按时公示数",
            "公示及时率",
            "复议收案数",
            "复议实体审理数",
            "复议直接纠错数",
            "复议纠错率",
            "开庭数",
            "负责人出庭数",
            "负责人出庭应诉率",
        ]
        .iter()
        .map(|h| (*h).to_owned()),
    );
    headers
}

fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(String::new, |r| format!("{r:.4}"))
}

/// One line's cells, in the order of [`headers`].
pub fn row_cells(row: &AnnualRow) -> Vec<String> {
    let count = |map: &BTreeMap<String, u64>, key: &str| map.get(key).copied().unwrap_or(0);
    let mut cells = vec![
        row.code.clone().unwrap_or_default(),
        row.name.clone(),
        row.cases.to_string(),
    ];
    cells.extend(
        PenaltyKind::ALL
            .iter()
            .map(|k| count(&row.cases_by_kind, k.as_str()).to_string()),
    );
    cells.push(domain::enforcement::yuan(row.fines_fen));
    cells.push(row.review_files.to_string());
    cells.push(
        row.review_average
            .map_or_else(String::new, |a| format!("{a:.1}")),
    );
    cells.extend(
        Grade::ALL
            .iter()
            .map(|g| count(&row.review_grades, g.as_str()).to_string()),
    );
    cells.extend([
        row.publication_due.to_string(),
        row.published_on_time.to_string(),
        rate_text(row.publication_rate),
        row.reconsideration_received.to_string(),
        row.reconsideration_substantive.to_string(),
        row.reconsideration_corrected.to_string(),
        rate_text(row.correction_rate),
        row.hearings.to_string(),
        row.appeared.to_string(),
        rate_text(row.appearance_rate),
    ]);
    cells
}

/// Each figure's definition, for the workbook's notes sheet.
pub const NOTES: &[(&str, &str)] = &[
    (
        "处罚决定数",
        "处罚案件登记中决定日期在本年度的案件数；按处罚种类分列（一案多种类分别计入）",
    ),
    ("罚款金额（元）", "上述案件的罚款金额合计"),
    (
        "评查案卷数、平均分、等次",
        "本年度已抽取的案卷评查活动中抽中的案卷数；平均分为已定分案卷的平均（保留1位小数）；等次按评查标准阈值（优秀≥90、良好≥80、合格≥60，否决项即不合格），待复核案卷不计等次",
    ),
    (
        "应公示决定数",
        "本年度作出处罚决定且须公示的案件中，已公示或公示期限（决定后7个工作日）已届满的案件数",
    ),
    (
        "公示及时率",
        "按时公示数 ÷ 应公示决定数，保留4位小数；无应公示决定时为空",
    ),
    (
        "复议收案数",
        "收到日期在本年度、以该部门为被申请人的行政复议申请数",
    ),
    (
        "复议实体审理数、直接纠错数",
        "实体审理：已决定且决定类型不是终止、不予受理；直接纠错：变更、撤销、确认违法、责令履行、确认无效",
    ),
    (
        "复议纠错率",
        "直接纠错数 ÷ 实体审理数，保留4位小数；无实体审理时为空",
    ),
    (
        "负责人出庭应诉率",
        "开庭日期在本年度的行政诉讼中负责人出庭的比例，保留4位小数；无开庭时为空",
    ),
    ("全市", "各部门数字之和；比率由合计数计算"),
];

/// Writes the 年报 as XLSX: sheet 年报 (departments, then the city line)
/// and sheet 说明 (each figure's definition), marked with `watermark`.
pub fn write_xlsx(
    report: &AnnualReport,
    path: &Path,
    watermark: &files::watermark::Watermark,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("年报")?;
    sheet.write_string_with_format(0, 0, format!("{} 年度行政执法统计年报", report.year), &bold)?;
    sheet.write_string(1, 0, format!("期限截至 {}", report.as_of))?;
    sheet.write_string(2, 0, format!("导出人 {}", watermark.text()))?;
    for (column, header) in headers().iter().enumerate() {
        sheet.write_string_with_format(3, column as u16, header, &bold)?;
    }
    let lines = report.departments.iter().chain([&report.city]);
    for (index, row) in lines.enumerate() {
        for (column, cell) in row_cells(row).iter().enumerate() {
            let (line, column) = (4 + index as u32, column as u16);
            match cell.parse::<f64>() {
                Ok(number) if column >= 2 => sheet.write_number(line, column, number)?,
                _ => sheet.write_string(line, column, cell)?,
            };
        }
    }
    sheet.autofit();
    let notes = book.add_worksheet();
    notes.set_name("说明")?;
    notes.write_string_with_format(0, 0, "指标", &bold)?;
    notes.write_string_with_format(0, 1, "口径", &bold)?;
    for (index, (figure, definition)) in NOTES.iter().enumerate() {
        notes.write_string(1 + index as u32, 0, *figure)?;
        notes.write_string(1 + index as u32, 1, *definition)?;
    }
    notes.autofit();
    watermark.save(&mut book, path)
}
