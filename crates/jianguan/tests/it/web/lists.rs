//! Long lists (issue 18): a round's visits, /results and the plans are
//! searched, filtered and paged in SQL, every row reachable, the page links
//! keeping the filters; exports run as jobs, watermarked, names next to
//! codes, a department's export holding only its own rows; the printable
//! 检查通知书 and results bulletin.

use std::collections::BTreeSet;
use std::path::Path;

use domain::inspection::{InspectionResult, Round, RoundStatus, Visit};
use storage::WorkflowStore;

use super::staff_directories::{file_link, finished_job};
use super::watermark::assert_xlsx_watermark;
use crate::common::web::{Answer, Client, TestServer, block_on, encode};

/// Rows on a list page.
const PER_PAGE: usize = 50;

/// The last published round of the demo city and its visits.
fn published_round(database: &Path) -> (String, Vec<Visit>) {
    let url = database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let rounds = db
            .list::<Round>(None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let round = rounds
            .iter()
            .rfind(|r| r.status == RoundStatus::Published)
            .unwrap_or_else(|| panic!("no published round"))
            .id
            .clone();
        let visits = db
            .list::<Visit>(Some(("round", &round)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        (round, visits)
    })
}

/// The published results of the demo city.
fn published_results(database: &Path) -> Vec<InspectionResult> {
    let url = database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let results = db
            .list::<InspectionResult>(Some(("status", "已公开")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        results
    })
}

/// The visits a list page shows, by the id in each row's notice link.
fn visit_rows(body: &str) -> Vec<String> {
    body.split("href=\"/rounds/")
        .skip(1)
        .filter_map(|rest| {
            let link = &rest[..rest.find('"')?];
            let visit = link.strip_suffix("/notice")?;
            let (round, entity) = visit.split_once("/visits/")?;
            Some(format!("{round}/{entity}"))
        })
        .collect()
}

/// The `rel="next"` link of a page, HTML entities undone.
fn next_link(body: &str) -> Option<String> {
    let end = body.find("\" rel=\"next\"")?;
    let start = body[..end].rfind("href=\"")? + 6;
    Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The printed part of a page (the menu, which names 信用风险, is not printed).
fn printed(body: &str) -> &str {
    let start = body
        .find("<div class=\"printable")
        .unwrap_or_else(|| panic!("not printable: {body}"));
    &body[start..]
}

/// No credit-risk class is named (item names may say 风险隐患).
fn assert_no_risk_class(printed: &str) {
    for word in ["风险分类", "信用风险", "风险等级", "stratum"] {
        assert!(!printed.contains(word), "{word} printed:\n{printed}");
    }
}

/// Visits added to the last published round, so that it spans several pages.
const SEEDED: usize = 130;

/// A server whose last published round has [`SEEDED`] more visits, copies of
/// one with an SCJG team under made-up codes.
fn seeded_server() -> TestServer {
    TestServer::start_prepared(|database| {
        let (round, visits) = published_round(database);
        let model = visits
            .iter()
            .find(|v| v.teams.iter().any(|t| t.department == "SCJG"))
            .unwrap_or_else(|| panic!("no SCJG visit in {round}"))
            .clone();
        let seeded: Vec<Visit> = (0..SEEDED)
            .map(|n| {
                let entity = format!("91420200SEED{n:06}");
                Visit {
                    id: Visit::id_for(&round, &entity),
                    entity,
                    ..model.clone()
                }
            })
            .collect();
        let url = database.to_string_lossy().into_owned();
        block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            let change = storage::Change::new(
                chrono::Utc::now().fixed_offset(),
                "test",
                "visit.seeded",
                "more visits for paging",
            );
            db.put(&seeded, &change)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
        });
    })
}

fn ok(answer: Answer) -> Answer {
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer
}

/// Starts an export with `fields`, waits for the job and downloads the file.
pub(crate) fn export(client: &mut Client, action: &str, fields: &[(&str, &str)]) -> Answer {
    let page = ok(client.post_form(action, fields));
    assert!(page.body.contains("导出"), "{}", page.body);
    let done = finished_job(client, &page);
    assert!(done.contains("已导出"), "{done}");
    ok(client.get(&file_link(&done)))
}

