//! One year of the calendar, precomputed as a bitset of working days.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::parse::{YearSpec, is_weekend};

/// Words in a year bitset: 6 × 64 = 384 ≥ 366 bits.
const WORDS: usize = 6;

/// Working days of one year, bit `i` = day with `ordinal0() == i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bits {
    words: [u64; WORDS],
    len: u32,
}

impl Bits {
    /// Monday–Friday working, Saturday–Sunday off; `None` outside chrono's range.
    pub(crate) fn weekends_only(year: i32) -> Option<Bits> {
        let first = NaiveDate::from_yo_opt(year, 1)?;
        let len = days_in_year(year)?;
        let mut bits = Bits {
            words: [0; WORDS],
            len,
        };
        // Weekday of 1 January: 0 = Monday … 6 = Sunday.
        let mut wd = first.weekday().num_days_from_monday();
        for i in 0..len {
            if wd < 5 {
                bits.set(i, true);
            }
            wd = if wd == 6 { 0 } else { wd + 1 };
        }
        Some(bits)
    }

    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    pub(crate) fn get(&self, ord0: u32) -> bool {
        let (w, b) = (ord0 as usize / 64, ord0 % 64);
        self.words.get(w).is_some_and(|word| word >> b & 1 == 1)
    }

    fn set(&mut self, ord0: u32, on: bool) {
        let (w, b) = (ord0 as usize / 64, ord0 % 64);
        if let Some(word) = self.words.get_mut(w) {
            if on {
                *word |= 1 << b;
            } else {
                *word &= !(1 << b);
            }
        }
    }

    /// Mask of bits `from..=to` within word `w` (empty when the range misses it).
    fn mask(w: usize, from: u32, to: u32) -> u64 {
        let lo = (w as u32) * 64;
        let hi = lo + 63;
        if to < lo || from > hi || from > to {
            return 0;
        }
        let a = from.max(lo) - lo;
        let b = to.min(hi) - lo;
        let upper = if b == 63 {
            u64::MAX
        } else {
            (1u64 << (b + 1)) - 1
        };
        upper & (u64::MAX << a)
    }

    /// Number of working days with ordinal0 in `from..=to`.
    pub(crate) fn count(&self, from: u32, to: u32) -> u32 {
        (0..WORDS)
            .map(|w| (self.words[w] & Self::mask(w, from, to)).count_ones())
            .sum()
    }

    /// The `k`-th (1-based, `k ≥ 1`) working day at or after `from`:
    /// `Ok(ordinal0)`, or `Err(count)` with the number of working days from
    /// `from` to the end of the year when there are fewer than `k`.
    pub(crate) fn select(&self, from: u32, k: u32) -> Result<u32, u32> {
        let mut remaining = k.max(1);
        let mut seen = 0;
        for w in 0..WORDS {
            let mut word = self.words[w] & Self::mask(w, from, u32::MAX);
            let c = word.count_ones();
            if c >= remaining {
                for _ in 1..remaining {
                    word &= word - 1;
                }
                return Ok(w as u32 * 64 + word.trailing_zeros());
            }
            remaining -= c;
            seen += c;
        }
        Err(seen)
    }
}

/// What makes a day special.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Special {
    Holiday(String),
    Makeup(String),
}

/// One year of announced arrangements.
#[derive(Debug, Clone)]
pub(crate) struct YearData {
    pub bits: Bits,
    pub special: BTreeMap<u32, Special>,
    pub notices: Vec<String>,
}

impl YearData {
    /// Builds a validated section; `None` only outside chrono's date range.
    pub(crate) fn build(spec: YearSpec) -> Option<YearData> {
        let mut bits = Bits::weekends_only(spec.year)?;
        let mut special = BTreeMap::new();
        for (date, name) in spec.holidays {
            bits.set(date.ordinal0(), false);
            special.insert(date.ordinal0(), Special::Holiday(name));
        }
        for (date, name) in spec.makeups {
            debug_assert!(is_weekend(date));
            bits.set(date.ordinal0(), true);
            special.insert(date.ordinal0(), Special::Makeup(name));
        }
        Some(YearData {
            bits,
            special,
            notices: spec.notices,
        })
    }
}

pub(crate) fn days_in_year(year: i32) -> Option<u32> {
    let first = NaiveDate::from_yo_opt(year, 1)?;
    Some(if first.leap_year() { 366 } else { 365 })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn weekends_only_2024() {
        // 2024-01-01 is a Monday; 2024 has 366 days and 262 weekdays.
        let bits = Bits::weekends_only(2024).unwrap();
        assert_eq!(bits.len(), 366);
        assert!(bits.get(0));
        assert!(!bits.get(5) && !bits.get(6));
        assert_eq!(bits.count(0, 365), 262);
        assert!(!bits.get(366));
    }

    #[test]
    fn select_and_count_agree() {
        let bits = Bits::weekends_only(2023).unwrap();
        let total = bits.count(0, 364);
        for k in 1..=total {
            let ord = bits.select(0, k).unwrap();
            assert!(bits.get(ord));
            assert_eq!(bits.count(0, ord), k);
        }
        assert_eq!(bits.select(0, total + 1), Err(total));
        assert_eq!(bits.select(300, 1_000), Err(bits.count(300, 364)));
    }

    #[test]
    fn masks() {
        assert_eq!(Bits::mask(0, 0, 63), u64::MAX);
        assert_eq!(Bits::mask(0, 1, 1), 2);
        assert_eq!(Bits::mask(1, 0, 63), 0);
        assert_eq!(Bits::mask(1, 64, 64), 1);
        assert_eq!(Bits::mask(0, 5, 4), 0);
    }
}
