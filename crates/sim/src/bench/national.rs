//! The national plan: one plan over 188,000,000 generated entities, streamed.

use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use draw::{Allocation, PlanDraw, PlanSampler, PlanSpec, RoundSeed, Secret, StratumRule};

use super::{ms, peak_rss_kib, reset_peak_rss, rss_kib, thousands};
use crate::synth::{NATIONAL_MAX, NationalIds, RiskClass, national_populations};

/// Rates per risk class A, B, C, D in basis points, as in the Huangshi plans.
const RATES_BP: [u32; 4] = [50, 200, 500, 2_000];

/// The national plan with its rules.
fn plan() -> anyhow::Result<PlanSpec> {
    let strata = RiskClass::ALL
        .iter()
        .zip(RATES_BP)
        .map(|(class, rate)| {
            Ok(StratumRule {
                stratum: class.as_str().to_owned(),
                allocation: Allocation::rate_bp(rate)?,
            })
        })
        .collect::<Result<Vec<_>, draw::Error>>()?;
    Ok(PlanSpec {
        id: "CN2022-NATIONAL".into(),
        department: "SCJG".into(),
        strata,
    })
}

/// Streams the first `count` national ids through one [`PlanSampler`].
fn draw_national(
    seed: &RoundSeed,
    plan: &PlanSpec,
    count: u64,
    populations: &[u64; 4],
) -> anyhow::Result<PlanDraw> {
    let declared: Vec<(String, u64)> = RiskClass::ALL
        .iter()
        .map(|class| (class.as_str().to_owned(), populations[class.index()]))
        .collect();
    let mut sampler = PlanSampler::new(seed, plan, &declared)?;
    let mut ids = NationalIds::new(count);
    while let Some((id, risk)) = ids.next_id() {
        sampler.push(id, risk.as_str())?;
    }
    Ok(sampler.finish()?)
}

/// `openssl speed -evp sha256 -bytes 16`: one-block SHA-256 operations per second on one core.
struct OpenSsl {
    version: String,
    kbytes_per_second: f64,
}

impl OpenSsl {
    fn ops_per_second(&self) -> f64 {
        self.kbytes_per_second * 1000.0 / 16.0
    }
}

fn openssl_speed(seconds: u32) -> anyhow::Result<OpenSsl> {
    let output = Command::new("openssl")
        .args(["speed", "-evp", "sha256", "-bytes", "16", "-seconds"])
        .arg(seconds.to_string())
        .output()
        .context("could not run `openssl speed`")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        anyhow::bail!(
            "openssl speed failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let kbytes_per_second = parse_speed(&stdout)
        .with_context(|| format!("no `sha256 …k` line in openssl's output:\n{stdout}"))?;
    let version = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "openssl".into());
    Ok(OpenSsl {
        version,
        kbytes_per_second,
    })
}

/// The figure of the result line `sha256  72442.13k`: thousands of bytes per second.
fn parse_speed(stdout: &str) -> Option<f64> {
    stdout
        .lines()
        .filter(|line| line.starts_with("sha256"))
        .find_map(|line| {
            line.split_whitespace()
                .nth(1)?
                .strip_suffix('k')?
                .parse::<f64>()
                .ok()
        })
}

