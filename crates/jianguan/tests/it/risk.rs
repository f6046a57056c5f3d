//! Credit-risk classification and the personal credit score.
//!
//! - The model on hand-built facts: each indicator moves the score by what the
//!   model says; the thresholds at their edges; the score is monotone in
//!   penalties (proptest).
//! - Classification as a contract on SQLite and PostgreSQL: a small directory
//!   whose entities each exercise one indicator, classified once; the class
//!   written to the directory, each explanation, the one ledger document, the
//!   audit still intact, and a second run changing nothing.
//! - The personal score: its explanation sums to the score, the query is
//!   logged, a query without a purpose is refused and not logged.

use crate::common;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone as _};
use domain::credit::{CreditEntry, ListType, Severity, Subject};
use domain::entity::{CreditClass, EntityFields, EntityStatus, EntityType, MarketEntity};
use domain::idcard::check_character;
use domain::inspection::{
    FollowUp, InspectionResult, OutOfPlan, OutOfPlanReason, ResultCategory, ResultStatus,
};
use domain::item::CheckMethod;
use domain::org::{Department, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode};
use domain::personal_score::ScoreModel;
use domain::risk::{ReportState, RiskFacts, RiskModel, Thresholds};
use domain::uscc::Uscc;
use proptest::prelude::*;
use service::{self, audit, risk};
use storage::credit::CreditStore;
use storage::risk::RiskStore;
use storage::{Change, Db, Store, WorkflowStore};

use common::{TestResult, contracts};

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn date(y: i32, m: u32, d: u32) -> Fallible<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("bad date {y}-{m}-{d}").into())
}

fn at(y: i32, m: u32, d: u32) -> Fallible<DateTime<FixedOffset>> {
    service::china()
        .with_ymd_and_hms(y, m, d, 10, 0, 0)
        .single()
        .ok_or_else(|| format!("bad time {y}-{m}-{d}").into())
}

// ---------------------------------------------------------------- the model

/// A model whose indicators all give different points, so each is told apart.
fn distinct_model() -> RiskModel {
    let mut model = RiskModel::default();
    model.registration_age.bands[0].points = 101;
    model.registration_age.otherwise = 0;
    model.annual_report.late = 7;
    model.annual_report.missing = 13;
    model.abnormal.points = 17;
    model.penalties.each = 19;
    model.penalties.max = 38;
    model.blacklist.points = 23;
    model.redlist.points = -29;
    model.inspections.problem_each = 31;
    model.inspections.problem_max = 31;
    model.inspections.clean = -37;
    model.complaints.each = 41;
    model.complaints.max = 1000;
    model
}

#[test]
fn each_indicator_moves_the_score_by_its_points() {
    let model = distinct_model();
    let old = RiskFacts {
        age_months: 400,
        annual_report: ReportState::OnTime,
        report_year: Some(2025),
        ..RiskFacts::default()
    };
    let base = model.assess(&old).score;
    assert_eq!(base, 0);
    let cases: Vec<(RiskFacts, i64)> = vec![
        (
            RiskFacts {
                age_months: 3,
                ..old
            },
            101,
        ),
        (
            RiskFacts {
                annual_report: ReportState::Late,
                ..old
            },
            7,
        ),
        (
            RiskFacts {
                annual_report: ReportState::Missing,
                ..old
            },
            13,
        ),
        (
            RiskFacts {
                abnormal: true,
                ..old
            },
            17,
        ),
        (
            RiskFacts {
                penalties: 1,
                ..old
            },
            19,
        ),
        (
            RiskFacts {
                penalties: 5,
                ..old
            },
            38,
        ),
        (
            RiskFacts {
                blacklisted: true,
                ..old
            },
            23,
        ),
        (
            RiskFacts {
                redlisted: true,
                ..old
            },
            -29,
        ),
        (
            RiskFacts {
                problems_found: 2,
                clean_results: 4,
                ..old
            },
            31,
        ),
        (
            RiskFacts {
                clean_results: 1,
                ..old
            },
            -37,
        ),
        (
            RiskFacts {
                complaints: 2,
                ..old
            },
            82,
        ),
    ];
    for (facts, points) in cases {
        let assessment = model.assess(&facts);
        assert_eq!(assessment.score - base, points, "{facts:?}");
        assert_eq!(
            assessment.lines.iter().map(|l| l.points).sum::<i64>(),
            assessment.score
        );
    }
}

