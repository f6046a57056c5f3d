//! 行政复议 and 行政诉讼出庭应诉 (issue 20): a register with known late steps
//! across 2025's holidays and rows refused by row and column; the findings,
//! KPIs and appearance rates must be exactly those worked out by hand, on
//! SQLite and PostgreSQL (in process) and through the binary.

use std::error::Error;
use std::path::{Path, PathBuf};

use storage::Db;

use crate::common::{jianguan, jianguan_ok, on_postgres, on_sqlite, unique};

type TestResult = Result<(), Box<dyn Error>>;

/// The day open clocks are judged on.
const AS_OF: &str = "2025-12-31";

const DEPARTMENTS: &str = "部门编码,部门名称,层级,所属区域\n\
    SJGJ,黄石市市场监督管理局,市级,420200\n\
    HBJ,黄石市生态环境局,市级,420200\n";

const CASES: &str = "案件编号,执法部门,当事人名称,当事人证件号码,违法行为编码,立案日期\n\
    C01,SJGJ,某公司,91420200MA4K8B6C20,WF-1,2025-03-01\n";

const HEADER: &str = "案号,申请人,被申请人,收到日期,补正通知日期,补正完成日期,受理日期,程序,延期,中止天数,决定日期,决定类型,原行政行为案件编号\n";

/// The rows; findings as of [`AS_OF`] worked out with 2025's calendar.
const ROWS: &str = "\
R01,张三,SJGJ,2025-09-26,,,2025-10-10,普通,否,,2025-11-20,撤销,C01\n\
R02,李四,SJGJ,2025-09-26,,,2025-10-11,,,,2025-11-20,维持,\n\
R03,某公司,SJGJ,2025-04-28,2025-05-09,2025-05-20,2025-05-27,,,,2025-07-01,确认违法,\n\
R04,王五,SJGJ,2025-03-03,,,2025-03-07,简易,,,2025-04-07,驳回,\n\
R05,赵六,SJGJ,2025-03-03,,,2025-03-07,普通,是,10,2025-06-14,变更,\n\
R06,钱七,黄石市生态环境局,2025-12-01,,,,,,,,,\n\
R07,孙八,HBJ,2025-06-02,,,2025-06-03,,,,,,\n\
R08,周九,HBJ,2025-03-03,,,,,,,2025-03-05,不予受理,\n\
R09,吴十,HBJ,2025-03-03,,,2025-03-04,,,,2025-03-20,终止,\n\
R10,郑一,HBJ,2024-12-30,,,2025-01-03,,,,2025-02-01,撤销,C99\n\
R90,甲,SJGJ,2025-05-10,,,2025-05-01,,,,,,\n\
R91,乙,SJGJ,2025-05-10,,,,快速,,,,,\n\
R92,丙,SJGJ,2025-05-10,,,,,,-3,,,\n\
R93,丁,NOPE,2025-05-10,,,,,,,,,\n\
R94,戊,SJGJ,2025-05-10,,,2025-05-12,,,,2025-06-01,和解,\n";

/// (row, column) of each refused row.
const REFUSED: &[(usize, &str)] = &[
    (12, "受理日期"),
    (13, "程序"),
    (14, "中止天数"),
    (15, "被申请人"),
    (16, "决定类型"),
];

const EXPECTED: &[(&str, &str)] = &[
    ("R02", "admission_late"),
    ("R03", "correction_notice_late"),
    ("R04", "decision_late"),
    ("R06", "admission_late"),
    ("R07", "decision_late"),
];

const LITIGATION: &str = "案号,被告,开庭日期,负责人出庭\n\
    L1,SJGJ,2025-03-01,是\n\
    L2,SJGJ,2025-04-01,否\n\
    L3,黄石市生态环境局,2025-05-01,是\n\
    L4,HBJ,2024-05-01,否\n\
    L90,NOPE,2025-05-01,是\n\
    L91,SJGJ,2025-13-01,是\n\
    L92,SJGJ,2025-05-01,也许\n";

const LITIGATION_REFUSED: &[(usize, &str)] = &[(6, "被告"), (7, "开庭日期"), (8, "负责人出庭")];

struct Files {
    dir: PathBuf,
    departments: PathBuf,
    cases: PathBuf,
    applications: PathBuf,
    litigation: PathBuf,
}

