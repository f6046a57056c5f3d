//! Template workbooks (`jianguan templates --out DIR`): for every importable
//! file one XLSX named after it, whose first sheet holds the header row (the
//! first Chinese header of each column, required ones marked `*` as government
//! templates do; the readers ignore the mark) and one valid example row, and
//! whose 说明 sheet lists each column: header, required or not, English key,
//! the other headers accepted, and the values or format accepted.
//!
//! The examples and notes of the directories are a `match` over [`Kind`], so a
//! new directory does not compile until it has its own.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::columns::Column;
use super::{Kind, credit, hotline, write_atomically};
use domain::registration::RULES;

/// An importable file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    /// A directory (`jianguan import KIND`).
    Directory(Kind),
    /// A credit list file (`jianguan credit import`).
    CreditEntries,
    /// The matters catalogue of credit checks (`jianguan credit matters import`).
    CreditMatters,
    /// An applicant list of a credit check (`jianguan credit check`).
    CreditApplicants,
    /// 12345 work orders (`jianguan hotline import`).
    HotlineOrders,
}

/// One column's example value and what it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldNote {
    /// The column's key ([`Column::key`]).
    pub key: &'static str,
    /// The example row's value: valid together with the rest of the row.
    pub example: &'static str,
    /// The values or format accepted, in Chinese.
    pub accepted: &'static str,
}

const fn note(key: &'static str, example: &'static str, accepted: &'static str) -> FieldNote {
    FieldNote {
        key,
        example,
        accepted,
    }
}

/// The date formats every reader accepts.
const DATE: &str =
    "日期，年份在前：2020-01-02、2020/1/2、2020.1.2、20200102、2020年1月2日，或 Excel 日期单元格";
/// The 统一社会信用代码 rule shared by the readers.
const USCC: &str = "18位统一社会信用代码（GB 32100-2015），两位校验码均须正确；两位校验码均不符的试点期代码接受并给出警告（--strict-uscc 时拒绝）";
/// A department reference.
const DEPARTMENT: &str = "已登记部门的编码或名称（先导入部门）";
/// The list separators.
const LIST: &str = "多项以 、 ， , ； ; 或 | 分隔";

/// The example entity's code (valid; both check characters right).
const EXAMPLE_USCC: &str = "914202027324581050";
/// The example inspector's certificate number.
const EXAMPLE_CERT: &str = "HS-SCJG-0001";

const DEPARTMENT_NOTES: &[FieldNote] = &[
    note(
        "code",
        "HSGSJ",
        "1 至 32 位英文字母、数字、-、_ 或 .；导入后不可改（改名请保留编码重新导入）",
    ),
    note(
        "name",
        "黄石港区市场监督管理局",
        "部门全称，全市唯一；同一编码再次导入即为改名",
    ),
    note("level", "区县级", "市级 或 区县级"),
    note(
        "district",
        "420202",
        "本市区县的代码或名称（setup --city 载入；市级部门填 市直，即城市代码）",
    ),
    note(
        "uscc",
        "114202020000001237",
        "可空；机关的统一社会信用代码以 11 开头，校验位须正确",
    ),
    note(
        "short_name",
        "港区市场监管局",
        "可空；简称，其他文件可用简称指代本部门",
    ),
];

