//! 行政复议 (/reconsideration) and 行政诉讼出庭应诉 (/litigation): the
//! registers with their statutory clock and the appearance rate. A
//! department's staff see the applications where it is 被申请人 and its own
//! hearings; the Justice Bureau sees all.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::ops::lists::{Filters, PER_PAGE, offset, page_number};
use crate::pages::{Chrome, department_options, render};
use crate::staff::cases::scope;
use crate::staff::credit::{ImportPage, receive_upload};
use crate::staff::directories::Downloads;
use crate::staff::list_export::{ExportRequest, ListExport, start};
use crate::staff::lists::{ExportForm, Pager};
use crate::text::url_encode;
use domain::account::Permission;
use domain::reconsideration::{DecisionKind, LitigationCase, Reconsideration};
use files::watermark::Watermark;
use service::enforcement::Finding;
use service::reconsideration::{
    RULES, admission_deadline, applications, check_application, correction_notice_deadline,
    decision_deadline, litigation_report_of,
};
use storage::WorkflowStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/reconsideration", get(index))
        .route("/reconsideration/export", post(export))
        .route(
            "/reconsideration/import",
            post(import_upload).layer(DefaultBodyLimit::max(MAX_IMPORT)),
        )
        .route("/reconsideration/{id}", get(show))
        .route("/litigation", get(litigation))
        .route("/litigation/export", post(litigation_export))
}

/// The largest upload accepted.
const MAX_IMPORT: usize = 256 << 20;

/// A finding's name in Chinese.
pub fn rule_name(rule: &str) -> &'static str {
    match rule {
        "correction_notice_late" => "补正通知逾期",
        "admission_late" => "受理审查逾期",
        "decision_late" => "复议决定超期",
        _ => "其他",
    }
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().map_or("", str::trim)
}

fn date(day: Option<NaiveDate>) -> String {
    day.map(|d| d.to_string()).unwrap_or_default()
}

/// The list's filters.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ApplicationFilter {
    /// Words of the 案号, the applicant or the original case number.
    #[serde(default)]
    q: Option<String>,
    /// 被申请人 (a department code).
    #[serde(default)]
    respondent: Option<String>,
    /// 决定类型, or `undecided`.
    #[serde(default)]
    decision: Option<String>,
    /// A finding code.
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

impl ApplicationFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", text(&self.q))
            .with("respondent", text(&self.respondent))
            .with("decision", text(&self.decision))
            .with("rule", text(&self.rule))
    }
}

/// The applications the viewer sees, each with its findings as of today.
async fn load(state: &AppState, user: &User) -> Result<Vec<(Reconsideration, Vec<Finding>)>> {
    let respondent = scope(user.account());
    let calendar = state.calendar.get();
    let today = domain::clock::today();
    Ok(applications(&state.db, respondent.as_deref())
        .await?
        .into_iter()
        .map(|a| {
            let found = check_application(&a, &*calendar, today);
            (a, found)
        })
        .collect())
}

fn matching<'a>(
    all: &'a [(Reconsideration, Vec<Finding>)],
    filter: &ApplicationFilter,
) -> Vec<&'a (Reconsideration, Vec<Finding>)> {
    let q = text(&filter.q).to_lowercase();
    all.iter()
        .filter(|(a, _)| {
            q.is_empty()
                || a.id.to_lowercase().contains(&q)
                || a.applicant.to_lowercase().contains(&q)
                || a.original_case
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().contains(&q))
        })
        .filter(|(a, _)| match text(&filter.respondent) {
            "" => true,
            code => a.respondent == code,
        })
        .filter(|(a, _)| match text(&filter.decision) {
            "" => true,
            "undecided" => a.decision.is_none(),
            kind => a.decision.is_some_and(|d| d.as_str() == kind),
        })
        .filter(|(_, found)| match text(&filter.rule) {
            "" => true,
            rule => found.iter().any(|f| f.rule == rule),
        })
        .collect()
}

/// One row of the list.
struct Row {
    id: String,
    href: String,
    applicant: String,
    respondent: String,
    received_on: String,
    accepted_on: String,
    decided_on: String,
    decision: String,
    findings: Vec<&'static str>,
}

fn row((a, found): &(Reconsideration, Vec<Finding>), names: &HashMap<String, String>) -> Row {
    Row {
        id: a.id.clone(),
        href: format!("/reconsideration/{}", url_encode(&a.id)),
        applicant: a.applicant.clone(),
        respondent: names.get(&a.respondent).map_or_else(
            || a.respondent.clone(),
            |n| format!("{n}（{}）", a.respondent),
        ),
        received_on: a.received_on.to_string(),
        accepted_on: date(a.accepted_on),
        decided_on: date(a.decided_on),
        decision: a
            .decision
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        findings: found.iter().map(|f| rule_name(&f.rule)).collect(),
    }
}

