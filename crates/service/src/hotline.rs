//! 12345 hotline work orders: intake, the steps of the life cycle (each a
//! ledger entry), complaints that open out-of-plan inspections, automatic
//! 督办, the overdue list, KPIs and the batch import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use rust_xlsxwriter::{Workbook, XlsxError};
use serde::Serialize;

use super::{Refusal, Result, existing, refuse};
use domain::hotline::{
    Actor, Escalation, HotlineRules, Intake, OrderAction, OrderEvent, OrderStatus, Refused,
    WorkOrder, WorkingDays, beijing,
};
use domain::inspection::{OutOfPlan, OutOfPlanReason};
use files::hotline::{OrderRow, read_orders};
use files::watermark::Watermark;
use files::{ImportError, Outcome};
use storage::hotline::{DueRow, HotlineStore, KpiRange, OrderFilter};
use storage::{Change, Store, WorkflowStore};

/// Who takes a step: the centre, or a department on its own orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    /// The 12345 centre (受理、派单、审批、督办、回访、办结).
    Centre,
    /// A department (签收、办理、答复、退单、延期申请), by code.
    Department(String),
}

impl From<Refused> for super::WorkflowError {
    fn from(refusal: Refused) -> Self {
        Self::Refused(refusal.0)
    }
}

/// The department code `text` names (code or name), if one of the city's.
async fn department_code<S: Store>(store: &S, text: &str) -> Result<Option<String>> {
    let text = text.trim();
    Ok(store
        .departments()
        .await?
        .iter()
        .find(|d| d.is_named(text))
        .map(|d| d.code().as_str().to_owned()))
}

/// The code of the active department `text` names (code or name); refused
/// when it is not in the directory or deactivated.
async fn active_department_code<S: Store>(store: &S, text: &str) -> Result<String> {
    let trimmed = text.trim();
    let found = store
        .departments()
        .await?
        .into_iter()
        .find(|d| d.is_named(trimmed));
    match found {
        None => Err(unknown_department(text)),
        Some(d) if !d.is_active() => Err(refuse(
            "department_deactivated",
            format!("department {} ({}) is deactivated", d.code(), d.name()),
            format!("{}（{}）已停用。工单未作改动。", d.name(), d.code()),
        )),
        Some(d) => Ok(d.code().as_str().to_owned()),
    }
}

/// The next free order number of `day`: `GD-YYYYMMDD-NNNN`.
async fn next_order_id<S: HotlineStore>(store: &S, day: NaiveDate) -> Result<String> {
    let taken = store
        .hotline_order_count(&OrderFilter {
            from: Some(day),
            to: Some(day),
            ..OrderFilter::default()
        })
        .await?;
    Ok(format!("GD-{}-{:04}", day.format("%Y%m%d"), taken + 1))
}

/// Takes in a new order (受理). An empty id is numbered `GD-YYYYMMDD-NNNN`.
/// The enterprise, if given, must be a valid 统一社会信用代码.
pub async fn intake<S: WorkflowStore + HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    mut intake: Intake,
    actor: &str,
) -> Result<WorkOrder> {
    if intake.id.trim().is_empty() {
        intake.id = next_order_id(
            store,
            intake.received_at.with_timezone(&beijing()).date_naive(),
        )
        .await?;
    }
    intake.entity = match intake.entity.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let (code, _) = domain::Uscc::parse_lenient(text).map_err(|e| {
                Refusal::new(
                    "invalid_entity",
                    format!("the enterprise's 统一社会信用代码 {text:?}: {e}"),
                    format!(
                        "涉及主体的统一社会信用代码“{text}”有误：{}。工单未作改动。",
                        e.reason_zh()
                    ),
                )
                .on("enterprise")
            })?;
            Some(code.as_str().to_owned())
        }
    };
    if store.get::<WorkOrder>(&intake.id).await?.is_some() {
        return Err(Refusal::new(
            "order_exists",
            format!("work order {} already exists", intake.id),
            format!("工单编号 {} 已存在。工单未作改动。", intake.id),
        )
        .on("id")
        .into());
    }
    let order = WorkOrder::new(intake, rules, calendar, actor)?;
    let change = Change::new(
        order.received_at,
        actor,
        "hotline.received",
        format!("{} {}", order.channel, order.category),
    );
    store.replace_work_order(&order, 0, &change, None).await?;
    Ok(order)
}

