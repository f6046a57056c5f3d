//! The synthetic credit data: the matters catalogue, the list entries and the
//! applicant files are deterministic, their identifiers valid, and the city's
//! lists import with the expected counts.

use std::collections::{HashMap, HashSet};

use domain::credit::{ListType, SubjectKind};
use domain::idcard::IdCardNo;
use domain::uscc::Uscc;
use sim::synth::credit::{self, BENCH_AS_OF, DOMAINS, Lists};
use sim::synth::{City, CityParams};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn small_city() -> City {
    City::generate(&CityParams {
        entities: 2_000,
        ..CityParams::huangshi()
    })
}

fn valid(kind: SubjectKind, id: &str) -> bool {
    match kind {
        SubjectKind::Enterprise => Uscc::parse(id).is_ok(),
        SubjectKind::Person => IdCardNo::parse(id).is_ok(),
    }
}

#[test]
fn the_catalogue_has_425_matters_in_10_domains_with_consistent_rules() -> TestResult {
    let matters = credit::matters();
    assert_eq!(matters.len(), 425);
    assert_eq!(DOMAINS.iter().map(|d| d.matters).sum::<usize>(), 425);
    let mut by_domain: HashMap<&str, usize> = HashMap::new();
    for m in &matters {
        *by_domain.entry(m.domain).or_default() += 1;
    }
    assert_eq!(by_domain.len(), 10);
    for domain in &DOMAINS {
        assert_eq!(
            by_domain.get(domain.name),
            Some(&domain.matters),
            "{}",
            domain.name
        );
    }
    let codes: HashSet<&str> = matters.iter().map(|m| m.code.as_str()).collect();
    let names: HashSet<&str> = matters.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        (codes.len(), names.len()),
        (425, 425),
        "codes and names are unique"
    );
    for m in &matters {
        let mut types: Vec<_> = m.block.iter().chain(&m.warn).chain(&m.reward).collect();
        let all = types.len();
        types.sort_by_key(|t| t.name_zh());
        types.dedup();
        assert_eq!(types.len(), all, "{}: a list type has one effect", m.code);
        assert!(all > 0, "{}: the rule names some list", m.code);
        assert!(
            m.department.name.starts_with("黄石") || m.department.name.contains("黄石市"),
            "{}",
            m.department.name
        );
    }
    // 黑名单谨慎用: the black list blocks in most matters but not all; 红名单大胆用.
    let blocking = matters
        .iter()
        .filter(|m| m.block.contains(&ListType::Blacklist))
        .count();
    assert!((300..425).contains(&blocking), "{blocking}");
    let rewarding = matters
        .iter()
        .filter(|m| m.reward.contains(&ListType::Redlist))
        .count();
    assert!(rewarding > 300, "{rewarding}");

    let mut first = Vec::new();
    credit::write_matters_csv(&matters, &mut first)?;
    let mut second = Vec::new();
    credit::write_matters_csv(&credit::matters(), &mut second)?;
    assert_eq!(first, second, "same seed, same bytes");
    let text = String::from_utf8(first)?;
    assert!(text.starts_with("事项编码,事项名称,领域,主管部门,阻断名单,警示名单,激励名单\n"));
    assert_eq!(text.lines().count(), 426);
    Ok(())
}

