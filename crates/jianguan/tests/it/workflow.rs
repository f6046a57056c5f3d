//! The 双随机、一公开 workflow as a contract: every function below runs, unchanged,
//! on SQLite and on PostgreSQL through [`Db`] (harness as in `storage_contract.rs`,
//! shared parts in `tests/common`).
//!
//! The fixture is small and deterministic: three departments, 300 entities with
//! chosen statuses, credit classes and registration dates, ten inspectors per
//! department (some certificates expiring, some without the plan's field), a few
//! recusals, past out-of-plan inspections (for the annual cap, the cooling-off
//! period and the previous inspectors), and three plans drawn in one round
//! (single, joint, and one required by law whose department is short of
//! qualified inspectors). Each tampering case is checked on an intact store
//! and undone before the next.

// `x % n == 0` rather than `is_multiple_of` (Rust 1.87): the workspace's rust-version is 1.85.
#![allow(clippy::manual_is_multiple_of)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::error::Error;
use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone as _};
use domain::entity::{
    CreditClass, CreditRating, EntityFields, EntityStatus, EntityType, MarketEntity,
};
use domain::industry::IndustryCode;
use domain::inspection::{
    EligibilityRules, FollowUp, InspectionResult, OutOfPlan, OutOfPlanReason, ResultCategory,
    ResultStatus, Round, RoundStatus, Visit,
};
use domain::inspector::{CertificateNo, Inspector, InspectorFields, Recusal};
use domain::item::{
    CheckMethod, Frequency, InspectionItem, ItemCode, ItemFields, JointItem, JointItemFields,
    Period as ItemPeriod, RatioBp,
};
use domain::org::{
    Department, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode, HUANGSHI_DISTRICTS,
};
use domain::plan::{
    Decision, Participant, Plan, PlanFields, PlanKind, PlanScope, PlanStatus, StratumRate,
};
use domain::uscc::Uscc;
use service::rounds::CommitRequest;
use service::{self, WorkflowError, audit, report, results, results::ResultEntry, rounds};
use storage::{self, Db, Store, WorkflowStore};

use crate::common;

use common::{TestResult, contracts, execute, runtime, unique};

type Fallible<T> = Result<T, Box<dyn Error>>;

// ---------------------------------------------------------------------------
// Harness (the shared parts are in tests/common).

contracts!(
    "workflow";
    plan_life_cycle_gates_the_draw,
    plans_separate_filing_from_approval,
    plans_refuse_a_deactivated_department,
    joint_plans_need_every_partners_confirmation,
    round_steps_in_order_and_the_record_verifies,
    exclusions_are_explained_entity_by_entity,
    visits_hold_every_item_with_eligible_teams,
    reassignment_needs_a_reason_and_an_eligible_team,
    results_deadlines_immutability_and_corrections,
    out_of_plan_other_is_flagged,
    report_figures_match_what_was_entered,
    tampering_is_detected_case_by_case,
);

/// [`anchors_catch_a_consistent_rewrite`] starts from an empty ledger: on a
/// database without a city (whose setup is on the ledger), its districts
/// loaded directly.
mod empty_ledger {
    use crate::common::{TestResult, on_postgres_without_city, on_sqlite_without_city};
    use storage::{Db, Store};

    async fn with_districts(db: &Db) -> TestResult {
        db.upsert_districts(&domain::org::huangshi_districts())
            .await?;
        super::anchors_catch_a_consistent_rewrite(db).await
    }

    #[test]
    fn sqlite_anchors_catch_a_consistent_rewrite() -> TestResult {
        on_sqlite_without_city("workflow", "anchors", |db| async move {
            with_districts(&db).await
        })
    }

    #[test]
    fn postgres_anchors_catch_a_consistent_rewrite() -> TestResult {
        on_postgres_without_city("workflow", "anchors", |db| async move {
            with_districts(&db).await
        })
    }
}

