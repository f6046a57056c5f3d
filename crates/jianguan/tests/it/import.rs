//! `jianguan import` / `export`: files made independently (GBK CSV, UTF-8 with
//! a BOM, an XLSX written by rust_xlsxwriter standing in for another program)
//! go through the importer; every test asserts exact counts.
//!
//! The library-level tests run against both backends, like the storage
//! contract: SQLite in a fresh file, PostgreSQL in a fresh schema of the server
//! named by `JIANGUAN_TEST_POSTGRES` (failing under CI when it is not set or
//! cannot be reached). The CLI tests run on SQLite.

// `x % n == 0` rather than `is_multiple_of` (Rust 1.87): the workspace's rust-version is 1.85.
#![allow(clippy::manual_is_multiple_of)]

use std::error::Error;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::Reader as _;
use domain::entity::EntityType;
use domain::org::{Department, DepartmentCode, DepartmentFields, DepartmentLevel};
use domain::uscc::Uscc;
use files::export::{Format, export_file};
use files::watermark::Watermark;
use files::{ImportError, Kind, Options, Outcome, import_file};
use storage::{self, Backend, Db, EntityFilter, InspectorFilter, Store};

use crate::common;

use common::{TestResult, in_fresh_schema, postgres_base, runtime, unique};

// ---------------------------------------------------------------------------
// Harness (shared with the storage contract in tests/common).

/// A fresh folder for a test's files.
fn temp_dir(name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("jianguan-import-{}", unique(name)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn on_sqlite<F, Fut>(name: &str, test: F) -> TestResult
where
    F: FnOnce(Db, PathBuf) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let dir = temp_dir(name)?;
    let path = dir.join("db.sqlite3");
    let url = path
        .to_str()
        .ok_or("temporary path is not UTF-8")?
        .to_owned();
    let result = runtime()?.block_on(async {
        let db = storage::open(&url).await?;
        if db.backend() != Backend::Sqlite {
            return Err(format!("{url} did not open SQLite").into());
        }
        crate::common::migrate_and_set_up(&db).await?;
        let result = test(db.clone(), dir.clone()).await;
        db.close().await;
        result
    });
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn on_postgres<F, Fut>(name: &str, test: F) -> TestResult
where
    F: FnOnce(Db, PathBuf) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let Some(base) = postgres_base("import tests")? else {
        return Ok(());
    };
    let dir = temp_dir(name)?;
    let result = runtime()?.block_on(in_fresh_schema(&base, "import", name, |db| {
        test(db, dir.clone())
    }));
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() -> super::TestResult {
                    super::on_sqlite(stringify!($name), |db, dir| async move { super::$name(&db, &dir).await })
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() -> super::TestResult {
                    super::on_postgres(stringify!($name), |db, dir| async move { super::$name(&db, &dir).await })
                }
            )+
        }
    };
}

on_both!(
    gbk_csv_with_bad_codes_duplicates_and_empty_lines,
    wrong_header_is_named_and_nothing_is_imported,
    utf8_bom_csv_of_inspectors_with_english_headers,
    xlsx_from_another_program_with_date_cells,
    pilot_era_code_is_accepted_with_a_warning,
    mistyped_codes_are_rejected_by_row_and_column,
    strict_mode_rejects_failed_check_characters,
    rerun_after_fixing_converges,
    database_rejections_keep_the_good_rows_of_the_batch,
    export_import_round_trip_is_unchanged,
    items_import_and_round_trip,
    joint_items_import_with_row_errors_and_round_trip,
    joint_items_with_english_headers_and_duplicates,
    licence_registration_types_keep_their_text_and_class,
    bulk_batches_keep_the_later_row_and_a_reimport_changes_nothing,
    a_shuffled_file_stores_what_the_sorted_file_stores,
);

// ---------------------------------------------------------------------------
// Data.

/// A valid code, distinct for each `n`.
fn code(n: u32) -> Result<String, Box<dyn Error>> {
    Ok(Uscc::from_body(&format!("91420200{n:08}"))?
        .as_str()
        .to_owned())
}

/// The same code with both check characters wrong: the pilot pattern.
fn bad_check(n: u32) -> Result<String, Box<dyn Error>> {
    let good = code(n)?;
    let org = if good.as_bytes()[16] == b'1' {
        b'2'
    } else {
        b'1'
    };
    let mut bytes = good.as_bytes()[..17].to_vec();
    bytes[16] = org;
    let sum: u32 = bytes
        .iter()
        .zip(domain::uscc::WEIGHTS)
        .map(|(&b, w)| domain::uscc::value(b).unwrap_or(0) * w)
        .sum();
    let right = domain::uscc::ALPHABET[((31 - sum % 31) % 31) as usize];
    bytes.push(if right == b'1' { b'2' } else { b'1' });
    Ok(String::from_utf8(bytes)?)
}

/// The same code with its final check character changed: a typo.
fn mistyped(n: u32) -> Result<String, Box<dyn Error>> {
    let good = code(n)?;
    let last = good.chars().last().ok_or("empty code")?;
    let replacement = if last == '1' { '2' } else { '1' };
    Ok(format!("{}{replacement}", &good[..17]))
}

const ENTITY_HEADER: &str = "统一社会信用代码,主体名称,主体类型,所属区域,行业代码,成立日期,登记状态,住所,法定代表人,信用风险分类,专项库,标签";

const DISTRICTS: [&str; 4] = ["黄石港区", "420203", "下陆区", "大冶市"];

/// A valid entity line for `n`.
fn entity_line(n: u32, name_suffix: &str) -> Result<String, Box<dyn Error>> {
    let kind = if n % 3 == 0 {
        "企业"
    } else {
        "个体工商户"
    };
    Ok(format!(
        "{},黄石市测试{n}号商行{name_suffix},{kind},{},F52{:02},2015/3/{},存续,黄石市团城山{n}号,张{n},{},食品经营、重点监管,",
        code(n)?,
        DISTRICTS[(n % 4) as usize],
        11 + n % 9,
        1 + n % 28,
        ["A", "B", "C", "D"][(n % 4) as usize],
    ))
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
    assert!(!had_errors, "the test text must be encodable in GBK");
    bytes.into_owned()
}

/// A watermark with a fixed time, so that two exports are identical.
fn mark() -> Watermark {
    Watermark {
        user: "tester".into(),
        display_name: "tester".into(),
        channel: "cli",
        at: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        title: "export".into(),
    }
}

fn options() -> Options {
    Options {
        batch: 37, // several batches even for small files
        ..Options::default()
    }
}

fn assert_counts(outcome: &Outcome, inserted: u64, updated: u64, rejected: usize, warnings: usize) {
    assert_eq!(
        (
            outcome.inserted,
            outcome.updated,
            outcome.rejected(),
            outcome.warnings.len()
        ),
        (inserted, updated, rejected, warnings),
        "errors: {:#?}\nwarnings: {:#?}",
        outcome.errors,
        outcome.warnings
    );
}

/// (row, column) of each rejected row's problems.
fn error_places(outcome: &Outcome) -> Vec<(usize, &str)> {
    outcome
        .errors
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect()
}

async fn entity_count<S: Store>(store: &S) -> Result<u64, Box<dyn Error>> {
    Ok(store.count_entities(&EntityFilter::default()).await?)
}

