//! The comprehensive window's pages over the real server: 收件→受理→分办→
//! 审批 (not by the 受理人)→出件→办结 by form posts, the 受理凭证 with its QR
//! code, the public status page (no ID number) and its one rating, and the
//! refusal of a non-一窗 matter.

use domain::account::Role;
use storage::Store;

use super::lists::export;
use crate::common::web::{Client, TestServer, add_account, block_on};

/// W1 (SCJG, 一窗) and W3 (not 一窗).
const CATALOGUE: &str = "\
事项编码*,事项名称*,实施部门*,事项类型,办件类型*,法定时限（工作日）,承诺时限*,一窗通办,一证通办,申请材料,证明事项,结果证照类型
W1,食品小作坊登记,SCJG,行政许可,承诺件,20,5,是,否,申请书,,
W3,特种设备检验,SCJG,行政许可,承诺件,20,10,否,否,申请书,,
";

/// The applicant: a person, whose number must never reach the public page.
const PERSON: &str = "11010519491231002X";

fn start() -> TestServer {
    TestServer::start_prepared(|path| {
        let url = path.to_string_lossy().into_owned();
        let file = path.with_file_name("window_catalogue.csv");
        std::fs::write(&file, CATALOGUE).unwrap_or_else(|e| panic!("{e}"));
        block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
            service::services::import_catalogue(&db, &file, "test", domain::clock::now())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
        });
        add_account(path, "scjg.approver", Role::DepartmentStaff, Some("SCJG"));
    })
}

fn file_of(location: Option<&str>) -> String {
    location
        .and_then(|l| l.strip_prefix("/services/window/"))
        .unwrap_or_else(|| panic!("no file in {location:?}"))
        .to_owned()
}

#[test]
fn an_application_goes_from_receipt_to_rating_on_the_pages() {
    let server = start();
    let mut window = server.login("scjg.staff");
    let desk = window.get("/services/window");
    assert_eq!(desk.status, 200, "{}", desk.body);
    assert!(desk.body.contains("W1 食品小作坊登记"), "{}", desk.body);
    assert!(
        !desk.body.contains("W3 特种设备检验"),
        "not 一窗: {}",
        desk.body
    );

    let refused = window.post_form_inline(
        "/services/window",
        &[
            ("matter", "W3"),
            ("applicant_name", "张三"),
            ("applicant", PERSON),
            ("window", "综合窗口 3"),
        ],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("window_not_one_window"),
        "{}",
        refused.body
    );

    let received = window.post_form(
        "/services/window",
        &[
            ("matter", "W1"),
            ("applicant_name", "张三"),
            ("applicant", PERSON),
            ("window", "综合窗口 3"),
            ("submitted", "申请书"),
        ],
    );
    assert_eq!(received.status, 303, "{}", received.body);
    let id = file_of(received.location.as_deref());
    let base = format!("/services/window/{id}");
    for step in ["accept", "assign"] {
        let done = window.post_form(&format!("{base}/{step}"), &[]);
        assert_eq!(done.status, 303, "{step}: {}", done.body);
    }
    let own = window.post_form_inline(
        &format!("{base}/decide"),
        &[
            ("decision", "准予"),
            ("reason", "符合条件"),
            ("confirm", "1"),
        ],
    );
    assert_eq!(own.status, 409, "{}", own.body);
    assert!(
        own.body.contains("window_approver_is_acceptor"),
        "{}",
        own.body
    );

    let mut approver = server.login("scjg.approver");
    let decided = approver.post_form(
        &format!("{base}/decide"),
        &[
            ("decision", "准予"),
            ("reason", "符合条件"),
            ("confirm", "1"),
        ],
    );
    assert_eq!(decided.status, 303, "{}", decided.body);
    for step in ["issue", "close"] {
        let done = window.post_form(&format!("{base}/{step}"), &[("confirm", "1")]);
        assert_eq!(done.status, 303, "{step}: {}", done.body);
    }

    let receipt = window.get(&format!("{base}/receipt"));
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert!(
        receipt.body.contains("<svg"),
        "no QR code: {}",
        receipt.body
    );
    let code: String = receipt
        .body
        .split("/gongshi/services/status?code=")
        .nth(1)
        .map(|rest| rest.chars().take(32).collect())
        .unwrap_or_default();
    assert_eq!(code.len(), 32, "{}", receipt.body);

    let mut public = server.anonymous();
    let status_path = format!("/gongshi/services/status?code={code}");
    let status = public.get(&status_path);
    assert_eq!(status.status, 200, "{}", status.body);
    assert!(
        status.body.contains("食品小作坊登记") && status.body.contains("已办结"),
        "{}",
        status.body
    );
    assert!(
        !status.body.contains(PERSON) && !status.body.contains("110105"),
        "ID number shown: {}",
        status.body
    );
    let guessed = public.get("/gongshi/services/status?code=00000000000000000000000000000000");
    assert!(guessed.body.contains("查询码不正确"), "{}", guessed.body);

    let rated = public.post_form(
        "/gongshi/services/status",
        &[
            ("code", &code),
            ("review", "不满意"),
            ("comment", "排队太久"),
        ],
    );
    assert_eq!(rated.status, 303, "{}", rated.body);
    let again = public.post_form(
        "/gongshi/services/status",
        &[("code", &code), ("review", "满意")],
    );
    assert_eq!(again.status, 409, "{}", again.body);

    let file = approver.get(&base);
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(
        file.body.contains("差评整改") && file.body.contains("转 12345 工单"),
        "{}",
        file.body
    );
    let matters = window.get("/services/matters?one_window=是");
    assert!(
        matters.body.contains("W1") && !matters.body.contains(">W3<"),
        "{}",
        matters.body
    );
    lists_name_departments_filter_by_select_and_export(&mut window, &id);
}