const ENTITY_NOTES: &[FieldNote] = &[
    note("uscc", EXAMPLE_USCC, USCC),
    note(
        "name",
        "黄石市示例商贸有限公司",
        "营业执照上的名称，至多200字",
    ),
    note(
        "type",
        "有限责任公司（自然人投资或控股）",
        "营业执照上的主体类型原文，全角或半角括号均可，按原文保存，并归入 企业、个体工商户、农民专业合作社、其他 四类（见下方“主体类型归类规则”）；无法识别的归入“其他”并给出警告",
    ),
    note(
        "district",
        "420202",
        "已登记区域的名称或6位行政区划代码（GB/T 2260），如 420202 或 黄石港区",
    ),
    note(
        "industry",
        "5211",
        "国民经济行业代码（GB/T 4754-2017）：2至4位数字，可带门类字母，如 52、5211、F5211；可空",
    ),
    note("registered_on", "2015-03-18", DATE),
    note(
        "status",
        "存续",
        "存续（也可写 在业、开业、正常）、注销、吊销 或 迁出",
    ),
    note(
        "address",
        "湖北省黄石市黄石港区示例路1号",
        "住所或经营场所，至多300字；可空",
    ),
    note(
        "legal_rep",
        "张三",
        "法定代表人、负责人或经营者，至多100字；可空",
    ),
    note(
        "risk_class",
        "B",
        "A、B、C 或 D（A 低风险 … D 高风险）；可空（未分类）",
    ),
    note(
        "risk_class_on",
        "2024-01-15",
        "设定信用风险分类的日期，须同时填写信用风险分类，不早于成立日期；空则为今天",
    ),
    note(
        "pools",
        "食品经营",
        "特定对象库，每项至多50字，多项以 、 ， , ； ; 或 | 分隔；可空",
    ),
    note(
        "tags",
        "重点监管",
        "标签，每项至多50字，多项以 、 ， , ； ; 或 | 分隔；可空",
    ),
];

const INSPECTOR_NOTES: &[FieldNote] = &[
    note(
        "cert_no",
        EXAMPLE_CERT,
        "执法证号：1至32位字母、数字或 - _ .",
    ),
    note("name", "李四", "姓名，至多100字"),
    note("department", "SCJG", DEPARTMENT),
    note(
        "id_card",
        "11010519491231002X",
        "18位居民身份证号码（GB 11643-1999 校验位）；可空",
    ),
    note("cert_valid_from", "2024-01-01", DATE),
    note(
        "cert_valid_until",
        "2028-12-31",
        "日期（格式同上），不早于有效期起",
    ),
    note("fields", "食品安全、特种设备", LIST),
    note("district", "420202", "已登记区域的名称或代码；可空（全市）"),
    note("cert_status", "有效", "有效、暂扣 或 注销；可空（有效）"),
    note("issuer", "黄石市人民政府", "发证机关，至多100字；可空"),
    note("exam_passed_on", "2023-11-18", "执法资格考试通过日期；可空"),
    note(
        "in_pool",
        "是",
        "是 或 否：是否纳入双随机抽查执法检查人员库；可空（是）",
    ),
];

const RECUSAL_NOTES: &[FieldNote] = &[
    note("cert_no", EXAMPLE_CERT, "已导入的执法人员的执法证号"),
    note("uscc", EXAMPLE_USCC, "已导入的市场主体的统一社会信用代码"),
    note("reason", "近亲属任该企业股东", "回避原因，必填"),
];

const METHODS: &str = "实地检查（现场检查）、书面检查、网络监测、检验检测（抽样检测）、委托专业机构、采用部门意见（采信部门意见）中的一项或多项，多项以 、 ， , ； ; 或 | 分隔";
const RATIO: &str = "0.01% 至 100%，如 5%、0.5%";
const FREQUENCY: &str = "如 每年1次、每半年1次、每季度2次、每月1次、1次/年";

const ITEM_CODE: &str = "事项编码：1至32位字母、数字或 - _ .";
const ITEM_NAME: &str = "抽查事项名称，至多200字";
const LEGAL_BASIS: &str = "检查依据，至多2000字";
const TARGET_TYPE: &str = "检查对象，至多200字";

const ITEM_NOTES: &[FieldNote] = &[
    note("code", "SJ-SCJG-001", ITEM_CODE),
    note("category", "定向抽查", "抽查类别，至多200字"),
    note("name", "食品经营者经营条件检查", ITEM_NAME),
    note(
        "legal_basis",
        "《中华人民共和国食品安全法》第一百一十条",
        LEGAL_BASIS,
    ),
    note("department", "SCJG", DEPARTMENT),
    note("target_type", "食品经营者", TARGET_TYPE),
    note("methods", "实地检查、书面检查", METHODS),
    note("ratio", "5%", RATIO),
    note("frequency", "每年1次", FREQUENCY),
];

