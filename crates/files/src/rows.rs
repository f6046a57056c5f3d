//! Turning a row of text cells into a validated record, and reasons in two languages.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::columns::{Column, Mapping};
use super::{Kind, Problem};
use domain::entity::{CreditClass, CreditRating, EntityFields, EntityStatus, MarketEntity};
use domain::field::InvalidField;
use domain::idcard::IdCardNo;
use domain::industry::IndustryCode;
use domain::inspector::{
    CertificateNo, CertificateStatus, Inspector, InspectorFields, OfficerRegister, Recusal,
};
use domain::item::{
    CheckMethod, Frequency, InspectionItem, ItemCode, ItemFields, JointItem, JointItemFields,
    RatioBp,
};
use domain::org::{
    Department, DepartmentCode, DepartmentFields, DepartmentLevel, DistrictCode, check_organ_uscc,
};
use domain::registration::RegistrationType;
use domain::uscc::Uscc;
use storage::{Store, StoreError, UpsertCount};

/// A validated record of any directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A department.
    Department(Department),
    /// A market entity.
    Entity(MarketEntity),
    /// An inspector.
    Inspector(Inspector),
    /// A recusal.
    Recusal(Recusal),
    /// A random-inspection item.
    Item(InspectionItem),
    /// A joint-list item.
    JointItem(JointItem),
}

impl Record {
    /// The natural key (duplicates within a file are detected by it).
    pub fn key(&self) -> String {
        match self {
            Record::Department(d) => d.code().as_str().to_owned(),
            Record::Entity(e) => e.uscc.as_str().to_owned(),
            Record::Inspector(i) => i.cert_no.as_str().to_owned(),
            Record::Recusal(r) => format!("{}/{}", r.inspector(), r.entity()),
            Record::Item(i) => i.code.as_str().to_owned(),
            Record::JointItem(i) => i.code.as_str().to_owned(),
        }
    }
}

/// Name-or-code lookups of districts and departments, loaded once per import.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    districts: HashMap<String, DistrictCode>,
    departments: HashMap<String, DepartmentCode>,
    /// Codes of the inactive departments: rows naming them are refused.
    inactive: HashSet<DepartmentCode>,
    strict_uscc: bool,
}

impl Resolver {
    /// Loads the districts and departments of `store`.
    pub async fn load<S: Store>(store: &S, strict_uscc: bool) -> Result<Self, StoreError> {
        let mut resolver = Resolver {
            strict_uscc,
            ..Resolver::default()
        };
        for district in store.districts().await? {
            let code = district.code().clone();
            resolver
                .districts
                .insert(district.name().to_owned(), code.clone());
            resolver.districts.insert(code.as_str().to_owned(), code);
        }
        // The city level (市直) is also written as the city's name or 市本级.
        if let Some(city) = store.city().await?
            && let Ok(code) = DistrictCode::parse(&city.code)
        {
            for alias in [city.name.as_str(), "市本级", "本级"] {
                resolver
                    .districts
                    .entry(alias.to_owned())
                    .or_insert_with(|| code.clone());
            }
        }
        for department in store.departments().await? {
            let code = department.code().clone();
            if !department.is_active() {
                resolver.inactive.insert(code.clone());
            }
            if let Some(short_name) = department.short_name() {
                resolver
                    .departments
                    .entry(short_name.to_owned())
                    .or_insert_with(|| code.clone());
            }
            resolver
                .departments
                .insert(department.name().to_owned(), code.clone());
            resolver
                .departments
                .insert(code.as_str().to_ascii_uppercase(), code);
        }
        Ok(resolver)
    }

    fn district(&self, text: &str) -> Result<DistrictCode, (String, String)> {
        let key = text.trim();
        if let Some(code) = self.districts.get(key) {
            return Ok(code.clone());
        }
        // A name with its province or city in front (湖北省黄石市大冶市): the one
        // district whose name ends the text.
        let mut found = self
            .districts
            .iter()
            .filter(|(name, _)| name.chars().count() >= 2 && key.ends_with(name.as_str()));
        if let (Some((_, code)), None) = (found.next(), found.next()) {
            return Ok(code.clone());
        }
        Err((
            "not a known district (give its name or code)".to_owned(),
            "不是已登记的区域（请填写区域名称或代码）".to_owned(),
        ))
    }

