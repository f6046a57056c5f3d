//! Penalty cases (issue 19): a benchmark file, an officer directory and a case
//! file with known defects are imported; `cases check` must list exactly those
//! findings, on SQLite and PostgreSQL (in process) and through the binary.
//! Hostile case files are read under an address-space limit.

use std::error::Error;
use std::path::{Path, PathBuf};

use domain::Uscc;
use domain::enforcement::CaseRules;
use storage::Db;

use crate::common::{jianguan, jianguan_ok, on_postgres, on_sqlite, unique};

type TestResult = Result<(), Box<dyn Error>>;

/// The findings a file must produce, as (case, rule).
type Expected = Vec<(&'static str, &'static str)>;

/// The day the test's deadlines are judged on.
const AS_OF: &str = "2025-12-31";

const DEPARTMENTS: &str = "部门编码,部门名称,层级,所属区域\n\
    SJGJ,黄石市市场监督管理局,市级,420200\n\
    HBJ,黄石市生态环境局,市级,420200\n";

/// A1, A2, B1, B2 valid; A3 suspended (暂扣); A4 expired at the end of 2024; A5 revoked.
const OFFICERS: &str = "执法证号,姓名,所属部门,证件有效期起,证件有效期止,证件状态,发证机关,资格考试通过日期,纳入抽查人员库\n\
    A1,张一,SJGJ,2020-01-01,2030-12-31,有效,黄石市人民政府,2019-11-18,是\n\
    A2,张二,SJGJ,2020-01-01,2030-12-31,,,,否\n\
    A3,张三,SJGJ,2020-01-01,2030-12-31,暂扣,,,\n\
    A4,张四,SJGJ,2020-01-01,2024-12-31,有效,,,\n\
    A5,张五,SJGJ,2020-01-01,2030-12-31,注销,,,\n\
    B1,李一,HBJ,2020-01-01,2030-12-31,有效,,,\n\
    B2,李二,HBJ,2020-01-01,2030-12-31,有效,,,\n";

const BENCHMARKS: &str = "违法行为编码,违法行为,实施部门,法律依据,裁量阶次,适用情形,罚款下限（元）,罚款上限（元）,清单\n\
    SJ001,未按规定公示信息,SJGJ,某条例第十条,不予处罚,首次违法、危害后果轻微并及时改正,,,不予处罚\n\
    SJ001,未按规定公示信息,SJGJ,某条例第十条,一般处罚,逾期未改正,1000,5000,\n\
    SJ001,未按规定公示信息,SJGJ,某条例第十条,从重处罚,拒不改正,5000,10000,\n\
    HB001,超标排放,黄石市生态环境局,某法第九条,一般处罚,一般情形,0,20000,\n";

fn organisation(n: u32) -> Result<String, Box<dyn Error>> {
    Ok(Uscc::from_body(&format!("91420200{n:08}"))?
        .as_str()
        .to_owned())
}

pub(crate) const PERSON: &str = "11010519491231002X";

const CASE_HEADER: &str = "案件编号,执法部门,当事人名称,当事人证件号码,违法行为编码,立案日期,决定日期,处罚种类,裁量阶次,罚款金额,执法人员,法制审核,首次违法,及时改正,延期,公示日期,决定变更日期,撤回日期,结案日期\n";

