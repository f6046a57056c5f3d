//! `jianguan services window …`: the comprehensive window's steps from the
//! command line, one subcommand per step, each a thin call of
//! `service::window` (English errors; exit 2 for bad input).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::EXIT_BAD_INPUT;
use super::database::DatabaseArgs;
use super::hotline::finish;
use super::licences::LicenceKeyArgs;
use super::workflow::ActorArgs;
use domain::services::{Decision, Review};
use service::now;
use service::window::{self as flow, Receipt, WindowCase};
use storage::Db;

/// `jianguan services window`.
#[derive(Debug, Subcommand)]
pub enum WindowCommand {
    /// 收件: take in an application for a 一窗通办 matter at any window.
    Receive {
        /// 事项编码.
        #[arg(long)]
        matter: String,
        /// 申请人名称.
        #[arg(long = "applicant-name")]
        applicant_name: String,
        /// 申请人证件号码 (统一社会信用代码 or 居民身份证号码).
        #[arg(long)]
        applicant: String,
        /// The window taking it in.
        #[arg(long, default_value = "综合窗口")]
        window: String,
        /// A material handed in, by its catalogue name (repeat).
        #[arg(long = "submitted", value_name = "MATERIAL")]
        submitted: Vec<String>,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 补正: one notice listing every missing material (at most once).
    Correct {
        /// 办件编号.
        id: String,
        /// What the applicant is told.
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 受理: numbers the 受理凭证 and sets the due day.
    Accept {
        /// 办件编号.
        id: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 分办: to the department's back office.
    Assign {
        /// 办件编号.
        id: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 暂停: for a hearing, test or expert review (the days are excluded).
    Pause {
        /// 办件编号.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 恢复: ends the pause and moves the due day.
    Resume {
        /// 办件编号.
        id: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 审批: 准予 or 不予, with a reason (not by the 受理人).
    Decide {
        /// 办件编号.
        id: String,
        /// 准予 or 不予.
        #[arg(long)]
        decision: String,
        /// The reason.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 出件: hands out the result, issuing the signed licence when the
    /// matter has a result licence type and the decision is 准予.
    Issue {
        /// 办件编号.
        id: String,
        #[command(flatten)]
        key: LicenceKeyArgs,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 办结.
    Close {
        /// 办件编号.
        id: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// 评价 (好差评) at the window, once: 非常满意, 满意, 基本满意, 不满意 or 非常不满意.
    Rate {
        /// 办件编号.
        id: String,
        /// The grade.
        #[arg(long)]
        review: String,
        /// The applicant's comment.
        #[arg(long, default_value = "")]
        comment: String,
        #[command(flatten)]
        common: StepArgs,
    },
}

/// What every step takes.
#[derive(Debug, clap::Args)]
pub struct StepArgs {
    /// Print one JSON line: {"id", "stage", "due", "receipt_no", "licence_no"}.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    actor: ActorArgs,
}

/// The file as one line (or JSON).
fn print_case(case: &WindowCase, json: bool) -> anyhow::Result<()> {
    let file = &case.file;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "id": file.id,
                "stage": file.stage.as_str(),
                "due": file.due.map(|d| d.to_string()),
                "receipt_no": file.receipt_no,
                "licence_no": file.licence_no,
            })
        );
    } else {
        let due = file.due.map(|d| format!("\tdue {d}")).unwrap_or_default();
        println!("{}\t{}{due}", file.id, file.stage.as_str());
    }
    Ok(())
}

/// A value the step does not know, as bad input.
fn bad_value(what: &str, value: &str, allowed: &str, json: bool) -> ExitCode {
    let message = format!("{what} {value:?}: use one of {allowed}");
    if json {
        println!("{}", serde_json::json!({ "error": message }));
    }
    eprintln!("error: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Runs one window step.
pub async fn run(
    db: &Db,
    calendar: &workcal::Calendar,
    database: &DatabaseArgs,
    command: &WindowCommand,
) -> anyhow::Result<ExitCode> {
    let at = now();
    let (result, common) = match command {
        WindowCommand::Receive {
            matter,
            applicant_name,
            applicant,
            window,
            submitted,
            common,
        } => {
            let receipt = Receipt {
                matter: matter.clone(),
                applicant_name: applicant_name.clone(),
                applicant: applicant.clone(),
                window: window.clone(),
                submitted: submitted.clone(),
            };
            (
                flow::receive(db, &receipt, &common.actor.actor, at).await,
                common,
            )
        }
        WindowCommand::Correct { id, note, common } => (
            flow::correct(db, calendar, id, note, &common.actor.actor, at).await,
            common,
        ),
        WindowCommand::Accept { id, common } => (
            flow::accept(db, calendar, id, &common.actor.actor, at).await,
            common,
        ),
        WindowCommand::Assign { id, common } => {
            (flow::assign(db, id, &common.actor.actor, at).await, common)
        }
        WindowCommand::Pause { id, reason, common } => (
            flow::pause(db, id, reason, &common.actor.actor, at).await,
            common,
        ),
        WindowCommand::Resume { id, common } => (
            flow::resume(db, calendar, id, &common.actor.actor, at).await,
            common,
        ),
        WindowCommand::Decide {
            id,
            decision,
            reason,
            common,
        } => {
            let Ok(decision) = Decision::parse(decision) else {
                return Ok(bad_value("decision", decision, "准予, 不予", common.json));
            };
            (
                flow::decide(db, id, decision, reason, &common.actor.actor, at).await,
                common,
            )
        }
        WindowCommand::Issue { id, key, common } => {
            let path: PathBuf = key.path(database)?;
            let signing = if key.licence_key.is_some() || path.exists() {
                match service::licences::load_key(&path) {
                    Ok(signing) => Some(signing),
                    Err(error) => {
                        eprintln!("error: {error}");
                        return Ok(ExitCode::from(EXIT_BAD_INPUT));
                    }
                }
            } else {
                None
            };
            (
                flow::issue(db, signing.as_ref(), id, &common.actor.actor, at).await,
                common,
            )
        }
        WindowCommand::Close { id, common } => {
            (flow::close(db, id, &common.actor.actor, at).await, common)
        }
        WindowCommand::Rate {
            id,
            review,
            comment,
            common,
        } => {
            let Ok(grade) = Review::parse(review) else {
                return Ok(bad_value(
                    "review",
                    review,
                    "非常满意, 满意, 基本满意, 不满意, 非常不满意",
                    common.json,
                ));
            };
            (
                flow::rate(db, calendar, id, grade, comment, &common.actor.actor, at).await,
                common,
            )
        }
    };
    let json = common.json;
    finish(result, json, |case| print_case(&case, json))
}
