//! The Justice Bureau's tools: the ledger in Chinese (a label for every action
//! code the system writes, times to the second, filters chosen from selects,
//! paging, export as a job); rectification notices against any supervised
//! object (here a late 12345 work order and a case finding known by id), with
//! a printable 整改通知书; and no internal link of the staff pages answering 404.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use domain::hotline::{OrderStatus, WorkOrder};
use storage::WorkflowStore;
use storage::hotline::{HotlineStore, OrderFilter};

use super::staff_directories::{file_link, finished_job};
use crate::common::web::{Client, TestServer, block_on};

/// The cells of `class` of a page, as text.
fn cells(body: &str, class: &str) -> Vec<String> {
    let marker = format!("class=\"{class}\"");
    body.match_indices(&marker)
        .filter_map(|(at, _)| {
            let start = body[at..].find('>')? + at + 1;
            let end = body[start..].find("</td>")? + start;
            Some(body[start..end].trim().to_owned())
        })
        .collect()
}

#[test]
fn the_ledger_reads_in_chinese_to_the_second_with_filters_chosen_from_selects() {
    let server = TestServer::start();
    let mut auditor = server.login("sfj.supervisor");
    let page = auditor.get("/ledger");
    assert_eq!(page.status, 200, "{}", page.body);
    let actions = cells(&page.body, "ledger-action");
    let times = cells(&page.body, "ledger-time");
    assert_eq!(actions.len(), 50, "a page of 50: {}", page.body);
    for action in &actions {
        assert!(
            !action.is_empty() && !action.chars().any(|c| c.is_ascii_alphabetic()),
            "an action shown as a code: {action}"
        );
        assert_ne!(action, "其他操作", "an action without a label");
    }
    for time in &times {
        let shape: String = time
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "9999-99-99 99:99:99", "not to the second: {time}");
    }
    // The filters are selects and dates, not typed prefixes.
    let filters = &page.body[page.body.find("action=\"/ledger\"").unwrap_or(0)..];
    let filters = &filters[..filters.find("</form>").unwrap_or(filters.len())];
    for select in ["id=\"action\"", "id=\"actor\"", "id=\"department\""] {
        assert!(
            filters.contains(&format!("<select {select}")),
            "{select}: {filters}"
        );
    }
    assert!(filters.contains("type=\"date\"") && !filters.contains("type=\"text\""));

    // Paging: the second page goes on where the first stopped.
    let second = auditor.get("/ledger?page=2");
    let first_seq = cells(&page.body, "num ledger-seq").last().cloned();
    let next_seq = cells(&second.body, "num ledger-seq").first().cloned();
    let number = |s: Option<String>| s.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    assert_eq!(
        number(first_seq) - 1,
        number(next_seq),
        "page 2 follows page 1"
    );

    // By action, actor, department and dates.
    let filed = auditor.get("/ledger?action=plan.filed");
    let filed_actions = cells(&filed.body, "ledger-action");
    assert!(!filed_actions.is_empty(), "{}", filed.body);
    assert!(
        filed_actions.iter().all(|a| a == "计划备案"),
        "{filed_actions:?}"
    );
    let actor = cells(&page.body, "ledger-actor")
        .first()
        .cloned()
        .unwrap_or_default();
    let by_actor = auditor.get(&format!(
        "/ledger?actor={}",
        crate::common::web::encode(&actor)
    ));
    let actors = cells(&by_actor.body, "ledger-actor");
    assert!(!actors.is_empty(), "{}", by_actor.body);
    assert!(actors.iter().all(|a| a.contains(&actor)), "{actors:?}");
    let day = times
        .first()
        .map(|t| t.chars().take(10).collect::<String>())
        .unwrap_or_default();
    let that_day = auditor.get(&format!("/ledger?from={day}&to={day}"));
    let day_times = cells(&that_day.body, "ledger-time");
    assert!(!day_times.is_empty());
    assert!(
        day_times.iter().all(|t| t.starts_with(&day)),
        "{day_times:?}"
    );
    let nobody = auditor.get("/ledger?department=GA");
    assert!(
        cells(&nobody.body, "ledger-time").is_empty(),
        "no GA account acted: {}",
        nobody.body
    );
    assert_eq!(
        auditor.get("/ledger?from=2026-02-01&to=2026-01-01").status,
        400
    );

    // Exported as a job, with the labels.
    let started = auditor.post_form("/ledger/export", &[("action", "plan."), ("format", "csv")]);
    assert_eq!(started.status, 200, "{}", started.body);
    let done = finished_job(&mut auditor, &started);
    assert!(done.contains("已导出"), "{done}");
    let file = auditor.get(&file_link(&done));
    assert!(
        file.body.contains("计划备案") && file.body.contains("操作代码"),
        "{}",
        file.body
    );
    assert!(
        !file.body.contains("round.drawn"),
        "filtered: {}",
        file.body
    );
}

