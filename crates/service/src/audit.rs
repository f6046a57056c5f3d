//! `audit verify`: walks the ledger's hash chain and checks every row it
//! refers to against the digest of its last recorded state.
//!
//! It finds: an edited ledger entry (its hash no longer matches), a deleted or
//! reordered entry (a gap in positions, or a `prev_hash` that is not the hash
//! before it), a ledger head out of step with the last entry, a workflow row
//! edited directly (its document no longer matches the ledger's last digest, or
//! a filter column no longer matches its document), a row deleted (the ledger
//! names it, the table does not), a row added behind the ledger's back, and a
//! frozen frame or stored record edited after commit or draw.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::Result;
use super::eligibility;
use domain::account::{Account, ApiToken};
use domain::credit::Matter;
use domain::credit_repair::RepairRequest;
use domain::inspection::{InspectionResult, OutOfPlan, Round, Visit};
use domain::ledger::{self, Anchor, GENESIS, LedgerEntry};
use domain::plan::Plan;
use domain::rectification::Rectification;
use storage::credit::CreditRun;
use storage::{Document, WorkflowStore};

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// Ledger position concerned (0 when the problem is a row the ledger never saw).
    pub seq: i64,
    /// Table and key concerned, e.g. `results/2026-Q1/…`.
    pub subject: String,
    /// What is wrong.
    pub problem: String,
}

/// What the audit found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Ledger entries walked.
    pub entries: u64,
    /// Rows checked.
    pub rows: u64,
    /// Problems, in ledger order, then rows.
    pub breaks: Vec<Break>,
}

impl AuditReport {
    /// No problem found.
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// Checks the whole ledger and every workflow row.
pub async fn verify<S: WorkflowStore>(store: &S) -> Result<AuditReport> {
    let entries = store.ledger().await?;
    let mut breaks = Vec::new();
    let mut previous = GENESIS.to_owned();
    let mut last_digest: HashMap<(String, String), (i64, String)> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let subject = format!("{}/{}", entry.subject_table, entry.subject_key);
        let expected_seq = index as i64 + 1;
        if entry.seq != expected_seq {
            breaks.push(Break {
                seq: entry.seq,
                subject: subject.clone(),
                problem: format!("position {} found where {expected_seq} was expected: entries deleted or reordered", entry.seq),
            });
        }
        if entry.prev_hash != previous {
            breaks.push(Break {
                seq: entry.seq,
                subject: subject.clone(),
                problem: "its prev_hash is not the hash of the entry before it: an entry was deleted, inserted or reordered".into(),
            });
        }
        if entry.expected_hash() != entry.hash {
            breaks.push(Break {
                seq: entry.seq,
                subject: subject.clone(),
                problem: "its hash does not match its content: the entry was edited".into(),
            });
        }
        previous = entry.hash.clone();
        last_digest.insert(
            (entry.subject_table.clone(), entry.subject_key.clone()),
            (entry.seq, entry.state_digest.clone()),
        );
    }
    let head = store.ledger_head().await?;
    let last = entries
        .last()
        .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
    if head != last {
        breaks.push(Break {
            seq: head.0,
            subject: "ledger_head".into(),
            problem: format!("the ledger head is at position {} but the last entry is {}: entries were deleted or the head edited", head.0, last.0),
        });
    }
    let mut rows = 0;
    rows += check_table::<S, Plan>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, Round>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, Visit>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, InspectionResult>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, OutOfPlan>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, Account>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, ApiToken>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, Rectification>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, Matter>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, CreditRun>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, RepairRequest>(store, &mut last_digest, &mut breaks).await?;
    rows +=
        check_table::<S, domain::hotline::WorkOrder>(store, &mut last_digest, &mut breaks).await?;
    rows +=
        check_table::<S, domain::calendar::CalendarNotice>(store, &mut last_digest, &mut breaks)
            .await?;
    rows += check_table::<S, domain::org::DepartmentChange>(store, &mut last_digest, &mut breaks)
        .await?;
    rows += check_table::<S, domain::divisions::CityRecord>(store, &mut last_digest, &mut breaks)
        .await?;
    rows += check_table::<S, domain::enforcement::DiscretionVersion>(
        store,
        &mut last_digest,
        &mut breaks,
    )
    .await?;
    rows +=
        check_table::<S, domain::enforcement::PenaltyCase>(store, &mut last_digest, &mut breaks)
            .await?;
    rows += check_table::<S, domain::licence::LicenceEvent>(store, &mut last_digest, &mut breaks)
        .await?;
    rows += check_table::<S, domain::reconsideration::Reconsideration>(
        store,
        &mut last_digest,
        &mut breaks,
    )
    .await?;
    rows += check_table::<S, domain::reconsideration::LitigationCase>(
        store,
        &mut last_digest,
        &mut breaks,
    )
    .await?;
    rows +=
        check_table::<S, domain::review::Reviewer>(store, &mut last_digest, &mut breaks).await?;
    rows += check_table::<S, domain::review::Review>(store, &mut last_digest, &mut breaks).await?;
    rows +=
        check_table::<S, domain::review::ReviewFile>(store, &mut last_digest, &mut breaks).await?;
    rows +=
        check_table::<S, domain::review_scoring::Standard>(store, &mut last_digest, &mut breaks)
            .await?;
    rows +=
        check_table::<S, domain::review_scoring::ScoreSheet>(store, &mut last_digest, &mut breaks)
            .await?;
    let mut missing: Vec<_> = last_digest.into_iter().collect();
    missing.sort_by_key(|(_, (seq, _))| *seq);
    for ((table, key), (seq, _)) in missing {
        breaks.push(Break {
            seq,
            subject: format!("{table}/{key}"),
            problem: "the ledger records this row but the table no longer has it: deleted".into(),
        });
    }
    check_rounds(store, &mut breaks).await?;
    Ok(AuditReport {
        entries: entries.len() as u64,
        rows,
        breaks,
    })
}

