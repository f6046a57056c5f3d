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
            &[
                ("username", "admin"),
                ("password", "wrong-password"),
                ("csrf", &token),
            ],
        );
        let expected = if attempt <= 5 { 401 } else { 429 };
        assert_eq!(
            answer.status, expected,
            "attempt {attempt}: {}",
            answer.body
        );
    }
    // Even the right password waits out the window.
    let page = client.get("/login");
    let token = input_value(&page.body, "csrf").unwrap_or_default();
    let answer = client.post_form(
        "/login",
        &[
            ("username", "admin"),
            ("password", DEMO_PASSWORD),
            ("csrf", &token),
        ],
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
        &[
            ("username", "admin"),
            ("password", DEMO_PASSWORD),
            ("csrf", "guess"),
        ],
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

/// Reads the child's standard output until a line starts with `prefix`.
fn line_after(lines: &mut impl Iterator<Item = std::io::Result<String>>, prefix: &str) -> String {
    lines
        .map_while(Result::ok)
        .find_map(|line| {
            line.split_once(prefix)
                .map(|(_, rest)| rest.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no line with {prefix:?}"))
}

#[test]
fn first_start_creates_an_administrator_who_must_change_the_password_and_sigterm_stops_gracefully()
{
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let dir = std::env::temp_dir().join(crate::common::unique("jianguan_first_start"));
    // The city first, so the dashboard is the landing page (not /setup).
    let dir_text = dir.to_string_lossy().into_owned();
    crate::common::jianguan_ok(&["setup", "--city", "420200", "--data-dir", &dir_text])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = std::io::BufReader::new(stdout).lines();
    let password = line_after(&mut lines, "one-time password:");
    let base = line_after(&mut lines, "listening on ");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let server_base = base.clone();
    let mut client = crate::common::web::Client::for_base(&server_base);
    client.log_in("admin", &password);
    // Every staff page waits for the new password.
    let dashboard = client.get("/dashboard");
    assert_eq!(dashboard.location.as_deref(), Some("/account/password"));
    let weak = client.post_form(
        "/account/password",
        &[
            ("current", &password),
            ("new_password", "short"),
            ("confirm", "short"),
        ],
    );
    assert_eq!(weak.status, 400);
    let changed = client.post_form(
        "/account/password",
        &[
            ("current", &password),
            ("new_password", "a-long-new-secret"),
            ("confirm", "a-long-new-secret"),
        ],
    );
    assert_eq!(changed.status, 303, "{}", changed.body);
    // The one-time password is gone; the new one works.
    let mut again = crate::common::web::Client::for_base(&server_base);
    again.log_in("admin", "a-long-new-secret");
    assert_eq!(again.get("/dashboard").status, 200);

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()));
    let stopped = lines
        .map_while(Result::ok)
        .any(|line| line.trim() == "stopped");
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(stopped && status.success(), "graceful stop: {status:?}");
    let _ = std::fs::remove_dir_all(dir);
}
