//! The 12345 hotline as the staff pages and the API both do it: who sees
//! which orders, listing, intake, steps, inspections, due lists and KPIs.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::query::present;
use domain::account::{Account, Permission, Role};
use domain::hotline::{
    Actor, Caller, Difficulty, Escalation, HotlineRules, Intake, OrderAction, OrderStatus, Rating,
    WorkOrder, parse_time,
};
use domain::inspection::OutOfPlan;
use service::{self, hotline as flow};
use storage::WorkflowStore;
use storage::hotline::{HotlineStore, OrderFilter};

/// Orders per page of the list.
pub const PAGE_SIZE: u32 = 50;
/// Most orders the API lists at once.
pub const MAX_LIMIT: u32 = 500;

// ---------------------------------------------------------------------------
// Who may do what.

/// Whether `account` works at the 12345 centre (话务员): the only role that
/// finds orders by the caller's number and sees it whole, at the callback.
pub fn call_centre(account: &Account) -> bool {
    account.role == Role::HotlineOperator
}

/// Whether `account` reads 12345 work orders at all: the centre, city-wide
/// readers, and departments that handle orders (their own only).
pub fn may_read(account: &Account) -> bool {
    account.may(Permission::DispatchWorkOrders)
        || account.reads_all()
        || (account.may(Permission::HandleWorkOrders) && account.department.is_some())
}

/// The department `account` is confined to: `None` for the centre and the
/// city-wide readers, the own department for a handling department;
/// [`Error::Forbidden`] for the others.
pub fn scope(account: &Account) -> Result<Option<String>> {
    if account.may(Permission::DispatchWorkOrders) || account.reads_all() {
        Ok(None)
    } else if account.may(Permission::HandleWorkOrders) {
        account.department.clone().map(Some).ok_or(Error::Forbidden)
    } else {
        Err(Error::Forbidden)
    }
}

/// Whether `account` sees `order`.
pub fn sees(account: &Account, order: &WorkOrder) -> bool {
    match scope(account) {
        Ok(None) => true,
        Ok(Some(own)) => order.department.as_deref() == Some(own.as_str()),
        Err(_) => false,
    }
}

/// On whose behalf `account` acts on orders.
pub fn party(account: &Account) -> Result<flow::Party> {
    if account.may(Permission::DispatchWorkOrders) {
        Ok(flow::Party::Centre)
    } else if account.may(Permission::HandleWorkOrders) {
        account
            .department
            .clone()
            .map(flow::Party::Department)
            .ok_or(Error::Forbidden)
    } else {
        Err(Error::Forbidden)
    }
}

/// The order `id`, if `account` may see it (else 404, as if absent).
pub async fn visible_order(state: &AppState, account: &Account, id: &str) -> Result<WorkOrder> {
    if !may_read(account) {
        return Err(Error::Forbidden);
    }
    state
        .db
        .get::<WorkOrder>(id.trim())
        .await?
        .filter(|order| sees(account, order))
        .ok_or_else(|| Error::NotFound(format!("工单 {} 不存在 (no such work order)", id.trim())))
}

/// The hotline rules the server runs with.
pub fn rules(state: &AppState) -> &HotlineRules {
    &state.hotline
}

// ---------------------------------------------------------------------------
// Listing.

/// Filters of the list (page and API).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// Status (Chinese name or English code).
    pub status: Option<String>,
    /// Department code; `-` for orders not dispatched.
    pub department: Option<String>,
    /// Channel number.
    pub channel: Option<String>,
    /// `1`: only open orders past a deadline today.
    pub overdue: Option<String>,
    /// An enterprise (统一社会信用代码).
    pub entity: Option<String>,
    /// A part of the order number (工单编号).
    pub number: Option<String>,
    /// A part of the caller's telephone number: the 12345 centre only.
    pub phone: Option<String>,
    /// A word of the 问题类型 or the 诉求内容.
    pub keyword: Option<String>,
    /// Received on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Received on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Page, from 1.
    pub page: Option<u32>,
    /// API: orders per answer.
    pub limit: Option<u32>,
}

