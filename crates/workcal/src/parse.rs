//! Reading and validating calendar data files.
//!
//! The TOML text is first read into a loose tree of [`Node`]s that keeps the
//! byte span of (almost) every value, then walked by [`parse`], which collects
//! every problem it finds instead of stopping at the first one.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::Problem;

/// The longest holiday block accepted, in days. The longest block announced so
/// far is the ten-day 2020 Spring Festival; anything much longer is a typo.
const MAX_BLOCK_DAYS: i64 = 31;

// Names of the private protocol by which the `toml` crate hands out spans
// (`toml::Spanned`, from `serde_spanned` 0.6) and local dates. They are used
// directly, rather than through `toml::Spanned`, so that values without a span
// (implicitly created tables such as `2022` in `[[2022.holidays]]`) are still
// accepted, and so that dates can be told from tables.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// A TOML value with its byte span in the source, where the parser knows it.
#[derive(Debug)]
struct Node {
    span: Option<Range<usize>>,
    kind: Kind,
}

/// The shape of a [`Node`].
#[derive(Debug)]
enum Kind {
    Str(String),
    Int,
    Float,
    Bool,
    /// A TOML date, time or date-time, in its TOML spelling.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(String, Node)>),
}

impl Kind {
    fn type_name(&self) -> &'static str {
        match self {
            Kind::Str(_) => "a string",
            Kind::Int => "an integer",
            Kind::Float => "a float",
            Kind::Bool => "a boolean",
            Kind::Datetime(_) => "a date/time",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, NodeVisitor)
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Kind, E> {
        Ok(Kind::Str(v))
    }
    fn visit_i64<E: de::Error>(self, _v: i64) -> Result<Kind, E> {
        Ok(Kind::Int)
    }
    fn visit_u64<E: de::Error>(self, _v: u64) -> Result<Kind, E> {
        Ok(Kind::Int)
    }
    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Kind, E> {
        Ok(Kind::Float)
    }
    fn visit_bool<E: de::Error>(self, _v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Kind::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == DATETIME_FIELD && entries.is_empty() {
                let text: String = map.next_value()?;
                return Ok(Kind::Datetime(text));
            }
            let value: Node = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Kind::Table(entries))
    }
}

/// Accepts both a spanned value (the deserializer honoured the span request)
/// and a plain one (it had no span to give).
struct NodeVisitor;

impl NodeVisitor {
    fn plain(kind: Kind) -> Node {
        Node { span: None, kind }
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        KindVisitor.visit_str(v).map(Self::plain)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        KindVisitor.visit_string(v).map(Self::plain)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        KindVisitor.visit_i64(v).map(Self::plain)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        KindVisitor.visit_u64(v).map(Self::plain)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        KindVisitor.visit_f64(v).map(Self::plain)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        KindVisitor.visit_bool(v).map(Self::plain)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Node, A::Error> {
        KindVisitor.visit_seq(seq).map(Self::plain)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Self::plain(Kind::Table(Vec::new())));
        };
        if first == SPANNED_START {
            let start: usize = map.next_value()?;
            let _end_key = map.next_key::<String>()?;
            let end: usize = map.next_value()?;
            let _value_key = map.next_key::<String>()?;
            let kind: Kind = map.next_value()?;
            return Ok(Node {
                span: Some(start..end),
                kind,
            });
        }
        if first == DATETIME_FIELD {
            let text: String = map.next_value()?;
            return Ok(Self::plain(Kind::Datetime(text)));
        }
        let mut entries = vec![(first, map.next_value::<Node>()?)];
        while let Some(key) = map.next_key::<String>()? {
            let value: Node = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Self::plain(Kind::Table(entries)))
    }
}

/// Maps byte offsets to 1-based line numbers.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }
}

/// The validated content of one year section.
#[derive(Debug, Clone)]
pub(crate) struct YearSpec {
    pub year: i32,
    pub notices: Vec<String>,
    /// Every holiday day with its name.
    pub holidays: Vec<(NaiveDate, String)>,
    /// Every make-up working day with the holiday it belongs to.
    pub makeups: Vec<(NaiveDate, String)>,
}

