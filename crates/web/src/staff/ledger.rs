//! 审计台账 (/ledger): the hash-chained ledger, newest first, the actions in
//! Chinese and the times to the second; filtered by action, actor, the
//! actor's department and dates (chosen from selects), paged, and exported as
//! a job (CSV/XLSX); "立即校验" runs [`audit::verify`] as a background job and
//! offers the list of breaks. Needs [`Permission::AuditLedger`].
//!
//! The listing reads the ledger once per head position ([`LedgerCache`]): the
//! ledger only grows, so a page is cut from memory. Verification always reads
//! the database afresh.

use std::sync::Arc;

use askama::Template;
use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Form, Router};

use super::directories::Downloads;
use super::list_export::{self, ListExport};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::jobs;
use crate::ops::ledger::{
    LedgerFilter, LedgerPage, LedgerQuery, PAGE_SIZE, all_entries, entries, verdict,
};
use crate::pages::{Chrome, department_options, render, url_encode};
use crate::query::present;
use domain::account::Permission;
use domain::ledger::LedgerEntry;
use service::audit::{self, AuditReport};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ledger", get(index))
        .route("/ledger/verify", post(verify))
        .route("/ledger/export", post(export))
}

/// A ledger entry as the page shows it: the action in Chinese, the time to the second.
struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: &'static str,
    code: String,
    subject: String,
    detail: String,
    hash: String,
}

impl Row {
    fn of(entry: &LedgerEntry) -> Self {
        Self {
            seq: entry.seq,
            at: domain::ledger::local_time(&entry.at),
            actor: entry.actor.clone(),
            action: domain::ledger::action_text(&entry.action),
            code: entry.action.clone(),
            subject: subject_text(&entry.subject_table, &entry.subject_key),
            detail: entry.detail.clone(),
            hash: entry.hash.clone(),
        }
    }
}

/// What a ledger entry is about, in words: the kind of record and its key.
fn subject_text(table: &str, key: &str) -> String {
    let noun = match table {
        "plans" => "抽查计划",
        "rounds" => "抽取批次",
        "visits" => "检查任务",
        "results" => "检查结果",
        "corrections" => "结果更正",
        "credit_matters" => "信用事项",
        "out_of_plan" => "计划外检查",
        "rectifications" => "整改通知",
        "work_orders" => "12345工单",
        "accounts" => "账户",
        "api_tokens" => "接口令牌",
        "departments" | "department_changes" => "部门",
        "city" => "城市",
        "credit_runs" => "信用分类与导入",
        "credit_repairs" => "信用修复",
        "calendar_notices" => "放假安排",
        _ => "记录",
    };
    format!("{noun} {key}")
}

/// The filter choices: actions (code, label), actors, departments.
struct Choices {
    actions: Vec<(&'static str, &'static str)>,
    actors: Vec<String>,
    departments: Vec<(String, String)>,
}

async fn choices(state: &AppState) -> Result<Choices> {
    let (_, all) = all_entries(state).await?;
    let actors: BTreeSet<String> = all.iter().map(|e| e.actor.clone()).collect();
    Ok(Choices {
        actions: domain::ledger::ACTION_LABELS.to_vec(),
        actors: actors.into_iter().collect(),
        departments: department_options(state).await?,
    })
}

/// The listing's address with its filters, ending in `&`.
fn filter_link(query: &LedgerQuery) -> String {
    let mut link = String::from("/ledger?");
    for (name, value) in filter_fields(query) {
        link.push_str(&format!("{name}={}&", url_encode(&value)));
    }
    link
}

fn filter_fields(query: &LedgerQuery) -> Vec<(&'static str, String)> {
    [
        ("action", &query.action),
        ("actor", &query.actor),
        ("department", &query.department),
        ("from", &query.from),
        ("to", &query.to),
    ]
    .into_iter()
    .filter_map(|(name, value)| present(value).map(|v| (name, v.to_owned())))
    .collect()
}

