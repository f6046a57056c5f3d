//! `jianguan bench classify`: credit-risk classification of a whole synthetic
//! city (403,000 entities by default) on SQLite, and on PostgreSQL with
//! `--postgres`. The city gets annual reports, list entries, penalties,
//! published inspection results and complaints, more of them the riskier its
//! synthetic class; each run reads them all, classifies every entity and
//! writes the classes, the explanations and the ledger document.

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, TimeDelta};

use super::{Spread, ms, thousands};
use crate::synth::{City, CityParams, RiskClass, Stream};
use domain::credit::{CreditEntry, ListType, Severity, Subject};
use domain::entity::CreditClass;
use domain::inspection::{
    FollowUp, InspectionResult, OutOfPlan, OutOfPlanReason, ResultCategory, ResultStatus,
};
use domain::item::CheckMethod;
use domain::risk::{ClassificationRun, ReportState, RiskModel};
use service::{self, risk};
use storage::credit::CreditStore;
use storage::risk::RiskStore;
use storage::{self, Change, Db, Store, WorkflowStore};

/// The as-of date of the runs.
fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

/// Per mille of entities of each synthetic class (A, B, C, D) with a fact.
struct Odds {
    report_missing: [u64; 4],
    report_late: [u64; 4],
    abnormal: [u64; 4],
    penalty: [u64; 4],
    blacklist: [u64; 4],
    redlist: [u64; 4],
    inspected: [u64; 4],
    problem: [u64; 4],
    complaint: [u64; 4],
}

const ODDS: Odds = Odds {
    report_missing: [0, 30, 250, 600],
    report_late: [0, 60, 200, 200],
    abnormal: [0, 5, 100, 500],
    penalty: [0, 40, 400, 700],
    blacklist: [0, 0, 5, 150],
    redlist: [150, 10, 0, 0],
    inspected: [300, 150, 150, 200],
    problem: [0, 100, 400, 700],
    complaint: [0, 10, 60, 200],
};

fn class_index(class: RiskClass) -> usize {
    match class {
        RiskClass::A => 0,
        RiskClass::B => 1,
        RiskClass::C => 2,
        RiskClass::D => 3,
    }
}

/// The credit facts of the city: annual reports, list entries and penalties,
/// results and complaints.
struct Facts {
    reports: Vec<(String, i32, NaiveDate)>,
    entries: Vec<CreditEntry>,
    results: Vec<InspectionResult>,
    complaints: Vec<OutOfPlan>,
}

fn days_before(date: NaiveDate, stream: &mut Stream, low: u64, high: u64) -> NaiveDate {
    date - TimeDelta::days(i64::try_from(stream.between(low, high)).unwrap_or(0))
}

fn entry(
    uscc: &str,
    name: &str,
    list_type: ListType,
    listed_on: NaiveDate,
    n: u64,
) -> anyhow::Result<CreditEntry> {
    let (subject, _) = Subject::parse(uscc)?;
    Ok(CreditEntry {
        subject,
        subject_name: name.to_owned(),
        list_type,
        listed_on,
        valid_until: None,
        removed_on: None,
        authority: "黄石市市场监督管理局".into(),
        reason: "基准测试".into(),
        ref_no: format!("黄市监罚〔{}〕{n}号", listed_on.format("%Y")),
        severity: (list_type == ListType::Penalty).then_some(Severity::Ordinary),
        decided_on: None,
        source: "bench".into(),
        details: None,
    })
}

fn generate(city: &City) -> anyhow::Result<Facts> {
    let as_of = as_of();
    let due_year = ReportState::due_year(as_of);
    let deadline = NaiveDate::from_ymd_opt(due_year + 1, 6, 30).unwrap_or(as_of);
    let mut stream = Stream::named("jianguan/bench/classify");
    let mut facts = Facts {
        reports: Vec::new(),
        entries: Vec::new(),
        results: Vec::new(),
        complaints: Vec::new(),
    };
    let at = service::now();
    let hit = |odds: &[u64; 4], class: usize, stream: &mut Stream| stream.below(1000) < odds[class];
    for (n, entity) in city.entities.iter().enumerate() {
        let class = class_index(entity.risk);
        let uscc = entity.uscc.as_str();
        let n = n as u64;
        if entity.registered_on.year() <= due_year && !hit(&ODDS.report_missing, class, &mut stream)
        {
            let filed_on = if hit(&ODDS.report_late, class, &mut stream) {
                days_before(as_of, &mut stream, 1, 120)
            } else {
                days_before(deadline, &mut stream, 0, 170)
            };
            facts.reports.push((uscc.to_owned(), due_year, filed_on));
        }
        for (odds, list_type, days) in [
            (&ODDS.abnormal, ListType::Abnormal, 1000),
            (&ODDS.penalty, ListType::Penalty, 1400),
            (&ODDS.blacklist, ListType::Blacklist, 300),
            (&ODDS.redlist, ListType::Redlist, 300),
        ] {
            if hit(odds, class, &mut stream) {
                let listed_on = days_before(as_of, &mut stream, 1, days).max(entity.registered_on);
                facts
                    .entries
                    .push(entry(uscc, &entity.name, list_type, listed_on, n)?);
            }
        }
        if hit(&ODDS.inspected, class, &mut stream) {
            let check_end = days_before(as_of, &mut stream, 10, 1000);
            let category = if hit(&ODDS.problem, class, &mut stream) {
                ResultCategory::PendingFollowUp
            } else {
                ResultCategory::NoProblem
            };
            facts.results.push(InspectionResult {
                id: format!("BENCH/{uscc}/SCJG/1"),
                visit: None,
                out_of_plan: None,
                entity: uscc.to_owned(),
                department: "SCJG".into(),
                plan: None,
                item: "SCJG-001-1".into(),
                category,
                method: CheckMethod::OnSite,
                follow_up: FollowUp::None,
                check_start: check_end,
                check_end,
                inspectors: vec![],
                note: String::new(),
                publish_due: check_end,
                status: ResultStatus::Published,
                published_on: Some(check_end),
                corrects: None,
                entered_by: "bench".into(),
                entered_at: at,
            });
        }
        if hit(&ODDS.complaint, class, &mut stream) {
            facts.complaints.push(OutOfPlan {
                id: format!("BENCH-TS-{n:06}"),
                entity: uscc.to_owned(),
                department: "SCJG".into(),
                reason: OutOfPlanReason::Complaint,
                detail: "12345 投诉".into(),
                work_order: Some(format!("GD{n:08}")),
                inspected_on: days_before(as_of, &mut stream, 1, 300),
                inspectors: vec![],
                flagged: false,
                registered_by: "bench".into(),
                registered_at: at,
            });
        }
    }
    Ok(facts)
}

