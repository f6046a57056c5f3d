//! `jianguan serve` (the web application) and `jianguan accounts` (accounts
//! and API tokens from the command line).

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::database::{DatabaseArgs, runtime};
use domain::account::{Account, Role};
use service::accounts::{self, Revoked};
use storage::{Db, Store};
use web::{self, AppState, auth};

/// Arguments of `jianguan serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// A working-day calendar override (TOML), as for `jianguan calendar`.
    #[arg(long, value_name = "FILE")]
    calendar: Option<PathBuf>,
    #[command(flatten)]
    options: ServerOptions,
}

/// The server's timeouts, connection limit and trusted proxies (docs/web.md, "Security").
#[derive(Debug, Clone, Args)]
pub struct ServerOptions {
    /// Seconds a request's head may take to arrive, counted from when the
    /// server waits for it (also the longest wait between kept-alive requests).
    #[arg(long, value_name = "SECS", env = "JIANGUAN_HEADER_TIMEOUT",
          default_value_t = web::Limits::HEADER_READ.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a request may take, body included, before it is answered 503.
    #[arg(long, value_name = "SECS", env = "JIANGUAN_REQUEST_TIMEOUT",
          default_value_t = web::Limits::REQUEST.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout: u64,
    /// Seconds a connection may stay silent (no handler running, no byte
    /// moving) before it is closed.
    #[arg(long, value_name = "SECS", env = "JIANGUAN_IDLE_TIMEOUT",
          default_value_t = web::Limits::IDLE.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Connections open at once; beyond it new connections are closed at once.
    #[arg(long, value_name = "N", env = "JIANGUAN_MAX_CONNECTIONS",
          default_value_t = web::Limits::MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// A reverse proxy (CIDR or address) whose X-Forwarded-For header names
    /// the client; repeatable (the variable takes a comma-separated list).
    /// Without it the client is the socket peer and the header is ignored.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "JIANGUAN_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<auth::Cidr>,
    /// Let whoever filed a plan approve it, and an account of the filer's role
    /// (separation of duties off; an office too small for two people). Off by
    /// default: the approver is another person of another role.
    #[arg(long, env = "JIANGUAN_ALLOW_SELF_APPROVAL")]
    allow_self_approval: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        let limits = web::Limits::default();
        Self {
            header_timeout: limits.header_read.as_secs(),
            request_timeout: limits.request.as_secs(),
            idle_timeout: limits.idle.as_secs(),
            max_connections: limits.max_connections as u64,
            trusted_proxies: Vec::new(),
            allow_self_approval: false,
        }
    }
}