#[test]
fn visit_pages_reach_the_last_visit_and_no_further() {
    let server = seeded_server();
    let (round, visits) = published_round(&server.database);
    assert!(visits.len() > 2 * PER_PAGE, "the round spans pages");
    let mut admin = server.login("admin");
    let pages = visits.len().div_ceil(PER_PAGE);
    let mut seen = BTreeSet::new();
    for page in 1..=pages {
        let body = ok(admin.get(&format!("/rounds/{round}/visits?page={page}"))).body;
        let rows = visit_rows(&body);
        let expected = if page == pages {
            visits.len() - PER_PAGE * (pages - 1)
        } else {
            PER_PAGE
        };
        assert_eq!(rows.len(), expected, "page {page}");
        assert!(body.contains(&format!("共 {} 条", visits.len())), "{body}");
        assert_eq!(next_link(&body).is_some(), page < pages, "page {page}");
        seen.extend(rows);
    }
    let all: BTreeSet<String> = visits.iter().map(|v| v.id.clone()).collect();
    assert_eq!(seen, all, "every visit is on some page, once");
    let beyond = ok(admin.get(&format!("/rounds/{round}/visits?page={}", pages + 1))).body;
    assert!(visit_rows(&beyond).is_empty(), "page N+1 is empty");
    assert!(next_link(&beyond).is_none());
}

#[test]
fn search_narrows_and_filters_keep_across_pages() {
    let server = seeded_server();
    let (round, visits) = published_round(&server.database);
    let mut admin = server.login("admin");
    // Search by part of an entity's 统一社会信用代码 and by its name.
    let target = visits
        .iter()
        .find(|v| !v.entity.contains("SEED"))
        .unwrap_or_else(|| panic!("no demo visit"));
    let by_code = ok(admin.get(&format!(
        "/rounds/{round}/visits?q={}",
        &target.entity[2..14]
    )))
    .body;
    assert_eq!(visit_rows(&by_code), vec![target.id.clone()]);
    let start = by_code
        .find("<span class=\"named\">")
        .unwrap_or_else(|| panic!("no name: {by_code}"))
        + 20;
    let name: String = by_code[start..]
        .chars()
        .take_while(|c| *c != ' ' && *c != '<')
        .collect();
    let by_name = ok(admin.get(&format!("/rounds/{round}/visits?q={}", encode(&name)))).body;
    let found = visit_rows(&by_name);
    assert!(found.contains(&target.id), "{name}: {found:?}");
    assert!(found.len() < visits.len(), "the search narrows");
    // A department filter, kept by the next page's link with the search.
    let scjg: Vec<&Visit> = visits
        .iter()
        .filter(|v| v.teams.iter().any(|t| t.department == "SCJG"))
        .collect();
    let first = ok(admin.get(&format!("/rounds/{round}/visits?department=SCJG"))).body;
    assert!(first.contains(&format!("共 {} 条", scjg.len())), "{first}");
    assert!(scjg.len() > PER_PAGE, "the seeded visits have SCJG teams");
    {
        let next = next_link(&first).unwrap_or_else(|| panic!("no next page: {first}"));
        assert!(next.contains("department=SCJG"), "{next}");
        let second = ok(admin.get(&next)).body;
        for id in visit_rows(&second) {
            assert!(scjg.iter().any(|v| v.id == id), "{id} has no SCJG team");
        }
    }
    let both = ok(admin.get(&format!(
        "/rounds/{round}/visits?department=SCJG&q=NOSUCHNAME"
    )))
    .body;
    assert!(visit_rows(&both).is_empty());
    assert!(both.contains("没有符合条件的检查任务"), "{both}");
}