async fn departments<S: Store>(store: &S) -> TestResult {
    let departments = [
        ("SJGJ", "黄石市市场监督管理局"),
        ("YJJ", "黄石市应急管理局"),
        ("WJW", "黄石市卫生健康委员会"),
    ];
    let list = departments
        .iter()
        .map(|(code, name)| {
            Department::new(DepartmentFields::new(
                DepartmentCode::parse(code)?,
                name,
                DepartmentLevel::parse("市级")?,
                None,
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    store.upsert_departments(&list).await?;
    Ok(())
}

/// The 120-row GBK file: rows 2.. are entities 1..=120 with, at fixed rows,
/// two codes of the wrong length, one bad code character, one overlong type, one
/// bad date, one wrong check character, a duplicate of entity 5 and 3 empty lines.
fn gbk_file(dir: &Path, fixed: bool) -> Result<PathBuf, Box<dyn Error>> {
    let mut lines = vec![ENTITY_HEADER.to_owned()];
    for n in 1..=120u32 {
        let mut line = entity_line(n, "")?;
        if !fixed {
            match n {
                10 => line = line.replacen(&code(10)?, &code(10)?[..17], 1), // 17 characters
                20 => line = line.replacen(&code(20)?, &format!("{}0", code(20)?), 1), // 19
                30 => line = line.replacen(&code(30)?, &code(30)?.replace('9', "I"), 1),
                40 => {
                    // Any licence text is accepted now; a 64-character one is not.
                    let overlong = "国有独资".repeat(16);
                    line = line.replacen("个体工商户", &overlong, 1).replacen(
                        ",企业,",
                        &format!(",{overlong},"),
                        1,
                    )
                }
                50 => line = line.replacen("2015/3/", "2015/13/", 1),
                60 => line = line.replacen(&code(60)?, &bad_check(60)?, 1),
                _ => {}
            }
        }
        lines.push(line);
        if n == 70 || n == 71 || n == 100 {
            lines.push(String::new());
        }
    }
    // A later duplicate of entity 5, renamed: it wins.
    lines.push(entity_line(5, "（更名）")?);
    let path = dir.join(if fixed {
        "entities-fixed.csv"
    } else {
        "entities.csv"
    });
    std::fs::write(&path, gbk(&(lines.join("\r\n") + "\r\n")))?;
    Ok(path)
}

// ---------------------------------------------------------------------------
// Tests.

async fn gbk_csv_with_bad_codes_duplicates_and_empty_lines(db: &Db, dir: &Path) -> TestResult {
    let path = gbk_file(dir, false)?;
    let outcome = import_file(db, Kind::Entities, &path, &options()).await?;
    // 121 data rows: 5 rejected (2 lengths, 1 character, 1 type, 1 date); entity 5
    // twice (the later wins); entity 60's wrong check character accepted as pilot-era.
    assert_eq!(outcome.total_rows, 121);
    assert_eq!(outcome.empty_rows, 3);
    assert_eq!(outcome.superseded, 1);
    assert_counts(&outcome, 115, 0, 5, 2);
    assert_eq!(entity_count(db).await?, 115);

    // Row numbers as in Excel: header row 1, entity n on row n + 1 until the
    // empty lines after entity 70, 71 and 100 push the later rows down.
    let rows = error_places(&outcome);
    assert_eq!(
        rows,
        vec![
            (11, "统一社会信用代码"),
            (21, "统一社会信用代码"),
            (31, "统一社会信用代码"),
            (41, "主体类型"),
            (51, "成立日期"),
        ]
    );
    assert!(
        outcome.errors[0].reason.contains("18"),
        "{:?}",
        outcome.errors[0]
    );
    assert!(
        outcome.errors[0].reason_zh.contains("18位"),
        "{:?}",
        outcome.errors[0]
    );
    let warnings: Vec<usize> = outcome.warnings.iter().map(|w| w.row).collect();
    // Entity 60 on row 61; the duplicate (last line) on row 121 + 3 empty + 1 = 125.
    assert_eq!(warnings, vec![61, 125]);
    assert!(
        outcome.warnings[1].reason.contains("row 6"),
        "{:?}",
        outcome.warnings[1]
    );
    assert!(outcome.warnings[1].reason_zh.contains("第 6 行"));

    let five = db
        .entity(&Uscc::parse(&code(5)?)?)
        .await?
        .ok_or("entity 5 missing")?;
    assert_eq!(five.name, "黄石市测试5号商行（更名）");
    assert_eq!(
        five.special_pools,
        vec!["重点监管".to_owned(), "食品经营".to_owned()]
    );
    let pilot = EntityFilter {
        uscc_warning: Some(true),
        ..EntityFilter::default()
    };
    assert_eq!(db.count_entities(&pilot).await?, 1);
    Ok(())
}

/// Batches large enough for PostgreSQL's COPY path (module `storage::copy`):
/// 400 entities in batches of 150, entity 10 twice inside the first batch and
/// entity 5 again in the last batch, each time renamed.
async fn bulk_batches_keep_the_later_row_and_a_reimport_changes_nothing(
    db: &Db,
    dir: &Path,
) -> TestResult {
    let mut text = format!("\u{feff}{ENTITY_HEADER}\n");
    for n in 1..=400 {
        text.push_str(&entity_line(n, "")?);
        text.push('\n');
        if n == 20 {
            text.push_str(&entity_line(10, "（更名）")?);
            text.push('\n');
        }
    }
    text.push_str(&entity_line(5, "（迁址）")?);
    text.push('\n');
    let path = dir.join("bulk.csv");
    std::fs::write(&path, text)?;
    let options = Options {
        batch: 150,
        ..Options::default()
    };
    let first = import_file(db, Kind::Entities, &path, &options).await?;
    assert_eq!(first.total_rows, 402);
    assert_eq!(first.superseded, 2);
    // Entity 5, written by the first batch and again by the last, counts once, as new.
    assert_counts(&first, 400, 0, 0, 2);
    let warnings: Vec<usize> = first.warnings.iter().map(|w| w.row).collect();
    // Entity 10's second row is row 22 (header row 1); entity 5's is the last, 403.
    assert_eq!(warnings, vec![22, 403]);
    assert!(
        first.warnings[0].reason.contains("row 11"),
        "{:?}",
        first.warnings[0]
    );
    assert!(first.warnings[1].reason_zh.contains("第 6 行"));
    assert_eq!(entity_count(db).await?, 400);
    let name = |n: u32| async move {
        Ok::<_, Box<dyn Error>>(
            db.entity(&Uscc::parse(&code(n)?)?)
                .await?
                .ok_or("entity missing")?,
        )
    };
    assert_eq!(name(10).await?.name, "黄石市测试10号商行（更名）");
    assert_eq!(name(5).await?.name, "黄石市测试5号商行（迁址）");
    assert_eq!(name(300).await?.name, "黄石市测试300号商行");
    assert_eq!(
        name(300).await?.special_pools,
        vec!["重点监管".to_owned(), "食品经营".to_owned()]
    );

    // The same file again: nothing new; only entity 5, written twice in turn, counts as updated.
    let again = import_file(db, Kind::Entities, &path, &options).await?;
    assert_counts(&again, 0, 1, 0, 2);
    assert_eq!(again.unchanged, 399);
    assert_eq!(entity_count(db).await?, 400);
    assert_eq!(name(10).await?.name, "黄石市测试10号商行（更名）");
    assert_eq!(name(5).await?.name, "黄石市测试5号商行（迁址）");
    Ok(())
}

async fn wrong_header_is_named_and_nothing_is_imported(db: &Db, dir: &Path) -> TestResult {
    let path = dir.join("wrong-header.csv");
    let text = format!(
        "{}\n{}\n",
        ENTITY_HEADER.replace("统一社会信用代码", "统一信用编号"),
        entity_line(1, "")?
    );
    std::fs::write(&path, gbk(&text))?;
    let error = match import_file(db, Kind::Entities, &path, &options()).await {
        Err(error) => error,
        Ok(outcome) => return Err(format!("a wrong header was accepted: {outcome:?}").into()),
    };
    assert!(matches!(error, ImportError::Header { .. }), "{error}");
    assert!(error.is_bad_input());
    let message = error.to_string();
    assert!(
        message.contains("unknown header(s) \"统一信用编号\""),
        "{message}"
    );
    assert!(
        message.contains("missing required header(s) \"统一社会信用代码\""),
        "{message}"
    );
    assert!(message.contains("主体名称 (name)"), "{message}");
    assert_eq!(entity_count(db).await?, 0);

    // An empty file and a non-spreadsheet are unreadable, not crashes.
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "\n\n")?;
    assert!(matches!(
        import_file(db, Kind::Entities, &empty, &options()).await,
        Err(ImportError::Read(_))
    ));
    let fake = dir.join("fake.xlsx");
    std::fs::write(&fake, "this is not a spreadsheet")?;
    assert!(matches!(
        import_file(db, Kind::Entities, &fake, &options()).await,
        Err(ImportError::Read(_))
    ));
    Ok(())
}

async fn utf8_bom_csv_of_inspectors_with_english_headers(db: &Db, dir: &Path) -> TestResult {
    departments(db).await?;
    // English and Chinese headers mixed, with spaces, a * mark and full-width forms.
    let mut text = String::from(
        "\u{feff} cert_no ,*姓名,所属部门,ＩＤ_card,证件有效期起,证件有效期止,执法领域,所属区县\n",
    );
    for n in 1..=60u32 {
        let department = ["SJGJ", "黄石市应急管理局", "wjw"][(n % 3) as usize];
        let id_card = match n {
            7 => "110105194912310021", // wrong check character
            8 => "11010519491231002X",
            _ => "",
        };
        let until = if n == 9 { "2019-12-31" } else { "2027-12-31" };
        text.push_str(&format!(
            "HS-{n:04},执法员{n},{department},{id_card},2021-01-01,{until},食品安全、特种设备,{}\n",
            if n % 2 == 0 { "黄石港区" } else { "" }
        ));
    }
    text.push_str("HS-0061,执法员61,不存在的局,,2021-01-01,2027-12-31,,\n");
    // An unquoted comma shifts the row: more cells than headers.
    text.push_str("HS-0062,执法员62,SJGJ,,2021-01-01,2027-12-31,食品安全,黄石港区,西塞山区\n");
    let path = dir.join("inspectors.csv");
    std::fs::write(&path, &text)?;
    let outcome = import_file(db, Kind::Inspectors, &path, &options()).await?;
    assert_counts(&outcome, 58, 0, 4, 0);
    let rows = error_places(&outcome);
    assert_eq!(
        rows,
        vec![
            (8, "ＩＤ_card"),
            (10, "证件有效期止"),
            (62, "所属部门"),
            (63, "")
        ]
    );
    assert!(
        outcome.errors[3]
            .reason
            .contains("more cells (9) than the header row (8)")
    );
    assert_eq!(db.count_inspectors(&InspectorFilter::default()).await?, 58);
    Ok(())
}

/// Writes an entity XLSX the way another program would: a title-free sheet,
/// dates as real date cells (and one as text, one as a bare serial number),
/// numbers as numbers.
fn write_xlsx(path: &Path, codes: &[String]) -> TestResult {
    use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = CellFormat::new().set_num_format("yyyy-mm-dd");
    for (col, header) in ENTITY_HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, header)?;
    }
    for (index, code) in codes.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string(row, 0, code)?;
        sheet.write_string(row, 1, format!("大冶市表格{index}号有限公司"))?;
        sheet.write_string(row, 2, "企业")?;
        // With the province and city in front, as some templates write it.
        sheet.write_string(row, 3, "湖北省黄石市大冶市")?;
        sheet.write_number(row, 4, 5211.0)?; // an industry code typed as a number
        match index % 3 {
            0 => {
                let date = ExcelDateTime::from_ymd(2018, 6, (index % 28 + 1) as u8)?;
                sheet.write_datetime_with_format(row, 5, &date, &date_format)?;
            }
            1 => {
                sheet.write_string(row, 5, format!("2018年6月{}日", index % 28 + 1))?;
            }
            _ => {
                // 43252 = 2018-06-01, as a plain number.
                sheet.write_number(row, 5, 43251.0 + (index % 28 + 1) as f64)?;
            }
        }
        sheet.write_string(row, 6, "存续")?;
        sheet.write_string(row, 9, "b")?;
    }
    workbook.save(path)?;
    Ok(())
}

