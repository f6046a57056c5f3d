//! `jianguan demo`: the demo city drawn end to end, commit → beacon → draw → publish → verify.
//!
//! Until the storage-backed workflow exists, the demo runs one round offline on
//! the synthetic Huangshi and writes its record to the data folder.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::synth::{City, PlanSet, SyntheticRound, corps_demand};

/// Inspectors each department sends to a visit.
const INSPECTORS_PER_VISIT: u32 = 2;
/// Most visits per inspector in a round.
const LOAD_CAP: u32 = 40;

/// Options of `jianguan demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The witnesses' beacon, typed in at the draw.
    #[arg(long, default_value = "监督员现场输入 20220628 403000")]
    beacon: String,
    /// Where the published record goes.
    #[arg(long, value_name = "DIR", env = "JIANGUAN_DATA", default_value = "data")]
    data_dir: PathBuf,
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let city = City::huangshi();
    let set = PlanSet::huangshi(&city);
    println!(
        "演示城市 demo city: {} market entities, {} inspectors, {} departments, {} plans ({:.1} s)",
        city.entities.len(),
        city.inspectors.len(),
        city.departments.len(),
        set.plans.len(),
        started.elapsed().as_secs_f64()
    );

    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|error| anyhow::anyhow!("the OS random number generator failed: {error}"))?;
    let secret = draw::Secret::from_bytes(secret);
    println!("1. 承诺 commitment published before the draw: {}", draw::to_hex(&secret.commitment()));
    let round = SyntheticRound::build(&city, &set, secret, &args.beacon, LOAD_CAP)?;
    println!("2. 见证人 beacon entered by the witnesses: {}", draw::normalize_beacon(&args.beacon));

    let drawing = Instant::now();
    let SyntheticRound { input, by_department } = round;
    let record = draw::draw_round(input, |_, department| corps_demand(&by_department, department, INSPECTORS_PER_VISIT))?;
    let selections: usize = record.plans.iter().map(|plan| plan.selected.len()).sum();
    let unstaffed = record.visits.iter().flat_map(|visit| &visit.departments).filter(|d| d.unstaffed).count();
    println!(
        "3. 抽取 drawn in {:.2} s: {selections} (plan, entity) selections in {} visits ({:.1}× fewer doors), {unstaffed} department slots unstaffed",
        drawing.elapsed().as_secs_f64(),
        record.visits.len(),
        selections as f64 / record.visits.len().max(1) as f64,
    );

    let folder = args.data_dir.join("demo");
    std::fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let path = folder.join("round-1.json");
    super::offline::write_atomically(&path, &serde_json::to_vec(&record)?)?;
    println!("4. 公开 record published with the secret: {}", path.display());

    let deviations = draw::verify(&record);
    if !deviations.is_empty() {
        for deviation in &deviations {
            println!("   {deviation}");
        }
        anyhow::bail!("the demo record does not conform");
    }
    println!("5. 验证 verified: conforms. Anyone can repeat it:");
    println!("     jianguan verify {}", path.display());
    println!("     python3 tools/verify_record.py {}", path.display());

    if let Some(visit) = record.visits.iter().find(|visit| visit.plans.len() > 1) {
        explain_one_subject(&record, visit);
    }
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// How an enterprise checks its own fate with the revealed seed, its code and the cut-off.
fn explain_one_subject(record: &draw::Record, visit: &draw::RecordVisit) {
    let seed = draw::RoundSeed::from_bytes(record.round_seed.0);
    let prn = seed.prn(visit.subject.as_bytes());
    println!("6. 自查 an enterprise checks itself: {}", visit.subject);
    println!("     prn = first 8 bytes of SHA-256(round_seed ‖ code) = {prn:016x}");
    for plan in record.plans.iter().filter(|plan| visit.plans.contains(&plan.id)) {
        let Some(row) = plan.frame.iter().find(|row| row.id == visit.subject) else { continue };
        let cutoff = plan.cutoffs.get(&row.stratum).map_or_else(|| "none".to_owned(), ToString::to_string);
        println!("     plan {} stratum {}: cut-off {cutoff}, prn ≤ cut-off → drawn", plan.id, row.stratum);
    }
    for staffing in &visit.departments {
        println!("     {} sends {}", staffing.department, staffing.assigned.join(", "));
    }
}
