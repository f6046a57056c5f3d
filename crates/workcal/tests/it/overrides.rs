//! Override files: validation with line numbers, replacing and adding years.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use chrono::NaiveDate;
use workcal::{Calendar, DayKind, Error, Problem, check_override};

fn cal() -> Calendar {
    Calendar::embedded().expect("embedded data loads")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// Problems as (line, message) for compact assertions.
fn problems(text: &str) -> Vec<(usize, String)> {
    check_override(text)
        .into_iter()
        .map(|p| (p.line, p.message))
        .collect()
}

fn assert_one_problem(text: &str, line: usize, needle: &str) {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, line, "{found:#?}");
    assert!(found[0].1.contains(needle), "{found:#?}");
}

/// A made-up 2027 for tests (NOT the real arrangements, which are unpublished
/// as of this data): 元旦 Fri 01-01 to Sun 01-03, make-up Sat 01-09.
const FAKE_2027: &str = r#"
[2027]
notices = ["test data, not a real notice"]
holidays = [
  { name = "元旦", from = "2027-01-01", to = "2027-01-03" },
  { name = "春节", from = "2027-02-05", to = "2027-02-12" },
]
makeup = [
  { date = "2027-01-09", for = "元旦" },
]
"#;

#[test]
fn embedded_data_has_no_problems() {
    assert_eq!(
        check_override(workcal::EMBEDDED_DATA),
        Vec::<Problem>::new()
    );
}

#[test]
fn empty_override_changes_nothing() {
    assert!(check_override("").is_empty());
    assert!(check_override("# only a comment\n").is_empty());
    let base = cal();
    let same = base.with_override_str("").unwrap();
    assert_eq!(
        same.years().collect::<Vec<_>>(),
        base.years().collect::<Vec<_>>()
    );
    assert_eq!(
        same.year_listing(2024).unwrap(),
        base.year_listing(2024).unwrap()
    );
}

#[test]
fn adding_2027() {
    assert!(
        check_override(FAKE_2027).is_empty(),
        "{:?}",
        check_override(FAKE_2027)
    );
    let base = cal();
    assert_eq!(
        base.add_working_days(d(2026, 12, 31), 1),
        Err(Error::UnknownYear(2027))
    );
    let cal = base.with_override_str(FAKE_2027).unwrap();
    assert_eq!(cal.years().last(), Some(2027));
    assert_eq!(
        cal.day_kind(d(2027, 1, 1)).unwrap(),
        DayKind::Holiday {
            name: "元旦".into()
        }
    );
    assert_eq!(
        cal.day_kind(d(2027, 1, 9)).unwrap(),
        DayKind::MakeUpWorkday {
            name: "元旦".into()
        }
    );
    // Thu 2026-12-31: 01-01..01-03 off; Mon 01-04 = 1.
    assert_eq!(
        cal.add_working_days(d(2026, 12, 31), 1).unwrap(),
        d(2027, 1, 4)
    );
    assert_eq!(
        cal.deadline(d(2026, 12, 31), 5).unwrap().last_day,
        d(2027, 1, 8)
    );
    assert_eq!(
        cal.deadline(d(2026, 12, 31), 6).unwrap().last_day,
        d(2027, 1, 9)
    );
    assert_eq!(cal.notices(2027).unwrap(), ["test data, not a real notice"]);
    // 2028 is still unknown, and the base calendar is untouched.
    assert_eq!(
        cal.is_working_day(d(2028, 1, 3)),
        Err(Error::UnknownYear(2028))
    );
    assert!(!base.has_year(2027));
}

