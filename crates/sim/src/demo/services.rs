//! The demo city's government services (issue 21): the matter catalogue
//! (1,845 matters: 364 一窗通办, 521 一证通办, 272 可承诺 proofs), 248 licence
//! types and a tenth of the e-licence library (126,890 licences, signed with
//! the city key), a year of applications (办件) imported through the real
//! importers; promise checks (logged), a month's 核查 draw with witnesses and a
//! beacon whose one 不实 lists the applicant as 虚假承诺 (the next promise check
//! refuses); a few live files at the comprehensive window at every stage; then
//! the services line and the KPI workbook.
//!
//! The demo city has 30 departments (the test of the demo counts them); Huangshi's
//! 44 service units include centres that are not enforcement departments
//! (公积金中心, 不动产登记中心 …): the demo maps every matter onto its 30
//! departments, weighted by their size. Every random choice comes from a named
//! [`Stream`] (`jianguan/demo/services/…`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone as _};

use crate::synth::{self, City, Stream, pick};
use domain::hotline::{WorkingDays as _, beijing};
use domain::services::{Handling, RECTIFY_DAYS, Review, due_day};
use storage::{Db, WorkflowStore as _};

/// Matters in the catalogue of 黄石市民之家.
pub const MATTERS: usize = 1_845;
/// Matters handled 一窗通办.
pub const ONE_WINDOW: usize = 364;
/// Matters 一证通办.
pub const ONE_LICENCE: usize = 521;
/// 证明事项 that may be replaced by a promise (可承诺).
pub const PROMISABLE: usize = 272;
/// Licence types of the library.
pub const LICENCE_TYPES: usize = 248;
/// A tenth of the city's 1,268,900 licences: the demo's at Huangshi's scale
/// (scaled with the entities, at least [`MIN_LICENCES`]).
pub const LICENCES: usize = 126_890;
/// The fewest licences of a small demo city.
pub const MIN_LICENCES: usize = 2_000;
/// Applications of the year at Huangshi's scale (scaled with the entities).
pub const HUANGSHI_APPLICATIONS: u64 = 40_000;

const YEAR: i32 = super::DEMO_YEAR;
/// The month of the 核查 draw.
const CHECK_MONTH: u32 = 11;

const VERBS: [(&str, &str); 12] = [
    ("许可", "行政许可"),
    ("许可变更", "行政许可"),
    ("许可延续", "行政许可"),
    ("许可注销", "行政许可"),
    ("备案", "其他"),
    ("资格认定", "行政确认"),
    ("登记", "行政确认"),
    ("补贴申领", "行政给付"),
    ("证明开具", "公共服务"),
    ("信息查询", "公共服务"),
    ("年度报告", "其他"),
    ("证书补办", "公共服务"),
];

const MATERIALS: [&str; 8] = [
    "申请书",
    "营业执照",
    "法定代表人身份证明",
    "场所使用证明",
    "授权委托书",
    "设施设备清单",
    "管理制度文本",
    "人员资质证明",
];

const PROOFS: [&str; 6] = [
    "无违法犯罪记录证明",
    "场所产权证明",
    "专业技术人员在职证明",
    "经营场所消防安全证明",
    "验资证明",
    "社保缴纳证明",
];

/// One generated catalogue entry, as the CSV states it.
struct DemoMatter {
    code: String,
    materials: Vec<&'static str>,
    proof: Option<&'static str>,
    one_licence: bool,
    one_window: bool,
    promisable: bool,
    immediate: bool,
    promised_days: u32,
}

fn department_weights(city: &City) -> Vec<u32> {
    city.departments
        .iter()
        .map(|d| {
            synth::DEPARTMENTS
                .iter()
                .find(|k| k.code == d.code)
                .map_or(50, |k| k.weight)
        })
        .collect()
}

/// Chooses `count` distinct indices of `0..MATTERS`, from `stream`.
fn marked(stream: &mut Stream, count: usize) -> Vec<bool> {
    let mut order: Vec<usize> = (0..MATTERS).collect();
    stream.shuffle(&mut order);
    let mut marks = vec![false; MATTERS];
    for &index in order.iter().take(count) {
        marks[index] = true;
    }
    marks
}