/// SIGKILL during `rounds draw` of the fixture's committed round (SQLite):
/// every kill leaves the round committed or drawn whole, and drawing again
/// converges (see tests/crash.rs and docs/reliability.md).
#[test]
fn round_draw_survives_sigkill() -> TestResult {
    use common::crash::{self, Operation};
    let dir = crash::scratch("draw")?;
    let base = dir.join("base.sqlite3");
    let base_text = base
        .to_str()
        .ok_or("temporary path is not UTF-8")?
        .to_owned();
    runtime()?.block_on(async {
        let db = storage::open(&base_text).await?;
        crate::common::migrate_and_set_up(&db).await?;
        prepared(&db).await?;
        commit_main(&db).await?;
        db.close().await;
        Ok::<_, Box<dyn Error>>(())
    })?;
    let since = service::now();
    let dump = |db: &std::path::Path| -> Fallible<Vec<String>> {
        let mut rows = crash::documents(db, "rounds", since)?;
        rows.extend(crash::documents(db, "visits", since)?);
        rows.extend(crash::table_rows(db, "round_records")?);
        rows.extend(crash::rows(
            db,
            "SELECT action, CAST(COUNT(*) AS TEXT) FROM ledger GROUP BY action",
        )?);
        Ok(rows)
    };
    let status = |db: &std::path::Path| -> Fallible<String> {
        Ok(crash::rows(
            db,
            &format!("SELECT status FROM rounds WHERE id = '{ROUND}'"),
        )?
        .join(","))
    };
    let phase = |db: &std::path::Path| -> Fallible<String> { Ok(format!("round {}", status(db)?)) };
    let rerun = |db: &std::path::Path| -> Fallible<bool> {
        Ok(matches!(status(db)?.as_str(), "已承诺" | "committed"))
    };
    let mut args: Vec<String> = [
        "rounds",
        "draw",
        ROUND,
        "--beacon",
        "上证指数 2025-06-30 收盘 3444.43",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    for witness in WITNESSES {
        args.extend(["--witness".to_owned(), witness.to_owned()]);
    }
    args.extend(["--database".to_owned(), "{db}".to_owned()]);
    let report = crash::trials(&Operation {
        name: "round draw",
        base: &base,
        dir: &dir,
        args,
        dump: &dump,
        phase: &phase,
        rerun: &rerun,
    })?;
    if crash::kills() >= 5 {
        assert!(report.killed > 0, "no kill landed: {report:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------
// Fixture: the directory.

const SJ: &str = "SJGJ";
const YJ: &str = "YJJ";
const WJ: &str = "WJW";
const ENTITIES: u32 = 300;
const ROUND: &str = "2025-Q3";
const ACTOR: &str = "测试员";
/// Approves plans: whoever files a plan does not approve it.
const APPROVER: &str = "审批人";

/// Deregistered (and class A): excluded for `status`.
const DEREGISTERED: u32 = 5;
/// Registered 2025-03-15 (class C): stratum `N`.
const NEW: u32 = 7;
/// Class A, active, no history: `class_a` unless the plan is required by law.
const CLASS_A: u32 = 10;
/// Inspected by YJJ and WJW in 2025 before the window: `annual_cap`.
const CAPPED: u32 = 11;
/// Inspected by SJGJ on 2025-05-01: `cooling_off` for the SJGJ plans.
const COOLING: u32 = 12;
/// Inspected by SJGJ (HB100001, HB100002) on 2024-11-01: those two may not go again.
const PREVIOUS: std::ops::Range<u32> = 100..125;
/// HB100003 is recused from every entity `i % 3 == 0`; HB200004 from every `i % 2 == 0`.
const SJ_RECUSED: &str = "HB100003";
const YJ_RECUSED: &str = "HB200004";

fn date(y: i32, m: u32, d: u32) -> Fallible<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("bad date {y}-{m}-{d}").into())
}

fn at(y: i32, m: u32, d: u32) -> Fallible<DateTime<FixedOffset>> {
    service::china()
        .with_ymd_and_hms(y, m, d, 10, 0, 0)
        .single()
        .ok_or_else(|| format!("bad time {y}-{m}-{d}").into())
}

fn uscc(i: u32) -> String {
    Uscc::from_body(&format!("91420202{i:08}"))
        .map_or_else(|_| String::new(), |u| u.as_str().to_owned())
}

fn index_of(uscc_text: &str) -> Option<u32> {
    uscc_text.get(8..16)?.parse().ok()
}

fn class_of(i: u32) -> Option<CreditClass> {
    match i % 5 {
        0 => Some(CreditClass::A),
        1 => Some(CreditClass::B),
        2 => Some(CreditClass::C),
        3 => Some(CreditClass::D),
        _ => None,
    }
}

fn entity(i: u32) -> Fallible<MarketEntity> {
    let registered_on = if i % 23 == 7 {
        date(2025, 3, 15)?
    } else {
        date(2010 + (i % 10) as i32, 1 + i % 12, 1 + i % 28)?
    };
    Ok(MarketEntity::new(EntityFields {
        uscc: Uscc::from_body(&format!("91420202{i:08}"))?,
        name: format!("黄石市{i}号测试商贸有限公司"),
        entity_type: EntityType::Enterprise.into(),
        district: DistrictCode::parse(HUANGSHI_DISTRICTS[(i % 7) as usize].0)?,
        industry: Some(IndustryCode::parse("5211")?),
        registered_on,
        status: if i % 37 == 5 {
            EntityStatus::Deregistered
        } else {
            EntityStatus::Active
        },
        address: None,
        legal_representative: None,
        special_pools: Vec::new(),
        tags: Vec::new(),
        credit: class_of(i).map(|class| CreditRating {
            class,
            set_on: registered_on + chrono::TimeDelta::days(30),
        }),
    })?)
}

fn department(code: &str, name: &str) -> Fallible<Department> {
    Ok(Department::new(DepartmentFields::new(
        DepartmentCode::parse(code)?,
        name,
        DepartmentLevel::City,
        None,
    ))?)
}

fn cert(department: &str, n: u32) -> String {
    let base = match department {
        SJ => 100_000,
        YJ => 200_000,
        _ => 300_000,
    };
    format!("HB{}", base + n)
}

/// Ten inspectors per department. SJGJ: #9 expires during the window, #10 before
/// it. YJJ: #3, #6, #9 lack 安全生产; #10 expires during the window. WJW: only #1
/// holds 卫生健康 for the whole window (#2 holds it but expires in August).
fn inspector(department: &str, n: u32) -> Fallible<Inspector> {
    let until = match (department, n) {
        (SJ, 9) | (WJ, 2) => date(2025, 8, 31)?,
        (SJ, 10) => date(2024, 12, 31)?,
        (YJ, 10) => date(2025, 9, 15)?,
        _ => date(2027, 12, 31)?,
    };
    let fields: Vec<String> = match (department, n) {
        (SJ, _) => vec!["市场监管".into()],
        (YJ, n) if n % 3 == 0 => vec!["消防".into()],
        (YJ, _) => vec!["安全生产".into()],
        (_, 1 | 2) => vec!["卫生健康".into(), "公共卫生".into()],
        _ => vec!["公共卫生".into()],
    };
    Ok(Inspector::new(InspectorFields {
        cert_no: CertificateNo::parse(&cert(department, n))?,
        name: format!("{department}检查员{n}"),
        id_card: None,
        department: DepartmentCode::parse(department)?,
        cert_valid_from: date(2020, 1, 1)?,
        cert_valid_until: until,
        fields,
        district: None,
        register: Default::default(),
    })?)
}

fn item(code: &str, department: &str) -> Fallible<InspectionItem> {
    Ok(InspectionItem::new(ItemFields {
        code: ItemCode::parse(code)?,
        category: "综合".into(),
        name: format!("{code} 检查"),
        legal_basis: "《中华人民共和国行政许可法》".into(),
        department: DepartmentCode::parse(department)?,
        target_type: "企业".into(),
        methods: vec![CheckMethod::OnSite],
        ratio: RatioBp::new(500)?,
        frequency: Frequency::new(1, ItemPeriod::Year)?,
    })?)
}

async fn load_directory(db: &Db) -> TestResult {
    db.upsert_departments(&[
        department(SJ, "黄石市市场监督管理局")?,
        department(YJ, "黄石市应急管理局")?,
        department(WJ, "黄石市卫生健康委员会")?,
    ])
    .await?;
    let entities: Vec<MarketEntity> = (0..ENTITIES).map(entity).collect::<Fallible<_>>()?;
    db.upsert_entities(&entities).await?;
    let mut inspectors = Vec::new();
    for d in [SJ, YJ, WJ] {
        for n in 1..=10 {
            inspectors.push(inspector(d, n)?);
        }
    }
    db.upsert_inspectors(&inspectors).await?;
    let mut recusals = Vec::new();
    for i in 0..ENTITIES {
        let entity = Uscc::from_body(&format!("91420202{i:08}"))?;
        if i % 3 == 0 {
            recusals.push(Recusal::new(
                CertificateNo::parse(SJ_RECUSED)?,
                entity,
                "近亲属任法定代表人",
            )?);
        }
        if i % 2 == 0 {
            recusals.push(Recusal::new(
                CertificateNo::parse(YJ_RECUSED)?,
                entity,
                "曾在该企业任职",
            )?);
        }
    }
    db.upsert_recusals(&recusals).await?;
    db.upsert_items(&[
        item("SJ-001", SJ)?,
        item("SJ-002", SJ)?,
        item("YJ-001", YJ)?,
        item("WJ-001", WJ)?,
    ])
    .await?;
    db.upsert_joint_items(&[JointItem::new(JointItemFields {
        code: ItemCode::parse("LH-001")?,
        field: "安全生产".into(),
        name: "LH-001 联合检查".into(),
        legal_basis: "《中华人民共和国安全生产法》".into(),
        lead: DepartmentCode::parse(SJ)?,
        cooperating: vec![DepartmentCode::parse(YJ)?],
        target_type: "企业".into(),
        methods: vec![CheckMethod::OnSite],
        ratio: RatioBp::new(1_000)?,
        frequency: Frequency::new(1, ItemPeriod::Year)?,
    })?])
    .await?;
    Ok(())
}

/// One past out-of-plan inspection as the fixture writes it.
struct Past {
    id: String,
    entity: u32,
    department: &'static str,
    reason: OutOfPlanReason,
    on: NaiveDate,
    inspectors: Vec<String>,
}

fn history() -> Fallible<Vec<Past>> {
    let mut past = vec![
        Past {
            id: "OOP-CAP-1".into(),
            entity: CAPPED,
            department: YJ,
            reason: OutOfPlanReason::Complaint,
            on: date(2025, 2, 10)?,
            inspectors: vec![cert(YJ, 1), cert(YJ, 2)],
        },
        Past {
            id: "OOP-CAP-2".into(),
            entity: CAPPED,
            department: WJ,
            reason: OutOfPlanReason::Hazard,
            on: date(2025, 3, 10)?,
            inspectors: vec![cert(WJ, 1), cert(WJ, 3)],
        },
        Past {
            id: "OOP-COOL".into(),
            entity: COOLING,
            department: SJ,
            reason: OutOfPlanReason::Other,
            on: date(2025, 5, 1)?,
            inspectors: vec![cert(SJ, 4), cert(SJ, 5)],
        },
    ];
    for i in PREVIOUS {
        past.push(Past {
            id: format!("OOP-PREV-{i}"),
            entity: i,
            department: SJ,
            reason: OutOfPlanReason::Assigned,
            on: date(2024, 11, 1)?,
            inspectors: vec![cert(SJ, 1), cert(SJ, 2)],
        });
    }
    Ok(past)
}

async fn load_history(db: &Db) -> TestResult {
    for p in history()? {
        let work_order =
            (p.reason == OutOfPlanReason::Complaint).then(|| "12345-2025-000001".to_owned());
        results::register_out_of_plan(
            db,
            &p.id,
            &uscc(p.entity),
            p.department,
            p.reason,
            "依线索检查",
            work_order,
            p.on,
            p.inspectors,
            at(2025, 1, 2)?,
            ACTOR,
        )
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Fixture: plans and the round.

fn participant(department: &str, items: &[&str], field: Option<&str>) -> Participant {
    Participant {
        department: department.to_owned(),
        inspectors: 2,
        items: items.iter().map(|i| (*i).to_owned()).collect(),
        field: field.map(str::to_owned),
    }
}

fn rate(stratum: &str, bp: u32) -> StratumRate {
    StratumRate {
        stratum: stratum.into(),
        rate_bp: Some(bp),
        count: None,
    }
}

fn count(stratum: &str, n: u64) -> StratumRate {
    StratumRate {
        stratum: stratum.into(),
        rate_bp: None,
        count: Some(n),
    }
}

fn plan_fields(
    id: &str,
    participants: Vec<Participant>,
    strata: Vec<StratumRate>,
    required_by_law: bool,
) -> Fallible<PlanFields> {
    Ok(PlanFields {
        id: id.into(),
        title: format!("{id} 双随机抽查"),
        kind: if participants.len() > 1 {
            PlanKind::Joint
        } else {
            PlanKind::Single
        },
        lead: participants
            .first()
            .map(|p| p.department.clone())
            .unwrap_or_default(),
        participants,
        scope: PlanScope::default(),
        strata,
        required_by_law,
        period_start: date(2025, 1, 1)?,
        period_end: date(2025, 12, 31)?,
        frequency: "每年1次".into(),
        status: PlanStatus::Draft,
        version: 1,
        approved_version: None,
        filed_by: None,
        confirmations: Vec::new(),
    })
}

/// The round's plans: a single SJGJ plan, a joint SJGJ+YJJ plan, a WJW plan required by law.
fn round_plans() -> Fallible<Vec<PlanFields>> {
    Ok(vec![
        plan_fields(
            "P-SJ",
            vec![participant(SJ, &["SJ-001", "SJ-002"], None)],
            vec![
                rate("B", 3000),
                rate("C", 4000),
                rate("D", 6000),
                rate("U", 3000),
                rate("N", 5000),
            ],
            false,
        )?,
        plan_fields(
            "P-LH",
            vec![
                participant(SJ, &["LH-001"], None),
                participant(YJ, &["YJ-001", "LH-001"], Some("安全生产")),
            ],
            vec![
                count("B", 8),
                count("C", 8),
                count("D", 8),
                count("U", 4),
                count("N", 2),
            ],
            false,
        )?,
        plan_fields(
            "P-WJ",
            vec![participant(WJ, &["WJ-001"], Some("卫生健康"))],
            vec![
                rate("A", 2000),
                rate("B", 1000),
                rate("C", 1000),
                rate("D", 1000),
                rate("U", 1000),
                rate("N", 1000),
            ],
            true,
        )?,
    ])
}

async fn approve(db: &Db, id: &str) -> Fallible<Plan> {
    service::advance_plan(
        db,
        id,
        PlanStatus::Filed,
        at(2025, 1, 10)?,
        ACTOR,
        "报司法局备案",
    )
    .await?;
    confirm_by_partners(db, id).await?;
    approve_only(db, id).await
}

/// Every partner department of the plan confirms its current version (会签).
async fn confirm_by_partners(db: &Db, id: &str) -> TestResult {
    let plan = db.get::<Plan>(id).await?.ok_or("no such plan")?;
    for partner in plan.partners() {
        service::answer_plan(
            db,
            id,
            partner,
            Decision::Confirmed,
            "",
            at(2025, 1, 15)?,
            &format!("{partner}科员"),
        )
        .await?;
    }
    Ok(())
}

fn secret() -> draw::Secret {
    draw::Secret::from_bytes([7; 32])
}

fn commit_request(id: &str, plans: Option<Vec<&str>>) -> Fallible<CommitRequest> {
    Ok(CommitRequest {
        id: id.into(),
        title: "2025年第三季度双随机抽查".into(),
        window_start: date(2025, 7, 1)?,
        window_end: date(2025, 9, 30)?,
        cap: None,
        plans: plans.map(|p| p.into_iter().map(str::to_owned).collect()),
    })
}

/// Directory, history and the three plans approved (P-WJ also published).
async fn prepared(db: &Db) -> TestResult {
    load_directory(db).await?;
    load_history(db).await?;
    for fields in round_plans()? {
        let id = fields.id.clone();
        service::create_plan(db, fields, at(2025, 1, 5)?, ACTOR).await?;
        approve(db, &id).await?;
    }
    service::advance_plan(
        db,
        "P-WJ",
        PlanStatus::Published,
        at(2025, 1, 25)?,
        ACTOR,
        "公示",
    )
    .await?;
    Ok(())
}

async fn commit_main(db: &Db) -> Fallible<Round> {
    Ok(rounds::commit(
        db,
        &commit_request(ROUND, Some(vec!["P-SJ", "P-LH", "P-WJ"]))?,
        &EligibilityRules::default(),
        &secret(),
        at(2025, 6, 30)?,
        ACTOR,
    )
    .await?)
}

const WITNESSES: [&str; 2] = ["公证员甲", "群众代表乙"];

async fn draw_main(db: &Db) -> service::Result<Round> {
    let witnesses: Vec<String> = WITNESSES.iter().map(|w| (*w).to_owned()).collect();
    let when = at(2025, 7, 1).map_err(|e| WorkflowError::Refused(e.to_string().into()))?;
    rounds::draw(
        db,
        ROUND,
        "上证指数 2025-06-30 收盘 3444.43",
        &witnesses,
        when,
        ACTOR,
    )
    .await
}

/// A published round and its exported record and visits.
struct Drawn {
    round: Round,
    record: draw::Record,
    visits: Vec<Visit>,
}

async fn drawn(db: &Db) -> Fallible<Drawn> {
    prepared(db).await?;
    commit_main(db).await?;
    draw_main(db).await?;
    let round = rounds::publish(db, ROUND, at(2025, 7, 2)?, ACTOR).await?;
    let record = rounds::export(db, ROUND).await?;
    let visits = db.list::<Visit>(Some(("round", ROUND))).await?;
    Ok(Drawn {
        round,
        record,
        visits,
    })
}

fn expect_refused<T: std::fmt::Debug>(result: service::Result<T>, what: &str) -> TestResult {
    match result {
        Err(WorkflowError::Refused(_)) => Ok(()),
        Err(other) => Err(format!("{what}: expected a refusal, got the error {other}").into()),
        Ok(value) => Err(format!("{what}: expected a refusal, got {value:?}").into()),
    }
}

fn expect_refused_ok<T>(result: service::Result<T>, what: &str) -> TestResult {
    match result {
        Err(WorkflowError::Refused(_)) => Ok(()),
        Err(other) => Err(format!("{what}: expected a refusal, got the error {other}").into()),
        Ok(_) => Err(format!("{what}: expected a refusal, but it succeeded").into()),
    }
}

async fn assert_intact(db: &Db) -> TestResult {
    let found = audit::verify(db).await?;
    assert!(found.intact(), "audit breaks: {:#?}", found.breaks);
    assert!(found.entries > 0 && found.rows > 0);
    Ok(())
}

/// The selected ids of each record entry.
fn selected(record: &draw::Record) -> BTreeMap<String, BTreeSet<String>> {
    record
        .plans
        .iter()
        .map(|p| {
            (
                p.id.clone(),
                p.selected.iter().map(|s| s.id.clone()).collect(),
            )
        })
        .collect()
}

/// (plan id, department, items, required field) of each record entry id.
/// A record entry's plan id, department, items and required field.
type EntrySpec = (String, String, Vec<String>, Option<String>);

fn entry_specs() -> Fallible<HashMap<String, EntrySpec>> {
    let mut specs = HashMap::new();
    for fields in round_plans()? {
        let plan = Plan::new(fields)?;
        for (entry, p) in plan.entries() {
            specs.insert(
                entry,
                (
                    plan.id.clone(),
                    p.department.clone(),
                    p.items.clone(),
                    p.field.clone(),
                ),
            );
        }
    }
    Ok(specs)
}

fn entry(department: &str) -> ResultEntry {
    ResultEntry {
        category: ResultCategory::NoProblem,
        method: CheckMethod::OnSite,
        follow_up: FollowUp::None,
        check_start: NaiveDate::from_ymd_opt(2025, 9, 22).unwrap_or(NaiveDate::MIN),
        check_end: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap_or(NaiveDate::MIN),
        // WJW's teams are unstaffed: it names who went.
        inspectors: if department == WJ {
            vec![cert(WJ, 1), cert(WJ, 3)]
        } else {
            Vec::new()
        },
        note: String::new(),
    }
}

// ---------------------------------------------------------------------------
// 1. Plan life cycle.

/// A deactivated department cannot be named by a new plan; reactivated, it can.
async fn plans_refuse_a_deactivated_department(db: &Db) -> TestResult {
    use storage::{DepartmentStore, DepartmentWrite};
    load_directory(db).await?;
    let fields = plan_fields(
        "P-OFF",
        vec![participant(SJ, &["SJ-001"], None)],
        vec![rate("B", 1000)],
        false,
    )?;
    let code = domain::org::DepartmentCode::parse(SJ)?;
    db.write_department(
        &DepartmentWrite::SetActive(code.clone(), false),
        ACTOR,
        at(2025, 1, 4)?,
    )
    .await?;
    match service::create_plan(db, fields.clone(), at(2025, 1, 5)?, ACTOR).await {
        Err(WorkflowError::Refused(message)) => {
            assert!(message.contains("deactivated"), "{message}");
        }
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }
    db.write_department(
        &DepartmentWrite::SetActive(code, true),
        ACTOR,
        at(2025, 1, 5)?,
    )
    .await?;
    service::create_plan(db, fields, at(2025, 1, 5)?, ACTOR).await?;
    Ok(())
}

async fn plan_life_cycle_gates_the_draw(db: &Db) -> TestResult {
    load_directory(db).await?;
    let fields = plan_fields(
        "P-X",
        vec![participant(SJ, &["SJ-001"], None)],
        vec![rate("B", 1000), rate("C", 1000)],
        false,
    )?;
    let draft = service::create_plan(db, fields.clone(), at(2025, 1, 5)?, ACTOR).await?;
    assert_eq!(
        (draft.status, draft.version, draft.approved_version),
        (PlanStatus::Draft, 1, None)
    );
    expect_refused(
        service::create_plan(db, fields.clone(), at(2025, 1, 5)?, ACTOR).await,
        "creating a plan twice",
    )?;
    let request = |id: &str| commit_request(id, Some(vec!["P-X"]));
    expect_refused(
        rounds::commit(
            db,
            &request("R1")?,
            &EligibilityRules::default(),
            &secret(),
            at(2025, 6, 30)?,
            ACTOR,
        )
        .await,
        "committing a draft",
    )?;
    expect_refused(
        rounds::commit(
            db,
            &commit_request("R1", None)?,
            &EligibilityRules::default(),
            &secret(),
            at(2025, 6, 30)?,
            ACTOR,
        )
        .await,
        "committing with no drawable plan",
    )?;
    for to in [
        PlanStatus::Approved,
        PlanStatus::Published,
        PlanStatus::Draft,
    ] {
        expect_refused(
            service::advance_plan(db, "P-X", to, at(2025, 1, 6)?, ACTOR, "").await,
            &format!("草稿 → {to}"),
        )?;
    }
    // A draft changes freely, without a new version.
    let mut changed = fields.clone();
    changed.title = "P-X 改名".into();
    let still_draft =
        service::change_plan(db, changed.clone(), at(2025, 1, 7)?, ACTOR, "改标题").await?;
    assert_eq!(
        (still_draft.status, still_draft.version),
        (PlanStatus::Draft, 1)
    );

    let filed = service::advance_plan(
        db,
        "P-X",
        PlanStatus::Filed,
        at(2025, 1, 10)?,
        ACTOR,
        "备案",
    )
    .await?;
    assert_eq!(filed.status, PlanStatus::Filed);
    expect_refused(
        rounds::commit(
            db,
            &request("R1")?,
            &EligibilityRules::default(),
            &secret(),
            at(2025, 6, 30)?,
            ACTOR,
        )
        .await,
        "committing a filed plan",
    )?;
    for to in [PlanStatus::Filed, PlanStatus::Published, PlanStatus::Draft] {
        expect_refused(
            service::advance_plan(db, "P-X", to, at(2025, 1, 11)?, ACTOR, "").await,
            &format!("已备案 → {to}"),
        )?;
    }
    let approved = approve_only(db, "P-X").await?;
    assert_eq!(
        (approved.status, approved.version, approved.approved_version),
        (PlanStatus::Approved, 1, Some(1))
    );
    expect_refused(
        service::advance_plan(db, "P-X", PlanStatus::Filed, at(2025, 1, 21)?, ACTOR, "").await,
        "已批准 → 已备案",
    )?;

    // A change after filing: a new version, filed again, not drawable until approved.
    expect_refused(
        service::change_plan(db, changed.clone(), at(2025, 2, 1)?, ACTOR, "  ").await,
        "a change without a reason",
    )?;
    changed.strata = vec![rate("B", 2000), rate("C", 2000)];
    let v2 =
        service::change_plan(db, changed.clone(), at(2025, 2, 1)?, ACTOR, "调整抽查比例").await?;
    assert_eq!(
        (v2.status, v2.version, v2.approved_version),
        (PlanStatus::Filed, 2, Some(1))
    );
    assert_eq!(db.get::<Plan>("P-X").await?.as_ref(), Some(&v2));
    expect_refused(
        rounds::commit(
            db,
            &request("R1")?,
            &EligibilityRules::default(),
            &secret(),
            at(2025, 6, 30)?,
            ACTOR,
        )
        .await,
        "committing a changed plan before re-approval",
    )?;
    assert!(
        db.get::<Round>("R1").await?.is_none(),
        "a refused commit leaves no round"
    );
    let v2 = approve_only(db, "P-X").await?;
    assert_eq!(
        (v2.status, v2.version, v2.approved_version),
        (PlanStatus::Approved, 2, Some(2))
    );
    let published = service::advance_plan(
        db,
        "P-X",
        PlanStatus::Published,
        at(2025, 2, 20)?,
        ACTOR,
        "公示",
    )
    .await?;
    assert_eq!(published.status, PlanStatus::Published);
    expect_refused(
        service::advance_plan(
            db,
            "P-X",
            PlanStatus::Published,
            at(2025, 2, 21)?,
            ACTOR,
            "",
        )
        .await,
        "已公示 → 已公示",
    )?;

    // Drawable now: commit; a change after the commit makes the draw refuse.
    let round = rounds::commit(
        db,
        &request("R1")?,
        &EligibilityRules::default(),
        &secret(),
        at(2025, 6, 30)?,
        ACTOR,
    )
    .await?;
    assert_eq!(round.plans.get("P-X"), Some(&2));
    changed.title = "P-X 第三版".into();
    let v3 = service::change_plan(db, changed, at(2025, 6, 30)?, ACTOR, "承诺后修改").await?;
    assert_eq!((v3.status, v3.version), (PlanStatus::Filed, 3));
    expect_refused(
        rounds::draw(db, "R1", "beacon", &[], at(2025, 7, 1)?, ACTOR).await,
        "drawing a plan changed after commit",
    )?;
    approve_only(db, "P-X").await?;
    expect_refused(
        rounds::draw(db, "R1", "beacon", &[], at(2025, 7, 1)?, ACTOR).await,
        "drawing a plan re-approved at another version",
    )?;
    let still = db.get::<Round>("R1").await?.ok_or("round R1 is gone")?;
    assert_eq!(still.status, RoundStatus::Committed);
    assert!(db.list::<Visit>(Some(("round", "R1"))).await?.is_empty());

    // Every change left a record with its reason.
    let ledger = db.ledger().await?;
    let changes: Vec<&str> = ledger
        .iter()
        .filter(|e| e.action == "plan.changed" && e.subject_key == "P-X")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(changes, ["改标题", "调整抽查比例", "承诺后修改"]);
    let actions: Vec<&str> = ledger
        .iter()
        .filter(|e| e.subject_table == "plans")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "plan.created",
            "plan.changed",
            "plan.filed",
            "plan.approved",
            "plan.changed",
            "plan.approved",
            "plan.published",
            "plan.changed",
            "plan.approved"
        ]
    );
    assert_intact(db).await
}

/// Separation of duties (on by default): whoever filed a plan does not approve
/// it, nor does another account of the filer's role; a refusal changes nothing
/// and says why in English (the CLI's words); `allow_self_approval` lifts both.
async fn plans_separate_filing_from_approval(db: &Db) -> TestResult {
    load_directory(db).await?;
    let filer = "sj.staff (department_staff)";
    for id in ["P-D1", "P-D2"] {
        let fields = plan_fields(
            id,
            vec![participant(SJ, &["SJ-001"], None)],
            vec![rate("B", 1000)],
            false,
        )?;
        service::create_plan(db, fields, at(2025, 1, 5)?, filer).await?;
        service::advance_plan(db, id, PlanStatus::Filed, at(2025, 1, 6)?, filer, "备案").await?;
    }
    let separate = service::Duties::default();
    let approve = |actor: &'static str, duties: service::Duties, id: &'static str| async move {
        service::advance_plan_under(
            db,
            id,
            PlanStatus::Approved,
            at(2025, 1, 8)?,
            actor,
            "批准",
            duties,
        )
        .await
        .map_err(Box::<dyn Error>::from)
    };
    let refusals = [
        (
            filer,
            "filed by sj.staff (department_staff); another person",
        ),
        (
            "sj.other (department_staff)",
            "filed by a department_staff account; an account of another role",
        ),
    ];
    for (actor, says) in refusals {
        match service::advance_plan(db, "P-D1", PlanStatus::Approved, at(2025, 1, 8)?, actor, "")
            .await
        {
            Err(error @ WorkflowError::Refused(_)) => {
                assert!(error.to_string().contains(says), "{error}");
                assert!(
                    error.to_string().contains("separation of duties"),
                    "{error}"
                );
            }
            other => return Err(format!("{actor} approved its role's filing: {other:?}").into()),
        }
    }
    let unchanged = db.get::<Plan>("P-D1").await?.ok_or("no plan")?;
    assert_eq!(
        unchanged.status,
        PlanStatus::Filed,
        "a refusal changes nothing"
    );
    let approved = approve("sj.admin (department_admin)", separate, "P-D1").await?;
    assert_eq!(approved.status, PlanStatus::Approved);
    let allowed = service::Duties {
        allow_self_approval: true,
    };
    let own = approve(filer, allowed, "P-D2").await?;
    assert_eq!(
        (own.status, own.filed_by.as_deref()),
        (PlanStatus::Approved, Some(filer)),
        "with self-approval allowed the filer approves"
    );
    Ok(())
}

async fn approve_only(db: &Db, id: &str) -> Fallible<Plan> {
    Ok(service::advance_plan(
        db,
        id,
        PlanStatus::Approved,
        at(2025, 1, 20)?,
        APPROVER,
        "批准",
    )
    .await?)
}

/// The partners a refused approval names, with the reason of those that declined.
fn awaiting(result: service::Result<Plan>) -> Fallible<Vec<(String, Option<String>)>> {
    match result {
        Err(WorkflowError::AwaitingConfirmation { waiting, .. }) => Ok(waiting
            .into_iter()
            .map(|w| (w.department, w.declined))
            .collect()),
        Err(other) => Err(format!("expected a refusal for lack of 会签, got {other}").into()),
        Ok(plan) => Err(format!("approved without every partner's 会签: {plan:?}").into()),
    }
}

async fn joint_plans_need_every_partners_confirmation(db: &Db) -> TestResult {
    load_directory(db).await?;
    let mut fields = plan_fields(
        "P-HQ",
        vec![
            participant(SJ, &["LH-001"], None),
            participant(YJ, &["YJ-001"], None),
            participant(WJ, &["WJ-001"], None),
        ],
        vec![rate("B", 1000)],
        false,
    )?;
    service::create_plan(db, fields.clone(), at(2025, 1, 5)?, ACTOR).await?;
    let (answered_on, approved_on) = (at(2025, 1, 12)?, at(2025, 1, 20)?);
    let answer = |department: &'static str, decision, reason: &'static str, actor: &'static str| {
        service::answer_plan(db, "P-HQ", department, decision, reason, answered_on, actor)
    };
    expect_refused(
        answer(YJ, Decision::Confirmed, "", "YJ科员").await,
        "confirming a draft",
    )?;
    service::advance_plan(
        db,
        "P-HQ",
        PlanStatus::Filed,
        at(2025, 1, 10)?,
        ACTOR,
        "备案",
    )
    .await?;

    // Nobody has answered: approval names both partners; the filer may not approve at all.
    let approve = || {
        service::advance_plan(
            db,
            "P-HQ",
            PlanStatus::Approved,
            approved_on,
            APPROVER,
            "批准",
        )
    };
    assert_eq!(
        awaiting(approve().await)?,
        [(YJ.to_owned(), None), (WJ.to_owned(), None)]
    );
    match approve().await {
        Err(error) => {
            let message = error.to_string();
            assert!(
                message.contains("YJJ 黄石市应急管理局")
                    && message.contains("WJW 黄石市卫生健康委员会"),
                "{message}"
            );
        }
        Ok(_) => return Err("approved without 会签".into()),
    }
    expect_refused(
        answer(SJ, Decision::Confirmed, "", "SJ科员").await,
        "the lead confirming for itself",
    )?;
    expect_refused(
        answer("SWJ", Decision::Confirmed, "", "SWJ科员").await,
        "a department not in the plan",
    )?;
    expect_refused(
        answer(YJ, Decision::Confirmed, "", ACTOR).await,
        "the filer confirming for a partner",
    )?;
    expect_refused(
        answer(YJ, Decision::Declined, "  ", "YJ科员").await,
        "declining without a reason",
    )?;

    // One declines, then the other confirms: approval names the one that declined, with its reason.
    answer(YJ, Decision::Declined, "检查人员不足", "YJ科员").await?;
    answer(WJ, Decision::Confirmed, "", "WJ科员").await?;
    assert_eq!(
        awaiting(approve().await)?,
        [(YJ.to_owned(), Some("检查人员不足".to_owned()))]
    );
    // It changes its mind for the same version; the filer still may not approve.
    answer(YJ, Decision::Confirmed, "", "YJ科员").await?;
    expect_refused(
        service::advance_plan(
            db,
            "P-HQ",
            PlanStatus::Approved,
            at(2025, 1, 20)?,
            ACTOR,
            "",
        )
        .await,
        "the filer approving",
    )?;
    let approved = approve().await?;
    assert_eq!(
        (approved.status, approved.approved_version),
        (PlanStatus::Approved, Some(1))
    );

    // A change of a partner's items makes version 2: every partner confirms again.
    fields.participants[2].items = vec!["WJ-001".into(), "WJ-002".into()];
    let v2 =
        service::change_plan(db, fields.clone(), at(2025, 2, 1)?, ACTOR, "增加检查事项").await?;
    assert_eq!((v2.status, v2.version), (PlanStatus::Filed, 2));
    assert_eq!(v2.unconfirmed_partners(), [YJ, WJ]);
    assert_eq!(
        awaiting(approve().await)?,
        [(YJ.to_owned(), None), (WJ.to_owned(), None)]
    );
    // Dropping a partner drops its answer; the remaining one confirms version 2.
    fields.participants.truncate(2);
    let v3 = service::change_plan(db, fields, at(2025, 2, 2)?, ACTOR, "卫健委不再参加").await?;
    assert!(
        v3.confirmations.iter().all(|c| c.department == YJ),
        "{v3:?}"
    );
    answer(YJ, Decision::Confirmed, "", "YJ科员").await?;
    assert_eq!(approve().await?.approved_version, Some(3));

    // Every answer is on the ledger, with the department and version.
    let answers: Vec<(String, String)> = db
        .ledger()
        .await?
        .into_iter()
        .filter(|e| {
            e.subject_key == "P-HQ"
                && e.action.starts_with("plan.")
                && (e.action.ends_with("confirmed") || e.action.ends_with("declined"))
        })
        .map(|e| (e.action, e.detail))
        .collect();
    let expected = [
        ("plan.declined", "YJJ v1: 检查人员不足"),
        ("plan.confirmed", "WJW v1"),
        ("plan.confirmed", "YJJ v1"),
        ("plan.confirmed", "YJJ v3"),
    ];
    assert_eq!(answers, expected.map(|(a, d)| (a.to_owned(), d.to_owned())),);
    assert_intact(db).await
}

// ---------------------------------------------------------------------------
// 2. Commit, draw, publish, export.

async fn round_steps_in_order_and_the_record_verifies(db: &Db) -> TestResult {
    prepared(db).await?;
    let committed = commit_main(db).await?;
    assert_eq!(committed.status, RoundStatus::Committed);
    assert_eq!(committed.commitment, draw::to_hex(&secret().commitment()));
    expect_refused_ok(
        rounds::commit(
            db,
            &commit_request(ROUND, None)?,
            &EligibilityRules::default(),
            &secret(),
            at(2025, 6, 30)?,
            ACTOR,
        )
        .await,
        "committing a round id twice",
    )?;
    // Without explicit plans, a round overlapping this one leaves its plans alone.
    expect_refused_ok(
        rounds::commit(
            db,
            &commit_request("2025-Q3b", None)?,
            &EligibilityRules::default(),
            &secret(),
            at(2025, 6, 30)?,
            ACTOR,
        )
        .await,
        "committing plans another overlapping round draws",
    )?;
    expect_refused(
        rounds::publish(db, ROUND, at(2025, 6, 30)?, ACTOR).await,
        "publishing before the draw",
    )?;
    expect_refused_ok(rounds::export(db, ROUND).await, "exporting before the draw")?;
    expect_refused(
        rounds::draw(db, ROUND, "  ", &[], at(2025, 7, 1)?, ACTOR).await,
        "drawing with an empty beacon",
    )?;

    let drawn_round = draw_main(db).await?;
    assert_eq!(drawn_round.status, RoundStatus::Drawn);
    assert_eq!(drawn_round.witnesses, WITNESSES);
    assert!(
        drawn_round.secret.is_none(),
        "the secret stays sealed until publication"
    );
    expect_refused(draw_main(db).await, "drawing twice")?;
    expect_refused_ok(
        rounds::export(db, ROUND).await,
        "exporting before publication",
    )?;

    let round = rounds::publish(db, ROUND, at(2025, 7, 2)?, ACTOR).await?;
    assert_eq!(round.status, RoundStatus::Published);
    assert_eq!(round.secret.as_deref(), Some(secret().to_hex().as_str()));
    expect_refused(
        rounds::publish(db, ROUND, at(2025, 7, 3)?, ACTOR).await,
        "publishing twice",
    )?;
    expect_refused(draw_main(db).await, "drawing a published round")?;

    let record = rounds::export(db, ROUND).await?;
    let deviations = draw::verify(&record);
    assert!(
        deviations.is_empty(),
        "the exported record deviates: {deviations:?}"
    );
    // Through JSON too, as `jianguan verify` reads it.
    let reread: draw::Record = serde_json::from_str(&serde_json::to_string(&record)?)?;
    assert!(draw::verify(&reread).is_empty());
    assert_eq!(draw::to_hex(&record.commitment.0), round.commitment);
    assert_eq!(draw::to_hex(&record.round_digest.0), round.round_digest);

    let ids: BTreeSet<&str> = record.plans.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["P-SJ", "P-LH/SJGJ", "P-LH/YJJ", "P-WJ"])
    );
    let plan = |id: &str| {
        record
            .plans
            .iter()
            .find(|p| p.id == id)
            .ok_or(format!("no entry {id}"))
    };
    let (lead, partner) = (plan("P-LH/SJGJ")?, plan("P-LH/YJJ")?);
    assert_eq!(
        (lead.department.as_str(), partner.department.as_str()),
        (SJ, YJ)
    );
    assert!(!lead.frame.is_empty());
    assert_eq!(
        lead.frame, partner.frame,
        "a joint plan's entries share one frame"
    );
    assert_eq!(lead.frame_digest, partner.frame_digest);
    let chosen = selected(&record);
    assert_eq!(
        chosen.get("P-LH/SJGJ"),
        chosen.get("P-LH/YJJ"),
        "the lead draws the targets once"
    );
    assert_eq!(
        round.frame_digests.get("P-LH"),
        Some(&draw::to_hex(&lead.frame_digest.0))
    );
    assert_eq!(
        round.selections,
        chosen.values().map(|s| s.len() as u64).sum::<u64>()
    );
    assert_eq!(round.visits, record.visits.len() as u64);

    // The frames follow the eligibility rules.
    let frame_of = |id: &str| -> Fallible<BTreeMap<String, String>> {
        Ok(plan(id)?
            .frame
            .iter()
            .map(|r| (r.id.to_string(), r.stratum.to_string()))
            .collect())
    };
    let (sj, wj) = (frame_of("P-SJ")?, frame_of("P-WJ")?);
    for i in [DEREGISTERED, CLASS_A, CAPPED, COOLING] {
        assert!(
            !sj.contains_key(&uscc(i)),
            "entity {i} must not be in P-SJ's frame"
        );
    }
    assert_eq!(sj.get(&uscc(NEW)).map(String::as_str), Some("N"));
    assert_eq!(
        wj.get(&uscc(CLASS_A)).map(String::as_str),
        Some("A"),
        "required by law: class A stays"
    );
    assert_eq!(
        wj.get(&uscc(COOLING)).map(String::as_str),
        Some("C"),
        "cooling off is per department"
    );
    assert!(!wj.contains_key(&uscc(CAPPED)) && !wj.contains_key(&uscc(DEREGISTERED)));
    for (id, stratum) in &sj {
        let i = index_of(id).ok_or("bad frame id")?;
        assert!(i % 5 != 0, "no class A entity in P-SJ's frame");
        assert!(i % 37 != 5, "no deregistered entity in a frame");
        let expected = if i % 23 == 7 {
            "N"
        } else {
            class_of(i).map_or("U", CreditClass::as_str)
        };
        assert_eq!(stratum, expected, "stratum of entity {i}");
    }
    assert_intact(db).await
}

