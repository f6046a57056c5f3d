//! `/gongshi/penalties` (行政执法公示, issue 19): anonymous visitors see the
//! decided, published, not withdrawn decisions only; a person by surname and
//! 某, never by ID number or full name, and a search cannot find one by them.

use crate::cases::{PERSON, cli_database, write_files};
use crate::common::jianguan_ok;
use crate::common::web::TestServer;

#[test]
fn anonymous_visitors_see_only_published_decisions_without_id_numbers() {
    let (files, _) = write_files("penalties_web").unwrap_or_else(|e| panic!("{e}"));
    let database = cli_database(&files).unwrap_or_else(|e| panic!("{e}"));
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    for args in [
        vec![
            "discretion",
            "import",
            &path(&files.benchmarks),
            "--in-force",
            "2025-01-01",
        ],
        vec!["cases", "import", &path(&files.cases)],
    ]
    .iter_mut()
    {
        args.extend(["--database", &database]);
        jianguan_ok(args).unwrap_or_else(|e| panic!("{e}"));
    }
    let server = TestServer::over(std::path::PathBuf::from(&database));
    let mut visitor = server.anonymous();
    let page = visitor.get("/gongshi/penalties");
    assert_eq!(page.status, 200);
    // 25 cases: C19 and C20 withdrawn, C21–C23 unpublished (C21 undecided).
    assert!(page.body.contains("共 20 条"), "{}", page.body);
    for hidden in ["C19", "C20", "C21", "C22", "C23"] {
        assert!(
            !page.body.contains(&format!(">{hidden}<")),
            "{hidden} shown"
        );
    }
    assert!(page.body.contains(">C01<"));
    assert!(page.body.contains("未按规定公示信息"));
    assert!(page.body.contains("某条例第十条"));
    // The person: 欧阳某, never the number or the full name.
    assert!(page.body.contains("欧阳某"));
    for secret in [PERSON, "欧阳某人", "19491231"] {
        assert!(!page.body.contains(secret), "{secret} shown");
        let search = visitor.get(&format!(
            "/gongshi/penalties?q={}",
            crate::common::web::encode(secret)
        ));
        assert!(
            search.body.contains("共 0 条"),
            "search by {secret} found something"
        );
    }
    // Searchable like results: by the organisation's code prefix and by name.
    let by_code = visitor.get("/gongshi/penalties?q=91420200");
    assert!(by_code.body.contains("共 19 条"), "{}", by_code.body);
    let by_department = visitor.get(&format!(
        "/gongshi/penalties?q={}",
        crate::common::web::encode("HBJ")
    ));
    assert!(by_department.body.contains(">C24<"));
    // Paged: 20 per page; a page past the end shows the last.
    let far = visitor.get("/gongshi/penalties?page=99");
    assert_eq!(far.status, 200);
    drop(server);
    let _ = std::fs::remove_dir_all(&files.dir);
}