fn licence_type_code(index: usize) -> String {
    format!("ZZ{index:03}")
}

/// Writes the licence types file: 248 types, each with its issuing
/// department (round robin over the city's departments).
fn write_types(city: &City, path: &Path) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "证照类型代码,证照名称,颁发部门,有效期（年）,照面字段")?;
    writeln!(
        out,
        "{},营业执照,黄石市市场监督管理局,,经营场所、经营范围",
        licence_type_code(0)
    )?;
    for t in 1..LICENCE_TYPES {
        let department = &city.departments[t % city.departments.len()];
        let subject = city
            .subjects_of((t % city.departments.len()) as u8)
            .nth(t / city.departments.len())
            .map_or(department.name, |s| s.name);
        let years = match t % 4 {
            0 => String::new(),
            1 => "3".to_owned(),
            2 => "5".to_owned(),
            _ => "6".to_owned(),
        };
        writeln!(
            out,
            "{},{subject}许可证（{}）,{},{years},经营场所、许可范围",
            licence_type_code(t),
            t + 1,
            department.name
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Generates the catalogue and writes it: matter codes `SCJG-0001` …
fn write_catalogue(city: &City, path: &Path) -> anyhow::Result<Vec<DemoMatter>> {
    let mut stream = Stream::named("jianguan/demo/services/catalogue");
    let weights = department_weights(city);
    let one_window = marked(&mut stream, ONE_WINDOW);
    let one_licence = marked(&mut stream, ONE_LICENCE);
    let promisable = marked(&mut stream, PROMISABLE);
    let mut per_department = vec![0usize; city.departments.len()];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "事项编码,事项名称,实施部门,事项类型,办件类型,法定时限,承诺时限,一窗通办,一证通办,申请材料,证明事项,结果证照类型,风险等级"
    )?;
    let mut matters = Vec::with_capacity(MATTERS);
    for i in 0..MATTERS {
        let department = stream.weighted(&weights);
        per_department[department] += 1;
        let code = format!(
            "{}-{:04}",
            city.departments[department].code, per_department[department]
        );
        let subjects: Vec<&str> = city.subjects_of(department as u8).map(|s| s.name).collect();
        let subject = if subjects.is_empty() {
            "公共服务"
        } else {
            pick(&mut stream, &subjects)
        };
        let (verb, kind) = VERBS[stream.below(VERBS.len() as u64) as usize];
        let immediate = kind == "公共服务" || stream.below(10) < 2;
        let (legal, promised) = if immediate {
            (String::new(), 0)
        } else {
            let legal = [20u32, 20, 15, 10][stream.below(4) as usize];
            (
                legal.to_string(),
                [1u32, 3, 5, 7, 10][stream.below(5) as usize].min(legal),
            )
        };
        let mut materials = vec![MATERIALS[0]];
        for _ in 0..stream.between(1, 3) {
            let material = pick(&mut stream, &MATERIALS[1..]);
            if !materials.contains(&material) {
                materials.push(material);
            }
        }
        if one_licence[i] && !materials.contains(&"营业执照") {
            materials.push("营业执照");
        }
        let mut proofs = String::new();
        let mut proof = None;
        if promisable[i] || stream.below(3) == 0 {
            let name = pick(&mut stream, &PROOFS);
            proof = Some(name);
            proofs.push_str(name);
            if promisable[i] {
                proofs.push_str("（可承诺）");
            }
        }
        let licence_type = if kind == "行政许可" && !verb.contains("注销") {
            licence_type_code(stream.below(LICENCE_TYPES as u64) as usize)
        } else {
            String::new()
        };
        let risk = match stream.below(10) {
            0 => "高",
            1..=6 => "中",
            _ => "低",
        };
        writeln!(
            out,
            "{code},{subject}{verb},{},{kind},{},{legal},{promised},{},{},{},{proofs},{licence_type},{risk}",
            city.departments[department].code,
            if immediate { "即办件" } else { "承诺件" },
            if one_window[i] { "是" } else { "否" },
            if one_licence[i] { "是" } else { "否" },
            materials.join("、"),
        )?;
        matters.push(DemoMatter {
            code,
            materials,
            proof,
            one_licence: one_licence[i],
            one_window: one_window[i],
            promisable: promisable[i],
            immediate,
            promised_days: promised,
        });
    }
    out.flush()?;
    Ok(matters)
}

/// Writes the licence file: `count` licences of the city's active
/// entities, issued 2016–2025, one in four a 营业执照 (type `ZZ000`); the
/// first holder of a 营业执照 (USCC, name).
fn write_licences(city: &City, count: usize, path: &Path) -> anyhow::Result<(String, String)> {
    let holders: Vec<&synth::Entity> = city.entities.iter().filter(|e| e.is_active()).collect();
    anyhow::ensure!(!holders.is_empty(), "the demo city has no active entities");
    let mut stream = Stream::named("jianguan/demo/services/licences");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "证照编号,证照类型代码,持证主体名称,持证主体证件号码,颁证日期,照面信息"
    )?;
    let first = NaiveDate::from_ymd_opt(2016, 1, 1).context("date")?;
    let mut business = None;
    for n in 0..count {
        let holder = holders[stream.below(holders.len() as u64) as usize];
        let issued = first + Duration::days(stream.below(3_650) as i64);
        let licence_type = if stream.below(4) == 0 {
            business.get_or_insert_with(|| (holder.uscc.as_str().to_owned(), holder.name.clone()));
            0
        } else {
            stream.below(LICENCE_TYPES as u64) as usize
        };
        writeln!(
            out,
            "HSZZ{n:08},{},{},{},{issued},经营场所=黄石市示例路{}号",
            licence_type_code(licence_type),
            holder.name.replace(',', "，"),
            holder.uscc.as_str(),
            1 + stream.below(800)
        )?;
    }
    out.flush()?;
    business.context("no 营业执照 in the demo library")
}