/// Runs the national benchmark and prints its section of the report.
pub(super) fn run(entities: u64, openssl_seconds: u32) -> anyhow::Result<()> {
    if entities > NATIONAL_MAX {
        anyhow::bail!("--entities is at most {NATIONAL_MAX}");
    }
    let openssl = openssl_speed(openssl_seconds);

    let secret = Secret::from_bytes(draw::sha256(&[b"jianguan/bench/national/secret"]));
    let seed = RoundSeed::derive(&secret, "jianguan bench national");
    let plan = plan()?;

    let counting = Instant::now();
    let populations = national_populations(entities);
    let counted = counting.elapsed();

    // The generator alone, to show its share of the draw's time.
    let generating = Instant::now();
    let mut ids = NationalIds::new(entities);
    let mut checksum = 0u64;
    while let Some((id, risk)) = ids.next_id() {
        checksum = checksum
            .wrapping_add(u64::from(id.as_bytes()[17]))
            .wrapping_add(risk.index() as u64);
    }
    std::hint::black_box(checksum);
    let generated = generating.elapsed();

    // The generator and every `prn`, without the sampler: the hashing ceiling.
    let hashing = Instant::now();
    let mut ids = NationalIds::new(entities);
    let mut smallest = u64::MAX;
    while let Some((id, _)) = ids.next_id() {
        smallest = smallest.min(seed.prn(id.as_bytes()));
    }
    std::hint::black_box(smallest);
    let hashed = hashing.elapsed();

    let peak_reset = reset_peak_rss();
    let rss_before = rss_kib();
    let start = Instant::now();
    let drawn = draw_national(&seed, &plan, entities, &populations)?;
    let elapsed = start.elapsed();
    let peak = peak_rss_kib();

    let rate = entities as f64 / elapsed.as_secs_f64().max(1e-9);
    println!("## National plan\n");
    println!(
        "One plan over {} generated entities (valid 统一社会信用代码 counted upwards from 9111000000000000…, \
         streamed in ascending order, no file and no list), strata A/B/C/D from a SplitMix64 of the index \
         (A 30 %, B 55 %, C 12 %, D 3 %), rates A 0.5 %, B 2 %, C 5 %, D 20 %. One `draw::PlanSampler` on one \
         core: for every entity a `prn` (one SHA-256 compression), the frame digest (21 bytes per entity) and the \
         bounded heap. Populations counted beforehand in {} (the database's `count(*)`, not timed).\n",
        thousands(entities),
        ms(counted),
    );
    println!("| stratum | N_h | n_h | cut-off |");
    println!("| --- | --- | --- | --- |");
    for outcome in &drawn.strata {
        println!(
            "| {} | {} | {} | {} |",
            outcome.stratum,
            thousands(outcome.population),
            thousands(outcome.sample_size),
            outcome.cutoff.map_or_else(|| "—".into(), draw::u64_hex)
        );
    }
    println!("\nFrame digest {}.\n", draw::to_hex(&drawn.frame_digest));
    println!("| measure | figure |");
    println!("| --- | --- |");
    println!(
        "| streaming draw: generate, push, finish (1 thread) | {:.2} s |",
        elapsed.as_secs_f64()
    );
    println!(
        "| **subjects per second per core** | **{}** |",
        thousands(rate as u64)
    );
    println!(
        "| of which the id generator alone (same ids, no draw) | {:.2} s, {} ids per second |",
        generated.as_secs_f64(),
        thousands((entities as f64 / generated.as_secs_f64().max(1e-9)) as u64)
    );
    println!(
        "| generator + `RoundSeed::prn` of every id, no sampler (the hashing ceiling) | {:.2} s, {} ids per second |",
        hashed.as_secs_f64(),
        thousands((entities as f64 / hashed.as_secs_f64().max(1e-9)) as u64)
    );
    match &openssl {
        Ok(openssl) => {
            let ratio = rate / openssl.ops_per_second();
            println!(
                "| `openssl speed -evp sha256 -bytes 16 -seconds {openssl_seconds}` ({}) | {:.2}k bytes/s = {} SHA-256 of 16 bytes per second |",
                openssl.version,
                openssl.kbytes_per_second,
                thousands(openssl.ops_per_second() as u64)
            );
            println!(
                "| **ratio to the one-block SHA-256 rate** | **{ratio:.2}×** (goal ≥ 1.0×: {}) |",
                if ratio >= 1.0 { "met" } else { "NOT met" }
            );
        }
        Err(error) => println!("| openssl comparison | not available: {error:#} |"),
    }
    match peak {
        Some(peak) => {
            let gib = peak as f64 / 1_048_576.0;
            let scope = if peak_reset {
                format!(
                    "reset before the draw at {:.0} MiB resident",
                    rss_before.unwrap_or(0) as f64 / 1024.0
                )
            } else {
                "whole process: could not reset it".into()
            };
            println!(
                "| **peak resident memory (VmHWM, {scope})** | **{:.0} MiB** (goal < 1 GiB: {}) |",
                peak as f64 / 1024.0,
                if gib < 1.0 { "met" } else { "NOT met" }
            );
        }
        None => println!("| peak resident memory | not available (/proc/self/status) |"),
    }
    println!("| selected | {} |", thousands(drawn.selected.len() as u64));
    println!();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use draw::FrameRow;

    #[test]
    fn streamed_national_plan_equals_draw_plan_on_the_materialised_frame() -> anyhow::Result<()> {
        let seed = RoundSeed::from_bytes([9; 32]);
        let plan = plan()?;
        let count = 20_000;
        let streamed = draw_national(&seed, &plan, count, &national_populations(count))?;
        let mut frame = Vec::new();
        let mut ids = NationalIds::new(count);
        while let Some((id, risk)) = ids.next_id() {
            frame.push(FrameRow {
                id: id.into(),
                stratum: risk.as_str().into(),
            });
        }
        frame.reverse();
        assert_eq!(streamed, draw::draw_plan(&seed, &plan, &frame)?);
        Ok(())
    }

    #[test]
    fn openssl_figure_is_parsed() {
        let out = "The 'numbers' are in 1000s of bytes per second processed.\ntype             16 bytes\nsha256           72442.13k\n";
        assert_eq!(parse_speed(out), Some(72442.13));
        assert_eq!(parse_speed("sha256 n/a"), None);
    }
}
