//! `jianguan commit`, `draw` and `verify`: the offline protocol tools for auditors and scripts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde::Deserialize;

use draw::{Demand, FrameRow, RecordStratum, RoundInput, Secret};

/// Inspectors each department sends to a visit in offline mode.
const OFFLINE_K: u32 = 2;

/// Options of `jianguan draw`.
#[derive(Debug, clap::Args)]
pub struct DrawArgs {
    /// The request: secret, beacon, cap, plans with frames, inspectors.
    #[arg(long, value_name = "REQ.json")]
    request: PathBuf,
    /// Where to write the record (written whole, or not at all).
    #[arg(long, value_name = "RECORD.json")]
    out: PathBuf,
}

/// Options of `jianguan verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The draw record to recompute.
    #[arg(value_name = "RECORD.json")]
    record: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrawRequest {
    secret: String,
    beacon: String,
    cap: u32,
    plans: Vec<RequestPlan>,
    inspectors: Vec<RequestInspector>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestPlan {
    id: String,
    department: String,
    strata: Vec<RecordStratum>,
    frame: Vec<FrameRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestInspector {
    id: String,
    department: String,
}

/// Reads a JSON file; errors name the file, the field path and the position.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        let field = if field == "." {
            "the document".to_owned()
        } else {
            format!("field `{field}`")
        };
        anyhow::anyhow!("{}: {field}: {}", path.display(), error.inner())
    })
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash leaves the old file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

/// `jianguan commit`.
pub fn commit() -> anyhow::Result<ExitCode> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|error| anyhow::anyhow!("the OS random number generator failed: {error}"))?;
    let secret = Secret::from_bytes(bytes);
    #[derive(serde::Serialize)]
    struct Commitment {
        secret: String,
        commitment: String,
    }
    let output = Commitment {
        secret: secret.to_hex(),
        commitment: draw::to_hex(&secret.commitment()),
    };
    println!("{}", serde_json::to_string(&output)?);
    Ok(ExitCode::SUCCESS)
}

/// `jianguan draw`.
pub fn draw(args: &DrawArgs) -> anyhow::Result<ExitCode> {
    let request: DrawRequest = read_json(&args.request)?;
    let input = round_input(&request).with_context(|| format!("{}", args.request.display()))?;
    let department_of: Vec<&str> = request
        .inspectors
        .iter()
        .map(|i| i.department.as_str())
        .collect();
    let mut by_department: HashMap<&str, Vec<u32>> = HashMap::new();
    for (index, department) in department_of.iter().enumerate() {
        by_department
            .entry(department)
            .or_default()
            .push(u32::try_from(index)?);
    }
    let record = draw::draw_round(input, |_, department| Demand {
        k: OFFLINE_K,
        candidates: by_department.get(department).cloned().unwrap_or_default(),
    })
    .with_context(|| format!("{}", args.request.display()))?;
    let mut bytes = serde_json::to_vec_pretty(&record)?;
    bytes.push(b'\n');
    write_atomically(&args.out, &bytes)?;
    let unstaffed = record
        .visits
        .iter()
        .flat_map(|v| &v.departments)
        .filter(|d| d.unstaffed)
        .count();
    eprintln!(
        "drew {} plans: {} visits, {} department slots unstaffed; record written to {}",
        record.plans.len(),
        record.visits.len(),
        unstaffed,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn round_input(request: &DrawRequest) -> anyhow::Result<RoundInput> {
    let secret = Secret::from_hex(&request.secret).context("field `secret`")?;
    let mut plans = Vec::with_capacity(request.plans.len());
    for (index, plan) in request.plans.iter().enumerate() {
        let strata = plan
            .strata
            .iter()
            .enumerate()
            .map(|(position, rule)| {
                rule.to_rule()
                    .with_context(|| format!("field `plans[{index}].strata[{position}]`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let spec = draw::PlanSpec {
            id: plan.id.clone(),
            department: plan.department.clone(),
            strata,
        };
        spec.validate()
            .with_context(|| format!("field `plans[{index}]`"))?;
        plans.push((spec, plan.frame.clone()));
    }
    let mut inspectors: Vec<String> = Vec::with_capacity(request.inspectors.len());
    for (index, inspector) in request.inspectors.iter().enumerate() {
        if inspectors.contains(&inspector.id) {
            bail!(
                "field `inspectors[{index}].id`: inspector {} is listed more than once",
                inspector.id
            );
        }
        inspectors.push(inspector.id.clone());
    }
    Ok(RoundInput {
        secret,
        beacon: request.beacon.clone(),
        cap: Some(request.cap),
        plans,
        inspectors,
    })
}

/// `jianguan verify`.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let record: draw::Record = read_json(&args.record)?;
    let deviations = draw::verify(&record);
    if deviations.is_empty() {
        println!("conforms");
        return Ok(ExitCode::SUCCESS);
    }
    for deviation in &deviations {
        println!("{deviation}");
    }
    eprintln!("{} deviation(s) from jianguan-draw/v1", deviations.len());
    Ok(ExitCode::FAILURE)
}
