//! The working-day calendar's loaded notices (放假安排).
//!
//! Until the State Council's notice for a year is loaded, `workcal` answers for
//! that year from a provisional year (暂定: the statutory holidays and 补假 of
//! 《全国年节及纪念日放假办法》 Art. 2 and 6), and every deadline over it is
//! marked 暂定. The administrator loads the notice as an override TOML (the
//! format `jianguan calendar --check` validates). Loading stores one record
//! per year on the ledger (who, which year, the text's SHA-256), and recomputes
//! the stored deadlines that depend on the calendar: open hotline orders'
//! 签收/办结时限 and unpublished results' publication due dates.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::Serialize;

use super::{Result, refuse};
use domain::calendar::CalendarNotice;
use domain::hotline::{HotlineRules, OrderEvent, WorkOrder};
use domain::inspection::{InspectionResult, ResultStatus};
use domain::ledger;
use storage::hotline::HotlineStore;
use storage::{Change, WorkflowStore};

/// The largest notice accepted, bytes (a year's section is about 2 KB).
pub const MAX_NOTICE_BYTES: usize = 256 * 1024;

/// Ledger action of a loaded notice.
pub const NOTICE_LOADED: &str = "calendar.notice_loaded";
/// Ledger action of a stored deadline recomputed after a notice was loaded.
pub const DEADLINES_RECOMPUTED: &str = "calendar.deadlines_recomputed";

/// `base` with every stored notice applied, in the order they were loaded.
pub async fn with_stored_notices<S: WorkflowStore>(
    store: &S,
    base: &workcal::Calendar,
) -> Result<workcal::Calendar> {
    let mut notices = store.list::<CalendarNotice>(None).await?;
    notices.sort_by(|a, b| a.loaded_at.cmp(&b.loaded_at).then(a.year.cmp(&b.year)));
    let mut calendar = base.clone();
    for notice in &notices {
        calendar = calendar.with_override_str(&notice.text)?;
    }
    Ok(calendar)
}

/// The stored notices, by year.
pub async fn stored_notices<S: WorkflowStore>(store: &S) -> Result<Vec<CalendarNotice>> {
    Ok(store.list::<CalendarNotice>(None).await?)
}

/// What loading a notice did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Loaded {
    /// The years the notice holds.
    pub years: Vec<i32>,
    /// SHA-256 of the text, hex.
    pub sha256: String,
    /// Open orders whose deadlines changed: (id, old 办结时限, new 办结时限).
    pub orders: Vec<(String, NaiveDate, NaiveDate)>,
    /// Unpublished results whose publication due date changed.
    pub results: usize,
}

/// Checks `text` (override TOML), stores it on the ledger and recomputes the
/// stored deadlines; returns the new calendar (`current` with the notice
/// applied) for the caller to install. Refused, with every problem by line,
/// when the text does not pass `check_override`.
pub async fn load_notice<S: WorkflowStore + HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    current: &workcal::Calendar,
    text: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<(workcal::Calendar, Loaded)> {
    if text.len() > MAX_NOTICE_BYTES {
        let message = format!("放假安排超过 {MAX_NOTICE_BYTES} 字节");
        return Err(refuse("notice_too_large", message.clone(), message));
    }
    let problems = workcal::check_override(text);
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let message = format!(
            "放假安排有 {} 处问题（未载入）：{}",
            problems.len(),
            listed.join("; ")
        );
        return Err(refuse("notice_invalid", message.clone(), message));
    }
    let years: Vec<i32> = workcal::Calendar::from_toml_str(text)?.years().collect();
    let next = current.with_override_str(text)?;
    let sha256 = ledger::digest(text);
    let mut docs = Vec::with_capacity(years.len());
    for &year in &years {
        docs.push(CalendarNotice {
            year,
            notices: next.notices(year)?.to_vec(),
            text: text.to_owned(),
            sha256: sha256.clone(),
            loaded_by: actor.to_owned(),
            loaded_at: at,
        });
    }
    let year_list = years
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    store
        .put(
            &docs,
            &Change::new(
                at,
                actor,
                NOTICE_LOADED,
                format!("{year_list} 年放假安排载入，SHA-256 {sha256}"),
            ),
        )
        .await?;
    let why = format!(
        "{year_list} 年放假安排载入（SHA-256 {}）",
        &sha256[..16.min(sha256.len())]
    );
    let orders = recompute_orders(store, rules, &next, &why, actor, at).await?;
    let results = recompute_results(store, current, &next, &why, actor, at).await?;
    Ok((
        next,
        Loaded {
            years,
            sha256,
            orders,
            results,
        },
    ))
}

/// A day no deadline reaches, at its last second: lists every order open
/// now, including those received after today.
fn far_future() -> Option<(NaiveDate, DateTime<FixedOffset>)> {
    let day = NaiveDate::from_ymd_opt(9999, 12, 31)?;
    let at = day
        .and_hms_opt(23, 59, 59)?
        .and_local_timezone(super::china())
        .single()?;
    Some((day, at))
}

