//! 告知承诺 核查 (issue 21): the month's promise-based applications sampled
//! with `jianguan-draw/v1`; the record verifies with `jianguan verify` and
//! the independent tools/verify_record.py unchanged; a 不实 result revokes
//! the approval, lists the applicant as 虚假承诺, and the next promise check
//! refuses. Through the binary (SQLite) and through `service` on both engines.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use serde_json::Value;

use crate::common::{TestResult, contracts, jianguan, unique};
use crate::services::{APPLICATIONS, CATALOGUE, Scratch, at};
use domain::services::{Application, VerificationOutcome};
use service::credit::Checker;
use service::services::{PromiseRules, promise_check};
use service::verification::{self as hc, VerificationRequest};
use storage::credit::CreditStore;
use storage::{Db, WorkflowStore as _};

fn python_verdict(record: &Path) -> Result<(Option<i32>, String), Box<dyn std::error::Error>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verify_record.py");
    let output = Command::new("python3").arg(script).arg(record).output()?;
    Ok((
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

/// `jianguan verify` and the Python verifier both accept the record.
fn both_verifiers_accept(record: &Path) -> TestResult {
    let path = record.to_string_lossy();
    let out = jianguan(&["verify", &path])?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.ends_with("conforms\n"), "{text}");
    let (code, text) = python_verdict(record)?;
    assert_eq!(code, Some(0), "{text}");
    Ok(())
}

#[test]
fn a_false_promise_found_on_verification_is_listed_and_refuses_the_next_promise() -> TestResult {
    let scratch = Scratch::loaded("jianguan_services_verification")?;
    let run = |args: &[&str]| scratch.json(args);
    // 甲 and 丙 promise for M1 in March (乙 is refused: 虚假承诺 in force).
    for applicant in [
        "91420200MA4A0002XJ",
        "91420200MA4A00038J",
        "91420200MA4A00046D",
    ] {
        let (_, code, text) = run(&[
            "services",
            "promise-check",
            "--matter",
            "M1",
            "--applicant",
            applicant,
            "--as-of",
            "2026-03-01",
            "--json",
        ])?;
        assert_eq!(code, Some(0), "{text}");
    }
    // Bad rates and months are bad input.
    let (_, code, _) = run(&[
        "services",
        "verification",
        "commit",
        "HC-2026-03",
        "--month",
        "2026-03",
        "--rate-bp",
        "中=10001",
    ])?;
    assert_eq!(code, Some(2));
    let (_, code, _) = run(&[
        "services",
        "verification",
        "commit",
        "HC-2026-03",
        "--month",
        "2026-13",
    ])?;
    assert_eq!(code, Some(2));
    // February: B7's applicant promised only in March: nothing to check.
    let (_, code, text) = run(&[
        "services",
        "verification",
        "commit",
        "HC-2026-02",
        "--month",
        "2026-02",
    ])?;
    assert_eq!(code, Some(2), "{text}");
    // Every promise-based application of March drawn (中 at 100 %): 甲's B1,
    // B2, B6 and 丙's B8, B10; 乙's B4 is not promise-based.
    let (_, code, text) = run(&[
        "services",
        "verification",
        "commit",
        "HC-2026-03",
        "--month",
        "2026-03",
        "--rate-bp",
        "中=10000",
    ])?;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 matters, 5 promise-based"), "{text}");
    let (_, code, text) = run(&[
        "services",
        "verification",
        "draw",
        "HC-2026-03",
        "--beacon",
        "上证综指 2026-04-01 收盘 3321.45",
        "--witness",
        "市司法局 王明",
    ])?;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("5 selections"), "{text}");
    // Not a 双随机 round: `rounds list` leaves it out; `verify` still accepts it.
    let (_, code, text) = run(&["rounds", "list"])?;
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("HC-2026-03"), "{text}");
    let (_, code, text) = run(&["rounds", "list", "--json"])?;
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("HC-2026-03"), "{text}");
    let (_, code, text) = run(&["services", "verification", "show", "HC-2026-03"])?;
    assert_eq!(code, Some(0), "{text}");
    for id in ["B1", "B2", "B6", "B8", "B10"] {
        assert!(text.contains(&format!("M1\t{id}\t待核查")), "{text}");
    }
    assert!(!text.contains("\tB4\t"), "{text}");
    for public in [false, true] {
        let out = scratch.file(if public { "public.json" } else { "record.json" }, b"")?;
        let mut args = vec![
            "services",
            "verification",
            "export",
            "HC-2026-03",
            "--out",
            &out,
        ];
        if public {
            args.push("--public");
        }
        let (_, code, text) = run(&args)?;
        assert_eq!(code, Some(0), "{text}");
        if !public {
            both_verifiers_accept(Path::new(&out))?;
            let record: Value = serde_json::from_slice(&std::fs::read(&out)?)?;
            assert_eq!(record["protocol"], "jianguan-draw/v1");
        }
    }
    // Results: a bad outcome and an application not drawn are bad input.
    let result = |application: &str, outcome: &str| {
        scratch.json(&[
            "services",
            "verification",
            "result",
            "HC-2026-03",
            "--application",
            application,
            "--outcome",
            outcome,
            "--note",
            "现场核查",
        ])
    };
    assert_eq!(result("B1", "假")?.1, Some(2));
    assert_eq!(result("B4", "属实")?.1, Some(2));
    let (_, code, text) = result("B8", "属实")?;
    assert_eq!(code, Some(0), "{text}");
    let (_, code, text) = result("B1", "不实")?;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("listed 虚假承诺"), "{text}");
    assert_eq!(
        result("B1", "不实")?.1,
        Some(2),
        "one result per application"
    );
    // 甲 is now refused; 丙 (属实) is not.
    let check = |applicant: &str| {
        scratch.json(&[
            "services",
            "promise-check",
            "--matter",
            "M1",
            "--applicant",
            applicant,
            "--json",
        ])
    };
    let (out, _, text) = check("91420200MA4A0002XJ")?;
    assert_eq!(out["allowed"], false, "{text}");
    assert!(
        out["reason"]
            .as_str()
            .is_some_and(|r| r.contains("虚假承诺")),
        "{out}"
    );
    let (out, _, text) = check("91420200MA4A00038J")?;
    assert_eq!(out["allowed"], true, "{text}");
    // The entry is on the credit lists, with its reference.
    let (_, _, lists) = run(&["credit", "entries", "91420200MA4A0002XJ"])?;
    assert!(lists.contains("虚假承诺\t"), "{lists}");
    assert!(lists.contains("告知承诺核查不实：办件 B1"), "{lists}");
    Ok(())
}

