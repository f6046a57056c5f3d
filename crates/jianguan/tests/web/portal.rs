//! The public portal (/gongshi) and the public API (/api/v1/public): what is
//! published is shown and verifiable; nothing unpublished leaks.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::unique;
use crate::common::web::{Client, TestServer, demo_database, encode};
use jianguan::storage::{self, WorkflowStore};

type TestResult = Result<(), Box<dyn Error>>;

/// A published round of the demo city.
const ROUND: &str = "2025-Q1";

/// Risk classes and internal fields never shown to the public.
const NEVER_PUBLIC: &[&str] = &[
    "风险分类",
    "credit_class",
    "信用风险",
    "id_card",
    "身份证",
    "entered_by",
    "\"note\"",
];

/// Runs the real binary on `database`.
fn cli(database: &Path, args: &[&str]) -> Result<String, Box<dyn Error>> {
    let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .arg("--database")
        .arg(database)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "jianguan {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The unpublished things of [`secret_city`].
struct Secrets {
    /// Committed, not drawn.
    committed: &'static str,
    /// Drawn, not published.
    drawn: &'static str,
    /// An entity the drawn round selected.
    entity: String,
    /// An entered, unpublished result of it.
    result: String,
}

const INTERNAL_NOTE: &str = "内部备注勿公开";

/// The demo city plus a committed round, a drawn unpublished round and an
/// entered unpublished result (with an internal note), built once.
fn secret_city() -> Result<&'static (PathBuf, Secrets), Box<dyn Error>> {
    static BUILT: OnceLock<Result<(PathBuf, Secrets), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| build_secret_city().map_err(|e| e.to_string()));
    built.as_ref().map_err(|e| e.clone().into())
}

fn build_secret_city() -> Result<(PathBuf, Secrets), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique("jianguan_portal_secret"));
    std::fs::create_dir_all(&dir)?;
    let database = dir.join(storage::DEFAULT_DATABASE_FILE);
    std::fs::copy(demo_database(), &database)?;
    let window = ["--window-start", "2025-10-01", "--window-end", "2025-12-31"];
    let committed = "SECRET-C";
    let drawn = "SECRET-D";
    cli(
        &database,
        &[
            &["rounds", "commit", committed][..],
            &window,
            &["--plan", "HS2025-J005"],
        ]
        .concat(),
    )?;
    cli(
        &database,
        &[
            &["rounds", "commit", drawn][..],
            &window,
            &["--plan", "HS2025-J001"],
        ]
        .concat(),
    )?;
    cli(&database, &["rounds", "draw", drawn, "--beacon", "7 7 7"])?;
    let visits: Value = serde_json::from_str(&cli(
        &database,
        &["visits", "list", "--round", drawn, "--json"],
    )?)?;
    let visit = &visits[0];
    let visit_id = visit["id"].as_str().ok_or("no visit drawn")?;
    let department = visit["teams"][0]["department"].as_str().ok_or("no team")?;
    cli(
        &database,
        &[
            "results",
            "enter",
            visit_id,
            "--department",
            department,
            "--category",
            "发现问题待后续处理",
            "--check-start",
            "2025-11-03",
            "--note",
            INTERNAL_NOTE,
        ],
    )?;
    let entity = visit["entity"].as_str().ok_or("no entity")?.to_owned();
    Ok((
        database,
        Secrets {
            committed,
            drawn,
            result: format!("{visit_id}/"),
            entity,
        },
    ))
}

/// A server over a fresh copy of the secret city.
fn secret_server() -> Result<(TestServer, &'static Secrets), Box<dyn Error>> {
    let (source, secrets) = secret_city()?;
    let dir = std::env::temp_dir().join(unique("jianguan_portal"));
    std::fs::create_dir_all(&dir)?;
    let database = dir.join(storage::DEFAULT_DATABASE_FILE);
    std::fs::copy(source, &database)?;
    Ok((TestServer::over(database), secrets))
}

fn ok(client: &mut Client, path: &str) -> Result<String, Box<dyn Error>> {
    let answer = client.get(path);
    if answer.status != 200 {
        return Err(format!("GET {path}: {} {}", answer.status, answer.body).into());
    }
    Ok(answer.body)
}

