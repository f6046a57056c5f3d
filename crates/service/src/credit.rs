//! Credit verification (信用核查) and the imports of lists and matters.
//!
//! A check reads the matter's rule, looks every valid applicant up in one
//! query, evaluates each on the as-of date and logs every check in one
//! transaction (谁应用、谁核查) before answering. The CLI, the batches and
//! the single check of the pages and the API all go through
//! [`check_logged_by`]. Imports that change something record a run document
//! on the ledger: the file's SHA-256 and counts.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Result, WorkflowError, now};
use domain::credit::{
    CreditEntry, Hit, Matter, Outcome, Subject, SubjectError, SubjectKind, evaluate,
};
use files::credit::{Applicant, Progress, import_entries, read_matters};
use files::{ImportError, Outcome as ImportOutcome};
use storage::credit::{AccessLog, CheckLog, CreditRun, CreditStore};
use storage::{Change, Db, StoreError, WorkflowStore};

/// Who is checking, for the log.
#[derive(Debug, Clone)]
pub struct Checker {
    /// Account name (or `cli:USER`).
    pub actor: String,
    /// The account's department, if any.
    pub department: Option<String>,
}

/// One applicant's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicantResult {
    /// The identifier as given.
    pub id: String,
    /// The name as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Enterprise or person (absent when invalid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<SubjectKind>,
    /// The outcome.
    pub outcome: Outcome,
    /// Why the identifier is invalid (English), or a pilot-era code's warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The reason in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
    /// The entries that counted, strongest effect first.
    pub hits: Vec<Hit>,
}

/// A batch check's report, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The matter checked for.
    pub matter: Matter,
    /// The date the entries were taken on.
    pub as_of: NaiveDate,
    /// The batch's id in the check log.
    pub batch: String,
    /// One result per applicant, in input order.
    pub results: Vec<ApplicantResult>,
}

impl CheckReport {
    /// How many results have `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// The stable JSON of the CLI and the API: `{"matter": CODE, "as_of", "results":
    /// [{"id", "name"?, "outcome", "reason"?, "hits": [{"list", "list_code",
    /// "effect", "listed_on", "valid_until", "authority", "reason", "ref_no"}]}]}`,
    /// `list` being the list's Chinese name as in list files.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "matter": self.matter.code,
            "as_of": self.as_of,
            "batch": self.batch,
            "results": self.results.iter().map(ApplicantResult::to_json).collect::<Vec<_>>(),
        })
    }
}

impl ApplicantResult {
    /// See [`CheckReport::to_json`].
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::json!({
            "id": self.id,
            "outcome": self.outcome,
            "hits": self.hits.iter().map(hit_json).collect::<Vec<_>>(),
        });
        if let Some(map) = object.as_object_mut() {
            if let Some(name) = &self.name {
                map.insert("name".into(), name.clone().into());
            }
            if let Some(kind) = self.kind {
                map.insert("kind".into(), kind.as_str().into());
            }
            if let Some(reason) = &self.reason {
                map.insert("reason".into(), reason.clone().into());
            }
        }
        object
    }
}

fn hit_json(hit: &Hit) -> serde_json::Value {
    serde_json::json!({
        "list": hit.list.name_zh(),
        "list_code": hit.list.as_str(),
        "effect": hit.effect,
        "listed_on": hit.listed_on,
        "valid_until": hit.valid_until,
        "authority": hit.authority,
        "reason": hit.reason,
        "ref_no": hit.ref_no,
    })
}

/// The matter `code`, or NotFound.
pub async fn matter(db: &Db, code: &str) -> Result<Matter> {
    db.get::<Matter>(code.trim())
        .await?
        .ok_or_else(|| WorkflowError::NotFound {
            what: "matter (事项)",
            id: code.trim().to_owned(),
        })
}

/// Identifiers looked up per query.
const LOOKUP_CHUNK: usize = 20_000;

