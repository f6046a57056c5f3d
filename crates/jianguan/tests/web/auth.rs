//! Logins, sessions, CSRF, the rate limit, the health check.

use crate::common::web::{DEMO_PASSWORD, TestServer, input_value};

#[test]
fn health_reports_the_database() {
    let server = TestServer::start();
    let answer = server.anonymous().get("/healthz");
    assert_eq!(answer.status, 200);
    let health = answer.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "sqlite");
    assert!(health["accounts"].as_u64().unwrap_or(0) >= 7, "{health}");
}

#[test]
fn login_sets_a_secure_session_and_logout_ends_it() {
    let server = TestServer::start();
    let mut client = server.anonymous();
    assert_eq!(client.get("/dashboard").status, 303, "pages need a login");
    client.log_in("scjg.staff", DEMO_PASSWORD);
    assert_eq!(client.get("/dashboard").status, 200);
    assert!(!client.csrf.is_empty());
    let logout = client.post_form("/logout", &[]);
    assert_eq!(logout.status, 303);
    assert_eq!(client.get("/dashboard").status, 303, "the session ended");
}

#[test]
fn a_wrong_password_is_refused_and_the_sixth_attempt_is_rate_limited() {
    let server = TestServer::start();
    let mut client = server.anonymous();
    for attempt in 1..=6 {
        let page = client.get("/login");
        let token = input_value(&page.body, "csrf").unwrap_or_default();
        let answer = client.post_form(
            "/login",
            &[("username", "admin"), ("password", "wrong-password"), ("csrf", &token)],
        );
        let expected = if attempt <= 5 { 401 } else { 429 };
        assert_eq!(answer.status, expected, "attempt {attempt}: {}", answer.body);
    }
    // Even the right password waits out the window.
    let page = client.get("/login");
    let token = input_value(&page.body, "csrf").unwrap_or_default();
    let answer = client.post_form(
        "/login",
        &[("username", "admin"), ("password", DEMO_PASSWORD), ("csrf", &token)],
    );
    assert_eq!(answer.status, 429);
}

#[test]
fn state_changes_without_the_csrf_token_are_refused() {
    let server = TestServer::start();
    let mut client = server.login("scjg.staff");
    let forged = client.post_form("/logout", &[("csrf", "forged")]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(client.get("/dashboard").status, 200, "still logged in");
    // The login form's own token is checked too.
    let mut stranger = server.anonymous();
    let answer = stranger.post_form(
        "/login",
        &[("username", "admin"), ("password", DEMO_PASSWORD), ("csrf", "guess")],
    );
    assert_eq!(answer.status, 403);
}

#[test]
fn session_cookies_are_http_only_secure_and_strict() {
    let server = TestServer::start();
    let mut client = server.anonymous();
    let page = client.get("/login");
    let token = input_value(&page.body, "csrf").unwrap_or_default();
    // Read the raw Set-Cookie of the login answer.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let cookie = format!("jg_login={token}");
    let response = agent
        .post(&format!("{}/login", server.base))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(format!("username=admin&password={DEMO_PASSWORD}&csrf={token}").as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jg_session="))
        .map(str::to_owned)
        .unwrap_or_default();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
}