impl ServerOptions {
    fn limits(&self) -> web::Limits {
        web::Limits {
            header_read: Duration::from_secs(self.header_timeout),
            request: Duration::from_secs(self.request_timeout),
            idle: Duration::from_secs(self.idle_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

/// Runs `jianguan serve`.
pub fn run_serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let calendar = super::calendar::load(args.calendar.as_ref())?;
    serve_database_with(&args.database, calendar, args.listen, &args.options)
}

/// Migrates the database and serves it on a multi-threaded runtime until
/// stopped, with the default limits (the end of `jianguan demo`).
#[cfg(feature = "sim")]
pub fn serve_database(
    database: &DatabaseArgs,
    calendar: workcal::Calendar,
    listen: SocketAddr,
) -> anyhow::Result<ExitCode> {
    serve_database_with(database, calendar, listen, &ServerOptions::default())
}

/// Migrates the database and serves it on a multi-threaded runtime until
/// stopped (`jianguan serve`).
pub fn serve_database_with(
    database: &DatabaseArgs,
    calendar: workcal::Calendar,
    listen: SocketAddr,
    options: &ServerOptions,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let db = database.open().await?;
        let outcome = async {
            db.migrate().await?;
            // The licence-signing key of `licences key`/`setup`, for 出件 at the window.
            let licence_key = database
                .url()
                .ok()
                .map(|url| service::licences::default_key_path(&url, &database.data_dir));
            serve(db.clone(), calendar, listen, options, licence_key).await
        }
        .await;
        db.close().await;
        outcome.map(|()| ExitCode::SUCCESS)
    })
}

/// Serves the web application on `listen` until Ctrl-C or SIGTERM; creates and
/// prints the first administrator when there is no account.
pub async fn serve(
    db: Db,
    calendar: workcal::Calendar,
    listen: SocketAddr,
    options: &ServerOptions,
    licence_key: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    init_logging();
    // Before the address is announced: a client never sees a stale file.
    web::remove_stale_files();
    if let Some(password) = accounts::bootstrap_admin(&db).await? {
        println!("首个管理员账号 first administrator: admin");
        println!("一次性密码 one-time password: {password}");
        println!("(登录后须立即修改 it must be changed at first login)");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    println!("监听 listening on http://{address}");
    println!(
        "公示平台 public portal: http://{address}/gongshi · 登录 login: http://{address}/login"
    );
    let rules_file = std::env::var_os("JIANGUAN_HOTLINE_RULES").map(std::path::PathBuf::from);
    let rules = super::hotline::load_rules(rules_file.as_ref())?;
    // Notices the administrator loaded (放假安排) apply over the embedded calendar and --calendar.
    let calendar = service::calendar::with_stored_notices(&db, &calendar)
        .await
        .context("applying the loaded holiday notices")?;
    let mut state = AppState::new(db, calendar);
    if let Some(fresh) = Arc::get_mut(&mut state) {
        fresh.hotline = rules;
        fresh.limits = options.limits();
        fresh.trusted_proxies.clone_from(&options.trusted_proxies);
        fresh.licence_key = licence_key;
        fresh.duties = service::Duties {
            allow_self_approval: options.allow_self_approval,
        };
    }
    let limits = state.limits;
    tracing::info!(
        header_timeout = ?limits.header_read,
        request_timeout = ?limits.request,
        idle_timeout = ?limits.idle,
        max_connections = limits.max_connections,
        trusted_proxies = ?options.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        allow_self_approval = options.allow_self_approval,
        "limits"
    );
    web::ops::dashboard::warm(&state);
    schedule_escalation(state.clone(), std::time::Duration::from_secs(3600));
    web::public::ledger::schedule_daily_anchor(state.clone());
    if let Some(every) = web::staff::credit_risk::schedule_interval() {
        web::staff::credit_risk::schedule_classification(state.clone(), every);
    }
    web::serve(listener, state).await?;
    println!("stopped");
    Ok(())
}

/// Raises 督办 on overdue work orders now and then every `every`.
fn schedule_escalation(state: Arc<AppState>, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let at = domain::clock::now();
            match service::hotline::escalate_overdue(
                &state.db,
                &state.hotline,
                &state.calendar.get(),
                at,
                "system",
            )
            .await
            {
                Ok(raised) if !raised.is_empty() => {
                    tracing::info!(orders = raised.len(), "work orders escalated (督办)")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "the 督办 sweep failed"),
            }
        }
    });
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("JIANGUAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Arguments of `jianguan accounts`.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: AccountsCommand,
}

#[derive(Debug, Subcommand)]
enum AccountsCommand {
    /// List the accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create or change an account. The password is read from standard input
    /// with --password-stdin; otherwise a one-time password is generated and printed.
    Add {
        /// Login name.
        username: String,
        /// system_admin, department_admin, department_staff, inspector, supervisor,
        /// credit_office or hotline_operator (or the Chinese name).
        #[arg(long)]
        role: String,
        /// Department code, for department administrators, staff and inspectors.
        #[arg(long)]
        department: Option<String>,
        /// The name pages show (default: the login name).
        #[arg(long)]
        name: Option<String>,
        /// Inspector's certificate number (inspector accounts).
        #[arg(long)]
        certificate: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it cannot log in and its tokens stop working.
    Disable {
        /// Login name.
        username: String,
    },
    /// Issue an API token for an account (printed once; only its hash is kept).
    Token {
        /// Login name.
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// List an account's API tokens: fingerprint, label, issued, live or revoked.
    Tokens {
        /// Login name.
        username: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke one API token of an account; it answers 401 from then on.
    RevokeToken {
        /// Login name.
        username: String,
        /// The token's fingerprint (as `accounts tokens` lists it, 12 hex
        /// digits or more), or the token itself.
        token: String,
    },
}

#[derive(Serialize)]
struct TokenLine<'a> {
    fingerprint: &'a str,
    label: &'a str,
    issued_at: Option<&'a str>,
    revoked: bool,
}

#[derive(Serialize)]
struct AccountLine<'a> {
    username: &'a str,
    display_name: &'a str,
    role: &'static str,
    department: Option<&'a str>,
    disabled: bool,
}

const ACTOR: &str = "cli";

/// Runs `jianguan accounts`.
pub fn run_accounts(args: &AccountsArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        let outcome = async {
            db.migrate().await?;
            accounts(&db, &args.command).await
        }
        .await;
        db.close().await;
        outcome
    })
}