#[test]
fn thresholds_hold_at_their_edges() {
    let thresholds = Thresholds { b: 5, c: 25, d: 50 };
    for (score, class) in [
        (-100, CreditClass::A),
        (4, CreditClass::A),
        (5, CreditClass::B),
        (24, CreditClass::B),
        (25, CreditClass::C),
        (49, CreditClass::C),
        (50, CreditClass::D),
        (1000, CreditClass::D),
    ] {
        assert_eq!(thresholds.class_of(score), class, "score {score}");
    }
    // The default model: an established clean entity is A, a young one B, the blacklist D.
    let model = RiskModel::default();
    let clean = RiskFacts {
        age_months: 200,
        annual_report: ReportState::OnTime,
        ..RiskFacts::default()
    };
    assert_eq!(model.assess(&clean).class, CreditClass::A);
    assert_eq!(
        model
            .assess(&RiskFacts {
                age_months: 119,
                ..clean
            })
            .class,
        CreditClass::B
    );
    assert_eq!(
        model
            .assess(&RiskFacts {
                blacklisted: true,
                ..clean
            })
            .class,
        CreditClass::D
    );
    // Just below and at the C threshold: 5 (age) + 10 (late) + 5 (complaint) = 20; + 5 = 25.
    let edge = RiskFacts {
        age_months: 60,
        annual_report: ReportState::Late,
        complaints: 1,
        ..clean
    };
    assert_eq!(model.assess(&edge).score, 20);
    assert_eq!(model.assess(&edge).class, CreditClass::B);
    let over = RiskFacts {
        complaints: 2,
        ..edge
    };
    assert_eq!(
        (model.assess(&over).score, model.assess(&over).class),
        (25, CreditClass::C)
    );
}

fn any_facts() -> impl Strategy<Value = RiskFacts> {
    (
        0u32..400,
        0usize..4,
        any::<[bool; 3]>(),
        0u32..6,
        0u32..6,
        0u32..6,
        0u32..6,
    )
        .prop_map(
            |(age, report, [abnormal, black, red], penalties, problems, clean, complaints)| {
                RiskFacts {
                    age_months: age,
                    annual_report: [
                        ReportState::NotDue,
                        ReportState::OnTime,
                        ReportState::Late,
                        ReportState::Missing,
                    ][report],
                    report_year: Some(2025),
                    abnormal,
                    penalties,
                    blacklisted: black,
                    redlisted: red,
                    problems_found: problems,
                    clean_results: clean,
                    complaints,
                }
            },
        )
}

proptest! {
    #[test]
    fn the_score_is_monotone_in_penalties(facts in any_facts(), more in 1u32..10) {
        let model = RiskModel::default();
        let fewer = model.assess(&facts);
        let worse = model.assess(&RiskFacts { penalties: facts.penalties + more, ..facts });
        prop_assert!(worse.score >= fewer.score);
        prop_assert!(worse.class >= fewer.class);
        prop_assert_eq!(worse.lines.iter().map(|l| l.points).sum::<i64>(), worse.score);
    }
}

// ---------------------------------------------------------------- classification on both backends

contracts!(
    "risk";
    classification_writes_classes_explanations_and_one_ledger_entry,
    the_personal_score_is_explained_and_every_query_logged,
);

const AS_OF: (i32, u32, u32) = (2026, 11, 1);

fn as_of() -> Fallible<NaiveDate> {
    date(AS_OF.0, AS_OF.1, AS_OF.2)
}