async fn xlsx_from_another_program_with_date_cells(db: &Db, dir: &Path) -> TestResult {
    let mut codes = (1..=80u32).map(code).collect::<Result<Vec<_>, _>>()?;
    codes[79] = "91420200ABC".to_owned(); // too short
    let path = dir.join("entities.xlsx");
    write_xlsx(&path, &codes)?;
    let outcome = import_file(db, Kind::Entities, &path, &options()).await?;
    assert_eq!(outcome.total_rows, 80);
    assert_counts(&outcome, 79, 0, 1, 0);
    assert_eq!(outcome.errors[0].row, 81);
    assert_eq!(outcome.errors[0].column, "统一社会信用代码");
    for (index, code) in codes.iter().take(79).enumerate() {
        let entity = db
            .entity(&Uscc::parse(code)?)
            .await?
            .ok_or("entity missing")?;
        assert_eq!(
            entity.registered_on.to_string(),
            format!("2018-06-{:02}", index % 28 + 1),
            "row {}",
            index + 2
        );
        assert_eq!(entity.industry.as_ref().map(|i| i.as_str()), Some("5211"));
        assert_eq!(entity.district.as_str(), "420281");
    }
    Ok(())
}

async fn pilot_era_code_is_accepted_with_a_warning(db: &Db, dir: &Path) -> TestResult {
    let path = dir.join("pilot.xlsx");
    // Fails both check characters (the pilot pattern).
    let codes = vec![code(1)?, "91350100M0001TGQ0M".to_owned(), code(2)?];
    write_xlsx(&path, &codes)?;
    let outcome = import_file(db, Kind::Entities, &path, &options()).await?;
    assert_counts(&outcome, 3, 0, 0, 1);
    assert_eq!(outcome.warnings[0].row, 3);
    assert_eq!(outcome.warnings[0].value, "91350100M0001TGQ0M");
    assert!(outcome.warnings[0].reason.contains("pilot-era"));
    assert!(outcome.warnings[0].reason_zh.contains("试点期"));
    let pilot = EntityFilter {
        uscc_warning: Some(true),
        ..EntityFilter::default()
    };
    assert_eq!(db.count_entities(&pilot).await?, 1);
    Ok(())
}