/// The ledger action of a full caller's number shown to the operator calling back.
pub const CALLER_REVEALED: &str = "hotline.caller_revealed";

/// Shows the caller's full number to the operator who calls back (回访):
/// only while the order waits for the callback (答复 given, not yet 回访),
/// and never silently: the reveal is a ledger entry on the order (who,
/// which order, when), which the order itself does not record. Answers the
/// number.
pub async fn reveal_caller<S: WorkflowStore + HotlineStore>(
    store: &S,
    id: &str,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<String> {
    let order = existing::<S, WorkOrder>(store, id).await?;
    if order.status != OrderStatus::Replied {
        return Err(refuse(
            "order_status",
            format!(
                "the full number of work order {id} is shown only for the callback (回访); it is {}",
                order.status
            ),
            format!(
                "只有待回访（已答复）的工单才能显示完整来电号码；工单 {id} 当前为“{}”",
                order.status
            ),
        ));
    }
    if order.caller.phone.trim().is_empty() {
        return Err(refuse(
            "no_caller_phone",
            format!("work order {id} has no caller's number"),
            format!("工单 {id} 没有来电号码"),
        ));
    }
    store
        .replace_work_order(
            &order,
            order.events.len(),
            &Change::new(at, actor, CALLER_REVEALED, "回访时显示完整来电号码"),
            None,
        )
        .await?;
    Ok(order.caller.phone)
}

/// Takes one step on order `id` as `party`: refused (nothing changes) when the
/// step does not fit the order's state, or the party may not take it.
#[allow(clippy::too_many_arguments)]
pub async fn act<S: WorkflowStore + HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    id: &str,
    action: OrderAction,
    party: &Party,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<WorkOrder> {
    let order = existing::<S, WorkOrder>(store, id).await?;
    check_party(&order, &action, party)?;
    let action = match action {
        OrderAction::Dispatch { department } => {
            let code = active_department_code(store, &department).await?;
            OrderAction::Dispatch { department: code }
        }
        other => other,
    };
    let next = order.apply(&action, at, actor, rules, calendar)?;
    let detail = next
        .events
        .last()
        .map(|e| e.detail.clone())
        .unwrap_or_default();
    store
        .replace_work_order(
            &next,
            order.events.len(),
            &Change::new(at, actor, action.code(), detail),
            None,
        )
        .await?;
    Ok(next)
}

fn check_party(order: &WorkOrder, action: &OrderAction, party: &Party) -> Result<()> {
    match (action.actor(), party) {
        (Actor::Centre, Party::Department(_)) => Err(refuse(
            "wrong_party",
            format!(
                "{} is the 12345 centre's step, not a department's",
                action.label()
            ),
            format!(
                "“{}”由 12345 中心办理，部门不能办理。工单未作改动。",
                action.label()
            ),
        )),
        (Actor::Department, Party::Centre) => Err(refuse(
            "wrong_party",
            format!(
                "{} is the department's step: the department the order is dispatched to takes it",
                action.label()
            ),
            format!("“{}”由承办部门办理。工单未作改动。", action.label()),
        )),
        (Actor::Department | Actor::Either, Party::Department(code))
            if order.department.as_deref() != Some(code) =>
        {
            Err(super::WorkflowError::NotFound {
                what: "work order",
                id: order.id.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// What opening an inspection from a complaint takes.
#[derive(Debug, Clone)]
pub struct ComplaintInspection {
    /// The inspection's id; empty: the department's next `…-JWJ-YYYY-NNNN`.
    pub id: String,
    /// The inspecting department (code).
    pub department: String,
    /// What was found, in words.
    pub detail: String,
    /// Date inspected.
    pub inspected_on: NaiveDate,
    /// Inspectors' certificate numbers (at least 2).
    pub inspectors: Vec<String>,
}

/// Opens an out-of-plan inspection (reason 投诉举报) of the enterprise a
/// complaint names, linked both ways: the inspection names the order, the
/// order lists the inspection. Both are written in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn open_inspection<S: WorkflowStore + HotlineStore>(
    store: &S,
    order_id: &str,
    inspection: ComplaintInspection,
    party: &Party,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<(WorkOrder, OutOfPlan)> {
    let order = existing::<S, WorkOrder>(store, order_id).await?;
    let Some(entity) = order.entity.clone() else {
        return Err(refuse(
            "no_enterprise",
            format!(
                "work order {order_id} names no enterprise (统一社会信用代码): there is nothing to inspect"
            ),
            format!(
                "工单 {order_id} 未填写涉及主体的统一社会信用代码，不能转立案检查。工单未作改动。"
            ),
        ));
    };
    let department = active_department_code(store, &inspection.department).await?;
    if let Party::Department(code) = party {
        if *code != department {
            return Err(refuse(
                "wrong_party",
                "a department opens inspections of its own only",
                "部门只能对派给本部门的工单转立案检查。工单未作改动。",
            ));
        }
        check_party(
            &order,
            &OrderAction::LinkInspection {
                inspection: String::new(),
            },
            party,
        )?;
    }
    let id = match inspection.id.trim() {
        "" => {
            super::results::next_out_of_plan_id(store, &department, inspection.inspected_on.year())
                .await?
        }
        id => id.to_owned(),
    };
    if store.get::<OutOfPlan>(&id).await?.is_some() {
        return Err(refuse(
            "inspection_exists",
            format!("out-of-plan inspection {id} already exists"),
            format!("计划外检查编号 {id} 已存在。工单未作改动。"),
        ));
    }
    let record = super::results::out_of_plan_record(
        store,
        &id,
        &entity,
        &department,
        OutOfPlanReason::Complaint,
        &inspection.detail,
        Some(order.id.clone()),
        inspection.inspected_on,
        inspection.inspectors,
        at,
        actor,
    )
    .await?;
    let rules = HotlineRules::default();
    let next = order.apply(
        &OrderAction::LinkInspection {
            inspection: id.clone(),
        },
        at,
        actor,
        &rules,
        &NoDays,
    )?;
    let change = Change::new(at, actor, "hotline.inspection_linked", id);
    store
        .replace_work_order(
            &next,
            order.events.len(),
            &change,
            Some((&record, &super::results::out_of_plan_change(&record))),
        )
        .await?;
    Ok((next, record))
}

/// Linking asks no calendar question.
struct NoDays;

impl WorkingDays for NoDays {
    fn last_day(&self, start: NaiveDate, _n: u32) -> Result<NaiveDate, Refused> {
        Ok(start)
    }
    fn between(&self, _a: NaiveDate, _b: NaiveDate) -> Result<i64, Refused> {
        Ok(0)
    }
}

/// The automatic 督办 sweep: raises every open order past a deadline to the
/// level the rules call for on `as_of` (one ledger entry each). Returns the
/// orders raised.
pub async fn escalate_overdue<S: WorkflowStore + HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    as_of: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Vec<WorkOrder>> {
    let today = as_of.with_timezone(&beijing()).date_naive();
    let rows = store.hotline_due(None, as_of, today).await?;
    let mut raised = Vec::new();
    for row in rows {
        let Some(order) = store.get::<WorkOrder>(&row.id).await? else {
            continue;
        };
        let Some(level) = order.due_escalation(today, rules, calendar)? else {
            continue;
        };
        if order.escalation.is_some_and(|current| current >= level) {
            continue;
        }
        let note = if level == Escalation::Red {
            format!(
                "办结时限 {} 已超过 {} 个工作日，自动红牌督办",
                order.close_due, rules.red_after_days
            )
        } else if order.signed_at.is_none() && today > order.sign_due {
            format!("签收时限 {} 已过，自动黄牌督办", order.sign_due)
        } else {
            format!("办结时限 {} 已过，自动黄牌督办", order.close_due)
        };
        let action = OrderAction::Escalate { level, note };
        let at = as_of.max(order.events.last().map_or(order.received_at, |e| e.at));
        let next = order.apply(&action, at, actor, rules, calendar)?;
        let detail = next
            .events
            .last()
            .map(|e| e.detail.clone())
            .unwrap_or_default();
        store
            .replace_work_order(
                &next,
                order.events.len(),
                &Change::new(at, actor, action.code(), detail),
                None,
            )
            .await?;
        raised.push(next);
    }
    Ok(raised)
}

/// An order open at `as_of` that is overdue or about to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueOrder {
    /// 工单编号.
    pub id: String,
    /// Department code (none: not yet dispatched).
    pub department: Option<String>,
    /// 问题类型.
    pub category: String,
    /// 难度.
    pub difficulty: String,
    /// Status.
    pub status: String,
    /// 受理时间.
    pub received_at: String,
    /// 签收时限 (last day).
    pub sign_due: String,
    /// 办结时限 (last day).
    pub close_due: String,
    /// 督办 level.
    pub escalation: Option<String>,
    /// Unsigned past the sign deadline.
    pub sign_overdue: bool,
    /// Open past the closing deadline.
    pub close_overdue: bool,
    /// Not overdue yet, but a deadline falls within the warning window.
    pub due_soon: bool,
    /// The deadlines rest on a provisional calendar year (暂定).
    pub provisional: bool,
}

/// Orders open at `as_of` (in `department`, if given) that are past a
/// deadline or whose deadline falls within the next `due_soon_days` working
/// days; overdue first, then by closing deadline.
pub async fn due<S: HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    department: Option<&str>,
    as_of: DateTime<FixedOffset>,
) -> Result<Vec<DueOrder>> {
    let today = as_of.with_timezone(&beijing()).date_naive();
    let soon = calendar.last_day(today, rules.due_soon_days)?;
    let today_text = today.to_string();
    let mut orders: Vec<DueOrder> = store
        .hotline_due(department, as_of, soon)
        .await?
        .into_iter()
        .map(|row: DueRow| {
            let sign_overdue =
                row.department.is_some() && row.signed_at.is_none() && row.sign_due < today_text;
            let close_overdue = row.close_due < today_text;
            DueOrder {
                provisional: super::calendar::text_span_provisional(
                    calendar,
                    &row.received_at,
                    &row.close_due,
                ),
                due_soon: !sign_overdue && !close_overdue,
                sign_overdue,
                close_overdue,
                id: row.id,
                department: row.department,
                category: row.category,
                difficulty: row.difficulty,
                status: row.status,
                received_at: row.received_at,
                sign_due: row.sign_due,
                close_due: row.close_due,
                escalation: row.escalation,
            }
        })
        .collect();
    orders.sort_by(|a, b| {
        a.due_soon
            .cmp(&b.due_soon)
            .then_with(|| a.close_due.cmp(&b.close_due))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(orders)
}

/// A KPI report's period and scope.
#[derive(Debug, Clone)]
pub struct KpiQuery {
    /// First day of receipt.
    pub from: NaiveDate,
    /// Last day of receipt.
    pub to: NaiveDate,
    /// One department (code or name).
    pub department: Option<String>,
    /// "Now": steps after it have not happened yet.
    pub as_of: DateTime<FixedOffset>,
}

/// The counts behind the rates, with the rates.
pub use storage::hotline::KpiCounts as Kpi;

pub use domain::hotline::KpiSummary;

/// One department's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentKpi {
    /// Code (empty: orders not yet dispatched).
    pub code: String,
    /// Name.
    pub name: String,
    /// Figures.
    pub kpi: Kpi,
}

/// Orders per channel or category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// Channel number or category.
    pub key: String,
    /// Channel name (the category again for categories).
    pub name: String,
    /// Orders.
    pub orders: u64,
}

/// A KPI report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// As of.
    pub as_of: DateTime<FixedOffset>,
    /// The department asked for, if one.
    pub department: Option<String>,
    /// All orders of the scope.
    pub city: Kpi,
    /// Per department, by code.
    pub departments: Vec<DepartmentKpi>,
    /// Per channel, most orders first.
    pub channels: Vec<Volume>,
    /// Per category, most orders first.
    pub categories: Vec<Volume>,
}

/// The KPI report of a period: city-wide (or one department's) and per department.
pub async fn kpi<S: Store + HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    query: KpiQuery,
) -> Result<KpiReport> {
    if query.to < query.from {
        return Err(refuse(
            "date_order",
            format!(
                "the period ends ({}) before it starts ({})",
                query.to, query.from
            ),
            format!(
                "统计期间的结束日期 {} 早于开始日期 {}",
                query.to, query.from
            ),
        ));
    }
    let department = match &query.department {
        Some(text) => Some(
            department_code(store, text)
                .await?
                .ok_or_else(|| unknown_department(text))?,
        ),
        None => None,
    };
    let rows = store
        .hotline_kpi_rows(&KpiRange {
            from: query.from,
            to: query.to,
            as_of: query.as_of,
            department: department.clone(),
        })
        .await?;
    let names: BTreeMap<String, String> = store
        .departments()
        .await?
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect();
    let mut city = Kpi::default();
    let mut by_department: BTreeMap<String, Kpi> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_category: BTreeMap<String, u64> = BTreeMap::new();
    for row in &rows {
        city.add(&row.counts);
        by_department
            .entry(row.department.clone().unwrap_or_default())
            .or_default()
            .add(&row.counts);
        *by_channel.entry(row.channel.clone()).or_default() += row.counts.orders;
        *by_category.entry(row.category.clone()).or_default() += row.counts.orders;
    }
    let departments = by_department
        .into_iter()
        .map(|(code, kpi)| DepartmentKpi {
            name: if code.is_empty() {
                "未派单".to_owned()
            } else {
                names.get(&code).cloned().unwrap_or_else(|| code.clone())
            },
            code,
            kpi,
        })
        .collect();
    let channel_name = |number: &str| {
        rules
            .channels
            .iter()
            .find(|c| c.number == number)
            .map_or_else(|| number.to_owned(), |c| c.name.clone())
    };
    let volumes = |map: BTreeMap<String, u64>, name: &dyn Fn(&str) -> String| {
        let mut list: Vec<Volume> = map
            .into_iter()
            .map(|(key, orders)| Volume {
                name: name(&key),
                key,
                orders,
            })
            .collect();
        list.sort_by(|a, b| b.orders.cmp(&a.orders).then_with(|| a.key.cmp(&b.key)));
        list
    };
    Ok(KpiReport {
        from: query.from,
        to: query.to,
        as_of: query.as_of,
        department,
        city,
        departments,
        channels: volumes(by_channel, &channel_name),
        categories: volumes(by_category, &|c: &str| c.to_owned()),
    })
}

fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.2}%", r * 100.0))
}