fn uscc(i: u32) -> String {
    Uscc::from_body(&format!("91420202{i:08}"))
        .map_or_else(|_| String::new(), |u| u.as_str().to_owned())
}

fn entity(i: u32, registered_on: NaiveDate) -> Fallible<MarketEntity> {
    Ok(MarketEntity::new(EntityFields {
        uscc: Uscc::parse(&uscc(i))?,
        name: format!("黄石市{i}号风险测试有限公司"),
        entity_type: EntityType::Enterprise.into(),
        district: DistrictCode::parse("420202")?,
        industry: None,
        registered_on,
        status: EntityStatus::Active,
        address: None,
        legal_representative: None,
        special_pools: Vec::new(),
        tags: Vec::new(),
        credit: None,
    })?)
}

fn entry(subject: &str, list_type: ListType, listed_on: NaiveDate) -> Fallible<CreditEntry> {
    Ok(CreditEntry {
        subject: Subject::parse(subject)?.0,
        subject_name: "测试主体".into(),
        list_type,
        listed_on,
        valid_until: None,
        removed_on: None,
        authority: "黄石市市场监督管理局".into(),
        reason: "测试".into(),
        ref_no: format!("黄市监〔{listed_on}〕1号"),
        severity: None,
        decided_on: None,
        source: "test".into(),
        details: None,
    })
}

fn result(
    i: u32,
    n: u32,
    category: ResultCategory,
    check_end: NaiveDate,
    corrects: Option<String>,
) -> Fallible<InspectionResult> {
    Ok(InspectionResult {
        id: format!("T/{}/{n}", uscc(i)),
        visit: None,
        out_of_plan: None,
        entity: uscc(i),
        department: "SCJG".into(),
        plan: None,
        item: "SCJG-001-1".into(),
        category,
        method: CheckMethod::OnSite,
        follow_up: FollowUp::None,
        check_start: check_end,
        check_end,
        inspectors: Vec::new(),
        note: String::new(),
        publish_due: check_end,
        status: ResultStatus::Published,
        published_on: Some(check_end),
        corrects,
        entered_by: "test".into(),
        entered_at: at(2026, 1, 2)?,
    })
}

/// Entity `i`, its facts, and the class and score the default model gives on 2026-11-01.
struct Case {
    i: u32,
    class: Option<CreditClass>,
    score: i64,
}

