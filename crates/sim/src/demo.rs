//! `jianguan demo`: the demo city loaded into the database (embedded SQLite by
//! default), then a whole year of the 双随机、一公开 workflow played on it
//! ([`crate::year`]): plans filed, approved and published; quarterly
//! rounds committed, drawn with witness beacons and published; results entered
//! and published (some late); out-of-plan inspections; then every round's
//! record exported and verified, the ledger audited, the annual report written.
//!
//! The city is the synthetic Huangshi of [`crate::synth`]: its 7 districts, 30
//! departments, 403,000 market entities (存续 / 注销 / 吊销 / 迁出), 3,010
//! inspectors (some certificates expired), the item list (158 categories / 323
//! items), the joint list (58 fields / 103 items) and its recusals are
//! converted to the validated domain types and upserted in batches; the
//! summary prints what the database then holds. A second run finds the city
//! loaded and reuses it, and a database that already holds the year reuses that too.

pub mod justice;
mod services;

use std::collections::HashSet;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;

use crate::synth::{self, City, CityParams, RiskClass, Stream, date_between, person_name, pick};
use crate::year::{self, YearOptions};
use domain::entity::{
    CreditClass, CreditRating, EntityFields, EntityStatus, EntityType, MarketEntity,
};
use domain::industry::IndustryCode;
use domain::inspection::{Round, RoundStatus};
use domain::inspector::{CertificateNo, Inspector, InspectorFields, Recusal};
use domain::item::{
    Frequency, InspectionItem, ItemCode, ItemFields, JointItem, JointItemFields, RatioBp,
};
use domain::org::{
    Department, DepartmentCode, DepartmentFields, DepartmentLevel, District, DistrictCode,
};
use domain::plan::Plan;
use storage::WorkflowStore;
use storage::{self, ClassFilter, Db, EntityFilter, InspectorFilter, Store, UpsertCount};

/// Records per upsert batch.
const BATCH: usize = 10_000;
/// Huangshi's market entities in 2022.
const HUANGSHI_ENTITIES: usize = 403_000;

/// What the demo loads, and where it writes its files.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Market entities in the city.
    pub entities: usize,
    /// The data folder: the demo's files go to its `demo` subfolder.
    pub data_dir: std::path::PathBuf,
    /// Whether to load the government services (issue 21) and the 复议 and
    /// litigation registers (issue 20); the web tests' city brings its own.
    pub services: bool,
}

/// The number of market entities for `--scale FACTOR` (1 = Huangshi's 403,000)
/// or `--entities N`; Huangshi's without either.
pub fn entity_count(scale: Option<f64>, entities: Option<usize>) -> anyhow::Result<usize> {
    if let Some(count) = entities {
        anyhow::ensure!(count >= 100, "--entities must be at least 100");
        return Ok(count);
    }
    let Some(scale) = scale else {
        return Ok(HUANGSHI_ENTITIES);
    };
    anyhow::ensure!(
        scale.is_finite() && scale > 0.0 && scale <= 10.0,
        "--scale must be in (0, 10]"
    );
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let count = (HUANGSHI_ENTITIES as f64 * scale).round() as usize;
    Ok(count.max(100))
}

