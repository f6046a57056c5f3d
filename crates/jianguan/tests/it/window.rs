//! The comprehensive window (issue 21, items 2, 5, 6) on both backends: the
//! whole path 收件→补正→受理→分办→暂停→恢复→审批→出件 (licence issued and
//! verifiable)→办结→评价→差评 rectification and its 12345 work order; the
//! refusals; the due day with a pause across the 2026 国庆 holiday; the KPI
//! fed by live data.

use std::error::Error;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde_json::json;

use crate::common::{TestResult, contracts, unique};
use domain::credit::Subject;
use domain::hotline::beijing;
use domain::licence::{Licence, LicenceStatus, LicenceType};
use domain::services::{Decision, Review};
use domain::window::Stage;
use service::window::{self, Receipt};
use storage::licences::{LicenceStore, SignedLicence};
use storage::{Change, Db, WorkflowStore};

/// M1 is 一窗 and 一证通办 with a result licence; M2 a 即办件; M3 not 一窗.
pub(crate) const CATALOGUE: &str = "\
事项编码*,事项名称*,实施部门*,事项类型,办件类型*,法定时限（工作日）,承诺时限*,一窗通办,一证通办,申请材料,证明事项,结果证照类型
M1,食品经营许可,D01,行政许可,承诺件,20,3,是,是,申请书、营业执照,场地证明（可承诺）,SPJY
M2,户籍证明开具,D02,公共服务,即办件,,0,是,否,身份证,,
M3,建设工程许可,D01,行政许可,承诺件,20,10,否,否,申请书,,
";

/// The applicant: an enterprise with a valid 营业执照 in the library.
pub(crate) const APPLICANT: &str = "91420200MA4KLTGX86";

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
}

fn at(m: u32, d: u32, hour: u32) -> DateTime<FixedOffset> {
    beijing()
        .from_local_datetime(&day(m, d).and_hms_opt(hour, 0, 0).unwrap_or_default())
        .single()
        .unwrap_or_default()
}

/// Loads the test catalogue, two licence types and the applicant's 营业执照.
pub(crate) async fn set_up(db: &Db, key: &ed25519_dalek::SigningKey) -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique("jianguan_window"));
    std::fs::create_dir_all(&dir)?;
    let catalogue = dir.join("catalogue.csv");
    std::fs::write(&catalogue, CATALOGUE)?;
    let now = domain::clock::now();
    let imported = service::services::import_catalogue(db, &catalogue, "test", now).await;
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(imported?.outcome.inserted, 3);
    let change = |action: &str| Change::new(now, "test", action, "test");
    db.put_licence_types(
        &[
            LicenceType {
                code: "SPJY".into(),
                name: "食品经营许可证".into(),
                issuer: "市场监管局".into(),
                years: Some(5),
                fields: vec![],
            },
            LicenceType {
                code: "YY".into(),
                name: "营业执照".into(),
                issuer: "市场监管局".into(),
                years: None,
                fields: vec![],
            },
        ],
        &change("licence.types.imported"),
    )
    .await?;
    let licence = Licence {
        no: "YY-0001".into(),
        type_code: "YY".into(),
        type_name: "营业执照".into(),
        holder: Subject::parse_valid(APPLICANT)?,
        holder_name: "黄石示例有限公司".into(),
        issuer: "市场监管局".into(),
        issued_on: day(1, 5),
        valid_from: day(1, 5),
        valid_until: None,
        status: LicenceStatus::Valid,
        fields: Default::default(),
    };
    let mut writer = db.licence_writer().await?;
    writer
        .add(vec![SignedLicence {
            signature: domain::licence::to_hex(&licence.sign(key)),
            licence,
        }])
        .await?;
    writer.finish("test", &change("licences.imported")).await?;
    Ok(())
}

fn receipt(matter: &str) -> Receipt {
    Receipt {
        matter: matter.into(),
        applicant_name: "黄石示例有限公司".into(),
        applicant: APPLICANT.into(),
        window: "综合窗口 12".into(),
        submitted: vec!["申请书".into()],
    }
}

fn code_of<T: std::fmt::Debug>(result: service::Result<T>) -> String {
    match result {
        Ok(value) => format!("accepted: {value:?}"),
        Err(error) => error.code().to_owned(),
    }
}

