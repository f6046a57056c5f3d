//! Review scoring (issue 20) on both backends: the standard's import
//! (errors, versions), score files (refusals, re-import, replacement), the
//! 10-point rule, 待复核 → the next alternate → the mean of the two closest,
//! the report's JSON on a constructed review, notices raised once, the
//! grades by department; and the same through the binary.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use domain::rectification::Rectification;
use domain::review::ReviewFile;
use domain::review_scoring::Thresholds;
use service::review::scoring;
use service::review::{ReviewSpec, Sampling};
use storage::{CaseStore, Change, Db, ReviewStore, WorkflowStore};

use crate::common::{jianguan, jianguan_ok, on_postgres, on_sqlite};
use crate::review_draw::{cases, write_files};

type TestResult = Result<(), Box<dyn Error>>;

const STANDARD: &str = "项目编码,项目名称,部分,类别,扣分,扣分上限,部分总分\n\
    J1,卷内目录不全,卷面,扣分项,0.5,3,20\n\
    J2,装订不规范,卷面,扣分项,2,,\n\
    N1,证据不足,内容,扣分项,10,30,80\n\
    F1,执法主体不适格,内容,否决项,,,\n";

const BAD_STANDARD: &str = "项目编码,项目名称,部分,类别,扣分,扣分上限,部分总分\n\
    J1,卷内目录不全,卷面,扣分项,0.25,3,20\n\
    J1,重复,卷面,扣分项,1,,\n\
    X2,,封面,加分项,,,\n\
    N1,证据不足,内容,扣分项,10,30,70\n\
    N2,文书,内容,扣分项,,,\n\
    N3,其他,内容,扣分项,1,,5\n";

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, Box<dyn Error>> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

fn rows(lines: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut text = String::from("案件编号,评查员编号,项目编码,次数,说明\n");
    for (case, reviewer, item, count, note) in lines {
        text.push_str(&format!("{case},{reviewer},{item},{count},{note}\n"));
    }
    text
}

async fn set_up(db: &Db, name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let (dir, departments, reviewers) = write_files(name)?;
    files::import_file(
        db,
        files::Kind::Departments,
        &departments,
        &Default::default(),
    )
    .await?;
    let at = domain::clock::now();
    service::review::import_reviewers(db, &reviewers, "test", at).await?;
    db.put_cases(&cases()?, &Change::new(at, "test", "case.imported", "test"))
        .await?;
    let spec = ReviewSpec {
        id: "PC2025".into(),
        year: 2025,
        departments: vec!["SJGJ".into(), "HBJ".into()],
        sampling: Sampling::PerDepartment(2),
        reviewers_per_case: 2,
        cap: None,
    };
    let secret = draw::Secret::from_bytes([5; 32]);
    service::review::commit(db, &spec, &secret, at, "司法局").await?;
    service::review::draw(db, "PC2025", "1 2 3", &["王明".to_owned()], at, "司法局").await?;
    Ok(dir)
}

fn error_rows(outcome: &files::Outcome) -> Vec<usize> {
    let mut rows: Vec<usize> = outcome.errors.iter().map(|p| p.row).collect();
    rows.dedup();
    rows
}