fn json(client: &mut Client, path: &str) -> Result<Value, Box<dyn Error>> {
    Ok(serde_json::from_str(&ok(client, path)?)?)
}

fn assert_nothing_internal(path: &str, body: &str) {
    for word in NEVER_PUBLIC {
        assert!(!body.contains(word), "{path} shows {word:?}");
    }
}

#[test]
fn the_portal_shows_published_plans_rounds_and_results_without_login() -> TestResult {
    let server = TestServer::start();
    let mut client = server.anonymous();
    let index = ok(&mut client, "/gongshi")?;
    for link in [
        "/gongshi/plans",
        "/gongshi/results",
        "/gongshi/rounds",
        "/gongshi/verify",
    ] {
        assert!(index.contains(link), "the index links {link}");
    }
    let plans = json(&mut client, "/api/v1/public/plans")?;
    let plans = plans.as_array().ok_or("plans: not an array")?;
    assert!(!plans.is_empty());
    let plan = &plans[0];
    let id = plan["id"].as_str().ok_or("plan id")?;
    let list = ok(&mut client, "/gongshi/plans")?;
    assert!(list.contains(id));
    let page = ok(&mut client, &format!("/gongshi/plans/{id}"))?;
    let item = plan["departments"][0]["items"][0]["name"]
        .as_str()
        .ok_or("item")?;
    assert!(page.contains(item), "the plan page lists its items");
    assert!(page.contains(plan["lead_name"].as_str().ok_or("lead")?));
    assert_eq!(client.get("/gongshi/plans/NO-SUCH-PLAN").status, 404);

    let rounds = ok(&mut client, "/gongshi/rounds")?;
    assert!(rounds.contains(ROUND));
    let round = ok(&mut client, &format!("/gongshi/rounds/{ROUND}"))?;
    assert!(round.contains("符合"), "the round page shows the verdict");
    assert!(round.contains("record.json"));
    let detail = json(&mut client, &format!("/api/v1/public/rounds/{ROUND}"))?;
    assert_eq!(detail["verdict"]["conforms"], true, "{}", detail["verdict"]);
    assert_eq!(detail["seed"]["seed_matches"], true);
    assert_eq!(detail["seed"]["commitment_matches"], true);
    for path in [
        "/gongshi",
        "/gongshi/plans",
        "/gongshi/rounds",
        &format!("/gongshi/rounds/{ROUND}"),
    ] {
        let body = ok(&mut client, path)?;
        assert_nothing_internal(path, &body);
    }
    Ok(())
}

#[test]
fn results_are_found_by_name_and_by_code() -> TestResult {
    let server = TestServer::start();
    let mut client = server.anonymous();
    let all = json(&mut client, "/api/v1/public/results")?;
    assert!(all["total"].as_u64().unwrap_or(0) > 100, "{}", all["total"]);
    let first = &all["items"][0];
    let code = first["entity"].as_str().ok_or("entity")?;
    let name = first["entity_name"].as_str().ok_or("entity_name")?;
    assert!(!name.is_empty(), "results carry the entity's name");
    for field in ["inspectors", "note", "entered_by", "visit"] {
        assert!(first.get(field).is_none(), "a public result has no {field}");
    }

    let by_name = json(
        &mut client,
        &format!("/api/v1/public/results?q={}", encode(name)),
    )?;
    let items = by_name["items"].as_array().ok_or("items")?;
    assert!(items.iter().any(|r| r["entity"] == code), "found by name");
    assert!(
        items
            .iter()
            .all(|r| r["entity_name"].as_str().is_some_and(|n| n.contains(name)))
    );

    let prefix = code[..12].to_lowercase();
    let by_code = json(&mut client, &format!("/api/v1/public/results?q={prefix}"))?;
    let items = by_code["items"].as_array().ok_or("items")?;
    assert!(
        items.iter().any(|r| r["entity"] == code),
        "found by a code prefix in lower case"
    );

    let page = ok(&mut client, &format!("/gongshi/results?q={}", encode(name)))?;
    assert!(page.contains(code) && page.contains(name));
    assert!(
        page.contains("method=\"get\""),
        "the search works without JavaScript"
    );
    assert!(
        page.contains("hx-get=\"/gongshi/results\""),
        "and live with htmx"
    );
    assert_nothing_internal("/gongshi/results", &page);

    let nothing = ok(
        &mut client,
        "/gongshi/results?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E5%AE%B6",
    )?;
    assert!(nothing.contains("没有找到"));
    let second = json(&mut client, "/api/v1/public/results?page=2")?;
    assert_eq!(second["page"], 2);
    assert_eq!(
        client.get("/gongshi/results?page=abc").status,
        200,
        "a mangled page number is the first page"
    );
    assert_ne!(
        second["items"][0]["id"], all["items"][0]["id"],
        "pages differ"
    );
    Ok(())
}

