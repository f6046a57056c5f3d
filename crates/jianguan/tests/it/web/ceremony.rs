//! The draw as a ceremony (issue 18): the commitment public from the commit
//! and nothing else, witnesses recorded and published exactly as typed, the
//! screen that leaves no second 抽取 after the draw, the printable 抽取见证记录
//! with the full record's SHA-256 and no seed, and the citizen's verification
//! page in plain words with a lookup by name.

use serde_json::Value;

use super::portal::{
    ROUND, TestResult, assert_nothing_internal, cli, json, ok, sealed_values, stored_round,
};
use super::staff_workflow::{draw_through_form, expect_redirect};
use crate::common::web::{Client, TestServer, encode};

/// The rounds these tests commit and draw, one per test: a server process
/// draws one round of an id at a time, and the tests' servers share the process.
const PUBLIC_AT_COMMIT: &str = "CEREMONY-C";
const AS_TYPED: &str = "CEREMONY-W";
const PRINTED: &str = "CEREMONY-P";
/// Witnesses as typed in the textarea: spaces inside names, stray blanks and an empty line.
const TYPED_WITNESSES: &str = "  市司法局 王明 \r\n\r\n区公证处 李华\n";
/// The same, as they must be recorded.
const WITNESSES: [&str; 2] = ["市司法局 王明", "区公证处 李华"];

/// Commits `round` with one demo plan, as the administrator.
fn commit(server: &TestServer, round: &str) -> Client {
    let mut admin = server.login("admin");
    expect_redirect(
        &admin.post_form(
            "/rounds",
            &[
                ("id", round),
                ("title", "见证测试批次"),
                ("window_start", "2025-10-01"),
                ("window_end", "2025-12-31"),
                ("cap", ""),
                ("plans", "HS2025-J001"),
            ],
        ),
        &format!("/rounds/{round}"),
    );
    admin
}

/// Draws `round` through the witness form and waits for the job.
fn draw(admin: &mut Client, round: &str) {
    draw_through_form(admin, round, TYPED_WITNESSES, "2025-10-09 福彩3D 123");
}

#[test]
fn the_commitment_is_public_from_the_commit_and_nothing_else() -> TestResult {
    let server = TestServer::start();
    let mut admin = commit(&server, PUBLIC_AT_COMMIT);
    let stored = stored_round(&server.database, PUBLIC_AT_COMMIT)?;
    let screen = ok(&mut admin, &format!("/rounds/{PUBLIC_AT_COMMIT}"))?;
    assert!(
        screen.contains(&format!("href=\"/gongshi/rounds/{PUBLIC_AT_COMMIT}\"")),
        "the witness screen links the published commitment"
    );
    let mut public = server.anonymous();
    let path = format!("/gongshi/rounds/{PUBLIC_AT_COMMIT}");
    let page = ok(&mut public, &path)?;
    assert!(
        page.contains(&stored.commitment),
        "{path} shows the commitment"
    );
    assert!(page.contains(&stored.round_digest));
    assert!(
        stored
            .frame_digests
            .values()
            .all(|d| page.contains(d.as_str())),
        "{path} shows every frame digest"
    );
    assert!(
        page.contains("HS2025-J001")
            && page.contains(&stored.committed_at.format("%Y-%m-%d %H:%M").to_string())
    );

    // Drawn but not published: still only the commitment, digests, plans and times.
    draw(&mut admin, PUBLIC_AT_COMMIT);
    let sealed = sealed_values(&server.database, PUBLIC_AT_COMMIT)?;
    assert_eq!(sealed.len(), 2, "the seed and the secret exist now");
    let visits: Value = serde_json::from_str(&cli(
        &server.database,
        &["visits", "list", "--round", PUBLIC_AT_COMMIT, "--json"],
    )?)?;
    let entities: Vec<&str> = visits
        .as_array()
        .map(|v| v.iter().filter_map(|v| v["entity"].as_str()).collect())
        .unwrap_or_default();
    assert!(!entities.is_empty(), "the draw selected someone");
    for path in [
        path.clone(),
        format!("/api/v1/public/rounds/{PUBLIC_AT_COMMIT}"),
    ] {
        let body = ok(&mut public, &path)?;
        assert!(body.contains(&stored.commitment), "{path}");
        for value in &sealed {
            assert!(
                !body.contains(value.as_str()),
                "{path} shows a sealed value"
            );
        }
        for entity in &entities {
            assert!(!body.contains(entity), "{path} names a drawn entity");
        }
        for witness in WITNESSES {
            assert!(
                !body.contains(witness),
                "{path} names a witness before publication"
            );
        }
        assert_nothing_internal(&path, &body);
    }
    let api = json(
        &mut public,
        &format!("/api/v1/public/rounds/{PUBLIC_AT_COMMIT}"),
    )?;
    assert_eq!(api["round"]["selections"], 0, "no count before publication");
    assert!(api["round"]["round_seed"].is_null());
    Ok(())
}

