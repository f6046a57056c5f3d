//! Statistical tests over many seeds: inclusion probabilities, coordination of
//! overlapping plans, and uniform choice among equally loaded inspectors.
//!
//! Every test uses fixed seeds (a counter), so its outcome is deterministic; the
//! significance levels only say how unlikely a correct implementation would be
//! to fail for some other fixed set of seeds. All of them pass for these seeds.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::{frame, plan, seed_from_counter, subject_id};
use draw::{Allocation, Demand, Visit, draw_plan, match_inspectors};

/// `ln(n!)` for `n` in `0..=max`.
fn ln_factorials(max: usize) -> Vec<f64> {
    let mut table = vec![0.0; max + 1];
    for n in 1..=max {
        table[n] = table[n - 1] + (n as f64).ln();
    }
    table
}

/// Exact two-sided binomial p-value of `observed` successes in `trials` at
/// probability `p`: twice the smaller tail, capped at 1.
fn binomial_two_sided_p(observed: usize, trials: usize, p: f64, ln_fact: &[f64]) -> f64 {
    let pmf = |k: usize| {
        (ln_fact[trials] - ln_fact[k] - ln_fact[trials - k]
            + k as f64 * p.ln()
            + (trials - k) as f64 * (1.0 - p).ln())
        .exp()
    };
    let lower: f64 = (0..=observed).map(pmf).sum();
    let upper: f64 = (observed..=trials).map(pmf).sum();
    (2.0 * lower.min(upper)).min(1.0)
}

/// Spec §2–§4: each plan's sample is a simple random sample of its stratum, so
/// over independent seeds every subject of stratum h is drawn with probability
/// exactly π_h = n_h / N_h.
///
/// Frame: 40 subjects; stratum A = 25 subjects at 30 % (n = ceil(7.5) = 8,
/// π = 0.32), stratum C = 15 subjects at 10 % (n = ceil(1.5) = 2, π = 2/15).
/// Over 2,000 seeds each subject's count is Binomial(2000, π_h) exactly (seeds
/// are independent). Test per subject: the exact two-sided binomial p-value must
/// be at least 0.001 / 40, i.e. the family-wise level over the 40 subjects is
/// 0.001 by Bonferroni (per subject, that is |z| < ≈4.21 in the normal
/// approximation, not 3.29). A broken sampler (e.g. lowest ids first, or one
/// that ignores strata) is off by hundreds of standard deviations.
///
/// Also, per stratum, a chi-square test over its subjects at level 0.001: with a
/// fixed-size sample of n out of N per trial, Σ (O − E)² / E × (N − 1)/(N − n)
/// is asymptotically χ²(N − 1) (counts of sampling without replacement have
/// covariance n·T·(π(1−π) δ_ij − π(1−π)/(N−1) (1 − δ_ij))).
#[test]
fn inclusion_frequencies_match_n_h_over_n_h() {
    const SEEDS: u64 = 2_000;
    let plan = plan(
        "P1",
        "SCJG",
        &[
            ("A", Allocation::RateBp(3_000)),
            ("C", Allocation::RateBp(1_000)),
        ],
    );
    let rows = frame(0..40, |n| if n < 25 { "A" } else { "C" });
    let mut counts: BTreeMap<String, usize> =
        rows.iter().map(|row| (row.id.to_string(), 0)).collect();
    for counter in 0..SEEDS {
        let drawn = draw_plan(&seed_from_counter(counter), &plan, &rows).expect("valid");
        let sizes: Vec<(&str, u64)> = drawn
            .strata
            .iter()
            .map(|o| (o.stratum.as_str(), o.sample_size))
            .collect();
        assert_eq!(sizes, [("A", 8), ("C", 2)]);
        for selection in &drawn.selected {
            *counts
                .get_mut(&selection.id)
                .expect("selected from the frame") += 1;
        }
    }
    let ln_fact = ln_factorials(SEEDS as usize);
    let per_subject_level = 0.001 / 40.0;
    for (stratum, population, sample, chi2_critical) in
        [("A", 25.0, 8.0, 51.179), ("C", 15.0, 2.0, 36.123)]
    {
        let pi: f64 = sample / population;
        let expected = pi * SEEDS as f64;
        let mut chi2 = 0.0;
        let mut total = 0;
        let mut min_p = 1.0_f64;
        for row in rows.iter().filter(|row| &*row.stratum == stratum) {
            let observed = counts[&*row.id];
            total += observed;
            let p_value = binomial_two_sided_p(observed, SEEDS as usize, pi, &ln_fact);
            assert!(
                p_value >= per_subject_level,
                "{} (stratum {stratum}) drawn {observed} times in {SEEDS}, expected {expected:.1}: p = {p_value:.2e}",
                row.id
            );
            min_p = min_p.min(p_value);
            chi2 += (observed as f64 - expected).powi(2) / expected;
        }
        eprintln!(
            "stratum {stratum}: smallest per-subject p-value {min_p:.2e} (level {per_subject_level:.2e})"
        );
        assert_eq!(total as f64, sample * SEEDS as f64);
        let adjusted = chi2 * (population - 1.0) / (population - sample);
        eprintln!(
            "stratum {stratum}: adjusted chi-square {adjusted:.2} (critical {chi2_critical})"
        );
        assert!(
            adjusted < chi2_critical,
            "stratum {stratum}: chi-square {adjusted:.1} ≥ {chi2_critical}"
        );
    }
}