#[test]
fn the_downloaded_record_verifies() -> TestResult {
    let server = TestServer::start();
    let mut client = server.anonymous();
    let download = client.get(&format!("/gongshi/rounds/{ROUND}/record.json"));
    assert_eq!(download.status, 200);
    assert!(
        download
            .content_type
            .as_deref()
            .is_some_and(|t| t.contains("json"))
    );
    let api = client.get(&format!("/api/v1/public/rounds/{ROUND}/record"));
    assert_eq!(
        api.bytes, download.bytes,
        "page and API give the same record"
    );

    let dir = std::env::temp_dir().join(unique("jianguan_portal_record"));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("record.json");
    std::fs::write(&file, &download.bytes)?;
    let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .arg("verify")
        .arg(&file)
        .output()?;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "conforms");
    Ok(())
}

#[test]
fn the_verification_of_a_drawn_entity_matches_the_record() -> TestResult {
    let server = TestServer::start();
    let mut client = server.anonymous();
    let record = json(
        &mut client,
        &format!("/api/v1/public/rounds/{ROUND}/record"),
    )?;
    let plan = &record["plans"][0];
    let selected = &plan["selected"][0];
    let code = selected["id"].as_str().ok_or("selected id")?;
    let prn = selected["prn"].as_str().ok_or("prn")?;
    let stratum = selected["stratum"].as_str().ok_or("stratum")?;

    let check = json(
        &mut client,
        &format!("/api/v1/public/rounds/{ROUND}/verify?code={code}"),
    )?;
    assert_eq!(check["prn"]["prn"], prn, "the prn shown is the record's");
    assert_eq!(check["drawn"], true);
    assert_eq!(check["in_frame"], true);
    assert_eq!(check["verdict"]["conforms"], true);
    let entry = check["plans"]
        .as_array()
        .ok_or("plans")?
        .iter()
        .find(|p| p["entry"] == plan["id"])
        .ok_or("the plan that drew it is listed")?;
    assert_eq!(entry["selected"], true);
    assert_eq!(entry["within_cutoff"], true);
    assert_eq!(entry["stratum"], stratum);
    assert_eq!(entry["cutoff"], plan["cutoffs"][stratum]);

    // Anyone can redo it with SHA-256 alone: the hex inputs hash to what is shown.
    let sha = |hex: &Value| -> Result<String, Box<dyn Error>> {
        let hex = hex.as_str().ok_or("hex")?;
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<_, _>>()?;
        Ok(draw::to_hex(&draw::sha256(&[&bytes])))
    };
    assert_eq!(
        sha(&check["seed"]["seed_input"])?,
        record["round_seed"].as_str().ok_or("seed")?
    );
    assert_eq!(
        sha(&check["seed"]["commitment_input"])?,
        record["commitment"].as_str().ok_or("commitment")?
    );
    let digest = sha(&check["prn"]["input"])?;
    assert_eq!(digest[..16], *prn);
    assert!(
        check["prn"]["input"]
            .as_str()
            .is_some_and(|i| i.ends_with(&draw::to_hex(code.as_bytes())))
    );

    let page = ok(
        &mut client,
        &format!("/gongshi/verify?round={ROUND}&code={}", code.to_lowercase()),
    )?;
    assert!(page.contains(prn) && page.contains("已抽中") && page.contains("符合"));
    assert!(page.contains("sha256sum"));
    assert_nothing_internal("/gongshi/verify", &page);
    Ok(())
}

