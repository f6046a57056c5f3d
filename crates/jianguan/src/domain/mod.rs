//! Domain types that validate on construction.

pub mod account;
pub mod credit;
pub mod credit_repair;
pub mod entity;
pub mod field;
pub mod hotline;
pub mod idcard;
pub mod industry;
pub mod inspection;
pub mod inspector;
pub mod item;
pub mod ledger;
pub mod org;
pub mod personal_score;
pub mod plan;
pub mod rectification;
pub mod risk;
pub mod uscc;

pub use entity::{CreditClass, CreditRating, EntityFields, EntityStatus, EntityType, MarketEntity};
pub use field::InvalidField;
pub use idcard::{IdCardError, IdCardNo};
pub use industry::IndustryCode;
pub use inspector::{CertificateNo, Inspector, InspectorFields, Recusal};
pub use item::{
    CheckMethod, Frequency, InspectionItem, ItemCode, ItemFields, JointItem, JointItemFields,
    Period, RatioBp,
};
pub use org::{Department, DepartmentCode, DepartmentLevel, District, DistrictCode};
pub use uscc::{Uscc, UsccError, UsccWarning};