/// Checks each row of `D`'s table against its document and the ledger; removes
/// the rows seen from `last_digest`.
async fn check_table<S: WorkflowStore, D: Document>(
    store: &S,
    last_digest: &mut HashMap<(String, String), (i64, String)>,
    breaks: &mut Vec<Break>,
) -> Result<u64> {
    let rows = store.document_rows::<D>().await?;
    for row in &rows {
        let subject = format!("{}/{}", D::TABLE, row.key);
        let recorded = last_digest.remove(&(D::TABLE.to_owned(), row.key.clone()));
        let Some((seq, digest)) = recorded else {
            breaks.push(Break {
                seq: 0,
                subject,
                problem: "the row is not in the ledger: added directly".into(),
            });
            continue;
        };
        if ledger::digest(&row.doc) != digest {
            breaks.push(Break {
                seq,
                subject: subject.clone(),
                problem: "the row's content differs from its last recorded state: edited directly"
                    .into(),
            });
            continue;
        }
        match serde_json::from_str::<D>(&row.doc) {
            Ok(doc) if doc.key() == row.key && doc.columns() == row.columns => {}
            Ok(_) => breaks.push(Break {
                seq,
                subject,
                problem: "a column of the row differs from its document: edited directly".into(),
            }),
            Err(error) => breaks.push(Break {
                seq,
                subject,
                problem: format!("the row's document does not parse: {error}"),
            }),
        }
    }
    Ok(rows.len() as u64)
}

