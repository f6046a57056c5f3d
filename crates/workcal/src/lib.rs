#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod lunar_table;
mod parse;
mod statutory;
mod year;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::parse::is_weekend;
use crate::year::{Bits, YearData};

pub use crate::statutory::{
    AMENDED_2024_FROM, FIRST_PROVISIONAL_YEAR, LAST_PROVISIONAL_YEAR, StatutoryDay, statutory_days,
};

/// The embedded data file `data/cn-workdays.toml` (years 2020–2026).
pub const EMBEDDED_DATA: &str = include_str!("../data/cn-workdays.toml");

/// The marker (暂定) that must accompany any result computed with a
/// provisional year: the statutory holidays and 补假 of 《全国年节及纪念日放假办法》
/// for a year whose State Council notice is not loaded.
pub const PROVISIONAL_NOTE: &str = "暂定（按法定节假日推算，未发布放假安排）";

/// The marker for a result that needed a year beyond the lunar table
/// ([`LAST_PROVISIONAL_YEAR`]) or before [`FIRST_PROVISIONAL_YEAR`], taken as
/// Monday–Friday working.
pub const ESTIMATE_NOTE: &str = "暂定（按周末推算，未发布放假安排）";

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The calendar has no data for this year (its State Council notice has not
    /// been published, or has not been added). Nothing is guessed.
    #[error(
        "no holiday arrangements for {0} in the working-day calendar: add the year's State Council notice with an override file, or ask explicitly for a weekends-only estimate"
    )]
    UnknownYear(i32),
    /// Date arithmetic went past the range of dates that can be represented.
    #[error("date out of the representable range")]
    DateOutOfRange,
    /// A calendar data file has problems; every problem found is listed.
    #[error("invalid calendar data in {origin}: {}", join_problems(.problems))]
    InvalidData {
        /// Where the data came from (a path, or a description).
        origin: String,
        /// Every problem found, in line order.
        problems: Vec<Problem>,
    },
    /// A calendar data file could not be read.
    #[error("cannot read calendar data {}: {message}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
}

fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One problem found in a calendar data file. Displays as `line N: message`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Problem {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong, in English.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What kind of day a date is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind")]
pub enum DayKind {
    /// An ordinary Monday–Friday working day.
    #[serde(rename = "workday")]
    Working,
    /// An ordinary Saturday or Sunday.
    #[serde(rename = "weekend")]
    Weekend,
    /// A day off announced for a statutory holiday (on any weekday, weekend
    /// days inside an announced block included).
    #[serde(rename = "holiday")]
    Holiday {
        /// The holiday, e.g. `春节` or `国庆节、中秋节`.
        name: String,
    },
    /// A Saturday or Sunday that is a working day (调休上班).
    #[serde(rename = "makeup")]
    MakeUpWorkday {
        /// The holiday this day makes up for.
        name: String,
    },
}

impl DayKind {
    /// Whether people work on this day.
    pub fn is_working(&self) -> bool {
        matches!(self, DayKind::Working | DayKind::MakeUpWorkday { .. })
    }

    /// `workday`, `weekend`, `holiday` or `makeup` (as in [`Calendar::year_listing`]).
    pub fn label(&self) -> &'static str {
        match self {
            DayKind::Working => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday { .. } => "holiday",
            DayKind::MakeUpWorkday { .. } => "makeup",
        }
    }

    /// The holiday name for holidays and make-up days.
    pub fn name(&self) -> Option<&str> {
        match self {
            DayKind::Holiday { name } | DayKind::MakeUpWorkday { name } => Some(name),
            DayKind::Working | DayKind::Weekend => None,
        }
    }
}

/// The kind of `date` by weekday alone (Monday–Friday working), ignoring
/// holidays: the basis of [`Estimating`]. Results must be shown with
/// [`ESTIMATE_NOTE`].
pub fn weekends_only_kind(date: NaiveDate) -> DayKind {
    if is_weekend(date) {
        DayKind::Weekend
    } else {
        DayKind::Working
    }
}

/// A time limit of N working days ("N个工作日内").
///
/// The start day does not count; the limit runs to the end (24:00) of
/// `last_day`, the N-th working day after the start day. For N = 0 the last
/// day is the start day itself, whatever kind of day it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Deadline {
    /// The day the period starts from (not counted).
    pub start: NaiveDate,
    /// N.
    pub working_days: u32,
    /// The last day of the period; the limit ends at the end of this day.
    pub last_day: NaiveDate,
}

impl Deadline {
    /// Whether something done on `date` is late.
    pub fn is_overdue_on(&self, date: NaiveDate) -> bool {
        date > self.last_day
    }
}