async fn the_whole_path_from_receipt_to_rectification(db: &Db) -> TestResult {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    set_up(db, &key).await?;
    let calendar = workcal::Calendar::embedded()?;

    // 收件: 营业执照 stands in by the library's licence (一证通办).
    let received = window::receive(db, &receipt("M1"), "window1", at(9, 22, 9)).await?;
    let id = received.file.id.clone();
    assert_eq!(received.file.stage, Stage::Received);
    assert_eq!(received.file.missing(), ["场地证明"]);
    let licence = received
        .file
        .materials
        .iter()
        .find(|m| m.name == "营业执照")
        .and_then(|m| m.licence_no.clone());
    assert_eq!(licence.as_deref(), Some("YY-0001"));
    assert_eq!(received.file.query_code.len(), 32);

    // Refusals: a non-一窗 matter; 受理 with materials missing.
    assert_eq!(
        code_of(window::receive(db, &receipt("M3"), "window1", at(9, 22, 9)).await),
        "window_not_one_window"
    );
    assert_eq!(
        code_of(window::accept(db, &calendar, &id, "window1", at(9, 22, 10)).await),
        "window_materials_missing"
    );

    // 补正 once, listing every missing material; a second is refused.
    let corrected = window::correct(db, &calendar, &id, "请补交", "window1", at(9, 22, 10)).await?;
    let notice = corrected.file.correction.clone().ok_or("no notice")?;
    assert_eq!(notice.missing, ["场地证明"]);
    assert_eq!(
        code_of(window::correct(db, &calendar, &id, "再补", "window1", at(9, 23, 10)).await),
        "window_correction_twice"
    );

    // 受理 on Thursday 24 September: 3 working days → Wednesday 30 September.
    let accepted = window::accept(db, &calendar, &id, "window1", at(9, 24, 10)).await?;
    assert_eq!(accepted.application.due, Some(day(9, 30)));
    assert_eq!(accepted.file.receipt_no, Some(format!("SL-{id}")));

    window::assign(db, &id, "window1", at(9, 24, 11)).await?;
    assert_eq!(
        code_of(window::decide(db, &id, Decision::Granted, "齐全", "window1", at(9, 24, 12)).await),
        "window_approver_is_acceptor"
    );

    // 暂停 Thursday 24 to Monday 28 September, across 中秋 (25–27): 1 working
    // day; the due day moves past 国庆 (1–7 October) to Thursday 8 October.
    window::pause(db, &id, "专家评审", "approver1", at(9, 24, 15)).await?;
    let resumed = window::resume(db, &calendar, &id, "approver1", at(9, 28, 9)).await?;
    assert_eq!(resumed.file.pauses.first().map(|p| p.days), Some(1));
    assert_eq!(resumed.application.paused_days, 1);
    assert_eq!(resumed.application.due, Some(day(10, 8)));

    window::decide(
        db,
        &id,
        Decision::Granted,
        "材料齐全，符合条件",
        "approver1",
        at(9, 28, 15),
    )
    .await?;
    assert_eq!(
        code_of(
            window::rate(
                db,
                &calendar,
                &id,
                Review::Satisfied,
                "",
                "公众",
                at(9, 28, 16)
            )
            .await
        ),
        "window_rate_before_close"
    );

    // 出件: the result licence is issued, signed and verifiable.
    let issued = window::issue(db, Some(&key), &id, "window1", at(9, 29, 9)).await?;
    let no = issued.file.licence_no.clone().ok_or("no licence issued")?;
    assert_eq!(no, format!("SPJY-{id}"));
    let stored = db.licence(&no).await?.ok_or("licence not stored")?;
    assert_eq!(stored.licence.holder.as_str(), APPLICANT);
    let value = service::licences::stored_json(&stored);
    let verified = service::licences::verify(
        &value,
        &key.verifying_key(),
        Some(Some(&stored)),
        domain::clock::now().date_naive(),
    );
    assert!(verified.is_ok(), "{verified:?}");
    let mut tampered = value.clone();
    tampered["holder_name"] = json!("别人");
    assert!(service::licences::verify(&tampered, &key.verifying_key(), None, day(10, 1)).is_err());

    let closed = window::close(db, &id, "window1", at(9, 29, 10)).await?;
    assert_eq!(closed.application.decision, Some(Decision::Granted));
    assert_eq!(closed.file.stage, Stage::Closed);

    // 差评 from the status page: rectification due 5 working days later
    // (30 Sep, 8, 9, 10 (补班 Saturday), 12 October); rated once only.
    let found = window::case_by_code(db, &closed.file.query_code)
        .await?
        .ok_or("the query code finds nothing")?;
    assert_eq!(found.file.id, id);
    assert!(window::case_by_code(db, &"0".repeat(32)).await?.is_none());
    let rated = window::rate(
        db,
        &calendar,
        &id,
        Review::Dissatisfied,
        "等太久",
        "公众",
        at(9, 29, 11),
    )
    .await?;
    let task = rated
        .file
        .rectification
        .clone()
        .ok_or("no rectification task")?;
    assert_eq!(task.due, day(10, 12));
    assert_eq!(
        code_of(
            window::rate(
                db,
                &calendar,
                &id,
                Review::Satisfied,
                "",
                "window1",
                at(9, 29, 12)
            )
            .await
        ),
        "window_rated_twice"
    );
    let (_, order) =
        window::to_hotline(db, &calendar, &id, "13800000000", "dept1", at(9, 30, 9)).await?;
    assert!(order.starts_with("GD-20260930-"), "{order}");
    assert!(
        db.get::<domain::hotline::WorkOrder>(&order)
            .await?
            .is_some()
    );
    let rectified =
        window::rectify(db, &id, "已改进流程", "回访：满意", "dept1", at(10, 9, 9)).await?;
    assert_eq!(rectified.application.rectified_at, Some(at(10, 9, 9)));

    // The KPIs read the live application.
    let kpi = service::services::kpi(
        db,
        &service::services::ServiceKpiQuery {
            from: day(9, 1),
            to: day(9, 30),
            department: Some("D01".into()),
            as_of: at(10, 20, 9),
        },
    )
    .await?;
    assert_eq!(
        serde_json::to_value(kpi)?,
        json!({"applications": 1, "on_time_rate": 1.0, "one_window_share": 1.0,
               "good_rate": 0.0, "bad_reviews": 1, "rectified_on_time_rate": 1.0})
    );
    Ok(())
}

