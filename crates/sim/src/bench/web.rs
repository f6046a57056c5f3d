//! The web application under load: the server runs in this process over a
//! demo city (`--database`, or one built by `jianguan demo --no-serve`), and
//! `wrk` (Debian package `wrk`) loads it from a second process over loopback.
//!
//! The pages measured are [`TARGETS`]: path templates whose `{name}`, `{code}`
//! and `{round}` are an entity drawn in the latest published round (its name
//! and 统一社会信用代码). Logged-in pages carry a session of `admin` (the
//! city-wide view, the heaviest), made directly in the server's session store.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{ms, thousands};
use domain::inspection::{Round, RoundStatus, Visit};
use domain::uscc::Uscc;
use storage::{self, Db, Store, WorkflowStore};
use web::{self, AppState, auth, pages::url_encode};

/// One page under load.
pub struct Target {
    /// What it is.
    pub label: &'static str,
    /// Path and query; `{name}`, `{code}`, `{round}` are filled in (URL-encoded).
    pub path: &'static str,
    /// Sent with the `admin` session cookie.
    pub logged_in: bool,
    /// Concurrent connections.
    pub connections: u32,
    /// The p99 goal.
    pub goal: Duration,
}

/// The pages measured and their goals.
pub const TARGETS: &[Target] = &[
    Target {
        label: "公示平台 search by name",
        path: "/gongshi/results?q={name}",
        logged_in: false,
        connections: 64,
        goal: Duration::from_millis(50),
    },
    Target {
        label: "公示平台 search by code",
        path: "/gongshi/results?q={code}",
        logged_in: false,
        connections: 64,
        goal: Duration::from_millis(50),
    },
    Target {
        label: "verification page, one entity",
        path: "/gongshi/verify?round={round}&code={code}",
        logged_in: false,
        connections: 64,
        goal: Duration::from_millis(50),
    },
    Target {
        label: "dashboard (admin, logged in)",
        path: "/dashboard",
        logged_in: true,
        connections: 8,
        goal: Duration::from_millis(300),
    },
];

/// Seconds of load before each measurement (caches, connections) and measured.
const WARM_UP_SECONDS: u32 = 3;
const MEASURE_SECONDS: u32 = 15;
/// The account whose session loads the logged-in pages.
const ACCOUNT: &str = "admin";

/// Runs the benchmark over `database` (a demo city), or over a new demo city of `entities`.
pub fn run(database: Option<&str>, entities: usize) -> anyhow::Result<()> {
    check_wrk()?;
    let (url, _scratch) = match database {
        Some(url) => (url.to_owned(), None),
        None => {
            let scratch = Scratch::demo(entities)?;
            (scratch.database()?, Some(scratch))
        }
    };
    println!("## Web application\n");
    println!(
        "Server in process over {} ({} runtime threads); load from `wrk` on loopback, {WARM_UP_SECONDS} s warm-up then {MEASURE_SECONDS} s per page.\n",
        storage::redact(&url),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let server = Server::start(&url, true)?;
    let outcome = measure_all(&server);
    server.stop();
    outcome
}

fn measure_all(server: &Server) -> anyhow::Result<()> {
    let fixture = server.fixture.as_ref().context("no entity to ask about")?;
    println!(
        "Entity: {} ({}), round {}.\n",
        fixture.name, fixture.code, fixture.round
    );
    println!("| page | path | connections | requests/s | median | p99 | goal (p99) | met |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for target in TARGETS {
        let path = fixture.fill(target.path);
        let url = format!("{}{path}", server.base);
        let cookie: Vec<String> = if target.logged_in {
            vec![
                "--header".into(),
                format!("Cookie: {}={}", auth::SESSION_COOKIE, server.session),
            ]
        } else {
            Vec::new()
        };
        wrk(&url, target.connections, WARM_UP_SECONDS, &cookie, &[])?;
        let figures = wrk(&url, target.connections, MEASURE_SECONDS, &cookie, &[])?;
        let met = if figures.failures > 0 {
            format!(
                "no: {} answers were not 2xx/3xx",
                thousands(figures.failures)
            )
        } else if figures.p99 < target.goal {
            "yes".to_owned()
        } else {
            "no".to_owned()
        };
        println!(
            "| {} | `{}` | {} | {} | {} | {} | < {} | {met} |",
            target.label,
            target.path,
            target.connections,
            thousands(figures.requests_per_second.round() as u64),
            ms(figures.median),
            ms(figures.p99),
            ms(target.goal),
        );
    }
    println!();
    Ok(())
}

/// Fails unless `wrk` can be run.
pub(super) fn check_wrk() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            bail!("`jianguan bench web` needs wrk (Debian: apt-get install wrk)")
        }
        Err(error) => Err(error).context("cannot run wrk"),
    }
}

