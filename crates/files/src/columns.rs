//! The columns of each directory: the Chinese headers of government templates,
//! each with a documented English alternative, and header matching.
//!
//! Matching ignores surrounding white space, a leading or trailing `*` (the
//! templates' mark of a required column), full-width versus half-width forms
//! (`（`/`(`, `／`/`/`, full-width letters and digits) and ASCII case.

/// One column of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The English alternative, also the key the importer uses.
    pub key: &'static str,
    /// The Chinese headers accepted; the first is the one exports write.
    pub zh: &'static [&'static str],
    /// Whether the header must be present.
    pub required: bool,
}

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// 部门名录 (departments), keyed by 部门编码. 所属区域 is a district of the city,
/// by code or name; 统一社会信用代码 is the organ's (it begins with `11`).
pub const DEPARTMENTS: &[Column] = &[
    col("code", &["部门编码", "部门代码", "编码"], true),
    col("name", &["部门名称", "名称"], true),
    col("level", &["层级", "部门层级", "级别"], true),
    col("district", &["所属区域", "所属区县", "区域"], true),
    col("uscc", &["统一社会信用代码", "社会信用代码"], false),
    col("short_name", &["简称", "部门简称"], false),
];

/// 检查对象名录库 (market entities), keyed by 统一社会信用代码.
pub const ENTITIES: &[Column] = &[
    col(
        "uscc",
        &["统一社会信用代码", "社会信用代码", "信用代码"],
        true,
    ),
    col(
        "name",
        &["主体名称", "企业名称", "名称", "市场主体名称"],
        true,
    ),
    col("type", &["主体类型", "市场主体类型", "类型"], true),
    col(
        "district",
        &["所属区域", "所属区县", "区域", "所属辖区"],
        true,
    ),
    col("industry", &["行业代码", "国民经济行业代码"], false),
    col(
        "registered_on",
        &["成立日期", "成立时间", "注册日期", "登记日期"],
        true,
    ),
    col("status", &["登记状态", "经营状态"], true),
    col(
        "address",
        &[
            "住所/经营场所",
            "住所(经营场所)",
            "住所",
            "经营场所",
            "地址",
        ],
        false,
    ),
    col(
        "legal_rep",
        &["法定代表人", "负责人", "经营者", "法定代表人/负责人"],
        false,
    ),
    col(
        "risk_class",
        &["信用风险分类", "风险分类", "信用风险等级"],
        false,
    ),
    col("risk_class_on", &["分类日期", "信用风险分类日期"], false),
    col("pools", &["专项库", "特定对象库"], false),
    col("tags", &["标签"], false),
];

/// 执法检查人员名录库 (inspectors), keyed by 执法证号.
pub const INSPECTORS: &[Column] = &[
    col("cert_no", &["执法证号", "执法证件号", "执法证件号码"], true),
    col("name", &["姓名"], true),
    col("department", &["所属部门", "部门", "执法部门"], true),
    col(
        "id_card",
        &["身份证号", "身份证号码", "公民身份号码"],
        false,
    ),
    col(
        "cert_valid_from",
        &["证件有效期起", "有效期起", "有效期开始"],
        true,
    ),
    col(
        "cert_valid_until",
        &["证件有效期止", "有效期止", "有效期至", "有效期结束"],
        true,
    ),
    col("fields", &["执法领域", "执法类别"], false),
    col("district", &["所属区域", "所属区县", "区域"], false),
    col("cert_status", &["证件状态", "执法证状态"], false),
    col("issuer", &["发证机关", "发证单位"], false),
    col(
        "exam_passed_on",
        &["资格考试通过日期", "资格考试日期", "考试通过日期"],
        false,
    ),
    col(
        "in_pool",
        &["纳入抽查人员库", "纳入抽查库", "是否纳入抽查"],
        false,
    ),
];

/// 回避关系 (recusals), keyed by (执法证号, 统一社会信用代码).
pub const RECUSALS: &[Column] = &[
    col("cert_no", &["执法证号", "执法证件号"], true),
    col("uscc", &["统一社会信用代码", "社会信用代码"], true),
    col("reason", &["回避原因", "原因", "回避事由"], true),
];

/// 随机抽查事项清单 (items), keyed by 事项编码.
pub const ITEMS: &[Column] = &[
    col("code", &["事项编码", "编码", "抽查事项编码"], true),
    col("category", &["抽查类别", "类别", "事项类别"], true),
    col("name", &["抽查事项", "事项名称", "抽查事项名称"], true),
    col("legal_basis", &["检查依据", "抽查依据", "法律依据"], true),
    col("department", &["实施主体", "实施部门", "所属部门"], true),
    col("target_type", &["检查对象", "抽查对象"], true),
    col("methods", &["检查方式", "抽查方式"], true),
    col("ratio", &["抽查比例", "比例"], true),
    col("frequency", &["抽查频次", "频次"], true),
];

/// 部门联合抽查事项清单 (joint items), keyed by 事项编码. 配合部门 lists one or
/// more departments separated by `、`, `,`, `;` (full-width too).
pub const JOINT_ITEMS: &[Column] = &[
    col("code", &["事项编码", "编码", "抽查事项编码"], true),
    col("field", &["抽查领域", "领域", "联合抽查领域"], true),
    col("name", &["抽查事项", "事项名称", "抽查事项名称"], true),
    col("legal_basis", &["检查依据", "抽查依据", "法律依据"], true),
    col("lead", &["发起部门", "牵头部门", "发起单位"], true),
    col("cooperating", &["配合部门", "配合单位", "参与部门"], true),
    col("target_type", &["检查对象", "抽查对象"], true),
    col("methods", &["检查方式", "抽查方式"], true),
    col("ratio", &["抽查比例", "比例"], true),
    col("frequency", &["抽查频次", "频次"], true),
];