impl ListQuery {
    /// The storage filter `account` may ask for: a department sees only its own orders.
    pub fn filter(&self, account: &Account, today: NaiveDate) -> Result<OrderFilter> {
        let asked = present(&self.department).map(|d| {
            if d == "-" {
                String::new()
            } else {
                d.to_owned()
            }
        });
        let department = match scope(account)? {
            None => asked,
            Some(own) => match asked {
                Some(code) if code != own => return Err(Error::Forbidden),
                _ => Some(own),
            },
        };
        let phone = match present(&self.phone) {
            // The caller is confidential: only the centre finds orders by number.
            Some(_) if !call_centre(account) => return Err(Error::Forbidden),
            Some(phone) => {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                if digits.len() < 4 {
                    return Err(Error::BadRequest(format!(
                        "来电号码 {phone} 无效：请至少输入 4 位数字"
                    )));
                }
                Some(digits)
            }
            None => None,
        };
        let from = present(&self.from)
            .map(|d| date("受理日期（起）", d))
            .transpose()?;
        let to = present(&self.to)
            .map(|d| date("受理日期（止）", d))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(Error::BadRequest(format!(
                "受理日期（止）{to} 早于受理日期（起）{from}"
            )));
        }
        Ok(OrderFilter {
            number: present(&self.number).map(str::to_owned),
            phone,
            keyword: present(&self.keyword).map(str::to_owned),
            department,
            status: present(&self.status)
                .map(OrderStatus::parse)
                .transpose()?
                .map(|s| s.as_str().to_owned()),
            channel: present(&self.channel).map(str::to_owned),
            entity: present(&self.entity).map(|e| e.to_uppercase()),
            from,
            to,
            overdue_on: present(&self.overdue)
                .filter(|o| !matches!(*o, "0" | "false"))
                .map(|_| today),
        })
    }
}

/// One page of orders as `account` may see them, and how many match.
pub async fn list_orders(
    state: &AppState,
    account: &Account,
    query: &ListQuery,
    limit: u32,
) -> Result<(Vec<WorkOrder>, u64)> {
    let filter = query.filter(account, today())?;
    let page = query.page.unwrap_or(1).max(1);
    let offset = (page - 1).saturating_mul(limit);
    let orders = state.db.hotline_orders(&filter, limit, offset).await?;
    let total = state.db.hotline_order_count(&filter).await?;
    Ok((orders, total))
}

/// Today in China.
pub fn today() -> NaiveDate {
    service::now().date_naive()
}

/// An order as the API shows it: the caller masked.
pub fn order_json(order: &WorkOrder, calendar: &workcal::Calendar) -> Value {
    let mut value = serde_json::to_value(order).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.insert("caller".into(), json!(order.caller.masked()));
        map.insert(
            "deadline_provisional".into(),
            json!(service::calendar::order_provisional(calendar, order)),
        );
    }
    value
}

// ---------------------------------------------------------------------------
// Intake and actions.

/// Accepts a number or a numeric string (forms send strings, JSON numbers).
fn number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u32),
        Text(String),
    }
    match Option::<Either>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Either::Number(n)) => Ok(Some(n)),
        Some(Either::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Either::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{text} 不是工作日天数"))),
    }
}

/// What taking in an order (受理) takes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IntakeInput {
    /// 工单编号 (default: `RX` + date + sequence).
    #[serde(default)]
    pub id: Option<String>,
    /// Channel number (default 12345).
    #[serde(default)]
    pub channel: Option<String>,
    /// 受理时间 (default now).
    #[serde(default)]
    pub received_at: Option<String>,
    /// Caller's name.
    #[serde(default)]
    pub caller_name: String,
    /// Caller's telephone.
    #[serde(default)]
    pub caller_phone: String,
    /// What the caller said.
    #[serde(default)]
    pub content: String,
    /// 问题类型.
    pub category: String,
    /// Where.
    #[serde(default)]
    pub location: String,
    /// The enterprise concerned (统一社会信用代码), as chosen in the lookup.
    #[serde(default)]
    pub entity: Option<String>,
    /// The enterprise's 统一社会信用代码 as typed (pages: when not chosen by name).
    #[serde(default)]
    pub entity_code: Option<String>,
    /// 一般 or 疑难 (default 一般).
    #[serde(default)]
    pub difficulty: Option<String>,
    /// Dispatch at once to this department.
    #[serde(default)]
    pub department: Option<String>,
}

