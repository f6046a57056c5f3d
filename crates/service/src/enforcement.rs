//! Enforcement supervision: importing discretion benchmarks and penalty cases
//! (every change on the ledger), and the checks the Justice Bureau runs over
//! the register (行政处罚法 2021 Art. 33, 34, 42, 48, 58, 60, 85;
//! 国办发〔2018〕118号). See docs/enforcement.md.
//!
//! The checks ([`check_case`], [`check_cases`]) are pure functions over
//! domain types; [`run_check`] loads what they need.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use domain::enforcement::{
    BenchmarkRow, CaseRules, DiscretionVersion, ListKind, PartyKind, PenaltyCase, Tier, yuan,
};
use domain::hotline::WorkingDays;
use domain::inspector::Inspector;
use files::{ImportError, Outcome, Problem};
use storage::export::Inspectors;
use storage::{CaseStore, Change, InspectorFilter, MAX_PAGE, WorkflowStore};

use super::hotline::department_lookup;

/// The rule names, in the order the issue lists them.
pub const RULES: [&str; 8] = [
    "officers",
    "unknown_behaviour",
    "tier_range",
    "first_offence",
    "legal_review",
    "publicity",
    "withdrawal",
    "decision_late",
];

/// One finding: a case breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// 案件编号.
    pub case: String,
    /// One of [`RULES`].
    pub rule: String,
    /// What is wrong, in English.
    pub detail: String,
}

/// What `cases check` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Cases checked.
    pub cases: usize,
    /// Findings, by case then rule.
    pub findings: Vec<Finding>,
}

/// A version's rows by department, then behaviour code.
type RowIndex<'v> = HashMap<&'v str, HashMap<&'v str, Vec<&'v BenchmarkRow>>>;

/// The benchmark versions, each indexed by (department, behaviour code).
pub struct Benchmarks<'v> {
    versions: &'v [DiscretionVersion],
    index: HashMap<u32, RowIndex<'v>>,
}

impl<'v> Benchmarks<'v> {
    /// Indexes `versions`.
    pub fn new(versions: &'v [DiscretionVersion]) -> Self {
        let index = versions
            .iter()
            .map(|version| {
                let mut rows: RowIndex<'v> = HashMap::new();
                for row in &version.rows {
                    for department in &row.departments {
                        rows.entry(department.as_str())
                            .or_default()
                            .entry(row.code.as_str())
                            .or_default()
                            .push(row);
                    }
                }
                (version.version, rows)
            })
            .collect();
        Self { versions, index }
    }

    /// The rows of `case`'s behaviour for its department, in the version in
    /// force on its decision date (its filing date while undecided).
    pub fn rows_of(&self, case: &PenaltyCase) -> &[&'v BenchmarkRow] {
        let day = case.decided_on.unwrap_or(case.filed_on);
        domain::enforcement::version_in_force(self.versions, day)
            .and_then(|version| self.index.get(&version.version))
            .and_then(|rows| rows.get(case.department.as_str()))
            .and_then(|rows| rows.get(case.behaviour.as_str()))
            .map_or(&[], Vec::as_slice)
    }
}

/// What a check needs besides the case: the officers by certificate number,
/// the benchmark versions, the rules, the calendar and "now".
pub struct CheckContext<'a, W: WorkingDays> {
    /// The register of enforcement officers, by certificate number.
    pub officers: &'a HashMap<String, Inspector>,
    /// Every benchmark version, indexed.
    pub benchmarks: Benchmarks<'a>,
    /// The local choices.
    pub rules: &'a CaseRules,
    /// Working days.
    pub calendar: &'a W,
    /// The day the check is made as of.
    pub as_of: NaiveDate,
}

