//! `WorkflowStore::page` as a contract, on SQLite and on PostgreSQL: equal
//! columns, one-of lists, JSON fragments, key prefixes and the search (key,
//! document text, entity name) narrow in SQL; pages of a query add up to its
//! count, in key order or newest first; a `LIKE` wildcard typed in the
//! search is a plain character.

// `x % n == 0` rather than `is_multiple_of` (Rust 1.87): the workspace's rust-version is 1.85.
#![allow(clippy::manual_is_multiple_of)]

use std::error::Error;

use chrono::NaiveDate;
use domain::inspection::{OutOfPlan, OutOfPlanReason};
use domain::org::{Department, DepartmentCode, DepartmentFields, DepartmentLevel};
use storage::{Change, Db, DocQuery, Store, WorkflowStore, json_fragment};

use crate::common::{TestResult, on_postgres, on_sqlite};

fn department(code: &str, name: &str) -> Result<Department, Box<dyn Error>> {
    Ok(Department::new(DepartmentFields::new(
        DepartmentCode::parse(code)?,
        name,
        DepartmentLevel::City,
        None,
    ))?)
}

/// 30 inspections of SJGJ (every third flagged), 12 of YJJ.
fn inspections() -> Vec<OutOfPlan> {
    let one = |department: &str, n: usize| OutOfPlan {
        id: format!("{department}-2026-{n:04}"),
        entity: format!("91420200PAGE{n:06}"),
        department: department.to_owned(),
        reason: if n % 3 == 0 {
            OutOfPlanReason::Other
        } else {
            OutOfPlanReason::Complaint
        },
        detail: if n == 7 {
            "群众反映 100%_折扣".to_owned()
        } else {
            format!("检查情况 {n}")
        },
        work_order: None,
        inspected_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default(),
        inspectors: vec!["420200-SJGJ-0001".to_owned()],
        flagged: n % 3 == 0,
        registered_by: "测试".to_owned(),
        registered_at: chrono::Utc::now().fixed_offset(),
    };
    (0..30)
        .map(|n| one("SJGJ", n))
        .chain((0..12).map(|n| one("YJJ", n)))
        .collect()
}

async fn pages_narrow_in_sql_and_add_up(db: Db) -> TestResult {
    db.upsert_departments(&[
        department("SJGJ", "黄石市市场监督管理局")?,
        department("YJJ", "黄石市应急管理局")?,
    ])
    .await?;
    let change = Change::new(chrono::Utc::now().fixed_offset(), "test", "test", "");
    db.put(&inspections(), &change).await?;
    let count = |query: DocQuery| {
        let db = db.clone();
        async move {
            let page = db
                .page::<OutOfPlan>(&DocQuery {
                    limit: 100,
                    ..query
                })
                .await?;
            Ok::<_, Box<dyn Error>>(page.total)
        }
    };
    assert_eq!(count(DocQuery::default()).await?, 42);
    let sjgj = || DocQuery {
        equal: vec![("department", "SJGJ".to_owned())],
        ..DocQuery::default()
    };
    assert_eq!(count(sjgj()).await?, 30);
    assert_eq!(
        count(DocQuery {
            one_of: Some(("department", vec!["YJJ".into(), "NONE".into()])),
            ..DocQuery::default()
        })
        .await?,
        12
    );
    assert_eq!(
        count(DocQuery {
            one_of: Some(("department", Vec::new())),
            ..DocQuery::default()
        })
        .await?,
        0,
        "an empty list matches nothing"
    );
    assert_eq!(
        count(DocQuery {
            contains: vec![vec!["\"flagged\":true".into()]],
            ..sjgj()
        })
        .await?,
        10
    );
    assert_eq!(
        count(DocQuery {
            contains: vec![Vec::new()],
            ..DocQuery::default()
        })
        .await?,
        0,
        "an empty group matches nothing"
    );
    assert_eq!(
        count(DocQuery {
            contains: vec![vec![json_fragment("department", "YJJ")]],
            ..DocQuery::default()
        })
        .await?,
        12
    );
    assert_eq!(
        count(DocQuery {
            key_prefix: "YJJ-".into(),
            ..DocQuery::default()
        })
        .await?,
        12
    );
    // The search: the key, the document text; `%` and `_` are plain.
    let search = |text: &str| DocQuery {
        search: text.to_owned(),
        ..DocQuery::default()
    };
    assert_eq!(
        count(search("sjgj-2026-000")).await?,
        10,
        "ASCII case folded"
    );
    assert_eq!(
        count(search("100%_折扣")).await?,
        2,
        "the detail of n = 7, twice"
    );
    assert_eq!(count(search("0%_")).await?, 2);
    assert_eq!(count(search("%")).await?, 2, "a typed % is a character");
    assert_eq!(
        count(search("检查情况 1")).await?,
        14,
        "1, 10–19 and 1, 10, 11"
    );
    assert!(
        db.page::<OutOfPlan>(&search("x")).await.is_err(),
        "a zero limit is refused"
    );
    // Pages add up to the count, in key order or newest first, nothing twice.
    let mut seen = Vec::new();
    let mut query = DocQuery { limit: 7, ..sjgj() };
    loop {
        let page = db.page::<OutOfPlan>(&query).await?;
        assert_eq!(page.total, 30);
        if page.rows.is_empty() {
            break;
        }
        query.offset += page.rows.len() as u64;
        seen.extend(page.rows.into_iter().map(|o| o.id));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "key order, each once");
    assert_eq!(seen.len(), 30);
    let newest = db
        .page::<OutOfPlan>(&DocQuery {
            descending: true,
            limit: 1,
            ..sjgj()
        })
        .await?;
    assert_eq!(newest.rows[0].id, "SJGJ-2026-0029");
    assert!(
        db.page::<OutOfPlan>(&DocQuery {
            equal: vec![("nope", "x".into())],
            limit: 1,
            ..DocQuery::default()
        })
        .await
        .is_err(),
        "an unknown column is refused, not written into SQL"
    );
    Ok(())
}

#[test]
fn sqlite_pages_narrow_in_sql_and_add_up() -> TestResult {
    on_sqlite("document_pages", "pages", pages_narrow_in_sql_and_add_up)
}

#[test]
fn postgres_pages_narrow_in_sql_and_add_up() -> TestResult {
    on_postgres("document_pages", "pages", pages_narrow_in_sql_and_add_up)
}
