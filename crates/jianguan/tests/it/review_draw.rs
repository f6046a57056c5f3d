//! Stored reviews (issue 20): commit → draw → export on both backends, the
//! record verified by `draw::verify`, `jianguan verify` and
//! tools/verify_record.py; eligibility, the cap, the stored assignments and
//! the coded refusals; the same through the binary.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use domain::enforcement::PenaltyCase;
use service::review::{ReviewSpec, Sampling};
use storage::{CaseStore, Change, Db, ReviewStore};

use crate::common::{jianguan, jianguan_ok, on_postgres, on_sqlite, penalty_case, unique};

type TestResult = Result<(), Box<dyn Error>>;

const DEPARTMENTS: &str = "部门编码,部门名称,层级,所属区域\n\
    SJGJ,黄石市市场监督管理局,市级,420200\n\
    HBJ,黄石市生态环境局,市级,420200\n\
    ZJJ,黄石市住房和城乡建设局,市级,420200\n";

/// Two reviewers per department and three outside experts; S1 is also an
/// officer (执法证号) of every SJGJ case, E1 of every HBJ case.
const REVIEWERS: &str = "评查员编号,姓名,所属单位,专业领域,身份证号\n\
    S1,王一,SJGJ,,\n\
    S2,王二,SJGJ,,\n\
    H1,李一,HBJ,,\n\
    H2,李二,HBJ,,\n\
    Z1,张一,ZJJ,,\n\
    Z2,张二,ZJJ,,\n\
    E1,赵一,外聘,,\n\
    E2,赵二,外聘,,\n\
    E3,赵三,外聘,,\n";

pub(crate) fn cases() -> Result<Vec<PenaltyCase>, Box<dyn Error>> {
    let mut cases = Vec::new();
    for (department, n, officer) in [("SJGJ", 14_u32, "S1"), ("HBJ", 9, "e1"), ("ZJJ", 5, "X9")] {
        for i in 0..n {
            let year = if i == 0 { 2024 } else { 2025 };
            let day = chrono::NaiveDate::from_ymd_opt(year, 1 + i % 12, 3).ok_or("bad day")?;
            cases.push(penalty_case(
                &format!("{department}-{i:03}"),
                department,
                day,
                (i != 1).then_some(day),
                &[officer, "Q7"],
            ));
        }
    }
    Ok(cases)
}

pub(crate) fn write_files(name: &str) -> Result<(PathBuf, PathBuf, PathBuf), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir)?;
    let departments = dir.join("departments.csv");
    let reviewers = dir.join("reviewers.csv");
    std::fs::write(&departments, DEPARTMENTS)?;
    std::fs::write(&reviewers, REVIEWERS)?;
    Ok((dir, departments, reviewers))
}

fn code_of(result: Result<impl std::fmt::Debug, service::WorkflowError>) -> String {
    match result {
        Ok(value) => format!("succeeded: {value:?}"),
        Err(error) => error.code().to_owned(),
    }
}

