//! First run in the browser: a database without a city sends the administrator
//! to 首次设置 (/setup) and tells other staff to ask; after setting up 宜昌
//! the portal, the dashboard and the reports say 宜昌市, never 黄石.

use std::path::{Path, PathBuf};

use domain::account::Role;

use crate::common::web::{TestServer, add_account};
use crate::common::{runtime, unique};

/// A migrated database without a city, with an administrator and a supervisor.
fn database_without_city() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("jianguan_web_first_run"));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let database = dir.join(storage::DEFAULT_DATABASE_FILE);
    migrate(&database);
    add_account(&database, "admin1", Role::SystemAdmin, None);
    add_account(&database, "watcher", Role::Supervisor, None);
    database
}

fn migrate(database: &Path) {
    let url = database.to_string_lossy().into_owned();
    let runtime = runtime().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        storage::Store::migrate(&db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
    });
}

#[test]
fn first_login_sets_up_the_city_and_pages_name_it() {
    let server = TestServer::over(database_without_city());

    // Other staff are told to ask the administrator.
    let mut watcher = server.login("watcher");
    let dashboard = watcher.get("/dashboard");
    assert_eq!(dashboard.status, 303);
    assert_eq!(dashboard.location.as_deref(), Some("/setup"));
    let notice = watcher.get("/setup");
    assert_eq!(notice.status, 200);
    assert!(
        notice.body.contains("id=\"setup-ask-admin\""),
        "{}",
        notice.body
    );
    assert!(!notice.body.contains("id=\"setup-choose\""));
    let refused = watcher.post_form("/setup", &[("code", "420500"), ("confirm", "1")]);
    assert_eq!(refused.status, 403);

    // The administrator's first login lands on the setup page.
    let mut admin = server.login("admin1");
    let home = admin.get("/dashboard");
    assert_eq!(home.location.as_deref(), Some("/setup"));
    let choose = admin.get("/setup");
    assert!(
        choose.body.contains("id=\"setup-choose\""),
        "{}",
        choose.body
    );
    assert!(choose.body.contains("<optgroup label=\"湖北省\">"));
    assert!(choose.body.contains("420500 宜昌市"));

    // Not a city: the reason, in Chinese.
    let county = admin.post_form("/setup", &[("code", "420502")]);
    assert_eq!(county.status, 200);
    assert!(
        county.body.contains("420502 西陵区 是县级行政区划"),
        "{}",
        county.body
    );

    // Chosen: what it loads, to confirm.
    let confirm = admin.post_form("/setup", &[("city", "420500")]);
    assert!(
        confirm.body.contains("id=\"setup-confirm\""),
        "{}",
        confirm.body
    );
    for name in ["市直", "西陵区", "夷陵区", "长阳土家族自治县", "枝江市"] {
        assert!(confirm.body.contains(name), "{name}");
    }
    let done = admin.post_form("/setup", &[("code", "420500"), ("confirm", "1")]);
    assert_eq!(done.status, 303, "{}", done.body);
    let steps = admin.get("/setup");
    assert!(steps.body.contains("id=\"setup-city\""), "{}", steps.body);
    let departments = steps.body.find("value=\"departments\"");
    let entities = steps.body.find("value=\"entities\"");
    assert!(
        departments.is_some() && departments < entities,
        "departments come first"
    );
    assert!(steps.body.contains("action=\"/directories/import?csrf="));

    // Another city is refused now.
    let other = admin.post_form("/setup", &[("code", "420200"), ("confirm", "1")]);
    assert!(
        other.body.contains("本系统已设置为 420500 宜昌市"),
        "{}",
        other.body
    );

    // The city's name, and never 黄石, on the dashboard, the portal and the reports.
    for path in ["/dashboard", "/reports", "/gongshi"] {
        let page = admin.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains("宜昌市"), "{path}: {}", page.body);
        assert!(!page.body.contains("黄石"), "{path} names 黄石");
    }
    let portal = server.anonymous().get("/gongshi");
    assert!(
        portal.body.contains("宜昌市“双随机、一公开”公示平台"),
        "{}",
        portal.body
    );
    assert!(!portal.body.contains("黄石"));
}
