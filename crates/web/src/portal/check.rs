//! The verification of one entity in a published round, step by step, as the
//! portal's page and the public API show it: the seed, the entity's `prn` with
//! the exact SHA-256 input, and per plan whether its frame holds the entity and
//! whether the record selected it (spec `draw-v1.md` §1–§2, and the public
//! view's checks). Never its stratum or a cut-off: a risk class is not public
//! (`draw-v1-public-view.md`).

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::cache::{RoundIndex, SeedSteps, Verdict};
use crate::error::{Error, Result};
use domain::Uscc;
use domain::inspection::EligibilityRules;
use service::eligibility::Exclusion;

/// The `prn` computation (spec §2).
#[derive(Debug, Clone, Serialize)]
pub struct PrnSteps {
    /// `round_seed ‖ id`, hex: the SHA-256 input.
    pub input: String,
    /// Its SHA-256.
    pub sha256: String,
    /// The first 8 bytes: the `prn`, 16 hex digits.
    pub prn: String,
    /// The same as a decimal integer.
    pub prn_decimal: String,
    /// A shell command that prints the SHA-256 (the `prn` is its first 16 digits).
    pub command: String,
}

/// One plan entry whose frame contains the entity: no stratum, no cut-off.
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheck {
    /// Record entry id (`PLAN` or `PLAN/DEPARTMENT`).
    pub entry: String,
    /// Plan id.
    pub plan: String,
    /// Department code.
    pub department: String,
    /// Department name.
    pub department_name: String,
    /// The frame's size.
    pub frame_size: u64,
    /// How many the plan drew in all.
    pub sample: u64,
    /// Whether the record lists the entity as selected.
    pub selected: bool,
    /// Its place in the frame ordered by `(prn, id)`, from 1 (public: anyone
    /// computes it from the public view).
    pub rank: u64,
    /// How many strata the frame has (their membership is not public).
    pub strata: usize,
}

impl PlanCheck {
    /// Whether the frame is one stratum, so that the frame's order is the
    /// stratum's and the sentence may give `n` and `k` without telling a class.
    pub fn one_stratum(&self) -> bool {
        self.strata <= 1
    }
}

/// A plan whose eligibility rules left the entity out of the frame.
#[derive(Debug, Clone, Serialize)]
pub struct ExclusionNote {
    /// Plan id.
    pub plan: String,
    /// Rule codes that may be published (`status`, `annual_cap`, `cooling_off`,
    /// `new_entity`); never a rule that names a risk class.
    pub rules: Vec<String>,
    /// Why, in words.
    pub reason: String,
}

/// The whole check of one entity in one round.
#[derive(Debug, Clone, Serialize)]
pub struct EntityCheck {
    /// Round id.
    pub round: String,
    /// 统一社会信用代码, canonical.
    pub entity: String,
    /// Its name in the directory, if there.
    pub entity_name: Option<String>,
    /// How the round seed follows from the secret and the beacon.
    pub seed: SeedSteps,
    /// The entity's `prn`.
    pub prn: PrnSteps,
    /// Plan entries whose frame contains it.
    pub plans: Vec<PlanCheck>,
    /// Whether some frame of the round contains it.
    pub in_frame: bool,
    /// Whether some plan drew it.
    pub drawn: bool,
    /// Plans whose rules excluded it.
    pub exclusions: Vec<ExclusionNote>,
    /// The full recomputation of the round's record.
    pub verdict: Arc<Verdict>,
    /// The round's inspection window.
    pub window_start: NaiveDate,
    /// Its last day.
    pub window_end: NaiveDate,
    /// Where the window is as of today: `past`, `current` or `future`.
    pub phase: &'static str,
}

impl EntityCheck {
    /// The plans whose frame holds the entity, once each: the department
    /// entries of a joint plan share its frame and its selection.
    pub fn by_plan(&self) -> Vec<&PlanCheck> {
        let mut seen = std::collections::HashSet::new();
        self.plans
            .iter()
            .filter(|p| seen.insert(p.plan.as_str()))
            .collect()
    }
}

