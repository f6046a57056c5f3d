//! `/reconsideration` and `/litigation` (issue 20): the Justice Bureau sees
//! every application and hearing, a department only those where it is
//! 被申请人 or 被告; an application's page shows its clock and links the
//! original case when it is in the register.

use crate::common::jianguan_ok;
use crate::common::web::TestServer;

const APPLICATIONS: &str = "案号,申请人,被申请人,收到日期,受理日期,决定日期,决定类型,原行政行为案件编号\n\
    FY-1,张三,SCJG,2025-09-26,2025-10-11,2025-11-20,撤销,SCJG-NO-SUCH\n\
    FY-2,李四,STHJ,2025-09-26,2025-10-10,2025-11-20,维持,\n";

const HEARINGS: &str = "案号,被告,开庭日期,负责人出庭\n\
    SS-1,SCJG,2025-03-01,是\n\
    SS-2,SCJG,2025-04-01,否\n\
    SS-3,STHJ,2025-05-01,是\n";

fn server() -> TestServer {
    TestServer::start_prepared(|database| {
        let dir = database.parent().unwrap_or_else(|| panic!("a folder"));
        let (applications, hearings) = (dir.join("fy.csv"), dir.join("ss.csv"));
        std::fs::write(&applications, APPLICATIONS).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&hearings, HEARINGS).unwrap_or_else(|e| panic!("{e}"));
        let database = database.to_string_lossy();
        for (what, file) in [
            ("reconsideration", &applications),
            ("litigation", &hearings),
        ] {
            jianguan_ok(&[
                what,
                "import",
                &file.to_string_lossy(),
                "--database",
                &database,
            ])
            .unwrap_or_else(|e| panic!("{e}"));
        }
    })
}

#[test]
fn the_justice_bureau_sees_all_and_a_department_its_own() {
    let server = server();
    let mut supervisor = server.login("sfj.supervisor");
    let list = supervisor.get("/reconsideration");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("FY-1") && list.body.contains("FY-2"));
    assert!(list.body.contains("受理审查逾期"), "FY-1 was accepted late");
    let late = supervisor.get("/reconsideration?rule=admission_late");
    assert!(late.body.contains("FY-1") && !late.body.contains("FY-2"));
    let upheld = supervisor.get("/reconsideration?decision=%E7%BB%B4%E6%8C%81");
    assert!(!upheld.body.contains("FY-1") && upheld.body.contains("FY-2"));
    let page = supervisor.get("/reconsideration/FY-1");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("2025-10-10"), "the admission deadline");
    assert!(page.body.contains("2025-12-10"), "the decision deadline");
    assert!(
        page.body.contains("不在案件库中"),
        "an unknown case is not linked"
    );
    let rates = supervisor.get("/litigation");
    assert_eq!(rates.status, 200, "{}", rates.body);
    let city = rates
        .body
        .split("id=\"city-rate\"")
        .nth(1)
        .unwrap_or_else(|| panic!("the city line: {}", rates.body));
    assert!(city.contains("66.67%"), "{city}");

    let mut staff = server.login("scjg.staff");
    let own = staff.get("/reconsideration");
    assert!(own.body.contains("FY-1") && !own.body.contains("FY-2"));
    assert_eq!(staff.get("/reconsideration/FY-2").status, 404);
    let asked = staff.get("/reconsideration?respondent=STHJ");
    assert!(!asked.body.contains("FY-2"));
    let hearings = staff.get("/litigation");
    assert!(hearings.body.contains("SS-1") && !hearings.body.contains("SS-3"));
    assert!(!hearings.body.contains("id=\"city-rate\""));
    assert!(hearings.body.contains("50.00%"));
}

#[test]
fn the_justice_bureau_imports_with_errors_by_row_and_column_in_chinese() {
    let server = TestServer::start();
    let mut supervisor = server.login("sfj.supervisor");
    let path = format!("/reconsideration/import?csrf={}", supervisor.csrf);
    let file = format!("{APPLICATIONS}FY-3,王五,SCJG,2025-05-10,2025-05-01,,,\n");
    let page = supervisor.post_multipart(
        &path,
        &[("kind", "reconsideration")],
        ("file", "fy.csv", file.as_bytes()),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let done = crate::web::staff_directories::finished_job(&mut supervisor, &page);
    assert!(
        done.contains("新增 2") && done.contains("拒绝 1 行"),
        "{done}"
    );
    assert!(done.contains("第 4 行 受理日期：早于收到日期"), "{done}");
    let again = supervisor.post_multipart(
        &path,
        &[("kind", "reconsideration")],
        ("file", "fy.csv", file.as_bytes()),
    );
    let done = crate::web::staff_directories::finished_job(&mut supervisor, &again);
    assert!(done.contains("新增 0，更新 0，未变 2"), "{done}");
    assert!(supervisor.get("/reconsideration").body.contains("FY-2"));

    let mut staff = server.login("scjg.staff");
    assert!(!staff.get("/reconsideration").body.contains("import-file"));
    let path = format!("/reconsideration/import?csrf={}", staff.csrf);
    let refused = staff.post_multipart(
        &path,
        &[("kind", "litigation")],
        ("file", "ss.csv", HEARINGS.as_bytes()),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
}

/// The row of `code` in the 年报 table, or `None`.
fn annual_row<'a>(body: &'a str, code: &str) -> Option<&'a str> {
    let start = format!("<td data-label=\"部门编码\">{code}</td>");
    body.split("<tr>").find(|row| row.starts_with(&start))
}

#[test]
fn the_annual_report_shows_a_department_only_its_own_line() {
    let server = server();
    let mut supervisor = server.login("sfj.supervisor");
    let page = supervisor.get("/justice/annual?year=2025");
    assert_eq!(page.status, 200, "{}", page.body);
    let city = annual_row(&page.body, "").unwrap_or_else(|| panic!("the city line: {}", page.body));
    assert!(city.contains("全市") && city.contains("0.6667"), "{city}");
    assert!(
        city.contains("0.5000"),
        "1 of 2 substantive corrected: {city}"
    );
    assert!(annual_row(&page.body, "STHJ").is_some());
    let scjg = annual_row(&page.body, "SCJG").unwrap_or_else(|| panic!("SCJG"));
    assert!(scjg.contains("1.0000") && scjg.contains("0.5000"), "{scjg}");
    let download = supervisor.get("/justice/annual/download?year=2025");
    assert_eq!(download.status, 200);
    assert_eq!(supervisor.get("/justice/annual?year=1999").status, 400);

    let mut staff = server.login("scjg.staff");
    let own = staff.get("/justice/annual?year=2025");
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(annual_row(&own.body, "SCJG").is_some(), "{}", own.body);
    assert!(annual_row(&own.body, "STHJ").is_none());
    assert!(annual_row(&own.body, "").is_none(), "no city line");
}
