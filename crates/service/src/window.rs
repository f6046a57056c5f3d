//! The comprehensive window (综合窗口, 一窗通办; issue 21, items 2, 5 and 6):
//! 收件 (无差别受理, 一证通办), 补正 (一次性告知), 受理 (受理凭证), 分办, 暂停/恢复,
//! 审批, 出件 (the result licence issued and signed), 办结, then 好差评 and a
//! 差评's rectification, callback or 12345 work order. Every step is one
//! transaction writing the application and its window file, each with its
//! ledger entry. The web pages and the tests call these functions; see
//! docs/services.md.

use chrono::{DateTime, FixedOffset, NaiveDate};
use ed25519_dalek::SigningKey;

use domain::Refusal;
use domain::credit::Subject;
use domain::hotline::{Caller, HotlineRules, Intake, WorkingDays, beijing};
use domain::licence::LicenceStatus;
use domain::services::{Application, Channel, Decision, MatterRecord, RECTIFY_DAYS, Review};
use domain::window::{
    Approval, CORRECTION_DAYS, Correction, Material, Pause, Rectification, Stage, WindowFile,
    licence_stands_for,
};
use storage::licences::LicenceStore;
use storage::{Change, Db, DocQuery, WorkflowStore};

use crate::{Result, WorkflowError, refuse};

fn day(at: DateTime<FixedOffset>) -> NaiveDate {
    at.with_timezone(&beijing()).date_naive()
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| crate::refused(format!("no randomness for a number: {e}")))?;
    Ok(buffer.iter().map(|b| format!("{b:02X}")).collect())
}

fn required<'a>(field: &'static str, label: &str, text: &'a str, max: usize) -> Result<&'a str> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(Refusal::new(
            "window_field_required",
            format!("{field} is required (at most {max} characters)"),
            format!("请填写{label}（不超过 {max} 个字）。办件未作改动。"),
        )
        .on(field)
        .into());
    }
    Ok(text)
}

/// What 收件 is given.
#[derive(Debug, Clone, Default)]
pub struct Receipt {
    /// 事项编码.
    pub matter: String,
    /// 申请人名称.
    pub applicant_name: String,
    /// 申请人证件号码.
    pub applicant: String,
    /// The window taking it in, e.g. `综合窗口 12`.
    pub window: String,
    /// Names of the materials handed in.
    pub submitted: Vec<String>,
}

/// An application and its window file.
#[derive(Debug, Clone)]
pub struct WindowCase {
    /// The application (the KPIs' times).
    pub application: Application,
    /// Its window file.
    pub file: WindowFile,
}

/// The application and window file `id`.
pub async fn case(db: &Db, id: &str) -> Result<WindowCase> {
    let file = db
        .get::<WindowFile>(id)
        .await?
        .ok_or_else(|| WorkflowError::NotFound {
            what: "window file",
            id: id.to_owned(),
        })?;
    let application = db
        .get::<Application>(id)
        .await?
        .ok_or_else(|| WorkflowError::NotFound {
            what: "application",
            id: id.to_owned(),
        })?;
    Ok(WindowCase { application, file })
}

/// The window file whose public query code is `code`, if any.
pub async fn case_by_code(db: &Db, code: &str) -> Result<Option<WindowCase>> {
    let code = code.trim();
    if code.len() != 32 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let found = db
        .list::<WindowFile>(Some(("query_code", &code.to_ascii_uppercase())))
        .await?;
    match found.into_iter().next() {
        Some(file) => Ok(Some(case(db, &file.id).await?)),
        None => Ok(None),
    }
}

async fn save(
    db: &Db,
    case: &WindowCase,
    action: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
    detail: String,
) -> Result<()> {
    let change = Change::new(at, actor, action, detail);
    db.put_both(
        (std::slice::from_ref(&case.application), &change),
        (std::slice::from_ref(&case.file), &change),
    )
    .await?;
    Ok(())
}

