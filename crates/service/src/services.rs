//! Government services (issue 21): importing the matter catalogue (versioned:
//! a change makes a new version, history kept) and past applications (办件),
//! and the KPIs of a period. See docs/services.md.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use domain::credit::{CreditEntry, ListType, Outcome as CheckOutcome, Subject};
use domain::services::{Application, MatterRecord, Rate, ServiceKpi, ServiceKpiCounts};
use files::services::{ApplicationRow, read_applications, read_catalogue};
use files::watermark::Watermark;
use files::{ImportError, Outcome, Problem};
use rust_xlsxwriter::{Workbook, XlsxError};
use storage::credit::{CheckLog, CreditStore};
use storage::services::{ServiceKpiRange, ServiceStore};
use storage::{Change, WorkflowStore};

use crate::Result;
use crate::credit::Checker;

/// What an import did.
#[derive(Debug)]
pub struct ServicesImport {
    /// Rows, inserts, updates and problems.
    pub outcome: Outcome,
    /// The file's SHA-256.
    pub sha256: String,
}

fn source_detail(path: &Path, sha256: &str) -> String {
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!("{source} (SHA-256 {sha256})")
}

async fn read_off<T: Send + 'static>(
    path: &Path,
    read: fn(&Path) -> std::result::Result<T, ImportError>,
) -> std::result::Result<(String, T), ImportError> {
    let owned = path.to_owned();
    files::off_async(path, move || {
        let sha256 = super::credit::file_sha256(&owned).map_err(|source| {
            ImportError::Read(files::ReadError::Io {
                path: owned.display().to_string(),
                source,
            })
        })?;
        Ok((sha256, read(&owned)?))
    })
    .await
}

