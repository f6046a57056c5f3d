//! The Justice Bureau's 行政执法统计年报 (issue 20, item 7) on a constructed
//! small city: every figure worked out by hand, on SQLite and PostgreSQL,
//! and the workbook's two sheets through the binary.

use std::error::Error;

use storage::Db;

use crate::common::{on_postgres, on_sqlite, unique};

type TestResult = Result<(), Box<dyn Error>>;

const AS_OF: &str = "2025-12-31";

const DEPARTMENTS: &str = "部门编码,部门名称,层级,所属区域\n\
    SJGJ,黄石市市场监督管理局,市级,420200\n\
    HBJ,黄石市生态环境局,市级,420200\n";

const CASE_HEADER: &str = "案件编号,执法部门,当事人名称,当事人证件号码,违法行为编码,立案日期,决定日期,处罚种类,裁量阶次,罚款金额,执法人员,法制审核,首次违法,及时改正,延期,公示日期,决定变更日期,撤回日期,结案日期\n";

/// C01 published on time, C02 late (the limit is 2025-03-12), C03 never
/// (due), C06 not yet due on [`AS_OF`], C04 of 2024, C05 undecided.
const CASES: &str = "\
C01,SJGJ,某公司,91420200MA4K8B6C20,WF-1,2025-02-01,2025-03-03,罚款,,1000,,否,否,否,否,2025-03-05,,,\n\
C02,SJGJ,某公司,91420200MA4K8B6C20,WF-1,2025-02-01,2025-03-03,警告、罚款,,200.50,,否,否,否,否,2025-04-30,,,\n\
C03,HBJ,某公司,91420200MA4K8B6C20,WF-1,2025-05-01,2025-06-02,警告,,,,否,否,否,否,,,,\n\
C04,HBJ,某公司,91420200MA4K8B6C20,WF-1,2024-11-01,2024-12-02,罚款,,500,,否,否,否,否,2024-12-03,,,\n\
C05,HBJ,某公司,91420200MA4K8B6C20,WF-1,2025-11-01,,,,,,否,否,否,否,,,,\n\
C06,HBJ,某公司,91420200MA4K8B6C20,WF-1,2025-12-01,2025-12-30,警告,,,,否,否,否,否,,,,\n";

const APPLICATIONS: &str = "案号,申请人,被申请人,收到日期,补正通知日期,补正完成日期,受理日期,程序,延期,中止天数,决定日期,决定类型,原行政行为案件编号\n\
    R01,张三,SJGJ,2025-03-03,,,2025-03-05,普通,否,,2025-04-20,撤销,C01\n\
    R02,李四,SJGJ,2025-03-03,,,2025-03-05,普通,否,,2025-04-20,维持,\n\
    R03,王五,SJGJ,2025-03-03,,,2025-03-05,普通,否,,2025-04-20,终止,\n\
    R04,赵六,HBJ,2024-03-03,,,2024-03-05,普通,否,,2024-04-20,撤销,\n";

const LITIGATION: &str = "案号,被告,开庭日期,负责人出庭\n\
    L1,SJGJ,2025-03-01,是\n\
    L2,SJGJ,2025-04-01,是\n\
    L3,SJGJ,2025-05-01,否\n";

