//! 信用监管 pages and API: lists and matters imported through the upload page,
//! single and batch checks through pages and API with outcomes worked out by
//! hand, who may check, department scoping of the check log, persons masked
//! for accounts without SeePersonalCredit, and the access log.

use domain::account::Role;
use serde_json::{Value, json};
use storage::credit::{AccessLog, CreditStore};

use crate::common::web::{Client, TestServer, add_account};
use crate::web::staff_directories::{file_link, finished_job};
use crate::web::watermark::{assert_xlsx_watermark, xlsx_sheet};

/// A: 严重失信主体名单 2025-01-01 … 2027-12-31.
const A: &str = "91420200MA4KLT0142";
/// B: 经营异常名录 from 2025-06-01 (no end) and 红名单 2025-01-01 … 2026-12-31.
const B: &str = "91420202MA4KLT022R";
/// C: 严重失信主体名单 2024-01-01 … 2025-12-31 (expired by 2026).
const C: &str = "92420202MA4KLT030H";
/// D: on no list.
const D: &str = "91420200MA4KLT049L";
/// P: a person on the black list from 2025-01-01, no end.
const P: &str = "11010519491231002X";
/// Not an identifier.
const X: &str = "12345";

const MATTERS: &str = "事项编码,事项名称,领域,主管部门,阻断名单,警示名单,激励名单\n\
T-GWY,公务员招录（测试）,公务员招录调任,市人社局,严重失信主体名单,经营异常名录;行政处罚,红名单\n\
T-PX,评优评先（测试）,评优评先,市人社局,,严重失信主体名单,红名单\n";

fn entries_file() -> String {
    format!(
        "名单类型,主体名称,统一社会信用代码或身份证号码,列入日期,有效期至,认定部门,列入原因\n\
严重失信主体名单,甲公司,{A},2025-01-01,2027-12-31,黄石市市场监督管理局,拒不履行判决\n\
经营异常名录,乙公司,{B},2025-06-01,,黄石市市场监督管理局,未按期公示年报\n\
红名单,乙公司,{B},2025-01-01,2026-12-31,黄石市发展和改革委员会,纳税信用A级\n\
严重失信主体名单,丙公司,{C},2024-01-01,2025-12-31,黄石市人社局,拖欠工资\n\
严重失信主体名单,张三丰,{P},2025-01-01,,黄石市中级人民法院,失信被执行人\n"
    )
}

/// A server whose credit lists and matters were imported by the credit office
/// through the upload page; `ga.staff` is departmental staff of another department.
fn server_with_lists() -> TestServer {
    let server = TestServer::start_prepared(|db| {
        add_account(db, "ga.staff", Role::DepartmentStaff, Some("GA"))
    });
    let mut office = server.login("credit.office");
    let outcome = upload_import(&mut office, "matters", "matters.csv", MATTERS);
    assert!(
        outcome.contains("导入 2 行（新增 2，更新 0，未变 0），拒绝 0 行"),
        "{outcome}"
    );
    let outcome = upload_import(&mut office, "entries", "lists.csv", &entries_file());
    assert!(
        outcome.contains("导入 5 行（新增 5，更新 0，未变 0），拒绝 0 行"),
        "{outcome}"
    );
    // Importing the same file again changes nothing.
    let again = upload_import(&mut office, "entries", "lists.csv", &entries_file());
    assert!(
        again.contains("导入 0 行（新增 0，更新 0，未变 5）"),
        "{again}"
    );
    server
}

fn upload_import(client: &mut Client, kind: &str, name: &str, text: &str) -> String {
    let path = format!("/credit/import?csrf={}", client.csrf);
    let page = client.post_multipart(&path, &[("kind", kind)], ("file", name, text.as_bytes()));
    assert_eq!(page.status, 200, "{}", page.body);
    finished_job(client, &page)
}

