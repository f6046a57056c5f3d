//! The Huangshi round: 156 plans over 403,000 entities, 3,010 inspectors, cap 40.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use draw::{
    Demand, FrameRow, PlanDraw, PlanSpec, Record, RoundInput, RoundSeed, Secret, draw_plan,
    group_visits, match_inspectors,
};

use super::{Spread, ms, peak_rss_kib, thousands};
use crate::synth::{City, PlanSet, SyntheticRound};

/// Inspectors each department sends per visit.
const K: u32 = 2;
/// Most visits per inspector in the round.
const CAP: u32 = 40;
const BEACON: &str = "jianguan bench huangshi 2022-06-28";

/// The round's input, built from the synthetic city (not timed: it is the data load).
struct Round {
    input: RoundInput,
    /// Inspector indexes of each department code.
    by_department: HashMap<String, Vec<u32>>,
    entities: usize,
    departments: usize,
    /// Smallest and largest inspector corps, with the largest's code.
    corps: (usize, usize, String),
    joint_plans: usize,
    frames: usize,
}

fn build_round() -> anyhow::Result<Round> {
    let city = City::huangshi();
    let set = PlanSet::huangshi(&city);
    let secret = Secret::from_bytes(draw::sha256(&[b"jianguan/bench/huangshi/secret"]));
    let SyntheticRound {
        input,
        by_department,
    } = SyntheticRound::build(&city, &set, secret, BEACON, CAP)?;
    let joint_plans = set
        .plans
        .iter()
        .filter(|p| set.plans.iter().filter(|q| q.frame == p.frame).count() > 1)
        .count();
    let departments = set
        .plans
        .iter()
        .map(|p| p.department)
        .collect::<HashSet<_>>()
        .len();
    let smallest = by_department.values().map(Vec::len).min().unwrap_or(0);
    let (largest_code, largest) = by_department
        .iter()
        .map(|(code, list)| (code.clone(), list.len()))
        .max_by_key(|(_, n)| *n)
        .unwrap_or_default();
    Ok(Round {
        input,
        by_department,
        entities: city.entities.len(),
        departments,
        corps: (smallest, largest, largest_code),
        joint_plans,
        frames: set.frames.len(),
    })
}

