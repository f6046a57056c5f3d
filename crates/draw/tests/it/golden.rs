//! Golden vectors from `spec/draw-v1-vectors.json`: every field of every primitive and round.

#![allow(
    clippy::expect_used,
    reason = "test set-up failures should stop the test"
)]

use std::collections::HashMap;

use draw::{Demand, Record, RoundInput, RoundSeed, Secret, draw_round, to_hex, u64_hex, verify};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../data/draw-v1-vectors.json")).expect("vectors parse")
}

fn text(value: &Value) -> &str {
    value.as_str().expect("string field")
}

#[test]
fn primitives_match_commitment_seed_and_prn() {
    let vectors = vectors();
    let primitives = vectors["primitives"].as_array().expect("primitives");
    assert_eq!(primitives.len(), 4);
    for case in primitives {
        let secret = Secret::from_hex(text(&case["secret"])).expect("secret");
        assert_eq!(to_hex(&secret.commitment()), text(&case["commitment"]));
        let seed = RoundSeed::derive(&secret, text(&case["beacon"]));
        assert_eq!(to_hex(seed.as_bytes()), text(&case["round_seed"]));
        let prns = case["prn"].as_object().expect("prn map");
        assert!(!prns.is_empty());
        for (id, expected) in prns {
            assert_eq!(
                u64_hex(seed.prn(id.as_bytes())),
                text(expected),
                "prn of {id}"
            );
        }
    }
}

fn rounds() -> Vec<(Value, Record)> {
    let vectors = vectors();
    vectors["rounds"]
        .as_array()
        .expect("rounds")
        .iter()
        .map(|raw| {
            (
                raw.clone(),
                serde_json::from_value(raw.clone()).expect("record parses"),
            )
        })
        .collect()
}

#[test]
fn every_golden_round_conforms() {
    let rounds = rounds();
    assert_eq!(rounds.len(), 2);
    for (_, record) in &rounds {
        assert_eq!(verify(record), Vec::new());
    }
}

#[test]
fn redrawing_each_golden_round_reproduces_every_field() {
    for (raw, record) in rounds() {
        let secret = Secret::from_bytes(record.secret.expect("secret published").0);
        let plans = record
            .plans
            .iter()
            .map(|plan| (plan.spec().expect("valid plan"), plan.frame.clone()))
            .collect();
        let mut inspectors: Vec<String> = Vec::new();
        let mut eligible: HashMap<(String, String), (u32, Vec<u32>)> = HashMap::new();
        for visit in &record.visits {
            for staffing in &visit.departments {
                let indexes = staffing
                    .eligible
                    .iter()
                    .map(
                        |id| match inspectors.iter().position(|known| **known == **id) {
                            Some(index) => index as u32,
                            None => {
                                inspectors.push(id.to_string());
                                (inspectors.len() - 1) as u32
                            }
                        },
                    )
                    .collect();
                eligible.insert(
                    (visit.subject.clone(), staffing.department.clone()),
                    (staffing.k, indexes),
                );
            }
        }
        let input = RoundInput {
            secret,
            beacon: record.beacon.clone(),
            cap: record.cap,
            plans,
            inspectors,
        };
        let redrawn = draw_round(input, |visit, department| {
            let (k, candidates) = eligible[&(visit.subject.clone(), department.to_owned())].clone();
            Demand { k, candidates }
        })
        .expect("draw");
        assert_eq!(serde_json::to_value(&redrawn).expect("serialize"), raw);
    }
}

#[test]
fn golden_records_round_trip_through_serde() {
    for (raw, record) in rounds() {
        assert_eq!(serde_json::to_value(&record).expect("serialize"), raw);
    }
}