/// Imports a matter catalogue: a new code makes version 1; a row that differs
/// from the entry's current version makes a new version (earlier ones are
/// kept); an identical row changes nothing. One transaction, each changed
/// entry with its ledger entry naming the file.
pub async fn import_catalogue<S: WorkflowStore>(
    store: &S,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> std::result::Result<ServicesImport, ImportError> {
    let (sha256, file) = read_off(path, read_catalogue).await?;
    let mut outcome = file.outcome;
    let mut changed = Vec::new();
    for (_, matter) in file.matters {
        match store.get::<MatterRecord>(&matter.code).await? {
            None => {
                outcome.inserted += 1;
                changed.push(MatterRecord::new(matter, at, actor));
            }
            Some(mut record) => {
                if record.revise(matter, at, actor) {
                    outcome.updated += 1;
                    changed.push(record);
                } else {
                    outcome.unchanged += 1;
                }
            }
        }
    }
    if !changed.is_empty() {
        let change = Change::new(
            at,
            actor,
            "services.matters.imported",
            source_detail(path, &sha256),
        );
        store.put(&changed, &change).await?;
    }
    Ok(ServicesImport { outcome, sha256 })
}

/// A catalogue entry with every version.
pub async fn matter<S: WorkflowStore>(store: &S, code: &str) -> Result<MatterRecord> {
    store
        .get::<MatterRecord>(code)
        .await?
        .ok_or_else(|| crate::WorkflowError::NotFound {
            what: "matter",
            id: code.to_owned(),
        })
}

/// Catalogue entries whose code or name contains `query`, by code.
pub async fn search_matters<S: ServiceStore>(
    store: &S,
    query: &str,
    limit: u32,
) -> Result<Vec<MatterRecord>> {
    Ok(store.service_matters(query, limit).await?)
}

/// The application a row describes, under the matter's current version, with
/// its due day and rectification deadline.
pub fn application_from_row(
    row: &ApplicationRow,
    matter: &MatterRecord,
    calendar: &impl domain::hotline::WorkingDays,
) -> std::result::Result<Application, String> {
    let current = matter
        .current()
        .ok_or_else(|| format!("matter {} has no version", matter.code))?;
    let mut application = Application {
        id: row.id.clone(),
        matter: row.matter.clone(),
        matter_version: current.version,
        department: current.matter.department.clone(),
        applicant_name: row.applicant_name.clone(),
        applicant: row.applicant,
        channel: row.channel,
        received_at: row.received_at,
        accepted_at: row.accepted_at,
        paused_days: row.paused_days,
        due: None,
        closed_at: row.closed_at,
        decision: row.decision,
        review: row.review,
        reviewed_at: row.reviewed_at,
        rectify_due: None,
        rectified_at: row.rectified_at,
        import_digest: Some(row.digest()),
        revoked_at: None,
    };
    application.validate().map_err(|e| e.to_string())?;
    application
        .recompute_deadlines(&current.matter, calendar)
        .map_err(|e| e.to_string())?;
    Ok(application)
}

/// Rows per transaction of an applications import.
pub const APPLICATION_BATCH: usize = 5_000;

/// Imports past applications: keyed by 办件编号; a row imported before, as it
/// is, changes nothing; a changed row replaces the application (ledger entry
/// naming the file). A row whose 事项编码 is not in the catalogue, or whose
/// times are out of order, is rejected with the reason.
pub async fn import_applications<S: WorkflowStore>(
    store: &S,
    calendar: &workcal::Calendar,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> std::result::Result<ServicesImport, ImportError> {
    let (sha256, file) = read_off(path, read_applications).await?;
    let mut outcome = file.outcome;
    let mut matters: HashMap<String, Option<MatterRecord>> = HashMap::new();
    let mut changed = Vec::new();
    let change = Change::new(
        at,
        actor,
        "services.applications.imported",
        source_detail(path, &sha256),
    );
    for row in file.rows {
        if !matters.contains_key(&row.matter) {
            let record = store.get::<MatterRecord>(&row.matter).await?;
            matters.insert(row.matter.clone(), record);
        }
        let Some(Some(matter)) = matters.get(&row.matter) else {
            outcome.errors.push(Problem {
                row: row.row,
                column: row.matter_header.clone(),
                value: row.matter.clone(),
                reason: "not in the matter catalogue".into(),
                reason_zh: "事项编码不在事项清单中".into(),
            });
            continue;
        };
        let stored = store.get::<Application>(&row.id).await?;
        let digest = row.digest();
        if stored
            .as_ref()
            .is_some_and(|s| s.import_digest.as_deref() == Some(digest.as_str()))
        {
            outcome.unchanged += 1;
            continue;
        }
        match application_from_row(&row, matter, calendar) {
            Ok(application) => {
                if stored.is_some() {
                    outcome.updated += 1;
                } else {
                    outcome.inserted += 1;
                }
                changed.push(application);
            }
            Err(reason) => {
                outcome.errors.push(Problem {
                    row: row.row,
                    column: String::new(),
                    value: row.id.clone(),
                    reason_zh: format!("该行无法导入：{reason}"),
                    reason,
                });
                continue;
            }
        }
        if changed.len() >= APPLICATION_BATCH {
            store.put(&changed, &change).await?;
            changed.clear();
        }
    }
    if !changed.is_empty() {
        store.put(&changed, &change).await?;
    }
    outcome.errors.sort_by_key(|p| p.row);
    Ok(ServicesImport { outcome, sha256 })
}

/// A KPI question.
#[derive(Debug, Clone)]
pub struct ServiceKpiQuery {
    /// First day received.
    pub from: NaiveDate,
    /// Last day received.
    pub to: NaiveDate,
    /// One department only.
    pub department: Option<String>,
    /// "Now".
    pub as_of: DateTime<FixedOffset>,
}

/// The KPI counts of applications received in the period, as things stood at `as_of`.
pub async fn kpi_counts<S: ServiceStore>(
    store: &S,
    query: &ServiceKpiQuery,
) -> Result<ServiceKpiCounts> {
    if query.to < query.from {
        return Err(crate::refused(format!(
            "the period ends ({}) before it starts ({})",
            query.to, query.from
        )));
    }
    Ok(store
        .service_kpi_counts(&ServiceKpiRange {
            from: query.from,
            to: query.to,
            as_of: query.as_of,
            department: query.department.clone(),
        })
        .await?)
}

/// The KPIs of applications received in the period, as things stood at `as_of`.
pub async fn kpi<S: ServiceStore>(store: &S, query: &ServiceKpiQuery) -> Result<ServiceKpi> {
    Ok(kpi_counts(store, query).await?.kpi())
}

/// Writes the KPIs of `query` as XLSX: each figure with its numerator and
/// denominator, the rates to 4 decimals (`—` on an empty denominator).
pub fn kpi_xlsx(
    query: &ServiceKpiQuery,
    counts: &ServiceKpiCounts,
    watermark: &Watermark,
    path: &Path,
) -> std::result::Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("办件考核指标")?;
    sheet.write_string(
        0,
        0,
        format!(
            "政务服务办件考核指标 {} 至 {}（截至 {}）{}",
            query.from,
            query.to,
            query.as_of.format("%Y-%m-%d %H:%M"),
            query
                .department
                .as_ref()
                .map_or_else(String::new, |d| format!(" 实施部门 {d}"))
        ),
    )?;
    for (col, header) in ["指标", "键", "分子", "分母", "值"].iter().enumerate() {
        sheet.write_string(2, col as u16, *header)?;
    }
    let c = counts;
    let rows: [(&str, &str, u64, Option<u64>); 6] = [
        ("办件量", "applications", c.applications, None),
        (
            "按时办结率",
            "on_time_rate",
            c.closed_on_time,
            Some(c.timed),
        ),
        (
            "一窗受理占比",
            "one_window_share",
            c.one_window,
            Some(c.applications),
        ),
        ("好评率", "good_rate", c.good, Some(c.rated)),
        ("差评数", "bad_reviews", c.bad, None),
        (
            "差评按时整改率",
            "rectified_on_time_rate",
            c.rectified_on_time,
            Some(c.rectify_counted),
        ),
    ];
    for (index, (label, key, num, den)) in rows.into_iter().enumerate() {
        let row = 3 + index as u32;
        sheet.write_string(row, 0, label)?;
        sheet.write_string(row, 1, key)?;
        sheet.write_number(row, 2, num as f64)?;
        match den {
            Some(den) => {
                sheet.write_number(row, 3, den as f64)?;
                let value = Rate::of(num, den).map_or_else(|| "—".to_owned(), Rate::to_fixed);
                sheet.write_string(row, 4, value)?;
            }
            None => {
                sheet.write_number(row, 4, num as f64)?;
            }
        }
    }
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(1, 24)?;
    watermark.save(&mut workbook, path)
}

/// Which credit lists refuse a promise (告知承诺, 国办发〔2020〕42号): by default
/// the 严重失信主体名单 and 虚假承诺 entries in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseRules {
    /// The refusing list types.
    pub refusing: Vec<ListType>,
}

