//! 居民身份证号码 (citizen identity number, GB 11643-1999), validated.
//!
//! Eighteen characters: a six-digit address code, the birth date `YYYYMMDD`, a
//! three-digit sequence number (odd for men, even for women) and a check
//! character. The check is `Σ digit × weight mod 11` over the first 17 digits
//! with weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2, mapped through
//! `1,0,X,9,8,7,6,5,4,3,2`. Old 15-digit numbers are not accepted.
//!
//! The address code is checked for its shape only: its first two digits are a
//! province-level code of GB/T 2260 (11–15, 21–23, 31–37, 41–46, 50–54,
//! 61–65, 71 Taiwan, 81 Hong Kong, 82 Macao). Counties are not looked up.
//!
//! An identity number is personal data: `Debug` masks the birth date and
//! sequence number; `Display` and [`IdCardNo::as_str`] give the full number.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// Weights of the first 17 digits.
pub const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character for each value of `Σ mod 11`.
pub const CHECK: [u8; 11] = *b"10X98765432";

/// Length in characters.
pub const LEN: usize = 18;

/// The earliest birth year accepted.
pub const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// The province-level codes of GB/T 2260 that begin an address code.
pub const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// A 居民身份证号码 whose check character and birth date are valid.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdCardNo([u8; LEN]);

/// Why a text is not a 居民身份证号码.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    /// Not 18 characters.
    #[error("a 居民身份证号码 has 18 characters; got {found}")]
    WrongLength {
        /// Characters given.
        found: usize,
    },
    /// A non-digit in positions 1–17, or neither a digit nor `X` in position 18.
    #[error("character {found:?} at position {position} is not allowed: {reason}")]
    BadCharacter {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
        /// What was expected there.
        reason: &'static str,
    },
    /// Positions 1–2 are not a province-level code of GB/T 2260.
    #[error("positions 1–2 ({found}) are not a province-level address code (GB/T 2260)")]
    BadRegion {
        /// The two digits given.
        found: String,
    },
    /// Positions 7–14 are not a date, or one before 1900 or after today.
    #[error("positions 7–14 ({found}) are not a possible birth date: {reason}")]
    BadBirthDate {
        /// The eight characters given.
        found: String,
        /// Why not.
        reason: &'static str,
    },
    /// Position 18 is not the check character of positions 1–17.
    #[error(
        "position 18 is {found:?}, but the check character (GB 11643) of positions 1–17 is {expected:?}"
    )]
    BadCheck {
        /// The character given.
        found: char,
        /// The correct check character.
        expected: char,
    },
}

impl IdCardError {
    /// The reason in Chinese, for pages and report files (built from the
    /// error's values; the English `Display` stays for the CLI).
    pub fn reason_zh(&self) -> String {
        match self {
            Self::WrongLength { found } => format!("居民身份证号码应为18位，实际为{found}位"),
            Self::BadCharacter {
                position, found, ..
            } => {
                format!("第{position}位字符“{found}”不合法（前17位为数字，第18位为数字或X）")
            }
            Self::BadRegion { found } => {
                format!("第1–2位“{found}”不是省级行政区划代码（GB/T 2260）")
            }
            Self::BadBirthDate { found, reason } => {
                let why = match *reason {
                    "before 1900" => "早于1900年",
                    "in the future" => "晚于今天",
                    _ => "不是有效日期",
                };
                format!("第7–14位“{found}”不是可能的出生日期（{why}）")
            }
            Self::BadCheck { found, expected } => {
                format!("第18位校验码（GB 11643）应为“{expected}”，实际为“{found}”")
            }
        }
    }
}

/// Sex as encoded in the sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Odd sequence number.
    Male,
    /// Even sequence number.
    Female,
}

impl IdCardNo {
    /// Parses a number, checking the check character and that the birth date is
    /// a real date between 1900-01-01 and today (China Standard Time).
    /// Surrounding white space is removed and `x` is taken as `X`.
    pub fn parse(text: &str) -> Result<Self, IdCardError> {
        Self::parse_at(text, crate::clock::today())
    }