/// The same flow through `service` on each engine.
async fn verification_flows_into_credit(db: &Db) -> TestResult {
    let dir = std::env::temp_dir().join(unique("jianguan_verification_engine"));
    std::fs::create_dir_all(&dir)?;
    let catalogue = dir.join("catalogue.csv");
    std::fs::write(&catalogue, CATALOGUE)?;
    let applications = dir.join("applications.csv");
    std::fs::write(&applications, APPLICATIONS)?;
    let calendar = workcal::Calendar::embedded()?;
    let now = domain::clock::now();
    let result = async {
        service::services::import_catalogue(db, &catalogue, "test", now).await?;
        service::services::import_applications(db, &calendar, &applications, "test", now).await?;
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default();
        let checker = Checker {
            actor: "test".into(),
            department: None,
        };
        let rules = PromiseRules::default();
        for applicant in ["91420200MA4A0002XJ", "91420200MA4A00046D"] {
            let decision = promise_check(db, "M1", applicant, day(1), &rules, &checker).await?;
            assert!(decision.allowed, "{decision:?}");
        }
        let mut rates_bp = hc::parse_rates("").map_err(|r| r.to_string())?;
        rates_bp.insert("中".into(), 10_000);
        let request = VerificationRequest {
            id: "HC-1".into(),
            month: day(15),
            rates_bp,
        };
        let secret = draw::Secret::from_bytes([7; 32]);
        let committed = hc::commit(db, &request, &secret, at(day(31), 9), "test").await?;
        assert_eq!(committed.matters["M1"].applications, 4);
        let again = hc::commit(db, &request, &secret, at(day(31), 9), "test").await;
        assert_eq!(again.err().map(|e| e.code()), Some("verification_exists"));
        let round = hc::draw(
            db,
            "HC-1",
            "beacon",
            &["王明".to_owned()],
            at(day(31), 10),
            "test",
        )
        .await?;
        assert_eq!(round.selections, 4);
        // The sampling is written with its round, and is no 双随机 round.
        let (sampling, _) = hc::get(db, "HC-1").await?;
        assert_eq!(sampling.matters.len(), 1);
        let inspection = service::rounds::inspection_rounds(db).await?;
        assert!(inspection.iter().all(|r| r.id != "HC-1"));
        let listed = db
            .page::<domain::inspection::Round>(&storage::DocQuery {
                without_keys_of: Some(<domain::services::Verification as storage::Document>::TABLE),
                limit: 100,
                ..storage::DocQuery::default()
            })
            .await?;
        assert!(listed.rows.iter().all(|r| r.id != "HC-1"));
        assert_eq!(listed.total as usize, listed.rows.len());
        let all = db
            .page::<domain::inspection::Round>(&storage::DocQuery {
                limit: 100,
                ..storage::DocQuery::default()
            })
            .await?;
        assert!(
            all.rows.iter().any(|r| r.id == "HC-1"),
            "still a stored round"
        );
        let record = service::rounds::export(db, "HC-1").await?;
        assert!(draw::verify(&record).is_empty());
        let path = dir.join("record.json");
        std::fs::write(&path, service::rounds::record_bytes(&record)?)?;
        both_verifiers_accept(&path)?;
        let not_drawn = hc::record_result(
            db,
            "HC-1",
            "B3",
            VerificationOutcome::True,
            None,
            now,
            "test",
        )
        .await;
        assert_eq!(not_drawn.err().map(|e| e.code()), Some("not_selected"));
        let done = hc::record_result(
            db,
            "HC-1",
            "B4",
            VerificationOutcome::False,
            Some("场地不符".into()),
            now,
            "test",
        )
        .await?;
        let listed = done.listed.ok_or("no entry written")?;
        assert_eq!(listed.list_type, domain::credit::ListType::FalsePromise);
        let revoked = db.get::<Application>("B4").await?.ok_or("B4 missing")?;
        assert!(revoked.revoked_at.is_some());
        let entries = db
            .credit_entries_of(vec!["91420200MA4A00046D".to_owned()])
            .await?;
        assert_eq!(entries.len(), 1);
        let today = domain::clock::today();
        let decision =
            promise_check(db, "M1", "91420200MA4A00046D", today, &rules, &checker).await?;
        assert!(!decision.allowed, "{decision:?}");
        let decision =
            promise_check(db, "M1", "91420200MA4A0002XJ", today, &rules, &checker).await?;
        assert!(decision.allowed, "{decision:?}");
        TestResult::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A document that cannot be written: its serialisation fails, inside the
/// transaction, after the entry and the first documents were written.
struct Unwritable;

impl serde::Serialize for Unwritable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("refused on purpose"))
    }
}