/// Literals of the `word.word` shape the sources write that are no ledger
/// actions: file names, account names, columns in SQL.
const NOT_ACTIONS: &[&str] = &[
    "credit.office",
    "hotline.operator",
    "scjg.admin",
    "scjg.inspector",
    "scjg.staff",
    "sfj.supervisor",
    "someone.else",
    "e.uscc",
    "i.cert_no",
    "bench.loaded",
    "evil.example",
    "pg.key",
    "window.staff",
    "temp.credit_load",
    "approver.demo",
    "window.demo",
];

/// File-name endings.
const EXTENSIONS: &[&str] = &[
    "css", "csv", "html", "js", "json", "jsonl", "sql", "tsv", "txt", "xlsx", "zip", "pdf",
];

/// Every `"a.b"` (or `"a.b.c"`) literal of the crates' sources.
fn dotted_literals(dir: &Path, found: &mut BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            dotted_literals(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for piece in text.split('"').skip(1).step_by(2) {
                let parts: Vec<&str> = piece.split('.').collect();
                let dotted = parts.len() >= 2
                    && parts.iter().all(|p| {
                        !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    });
                if dotted
                    && !NOT_ACTIONS.contains(&piece)
                    && !parts.last().is_some_and(|p| EXTENSIONS.contains(p))
                {
                    found
                        .entry(piece.to_owned())
                        .or_insert_with(|| path.display().to_string());
                }
            }
        }
    }
}

#[test]
fn every_action_code_written_anywhere_has_a_chinese_label() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = BTreeMap::new();
    for krate in std::fs::read_dir(&crates)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        dotted_literals(&krate.path().join("src"), &mut found);
    }
    assert!(
        found.contains_key("plan.filed"),
        "the scan finds the actions"
    );
    let missing: Vec<String> = found
        .iter()
        .filter(|(code, _)| domain::ledger::action_label(code).is_none())
        .map(|(code, file)| format!("{code} ({file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "action codes without a Chinese label in domain::ledger::ACTION_LABELS \
         (or add a literal that is no action to NOT_ACTIONS): {missing:?}"
    );
    // Every label is Chinese, and every action of the demo city's ledger has one.
    for (code, label) in domain::ledger::ACTION_LABELS {
        assert!(
            !label.chars().any(|c| c.is_ascii_alphabetic()),
            "{code}: {label}"
        );
    }
    let server = TestServer::start();
    let url = server.database.to_string_lossy().into_owned();
    let written: BTreeSet<String> = block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let ledger = db.ledger().await.unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        ledger.into_iter().map(|e| e.action).collect()
    });
    let unlabelled: Vec<&String> = written
        .iter()
        .filter(|a| domain::ledger::action_label(a).is_none())
        .collect();
    assert!(unlabelled.is_empty(), "{unlabelled:?}");
}

/// A late order dispatched to a department, and a closed order that was on time.
fn late_and_on_time(server: &TestServer) -> (WorkOrder, WorkOrder) {
    let url = server.database.to_string_lossy().into_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let today = service::now().date_naive();
        let late = db
            .hotline_orders(
                &OrderFilter {
                    overdue_on: Some(today),
                    ..OrderFilter::default()
                },
                50,
                0,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .find(|o| o.department.is_some() && o.close_overdue(today))
            .unwrap_or_else(|| panic!("no late order"));
        let on_time = db
            .hotline_orders(
                &OrderFilter {
                    status: Some(OrderStatus::Closed.as_str().to_owned()),
                    ..OrderFilter::default()
                },
                200,
                0,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .find(|o| !o.close_overdue(today) && !o.sign_overdue(today))
            .unwrap_or_else(|| panic!("no order closed on time"));
        db.close().await;
        (late, on_time)
    })
}