/// Loads the directory: each entity exercises one indicator (see `cases`).
async fn load(db: &Db) -> Fallible<Vec<Case>> {
    db.upsert_departments(&[Department::new(DepartmentFields::new(
        DepartmentCode::parse("SCJG")?,
        "黄石市市场监督管理局",
        DepartmentLevel::City,
        None,
    ))?])
    .await?;
    let old = date(2010, 1, 1)?;
    let registered = [
        (1, old),
        (2, date(2026, 5, 1)?),
        (3, date(2015, 1, 1)?),
        (4, old),
        (5, old),
        (6, date(2020, 6, 1)?),
        (7, old),
        (8, date(2026, 12, 1)?),
        (9, old),
        (10, old),
        (11, old),
    ];
    let entities = registered
        .iter()
        .map(|&(i, on)| entity(i, on))
        .collect::<Fallible<Vec<_>>>()?;
    db.upsert_entities(&entities).await?;
    // Annual reports for 2025 (due by 2026-06-30): all on time but 3 (missing) and 11 (late).
    let reports = [1, 4, 5, 6, 7, 9, 10]
        .iter()
        .map(|&i| Ok((uscc(i), 2025, date(2026, 3, 1)?)))
        .chain([Ok((uscc(11), 2025, date(2026, 7, 15)?))])
        .collect::<Fallible<Vec<_>>>()?;
    db.upsert_annual_reports(reports).await?;
    let mut repaired = entry(&uscc(9), ListType::Penalty, date(2025, 5, 1)?)?;
    repaired.removed_on = Some(date(2026, 2, 1)?);
    let mut expired = entry(&uscc(4), ListType::Blacklist, date(2020, 1, 1)?)?;
    expired.valid_until = Some(date(2023, 1, 1)?);
    let entries = vec![
        entry(&uscc(3), ListType::Penalty, date(2025, 3, 1)?)?,
        entry(&uscc(4), ListType::Abnormal, date(2025, 8, 1)?)?,
        expired,
        entry(&uscc(5), ListType::Blacklist, date(2026, 1, 1)?)?,
        entry(&uscc(6), ListType::Redlist, date(2026, 2, 1)?)?,
        repaired,
        // Older than 36 months: does not count.
        entry(&uscc(9), ListType::Penalty, date(2023, 10, 31)?)?,
        // Listed after the as-of date: does not count yet.
        entry(&uscc(1), ListType::Blacklist, date(2026, 11, 2)?)?,
    ];
    db.upsert_credit_entries(entries).await?;
    let change = Change::new(at(2026, 1, 2)?, "test", "test.loaded", "");
    let original = result(
        10,
        1,
        ResultCategory::PendingFollowUp,
        date(2026, 1, 10)?,
        None,
    )?;
    let correction = result(
        10,
        2,
        ResultCategory::NoProblem,
        date(2026, 1, 10)?,
        Some(original.id.clone()),
    )?;
    db.put(
        &[
            result(
                7,
                1,
                ResultCategory::PendingFollowUp,
                date(2026, 1, 10)?,
                None,
            )?,
            // Outside the 36-month window.
            result(
                7,
                2,
                ResultCategory::FalseDisclosure,
                date(2023, 10, 1)?,
                None,
            )?,
            original,
            correction,
        ],
        &change,
    )
    .await?;
    db.put(
        &[OutOfPlan {
            id: "SCJG-JWJ-2026-0001".into(),
            entity: uscc(7),
            department: "SCJG".into(),
            reason: OutOfPlanReason::Complaint,
            detail: "12345 投诉".into(),
            work_order: Some("GD0001".into()),
            inspected_on: date(2026, 9, 1)?,
            inspectors: Vec::new(),
            flagged: false,
            registered_by: "test".into(),
            registered_at: at(2026, 9, 1)?,
        }],
        &change,
    )
    .await?;
    let case = |i, class, score| Case { i, class, score };
    Ok(vec![
        case(1, Some(CreditClass::A), 0),
        // 6 months old: 20.
        case(2, Some(CreditClass::B), 20),
        // 141 months, report missing 20, one penalty 10.
        case(3, Some(CreditClass::C), 30),
        // Abnormal 30 (the expired blacklist entry does not count).
        case(4, Some(CreditClass::C), 30),
        case(5, Some(CreditClass::D), 60),
        // 77 months 5, red list −20.
        case(6, Some(CreditClass::A), -15),
        // One problem in the window 10, one complaint 5.
        case(7, Some(CreditClass::B), 15),
        // Registered after the as-of date.
        case(8, None, 0),
        // The repaired penalty and the old one do not count.
        case(9, Some(CreditClass::A), 0),
        // The problem was corrected to no problem: clean −5.
        case(10, Some(CreditClass::A), -5),
        // Late report 10.
        case(11, Some(CreditClass::B), 10),
    ])
}

