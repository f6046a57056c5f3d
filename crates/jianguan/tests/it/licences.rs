//! The e-licence library (issue 21, item 5): types and licences imported,
//! every licence signed with the city's Ed25519 key over RFC 8785 canonical
//! JSON; issue, verify (exit 0 / 1 / 2), revoke; the storage on both backends;
//! an independent Python verifier when `cryptography` is installed.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;

use crate::common::{TestResult, contracts, jianguan, unique};
use domain::credit::Subject;
use domain::licence::{Licence, LicenceStatus, LicenceType};
use storage::licences::{LicenceStore, SignedLicence};
use storage::{Change, Db, StoreError, WorkflowStore};

/// A person's valid ID number (GB 11643 example).
pub(crate) const PERSON: &str = "11010519491231002X";
/// An enterprise's valid 统一社会信用代码.
pub(crate) const ENTERPRISE: &str = "91420200MA4KLTGX86";

/// The types file of the tests: two good rows and one bad.
pub(crate) const TYPES_CSV: &str = "证照类型代码,证照名称,颁发部门,有效期（年）,照面字段\n\
SP,食品经营许可证,黄石市市场监督管理局,5,经营场所、经营项目\n\
YY,营业执照,黄石市市场监督管理局,,住所\n\
BAD,坏类型,某部门,三年,\n";

/// The licences file of the tests: three good rows, two bad (check digits).
pub(crate) const LICENCES_CSV: &str = "证照编号,证照类型代码,持证主体名称,持证主体证件号码,颁证日期,有效期截止,照面信息\n\
SP-0001,SP,张三丰,11010519491231002X,2025-01-02,,经营场所=黄石港区\n\
YY-0001,YY,黄石示例有限公司,91420200MA4KLTGX86,2024-03-01,,住所=下陆区\n\
SP-0002,SP,黄石示例有限公司,91420200MA4KLTGX86,2020-01-01,2021-12-31,\n\
SP-0003,SP,李四,110105194912310021,2025-01-02,,\n\
SP-0004,NOPE,王五,11010519491231002X,2025-01-02,,\n";

fn dir(name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn text(path: &Path) -> Result<&str, Box<dyn Error>> {
    path.to_str().ok_or_else(|| "path is not UTF-8".into())
}

/// Runs the binary with `--data-dir DIR`; (exit code, stdout, stderr).
fn run(data: &Path, args: &[&str]) -> Result<(i32, String, String), Box<dyn Error>> {
    let mut all = args.to_vec();
    all.extend(["--data-dir", text(data)?]);
    let out = jianguan(&all)?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    ))
}

/// A data folder set up for 黄石, with the test types and licences imported.
pub(crate) fn library(name: &str) -> Result<PathBuf, Box<dyn Error>> {
    let data = dir(name)?;
    let (code, _, err) = run(&data, &["setup", "--city", "420200"])?;
    assert_eq!(code, 0, "{err}");
    std::fs::write(data.join("types.csv"), TYPES_CSV)?;
    std::fs::write(data.join("licences.csv"), LICENCES_CSV)?;
    Ok(data)
}