#[test]
fn national_entries_are_deterministic_valid_and_varied() -> TestResult {
    let lists = Lists::national(5_000);
    let mut first = Vec::new();
    assert_eq!(
        credit::write_entries_csv(lists.entries(), &mut first)?,
        5_000
    );
    let mut second = Vec::new();
    credit::write_entries_csv(Lists::national(5_000).entries(), &mut second)?;
    assert_eq!(first, second, "same seed, same bytes");
    assert_eq!(String::from_utf8(first)?.lines().count(), 5_001);

    let mut keys = HashSet::new();
    let mut subjects: HashMap<String, String> = HashMap::new();
    let (mut persons, mut open_ended, mut expired, mut future) = (0, 0, 0, 0);
    for e in lists.entries() {
        assert!(valid(e.subject.kind, &e.subject.id), "{}", e.subject.id);
        assert!(
            keys.insert((e.subject.id.clone(), e.list_type, e.listed_on)),
            "no duplicate entry"
        );
        let name = subjects
            .entry(e.subject.id.clone())
            .or_insert_with(|| e.subject.name.clone());
        assert_eq!(name, &e.subject.name, "a subject keeps its name");
        persons += usize::from(e.subject.kind == SubjectKind::Person);
        open_ended += usize::from(e.valid_until.is_none());
        expired += usize::from(e.valid_until.is_some_and(|d| d < BENCH_AS_OF));
        future += usize::from(e.listed_on > BENCH_AS_OF);
        assert!(e.valid_until.is_none_or(|d| d >= e.listed_on), "{e:?}");
        assert!(!e.authority.is_empty() && !e.reason.is_empty());
    }
    assert_eq!(subjects.len() as u64, lists.subjects());
    assert!(
        (500..1_500).contains(&persons),
        "about a fifth are persons: {persons}"
    );
    assert!(
        open_ended > 500 && expired > 500 && future > 100,
        "{open_ended} {expired} {future}"
    );
    Ok(())
}

#[test]
fn city_entries_hit_the_city_and_applicants_are_a_tenth_listed() -> TestResult {
    let city = small_city();
    let lists = Lists::city(&city, 3_000);
    let codes: HashSet<&str> = city.entities.iter().map(|e| e.uscc.as_str()).collect();
    let mut local = 0;
    for e in lists.entries() {
        assert!(valid(e.subject.kind, &e.subject.id), "{}", e.subject.id);
        assert_eq!(e.subject.local, codes.contains(e.subject.id.as_str()));
        local += usize::from(e.subject.local);
        assert!(
            e.authority.contains("黄石") || e.authority.contains("人民法院"),
            "{}",
            e.authority
        );
    }
    assert!(
        (600..1_400).contains(&local),
        "about a third on the city's entities: {local}"
    );

    let applicants = lists.applicants(2_000);
    assert_eq!(applicants, lists.applicants(2_000), "deterministic");
    let listed: HashSet<String> = lists.entries().map(|e| e.subject.id).collect();
    let hits = applicants.iter().filter(|a| listed.contains(&a.id)).count();
    assert!((140..260).contains(&hits), "about a tenth listed: {hits}");
    let malformed = applicants
        .iter()
        .filter(|a| !valid(SubjectKind::Enterprise, &a.id) && !valid(SubjectKind::Person, &a.id))
        .count();
    assert!((3..30).contains(&malformed), "a few malformed: {malformed}");
    let ids: HashSet<&str> = applicants.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), applicants.len());
    Ok(())
}

#[test]
fn the_city_lists_and_the_catalogue_import_with_the_expected_counts() -> TestResult {
    use storage::Store as _;
    use storage::credit::CreditStore as _;
    let city = small_city();
    let lists = Lists::city(&city, 1_500);
    let dir = std::env::temp_dir().join(format!("jianguan-credit-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let entries_file = dir.join("lists.csv");
    credit::write_entries_csv(lists.entries(), std::fs::File::create(&entries_file)?)?;
    let matters_file = dir.join("matters.csv");
    credit::write_matters_csv(&credit::matters(), std::fs::File::create(&matters_file)?)?;
    let database = dir.join("credit.sqlite3");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome: TestResult = runtime.block_on(async {
        let db = storage::open(&database.display().to_string()).await?;
        db.migrate().await?;
        let matters = service::credit::import_matters_file(&db, &matters_file, "test").await?;
        assert_eq!(
            (matters.outcome.inserted, matters.outcome.rejected()),
            (425, 0)
        );
        let first =
            service::credit::import_credit_file(&db, &entries_file, "test", false, None).await?;
        assert_eq!(
            (
                first.outcome.inserted,
                first.outcome.updated,
                first.outcome.rejected()
            ),
            (1_500, 0, 0)
        );
        assert_eq!(db.count_credit_entries().await?, 1_500);
        let again =
            service::credit::import_credit_file(&db, &entries_file, "test", false, None).await?;
        assert_eq!(
            (
                again.outcome.inserted,
                again.outcome.updated,
                again.outcome.rejected()
            ),
            (0, 0, 0)
        );
        db.close().await;
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}
