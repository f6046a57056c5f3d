//! Government services (issue 21) through the binary: a catalogue,
//! applications and credit lists with known answers; the KPI JSON and the
//! promise decisions asserted exactly; re-imports, versions, hostile inputs;
//! and the storage of both engines.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::{TestResult, contracts, jianguan, jianguan_ok, unique};

pub(crate) const CATALOGUE: &str = "\
事项编码*,事项名称*,实施部门*,事项类型,办件类型*,法定时限（工作日）,承诺时限*,一窗通办,一证通办,申请材料,证明事项,结果证照类型
M1,食品经营许可,D01,行政许可,承诺件,20,5,是,否,申请书、营业执照,场地证明（可承诺）、健康证明,SPJY
M2,户籍证明开具,D02,公共服务,即办件,,0,是,否,身份证,,
M3,建设工程许可,D01,行政许可,承诺件,20,10,否,否,申请书,无犯罪记录证明,
";

/// Known answers (March 2026 has no holiday): see `kpi_known_answers`.
pub(crate) const APPLICATIONS: &str = "\
办件编号,事项编码,申请人名称,申请人证件号码,受理渠道,收件时间,受理时间,暂停工作日,办结时间,办理结果,评价,评价时间,整改完成时间
B1,M1,甲公司,91420200MA4A0002XJ,综合窗口,2026-03-02 09:00,2026-03-02 09:30,,2026-03-06 10:00,准予,满意,2026-03-06 11:00,
B2,M1,甲公司,91420200MA4A0002XJ,部门窗口,2026-03-02 09:00,2026-03-02 09:30,,2026-03-10 10:00,准予,不满意,2026-03-10 11:00,2026-03-16 09:00
B3,M2,张三,11010519491231002X,网上,2026-03-03 09:00,2026-03-03 09:30,,,,,,
B4,M1,乙公司,91420200MA4A00046D,综合窗口,2026-03-04 09:00,2026-03-04 10:00,3,2026-03-13 09:00,准予,非常不满意,2026-03-13 10:00,
B5,M3,乙公司,91420200MA4A00046D,综合窗口,2026-03-05 09:00,,,,,,,
B6,M1,甲公司,91420200MA4A0002XJ,综合窗口,2026-03-18 09:00,2026-03-18 09:10,,,,,,
B7,M1,甲公司,91420200MA4A0002XJ,综合窗口,2026-02-27 09:00,2026-02-27 09:10,,,,,,
B8,M1,丙公司,91420200MA4A00038J,综合窗口,2026-03-19 09:00,2026-03-19 09:10,,2026-03-19 16:00,准予,基本满意,2026-03-19 17:00,
B9,M2,张三,11010519491231002X,部门窗口,2026-03-09 09:00,2026-03-09 09:10,,2026-03-09 17:00,准予,不满意,2026-03-09 18:00,2026-03-17 10:00
B10,M1,丙公司,91420200MA4A00038J,网上,2026-03-21 09:00,,,,,,,
B11,M2,张三,11010519491231002X,综合窗口,2026-03-10 09:00,2026-03-10 09:10,,2026-03-11 09:00,不予,,,
";

pub(crate) const LISTS: &str = "\
名单类型,主体名称,统一社会信用代码或身份证号码,列入日期,有效期至,认定部门,列入原因,移出日期
虚假承诺,乙公司,91420200MA4A00046D,2026-01-05,2027-01-04,黄石市行政审批局,告知承诺核查不实,
严重失信主体名单,丙公司,91420200MA4A00038J,2026-01-05,,黄石市中级人民法院,失信被执行人,2026-02-01
";

pub(crate) struct Scratch {
    dir: PathBuf,
    pub(crate) database: String,
}

impl Scratch {
    pub(crate) fn new(name: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(unique(name));
        std::fs::create_dir_all(&dir)?;
        let database = dir.join("jianguan.sqlite3").to_string_lossy().into_owned();
        Ok(Self { dir, database })
    }

