//! 信用修复 and 信用信息公示 over the web: the public page shows enterprises'
//! bad-credit entries published today and never persons', expired or repaired
//! ones; the credit office files and reviews requests (refused a day early,
//! with the date); departments see their own listings' requests only.

use chrono::{Days, NaiveDate};
use domain::account::Role;
use domain::credit::{CreditEntry, ListType, Severity, Subject};
use domain::idcard::check_character;
use domain::uscc::Uscc;
use storage::{self, Store, credit::CreditStore};

use crate::common::web::{TestServer, add_account};

/// The entries of the test, relative to today.
struct Fixture {
    /// 一般 penalty, found 200 days ago: published, repair open.
    open: CreditEntry,
    /// 轻微 penalty, found 120 days ago: publication ended.
    expired: CreditEntry,
    /// 严重 blacklist entry, repaired 10 days ago.
    repaired: CreditEntry,
    /// A person's 一般 penalty: published, never on the portal.
    person: CreditEntry,
    /// 经营异常名录 without severity or end: published.
    abnormal: CreditEntry,
    /// 红名单: not a bad-credit list, not on this page.
    red: CreditEntry,
    /// 一般 penalty found 30 days ago: repair not yet open.
    recent: CreditEntry,
    /// A person's 一般 penalty found 200 days ago: repair open.
    person_open: CreditEntry,
}

fn enterprise(n: u32) -> String {
    Uscc::from_body(&format!("9142020077{n:06}"))
        .unwrap_or_else(|e| panic!("{e}"))
        .as_str()
        .to_owned()
}

fn person(n: u32) -> String {
    let body = format!("42020219850505{n:03}");
    format!("{body}{}", char::from(check_character(body.as_bytes())))
}

fn entry(
    subject: &str,
    name: &str,
    list_type: ListType,
    severity: Option<Severity>,
    decided: NaiveDate,
) -> CreditEntry {
    let (subject, _) = Subject::parse(subject).unwrap_or_else(|e| panic!("{subject}: {e:?}"));
    CreditEntry {
        subject,
        subject_name: name.into(),
        list_type,
        listed_on: decided,
        valid_until: None,
        removed_on: None,
        authority: "黄石市市场监督管理局".into(),
        reason: "修复测试事由".into(),
        ref_no: format!("修复测试〔{decided}〕号"),
        severity,
        decided_on: Some(decided),
        source: "test".into(),
        details: None,
    }
}

fn fixture(today: NaiveDate) -> Fixture {
    let ago = |days: u64| today - Days::new(days);
    let mut repaired = entry(
        &enterprise(3),
        "修复测试丙公司",
        ListType::Blacklist,
        Some(Severity::Serious),
        ago(400),
    );
    repaired.removed_on = Some(ago(10));
    let mut abnormal = entry(
        &enterprise(5),
        "修复测试戊公司",
        ListType::Abnormal,
        None,
        ago(10),
    );
    abnormal.authority = "黄石市公安局".into();
    Fixture {
        open: entry(
            &enterprise(1),
            "修复测试甲公司",
            ListType::Penalty,
            Some(Severity::Ordinary),
            ago(200),
        ),
        expired: entry(
            &enterprise(2),
            "修复测试乙公司",
            ListType::Penalty,
            Some(Severity::Minor),
            ago(120),
        ),
        repaired,
        person: entry(
            &person(4),
            "修复测试丁",
            ListType::Penalty,
            Some(Severity::Ordinary),
            ago(30),
        ),
        abnormal,
        red: entry(
            &enterprise(6),
            "修复测试己公司",
            ListType::Redlist,
            None,
            ago(10),
        ),
        recent: entry(
            &enterprise(7),
            "修复测试庚公司",
            ListType::Penalty,
            Some(Severity::Ordinary),
            ago(30),
        ),
        person_open: entry(
            &person(8),
            "修复测试辛",
            ListType::Penalty,
            Some(Severity::Ordinary),
            ago(200),
        ),
    }
}

fn all(f: &Fixture) -> Vec<CreditEntry> {
    [
        &f.open,
        &f.expired,
        &f.repaired,
        &f.person,
        &f.abnormal,
        &f.red,
        &f.recent,
        &f.person_open,
    ]
    .map(Clone::clone)
    .to_vec()
}

/// A server whose database holds the fixture, and a GA staff account.
fn start() -> (TestServer, Fixture) {
    let today = domain::clock::now().date_naive();
    let f = fixture(today);
    let entries = all(&f);
    let server = TestServer::start_prepared(|path| {
        let url = path.to_string_lossy().into_owned();
        let runtime = crate::common::runtime().unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
            db.upsert_credit_entries(entries)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
        });
        add_account(path, "ga.staff", Role::DepartmentStaff, Some("GA"));
    });
    (server, f)
}