async fn classification_writes_classes_explanations_and_one_ledger_entry(db: &Db) -> TestResult {
    let cases = load(db).await?;
    let (ledger_before, _) = db.ledger_head().await?;
    let run = risk::classify(
        db,
        &RiskModel::default(),
        as_of()?,
        at(2026, 11, 2)?,
        "tester",
    )
    .await?;
    assert_eq!(
        (run.counts.a, run.counts.b, run.counts.c, run.counts.d),
        (4, 3, 2, 1)
    );
    assert_eq!((run.skipped, run.changed, run.rows), (1, 10, 11));
    assert_eq!(run.sha256, RiskModel::default().digest());
    for case in &cases {
        let stored = db
            .entity(&Uscc::parse(&uscc(case.i))?)
            .await?
            .ok_or("entity missing")?;
        assert_eq!(
            stored.credit.map(|c| c.class),
            case.class,
            "entity {}",
            case.i
        );
        let explanation = risk::explain(db, &uscc(case.i)).await?;
        match (case.class, explanation) {
            (None, None) => {}
            (Some(class), Some(explanation)) => {
                assert_eq!(
                    (explanation.class, explanation.score),
                    (class, case.score),
                    "entity {}",
                    case.i
                );
                assert_eq!(
                    explanation.indicators.iter().map(|l| l.points).sum::<i64>(),
                    case.score
                );
                assert_eq!(explanation.indicators.len(), 8);
                assert_eq!(explanation.run, run.id);
                assert_eq!(explanation.classified_on, as_of()?);
                assert_eq!(stored.credit.map(|c| c.set_on), Some(as_of()?));
            }
            (class, explanation) => {
                return Err(format!("entity {}: {class:?} vs {explanation:?}", case.i).into());
            }
        }
    }
    let ledger = db.ledger().await?;
    let added: Vec<_> = ledger.iter().filter(|e| e.seq > ledger_before).collect();
    assert_eq!(added.len(), 1, "one ledger document per run");
    assert_eq!(added[0].action, risk::CLASSIFIED);
    assert_eq!(added[0].subject_table, "credit_runs");
    assert!(added[0].detail.contains(&run.sha256));
    let audit = audit::verify(db).await?;
    assert!(audit.intact(), "{:?}", audit.breaks);
    assert_eq!(
        db.latest_classification().await?.map(|r| r.id),
        Some(run.id.clone())
    );
    let (counts, unclassified) = db.class_distribution().await?;
    assert_eq!((counts, unclassified), (run.counts, 1));

    // Again, later: nothing changes class, the date of the class stays.
    let again = risk::classify(
        db,
        &RiskModel::default(),
        as_of()?,
        at(2026, 11, 3)?,
        "tester",
    )
    .await?;
    assert_eq!(again.changed, 0);
    assert_ne!(again.id, run.id);
    assert_eq!(
        db.latest_classification().await?.map(|r| r.id),
        Some(again.id)
    );
    // A stricter model moves entities 2 (20 points) and 7 (15) into C.
    let mut strict = RiskModel::default();
    strict.thresholds.c = 15;
    let strict_run = risk::classify(db, &strict, as_of()?, at(2026, 11, 4)?, "tester").await?;
    assert_eq!(strict_run.changed, 2);
    let seven = risk::explain(db, &uscc(7)).await?.ok_or("no explanation")?;
    assert_eq!((seven.class, seven.thresholds.c), (CreditClass::C, 15));
    assert!(audit::verify(db).await?.intact());
    Ok(())
}

/// A valid 身份证号码 with this birth date and sequence.
fn id_number(birth: &str, sequence: &str) -> String {
    let body = format!("420202{birth}{sequence}");
    format!("{body}{}", char::from(check_character(body.as_bytes())))
}