/// Where a day was listed, to point at the first listing in a duplicate report.
#[derive(Clone, Copy)]
enum Listed {
    Holiday(usize),
    Makeup(usize),
}

struct Checker {
    lines: Lines,
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            line,
            message: message.into(),
        });
    }

    /// The line of `node`, else of its first descendant with a span, else `fallback`.
    fn line(&self, node: &Node, fallback: usize) -> usize {
        match first_span(node) {
            Some(offset) => self.lines.line_of(offset),
            None => fallback,
        }
    }

    fn year_section(&mut self, key: &str, node: &Node, line: usize) -> Option<YearSpec> {
        let year = match parse_year_key(key) {
            Some(year) => year,
            None => {
                self.problem(
                    line,
                    format!(
                        "section key `{key}` is not a year: top-level keys must be four-digit years such as [2027]"
                    ),
                );
                return None;
            }
        };
        let Kind::Table(entries) = &node.kind else {
            self.problem(
                line,
                format!(
                    "year {year} must be a table ([{year}]), found {}",
                    node.kind.type_name()
                ),
            );
            return None;
        };

        let mut notices = Vec::new();
        let mut saw_notices = false;
        let mut saw_holidays = false;
        let mut holidays: Vec<(NaiveDate, String, usize)> = Vec::new();
        let mut makeups: Vec<(NaiveDate, String, usize)> = Vec::new();
        for (name, value) in entries {
            let vline = self.line(value, line);
            match name.as_str() {
                "notices" => {
                    saw_notices = true;
                    notices = self.notices(year, value, vline);
                }
                "holidays" => {
                    saw_holidays = true;
                    let items = self.array(year, "holidays", value, vline);
                    if matches!(value.kind, Kind::Array(_)) && items.is_empty() {
                        self.problem(
                            vline,
                            format!(
                                "year {year}: `holidays` is empty: a year section replaces the whole year and must list its holidays"
                            ),
                        );
                    }
                    for item in items {
                        let iline = self.line(item, vline);
                        holidays.extend(self.holiday(year, item, iline));
                    }
                }
                "makeup" => {
                    for item in self.array(year, "makeup", value, vline) {
                        let iline = self.line(item, vline);
                        makeups.extend(self.makeup(year, item, iline));
                    }
                }
                "note" => self.expect_text(value, vline, &format!("year {year}: `note`")),
                other => self.problem(
                    vline,
                    format!(
                        "year {year}: unknown key `{other}` (expected `notices`, `holidays`, `makeup` or `note`)"
                    ),
                ),
            }
        }
        if !saw_notices {
            self.problem(
                line,
                format!(
                    "year {year}: missing `notices`: cite the State Council notice, e.g. notices = [\"国办发明电〔2025〕7号\"]"
                ),
            );
        }
        if !saw_holidays {
            self.problem(
                line,
                format!(
                    "year {year}: missing `holidays`: a year section replaces the whole year and must list its holidays"
                ),
            );
        }

        self.cross_check(year, &holidays, &makeups);
        self.check_makeup_names(year, &holidays, &makeups);
        Some(YearSpec {
            year,
            notices,
            holidays: holidays.into_iter().map(|(d, n, _)| (d, n)).collect(),
            makeups: makeups.into_iter().map(|(d, n, _)| (d, n)).collect(),
        })
    }

    /// Duplicates, days listed both ways, make-up days on weekdays.
    fn cross_check(
        &mut self,
        year: i32,
        holidays: &[(NaiveDate, String, usize)],
        makeups: &[(NaiveDate, String, usize)],
    ) {
        let mut seen: BTreeMap<NaiveDate, Listed> = BTreeMap::new();
        for (date, _, line) in holidays {
            match seen.get(date) {
                Some(Listed::Holiday(first)) => self.problem(
                    *line,
                    format!(
                        "year {year}: duplicate date {date}: already listed as a holiday on line {first}"
                    ),
                ),
                Some(Listed::Makeup(_)) => {}
                None => {
                    seen.insert(*date, Listed::Holiday(*line));
                }
            }
        }
        for (date, _, line) in makeups {
            if !is_weekend(*date) {
                self.problem(
                    *line,
                    format!(
                        "year {year}: make-up working day {date} is a {}: make-up days (调休上班) must be Saturdays or Sundays",
                        weekday_name(date.weekday())
                    ),
                );
            }
            match seen.get(date) {
                Some(Listed::Holiday(first)) => self.problem(
                    *line,
                    format!(
                        "year {year}: {date} is listed both as a make-up working day and as a holiday (line {first})"
                    ),
                ),
                Some(Listed::Makeup(first)) => self.problem(
                    *line,
                    format!(
                        "year {year}: duplicate date {date}: already listed as a make-up working day on line {first}"
                    ),
                ),
                None => {
                    seen.insert(*date, Listed::Makeup(*line));
                }
            }
        }
    }

    /// A make-up day must name a holiday of its section (whole or, for a
    /// combined block such as 国庆节、中秋节, one part): catches typos.
    fn check_makeup_names(
        &mut self,
        year: i32,
        holidays: &[(NaiveDate, String, usize)],
        makeups: &[(NaiveDate, String, usize)],
    ) {
        if holidays.is_empty() {
            return;
        }
        let mut known: Vec<&str> = Vec::new();
        for (_, name, _) in holidays {
            for candidate in std::iter::once(name.as_str()).chain(name.split('、')) {
                if !known.contains(&candidate) {
                    known.push(candidate);
                }
            }
        }
        for (date, name, line) in makeups {
            if !known.contains(&name.as_str()) {
                let listed: Vec<&str> = known
                    .iter()
                    .copied()
                    .filter(|k| holidays.iter().any(|(_, n, _)| n == k))
                    .collect();
                self.problem(
                    *line,
                    format!(
                        "year {year}: make-up day {date} is for `{name}`, which is not a holiday listed in [{year}] ({})",
                        listed.join(", ")
                    ),
                );
            }
        }
    }

    fn notices(&mut self, year: i32, node: &Node, line: usize) -> Vec<String> {
        let mut out = Vec::new();
        match &node.kind {
            Kind::Array(items) => {
                for item in items {
                    let iline = self.line(item, line);
                    match &item.kind {
                        Kind::Str(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
                        Kind::Str(_) => {
                            self.problem(iline, format!("year {year}: empty notice citation"))
                        }
                        other => self.problem(
                            iline,
                            format!(
                                "year {year}: each notice must be a string, found {}",
                                other.type_name()
                            ),
                        ),
                    }
                }
                if items.is_empty() {
                    self.problem(
                        line,
                        format!("year {year}: `notices` is empty: cite at least one notice"),
                    );
                }
            }
            Kind::Str(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
            other => self.problem(
                line,
                format!(
                    "year {year}: `notices` must be an array of strings, found {}",
                    other.type_name()
                ),
            ),
        }
        out
    }

    fn array<'n>(&mut self, year: i32, key: &str, node: &'n Node, line: usize) -> &'n [Node] {
        match &node.kind {
            Kind::Array(items) => items,
            other => {
                self.problem(
                    line,
                    format!(
                        "year {year}: `{key}` must be an array of tables, found {}",
                        other.type_name()
                    ),
                );
                &[]
            }
        }
    }

    fn expect_text(&mut self, node: &Node, line: usize, what: &str) {
        if !matches!(node.kind, Kind::Str(_)) {
            self.problem(
                line,
                format!("{what} must be a string, found {}", node.kind.type_name()),
            );
        }
    }

    fn name(&mut self, node: &Node, line: usize, what: &str) -> Option<String> {
        match &node.kind {
            Kind::Str(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Kind::Str(_) => {
                self.problem(line, format!("{what} is empty"));
                None
            }
            other => {
                self.problem(
                    line,
                    format!("{what} must be a string, found {}", other.type_name()),
                );
                None
            }
        }
    }

    fn date(&mut self, year: i32, node: &Node, line: usize, what: &str) -> Option<NaiveDate> {
        let text = match &node.kind {
            Kind::Str(s) | Kind::Datetime(s) => s.as_str(),
            other => {
                self.problem(
                    line,
                    format!(
                        "year {year}: {what} must be a date \"YYYY-MM-DD\", found {}",
                        other.type_name()
                    ),
                );
                return None;
            }
        };
        let Some(date) = parse_date(text) else {
            self.problem(
                line,
                format!("year {year}: {what} `{text}` is not a valid date \"YYYY-MM-DD\""),
            );
            return None;
        };
        if date.year() != year {
            self.problem(
                line,
                format!(
                    "year {year}: {what} {date} does not belong to section [{year}]: list it under [{}]",
                    date.year()
                ),
            );
            return None;
        }
        Some(date)
    }

    fn entry<'n>(
        &mut self,
        year: i32,
        item: &'n Node,
        line: usize,
        what: &str,
    ) -> Option<&'n [(String, Node)]> {
        match &item.kind {
            Kind::Table(entries) => Some(entries),
            other => {
                self.problem(
                    line,
                    format!(
                        "year {year}: each {what} entry must be a table such as {}, found {}",
                        if what == "holiday" {
                            "{ name = \"春节\", from = \"YYYY-MM-DD\", to = \"YYYY-MM-DD\" }"
                        } else {
                            "{ date = \"YYYY-MM-DD\", for = \"春节\" }"
                        },
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    /// One `holidays` entry, expanded to its days (each with the entry's line).
    fn holiday(&mut self, year: i32, item: &Node, line: usize) -> Vec<(NaiveDate, String, usize)> {
        let Some(entries) = self.entry(year, item, line, "holiday") else {
            return Vec::new();
        };
        let before = self.problems.len();
        let (mut name, mut date, mut from, mut to) = (None, None, None, None);
        let (mut has_date, mut has_from, mut has_to, mut has_name) = (false, false, false, false);
        // Problems about the days point at the `date`/`from` value.
        let mut date_line = line;
        for (key, value) in entries {
            let vline = self.line(value, line);
            match key.as_str() {
                "name" => {
                    has_name = true;
                    name = self.name(value, vline, &format!("year {year}: holiday `name`"));
                }
                "date" => {
                    has_date = true;
                    date_line = vline;
                    date = self.date(year, value, vline, "holiday date");
                }
                "from" => {
                    has_from = true;
                    date_line = vline;
                    from = self.date(year, value, vline, "holiday `from` date");
                }
                "to" => {
                    has_to = true;
                    to = self.date(year, value, vline, "holiday `to` date");
                }
                "note" => self.expect_text(value, vline, &format!("year {year}: holiday `note`")),
                other => self.problem(
                    vline,
                    format!(
                        "year {year}: unknown key `{other}` in a holiday entry (expected `name`, `date`, `from`, `to` or `note`)"
                    ),
                ),
            }
        }
        if !has_name {
            self.problem(line, format!("year {year}: holiday entry without `name`"));
        }
        match (has_date, has_from, has_to) {
            (true, false, false) | (false, true, true) => {}
            (false, false, false) => self.problem(
                line,
                format!("year {year}: holiday entry needs `date`, or `from` and `to`"),
            ),
            (true, _, _) => self.problem(
                line,
                format!("year {year}: holiday entry has both `date` and `from`/`to`: use one"),
            ),
            (false, true, false) => self.problem(
                line,
                format!("year {year}: holiday entry has `from` without `to`"),
            ),
            (false, false, true) => self.problem(
                line,
                format!("year {year}: holiday entry has `to` without `from`"),
            ),
        }
        if self.problems.len() != before {
            return Vec::new();
        }
        let Some(name) = name else {
            return Vec::new();
        };
        let (first, last) = match (date, from, to) {
            (Some(d), None, None) => (d, d),
            (None, Some(f), Some(t)) => (f, t),
            _ => return Vec::new(),
        };
        if last < first {
            self.problem(
                line,
                format!("year {year}: holiday range {first} to {last} ends before it starts"),
            );
            return Vec::new();
        }
        let span = (last - first).num_days() + 1;
        if span > MAX_BLOCK_DAYS {
            self.problem(
                line,
                format!(
                    "year {year}: holiday range {first} to {last} covers {span} days (more than {MAX_BLOCK_DAYS}); check the dates"
                ),
            );
            return Vec::new();
        }
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (d, name.clone(), date_line))
            .collect()
    }

    fn makeup(
        &mut self,
        year: i32,
        item: &Node,
        line: usize,
    ) -> Option<(NaiveDate, String, usize)> {
        let entries = self.entry(year, item, line, "makeup")?;
        let before = self.problems.len();
        let (mut date, mut name) = (None, None);
        let (mut has_date, mut has_for) = (false, false);
        let mut date_line = line;
        for (key, value) in entries {
            let vline = self.line(value, line);
            match key.as_str() {
                "date" => {
                    has_date = true;
                    date_line = vline;
                    date = self.date(year, value, vline, "make-up date");
                }
                "for" => {
                    has_for = true;
                    name = self.name(value, vline, &format!("year {year}: make-up `for`"));
                }
                "note" => self.expect_text(value, vline, &format!("year {year}: make-up `note`")),
                other => self.problem(
                    vline,
                    format!(
                        "year {year}: unknown key `{other}` in a make-up entry (expected `date`, `for` or `note`)"
                    ),
                ),
            }
        }
        if !has_date {
            self.problem(line, format!("year {year}: make-up entry without `date`"));
        }
        if !has_for {
            self.problem(
                line,
                format!("year {year}: make-up entry without `for` (the holiday it belongs to)"),
            );
        }
        if self.problems.len() != before {
            return None;
        }
        Some((date?, name?, date_line))
    }
}

fn first_span(node: &Node) -> Option<usize> {
    if let Some(span) = &node.span {
        return Some(span.start);
    }
    match &node.kind {
        Kind::Array(items) => items.iter().find_map(first_span),
        Kind::Table(entries) => entries.iter().find_map(|(_, n)| first_span(n)),
        _ => None,
    }
}

fn parse_year_key(key: &str) -> Option<i32> {
    if key.len() != 4 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = key.parse().ok()?;
    (year >= 1000).then_some(year)
}

/// Strict `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

pub(crate) fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Parses and validates a calendar data file.
///
/// Returns the year sections that could be read and every problem found, in
/// line order. The sections are only meaningful when there are no problems.
pub(crate) fn parse(text: &str) -> (Vec<YearSpec>, Vec<Problem>) {
    let lines = Lines::new(text);
    let root = match toml::from_str::<Kind>(text) {
        Ok(root) => root,
        Err(err) => {
            let line = err.span().map_or(1, |s| lines.line_of(s.start));
            let message = err
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            return (
                Vec::new(),
                vec![Problem {
                    line,
                    message: format!("malformed TOML: {message}"),
                }],
            );
        }
    };
    let mut checker = Checker {
        lines,
        problems: Vec::new(),
    };
    let mut years = Vec::new();
    match &root {
        Kind::Table(entries) => {
            for (key, node) in entries {
                let line = checker.line(node, 1);
                if let Some(spec) = checker.year_section(key, node, line) {
                    years.push(spec);
                }
            }
        }
        other => checker.problem(
            1,
            format!(
                "the document must be a table of years, found {}",
                other.type_name()
            ),
        ),
    }
    let mut problems = checker.problems;
    problems.sort_by_key(|p| p.line);
    (years, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let lines = Lines::new("a\nbb\n\nc");
        assert_eq!(lines.line_of(0), 1);
        assert_eq!(lines.line_of(1), 1);
        assert_eq!(lines.line_of(2), 2);
        assert_eq!(lines.line_of(5), 3);
        assert_eq!(lines.line_of(6), 4);
    }

    #[test]
    fn strict_dates() {
        assert!(parse_date("2020-01-01").is_some());
        assert!(parse_date("2020-1-01").is_none());
        assert!(parse_date("2020-02-30").is_none());
        assert!(parse_date("２020-01-01").is_none());
    }

    #[test]
    fn year_keys() {
        assert_eq!(parse_year_key("2027"), Some(2027));
        assert_eq!(parse_year_key("0999"), None);
        assert_eq!(parse_year_key("20x7"), None);
        assert_eq!(parse_year_key("20270"), None);
    }
}