fn write_files(name: &str) -> Result<Files, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir)?;
    let files = Files {
        departments: dir.join("departments.csv"),
        cases: dir.join("cases.csv"),
        applications: dir.join("reconsideration.csv"),
        litigation: dir.join("litigation.csv"),
        dir,
    };
    std::fs::write(&files.departments, DEPARTMENTS)?;
    std::fs::write(&files.cases, CASES)?;
    std::fs::write(&files.applications, format!("{HEADER}{ROWS}"))?;
    std::fs::write(&files.litigation, LITIGATION)?;
    Ok(files)
}

fn refused(outcome: &files::Outcome) -> Vec<(usize, &str)> {
    outcome
        .errors
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect()
}

async fn the_register_is_checked_exactly(db: Db) -> TestResult {
    let files = write_files("reconsideration")?;
    let at = domain::clock::now();
    let outcome = files::import_file(
        &db,
        files::Kind::Departments,
        &files.departments,
        &Default::default(),
    )
    .await?;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let cases = service::enforcement::import_cases(&db, &files.cases, "test", at).await?;
    assert_eq!(cases.outcome.inserted, 1, "{:?}", cases.outcome.errors);
    let flow = service::reconsideration::import_reconsiderations;
    let import = flow(&db, &files.applications, "test", at).await?;
    assert_eq!(refused(&import.outcome), REFUSED);
    assert_eq!(import.outcome.inserted, 10);
    let warnings: Vec<(usize, &str)> = import
        .outcome
        .warnings
        .iter()
        .map(|p| (p.row, p.value.as_str()))
        .collect();
    assert_eq!(warnings, [(11, "C99")], "an unknown case number warns only");
    let again = flow(&db, &files.applications, "test", at).await?;
    assert_eq!(
        (
            again.outcome.inserted,
            again.outcome.updated,
            again.outcome.unchanged
        ),
        (0, 0, 10)
    );
    let calendar = workcal::Calendar::embedded()?;
    let as_of = AS_OF.parse()?;
    let report = service::reconsideration::run_check(&db, None, as_of, &calendar).await?;
    assert_eq!(report.cases, 10);
    let found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.case.as_str(), f.rule.as_str()))
        .collect();
    assert_eq!(found, EXPECTED);
    let hbj = service::reconsideration::run_check(&db, Some("HBJ"), as_of, &calendar).await?;
    assert_eq!((hbj.cases, hbj.findings.len()), (5, 2));
    let kpi = service::reconsideration::kpi(&db, 2025, None, &calendar, as_of).await?;
    assert_eq!(
        serde_json::to_value(&kpi)?,
        serde_json::json!({"received": 9, "accepted": 7, "substantive": 5, "corrected": 3,
            "correction_rate": 0.6, "admission_late": 2, "decision_late": 2})
    );
    // A changed row is one update.
    let changed = files.dir.join("changed.csv");
    std::fs::write(
        &changed,
        format!("{HEADER}R07,孙八,HBJ,2025-06-02,,,2025-06-03,,,,2025-07-01,维持,\n"),
    )?;
    let update = flow(&db, &changed, "test", at).await?;
    assert_eq!((update.outcome.inserted, update.outcome.updated), (0, 1));
    let report = service::reconsideration::run_check(&db, None, as_of, &calendar).await?;
    assert_eq!(report.findings.len(), EXPECTED.len() - 1);

    let litigation =
        service::reconsideration::import_litigation(&db, &files.litigation, "test", at).await?;
    assert_eq!(refused(&litigation.outcome), LITIGATION_REFUSED);
    assert_eq!(litigation.outcome.inserted, 4);
    let again =
        service::reconsideration::import_litigation(&db, &files.litigation, "test", at).await?;
    assert_eq!((again.outcome.inserted, again.outcome.unchanged), (0, 4));
    let report = service::reconsideration::litigation_report(&db, Some(2025)).await?;
    let lines: Vec<(Option<&str>, u64, u64, Option<f64>)> = report
        .departments
        .iter()
        .map(|d| (d.code.as_deref(), d.hearings, d.appeared, d.rate))
        .collect();
    assert_eq!(
        lines,
        [
            (Some("HBJ"), 1, 1, Some(1.0)),
            (Some("SJGJ"), 2, 1, Some(0.5))
        ]
    );
    assert_eq!(report.city.rate, Some(0.6667));
    let all = service::reconsideration::litigation_report(&db, None).await?;
    assert_eq!((all.city.hearings, all.city.rate), (4, Some(0.5)));

    let annual = service::reconsideration::annual_lines(&db, 2025, &calendar, as_of).await?;
    let sjgj = annual.iter().find(|l| l.code == "SJGJ").ok_or("SJGJ")?;
    assert_eq!(
        (
            sjgj.received,
            sjgj.corrected,
            sjgj.correction_rate,
            sjgj.hearings,
            sjgj.appearance_rate
        ),
        (5, 3, Some(0.6), 2, Some(0.5))
    );
    let audit = service::audit::verify(&db).await?;
    assert!(audit.intact(), "{:?}", audit.breaks);
    let _ = std::fs::remove_dir_all(&files.dir);
    Ok(())
}