/// Frozen frames and stored records must still match the digests their round holds.
async fn check_rounds<S: WorkflowStore>(store: &S, breaks: &mut Vec<Break>) -> Result<()> {
    for round in store.list::<Round>(None).await? {
        let frames = store.round_frames(&round.id).await?;
        for (plan, digest) in &round.frame_digests {
            let subject = format!("round_frames/{}/{plan}", round.id);
            match frames.iter().find(|f| &f.plan == plan) {
                None => breaks.push(Break {
                    seq: 0,
                    subject,
                    problem: "the frozen frame is missing".into(),
                }),
                Some(stored) => {
                    let ok = eligibility::parse_frame(&stored.frame)
                        .is_ok_and(|frame| draw::to_hex(&draw::frame_digest(&frame)) == *digest);
                    if !ok {
                        breaks.push(Break {
                            seq: 0,
                            subject,
                            problem: "the frozen frame differs from the committed frame digest"
                                .into(),
                        });
                    }
                }
            }
        }
        for (plan, digest) in &round.exclusion_digests {
            if frames
                .iter()
                .find(|f| &f.plan == plan)
                .is_some_and(|f| ledger::digest(&f.exclusions) != *digest)
            {
                breaks.push(Break {
                    seq: 0,
                    subject: format!("round_frames/{}/{plan}", round.id),
                    problem: "the recorded exclusions differ from those frozen at commit".into(),
                });
            }
        }
        if let Some(expected) = &round.record_digest {
            let subject = format!("round_records/{}", round.id);
            match store.round_record(&round.id).await? {
                None => breaks.push(Break {
                    seq: 0,
                    subject,
                    problem: "the draw record is missing".into(),
                }),
                Some(text) if ledger::digest(&text) != *expected => {
                    breaks.push(Break {
                        seq: 0,
                        subject,
                        problem: "the draw record differs from the digest recorded at the draw"
                            .into(),
                    });
                }
                Some(_) => {}
            }
        }
        let subject = format!("round_secrets/{}", round.id);
        match store.round_secret(&round.id).await? {
            Some(secret) => {
                let matches = draw::Secret::from_hex(&secret)
                    .is_ok_and(|s| draw::to_hex(&s.commitment()) == round.commitment);
                if !matches {
                    breaks.push(Break {
                        seq: 0,
                        subject,
                        problem: "the sealed secret does not match the published commitment".into(),
                    });
                }
            }
            None => breaks.push(Break {
                seq: 0,
                subject,
                problem:
                    "the sealed secret is missing: the round can no longer be drawn or verified"
                        .into(),
            }),
        }
    }
    Ok(())
}

/// Records the ledger head now as an anchor (`jianguan audit anchor`).
pub async fn record_anchor<S: WorkflowStore>(
    store: &S,
    at: DateTime<FixedOffset>,
) -> Result<Anchor> {
    let (seq, hash) = store.ledger_head().await?;
    let anchor = Anchor {
        day: at.date_naive().to_string(),
        seq,
        hash,
        at: at.to_rfc3339(),
    };
    store.record_anchor(&anchor).await?;
    Ok(anchor)
}

/// The day's anchor: records one unless the day (China time) already has one.
pub async fn daily_anchor<S: WorkflowStore>(
    store: &S,
    at: DateTime<FixedOffset>,
) -> Result<Option<Anchor>> {
    let day = at.date_naive().to_string();
    if store.anchors().await?.iter().any(|a| a.day == day) {
        return Ok(None);
    }
    record_anchor(store, at).await.map(Some)
}

