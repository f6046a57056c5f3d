//! Issue 15 §2–3: the seed stays sealed until publication, each department sees
//! only its own visits of an unpublished round, the full record goes only to the
//! Justice Bureau and the administrator after publication, and nothing public
//! links an entity to a risk class, a stratum or a class-naming rule.

use std::collections::{BTreeSet, VecDeque};
use std::error::Error;

use serde_json::Value;

use domain::account::Role;
use storage::{StoredFrame, WorkflowStore};

use super::portal::{ROUND, TestResult, cli, json, ok, sealed_values, secret_city, secret_server};
use crate::common::web::{Client, TestServer, add_account};

/// Every demo account, one per role.
const DEMO_ACCOUNTS: &[&str] = &[
    "admin",
    "scjg.admin",
    "scjg.staff",
    "scjg.inspector",
    "sfj.supervisor",
    "credit.office",
    "hotline.operator",
];

/// Accounts that read a published round's full record.
const FULL_RECORD_READERS: &[&str] = &["admin", "sfj.supervisor"];

/// Words that tie the public to risk classes or to a draw's strata, on any public page.
const CLASS_WORDS: &[&str] = &[
    "class_a",
    "风险分类",
    "信用风险",
    "A类",
    "B类",
    "C类",
    "D类",
    "差异化",
    "截止值",
    "cutoff",
    "所在层",
    "stratum_label",
    "\"frame\"",
];

/// Stratum labels, which an entity-specific page or answer must not carry at all.
const STRATUM_WORDS: &[&str] = &[
    "A层",
    "B层",
    "C层",
    "D层",
    "U层",
    "N层",
    "\"stratum\"",
    "分层：",
];

/// The frozen frames of [`ROUND`] (read from the server's database).
fn round_frames(server: &TestServer) -> Result<Vec<StoredFrame>, Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let frames = runtime.block_on(async {
        let db = storage::open(&server.database.to_string_lossy()).await?;
        let frames = db.round_frames(ROUND).await;
        db.close().await;
        frames
    })?;
    Ok(frames)
}

/// The visits an account sees of a round through the API, over every page.
fn visible_visits(client: &mut Client, round: &str) -> Result<Vec<Value>, Box<dyn Error>> {
    let mut visits = Vec::new();
    let mut page = 1;
    loop {
        let answer = client.get(&format!("/api/v1/rounds/{round}/visits?page={page}"));
        if answer.status != 200 {
            return Err(format!("visits page {page}: {} {}", answer.status, answer.body).into());
        }
        let body = answer.json();
        visits.extend(body["visits"].as_array().ok_or("visits")?.iter().cloned());
        if page >= body["pages"].as_u64().unwrap_or(1) {
            return Ok(visits);
        }
        page += 1;
    }
}