async fn mistyped_codes_are_rejected_by_row_and_column(db: &Db, dir: &Path) -> TestResult {
    let path = dir.join("mistyped.xlsx");
    // A changed final character, and a changed region digit: the organisation code passes.
    let region_typo = format!("{}3{}", &code(4)?[..7], &code(4)?[8..]);
    let codes = vec![code(3)?, mistyped(5)?, region_typo.clone()];
    write_xlsx(&path, &codes)?;
    let outcome = import_file(db, Kind::Entities, &path, &options()).await?;
    assert_counts(&outcome, 1, 0, 2, 0);
    assert_eq!(
        outcome.errors.iter().map(|e| e.row).collect::<Vec<_>>(),
        [3, 4]
    );
    assert_eq!(outcome.errors[1].value, region_typo);
    for error in &outcome.errors {
        assert_eq!(error.column, "统一社会信用代码");
        assert!(error.reason.contains("mistyped"), "{}", error.reason);
        assert!(error.reason_zh.contains("录入错误"), "{}", error.reason_zh);
    }
    Ok(())
}

async fn strict_mode_rejects_failed_check_characters(db: &Db, dir: &Path) -> TestResult {
    let path = gbk_file(dir, false)?;
    let strict = Options {
        strict_uscc: true,
        ..options()
    };
    let outcome = import_file(db, Kind::Entities, &path, &strict).await?;
    assert_counts(&outcome, 114, 0, 6, 1);
    assert_eq!(outcome.errors[5].row, 61);
    assert!(outcome.errors[5].reason_zh.contains("校验位"));
    Ok(())
}

async fn rerun_after_fixing_converges(db: &Db, dir: &Path) -> TestResult {
    let first = import_file(db, Kind::Entities, &gbk_file(dir, false)?, &options()).await?;
    assert_counts(&first, 115, 0, 5, 2);
    // The corrected file: the five rejected rows fixed, entity 60's code corrected
    // (a new key: the pilot-era row stays as it was imported).
    let fixed = gbk_file(dir, true)?;
    let second = import_file(db, Kind::Entities, &fixed, &options()).await?;
    // Entity 5 is in the file twice (renamed), in two batches of 37: each
    // import writes both rows in turn, so it counts as updated; the 113
    // others are as stored.
    assert_counts(&second, 6, 1, 0, 1);
    assert_eq!(second.unchanged, 113);
    assert_eq!(entity_count(db).await?, 121);
    // Running it again changes nothing, and says so (but for entity 5, above).
    let third = import_file(db, Kind::Entities, &fixed, &options()).await?;
    assert_counts(&third, 0, 1, 0, 1);
    assert_eq!(third.unchanged, 119);
    assert_eq!(entity_count(db).await?, 121);
    Ok(())
}

async fn database_rejections_keep_the_good_rows_of_the_batch(db: &Db, dir: &Path) -> TestResult {
    departments(db).await?;
    let mut entities = vec![ENTITY_HEADER.to_owned()];
    for n in 1..=50u32 {
        entities.push(entity_line(n, "")?);
    }
    let entities_path = dir.join("e.csv");
    std::fs::write(&entities_path, entities.join("\n"))?;
    assert_counts(
        &import_file(db, Kind::Entities, &entities_path, &options()).await?,
        50,
        0,
        0,
        0,
    );
    let mut inspectors = String::from("执法证号,姓名,所属部门,证件有效期起,证件有效期止\n");
    for n in 1..=20u32 {
        inspectors.push_str(&format!("HS-{n:04},执法员{n},SJGJ,2021-01-01,2027-12-31\n"));
    }
    let inspectors_path = dir.join("i.csv");
    std::fs::write(&inspectors_path, inspectors)?;
    assert_counts(
        &import_file(db, Kind::Inspectors, &inspectors_path, &options()).await?,
        20,
        0,
        0,
        0,
    );
    // 100 recusals; 3 name an inspector that does not exist and 2 an entity that
    // does not exist: only the database can tell, so their batches fall back to
    // row-by-row and keep the other rows.
    let mut recusals = String::from("执法证号,统一社会信用代码,回避原因\n");
    for n in 1..=100u32 {
        let inspector = match n {
            13 | 57 | 58 => "HS-9999".to_owned(),
            _ => format!("HS-{:04}", 1 + n % 20),
        };
        let entity = match n {
            77 | 90 => code(999)?,
            _ => code(1 + n % 50)?,
        };
        recusals.push_str(&format!("{inspector},{entity},近亲属任法定代表人\n"));
    }
    let recusals_path = dir.join("r.csv");
    std::fs::write(&recusals_path, recusals)?;
    let outcome = import_file(db, Kind::Recusals, &recusals_path, &options()).await?;
    // Pairs (1 + n % 20, 1 + n % 50) repeat every 100 rows: all 95 distinct.
    assert_counts(&outcome, 95, 0, 5, 0);
    let rows = error_places(&outcome);
    assert_eq!(
        rows,
        vec![
            (14, "执法证号"),
            (58, "执法证号"),
            (59, "执法证号"),
            (78, "统一社会信用代码"),
            (91, "统一社会信用代码"),
        ]
    );
    assert!(
        outcome.errors[0].reason_zh.contains("执法检查人员名录库"),
        "{:?}",
        outcome.errors[0]
    );
    assert_eq!(db.count_recusals().await?, 95);
    Ok(())
}

async fn export_import_round_trip_is_unchanged(db: &Db, dir: &Path) -> TestResult {
    departments(db).await?;
    let first = import_file(db, Kind::Entities, &gbk_file(dir, true)?, &options()).await?;
    assert_counts(&first, 120, 0, 0, 1);
    let mut inspectors = String::from(
        "执法证号,姓名,所属部门,身份证号,证件有效期起,证件有效期止,执法领域,所属区域\n",
    );
    for n in 1..=30u32 {
        inspectors.push_str(&format!(
            "HS-{n:04},执法员{n},YJJ,{},2021-01-01,2027-12-31,安全生产、危险化学品,{}\n",
            if n == 3 { "11010519491231002X" } else { "" },
            if n % 2 == 0 { "下陆区" } else { "" }
        ));
    }
    std::fs::write(dir.join("i.csv"), inspectors)?;
    import_file(db, Kind::Inspectors, &dir.join("i.csv"), &options()).await?;
    std::fs::write(
        dir.join("r.csv"),
        format!(
            "执法证号,统一社会信用代码,回避原因\nHS-0001,{},配偶任监事\n",
            code(7)?
        ),
    )?;
    import_file(db, Kind::Recusals, &dir.join("r.csv"), &options()).await?;

    for (kind, count) in [
        (Kind::Entities, 120u64),
        (Kind::Inspectors, 30),
        (Kind::Recusals, 1),
    ] {
        for format in [Format::Csv, Format::Xlsx] {
            let extension = if format == Format::Csv { "csv" } else { "xlsx" };
            let out = dir.join(format!("{}-1.{extension}", kind.as_str()));
            assert_eq!(export_file(db, kind, &out, format, &mark()).await?, count);
            let again = import_file(db, kind, &out, &options()).await?;
            assert_counts(&again, 0, 0, 0, 0);
            assert_eq!(again.unchanged, count);
            // The database is unchanged: a second export is identical.
            let out2 = dir.join(format!("{}-2.{extension}", kind.as_str()));
            export_file(db, kind, &out2, format, &mark()).await?;
            if format == Format::Csv {
                assert_eq!(std::fs::read(&out)?, std::fs::read(&out2)?, "{kind:?}");
            } else {
                assert_eq!(sheet_cells(&out)?, sheet_cells(&out2)?, "{kind:?}");
                assert_eq!(sheet_cells(&out)?.len() as u64, count + 1);
            }
        }
    }
    Ok(())
}