/// A result that may rest on a provisional year (暂定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Estimated<T> {
    /// The result.
    pub value: T,
    /// True when some day involved lies in a year without a loaded notice:
    /// the result is provisional (暂定) and may change when the notice is loaded.
    pub provisional: bool,
    /// True when, moreover, some such year lies outside the lunar table and
    /// was taken as Monday–Friday working (no holidays at all).
    pub weekends_only: bool,
}

impl<T> Estimated<T> {
    /// The marker to show beside a provisional result: [`ESTIMATE_NOTE`] or
    /// [`PROVISIONAL_NOTE`]; `None` when the result rests on notices only.
    pub fn note(&self) -> Option<&'static str> {
        if self.weekends_only {
            Some(ESTIMATE_NOTE)
        } else {
            self.provisional.then_some(PROVISIONAL_NOTE)
        }
    }
}

/// Mainland China's working-day calendar: which days are worked, by year.
///
/// Build it once ([`Calendar::embedded`], optionally followed by
/// [`Calendar::with_override_file`]) and share it: it is immutable, and every
/// query is a map lookup and a few bit operations.
#[derive(Debug, Clone)]
pub struct Calendar {
    years: BTreeMap<i32, YearData>,
    /// Provisional years [`FIRST_PROVISIONAL_YEAR`]`..=`[`LAST_PROVISIONAL_YEAR`],
    /// used only for years missing from `years`.
    provisional: Arc<BTreeMap<i32, YearData>>,
}

fn provisional_years() -> Result<BTreeMap<i32, YearData>, Error> {
    (FIRST_PROVISIONAL_YEAR..=LAST_PROVISIONAL_YEAR)
        .map(|year| {
            statutory::provisional_spec(year)
                .and_then(YearData::build)
                .map(|data| (year, data))
                .ok_or(Error::DateOutOfRange)
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Estimate,
}

/// Per-query state: the mode and whether a provisional year was used.
struct Query<'a> {
    cal: &'a Calendar,
    mode: Mode,
    provisional: bool,
    weekends_only: bool,
}

impl Query<'_> {
    fn bits(&mut self, year: i32) -> Result<Bits, Error> {
        if let Some(data) = self.cal.years.get(&year) {
            return Ok(data.bits);
        }
        match self.mode {
            Mode::Strict => Err(Error::UnknownYear(year)),
            Mode::Estimate => {
                self.provisional = true;
                if let Some(data) = self.cal.provisional.get(&year) {
                    return Ok(data.bits);
                }
                self.weekends_only = true;
                Bits::weekends_only(year).ok_or(Error::DateOutOfRange)
            }
        }
    }

    fn is_working_day(&mut self, date: NaiveDate) -> Result<bool, Error> {
        Ok(self.bits(date.year())?.get(date.ordinal0()))
    }

    fn day_kind(&mut self, date: NaiveDate) -> Result<DayKind, Error> {
        self.bits(date.year())?;
        Ok(match self.cal.year_data(date.year()) {
            Some(data) => kind_in(data, date),
            None => weekends_only_kind(date),
        })
    }

    fn year_listing(&mut self, year: i32) -> Result<String, Error> {
        let bits = self.bits(year)?;
        let data = self.cal.year_data(year);
        let first = NaiveDate::from_yo_opt(year, 1).ok_or(Error::DateOutOfRange)?;
        let mut out = String::with_capacity(bits.len() as usize * 32);
        for date in first.iter_days().take(bits.len() as usize) {
            let kind = match data {
                Some(data) => kind_in(data, date),
                None => weekends_only_kind(date),
            };
            out.push_str(&format!(
                "{date}\t{}\t{}\t{}\n",
                if kind.is_working() { "work" } else { "off" },
                kind.label(),
                kind.name().unwrap_or("")
            ));
        }
        Ok(out)
    }

    fn add_working_days(&mut self, date: NaiveDate, n: u32) -> Result<NaiveDate, Error> {
        let mut year = date.year();
        let mut bits = self.bits(year)?;
        let ord0 = date.ordinal0();
        let mut remaining = n;
        if n == 0 {
            if bits.get(ord0) {
                return Ok(date);
            }
            remaining = 1;
        }
        let mut from = ord0 + 1;
        loop {
            match bits.select(from, remaining) {
                Ok(ord) => {
                    return NaiveDate::from_yo_opt(year, ord + 1).ok_or(Error::DateOutOfRange);
                }
                Err(seen) => remaining -= seen,
            }
            year = year.checked_add(1).ok_or(Error::DateOutOfRange)?;
            from = 0;
            bits = self.bits(year)?;
        }
    }

    fn working_days_between(&mut self, a: NaiveDate, b: NaiveDate) -> Result<i64, Error> {
        // Check the endpoints first so that an error names the year asked about.
        self.bits(a.year())?;
        self.bits(b.year())?;
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut total: i64 = 0;
        for year in lo.year()..=hi.year() {
            let bits = self.bits(year)?;
            let from = if year == lo.year() {
                lo.ordinal0() + 1
            } else {
                0
            };
            let to = if year == hi.year() {
                hi.ordinal0()
            } else {
                bits.len().saturating_sub(1)
            };
            total += i64::from(bits.count(from, to));
        }
        Ok(sign * total)
    }

    fn deadline(&mut self, start: NaiveDate, n: u32) -> Result<Deadline, Error> {
        let last_day = if n == 0 {
            self.bits(start.year())?;
            start
        } else {
            self.add_working_days(start, n)?
        };
        Ok(Deadline {
            start,
            working_days: n,
            last_day,
        })
    }
}

