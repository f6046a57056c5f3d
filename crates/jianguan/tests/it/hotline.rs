//! 12345 work orders as a contract on SQLite and PostgreSQL, and the
//! `jianguan hotline` CLI:
//!
//! - the hand-made file `tests/data/hotline/orders.csv` (36 orders written by
//!   hand, independently of the code) imported, its KPIs compared with the
//!   figures counted by hand from the issue's definitions (the counting is in
//!   the comments below, row by row), and the overdue list;
//! - re-importing the same file changes nothing; bad rows are reported by row
//!   and column while the good ones are kept;
//! - every step is one ledger entry and `audit verify` stays intact; the 督办
//!   sweep; the complaint → inspection link both ways; a department acts on
//!   its own orders only;
//! - the CLI prints exactly the hand-counted JSON, nulls (not NaN) for an empty
//!   period, and exit 2 for bad input.

#![allow(
    clippy::expect_used,
    reason = "the embedded calendar always loads; if not, the test stops"
)]

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate};
use domain::entity::{EntityFields, EntityStatus, EntityType, MarketEntity};
use domain::hotline::{
    Caller, Difficulty, Escalation, HotlineRules, Intake, OrderAction, OrderStatus, Rating,
    WorkOrder, parse_time,
};
use domain::inspection::{OutOfPlan, OutOfPlanReason};
use domain::inspector::{CertificateNo, Inspector, InspectorFields};
use domain::org::{Department, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode};
use domain::uscc::Uscc;
use serde_json::{Value, json};
use service::audit;
use service::hotline::{self as flow, ComplaintInspection, Kpi, KpiQuery, Party};
use storage::hotline::{HotlineStore, OrderFilter};
use storage::{self, Db, Store, WorkflowStore};
use workcal::Calendar;

use crate::common;

use common::{TestResult, contracts, jianguan, jianguan_ok, unique};

contracts!(
    "hotline";
    the_hand_made_file_gives_the_hand_counted_kpis,
    the_overdue_list_of_the_hand_made_file,
    reimporting_the_same_file_changes_nothing,
    reimporting_the_same_file_keeps_the_steps_taken_since,
    a_deactivated_department_takes_no_new_orders,
    bad_rows_are_reported_by_row_and_column_and_good_rows_kept,
    each_step_is_one_ledger_entry_and_the_audit_stays_intact,
    the_escalation_sweep_raises_overdue_orders_once,
    a_complaint_opens_an_inspection_linked_both_ways,
    a_department_acts_only_on_its_own_orders,
    the_as_of_instant_counts_whatever_its_offset,
    orders_are_found_by_number_phone_and_keyword,
    the_caller_is_revealed_at_the_callback_only_and_on_the_ledger,
    a_late_order_takes_a_rectification_notice_listed_by_its_object,
);

type Fallible<T> = Result<T, Box<dyn Error>>;

/// The hand-made file.
const ORDERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hotline/orders.csv");
const HEADER: &str = "工单编号,来源渠道,受理时间,问题类型,难度,承办部门,签收时间,办结时间,延期工作日,回访结果,涉及主体统一社会信用代码";
/// "Now" for the reports of the hand-made file.
const AS_OF: &str = "2026-10-14 12:00";

static CAL: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::embedded().expect("the embedded calendar"));

fn at(text: &str) -> Fallible<DateTime<FixedOffset>> {
    Ok(parse_time("time", text)?)
}

fn day(text: &str) -> Fallible<NaiveDate> {
    Ok(NaiveDate::parse_from_str(text, "%Y-%m-%d")?)
}

fn rules() -> HotlineRules {
    HotlineRules::default()
}

async fn seed_departments<S: Store>(store: &S) -> TestResult {
    let departments = [
        ("SJGJ", "黄石市市场监督管理局"),
        ("WJW", "黄石市卫生健康委员会"),
        ("YJJ", "黄石市应急管理局"),
    ]
    .iter()
    .map(|(code, name)| {
        Ok(Department::new(DepartmentFields::new(
            DepartmentCode::parse(code)?,
            name,
            DepartmentLevel::City,
            None,
        ))?)
    })
    .collect::<Fallible<Vec<_>>>()?;
    store.upsert_departments(&departments).await?;
    Ok(())
}