#[test]
fn an_entity_outside_every_frame_is_told_which_rule_excluded_it() -> TestResult {
    let server = TestServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let frames = runtime.block_on(async {
        let db = storage::open(&server.database.to_string_lossy()).await?;
        let frames = db.round_frames(ROUND).await;
        db.close().await;
        frames
    })?;
    let in_a_frame = |id: &str| {
        frames
            .iter()
            .any(|f| f.frame.lines().any(|l| l.starts_with(id)))
    };
    let excluded = frames
        .iter()
        .flat_map(|f| f.exclusions.lines())
        .filter_map(|line| line.split_once('\t').map(|(id, _)| id))
        .find(|id| !in_a_frame(id))
        .ok_or("the round excluded someone")?;
    let mut client = server.anonymous();
    let check = json(
        &mut client,
        &format!("/api/v1/public/rounds/{ROUND}/verify?code={excluded}"),
    )?;
    assert_eq!(check["in_frame"], false);
    assert_eq!(check["drawn"], false);
    let exclusions = check["exclusions"].as_array().ok_or("exclusions")?;
    assert!(!exclusions.is_empty());
    assert!(
        exclusions
            .iter()
            .all(|e| e["reason"].as_str().is_some_and(|r| !r.is_empty()))
    );
    let page = ok(
        &mut client,
        &format!("/gongshi/verify?round={ROUND}&code={excluded}"),
    )?;
    assert!(page.contains("不在名录中") && page.contains("未纳入名录的原因"));
    assert_nothing_internal("/gongshi/verify (excluded)", &page);
    assert_nothing_internal(
        "/api/v1/public/rounds/…/verify (excluded)",
        &check.to_string(),
    );
    Ok(())
}

#[test]
fn a_malformed_code_is_a_400_in_chinese_and_an_unknown_round_a_404() {
    let server = TestServer::start();
    let mut client = server.anonymous();
    for code in ["xyz", "91420200MA4CA5HQ4", "%E4%B8%AD%E6%96%87", ""] {
        let page = client.get(&format!("/gongshi/verify?round={ROUND}&code={code}"));
        assert_eq!(page.status, 400, "{code}");
        assert!(
            page.body.contains("统一社会信用代码"),
            "{code}: {}",
            page.body
        );
        let api = client.get(&format!("/api/v1/public/rounds/{ROUND}/verify?code={code}"));
        assert_eq!(api.status, 400, "{code}");
        assert!(
            api.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains("统一社会信用代码"))
        );
    }
    assert_eq!(
        client
            .get(&format!("/api/v1/public/rounds/{ROUND}/verify"))
            .status,
        400
    );
    assert_eq!(client.get("/gongshi/rounds/1999-Q1").status, 404);
    assert_eq!(
        client
            .get("/api/v1/public/rounds/1999-Q1/verify?code=92420200MA2R0REB86")
            .status,
        404
    );
}

#[test]
fn nothing_unpublished_leaks() -> TestResult {
    let (server, secrets) = secret_server()?;
    let mut client = server.anonymous();
    for round in [secrets.committed, secrets.drawn] {
        for path in [
            format!("/gongshi/rounds/{round}"),
            format!("/gongshi/rounds/{round}/record.json"),
            format!("/gongshi/verify?round={round}&code={}", secrets.entity),
            format!("/api/v1/public/rounds/{round}"),
            format!("/api/v1/public/rounds/{round}/record"),
            format!(
                "/api/v1/public/rounds/{round}/verify?code={}",
                secrets.entity
            ),
        ] {
            let answer = client.get(&path);
            assert_eq!(answer.status, 404, "{path}: {}", answer.body);
            // The verification form echoes the code typed; nothing about the round follows.
            let echoed = path.contains("code=");
            assert!(
                echoed || !answer.body.contains(&secrets.entity),
                "{path} names the drawn entity"
            );
            for word in ["已抽中", "prn", "\"drawn\"", "selected"] {
                assert!(!answer.body.contains(word), "{path} shows {word}");
            }
        }
    }
    let listings = [
        "/gongshi".to_owned(),
        "/gongshi/rounds".to_owned(),
        "/gongshi/verify".to_owned(),
        "/gongshi/plans".to_owned(),
        "/gongshi/plans/HS2025-J001".to_owned(),
        format!("/gongshi/results?q={}", secrets.entity),
        format!("/gongshi/verify?round={ROUND}&code={}", secrets.entity),
        "/api/v1/public/rounds".to_owned(),
        "/api/v1/public/plans".to_owned(),
        format!("/api/v1/public/results?q={}", secrets.entity),
        format!(
            "/api/v1/public/rounds/{ROUND}/verify?code={}",
            secrets.entity
        ),
    ];
    for path in &listings {
        let body = ok(&mut client, path)?;
        assert!(
            !body.contains("SECRET-"),
            "{path} shows an unpublished round or result"
        );
        assert!(
            !body.contains(&secrets.result),
            "{path} shows the unpublished result"
        );
        assert!(
            !body.contains(INTERNAL_NOTE),
            "{path} shows an internal note"
        );
        assert_nothing_internal(path, &body);
    }
    // Logged-in staff see the same portal: no more than the public.
    let mut staff = server.login("scjg.staff");
    let body = ok(&mut staff, "/gongshi/rounds")?;
    assert!(!body.contains("SECRET-"));
    Ok(())
}