async fn exclusions_are_explained_entity_by_entity(db: &Db) -> TestResult {
    let drawn = drawn(db).await?;
    let fate = |e: &rounds::Explanation, plan: &str| -> Fallible<rounds::PlanFate> {
        e.plans
            .iter()
            .find(|p| p.plan == plan)
            .cloned()
            .ok_or_else(|| format!("no fate for {plan}").into())
    };
    let excluded_for = |e: &rounds::Explanation, plan: &str, rule: &str| -> TestResult {
        let f = fate(e, plan)?;
        assert_eq!(f.fate, "excluded", "{} in {plan}: {f:?}", e.entity);
        let rules = f.excluded.as_deref().unwrap_or_default();
        assert!(
            rules
                .split(':')
                .next()
                .unwrap_or_default()
                .split(';')
                .any(|r| r == rule),
            "{} in {plan}: {rules}",
            e.entity
        );
        assert!(!f.selected && f.stratum.is_none());
        Ok(())
    };
    let deregistered = rounds::explain(db, ROUND, &uscc(DEREGISTERED)).await?;
    assert_eq!(deregistered.plans.len(), 3);
    for plan in ["P-SJ", "P-LH", "P-WJ"] {
        excluded_for(&deregistered, plan, "status")?;
    }
    assert!(deregistered.visit.is_none());

    let class_a = rounds::explain(db, ROUND, &uscc(CLASS_A)).await?;
    excluded_for(&class_a, "P-SJ", "class_a")?;
    excluded_for(&class_a, "P-LH", "class_a")?;
    let by_law = fate(&class_a, "P-WJ")?;
    assert_eq!(
        (by_law.fate.as_str(), by_law.stratum.as_deref()),
        ("frame", Some("A"))
    );

    let capped = rounds::explain(db, ROUND, &uscc(CAPPED)).await?;
    for plan in ["P-SJ", "P-LH", "P-WJ"] {
        excluded_for(&capped, plan, "annual_cap")?;
    }
    let cooling = rounds::explain(db, ROUND, &uscc(COOLING)).await?;
    excluded_for(&cooling, "P-SJ", "cooling_off")?;
    excluded_for(&cooling, "P-LH", "cooling_off")?;
    assert!(
        fate(&cooling, "P-SJ")?
            .excluded
            .unwrap_or_default()
            .contains("2025-05-01"),
        "the detail names the inspection"
    );
    assert_eq!(fate(&cooling, "P-WJ")?.fate, "frame");

    let new = rounds::explain(db, ROUND, &uscc(NEW)).await?;
    for plan in ["P-SJ", "P-LH", "P-WJ"] {
        let f = fate(&new, plan)?;
        assert_eq!(
            (f.fate.as_str(), f.stratum.as_deref()),
            ("frame", Some("N")),
            "{plan}"
        );
    }

    // A selected entity: its visit, and `selected` exactly for the plans that drew it.
    let visit = drawn.visits.first().ok_or("no visit")?;
    let explained = rounds::explain(db, ROUND, &visit.entity).await?;
    assert_eq!(explained.visit.as_ref(), Some(visit));
    let selected_plans: Vec<&str> = explained
        .plans
        .iter()
        .filter(|p| p.selected)
        .map(|p| p.plan.as_str())
        .collect();
    assert_eq!(
        selected_plans,
        visit.plans.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        explained
            .plans
            .iter()
            .filter(|p| p.selected)
            .all(|p| p.fate == "frame")
    );
    assert!(matches!(
        rounds::explain(db, "NO-SUCH-ROUND", &visit.entity).await,
        Err(WorkflowError::NotFound { what: "round", .. })
    ));
    Ok(())
}

