//! 12345 intake as a call centre works: the intake form first on the page,
//! the enterprise found by name among same-named ones by its address, orders
//! found by number, keyword and (for the centre's operators only) the caller's
//! number, across every page and exported as a job with the callers masked;
//! the full number shown only to the operator at the callback, on the ledger.

use domain::account::Role;
use domain::uscc::Uscc;
use storage::{self, EntityFilter, PageRequest, Store};

use super::staff_directories::{file_link, finished_job};
use crate::common::web::{Answer, Client, TestServer, add_account, block_on};

/// The phone of the callers the tests take in.
const PHONE: &str = "13912340077";

/// An enterprise of the test city (code, name, address) and the code of its
/// twin added to the copy: the same name at another address.
struct Twins {
    first: String,
    name: String,
    twin: String,
}

/// The address of the twin.
const TWIN_ADDRESS: &str = "黄石港区孪生路 99 号";

/// A server whose city holds two enterprises of the same name (the twin added
/// here, at [`TWIN_ADDRESS`]), and `ga.staff`, departmental staff of GA.
fn server_with_twins() -> (TestServer, Twins) {
    let mut twins = None;
    let server = TestServer::start_prepared(|database| {
        add_account(database, "ga.staff", Role::DepartmentStaff, Some("GA"));
        let url = database.to_string_lossy().into_owned();
        twins = Some(block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            let page = db
                .search_entities(&EntityFilter::default(), &PageRequest::first(50))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let original = page
                .items
                .into_iter()
                .find(|e| e.address.is_some() && e.name.chars().count() >= 4)
                .unwrap_or_else(|| panic!("no entity with an address"));
            let mut fields = original.fields().clone();
            let first = fields.uscc.as_str().to_owned();
            let name = fields.name.clone();
            fields.uscc = Uscc::from_body("9142020077770001").unwrap_or_else(|e| panic!("{e}"));
            fields.address = Some(TWIN_ADDRESS.to_owned());
            let twin = fields.uscc.as_str().to_owned();
            let entity =
                domain::entity::MarketEntity::new(fields).unwrap_or_else(|e| panic!("{e}"));
            db.upsert_entities(&[entity])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
            Twins { first, name, twin }
        }));
    });
    let twins = twins.unwrap_or_else(|| panic!("no twins"));
    (server, twins)
}

/// Takes in an order through the intake form (dispatched to `department` if
/// not empty); returns its id.
fn take_in(operator: &mut Client, fields: &[(&str, &str)]) -> String {
    let mut form = vec![
        ("channel", "12345"),
        ("caller_name", "李四"),
        ("caller_phone", PHONE),
        ("category", "食品安全"),
        ("location", "黄石港区"),
        ("difficulty", "一般"),
    ];
    form.extend_from_slice(fields);
    let answer = operator.post_form("/hotline", &form);
    assert_eq!(answer.status, 303, "intake: {}", answer.body);
    let location = answer.location.unwrap_or_default();
    location
        .strip_prefix("/hotline/orders/")
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned()
}

fn position(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle} not on the page: {body}"))
}

#[test]
fn intake_comes_first_and_finds_same_named_enterprises_by_their_address() {
    let (server, twins) = server_with_twins();
    let mut operator = server.login("hotline.operator");
    let page = operator.get("/hotline");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        position(&page.body, "id=\"intake\"") < position(&page.body, "id=\"orders\""),
        "the intake form comes before the list"
    );
    assert!(
        page.body.contains("hx-get=\"/hotline/entities\""),
        "the enterprise is found by name"
    );

    // Both enterprises of the name, each with its address, district and code.
    let found = operator.get(&format!(
        "/hotline/entities?q={}",
        crate::common::web::encode(&twins.name)
    ));
    assert_eq!(found.status, 200, "{}", found.body);
    for code in [&twins.first, &twins.twin] {
        assert!(
            found.body.contains(&format!("value=\"{code}\"")),
            "{code}: {}",
            found.body
        );
    }
    assert!(found.body.contains(TWIN_ADDRESS), "{}", found.body);
    assert!(
        found.body.matches(&format!(">{}</b>", twins.name)).count() >= 2,
        "the same name twice: {}",
        found.body
    );
    assert!(found.body.contains("黄石港区") || found.body.contains("区"));

    // Filed with the twin chosen: the order names it with its address.
    let id = take_in(
        &mut operator,
        &[
            ("content", "孪生企业投诉测试"),
            ("entity", &twins.twin),
            ("entity_code", ""),
        ],
    );
    let order = operator.get(&format!("/hotline/orders/{id}"));
    assert!(
        order.body.contains(TWIN_ADDRESS) && order.body.contains(&twins.twin),
        "{}",
        order.body
    );
    // The code alone is still accepted; a choice and a different code are refused.
    take_in(
        &mut operator,
        &[("content", "按代码填写"), ("entity_code", &twins.first)],
    );
    let both = operator.post_form(
        "/hotline",
        &[
            ("category", "食品安全"),
            ("content", "两个主体"),
            ("entity", &twins.twin),
            ("entity_code", &twins.first),
        ],
    );
    assert_eq!(both.status, 400, "{}", both.body);
    assert!(both.body.contains("不一致"), "{}", both.body);

    // Only the centre looks enterprises up here.
    assert_eq!(
        server
            .login("scjg.staff")
            .get("/hotline/entities?q=公司")
            .status,
        403
    );
}

/// The `共 N 件` of a list page.
fn total(page: &Answer) -> u64 {
    let start = position(&page.body, "共 ") + "共 ".len();
    page.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {}", page.body))
}