#[test]
fn the_portal_follows_the_ledger_once_a_round_and_a_result_are_published() -> TestResult {
    let (server, secrets) = secret_server()?;
    let mut client = server.anonymous();
    assert_eq!(
        client
            .get(&format!("/gongshi/rounds/{}", secrets.drawn))
            .status,
        404
    );
    let before = json(&mut client, "/api/v1/public/results")?;

    cli(&server.database, &["rounds", "publish", secrets.drawn])?;
    let rounds = ok(&mut client, "/gongshi/rounds")?;
    assert!(
        rounds.contains(secrets.drawn),
        "published rounds appear at once"
    );
    let check = json(
        &mut client,
        &format!(
            "/api/v1/public/rounds/{}/verify?code={}",
            secrets.drawn, secrets.entity
        ),
    )?;
    assert_eq!(check["drawn"], true);
    assert_eq!(check["verdict"]["conforms"], true);
    assert_eq!(
        client
            .get(&format!("/gongshi/rounds/{}", secrets.committed))
            .status,
        404
    );

    let visit = secrets.result.trim_end_matches('/');
    let listed: Value = serde_json::from_str(&cli(
        &server.database,
        &["results", "list", "--visit", visit, "--json"],
    )?)?;
    let ids: Vec<String> = listed
        .as_array()
        .ok_or("results")?
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    assert!(!ids.is_empty());
    let mut args = vec!["results", "publish"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--on", "2025-11-20"]);
    cli(&server.database, &args)?;
    let after = json(&mut client, "/api/v1/public/results")?;
    assert_eq!(
        after["total"].as_u64().unwrap_or(0),
        before["total"].as_u64().unwrap_or(0) + ids.len() as u64
    );
    let found = json(
        &mut client,
        &format!("/api/v1/public/results?q={}", secrets.entity),
    )?;
    let items = found["items"].as_array().ok_or("items")?;
    assert!(items.iter().any(|r| {
        r["id"]
            .as_str()
            .is_some_and(|id| id.starts_with(&secrets.result))
    }));
    assert!(
        !found.to_string().contains(INTERNAL_NOTE),
        "published results still hide remarks"
    );
    Ok(())
}

#[test]
fn every_public_operation_is_documented_and_its_examples_answer() -> TestResult {
    let server = TestServer::start();
    let mut client = server.anonymous();
    let document = json(&mut client, "/api/openapi.json")?;
    let paths = document["paths"].as_object().ok_or("paths")?;
    let mut public = 0;
    for (path, item) in paths
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v1/public/"))
    {
        let operation = &item["get"];
        assert_eq!(
            operation["security"],
            serde_json::json!([]),
            "{path} is public"
        );
        let mut url = path.clone();
        let mut query = Vec::new();
        for param in operation["parameters"].as_array().ok_or("parameters")? {
            let name = param["name"].as_str().ok_or("name")?;
            let example = param["example"].as_str().ok_or("example")?;
            if param["in"] == "path" {
                url = url.replace(&format!("{{{name}}}"), example);
            } else {
                query.push(format!("{name}={}", encode(example)));
            }
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let answer = client.get(&url);
        assert_eq!(answer.status, 200, "{url}: {}", answer.body);
        let _ = answer.json();
        public += 1;
    }
    assert_eq!(
        public, 8,
        "plans, plan, results, rounds, round, record, verify, credit"
    );
    Ok(())
}
