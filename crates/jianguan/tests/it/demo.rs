//! `jianguan demo` at a small scale on embedded SQLite: the city is loaded into
//! the database in the data folder, the round is drawn from it, published and
//! verified; a second run reuses the loaded city without duplicating rows.
//! The loaded city has the mix: statuses, risk classes, expired
//! certificates, the item list (158 / 323), the joint list (58 / 103 over 30
//! departments) and recusals, scaled with the entities where it should be.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test set-up failures should stop the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use std::collections::HashSet;

use domain::entity::{CreditClass, EntityStatus};
use storage::{self, ClassFilter, Db, EntityFilter, InspectorFilter, Store};

/// Huangshi's 403,000 entities at `--scale 0.01`.
const ENTITIES: u64 = 4_030;

fn demo(data: &Path, extra: &[&str]) -> Output {
    let data = data.to_str().expect("UTF-8 temp path");
    Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(["demo", "--data-dir", data, "--scale", "0.01"])
        .args(extra)
        .env_remove("JIANGUAN_DATABASE")
        .env_remove("JIANGUAN_DATA")
        .output()
        .expect("run jianguan demo")
}

/// Runs the demo without `--no-serve` on port 0: reads its output until it
/// listens, asks `/healthz`, stops it with SIGTERM; returns the whole output
/// and the health answer.
fn demo_then_serve(data: &Path) -> (String, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args([
            "demo",
            "--scale",
            "0.01",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data)
        .env_remove("JIANGUAN_DATABASE")
        .env_remove("JIANGUAN_DATA")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run jianguan demo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut out = String::new();
    let mut base = None;
    for line in lines.by_ref().map_while(Result::ok) {
        out.push_str(&line);
        out.push('\n');
        if let Some((_, address)) = line.split_once("listening on ") {
            base = Some(address.trim().to_owned());
            break;
        }
    }
    let base = base.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the demo did not start the web application: {out}")
    });
    let health = ureq::get(&format!("{base}/healthz"))
        .call()
        .map(|mut answer| answer.body_mut().read_to_string().unwrap_or_default())
        .unwrap_or_else(|e| format!("{e}"));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    for line in lines.map_while(Result::ok) {
        out.push_str(&line);
        out.push('\n');
    }
    let status = child.wait().expect("wait for the demo");
    assert!(status.success(), "{status:?}: {out}");
    (out, health)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `read` run on the demo's database.
fn read_db<T>(data: &Path, read: impl AsyncFnOnce(&Db) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let path = storage::default_database(data);
        let db = storage::open(path.to_str().expect("UTF-8 temp path"))
            .await
            .expect("open the demo database");
        let result = read(&db).await;
        db.close().await;
        result
    })
}

/// (districts, departments, entities, inspectors) in the demo's database.
fn counts(data: &Path) -> (usize, usize, u64, u64) {
    read_db(data, async |db| {
        (
            db.districts().await.expect("districts").len(),
            db.departments().await.expect("departments").len(),
            db.count_entities(&EntityFilter::default())
                .await
                .expect("entities"),
            db.count_inspectors(&InspectorFilter::default())
                .await
                .expect("inspectors"),
        )
    })
}

/// What the demo loaded, read back from its database.
#[derive(Debug)]
struct Contents {
    /// Entities per status: 存续, 注销, 吊销, 迁出.
    statuses: Vec<u64>,
    /// Entities per credit-risk class A–D.
    classes: Vec<u64>,
    /// 个体工商户.
    individual: u64,
    /// Inspectors whose certificate is not valid on the round's date.
    expired: u64,
    /// (categories, items) of the item list.
    items: (usize, usize),
    /// (fields, items, departments) of the joint list.
    joint: (usize, usize, usize),
    /// Every joint item's legal basis cites a law by article.
    joint_bases_cite_articles: bool,
    /// Departments by official name, e.g. 黄石市市场监督管理局.
    departments: Vec<String>,
    recusals: u64,
    /// Distinct recusal reasons.
    reasons: usize,
}

