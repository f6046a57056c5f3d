//! A city other than Huangshi adopts jianguan from its own files (issue 17):
//! `setup --city 420500` (宜昌), then departments, inspectors, entities whose
//! 主体类型 are printed as on licences, and a 12345 work-order file. Each file
//! names departments and districts as real files do (names, 简称, codes), has
//! one bad row, and the import counts equal the good rows.

use std::error::Error;
use std::path::{Path, PathBuf};

use domain::uscc::Uscc;

use crate::common::{TestResult, jianguan, unique};

fn data_dir() -> Result<PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(unique("any-city"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn text(path: &Path) -> Result<&str, Box<dyn Error>> {
    path.to_str().ok_or_else(|| "non-UTF-8 path".into())
}

fn code(body: &str) -> Result<String, Box<dyn Error>> {
    Ok(Uscc::from_body(body)?.as_str().to_owned())
}

fn write(dir: &Path, name: &str, lines: &[String]) -> Result<PathBuf, Box<dyn Error>> {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n")?;
    Ok(path)
}

/// Runs an import with `--json`; returns (imported, rejected, warnings).
fn import(args: &[&str]) -> Result<(u64, u64, u64), Box<dyn Error>> {
    let out = jianguan(args)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let count = |key: &str| summary[key].as_u64().ok_or(format!("{key} in {summary}"));
    Ok((count("imported")?, count("rejected")?, count("warnings")?))
}

#[test]
fn yichang_sets_up_and_imports_its_own_files() -> TestResult {
    let dir = data_dir()?;
    let data = text(&dir)?;
    let setup = jianguan(&["setup", "--city", "420500", "--data-dir", data])?;
    assert_eq!(setup.status.code(), Some(0));
    let out = String::from_utf8(setup.stdout)?;
    assert!(
        out.contains("宜昌市") && out.contains("14 districts"),
        "{out}"
    );

    let departments = write(
        &dir,
        "部门.csv",
        &[
            "部门编码,部门名称,层级,所属区域,统一社会信用代码,简称".into(),
            format!(
                "YCSJ,宜昌市市场监督管理局,市级,市直,{},市市场监管局",
                code("1142050000000001")?
            ),
            // The city level as the city's name (with its province) and as 市本级.
            "YCYJ,宜昌市应急管理局,市级,湖北省宜昌市,,市应急局".into(),
            "YCZJ,宜昌市住房和城乡建设局,市级,市本级,,".into(),
            "XLSJ,宜昌市西陵区市场监督管理局,区县级,西陵区,,西陵区市场监管局".into(),
            // Not a level: rejected, the others kept.
            "YCSW,宜昌市商务局,省级,420500,,".into(),
        ],
    )?;
    let args = ["import", "departments", text(&departments)?];
    let (imported, rejected, _) = import(&[&args[..], &["--data-dir", data, "--json"]].concat())?;
    assert_eq!((imported, rejected), (4, 1));

    let inspectors = write(
        &dir,
        "执法人员.csv",
        &[
            "执法证号,姓名,所属部门,证件有效期起,证件有效期止,执法领域,所属区域".into(),
            // By full name, by 简称 and by code.
            "42050001,张敏,宜昌市市场监督管理局,2024-01-01,2029-12-31,市场监管,市直".into(),
            "42050002,李强,市应急局,2024-01-01,2029-12-31,安全生产,".into(),
            "42050003,王芳,XLSJ,2024-01-01,2029-12-31,市场监管,西陵区".into(),
            // Huangshi's bureau is not one of 宜昌's departments.
            "42050004,赵磊,黄石市市场监督管理局,2024-01-01,2029-12-31,市场监管,".into(),
        ],
    )?;
    let args = ["import", "inspectors", text(&inspectors)?];
    let (imported, rejected, _) = import(&[&args[..], &["--data-dir", data, "--json"]].concat())?;
    assert_eq!((imported, rejected), (3, 1));

    let licence_types = [
        (
            "9142050200000001",
            "有限责任公司（自然人投资或控股）",
            "湖北省宜昌市西陵区",
        ),
        ("9142050300000002", "股份有限公司(非上市)", "伍家岗区"),
        ("9142050600000003", "个人独资企业", "夷陵区"),
        ("9142058100000004", "合伙企业", "420581"),
        (
            "9142050200000005",
            "有限责任公司分公司（自然人投资或控股）",
            "西陵区",
        ),
        ("9342052800000006", "农民专业合作社", "长阳土家族自治县"),
        ("9242058300000007", "个体工商户", "枝江市"),
    ];
    let mut entity_lines =
        vec!["统一社会信用代码,主体名称,主体类型,所属区域,成立日期,登记状态".to_owned()];
    for (n, (body, kind, district)) in licence_types.iter().enumerate() {
        entity_lines.push(format!(
            "{},宜昌样本主体{n},{kind},{district},2020-05-06,存续",
            code(body)?
        ));
    }
    // 黄石港区 is Huangshi's, not a district of 宜昌.
    entity_lines.push(format!(
        "{},黄石样本主体,有限责任公司（自然人独资）,黄石港区,2020-05-06,存续",
        code("9142020200000008")?
    ));
    let entities = write(&dir, "名录.csv", &entity_lines)?;
    let args = ["import", "entities", text(&entities)?];
    let (imported, rejected, warnings) =
        import(&[&args[..], &["--data-dir", data, "--json"]].concat())?;
    assert_eq!((imported, rejected, warnings), (7, 1, 0));

    let entity = code("9142050200000001")?;
    let orders = write(
        &dir,
        "12345工单.csv",
        &[
            "工单编号,来源渠道,受理时间,问题类型,难度,承办部门,签收时间,办结时间,延期工作日,回访结果,涉及主体统一社会信用代码".into(),
            format!("YC-001,12345,2026-03-02 09:00,食品安全,一般,市市场监管局,2026-03-02 15:00,2026-03-06 16:00,,满意,{entity}"),
            "YC-002,12345,2026-03-02 10:00,安全生产,一般,宜昌市应急管理局,2026-03-03 09:00,,,,".into(),
            "YC-003,12345,2026-03-03 11:00,价格,一般,XLSJ,,,,,".into(),
            "YC-004,12345,2026-03-03 12:00,价格,一般,黄石市市场监督管理局,,,,,".into(),
        ],
    )?;
    let args = ["hotline", "import", text(&orders)?];
    let (imported, rejected, _) = import(&[&args[..], &["--data-dir", data, "--json"]].concat())?;
    assert_eq!((imported, rejected), (3, 1));

    // Export writes the licence texts as they came.
    let exported = dir.join("导出.csv");
    let out = jianguan(&[
        "export",
        "entities",
        "--out",
        text(&exported)?,
        "--data-dir",
        data,
    ])?;
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(&exported)?;
    for (_, kind, _) in licence_types {
        assert!(written.contains(kind), "{kind} in {written}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