fn run_python_verifier(path: &Path) -> TestResult {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verify_record.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(path)
        .output()?;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

async fn a_review_is_committed_drawn_and_exported(db: Db) -> TestResult {
    let (dir, departments, reviewers) = write_files("review_draw")?;
    let defaults = Default::default();
    files::import_file(&db, files::Kind::Departments, &departments, &defaults).await?;
    let at = domain::clock::now();
    service::review::import_reviewers(&db, &reviewers, "test", at).await?;
    db.put_cases(&cases()?, &Change::new(at, "test", "case.imported", "test"))
        .await?;
    let spec = ReviewSpec {
        id: "PC2025".into(),
        year: 2025,
        departments: Vec::new(),
        sampling: Sampling::PerDepartment(4),
        reviewers_per_case: 2,
        cap: Some(3),
    };
    let secret = draw::Secret::from_bytes([9; 32]);
    // Refusals before anything is stored.
    let k_one = ReviewSpec {
        reviewers_per_case: 1,
        ..spec.clone()
    };
    let commit = service::review::commit(&db, &k_one, &secret, at, "司法局").await;
    assert_eq!(code_of(commit), "reviewers_per_case");
    let empty_year = ReviewSpec {
        year: 2019,
        ..spec.clone()
    };
    let commit = service::review::commit(&db, &empty_year, &secret, at, "司法局").await;
    assert_eq!(code_of(commit), "no_case_in_year");
    let review = service::review::commit(&db, &spec, &secret, at, "司法局").await?;
    assert_eq!(review.departments, ["HBJ", "SJGJ", "ZJJ"]);
    let sizes: Vec<u64> = review.frame_sizes.values().copied().collect();
    assert_eq!(sizes, [7, 12, 3], "decided in 2025 only");
    assert_eq!(review.pool.len(), 9);
    assert_eq!(
        review.commitment,
        draw::to_hex(&secret.commitment()),
        "the commitment printed is the sealed secret's"
    );
    let again = service::review::commit(&db, &spec, &secret, at, "司法局").await;
    assert_eq!(code_of(again), "review_exists");
    let early = service::review::export(&db, "PC2025").await;
    assert_eq!(code_of(early), "review_status");
    let blank = service::review::draw(&db, "PC2025", "  ", &[], at, "司法局").await;
    assert_eq!(code_of(blank), "beacon_required");

    let witnesses = vec!["市司法局 王明".to_owned(), "公证处 李华".to_owned()];
    let drawn = service::review::draw(&db, "PC2025", "12 34 56", &witnesses, at, "司法局").await?;
    assert_eq!(drawn.files, 4 + 4 + 3);
    assert_eq!(drawn.witnesses, witnesses);
    let twice = service::review::draw(&db, "PC2025", "12 34 56", &[], at, "司法局").await;
    assert_eq!(code_of(twice), "review_status");

    let record = service::review::export(&db, "PC2025").await?;
    assert_eq!(draw::verify(&record), Vec::new());
    let plan_ids: Vec<&str> = record.plans.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(plan_ids, ["PC2025/HBJ", "PC2025/SJGJ", "PC2025/ZJJ"]);
    assert_eq!(
        drawn.full_record_sha256.as_deref(),
        Some(service::rounds::record_sha256(&record)?.as_str())
    );
    let path = dir.join("record.json");
    std::fs::write(&path, service::rounds::record_bytes(&record)?)?;
    run_python_verifier(&path)?;
    let out = jianguan_ok(&["verify", path.to_str().ok_or("path is not UTF-8")?])?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("conforms"));

    // Eligibility: never a reviewer of the file's department or an officer of it.
    let unit: BTreeMap<&str, &str> = [
        ("S1", "SJGJ"),
        ("S2", "SJGJ"),
        ("H1", "HBJ"),
        ("H2", "HBJ"),
        ("Z1", "ZJJ"),
        ("Z2", "ZJJ"),
    ]
    .into_iter()
    .collect();
    let files = db.review_assignments("PC2025").await?;
    assert_eq!(files.len(), record.visits.len());
    let cases_in_order: Vec<&str> = files.iter().map(|f| f.case.as_str()).collect();
    let mut sorted = cases_in_order.clone();
    sorted.sort();
    assert_eq!(cases_in_order, sorted);
    let mut load: BTreeMap<&str, u32> = BTreeMap::new();
    for visit in &record.visits {
        let slot = &visit.departments[0];
        assert_eq!(slot.department, "PCZ");
        assert_eq!(slot.k, 2);
        let file = files
            .iter()
            .find(|f| f.case == visit.subject)
            .ok_or("a drawn file is not stored")?;
        let assigned: Vec<String> = slot.assigned.iter().map(|r| r.to_string()).collect();
        assert_eq!(file.reviewers, assigned, "slot order kept");
        assert!(file.case.starts_with(&file.department));
        for reviewer in slot.eligible.iter().map(|r| r.to_string()) {
            assert_ne!(unit.get(reviewer.as_str()), Some(&file.department.as_str()));
            if file.department == "SJGJ" {
                assert_ne!(reviewer, "S1", "S1 handled the SJGJ cases");
            }
            if file.department == "HBJ" {
                assert_ne!(reviewer, "E1", "E1 handled the HBJ cases");
            }
        }
        for alternate in &file.alternates {
            assert!(!file.reviewers.contains(alternate));
            assert!(slot.eligible.iter().any(|e| &**e == alternate.as_str()));
        }
        let alternates = db.review_alternates("PC2025", &file.case).await?;
        assert_eq!(alternates.as_ref(), Some(&file.alternates));
        for reviewer in &file.reviewers {
            *load.entry(reviewer.as_str()).or_default() += 1;
        }
    }
    assert!(load.values().all(|&n| n <= 3), "the cap of 3: {load:?}");
    assert_eq!(db.review_alternates("PC2025", "NOPE").await?, None);
    Ok(())
}