/// An applicant's identifier, decided by validity ([`Subject::parse_valid`]).
#[derive(Debug, Clone)]
pub struct Identifier {
    /// The text as given, trimmed.
    pub given: String,
    /// The text as given, trimmed and upper-cased: the key looked up.
    pub key: String,
    /// The subject, or why the identifier is neither a valid code nor a valid ID number.
    pub parsed: Result<Subject, SubjectError>,
}

impl Identifier {
    /// Decides `text`.
    pub fn new(text: &str) -> Self {
        let parsed = Subject::parse_valid(text);
        let key = match &parsed {
            Ok(subject) => subject.as_str().to_owned(),
            Err(_) => text.trim().to_ascii_uppercase(),
        };
        Self {
            given: text.trim().to_owned(),
            key,
            parsed,
        }
    }

    /// The result for `matter` on `as_of` given the entries stored under
    /// [`Identifier::key`]: a valid identifier is evaluated; an invalid one found
    /// exactly on a list is evaluated too, with its fault as the reason; any other
    /// invalid identifier is [`Outcome::Invalid`], never clear.
    pub fn result(
        &self,
        name: Option<String>,
        entries: &[CreditEntry],
        matter: &Matter,
        as_of: NaiveDate,
    ) -> ApplicantResult {
        let kind = match &self.parsed {
            Ok(subject) => subject.kind(),
            Err(error) => match entries.first() {
                Some(entry) => entry.subject.kind(),
                None => {
                    return ApplicantResult {
                        id: self.given.clone(),
                        name,
                        kind: None,
                        outcome: Outcome::Invalid,
                        reason: Some(error.to_string()),
                        reason_zh: Some(error.reason_zh()),
                        hits: Vec::new(),
                    };
                }
            },
        };
        let (outcome, hits) = evaluate(matter, entries, as_of);
        let (reason, reason_zh) = match &self.parsed {
            Ok(_) => (None, None),
            Err(error) => (
                Some(format!("{error}; found as written on a list")),
                Some(format!(
                    "{}；与名单记录完全一致，按名单记录核查，请核实",
                    error.reason_zh()
                )),
            ),
        };
        ApplicantResult {
            id: self.key.clone(),
            name,
            kind: Some(kind),
            outcome,
            reason,
            reason_zh,
            hits,
        }
    }
}

/// Where the check log's rows go before a check answers: straight to the
/// database ([`Db`], one transaction per check), or a server's writer that
/// commits the rows of concurrent checks together. Either way a check answers
/// only once its rows are committed.
pub trait CheckLogWriter: Sync {
    /// The writer's error, holding [`WorkflowError`]s too.
    type Error: From<WorkflowError> + Send;

