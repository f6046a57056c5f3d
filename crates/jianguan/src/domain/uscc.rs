//! 统一社会信用代码 (unified social credit code, GB 32100-2015), validated.
//!
//! Eighteen characters from `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z):
//!
//! | positions | meaning |
//! | --- | --- |
//! | 1 | registration authority (9 = market regulation) |
//! | 2 | organisation type (1 = enterprise, 2 = individual business, 3 = cooperative) |
//! | 3–8 | region code of the registering authority (GB/T 2260, digits) |
//! | 9–17 | organisation code (GB 11714): 8 characters and a check digit |
//! | 18 | check character over positions 1–17 |
//!
//! The GB 11714 check digit (position 17) uses weights 3,7,9,10,5,8,4,2 over
//! positions 9–16 with digits worth 0–9 and letters worth A = 10 … Z = 35;
//! `11 − Σ mod 11`, where 10 is written `X` and 11 is written `0`.
//! The GB 32100 check character (position 18) uses weights
//! 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 over positions 1–17 with each
//! character worth its index in the 31-character alphabet; `(31 − Σ mod 31) mod 31`.
//!
//! Some codes issued in early pilot areas fail these checks (e.g.
//! `91350100M0001TGQXM`): [`Uscc::parse_lenient`] accepts them with a
//! [`UsccWarning`], never silently; [`Uscc::parse`] rejects them.

use std::fmt;

/// The 31 characters of GB 32100, in ascending ASCII order; a character's value is its index.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17 for the final check character (GB 32100).
pub const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of positions 9–16 for the organisation-code check digit (GB 11714).
pub const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Length of a code in characters (and bytes: the alphabet is ASCII).
pub const LEN: usize = 18;

/// The value of a character in the GB 32100 alphabet, or `None` outside it.
pub const fn value(byte: u8) -> Option<u32> {
    match byte {
        b'0'..=b'9' => Some((byte - b'0') as u32),
        b'A'..=b'H' => Some((byte - b'A') as u32 + 10),
        b'J'..=b'N' => Some((byte - b'J') as u32 + 18),
        b'P'..=b'R' => Some((byte - b'P') as u32 + 23),
        b'T' | b'U' => Some((byte - b'T') as u32 + 26),
        b'W'..=b'Y' => Some((byte - b'W') as u32 + 28),
        _ => None,
    }
}

/// The value of a character in the GB 11714 organisation-code set: 0–9, A = 10 … Z = 35.
pub const fn org_value(byte: u8) -> Option<u32> {
    match byte {
        b'0'..=b'9' => Some((byte - b'0') as u32),
        b'A'..=b'Z' => Some((byte - b'A') as u32 + 10),
        _ => None,
    }
}

/// The GB 11714 check digit of an 8-character organisation-code body.
///
/// Every byte must be in the GB 32100 alphabet (so also in GB 11714's).
fn org_check(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(&b, w)| org_value(b).unwrap_or(0) * w)
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        digit => b'0' + digit as u8,
    }
}

/// The GB 32100 check character of the first 17 characters.
fn final_check(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| value(b).unwrap_or(0) * w)
        .sum();
    ALPHABET[((31 - sum % 31) % 31) as usize]
}

/// The two check characters (position 17, GB 11714; position 18, GB 32100) of a
/// 16-character body whose characters are known to be in [`ALPHABET`]; a
/// character outside it counts as 0. Use [`Uscc::from_body`] for untrusted text.
pub fn check_characters(body: &[u8; 16]) -> (u8, u8) {
    let org = org_check(&body[8..16]);
    let mut sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| value(b).unwrap_or(0) * w)
        .sum();
    sum += value(org).unwrap_or(0) * WEIGHTS[16];
    (org, ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// A 统一社会信用代码: 18 characters of the GB 32100 alphabet, upper case.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc([u8; LEN]);

/// Why a text is not a 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not 18 characters (or, for [`Uscc::from_body`], not 16 or 17).
    #[error("a 统一社会信用代码 has {expected} characters; got {found}")]
    WrongLength {
        /// Characters expected.
        expected: &'static str,
        /// Characters given.
        found: usize,
    },
    /// A character outside the alphabet, or a non-digit in the region code.
    #[error("character {found:?} at position {position} is not allowed: {reason}")]
    BadCharacter {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
        /// What was expected there.
        reason: &'static str,
    },
    /// Position 17 is not the GB 11714 check digit of positions 9–16.
    #[error(
        "position 17 is {found:?}, but the organisation-code check digit (GB 11714) of positions 9–16 is {expected:?}"
    )]
    BadOrgCheck {
        /// The character given.
        found: char,
        /// The correct check digit.
        expected: char,
    },
    /// Position 18 is not the GB 32100 check character of positions 1–17.
    #[error(
        "position 18 is {found:?}, but the check character (GB 32100) of positions 1–17 is {expected:?}"
    )]
    BadCheck {
        /// The character given.
        found: char,
        /// The correct check character.
        expected: char,
    },
}

