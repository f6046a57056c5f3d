//! Properties of the working-day arithmetic, checked against a naive
//! day-by-day model.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;
use workcal::{Calendar, Error};

/// Built once: parsing the data per proptest case would dominate the run time.
static CAL: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::embedded().expect("embedded data loads"));

fn cal() -> &'static Calendar {
    &CAL
}

const FIRST: i32 = 2020;
const LAST: i32 = 2026;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST, 1, 1).expect("valid")
}

fn span_days() -> u64 {
    let last = NaiveDate::from_ymd_opt(LAST, 12, 31).expect("valid");
    (last - first_day()).num_days() as u64
}

/// A date in the embedded years.
fn known_date() -> impl Strategy<Value = NaiveDate> {
    (0..=span_days()).prop_map(|k| first_day() + Days::new(k))
}

/// Day-by-day reference for add_working_days.
fn naive_add(cal: &Calendar, date: NaiveDate, n: u32) -> Result<NaiveDate, Error> {
    if n == 0 && cal.is_working_day(date)? {
        return Ok(date);
    }
    let mut left = n.max(1);
    let mut day = date;
    loop {
        day = day.succ_opt().ok_or(Error::DateOutOfRange)?;
        if cal.is_working_day(day)? {
            left -= 1;
            if left == 0 {
                return Ok(day);
            }
        }
    }
}