async fn names(state: &AppState) -> Result<(Vec<(String, String)>, HashMap<String, String>)> {
    let options = department_options(state).await?;
    let names = options.iter().cloned().collect();
    Ok((options, names))
}

#[derive(Template)]
#[template(path = "staff/reconsideration.html")]
struct Index {
    chrome: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    export: ExportForm,
    q: String,
    respondent: String,
    decision: String,
    rule: String,
    departments: Vec<(String, String)>,
    sees_all: bool,
    decisions: Vec<&'static str>,
    rules: Vec<(&'static str, &'static str)>,
    /// Whether the viewer imports the registers (the Justice Bureau).
    may_import: bool,
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<ApplicationFilter>,
) -> Result<Html<String>> {
    let own = scope(user.account());
    let all = load(&state, &user).await?;
    let (options, names) = names(&state).await?;
    let found = matching(&all, &filter);
    let page = page_number(filter.page);
    let rows = found
        .iter()
        .skip(usize::try_from(offset(page)).unwrap_or(usize::MAX))
        .take(PER_PAGE as usize)
        .map(|r| row(r, &names))
        .collect();
    let filters = filter.filters();
    render(&Index {
        rows,
        pager: Pager::new("/reconsideration", &filters, page, found.len() as u64),
        export: ExportForm::new("/reconsideration/export", &user.0.csrf, &filters),
        q: text(&filter.q).to_owned(),
        respondent: text(&filter.respondent).to_owned(),
        decision: text(&filter.decision).to_owned(),
        rule: text(&filter.rule).to_owned(),
        departments: options
            .into_iter()
            .filter(|(code, _)| own.as_deref().is_none_or(|d| d == code))
            .collect(),
        sees_all: own.is_none(),
        decisions: DecisionKind::ALL.iter().map(|d| d.as_str()).collect(),
        rules: RULES.iter().map(|r| (*r, rule_name(r))).collect(),
        may_import: user.account().may(Permission::Rectify),
        chrome: Chrome::staff(&user, "行政复议", "/reconsideration"),
    })
}

/// The list (with its filters) as a CSV/XLSX job. 申请人 is a name (a person's
/// or an organisation's); the register holds no ID numbers.
async fn export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<ApplicationFilter>>,
) -> Result<Html<String>> {
    let all = load(&state, &user).await?;
    let (_, names) = names(&state).await?;
    let rows: Vec<Row> = matching(&all, &request.filter)
        .into_iter()
        .map(|r| row(r, &names))
        .collect();
    let back = request.filter.filters().href("/reconsideration");
    let export = ListExport {
        name: "行政复议案件",
        back: &back,
        format: request.format(),
    };
    start(
        &state,
        &user,
        export,
        async move |_, mut writer, progress| {
            writer
                .row(&[
                    "案号",
                    "申请人",
                    "被申请人",
                    "收到日期",
                    "受理日期",
                    "决定日期",
                    "决定类型",
                    "问题",
                ])
                .map_err(Error::internal)?;
            let total = rows.len() as u64;
            for (done, r) in rows.into_iter().enumerate() {
                writer
                    .row(&[
                        r.id,
                        r.applicant,
                        r.respondent,
                        r.received_on,
                        r.accepted_on,
                        r.decided_on,
                        r.decision,
                        r.findings.join("、"),
                    ])
                    .map_err(Error::internal)?;
                progress.set(done as u64 + 1, total);
            }
            Ok(writer)
        },
    )
}

