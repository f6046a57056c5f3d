//! `jianguan-draw/v1`: the public, verifiable draw protocol of jianguan (监管).
//!
//! This crate implements `spec/draw-v1.md` bit for bit, as a pure library:
//! no I/O, no async, no global state, and no floating point.
//!
//! - [`Secret`], [`RoundSeed`]: commit-then-reveal seeding with a public beacon (§1)
//!   and each subject's permanent random number [`RoundSeed::prn`] (§2).
//! - [`Allocation`], [`PlanSampler`], [`draw_plan`]: sample sizes, selection and
//!   cut-offs per stratum (§3–§4), streaming over frames sorted by id, and the
//!   frame and round digests (§5).
//! - [`group_visits`], [`match_inspectors`]: one visit per drawn subject and
//!   least-loaded, ticket-ordered inspector matching (§6).
//! - [`Record`], [`draw_round`], [`verify`]: the published record (§7), and its
//!   full recomputation, which lists every deviation rather than the first.
//!
//! ```
//! use draw::{Allocation, FrameRow, PlanSpec, RoundSeed, Secret, StratumRule, draw_plan};
//!
//! let secret = Secret::from_bytes([7; 32]);
//! let seed = RoundSeed::derive(&secret, " 12 34 56 ");
//! let plan = PlanSpec {
//!     id: "P1".into(),
//!     department: "SCJG".into(),
//!     strata: vec![StratumRule { stratum: "B".into(), allocation: Allocation::rate_bp(5000)? }],
//! };
//! let frame: Vec<FrameRow> = ["91350200776049653A", "91350213678251743X", "11010519491231002X"]
//!     .iter()
//!     .map(|id| FrameRow { id: (*id).into(), stratum: "B".into() })
//!     .collect();
//! let drawn = draw_plan(&seed, &plan, &frame)?;
//! assert_eq!(drawn.selected.len(), 2); // ceil(3 × 5000 / 10000)
//! # Ok::<(), draw::Error>(())
//! ```
#![deny(missing_docs)]

mod hash;
mod record;
mod sample;
mod verify;
mod visits;

pub use hash::{
    Digest, RoundSeed, Secret, TicketHasher, commitment_input, normalize_beacon, parse_hex,
    parse_hex32, parse_u64_hex, prn_input, seed_input, sha256, to_hex, u64_hex,
};
pub use record::{
    Hex32, Hex64, InspectorId, PROTOCOL, Record, RecordPlan, RecordSelection, RecordStaffing,
    RecordStratum, RecordVisit, RoundInput, draw_plans, draw_round,
};
pub use sample::{
    Allocation, FrameRow, MAX_RATE_BP, PlanDraw, PlanSampler, PlanSpec, Selection, SmallestKeys,
    StratumOutcome, StratumRule, draw_plan, frame_digest, round_digest,
};
pub use verify::{Deviation, verify};
pub use visits::{
    Demand, MIN_INSPECTORS_PER_DEPARTMENT, Staffing, Visit, group_visits, match_inspectors,
};

/// Why a draw could not be made. Each message names what is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The secret was not 32 bytes of hex.
    #[error(
        "the secret must be 64 hex digits (32 bytes); got {length} characters or a non-hex digit"
    )]
    InvalidSecret {
        /// Length of the text given.
        length: usize,
    },
    /// A rate above 10000 basis points.
    #[error("rate_bp {rate_bp} is outside 0..=10000")]
    RateOutOfRange {
        /// The rate given.
        rate_bp: u32,
    },
    /// A stratum rule with neither or both of `rate_bp` and `count`.
    #[error("stratum {stratum:?} must give exactly one of rate_bp and count")]
    AmbiguousAllocation {
        /// The stratum.
        stratum: String,
    },
    /// Two rules for one stratum.
    #[error("plan {plan}: stratum {stratum:?} has more than one rule")]
    DuplicateStratum {
        /// Plan id.
        plan: String,
        /// The stratum.
        stratum: String,
    },
    /// Two plans with one id.
    #[error("plan id {plan:?} is used more than once")]
    DuplicatePlanId {
        /// The plan id.
        plan: String,
    },
    /// A subject listed twice in a frame.
    #[error("plan {plan}: subject {id} appears more than once in the frame")]
    DuplicateFrameId {
        /// Plan id.
        plan: String,
        /// The subject.
        id: String,
    },
    /// A streamed frame out of id order.
    #[error("plan {plan}: frame rows must come in ascending id order; {id} came after a larger id")]
    FrameNotSorted {
        /// Plan id.
        plan: String,
        /// The subject out of order.
        id: String,
    },
    /// An id or stratum that cannot be written as a frame line.
    #[error("plan {plan}: {text:?} {reason}")]
    InvalidLabel {
        /// Plan id.
        plan: String,
        /// The id or stratum.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A streamed row in a stratum whose population was not declared.
    #[error("plan {plan}: stratum {stratum:?} was not among the declared populations")]
    UndeclaredStratum {
        /// Plan id.
        plan: String,
        /// The stratum.
        stratum: String,
    },
    /// A streamed frame whose stratum sizes differ from those declared.
    #[error(
        "plan {plan}: stratum {stratum:?} was declared with {declared} subjects but the frame has {seen}"
    )]
    PopulationMismatch {
        /// Plan id.
        plan: String,
        /// The stratum.
        stratum: String,
        /// Declared size.
        declared: u64,
        /// Rows seen.
        seen: u64,
    },
    /// A rate rule on a frame streamed without populations.
    #[error("plan {plan}: stratum {stratum:?} gives a rate, which needs the stratum's population")]
    RateNeedsPopulation {
        /// Plan id.
        plan: String,
        /// The stratum.
        stratum: String,
    },
    /// A department asked to send fewer than two inspectors.
    #[error("department {department} must send at least 2 inspectors per visit, not {k}")]
    TooFewInspectorsRequired {
        /// Department code.
        department: String,
        /// The number asked.
        k: u32,
    },
    /// An inspector id listed twice in a round.
    #[error("inspector {inspector} is listed more than once")]
    DuplicateInspector {
        /// The inspector id.
        inspector: String,
    },
    /// A candidate index outside the inspector list.
    #[error("inspector index {index} is outside the round's inspector list")]
    UnknownInspector {
        /// The index.
        index: u32,
    },
}