#[test]
fn orders_are_found_by_number_keyword_and_the_callers_number_for_the_centre_only() {
    let (server, _) = server_with_twins();
    let mut operator = server.login("hotline.operator");
    let all = operator.get("/hotline");
    let everything = total(&all);
    assert!(everything > 50, "the demo's orders: {everything}");
    assert!(
        all.body.contains("page=2"),
        "paged across all orders: {}",
        all.body
    );
    let id = take_in(
        &mut operator,
        &[
            ("id", "RXT-FIND-0001"),
            ("content", "螺蛳粉店后厨有异味"),
            ("department", "SCJG"),
        ],
    );

    let by_keyword = operator.get(&format!(
        "/hotline?keyword={}",
        crate::common::web::encode("螺蛳粉")
    ));
    assert_eq!(total(&by_keyword), 1, "{}", by_keyword.body);
    assert!(by_keyword.body.contains(&id));
    let by_number = operator.get("/hotline?number=find-0001");
    assert_eq!(total(&by_number), 1, "{}", by_number.body);
    let by_phone = operator.get("/hotline?phone=0077");
    assert!(by_phone.body.contains(&id), "{}", by_phone.body);
    assert!(
        !by_phone.body.contains(PHONE),
        "the list stays masked: {}",
        by_phone.body
    );
    let filtered = operator.get(&format!(
        "/hotline?keyword={}&status={}&department=SCJG&channel=12345&from=2020-01-01",
        crate::common::web::encode("螺蛳粉"),
        crate::common::web::encode("已派单")
    ));
    assert_eq!(total(&filtered), 1, "{}", filtered.body);
    let none = operator.get(&format!(
        "/hotline?keyword={}&to=2020-01-01",
        crate::common::web::encode("螺蛳粉")
    ));
    assert_eq!(total(&none), 0, "{}", none.body);
    assert_eq!(
        operator
            .get("/hotline?from=2026-02-01&to=2026-01-01")
            .status,
        400
    );

    // Nobody else searches by the caller's number, nor is offered the field.
    for account in ["sfj.supervisor", "admin", "scjg.staff"] {
        let mut other = server.login(account);
        assert_eq!(
            other.get("/hotline?phone=0077").status,
            403,
            "{account} searched by phone"
        );
        let page = other.get("/hotline");
        assert!(
            !page.body.contains("name=\"phone\""),
            "{account} is offered the phone field"
        );
    }

    // Export as a job: every matching order, callers masked.
    let started = operator.post_form(
        "/hotline/export",
        &[("keyword", "螺蛳粉"), ("format", "csv")],
    );
    assert_eq!(started.status, 200, "{}", started.body);
    let done = finished_job(&mut operator, &started);
    assert!(done.contains("已导出 1 条"), "{done}");
    let file = operator.get(&file_link(&done));
    assert_eq!(file.status, 200);
    assert!(file.body.contains(&id) && file.body.contains("139****0077"));
    assert!(!file.body.contains(PHONE), "{}", file.body);
    // A department exports only its own orders; a phone search is refused there too.
    let mut staff = server.login("ga.staff");
    let theirs = staff.post_form("/hotline/export", &[("keyword", "螺蛳粉")]);
    let theirs = finished_job(&mut staff, &theirs);
    assert!(theirs.contains("已导出 0 条"), "{theirs}");
    assert_eq!(
        staff
            .post_form("/hotline/export", &[("phone", "0077")])
            .status,
        403
    );
}

#[test]
fn the_operator_calling_back_reveals_the_number_and_the_reveal_is_on_the_ledger() {
    let (server, _) = server_with_twins();
    let mut operator = server.login("hotline.operator");
    let id = take_in(
        &mut operator,
        &[
            ("id", "RXT-CALL-0001"),
            ("content", "回访测试"),
            ("department", "SCJG"),
        ],
    );
    let reveal = format!("/hotline/orders/{id}/reveal");
    // Not before the department has replied.
    let early = operator.post_form(&reveal, &[]);
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(!early.body.contains(PHONE));

    let mut staff = server.login("scjg.staff");
    for fields in [
        &[("action", "sign")][..],
        &[("action", "reply"), ("text", "已核查处理")][..],
    ] {
        let answer = staff.post_form(&format!("/hotline/orders/{id}/act"), fields);
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
    let order = operator.get(&format!("/hotline/orders/{id}"));
    assert!(order.body.contains("显示完整号码"), "{}", order.body);
    assert!(!order.body.contains(PHONE), "masked until asked");

    // Nobody but the centre's operator may reveal it.
    assert_eq!(staff.post_form(&reveal, &[]).status, 403);
    assert_eq!(server.login("admin").post_form(&reveal, &[]).status, 403);
    assert!(
        !staff
            .get(&format!("/hotline/orders/{id}"))
            .body
            .contains("显示完整号码")
    );

    let shown = operator.post_form(&reveal, &[]);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains(PHONE), "{}", shown.body);
    // The list still masks it.
    assert!(!operator.get("/hotline").body.contains(PHONE));

    // The auditor sees who revealed which order, when.
    let mut auditor = server.login("sfj.supervisor");
    let ledger = auditor.get("/ledger?action=hotline.caller_revealed");
    assert_eq!(ledger.status, 200, "{}", ledger.body);
    assert!(
        ledger.body.contains("查看完整来电号码")
            && ledger.body.contains(&id)
            && ledger.body.contains("hotline.operator"),
        "{}",
        ledger.body
    );
    let entries = auditor
        .get("/api/v1/ledger?action=hotline.caller_revealed")
        .json();
    let items = entries["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "one reveal, one entry: {entries}");
    assert_eq!(items[0]["subject_key"], id.as_str());
    assert!(!entries.to_string().contains(PHONE), "{entries}");
}
