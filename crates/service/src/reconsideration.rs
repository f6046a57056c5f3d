//! 行政复议 (行政复议法 2023, in force 2024-01-01) and 行政诉讼出庭应诉:
//! importing the registers (every change on the ledger), the statutory clock
//! (Art. 30, 31, 62, 88), the KPIs and the appearance rate. See
//! docs/reconsideration.md.
//!
//! The clock ([`admission_deadline`], [`decision_deadline`], [`check_application`])
//! is pure; [`run_check`], [`kpi`] and [`annual_lines`] load what they need.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate};
use serde::Serialize;

use domain::hotline::WorkingDays;
use domain::reconsideration::{LitigationCase, Procedure, Reconsideration, rate};
use files::{ImportError, Outcome, Problem};
use storage::{CaseStore, Change, Document, WorkflowStore};

use super::enforcement::{CheckReport, Finding, file_name, unknown_department};
use super::hotline::department_lookup;

/// The finding codes, in the order of the clock.
pub const RULES: [&str; 3] = ["correction_notice_late", "admission_late", "decision_late"];

/// Working days to decide on admission, or to ask for 补正 (Art. 30, 31, 88).
pub const ADMISSION_WORKING_DAYS: u32 = 5;

/// The last day to send the 补正 notice: 5 working days after receipt (Art. 31).
pub fn correction_notice_deadline<W: WorkingDays>(
    calendar: &W,
    application: &Reconsideration,
) -> Option<NaiveDate> {
    calendar
        .last_day(application.received_on, ADMISSION_WORKING_DAYS)
        .ok()
}

/// The last day to decide on admission: 5 working days after receipt, or,
/// when 补正 was asked, after the 补正 was completed (none while it is
/// outstanding) (Art. 30, 31, 88).
pub fn admission_deadline<W: WorkingDays>(
    calendar: &W,
    application: &Reconsideration,
) -> Option<NaiveDate> {
    let start = match (application.correction_notice_on, application.corrected_on) {
        (None, _) => application.received_on,
        (Some(_), Some(completed)) => completed,
        (Some(_), None) => return None,
    };
    calendar.last_day(start, ADMISSION_WORKING_DAYS).ok()
}

/// The last day to decide: 受理日期 + 60 calendar days (+30 when extended)
/// in the ordinary procedure, + 30 in the simplified one, + the days
/// suspended (Art. 62). None before admission.
pub fn decision_deadline(application: &Reconsideration) -> Option<NaiveDate> {
    let accepted = application.accepted_on?;
    let days = match application.procedure {
        Procedure::Ordinary => 60 + if application.extended { 30 } else { 0 },
        Procedure::Simplified => 30,
    } + u64::from(application.suspended_days);
    accepted.checked_add_days(Days::new(days))
}

/// A step done on `done`, or still to do as of `as_of`: late against `last_day`?
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

/// Every finding of one application as of `as_of`, in [`RULES`] order.
pub fn check_application<W: WorkingDays>(
    application: &Reconsideration,
    calendar: &W,
    as_of: NaiveDate,
) -> Vec<Finding> {
    let undecided = application.decided_on.is_none();
    let mut found = Vec::new();
    let mut push = |rule: &str, detail: String| {
        found.push(Finding {
            case: application.id.clone(),
            rule: rule.to_owned(),
            detail,
        });
    };
    if let (Some(notice), Some(last_day)) = (
        application.correction_notice_on,
        correction_notice_deadline(calendar, application),
    ) && let Some(detail) = late(Some(notice), last_day, as_of, "补正 notice")
    {
        push("correction_notice_late", detail);
    }
    if let Some(last_day) = admission_deadline(calendar, application) {
        // An application decided without a 受理日期 (e.g. 不予受理) has no admission to judge.
        let judged = application.accepted_on.is_some() || undecided;
        if judged && let Some(detail) = late(application.accepted_on, last_day, as_of, "admission")
        {
            push("admission_late", detail);
        }
    }
    if let Some(last_day) = decision_deadline(application)
        && let Some(detail) = late(application.decided_on, last_day, as_of, "decision")
    {
        push("decision_late", detail);
    }
    found
}

