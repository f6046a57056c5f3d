//! Plans, rounds, visits and results over HTTP: the whole story with the
//! staff pages' forms, the same story through the JSON API with tokens, the
//! department scoping, and every documented GET operation with its examples.

use std::time::{Duration, Instant};

use domain::account::Role;
use serde_json::json;

use crate::common::web::{Answer, Client, TestServer, add_account, encode, issue_token};

const PLAN: &str = "2026-SCJG-T01";
const ROUND: &str = "2026-T1";

/// A server whose city also has a staff account of another department (WJW).
fn server_with_other_department() -> TestServer {
    TestServer::start_prepared(|db| {
        add_account(db, "wjw.staff", Role::DepartmentStaff, Some("WJW"))
    })
}

/// The first `value="…"` after `marker` in a page.
fn value_after(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub(crate) fn expect_redirect(answer: &Answer, to: &str) {
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.location.clone().unwrap_or_default();
    assert!(
        location.starts_with(to),
        "redirected to {location}, not {to}"
    );
}

/// Polls a job's fragment until it is finished; returns the fragment.
pub(crate) fn wait_for_job(client: &mut Client, job: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let fragment = client.get(&format!("/jobs/{job}"));
        assert_eq!(fragment.status, 200, "{}", fragment.body);
        if fragment.body.contains("完成") || fragment.body.contains("失败") {
            return fragment.body;
        }
        assert!(Instant::now() < deadline, "job {job} did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_year_story_with_the_forms_and_department_scoping() {
    let server = server_with_other_department();
    let mut staff = server.login("scjg.staff");

    // scjg.staff creates a plan from the department's item list and files it.
    let form = staff.get("/plans/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let item = value_after(&form.body, "name=\"items\" value=\"").unwrap_or_default();
    assert!(!item.is_empty(), "the form lists the department's items");
    let created = staff.post_form(
        "/plans",
        &[
            ("id", PLAN),
            ("title", "2026年市场监管局测试计划"),
            ("lead", "SCJG"),
            ("items", &item),
            ("inspectors", "2"),
            ("rate_A", "50"),
            ("rate_B", "50"),
            ("rate_C", "50"),
            ("rate_D", "50"),
            ("rate_U", "50"),
            ("rate_N", "50"),
            ("period_start", "2026-01-01"),
            ("period_end", "2026-03-31"),
            ("frequency", "每年1次"),
            ("partners", ""),
        ],
    );
    expect_redirect(&created, &format!("/plans/{PLAN}"));
    let page = staff.get(&format!("/plans/{PLAN}"));
    assert!(
        page.body.contains("草稿") && page.body.contains("备案"),
        "{}",
        page.body
    );
    expect_redirect(
        &staff.post_form(&format!("/plans/{PLAN}/file"), &[]),
        &format!("/plans/{PLAN}"),
    );
    assert!(staff.get(&format!("/plans/{PLAN}")).body.contains("已备案"));

    // Staff may not approve; filing twice is refused with a Chinese message.
    assert_eq!(
        staff
            .post_form(&format!("/plans/{PLAN}/approve"), &[])
            .status,
        403
    );
    let again = staff.post_form(&format!("/plans/{PLAN}/file"), &[]);
    assert_eq!(again.status, 409);
    assert!(again.body.contains("不能备案"), "{}", again.body);

    // Another department sees neither the plan nor it in the list.
    let mut other = server.login("wjw.staff");
    assert_eq!(other.get(&format!("/plans/{PLAN}")).status, 404);
    assert!(!other.get("/plans").body.contains(PLAN));

    // The department administrator approves and publishes.
    let mut admin_of_department = server.login("scjg.admin");
    expect_redirect(
        &admin_of_department.post_form(&format!("/plans/{PLAN}/approve"), &[("confirm", "1")]),
        "/plans/",
    );
    expect_redirect(
        &admin_of_department.post_form(&format!("/plans/{PLAN}/publish"), &[("confirm", "1")]),
        "/plans/",
    );
    assert!(
        staff
            .get(&format!("/plans?year=2026&status={}", encode("已公示")))
            .body
            .contains(PLAN)
    );

    // Staff cannot commit rounds; the administrator commits one with the plan.
    let round_form = [
        ("id", ROUND),
        ("title", "2026年第一批"),
        ("window_start", "2026-01-01"),
        ("window_end", "2026-03-31"),
        ("cap", ""),
        ("plans", PLAN),
    ];
    assert_eq!(staff.post_form("/rounds", &round_form).status, 403);
    let mut admin = server.login("admin");
    expect_redirect(
        &admin.post_form("/rounds", &round_form),
        &format!("/rounds/{ROUND}"),
    );
    let witness_screen = admin.get(&format!("/rounds/{ROUND}"));
    assert!(witness_screen.body.contains("承诺值") && witness_screen.body.contains("公开随机数"));

    // The draw runs as a job; its page polls it until done.
    draw_through_form(
        &mut admin,
        ROUND,
        "张三\n李四",
        "2026-01-05 上证指数收盘 3245.67",
    );
    let round_page = admin.get(&format!("/rounds/{ROUND}"));
    assert!(
        round_page.body.contains("已抽取") && round_page.body.contains("张三"),
        "{}",
        round_page.body
    );
    let visits = admin.get(&format!("/rounds/{ROUND}/visits"));
    assert_eq!(visits.status, 200);
    assert!(visits.body.contains("第 1 /"), "{}", visits.body);

    // scjg.staff finds the visits awaiting results and enters one.
    let pending = staff.get("/results");
    let link = value_after(&pending.body, &format!("href=\"/results/visits/{ROUND}/"))
        .unwrap_or_else(|| panic!("no pending visit of {ROUND}: {}", pending.body));
    let entry_path = format!("/results/visits/{ROUND}/{link}");
    let entry = staff.get(&entry_path);
    assert!(
        entry.body.contains("未发现问题") && entry.body.contains("data-label"),
        "{}",
        entry.body
    );
    assert_eq!(
        other.get(&entry_path).status,
        404,
        "another department cannot open the visit"
    );
    let entered = staff.post_form(
        &entry_path,
        &[
            ("category", "发现问题经责令已改正"),
            ("method", "实地检查"),
            ("follow_up", "责令改正"),
            ("check_start", "2026-01-10"),
            ("check_end", "2026-01-12"),
            ("inspectors", ""),
            ("note", "现场整改"),
        ],
    );
    expect_redirect(&entered, "/results?done=");
    let listed = staff.get("/results");
    let result_id = value_after(&listed.body, "name=\"ids\" value=\"").unwrap_or_default();
    assert!(
        result_id.starts_with(&format!("{ROUND}/{link}/{PLAN}/SCJG/")),
        "{result_id}"
    );
    assert!(
        listed.body.contains("2026-02-"),
        "the due date is shown: {}",
        listed.body
    );
    expect_redirect(
        &staff.post_form("/results/publish", &[("ids", &result_id), ("confirm", "1")]),
        "/results?done=",
    );
    assert!(
        !staff
            .get("/results")
            .body
            .contains(&format!("value=\"{result_id}\""))
    );

    // Publishing the round releases the secret.
    expect_redirect(
        &admin.post_form(&format!("/rounds/{ROUND}/publish"), &[("confirm", "1")]),
        &format!("/rounds/{ROUND}"),
    );
    assert!(
        admin
            .get(&format!("/rounds/{ROUND}"))
            .body
            .contains("秘密（已公开）")
    );
}

#[test]
fn the_api_tells_the_same_story_with_tokens() {
    let mut tokens = Vec::new();
    let server = TestServer::start_prepared(|db| {
        add_account(db, "wjw.staff", Role::DepartmentStaff, Some("WJW"));
        for user in ["scjg.staff", "scjg.admin", "admin", "wjw.staff"] {
            tokens.push(issue_token(db, user));
        }
    });
    let client = |token: &str| {
        let mut client = server.anonymous();
        client.bearer = Some(token.to_owned());
        client
    };
    let (mut staff, mut approver, mut admin, mut other) = (
        client(&tokens[0]),
        client(&tokens[1]),
        client(&tokens[2]),
        client(&tokens[3]),
    );

    let item = staff.get("/api/v1/plans/HS2025-S090").json()["participants"][0]["items"][0].clone();
    let strata: Vec<_> = ["A", "B", "C", "D", "U", "N"]
        .iter()
        .map(|s| json!({"stratum": s, "rate_bp": 5000}))
        .collect();
    let plan = json!({
        "id": "2026-SCJG-A01", "title": "接口测试计划", "kind": "单部门", "lead": "SCJG",
        "participants": [{"department": "SCJG", "inspectors": 2, "items": [item]}],
        "strata": strata,
        "period_start": "2026-04-01", "period_end": "2026-06-30", "frequency": "每年1次"
    });
    let created = staff.send_json("POST", "/api/v1/plans", &plan);
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.json()["status"], "草稿");
    assert_eq!(
        staff.send_json("POST", "/api/v1/plans", &plan).status,
        409,
        "ids are unique"
    );
    let mut elsewhere = plan.clone();
    elsewhere["id"] = json!("2026-WJW-A01");
    elsewhere["lead"] = json!("WJW");
    elsewhere["participants"][0]["department"] = json!("WJW");
    assert_eq!(
        staff.send_json("POST", "/api/v1/plans", &elsewhere).status,
        403
    );
    assert_eq!(
        staff
            .send_json("POST", "/api/v1/plans/2026-SCJG-A01/file", &json!({}))
            .status,
        200
    );
    assert_eq!(
        staff
            .send_json("POST", "/api/v1/plans/2026-SCJG-A01/approve", &json!({}))
            .status,
        403
    );
    assert_eq!(other.get("/api/v1/plans/2026-SCJG-A01").status, 404);
    assert_eq!(
        approver
            .send_json("POST", "/api/v1/plans/2026-SCJG-A01/approve", &json!({}))
            .status,
        200
    );

    let commit = json!({"id": "2026-A1", "window_start": "2026-04-01", "window_end": "2026-06-30",
                        "plans": ["2026-SCJG-A01"]});
    assert_eq!(
        approver.send_json("POST", "/api/v1/rounds", &commit).status,
        403
    );
    let committed = admin.send_json("POST", "/api/v1/rounds", &commit);
    assert_eq!(committed.status, 200, "{}", committed.body);
    assert_eq!(
        committed.json()["commitment"].as_str().map(str::len),
        Some(64)
    );
    let beacon = json!({"beacon": "福彩3D 2026001 期 123", "witnesses": ["王五"]});
    let drawn = admin.send_json("POST", "/api/v1/rounds/2026-A1/draw", &beacon);
    assert_eq!(drawn.status, 200, "{}", drawn.body);
    assert_eq!(drawn.json()["status"], "已抽取");
    assert!(
        drawn.json().get("secret").is_none(),
        "the secret stays sealed until published"
    );
    assert_eq!(
        admin
            .send_json("POST", "/api/v1/rounds/2026-A1/draw", &beacon)
            .status,
        409
    );

    let visits = staff.get("/api/v1/rounds/2026-A1/visits?page=1").json();
    assert!(visits["total"].as_u64().unwrap_or(0) > 0, "{visits}");
    assert_eq!(
        other.get("/api/v1/rounds/2026-A1/visits").json()["total"],
        0
    );
    let visit = visits["visits"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let result = json!({"visit": visit, "category": "未发现问题", "method": "书面检查",
        "follow_up": "无需后续处置", "check_start": "2026-04-10", "check_end": "2026-04-10"});
    assert_eq!(
        other.send_json("POST", "/api/v1/results", &result).status,
        404,
        "not a visit of WJW"
    );
    assert_eq!(
        approver
            .send_json("POST", "/api/v1/results", &json!({"visit": visit}))
            .status,
        400
    );
    let entered = staff.send_json("POST", "/api/v1/results", &result);
    assert_eq!(entered.status, 200, "{}", entered.body);
    let ids: Vec<String> = entered
        .json()
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(!ids.is_empty());
    assert_eq!(
        other
            .send_json("POST", "/api/v1/results/publish", &json!({"ids": ids}))
            .status,
        403
    );
    let published = staff.send_json("POST", "/api/v1/results/publish", &json!({"ids": ids}));
    assert_eq!(published.status, 200, "{}", published.body);
    let listed = staff
        .get(&format!(
            "/api/v1/results?round=2026-A1&status={}",
            encode("已公开")
        ))
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(ids.len()));
    assert_eq!(
        other
            .get("/api/v1/results?round=2026-A1")
            .json()
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    let released = admin.send_json("POST", "/api/v1/rounds/2026-A1/publish", &json!({}));
    assert_eq!(released.status, 200, "{}", released.body);
    assert_eq!(released.json()["secret"].as_str().map(str::len), Some(64));
}

#[test]
fn every_documented_read_answers_with_its_examples() {
    let mut token = String::new();
    let server = TestServer::start_prepared(|db| token = issue_token(db, "admin"));
    let mut admin = server.anonymous();
    admin.bearer = Some(token);
    for op in web::api::workflow::operations()
        .iter()
        .filter(|op| op.method == "get")
    {
        let mut path = op.path.to_owned();
        let mut query = Vec::new();
        for p in &op.params {
            if p.location == "path" {
                path = path.replace(&format!("{{{}}}", p.name), p.example);
            } else {
                query.push(format!("{}={}", p.name, encode(p.example)));
            }
        }
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let answer = admin.get(&path);
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        let body = answer.json();
        let empty =
            body.as_array().is_some_and(Vec::is_empty) || body.get("total") == Some(&json!(0));
        assert!(
            !empty,
            "GET {path} found nothing: its examples should exist in the test city"
        );
    }
}

#[test]
fn the_pages_open_for_each_role_within_its_department() {
    let server = TestServer::start();
    let everywhere = [
        "/plans",
        "/plans?year=2025",
        "/plans/HS2025-S090",
        "/rounds",
        "/rounds/2025-Q1",
        "/rounds/2025-Q1/visits?page=2",
        "/rounds/2025-Q1/visits?plan=HS2025-S104",
        "/results?department=SCJG",
    ];
    for user in ["admin", "sfj.supervisor"] {
        let mut client = server.login(user);
        for path in everywhere {
            let page = client.get(path);
            assert_eq!(page.status, 200, "{user} GET {path}: {}", page.body);
        }
    }
    let mut admin = server.login("admin");
    assert!(admin.get("/plans/new").body.contains("请先选择牵头部门"));
    assert!(
        admin
            .get("/plans/new?lead=SCJG")
            .body
            .contains("name=\"items\"")
    );
    assert!(admin.get("/rounds").body.contains("承诺新批次"));
    let mut supervisor = server.login("sfj.supervisor");
    assert!(!supervisor.get("/rounds").body.contains("承诺新批次"));
    assert_eq!(supervisor.get("/plans/new").status, 403);
    let mut staff = server.login("scjg.staff");
    assert_eq!(
        staff.get("/plans/HS2025-J003").status,
        404,
        "a joint plan without SCJG"
    );
    assert_eq!(
        staff.get("/plans/HS2025-J017").status,
        200,
        "a joint plan SCJG leads"
    );
    let visits = staff.get("/rounds/2025-Q1/visits");
    assert!(visits.body.contains("SCJG"), "{}", visits.body);
    let mut inspector = server.login("scjg.inspector");
    assert_eq!(inspector.get("/results").status, 200);
    assert_eq!(
        inspector
            .post_form("/results/publish", &[("ids", "x")])
            .status,
        403
    );
}

/// 会签: a joint plan of SCJG with WJW and ZJJ is approved only once both
/// partners confirm its current version; each partner answers only for itself.
#[test]
fn joint_plans_wait_for_each_partners_confirmation() {
    let mut tokens = Vec::new();
    let server = TestServer::start_prepared(|db| {
        add_account(db, "wjw.staff", Role::DepartmentStaff, Some("WJW"));
        add_account(db, "zjj.staff", Role::DepartmentStaff, Some("ZJJ"));
        for user in ["scjg.staff", "scjg.admin", "wjw.staff", "zjj.staff"] {
            tokens.push(issue_token(db, user));
        }
    });
    let client = |token: &str| {
        let mut client = server.anonymous();
        client.bearer = Some(token.to_owned());
        client
    };
    let (mut lead, mut approver, mut wjw, mut zjj) = (
        client(&tokens[0]),
        client(&tokens[1]),
        client(&tokens[2]),
        client(&tokens[3]),
    );
    let item = lead.get("/api/v1/plans/HS2025-S090").json()["participants"][0]["items"][0].clone();
    let plan = json!({
        "id": "2026-SCJG-HQ1", "title": "会签测试计划", "kind": "联合", "lead": "SCJG",
        "participants": [
            {"department": "SCJG", "inspectors": 2, "items": [item]},
            {"department": "WJW", "inspectors": 2, "items": ["WJW-001-1"]},
            {"department": "ZJJ", "inspectors": 2, "items": ["ZJJ-001-1"]}
        ],
        "strata": [{"stratum": "B", "rate_bp": 500}],
        "period_start": "2026-04-01", "period_end": "2026-06-30", "frequency": "每年1次"
    });
    let path = "/api/v1/plans/2026-SCJG-HQ1";
    assert_eq!(lead.send_json("POST", "/api/v1/plans", &plan).status, 200);
    let confirm = json!({"decision": "同意"});
    let early = wjw.send_json("POST", &format!("{path}/confirm"), &confirm);
    assert_eq!(
        early.status, 409,
        "a draft is not confirmed: {}",
        early.body
    );
    assert_eq!(
        lead.send_json("POST", &format!("{path}/file"), &json!({}))
            .status,
        200
    );

    // Approval names both partners, in Chinese, with their names.
    let refused = approver.send_json("POST", &format!("{path}/approve"), &json!({}));
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("WJW")
            && refused.body.contains("ZJJ")
            && refused.body.contains("未会签"),
        "{}",
        refused.body
    );
    // The lead cannot confirm for a partner; declining needs a reason.
    let by_lead = lead.send_json("POST", &format!("{path}/confirm"), &confirm);
    assert_eq!(by_lead.status, 409, "{}", by_lead.body);
    assert!(by_lead.body.contains("牵头部门"), "{}", by_lead.body);
    assert_eq!(
        zjj.send_json(
            "POST",
            &format!("{path}/confirm"),
            &json!({"decision": "不同意"})
        )
        .status,
        400
    );
    let declined = zjj.send_json(
        "POST",
        &format!("{path}/confirm"),
        &json!({"decision": "不同意", "reason": "人手不足"}),
    );
    assert_eq!(declined.status, 200, "{}", declined.body);
    assert_eq!(
        wjw.send_json("POST", &format!("{path}/confirm"), &confirm)
            .status,
        200
    );
    let refused = approver.send_json("POST", &format!("{path}/approve"), &json!({}));
    assert_eq!(refused.status, 409);
    assert!(
        refused.body.contains("ZJJ")
            && refused.body.contains("人手不足")
            && !refused.body.contains("WJW"),
        "{}",
        refused.body
    );

    // The plan page: partners by name with their state; WJW's staff answered, ZJJ's sees the buttons.
    let mut zjj_page = server.login("zjj.staff");
    let page = zjj_page.get("/plans/2026-SCJG-HQ1").body;
    assert!(
        page.contains("会签")
            && page.contains("已同意")
            && page.contains("不同意")
            && page.contains("人手不足"),
        "{page}"
    );
    assert!(
        page.contains("data-confirm=") && page.contains("action=\"/plans/2026-SCJG-HQ1/confirm\""),
        "{page}"
    );
    let lead_page = server.login("scjg.staff").get("/plans/2026-SCJG-HQ1").body;
    assert!(
        !lead_page.contains("action=\"/plans/2026-SCJG-HQ1/confirm\""),
        "no 会签 button for the lead: {lead_page}"
    );
    expect_redirect(
        &zjj_page.post_form("/plans/2026-SCJG-HQ1/confirm", &[("decision", "同意")]),
        "/plans/2026-SCJG-HQ1",
    );

    // Now it is approved, by someone other than who filed it.
    let approved = approver.send_json("POST", &format!("{path}/approve"), &json!({}));
    assert_eq!(approved.status, 200, "{}", approved.body);
    let answers = approved.json()["confirmations"].clone();
    assert_eq!(answers.as_array().map(Vec::len), Some(2), "{answers}");
    assert!(
        answers
            .as_array()
            .into_iter()
            .flatten()
            .all(|a| a["decision"] == "同意" && a["version"] == 1),
        "{answers}"
    );
}

/// Staff who file a plan do not approve it, even when their role may approve.
#[test]
fn who_files_a_plan_does_not_approve_it() {
    let mut token = String::new();
    let server = TestServer::start_prepared(|db| token = issue_token(db, "scjg.admin"));
    let mut api = server.anonymous();
    api.bearer = Some(token);
    let item = api.get("/api/v1/plans/HS2025-S090").json()["participants"][0]["items"][0].clone();
    let plan = json!({
        "id": "2026-SCJG-F01", "title": "备案批准分离", "kind": "单部门", "lead": "SCJG",
        "participants": [{"department": "SCJG", "inspectors": 2, "items": [item]}],
        "strata": [{"stratum": "B", "rate_bp": 500}],
        "period_start": "2026-04-01", "period_end": "2026-06-30", "frequency": "每年1次"
    });
    assert_eq!(api.send_json("POST", "/api/v1/plans", &plan).status, 200);
    let mut admin = server.login("scjg.admin");
    expect_redirect(
        &admin.post_form("/plans/2026-SCJG-F01/file", &[]),
        "/plans/2026-SCJG-F01",
    );
    assert!(
        !admin
            .get("/plans/2026-SCJG-F01")
            .body
            .contains("action=\"/plans/2026-SCJG-F01/approve\"")
    );
    let refused = admin.post_form("/plans/2026-SCJG-F01/approve", &[]);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("由您备案"), "{}", refused.body);
    assert_eq!(
        api.send_json("POST", "/api/v1/plans/2026-SCJG-F01/approve", &json!({}))
            .status,
        409
    );
}

/// Draws `round` through the witness form (confirmed) and waits for its job to finish.
pub(crate) fn draw_through_form(admin: &mut Client, round: &str, witnesses: &str, beacon: &str) {
    let drawn = admin.post_form(
        &format!("/rounds/{round}/draw"),
        &[
            ("witnesses", witnesses),
            ("beacon", beacon),
            ("confirm", "1"),
        ],
    );
    expect_redirect(&drawn, &format!("/rounds/{round}?job="));
    let job = drawn
        .location
        .unwrap_or_default()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .to_owned();
    let outcome = wait_for_job(admin, &job);
    assert!(outcome.contains("完成"), "{outcome}");
}
