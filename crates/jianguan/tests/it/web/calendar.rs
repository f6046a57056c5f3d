//! The working-day calendar over the real server: a hotline deadline across
//! 2027's 春节 is computed with the provisional year and marked 暂定; only the
//! administrator loads the notice (a department user gets 403); loading
//! recomputes the open order's deadline, clears the marker and is on the
//! ledger with the file's SHA-256; a bad notice is refused by line.

use domain::calendar::CalendarNotice;
use serde_json::Value;
use storage::{self, WorkflowStore};

use crate::common::web::{Client, TestServer};

/// A made-up 2027 notice for the test (NOT the real arrangements): 春节
/// Friday 02-05 to Friday 02-12, Saturday 02-20 worked.
const TEST_2027: &str = r#"[2027]
notices = ["测试用 2027 年放假安排（非真实通知）"]
holidays = [
  { name = "春节", from = "2027-02-05", to = "2027-02-12" },
]
makeup = [
  { date = "2027-02-20", for = "春节" },
]
"#;

fn block_on<T>(work: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(work)
}

fn api_order(client: &mut Client, id: &str) -> Value {
    let answer = client.get(&format!("/api/v1/hotline/orders/{id}"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn upload(client: &mut Client, text: &str) -> crate::common::web::Answer {
    let path = format!("/calendar?csrf={}", client.csrf);
    client.post_multipart(
        &path,
        &[("text", "")],
        ("file", "2027.toml", text.as_bytes()),
    )
}

#[test]
fn a_deadline_across_the_2027_spring_festival_is_provisional_until_the_notice_is_loaded() {
    let server = TestServer::start();
    let mut operator = server.login("hotline.operator");
    let id = "RXT-CAL-0001";
    let answer = operator.post_form(
        "/hotline",
        &[
            ("id", id),
            ("channel", "12345"),
            ("received_at", "2027-02-03 09:00"),
            ("caller_name", "李四"),
            ("caller_phone", "13900001111"),
            ("category", "食品安全"),
            ("content", "春节前投诉"),
            ("location", "黄石港区"),
            ("entity", ""),
            ("difficulty", "一般"),
            ("department", "SCJG"),
        ],
    );
    assert_eq!(answer.status, 303, "{}", answer.body);

    // Provisional 2027: 除夕 Fri 02-05 to 初三 Mon 02-08 and 补假 Tue 02-09,
    // Wed 02-10 are off, so 5 working days from Wed 02-03 end Tue 02-16
    // (weekends only would have said Wed 02-10).
    let order = api_order(&mut operator, id);
    assert_eq!(order["sign_due"], "2027-02-04", "{order}");
    assert_eq!(order["close_due"], "2027-02-16", "{order}");
    assert_eq!(order["deadline_provisional"], true, "{order}");
    let page = operator.get(&format!("/hotline/orders/{id}"));
    assert!(
        page.body.contains("id=\"deadline-provisional\""),
        "the order page marks 暂定"
    );
    let due = operator.get("/api/v1/hotline/due?as_of=2027-02-16%2009:00");
    assert_eq!(due.status, 200, "{}", due.body);
    let listed = due.json();
    let ours = listed
        .as_array()
        .and_then(|orders| orders.iter().find(|o| o["id"] == id))
        .cloned();
    assert_eq!(
        ours.map(|o| o["provisional"].clone()),
        Some(Value::Bool(true)),
        "{listed}"
    );

    // Only the administrator may see or load the notice.
    let mut department = server.login("scjg.staff");
    assert_eq!(department.get("/calendar").status, 403);
    assert_eq!(upload(&mut department, TEST_2027).status, 403);
    assert_eq!(
        api_order(&mut operator, id)["close_due"],
        "2027-02-16",
        "a refused load changes nothing"
    );

    let mut admin = server.login("admin");
    let page = admin.get("/calendar");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("暂定"), "{}", page.body);

    // A notice with problems is refused by line; nothing is stored.
    let bad = upload(
        &mut admin,
        "[2027]\nnotices = [\"x\"]\nholidays = [{ name = \"春节\", date = \"2027-02-30\" }]\n",
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("line 3"), "{}", bad.body);
    assert_eq!(api_order(&mut operator, id)["deadline_provisional"], true);

    let loaded = upload(&mut admin, TEST_2027);
    assert_eq!(loaded.status, 200, "{}", loaded.body);
    let sha256 = domain::ledger::digest(TEST_2027);
    assert!(loaded.body.contains(&sha256), "{}", loaded.body);
    assert!(loaded.body.contains("重算 1 张在办工单"), "{}", loaded.body);

    // Recomputed: 02-05 to 02-12 off, so Thu 02-04, Mon 15, Tue 16, Wed 17, Thu 18.
    let order = api_order(&mut operator, id);
    assert_eq!(order["close_due"], "2027-02-18", "{order}");
    assert_eq!(order["deadline_provisional"], false, "{order}");
    let events = order["events"].as_array().cloned().unwrap_or_default();
    assert!(
        events.iter().any(|e| e["action"] == "时限重算"
            && e["actor"].as_str().is_some_and(|a| a.starts_with("admin "))),
        "{order}"
    );
    let page = operator.get(&format!("/hotline/orders/{id}"));
    assert!(!page.body.contains("id=\"deadline-provisional\""));

    // The ledger: who, which year, the file's SHA-256; the chain still verifies.
    let url = server.database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let notice = db
            .get::<CalendarNotice>("2027")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let notice = notice.unwrap_or_else(|| panic!("the 2027 notice is stored"));
        assert_eq!(
            (
                notice.loaded_by.as_str(),
                notice.sha256.as_str(),
                notice.text.as_str()
            ),
            ("admin (system_admin)", sha256.as_str(), TEST_2027)
        );
        let ledger = db.ledger().await.unwrap_or_else(|e| panic!("{e}"));
        let entry = ledger
            .iter()
            .find(|e| e.action == "calendar.notice_loaded")
            .unwrap_or_else(|| panic!("no ledger entry for the notice"));
        assert_eq!(
            (entry.actor.as_str(), entry.subject_key.as_str()),
            ("admin (system_admin)", "2027")
        );
        assert!(
            entry.detail.contains(&sha256) && entry.detail.contains("2027"),
            "{}",
            entry.detail
        );
        assert!(
            ledger
                .iter()
                .any(|e| e.action == "calendar.deadlines_recomputed" && e.subject_key == id)
        );
        let report = service::audit::verify(&db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(report.intact(), "{:?}", report.breaks);
        // A server started on this database applies the stored notice.
        let base = workcal::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"));
        let calendar = service::calendar::with_stored_notices(&db, &base)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!calendar.is_provisional_year(2027));
        db.close().await;
    });
}

