//! `jianguan credit repair …` (信用修复: request, review, list) and
//! `jianguan credit expiry` (entries whose publication ends or ended by itself).
//! With `--json`, one JSON document with stable field names.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::workflow::{ActorArgs, print_json};
use domain::credit::{EntryKey, ListType, Severity};
use domain::credit_repair::{RepairRequest, RepairStatus};
use service::{self, credit_repair};
use storage::Db;

/// `jianguan credit repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(subcommand)]
    command: RepairCommand,
}

#[derive(Debug, Subcommand)]
enum RepairCommand {
    /// File a repair request for one entry (refused before its minimum period has run).
    Request {
        /// 统一社会信用代码 or 身份证号码 of the entry.
        #[arg(long)]
        subject: String,
        /// List type: blacklist, abnormal, penalty (or the Chinese name).
        #[arg(long = "list")]
        list_type: String,
        /// The entry's 列入日期 (YYYY-MM-DD).
        #[arg(long)]
        listed_on: NaiveDate,
        /// The entry's 文号 (for the lists, as imported).
        #[arg(long = "ref")]
        ref_no: String,
        /// The applicant's statement and evidence.
        #[arg(long)]
        statement: String,
        /// Who applies (default: the subject's name).
        #[arg(long, default_value = "")]
        applicant: String,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Approve (the entry stops counting from the review date) or reject a pending request.
    Review {
        /// Request id, e.g. XF-2026-0001.
        id: String,
        /// Approve: repair the entry.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        approve: bool,
        /// Reject: the entry stays.
        #[arg(long)]
        reject: bool,
        /// Why (required for a rejection and for a 严重失信主体名单 entry).
        #[arg(long, default_value = "")]
        reason: String,
        /// Severity for an entry that has none: 轻微, 一般 or 严重 (minor, ordinary, serious).
        #[arg(long)]
        severity: Option<String>,
        #[command(flatten)]
        step: StepArgs,
    },
    /// List requests, newest first.
    List {
        /// Only this status: 待审核, 已修复, 已驳回 (pending, repaired, rejected).
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// What a request and a review share: the day, the output, who acts.
#[derive(Debug, Args)]
struct StepArgs {
    /// The request's date, or the decision's (for an approval the repair date); default today.
    #[arg(long)]
    on: Option<NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    actor: ActorArgs,
}

/// `jianguan credit expiry`.
#[derive(Debug, Args)]
pub struct ExpiryArgs {
    /// The day to look from (default: today).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// How many days ahead (and back, for the ended ones).
    #[arg(long, default_value_t = 30)]
    within: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `jianguan credit repair …` on the open database.
pub async fn repair(store: &Db, args: &RepairArgs) -> anyhow::Result<ExitCode> {
    let at = service::now();
    match &args.command {
        RepairCommand::Request {
            subject,
            list_type,
            listed_on,
            ref_no,
            statement,
            applicant,
            step,
        } => {
            let input = credit_repair::RequestInput {
                entry: EntryKey {
                    subject: subject.trim().to_uppercase(),
                    list_type: ListType::parse(list_type)?,
                    listed_on: *listed_on,
                    ref_no: ref_no.trim().to_owned(),
                },
                applicant: applicant.clone(),
                statement: statement.clone(),
                requested_on: step.on.unwrap_or(at.date_naive()),
            };
            let filed = credit_repair::request(store, input, at, &step.actor.actor).await?;
            print_request(&filed, step.json)?;
        }
        RepairCommand::Review {
            id,
            approve,
            reject: _,
            reason,
            severity,
            step,
        } => {
            let decision = credit_repair::Decision {
                approve: *approve,
                reason: reason.clone(),
                severity: severity.as_deref().map(Severity::parse).transpose()?,
                on: step.on.unwrap_or(at.date_naive()),
            };
            let reviewed =
                credit_repair::review(store, id, decision, at, &step.actor.actor).await?;
            print_request(&reviewed, step.json)?;
        }
        RepairCommand::List { status, json } => {
            let status = status.as_deref().map(RepairStatus::parse).transpose()?;
            let requests = credit_repair::list(store, status).await?;
            if *json {
                print_json(&requests.iter().map(RequestLine::of).collect::<Vec<_>>())?;
            } else {
                for r in &requests {
                    println!("{}", RequestLine::of(r).text());
                }
                println!("{} requests", requests.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One request, with stable field names.
#[derive(Serialize)]
struct RequestLine<'a> {
    id: &'a str,
    subject: &'a str,
    subject_name: &'a str,
    list_type: &'a str,
    listed_on: NaiveDate,
    ref_no: &'a str,
    applicant: &'a str,
    requested_on: NaiveDate,
    severity: Option<&'a str>,
    opens_on: Option<NaiveDate>,
    status: &'a str,
    reviewer: Option<&'a str>,
    reviewed_on: Option<NaiveDate>,
    reason: Option<&'a str>,
    repaired_on: Option<NaiveDate>,
}

impl<'a> RequestLine<'a> {
    fn of(r: &'a RepairRequest) -> Self {
        let review = r.review.as_ref();
        Self {
            id: &r.id,
            subject: &r.entry.subject,
            subject_name: &r.subject_name,
            list_type: r.entry.list_type.as_str(),
            listed_on: r.entry.listed_on,
            ref_no: &r.entry.ref_no,
            applicant: &r.applicant,
            requested_on: r.requested_on,
            severity: review
                .and_then(|v| v.severity_assigned.as_deref())
                .or(r.severity.as_deref()),
            opens_on: r.opens_on,
            status: r.status.as_str(),
            reviewer: review.map(|v| v.reviewer.as_str()),
            reviewed_on: review.map(|v| v.reviewed_on),
            reason: review.map(|v| v.reason.as_str()),
            repaired_on: r.repaired_on(),
        }
    }

    fn text(&self) -> String {
        let opens = self
            .opens_on
            .map_or("severity not assigned".to_owned(), |d| format!("opens {d}"));
        let repaired = self
            .repaired_on
            .map_or(String::new(), |d| format!(", repaired on {d}"));
        format!(
            "{}\t{}\t{} {} {} {}\trequested {} ({opens})\t{}{repaired}",
            self.id,
            self.status,
            self.subject,
            self.list_type,
            self.listed_on,
            self.ref_no,
            self.requested_on,
            self.subject_name
        )
    }
}

fn print_request(request: &RepairRequest, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(&RequestLine::of(request))
    } else {
        println!("{}", RequestLine::of(request).text());
        Ok(())
    }
}

/// `jianguan credit expiry` on the open database: what stops being published
/// within `--within` days, and what stopped in the `--within` days before.
pub async fn expiry(store: &Db, args: &ExpiryArgs) -> anyhow::Result<ExitCode> {
    let as_of = args.as_of.unwrap_or(service::now().date_naive());
    let expiring = credit_repair::expiring(store, as_of, args.within).await?;
    let ended = credit_repair::ended(store, as_of, args.within).await?;
    if args.json {
        print_json(&serde_json::json!({
            "as_of": as_of, "within_days": args.within, "expiring": expiring, "ended": ended,
        }))?;
    } else {
        print_expiry(
            &format!("publication ends within {} days of {as_of}", args.within),
            &expiring,
        );
        print_expiry(
            &format!(
                "publication ended in the {} days before {as_of}",
                args.within
            ),
            &ended,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_expiry(title: &str, lines: &[credit_repair::ExpiryLine]) {
    println!("{title} ({}):", lines.len());
    for e in lines {
        println!(
            "  last day {}\t{} {} {} {}\t{} (by {})",
            e.last_day, e.subject, e.list_type, e.listed_on, e.ref_no, e.subject_name, e.ends_by
        );
    }
}