    fn department(&self, text: &str) -> Result<DepartmentCode, (String, String)> {
        let key = text.trim();
        let code = self
            .departments
            .get(key)
            .or_else(|| self.departments.get(&key.to_ascii_uppercase()))
            .cloned()
            .ok_or_else(|| {
                (
                    "not a known department (give its name or code; import departments first)"
                        .to_owned(),
                    "不是已登记的部门（请填写部门名称或代码）".to_owned(),
                )
            })?;
        if self.inactive.contains(&code) {
            return Err((
                format!("department {code} is deactivated; reactivate it or name another"),
                format!("部门 {code} 已停用，请先启用或填写其他部门"),
            ));
        }
        Ok(code)
    }
}

/// The result of parsing one row.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The record, when the row is valid.
    pub record: Option<Record>,
    /// Why the row is rejected.
    pub errors: Vec<Problem>,
    /// Warnings about an accepted row.
    pub warnings: Vec<Problem>,
}

/// One row's cells, by column key, with the problems found so far.
struct RowReader<'a> {
    columns: &'static [Column],
    mapping: &'a Mapping,
    cells: &'a [String],
    row: usize,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl<'a> RowReader<'a> {
    fn index(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    fn header(&self, key: &str) -> String {
        let Some(index) = self.index(key) else {
            return key.to_owned();
        };
        match self.mapping.positions.get(index).copied().flatten() {
            Some(position) => self
                .mapping
                .headers
                .get(position)
                .map(|h| h.trim().to_owned())
                .unwrap_or_default(),
            None => self.columns[index].zh[0].to_owned(),
        }
    }

    /// The trimmed cell of column `key` (empty when the column is absent).
    fn cell(&self, key: &str) -> &'a str {
        self.index(key)
            .and_then(|i| self.mapping.positions.get(i).copied().flatten())
            .and_then(|p| self.cells.get(p))
            .map(|c| c.trim())
            .unwrap_or("")
    }

    fn problem(&self, key: &str, value: &str, reason: String, reason_zh: String) -> Problem {
        Problem {
            row: self.row,
            column: self.header(key),
            value: value.to_owned(),
            reason,
            reason_zh,
        }
    }

    fn fail(&mut self, key: &str, value: &str, reason: String, reason_zh: String) {
        let problem = self.problem(key, value, reason, reason_zh);
        self.errors.push(problem);
    }

    fn warn(&mut self, key: &str, value: &str, reason: String, reason_zh: &str) {
        let problem = self.problem(key, value, reason, reason_zh.to_owned());
        self.warnings.push(problem);
    }

    fn required(&mut self, key: &str) -> Option<&'a str> {
        let value = self.cell(key);
        if value.is_empty() {
            self.fail(key, "", "required, but empty".into(), "必填项为空".into());
            None
        } else {
            Some(value)
        }
    }

    /// Parses a required cell with `parse`, recording its error.
    fn parse<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, (String, String)>,
    ) -> Option<T> {
        let value = self.required(key)?;
        self.parse_value(key, value, parse)
    }

    /// Parses an optional cell (`None` when empty).
    fn optional<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, (String, String)>,
    ) -> Result<Option<T>, ()> {
        let value = self.cell(key);
        if value.is_empty() {
            return Ok(None);
        }
        self.parse_value(key, value, parse).map(Some).ok_or(())
    }

    fn parse_value<T>(
        &mut self,
        key: &str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, (String, String)>,
    ) -> Option<T> {
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err((reason, reason_zh)) => {
                self.fail(key, value, reason, reason_zh);
                None
            }
        }
    }

    fn uscc(&mut self, key: &str, strict: bool) -> Option<Uscc> {
        let value = self.required(key)?;
        match Uscc::parse_for_import(value, strict) {
            Ok((code, warning)) => {
                if let Some(warning) = warning {
                    self.warn(key, value, warning.to_string(), PILOT_WARNING_ZH);
                }
                Some(code)
            }
            Err(error) => {
                self.fail(key, value, error.to_string(), error.reason_zh());
                None
            }
        }
    }

    /// The 主体类型 of column `key`: any licence text is accepted; one that no rule
    /// classifies is 其他, with a warning.
    fn registration_type(&mut self, key: &str) -> Option<RegistrationType> {
        let value = self.required(key)?;
        match RegistrationType::parse(value) {
            Ok(parsed) => {
                if !parsed.is_recognised() {
                    self.warn(
                        key,
                        value,
                        UNKNOWN_TYPE_WARNING.into(),
                        UNKNOWN_TYPE_WARNING_ZH,
                    );
                }
                Some(parsed)
            }
            Err(error) => {
                self.invalid(error, &[("entity_type", key)]);
                None
            }
        }
    }

    /// The validated record, or `None` with its error recorded against the column it names.
    fn accept<T>(&mut self, validated: Result<T, InvalidField>) -> Option<T> {
        validated.map_err(|error| self.invalid(error, &[])).ok()
    }

    /// Records a domain validation error against the column it names.
    fn invalid(&mut self, error: InvalidField, field_to_key: &[(&str, &str)]) {
        let key = field_to_key
            .iter()
            .find(|(field, _)| *field == error.field)
            .map(|(_, key)| *key)
            .unwrap_or(error.field);
        let reason_zh = field_zh(&error);
        self.fail(key, &error.value, error.reason.to_string(), reason_zh);
    }
}

