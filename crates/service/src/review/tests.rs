//! The review draw: a §7 record that verifies, drawn files only from the
//! frames, no reviewer on a file of their own department or their own case.

use chrono::NaiveDate;
use domain::enforcement::{PartyId, PartyKind, PenaltyCase};

use super::*;

fn case(id: &str, department: &str, decided: Option<(i32, u32)>, officers: &[&str]) -> PenaltyCase {
    let day = |(y, m): (i32, u32)| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
    PenaltyCase {
        id: id.into(),
        department: department.into(),
        party_name: "某公司".into(),
        party_id: PartyId {
            kind: PartyKind::Organisation,
            code: String::new(),
        },
        behaviour: "X".into(),
        filed_on: day((2025, 1)),
        decided_on: decided.map(day),
        kinds: Vec::new(),
        tier: None,
        fine: None,
        officers: officers.iter().map(|o| (*o).to_owned()).collect(),
        legal_review: false,
        first_offence: false,
        corrected: false,
        extended: false,
        published_on: None,
        changed_on: None,
        withdrawn_on: None,
        closed_on: None,
    }
}

fn reviewer(id: &str, unit: &str) -> Reviewer {
    Reviewer {
        id: id.into(),
        name: id.into(),
        unit: unit.into(),
        fields: Vec::new(),
        id_card: None,
    }
}

fn city() -> (Vec<PenaltyCase>, Vec<Reviewer>) {
    let mut cases = Vec::new();
    for (department, n) in [("SJGJ", 12), ("HBJ", 7), ("ZJJ", 3)] {
        for i in 0..n {
            // R-SJGJ-1 handled every SJGJ case: never its reviewer.
            cases.push(case(
                &format!("{department}-2025-{i:03}"),
                department,
                Some((2025, 1 + i % 12)),
                &["R-SJGJ-1", "Z9"],
            ));
        }
        cases.push(case(
            &format!("{department}-2024-001"),
            department,
            Some((2024, 5)),
            &[],
        ));
        cases.push(case(&format!("{department}-OPEN"), department, None, &[]));
    }
    let reviewers = vec![
        reviewer("R-SJGJ-1", "SJGJ"),
        reviewer("R-SJGJ-2", "SJGJ"),
        reviewer("R-HBJ-1", "HBJ"),
        reviewer("R-HBJ-2", "HBJ"),
        reviewer("R-ZJJ-1", "ZJJ"),
        reviewer("E1", EXTERNAL),
        reviewer("E2", EXTERNAL),
    ];
    (cases, reviewers)
}

fn spec(sampling: Sampling) -> ReviewSpec {
    ReviewSpec {
        id: "PC2025".into(),
        year: 2025,
        departments: Vec::new(),
        sampling,
        reviewers_per_case: 2,
        cap: Some(6),
    }
}

#[test]
fn the_frames_hold_the_years_decided_cases_one_plan_per_department() {
    let (cases, _) = city();
    let frames = review_frames(&spec(Sampling::PerDepartment(3)), &cases);
    let shape: Vec<(&str, &str, usize)> = frames
        .iter()
        .map(|(plan, frame)| (plan.id.as_str(), plan.department.as_str(), frame.len()))
        .collect();
    assert_eq!(
        shape,
        [
            ("PC2025/HBJ", PANEL, 7),
            ("PC2025/SJGJ", PANEL, 12),
            ("PC2025/ZJJ", PANEL, 3)
        ]
    );
    assert!(
        frames
            .iter()
            .flat_map(|(_, frame)| frame)
            .all(|row| row.id.contains("-2025-") && &*row.stratum == WHOLE_FRAME)
    );
}

#[test]
fn the_record_verifies_and_no_reviewer_reviews_their_own_department() {
    let (cases, reviewers) = city();
    let department_of: BTreeMap<&str, &str> = cases
        .iter()
        .map(|c| (c.id.as_str(), c.department.as_str()))
        .collect();
    let unit_of: BTreeMap<&str, &str> = reviewers
        .iter()
        .map(|r| (r.id.as_str(), r.unit.as_str()))
        .collect();
    for (n, sampling) in [Sampling::PerDepartment(3), Sampling::RateBp(5000)]
        .into_iter()
        .enumerate()
    {
        for beacon in ["1 2 3", "证人 甲", "987654"] {
            let secret = draw::Secret::from_bytes([n as u8 + 7; 32]);
            let record = draw_review(&spec(sampling), &cases, &reviewers, secret, beacon)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(draw::verify(&record), Vec::new(), "{beacon}");
            let drawn: usize = record.plans.iter().map(|p| p.selected.len()).sum();
            let expected = match sampling {
                Sampling::PerDepartment(_) => 3 + 3 + 3,
                Sampling::RateBp(_) => 4 + 6 + 2,
            };
            assert_eq!(drawn, expected);
            assert_eq!(record.visits.len(), drawn);
            for visit in &record.visits {
                let department = department_of[visit.subject.as_str()];
                assert_eq!(visit.departments.len(), 1);
                let slot = &visit.departments[0];
                assert_eq!(slot.department, PANEL);
                for reviewer in slot.eligible.iter().chain(&slot.assigned) {
                    let unit = unit_of[&**reviewer];
                    assert_ne!(unit, department, "{} on {}", &**reviewer, visit.subject);
                    assert_ne!(&**reviewer, "R-SJGJ-1");
                }
                assert!(slot.unstaffed || slot.assigned.len() == 2);
            }
        }
    }
}

#[test]
fn the_independent_python_verifier_accepts_the_record() -> Result<(), Box<dyn std::error::Error>> {
    let (cases, reviewers) = city();
    let secret = draw::Secret::from_bytes([42; 32]);
    let record = draw_review(
        &spec(Sampling::PerDepartment(4)),
        &cases,
        &reviewers,
        secret,
        "7 7 7",
    )?;
    let path = std::env::temp_dir().join(format!("review-record-{}.json", std::process::id()));
    std::fs::write(&path, crate::rounds::record_bytes(&record)?)?;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verify_record.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()?;
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}
