//! Irreversible steps on the pages: separation of duties refused in Chinese
//! inside the app frame, the confirmation 批准 and 公示 need, and the message
//! shown once after each step.

use domain::account::Role;
use serde_json::json;

use crate::common::web::{Answer, Client, TestServer, add_account, issue_token};

const PLAN: &str = "2026-SCJG-S01";

fn expect_redirect(answer: &Answer, to: &str) {
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location.as_deref(), Some(to), "{}", answer.body);
}

/// The page after a redirect shows `message` once, in the app frame's message area.
fn shows_once(client: &mut Client, path: &str, message: &str) {
    let page = client.get(path);
    assert!(
        page.body
            .contains(&format!("role=\"status\"><p class=\"message\">{message}")),
        "no message {message}: {}",
        page.body
    );
    assert!(
        !client.get(path).body.contains(message),
        "the message is shown once"
    );
}

fn status_of(client: &mut Client) -> String {
    client.get(&format!("/api/v1/plans/{PLAN}")).json()["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn plan_steps_are_separated_confirmed_and_told() {
    let mut token = String::new();
    let server = TestServer::start_prepared(|db| {
        add_account(db, "scjg.admin2", Role::DepartmentAdmin, Some("SCJG"));
        token = issue_token(db, "scjg.admin");
    });
    let mut api = server.anonymous();
    api.bearer = Some(token);
    let item = api.get("/api/v1/plans/HS2025-S090").json()["participants"][0]["items"][0].clone();
    let plan = json!({
        "id": PLAN, "title": "职责分离测试", "kind": "单部门", "lead": "SCJG",
        "participants": [{"department": "SCJG", "inspectors": 2, "items": [item]}],
        "strata": [{"stratum": "B", "rate_bp": 500}],
        "period_start": "2026-04-01", "period_end": "2026-06-30", "frequency": "每年1次"
    });
    assert_eq!(api.send_json("POST", "/api/v1/plans", &plan).status, 200);

    // 备案 needs no confirmation; the next page says it was done, once.
    let mut filer = server.login("scjg.admin");
    let path = format!("/plans/{PLAN}");
    expect_redirect(&filer.post_form(&format!("{path}/file"), &[]), &path);
    shows_once(&mut filer, &path, &format!("计划 {PLAN} 已备案"));

    // Another department administrator: the filer's role, so not the approver.
    let mut same_role = server.login("scjg.admin2");
    assert!(
        !same_role
            .get(&path)
            .body
            .contains(&format!("action=\"{path}/approve\"")),
        "no button for a step the account may not take"
    );
    let refused = same_role.post_form(&format!("{path}/approve"), &[("confirm", "1")]);
    assert_eq!(refused.status, 409, "{}", refused.body);
    for text in [
        "须由其他角色的人员批准",
        "id=\"menu\"",
        "scjg.admin2",
        "退出",
    ] {
        assert!(
            refused.body.contains(text),
            "{text} missing: {}",
            refused.body
        );
    }
    assert!(
        !refused.body.contains("工作人员登录") && !refused.body.contains("separation"),
        "in Chinese, inside the app frame: {}",
        refused.body
    );
    assert_eq!(status_of(&mut api), "已备案");

    // The system administrator approves: first asked, then done and told.
    let mut approver = server.login("admin");
    let page = approver.get(&path);
    assert!(
        page.body
            .contains(&format!("action=\"{path}/approve\" data-confirm=")),
        "{}",
        page.body
    );
    let asked = approver.post_form(&format!("{path}/approve"), &[]);
    assert_eq!(asked.status, 200, "{}", asked.body);
    for text in [
        "确认批准",
        "name=\"confirm\" value=\"1\"",
        "取消",
        "id=\"menu\"",
    ] {
        assert!(asked.body.contains(text), "{text} missing: {}", asked.body);
    }
    assert_eq!(status_of(&mut api), "已备案", "asking changes nothing");
    expect_redirect(
        &approver.post_form(&format!("{path}/approve"), &[("confirm", "1")]),
        &path,
    );
    shows_once(&mut approver, &path, &format!("计划 {PLAN} 已批准"));

    // 公示 likewise.
    let asked = filer.post_form(&format!("{path}/publish"), &[]);
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("确认公示") && asked.body.contains("不能撤回"));
    assert_eq!(status_of(&mut api), "已批准");
    expect_redirect(
        &filer.post_form(&format!("{path}/publish"), &[("confirm", "1")]),
        &path,
    );
    shows_once(&mut filer, &path, &format!("计划 {PLAN} 已向社会公示"));
    assert_eq!(status_of(&mut api), "已公示");

    // Publishing again is refused inside the app frame, in Chinese.
    let again = filer.post_form(&format!("{path}/publish"), &[("confirm", "1")]);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("id=\"menu\""), "{}", again.body);
}

/// Every page has the skip link first, the grouped menu and its phone toggle.
#[test]
fn pages_have_a_skip_link_and_a_grouped_menu() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let page = admin.get("/dashboard");
    let body = &page.body;
    let skip = body.find("href=\"#main\"").unwrap_or(usize::MAX);
    let first_link = body.find("<a ").unwrap_or(0);
    assert!(skip < body.len() && body[first_link..].starts_with("<a class=\"skip-link\""));
    for text in [
        "跳到正文",
        "id=\"main\"",
        "data-menu-toggle",
        "<summary>信用</summary>",
        "<summary>监督</summary>",
        "href=\"/ledger\"",
        "aria-current=\"page\"",
    ] {
        assert!(body.contains(text), "{text} missing");
    }
}