/// Every finding of `applications`, by application then rule.
pub fn check_applications<W: WorkingDays>(
    applications: &[Reconsideration],
    calendar: &W,
    as_of: NaiveDate,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = applications
        .iter()
        .flat_map(|a| check_application(a, calendar, as_of))
        .collect();
    findings.sort_by(|a, b| (&a.case, &a.rule).cmp(&(&b.case, &b.rule)));
    findings
}

/// The applications against `respondent` (every one with `None`), by 案号.
pub async fn applications<S: WorkflowStore>(
    store: &S,
    respondent: Option<&str>,
) -> Result<Vec<Reconsideration>, storage::StoreError> {
    store
        .list::<Reconsideration>(respondent.map(|code| ("respondent", code)))
        .await
}

/// Loads the applications (against `respondent`, if given) and checks them as of `as_of`.
pub async fn run_check<S: WorkflowStore, W: WorkingDays>(
    store: &S,
    respondent: Option<&str>,
    as_of: NaiveDate,
    calendar: &W,
) -> Result<CheckReport, storage::StoreError> {
    let applications = applications(store, respondent).await?;
    Ok(CheckReport {
        cases: applications.len(),
        findings: check_applications(&applications, calendar, as_of),
    })
}

/// What `reconsideration kpi` prints: the applications received in a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// Applications whose 收到日期 is in the year.
    pub received: u64,
    /// Of them, accepted (a 受理日期).
    pub accepted: u64,
    /// Of them, decided on the merits (any type but 终止 and 不予受理).
    pub substantive: u64,
    /// Of them, corrected directly (变更, 撤销, 确认违法, 责令履行, 确认无效).
    pub corrected: u64,
    /// corrected / substantive, 4 decimals; null when nothing was substantive.
    pub correction_rate: Option<f64>,
    /// Of them, with an `admission_late` finding as of the day.
    pub admission_late: u64,
    /// Of them, with a `decision_late` finding as of the day.
    pub decision_late: u64,
}

/// The KPIs of the applications received in `year` (收到日期 puts an
/// application in a year), findings judged as of `as_of`.
pub fn kpi_of<W: WorkingDays>(
    applications: &[Reconsideration],
    year: i32,
    calendar: &W,
    as_of: NaiveDate,
) -> Kpi {
    let of_year: Vec<&Reconsideration> = applications
        .iter()
        .filter(|a| a.received_on.year() == year)
        .collect();
    let count =
        |keep: &dyn Fn(&Reconsideration) -> bool| of_year.iter().filter(|a| keep(a)).count() as u64;
    let with_finding = |rule: &str| {
        count(&|a| {
            check_application(a, calendar, as_of)
                .iter()
                .any(|f| f.rule == rule)
        })
    };
    let substantive = count(&Reconsideration::is_substantive);
    let corrected = count(&Reconsideration::is_corrected);
    Kpi {
        received: of_year.len() as u64,
        accepted: count(&|a| a.accepted_on.is_some()),
        substantive,
        corrected,
        correction_rate: rate(corrected, substantive),
        admission_late: with_finding("admission_late"),
        decision_late: with_finding("decision_late"),
    }
}

/// Loads the applications (against `respondent`, if given) and computes the year's KPIs.
pub async fn kpi<S: WorkflowStore, W: WorkingDays>(
    store: &S,
    year: i32,
    respondent: Option<&str>,
    calendar: &W,
    as_of: NaiveDate,
) -> Result<Kpi, storage::StoreError> {
    let applications = applications(store, respondent).await?;
    Ok(kpi_of(&applications, year, calendar, as_of))
}

/// Hearings and appearances of one department, or of the city.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appearance {
    /// Department code; none for the city line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Department name; none for the city line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Hearings (开庭).
    pub hearings: u64,
    /// Hearings where the responsible person appeared (负责人出庭).
    pub appeared: u64,
    /// appeared / hearings, 4 decimals; null when there was no hearing.
    pub rate: Option<f64>,
}

/// What `litigation report` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LitigationReport {
    /// The year, if one was asked for.
    pub year: Option<i32>,
    /// Per department with a hearing, by code.
    pub departments: Vec<Appearance>,
    /// The whole city.
    pub city: Appearance,
}