#[test]
fn a_review_is_committed_drawn_and_exported_on_sqlite() -> TestResult {
    on_sqlite(
        "review_draw",
        "review",
        a_review_is_committed_drawn_and_exported,
    )
}

#[test]
fn a_review_is_committed_drawn_and_exported_on_postgres() -> TestResult {
    on_postgres(
        "review_draw",
        "review",
        a_review_is_committed_drawn_and_exported,
    )
}

#[test]
fn the_cli_commits_draws_and_exports_a_review() -> TestResult {
    let (dir, departments, reviewers) = write_files("review_draw_cli")?;
    let database = dir.join("jianguan.sqlite3");
    let database = database.to_str().ok_or("path is not UTF-8")?;
    crate::common::cli_set_up(database)?;
    let text = |p: &Path| p.to_str().map(str::to_owned).ok_or("path is not UTF-8");
    jianguan_ok(&[
        "import",
        "departments",
        &text(&departments)?,
        "--database",
        database,
    ])?;
    jianguan_ok(&[
        "import",
        "reviewers",
        &text(&reviewers)?,
        "--database",
        database,
    ])?;
    crate::common::runtime()?.block_on(async {
        let db = storage::open(database).await?;
        let at = domain::clock::now();
        db.put_cases(&cases()?, &Change::new(at, "test", "case.imported", "test"))
            .await?;
        db.close().await;
        Ok::<_, Box<dyn Error>>(())
    })?;
    let commit = [
        "review",
        "commit",
        "PC2025",
        "--year",
        "2025",
        "--departments",
        "SJGJ,HBJ",
        "--rate-bp",
        "5000",
        "--reviewers-per-case",
        "2",
        "--cap",
        "4",
        "--database",
        database,
    ];
    let out = jianguan_ok(&commit)?;
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("commitment "), "{printed}");
    assert!(printed.contains("frame PC2025/HBJ "), "{printed}");
    assert!(printed.contains("frame PC2025/SJGJ "), "{printed}");
    assert!(!printed.contains("ZJJ"), "{printed}");
    let again = jianguan(&commit)?;
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let draw = [
        "review",
        "draw",
        "PC2025",
        "--beacon",
        "7 7 7",
        "--witness",
        "王明",
        "--witness",
        "李华",
        "--database",
        database,
    ];
    let out = jianguan_ok(&draw)?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("drawn: 10 files"));
    assert_eq!(jianguan(&draw)?.status.code(), Some(2));
    let full = dir.join("review.json");
    let public = dir.join("review-public.json");
    jianguan_ok(&[
        "review",
        "export",
        "PC2025",
        "--out",
        &text(&full)?,
        "--database",
        database,
    ])?;
    jianguan_ok(&[
        "review",
        "export",
        "PC2025",
        "--out",
        &text(&public)?,
        "--public",
        "--database",
        database,
    ])?;
    for file in [&full, &public] {
        let out = jianguan_ok(&["verify", &text(file)?])?;
        assert!(String::from_utf8_lossy(&out.stdout).contains("conforms"));
    }
    run_python_verifier(&full)?;
    let out = jianguan_ok(&[
        "review",
        "files",
        "PC2025",
        "--json",
        "--database",
        database,
    ])?;
    let files: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(files.as_array().map(Vec::len), Some(10));
    Ok(())
}