async fn the_figures_are_those_worked_out_by_hand(db: Db) -> TestResult {
    let dir = std::env::temp_dir().join(unique("annual_report"));
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, text: String| -> Result<std::path::PathBuf, Box<dyn Error>> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    };
    let at = domain::clock::now();
    let departments = write("departments.csv", DEPARTMENTS.to_owned())?;
    let outcome = files::import_file(
        &db,
        files::Kind::Departments,
        &departments,
        &Default::default(),
    )
    .await?;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let cases = write("cases.csv", format!("{CASE_HEADER}{CASES}"))?;
    let cases = service::enforcement::import_cases(&db, &cases, "test", at).await?;
    assert_eq!(cases.outcome.inserted, 6, "{:?}", cases.outcome.errors);
    let applications = write("reconsideration.csv", APPLICATIONS.to_owned())?;
    let applications =
        service::reconsideration::import_reconsiderations(&db, &applications, "test", at).await?;
    assert_eq!(applications.outcome.inserted, 4);
    let litigation = write("litigation.csv", LITIGATION.to_owned())?;
    let litigation =
        service::reconsideration::import_litigation(&db, &litigation, "test", at).await?;
    assert_eq!(litigation.outcome.inserted, 3);

    let calendar = workcal::Calendar::embedded()?;
    let report = service::annual::build(
        &db,
        2025,
        &Default::default(),
        &Default::default(),
        &calendar,
        AS_OF.parse()?,
    )
    .await?;
    let line = |code: &str| {
        report
            .departments
            .iter()
            .find(|d| d.code.as_deref() == Some(code))
            .cloned()
            .ok_or(format!("no line for {code}"))
    };
    let (sjgj, hbj, city) = (line("SJGJ")?, line("HBJ")?, report.city.clone());
    assert_eq!(sjgj.name, "黄石市市场监督管理局");
    let figures = |row: &service::annual::AnnualRow| {
        (
            row.cases,
            row.cases_by_kind.get("警告").copied(),
            row.cases_by_kind.get("罚款").copied(),
            row.fines_fen,
            row.publication_due,
            row.published_on_time,
            row.publication_rate,
        )
    };
    assert_eq!(
        figures(&sjgj),
        (2, Some(1), Some(2), 120_050, 2, 1, Some(0.5))
    );
    assert_eq!(figures(&hbj), (2, Some(2), Some(0), 0, 1, 0, Some(0.0)));
    assert_eq!(
        figures(&city),
        (4, Some(3), Some(2), 120_050, 3, 1, Some(0.3333))
    );
    let justice = |row: &service::annual::AnnualRow| {
        (
            row.reconsideration_received,
            row.reconsideration_substantive,
            row.reconsideration_corrected,
            row.correction_rate,
            row.hearings,
            row.appeared,
            row.appearance_rate,
        )
    };
    assert_eq!(justice(&sjgj), (3, 2, 1, Some(0.5), 3, 2, Some(0.6667)));
    assert_eq!(justice(&hbj), (0, 0, 0, None, 0, 0, None));
    assert_eq!(justice(&city), (3, 2, 1, Some(0.5), 3, 2, Some(0.6667)));
    // No review drawn in 2025: no files, no average.
    assert_eq!((city.review_files, city.review_average), (0, None));
    assert_eq!(city.review_grades.get("不合格"), Some(&0));

    let own = report.clone().only("HBJ");
    assert_eq!(own.departments.len(), 1);
    assert_eq!(own.city, hbj);

    let out = dir.join("annual.xlsx");
    service::annual::write_xlsx(
        &report,
        &out,
        &files::watermark::Watermark::cli("test".to_owned()),
    )?;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out)?;
    use calamine::Reader;
    assert_eq!(book.sheet_names()[..2], ["年报", "说明"]);
    let table = book.worksheet_range("年报")?;
    let last = table.rows().next_back().ok_or("empty sheet")?;
    let cells: Vec<String> = last.iter().map(ToString::to_string).collect();
    assert_eq!(cells[1], "全市");
    assert!(cells.contains(&"0.3333".to_owned()), "{cells:?}");
    let notes = book.worksheet_range("说明")?;
    assert_eq!(notes.rows().count(), 1 + service::annual::NOTES.len());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn the_annual_report_is_worked_out_exactly_on_sqlite() -> TestResult {
    on_sqlite(
        "annual_report",
        "figures",
        the_figures_are_those_worked_out_by_hand,
    )
}

#[test]
fn the_annual_report_is_worked_out_exactly_on_postgres() -> TestResult {
    on_postgres(
        "annual_report",
        "figures",
        the_figures_are_those_worked_out_by_hand,
    )
}
