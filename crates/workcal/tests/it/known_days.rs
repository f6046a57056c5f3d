//! Day-by-day facts from the State Council notices 2020–2026.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use chrono::{Datelike, NaiveDate, Weekday};
use workcal::{Calendar, DayKind, Error};

fn cal() -> Calendar {
    Calendar::embedded().expect("embedded data loads")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn holiday(name: &str) -> DayKind {
    DayKind::Holiday { name: name.into() }
}

fn makeup(name: &str) -> DayKind {
    DayKind::MakeUpWorkday { name: name.into() }
}

/// Every day from `from` to `to` inclusive is the given holiday.
fn assert_block(cal: &Calendar, from: NaiveDate, to: NaiveDate, name: &str) {
    for day in from.iter_days().take_while(|x| *x <= to) {
        assert_eq!(cal.day_kind(day).unwrap(), holiday(name), "{day}");
        assert!(!cal.is_working_day(day).unwrap(), "{day}");
    }
    // The days around the block are not part of it.
    for day in [from.pred_opt().unwrap(), to.succ_opt().unwrap()] {
        assert_ne!(cal.day_kind(day).unwrap(), holiday(name), "{day}");
    }
}

#[test]
fn embedded_years_are_2020_to_2026() {
    let cal = cal();
    assert_eq!(
        cal.years().collect::<Vec<_>>(),
        (2020..=2026).collect::<Vec<_>>()
    );
    assert!(cal.notices(2020).unwrap()[0].contains("国办发明电〔2019〕16号"));
    assert!(cal.notices(2020).unwrap()[1].contains("国办发明电〔2020〕1号"));
    assert!(cal.notices(2026).unwrap()[0].contains("国办发明电〔2025〕7号"));
    assert_eq!(cal.notices(2027), Err(Error::UnknownYear(2027)));
}

#[test]
fn make_up_sundays_and_saturdays() {
    let cal = cal();
    let cases = [
        (d(2020, 1, 19), "春节"),
        (d(2021, 2, 7), "春节"),
        (d(2021, 9, 18), "中秋节"),
        (d(2022, 4, 2), "清明节"),
        (d(2023, 1, 28), "春节"),
        (d(2023, 1, 29), "春节"),
        (d(2023, 10, 7), "中秋节、国庆节"),
        (d(2024, 2, 4), "春节"),
        (d(2024, 2, 18), "春节"),
        (d(2024, 9, 29), "国庆节"),
        (d(2025, 1, 26), "春节"),
        (d(2025, 2, 8), "春节"),
        (d(2025, 4, 27), "劳动节"),
        (d(2025, 9, 28), "国庆节、中秋节"),
        (d(2026, 1, 4), "元旦"),
        (d(2026, 2, 14), "春节"),
        (d(2026, 2, 28), "春节"),
        (d(2026, 5, 9), "劳动节"),
        (d(2026, 9, 20), "国庆节"),
        (d(2026, 10, 10), "国庆节"),
    ];
    for (day, name) in cases {
        assert!(
            matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
            "{day}"
        );
        assert_eq!(cal.day_kind(day).unwrap(), makeup(name), "{day}");
        assert!(cal.is_working_day(day).unwrap(), "{day}");
    }
    // Ordinary weekends next to them stay off.
    for day in [
        d(2020, 1, 18),
        d(2024, 2, 3),
        d(2025, 1, 25),
        d(2025, 5, 10),
    ] {
        assert_eq!(cal.day_kind(day).unwrap(), DayKind::Weekend, "{day}");
        assert!(!cal.is_working_day(day).unwrap(), "{day}");
    }
}

#[test]
fn spring_festival_2020_extension() {
    let cal = cal();
    // Original notice: 01-24 to 01-30; extension (国办发明电〔2020〕1号) to 02-02.
    assert_block(&cal, d(2020, 1, 24), d(2020, 2, 2), "春节");
    // Friday 01-31 was a working day before the extension.
    assert_eq!(cal.day_kind(d(2020, 1, 31)).unwrap(), holiday("春节"));
    // Saturday 02-01 was announced as a make-up working day and cancelled.
    assert_eq!(cal.day_kind(d(2020, 2, 1)).unwrap(), holiday("春节"));
    assert!(!cal.is_working_day(d(2020, 2, 1)).unwrap());
    assert_eq!(cal.day_kind(d(2020, 2, 3)).unwrap(), DayKind::Working);
    // Sunday 01-19 stays a make-up day.
    assert_eq!(cal.day_kind(d(2020, 1, 19)).unwrap(), makeup("春节"));
}

#[test]
fn spring_festival_blocks() {
    let cal = cal();
    assert_block(&cal, d(2021, 2, 11), d(2021, 2, 17), "春节");
    assert_block(&cal, d(2022, 1, 31), d(2022, 2, 6), "春节");
    assert_block(&cal, d(2023, 1, 21), d(2023, 1, 27), "春节");
    assert_block(&cal, d(2024, 2, 10), d(2024, 2, 17), "春节");
    assert_block(&cal, d(2025, 1, 28), d(2025, 2, 4), "春节");
    assert_block(&cal, d(2026, 2, 15), d(2026, 2, 23), "春节");
    // 2024: 除夕 (02-09, Friday) is a working day, only "encouraged" off.
    assert_eq!(cal.day_kind(d(2024, 2, 9)).unwrap(), DayKind::Working);
}

#[test]
fn rules_of_2025() {
    let cal = cal();
    // 春节 now starts on 除夕 (Tuesday 2025-01-28); Monday 01-27 is worked.
    assert_eq!(cal.day_kind(d(2025, 1, 28)).unwrap(), holiday("春节"));
    assert_eq!(cal.day_kind(d(2025, 1, 27)).unwrap(), DayKind::Working);
    // 劳动节 is five days, 05-01 to 05-05, with one make-up day (04-27).
    assert_block(&cal, d(2025, 5, 1), d(2025, 5, 5), "劳动节");
    assert_eq!(cal.day_kind(d(2025, 5, 6)).unwrap(), DayKind::Working);
    // 元旦 on a Wednesday: that day only, no make-up.
    assert_block(&cal, d(2025, 1, 1), d(2025, 1, 1), "元旦");
    assert_eq!(cal.day_kind(d(2025, 1, 4)).unwrap(), DayKind::Weekend);
    // 国庆节 and 中秋节 merged into eight days.
    assert_block(&cal, d(2025, 10, 1), d(2025, 10, 8), "国庆节、中秋节");
    assert_eq!(
        cal.day_kind(d(2025, 10, 11)).unwrap(),
        makeup("国庆节、中秋节")
    );
}

#[test]
fn national_day_blocks() {
    let cal = cal();
    assert_block(&cal, d(2020, 10, 1), d(2020, 10, 8), "国庆节、中秋节");
    assert_block(&cal, d(2021, 10, 1), d(2021, 10, 7), "国庆节");
    assert_block(&cal, d(2022, 10, 1), d(2022, 10, 7), "国庆节");
    assert_block(&cal, d(2023, 9, 29), d(2023, 10, 6), "中秋节、国庆节");
    assert_block(&cal, d(2024, 10, 1), d(2024, 10, 7), "国庆节");
    assert_block(&cal, d(2026, 10, 1), d(2026, 10, 7), "国庆节");
    // 2022: two make-up days right after the block.
    assert_eq!(cal.day_kind(d(2022, 10, 8)).unwrap(), makeup("国庆节"));
    assert_eq!(cal.day_kind(d(2022, 10, 9)).unwrap(), makeup("国庆节"));
}

#[test]
fn schedule_2026() {
    let cal = cal();
    assert_block(&cal, d(2026, 1, 1), d(2026, 1, 3), "元旦");
    assert_block(&cal, d(2026, 4, 4), d(2026, 4, 6), "清明节");
    assert_block(&cal, d(2026, 5, 1), d(2026, 5, 5), "劳动节");
    assert_block(&cal, d(2026, 6, 19), d(2026, 6, 21), "端午节");
    assert_block(&cal, d(2026, 9, 25), d(2026, 9, 27), "中秋节");
    assert_eq!(cal.day_kind(d(2026, 10, 8)).unwrap(), DayKind::Working);
    assert_eq!(cal.day_kind(d(2026, 12, 31)).unwrap(), DayKind::Working);
}

#[test]
fn new_year_across_year_ends() {
    let cal = cal();
    // 2023's 元旦 began on Saturday 2022-12-31 (国办发明电〔2022〕16号).
    assert_block(&cal, d(2022, 12, 31), d(2023, 1, 2), "元旦");
    // 2024's 元旦 "与周末连休".
    assert_eq!(cal.day_kind(d(2023, 12, 30)).unwrap(), holiday("元旦"));
    assert_eq!(cal.day_kind(d(2024, 1, 1)).unwrap(), holiday("元旦"));
    assert_eq!(cal.day_kind(d(2024, 1, 2)).unwrap(), DayKind::Working);
}

#[test]
fn plain_days() {
    let cal = cal();
    assert_eq!(cal.day_kind(d(2024, 3, 12)).unwrap(), DayKind::Working);
    assert_eq!(cal.day_kind(d(2024, 3, 16)).unwrap(), DayKind::Weekend);
    // 2024 端午节: only Monday 06-10 is named; the weekend before is ordinary.
    assert_eq!(cal.day_kind(d(2024, 6, 8)).unwrap(), DayKind::Weekend);
    assert_eq!(cal.day_kind(d(2024, 6, 10)).unwrap(), holiday("端午节"));
    // 2023 清明节: Wednesday 04-05 only.
    assert_eq!(cal.day_kind(d(2023, 4, 5)).unwrap(), holiday("清明节"));
    assert_eq!(cal.day_kind(d(2023, 4, 6)).unwrap(), DayKind::Working);
}

/// Per-year totals, computed independently from chinesecalendar 1.11.0:
/// (year, working days, holiday days, make-up days).
#[test]
fn yearly_totals_match_the_independent_calendar() {
    let cal = cal();
    let expected = [
        (2020, 249, 30, 6),
        (2021, 250, 31, 7),
        (2022, 249, 32, 7),
        (2023, 249, 28, 7),
        (2024, 251, 28, 8),
        (2025, 248, 28, 5),
        (2026, 248, 33, 6),
    ];
    for (year, work, hol, mk) in expected {
        let first = d(year, 1, 1);
        let days: Vec<_> = first.iter_days().take_while(|x| x.year() == year).collect();
        let kinds: Vec<_> = days.iter().map(|x| cal.day_kind(*x).unwrap()).collect();
        let w = days
            .iter()
            .filter(|x| cal.is_working_day(**x).unwrap())
            .count();
        let h = kinds
            .iter()
            .filter(|k| matches!(k, DayKind::Holiday { .. }))
            .count();
        let m = kinds
            .iter()
            .filter(|k| matches!(k, DayKind::MakeUpWorkday { .. }))
            .count();
        assert_eq!((w, h, m), (work, hol, mk), "{year}");
        // Counting through the API agrees.
        let last_prev = first.pred_opt().unwrap();
        let dec31 = d(year, 12, 31);
        if year > 2020 {
            assert_eq!(
                cal.working_days_between(last_prev, dec31).unwrap(),
                work as i64
            );
        }
        // is_working_day and day_kind agree on every day.
        for (x, k) in days.iter().zip(&kinds) {
            assert_eq!(k.is_working(), cal.is_working_day(*x).unwrap(), "{x}");
        }
    }
}

#[test]
fn unknown_years_are_errors() {
    let cal = cal();
    assert_eq!(
        cal.is_working_day(d(2031, 5, 6)),
        Err(Error::UnknownYear(2031))
    );
    assert_eq!(cal.day_kind(d(2019, 12, 31)), Err(Error::UnknownYear(2019)));
    assert_eq!(cal.day_kind(d(2027, 1, 1)), Err(Error::UnknownYear(2027)));
    assert_eq!(cal.year_listing(2031), Err(Error::UnknownYear(2031)));
    // Walking off the end of the data is an error, not a weekends-only guess.
    assert_eq!(
        cal.add_working_days(d(2026, 12, 31), 1),
        Err(Error::UnknownYear(2027))
    );
    assert_eq!(
        cal.add_working_days(d(2026, 12, 30), 1),
        Ok(d(2026, 12, 31))
    );
    assert_eq!(
        cal.deadline(d(2026, 12, 25), 10),
        Err(Error::UnknownYear(2027))
    );
    assert_eq!(
        cal.working_days_between(d(2026, 12, 1), d(2027, 1, 5)),
        Err(Error::UnknownYear(2027))
    );
    assert_eq!(
        cal.working_days_between(d(2019, 12, 31), d(2020, 1, 5)),
        Err(Error::UnknownYear(2019))
    );
    let msg = Error::UnknownYear(2031).to_string();
    assert!(msg.contains("2031"), "{msg}");
}

#[test]
fn estimates_are_opt_in_and_marked() {
    let cal = cal();
    let est = cal.estimating();
    // 2027-01-01 (Friday) is 元旦 in the provisional 2027: the first working
    // day after 2026-12-31 is Monday 01-04, marked 暂定.
    let r = est.add_working_days(d(2026, 12, 31), 1).unwrap();
    assert_eq!(r.value, d(2027, 1, 4));
    assert!(r.provisional && !r.weekends_only);
    assert_eq!(r.note(), Some("暂定（按法定节假日推算，未发布放假安排）"));
    assert_eq!(r.note(), Some(workcal::PROVISIONAL_NOTE));
    // Within the data nothing is provisional and results equal the strict ones.
    let r = est.add_working_days(d(2024, 9, 27), 5).unwrap();
    assert_eq!(r.value, cal.add_working_days(d(2024, 9, 27), 5).unwrap());
    assert!(!r.provisional);
    assert_eq!(r.note(), None);
    let k = est.day_kind(d(2031, 5, 3)).unwrap();
    assert_eq!((k.value, k.provisional), (DayKind::Weekend, true));
    let k = est.day_kind(d(2024, 10, 1)).unwrap();
    assert_eq!((k.value, k.provisional), (holiday("国庆节"), false));
    // January 2031: 23 weekdays less 元旦 (Wed 01-01) and 春节 (除夕 Wed 01-22,
    // Thu 23, Fri 24, Sat 25 made up on Mon 27).
    let n = est
        .working_days_between(d(2030, 12, 31), d(2031, 1, 31))
        .unwrap();
    assert_eq!((n.value, n.provisional), (18, true));
    let dl = est.deadline(d(2031, 1, 2), 0).unwrap();
    assert_eq!((dl.value.last_day, dl.provisional), (d(2031, 1, 2), true));
    // Beyond the lunar table: weekends only, with its own marker.
    let r = est.add_working_days(d(2051, 1, 1), 1).unwrap();
    assert_eq!((r.value, r.weekends_only), (d(2051, 1, 2), true));
    assert_eq!(r.note(), Some(workcal::ESTIMATE_NOTE));
    assert_eq!(workcal::weekends_only_kind(d(2031, 1, 4)), DayKind::Weekend);
    assert_eq!(workcal::weekends_only_kind(d(2031, 1, 6)), DayKind::Working);
}
