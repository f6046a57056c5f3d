//! The e-licence library on the web: the public verify page (扫码验真) shows
//! status, type, issuer, the holder's name (a person's as surname + 某) and
//! validity, never an ID number; the public key; the holder lookup API for
//! staff; and the licence readers against hostile files.

use std::path::Path;
use std::process::Command;

use crate::common::web::{TestServer, encode};
use crate::licences::{ENTERPRISE, LICENCES_CSV, PERSON, TYPES_CSV};
use crate::web::hostile::{
    Expect, Reader, csv_header, demo_copy, hostile_files, run_cli, scratch, write_long_line,
};

fn cli(database: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_jianguan"))
        .args(args)
        .arg("--database")
        .arg(database)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The demo city's copy with a key, the test types and licences.
fn prepare(database: &Path) {
    let dir = database.parent().unwrap_or(Path::new("."));
    let (types, licences) = (dir.join("types.csv"), dir.join("licences.csv"));
    std::fs::write(&types, TYPES_CSV).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&licences, LICENCES_CSV).unwrap_or_else(|e| panic!("{e}"));
    cli(database, &["licences", "key", "--create"]);
    cli(
        database,
        &["licences", "types", "import", &types.to_string_lossy()],
    );
    cli(
        database,
        &["licences", "import", &licences.to_string_lossy()],
    );
    cli(
        database,
        &["licences", "revoke", "YY-0001", "--reason", "歇业注销"],
    );
}

#[test]
fn the_verify_page_shows_the_licence_but_never_an_id_number() {
    let server = TestServer::start_prepared(prepare);
    let mut public = server.anonymous();

    let page = public.get("/gongshi/licences/verify?no=SP-0001");
    assert_eq!(page.status, 200);
    for shown in [
        "电子证照验真",
        "SP-0001",
        "食品经营许可证",
        "黄石市市场监督管理局",
        "张某",
        "有效",
        "2030-01-01",
    ] {
        assert!(page.body.contains(shown), "{shown} missing");
    }
    for hidden in [PERSON, "张三丰", "110105", "********", "经营场所"] {
        assert!(
            !page.body.contains(hidden),
            "{hidden} shown on the public page"
        );
    }

    let revoked = public.get("/gongshi/licences/verify?no=YY-0001");
    assert!(revoked.body.contains("已注销"), "{}", revoked.body);
    assert!(
        revoked.body.contains("黄石示例有限公司"),
        "an enterprise's name in full"
    );
    assert!(!revoked.body.contains(ENTERPRISE));
    let expired = public.get("/gongshi/licences/verify?no=SP-0002");
    assert!(expired.body.contains("已过期"));
    let unknown = public.get(&format!(
        "/gongshi/licences/verify?no={}",
        encode("<script>x")
    ));
    assert_eq!(unknown.status, 200);
    assert!(unknown.body.contains("未找到") && !unknown.body.contains("<script>x"));
    let long = public.get(&format!(
        "/gongshi/licences/verify?no={}",
        "9".repeat(10_000)
    ));
    assert!(
        long.status == 200 || long.status == 400 || long.status == 414,
        "{}",
        long.status
    );

    let key = public.get("/gongshi/licences/key");
    assert_eq!(key.status, 200);
    assert_eq!(
        key.body.trim(),
        cli(&server.database, &["licences", "key"]).trim()
    );

    // The holder lookup: staff who check applicants only; the ID number masked.
    let refused = public.get(&format!("/api/v1/licences?holder={PERSON}"));
    assert!(matches!(refused.status, 401 | 403), "{}", refused.status);
    let mut office = server.login("credit.office");
    let found = office.get(&format!("/api/v1/licences?holder={PERSON}"));
    assert_eq!(found.status, 200, "{}", found.body);
    let list = found.json();
    let numbers: Vec<&str> = list
        .as_array()
        .map(|a| a.iter().filter_map(|l| l["no"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(numbers, ["SP-0001"]);
    assert!(!found.body.contains(PERSON), "masked: {}", found.body);
    let bad = office.get("/api/v1/licences?holder=123");
    assert_eq!(bad.status, 400);
}

const READERS: &[Reader] = &[
    Reader {
        name: "licence types",
        cli: &["licences", "types", "import", "--json"],
        headers: &[
            "证照类型代码",
            "证照名称",
            "颁发部门",
            "有效期（年）",
            "照面字段",
        ],
    },
    Reader {
        name: "licences",
        cli: &["licences", "import", "--json"],
        headers: &[
            "证照编号",
            "证照类型代码",
            "持证主体名称",
            "持证主体证件号码",
            "颁证日期",
        ],
    },
];

#[test]
fn the_licence_readers_refuse_hostile_files_within_an_address_space_limit() {
    let dir = scratch("jianguan_hostile_licences");
    let database = demo_copy(&dir);
    cli(&database, &["licences", "key", "--create"]);
    for reader in READERS {
        for (name, bytes, expect) in hostile_files(reader) {
            let file = dir.join(&name);
            std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));
            run_cli(reader, &database, &file, expect);
            let _ = std::fs::remove_file(&file);
        }
        let long = dir.join("long-line.csv");
        write_long_line(&long, &csv_header(reader));
        run_cli(reader, &database, &long, Expect::Limit);
        let _ = std::fs::remove_file(&long);
    }
    let long = dir.join("long-line.jsonl");
    write_long_line(&long, "{\"证照编号\":\"");
    run_cli(&READERS[1], &database, &long, Expect::Limit);
    let _ = std::fs::remove_dir_all(dir);
}
