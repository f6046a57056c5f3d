//! The public view (`spec/draw-v1-public-view.md`): golden vectors, derivation,
//! and that `verify_public` (and `tools/verify_record.py`) reject any single tampering.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{frame, plan};
use draw::{
    Allocation, Demand, PublicCheck, PublicView, Record, RoundInput, Secret, Visit, draw_round,
    verify, verify_public,
};
use serde_json::{Value, json};

const VECTORS: &str = "tests/data/draw-v1-public-view-vectors.json";

/// SCJG has five inspectors, WSJ one: WSJ's visits are unstaffed, and the cap leaves some SCJG ones unstaffed too.
fn demand(_: &Visit, department: &str) -> Demand {
    match department {
        "SCJG" => Demand {
            k: 2,
            candidates: (0..5).collect(),
        },
        _ => Demand {
            k: 2,
            candidates: vec![5],
        },
    }
}

fn inspectors() -> Vec<String> {
    (1..=5)
        .map(|i| format!("SCJG-{i:02}"))
        .chain(["WSJ-01".to_owned()])
        .collect()
}

/// The rounds of the vectors: rate rules, count rules, a stratum without a rule,
/// a rule whose stratum is absent from the frame, overlapping plans, unstaffed visits.
fn rounds() -> Vec<(&'static str, RoundInput)> {
    let rates_and_counts = RoundInput {
        secret: Secret::from_bytes([0x5a; 32]),
        beacon: "福彩3D 2026338 期 3 0 9".to_owned(),
        cap: Some(3),
        plans: vec![
            (
                plan(
                    "2026-SCJG-01",
                    "SCJG",
                    &[
                        ("A", Allocation::RateBp(300)),
                        ("B", Allocation::RateBp(1_000)),
                        ("C", Allocation::Count(4)),
                        ("D", Allocation::Count(40)),
                    ],
                ),
                frame(0..120, |n| ["A", "B", "C", "D", "未分类"][n as usize % 5]),
            ),
            (
                plan(
                    "2026-WSJ-01",
                    "WSJ",
                    &[
                        ("B", Allocation::RateBp(2_500)),
                        ("X", Allocation::Count(3)),
                    ],
                ),
                frame(60..140, |n| if n % 2 == 0 { "B" } else { "C" }),
            ),
        ],
        inspectors: inspectors(),
    };
    let small = RoundInput {
        secret: Secret::from_bytes([0x07; 32]),
        beacon: "监督员 12 34 56".to_owned(),
        cap: None,
        plans: vec![
            (
                plan("P1", "SCJG", &[("U", Allocation::Count(3))]),
                frame(0..9, |_| "U"),
            ),
            (
                plan("P2", "SCJG", &[("A", Allocation::RateBp(10_000))]),
                frame(5..7, |_| "A"),
            ),
            (
                plan("P3", "WSJ", &[("A", Allocation::RateBp(0))]),
                frame(0..4, |_| "A"),
            ),
        ],
        inspectors: inspectors(),
    };
    vec![
        (
            "rates, counts, a stratum without a rule, unstaffed visits",
            rates_and_counts,
        ),
        ("small: full rate, zero rate, overlapping plans", small),
    ]
}

/// A full record as `rounds export` writes it: compact JSON.
fn exported(record: &Record) -> Vec<u8> {
    serde_json::to_vec(record).expect("record serializes")
}

fn generated() -> Value {
    let cases: Vec<Value> = rounds()
        .into_iter()
        .map(|(name, input)| {
            let record = draw_round(input, demand).expect("round draws");
            let bytes = exported(&record);
            let view = PublicView::derive(&record, &bytes);
            json!({
                "name": name,
                "full_record": String::from_utf8(bytes).expect("utf-8"),
                "public_view": serde_json::to_value(&view).expect("view serializes"),
            })
        })
        .collect();
    json!({"protocol": "jianguan-draw/v1", "view": "public", "cases": cases})
}

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(VECTORS);
    if std::env::var_os("JIANGUAN_WRITE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&generated()).expect("json");
        text.push('\n');
        std::fs::write(&path, text).expect("vectors written");
    }
    serde_json::from_slice(&std::fs::read(&path).expect("vectors present")).expect("vectors parse")
}

