//! A State Council holiday notice loaded by the administrator (放假安排): the
//! override TOML of one year of the working-day calendar, kept on the ledger.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// One year of a loaded notice. The whole uploaded text is kept (it may hold
/// several years, each stored as its own record with the same text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarNotice {
    /// The calendar year.
    pub year: i32,
    /// The notices the year's section cites.
    pub notices: Vec<String>,
    /// The override TOML as uploaded (format of `workcal`'s data file).
    pub text: String,
    /// SHA-256 of `text`, hex.
    pub sha256: String,
    /// Who loaded it.
    pub loaded_by: String,
    /// When.
    pub loaded_at: DateTime<FixedOffset>,
}

/// The key of a year's notice record.
pub fn notice_key(year: i32) -> String {
    format!("{year:04}")
}