/// Checks that the ledger still extends every saved head: the entry at each
/// anchor's position still has the anchor's hash, and the chain from there to
/// the last entry is intact. A ledger rewritten consistently (every hash
/// recomputed) fails against an anchor saved before the rewrite.
pub fn check_anchors(entries: &[LedgerEntry], anchors: &[Anchor]) -> Vec<Break> {
    let by_seq: HashMap<i64, usize> = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| (entry.seq, index))
        .collect();
    let last = entries.last().map_or(0, |e| e.seq);
    // Entries whose link to the one before, or whose own hash, does not hold:
    // computed once, so many anchors cost one walk of the ledger.
    let broken_links: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(index, entry)| {
            let previous = index
                .checked_sub(1)
                .map_or(GENESIS, |i| entries[i].hash.as_str());
            entry.prev_hash != previous || entry.expected_hash() != entry.hash
        })
        .map(|(index, _)| index)
        .collect();
    let mut breaks = Vec::new();
    for anchor in anchors {
        let subject = format!("anchor/{} ({})", anchor.day, anchor.at);
        let mut fail = |seq: i64, problem: String| {
            breaks.push(Break {
                seq,
                subject: subject.clone(),
                problem,
            })
        };
        let start = if anchor.seq == 0 {
            if anchor.hash != GENESIS {
                fail(
                    0,
                    "an anchor at position 0 must hold the genesis hash".into(),
                );
                continue;
            }
            0
        } else {
            let Some(&index) = by_seq.get(&anchor.seq) else {
                fail(
                    anchor.seq,
                    format!(
                        "the ledger has no entry at position {} (its last is {last}): entries were removed after the anchor was saved",
                        anchor.seq
                    ),
                );
                continue;
            };
            if entries[index].hash != anchor.hash {
                fail(
                    anchor.seq,
                    format!(
                        "the entry at position {} has the hash {} but the anchor saved {}: the ledger was rewritten after the anchor was saved",
                        anchor.seq, entries[index].hash, anchor.hash
                    ),
                );
                continue;
            }
            index + 1
        };
        // The first link at or after `start` that does not hold, if any.
        if let Some(entry) = broken_links
            .iter()
            .find(|&&index| index >= start)
            .map(|&index| &entries[index])
        {
            fail(
                entry.seq,
                format!(
                    "the chain from the anchor breaks at position {}: it no longer extends the saved head",
                    entry.seq
                ),
            );
        }
    }
    breaks
}

/// The largest anchors file `audit verify --anchors` reads.
pub const MAX_ANCHORS_FILE: u64 = 16 * 1024 * 1024;

/// The anchors document the portal serves at `/gongshi/ledger.json`.
#[derive(Debug, Deserialize)]
struct AnchorsDocument {
    anchors: Vec<Anchor>,
}

/// Reads saved anchors: the portal's JSON document, a JSON array of anchors,
/// one anchor (as `audit anchor --json` prints it), or lines each holding one anchor (a trailing comma is allowed, so lines
/// copied from the portal's document work). Errors name the line.
pub fn parse_anchors(text: &str) -> std::result::Result<Vec<Anchor>, String> {
    let anchors = if let Ok(document) = serde_json::from_str::<AnchorsDocument>(text) {
        document.anchors
    } else if let Ok(list) = serde_json::from_str::<Vec<Anchor>>(text) {
        list
    } else if let Ok(one) = serde_json::from_str::<Anchor>(text) {
        vec![one]
    } else {
        let mut anchors = Vec::new();
        for (number, line) in (1..).zip(text.lines()) {
            let line = line.trim().trim_end_matches(',');
            if line.is_empty() {
                continue;
            }
            let anchor = serde_json::from_str::<Anchor>(line)
                .map_err(|error| format!("line {number}: not an anchor ({error})"))?;
            anchors.push(anchor);
        }
        anchors
    };
    if anchors.is_empty() {
        return Err("no anchor found".into());
    }
    for anchor in &anchors {
        let hex = anchor.hash.len() == 64
            && anchor
                .hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex || anchor.seq < 0 {
            return Err(format!(
                "the anchor of {} ({}) needs a position ≥ 0 and a hash of 64 lowercase hex digits",
                anchor.day, anchor.at
            ));
        }
    }
    Ok(anchors)
}

/// The anchors document as served: one anchor a line, oldest first, so that
/// witnesses may also keep single lines.
pub fn anchors_document(anchors: &[Anchor]) -> String {
    let lines: Vec<String> = anchors
        .iter()
        .filter_map(|a| serde_json::to_string(a).ok())
        .collect();
    format!(
        "{{\"format\":\"jianguan-ledger-anchors/v1\",\"anchors\":[\n{}\n]}}\n",
        lines.join(",\n")
    )
}
