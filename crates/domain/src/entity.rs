//! Market entities (市场主体) of the entity directory (检查对象名录库).

use std::ops::Deref;

use chrono::{Datelike, NaiveDate};

use super::field::{InvalidField, label_set, optional_text, required_text};
use super::industry::IndustryCode;
use super::org::DistrictCode;
use super::registration::RegistrationType;
use super::uscc::{Uscc, UsccWarning};

/// Longest entity name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest address, in characters.
pub const MAX_ADDRESS: usize = 300;
/// Longest legal representative name, in characters.
pub const MAX_PERSON: usize = 100;
/// Longest special-pool name or tag, in characters.
pub const MAX_LABEL: usize = 50;
/// The earliest registration year accepted.
pub const EARLIEST_REGISTRATION_YEAR: i32 = 1900;

/// Defines a closed set of values stored by their Chinese name, with `parse`
/// accepting the name and listed synonyms.
macro_rules! chinese_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, $expected:literal {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The Chinese name, as stored.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// Parses the Chinese name or a listed synonym (surrounding white space removed).
            pub fn parse(text: &str) -> Result<Self, $crate::field::InvalidField> {
                match text.trim() {
                    $($text $(| $alias)* => Ok(Self::$variant),)+
                    _ => Err($crate::field::InvalidField::new($field, text, $expected)
                        .zh(concat!("只能是以下之一：", $("“", $text, "”",)+))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use chinese_enum;

chinese_enum! {
    /// 主体类型.
    EntityType, "entity_type", "the type is 企业, 个体工商户, 农民专业合作社 or 其他" {
        /// 企业 (companies, partnerships, sole proprietorships, branches …).
        Enterprise = "企业" | "公司" | "enterprise",
        /// 个体工商户.
        IndividualBusiness = "个体工商户" | "个体" | "个体户" | "individual",
        /// 农民专业合作社 (and its unions).
        Cooperative = "农民专业合作社" | "农民专业合作社联合社" | "合作社" | "cooperative",
        /// Anything else (institutions, social organisations …).
        Other = "其他" | "other",
    }
}

chinese_enum! {
    /// 登记状态.
    EntityStatus, "status", "the status is 存续, 注销, 吊销 or 迁出" {
        /// 存续 (in business; also written 在业, 开业, 正常).
        Active = "存续" | "在业" | "开业" | "正常" | "存续（在营、开业、在册）" | "active",
        /// 注销 (deregistered).
        Deregistered = "注销" | "已注销" | "deregistered",
        /// 吊销 (licence revoked).
        Revoked = "吊销" | "已吊销" | "吊销，未注销" | "吊销，已注销" | "revoked",
        /// 迁出 (moved out of the city's jurisdiction).
        MovedOut = "迁出" | "已迁出" | "moved_out",
    }
}

chinese_enum! {
    /// 信用风险分类: A low risk … D high risk.
    CreditClass, "credit_class", "the credit-risk class is A, B, C or D" {
        /// Low risk.
        A = "A" | "a" | "A类",
        /// Moderate risk.
        B = "B" | "b" | "B类",
        /// Elevated risk.
        C = "C" | "c" | "C类",
        /// High risk.
        D = "D" | "d" | "D类",
    }
}

/// A credit-risk class and the date it was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditRating {
    /// The class.
    pub class: CreditClass,
    /// When it was set.
    pub set_on: NaiveDate,
}

/// The fields of a market entity, as given. [`MarketEntity::new`] validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityFields {
    /// 统一社会信用代码; the key. A pilot-era code that fails its check is
    /// allowed (see [`MarketEntity::uscc_warning`]).
    pub uscc: Uscc,
    /// 主体名称.
    pub name: String,
    /// 主体类型: the text as registered and its class.
    pub entity_type: RegistrationType,
    /// 所属区域.
    pub district: DistrictCode,
    /// 行业代码 (GB/T 4754-2017), if known.
    pub industry: Option<IndustryCode>,
    /// 成立日期.
    pub registered_on: NaiveDate,
    /// 登记状态.
    pub status: EntityStatus,
    /// 住所 / 经营场所.
    pub address: Option<String>,
    /// 法定代表人 (负责人, 经营者).
    pub legal_representative: Option<String>,
    /// Special pools (特定对象库) the entity belongs to, e.g. 食品生产企业.
    pub special_pools: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// 信用风险分类, or `None` when not yet classified.
    pub credit: Option<CreditRating>,
}

/// A validated market entity. Read its fields through `Deref` (`entity.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketEntity(EntityFields);

impl MarketEntity {
    /// Validates `fields`: trims and checks the texts (name required; address and
    /// legal representative optional, blank meaning absent), sorts and
    /// de-duplicates pools and tags, and checks the registration date is not
    /// before 1900 and the credit class was not set before registration.
    pub fn new(fields: EntityFields) -> Result<Self, InvalidField> {
        let EntityFields {
            uscc,
            name,
            entity_type,
            district,
            industry,
            registered_on,
            status,
            address,
            legal_representative,
            special_pools,
            tags,
            credit,
        } = fields;
        if registered_on.year() < EARLIEST_REGISTRATION_YEAR {
            return Err(InvalidField::new(
                "registered_on",
                registered_on.to_string(),
                "before 1900",
            )
            .zh("不能早于1900年"));
        }
        if let Some(rating) = credit.filter(|rating| rating.set_on < registered_on) {
            return Err(InvalidField::new(
                "credit_class_on",
                rating.set_on.to_string(),
                format!("the credit class cannot be set before registration ({registered_on})"),
            )
            .zh("不能早于成立日期"));
        }
        Ok(Self(EntityFields {
            uscc,
            name: required_text("name", &name, MAX_NAME)?,
            entity_type,
            district,
            industry,
            registered_on,
            status,
            address: optional_text("address", address.as_deref(), MAX_ADDRESS)?,
            legal_representative: optional_text(
                "legal_representative",
                legal_representative.as_deref(),
                MAX_PERSON,
            )?,
            special_pools: label_set("special_pools", &special_pools, MAX_LABEL)?,
            tags: label_set("tags", &tags, MAX_LABEL)?,
            credit,
        }))
    }

    /// The warning for a pilot-era code that fails its check characters (stored
    /// with the row), or `None` for a code that passes.
    pub fn uscc_warning(&self) -> Option<UsccWarning> {
        Uscc::parse_lenient(self.0.uscc.as_str())
            .ok()
            .and_then(|(_, warning)| warning)
    }

    /// The fields.
    pub fn fields(&self) -> &EntityFields {
        &self.0
    }

    /// The fields, to change and validate again.
    pub fn into_fields(self) -> EntityFields {
        self.0
    }
}

impl Deref for MarketEntity {
    type Target = EntityFields;

    fn deref(&self) -> &EntityFields {
        &self.0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::uscc::UsccError;

    pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn fields() -> Result<EntityFields, Box<dyn std::error::Error>> {
        Ok(EntityFields {
            uscc: Uscc::parse("91350200776049653A")?,
            name: " 黄石市磁湖食品有限公司 ".into(),
            entity_type: EntityType::parse("企业")?.into(),
            district: DistrictCode::parse("420202")?,
            industry: Some(IndustryCode::parse("C1311")?),
            registered_on: date(2010, 5, 4),
            status: EntityStatus::parse("在业")?,
            address: Some("  ".into()),
            legal_representative: Some("张三".into()),
            special_pools: vec!["食品生产".into(), "食品生产".into()],
            tags: vec![],
            credit: Some(CreditRating {
                class: CreditClass::parse("b")?,
                set_on: date(2024, 1, 1),
            }),
        })
    }

    #[test]
    fn valid_entity_is_normalised() -> Result<(), Box<dyn std::error::Error>> {
        let entity = MarketEntity::new(fields()?)?;
        assert_eq!(entity.name, "黄石市磁湖食品有限公司");
        assert_eq!(entity.address, None);
        assert_eq!(entity.special_pools, vec!["食品生产".to_owned()]);
        assert_eq!(entity.status, EntityStatus::Active);
        assert_eq!(entity.credit.map(|c| c.class), Some(CreditClass::B));
        assert_eq!(entity.uscc_warning(), None);
        Ok(())
    }

    #[test]
    fn invalid_fields_are_named() -> Result<(), Box<dyn std::error::Error>> {
        let field = |f: EntityFields| MarketEntity::new(f).err().map(|e| e.field);
        assert_eq!(
            field(EntityFields {
                name: " ".into(),
                ..fields()?
            }),
            Some("name")
        );
        assert_eq!(
            field(EntityFields {
                registered_on: date(1899, 12, 31),
                ..fields()?
            }),
            Some("registered_on")
        );
        assert_eq!(
            field(EntityFields {
                credit: Some(CreditRating {
                    class: CreditClass::A,
                    set_on: date(2009, 1, 1)
                }),
                ..fields()?
            }),
            Some("credit_class_on")
        );
        assert_eq!(
            field(EntityFields {
                tags: vec!["".into()],
                ..fields()?
            }),
            Some("tags")
        );
        assert_eq!(
            EntityStatus::parse("破产").map_err(|e| e.field),
            Err("status")
        );
        assert_eq!(
            EntityType::parse("国企").map_err(|e| e.field),
            Err("entity_type")
        );
        assert_eq!(
            CreditClass::parse("E").map_err(|e| e.field),
            Err("credit_class")
        );
        Ok(())
    }

    #[test]
    fn pilot_era_code_carries_its_warning() -> Result<(), Box<dyn std::error::Error>> {
        let (uscc, warning) = Uscc::parse_lenient("91350100M0001TGQXM")?;
        assert!(warning.is_some());
        let entity = MarketEntity::new(EntityFields { uscc, ..fields()? })?;
        assert!(
            entity
                .uscc_warning()
                .is_some_and(|w| matches!(w.final_check, Some(UsccError::BadCheck { .. })))
        );
        Ok(())
    }
}