/// Writes `report` as a watermarked XLSX: the figures per department, and
/// the volumes by channel and category.
pub fn kpi_xlsx(
    report: &KpiReport,
    watermark: &Watermark,
    path: &Path,
) -> std::result::Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("考核指标")?;
    sheet.write_string(
        0,
        0,
        format!(
            "12345热线工单考核指标 {} 至 {}（截至 {}）",
            report.from,
            report.to,
            report.as_of.format("%Y-%m-%d %H:%M")
        ),
    )?;
    let headers = [
        "部门代码",
        "部门",
        "工单量",
        "及时签收",
        "签收考核量",
        "及时签收率",
        "按时办结",
        "办结考核量",
        "按时办结率",
        "满意及基本满意",
        "回访量",
        "满意率",
        "已办结",
        "平均办结工作日",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(2, col as u16, *header)?;
    }
    let city = DepartmentKpi {
        code: String::new(),
        name: "合计".to_owned(),
        kpi: report.city,
    };
    for (index, line) in report
        .departments
        .iter()
        .chain(std::iter::once(&city))
        .enumerate()
    {
        let row = 3 + index as u32;
        let k = &line.kpi;
        sheet.write_string(row, 0, &line.code)?;
        sheet.write_string(row, 1, &line.name)?;
        let counts = [k.orders, k.signed_on_time, k.sign_counted];
        for (offset, value) in counts.iter().enumerate() {
            sheet.write_number(row, 2 + offset as u16, *value as f64)?;
        }
        sheet.write_string(row, 5, rate_text(k.sign_rate()))?;
        sheet.write_number(row, 6, k.closed_on_time as f64)?;
        sheet.write_number(row, 7, k.close_counted as f64)?;
        sheet.write_string(row, 8, rate_text(k.close_rate()))?;
        sheet.write_number(row, 9, k.satisfied as f64)?;
        sheet.write_number(row, 10, k.rated as f64)?;
        sheet.write_string(row, 11, rate_text(k.satisfaction_rate()))?;
        sheet.write_number(row, 12, k.closed as f64)?;
        match k.avg_close_working_days() {
            Some(days) => sheet.write_number(row, 13, days)?,
            None => sheet.write_string(row, 13, "—")?,
        };
    }
    sheet.set_column_width(1, 24)?;
    for (name, volumes, label) in [
        ("来源渠道", &report.channels, "渠道"),
        ("问题类型", &report.categories, "问题类型"),
    ] {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        sheet.write_string(0, 0, label)?;
        sheet.write_string(0, 1, "名称")?;
        sheet.write_string(0, 2, "工单量")?;
        for (index, volume) in volumes.iter().enumerate() {
            let row = 1 + index as u32;
            sheet.write_string(row, 0, &volume.key)?;
            sheet.write_string(row, 1, &volume.name)?;
            sheet.write_number(row, 2, volume.orders as f64)?;
        }
        sheet.set_column_width(1, 24)?;
    }
    watermark.save(&mut workbook, path)
}

