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

use serde::Serialize;

use super::Result;
use super::eligibility;
use crate::domain::account::{Account, ApiToken};
use crate::domain::credit::Matter;
use crate::domain::credit_repair::RepairRequest;
use crate::domain::inspection::{InspectionResult, OutOfPlan, Round, Visit};
use crate::domain::ledger::{self, GENESIS};
use crate::domain::plan::Plan;
use crate::domain::rectification::Rectification;
use crate::storage::credit::CreditRun;
use crate::storage::{Document, WorkflowStore};

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
        check_table::<S, crate::domain::hotline::WorkOrder>(store, &mut last_digest, &mut breaks)
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