/// Takes in an order at the centre, and dispatches it at once if a department is named.
pub async fn intake(state: &AppState, user: &User, input: IntakeInput) -> Result<WorkOrder> {
    user.require(Permission::DispatchWorkOrders)?;
    let now = service::now();
    let received_at = match present(&input.received_at) {
        Some(text) => parse_time("received_at", text)?,
        None => now,
    };
    let entity = match (present(&input.entity), present(&input.entity_code)) {
        (Some(chosen), Some(typed)) if !chosen.eq_ignore_ascii_case(typed) => {
            return Err(Error::BadRequest(format!(
                "选择的涉及主体 {chosen} 与填写的统一社会信用代码 {typed} 不一致，请只保留一个"
            )));
        }
        (Some(chosen), _) => Some(chosen.to_owned()),
        (None, typed) => typed.map(str::to_owned),
    };
    let intake = Intake {
        id: present(&input.id).unwrap_or_default().to_owned(),
        channel: present(&input.channel).unwrap_or("12345").to_owned(),
        received_at,
        caller: Caller {
            name: input.caller_name.trim().to_owned(),
            phone: input.caller_phone.trim().to_owned(),
        },
        content: input.content,
        category: input.category,
        location: input.location,
        entity,
        difficulty: present(&input.difficulty)
            .map(Difficulty::parse)
            .transpose()?
            .unwrap_or(Difficulty::Ordinary),
    };
    let actor = user.actor();
    let order = flow::intake(
        &state.db,
        rules(state),
        &state.calendar.get(),
        intake,
        &actor,
    )
    .await
    .map_err(refusal)?;
    match present(&input.department) {
        Some(department) => {
            let action = OrderAction::Dispatch {
                department: department.to_owned(),
            };
            let at = service::now().max(order.received_at);
            Ok(flow::act(
                &state.db,
                rules(state),
                &state.calendar.get(),
                &order.id,
                action,
                &flow::Party::Centre,
                at,
                &actor,
            )
            .await
            .map_err(refusal)?)
        }
        None => Ok(order),
    }
}

/// One step on an order (page form and API body).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionInput {
    /// `dispatch`, `sign`, `handle`, `reply`, `return`, `request_extension`,
    /// `decide_extension`, `escalate`, `callback`, `close` or `reopen`.
    pub action: String,
    /// 派单: the department.
    #[serde(default)]
    pub department: Option<String>,
    /// The note, reply or reason.
    #[serde(default)]
    pub text: Option<String>,
    /// Working days (延期申请, 延期审批).
    #[serde(default, deserialize_with = "number")]
    pub days: Option<u32>,
    /// 延期审批: `1` approves, anything else rejects.
    #[serde(default)]
    pub approve: Option<String>,
    /// 督办: 黄牌 or 红牌.
    #[serde(default)]
    pub level: Option<String>,
    /// 回访: 满意, 基本满意 or 不满意.
    #[serde(default)]
    pub rating: Option<String>,
}

impl ActionInput {
    /// The workflow's action.
    pub fn action(&self) -> Result<OrderAction> {
        let text = self.text.clone().unwrap_or_default();
        let days = || {
            self.days
                .ok_or_else(|| Error::BadRequest("请填写工作日天数".into()))
        };
        Ok(match self.action.trim() {
            "dispatch" | "派单" => OrderAction::Dispatch {
                department: present(&self.department)
                    .ok_or_else(|| Error::BadRequest("请选择承办部门".into()))?
                    .to_owned(),
            },
            "sign" | "签收" => OrderAction::Sign,
            "handle" | "办理" => OrderAction::Handle { note: text },
            "reply" | "答复" => OrderAction::Reply { text },
            "return" | "退单" => OrderAction::Return { reason: text },
            "request_extension" | "延期申请" => OrderAction::RequestExtension {
                days: days()?,
                reason: text,
            },
            "decide_extension" | "延期审批" => {
                let approve = self
                    .approve
                    .as_deref()
                    .is_some_and(|a| matches!(a.trim(), "1" | "true" | "yes" | "on" | "approve"));
                OrderAction::DecideExtension {
                    approve,
                    days: if approve {
                        days()?
                    } else {
                        self.days.unwrap_or(0)
                    },
                    note: text,
                }
            }
            "escalate" | "督办" => OrderAction::Escalate {
                level: Escalation::parse(present(&self.level).unwrap_or("黄牌"))?,
                note: text,
            },
            "callback" | "回访" => OrderAction::Callback {
                rating: Rating::parse(
                    present(&self.rating)
                        .ok_or_else(|| Error::BadRequest("请选择回访结果".into()))?,
                )?,
                note: text,
            },
            "close" | "办结" => OrderAction::Close { note: text },
            "reopen" | "重办" => OrderAction::Reopen { reason: text },
            other => return Err(Error::BadRequest(format!("未知操作 {other}"))),
        })
    }
}