impl Default for PromiseRules {
    fn default() -> Self {
        Self {
            refusing: vec![ListType::Blacklist, ListType::FalsePromise],
        }
    }
}

impl PromiseRules {
    /// Parses a `,`/`、`-separated list of list types (names or codes).
    pub fn parse(text: &str) -> std::result::Result<Self, domain::InvalidField> {
        let refusing = ListType::parse_set(text)?;
        if refusing.is_empty() {
            return Err(domain::InvalidField::new(
                "promise_lists",
                text,
                "name at least one list type",
            ));
        }
        Ok(Self { refusing })
    }
}

/// A promise check's answer, as `services promise-check --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromiseDecision {
    /// Whether the applicant may promise instead of proving.
    pub allowed: bool,
    /// Why.
    pub reason: String,
}

/// The batch name promise checks carry in the credit check log.
pub const PROMISE_CHECK_BATCH: &str = "promise-check";

/// Decides whether `applicant` may use 告知承诺 for `matter` on `as_of`, and
/// logs the check in the credit check log (batch [`PROMISE_CHECK_BATCH`]):
/// refused when the matter marks no proof 可承诺, or when the applicant has an
/// entry in force on one of `rules`' lists. An unknown matter is
/// [`crate::WorkflowError::NotFound`]; an invalid identifier is logged as
/// `invalid` and refused as bad input.
pub async fn promise_check<S: WorkflowStore + CreditStore>(
    store: &S,
    matter_code: &str,
    applicant: &str,
    as_of: NaiveDate,
    rules: &PromiseRules,
    checker: &Checker,
) -> Result<PromiseDecision> {
    let record = matter(store, matter_code).await?;
    let current = record
        .current()
        .ok_or_else(|| crate::refused(format!("matter {matter_code} has no version")))?;
    let mut log = CheckLog {
        checked_at: crate::now().to_rfc3339(),
        actor: checker.actor.clone(),
        department: checker.department.clone(),
        matter: record.code.clone(),
        subject: applicant.trim().chars().take(64).collect(),
        subject_kind: None,
        outcome: CheckOutcome::Invalid,
        hits: 0,
        as_of,
        batch: Some(PROMISE_CHECK_BATCH.to_owned()),
    };
    // As in credit checks: an invalid identifier found exactly on a list (a
    // pilot-era code the list import took with a warning) is evaluated too.
    let (subject, entries) = match Subject::parse_valid(applicant) {
        Ok(subject) => (
            subject,
            store
                .credit_entries_of(vec![subject.as_str().to_owned()])
                .await?,
        ),
        Err(error) => {
            let listed = match Subject::parse(applicant) {
                Ok((subject, _)) => Some((
                    subject,
                    store
                        .credit_entries_of(vec![subject.as_str().to_owned()])
                        .await?,
                )),
                Err(_) => None,
            };
            match listed {
                Some((subject, entries)) if !entries.is_empty() => (subject, entries),
                _ => {
                    store.log_checks(vec![log]).await?;
                    return Err(crate::refused(format!(
                        "the applicant's identifier is invalid: {error}"
                    )));
                }
            }
        }
    };
    log.subject = subject.as_str().to_owned();
    log.subject_kind = Some(subject.kind());
    let hits: Vec<CreditEntry> = entries
        .into_iter()
        .filter(|e| rules.refusing.contains(&e.list_type) && e.counts_on(as_of))
        .collect();
    log.hits = u32::try_from(hits.len()).unwrap_or(u32::MAX);
    let promisable: Vec<&str> = current
        .matter
        .proofs
        .iter()
        .filter(|p| p.promisable)
        .map(|p| p.name.as_str())
        .collect();
    let lists: Vec<&str> = rules.refusing.iter().map(|l| l.name_zh()).collect();
    let decision = if let Some(hit) = hits.first() {
        PromiseDecision {
            allowed: false,
            reason: format!(
                "the applicant is on the {} in force on {as_of} (listed {} by {}, ref {}): no promise until repaired",
                hit.list_type.name_zh(),
                hit.listed_on,
                hit.authority,
                hit.ref_no
            ),
        }
    } else if promisable.is_empty() {
        PromiseDecision {
            allowed: false,
            reason: format!(
                "matter {} (version {}) marks no proof 可承诺",
                record.code, current.version
            ),
        }
    } else {
        PromiseDecision {
            allowed: true,
            reason: format!(
                "no {} entry in force on {as_of}; proofs that may be promised: {}",
                lists.join(" or "),
                promisable.join("、")
            ),
        }
    };
    log.outcome = if decision.allowed {
        CheckOutcome::Clear
    } else {
        CheckOutcome::Block
    };
    store.log_checks(vec![log]).await?;
    Ok(decision)
}
