//! The services KPI dashboard (/services/kpi): the six figures of the known
//! answers of tests/it/services.rs, the charts, the watermarked XLSX, and a
//! departmental account held to its own department.

use crate::common::web::{TestServer, block_on};
use crate::services::{APPLICATIONS, CATALOGUE};
use crate::web::watermark::assert_xlsx_watermark;
use storage::Store as _;

/// The demo city with the services test catalogue and applications.
fn server() -> TestServer {
    TestServer::start_prepared(|database| {
        let dir = database
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let catalogue = dir.join("catalogue.csv");
        let applications = dir.join("applications.csv");
        std::fs::write(&catalogue, CATALOGUE).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&applications, APPLICATIONS).unwrap_or_else(|e| panic!("{e}"));
        let url = database.to_string_lossy().into_owned();
        block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
            let calendar = workcal::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"));
            let now = domain::clock::now();
            service::services::import_catalogue(&db, &catalogue, "test", now)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            service::services::import_applications(&db, &calendar, &applications, "test", now)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
        });
    })
}

const QUERY: &str = "from=2026-03-01&to=2026-03-31&as_of=2026-03-20%2023:00";

#[test]
fn the_dashboard_shows_the_six_figures_with_charts_and_an_xlsx() {
    let server = server();
    let mut supervisor = server.login("sfj.supervisor");
    let page = supervisor.get(&format!("/services/kpi?{QUERY}"));
    assert_eq!(page.status, 200, "{}", page.body);
    for (key, shown) in [
        ("applications", "9"),
        ("on_time_rate", "57.1%"),
        ("one_window_share", "66.7%"),
        ("good_rate", "40.0%"),
        ("bad_reviews", "3"),
        ("rectified_on_time_rate", "50.0%"),
    ] {
        assert!(
            page.body.contains(&format!("data-kpi=\"{key}\">{shown}<")),
            "{key}: {}",
            page.body
        );
    }
    assert!(page.body.contains("class=\"chart\" data-option="));
    assert!(page.body.contains("echarts.min.js"));
    // One department: D02 has B3, B9, B11 in March.
    let d02 = supervisor.get(&format!("/services/kpi?{QUERY}&department=D02"));
    assert!(
        d02.body.contains("data-kpi=\"applications\">3<"),
        "{}",
        d02.body
    );
    // A bad date is a Chinese refusal, not a crash.
    let bad = supervisor.get("/services/kpi?from=2026-13-01");
    assert_eq!(bad.status, 400, "{}", bad.body);
    let xlsx = supervisor.get(&format!("/services/kpi/download?{QUERY}"));
    assert_eq!(xlsx.status, 200, "{}", xlsx.body);
    assert_eq!(&xlsx.bytes[..2], b"PK");
    assert_xlsx_watermark(&xlsx.bytes, "sfj.supervisor", "司法局");
    // A department's staff sees its own department only.
    let mut staff = server.login("scjg.staff");
    let own = staff.get(&format!("/services/kpi?{QUERY}"));
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(
        own.body.contains("data-kpi=\"applications\">0<"),
        "{}",
        own.body
    );
    assert_eq!(
        staff
            .get(&format!("/services/kpi?{QUERY}&department=D01"))
            .status,
        403
    );
}

/// The 核查 pages: the list, the drawn applications, and 不实 asked for
/// confirmation before it revokes and lists the applicant.
#[test]
fn verification_results_are_entered_with_confirmation_before_a_false_promise() {
    let server = server();
    let url = server.database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default();
        let checker = service::credit::Checker {
            actor: "test".into(),
            department: None,
        };
        let rules = service::services::PromiseRules::default();
        service::services::promise_check(&db, "M1", "91420200MA4A0002XJ", day(1), &rules, &checker)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rates_bp =
            service::verification::parse_rates("中=10000").unwrap_or_else(|e| panic!("{e}"));
        rates_bp.insert("中".into(), 10_000);
        let request = service::verification::VerificationRequest {
            id: "HC-WEB".into(),
            month: day(1),
            rates_bp,
        };
        let now = domain::clock::now();
        service::verification::commit(
            &db,
            &request,
            &draw::Secret::from_bytes([3; 32]),
            now,
            "test",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        service::verification::draw(&db, "HC-WEB", "beacon", &[], now, "test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
    });
    let mut office = server.login("credit.office");
    let list = office.get("/services/verification");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("/services/verification/HC-WEB"),
        "{}",
        list.body
    );
    let show = office.get("/services/verification/HC-WEB");
    assert_eq!(show.status, 200, "{}", show.body);
    assert!(
        show.body.contains("data-application=\"B1\""),
        "{}",
        show.body
    );
    assert!(show.body.contains("data-confirm="), "{}", show.body);
    // 不实 without the confirmation: the confirmation page, nothing recorded.
    let asked = office.post_form(
        "/services/verification/HC-WEB/result",
        &[
            ("application", "B1"),
            ("outcome", "不实"),
            ("note", "场地不符"),
        ],
    );
    assert!(asked.body.contains("确认不实"), "{}", asked.body);
    assert!(
        office
            .get("/services/verification/HC-WEB")
            .body
            .contains("待核查")
    );
    office.post_form(
        "/services/verification/HC-WEB/result",
        &[
            ("application", "B1"),
            ("outcome", "不实"),
            ("note", "场地不符"),
            ("confirm", "1"),
        ],
    );
    let after = office.get("/services/verification/HC-WEB");
    assert!(after.body.contains("不实（场地不符）"), "{}", after.body);
}