fn cases() -> Vec<(Vec<u8>, Record, PublicView)> {
    vectors()["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| {
            let bytes = case["full_record"]
                .as_str()
                .expect("full record text")
                .as_bytes()
                .to_vec();
            let record: Record = serde_json::from_slice(&bytes).expect("full record parses");
            let view: PublicView =
                serde_json::from_value(case["public_view"].clone()).expect("view parses");
            (bytes, record, view)
        })
        .collect()
}

#[test]
fn the_vectors_are_what_the_implementation_writes() {
    assert_eq!(
        vectors(),
        generated(),
        "regenerate with JIANGUAN_WRITE_VECTORS=1 only if the spec changed"
    );
}

#[test]
fn every_vector_conforms_with_all_five_checks() {
    let cases = cases();
    assert_eq!(cases.len(), 2);
    for (bytes, record, view) in &cases {
        assert_eq!(verify(record), Vec::new());
        assert_eq!(&PublicView::derive(record, bytes), view);
        let report = verify_public(view, Some((record, bytes)));
        assert_eq!(report.deviations, Vec::new());
        assert_eq!(
            report.checks.iter().map(|c| c.number()).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        let alone = verify_public(view, None);
        assert_eq!(
            alone.checks.len(),
            4,
            "check 5 runs only with the full record"
        );
        assert!(alone.deviations.is_empty());
    }
}

#[test]
fn the_vectors_cover_what_the_spec_names() {
    let cases = cases();
    let strata: Vec<&draw::PublicStratum> = cases
        .iter()
        .flat_map(|(_, _, v)| v.plans.iter().flat_map(|p| &p.strata))
        .collect();
    assert!(
        strata
            .iter()
            .any(|s| s.rate_bp.is_none() && s.count.is_none() && s.sample == 0 && s.population > 0),
        "a stratum without a rule"
    );
    assert!(
        strata
            .iter()
            .any(|s| s.count.is_some() && s.sample < s.count.unwrap_or(0)),
        "a count above the population"
    );
    assert!(
        strata.iter().any(|s| s.rate_bp.is_some() && s.sample > 0),
        "a rate rule"
    );
    assert!(strata.iter().any(|s| s.rate_bp == Some(0)), "a zero rate");
    let (_, _, first) = &cases[0];
    assert!(
        first
            .visits
            .iter()
            .flat_map(|v| &v.departments)
            .any(|d| d.unstaffed),
        "unstaffed visits"
    );
    assert!(
        first.visits.iter().any(|v| v.plans.len() == 2),
        "a visit shared by two plans"
    );
    // A rule whose stratum is absent from the frame is not listed: `X` of 2026-WSJ-01.
    assert!(first.plans[1].strata.iter().all(|s| s.stratum != "X"));
    // Rules first, in rule order, then the others in byte order.
    let labels: Vec<&str> = first.plans[0]
        .strata
        .iter()
        .map(|s| s.stratum.as_str())
        .collect();
    assert_eq!(labels, ["A", "B", "C", "D", "未分类"]);
}

#[test]
fn the_public_view_links_no_subject_to_a_stratum() {
    for (_, record, view) in cases() {
        let text = serde_json::to_value(&view).unwrap();
        for plan in text["plans"].as_array().unwrap() {
            assert!(plan.get("frame").is_none() && plan.get("cutoffs").is_none());
            for selection in plan["selected"].as_array().unwrap() {
                assert_eq!(
                    selection.as_object().unwrap().keys().collect::<Vec<_>>(),
                    ["id", "prn"]
                );
            }
            for stratum in plan["strata"].as_array().unwrap() {
                let keys: Vec<&String> = stratum.as_object().unwrap().keys().collect();
                assert!(
                    keys.iter()
                        .all(|k| ["stratum", "rate_bp", "count", "population", "sample"]
                            .contains(&k.as_str())),
                    "{keys:?}"
                );
            }
        }
        // No cut-off value of the full record appears anywhere in the view.
        let serialized = serde_json::to_string(&view).unwrap();
        for plan in &record.plans {
            for cutoff in plan.cutoffs.values() {
                let cut = cutoff.to_string();
                let selected_with_it = view
                    .plans
                    .iter()
                    .flat_map(|p| &p.selected)
                    .any(|s| s.prn.to_string() == cut);
                assert!(selected_with_it || !serialized.contains(&cut));
            }
        }
    }
}

/// The first vector as JSON values: the full record's bytes and the view.
fn base() -> (Vec<u8>, Record, Value) {
    let (bytes, record, view) = cases().into_iter().next().unwrap();
    (bytes, record, serde_json::to_value(view).unwrap())
}

/// A named tampering of the view, with a location its deviation must name.
type Mutation = (&'static str, &'static str, Box<dyn Fn(&mut Value)>);

/// Each tampering of the view.
fn mutations() -> Vec<Mutation> {
    vec![
        (
            "changed prn",
            "plans[2026-SCJG-01].selected",
            Box::new(|v: &mut Value| {
                v["plans"][0]["selected"][0]["prn"] = json!("0000000000000001")
            }),
        ),
        (
            "missing frame id",
            "plans[2026-SCJG-01].strata",
            Box::new(|v: &mut Value| {
                v["plans"][0]["frame_ids"].as_array_mut().unwrap().remove(7);
            }),
        ),
        (
            "reordered selected",
            "plans[2026-SCJG-01].selected",
            Box::new(|v: &mut Value| v["plans"][0]["selected"].as_array_mut().unwrap().swap(0, 1)),
        ),
        (
            "wrong population",
            "plans[2026-SCJG-01].strata",
            Box::new(|v: &mut Value| v["plans"][0]["strata"][0]["population"] = json!(25)),
        ),
        (
            "wrong sample",
            "plans[2026-SCJG-01].strata[B].sample",
            Box::new(|v: &mut Value| v["plans"][0]["strata"][1]["sample"] = json!(1)),
        ),
        (
            "a selected id outside the frame",
            "plans[2026-SCJG-01].selected",
            Box::new(|v: &mut Value| {
                v["plans"][0]["selected"][0]["id"] = json!("91350200000009999X")
            }),
        ),
        (
            "wrong full_record_sha256",
            "full_record_sha256",
            Box::new(|v: &mut Value| v["full_record_sha256"] = json!("00".repeat(32))),
        ),
        (
            "changed frame digest",
            "round_digest",
            Box::new(|v: &mut Value| v["plans"][1]["frame_digest"] = json!("11".repeat(32))),
        ),
        (
            "changed beacon",
            "round_seed",
            Box::new(|v: &mut Value| v["beacon"] = json!("福彩3D 2026338 期 3 0 8")),
        ),
        (
            "changed secret",
            "commitment",
            Box::new(|v: &mut Value| v["secret"] = json!("5b".repeat(32))),
        ),
        (
            "changed assignment",
            "assigned",
            Box::new(|v: &mut Value| {
                let visit = v["visits"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|visit| !visit["departments"][0]["unstaffed"].as_bool().unwrap())
                    .unwrap();
                visit["departments"][0]["assigned"][0] = json!("SCJG-99");
            }),
        ),
        (
            "a dropped visit",
            "missing",
            Box::new(|v: &mut Value| {
                v["visits"].as_array_mut().unwrap().pop();
            }),
        ),
    ]
}

#[test]
fn every_single_tampering_is_reported_where_it_is() {
    let (bytes, record, base) = base();
    for (name, location, mutate) in mutations() {
        let mut changed = base.clone();
        mutate(&mut changed);
        let view: PublicView = serde_json::from_value(changed).unwrap();
        let report = verify_public(&view, Some((&record, &bytes)));
        assert!(
            report
                .deviations
                .iter()
                .any(|d| d.to_string().contains(location)),
            "{name}: {:#?}",
            report.deviations
        );
    }
}

#[test]
fn checks_1_to_4_catch_what_they_can_without_the_full_record() {
    let (_, _, base) = base();
    for (name, _, mutate) in mutations() {
        let mut changed = base.clone();
        mutate(&mut changed);
        let view: PublicView = serde_json::from_value(changed).unwrap();
        let report = verify_public(&view, None);
        let only_check_5 = name == "wrong full_record_sha256";
        assert_eq!(
            report.deviations.is_empty(),
            only_check_5,
            "{name}: {:#?}",
            report.deviations
        );
    }
}

#[test]
fn check_5_catches_a_different_full_record() {
    let cases = cases();
    let (bytes, record, _) = &cases[0];
    let (_, _, other_view) = &cases[1];
    let report = verify_public(other_view, Some((record, bytes)));
    assert!(
        report
            .deviations
            .iter()
            .any(|d| d.location == "full_record_sha256")
    );
    // The same record in other bytes (pretty-printed) is another document.
    let pretty = serde_json::to_vec_pretty(record).unwrap();
    let view = PublicView::derive(record, bytes);
    let report = verify_public(&view, Some((record, &pretty)));
    assert_eq!(report.deviations.len(), 1, "{:#?}", report.deviations);
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("draw-public-view-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn python(args: &[&Path]) -> Option<(Option<i32>, String)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verify_record.py");
    let output = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    Some((
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

#[test]
fn the_python_verifier_agrees_on_vectors_and_tamperings() {
    let scratch = Scratch::new("python");
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join(VECTORS);
    let vectors_flag = PathBuf::from("--vectors");
    let Some((code, out)) = python(&[&vectors_flag, &vectors]) else {
        eprintln!("python3 not found; the independent verifier was not run");
        return;
    };
    assert_eq!(code, Some(0), "{out}");
    let (bytes, _, base) = base();
    let full = scratch.0.join("full.json");
    std::fs::write(&full, &bytes).unwrap();
    let full_flag = PathBuf::from("--full");
    let view_path = scratch.0.join("view.json");
    std::fs::write(&view_path, serde_json::to_vec(&base).unwrap()).unwrap();
    let (code, out) = python(&[&view_path, &full_flag, &full]).unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("checks run: 1 2 3 4 5"), "{out}");
    let (code, out) = python(&[&view_path]).unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("checks run: 1 2 3 4") && !out.contains("4 5"),
        "{out}"
    );
    let (code, out) = python(&[&full]).unwrap();
    assert_eq!(code, Some(0), "{out}");
    for (name, _, mutate) in mutations() {
        let mut changed = base.clone();
        mutate(&mut changed);
        std::fs::write(&view_path, serde_json::to_vec(&changed).unwrap()).unwrap();
        let (code, out) = python(&[&view_path, &full_flag, &full]).unwrap();
        assert_eq!(code, Some(1), "{name}: {out}");
    }
}

#[test]
fn checks_are_numbered_as_in_the_addendum() {
    assert_eq!(
        PublicCheck::FullRecord.to_string(),
        "5. full record hash and derivation"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the secret and beacon, the derived view passes checks 1–5, and
    /// one changed selection is caught without the full record.
    #[test]
    fn every_derived_view_conforms_and_a_changed_selection_does_not(
        secret in proptest::prelude::any::<[u8; 32]>(),
        beacon in "[0-9]{1,3}( [0-9]{1,3}){0,3}",
        pick in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        for (_, mut input) in rounds() {
            input.secret = Secret::from_bytes(secret);
            input.beacon = beacon.clone();
            let record = draw_round(input, demand).expect("round draws");
            let bytes = exported(&record);
            let view = PublicView::derive(&record, &bytes);
            let report = verify_public(&view, Some((&record, &bytes)));
            proptest::prop_assert!(report.deviations.is_empty(), "{:#?}", report.deviations);
            let Some(plan) = view.plans.iter().position(|p| !p.selected.is_empty()) else { continue };
            let mut changed = view.clone();
            let selected = &mut changed.plans[plan].selected;
            let at = pick.index(selected.len());
            selected[at].prn = draw::Hex64(selected[at].prn.0 ^ 1);
            proptest::prop_assert!(!verify_public(&changed, None).deviations.is_empty());
        }
    }
}