const JOINT_ITEM_NOTES: &[FieldNote] = &[
    note("code", "LH-SCJG-001", ITEM_CODE),
    note("field", "食品安全", "抽查领域，至多200字"),
    note("name", "餐饮服务单位食品安全与消防安全联合检查", ITEM_NAME),
    note(
        "legal_basis",
        "《中华人民共和国食品安全法》第一百一十条；《中华人民共和国消防法》第五十三条",
        LEGAL_BASIS,
    ),
    note("lead", "SCJG", "发起部门：已登记部门的编码或名称"),
    note(
        "cooperating",
        "YJGL",
        "配合部门：一个或多个已登记部门的编码或名称，多项以 、 ， , ； ; 或 | 分隔；不能包含发起部门",
    ),
    note("target_type", "餐饮服务提供者", TARGET_TYPE),
    note("methods", "实地检查", METHODS),
    note("ratio", "3%", RATIO),
    note("frequency", "每年1次", FREQUENCY),
];

const LIST_TYPES: &str =
    "严重失信主体名单（失信名单、黑名单）、红名单、经营异常名录、行政处罚、行政许可 或 虚假承诺";

const CREDIT_ENTRY_NOTES: &[FieldNote] = &[
    note("list_type", "行政处罚", LIST_TYPES),
    note("name", "黄石市示例商贸有限公司", "主体名称或姓名，必填"),
    note(
        "id",
        EXAMPLE_USCC,
        "统一社会信用代码（规则同名录）或18位居民身份证号码",
    ),
    note("listed_on", "2025-06-30", DATE),
    note(
        "valid_until",
        "2026-06-29",
        "公示截止日期，不早于列入日期；可空",
    ),
    note(
        "authority",
        "黄石市市场监督管理局",
        "认定部门（处罚、许可机关），必填",
    ),
    note(
        "reason",
        "销售超过保质期的食品",
        "列入原因，至多1000字；可空",
    ),
    note(
        "removed_on",
        "",
        "移出日期，不早于列入日期；空表示仍在名单上",
    ),
    note("severity", "一般", "轻微、一般 或 严重；可空"),
    note(
        "decided_on",
        "2025-06-28",
        "认定日期，不晚于列入日期；可空（按列入日期）",
    ),
    note(
        "ref_no",
        "黄市监处罚〔2025〕1号",
        "文书号；空则以认定部门代替",
    ),
    note("source", "信用中国（湖北黄石）", "数据来源；空则为文件名"),
    note(
        "basis",
        "《中华人民共和国食品安全法》第一百二十四条",
        "处罚或认定依据；可空",
    ),
    note("penalty_kind", "罚款", "处罚类别；可空"),
    note("penalty_content", "没收违法所得并处罚款", "处罚内容；可空"),
    note("fine", "0.5", "罚款金额（万元）；可空"),
];

const CREDIT_MATTER_NOTES: &[FieldNote] = &[
    note("code", "XY-CG-001", "事项编码，至多64字"),
    note("name", "政府采购供应商资格审查", "事项名称，必填"),
    note("domain", "公共资源交易", "领域，必填"),
    note("department", "黄石市财政局", "主管部门，必填"),
    note(
        "block",
        "严重失信主体名单",
        "阻断的名单类型（名单类型同信用名单），多项以 ; ； , ， 或 、 分隔；可空",
    ),
    note(
        "warn",
        "经营异常名录;行政处罚",
        "警示的名单类型，同上；同一名单类型只能出现在阻断、警示、激励之一",
    ),
    note("reward", "红名单", "激励的名单类型，同上"),
];

const CREDIT_APPLICANT_NOTES: &[FieldNote] = &[
    note(
        "id",
        EXAMPLE_USCC,
        "统一社会信用代码或18位居民身份证号码；格式不对的在核查结果中记为无效",
    ),
    note("name", "黄石市示例商贸有限公司", "主体名称；可空"),
];