#[derive(Template)]
#[template(path = "staff/reconsideration_show.html")]
struct Show {
    chrome: Chrome,
    application: Reconsideration,
    respondent: String,
    correction_notice_due: String,
    admission_due: String,
    decision_due: String,
    /// The original case's page, when the case is in the register (and visible).
    case_href: Option<String>,
    findings: Vec<(&'static str, String)>,
}

async fn show(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let own = scope(user.account());
    let not_found = || Error::NotFound(format!("没有行政复议案件 {id}"));
    let application = state
        .db
        .get::<Reconsideration>(&id)
        .await?
        .filter(|a| own.as_deref().is_none_or(|d| d == a.respondent))
        .ok_or_else(not_found)?;
    let calendar = state.calendar.get();
    let today = domain::clock::today();
    let (_, names) = names(&state).await?;
    let case_href = match &application.original_case {
        Some(case) => state
            .db
            .get::<domain::enforcement::PenaltyCase>(case)
            .await?
            .filter(|c| own.as_deref().is_none_or(|d| d == c.department))
            .map(|c| format!("/cases/{}", url_encode(&c.id))),
        None => None,
    };
    let findings = check_application(&application, &*calendar, today)
        .into_iter()
        .map(|f| (rule_name(&f.rule), f.detail))
        .collect();
    render(&Show {
        chrome: Chrome::staff(
            &user,
            format!("行政复议 {}", application.id),
            "/reconsideration",
        ),
        respondent: names.get(&application.respondent).map_or_else(
            || application.respondent.clone(),
            |n| format!("{n}（{}）", application.respondent),
        ),
        correction_notice_due: application
            .correction_notice_on
            .and_then(|_| correction_notice_deadline(&*calendar, &application))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        admission_due: date(admission_deadline(&*calendar, &application)),
        decision_due: date(decision_deadline(&application)),
        case_href,
        findings,
        application,
    })
}

/// The hearing list's filters.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct HearingFilter {
    /// Words of the 案号.
    #[serde(default)]
    q: Option<String>,
    /// 被告 (a department code).
    #[serde(default)]
    department: Option<String>,
    /// The year of the hearing.
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

impl HearingFilter {
    fn filters(&self) -> Filters {
        Filters::default()
            .with("q", text(&self.q))
            .with("department", text(&self.department))
            .with("year", text(&self.year))
    }

    fn year(&self) -> Option<i32> {
        text(&self.year).parse().ok()
    }

    fn keeps(&self, case: &LitigationCase) -> bool {
        let q = text(&self.q).to_lowercase();
        (q.is_empty() || case.id.to_lowercase().contains(&q))
            && match text(&self.department) {
                "" => true,
                code => case.defendant == code,
            }
            && self
                .year()
                .is_none_or(|y| chrono::Datelike::year(&case.hearing_on) == y)
    }
}

async fn hearings(state: &AppState, user: &User) -> Result<Vec<LitigationCase>> {
    let own = scope(user.account());
    Ok(state
        .db
        .list::<LitigationCase>(own.as_deref().map(|d| ("defendant", d)))
        .await?)
}

fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.2}%", r * 100.0))
}

#[derive(Template)]
#[template(path = "staff/litigation.html")]
struct Hearings {
    chrome: Chrome,
    /// (code, name, hearings, appeared, rate), then the city line with an empty code.
    rates: Vec<(String, String, u64, u64, String)>,
    rows: Vec<(String, String, String, &'static str)>,
    pager: Pager,
    export: ExportForm,
    q: String,
    department: String,
    year: String,
    departments: Vec<(String, String)>,
    sees_all: bool,
}

async fn litigation(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<HearingFilter>,
) -> Result<Html<String>> {
    let own = scope(user.account());
    let all = hearings(&state, &user).await?;
    let (options, names) = names(&state).await?;
    let by_code: std::collections::BTreeMap<String, String> =
        names.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
    let report = litigation_report_of(&all, filter.year(), &by_code);
    let mut rates: Vec<(String, String, u64, u64, String)> = report
        .departments
        .iter()
        .map(|d| {
            (
                d.code.clone().unwrap_or_default(),
                d.name.clone().unwrap_or_default(),
                d.hearings,
                d.appeared,
                rate_text(d.rate),
            )
        })
        .collect();
    if own.is_none() {
        rates.push((
            String::new(),
            "全市".to_owned(),
            report.city.hearings,
            report.city.appeared,
            rate_text(report.city.rate),
        ));
    }
    let kept: Vec<&LitigationCase> = all.iter().filter(|c| filter.keeps(c)).collect();
    let page = page_number(filter.page);
    let rows = kept
        .iter()
        .skip(usize::try_from(offset(page)).unwrap_or(usize::MAX))
        .take(PER_PAGE as usize)
        .map(|c| hearing_row(c, &names))
        .collect();
    let filters = filter.filters();
    render(&Hearings {
        rates,
        rows,
        pager: Pager::new("/litigation", &filters, page, kept.len() as u64),
        export: ExportForm::new("/litigation/export", &user.0.csrf, &filters),
        q: text(&filter.q).to_owned(),
        department: text(&filter.department).to_owned(),
        year: text(&filter.year).to_owned(),
        departments: options
            .into_iter()
            .filter(|(code, _)| own.as_deref().is_none_or(|d| d == code))
            .collect(),
        sees_all: own.is_none(),
        chrome: Chrome::staff(&user, "行政诉讼出庭应诉", "/reconsideration"),
    })
}

fn hearing_row(
    case: &LitigationCase,
    names: &HashMap<String, String>,
) -> (String, String, String, &'static str) {
    (
        case.id.clone(),
        names.get(&case.defendant).map_or_else(
            || case.defendant.clone(),
            |n| format!("{n}（{}）", case.defendant),
        ),
        case.hearing_on.to_string(),
        if case.head_appeared { "是" } else { "否" },
    )
}

async fn litigation_export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<HearingFilter>>,
) -> Result<Html<String>> {
    let all = hearings(&state, &user).await?;
    let (_, names) = names(&state).await?;
    let rows: Vec<_> = all
        .iter()
        .filter(|c| request.filter.keeps(c))
        .map(|c| hearing_row(c, &names))
        .collect();
    let back = request.filter.filters().href("/litigation");
    let export = ListExport {
        name: "行政诉讼出庭应诉",
        back: &back,
        format: request.format(),
    };
    start(
        &state,
        &user,
        export,
        async move |_, mut writer, progress| {
            writer
                .row(&["案号", "被告", "开庭日期", "负责人出庭"])
                .map_err(Error::internal)?;
            let total = rows.len() as u64;
            for (done, (id, defendant, on, appeared)) in rows.into_iter().enumerate() {
                writer
                    .row(&[id, defendant, on, appeared.to_owned()])
                    .map_err(Error::internal)?;
                progress.set(done as u64 + 1, total);
            }
            Ok(writer)
        },
    )
}