/// The round's date: inspectors must hold a valid certificate on it.
fn round_date() -> NaiveDate {
    date(2022, 6, 28)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// The demo's accounts, one per role (the departmental ones in the market
/// regulation bureau), saved with known passwords and printed.
async fn demo_accounts(db: &Db) -> anyhow::Result<()> {
    use domain::account::{Account, Role};
    let department = "SCJG";
    let certificate = demo_certificate(db, department).await?;
    let accounts = [
        ("admin", "系统管理员", Role::SystemAdmin),
        ("scjg.admin", "市场监管局管理员", Role::DepartmentAdmin),
        ("scjg.staff", "市场监管局工作人员", Role::DepartmentStaff),
        ("scjg.inspector", "市场监管局执法人员", Role::Inspector),
        ("sfj.supervisor", "司法局监督员", Role::Supervisor),
        ("credit.office", "信用办", Role::CreditOffice),
        ("hotline.operator", "12345话务员", Role::HotlineOperator),
    ];
    println!("演示账号 demo accounts (password 密码 {DEMO_PASSWORD} for every one; demo only):");
    for (username, name, role) in accounts {
        let account = Account {
            username: username.to_owned(),
            display_name: name.to_owned(),
            role,
            department: role.is_departmental().then(|| department.to_owned()),
            certificate: (role == Role::Inspector)
                .then(|| certificate.clone())
                .flatten(),
            password_hash: String::new(),
            must_change_password: false,
            disabled: false,
        };
        service::accounts::save_account(db, account, Some(DEMO_PASSWORD.to_owned()), "demo")
            .await?;
        println!("  {username:<18} {}", role.label());
    }
    Ok(())
}

/// The certificate of the demo inspector: one of the department's inspectors
/// certified today (the city keeps its expired certificates, for realism),
/// the one on the most teams of visits still awaiting the department's
/// results, so that its task list is not empty.
async fn demo_certificate(db: &Db, department: &str) -> anyhow::Result<Option<String>> {
    use domain::inspection::{InspectionResult, Visit};
    let filter = InspectorFilter {
        department: Some(DepartmentCode::parse(department)?),
        certified_on: Some(domain::clock::now().date_naive()),
        ..InspectorFilter::default()
    };
    let certified: Vec<String> = db
        .search_inspectors(&filter, &storage::PageRequest::first(storage::MAX_PAGE))
        .await?
        .items
        .iter()
        .map(|i| i.fields().cert_no.as_str().to_owned())
        .collect();
    let entered: HashSet<String> = db
        .list::<InspectionResult>(Some(("department", department)))
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut awaiting: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for visit in db.list::<Visit>(None).await? {
        let open = visit.items.iter().any(|i| {
            i.department == department
                && !entered.contains(&service::results::result_id(
                    &visit.id, &i.plan, department, &i.item,
                ))
        });
        if !open {
            continue;
        }
        for team in visit.teams.iter().filter(|t| t.department == department) {
            for cert in &team.assigned {
                *awaiting.entry(cert.clone()).or_default() += 1;
            }
        }
    }
    // The most visits awaiting results; among equals, the first certificate.
    Ok(certified
        .iter()
        .enumerate()
        .max_by_key(|(index, cert)| {
            (
                awaiting.get(cert.as_str()).copied().unwrap_or(0),
                std::cmp::Reverse(*index),
            )
        })
        .map(|(_, cert)| cert.clone()))
}

/// The demo accounts' password.
pub const DEMO_PASSWORD: &str = "jianguan-demo";

/// The GB/T 2260 code of the demo's city, 黄石市: `play` runs `setup --city` for it first.
pub const DEMO_CITY: &str = "420200";

/// `jianguan setup --city 420200` on `db` (migrated): a no-op when it was set up already.
pub async fn set_up_demo_city(db: &Db) -> anyhow::Result<service::setup::SetUp> {
    Ok(service::setup::set_up_city(db, DEMO_CITY, "demo", domain::clock::now()).await?)
}

/// Loads the demo city into `db` (at `url`), then plays its year: the round
/// records and the report go to `options.data_dir/demo`. A second run reuses
/// what the database already holds.
pub async fn play(
    db: &Db,
    url: &str,
    options: &DemoOptions,
    started: Instant,
) -> anyhow::Result<()> {
    let entities = options.entities;
    let report = db.migrate().await?;
    let applied = report.migrations.iter().filter(|m| m.applied_now).count();
    println!(
        "数据库 database: {} ({}), {applied} of {} migrations applied now",
        storage::redact(url),
        report.backend.as_str(),
        report.migrations.len()
    );
    let set_up = set_up_demo_city(db).await?;
    println!(
        "城市 city: {} {}, {} districts{}",
        set_up.city.code,
        set_up.city.name,
        set_up.districts.len(),
        if set_up.already {
            " (set up already)"
        } else {
            ""
        }
    );

    let city = City::generate(&CityParams {
        entities,
        ..CityParams::huangshi()
    });
    println!(
        "演示城市 demo city: {} market entities, {} inspectors, {} departments ({:.1} s)",
        city.entities.len(),
        city.inspectors.len(),
        city.departments.len(),
        started.elapsed().as_secs_f64()
    );

    if is_loaded(db, &city).await? {
        println!(
            "载入 already loaded: the database holds the demo city ({} entities, {} inspectors); reusing it",
            db.count_entities(&EntityFilter::default()).await?,
            db.count_inspectors(&InspectorFilter::default()).await?
        );
    } else {
        load(db, &city).await?;
    }
    print_contents(db).await?;
    credit(db, &city, &options.data_dir.join("demo")).await?;
    hotline(db, &city, &options.data_dir.join("demo")).await?;

    year(db, options).await?;
    cases(db, &city, &options.data_dir.join("demo")).await?;
    if options.services {
        justice::justice(db, &city, &options.data_dir.join("demo")).await?;
    }
    services::services(db, url, &city, options).await?;
    demo_accounts(db).await?;
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The city's credit list entries at Huangshi's scale, scaled with its entities.
const HUANGSHI_CREDIT_ENTRIES: u64 = 30_000;

/// Imports the demo matters catalogue and the city's credit lists (files
/// written to `folder` from [`synth::credit`]) through the real importers, and
/// writes a sample applicant file; a second run finds nothing to change.
async fn credit(db: &Db, city: &City, folder: &std::path::Path) -> anyhow::Result<()> {
    use synth::credit::{self as credit_synth, Lists};
    let started = Instant::now();
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let matters_file = folder.join("credit-matters.csv");
    credit_synth::write_matters_csv(
        &credit_synth::matters(),
        std::fs::File::create(&matters_file)?,
    )?;
    let matters = service::credit::import_matters_file(db, &matters_file, "demo").await?;
    let entries =
        (HUANGSHI_CREDIT_ENTRIES * city.entities.len() as u64 / HUANGSHI_ENTITIES as u64).max(300);
    let lists = Lists::city(city, entries);
    let lists_file = folder.join("credit-lists.csv");
    credit_synth::write_entries_csv(lists.entries(), std::fs::File::create(&lists_file)?)?;
    let imported =
        service::credit::import_credit_file(db, &lists_file, "demo", false, None).await?;
    let applicants_file = folder.join("credit-applicants.csv");
    credit_synth::write_applicants_csv(
        &lists.applicants(200),
        std::fs::File::create(&applicants_file)?,
    )?;
    println!(
        "信用 credit: {} matters in {} domains ({} new); {} list entries ({} on the city's entities), {} new, {} updated, {} rejected ({:.1} s); try: jianguan credit check --matter XY-04-001 {}",
        matters.after,
        credit_synth::DOMAINS.len(),
        matters.outcome.inserted,
        lists.len(),
        lists.entries().filter(|e| e.subject.local).count(),
        imported.outcome.inserted,
        imported.outcome.updated,
        imported.outcome.rejected(),
        started.elapsed().as_secs_f64(),
        applicants_file.display()
    );
    Ok(())
}

/// The year the demo plays.
const DEMO_YEAR: i32 = 2025;

/// The demo year's 12345 work orders (Huangshi's 22,000, scaled with the city's
/// entities) written to `folder` from [`synth::hotline`] and imported through
/// the real import, as they stood on 31 March of the next year; then a few live orders taken through the workflow in the
/// last working days, in various states, and the automatic 督办 sweep. A
/// second run imports nothing new and keeps the live orders.
async fn hotline(db: &Db, city: &City, folder: &std::path::Path) -> anyhow::Result<()> {
    use domain::hotline::HotlineRules;
    use service::hotline::{self as hotline, KpiQuery};
    use synth::hotline::{Generator, HUANGSHI_ORDERS, Params};
    let started = Instant::now();
    let calendar = workcal::Calendar::embedded()?;
    let rules = HotlineRules::default();
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let count = (HUANGSHI_ORDERS * city.entities.len() as u64 / HUANGSHI_ENTITIES as u64).max(200);
    let entities: Vec<String> = city
        .entities
        .iter()
        .filter(|e| e.is_active())
        .map(|e| e.uscc.as_str().to_owned())
        .collect();
    // As they stood three months after the year: every order's life has run its
    // course but the few stuck ones (the overdue list); the file is the same
    // whatever day the demo runs.
    let as_of = synth::hotline::at(
        NaiveDate::from_ymd_opt(DEMO_YEAR + 1, 3, 31).context("year")?,
        18 * 60,
    );
    let params = Params {
        as_of,
        ..Params::year(DEMO_YEAR, count)
    };
    let generator =
        Generator::new(params, &rules, &calendar, &entities).map_err(|e| anyhow::anyhow!("{e}"))?;
    let orders = generator
        .orders()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let file = folder.join(format!("hotline-orders-{DEMO_YEAR}.csv"));
    synth::hotline::write_orders_csv(&orders, std::fs::File::create(&file)?)?;
    let imported =
        hotline::import_orders(db, &rules, &calendar, &file, false, "demo", service::now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = NaiveDate::from_ymd_opt(DEMO_YEAR, 1, 1).context("year")?;
    let last = NaiveDate::from_ymd_opt(DEMO_YEAR, 12, 31).context("year")?;
    let report = hotline::kpi(
        db,
        &rules,
        KpiQuery {
            from: first,
            to: last,
            department: None,
            as_of,
        },
    )
    .await?;
    let live = live_orders(db, &rules, &calendar, &entities).await?;
    let raised = hotline::escalate_overdue(db, &rules, &calendar, service::now(), "system").await?;
    let due = hotline::due(db, &rules, &calendar, None, service::now()).await?;
    let overdue = due
        .iter()
        .filter(|o| o.sign_overdue || o.close_overdue)
        .count();
    println!(
        "12345 hotline: {} orders of {DEMO_YEAR} imported from {} ({} new, {} updated, {} rejected); KPIs as of {}: {}; {live} live orders; 督办 sweep raised {}; overdue now {overdue}, due soon {} ({:.1} s); try: jianguan hotline kpi --from {first} --to {last} --as-of '{}' --json",
        orders.len(),
        file.display(),
        imported.outcome.inserted,
        imported.outcome.updated,
        imported.outcome.rejected(),
        as_of.format("%Y-%m-%d %H:%M"),
        report.city.summary(),
        raised.len(),
        due.len() - overdue,
        started.elapsed().as_secs_f64(),
        as_of.format("%Y-%m-%d %H:%M"),
    );
    Ok(())
}

/// The city's 2025 penalty cases at the scale of the seed's 两法衔接 figure
/// (about 1,000 for Huangshi, scaled with its entities): half of the city's
/// certificates that expired before the round are marked 注销 or 暂扣 (they
/// are out of the draw already), then the benchmark set and the cases, naming the
/// city's officers, are written to `folder` from [`synth::cases`] and imported
/// through the real importers; then the findings per rule as of 31 March of
/// the next year. A second run imports nothing new.
async fn cases(db: &Db, city: &City, folder: &std::path::Path) -> anyhow::Result<()> {
    use domain::inspector::{CertificateStatus, OfficerRegister};
    use synth::cases::{CaseDepartment, CaseOfficer, CaseParams, generate};
    let started = Instant::now();
    let calendar = workcal::Calendar::embedded()?;
    let count = (1_000 * city.entities.len() / HUANGSHI_ENTITIES).max(300);
    let mut register: Vec<Inspector> = service::enforcement::officer_register(db)
        .await?
        .into_values()
        .collect();
    register.sort_by(|a, b| a.cert_no.cmp(&b.cert_no));
    let mut marked = Vec::new();
    for (n, officer) in register
        .iter_mut()
        .filter(|o| !o.is_certified_on(round_date()))
        .enumerate()
    {
        let status = match n % 4 {
            0 => CertificateStatus::Revoked,
            2 => CertificateStatus::Suspended,
            _ => continue,
        };
        if officer.register.status != status {
            let mut fields = officer.clone().into_fields();
            fields.register = OfficerRegister {
                status,
                ..fields.register
            };
            *officer = Inspector::new(fields)?;
            marked.push(officer.clone());
        }
    }
    if !marked.is_empty() {
        db.upsert_inspectors(&marked).await?;
    }
    let officers: Vec<CaseOfficer> = register
        .iter()
        .map(|o| CaseOfficer {
            cert: o.cert_no.as_str().to_owned(),
            department: o.department.as_str().to_owned(),
            valid_from: o.cert_valid_from,
            valid_until: o.cert_valid_until,
            active: o.register.status == CertificateStatus::Valid,
        })
        .collect();
    let departments: Vec<CaseDepartment> = city
        .departments
        .iter()
        .map(|d| CaseDepartment {
            code: d.code.to_owned(),
            name: d.name.to_owned(),
            weight: d.weight,
        })
        .collect();
    let parties: Vec<(String, String)> = city
        .entities
        .iter()
        .take(5_000)
        .map(|e| (e.uscc.as_str().to_owned(), e.name.clone()))
        .collect();
    let files = generate(
        &CaseParams::year(DEMO_YEAR, count),
        &departments,
        &officers,
        &parties,
        &calendar,
    );
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let write = |name: &str, text: &str| -> anyhow::Result<std::path::PathBuf> {
        let path = folder.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    };
    let benchmarks = write("discretion-benchmarks.csv", &files.benchmarks)?;
    let cases = write("penalty-cases.csv", &files.cases)?;
    let in_force = date(DEMO_YEAR, 1, 1);
    let now = service::now();
    service::enforcement::import_benchmarks(db, &benchmarks, Some(in_force), "demo", now).await?;
    let imported = service::enforcement::import_cases(db, &cases, "demo", now).await?;
    let as_of = date(DEMO_YEAR + 1, 3, 31);
    let report = service::enforcement::run_check(
        db,
        None,
        as_of,
        &domain::enforcement::CaseRules::default(),
        &calendar,
    )
    .await?;
    let per_rule: Vec<String> = service::enforcement::RULES
        .iter()
        .map(|rule| {
            let n = report.findings.iter().filter(|f| f.rule == *rule).count();
            format!("{rule} {n}")
        })
        .collect();
    println!(
        "行政处罚 penalty cases: {} of {DEMO_YEAR} imported from {} ({} new, {} updated, {} rejected); findings as of {as_of}: {} ({:.1} s); try: jianguan cases check --as-of {as_of} --json",
        report.cases,
        cases.display(),
        imported.outcome.inserted,
        imported.outcome.updated,
        imported.outcome.rejected(),
        per_rule.join(", "),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// The demo's live orders (工单编号 `GD-DEMO-N`), received in the last working
/// days and left in various states; those already in the database are kept.
/// Returns how many there are.
async fn live_orders(
    db: &Db,
    rules: &domain::hotline::HotlineRules,
    calendar: &workcal::Calendar,
    entities: &[String],
) -> anyhow::Result<usize> {
    use domain::hotline::{Caller, Difficulty, Intake, OrderAction, Rating, WorkOrder};
    use service::hotline::{self as hotline, Party};
    let now = service::now();
    let today = now.date_naive();
    // (working days ago, category, department, about an enterprise, steps taken)
    let plans: [(u32, &str, &str, bool, &[&str]); 7] = [
        (0, "消费纠纷", "", true, &[]),
        (0, "食品安全", "SCJG", true, &["dispatch"]),
        (1, "消费纠纷", "SCJG", true, &["dispatch", "sign", "handle"]),
        (3, "物业", "ZJJ", false, &["dispatch", "sign", "extension"]),
        (4, "价格", "SCJG", true, &["dispatch", "sign", "reply"]),
        (
            5,
            "市场监管",
            "SCJG",
            true,
            &["dispatch", "sign", "reply", "callback", "close"],
        ),
        (9, "消费纠纷", "SCJG", true, &["dispatch"]),
    ];
    for (number, (ago, category, department, about, steps)) in (1..).zip(plans) {
        let id = format!("GD-DEMO-{number}");
        if db.get::<WorkOrder>(&id).await?.is_some() {
            continue;
        }
        let day = working_days_before(calendar, today, ago)?;
        let mut at = synth::hotline::at(day, 9 * 60 + 10 * number);
        if at > now {
            at = now - chrono::Duration::minutes(30);
        }
        let entity = about
            .then(|| {
                entities
                    .get(number as usize * 7919 % entities.len().max(1))
                    .cloned()
            })
            .flatten();
        let intake = Intake {
            id: id.clone(),
            channel: if category == "物业" {
                "12345".into()
            } else {
                "12315".into()
            },
            received_at: at,
            caller: Caller {
                name: "演示来电人".into(),
                phone: format!("1380000{number:04}"),
            },
            content: format!("{category}演示工单：来电人反映的问题（演示数据）"),
            category: category.to_owned(),
            location: "黄石市黄石港区磁湖路1号".into(),
            entity,
            difficulty: Difficulty::Ordinary,
        };
        hotline::intake(db, rules, calendar, intake, "hotline.operator").await?;
        let staff = Party::Department(department.to_owned());
        let staff_actor = format!("{}.staff", department.to_ascii_lowercase());
        for step in steps {
            at = (at + chrono::Duration::minutes(40)).min(now);
            let (action, party, actor) = match *step {
                "dispatch" => (
                    OrderAction::Dispatch {
                        department: department.to_owned(),
                    },
                    Party::Centre,
                    "hotline.operator",
                ),
                "sign" => (OrderAction::Sign, staff.clone(), staff_actor.as_str()),
                "handle" => (
                    OrderAction::Handle {
                        note: "已联系商家核实情况".into(),
                    },
                    staff.clone(),
                    staff_actor.as_str(),
                ),
                "extension" => (
                    OrderAction::RequestExtension {
                        days: 5,
                        reason: "需协调开发商与业主委员会".into(),
                    },
                    staff.clone(),
                    staff_actor.as_str(),
                ),
                "reply" => (
                    OrderAction::Reply {
                        text: "已责令商家整改并告知来电人".into(),
                    },
                    staff.clone(),
                    staff_actor.as_str(),
                ),
                "callback" => (
                    OrderAction::Callback {
                        rating: Rating::Satisfied,
                        note: String::new(),
                    },
                    Party::Centre,
                    "hotline.operator",
                ),
                _ => (
                    OrderAction::Close {
                        note: String::new(),
                    },
                    Party::Centre,
                    "hotline.operator",
                ),
            };
            hotline::act(db, rules, calendar, &id, action, &party, at, actor).await?;
        }
    }
    Ok(plans.len())
}

/// The working day `n` working days before `day` (`day` itself for 0, or the
/// last working day before it when it is not one).
fn working_days_before(
    calendar: &workcal::Calendar,
    day: NaiveDate,
    n: u32,
) -> anyhow::Result<NaiveDate> {
    use domain::hotline::WorkingDays;
    let mut candidate = day;
    for _ in 0..400 {
        let back = candidate.pred_opt().context("date out of range")?;
        if calendar
            .between(candidate, day)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            >= i64::from(n)
            && calendar
                .between(back, candidate)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                == 1
        {
            return Ok(candidate);
        }
        candidate = back;
    }
    anyhow::bail!("no working day within 400 days before {day}")
}

/// Plays the demo year unless the database already holds it; then exports and
/// verifies every round's record, audits the ledger and writes the annual report.
async fn year(db: &Db, options: &DemoOptions) -> anyhow::Result<()> {
    let calendar = workcal::Calendar::embedded()?;
    let plans = db
        .list::<Plan>(None)
        .await?
        .into_iter()
        .filter(|p| p.year() == DEMO_YEAR)
        .count();
    if plans > 0 {
        println!(
            "年度 the {DEMO_YEAR} workflow year is already in the database ({plans} plans); reusing it"
        );
    } else {
        let summary = year::play(db, &calendar, &YearOptions::huangshi(DEMO_YEAR), |line| {
            println!("{line}")
        })
        .await?;
        println!(
            "结果 results: {} item results entered, {} published on time, {} late; {} out-of-plan inspections, {} flagged to the Justice Bureau; {} unstaffed teams reassigned by hand",
            summary.results,
            summary.published_on_time,
            summary.published_late,
            summary.out_of_plan,
            summary.flagged,
            summary.reassigned
        );
    }
    let folder = options.data_dir.join("demo");
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let mut first: Option<draw::Record> = None;
    let rounds = db.list::<Round>(None).await?;
    for round in rounds.iter().filter(|r| r.status == RoundStatus::Published) {
        let record = service::rounds::export(db, &round.id).await?;
        let deviations = draw::verify(&record);
        if !deviations.is_empty() {
            for deviation in &deviations {
                println!("   {deviation}");
            }
            anyhow::bail!("the record of round {} does not conform", round.id);
        }
        let path = folder.join(format!("round-{}.json", round.id));
        let (view, bytes) = service::rounds::public_view(&record)?;
        files::write_atomically(&path, &bytes)?;
        let public = folder.join(format!("round-{}-public.json", round.id));
        files::write_atomically(&public, &serde_json::to_vec(&view)?)?;
        println!(
            "记录 round {}: full record (auditors only) {}, public view {} (verified: conforms)",
            round.id,
            path.display(),
            public.display()
        );
        first.get_or_insert(record);
    }
    if let Some(round) = rounds.first() {
        let path = folder.join(format!("round-{}.json", round.id));
        let public = folder.join(format!("round-{}-public.json", round.id));
        println!(
            "验证 anyone can repeat the check on the public view (auditors add --full with the full record):"
        );
        println!(
            "     jianguan verify {} --full {}",
            public.display(),
            path.display()
        );
        println!(
            "     python3 tools/verify_record.py {} --full {}",
            public.display(),
            path.display()
        );
    }
    let audit = service::audit::verify(db).await?;
    if !audit.intact() {
        for b in &audit.breaks {
            println!(
                "   break at position {}: {}: {}",
                b.seq, b.subject, b.problem
            );
        }
        anyhow::bail!("the audit ledger is not intact");
    }
    println!(
        "留痕 audit ledger: intact ({} entries, {} rows checked)",
        audit.entries, audit.rows
    );
    let report = service::report::build(
        db,
        service::report::Period::Year(DEMO_YEAR),
        None,
        service::now().date_naive(),
    )
    .await?;
    let xlsx = folder.join(format!("report-{DEMO_YEAR}-annual.xlsx"));
    service::report::write_xlsx(
        &report,
        &xlsx,
        &files::watermark::Watermark::cli(report.title.clone()),
    )
    .with_context(|| format!("cannot write {}", xlsx.display()))?;
    if let Some(city) = report.rows.first() {
        println!(
            "考评 {}: {} plans drawn ({} joint), {} entities, {} visits for {} selections ({} doors saved), problem rate {}%, {} on time / {} late / {} overdue; {}",
            report.title,
            city.plans_drawn,
            city.joint_plans_drawn,
            city.entities_drawn,
            city.visits,
            city.selections,
            city.doors_saved,
            city.problem_rate_percent,
            city.published_on_time,
            city.published_late,
            city.overdue_unpublished,
            xlsx.display()
        );
    }
    if let Some(record) = &first
        && let Some(visit) = record.visits.iter().find(|visit| visit.plans.len() > 1)
    {
        explain_one_subject(record, visit);
    }
    Ok(())
}

/// Whether the database already holds the city: at least as many entities and
/// inspectors, and its last inspector and its first and last entities (loaded
/// last, in code order, so a load cut short is not taken for a whole one).
async fn is_loaded(db: &Db, city: &City) -> anyhow::Result<bool> {
    if db.count_entities(&EntityFilter::default()).await? < city.entities.len() as u64
        || db.count_inspectors(&InspectorFilter::default()).await? < city.inspectors.len() as u64
    {
        return Ok(false);
    }
    if let Some(last) = city.inspectors.last()
        && db.inspector(&certificate_no(last)?).await?.is_none()
    {
        return Ok(false);
    }
    for entity in [city.entities.first(), city.entities.last()]
        .into_iter()
        .flatten()
    {
        if db.entity(&entity.uscc).await?.is_none() {
            return Ok(false);
        }
    }
    Ok(db.departments().await?.len() >= city.departments.len()
        && db.items(None).await?.len() >= city.items.len()
        && db.joint_items(None).await?.len() >= city.joint_items.len()
        && db.count_recusals().await? >= city.recusals.len() as u64)
}

/// Prints what the database holds: statuses, risk classes, expired
/// certificates, the item lists and the recusals.
async fn print_contents(db: &Db) -> anyhow::Result<()> {
    let mut statuses = Vec::new();
    for &status in EntityStatus::ALL {
        let filter = EntityFilter {
            status: Some(status),
            ..EntityFilter::default()
        };
        statuses.push(format!("{status} {}", db.count_entities(&filter).await?));
    }
    println!("登记状态 statuses: {}", statuses.join(", "));
    let total = db.count_entities(&EntityFilter::default()).await?.max(1);
    let mut classes = Vec::new();
    for &class in CreditClass::ALL {
        let filter = EntityFilter {
            credit_class: Some(ClassFilter::Class(class)),
            ..EntityFilter::default()
        };
        let count = db.count_entities(&filter).await?;
        classes.push(format!(
            "{class} {count} ({:.1}%)",
            count as f64 * 100.0 / total as f64
        ));
    }
    println!("信用风险分类 risk classes: {}", classes.join(", "));
    let inspectors = db.count_inspectors(&InspectorFilter::default()).await?;
    let certified = db
        .count_inspectors(&InspectorFilter {
            certified_on: Some(round_date()),
            ..InspectorFilter::default()
        })
        .await?;
    println!(
        "执法证 certificates: {inspectors} inspectors, {} expired on {}",
        inspectors.saturating_sub(certified),
        round_date()
    );
    let items = db.items(None).await?;
    let categories: HashSet<&str> = items.iter().map(|i| i.category.as_str()).collect();
    let joint = db.joint_items(None).await?;
    let fields: HashSet<&str> = joint.iter().map(|i| i.field.as_str()).collect();
    let departments: HashSet<&DepartmentCode> =
        joint.iter().flat_map(|i| i.departments()).collect();
    println!(
        "事项清单 item list: {} categories, {} items; joint list: {} fields, {} items, {} departments",
        categories.len(),
        items.len(),
        fields.len(),
        joint.len(),
        departments.len()
    );
    println!("回避关系 recusals: {}", db.count_recusals().await?);
    Ok(())
}

/// Upserts the districts, departments, inspectors and entities, in that order.
pub(crate) async fn load(db: &Db, city: &City) -> anyhow::Result<()> {
    let loading = Instant::now();
    let districts = city
        .districts
        .iter()
        .map(|d| Ok(District::new(DistrictCode::parse(d.code)?, d.name)?))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let district_count = db.upsert_districts(&districts).await?;
    // The city's own departments sit in its city-level district (市直), listed first.
    let city_level = districts
        .first()
        .map(|d| d.code().clone())
        .ok_or_else(|| anyhow::anyhow!("the synthetic city has no districts"))?;
    let departments = city
        .departments
        .iter()
        .map(|d| {
            Ok(Department::new(DepartmentFields::new(
                DepartmentCode::parse(d.code)?,
                d.name,
                DepartmentLevel::City,
                Some(city_level.clone()),
            ))?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let department_count = db.upsert_departments(&departments).await?;

    let mut stream = Stream::named("jianguan/synth/huangshi/inspector-details");
    let inspectors = city
        .inspectors
        .iter()
        .map(|inspector| domain_inspector(city, inspector, &mut stream))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut inspector_count = UpsertCount::default();
    for batch in inspectors.chunks(BATCH) {
        add(&mut inspector_count, db.upsert_inspectors(batch).await?);
    }

    let bar = files::progress_bar(
        city.entities.len() as u64,
        "载入 loading entities {bar:40} {pos}/{len} ({percent}%), eta {eta}",
    );
    let converter = EntityConverter::new(city)?;
    let mut stream = Stream::named("jianguan/synth/huangshi/entity-details");
    let mut entity_count = UpsertCount::default();
    for chunk in city.entities.chunks(BATCH) {
        let batch = chunk
            .iter()
            .map(|entity| converter.convert(entity, &mut stream))
            .collect::<anyhow::Result<Vec<_>>>()?;
        add(&mut entity_count, db.upsert_entities(&batch).await?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();

    let items = converted(&city.items, |item| domain_item(city, item))?;
    let item_count = db.upsert_items(&items).await?;
    let joint_items = converted(&city.joint_items, |item| domain_joint_item(city, item))?;
    let joint_count = db.upsert_joint_items(&joint_items).await?;
    let recusals = converted(&city.recusals, |recusal| domain_recusal(city, recusal))?;
    let recusal_count = db.upsert_recusals(&recusals).await?;

    let show = |c: UpsertCount| format!("{} new, {} updated", c.inserted, c.updated);
    println!(
        "载入 loaded in {:.1} s: {} districts ({}), {} departments ({}), {} inspectors ({}), {} entities ({}), {} items ({}), {} joint items ({}), {} recusals ({})",
        loading.elapsed().as_secs_f64(),
        districts.len(),
        show(district_count),
        departments.len(),
        show(department_count),
        inspectors.len(),
        show(inspector_count),
        city.entities.len(),
        show(entity_count),
        items.len(),
        show(item_count),
        joint_items.len(),
        show(joint_count),
        recusals.len(),
        show(recusal_count)
    );
    Ok(())
}

/// Every synthetic record converted to its domain type.
fn converted<T, U>(
    records: &[T],
    convert: impl Fn(&T) -> anyhow::Result<U>,
) -> anyhow::Result<Vec<U>> {
    records.iter().map(convert).collect()
}

/// The code of the city's department `index`.
fn department_code(city: &City, index: u8) -> anyhow::Result<DepartmentCode> {
    let department = city
        .departments
        .get(usize::from(index))
        .context("a department out of range")?;
    Ok(DepartmentCode::parse(department.code)?)
}

fn domain_item(city: &City, item: &synth::Item) -> anyhow::Result<InspectionItem> {
    Ok(InspectionItem::new(ItemFields {
        code: ItemCode::parse(&item.code)?,
        category: item.category.clone(),
        name: item.name.clone(),
        legal_basis: item.legal_basis.clone(),
        department: department_code(city, item.department)?,
        target_type: item.target_type.to_owned(),
        methods: item.methods.clone(),
        ratio: RatioBp::new(u32::from(item.ratio_bp))?,
        frequency: Frequency::new(item.frequency.0, item.frequency.1)?,
    })?)
}

fn domain_joint_item(city: &City, item: &synth::JointItem) -> anyhow::Result<JointItem> {
    Ok(JointItem::new(JointItemFields {
        code: ItemCode::parse(&item.code)?,
        field: item.field.to_owned(),
        name: item.name.clone(),
        legal_basis: item.legal_basis.clone(),
        lead: department_code(city, item.lead)?,
        cooperating: item
            .cooperating
            .iter()
            .map(|&d| department_code(city, d))
            .collect::<anyhow::Result<Vec<_>>>()?,
        target_type: item.target_type.to_owned(),
        methods: item.methods.clone(),
        ratio: RatioBp::new(u32::from(item.ratio_bp))?,
        frequency: Frequency::new(item.frequency.0, item.frequency.1)?,
    })?)
}

fn domain_recusal(city: &City, recusal: &synth::Recusal) -> anyhow::Result<Recusal> {
    let inspector = city
        .inspectors
        .get(recusal.inspector as usize)
        .context("a recusal of no inspector")?;
    let entity = city
        .entities
        .get(recusal.entity as usize)
        .context("a recusal of no entity")?;
    Ok(Recusal::new(
        certificate_no(inspector)?,
        entity.uscc,
        recusal.reason,
    )?)
}

fn add(total: &mut UpsertCount, count: UpsertCount) {
    total.inserted += count.inserted;
    total.updated += count.updated;
    total.unchanged += count.unchanged;
}

const ROADS: [&str; 16] = [
    "磁湖路",
    "杭州东路",
    "武汉路",
    "颐阳路",
    "团城山路",
    "桂林北路",
    "广州路",
    "延安路",
    "湖滨大道",
    "沿湖路",
    "新下陆大道",
    "铁山大道",
    "兴国大道",
    "罗桥大道",
    "黄石大道",
    "发展大道",
];

/// The certificate number of a synthetic inspector, e.g. `420200-SCJG-0001`.
fn certificate_no(inspector: &synth::Inspector) -> anyhow::Result<CertificateNo> {
    Ok(CertificateNo::parse(&format!("420200-{}", inspector.id))?)
}

/// A stored inspector: about 4 % hold a certificate that expired before the round.
fn domain_inspector(
    city: &City,
    inspector: &synth::Inspector,
    stream: &mut Stream,
) -> anyhow::Result<Inspector> {
    let (from, until) = if stream.below(100) < 4 {
        let from = date_between(stream, date(2012, 1, 1), date(2017, 3, 31));
        (
            from,
            date_between(stream, from, date(2022, 5, 31)).min(from + chrono::Months::new(60)),
        )
    } else {
        let from = date_between(stream, date(2017, 7, 1), date(2022, 3, 31));
        (from, from + chrono::Months::new(60) - chrono::Days::new(1))
    };
    // 执法领域: the department's main subject and up to two more of its subjects.
    let subjects: Vec<&synth::Subject> = city.subjects_of(inspector.department).collect();
    let fields = subjects
        .iter()
        .take(stream.between(1, 3.min(subjects.len() as u64)) as usize)
        .map(|subject| subject.name.to_owned())
        .collect();
    let weights: Vec<u32> = city.districts.iter().map(|d| d.weight).collect();
    let district = &city.districts[stream.weighted(&weights)];
    Ok(Inspector::new(InspectorFields {
        cert_no: certificate_no(inspector)?,
        name: person_name(stream),
        id_card: None,
        department: department_code(city, inspector.department)?,
        cert_valid_from: from,
        cert_valid_until: until,
        fields,
        district: Some(DistrictCode::parse(district.code)?),
        register: Default::default(),
    })?)
}

/// Converts synthetic entities to stored ones, the details drawn from a stream.
struct EntityConverter {
    districts: Vec<(DistrictCode, String)>,
    divisions: Vec<Option<IndustryCode>>,
}

impl EntityConverter {
    fn new(city: &City) -> anyhow::Result<Self> {
        let districts = city
            .districts
            .iter()
            .map(|d| {
                let place = if d.name == "市直" {
                    "黄石市".to_owned()
                } else {
                    format!("黄石市{}", d.name)
                };
                Ok((DistrictCode::parse(d.code)?, place))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let divisions = (0..100u8)
            .map(|division| IndustryCode::parse(&format!("{division:02}")).ok())
            .collect();
        Ok(Self {
            districts,
            divisions,
        })
    }

    fn convert(&self, entity: &synth::Entity, stream: &mut Stream) -> anyhow::Result<MarketEntity> {
        let code = entity.uscc.as_str().as_bytes();
        let entity_type = match code.get(1) {
            Some(b'1') => EntityType::Enterprise,
            Some(b'2') => EntityType::IndividualBusiness,
            Some(b'3') => EntityType::Cooperative,
            _ => EntityType::Other,
        };
        let (district, place) = self
            .districts
            .get(usize::from(entity.district))
            .context("entity of no district")?;
        let registered_on = entity.registered_on;
        let class = match entity.risk {
            RiskClass::A => CreditClass::A,
            RiskClass::B => CreditClass::B,
            RiskClass::C => CreditClass::C,
            RiskClass::D => CreditClass::D,
        };
        let set_on = date_between(
            stream,
            registered_on.max(date(2021, 3, 1)),
            date(2022, 6, 1),
        );
        let address = format!(
            "{place}{}{}号",
            pick(stream, &ROADS),
            stream.between(1, 999)
        );
        let division = entity.industry.division;
        let mut special_pools = Vec::new();
        match division {
            13..=15 => special_pools.push("食品生产".to_owned()),
            62 => special_pools.push("餐饮服务".to_owned()),
            52 if stream.below(100) < 30 => special_pools.push("食品销售".to_owned()),
            84 => special_pools.push("医疗机构".to_owned()),
            6..=12 => special_pools.push("非煤矿山".to_owned()),
            _ => {}
        }
        Ok(MarketEntity::new(EntityFields {
            uscc: entity.uscc,
            name: entity.name.clone(),
            entity_type: entity_type.into(),
            district: district.clone(),
            industry: self.divisions.get(usize::from(division)).cloned().flatten(),
            registered_on,
            status: match entity.status {
                synth::Status::Active => EntityStatus::Active,
                synth::Status::Deregistered => EntityStatus::Deregistered,
                synth::Status::Revoked => EntityStatus::Revoked,
                synth::Status::MovedOut => EntityStatus::MovedOut,
            },
            address: Some(address),
            legal_representative: Some(person_name(stream)),
            special_pools,
            tags: Vec::new(),
            credit: Some(CreditRating { class, set_on }),
        })?)
    }
}

/// How an enterprise checks its own fate with the revealed seed, its code and the cut-off.
fn explain_one_subject(record: &draw::Record, visit: &draw::RecordVisit) {
    let seed = draw::RoundSeed::from_bytes(record.round_seed.0);
    let prn = seed.prn(visit.subject.as_bytes());
    println!("6. 自查 an enterprise checks itself: {}", visit.subject);
    println!("     prn = first 8 bytes of SHA-256(round_seed ‖ code) = {prn:016x}");
    for plan in record
        .plans
        .iter()
        .filter(|plan| visit.plans.contains(&plan.id))
    {
        let Some(row) = plan.frame.iter().find(|row| *row.id == *visit.subject) else {
            continue;
        };
        let cutoff = plan
            .cutoffs
            .get(&*row.stratum)
            .map_or_else(|| "none".to_owned(), ToString::to_string);
        println!(
            "     plan {} stratum {}: cut-off {cutoff}, prn ≤ cut-off → drawn",
            plan.id, row.stratum
        );
    }
    for staffing in &visit.departments {
        println!(
            "     {} sends {}",
            staffing.department,
            staffing.assigned.join(", ")
        );
    }
}