#[test]
fn replacing_a_year_replaces_it_whole() {
    let text = r#"
[2024]
notices = ["test: a corrected 2024"]
holidays = [
  { name = "国庆节", from = "2024-10-01", to = "2024-10-08" },
]
"#;
    let base = cal();
    let cal = base.with_override_str(text).unwrap();
    // The new block applies ...
    assert_eq!(
        cal.day_kind(d(2024, 10, 8)).unwrap(),
        DayKind::Holiday {
            name: "国庆节".into()
        }
    );
    assert_eq!(base.day_kind(d(2024, 10, 8)).unwrap(), DayKind::Working);
    // ... and nothing of the old 2024 survives: its make-up Sunday is a plain Sunday.
    assert_eq!(cal.day_kind(d(2024, 2, 4)).unwrap(), DayKind::Weekend);
    assert_eq!(cal.day_kind(d(2024, 2, 12)).unwrap(), DayKind::Working);
    // Other years are unchanged.
    assert_eq!(
        cal.year_listing(2025).unwrap(),
        base.year_listing(2025).unwrap()
    );
    assert_eq!(cal.notices(2024).unwrap(), ["test: a corrected 2024"]);
}

#[test]
fn override_file_at_run_time() {
    let dir = std::env::temp_dir().join(format!("workcal-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, FAKE_2027).unwrap();
    let cal = cal().with_override_file(&good).unwrap();
    assert!(cal.has_year(2027));

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[2027]\nnotices = [\"x\"]\nholidays = [ { name = \"元旦\", date = \"2027-13-01\" } ]\n",
    )
    .unwrap();
    match cal.with_override_file(&bad) {
        Err(Error::InvalidData { origin, problems }) => {
            assert!(origin.ends_with("bad.toml"), "{origin}");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].line, 3);
            assert!(problems[0].message.contains("2027-13-01"), "{problems:?}");
        }
        other => panic!("expected InvalidData, got {other:?}"),
    }

    let missing = dir.join("missing.toml");
    assert!(matches!(
        cal.with_override_file(&missing),
        Err(Error::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_toml() {
    let text =
        "[2027]\nnotices = [\"x\"]\nholidays = [\n  { name = \"元旦\", date = \"2027-01-01\" ,\n";
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.starts_with("malformed TOML"), "{found:?}");
    assert!((3..=5).contains(&found[0].0), "{found:?}");

    // An unterminated string on line 2.
    assert_one_problem("[2027]\nnotices = [\"x]\n", 2, "malformed TOML");
    // A duplicate table.
    let dup_table = format!("{FAKE_2027}\n[2027]\nnotices = [\"y\"]\n");
    let found = problems(&dup_table);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 12, "{found:?}");

    let err = cal().with_override_str("[2027\n").unwrap_err();
    assert!(matches!(err, Error::InvalidData { .. }));
    assert!(err.to_string().contains("line 1: malformed TOML"), "{err}");
}

#[test]
fn duplicate_dates() {
    let text = r#"[2027]
notices = ["x"]
holidays = [
  { name = "元旦", from = "2027-01-01", to = "2027-01-03" },
  { name = "元旦", date = "2027-01-02" },
]
makeup = [
  { date = "2027-01-09", for = "元旦" },
  { date = "2027-01-09", for = "元旦" },
]
"#;
    let found = problems(text);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].0, 5);
    assert!(
        found[0].1.contains("duplicate date 2027-01-02"),
        "{found:?}"
    );
    assert!(found[0].1.contains("line 4"), "{found:?}");
    assert_eq!(found[1].0, 9);
    assert!(
        found[1].1.contains("duplicate date 2027-01-09"),
        "{found:?}"
    );
    assert!(matches!(
        cal().with_override_str(text),
        Err(Error::InvalidData { problems, .. }) if problems.len() == 2
    ));
}

#[test]
fn date_both_holiday_and_makeup() {
    let text = r#"[2027]
notices = ["x"]
holidays = [
  { name = "元旦", from = "2027-01-01", to = "2027-01-03" },
]
makeup = [
  { date = "2027-01-02", for = "元旦" },
]
"#;
    assert_one_problem(
        text,
        7,
        "2027-01-02 is listed both as a make-up working day and as a holiday (line 4)",
    );
}