/// `POST /reconsideration/import?csrf=…`: multipart `kind` (`reconsideration`
/// or `litigation`) and `file`, imported as a job by the Justice Bureau; the
/// error report (row, column, reason in Chinese) is offered for download.
async fn import_upload(
    State(state): State<Arc<AppState>>,
    user: User,
    multipart: Multipart,
) -> Result<Html<String>> {
    let account = user.require(Permission::Rectify)?.clone();
    let upload = receive_upload(multipart).await?;
    let litigation = match upload.field("kind") {
        Some("litigation") => true,
        Some("reconsideration") | None => false,
        Some(other) => {
            upload.remove();
            return Err(Error::BadRequest(format!(
                "未知导入类型 {other}，应为 reconsideration 或 litigation"
            )));
        }
    };
    let heading = format!(
        "导入{}：{}",
        if litigation {
            "行政诉讼出庭应诉记录"
        } else {
            "行政复议案件"
        },
        upload.file_name
    );
    let id = state.jobs.start(&heading, &account.username);
    let job_state = state.clone();
    let watermark = Watermark::web(&account, format!("{} 导入错误报告", upload.file_name));
    crate::jobs::spawn(&state, id, async move {
        let at = service::now();
        let imported = if litigation {
            service::reconsideration::import_litigation(
                &job_state.db,
                &upload.path,
                &account.username,
                at,
            )
            .await
        } else {
            service::reconsideration::import_reconsiderations(
                &job_state.db,
                &upload.path,
                &account.username,
                at,
            )
            .await
        };
        upload.remove();
        let imported = imported.map_err(|e| upload.refusal(e))?;
        let outcome = &imported.outcome;
        let mut message = format!(
            "读取 {} 行，导入 {} 行（新增 {}，更新 {}，未变 {}），拒绝 {} 行，警告 {} 条",
            outcome.total_rows,
            outcome.imported(),
            outcome.inserted,
            outcome.updated,
            outcome.unchanged,
            outcome.rejected(),
            outcome.warnings.len(),
        );
        for problem in outcome.errors.iter().chain(&outcome.warnings).take(3) {
            message.push_str(&format!(
                "；第 {} 行 {}：{}",
                problem.row, problem.column, problem.reason_zh
            ));
        }
        if outcome.errors.is_empty() && outcome.warnings.is_empty() {
            return Ok((message, None));
        }
        let path = Downloads::new_path("xlsx")?;
        files::report::write_report(outcome, &upload.file_name, &path, &watermark)
            .map_err(Error::internal)?;
        let href = job_state.downloads.offer(
            &account.username,
            path,
            &format!("{}.errors.xlsx", upload.file_name),
        )?;
        Ok((message, Some((href, "下载错误报告 (XLSX)".to_owned()))))
    });
    render(&ImportPage {
        chrome: Chrome::staff(&user, heading.clone(), "/reconsideration"),
        heading,
        job: id,
    })
}