fn temp_file(name: &str, text: &str) -> Fallible<PathBuf> {
    let dir = std::env::temp_dir().join(unique("hotline-files"));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

async fn import(db: &Db, path: &Path) -> Fallible<flow::OrdersImport> {
    Ok(flow::import_orders(
        db,
        &rules(),
        &CAL,
        path,
        false,
        "tester",
        at("2026-10-14 12:30")?,
    )
    .await?)
}

async fn report(
    db: &Db,
    from: &str,
    to: &str,
    department: Option<&str>,
    as_of: &str,
) -> Fallible<flow::KpiReport> {
    report_at(db, from, to, department, at(as_of)?).await
}

async fn report_at(
    db: &Db,
    from: &str,
    to: &str,
    department: Option<&str>,
    as_of: DateTime<FixedOffset>,
) -> Fallible<flow::KpiReport> {
    let query = KpiQuery {
        from: day(from)?,
        to: day(to)?,
        department: department.map(str::to_owned),
        as_of,
    };
    Ok(flow::kpi(db, &rules(), query).await?)
}

/// The counts behind the rates, in the order of [`Kpi`]'s fields.
#[allow(clippy::too_many_arguments)]
fn counts(
    orders: u64,
    (signed_on_time, sign_counted): (u64, u64),
    (closed_on_time, close_counted): (u64, u64),
    (satisfied, rated): (u64, u64),
    (close_days_total, closed): (u64, u64),
) -> Kpi {
    Kpi {
        orders,
        signed_on_time,
        sign_counted,
        closed_on_time,
        close_counted,
        satisfied,
        rated,
        closed,
        close_days_total,
    }
}

// ---------------------------------------------------------------------------
// The hand count of tests/data/hotline/orders.csv.
//
// Definitions (issue 8): orders received in the period; 及时签收率 = signed on
// or before the 签收时限 ÷ (signed, or unsigned and past the 签收时限);
// 按时办结率 = closed on or before the 办结时限 ÷ (closed, or open and past the
// 办结时限); 满意率 = (满意 + 基本满意) ÷ rated; the average working days from
// the receipt day to the closing day over the closed orders. 签收时限 =
// deadline(receipt day, 1); 办结时限 = deadline(receipt day, 5 一般 / 12 疑难 +
// 延期工作日). "Past" means the as-of day (2026-10-14) is after the last day.
//
// 2026 holidays: 元旦 01-01…01-03 (Sun 01-04 worked); 春节 02-15…02-23 (Sat
// 02-14 and Sat 02-28 worked); 清明 04-04…04-06; 劳动节 05-01…05-05 (Sat 05-09
// worked); 端午 06-19…06-21; 中秋 09-25…09-27 (Sun 09-20 worked); 国庆 10-01…
// 10-07 (Sat 10-10 worked).
//
// Row by row (S = 签收时限, C = 办结时限, days = working days to close):
//
// SJGJ
//  HL-001 rec Fri 02-13 17:30. S 02-14 (make-up Sat); signed 02-14 23:59: on time.
//         C 02-14,24,25,26,27 → 02-27; closed 02-27: on time. 满意. days 5.
//  HL-002 rec Fri 02-13. S 02-14; signed 02-24, the next working day: LATE.
//         C 02-27; closed Sat 02-28 (make-up): LATE. 基本满意. days 6.
//  HL-003 rec Sat 02-14 (make-up). S 02-24; signed 02-24 23:59: on time.
//         C 02-24,25,26,27,28 → 02-28, +2 extension → 03-02, 03-03; closed
//         03-03: on time (late without the extension). 满意. days 7.
//  HL-007 rec Wed 09-30. S 10-08; signed 10-08 23:59: on time.
//         C 10-08,09,10(Sat),12,13 → 10-13; closed 10-13: on time. 满意. days 5.
//  HL-008 rec Fri 10-02 (国庆). S 10-08; signed 10-09: LATE.
//         C 10-13; open on 10-14: past, counts, not on time. No rating.
//  HL-009 rec 10-05 (国庆) 疑难. S 10-08; signed 10-08: on time.
//         C 12 days → 10-22; open, not past: NOT counted.
//  HL-012 rec Wed 10-07 (国庆) 20:00. S 10-08; signed 10-08 08:30: on time.
//         C 10-13, +1 extension → 10-14 = the as-of day, not past: NOT counted.
//  HL-013 rec Sun 09-20 (make-up). S 09-21; signed 09-21 23:59: on time.
//         C 09-21,22,23,24,28 → 09-28; closed 09-29: LATE. 不满意. days 6.
//  HL-016 rec Fri 03-06 20:00. S Mon 03-09; signed 03-09: on time.
//         C 03-13; closed 03-13 18:00: on time. 满意. days 5.
//  HL-017 rec Tue 03-10; signed, closed the same day: on time, on time. 满意. days 0.
//  HL-019 rec Thu 04-30. S 05-06; signed 05-06: on time.
//         C 05-06,07,08,09(Sat),11 → 05-11; closed Sat 05-09: on time. 基本满意. days 4.
//  HL-020 rec Fri 05-08 疑难. S Sat 05-09 (make-up); signed Mon 05-11: LATE.
//         C 05-09,11,…,22,25 → 05-25; closed 05-22: on time. 满意. days 11.
//  HL-023 rec Wed 07-15 疑难. S 07-16; signed 07-15: on time.
//         C 12 days → 07-31, +5 → 08-07; closed 08-06: on time. 满意. days 16.
//  HL-024 rec Thu 08-20. S Fri 08-21; signed 08-21 23:59: on time.
//         C 08-21,24,25,26,27 → 08-27; closed 08-27: on time. No rating. days 5.
//  HL-026 rec Thu 09-10. S 09-11; signed 09-10: on time.
//         C 09-17; open (called back, 满意): past, counts, not on time.
//  HL-027 rec Mon 10-12. S 10-13; signed 10-12: on time. C 10-19: NOT counted.
//  HL-028 rec Fri 10-09. S Sat 10-10 (make-up); unsigned: past, counts, not on time.
//         C 10-10,12,13,14,15 → 10-15: NOT counted.
//  HL-031 rec Thu 01-01 00:00 (元旦, first minute of the period). S Sun 01-04
//         (make-up); signed 01-04: on time. C 01-04,05,06,07,08 → 01-08;
//         closed 01-09: LATE. 基本满意. days 6.
//  HL-034 rec Wed 02-11. S 02-12; signed 02-12: on time.
//         C 02-12,13,14,24,25 → 02-25; closed 02-25: on time. 不满意. days 5.
//  (HL-030 received 2025-12-31 and HL-032 received 10-14 are outside the period.)
//
//  SJGJ: 19 orders. Sign: 19 counted, late 002, 008, 020, 028 → 15/19 = 0.7895.
//  Close: counted 001 002 003 007 008 013 016 017 019 020 023 024 026 031 034
//  = 15; late 002 008 013 026 031 → 10/15 = 0.6667. Rated 001 002 003 007
//  013 016 017 019 020 023 026 031 034 = 13, 不满意 013 034 → 11/13 = 0.8462.
//  Closed 13: 5+6+7+5+6+5+0+4+11+16+5+6+5 = 81 → 81/13 = 6.2308.
//
// WJW
//  HL-004 rec Mon 02-16 (春节) 疑难. S 02-24; signed 02-24: on time.
//         C 02-24 … 03-10 (12); closed 03-10: on time. 不满意. days 12.
//  HL-005 rec Thu 02-12. S 02-13; signed 02-13: on time.
//         C 02-13,14,24,25,26 → 02-26; closed 02-26: on time. No rating. days 5.
//  HL-006 rec Sat 02-14. S 02-24; signed 02-24: on time.
//         C 02-28, +1 → 03-02; closed 03-03: LATE even with the extension. 不满意. days 7.
//  HL-010 rec Sat 10-10 (make-up). S 10-12; unsigned: past, counts, not on time.
//         C 10-16: NOT counted.
//  HL-011 rec Tue 10-13. S 10-14 = the as-of day; unsigned, not past: NOT
//         counted. C 10-20: NOT counted.
//  HL-014 rec Thu 09-24. S Mon 09-28 (中秋 09-25…27); signed 09-28: on time.
//         C 09-28,29,30,10-08,09 → 10-09; closed Sat 10-10: LATE. 基本满意. days 6.
//  HL-015 rec Tue 09-29 疑难. S 09-30; signed 09-29: on time.
//         C 09-30,10-08,…→ 10-21; closed 10-14 09:00: on time. 满意. days 7.
//  HL-018 rec Fri 04-03. S Tue 04-07 (清明); signed 04-07: on time.
//         C 04-07,08,09,10,13 → 04-13; closed 04-14: LATE. 满意. days 6.
//  HL-021 rec Thu 06-18. S Mon 06-22 (端午); signed 06-18: on time.
//         C 06-22 … 06-26; closed 06-25: on time. No rating. days 4.
//  HL-022 rec Wed 07-01. S 07-02; signed 07-03: LATE.
//         C 07-08; closed 07-06: on time. 不满意. days 3.
//  HL-025 rec Fri 08-28. S Mon 08-31; signed 09-01 00:00, the next working day: LATE.
//         C 09-04; closed 09-04: on time. 基本满意. days 5.
//  HL-029 rec Sun 01-04 (make-up). S 01-05; signed 01-05: on time.
//         C 01-09; closed 01-09: on time. 满意. days 5.
//  HL-033 rec Fri 10-09. S Sat 10-10 (make-up); signed 10-10: on time.
//         C 10-15: NOT counted.
//  HL-035 rec Thu 10-08. S 10-09; signed 10-08: on time.
//         C 10-09,10,12,13,14 → 10-14; closed 10-13: on time. 满意. days 4.
//  HL-036 rec Mon 10-12. S 10-13; signed 10-13: on time. C 10-19: NOT counted.
//
//  WJW: 15 orders. Sign: counted 14 (not 011), late 010 022 025 → 11/14 = 0.7857.
//  Close: counted 004 005 006 014 015 018 021 022 025 029 035 = 11; late 006
//  014 018 → 8/11 = 0.7273. Rated 004 006 014 015 018 022 025 029 035 = 9,
//  不满意 004 006 022 → 6/9 = 0.6667. Closed 11: 12+5+7+6+7+6+4+3+5+5+4 = 64
//  → 64/11 = 5.8182.
//
// City: 34 orders; sign 26/33 = 0.7879; close 18/26 = 0.6923; satisfaction
// 17/22 = 0.7727; 145/24 = 6.0417 working days (the
// average, too, is rounded to 4 decimals).
// ---------------------------------------------------------------------------

fn sjgj() -> Kpi {
    counts(19, (15, 19), (10, 15), (11, 13), (81, 13))
}
fn wjw() -> Kpi {
    counts(15, (11, 14), (8, 11), (6, 9), (64, 11))
}
fn city() -> Kpi {
    counts(34, (26, 33), (18, 26), (17, 22), (145, 24))
}

fn summary(orders: u64, sign: f64, close: f64, satisfaction: f64, avg: f64) -> Value {
    json!({
        "orders": orders,
        "sign_rate": sign,
        "close_rate": close,
        "satisfaction_rate": satisfaction,
        "avg_close_working_days": avg,
    })
}

fn summary_of(kpi: &Kpi) -> Fallible<Value> {
    Ok(serde_json::to_value(kpi.summary())?)
}

fn empty_summary() -> Value {
    json!({
        "orders": 0,
        "sign_rate": null,
        "close_rate": null,
        "satisfaction_rate": null,
        "avg_close_working_days": null,
    })
}

async fn the_hand_made_file_gives_the_hand_counted_kpis(db: &Db) -> TestResult {
    seed_departments(db).await?;
    let done = import(db, Path::new(ORDERS)).await?;
    assert!(done.outcome.errors.is_empty(), "{:?}", done.outcome.errors);
    assert_eq!(
        (
            done.outcome.inserted,
            done.outcome.updated,
            done.outcome.total_rows
        ),
        (36, 0, 36)
    );

    // The deadlines of the count below, as stored.
    for (id, sign_due, close_due) in [
        ("HL-001", "2026-02-14", "2026-02-27"),
        ("HL-003", "2026-02-24", "2026-03-03"),
        ("HL-004", "2026-02-24", "2026-03-10"),
        ("HL-009", "2026-10-08", "2026-10-22"),
        ("HL-010", "2026-10-12", "2026-10-16"),
        ("HL-012", "2026-10-08", "2026-10-14"),
        ("HL-013", "2026-09-21", "2026-09-28"),
        ("HL-020", "2026-05-09", "2026-05-25"),
        ("HL-023", "2026-07-16", "2026-08-07"),
        ("HL-031", "2026-01-04", "2026-01-08"),
    ] {
        let order = db.get::<WorkOrder>(id).await?.ok_or(id)?;
        assert_eq!(
            (order.sign_due, order.close_due),
            (day(sign_due)?, day(close_due)?),
            "{id}"
        );
    }
    let full = report(db, "2026-01-01", "2026-10-13", None, AS_OF).await?;
    assert_eq!(full.city, city());
    assert_eq!(
        summary_of(&full.city)?,
        summary(34, 0.7879, 0.6923, 0.7727, 6.0417)
    );
    let departments: Vec<(&str, &str, Kpi)> = full
        .departments
        .iter()
        .map(|d| (d.code.as_str(), d.name.as_str(), d.kpi))
        .collect();
    assert_eq!(
        departments,
        [
            ("SJGJ", "黄石市市场监督管理局", sjgj()),
            ("WJW", "黄石市卫生健康委员会", wjw())
        ]
    );
    // Volumes of the 34 orders: by channel (12315: 002 008 017 024 034; 12328:
    // 005; 12331: 018; 12365: 013) and by category.
    let volumes = |list: &[flow::Volume]| {
        list.iter()
            .map(|v| (v.key.clone(), v.orders))
            .collect::<BTreeMap<_, _>>()
    };
    let expected: BTreeMap<String, u64> = [
        ("12345", 26),
        ("12315", 5),
        ("12328", 1),
        ("12331", 1),
        ("12365", 1),
    ]
    .map(|(k, n)| (k.to_owned(), n))
    .into();
    assert_eq!(volumes(&full.channels), expected);
    assert_eq!(
        full.channels.first().map(|c| c.name.as_str()),
        Some("政务服务便民热线")
    );
    // 食品安全: 001 003 007 010 014 016 018 020 023 026 028 031 033; 价格: 002
    // 009 017 021 025 029 034 036; 消费纠纷: 004 011 019 027; 产品质量: 008 013
    // 024; 医疗: 006 015 035; 特种设备: 012 022; 交通: 005.
    let expected: BTreeMap<String, u64> = [
        ("食品安全", 13),
        ("价格", 8),
        ("消费纠纷", 4),
        ("产品质量", 3),
        ("医疗", 3),
        ("特种设备", 2),
        ("交通", 1),
    ]
    .map(|(k, n)| (k.to_owned(), n))
    .into();
    assert_eq!(volumes(&full.categories), expected);
    for list in [&full.channels, &full.categories] {
        assert!(
            list.windows(2).all(|w| w[0].orders >= w[1].orders),
            "most orders first"
        );
    }

    // One department, by code or by name: its own figures, city-wide.
    let one = report(db, "2026-01-01", "2026-10-13", Some("SJGJ"), AS_OF).await?;
    assert_eq!(one.city, sjgj());
    assert_eq!(
        summary_of(&one.city)?,
        summary(19, 0.7895, 0.6667, 0.8462, 6.2308)
    );
    let one = report(
        db,
        "2026-01-01",
        "2026-10-13",
        Some("黄石市卫生健康委员会"),
        AS_OF,
    )
    .await?;
    assert_eq!(one.city, wjw());
    assert_eq!(
        summary_of(&one.city)?,
        summary(15, 0.7857, 0.7273, 0.6667, 5.8182)
    );

    // 春节 month only: 001 002 003 004 005 006 034. Signed late: 002 → 6/7;
    // closed late: 002 006 → 5/7; rated 001 002 003 004 006 034, 不满意 004 006
    // 034 → 3/6; days 5+6+7+12+5+7+5 = 47 → 47/7 = 6.7143.
    let february = report(db, "2026-02-01", "2026-02-28", None, AS_OF).await?;
    assert_eq!(february.city, counts(7, (6, 7), (5, 7), (3, 6), (47, 7)));
    assert_eq!(
        summary_of(&february.city)?,
        summary(7, 0.8571, 0.7143, 0.5, 6.7143)
    );

    // Two days later (10-16 12:00) more deadlines have passed: HL-011's 签收时限
    // 10-14 (unsigned), HL-012's 办结时限 10-14 (extended), HL-028's and HL-033's
    // 10-15. Sign 26/34 = 0.7647, close 18/29 = 0.6207.
    let later = report(db, "2026-01-01", "2026-10-13", None, "2026-10-16 12:00").await?;
    assert_eq!(
        later.city,
        counts(34, (26, 34), (18, 29), (17, 22), (145, 24))
    );
    assert_eq!(
        summary_of(&later.city)?,
        summary(34, 0.7647, 0.6207, 0.7727, 6.0417)
    );

    // One day, Fri 02-13: HL-001 (on time, on time, 满意, 5 days) and HL-002
    // (late, late, 基本满意, 6 days). Two days, with Sat 02-14: + HL-003 (on
    // time, on time with its extension, 满意, 7) and HL-006 (on time, late, 不满意, 7).
    let friday = report(db, "2026-02-13", "2026-02-13", None, AS_OF).await?;
    assert_eq!(summary_of(&friday.city)?, summary(2, 0.5, 0.5, 1.0, 5.5));
    let weekend = report(db, "2026-02-13", "2026-02-14", None, AS_OF).await?;
    assert_eq!(
        summary_of(&weekend.city)?,
        summary(4, 0.75, 0.5, 0.75, 6.25)
    );

    // An empty period, and a department without orders: nulls, not NaN.
    let november = report(db, "2026-11-01", "2026-11-30", None, AS_OF).await?;
    assert_eq!(summary_of(&november.city)?, empty_summary());
    assert!(november.departments.is_empty() && november.channels.is_empty());
    let none = report(db, "2026-01-01", "2026-10-13", Some("YJJ"), AS_OF).await?;
    assert_eq!(summary_of(&none.city)?, empty_summary());
    // Bad queries are refused.
    assert!(
        report(db, "2026-10-13", "2026-01-01", None, AS_OF)
            .await
            .is_err()
    );
    assert!(
        report(db, "2026-01-01", "2026-10-13", Some("NOPE"), AS_OF)
            .await
            .is_err()
    );
    Ok(())
}

async fn the_overdue_list_of_the_hand_made_file(db: &Db) -> TestResult {
    seed_departments(db).await?;
    import(db, Path::new(ORDERS)).await?;
    // Open at 10-14 12:00: 008 009 010 011 012 026 027 028 032 033 036.
    // Overdue: 008 (办结 10-13), 026 (办结 09-17), 010 (签收 10-12), 028 (签收 10-10).
    // About to be (a deadline today or the next working day, 10-15): 011 (签收
    // 10-14), 012 (办结 10-14 with its extension), 032 (签收 10-15), 033 (办结 10-15).
    let due = flow::due(db, &rules(), &CAL, None, at(AS_OF)?).await?;
    let flags: BTreeMap<&str, (bool, bool, bool)> = due
        .iter()
        .map(|o| (o.id.as_str(), (o.sign_overdue, o.close_overdue, o.due_soon)))
        .collect();
    let expected: BTreeMap<&str, (bool, bool, bool)> = [
        ("HL-008", (false, true, false)),
        ("HL-026", (false, true, false)),
        ("HL-010", (true, false, false)),
        ("HL-028", (true, false, false)),
        ("HL-011", (false, false, true)),
        ("HL-012", (false, false, true)),
        ("HL-032", (false, false, true)),
        ("HL-033", (false, false, true)),
    ]
    .into();
    assert_eq!(flags, expected);
    // Overdue first.
    let first_soon = due.iter().position(|o| o.due_soon).unwrap_or(due.len());
    assert!(
        due[first_soon..].iter().all(|o| o.due_soon),
        "overdue orders come first"
    );
    // Per department.
    let mut wjw: Vec<String> = flow::due(db, &rules(), &CAL, Some("WJW"), at(AS_OF)?)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    wjw.sort();
    assert_eq!(
        wjw,
        ["HL-010", "HL-011", "HL-033"],
        "WJW: 010 overdue, 011 and 033 about to be"
    );
    let sjgj: Vec<String> = flow::due(db, &rules(), &CAL, Some("SJGJ"), at(AS_OF)?)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut sorted = sjgj.clone();
    sorted.sort();
    assert_eq!(sorted, ["HL-008", "HL-012", "HL-026", "HL-028", "HL-032"]);
    Ok(())
}

async fn reimporting_the_same_file_changes_nothing(db: &Db) -> TestResult {
    seed_departments(db).await?;
    import(db, Path::new(ORDERS)).await?;
    let ledger = db.ledger().await?.len();
    let all = OrderFilter::default();
    let before = db.hotline_orders(&all, 100, 0).await?;
    assert_eq!(before.len(), 36);
    let again = import(db, Path::new(ORDERS)).await?;
    assert_eq!(
        (
            again.outcome.inserted,
            again.outcome.updated,
            again.outcome.unchanged
        ),
        (0, 0, 36)
    );
    assert!(again.outcome.errors.is_empty());
    assert_eq!(db.ledger().await?.len(), ledger, "not even a ledger entry");
    assert_eq!(db.hotline_orders(&all, 100, 0).await?, before);
    // A changed row updates that order only, with one ledger entry.
    let text = std::fs::read_to_string(ORDERS)?.replace(
        "HL-008,12315,2026-10-02 11:00,产品质量,一般,SJGJ,2026-10-09 09:00,,,,",
        "HL-008,12315,2026-10-02 11:00,产品质量,一般,SJGJ,2026-10-09 09:00,2026-10-14 10:00,,满意,",
    );
    let changed = temp_file("orders.csv", &text)?;
    let update = import(db, &changed).await?;
    assert_eq!((update.outcome.inserted, update.outcome.updated), (0, 1));
    assert_eq!(db.ledger().await?.len(), ledger + 1);
    let order = db.get::<WorkOrder>("HL-008").await?.ok_or("HL-008")?;
    assert_eq!(
        (order.status, order.rating),
        (OrderStatus::Closed, Some(Rating::Satisfied))
    );
    // Closed 10-14 against 10-13 (late; counted already as past its deadline),
    // 满意: rated 12/14, and 6 working days (10-08 … 10-14) more.
    let one = report(db, "2026-01-01", "2026-10-13", Some("SJGJ"), AS_OF).await?;
    assert_eq!(
        one.city,
        counts(19, (15, 19), (10, 15), (12, 14), (81 + 6, 14))
    );
    Ok(())
}

/// A deactivated department keeps its orders (a re-import or a changed row of
/// one of them is taken) but is refused for a new one, by row and column.
async fn a_deactivated_department_takes_no_new_orders(db: &Db) -> TestResult {
    use storage::{DepartmentStore, DepartmentWrite};
    seed_departments(db).await?;
    import(db, Path::new(ORDERS)).await?;
    let wjw = domain::org::DepartmentCode::parse("WJW")?;
    db.write_department(
        &DepartmentWrite::SetActive(wjw, false),
        "admin",
        at("2026-10-14 12:00")?,
    )
    .await?;
    let again = import(db, Path::new(ORDERS)).await?;
    assert_eq!(again.outcome.unchanged, 36);
    assert!(
        again.outcome.errors.is_empty(),
        "{:?}",
        again.outcome.errors
    );
    let text = format!(
        "{HEADER}\n\
         HL-005,12328,2026-02-12 09:00,交通,一般,WJW,2026-02-13 08:00,2026-02-26 17:00,,满意,\n\
         HL-900,12345,2026-10-13 09:00,医疗,一般,WJW,,,,,\n\
         HL-901,12345,2026-10-13 09:00,医疗,一般,黄石市卫生健康委员会,,,,,\n\
         HL-902,12345,2026-10-13 09:00,食品安全,一般,SJGJ,,,,,\n"
    );
    let file = temp_file("orders.csv", &text)?;
    let outcome = import(db, &file).await?.outcome;
    assert_eq!((outcome.inserted, outcome.updated), (1, 1));
    let refused: Vec<(usize, &str)> = outcome
        .errors
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(refused, [(3, "承办部门"), (4, "承办部门")]);
    assert!(
        outcome.errors[0].reason_zh.contains("已停用"),
        "{:?}",
        outcome.errors
    );
    assert!(db.get::<WorkOrder>("HL-900").await?.is_none());
    Ok(())
}

async fn reimporting_the_same_file_keeps_the_steps_taken_since(db: &Db) -> TestResult {
    seed_departments(db).await?;
    import(db, Path::new(ORDERS)).await?;
    // HL-027 is signed by SJGJ in the file and open; the department replies here.
    let replied = step(
        db,
        "HL-027",
        OrderAction::Reply {
            text: "已核实处理".to_owned(),
        },
        &sjgj_party(),
        "2026-10-14 13:00",
    )
    .await?;
    assert_eq!(replied.status, OrderStatus::Replied);
    let ledger = db.ledger().await?.len();
    // The same file again (the platform's export, which knows nothing of the
    // reply): nothing changes, the reply is not undone.
    let again = import(db, Path::new(ORDERS)).await?;
    assert_eq!(
        (again.outcome.inserted, again.outcome.updated),
        (0, 0),
        "the same file changes nothing"
    );
    assert_eq!(db.ledger().await?.len(), ledger);
    let stored = db.get::<WorkOrder>("HL-027").await?.ok_or("HL-027")?;
    assert_eq!(stored.status, OrderStatus::Replied, "the reply stands");
    Ok(())
}

async fn bad_rows_are_reported_by_row_and_column_and_good_rows_kept(db: &Db) -> TestResult {
    seed_departments(db).await?;
    let rows = [
        "B-01,12345,2026-03-02 09:00,食品安全,一般,SJGJ,2026-03-02 10:00,,,,",
        "B-02,99999,2026-03-02 09:00,食品安全,一般,SJGJ,,,,,",
        "B-03,12345,2026-13-02 09:00,食品安全,一般,SJGJ,,,,,",
        "B-04,12345,2026-03-02 09:00,食品安全,很难,SJGJ,,,,,",
        "B-05,12345,2026-03-02 09:00,食品安全,一般,SJGJ,,,,满意,",
        "B-06,12345,2026-03-02 09:00,食品安全,一般,NOPE,,,,,",
        "B-07,12345,2026-03-02 09:00,食品安全,一般,SJGJ,2026-03-02 10:00,,-1,,",
        "B-08,12345,2026-03-02 09:00,食品安全,一般,SJGJ,2026-03-03 10:00,2026-03-02 12:00,,满意,",
        "B-09,12345,2026-03-02 09:00,食品安全,一般,SJGJ,,,,,91420200MA4A0000",
        "B-10,12345,2026-03-02 09:00,,一般,SJGJ,,,,,",
        "B-11,12345,2026-03-02 09:00,价格,疑难,WJW,,,,,",
    ];
    let file = temp_file("bad.csv", &format!("{HEADER}\n{}\n", rows.join("\n")))?;
    let done = import(db, &file).await?;
    let problems: Vec<(usize, &str)> = done
        .outcome
        .errors
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (3, "来源渠道"),
            (4, "受理时间"),
            (5, "难度"),
            (6, "回访结果"),
            (7, "承办部门"),
            (8, "延期工作日"),
            (9, "办结时间"),
            (10, "涉及主体统一社会信用代码"),
            (11, "问题类型"),
        ]
    );
    assert!(
        done.outcome
            .errors
            .iter()
            .all(|p| !p.reason.is_empty() && !p.reason_zh.is_empty())
    );
    assert_eq!(done.outcome.inserted, 2, "the good rows are kept");
    let kept: Vec<String> = db
        .hotline_orders(&OrderFilter::default(), 100, 0)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut kept = kept;
    kept.sort();
    assert_eq!(kept, ["B-01", "B-11"]);
    Ok(())
}

