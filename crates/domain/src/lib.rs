//! Domain types that validate on construction.

#![deny(missing_docs)]

pub mod account;
pub mod calendar;
pub mod clock;
pub mod credit;
pub mod credit_repair;
pub mod divisions;
pub mod enforcement;
pub mod entity;
pub mod field;
pub mod hotline;
pub mod idcard;
pub mod industry;
pub mod inspection;
pub mod inspector;
pub mod item;
pub mod ledger;
pub mod licence;
pub mod org;
pub mod personal_score;
pub mod plan;
pub mod reconsideration;
pub mod rectification;
pub mod refusal;
pub mod registration;
pub mod review;
pub mod review_scoring;
pub mod risk;
pub mod services;
pub mod uscc;
pub mod window;

pub use entity::{CreditClass, CreditRating, EntityFields, EntityStatus, EntityType, MarketEntity};
pub use field::InvalidField;
pub use idcard::{IdCardError, IdCardNo};
pub use industry::IndustryCode;
pub use inspector::{CertificateNo, Inspector, InspectorFields, Recusal};
pub use item::{
    CheckMethod, Frequency, InspectionItem, ItemCode, ItemFields, JointItem, JointItemFields,
    Period, RatioBp,
};
pub use org::{
    Department, DepartmentCode, DepartmentFields, DepartmentLevel, District, DistrictCode,
};
pub use refusal::Refusal;
pub use registration::RegistrationType;
pub use uscc::{CheckStatus, Uscc, UsccError, UsccWarning};

/// Cases of the identifier parsers' fuzz properties: `JIANGUAN_FUZZ_CASES`, else 2,000.
#[cfg(test)]
pub(crate) fn fuzz_config() -> proptest::test_runner::Config {
    let cases = std::env::var("JIANGUAN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    proptest::test_runner::Config::with_cases(cases)
}
