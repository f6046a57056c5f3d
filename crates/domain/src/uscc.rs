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
//!
//! Imports decide with [`Uscc::parse_for_import`]: a code whose organisation
//! code passes GB 11714 but whose final character fails GB 32100 is a typo
//! (a single changed character always breaks the final check, the mod-31 sum
//! having weights prime to 31) and is rejected; a code failing both checks is
//! the pilot pattern, accepted with a warning unless the import is strict.

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
    /// The organisation code (positions 9–17) passes GB 11714 but position 18
    /// fails GB 32100: the pattern of a mistyped code, never of a pilot-era one.
    #[error(
        "position 18 is {found:?}, but the check character (GB 32100) of positions 1–17 is {expected:?} \
         while the organisation code passes GB 11714: a mistyped code"
    )]
    Mistyped {
        /// The character given.
        found: char,
        /// The correct check character.
        expected: char,
    },
}

impl UsccError {
    /// The reason in Chinese, for pages and report files.
    pub fn reason_zh(&self) -> String {
        match self {
            Self::WrongLength { found, .. } => format!("统一社会信用代码应为18位，实际为{found}位"),
            Self::BadCharacter {
                position, found, ..
            } => {
                format!("第{position}位字符“{found}”不合法（不使用I、O、S、V、Z，第3–8位为数字）")
            }
            Self::BadOrgCheck { found, expected } => {
                format!(
                    "统一社会信用代码第17位（组织机构代码校验位，GB 11714）应为“{expected}”，实际为“{found}”"
                )
            }
            Self::BadCheck { found, expected } => {
                format!("统一社会信用代码第18位校验位（GB 32100）应为“{expected}”，实际为“{found}”")
            }
            Self::Mistyped { found, expected } => format!(
                "统一社会信用代码疑似录入错误：组织机构代码校验通过，但第18位校验位应为“{expected}”，实际为“{found}”"
            ),
        }
    }
}