/// The warning of a 主体类型 that no rule classifies.
pub(crate) const UNKNOWN_TYPE_WARNING: &str =
    "not a known registration type: kept as written and classed as 其他";
/// [`UNKNOWN_TYPE_WARNING`] in Chinese.
pub(crate) const UNKNOWN_TYPE_WARNING_ZH: &str = "主体类型未能识别，按原文保存并归入“其他”，请核实";

/// The warning of a pilot-pattern code accepted by an import.
pub(crate) const PILOT_WARNING_ZH: &str =
    "统一社会信用代码校验位不符，按试点期代码接受，请向登记机关核实";

fn field_zh(error: &InvalidField) -> String {
    let what = match error.field {
        "name" => "名称",
        "short_name" => "简称",
        "entity_type" => "主体类型",
        "address" => "住所/经营场所",
        "legal_representative" => "法定代表人",
        "special_pools" => "专项库",
        "tags" => "标签",
        "registered_on" => "成立日期",
        "credit_class_on" => "分类日期",
        "cert_valid_until" => "证件有效期",
        "issuer" => "发证机关",
        "fields" => "执法领域",
        "reason" => "回避原因",
        "category" => "抽查类别",
        "legal_basis" => "检查依据",
        "target_type" => "检查对象",
        "methods" => "检查方式",
        "field" => "抽查领域",
        "cooperating" => "配合部门",
        other => domain::field::field_label(other),
    };
    let why = error.reason_zh.as_deref().unwrap_or("取值无效");
    format!("{what}{why}")
}

fn invalid_pair(error: InvalidField, zh: &str) -> (String, String) {
    (error.reason.to_string(), zh.to_owned())
}

/// Excel serial day numbers of 1950-01-01 and 2100-01-01.
const SERIAL_1950: f64 = 18_264.0;
const SERIAL_2100: f64 = 73_051.0;

/// Parses a date: `2020-01-02`, `2020/1/2`, `2020.1.2`, `20200102`,
/// `2020年1月2日`, a time after the date, or an Excel serial day number
/// (1950–2099). The year comes first, in four digits; other orders are refused.
pub fn parse_date(text: &str) -> Result<NaiveDate, (String, String)> {
    let bad = || {
        (
            "not a date (write YYYY-MM-DD)".to_owned(),
            "日期格式无法识别（应为 YYYY-MM-DD）".to_owned(),
        )
    };
    let text = text.trim();
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    let normalized: String = date_part
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            '日' => ' ',
            other => other,
        })
        .collect();
    let normalized = normalized.trim();
    // The year first, in four digits: `20-01-23` or `23-01-2020` is not guessed at.
    if let Some((year, _)) = normalized.split_once('-') {
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        return NaiveDate::parse_from_str(normalized, "%Y-%m-%d").map_err(|_| bad());
    }
    if normalized.len() == 8 && normalized.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(normalized, "%Y%m%d").map_err(|_| bad());
    }
    // An Excel serial day number (a date cell exported as a number), 1950 to
    // 2099 only: a bare year such as `2020` is not a serial.
    if let Ok(serial) = normalized.parse::<f64>()
        && (SERIAL_1950..SERIAL_2100).contains(&serial)
        && let Some(date) = super::table::excel_serial_date(serial)
    {
        return Ok(date);
    }
    Err(bad())
}

/// Splits a list cell on `、` `，` `,` `；` `;` `|` and line breaks.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(['、', '，', ',', '；', ';', '|', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The separator exports write between list items.
pub const LIST_SEPARATOR: &str = "、";