#[test]
fn the_register_is_checked_exactly_on_sqlite() -> TestResult {
    on_sqlite(
        "reconsideration",
        "register",
        the_register_is_checked_exactly,
    )
}

#[test]
fn the_register_is_checked_exactly_on_postgres() -> TestResult {
    on_postgres(
        "reconsideration",
        "register",
        the_register_is_checked_exactly,
    )
}

fn text(path: &Path) -> Result<&str, Box<dyn Error>> {
    path.to_str().ok_or_else(|| "path is not UTF-8".into())
}

fn json(args: &[&str]) -> Result<serde_json::Value, Box<dyn Error>> {
    Ok(serde_json::from_slice(&jianguan_ok(args)?.stdout)?)
}

#[test]
fn the_cli_prints_the_findings_the_kpis_and_the_rates() -> TestResult {
    let files = write_files("reconsideration_cli")?;
    let database = files.dir.join("jianguan.sqlite3");
    let database = text(&database)?;
    crate::common::cli_set_up(database)?;
    jianguan_ok(&[
        "import",
        "departments",
        text(&files.departments)?,
        "--database",
        database,
    ])?;
    jianguan_ok(&[
        "cases",
        "import",
        text(&files.cases)?,
        "--database",
        database,
    ])?;
    let out = jianguan(&[
        "reconsideration",
        "import",
        text(&files.applications)?,
        "--json",
        "--database",
        database,
    ])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (summary["imported"].as_u64(), summary["rejected"].as_u64()),
        (Some(10), Some(5))
    );
    let report = json(&[
        "reconsideration",
        "check",
        "--as-of",
        AS_OF,
        "--json",
        "--database",
        database,
    ])?;
    let keys: Vec<&String> = report
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["cases", "findings"]);
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .ok_or("findings")?
        .iter()
        .map(|f| {
            (
                f["case"].as_str().unwrap_or(""),
                f["rule"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(found, EXPECTED);
    let kpi = json(&[
        "reconsideration",
        "kpi",
        "--year",
        "2025",
        "--respondent",
        "SJGJ",
        "--as-of",
        AS_OF,
        "--json",
        "--database",
        database,
    ])?;
    assert_eq!(
        kpi,
        serde_json::json!({"received": 5, "accepted": 5, "substantive": 5, "corrected": 3,
            "correction_rate": 0.6, "admission_late": 1, "decision_late": 1})
    );
    let empty = json(&[
        "reconsideration",
        "kpi",
        "--year",
        "2023",
        "--json",
        "--database",
        database,
    ])?;
    assert_eq!(empty["correction_rate"], serde_json::Value::Null);
    let unknown = jianguan(&[
        "reconsideration",
        "kpi",
        "--year",
        "2025",
        "--respondent",
        "NOPE",
        "--json",
        "--database",
        database,
    ])?;
    assert_eq!(unknown.status.code(), Some(2));
    jianguan_ok(&[
        "litigation",
        "import",
        text(&files.litigation)?,
        "--database",
        database,
    ])?;
    let rates = json(&[
        "litigation",
        "report",
        "--year",
        "2025",
        "--json",
        "--database",
        database,
    ])?;
    assert_eq!(rates["city"]["rate"], serde_json::json!(0.6667));
    assert_eq!(rates["departments"][1]["code"], "SJGJ");
    assert_eq!(rates["departments"][1]["rate"], serde_json::json!(0.5));
    let _ = std::fs::remove_dir_all(&files.dir);
    Ok(())
}