#[test]
fn witnesses_are_recorded_and_published_as_typed_and_the_draw_cannot_be_repeated() -> TestResult {
    let server = TestServer::start();
    let mut admin = commit(&server, AS_TYPED);
    let screen = ok(&mut admin, &format!("/rounds/{AS_TYPED}"))?;
    assert!(screen.contains(&format!("action=\"/rounds/{AS_TYPED}/draw\"")));
    assert!(
        screen.contains("data-busy-label="),
        "the 抽取 form shows that it is busy once sent"
    );
    draw(&mut admin, AS_TYPED);
    assert_eq!(
        stored_round(&server.database, AS_TYPED)?.witnesses,
        WITNESSES
    );

    // After the draw: the result, no form and no 抽取 button.
    let screen = ok(&mut admin, &format!("/rounds/{AS_TYPED}"))?;
    assert!(screen.contains("已抽取"));
    assert!(!screen.contains(&format!("action=\"/rounds/{AS_TYPED}/draw\"")));
    assert!(!screen.contains("name=\"witnesses\""));
    assert!(!screen.contains(">抽取</button>"));
    for witness in WITNESSES {
        assert!(screen.contains(&format!("<span class=\"witness\">{witness}</span>")));
    }
    // A second draw is refused, in Chinese, and changes nothing.
    let again = admin.post_form(
        &format!("/rounds/{AS_TYPED}/draw"),
        &[
            ("witnesses", "张三"),
            ("beacon", "再抽一次"),
            ("confirm", "1"),
        ],
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body.contains("只有已承诺的批次可以抽取"),
        "{}",
        again.body
    );
    assert_eq!(
        stored_round(&server.database, AS_TYPED)?.witnesses,
        WITNESSES
    );

    // Published: the record's witnesses are the lines as typed.
    expect_redirect(
        &admin.post_form(&format!("/rounds/{AS_TYPED}/publish"), &[("confirm", "1")]),
        &format!("/rounds/{AS_TYPED}"),
    );
    let mut public = server.anonymous();
    let api = json(&mut public, &format!("/api/v1/public/rounds/{AS_TYPED}"))?;
    assert_eq!(api["round"]["witnesses"], serde_json::json!(WITNESSES));
    let page = ok(&mut public, &format!("/gongshi/rounds/{AS_TYPED}"))?;
    for witness in WITNESSES {
        assert!(
            page.contains(&format!("<li class=\"witness\">{witness}</li>")),
            "{witness}"
        );
    }
    Ok(())
}