#[test]
fn setup_creates_a_private_key_and_imports_sign_every_licence() -> TestResult {
    use std::os::unix::fs::PermissionsExt as _;
    let data = library("licences_cli")?;
    let key_file = data.join("jianguan.sqlite3.licence.key");
    let mode = std::fs::metadata(&key_file)?.permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is private");
    let seed = std::fs::read_to_string(&key_file)?.trim().to_owned();
    let (code, public, _) = run(&data, &["licences", "key"])?;
    assert_eq!(code, 0);
    let public = public.trim().to_owned();
    assert_eq!(public.len(), 64);
    let key = ed25519_dalek::SigningKey::from_bytes(
        &domain::licence::from_hex::<32>(&seed).ok_or("the key file is not hex")?,
    );
    assert_eq!(
        domain::licence::to_hex(key.verifying_key().as_bytes()),
        public
    );
    // `key --create` again keeps the key.
    let (code, again, _) = run(&data, &["licences", "key", "--create"])?;
    assert_eq!((code, again.trim()), (0, public.as_str()));

    let types = data.join("types.csv");
    let (code, out, err) = run(
        &data,
        &["licences", "types", "import", text(&types)?, "--json"],
    )?;
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out)?;
    assert_eq!(
        (
            &summary["imported"],
            &summary["rejected"],
            &summary["types"]
        ),
        (&Value::from(2), &Value::from(1), &Value::from(2)),
        "{summary}"
    );
    assert!(
        data.join("types.csv.errors.xlsx").exists(),
        "an error report"
    );

    let licences = data.join("licences.csv");
    let (code, out, err) = run(&data, &["licences", "import", text(&licences)?, "--json"])?;
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out)?;
    assert_eq!(summary["imported"], 3, "{summary}");
    assert_eq!(summary["rejected"], 2, "{summary}");
    let report = calamine_rows(&data.join("licences.csv.errors.xlsx"))?;
    let flat = report.concat().join(" ");
    assert!(
        flat.contains("持证主体证件号码"),
        "the column is named: {flat}"
    );
    assert!(flat.contains("证照类型代码"), "{flat}");
    assert!(
        !flat.contains("110105194912310021"),
        "a rejected ID number is not echoed"
    );
    // Re-importing changes nothing.
    let (_, out, _) = run(&data, &["licences", "import", text(&licences)?, "--json"])?;
    let again: Value = serde_json::from_str(&out)?;
    assert_eq!(
        (&again["imported"], &again["updated"], &again["unchanged"]),
        (&Value::from(0), &Value::from(0), &Value::from(3)),
        "{again}"
    );

    // Each stored licence verifies under the public key.
    for no in ["SP-0001", "YY-0001", "SP-0002"] {
        let (code, shown, _) = run(&data, &["licences", "show", no])?;
        assert_eq!(code, 0);
        let value: Value = serde_json::from_str(&shown)?;
        let file = data.join(format!("{no}.json"));
        std::fs::write(&file, &shown)?;
        let (code, said, _) = run(&data, &["licences", "verify", text(&file)?])?;
        if no == "SP-0002" {
            assert_eq!(
                (code, said.trim()),
                (1, "licence SP-0002 expired on 2021-12-31")
            );
        } else {
            assert_eq!((code, said.trim()), (0, "valid"), "{value}");
        }
    }
    // The type's five years, less a day, when the file gives no end.
    let (_, shown, _) = run(&data, &["licences", "show", "SP-0001"])?;
    let value: Value = serde_json::from_str(&shown)?;
    assert_eq!(value["valid_until"], "2030-01-01");
    assert_eq!(value["fields"]["经营场所"], "黄石港区");

    // Nothing printed or logged holds the private key.
    for (_, out, err) in [
        run(&data, &["licences", "key"])?,
        run(&data, &["licences", "import", text(&licences)?])?,
    ] {
        assert!(!out.contains(&seed) && !err.contains(&seed));
    }
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

fn calamine_rows(path: &Path) -> Result<Vec<Vec<String>>, Box<dyn Error>> {
    use calamine::Reader as _;
    let mut book = calamine::open_workbook_auto(path)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("the report has no sheet")??;
    Ok(range
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect())
}

/// Issues a licence with the CLI; its file and JSON.
pub(crate) fn issue(
    data: &Path,
    holder: &str,
    name: &str,
) -> Result<(PathBuf, Value), Box<dyn Error>> {
    let out = data.join(format!("{}.json", unique("issued")));
    let (code, said, err) = run(
        data,
        &[
            "licences",
            "issue",
            "--type",
            "SP",
            "--holder",
            holder,
            "--holder-name",
            name,
            "--valid-from",
            "2026-01-01",
            "--valid-until",
            "2099-12-31",
            "--field",
            "经营场所=黄石港区\"一号\"\\楼",
            "--field",
            "经营项目=预包装食品销售",
            "--out",
            text(&out)?,
        ],
    )?;
    assert_eq!(code, 0, "{said}{err}");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    Ok((out, value))
}

fn verify(data: &Path, file: &Path, extra: &[&str]) -> Result<(i32, String), Box<dyn Error>> {
    let mut args = vec!["licences", "verify", text(file)?];
    args.extend(extra);
    let (code, out, err) = run(data, &args)?;
    Ok((code, format!("{out}{err}")))
}

