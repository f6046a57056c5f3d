//! 案卷评查 on the web: the reviewers page (ID numbers masked, search,
//! department filter), the Justice Bureau commits a review and draws it on the
//! witness screen as a job; the review page lists the drawn files with the
//! reviewers' names next to their codes; a department sees only its own files;
//! the record downloaded verifies.

use domain::review::Reviewer;
use storage::{CaseStore, Change, Store, WorkflowStore};

use super::staff_directories::finished_job;
use crate::common::penalty_case;
use crate::common::web::{TestServer, add_account, block_on};
use domain::account::Role;

const REVIEW: &str = "PC2025";

/// Two departments of the demo city, their 2025 cases and reviewers: two
/// of each department and two outside experts.
pub(crate) fn prepare(database: &std::path::Path) {
    let other = other_department(database);
    add_account(database, "other.staff", Role::DepartmentStaff, Some(&other));
    block_on(async {
        let db = storage::open(&database.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let codes = ["SCJG".to_owned(), other];
        let at = domain::clock::now();
        let mut cases = Vec::new();
        let mut reviewers = Vec::new();
        for code in &codes {
            for i in 0..6_u32 {
                let day = chrono::NaiveDate::from_ymd_opt(2025, 1 + i, 9).unwrap_or_default();
                let id = format!("{code}-2025-{i:03}");
                cases.push(penalty_case(&id, code, day, Some(day), &[]));
            }
            for n in 1..=2 {
                reviewers.push(Reviewer {
                    id: format!("R-{code}-{n}"),
                    name: format!("评查员{code}{n}"),
                    unit: code.clone(),
                    fields: Vec::new(),
                    id_card: Some("11010519491231002X".into()),
                });
            }
        }
        for n in 1..=2 {
            reviewers.push(Reviewer {
                id: format!("E{n}"),
                name: format!("外聘专家{n}"),
                unit: "外聘".into(),
                fields: vec!["法律".into()],
                id_card: None,
            });
        }
        let change = Change::new(at, "test", "case.imported", "test");
        db.put_cases(&cases, &change)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let change = Change::new(at, "test", "reviewer.imported", "test");
        db.put(&reviewers, &change)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
    });
}

/// The first department of the demo city after SCJG.
pub(crate) fn other_department(database: &std::path::Path) -> String {
    block_on(async {
        let db = storage::open(&database.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let other = db
            .departments()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|d| d.code().as_str().to_owned())
            .find(|c| c != "SCJG")
            .unwrap_or_default();
        db.close().await;
        other
    })
}

/// The drawn files a review page lists, by their department cell.
fn listed_departments(body: &str) -> Vec<String> {
    let marker = "<td data-label=\"部门\">";
    body.match_indices(marker)
        .map(|(at, _)| {
            let rest = &body[at + marker.len()..];
            rest[..rest.find("</td>").unwrap_or(0)].to_owned()
        })
        .collect()
}

#[test]
fn the_justice_bureau_commits_and_draws_a_review_and_departments_see_their_files() {
    let server = TestServer::start_prepared(prepare);
    let mut bureau = server.login("sfj.supervisor");

    let page = bureau.get("/review/reviewers");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("110105********002X"), "{}", page.body);
    assert!(
        !page.body.contains("19491231"),
        "an ID number shown unmasked"
    );
    assert!(page.body.contains("外聘专家1"));
    let filtered = bureau.get("/review/reviewers?unit=%E5%A4%96%E8%81%98");
    assert!(filtered.body.contains("外聘专家2"));
    assert!(!filtered.body.contains("R-SCJG-1"), "{}", filtered.body);
    let searched = bureau.get("/review/reviewers?q=R-SCJG-2");
    assert!(searched.body.contains("评查员SCJG2"));
    assert!(!searched.body.contains("外聘专家1"));

    // A department cannot commit; the Justice Bureau can.
    let other = other_department(&server.database);
    let form = [
        ("id", REVIEW),
        ("year", "2025"),
        ("departments", "SCJG"),
        ("departments", other.as_str()),
        ("per_department", "3"),
        ("reviewers_per_case", "2"),
        ("cap", "4"),
    ];
    let mut department = server.login("scjg.staff");
    assert_eq!(department.post_form("/review", &form).status, 403);
    let committed = bureau.post_form("/review", &form);
    assert_eq!(
        committed.location.as_deref(),
        Some(format!("/review/{REVIEW}").as_str()),
        "{}",
        committed.body
    );
    let again = bureau.post_form_inline("/review", &form);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("review_exists"), "{}", again.body);

    let screen = bureau.get(&format!("/review/{REVIEW}"));
    assert_eq!(screen.status, 200, "{}", screen.body);
    assert!(screen.body.contains("承诺值"));
    assert!(
        screen
            .body
            .contains(&format!("action=\"/review/{REVIEW}/draw\""))
    );
    assert!(screen.body.contains("data-confirm="));
    assert!(screen.body.contains(&format!("{REVIEW}/SCJG")));

    // The draw: asked for confirmation, then run as a job.
    let draw_form = [
        ("witnesses", "市司法局 王明\n公证处 李华"),
        ("beacon", "7 7 7"),
    ];
    let asked = bureau.post_form(&format!("/review/{REVIEW}/draw"), &draw_form);
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("确认抽取"), "{}", asked.body);
    let mut confirmed = draw_form.to_vec();
    confirmed.push(("confirm", "1"));
    let started = bureau.post_form(&format!("/review/{REVIEW}/draw"), &confirmed);
    let location = started.location.clone().unwrap_or_default();
    assert!(location.contains("?job="), "{}", started.body);
    let waiting = bureau.get(&location);
    let outcome = finished_job(&mut bureau, &waiting);
    assert!(
        outcome.contains("抽取案卷 6 份，未配齐评查组 0 份"),
        "{outcome}"
    );

    let result = bureau.get(&format!("/review/{REVIEW}"));
    assert!(
        result
            .body
            .contains("<span class=\"witness\">市司法局 王明</span>")
    );
    assert!(
        !result.body.contains("name=\"beacon\""),
        "no second draw form"
    );
    assert!(
        result.body.contains("（E1）") || result.body.contains("（E2）"),
        "names next to codes: {}",
        result.body
    );
    let listed = listed_departments(&result.body);
    assert_eq!(listed.len(), 6, "{}", result.body);
    assert_eq!(listed.iter().filter(|d| d.contains("（SCJG）")).count(), 3);
    let twice = bureau.post_form_inline(&format!("/review/{REVIEW}/draw"), &confirmed);
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert!(twice.body.contains("review_status"), "{}", twice.body);

    // A department sees its own drawn files only, and not the full record.
    let own = department.get(&format!("/review/{REVIEW}"));
    assert_eq!(own.status, 200, "{}", own.body);
    let listed = listed_departments(&own.body);
    assert_eq!(listed.len(), 3, "{}", own.body);
    assert!(listed.iter().all(|d| d.contains("（SCJG）")), "{listed:?}");
    let mut elsewhere = server.login("other.staff");
    let theirs = listed_departments(&elsewhere.get(&format!("/review/{REVIEW}")).body);
    assert_eq!(theirs.len(), 3);
    assert!(theirs.iter().all(|d| d.contains(&format!("（{other}）"))));
    assert_eq!(
        department
            .get(&format!("/review/{REVIEW}/record.json"))
            .status,
        403
    );

    let record = bureau.get(&format!("/review/{REVIEW}/record.json"));
    assert_eq!(record.status, 200, "{}", record.body);
    let record: draw::Record =
        serde_json::from_slice(&record.bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(draw::verify(&record), Vec::new());
    let public = bureau.get(&format!("/review/{REVIEW}/public.json"));
    assert_eq!(public.status, 200, "{}", public.body);
    assert!(!public.body.contains("R-SCJG-1\",\"stratum"));

    let list = bureau.get("/review");
    assert!(list.body.contains(&format!("href=\"/review/{REVIEW}\"")));
}