/// The lines of an entity file: 300 entities, every tenth listed again later
/// with another name (the later row wins), two bad codes; `shuffled` puts them
/// in an arbitrary order that keeps each repeated key's later row later.
fn entity_file_lines(shuffled: bool) -> Result<Vec<String>, Box<dyn Error>> {
    let mut lines: Vec<(u32, String)> = Vec::new();
    for n in 1..=300u32 {
        lines.push((n, entity_line(n, "")?));
    }
    for n in (10..=300u32).step_by(10) {
        lines.push((n, entity_line(n, "（更名）")?));
    }
    lines.push((
        0,
        entity_line(301, "")?.replacen(&code(301)?, &mistyped(301)?, 1),
    ));
    lines.push((0, entity_line(302, "")?.replacen("存续", "营业中", 1)));
    if shuffled {
        // A fixed scramble: each place by a multiplicative hash of it.
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by_key(|&i| ((i as u64 * 2_654_435_761) % 1_000_003, i));
        let mut mixed: Vec<(u32, String)> = order.iter().map(|&i| lines[i].clone()).collect();
        // A repeated key keeps its file order: the renamed row comes after the first.
        for n in (10..=300u32).step_by(10) {
            let places: Vec<usize> = mixed
                .iter()
                .enumerate()
                .filter(|(_, (key, _))| *key == n)
                .map(|(place, _)| place)
                .collect();
            if let [first, second] = places[..]
                && mixed[first].1.contains("（更名）")
            {
                mixed.swap(first, second);
            }
        }
        lines = mixed;
    }
    Ok(lines.into_iter().map(|(_, line)| line).collect())
}

async fn a_shuffled_file_stores_what_the_sorted_file_stores(db: &Db, dir: &Path) -> TestResult {
    let write = |name: &str, shuffled: bool| -> Result<PathBuf, Box<dyn Error>> {
        let path = dir.join(name);
        let mut text = format!("{ENTITY_HEADER}\n");
        for line in entity_file_lines(shuffled)? {
            text.push_str(&line);
            text.push('\n');
        }
        std::fs::write(&path, text)?;
        Ok(path)
    };
    let sorted_file = write("sorted.csv", false)?;
    let shuffled_file = write("shuffled.csv", true)?;
    assert_ne!(std::fs::read(&sorted_file)?, std::fs::read(&shuffled_file)?);

    // The sorted file into a fresh SQLite database of its own.
    let reference = storage::open(
        dir.join("sorted.sqlite3")
            .to_str()
            .ok_or("temporary path is not UTF-8")?,
    )
    .await?;
    crate::common::migrate_and_set_up(&reference).await?;
    let sorted = import_file(&reference, Kind::Entities, &sorted_file, &options()).await?;
    let shuffled = import_file(db, Kind::Entities, &shuffled_file, &options()).await?;
    assert_counts(&sorted, 300, 0, 2, 30);
    assert_counts(&shuffled, 300, 0, 2, 30);
    assert_eq!(shuffled.unchanged, sorted.unchanged);

    // Same stored state: the exports (in key order) are identical.
    let (from_sorted, from_shuffled) = (dir.join("sorted-out.csv"), dir.join("shuffled-out.csv"));
    assert_eq!(
        export_file(
            &reference,
            Kind::Entities,
            &from_sorted,
            Format::Csv,
            &mark()
        )
        .await?,
        300
    );
    assert_eq!(
        export_file(db, Kind::Entities, &from_shuffled, Format::Csv, &mark()).await?,
        300
    );
    reference.close().await;
    assert_eq!(std::fs::read(&from_sorted)?, std::fs::read(&from_shuffled)?);
    let renamed = std::fs::read_to_string(&from_shuffled)?;
    assert_eq!(
        renamed.matches("（更名）").count(),
        30,
        "the later row wins"
    );

    // Re-importing the shuffled file leaves the same state (a repeated key
    // whose rows are in different batches is written twice, as before).
    let again = import_file(db, Kind::Entities, &shuffled_file, &options()).await?;
    assert_eq!((again.inserted, again.rejected()), (0, 2));
    let after = dir.join("again-out.csv");
    export_file(db, Kind::Entities, &after, Format::Csv, &mark()).await?;
    assert_eq!(std::fs::read(&from_shuffled)?, std::fs::read(&after)?);
    Ok(())
}

async fn items_import_and_round_trip(db: &Db, dir: &Path) -> TestResult {
    departments(db).await?;
    let mut text = String::from(
        "事项编码,抽查类别,抽查事项,检查依据,实施主体,检查对象,检查方式,抽查比例,抽查频次\n",
    );
    for n in 1..=40u32 {
        let ratio = if n == 4 { "150%" } else { "5%" };
        let method = if n == 5 {
            "电话抽查"
        } else {
            "实地检查、书面检查"
        };
        text.push_str(&format!(
            "SJ-{n:03},食品安全,食品经营许可情况检查{n},《中华人民共和国食品安全法》第八十七条,SJGJ,食品经营者,{method},{ratio},每年1次\n"
        ));
    }
    std::fs::write(dir.join("items.csv"), &text)?;
    let outcome = import_file(db, Kind::Items, &dir.join("items.csv"), &options()).await?;
    assert_counts(&outcome, 38, 0, 2, 0);
    let columns: Vec<&str> = outcome.errors.iter().map(|p| p.column.as_str()).collect();
    assert_eq!(columns, vec!["抽查比例", "检查方式"]);
    let out = dir.join("items-export.csv");
    assert_eq!(
        export_file(db, Kind::Items, &out, Format::Csv, &mark()).await?,
        38
    );
    let again = import_file(db, Kind::Items, &out, &options()).await?;
    assert_counts(&again, 0, 0, 0, 0);
    assert_eq!(again.unchanged, 38);
    Ok(())
}

const JOINT_HEADER: &str = "序号,事项编码,抽查领域,抽查事项,检查依据,发起部门,配合部门,检查对象,检查方式,抽查比例,抽查频次";