/// Reads a 统一社会信用代码 typed by anyone; a malformed one is a 400 in Chinese.
pub fn parse_code(text: &str) -> Result<Uscc> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::BadRequest("请输入18位统一社会信用代码".into()));
    }
    Uscc::parse_lenient(text).map(|(code, _)| code).map_err(|_| {
        Error::BadRequest(format!(
            "“{}”不是有效的统一社会信用代码：应为18位，由数字和大写字母组成（不含I、O、S、V、Z）。也可以输入企业名称查找。",
            text.chars().take(40).collect::<String>()
        ))
    })
}

/// Checks `code` in the round of `index`.
pub fn check(
    index: &RoundIndex,
    code: &Uscc,
    entity_name: Option<String>,
    verdict: Arc<Verdict>,
    department_name: impl Fn(&str) -> String,
    today: NaiveDate,
) -> EntityCheck {
    let id = code.as_str();
    let seed = &index.round_seed;
    let input = draw::prn_input(seed, id.as_bytes());
    let digest = draw::sha256(&[&input]);
    let prn = seed.prn(id.as_bytes());
    let input_hex = draw::to_hex(&input);
    let prn_steps = PrnSteps {
        command: format!("echo -n {input_hex} | xxd -r -p | sha256sum"),
        input: input_hex,
        sha256: draw::to_hex(&digest),
        prn: draw::u64_hex(prn),
        prn_decimal: prn.to_string(),
    };
    let mut plans = Vec::new();
    let mut exclusions: Vec<ExclusionNote> = Vec::new();
    for entry in &index.entries {
        if index.in_frame(&entry.plan, id) {
            plans.push(PlanCheck {
                entry: entry.entry.clone(),
                plan: entry.plan.clone(),
                department: entry.department.clone(),
                department_name: department_name(&entry.department),
                frame_size: index.frame_size(&entry.plan),
                sample: entry.selected.len() as u64,
                selected: entry
                    .selected
                    .binary_search_by(|s| s.as_str().cmp(id))
                    .is_ok(),
                rank: index.frame_rank(&entry.plan, id).unwrap_or(0),
                strata: index.public_strata(entry).len(),
            });
        } else if !exclusions.iter().any(|e| e.plan == entry.plan)
            && let Some(note) = index.exclusion(&entry.plan, id).and_then(|exclusion| {
                public_note(
                    &entry.plan,
                    &exclusion,
                    &index.round.rules,
                    index.round.window_start,
                )
            })
        {
            exclusions.push(note);
        }
    }
    EntityCheck {
        round: index.round.id.clone(),
        entity: id.to_owned(),
        entity_name,
        seed: index.seed.clone(),
        prn: prn_steps,
        in_frame: !plans.is_empty(),
        drawn: plans.iter().any(|p| p.selected),
        plans,
        exclusions,
        verdict,
        window_start: index.round.window_start,
        window_end: index.round.window_end,
        phase: if today > index.round.window_end {
            "past"
        } else if today >= index.round.window_start {
            "current"
        } else {
            "future"
        },
    }
}

/// The rule codes whose facts say something about an entity's risk class;
/// they are never named to the public.
const CLASS_RULES: &[&str] = &["class_a"];

/// Why an exclusion rule applied, in words fit for the public: only the rules
/// that rest on public facts (status, caps, cooling-off, registration date).
/// A rule that rests on the entity's risk class is left out, and an entity
/// excluded by it alone gets no note: it reads as "not in the frame", like an
/// entity outside the plan's scope, so the note cannot tell its class.
fn public_note(
    plan: &str,
    exclusion: &Exclusion,
    rules: &EligibilityRules,
    window_start: chrono::NaiveDate,
) -> Option<ExclusionNote> {
    let public = Exclusion {
        uscc: exclusion.uscc.clone(),
        rules: exclusion
            .rules
            .iter()
            .filter(|(code, _)| !CLASS_RULES.contains(&code.as_str()))
            .cloned()
            .collect(),
    };
    if public.rules.is_empty() {
        return None;
    }
    Some(ExclusionNote {
        plan: plan.to_owned(),
        rules: public.rules.iter().map(|(code, _)| code.clone()).collect(),
        reason: public.describe(rules, window_start),
    })
}
