//! Review scoring on the web: the Justice Bureau enters a reviewer's sheet
//! on a drawn file's page (the standard's items with a count and a note); a
//! department sees its own files' scores and each reviewer's deductions and
//! notes, never another department's file.

use domain::review::ReviewFile;
use storage::ReviewStore;

use super::review::{other_department, prepare};
use crate::common::web::{TestServer, block_on};

const REVIEW: &str = "PC2025";

const STANDARD: &str = "项目编码,项目名称,部分,类别,扣分,扣分上限,部分总分\n\
    J1,卷内目录不全,卷面,扣分项,0.5,3,20\n\
    N1,证据不足,内容,扣分项,10,30,80\n\
    F1,执法主体不适格,内容,否决项,,,\n";

/// The demo city with two departments' cases, drawn, and a standard.
fn drawn(database: &std::path::Path) {
    prepare(database);
    let other = other_department(database);
    block_on(async {
        let db = storage::open(&database.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let at = domain::clock::now();
        let spec = service::review::ReviewSpec {
            id: REVIEW.into(),
            year: 2025,
            departments: vec!["SCJG".into(), other],
            sampling: service::review::Sampling::PerDepartment(2),
            reviewers_per_case: 2,
            cap: None,
        };
        let secret = draw::Secret::from_bytes([3; 32]);
        service::review::commit(&db, &spec, &secret, at, "司法局")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        service::review::draw(&db, REVIEW, "1 1", &["王明".to_owned()], at, "司法局")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let path = database.with_file_name("standard.csv");
        std::fs::write(&path, STANDARD).unwrap_or_else(|e| panic!("{e}"));
        service::review::scoring::import_standard(&db, &path, "司法局", at)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
    });
}

fn files(database: &std::path::Path) -> Vec<ReviewFile> {
    block_on(async {
        let db = storage::open(&database.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let files = db
            .review_assignments(REVIEW)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        files
    })
}

fn page_of(file: &ReviewFile) -> String {
    format!(
        "/review/{REVIEW}/files/{}",
        web::pages::url_encode(&file.case)
    )
}

#[test]
fn the_bureau_scores_a_file_and_departments_see_only_their_own() {
    let server = TestServer::start_prepared(drawn);
    let all = files(&server.database);
    let own = all
        .iter()
        .find(|f| f.department == "SCJG")
        .unwrap_or_else(|| panic!("no SCJG file"));
    let theirs = all
        .iter()
        .find(|f| f.department != "SCJG")
        .unwrap_or_else(|| panic!("no other file"));
    let mut bureau = server.login("sfj.supervisor");
    let list = bureau.get(&format!("/review/{REVIEW}"));
    assert!(
        list.body.contains(&format!("href=\"{}\"", page_of(own))),
        "{}",
        list.body
    );
    let page = bureau.get(&page_of(own));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("name=\"count_N1\""), "{}", page.body);
    assert!(page.body.contains("data-confirm="));
    assert!(page.body.contains("待评分"));

    let action = format!("{}/score", page_of(own));
    let stranger = all
        .iter()
        .flat_map(|f| f.reviewers.iter())
        .find(|r| !own.reviewers.contains(r))
        .cloned()
        .unwrap_or_default();
    let refused = bureau.post_form_inline(&action, &[("reviewer", stranger.as_str())]);
    assert!(
        refused.body.contains("reviewer_not_assigned"),
        "{}",
        refused.body
    );
    let first = [
        ("reviewer", own.reviewers[0].as_str()),
        ("count_N1", "1"),
        ("note_N1", "询问笔录缺签名"),
    ];
    let saved = bureau.post_form(&action, &first);
    assert_eq!(
        saved.location.as_deref(),
        Some(page_of(own).as_str()),
        "{}",
        saved.body
    );
    let second = [
        ("reviewer", own.reviewers[1].as_str()),
        ("note", "未发现问题"),
    ];
    bureau.post_form(&action, &second);
    let page = bureau.get(&page_of(own));
    assert!(
        page.body.contains("<span data-file-score>95.0</span>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<span data-file-grade>优秀</span>"),
        "{}",
        page.body
    );

    // The department sees its file's score and the reasons, not another's file.
    let mut department = server.login("scjg.staff");
    let seen = department.get(&page_of(own));
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(seen.body.contains("询问笔录缺签名"));
    assert!(seen.body.contains("证据不足"));
    assert!(
        !seen.body.contains("name=\"count_N1\""),
        "no score form for a department"
    );
    assert_eq!(department.get(&page_of(theirs)).status, 404);
    assert_eq!(department.post_form(&action, &first).status, 403);
    let mut elsewhere = server.login("other.staff");
    assert_eq!(elsewhere.get(&page_of(own)).status, 404);
    assert_eq!(elsewhere.get(&page_of(theirs)).status, 200);
    let listed = elsewhere.get(&format!("/review/{REVIEW}"));
    assert!(!listed.body.contains(&own.case), "{}", listed.body);
}