fn form<'a>(entry: &'a CreditEntry, listed_on: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("subject", entry.subject.as_str()),
        ("list_type", entry.list_type.as_str()),
        ("listed_on", listed_on),
        ("ref_no", entry.ref_no.as_str()),
        ("statement", "已履行处罚决定并完成整改，承诺守法经营。"),
    ]
}

#[test]
fn the_portal_shows_published_enterprise_entries_only() {
    let (server, f) = start();
    let mut visitor = server.anonymous();
    let page = visitor.get(&format!(
        "/gongshi/credit?q={}",
        crate::common::web::encode("修复测试")
    ));
    assert_eq!(page.status, 200, "{}", page.body);
    for shown in [&f.open, &f.abnormal, &f.recent] {
        assert!(
            page.body.contains(&shown.subject_name),
            "{} missing: {}",
            shown.subject_name,
            page.body
        );
    }
    for hidden in [&f.expired, &f.repaired, &f.person, &f.red, &f.person_open] {
        assert!(
            !page.body.contains(&hidden.subject_name),
            "{} shown",
            hidden.subject_name
        );
        assert!(
            !page.body.contains(hidden.subject.as_str()),
            "{} shown",
            hidden.subject.as_str()
        );
    }
    // Persons are never found, not even by their number.
    let by_number = visitor.get(&format!("/gongshi/credit?q={}", f.person.subject.as_str()));
    assert_eq!(by_number.status, 200);
    assert!(
        !by_number.body.contains(&f.person.subject_name)
            && !by_number.body.contains("修复测试事由"),
        "{}",
        by_number.body
    );
    // By the start of a code.
    let by_code = visitor.get(&format!(
        "/gongshi/credit?q={}",
        &f.open.subject.as_str()[..14]
    ));
    assert!(
        by_code.body.contains(&f.open.subject_name),
        "{}",
        by_code.body
    );
    assert!(!by_code.body.contains(&f.expired.subject_name));
    // The same through the public API.
    let api = visitor
        .get(&format!(
            "/api/v1/public/credit?q={}",
            crate::common::web::encode("修复测试")
        ))
        .json();
    let subjects: Vec<&str> = api
        .as_array()
        .map(|l| l.iter().filter_map(|e| e["subject"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        subjects.contains(&f.open.subject.as_str())
            && subjects.contains(&f.abnormal.subject.as_str()),
        "{api}"
    );
    for hidden in [&f.expired, &f.repaired, &f.person, &f.red, &f.person_open] {
        assert!(!subjects.contains(&hidden.subject.as_str()), "{api}");
    }
    let by_person = visitor
        .get(&format!(
            "/api/v1/public/credit?q={}",
            f.person.subject.as_str()
        ))
        .json();
    assert_eq!(by_person.as_array().map(Vec::len), Some(0), "{by_person}");
    // Without a query: nothing listed.
    assert!(!visitor.get("/gongshi/credit").body.contains("修复测试"));
}

#[test]
fn the_credit_office_repairs_an_entry_and_it_leaves_the_portal() {
    let (server, f) = start();
    let mut office = server.login("credit.office");
    // Too early: refused, naming the day repair opens.
    let recent_on = f.recent.listed_on.to_string();
    let early = office.post_form("/credit/repair", &form(&f.recent, &recent_on));
    assert_eq!(early.status, 409, "{}", early.body);
    let opens = Severity::Ordinary
        .repair_opens_on(f.recent.listed_on)
        .to_string();
    assert!(early.body.contains(&opens), "{opens}: {}", early.body);
    // Other roles may not file.
    let open_on = f.open.listed_on.to_string();
    let mut staff = server.login("scjg.staff");
    assert_eq!(
        staff
            .post_form("/credit/repair", &form(&f.open, &open_on))
            .status,
        403
    );
    let filed = office.post_form("/credit/repair", &form(&f.open, &open_on));
    assert_eq!(filed.status, 303, "{}", filed.body);
    let path = filed.location.clone().unwrap_or_default();
    let id = path.rsplit('/').next().unwrap_or_default().to_owned();
    assert!(id.starts_with("XF-"), "{path}");
    assert!(
        office
            .get("/credit/repair?status=待审核")
            .body
            .contains(&id)
    );
    // The listing department sees it; another department and the hotline do not.
    assert!(staff.get("/credit/repair").body.contains(&id));
    assert_eq!(staff.get(&path).status, 200);
    let mut other = server.login("ga.staff");
    assert_eq!(other.get(&path).status, 404);
    assert!(!other.get("/credit/repair").body.contains(&id));
    let mut hotline = server.login("hotline.operator");
    assert_eq!(
        hotline.get(&format!("/api/v1/credit/repairs/{id}")).status,
        404
    );
    // Only the credit office reviews.
    assert_eq!(
        staff
            .post_form(
                &format!("{path}/review"),
                &[("decision", "approve"), ("reason", "")]
            )
            .status,
        403
    );
    let approved = office.post_form(
        &format!("{path}/review"),
        &[("decision", "approve"), ("reason", "整改到位")],
    );
    assert_eq!(approved.status, 303, "{}", approved.body);
    let request = office.get(&format!("/api/v1/credit/repairs/{id}")).json();
    assert_eq!(request["status"], "已修复", "{request}");
    // Repaired today: no longer published.
    let page = server
        .anonymous()
        .get(&format!("/gongshi/credit?q={}", f.open.subject.as_str()));
    assert!(!page.body.contains(&f.open.subject_name), "{}", page.body);
}

#[test]
fn persons_requests_are_seen_by_the_credit_office_only() {
    let (server, f) = start();
    let mut office = server.login("credit.office");
    let on = f.person.listed_on.to_string();
    // 一般 found 30 days ago: refused; the message names the day.
    let early = office.send_json(
        "POST",
        "/api/v1/credit/repairs",
        &serde_json::json!({"subject": f.person.subject.as_str(), "list_type": "penalty", "listed_on": on,
                            "ref_no": f.person.ref_no, "statement": "已整改"}),
    );
    assert_eq!(early.status, 409, "{}", early.body);
    // The abnormal entry (GA's listing, no severity) is filed; GA sees it, SCJG does not.
    let abnormal_on = f.abnormal.listed_on.to_string();
    let filed = office.post_form("/credit/repair", &form(&f.abnormal, &abnormal_on));
    assert_eq!(filed.status, 303, "{}", filed.body);
    let path = filed.location.clone().unwrap_or_default();
    assert_eq!(server.login("ga.staff").get(&path).status, 200);
    assert_eq!(server.login("scjg.staff").get(&path).status, 404);
    // Without a severity it is not approved; with one it is.
    let refused = office.post_form(
        &format!("{path}/review"),
        &[("decision", "approve"), ("reason", ""), ("severity", "")],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    let approved = office.post_form(
        &format!("{path}/review"),
        &[
            ("decision", "approve"),
            ("reason", ""),
            ("severity", "轻微"),
        ],
    );
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert!(office.get(&path).body.contains("轻微"));
    // A person's request: the credit office only, and its sight is logged.
    let person_on = f.person_open.listed_on.to_string();
    let filed = office.post_form("/credit/repair", &form(&f.person_open, &person_on));
    assert_eq!(filed.status, 303, "{}", filed.body);
    let path = filed.location.clone().unwrap_or_default();
    for other in ["scjg.staff", "admin", "sfj.supervisor"] {
        let mut client = server.login(other);
        assert_eq!(client.get(&path).status, 404, "{other}");
        assert!(
            !client
                .get("/credit/repair")
                .body
                .contains(&f.person_open.subject_name),
            "{other}"
        );
    }
    let page = office.get(&path);
    assert!(
        page.body.contains(f.person_open.subject.as_str()),
        "{}",
        page.body
    );
    let url = server.database.to_string_lossy().into_owned();
    let subject = f.person_open.subject.as_str().to_owned();
    let logged = crate::common::runtime()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            let log = db
                .access_log(Some(&subject), 10)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
            log
        });
    assert!(
        logged
            .iter()
            .any(|a| a.actor.starts_with("credit.office") && a.what.contains("repair")),
        "{logged:?}"
    );
    // The expiry report is the credit office's.
    let expiry = office.get("/api/v1/credit/expiry?within=400");
    assert_eq!(expiry.status, 200, "{}", expiry.body);
    let json = expiry.json();
    let ended: Vec<&str> = json["ended"]
        .as_array()
        .map(|l| l.iter().filter_map(|e| e["subject"].as_str()).collect())
        .unwrap_or_default();
    assert!(ended.contains(&f.expired.subject.as_str()), "{json}");
    assert!(!ended.contains(&f.repaired.subject.as_str()), "{json}");
    assert_eq!(
        server
            .login("scjg.staff")
            .get("/api/v1/credit/expiry")
            .status,
        403
    );
}