async fn late_correction_and_due_lists(db: &Db) -> TestResult {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    set_up(db, &key).await?;
    let calendar = workcal::Calendar::embedded()?;
    // Received Thursday 24 September; the 5th working day after is Friday 9
    // October (国庆 in between), so 12 October is too late.
    let late = window::receive(db, &receipt("M1"), "window2", at(9, 24, 9)).await?;
    assert_eq!(
        code_of(window::correct(db, &calendar, &late.file.id, "", "window2", at(10, 12, 9)).await),
        "window_correction_late"
    );
    // A 即办件 is due on its 受理 day, and overdue the day after.
    let mut immediate = receipt("M2");
    immediate.submitted = vec!["身份证".into()];
    let quick = window::receive(db, &immediate, "window2", at(10, 12, 9)).await?;
    let accepted = window::accept(db, &calendar, &quick.file.id, "window2", at(10, 12, 10)).await?;
    assert_eq!(accepted.application.due, Some(day(10, 12)));
    let today = window::due(db, &calendar, Some("D02"), day(10, 12), 1).await?;
    assert_eq!((today.overdue.len(), today.due_soon.len()), (0, 1));
    let tomorrow = window::due(db, &calendar, Some("D02"), day(10, 13), 1).await?;
    assert_eq!(
        tomorrow
            .overdue
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        [quick.file.id.as_str()]
    );
    assert!(
        window::due(db, &calendar, Some("D01"), day(10, 13), 1)
            .await?
            .overdue
            .is_empty()
    );
    // Every step is on the ledger with its action.
    let ledger = db.ledger().await?;
    assert!(
        ledger
            .iter()
            .any(|e| e.action == "services.window.accepted" && e.subject_key == quick.file.id)
    );
    Ok(())
}

contracts!("window"; the_whole_path_from_receipt_to_rectification, late_correction_and_due_lists);