/// A code accepted by [`Uscc::parse_lenient`] although its check characters are
/// wrong, as some codes of early pilot areas are. Callers must surface it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{code} fails its check characters ({details}); accepted as a pilot-era code, please verify it with the registry"
)]
pub struct UsccWarning {
    /// The code as accepted.
    pub code: Uscc,
    /// The organisation-code check failure, if any.
    pub org_check: Option<UsccError>,
    /// The final check failure, if any.
    pub final_check: Option<UsccError>,
    details: String,
}

const CHARSET_REASON: &str = "only 0-9 and A-Y without I, O, S, V are used";
const REGION_REASON: &str = "positions 3–8 are a region code of six digits";

impl Uscc {
    /// Parses a code and checks both check characters. Surrounding white space
    /// is removed and lower-case letters are taken as upper case.
    pub fn parse(text: &str) -> Result<Self, UsccError> {
        let code = Self::parse_unchecked(text)?;
        if let Some(error) = code.org_check_error() {
            return Err(error);
        }
        if let Some(error) = code.final_check_error() {
            return Err(error);
        }
        Ok(code)
    }

    /// Parses like [`Uscc::parse`] but accepts a code whose check characters are
    /// wrong, returning a warning that names each failed check.
    pub fn parse_lenient(text: &str) -> Result<(Self, Option<UsccWarning>), UsccError> {
        let code = Self::parse_unchecked(text)?;
        let org_check = code.org_check_error();
        let final_check = code.final_check_error();
        if org_check.is_none() && final_check.is_none() {
            return Ok((code, None));
        }
        let details = [&org_check, &final_check]
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Ok((
            code,
            Some(UsccWarning {
                code,
                org_check,
                final_check,
                details,
            }),
        ))
    }

    /// Completes a body of 16 characters (both check characters computed) or 17
    /// characters (position 17 checked, position 18 computed) into a valid code.
    pub fn from_body(body: &str) -> Result<Self, UsccError> {
        let chars = normalized(body);
        let length = chars.len();
        if length != 16 && length != 17 {
            return Err(UsccError::WrongLength {
                expected: "16 or 17 (a body without check characters)",
                found: length,
            });
        }
        let mut bytes = [0u8; LEN];
        for (index, &c) in chars.iter().enumerate() {
            bytes[index] = checked_byte(index, c)?;
        }
        let org = org_check(&bytes[8..16]);
        if length == 17 && bytes[16] != org {
            return Err(UsccError::BadOrgCheck {
                found: char::from(bytes[16]),
                expected: char::from(org),
            });
        }
        bytes[16] = org;
        bytes[17] = final_check(&bytes[..17]);
        Ok(Self(bytes))
    }

    /// The code, 18 upper-case ASCII characters.
    pub fn as_str(&self) -> &str {
        // Every byte was checked to be in the ASCII alphabet.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The code's bytes.
    pub fn as_bytes(&self) -> &[u8; LEN] {
        &self.0
    }

    /// The six-digit region code (positions 3–8), e.g. `420202`.
    pub fn region(&self) -> &str {
        &self.as_str()[2..8]
    }

    /// The organisation code (positions 9–17) written `XXXXXXXX-X`.
    pub fn organisation_code(&self) -> String {
        let text = self.as_str();
        format!("{}-{}", &text[8..16], &text[16..17])
    }

    /// Whether both check characters are right (always so after [`Uscc::parse`]).
    pub fn is_checked(&self) -> bool {
        self.org_check_error().is_none() && self.final_check_error().is_none()
    }

    fn parse_unchecked(text: &str) -> Result<Self, UsccError> {
        let chars = normalized(text);
        if chars.len() != LEN {
            return Err(UsccError::WrongLength {
                expected: "18",
                found: chars.len(),
            });
        }
        let mut bytes = [0u8; LEN];
        for (index, &c) in chars.iter().enumerate() {
            bytes[index] = checked_byte(index, c)?;
        }
        Ok(Self(bytes))
    }

    fn org_check_error(&self) -> Option<UsccError> {
        let expected = org_check(&self.0[8..16]);
        (self.0[16] != expected).then(|| UsccError::BadOrgCheck {
            found: char::from(self.0[16]),
            expected: char::from(expected),
        })
    }

    fn final_check_error(&self) -> Option<UsccError> {
        let expected = final_check(&self.0[..17]);
        (self.0[17] != expected).then(|| UsccError::BadCheck {
            found: char::from(self.0[17]),
            expected: char::from(expected),
        })
    }
}

/// Trims and upper-cases ASCII letters, keeping other characters for error messages.
fn normalized(text: &str) -> Vec<char> {
    text.trim()
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The byte of character `c` at 0-based `index`, if allowed there.
fn checked_byte(index: usize, c: char) -> Result<u8, UsccError> {
    let bad = |reason| UsccError::BadCharacter {
        position: index + 1,
        found: c,
        reason,
    };
    let byte = u8::try_from(c).map_err(|_| bad(CHARSET_REASON))?;
    if value(byte).is_none() {
        return Err(bad(CHARSET_REASON));
    }
    if (2..8).contains(&index) && !byte.is_ascii_digit() {
        return Err(bad(REGION_REASON));
    }
    Ok(byte)
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.as_str())
    }
}

