//! Credit supervision as a contract on SQLite and PostgreSQL: list imports
//! (incremental, idempotent, every format), checks against hand-computed
//! outcomes at the date edges, the check log, the ledger of matters and runs;
//! and the `credit` CLI's JSON.

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use domain::credit::{EntryKey, ListType, Outcome, SubjectKind};
use files::credit::Applicant;
use service::audit;
use service::credit::{self as credit_flow, Checker};
use storage::credit::{CheckLogFilter, CreditRun, CreditStore, EntryFilter};
use storage::{Db, WorkflowStore};

use crate::common;

use common::{TestResult, contracts, jianguan, jianguan_ok, unique};

contracts!(
    "credit";
    lists_import_incrementally_and_reimport_changes_nothing,
    checks_match_hand_computed_outcomes_at_the_date_edges,
    a_removal_survives_a_reimport_without_that_column,
    matters_are_ledger_documents_and_audited,
    every_format_reads_the_same_entries,
    prefix_searches_never_find_persons,
);

const FIRM_A: &str = "91350200776049653A";
const FIRM_B: &str = "91350213678251743X";
const PERSON: &str = "11010519491231002X";
/// A code failing both check characters (the pilot pattern): imported with a warning.
const PILOT: &str = "91350100M0001TGQ0M";
/// An ID number with its check digit right and a birth date in 5004.
const FUTURE_BIRTH: &str = "110105500403190018";
const HEADER: &str =
    "名单类型,主体名称,统一社会信用代码或身份证号码,列入日期,有效期至,认定部门,列入原因";

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

fn temp_file(name: &str, bytes: &[u8]) -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique("credit-files"));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path)
}

