//! The storage contract: every function below runs, unchanged, against both
//! backends through [`Db`] (so backend selection by URL is exercised too).
//!
//! - SQLite: a fresh file in the temporary directory per test.
//! - PostgreSQL: the server named by `JIANGUAN_TEST_POSTGRES`
//!   (e.g. `postgres://jianguan:jianguan@127.0.0.1:5432/jianguan_test`); each
//!   test gets a fresh schema (`options[search_path]`), dropped afterwards, so
//!   tests run in parallel. When the variable is set and the server cannot be
//!   reached, the tests fail. When it is not set, they fail under CI (`CI` set
//!   and not `false`/`0`), and elsewhere pass after a loud notice on stderr.
//!   `scripts/test.sh` starts PostgreSQL and sets the variable.

// `x % n == 0` rather than `is_multiple_of` (Rust 1.87): the workspace's rust-version is 1.85.
#![allow(clippy::manual_is_multiple_of)]

use std::error::Error;

use chrono::NaiveDate;
use domain::entity::{
    CreditClass, CreditRating, EntityFields, EntityStatus, EntityType, MarketEntity,
};
use domain::idcard::IdCardNo;
use domain::industry::{self, IndustryCode};
use domain::inspector::{CertificateNo, Inspector, InspectorFields, Recusal};
use domain::item::{
    CheckMethod, Frequency, InspectionItem, ItemCode, ItemFields, JointItem, JointItemFields,
    Period, RatioBp,
};
use domain::org::{
    Department, DepartmentCode, DepartmentFields, DepartmentLevel, District, DistrictCode,
    HUANGSHI_DISTRICTS, huangshi_districts,
};
use domain::registration::RegistrationType;
use domain::uscc::Uscc;
use storage::{
    self, Backend, ClassFilter, Db, EntityFilter, IndustryFilter, InspectorFilter, PageRequest,
    Store, StoreError, UpsertCount, export,
};

use crate::common;

use common::{TestResult, contracts, on_sqlite, runtime};

// ---------------------------------------------------------------------------
// Harness (shared with the import tests in tests/common).

contracts!(
    "contract";
    migrations_are_idempotent,
    reference_data_is_seeded,
    upsert_twice_converges,
    last_duplicate_in_a_batch_wins,
    entity_round_trip_is_exact,
    registration_texts_round_trip,
    search_finds_by_name_and_by_code,
    filters_narrow_and_counts_agree,
    paging_is_stable_and_complete,
    bad_page_sizes_are_errors,
    missing_references_are_clear_errors,
    duplicate_department_names_are_clear_errors,
    failed_batch_leaves_the_old_state,
    unicode_round_trips,
    dates_round_trip,
    pilot_era_codes_keep_their_warning,
    inspectors_round_trip_and_filter,
    lookups_by_a_page_of_codes,
    recusals_round_trip_and_page,
    items_and_joint_items_round_trip,
    departments_and_districts_round_trip,
    export_iterates_everything,
);

// ---------------------------------------------------------------------------
// Test data.

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, Box<dyn Error>> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("bad date {y}-{m}-{d}").into())
}

fn uscc(i: u32) -> Result<Uscc, Box<dyn Error>> {
    Ok(Uscc::from_body(&format!("91420202{i:08}"))?)
}

fn entity_fields(i: u32) -> Result<EntityFields, Box<dyn Error>> {
    let district = HUANGSHI_DISTRICTS[(i % 7) as usize].0;
    let registered_on = date(2000 + (i % 20) as i32, 1 + i % 12, 1 + i % 28)?;
    Ok(EntityFields {
        uscc: uscc(i)?,
        name: format!("黄石市{i}号测试商贸有限公司"),
        entity_type: EntityType::ALL[(i % 4) as usize].into(),
        district: DistrictCode::parse(district)?,
        industry: if i % 11 == 10 {
            None
        } else {
            Some(IndustryCode::parse(&format!(
                "{:02}{}",
                i % 97 + 1,
                i % 10
            ))?)
        },
        registered_on,
        status: EntityStatus::ALL[(i % 4) as usize],
        address: (i % 2 == 0).then(|| format!("湖北省黄石市{i}号")),
        legal_representative: (i % 3 != 0).then(|| "王五".to_owned()),
        special_pools: if i % 10 == 0 {
            vec!["食品生产".into()]
        } else {
            vec![]
        },
        tags: if i % 3 == 0 {
            vec!["重点".into(), "标签二".into()]
        } else {
            vec![]
        },
        credit: (i % 5 != 4).then(|| CreditRating {
            class: CreditClass::ALL[(i % 4) as usize],
            set_on: registered_on + chrono::TimeDelta::days(100),
        }),
    })
}

fn entity(i: u32) -> Result<MarketEntity, Box<dyn Error>> {
    Ok(MarketEntity::new(entity_fields(i)?)?)
}

fn entities(range: std::ops::Range<u32>) -> Result<Vec<MarketEntity>, Box<dyn Error>> {
    range.map(entity).collect()
}

fn department(code: &str, name: &str) -> Result<Department, Box<dyn Error>> {
    Ok(Department::new(DepartmentFields::new(
        DepartmentCode::parse(code)?,
        name,
        DepartmentLevel::City,
        None,
    ))?)
}

async fn seed_departments<S: Store>(store: &S) -> Result<(), Box<dyn Error>> {
    store
        .upsert_departments(&[
            department("SJGJ", "黄石市市场监督管理局")?,
            department("YJJ", "黄石市应急管理局")?,
            department("WJW", "黄石市卫生健康委员会")?,
        ])
        .await?;
    Ok(())
}

