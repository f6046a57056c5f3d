//! Scoring of review files (案卷评查, issue 20): the standard (评查标准),
//! one reviewer's score sheet and the file's final score and grade. Points
//! are kept in tenths as integers; nothing here uses floating point.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Points in tenths (`855` is 85.5).
pub type Tenths = u32;

/// The most points a file scores (100.0).
pub const FULL_MARKS: Tenths = 1000;

/// Default 部分总分 of 卷面.
pub const DEFAULT_FORM_TOTAL: Tenths = 200;

/// Default 部分总分 of 内容.
pub const DEFAULT_CONTENT_TOTAL: Tenths = 800;

/// The most two reviewers' scores may differ and still be averaged (10 points).
pub const AGREEMENT: Tenths = 100;

/// Parses points with at most one decimal (`5`, `0.5`, `12.0`) into tenths.
pub fn parse_tenths(text: &str) -> Option<Tenths> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 6 {
        return None;
    }
    let tenth = match fraction.as_bytes() {
        [] => 0,
        [d] if d.is_ascii_digit() => u32::from(d - b'0'),
        [d, rest @ ..] if d.is_ascii_digit() && rest.iter().all(|b| *b == b'0') => {
            u32::from(d - b'0')
        }
        _ => return None,
    };
    whole
        .parse::<u32>()
        .ok()?
        .checked_mul(10)?
        .checked_add(tenth)
}

/// Tenths written with one decimal (`855` → `85.5`).
pub fn format_tenths(value: Tenths) -> String {
    format!("{}.{}", value / 10, value % 10)
}

/// A part of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Part {
    /// 卷面 (the file's form).
    #[serde(rename = "卷面")]
    Form,
    /// 内容 (the substance).
    #[serde(rename = "内容")]
    Content,
}

impl Part {
    /// Both parts, in report order.
    pub const ALL: [Part; 2] = [Part::Form, Part::Content];

    /// The Chinese name.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Form => "卷面",
            Part::Content => "内容",
        }
    }

    /// The part named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }

    /// Its default 部分总分.
    pub fn default_total(self) -> Tenths {
        match self {
            Part::Form => DEFAULT_FORM_TOTAL,
            Part::Content => DEFAULT_CONTENT_TOTAL,
        }
    }
}

/// The category of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// 否决项: marking it makes the reviewer's score 0 and the grade 不合格.
    #[serde(rename = "否决项")]
    Veto,
    /// 扣分项: deducts 扣分 per occurrence up to 扣分上限.
    #[serde(rename = "扣分项")]
    Deduction,
}

impl Category {
    /// The Chinese name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Veto => "否决项",
            Category::Deduction => "扣分项",
        }
    }

    /// The category named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Category::Veto, Category::Deduction]
            .into_iter()
            .find(|c| c.as_str() == text.trim())
    }
}

/// One item of the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardItem {
    /// 项目编码.
    pub code: String,
    /// 项目名称.
    pub name: String,
    /// 部分.
    pub part: Part,
    /// 类别.
    pub category: Category,
    /// 扣分 per occurrence, in tenths (0 for a 否决项).
    pub points: Tenths,
    /// 扣分上限, in tenths (`None`: the part's total).
    pub cap: Option<Tenths>,
}

/// A version of the review standard (评查标准).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standard {
    /// Version, from 1; a changed file makes the next one.
    pub version: u32,
    /// SHA-256 of the file imported.
    pub sha256: String,
    /// 部分总分 of 卷面, in tenths.
    pub form_total: Tenths,
    /// 部分总分 of 内容, in tenths.
    pub content_total: Tenths,
    /// The items, in file order.
    pub items: Vec<StandardItem>,
    /// When imported.
    pub imported_at: DateTime<FixedOffset>,
}

impl Standard {
    /// The key of a version (`000001`), so keys sort by version.
    pub fn key_for(version: u32) -> String {
        format!("{version:06}")
    }

    /// The item coded `code`.
    pub fn item(&self, code: &str) -> Option<&StandardItem> {
        self.items.iter().find(|i| i.code == code)
    }

    /// The 部分总分 of `part`.
    pub fn total(&self, part: Part) -> Tenths {
        match part {
            Part::Form => self.form_total,
            Part::Content => self.content_total,
        }
    }

    /// Whether `other` has the same content (items and totals).
    pub fn same_content(&self, other: &Standard) -> bool {
        self.form_total == other.form_total
            && self.content_total == other.content_total
            && self.items == other.items
    }
}

/// One item a reviewer marked, with how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// 项目编码.
    pub item: String,
    /// 次数.
    pub count: u32,
    /// 说明.
    pub note: String,
}

