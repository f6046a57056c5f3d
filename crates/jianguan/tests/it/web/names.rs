//! Names next to codes, and who sees what (issue 18): visit lists, the plan
//! page, the result form, the work-order page and a notice show names; an
//! inspector sees 录入结果 only where it may enter results, and is told when
//! its certificate has expired.

use std::path::Path;

use chrono::NaiveDate;
use domain::account::{Account, Role};
use domain::{CertificateNo, DepartmentCode, Uscc};
use storage::{InspectorFilter, PageRequest, Store};

use crate::common::web::{Client, DEMO_PASSWORD, TestServer, block_on, encode};

const ROUND: &str = "2025-Q1";

/// Opens the server's database beside it (SQLite allows readers).
fn with_db<T>(database: &Path, work: impl AsyncFnOnce(&storage::Db) -> T) -> T {
    let url = database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let out = work(&db).await;
        db.close().await;
        out
    })
}

/// The codes shown as `<code class="code" …>CODE</code>` on a page, in order.
fn codes(body: &str) -> Vec<String> {
    body.split("<code class=\"code\"")
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find('>')? + 1;
            let end = rest[start..].find('<')? + start;
            Some(rest[start..end].to_owned())
        })
        .collect()
}

fn entity_label(database: &Path, code: &str) -> (String, String) {
    let code = code.to_owned();
    with_db(database, async move |db| {
        let uscc = Uscc::parse_lenient(&code)
            .unwrap_or_else(|e| panic!("{e}"))
            .0;
        let entity = db
            .entity(&uscc)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no entity {code}"));
        (
            entity.fields().name.clone(),
            entity.fields().address.clone().unwrap_or_default(),
        )
    })
}

fn inspector_name(database: &Path, cert: &str) -> String {
    let cert = cert.to_owned();
    with_db(database, async move |db| {
        db.inspector(&CertificateNo::parse(&cert).unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|i| i.fields().name.clone())
            .unwrap_or_else(|| panic!("no inspector {cert}"))
    })
}

/// The text between the page's `<span class="named">` of `code` and the code.
fn assert_named(body: &str, name: &str, code: &str) {
    let shown =
        format!("{name} <code class=\"code\" title=\"代码（点击选中以复制）\">{code}</code>");
    assert!(
        body.contains(&shown),
        "{name} is not shown next to {code}:\n{body}"
    );
}

#[test]
fn visit_lists_show_entity_names_addresses_and_inspector_names() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let page = staff.get(&format!("/rounds/{ROUND}/visits"));
    assert_eq!(page.status, 200, "{}", page.body);
    let shown = codes(&page.body);
    let entity = shown
        .iter()
        .find(|c| c.len() == 18)
        .unwrap_or_else(|| panic!("no entity code on the visit list:\n{}", page.body));
    let (name, address) = entity_label(&server.database, entity);
    assert_named(&page.body, &name, entity);
    assert!(
        !address.is_empty() && page.body.contains(&address),
        "the address is shown"
    );
    // The department by name, and an inspector by name next to the certificate.
    let scjg = with_db(&server.database, async |db| {
        db.department(&DepartmentCode::parse("SCJG").unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|d| d.name().to_owned())
            .unwrap_or_default()
    });
    assert_named(&page.body, &scjg, "SCJG");
    let cert = shown
        .iter()
        .find(|c| c.starts_with("420200-"))
        .unwrap_or_else(|| panic!("no certificate on the visit list:\n{}", page.body));
    assert_named(&page.body, &inspector_name(&server.database, cert), cert);
}