/// The benchmark rows of `case`'s behaviour for its department, in the
/// version in force on its decision date (its filing date while undecided).
pub fn benchmark_rows<'v>(
    case: &PenaltyCase,
    versions: &'v [DiscretionVersion],
) -> Vec<&'v BenchmarkRow> {
    let day = case.decided_on.unwrap_or(case.filed_on);
    domain::enforcement::version_in_force(versions, day)
        .map(|version| {
            version
                .rows
                .iter()
                .filter(|row| {
                    row.code == case.behaviour && row.departments.contains(&case.department)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn finding(case: &PenaltyCase, rule: &str, detail: String) -> Finding {
    Finding {
        case: case.id.clone(),
        rule: rule.to_owned(),
        detail,
    }
}

/// The last day of `n` working days after `start` (the n-th working day after it).
fn deadline<W: WorkingDays>(calendar: &W, start: NaiveDate, n: u32) -> Option<NaiveDate> {
    calendar.last_day(start, n).ok()
}

fn check_officers<W: WorkingDays>(
    case: &PenaltyCase,
    context: &CheckContext<'_, W>,
) -> Option<String> {
    let day = case.decided_on.unwrap_or(case.filed_on);
    let mut distinct: Vec<&str> = case.officers.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut problems = Vec::new();
    if distinct.len() < 2 {
        problems.push(format!(
            "{} distinct officer(s), at least 2 required",
            distinct.len()
        ));
    }
    for cert in &distinct {
        match context.officers.get(*cert) {
            None => problems.push(format!("{cert} is not in the officer register")),
            Some(officer) => {
                if officer.department.as_str() != case.department {
                    problems.push(format!(
                        "{cert} belongs to {}, not {}",
                        officer.department.as_str(),
                        case.department
                    ));
                }
                if !officer.is_certified_on(day) {
                    problems.push(format!(
                        "{cert} has no valid certificate on {day} ({})",
                        officer.register.status.as_str()
                    ));
                }
            }
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn check_tier(case: &PenaltyCase, rows: &[&BenchmarkRow]) -> Option<String> {
    let tier_text = case.tier.as_deref().unwrap_or("").trim();
    if tier_text.is_empty() {
        // No tier chosen: only a decided penalty must name one.
        return (case.decided_on.is_some() && case.imposes_penalty())
            .then(|| "a penalty was imposed without a tier".to_owned());
    }
    let tier = Tier::parse(tier_text).ok();
    let Some(row) = rows.iter().find(|row| Some(row.tier) == tier) else {
        return Some(format!(
            "tier {tier_text} has no benchmark row for {}",
            case.behaviour
        ));
    };
    let mut problems = Vec::new();
    if let Some(fine) = case.fine
        && (row.fine_min.is_some_and(|min| fine < min)
            || row.fine_max.is_some_and(|max| fine > max))
    {
        problems.push(format!(
            "fine {} outside {} [{}, {}]",
            yuan(fine),
            row.tier.as_str(),
            row.fine_min.map_or_else(String::new, yuan),
            row.fine_max.map_or_else(String::new, yuan)
        ));
    }
    if row.tier == Tier::NoPenalty && case.imposes_penalty() {
        problems.push("不予处罚 with a fine or penalty kinds".to_owned());
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn check_legal_review(case: &PenaltyCase, rules: &CaseRules) -> Option<String> {
    if case.legal_review {
        return None;
    }
    let mut reasons = Vec::new();
    if let Some(fine) = case.fine {
        let (threshold, whom) = match case.party_id.kind {
            PartyKind::Person => (rules.legal_review_fine_person, "a person"),
            PartyKind::Organisation => (rules.legal_review_fine_organisation, "an organisation"),
        };
        if fine >= threshold.saturating_mul(100) {
            reasons.push(format!(
                "fine {} for {whom} reaches {threshold}",
                yuan(fine)
            ));
        }
    }
    let kinds: Vec<&str> = case
        .kinds
        .iter()
        .filter(|k| k.needs_legal_review())
        .map(|k| k.as_str())
        .collect();
    if !kinds.is_empty() {
        reasons.push(format!("kinds {}", kinds.join("、")));
    }
    (!reasons.is_empty()).then(|| format!("no 法制审核: {}", reasons.join("; ")))
}

/// A date done by `deadline`, or still to do as of `as_of`: late or overdue?
fn late(
    done: Option<NaiveDate>,
    last_day: NaiveDate,
    as_of: NaiveDate,
    what: &str,
) -> Option<String> {
    match done {
        Some(day) if day > last_day => {
            Some(format!("{what} on {day}, after the deadline {last_day}"))
        }
        None if as_of > last_day => Some(format!("no {what}; the deadline {last_day} has passed")),
        _ => None,
    }
}

/// The last day to publish a decided penalty (行政执法公示): `publicity_working_days`
/// working days after the decision. `None` when nothing must be published.
pub fn publication_deadline<W: WorkingDays>(
    case: &PenaltyCase,
    rules: &CaseRules,
    calendar: &W,
) -> Option<NaiveDate> {
    let decided = case.decided_on.filter(|_| case.imposes_penalty())?;
    deadline(calendar, decided, rules.publicity_working_days)
}

/// Every finding of one case, by rule.
pub fn check_case<W: WorkingDays>(
    case: &PenaltyCase,
    context: &CheckContext<'_, W>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(detail) = check_officers(case, context) {
        findings.push(finding(case, "officers", detail));
    }
    let rows = context.benchmarks.rows_of(case);
    if rows.is_empty() {
        findings.push(finding(
            case,
            "unknown_behaviour",
            format!(
                "{} has no benchmark row for {} in the version in force",
                case.behaviour, case.department
            ),
        ));
    }
    if let Some(detail) = check_tier(case, rows) {
        findings.push(finding(case, "tier_range", detail));
    }
    if case.first_offence
        && case.corrected
        && case.imposes_penalty()
        && rows.iter().any(|row| row.list == Some(ListKind::NoPenalty))
    {
        findings.push(finding(
            case,
            "first_offence",
            "on the 不予处罚 list, first offence corrected in time, yet a penalty was imposed"
                .to_owned(),
        ));
    }
    if let Some(detail) = check_legal_review(case, context.rules) {
        findings.push(finding(case, "legal_review", detail));
    }
    if let Some(last_day) = publication_deadline(case, context.rules, context.calendar)
        && let Some(detail) = late(case.published_on, last_day, context.as_of, "publication")
    {
        findings.push(finding(case, "publicity", detail));
    }
    if case.published_on.is_some()
        && let Some(changed) = case.changed_on
        && let Some(last_day) = deadline(context.calendar, changed, 3)
        && let Some(detail) = late(case.withdrawn_on, last_day, context.as_of, "withdrawal")
    {
        findings.push(finding(case, "withdrawal", detail));
    }
    if let Some(decided) = case.decided_on
        && !case.extended
    {
        let days = (decided - case.filed_on).num_days();
        if days > context.rules.decision_days {
            findings.push(finding(
                case,
                "decision_late",
                format!(
                    "decided {days} days after filing, more than {} without extension",
                    context.rules.decision_days
                ),
            ));
        }
    }
    findings
}

/// Every finding of `cases`, sorted by case then rule.
pub fn check_cases<W: WorkingDays>(
    cases: &[PenaltyCase],
    context: &CheckContext<'_, W>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = cases
        .iter()
        .flat_map(|case| check_case(case, context))
        .collect();
    findings.sort_unstable_by(|a, b| (&a.case, &a.rule).cmp(&(&b.case, &b.rule)));
    findings
}

/// Every officer in the register, by certificate number.
pub async fn officer_register<S: storage::Store>(
    store: &S,
) -> Result<HashMap<String, Inspector>, storage::StoreError> {
    let mut officers = HashMap::new();
    let mut pages = Inspectors::new(store, InspectorFilter::default(), MAX_PAGE);
    while let Some(batch) = pages.next_batch().await? {
        for officer in batch {
            officers.insert(officer.cert_no.as_str().to_owned(), officer);
        }
    }
    Ok(officers)
}

/// Loads the register and checks the cases (of `department`, if given) as of `as_of`.
pub async fn run_check<S, W>(
    store: &S,
    department: Option<&str>,
    as_of: NaiveDate,
    rules: &CaseRules,
    calendar: &W,
) -> Result<CheckReport, storage::StoreError>
where
    S: WorkflowStore + CaseStore,
    W: WorkingDays,
{
    let (cases, officers, versions) = (
        store.penalty_cases(department).await?,
        officer_register(store).await?,
        store.list::<DiscretionVersion>(None).await?,
    );
    let context = CheckContext {
        officers: &officers,
        benchmarks: Benchmarks::new(&versions),
        rules,
        calendar,
        as_of,
    };
    Ok(CheckReport {
        cases: cases.len(),
        findings: check_cases(&cases, &context),
    })
}

/// A decision as the portal shows it (行政执法公示): a person by surname and
/// 某 and never by ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDecision {
    /// The enforcement unit's name.
    pub department: String,
    /// 案件编号.
    pub case: String,
    /// The party's name as published.
    pub party: String,
    /// An organisation's 统一社会信用代码; none for a person.
    pub party_code: Option<String>,
    /// The behaviour's name (its code when no benchmark names it).
    pub behaviour: String,
    /// 法律依据, from the benchmark in force on the decision date.
    pub legal_basis: String,
    /// 处罚种类, `、`-separated.
    pub kinds: String,
    /// 罚款金额 in 元.
    pub fine: Option<String>,
    /// 决定日期.
    pub decided_on: Option<NaiveDate>,
    /// 公示日期.
    pub published_on: Option<NaiveDate>,
}

/// A page of the decisions public on `today` matching `filter`, and how many match.
pub async fn public_decisions<S: WorkflowStore + CaseStore>(
    store: &S,
    filter: &storage::PublicCaseFilter,
    today: NaiveDate,
    limit: u32,
    offset: u32,
) -> Result<(Vec<PublicDecision>, u64), storage::StoreError> {
    let (cases, total) = store.public_cases(filter, today, limit, offset).await?;
    let names: HashMap<String, String> = store
        .departments()
        .await?
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect();
    let versions = store.list::<DiscretionVersion>(None).await?;
    let decisions = cases
        .into_iter()
        .filter(|case| case.is_public_on(today))
        .map(|case| {
            let rows = benchmark_rows(&case, &versions);
            let first = rows.first();
            PublicDecision {
                department: names
                    .get(&case.department)
                    .cloned()
                    .unwrap_or_else(|| case.department.clone()),
                party: case.public_party_name(),
                party_code: (case.party_id.kind == PartyKind::Organisation)
                    .then(|| case.party_id.code.clone()),
                behaviour: first.map_or_else(|| case.behaviour.clone(), |r| r.behaviour.clone()),
                legal_basis: first.map(|r| r.legal_basis.clone()).unwrap_or_default(),
                kinds: case
                    .kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                fine: case.fine.map(yuan),
                decided_on: case.decided_on,
                published_on: case.published_on,
                case: case.id,
            }
        })
        .collect();
    Ok((decisions, total))
}

/// What a benchmark import did.
#[derive(Debug)]
pub struct BenchmarkImport {
    /// Rows, problems; `inserted` counts the rows of a new version.
    pub outcome: Outcome,
    /// The version written (or the latest, when nothing changed).
    pub version: Option<u32>,
    /// Its in-force date.
    pub in_force: Option<NaiveDate>,
    /// The file's SHA-256.
    pub sha256: String,
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

pub(crate) fn unknown_department(row: usize, column: &str, text: &str, what_zh: &str) -> Problem {
    Problem {
        row,
        column: column.to_owned(),
        value: text.chars().take(100).collect(),
        reason: "not in the department directory".into(),
        reason_zh: format!("{what_zh}不在部门名录中"),
    }
}

/// Imports a discretion benchmark file as a new version in force from
/// `in_force` (default: the import day). A file whose rows equal the latest
/// version's, with the same in-force date, makes no new version.
pub async fn import_benchmarks<S: WorkflowStore>(
    store: &S,
    path: &Path,
    in_force: Option<NaiveDate>,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<BenchmarkImport, ImportError> {
    let owned = path.to_owned();
    let (sha256, file) = files::off_async(path, move || {
        let sha256 = super::credit::file_sha256(&owned).map_err(|source| {
            ImportError::Read(files::ReadError::Io {
                path: owned.display().to_string(),
                source,
            })
        })?;
        Ok((sha256, files::enforcement::read_benchmarks(&owned)?))
    })
    .await?;
    let mut outcome = file.outcome;
    let departments = department_lookup(&store.departments().await?);
    let mut rows = Vec::new();
    for line in file.rows {
        let mut codes = Vec::new();
        for text in &line.benchmark.departments {
            match departments.get(text) {
                Some(code) => codes.push(code.clone()),
                None => outcome.errors.push(unknown_department(
                    line.row,
                    &line.department_header,
                    text,
                    "实施部门",
                )),
            }
        }
        if codes.len() == line.benchmark.departments.len() {
            codes.sort_unstable();
            codes.dedup();
            rows.push(BenchmarkRow {
                departments: codes,
                ..line.benchmark
            });
        }
    }
    outcome.errors.sort_by_key(|p| p.row);
    rows.sort_by(|a, b| (&a.code, a.tier, &a.departments).cmp(&(&b.code, b.tier, &b.departments)));
    let in_force = in_force.unwrap_or_else(|| at.date_naive());
    let versions = store.list::<DiscretionVersion>(None).await?;
    let latest = versions.iter().max_by_key(|v| v.version);
    if let Some(latest) = latest
        && latest.rows == rows
        && latest.in_force == in_force
    {
        outcome.unchanged = rows.len() as u64;
        return Ok(BenchmarkImport {
            outcome,
            version: Some(latest.version),
            in_force: Some(latest.in_force),
            sha256,
        });
    }
    if rows.is_empty() {
        return Ok(BenchmarkImport {
            outcome,
            version: latest.map(|v| v.version),
            in_force: latest.map(|v| v.in_force),
            sha256,
        });
    }
    let version = DiscretionVersion {
        version: latest.map_or(1, |v| v.version + 1),
        in_force,
        sha256: sha256.clone(),
        rows,
    };
    outcome.inserted = version.rows.len() as u64;
    let detail = format!(
        "version {} in force from {in_force}: {} (SHA-256 {sha256})",
        version.version,
        file_name(path)
    );
    store
        .put(
            std::slice::from_ref(&version),
            &Change::new(at, actor, "discretion.imported", detail),
        )
        .await?;
    Ok(BenchmarkImport {
        outcome,
        version: Some(version.version),
        in_force: Some(in_force),
        sha256,
    })
}

/// What a case import did.
#[derive(Debug)]
pub struct CaseImport {
    /// Rows, inserts, updates and problems.
    pub outcome: Outcome,
    /// The file's SHA-256.
    pub sha256: String,
}

/// Imports a penalty case file: new cases and cases whose row changed are
/// written with one ledger entry each, in one transaction; a case as stored
/// already is left alone, so re-running an import changes nothing. A
/// department not in the directory rejects its row; unknown officers,
/// behaviours and tiers do not (the checks judge them).
pub async fn import_cases<S: WorkflowStore + CaseStore>(
    store: &S,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<CaseImport, ImportError> {
    let owned = path.to_owned();
    let (sha256, file) = files::off_async(path, move || {
        let sha256 = super::credit::file_sha256(&owned).map_err(|source| {
            ImportError::Read(files::ReadError::Io {
                path: owned.display().to_string(),
                source,
            })
        })?;
        Ok((sha256, files::enforcement::read_cases(&owned)?))
    })
    .await?;
    let mut outcome = file.outcome;
    let departments = department_lookup(&store.departments().await?);
    let stored: BTreeMap<String, PenaltyCase> = store
        .penalty_cases(None)
        .await?
        .into_iter()
        .map(|case| (case.id.clone(), case))
        .collect();
    let mut changed = Vec::new();
    for line in file.rows {
        let Some(code) = departments.get(&line.case.department) else {
            outcome.errors.push(unknown_department(
                line.row,
                &line.department_header,
                &line.case.department,
                "执法部门",
            ));
            continue;
        };
        let case = PenaltyCase {
            department: code.clone(),
            ..line.case
        };
        match stored.get(&case.id) {
            Some(before) if *before == case => outcome.unchanged += 1,
            Some(_) => {
                outcome.updated += 1;
                changed.push(case);
            }
            None => {
                outcome.inserted += 1;
                changed.push(case);
            }
        }
    }
    outcome.errors.sort_by_key(|p| p.row);
    if !changed.is_empty() {
        let detail = format!("{} (SHA-256 {sha256})", file_name(path));
        store
            .put_cases(&changed, &Change::new(at, actor, "case.imported", detail))
            .await?;
    }
    Ok(CaseImport { outcome, sha256 })
}

/// Saves one case entered on the web by its department: the case with its
/// ledger entry (`case.entered` for a new case, else `case.edited`), in one
/// transaction, as the import writes. The ledger names the case number only.
pub async fn save_case<S: CaseStore>(
    store: &S,
    case: &PenaltyCase,
    new: bool,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<(), storage::StoreError> {
    let (action, detail) = if new {
        ("case.entered", format!("案件 {} 录入", case.id))
    } else {
        ("case.edited", format!("案件 {} 修改", case.id))
    };
    store
        .put_cases(
            std::slice::from_ref(case),
            &Change::new(at, actor, action, detail),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
