//! Stored reviews: commit (freeze the frames and the reviewer pool, seal the
//! secret), draw (with the witnesses' beacon; the record and one
//! [`ReviewFile`] per drawn file in one transaction) and export (the §7
//! record). The storage and checks are the rounds' ([`crate::rounds`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};

use super::{FileFacts, PANEL, ReviewSpec, Sampling, WHOLE_FRAME, draw_frames, pool_member};
use crate::rounds::{self, Noun};
use crate::{Refusal, Result, refuse};
use domain::enforcement::PenaltyCase;
use domain::inspection::RoundStatus;
use domain::review::{Review, ReviewFile};
use storage::{Change, StoredFrame, WorkflowStore};

const REVIEW: Noun = Noun {
    en: "review",
    zh: "评查活动",
};

/// A review plan's frame is stored under the plan's own id.
fn same(id: &str) -> &str {
    id
}

fn check_spec(spec: &ReviewSpec) -> Result<()> {
    domain::plan::check_id("id", &spec.id)?;
    if spec.reviewers_per_case < draw::MIN_INSPECTORS_PER_DEPARTMENT {
        return Err(Refusal::new(
            "reviewers_per_case",
            format!(
                "a file needs at least {} reviewers",
                draw::MIN_INSPECTORS_PER_DEPARTMENT
            ),
            format!(
                "每份案卷至少须 {} 名评查人员",
                draw::MIN_INSPECTORS_PER_DEPARTMENT
            ),
        )
        .on("reviewers_per_case")
        .into());
    }
    let sampling_ok = match spec.sampling {
        Sampling::PerDepartment(n) => n > 0,
        Sampling::RateBp(r) => r > 0 && r <= draw::MAX_RATE_BP,
    };
    if !sampling_ok {
        return Err(Refusal::new(
            "sampling",
            "draw at least one file per department, or a rate of 1 to 10000 basis points",
            "每个部门抽取份数须大于 0，或抽取比例须在 1 至 10000 个基点之间",
        )
        .on("sampling")
        .into());
    }
    if spec.cap == Some(0) {
        return Err(Refusal::new(
            "cap",
            "the cap must be at least 1",
            "每人评查上限须至少为 1",
        )
        .on("cap")
        .into());
    }
    Ok(())
}