#[test]
fn the_dashboard_warns_from_november_when_next_years_notice_is_missing() {
    let server = TestServer::start();
    let calendar = workcal::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"));
    let today = domain::clock::now().date_naive();
    let expected = service::calendar::notice_due(&calendar, today);
    let mut admin = server.login("admin");
    let mut staff = server.login("scjg.staff");
    let admin_page = admin.get("/dashboard");
    let staff_page = staff.get("/dashboard");
    assert_eq!((admin_page.status, staff_page.status), (200, 200));
    match expected {
        Some(year) => {
            for page in [&admin_page, &staff_page] {
                assert!(
                    page.body.contains("id=\"calendar-warning\""),
                    "{}",
                    page.body
                );
                assert!(page.body.contains(&format!("{year} 年放假安排尚未载入")));
            }
            assert!(
                admin_page.body.contains("href=\"/calendar\""),
                "the administrator gets the link"
            );
            assert!(!staff_page.body.contains("载入放假安排</a>"));
            let notice = TEST_2027.replace("2027", &year.to_string());
            let path = format!("/calendar?csrf={}", admin.csrf);
            let loaded = admin.post_multipart(&path, &[("text", &notice)], ("file", "", b""));
            assert_eq!(loaded.status, 200, "{}", loaded.body);
            assert!(
                !admin
                    .get("/dashboard")
                    .body
                    .contains("id=\"calendar-warning\"")
            );
            assert!(
                !staff
                    .get("/dashboard")
                    .body
                    .contains("id=\"calendar-warning\"")
            );
        }
        None => assert!(!admin_page.body.contains("id=\"calendar-warning\"")),
    }
}