fn intake(id: &str, received: &str, entity: Option<String>) -> Fallible<Intake> {
    Ok(Intake {
        id: id.to_owned(),
        channel: "12315".to_owned(),
        received_at: at(received)?,
        caller: Caller {
            name: "李四".to_owned(),
            phone: "13912345678".to_owned(),
        },
        content: "餐馆后厨卫生差".to_owned(),
        category: "食品安全".to_owned(),
        location: "下陆区".to_owned(),
        entity,
        difficulty: Difficulty::Ordinary,
    })
}

async fn step(
    db: &Db,
    id: &str,
    action: OrderAction,
    party: &Party,
    when: &str,
) -> Fallible<WorkOrder> {
    Ok(flow::act(db, &rules(), &CAL, id, action, party, at(when)?, "tester").await?)
}

fn sjgj_party() -> Party {
    Party::Department("SJGJ".to_owned())
}

async fn each_step_is_one_ledger_entry_and_the_audit_stays_intact(db: &Db) -> TestResult {
    seed_departments(db).await?;
    let start = db.ledger().await?.len();
    flow::intake(
        db,
        &rules(),
        &CAL,
        intake("T-1", "2026-03-02 09:00", None)?,
        "centre",
    )
    .await?;
    assert_eq!(db.ledger().await?.len(), start + 1);
    let steps = [
        (
            OrderAction::Dispatch {
                department: "黄石市市场监督管理局".to_owned(),
            },
            Party::Centre,
            "2026-03-02 09:30",
            "hotline.dispatched",
        ),
        (
            OrderAction::Sign,
            sjgj_party(),
            "2026-03-02 10:00",
            "hotline.signed",
        ),
        (
            OrderAction::RequestExtension {
                days: 2,
                reason: "需送检".to_owned(),
            },
            sjgj_party(),
            "2026-03-03 10:00",
            "hotline.extension_requested",
        ),
        (
            OrderAction::DecideExtension {
                approve: true,
                days: 2,
                note: String::new(),
            },
            Party::Centre,
            "2026-03-03 11:00",
            "hotline.extension_decided",
        ),
        (
            OrderAction::Reply {
                text: "已立案调查".to_owned(),
            },
            sjgj_party(),
            "2026-03-10 10:00",
            "hotline.replied",
        ),
        (
            OrderAction::Callback {
                rating: Rating::Dissatisfied,
                note: String::new(),
            },
            Party::Centre,
            "2026-03-10 15:00",
            "hotline.called_back",
        ),
        (
            OrderAction::Reopen {
                reason: "群众不满意".to_owned(),
            },
            Party::Centre,
            "2026-03-11 09:00",
            "hotline.reopened",
        ),
        (
            OrderAction::Reply {
                text: "已责令整改".to_owned(),
            },
            sjgj_party(),
            "2026-03-12 10:00",
            "hotline.replied",
        ),
        (
            OrderAction::Callback {
                rating: Rating::Fair,
                note: String::new(),
            },
            Party::Centre,
            "2026-03-12 15:00",
            "hotline.called_back",
        ),
        (
            OrderAction::Close {
                note: "办结".to_owned(),
            },
            Party::Centre,
            "2026-03-12 16:00",
            "hotline.closed",
        ),
    ];
    for (n, (action, party, when, code)) in steps.into_iter().enumerate() {
        let order = step(db, "T-1", action, &party, when).await?;
        let ledger = db.ledger().await?;
        assert_eq!(ledger.len(), start + 2 + n, "{code}: one entry per step");
        let last = ledger.last().ok_or("ledger")?;
        assert_eq!(
            (
                last.action.as_str(),
                last.subject_key.as_str(),
                last.actor.as_str()
            ),
            (code, "T-1", "tester")
        );
        assert_eq!(
            db.get::<WorkOrder>("T-1").await?.as_ref(),
            Some(&order),
            "{code}: stored as returned"
        );
    }
    let order = db.get::<WorkOrder>("T-1").await?.ok_or("T-1")?;
    assert_eq!(
        (order.status, order.department.as_deref()),
        (OrderStatus::Closed, Some("SJGJ"))
    );
    // 2 days granted: 03-03 … 03-09 (5) + 03-10, 03-11 → 03-11; then reopened on
    // 03-11, the clock restarts: 03-12 … 03-18.
    assert_eq!(
        (order.close_due, order.extension_days),
        (day("2026-03-18")?, 0)
    );
    // A refused step: a clear error, nothing stored, no ledger entry.
    let ledger = db.ledger().await?.len();
    let refused = step(
        db,
        "T-1",
        OrderAction::Sign,
        &sjgj_party(),
        "2026-03-13 09:00",
    )
    .await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "cannot 签收 work order T-1: it is 已办结 (签收 needs 已派单)"
    );
    let refused = step(
        db,
        "T-1",
        OrderAction::Close {
            note: String::new(),
        },
        &Party::Centre,
        "2026-03-12 15:59",
    )
    .await;
    assert!(refused.is_err(), "before the last step");
    assert!(
        step(
            db,
            "NOPE",
            OrderAction::Sign,
            &sjgj_party(),
            "2026-03-13 09:00"
        )
        .await
        .is_err()
    );
    assert_eq!(db.ledger().await?.len(), ledger);
    assert_eq!(db.get::<WorkOrder>("T-1").await?.as_ref(), Some(&order));
    // Unknown departments are refused; so is a second intake of the same number.
    flow::intake(
        db,
        &rules(),
        &CAL,
        intake("T-2", "2026-03-02 09:00", None)?,
        "centre",
    )
    .await?;
    assert!(
        step(
            db,
            "T-2",
            OrderAction::Dispatch {
                department: "NOPE".to_owned()
            },
            &Party::Centre,
            "2026-03-02 10:00"
        )
        .await
        .is_err()
    );
    assert!(
        flow::intake(
            db,
            &rules(),
            &CAL,
            intake("T-2", "2026-03-02 09:00", None)?,
            "centre"
        )
        .await
        .is_err()
    );
    // The import's entry, too, is on the chain.
    import(db, Path::new(ORDERS)).await?;
    let report = audit::verify(db).await?;
    assert!(report.intact(), "{:?}", report.breaks);
    Ok(())
}

