//! The dashboard, directories (search, paging, import, export), reports, the
//! ledger and accounts, against the real server over the demo city.

#![allow(clippy::panic, reason = "a failed step fails the test loudly")]

use std::time::Duration;

use crate::common::web::{Answer, Client, TestServer, encode};

/// The id of the job a page started (`hx-get="/jobs/ID"`).
pub fn job_id(page: &Answer) -> String {
    let start = page
        .body
        .find("hx-get=\"/jobs/")
        .unwrap_or_else(|| panic!("no job on the page: {}", page.body))
        + 14;
    page.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

/// Polls the job until it is finished; returns its last fragment.
pub fn finished_job(client: &mut Client, page: &Answer) -> String {
    let id = job_id(page);
    for _ in 0..300 {
        let fragment = client.get(&format!("/jobs/{id}"));
        assert_eq!(fragment.status, 200, "{}", fragment.body);
        if !fragment.body.contains("every 1s") {
            return fragment.body;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("job {id} did not finish");
}

/// The first `/files/…` link of a page.
pub fn file_link(body: &str) -> String {
    let start = body
        .find("href=\"/files/")
        .unwrap_or_else(|| panic!("no file link: {body}"))
        + 6;
    let end = body[start..].find('"').unwrap_or(0) + start;
    body[start..end].to_owned()
}

fn charts(body: &str) -> usize {
    body.matches("<div class=\"chart\" data-option='").count()
}

#[test]
fn the_dashboard_draws_charts_scoped_to_the_department() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let page = admin.get("/dashboard");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(charts(&page.body) >= 5, "{}", page.body);
    assert!(page.body.contains("echarts.min.js"));
    assert!(page.body.contains("信用风险分类"));
    let city = admin.get("/api/v1/dashboard").json();
    assert_eq!(city["scope"], "全市");

    let mut staff = server.login("scjg.staff");
    let page = staff.get("/dashboard");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(charts(&page.body) >= 5, "{}", page.body);
    assert!(page.body.contains("黄石市市场监督管理局"));
    let own = staff.get("/api/v1/dashboard?year=2025").json();
    assert_eq!(own["scope"], "SCJG");
    assert_eq!(own["year"], city["year"]);
    let (own_visits, city_visits) = (
        own["report"]["visits"].as_u64().unwrap_or(0),
        city["report"]["visits"].as_u64().unwrap_or(0),
    );
    assert!(
        0 < own_visits && own_visits < city_visits,
        "{own_visits} vs {city_visits}"
    );
    assert!(own["inspectors"].as_u64() < city["inspectors"].as_u64());
    let monthly: u64 = own["monthly"]
        .as_array()
        .map(|months| months.iter().filter_map(|m| m["visits"].as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(monthly, own_visits, "the months add up to the year");

    // No risk classes for an account that may not see them.
    let mut hotline = server.login("hotline.operator");
    let figures = hotline.get("/api/v1/dashboard").json();
    assert!(figures["risk_classes"].is_null(), "{figures}");
    let page = hotline.get("/dashboard");
    assert!(!page.body.contains("信用风险分类"), "{}", page.body);
}

#[test]
fn directories_search_and_page_by_key() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let first = staff.get("/api/v1/entities?limit=50").json();
    assert_eq!(first["total"], 400);
    let items = first["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 50);
    assert!(
        items[0]["credit_class"].is_string(),
        "staff see risk classes"
    );
    let next = first["next"].as_str().unwrap_or_default().to_owned();
    assert!(!next.is_empty());
    let second = staff
        .get(&format!("/api/v1/entities?limit=50&after={next}"))
        .json();
    let second_items = second["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(second_items.len(), 50);
    let last_of_first = items[49]["uscc"].as_str().unwrap_or_default();
    let first_of_second = second_items[0]["uscc"].as_str().unwrap_or_default();
    assert!(
        first_of_second > last_of_first,
        "{first_of_second} after {last_of_first}"
    );

    // Search by part of a name, on the page and in the API.
    let name = items[3]["name"].as_str().unwrap_or_default().to_owned();
    let part: String = name.chars().skip(2).take(4).collect();
    let found = staff
        .get(&format!("/api/v1/entities?q={}", encode(&part)))
        .json();
    let names: Vec<&str> = found["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&name.as_str()), "{part}: {names:?}");
    let page = staff.get(&format!("/directories?tab=entities&q={}", encode(&part)));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&name));
    let page = staff.get("/directories");
    assert!(
        page.body.contains("下一页"),
        "a full directory has a next page"
    );
    let class_a = staff.get("/api/v1/entities?class=A&limit=500").json();
    assert!(
        class_a["items"]
            .as_array()
            .is_some_and(|a| a.iter().all(|e| e["credit_class"] == "A"))
    );

    // Inspectors: a department sees its own.
    let own = staff.get("/api/v1/inspectors?limit=5").json();
    assert!(
        own["items"]
            .as_array()
            .is_some_and(|a| a.iter().all(|i| i["department"] == "SCJG"))
    );
    assert_eq!(staff.get("/api/v1/inspectors?department=GA").status, 403);
    for tab in ["inspectors", "items", "joint-items"] {
        let page = staff.get(&format!("/directories?tab={tab}"));
        assert_eq!(page.status, 200, "{tab}: {}", page.body);
    }

    // An inspector sees no risk classes and may not filter by them.
    let mut inspector = server.login("scjg.inspector");
    let seen = inspector.get("/api/v1/entities?limit=3").json();
    assert!(seen["items"][0].get("credit_class").is_none(), "{seen}");
    assert_eq!(inspector.get("/api/v1/entities?class=A").status, 403);
    assert!(!inspector.get("/directories").body.contains("风险分类"));
}

#[test]
fn an_upload_imports_the_good_rows_and_reports_the_bad_one() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let listed = admin.get("/api/v1/entities?limit=2").json();
    let entity = |i: usize, renamed: &str| {
        let e = &listed["items"][i];
        format!(
            "{},{},{},{},{},{}",
            e["uscc"].as_str().unwrap_or_default(),
            renamed,
            e["entity_type"].as_str().unwrap_or_default(),
            e["district"].as_str().unwrap_or_default(),
            e["registered_on"].as_str().unwrap_or_default(),
            e["status"].as_str().unwrap_or_default()
        )
    };
    let csv = format!(
        "统一社会信用代码,主体名称,主体类型,所属区域,成立日期,登记状态\n{}\n{}\nBADCODE,坏行公司,企业,420202,2020-01-01,存续\n",
        entity(0, "上传改名甲公司"),
        entity(1, "上传改名乙公司"),
    );
    let upload = |client: &mut Client| {
        let path = format!("/directories/import?csrf={}", client.csrf);
        client.post_multipart(
            &path,
            &[("kind", "entities")],
            ("file", "entities.csv", csv.as_bytes()),
        )
    };
    let page = upload(&mut admin);
    assert_eq!(page.status, 200, "{}", page.body);
    let outcome = finished_job(&mut admin, &page);
    assert!(outcome.contains("导入 2 行"), "{outcome}");
    assert!(outcome.contains("拒绝 1 行"), "{outcome}");
    let uscc = listed["items"][0]["uscc"].as_str().unwrap_or_default();
    let found = admin.get(&format!("/api/v1/entities?q={uscc}")).json();
    assert_eq!(found["items"][0]["name"], "上传改名甲公司");

    // The error report: an XLSX naming row 4 and its column, for the uploader only.
    let link = file_link(&outcome);
    let report = admin.get(&link);
    assert_eq!(report.status, 200);
    assert!(report.bytes.starts_with(b"PK"));
    let text = xlsx_text(&report.bytes, "错误");
    assert!(
        text.contains('4') && text.contains("统一社会信用代码"),
        "{text}"
    );
    let mut staff = server.login("scjg.staff");
    assert_eq!(staff.get(&link).status, 404);

    // A department may not import.
    assert_eq!(upload(&mut staff).status, 403);
    assert_eq!(staff.get("/api/v1/entities?q=BADCODE").json()["total"], 0);

    // Export: the directory as CSV, downloadable by the one who asked.
    let page = admin.post_form(
        "/directories/export",
        &[("kind", "items"), ("format", "csv")],
    );
    let outcome = finished_job(&mut admin, &page);
    let file = admin.get(&file_link(&outcome));
    assert_eq!(file.status, 200);
    assert!(
        file.body.contains("事项编码"),
        "{}",
        &file.body[..200.min(file.body.len())]
    );
    let inspector_export = staff.post_form("/directories/export", &[("kind", "inspectors")]);
    assert_eq!(inspector_export.status, 403);
}

/// An entity uploaded with the 主体类型 printed on its licence is listed with
/// that text and its class, on the page and in the API; an unknown text is kept
/// as 其他 with a warning.
#[test]
fn a_licence_registration_type_is_listed_with_its_class() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let listed = admin.get("/api/v1/entities?limit=2").json();
    let field = |i: usize, name: &str| {
        listed["items"][i][name]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let csv = format!(
        "统一社会信用代码,主体名称,主体类型,所属区域,成立日期,登记状态\n{},{},有限责任公司(自然人独资),{},{},存续\n{},{},宗教活动场所,{},{},存续\n",
        field(0, "uscc"),
        field(0, "name"),
        field(0, "district"),
        field(0, "registered_on"),
        field(1, "uscc"),
        field(1, "name"),
        field(1, "district"),
        field(1, "registered_on"),
    );
    let path = format!("/directories/import?csrf={}", admin.csrf);
    let page = admin.post_multipart(
        &path,
        &[("kind", "entities")],
        ("file", "licence.csv", csv.as_bytes()),
    );
    let outcome = finished_job(&mut admin, &page);
    assert!(outcome.contains("导入 2 行"), "{outcome}");
    let text = xlsx_text(&admin.get(&file_link(&outcome)).bytes, "警告");
    assert!(
        text.contains("宗教活动场所") && text.contains("其他"),
        "{text}"
    );

    for (i, registration, class) in [
        (0, "有限责任公司(自然人独资)", "企业"),
        (1, "宗教活动场所", "其他"),
    ] {
        let uscc = field(i, "uscc");
        let found = admin.get(&format!("/api/v1/entities?q={uscc}")).json();
        assert_eq!(found["items"][0]["registration_type"], registration);
        assert_eq!(found["items"][0]["entity_type"], class);
        let page = admin.get(&format!("/directories?tab=entities&q={uscc}"));
        assert!(
            page.body
                .contains(&format!("{registration}<br><small>{class}</small>")),
            "{}",
            page.body
        );
    }
}

/// The cells of one sheet, tab-separated.
fn xlsx_text(bytes: &[u8], sheet: &str) -> String {
    use calamine::Reader;
    let cursor = std::io::Cursor::new(bytes.to_vec());
    let mut book = calamine::Xlsx::new(cursor).unwrap_or_else(|e| panic!("{e}"));
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{e}"));
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn reports_download_as_xlsx_for_ones_own_department() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let page = staff.get("/reports?kind=annual&year=2025");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("黄石市市场监督管理局"));
    let file = staff.get("/reports/download?kind=quarterly&year=2025&period=2");
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(file.bytes.starts_with(b"PK"));
    assert!(
        file.content_type
            .unwrap_or_default()
            .contains("spreadsheetml")
    );
    assert_eq!(
        staff
            .get("/reports/download?kind=annual&year=2025&department=GA")
            .status,
        403
    );
    let own = staff.get("/api/v1/reports?kind=annual&year=2025").json();
    assert_eq!(own["rows"][0]["department"], "SCJG");

    let mut supervisor = server.login("sfj.supervisor");
    let city = supervisor
        .get("/api/v1/reports?kind=monthly&year=2025&period=1")
        .json();
    assert_eq!(city["rows"][0]["department"], "全市");
    assert_eq!(server.login("scjg.inspector").get("/reports").status, 403);
}

#[test]
fn the_ledger_verifies_and_finds_a_tampered_plan() {
    let server = TestServer::start();
    let mut supervisor = server.login("sfj.supervisor");
    let page = supervisor.get("/ledger?action=plan.");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("plan."));
    let entries = supervisor.get("/api/v1/ledger?limit=3").json();
    let items = entries["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 3);
    assert!(
        items[0]["seq"].as_i64() > items[1]["seq"].as_i64(),
        "newest first"
    );
    let older = supervisor
        .get(&format!(
            "/api/v1/ledger?limit=3&before={}",
            entries["next"]
        ))
        .json();
    assert!(older["items"][0]["seq"].as_i64() < items[2]["seq"].as_i64());

    let page = supervisor.post_form("/ledger/verify", &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    let outcome = finished_job(&mut supervisor, &page);
    assert!(outcome.contains("台账完整"), "{outcome}");
    assert_eq!(
        supervisor.get("/api/v1/ledger/verify").json()["intact"],
        true
    );

    tamper(&server.database);
    let verdict = supervisor.get("/api/v1/ledger/verify").json();
    assert_eq!(verdict["intact"], false, "{verdict}");
    assert!(
        verdict["breaks"].to_string().contains("plans/"),
        "{verdict}"
    );
    let page = supervisor.post_form("/ledger/verify", &[]);
    let outcome = finished_job(&mut supervisor, &page);
    assert!(
        outcome.contains("发现") && outcome.contains("plans/"),
        "{outcome}"
    );
    let breaks = supervisor.get(&file_link(&outcome));
    assert!(breaks.body.contains("plans/"));

    let mut staff = server.login("scjg.staff");
    assert_eq!(staff.get("/ledger").status, 403);
    assert_eq!(staff.get("/api/v1/ledger/verify").status, 403);
}

/// Edits a plan's document behind the application's back.
fn tamper(database: &std::path::Path) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(database);
        let mut connection = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let done = sqlx::query(
            "UPDATE plans SET doc = replace(doc, '\"title\":\"', '\"title\":\"篡改') WHERE id = (SELECT min(id) FROM plans)",
        )
        .execute(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(done.rows_affected(), 1);
        connection.close().await.unwrap_or_else(|e| panic!("{e}"));
    });
}

#[test]
fn an_administrator_creates_an_account_that_must_change_its_password() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let page = admin.get("/accounts");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("scjg.staff"));
    let created = admin.post_form(
        "/accounts",
        &[
            ("username", "new.staff"),
            ("display_name", "新同事"),
            ("role", "department_staff"),
            ("department", "SCJG"),
            ("certificate", ""),
        ],
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let start = created
        .body
        .find("id=\"secret\">")
        .unwrap_or_else(|| panic!("{}", created.body))
        + 12;
    let end = created.body[start..].find('<').unwrap_or(0) + start;
    let password = created.body[start..end].trim().to_owned();
    assert_eq!(password.len(), 16, "{password}");
    assert!(
        !admin.get("/accounts").body.contains(&password),
        "shown once"
    );

    let mut newcomer = server.anonymous();
    newcomer.log_in("new.staff", &password);
    let forced = newcomer.get("/dashboard");
    assert_eq!(forced.status, 303);
    assert_eq!(forced.location.as_deref(), Some("/account/password"));

    let ledger = admin
        .get("/api/v1/ledger?action=account.created&actor=admin")
        .json();
    assert!(
        ledger["items"].to_string().contains("new.staff"),
        "{ledger}"
    );
    let listed = admin.get("/api/v1/accounts").json();
    assert!(listed.to_string().contains("new.staff") && !listed.to_string().contains("argon2"));

    // Disabling ends the account's sessions; an API token is shown once.
    let disabled = admin.post_form("/accounts/new.staff/disable", &[("disabled", "true")]);
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    let refused = newcomer.get("/dashboard");
    assert!(
        refused.location.unwrap_or_default().starts_with("/login"),
        "logged out"
    );
    let issued = admin.post_form("/accounts/scjg.staff/token", &[("label", "测试")]);
    assert!(issued.body.contains("jg_"), "{}", issued.body);

    let mut department_admin = server.login("scjg.admin");
    assert_eq!(department_admin.get("/accounts").status, 403);
    assert_eq!(
        department_admin
            .post_form(
                "/accounts",
                &[
                    ("username", "x"),
                    ("display_name", "x"),
                    ("role", "supervisor")
                ]
            )
            .status,
        403
    );
    assert_eq!(department_admin.get("/api/v1/accounts").status, 403);
}

#[test]
fn every_documented_operation_of_this_area_answers_its_examples() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    for operation in web::api::directories::operations() {
        let mut path = operation.path.to_owned();
        let mut query = Vec::new();
        for param in &operation.params {
            match param.location {
                "path" => path = path.replace(&format!("{{{}}}", param.name), param.example),
                _ => query.push(format!("{}={}", param.name, encode(param.example))),
            }
        }
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        assert_eq!(operation.method, "get", "{path}");
        let answer = admin.get(&path);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let _ = answer.json();
    }
}

#[test]
fn an_empty_upload_fails_with_its_own_file_name() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let page = admin.get("/directories");
    assert_eq!(page.status, 200);
    let path = format!("/directories/import?csrf={}", admin.csrf);
    let page = admin.post_multipart(&path, &[("kind", "entities")], ("file", "空文件.csv", b""));
    assert_eq!(page.status, 200, "{}", page.body);
    let outcome = finished_job(&mut admin, &page);
    assert!(
        outcome.contains("失败") && outcome.contains("空文件.csv"),
        "{outcome}"
    );
    assert!(
        !outcome.contains("/tmp/") && !outcome.contains("jianguan-web-files"),
        "{outcome}"
    );
}