    /// Commits `rows` to the check log.
    fn write(&self, rows: Vec<CheckLog>) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl CheckLogWriter for Db {
    type Error = WorkflowError;

    async fn write(&self, rows: Vec<CheckLog>) -> Result<()> {
        Ok(self.log_checks(rows).await?)
    }
}

/// Checks `applicants` for `matter` on `as_of` and logs every check (one
/// transaction) before returning the report: the CLI's and the batches' path.
pub async fn check_applicants(
    db: &Db,
    matter: &Matter,
    applicants: &[Applicant],
    as_of: NaiveDate,
    checker: &Checker,
) -> Result<CheckReport> {
    check_logged_by(db, db, matter, applicants, as_of, checker).await
}

/// Checks one identifier (no name) like [`check_applicants`], its log row
/// written by `log`: the single check of the pages and the API.
pub async fn check_one<L: CheckLogWriter>(
    db: &Db,
    log: &L,
    matter: &Matter,
    id: &str,
    as_of: NaiveDate,
    checker: &Checker,
) -> Result<ApplicantResult, L::Error> {
    let applicant = Applicant {
        id: id.to_owned(),
        name: None,
        row: 0,
    };
    let report = check_logged_by(db, log, matter, &[applicant], as_of, checker).await?;
    report.results.into_iter().next().ok_or_else(|| {
        WorkflowError::Refused("a check of one applicant returned no result".into()).into()
    })
}

/// Checks `applicants` for `matter` on `as_of`: every valid identifier looked
/// up in one query per [`LOOKUP_CHUNK`], each evaluated, every check logged
/// through `log` before the report is returned.
pub async fn check_logged_by<L: CheckLogWriter>(
    db: &Db,
    log: &L,
    matter: &Matter,
    applicants: &[Applicant],
    as_of: NaiveDate,
    checker: &Checker,
) -> Result<CheckReport, L::Error> {
    let identifiers: Vec<Identifier> = applicants.iter().map(|a| Identifier::new(&a.id)).collect();
    let mut ids: Vec<String> = identifiers
        .iter()
        .filter(|i| !i.key.is_empty() && i.key.len() <= 64)
        .map(|i| i.key.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut by_subject: HashMap<String, Vec<CreditEntry>> = HashMap::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let entries = db
            .credit_entries_of(chunk.to_vec())
            .await
            .map_err(WorkflowError::from)?;
        for entry in entries {
            by_subject
                .entry(entry.subject.as_str().to_owned())
                .or_default()
                .push(entry);
        }
    }
    let at = now();
    let batch = format!(
        "check-{}-{:08x}",
        at.format("%Y%m%dT%H%M%S%.3f"),
        batch_tag()
    );
    let mut results = Vec::with_capacity(applicants.len());
    let mut rows = Vec::with_capacity(applicants.len());
    for (applicant, identifier) in applicants.iter().zip(&identifiers) {
        let entries = by_subject
            .get(&identifier.key)
            .map_or(&[][..], Vec::as_slice);
        let result = identifier.result(applicant.name.clone(), entries, matter, as_of);
        rows.push(CheckLog {
            checked_at: at.to_rfc3339(),
            actor: checker.actor.clone(),
            department: checker.department.clone(),
            matter: matter.code.clone(),
            subject: result.id.chars().take(64).collect(),
            subject_kind: result.kind,
            outcome: result.outcome,
            hits: u32::try_from(result.hits.len()).unwrap_or(u32::MAX),
            as_of,
            batch: (applicants.len() > 1).then(|| batch.clone()),
        });
        results.push(result);
    }
    log.write(rows).await?;
    Ok(CheckReport {
        matter: matter.clone(),
        as_of,
        batch,
        results,
    })
}

/// A random tag telling apart batches started in the same millisecond.
fn batch_tag() -> u32 {
    let mut bytes = [0u8; 4];
    // Without the system's randomness the tag is 0: the time still tells batches apart.
    let _ = getrandom::fill(&mut bytes);
    u32::from_be_bytes(bytes)
}

/// Logs that `actor` saw `what` of the persons `subjects` for `purpose`.
pub async fn log_person_access(
    db: &Db,
    actor: &str,
    subjects: impl IntoIterator<Item = &Subject>,
    what: &str,
    purpose: &str,
) -> Result<()> {
    let at = now().to_rfc3339();
    let accesses: Vec<AccessLog> = subjects
        .into_iter()
        .filter(|s| s.kind() == SubjectKind::Person)
        .map(|s| AccessLog {
            accessed_at: at.clone(),
            actor: actor.to_owned(),
            subject: s.as_str().to_owned(),
            what: what.to_owned(),
            purpose: purpose.to_owned(),
        })
        .collect();
    db.log_access(accesses).await?;
    Ok(())
}

/// What an import did, with its ledger run (when it changed something).
#[derive(Debug, Clone)]
pub struct CreditImport {
    /// Rows, counts and problems.
    pub outcome: ImportOutcome,
    /// The run recorded on the ledger; `None` when nothing changed.
    pub run: Option<CreditRun>,
    /// The file's SHA-256.
    pub sha256: String,
    /// Records before and after.
    pub before: u64,
    /// Records after.
    pub after: u64,
}

/// The SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(draw::to_hex(&hasher.finalize()))
}

