//! `jianguan licences`: the e-licence library (电子证照库): types, bulk import
//! (each licence signed), the city key, issue, verify and revoke.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::database::{DatabaseArgs, runtime};
use super::import::finish_import;
use super::workflow::ActorArgs;
use domain::clock::today;
use domain::licence;
use service::licences::{self as flow, IssueRequest, LicenceError};
use storage::Store;
use storage::licences::LicenceStore;

/// Where the city's licence-signing key file is.
#[derive(Debug, Clone, Args)]
pub struct LicenceKeyArgs {
    /// The city's licence-signing key file (Ed25519 seed, hex, mode 0600). Default:
    /// next to a SQLite database file (FILE.licence.key), else licence-signing.key in the data folder.
    #[arg(long, env = "JIANGUAN_LICENCE_KEY", value_name = "FILE", global = true)]
    pub licence_key: Option<PathBuf>,
}

impl LicenceKeyArgs {
    /// The key file's path for `database`.
    pub fn path(&self, database: &DatabaseArgs) -> anyhow::Result<PathBuf> {
        if let Some(path) = &self.licence_key {
            return Ok(path.clone());
        }
        Ok(flow::default_key_path(&database.url()?, &database.data_dir))
    }
}

/// `jianguan licences`.
#[derive(Debug, Args)]
pub struct LicencesArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    key: LicenceKeyArgs,
    #[command(subcommand)]
    command: LicencesCommand,
}