/// 30 joint items; rows 7, 12, 18, 23 and 27 (items 6, 11, 17, 22 and 26) are
/// bad when `fixed` is false.
fn joint_file(dir: &Path, fixed: bool) -> Result<PathBuf, Box<dyn Error>> {
    let mut text = format!("{JOINT_HEADER}\n");
    for n in 1..=30u32 {
        let mut field = "食品安全";
        let mut lead = if n % 2 == 0 {
            "SJGJ"
        } else {
            "黄石市市场监督管理局"
        };
        // Several cooperating departments, by name or code, with the usual separators.
        let mut cooperating = match n % 3 {
            0 => "WJW",
            1 => "黄石市卫生健康委员会、YJJ",
            _ => "\"WJW, 黄石市应急管理局\"",
        };
        let mut frequency = "每年1次";
        if !fixed {
            match n {
                6 => cooperating = "WJW；XYZ",   // unknown department
                11 => cooperating = "SJGJ、WJW", // the lead cooperating with itself
                17 => frequency = "每周1次",
                22 => field = "",
                26 => lead = "黄石市公安局",
                _ => {}
            }
        }
        text.push_str(&format!(
            "{n},LH-{n:02},{field},餐饮服务食品安全联合检查{n},《中华人民共和国食品安全法》第八十七条；《中华人民共和国消防法》第十六条,{lead},{cooperating},餐饮服务提供者,实地检查、书面检查,5%,{frequency}\n"
        ));
    }
    let path = dir.join(if fixed {
        "joint-fixed.csv"
    } else {
        "joint.csv"
    });
    std::fs::write(&path, gbk(&text))?;
    Ok(path)
}

async fn joint_items_import_with_row_errors_and_round_trip(db: &Db, dir: &Path) -> TestResult {
    departments(db).await?;
    let outcome = import_file(db, Kind::JointItems, &joint_file(dir, false)?, &options()).await?;
    assert_counts(&outcome, 25, 0, 5, 0);
    let rows = error_places(&outcome);
    assert_eq!(
        rows,
        vec![
            (7, "配合部门"),
            (12, "配合部门"),
            (18, "抽查频次"),
            (23, "抽查领域"),
            (27, "发起部门"),
        ]
    );
    assert!(
        outcome.errors[0].reason.contains("XYZ"),
        "{:?}",
        outcome.errors[0]
    );
    assert!(
        outcome.errors[0].reason_zh.contains("“XYZ”"),
        "{:?}",
        outcome.errors[0]
    );
    assert!(
        outcome.errors[1].reason.contains("lead"),
        "{:?}",
        outcome.errors[1]
    );
    assert_eq!(outcome.errors[1].reason_zh, "配合部门不能包含发起部门");
    assert!(
        outcome.errors[2].reason_zh.contains("每年1次"),
        "{:?}",
        outcome.errors[2]
    );

    // Stored with the departments resolved to codes, sorted, the lead first.
    let two = db
        .joint_item(&domain::item::ItemCode::parse("LH-02")?)
        .await?
        .ok_or("LH-02 missing")?;
    let departments: Vec<&str> = two.departments().map(|d| d.as_str()).collect();
    assert_eq!(departments, ["SJGJ", "WJW", "YJJ"]);
    assert_eq!(two.field, "食品安全");
    assert_eq!(two.ratio.basis_points(), 500);
    assert_eq!(db.joint_items(None).await?.len(), 25);
    let yjj = DepartmentCode::parse("YJJ")?;
    // Cooperating in the 20 items n % 3 != 0, less the rejected 11, 17, 22 and 26.
    assert_eq!(db.joint_items(Some(&yjj)).await?.len(), 16);

    // The corrected file converges: the 5 rows are new, the 25 others unchanged.
    let fixed = joint_file(dir, true)?;
    let outcome = import_file(db, Kind::JointItems, &fixed, &options()).await?;
    assert_counts(&outcome, 5, 0, 0, 0);
    assert_eq!(outcome.unchanged, 25);
    let outcome = import_file(db, Kind::JointItems, &fixed, &options()).await?;
    assert_counts(&outcome, 0, 0, 0, 0);
    assert_eq!(outcome.unchanged, 30);

    // Export → import is unchanged, in both formats.
    for format in [Format::Csv, Format::Xlsx] {
        let extension = if format == Format::Csv { "csv" } else { "xlsx" };
        let out = dir.join(format!("joint-1.{extension}"));
        assert_eq!(
            export_file(db, Kind::JointItems, &out, format, &mark()).await?,
            30
        );
        let outcome = import_file(db, Kind::JointItems, &out, &options()).await?;
        assert_counts(&outcome, 0, 0, 0, 0);
        assert_eq!(outcome.unchanged, 30);
        let out2 = dir.join(format!("joint-2.{extension}"));
        export_file(db, Kind::JointItems, &out2, format, &mark()).await?;
        if format == Format::Csv {
            assert_eq!(std::fs::read(&out)?, std::fs::read(&out2)?);
            let text = String::from_utf8(std::fs::read(&out)?)?;
            let (watermark, text) = text.split_once("\r\n").ok_or("one line")?;
            assert!(
                watermark.starts_with("\u{feff}# 水印 导出人 tester"),
                "{watermark}"
            );
            assert!(text.starts_with("事项编码,抽查领域,抽查事项,检查依据,发起部门,配合部门,检查对象,检查方式,抽查比例,抽查频次"), "{text}");
            assert!(text.contains(",SJGJ,WJW、YJJ,"), "{text}");
        } else {
            let cells = sheet_cells(&out)?;
            assert_eq!(cells, sheet_cells(&out2)?);
            assert_eq!(cells.len(), 31);
        }
    }
    Ok(())
}

async fn joint_items_with_english_headers_and_duplicates(db: &Db, dir: &Path) -> TestResult {
    departments(db).await?;
    let text = "code,field,name,legal_basis,lead,cooperating,target_type,methods,ratio,frequency\n\
        LH-A,安全生产,危险化学品联合检查,《危险化学品安全管理条例》第二十条,YJJ,SJGJ;WJW,危险化学品经营单位,实地检查,10%,每半年1次\n\
        LH-B,安全生产,烟花爆竹联合检查,《烟花爆竹安全管理条例》第十九条,YJJ,SJGJ,烟花爆竹经营单位,实地检查,0.5%,每年1次\n\
        LH-A,安全生产,危险化学品联合检查（修订）,《危险化学品安全管理条例》第二十条,YJJ,SJGJ,危险化学品经营单位,实地检查,10%,每年2次\n";
    let path = dir.join("joint-en.csv");
    std::fs::write(&path, format!("\u{feff}{text}"))?;
    let outcome = import_file(db, Kind::JointItems, &path, &options()).await?;
    // LH-A twice: the later row (row 4) wins, with a warning.
    assert_counts(&outcome, 2, 0, 0, 1);
    assert_eq!(outcome.warnings[0].row, 4);
    let a = db
        .joint_item(&domain::item::ItemCode::parse("LH-A")?)
        .await?
        .ok_or("LH-A missing")?;
    assert_eq!(a.name, "危险化学品联合检查（修订）");
    assert_eq!(a.cooperating.len(), 1);
    assert_eq!(a.frequency.to_string(), "每年2次");

    // A joint header is not an item header: the item list's required columns are named.
    let error = match import_file(db, Kind::Items, &path, &options()).await {
        Err(error) => error.to_string(),
        Ok(outcome) => return Err(format!("joint items imported as items: {outcome:?}").into()),
    };
    assert!(
        error.contains("missing required header(s) \"抽查类别\", \"实施主体\""),
        "{error}"
    );
    Ok(())
}

