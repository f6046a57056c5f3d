//! The workspace's crates are its layers (docs/architecture.md): each depends
//! only on crates below it, the domain has no database, web framework or async
//! runtime in its tree, the web application does not depend on the simulator,
//! and a build without the default features leaves the simulator out. Read from
//! `cargo metadata` and `cargo tree`, as an outside check would.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::process::Command;

use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

/// The layers, bottom first. A crate may depend on crates of lower layers only.
const LAYERS: [&[&str]; 8] = [
    &["draw", "workcal"],
    &["domain"],
    &["storage"],
    &["files"],
    &["service"],
    &["web"],
    &["sim"],
    &["jianguan"],
];

fn layer(package: &str) -> Option<usize> {
    LAYERS.iter().position(|names| names.contains(&package))
}

fn cargo(args: &[&str]) -> Result<String, Box<dyn Error>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "cargo {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Package name → the names of its normal (non-dev, non-build) dependencies,
/// over the whole resolved graph; and the workspace members' names.
struct Graph {
    dependencies: BTreeMap<String, BTreeSet<String>>,
    members: BTreeSet<String>,
}

impl Graph {
    fn read() -> Result<Self, Box<dyn Error>> {
        let metadata: Value =
            serde_json::from_str(&cargo(&["metadata", "--format-version", "1", "--locked"])?)?;
        let name_of = |id: &str| -> Option<String> {
            metadata["packages"]
                .as_array()?
                .iter()
                .find(|p| p["id"] == id)
                .and_then(|p| p["name"].as_str())
                .map(str::to_owned)
        };
        let members = metadata["workspace_members"]
            .as_array()
            .ok_or("no workspace_members")?
            .iter()
            .filter_map(|id| id.as_str().and_then(name_of))
            .collect();
        let mut dependencies = BTreeMap::new();
        for node in metadata["resolve"]["nodes"]
            .as_array()
            .ok_or("no resolve graph")?
        {
            let Some(name) = node["id"].as_str().and_then(name_of) else {
                continue;
            };
            let normal = node["deps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|kind| kind["kind"].is_null())
                })
                .filter_map(|dep| dep["pkg"].as_str().and_then(name_of));
            dependencies
                .entry(name)
                .or_insert_with(BTreeSet::new)
                .extend(normal);
        }
        Ok(Self {
            dependencies,
            members,
        })
    }

    /// Every package `package` depends on, directly or not.
    fn tree(&self, package: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![package.to_owned()];
        while let Some(next) = stack.pop() {
            for dep in self.dependencies.get(&next).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    stack.push(dep.clone());
                }
            }
        }
        seen
    }
}

#[test]
fn every_crate_depends_only_on_crates_below_it() -> TestResult {
    let graph = Graph::read()?;
    let mut upward = Vec::new();
    for member in &graph.members {
        let here = layer(member).ok_or(format!("{member} is in no layer of LAYERS"))?;
        for dep in graph.dependencies.get(member).into_iter().flatten() {
            if !graph.members.contains(dep) {
                continue;
            }
            let there = layer(dep).ok_or(format!("{dep} is in no layer"))?;
            if there >= here {
                upward.push(format!("{member} → {dep}"));
            }
        }
    }
    assert!(upward.is_empty(), "dependencies not downward: {upward:?}");
    Ok(())
}

#[test]
fn the_domain_has_no_database_web_framework_or_runtime() -> TestResult {
    let graph = Graph::read()?;
    let tree = graph.tree("domain");
    assert!(tree.contains("chrono"), "the graph was not read: {tree:?}");
    for forbidden in ["sqlx", "axum", "tokio", "hyper", "askama"] {
        assert!(!tree.contains(forbidden), "domain depends on {forbidden}");
    }
    Ok(())
}

#[test]
fn the_web_application_does_not_depend_on_the_simulator() -> TestResult {
    let graph = Graph::read()?;
    let web = graph.tree("web");
    assert!(web.contains("service"), "the graph was not read: {web:?}");
    assert!(!web.contains("sim"), "web depends on sim");
    assert!(
        graph.tree("jianguan").contains("sim"),
        "sim is a default feature"
    );
    Ok(())
}

#[test]
fn a_build_without_default_features_leaves_the_simulator_out() -> TestResult {
    let tree = |features: &[&str]| -> Result<BTreeSet<String>, Box<dyn Error>> {
        let mut args = vec!["tree", "-p", "jianguan", "-e", "normal", "--prefix", "none"];
        args.extend_from_slice(features);
        args.push("--locked");
        Ok(cargo(&args)?
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .map(str::to_owned)
            .collect())
    };
    assert!(tree(&[])?.contains("sim"));
    let production = tree(&["--no-default-features"])?;
    assert!(production.contains("web"), "not read: {production:?}");
    assert!(!production.contains("sim"), "sim in --no-default-features");
    Ok(())
}