// ---------------------------------------------------------------------------
// 3. Visits.

async fn visits_hold_every_item_with_eligible_teams(db: &Db) -> TestResult {
    let Drawn {
        round,
        record,
        visits,
    } = drawn(db).await?;
    let specs = entry_specs()?;
    let chosen = selected(&record);
    let mut expected: BTreeMap<String, BTreeSet<(String, String, String)>> = BTreeMap::new();
    let mut departments: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (entry, ids) in &chosen {
        let (plan, department, items, _) =
            specs.get(entry).ok_or(format!("unknown entry {entry}"))?;
        for id in ids {
            let set = expected.entry(id.clone()).or_default();
            for item in items {
                set.insert((plan.clone(), department.clone(), item.clone()));
            }
            departments
                .entry(id.clone())
                .or_default()
                .insert(department.clone());
        }
    }
    assert!(!visits.is_empty());
    assert_eq!(visits.len(), expected.len(), "one visit per drawn entity");
    let selections: usize = chosen.values().map(BTreeSet::len).sum();
    assert!(
        visits.len() < selections,
        "overlapping plans share visits ({} visits, {selections} selections)",
        visits.len()
    );

    let inspectors: HashMap<String, Inspector> = {
        let mut all = HashMap::new();
        for d in [SJ, YJ, WJ] {
            for n in 1..=10 {
                let i = inspector(d, n)?;
                all.insert(i.cert_no.as_str().to_owned(), i);
            }
        }
        all
    };
    let previous: HashMap<String, Vec<String>> = history()?
        .into_iter()
        .filter(|p| p.on < round.window_start)
        .map(|p| (uscc(p.entity), p.inspectors))
        .collect();
    let (start, end) = (round.window_start, round.window_end);
    let mut exercised = BTreeSet::new();
    let mut unstaffed_teams = 0;
    for visit in &visits {
        assert_eq!(visit.id, format!("{ROUND}/{}", visit.entity));
        assert_eq!(visit.due_by, end);
        let items: BTreeSet<(String, String, String)> = visit
            .items
            .iter()
            .map(|i| (i.plan.clone(), i.department.clone(), i.item.clone()))
            .collect();
        assert_eq!(
            Some(&items),
            expected.get(&visit.entity),
            "items of {}",
            visit.id
        );
        assert_eq!(
            items.len(),
            visit.items.len(),
            "no item twice on {}",
            visit.id
        );
        let plans: BTreeSet<String> = items.iter().map(|(p, _, _)| p.clone()).collect();
        assert_eq!(visit.plans.iter().cloned().collect::<BTreeSet<_>>(), plans);
        let teams: BTreeSet<String> = visit.teams.iter().map(|t| t.department.clone()).collect();
        assert_eq!(
            Some(&teams),
            departments.get(&visit.entity),
            "teams of {}",
            visit.id
        );
        let i = index_of(&visit.entity).ok_or("bad entity")?;
        for team in &visit.teams {
            let required: BTreeSet<&str> = visit
                .plans
                .iter()
                .flat_map(|p| specs.values().filter(move |s| &s.0 == p))
                .filter(|s| s.1 == team.department)
                .filter_map(|s| s.3.as_deref())
                .collect();
            if team.department == WJ {
                assert!(
                    team.unstaffed && team.assigned.is_empty() && team.eligible < team.k,
                    "WJW is short on {}: {team:?}",
                    visit.id
                );
                unstaffed_teams += 1;
                continue;
            }
            assert!(
                !team.unstaffed,
                "{} is staffed on {}: {team:?}",
                team.department, visit.id
            );
            assert_eq!(team.assigned.len(), team.k as usize);
            assert_eq!(
                team.assigned.iter().collect::<BTreeSet<_>>().len(),
                team.assigned.len(),
                "no inspector twice"
            );
            for assigned in &team.assigned {
                let person = inspectors
                    .get(assigned)
                    .ok_or(format!("unknown inspector {assigned}"))?;
                assert_eq!(
                    person.department.as_str(),
                    team.department,
                    "{assigned} on {}",
                    visit.id
                );
                assert!(
                    person.is_certified_on(start) && person.is_certified_on(end),
                    "{assigned} has no valid certificate for the window"
                );
                for field in &required {
                    assert!(
                        person.fields.iter().any(|f| f == field),
                        "{assigned} lacks {field}"
                    );
                }
                assert!(
                    !(assigned == SJ_RECUSED && i % 3 == 0),
                    "{assigned} is recused from {}",
                    visit.entity
                );
                assert!(
                    !(assigned == YJ_RECUSED && i % 2 == 0),
                    "{assigned} is recused from {}",
                    visit.entity
                );
                assert!(
                    !previous
                        .get(&visit.entity)
                        .is_some_and(|p| p.contains(assigned)),
                    "{assigned} inspected {} last time",
                    visit.entity
                );
            }
            if team.department == SJ && PREVIOUS.contains(&i) {
                exercised.insert("previous");
            }
            if team.department == SJ && i % 3 == 0 {
                exercised.insert("sj recusal");
            }
            if team.department == YJ && i % 2 == 0 {
                exercised.insert("yj recusal");
            }
            if team.department == YJ {
                exercised.insert("yj field");
            }
        }
        assert_eq!(
            visit.unstaffed(),
            visit.teams.iter().any(|t| t.department == WJ)
        );
    }
    assert_eq!(
        exercised.len(),
        4,
        "the fixture exercises every rule: {exercised:?}"
    );
    assert!(unstaffed_teams > 0);
    assert_eq!(round.unstaffed, unstaffed_teams);
    assert_intact(db).await
}