/// A case row: the defaults of a clean decided case, with `changes` applied
/// as (column index, value).
fn row(id: &str, changes: &[(usize, &str)]) -> Result<String, Box<dyn Error>> {
    let org = organisation(1)?;
    let mut cells: Vec<String> = [
        id,
        "SJGJ",
        "黄石某某商贸有限公司",
        &org,
        "SJ001",
        "2025-03-10",
        "2025-04-01",
        "罚款",
        "一般处罚",
        "3000",
        "A1、A2",
        "否",
        "否",
        "否",
        "否",
        "2025-04-11",
        "",
        "",
        "2025-04-20",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for (index, value) in changes {
        if let Some(cell) = cells.get_mut(*index) {
            *cell = (*value).to_owned();
        }
    }
    Ok(cells.join(",") + "\n")
}

/// The case file and the findings it must produce, as (case, rule).
fn case_file() -> Result<(String, Expected), Box<dyn Error>> {
    let rows: Vec<(&str, Vec<(usize, &str)>)> = vec![
        // Published on the 7th working day (清明 4–6 April skipped): on time.
        ("C01", vec![]),
        ("C02", vec![(15, "2025-04-14")]),
        ("C03", vec![(10, "A1")]),
        ("C04", vec![(10, "A1、A3")]),
        ("C05", vec![(10, "A1、B1")]),
        ("C06", vec![(10, "A1、A4")]),
        ("C07", vec![(10, "A1、ZZ9")]),
        ("C08", vec![(4, "SJ999")]),
        ("C09", vec![(9, "5000.01")]),
        ("C10", vec![(9, "5000")]),
        (
            "C11",
            vec![(8, "不予处罚"), (7, ""), (9, ""), (12, "是"), (13, "是")],
        ),
        ("C12", vec![(12, "是"), (13, "是")]),
        (
            "C13",
            vec![(3, PERSON), (2, "欧阳某人"), (8, "从重处罚"), (9, "5000")],
        ),
        ("C14", vec![(7, "罚款、责令停产停业")]),
        ("C15", vec![(6, "2025-06-10"), (15, "2025-06-12")]),
        (
            "C16",
            vec![(6, "2025-06-10"), (15, "2025-06-12"), (14, "是")],
        ),
        ("C17", vec![(6, "2025-06-08"), (15, "2025-06-09")]),
        ("C18", vec![(16, "2025-05-06")]),
        // Changed on 30 April; 劳动节 1–5 May: the 3rd working day is 8 May.
        ("C19", vec![(16, "2025-04-30"), (17, "2025-05-08")]),
        ("C20", vec![(16, "2025-04-30"), (17, "2025-05-09")]),
        (
            "C21",
            vec![
                (6, ""),
                (7, ""),
                (9, ""),
                (15, ""),
                (18, ""),
                (5, "2025-11-20"),
            ],
        ),
        ("C22", vec![(6, "2025-12-22"), (5, "2025-12-01"), (15, "")]),
        ("C23", vec![(6, "2025-12-19"), (5, "2025-12-01"), (15, "")]),
        (
            "C24",
            vec![
                (1, "黄石市生态环境局"),
                (4, "HB001"),
                (10, "B1、B2"),
                (9, "100"),
            ],
        ),
        ("C25", vec![(10, "A1、A5")]),
    ];
    let mut text = CASE_HEADER.to_owned();
    for (id, changes) in &rows {
        text.push_str(&row(id, changes)?);
    }
    // Rejected rows: a bad ID number, a fine with three decimals, an unknown
    // department; a duplicate of C24 (the later row wins, with a warning).
    text.push_str(&row("C90", &[(3, "110105194912310021")])?);
    text.push_str(&row("C91", &[(9, "12.345")])?);
    text.push_str(&row("C92", &[(1, "NOPE")])?);
    text.push_str(&row(
        "C24",
        &[
            (1, "黄石市生态环境局"),
            (4, "HB001"),
            (10, "B1、B2"),
            (9, "100"),
        ],
    )?);
    let expected = vec![
        ("C02", "publicity"),
        ("C03", "officers"),
        ("C04", "officers"),
        ("C05", "officers"),
        ("C06", "officers"),
        ("C07", "officers"),
        ("C08", "tier_range"),
        ("C08", "unknown_behaviour"),
        ("C09", "tier_range"),
        ("C12", "first_offence"),
        ("C13", "legal_review"),
        ("C14", "legal_review"),
        ("C15", "decision_late"),
        ("C18", "withdrawal"),
        ("C20", "withdrawal"),
        ("C23", "publicity"),
        ("C25", "officers"),
    ];
    Ok((text, expected))
}

pub(crate) struct Files {
    pub(crate) dir: PathBuf,
    departments: PathBuf,
    officers: PathBuf,
    pub(crate) benchmarks: PathBuf,
    pub(crate) cases: PathBuf,
}

pub(crate) fn write_files(name: &str) -> Result<(Files, Expected), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir)?;
    let (cases, expected) = case_file()?;
    let files = Files {
        departments: dir.join("departments.csv"),
        officers: dir.join("officers.csv"),
        benchmarks: dir.join("benchmarks.csv"),
        cases: dir.join("cases.csv"),
        dir,
    };
    std::fs::write(&files.departments, DEPARTMENTS)?;
    std::fs::write(&files.officers, OFFICERS)?;
    std::fs::write(&files.benchmarks, BENCHMARKS)?;
    std::fs::write(&files.cases, cases)?;
    Ok((files, expected))
}

