//! Reports: monthly bulletin (月通报), quarterly scheduling (季调度) and
//! year-end evaluation (年终考评), per department and city-wide, as JSON and XLSX.
//!
//! Attribution: a round counts in the period its draw took place in; a result
//! in the period its check ended in; an out-of-plan inspection in the period it
//! took place in. Publication is judged as of the day the report is made, so a
//! quarter's late checks show as published (on time or late) once they are.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{Result, refuse};
use domain::inspection::{
    InspectionResult, OutOfPlan, OutOfPlanReason, ResultStatus, Round, RoundStatus, Visit,
};
use domain::plan::{Plan, PlanKind};
use storage::WorkflowStore;

/// The period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// 月通报.
    Month(i32, u32),
    /// 季调度.
    Quarter(i32, u32),
    /// 年终考评.
    Year(i32),
}

impl Period {
    /// First and last day.
    pub fn bounds(self) -> Result<(NaiveDate, NaiveDate)> {
        let (year, first_month, months) = match self {
            Self::Month(y, m) if (1..=12).contains(&m) => (y, m, 1),
            Self::Quarter(y, q) if (1..=4).contains(&q) => (y, 3 * q - 2, 3),
            Self::Year(y) => (y, 1, 12),
            _ => {
                return Err(refuse(
                    "period_invalid",
                    "a month is 1–12 and a quarter 1–4",
                    "月份应为 1–12，季度应为 1–4",
                ));
            }
        };
        let start = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(year_out_of_range)?;
        let end = start
            .checked_add_months(chrono::Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(year_out_of_range)?;
        Ok((start, end))
    }

    /// `monthly`, `quarterly` or `annual`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Month(..) => "monthly",
            Self::Quarter(..) => "quarterly",
            Self::Year(_) => "annual",
        }
    }

    /// The Chinese title, e.g. `2025年第2季度 季调度`.
    pub fn title(self) -> String {
        match self {
            Self::Month(y, m) => format!("{y}年{m}月 双随机、一公开监管工作月通报"),
            Self::Quarter(y, q) => format!("{y}年第{q}季度 双随机、一公开监管工作季调度"),
            Self::Year(y) => format!("{y}年度 双随机、一公开监管工作年终考评"),
        }
    }
}

/// One row: a department, or the whole city (`department` = `全市`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportRow {
    /// Department code, or `全市`.
    pub department: String,
    /// Department name.
    pub name: String,
    /// Plans drawn in the period.
    pub plans_drawn: u64,
    /// Of which joint.
    pub joint_plans_drawn: u64,
    /// Joint share, percent (one decimal).
    pub joint_share_percent: f64,
    /// Drawn plans whose every item on every visit has a result.
    pub plans_executed: u64,
    /// Distinct entities drawn.
    pub entities_drawn: u64,
    /// Selections: entities drawn, counted once per plan.
    pub selections: u64,
    /// Visits (doors knocked).
    pub visits: u64,
    /// Selections − visits: doors saved by coordination (进一次门、查多项事).
    pub doors_saved: u64,
    /// Visits with a department short of certified inspectors.
    pub unstaffed_visits: u64,
    /// Item results whose check ended in the period (corrections not counted twice).
    pub results: u64,
    /// Of which a problem was found.
    pub problems_found: u64,
    /// Problem-found rate, percent (one decimal).
    pub problem_rate_percent: f64,
    /// Published by the due date.
    pub published_on_time: u64,
    /// Published after the due date.
    pub published_late: u64,
    /// Not published and past the due date.
    pub overdue_unpublished: u64,
    /// Out-of-plan inspections by reason.
    pub out_of_plan: BTreeMap<String, u64>,
    /// Out-of-plan inspections flagged to the Justice Bureau (reason 其他).
    pub out_of_plan_flagged: u64,
}