fn kind_in(data: &YearData, date: NaiveDate) -> DayKind {
    match data.special.get(&date.ordinal0()) {
        Some(year::Special::Holiday(name)) => DayKind::Holiday { name: name.clone() },
        Some(year::Special::Makeup(name)) => DayKind::MakeUpWorkday { name: name.clone() },
        None => weekends_only_kind(date),
    }
}

impl Calendar {
    /// The calendar of the embedded data file (2020–2026).
    ///
    /// Fails only if the crate was built with a broken data file, which its
    /// tests rule out.
    pub fn embedded() -> Result<Calendar, Error> {
        Self::from_toml_str_named(EMBEDDED_DATA, "embedded data/cn-workdays.toml")
    }

    /// A calendar holding exactly the years of `text` (data file format).
    pub fn from_toml_str(text: &str) -> Result<Calendar, Error> {
        Self::from_toml_str_named(text, "calendar data")
    }

    fn from_toml_str_named(text: &str, origin: &str) -> Result<Calendar, Error> {
        Ok(Calendar {
            years: load(text, origin)?,
            provisional: Arc::new(provisional_years()?),
        })
    }

    /// A loaded year, else its provisional year.
    fn year_data(&self, year: i32) -> Option<&YearData> {
        self.years
            .get(&year)
            .or_else(|| self.provisional.get(&year))
    }

    /// A new calendar: this one with the years of `text` (data file format)
    /// added, each replacing the same year wholesale if present. On any problem
    /// in `text` the error lists every problem (and `self` is unchanged).
    pub fn with_override_str(&self, text: &str) -> Result<Calendar, Error> {
        self.with_override_named(text, "override")
    }

    /// [`Calendar::with_override_str`] with the text of a file, read at run
    /// time (no rebuild needed).
    pub fn with_override_file(&self, path: impl AsRef<Path>) -> Result<Calendar, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let origin = path.display().to_string();
        self.with_override_named(&text, &origin)
    }

    fn with_override_named(&self, text: &str, origin: &str) -> Result<Calendar, Error> {
        let mut years = self.years.clone();
        years.extend(load(text, origin)?);
        Ok(Calendar {
            years,
            provisional: Arc::clone(&self.provisional),
        })
    }

    /// The years the calendar has data for, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Whether the calendar has data for `year`.
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Whether `year` has no loaded notice, so that [`Calendar::estimating`]
    /// answers for it from a provisional year (暂定).
    pub fn is_provisional_year(&self, year: i32) -> bool {
        !self.has_year(year)
    }

    /// Whether any day from `a` to `b` (either order, inclusive) lies in a
    /// year without a loaded notice: a deadline over that span is provisional.
    pub fn is_provisional_span(&self, a: NaiveDate, b: NaiveDate) -> bool {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        (lo.year()..=hi.year()).any(|year| self.is_provisional_year(year))
    }

    /// The notices cited for `year`.
    pub fn notices(&self, year: i32) -> Result<&[String], Error> {
        self.years
            .get(&year)
            .map(|d| d.notices.as_slice())
            .ok_or(Error::UnknownYear(year))
    }

    fn strict(&self) -> Query<'_> {
        Query {
            cal: self,
            mode: Mode::Strict,
            provisional: false,
            weekends_only: false,
        }
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, Error> {
        self.strict().is_working_day(date)
    }

    /// The kind of `date`.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, Error> {
        self.strict().day_kind(date)
    }

    /// For `n ≥ 1`, the `n`-th working day strictly after `date`; for `n = 0`,
    /// `date` itself if it is a working day, else the next working day. The
    /// result is always a working day.
    ///
    /// Errors with [`Error::UnknownYear`] if `date`, or any day up to the
    /// result, lies in a year without data.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, Error> {
        self.strict().add_working_days(date, n)
    }

    /// The number of working days in `(a, b]` (after `a`, up to and including
    /// `b`); when `b < a`, minus the number of working days in `(b, a]`. Zero
    /// when `a == b`.
    ///
    /// For `n ≥ 1`, `working_days_between(d, add_working_days(d, n)) == n`.
    /// Errors with [`Error::UnknownYear`] if `a`, `b` or any day between lies
    /// in a year without data.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, Error> {
        self.strict().working_days_between(a, b)
    }

    /// The period of `n` working days from `start` ("N个工作日内"): the start
    /// day does not count, and the period ends at the end of the `n`-th working
    /// day after it. For `n = 0` the last day is `start`. See [`Deadline`].
    pub fn deadline(&self, start: NaiveDate, n: u32) -> Result<Deadline, Error> {
        self.strict().deadline(start, n)
    }

    /// Every day of `year`, one line each:
    /// `YYYY-MM-DD<TAB>work|off<TAB>workday|weekend|holiday|makeup<TAB>name\n`,
    /// where `name` is the holiday (for make-up days, the holiday made up for)
    /// and empty for plain days.
    pub fn year_listing(&self, year: i32) -> Result<String, Error> {
        self.strict().year_listing(year)
    }

    /// The same queries, answering for a year without a loaded notice from
    /// its provisional year (statutory holidays and 补假, no 调休; weekends
    /// only beyond the lunar table) instead of failing; each result says
    /// whether it is provisional (show it with [`Estimated::note`]).
    pub fn estimating(&self) -> Estimating<'_> {
        Estimating { cal: self }
    }
}

