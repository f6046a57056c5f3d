//! The public portal (/gongshi) and the public API (/api/v1/public): what is
//! published is shown and verifiable; nothing unpublished leaks.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::unique;
use crate::common::web::{Client, TestServer, demo_database, encode};
use storage::{self, WorkflowStore};

pub(crate) type TestResult = Result<(), Box<dyn Error>>;

/// A published round of the demo city.
pub(crate) const ROUND: &str = "2025-Q1";

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
pub(crate) fn cli(database: &Path, args: &[&str]) -> Result<String, Box<dyn Error>> {
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
pub(crate) struct Secrets {
    /// Committed, not drawn.
    pub committed: &'static str,
    /// Drawn, not published.
    pub drawn: &'static str,
    /// An entity the drawn round selected.
    pub entity: String,
    /// An entered, unpublished result of it.
    pub result: String,
}

const INTERNAL_NOTE: &str = "内部备注勿公开";

/// The demo city plus a committed round, a drawn unpublished round and an
/// entered unpublished result (with an internal note), built once.
pub(crate) fn secret_city() -> Result<&'static (PathBuf, Secrets), Box<dyn Error>> {
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
pub(crate) fn secret_server() -> Result<(TestServer, &'static Secrets), Box<dyn Error>> {
    let (source, secrets) = secret_city()?;
    let dir = std::env::temp_dir().join(unique("jianguan_portal"));
    std::fs::create_dir_all(&dir)?;
    let database = dir.join(storage::DEFAULT_DATABASE_FILE);
    std::fs::copy(source, &database)?;
    Ok((TestServer::over(database), secrets))
}

pub(crate) fn ok(client: &mut Client, path: &str) -> Result<String, Box<dyn Error>> {
    let answer = client.get(path);
    if answer.status != 200 {
        return Err(format!("GET {path}: {} {}", answer.status, answer.body).into());
    }
    Ok(answer.body)
}

pub(crate) fn json(client: &mut Client, path: &str) -> Result<Value, Box<dyn Error>> {
    Ok(serde_json::from_str(&ok(client, path)?)?)
}

pub(crate) fn assert_nothing_internal(path: &str, body: &str) {
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

    let view: Value = serde_json::from_slice(&download.bytes)?;
    assert_eq!(view["view"], "public", "the portal serves the public view");
    for plan in view["plans"].as_array().ok_or("plans")? {
        assert!(plan.get("frame").is_none() && plan.get("cutoffs").is_none());
        assert!(
            plan["selected"]
                .as_array()
                .ok_or("selected")?
                .iter()
                .all(|s| s.get("stratum").is_none())
        );
    }

    let dir = std::env::temp_dir().join(unique("jianguan_portal_record"));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("public.json");
    std::fs::write(&file, &download.bytes)?;
    let verify = |args: &[&Path]| -> Result<(Option<i32>, String), Box<dyn Error>> {
        let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
            .arg("verify")
            .args(args)
            .output()?;
        Ok((
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ))
    };
    let (code, out) = verify(&[&file])?;
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.ends_with("conforms\n")
            && out.contains("1. commitment")
            && !out.contains("5. full record"),
        "{out}"
    );

    // The CLI writes the same public view, and with the full record check 5 passes.
    let full = dir.join("full.json");
    let public = dir.join("public-cli.json");
    cli(
        &server.database,
        &["rounds", "export", ROUND, "--out", &full.to_string_lossy()],
    )?;
    cli(
        &server.database,
        &[
            "rounds",
            "export",
            ROUND,
            "--public",
            "--out",
            &public.to_string_lossy(),
        ],
    )?;
    assert_eq!(
        std::fs::read(&public)?,
        download.bytes,
        "CLI and portal write the same bytes"
    );
    let flag = PathBuf::from("--full");
    let (code, out) = verify(&[&file, &flag, &full])?;
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("5. full record hash and derivation") && out.ends_with("conforms\n"),
        "{out}"
    );
    let (code, out) = verify(&[&full])?;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("full record: checks run:"), "{out}");
    // A public view checked against another full record fails check 5.
    let mut other: Value = serde_json::from_slice(&std::fs::read(&full)?)?;
    other["beacon"] = Value::from("another beacon");
    std::fs::write(&full, serde_json::to_vec(&other)?)?;
    let (code, out) = verify(&[&file, &flag, &full])?;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("full_record_sha256"), "{out}");
    // --full with a full record, and garbage, are bad input.
    assert_eq!(verify(&[&full, &flag, &full])?.0, Some(2));
    std::fs::write(&full, b"{not json")?;
    assert_eq!(verify(&[&full])?.0, Some(2));
    let _ = std::fs::remove_dir_all(&dir);
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
    assert_eq!(
        entry["sample"].as_u64(),
        Some(plan["selected"].as_array().ok_or("selected")?.len() as u64)
    );
    assert_eq!(
        entry["frame_size"].as_u64(),
        Some(plan["frame_ids"].as_array().ok_or("frame_ids")?.len() as u64)
    );
    for hidden in [
        "stratum",
        "stratum_label",
        "cutoff",
        "within_cutoff",
        "rule",
        "population",
    ] {
        assert!(entry.get(hidden).is_none(), "the check shows {hidden}");
    }

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
    let exclusions_of = |id: &str| -> Vec<&str> {
        frames
            .iter()
            .flat_map(|f| f.exclusions.lines())
            .filter(|line| line.starts_with(id))
            .filter_map(|line| line.split_once('\t').map(|(_, rules)| rules))
            .collect()
    };
    let excluded_ids: Vec<&str> = frames
        .iter()
        .flat_map(|f| f.exclusions.lines())
        .filter_map(|line| line.split_once('\t').map(|(id, _)| id))
        .filter(|id| !in_a_frame(id))
        .collect();
    let excluded = *excluded_ids
        .iter()
        .find(|id| {
            exclusions_of(id)
                .iter()
                .any(|rules| rules.split(';').any(|r| !r.starts_with("class_a")))
        })
        .ok_or("the round excluded someone by a public rule")?;
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
    for body in [&page, &check.to_string()] {
        for word in ["class_a", "A类", "差异化"] {
            assert!(!body.contains(word), "an exclusion names the class: {word}");
        }
    }

    // Excluded by the class rule alone: no note that could tell the class;
    // it reads like an entity outside the plan's scope.
    if let Some(spared) = excluded_ids.iter().find(|id| {
        exclusions_of(id)
            .iter()
            .all(|rules| rules.split(';').all(|r| r.starts_with("class_a")))
    }) {
        let check = json(
            &mut client,
            &format!("/api/v1/public/rounds/{ROUND}/verify?code={spared}"),
        )?;
        assert_eq!(check["in_frame"], false);
        assert_eq!(check["exclusions"], serde_json::json!([]), "{check}");
        let page = ok(
            &mut client,
            &format!("/gongshi/verify?round={ROUND}&code={spared}"),
        )?;
        for body in [&page, &check.to_string()] {
            for word in ["class_a", "A类", "差异化", "未纳入名录的原因"] {
                assert!(!body.contains(word), "{spared}: {word}");
            }
        }
    }
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
    let sealed = sealed_values(&server.database, secrets.drawn)?;
    for round in [secrets.committed, secrets.drawn] {
        // The commitment, frame digests and plans are public before the draw; nothing else.
        let stored = stored_round(&server.database, round)?;
        for path in [
            format!("/gongshi/rounds/{round}"),
            format!("/api/v1/public/rounds/{round}"),
        ] {
            let body = ok(&mut client, &path)?;
            assert!(
                body.contains(&stored.commitment),
                "{path} shows the commitment"
            );
            assert!(
                stored
                    .frame_digests
                    .values()
                    .all(|d| body.contains(d.as_str())),
                "{path} shows the frame digests"
            );
            assert!(
                body.contains("已承诺") || body.contains("已抽取"),
                "{path} says where the round is"
            );
            assert!(
                !body.contains(&secrets.entity),
                "{path} names the drawn entity"
            );
            for value in &sealed {
                assert!(
                    !body.contains(value.as_str()),
                    "{path} shows a sealed value"
                );
            }
            for word in ["已抽中", "prn", "selected", "record.json"] {
                assert!(!body.contains(word), "{path} shows {word}");
            }
        }
        for path in [
            format!("/gongshi/rounds/{round}/record.json"),
            format!("/gongshi/verify?round={round}&code={}", secrets.entity),
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
        let lists_rounds = path == "/gongshi/rounds" || path == "/api/v1/public/rounds";
        assert_eq!(
            body.contains("SECRET-"),
            lists_rounds,
            "{path}: only the round lists show committed rounds"
        );
        for value in &sealed {
            assert!(
                !body.contains(value.as_str()),
                "{path} shows a sealed value"
            );
        }
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
    assert!(sealed.iter().all(|value| !body.contains(value.as_str())));
    Ok(())
}

/// A round as stored.
pub(crate) fn stored_round(
    database: &Path,
    id: &str,
) -> Result<domain::inspection::Round, Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let round = runtime.block_on(async {
        let db = storage::open(&database.to_string_lossy()).await?;
        let round = db.get::<domain::inspection::Round>(id).await;
        db.close().await;
        round
    })?;
    round.ok_or_else(|| format!("no round {id}").into())
}