    /// Like [`IdCardNo::parse`] with an explicit "today", for reproducible checks.
    pub fn parse_at(text: &str, today: NaiveDate) -> Result<Self, IdCardError> {
        let chars: Vec<char> = text.trim().chars().collect();
        if chars.len() != LEN {
            return Err(IdCardError::WrongLength { found: chars.len() });
        }
        let mut bytes = [0u8; LEN];
        for (index, &c) in chars.iter().enumerate() {
            bytes[index] = match c {
                '0'..='9' => c as u8,
                'x' | 'X' if index == LEN - 1 => b'X',
                _ => {
                    let reason = if index == LEN - 1 {
                        "the check character is a digit or X"
                    } else {
                        "positions 1–17 are digits"
                    };
                    return Err(IdCardError::BadCharacter {
                        position: index + 1,
                        found: c,
                        reason,
                    });
                }
            };
        }
        let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !PROVINCES.contains(&province) {
            return Err(IdCardError::BadRegion {
                found: format!("{province:02}"),
            });
        }
        let digits = &bytes[6..14];
        let text_date = String::from_utf8_lossy(digits).into_owned();
        let number = |range: std::ops::Range<usize>| {
            digits[range]
                .iter()
                .fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'))
        };
        let year = i32::try_from(number(0..4)).unwrap_or(0);
        let date = NaiveDate::from_ymd_opt(year, number(4..6), number(6..8)).ok_or_else(|| {
            IdCardError::BadBirthDate {
                found: text_date.clone(),
                reason: "no such calendar date",
            }
        })?;
        if date.year() < EARLIEST_BIRTH_YEAR {
            return Err(IdCardError::BadBirthDate {
                found: text_date,
                reason: "before 1900",
            });
        }
        if date > today {
            return Err(IdCardError::BadBirthDate {
                found: text_date,
                reason: "in the future",
            });
        }
        let expected = check_character(&bytes[..17]);
        if bytes[17] != expected {
            return Err(IdCardError::BadCheck {
                found: char::from(bytes[17]),
                expected: char::from(expected),
            });
        }
        Ok(Self(bytes))
    }