/// A report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `monthly`, `quarterly` or `annual`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Publication judged as of.
    pub as_of: NaiveDate,
    /// City-wide first, then each department, by code.
    pub rows: Vec<ReportRow>,
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// Builds a report for `period`, for one department or all (with the city row).
pub async fn build<S: WorkflowStore>(
    store: &S,
    period: Period,
    department: Option<&str>,
    today: NaiveDate,
) -> Result<Report> {
    let (start, end) = period.bounds()?;
    let as_of = today;
    let plans: HashMap<String, Plan> = store
        .list::<Plan>(None)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let rounds: Vec<Round> = crate::rounds::inspection_rounds(store)
        .await?
        .into_iter()
        .filter(|r| r.status != RoundStatus::Committed)
        .filter(|r| {
            r.drawn_at
                .is_some_and(|at| (start..=end).contains(&at.date_naive()))
        })
        .collect();
    let mut visits: Vec<Visit> = Vec::new();
    for round in &rounds {
        visits.extend(store.list::<Visit>(Some(("round", &round.id))).await?);
    }
    let results: Vec<InspectionResult> = store.list::<InspectionResult>(None).await?;
    let corrected: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r.corrects.as_deref())
        .collect();
    let current: Vec<&InspectionResult> = results
        .iter()
        .filter(|r| !corrected.contains(r.id.as_str()))
        .collect();
    let out_of_plan: Vec<OutOfPlan> = store
        .list::<OutOfPlan>(None)
        .await?
        .into_iter()
        .filter(|o| (start..=end).contains(&o.inspected_on))
        .collect();
    let names: HashMap<String, String> = store
        .departments()
        .await?
        .into_iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect();
    let mut codes: BTreeSet<String> = BTreeSet::new();
    for plan in plans.values() {
        codes.extend(plan.participants.iter().map(|p| p.department.clone()));
    }
    codes.extend(out_of_plan.iter().map(|o| o.department.clone()));
    let make = |code: Option<&str>, name: &str| {
        row(
            code,
            name,
            &plans,
            &visits,
            &current,
            &out_of_plan,
            start,
            end,
            as_of,
        )
    };
    let mut rows = Vec::new();
    if department.is_none() {
        rows.push(make(None, "全市"));
    }
    for code in codes
        .iter()
        .filter(|c| department.is_none_or(|d| d == c.as_str()))
    {
        let name = names.get(code).map_or(code.as_str(), String::as_str);
        rows.push(make(Some(code), name));
    }
    if let Some(code) = department
        && rows.is_empty()
    {
        rows.push(ReportRow {
            department: code.to_owned(),
            name: names.get(code).cloned().unwrap_or_default(),
            ..ReportRow::default()
        });
    }
    // The city's name heads the title once a city is set up (`jianguan setup`).
    let title = match store.city().await? {
        Some(city) => format!("{} {}", city.name, period.title()),
        None => period.title(),
    };
    Ok(Report {
        kind: period.kind().to_owned(),
        title,
        start,
        end,
        as_of,
        rows,
    })
}

#[allow(clippy::too_many_arguments)]
fn row(
    department: Option<&str>,
    name: &str,
    plans: &HashMap<String, Plan>,
    visits: &[Visit],
    results: &[&InspectionResult],
    out_of_plan: &[OutOfPlan],
    start: NaiveDate,
    end: NaiveDate,
    as_of: NaiveDate,
) -> ReportRow {
    let involves = |plan: &Plan| {
        department.is_none_or(|d| plan.participants.iter().any(|p| p.department == d))
    };
    let mut row = ReportRow {
        department: department.unwrap_or("全市").to_owned(),
        name: name.to_owned(),
        ..ReportRow::default()
    };
    let mut drawn: BTreeSet<&str> = BTreeSet::new();
    let mut entities: BTreeSet<&str> = BTreeSet::new();
    let results_by_id: HashMap<&str, &&InspectionResult> =
        results.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut incomplete: BTreeSet<&str> = BTreeSet::new();
    for visit in visits {
        let mine: Vec<&str> = visit
            .plans
            .iter()
            .filter(|id| plans.get(id.as_str()).is_some_and(&involves))
            .map(String::as_str)
            .collect();
        if mine.is_empty() {
            continue;
        }
        row.visits += 1;
        row.selections += mine.len() as u64;
        entities.insert(&visit.entity);
        drawn.extend(&mine);
        if visit
            .teams
            .iter()
            .any(|t| t.unstaffed && department.is_none_or(|d| d == t.department))
        {
            row.unstaffed_visits += 1;
        }
        for item in visit
            .items
            .iter()
            .filter(|i| mine.contains(&i.plan.as_str()))
        {
            let id = super::results::result_id(&visit.id, &item.plan, &item.department, &item.item);
            if !results_by_id.contains_key(id.as_str()) {
                incomplete.insert(plans.get(&item.plan).map_or("", |p| p.id.as_str()));
            }
        }
    }
    row.plans_drawn = drawn.len() as u64;
    row.joint_plans_drawn = drawn
        .iter()
        .filter(|id| plans.get(**id).is_some_and(|p| p.kind == PlanKind::Joint))
        .count() as u64;
    row.joint_share_percent = percent(row.joint_plans_drawn, row.plans_drawn);
    row.plans_executed = drawn.iter().filter(|id| !incomplete.contains(**id)).count() as u64;
    row.entities_drawn = entities.len() as u64;
    row.doors_saved = row.selections.saturating_sub(row.visits);
    for result in results
        .iter()
        .filter(|r| department.is_none_or(|d| d == r.department))
        .filter(|r| (start..=end).contains(&r.check_end))
    {
        row.results += 1;
        if result.category.problem_found() {
            row.problems_found += 1;
        }
        match (result.status, result.published_on) {
            (ResultStatus::Published, Some(on)) if on <= as_of => {
                if on > result.publish_due {
                    row.published_late += 1;
                } else {
                    row.published_on_time += 1;
                }
            }
            _ if as_of > result.publish_due => row.overdue_unpublished += 1,
            _ => {}
        }
    }
    row.problem_rate_percent = percent(row.problems_found, row.results);
    for reason in OutOfPlanReason::ALL {
        row.out_of_plan.insert(reason.as_str().to_owned(), 0);
    }
    for inspection in out_of_plan
        .iter()
        .filter(|o| department.is_none_or(|d| d == o.department))
    {
        *row.out_of_plan
            .entry(inspection.reason.as_str().to_owned())
            .or_default() += 1;
        if inspection.flagged {
            row.out_of_plan_flagged += 1;
        }
    }
    row
}