fn api_check(client: &mut Client, matter: &str, id: &str, as_of: &str) -> Value {
    let answer = client.send_json(
        "POST",
        "/api/v1/credit/check",
        &json!({"matter": matter, "id": id, "as_of": as_of}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn outcomes(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|r| r["outcome"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn checks_give_the_outcomes_worked_out_by_hand_through_api_and_pages() {
    let server = server_with_lists();
    let mut staff = server.login("scjg.staff");

    // Single checks (API): block > warn > reward > clear, validity edges.
    let a = api_check(&mut staff, "T-GWY", A, "2026-03-01");
    assert_eq!(
        (
            a["matter"].as_str(),
            a["id"].as_str(),
            a["outcome"].as_str()
        ),
        (Some("T-GWY"), Some(A), Some("block"))
    );
    assert_eq!(a["hits"][0]["list_code"], "blacklist");
    assert_eq!(a["hits"][0]["listed_on"], "2025-01-01");
    assert_eq!(a["hits"][0]["valid_until"], "2027-12-31");
    let b = api_check(&mut staff, "T-GWY", B, "2026-03-01");
    assert_eq!(b["outcome"], "warn", "{b}");
    assert_eq!(
        b["hits"].as_array().map(Vec::len),
        Some(2),
        "the red list hit is shown too: {b}"
    );
    assert_eq!(
        api_check(&mut staff, "T-PX", B, "2026-03-01")["outcome"],
        "reward"
    );
    assert_eq!(
        api_check(&mut staff, "T-GWY", B, "2024-12-31")["outcome"],
        "clear",
        "listed the next day"
    );
    assert_eq!(
        api_check(&mut staff, "T-GWY", C, "2025-12-31")["outcome"],
        "block",
        "the last valid day counts"
    );
    assert_eq!(
        api_check(&mut staff, "T-GWY", C, "2026-01-01")["outcome"],
        "clear",
        "expired"
    );
    assert_eq!(
        api_check(&mut staff, "T-GWY", D, "2026-03-01")["outcome"],
        "clear"
    );
    let x = api_check(&mut staff, "T-GWY", X, "2026-03-01");
    assert_eq!(x["outcome"], "invalid");
    assert!(x["reason"].as_str().is_some_and(|r| !r.is_empty()), "{x}");
    let unknown = staff.send_json(
        "POST",
        "/api/v1/credit/check",
        &json!({"matter": "NOPE", "id": A}),
    );
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // Batch (API): the CLI's shape, in input order.
    let applicants: Vec<Value> = [A, B, C, D, P, X]
        .iter()
        .map(|id| json!({"id": id}))
        .collect();
    let batch = staff.send_json(
        "POST",
        "/api/v1/credit/check/batch",
        &json!({"matter": "T-GWY", "as_of": "2026-03-01", "applicants": applicants}),
    );
    assert_eq!(batch.status, 200, "{}", batch.body);
    let report = batch.json();
    assert_eq!(report["matter"], "T-GWY");
    assert_eq!(
        outcomes(&report),
        ["block", "warn", "clear", "clear", "block", "invalid"]
    );

    // The matters catalogue.
    // (The demo city's 425-matter catalogue is there too: 45 of them in 评优评先.)
    let matters = staff.get("/api/v1/credit/matters?domain=评优评先").json();
    let listed = matters.as_array().cloned().unwrap_or_default();
    assert!(
        listed.iter().all(|m| m["domain"] == "评优评先"),
        "{matters}"
    );
    let test_matter = listed.iter().find(|m| m["code"] == "T-PX");
    assert_eq!(
        test_matter.map(|m| &m["warn"]),
        Some(&json!(["blacklist"])),
        "{matters}"
    );
    assert!(
        listed.iter().all(|m| m["code"] != "T-GWY"),
        "another domain's matter is not listed"
    );

    // Single check (page): the outcome, the rule applied, a watermarked sensitive page.
    let page = staff.post_form(
        "/credit/check",
        &[("matter", "T-GWY"), ("id", B), ("as_of", "2026-03-01")],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-outcome=\"warn\""), "{}", page.body);
    assert!(
        page.body.contains(
            "适用规则：阻断：严重失信主体名单；警示：经营异常名录、行政处罚；激励：红名单"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<body class=\"no-copy"),
        "not copy-resistant"
    );
    assert!(
        page.body
            .contains("data-watermark=\"市场监管局工作人员（scjg.staff） 20"),
        "no watermark"
    );

    // Batch (page): upload → job → per-applicant XLSX report, watermarked.
    let csv = format!(
        "统一社会信用代码或身份证号码,主体名称\n{A},甲公司\n{B},乙公司\n{C},丙公司\n{X},坏号码\n"
    );
    let path = format!("/credit/check/batch?csrf={}", staff.csrf);
    let page = staff.post_multipart(
        &path,
        &[("matter", "T-PX"), ("as_of", "2025-06-01")],
        ("file", "applicants.csv", csv.as_bytes()),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let outcome = finished_job(&mut staff, &page);
    // T-PX on 2025-06-01: A black list → warn; B red list → reward (abnormal has no effect); C black list → warn.
    assert!(
        outcome.contains("已核查 4 人：警示 2，激励 1，号码无效 1"),
        "{outcome}"
    );
    let file = staff.get(&file_link(&outcome));
    assert_eq!(file.status, 200);
    assert_xlsx_watermark(&file.bytes, "scjg.staff", "市场监管局工作人员");
    let sheet = xlsx_sheet(&file.bytes, "核查结果");
    let rows: Vec<&str> = sheet.lines().skip(6).collect();
    let codes: Vec<&str> = rows
        .iter()
        .map(|r| r.split('\t').nth(4).unwrap_or_default())
        .collect();
    assert_eq!(codes, ["warn", "reward", "warn", "invalid"], "{sheet}");
    assert!(
        rows[0].contains("甲公司") && rows[0].contains("警示：严重失信主体名单"),
        "{sheet}"
    );
    assert!(
        sheet.contains("规则 警示：严重失信主体名单；激励：红名单"),
        "{sheet}"
    );
}

#[test]
fn only_checkers_check_and_departments_see_their_own_checks() {
    let server = server_with_lists();
    // The hotline and the public are refused, pages and API.
    let mut hotline = server.login("hotline.operator");
    assert_eq!(hotline.get("/credit").status, 403);
    assert_eq!(hotline.get("/credit/log").status, 403);
    let refused = hotline.send_json(
        "POST",
        "/api/v1/credit/check",
        &json!({"matter": "T-GWY", "id": A}),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let mut public = server.anonymous();
    assert_eq!(
        public
            .send_json(
                "POST",
                "/api/v1/credit/check",
                &json!({"matter": "T-GWY", "id": A})
            )
            .status,
        401
    );
    assert!(
        public
            .get("/credit/check")
            .location
            .unwrap_or_default()
            .starts_with("/login")
    );

    // Two departments check; each sees its own checks, the credit office all.
    let mut scjg = server.login("scjg.staff");
    api_check(&mut scjg, "T-GWY", A, "2026-03-01");
    let mut ga = server.login("ga.staff");
    api_check(&mut ga, "T-PX", D, "2026-03-01");
    let own = scjg.get("/credit/log");
    assert_eq!(own.status, 200);
    assert!(
        own.body.contains(A) && !own.body.contains(D),
        "{}",
        own.body
    );
    assert!(own.body.contains("本部门（SCJG）"), "{}", own.body);
    assert!(own.body.contains("<body class=\"no-copy"));
    let other = ga.get("/credit/log");
    assert!(
        other.body.contains(D) && !other.body.contains(A),
        "{}",
        other.body
    );
    let all = server.login("credit.office").get("/credit/log");
    assert!(all.body.contains(A) && all.body.contains(D), "{}", all.body);
    assert!(all.body.contains("ga.staff") && all.body.contains("scjg.staff"));
}

/// The access log of a person, newest first (read from the server's database).
fn access_log(server: &TestServer, subject: &str) -> Vec<AccessLog> {
    let url = server.database.to_string_lossy().into_owned();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            let log = db
                .access_log(Some(subject), 100)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
            log
        })
}

/// Who looked up a person and what, newest first.
fn accesses(server: &TestServer, subject: &str) -> Vec<(String, String)> {
    access_log(server, subject)
        .into_iter()
        .map(|a| (a.actor, a.what))
        .collect()
}

/// The purposes logged for a person, oldest first.
fn purposes(server: &TestServer, subject: &str) -> Vec<String> {
    access_log(server, subject)
        .into_iter()
        .rev()
        .map(|a| a.purpose)
        .collect()
}

#[test]
fn persons_are_masked_unless_authorized_and_every_view_is_logged() {
    let server = server_with_lists();
    // Department staff: the person's number, name and reason are masked.
    let mut staff = server.login("scjg.staff");
    // A prefix of a person's number finds no person: narrowing it would rebuild the masked number.
    for prefix in ["110105", "11010519491231", "11010519491231002"] {
        let page = staff.get(&format!("/credit/entries?q={prefix}"));
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            !page.body.contains("110105********002X"),
            "{prefix}: {}",
            page.body
        );
        let refused = staff.get(&format!("/credit/entries?q={prefix}&kind=person"));
        assert_eq!(refused.status, 400, "{prefix}: {}", refused.body);
        assert!(refused.body.contains("完整"), "{}", refused.body);
    }
    assert!(accesses(&server, P).is_empty(), "no person was looked up");
    let page = staff.get(&format!("/credit/entries?q={P}&purpose=%E5%AE%A1%E6%89%B9"));
    assert_eq!(page.status, 200, "{}", page.body);
    // The number typed stays in the search box; the table shows it masked.
    assert!(
        page.body.contains("110105********002X") && !page.body.contains(&format!(">{P}<")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("张**") && !page.body.contains("失信被执行人"),
        "{}",
        page.body
    );
    let api = staff
        .get(&format!("/api/v1/credit/entries?subject={P}"))
        .json();
    assert_eq!(api[0]["subject"], "110105********002X", "{api}");
    let checked = api_check(&mut staff, "T-GWY", P, "2026-03-01");
    assert_eq!(checked["outcome"], "block");
    assert_eq!(
        checked["hits"][0]["reason"], "（个人信息，无权查看）",
        "{checked}"
    );
    let masked = accesses(&server, P);
    assert_eq!(
        masked
            .iter()
            .map(|(a, w)| (a.as_str(), w.as_str()))
            .collect::<Vec<_>>(),
        [
            ("scjg.staff", "entries (masked)"),
            ("scjg.staff", "entries (masked)")
        ],
        "every lookup of a person is logged, masked or not"
    );
    assert_eq!(purposes(&server, P), ["审批", "信用记录查询"]);

    // The credit office sees the person, and each view is logged.
    let mut office = server.login("credit.office");
    let prefix = office.get("/credit/entries?q=110105");
    assert!(!prefix.body.contains(P), "{}", prefix.body);
    let page = office.get(&format!("/credit/entries?q={P}"));
    assert!(
        page.body.contains(P) && page.body.contains("张三丰") && page.body.contains("失信被执行人"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<body class=\"no-copy") && page.body.contains("data-watermark=\""));
    let api = office
        .get(&format!("/api/v1/credit/entries?subject={P}"))
        .json();
    assert_eq!(api[0]["subject"], P);
    let checked = api_check(&mut office, "T-PX", P, "2026-03-01");
    assert_eq!(
        (
            checked["outcome"].as_str(),
            checked["hits"][0]["reason"].as_str()
        ),
        (Some("warn"), Some("失信被执行人"))
    );
    let log = accesses(&server, P);
    let seen: Vec<(&str, &str)> = log.iter().map(|(a, w)| (a.as_str(), w.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("credit.office", "check"),
            ("credit.office", "entries"),
            ("credit.office", "entries"),
            ("scjg.staff", "entries (masked)"),
            ("scjg.staff", "entries (masked)")
        ]
    );
}

/// Runs `sql` on the server's database file over a connection of its own.
fn on_file(server: &TestServer, sql: &str) -> i64 {
    use sqlx::Connection as _;
    let url = format!("sqlite://{}", server.database.display());
    let sql = sql.to_owned();
    crate::common::web::block_on(async move {
        let mut connection = sqlx::SqliteConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let value: Option<i64> = sqlx::query_scalar(&sql)
            .fetch_optional(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        value.unwrap_or(0)
    })
}

#[test]
fn concurrent_checks_are_all_logged_and_an_unlogged_check_answers_an_error() {
    let server = server_with_lists();
    let logged = |server: &TestServer| {
        on_file(
            server,
            "SELECT COUNT(*) FROM credit_checks WHERE actor = 'scjg.staff' AND as_of = '2026-03-02'",
        )
    };
    assert_eq!(logged(&server), 0);
    // 16 clients check at once: their rows are committed together (group
    // commit), and every answer given is in the log.
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let mut client = server.login("scjg.staff");
            std::thread::spawn(move || {
                [A, B, C, D, P, X]
                    .iter()
                    .map(|id| api_check(&mut client, "T-GWY", id, "2026-03-02")["outcome"].clone())
                    .collect::<Vec<Value>>()
            })
        })
        .collect();
    for worker in workers {
        let outcomes = worker.join().unwrap_or_else(|_| panic!("a client failed"));
        assert_eq!(outcomes[0], "block");
        assert_eq!(outcomes.len(), 6);
    }
    assert_eq!(logged(&server), 16 * 6, "every check answered is logged");

    // The log refuses rows: the check answers an error, not a decision.
    on_file(
        &server,
        "CREATE TRIGGER refuse_checks BEFORE INSERT ON credit_checks \
         BEGIN SELECT RAISE(ABORT, 'the log refuses'); END",
    );
    let mut staff = server.login("scjg.staff");
    let answer = staff.send_json(
        "POST",
        "/api/v1/credit/check",
        &json!({"matter": "T-GWY", "id": A, "as_of": "2026-03-02"}),
    );
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert!(!answer.body.contains("block"), "{}", answer.body);
    on_file(&server, "DROP TRIGGER refuse_checks");
    // The writer recovers: the next check is answered and logged.
    assert_eq!(
        api_check(&mut staff, "T-GWY", A, "2026-03-02")["outcome"],
        "block"
    );
    assert_eq!(logged(&server), 16 * 6 + 1);
}
