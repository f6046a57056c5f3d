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

/// Posts `fields` to `path` as app.js does and checks the JSON names `field`
/// with a Chinese message matching `words`.
fn refused_on(
    client: &mut crate::common::web::Client,
    path: &str,
    fields: &[(&str, &str)],
    field: &str,
    words: &str,
) {
    let answer = client.post_form_inline(path, fields);
    assert!(
        (400..500).contains(&answer.status),
        "{path}: {} {}",
        answer.status,
        answer.body
    );
    let problem = answer.json();
    assert_eq!(problem["field"], json!(field), "{path}: {problem}");
    let message = problem["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{path}: {message}");
    assert!(
        web::text::english_prose(message).is_none(),
        "{path}: English in {message}"
    );
    assert!(problem["code"].as_str().is_some_and(|c| !c.is_empty()));
}

#[test]
fn every_staff_form_names_the_field_at_fault_to_app_js() {
    let server = TestServer::start();

    let mut operator = server.login("hotline.operator");
    operator.get("/hotline");
    let intake = |entity: &'static str, category: &'static str| {
        vec![
            ("caller_name", "王女士"),
            ("caller_phone", "13800001234"),
            ("category", category),
            ("content", "超市出售过期牛奶"),
            ("channel", "12345"),
            ("entity_code", entity),
        ]
    };
    refused_on(
        &mut operator,
        "/hotline",
        &intake("9142XXXX", "食品安全"),
        "entity_code",
        "9142XXXX",
    );
    refused_on(
        &mut operator,
        "/hotline",
        &intake("", ""),
        "category",
        "问题类型",
    );
    let accepted = operator.post_form_inline("/hotline", &intake("", "食品安全"));
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(
        accepted.json()["location"]
            .as_str()
            .is_some_and(|l| l.starts_with("/hotline/orders/")),
        "{}",
        accepted.body
    );

    let mut admin = server.login("admin");
    admin.get("/directories/departments/SCJG");
    let department = [
        ("name", "黄石市市场监督管理局"),
        ("level", "市级"),
        ("district", "420202"),
        ("uscc", "123"),
    ];
    refused_on(
        &mut admin,
        "/directories/departments/SCJG",
        &department,
        "uscc",
        "统一社会信用代码",
    );
    let created = [
        ("code", "bad code!"),
        ("name", "新部门"),
        ("level", "市级"),
        ("district", "420202"),
    ];
    refused_on(
        &mut admin,
        "/directories/departments",
        &created,
        "code",
        "部门编码",
    );
    admin.get("/accounts");
    let account = [
        ("username", "scjg.staff"),
        ("display_name", "重名"),
        ("role", "department_staff"),
        ("department", "SCJG"),
    ];
    refused_on(&mut admin, "/accounts", &account, "username", "scjg.staff");

    let mut staff = server.login("scjg.staff");
    staff.get("/supervision");
    let register = |entity: &'static str, order: &'static str| {
        vec![
            ("entity", entity),
            ("reason", "投诉举报"),
            ("detail", "现场检查"),
            ("inspected_on", "2026-03-02"),
            ("inspectors", "A,B"),
            ("work_order", order),
        ]
    };
    refused_on(
        &mut staff,
        "/supervision/out-of-plan",
        &register("91420XXX", "GD-NOPE"),
        "work_order",
        "GD-NOPE",
    );
    refused_on(
        &mut staff,
        "/supervision/out-of-plan",
        &register("91420XXX", ""),
        "entity",
        "91420XXX",
    );

    // A visit awaiting results: the demo inspector's, else one its department's staff may enter.
    let visit_of = |body: &str| {
        let marker = "href=\"/results/visits/";
        body.find(marker).and_then(|start| {
            let rest = &body[start + "href=\"".len()..];
            rest.split('"').next().map(str::to_owned)
        })
    };
    let mut inspector = server.login("scjg.inspector");
    let mut visit = visit_of(&inspector.get("/results").body);
    if visit.is_none() {
        inspector = server.login("scjg.staff");
        visit = visit_of(&inspector.get("/results").body);
    }
    let visit = visit.expect("a visit awaiting results in the demo city");
    let entry = [
        ("category", "未发现问题"),
        ("method", "现场检查"),
        ("follow_up", "无需后续处置"),
        ("check_start", "2026-03-02"),
        ("check_end", "三月"),
    ];
    refused_on(&mut inspector, &visit, &entry, "check_end", "检查结束日期");
    let reversed = [
        ("category", "未发现问题"),
        ("method", "现场检查"),
        ("follow_up", "无需后续处置"),
        ("check_start", "2026-03-03"),
        ("check_end", "2026-03-02"),
    ];
    refused_on(
        &mut inspector,
        &visit,
        &reversed,
        "check_end",
        "早于开始日期",
    );

    let mut justice = server.login("sfj.supervisor");
    justice.get("/supervision");
    let notice = [
        ("kind", "out_of_plan"),
        ("id", "NOPE"),
        ("requirement", "整改"),
    ];
    refused_on(&mut justice, "/supervision/notices", &notice, "id", "NOPE");

    let mut credit = server.login("credit.office");
    credit.get("/credit/check");
    let check = [("matter", "NOPE"), ("id", "91420200MA4XXXXXXX")];
    refused_on(&mut credit, "/credit/check", &check, "matter", "NOPE");
}

#[test]
fn a_value_the_form_cannot_read_answers_in_chinese_not_axums_english() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    staff.get("/supervision");
    let malformed = [
        ("entity", "91420200MA4XXXXX0X"),
        ("reason", "投诉举报"),
        ("detail", "现场检查"),
        ("inspected_on", "20261"),
        ("inspectors", "A,B"),
    ];
    let inline = staff.post_form_inline("/supervision/out-of-plan", &malformed);
    assert!(
        inline.status == 400 || inline.status == 422,
        "{}",
        inline.body
    );
    let answer = inline.json();
    assert_eq!(answer["code"], "malformed_request", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("格式有误")),
        "{answer}"
    );
    let page = staff.post_form("/supervision/out-of-plan", &malformed);
    assert_in_frame(&page, "class=\"who-name\">");
    assert!(page.body.contains("格式有误"), "{}", page.body);
    assert!(
        !page.body.contains("Failed to deserialize"),
        "{}",
        page.body
    );
}