/// `jianguan services window …` walks the path through the binary: one
/// subcommand per step, bad input exit 2 with an English message.
#[test]
fn the_window_steps_from_the_command_line() -> TestResult {
    let scratch = crate::services::Scratch::new("jianguan_window_cli")?;
    let catalogue = scratch.file(
        "catalogue.csv",
        "事项编码*,事项名称*,实施部门*,事项类型,办件类型*,法定时限（工作日）,承诺时限*,一窗通办,一证通办,申请材料,证明事项,结果证照类型\n\
         W1,食品小作坊登记,D01,行政许可,承诺件,20,5,是,否,申请书,,\n\
         W3,特种设备检验,D01,行政许可,承诺件,20,10,否,否,申请书,,\n"
            .as_bytes(),
    )?;
    let (_, code, text) = scratch.json(&["services", "matters", "import", &catalogue])?;
    assert_eq!(code, Some(0), "{text}");
    let step = |args: &[&str], actor: &str| {
        let mut all = vec!["services", "window"];
        all.extend_from_slice(args);
        all.extend(["--json", "--actor", actor]);
        scratch.json(&all)
    };
    let receive = |matter: &str| {
        step(
            &[
                "receive",
                "--matter",
                matter,
                "--applicant-name",
                "张三",
                "--applicant",
                APPLICANT,
                "--window",
                "综合窗口 3",
            ],
            "window.a",
        )
    };
    let (out, code, text) = receive("W3")?;
    assert_eq!(code, Some(2), "not 一窗: {text}");
    assert!(text.contains("error"), "{text}");
    assert!(!out.is_null(), "a JSON error line: {text}");
    let (out, code, text) = receive("W1")?;
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(out["stage"], Stage::Received.as_str(), "{text}");
    let id = out["id"].as_str().ok_or("no id")?.to_owned();
    let expect = |args: &[&str], actor: &str, stage: Stage| -> TestResult {
        let (out, code, text) = step(args, actor)?;
        assert_eq!(code, Some(0), "{args:?}: {text}");
        assert_eq!(out["stage"], stage.as_str(), "{args:?}: {text}");
        Ok(())
    };
    expect(
        &["correct", &id, "--note", "请补交申请书"],
        "window.a",
        Stage::Correcting,
    )?;
    let (_, code, text) = step(&["correct", &id, "--note", "再次补正"], "window.a")?;
    assert_eq!(code, Some(2), "one 补正 only: {text}");
    expect(&["accept", &id], "window.a", Stage::Accepted)?;
    let (out, _, text) = step(&["assign", &id], "window.a")?;
    assert_eq!(out["stage"], Stage::Assigned.as_str(), "{text}");
    assert!(
        out["receipt_no"].is_string() && out["due"].is_string(),
        "{text}"
    );
    let (_, code, text) = step(&["pause", &id, "--reason", " "], "d01.approver")?;
    assert_eq!(code, Some(2), "a reason is required: {text}");
    expect(
        &["pause", &id, "--reason", "专家评审"],
        "d01.approver",
        Stage::Paused,
    )?;
    expect(&["resume", &id], "d01.approver", Stage::Assigned)?;
    let (_, code, text) = step(
        &["decide", &id, "--decision", "同意", "--reason", "符合条件"],
        "d01.approver",
    )?;
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("准予, 不予"), "{text}");
    let (_, code, text) = step(
        &["decide", &id, "--decision", "准予", "--reason", "符合条件"],
        "window.a",
    )?;
    assert_eq!(code, Some(2), "the 受理人 does not approve: {text}");
    expect(
        &["decide", &id, "--decision", "准予", "--reason", "符合条件"],
        "d01.approver",
        Stage::Decided,
    )?;
    let (_, code, text) = step(&["close", &id], "window.a")?;
    assert_eq!(code, Some(2), "出件 first: {text}");
    expect(&["issue", &id], "window.a", Stage::Issued)?;
    expect(&["close", &id], "window.a", Stage::Closed)?;
    let (_, code, text) = step(&["rate", &id, "--review", "很好"], "window.a")?;
    assert_eq!(code, Some(2), "{text}");
    let (out, code, text) = step(&["rate", &id, "--review", "满意"], "window.a")?;
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(out["id"], id.as_str(), "{text}");
    let (_, code, text) = step(&["rate", &id, "--review", "满意"], "window.a")?;
    assert_eq!(code, Some(2), "rated once: {text}");
    let (_, code, text) = step(&["accept", "NO-SUCH"], "window.a")?;
    assert_eq!(code, Some(2), "{text}");
    Ok(())
}