/// How a well-formed code stands against its two check characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// Both check characters are right: a 统一社会信用代码.
    Valid,
    /// The organisation code passes, the final character fails: a typo.
    Mistyped,
    /// The organisation code fails (the final character either way): the pilot pattern.
    Pilot,
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

    /// Parses a code read from an import file: a valid code is taken; a
    /// mistyped one ([`CheckStatus::Mistyped`]) is refused with
    /// [`UsccError::Mistyped`]; a pilot-pattern code is taken with a warning,
    /// or refused with its first failed check when `strict`.
    pub fn parse_for_import(
        text: &str,
        strict: bool,
    ) -> Result<(Self, Option<UsccWarning>), UsccError> {
        let (code, warning) = Self::parse_lenient(text)?;
        let Some(warning) = warning else {
            return Ok((code, None));
        };
        match (code.status(), &warning.org_check, &warning.final_check) {
            (CheckStatus::Mistyped, _, Some(UsccError::BadCheck { found, expected })) => {
                Err(UsccError::Mistyped {
                    found: *found,
                    expected: *expected,
                })
            }
            (_, Some(error), _) | (_, None, Some(error)) if strict => Err(error.clone()),
            _ => Ok((code, Some(warning))),
        }
    }

    /// How the code stands against its check characters.
    pub fn status(&self) -> CheckStatus {
        match (self.org_check_error(), self.final_check_error()) {
            (None, None) => CheckStatus::Valid,
            (None, Some(_)) => CheckStatus::Mistyped,
            (Some(_), _) => CheckStatus::Pilot,
        }
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
    fn imports_refuse_mistyped_codes_and_warn_of_pilot_ones() -> Result<(), UsccError> {
        // One character changed in the region: the organisation code still passes.
        assert_eq!(
            Uscc::parse_for_import("91350300776049653A", false),
            Err(UsccError::Mistyped {
                found: 'A',
                expected: 'F'
            })
        );
        let (code, warning) = Uscc::parse_for_import("91350100M0001TGQ0M", false)?;
        assert_eq!(code.status(), CheckStatus::Pilot);
        // Often quoted as pilot-era, but M0001TGQ's GB 11714 check digit is X: only the final fails.
        assert!(matches!(
            Uscc::parse_for_import("91350100M0001TGQXM", false),
            Err(UsccError::Mistyped { .. })
        ));
        assert!(warning.is_some());
        assert!(matches!(
            Uscc::parse_for_import("91350100M0001TGQ0M", true),
            Err(UsccError::BadOrgCheck { .. })
        ));
        assert_eq!(
            Uscc::parse_for_import("91350200776049653A", true)?,
            (Uscc::parse("91350200776049653A")?, None)
        );
        // A valid code may be all digits.
        assert_eq!(
            Uscc::parse("123501001000000406")?.status(),
            CheckStatus::Valid
        );
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

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// A valid code: any authority and type characters, a six-digit region,
    /// any organisation-code body, both check characters computed.
    fn valid_code() -> impl Strategy<Value = Uscc> {
        let character = || prop::sample::select(&ALPHABET[..]);
        (
            character(),
            character(),
            prop::collection::vec(0u8..10, 6),
            prop::collection::vec(character(), 8),
        )
            .prop_map(|(authority, kind, region, organisation)| {
                let mut body = [0u8; 16];
                body[0] = authority;
                body[1] = kind;
                for (slot, digit) in body[2..8].iter_mut().zip(region) {
                    *slot = b'0' + digit;
                }
                body[8..].copy_from_slice(&organisation);
                let (org, check) = check_characters(&body);
                let mut code = [0u8; LEN];
                code[..16].copy_from_slice(&body);
                code[16] = org;
                code[17] = check;
                Uscc(code)
            })
    }

    /// Asserts how every import decides a code one change away from a valid one:
    /// never valid (the final check catches it); a mistyped code when the
    /// organisation code still passes; else the pilot pattern, refused when strict.
    fn assert_changed_code_decided(changed: &str, from: &Uscc) -> Result<(), TestCaseError> {
        prop_assert!(
            Uscc::parse(changed).is_err(),
            "{changed} (from {from}) was accepted"
        );
        let Ok((code, _)) = Uscc::parse_lenient(changed) else {
            return Ok(());
        };
        prop_assert!(Uscc::parse_for_import(changed, true).is_err());
        match code.status() {
            CheckStatus::Valid => prop_assert!(false, "{changed} passes both checks"),
            CheckStatus::Mistyped => {
                prop_assert!(
                    matches!(
                        Uscc::parse_for_import(changed, false),
                        Err(UsccError::Mistyped { .. })
                    ),
                    "decided otherwise"
                );
            }
            CheckStatus::Pilot => {
                prop_assert!(
                    matches!(Uscc::parse_for_import(changed, false), Ok((_, Some(_)))),
                    "decided otherwise"
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn a_valid_code_parses_and_its_checks_recompute(code in valid_code()) {
            prop_assert_eq!(Uscc::parse(code.as_str()), Ok(code));
            prop_assert_eq!(Uscc::parse_for_import(code.as_str(), true), Ok((code, None)));
            prop_assert_eq!(Uscc::from_body(&code.as_str()[..16]), Ok(code));
            prop_assert_eq!(code.status(), CheckStatus::Valid);
        }

        /// The final check is Σ vᵢwᵢ + c ≡ 0 (mod 31) with every weight 3ᵏ prime to
        /// 31: any single substitution moves the sum by a nonzero amount, so it is
        /// always detected (a theorem, checked exhaustively for each code).
        #[test]
        fn every_single_substitution_is_detected(code in valid_code()) {
            for position in 0..LEN {
                for &replacement in ALPHABET {
                    let mut bytes = *code.as_bytes();
                    if bytes[position] == replacement {
                        continue;
                    }
                    bytes[position] = replacement;
                    let changed = String::from_utf8_lossy(&bytes).into_owned();
                    assert_changed_code_decided(&changed, &code)?;
                    // A change outside positions 9–17 leaves the organisation code right: a typo.
                    if !(8..17).contains(&position) && (!(2..8).contains(&position) || replacement.is_ascii_digit()) {
                        prop_assert!(matches!(Uscc::parse_for_import(&changed, false), Err(UsccError::Mistyped { .. })), "decided otherwise");
                    }
                }
            }
        }

        /// Adjacent weights differ (3ᵏ⁺¹ ≢ 3ᵏ mod 31): every swap of two different
        /// adjacent characters is detected as well.
        #[test]
        fn every_adjacent_swap_is_detected(code in valid_code()) {
            for position in 0..LEN - 1 {
                let mut bytes = *code.as_bytes();
                if bytes[position] == bytes[position + 1] {
                    continue;
                }
                bytes.swap(position, position + 1);
                assert_changed_code_decided(&String::from_utf8_lossy(&bytes), &code)?;
            }
        }


        #[test]
        fn code_shaped_text_is_decided_consistently(text in "[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}") {
            let (code, warning) = Uscc::parse_lenient(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(warning.is_none(), code.status() == CheckStatus::Valid);
            prop_assert_eq!(Uscc::parse(&text).is_ok(), code.status() == CheckStatus::Valid);
            match code.status() {
                CheckStatus::Valid => prop_assert_eq!(Uscc::parse_for_import(&text, false), Ok((code, None))),
                CheckStatus::Mistyped => prop_assert!(matches!(Uscc::parse_for_import(&text, false), Err(UsccError::Mistyped { .. })), "decided otherwise"),
                CheckStatus::Pilot => {
                    prop_assert!(matches!(Uscc::parse_for_import(&text, false), Ok((_, Some(_)))), "decided otherwise");
                    prop_assert!(Uscc::parse_for_import(&text, true).is_err());
                }
            }
        }
    }

    proptest! {
        #![proptest_config(crate::fuzz_config())]

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            for text in [text, String::from_utf8_lossy(&bytes).into_owned()] {
                let _ = Uscc::parse(&text);
                let _ = Uscc::parse_for_import(&text, false);
                let _ = Uscc::from_body(&text);
                if let Ok((code, _)) = Uscc::parse_lenient(&text) {
                    prop_assert_eq!(code.as_str().len(), LEN);
                    let _ = (code.region(), code.organisation_code(), code.status());
                }
            }
        }
    }
}