#[derive(Debug, Subcommand)]
enum LicencesCommand {
    /// Licence types (证照类型): import, list.
    Types {
        #[command(subcommand)]
        command: TypesCommand,
    },
    /// Import licences (CSV, XLSX or JSON Lines): 证照编号*, 证照类型代码*, 持证主体名称*,
    /// 持证主体证件号码*, 颁证日期*, 颁发部门, 有效期起始, 有效期截止, 状态, 照面信息
    /// (名称=值；…). Each licence is signed; re-importing updates by 证照编号.
    Import {
        /// The licence file.
        file: PathBuf,
        /// Folder for the error report (default: next to the file).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Print the city's licence-signing public key (hex).
    Key {
        /// Create the key (file mode 0600) when the database has none yet.
        #[arg(long)]
        create: bool,
    },
    /// Issue one licence: sign it, record it and write its JSON file.
    Issue {
        /// 证照类型代码.
        #[arg(long = "type", value_name = "CODE")]
        type_code: String,
        /// The holder's 统一社会信用代码 or 居民身份证号码.
        #[arg(long, value_name = "ID")]
        holder: String,
        /// The holder's name.
        #[arg(long, value_name = "NAME")]
        holder_name: String,
        /// First day of validity (also the issue date's licence start).
        #[arg(long, value_name = "DATE")]
        valid_from: NaiveDate,
        /// Last day of validity (default: from the type's years; none: 长期).
        #[arg(long, value_name = "DATE")]
        valid_until: Option<NaiveDate>,
        /// A face field (照面字段), NAME=VALUE; repeatable.
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        /// 证照编号 (default: TYPE-YYYYMMDD-XXXXXXXX).
        #[arg(long, value_name = "NO")]
        no: Option<String>,
        /// The signed licence's JSON file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Verify a licence file: `valid` (exit 0) or the reason (exit 1); bad input exit 2.
    Verify {
        /// The licence JSON file.
        file: PathBuf,
        /// The city's public key (hex) to verify with (default: the database's, else the key file's).
        #[arg(long, value_name = "HEX")]
        public_key: Option<String>,
        /// Check the signature and dates only, not the database.
        #[arg(long)]
        offline: bool,
    },
    /// Revoke (注销) a licence; recorded on the ledger.
    Revoke {
        /// 证照编号.
        no: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// Print one licence's signed JSON.
    Show {
        /// 证照编号.
        no: String,
    },
}

#[derive(Debug, Subcommand)]
enum TypesCommand {
    /// Import licence types: 证照类型代码*, 证照名称*, 颁发部门*, 有效期（年）(empty: 长期),
    /// 照面字段 (、-separated).
    Import {
        /// The types file.
        file: PathBuf,
        /// Folder for the error report (default: next to the file).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        actor: ActorArgs,
    },
    /// List the types.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn failed(error: LicenceError, json: bool) -> anyhow::Result<ExitCode> {
    if error.is_bad_input() {
        Ok(super::bad_input(&error, json))
    } else {
        Err(error.into())
    }
}

/// Whether a database is there to check against: `--database` given, or the
/// default SQLite file exists (verify never creates one).
fn has_database(database: &DatabaseArgs) -> bool {
    database
        .database
        .as_deref()
        .is_some_and(|url| !url.trim().is_empty())
        || storage::default_database(&database.data_dir).exists()
}

/// Runs `jianguan licences …`.
pub fn run(args: &LicencesArgs) -> anyhow::Result<ExitCode> {
    if let LicencesCommand::Verify {
        file,
        public_key,
        offline,
    } = &args.command
    {
        return verify(args, file, public_key.as_deref(), *offline);
    }
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let outcome = run_command(args, &db).await;
        db.close().await;
        outcome
    })
}

async fn run_command(args: &LicencesArgs, db: &storage::Db) -> anyhow::Result<ExitCode> {
    let key_path = || args.key.path(&args.database);
    match &args.command {
        LicencesCommand::Types {
            command:
                TypesCommand::Import {
                    file,
                    report,
                    json,
                    actor,
                },
        } => {
            let import = match flow::import_types(db, file, &actor.actor).await {
                Ok(import) => import,
                Err(error) => return failed(error, *json),
            };
            let mut extra = serde_json::Map::new();
            extra.insert("types".into(), import.types.into());
            finish_import(&import.outcome, file, report.as_deref(), *json, extra)?;
            Ok(ExitCode::SUCCESS)
        }
        LicencesCommand::Types {
            command: TypesCommand::List { json },
        } => {
            let types = db.licence_types().await?;
            if *json {
                println!("{}", serde_json::to_string(&types)?);
            } else {
                for t in &types {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        t.code,
                        t.name,
                        t.issuer,
                        t.years.map_or_else(|| "长期".into(), |y| format!("{y} 年")),
                        t.fields.join("、")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LicencesCommand::Import {
            file,
            report,
            json,
            actor,
        } => {
            let key = match flow::load_key(&key_path()?) {
                Ok(key) => key,
                Err(error) => return failed(error, *json),
            };
            let started = std::time::Instant::now();
            let import = match flow::import_licences(db, file, &key, &actor.actor).await {
                Ok(import) => import,
                Err(error) => return failed(error, *json),
            };
            let mut extra = serde_json::Map::new();
            extra.insert("licences".into(), import.written.after.into());
            extra.insert(
                "seconds".into(),
                serde_json::json!((started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0),
            );
            finish_import(&import.outcome, file, report.as_deref(), *json, extra)?;
            Ok(ExitCode::SUCCESS)
        }
        LicencesCommand::Key { create } => {
            let path = key_path()?;
            if *create {
                let (key, created) = match flow::ensure_key(db, &path).await {
                    Ok(done) => done,
                    Err(error) => return failed(error, false),
                };
                if created {
                    eprintln!("created the licence-signing key {}", path.display());
                }
                println!("{}", licence::to_hex(key.verifying_key().as_bytes()));
                return Ok(ExitCode::SUCCESS);
            }
            match db.licence_public_key().await? {
                Some(hex) => {
                    println!("{hex}");
                    Ok(ExitCode::SUCCESS)
                }
                None => Ok(super::bad_input(
                    &"no licence-signing key yet: run `jianguan licences key --create`",
                    false,
                )),
            }
        }
        LicencesCommand::Issue {
            type_code,
            holder,
            holder_name,
            valid_from,
            valid_until,
            fields,
            no,
            out,
            actor,
        } => {
            let mut pairs = Vec::new();
            for field in fields {
                let Some((name, value)) = field.split_once('=') else {
                    return Ok(super::bad_input(
                        &format!("--field {field:?} is not NAME=VALUE"),
                        false,
                    ));
                };
                pairs.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            let key = match flow::load_key(&key_path()?) {
                Ok(key) => key,
                Err(error) => return failed(error, false),
            };
            let request = IssueRequest {
                type_code: type_code.clone(),
                holder: holder.clone(),
                holder_name: holder_name.clone(),
                valid_from: *valid_from,
                valid_until: *valid_until,
                fields: pairs,
                no: no.clone(),
            };
            let value = match flow::issue(db, &key, &request, &actor.actor).await {
                Ok(value) => value,
                Err(error) => return failed(error, false),
            };
            write_json(out, &value)?;
            println!(
                "issued {} to {}",
                value["no"].as_str().unwrap_or_default(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        LicencesCommand::Revoke { no, reason, actor } => {
            let key = match flow::load_key(&key_path()?) {
                Ok(key) => key,
                Err(error) => return failed(error, false),
            };
            match flow::revoke(db, &key, no, reason, &actor.actor).await {
                Ok(stored) => {
                    println!("revoked (注销) {}", stored.licence.no);
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => failed(error, false),
            }
        }
        LicencesCommand::Show { no } => match db.licence(no.trim()).await? {
            Some(stored) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&flow::stored_json(&stored))?
                );
                Ok(ExitCode::SUCCESS)
            }
            None => Ok(super::bad_input(
                &format!("no licence has the number {no:?}"),
                false,
            )),
        },
        LicencesCommand::Verify { .. } => Ok(ExitCode::from(super::EXIT_BAD_INPUT)),
    }
}

fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Largest licence file `verify` reads.
const MAX_LICENCE_FILE: u64 = 1 << 20;

/// `jianguan licences verify`.
fn verify(
    args: &LicencesArgs,
    file: &Path,
    public_key: Option<&str>,
    offline: bool,
) -> anyhow::Result<ExitCode> {
    let bad = |reason: String| Ok(super::bad_input(&reason, false));
    let size = match std::fs::metadata(file) {
        Ok(meta) => meta.len(),
        Err(error) => return bad(format!("cannot read {}: {error}", file.display())),
    };
    if size > MAX_LICENCE_FILE {
        return bad(format!(
            "{} is larger than {MAX_LICENCE_FILE} bytes: not a licence",
            file.display()
        ));
    }
    let value: serde_json::Value = match std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(value @ serde_json::Value::Object(_)) => value,
        Ok(_) => return bad(format!("{}: not a JSON object", file.display())),
        Err(error) => return bad(format!("{}: not JSON: {error}", file.display())),
    };
    let given = match public_key.map(licence::public_key_from_hex) {
        Some(None) => return bad("--public-key is not 64 hex digits of an Ed25519 key".into()),
        Some(Some(key)) => Some(key),
        None => None,
    };
    let use_db = !offline && has_database(&args.database);
    runtime()?.block_on(async {
        let db = if use_db {
            let db = args.database.open().await?;
            db.migrate().await?;
            Some(db)
        } else {
            None
        };
        let recorded = match &db {
            Some(db) => flow::public_key(db).await?,
            None => None,
        };
        let key = match given.or(recorded) {
            Some(key) => Some(key),
            None => args
                .key
                .path(&args.database)
                .ok()
                .and_then(|path| flow::load_key(&path).ok())
                .map(|k| k.verifying_key()),
        };
        let Some(key) = key else {
            if let Some(db) = &db {
                db.close().await;
            }
            return bad(
                "no public key to verify with: pass --public-key HEX (from /gongshi/licences/key)"
                    .into(),
            );
        };
        let stored = match (&db, value.get("no").and_then(|n| n.as_str())) {
            (Some(db), Some(no)) => Some(db.licence(no).await?),
            (Some(_), None) => Some(None),
            (None, _) => None,
        };
        if let Some(db) = &db {
            db.close().await;
        }
        match flow::verify(&value, &key, stored.as_ref().map(Option::as_ref), today()) {
            Ok(_) => {
                println!("valid");
                Ok(ExitCode::SUCCESS)
            }
            Err(reason) => {
                println!("{reason}");
                Ok(ExitCode::from(1))
            }
        }
    })
}
