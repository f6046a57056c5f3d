//! Prints `year_listing` for every year of the embedded calendar (or of the
//! years given as arguments), for `scripts/crosscheck.py`.
//!
//! `cargo run -q -p workcal --example dump [YEAR ...]`

use std::process::ExitCode;

fn main() -> ExitCode {
    let cal = match workcal::Calendar::embedded() {
        Ok(cal) => cal,
        Err(e) => {
            eprintln!("dump: {e}");
            return ExitCode::from(2);
        }
    };
    let mut years: Vec<i32> = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.parse() {
            Ok(y) => years.push(y),
            Err(_) => {
                eprintln!("dump: not a year: {arg}");
                return ExitCode::from(2);
            }
        }
    }
    if years.is_empty() {
        years = cal.years().collect();
    }
    for year in years {
        match cal.year_listing(year) {
            Ok(listing) => print!("{listing}"),
            Err(e) => {
                eprintln!("dump: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