/// Spec §2: plans of a round share the `prn`, so overlapping plans select the
/// same subjects far more often than independent samples would.
///
/// Frame A = subjects 0..600 at 10 % (60 drawn), frame B = 300..900 at 20 %
/// (120 drawn); the 300 common subjects have π_A = 0.1, π_B = 0.2. The most
/// overlap any design can have in expectation is Σ min(π_A, π_B) = 30; with a
/// shared prn the expected overlap is within a fraction of a subject of that
/// (only when A's cut-off exceeds B's does a subject drawn by A miss B).
/// Independent samples give Σ π_A π_B = 6. Averaged over 200 seeds the mean
/// overlap must be ≥ 0.9 × 30 and ≥ 2 × 6.
#[test]
fn overlapping_plans_are_positively_coordinated() {
    const SEEDS: u64 = 200;
    let plan_a = plan("A-2024", "SCJG", &[("B", Allocation::RateBp(1_000))]);
    let plan_b = plan("B-2024", "WSJ", &[("B", Allocation::RateBp(2_000))]);
    let frame_a = frame(0..600, |_| "B");
    let frame_b = frame(300..900, |_| "B");
    let mut total_overlap = 0usize;
    for counter in 0..SEEDS {
        let seed = seed_from_counter(counter);
        let a: BTreeSet<String> = draw_plan(&seed, &plan_a, &frame_a)
            .expect("valid")
            .selected
            .into_iter()
            .map(|s| s.id)
            .collect();
        let b: BTreeSet<String> = draw_plan(&seed, &plan_b, &frame_b)
            .expect("valid")
            .selected
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!((a.len(), b.len()), (60, 120));
        total_overlap += a.intersection(&b).count();
    }
    let mean = total_overlap as f64 / SEEDS as f64;
    let max_possible = 300.0 * 0.1_f64.min(0.2);
    let independent = 300.0 * 0.1 * 0.2;
    eprintln!("mean overlap {mean:.2}; at most {max_possible}, independent {independent}");
    assert!(
        mean >= 0.9 * max_possible,
        "mean overlap {mean:.2} < 0.9 × {max_possible}"
    );
    assert!(
        mean >= 2.0 * independent,
        "mean overlap {mean:.2} < 2 × {independent}"
    );
    assert!(
        mean <= max_possible + 1e-9,
        "mean overlap {mean:.2} exceeds the possible {max_possible}"
    );
}

/// Spec §6.3: among equally loaded inspectors the ticket makes the choice
/// uniformly random. One visit per seed with all 10 inspectors eligible and
/// load 0, k = 2, over 4,500 seeds:
///
/// - per inspector: each is chosen with probability k/m = 0.2; as derived for
///   `inclusion_frequencies_match_n_h_over_n_h`, X² × (m − 1)/(m − k) is
///   χ²(9); reject at 0.001 (27.877);
/// - per unordered pair: each of the 45 pairs is chosen with probability 1/45,
///   an ordinary multinomial, χ²(44); reject at 0.001 (78.750).
///
/// A second visit of the same seed must take two of the eight inspectors the
/// first left at load 0 (least loaded first).
#[test]
fn choice_among_equally_loaded_inspectors_is_uniform() {
    const SEEDS: u64 = 4_500;
    const M: usize = 10;
    let inspectors: Vec<String> = (0..M)
        .map(|i| format!("350200-{:02}", (i * 7) % M))
        .collect();
    let mut single = vec![0usize; M];
    let mut pairs: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for counter in 0..SEEDS {
        let seed = seed_from_counter(counter);
        let visit = |n: u32, prn: u64| Visit {
            subject: subject_id(n),
            prn,
            plans: vec!["P1".to_owned()],
            departments: vec!["SCJG".to_owned()],
        };
        let visits = [
            visit(u32::try_from(counter).expect("small"), 1),
            visit(1_000_000, 2),
        ];
        let staffing = match_inspectors(&seed, &visits, &inspectors, None, |_, _| Demand {
            k: 2,
            candidates: (0..M as u32).collect(),
        })
        .expect("valid demand");
        let first = &staffing[0][0].assigned;
        let second = &staffing[1][0].assigned;
        assert_eq!((first.len(), second.len()), (2, 2));
        assert!(first[0] != first[1], "two distinct inspectors");
        assert!(
            !second.iter().any(|i| first.contains(i)),
            "second visit must take load-0 inspectors"
        );
        for &i in first {
            single[i as usize] += 1;
        }
        let key = (first[0].min(first[1]), first[0].max(first[1]));
        *pairs.entry(key).or_insert(0) += 1;
    }
    let expected = SEEDS as f64 * 2.0 / M as f64;
    let chi2: f64 = single
        .iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum();
    let adjusted = chi2 * (M as f64 - 1.0) / (M as f64 - 2.0);
    assert!(
        adjusted < 27.877,
        "per-inspector chi-square {adjusted:.1}, counts {single:?}"
    );

    assert!(pairs.len() <= 45);
    let expected_pair = SEEDS as f64 / 45.0;
    let chi2_pairs: f64 = (0..M as u32)
        .flat_map(|a| (a + 1..M as u32).map(move |b| (a, b)))
        .map(|key| (*pairs.get(&key).unwrap_or(&0) as f64 - expected_pair).powi(2) / expected_pair)
        .sum();
    eprintln!(
        "inspector chi-square {adjusted:.2} (critical 27.877), pair chi-square {chi2_pairs:.2} (critical 78.750)"
    );
    assert!(chi2_pairs < 78.750, "pair chi-square {chi2_pairs:.1}");
}
