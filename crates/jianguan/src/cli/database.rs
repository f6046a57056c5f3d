//! Where the database is (`--database`, `--data-dir`), and `jianguan migrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use storage::{self, Db, Store};

/// Which database to use. Other commands flatten these options.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: postgres://USER:PASSWORD@HOST/DB for PostgreSQL; sqlite://PATH or a
    /// plain file path for SQLite. Default: the SQLite file jianguan.sqlite3 in the data folder.
    #[arg(long, env = "JIANGUAN_DATABASE", value_name = "URL", global = true)]
    pub database: Option<String>,
    /// The data folder, created if missing.
    #[arg(long, env = "JIANGUAN_DATA", value_name = "DIR", default_value = storage::DEFAULT_DATA_DIR, global = true)]
    pub data_dir: PathBuf,
}

impl DatabaseArgs {
    /// The database URL: `--database` if given, else the default SQLite file (its
    /// data folder created).
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = self
            .database
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
        {
            return Ok(url.to_owned());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!("cannot create the data folder {}", self.data_dir.display())
        })?;
        let path = storage::default_database(&self.data_dir);
        path.to_str().map(str::to_owned).with_context(|| {
            format!(
                "the data folder path {} is not UTF-8",
                self.data_dir.display()
            )
        })
    }

    /// Opens the database (not migrated).
    pub async fn open(&self) -> anyhow::Result<Db> {
        let url = self.url()?;
        Ok(storage::open(&url).await?)
    }
}

/// Arguments of `jianguan migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    database: DatabaseArgs,
}

/// A runtime for a command: one thread is plenty for the CLI's sequential work.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `jianguan migrate`: applies the embedded migrations and the reference data
/// (no city: `jianguan setup` loads one); prints every migration version with
/// whether this run applied it, and the city set up.
pub fn migrate(args: &MigrateArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let url = args.database.url()?;
        let db = storage::open(&url).await?;
        let report = db.migrate().await;
        let city = match &report {
            Ok(_) => db.city().await,
            Err(_) => Ok(None),
        };
        db.close().await;
        let report = report?;
        let city = city?;
        println!(
            "database: {} ({})",
            storage::redact(&url),
            report.backend.as_str()
        );
        for migration in &report.migrations {
            let state = if migration.applied_now {
                "applied now"
            } else {
                "already applied"
            };
            println!(
                "{:04} {:<24} {state}",
                migration.version, migration.description
            );
        }
        println!(
            "reference data: {} GB/T 4754-2017 sections and divisions",
            report.industries
        );
        match city {
            Some(city) => println!("city: {} {}", city.code, city.name),
            None => println!(
                "city: none set up yet: run `jianguan setup --city CODE` (e.g. 420500) before importing"
            ),
        }
        Ok(ExitCode::SUCCESS)
    })
}