#[test]
fn year_key_that_does_not_parse() {
    let text = "[2027]\nnotices = [\"x\"]\nholidays = [ { name = \"元旦\", date = \"2027-01-01\" } ]\n\n[20x8]\nnotices = [\"x\"]\n";
    assert_one_problem(text, 5, "`20x8` is not a year");
    assert_one_problem("[\"27\"]\nnotices = []\n", 1, "`27` is not a year");
}

#[test]
fn make_up_day_must_name_a_holiday_of_its_year() {
    let text = r#"[2027]
notices = ["x"]
holidays = [
  { name = "元旦", date = "2027-01-01" },
  { name = "国庆节、中秋节", from = "2027-10-01", to = "2027-10-07" },
]
makeup = [
  { date = "2027-01-09", for = "春结" },
  { date = "2027-09-26", for = "中秋节" },
  { date = "2027-10-09", for = "国庆节、中秋节" },
]
"#;
    assert_one_problem(
        text,
        8,
        "is for `春结`, which is not a holiday listed in [2027] (元旦, 国庆节、中秋节)",
    );
}

#[test]
fn make_up_day_must_be_a_weekend_day() {
    let text = r#"[2027]
notices = ["x"]
holidays = [{ name = "元旦", date = "2027-01-01" }]
makeup = [{ date = "2027-01-05", for = "元旦" }]
"#;
    assert_one_problem(text, 4, "2027-01-05 is a Tuesday");
}

#[test]
fn dates_must_belong_to_their_section() {
    let text = r#"[2027]
notices = ["x"]
holidays = [
  { name = "元旦", from = "2026-12-31", to = "2027-01-02" },
]
"#;
    assert_one_problem(text, 4, "does not belong to section [2027]");
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let text = r#"# header comment
[2027]
notice = ["typo: should be notices"]
holidays = [
  { name = "元旦", date = "2027-01-01" },
  { name = "", date = "2027-01-02" },
  { name = "春节", from = "2027-02-10", to = "2027-02-05" },
  { name = "清明节", date = "2027-04-31" },
  { name = "劳动节", from = "2027-05-01" },
  "2027-06-01",
]
makeup = [
  { date = "2027-01-01", for = "元旦" },
  { date = "2027-02-06" },
]

[2028]
notices = ["x"]
holidays = []
"#;
    let found = check_override(text);
    let lines: Vec<usize> = found.iter().map(|p| p.line).collect();
    // 2027: unknown key (3), missing notices (2), empty name (6), reversed range (7),
    // bad date (8), from without to (9), non-table entry (10), make-up day on a
    // Friday that is also a holiday (13, twice), make-up without `for` (14);
    // 2028: empty holidays (19).
    assert_eq!(
        lines,
        vec![2, 3, 6, 7, 8, 9, 10, 13, 13, 14, 19],
        "{found:#?}"
    );
    for p in &found {
        assert_eq!(p.to_string(), format!("line {}: {}", p.line, p.message));
    }
    assert!(found[0].message.contains("missing `notices`"));
    assert!(found[1].message.contains("unknown key `notice`"));
    assert!(found[3].message.contains("ends before it starts"));
    assert!(found[4].message.contains("2027-04-31"));
    assert!(found[6].message.contains("must be a table"));
    assert!(found[7].message.contains("2027-01-01 is a Friday"));
    assert!(
        found[8]
            .message
            .contains("both as a make-up working day and as a holiday (line 5)")
    );
    assert!(found[9].message.contains("without `for`"));
    assert!(found[10].message.contains("`holidays` is empty"));
}