async fn the_escalation_sweep_raises_overdue_orders_once(db: &Db) -> TestResult {
    seed_departments(db).await?;
    import(db, Path::new(ORDERS)).await?;
    let ledger = db.ledger().await?.len();
    // At 10-14 12:00: 008 办结时限 10-13 passed 1 working day ago → 黄牌; 010
    // and 028 unsigned past 签收时限 → 黄牌; 026 办结时限 09-17, 14 working days
    // past (09-18 … 10-14) → 红牌.
    let raised = flow::escalate_overdue(db, &rules(), &CAL, at(AS_OF)?, "system").await?;
    let levels: BTreeMap<String, Option<Escalation>> = raised
        .iter()
        .map(|o| (o.id.clone(), o.escalation))
        .collect();
    let expected: BTreeMap<String, Option<Escalation>> = [
        ("HL-008", Some(Escalation::Yellow)),
        ("HL-010", Some(Escalation::Yellow)),
        ("HL-026", Some(Escalation::Red)),
        ("HL-028", Some(Escalation::Yellow)),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .into();
    assert_eq!(levels, expected);
    assert_eq!(db.ledger().await?.len(), ledger + 4);
    // Again: nothing more.
    assert!(
        flow::escalate_overdue(db, &rules(), &CAL, at(AS_OF)?, "system")
            .await?
            .is_empty()
    );
    assert_eq!(db.ledger().await?.len(), ledger + 4);
    // 008 turns red three working days past 10-13: on 10-16.
    let raised =
        flow::escalate_overdue(db, &rules(), &CAL, at("2026-10-16 09:00")?, "system").await?;
    assert!(
        raised
            .iter()
            .any(|o| o.id == "HL-008" && o.escalation == Some(Escalation::Red))
    );
    let report = audit::verify(db).await?;
    assert!(report.intact(), "{:?}", report.breaks);
    Ok(())
}

fn entity(code: &Uscc) -> Fallible<MarketEntity> {
    Ok(MarketEntity::new(EntityFields {
        uscc: *code,
        name: "黄石市味美餐饮有限公司".into(),
        entity_type: EntityType::Enterprise.into(),
        district: DistrictCode::parse("420202")?,
        industry: None,
        registered_on: day("2015-06-01")?,
        status: EntityStatus::ALL[0],
        address: None,
        legal_representative: None,
        special_pools: vec![],
        tags: vec![],
        credit: None,
    })?)
}

fn inspector(n: u32, department: &str) -> Fallible<Inspector> {
    Ok(Inspector::new(InspectorFields {
        cert_no: CertificateNo::parse(&format!("HB{n:06}"))?,
        name: format!("检查员{n}"),
        id_card: None,
        department: DepartmentCode::parse(department)?,
        cert_valid_from: day("2020-01-01")?,
        cert_valid_until: day("2030-12-31")?,
        fields: vec!["食品安全".into()],
        district: None,
        register: Default::default(),
    })?)
}

async fn a_complaint_opens_an_inspection_linked_both_ways(db: &Db) -> TestResult {
    seed_departments(db).await?;
    let firm = Uscc::from_body("9142020277604965")?;
    db.upsert_entities(&[entity(&firm)?]).await?;
    db.upsert_inspectors(&[
        inspector(1, "SJGJ")?,
        inspector(2, "SJGJ")?,
        inspector(3, "WJW")?,
    ])
    .await?;
    flow::intake(
        db,
        &rules(),
        &CAL,
        intake("C-1", "2026-03-02 09:00", Some(firm.to_string()))?,
        "centre",
    )
    .await?;
    step(
        db,
        "C-1",
        OrderAction::Dispatch {
            department: "SJGJ".to_owned(),
        },
        &Party::Centre,
        "2026-03-02 09:30",
    )
    .await?;
    step(
        db,
        "C-1",
        OrderAction::Sign,
        &sjgj_party(),
        "2026-03-02 10:00",
    )
    .await?;
    let ledger = db.ledger().await?.len();
    let complaint = |inspectors: &[&str], department: &str| ComplaintInspection {
        id: String::new(),
        department: department.to_owned(),
        detail: "后厨卫生检查".to_owned(),
        inspected_on: NaiveDate::from_ymd_opt(2026, 3, 3).unwrap_or_default(),
        inspectors: inspectors.iter().map(|s| (*s).to_owned()).collect(),
    };
    // Another department may not open it for SJGJ's order; nor with WJW's inspector.
    let wrong = flow::open_inspection(
        db,
        "C-1",
        complaint(&["HB000003", "HB000001"], "WJW"),
        &Party::Department("WJW".into()),
        at("2026-03-03 10:00")?,
        "wjw",
    )
    .await;
    assert!(wrong.is_err());
    let wrong = flow::open_inspection(
        db,
        "C-1",
        complaint(&["HB000001", "HB000003"], "SJGJ"),
        &sjgj_party(),
        at("2026-03-03 10:00")?,
        "sjgj",
    )
    .await;
    assert!(wrong.is_err());
    assert_eq!(db.ledger().await?.len(), ledger, "nothing written");
    let (order, inspection) = flow::open_inspection(
        db,
        "C-1",
        complaint(&["HB000001", "HB000002"], "SJGJ"),
        &sjgj_party(),
        at("2026-03-03 10:00")?,
        "sjgj",
    )
    .await?;
    // Both ways: the inspection names the order, the order lists the inspection.
    assert_eq!(inspection.reason, OutOfPlanReason::Complaint);
    assert_eq!(inspection.work_order.as_deref(), Some("C-1"));
    assert_eq!(inspection.entity, firm.to_string());
    assert_eq!(order.inspections, std::slice::from_ref(&inspection.id));
    let stored = db
        .get::<OutOfPlan>(&inspection.id)
        .await?
        .ok_or("the inspection is stored")?;
    assert_eq!(stored, inspection);
    let stored = db.get::<WorkOrder>("C-1").await?.ok_or("C-1")?;
    assert_eq!(stored.inspections, std::slice::from_ref(&inspection.id));
    assert!(
        db.list::<OutOfPlan>(None)
            .await?
            .iter()
            .any(|o| o.work_order.as_deref() == Some("C-1"))
    );
    // One ledger entry each, written together.
    let entries = db.ledger().await?;
    assert_eq!(entries.len(), ledger + 2);
    let subjects: Vec<&str> = entries[ledger..]
        .iter()
        .map(|e| e.subject_key.as_str())
        .collect();
    assert!(subjects.contains(&"C-1") && subjects.contains(&inspection.id.as_str()));
    // An order naming no enterprise has nothing to inspect.
    flow::intake(
        db,
        &rules(),
        &CAL,
        intake("C-2", "2026-03-02 09:00", None)?,
        "centre",
    )
    .await?;
    assert!(
        flow::open_inspection(
            db,
            "C-2",
            complaint(&["HB000001", "HB000002"], "SJGJ"),
            &Party::Centre,
            at("2026-03-03 10:00")?,
            "centre"
        )
        .await
        .is_err()
    );
    let report = audit::verify(db).await?;
    assert!(report.intact(), "{:?}", report.breaks);
    Ok(())
}

async fn a_department_acts_only_on_its_own_orders(db: &Db) -> TestResult {
    seed_departments(db).await?;
    flow::intake(
        db,
        &rules(),
        &CAL,
        intake("D-1", "2026-03-02 09:00", None)?,
        "centre",
    )
    .await?;
    let ledger = db.ledger().await?.len();
    let wjw = Party::Department("WJW".to_owned());
    // The centre's step is not a department's, even its own.
    assert!(
        step(
            db,
            "D-1",
            OrderAction::Dispatch {
                department: "SJGJ".to_owned()
            },
            &sjgj_party(),
            "2026-03-02 09:30"
        )
        .await
        .is_err()
    );
    step(
        db,
        "D-1",
        OrderAction::Dispatch {
            department: "SJGJ".to_owned(),
        },
        &Party::Centre,
        "2026-03-02 09:30",
    )
    .await?;
    let before = db.get::<WorkOrder>("D-1").await?;
    // Another department cannot see it, the centre does not sign for the department.
    let other = step(db, "D-1", OrderAction::Sign, &wjw, "2026-03-02 10:00").await;
    assert!(other.is_err());
    assert!(
        step(
            db,
            "D-1",
            OrderAction::Sign,
            &Party::Centre,
            "2026-03-02 10:00"
        )
        .await
        .is_err()
    );
    assert!(
        step(
            db,
            "D-1",
            OrderAction::Return {
                reason: "不是我们".into()
            },
            &wjw,
            "2026-03-02 10:00"
        )
        .await
        .is_err()
    );
    assert_eq!(db.ledger().await?.len(), ledger + 1);
    assert_eq!(db.get::<WorkOrder>("D-1").await?, before);
    // Its own department signs; after a 退单 and re-dispatch to WJW, SJGJ no longer may act.
    step(
        db,
        "D-1",
        OrderAction::Sign,
        &sjgj_party(),
        "2026-03-02 10:00",
    )
    .await?;
    step(
        db,
        "D-1",
        OrderAction::Return {
            reason: "属卫健职责".into(),
        },
        &sjgj_party(),
        "2026-03-02 11:00",
    )
    .await?;
    step(
        db,
        "D-1",
        OrderAction::Dispatch {
            department: "WJW".to_owned(),
        },
        &Party::Centre,
        "2026-03-03 09:00",
    )
    .await?;
    assert!(
        step(
            db,
            "D-1",
            OrderAction::Sign,
            &sjgj_party(),
            "2026-03-03 10:00"
        )
        .await
        .is_err()
    );
    let order = step(db, "D-1", OrderAction::Sign, &wjw, "2026-03-03 10:00").await?;
    // Re-dispatched on Tue 03-03: the clocks restart (签收 03-04, 办结 03-04 … 03-10).
    assert_eq!(
        (order.sign_due, order.close_due, order.returns),
        (day("2026-03-04")?, day("2026-03-10")?, 1)
    );
    // Orders per department.
    let mine = OrderFilter {
        department: Some("WJW".into()),
        ..OrderFilter::default()
    };
    assert_eq!(db.hotline_order_count(&mine).await?, 1);
    let theirs = OrderFilter {
        department: Some("SJGJ".into()),
        ..OrderFilter::default()
    };
    assert_eq!(db.hotline_order_count(&theirs).await?, 0);
    Ok(())
}

async fn the_as_of_instant_counts_whatever_its_offset(db: &Db) -> TestResult {
    seed_departments(db).await?;
    import(db, Path::new(ORDERS)).await?;
    // 2026-10-14T17:00:00Z is 10-15 01:00 in Beijing: HL-011's 签收时限 (10-14,
    // unsigned) and HL-012's 办结时限 (10-14, open) have passed. City sign 26/34,
    // close 18/27.
    let beijing = report(db, "2026-01-01", "2026-10-13", None, "2026-10-15 01:00").await?;
    assert_eq!(
        beijing.city,
        counts(34, (26, 34), (18, 27), (17, 22), (145, 24))
    );
    // The same instant with a UTC offset, as a library caller may pass it.
    let instant = DateTime::parse_from_rfc3339("2026-10-14T17:00:00Z")?;
    let utc = report_at(db, "2026-01-01", "2026-10-13", None, instant).await?;
    assert_eq!(utc.city, beijing.city, "the same instant in UTC");
    let due_utc = flow::due(db, &rules(), &CAL, None, instant).await?;
    let due_beijing = flow::due(db, &rules(), &CAL, None, at("2026-10-15 01:00")?).await?;
    assert_eq!(due_utc, due_beijing);
    Ok(())
}

// ------------------------------------------------------------------- the CLI

/// A data folder whose database knows the two departments (and a third without orders).
fn data_dir() -> Fallible<PathBuf> {
    let dir = std::env::temp_dir().join(unique("hotline-cli"));
    std::fs::create_dir_all(&dir)?;
    let database = storage::default_database(&dir);
    let url = database.to_str().ok_or("path")?.to_owned();
    common::runtime()?.block_on(async {
        let db = storage::open(&url).await?;
        common::migrate_and_set_up(&db).await?;
        seed_departments(&db).await?;
        db.close().await;
        Ok::<_, Box<dyn Error>>(())
    })?;
    Ok(dir)
}

fn kpi_line(
    data: &str,
    from: &str,
    to: &str,
    department: Option<&str>,
    as_of: &str,
) -> Fallible<(String, Value)> {
    let mut args = vec![
        "hotline",
        "kpi",
        "--from",
        from,
        "--to",
        to,
        "--as-of",
        as_of,
        "--json",
        "--data-dir",
        data,
    ];
    if let Some(department) = department {
        args.extend(["--department", department]);
    }
    let out = jianguan_ok(&args)?;
    let text = String::from_utf8(out.stdout)?;
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    let value = serde_json::from_str(&text)?;
    Ok((text, value))
}

#[test]
fn the_cli_prints_the_hand_counted_kpis() -> TestResult {
    let dir = data_dir()?;
    let data = dir.to_str().ok_or("path")?;
    let out = jianguan_ok(&["hotline", "import", ORDERS, "--json", "--data-dir", data])?;
    let line: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (line["imported"].as_u64(), line["rejected"].as_u64()),
        (Some(36), Some(0)),
        "{line}"
    );
    // The figures counted by hand above.
    let (text, city) = kpi_line(data, "2026-01-01", "2026-10-13", None, AS_OF)?;
    assert_eq!(city, summary(34, 0.7879, 0.6923, 0.7727, 6.0417));
    // Exactly the line of the issue, keys in its order.
    assert_eq!(
        text,
        "{\"orders\":34,\"sign_rate\":0.7879,\"close_rate\":0.6923,\"satisfaction_rate\":0.7727,\"avg_close_working_days\":6.0417}\n"
    );
    let (_, sjgj) = kpi_line(data, "2026-01-01", "2026-10-13", Some("SJGJ"), AS_OF)?;
    assert_eq!(sjgj, summary(19, 0.7895, 0.6667, 0.8462, 6.2308));
    let (_, wjw) = kpi_line(data, "2026-01-01", "2026-10-13", Some("WJW"), AS_OF)?;
    assert_eq!(wjw, summary(15, 0.7857, 0.7273, 0.6667, 5.8182));
    let (_, february) = kpi_line(data, "2026-02-01", "2026-02-28", None, AS_OF)?;
    assert_eq!(february, summary(7, 0.8571, 0.7143, 0.5, 6.7143));
    let (_, later) = kpi_line(data, "2026-01-01", "2026-10-13", None, "2026-10-16 12:00")?;
    assert_eq!(later, summary(34, 0.7647, 0.6207, 0.7727, 6.0417));
    // A date alone as --as-of is the end of that day: HL-015, closed 10-14 09:00, is closed.
    let (_, day_only) = kpi_line(data, "2026-01-01", "2026-10-13", None, "2026-10-14")?;
    assert_eq!(day_only, city);
    // The XLSX report is written beside the JSON.
    let xlsx = dir.join("kpi.xlsx");
    jianguan_ok(&[
        "hotline",
        "kpi",
        "--from",
        "2026-01-01",
        "--to",
        "2026-10-13",
        "--as-of",
        AS_OF,
        "--json",
        "--xlsx",
        xlsx.to_str().ok_or("path")?,
        "--data-dir",
        data,
    ])?;
    assert!(
        std::fs::read(&xlsx)?.starts_with(b"PK"),
        "an XLSX (zip) file"
    );
    // The overdue list of one department (see the_overdue_list_of_the_hand_made_file).
    let out = jianguan_ok(&[
        "hotline",
        "due",
        "--department",
        "WJW",
        "--as-of",
        AS_OF,
        "--json",
        "--data-dir",
        data,
    ])?;
    let list: Value = serde_json::from_slice(&out.stdout)?;
    let ids: Vec<&str> = list
        .as_array()
        .ok_or("a list")?
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(ids.first(), Some(&"HL-010"), "overdue first: {ids:?}");
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["HL-010", "HL-011", "HL-033"]);
    // Empty: nulls, never NaN.
    for (from, to, department) in [
        ("2026-11-01", "2026-11-30", None),
        ("2026-01-01", "2026-10-13", Some("YJJ")),
    ] {
        let (text, value) = kpi_line(data, from, to, department, AS_OF)?;
        assert_eq!(value, empty_summary());
        assert!(!text.contains("NaN") && text.contains("null"), "{text}");
    }
    // Importing again changes nothing.
    let out = jianguan(&["hotline", "import", ORDERS, "--json", "--data-dir", data])?;
    let line: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (line["imported"].as_u64(), line["updated"].as_u64()),
        (Some(0), Some(0)),
        "{line}"
    );
    let (_, again) = kpi_line(data, "2026-01-01", "2026-10-13", None, AS_OF)?;
    assert_eq!(again, city);
    // The 督办 sweep and the ledger: `audit verify` says intact.
    let out = jianguan_ok(&["hotline", "escalate", "--as-of", AS_OF, "--data-dir", data])?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 orders escalated"));
    let out = jianguan(&["audit", "verify", "--data-dir", data])?;
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Escalation changes no KPI.
    let (_, escalated) = kpi_line(data, "2026-01-01", "2026-10-13", None, AS_OF)?;
    assert_eq!(escalated, city);
    // Bad queries: exit 2.
    for args in [
        vec![
            "hotline",
            "kpi",
            "--from",
            "2026-10-13",
            "--to",
            "2026-01-01",
            "--json",
            "--data-dir",
            data,
        ],
        vec![
            "hotline",
            "kpi",
            "--from",
            "2026-01-01",
            "--to",
            "2026-10-13",
            "--department",
            "NOPE",
            "--json",
            "--data-dir",
            data,
        ],
        vec![
            "hotline",
            "kpi",
            "--from",
            "2026-01-01",
            "--to",
            "2026-10-13",
            "--as-of",
            "yesterday",
            "--data-dir",
            data,
        ],
        vec![
            "hotline",
            "kpi",
            "--from",
            "2026-01-01",
            "--to",
            "2026-13-01",
            "--data-dir",
            data,
        ],
    ] {
        let out = jianguan(&args)?;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[test]
fn the_cli_names_missing_headers_and_bad_rows() -> TestResult {
    let dir = data_dir()?;
    let data = dir.to_str().ok_or("path")?;
    let missing = temp_file(
        "missing.csv",
        "工单编号,来源渠道,受理时间,问题类型,难度,承办部门\nM-1,12345,2026-03-02 09:00,价格,一般,SJGJ\n",
    )?;
    let out = jianguan(&[
        "hotline",
        "import",
        missing.to_str().ok_or("path")?,
        "--data-dir",
        data,
    ])?;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for header in [
        "签收时间",
        "办结时间",
        "延期工作日",
        "回访结果",
        "涉及主体统一社会信用代码",
    ] {
        assert!(stderr.contains(header), "names {header}: {stderr}");
    }
    let bad = temp_file(
        "bad.csv",
        &format!(
            "{HEADER}\nG-1,12345,2026-03-02 09:00,价格,一般,SJGJ,,,,,\nG-2,12345,2026-03-02 25:00,价格,一般,SJGJ,,,,,\n"
        ),
    )?;
    let out = jianguan(&[
        "hotline",
        "import",
        bad.to_str().ok_or("path")?,
        "--data-dir",
        data,
    ])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("row 3") && l.contains("受理时间")),
        "the bad row by row and column: {stderr}"
    );
    let out = jianguan(&[
        "hotline",
        "import",
        bad.to_str().ok_or("path")?,
        "--json",
        "--data-dir",
        data,
    ])?;
    let line: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(line["rejected"].as_u64(), Some(1), "{line}");
    let out = jianguan(&[
        "hotline",
        "import",
        "/nonexistent/orders.csv",
        "--data-dir",
        data,
    ])?;
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// The entity column: a mistyped code is rejected by row and column, a
/// pilot-pattern one taken with a warning, or rejected with strict checking.
#[test]
fn entity_codes_are_decided_like_every_import() -> TestResult {
    let valid = Uscc::from_body("91420200MA4A0000")?.to_string();
    let mistyped = format!(
        "{}{}",
        &valid[..17],
        if valid.ends_with('1') { '2' } else { '1' }
    );
    let rows = [
        format!("U-01,12345,2026-03-02 09:00,价格,一般,SJGJ,,,,,{valid}"),
        format!("U-02,12345,2026-03-02 09:00,价格,一般,SJGJ,,,,,{mistyped}"),
        "U-03,12345,2026-03-02 09:00,价格,一般,SJGJ,,,,,91350100M0001TGQ0M".to_owned(),
    ];
    let file = temp_file("entities.csv", &format!("{HEADER}\n{}\n", rows.join("\n")))?;
    let lenient = files::hotline::read_orders(&file, &rules(), false)?;
    let rejected: Vec<(usize, &str)> = lenient
        .outcome
        .errors
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(rejected, [(3, "涉及主体统一社会信用代码")]);
    assert!(lenient.outcome.errors[0].reason.contains("mistyped"));
    assert_eq!(
        lenient
            .outcome
            .warnings
            .iter()
            .map(|p| p.row)
            .collect::<Vec<_>>(),
        [4]
    );
    assert_eq!(lenient.rows.len(), 2);
    let strict = files::hotline::read_orders(&file, &rules(), true)?;
    assert_eq!(
        strict
            .outcome
            .errors
            .iter()
            .map(|p| p.row)
            .collect::<Vec<_>>(),
        [3, 4]
    );
    assert!(strict.outcome.warnings.is_empty());
    assert_eq!(strict.rows.len(), 1);
    Ok(())
}

