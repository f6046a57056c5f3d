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
