//! 执法监督: an out-of-plan inspection with reason 其他 is flagged; the Justice
//! Bureau issues a rectification notice; the department answers; the notice is
//! sent back, answered again and closed. Scoping and refusals by role.

use chrono::NaiveDate;
use domain::DepartmentCode;
use domain::account::{Account, Role};
use storage::{self, EntityFilter, InspectorFilter, PageRequest, Store};

use crate::common::web::{DEMO_PASSWORD, TestServer};

/// Two SCJG inspectors certified on `date`, an entity code, and an account of
/// another department (GA) added to the server's database.
fn setup(server: &TestServer, date: NaiveDate) -> (Vec<String>, String) {
    let runtime = crate::common::runtime().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let db = storage::open(&server.database.to_string_lossy())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let filter = InspectorFilter {
            department: DepartmentCode::parse("SCJG").ok(),
            certified_on: Some(date),
            ..InspectorFilter::default()
        };
        let inspectors: Vec<String> = db
            .search_inspectors(&filter, &PageRequest::first(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .iter()
            .map(|i| i.fields().cert_no.as_str().to_owned())
            .collect();
        let entity = db
            .search_entities(&EntityFilter::default(), &PageRequest::first(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .first()
            .map(|e| e.fields().uscc.as_str().to_owned())
            .unwrap_or_default();
        let other = Account {
            username: "ga.staff".into(),
            display_name: "公安局工作人员".into(),
            role: Role::DepartmentStaff,
            department: Some("GA".into()),
            certificate: None,
            password_hash: String::new(),
            must_change_password: false,
            disabled: false,
        };
        service::accounts::save_account(&db, other, Some(DEMO_PASSWORD.into()), "test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        assert_eq!(inspectors.len(), 2);
        (inspectors, entity)
    })
}

#[test]
fn a_flagged_inspection_is_rectified_through_a_notice() {
    let server = TestServer::start();
    let date = NaiveDate::from_ymd_opt(2025, 11, 3).unwrap_or_default();
    let (inspectors, entity) = setup(&server, date);
    let mut staff = server.login("scjg.staff");
    let registered = staff.post_form(
        "/supervision/out-of-plan",
        &[
            ("entity", &entity),
            ("reason", "其他"),
            ("detail", "巡查中顺便检查"),
            ("work_order", ""),
            ("inspected_on", "2025-11-03"),
            ("inspectors", &inspectors.join(",")),
        ],
    );
    assert_eq!(registered.status, 303, "{}", registered.body);
    let id = "SCJG-JWJ-2025-";
    let mut supervisor = server.login("sfj.supervisor");
    let flagged = supervisor.get("/supervision?flagged=1");
    assert!(
        flagged.body.contains(id) && flagged.body.contains("督促整改"),
        "{}",
        flagged.body
    );

    // Only the Justice Bureau issues notices.
    let list = supervisor.get("/api/v1/out-of-plan").json();
    let record = list
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|o| o["flagged"] == true && o["entity"] == entity.as_str())
        })
        .cloned()
        .unwrap_or_default();
    let subject = format!("out_of_plan:{}", record["id"].as_str().unwrap_or_default());
    let refused = staff.post_form(
        "/supervision/notices",
        &[("subject", &subject), ("requirement", "x")],
    );
    assert_eq!(refused.status, 403);
    let issued = supervisor.post_form(
        "/supervision/notices",
        &[
            ("subject", &subject),
            ("requirement", "说明检查依据，补正检查记录"),
        ],
    );
    assert_eq!(issued.status, 303, "{}", issued.body);
    let notice_path = issued.location.clone().unwrap_or_default();
    let notice_id = notice_path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(notice_id.starts_with("ZG-"), "{notice_path}");

    // Another department sees neither the inspection nor the notice.
    let mut other = server.login("ga.staff");
    assert_eq!(other.get(&notice_path).status, 404);
    assert!(!other.get("/supervision").body.contains(&notice_id));
    assert_eq!(
        other
            .post_form(&format!("{notice_path}/answer"), &[("text", "已整改")])
            .status,
        404
    );

    // Answer, send back (needs a reason), answer again, close.
    assert_eq!(
        staff
            .post_form(&format!("{notice_path}/answer"), &[("text", "已补正记录")])
            .status,
        303
    );
    let no_reason = supervisor.post_form(
        &format!("{notice_path}/review"),
        &[("accept", "0"), ("text", "")],
    );
    assert_eq!(no_reason.status, 409, "{}", no_reason.body);
    assert_eq!(
        supervisor
            .post_form(
                &format!("{notice_path}/review"),
                &[("accept", "0"), ("text", "依据不充分")]
            )
            .status,
        303
    );
    assert!(staff.get(&notice_path).body.contains("待整改"));
    assert_eq!(
        staff
            .post_form(&format!("{notice_path}/answer"), &[("text", "已补充依据")])
            .status,
        303
    );
    assert_eq!(
        supervisor
            .post_form(
                &format!("{notice_path}/review"),
                &[("accept", "1"), ("text", "")]
            )
            .status,
        303
    );
    let closed = staff
        .get(&format!("/api/v1/rectifications/{notice_id}"))
        .json();
    assert_eq!(closed["status"], "已销号", "{closed}");
    assert_eq!(closed["answers"].as_array().map(Vec::len), Some(2));
    // A closed notice takes no more answers.
    assert_eq!(
        staff
            .post_form(&format!("{notice_path}/answer"), &[("text", "再次")])
            .status,
        409
    );
}

