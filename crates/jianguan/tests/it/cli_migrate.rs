//! `jianguan migrate`: the default SQLite file in the data folder, idempotent
//! re-runs, `--database` / `JIANGUAN_DATABASE`, and unusable URLs.

use std::error::Error;
use std::path::PathBuf;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn Error>>;

fn jianguan(args: &[&str], env: &[(&str, &str)]) -> Result<Output, Box<dyn Error>> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jianguan"));
    command
        .args(args)
        .env_remove("JIANGUAN_DATABASE")
        .env_remove("JIANGUAN_DATA");
    for (key, value) in env {
        command.env(key, value);
    }
    Ok(command.output()?)
}

fn temp_dir(name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("jianguan-migrate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(dir)
}

#[test]
fn creates_the_default_database_in_the_data_folder_and_reruns_cleanly() -> TestResult {
    let dir = temp_dir("default")?;
    let data = dir.join("nested/data");
    let data_text = data.to_str().ok_or("path is not UTF-8")?;
    let first = jianguan(&["migrate", "--data-dir", data_text], &[])?;
    let stdout = String::from_utf8(first.stdout)?;
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        data.join("jianguan.sqlite3").is_file(),
        "the database is created in the data folder"
    );
    assert!(stdout.contains("(sqlite)"), "{stdout}");
    assert!(
        stdout.contains("0001 directories") && stdout.contains("applied now"),
        "{stdout}"
    );
    assert!(
        stdout.contains("117 GB/T 4754-2017") && stdout.contains("city: none set up yet"),
        "{stdout}"
    );

    // Again, with the folder from the environment: nothing to apply.
    let second = jianguan(&["migrate"], &[("JIANGUAN_DATA", data_text)])?;
    let stdout = String::from_utf8(second.stdout)?;
    assert!(second.status.success(), "{stdout}");
    assert!(
        stdout.contains("already applied") && !stdout.contains("applied now"),
        "{stdout}"
    );
    assert!(stdout.contains("city: none set up yet"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn database_url_comes_from_the_option_or_the_environment() -> TestResult {
    let dir = temp_dir("url")?;
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("elsewhere.db");
    let url = format!("sqlite://{}", file.to_str().ok_or("path is not UTF-8")?);
    let output = jianguan(&["migrate", "--database", &url], &[])?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(file.is_file());
    let output = jianguan(&["migrate"], &[("JIANGUAN_DATABASE", &url)])?;
    assert!(String::from_utf8(output.stdout)?.contains("already applied"));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn unusable_databases_exit_2_with_the_reason_and_no_password() -> TestResult {
    let output = jianguan(
        &["migrate", "--database", "mysql://root:hunter2@localhost/db"],
        &[],
    )?;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr)?;
    assert!(
        stderr.contains("not supported") && !stderr.contains("hunter2"),
        "{stderr}"
    );

    let output = jianguan(
        &[
            "migrate",
            "--database",
            "postgres://nobody:hunter2@127.0.0.1:9/none",
        ],
        &[],
    )?;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr)?;
    assert!(
        stderr.contains("cannot open the database") && !stderr.contains("hunter2"),
        "{stderr}"
    );
    Ok(())
}
