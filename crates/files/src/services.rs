//! Reading government-services files (CSV, XLSX or JSON Lines): the matter
//! catalogue (事项清单) and past applications (办件). Bad rows are reported by
//! row and column, in English and Chinese; the good rows are kept; a later row
//! with the same key replaces an earlier one, with a warning.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use super::columns::Column;
use super::credit::{Cells, collect, keep_last};
use super::{ImportError, Outcome, Problem};
use domain::credit::Subject;
use domain::hotline::parse_time;
use domain::services::{
    Channel, Decision, Handling, Matter, MatterKind, Review, RiskLevel, parse_proofs, split_list,
};

const fn col(key: &'static str, zh: &'static [&'static str], required: bool) -> Column {
    Column { key, zh, required }
}

/// The columns of a matter catalogue; a `*` marks the required ones.
pub const MATTER_CATALOGUE_COLUMNS: &[Column] = &[
    col("code", &["事项编码"], true),
    col("name", &["事项名称"], true),
    col("department", &["实施部门"], true),
    col("kind", &["事项类型"], false),
    col("handling", &["办件类型"], true),
    col("legal_days", &["法定时限", "法定时限(工作日)"], false),
    col("promised_days", &["承诺时限", "承诺时限(工作日)"], true),
    col("one_window", &["一窗通办"], false),
    col("one_licence", &["一证通办"], false),
    col("materials", &["申请材料"], false),
    col("proofs", &["证明事项"], false),
    col("licence_type", &["结果证照类型"], false),
    col("risk", &["风险等级"], false),
];

/// The columns of an applications file.
pub const APPLICATION_COLUMNS: &[Column] = &[
    col("id", &["办件编号"], true),
    col("matter", &["事项编码"], true),
    col("applicant_name", &["申请人名称"], true),
    col("applicant", &["申请人证件号码"], true),
    col("channel", &["受理渠道"], true),
    col("received_at", &["收件时间"], true),
    col("accepted_at", &["受理时间"], false),
    col("paused_days", &["暂停工作日"], false),
    col("closed_at", &["办结时间"], false),
    col("decision", &["办理结果"], false),
    col("review", &["评价"], false),
    col("reviewed_at", &["评价时间"], false),
    col("rectified_at", &["整改完成时间"], false),
];

/// A catalogue file read and validated.
#[derive(Debug, Default)]
pub struct CatalogueFile {
    /// Valid entries, one per 事项编码 (a later row replaces an earlier one).
    pub matters: Vec<(usize, Matter)>,
    /// Rows read, rejected rows' problems, warnings.
    pub outcome: Outcome,
}

fn days(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> Option<u32> {
    let text = view.get(key);
    if text.is_empty() {
        return None;
    }
    match text
        .trim_end_matches("个工作日")
        .trim_end_matches(['天', '日'])
        .trim()
        .parse::<u32>()
    {
        Ok(days) if days <= domain::services::MAX_TIME_LIMIT_DAYS => Some(days),
        _ => {
            errors.push(view.problem(
                row,
                key,
                "a whole number of working days (0 to 365)",
                "应为 0 至 365 的整数（工作日）",
            ));
            None
        }
    }
}

fn yes_no(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> bool {
    match view.get(key) {
        "" | "否" | "N" | "n" | "no" | "No" => false,
        "是" | "Y" | "y" | "yes" | "Yes" => true,
        _ => {
            errors.push(view.problem(row, key, "是 or 否", "应为 是 或 否"));
            false
        }
    }
}

fn choice<T>(
    view: &Cells<'_>,
    row: usize,
    key: &str,
    parse: impl Fn(&str) -> Result<T, domain::InvalidField>,
    zh: &str,
    errors: &mut Vec<Problem>,
) -> Option<T> {
    let text = view.get(key);
    if text.is_empty() {
        return None;
    }
    match parse(text) {
        Ok(value) => Some(value),
        Err(e) => {
            errors.push(view.problem(row, key, e.reason.to_string(), zh));
            None
        }
    }
}

fn required(view: &Cells<'_>, row: usize, key: &str, errors: &mut Vec<Problem>) -> String {
    let text = view.get(key);
    if text.is_empty() {
        errors.push(view.problem(row, key, "required", "必填"));
    }
    text.to_owned()
}

/// Reads and validates a matter catalogue.
pub fn read_catalogue(path: &Path) -> Result<CatalogueFile, ImportError> {
    let (mapping, collected) = collect(path, MATTER_CATALOGUE_COLUMNS)?;
    let mut file = CatalogueFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    let mut index_of: HashMap<String, (usize, usize)> = HashMap::new();
    for (row, cells) in &collected.rows {
        let row = *row;
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: MATTER_CATALOGUE_COLUMNS,
            mapping: &mapping,
            cells,
        };
        let mut errors = Vec::new();
        let code = required(&view, row, "code", &mut errors);
        let name = required(&view, row, "name", &mut errors);
        let department = required(&view, row, "department", &mut errors);
        let kind = choice(
            &view,
            row,
            "kind",
            MatterKind::parse,
            "事项类型应为 行政许可、行政确认、行政给付、公共服务 或 其他",
            &mut errors,
        );
        if view.get("handling").is_empty() {
            errors.push(view.problem(row, "handling", "required", "必填"));
        }
        let handling = choice(
            &view,
            row,
            "handling",
            Handling::parse,
            "办件类型应为 即办件 或 承诺件",
            &mut errors,
        );
        let legal_days = days(&view, row, "legal_days", &mut errors);
        if view.get("promised_days").is_empty() {
            errors.push(view.problem(row, "promised_days", "required", "必填"));
        }
        let promised_days = days(&view, row, "promised_days", &mut errors);
        let one_window = yes_no(&view, row, "one_window", &mut errors);
        let one_licence = yes_no(&view, row, "one_licence", &mut errors);
        let licence_type = Some(view.get("licence_type").to_owned()).filter(|s| !s.is_empty());
        let risk = choice(
            &view,
            row,
            "risk",
            RiskLevel::parse,
            "风险等级应为 高、中 或 低",
            &mut errors,
        )
        .unwrap_or_default();
        let (Some(handling), Some(promised_days), true) =
            (handling, promised_days, errors.is_empty())
        else {
            file.outcome.errors.extend(errors);
            continue;
        };
        let matter = Matter {
            code,
            name,
            department,
            kind,
            handling,
            legal_days,
            promised_days,
            one_window,
            one_licence,
            materials: split_list(view.get("materials")),
            proofs: parse_proofs(view.get("proofs")),
            licence_type,
            risk,
        };
        if let Err(e) = matter.validate() {
            file.outcome.errors.push(view.problem(
                row,
                e.field,
                e.to_string(),
                format!("{}（{}）", e.value, e.reason),
            ));
            continue;
        }
        let key = matter.code.clone();
        keep_last(
            &mut file.matters,
            &mut index_of,
            key,
            row,
            (row, matter),
            &mut file.outcome,
            |earlier| {
                view.problem(
                    row,
                    "code",
                    format!("duplicate of row {earlier}; row {row} replaces it"),
                    format!("与第 {earlier} 行事项编码重复，以第 {row} 行为准"),
                )
            },
        );
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

/// One valid application row. The applicant's number is confidential: its
/// `Debug` masks a person's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    /// Row number.
    pub row: usize,
    /// 办件编号.
    pub id: String,
    /// 事项编码.
    pub matter: String,
    /// The header of the matter column, for messages.
    pub matter_header: String,
    /// 申请人名称.
    pub applicant_name: String,
    /// 申请人证件号码, check digits verified.
    pub applicant: Subject,
    /// 受理渠道.
    pub channel: Channel,
    /// 收件时间.
    pub received_at: DateTime<FixedOffset>,
    /// 受理时间.
    pub accepted_at: Option<DateTime<FixedOffset>>,
    /// 暂停工作日.
    pub paused_days: u32,
    /// 办结时间.
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// 办理结果.
    pub decision: Option<Decision>,
    /// 评价.
    pub review: Option<Review>,
    /// 评价时间.
    pub reviewed_at: Option<DateTime<FixedOffset>>,
    /// 整改完成时间.
    pub rectified_at: Option<DateTime<FixedOffset>>,
}

impl ApplicationRow {
    /// SHA-256 of what the row says (not where it stands in the file).
    pub fn digest(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let time = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
        let text = [
            self.id.clone(),
            self.matter.clone(),
            self.applicant_name.clone(),
            self.applicant.as_str().to_owned(),
            self.channel.as_str().to_owned(),
            self.received_at.to_rfc3339(),
            time(self.accepted_at),
            self.paused_days.to_string(),
            time(self.closed_at),
            self.decision
                .map(|d| d.as_str())
                .unwrap_or_default()
                .to_owned(),
            self.review
                .map(|r| r.as_str())
                .unwrap_or_default()
                .to_owned(),
            time(self.reviewed_at),
            time(self.rectified_at),
        ]
        .join("\u{1f}");
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// An applications file read and validated.
#[derive(Debug, Default)]
pub struct ApplicationsFile {
    /// Valid rows, one per 办件编号 (a later row replaces an earlier one).
    pub rows: Vec<ApplicationRow>,
    /// Rows read, rejected rows' problems, warnings.
    pub outcome: Outcome,
}

/// Reads and validates an applications file. A 申请人证件号码 must be a valid
/// 统一社会信用代码 or 居民身份证号码 (check characters verified); problems
/// never quote a person's number, only its masked form.
pub fn read_applications(path: &Path) -> Result<ApplicationsFile, ImportError> {
    let (mapping, collected) = collect(path, APPLICATION_COLUMNS)?;
    let mut file = ApplicationsFile::default();
    file.outcome.empty_rows = collected.empty_rows;
    file.outcome.total_rows = collected.unreadable.len();
    file.outcome
        .errors
        .extend(collected.unreadable.iter().cloned());
    let mut index_of: HashMap<String, (usize, usize)> = HashMap::new();
    for (row, cells) in &collected.rows {
        let row = *row;
        file.outcome.total_rows += 1;
        let view = Cells {
            columns: APPLICATION_COLUMNS,
            mapping: &mapping,
            cells,
        };
        match application_row(&view, row) {
            Ok(application) => {
                let key = application.id.clone();
                keep_last(
                    &mut file.rows,
                    &mut index_of,
                    key,
                    row,
                    application,
                    &mut file.outcome,
                    |earlier| {
                        view.problem(
                            row,
                            "id",
                            format!("duplicate of row {earlier}; row {row} replaces it"),
                            format!("与第 {earlier} 行办件编号重复，以第 {row} 行为准"),
                        )
                    },
                );
            }
            Err(errors) => file.outcome.errors.extend(errors),
        }
    }
    file.outcome.errors.sort_by_key(|p| p.row);
    Ok(file)
}

fn application_row(view: &Cells<'_>, row: usize) -> Result<ApplicationRow, Vec<Problem>> {
    let mut errors = Vec::new();
    let id = required(view, row, "id", &mut errors);
    if !id.is_empty()
        && let Err(e) = domain::plan::check_id("id", &id)
    {
        errors.push(view.problem(
            row,
            "id",
            e.to_string(),
            "办件编号应为1至40位字母、数字或 - _ .",
        ));
    }
    let matter = required(view, row, "matter", &mut errors);
    let applicant_name = required(view, row, "applicant_name", &mut errors);
    let applicant = match Subject::parse_valid(view.get("applicant")) {
        Ok(subject) => Some(subject),
        Err(e) => {
            let mut problem = view.problem(row, "applicant", e.to_string(), e.reason_zh());
            // Confidential: never echo what may be a person's number.
            problem.value = mask_text(&problem.value);
            problem.reason = match e {
                domain::credit::SubjectError::Empty => "required".into(),
                _ => "not a valid 统一社会信用代码 or 居民身份证号码 (check characters verified)"
                    .into(),
            };
            errors.push(problem);
            None
        }
    };
    if view.get("channel").is_empty() {
        errors.push(view.problem(row, "channel", "required", "必填"));
    }
    let channel = choice(
        view,
        row,
        "channel",
        Channel::parse,
        "受理渠道应为 综合窗口、部门窗口 或 网上",
        &mut errors,
    );
    let time = |key: &'static str, errors: &mut Vec<Problem>| {
        let text = view.get(key);
        if text.is_empty() {
            return None;
        }
        match parse_time(key, text) {
            Ok(at) => Some(at),
            Err(e) => {
                errors.push(view.problem(
                    row,
                    key,
                    e.reason.to_string(),
                    "时间格式应如 2026-03-02 09:15",
                ));
                None
            }
        }
    };
    if view.get("received_at").is_empty() {
        errors.push(view.problem(row, "received_at", "required", "必填"));
    }
    let received_at = time("received_at", &mut errors);
    let accepted_at = time("accepted_at", &mut errors);
    let closed_at = time("closed_at", &mut errors);
    let reviewed_at = time("reviewed_at", &mut errors);
    let rectified_at = time("rectified_at", &mut errors);
    let paused_days = days(view, row, "paused_days", &mut errors).unwrap_or(0);
    let decision = choice(
        view,
        row,
        "decision",
        Decision::parse,
        "办理结果应为 准予、不予 或 撤回",
        &mut errors,
    );
    let review = choice(
        view,
        row,
        "review",
        Review::parse,
        "评价应为 非常满意、满意、基本满意、不满意 或 非常不满意",
        &mut errors,
    );
    match (applicant, channel, received_at, errors.is_empty()) {
        (Some(applicant), Some(channel), Some(received_at), true) => Ok(ApplicationRow {
            row,
            id,
            matter,
            matter_header: view.problem(row, "matter", "", "").column,
            applicant_name,
            applicant,
            channel,
            received_at,
            accepted_at,
            paused_days,
            closed_at,
            decision,
            review,
            reviewed_at,
            rectified_at,
        }),
        _ => Err(errors),
    }
}

/// A possibly confidential identifier as it may appear in a report: its first
/// 6 and last 2 characters (ID numbers' masking), the rest starred.
fn mask_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 6 || i + 2 >= chars.len() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> Result<std::path::PathBuf, std::io::Error> {
        let dir = std::env::temp_dir().join(format!("jianguan-services-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }

    #[test]
    fn catalogue_rows_are_checked_by_row_and_column() -> Result<(), Box<dyn std::error::Error>> {
        let path = write(
            "catalogue.csv",
            "事项编码*,事项名称*,实施部门*,事项类型,办件类型*,法定时限（工作日）,承诺时限*,一窗通办,一证通办,申请材料,证明事项,结果证照类型\n\
             M1,食品经营许可,D01,行政许可,承诺件,20,5,是,否,申请书、营业执照,场地证明（可承诺）,L01\n\
             M2,坏,D01,行政许可,慢件,20,5,是,否,,,\n\
             M3,超时,D01,行政许可,承诺件,5,20,是,否,,,\n\
             M1,食品经营许可（新）,D01,行政许可,承诺件,20,4,是,是,,,\n",
        )?;
        let file = read_catalogue(&path)?;
        assert_eq!(file.matters.len(), 1);
        assert_eq!(file.matters[0].1.promised_days, 4);
        assert_eq!(file.outcome.superseded, 1);
        let rows: Vec<(usize, &str)> = file
            .outcome
            .errors
            .iter()
            .map(|p| (p.row, p.column.as_str()))
            .collect();
        assert_eq!(rows, vec![(3, "办件类型*"), (4, "承诺时限*")]);
        Ok(())
    }

    #[test]
    fn applicants_numbers_are_verified_and_never_echoed() -> Result<(), Box<dyn std::error::Error>>
    {
        let path = write(
            "applications.csv",
            "办件编号,事项编码,申请人名称,申请人证件号码,受理渠道,收件时间\n\
             B1,M1,张三,11010519491231002X,综合窗口,2026-03-02 09:00\n\
             B2,M1,李四,110105194912310021,综合窗口,2026-03-02 09:00\n\
             B3,M1,某公司,91110000100000000X,网上,2026-03-02 09:00\n",
        )?;
        let file = read_applications(&path)?;
        assert_eq!(file.rows.len(), 1);
        assert_eq!(file.outcome.rejected(), 2);
        for problem in &file.outcome.errors {
            assert!(!problem.value.contains("1949123100"), "{problem:?}");
        }
        Ok(())
    }
}
