//! Credit repair and expiry (rules in force 2026-04-01): the date arithmetic
//! of each severity across month ends and leap days (property tests against
//! an independent calendar), and the repair workflow and expiry reports as a
//! contract on SQLite and PostgreSQL (harness in `tests/common`).

#![allow(
    clippy::panic,
    reason = "a failed step fails the test with its message"
)]

use chrono::{Datelike as _, Days, FixedOffset, NaiveDate, TimeZone as _};
use domain::credit::{CreditEntry, ListType, Matter, Outcome, Severity, Subject};
use domain::credit_repair::{RepairStatus, refusal};
use domain::idcard::check_character;
use domain::uscc::Uscc;
use files::credit::Applicant;
use proptest::prelude::*;
use service::credit::{Checker, check_applicants};
use service::credit_repair::{self, Decision, RequestInput};
use service::{WorkflowError, audit};
use storage::credit::CreditStore;
use storage::{Db, WorkflowStore};

use crate::common;

use common::{TestResult, contracts, execute};

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------------------
// Dates, independently of chrono's month arithmetic.

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `date` plus `months` calendar months, the day clamped to the month's last
/// (2026-01-31 + 1 month = 2026-02-28; 2028-02-29 + 12 months = 2029-02-28).
fn plus_months(date: NaiveDate, months: u32) -> NaiveDate {
    let index = date.year() * 12 + date.month0() as i32 + months as i32;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    let day = date.day().min(days_in_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_else(|| panic!("{year}-{month}-{day}"))
}

fn minus_one_day(date: NaiveDate) -> NaiveDate {
    date.pred_opt()
        .unwrap_or_else(|| panic!("no day before {date}"))
}

/// The periods of the rules in force 2026-04-01, in months: (minimum, maximum).
fn periods(severity: Severity) -> (u32, u32) {
    match severity {
        Severity::Minor => (0, 3),
        Severity::Ordinary => (3, 12),
        Severity::Serious => (12, 36),
    }
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 2020-01-01 .. 2040-12-31, with month ends and 29 February drawn often.
    prop_oneof![
        (0u64..7671).prop_map(|n| day("2020-01-01") + Days::new(n)),
        (2020i32..2041, 1u32..13).prop_map(|(y, m)| {
            NaiveDate::from_ymd_opt(y, m, days_in_month(y, m)).unwrap_or_else(|| panic!("{y}-{m}"))
        }),
        (0i32..6).prop_map(|k| {
            NaiveDate::from_ymd_opt(2020 + 4 * k, 2, 29).unwrap_or_else(|| panic!("leap {k}"))
        }),
    ]
}

fn any_severity() -> impl Strategy<Value = Severity> {
    prop_oneof![
        Just(Severity::Minor),
        Just(Severity::Ordinary),
        Just(Severity::Serious)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Repair opens exactly at the finding date plus the minimum period.
    #[test]
    fn repair_opens_at_the_finding_plus_the_minimum(decided in any_date(), severity in any_severity()) {
        let (minimum, _) = periods(severity);
        prop_assert_eq!(severity.repair_opens_on(decided), plus_months(decided, minimum));
    }

    /// Publication's last day is the finding date plus the maximum, minus one day.
    #[test]
    fn publication_ends_the_day_before_the_finding_plus_the_maximum(decided in any_date(), severity in any_severity()) {
        let (_, maximum) = periods(severity);
        prop_assert_eq!(severity.publication_last_day(decided), minus_one_day(plus_months(decided, maximum)));
    }

    /// An entry counts on its last day of publication and not the day after;
    /// a request is refused the day before repair opens and accepted on the day.
    #[test]
    fn an_entry_of_any_severity_turns_over_on_its_days(decided in any_date(), severity in any_severity()) {
        let mut entry = entry(&enterprise(1), ListType::Penalty, decided);
        entry.severity = Some(severity);
        // Listed on the finding date (a request is never accepted before the listing).
        entry.listed_on = decided;
        let last = severity.publication_last_day(decided);
        prop_assert!(entry.counts_on(last));
        prop_assert!(!entry.counts_on(last + Days::new(1)));
        let opens = severity.repair_opens_on(decided);
        prop_assert_eq!(refusal(&entry, Some(severity), opens), None);
        if opens > decided {
            let early = refusal(&entry, Some(severity), minus_one_day(opens));
            prop_assert!(early.as_deref().is_some_and(|m| m.contains(&opens.to_string())), "{early:?}");
        }
    }
}

#[test]
fn month_ends_and_leap_days_clamp_to_the_shorter_month() {
    // 一般: opens 3 months after 31 January on 30 April; published through 30 January next year.
    assert_eq!(
        Severity::Ordinary.repair_opens_on(day("2026-01-31")),
        day("2026-04-30")
    );
    assert_eq!(
        Severity::Ordinary.publication_last_day(day("2026-01-31")),
        day("2027-01-30")
    );
    // 严重 found on 29 February 2028: opens 28 February 2029; last day 27 February 2031.
    assert_eq!(
        Severity::Serious.repair_opens_on(day("2028-02-29")),
        day("2029-02-28")
    );
    assert_eq!(
        Severity::Serious.publication_last_day(day("2028-02-29")),
        day("2031-02-27")
    );
    // 轻微: may be repaired at once; published at most through the day before 3 months later.
    assert_eq!(
        Severity::Minor.repair_opens_on(day("2026-11-30")),
        day("2026-11-30")
    );
    assert_eq!(
        Severity::Minor.publication_last_day(day("2026-11-30")),
        day("2027-02-27")
    );
}

/// The core clamps a month-end date down, then subtracts a day for the last
/// day of publication. Where the corresponding day does not exist, the
/// publication so ends a day (or up to three) before the month's last day,
/// and two different findings share their last day and their repair date:
/// 2028-02-28 and 2028-02-29 (一般) both end on 2029-02-27 and both open on
/// 2029-02-28; 2026-01-29/30/31 (轻微) all end on 2026-04-29. Under the
/// 民法典 rule (第二百零三条: with no corresponding day, the month's last day
/// is the period's last day) the leap-day finding is published through
/// 2029-02-28 and may ask for repair from 2029-03-01. Ignored by decision:
/// jianguan keeps the documented convention (docs/credit.md: last day =
/// finding + maximum − 1 day, month ends clamped), under which month-end
/// findings sharing an end date is expected; run with `--ignored` to list them.
#[test]
#[ignore = "documents a rejected alternative: the month-end convention in docs/credit.md is kept by decision"]
fn a_later_finding_never_ends_publication_earlier_or_on_the_same_day() {
    let mut failures = Vec::new();
    for severity in [Severity::Minor, Severity::Ordinary, Severity::Serious] {
        let mut date = day("2026-01-01");
        while date < day("2030-12-31") {
            let next = date + Days::new(1);
            if severity.publication_last_day(next) <= severity.publication_last_day(date) {
                failures.push(format!(
                    "{severity}: {date} and {next} both end on {}",
                    severity.publication_last_day(date)
                ));
            }
            date = next;
        }
    }
    assert!(
        failures.is_empty(),
        "{} collisions, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(4)]
    );
}

// ---------------------------------------------------------------------------
// Fixture.

fn enterprise(n: u32) -> String {
    Uscc::from_body(&format!("91420200{n:08}"))
        .unwrap_or_else(|e| panic!("{e}"))
        .as_str()
        .to_owned()
}

fn person(n: u32) -> String {
    let body = format!("42020219800101{n:03}");
    let check = char::from(check_character(body.as_bytes()));
    format!("{body}{check}")
}

fn entry(subject: &str, list_type: ListType, decided: NaiveDate) -> CreditEntry {
    let (subject, _) = Subject::parse(subject).unwrap_or_else(|e| panic!("{subject}: {e:?}"));
    CreditEntry {
        subject,
        subject_name: "黄石市某某商贸有限公司".into(),
        list_type,
        listed_on: decided + Days::new(3),
        valid_until: None,
        removed_on: None,
        authority: "黄石市市场监督管理局".into(),
        reason: "虚假宣传".into(),
        ref_no: format!("黄市监罚〔{}〕{}号", decided.year(), decided.ordinal()),
        severity: Some(Severity::Ordinary),
        decided_on: Some(decided),
        source: "test".into(),
        details: None,
    }
}

fn at(date: NaiveDate) -> chrono::DateTime<FixedOffset> {
    let china = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| panic!("offset"));
    china
        .from_local_datetime(&date.and_hms_opt(10, 0, 0).unwrap_or_else(|| panic!("time")))
        .single()
        .unwrap_or_else(|| panic!("time"))
}

fn asking(entry: &CreditEntry, on: NaiveDate) -> RequestInput {
    RequestInput {
        entry: entry.key(),
        applicant: String::new(),
        statement: "已缴纳罚款并整改完毕，承诺守法经营。".into(),
        requested_on: on,
    }
}

fn decision(approve: bool, reason: &str, on: NaiveDate) -> Decision {
    Decision {
        approve,
        reason: reason.into(),
        severity: None,
        on,
    }
}

/// The stored entry with `entry`'s key.
async fn stored(db: &Db, entry: &CreditEntry) -> Fallible<CreditEntry> {
    Ok(credit_repair::entry_of(db, &entry.key()).await?)
}

fn refused_naming(result: Result<impl std::fmt::Debug, WorkflowError>, needle: &str) {
    match result {
        Err(WorkflowError::Refused(message)) => {
            assert!(message.contains(needle), "{message:?} should name {needle}")
        }
        other => panic!("expected a refusal naming {needle}, got {other:?}"),
    }
}

/// A matter that blocks on penalties.
fn matter() -> Matter {
    Matter {
        code: "T-001".into(),
        name: "政策资金补贴申报".into(),
        domain: "政策资金补贴申报".into(),
        department: "FGW".into(),
        block: vec![ListType::Penalty, ListType::Blacklist],
        warn: vec![ListType::Abnormal],
        reward: vec![ListType::Redlist],
    }
}

// ---------------------------------------------------------------------------
// Contracts.

contracts!(
    "credit_repair";
    a_request_a_day_early_is_refused_and_on_the_day_accepted,
    approval_removes_the_entry_from_checks_from_the_repair_date,
    rejection_keeps_the_entry_and_a_new_request_may_follow,
    an_entry_without_severity_is_repaired_only_once_one_is_assigned,
    a_blacklist_repair_needs_the_reviewers_reason,
    expiry_counts_on_the_last_day_and_not_the_day_after,
    the_ledger_and_audit_verify_after_a_repair,
);

async fn a_request_a_day_early_is_refused_and_on_the_day_accepted(db: &Db) -> TestResult {
    // 一般, found on 31 January 2026: repair opens on 30 April 2026.
    let listed = entry(&enterprise(1), ListType::Penalty, day("2026-01-31"));
    db.upsert_credit_entries(vec![listed.clone()]).await?;
    let early = credit_repair::request(
        db,
        asking(&listed, day("2026-04-29")),
        at(day("2026-04-29")),
        "cli",
    )
    .await;
    refused_naming(early, "2026-04-30");
    let filed = credit_repair::request(
        db,
        asking(&listed, day("2026-04-30")),
        at(day("2026-04-30")),
        "cli",
    )
    .await?;
    assert_eq!(filed.status, RepairStatus::Pending);
    assert_eq!(filed.opens_on, Some(day("2026-04-30")));
    assert_eq!(filed.id, "XF-2026-0001");
    assert_eq!(
        filed.applicant, listed.subject_name,
        "the applicant defaults to the subject"
    );
    // One pending request per entry.
    let again = credit_repair::request(
        db,
        asking(&listed, day("2026-05-02")),
        at(day("2026-05-02")),
        "cli",
    )
    .await;
    refused_naming(again, "XF-2026-0001");
    // Not bad credit: a red-list entry is not repaired.
    let red = entry(&enterprise(2), ListType::Redlist, day("2025-01-31"));
    db.upsert_credit_entries(vec![red.clone()]).await?;
    refused_naming(
        credit_repair::request(
            db,
            asking(&red, day("2026-05-02")),
            at(day("2026-05-02")),
            "cli",
        )
        .await,
        "红名单",
    );
    // An entry that does not exist.
    let mut ghost = listed.clone();
    ghost.ref_no = "不存在".into();
    assert!(matches!(
        credit_repair::request(
            db,
            asking(&ghost, day("2026-05-02")),
            at(day("2026-05-02")),
            "cli"
        )
        .await,
        Err(WorkflowError::NotFound { .. })
    ));
    Ok(())
}

async fn approval_removes_the_entry_from_checks_from_the_repair_date(db: &Db) -> TestResult {
    let listed = entry(&enterprise(3), ListType::Penalty, day("2026-01-10"));
    db.upsert_credit_entries(vec![listed.clone()]).await?;
    let filed = credit_repair::request(
        db,
        asking(&listed, day("2026-04-10")),
        at(day("2026-04-10")),
        "applicant.desk",
    )
    .await?;
    let repaired_on = day("2026-04-20");
    let approved = credit_repair::review(
        db,
        &filed.id,
        decision(true, "材料齐全", repaired_on),
        at(repaired_on),
        "credit.office",
    )
    .await?;
    assert_eq!(approved.status, RepairStatus::Repaired);
    assert_eq!(approved.repaired_on(), Some(repaired_on));
    let after = stored(db, &listed).await?;
    assert_eq!(after.removed_on, Some(repaired_on));
    // Checked as a department checks (and logged).
    let applicant = [Applicant {
        id: listed.subject.as_str().to_owned(),
        name: None,
        row: 0,
    }];
    let checker = Checker {
        actor: "test".into(),
        department: None,
    };
    let check = |on: NaiveDate| {
        let applicant = &applicant;
        let checker = &checker;
        async move {
            Ok::<_, WorkflowError>(
                check_applicants(db, &matter(), applicant, on, checker)
                    .await?
                    .results[0]
                    .outcome,
            )
        }
    };
    assert_eq!(
        check(minus_one_day(repaired_on)).await?,
        Outcome::Block,
        "a check the day before still hits"
    );
    assert_eq!(
        check(repaired_on).await?,
        Outcome::Clear,
        "from the repair date it does not"
    );
    assert_eq!(check(day("2026-12-31")).await?, Outcome::Clear);
    // Reviewed once only.
    refused_naming(
        credit_repair::review(
            db,
            &filed.id,
            decision(false, "重复", repaired_on),
            at(repaired_on),
            "credit.office",
        )
        .await,
        "already reviewed",
    );
    // A removed entry takes no new request.
    refused_naming(
        credit_repair::request(
            db,
            asking(&listed, day("2026-05-01")),
            at(day("2026-05-01")),
            "cli",
        )
        .await,
        "removed",
    );
    Ok(())
}

async fn rejection_keeps_the_entry_and_a_new_request_may_follow(db: &Db) -> TestResult {
    let listed = entry(&enterprise(4), ListType::Abnormal, day("2026-01-10"));
    db.upsert_credit_entries(vec![listed.clone()]).await?;
    let filed = credit_repair::request(
        db,
        asking(&listed, day("2026-04-10")),
        at(day("2026-04-10")),
        "cli",
    )
    .await?;
    refused_naming(
        credit_repair::review(
            db,
            &filed.id,
            decision(false, " ", day("2026-04-11")),
            at(day("2026-04-11")),
            "credit.office",
        )
        .await,
        "says why",
    );
    refused_naming(
        credit_repair::review(
            db,
            &filed.id,
            decision(false, "早了", day("2026-04-09")),
            at(day("2026-04-11")),
            "credit.office",
        )
        .await,
        "before the request",
    );
    let rejected = credit_repair::review(
        db,
        &filed.id,
        decision(false, "未提交整改证明", day("2026-04-11")),
        at(day("2026-04-11")),
        "credit.office",
    )
    .await?;
    assert_eq!(rejected.status, RepairStatus::Rejected);
    assert_eq!(
        stored(db, &listed).await?.removed_on,
        None,
        "rejection keeps the entry"
    );
    assert!(stored(db, &listed).await?.counts_on(day("2026-06-01")));
    let second = credit_repair::request(
        db,
        asking(&listed, day("2026-04-20")),
        at(day("2026-04-20")),
        "cli",
    )
    .await?;
    assert_eq!(second.id, "XF-2026-0002");
    let pending = credit_repair::list(db, Some(RepairStatus::Pending)).await?;
    assert_eq!(
        pending.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["XF-2026-0002"]
    );
    assert_eq!(credit_repair::list(db, None).await?.len(), 2);
    Ok(())
}

async fn an_entry_without_severity_is_repaired_only_once_one_is_assigned(db: &Db) -> TestResult {
    let mut listed = entry(&person(1), ListType::Penalty, day("2025-12-01"));
    listed.severity = None;
    db.upsert_credit_entries(vec![listed.clone()]).await?;
    // Filed (the minimum is unknown), but not approved without a severity.
    let filed = credit_repair::request(
        db,
        asking(&listed, day("2026-02-01")),
        at(day("2026-02-01")),
        "cli",
    )
    .await?;
    assert!(filed.person);
    assert_eq!((filed.severity.as_deref(), filed.opens_on), (None, None));
    refused_naming(
        credit_repair::review(
            db,
            &filed.id,
            decision(true, "", day("2026-02-02")),
            at(day("2026-02-02")),
            "credit.office",
        )
        .await,
        "no severity",
    );
    // 一般 opens on 2026-03-01: a request of 2026-02-01 cannot be approved.
    let ordinary = Decision {
        severity: Some(Severity::Ordinary),
        ..decision(true, "", day("2026-02-02"))
    };
    refused_naming(
        credit_repair::review(
            db,
            &filed.id,
            ordinary,
            at(day("2026-02-02")),
            "credit.office",
        )
        .await,
        "2026-03-01",
    );
    assert_eq!(
        stored(db, &listed).await?.severity,
        None,
        "a refused review changes nothing"
    );
    // 轻微 opens at once: approved, the severity recorded on the entry.
    let minor = Decision {
        severity: Some(Severity::Minor),
        ..decision(true, "", day("2026-02-02"))
    };
    let approved =
        credit_repair::review(db, &filed.id, minor, at(day("2026-02-02")), "credit.office").await?;
    assert_eq!(
        approved
            .review
            .as_ref()
            .and_then(|r| r.severity_assigned.as_deref()),
        Some("轻微")
    );
    let after = stored(db, &listed).await?;
    assert_eq!(
        (after.severity, after.removed_on),
        (Some(Severity::Minor), Some(day("2026-02-02")))
    );
    Ok(())
}

async fn a_blacklist_repair_needs_the_reviewers_reason(db: &Db) -> TestResult {
    let mut listed = entry(&enterprise(5), ListType::Blacklist, day("2025-01-31"));
    listed.severity = Some(Severity::Serious);
    db.upsert_credit_entries(vec![listed.clone()]).await?;
    // 严重: opens a year after the finding, on 2026-01-31.
    refused_naming(
        credit_repair::request(
            db,
            asking(&listed, day("2026-01-30")),
            at(day("2026-01-30")),
            "cli",
        )
        .await,
        "2026-01-31",
    );
    let filed = credit_repair::request(
        db,
        asking(&listed, day("2026-01-31")),
        at(day("2026-01-31")),
        "cli",
    )
    .await?;
    refused_naming(
        credit_repair::review(
            db,
            &filed.id,
            decision(true, "", day("2026-02-10")),
            at(day("2026-02-10")),
            "credit.office",
        )
        .await,
        "严重失信主体名单",
    );
    // A severity different from the entry's is refused.
    let changed = Decision {
        severity: Some(Severity::Minor),
        ..decision(true, "整改到位", day("2026-02-10"))
    };
    refused_naming(
        credit_repair::review(
            db,
            &filed.id,
            changed,
            at(day("2026-02-10")),
            "credit.office",
        )
        .await,
        "already",
    );
    let approved = credit_repair::review(
        db,
        &filed.id,
        decision(
            true,
            "履行义务并公开承诺，经核实整改到位",
            day("2026-02-10"),
        ),
        at(day("2026-02-10")),
        "credit.office",
    )
    .await?;
    assert_eq!(approved.status, RepairStatus::Repaired);
    Ok(())
}

async fn expiry_counts_on_the_last_day_and_not_the_day_after(db: &Db) -> TestResult {
    // 轻微, found 2026-01-15: published through 2026-04-14.
    let mut minor = entry(&enterprise(6), ListType::Penalty, day("2026-01-15"));
    minor.severity = Some(Severity::Minor);
    // No severity, valid until 2026-04-20.
    let mut dated = entry(&enterprise(7), ListType::Abnormal, day("2026-01-02"));
    dated.severity = None;
    dated.valid_until = Some(day("2026-04-20"));
    // 一般 found 2026-01-15 ends 2027-01-14: outside every window below.
    let later = entry(&enterprise(8), ListType::Penalty, day("2026-01-15"));
    // Would end 2026-04-14 but was repaired first.
    let mut repaired = entry(&enterprise(9), ListType::Penalty, day("2026-01-15"));
    repaired.severity = Some(Severity::Minor);
    repaired.removed_on = Some(day("2026-03-01"));
    db.upsert_credit_entries(vec![
        minor.clone(),
        dated.clone(),
        later.clone(),
        repaired.clone(),
    ])
    .await?;
    let last = day("2026-04-14");
    assert!(stored(db, &minor).await?.counts_on(last));
    assert!(!stored(db, &minor).await?.counts_on(last + Days::new(1)));
    let subjects = |lines: &[credit_repair::ExpiryLine]| {
        lines.iter().map(|l| l.subject.clone()).collect::<Vec<_>>()
    };
    // On its last day, within 0 days: listed.
    let today = credit_repair::expiring(db, last, 0).await?;
    assert_eq!(subjects(&today), [minor.subject.as_str()]);
    assert_eq!(
        (today[0].last_day, today[0].ends_by.as_str()),
        (last, "severity")
    );
    // A week ahead: both, soonest first.
    let week = credit_repair::expiring(db, day("2026-04-14"), 7).await?;
    assert_eq!(
        subjects(&week),
        [minor.subject.as_str(), dated.subject.as_str()]
    );
    assert_eq!(week[1].ends_by, "valid_until");
    // The day after: no longer expiring, but ended (yesterday).
    assert_eq!(
        subjects(&credit_repair::expiring(db, last + Days::new(1), 7).await?),
        [dated.subject.as_str()]
    );
    let ended = credit_repair::ended(db, last + Days::new(1), 1).await?;
    assert_eq!(subjects(&ended), [minor.subject.as_str()]);
    assert!(
        credit_repair::ended(db, last, 30).await?.is_empty(),
        "on its last day it has not ended"
    );
    // Ended within a month, latest first; the repaired one is not there.
    let month = credit_repair::ended(db, day("2026-05-01"), 30).await?;
    assert_eq!(
        subjects(&month),
        [dated.subject.as_str(), minor.subject.as_str()]
    );
    // A request after publication ended is refused.
    refused_naming(
        credit_repair::request(
            db,
            asking(&minor, day("2026-04-15")),
            at(day("2026-04-15")),
            "cli",
        )
        .await,
        "ended",
    );
    Ok(())
}

async fn the_ledger_and_audit_verify_after_a_repair(db: &Db) -> TestResult {
    let listed = entry(&enterprise(10), ListType::Penalty, day("2026-01-10"));
    let other = entry(&enterprise(11), ListType::Penalty, day("2026-01-10"));
    db.upsert_credit_entries(vec![listed.clone(), other.clone()])
        .await?;
    let first = credit_repair::request(
        db,
        asking(&listed, day("2026-04-10")),
        at(day("2026-04-10")),
        "cli",
    )
    .await?;
    credit_repair::review(
        db,
        &first.id,
        decision(true, "整改到位", day("2026-04-12")),
        at(day("2026-04-12")),
        "credit.office",
    )
    .await?;
    let second = credit_repair::request(
        db,
        asking(&other, day("2026-04-10")),
        at(day("2026-04-10")),
        "cli",
    )
    .await?;
    credit_repair::review(
        db,
        &second.id,
        decision(false, "材料不全", day("2026-04-12")),
        at(day("2026-04-12")),
        "credit.office",
    )
    .await?;
    let actions: Vec<(String, String, String)> = db
        .ledger()
        .await?
        .into_iter()
        .filter(|e| e.subject_table == "credit_repairs")
        .map(|e| (e.subject_key, e.action, e.actor))
        .collect();
    let expected = [
        (first.id.as_str(), "credit_repair.requested", "cli"),
        (first.id.as_str(), "credit_repair.approved", "credit.office"),
        (second.id.as_str(), "credit_repair.requested", "cli"),
        (
            second.id.as_str(),
            "credit_repair.rejected",
            "credit.office",
        ),
    ];
    assert_eq!(
        actions,
        expected
            .map(|(k, a, b)| (k.to_owned(), a.to_owned(), b.to_owned()))
            .to_vec()
    );
    let report = audit::verify(db).await?;
    assert!(report.intact(), "{:?}", report.breaks);
    assert!(report.rows >= 2);
    // A request's status edited behind the ledger's back is found.
    execute(
        db,
        &format!(
            "UPDATE credit_repairs SET status = '已修复' WHERE id = '{}'",
            second.id
        ),
    )
    .await?;
    let report = audit::verify(db).await?;
    assert!(
        report
            .breaks
            .iter()
            .any(|b| b.subject == format!("credit_repairs/{}", second.id)),
        "{:?}",
        report.breaks
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The command line.

/// Runs `jianguan credit ARGS --database FILE`; (exit code, standard output, standard error).
fn cli(database: &str, args: &[&str]) -> Fallible<(i32, String, String)> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .arg("credit")
        .args(args)
        .args(["--database", database])
        .env("JIANGUAN_ACTOR", "cli.test")
        .output()?;
    Ok((
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout)?,
        String::from_utf8(output.stderr)?,
    ))
}

#[test]
fn the_cli_requests_reviews_lists_and_reports_expiry() -> TestResult {
    let path =
        std::env::temp_dir().join(format!("jianguan-{}.sqlite3", common::unique("repair_cli")));
    let database = path
        .to_str()
        .ok_or("temporary path is not UTF-8")?
        .to_owned();
    let listed = entry(&enterprise(20), ListType::Penalty, day("2026-01-31"));
    let mut minor = entry(&enterprise(21), ListType::Abnormal, day("2026-01-15"));
    minor.severity = Some(Severity::Minor);
    common::runtime()?.block_on(async {
        let db = storage::open(&database).await?;
        storage::Store::migrate(&db).await?;
        db.upsert_credit_entries(vec![listed.clone(), minor.clone()])
            .await?;
        db.close().await;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    let listed_on = listed.listed_on.to_string();
    let request = |on: &str| {
        cli(
            &database,
            &[
                "repair",
                "request",
                "--subject",
                listed.subject.as_str(),
                "--list",
                "行政处罚",
                "--listed-on",
                &listed_on,
                "--ref",
                &listed.ref_no,
                "--statement",
                "已整改",
                "--on",
                on,
                "--json",
            ],
        )
    };
    let (code, _, stderr) = request("2026-04-29")?;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("opens on 2026-04-30"), "{stderr}");
    let (code, stdout, stderr) = request("2026-04-30")?;
    assert_eq!(code, 0, "{stderr}");
    let filed: serde_json::Value = serde_json::from_str(&stdout)?;
    assert_eq!(
        (filed["id"].as_str(), filed["status"].as_str()),
        (Some("XF-2026-0001"), Some("待审核")),
        "{filed}"
    );
    assert_eq!(filed["opens_on"], "2026-04-30");
    // --approve and --reject exclude each other; one is needed.
    assert_ne!(
        cli(
            &database,
            &["repair", "review", "XF-2026-0001", "--approve", "--reject"]
        )?
        .0,
        0
    );
    assert_ne!(cli(&database, &["repair", "review", "XF-2026-0001"])?.0, 0);
    let (code, stdout, stderr) = cli(
        &database,
        &[
            "repair",
            "review",
            "XF-2026-0001",
            "--approve",
            "--reason",
            "整改到位",
            "--on",
            "2026-05-06",
            "--json",
        ],
    )?;
    assert_eq!(code, 0, "{stderr}");
    let reviewed: serde_json::Value = serde_json::from_str(&stdout)?;
    assert_eq!(
        (
            reviewed["status"].as_str(),
            reviewed["repaired_on"].as_str()
        ),
        (Some("已修复"), Some("2026-05-06")),
        "{reviewed}"
    );
    assert_eq!(reviewed["reviewer"], "cli.test");
    let (code, stdout, _) = cli(
        &database,
        &["repair", "list", "--status", "已修复", "--json"],
    )?;
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&stdout)?;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["subject"], listed.subject.as_str());
    // 轻微 found 2026-01-15: last day 2026-04-14.
    let (code, stdout, stderr) = cli(
        &database,
        &["expiry", "--as-of", "2026-04-10", "--within", "4", "--json"],
    )?;
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout)?;
    assert_eq!(
        report["expiring"][0]["subject"],
        minor.subject.as_str(),
        "{report}"
    );
    assert_eq!(report["expiring"][0]["last_day"], "2026-04-14");
    let (_, stdout, _) = cli(
        &database,
        &["expiry", "--as-of", "2026-04-15", "--within", "1", "--json"],
    )?;
    let report: serde_json::Value = serde_json::from_str(&stdout)?;
    assert_eq!(
        report["expiring"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );
    assert_eq!(
        report["ended"][0]["subject"],
        minor.subject.as_str(),
        "{report}"
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{database}{suffix}"));
    }
    Ok(())
}
