//! Departments as a directory: `jianguan import departments` / `export
//! departments` (CLI, SQLite) and the audited department writes of the storage
//! (create, edit, deactivate, reactivate, delete refused while referenced) on
//! both backends.

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone as _};
use domain::inspector::{CertificateNo, Inspector, InspectorFields};
use domain::org::{
    Department, DepartmentAction, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode,
    huangshi_districts,
};
use domain::uscc::Uscc;
use storage::{Db, DepartmentStore, DepartmentWrite, DepartmentWritten, Store, StoreError};

use crate::common::{self, TestResult, jianguan, runtime, unique};

fn temp_dir(name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("jianguan-departments-{}", unique(name)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn text(path: &Path) -> Result<&str, Box<dyn Error>> {
    Ok(path.to_str().ok_or("not UTF-8")?)
}

/// An organ's code (it begins with 11), valid check characters.
fn organ(n: u32) -> Result<String, Box<dyn Error>> {
    Ok(Uscc::from_body(&format!("11420200{n:08}"))?
        .as_str()
        .to_owned())
}

const HEADER: &str = "部门编码,部门名称,层级,所属区域,统一社会信用代码,简称\n";

/// Three good rows and five bad ones (rows 4–8).
fn first_file(dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let company = Uscc::from_body("9142020000000001")?.as_str().to_owned();
    let mut bad_check = organ(2)?;
    let last = if bad_check.ends_with('0') { '1' } else { '0' };
    bad_check.pop();
    bad_check.push(last);
    let text = format!(
        "{HEADER}\
         SJGJ,黄石市市场监督管理局,市级,420200,{},市监局\n\
         DY-SJJ,大冶市市场监督管理局,区县级,大冶市,,\n\
         YJJ,黄石市应急管理局,省级,420200,,\n\
         WJW,黄石市卫生健康委员会,市级,429999,,\n\
         JTJ,黄石市交通运输局,市级,420200,{company},\n\
         HBJ,黄石市生态环境局,市级,420200,{bad_check},\n\
         SJGJ2,黄石市市场监督管理局,市级,420200,,\n\
         ZJJ,黄石市住房和城乡建设局,市级,420200,,住建局\n",
        organ(1)?
    );
    let path = dir.join("departments.csv");
    std::fs::write(&path, text)?;
    Ok(path)
}

fn import_json(kind: &str, file: &Path, db: &str) -> Result<serde_json::Value, Box<dyn Error>> {
    let output = jianguan(&["import", kind, text(file)?, "--database", db, "--json"])?;
    let stdout = String::from_utf8(output.stdout)?;
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    Ok(serde_json::from_str(&stdout)?)
}

fn stored(db: &str) -> Result<Vec<Department>, Box<dyn Error>> {
    runtime()?.block_on(async {
        let store = storage::open(db).await?;
        let departments = store.departments().await;
        store.close().await;
        Ok(departments?)
    })
}

fn at() -> Result<DateTime<FixedOffset>, Box<dyn Error>> {
    let zone = FixedOffset::east_opt(8 * 3600).ok_or("offset")?;
    Ok(zone
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("time")?)
}

#[test]
fn cli_import_reports_bad_rows_renames_by_code_and_round_trips() -> TestResult {
    let dir = temp_dir("cli")?;
    let db_path = dir.join("db.sqlite3");
    let db = text(&db_path)?;
    // The city's districts (420200 市直 …).
    common::cli_set_up(db)?;
    let file = first_file(&dir)?;
    let output = jianguan(&["import", "departments", text(&file)?, "--database", db])?;
    let stdout = String::from_utf8(output.stdout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout.trim(),
        format!(
            "imported 3 rows (3 inserted, 0 updated, 0 unchanged), 5 rejected, 0 warnings; report: {}",
            dir.join("departments.csv.errors.xlsx").display()
        )
    );
    for (row, column, reason) in [
        (4, "层级", "市级 or 区县级"),
        (5, "所属区域", "not a known district"),
        (6, "统一社会信用代码", "begins with 11"),
        (7, "统一社会信用代码", "check"),
        (8, "部门名称", "already used"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(&format!("row {row}: {column}:")))
            .ok_or_else(|| format!("no error for row {row}, {column}: {stderr}"))?;
        assert!(line.contains(reason), "{line}");
    }
    let departments = stored(db)?;
    let codes: Vec<&str> = departments.iter().map(|d| d.code().as_str()).collect();
    assert_eq!(codes, ["DY-SJJ", "SJGJ", "ZJJ"]);
    assert_eq!(
        departments[0].district().map(DistrictCode::as_str),
        Some("420281"),
        "a district given by name is stored by code"
    );
    assert_eq!(departments[1].short_name(), Some("市监局"));
    assert_eq!(
        departments[1].uscc().map(Uscc::as_str),
        Some(organ(1)?.as_str())
    );

    // The report names row, column and reason in Chinese.
    let mut workbook: calamine::Sheets<_> =
        calamine::open_workbook_auto(dir.join("departments.csv.errors.xlsx"))?;
    let errors = calamine::Reader::worksheet_range(&mut workbook, "错误")?;
    let rows: Vec<Vec<String>> = errors
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(rows[1][..2], ["4", "层级"]);
    assert!(rows[1][3].contains("层级应为 市级 或 区县级"), "{rows:?}");
    assert!(rows[3][3].contains("以 11 开头"), "{rows:?}");
    assert!(rows[5][3].contains("部门名称已被其他部门使用"), "{rows:?}");

    // Re-import with a new name under the same code: renamed, not added.
    let renamed = dir.join("renamed.csv");
    std::fs::write(
        &renamed,
        format!(
            "{HEADER}SJGJ,黄石市市场监管局,市级,420200,{},市监局\n\
             DY-SJJ,大冶市市场监督管理局,区县级,420281,,\n\
             ZJJ,黄石市住房和城乡建设局,市级,市直,,住建局\n",
            organ(1)?
        ),
    )?;
    // `imported` counts new records in the JSON summary.
    let json = import_json("departments", &renamed, db)?;
    assert_eq!(
        (&json["imported"], &json["updated"], &json["unchanged"]),
        (&0.into(), &1.into(), &2.into())
    );
    assert_eq!(json["rejected"], 0);
    let departments = stored(db)?;
    assert_eq!(departments.len(), 3);
    assert_eq!(departments[1].name(), "黄石市市场监管局");

    // Export in both formats; each re-imports unchanged.
    for name in ["out.csv", "out.xlsx"] {
        let out = dir.join(name);
        let output = jianguan(&[
            "export",
            "departments",
            "--out",
            text(&out)?,
            "--database",
            db,
        ])?;
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(
            String::from_utf8(output.stdout)?.trim(),
            format!("exported 3 departments to {}", out.display())
        );
        let json = import_json("departments", &out, db)?;
        assert_eq!(
            (&json["imported"], &json["unchanged"], &json["rejected"]),
            (&0.into(), &3.into(), &0.into()),
            "{name}"
        );
        assert_eq!(stored(db)?, departments, "{name}");
    }

    // A deactivated department refuses new inspector rows; an active one takes them.
    runtime()?.block_on(async {
        let store = storage::open(db).await?;
        let written = store
            .write_department(
                &DepartmentWrite::SetActive(DepartmentCode::parse("ZJJ")?, false),
                "admin",
                at()?,
            )
            .await;
        store.close().await;
        assert!(matches!(written?, DepartmentWritten::Done(_)));
        Ok::<_, Box<dyn Error>>(())
    })?;
    let inspectors = dir.join("inspectors.csv");
    std::fs::write(
        &inspectors,
        "执法证号,姓名,所属部门,证件有效期起,证件有效期止\n\
         HS-0001,执法员1,SJGJ,2021-01-01,2030-12-31\n\
         HS-0002,执法员2,ZJJ,2021-01-01,2030-12-31\n\
         HS-0003,执法员3,黄石市住房和城乡建设局,2021-01-01,2030-12-31\n",
    )?;
    let output = jianguan(&["import", "inspectors", text(&inspectors)?, "--database", db])?;
    let stdout = String::from_utf8(output.stdout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.starts_with("imported 1 rows (1 inserted, 0 updated, 0 unchanged), 2 rejected"),
        "{stdout}"
    );
    for row in [3, 4] {
        assert!(
            stderr.contains(&format!(
                "row {row}: 所属部门: department ZJJ is deactivated"
            )),
            "{stderr}"
        );
    }
    // Re-importing the departments does not reactivate it.
    import_json("departments", &renamed, db)?;
    let zjj = stored(db)?
        .into_iter()
        .find(|d| d.code().as_str() == "ZJJ")
        .ok_or("ZJJ")?;
    assert!(!zjj.is_active());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn department(code: &str, name: &str) -> Result<Department, Box<dyn Error>> {
    Ok(Department::new(DepartmentFields::new(
        DepartmentCode::parse(code)?,
        name,
        DepartmentLevel::City,
        Some(DistrictCode::parse("420200")?),
    ))?)
}

fn done(written: DepartmentWritten) -> Result<DepartmentAction, Box<dyn Error>> {
    match written {
        DepartmentWritten::Done(record) => Ok(record.action),
        other => Err(format!("expected a change, got {other:?}").into()),
    }
}

async fn department_writes_are_audited_and_deletes_refused_while_referenced(db: &Db) -> TestResult {
    db.upsert_districts(&huangshi_districts()).await?;
    let when = at()?;
    let create = |code: &str, name: &str| -> Result<DepartmentWrite, Box<dyn Error>> {
        Ok(DepartmentWrite::Create(department(code, name)?))
    };
    assert_eq!(
        done(
            db.write_department(&create("SJGJ", "市场监管局")?, "admin", when)
                .await?
        )?,
        DepartmentAction::Created
    );
    assert_eq!(
        done(
            db.write_department(&create("WJW", "卫健委")?, "admin", when)
                .await?
        )?,
        DepartmentAction::Created
    );
    assert_eq!(
        db.write_department(&create("SJGJ", "另一个")?, "admin", when)
            .await?,
        DepartmentWritten::CodeTaken
    );
    // The organ's code and the short name are stored and read back.
    let organ_code = Uscc::parse(&organ(7)?)?;
    let full = Department::new(DepartmentFields {
        uscc: Some(organ_code),
        short_name: Some("交通局".into()),
        ..DepartmentFields::new(
            DepartmentCode::parse("JTJ")?,
            "交通运输局",
            DepartmentLevel::County,
            Some(DistrictCode::parse("420281")?),
        )
    })?;
    assert_eq!(
        done(
            db.write_department(&DepartmentWrite::Create(full.clone()), "admin", when)
                .await?
        )?,
        DepartmentAction::Created
    );
    assert_eq!(db.department(full.code()).await?, Some(full));
    // A name clash is a Duplicate, not a crash, and changes nothing.
    let clash = DepartmentWrite::Edit(department("WJW", "市场监管局")?);
    assert!(matches!(
        db.write_department(&clash, "admin", when).await,
        Err(StoreError::Duplicate { .. })
    ));
    let unknown_district = DepartmentWrite::Edit(Department::new(DepartmentFields::new(
        DepartmentCode::parse("WJW")?,
        "卫健委",
        DepartmentLevel::County,
        Some(DistrictCode::parse("429999")?),
    ))?);
    assert!(matches!(
        db.write_department(&unknown_district, "admin", when).await,
        Err(StoreError::MissingReference { .. })
    ));
    // Renaming keeps the code.
    let rename = DepartmentWrite::Edit(department("SJGJ", "黄石市市场监督管理局")?);
    assert_eq!(
        done(db.write_department(&rename, "admin", when).await?)?,
        DepartmentAction::Edited
    );
    assert_eq!(
        db.write_department(&rename, "admin", when).await?,
        DepartmentWritten::Unchanged
    );
    let sjgj = DepartmentCode::parse("SJGJ")?;
    assert_eq!(
        db.department(&sjgj).await?.map(|d| d.name().to_owned()),
        Some("黄石市市场监督管理局".to_owned())
    );

    // An inspector refers to SJGJ: it cannot be deleted, only deactivated.
    db.upsert_inspectors(&[Inspector::new(InspectorFields {
        cert_no: CertificateNo::parse("HS-0001")?,
        name: "执法员".into(),
        id_card: None,
        department: sjgj.clone(),
        cert_valid_from: NaiveDate::from_ymd_opt(2021, 1, 1).ok_or("date")?,
        cert_valid_until: NaiveDate::from_ymd_opt(2030, 12, 31).ok_or("date")?,
        fields: Vec::new(),
        district: None,
        register: Default::default(),
    })?])
    .await?;
    match db
        .write_department(&DepartmentWrite::Delete(sjgj.clone()), "admin", when)
        .await?
    {
        DepartmentWritten::Referenced(found) => {
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!((found[0].table, found[0].count), ("inspectors", 1));
            assert_eq!(found[0].label, "执法检查人员");
        }
        other => return Err(format!("delete of a referenced department: {other:?}").into()),
    }
    assert!(db.department(&sjgj).await?.is_some());
    let deactivate = DepartmentWrite::SetActive(sjgj.clone(), false);
    assert_eq!(
        done(db.write_department(&deactivate, "admin", when).await?)?,
        DepartmentAction::Deactivated
    );
    assert_eq!(
        db.write_department(&deactivate, "admin", when).await?,
        DepartmentWritten::Unchanged
    );
    // A batch upsert (an import) keeps the flag.
    db.upsert_departments(&[department("SJGJ", "黄石市市场监督管理局")?])
        .await?;
    assert_eq!(
        db.department(&sjgj).await?.map(|d| d.is_active()),
        Some(false)
    );
    assert_eq!(
        done(
            db.write_department(
                &DepartmentWrite::SetActive(sjgj.clone(), true),
                "admin",
                when
            )
            .await?
        )?,
        DepartmentAction::Reactivated
    );

    // WJW has nothing referring to it: deleted.
    let wjw = DepartmentCode::parse("WJW")?;
    assert!(db.department_references(&wjw).await?.is_empty());
    assert_eq!(
        done(
            db.write_department(&DepartmentWrite::Delete(wjw.clone()), "admin", when)
                .await?
        )?,
        DepartmentAction::Deleted
    );
    assert_eq!(db.department(&wjw).await?, None);
    assert_eq!(
        db.write_department(&DepartmentWrite::Delete(wjw.clone()), "admin", when)
            .await?,
        DepartmentWritten::NotFound
    );

    // Every change is a document on the ledger, and the ledger verifies.
    let changes = db.department_changes(&sjgj).await?;
    let actions: Vec<DepartmentAction> = changes.iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        [
            DepartmentAction::Created,
            DepartmentAction::Edited,
            DepartmentAction::Deactivated,
            DepartmentAction::Reactivated
        ]
    );
    assert_eq!(
        changes[1].before.as_ref().map(|b| b.name.as_str()),
        Some("市场监管局")
    );
    let deleted = db.department_changes(&wjw).await?;
    assert_eq!(deleted.len(), 2);
    assert!(deleted[1].after.is_none());
    let report = service::audit::verify(db).await?;
    assert!(report.intact(), "{:?}", report.breaks);
    // The department changes and the harness's `city.set_up`.
    assert_eq!(report.entries, 7 + 1);
    Ok(())
}

common::contracts!("departments"; department_writes_are_audited_and_deletes_refused_while_referenced);