/// The values of a drawn, unpublished round that must stay sealed: its seed and its secret.
pub(crate) fn sealed_values(database: &Path, id: &str) -> Result<Vec<String>, Box<dyn Error>> {
    let round = stored_round(database, id)?;
    let seed = round.round_seed.ok_or("the drawn round has a seed")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let secret = runtime.block_on(async {
        let db = storage::open(&database.to_string_lossy()).await?;
        let secret = db.round_secret(id).await;
        db.close().await;
        secret
    })?;
    Ok([Some(seed), secret].into_iter().flatten().collect())
}

#[test]
fn the_portal_follows_the_ledger_once_a_round_and_a_result_are_published() -> TestResult {
    let (server, secrets) = secret_server()?;
    let mut client = server.anonymous();
    assert_eq!(
        client
            .get(&format!("/gongshi/rounds/{}/record.json", secrets.drawn))
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
    let committed = ok(
        &mut client,
        &format!("/gongshi/rounds/{}", secrets.committed),
    )?;
    assert!(
        committed.contains("未抽取"),
        "a committed round says it is not drawn"
    );
    assert_eq!(
        client
            .get(&format!(
                "/gongshi/rounds/{}/record.json",
                secrets.committed
            ))
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

/// `/gongshi/ledger`: the anchors recorded (here by `jianguan audit anchor`)
/// are published without login, as a page and as JSON that `audit verify
/// --anchors` accepts.
#[test]
fn the_portal_publishes_ledger_anchors_for_witnesses() -> TestResult {
    let mut database = PathBuf::new();
    let server = TestServer::start_prepared(|db| {
        database = db.to_path_buf();
        let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
            .args(["audit", "--database"])
            .arg(db)
            .args(["anchor", "--json"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    });
    let mut client = server.anonymous();
    let document = client.get("/gongshi/ledger.json");
    assert_eq!(document.status, 200, "{}", document.body);
    let anchors = service::audit::parse_anchors(&document.body)?;
    assert_eq!(anchors.len(), 1, "{}", document.body);
    let anchor = &anchors[0];
    assert!(anchor.seq > 1000, "the demo city's ledger head: {anchor:?}");
    let page = client.get("/gongshi/ledger");
    assert_eq!(page.status, 200);
    for shown in [
        anchor.hash.as_str(),
        &anchor.seq.to_string(),
        "/gongshi/ledger.json",
        "audit verify --anchors",
    ] {
        assert!(page.body.contains(shown), "{shown} missing from the page");
    }
    // A witness's copy verifies against the database.
    let saved = std::env::temp_dir()
        .join(unique("anchors"))
        .with_extension("json");
    std::fs::write(&saved, &document.body)?;
    let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(["audit", "--database"])
        .arg(&database)
        .args(["verify", "--anchors"])
        .arg(&saved)
        .output()?;
    let _ = std::fs::remove_file(&saved);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("still extends each of the 1 saved heads"),
        "{said}"
    );
    Ok(())
}