/// Parses one row of `kind`.
pub fn parse_row(
    kind: Kind,
    mapping: &Mapping,
    resolver: &Resolver,
    row: usize,
    cells: &[String],
) -> Parsed {
    let mut reader = RowReader {
        columns: kind.columns(),
        mapping,
        cells,
        row,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    // Cells beyond the header row: a shifted row (an unquoted comma?) is rejected, not guessed at.
    if let Some(extra) = cells
        .iter()
        .skip(mapping.headers.len())
        .find(|c| !c.trim().is_empty())
    {
        reader.errors.push(Problem {
            row,
            column: String::new(),
            value: extra.trim().to_owned(),
            reason: format!(
                "the row has more cells ({}) than the header row ({}); an unquoted comma?",
                cells.len(),
                mapping.headers.len()
            ),
            reason_zh: format!(
                "该行单元格数（{}）多于表头列数（{}），请检查是否有未加引号的逗号",
                cells.len(),
                mapping.headers.len()
            ),
        });
    }
    let record = match kind {
        Kind::Departments => department(&mut reader, resolver).map(Record::Department),
        Kind::Entities => entity(&mut reader, resolver).map(Record::Entity),
        Kind::Inspectors => inspector(&mut reader, resolver).map(Record::Inspector),
        Kind::Recusals => recusal(&mut reader, resolver).map(Record::Recusal),
        Kind::Items => item(&mut reader, resolver).map(Record::Item),
        Kind::JointItems => joint_item(&mut reader, resolver).map(Record::JointItem),
    };
    // A rejected row carries no warnings: it is reported once, as rejected.
    if reader.errors.is_empty() {
        Parsed {
            record,
            errors: Vec::new(),
            warnings: reader.warnings,
        }
    } else {
        Parsed {
            record: None,
            errors: reader.errors,
            warnings: Vec::new(),
        }
    }
}

fn department(r: &mut RowReader<'_>, resolver: &Resolver) -> Option<Department> {
    let code = r.parse("code", |v| {
        DepartmentCode::parse_as("code", v)
            .map_err(|e| invalid_pair(e, "部门编码应为1至32位字母、数字或 - _ ."))
    });
    let name = r.required("name");
    let level = r.parse("level", |v| {
        DepartmentLevel::parse(v).map_err(|e| invalid_pair(e, "层级应为 市级 或 区县级"))
    });
    let district = r.parse("district", |v| resolver.district(v));
    let uscc = r.optional("uscc", |v| {
        let code = Uscc::parse(v).map_err(|e| (e.to_string(), e.reason_zh()))?;
        check_organ_uscc(&code)
            .map_err(|e| invalid_pair(e, "部门的统一社会信用代码应为机关代码（以 11 开头）"))?;
        Ok(code)
    });
    let short_name = r.cell("short_name");
    let fields = DepartmentFields {
        code: code?,
        name: name?.to_owned(),
        level: level?,
        district: Some(district?),
        uscc: uscc.ok()?,
        short_name: Some(short_name.to_owned()),
        active: true,
    };
    r.accept(Department::new(fields))
}

fn entity(r: &mut RowReader<'_>, resolver: &Resolver) -> Option<MarketEntity> {
    let uscc = r.uscc("uscc", resolver.strict_uscc);
    let name = r.required("name");
    let entity_type = r.registration_type("type");
    let district = r.parse("district", |v| resolver.district(v));
    let industry = r.optional("industry", |v| {
        IndustryCode::parse(v)
            .map_err(|e| invalid_pair(e, "不是有效的国民经济行业代码（GB/T 4754-2017）"))
    });
    let registered_on = r.parse("registered_on", parse_date);
    let status = r.parse("status", |v| {
        EntityStatus::parse(v).map_err(|e| invalid_pair(e, "登记状态应为 存续、注销、吊销 或 迁出"))
    });
    let class = r.optional("risk_class", |v| {
        CreditClass::parse(v).map_err(|e| invalid_pair(e, "信用风险分类应为 A、B、C 或 D"))
    });
    let class_on = r.optional("risk_class_on", parse_date);
    let address = r.cell("address");
    let legal_rep = r.cell("legal_rep");
    let pools = split_list(r.cell("pools"));
    let tags = split_list(r.cell("tags"));
    let (uscc, name, entity_type, district, industry, registered_on, status, class, class_on) = (
        uscc?,
        name?,
        entity_type?,
        district?,
        industry.ok()?,
        registered_on?,
        status?,
        class.ok()?,
        class_on.ok()?,
    );
    let credit = match (class, class_on) {
        (Some(class), Some(set_on)) => Some(CreditRating { class, set_on }),
        // No date given: the class is taken as set on registration at the earliest, today otherwise.
        (Some(class), None) => Some(CreditRating {
            class,
            set_on: domain::clock::today().max(registered_on),
        }),
        (None, Some(_)) => {
            r.fail(
                "risk_class_on",
                "",
                "a classification date needs a credit-risk class".into(),
                "填写了分类日期但未填写信用风险分类".into(),
            );
            return None;
        }
        (None, None) => None,
    };
    let fields = EntityFields {
        uscc,
        name: name.to_owned(),
        entity_type,
        district,
        industry,
        registered_on,
        status,
        address: Some(address.to_owned()),
        legal_representative: Some(legal_rep.to_owned()),
        special_pools: pools,
        tags,
        credit,
    };
    match MarketEntity::new(fields) {
        Ok(entity) => Some(entity),
        Err(error) => {
            r.invalid(
                error,
                &[
                    ("legal_representative", "legal_rep"),
                    ("special_pools", "pools"),
                    ("credit_class_on", "risk_class_on"),
                ],
            );
            None
        }
    }
}

fn inspector(r: &mut RowReader<'_>, resolver: &Resolver) -> Option<Inspector> {
    let cert_no = r.parse("cert_no", |v| {
        CertificateNo::parse(v)
            .map_err(|e| invalid_pair(e, "执法证号应为1至32位字母、数字或 - _ ."))
    });
    let name = r.required("name");
    let department = r.parse("department", |v| resolver.department(v));
    let id_card = r.optional("id_card", |v| {
        IdCardNo::parse(v).map_err(|e| (e.to_string(), "不是有效的居民身份证号码".to_owned()))
    });
    let from = r.parse("cert_valid_from", parse_date);
    let until = r.parse("cert_valid_until", parse_date);
    let fields = split_list(r.cell("fields"));
    let district = r.optional("district", |v| resolver.district(v));
    let status = r.optional("cert_status", |v| {
        CertificateStatus::parse(v).map_err(|e| invalid_pair(e, "证件状态应为 有效、暂扣 或 注销"))
    });
    let issuer = r.cell("issuer");
    let exam_passed_on = r.optional("exam_passed_on", parse_date);
    let in_pool = r.optional("in_pool", |v| {
        domain::enforcement::parse_yes_no("in_pool", v)
            .map_err(|e| invalid_pair(e, "纳入抽查人员库应为 是 或 否"))
    });
    let register = OfficerRegister {
        status: status.ok()?.unwrap_or(CertificateStatus::Valid),
        issuer: (!issuer.is_empty()).then(|| issuer.to_owned()),
        exam_passed_on: exam_passed_on.ok()?,
        in_pool: in_pool.ok()?.flatten().unwrap_or(true),
    };
    let fields = InspectorFields {
        cert_no: cert_no?,
        name: name?.to_owned(),
        id_card: id_card.ok()?,
        department: department?,
        cert_valid_from: from?,
        cert_valid_until: until?,
        fields,
        district: district.ok()?,
        register,
    };
    r.accept(Inspector::new(fields))
}

fn recusal(r: &mut RowReader<'_>, _resolver: &Resolver) -> Option<Recusal> {
    let cert_no = r.parse("cert_no", |v| {
        CertificateNo::parse(v)
            .map_err(|e| invalid_pair(e, "执法证号应为1至32位字母、数字或 - _ ."))
    });
    // The entity must exist already, so its code is read leniently without a new warning.
    let uscc = r.parse("uscc", |v| {
        Uscc::parse_lenient(v)
            .map(|(code, _)| code)
            .map_err(|e| (e.to_string(), e.reason_zh()))
    });
    let reason = r.required("reason");
    r.accept(Recusal::new(cert_no?, uscc?, reason?))
}

/// The columns the item list and the joint list share, each parsed (`None`
/// when the cell was rejected).
struct ItemParts<'a> {
    code: Option<ItemCode>,
    name: Option<&'a str>,
    legal_basis: Option<&'a str>,
    target_type: Option<&'a str>,
    methods: Option<Vec<CheckMethod>>,
    ratio: Option<RatioBp>,
    frequency: Option<Frequency>,
}