async fn scoring_a_review(db: Db) -> TestResult {
    let dir = set_up(&db, "review_score").await?;
    let at = domain::clock::now();

    // A score before any standard is refused.
    let early = write(&dir, "early.csv", &rows(&[]))?;
    let refused = scoring::import_scores(&db, "PC2025", &early, "t", at).await;
    assert!(
        matches!(&refused, Err(scoring::ScoringError::Workflow(e)) if e.code() == "no_standard"),
        "{refused:?}"
    );

    // The standard: a bad file stores nothing; versions.
    let bad = write(&dir, "bad_standard.csv", BAD_STANDARD)?;
    let imported = scoring::import_standard(&db, &bad, "t", at).await?;
    assert_eq!(error_rows(&imported.import.outcome), [2, 3, 4, 5, 6, 7]);
    assert_eq!((imported.version, imported.created), (None, false));
    let columns: Vec<&str> = imported
        .import
        .outcome
        .errors
        .iter()
        .map(|p| p.column.as_str())
        .collect();
    assert!(
        columns.contains(&"扣分") && columns.contains(&"部分总分") && columns.contains(&"类别")
    );
    let good = write(&dir, "standard.csv", STANDARD)?;
    let imported = scoring::import_standard(&db, &good, "t", at).await?;
    assert_eq!((imported.version, imported.created), (Some(1), true));
    assert!(imported.import.outcome.errors.is_empty());
    let again = scoring::import_standard(&db, &good, "t", at).await?;
    assert_eq!((again.version, again.created), (Some(1), false));
    let changed = write(
        &dir,
        "standard2.csv",
        &STANDARD.replace("0.5,3,20", "0.5,4,20"),
    )?;
    let imported = scoring::import_standard(&db, &changed, "t", at).await?;
    assert_eq!((imported.version, imported.created), (Some(2), true));
    let v1 = write(&dir, "standard3.csv", STANDARD)?;
    let back = scoring::import_standard(&db, &v1, "t", at).await?;
    assert_eq!(back.version, Some(3), "going back is a new version too");

    // The drawn files: two per department.
    let files = db.review_assignments("PC2025").await?;
    assert_eq!(files.len(), 4);
    let [a, b, c, d] = [&files[0], &files[1], &files[2], &files[3]];
    for f in &files {
        assert_eq!(f.reviewers.len(), 2);
        assert!(!f.alternates.is_empty());
    }
    let r = |f: &ReviewFile, i: usize| f.reviewers[i].clone();
    let stranger = c.alternates[0].clone();

    let first = rows(&[
        (&a.case, &r(a, 0), "", "0", "未发现问题"),
        (&a.case, &r(a, 1), "", "", ""),
        (&b.case, &r(b, 0), "J1", "1", "目录缺页"),
        (&b.case, &r(b, 1), "N1", "1", "证据不足"),
        (&c.case, &r(c, 0), "", "0", ""),
        (&c.case, &r(c, 1), "N1", "3", ""),
        (&d.case, &r(d, 0), "F1", "1", "主体不适格"),
        (&d.case, &r(d, 1), "F1", "1", ""),
        (&d.case, &r(d, 1), "J2", "2", ""),
        // Refused rows: not assigned, unknown item, negative count, not drawn.
        (&a.case, &stranger_for(a, &files), "", "0", ""),
        (&b.case, &r(b, 0), "ZZ", "1", ""),
        (&a.case, &r(a, 0), "J1", "-1", ""),
        ("NOPE-1", &r(a, 0), "", "0", ""),
    ]);
    let path = write(&dir, "scores.csv", &first)?;
    let imported = scoring::import_scores(&db, "PC2025", &path, "t", at).await?;
    let outcome = &imported.import.outcome;
    assert_eq!(
        error_rows(outcome),
        [11, 12, 13, 14],
        "{:?}",
        outcome.errors
    );
    // a's and b's first reviewers had a rejected row: their sheets are not saved.
    assert_eq!(outcome.inserted, 6);
    assert_eq!(imported.escalated, [(c.case.clone(), stranger.clone())]);
    let sheets = scoring::score_sheets(&db, "PC2025").await?;
    assert!(
        sheets.iter().all(|s| s.standard == 3),
        "the current version when scoring starts"
    );

    let report = scoring::report(&db, "PC2025", &Thresholds::default()).await?;
    let json = report.to_json();
    let status = |case: &str| {
        json["files"]
            .as_array()
            .and_then(|f| f.iter().find(|l| l["case"] == case))
            .map(|l| (l["score"].clone(), l["grade"].clone(), l["status"].clone()))
    };
    use serde_json::{Value, json};
    assert_eq!(
        status(&a.case),
        Some((Value::Null, Value::Null, json!("待评分")))
    );
    assert_eq!(
        status(&b.case),
        Some((Value::Null, Value::Null, json!("待评分")))
    );
    assert_eq!(
        status(&c.case),
        Some((Value::Null, Value::Null, json!("待复核")))
    );
    assert_eq!(
        status(&d.case),
        Some((json!(0.0), json!("不合格"), json!("已评定")))
    );
    let stored = db
        .get::<ReviewFile>(&ReviewFile::key_for("PC2025", &c.case))
        .await?
        .ok_or("no file")?;
    assert_eq!(stored.escalated.len(), 1);
    assert_eq!(
        (
            stored.escalated[0].reviewer.as_str(),
            stored.escalated[0].position
        ),
        (stranger.as_str(), 0)
    );

    // b's first reviewer submits again (replacing), c's further reviewer scores.
    let second = rows(&[
        (&a.case, &r(a, 0), "", "0", "未发现问题"),
        (&b.case, &r(b, 0), "J1", "2", "目录缺页"),
        (&c.case, &stranger, "N1", "2", ""),
        (&c.case, &stranger, "J1", "10", ""),
    ]);
    let path = write(&dir, "scores2.csv", &second)?;
    let imported = scoring::import_scores(&db, "PC2025", &path, "t", at).await?;
    assert_eq!(imported.import.outcome.inserted, 3);
    assert!(imported.escalated.is_empty());
    let head = db.ledger_head().await?;
    let same = scoring::import_scores(&db, "PC2025", &path, "t", at).await?;
    assert_eq!(same.import.outcome.unchanged, 3);
    assert_eq!(db.ledger_head().await?, head, "re-import changes nothing");
    let replace = rows(&[(&b.case, &r(b, 0), "J1", "2", "目录缺两页")]);
    let path = write(&dir, "scores3.csv", &replace)?;
    let imported = scoring::import_scores(&db, "PC2025", &path, "t", at).await?;
    assert_eq!(imported.import.outcome.updated, 1);

    // a: 100, 100 → 100.0; b: 99.0 and 90.0 → 94.5; c: 100, 70, then 77
    // (内容 80 − 20 = 60, 卷面 20 − min(0.5 × 10, 3) = 17) → the two closest,
    // 70 and 77 → 73.5; d: both vetoed → 0.
    let report = scoring::report(&db, "PC2025", &Thresholds::default()).await?;
    let json = report.to_json();
    let keys: Vec<&String> = json.as_object().ok_or("object")?.keys().collect();
    assert_eq!(keys, ["departments", "files"]);
    let expected: BTreeMap<&str, (f64, &str)> = [
        (a.case.as_str(), (100.0, "优秀")),
        (b.case.as_str(), (94.5, "优秀")),
        (c.case.as_str(), (73.5, "合格")),
        (d.case.as_str(), (0.0, "不合格")),
    ]
    .into_iter()
    .collect();
    let lines = json["files"].as_array().ok_or("files")?;
    let cases: Vec<&str> = lines.iter().filter_map(|l| l["case"].as_str()).collect();
    let mut sorted = cases.clone();
    sorted.sort();
    assert_eq!(cases, sorted, "files by case number");
    let mut by_department: BTreeMap<String, Vec<(f64, String)>> = BTreeMap::new();
    for line in lines {
        let mut names: Vec<&String> = line.as_object().ok_or("line")?.keys().collect();
        names.sort();
        assert_eq!(names, ["case", "department", "grade", "score", "status"]);
        let case = line["case"].as_str().ok_or("case")?;
        let (score, grade) = expected[case];
        assert_eq!(line["score"].as_f64(), Some(score), "{case}");
        assert_eq!(line["grade"], grade, "{case}");
        assert_eq!(line["status"], "已评定");
        by_department
            .entry(line["department"].as_str().ok_or("department")?.to_owned())
            .or_default()
            .push((score, grade.to_owned()));
    }
    let departments = json["departments"].as_array().ok_or("departments")?;
    let codes: Vec<&str> = departments
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["HBJ", "SJGJ"]);
    for line in departments {
        let mine = &by_department[line["code"].as_str().ok_or("code")?];
        assert_eq!(line["files"], 2);
        let tenths: u32 = mine.iter().map(|(s, _)| (s * 10.0).round() as u32).sum();
        let mean = f64::from((2 * tenths + 2) / 4) / 10.0;
        assert_eq!(line["average"].as_f64(), Some(mean), "{line}");
        for grade in ["优秀", "良好", "合格", "不合格"] {
            let n = mine.iter().filter(|(_, g)| g == grade).count();
            assert_eq!(line[grade], n, "{line}");
        }
    }
    // Configurable thresholds.
    let strict = Thresholds {
        excellent: 950,
        ..Thresholds::default()
    };
    let graded = scoring::report(&db, "PC2025", &strict).await?;
    let b_line = graded.files.iter().find(|f| f.case == b.case).ok_or("b")?;
    assert_eq!(b_line.grade.map(|g| g.as_str()), Some("良好"));

    // Notices: d only, once.
    let calendar = workcal::Calendar::embedded()?;
    let raised = scoring::raise_notices(&db, &calendar, &report, at, "司法局").await?;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].subject, format!("review_file:PC2025/{}", d.case));
    assert_eq!(raised[0].department, d.department);
    let again = scoring::raise_notices(&db, &calendar, &report, at, "司法局").await?;
    assert!(again.is_empty());
    assert_eq!(db.list::<Rectification>(None).await?.len(), 1);

    // The annual report's source.
    let grades = scoring::grades_by_department(&db, 2025, &Thresholds::default()).await?;
    assert_eq!(grades, report.departments);
    assert!(
        scoring::grades_by_department(&db, 2024, &Thresholds::default())
            .await?
            .is_empty()
    );
    let audit = service::audit::verify(&db).await?;
    assert!(audit.breaks.is_empty(), "{:?}", audit.breaks);
    Ok(())
}