/// 主体类型 as printed on licences, full- and half-width brackets, and their classes.
const LICENCE_TYPES: [(&str, EntityType); 12] = [
    ("有限责任公司（自然人投资或控股）", EntityType::Enterprise),
    ("股份有限公司（非上市）", EntityType::Enterprise),
    ("个人独资企业", EntityType::Enterprise),
    ("合伙企业", EntityType::Enterprise),
    ("分公司", EntityType::Enterprise),
    ("农民专业合作社", EntityType::Cooperative),
    ("个体工商户", EntityType::IndividualBusiness),
    ("有限责任公司(自然人独资)", EntityType::Enterprise),
    ("股份有限公司(非上市)", EntityType::Enterprise),
    ("农民专业合作社联合社", EntityType::Cooperative),
    ("企业", EntityType::Enterprise),
    ("宗教活动场所", EntityType::Other),
];

async fn licence_registration_types_keep_their_text_and_class(db: &Db, dir: &Path) -> TestResult {
    let mut text = String::from("统一社会信用代码,主体名称,主体类型,所属区域,成立日期,登记状态\n");
    for (n, (registration, _)) in (1u32..).zip(LICENCE_TYPES) {
        text += &format!(
            "{},黄石市登记类型{n}号, {registration} ,420202,2016-05-0{},存续\n",
            code(n)?,
            n % 9 + 1
        );
    }
    let path = dir.join("licence-types.csv");
    std::fs::write(&path, &text)?;
    let outcome = import_file(db, Kind::Entities, &path, &options()).await?;
    // Every row imported; the unknown text (the last, row 13) is a warning.
    assert_counts(&outcome, 12, 0, 0, 1);
    let warning = &outcome.warnings[0];
    assert_eq!((warning.row, warning.column.as_str()), (13, "主体类型"));
    assert_eq!(warning.value, "宗教活动场所");
    assert!(warning.reason.contains("其他") && warning.reason_zh.contains("其他"));
    // The report counts it in 汇总.
    let report = dir.join("licence-types.errors.xlsx");
    files::report::write_report(&outcome, "licence-types.csv", &report, &mark())?;
    let mut workbook = calamine::open_workbook_auto(&report)?;
    let summary = workbook.worksheet_range("汇总")?;
    assert!(
        summary
            .rows()
            .any(|r| r[0] == files::report::UNKNOWN_TYPES_LABEL && r[1] == 1.0),
        "{summary:?}"
    );

    for (n, (registration, class)) in (1u32..).zip(LICENCE_TYPES) {
        let stored = db
            .entity(&Uscc::parse(&code(n)?)?)
            .await?
            .ok_or("entity missing")?;
        assert_eq!(stored.entity_type.text(), registration);
        assert_eq!(stored.entity_type.class(), class, "{registration}");
    }
    for (class, count) in [
        (EntityType::Enterprise, 8),
        (EntityType::Cooperative, 2),
        (EntityType::IndividualBusiness, 1),
        (EntityType::Other, 1),
    ] {
        let filter = EntityFilter {
            entity_type: Some(class),
            ..EntityFilter::default()
        };
        assert_eq!(db.count_entities(&filter).await?, count, "{class}");
    }

    // Exports write the texts as registered, and re-import unchanged.
    let expected: Vec<&str> = LICENCE_TYPES.iter().map(|(text, _)| *text).collect();
    for format in [Format::Csv, Format::Xlsx] {
        let out = dir.join(match format {
            Format::Csv => "licence-export.csv",
            Format::Xlsx => "licence-export.xlsx",
        });
        assert_eq!(
            export_file(db, Kind::Entities, &out, format, &mark()).await?,
            12
        );
        let rows = match format {
            Format::Xlsx => sheet_cells(&out)?,
            Format::Csv => csv::ReaderBuilder::new()
                .has_headers(false)
                .comment(Some(b'#'))
                .from_path(&out)?
                .records()
                .map(|r| r.map(|r| r.iter().map(str::to_owned).collect()))
                .collect::<Result<_, _>>()?,
        };
        let column = rows[0]
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == "主体类型")
            .ok_or("no 主体类型 column")?;
        let written: Vec<&str> = rows[1..].iter().map(|r| r[column].as_str()).collect();
        assert_eq!(written, expected, "{format:?}");
        let again = import_file(db, Kind::Entities, &out, &options()).await?;
        assert_counts(&again, 0, 0, 0, 1);
        assert_eq!(again.unchanged, 12);
    }
    Ok(())
}

fn sheet_cells(path: &Path) -> Result<Vec<Vec<String>>, Box<dyn Error>> {
    let mut workbook = calamine::open_workbook_auto(path)?;
    let range = workbook.worksheet_range_at(0).ok_or("no sheet")??;
    Ok(range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect())
}

// ---------------------------------------------------------------------------
// The command line (SQLite).

fn jianguan(args: &[&str]) -> Result<std::process::Output, Box<dyn Error>> {
    Ok(Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .env_remove("JIANGUAN_DATABASE")
        .env_remove("JIANGUAN_DATA")
        .output()?)
}

/// `jianguan export KIND --out OUT`, which must succeed and report `count` records.
fn cli_export(kind: &str, out: &Path, database: &str, count: u64) -> TestResult {
    let output = jianguan(&[
        "export",
        kind,
        "--out",
        out.to_str().ok_or("not UTF-8")?,
        "--database",
        database,
    ])?;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout)?.trim(),
        format!("exported {count} {kind} to {}", out.display())
    );
    Ok(())
}