#[test]
fn a_visit_export_is_a_watermarked_job_with_names_and_only_the_departments_rows() {
    let server = TestServer::start();
    let (round, visits) = published_round(&server.database);
    let action = format!("/rounds/{round}/visits/export");
    let mut staff = server.login("scjg.staff");
    let csv = export(&mut staff, &action, &[("format", "csv")]);
    let text = String::from_utf8_lossy(&csv.bytes).into_owned();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with("\u{feff}# 水印 导出人"),
        "the watermark line: {first}"
    );
    let rows: Vec<&str> = lines.skip(1).collect();
    let own: Vec<&Visit> = visits
        .iter()
        .filter(|v| v.teams.iter().any(|t| t.department == "SCJG"))
        .collect();
    assert_eq!(rows.len(), own.len(), "{text}");
    for visit in &visits {
        let listed = text.contains(&visit.id);
        let ours = own.iter().any(|v| v.id == visit.id);
        assert_eq!(listed, ours, "{} in SCJG's export", visit.id);
    }
    assert!(
        text.contains("市市场监督管理局（SCJG）"),
        "department names: {text}"
    );
    // Inspector names with certificate numbers, entity names beside codes.
    let cert = &own[0]
        .teams
        .iter()
        .find(|t| t.department == "SCJG")
        .map(|t| t.assigned.clone())
        .unwrap_or_default();
    if let Some(cert) = cert.first() {
        assert!(text.contains(&format!("（{cert}）")), "{cert}: {text}");
    }
    let row = rows
        .iter()
        .find(|r| r.starts_with(&own[0].id))
        .unwrap_or_else(|| panic!("no row for {}", own[0].id));
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells[2], own[0].entity, "{row}");
    assert!(
        !cells[1].is_empty() && cells[1] != cells[2],
        "a name: {row}"
    );
    // XLSX: both watermarks.
    let mut admin = server.login("admin");
    let xlsx = export(
        &mut admin,
        &action,
        &[("format", "xlsx"), ("department", "SCJG")],
    );
    assert_xlsx_watermark(&xlsx.bytes, "admin", "系统管理员");
}

#[test]
fn the_visit_notice_names_entity_items_and_inspectors_and_never_a_risk_class() {
    let server = TestServer::start();
    let (round, visits) = published_round(&server.database);
    let own = visits
        .iter()
        .find(|v| {
            v.teams
                .iter()
                .any(|t| t.department == "SCJG" && !t.assigned.is_empty())
        })
        .unwrap_or_else(|| panic!("no staffed SCJG visit"));
    let mut staff = server.login("scjg.staff");
    let path = format!("/rounds/{round}/visits/{}/notice", own.entity);
    let notice = ok(staff.get(&path)).body;
    assert!(notice.contains("检查通知书"), "{notice}");
    assert!(notice.contains("@media print"), "print CSS");
    let field = |name: &str| -> Vec<String> {
        notice
            .split(&format!("data-field=\"{name}\">"))
            .skip(1)
            .map(|rest| rest[..rest.find('<').unwrap_or(0)].trim().to_owned())
            .collect()
    };
    let entity = field("entity-name");
    assert!(
        entity.len() == 1 && !entity[0].is_empty() && entity[0] != own.entity,
        "the entity's name: {entity:?}"
    );
    let items = field("item");
    assert_eq!(items.len(), own.items.len());
    assert!(items.iter().all(|i| !i.is_empty()), "item names: {items:?}");
    let inspectors = field("inspector");
    let assigned: usize = own.teams.iter().map(|t| t.assigned.len()).sum();
    assert_eq!(inspectors.len(), assigned);
    assert!(
        inspectors.iter().all(|i| !i.is_empty()),
        "inspector names: {inspectors:?}"
    );
    for cert in own.teams.iter().flat_map(|t| &t.assigned) {
        assert!(notice.contains(cert.as_str()), "certificate {cert}");
    }
    // An item may be named 风险隐患联合排查; a risk class never appears.
    assert_no_risk_class(printed(&notice));
    assert!(notice.contains("盖章"), "a space for the seal");
    // The list and the inspector's entry page link to it.
    let list = ok(staff.get(&format!("/rounds/{round}/visits"))).body;
    assert!(list.contains("检查通知书"), "{list}");
    // Not for a department that sends no team.
    if let Some(other) = visits
        .iter()
        .find(|v| v.teams.iter().all(|t| t.department != "SCJG"))
    {
        let refused = staff.get(&format!("/rounds/{round}/visits/{}/notice", other.entity));
        assert_eq!(refused.status, 404, "{}", refused.body);
    }
    // The results bulletin: published results, no risk class.
    let bulletin = ok(staff.get(&format!("/rounds/{round}/bulletin"))).body;
    assert!(bulletin.contains("抽查结果公告") && bulletin.contains("@media print"));
    assert_no_risk_class(printed(&bulletin));
    let published = published_results(&server.database);
    let of_round = published
        .iter()
        .filter(|r| r.id.starts_with(&format!("{round}/")))
        .count();
    assert!(of_round > 0, "the demo published results");
    assert!(
        bulletin.contains(&format!("共 {of_round} 条")),
        "{of_round} results: {bulletin}"
    );
    // A plan's bulletin: its published results in every round.
    let plan = &own.plans[0];
    let of_plan = published
        .iter()
        .filter(|r| r.plan.as_deref() == Some(plan.as_str()))
        .count();
    let mut admin = server.login("admin");
    let plan_bulletin = ok(admin.get(&format!("/plans/{plan}/bulletin"))).body;
    assert!(
        plan_bulletin.contains(&format!("共 {of_plan} 条")),
        "{of_plan} results of {plan}: {plan_bulletin}"
    );
    assert_no_risk_class(printed(&plan_bulletin));
}