const HOTLINE_NOTES: &[FieldNote] = &[
    note(
        "id",
        "HS20260302000001",
        "工单编号：1至40位字母、数字或 - _ .",
    ),
    note(
        "channel",
        "12345",
        "已配置的热线号码或名称：12345 或并入的热线（12315、12328、12333 …）",
    ),
    note(
        "received_at",
        "2026-03-02 09:15",
        "时间，北京时间：2026-03-02 09:15、2026-03-02 09:15:30 或 RFC 3339",
    ),
    note("category", "食品安全", "问题类型，必填"),
    note(
        "difficulty",
        "一般",
        "一般（普通）或 疑难（复杂）；空为一般",
    ),
    note(
        "department",
        "SCJG",
        "已登记部门的编码或名称；空表示尚未派单（已签收的工单必填）",
    ),
    note(
        "signed_at",
        "2026-03-02 10:00",
        "时间（格式同受理时间），不早于受理时间；空表示尚未签收",
    ),
    note(
        "closed_at",
        "2026-03-05 16:30",
        "时间，不早于签收时间；空表示尚未办结（已办结的须有签收时间）",
    ),
    note(
        "extension_days",
        "0",
        "已批准的延期工作日，0 至 365 的整数（可写 3天、3个工作日）；空为0",
    ),
    note(
        "rating",
        "满意",
        "满意、基本满意 或 不满意；空（或 未回访）表示尚未回访",
    ),
    note(
        "entity",
        EXAMPLE_USCC,
        "涉及主体的统一社会信用代码（规则同名录）；可空",
    ),
];

/// A directory's title and notes. A `match` without a wildcard: a new
/// directory needs its own to compile.
fn directory(kind: Kind) -> (&'static str, &'static [FieldNote]) {
    match kind {
        Kind::Departments => ("部门名录", DEPARTMENT_NOTES),
        Kind::Entities => ("检查对象名录库", ENTITY_NOTES),
        Kind::Inspectors => ("执法检查人员名录库", INSPECTOR_NOTES),
        Kind::Recusals => ("回避关系", RECUSAL_NOTES),
        Kind::Items => ("随机抽查事项清单", ITEM_NOTES),
        Kind::JointItems => ("部门联合抽查事项清单", JOINT_ITEM_NOTES),
    }
}

impl Template {
    /// Every importable file: the directories in [`Kind::ALL`] order, then the
    /// credit files and the work orders.
    pub fn all() -> Vec<Template> {
        Kind::ALL
            .into_iter()
            .map(Template::Directory)
            .chain([
                Template::CreditEntries,
                Template::CreditMatters,
                Template::CreditApplicants,
                Template::HotlineOrders,
            ])
            .collect()
    }