async fn reassignment_needs_a_reason_and_an_eligible_team(db: &Db) -> TestResult {
    let Drawn { visits, .. } = drawn(db).await?;
    let wj_visit = visits
        .iter()
        .find(|v| v.teams.iter().any(|t| t.department == WJ))
        .ok_or("no WJW visit")?;
    let when = at(2025, 7, 5)?;
    refused_reassignment(
        db,
        &wj_visit.id,
        WJ,
        &[cert(WJ, 1), cert(WJ, 3)],
        " ",
        "no reason",
    )
    .await?;
    refused_reassignment(db, &wj_visit.id, WJ, &[cert(WJ, 1)], "补充", "too few").await?;
    refused_reassignment(
        db,
        &wj_visit.id,
        WJ,
        &[cert(WJ, 1), cert(WJ, 2)],
        "补充",
        "expiring certificate",
    )
    .await?;
    refused_reassignment(
        db,
        &wj_visit.id,
        WJ,
        &[cert(WJ, 1), cert(SJ, 1)],
        "补充",
        "another department",
    )
    .await?;
    if !wj_visit.teams.iter().any(|t| t.department == YJ) {
        refused_reassignment(
            db,
            &wj_visit.id,
            YJ,
            &[cert(YJ, 1), cert(YJ, 2)],
            "补充",
            "a department without a team",
        )
        .await?;
    }
    refused_reassignment(
        db,
        &wj_visit.id,
        WJ,
        &[cert(WJ, 1), cert(WJ, 1)],
        "补充",
        "one inspector twice",
    )
    .await?;
    if let Some(recused) = visits.iter().find(|v| {
        index_of(&v.entity).is_some_and(|i| i % 3 == 0)
            && v.teams.iter().any(|t| t.department == SJ)
    }) {
        refused_reassignment(
            db,
            &recused.id,
            SJ,
            &[SJ_RECUSED.into(), cert(SJ, 4)],
            "补充",
            "a recused inspector",
        )
        .await?;
    }
    // WJW takes on a qualified inspector after the draw, and the team is reassigned.
    let mut newcomer = inspector(WJ, 1)?.fields().clone();
    newcomer.cert_no = CertificateNo::parse("HB300011")?;
    newcomer.name = "新调入检查员".into();
    db.upsert_inspectors(&[Inspector::new(newcomer)?]).await?;
    let to = vec![cert(WJ, 1), "HB300011".to_owned()];
    let reason = "卫健委补充持证执法人员";
    let changed = rounds::reassign(db, &wj_visit.id, WJ, &to, reason, when, "科长").await?;
    let team = changed
        .teams
        .iter()
        .find(|t| t.department == WJ)
        .ok_or("no WJW team")?;
    assert_eq!(team.assigned, to);
    assert!(!team.unstaffed && !changed.unstaffed());
    let last = changed
        .reassignments
        .last()
        .ok_or("no reassignment recorded")?;
    assert_eq!(
        (
            last.department.as_str(),
            last.from.as_slice(),
            last.to.as_slice()
        ),
        (WJ, &[][..], to.as_slice())
    );
    assert_eq!(
        (last.reason.as_str(), last.actor.as_str(), last.at),
        (reason, "科长", when)
    );
    assert_eq!(
        db.get::<Visit>(&wj_visit.id).await?.as_ref(),
        Some(&changed)
    );
    let ledger = db.ledger().await?;
    let entry = ledger.last().ok_or("empty ledger")?;
    assert_eq!(
        (
            entry.action.as_str(),
            entry.subject_table.as_str(),
            entry.subject_key.as_str(),
            entry.detail.as_str(),
            entry.actor.as_str()
        ),
        (
            "visit.reassigned",
            "visits",
            wj_visit.id.as_str(),
            reason,
            "科长"
        )
    );
    assert_intact(db).await
}

// ---------------------------------------------------------------------------
// 4. Results.

async fn results_deadlines_immutability_and_corrections(db: &Db) -> TestResult {
    let calendar = workcal::Calendar::embedded()?;
    // 2025-09-26 (Fri): 28 Sep is a make-up working day, 1–8 Oct 国庆/中秋, 11 Oct a make-up day.
    assert_eq!(
        results::publish_due(&calendar, date(2025, 9, 26)?)?,
        date(2025, 10, 30)?
    );
    assert_eq!(
        results::publish_due(&calendar, date(2025, 11, 7)?)?,
        date(2025, 12, 5)?
    );

    let Drawn { visits, .. } = drawn(db).await?;
    let sj_visits: Vec<&Visit> = visits
        .iter()
        .filter(|v| v.teams.iter().any(|t| t.department == SJ))
        .collect();
    let (v1, v2) = match sj_visits.as_slice() {
        [a, b, ..] => (*a, *b),
        _ => return Err("two SJGJ visits needed".into()),
    };
    let when = at(2025, 9, 27)?;
    let mut bad = entry(SJ);
    bad.check_start = date(2025, 9, 27)?;
    expect_refused(
        results::enter_visit(db, &calendar, &v1.id, SJ, &bad, when, ACTOR).await,
        "a check ending before it starts",
    )?;
    if let Some(other) = visits
        .iter()
        .find(|v| !v.teams.iter().any(|t| t.department == WJ))
    {
        expect_refused(
            results::enter_visit(db, &calendar, &other.id, WJ, &entry(WJ), when, ACTOR).await,
            "a department with no part",
        )?;
    }
    if let Some(wj_visit) = visits
        .iter()
        .find(|v| v.teams.iter().any(|t| t.department == WJ))
    {
        let mut nobody = entry(WJ);
        nobody.inspectors.clear();
        expect_refused(
            results::enter_visit(db, &calendar, &wj_visit.id, WJ, &nobody, when, ACTOR).await,
            "an unstaffed team naming nobody",
        )?;
    }

    let entered = results::enter_visit(db, &calendar, &v1.id, SJ, &entry(SJ), when, ACTOR).await?;
    let expected_ids: BTreeSet<String> = v1
        .items
        .iter()
        .filter(|i| i.department == SJ)
        .map(|i| format!("{}/{}/{SJ}/{}", v1.id, i.plan, i.item))
        .collect();
    assert_eq!(
        entered
            .iter()
            .map(|r| r.id.clone())
            .collect::<BTreeSet<_>>(),
        expected_ids
    );
    let team = v1
        .teams
        .iter()
        .find(|t| t.department == SJ)
        .ok_or("no SJGJ team")?;
    for r in &entered {
        assert_eq!(
            (r.status, r.publish_due, r.published_on),
            (ResultStatus::Entered, date(2025, 10, 30)?, None)
        );
        assert_eq!(r.inspectors, team.assigned, "the team by default");
        assert_eq!(
            (r.visit.as_deref(), r.entity.as_str(), r.department.as_str()),
            (Some(v1.id.as_str()), v1.entity.as_str(), SJ)
        );
    }
    // Entered results may still change.
    let mut corrected = entry(SJ);
    corrected.category = ResultCategory::Corrected;
    corrected.follow_up = FollowUp::OrderCorrection;
    let reentered =
        results::enter_visit(db, &calendar, &v1.id, SJ, &corrected, when, ACTOR).await?;
    assert!(
        reentered
            .iter()
            .all(|r| r.category == ResultCategory::Corrected)
    );
    let ids: Vec<String> = reentered.iter().map(|r| r.id.clone()).collect();
    let published =
        results::publish(db, &ids, date(2025, 10, 20)?, at(2025, 10, 20)?, ACTOR).await?;
    assert!(published.iter().all(|r| r.status == ResultStatus::Published
        && r.published_on == Some(date(2025, 10, 20).unwrap_or_default())));
    assert!(
        published
            .iter()
            .all(|r| !r.overdue(date(2026, 6, 1).unwrap_or_default())),
        "published on time"
    );
    expect_refused(
        results::enter_visit(db, &calendar, &v1.id, SJ, &entry(SJ), when, ACTOR).await,
        "re-entering published results",
    )?;
    expect_refused(
        results::publish(db, &ids, date(2025, 10, 21)?, at(2025, 10, 21)?, ACTOR).await,
        "publishing twice",
    )?;
    let first = ids.first().ok_or("no result")?.clone();
    let stored = db
        .get::<InspectionResult>(&first)
        .await?
        .ok_or("result is gone")?;
    assert_eq!(
        (stored.category, stored.status),
        (ResultCategory::Corrected, ResultStatus::Published)
    );

    // A correction is a new, linked, published result; the original stays.
    let mut fix = entry(SJ);
    fix.category = ResultCategory::PendingFollowUp;
    expect_refused(
        results::correct(
            db,
            &first,
            &fix,
            "",
            date(2025, 10, 25)?,
            at(2025, 10, 25)?,
            ACTOR,
        )
        .await,
        "a correction without a reason",
    )?;
    let correction = results::correct(
        db,
        &first,
        &fix,
        "录入类别有误",
        date(2025, 10, 25)?,
        at(2025, 10, 25)?,
        "复核员",
    )
    .await?;
    assert_eq!(correction.id, format!("{first}/更正1"));
    assert_eq!(correction.corrects.as_deref(), Some(first.as_str()));
    assert_eq!(
        (
            correction.status,
            correction.category,
            correction.published_on
        ),
        (
            ResultStatus::Published,
            ResultCategory::PendingFollowUp,
            Some(date(2025, 10, 25)?)
        )
    );
    assert_eq!(
        (
            correction.entity.as_str(),
            correction.item.as_str(),
            correction.entered_by.as_str()
        ),
        (stored.entity.as_str(), stored.item.as_str(), "复核员")
    );
    assert_eq!(
        db.get::<InspectionResult>(&first).await?.as_ref(),
        Some(&stored),
        "the original is untouched"
    );
    assert_eq!(
        db.get::<InspectionResult>(&correction.id).await?.as_ref(),
        Some(&correction)
    );
    let again = results::correct(
        db,
        &first,
        &fix,
        "再次更正",
        date(2025, 10, 26)?,
        at(2025, 10, 26)?,
        ACTOR,
    )
    .await?;
    assert_eq!(again.id, format!("{first}/更正2"));
    let ledger = db.ledger().await?;
    assert!(ledger.iter().any(|e| e.action == "result.corrected"
        && e.subject_key == correction.id
        && e.detail == "录入类别有误"));

    // Both departments of the joint plan check LH-001: each enters its own result.
    let joint = visits
        .iter()
        .find(|v| v.id != v1.id && v.id != v2.id && v.plans.iter().any(|p| p == "P-LH"))
        .ok_or("no joint visit")?;
    let by_sj = results::enter_visit(db, &calendar, &joint.id, SJ, &entry(SJ), when, ACTOR).await?;
    let mut yj_entry = entry(YJ);
    yj_entry.category = ResultCategory::PendingFollowUp;
    let by_yj = results::enter_visit(db, &calendar, &joint.id, YJ, &yj_entry, when, ACTOR).await?;
    let lh = |rows: &[InspectionResult]| {
        rows.iter()
            .find(|r| r.plan.as_deref() == Some("P-LH") && r.item == "LH-001")
            .map(|r| r.id.clone())
    };
    let (sj_lh, yj_lh) = (
        lh(&by_sj).ok_or("no SJGJ LH-001")?,
        lh(&by_yj).ok_or("no YJJ LH-001")?,
    );
    assert_ne!(sj_lh, yj_lh, "one result per department and item");
    let stored_sj = db
        .get::<InspectionResult>(&sj_lh)
        .await?
        .ok_or("SJGJ's LH-001 result is gone")?;
    assert_eq!(
        (stored_sj.department.as_str(), stored_sj.category),
        (SJ, ResultCategory::NoProblem),
        "YJJ's entry left SJGJ's alone"
    );
    let stored_yj = db
        .get::<InspectionResult>(&yj_lh)
        .await?
        .ok_or("YJJ's LH-001 result is gone")?;
    assert_eq!(
        (stored_yj.department.as_str(), stored_yj.category),
        (YJ, ResultCategory::PendingFollowUp)
    );

    // Overdue: unpublished past the due date, or published after it.
    let late = results::enter_visit(db, &calendar, &v2.id, SJ, &entry(SJ), when, ACTOR).await?;
    let late_first = late.first().ok_or("no result")?.clone();
    expect_refused(
        results::correct(
            db,
            &late_first.id,
            &fix,
            "更正",
            date(2025, 10, 25)?,
            at(2025, 10, 25)?,
            ACTOR,
        )
        .await,
        "correcting an unpublished result",
    )?;
    assert!(!late_first.overdue(date(2025, 10, 30)?) && late_first.overdue(date(2025, 10, 31)?));
    let late_ids: Vec<String> = late.iter().map(|r| r.id.clone()).collect();
    let published_late =
        results::publish(db, &late_ids, date(2025, 11, 5)?, at(2025, 11, 5)?, ACTOR).await?;
    assert!(
        published_late
            .iter()
            .all(|r| r.overdue(date(2025, 11, 5).unwrap_or_default())
                && r.overdue(date(2025, 10, 1).unwrap_or_default()))
    );
    assert!(
        ledger
            .iter()
            .all(|e| e.action != "result.published" || e.detail.contains("0 after"))
    );
    let ledger = db.ledger().await?;
    assert!(ledger.last().is_some_and(|e| {
        e.action == "result.published"
            && e.detail
                .contains(&format!("{} after the due date", late_ids.len()))
    }));
    assert_intact(db).await
}

// ---------------------------------------------------------------------------
// 5. Out-of-plan inspections.