/// Queries that fall back to weekends-only estimation for years without data.
/// Obtained from [`Calendar::estimating`]; every result is marked.
#[derive(Debug, Clone, Copy)]
pub struct Estimating<'a> {
    cal: &'a Calendar,
}

impl Estimating<'_> {
    fn run<T>(
        &self,
        f: impl FnOnce(&mut Query<'_>) -> Result<T, Error>,
    ) -> Result<Estimated<T>, Error> {
        let mut q = Query {
            cal: self.cal,
            mode: Mode::Estimate,
            provisional: false,
            weekends_only: false,
        };
        let value = f(&mut q)?;
        Ok(Estimated {
            value,
            provisional: q.provisional,
            weekends_only: q.weekends_only,
        })
    }

    /// As [`Calendar::year_listing`]; a provisional year lists its statutory
    /// days and 补假 days (named `…（补假）`) as holidays.
    pub fn year_listing(&self, year: i32) -> Result<Estimated<String>, Error> {
        self.run(|q| q.year_listing(year))
    }

    /// As [`Calendar::is_working_day`]; fails only outside chrono's date range.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<Estimated<bool>, Error> {
        self.run(|q| q.is_working_day(date))
    }

    /// As [`Calendar::day_kind`]; fails only outside chrono's date range.
    pub fn day_kind(&self, date: NaiveDate) -> Result<Estimated<DayKind>, Error> {
        self.run(|q| q.day_kind(date))
    }

    /// As [`Calendar::add_working_days`]; fails only outside chrono's date range.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<Estimated<NaiveDate>, Error> {
        self.run(|q| q.add_working_days(date, n))
    }

    /// As [`Calendar::working_days_between`]; fails only outside chrono's date range.
    pub fn working_days_between(
        &self,
        a: NaiveDate,
        b: NaiveDate,
    ) -> Result<Estimated<i64>, Error> {
        self.run(|q| q.working_days_between(a, b))
    }

    /// As [`Calendar::deadline`]; fails only outside chrono's date range.
    pub fn deadline(&self, start: NaiveDate, n: u32) -> Result<Estimated<Deadline>, Error> {
        self.run(|q| q.deadline(start, n))
    }
}

/// Checks a data file (e.g. an override) and returns every problem found, in
/// line order; empty when the file can be loaded.
pub fn check_override(text: &str) -> Vec<Problem> {
    parse::parse(text).1
}

fn load(text: &str, origin: &str) -> Result<BTreeMap<i32, YearData>, Error> {
    let (specs, problems) = parse::parse(text);
    if !problems.is_empty() {
        return Err(Error::InvalidData {
            origin: origin.to_owned(),
            problems,
        });
    }
    let mut years = BTreeMap::new();
    for spec in specs {
        let year = spec.year;
        let data = YearData::build(spec).ok_or(Error::DateOutOfRange)?;
        years.insert(year, data);
    }
    Ok(years)
}