    /// The file's name without `.xlsx`: the directory's name (`entities` …),
    /// `credit-entries`, `credit-matters`, `credit-applicants` or `hotline-orders`.
    pub fn name(self) -> &'static str {
        match self {
            Template::Directory(kind) => kind.as_str(),
            Template::CreditEntries => "credit-entries",
            Template::CreditMatters => "credit-matters",
            Template::CreditApplicants => "credit-applicants",
            Template::HotlineOrders => "hotline-orders",
        }
    }

    /// The file's name: [`Template::name`] and `.xlsx`.
    pub fn file_name(self) -> String {
        format!("{}.xlsx", self.name())
    }

    /// The Chinese title (the first sheet's name).
    pub fn title(self) -> &'static str {
        match self {
            Template::Directory(kind) => directory(kind).0,
            Template::CreditEntries => "信用名单",
            Template::CreditMatters => "信用核查事项目录",
            Template::CreditApplicants => "信用核查申请人名单",
            Template::HotlineOrders => "12345工单",
        }
    }

    /// The command that imports the file.
    pub fn command(self) -> String {
        match self {
            Template::Directory(kind) => format!("jianguan import {} FILE", kind.as_str()),
            Template::CreditEntries => "jianguan credit import FILE".into(),
            Template::CreditMatters => "jianguan credit matters import FILE".into(),
            Template::CreditApplicants => "jianguan credit check --matter CODE FILE".into(),
            Template::HotlineOrders => "jianguan hotline import FILE".into(),
        }
    }

    /// The columns its reader accepts.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Template::Directory(kind) => kind.columns(),
            Template::CreditEntries => credit::ENTRY_COLUMNS,
            Template::CreditMatters => credit::MATTER_COLUMNS,
            Template::CreditApplicants => credit::APPLICANT_COLUMNS,
            Template::HotlineOrders => hotline::ORDER_COLUMNS,
        }
    }

    /// Each column's example and accepted values, in [`Template::columns`] order.
    pub fn notes(self) -> &'static [FieldNote] {
        match self {
            Template::Directory(kind) => directory(kind).1,
            Template::CreditEntries => CREDIT_ENTRY_NOTES,
            Template::CreditMatters => CREDIT_MATTER_NOTES,
            Template::CreditApplicants => CREDIT_APPLICANT_NOTES,
            Template::HotlineOrders => HOTLINE_NOTES,
        }
    }

    /// The header row: each column's first Chinese header, `*` before required ones.
    pub fn headers(self) -> Vec<String> {
        self.columns()
            .iter()
            .map(|c| format!("{}{}", if c.required { "*" } else { "" }, c.zh[0]))
            .collect()
    }

    /// The example row, in column order.
    pub fn example(self) -> Vec<&'static str> {
        self.columns()
            .iter()
            .map(|c| self.note(c.key).map_or("", |n| n.example))
            .collect()
    }

    fn note(self, key: &str) -> Option<&'static FieldNote> {
        self.notes().iter().find(|n| n.key == key)
    }

    /// The workbook: the header row and the example on the first sheet, every
    /// cell text; the 说明 sheet.
    pub fn workbook(self) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let text = Format::new().set_num_format("@");
        let sheet = book.add_worksheet();
        sheet.set_name(self.title())?;
        for (column, (header, example)) in (0u16..).zip(self.headers().iter().zip(self.example())) {
            sheet.set_column_width(column, 20)?;
            sheet.set_column_format(column, &text)?;
            sheet.write_string_with_format(0, column, header, &bold)?;
            sheet.write_string_with_format(1, column, example, &text)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.write_notes(book.add_worksheet(), &bold)?;
        book.save_to_buffer()
    }

    fn write_notes(self, sheet: &mut Worksheet, bold: &Format) -> Result<(), XlsxError> {
        sheet.set_name(NOTES_SHEET)?;
        for (column, width) in [
            (0u16, 22.0),
            (1, 8.0),
            (2, 16.0),
            (3, 30.0),
            (4, 80.0),
            (5, 30.0),
        ] {
            sheet.set_column_width(column, width)?;
        }
        for (column, header) in (0u16..).zip(NOTES_HEADERS) {
            sheet.write_string_with_format(0, column, header, bold)?;
        }
        let mut row = 1u32;
        for c in self.columns() {
            let note = self.note(c.key);
            let cells = [
                c.zh[0].to_owned(),
                if c.required { "是" } else { "否" }.to_owned(),
                c.key.to_owned(),
                c.zh[1..].join("、"),
                note.map_or("", |n| n.accepted).to_owned(),
                note.map_or("", |n| n.example).to_owned(),
            ];
            for (column, cell) in (0u16..).zip(cells) {
                sheet.write_string(row, column, cell)?;
            }
            row += 1;
        }
        row += 1;
        for line in [
            format!("导入命令：{}", self.command()),
            "带 * 的列必须有表头；表头也可写英文列名；“序号”“备注”列被忽略。第1行为表头，第2行为示例，导入前请删除示例行或改为实际数据。".to_owned(),
        ] {
            sheet.write_string(row, 0, line)?;
            row += 1;
        }
        if self == Template::Directory(Kind::Entities) {
            write_registration_rules(sheet, row + 1, bold)?;
        }
        Ok(())
    }
}

/// The name of the notes sheet.
pub const NOTES_SHEET: &str = "说明";

/// The notes sheet's header row.
pub const NOTES_HEADERS: [&str; 6] = [
    "列名",
    "必填",
    "英文列名",
    "也可写作",
    "可填写的值/格式",
    "示例",
];