#[test]
fn out_of_plan_registration_is_refused_outside_ones_department_and_for_bad_input() {
    let server = TestServer::start();
    let date = NaiveDate::from_ymd_opt(2025, 11, 3).unwrap_or_default();
    let (inspectors, entity) = setup(&server, date);
    let joined = inspectors.join(",");
    let form = |entity: &str, department: &str| {
        vec![
            ("department", department.to_owned()),
            ("entity", entity.to_owned()),
            ("reason", "投诉举报".to_owned()),
            ("detail", "群众投诉".to_owned()),
            ("inspected_on", "2025-11-03".to_owned()),
            ("inspectors", joined.clone()),
        ]
    };
    let send = |client: &mut crate::common::web::Client, fields: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        client.post_form("/supervision/out-of-plan", &pairs)
    };
    let mut other = server.login("ga.staff");
    assert_eq!(send(&mut other, form(&entity, "SCJG")).status, 403);
    let mut supervisor = server.login("sfj.supervisor");
    assert_eq!(send(&mut supervisor, form(&entity, "SCJG")).status, 403);
    let mut staff = server.login("scjg.staff");
    let bad_code = send(&mut staff, form("91420200MA4KXXXXXX", "SCJG"));
    assert_eq!(bad_code.status, 409, "{}", bad_code.body);
    assert_eq!(send(&mut staff, form(&entity, "SCJG")).status, 303);
    // GA's staff account (of another department) and the hotline see nothing of it.
    assert_eq!(
        other
            .get("/api/v1/out-of-plan")
            .json()
            .as_array()
            .map(|l| l.iter().filter(|o| o["department"] == "SCJG").count()),
        Some(0)
    );
    let mut hotline = server.login("hotline.operator");
    assert_eq!(
        hotline
            .get("/api/v1/out-of-plan")
            .json()
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[test]
fn a_malformed_json_body_is_a_json_error_naming_the_problem() {
    let server = TestServer::start();
    let mut supervisor = server.login("sfj.supervisor");
    for path in ["/api/v1/rectifications", "/api/v1/plans"] {
        let answer = supervisor.send_json("POST", path, &serde_json::json!({"unexpected": true}));
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        let error = answer.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.contains("缺少字段"), "{path}: {error}");
    }
}