#[test]
fn a_rectification_notice_against_a_late_work_order_prints_with_names_and_working_days() {
    let server = TestServer::start();
    let (late, on_time) = late_and_on_time(&server);
    let mut supervisor = server.login("sfj.supervisor");

    // The late order's page offers the notice; the form is filled in.
    let order = supervisor.get(&format!("/hotline/orders/{}", late.id));
    assert_eq!(order.status, 200, "{}", order.body);
    assert!(
        order.body.contains("id=\"rectify-order\""),
        "{}",
        order.body
    );
    let form = supervisor.get(&format!("/supervision?kind=hotline_order&id={}", late.id));
    assert!(form.body.contains(&format!("value=\"{}\"", late.id)));

    let issued = supervisor.post_form(
        "/supervision/notices",
        &[
            ("kind", "hotline_order"),
            ("id", &late.id),
            ("department", ""),
            ("finding", ""),
            ("requirement", "查明超期原因，限期办结并答复来电人"),
        ],
    );
    assert_eq!(issued.status, 303, "{}", issued.body);
    let notice_path = issued.location.clone().unwrap_or_default();
    let notice = supervisor.get(&notice_path);
    assert!(
        notice.body.contains(&format!("12345工单 {}", late.id)) && notice.body.contains("超期"),
        "{}",
        notice.body
    );
    let json = supervisor
        .get(&format!(
            "/api/v1/rectifications/{}",
            notice_path.rsplit('/').next().unwrap_or_default()
        ))
        .json();
    assert_eq!(json["subject"], format!("hotline_order:{}", late.id));
    assert_eq!(
        json["department"],
        late.department.clone().unwrap_or_default()
    );
    let due = json["due"].as_str().unwrap_or_default().to_owned();

    // The printable notice: names, finding, deadline in working days, department, print CSS.
    let print = supervisor.get(&format!("{notice_path}/print"));
    assert_eq!(print.status, 200, "{}", print.body);
    let department = late.department.clone().unwrap_or_default();
    let department_name = server_department_name(&server, &department);
    for needle in [
        "整改通知书",
        "@media print",
        "个工作日",
        department_name.as_str(),
        &late.id,
        &late.category,
    ] {
        assert!(print.body.contains(needle), "{needle}: {}", print.body);
    }
    let due_words = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d")
        .map(|d| d.format("%Y年%m月%d日").to_string())
        .unwrap_or_default();
    assert!(
        print.body.contains(&due_words),
        "{due_words}: {}",
        print.body
    );

    // On the ledger, in Chinese.
    let ledger = supervisor.get("/ledger?action=rectification.issued");
    assert!(ledger.body.contains("下发整改通知") && ledger.body.contains(&late.id));

    // An order on time is no late order; a case finding is known by id only and names its department.
    let refused = supervisor.post_form(
        "/supervision/notices",
        &[
            ("kind", "hotline_order"),
            ("id", &on_time.id),
            ("requirement", "x"),
        ],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("未超期"), "{}", refused.body);
    let no_department = supervisor.post_form(
        "/supervision/notices",
        &[
            ("kind", "case_finding"),
            ("id", "黄市监罚〔2026〕12号"),
            ("finding", "处罚决定未说明裁量理由"),
            ("requirement", "补充裁量说明"),
        ],
    );
    assert_eq!(no_department.status, 409, "{}", no_department.body);
    assert!(no_department.body.contains("请选择整改部门"));
    let case = supervisor.post_form(
        "/supervision/notices",
        &[
            ("kind", "case_finding"),
            ("id", "黄市监罚〔2026〕12号"),
            ("department", "SCJG"),
            ("finding", "处罚决定未说明裁量理由"),
            ("requirement", "补充裁量说明"),
        ],
    );
    assert_eq!(case.status, 303, "{}", case.body);
    let case_page = supervisor.get(&format!(
        "{}/print",
        case.location.clone().unwrap_or_default()
    ));
    assert!(
        case_page
            .body
            .contains("行政处罚案件认定 黄市监罚〔2026〕12号")
            && case_page.body.contains("处罚决定未说明裁量理由"),
        "{}",
        case_page.body
    );
    // The department sees its notices; only the Justice Bureau issues them.
    let mut staff = server.login("scjg.staff");
    if department == "SCJG" {
        assert_eq!(staff.get(&notice_path).status, 200);
    }
    assert_eq!(
        staff
            .post_form(
                "/supervision/notices",
                &[
                    ("kind", "hotline_order"),
                    ("id", &late.id),
                    ("requirement", "x")
                ],
            )
            .status,
        403
    );
}

