//! Errors as staff meet them: inside the app frame, in Chinese, with the field
//! at fault named; the API's JSON with a stable code and a Chinese message.

use serde_json::json;

use crate::common::web::{Answer, TestServer};

/// The plan form of `web::staff_workflow` with a period running into the next year.
fn plan_over_new_year(item: &str) -> Vec<(&'static str, String)> {
    vec![
        ("id", "2026-SCJG-E01".into()),
        ("title", "跨年度的测试计划".into()),
        ("lead", "SCJG".into()),
        ("items", item.into()),
        ("inspectors", "2".into()),
        ("rate_A", "5".into()),
        ("period_start", "2026-11-01".into()),
        ("period_end", "2027-01-31".into()),
        ("frequency", "每年1次".into()),
        ("partners", String::new()),
    ]
}

/// A page answered inside the app frame: the user's name and navigation, no login link.
fn assert_in_frame(answer: &Answer, name: &str) {
    assert!(
        answer.body.contains(name),
        "the user's name: {}",
        answer.body
    );
    assert!(
        answer.body.contains("aria-label=\"主菜单\""),
        "the navigation: {}",
        answer.body
    );
    assert!(
        !answer.body.contains("工作人员登录"),
        "not as if logged out: {}",
        answer.body
    );
}

#[test]
fn a_bad_plan_period_answers_inside_the_app_frame_in_chinese() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let form = staff.get("/plans/new?lead=SCJG");
    let marker = "name=\"items\" value=\"";
    let item = form
        .body
        .find(marker)
        .map(|start| &form.body[start + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!item.is_empty(), "{}", form.body);
    let fields = plan_over_new_year(&item);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = staff.post_form("/plans", &pairs);
    assert_eq!(answer.status, 400, "{}", answer.body);
    let display_name = staff
        .get("/dashboard")
        .body
        .split("class=\"who-name\">")
        .nth(1)
        .and_then(|rest| rest.split(" · ").next())
        .unwrap_or_default()
        .to_owned();
    assert!(!display_name.is_empty());
    assert_in_frame(&answer, &display_name);
    assert!(
        answer.body.contains("计划结束日期") && answer.body.contains("同一自然年度"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("返回修改"), "{}", answer.body);
    assert!(
        answer.body.contains("data-error-field=\"period_end\""),
        "{}",
        answer.body
    );
    assert!(
        !answer.body.contains("calendar year") && !answer.body.contains("period_end:"),
        "no English: {}",
        answer.body
    );
}

#[test]
fn the_api_answers_json_with_a_code_and_a_chinese_message() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let plan = json!({
        "id": "2026-SCJG-E02", "title": "跨年度的测试计划", "kind": "单部门", "lead": "SCJG",
        "participants": [{"department": "SCJG", "inspectors": 2, "items": ["SCJG-001-1"]}],
        "scope": {}, "strata": [{"stratum": "A", "rate_bp": 500}],
        "period_start": "2026-11-01", "period_end": "2027-01-31", "frequency": "每年1次"
    });
    let answer = staff.send_json("POST", "/api/v1/plans", &plan);
    assert_eq!(answer.status, 400, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["code"], "invalid_field", "{body}");
    assert_eq!(body["field"], "period_end", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("计划结束日期："), "{message}");
    assert_eq!(body["error"], body["message"], "the older key stays");
}

#[test]
fn a_duplicate_round_answers_409_in_chinese() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let rounds = admin.get("/api/v1/rounds");
    assert_eq!(rounds.status, 200, "{}", rounds.body);
    let existing = rounds.json();
    let id = existing
        .as_array()
        .and_then(|list| list.first())
        .and_then(|round| round["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(!id.is_empty(), "the demo has a round: {existing}");
    let form = [
        ("id", id.as_str()),
        ("title", "重复的批次"),
        ("window_start", "2026-01-01"),
        ("window_end", "2026-03-31"),
        ("cap", ""),
    ];
    let page = admin.post_form("/rounds", &form);
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(
        page.body.contains(&format!("批次编号 {id} 已存在")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("already exists"), "{}", page.body);
    assert!(!page.body.contains("工作人员登录"), "{}", page.body);
    let api = admin.send_json(
        "POST",
        "/api/v1/rounds",
        &json!({"id": id, "window_start": "2026-01-01", "window_end": "2026-03-31"}),
    );
    assert_eq!(api.status, 409, "{}", api.body);
    assert_eq!(api.json()["code"], "round_exists", "{}", api.body);
    assert_eq!(api.json()["field"], "id", "{}", api.body);
}

#[test]
fn the_header_names_the_department_with_its_code_as_a_tooltip() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let page = staff.get("/dashboard");
    let who = page
        .body
        .split("class=\"who-name\">")
        .nth(1)
        .and_then(|rest| rest.split("</span></span>").next())
        .unwrap_or_default()
        .to_owned();
    assert!(who.contains("title=\"部门代码 SCJG\""), "{who}");
    let shown = who.rsplit('>').next().unwrap_or_default();
    assert!(
        !shown.is_empty() && shown != "SCJG" && !shown.is_ascii(),
        "the department's name, not its code: {who}"
    );
}
