//! CSV formula injection (OWASP "CSV Injection"): a cell that starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading
//! `'`, so that a spreadsheet shows it as text instead of running it. Plain
//! numbers (`-5`, `+86`, `-0.5`) are left alone: a spreadsheet reads them as
//! numbers, never as formulas, and a clerk expects `-5` to stay `-5`.
//!
//! The readers remove that `'` again ([`unguard`]), so an export re-imports
//! unchanged. A value that itself starts with `'`s before such a character
//! gets one more on export, so the round trip is exact for every text.

use std::borrow::Cow;

fn is_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// Whether `text` is a plain decimal number, with an optional sign.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` needs a leading `'` to be safe (after any `'`s it already has).
fn needs_guard(text: &str) -> bool {
    let rest = text.trim_start_matches('\'');
    rest.starts_with(is_trigger) && !(rest.len() == text.len() && is_plain_number(text))
}

/// A cell as written to CSV: with a leading `'` where it could run as a formula.
pub fn guard(cell: &str) -> Cow<'_, str> {
    if needs_guard(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell as read back: the `'` that [`guard`] added removed.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

/// Guards every cell of a row.
pub fn guard_row<S: AsRef<str>>(cells: &[S]) -> Vec<Cow<'_, str>> {
    cells.iter().map(|cell| guard(cell.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_quoted_numbers_are_not() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
            ("-5", "-5"),
            ("+86", "+86"),
            ("-0.5", "-0.5"),
            ("-", "'-"),
            ("黄石市=商贸", "黄石市=商贸"),
            ("'quoted", "'quoted"),
            ("", ""),
        ] {
            assert_eq!(guard(cell), written, "{cell:?}");
            assert_eq!(unguard(written), cell, "{written:?}");
        }
    }

    proptest! {
        #[test]
        fn guard_round_trips(cell in "['=+@\t\r-]{0,3}[0-9a-z.=+@'-]{0,6}") {
            let written = guard(&cell);
            prop_assert!(!written.starts_with(is_trigger) || is_plain_number(&written));
            prop_assert_eq!(unguard(&written), cell.as_str());
        }
    }
}
