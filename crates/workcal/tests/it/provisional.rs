//! Provisional years (暂定): the statutory holidays of 《全国年节及纪念日放假办法》
//! with 补假 (Art. 6), checked by property and against the real notices.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use proptest::prelude::*;
use workcal::{Calendar, DayKind, FIRST_PROVISIONAL_YEAR, LAST_PROVISIONAL_YEAR, statutory_days};

/// A calendar with no loaded year: every year is provisional.
static BARE: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::from_toml_str("").expect("empty data loads"));
static EMBEDDED: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::embedded().expect("embedded data loads"));

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn days_of(year: i32) -> impl Iterator<Item = NaiveDate> {
    d(year, 1, 1)
        .iter_days()
        .take_while(move |day| day.year() == year)
}

/// The off days of `year` in `cal` (provisional when not loaded).
fn off_days(cal: &Calendar, year: i32) -> BTreeSet<NaiveDate> {
    days_of(year)
        .filter(|&day| !cal.estimating().is_working_day(day).unwrap().value)
        .collect()
}

fn off_weekdays(cal: &Calendar, year: i32) -> BTreeSet<NaiveDate> {
    off_days(cal, year)
        .into_iter()
        .filter(|&day| !is_weekend(day))
        .collect()
}

#[test]
fn the_provisional_2027() {
    let listing = BARE.estimating().year_listing(2027).unwrap();
    assert!(listing.provisional && !listing.weekends_only);
    let off: Vec<String> = listing
        .value
        .lines()
        .filter(|line| line.contains("\tholiday\t"))
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .map(|cells| format!("{} {}", &cells[0][5..], cells[3]))
        .collect();
    assert_eq!(
        off,
        [
            "01-01 元旦",
            "02-05 春节",
            "02-06 春节",
            "02-07 春节",
            "02-08 春节",
            "02-09 春节（补假）",
            "02-10 春节（补假）",
            "04-05 清明节",
            "05-01 劳动节",
            "05-02 劳动节",
            "05-03 劳动节（补假）",
            "05-04 劳动节（补假）",
            "06-09 端午节",
            "09-15 中秋节",
            "10-01 国庆节",
            "10-02 国庆节",
            "10-03 国庆节",
            "10-04 国庆节（补假）",
            "10-05 国庆节（补假）",
        ]
    );
    // No 调休: no weekend is worked.
    assert!(!listing.value.contains("\tmakeup\t"));
}

#[test]
fn a_deadline_across_the_2027_spring_festival() {
    // Five working days from Wednesday 2027-02-03: Thu 02-04, then 02-05 to
    // 02-10 are off (除夕 to 初三 and two 补假 days), so Thu 02-11, Fri 02-12,
    // Mon 02-15, Tue 02-16. Weekends only would have said Wed 02-10.
    let deadline = EMBEDDED.estimating().deadline(d(2027, 2, 3), 5).unwrap();
    assert_eq!(deadline.value.last_day, d(2027, 2, 16));
    assert!(deadline.provisional);
    assert!(EMBEDDED.is_provisional_span(d(2027, 2, 3), d(2027, 2, 16)));
    assert!(!EMBEDDED.is_provisional_span(d(2026, 2, 3), d(2026, 12, 31)));
    assert!(EMBEDDED.is_provisional_span(d(2026, 12, 30), d(2027, 1, 4)));
}

#[test]
fn every_provisional_year_has_the_statutory_days_and_their_make_ups() {
    for year in FIRST_PROVISIONAL_YEAR..=LAST_PROVISIONAL_YEAR {
        let statutory = statutory_days(year).unwrap();
        let expected = if year >= workcal::AMENDED_2024_FROM {
            13
        } else {
            11
        };
        assert_eq!(statutory.len(), expected, "{year}");
        let off = off_days(&BARE, year);
        // Every statutory day is off.
        for day in &statutory {
            assert!(off.contains(&day.date), "{year}: {} {}", day.date, day.name);
        }
        // Each statutory day costs exactly one working day: a weekday off, or
        // a 补假 weekday for one on a weekend (or on another holiday).
        assert_eq!(off_weekdays(&BARE, year).len(), statutory.len(), "{year}");
        // No 调休: every Saturday and Sunday is off.
        assert!(
            days_of(year)
                .filter(|&day| is_weekend(day))
                .all(|day| off.contains(&day)),
            "{year}"
        );
        // Every 补假 day follows its holiday within a week.
        for day in days_of(year) {
            if let DayKind::Holiday { name } = BARE.estimating().day_kind(day).unwrap().value
                && let Some(holiday) = name.strip_suffix("（补假）")
            {
                let previous = statutory
                    .iter()
                    .filter(|s| s.name == holiday && s.date < day)
                    .map(|s| s.date)
                    .max()
                    .unwrap_or_else(|| panic!("{day}: no {holiday} before it"));
                assert!((day - previous).num_days() <= 7, "{day} {name}");
                assert!(!is_weekend(day), "{day}");
            }
        }
    }
}