fn inspector(i: u32, department: &str) -> Result<Inspector, Box<dyn Error>> {
    Ok(Inspector::new(InspectorFields {
        cert_no: CertificateNo::parse(&format!("HB{i:06}"))?,
        name: format!("检查员{i}"),
        id_card: (i == 0)
            .then(|| IdCardNo::parse("11010519491231002X"))
            .transpose()?,
        department: DepartmentCode::parse(department)?,
        cert_valid_from: date(2020, 1, 1)?,
        cert_valid_until: date(2022 + (i % 5) as i32, 12, 31)?,
        fields: if i % 2 == 0 {
            vec!["食品安全".into(), "特种设备".into()]
        } else {
            vec!["安全生产".into()]
        },
        district: (i % 3 == 0)
            .then(|| DistrictCode::parse("420281"))
            .transpose()?,
        // The register's columns round-trip on both backends.
        register: domain::inspector::OfficerRegister {
            issuer: (i % 2 == 1).then(|| "黄石市人民政府".to_owned()),
            exam_passed_on: (i % 4 == 1).then(|| date(2019, 11, 18)).transpose()?,
            in_pool: i % 5 != 4,
            ..Default::default()
        },
    })?)
}

fn item(code: &str, department: &str) -> Result<InspectionItem, Box<dyn Error>> {
    Ok(InspectionItem::new(ItemFields {
        code: ItemCode::parse(code)?,
        category: "食品安全".into(),
        name: format!("{code} 食品生产经营者检查"),
        legal_basis: "《中华人民共和国食品安全法》第一百一十条".into(),
        department: DepartmentCode::parse(department)?,
        target_type: "食品生产企业".into(),
        methods: vec![CheckMethod::OnSite, CheckMethod::Documents],
        ratio: RatioBp::new(500)?,
        frequency: Frequency::new(1, Period::Year)?,
    })?)
}

fn joint_item(code: &str, lead: &str, cooperating: &[&str]) -> Result<JointItem, Box<dyn Error>> {
    Ok(JointItem::new(JointItemFields {
        code: ItemCode::parse(code)?,
        field: "餐饮安全".into(),
        name: format!("{code} 餐饮单位联合检查"),
        legal_basis: "《中华人民共和国食品安全法》；《中华人民共和国消防法》".into(),
        lead: DepartmentCode::parse(lead)?,
        cooperating: cooperating
            .iter()
            .map(|c| DepartmentCode::parse(c))
            .collect::<Result<_, _>>()?,
        target_type: "餐饮服务提供者".into(),
        methods: vec![CheckMethod::OnSite],
        ratio: RatioBp::new(1_000)?,
        frequency: Frequency::new(2, Period::HalfYear)?,
    })?)
}

/// Collects every page of a keyset listing of entities.
async fn all_pages<S: Store>(
    store: &S,
    filter: &EntityFilter,
    limit: u32,
) -> Result<Vec<MarketEntity>, Box<dyn Error>> {
    let mut out = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = store.search_entities(filter, &request).await?;
        if page.items.len() > limit as usize {
            return Err("a page is longer than its limit".into());
        }
        out.extend(page.items);
        match page.next {
            Some(next) => request.after = Some(next),
            None => return Ok(out),
        }
    }
}