async fn recompute_orders<S: WorkflowStore + HotlineStore>(
    store: &S,
    rules: &HotlineRules,
    calendar: &workcal::Calendar,
    why: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<Vec<(String, NaiveDate, NaiveDate)>> {
    let mut changed = Vec::new();
    let Some((last_day, end_of_time)) = far_future() else {
        return Ok(changed);
    };
    for row in store.hotline_due(None, end_of_time, last_day).await? {
        let Some(order) = store.get::<WorkOrder>(&row.id).await? else {
            continue;
        };
        let mut next = order.clone();
        next.recompute_deadlines(rules, calendar)
            .map_err(super::WorkflowError::from)?;
        if (next.sign_due, next.close_due) == (order.sign_due, order.close_due) {
            continue;
        }
        let detail = format!(
            "{why}：签收时限 {} → {}，办结时限 {} → {}",
            order.sign_due, next.sign_due, order.close_due, next.close_due
        );
        let when = at.max(order.events.last().map_or(order.received_at, |e| e.at));
        next.events.push(OrderEvent {
            at: when,
            actor: actor.to_owned(),
            action: "时限重算".into(),
            detail: detail.clone(),
        });
        store
            .replace_work_order(
                &next,
                order.events.len(),
                &Change::new(when, actor, DEADLINES_RECOMPUTED, detail),
                None,
            )
            .await?;
        changed.push((order.id.clone(), order.close_due, next.close_due));
    }
    Ok(changed)
}

async fn recompute_results<S: WorkflowStore>(
    store: &S,
    before: &workcal::Calendar,
    calendar: &workcal::Calendar,
    why: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<usize> {
    let mut changed = Vec::new();
    for result in store
        .list::<InspectionResult>(Some(("status", ResultStatus::Entered.as_str())))
        .await?
    {
        // Only a due date the calendar set (not one a correction moved).
        if result.published_on.is_some()
            || result.publish_due != super::results::publish_due(before, result.check_end)?
        {
            continue;
        }
        let due = super::results::publish_due(calendar, result.check_end)?;
        if due != result.publish_due {
            changed.push(InspectionResult {
                publish_due: due,
                ..result
            });
        }
    }
    if !changed.is_empty() {
        store
            .put(
                &changed,
                &Change::new(
                    at,
                    actor,
                    DEADLINES_RECOMPUTED,
                    format!("{why}：{} 条未公开结果的公示期限重算", changed.len()),
                ),
            )
            .await?;
    }
    Ok(changed.len())
}

/// The year whose notice the dashboards ask for on `today`: next year from
/// 1 November on (the State Council usually publishes in October–December),
/// else none.
pub fn notice_due(calendar: &workcal::Calendar, today: NaiveDate) -> Option<i32> {
    let next = today.year() + 1;
    (today.month() >= 11 && calendar.is_provisional_year(next)).then_some(next)
}

/// Whether a work order's deadlines rest on a provisional year (暂定): some
/// day from its clocks' start to its last deadline lies in a year without a
/// loaded notice.
pub fn order_provisional(calendar: &workcal::Calendar, order: &WorkOrder) -> bool {
    let from = order.sign_clock_from.min(order.close_clock_from);
    let to = order.sign_due.max(order.close_due);
    calendar.is_provisional_span(from, to)
}

/// Whether a result's publication due date rests on a provisional year (暂定).
pub fn result_provisional(calendar: &workcal::Calendar, result: &InspectionResult) -> bool {
    calendar.is_provisional_span(result.check_end, result.publish_due)
}

/// Whether a deadline between two stored dates (`YYYY-MM-DD…` text) rests on
/// a provisional year; text that is not a date counts as provisional.
pub fn text_span_provisional(calendar: &workcal::Calendar, from: &str, to: &str) -> bool {
    let date = |text: &str| text.get(..10).and_then(|day| day.parse::<NaiveDate>().ok());
    match (date(from), date(to)) {
        (Some(from), Some(to)) => calendar.is_provisional_span(from, to),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_asks_for_next_year_from_november() -> Result<(), workcal::Error> {
        let calendar = workcal::Calendar::embedded()?;
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or(workcal::Error::DateOutOfRange);
        assert_eq!(notice_due(&calendar, day(2026, 10, 31)?), None);
        assert_eq!(notice_due(&calendar, day(2026, 11, 1)?), Some(2027));
        assert_eq!(notice_due(&calendar, day(2026, 12, 7)?), Some(2027));
        // 2026's notice is embedded.
        assert_eq!(notice_due(&calendar, day(2025, 11, 20)?), None);
        let loaded = calendar.with_override_str("[2027]\nnotices = [\"test\"]\nholidays = [{ name = \"元旦\", date = \"2027-01-01\" }]\n")?;
        assert_eq!(notice_due(&loaded, day(2026, 12, 7)?), None);
        Ok(())
    }
}
