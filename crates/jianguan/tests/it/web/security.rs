//! Issue 15 §5–7: login failures per (account, address), trusted proxies, the
//! redirect after login, the server's timeouts and connection limit, API
//! token revocation and the forced password change on the API.

use std::io::{BufRead, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use storage::{self, WorkflowStore};

use crate::common::web::{DEMO_PASSWORD, TestServer, input_value, issue_token};

const SERVER_IP: [u8; 4] = [127, 0, 0, 1];

fn server_address(base: &str) -> SocketAddr {
    base.trim_start_matches("http://")
        .parse()
        .unwrap_or_else(|e| panic!("{base}: {e}"))
}

/// A blocking socket to `server` whose local end is bound to `from` (any
/// 127.0.0.0/8 address works on loopback).
fn connect_from(from: IpAddr, server: SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        let stream = socket.connect(server).await?;
        stream.into_std()
    });
    let stream = stream.unwrap_or_else(|e| panic!("connect from {from}: {e}"));
    stream
        .set_nonblocking(false)
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap_or_else(|e| panic!("{e}"));
    stream
}

/// Sends one request (`Connection: close`) from `from`; the status and the whole answer.
fn raw(from: IpAddr, server: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = connect_from(from, server);
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// A login POST from `from`, with an optional `X-Forwarded-For`. The login
/// form's CSRF check is a double submit: any token sent both ways passes.
fn login_from(
    from: IpAddr,
    server: SocketAddr,
    forwarded: Option<&str>,
    username: &str,
    password: &str,
) -> u16 {
    let body = format!("username={username}&password={password}&csrf=t0ken");
    let forwarded = forwarded.map_or_else(String::new, |f| format!("X-Forwarded-For: {f}\r\n"));
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: test\r\nCookie: jg_login=t0ken\r\n{forwarded}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw(from, server, &request).0
}

fn ip(octets: [u8; 4]) -> IpAddr {
    IpAddr::from(octets)
}

#[test]
fn five_wrong_passwords_from_one_address_do_not_lock_the_account_for_another() {
    let server = TestServer::start();
    let address = server_address(&server.base);
    let attacker = ip([127, 0, 0, 2]);
    for attempt in 1..=5 {
        let status = login_from(attacker, address, None, "admin", "wrong-password");
        assert_eq!(status, 401, "attempt {attempt}");
    }
    // The attacker's address now waits (1 s) before trying any account.
    assert_eq!(
        login_from(attacker, address, None, "scjg.staff", "wrong-password"),
        429
    );
    // The attacker's address is refused, even with the right password.
    assert_eq!(
        login_from(attacker, address, None, "admin", DEMO_PASSWORD),
        429
    );
    // The owner, from another address, logs in.
    assert_eq!(
        login_from(ip(SERVER_IP), address, None, "admin", DEMO_PASSWORD),
        303
    );
    // After the wait, one more try; then the wait doubles.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        login_from(attacker, address, None, "scjg.staff", "wrong-password"),
        401
    );
    let (status, answer) = raw(
        attacker,
        address,
        "POST /login HTTP/1.1\r\nHost: t\r\nCookie: jg_login=a\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 41\r\nConnection: close\r\n\r\nusername=scjg.staff&password=wrong&csrf=a",
    );
    assert_eq!(status, 429);
    assert!(answer.contains("2 秒后再试"), "{answer}");
    // A third address is untouched by all of it.
    assert_eq!(
        login_from(
            ip([127, 0, 0, 3]),
            address,
            None,
            "scjg.staff",
            DEMO_PASSWORD
        ),
        303
    );
}