#[derive(Template)]
#[template(path = "staff/ledger.html")]
struct Index {
    chrome: Chrome,
    page: LedgerPage,
    rows: Vec<Row>,
    query: LedgerQuery,
    choices: Choices,
    fields: Vec<(&'static str, String)>,
    link: String,
    number: usize,
    pages: usize,
    job: Option<u64>,
}

async fn index_page(
    state: &AppState,
    user: &User,
    query: LedgerQuery,
    job: Option<u64>,
) -> Result<Html<String>> {
    let query = LedgerQuery {
        before: None,
        limit: None,
        ..query
    };
    let page = entries(state, &query).await?;
    let pages = page.matching.div_ceil(PAGE_SIZE).max(1);
    render(&Index {
        chrome: Chrome::staff(user, "审计台账", "/ledger"),
        rows: page.items.iter().map(Row::of).collect(),
        page,
        choices: choices(state).await?,
        fields: filter_fields(&query),
        link: filter_link(&query),
        number: query.page.unwrap_or(1).max(1),
        pages,
        query,
        job,
    })
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<LedgerQuery>,
) -> Result<Html<String>> {
    user.require(Permission::AuditLedger)?;
    index_page(&state, &user, query, None).await
}

/// The filters and the export format.
#[derive(Debug, Default, serde::Deserialize)]
struct ExportForm {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

/// `POST /ledger/export`: every entry matching the filters, as a CSV or XLSX job.
async fn export(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(form): Form<ExportForm>,
) -> Result<Html<String>> {
    user.require(Permission::AuditLedger)?;
    let query = LedgerQuery {
        action: form.action,
        actor: form.actor,
        department: form.department,
        from: form.from,
        to: form.to,
        ..LedgerQuery::default()
    };
    let filter = LedgerFilter::of(&state, &query).await?;
    let back = filter_link(&query);
    let back = back.trim_end_matches(['&', '?']).to_owned();
    list_export::start(
        &state,
        &user,
        ListExport {
            name: "审计台账",
            back: &back,
            format: list_export::format(form.format.as_deref()),
        },
        move |state, mut writer, progress| async move {
            let (_, all) = all_entries(&state).await?;
            let total = all.len() as u64;
            writer
                .row(&[
                    "序号",
                    "时间",
                    "操作人",
                    "操作",
                    "操作代码",
                    "对象",
                    "说明",
                    "哈希",
                ])
                .map_err(Error::internal)?;
            for (done, entry) in all.iter().rev().enumerate() {
                if filter.passes(entry) {
                    let row = Row::of(entry);
                    writer
                        .row(&[
                            row.seq.to_string(),
                            row.at,
                            row.actor,
                            row.action.to_owned(),
                            row.code,
                            row.subject,
                            row.detail,
                            row.hash,
                        ])
                        .map_err(Error::internal)?;
                }
                if done % 1000 == 0 {
                    progress.set(done as u64, total);
                }
            }
            progress.set(total, total);
            Ok(writer)
        },
    )
}

/// `POST /ledger/verify`: the audit as a job; its outcome is the verdict,
/// with the breaks (if any) offered as a CSV file.
async fn verify(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    user.require(Permission::AuditLedger)?;
    let owner = user.account().username.clone();
    let id = state.jobs.start("审计台账校验", &owner);
    let job_state = state.clone();
    jobs::spawn(&state, id, async move {
        let report = audit::verify(&job_state.db).await?;
        let mut message = verdict(&report);
        for found in report.breaks.iter().take(3) {
            message.push_str(&format!(
                "；#{} {}：{}",
                found.seq, found.subject, found.problem
            ));
        }
        if report.intact() {
            return Ok((message, None));
        }
        let path = Downloads::new_path("csv")?;
        write_breaks(&report, &path).map_err(Error::internal)?;
        let name = format!(
            "台账校验问题-{}.csv",
            domain::clock::now().format("%Y%m%d-%H%M%S")
        );
        let href = job_state.downloads.offer(&owner, path, &name)?;
        Ok((message, Some((href, "下载问题清单 (CSV)".to_owned()))))
    });
    index_page(&state, &user, LedgerQuery::default(), Some(id)).await
}

fn write_breaks(
    report: &AuditReport,
    path: &std::path::Path,
) -> std::result::Result<(), csv::Error> {
    let mut file = std::fs::File::create(path)?;
    std::io::Write::write_all(&mut file, b"\xEF\xBB\xBF")?;
    let mut writer = csv::Writer::from_writer(file);
    writer.write_record(["台账序号", "对象", "问题"])?;
    for found in &report.breaks {
        let row = [
            found.seq.to_string(),
            found.subject.clone(),
            found.problem.clone(),
        ];
        writer.write_record(
            files::formula::guard_row(&row)
                .iter()
                .map(|cell| cell.as_bytes()),
        )?;
    }
    writer.flush()?;
    Ok(())
}
