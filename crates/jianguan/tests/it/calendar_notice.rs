//! Loading a holiday notice on both backends: the provisional 2027 (暂定)
//! gives an open order's deadline across 春节, the loaded notice recomputes it,
//! the notice is stored on the ledger (migration 0007) and `audit verify`
//! stays intact; a notice with problems stores nothing.

#![allow(
    clippy::expect_used,
    reason = "the embedded calendar always loads; if not, the test stops"
)]

use crate::common;

use chrono::NaiveDate;
use domain::calendar::CalendarNotice;
use domain::hotline::{Caller, Difficulty, HotlineRules, Intake, WorkOrder, parse_time};
use service::{audit, calendar, hotline as flow};
use storage::{Db, WorkflowStore};

use common::{TestResult, contracts};

contracts!("calendar"; a_loaded_notice_recomputes_open_orders);

/// A made-up 2027 (NOT the real arrangements): 春节 02-05 to 02-12.
const TEST_2027: &str = "[2027]\nnotices = [\"测试用（非真实通知）\"]\nholidays = [{ name = \"春节\", from = \"2027-02-05\", to = \"2027-02-12\" }]\n";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

async fn a_loaded_notice_recomputes_open_orders(db: &Db) -> TestResult {
    let rules = HotlineRules::default();
    let embedded = workcal::Calendar::embedded()?;
    let intake = |id: &str| -> Result<Intake, Box<dyn std::error::Error>> {
        Ok(Intake {
            id: id.to_owned(),
            channel: "12345".into(),
            received_at: parse_time("at", "2027-02-03 09:00")?,
            caller: Caller {
                name: "王五".into(),
                phone: "13700000000".into(),
            },
            content: "春节前投诉".into(),
            category: "食品安全".into(),
            location: String::new(),
            entity: None,
            difficulty: Difficulty::Ordinary,
        })
    };
    let order = flow::intake(db, &rules, &embedded, intake("RXT-CAL-1")?, "centre").await?;
    // Provisional 2027: 02-05 to 02-10 off (除夕 to 初三, two 补假 days).
    assert_eq!(order.close_due, day(2027, 2, 16));
    assert!(calendar::order_provisional(&embedded, &order));

    let bad = calendar::load_notice(
        db,
        &rules,
        &embedded,
        "[2027]\nnotices = []\n",
        "admin",
        parse_time("at", "2026-12-07 10:00")?,
    )
    .await;
    assert!(bad.is_err());
    assert!(
        db.list::<CalendarNotice>(None).await?.is_empty(),
        "a refused notice stores nothing"
    );

    let (loaded, report) = calendar::load_notice(
        db,
        &rules,
        &embedded,
        TEST_2027,
        "admin",
        parse_time("at", "2026-12-07 10:00")?,
    )
    .await?;
    assert_eq!(report.years, [2027]);
    assert_eq!(
        report.orders,
        [("RXT-CAL-1".to_owned(), day(2027, 2, 16), day(2027, 2, 18))]
    );
    let stored = db.get::<WorkOrder>("RXT-CAL-1").await?.expect("the order");
    assert_eq!(stored.close_due, day(2027, 2, 18));
    assert!(!calendar::order_provisional(&loaded, &stored));
    let notice = db.get::<CalendarNotice>("2027").await?.expect("the notice");
    assert_eq!(notice.sha256, domain::ledger::digest(TEST_2027));
    let reapplied = calendar::with_stored_notices(db, &embedded).await?;
    assert_eq!(
        reapplied.deadline(day(2027, 2, 3), 5)?.last_day,
        day(2027, 2, 18)
    );
    // Loading the same notice again changes no deadline.
    let (_, again) = calendar::load_notice(
        db,
        &rules,
        &loaded,
        TEST_2027,
        "admin",
        parse_time("at", "2026-12-07 11:00")?,
    )
    .await?;
    assert!(again.orders.is_empty());
    let report = audit::verify(db).await?;
    assert!(report.intact(), "{:?}", report.breaks);
    Ok(())
}