    /// The number, 18 ASCII characters with an upper-case `X` if any.
    pub fn as_str(&self) -> &str {
        // Every byte is an ASCII digit or 'X'.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The six-digit address code of the place of first registration.
    pub fn region(&self) -> &str {
        &self.as_str()[..6]
    }

    /// The birth date (checked on parse).
    pub fn birth_date(&self) -> NaiveDate {
        let digit = |i: usize| u32::from(self.0[i] - b'0');
        let year = (digit(6) * 1000 + digit(7) * 100 + digit(8) * 10 + digit(9)) as i32;
        NaiveDate::from_ymd_opt(year, digit(10) * 10 + digit(11), digit(12) * 10 + digit(13))
            .unwrap_or_default()
    }

    /// Sex from the parity of the sequence number.
    pub fn sex(&self) -> Sex {
        if (self.0[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The number with birth date and sequence masked: `110105********002X` → `110105********`…
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.as_str()[..6], &self.as_str()[14..])
    }
}

/// The GB 11643 check character of 17 ASCII digits.
///
/// Non-digit bytes count as 0; callers pass digits.
pub fn check_character(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| u32::from(b.wrapping_sub(b'0') % 10) * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl fmt::Display for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

impl std::str::FromStr for IdCardNo {
    type Err = IdCardError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl AsRef<str> for IdCardNo {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
    }

    #[test]
    fn brief_example_is_valid() -> Result<(), IdCardError> {
        let id = IdCardNo::parse("11010519491231002X")?;
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.region(), "110105");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap_or_default()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(IdCardNo::parse(" 11010519491231002x ")?, id);
        assert_eq!(format!("{id:?}"), "IdCardNo(110105********002X)");
        Ok(())
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert_eq!(
            IdCardNo::parse_at("110105194912310", today()),
            Err(IdCardError::WrongLength { found: 15 })
        );
        assert!(matches!(
            IdCardNo::parse_at("1101051949123100XX", today()),
            Err(IdCardError::BadCharacter {
                position: 17,
                found: 'X',
                ..
            })
        ));
        assert_eq!(
            IdCardNo::parse_at("110105194912310021", today()),
            Err(IdCardError::BadCheck {
                found: '1',
                expected: 'X'
            })
        );
        // 1949-02-30 does not exist; the check character is computed so only the date is wrong.
        let mut body = *b"11010519490230002?";
        body[17] = check_character(&body[..17]);
        let text = String::from_utf8_lossy(&body).into_owned();
        assert!(matches!(
            IdCardNo::parse_at(&text, today()),
            Err(IdCardError::BadBirthDate { .. })
        ));
        let mut future = *b"11010520300101002?";
        future[17] = check_character(&future[..17]);
        let text = String::from_utf8_lossy(&future).into_owned();
        assert!(matches!(
            IdCardNo::parse_at(&text, today()),
            Err(IdCardError::BadBirthDate {
                reason: "in the future",
                ..
            })
        ));
        let mut old = *b"11010518991231002?";
        old[17] = check_character(&old[..17]);
        let text = String::from_utf8_lossy(&old).into_owned();
        assert!(matches!(
            IdCardNo::parse_at(&text, today()),
            Err(IdCardError::BadBirthDate {
                reason: "before 1900",
                ..
            })
        ));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default()
    }

    /// A valid number: any address code, any birth date from 1900-01-01 to `today()`,
    /// any sequence number, and the computed check character.
    fn valid_number() -> impl Strategy<Value = String> {
        let first = NaiveDate::from_ymd_opt(EARLIEST_BIRTH_YEAR, 1, 1).unwrap_or_default();
        let days = (today() - first).num_days();
        (
            prop::sample::select(&PROVINCES[..]),
            "[0-9]{4}",
            0..=days,
            "[0-9]{3}",
        )
            .prop_map(move |(province, county, offset, sequence)| {
                let birth = first + chrono::TimeDelta::days(offset);
                let body = format!("{province:02}{county}{}{sequence}", birth.format("%Y%m%d"));
                let check = char::from(check_character(body.as_bytes()));
                format!("{body}{check}")
            })
    }

    /// Every text one substitution away from `text` over digits and `X`.
    fn substitutions(text: &str) -> Vec<String> {
        let mut changed = Vec::new();
        for position in 0..text.len() {
            for replacement in "0123456789X".chars() {
                let mut chars: Vec<char> = text.chars().collect();
                if chars[position] != replacement {
                    chars[position] = replacement;
                    changed.push(chars.into_iter().collect());
                }
            }
        }
        changed
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_valid_body_with_its_check_parses(text in valid_number()) {
            let id = IdCardNo::parse_at(&text, today());
            prop_assert!(id.is_ok(), "{text}: {id:?}");
            if let Ok(id) = id {
                prop_assert_eq!(id.as_str(), text.as_str());
            }
        }

        #[test]
        fn any_single_character_change_is_rejected(
            text in valid_number(),
            position in 0usize..LEN,
            replacement in prop::sample::select("0123456789XAZ-. 一".chars().collect::<Vec<_>>()),
        ) {
            let mut chars: Vec<char> = text.chars().collect();
            prop_assume!(chars[position] != replacement);
            chars[position] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(IdCardNo::parse_at(&changed, today()).is_err(), "{changed} was accepted");
        }

        /// The check is Σ aᵢwᵢ + c ≡ 1 (mod 11) with every weight 2ᵏ prime to 11:
        /// changing one character moves the sum by a nonzero multiple of a unit,
        /// so every single substitution is caught (a theorem, checked exhaustively).
        #[test]
        fn every_single_substitution_is_detected(text in valid_number()) {
            for changed in substitutions(&text) {
                prop_assert!(IdCardNo::parse_at(&changed, today()).is_err(), "{changed} (from {text}) was accepted");
            }
        }

        /// Adjacent weights differ (2ᵏ⁺¹ ≢ 2ᵏ mod 11), so every swap of two different
        /// adjacent characters is caught too.
        #[test]
        fn every_adjacent_swap_is_detected(text in valid_number()) {
            let chars: Vec<char> = text.chars().collect();
            for position in 0..LEN - 1 {
                if chars[position] == chars[position + 1] {
                    continue;
                }
                let mut swapped = chars.clone();
                swapped.swap(position, position + 1);
                let swapped: String = swapped.into_iter().collect();
                prop_assert!(IdCardNo::parse_at(&swapped, today()).is_err(), "{swapped} (from {text}) was accepted");
            }
        }

        #[test]
        fn the_check_character_is_recomputed(text in "[0-9]{17}[0-9X]") {
            if let Ok(id) = IdCardNo::parse_at(&text, today()) {
                prop_assert_eq!(check_character(&id.as_str().as_bytes()[..17]), id.as_str().as_bytes()[17]);
                prop_assert!(PROVINCES.contains(&text[..2].parse::<u8>().unwrap_or(0)));
                prop_assert!(id.birth_date() <= today());
            }
        }

        #[test]
        fn deleting_or_inserting_a_character_is_rejected(text in valid_number(), position in 0usize..LEN) {
            let mut shorter = text.clone();
            shorter.remove(position);
            prop_assert!(IdCardNo::parse_at(&shorter, today()).is_err());
            let mut longer = text.clone();
            longer.insert(position, '1');
            prop_assert!(IdCardNo::parse_at(&longer, today()).is_err());
        }
    }

    proptest! {
        #![proptest_config(crate::fuzz_config())]

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            let _ = IdCardNo::parse_at(&text, today());
            let _ = IdCardNo::parse_at(&String::from_utf8_lossy(&bytes), today());
            let _ = check_character(&bytes);
        }
    }
}