impl Round {
    fn demand(&self, department: &str) -> Demand {
        Demand {
            k: K,
            candidates: self
                .by_department
                .get(department)
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// The whole round (selection, visits, matching, record) and its JSON bytes, on a copy of the input.
    fn draw(&self) -> anyhow::Result<(Record, Vec<u8>)> {
        let record = draw::draw_round(self.input.clone(), |_, department| self.demand(department))?;
        let bytes = serde_json::to_vec(&record)?;
        Ok((record, bytes))
    }

    fn select(&self, seed: &RoundSeed) -> anyhow::Result<Vec<PlanDraw>> {
        Ok(draw::draw_plans(seed, &self.input.plans)?)
    }
}

/// Runs the Huangshi benchmark and prints its section of the report.
pub(super) fn run(runs: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let started = Instant::now();
    let round = build_round()?;
    let built = started.elapsed();
    let frame_rows: usize = round.input.plans.iter().map(|(_, frame)| frame.len()).sum();

    // Warm-up, then the timed runs of the whole round.
    let (record, bytes) = round.draw()?;
    let mut whole = Vec::with_capacity(runs);
    let mut draw_only = Vec::with_capacity(runs);
    for _ in 0..runs {
        // The input is the loaded data: copying it is not timed; the draw moves it into the record.
        let input = round.input.clone();
        let start = Instant::now();
        let record = draw::draw_round(input, |_, department| round.demand(department))?;
        let drawn = start.elapsed();
        let json = serde_json::to_vec(&record)?;
        let total = start.elapsed();
        std::hint::black_box(&json);
        whole.push(total);
        draw_only.push(drawn);
        drop((record, json));
    }
    let whole = Spread::of(&whole);
    let draw_only = Spread::of(&draw_only);

    // Phases, through the library's public steps, for the breakdown.
    let seed = RoundSeed::derive(&round.input.secret, &round.input.beacon);
    let mut selection_times = Vec::with_capacity(runs);
    let mut matching_times = Vec::with_capacity(runs);
    let mut draws = round.select(&seed)?;
    for _ in 0..runs {
        let start = Instant::now();
        draws = round.select(&seed)?;
        selection_times.push(start.elapsed());
        let start = Instant::now();
        let pairs: Vec<(&PlanSpec, &PlanDraw)> = round
            .input
            .plans
            .iter()
            .map(|(p, _)| p)
            .zip(draws.iter())
            .collect();
        let visits = group_visits(&pairs);
        let staffing = match_inspectors(
            &seed,
            &visits,
            &round.input.inspectors,
            Some(CAP),
            |_, department| round.demand(department),
        )?;
        matching_times.push(start.elapsed());
        std::hint::black_box(&staffing);
    }
    let selection = Spread::of(&selection_times);
    let matching = Spread::of(&matching_times);

    let verify_start = Instant::now();
    let deviations = draw::verify(&record);
    let verified = verify_start.elapsed();
    if let Some(first) = deviations.first() {
        bail!(
            "the benchmark's record does not verify: {} deviations, first {first}",
            deviations.len()
        );
    }

    let selections: usize = record.plans.iter().map(|p| p.selected.len()).sum();
    let staffings: usize = record.visits.iter().map(|v| v.departments.len()).sum();
    let tickets: usize = record
        .visits
        .iter()
        .flat_map(|v| &v.departments)
        .map(|d| d.eligible.len())
        .sum();
    let unstaffed: usize = record
        .visits
        .iter()
        .flat_map(|v| &v.departments)
        .filter(|d| d.unstaffed)
        .count();
    let mut loads: HashMap<&str, u32> = HashMap::new();
    for assigned in record
        .visits
        .iter()
        .flat_map(|v| &v.departments)
        .flat_map(|d| &d.assigned)
    {
        *loads.entry(&**assigned).or_default() += 1;
    }
    let max_load = loads.values().copied().max().unwrap_or(0);
    let multi_plan_visits = record.visits.iter().filter(|v| v.plans.len() > 1).count();
    let doors = Doors::count(&round)?;

    println!("## Huangshi round\n");
    println!(
        "Data (generated in {}, not timed): {} entities; {} plans across {} departments, {} of them in joint plans \
         ({} distinct frames); {} frame rows in all; {} inspectors ({} to {} per department, the most in {}); every inspector of a \
         department is a candidate for its visits; k = {K} per department per visit; cap {CAP}.\n",
        ms(built),
        thousands(round.entities as u64),
        round.input.plans.len(),
        round.departments,
        round.joint_plans,
        round.frames,
        thousands(frame_rows as u64),
        thousands(round.input.inspectors.len() as u64),
        round.corps.0,
        round.corps.1,
        round.corps.2,
    );
    println!(
        "Outcome: {} (plan, entity) selections; {} visits ({} of them for more than one plan); {} department staffings, {} unstaffed, {} eligible inspectors listed (one ticket each); busiest inspector {} visits; record {:.1} MB of JSON; `draw::verify` finds {} deviations ({}).\n",
        thousands(selections as u64),
        thousands(record.visits.len() as u64),
        thousands(multi_plan_visits as u64),
        thousands(staffings as u64),
        unstaffed,
        thousands(tickets as u64),
        max_load,
        bytes.len() as f64 / 1e6,
        deviations.len(),
        ms(verified),
    );
    println!("| measure ({runs} runs after 1 warm-up) | time |");
    println!("| --- | --- |");
    println!("| **whole round: `draw_round` + record to JSON bytes** | **{whole}** |");
    println!("| of which `draw_round` (selection, visits, matching, record) | {draw_only} |");
    println!("| selection alone: 156 × `draw_plan` | {selection} |");
    println!("| visits and matching alone: `group_visits` + `match_inspectors` | {matching} |");
    println!();
    let goal = if whole.median < Duration::from_secs(1) {
        "met"
    } else {
        "NOT met"
    };
    println!("Goal: median under 1 s — {goal} ({}).\n", ms(whole.median));

    doors.print(selections, record.visits.len());

    match postgres {
        None => println!(
            "PostgreSQL baseline: skipped (no `--postgres URL`; `scripts/pg-start.sh` starts a local server and prints the URL).\n"
        ),
        Some(url) => {
            let baseline = postgres_baseline(url, &round, &draws, runs, selections)?;
            baseline.print(whole.median, selection.median);
        }
    }
    if let Some(peak) = peak_rss_kib() {
        println!(
            "Peak resident memory of the process so far (VmHWM): {:.0} MiB.\n",
            peak as f64 / 1024.0
        );
    }
    Ok(())
}

/// Doors knocked: visits against selections and against independent draws.
struct Doors {
    /// 156 draws with per-plan seeds: distinct (joint plan or single plan, entity) pairs.
    independent_by_group: usize,
    /// The same draws merged by entity alone.
    independent_by_entity: usize,
    /// Status quo: one draw per frame (the lead draws for its joint plan), per-frame seeds: selections.
    lead_draws: usize,
    /// Those merged by entity.
    lead_draws_by_entity: usize,
}

impl Doors {
    fn count(round: &Round) -> anyhow::Result<Self> {
        // Frames are shared by the entries of a joint plan: group plans by frame contents.
        let mut group_of_frame: HashMap<&[FrameRow], usize> = HashMap::new();
        let mut groups = Vec::with_capacity(round.input.plans.len());
        for (_, frame) in &round.input.plans {
            let next = group_of_frame.len();
            groups.push(*group_of_frame.entry(frame.as_slice()).or_insert(next));
        }
        let mut by_group: HashSet<(usize, String)> = HashSet::new();
        let mut by_entity: HashSet<String> = HashSet::new();
        for ((plan, frame), &group) in round.input.plans.iter().zip(&groups) {
            let seed = RoundSeed::from_bytes(draw::sha256(&[
                b"jianguan/bench/independent\0",
                plan.id.as_bytes(),
            ]));
            for selection in draw_plan(&seed, plan, frame)?.selected {
                by_entity.insert(selection.id.clone());
                by_group.insert((group, selection.id));
            }
        }
        let mut lead_draws = 0;
        let mut lead_entities: HashSet<String> = HashSet::new();
        let mut done: HashSet<usize> = HashSet::new();
        for ((plan, frame), &group) in round.input.plans.iter().zip(&groups) {
            if !done.insert(group) {
                continue;
            }
            let seed = RoundSeed::from_bytes(draw::sha256(&[
                b"jianguan/bench/independent-lead\0",
                plan.id.as_bytes(),
            ]));
            let drawn = draw_plan(&seed, plan, frame)?;
            lead_draws += drawn.selected.len();
            lead_entities.extend(drawn.selected.into_iter().map(|s| s.id));
        }
        Ok(Self {
            independent_by_group: by_group.len(),
            independent_by_entity: by_entity.len(),
            lead_draws,
            lead_draws_by_entity: lead_entities.len(),
        })
    }

    fn print(&self, selections: usize, visits: usize) {
        let ratio = |doors: usize| {
            if visits == 0 {
                0.0
            } else {
                doors as f64 / visits as f64
            }
        };
        println!("Doors knocked (visits; each row counts what a visiting team would knock on):\n");
        println!("| drawing | doors | × ours |");
        println!("| --- | --- | --- |");
        println!(
            "| **jianguan: one round seed, one visit per drawn entity** | **{}** | 1.00 |",
            thousands(visits as u64)
        );
        println!(
            "| (plan, entity) selections: every plan visits alone, no joint visits | {} | {:.2} |",
            thousands(selections as u64),
            ratio(selections)
        );
        println!(
            "| 156 independent draws (own seed per plan), one visit per (joint or single plan, entity) | {} | {:.2} |",
            thousands(self.independent_by_group as u64),
            ratio(self.independent_by_group)
        );
        println!(
            "| the same 156 draws, merged by entity wherever they coincide | {} | {:.2} |",
            thousands(self.independent_by_entity as u64),
            ratio(self.independent_by_entity)
        );
        println!(
            "| status quo: the lead draws once per joint plan, own seed per frame, one visit per selection | {} | {:.2} |",
            thousands(self.lead_draws as u64),
            ratio(self.lead_draws)
        );
        println!(
            "| the same frame draws, merged by entity wherever they coincide | {} | {:.2} |",
            thousands(self.lead_draws_by_entity as u64),
            ratio(self.lead_draws_by_entity)
        );
        println!();
    }
}

/// The PostgreSQL baseline's figures.
struct Baseline {
    server: String,
    rows: usize,
    statements: Spread,
    wall: Spread,
    connect: Spread,
    load: Duration,
}

impl Baseline {
    fn print(&self, ours_whole: Duration, ours_selection: Duration) {
        let ratio = |a: Duration, b: Duration| {
            if b.is_zero() {
                0.0
            } else {
                a.as_secs_f64() / b.as_secs_f64()
            }
        };
        println!("### PostgreSQL baseline\n");
        println!(
            "{}; the 156 frames loaded with `\\copy` in {} (excluded). Each plan drawn by one statement \
             `row_number() OVER (PARTITION BY stratum ORDER BY random())` keeping each stratum's n_h (the same n_h \
             as ours); {} rows returned per run, as many as our selections.\n",
            self.server,
            ms(self.load),
            thousands(self.rows as u64)
        );
        println!("| measure | time |");
        println!("| --- | --- |");
        println!(
            "| **156 statements, sum of server round trips (psql `\\timing`)** | **{}** |",
            self.statements
        );
        println!(
            "| the same psql run, wall clock including start-up and connection | {} |",
            self.wall
        );
        println!(
            "| psql start-up and connection alone (`SELECT 1`) | {} |",
            self.connect
        );
        println!();
        let goal = ratio(self.statements.median, ours_whole);
        println!(
            "Ratio PostgreSQL median / ours median: **{goal:.1}×** (goal ≥ 30×: {}) — PostgreSQL's selection \
             against our whole round; selection against selection: {:.1}×.\n",
            if goal >= 30.0 { "met" } else { "NOT met" },
            ratio(self.statements.median, ours_selection)
        );
    }
}

/// Removes the temporary directory on every path out.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn psql(url: &str, script: &Path) -> anyhow::Result<(String, Duration)> {
    let start = Instant::now();
    let output = Command::new("psql")
        .arg(url)
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(script)
        .output()
        .context("could not run psql (the PostgreSQL client) for the baseline")?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        bail!(
            "psql failed on {}: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok((
        String::from_utf8_lossy(&output.stdout).into_owned(),
        elapsed,
    ))
}