/// Takes in `id` from `phone` about `content`, dispatched to 市场监督管理局 (SJGJ).
async fn take_in(db: &Db, id: &str, phone: &str, content: &str, received: &str) -> TestResult {
    let mut order = intake(id, received, None)?;
    order.caller.phone = phone.to_owned();
    order.content = content.to_owned();
    flow::intake(db, &rules(), &CAL, order, "centre").await?;
    step(
        db,
        id,
        OrderAction::Dispatch {
            department: "SJGJ".to_owned(),
        },
        &Party::Centre,
        received,
    )
    .await?;
    Ok(())
}

async fn orders_are_found_by_number_phone_and_keyword(db: &Db) -> TestResult {
    seed_departments(db).await?;
    take_in(
        db,
        "S-100",
        "13900001111",
        "奶茶店使用过期原料",
        "2026-03-02 09:00",
    )
    .await?;
    take_in(
        db,
        "S-200",
        "13900002222",
        "药店无证经营",
        "2026-03-03 09:00",
    )
    .await?;
    take_in(
        db,
        "S-300",
        "0714-6225555",
        "商场电梯故障 50%_打折",
        "2026-03-04 09:00",
    )
    .await?;
    let found = |filter: OrderFilter| async move {
        let orders = db.hotline_orders(&filter, 50, 0).await?;
        let count = db.hotline_order_count(&filter).await?;
        assert_eq!(orders.len() as u64, count);
        Ok::<Vec<String>, Box<dyn Error>>(orders.into_iter().map(|o| o.id).collect())
    };
    let by = |number: Option<&str>, phone: Option<&str>, keyword: Option<&str>| OrderFilter {
        number: number.map(str::to_owned),
        phone: phone.map(str::to_owned),
        keyword: keyword.map(str::to_owned),
        ..OrderFilter::default()
    };
    assert_eq!(found(by(Some("s-2"), None, None)).await?, ["S-200"]);
    assert_eq!(found(by(None, Some("1111"), None)).await?, ["S-100"]);
    assert_eq!(
        found(by(None, Some("139000"), None)).await?,
        ["S-200", "S-100"]
    );
    assert_eq!(found(by(None, None, Some("过期"))).await?, ["S-100"]);
    // The 问题类型 too; LIKE's wildcards are plain characters.
    assert_eq!(found(by(None, None, Some("食品安全"))).await?.len(), 3);
    assert_eq!(found(by(None, None, Some("50%_"))).await?, ["S-300"]);
    assert!(found(by(None, None, Some("%"))).await?.len() == 1);
    // Combined with the other filters and dates.
    let narrowed = OrderFilter {
        from: Some(day("2026-03-03")?),
        ..by(None, Some("13900"), None)
    };
    assert_eq!(found(narrowed).await?, ["S-200"]);
    Ok(())
}