/// A reviewer of the pool assigned to neither the panel nor as further reviewer of `file`.
fn stranger_for(file: &ReviewFile, files: &[ReviewFile]) -> String {
    files
        .iter()
        .flat_map(|f| f.reviewers.iter().chain(&f.alternates))
        .find(|r| !file.reviewers.contains(r))
        .cloned()
        .unwrap_or_else(|| "S2".to_owned())
}

#[test]
fn a_review_is_scored_and_reported_on_sqlite() -> TestResult {
    on_sqlite("review_score", "review", scoring_a_review)
}

#[test]
fn a_review_is_scored_and_reported_on_postgres() -> TestResult {
    on_postgres("review_score", "review", scoring_a_review)
}

#[test]
fn the_cli_imports_a_standard_and_scores_and_reports() -> TestResult {
    let dir = std::env::temp_dir().join(crate::common::unique("review_score_cli"));
    std::fs::create_dir_all(&dir)?;
    let database = dir.join("jianguan.sqlite3");
    let database = database.to_str().ok_or("path is not UTF-8")?;
    crate::common::cli_set_up(database)?;
    let files = crate::common::runtime()?.block_on(async {
        let db = storage::open(database).await?;
        set_up(&db, "review_score_cli_files").await?;
        let files = db.review_assignments("PC2025").await?;
        db.close().await;
        Ok::<_, Box<dyn Error>>(files)
    })?;
    let text = |p: &Path| p.to_str().map(str::to_owned).ok_or("path is not UTF-8");
    let bad = write(&dir, "bad.csv", BAD_STANDARD)?;
    let out = jianguan_ok(&[
        "review",
        "standard",
        "import",
        &text(&bad)?,
        "--json",
        "--database",
        database,
    ])?;
    let line: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(line["rejected"], 6, "{line}");
    assert_eq!(line["version"], serde_json::Value::Null);
    let good = write(&dir, "standard.csv", STANDARD)?;
    let out = jianguan_ok(&[
        "review",
        "standard",
        "import",
        &text(&good)?,
        "--json",
        "--database",
        database,
    ])?;
    let line: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (line["version"].clone(), line["new_version"].clone()),
        (1.into(), true.into())
    );
    let mut lines = Vec::new();
    for f in &files {
        for reviewer in &f.reviewers {
            lines.push((f.case.as_str(), reviewer.as_str(), "J2", "1", "装订"));
        }
    }
    let scores = write(&dir, "scores.csv", &rows(&lines))?;
    let score = |path: &Path| -> Result<std::process::Output, Box<dyn Error>> {
        jianguan(&[
            "review",
            "score",
            "PC2025",
            &text(path)?,
            "--json",
            "--database",
            database,
        ])
    };
    let out = score(&scores)?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wrong = write(&dir, "wrong.csv", "案件编号,姓名\nX,Y\n")?;
    assert_eq!(
        score(&wrong)?.status.code(),
        Some(2),
        "a bad header exits 2"
    );
    let xlsx = dir.join("通报.xlsx");
    let out = jianguan_ok(&[
        "review",
        "report",
        "PC2025",
        "--json",
        "--xlsx",
        &text(&xlsx)?,
        "--database",
        database,
    ])?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let files_json = report["files"].as_array().ok_or("files")?;
    assert_eq!(files_json.len(), files.len());
    assert!(
        files_json
            .iter()
            .all(|f| f["score"] == 98.0 && f["grade"] == "优秀")
    );
    assert!(xlsx.exists());
    let unknown = jianguan(&["review", "report", "NOPE", "--json", "--database", database])?;
    assert_eq!(unknown.status.code(), Some(2));
    Ok(())
}