async fn out_of_plan_other_is_flagged(db: &Db) -> TestResult {
    load_directory(db).await?;
    let reasons = [
        OutOfPlanReason::Complaint,
        OutOfPlanReason::Assigned,
        OutOfPlanReason::Hazard,
        OutOfPlanReason::Other,
    ];
    for (n, reason) in reasons.into_iter().enumerate() {
        let id = format!("SJGJ-2025-{n:04}");
        let record = results::register_out_of_plan(
            db,
            &id,
            &uscc(20 + n as u32),
            SJ,
            reason,
            " 群众来电反映 ",
            None,
            date(2025, 4, 1)?,
            vec![cert(SJ, 1), cert(SJ, 2)],
            at(2025, 4, 1)?,
            ACTOR,
        )
        .await?;
        assert_eq!(record.flagged, reason == OutOfPlanReason::Other, "{reason}");
        assert_eq!(record.detail, "群众来电反映");
        assert_eq!(db.get::<OutOfPlan>(&id).await?.as_ref(), Some(&record));
    }
    let flagged: Vec<String> = db
        .list::<OutOfPlan>(None)
        .await?
        .into_iter()
        .filter(|o| o.flagged)
        .map(|o| o.id)
        .collect();
    assert_eq!(flagged, ["SJGJ-2025-0003"]);
    assert_eq!(
        db.list::<OutOfPlan>(Some(("reason", "其他"))).await?.len(),
        1
    );
    let ledger = db.ledger().await?;
    let flag_entry = ledger
        .iter()
        .find(|e| e.subject_key == "SJGJ-2025-0003")
        .ok_or("no ledger entry")?;
    assert!(
        flag_entry.detail.contains("司法局"),
        "{}",
        flag_entry.detail
    );
    expect_refused(
        results::register_out_of_plan(
            db,
            "SJGJ-2025-0000",
            &uscc(1),
            SJ,
            OutOfPlanReason::Complaint,
            "重复",
            None,
            date(2025, 4, 1)?,
            Vec::new(),
            at(2025, 4, 1)?,
            ACTOR,
        )
        .await,
        "an id twice",
    )?;
    expect_refused(
        results::register_out_of_plan(
            db,
            "SJGJ-2025-0099",
            &uscc(1),
            SJ,
            OutOfPlanReason::Other,
            "  ",
            None,
            date(2025, 4, 1)?,
            Vec::new(),
            at(2025, 4, 1)?,
            ACTOR,
        )
        .await,
        "no detail",
    )?;
    // Bad codes and inspectors are refused, and nothing is recorded.
    let attempt = |entity: String, inspectors: Vec<String>| async move {
        results::register_out_of_plan(
            db,
            "SJGJ-2025-0100",
            &entity,
            SJ,
            OutOfPlanReason::Complaint,
            "群众来电反映",
            None,
            date(2025, 4, 1).map_err(|e| WorkflowError::Refused(e.to_string().into()))?,
            inspectors,
            at(2025, 4, 1).map_err(|e| WorkflowError::Refused(e.to_string().into()))?,
            ACTOR,
        )
        .await
    };
    let two = vec![cert(SJ, 1), cert(SJ, 2)];
    expect_refused(
        attempt("91350100M0001TGQXZ".into(), two.clone()).await,
        "a malformed code",
    )?;
    expect_refused(
        attempt("91350100M0001TGQXM".into(), two.clone()).await,
        "a code not in the directory",
    )?;
    expect_refused(attempt(uscc(1), vec![cert(SJ, 1)]).await, "one inspector")?;
    expect_refused(
        attempt(uscc(1), vec![cert(SJ, 1), cert(YJ, 1)]).await,
        "another department's inspector",
    )?;
    assert!(
        matches!(
            attempt(uscc(1), vec![cert(SJ, 1), "HB999999".into()]).await,
            Err(WorkflowError::NotFound {
                what: "inspector",
                ..
            })
        ),
        "an unknown inspector"
    );
    assert!(db.get::<OutOfPlan>("SJGJ-2025-0100").await?.is_none());
    let lower = attempt(uscc(1).to_lowercase(), two).await?;
    assert_eq!(
        lower.entity,
        uscc(1),
        "the code is stored in its canonical form"
    );
    assert_intact(db).await
}

// ---------------------------------------------------------------------------
// 7. Reports.

const CATEGORIES: [ResultCategory; 6] = [
    ResultCategory::NoProblem,
    ResultCategory::Corrected,
    ResultCategory::PendingFollowUp,
    ResultCategory::NoRelevantActivity,
    ResultCategory::NotDisclosed,
    ResultCategory::Closed,
];

/// What the fixture's categories mean for the problem-found rate (BRIEF §A).
fn is_problem(category: ResultCategory) -> bool {
    matches!(
        category,
        ResultCategory::Corrected | ResultCategory::PendingFollowUp | ResultCategory::NotDisclosed
    )
}

/// One entered result, as the test remembers it.
struct Entered {
    department: String,
    category: ResultCategory,
    /// None: unpublished; Some(true): on time; Some(false): late.
    on_time: Option<bool>,
}

/// Enters results for the first six visits: every department, categories in
/// turn; visits 0–1 published on time, 2 late, 3–5 left unpublished. Then
/// corrects one result of visit 0 (to a problem category).
async fn enter_results(db: &Db, visits: &[Visit]) -> Fallible<Vec<Entered>> {
    let calendar = workcal::Calendar::embedded()?;
    let mut entered = Vec::new();
    let mut corrected_one = false;
    for (n, visit) in visits.iter().take(6).enumerate() {
        for team in &visit.teams {
            let mut e = entry(&team.department);
            e.category = CATEGORIES[(n + entered.len()) % CATEGORIES.len()];
            let rows = results::enter_visit(
                db,
                &calendar,
                &visit.id,
                &team.department,
                &e,
                at(2025, 9, 27)?,
                ACTOR,
            )
            .await?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let on_time = match n {
                0 | 1 => {
                    results::publish(db, &ids, date(2025, 10, 20)?, at(2025, 10, 20)?, ACTOR)
                        .await?;
                    Some(true)
                }
                2 => {
                    results::publish(db, &ids, date(2025, 11, 10)?, at(2025, 11, 10)?, ACTOR)
                        .await?;
                    Some(false)
                }
                _ => None,
            };
            let category = e.category;
            if n == 0 && !corrected_one {
                let mut fix = entry(&team.department);
                fix.category = if is_problem(e.category) {
                    ResultCategory::NoProblem
                } else {
                    ResultCategory::PendingFollowUp
                };
                let first = ids.first().ok_or("no result")?;
                results::correct(
                    db,
                    first,
                    &fix,
                    "更正类别",
                    date(2025, 10, 22)?,
                    at(2025, 10, 22)?,
                    ACTOR,
                )
                .await?;
                corrected_one = true;
                // The first result now counts with the correction's category; the rest with the entered one.
                entered.push(Entered {
                    department: team.department.clone(),
                    category: fix.category,
                    on_time,
                });
                for _ in 1..ids.len() {
                    entered.push(Entered {
                        department: team.department.clone(),
                        category,
                        on_time,
                    });
                }
                continue;
            }
            for _ in &ids {
                entered.push(Entered {
                    department: team.department.clone(),
                    category,
                    on_time,
                });
            }
        }
    }
    Ok(entered)
}

async fn report_figures_match_what_was_entered(db: &Db) -> TestResult {
    let Drawn { record, visits, .. } = drawn(db).await?;
    let entered = enter_results(db, &visits).await?;
    let today = date(2026, 1, 15)?;
    let specs = entry_specs()?;
    let chosen = selected(&record);
    // Selections counted once per plan (a joint plan's entries draw the same entities).
    let mut per_plan: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (entry_id, ids) in &chosen {
        let (plan, ..) = specs.get(entry_id).ok_or("unknown entry")?;
        per_plan
            .entry(plan.clone())
            .or_default()
            .extend(ids.iter().cloned());
    }
    let plan_departments = |plan: &str| -> BTreeSet<String> {
        specs
            .values()
            .filter(|s| s.0 == plan)
            .map(|s| s.1.clone())
            .collect()
    };
    for period in [report::Period::Year(2025), report::Period::Quarter(2025, 3)] {
        let built = report::build(db, period, None, today).await?;
        assert_eq!(
            built.rows.first().map(|r| r.department.as_str()),
            Some("全市")
        );
        let codes: Vec<&str> = built
            .rows
            .iter()
            .skip(1)
            .map(|r| r.department.as_str())
            .collect();
        assert_eq!(codes, [SJ, WJ, YJ]);
        for row in &built.rows {
            let department = (row.department != "全市").then_some(row.department.as_str());
            let mine = |plan: &str| department.is_none_or(|d| plan_departments(plan).contains(d));
            let plans: Vec<&String> = per_plan.keys().filter(|p| mine(p)).collect();
            let selections: u64 = per_plan
                .iter()
                .filter(|(p, _)| mine(p))
                .map(|(_, s)| s.len() as u64)
                .sum();
            let entities: BTreeSet<&String> = per_plan
                .iter()
                .filter(|(p, _)| mine(p))
                .flat_map(|(_, s)| s)
                .collect();
            let label = format!("{:?} {}", period, row.department);
            assert_eq!(row.plans_drawn, plans.len() as u64, "{label}");
            assert_eq!(
                row.joint_plans_drawn,
                u64::from(plans.iter().any(|p| p.as_str() == "P-LH")),
                "{label}"
            );
            assert_eq!(row.selections, selections, "{label}");
            assert_eq!(
                row.visits,
                entities.len() as u64,
                "{label}: one visit per entity"
            );
            assert_eq!(row.entities_drawn, entities.len() as u64, "{label}");
            assert!(row.visits <= row.selections, "{label}");
            assert_eq!(row.doors_saved, row.selections - row.visits, "{label}");
            let wj_visits = visits
                .iter()
                .filter(|v| v.teams.iter().any(|t| t.department == WJ))
                .count() as u64;
            assert_eq!(
                row.unstaffed_visits,
                if department.is_none_or(|d| d == WJ) {
                    wj_visits
                } else {
                    0
                },
                "{label}"
            );
            let results: Vec<&Entered> = entered
                .iter()
                .filter(|e| department.is_none_or(|d| d == e.department))
                .collect();
            let problems = results.iter().filter(|e| is_problem(e.category)).count() as u64;
            assert_eq!(
                row.results,
                results.len() as u64,
                "{label}: corrections are not counted twice"
            );
            assert_eq!(row.problems_found, problems, "{label}");
            let rate = if results.is_empty() {
                0.0
            } else {
                (problems as f64 * 1000.0 / results.len() as f64).round() / 10.0
            };
            assert!(
                (row.problem_rate_percent - rate).abs() < 1e-9,
                "{label}: {} vs {rate}",
                row.problem_rate_percent
            );
            // Publication is judged as of the report's day (15 January 2026), for
            // the quarter as for the year: the Q3 checks are all past their due dates.
            let expect = |n: usize| n as u64;
            assert_eq!(
                row.published_on_time,
                expect(results.iter().filter(|e| e.on_time == Some(true)).count()),
                "{label}"
            );
            assert_eq!(
                row.published_late,
                expect(results.iter().filter(|e| e.on_time == Some(false)).count()),
                "{label}"
            );
            assert_eq!(
                row.overdue_unpublished,
                expect(results.iter().filter(|e| e.on_time.is_none()).count()),
                "{label}"
            );
            assert_eq!(
                row.plans_executed, 0,
                "{label}: only six visits have results"
            );
            // Out-of-plan inspections in the period: Feb (YJJ 投诉举报), Mar (WJW 涉安涉危), May (SJGJ 其他, flagged).
            let out: Vec<(&str, &str)> = match period {
                report::Period::Year(_) => vec![(YJ, "投诉举报"), (WJ, "涉安涉危"), (SJ, "其他")],
                _ => Vec::new(),
            };
            for reason in ["投诉举报", "上级交办", "涉安涉危", "其他"] {
                let n = out
                    .iter()
                    .filter(|(d, r)| *r == reason && department.is_none_or(|x| x == *d))
                    .count() as u64;
                assert_eq!(row.out_of_plan.get(reason), Some(&n), "{label} {reason}");
            }
            let flagged = out
                .iter()
                .filter(|(d, r)| *r == "其他" && department.is_none_or(|x| x == *d))
                .count() as u64;
            assert_eq!(row.out_of_plan_flagged, flagged, "{label}");
        }
        let city = built.rows.first().ok_or("no city row")?;
        assert_eq!((city.plans_drawn, city.joint_plans_drawn), (3, 1));
        assert!((city.joint_share_percent - 33.3).abs() < 1e-9);
        assert!(
            city.doors_saved > 0,
            "the joint and single SJGJ plans share visits"
        );
    }
    // A quarter with no draw and no result: zeros, but the out-of-plan inspections of Q1.
    let q1 = report::build(db, report::Period::Quarter(2025, 1), None, today).await?;
    let city = q1.rows.first().ok_or("no city row")?;
    assert_eq!(
        (city.plans_drawn, city.visits, city.selections, city.results),
        (0, 0, 0, 0)
    );
    assert_eq!(
        (
            city.out_of_plan.get("投诉举报"),
            city.out_of_plan.get("涉安涉危"),
            city.out_of_plan_flagged
        ),
        (Some(&1), Some(&1), 0)
    );
    // One department only.
    let wj = report::build(db, report::Period::Year(2025), Some(WJ), today).await?;
    assert_eq!(
        wj.rows
            .iter()
            .map(|r| r.department.as_str())
            .collect::<Vec<_>>(),
        [WJ]
    );
    // Publication is judged as of today when the period has not ended: on 2 November
    // the first two visits' results were published on time, the rest overdue.
    let early = report::build(db, report::Period::Year(2025), None, date(2025, 11, 2)?).await?;
    let city = early.rows.first().ok_or("no city row")?;
    let on_time = entered.iter().filter(|e| e.on_time == Some(true)).count() as u64;
    assert_eq!(
        (
            city.published_on_time,
            city.published_late,
            city.overdue_unpublished
        ),
        (on_time, 0, entered.len() as u64 - on_time)
    );
    let city = report::build(db, report::Period::Year(2025), None, today)
        .await?
        .rows
        .into_iter()
        .next()
        .ok_or("no city row")?;
    assert!(
        city.problems_found > 0 && city.problems_found < city.results,
        "the fixture mixes categories"
    );
    // Results for every remaining WJW item: P-WJ is executed, the others are not.
    let calendar = workcal::Calendar::embedded()?;
    for visit in visits
        .iter()
        .skip(6)
        .filter(|v| v.plans.iter().any(|p| p == "P-WJ"))
    {
        results::enter_visit(
            db,
            &calendar,
            &visit.id,
            WJ,
            &entry(WJ),
            at(2025, 9, 27)?,
            ACTOR,
        )
        .await?;
    }
    let year = report::build(db, report::Period::Year(2025), None, today).await?;
    let executed: Vec<(&str, u64)> = year
        .rows
        .iter()
        .map(|r| (r.department.as_str(), r.plans_executed))
        .collect();
    assert_eq!(executed, [("全市", 1), (SJ, 0), (WJ, 1), (YJ, 0)]);
    let path = std::env::temp_dir().join(format!("{}.xlsx", unique("jianguan-workflow-report")));
    let year = report::build(db, report::Period::Year(2025), None, today).await?;
    report::write_xlsx(&year, &path, &files::watermark::Watermark::cli("test"))?;
    assert!(std::fs::metadata(&path)?.len() > 0);
    let _ = std::fs::remove_file(&path);
    assert_intact(db).await
}

