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
    /// The document to check: a full record (spec §7) or its public view.
    #[arg(value_name = "RECORD.json")]
    record: PathBuf,
    /// The full record the public view was derived from: adds check 5.
    #[arg(long, value_name = "FULL.json")]
    full: Option<PathBuf>,
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
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_json(path, &bytes)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash leaves the old file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    files::write_atomically(path, bytes).with_context(|| format!("cannot write {}", path.display()))
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

/// Which document a file holds: only a public view carries `"view": "public"`.
#[derive(Deserialize)]
struct DocumentKind {
    view: Option<String>,
}

/// Parses `bytes` read from `path`; errors name the file, the field path and the position.
fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> anyhow::Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
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

/// `jianguan verify`: a full record (every check of the spec) or a public view
/// (checks 1–4 of the addendum, and 5 with `--full`), saying which checks ran.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.record)
        .with_context(|| format!("cannot read {}", args.record.display()))?;
    let kind: DocumentKind = parse_json(&args.record, &bytes)?;
    let deviations = if kind.view.as_deref() == Some(draw::PUBLIC_VIEW) {
        let view: draw::PublicView = parse_json(&args.record, &bytes)?;
        let full = match &args.full {
            Some(path) => {
                let full_bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let record: draw::Record = parse_json(path, &full_bytes)?;
                Some((record, full_bytes))
            }
            None => None,
        };
        let report = draw::verify_public(
            &view,
            full.as_ref()
                .map(|(record, bytes)| (record, bytes.as_slice())),
        );
        println!("public view: checks run:");
        for check in &report.checks {
            println!("  {check}");
        }
        if full.is_none() {
            println!("  (check 5 needs the full record: --full FULL.json)");
        }
        report.deviations
    } else {
        if let Some(view) = &kind.view {
            bail!(
                "{}: field `view`: {view:?} is not a known view; expected \"public\" or no `view`",
                args.record.display()
            );
        }
        if args.full.is_some() {
            bail!(
                "--full is for a public view; {} is a full record",
                args.record.display()
            );
        }
        let record: draw::Record = parse_json(&args.record, &bytes)?;
        println!("full record: checks run:");
        for check in draw::FULL_RECORD_CHECKS {
            println!("  {check}");
        }
        draw::verify(&record)
    };
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
