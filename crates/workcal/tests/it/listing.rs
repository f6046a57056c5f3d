//! The `jianguan calendar YEAR` listing format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use workcal::{Calendar, Error};

fn cal() -> Calendar {
    Calendar::embedded().expect("embedded data loads")
}

#[test]
fn one_line_per_day_with_four_fields() {
    let cal = cal();
    for (year, days) in [(2020, 366), (2023, 365), (2024, 366), (2026, 365)] {
        let listing = cal.year_listing(year).unwrap();
        assert!(listing.ends_with('\n'));
        let lines: Vec<&str> = listing.split_terminator('\n').collect();
        assert_eq!(lines.len(), days, "{year}");
        assert!(lines[0].starts_with(&format!("{year}-01-01\t")));
        assert!(lines[days - 1].starts_with(&format!("{year}-12-31\t")));
        for line in &lines {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "{line:?}");
            let expect_work = match fields[2] {
                "workday" | "makeup" => "work",
                "weekend" | "holiday" => "off",
                other => panic!("bad kind {other:?} in {line:?}"),
            };
            assert_eq!(fields[1], expect_work, "{line:?}");
            assert_eq!(
                fields[3].is_empty(),
                matches!(fields[2], "workday" | "weekend"),
                "{line:?}"
            );
        }
    }
}

#[test]
fn known_lines() {
    let listing = cal().year_listing(2024).unwrap();
    for expected in [
        "2024-01-01\toff\tholiday\t元旦\n",
        "2024-01-02\twork\tworkday\t\n",
        "2024-01-06\toff\tweekend\t\n",
        "2024-02-04\twork\tmakeup\t春节\n",
        "2024-02-10\toff\tholiday\t春节\n",
        "2024-10-01\toff\tholiday\t国庆节\n",
        "2024-10-12\twork\tmakeup\t国庆节\n",
    ] {
        assert!(listing.contains(expected), "missing {expected:?}");
    }
    let listing = cal().year_listing(2020).unwrap();
    assert!(listing.contains("2020-02-01\toff\tholiday\t春节\n"));
    assert!(listing.contains("2020-10-01\toff\tholiday\t国庆节、中秋节\n"));
    assert!(listing.contains("2020-09-27\twork\tmakeup\t国庆节、中秋节\n"));
}

#[test]
fn listing_matches_day_kind() {
    let cal = cal();
    let listing = cal.year_listing(2025).unwrap();
    for line in listing.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let date = chrono::NaiveDate::parse_from_str(fields[0], "%Y-%m-%d").unwrap();
        let kind = cal.day_kind(date).unwrap();
        assert_eq!(kind.label(), fields[2]);
        assert_eq!(kind.name().unwrap_or(""), fields[3]);
    }
}

#[test]
fn unknown_year() {
    assert_eq!(cal().year_listing(2031), Err(Error::UnknownYear(2031)));
    assert_eq!(cal().year_listing(2019), Err(Error::UnknownYear(2019)));
}