fn contents(data: &Path) -> Contents {
    read_db(data, async |db| {
        let mut statuses = Vec::new();
        for &status in EntityStatus::ALL {
            let filter = EntityFilter {
                status: Some(status),
                ..EntityFilter::default()
            };
            statuses.push(db.count_entities(&filter).await.expect("count"));
        }
        let mut classes = Vec::new();
        for &class in CreditClass::ALL {
            let filter = EntityFilter {
                credit_class: Some(ClassFilter::Class(class)),
                ..EntityFilter::default()
            };
            classes.push(db.count_entities(&filter).await.expect("count"));
        }
        let individual = db
            .count_entities(&EntityFilter {
                entity_type: Some(domain::entity::EntityType::IndividualBusiness),
                ..EntityFilter::default()
            })
            .await
            .expect("count");
        let certified = db
            .count_inspectors(&InspectorFilter {
                certified_on: chrono::NaiveDate::from_ymd_opt(2022, 6, 28),
                ..InspectorFilter::default()
            })
            .await
            .expect("count");
        let total = db
            .count_inspectors(&InspectorFilter::default())
            .await
            .expect("count");
        let items = db.items(None).await.expect("items");
        let categories: HashSet<&str> = items.iter().map(|i| i.category.as_str()).collect();
        let joint = db.joint_items(None).await.expect("joint items");
        let fields: HashSet<&str> = joint.iter().map(|i| i.field.as_str()).collect();
        let departments: HashSet<&str> = joint
            .iter()
            .flat_map(|i| i.departments().map(|d| d.as_str()))
            .collect();
        let page = storage::PageRequest::first(storage::MAX_PAGE);
        let recusals = db.recusals(&page).await.expect("recusals").items;
        let reasons: HashSet<&str> = recusals.iter().map(|r| r.reason()).collect();
        Contents {
            statuses,
            classes,
            individual,
            expired: total - certified,
            items: (categories.len(), items.len()),
            joint: (fields.len(), joint.len(), departments.len()),
            joint_bases_cite_articles: joint
                .iter()
                .all(|i| i.legal_basis.starts_with('《') && i.legal_basis.ends_with('条')),
            departments: db
                .departments()
                .await
                .expect("departments")
                .iter()
                .map(|d| d.name().to_owned())
                .collect(),
            recusals: db.count_recusals().await.expect("recusals"),
            reasons: reasons.len(),
        }
    })
}