impl<'a> RowReader<'a> {
    fn item_parts(&mut self) -> ItemParts<'a> {
        ItemParts {
            code: self.parse("code", |v| {
                ItemCode::parse(v).map_err(|e| invalid_pair(e, "事项编码格式无效"))
            }),
            name: self.required("name"),
            legal_basis: self.required("legal_basis"),
            target_type: self.required("target_type"),
            methods: self.parse("methods", |v| {
                CheckMethod::parse_list(v).map_err(|e| {
                    invalid_pair(e, "检查方式应为 实地检查、书面检查、网络监测、检验检测、委托专业机构、采用部门意见 中的一项或多项")
                })
            }),
            ratio: self.parse("ratio", |v| {
                RatioBp::parse(v).map_err(|e| invalid_pair(e, "抽查比例应为 0.01% 至 100%"))
            }),
            frequency: self.parse("frequency", |v| {
                Frequency::parse(v).map_err(|e| invalid_pair(e, "抽查频次格式无效（如 每年1次）"))
            }),
        }
    }
}

fn item(r: &mut RowReader<'_>, resolver: &Resolver) -> Option<InspectionItem> {
    let parts = r.item_parts();
    let category = r.required("category");
    let department = r.parse("department", |v| resolver.department(v));
    let fields = ItemFields {
        code: parts.code?,
        category: category?.to_owned(),
        name: parts.name?.to_owned(),
        legal_basis: parts.legal_basis?.to_owned(),
        department: department?,
        target_type: parts.target_type?.to_owned(),
        methods: parts.methods?,
        ratio: parts.ratio?,
        frequency: parts.frequency?,
    };
    r.accept(InspectionItem::new(fields))
}