fn wrong_stage(case: &WindowCase, step: &str, expected: &[Stage]) -> WorkflowError {
    let names: Vec<&str> = expected.iter().map(|s| s.as_str()).collect();
    refuse(
        "window_wrong_stage",
        format!(
            "application {} is {}: {step} needs {}",
            case.file.id,
            case.file.stage.as_str(),
            names.join(" / ")
        ),
        format!(
            "办件 {} 当前为“{}”，不能{step}（须为{}）。办件未作改动。",
            case.file.id,
            case.file.stage.as_str(),
            names.join("或")
        ),
    )
}

fn expect_stage(case: &WindowCase, step: &str, expected: &[Stage]) -> Result<()> {
    if expected.contains(&case.file.stage) {
        Ok(())
    } else {
        Err(wrong_stage(case, step, expected))
    }
}

async fn current_matter(db: &Db, code: &str) -> Result<MatterRecord> {
    let record = db.get::<MatterRecord>(code.trim()).await?.ok_or_else(|| {
        Refusal::new(
            "window_unknown_matter",
            format!("matter {code:?} is not in the catalogue"),
            format!("事项编码“{code}”不在事项清单中。办件未作改动。"),
        )
        .on("matter")
    })?;
    if record.current().is_none() {
        return Err(crate::refused(format!("matter {code} has no version")));
    }
    Ok(record)
}