/// Asserts the loaded city has the mix.
fn assert_city_mix(contents: &Contents) {
    assert_eq!(
        contents.statuses.iter().sum::<u64>(),
        ENTITIES,
        "{contents:?}"
    );
    // Mostly 存续 (90 %), some of each of the others.
    assert!(contents.statuses[0] * 100 >= ENTITIES * 85, "{contents:?}");
    assert!(
        contents.statuses[1..].iter().all(|&n| n > 0),
        "{contents:?}"
    );
    // A 20 %, B 55 %, C 20 %, D 5 %, each within 3 points.
    for (count, percent) in contents.classes.iter().zip([20u64, 55, 20, 5]) {
        assert!(
            (count * 100).abs_diff(percent * ENTITIES) <= 3 * ENTITIES,
            "risk mix {:?}",
            contents.classes
        );
    }
    // About 70 % 个体工商户.
    assert!(
        (contents.individual * 100).abs_diff(70 * ENTITIES) <= 4 * ENTITIES,
        "{contents:?}"
    );
    // Some certificates expired (about 4 % of 3,010), most valid.
    assert!((30..300).contains(&contents.expired), "{contents:?}");
    // Thirty departments with their official names.
    assert_eq!(contents.departments.len(), 30, "{contents:?}");
    for name in [
        "黄石市市场监督管理局",
        "黄石市应急管理局",
        "国家税务总局黄石市税务局",
        "黄石海关",
    ] {
        assert!(
            contents.departments.iter().any(|d| d == name),
            "{name} in {contents:?}"
        );
    }
    // Exactly Huangshi's lists, whatever the scale.
    assert_eq!(contents.items, (158, 323), "{contents:?}");
    assert_eq!(contents.joint, (58, 103, 30), "{contents:?}");
    assert!(contents.joint_bases_cite_articles, "{contents:?}");
    // One recusal per thousand entities: 4 at this scale, 403 at full scale.
    assert_eq!(contents.recusals, 4, "{contents:?}");
    assert!(contents.reasons >= 2, "{contents:?}");
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The government services (issue 21): the services line, the KPI workbook,
/// the catalogue's figures, the year's KPIs and the 核查 with its one 不实,
/// read back from the database.
fn assert_services(data: &Path, out: &str) {
    for line in [
        "政务服务 services: 1845 matters (364 一窗, 521 一证, 272 可承诺 proofs); 248 licence types, 2000 licences signed",
        "(2000 new); 2000 applications of 2025 (2000 new;",
        "1 不实 (listed 虚假承诺; next promise check refused); 10 live files at the window",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
    assert!(data.join("demo/services-kpi-2025.xlsx").is_file(), "{out}");
    let (matters, kpi, false_promises) = read_db(data, async |db| {
        let matters = service::services::search_matters(db, "", 10_000)
            .await
            .expect("matters");
        let as_of =
            chrono::DateTime::parse_from_rfc3339("2026-03-31T18:00:00+08:00").expect("as of");
        let query = service::services::ServiceKpiQuery {
            from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("day"),
            to: chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("day"),
            department: None,
            as_of,
        };
        let kpi = service::services::kpi(db, &query).await.expect("kpi");
        let (check, _) = service::verification::get(db, "HC-2025-11")
            .await
            .expect("the 核查");
        let false_promises = check
            .results
            .values()
            .filter(|r| r.outcome == domain::services::VerificationOutcome::False)
            .count();
        (matters, kpi, false_promises)
    });
    assert_eq!(matters.len(), 1_845);
    let current = |test: fn(&domain::services::Matter) -> bool| {
        matters
            .iter()
            .filter_map(|m| m.current())
            .filter(|v| test(&v.matter))
            .count()
    };
    assert_eq!(current(|m| m.one_window), 364);
    assert_eq!(current(|m| m.one_licence), 521);
    assert_eq!(current(domain::services::Matter::allows_promise), 272);
    assert_eq!(kpi.applications, 2_000, "{kpi:?}");
    let rate = |r: Option<domain::services::Rate>| r.expect("a rate").to_fixed();
    let on_time: f64 = rate(kpi.on_time_rate).parse().expect("a number");
    let good: f64 = rate(kpi.good_rate).parse().expect("a number");
    assert!((0.9..1.0).contains(&on_time), "a few late: {kpi:?}");
    assert!((0.9..1.0).contains(&good), "a few 差评: {kpi:?}");
    assert!(kpi.bad_reviews > 0, "{kpi:?}");
    assert_eq!(false_promises, 1);
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
        !out.contains("listening on"),
        "--no-serve does not start the web application: {out}"
    );
    assert!(
        storage::default_database(&data).is_file(),
        "the SQLite file is in the data folder"
    );
    assert_eq!(counts(&data), (7, 30, ENTITIES, 3_010));
    assert_city_mix(&contents(&data));
    for line in [
        "登记状态 statuses: 存续 ",
        "信用风险分类 risk classes: A ",
        "item list: 158 categories, 323 items; joint list: 58 fields, 103 items, 30 departments",
        "回避关系 recusals: 4",
        "323 items (323 new, 0 updated), 103 joint items (103 new, 0 updated), 4 recusals (4 new, 0 updated)",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
    // The year: 156 plans through their life cycle, four quarterly rounds,
    // each record exported and conforming, the ledger intact, the annual report.
    for line in [
        "计划 plans: 156 created, filed, approved and published (88 joint)",
        "批次 round 2025-Q1:",
        "批次 round 2025-Q4:",
        "1 flagged to the Justice Bureau",
        "留痕 audit ledger: intact",
        "考评 黄石市 2025年度",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
    for quarter in 1..=4 {
        let record = data.join(format!("demo/round-2025-Q{quarter}.json"));
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
        let public = data.join(format!("demo/round-2025-Q{quarter}-public.json"));
        let verify = Command::new(env!("CARGO_BIN_EXE_jianguan"))
            .args([
                "verify",
                public.to_str().expect("UTF-8 temp path"),
                "--full",
                record.to_str().expect("UTF-8 temp path"),
            ])
            .output()
            .expect("run jianguan verify");
        assert!(verify.status.success(), "{}", text(&verify));
        assert!(
            String::from_utf8_lossy(&verify.stdout).contains("5. full record"),
            "{}",
            text(&verify)
        );
    }
    assert!(data.join("demo/report-2025-annual.xlsx").is_file(), "{out}");
    assert_services(&data, &out);
    let database = storage::default_database(&data);
    let rounds = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args([
            "rounds",
            "--database",
            database.to_str().expect("UTF-8 temp path"),
            "list",
            "--json",
        ])
        .output()
        .expect("run jianguan rounds list");
    assert!(rounds.status.success(), "{}", text(&rounds));
    let listed: serde_json::Value =
        serde_json::from_slice(&rounds.stdout).expect("rounds list --json");
    let listed = listed.as_array().expect("an array of rounds");
    assert_eq!(listed.len(), 4, "{listed:?}");
    for round in listed {
        assert_eq!(round["status"], "已公开", "{round}");
        assert!(
            round["visits"].as_u64() <= round["selections"].as_u64(),
            "{round}"
        );
        assert!(round["visits"].as_u64() > Some(0), "{round}");
    }

    // The second run ends in the web application: it answers, then stops on SIGTERM.
    let (out, health) = demo_then_serve(&data);
    assert!(
        out.contains("already loaded"),
        "the second run reuses the loaded city: {out}"
    );
    assert!(out.contains(", 0 of "), "no migration applied again: {out}");
    assert!(
        out.contains("workflow year is already in the database (156 plans)"),
        "{out}"
    );
    assert!(
        out.contains("verified: conforms") && out.contains("audit ledger: intact"),
        "{out}"
    );
    assert!(
        out.contains("演示账号 demo accounts") && out.contains("scjg.inspector"),
        "{out}"
    );
    assert!(
        out.contains("2000 applications of 2025 (0 new;")
            && out.contains("HC-2025-11 drawn already"),
        "a second run adds no service data: {out}"
    );
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    assert!(out.contains("stopped"), "a graceful stop: {out}");
    assert_eq!(
        counts(&data),
        (7, 30, ENTITIES, 3_010),
        "a second run duplicates nothing"
    );
    assert_city_mix(&contents(&data));
}