#[test]
fn results_reach_every_pending_visit_and_search_narrows_them() {
    let server = TestServer::start();
    let mut staff = server.login("scjg.staff");
    let first = ok(staff.get("/results")).body;
    let total: usize = first
        .split("共 ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count: {first}"));
    let entry_links = |body: &str| {
        body.matches("class=\"button\" href=\"/results/visits/")
            .count()
    };
    let pages = total.div_ceil(PER_PAGE).max(1);
    let last = ok(staff.get(&format!("/results?page={pages}"))).body;
    assert_eq!(
        entry_links(&last),
        total - PER_PAGE * (pages - 1),
        "the last page holds the rest"
    );
    assert!(next_link(&last).is_none());
    let beyond = ok(staff.get(&format!("/results?page={}", pages + 1))).body;
    assert_eq!(entry_links(&beyond), 0);
    let none = ok(staff.get("/results?q=NOSUCHNAME")).body;
    assert_eq!(entry_links(&none), 0);
    assert!(none.contains("共 0 条"), "{none}");
}

#[test]
fn plans_search_filter_page_and_export() {
    let server = TestServer::start();
    let mut admin = server.login("admin");
    let all = ok(admin.get("/plans")).body;
    assert!(all.contains("rel=\"next\""), "the demo's plans span pages");
    let searched = ok(admin.get("/plans?q=J001")).body;
    assert!(searched.contains("HS2025-J001"), "{searched}");
    assert!(!searched.contains("rel=\"next\""), "the search narrows");
    let mut staff = server.login("scjg.staff");
    let own = ok(staff.get("/plans?status=%E5%B7%B2%E5%85%AC%E7%A4%BA")).body;
    if let Some(next) = next_link(&own) {
        assert!(next.contains("status="), "{next}");
    }
    let csv = export(&mut staff, "/plans/export", &[("format", "csv")]);
    let text = String::from_utf8_lossy(&csv.bytes).into_owned();
    assert!(text.starts_with("\u{feff}# 水印"), "{text}");
    for line in text.lines().skip(2) {
        assert!(
            line.contains("市市场监督管理局"),
            "SCJG takes part in every plan it exports: {line}"
        );
    }
}

/// Checks in the log: SCJG's first, then GA's.
const CHECKS: (usize, usize) = (230, 40);