/// What an import did.
#[derive(Debug)]
pub struct OrdersImport {
    /// Rows, inserts, updates and problems.
    pub outcome: Outcome,
    /// The file's SHA-256.
    pub sha256: String,
}

/// Imports a work-order file: new orders and orders whose row changed since
/// it was last imported are written, each with a ledger entry naming the file,
/// in one transaction; a row imported before is left alone, so re-running an
/// import changes nothing, even after steps were taken here. Unknown
/// departments are row errors. What the file does not carry (caller, content,
/// links, 督办, history) is kept from the stored order; see [`order_from_row`].
/// `strict_uscc` refuses pilot-pattern 统一社会信用代码 as well as mistyped ones.
#[allow(clippy::too_many_arguments)]
pub async fn import_orders<S: WorkflowStore + HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    path: &Path,
    strict_uscc: bool,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<OrdersImport, ImportError> {
    let (owned, owned_rules) = (path.to_owned(), rules.clone());
    let (sha256, file) = files::off_async(path, move || {
        let sha256 = super::credit::file_sha256(&owned).map_err(|source| {
            ImportError::Read(files::ReadError::Io {
                path: owned.display().to_string(),
                source,
            })
        })?;
        Ok((sha256, read_orders(&owned, &owned_rules, strict_uscc)?))
    })
    .await?;
    let mut outcome = file.outcome;
    let directory = store.departments().await?;
    let inactive: BTreeSet<String> = directory
        .iter()
        .filter(|d| !d.is_active())
        .map(|d| d.code().as_str().to_owned())
        .collect();
    let departments = department_lookup(&directory);
    let mut changed = Vec::new();
    for row in file.rows {
        let department = match row.department.as_str() {
            "" => None,
            text => match departments.get(text) {
                Some(code) => Some(code.clone()),
                None => {
                    outcome.errors.push(files::Problem {
                        row: row.row,
                        column: row.department_header.clone(),
                        value: text.to_owned(),
                        reason: "not in the department directory".into(),
                        reason_zh: "承办部门不在部门名录中".into(),
                    });
                    continue;
                }
            },
        };
        let stored = store
            .get::<WorkOrder>(&row.id)
            .await
            .map_err(ImportError::Store)?;
        let digest = row.digest();
        if stored
            .as_ref()
            .is_some_and(|s| s.import_digest.as_deref() == Some(digest.as_str()))
        {
            outcome.unchanged += 1;
            continue;
        }
        // A deactivated department takes no order it does not hold already.
        if let Some(code) = &department
            && inactive.contains(code)
            && stored.as_ref().and_then(|s| s.department.as_ref()) != Some(code)
        {
            outcome.errors.push(files::Problem {
                row: row.row,
                column: row.department_header.clone(),
                value: row.department.clone(),
                reason: format!("department {code} is deactivated"),
                reason_zh: format!("承办部门 {code} 已停用"),
            });
            continue;
        }
        let order = match order_from_row(
            &row,
            department,
            stored.as_ref(),
            rules,
            calendar,
            actor,
            at,
        ) {
            Ok(mut order) => {
                order.import_digest = Some(digest);
                order
            }
            Err(refusal) => {
                outcome.errors.push(files::Problem {
                    row: row.row,
                    column: String::new(),
                    value: row.id.clone(),
                    reason: refusal.0.english().to_owned(),
                    reason_zh: format!(
                        "该行无法导入：{}",
                        refusal.0.chinese().trim_end_matches("工单未作改动。")
                    ),
                });
                continue;
            }
        };
        if stored.is_some() {
            outcome.updated += 1;
        } else {
            outcome.inserted += 1;
        }
        changed.push(order);
    }
    outcome.errors.sort_by_key(|p| p.row);
    if !changed.is_empty() {
        let source = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let detail = format!("{source} (SHA-256 {sha256})");
        store
            .put(
                &changed,
                &Change::new(at, actor, "hotline.imported", detail),
            )
            .await?;
    }
    Ok(OrdersImport { outcome, sha256 })
}