async fn the_personal_score_is_explained_and_every_query_logged(db: &Db) -> TestResult {
    let person = id_number("19800101", "001");
    let mut penalty = entry(&person, ListType::Penalty, date(2025, 6, 1)?)?;
    penalty.severity = Some(Severity::Ordinary);
    db.upsert_credit_entries(vec![
        entry(&person, ListType::Redlist, date(2026, 1, 1)?)?,
        penalty,
    ])
    .await?;
    let model = ScoreModel::default();
    let report = risk::personal_score(
        db,
        &model,
        &person,
        "评优评先资格审查",
        as_of()?,
        at(2026, 11, 2)?,
        "credit.office",
    )
    .await?;
    // 500 + 30 (identity) + 80 (red list) − 40 (an ordinary penalty; no clean history).
    assert_eq!(
        (report.score.score, report.score.level.as_str()),
        (570, "良好")
    );
    let sum: i64 = report.score.lines.iter().map(|l| l.points).sum();
    assert_eq!(
        report.score.base + sum + report.score.clamp,
        report.score.score
    );
    assert_eq!(report.entries, 2);
    assert!(
        !report.person.contains("19800101"),
        "the id is masked: {}",
        report.person
    );
    let log = db.access_log(Some(&person), 10).await?;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].actor.as_str(),
            log[0].purpose.as_str(),
            log[0].what.as_str()
        ),
        ("credit.office", "评优评先资格审查", risk::SCORE_ACCESS)
    );

    // No purpose: refused, and nothing read or logged.
    let refused = risk::personal_score(
        db,
        &model,
        &person,
        "  ",
        as_of()?,
        at(2026, 11, 2)?,
        "credit.office",
    )
    .await;
    assert!(refused.is_err());
    assert_eq!(db.access_log(Some(&person), 10).await?.len(), 1);

    // A clean person: 580 (良好); the black list: clamped and explained.
    let clean = id_number("19900101", "002");
    let clean_report =
        risk::personal_score(db, &model, &clean, "测试", as_of()?, at(2026, 11, 2)?, "t").await?;
    assert_eq!(clean_report.score.score, 580);
    let mut harsh = model.clone();
    for rule in &mut harsh.rules {
        if rule.code == "blacklist_current" {
            rule.points = -2000;
            rule.max = None;
        }
    }
    let listed = id_number("19700101", "003");
    db.upsert_credit_entries(vec![entry(
        &listed,
        ListType::Blacklist,
        date(2026, 3, 1)?,
    )?])
    .await?;
    let low =
        risk::personal_score(db, &harsh, &listed, "测试", as_of()?, at(2026, 11, 2)?, "t").await?;
    assert_eq!((low.score.score, low.score.level.as_str()), (0, "较差"));
    assert!(low.score.clamp > 0);
    let sum: i64 = low.score.lines.iter().map(|l| l.points).sum();
    assert_eq!(low.score.base + sum + low.score.clamp, 0);
    assert_eq!(db.access_log(None, 10).await?.len(), 3);
    Ok(())
}

// ---------------------------------------------------------------- the command line

fn jianguan(database: &str, args: &[&str]) -> Fallible<(i32, serde_json::Value, String)> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .args(["--database", database])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    Ok((output.status.code().unwrap_or(-1), json, stdout))
}

#[test]
fn the_cli_classifies_explains_and_scores() -> TestResult {
    let dir = std::env::temp_dir().join(common::unique("jianguan_risk_cli"));
    std::fs::create_dir_all(&dir)?;
    let database = dir.join("db.sqlite3").to_string_lossy().into_owned();
    let outcome = (|| -> TestResult {
        let (code, json, out) = jianguan(
            &database,
            &["credit", "classify", "--as-of", "2026-11-01", "--json"],
        )?;
        assert_eq!(code, 0, "{out}");
        assert_eq!(json["classified"], 0);
        assert_eq!(json["model_sha256"], RiskModel::default().digest());
        let (code, _, out) = jianguan(&database, &["credit", "classify", "--print-model"])?;
        assert_eq!(code, 0);
        assert_eq!(RiskModel::from_json(&out)?, RiskModel::default());
        let (code, _, _) = jianguan(&database, &["credit", "explain", &uscc(1), "--json"])?;
        assert_eq!(code, 3, "an entity not classified");
        let person = id_number("19900101", "002");
        let args = [
            "credit",
            "score",
            &person,
            "--purpose",
            "测试",
            "--as-of",
            "2026-11-01",
            "--json",
            "--actor",
            "tester",
        ];
        let (code, json, out) = jianguan(&database, &args)?;
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            (
                json["score"]["score"].as_i64(),
                json["score"]["level"].as_str()
            ),
            (Some(580), Some("良好"))
        );
        assert!(!out.contains(&person), "the id is masked");
        let (code, _, _) = jianguan(&database, &["credit", "score", &person, "--purpose", " "])?;
        assert_ne!(code, 0, "a purpose is required");
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}