#[test]
fn cli_import_prints_the_summary_and_writes_the_report() -> TestResult {
    let dir = temp_dir("cli")?;
    let db = dir.join("db.sqlite3");
    let db_text = db.to_str().ok_or("not UTF-8")?;
    crate::common::cli_set_up(db_text)?;
    let file = gbk_file(&dir, false)?;
    let file_text = file.to_str().ok_or("not UTF-8")?;
    let reports = dir.join("reports");
    let reports_text = reports.to_str().ok_or("not UTF-8")?;
    let output = jianguan(&[
        "import",
        "entities",
        file_text,
        "--database",
        db_text,
        "--report",
        reports_text,
    ])?;
    let stdout = String::from_utf8(output.stdout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let report = reports.join("entities.csv.errors.xlsx");
    assert_eq!(
        stdout.trim(),
        format!(
            "imported 115 rows (115 inserted, 0 updated, 0 unchanged), 5 rejected, 2 warnings; report: {}",
            report.display()
        )
    );
    assert!(stderr.contains("row 11: 统一社会信用代码:"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no progress bar when stderr is not a terminal"
    );

    // The report: 5 errors, 2 warnings and the summary.
    let mut workbook = calamine::open_workbook_auto(&report)?;
    let errors = workbook.worksheet_range("错误")?;
    assert_eq!(errors.height(), 6);
    let header: Vec<String> = errors
        .rows()
        .next()
        .ok_or("empty")?
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, ["行号", "列", "值", "原因"]);
    assert_eq!(workbook.worksheet_range("警告")?.height(), 3);
    let summary = workbook.worksheet_range("汇总")?;
    let pairs: Vec<(String, String)> = summary
        .rows()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    for (label, value) in [
        ("总行数", "121"),
        ("导入成功", "115"),
        ("新增", "115"),
        ("更新", "0"),
        ("错误", "5"),
        ("警告", "2"),
        ("其中试点期统一社会信用代码警告", "1"),
    ] {
        assert!(
            pairs.contains(&(label.to_owned(), value.to_owned())),
            "{label} = {value} in {pairs:?}"
        );
    }

    // --json: exactly one line.
    let fixed = gbk_file(&dir, true)?;
    let output = jianguan(&[
        "import",
        "entities",
        fixed.to_str().ok_or("not UTF-8")?,
        "--database",
        db_text,
        "--json",
    ])?;
    let stdout = String::from_utf8(output.stdout)?;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    assert_eq!(json["imported"], 6);
    // One batch: entity 5's later row replaces its earlier one before writing.
    assert_eq!(json["updated"], 0);
    assert_eq!(json["unchanged"], 114);
    assert_eq!(json["rejected"], 0);
    assert_eq!(json["warnings"], 1);
    assert!(json["error_report"].is_string());

    // Export, then the export re-imports unchanged.
    let out = dir.join("out.xlsx");
    cli_export("entities", &out, db_text, 121)?;
    let output = jianguan(&[
        "import",
        "entities",
        out.to_str().ok_or("not UTF-8")?,
        "--database",
        db_text,
    ])?;
    assert_eq!(
        String::from_utf8(output.stdout)?.trim(),
        format!(
            "imported 0 rows (0 inserted, 0 updated, 121 unchanged), 0 rejected, 1 warnings; report: {}",
            dir.join("out.xlsx.errors.xlsx").display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn cli_joint_items_import_json_report_and_export() -> TestResult {
    let dir = temp_dir("cli-joint")?;
    let db = dir.join("db.sqlite3");
    let db_text = db.to_str().ok_or("not UTF-8")?;
    // The departments first (the joint list names them).
    runtime()?.block_on(async {
        let store = storage::open(db_text).await?;
        crate::common::migrate_and_set_up(&store).await?;
        let result = departments(&store).await;
        store.close().await;
        result
    })?;
    let file = joint_file(&dir, false)?;
    let output = jianguan(&[
        "import",
        "joint-items",
        file.to_str().ok_or("not UTF-8")?,
        "--database",
        db_text,
        "--json",
    ])?;
    let stdout = String::from_utf8(output.stdout)?;
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    assert_eq!(json["imported"], 25);
    assert_eq!(json["updated"], 0);
    assert_eq!(json["rejected"], 5);
    assert_eq!(json["warnings"], 0);
    let report = dir.join("joint.csv.errors.xlsx");
    assert_eq!(json["error_report"], report.display().to_string());
    let mut workbook = calamine::open_workbook_auto(&report)?;
    let errors = workbook.worksheet_range("错误")?;
    let rows: Vec<Vec<String>> = errors
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[1][..3], ["7", "配合部门", "WJW；XYZ"]);
    assert!(rows[1][3].contains("不是已登记的部门"), "{rows:?}");

    // English on stderr without --json.
    let output = jianguan(&[
        "import",
        "joint-items",
        file.to_str().ok_or("not UTF-8")?,
        "--database",
        db_text,
    ])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("row 12: 配合部门: the lead department cannot also be cooperating"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8(output.stdout)?.trim(),
        format!(
            "imported 0 rows (0 inserted, 0 updated, 25 unchanged), 5 rejected, 0 warnings; report: {}",
            report.display()
        )
    );

    let out = dir.join("joint.xlsx");
    cli_export("joint-items", &out, db_text, 25)?;
    let cells = sheet_cells(&out)?;
    assert_eq!(cells.len(), 26);
    assert_eq!(cells[0][4..6], ["发起部门", "配合部门"]);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn cli_import_exits_2_on_a_bad_header_or_an_unreadable_file() -> TestResult {
    let dir = temp_dir("cli-bad")?;
    let db = dir.join("db.sqlite3");
    let db_text = db.to_str().ok_or("not UTF-8")?;
    crate::common::cli_set_up(db_text)?;
    let file = dir.join("bad.csv");
    std::fs::write(&file, "统一社会信用代码,主题名称\n91350200776049653A,x\n")?;
    let output = jianguan(&[
        "import",
        "entities",
        file.to_str().ok_or("not UTF-8")?,
        "--database",
        db_text,
    ])?;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"主题名称\""), "{stderr}");
    assert!(stderr.contains("主体名称 (name)"), "{stderr}");
    assert!(String::from_utf8(output.stdout)?.is_empty());
    let missing = dir.join("missing.csv");
    let output = jianguan(&[
        "import",
        "entities",
        missing.to_str().ok_or("not UTF-8")?,
        "--database",
        db_text,
    ])?;
    assert_eq!(output.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn cli_import_killed_midway_leaves_whole_batches_and_a_rerun_completes() -> TestResult {
    const ROWS: u32 = 6_000;
    const BATCH: u64 = 200;
    let dir = temp_dir("cli-kill")?;
    let db = dir.join("db.sqlite3");
    let db_text = db.to_str().ok_or("not UTF-8")?.to_owned();
    crate::common::cli_set_up(&db_text)?;
    let mut lines = vec![ENTITY_HEADER.to_owned()];
    for n in 1..=ROWS {
        lines.push(entity_line(n, "")?);
    }
    let file = dir.join("big.csv");
    std::fs::write(&file, gbk(&lines.join("\n")))?;
    let file_text = file.to_str().ok_or("not UTF-8")?.to_owned();
    let args = [
        "import",
        "entities",
        &file_text,
        "--database",
        &db_text,
        "--batch",
        "200",
    ];

    // Kill -9 once the first batches are committed (or after 20 s at most).
    let mut child = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .env_remove("JIANGUAN_DATABASE")
        .env_remove("JIANGUAN_DATA")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let count = |db: &Path| -> Result<u64, Box<dyn Error>> {
        let url = db.to_str().ok_or("not UTF-8")?.to_owned();
        runtime()?.block_on(async move {
            let store = storage::open(&url).await?;
            let result = store.count_entities(&EntityFilter::default()).await;
            store.close().await;
            Ok::<u64, Box<dyn Error>>(result.unwrap_or(0))
        })
    };
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if child.try_wait()?.is_some() {
            break;
        }
        if db.exists() && count(&db)? >= BATCH {
            break;
        }
    }
    let _ = child.kill(); // SIGKILL on Unix
    child.wait()?;
    let partial = count(&db)?;
    eprintln!("killed after {partial} of {ROWS} rows");
    assert_eq!(
        partial % BATCH,
        0,
        "only whole batches are committed: {partial}"
    );
    assert!(partial <= u64::from(ROWS));

    let output = jianguan(&args)?;
    assert_eq!(output.status.code(), Some(0));
    let total = u64::from(ROWS);
    assert_eq!(
        String::from_utf8(output.stdout)?.trim(),
        format!(
            "imported {} rows ({} inserted, 0 updated, {partial} unchanged), 0 rejected, 0 warnings; report: none",
            total - partial,
            total - partial
        )
    );
    assert_eq!(count(&db)?, total);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