fn server_department_name(server: &TestServer, code: &str) -> String {
    let url = server.database.to_string_lossy().into_owned();
    let code = code.to_owned();
    block_on(async move {
        let db = storage::open(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let departments = storage::Store::departments(&db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.close().await;
        departments
            .iter()
            .find(|d| d.code().as_str() == code)
            .map(|d| d.name().to_owned())
            .unwrap_or(code)
    })
}

/// The internal links (`href="/…"`) of a page, without fragments.
fn links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .map(|href| {
            let href = href.replace("&amp;", "&");
            href.split('#').next().unwrap_or_default().to_owned()
        })
        .filter(|href| !href.is_empty())
        .collect()
}

/// A link's shape: segments and query values with digits stand for any such.
fn shape(link: &str) -> String {
    let (path, query) = link.split_once('?').unwrap_or((link, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|s| {
            if s.chars().any(|c| c.is_ascii_digit()) {
                "{}"
            } else {
                s
            }
        })
        .collect();
    let mut names: Vec<&str> = query
        .split('&')
        .filter_map(|p| p.split('=').next())
        .filter(|p| !p.is_empty())
        .collect();
    names.sort_unstable();
    format!("{}?{}", path.join("/"), names.join("&"))
}

/// Follows the internal links from the dashboard (one of each shape, up to
/// `budget` pages); answers the links that answered 404, with the page they were on.
fn dead_links(client: &mut Client, budget: usize) -> Vec<String> {
    let mut queue = VecDeque::from([("/dashboard".to_owned(), "(start)".to_owned())]);
    let mut seen_shapes = BTreeSet::new();
    let mut dead = Vec::new();
    let mut visited = 0;
    while let Some((link, from)) = queue.pop_front() {
        let skip = link.starts_with("/static/")
            || link.starts_with("/logout")
            || link.starts_with("/files/")
            || link.starts_with("/jobs/");
        if skip || !seen_shapes.insert(shape(&link)) {
            continue;
        }
        if visited >= budget {
            break;
        }
        visited += 1;
        let answer = client.get(&link);
        if answer.status == 404 {
            dead.push(format!("{link} (on {from})"));
            continue;
        }
        let is_html = answer
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/html"));
        if answer.status == 200 && is_html {
            for next in links(&answer.body) {
                queue.push_back((next, link.clone()));
            }
        }
    }
    dead
}

#[test]
fn no_internal_link_of_the_staff_pages_answers_404() {
    let server = TestServer::start();
    // The register's 12345 links first: each opens its order.
    let mut supervisor = server.login("sfj.supervisor");
    let register = supervisor.get("/supervision");
    let orders: Vec<String> = links(&register.body)
        .into_iter()
        .filter(|l| l.starts_with("/hotline/orders/"))
        .collect();
    assert!(
        !orders.is_empty(),
        "the demo's complaint inspections link their work orders: {}",
        register.body
    );
    for order in &orders {
        assert_eq!(supervisor.get(order).status, 200, "{order}");
    }
    let mut dead = Vec::new();
    for account in ["sfj.supervisor", "hotline.operator", "scjg.staff", "admin"] {
        let mut client = server.login(account);
        dead.extend(
            dead_links(&mut client, 120)
                .into_iter()
                .map(|d| format!("{account}: {d}")),
        );
    }
    assert!(dead.is_empty(), "internal links answering 404: {dead:#?}");
}