/// Headers that may be present and are ignored (row numbers, notes).
pub const IGNORED: &[&str] = &["序号", "备注", "no", "remark", "remarks"];

/// A header normalised for matching: trimmed, `*` marks removed, full-width
/// forms folded to half-width, ASCII lower-cased, inner white space removed.
pub fn normalize(header: &str) -> String {
    header
        .trim()
        .trim_matches(|c: char| c == '*' || c == '＊' || c.is_whitespace())
        .chars()
        .filter_map(|c| {
            let c = match c {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{FEFF}' => return None,
                other => other,
            };
            (!c.is_whitespace()).then_some(c.to_ascii_lowercase())
        })
        .collect()
}

/// Where each column is in a file: `positions[i]` is the file column of `columns[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// File column of each known column, if present.
    pub positions: Vec<Option<usize>>,
    /// The headers as written in the file, by file column.
    pub headers: Vec<String>,
}

/// Why a header row does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HeaderError {
    /// Headers not recognised, as written.
    pub unknown: Vec<String>,
    /// Required headers missing (their Chinese name).
    pub missing: Vec<String>,
    /// Headers present twice.
    pub repeated: Vec<String>,
    /// The full English message.
    pub message: String,
}

impl HeaderError {
    /// What is wrong with the header row, in Chinese.
    pub fn message_zh(&self) -> String {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("缺少必填列：{}", self.missing.join("、")));
        }
        if !self.unknown.is_empty() {
            parts.push(format!("无法识别的列：{}", self.unknown.join("、")));
        }
        if !self.repeated.is_empty() {
            parts.push(format!("重复的列：{}", self.repeated.join("、")));
        }
        if parts.is_empty() {
            "表头行不符合模板".to_owned()
        } else {
            format!("表头行不符合模板（{}）", parts.join("；"))
        }
    }
}

/// `中文 (english)` for every column, required ones marked `*`.
pub fn expected_list(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| {
            format!(
                "{}{} ({})",
                if c.required { "*" } else { "" },
                c.zh[0],
                c.key
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Matches a header row against `columns`. Every header must be known (or
/// ignorable) and every required column present.
pub fn map_headers(columns: &[Column], headers: &[String]) -> Result<Mapping, HeaderError> {
    let mut positions = vec![None; columns.len()];
    let mut unknown = Vec::new();
    let mut repeated = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let norm = normalize(header);
        if norm.is_empty() || IGNORED.iter().any(|i| normalize(i) == norm) {
            continue;
        }
        let found = columns
            .iter()
            .position(|c| normalize(c.key) == norm || c.zh.iter().any(|zh| normalize(zh) == norm));
        match found {
            Some(i) if positions[i].is_some() => repeated.push(header.trim().to_owned()),
            Some(i) => positions[i] = Some(index),
            None => unknown.push(header.trim().to_owned()),
        }
    }
    let missing: Vec<String> = columns
        .iter()
        .zip(&positions)
        .filter(|(c, p)| c.required && p.is_none())
        .map(|(c, _)| c.zh[0].to_owned())
        .collect();
    if unknown.is_empty() && missing.is_empty() && repeated.is_empty() {
        return Ok(Mapping {
            positions,
            headers: headers.to_vec(),
        });
    }
    let mut parts = Vec::new();
    if !unknown.is_empty() {
        parts.push(format!("unknown header(s) {}", quoted(&unknown)));
    }
    if !missing.is_empty() {
        parts.push(format!("missing required header(s) {}", quoted(&missing)));
    }
    if !repeated.is_empty() {
        parts.push(format!("header(s) given twice {}", quoted(&repeated)));
    }
    let message = format!(
        "bad header row: {}; expected headers (Chinese or English, * = required): {}",
        parts.join("; "),
        expected_list(columns)
    );
    Err(HeaderError {
        unknown,
        missing,
        repeated,
        message,
    })
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_error_reads_in_chinese() {
        let error = HeaderError {
            unknown: vec!["备注2".into()],
            missing: vec!["统一社会信用代码".into()],
            repeated: Vec::new(),
            message: "missing required column".into(),
        };
        assert_eq!(
            error.message_zh(),
            "表头行不符合模板（缺少必填列：统一社会信用代码；无法识别的列：备注2）"
        );
    }

    #[test]
    fn headers_match_loosely() {
        assert_eq!(
            normalize(" *统一社会信用代码 "),
            normalize("统一社会信用代码")
        );
        assert_eq!(normalize("住所／经营场所"), normalize("住所/经营场所"));
        assert_eq!(normalize("住所（经营场所）"), normalize("住所(经营场所)"));
        assert_eq!(normalize("ＵＳＣＣ"), "uscc");
        let headers: Vec<String> = [
            "序号",
            "统一社会信用代码",
            "主体名称",
            "Type",
            "所属区县",
            "成立日期",
            "登记状态",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mapping = map_headers(ENTITIES, &headers);
        assert!(mapping.is_ok(), "{mapping:?}");
        let bad: Vec<String> = ["统一社会信用代吗", "主体名称"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let error = map_headers(ENTITIES, &bad).err();
        assert_eq!(
            error.as_ref().map(|e| e.unknown.clone()),
            Some(vec!["统一社会信用代吗".to_owned()])
        );
        assert!(error.is_some_and(|e| e.missing.contains(&"统一社会信用代码".to_owned())));
    }
}