fn departments_of(visit: &Value) -> BTreeSet<String> {
    visit["teams"]
        .as_array()
        .map(|teams| {
            teams
                .iter()
                .filter_map(|t| t["department"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_seed_is_sealed_and_visits_stay_in_their_department_until_publication() -> TestResult {
    let (source, secrets) = secret_city()?;
    let dir = std::env::temp_dir().join(crate::common::unique("jianguan_sealed"));
    std::fs::create_dir_all(&dir)?;
    let database = dir.join(storage::DEFAULT_DATABASE_FILE);
    std::fs::copy(source, &database)?;
    // Two joint plans with different partners: HG goes only to the first's visits, CGJ only to the second's.
    let round = "SEALED";
    let _ = secrets;
    cli(
        &database,
        &[
            "rounds",
            "commit",
            round,
            "--window-start",
            "2025-10-01",
            "--window-end",
            "2025-12-31",
            "--plan",
            "HS2025-J021",
            "--plan",
            "HS2025-J039",
        ],
    )?;
    cli(&database, &["rounds", "draw", round, "--beacon", "9 1 4 2"])?;
    let all: Value = serde_json::from_str(&cli(
        &database,
        &["visits", "list", "--round", round, "--json"],
    )?)?;
    let all = all.as_array().ok_or("visits")?.clone();
    // A staff account for every department the round sends a team from.
    let departments: BTreeSet<String> = all.iter().flat_map(departments_of).collect();
    let mut staff: Vec<(String, usize)> = Vec::new();
    for department in &departments {
        let username = format!("probe.{}", department.to_lowercase());
        add_account(
            &database,
            &username,
            Role::DepartmentStaff,
            Some(department),
        );
        staff.push((
            username,
            all.iter()
                .filter(|v| departments_of(v).contains(department))
                .count(),
        ));
    }
    assert!(
        staff.iter().any(|(_, n)| *n < all.len()),
        "some department sees less than the whole round: {staff:?}"
    );
    let server = TestServer::over(database);
    let sealed = sealed_values(&server.database, round)?;
    assert!(!sealed.is_empty());
    let accounts: Vec<&str> = DEMO_ACCOUNTS
        .iter()
        .copied()
        .chain(staff.iter().map(|(u, _)| u.as_str()))
        .collect();
    let own = |account: &str| staff.iter().find(|(u, _)| u == account).map(|(_, n)| *n);

    for &account in &accounts {
        let mut client = server.login(account);
        for path in [
            format!("/api/v1/rounds/{round}"),
            "/api/v1/rounds".to_owned(),
            format!("/rounds/{round}"),
            "/rounds".to_owned(),
            format!("/rounds/{round}/visits"),
            format!("/api/v1/rounds/{round}/visits"),
            "/gongshi/rounds".to_owned(),
            format!("/gongshi/rounds/{round}"),
            format!("/api/v1/public/rounds/{round}"),
        ] {
            let answer = client.get(&path);
            for value in &sealed {
                assert!(
                    !answer.body.contains(value.as_str()),
                    "{account}: {path} shows the sealed seed or secret"
                );
            }
        }
        let round_json = client.get(&format!("/api/v1/rounds/{round}"));
        assert_eq!(round_json.status, 200, "{account}");
        assert!(
            round_json.json().get("round_seed").is_none(),
            "{account}: round_seed before publication"
        );

        // Only the visits the account's department sends a team to, whatever its role.
        let visits = visible_visits(&mut client, round)?;
        let departments: BTreeSet<String> = visits.iter().flat_map(departments_of).collect();
        let shared: BTreeSet<String> = visits
            .iter()
            .map(departments_of)
            .reduce(|a, b| a.intersection(&b).cloned().collect())
            .unwrap_or_default();
        assert!(
            visits.is_empty() || !shared.is_empty(),
            "{account} sees visits of several departments: {departments:?}"
        );
        if let Some(expected) = own(account) {
            assert_eq!(
                visits.len(),
                expected,
                "{account} sees every visit of its department"
            );
        }
        if [
            "admin",
            "sfj.supervisor",
            "credit.office",
            "hotline.operator",
        ]
        .contains(&account)
        {
            assert!(
                visits.is_empty(),
                "{account} has no department and sees no visit before publication"
            );
        }

        for path in [
            format!("/api/v1/rounds/{round}/record"),
            format!("/rounds/{round}/record.json"),
        ] {
            let answer = client.get(&path);
            assert!(
                [403, 404].contains(&answer.status),
                "{account}: {path} before publication: {}",
                answer.status
            );
        }
    }

    cli(&server.database, &["rounds", "publish", round])?;
    let dir = std::env::temp_dir().join(crate::common::unique("jianguan_full_record"));
    std::fs::create_dir_all(&dir)?;
    let exported = dir.join("full.json");
    cli(
        &server.database,
        &[
            "rounds",
            "export",
            round,
            "--out",
            &exported.to_string_lossy(),
        ],
    )?;
    let exported = std::fs::read(&exported)?;
    let _ = std::fs::remove_dir_all(&dir);
    for &account in &accounts {
        let mut client = server.login(account);
        let round_json = json(&mut client, &format!("/api/v1/rounds/{round}"))?;
        assert!(
            round_json["round_seed"].is_string(),
            "{account}: the seed once published"
        );
        for path in [
            format!("/api/v1/rounds/{round}/record"),
            format!("/rounds/{round}/record.json"),
        ] {
            let answer = client.get(&path);
            if FULL_RECORD_READERS.contains(&account) {
                assert_eq!(answer.status, 200, "{account}: {path}");
                assert_eq!(
                    answer.bytes, exported,
                    "{account}: {path} is the record the CLI exports"
                );
            } else {
                assert_eq!(answer.status, 403, "{account}: {path}");
            }
        }
        let visits = visible_visits(&mut client, round)?;
        if FULL_RECORD_READERS.contains(&account) {
            assert_eq!(
                visits.len(),
                all.len(),
                "{account} reads every department once published"
            );
        }
        if let Some(expected) = own(account) {
            assert_eq!(
                visits.len(),
                expected,
                "{account}: a department still sees only its own visits"
            );
        }
    }
    Ok(())
}

#[test]
fn rounds_list_and_pages_say_whether_the_draw_committed() -> TestResult {
    let (server, secrets) = secret_server()?;
    let list: Value = serde_json::from_str(&cli(&server.database, &["rounds", "list", "--json"])?)?;
    let line = |id: &str| {
        list.as_array()
            .and_then(|l| l.iter().find(|r| r["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    let committed = line(secrets.committed);
    assert_eq!(committed["status"], "已承诺");
    assert_eq!(committed["drawn"], false);
    assert_eq!(committed["draw"], "未抽取");
    assert!(committed["drawn_at"].is_null());
    let drawn = line(secrets.drawn);
    assert_eq!(drawn["drawn"], true);
    assert!(
        drawn["draw"]
            .as_str()
            .is_some_and(|d| d.starts_with("已抽取") && d.ends_with("未公开")),
        "{drawn}"
    );
    assert!(drawn["drawn_at"].is_string());
    let published = line(ROUND);
    assert!(
        published["draw"]
            .as_str()
            .is_some_and(|d| d.contains("已公开")),
        "{published}"
    );
    assert!(
        published.get("round_seed").is_none(),
        "the listing never prints a seed"
    );

    let text = cli(&server.database, &["rounds", "list"])?;
    let committed_line = text
        .lines()
        .find(|l| l.starts_with(secrets.committed))
        .ok_or("committed line")?;
    assert!(
        committed_line.contains("已承诺") && committed_line.contains("未抽取"),
        "{committed_line}"
    );

    let mut staff = server.login("scjg.staff");
    let page = ok(&mut staff, &format!("/rounds/{}", secrets.committed))?;
    assert!(page.contains("未抽取"));
    let page = ok(&mut staff, &format!("/rounds/{}", secrets.drawn))?;
    assert!(page.contains("已抽取") && page.contains("公开前封存"));
    let list = ok(&mut staff, "/rounds")?;
    assert!(list.contains("未抽取") && list.contains("已抽取"));
    Ok(())
}

/// Same-site links in a body: `href="/gongshi…"` and `href="/api/v1/public…"`.
fn links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .filter(|href| href.starts_with("/gongshi") || href.starts_with("/api/v1/public"))
        .collect()
}

#[test]
fn no_public_route_links_an_entity_to_a_class_or_stratum() -> TestResult {
    let (server, secrets) = secret_server()?;
    let mut client = server.anonymous();
    let view = json(
        &mut client,
        &format!("/api/v1/public/rounds/{ROUND}/record"),
    )?;
    // Entities to look up: drawn, in a frame but not drawn, and excluded ones from the staff's explanation.
    let mut codes: Vec<String> = Vec::new();
    for plan in view["plans"].as_array().ok_or("plans")? {
        codes.extend(
            plan["selected"]
                .as_array()
                .ok_or("selected")?
                .iter()
                .take(3)
                .filter_map(|s| s["id"].as_str().map(str::to_owned)),
        );
        codes.extend(
            plan["frame_ids"]
                .as_array()
                .ok_or("frame_ids")?
                .iter()
                .take(3)
                .filter_map(|s| s.as_str().map(str::to_owned)),
        );
    }
    let frames = round_frames(&server)?;
    codes.extend(
        frames
            .iter()
            .flat_map(|f| f.exclusions.lines())
            .filter_map(|line| line.split_once('\t').map(|(id, _)| id.to_owned()))
            .take(40),
    );
    codes.sort();
    codes.dedup();
    assert!(codes.len() > 10);

    let mut queue: VecDeque<String> = [
        "/gongshi".to_owned(),
        "/gongshi/rounds".to_owned(),
        format!("/gongshi/rounds/{ROUND}"),
        format!("/gongshi/rounds/{}", secrets.committed),
        format!("/gongshi/rounds/{}", secrets.drawn),
        "/api/v1/public/rounds".to_owned(),
        format!("/api/v1/public/rounds/{ROUND}"),
        format!("/api/v1/public/rounds/{}", secrets.committed),
        "/api/v1/public/plans".to_owned(),
        "/api/v1/public/results".to_owned(),
    ]
    .into_iter()
    .collect();
    for code in &codes {
        queue.push_back(format!("/gongshi/verify?round={ROUND}&code={code}"));
        queue.push_back(format!("/api/v1/public/rounds/{ROUND}/verify?code={code}"));
        queue.push_back(format!("/gongshi/results?q={code}"));
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut crawled = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || crawled >= 600 {
            continue;
        }
        let answer = client.get(&path);
        crawled += 1;
        if path.ends_with("record.json") || path.ends_with("/record") {
            if answer.status == 200 {
                let record: Value = serde_json::from_slice(&answer.bytes)?;
                assert_eq!(record["view"], "public", "{path} serves the public view");
                for plan in record["plans"].as_array().ok_or("plans")? {
                    assert!(
                        plan.get("frame").is_none() && plan.get("cutoffs").is_none(),
                        "{path}"
                    );
                    for selection in plan["selected"].as_array().ok_or("selected")? {
                        assert!(
                            selection.get("stratum").is_none(),
                            "{path} ties a selection to a stratum"
                        );
                    }
                }
            }
            continue;
        }
        for word in CLASS_WORDS {
            assert!(
                !answer.body.contains(word),
                "{path} ({}) shows {word:?}",
                answer.status
            );
        }
        let about_an_entity = path.contains("code=") || path.contains("q=");
        if about_an_entity {
            for word in STRATUM_WORDS {
                assert!(!answer.body.contains(word), "{path} shows {word:?}");
            }
        }
        if answer.status == 200 {
            for link in links(&answer.body) {
                if !seen.contains(&link) {
                    queue.push_back(link);
                }
            }
        }
    }
    assert!(crawled > 60, "crawled {crawled} routes");
    assert!(
        seen.iter().any(|p| p.ends_with("record.json")),
        "the crawl reached the record download"
    );
    assert!(
        seen.iter().any(|p| p.starts_with("/gongshi/plans/")),
        "the crawl reached the plans"
    );
    Ok(())
}

#[test]
fn the_public_api_names_no_class_rule_for_any_excluded_entity() -> TestResult {
    let server = TestServer::start();
    let mut client = server.anonymous();
    let frames = round_frames(&server)?;
    let spared: Vec<String> = frames
        .iter()
        .flat_map(|f| f.exclusions.lines())
        .filter(|line| line.contains("class_a"))
        .filter_map(|line| line.split_once('\t').map(|(id, _)| id.to_owned()))
        .take(25)
        .collect();
    assert!(
        !spared.is_empty(),
        "the demo round spares some entities by the class rule"
    );
    for code in &spared {
        let check = json(
            &mut client,
            &format!("/api/v1/public/rounds/{ROUND}/verify?code={code}"),
        )?;
        let text = check.to_string();
        assert!(
            !text.contains("class_a") && !text.contains("A类"),
            "{code}: {text}"
        );
        for note in check["exclusions"].as_array().ok_or("exclusions")? {
            assert!(note["reason"].as_str().is_some_and(|r| !r.is_empty()));
        }
    }
    Ok(())
}