fn day(text: &str) -> Result<chrono::NaiveDate, Box<dyn Error>> {
    Ok(text.parse()?)
}

async fn the_checks_find_exactly_the_defects(db: Db) -> TestResult {
    let (files, expected) = write_files("cases_contract")?;
    let options = files::Options::default();
    let at = domain::clock::now();
    for (kind, path) in [
        (files::Kind::Departments, &files.departments),
        (files::Kind::Inspectors, &files.officers),
    ] {
        let outcome = files::import_file(&db, kind, path, &options).await?;
        assert!(outcome.errors.is_empty(), "{kind:?}: {:?}", outcome.errors);
    }
    let officers = service::enforcement::officer_register(&db).await?;
    assert_eq!(officers.get("A2").map(|o| o.register.in_pool), Some(false));
    assert_eq!(
        officers.get("A1").and_then(|o| o.register.exam_passed_on),
        Some(day("2019-11-18")?)
    );
    let benchmarks = service::enforcement::import_benchmarks(
        &db,
        &files.benchmarks,
        Some(day("2025-01-01")?),
        "test",
        at,
    )
    .await?;
    assert_eq!(benchmarks.version, Some(1));
    assert_eq!(benchmarks.outcome.inserted, 4);
    let import = service::enforcement::import_cases(&db, &files.cases, "test", at).await?;
    let rejected: Vec<usize> = import.outcome.errors.iter().map(|p| p.row).collect();
    assert_eq!(rejected, [27, 28, 29], "{:?}", import.outcome.errors);
    assert!(
        import
            .outcome
            .errors
            .iter()
            .all(|p| !p.value.contains("1949")),
        "an ID number in the report: {:?}",
        import.outcome.errors
    );
    assert_eq!(import.outcome.inserted, 25);
    assert_eq!(import.outcome.warnings.len(), 1);
    let calendar = workcal::Calendar::embedded()?;
    let report =
        service::enforcement::run_check(&db, None, day(AS_OF)?, &CaseRules::default(), &calendar)
            .await?;
    assert_eq!(report.cases, 25);
    let found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.case.as_str(), f.rule.as_str()))
        .collect();
    assert_eq!(found, expected);
    // One department only.
    let hbj = service::enforcement::run_check(
        &db,
        Some("HBJ"),
        day(AS_OF)?,
        &CaseRules::default(),
        &calendar,
    )
    .await?;
    assert_eq!((hbj.cases, hbj.findings.len()), (1, 0));
    // A re-import changes nothing; a changed row is one update on the ledger.
    let again = service::enforcement::import_cases(&db, &files.cases, "test", at).await?;
    assert_eq!((again.outcome.inserted, again.outcome.updated), (0, 0));
    assert_eq!(again.outcome.unchanged, 25);
    let same = service::enforcement::import_benchmarks(
        &db,
        &files.benchmarks,
        Some(day("2025-01-01")?),
        "test",
        at,
    )
    .await?;
    assert_eq!(same.version, Some(1));
    // A second version from July: C13's 从重处罚 range moves up, so a case
    // decided after it falls outside, one decided before stays inside.
    let revised = files.dir.join("benchmarks-2.csv");
    std::fs::write(&revised, BENCHMARKS.replace("5000,10000", "6000,10000"))?;
    let second = service::enforcement::import_benchmarks(
        &db,
        &revised,
        Some(day("2025-07-01")?),
        "test",
        at,
    )
    .await?;
    assert_eq!(second.version, Some(2));
    let later = files.dir.join("later.csv");
    std::fs::write(
        &later,
        format!(
            "{CASE_HEADER}{}",
            row(
                "C13",
                &[
                    (3, PERSON),
                    (2, "欧阳某人"),
                    (8, "从重处罚"),
                    (9, "5000"),
                    (11, "是"),
                    (5, "2025-06-01"),
                    (6, "2025-07-02"),
                    (15, "2025-07-03")
                ]
            )?
        ),
    )?;
    let changed = service::enforcement::import_cases(&db, &later, "test", at).await?;
    assert_eq!(changed.outcome.updated, 1);
    let report =
        service::enforcement::run_check(&db, None, day(AS_OF)?, &CaseRules::default(), &calendar)
            .await?;
    let c13: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.case == "C13")
        .map(|f| f.rule.as_str())
        .collect();
    assert_eq!(c13, ["tier_range"]);
    let audit = service::audit::verify(&db).await?;
    assert!(audit.intact(), "{:?}", audit.breaks);
    let _ = std::fs::remove_dir_all(&files.dir);
    Ok(())
}

