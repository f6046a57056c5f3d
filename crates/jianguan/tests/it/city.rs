//! `jianguan setup --city`: the city a database serves, its districts from the
//! embedded GB/T 2260 table; `migrate` alone loads none, and directory imports
//! need a city.

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use domain::divisions::CityRecord;
use domain::org::District;
use domain::uscc::Uscc;
use service::setup::{self, SetupError};
use storage::{Change, Db, Store, StoreError, WorkflowStore};

use crate::common::{
    TestResult, jianguan, on_postgres_without_city, on_sqlite_without_city, runtime, unique,
};

/// 宜昌's county-level units, as the 民政部 list gives them.
const YICHANG: [(&str, &str); 13] = [
    ("420502", "西陵区"),
    ("420503", "伍家岗区"),
    ("420504", "点军区"),
    ("420505", "猇亭区"),
    ("420506", "夷陵区"),
    ("420525", "远安县"),
    ("420526", "兴山县"),
    ("420527", "秭归县"),
    ("420528", "长阳土家族自治县"),
    ("420529", "五峰土家族自治县"),
    ("420581", "宜都市"),
    ("420582", "当阳市"),
    ("420583", "枝江市"),
];

fn data_dir(name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("jianguan-city-{}", unique(name)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn text(path: &Path) -> Result<&str, Box<dyn Error>> {
    Ok(path.to_str().ok_or("path is not UTF-8")?)
}

fn pairs(districts: &[District]) -> Vec<(String, String)> {
    districts
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect()
}

fn expected(city: &str, counties: &[(&str, &str)]) -> Vec<(String, String)> {
    std::iter::once((city, "市直"))
        .chain(counties.iter().copied())
        .map(|(code, name)| (code.to_owned(), name.to_owned()))
        .collect()
}

/// What a database holds of the city: its districts as (code, name), the
/// ledger's length, the city record.
type Stored = (Vec<(String, String)>, usize, Option<CityRecord>);

/// What the default database in `dir` holds of the city.
fn stored(dir: &Path) -> Result<Stored, Box<dyn Error>> {
    let url = storage::default_database(dir);
    runtime()?.block_on(async {
        let db = storage::open(text(&url)?).await?;
        let districts = pairs(&db.districts().await?);
        let ledger = db.ledger().await?.len();
        let city = db.city().await?;
        db.close().await;
        Ok((districts, ledger, city))
    })
}

fn at() -> DateTime<FixedOffset> {
    domain::clock::now()
}

#[test]
fn setup_yichang_gives_exactly_its_thirteen_units_and_the_city_level() -> TestResult {
    let dir = data_dir("yichang")?;
    let data = text(&dir)?;
    let out = jianguan(&["setup", "--city", "420500", "--data-dir", data, "--json"])?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(summary["city"]["name"], "宜昌市");
    assert_eq!(summary["already_set_up"], false);
    assert_eq!(summary["districts"].as_array().map(Vec::len), Some(14));
    let (districts, ledger, city) = stored(&dir)?;
    assert_eq!(districts, expected("420500", &YICHANG));
    assert_eq!(ledger, 1, "one ledger entry for the setup");
    let city = city.ok_or("no city recorded")?;
    assert_eq!(
        (city.code.as_str(), city.name.as_str()),
        ("420500", "宜昌市")
    );

    // A second run changes nothing and says so.
    let again = jianguan(&["setup", "--city", "420500", "--data-dir", data])?;
    assert_eq!(again.status.code(), Some(0));
    let said = String::from_utf8(again.stdout)?;
    assert!(said.contains("set up already: nothing changed"), "{said}");
    let (districts_after, ledger_after, _) = stored(&dir)?;
    assert_eq!(districts_after, districts);
    assert_eq!(ledger_after, ledger);

    // Another city is refused, naming the current one.
    let other = jianguan(&["setup", "--city", "420200", "--data-dir", data])?;
    assert_eq!(other.status.code(), Some(2));
    let reason = String::from_utf8(other.stderr)?;
    assert!(reason.contains("420500 宜昌市"), "{reason}");
    assert_eq!(stored(&dir)?.0, districts);

    // The ledger holds the setup and verifies.
    let audit = jianguan(&["audit", "verify", "--data-dir", data])?;
    assert_eq!(
        audit.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn setup_huangshi_gives_todays_huangshi_set() -> TestResult {
    let dir = data_dir("huangshi")?;
    let out = jianguan(&["setup", "--city", "420200", "--data-dir", text(&dir)?])?;
    assert_eq!(out.status.code(), Some(0));
    let (districts, _, _) = stored(&dir)?;
    let huangshi: Vec<(String, String)> = domain::org::HUANGSHI_DISTRICTS
        .iter()
        .map(|(c, n)| ((*c).to_owned(), (*n).to_owned()))
        .collect();
    assert_eq!(districts, huangshi);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn setup_refuses_codes_that_are_not_prefecture_level() -> TestResult {
    let dir = data_dir("refused")?;
    let data = text(&dir)?;
    for (code, reason) in [
        ("420202", "420202 黄石港区 is a county-level unit"),
        ("420000", "420000 湖北省 is a province-level unit"),
        ("999900", "999900 is not in the GB/T 2260 table"),
        ("4205", "is not a GB/T 2260 code"),
    ] {
        let out = jianguan(&["setup", "--city", code, "--data-dir", data])?;
        assert_eq!(out.status.code(), Some(2), "{code}");
        let stderr = String::from_utf8(out.stderr)?;
        assert!(stderr.contains(reason), "{code}: {stderr}");
    }
    let (districts, ledger, city) = stored(&dir)?;
    assert!(districts.is_empty() && ledger == 0 && city.is_none());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// An entity file of 宜昌: one row in 西陵区, one in 夷陵区 (by code).
fn yichang_entities(dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let first = Uscc::from_body("9142050200000001")?;
    let second = Uscc::from_body("9142050600000002")?;
    let path = dir.join("宜昌名录.csv");
    std::fs::write(
        &path,
        format!(
            "统一社会信用代码,主体名称,主体类型,所属区域,成立日期,登记状态\n\
             {},宜昌西陵商贸有限公司,企业,西陵区,2019-05-06,存续\n\
             {},夷陵区某某超市,个体工商户,420506,2020-01-02,存续\n",
            first.as_str(),
            second.as_str()
        ),
    )?;
    Ok(path)
}

#[test]
fn migrate_alone_loads_no_city_and_imports_ask_for_setup() -> TestResult {
    let dir = data_dir("migrate-only")?;
    let data = text(&dir)?;
    let out = jianguan(&["migrate", "--data-dir", data])?;
    assert_eq!(out.status.code(), Some(0));
    let (districts, _, city) = stored(&dir)?;
    assert!(districts.is_empty(), "{districts:?}");
    assert!(city.is_none());

    let file = yichang_entities(&dir)?;
    let refused = jianguan(&["import", "entities", text(&file)?, "--data-dir", data])?;
    assert_eq!(refused.status.code(), Some(2));
    let reason = String::from_utf8(refused.stderr)?;
    assert!(
        reason.contains("no city is set up: run `jianguan setup --city CODE`"),
        "{reason}"
    );

    // After `setup --city 420500`, 宜昌's entities import.
    let setup = jianguan(&["setup", "--city", "420500", "--data-dir", data])?;
    assert_eq!(setup.status.code(), Some(0));
    let imported = jianguan(&[
        "import",
        "entities",
        text(&file)?,
        "--data-dir",
        data,
        "--json",
    ])?;
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&imported.stdout)?;
    assert_eq!(summary["imported"], 2, "{summary}");
    assert_eq!(summary["rejected"], 0, "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------
// The store and the service on both backends, from a database without a city.

async fn set_up_once(db: &Db) -> TestResult {
    assert_eq!(db.city().await?, None);
    assert!(db.districts().await?.is_empty());
    let done = setup::set_up_city(db, "420500", "管理员", at()).await?;
    assert!(!done.already);
    assert_eq!(pairs(&db.districts().await?), expected("420500", &YICHANG));
    let city = db.city().await?.ok_or("no city recorded")?;
    assert_eq!(
        (
            city.code.as_str(),
            city.name.as_str(),
            city.set_up_by.as_str()
        ),
        ("420500", "宜昌市", "管理员")
    );
    let ledger = db.ledger().await?;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].action, setup::CITY_SET_UP);
    assert_eq!(
        (
            ledger[0].subject_table.as_str(),
            ledger[0].subject_key.as_str()
        ),
        ("city", "420500")
    );

    let again = setup::set_up_city(db, "420500", "someone else", at()).await?;
    assert!(again.already);
    assert_eq!(again.city, city);
    assert_eq!(db.ledger().await?.len(), 1);

    let other = setup::set_up_city(db, "420200", "管理员", at()).await;
    assert!(
        matches!(other, Err(SetupError::OtherCity { ref current_code, .. }) if current_code == "420500"),
        "{other:?}"
    );
    let not_a_city = setup::set_up_city(db, "420502", "管理员", at()).await;
    assert!(
        matches!(not_a_city, Err(ref e) if e.is_bad_input()),
        "{not_a_city:?}"
    );

    // The store itself keeps one city: a second record is refused, nothing written.
    let huangshi = CityRecord {
        code: "420200".into(),
        name: "黄石市".into(),
        set_up_by: "x".into(),
        set_up_at: at(),
    };
    let districts = setup::districts_of(&domain::divisions::city("420200")?)?;
    let refused = db
        .set_up_city(
            &huangshi,
            &districts,
            &Change::new(at(), "x", setup::CITY_SET_UP, "x"),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Constraint { .. })),
        "{refused:?}"
    );
    assert_eq!(pairs(&db.districts().await?), expected("420500", &YICHANG));
    assert_eq!(db.city().await?, Some(city));
    assert_eq!(db.ledger().await?.len(), 1);
    assert!(service::audit::verify(db).await?.breaks.is_empty());
    Ok(())
}

async fn import_without_city_is_refused(db: &Db) -> TestResult {
    let dir = data_dir("no-city-import")?;
    let file = yichang_entities(&dir)?;
    let result =
        files::import_file(db, files::Kind::Entities, &file, &files::Options::default()).await;
    assert!(
        matches!(result, Err(files::ImportError::NoCity)),
        "{result:?}"
    );
    setup::set_up_city(db, "420500", "管理员", at()).await?;
    let outcome =
        files::import_file(db, files::Kind::Entities, &file, &files::Options::default()).await?;
    assert_eq!(
        (outcome.inserted, outcome.rejected()),
        (2, 0),
        "{:?}",
        outcome.errors
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn sqlite_set_up_once() -> TestResult {
    on_sqlite_without_city(
        "city",
        "set-up-once",
        |db| async move { set_up_once(&db).await },
    )
}

#[test]
fn postgres_set_up_once() -> TestResult {
    on_postgres_without_city(
        "city",
        "set_up_once",
        |db| async move { set_up_once(&db).await },
    )
}

#[test]
fn sqlite_import_without_city_is_refused() -> TestResult {
    on_sqlite_without_city("city", "no-city", |db| async move {
        import_without_city_is_refused(&db).await
    })
}

#[test]
fn postgres_import_without_city_is_refused() -> TestResult {
    on_postgres_without_city("city", "no_city", |db| async move {
        import_without_city_is_refused(&db).await
    })
}
