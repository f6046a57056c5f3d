//! `jianguan setup --city CODE`: the city this database serves.

use std::process::ExitCode;

use clap::Args;

use super::database::{DatabaseArgs, runtime};
use super::workflow::ActorArgs;
use service::setup;
use storage::Store;

/// Arguments of `jianguan setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// GB/T 2260 code of the city: a prefecture-level unit (地级市, 地区, 自治州, 盟)
    /// such as 420500, or a municipality such as 110000.
    #[arg(long, value_name = "CODE")]
    city: String,
    /// Print exactly one JSON line instead of the summary.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    actor: ActorArgs,
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    licence_key: super::licences::LicenceKeyArgs,
}

/// `jianguan setup`: migrates, then loads the city's districts and records the
/// city (exit 0, also when it was set up already); exit 2 for a code that is
/// not a city or a database set up for another city.
pub fn run(args: &SetupArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        let result = match db.migrate().await {
            Ok(_) => setup::set_up_city(&db, &args.city, &args.actor.actor, service::now()).await,
            Err(error) => Err(error.into()),
        };
        // The city's licence-signing key: created with the city, kept outside the database.
        let key = match (&result, args.licence_key.path(&args.database)) {
            (Ok(_), Ok(path)) => Some((service::licences::ensure_key(&db, &path).await, path)),
            _ => None,
        };
        db.close().await;
        match &key {
            Some((Ok((_, true)), path)) => {
                eprintln!(
                    "created the licence-signing key {} (mode 0600; back it up)",
                    path.display()
                );
            }
            Some((Err(error), _)) => eprintln!("warning: {error}"),
            _ => {}
        }
        let done = match result {
            Ok(done) => done,
            Err(error) if error.is_bad_input() => {
                return Ok(super::bad_input(&error, args.json));
            }
            Err(error) => return Err(error.into()),
        };
        if args.json {
            let districts: Vec<_> = done
                .districts
                .iter()
                .map(|d| serde_json::json!({"code": d.code().as_str(), "name": d.name()}))
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "city": {"code": done.city.code, "name": done.city.name},
                    "already_set_up": done.already,
                    "districts": districts,
                    "edition": domain::divisions::EDITION,
                })
            );
        } else {
            if done.already {
                println!(
                    "{} {} is set up already: nothing changed",
                    done.city.code, done.city.name
                );
            } else {
                println!(
                    "set up {} {}: {} districts loaded (GB/T 2260, divisions in force at {})",
                    done.city.code,
                    done.city.name,
                    done.districts.len(),
                    domain::divisions::EDITION
                );
            }
            for district in &done.districts {
                println!("{} {}", district.code(), district.name());
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