#[test]
fn the_checks_find_exactly_the_defects_on_sqlite() -> TestResult {
    on_sqlite("cases", "checks", the_checks_find_exactly_the_defects)
}

#[test]
fn the_checks_find_exactly_the_defects_on_postgres() -> TestResult {
    on_postgres("cases", "checks", the_checks_find_exactly_the_defects)
}

fn text(path: &Path) -> Result<&str, Box<dyn Error>> {
    path.to_str().ok_or_else(|| "path is not UTF-8".into())
}

/// A database set up by the binary, with the directories imported.
pub(crate) fn cli_database(files: &Files) -> Result<String, Box<dyn Error>> {
    let database = files.dir.join("jianguan.sqlite3");
    let database = text(&database)?.to_owned();
    crate::common::cli_set_up(&database)?;
    jianguan_ok(&[
        "import",
        "departments",
        text(&files.departments)?,
        "--database",
        &database,
    ])?;
    jianguan_ok(&[
        "import",
        "inspectors",
        text(&files.officers)?,
        "--database",
        &database,
    ])?;
    Ok(database)
}

#[test]
fn the_cli_prints_exactly_the_findings() -> TestResult {
    let (files, expected) = write_files("cases_cli")?;
    let database = cli_database(&files)?;
    let out = jianguan_ok(&[
        "discretion",
        "import",
        text(&files.benchmarks)?,
        "--in-force",
        "2025-01-01",
        "--json",
        "--database",
        &database,
    ])?;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(summary["imported"], 4);
    assert_eq!(summary["version"], 1);
    let out = jianguan(&[
        "cases",
        "import",
        text(&files.cases)?,
        "--json",
        "--database",
        &database,
    ])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("110105194912310021"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (summary["imported"].as_u64(), summary["rejected"].as_u64()),
        (Some(25), Some(3))
    );
    let out = jianguan_ok(&[
        "cases",
        "check",
        "--as-of",
        AS_OF,
        "--json",
        "--database",
        &database,
    ])?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let keys: Vec<&String> = report
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["cases", "findings"]);
    assert_eq!(report["cases"], 25);
    let findings = report["findings"].as_array().ok_or("findings")?;
    let found: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["case"].as_str().unwrap_or(""),
                f["rule"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(found, expected);
    for finding in findings {
        let keys: Vec<&String> = finding
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["case", "detail", "rule"]);
    }
    // Rules: a longer publicity period clears C02 (published on the 8th working day).
    let rules = files.dir.join("rules.json");
    std::fs::write(
        &rules,
        r#"{"publicity_working_days": 8, "decision_days": 92}"#,
    )?;
    let out = jianguan_ok(&[
        "cases",
        "check",
        "--as-of",
        AS_OF,
        "--rules",
        text(&rules)?,
        "--json",
        "--database",
        &database,
    ])?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let rules_found: Vec<(String, String)> = report["findings"]
        .as_array()
        .ok_or("findings")?
        .iter()
        .map(|f| {
            (
                f["case"].as_str().unwrap_or("").to_owned(),
                f["rule"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(!rules_found.contains(&("C02".into(), "publicity".into())));
    assert!(!rules_found.contains(&("C15".into(), "decision_late".into())));
    // Unknown keys are an error (exit 2).
    std::fs::write(&rules, r#"{"publicity_days": 8}"#)?;
    let out = jianguan(&[
        "cases",
        "check",
        "--rules",
        text(&rules)?,
        "--json",
        "--database",
        &database,
    ])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("publicity_days"));
    // The lookup.
    let out = jianguan_ok(&[
        "discretion",
        "show",
        "SJ001",
        "--as-of",
        "2025-06-01",
        "--json",
        "--database",
        &database,
    ])?;
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(shown["rows"].as_array().map(Vec::len), Some(3));
    let out = jianguan_ok(&["discretion", "show", "超标", "--database", &database])?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("HB001"));
    jianguan_ok(&["audit", "verify", "--database", &database])?;
    let _ = std::fs::remove_dir_all(&files.dir);
    Ok(())
}

/// Hostile case files, read by the binary under an address-space limit:
/// each is refused or read cleanly, never a crash, and no ID number is printed.
#[test]
fn hostile_case_files_are_refused_cleanly() -> TestResult {
    let (files, _) = write_files("cases_hostile")?;
    let database = cli_database(&files)?;
    let org = organisation(1)?;
    let mut pathological = CASE_HEADER.to_owned();
    while pathological.len() < 5 * 1024 {
        pathological.push_str(&format!(
            "\"C,\"\"1\",SJGJ,\"\u{0}\u{feff}甲\r\n乙\",{org},SJ001,2025-13-45,,罚款、、罚款,??,1e309,A1、、、,也许,,,,,,,\n"
        ));
    }
    let mut duplicates = CASE_HEADER.to_owned();
    for _ in 0..3 {
        duplicates.push_str(&row("D1", &[])?);
    }
    let gbk: Vec<u8> = {
        let utf8 = format!("{CASE_HEADER}{}", row("G1", &[])?);
        let (bytes, _, _) = encoding_rs::GBK.encode(&utf8);
        bytes.into_owned()
    };
    let cases: Vec<(&str, Vec<u8>, Option<i32>)> = vec![
        ("empty.csv", Vec::new(), Some(2)),
        ("header-only.csv", CASE_HEADER.as_bytes().to_vec(), Some(0)),
        ("gbk.csv", gbk, Some(0)),
        ("duplicates.csv", duplicates.into_bytes(), Some(0)),
        (
            "bad-id.csv",
            format!("{CASE_HEADER}{}", row("B1", &[(3, "110105194912310021")])?).into_bytes(),
            Some(0),
        ),
        ("pathological.csv", pathological.into_bytes(), Some(0)),
        (
            "missing-header.csv",
            "案件编号,执法部门\nX,SJGJ\n".as_bytes().to_vec(),
            Some(2),
        ),
    ];
    for (name, bytes, status) in cases {
        let path = files.dir.join(name);
        std::fs::write(&path, bytes)?;
        let output = std::process::Command::new("prlimit")
            .arg(format!("--as={}", 4u64 << 30))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_jianguan"))
            .args([
                "cases",
                "import",
                text(&path)?,
                "--json",
                "--database",
                &database,
            ])
            .output()?;
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!all.contains("panicked"), "{name}: {all}");
        assert!(!all.contains("110105194912310021"), "{name}: {all}");
        assert_eq!(output.status.code(), status, "{name}: {all}");
    }
    // The GBK file was read as GBK; the duplicates became one case.
    let out = jianguan_ok(&[
        "cases",
        "check",
        "--as-of",
        AS_OF,
        "--json",
        "--database",
        &database,
    ])?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["cases"], 2);
    jianguan_ok(&["audit", "verify", "--database", &database])?;
    let _ = std::fs::remove_dir_all(&files.dir);
    Ok(())
}