async fn the_caller_is_revealed_at_the_callback_only_and_on_the_ledger(db: &Db) -> TestResult {
    seed_departments(db).await?;
    take_in(db, "R-1", "13911112222", "回访测试", "2026-03-02 09:00").await?;
    let before = db.ledger().await?.len();
    assert!(
        flow::reveal_caller(db, "R-1", at("2026-03-02 10:00")?, "operator")
            .await
            .is_err(),
        "not before the reply"
    );
    assert_eq!(db.ledger().await?.len(), before);
    step(
        db,
        "R-1",
        OrderAction::Sign,
        &sjgj_party(),
        "2026-03-02 10:00",
    )
    .await?;
    step(
        db,
        "R-1",
        OrderAction::Reply {
            text: "已处理".to_owned(),
        },
        &sjgj_party(),
        "2026-03-03 10:00",
    )
    .await?;
    let phone = flow::reveal_caller(db, "R-1", at("2026-03-03 11:00")?, "operator").await?;
    assert_eq!(phone, "13911112222");
    let ledger = db.ledger().await?;
    let last = ledger.last().ok_or("no ledger")?;
    assert_eq!(
        (
            last.action.as_str(),
            last.actor.as_str(),
            last.subject_key.as_str()
        ),
        (flow::CALLER_REVEALED, "operator", "R-1")
    );
    // The order itself is unchanged; the audit stays intact.
    let order: WorkOrder = db.get("R-1").await?.ok_or("no order")?;
    assert_eq!(order.status, OrderStatus::Replied);
    assert!(audit::verify(db).await?.intact());
    Ok(())
}

