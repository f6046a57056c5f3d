//! 主体类型 as printed on the business licence (有限责任公司（自然人投资或控股）,
//! 个人独资企业, 农民专业合作社 …) and the class ([`EntityType`]) that drawing and
//! filtering use.
//!
//! A text is classified by the first rule that matches, after folding
//! full-width forms to half-width (`（` → `(`) and removing white space and `、`:
//! 1. one of the class names or their aliases ([`EntityType::parse`]);
//! 2. each of [`RULES`] in order: the class of the first rule one of whose
//!    keywords the text contains.
//!
//! The order settles texts holding keywords of two classes:
//! 农民专业合作社 comes before 企业 (农民专业合作社分支机构 is a cooperative),
//! 民办非企业单位 is 其他 although it contains 企业, and 事业单位营业 (a business
//! unit an institution registers) is 企业 although it names a 事业单位. A text no rule matches
//! is 其他 and not recognised ([`RegistrationType::is_recognised`]), which the
//! importer reports as a warning.

use std::fmt;

use super::entity::EntityType;
use super::field::{InvalidField, required_text};

/// Longest registration-type text, in characters.
pub const MAX_TEXT: usize = 60;

/// The classification rules after the class names, in the order they are tried:
/// a text containing one of a rule's keywords gets its class.
pub const RULES: &[(EntityType, &[&str])] = &[
    // 农民专业合作社, 农民专业合作社联合社 and their 分支机构.
    (EntityType::Cooperative, &["专业合作社"]),
    // 个体工商户, 个体户, 个体（家庭经营）…
    (EntityType::IndividualBusiness, &["个体"]),
    // Business units of institutions and associations (SAMR 4100 事业单位营业,
    // 4200 社团法人营业, 4400 经营单位（非法人）): before the next rule.
    (EntityType::Enterprise, &["营业", "经营单位"]),
    // Organisations that are not market entities, named so that they are not
    // taken for enterprises (民办非企业单位 contains 企业) nor warned about.
    (
        EntityType::Other,
        &[
            "民办非企业",
            "事业单位",
            "社会团体",
            "社会服务机构",
            "基金会",
            "机关",
            "集体经济组织",
        ],
    ),
    // The SAMR 市场主体类型 code list: companies (1000–2000), enterprise legal
    // persons and unincorporated enterprises and branches (3000–4000: 全民所有制,
    // 集体所有制, 股份制, 股份合作, 联营, 个人独资, 合伙, 分支机构（非法人）),
    // foreign-invested, 港澳台 and foreign enterprises (5000–7000).
    (
        EntityType::Enterprise,
        &[
            "公司",
            "企业",
            "有限责任",
            "股份有限",
            "合伙",
            "独资",
            "全民所有制",
            "集体",
            "股份制",
            "股份合作",
            "联营",
            "国有",
            "外商",
            "外资",
            "中外合资",
            "中外合作",
            "外国",
            "港澳台",
            "台港澳",
            "分支机构",
            "非法人",
        ],
    ),
];

/// 主体类型: the text as registered (trimmed) and its class.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistrationType {
    text: String,
    class: EntityType,
    recognised: bool,
}

impl RegistrationType {
    /// Classifies `text` (see the [module documentation](self)). Errors only for an
    /// empty text, one longer than [`MAX_TEXT`] or one with control characters;
    /// a text no rule matches is 其他, not recognised.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let text = required_text("entity_type", text, MAX_TEXT)?;
        let (class, recognised) = match classify(&text) {
            Some(class) => (class, true),
            None => (EntityType::Other, false),
        };
        Ok(Self {
            text,
            class,
            recognised,
        })
    }

    /// A stored pair: `text` as stored (`None` for rows stored before texts
    /// were kept: the class name) and the class decided when it was stored,
    /// which is kept rather than derived again.
    pub fn stored(text: Option<&str>, class: EntityType) -> Result<Self, InvalidField> {
        let Some(text) = text else {
            return Ok(class.into());
        };
        let text = required_text("entity_type", text, MAX_TEXT)?;
        let recognised = classify(&text) == Some(class);
        Ok(Self {
            text,
            class,
            recognised,
        })
    }

    /// The text as registered, trimmed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The class used for drawing and filtering.
    pub fn class(&self) -> EntityType {
        self.class
    }

    /// Whether a rule decided the class (`false`: 其他 because nothing matched).
    pub fn is_recognised(&self) -> bool {
        self.recognised
    }

    /// The text, followed by the class in brackets when the text is not the class name:
    /// `有限责任公司（自然人独资）（企业）`, `个体工商户`.
    pub fn label(&self) -> String {
        if self.text == self.class.as_str() {
            self.text.clone()
        } else {
            format!("{}（{}）", self.text, self.class)
        }
    }
}

impl From<EntityType> for RegistrationType {
    /// The class name as the text.
    fn from(class: EntityType) -> Self {
        Self {
            text: class.as_str().to_owned(),
            class,
            recognised: true,
        }
    }
}

impl fmt::Display for RegistrationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The class of `text` by the rules of the [module documentation](self), or
/// `None` when no rule matches.
pub fn classify(text: &str) -> Option<EntityType> {
    if let Ok(class) = EntityType::parse(text) {
        return Some(class);
    }
    let folded = fold(text);
    if let Ok(class) = EntityType::parse(&folded) {
        return Some(class);
    }
    RULES
        .iter()
        .find(|(_, keywords)| keywords.iter().any(|k| folded.contains(k)))
        .map(|&(class, _)| class)
}