fn codes(entities: &[MarketEntity]) -> Vec<String> {
    entities
        .iter()
        .map(|e| e.uscc.as_str().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// The contracts.

async fn migrations_are_idempotent<S: Store>(store: &S) -> TestResult {
    // The harness migrated once; data written since must survive a re-run.
    store.upsert_entities(&entities(0..3)?).await?;
    let again = store.migrate().await?;
    assert!(!again.migrations.is_empty());
    assert!(again.migrations.iter().all(|m| !m.applied_now), "{again:?}");
    let third = store.migrate().await?;
    assert_eq!(third.migrations, again.migrations);
    assert_eq!(store.count_entities(&EntityFilter::default()).await?, 3);
    assert_eq!(store.districts().await?.len(), 7);
    assert_eq!(store.industry_divisions().await?.len(), 97);
    Ok(())
}

async fn reference_data_is_seeded<S: Store>(store: &S) -> TestResult {
    let sections = store.industry_sections().await?;
    let expected: Vec<(String, String)> = industry::sections()
        .map(|s| (s.code.to_string(), s.name.to_owned()))
        .collect();
    assert_eq!(
        sections
            .iter()
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    let divisions = store.industry_divisions().await?;
    let expected: Vec<(String, String, String)> = industry::divisions()
        .map(|d| (d.code.to_owned(), d.section.to_string(), d.name.to_owned()))
        .collect();
    assert_eq!(
        divisions
            .iter()
            .map(|d| (d.code.clone(), d.section.clone(), d.name.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(store.districts().await?, huangshi_districts());
    Ok(())
}

async fn upsert_twice_converges<S: Store>(store: &S) -> TestResult {
    // More than one SQLite chunk (500) so chunk boundaries are crossed; the
    // same records again are unchanged, not updated.
    let first = entities(0..1_200)?;
    assert_eq!(
        store.upsert_entities(&first).await?,
        UpsertCount {
            inserted: 1_200,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        store.upsert_entities(&first).await?,
        UpsertCount {
            inserted: 0,
            updated: 0,
            unchanged: 1_200
        }
    );
    assert_eq!(store.count_entities(&EntityFilter::default()).await?, 1_200);

    // Change every record's fields and labels; add 100 new ones.
    let changed = (0..1_300)
        .map(|i| {
            let mut f = entity_fields(i)?;
            f.name = format!("{}（已更名）", f.name);
            f.status = EntityStatus::Deregistered;
            f.special_pools = vec!["特种设备使用".into()];
            f.tags = vec![];
            f.credit = None;
            f.address = None;
            Ok(MarketEntity::new(f)?)
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    assert_eq!(
        store.upsert_entities(&changed).await?,
        UpsertCount {
            inserted: 100,
            updated: 1_200,
            unchanged: 0
        }
    );
    assert_eq!(
        store.upsert_entities(&changed).await?,
        UpsertCount {
            inserted: 0,
            updated: 0,
            unchanged: 1_300
        }
    );
    assert_eq!(store.count_entities(&EntityFilter::default()).await?, 1_300);
    for i in [0, 499, 500, 1_199, 1_299] {
        let stored = store.entity(&uscc(i)?).await?;
        assert_eq!(stored.as_ref(), changed.get(i as usize), "entity {i}");
    }
    // Labels were replaced, not accumulated.
    let tagged = EntityFilter {
        tag: Some("重点".into()),
        ..EntityFilter::default()
    };
    assert_eq!(store.count_entities(&tagged).await?, 0);
    let pooled = EntityFilter {
        special_pool: Some("特种设备使用".into()),
        ..EntityFilter::default()
    };
    assert_eq!(store.count_entities(&pooled).await?, 1_300);
    assert_eq!(store.upsert_entities(&[]).await?, UpsertCount::default());
    Ok(())
}

async fn last_duplicate_in_a_batch_wins<S: Store>(store: &S) -> TestResult {
    let mut renamed = entity_fields(1)?;
    renamed.name = "最后一次出现的名称".into();
    let batch = vec![entity(1)?, entity(2)?, MarketEntity::new(renamed)?];
    assert_eq!(
        store.upsert_entities(&batch).await?,
        UpsertCount {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        store.entity(&uscc(1)?).await?.map(|e| e.name.clone()),
        Some("最后一次出现的名称".into())
    );
    Ok(())
}

async fn entity_round_trip_is_exact<S: Store>(store: &S) -> TestResult {
    let all = entities(0..60)?;
    store.upsert_entities(&all).await?;
    for e in &all {
        assert_eq!(store.entity(&e.uscc).await?.as_ref(), Some(e));
    }
    assert_eq!(store.entity(&uscc(999)?).await?, None);
    Ok(())
}

/// Licence texts are stored as written with their class; a class name as the
/// text reads back as itself; changing only the text is an update.
async fn registration_texts_round_trip<S: Store>(store: &S) -> TestResult {
    let texts = [
        "有限责任公司（自然人投资或控股）",
        "股份有限公司(非上市)",
        "个人独资企业",
        "农民专业合作社分支机构",
        "个体工商户",
        "宗教活动场所",
        "企业",
        "其他",
    ];
    let list = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut fields = entity_fields(i as u32)?;
            fields.entity_type = RegistrationType::parse(text)?;
            Ok(MarketEntity::new(fields)?)
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    store.upsert_entities(&list).await?;
    for (e, text) in list.iter().zip(texts) {
        let stored = store.entity(&e.uscc).await?.ok_or("stored")?;
        assert_eq!(stored.entity_type.text(), text);
        assert_eq!(stored.entity_type.class(), e.entity_type.class());
        assert_eq!(&stored, e);
    }
    for (class, expected) in [
        (EntityType::Enterprise, 4),
        (EntityType::IndividualBusiness, 1),
        (EntityType::Cooperative, 1),
        (EntityType::Other, 2),
    ] {
        let filter = EntityFilter {
            entity_type: Some(class),
            ..EntityFilter::default()
        };
        assert_eq!(store.count_entities(&filter).await?, expected, "{class}");
    }

    // The same class under another text is a change; the same text again is not.
    let mut renamed = list[0].clone().into_fields();
    renamed.entity_type = RegistrationType::parse("有限责任公司(自然人独资)")?;
    let renamed = MarketEntity::new(renamed)?;
    let written = store
        .upsert_entities(std::slice::from_ref(&renamed))
        .await?;
    assert_eq!((written.updated, written.unchanged), (1, 0));
    let written = store
        .upsert_entities(std::slice::from_ref(&renamed))
        .await?;
    assert_eq!((written.updated, written.unchanged), (0, 1));
    assert_eq!(store.entity(&renamed.uscc).await?, Some(renamed));
    Ok(())
}

async fn search_finds_by_name_and_by_code<S: Store>(store: &S) -> TestResult {
    let mut list = entities(0..50)?;
    let mut special = entity_fields(100)?;
    special.name = "黄石市100%纯_净水ABC有限公司".into();
    list.push(MarketEntity::new(special)?);
    store.upsert_entities(&list).await?;

    let search = |text: &str| EntityFilter {
        text: Some(text.into()),
        ..EntityFilter::default()
    };
    // By name substring.
    let found = store
        .search_entities(&search("17号测试"), &PageRequest::first(100))
        .await?;
    assert_eq!(codes(&found.items), vec![uscc(17)?.to_string()]);
    assert_eq!(store.count_entities(&search("测试商贸")).await?, 50);
    // By full code and by prefix, upper or lower case.
    let code = uscc(23)?.to_string();
    let found = store
        .search_entities(&search(&code), &PageRequest::first(100))
        .await?;
    assert_eq!(codes(&found.items), vec![code.clone()]);
    let found = store
        .search_entities(&search(&code.to_lowercase()), &PageRequest::first(100))
        .await?;
    assert_eq!(codes(&found.items), vec![code.clone()]);
    assert_eq!(store.count_entities(&search(&code[..16])).await?, 1);
    assert_eq!(store.count_entities(&search("91420202000000")).await?, 50);
    // ASCII letters in names match in any case; LIKE metacharacters are literal.
    assert_eq!(store.count_entities(&search("abc")).await?, 1);
    assert_eq!(store.count_entities(&search("100%")).await?, 1);
    assert_eq!(store.count_entities(&search("%")).await?, 1);
    assert_eq!(store.count_entities(&search("纯_净")).await?, 1);
    assert_eq!(store.count_entities(&search("_")).await?, 1);
    assert_eq!(store.count_entities(&search("不存在的名称")).await?, 0);
    // Blank text does not filter.
    assert_eq!(store.count_entities(&search("  ")).await?, 51);
    Ok(())
}

async fn filters_narrow_and_counts_agree<S: Store>(store: &S) -> TestResult {
    let all = entities(0..300)?;
    store.upsert_entities(&all).await?;
    let district = DistrictCode::parse("420222")?;
    let filters = vec![
        (
            EntityFilter {
                district: Some(district.clone()),
                ..EntityFilter::default()
            },
            all.iter().filter(|e| e.district == district).count(),
        ),
        (
            EntityFilter {
                industry: Some(IndustryFilter::Section('C')),
                ..EntityFilter::default()
            },
            all.iter()
                .filter(|e| e.industry.as_ref().is_some_and(|i| i.section() == 'C'))
                .count(),
        ),
        (
            EntityFilter {
                industry: Some(IndustryFilter::Code(IndustryCode::parse("52")?)),
                ..EntityFilter::default()
            },
            all.iter()
                .filter(|e| {
                    e.industry
                        .as_ref()
                        .is_some_and(|i| i.as_str().starts_with("52"))
                })
                .count(),
        ),
        (
            EntityFilter {
                entity_type: Some(EntityType::IndividualBusiness),
                ..EntityFilter::default()
            },
            all.iter()
                .filter(|e| e.entity_type.class() == EntityType::IndividualBusiness)
                .count(),
        ),
        (
            EntityFilter {
                status: Some(EntityStatus::Revoked),
                ..EntityFilter::default()
            },
            all.iter()
                .filter(|e| e.status == EntityStatus::Revoked)
                .count(),
        ),
        (
            EntityFilter {
                credit_class: Some(ClassFilter::Class(CreditClass::D)),
                ..EntityFilter::default()
            },
            all.iter()
                .filter(|e| e.credit.map(|c| c.class) == Some(CreditClass::D))
                .count(),
        ),
        (
            EntityFilter {
                credit_class: Some(ClassFilter::Unclassified),
                ..EntityFilter::default()
            },
            all.iter().filter(|e| e.credit.is_none()).count(),
        ),
        (
            EntityFilter {
                special_pool: Some("食品生产".into()),
                ..EntityFilter::default()
            },
            all.iter()
                .filter(|e| e.special_pools.iter().any(|p| p == "食品生产"))
                .count(),
        ),
        (
            EntityFilter {
                tag: Some("标签二".into()),
                district: Some(district.clone()),
                ..EntityFilter::default()
            },
            all.iter()
                .filter(|e| e.district == district && e.tags.iter().any(|t| t == "标签二"))
                .count(),
        ),
        (
            EntityFilter {
                uscc_warning: Some(true),
                ..EntityFilter::default()
            },
            0,
        ),
        (
            EntityFilter {
                uscc_warning: Some(false),
                ..EntityFilter::default()
            },
            300,
        ),
    ];
    for (filter, expected) in filters {
        assert!(
            expected > 0 || filter.uscc_warning.is_some(),
            "test data covers {filter:?}"
        );
        assert_eq!(
            store.count_entities(&filter).await?,
            expected as u64,
            "{filter:?}"
        );
        let listed = all_pages(store, &filter, 13).await?;
        assert_eq!(listed.len(), expected, "{filter:?}");
    }
    Ok(())
}

async fn paging_is_stable_and_complete<S: Store>(store: &S) -> TestResult {
    // Insert in scrambled order; pages come back in code order.
    let mut order: Vec<u32> = (0..1_000).collect();
    order.sort_by_key(|i| (i * 7919) % 1_000);
    let list = order
        .iter()
        .map(|&i| entity(i))
        .collect::<Result<Vec<_>, _>>()?;
    store.upsert_entities(&list).await?;
    let expected: Vec<String> = (0..1_000)
        .map(|i| uscc(i).map(|u| u.to_string()))
        .collect::<Result<_, _>>()?;
    for limit in [1_000, 7, 333, 1_001] {
        let paged = all_pages(store, &EntityFilter::default(), limit).await?;
        assert_eq!(codes(&paged), expected, "limit {limit}");
    }
    // A page exactly at the end has no next cursor.
    let page = store
        .search_entities(&EntityFilter::default(), &PageRequest::first(1_000))
        .await?;
    assert_eq!((page.items.len(), page.next), (1_000, None));

    // Changes while paging neither repeat nor skip the records present throughout.
    let mut seen = Vec::new();
    let mut request = PageRequest::first(100);
    let mut round = 0;
    loop {
        let page = store
            .search_entities(&EntityFilter::default(), &request)
            .await?;
        seen.extend(codes(&page.items));
        round += 1;
        if round == 3 {
            // New records before and after the cursor, and an update of an unseen one.
            store.upsert_entities(&entities(5_000..5_010)?).await?;
            let mut renamed = entity_fields(900)?;
            renamed.name = "翻页中更名".into();
            store
                .upsert_entities(&[MarketEntity::new(renamed)?])
                .await?;
        }
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no record appears twice");
    for code in &expected {
        assert!(seen.contains(code), "{code} was skipped");
    }
    // Offsetless cursors are plain codes: resuming from any code works.
    let resumed = store
        .search_entities(
            &EntityFilter::default(),
            &PageRequest {
                after: Some(expected[997].clone()),
                limit: 10,
            },
        )
        .await?;
    assert_eq!(codes(&resumed.items)[..2], expected[998..]);
    Ok(())
}

async fn bad_page_sizes_are_errors<S: Store>(store: &S) -> TestResult {
    for limit in [0, storage::MAX_PAGE + 1] {
        let result = store
            .search_entities(&EntityFilter::default(), &PageRequest::first(limit))
            .await;
        assert!(
            matches!(result, Err(StoreError::BadPage(l)) if l == limit),
            "{result:?}"
        );
    }
    Ok(())
}

async fn missing_references_are_clear_errors<S: Store>(store: &S) -> TestResult {
    seed_departments(store).await?;
    let mut stray = entity_fields(7)?;
    stray.district = DistrictCode::parse("110105")?;
    let result = store
        .upsert_entities(&[entity(1)?, MarketEntity::new(stray)?])
        .await;
    match result {
        Err(StoreError::MissingReference {
            record,
            field,
            value,
            directory,
        }) => {
            assert_eq!(
                (record, field, value.as_str(), directory),
                (uscc(7)?.to_string(), "district", "110105", "districts")
            );
        }
        other => return Err(format!("expected MissingReference, got {other:?}").into()),
    }
    assert_eq!(
        store.count_entities(&EntityFilter::default()).await?,
        0,
        "the batch was rolled back"
    );

    let result = store.upsert_inspectors(&[inspector(1, "NOSUCH")?]).await;
    assert!(
        matches!(&result, Err(StoreError::MissingReference { field: "department", value, .. }) if value == "NOSUCH"),
        "{result:?}"
    );
    let message = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("NOSUCH") && message.contains("department"),
        "{message}"
    );

    store.upsert_entities(&[entity(1)?]).await?;
    store.upsert_inspectors(&[inspector(1, "SJGJ")?]).await?;
    let recusal = Recusal::new(CertificateNo::parse("HB000001")?, uscc(2)?, "亲属关系")?;
    let result = store.upsert_recusals(&[recusal]).await;
    assert!(
        matches!(
            &result,
            Err(StoreError::MissingReference {
                field: "entity",
                ..
            })
        ),
        "{result:?}"
    );
    let recusal = Recusal::new(CertificateNo::parse("NOBODY")?, uscc(1)?, "亲属关系")?;
    let result = store.upsert_recusals(&[recusal]).await;
    assert!(
        matches!(
            &result,
            Err(StoreError::MissingReference {
                field: "inspector",
                ..
            })
        ),
        "{result:?}"
    );

    let result = store.upsert_items(&[item("SJ-001", "NOSUCH")?]).await;
    assert!(
        matches!(
            &result,
            Err(StoreError::MissingReference {
                field: "department",
                ..
            })
        ),
        "{result:?}"
    );
    let result = store
        .upsert_joint_items(&[joint_item("LH-001", "SJGJ", &["NOSUCH"])?])
        .await;
    assert!(
        matches!(&result, Err(StoreError::MissingReference { field: "cooperating", value, .. }) if value == "NOSUCH"),
        "{result:?}"
    );
    assert_eq!(store.items(None).await?.len(), 0);
    assert_eq!(store.joint_items(None).await?.len(), 0);
    Ok(())
}

async fn duplicate_department_names_are_clear_errors<S: Store>(store: &S) -> TestResult {
    seed_departments(store).await?;
    let result = store
        .upsert_departments(&[department("SJJ2", "黄石市市场监督管理局")?])
        .await;
    assert!(
        matches!(&result, Err(StoreError::Duplicate { what: "department name", value }) if value == "黄石市市场监督管理局"),
        "{result:?}"
    );
    let result = store
        .upsert_departments(&[department("A1", "同名局")?, department("A2", "同名局")?])
        .await;
    assert!(
        matches!(&result, Err(StoreError::Duplicate { value, .. }) if value == "同名局"),
        "{result:?}"
    );
    assert_eq!(store.departments().await?.len(), 3);
    // Renaming a department to its own name again is fine.
    store
        .upsert_departments(&[department("SJGJ", "黄石市市场监督管理局")?])
        .await?;
    Ok(())
}

async fn failed_batch_leaves_the_old_state<S: Store>(store: &S) -> TestResult {
    let before = entities(0..600)?;
    store.upsert_entities(&before).await?;
    // 1,500 records: updates of the 600 and 900 new ones, spanning several
    // chunks; the record at 1,300 refers to an unknown district, so it fails
    // after earlier chunks were written inside the transaction.
    let batch = (0..1_500)
        .map(|i| {
            let mut f = entity_fields(i)?;
            f.name = format!("批次中的名称{i}");
            f.tags = vec!["批次".into()];
            if i == 1_300 {
                f.district = DistrictCode::parse("420299")?;
            }
            Ok(MarketEntity::new(f)?)
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    let result = store.upsert_entities(&batch).await;
    assert!(
        matches!(&result, Err(StoreError::MissingReference { value, .. }) if value == "420299"),
        "{result:?}"
    );
    assert_eq!(store.count_entities(&EntityFilter::default()).await?, 600);
    let after = all_pages(store, &EntityFilter::default(), 1_000).await?;
    let mut expected = before.clone();
    expected.sort_by_key(|e| e.uscc);
    assert_eq!(
        after, expected,
        "every old record unchanged, labels included"
    );
    assert_eq!(
        store
            .count_entities(&EntityFilter {
                tag: Some("批次".into()),
                ..EntityFilter::default()
            })
            .await?,
        0
    );
    // The store is usable afterwards, and the corrected batch goes through.
    let fixed: Vec<MarketEntity> = batch
        .into_iter()
        .filter(|e| e.uscc != uscc(1_300).unwrap_or(e.uscc))
        .collect();
    assert_eq!(
        store.upsert_entities(&fixed).await?,
        UpsertCount {
            inserted: 899,
            updated: 600,
            unchanged: 0
        }
    );
    Ok(())
}

async fn unicode_round_trips<S: Store>(store: &S) -> TestResult {
    let names = [
        "𠮷野家（黄石）餐饮管理有限公司", // CJK extension B, outside the BMP
        "买买提·艾力个体工商户",          // middle dot in a Uyghur name
        "黄石市ＡＢＣ全角字符商行",       // full-width Latin
        "😀表情符号小吃店",               // emoji
        "Café «Le Déjà-vu» 黄石店",       // Latin accents and guillemets
        "鑫鑫鑫 — 龘靐齉爩 «»‹› 「」『』", // rare characters and brackets
        "O'Brien & 子 \"引号\" 商行; DROP TABLE entities; --",
    ];
    let list = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut f = entity_fields(i as u32)?;
            f.name = (*name).to_owned();
            f.address = Some(format!("{name}·地址"));
            f.legal_representative = Some("欧阳·娜娜".into());
            f.tags = vec!["𠮷".into(), "标签 with spaces".into()];
            Ok(MarketEntity::new(f)?)
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    store.upsert_entities(&list).await?;
    for e in &list {
        assert_eq!(store.entity(&e.uscc).await?.as_ref(), Some(e));
    }
    let found = store
        .search_entities(
            &EntityFilter {
                text: Some("𠮷野家".into()),
                ..EntityFilter::default()
            },
            &PageRequest::first(10),
        )
        .await?;
    assert_eq!(found.items.len(), 1);
    assert_eq!(
        store
            .count_entities(&EntityFilter {
                tag: Some("𠮷".into()),
                ..EntityFilter::default()
            })
            .await?,
        7
    );
    assert_eq!(
        store
            .count_entities(&EntityFilter {
                text: Some("DROP TABLE".into()),
                ..EntityFilter::default()
            })
            .await?,
        1
    );
    Ok(())
}

async fn dates_round_trip<S: Store>(store: &S) -> TestResult {
    let dates = [
        date(1900, 1, 1)?,
        date(2000, 2, 29)?,
        date(2024, 12, 31)?,
        date(2099, 12, 31)?,
    ];
    let list = dates
        .iter()
        .enumerate()
        .map(|(i, &registered_on)| {
            let mut f = entity_fields(i as u32)?;
            f.registered_on = registered_on;
            f.credit = Some(CreditRating {
                class: CreditClass::C,
                set_on: registered_on,
            });
            Ok(MarketEntity::new(f)?)
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    store.upsert_entities(&list).await?;
    for e in &list {
        let stored = store.entity(&e.uscc).await?.ok_or("missing")?;
        assert_eq!(stored.registered_on, e.registered_on);
        assert_eq!(stored.credit, e.credit);
    }
    seed_departments(store).await?;
    let mut f = inspector(0, "SJGJ")?.into_fields();
    f.cert_valid_from = date(2000, 2, 29)?;
    f.cert_valid_until = date(2099, 12, 31)?;
    let one = Inspector::new(f)?;
    store.upsert_inspectors(std::slice::from_ref(&one)).await?;
    assert_eq!(store.inspector(&one.cert_no).await?.as_ref(), Some(&one));
    // Date comparisons in filters are by date, not by text.
    let on = |d| InspectorFilter {
        certified_on: Some(d),
        ..InspectorFilter::default()
    };
    assert_eq!(store.count_inspectors(&on(date(2000, 2, 29)?)).await?, 1);
    assert_eq!(store.count_inspectors(&on(date(2000, 2, 28)?)).await?, 0);
    assert_eq!(store.count_inspectors(&on(date(2099, 12, 31)?)).await?, 1);
    Ok(())
}

async fn pilot_era_codes_keep_their_warning<S: Store>(store: &S) -> TestResult {
    let (code, warning) = Uscc::parse_lenient("91350100M0001TGQXM")?;
    assert!(warning.is_some());
    let mut f = entity_fields(1)?;
    f.uscc = code;
    let pilot = MarketEntity::new(f)?;
    store.upsert_entities(&[pilot.clone(), entity(2)?]).await?;
    let stored = store
        .entity(&code)
        .await?
        .ok_or("pilot-era entity missing")?;
    assert_eq!(stored, pilot);
    assert!(stored.uscc_warning().is_some());
    let warned = store
        .search_entities(
            &EntityFilter {
                uscc_warning: Some(true),
                ..EntityFilter::default()
            },
            &PageRequest::first(10),
        )
        .await?;
    assert_eq!(codes(&warned.items), vec!["91350100M0001TGQXM".to_owned()]);
    Ok(())
}

async fn inspectors_round_trip_and_filter<S: Store>(store: &S) -> TestResult {
    seed_departments(store).await?;
    let list = (0..40)
        .map(|i| inspector(i, if i % 2 == 0 { "SJGJ" } else { "YJJ" }))
        .collect::<Result<Vec<_>, _>>()?;
    assert_eq!(
        store.upsert_inspectors(&list).await?,
        UpsertCount {
            inserted: 40,
            updated: 0,
            unchanged: 0
        }
    );
    for one in &list {
        assert_eq!(store.inspector(&one.cert_no).await?.as_ref(), Some(one));
    }
    let all = InspectorFilter::default();
    assert_eq!(store.count_inspectors(&all).await?, 40);
    let by = |f: InspectorFilter| f;
    let sjgj = by(InspectorFilter {
        department: Some(DepartmentCode::parse("SJGJ")?),
        ..all.clone()
    });
    assert_eq!(store.count_inspectors(&sjgj).await?, 20);
    let food = by(InspectorFilter {
        field: Some("食品安全".into()),
        ..all.clone()
    });
    assert_eq!(store.count_inspectors(&food).await?, 20);
    let daye = by(InspectorFilter {
        district: Some(DistrictCode::parse("420281")?),
        ..all.clone()
    });
    assert_eq!(
        store.count_inspectors(&daye).await?,
        list.iter().filter(|i| i.district.is_some()).count() as u64
    );
    let valid_2025 = by(InspectorFilter {
        certified_on: Some(date(2025, 6, 1)?),
        ..all.clone()
    });
    assert_eq!(
        store.count_inspectors(&valid_2025).await?,
        list.iter()
            .filter(|i| i.is_certified_on(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default()))
            .count() as u64
    );
    let named = by(InspectorFilter {
        text: Some("检查员1".into()),
        ..all.clone()
    });
    assert_eq!(store.count_inspectors(&named).await?, 11); // 1, 10–19
    let by_cert = by(InspectorFilter {
        text: Some("hb00003".into()),
        ..all.clone()
    });
    assert_eq!(store.count_inspectors(&by_cert).await?, 10); // HB000030–HB000039

    // Paging is complete and ordered.
    let mut seen = Vec::new();
    let mut request = PageRequest::first(6);
    loop {
        let page = store.search_inspectors(&all, &request).await?;
        seen.extend(page.items.iter().map(|i| i.cert_no.as_str().to_owned()));
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<String> = list.iter().map(|i| i.cert_no.as_str().to_owned()).collect();
    expected.sort();
    assert_eq!(seen, expected);

    // Update converges; qualified fields are replaced.
    let mut f = list[0].clone().into_fields();
    f.name = "更名后的检查员".into();
    f.fields = vec!["网络交易".into()];
    f.department = DepartmentCode::parse("WJW")?;
    let updated = Inspector::new(f)?;
    assert_eq!(
        store
            .upsert_inspectors(std::slice::from_ref(&updated))
            .await?,
        UpsertCount {
            inserted: 0,
            updated: 1,
            unchanged: 0
        }
    );
    assert_eq!(
        store.inspector(&updated.cert_no).await?.as_ref(),
        Some(&updated)
    );
    assert_eq!(store.count_inspectors(&food).await?, 19);
    assert_eq!(store.count_inspectors(&all).await?, 40);
    Ok(())
}

/// `entities_in` and `inspectors_in`: a page's codes in one query each, the
/// records exactly as one by one, unknown and repeated codes harmless.
async fn lookups_by_a_page_of_codes<S: Store>(store: &S) -> TestResult {
    seed_departments(store).await?;
    let stored = entities(0..30)?;
    store.upsert_entities(&stored).await?;
    let inspectors = (0..10)
        .map(|i| inspector(i, "SJGJ"))
        .collect::<Result<Vec<_>, _>>()?;
    store.upsert_inspectors(&inspectors).await?;
    assert!(store.entities_in(&[]).await?.is_empty());
    assert!(store.inspectors_in(&[]).await?.is_empty());
    let asked: Vec<String> = [25, 3, 3, 17]
        .iter()
        .map(|&i| uscc(i).map(|u| u.as_str().to_owned()))
        .chain([Ok(uscc(99)?.as_str().to_owned())])
        .collect::<Result<_, _>>()?;
    let found = store.entities_in(&asked).await?;
    assert_eq!(found, vec![entity(3)?, entity(17)?, entity(25)?]);
    let certs: Vec<String> = ["HB000007", "HB000002", "HB999999"]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    let found = store.inspectors_in(&certs).await?;
    assert_eq!(found, vec![inspectors[2].clone(), inspectors[7].clone()]);
    Ok(())
}

async fn recusals_round_trip_and_page<S: Store>(store: &S) -> TestResult {
    seed_departments(store).await?;
    store.upsert_entities(&entities(0..10)?).await?;
    store
        .upsert_inspectors(
            &(0..5)
                .map(|i| inspector(i, "SJGJ"))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .await?;
    let mut list = Vec::new();
    for i in 0..5u32 {
        for j in 0..(i + 1) {
            list.push(Recusal::new(
                CertificateNo::parse(&format!("HB{i:06}"))?,
                uscc(j * 2)?,
                &format!("近亲属在{j}号单位任职"),
            )?);
        }
    }
    assert_eq!(
        store.upsert_recusals(&list).await?,
        UpsertCount {
            inserted: 15,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(store.count_recusals().await?, 15);
    let of_entity = store.recusals_of_entity(&uscc(0)?).await?;
    assert_eq!(of_entity.len(), 5);
    let of_inspector = store
        .recusals_of_inspector(&CertificateNo::parse("HB000004")?)
        .await?;
    assert_eq!(of_inspector.len(), 5);
    assert_eq!(of_inspector[2].reason(), "近亲属在2号单位任职");

    let mut seen = Vec::new();
    let mut request = PageRequest::first(4);
    loop {
        let page = store.recusals(&request).await?;
        seen.extend(page.items);
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    let mut expected = list.clone();
    expected.sort_by_key(|r| (r.inspector().clone(), *r.entity()));
    assert_eq!(seen, expected);

    let changed = Recusal::new(
        CertificateNo::parse("HB000004")?,
        uscc(0)?,
        "已变更的回避理由",
    )?;
    assert_eq!(
        store.upsert_recusals(&[changed]).await?,
        UpsertCount {
            inserted: 0,
            updated: 1,
            unchanged: 0
        }
    );
    assert_eq!(
        store
            .recusals_of_inspector(&CertificateNo::parse("HB000004")?)
            .await?[0]
            .reason(),
        "已变更的回避理由"
    );
    assert_eq!(store.count_recusals().await?, 15);
    Ok(())
}

async fn items_and_joint_items_round_trip<S: Store>(store: &S) -> TestResult {
    seed_departments(store).await?;
    let items = vec![
        item("SJ-002", "SJGJ")?,
        item("SJ-001", "SJGJ")?,
        item("YJ-001", "YJJ")?,
    ];
    assert_eq!(
        store.upsert_items(&items).await?,
        UpsertCount {
            inserted: 3,
            updated: 0,
            unchanged: 0
        }
    );
    let stored = store.items(None).await?;
    assert_eq!(
        stored.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
        vec!["SJ-001", "SJ-002", "YJ-001"]
    );
    assert_eq!(
        store.item(&ItemCode::parse("SJ-002")?).await?.as_ref(),
        Some(&items[0])
    );
    assert_eq!(
        store.items(Some(&DepartmentCode::parse("YJJ")?)).await?,
        vec![items[2].clone()]
    );
    let mut f = items[0].clone().into_fields();
    f.ratio = RatioBp::new(2_000)?;
    f.frequency = Frequency::new(4, Period::Quarter)?;
    f.methods = vec![CheckMethod::Online, CheckMethod::DepartmentOpinion];
    let changed = InspectionItem::new(f)?;
    assert_eq!(
        store.upsert_items(std::slice::from_ref(&changed)).await?,
        UpsertCount {
            inserted: 0,
            updated: 1,
            unchanged: 0
        }
    );
    assert_eq!(store.item(&changed.code).await?.as_ref(), Some(&changed));

    let joint = vec![
        joint_item("LH-001", "SJGJ", &["WJW", "YJJ"])?,
        joint_item("LH-002", "YJJ", &["SJGJ"])?,
    ];
    assert_eq!(
        store.upsert_joint_items(&joint).await?,
        UpsertCount {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(store.joint_items(None).await?, joint);
    assert_eq!(
        store
            .joint_items(Some(&DepartmentCode::parse("WJW")?))
            .await?,
        vec![joint[0].clone()]
    );
    assert_eq!(
        store
            .joint_items(Some(&DepartmentCode::parse("YJJ")?))
            .await?
            .len(),
        2
    );
    let moved = joint_item("LH-001", "SJGJ", &["YJJ"])?;
    store
        .upsert_joint_items(std::slice::from_ref(&moved))
        .await?;
    assert_eq!(store.joint_item(&moved.code).await?.as_ref(), Some(&moved));
    assert!(
        store
            .joint_items(Some(&DepartmentCode::parse("WJW")?))
            .await?
            .is_empty(),
        "cooperating departments replaced"
    );
    Ok(())
}

async fn departments_and_districts_round_trip<S: Store>(store: &S) -> TestResult {
    let departments = vec![
        department("SJGJ", "黄石市市场监督管理局")?,
        Department::new(DepartmentFields::new(
            DepartmentCode::parse("DY-SJJ")?,
            "大冶市市场监督管理局",
            DepartmentLevel::County,
            None,
        ))?,
    ];
    assert_eq!(
        store.upsert_departments(&departments).await?,
        UpsertCount {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let mut expected = departments.clone();
    expected.sort_by_key(|d| d.code().clone());
    assert_eq!(store.departments().await?, expected);
    assert_eq!(
        store
            .department(&DepartmentCode::parse("DY-SJJ")?)
            .await?
            .as_ref(),
        Some(&departments[1])
    );
    assert_eq!(
        store.department(&DepartmentCode::parse("NONE")?).await?,
        None
    );
    let renamed = department("SJGJ", "黄石市市场监管局")?;
    assert_eq!(
        store
            .upsert_departments(std::slice::from_ref(&renamed))
            .await?,
        UpsertCount {
            inserted: 0,
            updated: 1,
            unchanged: 0
        }
    );
    assert_eq!(
        store.department(renamed.code()).await?.as_ref(),
        Some(&renamed)
    );

    let district = District::new(DistrictCode::parse("420202")?, "黄石港区（更名）")?;
    let new = District::new(DistrictCode::parse("420299")?, "开发区")?;
    assert_eq!(
        store
            .upsert_districts(&[district.clone(), new.clone()])
            .await?,
        UpsertCount {
            inserted: 1,
            updated: 1,
            unchanged: 0
        }
    );
    let stored = store.districts().await?;
    assert_eq!(stored.len(), 8);
    assert!(stored.contains(&district) && stored.contains(&new));
    Ok(())
}

async fn export_iterates_everything<S: Store>(store: &S) -> TestResult {
    store.upsert_entities(&entities(0..1_234)?).await?;
    let mut exported = Vec::new();
    let mut batches = 0;
    let mut entities_export = export::Entities::new(store, EntityFilter::default(), 100);
    while let Some(batch) = entities_export.next_batch().await? {
        assert!(!batch.is_empty() && batch.len() <= 100);
        batches += 1;
        exported.extend(batch);
    }
    assert_eq!(batches, 13);
    let expected: Vec<String> = (0..1_234)
        .map(|i| uscc(i).map(|u| u.to_string()))
        .collect::<Result<_, _>>()?;
    assert_eq!(codes(&exported), expected);
    assert!(
        entities_export.next_batch().await?.is_none(),
        "stays finished"
    );

    seed_departments(store).await?;
    store
        .upsert_inspectors(
            &(0..25)
                .map(|i| inspector(i, "WJW"))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .await?;
    let mut inspectors_export = export::Inspectors::new(store, InspectorFilter::default(), 10);
    let mut count = 0;
    while let Some(batch) = inspectors_export.next_batch().await? {
        count += batch.len();
    }
    assert_eq!(count, 25);
    let mut recusals_export = export::Recusals::new(store, 10);
    assert!(
        recusals_export.next_batch().await?.is_none(),
        "an empty directory exports nothing"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Backend-specific checks (not part of the contract).

#[test]
fn sqlite_uses_wal_and_foreign_keys() -> TestResult {
    on_sqlite("contract", "pragmas", |db| async move {
        let Db::Sqlite(store) = &db else {
            return Err("not SQLite".into());
        };
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await?;
        assert_eq!(mode, "wal");
        let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(store.pool())
            .await?;
        assert_eq!(keys, 1);
        Ok(())
    })
}

#[test]
fn open_chooses_the_backend_from_the_url() -> TestResult {
    runtime()?.block_on(async {
        let result = storage::open("mysql://user:secret@localhost/db").await;
        let message = result
            .as_ref()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            matches!(result, Err(StoreError::BadUrl { .. })),
            "{message}"
        );
        assert!(
            message.contains("mysql") && !message.contains("secret"),
            "{message}"
        );
        assert!(matches!(
            storage::open("  ").await,
            Err(StoreError::BadUrl { .. })
        ));
        // A refused connection fails at once with the reason, not after a time-out.
        let started = std::time::Instant::now();
        let result = storage::open("postgres://nobody:secret@127.0.0.1:9/none").await;
        assert!(
            matches!(result, Err(StoreError::Connect { .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let memory = storage::open("sqlite::memory:").await?;
        assert_eq!(memory.backend(), Backend::Sqlite);
        crate::common::migrate_and_set_up(&memory).await?;
        assert_eq!(memory.districts().await?.len(), 7);
        Ok(())
    })
}
