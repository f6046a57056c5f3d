//! Hand-counted working-day arithmetic across holiday blocks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use chrono::NaiveDate;
use std::time::Instant;
use workcal::{Calendar, Deadline};

fn cal() -> Calendar {
    Calendar::embedded().expect("embedded data loads")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

#[test]
fn five_days_from_friday_before_national_day_2024() {
    // Fri 09-27 start (not counted). Sat 09-28 off; Sun 09-29 make-up = 1;
    // Mon 09-30 = 2; 10-01..10-07 off; 10-08 = 3; 10-09 = 4; 10-10 = 5.
    let cal = cal();
    let dl = cal.deadline(d(2024, 9, 27), 5).unwrap();
    assert_eq!(
        dl,
        Deadline {
            start: d(2024, 9, 27),
            working_days: 5,
            last_day: d(2024, 10, 10)
        }
    );
    assert!(!dl.is_overdue_on(d(2024, 10, 10)));
    assert!(dl.is_overdue_on(d(2024, 10, 11)));
    assert_eq!(
        cal.deadline(d(2024, 9, 27), 2).unwrap().last_day,
        d(2024, 9, 30)
    );
    assert_eq!(
        cal.deadline(d(2024, 9, 27), 3).unwrap().last_day,
        d(2024, 10, 8)
    );
    assert_eq!(
        cal.working_days_between(d(2024, 9, 27), d(2024, 10, 10))
            .unwrap(),
        5
    );
}

#[test]
fn one_day_from_friday_before_spring_festival_2025() {
    // Fri 01-24 start. Sat 01-25 off; Sun 01-26 is a make-up working day = 1.
    let cal = cal();
    assert_eq!(
        cal.deadline(d(2025, 1, 24), 1).unwrap().last_day,
        d(2025, 1, 26)
    );
    // Mon 01-27 = 2; 01-28..02-04 off; Wed 02-05 = 3.
    assert_eq!(
        cal.deadline(d(2025, 1, 24), 2).unwrap().last_day,
        d(2025, 1, 27)
    );
    assert_eq!(
        cal.deadline(d(2025, 1, 24), 3).unwrap().last_day,
        d(2025, 2, 5)
    );
    // ... Sat 02-08 is a make-up day: Thu 02-06 = 4, Fri 02-07 = 5, Sat 02-08 = 6.
    assert_eq!(
        cal.deadline(d(2025, 1, 24), 6).unwrap().last_day,
        d(2025, 2, 8)
    );
}

#[test]
fn friday_starts() {
    let cal = cal();
    // Fri 2026-02-13: Sat 02-14 make-up = 1; 02-15..02-23 off; 02-24 = 2; 02-25 = 3.
    assert_eq!(
        cal.deadline(d(2026, 2, 13), 3).unwrap().last_day,
        d(2026, 2, 25)
    );
    // Fri 2023-09-22: 09-25..09-28 = 1..4; 09-29..10-06 off; Sat 10-07 make-up = 5.
    assert_eq!(
        cal.deadline(d(2023, 9, 22), 5).unwrap().last_day,
        d(2023, 10, 7)
    );
    // Fri 2024-03-08, ordinary week: Mon 03-11 = 1 ... Fri 03-15 = 5, Mon 03-18 = 6.
    assert_eq!(
        cal.deadline(d(2024, 3, 8), 1).unwrap().last_day,
        d(2024, 3, 11)
    );
    assert_eq!(
        cal.deadline(d(2024, 3, 8), 6).unwrap().last_day,
        d(2024, 3, 18)
    );
}

#[test]
fn start_on_a_holiday() {
    let cal = cal();
    // Thu 2024-10-03, inside 国庆节: first working day after is Tue 10-08.
    assert_eq!(
        cal.deadline(d(2024, 10, 3), 1).unwrap().last_day,
        d(2024, 10, 8)
    );
    assert_eq!(
        cal.deadline(d(2024, 10, 3), 5).unwrap().last_day,
        d(2024, 10, 12)
    ); // Sat make-up
    // n = 0: the start day itself, even a holiday.
    assert_eq!(
        cal.deadline(d(2024, 10, 3), 0).unwrap().last_day,
        d(2024, 10, 3)
    );
    // add_working_days(n = 0) instead moves to the next working day.
    assert_eq!(
        cal.add_working_days(d(2024, 10, 3), 0).unwrap(),
        d(2024, 10, 8)
    );
    assert_eq!(
        cal.add_working_days(d(2024, 10, 8), 0).unwrap(),
        d(2024, 10, 8)
    );
    // Start on a make-up Sunday: counting starts the next day.
    assert_eq!(
        cal.deadline(d(2024, 2, 4), 1).unwrap().last_day,
        d(2024, 2, 5)
    );
}

#[test]
fn spring_festival_2020_extension_moves_deadlines() {
    // Without the extension, Fri 01-31 would have been the first working day.
    let cal = cal();
    assert_eq!(
        cal.deadline(d(2020, 1, 23), 1).unwrap().last_day,
        d(2020, 2, 3)
    );
    assert_eq!(
        cal.working_days_between(d(2020, 1, 23), d(2020, 2, 3))
            .unwrap(),
        1
    );
    assert_eq!(
        cal.working_days_between(d(2020, 1, 23), d(2020, 2, 2))
            .unwrap(),
        0
    );
}

#[test]
fn across_year_boundaries() {
    let cal = cal();
    // Fri 2022-12-30: 12-31..01-02 off (元旦); Tue 2023-01-03 = 1.
    assert_eq!(
        cal.deadline(d(2022, 12, 30), 1).unwrap().last_day,
        d(2023, 1, 3)
    );
    // Wed 2025-12-31: 2026-01-01..03 off; Sun 01-04 make-up = 1; Mon 01-05 = 2.
    assert_eq!(
        cal.deadline(d(2025, 12, 31), 1).unwrap().last_day,
        d(2026, 1, 4)
    );
    assert_eq!(
        cal.deadline(d(2025, 12, 31), 2).unwrap().last_day,
        d(2026, 1, 5)
    );
    // A whole year: 2021 has 250 working days.
    assert_eq!(
        cal.add_working_days(d(2020, 12, 31), 250).unwrap(),
        d(2021, 12, 31)
    );
    assert_eq!(
        cal.working_days_between(d(2020, 12, 31), d(2021, 12, 31))
            .unwrap(),
        250
    );
}

#[test]
fn labour_day_2025_five_days() {
    // Wed 2025-04-30: 05-01..05-05 off; Tue 05-06 = 1.
    let cal = cal();
    assert_eq!(
        cal.deadline(d(2025, 4, 30), 1).unwrap().last_day,
        d(2025, 5, 6)
    );
}

#[test]
fn between_is_signed() {
    let cal = cal();
    assert_eq!(
        cal.working_days_between(d(2024, 10, 10), d(2024, 9, 27))
            .unwrap(),
        -5
    );
    assert_eq!(
        cal.working_days_between(d(2024, 10, 1), d(2024, 10, 1))
            .unwrap(),
        0
    );
    // (a, b]: b counts, a does not.
    assert_eq!(
        cal.working_days_between(d(2024, 3, 11), d(2024, 3, 12))
            .unwrap(),
        1
    );
    assert_eq!(
        cal.working_days_between(d(2024, 3, 8), d(2024, 3, 10))
            .unwrap(),
        0
    );
}

#[test]
fn twelve_day_spans_take_microseconds() {
    let cal = cal();
    let start = d(2024, 9, 20);
    let rounds = 20_000u32;
    let t = Instant::now();
    let mut acc = 0i64;
    for i in 0..rounds {
        let day = start + chrono::Days::new(u64::from(i % 64));
        let r = cal.add_working_days(day, 12).unwrap();
        acc += cal.working_days_between(day, r).unwrap();
    }
    let per_call = t.elapsed() / (2 * rounds);
    assert_eq!(acc, 12 * i64::from(rounds));
    // Generous even for an unoptimised build on a busy machine.
    assert!(per_call.as_micros() < 50, "{per_call:?} per call");
}