/// One reviewer's submission for one file: key `REVIEW/CASE/REVIEWER`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreSheet {
    /// The review.
    pub review: String,
    /// 案件编号.
    pub case: String,
    /// 评查员编号.
    pub reviewer: String,
    /// The standard version scored against.
    pub standard: u32,
    /// The items marked (count > 0), by item code.
    pub marks: Vec<Mark>,
    /// A note of a sheet with nothing to deduct.
    pub note: String,
    /// The reviewer's score, in tenths.
    pub score: Tenths,
    /// Whether a 否决项 was marked.
    pub veto: bool,
    /// When submitted.
    pub submitted_at: DateTime<FixedOffset>,
}

impl ScoreSheet {
    /// The key of a sheet.
    pub fn key_for(review: &str, case: &str, reviewer: &str) -> String {
        format!("{review}/{case}/{reviewer}")
    }
}

/// One reviewer's score of a file: 0 when a 否决项 is marked (`true`), else
/// Σ over parts of max(0, 部分总分 − Σ min(扣分 × 次数, 扣分上限)). Marks of
/// unknown items count nothing (imports refuse them).
pub fn reviewer_score(standard: &Standard, marks: &[Mark]) -> (Tenths, bool) {
    let mut veto = false;
    let mut deducted = [0u64; 2];
    for mark in marks.iter().filter(|m| m.count > 0) {
        let Some(item) = standard.item(&mark.item) else {
            continue;
        };
        match item.category {
            Category::Veto => veto = true,
            Category::Deduction => {
                let part = item.part as usize;
                let cap = u64::from(item.cap.unwrap_or(standard.total(item.part)));
                let raw = u64::from(item.points) * u64::from(mark.count);
                deducted[part] = deducted[part].saturating_add(raw.min(cap));
            }
        }
    }
    if veto {
        return (0, true);
    }
    let score = Part::ALL
        .into_iter()
        .map(|part| u64::from(standard.total(part)).saturating_sub(deducted[part as usize]))
        .sum::<u64>();
    (Tenths::try_from(score).unwrap_or(Tenths::MAX), false)
}

/// The mean of `values` in tenths, rounded half up to a tenth.
pub fn mean_half_up(values: &[Tenths]) -> Option<Tenths> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as u64;
    let sum: u64 = values.iter().map(|v| u64::from(*v)).sum();
    Tenths::try_from((2 * sum + n) / (2 * n)).ok()
}

/// A grade (等次).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// 优秀.
    #[serde(rename = "优秀")]
    Excellent,
    /// 良好.
    #[serde(rename = "良好")]
    Good,
    /// 合格.
    #[serde(rename = "合格")]
    Pass,
    /// 不合格.
    #[serde(rename = "不合格")]
    Fail,
}

impl Grade {
    /// All grades, best first.
    pub const ALL: [Grade; 4] = [Grade::Excellent, Grade::Good, Grade::Pass, Grade::Fail];

    /// The Chinese name.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Good => "良好",
            Grade::Pass => "合格",
            Grade::Fail => "不合格",
        }
    }
}

/// The lowest scores of 优秀, 良好 and 合格, in tenths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// ≥ this: 优秀 (default 90).
    pub excellent: Tenths,
    /// ≥ this: 良好 (default 80).
    pub good: Tenths,
    /// ≥ this: 合格 (default 60).
    pub pass: Tenths,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            excellent: 900,
            good: 800,
            pass: 600,
        }
    }
}

impl Thresholds {
    /// Whether the thresholds descend (优秀 ≥ 良好 ≥ 合格) and stay within 100.
    pub fn is_valid(&self) -> bool {
        self.excellent >= self.good && self.good >= self.pass && self.excellent <= FULL_MARKS
    }

    /// The grade of `score`; any 否决项 makes it 不合格.
    pub fn grade(&self, score: Tenths, veto: bool) -> Grade {
        if veto {
            Grade::Fail
        } else if score >= self.excellent {
            Grade::Excellent
        } else if score >= self.good {
            Grade::Good
        } else if score >= self.pass {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }
}

/// Where a file's scoring stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileStatus {
    /// 待评分: not every reviewer of the panel has scored.
    #[serde(rename = "待评分")]
    Pending,
    /// 待复核: the panel's scores differ by more than 10 points and the
    /// next reviewer has not scored yet.
    #[serde(rename = "待复核")]
    Disputed,
    /// 已评定: the final score is known.
    #[serde(rename = "已评定")]
    Final,
}

impl FileStatus {
    /// The Chinese name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "待评分",
            FileStatus::Disputed => "待复核",
            FileStatus::Final => "已评定",
        }
    }
}

/// One reviewer's score and whether it was vetoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scored {
    /// The score, in tenths.
    pub score: Tenths,
    /// A 否决项 was marked.
    pub veto: bool,
}

