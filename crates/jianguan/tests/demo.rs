//! `jianguan demo` at a small scale on embedded SQLite: the city is loaded into
//! the database in the data folder, the round is drawn from it, published and
//! verified; a second run reuses the loaded city without duplicating rows.

#![allow(
    clippy::expect_used,
    reason = "test set-up failures should stop the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jianguan::storage::{self, EntityFilter, InspectorFilter, Store};

const ENTITIES: u64 = 3_000;

fn demo(data: &Path, extra: &[&str]) -> Output {
    let data = data.to_str().expect("UTF-8 temp path");
    Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args([
            "demo",
            "--data-dir",
            data,
            "--entities",
            &ENTITIES.to_string(),
        ])
        .args(extra)
        .env_remove("JIANGUAN_DATABASE")
        .env_remove("JIANGUAN_DATA")
        .output()
        .expect("run jianguan demo")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// (districts, departments, entities, inspectors) in the demo's database.
fn counts(data: &Path) -> (usize, usize, u64, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let path = storage::default_database(data);
        let db = storage::open(path.to_str().expect("UTF-8 temp path"))
            .await
            .expect("open the demo database");
        let counts = (
            db.districts().await.expect("districts").len(),
            db.departments().await.expect("departments").len(),
            db.count_entities(&EntityFilter::default())
                .await
                .expect("entities"),
            db.count_inspectors(&InspectorFilter::default())
                .await
                .expect("inspectors"),
        );
        db.close().await;
        counts
    })
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn demo_loads_the_city_into_sqlite_draws_from_it_and_reruns_without_duplicates() {
    let scratch =
        Scratch(std::env::temp_dir().join(format!("jianguan-demo-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&scratch.0);
    let data = scratch.0.join("data");

    let first = demo(&data, &["--no-serve"]);
    let out = text(&first);
    assert!(first.status.success(), "{out}");
    assert!(
        out.contains("migrations applied now") && !out.contains(", 0 of "),
        "{out}"
    );
    assert!(
        out.contains(&format!("{ENTITIES} entities ({ENTITIES} new, 0 updated)")),
        "{out}"
    );
    assert!(
        out.contains("3010 inspectors (3010 new, 0 updated)"),
        "{out}"
    );
    assert!(out.contains("verified: conforms"), "{out}");
    assert!(
        !out.contains("web application"),
        "--no-serve prints no serve notice: {out}"
    );
    assert!(
        storage::default_database(&data).is_file(),
        "the SQLite file is in the data folder"
    );
    assert_eq!(counts(&data), (7, 30, ENTITIES, 3_010));

    let record = data.join("demo/round-1.json");
    assert!(record.is_file(), "{out}");
    let verify = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(["verify", record.to_str().expect("UTF-8 temp path")])
        .output()
        .expect("run jianguan verify");
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("conforms"),
        "{}",
        text(&verify)
    );

    let second = demo(&data, &[]);
    let out = text(&second);
    assert!(second.status.success(), "{out}");
    assert!(
        out.contains("already loaded"),
        "the second run reuses the loaded city: {out}"
    );
    assert!(out.contains(", 0 of "), "no migration applied again: {out}");
    assert!(out.contains("verified: conforms"), "{out}");
    assert!(
        out.contains("web application is not part of this build yet"),
        "{out}"
    );
    assert_eq!(
        counts(&data),
        (7, 30, ENTITIES, 3_010),
        "a second run duplicates nothing"
    );
}
