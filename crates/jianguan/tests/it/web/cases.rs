//! `/cases` (行政处罚案件, issue 19): the Justice Bureau sees every
//! department's cases and findings, a department its own; the findings table
//! counts what `cases check` finds; the overdue list holds the unpublished
//! decisions past their deadline.

use std::collections::BTreeMap;

use crate::common::jianguan_ok;
use crate::common::web::{TestServer, add_account};
use domain::account::Role;

/// The figures of the findings table: (department, rule) → count.
fn figures(body: &str) -> BTreeMap<(String, String), u64> {
    let mut found = BTreeMap::new();
    for part in body.split("class=\"figure\" data-department=\"").skip(1) {
        let (department, rest) = part.split_once('"').unwrap_or_default();
        let rest = rest.split_once("data-rule=\"").unwrap_or_default().1;
        let (rule, rest) = rest.split_once('"').unwrap_or_default();
        let count = rest
            .split_once('>')
            .unwrap_or_default()
            .1
            .split_once('<')
            .unwrap_or_default()
            .0;
        let count: u64 = count
            .parse()
            .unwrap_or_else(|_| panic!("a figure is a number: {count}"));
        found.insert((department.to_owned(), rule.to_owned()), count);
    }
    found
}

#[test]
fn the_findings_table_counts_what_the_check_finds_and_departments_see_their_own() {
    let server = TestServer::start();
    let out = jianguan_ok(&[
        "cases",
        "check",
        "--json",
        "--database",
        &server.database.to_string_lossy(),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for finding in report["findings"].as_array().into_iter().flatten() {
        *by_rule
            .entry(finding["rule"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    assert!(!by_rule.is_empty(), "the demo register has findings");

    let mut supervisor = server.login("sfj.supervisor");
    let page = supervisor.get("/cases");
    assert_eq!(page.status, 200, "{}", page.body);
    let table = figures(&page.body);
    let mut shown: BTreeMap<String, u64> = BTreeMap::new();
    for ((_, rule), count) in &table {
        *shown.entry(rule.clone()).or_default() += count;
    }
    assert_eq!(shown, by_rule, "the table sums to the check's counts");
    let departments: std::collections::BTreeSet<&String> = table.keys().map(|(d, _)| d).collect();
    assert!(departments.len() > 1, "every department: {departments:?}");

    // A figure leads to exactly its cases.
    let ((department, rule), count) = table.iter().next().unwrap_or_else(|| panic!("a figure"));
    let cases = supervisor.get(&format!("/cases?department={department}&rule={rule}"));
    assert!(
        cases.body.contains(&format!("共 {count} 条")),
        "{department} {rule}: {count}"
    );
    assert!(cases.body.contains("下发整改通知"));

    // The overdue list: unpublished decisions among the publicity findings.
    let overdue = page
        .body
        .split("id=\"overdue-table\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_default();
    let rows = overdue.matches("应公示未公示").count() + overdue.matches("应撤回未撤回").count();
    let limit = by_rule.get("publicity").copied().unwrap_or(0)
        + by_rule.get("withdrawal").copied().unwrap_or(0);
    assert!(rows as u64 <= limit, "{rows} overdue of {limit} findings");

    // A department's staff: their own department only, no notice button.
    let mut staff = server.login("scjg.staff");
    let own = staff.get("/cases");
    assert_eq!(own.status, 200);
    let own_table = figures(&own.body);
    assert!(
        own_table.keys().all(|(d, _)| d == "SCJG"),
        "{:?}",
        own_table.keys()
    );
    assert!(!own.body.contains("下发整改通知"));
    let other = departments
        .iter()
        .find(|d| d.as_str() != "SCJG")
        .unwrap_or_else(|| panic!("another department"));
    let asked = staff.get(&format!("/cases?department={other}"));
    assert!(
        asked.body.contains("共 0 条"),
        "another department's cases shown"
    );
}

#[test]
fn the_lookup_shows_the_tiers_and_the_lists_of_the_version_in_force() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let page = staff.get("/cases/discretion?q=scjg-wf-001");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("现行裁量基准：<span id=\"version\">第 1 版"),
        "{}",
        page.body
    );
    let section = page
        .body
        .split("id=\"b-SCJG-WF-001\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_else(|| panic!("the behaviour is shown: {}", page.body));
    for tier in ["不予处罚", "减轻处罚", "从轻处罚", "一般处罚", "从重处罚"] {
        assert!(section.contains(&format!("<td>{tier}</td>")), "{tier}");
    }
    assert!(section.contains(" 元 至 "), "a fine range");
    for (list, applies) in [
        ("不予处罚", true),
        ("减轻处罚", true),
        ("从轻处罚", false),
        ("行政强制免于执行", false),
    ] {
        let word = if applies { "适用" } else { "不适用" };
        assert!(
            section.contains(&format!("{list}清单：{word}<")),
            "{list}: {word}\n{section}"
        );
    }
    let none =
        staff.get("/cases/discretion?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E8%A1%8C%E4%B8%BA");
    assert!(none.body.contains("没有找到"));
}

/// A case of SCJG as a clerk enters it; `fine` as given.
fn case_form(fine: &str) -> Vec<(&'static str, String)> {
    [
        ("id", "SCJG-WEB-0001"),
        ("party_name", "张三"),
        ("party_id", "11010519491231002X"),
        ("behaviour", "SCJG-WF-001"),
        ("filed_on", "2025-03-01"),
        ("decided_on", "2025-03-10"),
        ("kinds", "警告"),
        ("kinds", "罚款"),
        ("tier", "一般处罚"),
        ("fine", fine),
        ("officers", ""),
        ("legal_review", "否"),
        ("first_offence", "否"),
        ("corrected", "否"),
        ("extended", "否"),
        ("published_on", "2025-03-12"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_clerk_enters_a_case_the_check_sees_and_others_may_not_edit_it() {
    let server = TestServer::start_prepared(|database| {
        add_account(database, "wjw.clerk", Role::DepartmentStaff, Some("WJW"));
    });
    let mut clerk = server.login("scjg.staff");
    let page = clerk.get("/cases/new");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-inline-errors"));

    // Three decimals: refused as the import refuses it, on the field.
    let bad = case_form("1234.567");
    let inline = clerk.post_form_inline("/cases/new", &pairs(&bad));
    assert_eq!(inline.status, 400, "{}", inline.body);
    let refusal = inline.json();
    assert_eq!(refusal["field"], "fine", "{refusal}");
    assert!(
        refusal["message"]
            .as_str()
            .is_some_and(|m| m.contains("至多两位小数")),
        "{refusal}"
    );
    let framed = clerk.post_form("/cases/new", &pairs(&bad));
    assert_eq!(framed.status, 400);
    assert!(framed.body.contains("至多两位小数"), "{}", framed.body);
    assert!(framed.body.contains("<nav"), "inside the app frame");

    let saved = clerk.post_form("/cases/new", &pairs(&case_form("1234.56")));
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/cases/SCJG-WEB-0001"));
    let again = clerk.post_form_inline("/cases/new", &pairs(&case_form("1234.56")));
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["field"], "id");

    let shown = clerk.get("/cases/SCJG-WEB-0001");
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("1234.56"));
    assert!(
        !shown.body.contains("11010519491231002X"),
        "the ID number masked"
    );
    assert!(shown.body.contains("id=\"edit-case\""));

    // `cases check` judges it: no officers.
    let out = jianguan_ok(&[
        "cases",
        "check",
        "--json",
        "--department",
        "SCJG",
        "--database",
        &server.database.to_string_lossy(),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["case"] == "SCJG-WEB-0001" && f["rule"] == "officers"),
        "{report}"
    );

    // An edit keeps the number when its field is left empty.
    let mut edit = case_form("2000");
    edit.retain(|(k, _)| *k != "party_id");
    let edited = clerk.post_form("/cases/SCJG-WEB-0001/edit", &pairs(&edit));
    assert_eq!(edited.status, 303, "{}", edited.body);
    let shown = clerk.get("/cases/SCJG-WEB-0001");
    assert!(
        shown.body.contains("2000.00") || shown.body.contains(">2000<"),
        "{}",
        shown.body
    );

    // The Justice Bureau reads it but may not edit it.
    let mut supervisor = server.login("sfj.supervisor");
    let read = supervisor.get("/cases/SCJG-WEB-0001");
    assert_eq!(read.status, 200);
    assert!(!read.body.contains("id=\"edit-case\""));
    assert_eq!(supervisor.get("/cases/SCJG-WEB-0001/edit").status, 403);
    assert_eq!(supervisor.get("/cases/new").status, 403);
    let refused = supervisor.post_form("/cases/SCJG-WEB-0001/edit", &pairs(&edit));
    assert_eq!(refused.status, 403);

    // Another department's clerk: not theirs.
    let mut other = server.login("wjw.clerk");
    assert_eq!(other.get("/cases/SCJG-WEB-0001").status, 404);
    assert_eq!(other.get("/cases/SCJG-WEB-0001/edit").status, 403);
    let refused = other.post_form("/cases/SCJG-WEB-0001/edit", &pairs(&edit));
    assert_eq!(refused.status, 403);
}