#[test]
fn the_redirect_after_login_stays_on_this_site() {
    let server = TestServer::start();
    for (next, expected) in [
        ("/\t/evil.example", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/%2F%2Fevil.example", "/dashboard"),
        ("/%09/evil.example", "/dashboard"),
        ("/plans", "/plans"),
    ] {
        let mut client = server.anonymous();
        let page = client.get(&format!("/login?next={}", crate::common::web::encode(next)));
        assert!(
            !page.body.contains("evil.example"),
            "the form does not carry it: {next:?}"
        );
        let token = input_value(&page.body, "csrf").unwrap_or_default();
        let answer = client.post_form(
            "/login",
            &[
                ("username", "scjg.staff"),
                ("password", DEMO_PASSWORD),
                ("csrf", &token),
                ("next", next),
            ],
        );
        assert_eq!(answer.status, 303, "{next:?}");
        assert_eq!(answer.location.as_deref(), Some(expected), "{next:?}");
    }
}

/// `jianguan serve` as a child over a fresh data directory; killed when dropped.
struct Served {
    child: Child,
    /// Kept open: the server prints to it after the address.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    address: SocketAddr,
    password: String,
    dir: std::path::PathBuf,
}

impl Served {
    fn start(flags: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(crate::common::unique("jianguan_security"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_jianguan"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&dir)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut stdout = std::io::BufReader::new(stdout);
        let mut after = |prefix: &str| {
            let mut line = String::new();
            loop {
                line.clear();
                match stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => panic!("no line with {prefix:?}"),
                    Ok(_) => {}
                }
                if let Some((_, rest)) = line.split_once(prefix) {
                    return rest.trim().to_owned();
                }
            }
        };
        let password = after("one-time password:");
        let base = after("listening on ");
        Self {
            child,
            _stdout: stdout,
            address: server_address(&base),
            password,
            dir,
        }
    }

    fn healthz(&self) -> (u16, Duration) {
        let started = Instant::now();
        let (status, _) = raw(
            ip(SERVER_IP),
            self.address,
            "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        (status, started.elapsed())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let served = Served::start(&["--trusted-proxy", "127.0.0.1/32"]);
    let (address, password) = (served.address, served.password.clone());
    let proxy = ip(SERVER_IP);
    // Behind the trusted proxy, each client is its own address.
    for _ in 0..5 {
        assert_eq!(
            login_from(
                proxy,
                address,
                Some("203.0.113.9"),
                "admin",
                "wrong-password"
            ),
            401
        );
    }
    assert_eq!(
        login_from(proxy, address, Some("203.0.113.9"), "admin", &password),
        429
    );
    assert_eq!(
        login_from(
            proxy,
            address,
            Some("198.51.100.1, 203.0.113.10"),
            "admin",
            &password
        ),
        303,
        "another client behind the same proxy logs in; the right-most hop counts"
    );
    // From an untrusted peer the header is ignored: its failures are its own.
    let untrusted = ip([127, 0, 0, 2]);
    for n in 0..5 {
        let forged = format!("192.0.2.{n}");
        assert_eq!(
            login_from(untrusted, address, Some(&forged), "admin", "wrong-password"),
            401
        );
    }
    assert_eq!(
        login_from(untrusted, address, Some("192.0.2.200"), "admin", &password),
        429
    );
    assert_eq!(
        login_from(proxy, address, Some("192.0.2.1"), "admin", &password),
        303
    );
}

#[test]
fn a_bad_trusted_proxy_is_refused_with_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args([
            "serve",
            "--trusted-proxy",
            "10.0.0.0/40",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether the server closed `stream` (EOF or reset) within `wait`.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let _ = stream.set_read_timeout(Some(wait));
    let mut byte = [0u8; 64];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Whether the server has closed `stream` by now (EOF or reset), without waiting.
fn closed_now(mut stream: &TcpStream) -> bool {
    let _ = stream.set_nonblocking(true);
    let mut buffer = [0u8; 256];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    let _ = stream.set_nonblocking(false);
    closed
}

#[test]
fn slow_header_clients_neither_starve_healthz_nor_stay_and_the_connection_limit_holds() {
    let served = Served::start(&[
        "--header-timeout",
        "3",
        "--max-connections",
        "330",
        "--request-timeout",
        "2",
    ]);
    let address = served.address;
    let started = Instant::now();
    let slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut stream = connect_from(ip(SERVER_IP), address);
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ");
            stream
        })
        .collect();
    let (status, took) = served.healthz();
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(2),
        "healthz took {took:?} beside 300 slow clients"
    );
    // Beyond the limit, connections are closed at once.
    let extra: Vec<TcpStream> = (0..60)
        .map(|_| connect_from(ip(SERVER_IP), address))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let refused = extra.iter().filter(|s| closed_now(s)).count();
    assert!(
        started.elapsed() < Duration::from_millis(2800),
        "too slow to check the limit before the header timeout: {:?}",
        started.elapsed()
    );
    assert!(
        (25..=35).contains(&refused),
        "{refused} of 60 over a limit of 330 were closed"
    );
    drop(extra);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        served.healthz().0,
        200,
        "closed connections free their places"
    );
    // The header-read timeout (3 s) closes the slow clients. Each one's clock starts when the
    // server accepts it, which on a loaded machine may be late, so poll up to 3 s beyond.
    std::thread::sleep(Duration::from_millis(3300).saturating_sub(started.elapsed()));
    let mut cut = 0;
    let mut was_closed = vec![false; slow.len()];
    while started.elapsed() < Duration::from_secs(6) {
        for (stream, closed) in slow.iter().zip(was_closed.iter_mut()) {
            *closed = *closed || closed_now(stream);
        }
        cut = was_closed.iter().filter(|closed| **closed).count();
        if cut >= 299 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        cut >= 299,
        "{cut} of 300 slow clients were cut by the header-read timeout within 6 s"
    );
    assert_eq!(served.healthz().0, 200);
    // A request whose body never comes is answered 503 by the request timeout.
    let started = Instant::now();
    let (status, answer) = raw(
        ip(SERVER_IP),
        address,
        "POST /login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\nusername=",
    );
    assert_eq!(status, 503, "{answer}");
    assert!(answer.contains("超时"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let served = Served::start(&["--header-timeout", "30", "--idle-timeout", "1"]);
    let mut stream = connect_from(ip(SERVER_IP), served.address);
    let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut first = [0u8; 12];
    let _ = stream.read_exact(&mut first);
    assert_eq!(&first, b"HTTP/1.1 200");
    let started = Instant::now();
    assert!(closed_within(&mut stream, Duration::from_secs(5)));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
}

/// The one-time password shown on the accounts page.
fn shown_secret(body: &str) -> String {
    let start = body.find("id=\"secret\">").map_or(0, |i| i + 12);
    body[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn api_status(server: &TestServer, token: &str) -> (u16, String) {
    let mut api = server.anonymous();
    api.bearer = Some(token.to_owned());
    let answer = api.get("/api/v1/rounds");
    (answer.status, answer.body)
}

fn ledger_actions(database: &std::path::Path) -> Vec<(String, String)> {
    let url = database.to_string_lossy().into_owned();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            let ledger = db.ledger().await.unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
            ledger.into_iter().map(|e| (e.action, e.detail)).collect()
        })
}

#[test]
fn tokens_are_revoked_on_the_accounts_page_and_by_a_reset_and_a_password_change() {
    let mut tokens = Vec::new();
    let server = TestServer::start_prepared(|db| {
        tokens.push(issue_token(db, "scjg.staff"));
        tokens.push(issue_token(db, "scjg.staff"));
    });
    let (first, second) = (tokens[0].clone(), tokens[1].clone());
    assert_eq!(api_status(&server, &first).0, 200);
    assert_eq!(api_status(&server, &second).0, 200);

    let mut admin = server.login("admin");
    let page = admin.get("/accounts");
    let fingerprint = service::accounts::token_digest(&first)[..12].to_owned();
    assert!(page.body.contains(&fingerprint), "the page lists the token");
    assert!(!page.body.contains(&first), "never the token itself");
    // Revoking asks first; nothing happens until confirmed.
    let revoke = format!("/accounts/scjg.staff/tokens/{fingerprint}/revoke");
    let ask = admin.post_form(&revoke, &[]);
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("确认吊销"), "{}", ask.body);
    assert_eq!(api_status(&server, &first).0, 200, "not yet revoked");
    let done = admin.post_form(&revoke, &[("confirm", "yes")]);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        api_status(&server, &first).0,
        401,
        "a revoked token answers 401"
    );
    assert_eq!(api_status(&server, &second).0, 200, "only that one");

    // A reset revokes every token of the account.
    let reset = admin.post_form("/accounts/scjg.staff/reset", &[]);
    assert_eq!(reset.status, 200);
    let one_time = shown_secret(&reset.body);
    assert_eq!(one_time.len(), 16, "{}", reset.body);
    assert_eq!(api_status(&server, &second).0, 401, "reset revokes");

    // On the one-time password, a new token answers 403 until the password changes.
    let issued = admin.post_form("/accounts/scjg.staff/token", &[("label", "after reset")]);
    let third = shown_secret(&issued.body);
    assert!(third.starts_with("jg_"), "{}", issued.body);
    let (status, body) = api_status(&server, &third);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("一次性密码"), "{body}");
    let mut staff = server.anonymous();
    staff.log_in("scjg.staff", &one_time);
    let changed = staff.post_form(
        "/account/password",
        &[
            ("current", &one_time),
            ("new_password", "a-new-long-secret"),
            ("confirm", "a-new-long-secret"),
        ],
    );
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(
        api_status(&server, &third).0,
        401,
        "a password change revokes"
    );
    let fourth = shown_secret(
        &admin
            .post_form("/accounts/scjg.staff/token", &[("label", "new")])
            .body,
    );
    assert_eq!(
        api_status(&server, &fourth).0,
        200,
        "after the change the API answers"
    );

    // Disabling revokes too.
    assert_eq!(
        admin
            .post_form("/accounts/scjg.staff/disable", &[("disabled", "true")])
            .status,
        200
    );
    let _ = admin.post_form("/accounts/scjg.staff/disable", &[("disabled", "false")]);
    assert_eq!(
        api_status(&server, &fourth).0,
        401,
        "disabling revoked it for good"
    );

    let actions = ledger_actions(&server.database);
    let revoked: Vec<&String> = actions
        .iter()
        .filter(|(action, _)| action == "token.revoked")
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(
        revoked.len(),
        4,
        "each revocation is on the ledger: {revoked:?}"
    );
    assert!(revoked.iter().any(|d| d.starts_with(&fingerprint)));
    for reason in ["password reset", "password changed", "account disabled"] {
        assert!(
            revoked.iter().any(|d| *d == reason),
            "{reason}: {revoked:?}"
        );
    }
}

#[test]
fn tokens_are_listed_and_revoked_from_the_cli() {
    let mut tokens = Vec::new();
    let server = TestServer::start_prepared(|db| tokens.push(issue_token(db, "scjg.staff")));
    let token = tokens[0].clone();
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_jianguan"))
            .args(["accounts", "--database"])
            .arg(&server.database)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let listed = cli(&["tokens", "scjg.staff", "--json"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let lines: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap_or_default();
    let fingerprint = lines[0]["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(fingerprint.len(), 12, "{lines}");
    assert_eq!(lines[0]["revoked"], false);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&token));

    let bad = cli(&["revoke-token", "scjg.staff", "abc"]);
    assert_eq!(bad.status.code(), Some(2));
    let unknown = cli(&["revoke-token", "scjg.staff", "0123456789ab"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(api_status(&server, &token).0, 200);

    let revoked = cli(&["revoke-token", "scjg.staff", &fingerprint]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert_eq!(api_status(&server, &token).0, 401);
    let again = cli(&["tokens", "scjg.staff", "--json"]);
    let lines: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap_or_default();
    assert_eq!(lines[0]["revoked"], true);
}
