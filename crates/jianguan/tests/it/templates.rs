//! `jianguan templates`: every template's example row imports as one good row
//! through the project's own importers, on both backends, where its references
//! (district 420202, the departments SCJG and YJGL) exist; the command writes
//! into a folder and refuses a file.

use std::error::Error;
use std::path::PathBuf;

use domain::org::{
    Department, DepartmentCode, DepartmentFields, DepartmentLevel, District, DistrictCode,
};
use files::templates::{Template, write_templates};
use files::{Kind, Options, Outcome, import_file};
use storage::{Db, Store};

use crate::common;

use common::{TestResult, contracts, jianguan, jianguan_ok, unique};

contracts!(
    "templates";
    every_template_imports_its_example_as_one_good_row,
);

fn temp_dir(name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("jianguan-templates-{}", unique(name)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// One row read, kept, and nothing rejected or warned about.
fn assert_one_good_row(outcome: &Outcome, what: &str) {
    assert_eq!(
        (
            outcome.inserted + outcome.updated + outcome.unchanged,
            outcome.rejected(),
            outcome.warnings.len()
        ),
        (1, 0, 0),
        "{what}: errors {:#?}, warnings {:#?}",
        outcome.errors,
        outcome.warnings
    );
}

/// The references the examples name: the district 420202 and two departments.
async fn references(db: &Db) -> TestResult {
    db.upsert_districts(&[District::new(DistrictCode::parse("420202")?, "黄石港区")?])
        .await?;
    let department = |code: &str, name: &str| {
        Department::new(DepartmentFields::new(
            DepartmentCode::parse(code)?,
            name,
            DepartmentLevel::City,
            None,
        ))
    };
    db.upsert_departments(&[
        department("SCJG", "黄石市市场监督管理局")?,
        department("YJGL", "黄石市应急管理局")?,
    ])
    .await?;
    Ok(())
}

async fn every_template_imports_its_example_as_one_good_row(db: &Db) -> TestResult {
    let dir = temp_dir("import")?;
    write_templates(&dir)?;
    references(db).await?;
    let path = |template: Template| dir.join(template.file_name());
    for kind in Kind::ALL {
        let outcome = import_file(
            db,
            kind,
            &path(Template::Directory(kind)),
            &Options::default(),
        )
        .await?;
        assert_one_good_row(&outcome, kind.as_str());
    }
    let (outcome, _) = files::credit::import_entries(
        db,
        &path(Template::CreditEntries),
        "template",
        true,
        None,
        |_, _| None,
    )
    .await?;
    assert_one_good_row(&outcome, "credit entries");
    let calendar = workcal::Calendar::embedded()?;
    let orders = service::hotline::import_orders(
        db,
        &domain::hotline::HotlineRules::default(),
        &calendar,
        &path(Template::HotlineOrders),
        true,
        "tester",
        domain::hotline::parse_time("time", "2026-03-06 12:00")?,
    )
    .await?;
    assert_one_good_row(&orders.outcome, "hotline orders");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn cli_writes_every_template_and_refuses_a_file() -> TestResult {
    let dir = temp_dir("cli")?;
    let out = dir.join("templates");
    let out_text = out.to_str().ok_or("temporary path is not UTF-8")?;
    for _ in 0..2 {
        // Twice: the second run replaces the files.
        let printed = jianguan_ok(&["templates", "--out", out_text])?;
        let stdout = String::from_utf8(printed.stdout)?;
        assert!(stdout.contains(&format!("wrote {} templates", Template::all().len())));
    }
    let mut names: Vec<String> = std::fs::read_dir(&out)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    let mut expected: Vec<String> = Template::all()
        .into_iter()
        .map(Template::file_name)
        .collect();
    expected.sort();
    assert_eq!(names, expected, "no partial file is left");

    let file = dir.join("not-a-folder");
    std::fs::write(&file, "keep")?;
    let refused = jianguan(&["templates", "--out", file.to_str().ok_or("not UTF-8")?])?;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8(refused.stderr)?.contains("is not a folder"));
    assert_eq!(std::fs::read_to_string(&file)?, "keep");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