fn csv(rows: &[&str]) -> String {
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

async fn import(db: &Db, path: &Path) -> Result<credit_flow::CreditImport, Box<dyn Error>> {
    Ok(credit_flow::import_credit_file(db, path, "tester", false, None).await?)
}

async fn matter(db: &Db) -> TestResult {
    let path = temp_file(
        "matters.csv",
        "事项编码,事项名称,领域,主管部门,阻断名单,警示名单,激励名单\n\
         GP-001,政府采购供应商资格审查,政府采购,黄石市财政局,严重失信主体名单,经营异常名录；行政处罚,红名单\n\
         HR-001,公务员招录,公务员招录调任,黄石市人社局,严重失信主体名单,,\n"
            .as_bytes(),
    )?;
    credit_flow::import_matters_file(db, &path, "tester").await?;
    let again = credit_flow::import_matters_file(db, &path, "tester").await?;
    let counts = (
        again.outcome.inserted,
        again.outcome.updated,
        again.outcome.unchanged,
    );
    assert_eq!(
        counts,
        (0, 0, 2),
        "the same catalogue again: every matter unchanged"
    );
    assert!(again.run.is_none(), "an unchanged catalogue records no run");
    Ok(())
}

async fn lists_import_incrementally_and_reimport_changes_nothing(db: &Db) -> TestResult {
    let first = temp_file(
        "lists.csv",
        csv(&[
            &format!("严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,黄石市发改委,拒不履行"),
            &format!("红名单,甲公司,{FIRM_A},2023-05-01,2027-05-01,黄石市税务局,A级纳税人"),
            &format!(
                "经营异常名录,乙商贸,{FIRM_B},2025-06-01,2025-12-31,黄石市市场监管局,未报年报"
            ),
            &format!("红名单,张三,{PERSON},2024-01-01,,黄石市文明办,见义勇为"),
            // Rejected: a bad identifier, a bad date, an unknown list, a missing authority.
            "严重失信主体名单,坏,12345,2024-01-01,,x,y",
            &format!("行政处罚,乙商贸,{FIRM_B},2025-13-01,,黄石市市场监管局,虚假宣传"),
            &format!("白名单,乙商贸,{FIRM_B},2025-01-01,,黄石市市场监管局,?"),
            &format!("红名单,乙商贸,{FIRM_B},2025-01-01,,,?"),
            // A duplicate key: the later row wins, with a warning.
            &format!("红名单,张三,{PERSON},2024-01-01,2030-01-01,黄石市文明办,见义勇为"),
        ])
        .as_bytes(),
    )?;
    let done = import(db, &first).await?;
    assert_eq!((done.outcome.inserted, done.outcome.updated), (4, 0));
    assert_eq!(done.outcome.total_rows, 9);
    let bad_rows: Vec<(usize, &str)> = done
        .outcome
        .errors
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        bad_rows,
        [
            (6, "统一社会信用代码或身份证号码"),
            (7, "列入日期"),
            (8, "名单类型"),
            (9, "认定部门")
        ]
    );
    assert!(
        done.outcome
            .errors
            .iter()
            .all(|p| !p.reason.is_empty() && !p.reason_zh.is_empty())
    );
    assert_eq!(done.outcome.superseded, 1);
    assert_eq!(done.outcome.warnings.first().map(|w| w.row), Some(10));
    let person = db.credit_entries_of(vec![PERSON.into()]).await?;
    assert_eq!(
        person.first().and_then(|e| e.valid_until),
        Some(day("2030-01-01"))
    );
    let runs = db.list::<CreditRun>(None).await?;
    assert_eq!(runs.len(), 1);
    let ledger = db.ledger().await?.len();

    // The same file again: nothing changes, not even the ledger.
    let again = import(db, &first).await?;
    assert_eq!(
        (again.outcome.inserted, again.outcome.updated, again.after),
        (0, 0, 4)
    );
    assert_eq!(again.outcome.unchanged, 4, "every row counted unchanged");
    assert!(again.run.is_none());
    assert_eq!(db.ledger().await?.len(), ledger);

    // An update: a validity changed, a removal, an addition.
    let update = temp_file(
        "update.csv",
        format!(
            "{HEADER},移出日期\n\
             经营异常名录,乙商贸,{FIRM_B},2025-06-01,2026-06-30,黄石市市场监管局,未报年报,\n\
             严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,黄石市发改委,拒不履行,2025-03-01\n\
             行政处罚,乙商贸,{FIRM_B},2025-02-01,2026-02-01,黄石市市场监管局,虚假宣传,\n"
        )
        .as_bytes(),
    )?;
    let updated = import(db, &update).await?;
    assert_eq!(
        (
            updated.outcome.inserted,
            updated.outcome.updated,
            updated.after
        ),
        (1, 2, 5)
    );
    let firm_b = db.credit_entries_of(vec![FIRM_B.into()]).await?;
    assert!(
        firm_b
            .iter()
            .any(|e| e.list_type == ListType::Abnormal && e.valid_until == Some(day("2026-06-30")))
    );
    let firm_a = db.credit_entries_of(vec![FIRM_A.into()]).await?;
    assert!(
        firm_a
            .iter()
            .any(|e| e.list_type == ListType::Blacklist && e.removed_on == Some(day("2025-03-01")))
    );
    assert_eq!(db.list::<CreditRun>(None).await?.len(), 2);
    Ok(())
}

fn applicants(ids: &[&str]) -> Vec<Applicant> {
    ids.iter()
        .enumerate()
        .map(|(row, id)| Applicant {
            id: (*id).to_owned(),
            name: None,
            row: row + 2,
        })
        .collect()
}