fn io_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Read(files::ReadError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Records a run on the ledger.
async fn record_run(db: &Db, run: &CreditRun, actor: &str, action: &str) -> Result<(), StoreError> {
    db.put(
        std::slice::from_ref(run),
        &Change::new(now(), actor, action, run_detail(run)),
    )
    .await
}

/// The ledger detail of a run.
fn run_detail(run: &CreditRun) -> String {
    format!(
        "{}: {} rows, {} changed, {} rejected (SHA-256 {})",
        run.source, run.rows, run.changed, run.rejected, run.sha256
    )
}

fn run_id(kind: &str, sha256: &str) -> String {
    format!(
        "{kind}-{}-{}",
        now().format("%Y%m%dT%H%M%S%.3f"),
        &sha256[..12.min(sha256.len())]
    )
}

/// Imports a list file (CSV, XLSX or JSON Lines) into the credit lists;
/// `strict_uscc` refuses pilot-pattern codes too.
pub async fn import_credit_file(
    db: &Db,
    path: &Path,
    actor: &str,
    strict_uscc: bool,
    progress: Option<Progress<'_>>,
) -> Result<CreditImport, ImportError> {
    let owned = path.to_owned();
    let sha256 = files::off_async(path, move || {
        file_sha256(&owned).map_err(|e| io_error(&owned, e))
    })
    .await?;
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut run = None;
    let (outcome, applied) = import_entries(
        db,
        path,
        &source,
        strict_uscc,
        progress,
        |outcome, applied| {
            let changed = outcome.imported();
            let recorded = CreditRun {
                id: run_id("entries", &sha256),
                kind: "entries".into(),
                source: source.clone(),
                sha256: sha256.clone(),
                finished_at: now().to_rfc3339(),
                rows: outcome.total_rows as u64,
                changed,
                rejected: outcome.rejected() as u64,
                before: applied.before,
                after: applied.after,
            };
            let change = Change::new(
                now(),
                actor,
                "credit.entries.imported",
                run_detail(&recorded),
            );
            run = Some(recorded.clone());
            (changed > 0).then_some((recorded, change))
        },
    )
    .await?;
    let run = run.filter(|run| run.changed > 0);
    Ok(CreditImport {
        outcome,
        run,
        sha256,
        before: applied.before,
        after: applied.after,
    })
}

/// Imports a matters catalogue: new and changed matters are written (each a
/// ledger entry, in one transaction), unchanged ones left alone.
pub async fn import_matters_file(
    db: &Db,
    path: &Path,
    actor: &str,
) -> Result<CreditImport, ImportError> {
    let owned = path.to_owned();
    let (sha256, file) = files::off_async(path, move || {
        let sha256 = file_sha256(&owned).map_err(|e| io_error(&owned, e))?;
        Ok((sha256, read_matters(&owned)?))
    })
    .await?;
    let existing: HashMap<String, Matter> = db
        .list::<Matter>(None)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let before = existing.len() as u64;
    let mut outcome = file.outcome;
    let mut changed = Vec::new();
    for matter in file.matters {
        match existing.get(&matter.code) {
            Some(old) if *old == matter => outcome.unchanged += 1,
            Some(_) => {
                outcome.updated += 1;
                changed.push(matter);
            }
            None => {
                outcome.inserted += 1;
                changed.push(matter);
            }
        }
    }
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if !changed.is_empty() {
        let detail = format!("{source} (SHA-256 {sha256})");
        db.put(
            &changed,
            &Change::new(now(), actor, "credit.matter.saved", detail),
        )
        .await?;
    }
    let after = before + outcome.inserted;
    let run = (!changed.is_empty()).then(|| CreditRun {
        id: run_id("matters", &sha256),
        kind: "matters".into(),
        source,
        sha256: sha256.clone(),
        finished_at: now().to_rfc3339(),
        rows: outcome.total_rows as u64,
        changed: changed.len() as u64,
        rejected: outcome.rejected() as u64,
        before,
        after,
    });
    if let Some(run) = &run {
        record_run(db, run, actor, "credit.matters.imported").await?;
    }
    Ok(CreditImport {
        outcome,
        run,
        sha256,
        before,
        after,
    })
}