/// Each department's code, name and short name, to its code: how a file may
/// name a department.
pub(crate) fn department_lookup(directory: &[domain::Department]) -> BTreeMap<String, String> {
    directory
        .iter()
        .flat_map(|d| {
            let code = d.code().as_str().to_owned();
            let short_name = d.short_name().map(|short| (short.to_owned(), code.clone()));
            [(code.clone(), code.clone()), (d.name().to_owned(), code)]
                .into_iter()
                .chain(short_name)
        })
        .collect()
}

/// The order a file row describes. A stored order takes the row's facts
/// over its own where the row has them; an empty cell ("not yet") keeps what
/// the order already has, and the order never goes back in its life cycle, so
/// a step taken here survives an older export.
fn order_from_row(
    row: &OrderRow,
    department: Option<String>,
    stored: Option<&WorkOrder>,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WorkOrder, Refused> {
    let intake = Intake {
        id: row.id.clone(),
        channel: row.channel.clone(),
        received_at: row.received_at,
        caller: stored.map(|s| s.caller.clone()).unwrap_or_default(),
        content: stored.map(|s| s.content.clone()).unwrap_or_default(),
        category: row.category.clone(),
        location: stored.map(|s| s.location.clone()).unwrap_or_default(),
        entity: row
            .entity
            .clone()
            .or_else(|| stored.and_then(|s| s.entity.clone())),
        difficulty: row.difficulty,
    };
    let fresh = WorkOrder::new(intake, rules, calendar, actor)?;
    let mut order = match stored {
        Some(stored) => {
            let mut order = stored.clone();
            if order.received_on() != fresh.received_on() {
                order.sign_clock_from = fresh.sign_clock_from;
                order.close_clock_from = fresh.close_clock_from;
            }
            order.channel = fresh.channel;
            order.received_at = fresh.received_at;
            order.category = fresh.category;
            order.difficulty = fresh.difficulty;
            order.entity = fresh.entity;
            order
        }
        None => fresh,
    };
    let before = stored.map(|s| s.status);
    if department.is_some() {
        order.department = department;
    }
    order.signed_at = row
        .signed_at
        .map(|t| t.with_timezone(&beijing()))
        .or(order.signed_at);
    order.closed_at = row
        .closed_at
        .map(|t| t.with_timezone(&beijing()))
        .or(order.closed_at);
    order.rating = row.rating.or(order.rating);
    order.extension_days = order.extension_days.max(row.extension_days);
    order.recompute_deadlines(rules, calendar)?;
    order.close_working_days = match order.closed_at {
        Some(closed) => Some(
            u32::try_from(
                calendar
                    .between(order.received_on(), closed.date_naive())?
                    .max(0),
            )
            .unwrap_or(0),
        ),
        None => None,
    };
    let from_facts = match (
        &order.department,
        order.signed_at,
        order.rating,
        order.closed_at,
    ) {
        (_, _, _, Some(_)) => OrderStatus::Closed,
        (_, Some(_), Some(_), None) => OrderStatus::Visited,
        (_, Some(_), None, None) => OrderStatus::Signed,
        (Some(_), None, _, _) => OrderStatus::Dispatched,
        (None, None, _, _) => OrderStatus::Received,
    };
    order.status = before.map_or(from_facts, |b| b.max(from_facts));
    if stored.is_some() {
        order.events.push(OrderEvent {
            at,
            actor: actor.to_owned(),
            action: "导入更新".to_owned(),
            detail: String::new(),
        });
    } else {
        order.events = imported_events(&order, actor);
    }
    Ok(order)
}

/// The history a new imported order shows: the steps the file dates.
fn imported_events(order: &WorkOrder, actor: &str) -> Vec<OrderEvent> {
    let event = |at, action: &str, detail: String| OrderEvent {
        at,
        actor: actor.to_owned(),
        action: action.to_owned(),
        detail,
    };
    let mut events = vec![event(
        order.received_at,
        "受理",
        format!("{} {}（导入）", order.channel, order.category),
    )];
    if let Some(department) = &order.department {
        events.push(event(
            order.received_at,
            "派单",
            format!("派至 {department}"),
        ));
    }
    if let Some(signed) = order.signed_at {
        events.push(event(signed, "签收", String::new()));
    }
    if order.extension_days > 0 {
        events.push(event(
            order.signed_at.unwrap_or(order.received_at),
            "延期批准",
            format!("{} 个工作日", order.extension_days),
        ));
    }
    if let Some(rating) = order.rating {
        events.push(event(
            order
                .closed_at
                .or(order.signed_at)
                .unwrap_or(order.received_at),
            "回访",
            rating.as_str().to_owned(),
        ));
    }
    if let Some(closed) = order.closed_at {
        events.push(event(closed, "办结", String::new()));
    }
    events
}

fn unknown_department(text: &str) -> super::WorkflowError {
    Refusal::new(
        "department_unknown",
        format!("department {text:?} is not in the department directory"),
        format!("部门“{text}”不在部门名录中。工单未作改动。"),
    )
    .on("department")
    .into()
}