async fn checks_match_hand_computed_outcomes_at_the_date_edges(db: &Db) -> TestResult {
    // Identifiers made for this test: 16-character bodies completed with their
    // check characters.
    let codes = [
        "91420200MA4A0000XH", // listed on the as-of date: counts
        "91420200MA4A0001XF", // valid until the as-of date: counts
        "91420200MA4A0002XB", // expired the day before: clear
        "91420200MA4A0003X8", // listed the day after: clear
        "91420200MA4A0004X4", // removed on the as-of date: clear
    ];
    let parsed: Vec<String> = codes
        .iter()
        .map(|c| domain::uscc::Uscc::from_body(&c[..16]).map(|u| u.to_string()))
        .collect::<Result<_, _>>()?;
    let as_of = "2025-06-30";
    let file = temp_file(
        "edges.csv",
        format!(
            "{HEADER},移出日期\n\
             严重失信主体名单,边界一,{},2025-06-30,,发改委,r,\n\
             严重失信主体名单,边界二,{},2024-01-01,2025-06-30,发改委,r,\n\
             严重失信主体名单,边界三,{},2024-01-01,2025-06-29,发改委,r,\n\
             严重失信主体名单,边界四,{},2025-07-01,,发改委,r,\n\
             严重失信主体名单,边界五,{},2024-01-01,,发改委,r,2025-06-30\n\
             严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,发改委,r,\n\
             红名单,甲公司,{FIRM_A},2023-05-01,,税务局,r,\n\
             行政处罚,甲公司,{FIRM_A},2025-01-01,,市场监管局,r,\n\
             行政处罚,乙商贸,{FIRM_B},2025-01-01,,市场监管局,r,\n\
             红名单,乙商贸,{FIRM_B},2025-01-01,,税务局,r,\n\
             行政许可,张三,{PERSON},2025-01-01,,市场监管局,r,\n\
             严重失信主体名单,试点公司,{PILOT},2024-01-01,,发改委,r,\n\
             红名单,张三,{PERSON},2025-01-01,2025-12-31,文明办,r,\n",
            parsed[0], parsed[1], parsed[2], parsed[3], parsed[4]
        )
        .as_bytes(),
    )?;
    import(db, &file).await?;
    matter(db).await?;
    let gp = credit_flow::matter(db, "GP-001").await?;
    let mut ids: Vec<&str> = parsed.iter().map(String::as_str).collect();
    ids.extend([
        FIRM_A,
        FIRM_B,
        PERSON,
        "91350200776049653B",
        "",
        "91350100M0001TGQXM",
        "9135020077604965",
        PILOT,
        "91350100M0001TGQ1M",
        FUTURE_BIRTH,
        "110105194919310022",
    ]);
    let checker = Checker {
        actor: "scjg.staff".into(),
        department: Some("SCJG".into()),
    };
    let report =
        credit_flow::check_applicants(db, &gp, &applicants(&ids), day(as_of), &checker).await?;
    let outcomes: Vec<Outcome> = report.results.iter().map(|r| r.outcome).collect();
    use Outcome::*;
    // An identifier valid as neither a code nor an ID number is invalid, never clear,
    // unless it is found exactly on a list (the pilot-pattern code listed above).
    assert_eq!(
        outcomes,
        [
            Block, Block, Clear, Clear, Clear, Block, Warn, Reward, Invalid, Invalid, Invalid,
            Invalid, Block, Invalid, Invalid, Invalid
        ]
    );
    assert!(
        report.results[12]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("found as written"))
    );
    assert_eq!(report.results[12].hits.len(), 1);
    assert!(
        report.results[14]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("in the future"))
    );
    assert!(
        report.results[15]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("no such calendar date"))
    );
    // Firm A: blacklist blocks, the penalty warns, the red list rewards: all three are hits, strongest first.
    let firm_a: Vec<Outcome> = report.results[5].hits.iter().map(|h| h.effect).collect();
    assert_eq!(firm_a, [Block, Warn, Reward]);
    // A licence is named by no rule: not a hit.
    assert_eq!(report.results[7].hits.len(), 1);
    assert!(
        report.results[8]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("check character"))
    );
    assert!(
        report.results[10].reason.is_some(),
        "a code failing its checks and on no list is invalid with the reason"
    );
    assert!(
        report.results[11]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("18 characters"))
    );
    // The other matter blocks on the blacklist only: the red list does nothing there.
    let hr = credit_flow::matter(db, "HR-001").await?;
    let report = credit_flow::check_applicants(
        db,
        &hr,
        &applicants(&[FIRM_B, FIRM_A]),
        day(as_of),
        &checker,
    )
    .await?;
    assert_eq!(
        report.results.iter().map(|r| r.outcome).collect::<Vec<_>>(),
        [Clear, Block]
    );
    // Every check is logged with who, which matter and the outcome.
    let log = db
        .check_log(
            &CheckLogFilter {
                matter: Some("GP-001".into()),
                ..Default::default()
            },
            100,
        )
        .await?;
    assert_eq!(log.len(), ids.len());
    assert!(
        log.iter()
            .all(|c| c.actor == "scjg.staff" && c.department.as_deref() == Some("SCJG"))
    );
    assert_eq!(log.iter().filter(|c| c.outcome == Invalid).count(), 7);
    let mine = db
        .check_log(
            &CheckLogFilter {
                subject: Some(FIRM_A.into()),
                ..Default::default()
            },
            100,
        )
        .await?;
    assert_eq!(mine.len(), 2);
    Ok(())
}