#[test]
fn the_credit_log_pages_past_200_and_a_department_exports_only_its_checks() {
    use storage::credit::{CheckLog, CreditStore};
    let server = TestServer::start_prepared(|database| {
        let url = database.to_string_lossy().into_owned();
        block_on(async move {
            let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
            let check = |n: usize, department: &str| CheckLog {
                checked_at: format!("2026-03-01T10:{:02}:{:02}+08:00", n / 60, n % 60),
                actor: format!("{}.staff", department.to_ascii_lowercase()),
                department: Some(department.to_owned()),
                matter: "LOGTEST".to_owned(),
                subject: format!("91420200LOG{department:>4}{n:03}"),
                subject_kind: None,
                outcome: domain::credit::Outcome::Clear,
                hits: 0,
                as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
                batch: None,
            };
            let checks = (0..CHECKS.0)
                .map(|n| check(n, "SCJG"))
                .chain((0..CHECKS.1).map(|n| check(n, "GA")))
                .collect();
            db.log_checks(checks)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            db.close().await;
        });
    });
    let mut office = server.login("credit.office");
    let first = ok(office.get("/credit/log?matter=LOGTEST")).body;
    let total = CHECKS.0 + CHECKS.1;
    assert!(first.contains(&format!("共 {total} 条")), "{first}");
    let pages = total.div_ceil(PER_PAGE);
    let last = ok(office.get(&format!("/credit/log?matter=LOGTEST&page={pages}"))).body;
    let rows = |body: &str| body.matches("91420200LOG").count();
    assert_eq!(rows(&last), total - PER_PAGE * (pages - 1), "{last}");
    assert!(next_link(&last).is_none());
    // The oldest check (SCJG's first) is on the last page: all are reachable.
    assert!(last.contains("91420200LOGSCJG000"), "{last}");
    let beyond = ok(office.get(&format!("/credit/log?matter=LOGTEST&page={}", pages + 1))).body;
    assert_eq!(rows(&beyond), 0);
    let mut staff = server.login("scjg.staff");
    let csv = export(
        &mut staff,
        "/credit/log/export",
        &[
            ("format", "csv"),
            ("matter", "LOGTEST"),
            ("department", "GA"),
        ],
    );
    let text = String::from_utf8_lossy(&csv.bytes).into_owned();
    assert!(text.starts_with("\u{feff}# 水印"), "{text}");
    assert_eq!(
        text.matches("91420200LOGSCJG").count(),
        CHECKS.0,
        "own checks"
    );
    assert!(
        !text.contains("91420200LOG  GA"),
        "no other department's check"
    );
    assert!(
        text.contains("市市场监督管理局,SCJG"),
        "department names: {text}"
    );
}

#[test]
fn the_register_and_the_rounds_list_filter_and_export() {
    let server = TestServer::start();
    let mut supervisor = server.login("sfj.supervisor");
    let all = ok(supervisor.get("/supervision")).body;
    let complaints =
        ok(supervisor.get(&format!("/supervision?reason={}", encode("投诉举报")))).body;
    assert!(complaints.contains("共 "), "{complaints}");
    let none = ok(supervisor.get("/supervision?q=NOSUCHNAME")).body;
    assert!(none.contains("共 0 条"), "{none}");
    assert!(all.contains("导出 XLSX"), "{all}");
    let csv = export(
        &mut supervisor,
        "/supervision/out-of-plan/export",
        &[("format", "csv")],
    );
    let text = String::from_utf8_lossy(&csv.bytes).into_owned();
    assert!(text.starts_with("\u{feff}# 水印"), "{text}");
    assert!(text.contains("统一社会信用代码"), "{text}");
    // A department's export holds its own inspections only.
    let mut staff = server.login("scjg.staff");
    let own = export(
        &mut staff,
        "/supervision/out-of-plan/export",
        &[("format", "csv")],
    );
    let own = String::from_utf8_lossy(&own.bytes).into_owned();
    for line in own.lines().skip(2) {
        assert!(line.starts_with("SCJG-"), "{line}");
    }
    // Rounds: by status, and exported.
    let published = ok(supervisor.get(&format!("/rounds?status={}", encode("已公开")))).body;
    assert!(published.contains("已公开"), "{published}");
    let committed = ok(supervisor.get(&format!("/rounds?status={}", encode("已承诺")))).body;
    assert!(committed.contains("没有符合条件的批次"), "{committed}");
    let rounds = export(&mut supervisor, "/rounds/export", &[("format", "csv")]);
    let rounds = String::from_utf8_lossy(&rounds.bytes).into_owned();
    assert!(rounds.contains("2025-Q1"), "{rounds}");
}