/// Column headers of the XLSX report, in row order.
const HEADERS: [&str; 20] = [
    "部门代码",
    "部门名称",
    "抽查计划数",
    "联合抽查计划数",
    "联合抽查占比(%)",
    "已完成计划数",
    "抽查主体数",
    "抽中次数",
    "实际检查户次",
    "减少入企户次",
    "未配齐人员户次",
    "检查结果数",
    "发现问题数",
    "问题发现率(%)",
    "按时公示数",
    "逾期公示数",
    "逾期未公示数",
    "计划外检查:投诉举报",
    "计划外检查:上级交办/涉安涉危",
    "计划外检查:其他(已提示督促整改)",
];

/// Writes the report as XLSX (one sheet; the title in the first row, the
/// watermark's text in the third), marked with `watermark`.
pub fn write_xlsx(
    report: &Report,
    path: &Path,
    watermark: &files::watermark::Watermark,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("报表")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet.write_string_with_format(0, 0, &report.title, &bold)?;
    sheet.write_string(
        1,
        0,
        format!(
            "统计期间 {} 至 {}；公示情况截至 {}",
            report.start, report.end, report.as_of
        ),
    )?;
    let grey = rust_xlsxwriter::Format::new()
        .set_font_color("#667085")
        .set_italic();
    sheet.write_string_with_format(2, 0, format!("导出人 {}", watermark.text()), &grey)?;
    for (column, header) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(3, column as u16, *header, &bold)?;
    }
    for (index, r) in report.rows.iter().enumerate() {
        let line = 4 + index as u32;
        let reason = |name: &str| r.out_of_plan.get(name).copied().unwrap_or(0) as f64;
        sheet.write_string(line, 0, &r.department)?;
        sheet.write_string(line, 1, &r.name)?;
        let numbers = [
            r.plans_drawn as f64,
            r.joint_plans_drawn as f64,
            r.joint_share_percent,
            r.plans_executed as f64,
            r.entities_drawn as f64,
            r.selections as f64,
            r.visits as f64,
            r.doors_saved as f64,
            r.unstaffed_visits as f64,
            r.results as f64,
            r.problems_found as f64,
            r.problem_rate_percent,
            r.published_on_time as f64,
            r.published_late as f64,
            r.overdue_unpublished as f64,
            reason("投诉举报"),
            reason("上级交办") + reason("涉安涉危"),
            reason("其他"),
        ];
        for (offset, value) in numbers.iter().enumerate() {
            sheet.write_number(line, 2 + offset as u16, *value)?;
        }
    }
    sheet.autofit();
    watermark.save(&mut book, path)
}

/// The month of a date, for callers that pick "this month".
pub fn month_of(date: NaiveDate) -> Period {
    Period::Month(date.year(), date.month())
}

fn year_out_of_range() -> super::WorkflowError {
    refuse("period_invalid", "year out of range", "年度超出范围")
}