/// The department named next to its code.
const NAMED_SCJG: &str = r#"<span class="named">"#;

/// The window's lists: department names next to codes, a select of
/// departments, and CSV/XLSX exports as jobs (desk and due lists).
fn lists_name_departments_filter_by_select_and_export(window: &mut Client, id: &str) {
    let code = r#"<code class="code" title="代码（点击选中以复制）">SCJG</code>"#;
    for page in [
        "/services/window?department=SCJG".to_owned(),
        format!("/services/window/{id}"),
        "/services/matters?q=W1".to_owned(),
        "/services/matters/W1".to_owned(),
    ] {
        let body = window.get(&page).body;
        assert!(
            body.contains(NAMED_SCJG) && body.contains(code),
            "{page}: {body}"
        );
    }
    let desk = window.get("/services/window?department=SCJG");
    assert!(
        desk.body.contains(r#"<select name="department""#)
            && desk.body.contains(r#"<option value="SCJG" selected>"#),
        "{}",
        desk.body
    );
    assert!(desk.body.contains(id), "{}", desk.body);
    let elsewhere = window.get("/services/window?department=FGW");
    assert!(!elsewhere.body.contains(id), "{}", elsewhere.body);
    let due = window.get("/services/window/due?department=SCJG&q=W1");
    assert_eq!(due.status, 200, "{}", due.body);
    assert!(
        due.body.contains(r#"<select name="department""#) && due.body.contains(r#"name="q""#),
        "{}",
        due.body
    );
    let csv = export(
        window,
        "/services/window/export",
        &[("format", "csv"), ("department", "SCJG"), ("q", id)],
    );
    assert!(
        csv.body.contains("办件编号") && csv.body.contains("实施部门名称"),
        "{}",
        csv.body
    );
    let row = csv
        .body
        .lines()
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("{id} not exported: {}", csv.body));
    assert!(row.contains(",SCJG,") && row.contains("W1"), "{row}");
    let none = export(
        window,
        "/services/window/export",
        &[("format", "csv"), ("department", "FGW")],
    );
    assert!(!none.body.contains(id), "{}", none.body);
    let due_csv = export(
        window,
        "/services/window/due/export",
        &[("format", "csv"), ("department", "SCJG")],
    );
    assert!(
        due_csv.body.contains("到期状态") && !due_csv.body.contains(id),
        "closed files are not due: {}",
        due_csv.body
    );
}