fn at(day: NaiveDate, minutes: u64) -> anyhow::Result<DateTime<FixedOffset>> {
    let local = day.and_hms_opt(0, 0, 0).context("time")? + Duration::minutes(minutes as i64);
    beijing()
        .from_local_datetime(&local)
        .single()
        .context("time")
}

fn stamp(time: Option<DateTime<FixedOffset>>) -> String {
    time.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// What the generated year holds besides the rows.
#[derive(Default)]
struct YearFacts {
    applications: u64,
    late: u64,
    paused: u64,
    refused: u64,
    bad: u64,
    /// (matter, applicant USCC, applicant name, received) of the 核查 month's
    /// applications of matters with a 可承诺 proof.
    promises: Vec<(String, String, String, NaiveDate)>,
}

/// Writes a year of applications received on the working days of the demo
/// year, as they stood on 31 March of the next year.
fn write_applications(
    city: &City,
    matters: &[DemoMatter],
    count: u64,
    calendar: &workcal::Calendar,
    path: &Path,
) -> anyhow::Result<YearFacts> {
    let mut stream = Stream::named(&format!("jianguan/demo/services/applications/{YEAR}"));
    let applicants: Vec<&synth::Entity> = city.entities.iter().filter(|e| e.is_active()).collect();
    anyhow::ensure!(
        !applicants.is_empty(),
        "the demo city has no active entities"
    );
    let first = NaiveDate::from_ymd_opt(YEAR, 1, 1).context("date")?;
    let last = NaiveDate::from_ymd_opt(YEAR, 12, 31).context("date")?;
    let working: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| calendar.is_working_day(*d).unwrap_or(false))
        .collect();
    let windowed: Vec<&DemoMatter> = matters.iter().filter(|m| m.one_window).collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "办件编号,事项编码,申请人名称,申请人证件号码,受理渠道,收件时间,受理时间,暂停工作日,办结时间,办理结果,评价,评价时间,整改完成时间"
    )?;
    let mut facts = YearFacts::default();
    for i in 0..count {
        let received_on = working[(i * working.len() as u64 / count.max(1)) as usize];
        let received_at = at(received_on, 8 * 60 + 30 + stream.below(480))?;
        // Two in three at the comprehensive window: the 一窗 matters carry the volume.
        let matter = if stream.below(3) < 2 {
            windowed[stream.below(windowed.len() as u64) as usize]
        } else {
            &matters[stream.below(matters.len() as u64) as usize]
        };
        let channel = if matter.one_window {
            ["综合窗口", "综合窗口", "综合窗口", "网上"][stream.below(4) as usize]
        } else {
            ["部门窗口", "部门窗口", "网上"][stream.below(3) as usize]
        };
        let applicant = applicants[stream.below(applicants.len() as u64) as usize];
        // One in a hundred is never accepted (补正 not done in time).
        let accepted_at = (stream.below(100) != 0).then(|| received_at + Duration::minutes(25));
        let paused = if !matter.immediate && stream.below(60) == 0 {
            facts.paused += 1;
            1 + stream.below(8) as u32
        } else {
            0
        };
        let handling = if matter.immediate {
            Handling::Immediate
        } else {
            Handling::Promised
        };
        let due = match accepted_at {
            Some(_) => Some(
                due_day(
                    calendar,
                    received_on,
                    handling,
                    matter.promised_days,
                    paused,
                )
                .map_err(|e| anyhow::anyhow!(e.0))?,
            ),
            None => None,
        };
        let closed_at = match due {
            Some(due) => {
                let span =
                    u32::try_from(calendar.working_days_between(received_on, due)?).unwrap_or(0);
                let late = stream.below(40) == 0;
                let days = if late {
                    facts.late += 1;
                    span + 1 + stream.below(3) as u32
                } else {
                    stream.below(u64::from(span) + 1) as u32
                };
                let closed_on = calendar
                    .last_day(received_on, days)
                    .map_err(|e| anyhow::anyhow!(e.0))?;
                let minutes = if closed_on == received_on {
                    (received_at - at(received_on, 0)?).num_minutes().max(0) as u64 + 60
                } else {
                    9 * 60 + stream.below(480)
                };
                Some(at(closed_on, minutes)?)
            }
            None => None,
        };
        let decision = closed_at.map(|_| match stream.below(200) {
            0..=3 => {
                facts.refused += 1;
                "不予"
            }
            4 => "撤回",
            _ => "准予",
        });
        let review = closed_at.and_then(|_| match stream.below(100) {
            0..=34 => None,
            35..=79 => Some(Review::VerySatisfied),
            80..=92 => Some(Review::Satisfied),
            93..=98 => Some(Review::FairlySatisfied),
            _ => Some(if stream.below(2) == 0 {
                Review::Dissatisfied
            } else {
                Review::VeryDissatisfied
            }),
        });
        let reviewed_at = review.and(closed_at).map(|t| t + Duration::hours(2));
        let rectified_at = match (review, reviewed_at) {
            (Some(r), Some(t)) if r.is_bad() => {
                facts.bad += 1;
                // Most rectified within the 5 working days, a few later.
                let days = if stream.below(8) == 0 {
                    RECTIFY_DAYS + 1 + stream.below(3) as u32
                } else {
                    1 + stream.below(u64::from(RECTIFY_DAYS)) as u32
                };
                let on = calendar
                    .last_day(t.date_naive(), days)
                    .map_err(|e| anyhow::anyhow!(e.0))?;
                Some(at(on, 15 * 60)?)
            }
            _ => None,
        };
        if matter.promisable && received_on.format("%m").to_string() == format!("{CHECK_MONTH:02}")
        {
            facts.promises.push((
                matter.code.clone(),
                applicant.uscc.as_str().to_owned(),
                applicant.name.clone(),
                received_on,
            ));
        }
        let mut line = String::new();
        write!(
            line,
            "BJ{YEAR}{i:07},{},{},{},{channel},{},{},{},{},{},{},{},{}",
            matter.code,
            applicant.name.replace(',', "，"),
            applicant.uscc.as_str(),
            stamp(Some(received_at)),
            stamp(accepted_at),
            if paused > 0 {
                paused.to_string()
            } else {
                String::new()
            },
            stamp(closed_at),
            decision.unwrap_or_default(),
            review.map(Review::as_str).unwrap_or_default(),
            stamp(reviewed_at),
            stamp(rectified_at),
        )?;
        writeln!(out, "{line}")?;
        facts.applications += 1;
    }
    out.flush()?;
    Ok(facts)
}