/// Prints `lines` as pretty JSON, or one `text` line each.
fn print_lines<T: Serialize>(
    lines: &[T],
    json: bool,
    text: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(lines)?);
    } else {
        for line in lines {
            println!("{}", text(line));
        }
    }
    Ok(())
}

async fn accounts(db: &Db, command: &AccountsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AccountsCommand::List { json } => {
            let all = accounts::list(db).await?;
            let lines: Vec<AccountLine> = all
                .iter()
                .map(|a| AccountLine {
                    username: &a.username,
                    display_name: &a.display_name,
                    role: a.role.code(),
                    department: a.department.as_deref(),
                    disabled: a.disabled,
                })
                .collect();
            print_lines(&lines, *json, |l| {
                format!(
                    "{:<20} {:<18} {:<8} {}{}",
                    l.username,
                    l.role,
                    l.department.unwrap_or("-"),
                    l.display_name,
                    if l.disabled { " (disabled)" } else { "" }
                )
            })?;
        }
        AccountsCommand::Add {
            username,
            role,
            department,
            name,
            certificate,
            password_stdin,
        } => {
            let role = Role::parse(role)?;
            let (password, generated) = if *password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (accounts::one_time_password()?, true)
            };
            let account = Account {
                username: username.clone(),
                display_name: name.clone().unwrap_or_else(|| username.clone()),
                role,
                department: department.clone(),
                certificate: certificate.clone(),
                password_hash: String::new(),
                must_change_password: generated,
                disabled: false,
            };
            accounts::save_account(db, account, Some(password.clone()), ACTOR).await?;
            println!("account {username} saved ({})", role.code());
            if generated {
                println!("one-time password: {password} (must be changed at first login)");
            }
        }
        AccountsCommand::Disable { username } => {
            let revoked = accounts::set_disabled(db, username, true, ACTOR).await?;
            println!("account {username} disabled; {revoked} API token(s) revoked");
        }
        AccountsCommand::Token { username, label } => {
            let token = accounts::issue_token(db, username, label, ACTOR).await?;
            println!("{token}");
        }
        AccountsCommand::Tokens { username, json } => {
            accounts::existing(db, username).await?;
            let tokens = accounts::tokens_of(db, username).await?;
            let lines: Vec<TokenLine> = tokens
                .iter()
                .map(|t| TokenLine {
                    fingerprint: t.fingerprint(),
                    label: &t.label,
                    issued_at: t.issued_at.as_deref(),
                    revoked: t.revoked,
                })
                .collect();
            print_lines(&lines, *json, |l| {
                format!(
                    "{}  {:<7}  {:<25}  {}",
                    l.fingerprint,
                    if l.revoked { "revoked" } else { "live" },
                    l.issued_at.unwrap_or("-"),
                    l.label
                )
            })?;
        }
        AccountsCommand::RevokeToken { username, token } => {
            match accounts::revoke_token(db, username, token, ACTOR).await? {
                Revoked::Now(t) => println!(
                    "token {} ({}) of {username} revoked",
                    t.fingerprint(),
                    t.label
                ),
                Revoked::Already(t) => {
                    println!(
                        "token {} ({}) of {username} was already revoked",
                        t.fingerprint(),
                        t.label
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