/// 核查 committed and drawn from the pages: the commit form (a bad month is
/// a coded refusal on its field), the shared witness form, the confirmation,
/// the draw as a background job, and no 双随机 round listed for it.
#[test]
fn verification_is_committed_and_drawn_from_the_pages() {
    let server = server();
    let url = server.database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        let checker = service::credit::Checker {
            actor: "test".into(),
            department: None,
        };
        let rules = service::services::PromiseRules::default();
        service::services::promise_check(&db, "M1", "91420200MA4A0002XJ", day, &rules, &checker)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
    });
    let mut office = server.login("credit.office");
    let list = office.get("/services/verification");
    assert!(
        list.body.contains(r#"action="/services/verification""#)
            && list.body.contains("data-confirm="),
        "{}",
        list.body
    );
    let bad = office.post_form_inline(
        "/services/verification",
        &[("id", "HC-PAGE"), ("month", "2026-13"), ("rates", "")],
    );
    assert_eq!(bad.status, 409, "{}", bad.body);
    assert!(bad.body.contains("month_invalid"), "{}", bad.body);
    let committed = office.post_form(
        "/services/verification",
        &[
            ("id", "HC-PAGE"),
            ("month", "2026-03"),
            ("rates", "中=10000"),
        ],
    );
    assert_eq!(committed.status, 303, "{}", committed.body);
    assert_eq!(
        committed.location.as_deref(),
        Some("/services/verification/HC-PAGE")
    );
    let show = office.get("/services/verification/HC-PAGE");
    assert!(
        show.body
            .contains(r#"action="/services/verification/HC-PAGE/draw""#)
            && show.body.contains("见证抽取"),
        "the shared witness form: {}",
        show.body
    );
    let fields = [
        ("witnesses", "市司法局 王明"),
        ("beacon", "上证综指 2026-04-01 收盘 3321.45"),
    ];
    let asked = office.post_form("/services/verification/HC-PAGE/draw", &fields);
    assert!(asked.body.contains("确认抽取"), "{}", asked.body);
    assert!(
        office
            .get("/services/verification/HC-PAGE")
            .body
            .contains("见证抽取"),
        "not drawn before the confirmation"
    );
    let no_witness = office.post_form_inline(
        "/services/verification/HC-PAGE/draw",
        &[("witnesses", " "), ("beacon", "b"), ("confirm", "1")],
    );
    assert!(
        no_witness.body.contains("witness_required"),
        "{}",
        no_witness.body
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm", "1"));
    let started = office.post_form("/services/verification/HC-PAGE/draw", &confirmed);
    assert_eq!(started.status, 303, "{}", started.body);
    let job = started
        .location
        .as_deref()
        .and_then(|l| l.split("?job=").nth(1))
        .unwrap_or_else(|| panic!("no job in {:?}", started.location))
        .to_owned();
    let done = crate::web::staff_workflow::wait_for_job(&mut office, &job);
    assert!(done.contains("完成"), "{done}");
    let drawn = office.get("/services/verification/HC-PAGE");
    assert!(
        drawn.body.contains("data-application=\"B1\"") && !drawn.body.contains("见证抽取"),
        "{}",
        drawn.body
    );
    let again = office.post_form("/services/verification/HC-PAGE/draw", &confirmed);
    assert_eq!(again.status, 409, "drawn once: {}", again.body);
    // Not a 双随机 round.
    let mut supervisor = server.login("sfj.supervisor");
    let rounds = supervisor.get("/rounds?q=HC-PAGE");
    assert_eq!(rounds.status, 200, "{}", rounds.body);
    assert!(!rounds.body.contains("/rounds/HC-PAGE"), "{}", rounds.body);
}