/// The real notices of 2020–2026 against the provisional rules for the same
/// years (the 2013 text until 2024, the 2024 text from 2025). A notice's days
/// off on weekdays are the statutory days, their 补假 and the days moved by
/// 调休, which each cost a worked weekend day: so notice off weekdays less
/// make-up workdays must equal the provisional count, except where a notice
/// granted extra days.
#[test]
fn provisional_years_against_the_notices() {
    let mut report = Vec::new();
    let (mut agree, mut total) = (0, 0);
    for year in 2020..=2026 {
        let notice_off = off_weekdays(&EMBEDDED, year);
        let makeups = days_of(year)
            .filter(|&day| {
                matches!(
                    EMBEDDED.day_kind(day).unwrap(),
                    DayKind::MakeUpWorkday { .. }
                )
            })
            .count();
        let provisional = off_weekdays(&BARE, year);
        let missing: Vec<NaiveDate> = provisional.difference(&notice_off).copied().collect();
        agree += provisional.len() - missing.len();
        total += provisional.len();
        report.push((
            year,
            notice_off.len() as i64 - makeups as i64,
            provisional.len() as i64,
            missing,
        ));
    }
    for (year, net, provisional, missing) in &report {
        println!(
            "{year}: notice off weekdays less make-up days {net}, provisional {provisional}, provisional off days the notice works: {missing:?}"
        );
    }
    println!("{agree} of {total} provisional off weekdays are off in the notices");
    assert_eq!((agree, total), (81, 81));
    for (year, net, provisional, missing) in &report {
        // 2020: 国办发明电〔2020〕1号 extended 春节 to 02-02: Friday 01-31
        // off, and the make-up workday Saturday 02-01 cancelled.
        let extra = if *year == 2020 { 2 } else { 0 };
        assert_eq!(*net, provisional + extra, "{year}");
        assert!(missing.is_empty(), "{year}: {missing:?}");
    }
}

fn date_in_table() -> impl Strategy<Value = NaiveDate> {
    let first = d(FIRST_PROVISIONAL_YEAR, 1, 1);
    let span = (d(LAST_PROVISIONAL_YEAR, 6, 30) - first).num_days() as u64;
    (0..=span).prop_map(move |k| first + Days::new(k))
}

proptest! {
    #[test]
    fn provisional_deadlines_are_monotone(a in date_in_table(), gap in 0u64..60, n in 0u32..60, extra in 0u32..30) {
        let est = BARE.estimating();
        let b = a + Days::new(gap);
        let da = est.deadline(a, n).unwrap();
        let db = est.deadline(b, n).unwrap();
        prop_assert!(da.provisional && db.provisional && !da.weekends_only);
        prop_assert!(da.value.last_day <= db.value.last_day);
        let longer = est.deadline(a, n + extra).unwrap();
        prop_assert!(longer.value.last_day >= da.value.last_day);
        if n >= 1 {
            prop_assert!(est.is_working_day(da.value.last_day).unwrap().value);
            prop_assert_eq!(est.working_days_between(a, da.value.last_day).unwrap().value, i64::from(n));
        }
        // Never earlier than counting weekends only.
        let mut weekday_count = 0;
        let mut day = a;
        while weekday_count < n {
            day = day.succ_opt().unwrap();
            if !is_weekend(day) { weekday_count += 1; }
        }
        prop_assert!(da.value.last_day >= day);
    }

    #[test]
    fn loaded_years_are_not_provisional(a in date_in_table(), n in 0u32..30) {
        let est = EMBEDDED.estimating().deadline(a, n).unwrap();
        prop_assert_eq!(est.provisional, EMBEDDED.is_provisional_span(a, est.value.last_day));
    }
}
