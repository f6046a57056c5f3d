//! The web tests' harness: a small demo city built once per test binary (by the
//! real binary, `jianguan demo --no-serve`), a copy of it per test, the real
//! server on port 0 over that copy, and an HTTP client that keeps the session
//! cookie and the CSRF token like a browser.

#![allow(dead_code, reason = "each test crate uses part of the harness")]
#![allow(clippy::panic, reason = "a broken harness fails the test loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread::JoinHandle;

use domain::account::{Account, Role};
use storage::{self, Store};
use web::{self, AppState};

/// The demo accounts' password (`jianguan demo` prints it).
pub const DEMO_PASSWORD: &str = "jianguan-demo";

/// Entities in the test city.
pub const TEST_ENTITIES: &str = "400";

/// The demo city's SQLite file, built once per test binary.
pub fn demo_database() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = std::env::temp_dir().join(super::unique("jianguan_web_city"));
        let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
            .args([
                "demo",
                "--no-serve",
                "--no-services",
                "--entities",
                TEST_ENTITIES,
                "--data-dir",
            ])
            .arg(&dir)
            .output();
        match output {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!(
                "jianguan demo failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!("cannot run jianguan demo: {error}"),
        }
        dir.join(storage::DEFAULT_DATABASE_FILE)
    })
}

/// The real server on 127.0.0.1, port 0, over its own copy of the demo city;
/// stopped (gracefully) and its files removed when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database file.
    pub database: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server over a fresh copy of the demo city.
    pub fn start() -> Self {
        Self::start_prepared(|_| {})
    }

    /// Starts a server over a fresh copy of the demo city, after `prepare`
    /// ran on the copy's file (e.g. [`add_account`], [`issue_token`]).
    pub fn start_prepared(prepare: impl FnOnce(&Path)) -> Self {
        let dir = std::env::temp_dir().join(super::unique("jianguan_web"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let database = dir.join(storage::DEFAULT_DATABASE_FILE);
        std::fs::copy(demo_database(), &database).unwrap_or_else(|e| panic!("{e}"));
        prepare(&database);
        Self::over(database)
    }

    /// Starts a server over an existing SQLite file.
    pub fn over(database: PathBuf) -> Self {
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let url = database.to_string_lossy().into_owned();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            runtime.block_on(async move {
                let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
                db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
                let calendar = workcal::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let _ = address_tx.send(listener.local_addr().map(|a| a.to_string()));
                let stop = async move {
                    let _ = stop_rx.await;
                };
                let served =
                    web::serve_until(listener, AppState::new(db.clone(), calendar), stop).await;
                db.close().await;
                served.unwrap_or_else(|e| panic!("{e}"));
            });
        });
        let address = address_rx
            .recv()
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            base: format!("http://{address}"),
            database,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// A client without a session.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client logged in as a demo account.
    pub fn login(&self, username: &str) -> Client {
        let mut client = Client::new(&self.base);
        client.log_in(username, DEMO_PASSWORD);
        client
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(dir) = self.database.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// An answer: status, headers of interest, body text.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Location`, if any.
    pub location: Option<String>,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body as text (lossy).
    pub body: String,
    /// The body's bytes.
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A browser-like client: keeps the session cookie, reads the CSRF token
/// from the pages' `<meta name="csrf-token">`, never follows redirects.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    cookies: Vec<(String, String)>,
    /// The session's CSRF token, once a page showed it.
    pub csrf: String,
    /// An API token, sent as `Authorization: Bearer`.
    pub bearer: Option<String>,
}

impl Client {
    /// A client of a server started elsewhere (e.g. the binary as a child).
    pub fn for_base(base: &str) -> Self {
        Self::new(base)
    }

    fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Self {
            base: base.to_owned(),
            agent,
            cookies: Vec::new(),
            csrf: String::new(),
            bearer: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn take(&mut self, response: ureq::http::Response<ureq::Body>) -> Answer {
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let location = header("location");
        let content_type = header("content-type");
        for value in response.headers().get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let Some((pair, _)) = value.split_once(';').or(Some((value, ""))) else {
                continue;
            };
            let Some((name, val)) = pair.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != name);
            if !val.is_empty() {
                self.cookies.push((name.to_owned(), val.to_owned()));
            }
        }
        let bytes = response
            .into_body()
            .with_config()
            .limit(200 << 20)
            .read_to_vec()
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(token) = meta_csrf(&body).filter(|t| !t.is_empty()) {
            self.csrf = token;
        }
        Answer {
            status,
            location,
            content_type,
            body,
            bytes,
        }
    }

    /// GET `path`.
    /// A GET is idempotent: it is retried once on a fresh connection when the
    /// pooled one was closed by the server (after a refused upload whose body
    /// it did not read).
    pub fn get(&mut self, path: &str) -> Answer {
        let call = |client: &Self| {
            let mut request = client.agent.get(&format!("{}{path}", client.base));
            request = request.header("cookie", &client.cookie_header());
            if let Some(token) = &client.bearer {
                request = request.header("authorization", &format!("Bearer {token}"));
            }
            request.call()
        };
        let response = call(self)
            .or_else(|_| call(self))
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        self.take(response)
    }

    /// POST a URL-encoded form to `path`, adding the CSRF field unless `fields` has one.
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send_form(path, fields, false)
    }

    /// POST a form as app.js sends a staff form (header `X-Inline-Errors`): an
    /// error answers as its JSON, a redirect as `{"location": …}`.
    pub fn post_form_inline(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send_form(path, fields, true)
    }

    fn send_form(&mut self, path: &str, fields: &[(&str, &str)], inline: bool) -> Answer {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !pairs.iter().any(|(k, _)| k == "csrf") {
            pairs.push(("csrf".into(), self.csrf.clone()));
        }
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded");
        if inline {
            request = request.header("x-inline-errors", "1");
        }
        if let Some(token) = &self.bearer {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let response = request
            .send(body.as_bytes())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        self.take(response)
    }

    /// Sends JSON with `method` to `path`, with the CSRF header.
    pub fn send_json(&mut self, method: &str, path: &str, body: &serde_json::Value) -> Answer {
        let uri = format!("{}{path}", self.base);
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(&uri)
            .header("cookie", self.cookie_header())
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "application/json");
        if let Some(token) = &self.bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request
            .body(body.to_string())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let response = self
            .agent
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        self.take(response)
    }

    /// POSTs a `multipart/form-data` form (text fields and one file) to
    /// `path`, which must carry `?csrf=` itself, as a browser upload form's action does.
    pub fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Answer {
        let boundary = "----jianguan-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (name, file_name, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie_header())
            .header(
                "content-type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send(&body[..])
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        self.take(response)
    }

    /// Logs in through the login form; panics unless it redirects.
    pub fn log_in(&mut self, username: &str, password: &str) {
        let page = self.get("/login");
        assert_eq!(page.status, 200);
        let token = input_value(&page.body, "csrf").unwrap_or_default();
        let answer = self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf", &token),
            ],
        );
        assert_eq!(answer.status, 303, "login as {username}: {}", answer.body);
        // Load a page to learn the session's CSRF token.
        let _ = self.get("/account/password");
    }
}