/// Takes one step on order `id` as `user`: a department only on its own
/// orders and only the department's steps, the centre only the centre's.
pub async fn act(
    state: &AppState,
    user: &User,
    id: &str,
    input: &ActionInput,
) -> Result<WorkOrder> {
    let account = user.account();
    let party = party(account)?;
    let order = visible_order(state, account, id).await?;
    let action = input.action()?;
    let allowed = matches!(
        (action.actor(), &party),
        (Actor::Centre, flow::Party::Centre)
            | (Actor::Department, flow::Party::Department(_))
            | (Actor::Either, _)
    );
    if !allowed {
        return Err(Error::Forbidden);
    }
    let at = service::now().max(order.events.last().map_or(order.received_at, |e| e.at));
    flow::act(
        &state.db,
        rules(state),
        &state.calendar.get(),
        &order.id,
        action,
        &party,
        at,
        &user.actor(),
    )
    .await
    .map_err(refusal)
}

/// A workflow refusal of a work-order step, in Chinese: the rules' refusals say
/// so themselves; any other error is told that the order was left unchanged.
pub fn refusal(error: service::WorkflowError) -> Error {
    let told = matches!(error, service::WorkflowError::Refused(_));
    match Error::from(error) {
        Error::Coded {
            status,
            code,
            message,
            field,
        } if !told => Error::Coded {
            status,
            code,
            message: format!("{message}。工单未作改动。"),
            field,
        },
        other => other,
    }
}

/// The caller's full number of order `id`, for the 12345 operator calling
/// back (回访): the centre's operators only, only at the callback step, and
/// written on the ledger.
pub async fn reveal_caller(state: &AppState, user: &User, id: &str) -> Result<String> {
    let order = visible_order(state, user.account(), id).await?;
    if !call_centre(user.account()) {
        return Err(Error::Forbidden);
    }
    let at = service::now().max(order.events.last().map_or(order.received_at, |e| e.at));
    flow::reveal_caller(&state.db, &order.id, at, &user.actor())
        .await
        .map_err(refusal)
}

/// What turning a complaint into an out-of-plan inspection takes.
#[derive(Debug, Clone, Deserialize)]
pub struct InspectionInput {
    /// What was found, or why the inspection takes place.
    pub detail: String,
    /// Date inspected (default today).
    #[serde(default)]
    pub inspected_on: Option<String>,
    /// Certificate numbers (form: several `inspectors` fields, or one with commas).
    #[serde(default)]
    pub inspectors: Vec<String>,
}

/// Opens an out-of-plan inspection (reason 投诉举报) of the order's enterprise
/// in the order's department, linked both ways.
pub async fn open_inspection(
    state: &AppState,
    user: &User,
    id: &str,
    input: InspectionInput,
) -> Result<(WorkOrder, OutOfPlan)> {
    user.require(Permission::RegisterOutOfPlan)?;
    let order = visible_order(state, user.account(), id).await?;
    let department = order.department.clone().ok_or_else(|| {
        Error::Conflict(format!(
            "工单 {} 尚未派单，不能转立案检查。工单未作改动。",
            order.id
        ))
    })?;
    user.require_in(Permission::RegisterOutOfPlan, &department)?;
    let inspected_on = match input
        .inspected_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| Error::BadRequest(format!("检查日期 {text} 无效，应为 YYYY-MM-DD")))?,
        None => today(),
    };
    let inspectors = input
        .inspectors
        .iter()
        .flat_map(|s| crate::ops::supervision::split_inspectors(s))
        .collect();
    let inspection = flow::ComplaintInspection {
        id: String::new(),
        department,
        detail: input.detail,
        inspected_on,
        inspectors,
    };
    let at = service::now().max(order.events.last().map_or(order.received_at, |e| e.at));
    flow::open_inspection(
        &state.db,
        &order.id,
        inspection,
        &party(user.account())?,
        at,
        &user.actor(),
    )
    .await
    .map_err(refusal)
}

// ---------------------------------------------------------------------------
// Due list and KPIs.

/// Which department's overdue list (default: all the viewer sees).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DueQuery {
    /// Department code.
    pub department: Option<String>,
    /// "Now" (default: now), e.g. `2026-03-10 09:00`.
    pub as_of: Option<String>,
}

fn as_of(text: Option<&str>) -> Result<DateTime<FixedOffset>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => Ok(parse_time("as_of", text)?),
        None => Ok(service::now()),
    }
}