/// What `wrk --latency` measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Figures {
    pub(super) requests_per_second: f64,
    pub(super) median: Duration,
    pub(super) p99: Duration,
    /// Non-2xx/3xx answers, socket errors and timeouts.
    pub(super) failures: u64,
}

/// One `wrk` run: 2 threads, `connections`, `seconds`, more `options` (headers,
/// `--script`) and the script's arguments.
pub(super) fn wrk(
    url: &str,
    connections: u32,
    seconds: u32,
    options: &[String],
    script_args: &[String],
) -> anyhow::Result<Figures> {
    let mut command = Command::new("wrk");
    command
        .args(["--threads", "2", "--latency", "--timeout", "10s"])
        .arg(format!("--connections={connections}"))
        .arg(format!("--duration={seconds}s"))
        .args(options)
        .arg(url);
    if !script_args.is_empty() {
        command.arg("--").args(script_args);
    }
    let output = command.output().context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("cannot read wrk's output:\n{text}"))
}

/// Reads `wrk --latency`'s report.
fn parse_wrk(text: &str) -> Option<Figures> {
    let value_after = |label: &str| {
        text.lines().find_map(|line| {
            line.trim()
                .strip_prefix(label)
                .map(|rest| rest.trim().to_owned())
        })
    };
    let requests_per_second = value_after("Requests/sec:")?.parse().ok()?;
    let median = duration(&value_after("50%")?)?;
    let p99 = duration(&value_after("99%")?)?;
    let non_success: u64 = value_after("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket_errors: u64 = value_after("Socket errors:")
        .map(|rest| {
            rest.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Some(Figures {
        requests_per_second,
        median,
        p99,
        failures: non_success + socket_errors,
    })
}

/// A wrk duration: `812.00us`, `1.23ms`, `2.01s`, `1.5m`.
fn duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// The entity the pages ask about.
struct Fixture {
    name: String,
    code: String,
    round: String,
}

impl Fixture {
    /// An entity drawn in the latest published round.
    async fn pick(db: &Db) -> anyhow::Result<Self> {
        let rounds = db.list::<Round>(None).await?;
        let round = rounds
            .iter()
            .rev()
            .find(|round| round.status == RoundStatus::Published)
            .context("the database has no published round: use a demo city (jianguan demo)")?;
        let visits = db.list::<Visit>(Some(("round", round.id.as_str()))).await?;
        let visit = visits.first().context("the published round has no visit")?;
        let uscc = Uscc::parse(&visit.entity).map_err(|e| anyhow::anyhow!("{e}"))?;
        let entity = db
            .entity(&uscc)
            .await?
            .context("the drawn entity is not in the directory")?;
        Ok(Self {
            name: entity.name.clone(),
            code: visit.entity.clone(),
            round: round.id.clone(),
        })
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("{name}", &url_encode(&self.name))
            .replace("{code}", &url_encode(&self.code))
            .replace("{round}", &url_encode(&self.round))
    }
}

/// The server, on its own runtime thread.
pub(super) struct Server {
    /// `http://127.0.0.1:PORT`.
    pub(super) base: String,
    session: String,
    fixture: Option<Fixture>,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Serves the database at `url`; with `fixture`, picks the entity the pages ask about.
    pub(super) fn start(url: &str, fixture: bool) -> anyhow::Result<Self> {
        let (ready_tx, ready_rx) =
            std::sync::mpsc::channel::<anyhow::Result<(String, String, Option<Fixture>)>>();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let url = url.to_owned();
        let thread = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let prepared = async {
                    let db = storage::open(&url).await?;
                    db.migrate().await?;
                    let fixture = if fixture {
                        Some(Fixture::pick(&db).await?)
                    } else {
                        None
                    };
                    let calendar = workcal::Calendar::embedded()?;
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                    let base = format!("http://{}", listener.local_addr()?);
                    let state = AppState::new(db.clone(), calendar);
                    // As `jianguan serve` does: the dashboard's figures are prepared at start.
                    web::ops::dashboard::warm(&state);
                    let session = state
                        .sessions
                        .start(ACCOUNT)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    anyhow::Ok((db, listener, state, base, session, fixture))
                }
                .await;
                let (db, listener, state, base, session, fixture) = match prepared {
                    Ok(parts) => parts,
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return Ok(());
                    }
                };
                let _ = ready_tx.send(Ok((base, session, fixture)));
                let served = web::serve_until(listener, state, async move {
                    let _ = stop_rx.await;
                })
                .await;
                db.close().await;
                Ok(served?)
            })
        });
        let (base, session, fixture) = ready_rx.recv().context("the server thread ended")??;
        Ok(Self {
            base,
            session,
            fixture,
            stop,
            thread,
        })
    }

    /// Stops the server and waits for it.
    pub(super) fn stop(self) {
        let _ = self.stop.send(());
        if let Ok(Err(error)) = self.thread.join() {
            eprintln!("server: {error:#}");
        }
    }
}