/// The 主体类型 rules of [`domain::registration`], from `row`.
fn write_registration_rules(
    sheet: &mut Worksheet,
    mut row: u32,
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(
        row,
        0,
        "主体类型归类规则（按顺序，先符合者为准；比较前全角转半角并去掉空格和“、”）",
        bold,
    )?;
    row += 1;
    for (column, header) in (0u16..).zip(["顺序", "归入", "主体类型"]) {
        sheet.write_string_with_format(row, column, header, bold)?;
    }
    let mut lines = vec![(
        "",
        "企业、个体工商户、农民专业合作社、其他 及其别名（公司、个体、个体户、合作社、农民专业合作社联合社）：按所写".to_owned(),
    )];
    lines.extend(
        RULES
            .iter()
            .map(|(class, keywords)| (class.as_str(), format!("含有 {}", keywords.join("、")))),
    );
    lines.push((
        "其他",
        "以上都不符合：归入“其他”，导入时给出警告".to_owned(),
    ));
    for (number, (class, text)) in (1u32..).zip(lines) {
        row += 1;
        sheet.write_number(row, 0, f64::from(number))?;
        sheet.write_string(row, 1, class)?;
        sheet.write_string(row, 2, text)?;
    }
    Ok(())
}

/// Why the templates were not written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The folder is a file (or another non-folder).
    #[error("{path} is not a folder")]
    NotAFolder {
        /// The path given.
        path: String,
    },
    /// Creating the folder or writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The folder or file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Building a workbook failed.
    #[error("cannot build the template {name}: {source}")]
    Xlsx {
        /// The template's name.
        name: &'static str,
        /// The cause.
        source: XlsxError,
    },
}

impl TemplateError {
    /// Whether the folder given is at fault (exit 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, TemplateError::NotAFolder { .. })
    }
}