/// URL-encodes a form or query value, as the application does.
pub fn encode(text: &str) -> String {
    web::pages::url_encode(text)
}

fn meta_csrf(body: &str) -> Option<String> {
    let start = body.find("<meta name=\"csrf-token\" content=\"")? + 33;
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

/// The `value` of the first `<input name="NAME" … value="…">` in a page.
pub fn input_value(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("name=\"{name}\""))?;
    let rest = &body[start..];
    let tag_end = rest.find('>')?;
    let tag = &rest[..tag_end];
    let value_at = tag.find("value=\"")? + 7;
    let value_end = tag[value_at..].find('"')? + value_at;
    Some(tag[value_at..value_end].to_owned())
}

/// Runs `work` on a runtime of its own (before or beside a server).
pub fn block_on<T>(work: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(work)
}

/// Adds an account with the demo password to a database file (before a
/// server opens it).
pub fn add_account(database: &Path, username: &str, role: Role, department: Option<&str>) {
    let url = database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let account = Account {
            username: username.to_owned(),
            display_name: username.to_owned(),
            role,
            department: department.map(str::to_owned),
            certificate: None,
            password_hash: String::new(),
            must_change_password: false,
            disabled: false,
        };
        service::accounts::save_account(&db, account, Some(DEMO_PASSWORD.to_owned()), "test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
    });
}

/// Issues an API token for an account of a database file (before a server opens it).
pub fn issue_token(database: &Path, username: &str) -> String {
    let url = database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let token = service::accounts::issue_token(&db, username, "test", "test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        token
    })
}