/// Sums psql's `Time: 1.234 ms` lines and counts the other non-empty lines (rows).
fn parse_timing(stdout: &str) -> (Duration, usize) {
    let mut total = 0.0f64;
    let mut rows = 0;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("Time: ") {
            if let Some(value) = rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
            {
                total += value;
            }
        } else if !line.trim().is_empty() {
            rows += 1;
        }
    }
    (Duration::from_secs_f64(total / 1000.0), rows)
}

fn postgres_baseline(
    url: &str,
    round: &Round,
    draws: &[PlanDraw],
    runs: usize,
    selections: usize,
) -> anyhow::Result<Baseline> {
    let dir = TempDir(std::env::temp_dir().join(format!("jianguan-bench-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).with_context(|| format!("creating {}", dir.0.display()))?;

    let mut tsv = String::new();
    for (plan, frame) in &round.input.plans {
        for row in frame {
            let _ = writeln!(tsv, "{}\t{}\t{}", plan.id, row.id, row.stratum);
        }
    }
    let tsv_path = dir.0.join("frames.tsv");
    std::fs::write(&tsv_path, tsv)?;
    let tsv_text = tsv_path.to_str().context("temporary path is not UTF-8")?;
    if tsv_text.contains('\'') {
        bail!("temporary path {tsv_text} contains a quote");
    }
    let setup = format!(
        "\\timing on\n\
         DROP TABLE IF EXISTS jianguan_bench_frame;\n\
         CREATE TABLE jianguan_bench_frame (plan_id text NOT NULL, id text NOT NULL, stratum text NOT NULL);\n\
         \\copy jianguan_bench_frame FROM '{tsv_text}'\n\
         CREATE INDEX ON jianguan_bench_frame (plan_id);\n\
         VACUUM ANALYZE jianguan_bench_frame;\n\
         SELECT 'server: ' || version();\n"
    );
    let setup_path = dir.0.join("setup.sql");
    std::fs::write(&setup_path, setup)?;
    let (setup_out, _) = psql(url, &setup_path)?;
    let (load, _) = parse_timing(&setup_out);
    let server = setup_out
        .lines()
        .find_map(|line| line.strip_prefix("server: "))
        .map(|v| v.split(" on ").next().unwrap_or(v).to_owned())
        .unwrap_or_else(|| "PostgreSQL".into());

    let mut script = String::from("\\timing on\n");
    for ((plan, _), drawn) in round.input.plans.iter().zip(draws) {
        let mut quota = String::from("CASE stratum");
        for outcome in &drawn.strata {
            if !outcome.stratum.chars().all(|c| c.is_ascii_alphanumeric()) {
                bail!(
                    "stratum label {:?} cannot be written into SQL",
                    outcome.stratum
                );
            }
            let _ = write!(
                quota,
                " WHEN '{}' THEN {}",
                outcome.stratum, outcome.sample_size
            );
        }
        quota.push_str(" ELSE 0 END");
        if !plan
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            bail!("plan id {:?} cannot be written into SQL", plan.id);
        }
        let _ = writeln!(
            script,
            "SELECT id, stratum FROM (SELECT id, stratum, row_number() OVER (PARTITION BY stratum ORDER BY random()) AS rn \
             FROM jianguan_bench_frame WHERE plan_id = '{}') AS ranked WHERE rn <= {quota};",
            plan.id
        );
    }
    let script_path = dir.0.join("draw.sql");
    std::fs::write(&script_path, script)?;
    let trivial_path = dir.0.join("trivial.sql");
    std::fs::write(&trivial_path, "SELECT 1;\n")?;

    let mut statements = Vec::with_capacity(runs);
    let mut walls = Vec::with_capacity(runs);
    let mut connects = Vec::with_capacity(runs);
    let mut rows = 0;
    for run in 0..=runs {
        let (out, wall) = psql(url, &script_path)?;
        let (time, counted) = parse_timing(&out);
        let (_, connect) = psql(url, &trivial_path)?;
        if counted != selections {
            bail!("PostgreSQL returned {counted} rows, but the plans select {selections}");
        }
        rows = counted;
        if run > 0 {
            statements.push(time);
            walls.push(wall);
            connects.push(connect);
        }
    }
    let cleanup_path = dir.0.join("cleanup.sql");
    std::fs::write(
        &cleanup_path,
        "DROP TABLE IF EXISTS jianguan_bench_frame;\n",
    )?;
    psql(url, &cleanup_path)?;
    Ok(Baseline {
        server,
        rows,
        statements: Spread::of(&statements),
        wall: Spread::of(&walls),
        connect: Spread::of(&connects),
        load,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_timing_lines_are_summed() {
        let out = "91420200MA4XXXXXXX|A\nTime: 1.500 ms\nTime: 1234.250 ms (00:01.234)\n\n";
        let (time, rows) = parse_timing(out);
        assert_eq!(rows, 1);
        assert_eq!(time, Duration::from_micros(1_235_750));
    }
}
