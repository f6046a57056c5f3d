//! `jianguan import` and `jianguan export`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::database::{DatabaseArgs, runtime};
use files::export::{self, Format};
use files::{self, Kind, Options, report};
use storage::Store;

/// Arguments of `jianguan import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Which directory the file holds: departments, entities, inspectors,
    /// recusals, items, joint-items, or reviewers (评查人员: 评查员编号, 姓名,
    /// 所属单位 (a department or 外聘), 专业领域, 身份证号).
    #[arg(value_parser = parse_target)]
    kind: Target,
    /// The file: CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030) or XLSX/XLS (first sheet).
    file: PathBuf,
    /// Folder for the error report (default: next to the file, as FILE.errors.xlsx).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Print exactly one JSON line instead of the summary.
    #[arg(long)]
    json: bool,
    /// Reject 统一社会信用代码 failing both check characters too (default:
    /// accepted as pilot-era codes with a warning; mistyped codes are always rejected).
    #[arg(long)]
    strict_uscc: bool,
    /// Rows per transaction.
    #[arg(long, default_value_t = files::DEFAULT_BATCH, value_name = "ROWS")]
    batch: usize,
    #[command(flatten)]
    actor: super::workflow::ActorArgs,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// What `jianguan import` reads: a directory, or the reviewers of case-file review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A directory file.
    Directory(Kind),
    /// 评查人员 (issue 20).
    Reviewers,
}

fn parse_target(text: &str) -> Result<Target, String> {
    if text.trim().eq_ignore_ascii_case("reviewers") {
        return Ok(Target::Reviewers);
    }
    Kind::parse(text).map(Target::Directory).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("expected one of {}, reviewers", names.join(", "))
    })
}

/// Arguments of `jianguan export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Which directory to export.
    #[arg(value_enum)]
    kind: Kind,
    /// The output file; its extension (.csv or .xlsx) chooses the format unless --format is given.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// csv (UTF-8 with BOM) or xlsx.
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// `jianguan import`: exit 0 when the file was read (even with rejected rows),
/// 2 when it cannot be read or its header row is wrong.
pub fn run_import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let options = Options {
            batch: args.batch.max(1),
            strict_uscc: args.strict_uscc,
            progress: !args.json,
        };
        let mut extra = serde_json::Map::new();
        let result = match args.kind {
            Target::Directory(kind) => files::import_file(&db, kind, &args.file, &options).await,
            Target::Reviewers => service::review::import_reviewers(
                &db,
                &args.file,
                &args.actor.actor,
                service::now(),
            )
            .await
            .map(|import| {
                extra.insert("sha256".into(), import.sha256.into());
                import.outcome
            }),
        };
        db.close().await;
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(error) if error.is_bad_input() => {
                return Ok(super::bad_input(&error, args.json));
            }
            Err(error) => return Err(error.into()),
        };
        finish_import(
            &outcome,
            &args.file,
            args.report.as_deref(),
            args.json,
            extra,
        )?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `jianguan export`.
pub fn run_export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.database.open().await?;
        db.migrate().await?;
        let format = args.format.unwrap_or_else(|| Format::from_path(&args.out));
        let watermark = files::watermark::Watermark::cli(args.out.display().to_string());
        let result = export::export_file(&db, args.kind, &args.out, format, &watermark).await;
        db.close().await;
        let count = result?;
        println!(
            "exported {count} {} to {}",
            args.kind.as_str(),
            args.out.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// Writes the XLSX error report of an import (or removes a stale one), then
/// prints the outcome: one JSON line (with `extra` fields) or the problems on
/// stderr and a summary line.
pub(super) fn finish_import(
    outcome: &files::Outcome,
    file: &std::path::Path,
    report_dir: Option<&std::path::Path>,
    json: bool,
    extra: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<()> {
    let path = report::report_path(file, report_dir);
    let written = if outcome.errors.is_empty() && outcome.warnings.is_empty() {
        // A clean run leaves no stale report of an earlier run behind.
        let _ = std::fs::remove_file(&path);
        None
    } else {
        if let Some(dir) = report_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let source = file.display().to_string();
        let watermark = files::watermark::Watermark::cli(format!("{source} 导入错误报告"));
        report::write_report(outcome, &source, &path, &watermark)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
        Some(path.display().to_string())
    };
    if json {
        let mut line = serde_json::json!({
            "imported": outcome.inserted,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "rejected": outcome.rejected(),
            "warnings": outcome.warnings.len(),
            "error_report": written,
        });
        if let Some(map) = line.as_object_mut() {
            map.extend(extra);
        }
        println!("{line}");
    } else {
        for problem in &outcome.errors {
            eprintln!(
                "row {}: {}: {} (value {:?})",
                problem.row,
                if problem.column.is_empty() {
                    "-"
                } else {
                    &problem.column
                },
                problem.reason,
                problem.value
            );
        }
        for problem in &outcome.warnings {
            eprintln!(
                "warning: row {}: {}{}",
                problem.row,
                if problem.column.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", problem.column)
                },
                problem.reason
            );
        }
        println!(
            "imported {} rows ({} inserted, {} updated, {} unchanged), {} rejected, {} warnings; report: {}",
            outcome.imported(),
            outcome.inserted,
            outcome.updated,
            outcome.unchanged,
            outcome.rejected(),
            outcome.warnings.len(),
            written.as_deref().unwrap_or("none")
        );
    }
    Ok(())
}