/// Full-width ASCII forms folded to half-width, white space and `、` removed.
fn fold(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                other => other,
            };
            (!c.is_whitespace() && c != '、').then_some(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn class_of(text: &str) -> Result<(EntityType, bool), InvalidField> {
        RegistrationType::parse(text).map(|t| (t.class(), t.is_recognised()))
    }

    #[test]
    fn licence_texts_map_to_their_class() -> Result<(), InvalidField> {
        use EntityType::*;
        let cases = [
            ("有限责任公司（自然人投资或控股）", Enterprise),
            ("有限责任公司(自然人独资)", Enterprise),
            ("有限责任公司（国有独资）", Enterprise),
            ("其他有限责任公司", Enterprise),
            ("股份有限公司（非上市）", Enterprise),
            ("股份有限公司(上市、自然人投资或控股)", Enterprise),
            ("有限责任公司分公司（自然人投资或控股）", Enterprise),
            ("分公司", Enterprise),
            ("个人独资企业", Enterprise),
            ("普通合伙企业", Enterprise),
            ("有限合伙企业", Enterprise),
            ("合伙企业", Enterprise),
            ("全民所有制", Enterprise),
            ("集体所有制（股份合作）", Enterprise),
            ("股份合作制", Enterprise),
            ("联营", Enterprise),
            ("非公司企业法人", Enterprise),
            ("全民所有制营业单位", Enterprise),
            ("国有事业单位营业", Enterprise),
            ("社团法人营业", Enterprise),
            ("集体经营单位（非法人）", Enterprise),
            ("集体分支机构(非法人)", Enterprise),
            ("股份制分支机构", Enterprise),
            ("非公司私营企业", Enterprise),
            ("农村集体经济组织", Other),
            ("外商投资企业分支机构", Enterprise),
            ("有限责任公司（台港澳法人独资）", Enterprise),
            ("港、澳、台投资企业", Enterprise),
            ("外国（地区）企业在中国境内从事生产经营活动", Enterprise),
            ("个体工商户", IndividualBusiness),
            ("个体户", IndividualBusiness),
            ("个体（家庭经营）", IndividualBusiness),
            ("农民专业合作社", Cooperative),
            ("农民专业合作社联合社", Cooperative),
            ("农民专业合作社分支机构", Cooperative),
            ("民办非企业单位", Other),
            ("事业单位", Other),
            ("其他", Other),
        ];
        for (text, class) in cases {
            assert_eq!(class_of(text)?, (class, true), "{text}");
        }
        assert_eq!(class_of("宗教活动场所")?, (Other, false));
        Ok(())
    }

    #[test]
    fn text_is_kept_trimmed_and_checked() -> Result<(), InvalidField> {
        let parsed = RegistrationType::parse(" 股份有限公司(非上市) ")?;
        assert_eq!(parsed.text(), "股份有限公司(非上市)");
        assert_eq!(parsed.to_string(), "股份有限公司(非上市)");
        assert_eq!(parsed.label(), "股份有限公司(非上市)（企业）");
        assert_eq!(RegistrationType::from(EntityType::Other).label(), "其他");
        for bad in ["", "  ", "公司\n分公司", &"公".repeat(MAX_TEXT + 1)] {
            assert_eq!(
                RegistrationType::parse(bad).map_err(|e| e.field),
                Err("entity_type")
            );
        }
        Ok(())
    }

    #[test]
    fn stored_pairs_keep_their_class() -> Result<(), InvalidField> {
        let old = RegistrationType::stored(None, EntityType::Cooperative)?;
        assert_eq!(
            (old.text(), old.class()),
            ("农民专业合作社", EntityType::Cooperative)
        );
        let kept = RegistrationType::stored(Some("合伙企业"), EntityType::Other)?;
        assert_eq!(kept.class(), EntityType::Other);
        assert!(!kept.is_recognised());
        assert_eq!(
            RegistrationType::stored(Some("合伙企业"), EntityType::Enterprise)?,
            RegistrationType::parse("合伙企业")?
        );
        Ok(())
    }

    /// A text of licence words, brackets and other characters.
    fn licence_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("有限责任公司".to_owned()),
            Just("分公司".to_owned()),
            Just("农民专业合作社".to_owned()),
            Just("个体".to_owned()),
            Just("民办非企业单位".to_owned()),
            Just("自然人投资或控股".to_owned()),
            Just("非上市".to_owned()),
            Just("(".to_owned()),
            Just(")".to_owned()),
            Just("、".to_owned()),
            "[a-z0-9 ]{0,3}",
            "\\PC{0,3}",
        ];
        prop::collection::vec(piece, 1..6).prop_map(|pieces| pieces.concat())
    }

    fn full_width(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                other => other,
            })
            .collect()
    }

    proptest! {
        #![proptest_config(crate::fuzz_config())]

        #[test]
        fn full_and_half_width_brackets_map_the_same(text in licence_text()) {
            prop_assert_eq!(classify(&text), classify(&full_width(&text)));
        }

        #[test]
        fn the_text_round_trips(text in licence_text()) {
            if let Ok(parsed) = RegistrationType::parse(&text) {
                prop_assert_eq!(parsed.text(), text.trim());
                let again = RegistrationType::stored(Some(parsed.text()), parsed.class());
                prop_assert_eq!(again.as_ref(), Ok(&parsed));
                let reparsed = RegistrationType::parse(parsed.text());
                prop_assert_eq!(reparsed.as_ref(), Ok(&parsed));
            }
        }

        #[test]
        fn unknown_texts_are_other(text in "[\\p{Han}&&[^公司企业有限责任股份合伙独资全民所有制集体作联营国外商中澳台港单位专社个非事会团服务机构基金关]]{1,12}") {
            let parsed = RegistrationType::parse(&text);
            prop_assert!(parsed.is_ok());
            if let Ok(parsed) = parsed {
                prop_assert_eq!(parsed.class(), EntityType::Other);
                prop_assert_eq!(parsed.is_recognised(), EntityType::parse(&text).is_ok());
            }
        }
    }
}