/// 收件 at a comprehensive window (无差别受理): any 一窗通办 matter, at any
/// window; a matter not marked 一窗通办 is refused (`window_not_one_window`).
/// For a 一证通办 matter, each required material a valid licence of the
/// applicant stands for ([`licence_stands_for`]) is marked 免提交 with the
/// licence's number.
pub async fn receive(
    db: &Db,
    receipt: &Receipt,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let record = current_matter(db, &receipt.matter).await?;
    let Some(current) = record.current() else {
        return Err(crate::refused("matter without a version"));
    };
    let matter = &current.matter;
    if !matter.one_window {
        return Err(Refusal::new(
            "window_not_one_window",
            format!(
                "matter {} is not 一窗通办: it is received at the department's window",
                matter.code
            ),
            format!(
                "事项“{}”（{}）未纳入一窗通办，综合窗口不能收件，请引导申请人到实施部门窗口办理。",
                matter.name, matter.code
            ),
        )
        .on("matter")
        .into());
    }
    let applicant_name = required("applicant_name", "申请人名称", &receipt.applicant_name, 200)?;
    let window = required("window", "收件窗口", &receipt.window, 40)?;
    let applicant = Subject::parse_valid(&receipt.applicant).map_err(|_| {
        Refusal::new(
            "window_invalid_applicant",
            "the applicant's identifier is not a valid 统一社会信用代码 or 居民身份证号码",
            "申请人证件号码不是有效的统一社会信用代码或居民身份证号码（请核对校验位）。办件未作改动。",
        )
        .on("applicant")
    })?;
    let licences = if matter.one_licence {
        let types = db.licence_types().await?;
        db.licences_of(&applicant)
            .await?
            .into_iter()
            .filter(|l| {
                l.licence.status_on(day(at)) == LicenceStatus::Valid
                    && l.licence.valid_from <= day(at)
            })
            .map(|l| {
                let name = types
                    .iter()
                    .find(|t| t.code == l.licence.type_code)
                    .map_or_else(|| l.licence.type_name.clone(), |t| t.name.clone());
                (name, l.licence.no)
            })
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    let submitted: Vec<&str> = receipt.submitted.iter().map(|s| s.trim()).collect();
    let materials = matter
        .materials
        .iter()
        .map(|name| (name.clone(), false))
        .chain(matter.proofs.iter().map(|p| (p.name.clone(), true)))
        .map(|(name, proof)| {
            let handed_in = submitted.contains(&name.as_str());
            let licence_no = if handed_in {
                None
            } else {
                licences
                    .iter()
                    .find(|(type_name, _)| licence_stands_for(&name, type_name))
                    .map(|(_, no)| no.clone())
            };
            Material {
                name,
                proof,
                submitted: handed_in,
                licence_no,
            }
        })
        .collect::<Vec<_>>();
    let id = loop {
        let id = format!("BJ-{}-{}", day(at).format("%Y%m%d"), random_hex(4)?);
        if db.get::<WindowFile>(&id).await?.is_none() && db.get::<Application>(&id).await?.is_none()
        {
            break id;
        }
    };
    let application = Application {
        id: id.clone(),
        matter: matter.code.clone(),
        matter_version: current.version,
        department: matter.department.clone(),
        applicant_name: applicant_name.to_owned(),
        applicant,
        channel: Channel::OneWindow,
        received_at: at,
        accepted_at: None,
        paused_days: 0,
        due: None,
        closed_at: None,
        decision: None,
        review: None,
        reviewed_at: None,
        rectify_due: None,
        rectified_at: None,
        import_digest: None,
        revoked_at: None,
    };
    application.validate()?;
    let exempt = materials.iter().filter(|m| m.licence_no.is_some()).count();
    let mut file = WindowFile {
        id: id.clone(),
        matter: matter.code.clone(),
        matter_name: matter.name.clone(),
        department: matter.department.clone(),
        window: window.to_owned(),
        stage: Stage::Received,
        query_code: random_hex(16)?,
        received_by: actor.to_owned(),
        materials,
        correction: None,
        receipt_no: None,
        accepted_by: None,
        due: None,
        pauses: Vec::new(),
        approval: None,
        licence_no: None,
        rectification: None,
        steps: Vec::new(),
    };
    let note = format!(
        "{window} 收件；免提交 {exempt} 项；缺 {} 项",
        file.missing().len()
    );
    file.record("services.window.received", at, actor, note.clone());
    let case = WindowCase { application, file };
    save(
        db,
        &case,
        "services.window.received",
        actor,
        at,
        format!("{} {}", matter.code, note),
    )
    .await?;
    Ok(case)
}

/// 补正 (一次性告知, 行政许可法 Art. 32): one notice listing every missing
/// material, at most once, and within [`CORRECTION_DAYS`] working days of
/// 收件; later it is refused (`window_correction_late`): the law deems the
/// application accepted from 收件 then, so the window accepts it.
pub async fn correct(
    db: &Db,
    calendar: &impl WorkingDays,
    id: &str,
    note: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let mut case = case(db, id).await?;
    if let Some(earlier) = &case.file.correction {
        return Err(refuse(
            "window_correction_twice",
            format!(
                "application {id} had its one 补正 notice ({}) already",
                earlier.no
            ),
            format!(
                "办件 {id} 已于 {} 出具补正通知书 {}，补正须一次性告知，不能再次要求补正。",
                earlier.at.format("%Y-%m-%d"),
                earlier.no
            ),
        ));
    }
    expect_stage(&case, "补正", &[Stage::Received])?;
    let missing = case.file.missing();
    if missing.is_empty() {
        return Err(refuse(
            "window_nothing_missing",
            format!("application {id} misses no material"),
            format!("办件 {id} 材料齐全，无需补正，请直接受理。"),
        ));
    }
    let last = calendar.last_day(day(case.application.received_at), CORRECTION_DAYS)?;
    if day(at) > last {
        return Err(refuse(
            "window_correction_late",
            format!(
                "the 补正 notice was due by {last} (5 working days after 收件); the application counts as accepted from 收件"
            ),
            format!(
                "补正须在收件后 5 个工作日内（{last} 前）一次性告知；逾期未告知的，自收到申请材料之日起即为受理（行政许可法第三十二条），请直接受理。"
            ),
        ));
    }
    let no = format!("BZ-{id}");
    case.file.correction = Some(Correction {
        no: no.clone(),
        missing: missing.clone(),
        note: note.trim().chars().take(500).collect(),
        at,
        by: actor.to_owned(),
    });
    case.file.stage = Stage::Correcting;
    let detail = format!("{no} 缺：{}", missing.join("、"));
    case.file
        .record("services.window.corrected", at, actor, detail.clone());
    save(db, &case, "services.window.corrected", actor, at, detail).await?;
    Ok(case)
}

/// 受理: the materials are complete (after a 补正, what it listed came in),
/// the application gets its numbered 受理凭证 and its due day
/// `deadline(受理日, 承诺时限)` (a 即办件: the 受理 day).
pub async fn accept(
    db: &Db,
    calendar: &impl WorkingDays,
    id: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let mut case = case(db, id).await?;
    expect_stage(&case, "受理", &[Stage::Received, Stage::Correcting])?;
    let missing = case.file.missing();
    if case.file.stage == Stage::Received && !missing.is_empty() {
        return Err(refuse(
            "window_materials_missing",
            format!(
                "application {id} misses {}: give the 补正 notice first",
                missing.join(", ")
            ),
            format!(
                "办件 {id} 缺少材料：{}。请先一次性告知补正。",
                missing.join("、")
            ),
        ));
    }
    for material in &mut case.file.materials {
        if material.is_missing() {
            material.submitted = true;
        }
    }
    let matter = current_matter(db, &case.application.matter).await?;
    let Some(current) = matter.current() else {
        return Err(crate::refused("matter without a version"));
    };
    case.application.accepted_at = Some(at);
    case.application.validate()?;
    case.application
        .recompute_deadlines(&current.matter, calendar)?;
    let receipt_no = format!("SL-{id}");
    case.file.receipt_no = Some(receipt_no.clone());
    case.file.accepted_by = Some(actor.to_owned());
    case.file.due = case.application.due;
    case.file.stage = Stage::Accepted;
    let detail = format!(
        "受理凭证 {receipt_no}，办结期限 {}",
        case.file.due.map_or_else(String::new, |d| d.to_string())
    );
    case.file
        .record("services.window.accepted", at, actor, detail.clone());
    save(db, &case, "services.window.accepted", actor, at, detail).await?;
    Ok(case)
}

/// 分办: the accepted application goes to its department's back office.
pub async fn assign(
    db: &Db,
    id: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let mut case = case(db, id).await?;
    expect_stage(&case, "分办", &[Stage::Accepted])?;
    case.file.stage = Stage::Assigned;
    let detail = format!("分办至 {}", case.file.department);
    case.file
        .record("services.window.assigned", at, actor, detail.clone());
    save(db, &case, "services.window.assigned", actor, at, detail).await?;
    Ok(case)
}

/// 暂停: the clock stops (听证、检验检测、专家评审), with the reason.
pub async fn pause(
    db: &Db,
    id: &str,
    reason: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let reason = required("reason", "暂停原因", reason, 500)?;
    let mut case = case(db, id).await?;
    expect_stage(&case, "暂停", &[Stage::Assigned])?;
    case.file.pauses.push(Pause {
        reason: reason.to_owned(),
        from: at,
        to: None,
        days: 0,
    });
    case.file.stage = Stage::Paused;
    let detail = format!("暂停：{reason}");
    case.file
        .record("services.window.paused", at, actor, detail.clone());
    save(db, &case, "services.window.paused", actor, at, detail).await?;
    Ok(case)
}

/// 恢复: the working days paused (after the pause day, up to and including the
/// resume day) are recorded and added to the clock: the due day becomes
/// `deadline(受理日, 承诺时限 + 暂停工作日)`.
pub async fn resume(
    db: &Db,
    calendar: &impl WorkingDays,
    id: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let mut case = case(db, id).await?;
    expect_stage(&case, "恢复", &[Stage::Paused])?;
    let Some(pause) = case.file.pauses.last_mut() else {
        return Err(wrong_stage(&case, "恢复", &[Stage::Paused]));
    };
    if at < pause.from {
        return Err(crate::refused("the resume time is before the pause"));
    }
    let days = u32::try_from(calendar.between(day(pause.from), day(at))?).unwrap_or(0);
    pause.to = Some(at);
    pause.days = days;
    let matter = current_matter(db, &case.application.matter).await?;
    let Some(current) = matter.current() else {
        return Err(crate::refused("matter without a version"));
    };
    case.application.paused_days = case.file.paused_days();
    case.application.validate()?;
    case.application
        .recompute_deadlines(&current.matter, calendar)?;
    case.file.due = case.application.due;
    case.file.stage = Stage::Assigned;
    let detail = format!(
        "恢复；暂停 {days} 个工作日，办结期限 {}",
        case.file.due.map_or_else(String::new, |d| d.to_string())
    );
    case.file
        .record("services.window.resumed", at, actor, detail.clone());
    save(db, &case, "services.window.resumed", actor, at, detail).await?;
    Ok(case)
}

/// 审批: 准予 or 不予 with the reason, by someone other than the 受理人 (who
/// files does not approve: `window_approver_is_acceptor`).
pub async fn decide(
    db: &Db,
    id: &str,
    decision: Decision,
    reason: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let reason = required("reason", "审批理由", reason, 1000)?;
    let mut case = case(db, id).await?;
    expect_stage(&case, "审批", &[Stage::Assigned])?;
    if decision == Decision::Withdrawn {
        return Err(Refusal::new(
            "window_bad_decision",
            "the decision is 准予 or 不予",
            "审批结果须为准予或不予。",
        )
        .on("decision")
        .into());
    }
    if case.file.accepted_by.as_deref() == Some(actor) {
        return Err(refuse(
            "window_approver_is_acceptor",
            format!("{actor} accepted application {id} and may not approve it"),
            format!("您受理了办件 {id}，不能再审批（受理与审批分离）。请由部门其他审批人员办理。"),
        ));
    }
    case.file.approval = Some(Approval {
        decision,
        reason: reason.to_owned(),
        by: actor.to_owned(),
        at,
    });
    case.file.stage = Stage::Decided;
    let detail = format!("{}：{reason}", decision.as_str());
    case.file
        .record("services.window.decided", at, actor, detail.clone());
    save(db, &case, "services.window.decided", actor, at, detail).await?;
    Ok(case)
}

/// 出件 at the comprehensive window: when the matter has a 结果证照类型 and the
/// decision is 准予, the licence is issued to the applicant, signed with the
/// city key and stored (numbered `TYPE-办件编号`, so a retried 出件 finds it
/// rather than issuing a second).
pub async fn issue(
    db: &Db,
    key: Option<&SigningKey>,
    id: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let mut case = case(db, id).await?;
    expect_stage(&case, "出件", &[Stage::Decided])?;
    let granted = case
        .file
        .approval
        .as_ref()
        .is_some_and(|a| a.decision == Decision::Granted);
    let matter = current_matter(db, &case.application.matter).await?;
    let licence_type = matter.current().and_then(|v| v.matter.licence_type.clone());
    if let (true, Some(type_code)) = (granted, licence_type) {
        let no = format!("{type_code}-{id}");
        if db.licence(&no).await?.is_none() {
            let key = key.ok_or_else(|| {
                refuse(
                    "window_no_signing_key",
                    "the city's licence-signing key is not available",
                    "未找到本市电子证照签名密钥，不能签发结果证照。请联系系统管理员。",
                )
            })?;
            let request = crate::licences::IssueRequest {
                type_code,
                holder: case.application.applicant.as_str().to_owned(),
                holder_name: case.application.applicant_name.clone(),
                valid_from: day(at),
                valid_until: None,
                fields: Vec::new(),
                no: Some(no.clone()),
            };
            crate::licences::issue(db, key, &request, actor)
                .await
                .map_err(|e| match e {
                    crate::licences::LicenceError::Store(s) => WorkflowError::Store(s),
                    other => refuse(
                        "window_licence_refused",
                        format!("the result licence cannot be issued: {other}"),
                        format!("结果证照未能签发：{other}"),
                    ),
                })?;
        }
        case.file.licence_no = Some(no);
    }
    case.file.stage = Stage::Issued;
    let detail = match &case.file.licence_no {
        Some(no) => format!("出件；签发电子证照 {no}"),
        None => "出件".to_owned(),
    };
    case.file
        .record("services.window.issued", at, actor, detail.clone());
    save(db, &case, "services.window.issued", actor, at, detail).await?;
    Ok(case)
}

/// 办结: the application is closed with its decision.
pub async fn close(
    db: &Db,
    id: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let mut case = case(db, id).await?;
    expect_stage(&case, "办结", &[Stage::Issued])?;
    let decision = case.file.approval.as_ref().map(|a| a.decision);
    case.application.closed_at = Some(at);
    case.application.decision = decision;
    case.application.validate()?;
    case.file.stage = Stage::Closed;
    let on_time = case.application.due.is_some_and(|due| day(at) <= due);
    let detail = format!(
        "办结（{}），{}",
        decision.map_or("", Decision::as_str),
        if on_time { "按期" } else { "超期" }
    );
    case.file
        .record("services.window.closed", at, actor, detail.clone());
    save(db, &case, "services.window.closed", actor, at, detail).await?;
    Ok(case)
}

/// 好差评 (国办发〔2019〕51号): a closed application is rated once, on its
/// public status page (`actor` = the page) or at the window. A 差评 opens the
/// department's rectification task, due `deadline(评价日, 5)`.
pub async fn rate(
    db: &Db,
    calendar: &impl WorkingDays,
    id: &str,
    review: Review,
    comment: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let mut case = case(db, id).await?;
    if let Some(earlier) = case.application.review {
        return Err(refuse(
            "window_rated_twice",
            format!("application {id} was rated already ({})", earlier.as_str()),
            format!(
                "办件 {id} 已评价（{}），每件只能评价一次。",
                earlier.as_str()
            ),
        ));
    }
    if case.file.stage != Stage::Closed {
        return Err(refuse(
            "window_rate_before_close",
            format!("application {id} is not closed yet: it is rated after 办结"),
            format!("办件 {id} 尚未办结，办结后才能评价。"),
        ));
    }
    let comment: String = comment.trim().chars().take(500).collect();
    case.application.review = Some(review);
    case.application.reviewed_at = Some(at);
    case.application.validate()?;
    if review.is_bad() {
        let due = calendar.last_day(day(at), RECTIFY_DAYS)?;
        case.application.rectify_due = Some(due);
        case.file.rectification = Some(Rectification {
            review,
            comment: comment.clone(),
            due,
            done: None,
            callback: None,
            closed_by: None,
            closed_at: None,
            work_order: None,
        });
    }
    let detail = format!(
        "评价：{}{}",
        review.as_str(),
        if comment.is_empty() {
            String::new()
        } else {
            format!("（{comment}）")
        }
    );
    case.file
        .record("services.window.reviewed", at, actor, detail.clone());
    save(db, &case, "services.window.reviewed", actor, at, detail).await?;
    Ok(case)
}

fn open_rectification<'a>(case: &'a mut WindowCase, step: &str) -> Result<&'a mut Rectification> {
    let id = case.file.id.clone();
    match case.file.rectification.as_mut() {
        Some(task) if task.closed_at.is_none() => Ok(task),
        _ => Err(refuse(
            "window_no_open_rectification",
            format!("application {id} has no open 差评 rectification"),
            format!("办件 {id} 没有待整改的差评，不能{step}。"),
        )),
    }
}

