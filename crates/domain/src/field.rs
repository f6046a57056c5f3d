//! The error every directory type returns when a field is invalid, and the text
//! checks they share.
//!
//! Importers report rejected rows by column: [`InvalidField::field`] is the
//! stable English name of the field (the same name as the storage column where
//! there is one), so an importer maps it back to the header it read.
//! Pages and reports show [`InvalidField::message_zh`]: the field's Chinese
//! label ([`field_label`]) and the Chinese reason given with [`InvalidField::zh`]
//! (a generic Chinese reason when a check gave none); the CLI keeps the English
//! `Display`.

use std::borrow::Cow;

/// A field that failed validation: which field, the offending value, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason} (got {value:?})")]
pub struct InvalidField {
    /// The field's English name, e.g. `name`, `district`, `cert_valid_until`.
    pub field: &'static str,
    /// The value as given (shortened to 100 characters).
    pub value: String,
    /// What is wrong with it.
    pub reason: Cow<'static, str>,
    /// What is wrong with it, in Chinese (see [`InvalidField::zh`]).
    pub reason_zh: Option<Cow<'static, str>>,
}

impl InvalidField {
    /// An error for `field` holding `value`.
    pub fn new(
        field: &'static str,
        value: impl AsRef<str>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        let value: String = value.as_ref().chars().take(100).collect();
        Self {
            field,
            value,
            reason: reason.into(),
            reason_zh: None,
        }
    }

    /// The same error with its reason in Chinese, for pages and reports.
    #[must_use]
    pub fn zh(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason_zh = Some(reason.into());
        self
    }

    /// The stable machine code of every invalid field.
    pub fn code(&self) -> &'static str {
        "invalid_field"
    }

    /// The field's Chinese label, e.g. 计划结束日期 for `period_end`.
    pub fn label(&self) -> &'static str {
        field_label(self.field)
    }

    /// The error in Chinese: label, reason and the value given, e.g.
    /// `计划结束日期：计划须在同一自然年度内（输入：2027-01-31）`.
    pub fn message_zh(&self) -> String {
        let reason = self.reason_zh.as_deref().unwrap_or("取值不符合要求");
        if self.value.trim().is_empty() {
            format!("{}：{reason}", self.label())
        } else {
            format!("{}：{reason}（输入：{}）", self.label(), self.value)
        }
    }

    /// One error of each shared check, for tests that read every message.
    pub fn examples() -> Vec<Self> {
        vec![
            required_text("name", " ", 10).err(),
            required_text("title", "一二三", 2).err(),
            required_text("address", "a\u{7}b", 10).err(),
            ascii_code("code", " ", 8).err(),
            ascii_code("code", "123456789", 8).err(),
            ascii_code("code", "市场", 8).err(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The Chinese label of a field named in English (the form's or column's name);
/// 输入项 for a field without one.
pub fn field_label(field: &str) -> &'static str {
    FIELD_LABELS
        .iter()
        .find(|(name, _)| *name == field)
        .map_or("输入项", |(_, label)| label)
}

/// English field names and their Chinese labels.
const FIELD_LABELS: &[(&str, &str)] = &[
    ("id", "编号"),
    ("title", "标题"),
    ("name", "名称"),
    ("short_name", "简称"),
    ("address", "地址"),
    ("uscc", "统一社会信用代码"),
    ("code", "代码"),
    ("department", "部门"),
    ("lead", "牵头部门"),
    ("partners", "协办部门"),
    ("participants", "参与部门"),
    ("cooperating", "协办部门"),
    ("district", "行政区划"),
    ("districts", "行政区划"),
    ("industry", "行业"),
    ("industries", "行业"),
    ("entity_type", "主体类型"),
    ("entity_types", "主体类型"),
    ("status", "状态"),
    ("kind", "计划类型"),
    ("year", "年度"),
    ("period_start", "计划开始日期"),
    ("period_end", "计划结束日期"),
    ("frequency", "抽查频次"),
    ("strata", "分层抽取规则"),
    ("stratum", "分层"),
    ("rate_bp", "抽取比例"),
    ("ratio_bp", "抽取比例"),
    ("count", "抽取户数"),
    ("items", "检查事项"),
    ("methods", "检查方式"),
    ("inspectors", "检查人员"),
    ("inspector", "检查人员"),
    ("cert_no", "执法证号"),
    ("cert_valid_until", "执法证有效期"),
    ("confirmations", "会签意见"),
    ("version", "版本"),
    ("reason", "理由"),
    ("outcome", "检查结果"),
    ("legal_basis", "法律依据"),
    ("authority", "实施机关"),
    ("category", "问题类型"),
    ("channel", "受理渠道"),
    ("channels", "受理渠道"),
    ("tags", "标签"),
    ("domain", "领域"),
    ("role", "角色"),
    ("username", "用户名"),
    ("level", "级别"),
    ("list_type", "名单类型"),
    ("subject_kind", "对象类型"),
    ("subject_name", "主体名称"),
    ("target_type", "对象类型"),
    ("ref_no", "文号"),
    ("registered_on", "成立日期"),
    ("credit_class_on", "信用分类日期"),
    ("special_pools", "特殊对象库"),
    ("difficult_days", "疑难工单时限"),
    ("rules", "规则"),
    ("hotline rules", "热线规则"),
    ("round", "抽查批次"),
    ("fields", "字段"),
    ("field", "字段"),
    ("工单编号", "工单编号"),
];

/// Trims `value` and checks it is a non-empty single line of at most `max_chars`
/// characters without control characters.
pub(crate) fn required_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, InvalidField> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidField::new(field, value, "must not be empty").zh("不能为空"));
    }
    check_line(field, trimmed, max_chars)?;
    Ok(trimmed.to_owned())
}