async fn a_removal_survives_a_reimport_without_that_column(db: &Db) -> TestResult {
    let file = temp_file(
        "one.csv",
        csv(&[&format!(
            "严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,发改委,r"
        )])
        .as_bytes(),
    )?;
    import(db, &file).await?;
    let key = EntryKey {
        subject: FIRM_A.into(),
        list_type: ListType::Blacklist,
        listed_on: day("2024-01-01"),
        ref_no: "发改委".into(),
    };
    assert!(
        db.set_credit_entry_removed(&key, Some(day("2025-01-10")))
            .await?
    );
    let again = import(db, &file).await?;
    assert_eq!(again.outcome.imported(), 0);
    assert!(
        again.outcome.unchanged > 0,
        "a kept removal date is no change"
    );
    let entries = db.credit_entries_of(vec![FIRM_A.into()]).await?;
    assert_eq!(
        entries.first().and_then(|e| e.removed_on),
        Some(day("2025-01-10"))
    );
    assert!(
        entries
            .first()
            .is_some_and(|e| e.counts_on(day("2025-01-09")) && !e.counts_on(day("2025-01-10")))
    );
    Ok(())
}

async fn matters_are_ledger_documents_and_audited(db: &Db) -> TestResult {
    // The harness's city setup is on the ledger already.
    let before = db.ledger().await?.len();
    matter(db).await?;
    let ledger = db.ledger().await?.len();
    assert_eq!(ledger - before, 3, "two matters and the run");
    matter(db).await?;
    assert_eq!(
        db.ledger().await?.len(),
        ledger,
        "an unchanged catalogue changes nothing"
    );
    let gp = credit_flow::matter(db, "GP-001").await?;
    assert_eq!(gp.warn, [ListType::Abnormal, ListType::Penalty]);
    let report = audit::verify(db).await?;
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    let bad = temp_file(
        "bad-matters.csv",
        "事项编码,事项名称,领域,主管部门,阻断名单,警示名单,激励名单\n\
         X-1,甲,政府采购,财政局,严重失信主体名单,严重失信主体名单,\n\
         X-2,乙,政府采购,财政局,黑白名单,,\n\
         ,丙,政府采购,财政局,,,\n"
            .as_bytes(),
    )?;
    let done = credit_flow::import_matters_file(db, &bad, "tester").await?;
    let rows: Vec<usize> = done.outcome.errors.iter().map(|p| p.row).collect();
    assert_eq!(rows, [2, 3, 4]);
    assert!(credit_flow::matter(db, "NO-SUCH").await.is_err());
    Ok(())
}

async fn every_format_reads_the_same_entries(db: &Db) -> TestResult {
    let rows = [
        format!("严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,发改委,拒不履行"),
        format!("红名单,张三,{PERSON},2024-01-01,2030-01-01,文明办,见义勇为"),
    ];
    let text = csv(&[&rows[0], &rows[1]]);
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let gbk_path = temp_file("gbk.csv", &gbk)?;
    let mut jsonl = String::new();
    let headers: Vec<&str> = HEADER.split(',').collect();
    for row in &rows {
        let object: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(row.split(','))
            .map(|(h, v)| {
                (
                    (*h).to_owned(),
                    if v.is_empty() {
                        serde_json::Value::Null
                    } else {
                        v.into()
                    },
                )
            })
            .collect();
        jsonl.push_str(&serde_json::Value::Object(object).to_string());
        jsonl.push('\n');
    }
    jsonl.push_str("{not json\n");
    let jsonl_path = temp_file("lists.jsonl", jsonl.as_bytes())?;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, line) in std::iter::once(HEADER.to_owned())
        .chain(rows.iter().cloned())
        .enumerate()
    {
        for (c, cell) in line.split(',').enumerate() {
            sheet.write_string(u32::try_from(r)?, u16::try_from(c)?, cell)?;
        }
    }
    let xlsx_path = std::env::temp_dir().join(format!("{}.xlsx", unique("credit-lists")));
    workbook.save(&xlsx_path)?;
    let snapshot = || async {
        let mut entries = db
            .credit_entries_of(vec![FIRM_A.into(), PERSON.into()])
            .await?;
        let sources: Vec<String> = entries
            .iter_mut()
            .map(|e| std::mem::take(&mut e.source))
            .collect();
        Ok::<_, Box<dyn Error>>((entries, sources))
    };
    let first = import(db, &gbk_path).await?;
    assert_eq!((first.outcome.inserted, first.outcome.rejected()), (2, 0));
    let (entries, sources) = snapshot().await?;
    assert_eq!(sources, ["gbk.csv", "gbk.csv"]);
    for (path, source) in [(&jsonl_path, "lists.jsonl"), (&xlsx_path, "")] {
        let again = import(db, path).await?;
        // The same entries: only their source changes.
        assert_eq!(
            (again.outcome.inserted, again.outcome.updated),
            (0, 2),
            "{}",
            path.display()
        );
        let (now, sources) = snapshot().await?;
        assert_eq!(now, entries, "{} holds the same entries", path.display());
        assert!(sources.iter().all(|s| s.ends_with(source)));
    }
    let jsonl_again = import(db, &jsonl_path).await?;
    assert_eq!(
        jsonl_again
            .outcome
            .errors
            .iter()
            .map(|p| p.row)
            .collect::<Vec<_>>(),
        [3],
        "a JSON Lines row is its line"
    );
    let _ = std::fs::remove_file(xlsx_path);
    Ok(())
}

