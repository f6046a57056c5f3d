//! The clock: every timestamp is recorded in China Standard Time.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};

/// China Standard Time (UTC+8), the zone every timestamp is recorded in.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix())
}

/// Now, in China time.
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&china())
}

/// Today's date in China (UTC+8).
pub fn today() -> NaiveDate {
    now().date_naive()
}