#[test]
fn array_of_tables_and_native_dates() {
    let text = r#"[2027]
notices = ["x"]

[[2027.holidays]]
name = "元旦"
from = 2027-01-01
to = 2027-01-03

[[2027.makeup]]
date = 2027-01-09
for = "元旦"

[[2027.makeup]]
date = 2027-01-11
for = "元旦"
"#;
    // Only the Monday make-up day is wrong, found on its own line.
    assert_one_problem(text, 14, "2027-01-11 is a Monday");
    let fixed = text.replace("2027-01-11", "2027-01-10");
    let cal = cal().with_override_str(&fixed).unwrap();
    assert_eq!(
        cal.day_kind(d(2027, 1, 2)).unwrap(),
        DayKind::Holiday {
            name: "元旦".into()
        }
    );
    assert!(cal.is_working_day(d(2027, 1, 10)).unwrap());
    // A date-time is not a date.
    let bad = "[2027]\nnotices = [\"x\"]\nholidays = [ { name = \"元旦\", date = 2027-01-01T08:00:00 } ]\n";
    assert_one_problem(bad, 3, "not a valid date");
}

#[test]
fn wrong_types_are_problems_not_panics() {
    for (text, line, needle) in [
        ("2027 = 5\n", 1, "must be a table"),
        (
            "[2027]\nnotices = [\"x\"]\nholidays = \"元旦\"\n",
            3,
            "must be an array",
        ),
        (
            "[2027]\nnotices = [1]\nholidays = [{ name = \"元旦\", date = \"2027-01-01\" }]\n",
            2,
            "must be a string",
        ),
        (
            "[2027]\nnotices = [\"x\"]\nholidays = [{ name = \"元旦\", date = 20270101 }]\n",
            3,
            "must be a date",
        ),
        (
            "[2027]\nnotices = [\"x\"]\nholidays = [{ name = \"元旦\", date = \"2027-01-01\", to = \"2027-01-02\" }]\n",
            3,
            "both `date` and `from`/`to`",
        ),
        (
            "[2027]\nnotices = [\"x\"]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-03-01\" }]\n",
            3,
            "covers 60 days",
        ),
    ] {
        assert_one_problem(text, line, needle);
    }
}

#[test]
fn from_toml_str_holds_only_its_years() {
    let cal = Calendar::from_toml_str(FAKE_2027).unwrap();
    assert_eq!(cal.years().collect::<Vec<_>>(), vec![2027]);
    assert_eq!(
        cal.is_working_day(d(2026, 6, 1)),
        Err(Error::UnknownYear(2026))
    );
}

mod fuzz {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary text never panics, and every problem points into the text.
        #[test]
        fn arbitrary_text(text in "\\PC{0,200}") {
            let lines = text.split('\n').count();
            for p in workcal::check_override(&text) {
                prop_assert!(p.line >= 1 && p.line <= lines + 1, "{}", p);
            }
        }

        /// Damaging the embedded file anywhere never panics, and whatever
        /// loads still answers queries without panicking.
        #[test]
        fn damaged_embedded_file(at in 0usize..workcal::EMBEDDED_DATA.len(), cut in 0usize..40, insert in "[-0-9\"\\[\\]{}=, \\n]{0,6}") {
            let src = workcal::EMBEDDED_DATA;
            let mut start = at;
            while !src.is_char_boundary(start) { start -= 1; }
            let mut end = (start + cut).min(src.len());
            while !src.is_char_boundary(end) { end -= 1; }
            let text = format!("{}{}{}", &src[..start], insert, &src[end..]);
            let problems = workcal::check_override(&text);
            let lines = text.split('\n').count();
            for p in &problems {
                prop_assert!(p.line >= 1 && p.line <= lines + 1, "{}", p);
            }
            match workcal::Calendar::from_toml_str(&text) {
                Ok(cal) => {
                    prop_assert!(problems.is_empty());
                    for year in cal.years() {
                        prop_assert!(cal.year_listing(year).is_ok());
                    }
                }
                Err(workcal::Error::InvalidData { problems: p, .. }) => prop_assert_eq!(p, problems),
                Err(e) => prop_assert!(false, "unexpected error {}", e),
            }
        }
    }
}