fn joint_item(r: &mut RowReader<'_>, resolver: &Resolver) -> Option<JointItem> {
    let parts = r.item_parts();
    let field = r.required("field");
    let lead = r.parse("lead", |v| resolver.department(v));
    // 配合部门: one or more departments, each by name or code.
    let cooperating = r.parse("cooperating", |v| {
        split_list(v)
            .iter()
            .map(|part| {
                resolver.department(part).map_err(|(reason, reason_zh)| {
                    (
                        format!("{part:?}: {reason}"),
                        format!("“{part}”{reason_zh}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
    });
    let fields = JointItemFields {
        code: parts.code?,
        field: field?.to_owned(),
        name: parts.name?.to_owned(),
        legal_basis: parts.legal_basis?.to_owned(),
        lead: lead?,
        cooperating: cooperating?,
        target_type: parts.target_type?.to_owned(),
        methods: parts.methods?,
        ratio: parts.ratio?,
        frequency: parts.frequency?,
    };
    r.accept(JointItem::new(fields))
}

/// Upserts owned records of one kind in one store call (one transaction), and
/// gives them back (for a row-by-row retry). Entities, the large directory,
/// are moved into the store's list rather than copied.
pub async fn upsert_owned<S: Store>(
    store: &S,
    kind: Kind,
    records: Vec<Record>,
) -> (Result<UpsertCount, StoreError>, Vec<Record>) {
    if kind != Kind::Entities || !records.iter().all(|r| matches!(r, Record::Entity(_))) {
        let refs: Vec<&Record> = records.iter().collect();
        let result = upsert(store, kind, &refs).await;
        return (result, records);
    }
    let list: Vec<MarketEntity> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Entity(e) => Some(e),
            _ => None,
        })
        .collect();
    let result = store.upsert_entities(&list).await;
    (result, list.into_iter().map(Record::Entity).collect())
}

/// The records of `records` that `pick` selects, cloned.
fn picked<T: Clone>(records: &[&Record], pick: impl Fn(&Record) -> Option<&T>) -> Vec<T> {
    records.iter().filter_map(|r| pick(r)).cloned().collect()
}

/// Upserts records of one kind in one store call (one transaction).
pub async fn upsert<S: Store>(
    store: &S,
    kind: Kind,
    records: &[&Record],
) -> Result<UpsertCount, StoreError> {
    match kind {
        Kind::Departments => {
            let list = picked(records, |r| match r {
                Record::Department(d) => Some(d),
                _ => None,
            });
            store.upsert_departments(&list).await
        }
        Kind::Entities => {
            let list = picked(records, |r| match r {
                Record::Entity(e) => Some(e),
                _ => None,
            });
            store.upsert_entities(&list).await
        }
        Kind::Inspectors => {
            let list = picked(records, |r| match r {
                Record::Inspector(i) => Some(i),
                _ => None,
            });
            store.upsert_inspectors(&list).await
        }
        Kind::Recusals => {
            let list = picked(records, |r| match r {
                Record::Recusal(x) => Some(x),
                _ => None,
            });
            store.upsert_recusals(&list).await
        }
        Kind::Items => {
            let list = picked(records, |r| match r {
                Record::Item(x) => Some(x),
                _ => None,
            });
            store.upsert_items(&list).await
        }
        Kind::JointItems => {
            let list = picked(records, |r| match r {
                Record::JointItem(x) => Some(x),
                _ => None,
            });
            store.upsert_joint_items(&list).await
        }
    }
}

/// The problem for a row the database rejected.
pub fn store_problem(
    kind: Kind,
    mapping: &Mapping,
    row: usize,
    record: &Record,
    error: &StoreError,
) -> Problem {
    let columns = kind.columns();
    let (key, value, reason_zh) = match error {
        StoreError::MissingReference {
            field,
            value,
            directory,
            ..
        } => {
            let key = match (*field, kind) {
                ("inspector" | "cert_no", _) => "cert_no",
                ("entity" | "uscc", _) => "uscc",
                ("legal_representative", _) => "legal_rep",
                (other, _) => other,
            };
            (
                key,
                value.clone(),
                format!("在{}目录中不存在", directory_zh(directory)),
            )
        }
        StoreError::Duplicate {
            what: "department name",
            value,
        } => ("name", value.clone(), "部门名称已被其他部门使用".to_owned()),
        StoreError::Duplicate { value, .. } => ("", value.clone(), "与已有记录重复".to_owned()),
        _ => ("", record.key(), "数据库拒绝保存该行".to_owned()),
    };
    let column = columns
        .iter()
        .position(|c| c.key == key)
        .and_then(|i| mapping.positions.get(i).copied().flatten())
        .and_then(|p| mapping.headers.get(p))
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    Problem {
        row,
        column,
        value,
        reason: error.to_string(),
        reason_zh,
    }
}

fn directory_zh(directory: &str) -> &'static str {
    match directory {
        "entities" => "检查对象名录库",
        "inspectors" => "执法检查人员名录库",
        "districts" => "区域",
        "departments" => "部门",
        "industries" => "行业",
        _ => "关联",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_usual_forms() {
        let expected = NaiveDate::from_ymd_opt(2020, 1, 2);
        for text in [
            "2020-01-02",
            "2020/1/2",
            "2020.1.2",
            "20200102",
            "2020年1月2日",
            "2020-01-02 00:00:00",
            "43832",
        ] {
            assert_eq!(parse_date(text).ok(), expected, "{text}");
        }
        for text in ["2020-13-01", "明天", "", "2020-02-30", "-5"] {
            assert!(parse_date(text).is_err(), "{text}");
        }
    }

    /// Dates as text in 20 forms: each is read as 2020-01-23 or refused, never
    /// read as another date.
    #[test]
    fn dates_as_text_in_twenty_forms_are_right_or_refused() {
        let expected = NaiveDate::from_ymd_opt(2020, 1, 23);
        let read = [
            "2020-01-23",
            "2020/01/23",
            "2020.01.23",
            "20200123",
            "2020年1月23日",
            "2020年01月23日",
            "2020-1-23",
            "2020-01-23 08:30:00",
            "2020-01-23T08:30:00+08:00",
            "2020/1/23 8:30",
            "43853",
            " 2020-01-23 ",
        ];
        for text in read {
            assert_eq!(parse_date(text).ok(), expected, "{text}");
        }
        let refused = [
            "23/01/2020",
            "01/23/2020",
            "23.01.2020",
            "20-01-23",
            "20/1/23",
            "Jan 23, 2020",
            "23-Jan-2020",
            "２０２０－０１－２３",
        ];
        for text in refused {
            assert!(
                parse_date(text).is_err(),
                "{text} read as {:?}",
                parse_date(text)
            );
        }
        assert_eq!(read.len() + refused.len(), 20);
        assert!(parse_date("2020").is_err(), "a bare year is not a serial");
    }

    #[test]
    fn lists_split_on_chinese_and_ascii_separators() {
        assert_eq!(
            split_list(" 食品经营、重点监管；a,b | "),
            vec!["食品经营", "重点监管", "a", "b"]
        );
        assert!(split_list(" ").is_empty());
    }
}