/// A demo city built for the run, removed afterwards.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn demo(entities: usize) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("jianguan-bench-web-{}", std::process::id()));
        let scratch = Self { dir };
        let started = Instant::now();
        eprintln!(
            "building a demo city of {} entities in {} …",
            thousands(entities as u64),
            scratch.dir.display()
        );
        let output = Command::new(std::env::current_exe()?)
            .args([
                "demo",
                "--no-serve",
                "--entities",
                &entities.to_string(),
                "--data-dir",
            ])
            .arg(&scratch.dir)
            .output()
            .context("cannot run jianguan demo")?;
        if !output.status.success() {
            bail!(
                "jianguan demo failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        eprintln!(
            "demo city built in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        Ok(scratch)
    }

    fn database(&self) -> anyhow::Result<String> {
        let path = storage::default_database(&self.dir);
        path.to_str()
            .map(str::to_owned)
            .context("the temporary folder's path is not UTF-8")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_reports_are_read() {
        let report = "Running 15s test @ http://127.0.0.1:1/x
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.02ms  40.00ms   90.00%
  Latency Distribution
     50%    2.90ms
     75%    3.40ms
     90%    4.10ms
     99%   12.50ms
  123456 requests in 15.00s, 1.00GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   8230.40
Transfer/sec:     68.27MB
";
        let figures = parse_wrk(report);
        assert_eq!(
            figures,
            Some(Figures {
                requests_per_second: 8230.4,
                median: Duration::from_secs_f64(0.0029),
                p99: Duration::from_secs_f64(0.0125),
                failures: 8,
            })
        );
        assert_eq!(
            duration("812.00us"),
            Some(Duration::from_secs_f64(0.000812))
        );
        assert_eq!(duration("2.00s"), Some(Duration::from_secs(2)));
        assert_eq!(duration("1.5x"), None);
    }

    #[test]
    fn fixtures_fill_the_paths_url_encoded() {
        let fixture = Fixture {
            name: "黄石 公司".into(),
            code: "91420200MA4CA5HQ43".into(),
            round: "2025-Q4".into(),
        };
        assert_eq!(
            fixture.fill("/gongshi/verify?round={round}&code={code}"),
            "/gongshi/verify?round=2025-Q4&code=91420200MA4CA5HQ43"
        );
        assert!(!fixture.fill("/gongshi/results?q={name}").contains(' '));
    }
}
