//! 信用风险分类 and 个人信用积分 pages: the credit office reclassifies the
//! city (a background job) and reads an entity's explanation; a personal score
//! query shows the score rule by rule on a page that resists copying, with
//! the id masked, and is logged; the hotline operator and the administrator
//! are refused the score, the hotline operator the classes too.

use storage::credit::CreditStore;
use storage::{self, EntityFilter, PageRequest, Store};

use crate::common::web::TestServer;

/// A valid 身份证号码 (GB 11643 check character `X`).
const PERSON: &str = "11010519491231002X";

/// The first entity of the server's city.
fn some_entity(server: &TestServer) -> String {
    let runtime = crate::common::runtime().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let db = storage::open(&server.database.to_string_lossy())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let page = db
            .search_entities(&EntityFilter::default(), &PageRequest::first(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        page.items
            .first()
            .map(|e| e.fields().uscc.as_str().to_owned())
            .unwrap_or_default()
    })
}

/// The access log rows of `PERSON`: (actor, purpose).
fn access_log(server: &TestServer) -> Vec<(String, String)> {
    let runtime = crate::common::runtime().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let db = storage::open(&server.database.to_string_lossy())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let log = db
            .access_log(Some(PERSON), 100)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        log.into_iter()
            .map(|row| (row.actor, row.purpose))
            .collect()
    })
}

#[test]
fn the_credit_office_reclassifies_and_reads_an_explanation() {
    let server = TestServer::start();
    let mut office = server.login("credit.office");
    let page = office.get("/credit/risk");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("风险分类分布") && page.body.contains("class=\"chart\""));

    let started = office.post_form("/credit/risk/classify", &[]);
    assert_eq!(started.status, 200, "{}", started.body);
    let job = started
        .body
        .split("hx-get=\"/jobs/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no job in {}", started.body))
        .to_owned();
    let mut finished = String::new();
    for _ in 0..120 {
        let answer = office.get(&format!("/jobs/{job}"));
        if answer.body.contains("完成") || answer.body.contains("失败") {
            finished = answer.body;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(finished.contains("完成：已分类"), "{finished}");

    let entity = some_entity(&server);
    let explained = office.get(&format!("/credit/risk?uscc={entity}"));
    assert_eq!(explained.status, 200);
    for text in [
        "成立年限",
        "年报公示",
        "经营异常名录",
        "行政处罚",
        "严重失信主体名单",
        "红名单",
        "投诉举报",
        "合计",
        "分类阈值",
    ] {
        assert!(
            explained.body.contains(text),
            "{text} missing from the explanation"
        );
    }
    let unknown = office.get("/credit/risk?uscc=91420200NOSUCH0000");
    assert!(unknown.body.contains("尚未分类"));

    // Department staff see the classes but may not reclassify; the hotline operator sees nothing.
    let mut staff = server.login("scjg.staff");
    assert_eq!(staff.get("/credit/risk").status, 200);
    assert_eq!(staff.post_form("/credit/risk/classify", &[]).status, 403);
    assert_eq!(
        server.login("hotline.operator").get("/credit/risk").status,
        403
    );
}

#[test]
fn a_score_query_is_masked_explained_logged_and_resists_copying() {
    let server = TestServer::start();
    let mut office = server.login("credit.office");
    let form = office.get("/credit/score");
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("<body class=\"no-copy\">"),
        "the page resists copying"
    );

    let result = office.post_form(
        "/credit/score",
        &[("id", PERSON), ("purpose", "评优评先资格审查")],
    );
    assert_eq!(result.status, 200, "{}", result.body);
    assert!(
        result.body.contains("110105********002X"),
        "the id is shown masked"
    );
    assert!(!result.body.contains(PERSON), "never the whole id");
    for text in [
        "基础分",
        "身份特质",
        "遵纪守法",
        "合计",
        "no-copy",
        "credit.office",
    ] {
        assert!(result.body.contains(text), "{text} missing");
    }
    assert_eq!(
        access_log(&server),
        vec![(
            "credit.office (credit_office)".to_owned(),
            "评优评先资格审查".to_owned()
        )]
    );

    // No purpose: refused, and not logged.
    let refused = office.post_form("/credit/score", &[("id", PERSON), ("purpose", " ")]);
    assert!((400..500).contains(&refused.status), "{}", refused.status);
    assert_eq!(access_log(&server).len(), 1);

    for username in ["hotline.operator", "admin", "scjg.staff"] {
        let mut other = server.login(username);
        assert_eq!(other.get("/credit/score").status, 403, "{username}");
        assert_eq!(
            other
                .post_form("/credit/score", &[("id", PERSON), ("purpose", "x")])
                .status,
            403,
            "{username}"
        );
    }
    assert_eq!(access_log(&server).len(), 1);
}
