//! 12345热线 pages and API: the centre takes in and dispatches orders, a
//! department sees and acts on only its own orders (another department's
//! answer 404/403), a refused step shows a Chinese message and changes
//! nothing, a complaint opens an out-of-plan inspection linked both ways, and
//! the KPI JSON is the workflow's own figures.

use domain::account::Role;
use domain::hotline::{HotlineRules, parse_time};
use serde_json::{Value, json};
use service::hotline as flow;
use storage::{self, EntityFilter, PageRequest, Store};

use crate::common::web::{Answer, Client, TestServer, add_account};
use crate::web::watermark::assert_xlsx_watermark;

/// A server with `ga.staff`, departmental staff of GA (the demo accounts are SCJG's).
fn server() -> TestServer {
    TestServer::start_prepared(|db| add_account(db, "ga.staff", Role::DepartmentStaff, Some("GA")))
}

fn block_on<T>(work: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(work)
}

/// An enterprise of the test city's directory.
fn an_entity(server: &TestServer) -> String {
    let url = server.database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let page = db
            .search_entities(&EntityFilter::default(), &PageRequest::first(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        page.items
            .first()
            .map(|e| e.uscc.as_str().to_owned())
            .unwrap_or_else(|| panic!("no entity"))
    })
}

/// Takes in an order through the intake form; returns its id.
fn take_in(
    operator: &mut Client,
    id: &str,
    department: &str,
    entity: &str,
    received_at: &str,
) -> String {
    let answer = operator.post_form(
        "/hotline",
        &[
            ("id", id),
            ("channel", "12315"),
            ("received_at", received_at),
            ("caller_name", "张三"),
            ("caller_phone", "13812345678"),
            ("category", "食品安全"),
            ("content", "超市销售过期食品"),
            ("location", "黄石港区"),
            ("entity", entity),
            ("difficulty", "一般"),
            ("department", department),
        ],
    );
    assert_eq!(answer.status, 303, "intake {id}: {}", answer.body);
    assert_eq!(
        answer.location.as_deref(),
        Some(format!("/hotline/orders/{id}").as_str())
    );
    id.to_owned()
}

fn act(client: &mut Client, id: &str, fields: &[(&str, &str)]) -> Answer {
    client.post_form(&format!("/hotline/orders/{id}/act"), fields)
}