/// Loads the city and its credit facts (not timed).
async fn load(db: &Db, city: &City, facts: &Facts, name: &str) -> anyhow::Result<()> {
    let loading = Instant::now();
    crate::demo::load(db, city).await?;
    db.upsert_annual_reports(facts.reports.clone()).await?;
    db.upsert_credit_entries(facts.entries.clone()).await?;
    let change = Change::new(service::now(), "bench", "bench.loaded", "");
    for chunk in facts.results.chunks(10_000) {
        db.put(chunk, &change).await?;
    }
    db.put(&facts.complaints, &change).await?;
    println!(
        "{name}: city of {} entities with {} annual reports, {} credit entries, {} published results and {} complaints loaded in {:.1} s (not timed)\n",
        thousands(city.entities.len() as u64),
        thousands(facts.reports.len() as u64),
        thousands(facts.entries.len() as u64),
        thousands(facts.results.len() as u64),
        thousands(facts.complaints.len() as u64),
        loading.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Classifies `runs` times; returns the times and the last run.
async fn time_runs(db: &Db, runs: usize) -> anyhow::Result<(Vec<Duration>, ClassificationRun)> {
    let model = RiskModel::default();
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let run = risk::classify(db, &model, as_of(), service::now(), "bench").await?;
        times.push(started.elapsed());
        last = Some(run);
    }
    let last = last.ok_or_else(|| anyhow::anyhow!("no run"))?;
    Ok((times, last))
}

fn print(name: &str, times: &[Duration], run: &ClassificationRun) {
    let spread = Spread::of(times);
    let counts = run.counts;
    let share = |class: CreditClass| counts.get(class) * 1000 / counts.total().max(1);
    println!("### {name}\n");
    println!("| runs | first run (classes written) | all runs | entities | A | B | C | D |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | **{}** | {} | {} ({}‰) | {} ({}‰) | {} ({}‰) | {} ({}‰) |\n",
        times.len(),
        ms(times.first().copied().unwrap_or_default()),
        spread,
        thousands(counts.total()),
        thousands(counts.a),
        share(CreditClass::A),
        thousands(counts.b),
        share(CreditClass::B),
        thousands(counts.c),
        share(CreditClass::C),
        thousands(counts.d),
        share(CreditClass::D),
    );
    println!(
        "Median **{}** for every entity read, scored, explained and written (goal < 10 s).\n",
        ms(spread.median)
    );
}

/// Runs the benchmark: `runs` classifications of a city of `entities` on
/// SQLite (and one series on PostgreSQL at `postgres`).
pub fn run(entities: usize, runs: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("## Credit-risk classification of a whole city\n");
    let city = City::generate(&CityParams {
        entities,
        ..CityParams::huangshi()
    });
    let facts = generate(&city)?;
    let dir = std::env::temp_dir().join(format!("jianguan-bench-classify-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("city.sqlite3");
    let outcome = runtime.block_on(async {
        let db = storage::open(&path.to_string_lossy()).await?;
        db.migrate().await?;
        load(&db, &city, &facts, "SQLite").await?;
        let (times, run) = time_runs(&db, runs).await?;
        print(&format!("SQLite, {runs} runs"), &times, &run);
        db.close().await;
        anyhow::Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    outcome?;
    let Some(base) = postgres else {
        println!("PostgreSQL: skipped (no `--postgres URL`).\n");
        return Ok(());
    };
    let schema = format!("bench_classify_{}", std::process::id());
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema}");
    runtime.block_on(super::pg_admin(base, &format!("CREATE SCHEMA {schema}")))?;
    let outcome = runtime.block_on(async {
        let db = storage::open(&url).await?;
        db.migrate().await?;
        load(&db, &city, &facts, "PostgreSQL").await?;
        let (times, run) = time_runs(&db, runs).await?;
        print(&format!("PostgreSQL, {runs} runs"), &times, &run);
        db.close().await;
        anyhow::Ok(())
    });
    runtime.block_on(super::pg_admin(
        base,
        &format!("DROP SCHEMA {schema} CASCADE"),
    ))?;
    outcome
}
