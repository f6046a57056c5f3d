//! The 部门 tab of /directories against the real server over the demo city:
//! everyone reads it; the system administrator creates, edits, deactivates and
//! deletes, every change on the ledger; a referenced department's delete is
//! refused in Chinese inside the app frame; a departments file goes through
//! the upload job with its error report.

use super::staff_directories::{file_link, finished_job};
use crate::common::web::TestServer;

#[test]
fn the_department_tab_is_read_by_all_and_edited_by_the_administrator() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let page = admin.get("/directories?tab=departments");
    assert_eq!(page.status, 200, "{}", page.body);
    for expected in [
        "部门名录",
        "SCJG",
        "黄石市市场监督管理局",
        "市直",
        "新增部门",
        "href=\"/directories/departments/SCJG\"",
        "<option value=\"departments\"",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    // The template of the departments file, from the page's link: headers marked
    // `*` where required, an example row, and the 说明 sheet.
    assert!(
        page.body
            .contains("href=\"/directories/templates/departments\""),
        "{}",
        page.body
    );
    let template = admin.get("/directories/templates/departments");
    assert_eq!(template.status, 200, "{}", template.body);
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(template.bytes))
        .unwrap_or_else(|e| panic!("the template is not a workbook: {e}"));
    use calamine::Reader as _;
    assert_eq!(book.sheet_names(), ["部门名录", "说明"]);
    let sheet = book
        .worksheet_range("部门名录")
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|row| row.iter().map(|cell| cell.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0][..4],
        ["*部门编码", "*部门名称", "*层级", "*所属区域"]
    );
    assert_eq!(admin.get("/directories/templates/nothing").status, 404);

    let found = admin.get("/directories?tab=departments&q=scjg");
    assert!(found.body.contains("共 1 条"), "{}", found.body);

    // The API lists them like the other directories, paged by code.
    let first = admin.get("/api/v1/departments?limit=2").json();
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2), "{first}");
    let next = first["next"].as_str().unwrap_or_default().to_owned();
    assert!(!next.is_empty(), "{first}");
    let second = admin
        .get(&format!("/api/v1/departments?limit=2&after={next}"))
        .json();
    assert!(
        second["items"][0]["code"].as_str() > Some(next.as_str()),
        "{second}"
    );
    assert_eq!(first["total"], second["total"]);
    let scjg = admin.get("/api/v1/departments?q=SCJG").json();
    assert_eq!(scjg["items"][0]["district_name"], "市直", "{scjg}");
    assert_eq!(scjg["items"][0]["active"], true, "{scjg}");

    // Other roles read the tab, without the editing links, and may not edit.
    let mut staff = server.login("scjg.staff");
    let page = staff.get("/directories?tab=departments");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("黄石市市场监督管理局"), "{}", page.body);
    assert!(!page.body.contains("新增部门"), "{}", page.body);
    assert!(
        !page.body.contains("/directories/departments/SCJG"),
        "{}",
        page.body
    );
    assert_eq!(staff.get("/directories/departments/SCJG").status, 403);
    let refused = staff.post_form(
        "/directories/departments/SCJG/active",
        &[("active", "false")],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let refused = staff.post_form(
        "/directories/departments/SCJG/delete",
        &[("confirm", "yes")],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(staff.get("/api/v1/departments").status, 200);

    // Create, with the refusals in Chinese.
    let form = |code: &'static str, name: &'static str, uscc: &'static str| {
        [
            ("code", code),
            ("name", name),
            ("level", "市级"),
            ("district", "420200"),
            ("uscc", uscc),
            ("short_name", "测试局"),
        ]
    };
    let created = admin.post_form("/directories/departments", &form("CSJ", "黄石市测试局", ""));
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("已新增部门 CSJ"), "{}", created.body);
    let clash = admin.post_form(
        "/directories/departments",
        &form("CSJ2", "黄石市市场监督管理局", ""),
    );
    assert_eq!(clash.status, 409, "{}", clash.body);
    assert!(clash.body.contains("已被其他部门使用"), "{}", clash.body);
    let company = admin.post_form(
        "/directories/departments",
        &form("CSJ3", "黄石市另一局", "91420200000000001C"),
    );
    assert_eq!(company.status, 400, "{}", company.body);
    let taken = admin.post_form("/directories/departments", &form("CSJ", "黄石市新局", ""));
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.body.contains("部门编码 CSJ 已存在"), "{}", taken.body);

    // Edit: rename, level, district; the code stays.
    let edited = admin.post_form(
        "/directories/departments/CSJ",
        &[
            ("name", "黄石港区测试局"),
            ("level", "区县级"),
            ("district", "420202"),
            ("uscc", ""),
            ("short_name", ""),
        ],
    );
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert!(edited.body.contains("已保存部门 CSJ"), "{}", edited.body);
    let listed = admin.get("/api/v1/departments?q=CSJ").json();
    assert_eq!(listed["items"][0]["name"], "黄石港区测试局", "{listed}");
    assert_eq!(listed["items"][0]["level"], "区县级", "{listed}");
    assert_eq!(listed["items"][0]["district"], "420202", "{listed}");

    // SCJG has inspectors, plans and results: the delete asks first, then is refused in the frame.
    let confirm = admin.post_form("/directories/departments/SCJG/delete", &[]);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("确认删除"), "{}", confirm.body);
    let refused = admin.post_form(
        "/directories/departments/SCJG/delete",
        &[("confirm", "yes")],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    for expected in ["不能删除部门 SCJG", "执法检查人员", "请停用该部门", "退出"]
    {
        assert!(
            refused.body.contains(expected),
            "{expected}: {}",
            refused.body
        );
    }
    let still = admin.get("/api/v1/departments?q=SCJG").json();
    assert_eq!(still["total"], 1, "{still}");

    // Deactivate and reactivate; a deactivated department leaves the forms' choices.
    let off = admin.post_form(
        "/directories/departments/CSJ/active",
        &[("active", "false")],
    );
    assert!(off.body.contains("已停用部门 CSJ"), "{}", off.body);
    let tab = admin.get("/directories?tab=departments&q=CSJ");
    assert!(tab.body.contains("停用"), "{}", tab.body);
    let on = admin.post_form("/directories/departments/CSJ/active", &[("active", "true")]);
    assert!(on.body.contains("已启用部门 CSJ"), "{}", on.body);

    // CSJ has nothing referring to it: deleted.
    let deleted = admin.post_form("/directories/departments/CSJ/delete", &[("confirm", "yes")]);
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(deleted.body.contains("已删除部门"), "{}", deleted.body);
    assert_eq!(admin.get("/api/v1/departments?q=CSJ").json()["total"], 0);

    // Every change is on the ledger, and the ledger verifies.
    let ledger = admin.get("/api/v1/ledger?action=department.").json();
    let actions: Vec<&str> = ledger["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        [
            "department.deleted",
            "department.reactivated",
            "department.deactivated",
            "department.edited",
            "department.created"
        ],
        "{ledger}"
    );
    let verdict = admin.get("/api/v1/ledger/verify").json();
    assert_eq!(verdict["intact"], true, "{verdict}");

    // Exported like the other tabs, by any account.
    let page = staff.post_form(
        "/directories/export",
        &[("kind", "departments"), ("format", "csv")],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let outcome = finished_job(&mut staff, &page);
    assert!(outcome.contains("已导出"), "{outcome}");
    let file = staff.get(&file_link(&outcome));
    assert_eq!(file.status, 200);
    assert!(
        file.body
            .contains("部门编码,部门名称,层级,所属区域,统一社会信用代码,简称"),
        "{}",
        file.body
    );
    assert!(
        file.body.contains("SCJG,黄石市市场监督管理局,市级,420200"),
        "{}",
        file.body
    );

    // A departments file through the upload job, with its error report.
    let csv = "部门编码,部门名称,层级,所属区域,统一社会信用代码,简称\n\
               CSWL,黄石市测试文旅局,市级,市直,,测试文旅局\n\
               BAD,黄石市坏行局,省级,420200,,\n";
    let path = format!("/directories/import?csrf={}", admin.csrf);
    let page = admin.post_multipart(
        &path,
        &[("kind", "departments")],
        ("file", "部门.csv", csv.as_bytes()),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("导入部门名录"), "{}", page.body);
    let outcome = finished_job(&mut admin, &page);
    assert!(outcome.contains("导入 1 行"), "{outcome}");
    assert!(outcome.contains("拒绝 1 行"), "{outcome}");
    assert!(outcome.contains("第 3 行 层级"), "{outcome}");
    let report = admin.get(&file_link(&outcome));
    assert_eq!(report.status, 200);
    assert_eq!(admin.get("/api/v1/departments?q=CSWL").json()["total"], 1);
}
