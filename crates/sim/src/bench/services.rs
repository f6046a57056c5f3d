//! `jianguan bench services`: government services (issue 21). A year of
//! synthetic applications (办件, 1,000,000 by default; named stream
//! `jianguan/bench/services/2025`) with due days from the embedded calendar is
//! seeded in bulk (no ledger entries) into a fresh SQLite file, and into a
//! fresh PostgreSQL schema with `--postgres`; then, as of the year's last day
//! at 18:00, the year's KPIs ([`service::services::kpi`]: one aggregate query
//! over the derived columns, read as two halves of the year at once), goal
//! under 1 s on SQLite, city-wide and for one department. The counts are
//! checked against the definitions applied in Rust to the generated
//! applications while they were made ("identical").

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone as _};

use super::{Spread, ms, pg_admin, thousands};
use crate::synth::Stream;
use domain::credit::Subject;
use domain::hotline::{WorkingDays, beijing};
use domain::services::{
    Application, Channel, Decision, Handling, RECTIFY_DAYS, Review, ServiceKpiCounts, due_day,
};
use service::services::{ServiceKpiQuery, kpi};
use storage::services::ServiceStore;
use storage::{self, Db, Store};

const YEAR: i32 = 2025;
const KPI_GOAL: Duration = Duration::from_secs(1);
const BATCH: usize = 20_000;
/// The departments of the synthetic catalogue (黄石市民之家: 44).
const DEPARTMENTS: u64 = 44;
/// The department of the one-department KPI.
const DEPARTMENT: &str = "D07";