fn appearance(
    code: Option<String>,
    name: Option<String>,
    hearings: u64,
    appeared: u64,
) -> Appearance {
    Appearance {
        code,
        name,
        hearings,
        appeared,
        rate: rate(appeared, hearings),
    }
}

/// The appearance rate per department and city-wide of `cases` (the hearings of
/// `year`, every hearing with `None`; 开庭日期 puts a hearing in a year).
pub fn litigation_report_of(
    cases: &[LitigationCase],
    year: Option<i32>,
    names: &BTreeMap<String, String>,
) -> LitigationReport {
    let mut per: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for case in cases
        .iter()
        .filter(|c| year.is_none_or(|y| c.hearing_on.year() == y))
    {
        let line = per.entry(case.defendant.as_str()).or_default();
        line.0 += 1;
        line.1 += u64::from(case.head_appeared);
    }
    let (hearings, appeared) = per
        .values()
        .fold((0, 0), |(h, a), (dh, da)| (h + dh, a + da));
    LitigationReport {
        year,
        departments: per
            .into_iter()
            .map(|(code, (h, a))| appearance(Some(code.to_owned()), names.get(code).cloned(), h, a))
            .collect(),
        city: appearance(None, None, hearings, appeared),
    }
}

async fn department_names<S: storage::Store>(
    store: &S,
) -> Result<BTreeMap<String, String>, storage::StoreError> {
    Ok(store
        .departments()
        .await?
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect())
}

/// Loads the hearings and computes the appearance rates.
pub async fn litigation_report<S: WorkflowStore>(
    store: &S,
    year: Option<i32>,
) -> Result<LitigationReport, storage::StoreError> {
    let cases = store.list::<LitigationCase>(None).await?;
    Ok(litigation_report_of(
        &cases,
        year,
        &department_names(store).await?,
    ))
}

/// One department's line of the Justice Bureau's 年报 for 复议 and 诉讼.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualLine {
    /// Department code.
    pub code: String,
    /// Department name.
    pub name: String,
    /// 复议 applications received in the year against it.
    pub received: u64,
    /// Of them, decided on the merits.
    pub substantive: u64,
    /// Of them, corrected directly.
    pub corrected: u64,
    /// corrected / substantive, 4 decimals; null when nothing was substantive.
    pub correction_rate: Option<f64>,
    /// Its hearings in the year.
    pub hearings: u64,
    /// Of them, with the responsible person appearing.
    pub appeared: u64,
    /// 负责人出庭应诉率, 4 decimals; null without a hearing.
    pub appearance_rate: Option<f64>,
}

/// Per department of the directory (by code), the year's 复议 and court
/// appearance figures: what the 行政执法统计年报 reads.
pub async fn annual_lines<S: WorkflowStore, W: WorkingDays>(
    store: &S,
    year: i32,
    calendar: &W,
    as_of: NaiveDate,
) -> Result<Vec<AnnualLine>, storage::StoreError> {
    let names = department_names(store).await?;
    let all = applications(store, None).await?;
    let litigation = litigation_report(store, Some(year)).await?;
    Ok(names
        .iter()
        .map(|(code, name)| {
            let own: Vec<Reconsideration> = all
                .iter()
                .filter(|a| &a.respondent == code)
                .cloned()
                .collect();
            let kpi = kpi_of(&own, year, calendar, as_of);
            let court = litigation
                .departments
                .iter()
                .find(|d| d.code.as_deref() == Some(code));
            AnnualLine {
                code: code.clone(),
                name: name.clone(),
                received: kpi.received,
                substantive: kpi.substantive,
                corrected: kpi.corrected,
                correction_rate: kpi.correction_rate,
                hearings: court.map_or(0, |c| c.hearings),
                appeared: court.map_or(0, |c| c.appeared),
                appearance_rate: court.and_then(|c| c.rate),
            }
        })
        .collect())
}

/// What an import did.
#[derive(Debug)]
pub struct RegisterImport {
    /// Rows, inserts, updates, problems and warnings.
    pub outcome: Outcome,
    /// The file's SHA-256.
    pub sha256: String,
}