    pub(crate) fn file(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<String, Box<dyn std::error::Error>> {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes)?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// Runs `jianguan ARGS --database DB`; stdout parsed as JSON, exit code.
    pub(crate) fn json(
        &self,
        args: &[&str],
    ) -> Result<(Value, Option<i32>, String), Box<dyn std::error::Error>> {
        let mut all = args.to_vec();
        all.extend(["--database", &self.database]);
        let out = jianguan(&all)?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
        Ok((value, out.status.code(), format!("{stdout}{stderr}")))
    }

    pub(crate) fn loaded(name: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let scratch = Self::new(name)?;
        let catalogue = scratch.file("catalogue.csv", CATALOGUE.as_bytes())?;
        let applications = scratch.file("applications.csv", APPLICATIONS.as_bytes())?;
        let lists = scratch.file("lists.csv", LISTS.as_bytes())?;
        let (out, code, _) =
            scratch.json(&["services", "matters", "import", &catalogue, "--json"])?;
        assert_eq!(code, Some(0));
        assert_eq!(out["imported"], 3);
        let (out, code, text) = scratch.json(&[
            "services",
            "applications",
            "import",
            &applications,
            "--json",
        ])?;
        assert_eq!(code, Some(0), "{text}");
        assert_eq!(
            (out["imported"].clone(), out["rejected"].clone()),
            (json!(11), json!(0)),
            "{text}"
        );
        jianguan_ok(&[
            "credit",
            "import",
            &lists,
            "--json",
            "--database",
            &scratch.database,
        ])?;
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn kpi(scratch: &Scratch, extra: &[&str]) -> Result<Value, Box<dyn std::error::Error>> {
    let mut args = vec!["services", "kpi", "--json"];
    args.extend(extra);
    let (out, code, text) = scratch.json(&args)?;
    assert_eq!(code, Some(0), "{text}");
    Ok(out)
}

#[test]
fn kpi_known_answers() -> TestResult {
    let scratch = Scratch::loaded("jianguan_services_kpi")?;
    let march = ["--from", "2026-03-01", "--to", "2026-03-31"];
    // As of 20 March: B7 was received before the period, B10 after the as-of
    // time. Closed on time: B1, B4 (due 16 March: 5 + 3 paused days), B8, B9
    // (即办件, closed the same day); late: B2, B11; open past due: B3 (即办件);
    // B5 not accepted, B6 not yet due. 差评: B2 rectified on time, B9 late
    // (due 16 March), B4 not rectified but its deadline (20 March) not passed.
    assert_eq!(
        kpi(&scratch, &[&march[..], &["--as-of", "2026-03-20"]].concat())?,
        json!({"applications": 9, "on_time_rate": 0.5714, "one_window_share": 0.6667,
               "good_rate": 0.4, "bad_reviews": 3, "rectified_on_time_rate": 0.5})
    );
    // Three days later B10 has come in and B4's rectification is late.
    assert_eq!(
        kpi(
            &scratch,
            &[&march[..], &["--as-of", "2026-03-23 12:00"]].concat()
        )?,
        json!({"applications": 10, "on_time_rate": 0.5714, "one_window_share": 0.6,
               "good_rate": 0.4, "bad_reviews": 3, "rectified_on_time_rate": 0.3333})
    );
    assert_eq!(
        kpi(
            &scratch,
            &[
                &march[..],
                &["--as-of", "2026-03-20", "--department", "D02"]
            ]
            .concat()
        )?,
        json!({"applications": 3, "on_time_rate": 0.3333, "one_window_share": 0.3333,
               "good_rate": 0.0, "bad_reviews": 1, "rectified_on_time_rate": 0.0})
    );
    // Before anything was accepted or rated: empty denominators are null.
    assert_eq!(
        kpi(
            &scratch,
            &[&march[..], &["--as-of", "2026-03-02 09:10"]].concat()
        )?,
        json!({"applications": 2, "on_time_rate": null, "one_window_share": 0.5,
               "good_rate": null, "bad_reviews": 0, "rectified_on_time_rate": null})
    );
    assert_eq!(
        kpi(
            &scratch,
            &[
                "--from",
                "2025-01-01",
                "--to",
                "2025-01-31",
                "--as-of",
                "2026-03-20"
            ]
        )?,
        json!({"applications": 0, "on_time_rate": null, "one_window_share": null,
               "good_rate": null, "bad_reviews": 0, "rectified_on_time_rate": null})
    );
    let (_, code, _) = scratch.json(&[
        "services",
        "kpi",
        "--from",
        "2026-03-31",
        "--to",
        "2026-03-01",
        "--json",
    ])?;
    assert_eq!(code, Some(2));
    // The same figures in XLSX, with numerators and denominators.
    let xlsx = scratch.dir.join("kpi.xlsx").to_string_lossy().into_owned();
    kpi(
        &scratch,
        &[&march[..], &["--as-of", "2026-03-20", "--xlsx", &xlsx]].concat(),
    )?;
    let mut workbook: calamine::Sheets<_> = calamine::open_workbook_auto(&xlsx)?;
    let sheet = calamine::Reader::worksheet_range(&mut workbook, "办件考核指标")?;
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let on_time = rows
        .iter()
        .find(|r| r.get(1).is_some_and(|k| k == "on_time_rate"));
    assert_eq!(
        on_time.map(|r| r[2..5].to_vec()),
        Some(vec!["4".to_owned(), "7".to_owned(), "0.5714".to_owned()]),
        "{rows:?}"
    );
    Ok(())
}

#[test]
fn promise_decisions() -> TestResult {
    let scratch = Scratch::loaded("jianguan_services_promise")?;
    let check = |matter: &str, applicant: &str, as_of: &str| {
        scratch.json(&[
            "services",
            "promise-check",
            "--matter",
            matter,
            "--applicant",
            applicant,
            "--as-of",
            as_of,
            "--json",
        ])
    };
    let allowed = |value: &Value| value["allowed"].as_bool();
    // A clean enterprise and a clean person, for a matter with a 可承诺 proof.
    for applicant in ["91420200MA4A0002XJ", "11010519491231002X"] {
        let (out, code, text) = check("M1", applicant, "2026-03-01")?;
        assert_eq!((code, allowed(&out)), (Some(0), Some(true)), "{text}");
    }
    // 虚假承诺 in force.
    let (out, _, _) = check("M1", "91420200MA4A00046D", "2026-03-01")?;
    assert_eq!(allowed(&out), Some(false));
    assert!(
        out["reason"]
            .as_str()
            .is_some_and(|r| r.contains("虚假承诺")),
        "{out}"
    );
    // Not yet listed.
    let (out, _, _) = check("M1", "91420200MA4A00046D", "2026-01-04")?;
    assert_eq!(allowed(&out), Some(true));
    // 严重失信: refused while listed, allowed once removed (移出 2026-02-01).
    let (out, _, _) = check("M1", "91420200MA4A00038J", "2026-01-20")?;
    assert_eq!(allowed(&out), Some(false));
    assert!(
        out["reason"]
            .as_str()
            .is_some_and(|r| r.contains("严重失信主体名单")),
        "{out}"
    );
    let (out, _, _) = check("M1", "91420200MA4A00038J", "2026-03-01")?;
    assert_eq!(allowed(&out), Some(true));
    // A matter marking no proof 可承诺.
    let (out, _, _) = check("M3", "91420200MA4A0002XJ", "2026-03-01")?;
    assert_eq!(allowed(&out), Some(false));
    assert!(
        out["reason"].as_str().is_some_and(|r| r.contains("可承诺")),
        "{out}"
    );
    // The lists are configurable: without 虚假承诺, 乙公司 may promise.
    let (out, _, _) = scratch.json(&[
        "services",
        "promise-check",
        "--matter",
        "M1",
        "--applicant",
        "91420200MA4A00046D",
        "--as-of",
        "2026-03-01",
        "--lists",
        "严重失信主体名单",
        "--json",
    ])?;
    assert_eq!(allowed(&out), Some(true));
    // Bad input: exit 2.
    let (_, code, _) = check("M1", "110105194912310021", "2026-03-01")?;
    assert_eq!(code, Some(2));
    let (_, code, _) = check("NOPE", "91420200MA4A0002XJ", "2026-03-01")?;
    assert_eq!(code, Some(2));
    // Every check is in the credit check log.
    let log = jianguan_ok(&["credit", "log", "--database", &scratch.database])?;
    let log = String::from_utf8_lossy(&log.stdout);
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\tM1\t") || l.contains("\tM3\t"))
            .count(),
        9,
        "{log}"
    );
    Ok(())
}

#[test]
fn reimports_change_nothing_and_a_changed_entry_is_a_new_version() -> TestResult {
    let scratch = Scratch::loaded("jianguan_services_versions")?;
    let catalogue = scratch.file("catalogue.csv", CATALOGUE.as_bytes())?;
    let applications = scratch.file("applications.csv", APPLICATIONS.as_bytes())?;
    let (out, _, _) = scratch.json(&["services", "matters", "import", &catalogue, "--json"])?;
    assert_eq!(
        (out["imported"].clone(), out["unchanged"].clone()),
        (json!(0), json!(3))
    );
    let (out, _, _) = scratch.json(&[
        "services",
        "applications",
        "import",
        &applications,
        "--json",
    ])?;
    assert_eq!(
        (out["imported"].clone(), out["unchanged"].clone()),
        (json!(0), json!(11))
    );
    let changed = CATALOGUE.replace(
        "M1,食品经营许可,D01,行政许可,承诺件,20,5",
        "M1,食品经营许可,D01,行政许可,承诺件,20,3",
    );
    let changed = scratch.file("catalogue-2.csv", changed.as_bytes())?;
    let (out, _, _) = scratch.json(&["services", "matters", "import", &changed, "--json"])?;
    assert_eq!(
        (out["updated"].clone(), out["unchanged"].clone()),
        (json!(1), json!(2))
    );
    let (out, code, _) = scratch.json(&["services", "matters", "show", "M1", "--json"])?;
    assert_eq!(code, Some(0));
    let versions = out["versions"].as_array().map(Vec::len);
    assert_eq!(versions, Some(2));
    assert_eq!(out["versions"][0]["matter"]["promised_days"], 5);
    assert_eq!(out["versions"][1]["matter"]["promised_days"], 3);
    assert_eq!(out["versions"][1]["version"], 2);
    let (_, code, _) = scratch.json(&["services", "matters", "show", "M9", "--json"])?;
    assert_eq!(code, Some(2));
    Ok(())
}

#[test]
fn hostile_and_bad_inputs_are_refused_cleanly() -> TestResult {
    let scratch = Scratch::loaded("jianguan_services_hostile")?;
    let header = APPLICATIONS.lines().next().unwrap_or_default();
    // Empty files.
    for command in ["matters", "applications"] {
        let empty = scratch.file("empty.csv", b"")?;
        let (out, code, _) = scratch.json(&["services", command, "import", &empty, "--json"])?;
        assert_eq!(code, Some(2));
        assert!(out["error"].is_string());
    }
    // A catalogue in GBK is read.
    let text = CATALOGUE.replace("M1,", "G1,");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let gbk = scratch.file("catalogue-gbk.csv", &gbk)?;
    let (out, code, text) = scratch.json(&["services", "matters", "import", &gbk, "--json"])?;
    assert_eq!(
        (code, out["imported"].clone()),
        (Some(0), json!(1)),
        "{text}"
    );
    // Wrong headers: refused whole.
    let wrong = scratch.file("wrong.csv", "编号,名称\nX,Y\n".as_bytes())?;
    let (_, code, _) = scratch.json(&["services", "applications", "import", &wrong, "--json"])?;
    assert_eq!(code, Some(2));
    // Bad identifiers (a wrong check digit, an invalid code), an unknown
    // matter, times out of order, an unknown channel; a duplicate row wins.
    let rows = format!(
        "{header}\n\
         X1,M1,李四,110105194912310021,综合窗口,2026-03-02 09:00,,,,,,,\n\
         X2,M1,某公司,91420200MA4A0002XB,综合窗口,2026-03-02 09:00,,,,,,,\n\
         X3,M9,某公司,91420200MA4A0002XJ,综合窗口,2026-03-02 09:00,,,,,,,\n\
         X4,M1,某公司,91420200MA4A0002XJ,综合窗口,2026-03-02 09:00,2026-03-01 09:00,,,,,,\n\
         X5,M1,某公司,91420200MA4A0002XJ,窗口,2026-03-02 09:00,,,,,,,\n\
         X6,M1,某公司,91420200MA4A0002XJ,综合窗口,2026-03-02 09:00,,,,,,,\n\
         X6,M1,某公司,91420200MA4A0002XJ,网上,2026-03-02 09:00,,,,,,,\n"
    );
    let bad = scratch.file("bad.csv", rows.as_bytes())?;
    let (out, code, text) = scratch.json(&[
        "services",
        "applications",
        "import",
        &bad,
        "--json",
        "--report",
        &scratch.dir.to_string_lossy(),
    ])?;
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        (
            out["imported"].clone(),
            out["rejected"].clone(),
            out["warnings"].clone()
        ),
        (json!(1), json!(5), json!(1)),
        "{text}"
    );
    // The person's number is never printed whole.
    assert!(!text.contains("110105194912310021"), "{text}");
    let text = String::from_utf8_lossy(
        &jianguan(&[
            "services",
            "applications",
            "import",
            &bad,
            "--database",
            &scratch.database,
        ])?
        .stderr,
    )
    .into_owned();
    assert!(!text.contains("110105194912310021"), "{text}");
    assert!(text.contains("row 2"), "{text}");
    Ok(())
}

// Storage on both engines: the KPI query over seeded applications equals an
// independent count over the same applications in memory.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeZone as _};
use domain::credit::Subject;
use domain::hotline::beijing;
use domain::services::{Application, Channel, Decision, Review, ServiceKpiCounts};
use storage::Db;
use storage::services::{ServiceKpiRange, ServiceStore};

pub(crate) fn at(day: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    beijing()
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
        .single()
        .unwrap_or_default()
}

/// A deterministic spread of applications over 60 days.
fn spread() -> Vec<Application> {
    let start = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
    let subject = Subject::parse_valid("91420200MA4A0002XJ").ok();
    let Some(subject) = subject else {
        return Vec::new();
    };
    (0u64..600)
        .map(|i| {
            let received = start + Days::new(i % 60);
            let accepted = (i % 7 != 0).then(|| at(received, 10));
            let due = accepted.map(|_| received + Days::new(i % 9));
            let closed =
                (accepted.is_some() && i % 5 != 0).then(|| at(received + Days::new(i % 11), 15));
            let review = closed.and_then(|_| {
                [
                    None,
                    Some(Review::Satisfied),
                    Some(Review::Dissatisfied),
                    Some(Review::VeryDissatisfied),
                    Some(Review::FairlySatisfied),
                ][(i % 5) as usize]
            });
            let reviewed_at = review.and(closed.map(|c| c + chrono::Duration::hours(1)));
            let bad = review.is_some_and(Review::is_bad);
            let rectify_due = bad.then(|| received + Days::new(i % 11 + 7));
            let rectified_at = (bad && i % 3 != 0).then(|| at(received + Days::new(i % 13 + 5), 9));
            Application {
                id: format!("S{i:04}"),
                matter: "M1".into(),
                matter_version: 1,
                department: if i % 2 == 0 { "D01" } else { "D02" }.into(),
                applicant_name: "甲公司".into(),
                applicant: subject,
                channel: [
                    Channel::OneWindow,
                    Channel::DepartmentWindow,
                    Channel::Online,
                ][(i % 3) as usize],
                received_at: at(received, 9),
                accepted_at: accepted,
                paused_days: 0,
                due,
                closed_at: closed,
                decision: closed.map(|_| Decision::Granted),
                review,
                reviewed_at,
                rectify_due,
                rectified_at,
                import_digest: None,
                revoked_at: None,
            }
        })
        .collect()
}

/// The counts by the definitions, one application at a time.
fn independent(applications: &[Application], range: &ServiceKpiRange) -> ServiceKpiCounts {
    let today = range.as_of.date_naive();
    let mut c = ServiceKpiCounts::default();
    let happened = |t: Option<DateTime<FixedOffset>>| t.filter(|t| *t <= range.as_of);
    for a in applications {
        let day = a.received_at.date_naive();
        if day < range.from || day > range.to || a.received_at > range.as_of {
            continue;
        }
        if range
            .department
            .as_ref()
            .is_some_and(|d| *d != a.department)
        {
            continue;
        }
        c.applications += 1;
        c.one_window += u64::from(a.channel == Channel::OneWindow);
        if let (Some(_), Some(due)) = (happened(a.accepted_at), a.due) {
            match happened(a.closed_at) {
                Some(closed) => {
                    c.timed += 1;
                    c.closed_on_time += u64::from(closed.date_naive() <= due);
                }
                None => c.timed += u64::from(today > due),
            }
        }
        if let (Some(review), Some(_)) = (a.review, happened(a.reviewed_at)) {
            c.rated += 1;
            c.good += u64::from(review.is_good());
            if review.is_bad() {
                c.bad += 1;
                let deadline = a.rectify_due.unwrap_or(day);
                match happened(a.rectified_at) {
                    Some(done) => {
                        c.rectify_counted += 1;
                        c.rectified_on_time += u64::from(done.date_naive() <= deadline);
                    }
                    None => c.rectify_counted += u64::from(today > deadline),
                }
            }
        }
    }
    c
}

async fn kpi_counts_match_an_independent_count(db: &Db) -> TestResult {
    let applications = spread();
    assert_eq!(db.seed_applications(applications.clone()).await?, 600);
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    for (from, to, as_of, department) in [
        (day(3, 1), day(4, 30), at(day(4, 10), 12), None),
        (day(3, 1), day(3, 31), at(day(5, 30), 0), Some("D01")),
        (day(3, 10), day(3, 10), at(day(3, 20), 12), None),
        (day(4, 1), day(4, 30), at(day(4, 20), 18), Some("D02")),
    ] {
        let range = ServiceKpiRange {
            from,
            to,
            as_of,
            department: department.map(str::to_owned),
        };
        assert_eq!(
            db.service_kpi_counts(&range).await?,
            independent(&applications, &range),
            "{range:?}"
        );
    }
    Ok(())
}

/// The imports, the search and the KPIs through `service` on each engine: the
/// same known answers as through the binary on SQLite.
async fn imports_search_and_kpis(db: &Db) -> TestResult {
    let dir = std::env::temp_dir().join(unique("jianguan_services_engine"));
    std::fs::create_dir_all(&dir)?;
    let catalogue = dir.join("catalogue.csv");
    std::fs::write(&catalogue, CATALOGUE)?;
    let applications = dir.join("applications.csv");
    std::fs::write(&applications, APPLICATIONS)?;
    let calendar = workcal::Calendar::embedded()?;
    let now = domain::clock::now();
    let result = async {
        let matters = service::services::import_catalogue(db, &catalogue, "test", now).await?;
        assert_eq!(matters.outcome.inserted, 3);
        let imported =
            service::services::import_applications(db, &calendar, &applications, "test", now)
                .await?;
        assert_eq!(
            (imported.outcome.inserted, imported.outcome.rejected()),
            (11, 0)
        );
        let again =
            service::services::import_applications(db, &calendar, &applications, "test", now)
                .await?;
        assert_eq!(again.outcome.unchanged, 11);
        let found: Vec<String> = service::services::search_matters(db, "许可", 10)
            .await?
            .into_iter()
            .map(|m| m.code)
            .collect();
        assert_eq!(found, ["M1", "M3"]);
        assert!(
            service::services::search_matters(db, "%", 10)
                .await?
                .is_empty()
        );
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default();
        let kpi = service::services::kpi(
            db,
            &service::services::ServiceKpiQuery {
                from: day(1),
                to: day(31),
                department: None,
                as_of: at(day(20), 23),
            },
        )
        .await?;
        assert_eq!(
            serde_json::to_value(kpi)?,
            json!({"applications": 9, "on_time_rate": 0.5714, "one_window_share": 0.6667,
                   "good_rate": 0.4, "bad_reviews": 3, "rectified_on_time_rate": 0.5})
        );
        TestResult::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

contracts!("services"; kpi_counts_match_an_independent_count, imports_search_and_kpis);