#[test]
fn the_cli_check_prints_one_line_of_json_in_input_order() -> TestResult {
    let dir = std::env::temp_dir().join(unique("credit-cli"));
    std::fs::create_dir_all(&dir)?;
    let data = dir.join("data");
    let data = data.to_str().ok_or("path")?;
    let lists = temp_file(
        "lists.csv",
        csv(&[
            &format!("严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,发改委,拒不履行"),
            &format!("经营异常名录,乙商贸,{FIRM_B},2025-06-01,2025-12-31,市场监管局,未报年报"),
        ])
        .as_bytes(),
    )?;
    let matters = temp_file(
        "matters.csv",
        "事项编码,事项名称,领域,主管部门,阻断名单,警示名单,激励名单\nGP-001,政府采购,政府采购,财政局,严重失信主体名单,经营异常名录,红名单\n"
            .as_bytes(),
    )?;
    let applicants = temp_file(
        "applicants.csv",
        format!("统一社会信用代码或身份证号码,主体名称\n{FIRM_B},乙\nnot-an-id,丙\n{FIRM_A},甲\n{PERSON},张三\n").as_bytes(),
    )?;
    let out = jianguan_ok(&[
        "credit",
        "import",
        lists.to_str().ok_or("path")?,
        "--json",
        "--data-dir",
        data,
    ])?;
    let line: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (line["imported"].as_u64(), line["rejected"].as_u64()),
        (Some(2), Some(0))
    );
    jianguan_ok(&[
        "credit",
        "matters",
        "import",
        matters.to_str().ok_or("path")?,
        "--json",
        "--data-dir",
        data,
    ])?;
    let applicants = applicants.to_str().ok_or("path")?;
    let out = jianguan_ok(&[
        "credit",
        "check",
        "--matter",
        "GP-001",
        applicants,
        "--as-of",
        "2026-01-01",
        "--json",
        "--data-dir",
        data,
    ])?;
    let text = String::from_utf8(out.stdout)?;
    assert_eq!(text.lines().count(), 1);
    let report: serde_json::Value = serde_json::from_str(&text)?;
    assert_eq!(report["matter"], "GP-001");
    let results = report["results"].as_array().ok_or("results")?;
    let got: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or(""),
                r["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // Firm B's abnormal listing ended 2025-12-31: clear on 2026-01-01.
    assert_eq!(
        got,
        [
            (FIRM_B, "clear"),
            ("not-an-id", "invalid"),
            (FIRM_A, "block"),
            (PERSON, "clear")
        ]
    );
    assert!(results[1]["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(results[2]["hits"][0]["list"], "严重失信主体名单");
    assert_eq!(results[2]["hits"][0]["listed_on"], "2024-01-01");
    assert!(results[2]["hits"][0]["valid_until"].is_null());
    let out = jianguan(&[
        "credit",
        "check",
        "--matter",
        "GP-001",
        applicants,
        "--as-of",
        "2025-12-31",
        "--json",
        "--data-dir",
        data,
    ])?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["results"][0]["outcome"], "warn");
    assert_eq!(report["results"][0]["hits"][0]["valid_until"], "2025-12-31");
    // Bad input: exit 2 with a clear message.
    let out = jianguan(&[
        "credit",
        "check",
        "--matter",
        "NOPE",
        applicants,
        "--data-dir",
        data,
    ])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOPE"));
    let missing = dir.join("missing.csv");
    let out = jianguan(&[
        "credit",
        "import",
        missing.to_str().ok_or("path")?,
        "--data-dir",
        data,
    ])?;
    assert_eq!(out.status.code(), Some(2));
    let out = jianguan(&["credit", "entries", PERSON, "--data-dir", data])?;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a person's lookup needs a purpose"
    );
    let out = jianguan(&[
        "credit",
        "entries",
        PERSON,
        "--purpose",
        "测试",
        "--json",
        "--data-dir",
        data,
    ])?;
    assert!(out.status.success());
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// A prefix of an identifier finds enterprises only, on both engines: persons
/// are found by their whole number.
async fn prefix_searches_never_find_persons(db: &Db) -> TestResult {
    let file = temp_file(
        "persons.csv",
        csv(&[
            &format!("严重失信主体名单,张三,{PERSON},2024-01-01,,法院,r"),
            &format!("严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,发改委,r"),
        ])
        .as_bytes(),
    )?;
    import(db, &file).await?;
    for (prefix, kind) in [
        ("110105", None),
        ("11010519491231002", Some(SubjectKind::Person)),
        ("1", None),
        ("", Some(SubjectKind::Person)),
    ] {
        let filter = EntryFilter {
            subject_prefix: Some(prefix.into()),
            kind,
            ..EntryFilter::default()
        };
        let found = db.search_credit_entries(&filter, 100).await?;
        assert!(
            found
                .iter()
                .all(|e| e.subject.kind() == SubjectKind::Enterprise || prefix.is_empty()),
            "{prefix}: {found:?}"
        );
    }
    let filter = EntryFilter {
        subject_prefix: Some("9135".into()),
        ..EntryFilter::default()
    };
    assert_eq!(db.search_credit_entries(&filter, 100).await?.len(), 1);
    assert_eq!(db.credit_entries_of(vec![PERSON.into()]).await?.len(), 1);
    Ok(())
}

/// `credit import`: a mistyped code and a mistyped ID number are rejected by row
/// and column; a pilot-pattern code is taken with a warning, and rejected too
/// with `--strict-uscc`.
#[test]
fn list_imports_reject_mistyped_identifiers_and_strict_rejects_pilot_codes() -> TestResult {
    let dir = std::env::temp_dir().join(unique("credit-strict"));
    std::fs::create_dir_all(&dir)?;
    let lists = temp_file(
        "typos.csv",
        csv(&[
            &format!("严重失信主体名单,甲公司,{FIRM_A},2024-01-01,,发改委,r"),
            // FIRM_A with its final character changed: a typo.
            "严重失信主体名单,甲公司,91350200776049653B,2024-01-01,,发改委,r",
            // PERSON with its check character changed.
            "严重失信主体名单,张三,110105194912310021,2024-01-01,,发改委,r",
            &format!("严重失信主体名单,试点公司,{PILOT},2024-01-01,,发改委,r"),
        ])
        .as_bytes(),
    )?;
    let file = lists.to_str().ok_or("path")?;
    for (strict, imported, rejected, warnings) in [(false, 2, 2, 1), (true, 1, 3, 0)] {
        let data = dir.join(format!("data-{strict}"));
        let data = data.to_str().ok_or("path")?;
        let mut args = vec!["credit", "import", file, "--json", "--data-dir", data];
        if strict {
            args.push("--strict-uscc");
        }
        let out = jianguan_ok(&args)?;
        let line: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        assert_eq!(
            (
                line["imported"].as_u64(),
                line["rejected"].as_u64(),
                line["warnings"].as_u64()
            ),
            (Some(imported), Some(rejected), Some(warnings)),
            "strict {strict}: {line}"
        );
    }
    let data = dir.join("data-text");
    let out = jianguan(&[
        "credit",
        "import",
        file,
        "--data-dir",
        data.to_str().ok_or("path")?,
    ])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = |row: &str| {
        stderr
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("row 3:").contains("mistyped"), "{stderr}");
    assert!(line("row 4:").contains("居民身份证号码"), "{stderr}");
    assert!(line("warning: row 5:").contains("pilot-era"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