/// Writes every template into `dir` (created if missing), each file through a
/// temporary file and a rename; refuses a `dir` that exists and is not a folder.
/// Returns the files written, in [`Template::all`] order.
pub fn write_templates(dir: &Path) -> Result<Vec<PathBuf>, TemplateError> {
    if dir.exists() && !dir.is_dir() {
        return Err(TemplateError::NotAFolder {
            path: dir.display().to_string(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| TemplateError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    Template::all()
        .into_iter()
        .map(|template| {
            let bytes = template.workbook().map_err(|source| TemplateError::Xlsx {
                name: template.name(),
                source,
            })?;
            let path = dir.join(template.file_name());
            write_atomically(&path, &bytes).map_err(|source| TemplateError::Io {
                path: path.display().to_string(),
                source,
            })?;
            Ok(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::map_headers;
    use crate::table::read_table;
    use calamine::Reader as _;
    use domain::credit::Subject;
    use domain::hotline::HotlineRules;
    use domain::uscc::Uscc;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn temp_dir(name: &str) -> Result<PathBuf, std::io::Error> {
        let dir =
            std::env::temp_dir().join(format!("jianguan-templates-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Runs `test` on a fresh folder of templates, removed afterwards.
    fn with_templates(
        name: &str,
        test: impl FnOnce(&Path, &[PathBuf]) -> TestResult,
    ) -> TestResult {
        let dir = temp_dir(name)?;
        let written = write_templates(&dir)?;
        let result = test(&dir, &written);
        std::fs::remove_dir_all(&dir)?;
        result
    }

    #[test]
    fn every_column_has_a_note_in_column_order() {
        for template in Template::all() {
            let keys: Vec<&str> = template.columns().iter().map(|c| c.key).collect();
            let noted: Vec<&str> = template.notes().iter().map(|n| n.key).collect();
            assert_eq!(noted, keys, "{}", template.name());
            assert!(
                template.notes().iter().all(|n| !n.accepted.is_empty()),
                "{}",
                template.name()
            );
        }
        let names: std::collections::HashSet<&str> =
            Template::all().into_iter().map(Template::name).collect();
        assert_eq!(names.len(), Kind::ALL.len() + 4, "names are distinct");
    }

    #[test]
    fn the_example_codes_are_valid() -> TestResult {
        Uscc::parse(EXAMPLE_USCC)?;
        Subject::parse_for_import(EXAMPLE_USCC, true)?;
        Ok(())
    }

    /// Each template's first sheet maps onto its reader's columns with nothing
    /// missing, and the example is the one data row.
    #[test]
    fn each_template_reads_back_with_its_headers_and_example() -> TestResult {
        with_templates("headers", |dir, written| {
            assert_eq!(written.len(), Template::all().len());
            for (template, path) in Template::all().into_iter().zip(written) {
                assert_eq!(path, &dir.join(template.file_name()));
                let table = read_table(path)?;
                let mapping = map_headers(template.columns(), &table.headers)?;
                assert!(
                    mapping.positions.iter().all(Option::is_some),
                    "{}",
                    template.name()
                );
                assert!(table.headers.iter().any(|h| h.starts_with('*')));
                let rows: Vec<&Vec<String>> = table.rows.iter().map(|(_, cells)| cells).collect();
                assert_eq!(
                    rows,
                    vec![
                        &template
                            .example()
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                    ]
                );
            }
            Ok(())
        })
    }

    /// The readers that need no database accept the example row.
    #[test]
    fn examples_pass_the_readers() -> TestResult {
        with_templates("readers", |dir, _| {
            let path = |t: Template| dir.join(t.file_name());
            let matters = credit::read_matters(&path(Template::CreditMatters))?;
            assert_eq!(
                (matters.matters.len(), matters.outcome.errors.len()),
                (1, 0)
            );
            let applicants = credit::read_applicants(&path(Template::CreditApplicants))?;
            assert_eq!(applicants.len(), 1);
            assert_eq!(applicants[0].id, EXAMPLE_USCC);
            let orders = hotline::read_orders(
                &path(Template::HotlineOrders),
                &HotlineRules::default(),
                true,
            )?;
            assert_eq!(
                (
                    orders.rows.len(),
                    orders.outcome.errors.len(),
                    orders.outcome.warnings.len()
                ),
                (1, 0, 0),
                "{:?}",
                orders.outcome.errors
            );
            Ok(())
        })
    }

    /// The 说明 sheet has a row for every column (header, required, key), and
    /// the entities' one the 主体类型 rules.
    #[test]
    fn the_notes_sheet_lists_every_column() -> TestResult {
        with_templates("notes", |dir, _| {
            for template in Template::all() {
                let mut book = calamine::open_workbook_auto(dir.join(template.file_name()))?;
                assert_eq!(book.sheet_names(), vec![template.title(), NOTES_SHEET]);
                let range = book.worksheet_range(NOTES_SHEET)?;
                let rows: Vec<Vec<String>> = range
                    .rows()
                    .map(|r| r.iter().map(|c| c.to_string()).collect())
                    .collect();
                assert_eq!(rows[0], NOTES_HEADERS);
                for (c, row) in template.columns().iter().zip(&rows[1..]) {
                    let required = if c.required { "是" } else { "否" };
                    assert_eq!(
                        row[..3],
                        [c.zh[0].to_owned(), required.to_owned(), c.key.to_owned()]
                    );
                    assert!(!row[4].is_empty(), "{}: {}", template.name(), c.key);
                }
                let text = rows.concat().join("\n");
                assert!(text.contains(&template.command()));
                let rules = RULES
                    .iter()
                    .all(|(_, keywords)| keywords.iter().all(|k| text.contains(k)));
                assert_eq!(
                    rules,
                    template == Template::Directory(Kind::Entities),
                    "{}",
                    template.name()
                );
            }
            Ok(())
        })
    }

    #[test]
    fn a_file_is_not_a_folder() -> TestResult {
        let dir = temp_dir("file")?;
        let file = dir.join("plain");
        std::fs::write(&file, "x")?;
        let error = write_templates(&file).err().ok_or("a file was taken")?;
        assert!(error.is_bad_input(), "{error}");
        assert_eq!(std::fs::read(&file)?, b"x");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
