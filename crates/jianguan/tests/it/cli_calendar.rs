//! `jianguan calendar`: the year listing, unknown years, and override files.

#![allow(
    clippy::expect_used,
    reason = "test set-up failures should stop the test"
)]

use std::process::{Command, Output};

fn jianguan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .env_remove("JIANGUAN_CALENDAR_OVERRIDE")
        .output()
        .expect("run jianguan")
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("jianguan-cal-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn year_listing_has_every_day_with_kinds() {
    let output = jianguan(&["calendar", "2024"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 366, "2024 is a leap year");
    assert!(text.contains("2024-02-04\twork\tmakeup\t春节\n"));
    assert!(text.contains("2024-10-01\toff\tholiday\t国庆节\n"));
    assert!(text.contains("2024-10-12\twork\tmakeup\t国庆节\n"));
    assert!(text.contains("2024-10-13\toff\tweekend\t\n"));
}

#[test]
fn a_year_beyond_the_lunar_table_is_an_error_not_a_guess() {
    let output = jianguan(&["calendar", "2060"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no published holiday schedule for 2060")
    );
}

#[test]
fn a_year_without_a_notice_is_listed_provisional() {
    let output = jianguan(&["calendar", "2027"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("PROVISIONAL (暂定)"));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 365);
    assert!(
        text.lines().all(|line| line.ends_with("\tprovisional")),
        "every day is marked"
    );
    // 除夕 (Friday 02-05) to 初三, and Saturday 02-06 / Sunday 02-07 made up
    // on Tuesday 02-09 and Wednesday 02-10 (补假).
    assert!(text.contains("2027-02-05\toff\tholiday\t春节\tprovisional\n"));
    assert!(text.contains("2027-02-08\toff\tholiday\t春节\tprovisional\n"));
    assert!(text.contains("2027-02-10\toff\tholiday\t春节（补假）\tprovisional\n"));
    assert!(text.contains("2027-02-11\twork\tworkday\t\tprovisional\n"));
    assert!(!text.contains("makeup"), "no 调休 without the notice");
}

#[test]
fn check_reports_every_problem_by_line_and_override_adds_a_year() {
    let bad = temp_file(
        "bad.toml",
        "[2027]\nnotices = [\"x\"]\nholidays = [{ name = \"元旦\", date = \"2027-01-01\" }, { name = \"元旦\", date = \"2027-01-01\" }]\nmakeup = [{ date = \"2027-01-01\", for = \"元旦\" }]\n",
    );
    let output = jianguan(&["calendar", "--check", bad.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(1));
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(report.lines().count() >= 2, "{report}");
    assert!(
        report.lines().all(|line| line.contains(": line ")),
        "{report}"
    );

    let good = temp_file(
        "good.toml",
        "[2027]\nnotices = [\"assumed for the test\"]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-03\" }]\nmakeup = []\n",
    );
    let path = good.to_str().expect("path");
    assert!(jianguan(&["calendar", "--check", path]).status.success());
    let output = jianguan(&["calendar", "2027", "--override", path]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("2027-01-01\toff\tholiday\t元旦\n"));
    assert!(text.contains("2027-01-04\twork\tworkday\t\n"));
    let _ = std::fs::remove_file(bad);
    let _ = std::fs::remove_file(good);
}