impl std::str::FromStr for Uscc {
    type Err = UsccError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for Uscc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Uscc {
    /// Strict: a stored code must pass both checks (load pilot-era codes with `parse_lenient`).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_examples_are_valid() -> Result<(), UsccError> {
        for text in ["91350200776049653A", "91350213678251743X"] {
            let code = Uscc::parse(text)?;
            assert_eq!(code.as_str(), text);
            assert!(code.is_checked());
            assert_eq!(Uscc::parse_lenient(text)?, (code, None));
        }
        assert_eq!(
            Uscc::parse("91350200776049653A")?.organisation_code(),
            "77604965-3"
        );
        assert_eq!(Uscc::parse("91350200776049653A")?.region(), "350200");
        Ok(())
    }

    #[test]
    fn pilot_era_code_fails_strictly_and_warns_leniently() -> Result<(), UsccError> {
        let text = "91350100M0001TGQXM";
        assert!(matches!(
            Uscc::parse(text),
            Err(UsccError::BadCheck { found: 'M', .. })
        ));
        let (code, warning) = Uscc::parse_lenient(text)?;
        assert_eq!(code.as_str(), text);
        assert!(!code.is_checked());
        assert!(
            warning.is_some(),
            "a pilot-era code must come with a warning"
        );
        if let Some(warning) = warning {
            assert_eq!(warning.org_check, None);
            assert!(matches!(
                warning.final_check,
                Some(UsccError::BadCheck { found: 'M', .. })
            ));
            assert!(warning.to_string().contains(text));
        }
        Ok(())
    }

    #[test]
    fn from_body_completes_both_check_characters() -> Result<(), UsccError> {
        assert_eq!(
            Uscc::from_body("9135020077604965")?.as_str(),
            "91350200776049653A"
        );
        assert_eq!(
            Uscc::from_body("91350213678251743")?.as_str(),
            "91350213678251743X"
        );
        assert_eq!(
            Uscc::from_body("91350213678251749"),
            Err(UsccError::BadOrgCheck {
                found: '9',
                expected: '3'
            })
        );
        assert!(matches!(
            Uscc::from_body("913502"),
            Err(UsccError::WrongLength { found: 6, .. })
        ));
        Ok(())
    }

    #[test]
    fn check_characters_agrees_with_from_body() -> Result<(), UsccError> {
        let body = *b"914202020000A0XY";
        let (org, check) = check_characters(&body);
        let code = Uscc::from_body("914202020000A0XY")?;
        assert_eq!(code.as_bytes()[16], org);
        assert_eq!(code.as_bytes()[17], check);
        Uscc::parse(code.as_str())?;
        Ok(())
    }

    #[test]
    fn errors_name_length_position_and_checks() {
        assert_eq!(
            Uscc::parse("9135020077604965"),
            Err(UsccError::WrongLength {
                expected: "18",
                found: 16
            })
        );
        assert!(matches!(
            Uscc::parse("91350200776O49653A"),
            Err(UsccError::BadCharacter {
                position: 12,
                found: 'O',
                ..
            })
        ));
        assert!(matches!(
            Uscc::parse("913502007760496５3A"),
            Err(UsccError::BadCharacter { position: 16, .. })
        ));
        assert!(matches!(
            Uscc::parse("91A50200776049653A"),
            Err(UsccError::BadCharacter {
                position: 3,
                found: 'A',
                ..
            })
        ));
        assert_eq!(
            Uscc::parse("91350200776049654A"),
            Err(UsccError::BadOrgCheck {
                found: '4',
                expected: '3'
            })
        );
        assert_eq!(
            Uscc::parse("91350200776049653B"),
            Err(UsccError::BadCheck {
                found: 'B',
                expected: 'A'
            })
        );
        // Length and alphabet errors are not downgraded by the lenient parse.
        assert!(Uscc::parse_lenient("91350200776O49653A").is_err());
    }

    #[test]
    fn input_is_trimmed_and_upper_cased() -> Result<(), UsccError> {
        assert_eq!(
            Uscc::parse(" 91350213678251743x\n")?.as_str(),
            "91350213678251743X"
        );
        Ok(())
    }

    #[test]
    fn alphabet_values_are_indexes() {
        for (index, &byte) in ALPHABET.iter().enumerate() {
            assert_eq!(value(byte), Some(index as u32));
        }
        for byte in [b'I', b'O', b'S', b'V', b'Z', b'a', b'-'] {
            assert_eq!(value(byte), None);
        }
    }

    #[test]
    fn serde_round_trip_is_strict() -> Result<(), serde_json::Error> {
        let code: Uscc = serde_json::from_str("\"91350200776049653A\"")?;
        assert_eq!(serde_json::to_string(&code)?, "\"91350200776049653A\"");
        assert!(serde_json::from_str::<Uscc>("\"91350100M0001TGQXM\"").is_err());
        Ok(())
    }
}