/// Day-by-day reference for working_days_between with a <= b.
fn naive_between(cal: &Calendar, a: NaiveDate, b: NaiveDate) -> i64 {
    a.iter_days()
        .skip(1)
        .take_while(|x| *x <= b)
        .filter(|x| cal.is_working_day(*x).unwrap())
        .count() as i64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn add_then_between_round_trips(date in known_date(), n in 1u32..400) {
        let cal = cal();
        match cal.add_working_days(date, n) {
            Ok(r) => {
                prop_assert!(r > date);
                prop_assert!(cal.is_working_day(r).unwrap());
                prop_assert!(cal.day_kind(r).unwrap().is_working());
                prop_assert_eq!(cal.working_days_between(date, r).unwrap(), i64::from(n));
                prop_assert_eq!(cal.working_days_between(r, date).unwrap(), -i64::from(n));
                // One working day short of r is not enough.
                prop_assert_eq!(cal.working_days_between(date, r.pred_opt().unwrap()).unwrap(), i64::from(n) - 1);
            }
            Err(e) => {
                // Only running past the data may fail, and then the estimate
                // lands after the last known year.
                prop_assert_eq!(e, Error::UnknownYear(LAST + 1));
                let est = cal.estimating().add_working_days(date, n).unwrap();
                prop_assert!(est.provisional && est.value.year() > LAST);
            }
        }
    }

    #[test]
    fn add_matches_naive_model(date in known_date(), n in 0u32..40) {
        let cal = cal();
        prop_assert_eq!(cal.add_working_days(date, n), naive_add(cal, date, n));
    }

    #[test]
    fn add_zero_is_first_working_day_on_or_after(date in known_date()) {
        let cal = cal();
        if let Ok(r) = cal.add_working_days(date, 0) {
            prop_assert!(r >= date);
            prop_assert!(cal.is_working_day(r).unwrap());
            for x in date.iter_days().take_while(|x| *x < r) {
                prop_assert!(!cal.is_working_day(x).unwrap());
            }
            prop_assert_eq!(r == date, cal.is_working_day(date).unwrap());
        }
    }

    #[test]
    fn result_is_always_a_working_day(date in known_date(), n in 0u32..2000) {
        let cal = cal();
        if let Ok(r) = cal.add_working_days(date, n) {
            prop_assert!(cal.is_working_day(r).unwrap());
        }
        // Estimated results are working days by their own standard too.
        let est = cal.estimating();
        let r = est.add_working_days(date, n).unwrap().value;
        prop_assert!(est.is_working_day(r).unwrap().value);
    }

    #[test]
    fn between_matches_naive_model(a in known_date(), b in known_date()) {
        let cal = cal();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let n = naive_between(cal, lo, hi);
        prop_assert_eq!(cal.working_days_between(lo, hi).unwrap(), n);
        prop_assert_eq!(cal.working_days_between(hi, lo).unwrap(), -n);
    }

    #[test]
    fn between_is_additive(a in known_date(), b in known_date(), c in known_date()) {
        let cal = cal();
        let ab = cal.working_days_between(a, b).unwrap();
        let bc = cal.working_days_between(b, c).unwrap();
        prop_assert_eq!(ab + bc, cal.working_days_between(a, c).unwrap());
    }

    #[test]
    fn deadline_is_monotonic_in_n(start in known_date(), n in 0u32..300) {
        let cal = cal();
        let this = cal.deadline(start, n);
        let next = cal.deadline(start, n + 1);
        match (this, next) {
            (Ok(this), Ok(next)) => {
                prop_assert!(next.last_day > this.last_day);
                prop_assert!(this.last_day >= start);
                if n == 0 {
                    prop_assert_eq!(this.last_day, start);
                } else {
                    prop_assert!(cal.is_working_day(this.last_day).unwrap());
                    prop_assert_eq!(cal.working_days_between(start, this.last_day).unwrap(), i64::from(n));
                }
            }
            (Ok(_), Err(e)) | (Err(e), Err(_)) => prop_assert_eq!(e, Error::UnknownYear(LAST + 1)),
            (Err(e), Ok(_)) => prop_assert!(false, "deadline {} failed ({}) but {} did not", n, e, n + 1),
        }
    }

    #[test]
    fn unknown_years_error_without_panicking(
        year in prop_oneof![-200_000i32..FIRST, (LAST + 1)..200_000],
        ordinal in 1u32..=365,
        n in any::<u32>(),
    ) {
        let cal = cal();
        let date = NaiveDate::from_yo_opt(year, ordinal).unwrap();
        let unknown = Error::UnknownYear(year);
        prop_assert_eq!(cal.is_working_day(date).unwrap_err(), unknown.clone());
        prop_assert_eq!(cal.day_kind(date).unwrap_err(), unknown.clone());
        prop_assert_eq!(cal.add_working_days(date, n).unwrap_err(), unknown.clone());
        prop_assert_eq!(cal.deadline(date, n % 100).unwrap_err(), unknown.clone());
        prop_assert_eq!(cal.year_listing(year).unwrap_err(), unknown.clone());
        let inside = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        prop_assert_eq!(cal.working_days_between(date, inside).unwrap_err(), unknown.clone());
        prop_assert_eq!(cal.working_days_between(inside, date).unwrap_err(), unknown);
        // The opt-in estimate answers, marked.
        let est = cal.estimating().is_working_day(date).unwrap();
        prop_assert!(est.provisional);
        let in_table = (workcal::FIRST_PROVISIONAL_YEAR..=workcal::LAST_PROVISIONAL_YEAR).contains(&year);
        prop_assert_eq!(est.weekends_only, !in_table);
        if !in_table {
            prop_assert_eq!(est.value, workcal::weekends_only_kind(date).is_working());
        }
    }

    #[test]
    fn huge_counts_fail_cleanly(date in known_date(), n in 2_000_000u32..) {
        let cal = cal();
        prop_assert_eq!(cal.add_working_days(date, n), Err(Error::UnknownYear(LAST + 1)));
        prop_assert_eq!(cal.deadline(date, n).map(|d| d.last_day), Err(Error::UnknownYear(LAST + 1)));
    }
}

#[test]
fn estimates_at_the_end_of_time_fail_cleanly() {
    let cal = cal();
    let est = cal.estimating();
    assert_eq!(
        est.add_working_days(NaiveDate::MAX, 1),
        Err(Error::DateOutOfRange)
    );
    assert_eq!(
        est.add_working_days(NaiveDate::MAX - Days::new(40), u32::MAX),
        Err(Error::DateOutOfRange)
    );
    assert!(est.is_working_day(NaiveDate::MAX).is_ok());
    assert!(est.is_working_day(NaiveDate::MIN).is_ok());
    let n = est
        .working_days_between(NaiveDate::MAX - Days::new(14), NaiveDate::MAX)
        .unwrap();
    assert_eq!((n.value, n.provisional), (10, true));
    assert_eq!(
        cal.add_working_days(NaiveDate::MAX, 1),
        Err(Error::UnknownYear(NaiveDate::MAX.year()))
    );
}