/// Like [`required_text`], but an empty or blank value is `None`.
pub(crate) fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, InvalidField> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(trimmed) => {
            check_line(field, trimmed, max_chars)?;
            Ok(Some(trimmed.to_owned()))
        }
    }
}

/// Validates each label with [`required_text`], then sorts and removes duplicates.
pub(crate) fn label_set(
    field: &'static str,
    labels: &[String],
    max_chars: usize,
) -> Result<Vec<String>, InvalidField> {
    let mut out = labels
        .iter()
        .map(|label| required_text(field, label, max_chars))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

fn check_line(field: &'static str, text: &str, max_chars: usize) -> Result<(), InvalidField> {
    let count = text.chars().count();
    if count > max_chars {
        return Err(InvalidField::new(
            field,
            text,
            format!("at most {max_chars} characters; got {count}"),
        )
        .zh(format!("最多 {max_chars} 个字，输入了 {count} 个")));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(InvalidField::new(
            field,
            text,
            format!("contains the control character {c:?}"),
        )
        .zh("含有不可见的控制字符"));
    }
    Ok(())
}

/// Checks a code of 1–`max` ASCII letters, digits, `-`, `_` or `.`; returns it trimmed.
pub(crate) fn ascii_code(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, InvalidField> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidField::new(field, value, "must not be empty").zh("不能为空"));
    }
    if trimmed.len() > max {
        return Err(
            InvalidField::new(field, value, format!("at most {max} characters"))
                .zh(format!("最多 {max} 个字符")),
        );
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(InvalidField::new(
            field,
            value,
            format!(
                "character {c:?} is not allowed (ASCII letters, digits, '-', '_' and '.' only)"
            ),
        )
        .zh(format!(
            "不能含有“{c}”，只能用英文字母、数字和 - _ . 三种符号"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_checked() {
        assert_eq!(
            required_text("name", "  黄石市某某公司 ", 10),
            Ok("黄石市某某公司".to_owned())
        );
        assert_eq!(
            required_text("name", "   ", 10).map_err(|e| e.field),
            Err("name")
        );
        assert!(required_text("name", "a\u{7}b", 10).is_err());
        assert!(required_text("name", "一二三四五六七八九十一", 10).is_err());
        assert_eq!(optional_text("address", Some("  "), 10), Ok(None));
        assert_eq!(optional_text("address", None, 10), Ok(None));
    }

    #[test]
    fn labels_are_sorted_and_unique() {
        let labels = vec!["食品".to_owned(), " 特种设备".to_owned(), "食品".to_owned()];
        assert_eq!(
            label_set("tags", &labels, 10),
            Ok(vec!["特种设备".to_owned(), "食品".to_owned()])
        );
    }

    #[test]
    fn messages_in_chinese_name_the_field() {
        let error = InvalidField::new(
            "period_end",
            "2027-01-31",
            "a plan runs within one calendar year",
        )
        .zh("计划须在同一自然年度内");
        assert_eq!(error.code(), "invalid_field");
        assert_eq!(
            error.message_zh(),
            "计划结束日期：计划须在同一自然年度内（输入：2027-01-31）"
        );
        assert_eq!(
            error.to_string(),
            "period_end: a plan runs within one calendar year (got \"2027-01-31\")"
        );
        assert_eq!(field_label("no_such_field"), "输入项");
        for example in InvalidField::examples() {
            assert!(example.reason_zh.is_some(), "{example}");
        }
    }

    #[test]
    fn codes_are_ascii() {
        assert_eq!(ascii_code("code", " SC-01 ", 8), Ok("SC-01".to_owned()));
        assert!(ascii_code("code", "市场", 8).is_err());
        assert!(ascii_code("code", "123456789", 8).is_err());
    }
}