/// Saves `username` as an inspector of SCJG holding `cert`.
fn inspector_account(database: &Path, username: &str, cert: &str) {
    let (username, cert) = (username.to_owned(), cert.to_owned());
    with_db(database, async move |db| {
        let account = Account {
            username,
            display_name: "测试执法人员".into(),
            role: Role::Inspector,
            department: Some("SCJG".into()),
            certificate: Some(cert),
            password_hash: String::new(),
            must_change_password: false,
            disabled: false,
        };
        service::accounts::save_account(db, account, Some(DEMO_PASSWORD.to_owned()), "test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    });
}

/// The SCJG inspectors, with the last day of their certificates.
fn scjg_inspectors(database: &Path) -> Vec<(String, NaiveDate)> {
    with_db(database, async |db| {
        let filter = InspectorFilter {
            department: Some(DepartmentCode::parse("SCJG").unwrap_or_else(|e| panic!("{e}"))),
            ..InspectorFilter::default()
        };
        db.search_inspectors(&filter, &PageRequest::first(storage::MAX_PAGE))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .iter()
            .map(|i| {
                (
                    i.fields().cert_no.as_str().to_owned(),
                    i.fields().cert_valid_until,
                )
            })
            .collect()
    })
}

/// The `href="/results/visits/…"` links of a page.
fn entry_links(body: &str) -> Vec<String> {
    body.split("href=\"/results/visits/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|path| format!("/results/visits/{path}"))
        .collect()
}

#[test]
fn an_inspector_sees_entry_links_only_on_its_own_visits() {
    let server = TestServer::start();
    // An inspector on at least one team of the round, and on not all of them.
    let mut staff = server.login("scjg.staff");
    let list = staff.get(&format!("/rounds/{ROUND}/visits"));
    let rows = list.body.matches("data-label=\"市场主体\"").count();
    assert!(rows > 1, "{}", list.body);
    assert_eq!(
        entry_links(&list.body).len(),
        rows,
        "staff enter every visit of the department"
    );
    // A certificate of an SCJG team: the code after the department's in a team line.
    let cert = list
        .body
        .split("<div><b>")
        .skip(1)
        .map(codes)
        .find(|line| line.first().is_some_and(|d| d == "SCJG") && line.len() > 1)
        .map(|line| line[1].clone())
        .unwrap_or_else(|| panic!("no SCJG team:\n{}", list.body));
    inspector_account(&server.database, "team.inspector", &cert);
    let mut inspector = Client::for_base(&server.base);
    inspector.log_in("team.inspector", DEMO_PASSWORD);
    let page = inspector.get(&format!("/rounds/{ROUND}/visits"));
    assert_eq!(page.status, 200);
    let links = entry_links(&page.body);
    assert!(!links.is_empty(), "the inspector's own visit has its link");
    assert!(
        links.len() < rows,
        "no link on visits of other teams: {} of {rows}",
        links.len()
    );
    for link in &links {
        assert_eq!(inspector.get(link).status, 200, "{link} opens");
    }
    // The links the inspector does not see answer 403, as before.
    let hidden: Vec<String> = entry_links(&list.body)
        .into_iter()
        .filter(|l| !links.contains(l))
        .collect();
    assert_eq!(inspector.get(&hidden[0]).status, 403);
}

#[test]
fn an_inspector_with_an_expired_certificate_is_told_the_date() {
    let server = TestServer::start();
    let today = service::now().date_naive();
    let (cert, until) = scjg_inspectors(&server.database)
        .into_iter()
        .find(|(_, until)| *until < today)
        .unwrap_or_else(|| panic!("the city keeps some expired certificates"));
    inspector_account(&server.database, "old.inspector", &cert);
    let mut inspector = Client::for_base(&server.base);
    inspector.log_in("old.inspector", DEMO_PASSWORD);
    let page = inspector.get("/results");
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!("您的执法证已于 {until} 到期，不能录入检查结果")),
        "{}",
        page.body
    );
    // The demo's own inspector holds a valid certificate and is told nothing.
    let mut demo = server.login("scjg.inspector");
    let own = demo.get("/results");
    assert!(!own.body.contains("您的执法证已于"), "{}", own.body);
    let demo_cert = with_db(&server.database, async |db| {
        service::accounts::existing(db, "scjg.inspector")
            .await
            .ok()
            .and_then(|a: Account| a.certificate)
            .unwrap_or_default()
    });
    let valid = scjg_inspectors(&server.database)
        .into_iter()
        .find(|(c, _)| *c == demo_cert)
        .is_some_and(|(_, until)| until >= today);
    assert!(
        valid,
        "scjg.inspector holds a valid certificate ({demo_cert})"
    );
}

#[test]
fn the_plan_page_and_the_result_form_name_items_districts_and_entities() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    // A plan limited to a district: the district by name.
    let form = staff.get("/plans/new");
    let item = form
        .body
        .split("name=\"items\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let created = staff.post_form(
        "/plans",
        &[
            ("id", "2026-SCJG-N01"),
            ("title", "名称测试计划"),
            ("lead", "SCJG"),
            ("items", &item),
            ("inspectors", "2"),
            ("rate_C", "10"),
            ("districts", "420202"),
            ("period_start", "2026-01-01"),
            ("period_end", "2026-03-31"),
            ("frequency", "每年1次"),
            ("partners", ""),
        ],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let plan = staff.get("/plans/2026-SCJG-N01");
    let (item_name, district) = with_db(&server.database, {
        let item = item.clone();
        async move |db| {
            let item = db
                .item(&domain::ItemCode::parse(&item).unwrap_or_else(|e| panic!("{e}")))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .map(|i| i.fields().name.clone())
                .unwrap_or_default();
            let district = db
                .districts()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .into_iter()
                .find(|d| d.code().as_str() == "420202")
                .map(|d| d.name().to_owned())
                .unwrap_or_default();
            (item, district)
        }
    });
    assert_named(&plan.body, &item_name, &item);
    assert_named(&plan.body, &district, "420202");

    // The result form: the entity, the items and the team by name.
    let results = staff.get("/results");
    let link = entry_links(&results.body)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no pending visit:\n{}", results.body));
    let entity = link.rsplit('/').next().unwrap_or_default().to_owned();
    let (name, _) = entity_label(&server.database, &entity);
    assert_named(&results.body, &name, &entity);
    let entry = staff.get(&link);
    assert_eq!(entry.status, 200);
    assert_named(&entry.body, &name, &entity);
    let item_code = entry
        .body
        .split("data-label=\"检查事项\">")
        .nth(1)
        .map(codes)
        .and_then(|c| c.into_iter().next())
        .unwrap_or_default();
    assert!(!item_code.is_empty(), "{}", entry.body);
    let named_item = entry
        .body
        .split("data-label=\"检查事项\"><span class=\"named\">")
        .nth(1)
        .and_then(|rest| rest.split(" <code").next())
        .unwrap_or_default();
    assert!(
        !named_item.is_empty(),
        "the item has its name: {}",
        entry.body
    );
}

#[test]
fn a_work_order_names_its_entity_and_a_notice_reads_as_words() {
    let server = TestServer::start();
    let mut operator = server.login("hotline.operator");
    let orders = operator.get("/api/v1/hotline/orders?limit=500").json();
    let order = orders["orders"]
        .as_array()
        .and_then(|list| list.iter().find(|o| o["entity"].is_string()))
        .cloned()
        .unwrap_or_else(|| panic!("no order names an entity"));
    let id = order["id"].as_str().unwrap_or_default();
    let entity = order["entity"].as_str().unwrap_or_default();
    let page = operator.get(&format!("/hotline/orders/{}", encode(id)));
    assert_eq!(page.status, 200);
    let (name, _) = entity_label(&server.database, entity);
    assert_named(&page.body, &name, entity);

    // A notice on an out-of-plan inspection: 计划外检查 ID with the department's name.
    let mut supervisor = server.login("sfj.supervisor");
    let records = supervisor.get("/api/v1/out-of-plan").json();
    let record = records
        .as_array()
        .and_then(|l| l.first())
        .cloned()
        .unwrap_or_else(|| panic!("the demo year registers out-of-plan inspections"));
    let (record_id, department) = (
        record["id"].as_str().unwrap_or_default().to_owned(),
        record["department"].as_str().unwrap_or_default().to_owned(),
    );
    let issued = supervisor.post_form(
        "/supervision/notices",
        &[
            ("subject", &format!("out_of_plan:{record_id}")),
            ("requirement", "说明检查依据"),
        ],
    );
    assert_eq!(issued.status, 303, "{}", issued.body);
    let notice = supervisor.get(&issued.location.unwrap_or_default());
    let department_name = with_db(&server.database, async move |db| {
        db.department(&DepartmentCode::parse(&department).unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|d| d.name().to_owned())
            .unwrap_or_default()
    });
    let words = format!("计划外检查 {record_id}（{department_name}）");
    assert!(notice.body.contains(&words), "{words}:\n{}", notice.body);
    assert!(!notice.body.contains("out_of_plan:"), "{}", notice.body);
    let list = supervisor.get("/supervision");
    assert!(list.body.contains(&words), "{}", list.body);
}
