//! The demo's 2025 行政复议 and 行政诉讼 registers at the seed's 2021 scale
//! (247 applications; of 78 substantive, 16 corrected; a 97 % appearance
//! rate), imported through the real importers, then the Justice Bureau's
//! 行政执法统计年报: the city's line printed, the workbook written.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use chrono::{Days, NaiveDate};

use super::{DEMO_YEAR, date};
use crate::synth::City;
use storage::Db;

/// Applications received in the year (the seed: 247).
const APPLICATIONS: u64 = 247;
/// Decided on the merits (the seed: 78).
const SUBSTANTIVE: u64 = 78;
/// Of them, corrected directly (the seed: 16).
const CORRECTED: u64 = 16;
/// Accepted and still undecided at the year's end.
const OPEN: u64 = 20;
/// Hearings, and the hearings without the responsible person (97 %).
const HEARINGS: u64 = 100;
const ABSENT: [u64; 3] = [11, 47, 83];

fn day_of_year(n: u64) -> anyhow::Result<NaiveDate> {
    date(DEMO_YEAR, 1, 6)
        .checked_add_days(Days::new(n))
        .context("date")
}

/// The 复议 register: `案号` FY-2025-NNN, respondents in turn, received over
/// the year's first ten months, accepted three days later, decided forty
/// days after that.
fn reconsideration_csv(codes: &[&str]) -> anyhow::Result<String> {
    let mut text = "案号,申请人,被申请人,收到日期,补正通知日期,补正完成日期,受理日期,程序,延期,中止天数,决定日期,决定类型,原行政行为案件编号\n".to_owned();
    for i in 0..APPLICATIONS {
        let respondent = codes[i as usize % codes.len()];
        let received = day_of_year(i * 290 / APPLICATIONS)?;
        let accepted = received.checked_add_days(Days::new(3)).context("date")?;
        let decided = accepted.checked_add_days(Days::new(40)).context("date")?;
        let (accepted, decided, decision) = match i {
            i if i < CORRECTED => (
                Some(accepted),
                Some(decided),
                ["撤销", "确认违法", "变更"][i as usize % 3],
            ),
            i if i < SUBSTANTIVE => (
                Some(accepted),
                Some(decided),
                ["维持", "驳回"][i as usize % 2],
            ),
            i if i < SUBSTANTIVE + OPEN => (Some(accepted), None, ""),
            i if i % 2 == 0 => (None, Some(received), "不予受理"),
            _ => (Some(accepted), Some(decided), "终止"),
        };
        let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        writeln!(
            text,
            "FY-{DEMO_YEAR}-{:03},申请人{},{respondent},{received},,,{},普通,否,,{},{decision},",
            i + 1,
            i + 1,
            show(accepted),
            show(decided)
        )?;
    }
    Ok(text)
}

/// The hearings: `案号` SS-2025-NNN, defendants in turn, three absences.
fn litigation_csv(codes: &[&str]) -> anyhow::Result<String> {
    let mut text = "案号,被告,开庭日期,负责人出庭\n".to_owned();
    for i in 0..HEARINGS {
        let appeared = if ABSENT.contains(&i) { "否" } else { "是" };
        writeln!(
            text,
            "SS-{DEMO_YEAR}-{:03},{},{},{appeared}",
            i + 1,
            codes[i as usize % codes.len()],
            day_of_year(i * 3)?
        )?;
    }
    Ok(text)
}

/// Imports the registers (a second run changes nothing), then prints the
/// city's 年报 line and writes the workbook to `folder`.
pub async fn justice(db: &Db, city: &City, folder: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let codes: Vec<&str> = city.departments.iter().map(|d| d.code).collect();
    anyhow::ensure!(!codes.is_empty(), "the demo city has no department");
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let write = |name: &str, text: &str| -> anyhow::Result<std::path::PathBuf> {
        let path = folder.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    };
    let now = service::now();
    let applications = write("reconsideration.csv", &reconsideration_csv(&codes)?)?;
    let imported =
        service::reconsideration::import_reconsiderations(db, &applications, "demo", now).await?;
    anyhow::ensure!(
        imported.outcome.errors.is_empty(),
        "the demo 复议 register: {:?}",
        imported.outcome.errors
    );
    let hearings = write("litigation.csv", &litigation_csv(&codes)?)?;
    let imported = service::reconsideration::import_litigation(db, &hearings, "demo", now).await?;
    anyhow::ensure!(
        imported.outcome.errors.is_empty(),
        "the demo hearings: {:?}",
        imported.outcome.errors
    );
    let calendar = workcal::Calendar::embedded()?;
    let as_of = date(DEMO_YEAR + 1, 3, 31);
    let report = service::annual::build(
        db,
        DEMO_YEAR,
        &domain::enforcement::CaseRules::default(),
        &domain::review_scoring::Thresholds::default(),
        &calendar,
        as_of,
    )
    .await?;
    let workbook = folder.join(format!("行政执法统计年报-{DEMO_YEAR}.xlsx"));
    let watermark = files::watermark::Watermark::cli(format!("{DEMO_YEAR} 年度行政执法统计年报"));
    service::annual::write_xlsx(&report, &workbook, &watermark)
        .with_context(|| format!("cannot write {}", workbook.display()))?;
    let city_line = &report.city;
    let rate = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("{r:.4}"));
    println!(
        "行政执法统计年报 {DEMO_YEAR} 全市: {} decisions, fines {} 元, review files {} (average {}), publication on time {}, 复议 received {} (substantive {}, corrected {}, rate {}), appearance {} of {} ({}); workbook {} ({:.1} s); try: jianguan justice annual --year {DEMO_YEAR} --as-of {as_of}",
        city_line.cases,
        domain::enforcement::yuan(city_line.fines_fen),
        city_line.review_files,
        city_line
            .review_average
            .map_or_else(|| "-".to_owned(), |a| format!("{a:.1}")),
        rate(city_line.publication_rate),
        city_line.reconsideration_received,
        city_line.reconsideration_substantive,
        city_line.reconsideration_corrected,
        rate(city_line.correction_rate),
        city_line.appeared,
        city_line.hearings,
        rate(city_line.appearance_rate),
        workbook.display(),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registers_have_the_seeds_figures() -> anyhow::Result<()> {
        let text = reconsideration_csv(&["A", "B"])?;
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len() as u64, APPLICATIONS);
        let corrected = rows
            .iter()
            .filter(|r| ["撤销", "确认违法", "变更"].iter().any(|k| r.contains(k)))
            .count() as u64;
        let upheld = rows
            .iter()
            .filter(|r| r.contains("维持") || r.contains("驳回"))
            .count() as u64;
        assert_eq!((corrected, corrected + upheld), (CORRECTED, SUBSTANTIVE));
        let hearings = litigation_csv(&["A"])?;
        assert_eq!(hearings.matches(",是").count(), 97);
        Ok(())
    }
}