/// Closes a 差评's rectification: what was done and the callback (回访) record;
/// the application's 整改完成时间 feeds `rectified_on_time_rate`.
pub async fn rectify(
    db: &Db,
    id: &str,
    done: &str,
    callback: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<WindowCase> {
    let done = required("done", "整改情况", done, 1000)?;
    let callback = required("callback", "回访记录", callback, 1000)?;
    let mut case = case(db, id).await?;
    let task = open_rectification(&mut case, "整改")?;
    task.done = Some(done.to_owned());
    task.callback = Some(callback.to_owned());
    task.closed_by = Some(actor.to_owned());
    task.closed_at = Some(at);
    let on_time = day(at) <= task.due;
    case.application.rectified_at = Some(at);
    case.application.validate()?;
    let detail = format!(
        "整改：{done}；回访：{callback}（{}）",
        if on_time { "按期" } else { "逾期" }
    );
    case.file
        .record("services.window.rectified", at, actor, detail.clone());
    save(db, &case, "services.window.rectified", actor, at, detail).await?;
    Ok(case)
}

/// Turns an open 差评 rectification into a 12345 work order (service::hotline
/// intake), the order's number recorded on the task; the task stays open
/// until [`rectify`].
pub async fn to_hotline(
    db: &Db,
    calendar: &workcal::Calendar,
    id: &str,
    phone: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<(WindowCase, String)> {
    let mut case = case(db, id).await?;
    let task = open_rectification(&mut case, "转 12345 工单")?.clone();
    if let Some(order) = &task.work_order {
        return Err(refuse(
            "window_already_ordered",
            format!("the rectification is work order {order} already"),
            format!("该差评已转为 12345 工单 {order}。"),
        ));
    }
    let content = format!(
        "政务服务差评：办件 {}（{} {}），评价“{}”：{}",
        case.file.id,
        case.file.matter,
        case.file.matter_name,
        task.review.as_str(),
        task.comment
    );
    let order = crate::hotline::intake(
        db,
        &HotlineRules::default(),
        calendar,
        Intake {
            id: String::new(),
            channel: "12345".into(),
            received_at: at,
            caller: Caller {
                name: case.application.applicant_name.clone(),
                phone: phone.trim().chars().take(40).collect(),
            },
            content,
            category: "政务服务差评".into(),
            location: case.file.window.clone(),
            entity: None,
            difficulty: domain::hotline::Difficulty::Ordinary,
        },
        actor,
    )
    .await?;
    let task = open_rectification(&mut case, "转 12345 工单")?;
    task.work_order = Some(order.id.clone());
    let detail = format!("转 12345 工单 {}", order.id);
    case.file
        .record("services.window.to_hotline", at, actor, detail.clone());
    save(db, &case, "services.window.to_hotline", actor, at, detail).await?;
    Ok((case, order.id))
}

/// One page of window files, newest first: `department` and `stage` when
/// given, `search` in the number, matter or applicant's name.
pub async fn files(
    db: &Db,
    department: Option<&str>,
    stage: Option<Stage>,
    search: &str,
    offset: u64,
    limit: u32,
) -> Result<storage::DocPage<WindowFile>> {
    let mut equal = Vec::new();
    if let Some(department) = department.filter(|d| !d.is_empty()) {
        equal.push(("department", department.to_owned()));
    }
    if let Some(stage) = stage {
        equal.push(("stage", stage.as_str().to_owned()));
    }
    Ok(db
        .page::<WindowFile>(&DocQuery {
            equal,
            search: search.to_owned(),
            descending: true,
            offset,
            limit,
            ..DocQuery::default()
        })
        .await?)
}

/// The due lists of a department (every department with `None`), as the
/// hotline has: accepted applications still open, past their due day on
/// `today` (overdue) or due within `soon_days` working days (due soon), each
/// by due day.
#[derive(Debug, Clone, Default)]
pub struct DueLists {
    /// Past the due day.
    pub overdue: Vec<WindowFile>,
    /// Due today or within the next working days.
    pub due_soon: Vec<WindowFile>,
}

/// The due lists on `today`.
pub async fn due(
    db: &Db,
    calendar: &impl WorkingDays,
    department: Option<&str>,
    today: NaiveDate,
    soon_days: u32,
) -> Result<DueLists> {
    let horizon = calendar.last_day(today, soon_days)?;
    let mut lists = DueLists::default();
    for stage in Stage::ALL.iter().filter(|s| s.is_open()) {
        let mut filter_department = department.filter(|d| !d.is_empty());
        let rows = match filter_department.take() {
            Some(d) => {
                db.page::<WindowFile>(&DocQuery {
                    equal: vec![
                        ("department", d.to_owned()),
                        ("stage", stage.as_str().to_owned()),
                    ],
                    limit: storage::MAX_PAGE,
                    ..DocQuery::default()
                })
                .await?
                .rows
            }
            None => {
                db.list::<WindowFile>(Some(("stage", stage.as_str())))
                    .await?
            }
        };
        for file in rows {
            match file.due {
                Some(due) if due < today => lists.overdue.push(file),
                Some(due) if due <= horizon => lists.due_soon.push(file),
                _ => {}
            }
        }
    }
    lists.overdue.sort_by_key(|f| f.due);
    lists.due_soon.sort_by_key(|f| f.due);
    Ok(lists)
}