fn api_order(client: &mut Client, id: &str) -> Value {
    let answer = client.get(&format!("/api/v1/hotline/orders/{id}"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[test]
fn departments_see_and_act_on_their_own_orders_and_refusals_change_nothing() {
    let server = server();
    let entity = an_entity(&server);
    let mut operator = server.login("hotline.operator");
    let a = take_in(
        &mut operator,
        "RXT-A-0001",
        "SCJG",
        &entity,
        "2026-11-02 09:15",
    );
    let b = take_in(&mut operator, "RXT-B-0001", "GA", "", "2026-11-02 10:00");

    // The centre sees both, the caller masked.
    let list = operator.get("/hotline");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains(&a) && list.body.contains(&b),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("张* 138****5678") && !list.body.contains("13812345678"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("受理工单"),
        "the centre has the intake form"
    );
    let json = api_order(&mut operator, &a);
    assert_eq!(json["caller"], "张* 138****5678", "{json}");
    assert_eq!(
        (json["status"].as_str(), json["department"].as_str()),
        (Some("已派单"), Some("SCJG"))
    );
    assert_eq!(
        json["sign_due"], "2026-11-03",
        "1 working day after Monday 2 November"
    );
    assert_eq!(json["close_due"], "2026-11-09", "5 working days");
    // Filters: department, status.
    let only_ga = operator.get("/hotline?department=GA");
    assert!(
        only_ga.body.contains(&b) && !only_ga.body.contains(&a),
        "{}",
        only_ga.body
    );
    // The demo city has orders of its own: every one listed fits the filter, and ours are there.
    let listed = operator
        .get("/api/v1/hotline/orders?status=已派单&channel=12315&limit=200")
        .json();
    let orders = listed["orders"].as_array().cloned().unwrap_or_default();
    assert!(
        orders
            .iter()
            .all(|o| o["status"] == "已派单" && o["channel"] == "12315"),
        "{listed}"
    );
    let mut ours: Vec<&str> = orders
        .iter()
        .filter_map(|o| o["id"].as_str())
        .filter(|id| *id == a || *id == b)
        .collect();
    ours.sort_unstable();
    assert_eq!(ours, [a.as_str(), b.as_str()], "{listed}");

    // SCJG sees A, not B; B answers 404 on the page, the API and the action.
    let mut scjg = server.login("scjg.staff");
    let own = scjg.get("/hotline");
    assert_eq!(own.status, 200);
    assert!(
        own.body.contains(&a) && !own.body.contains(&b),
        "{}",
        own.body
    );
    assert!(
        !own.body.contains("受理工单"),
        "no intake form for a department"
    );
    assert_eq!(scjg.get(&format!("/hotline/orders/{b}")).status, 404);
    assert_eq!(scjg.get(&format!("/api/v1/hotline/orders/{b}")).status, 404);
    assert_eq!(act(&mut scjg, &b, &[("action", "sign")]).status, 404);
    let api = scjg.send_json(
        "POST",
        &format!("/api/v1/hotline/orders/{b}/actions"),
        &json!({"action": "sign"}),
    );
    assert_eq!(api.status, 404, "{}", api.body);
    assert_eq!(scjg.get("/api/v1/hotline/orders?department=GA").status, 403);
    assert_eq!(scjg.get("/hotline/kpi?department=GA").status, 403);
    let mut ga = server.login("ga.staff");
    assert_eq!(ga.get(&format!("/hotline/orders/{a}")).status, 404);
    assert_eq!(act(&mut ga, &a, &[("action", "sign")]).status, 404);
    assert_eq!(
        api_order(&mut operator, &b)["status"],
        "已派单",
        "B was not signed"
    );

    // Who has no part in the hotline is refused; city-wide readers read without forms.
    let mut inspector = server.login("scjg.inspector");
    assert_eq!(inspector.get("/hotline").status, 403);
    assert!(
        !inspector
            .get("/dashboard")
            .body
            .contains("href=\"/hotline\""),
        "no nav link"
    );
    let mut supervisor = server.login("sfj.supervisor");
    let read = supervisor.get(&format!("/hotline/orders/{b}"));
    assert_eq!(read.status, 200);
    assert!(
        !read.body.contains("value=\"sign\""),
        "a reader has no action form"
    );
    assert_eq!(
        act(
            &mut supervisor,
            &b,
            &[("action", "dispatch"), ("department", "SCJG")]
        )
        .status,
        403
    );

    // An illegal step: replying before signing. A Chinese message, the order unchanged.
    let before = api_order(&mut operator, &a);
    let refused = act(&mut scjg, &a, &[("action", "reply"), ("text", "已处理")]);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("class=\"error-box\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("当前为“已派单”，不能答复"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("工单未作改动"), "{}", refused.body);
    let closing = act(&mut operator, &a, &[("action", "close")]);
    assert_eq!(closing.status, 409, "{}", closing.body);
    let api = operator.send_json(
        "POST",
        &format!("/api/v1/hotline/orders/{a}/actions"),
        &json!({"action": "callback", "rating": "满意"}),
    );
    assert_eq!(api.status, 409, "{}", api.body);
    assert!(
        api.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("不能回访")),
        "{}",
        api.body
    );
    assert_eq!(api_order(&mut operator, &a), before, "nothing changed");
    // The centre's steps are not the department's, and the other way round.
    assert_eq!(
        act(
            &mut scjg,
            &a,
            &[("action", "dispatch"), ("department", "GA")]
        )
        .status,
        403
    );
    assert_eq!(act(&mut operator, &a, &[("action", "sign")]).status, 403);

    // The department signs, handles, asks for an extension; the centre approves it.
    for fields in [
        &[("action", "sign")][..],
        &[("action", "handle"), ("text", "已联系超市核实")],
        &[
            ("action", "request_extension"),
            ("days", "2"),
            ("text", "需抽样检验"),
        ],
    ] {
        let answer = act(&mut scjg, &a, fields);
        assert_eq!(answer.status, 303, "{fields:?}: {}", answer.body);
    }
    let page = operator.get(&format!("/hotline/orders/{a}"));
    assert!(
        page.body.contains("value=\"decide_extension\""),
        "{}",
        page.body
    );
    let approved = act(
        &mut operator,
        &a,
        &[
            ("action", "decide_extension"),
            ("approve", "1"),
            ("days", "2"),
        ],
    );
    assert_eq!(approved.status, 303, "{}", approved.body);
    let after = api_order(&mut operator, &a);
    assert_eq!(
        (after["status"].as_str(), after["close_due"].as_str()),
        (Some("办理中"), Some("2026-11-11")),
        "{after}"
    );
    let history: Vec<&str> = after["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        history,
        ["受理", "派单", "签收", "办理", "延期申请", "延期批准"]
    );
    let page = scjg.get(&format!("/hotline/orders/{a}"));
    assert!(
        page.body.contains("2026-11-11") && page.body.contains("含延期 2 个工作日"),
        "{}",
        page.body
    );

    // The overdue list: A (past its deadline today) for SCJG, not for GA.
    let due = scjg.get("/hotline/due");
    assert_eq!(due.status, 200, "{}", due.body);
    assert!(
        due.body.contains(&a) && !due.body.contains(&b),
        "{}",
        due.body
    );
    let due = ga.get("/hotline/due");
    assert!(
        due.body.contains(&b) && !due.body.contains(&a),
        "{}",
        due.body
    );
    assert_eq!(ga.get("/hotline/due?department=SCJG").status, 403);
}

#[test]
fn a_complaint_opens_an_out_of_plan_inspection_linked_both_ways() {
    let server = server();
    let entity = an_entity(&server);
    let mut operator = server.login("hotline.operator");
    let id = take_in(
        &mut operator,
        "RXT-C-0001",
        "SCJG",
        &entity,
        "2026-11-20 08:30",
    );
    let plain = take_in(&mut operator, "RXT-C-0002", "SCJG", "", "2026-11-20 08:40");
    let mut scjg = server.login("scjg.staff");
    assert_eq!(act(&mut scjg, &id, &[("action", "sign")]).status, 303);

    // The form names the department's certified inspectors; an order without an enterprise has none.
    let page = scjg.get(&format!("/hotline/orders/{id}"));
    assert!(page.body.contains("转立案检查"), "{}", page.body);
    let inspectors = checkbox_values(&page.body, "inspectors");
    assert!(
        inspectors.len() >= 2,
        "SCJG has certified inspectors: {}",
        page.body
    );
    assert!(
        !scjg
            .get(&format!("/hotline/orders/{plain}"))
            .body
            .contains("action=\"/hotline/orders/RXT-C-0002/inspection\"")
    );
    let refused = scjg.post_form(
        &format!("/hotline/orders/{plain}/inspection"),
        &[
            ("detail", "投诉"),
            ("inspectors", &inspectors[0]),
            ("inspectors", &inspectors[1]),
        ],
    );
    assert_eq!(refused.status, 409, "no enterprise named: {}", refused.body);
    // The centre does not register inspections.
    let centre = operator.post_form(
        &format!("/hotline/orders/{id}/inspection"),
        &[("detail", "投诉")],
    );
    assert_eq!(centre.status, 403, "{}", centre.body);

    let today = domain::clock::now().date_naive().to_string();
    let opened = scjg.post_form(
        &format!("/hotline/orders/{id}/inspection"),
        &[
            ("detail", "12345 投诉：销售过期食品，现场检查"),
            ("inspected_on", &today),
            ("inspectors", &inspectors[0]),
            ("inspectors", &inspectors[1]),
        ],
    );
    assert_eq!(opened.status, 303, "{}", opened.body);

    // Order → inspection.
    let order = api_order(&mut operator, &id);
    let inspection = order["inspections"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no inspection linked: {order}"))
        .to_owned();
    assert_eq!(
        order["status"], "已签收",
        "opening an inspection leaves the order's status: {order}"
    );
    let page = scjg.get(&format!("/hotline/orders/{id}"));
    assert!(
        page.body
            .contains(&format!("href=\"/supervision#oop-{inspection}\"")),
        "{}",
        page.body
    );
    // Inspection → order, in the register and its API.
    let register = scjg.get("/supervision");
    assert!(
        register.body.contains(&format!("id=\"oop-{inspection}\"")),
        "{}",
        register.body
    );
    assert!(
        register
            .body
            .contains(&format!("href=\"/hotline/orders/{id}\"")),
        "{}",
        register.body
    );
    let list = scjg.get("/api/v1/out-of-plan").json();
    let registered = list
        .as_array()
        .and_then(|l| l.iter().find(|o| o["id"] == inspection.as_str()))
        .unwrap_or_else(|| panic!("{inspection} not in the register: {list}"));
    assert_eq!(registered["work_order"], id.as_str());
    assert_eq!(registered["reason"], "投诉举报");
    assert_eq!(registered["entity"], entity.as_str());
    assert_eq!(registered["department"], "SCJG");
}

/// The `value`s of the checkboxes named `name`.
fn checkbox_values(body: &str, name: &str) -> Vec<String> {
    let needle = format!("type=\"checkbox\" name=\"{name}\" value=\"");
    body.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &body[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn the_kpi_json_is_the_workflows_own_figures() {
    let server = server();
    let entity = an_entity(&server);
    let mut operator = server.login("hotline.operator");
    let mut scjg = server.login("scjg.staff");
    // Four orders: one closed (满意), one closed (不满意), one signed, one waiting at the centre;
    // received on a day no other order of the shared demo database has.
    for (id, department) in [
        ("RXT-K-0001", "SCJG"),
        ("RXT-K-0002", "SCJG"),
        ("RXT-K-0003", "SCJG"),
        ("RXT-K-0004", ""),
    ] {
        take_in(&mut operator, id, department, &entity, "2026-06-15 09:00");
    }
    for (id, rating) in [("RXT-K-0001", "满意"), ("RXT-K-0002", "不满意")] {
        for fields in [
            &[("action", "sign")][..],
            &[("action", "reply"), ("text", "已责令整改")],
        ] {
            assert_eq!(act(&mut scjg, id, fields).status, 303);
        }
        for fields in [
            &[("action", "callback"), ("rating", rating)][..],
            &[("action", "close")],
        ] {
            let answer = act(&mut operator, id, fields);
            assert_eq!(answer.status, 303, "{fields:?}: {}", answer.body);
        }
    }
    assert_eq!(
        act(&mut scjg, "RXT-K-0003", &[("action", "sign")]).status,
        303
    );

    let query = "from=2026-06-15&to=2026-06-15&as_of=2026-12-31%2018:00";
    let api = operator.get(&format!("/api/v1/hotline/kpi?{query}"));
    assert_eq!(api.status, 200, "{}", api.body);
    let api = api.json();
    // The same figures from the workflow, on the server's database.
    let url = server.database.to_string_lossy().into_owned();
    let report = block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let query = flow::KpiQuery {
            from: chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap_or_default(),
            to: chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap_or_default(),
            department: None,
            as_of: parse_time("as_of", "2026-12-31 18:00").unwrap_or_else(|e| panic!("{e}")),
        };
        let report = flow::kpi(&db, &HotlineRules::default(), query)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        report
    });
    let expected = serde_json::to_value(report.city.summary()).unwrap_or_default();
    for key in [
        "orders",
        "sign_rate",
        "close_rate",
        "satisfaction_rate",
        "avg_close_working_days",
    ] {
        assert_eq!(
            api[key], expected[key],
            "{key}: API {api} vs workflow {expected}"
        );
    }
    assert_eq!(api["orders"], 4, "{api}");
    assert_eq!(api["satisfaction_rate"], 0.5, "满意 1 of 2 rated: {api}");
    let scjg_row = api["departments"]
        .as_array()
        .and_then(|d| d.iter().find(|r| r["code"] == "SCJG"))
        .unwrap_or_else(|| panic!("no SCJG row: {api}"));
    let workflow_row = report
        .departments
        .iter()
        .find(|d| d.code == "SCJG")
        .map(|d| serde_json::to_value(d.kpi.summary()).unwrap_or_default());
    for key in [
        "orders",
        "sign_rate",
        "close_rate",
        "satisfaction_rate",
        "avg_close_working_days",
    ] {
        assert_eq!(
            Some(&scjg_row[key]),
            workflow_row.as_ref().map(|r| &r[key]),
            "SCJG {key}: {api}"
        );
    }
    let channels: Vec<(&str, u64)> = api["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["key"].as_str()?, c["orders"].as_u64()?)))
        .collect();
    assert_eq!(channels, [("12315", 4)], "{api}");

    // A department's own figures; an empty period gives null, not NaN.
    let own = scjg.get(&format!("/api/v1/hotline/kpi?{query}")).json();
    assert_eq!(own["orders"], 3, "SCJG's three orders: {own}");
    let empty = operator
        .get("/api/v1/hotline/kpi?from=2020-01-01&to=2020-01-31")
        .json();
    assert_eq!(empty["orders"], 0);
    for key in [
        "sign_rate",
        "close_rate",
        "satisfaction_rate",
        "avg_close_working_days",
    ] {
        assert_eq!(empty[key], Value::Null, "{key}: {empty}");
    }

    // The page shows the rates and charts; the downloads are the same JSON and a watermarked XLSX.
    let page = operator.get(&format!("/hotline/kpi?{query}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("data-kpi=\"orders\">4<"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data-kpi=\"satisfaction_rate\">50.0%<"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("class=\"chart\" data-option="),
        "{}",
        page.body
    );
    assert!(page.body.contains("echarts.min.js"));
    let json = operator.get(&format!("/hotline/kpi/download?format=json&{query}"));
    assert_eq!(json.status, 200);
    assert_eq!(json.json(), api, "the JSON download is the API's answer");
    let xlsx = operator.get(&format!("/hotline/kpi/download?format=xlsx&{query}"));
    assert_eq!(xlsx.status, 200, "{}", xlsx.body);
    assert_eq!(&xlsx.bytes[..2], b"PK");
    assert_xlsx_watermark(&xlsx.bytes, "hotline.operator", "12345话务员");
}