/// Runs the benchmark: `applications` applications, `runs` timed runs,
/// PostgreSQL at `postgres`; the SQLite file is `keep` (kept afterwards, for
/// other tools to query) or a temporary one.
pub fn run(
    applications: u64,
    runs: usize,
    postgres: Option<&str>,
    keep: Option<&str>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("## Government services (办件 KPIs)\n");
    let calendar = workcal::Calendar::embedded().context("the embedded calendar is damaged")?;
    let as_of = at(day(12, 31)?, 18, 0)?;
    let dir = std::env::temp_dir().join(format!("jianguan-bench-services-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = keep.map_or_else(|| dir.join("services.sqlite3"), std::path::PathBuf::from);
    if keep.is_some() && path.exists() {
        bail!(
            "{} exists: --database names a new file here",
            path.display()
        );
    }
    let schema = format!("bench_services_{}", std::process::id());
    let pg_url = postgres.map(|base| {
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}options[search_path]={schema}")
    });
    let outcome = runtime.block_on(async {
        if let Some(base) = postgres {
            pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
            pg_admin(base, &format!("CREATE SCHEMA {schema}")).await?;
        }
        let sqlite = storage::open(&path.to_string_lossy()).await?;
        let pg = match &pg_url {
            Some(url) => Some(storage::open(url).await?),
            None => None,
        };
        let outcome = async {
            let mut targets: Vec<(&str, &Db)> = vec![("SQLite", &sqlite)];
            if let Some(pg) = &pg {
                targets.push(("PostgreSQL", pg));
            }
            for (_, db) in &targets {
                db.migrate().await?;
            }
            let started = Instant::now();
            let expected = seed(&calendar, applications, as_of, &targets).await?;
            let seeding = started.elapsed();
            if let Some(base) = postgres {
                pg_admin(base, &format!("ANALYZE {schema}.service_applications")).await?;
            }
            let file = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!(
                "Data: {} applications received on the working days of {YEAR}, as of {}; generated and seeded in batches of {} without ledger entries in {:.1} s; SQLite file {:.0} MiB.\n",
                thousands(applications),
                domain::hotline::stored_time(as_of),
                thousands(BATCH as u64),
                seeding.as_secs_f64(),
                file as f64 / 1_048_576.0,
            );
            let mut rows = Vec::new();
            for (name, db) in &targets {
                for department in [None, Some(DEPARTMENT)] {
                    let query = ServiceKpiQuery {
                        from: day(1, 1)?,
                        to: day(12, 31)?,
                        department: department.map(str::to_owned),
                        as_of,
                    };
                    let mut times = Vec::with_capacity(runs);
                    let mut answer = None;
                    for run in 0..=runs {
                        let started = Instant::now();
                        let figures = kpi(*db, &query).await?;
                        if run > 0 {
                            times.push(started.elapsed());
                        }
                        answer = Some(figures);
                    }
                    let answer = answer.context("no KPI run")?;
                    let want = match department {
                        None => expected.0.kpi(),
                        Some(_) => expected.1.kpi(),
                    };
                    if answer != want {
                        bail!("{name}: the SQL KPIs {answer:?} differ from the count in Rust {want:?}");
                    }
                    rows.push((name.to_string(), department, Spread::of(&times), answer));
                }
            }
            anyhow::Ok(rows)
        }
        .await;
        sqlite.close().await;
        if let Some(pg) = pg {
            pg.close().await;
        }
        if let Some(base) = postgres {
            pg_admin(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
        }
        outcome
    });
    let _ = std::fs::remove_dir_all(&dir);
    let rows = outcome?;
    println!(
        "| {} applications, medians of {runs} runs after a warm-up | time | goal (SQLite) | met | KPIs (identical to the count in Rust) |",
        thousands(applications)
    );
    println!("|---|---:|---|---|---|");
    for (name, department, spread, answer) in rows {
        let goal = name == "SQLite" && department.is_none();
        println!(
            "| {name}: KPIs of the year, {} | {spread} | {} | {} | {} |",
            department.map_or_else(|| "city-wide".to_owned(), |d| format!("department {d}")),
            if goal {
                format!("< {}", ms(KPI_GOAL))
            } else {
                String::new()
            },
            if goal {
                if spread.median < KPI_GOAL {
                    "yes"
                } else {
                    "no"
                }
            } else {
                ""
            },
            serde_json::to_string(&answer).unwrap_or_default(),
        );
    }
    println!();
    Ok(())
}

fn day(month: u32, day: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(YEAR, month, day).context("date")
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> anyhow::Result<DateTime<FixedOffset>> {
    beijing()
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).context("time")?)
        .single()
        .context("time")
}

/// Generates the applications batch by batch, seeds each into every target,
/// and counts the KPIs by the definitions: city-wide and for
/// [`DEPARTMENT`].
async fn seed(
    calendar: &workcal::Calendar,
    total: u64,
    as_of: DateTime<FixedOffset>,
    targets: &[(&str, &Db)],
) -> anyhow::Result<(ServiceKpiCounts, ServiceKpiCounts)> {
    let mut stream = Stream::named(&format!("jianguan/bench/services/{YEAR}"));
    let working: Vec<NaiveDate> = day(1, 1)?
        .iter_days()
        .take_while(|d| *d <= day(12, 31).unwrap_or(*d))
        .filter(|d| calendar.is_working_day(*d).unwrap_or(false))
        .collect();
    let subject = Subject::parse_valid("91420200MA4A0002XJ").map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mut city, mut one) = (ServiceKpiCounts::default(), ServiceKpiCounts::default());
    let mut batch = Vec::with_capacity(BATCH);
    let today = as_of.date_naive();
    for i in 0..total {
        let received_on = working[(i * working.len() as u64 / total.max(1)) as usize];
        let received_at =
            at(received_on, 8, 30)? + chrono::Duration::minutes(stream.below(510) as i64);
        let department = format!("D{:02}", 1 + stream.below(DEPARTMENTS));
        let (handling, promised) = if stream.below(10) < 3 {
            (Handling::Immediate, 0)
        } else {
            (
                Handling::Promised,
                [1, 3, 5, 7, 10, 15, 20][stream.below(7) as usize],
            )
        };
        let channel = [
            Channel::OneWindow,
            Channel::OneWindow,
            Channel::OneWindow,
            Channel::DepartmentWindow,
            Channel::Online,
        ][stream.below(5) as usize];
        let accepted_at =
            (stream.below(100) >= 3).then(|| received_at + chrono::Duration::minutes(20));
        let paused_days = if stream.below(50) == 0 {
            1 + stream.below(10) as u32
        } else {
            0
        };
        let due = match accepted_at {
            Some(_) => Some(
                due_day(calendar, received_on, handling, promised, paused_days)
                    .map_err(|e| anyhow::anyhow!(e.0))?,
            ),
            None => None,
        };
        // Most close in time; one in twenty runs late by up to three working days.
        let closed_at = match due {
            Some(due) => {
                let span =
                    u32::try_from(calendar.working_days_between(received_on, due)?).unwrap_or(0);
                let days = if stream.below(20) == 0 {
                    span + 1 + stream.below(3) as u32
                } else {
                    stream.below(u64::from(span) + 1) as u32
                };
                let closed_on = calendar
                    .last_day(received_on, days)
                    .map_err(|e| anyhow::anyhow!(e.0))?;
                Some(at(closed_on, 16, 0)?).filter(|t| *t <= as_of)
            }
            None => None,
        };
        let review = closed_at.and_then(|_| match stream.below(100) {
            0..=29 => None,
            30..=79 => Some(Review::VerySatisfied),
            80..=91 => Some(Review::Satisfied),
            92..=97 => Some(Review::FairlySatisfied),
            98 => Some(Review::Dissatisfied),
            _ => Some(Review::VeryDissatisfied),
        });
        let reviewed_at = review
            .and(closed_at)
            .map(|t| t + chrono::Duration::hours(1));
        let rectify_due = match (review, reviewed_at) {
            (Some(r), Some(t)) if r.is_bad() => Some(
                calendar
                    .last_day(t.date_naive(), RECTIFY_DAYS)
                    .map_err(|e| anyhow::anyhow!(e.0))?,
            ),
            _ => None,
        };
        let rectified_at = match (rectify_due, reviewed_at) {
            (Some(_), Some(t)) if stream.below(10) != 0 => {
                let on = calendar
                    .last_day(t.date_naive(), 1 + stream.below(7) as u32)
                    .map_err(|e| anyhow::anyhow!(e.0))?;
                Some(at(on, 11, 0)?).filter(|t| *t <= as_of)
            }
            _ => None,
        };
        let application = Application {
            id: format!("BJ{YEAR}{i:08}"),
            matter: format!("M{:04}", stream.below(1_845)),
            matter_version: 1,
            department,
            applicant_name: "黄石市某公司".into(),
            applicant: subject,
            channel,
            received_at,
            accepted_at,
            paused_days,
            due,
            closed_at,
            decision: closed_at.map(|_| Decision::Granted),
            review,
            reviewed_at,
            rectify_due,
            rectified_at,
            import_digest: None,
            revoked_at: None,
        };
        // The definitions, one application at a time (every step here is before as-of).
        let mut counts = ServiceKpiCounts {
            applications: 1,
            ..ServiceKpiCounts::default()
        };
        counts.one_window = u64::from(channel == Channel::OneWindow);
        if let Some(due) = due {
            counts.timed = u64::from(closed_at.is_some() || today > due);
            counts.closed_on_time = u64::from(closed_at.is_some_and(|t| t.date_naive() <= due));
        }
        if let Some(review) = review {
            counts.rated = 1;
            counts.good = u64::from(review.is_good());
            counts.bad = u64::from(review.is_bad());
        }
        if let Some(last) = rectify_due {
            counts.rectify_counted = u64::from(rectified_at.is_some() || today > last);
            counts.rectified_on_time =
                u64::from(rectified_at.is_some_and(|t| t.date_naive() <= last));
        }
        city.add(&counts);
        if application.department == DEPARTMENT {
            one.add(&counts);
        }
        batch.push(application);
        if batch.len() == BATCH || i + 1 == total {
            for (_, db) in targets {
                db.seed_applications(batch.clone()).await?;
            }
            batch.clear();
        }
    }
    Ok((city, one))
}