/// Commits a review: freezes one frame per department (its cases decided in
/// the year), the reviewer pool, seals `secret` and stores the commitment.
pub async fn commit<S: WorkflowStore>(
    store: &S,
    spec: &ReviewSpec,
    secret: &draw::Secret,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Review> {
    check_spec(spec)?;
    if store.get::<Review>(&spec.id).await?.is_some() {
        return Err(review_exists(&spec.id).into());
    }
    let known: BTreeSet<String> = store
        .departments()
        .await?
        .into_iter()
        .map(|d| d.code().as_str().to_owned())
        .collect();
    if let Some(unknown) = spec.departments.iter().find(|d| !known.contains(*d)) {
        return Err(Refusal::new(
            "unknown_department",
            format!("no department {unknown}"),
            format!("没有编码为 {unknown} 的部门"),
        )
        .on("departments")
        .into());
    }
    let cases = store.list::<PenaltyCase>(None).await?;
    let frames = super::review_frames(spec, &cases);
    drop(cases);
    let files: usize = frames.iter().map(|(_, frame)| frame.len()).sum();
    if files == 0 {
        return Err(Refusal::new(
            "no_case_in_year",
            format!("no case was decided in {}", spec.year),
            format!("{} 年没有作出处罚决定的案件，无可抽取的案卷", spec.year),
        )
        .on("year")
        .into());
    }
    let pool: Vec<_> = super::reviewers(store)
        .await?
        .iter()
        .map(pool_member)
        .collect();
    if pool.len() < spec.reviewers_per_case as usize {
        return Err(Refusal::new(
            "too_few_reviewers",
            format!(
                "{} reviewers imported; each file needs {}",
                pool.len(),
                spec.reviewers_per_case
            ),
            format!(
                "已导入评查人员 {} 名，不足每份案卷所需的 {} 名",
                pool.len(),
                spec.reviewers_per_case
            ),
        )
        .into());
    }
    let mut digests = Vec::with_capacity(frames.len());
    let mut stored = Vec::with_capacity(frames.len());
    for (plan, frame) in &frames {
        let text: String = frame
            .iter()
            .map(|row| format!("{}\t{}\n", row.id, row.stratum))
            .collect();
        digests.push((plan.id.clone(), draw::frame_digest(frame)));
        stored.push(StoredFrame {
            plan: plan.id.clone(),
            frame: text,
            exclusions: String::new(),
        });
    }
    let round_digest = draw::round_digest(digests.iter().map(|(id, d)| (id.as_str(), d)));
    let review = Review {
        id: spec.id.clone(),
        year: spec.year,
        departments: frames
            .iter()
            .filter_map(|(plan, _)| plan.id.rsplit_once('/').map(|(_, d)| d.to_owned()))
            .collect(),
        sampling: spec.sampling,
        reviewers_per_case: spec.reviewers_per_case,
        cap: spec.cap,
        pool,
        frame_digests: digests
            .iter()
            .map(|(id, d)| (id.clone(), draw::to_hex(d)))
            .collect(),
        frame_sizes: frames
            .iter()
            .map(|(plan, frame)| (plan.id.clone(), frame.len() as u64))
            .collect(),
        commitment: draw::to_hex(&secret.commitment()),
        round_digest: draw::to_hex(&round_digest),
        status: RoundStatus::Committed,
        beacon: None,
        witnesses: Vec::new(),
        round_seed: None,
        record_digest: None,
        full_record_sha256: None,
        files: 0,
        unstaffed: 0,
        committed_at: at,
        drawn_at: None,
    };
    let detail = format!(
        "{} departments, {files} files, {} reviewers",
        frames.len(),
        review.pool.len()
    );
    store
        .commit_round(
            &review,
            &stored,
            &secret.to_hex(),
            &Change::new(at, actor, "review.committed", detail),
        )
        .await?;
    Ok(review)
}

/// The spec of a stored review (what the draw needs of it).
fn spec_of(review: &Review) -> ReviewSpec {
    ReviewSpec {
        id: review.id.clone(),
        year: review.year,
        departments: review.departments.clone(),
        sampling: review.sampling,
        reviewers_per_case: review.reviewers_per_case,
        cap: review.cap,
    }
}

/// Draws a committed review with the witnesses' beacon: the files, their
/// panels, the record and one [`ReviewFile`] each, in one transaction.
pub async fn draw<S: WorkflowStore>(
    store: &S,
    id: &str,
    beacon: &str,
    witnesses: &[String],
    at: DateTime<FixedOffset>,
    actor: &str,
) -> Result<Review> {
    let mut review = crate::existing::<S, Review>(store, id).await?;
    check_drawable(&review)?;
    let beacon = rounds::checked_beacon(beacon)?;
    let secret = rounds::sealed_secret::<S, Review>(store, REVIEW, id, &review.commitment).await?;
    let spec = spec_of(&review);
    let allocation = match spec.sampling {
        Sampling::PerDepartment(n) => draw::Allocation::Count(n),
        Sampling::RateBp(r) => draw::Allocation::RateBp(r),
    };
    let mut plans = Vec::new();
    let mut department_of: BTreeMap<String, String> = BTreeMap::new();
    for stored in store.drawn_frames::<Review>(id).await? {
        let frame = crate::eligibility::parse_frame(&stored.frame).map_err(|line| {
            refuse(
                "frame_damaged",
                format!(
                    "stored frame of plan {} is damaged at line {line}",
                    stored.plan
                ),
                format!("计划 {} 保存的抽取名录第 {line} 行已损坏", stored.plan),
            )
        })?;
        let department = stored
            .plan
            .rsplit_once('/')
            .map(|(_, d)| d.to_owned())
            .unwrap_or_default();
        for row in &frame {
            department_of.insert(row.id.to_string(), department.clone());
        }
        let plan = draw::PlanSpec {
            id: stored.plan,
            department: PANEL.to_owned(),
            strata: vec![draw::StratumRule {
                stratum: WHOLE_FRAME.to_owned(),
                allocation,
            }],
        };
        plans.push((plan, frame));
    }
    let officers: BTreeMap<String, Vec<String>> = store
        .list::<PenaltyCase>(None)
        .await?
        .into_iter()
        .filter(|c| department_of.contains_key(c.id.trim()))
        .map(|c| (c.id.trim().to_owned(), c.officers))
        .collect();
    let facts: BTreeMap<&str, FileFacts> = department_of
        .iter()
        .map(|(case, department)| {
            let facts = FileFacts {
                department,
                officers: officers.get(case).map_or(&[], Vec::as_slice),
            };
            (case.as_str(), facts)
        })
        .collect();
    let mut record = draw_frames(plans, &review.pool, &spec, &facts, secret, &beacon)?;
    let full_record_sha256 = rounds::record_sha256(&record)?;
    rounds::check_frame_digests(&record, &review.frame_digests, same)?;
    let files = review_files(&review, &record, &department_of);
    let text = rounds::stored_text(&mut record)?;
    review.status = RoundStatus::Drawn;
    review.beacon = Some(record.beacon.clone());
    review.witnesses = rounds::witness_list(witnesses);
    review.round_seed = Some(draw::to_hex(&record.round_seed.0));
    review.record_digest = Some(domain::ledger::digest(&text));
    review.full_record_sha256 = Some(full_record_sha256);
    review.files = files.len() as u64;
    review.unstaffed = files.iter().filter(|f| f.unstaffed).count() as u64;
    review.drawn_at = Some(at);
    let detail = format!(
        "beacon {:?}; {} files, {} unstaffed",
        record.beacon, review.files, review.unstaffed
    );
    store
        .record_draw(
            &review,
            &text,
            &files,
            &Change::new(at, actor, "review.drawn", detail),
        )
        .await?;
    Ok(review)
}

/// Refuses to draw a review that is not committed (drawn already).
pub fn check_drawable(review: &Review) -> Result<()> {
    if review.status == RoundStatus::Committed {
        return Ok(());
    }
    let (id, status) = (&review.id, review.status);
    Err(refuse(
        "review_status",
        format!("review {id} is {status}; only a committed review can be drawn"),
        format!("评查活动 {id} 当前为“{status}”，只有已承诺的评查活动才能抽取"),
    ))
}

/// One [`ReviewFile`] per visit: the panel in slot order and the other
/// eligible reviewers in the §6 order (load after the draw, ticket, id),
/// those at the cap left out.
fn review_files(
    review: &Review,
    record: &draw::Record,
    department_of: &BTreeMap<String, String>,
) -> Vec<ReviewFile> {
    let mut load: BTreeMap<&str, u32> = BTreeMap::new();
    for slot in record.visits.iter().flat_map(|v| &v.departments) {
        for reviewer in &slot.assigned {
            *load.entry(&**reviewer).or_default() += 1;
        }
    }
    let seed = draw::RoundSeed::from_bytes(record.round_seed.0);
    record
        .visits
        .iter()
        .map(|visit| {
            let slot = visit.departments.first();
            let assigned: Vec<String> = slot
                .map(|s| s.assigned.iter().map(|r| r.to_string()).collect())
                .unwrap_or_default();
            let mut alternates: Vec<(u32, u64, String)> = slot
                .map(|s| s.eligible.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|r| r.to_string())
                .filter(|r| !assigned.contains(r))
                .map(|r| {
                    let held = load.get(r.as_str()).copied().unwrap_or(0);
                    let ticket = seed.ticket(visit.subject.as_bytes(), r.as_bytes());
                    (held, ticket, r)
                })
                .filter(|(held, _, _)| review.cap.is_none_or(|cap| *held < cap))
                .collect();
            alternates.sort();
            ReviewFile {
                review: review.id.clone(),
                case: visit.subject.clone(),
                department: department_of
                    .get(&visit.subject)
                    .cloned()
                    .unwrap_or_default(),
                reviewers: assigned,
                alternates: alternates.into_iter().map(|(_, _, r)| r).collect(),
                unstaffed: slot.is_none_or(|s| s.unstaffed),
                escalated: Vec::new(),
            }
        })
        .collect()
}

/// The §7 record of a drawn review (secret and frames restored). A review
/// has no separate publication: once drawn, its record can be exported.
pub async fn export<S: WorkflowStore>(store: &S, id: &str) -> Result<draw::Record> {
    let review = crate::existing::<S, Review>(store, id).await?;
    if review.status == RoundStatus::Committed {
        return Err(refuse(
            "review_status",
            format!("review {id} is not drawn yet; its record is exported once drawn"),
            format!("评查活动 {id} 尚未抽取，抽取后才能导出抽取记录"),
        ));
    }
    let secret = rounds::sealed_secret::<S, Review>(store, REVIEW, id, &review.commitment).await?;
    let digest = review.record_digest.as_deref();
    rounds::stored_record::<S, Review>(store, REVIEW, id, digest, &secret, same).await
}

fn review_exists(id: &str) -> Refusal {
    Refusal::new(
        "review_exists",
        format!("review {id} already exists"),
        format!("评查活动编号 {id} 已存在，请换一个编号"),
    )
    .on("id")
}
