//! The verification of one entity in a published round, step by step, as the
//! portal's page and the public API show it: the seed, the entity's `prn` with
//! the exact SHA-256 input, and per plan its stratum, the cut-off and whether
//! it was drawn (spec `draw-v1.md` §1–§4).

use std::sync::Arc;

use serde::Serialize;

use super::cache::{RoundIndex, SeedSteps, Verdict, stratum_label};
use crate::domain::Uscc;
use crate::domain::inspection::EligibilityRules;
use crate::http::error::{Error, Result};
use crate::workflow::eligibility::Exclusion;

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

/// One plan entry whose frame contains the entity.
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
    /// The entity's stratum in the frame.
    pub stratum: String,
    /// The stratum, in words.
    pub stratum_label: String,
    /// The plan's rule for the stratum, in words.
    pub rule: String,
    /// `N_h`: the stratum's size in the frame.
    pub population: u64,
    /// `n_h`: how many the rule draws.
    pub sample_size: u64,
    /// The `prn` of the last one drawn in the stratum (absent when none is drawn).
    pub cutoff: Option<String>,
    /// Whether the entity's `prn` is at most the cut-off.
    pub within_cutoff: bool,
    /// Whether the record lists the entity as selected.
    pub selected: bool,
}

/// A plan whose eligibility rules left the entity out of the frame.
#[derive(Debug, Clone, Serialize)]
pub struct ExclusionNote {
    /// Plan id.
    pub plan: String,
    /// Rule codes (`status`, `class_a`, `annual_cap`, `cooling_off`, `new_entity`).
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
}

/// Reads a 统一社会信用代码 typed by anyone; a malformed one is a 400 in Chinese.
pub fn parse_code(text: &str) -> Result<Uscc> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::BadRequest("请输入18位统一社会信用代码".into()));
    }
    Uscc::parse_lenient(text).map(|(code, _)| code).map_err(|e| {
        Error::BadRequest(format!(
            "“{}”不是有效的统一社会信用代码：应为18位，由数字和大写字母组成（不含I、O、S、V、Z）。({e})",
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
        match index.stratum(&entry.plan, id) {
            Some(stratum) => {
                let population = index.population(&entry.plan, stratum);
                let rule = entry.strata.iter().find(|r| r.stratum == stratum);
                let sample_size = rule
                    .and_then(|r| r.to_rule().ok())
                    .map_or(0, |r| r.allocation.sample_size(population));
                let cutoff = entry.cutoffs.get(stratum).map(|c| c.0);
                plans.push(PlanCheck {
                    entry: entry.entry.clone(),
                    plan: entry.plan.clone(),
                    department: entry.department.clone(),
                    department_name: department_name(&entry.department),
                    stratum: stratum.to_owned(),
                    stratum_label: stratum_label(stratum),
                    rule: rule.map_or_else(|| "本层不抽取".to_owned(), describe_rule),
                    population,
                    sample_size,
                    cutoff: cutoff.map(draw::u64_hex),
                    within_cutoff: cutoff.is_some_and(|c| prn <= c),
                    selected: entry
                        .selected
                        .binary_search_by(|s| s.as_str().cmp(id))
                        .is_ok(),
                });
            }
            None => {
                if exclusions.iter().any(|e| e.plan == entry.plan) {
                    continue;
                }
                if let Some(exclusion) = index.exclusion(&entry.plan, id) {
                    exclusions.push(ExclusionNote {
                        plan: entry.plan.clone(),
                        rules: exclusion
                            .rules
                            .iter()
                            .map(|(code, _)| code.clone())
                            .collect(),
                        reason: public_reason(
                            &exclusion,
                            &index.round.rules,
                            index.round.window_start,
                        ),
                    });
                }
            }
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
    }
}

/// A stratum rule in words.
fn describe_rule(rule: &draw::RecordStratum) -> String {
    match (rule.rate_bp, rule.count) {
        (Some(rate), _) => format!(
            "按比例 {}.{:02}%：n = ⌈N × {rate} / 10000⌉",
            rate / 100,
            rate % 100
        ),
        (None, Some(count)) => format!("按数量 {count} 户：n = min({count}, N)"),
        (None, None) => "本层不抽取".to_owned(),
    }
}

/// Why an exclusion rule applied, in words fit for the public: the rule that
/// spares low-risk entities is named without their classification.
fn public_reason(
    exclusion: &Exclusion,
    rules: &EligibilityRules,
    window_start: chrono::NaiveDate,
) -> String {
    let mut texts = Vec::new();
    let others = Exclusion {
        uscc: exclusion.uscc.clone(),
        rules: exclusion
            .rules
            .iter()
            .filter(|(code, _)| code != "class_a")
            .cloned()
            .collect(),
    };
    if others.rules.len() < exclusion.rules.len() {
        texts.push(
            "差异化监管规则：本计划不属于法律法规规定必须检查的事项，该主体不纳入主动抽查"
                .to_owned(),
        );
    }
    if !others.rules.is_empty() {
        texts.push(others.describe(rules, window_start));
    }
    texts.join("；")
}
