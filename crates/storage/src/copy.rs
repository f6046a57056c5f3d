//! PostgreSQL's `COPY … FROM STDIN` text format, written from [`Column`]s.
//!
//! One line per row, cells separated by a tab, NULL as `\N`. In a text cell a
//! backslash, tab, newline and carriage return are escaped (`\\`, `\t`, `\n`,
//! `\r`); every other character is sent as it is (so `\.` cannot end the data
//! early: its backslash is doubled). PostgreSQL text cannot hold NUL, so a
//! string with NUL is refused by the server, as a bound parameter would be.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::engine::{Column, date_text};

/// Appends `text` as one escaped cell.
pub fn push_text(out: &mut Vec<u8>, text: &str) {
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escaped: &[u8] = match byte {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&text.as_bytes()[start..index]);
        out.extend_from_slice(escaped);
        start = index + 1;
    }
    out.extend_from_slice(&text.as_bytes()[start..]);
}

/// Appends a NULL cell.
pub fn push_null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\N");
}

fn push_date(out: &mut Vec<u8>, date: NaiveDate) {
    out.extend_from_slice(date_text(date).as_bytes());
}

fn push_cell(out: &mut Vec<u8>, column: &Column, row: usize) {
    match column {
        Column::Text(v) => push_text(out, v.get(row).map_or("", String::as_str)),
        Column::OptText(v) => match v.get(row).and_then(Option::as_deref) {
            Some(text) => push_text(out, text),
            None => push_null(out),
        },
        Column::Int(v) => {
            let mut digits = String::new();
            let _ = write!(digits, "{}", v.get(row).copied().unwrap_or_default());
            out.extend_from_slice(digits.as_bytes());
        }
        Column::Date(v) => push_date(out, v.get(row).copied().unwrap_or_default()),
        Column::OptDate(v) => match v.get(row).copied().flatten() {
            Some(date) => push_date(out, date),
            None => push_null(out),
        },
    }
}

/// The rows of `columns` (all of one length) in COPY text format.
pub fn encode(columns: &[Column]) -> Vec<u8> {
    let rows = columns.first().map_or(0, Column::len);
    let mut out = Vec::with_capacity(rows * columns.len() * 16);
    for row in 0..rows {
        for (index, column) in columns.iter().enumerate() {
            if index > 0 {
                out.push(b'\t');
            }
            push_cell(&mut out, column, row);
        }
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped_and_null_is_backslash_n() {
        let columns = [
            Column::Text(vec!["a\tb\\c\nd\re\\.".into(), "中文".into()]),
            Column::OptText(vec![None, Some("\\N".into())]),
            Column::Int(vec![-7, 42]),
            Column::OptDate(vec![NaiveDate::from_ymd_opt(2026, 3, 1), None]),
        ];
        assert_eq!(
            String::from_utf8_lossy(&encode(&columns)),
            "a\\tb\\\\c\\nd\\re\\\\.\t\\N\t-7\t2026-03-01\n中文\t\\\\N\t42\t\\N\n"
        );
    }

    #[test]
    fn no_rows_is_no_bytes() {
        assert!(encode(&[Column::Text(Vec::new())]).is_empty());
    }

    /// Arbitrary strings (every character but NUL, which PostgreSQL text
    /// cannot hold), NULLs among them, copied into PostgreSQL and read back
    /// unchanged. Runs when `JIANGUAN_TEST_POSTGRES` names a database.
    mod through_postgres {
        use proptest::prelude::*;
        use sqlx::Row as _;

        use super::super::encode;
        use crate::PgStore;
        use crate::engine::{Column, Engine};

        fn round_trip(url: &str, texts: Vec<Option<String>>) -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let store = PgStore::connect(url).await.map_err(|e| e.to_string())?;
                let mut tx = store.begin().await.map_err(|e| e.to_string())?;
                sqlx::query(
                    "CREATE TEMP TABLE copy_round_trip (n int8, t text, d date) ON COMMIT DROP",
                )
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
                let numbers: Vec<i64> = (0..texts.len() as i64).collect();
                let dates = numbers
                    .iter()
                    .map(|n| chrono::NaiveDate::from_num_days_from_ce_opt(700_000 + *n as i32))
                    .collect::<Vec<_>>();
                let data = encode(&[
                    Column::Int(numbers),
                    Column::OptText(texts.clone()),
                    Column::OptDate(dates.clone()),
                ]);
                let copied =
                    PgStore::tx_copy_in(&mut tx, "COPY copy_round_trip (n, t, d) FROM STDIN", data)
                        .await
                        .map_err(|e| e.to_string())?;
                let rows = sqlx::query("SELECT t, d FROM copy_round_trip ORDER BY n")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
                let back: Vec<Option<String>> = rows.iter().map(|r| r.get(0)).collect();
                let back_dates: Vec<Option<chrono::NaiveDate>> =
                    rows.iter().map(|r| r.get(1)).collect();
                drop(tx);
                store.close().await;
                if copied != texts.len() as u64 || back != texts || back_dates != dates {
                    return Err(format!("{copied} rows copied; read back {back:?}"));
                }
                Ok(())
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn arbitrary_strings_round_trip(
                texts in proptest::collection::vec(
                    proptest::option::of("[^\u{0}]{0,40}|[\\\\\t\n\r.N]{0,12}"),
                    0..20,
                )
            ) {
                let Ok(url) = std::env::var("JIANGUAN_TEST_POSTGRES") else {
                    return Ok(());
                };
                prop_assert_eq!(round_trip(&url, texts), Ok(()));
            }
        }
    }
}
