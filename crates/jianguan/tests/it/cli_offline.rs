//! The offline protocol commands as auditors run them: `commit`, `draw`, `verify`.

#![allow(
    clippy::expect_used,
    reason = "test set-up failures should stop the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn jianguan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .output()
        .expect("run jianguan")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("jianguan-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    fn write(&self, name: &str, value: &Value) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(value).expect("json")).expect("write");
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn vectors() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../draw/tests/data/draw-v1-vectors.json");
    serde_json::from_slice(&std::fs::read(path).expect("vectors")).expect("vectors parse")
}

fn str_of(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A request with two overlapping plans, a joint department, and too few inspectors for one department.
fn request() -> Value {
    let frame = |range: std::ops::Range<usize>| -> Vec<Value> {
        range
            .map(|i| {
                let stratum = ["A", "B", "C", "D"][i % 4];
                json!({"id": format!("9142020{i:04}ABCDEFG"), "stratum": stratum})
            })
            .collect()
    };
    let mut inspectors: Vec<Value> = (0..6)
        .map(|i| json!({"id": format!("SCJG-{i:03}"), "department": "SCJG"}))
        .collect();
    inspectors.push(json!({"id": "WJW-000", "department": "WJW"}));
    json!({
        "secret": "95ccd0932409a80681d1335de1505595aae104e9a369489d55d619512a722b49",
        "beacon": "  监督员输入 997340 692173 ",
        "cap": 3,
        "plans": [
            {"id": "P1", "department": "SCJG", "frame": frame(0..200),
             "strata": [{"stratum": "A", "rate_bp": 50}, {"stratum": "B", "rate_bp": 200},
                        {"stratum": "C", "rate_bp": 500}, {"stratum": "D", "count": 4}]},
            {"id": "P2", "department": "WJW", "frame": frame(100..300),
             "strata": [{"stratum": "A", "rate_bp": 0}, {"stratum": "B", "rate_bp": 200},
                        {"stratum": "C", "rate_bp": 500}, {"stratum": "D", "rate_bp": 2000}]}
        ],
        "inspectors": inspectors
    })
}

#[test]
fn commit_prints_a_fresh_secret_and_its_commitment() {
    let first = jianguan(&["commit"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let value: Value = serde_json::from_str(&stdout(&first)).expect("json");
    let secret =
        draw::Secret::from_hex(value["secret"].as_str().expect("secret")).expect("32 bytes");
    assert_eq!(
        value["commitment"].as_str(),
        Some(draw::to_hex(&secret.commitment()).as_str())
    );
    let second: Value = serde_json::from_str(&stdout(&jianguan(&["commit"]))).expect("json");
    assert_ne!(
        value["secret"], second["secret"],
        "two commits must not share a secret"
    );
}

#[test]
fn golden_records_conform() {
    let scratch = Scratch::new("golden");
    for (index, round) in vectors()["rounds"]
        .as_array()
        .expect("rounds")
        .iter()
        .enumerate()
    {
        let path = scratch.write(&format!("round{index}.json"), round);
        let output = jianguan(&["verify", str_of(&path)]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}{}",
            stdout(&output),
            stderr(&output)
        );
        let out = stdout(&output);
        assert!(
            out.starts_with("full record: checks run:") && out.ends_with("\nconforms\n"),
            "{out}"
        );
    }
}

#[test]
fn draw_writes_a_record_that_verifies_and_tampering_is_reported() {
    let scratch = Scratch::new("draw");
    let request = scratch.write("req.json", &request());
    let record_path = scratch.path("record.json");
    let output = jianguan(&[
        "draw",
        "--request",
        str_of(&request),
        "--out",
        str_of(&record_path),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let record: Value =
        serde_json::from_slice(&std::fs::read(&record_path).expect("record")).expect("json");
    assert_eq!(record["protocol"], "jianguan-draw/v1");
    assert_eq!(
        record["beacon"], "监督员输入 997340 692173",
        "the beacon is recorded trimmed"
    );
    assert_eq!(record["cap"], 3);
    let visits = record["visits"].as_array().expect("visits");
    assert!(
        visits
            .iter()
            .any(|v| v["plans"].as_array().is_some_and(|p| p.len() == 2)),
        "overlap shares visits"
    );
    for staffing in visits
        .iter()
        .flat_map(|v| v["departments"].as_array().expect("departments"))
    {
        assert_eq!(staffing["k"], 2);
        if staffing["department"] == "WJW" {
            assert_eq!(
                staffing["unstaffed"], true,
                "WJW has one inspector, fewer than k"
            );
            assert_eq!(staffing["assigned"], json!([]));
        }
    }
    let output = jianguan(&["verify", str_of(&record_path)]);
    let out = stdout(&output);
    assert!(
        out.contains("(§6)") && out.ends_with("\nconforms\n"),
        "{out}"
    );
    let (code, out) = independent_verdict(&record_path);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("checks run: full record:") && out.ends_with("\nconforms\n"),
        "{out}"
    );

    let mut tampered = record.clone();
    tampered["beacon"] = json!("监督员输入 997340 692174");
    tampered["visits"][0]["departments"][0]["assigned"][0] = json!("SCJG-999");
    let path = scratch.write("tampered.json", &tampered);
    let output = jianguan(&["verify", str_of(&path)]);
    assert_eq!(output.status.code(), Some(1));
    let lines = stdout(&output);
    assert!(
        lines.lines().any(|l| l.starts_with("round_seed:")),
        "{lines}"
    );
    assert!(lines.lines().any(|l| l.contains(".assigned:")), "{lines}");
    assert_eq!(independent_verdict(&path).0, Some(1));
}

/// The stdlib-only Python verifier in tools/, written from the spec alone.
fn independent_verdict(record: &Path) -> (Option<i32>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verify_record.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(record)
        .output()
        .expect("python3 runs");
    (output.status.code(), stdout(&output))
}

fn draw_error(name: &str, request: &Value) -> String {
    let scratch = Scratch::new(name);
    let path = scratch.write("req.json", request);
    let out = scratch.path("record.json");
    let output = jianguan(&["draw", "--request", str_of(&path), "--out", str_of(&out)]);
    assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
    assert!(!out.exists(), "{name}: no record is written on error");
    stderr(&output)
}

#[test]
fn bad_requests_get_clear_errors_naming_the_problem() {
    let mut short_secret = request();
    short_secret["secret"] = json!("abcd");
    assert!(draw_error("secret", &short_secret).contains("secret"));

    let mut twice = request();
    let first = twice["plans"][0].clone();
    twice["plans"][1] = first;
    assert!(draw_error("plan-twice", &twice).contains("\"P1\" is used more than once"));

    let mut rate = request();
    rate["plans"][0]["strata"][1]["rate_bp"] = json!(10001);
    let message = draw_error("rate", &rate);
    assert!(
        message.contains("plans[0].strata[1]") && message.contains("10001"),
        "{message}"
    );

    let mut duplicate = request();
    let row = duplicate["plans"][0]["frame"][5].clone();
    duplicate["plans"][0]["frame"]
        .as_array_mut()
        .expect("frame")
        .push(row);
    assert!(draw_error("duplicate", &duplicate).contains("appears more than once"));

    let mut wrong_type = request();
    wrong_type["cap"] = json!("forty");
    assert!(draw_error("type", &wrong_type).contains("field `cap`"));

    let mut both = request();
    both["plans"][0]["strata"][0]["count"] = json!(3);
    assert!(draw_error("both", &both).contains("exactly one of rate_bp and count"));
}

#[test]
fn empty_frame_and_oversized_count_have_defined_results() {
    let scratch = Scratch::new("edges");
    let mut request = request();
    request["plans"][0]["frame"] = json!([]);
    request["plans"][1]["strata"][3] = json!({"stratum": "D", "count": 1_000_000});
    let path = scratch.write("req.json", &request);
    let out = scratch.path("record.json");
    let output = jianguan(&["draw", "--request", str_of(&path), "--out", str_of(&out)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let record: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("record")).expect("json");
    assert_eq!(record["plans"][0]["selected"], json!([]));
    assert_eq!(
        record["plans"][0]["frame_digest"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let frame_d = record["plans"][1]["frame"]
        .as_array()
        .expect("frame")
        .iter()
        .filter(|r| r["stratum"] == "D")
        .count();
    let selected_d = record["plans"][1]["selected"]
        .as_array()
        .expect("selected")
        .iter()
        .filter(|r| r["stratum"] == "D")
        .count();
    assert_eq!(
        selected_d, frame_d,
        "a count above N_h selects the whole stratum"
    );
}

#[test]
fn malformed_records_exit_2_naming_the_field() {
    let scratch = Scratch::new("malformed");
    let mut round = vectors()["rounds"][0].clone();
    round["plans"][0]["selected"][0]["prn"] = json!("not-hex");
    let path = scratch.write("bad.json", &round);
    let output = jianguan(&["verify", str_of(&path)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("plans[0].selected[0].prn"),
        "{}",
        stderr(&output)
    );

    let garbage = scratch.path("garbage.json");
    std::fs::write(&garbage, "{ not json").expect("write");
    let output = jianguan(&["verify", str_of(&garbage)]);
    assert_eq!(output.status.code(), Some(2));

    let output = jianguan(&["verify", str_of(&scratch.path("missing.json"))]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read"));
}