async fn a_late_order_takes_a_rectification_notice_listed_by_its_object(db: &Db) -> TestResult {
    use domain::rectification::{SupervisedKind, SupervisedObject};
    use service::supervision::{NewNotice, issue, notices_against};
    seed_departments(db).await?;
    take_in(db, "L-1", "13900003333", "超期测试", "2026-03-02 09:00").await?;
    take_in(db, "L-2", "13900004444", "未超期", "2026-03-20 09:00").await?;
    let notice = |id: &str, kind: SupervisedKind| NewNotice {
        object: SupervisedObject {
            kind,
            id: id.to_owned(),
        },
        department: None,
        finding: String::new(),
        requirement: "限期办结".to_owned(),
    };
    // On 2026-03-23 L-1 (received 03-02) is past its closing deadline; L-2 is not.
    let now = at("2026-03-23 10:00")?;
    let issued = issue(
        db,
        &CAL,
        notice("L-1", SupervisedKind::HotlineOrder),
        now,
        "sfj",
    )
    .await?;
    assert_eq!(issued.subject, "hotline_order:L-1");
    assert_eq!(issued.department, "SJGJ");
    assert!(issued.finding.contains("超期未办结"), "{}", issued.finding);
    // Ten working days on the working-day calendar.
    let due = CAL
        .estimating()
        .add_working_days(day("2026-03-23")?, 10)?
        .value;
    assert_eq!(issued.due, due);
    assert!(
        due > day("2026-04-03")?,
        "the Qingming holiday is not counted: {due}"
    );
    assert!(
        issue(
            db,
            &CAL,
            notice("L-2", SupervisedKind::HotlineOrder),
            now,
            "sfj"
        )
        .await
        .is_err()
    );
    assert!(
        issue(
            db,
            &CAL,
            notice("X-1", SupervisedKind::CaseFinding),
            now,
            "sfj"
        )
        .await
        .is_err(),
        "a case finding names its department"
    );
    let case = issue(
        db,
        &CAL,
        NewNotice {
            department: Some("SJGJ".to_owned()),
            finding: "处罚决定未说明裁量理由".to_owned(),
            ..notice("X-1", SupervisedKind::CaseFinding)
        },
        now,
        "sfj",
    )
    .await?;
    assert_eq!(case.subject, "case_finding:X-1");
    // Listed by the stored (kind, id) columns.
    let against = notices_against(
        db,
        &SupervisedObject {
            kind: SupervisedKind::HotlineOrder,
            id: "L-1".to_owned(),
        },
    )
    .await?;
    assert_eq!(against.len(), 1);
    assert_eq!(against[0].id, issued.id);
    assert!(audit::verify(db).await?.intact());
    Ok(())
}
