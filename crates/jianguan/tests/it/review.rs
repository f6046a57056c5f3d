//! Case-file review (issue 20): reviewers imported in process on both
//! backends and through the binary; a bad ID number is withheld from reports.

use std::error::Error;
use std::path::PathBuf;

use domain::review::Reviewer;
use storage::{Db, WorkflowStore};

use crate::common::{jianguan, jianguan_ok, on_postgres, on_sqlite, penalty_case, unique};

type TestResult = Result<(), Box<dyn Error>>;

const DEPARTMENTS: &str = "部门编码,部门名称,层级,所属区域\n\
    SJGJ,黄石市市场监督管理局,市级,420200\n\
    HBJ,黄石市生态环境局,市级,420200\n";

/// R1, R2 of departments (R2 named by the department's name), R3 an outside
/// expert; row 5 an unknown unit, row 6 a bad ID number, row 7 no name.
const REVIEWERS: &str = "评查员编号,姓名,所属单位,专业领域,身份证号\n\
    R1,王一,SJGJ,市场监管、食品,11010519491231002X\n\
    R2,王二,黄石市生态环境局,环保,\n\
    R3,赵三,外聘,法律,\n\
    R4,王四,XXX,,\n\
    R5,王五,HBJ,,110105194912310021\n\
    R6,,HBJ,,\n";

fn write_files(name: &str) -> Result<(PathBuf, PathBuf, PathBuf), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir)?;
    let departments = dir.join("departments.csv");
    let reviewers = dir.join("reviewers.csv");
    std::fs::write(&departments, DEPARTMENTS)?;
    std::fs::write(&reviewers, REVIEWERS)?;
    Ok((dir, departments, reviewers))
}

async fn reviewers_are_imported(db: Db) -> TestResult {
    let (_dir, departments, reviewers) = write_files("review_contract")?;
    let outcome = files::import_file(
        &db,
        files::Kind::Departments,
        &departments,
        &Default::default(),
    )
    .await?;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let at = domain::clock::now();
    let import = service::review::import_reviewers(&db, &reviewers, "test", at).await?;
    assert_eq!(import.outcome.inserted, 3);
    let rows: Vec<usize> = import.outcome.errors.iter().map(|p| p.row).collect();
    assert_eq!(rows, [5, 6, 7], "{:?}", import.outcome.errors);
    assert!(
        import
            .outcome
            .errors
            .iter()
            .all(|p| !p.value.contains("1949")),
        "an ID number leaked into the report: {:?}",
        import.outcome.errors
    );
    let stored = service::review::reviewers(&db).await?;
    let units: Vec<(&str, &str)> = stored
        .iter()
        .map(|r| (r.id.as_str(), r.unit.as_str()))
        .collect();
    assert_eq!(units, [("R1", "SJGJ"), ("R2", "HBJ"), ("R3", "外聘")]);
    assert_eq!(stored[0].fields, ["市场监管", "食品"]);
    assert!(stored[2].is_external());
    let again = service::review::import_reviewers(&db, &reviewers, "test", at).await?;
    assert_eq!((again.outcome.inserted, again.outcome.unchanged), (0, 3));
    let one: Option<Reviewer> = db.get("R1").await?;
    assert_eq!(
        one.map(|r| r.masked_id_card()).as_deref(),
        Some("110105********002X")
    );
    Ok(())
}

#[test]
fn reviewers_are_imported_on_sqlite() -> TestResult {
    on_sqlite("review", "reviewers", reviewers_are_imported)
}

#[test]
fn reviewers_are_imported_on_postgres() -> TestResult {
    on_postgres("review", "reviewers", reviewers_are_imported)
}

#[test]
fn the_cli_imports_reviewers() -> TestResult {
    let (dir, departments, reviewers) = write_files("review_cli")?;
    let database = dir.join("jianguan.sqlite3");
    let database = database.to_str().ok_or("path is not UTF-8")?;
    crate::common::cli_set_up(database)?;
    let text = |p: &PathBuf| p.to_str().map(str::to_owned).ok_or("path is not UTF-8");
    jianguan_ok(&[
        "import",
        "departments",
        &text(&departments)?,
        "--database",
        database,
    ])?;
    let out = jianguan_ok(&[
        "import",
        "reviewers",
        &text(&reviewers)?,
        "--json",
        "--database",
        database,
    ])?;
    let line: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(line["imported"], 3, "{line}");
    assert_eq!(line["rejected"], 3, "{line}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("19491231"));
    let bad = jianguan(&[
        "import",
        "reviewer",
        &text(&reviewers)?,
        "--database",
        database,
    ])?;
    assert_eq!(bad.status.code(), Some(2));
    Ok(())
}

#[test]
fn jianguan_verify_accepts_a_review_record() -> TestResult {
    let day = |m: u32| chrono::NaiveDate::from_ymd_opt(2025, m, 1).ok_or("bad day");
    let mut cases = Vec::new();
    for (department, n) in [("SJGJ", 9_u32), ("HBJ", 5)] {
        for i in 0..n {
            let id = format!("{department}{i:03}");
            cases.push(penalty_case(
                &id,
                department,
                day(1)?,
                Some(day(1 + i % 12)?),
                &[],
            ));
        }
    }
    let reviewer = |id: &str, unit: &str| Reviewer {
        id: id.into(),
        name: id.into(),
        unit: unit.into(),
        fields: Vec::new(),
        id_card: None,
    };
    let reviewers = [
        reviewer("S1", "SJGJ"),
        reviewer("S2", "SJGJ"),
        reviewer("H1", "HBJ"),
        reviewer("H2", "HBJ"),
        reviewer("E1", "外聘"),
    ];
    let spec = service::review::ReviewSpec {
        id: "PC2025".into(),
        year: 2025,
        departments: Vec::new(),
        sampling: service::review::Sampling::RateBp(5000),
        reviewers_per_case: 2,
        cap: None,
    };
    let secret = draw::Secret::from_bytes([3; 32]);
    let record = service::review::draw_review(&spec, &cases, &reviewers, secret, "12 34")?;
    let dir = std::env::temp_dir().join(unique("review_verify"));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("record.json");
    std::fs::write(&path, service::rounds::record_bytes(&record)?)?;
    let out = jianguan_ok(&["verify", path.to_str().ok_or("path is not UTF-8")?])?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("conforms"));
    for visit in &record.visits {
        let department = if visit.subject.starts_with("SJGJ") {
            "S"
        } else {
            "H"
        };
        for assigned in &visit.departments[0].assigned {
            assert!(
                !assigned.starts_with(department),
                "{assigned} on {}",
                visit.subject
            );
        }
    }
    Ok(())
}