// ---------------------------------------------------------------------------
// 6. Tampering.

/// A drawn round with results entered, published and corrected, a reassignment, and an intact ledger.
async fn audited(db: &Db) -> Fallible<Drawn> {
    let drawn = drawn(db).await?;
    enter_results(db, &drawn.visits).await?;
    assert_intact(db).await?;
    Ok(drawn)
}

async fn scalar(db: &Db, sql: &str) -> Fallible<i64> {
    Ok(match db {
        Db::Sqlite(store) => {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(store.pool())
                .await?
        }
        Db::Postgres(store) => {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(store.pool())
                .await?
        }
    })
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The audit finds a break matching `test`, and every break is about what was tampered with.
async fn assert_break(db: &Db, what: &str, test: impl Fn(&audit::Break) -> bool) -> TestResult {
    let found = audit::verify(db).await?;
    assert!(!found.intact(), "{what}: the audit found nothing");
    assert!(
        found.breaks.iter().any(&test),
        "{what}: unexpected breaks {:#?}",
        found.breaks
    );
    Ok(())
}

/// Each tampering case on the same store: the ledger is intact before it, the
/// audit attributes the break to it, and once the rows are restored (from backup
/// tables the audit does not look at) the ledger is intact again.
async fn tampering_is_detected_case_by_case(db: &Db) -> TestResult {
    let drawn = audited(db).await?;
    for (table, backup) in [
        ("ledger", "bk_ledger"),
        ("visits", "bk_visits"),
        ("round_frames", "bk_frames"),
    ] {
        execute(
            db,
            &format!("CREATE TABLE {backup} AS SELECT * FROM {table}"),
        )
        .await?;
    }
    let last = scalar(db, "SELECT max(seq) FROM ledger").await?;
    let middle = last / 2;

    // A result's document edited.
    let result = db
        .list::<InspectionResult>(None)
        .await?
        .into_iter()
        .find(|r| r.category == ResultCategory::NoProblem)
        .ok_or("no result")?;
    let original = db
        .document_rows::<InspectionResult>()
        .await?
        .into_iter()
        .find(|r| r.key == result.id)
        .ok_or("no row")?
        .doc;
    let id = quoted(&result.id);
    assert_eq!(execute(db, &format!("UPDATE results SET doc = replace(doc, '未发现问题', '发现问题待后续处理') WHERE id = {id}")).await?, 1);
    assert_only_break(db, "a result's document edited", |b| {
        b.subject == format!("results/{}", result.id) && b.problem.contains("edited directly")
    })
    .await?;
    execute(
        db,
        &format!(
            "UPDATE results SET doc = {} WHERE id = {id}",
            quoted(&original)
        ),
    )
    .await?;
    assert_intact(db).await?;

    // Only a derived column of a plan edited.
    assert_eq!(
        execute(db, "UPDATE plans SET status = '草稿' WHERE id = 'P-SJ'").await?,
        1
    );
    assert_only_break(db, "a plan's status column edited", |b| {
        b.subject == "plans/P-SJ" && b.problem.contains("column")
    })
    .await?;
    execute(db, "UPDATE plans SET status = '已批准' WHERE id = 'P-SJ'").await?;
    assert_intact(db).await?;

    // A ledger entry in the middle deleted.
    assert_eq!(
        execute(db, &format!("DELETE FROM ledger WHERE seq = {middle}")).await?,
        1
    );
    assert_break(db, "a ledger entry deleted", |b| {
        b.seq == middle + 1 && b.problem.contains("prev_hash")
    })
    .await?;
    assert_break(db, "a ledger entry deleted", |b| {
        b.seq == middle + 1 && b.problem.contains("position")
    })
    .await?;
    execute(
        db,
        &format!("INSERT INTO ledger SELECT * FROM bk_ledger WHERE seq = {middle}"),
    )
    .await?;
    assert_intact(db).await?;

    // Two ledger entries swapped (reordered, nothing lost).
    let (a, b) = (middle, middle + 1);
    let parking = last + 1000;
    let swap = [
        format!("UPDATE ledger SET seq = {parking} WHERE seq = {a}"),
        format!("UPDATE ledger SET seq = {a} WHERE seq = {b}"),
        format!("UPDATE ledger SET seq = {b} WHERE seq = {parking}"),
    ];
    for sql in &swap {
        assert_eq!(execute(db, sql).await?, 1, "{sql}");
    }
    assert_eq!(
        scalar(db, "SELECT count(*) FROM ledger").await?,
        last,
        "nothing lost, only reordered"
    );
    assert_break(db, "two ledger entries swapped", |x| {
        x.seq == a && x.problem.contains("prev_hash")
    })
    .await?;
    for sql in &swap {
        execute(db, sql).await?;
    }
    assert_intact(db).await?;

    // The last ledger entry deleted.
    assert_eq!(
        execute(db, &format!("DELETE FROM ledger WHERE seq = {last}")).await?,
        1
    );
    assert_break(db, "the last ledger entry deleted", |b| {
        b.subject == "ledger_head" && b.seq == last
    })
    .await?;
    execute(
        db,
        &format!("INSERT INTO ledger SELECT * FROM bk_ledger WHERE seq = {last}"),
    )
    .await?;
    assert_intact(db).await?;

    // A visit deleted (one without results: the first six have some).
    let visit = drawn.visits.get(6).ok_or("too few visits")?;
    let vid = quoted(&visit.id);
    assert_eq!(
        execute(db, &format!("DELETE FROM visits WHERE id = {vid}")).await?,
        1
    );
    let subject = format!("visits/{}", visit.id);
    assert_only_break(db, "a visit deleted", |b| {
        b.subject == subject && b.problem.contains("deleted")
    })
    .await?;
    execute(
        db,
        &format!("INSERT INTO visits SELECT * FROM bk_visits WHERE id = {vid}"),
    )
    .await?;
    assert_intact(db).await?;

    // A frozen frame edited: its first row dropped (18 + tab + stratum + newline = 21 bytes).
    let which = format!("round = {} AND plan = 'P-SJ'", quoted(ROUND));
    assert_eq!(
        execute(
            db,
            &format!("UPDATE round_frames SET frame = substr(frame, 22) WHERE {which}")
        )
        .await?,
        1
    );
    let subject = format!("round_frames/{ROUND}/P-SJ");
    assert_only_break(db, "a frozen frame edited", |b| b.subject == subject).await?;
    // Whatever export does with it, the edited frame cannot pass as the drawn one.
    if let Ok(record) = rounds::export(db, ROUND).await {
        assert!(
            !draw::verify(&record).is_empty(),
            "a record with an edited frame verifies"
        );
    }
    execute(db, &format!("UPDATE round_frames SET frame = (SELECT frame FROM bk_frames WHERE {which}) WHERE {which}")).await?;
    assert_intact(db).await?;

    // The frozen exclusions rewritten, so `explain` would tell another story.
    assert_eq!(
        execute(
            db,
            &format!("UPDATE round_frames SET exclusions = '' WHERE {which}")
        )
        .await?,
        1
    );
    assert_only_break(db, "exclusions rewritten", |b| {
        b.subject == subject && b.problem.contains("exclusions")
    })
    .await?;
    execute(db, &format!("UPDATE round_frames SET exclusions = (SELECT exclusions FROM bk_frames WHERE {which}) WHERE {which}")).await?;
    assert_intact(db).await?;

    // The sealed secret deleted.
    execute(db, "CREATE TABLE bk_secrets AS SELECT * FROM round_secrets").await?;
    assert_eq!(
        execute(
            db,
            &format!("DELETE FROM round_secrets WHERE round = {}", quoted(ROUND))
        )
        .await?,
        1
    );
    let subject = format!("round_secrets/{ROUND}");
    assert_only_break(db, "secret deleted", |b| {
        b.subject == subject && b.problem.contains("missing")
    })
    .await?;
    execute(db, "INSERT INTO round_secrets SELECT * FROM bk_secrets").await?;
    assert_intact(db).await?;
    Ok(())
}

/// A reassignment of `members` to `department`'s team on `visit` (on 5 July 2025) that must be refused.
async fn refused_reassignment(
    db: &Db,
    visit: &str,
    department: &str,
    members: &[String],
    reason: &str,
    what: &str,
) -> TestResult {
    let when = at(2025, 7, 5)?;
    expect_refused(
        rounds::reassign(db, visit, department, members, reason, when, ACTOR).await,
        what,
    )
}

/// Like [`assert_break`], and it is the only break.
async fn assert_only_break(
    db: &Db,
    what: &str,
    test: impl Fn(&audit::Break) -> bool,
) -> TestResult {
    let found = audit::verify(db).await?;
    assert!(
        found.breaks.len() == 1 && found.breaks.iter().all(&test),
        "{what}: expected one break, found {:#?}",
        found.breaks
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The CLI, on a SQLite file loaded through the library.

// ---------------------------------------------------------------------------
// 7. Ledger anchors.

/// Rewrites the detail of the ledger entry at `seq` and recomputes every hash
/// after it and the head, as someone with database access could: the chain
/// stays consistent and `audit verify` alone finds nothing.
async fn rewrite_ledger_consistently(db: &Db, seq: i64, detail: &str) -> TestResult {
    let mut entries = db.ledger().await?;
    let start = usize::try_from(seq - 1)?;
    entries[start].detail = detail.to_owned();
    let mut previous = entries[start].prev_hash.clone();
    for entry in entries.iter_mut().skip(start) {
        entry.prev_hash = previous;
        entry.hash = entry.expected_hash();
        previous = entry.hash.clone();
        execute(
            db,
            &format!(
                "UPDATE ledger SET detail = {}, prev_hash = {}, hash = {} WHERE seq = {}",
                quoted(&entry.detail),
                quoted(&entry.prev_hash),
                quoted(&entry.hash),
                entry.seq
            ),
        )
        .await?;
    }
    execute(
        db,
        &format!(
            "UPDATE ledger_head SET hash = {} WHERE one = 1",
            quoted(&previous)
        ),
    )
    .await?;
    Ok(())
}

async fn anchors_catch_a_consistent_rewrite(db: &Db) -> TestResult {
    load_directory(db).await?;
    // An empty ledger's anchor is the genesis hash at position 0.
    let empty = audit::record_anchor(db, at(2025, 1, 4)?).await?;
    assert_eq!(
        (empty.seq, empty.hash.as_str()),
        (0, "0".repeat(64).as_str())
    );
    let fields = plan_fields(
        "P-A",
        vec![participant(SJ, &["SJ-001"], None)],
        vec![rate("B", 1000)],
        false,
    )?;
    service::create_plan(db, fields, at(2025, 1, 5)?, ACTOR).await?;
    approve(db, "P-A").await?;
    // One anchor a day: the second call on the same day records nothing.
    let first = audit::daily_anchor(db, at(2025, 1, 20)?)
        .await?
        .ok_or("no anchor recorded")?;
    assert_eq!(first.seq, 3, "created, filed, approved");
    assert_eq!(first.day, "2025-01-20");
    assert!(audit::daily_anchor(db, at(2025, 1, 20)?).await?.is_none());
    service::advance_plan(
        db,
        "P-A",
        PlanStatus::Published,
        at(2025, 1, 21)?,
        APPROVER,
        "公示",
    )
    .await?;
    let second = audit::daily_anchor(db, at(2025, 1, 21)?)
        .await?
        .ok_or("no anchor recorded")?;
    assert_eq!(second.seq, 4);
    let stored = db.anchors().await?;
    assert_eq!(stored, [empty.clone(), first.clone(), second.clone()]);

    // A witness saves the published document; it reads back whole or line by line.
    let document = audit::anchors_document(&stored);
    assert_eq!(audit::parse_anchors(&document)?, stored);
    let lines: String = document
        .lines()
        .filter(|l| l.starts_with("{\"day\""))
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        audit::parse_anchors(&lines)?,
        [first.clone(), second.clone()]
    );
    assert!(audit::parse_anchors("{\"day\":\"2025-01-20\",\"seq\":3}").is_err());
    assert!(
        audit::parse_anchors(&format!(
            "{{\"day\":\"d\",\"seq\":-1,\"hash\":\"{}\",\"at\":\"t\"}}",
            "0".repeat(64)
        ))
        .is_err()
    );
    let entries = db.ledger().await?;
    assert!(audit::check_anchors(&entries, &stored).is_empty());

    // The filing's note is rewritten and every later hash recomputed: the
    // ledger is consistent again, and only the anchors saved outside tell.
    rewrite_ledger_consistently(db, 2, "改写后的备案说明").await?;
    assert_intact(db).await?;
    let saved = audit::parse_anchors(&document)?;
    let breaks = audit::check_anchors(&db.ledger().await?, &saved);
    let broken: Vec<(i64, &str)> = breaks.iter().map(|b| (b.seq, b.subject.as_str())).collect();
    assert_eq!(broken.len(), 2, "{breaks:#?}");
    assert_eq!((broken[0].0, broken[1].0), (3, 4), "{breaks:#?}");
    assert!(
        broken[0].1.contains("2025-01-20") && breaks[0].problem.contains("rewritten"),
        "{breaks:#?}"
    );
    // The genesis anchor still holds: nothing before the first entry changed.
    assert!(audit::check_anchors(&db.ledger().await?, std::slice::from_ref(&empty)).is_empty());

    // An entry edited without rehashing: the anchor holds but its chain breaks there.
    execute(db, "UPDATE ledger SET detail = 'x' WHERE seq = 4").await?;
    let breaks = audit::check_anchors(&db.ledger().await?, std::slice::from_ref(&empty));
    assert_eq!(breaks.len(), 1, "{breaks:#?}");
    assert!(
        breaks[0].seq == 4 && breaks[0].problem.contains("breaks at position 4"),
        "{breaks:#?}"
    );

    // Entries removed after an anchor was saved: the anchor names a position the ledger lacks.
    execute(db, "DELETE FROM ledger WHERE seq = 4").await?;
    let breaks = audit::check_anchors(&db.ledger().await?, &[second]);
    assert!(
        breaks
            .iter()
            .any(|b| b.problem.contains("no entry at position 4")),
        "{breaks:#?}"
    );
    Ok(())
}

fn jianguan(args: &[&str]) -> Fallible<Output> {
    Ok(Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .env_remove("JIANGUAN_DATABASE")
        .env_remove("JIANGUAN_DATA")
        .output()?)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `test` in a fresh folder named after `name`, removed afterwards.
fn in_scratch_dir(name: &str, test: impl FnOnce(&Path) -> TestResult) -> TestResult {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir)?;
    let result = test(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[test]
fn cli_refuses_self_approval_unless_allowed() -> TestResult {
    in_scratch_dir("jianguan-duties-cli", cli_duties_in)
}

/// `plans approve` by whoever filed the plan: refused in English (exit 2),
/// nothing changed; with `--allow-self-approval` it is approved.
fn cli_duties_in(dir: &Path) -> TestResult {
    let database = dir.join("jianguan.sqlite3");
    let database_text = database.to_str().ok_or("path is not UTF-8")?.to_owned();
    runtime()?.block_on(async {
        let db = storage::open(&format!("sqlite://{database_text}")).await?;
        crate::common::migrate_and_set_up(&db).await?;
        let outcome = async {
            load_directory(&db).await?;
            let fields = plan_fields(
                "P-S",
                vec![participant(SJ, &["SJ-001"], None)],
                vec![rate("B", 1000)],
                false,
            )?;
            service::create_plan(&db, fields, at(2025, 1, 5)?, ACTOR).await?;
            Ok::<_, Box<dyn Error>>(())
        }
        .await;
        db.close().await;
        outcome
    })?;
    let plans_cli = |args: &[&str]| {
        jianguan(&[&["plans", "--database", database_text.as_str()][..], args].concat())
    };
    let filed = plans_cli(&["file", "P-S", "--actor", ACTOR])?;
    assert!(filed.status.success(), "{}", text(&filed));
    let refused = plans_cli(&["approve", "P-S", "--actor", ACTOR])?;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("another person approves it (separation of duties)"),
        "{}",
        text(&refused)
    );
    let listed = plans_cli(&["list", "--json"])?;
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout)?;
    assert_eq!(listed[0]["status"], "已备案", "{listed}");
    let allowed = plans_cli(&["approve", "P-S", "--actor", ACTOR, "--allow-self-approval"])?;
    assert!(allowed.status.success(), "{}", text(&allowed));
    assert!(text(&allowed).contains("P-S 已批准"), "{}", text(&allowed));
    Ok(())
}

#[test]
fn cli_confirms_joint_plans_before_approval() -> TestResult {
    in_scratch_dir("jianguan-confirm-cli", cli_confirm_in)
}

fn cli_confirm_in(dir: &Path) -> TestResult {
    let database = dir.join("jianguan.sqlite3");
    let database_text = database.to_str().ok_or("path is not UTF-8")?.to_owned();
    runtime()?.block_on(async {
        let db = storage::open(&format!("sqlite://{database_text}")).await?;
        crate::common::migrate_and_set_up(&db).await?;
        let outcome = async {
            load_directory(&db).await?;
            let fields = plan_fields(
                "P-J",
                vec![
                    participant(SJ, &["LH-001"], None),
                    participant(YJ, &["YJ-001"], None),
                ],
                vec![rate("B", 1000)],
                false,
            )?;
            service::create_plan(&db, fields, at(2025, 1, 5)?, ACTOR).await?;
            service::advance_plan(&db, "P-J", PlanStatus::Filed, at(2025, 1, 10)?, ACTOR, "")
                .await?;
            Ok::<_, Box<dyn Error>>(())
        }
        .await;
        db.close().await;
        outcome
    })?;
    let plans_cli = |args: &[&str]| {
        jianguan(&[&["plans", "--database", database_text.as_str()][..], args].concat())
    };
    let refused = plans_cli(&["approve", "P-J", "--actor", APPROVER])?;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("YJJ 黄石市应急管理局 (no answer yet)"),
        "{}",
        text(&refused)
    );
    let listed = plans_cli(&["list", "--json"])?;
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout)?;
    assert_eq!(
        listed[0]["awaiting_confirmation"],
        serde_json::json!([YJ]),
        "{listed}"
    );
    for (args, what) in [
        (
            &["confirm", "P-J", "--department", SJ, "--actor", "SJ科员"][..],
            "the lead confirming",
        ),
        (
            &[
                "confirm",
                "P-J",
                "--department",
                YJ,
                "--decline",
                "--actor",
                "YJ科员",
            ][..],
            "declining without a reason",
        ),
        (
            &["confirm", "P-J", "--department", YJ, "--actor", ACTOR][..],
            "the filer confirming",
        ),
    ] {
        let output = plans_cli(args)?;
        assert_eq!(output.status.code(), Some(2), "{what}: {}", text(&output));
    }
    let confirmed = plans_cli(&["confirm", "P-J", "--department", YJ, "--actor", "YJ科员"])?;
    assert!(confirmed.status.success(), "{}", text(&confirmed));
    assert!(
        text(&confirmed).contains("every partner has confirmed"),
        "{}",
        text(&confirmed)
    );
    let by_filer = plans_cli(&["approve", "P-J", "--actor", ACTOR])?;
    assert_eq!(by_filer.status.code(), Some(2), "{}", text(&by_filer));
    let approved = plans_cli(&["approve", "P-J", "--actor", APPROVER])?;
    assert!(approved.status.success(), "{}", text(&approved));
    Ok(())
}

