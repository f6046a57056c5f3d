//! Provisional years: the statutory holidays of 《全国年节及纪念日放假办法》
//! with 补假 (Art. 6), for years whose State Council notice is not loaded.

use chrono::{Datelike, Days, NaiveDate};

use crate::lunar_table::{FIRST_YEAR, LAST_YEAR, LUNAR_DATES};
use crate::parse::{YearSpec, is_weekend};

/// First year a provisional year can be computed for: the 2013 text of the
/// 办法 (国务院令第644号) applies from 2014.
pub const FIRST_PROVISIONAL_YEAR: i32 = FIRST_YEAR;
/// Last year of the embedded lunar table, and so of provisional years.
pub const LAST_PROVISIONAL_YEAR: i32 = LAST_YEAR;
/// First year of the text amended in 2024 (国务院令第798号): 春节 4 days
/// (除夕 to 初三) and 劳动节 2 days.
pub const AMENDED_2024_FROM: i32 = 2025;

/// The notice line of a provisional year.
pub(crate) const PROVISIONAL_SOURCE: &str =
    "暂定：按《全国年节及纪念日放假办法》第二条、第六条推算（未发布放假安排）";

/// One statutory holiday day (Art. 2 of the 办法), before 补假.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatutoryDay {
    /// The day.
    pub date: NaiveDate,
    /// The holiday: 元旦, 春节, 清明节, 劳动节, 端午节, 中秋节 or 国庆节.
    pub name: &'static str,
}

fn ymd(year: i32, (month, day): (u32, u32)) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The statutory holiday days of `year` under the text of the 办法 in force
/// that year (Art. 2), in date order; a day that is two holidays at once (中秋
/// on 1–3 October) appears twice. `None` outside
/// [`FIRST_PROVISIONAL_YEAR`]`..=`[`LAST_PROVISIONAL_YEAR`].
pub fn statutory_days(year: i32) -> Option<Vec<StatutoryDay>> {
    let index = usize::try_from(year.checked_sub(FIRST_YEAR)?).ok()?;
    let [spring, qingming, dragon_boat, mid_autumn] = *LUNAR_DATES.get(index)?;
    let spring = ymd(year, spring)?;
    let amended_2024 = year >= AMENDED_2024_FROM;
    let mut days = Vec::with_capacity(14);
    let mut push = |date: NaiveDate, name: &'static str| days.push(StatutoryDay { date, name });
    push(ymd(year, (1, 1))?, "元旦");
    // 2024 text: 除夕 and 初一 to 初三; 2013 text: 初一 to 初三.
    let first_spring_day = if amended_2024 {
        spring.pred_opt()?
    } else {
        spring
    };
    for offset in 0..if amended_2024 { 4 } else { 3 } {
        push(
            first_spring_day.checked_add_days(Days::new(offset))?,
            "春节",
        );
    }
    push(ymd(year, qingming)?, "清明节");
    push(ymd(year, (5, 1))?, "劳动节");
    if amended_2024 {
        push(ymd(year, (5, 2))?, "劳动节");
    }
    push(ymd(year, dragon_boat)?, "端午节");
    push(ymd(year, mid_autumn)?, "中秋节");
    for day in 1..=3 {
        push(ymd(year, (10, day))?, "国庆节");
    }
    days.sort_by_key(|d| d.date);
    Some(days)
}

/// The provisional arrangements of `year`: every statutory day off, and for
/// each statutory day that falls on a Saturday or Sunday, or on a day that is
/// already another holiday, one 补假 day on the first following Monday–Friday
/// that is not already off, taken in date order (Art. 6). No 调休.
pub(crate) fn provisional_spec(year: i32) -> Option<YearSpec> {
    let statutory = statutory_days(year)?;
    let mut holidays: Vec<(NaiveDate, String)> = Vec::with_capacity(24);
    let mut owed: Vec<StatutoryDay> = Vec::new();
    for day in &statutory {
        match holidays.iter_mut().find(|(date, _)| *date == day.date) {
            Some((_, name)) => {
                name.push('、');
                name.push_str(day.name);
                owed.push(*day);
            }
            None => {
                holidays.push((day.date, day.name.to_owned()));
                if is_weekend(day.date) {
                    owed.push(*day);
                }
            }
        }
    }
    for day in owed {
        let mut next = day.date.succ_opt()?;
        while is_weekend(next) || holidays.iter().any(|(date, _)| *date == next) {
            next = next.succ_opt()?;
        }
        if next.year() != year {
            return None;
        }
        holidays.push((next, format!("{}（补假）", day.name)));
    }
    holidays.sort_by_key(|(date, _)| *date);
    Some(YearSpec {
        year,
        notices: vec![PROVISIONAL_SOURCE.to_owned()],
        holidays,
        makeups: Vec::new(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn off(year: i32) -> Vec<(NaiveDate, String)> {
        provisional_spec(year).unwrap().holidays
    }

    #[test]
    fn spring_festival_2027_starts_on_chuxi() {
        // 正月初一 2027 is Saturday 02-06; 除夕 (廿九 of the 12th month) Friday 02-05.
        let spring: Vec<NaiveDate> = statutory_days(2027)
            .unwrap()
            .into_iter()
            .filter(|s| s.name == "春节")
            .map(|s| s.date)
            .collect();
        assert_eq!(
            spring,
            vec![d(2027, 2, 5), d(2027, 2, 6), d(2027, 2, 7), d(2027, 2, 8)]
        );
        // Sat 02-06 and Sun 02-07 are made up on Tue 02-09 and Wed 02-10.
        let got = off(2027);
        assert!(got.contains(&(d(2027, 2, 9), "春节（补假）".to_owned())));
        assert!(got.contains(&(d(2027, 2, 10), "春节（补假）".to_owned())));
        assert!(!got.iter().any(|(date, _)| *date == d(2027, 2, 11)));
    }

    #[test]
    fn national_day_and_mid_autumn_on_the_same_day() {
        // 2028: 中秋 is Tuesday 10-03, also 国庆; 10-01 Sun is made up on Wed
        // 10-04, the double day on Thu 10-05 (named by its second holiday).
        let got = off(2028);
        let october: Vec<_> = got
            .iter()
            .filter(|(date, _)| date.month() == 10)
            .cloned()
            .collect();
        assert_eq!(
            october,
            vec![
                (d(2028, 10, 1), "国庆节".to_owned()),
                (d(2028, 10, 2), "国庆节".to_owned()),
                (d(2028, 10, 3), "中秋节、国庆节".to_owned()),
                (d(2028, 10, 4), "国庆节（补假）".to_owned()),
                (d(2028, 10, 5), "国庆节（补假）".to_owned()),
            ]
        );
    }

    #[test]
    fn new_year_on_saturday_is_made_up_on_monday() {
        // 2028-01-01 is a Saturday.
        assert_eq!(
            off(2028)[..2],
            [
                (d(2028, 1, 1), "元旦".to_owned()),
                (d(2028, 1, 3), "元旦（补假）".to_owned())
            ]
        );
    }

    #[test]
    fn table_bounds() {
        assert!(statutory_days(FIRST_PROVISIONAL_YEAR - 1).is_none());
        assert!(statutory_days(LAST_PROVISIONAL_YEAR + 1).is_none());
        assert_eq!(statutory_days(2024).unwrap().len(), 11);
        assert_eq!(statutory_days(2025).unwrap().len(), 13);
    }
}