/// The department `account` asks about: its own for a department, any (or all) for the others.
pub fn asked_department(account: &Account, asked: &Option<String>) -> Result<Option<String>> {
    let asked = present(asked).map(str::to_owned);
    match scope(account)? {
        None => Ok(asked),
        Some(own) => match asked {
            Some(code) if code != own => Err(Error::Forbidden),
            _ => Ok(Some(own)),
        },
    }
}

/// The overdue and about-to-be-overdue orders `account` may see.
pub async fn due(
    state: &AppState,
    account: &Account,
    query: &DueQuery,
) -> Result<Vec<flow::DueOrder>> {
    let department = asked_department(account, &query.department)?;
    let as_of = as_of(query.as_of.as_deref())?;
    Ok(flow::due(
        &state.db,
        rules(state),
        &state.calendar.get(),
        department.as_deref(),
        as_of,
    )
    .await?)
}

/// A KPI period (page and API).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KpiParams {
    /// First day (default: 1 January of this year).
    pub from: Option<String>,
    /// Last day (default: today).
    pub to: Option<String>,
    /// One department.
    pub department: Option<String>,
    /// "Now" for the report (default: now).
    pub as_of: Option<String>,
    /// Download format: `xlsx` or `json`.
    pub format: Option<String>,
}

fn day(field: &str, text: Option<&str>, default: NaiveDate) -> Result<NaiveDate> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(default),
        Some(text) => date(field, text),
    }
}

/// A date typed in a form (YYYY-MM-DD), or a Chinese refusal naming the field.
pub fn date(field: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::BadRequest(format!("{field} {text} 无效，应为 YYYY-MM-DD")))
}

/// The KPI report `account` may ask for.
pub async fn kpi(
    state: &AppState,
    account: &Account,
    params: &KpiParams,
) -> Result<flow::KpiReport> {
    let department = asked_department(account, &params.department)?;
    let today = today();
    let from = day(
        "开始日期",
        params.from.as_deref(),
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    )?;
    let to = day("结束日期", params.to.as_deref(), today)?;
    if to < from {
        return Err(Error::BadRequest(format!(
            "结束日期 {to} 早于开始日期 {from}"
        )));
    }
    let query = flow::KpiQuery {
        from,
        to,
        department,
        as_of: as_of(params.as_of.as_deref())?,
    };
    Ok(flow::kpi(&state.db, rules(state), query).await?)
}

/// The KPI report as JSON: the city's (or the department's) figures at the
/// top, exactly as `jianguan hotline kpi --json` prints them, then the
/// departments, channels and categories.
pub fn kpi_json(report: &flow::KpiReport, department: Option<&str>) -> Value {
    let mut value = serde_json::to_value(report.city.summary()).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.insert("from".into(), json!(report.from));
        map.insert("to".into(), json!(report.to));
        map.insert(
            "as_of".into(),
            json!(domain::hotline::stored_time(report.as_of)),
        );
        map.insert("department".into(), json!(department));
        map.insert(
            "departments".into(),
            report
                .departments
                .iter()
                .map(|d| {
                    let mut row = serde_json::to_value(d.kpi.summary()).unwrap_or(Value::Null);
                    if let Some(row) = row.as_object_mut() {
                        row.insert("code".into(), json!(d.code));
                        row.insert("name".into(), json!(d.name));
                    }
                    row
                })
                .collect(),
        );
        let volumes = |list: &[flow::Volume]| -> Value {
            list.iter()
                .map(|v| json!({"key": v.key, "name": v.name, "orders": v.orders}))
                .collect()
        };
        map.insert("channels".into(), volumes(&report.channels));
        map.insert("categories".into(), volumes(&report.categories));
    }
    value
}

/// A rate as a percentage for the pages (`—` when there is nothing to count).
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_put_into_chinese() {
        let messages: Vec<String> = domain::hotline::Refused::examples()
            .iter()
            .map(|r| r.chinese().to_owned())
            .collect();
        assert_eq!(
            messages,
            [
                "工单 RX1 当前为“已派单”，不能答复，答复须在已签收或办理中状态。工单未作改动。",
                "请填写答复内容。工单未作改动。",
            ]
        );
        let error = refusal(service::WorkflowError::NotFound {
            what: "work order",
            id: "RX1".into(),
        });
        assert_eq!(error.to_string(), "工单“RX1”不存在。工单未作改动。");
    }

    #[test]
    fn rates_show_as_percentages_or_a_dash() {
        assert_eq!(percent(Some(0.9812)), "98.1%");
        assert_eq!(percent(None), "—");
    }
}