/// Writes the records that are new or changed, one ledger entry each, in one
/// transaction; a record stored already as it is is left alone.
async fn write_changed<S: WorkflowStore, D: Document + PartialEq>(
    store: &S,
    records: Vec<D>,
    outcome: &mut Outcome,
    change: Change,
) -> Result<(), storage::StoreError> {
    let stored: BTreeMap<String, D> = store
        .list::<D>(None)
        .await?
        .into_iter()
        .map(|d| (d.key(), d))
        .collect();
    let mut changed = Vec::new();
    for record in records {
        match stored.get(&record.key()) {
            Some(before) if *before == record => outcome.unchanged += 1,
            Some(_) => {
                outcome.updated += 1;
                changed.push(record);
            }
            None => {
                outcome.inserted += 1;
                changed.push(record);
            }
        }
    }
    if !changed.is_empty() {
        store.put(&changed, &change).await?;
    }
    Ok(())
}

async fn read_file<T: Send + 'static>(
    path: &Path,
    read: fn(&Path) -> Result<files::reconsideration::LineFile<T>, ImportError>,
) -> Result<(String, files::reconsideration::LineFile<T>), ImportError> {
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

/// Imports a 行政复议 file. A 被申请人 not in the department directory
/// rejects its row; an 原行政行为案件编号 not in the case register is a
/// warning only (the row is kept, the number as written). Re-importing
/// changes nothing.
pub async fn import_reconsiderations<S: WorkflowStore + CaseStore>(
    store: &S,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<RegisterImport, ImportError> {
    let (sha256, file) = read_file(path, files::reconsideration::read_reconsiderations).await?;
    let mut outcome = file.outcome;
    let departments = department_lookup(&store.departments().await?);
    let cases: BTreeSet<String> = store
        .penalty_cases(None)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut records = Vec::new();
    for line in file.rows {
        let Some(code) = departments.get(&line.record.respondent) else {
            outcome.errors.push(unknown_department(
                line.row,
                &line.department_header,
                &line.record.respondent,
                "被申请人",
            ));
            continue;
        };
        if let Some(case) = &line.record.original_case
            && !cases.contains(case)
        {
            outcome.warnings.push(Problem {
                row: line.row,
                column: line.case_header.clone(),
                value: case.clone(),
                reason: "not in the case register; kept as written".into(),
                reason_zh: "不在行政处罚案件库中，按原文保留".into(),
            });
        }
        records.push(Reconsideration {
            respondent: code.clone(),
            ..line.record
        });
    }
    outcome.errors.sort_by_key(|p| p.row);
    outcome.warnings.sort_by_key(|p| p.row);
    let detail = format!("{} (SHA-256 {sha256})", file_name(path));
    write_changed(
        store,
        records,
        &mut outcome,
        Change::new(at, actor, "reconsideration.imported", detail),
    )
    .await?;
    Ok(RegisterImport { outcome, sha256 })
}

/// Imports a 行政诉讼 hearing file. A 被告 not in the department directory
/// rejects its row. Re-importing changes nothing.
pub async fn import_litigation<S: WorkflowStore>(
    store: &S,
    path: &Path,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<RegisterImport, ImportError> {
    let (sha256, file) = read_file(path, files::reconsideration::read_litigation).await?;
    let mut outcome = file.outcome;
    let departments = department_lookup(&store.departments().await?);
    let mut records = Vec::new();
    for line in file.rows {
        match departments.get(&line.record.defendant) {
            Some(code) => records.push(LitigationCase {
                defendant: code.clone(),
                ..line.record
            }),
            None => outcome.errors.push(unknown_department(
                line.row,
                &line.department_header,
                &line.record.defendant,
                "被告",
            )),
        }
    }
    outcome.errors.sort_by_key(|p| p.row);
    let detail = format!("{} (SHA-256 {sha256})", file_name(path));
    write_changed(
        store,
        records,
        &mut outcome,
        Change::new(at, actor, "litigation.imported", detail),
    )
    .await?;
    Ok(RegisterImport { outcome, sha256 })
}

#[cfg(test)]
mod tests;