/// A file's result: its status, and once final its score and whether a
/// 否决项 was marked by a reviewer whose score makes the final score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileResult {
    /// Where it stands.
    pub status: FileStatus,
    /// The final score (已评定 only).
    pub score: Option<Tenths>,
    /// A counted reviewer marked a 否决项 (已评定 only).
    pub veto: bool,
}

/// The result of a file from its panel's scores (`None`: not yet scored, in
/// slot order) and, once escalated, the further reviewer's score:
/// - a panel member without a score: 待评分;
/// - the panel's scores within [`AGREEMENT`]: 已评定, their mean (half up);
/// - otherwise 待复核 until `further` is scored; then the mean of the two
///   closest of all the scores (a tie goes to the pair with the higher sum).
pub fn file_result(panel: &[Option<Scored>], further: Option<Scored>) -> FileResult {
    let pending = FileResult {
        status: FileStatus::Pending,
        score: None,
        veto: false,
    };
    let Some(scores) = panel.iter().copied().collect::<Option<Vec<_>>>() else {
        return pending;
    };
    if scores.is_empty() {
        return pending;
    }
    let (low, high) = scores.iter().fold((Tenths::MAX, 0), |(lo, hi), s| {
        (lo.min(s.score), hi.max(s.score))
    });
    if high - low <= AGREEMENT {
        let values: Vec<Tenths> = scores.iter().map(|s| s.score).collect();
        return FileResult {
            status: FileStatus::Final,
            score: mean_half_up(&values),
            veto: scores.iter().any(|s| s.veto),
        };
    }
    let Some(further) = further else {
        return FileResult {
            status: FileStatus::Disputed,
            score: None,
            veto: false,
        };
    };
    let mut all = scores;
    all.push(further);
    let mut best: Option<(Tenths, Tenths, Scored, Scored)> = None;
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            let gap = a.score.abs_diff(b.score);
            let sum = a.score + b.score;
            let better = match best {
                None => true,
                Some((g, s, _, _)) => gap < g || (gap == g && sum > s),
            };
            if better {
                best = Some((gap, sum, *a, *b));
            }
        }
    }
    match best {
        Some((_, _, a, b)) => FileResult {
            status: FileStatus::Final,
            score: mean_half_up(&[a.score, b.score]),
            veto: a.veto || b.veto,
        },
        None => pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn standard(items: Vec<StandardItem>) -> Standard {
        Standard {
            version: 1,
            sha256: String::new(),
            form_total: DEFAULT_FORM_TOTAL,
            content_total: DEFAULT_CONTENT_TOTAL,
            items,
            imported_at: DateTime::parse_from_rfc3339("2025-01-01T00:00:00+08:00")
                .unwrap_or_else(|_| crate::clock::now()),
        }
    }

    fn item(
        code: &str,
        part: Part,
        category: Category,
        points: Tenths,
        cap: Option<Tenths>,
    ) -> StandardItem {
        StandardItem {
            code: code.into(),
            name: code.into(),
            part,
            category,
            points,
            cap,
        }
    }

    fn sample() -> Standard {
        standard(vec![
            item("J1", Part::Form, Category::Deduction, 5, Some(30)),
            item("J2", Part::Form, Category::Deduction, 20, None),
            item("N1", Part::Content, Category::Deduction, 100, Some(300)),
            item("N2", Part::Content, Category::Deduction, 15, Some(1000)),
            item("F1", Part::Content, Category::Veto, 0, None),
        ])
    }

    fn mark(code: &str, count: u32) -> Mark {
        Mark {
            item: code.into(),
            count,
            note: String::new(),
        }
    }

    #[test]
    fn tenths_parse_and_print() {
        assert_eq!(parse_tenths("0.5"), Some(5));
        assert_eq!(parse_tenths("12"), Some(120));
        assert_eq!(parse_tenths("3.0"), Some(30));
        assert_eq!(parse_tenths("3.50"), Some(35));
        assert_eq!(parse_tenths("0.25"), None);
        assert_eq!(parse_tenths("-1"), None);
        assert_eq!(parse_tenths(".5"), None);
        assert_eq!(parse_tenths("abc"), None);
        assert_eq!(format_tenths(855), "85.5");
        assert_eq!(format_tenths(1000), "100.0");
    }

    #[test]
    fn a_worked_example() {
        let s = sample();
        // 卷面 20 − min(0.5×10, 3) − 2×2 = 13; 内容 80 − min(10×5, 30) − 1.5 = 48.5.
        let (score, veto) = reviewer_score(
            &s,
            &[mark("J1", 10), mark("J2", 2), mark("N1", 5), mark("N2", 1)],
        );
        assert_eq!((score, veto), (615, false));
        assert_eq!(reviewer_score(&s, &[]), (1000, false));
        assert_eq!(
            reviewer_score(&s, &[mark("F1", 1), mark("J1", 1)]),
            (0, true)
        );
        assert_eq!(reviewer_score(&s, &[mark("F1", 0)]), (1000, false));
        // A part never goes below 0: 内容 80 − 1.5×100 (cap 100) → 0.
        assert_eq!(reviewer_score(&s, &[mark("N2", 100)]), (200, false));
    }

    #[test]
    fn means_round_half_up_on_tenths() {
        assert_eq!(mean_half_up(&[855, 860]), Some(858));
        assert_eq!(mean_half_up(&[850, 851]), Some(851));
        assert_eq!(mean_half_up(&[850, 850, 851]), Some(850));
        assert_eq!(mean_half_up(&[]), None);
    }

    fn scored(score: Tenths) -> Option<Scored> {
        Some(Scored { score, veto: false })
    }

    #[test]
    fn the_ten_point_rule_and_the_two_closest() {
        let r = file_result(&[scored(900), None], None);
        assert_eq!(r.status, FileStatus::Pending);
        let r = file_result(&[scored(900), scored(800)], None);
        assert_eq!((r.status, r.score), (FileStatus::Final, Some(850)));
        let r = file_result(&[scored(900), scored(799)], None);
        assert_eq!((r.status, r.score), (FileStatus::Disputed, None));
        let r = file_result(&[scored(900), scored(700)], scored(850));
        assert_eq!((r.status, r.score), (FileStatus::Final, Some(875)));
        // Tie (800 is 100 from both): the higher pair.
        let r = file_result(&[scored(900), scored(700)], scored(800));
        assert_eq!((r.status, r.score), (FileStatus::Final, Some(850)));
        // A veto by a counted reviewer fails the file; by an uncounted one it does not.
        let veto = Some(Scored {
            score: 0,
            veto: true,
        });
        let r = file_result(&[scored(900), veto], scored(880));
        assert_eq!((r.score, r.veto), (Some(890), false));
        let r = file_result(&[scored(50), veto], None);
        assert_eq!(
            (r.status, r.score, r.veto),
            (FileStatus::Final, Some(25), true)
        );
    }

    #[test]
    fn grades_with_the_default_thresholds() {
        let t = Thresholds::default();
        assert_eq!(t.grade(900, false), Grade::Excellent);
        assert_eq!(t.grade(899, false), Grade::Good);
        assert_eq!(t.grade(800, false), Grade::Good);
        assert_eq!(t.grade(600, false), Grade::Pass);
        assert_eq!(t.grade(599, false), Grade::Fail);
        assert_eq!(t.grade(1000, true), Grade::Fail);
    }

    fn marks() -> impl Strategy<Value = Vec<(usize, u32)>> {
        proptest::collection::vec((0usize..5, 0u32..40), 0..8)
    }

    fn to_marks(s: &Standard, raw: &[(usize, u32)]) -> Vec<Mark> {
        raw.iter()
            .filter_map(|(i, c)| s.items.get(*i).map(|it| mark(&it.code, *c)))
            .collect()
    }

    proptest! {
        #[test]
        fn a_score_is_within_0_and_100(raw in marks()) {
            let s = sample();
            let (score, _) = reviewer_score(&s, &to_marks(&s, &raw));
            prop_assert!(score <= FULL_MARKS);
        }

        #[test]
        fn a_veto_scores_0(raw in marks(), count in 1u32..5) {
            let s = sample();
            let mut m = to_marks(&s, &raw);
            m.push(mark("F1", count));
            prop_assert_eq!(reviewer_score(&s, &m), (0, true));
        }

        #[test]
        fn more_occurrences_never_raise_the_score(raw in marks(), which in 0usize..4, extra in 1u32..10) {
            let s = sample();
            let before = to_marks(&s, &raw);
            let mut after = before.clone();
            after.push(mark(&s.items[which].code, extra));
            prop_assert!(reviewer_score(&s, &after).0 <= reviewer_score(&s, &before).0);
        }

        #[test]
        fn no_item_deducts_more_than_its_cap(which in 0usize..4, count in 0u32..1000) {
            let s = sample();
            let item = &s.items[which];
            let (score, _) = reviewer_score(&s, &[mark(&item.code, count)]);
            let cap = item.cap.unwrap_or(s.total(item.part)).min(s.total(item.part));
            prop_assert!(FULL_MARKS - score <= cap);
            prop_assert_eq!(FULL_MARKS - score, (item.points * count).min(cap));
        }

        #[test]
        fn a_final_score_lies_between_the_scores(a in 0u32..=1000, b in 0u32..=1000, c in 0u32..=1000) {
            let r = file_result(&[scored(a), scored(b)], scored(c));
            let score = r.score.unwrap_or(u32::MAX);
            prop_assert_eq!(r.status, FileStatus::Final);
            prop_assert!(score >= a.min(b).min(c) && score <= a.max(b).max(c));
        }
    }
}