impl<'de> serde::Deserialize<'de> for Unwritable {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("never stored"))
    }
}

impl storage::Document for Unwritable {
    const TABLE: &'static str = "service_verifications";
    const NOUN: &'static str = "verification";
    const COLUMNS: &'static [&'static str] = &["month"];
    fn key(&self) -> String {
        "HC-X".into()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![Some("2026-03".into())]
    }
}

/// A 不实 result's three writes (the 虚假承诺 entry, the revoked application,
/// the result) are one transaction: a failure in the last leaves none.
async fn a_false_result_is_written_whole_or_not_at_all(db: &Db) -> TestResult {
    let dir = std::env::temp_dir().join(unique("jianguan_verification_atomic"));
    std::fs::create_dir_all(&dir)?;
    let catalogue = dir.join("catalogue.csv");
    std::fs::write(&catalogue, CATALOGUE)?;
    let applications = dir.join("applications.csv");
    std::fs::write(&applications, APPLICATIONS)?;
    let calendar = workcal::Calendar::embedded()?;
    let now = domain::clock::now();
    let result = async {
        service::services::import_catalogue(db, &catalogue, "test", now).await?;
        service::services::import_applications(db, &calendar, &applications, "test", now).await?;
        let mut application = db.get::<Application>("B4").await?.ok_or("B4 missing")?;
        let subject = application.applicant.as_str().to_owned();
        let entry = domain::credit::CreditEntry {
            subject: application.applicant,
            subject_name: application.applicant_name.clone(),
            list_type: domain::credit::ListType::FalsePromise,
            listed_on: now.date_naive(),
            valid_until: None,
            removed_on: None,
            authority: application.department.clone(),
            reason: "告知承诺核查不实".into(),
            ref_no: "HC-X/B4".into(),
            severity: Some(domain::credit::Severity::Ordinary),
            decided_on: None,
            source: "test".into(),
            details: None,
        };
        application.revoked_at = Some(now);
        let change =
            storage::Change::new(now, "test", "services.application.revoked", String::new());
        let failed = db
            .upsert_credit_entries_with(
                vec![entry.clone()],
                (std::slice::from_ref(&application), &change),
                (&[Unwritable], &change),
            )
            .await;
        assert!(failed.is_err(), "the unwritable document fails");
        assert!(
            db.credit_entries_of(vec![subject.clone()])
                .await?
                .is_empty()
        );
        let stored = db.get::<Application>("B4").await?.ok_or("B4 missing")?;
        assert!(
            stored.revoked_at.is_none(),
            "the application was rolled back"
        );
        db.upsert_credit_entries_with(
            vec![entry],
            (std::slice::from_ref(&application), &change),
            (&[] as &[Application], &change),
        )
        .await?;
        assert_eq!(db.credit_entries_of(vec![subject]).await?.len(), 1);
        let stored = db.get::<Application>("B4").await?.ok_or("B4 missing")?;
        assert!(stored.revoked_at.is_some());
        TestResult::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

contracts!(
    "services_verification";
    verification_flows_into_credit,
    a_false_result_is_written_whole_or_not_at_all,
);