/// Loads the government services into the demo city and prints the services
/// line; the files and the KPI workbook go to `data/demo` (nothing with
/// `options.services` off).
pub(crate) async fn services(
    db: &Db,
    url: &str,
    city: &City,
    options: &super::DemoOptions,
) -> anyhow::Result<()> {
    if !options.services {
        return Ok(());
    }
    let data_dir = options.data_dir.as_path();
    let folder = options.data_dir.join("demo");
    let folder = folder.as_path();
    let started = Instant::now();
    let calendar = workcal::Calendar::embedded()?;
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let now = service::now();

    let catalogue_file = folder.join("services-matters.csv");
    let matters = write_catalogue(city, &catalogue_file)?;
    let catalogue = service::services::import_catalogue(db, &catalogue_file, "demo", now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        catalogue.outcome.errors.is_empty(),
        "the demo catalogue has problems: {:?}",
        catalogue.outcome.errors.first()
    );

    let key_path = service::licences::default_key_path(url, data_dir);
    let (key, _) = service::licences::ensure_key(db, &key_path)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let types_file = folder.join("licence-types.csv");
    write_types(city, &types_file)?;
    service::licences::import_types(db, &types_file, "demo")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let licences_file = folder.join("licences.csv");
    let licence_count =
        (LICENCES * city.entities.len() / super::HUANGSHI_ENTITIES).max(MIN_LICENCES);
    let business = write_licences(city, licence_count, &licences_file)?;
    let signing = Instant::now();
    let licences = service::licences::import_licences(db, &licences_file, &key, "demo")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let signing = signing.elapsed();
    anyhow::ensure!(
        licences.outcome.errors.is_empty(),
        "the demo licences have problems: {:?}",
        licences.outcome.errors.first()
    );

    let count = (HUANGSHI_APPLICATIONS * city.entities.len() as u64
        / super::HUANGSHI_ENTITIES as u64)
        .max(2_000);
    let applications_file = folder.join(format!("services-applications-{YEAR}.csv"));
    let facts = write_applications(city, &matters, count, &calendar, &applications_file)?;
    let imported =
        service::services::import_applications(db, &calendar, &applications_file, "demo", now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        imported.outcome.errors.is_empty(),
        "the demo applications have problems: {:?}",
        imported.outcome.errors.first()
    );

    let as_of = at(
        NaiveDate::from_ymd_opt(YEAR + 1, 3, 31).context("date")?,
        18 * 60,
    )?;
    let query = service::services::ServiceKpiQuery {
        from: NaiveDate::from_ymd_opt(YEAR, 1, 1).context("date")?,
        to: NaiveDate::from_ymd_opt(YEAR, 12, 31).context("date")?,
        department: None,
        as_of,
    };
    let live = if db
        .get::<domain::services::Verification>(CHECK_ID)
        .await?
        .is_some()
    {
        None
    } else {
        let mut live = promises_and_check(db, &facts).await?;
        live.files = live_files(db, &calendar, &key, &matters, &business).await?;
        Some(live)
    };
    let counts = service::services::kpi_counts(db, &query).await?;
    let kpi = counts.kpi();
    let workbook = folder.join(format!("services-kpi-{YEAR}.xlsx"));
    service::services::kpi_xlsx(
        &query,
        &counts,
        &files::watermark::Watermark::cli(format!("政务服务办件考核指标 {YEAR}")),
        &workbook,
    )?;
    let rate = |r: Option<domain::services::Rate>| {
        r.map_or_else(|| "—".to_owned(), domain::services::Rate::to_fixed)
    };
    println!(
        "政务服务 services: {} matters ({} 一窗, {} 一证, {} 可承诺 proofs); {} licence types, {} licences signed in {:.1} s ({} new); {} applications of {YEAR} ({} new; {} late, {} paused, {} refused, {} 差评); on-time rate {}, good rate {}; {}; KPIs in {} ({:.1} s)",
        matters.len(),
        matters.iter().filter(|m| m.one_window).count(),
        ONE_LICENCE,
        matters.iter().filter(|m| m.promisable).count(),
        LICENCE_TYPES,
        licence_count,
        signing.as_secs_f64(),
        licences.outcome.inserted,
        facts.applications,
        imported.outcome.inserted,
        facts.late,
        facts.paused,
        facts.refused,
        facts.bad,
        rate(kpi.on_time_rate),
        rate(kpi.good_rate),
        live.map_or_else(
            || format!("{CHECK_ID} drawn already"),
            |l| format!(
                "{} promise checks ({} refused); 核查 {CHECK_ID}: {} drawn, {} 不实 (listed 虚假承诺; next promise check {}); {} live files at the window",
                l.checks,
                l.refused_checks,
                l.drawn,
                l.false_promises,
                if l.refused_after { "refused" } else { "allowed" },
                l.files
            )
        ),
        workbook.display(),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// The 核查 sampling of the demo.
const CHECK_ID: &str = "HC-2025-11";
const WINDOW_STAFF: &str = "window.demo";
const APPROVER: &str = "approver.demo";

/// What the live part did: files at the window, promise checks, the 核查.
struct Live {
    files: usize,
    checks: usize,
    refused_checks: usize,
    drawn: u64,
    false_promises: usize,
    refused_after: bool,
}

/// Files at the comprehensive window at every stage, for the window pages:
/// the applicant holds a 营业执照, so a 一证通办 matter marks it 免提交.
async fn live_files(
    db: &Db,
    calendar: &workcal::Calendar,
    key: &ed25519_dalek::SigningKey,
    matters: &[DemoMatter],
    holder: &(String, String),
) -> anyhow::Result<usize> {
    use domain::services::Decision;
    use service::window;
    let matter = matters
        .iter()
        .find(|m| {
            m.one_window && m.one_licence && !m.immediate && m.materials.contains(&"营业执照")
        })
        .or_else(|| matters.iter().find(|m| m.one_window && !m.immediate))
        .context("no 一窗通办 承诺件 in the demo catalogue")?;
    let mut stream = Stream::named("jianguan/demo/services/window");
    let receipt = |all: bool, stream: &mut Stream| window::Receipt {
        matter: matter.code.clone(),
        applicant_name: holder.1.clone(),
        applicant: holder.0.clone(),
        window: format!("综合窗口 {}", 1 + stream.below(40)),
        submitted: matter
            .materials
            .iter()
            .filter(|m| **m != "营业执照")
            .chain(matter.proof.iter())
            .skip(usize::from(!all))
            .map(|m| (*m).to_owned())
            .collect(),
    };
    let now = service::now();
    let step = |n: i64| now - Duration::hours(60) + Duration::minutes(5 * n);
    let mut files = 0;
    for stage in 0..10 {
        let base = 20 * stage;
        let all = stage != 1;
        let case =
            window::receive(db, &receipt(all, &mut stream), WINDOW_STAFF, step(base)).await?;
        files += 1;
        let id = case.application.id.clone();
        if stage == 1 {
            window::correct(
                db,
                calendar,
                &id,
                "请补齐申请书以外的材料",
                WINDOW_STAFF,
                step(base + 1),
            )
            .await?;
            continue;
        }
        if stage == 0 {
            continue;
        }
        window::accept(db, calendar, &id, WINDOW_STAFF, step(base + 1)).await?;
        if stage == 2 {
            continue;
        }
        window::assign(db, &id, WINDOW_STAFF, step(base + 2)).await?;
        if stage == 3 {
            continue;
        }
        if stage == 4 {
            window::pause(db, &id, "现场核查", APPROVER, step(base + 3)).await?;
            continue;
        }
        let decision = if stage == 6 {
            Decision::Refused
        } else {
            Decision::Granted
        };
        window::decide(
            db,
            &id,
            decision,
            "材料齐全，符合法定条件",
            APPROVER,
            step(base + 4),
        )
        .await?;
        if stage == 5 {
            continue;
        }
        window::issue(db, Some(key), &id, WINDOW_STAFF, step(base + 5)).await?;
        if stage == 6 {
            continue;
        }
        window::close(db, &id, WINDOW_STAFF, step(base + 6)).await?;
        match stage {
            7 => {
                window::rate(
                    db,
                    calendar,
                    &id,
                    Review::VerySatisfied,
                    "办事快",
                    WINDOW_STAFF,
                    step(base + 7),
                )
                .await?;
            }
            8 => {
                window::rate(
                    db,
                    calendar,
                    &id,
                    Review::Dissatisfied,
                    "排队时间长",
                    WINDOW_STAFF,
                    step(base + 7),
                )
                .await?;
                window::rectify(
                    db,
                    &id,
                    "增开综合窗口",
                    "已电话回访，申请人认可",
                    APPROVER,
                    step(base + 8),
                )
                .await?;
            }
            9 => {
                window::rate(
                    db,
                    calendar,
                    &id,
                    Review::VeryDissatisfied,
                    "多次往返",
                    WINDOW_STAFF,
                    step(base + 7),
                )
                .await?;
                window::to_hotline(db, calendar, &id, "13800000000", APPROVER, step(base + 8))
                    .await?;
            }
            _ => {}
        }
    }
    Ok(files)
}

/// Promise checks for the 核查 month's applications of matters with a 可承诺
/// proof (logged; the 失信 are refused), the month's 核查 committed and drawn
/// with witnesses and a beacon; the first selected is found 不实 (listed
/// 虚假承诺, approval revoked), the others 属实; then the same applicant's
/// next promise check, refused.
async fn promises_and_check(db: &Db, facts: &YearFacts) -> anyhow::Result<Live> {
    use domain::services::VerificationOutcome;
    use service::services::{PromiseRules, promise_check};
    use service::verification as hc;
    let checker = service::credit::Checker {
        actor: WINDOW_STAFF.to_owned(),
        department: None,
    };
    let rules = PromiseRules::default();
    let mut live = Live {
        files: 0,
        checks: 0,
        refused_checks: 0,
        drawn: 0,
        false_promises: 0,
        refused_after: false,
    };
    for (matter, applicant, _, on) in &facts.promises {
        let decision = promise_check(db, matter, applicant, *on, &rules, &checker).await?;
        live.checks += 1;
        live.refused_checks += usize::from(!decision.allowed);
    }
    let month = NaiveDate::from_ymd_opt(YEAR, CHECK_MONTH, 1).context("date")?;
    // The secret is the one thing not from a named stream: it stays unguessable until the draw.
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| anyhow::anyhow!("no system randomness for the secret: {e}"))?;
    let request = hc::VerificationRequest {
        id: CHECK_ID.to_owned(),
        month,
        rates_bp: hc::parse_rates("高=5000,中=3000,低=2000").map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    // Committed and drawn in the last days (the demo's "now"), so the year's
    // report of rounds keeps to the 双随机 rounds.
    let committed_at = service::now() - Duration::days(3);
    hc::commit(
        db,
        &request,
        &draw::Secret::from_bytes(secret),
        committed_at,
        "demo",
    )
    .await?;
    let round = hc::draw(
        db,
        CHECK_ID,
        "上证综指 前一交易日收盘价",
        &[
            "市司法局 王明".to_owned(),
            "市政务服务和大数据管理局 李华".to_owned(),
        ],
        committed_at + Duration::days(1),
        "demo",
    )
    .await?;
    live.drawn = round.selections;
    let selected = hc::selected(db, CHECK_ID).await?;
    for (n, (_, application)) in selected.iter().enumerate() {
        let outcome = if n == 0 {
            VerificationOutcome::False
        } else {
            VerificationOutcome::True
        };
        let done = hc::record_result(
            db,
            CHECK_ID,
            application,
            outcome,
            Some(if n == 0 {
                "承诺的场所产权证明与实际不符".to_owned()
            } else {
                String::new()
            }),
            committed_at + Duration::days(2),
            "demo",
        )
        .await?;
        if let Some(entry) = done.listed {
            live.false_promises += 1;
            let matter = facts
                .promises
                .first()
                .map(|p| p.0.clone())
                .unwrap_or_default();
            let again = promise_check(
                db,
                &matter,
                entry.subject.as_str(),
                service::now().date_naive(),
                &rules,
                &checker,
            )
            .await?;
            live.refused_after = !again.allowed;
        }
    }
    Ok(live)
}