#[test]
fn the_witness_record_prints_the_full_record_digest_and_never_the_seed() -> TestResult {
    let server = TestServer::start();
    let mut admin = commit(&server, PRINTED);
    let path = format!("/rounds/{PRINTED}/witness-record");
    let early = admin.get(&path);
    assert_eq!(early.status, 409, "nothing to witness before the draw");
    assert!(early.body.contains("尚未抽取"), "{}", early.body);
    draw(&mut admin, PRINTED);
    let stored = stored_round(&server.database, PRINTED)?;
    let record = ok(&mut admin, &path)?;
    let digest = stored
        .full_record_sha256
        .clone()
        .ok_or("the draw computes the full record's digest")?;
    assert_eq!(digest.len(), 64);
    assert!(record.contains(&format!("data-field=\"full-record-sha256\">{digest}<")));
    assert!(record.contains(&stored.commitment));
    assert!(record.contains("2025-10-09 福彩3D 123"));
    for witness in WITNESSES {
        assert!(record.contains(&format!("data-field=\"witness\">{witness}<")));
    }
    assert!(record.contains("签字") && record.contains("@media print"));
    for value in sealed_values(&server.database, PRINTED)? {
        assert!(
            !record.contains(&value),
            "the witness record shows a sealed value"
        );
    }

    // At publication the public view carries the same digest, and the portal says so.
    expect_redirect(
        &admin.post_form(&format!("/rounds/{PRINTED}/publish"), &[("confirm", "1")]),
        &format!("/rounds/{PRINTED}"),
    );
    let mut public = server.anonymous();
    let view = json(
        &mut public,
        &format!("/gongshi/rounds/{PRINTED}/record.json"),
    )?;
    assert_eq!(view["full_record_sha256"], digest.as_str());
    let page = ok(&mut public, &format!("/gongshi/rounds/{PRINTED}"))?;
    assert!(
        page.contains(&digest) && page.contains("签字确认的摘要一致"),
        "{page}"
    );
    // The auditors' download hashes to it too.
    let full = admin.get(&format!("/rounds/{PRINTED}/record.json"));
    assert_eq!(full.status, 200);
    assert_eq!(draw::to_hex(&draw::sha256(&[full.body.as_bytes()])), digest);
    Ok(())
}

/// The first drawn entity listed on a published round's portal page.
fn drawn_entity(public: &mut Client) -> Result<String, Box<dyn std::error::Error>> {
    let view = json(public, &format!("/gongshi/rounds/{ROUND}/record.json"))?;
    Ok(view["visits"][0]["subject"]
        .as_str()
        .ok_or("a drawn entity")?
        .to_owned())
}

#[test]
fn the_citizen_reads_a_sentence_first_in_the_right_tense_and_finds_by_name() -> TestResult {
    let server = TestServer::start();
    let mut public = server.anonymous();
    let entity = drawn_entity(&mut public)?;
    let by_code = ok(
        &mut public,
        &format!("/gongshi/verify?round={ROUND}&code={entity}"),
    )?;
    let sentence = by_code
        .split("class=\"verdict-sentence\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .ok_or("the sentence")?;
    assert!(
        sentence.contains("本批次在该")
            && sentence.contains("贵单位抽签号")
            && sentence.contains("因此被抽中"),
        "{sentence}"
    );
    assert!(
        by_code.find("verdict-sentence") < by_code.find("第一步"),
        "the sentence comes before the arithmetic"
    );
    // The round's window is over: no future tense.
    assert!(
        !by_code.contains("将接受一次检查") && !by_code.contains("将在"),
        "tense"
    );
    assert!(by_code.contains("已结束"));
    assert!(by_code.contains("抽签号") && by_code.contains("用大白话说"));
    assert_nothing_internal("verify", &by_code);
    for class in ["A类", "B类", "C类", "D类", "stratum", "分层为"] {
        assert!(!by_code.contains(class), "the page names a class: {class}");
    }

    // By name: the entity's own name finds it (or offers it among others).
    let names = json(
        &mut public,
        &format!("/api/v1/public/rounds/{ROUND}/verify?code={entity}"),
    )?;
    let name = names["entity_name"]
        .as_str()
        .ok_or("the entity's name")?
        .to_owned();
    let by_name = ok(
        &mut public,
        &format!("/gongshi/verify?round={ROUND}&code={}", encode(&name)),
    )?;
    assert!(by_name.contains(&entity), "{name} finds {entity}");
    // A name that several entities of the frames share gives a choice with addresses.
    let common = name
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>();
    let choice = ok(
        &mut public,
        &format!("/gongshi/verify?round={ROUND}&code={}", encode(&common)),
    )?;
    assert!(
        choice.contains("请选择") && choice.contains("data-label=\"地址\""),
        "{common}: {choice}"
    );
    assert!(!choice.contains("verdict-sentence"));
    // A name nobody has: a Chinese message, the form kept.
    let none = public.get(&format!(
        "/gongshi/verify?round={ROUND}&code={}",
        encode("并不存在的某某某企业")
    ));
    assert_eq!(none.status, 400);
    assert!(none.body.contains("没有名称含") && none.body.contains("并不存在的某某某企业"));
    Ok(())
}