#[test]
fn issued_licences_verify_and_any_tampering_or_revocation_fails() -> TestResult {
    let data = library("licences_issue")?;
    run(
        &data,
        &[
            "licences",
            "types",
            "import",
            text(&data.join("types.csv"))?,
        ],
    )?;
    let (file, value) = issue(&data, PERSON, "欧阳锋")?;
    assert_eq!(verify(&data, &file, &[])?, (0, "valid\n".into()));
    assert_eq!(value["schema"], "jianguan-licence/v1");
    assert_eq!(value["holder"]["id"], PERSON);
    let no = value["no"].as_str().ok_or("no number")?.to_owned();

    // Any member changed, added or removed, or the signature flipped: exit 1.
    let mut tampered: Vec<Value> = Vec::new();
    for path in [
        &["no"][..],
        &["type_name"],
        &["holder", "name"],
        &["holder", "id"],
        &["issuer"],
        &["valid_until"],
        &["fields", "经营场所"],
    ] {
        let mut copy = value.clone();
        let mut slot = &mut copy;
        for key in path {
            slot = &mut slot[*key];
        }
        *slot = match path.last() {
            Some(&"id") => ENTERPRISE.into(),
            Some(&"valid_until") => "2100-01-01".into(),
            _ => format!("{}x", slot.as_str().unwrap_or_default()).into(),
        };
        tampered.push(copy);
    }
    let mut added = value.clone();
    added["fields"]["备注"] = "x".into();
    tampered.push(added);
    let mut removed = value.clone();
    if let Some(map) = removed["fields"].as_object_mut() {
        map.remove("经营项目");
    }
    tampered.push(removed);
    let mut flipped = value.clone();
    let signature = value["signature"].as_str().ok_or("no signature")?;
    let first = if signature.starts_with('0') { "1" } else { "0" };
    flipped["signature"] = format!("{first}{}", &signature[1..]).into();
    tampered.push(flipped);
    for (index, copy) in tampered.iter().enumerate() {
        let path = data.join(format!("tampered-{index}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(copy)?)?;
        let (code, said) = verify(&data, &path, &[])?;
        assert_eq!(code, 1, "tampered {index} must fail: {said}");
        let (code, _) = verify(&data, &path, &["--offline"])?;
        assert_eq!(code, 1, "offline, tampered {index} must fail too");
        if let Some(result) = python_verify(&path, &public(&data)?)? {
            assert_ne!(result, 0, "the Python verifier refuses tampered {index}");
        }
    }

    // Bad input: exit 2.
    for (name, bytes) in [
        ("not-json.json", "这不是 JSON".as_bytes()),
        ("array.json", b"[1, 2]".as_slice()),
    ] {
        let path = data.join(name);
        std::fs::write(&path, bytes)?;
        assert_eq!(verify(&data, &path, &[])?.0, 2, "{name}");
    }
    assert_eq!(verify(&data, &data.join("missing.json"), &[])?.0, 2);
    assert_eq!(verify(&data, &file, &["--public-key", "abc"])?.0, 2);

    // Offline with the public key only, and by the independent verifier.
    let public = public(&data)?;
    assert_eq!(
        verify(&data, &file, &["--offline", "--public-key", &public])?.0,
        0
    );
    if let Some(result) = python_verify(&file, &public)? {
        assert_eq!(result, 0, "the Python verifier accepts the issued licence");
    }
    // Another key: refused.
    let other = domain::licence::to_hex(
        ed25519_dalek::SigningKey::from_bytes(&[9; 32])
            .verifying_key()
            .as_bytes(),
    );
    assert_eq!(
        verify(&data, &file, &["--offline", "--public-key", &other])?.0,
        1
    );

    // Revoked: the same file no longer verifies against the database; audited.
    let (code, _, err) = run(
        &data,
        &[
            "licences",
            "revoke",
            &no,
            "--reason",
            "申请注销",
            "--actor",
            "张科长",
        ],
    )?;
    assert_eq!(code, 0, "{err}");
    let (code, said) = verify(&data, &file, &[])?;
    assert_eq!(code, 1);
    assert!(
        said.contains("revoked") && said.contains("申请注销"),
        "{said}"
    );
    assert_eq!(
        verify(&data, &file, &["--offline"])?.0,
        0,
        "offline sees only the signature"
    );
    let (code, _, _) = run(&data, &["licences", "revoke", &no, "--reason", "再次"])?;
    assert_eq!(code, 2, "revoked already");
    // The stored, revoked licence is re-signed with its status 注销.
    let (_, shown, _) = run(&data, &["licences", "show", &no])?;
    let stored: Value = serde_json::from_str(&shown)?;
    assert_eq!(stored["status"], "注销");
    let stored_file = data.join("stored.json");
    std::fs::write(&stored_file, &shown)?;
    assert_eq!(
        verify(&data, &stored_file, &["--offline"])?.0,
        1,
        "says 注销"
    );
    let (code, audit, _) = run(&data, &["audit", "verify"])?;
    assert_eq!(code, 0, "{audit}");
    let url = text(&data.join("jianguan.sqlite3"))?.to_owned();
    let ledger = crate::common::runtime()?.block_on(async {
        let db = storage::open(&url).await?;
        let ledger = db.ledger().await;
        db.close().await;
        ledger
    })?;
    let revoked = ledger
        .iter()
        .find(|e| e.action == "licence.revoked")
        .ok_or("no ledger entry for the revocation")?;
    assert_eq!(
        (revoked.actor.as_str(), revoked.subject_key.as_str()),
        ("张科长", format!("licence.revoked:{no}").as_str())
    );
    assert!(
        !revoked.detail.contains(PERSON),
        "no ID number on the ledger"
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// The city's public key (hex) of a data folder.
fn public(data: &Path) -> Result<String, Box<dyn Error>> {
    Ok(run(data, &["licences", "key"])?.1.trim().to_owned())
}

/// Runs tools/verify_licence.py when python3 with `cryptography` is installed:
/// its exit code, else `None`.
fn python_verify(file: &Path, public: &str) -> Result<Option<i32>, Box<dyn Error>> {
    let has = std::process::Command::new("python3")
        .args([
            "-c",
            "import cryptography.hazmat.primitives.asymmetric.ed25519",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        return Ok(None);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verify_licence.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(file)
        .arg(public)
        .output()?;
    Ok(out.status.code())
}

#[test]
fn a_key_file_that_is_not_the_citys_is_refused() -> TestResult {
    let data = library("licences_wrong_key")?;
    let key_file = data.join("jianguan.sqlite3.licence.key");
    std::fs::remove_file(&key_file)?;
    let (code, _, err) = run(&data, &["licences", "key", "--create"])?;
    assert_eq!(code, 2, "a missing key is not silently replaced: {err}");
    assert!(err.contains("restore the key file"), "{err}");
    assert!(!key_file.exists());
    let other = data.join("other.key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32)))?;
    let (code, _, err) = run(
        &data,
        &[
            "licences",
            "--licence-key",
            text(&other)?,
            "key",
            "--create",
        ],
    )?;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("readable by others"),
        "mode 0644 refused: {err}"
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

// ---------------------------------------------------------------------------
// Storage on both backends.

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn sample(no: &str, holder: &str) -> Result<Licence, Box<dyn Error>> {
    Ok(Licence {
        no: no.into(),
        type_code: "SP".into(),
        type_name: "食品经营许可证".into(),
        holder: Subject::parse_valid(holder)?,
        holder_name: "张三".into(),
        issuer: "市场监管局".into(),
        issued_on: day(2025, 1, 2),
        valid_from: day(2025, 1, 2),
        valid_until: Some(day(2030, 1, 1)),
        status: LicenceStatus::Valid,
        fields: BTreeMap::from([("经营场所".into(), "黄石港区".into())]),
    })
}

fn change(action: &str) -> Change {
    Change::new(domain::clock::now(), "test", action, "test")
}

async fn licences_round_trip(db: &Db) -> TestResult {
    let types = vec![
        LicenceType {
            code: "SP".into(),
            name: "食品经营许可证".into(),
            issuer: "市场监管局".into(),
            years: Some(5),
            fields: vec!["经营场所".into()],
        },
        LicenceType {
            code: "YY".into(),
            name: "营业执照".into(),
            issuer: "市场监管局".into(),
            years: None,
            fields: vec![],
        },
    ];
    assert_eq!(
        db.put_licence_types(&types, &change("licence.types.imported"))
            .await?,
        (2, 0)
    );
    assert_eq!(
        db.put_licence_types(&types, &change("licence.types.imported"))
            .await?,
        (0, 0)
    );
    assert_eq!(db.licence_types().await?, types);

    let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let sign = |licence: Licence| SignedLicence {
        signature: domain::licence::to_hex(&licence.sign(&key)),
        licence,
    };
    let first = sample("SP-1", PERSON)?;
    let second = sample("SP-2", ENTERPRISE)?;
    let third = sample("SP-3", PERSON)?;
    let mut writer = db.licence_writer().await?;
    writer
        .add(vec![sign(first.clone()), sign(second.clone())])
        .await?;
    writer.add(vec![sign(third.clone())]).await?;
    let written = writer
        .finish("file.csv", &change("licences.imported"))
        .await?;
    assert_eq!(
        (written.inserted, written.updated, written.after),
        (3, 0, 3)
    );

    // Re-written: one changed, the others unchanged.
    let mut changed = first.clone();
    changed.holder_name = "张三丰".into();
    let mut writer = db.licence_writer().await?;
    writer
        .add(vec![sign(changed.clone()), sign(second.clone())])
        .await?;
    let written = writer
        .finish("file.csv", &change("licences.imported"))
        .await?;
    assert_eq!(
        (written.inserted, written.updated, written.after),
        (0, 1, 3)
    );

    // A writer dropped without finish writes nothing.
    let mut writer = db.licence_writer().await?;
    writer.add(vec![sign(sample("SP-9", PERSON)?)]).await?;
    drop(writer);
    assert!(db.licence("SP-9").await?.is_none());

    // An unknown type is refused.
    let mut unknown = sample("XX-1", PERSON)?;
    unknown.type_code = "XX".into();
    let mut writer = db.licence_writer().await?;
    assert!(writer.add(vec![sign(unknown)]).await.is_err());
    drop(writer);

    let stored = db.licence("SP-1").await?.ok_or("SP-1 missing")?;
    assert_eq!(stored.licence, changed);
    let value = service::licences::stored_json(&stored);
    assert_eq!(
        domain::licence::verify_signature(&value, &key.verifying_key()),
        Ok(())
    );
    let person = Subject::parse_valid(PERSON)?;
    let of_person: Vec<String> = db
        .licences_of(&person)
        .await?
        .into_iter()
        .map(|s| s.licence.no)
        .collect();
    assert_eq!(of_person, ["SP-1", "SP-3"]);

    let mut revoked = changed.clone();
    revoked.status = LicenceStatus::Revoked;
    let signature = domain::licence::to_hex(&revoked.sign(&key));
    assert!(
        db.revoke_licence(
            "SP-1",
            day(2026, 2, 1),
            "注销申请",
            &signature,
            &change("licence.revoked")
        )
        .await?
    );
    assert!(
        !db.revoke_licence(
            "SP-1",
            day(2026, 2, 1),
            "again",
            &signature,
            &change("licence.revoked")
        )
        .await?
    );
    let stored = db.licence("SP-1").await?.ok_or("SP-1 missing")?;
    assert_eq!(stored.licence.status, LicenceStatus::Revoked);
    assert_eq!(stored.revoked_on, Some(day(2026, 2, 1)));
    assert_eq!(
        domain::licence::verify_signature(
            &service::licences::stored_json(&stored),
            &key.verifying_key()
        ),
        Ok(())
    );
    let actions: Vec<String> = db.ledger().await?.into_iter().map(|e| e.action).collect();
    for action in [
        "licence.types.imported",
        "licences.imported",
        "licence.revoked",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }

    assert_eq!(db.licence_public_key().await?, None);
    let hex = domain::licence::to_hex(key.verifying_key().as_bytes());
    db.set_licence_public_key(&hex, "2026-01-01T00:00:00+08:00")
        .await?;
    db.set_licence_public_key(&hex, "2026-01-01T00:00:00+08:00")
        .await?;
    assert_eq!(db.licence_public_key().await?, Some(hex));
    assert!(matches!(
        db.set_licence_public_key(&"00".repeat(32), "2026-01-01T00:00:00+08:00")
            .await,
        Err(StoreError::Constraint { .. })
    ));
    Ok(())
}

contracts!("licences"; licences_round_trip);