#[test]
fn cli_records_anchors_and_verifies_them() -> TestResult {
    in_scratch_dir("jianguan-anchors-cli", cli_anchors_in)
}

fn cli_anchors_in(dir: &Path) -> TestResult {
    let database = dir.join("jianguan.sqlite3");
    let database_text = database.to_str().ok_or("path is not UTF-8")?.to_owned();
    let url = format!("sqlite://{database_text}");
    runtime()?.block_on(async {
        let db = storage::open(&url).await?;
        crate::common::migrate_and_set_up(&db).await?;
        let outcome = async {
            load_directory(&db).await?;
            let fields = plan_fields(
                "P-A",
                vec![participant(SJ, &["SJ-001"], None)],
                vec![rate("B", 1000)],
                false,
            )?;
            service::create_plan(&db, fields, at(2025, 1, 5)?, ACTOR).await?;
            approve(&db, "P-A").await?;
            Ok::<_, Box<dyn Error>>(())
        }
        .await;
        db.close().await;
        outcome
    })?;
    let audit_cli = |args: &[&str]| {
        jianguan(&[&["audit", "--database", database_text.as_str()][..], args].concat())
    };
    let anchored = audit_cli(&["anchor", "--json"])?;
    assert!(anchored.status.success(), "{}", text(&anchored));
    let saved = dir.join("anchor.json");
    std::fs::write(&saved, &anchored.stdout)?;
    let saved_text = saved.to_str().ok_or("path is not UTF-8")?;
    let verified = audit_cli(&["verify", "--anchors", saved_text])?;
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(
        text(&verified).contains("still extends each of the 1 saved heads"),
        "{}",
        text(&verified)
    );

    runtime()?.block_on(async {
        let db = storage::open(&url).await?;
        let outcome = rewrite_ledger_consistently(&db, 1, "改写").await;
        db.close().await;
        outcome
    })?;
    let plain = audit_cli(&["verify"])?;
    assert!(
        plain.status.success(),
        "a consistent rewrite passes the plain audit: {}",
        text(&plain)
    );
    let anchored = audit_cli(&["verify", "--anchors", saved_text])?;
    assert_eq!(anchored.status.code(), Some(1), "{}", text(&anchored));
    assert!(text(&anchored).contains("rewritten"), "{}", text(&anchored));

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "not an anchor\n")?;
    let refused = audit_cli(&[
        "verify",
        "--anchors",
        bad.to_str().ok_or("path is not UTF-8")?,
    ])?;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("line 1"), "{}", text(&refused));
    Ok(())
}

#[test]
fn cli_lists_exports_verifies_audits_and_reports() -> TestResult {
    in_scratch_dir("jianguan-workflow-cli", cli_in)
}

fn cli_in(dir: &Path) -> TestResult {
    let database = dir.join("jianguan.sqlite3");
    let database_text = database.to_str().ok_or("path is not UTF-8")?.to_owned();
    let (visits, selections) = runtime()?.block_on(async {
        let db = storage::open(&format!("sqlite://{database_text}")).await?;
        crate::common::migrate_and_set_up(&db).await?;
        let outcome = async {
            let drawn = drawn(&db).await?;
            enter_results(&db, &drawn.visits).await?;
            Ok::<_, Box<dyn Error>>((drawn.round.visits, drawn.round.selections))
        }
        .await;
        db.close().await;
        outcome
    })?;
    // `--database` belongs to the command group (`jianguan plans --database F list`).
    let db_args = ["--database", database_text.as_str()];
    let run = |args: &[&str]| {
        let (group, rest) = args
            .split_first()
            .map_or((&[][..], &[][..]), |(g, r)| (std::slice::from_ref(g), r));
        jianguan(&[group, &db_args[..], rest].concat())
    };

    let plans = run(&["plans", "list", "--json"])?;
    assert!(plans.status.success(), "{}", text(&plans));
    let plans: serde_json::Value = serde_json::from_slice(&plans.stdout)?;
    let plan_ids: BTreeSet<&str> = plans
        .as_array()
        .ok_or("not a list")?
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(plan_ids, BTreeSet::from(["P-LH", "P-SJ", "P-WJ"]));
    assert!(
        plans
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| p["status"] == "已批准" || p["status"] == "已公示")
    );

    let listed = run(&["rounds", "list", "--json"])?;
    assert!(listed.status.success(), "{}", text(&listed));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout)?;
    let round = listed
        .as_array()
        .and_then(|a| a.first())
        .ok_or("no round listed")?;
    assert_eq!(round["id"], ROUND);
    assert_eq!(round["status"], "已公开");
    assert_eq!(round["plans"], 3);
    assert_eq!(round["visits"], visits);
    assert_eq!(round["selections"], selections);

    let record = dir.join("record.json");
    let record_text = record.to_str().ok_or("path is not UTF-8")?;
    let exported = run(&["rounds", "export", ROUND, "--out", record_text])?;
    assert!(exported.status.success(), "{}", text(&exported));
    let verified = jianguan(&["verify", record_text])?;
    assert!(
        verified.status.success(),
        "jianguan verify: {}",
        text(&verified)
    );

    let audit_ok = run(&["audit", "verify"])?;
    assert_eq!(audit_ok.status.code(), Some(0), "{}", text(&audit_ok));
    assert!(String::from_utf8_lossy(&audit_ok.stdout).contains("intact"));

    let annual = run(&["report", "annual", "--year", "2025", "--json"])?;
    assert!(annual.status.success(), "{}", text(&annual));
    let annual: serde_json::Value = serde_json::from_slice(&annual.stdout)?;
    assert_eq!(annual["rows"][0]["department"], "全市");
    assert_eq!(annual["rows"][0]["visits"], visits);
    assert_eq!(annual["rows"][0]["plans_drawn"], 3);
    let xlsx = dir.join("annual.xlsx");
    let written = run(&[
        "report",
        "annual",
        "--year",
        "2025",
        "--out",
        xlsx.to_str().ok_or("path is not UTF-8")?,
    ])?;
    assert!(written.status.success(), "{}", text(&written));
    assert!(
        std::fs::metadata(&xlsx)?.len() > 0,
        "the XLSX report is written"
    );

    // Tamper in SQL: the audit exits 1 and names the break.
    runtime()?.block_on(async {
        let db = storage::open(&format!("sqlite://{database_text}")).await?;
        let outcome = execute(
            &db,
            "UPDATE plans SET doc = replace(doc, '每年1次', '每年9次') WHERE id = 'P-LH'",
        )
        .await;
        db.close().await;
        outcome.map(|_| ())
    })?;
    let audit_broken = run(&["audit", "verify"])?;
    assert_eq!(
        audit_broken.status.code(),
        Some(1),
        "{}",
        text(&audit_broken)
    );
    let out = String::from_utf8_lossy(&audit_broken.stdout);
    assert!(
        out.contains("break at position") && out.contains("plans/P-LH"),
        "{out}"
    );
    let json = run(&["audit", "verify", "--json"])?;
    assert_eq!(json.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    assert_eq!(json["intact"], false);
    assert_eq!(json["breaks"][0]["subject"], "plans/P-LH");
    Ok(())
}
