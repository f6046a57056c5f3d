//! A year of the workflow on whatever city the store holds (the demo city, in
//! practice): 156 plans filed, approved and published; quarterly rounds
//! committed, drawn with witness beacons and published; results entered for
//! most visits (some late); a few out-of-plan inspections, one flagged; then
//! the audit. Used by `jianguan demo` and `jianguan bench year`.
//!
//! Every choice comes from named ChaCha20 streams (`jianguan/demo/YEAR/…`), so
//! the same city gives the same year, except the round secrets, which come
//! from the operating system as in real use.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime};

use crate::synth::Stream;
use domain::CheckMethod;
use domain::entity::{CreditClass, EntityStatus};
use domain::inspection::{EligibilityRules, FollowUp, OutOfPlanReason, ResultCategory, Visit};
use domain::plan::{
    Decision, Participant, PlanFields, PlanKind, PlanScope, PlanStatus, StratumRate,
};
use service::audit::{self, AuditReport};
use service::results::{self, ResultEntry};
use service::rounds::{self, CommitRequest};
use service::{Result, china, refused};
use storage::hotline::{HotlineStore, OrderFilter};
use storage::{Candidate, InspectorFilter, WorkflowStore};

/// What the year looks like.
#[derive(Debug, Clone)]
pub struct YearOptions {
    /// The calendar year played.
    pub year: i32,
    /// Plans (Huangshi: 156).
    pub plans: usize,
    /// Of which joint (Huangshi: 88).
    pub joint_plans: usize,
    /// Entities a plan draws on average (Huangshi 2022: 1,168 in 62 draws ≈ 19).
    pub entities_per_plan: u64,
    /// Share of visits whose results are entered, per mille.
    pub results_permille: u64,
    /// Load cap per inspector per round.
    pub cap: u32,
}

impl YearOptions {
    /// Huangshi's pace, for `year`.
    pub fn huangshi(year: i32) -> Self {
        Self {
            year,
            plans: 156,
            joint_plans: 88,
            entities_per_plan: 19,
            results_permille: 920,
            cap: 40,
        }
    }
}

/// One round of the year, with how long its steps took.
#[derive(Debug, Clone)]
pub struct RoundFigures {
    /// Round id.
    pub id: String,
    /// Plans drawn.
    pub plans: usize,
    /// Frame rows frozen.
    pub frame_rows: u64,
    /// Selections.
    pub selections: u64,
    /// Visits.
    pub visits: u64,
    /// Unstaffed (visit, department) pairs.
    pub unstaffed: u64,
    /// Commit (frames, exclusions, digests, storage).
    pub commit: Duration,
    /// Draw (selection, visits, matching, storage).
    pub draw: Duration,
}

/// What the year did.
#[derive(Debug, Clone)]
pub struct YearSummary {
    /// Plans created.
    pub plans: usize,
    /// Of which joint.
    pub joint_plans: usize,
    /// The rounds.
    pub rounds: Vec<RoundFigures>,
    /// Results entered (item results).
    pub results: u64,
    /// Published on time.
    pub published_on_time: u64,
    /// Published late.
    pub published_late: u64,
    /// Out-of-plan inspections.
    pub out_of_plan: u64,
    /// Of which flagged.
    pub flagged: u64,
    /// Visits reassigned by hand.
    pub reassigned: u64,
    /// The audit at the end.
    pub audit: AuditReport,
    /// Time for results, publication and the rest of the year.
    pub rest: Duration,
}

/// `hour`:00 China time on `date`.
fn at(date: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    let local = date.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN));
    DateTime::from_naive_utc_and_offset(local - chrono::TimeDelta::hours(8), china())
}

fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| refused(format!("no date {year}-{month}-{day}")))
}

/// The first working day on or after `date` (weekends only past the calendar's years).
fn working_on_or_after(calendar: &workcal::Calendar, date: NaiveDate) -> Result<NaiveDate> {
    let mut day = date;
    for _ in 0..30 {
        if calendar.estimating().is_working_day(day)?.value {
            return Ok(day);
        }
        day = day.succ_opt().ok_or_else(|| refused("date out of range"))?;
    }
    Ok(day)
}

fn add_working(calendar: &workcal::Calendar, date: NaiveDate, n: u32) -> Result<NaiveDate> {
    Ok(calendar.estimating().add_working_days(date, n)?.value)
}

/// Sections a department supervises (from the demo city's department table).
fn sections_of(code: &str) -> &'static str {
    crate::synth::DEPARTMENTS
        .iter()
        .find(|d| d.code == code)
        .map_or("FHC", |d| d.sections)
}

struct Directory {
    departments: Vec<String>,
    names: HashMap<String, String>,
    corps: HashMap<String, u64>,
    items: HashMap<String, Vec<String>>,
    joint: Vec<(String, String, Vec<String>, String)>,
    common_field: HashMap<String, String>,
}

async fn directory<S: WorkflowStore>(store: &S, year: i32) -> Result<Directory> {
    let mut dir = Directory {
        departments: Vec::new(),
        names: HashMap::new(),
        corps: HashMap::new(),
        items: HashMap::new(),
        joint: Vec::new(),
        common_field: HashMap::new(),
    };
    let mid_year = ymd(year, 7, 1)?;
    for department in store.departments().await? {
        let code = department.code().as_str().to_owned();
        dir.names.insert(code.clone(), department.name().to_owned());
        let filter = InspectorFilter {
            department: Some(department.code().clone()),
            ..InspectorFilter::default()
        };
        let corps = store.count_inspectors(&filter).await?;
        let items: Vec<String> = store
            .items(Some(department.code()))
            .await?
            .iter()
            .map(|i| i.code.as_str().to_owned())
            .collect();
        if corps >= 2 {
            dir.corps.insert(code.clone(), corps);
            // A field most of the department's certified inspectors hold, if any.
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            let mut pages = storage::export::Inspectors::new(store, filter, storage::MAX_PAGE);
            while let Some(batch) = pages.next_batch().await? {
                for inspector in batch.iter().filter(|i| i.is_certified_on(mid_year)) {
                    for field in &inspector.fields {
                        *counts.entry(field.clone()).or_default() += 1;
                    }
                }
            }
            if let Some((field, n)) = counts
                .into_iter()
                .max_by_key(|(f, n)| (*n, std::cmp::Reverse(f.clone())))
                && n * 10 >= corps * 8
            {
                dir.common_field.insert(code.clone(), field);
            }
            if !items.is_empty() {
                dir.departments.push(code.clone());
            }
        }
        dir.items.insert(code, items);
    }
    for item in store.joint_items(None).await? {
        dir.joint.push((
            item.code.as_str().to_owned(),
            item.lead.as_str().to_owned(),
            item.cooperating
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect(),
            item.field.clone(),
        ));
    }
    Ok(dir)
}

fn pick<'a>(stream: &mut Stream, list: &'a [String]) -> Option<&'a String> {
    list.get(stream.below(list.len() as u64) as usize)
}

fn pick_items(stream: &mut Stream, items: &[String], most: u64) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for _ in 0..stream.between(1, most) {
        if let Some(item) = pick(stream, items)
            && !chosen.contains(item)
        {
            chosen.push(item.clone());
        }
    }
    chosen.sort();
    chosen
}

/// Rates calibrated so the plan draws about `target` entities, rising with risk.
fn calibrated_strata(
    scope: &PlanScope,
    candidates: &[Candidate],
    target: u64,
    year: i32,
) -> Vec<StratumRate> {
    let new_since = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let mut weighted = 0u64;
    for c in candidates
        .iter()
        .filter(|c| c.status == EntityStatus::Active && service::eligibility::in_scope(scope, c))
    {
        weighted += match c.credit_class {
            _ if c.registered_on >= new_since => 1,
            Some(CreditClass::A) => 0,
            Some(CreditClass::B) | None => 2,
            Some(CreditClass::C) => 6,
            Some(CreditClass::D) => 12,
        };
    }
    let base = (target * 2 * 10_000)
        .div_ceil(weighted.max(1))
        .clamp(1, 10_000 / 6);
    let rate = |multiple: u64| StratumRate {
        stratum: String::new(),
        rate_bp: Some((base * multiple / 2).clamp(1, 10_000) as u32),
        count: None,
    };
    ["A", "B", "C", "D", "U", "N"]
        .into_iter()
        .zip([1, 2, 6, 12, 2, 1])
        .map(|(stratum, multiple)| StratumRate {
            stratum: stratum.to_owned(),
            ..rate(multiple)
        })
        .collect()
}

fn scope_for(stream: &mut Stream, lead: &str, districts: &[String]) -> PlanScope {
    let sections = sections_of(lead);
    let take = stream.between(1, 2.min(sections.len() as u64)) as usize;
    let industries = sections.chars().take(take).map(String::from).collect();
    let districts = if stream.below(2) == 0 {
        Vec::new()
    } else {
        pick(stream, districts).cloned().into_iter().collect()
    };
    PlanScope {
        districts,
        industries,
        ..PlanScope::default()
    }
}

fn participant(
    dir: &Directory,
    stream: &mut Stream,
    department: &str,
    extra: Option<&str>,
) -> Participant {
    let own = dir.items.get(department).map_or(&[][..], Vec::as_slice);
    let mut items = if extra.is_some() && stream.below(2) == 0 {
        Vec::new()
    } else {
        pick_items(stream, own, 3)
    };
    items.extend(extra.map(str::to_owned));
    if items.is_empty() {
        items = pick_items(stream, own, 1);
    }
    items.sort();
    items.dedup();
    Participant {
        department: department.to_owned(),
        inspectors: 2,
        items,
        field: dir.common_field.get(department).cloned(),
    }
}

/// The year's plans (drafts), quarter by quarter.
fn generate_plans(
    dir: &Directory,
    candidates: &[Candidate],
    districts: &[String],
    options: &YearOptions,
) -> Vec<PlanFields> {
    let mut stream = Stream::named(&format!("jianguan/demo/{}/plans", options.year));
    let weights: Vec<u32> = dir
        .departments
        .iter()
        .map(|d| dir.corps.get(d).copied().unwrap_or(1) as u32)
        .collect();
    let quarter_weights = [22u32, 28, 28, 22];
    let mut plans = Vec::new();
    for index in 0..options.plans {
        let joint = index < options.joint_plans;
        let quarter = stream.weighted(&quarter_weights) as u32 + 1;
        let mut participants: Vec<Participant> = Vec::new();
        let lead;
        let joint_item = if joint && !dir.joint.is_empty() {
            dir.joint.get(stream.below(dir.joint.len() as u64) as usize)
        } else {
            None
        };
        if let Some((code, item_lead, cooperating, _field)) =
            joint_item.filter(|j| dir.corps.contains_key(&j.1))
        {
            lead = item_lead.clone();
            participants.push(participant(dir, &mut stream, &lead, Some(code)));
            let mut others: Vec<&String> = cooperating
                .iter()
                .filter(|d| dir.corps.contains_key(*d))
                .collect();
            stream.shuffle(&mut others);
            for other in others.into_iter().take(2) {
                participants.push(participant(dir, &mut stream, other, Some(code)));
            }
        } else {
            let Some(chosen) = dir.departments.get(stream.weighted(&weights)) else {
                continue;
            };
            lead = chosen.clone();
            participants.push(participant(dir, &mut stream, &lead, None));
            if joint {
                let mut others: Vec<&String> =
                    dir.departments.iter().filter(|d| **d != lead).collect();
                stream.shuffle(&mut others);
                for other in others.into_iter().take(stream.between(1, 2) as usize) {
                    participants.push(participant(dir, &mut stream, other, None));
                }
            }
        }
        let kind = if participants.len() > 1 {
            PlanKind::Joint
        } else {
            PlanKind::Single
        };
        let scope = scope_for(&mut stream, &lead, districts);
        let target = stream.between(
            options.entities_per_plan / 2,
            options.entities_per_plan * 3 / 2,
        );
        let strata = calibrated_strata(&scope, candidates, target, options.year);
        let (start_month, end_month, end_day) = match quarter {
            1 => (1, 3, 31),
            2 => (4, 6, 30),
            3 => (7, 9, 30),
            _ => (10, 12, 31),
        };
        let label = if kind == PlanKind::Joint {
            "联合"
        } else {
            ""
        };
        let id = format!(
            "HS{}-{}{:03}",
            options.year,
            if kind == PlanKind::Joint { "J" } else { "S" },
            index + 1
        );
        let name = dir.names.get(&lead).map_or(lead.as_str(), String::as_str);
        let title = format!(
            "{}年{name}{label}双随机抽查计划（第{quarter}季度）",
            options.year
        );
        plans.push(PlanFields {
            id,
            title,
            kind,
            lead,
            participants,
            scope,
            strata,
            required_by_law: stream.below(10) == 0,
            period_start: NaiveDate::from_ymd_opt(options.year, start_month, 1)
                .unwrap_or(NaiveDate::MIN),
            period_end: NaiveDate::from_ymd_opt(options.year, end_month, end_day)
                .unwrap_or(NaiveDate::MIN),
            frequency: "每年1次".into(),
            status: PlanStatus::Draft,
            version: 1,
            approved_version: None,
            filed_by: None,
            confirmations: Vec::new(),
        });
    }
    plans
}

/// A result category, method and follow-up drawn with realistic weights.
fn outcome(stream: &mut Stream) -> (ResultCategory, CheckMethod, FollowUp) {
    use ResultCategory as C;
    let categories = [
        (C::NoProblem, 780),
        (C::Corrected, 80),
        (C::PendingFollowUp, 30),
        (C::NotDisclosed, 30),
        (C::Unreachable, 30),
        (C::NoRelevantActivity, 25),
        (C::Closed, 15),
        (C::FalseDisclosure, 5),
        (C::Obstructed, 5),
    ];
    let weights: Vec<u32> = categories.iter().map(|(_, w)| *w).collect();
    let category = categories[stream.weighted(&weights)].0;
    let method = [
        CheckMethod::OnSite,
        CheckMethod::Documents,
        CheckMethod::Online,
    ][stream.weighted(&[80, 15, 5])];
    let follow_up = match category {
        C::Corrected => FollowUp::OrderCorrection,
        C::PendingFollowUp | C::FalseDisclosure | C::Obstructed => FollowUp::ReferToCase,
        C::Unreachable => FollowUp::NotifyDepartment,
        _ => FollowUp::None,
    };
    (category, method, follow_up)
}

/// Each partner department of a joint plan confirms its current version (会签).
async fn confirm_by_partners<S: WorkflowStore>(
    store: &S,
    fields: &PlanFields,
    when: DateTime<FixedOffset>,
) -> Result<()> {
    for partner in fields.participants.iter().skip(1) {
        let actor = format!("{}计划科", partner.department);
        service::answer_plan(
            store,
            &fields.id,
            &partner.department,
            Decision::Confirmed,
            "",
            when,
            &actor,
        )
        .await?;
    }
    Ok(())
}

/// A 12345 work order of `department` received by `on` (the `pick`-th, modulo
/// how many there are) that a complaint inspection answers; none when the
/// store holds no such order. A link to an order that does not exist would
/// answer 404.
async fn complaint_order<S: WorkflowStore + HotlineStore>(
    store: &S,
    department: &str,
    on: NaiveDate,
    pick: u64,
) -> Result<Option<String>> {
    let filter = OrderFilter {
        department: Some(department.to_owned()),
        to: Some(on),
        ..OrderFilter::default()
    };
    let count = store.hotline_order_count(&filter).await?;
    if count == 0 {
        return Ok(None);
    }
    let offset = u32::try_from(pick % count).unwrap_or(0);
    Ok(store
        .hotline_orders(&filter, 1, offset)
        .await?
        .into_iter()
        .next()
        .map(|order| order.id))
}

/// Plays the year. `say` receives one line per step.
pub async fn play<S: WorkflowStore + HotlineStore>(
    store: &S,
    calendar: &workcal::Calendar,
    options: &YearOptions,
    mut say: impl FnMut(String),
) -> Result<YearSummary> {
    let year = options.year;
    let dir = directory(store, year).await?;
    if dir.departments.is_empty() {
        return Err(refused(
            "the store has no department with inspectors and items: load a city first",
        ));
    }
    let candidates = store.frame_candidates().await?;
    let districts: Vec<String> = store
        .districts()
        .await?
        .iter()
        .map(|d| d.code().as_str().to_owned())
        .collect();
    let drafts = generate_plans(&dir, &candidates, &districts, options);
    let rest_started = Instant::now();
    let mut rest = Duration::ZERO;

    // January: drafted, filed with the Justice Bureau, approved, published.
    let created = working_on_or_after(calendar, ymd(year, 1, 6)?)?;
    let filed = add_working(calendar, created, 3)?;
    let approved = add_working(calendar, filed, 5)?;
    let published = add_working(calendar, approved, 2)?;
    let mut joint = 0;
    for fields in &drafts {
        let actor = format!("{}计划科", fields.lead);
        if fields.kind == PlanKind::Joint {
            joint += 1;
        }
        service::create_plan(store, fields.clone(), at(created, 9), &actor).await?;
        service::advance_plan(
            store,
            &fields.id,
            PlanStatus::Filed,
            at(filed, 10),
            &actor,
            "报市司法局备案",
        )
        .await?;
        confirm_by_partners(store, fields, at(add_working(calendar, filed, 2)?, 11)).await?;
        service::advance_plan(
            store,
            &fields.id,
            PlanStatus::Approved,
            at(approved, 15),
            "市人民政府",
            "年度抽查计划批准",
        )
        .await?;
        service::advance_plan(
            store,
            &fields.id,
            PlanStatus::Published,
            at(published, 9),
            "市市场监管局",
            "向社会公示",
        )
        .await?;
    }
    // Two plans change after publication: a new version, filed again and re-approved.
    let mut stream = Stream::named(&format!("jianguan/demo/{year}/events"));
    let later: Vec<&PlanFields> = drafts
        .iter()
        .filter(|p| p.period_start.month() >= 4)
        .take(2)
        .collect();
    let changed_on = add_working(calendar, published, 20)?;
    for fields in later {
        let mut changed = fields.clone();
        changed
            .participants
            .iter_mut()
            .for_each(|p| p.inspectors = 3);
        let actor = format!("{}计划科", fields.lead);
        service::change_plan(
            store,
            changed,
            at(changed_on, 10),
            &actor,
            "检查人员由2人调整为3人（涉及专业检测）",
        )
        .await?;
        confirm_by_partners(store, fields, at(add_working(calendar, changed_on, 2)?, 11)).await?;
        service::advance_plan(
            store,
            &fields.id,
            PlanStatus::Approved,
            at(add_working(calendar, changed_on, 3)?, 15),
            "市人民政府",
            "变更后重新批准",
        )
        .await?;
        service::advance_plan(
            store,
            &fields.id,
            PlanStatus::Published,
            at(add_working(calendar, changed_on, 4)?, 9),
            "市市场监管局",
            "变更后重新公示",
        )
        .await?;
    }
    say(format!(
        "计划 plans: {} created, filed, approved and published ({} joint); 2 changed and re-approved",
        drafts.len(),
        joint
    ));
    rest += rest_started.elapsed();

    let mut figures = Vec::new();
    let mut entered = 0u64;
    let mut on_time = 0u64;
    let mut late = 0u64;
    let mut reassigned = 0u64;
    let mut published_ids: Vec<String> = Vec::new();
    for quarter in 1..=4u32 {
        let start = ymd(year, 3 * quarter - 2, 1)?;
        let end = start
            .checked_add_months(chrono::Months::new(3))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| refused("date"))?;
        let commit_day = working_on_or_after(calendar, start)?;
        let id = format!("{year}-Q{quarter}");
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| refused(format!("no system randomness for the secret: {e}")))?;
        let request = CommitRequest {
            id: id.clone(),
            title: format!("{year}年第{quarter}季度双随机抽取"),
            window_start: start,
            window_end: end,
            cap: Some(options.cap),
            plans: None,
        };
        let timer = Instant::now();
        let round = rounds::commit(
            store,
            &request,
            &EligibilityRules::default(),
            &draw::Secret::from_bytes(secret),
            at(commit_day, 9),
            "市市场监管局",
        )
        .await?;
        let commit_time = timer.elapsed();
        let frame_rows: u64 = store
            .round_frames(&id)
            .await?
            .iter()
            .map(|f| f.frame.lines().count() as u64)
            .sum();
        let draw_day = add_working(calendar, commit_day, 2)?;
        let beacon = format!(
            "{draw_day} 10:00 抽取见证：上证综指前一交易日收盘 {}.{:02}，见证人抽签号 {:04}",
            3000 + stream.below(600),
            stream.below(100),
            stream.below(10_000)
        );
        let witnesses = vec![
            "市司法局 行政执法监督科".to_owned(),
            "企业代表（市工商联推荐）".to_owned(),
        ];
        let timer = Instant::now();
        let drawn = rounds::draw(
            store,
            &id,
            &beacon,
            &witnesses,
            at(draw_day, 10),
            "市市场监管局",
        )
        .await?;
        let draw_time = timer.elapsed();
        rounds::publish(store, &id, at(draw_day, 16), "市市场监管局").await?;
        say(format!(
            "批次 round {id}: {} plans, {frame_rows} frame rows; {} selections, {} visits, {} unstaffed; commit {:.2} s, draw {:.2} s",
            round.plans.len(),
            drawn.selections,
            drawn.visits,
            drawn.unstaffed,
            commit_time.as_secs_f64(),
            draw_time.as_secs_f64()
        ));
        figures.push(RoundFigures {
            id: id.clone(),
            plans: round.plans.len(),
            frame_rows,
            selections: drawn.selections,
            visits: drawn.visits,
            unstaffed: drawn.unstaffed,
            commit: commit_time,
            draw: draw_time,
        });

        let rest_started = Instant::now();
        let visits = store.list::<Visit>(Some(("round", &id))).await?;
        let window_days = (end - draw_day).num_days().max(1) as u64;
        for visit in &visits {
            for team in &visit.teams {
                let mut team_members = team.assigned.clone();
                if team_members.is_empty() {
                    // Unstaffed: reassign by hand from the department's certified corps, with a reason.
                    let Some(replacement) =
                        replacement(store, visit, &team.department, team.k as usize).await?
                    else {
                        continue;
                    };
                    rounds::reassign(
                        store,
                        &visit.id,
                        &team.department,
                        &replacement,
                        "抽取时符合条件的执法人员不足，经科室负责人批准从本部门持证人员中指派",
                        at(add_working(calendar, draw_day, 1)?, 11),
                        &format!("{}执法科", team.department),
                    )
                    .await?;
                    reassigned += 1;
                    team_members = replacement;
                }
                if stream.below(1000) >= options.results_permille {
                    continue;
                }
                let check_start = working_on_or_after(
                    calendar,
                    draw_day + chrono::Days::new(1 + stream.below(window_days * 3 / 4)),
                )?;
                let check_end = add_working(calendar, check_start, stream.below(3) as u32)?;
                let (category, method, follow_up) = outcome(&mut stream);
                let entry = ResultEntry {
                    category,
                    method,
                    follow_up,
                    check_start,
                    check_end,
                    inspectors: team_members.clone(),
                    note: String::new(),
                };
                let actor = format!("{}执法人员", team.department);
                let entered_at = at(
                    add_working(calendar, check_end, 1 + stream.below(4) as u32)?,
                    17,
                );
                let results = results::enter_visit(
                    store,
                    calendar,
                    &visit.id,
                    &team.department,
                    &entry,
                    entered_at,
                    &actor,
                )
                .await?;
                entered += results.len() as u64;
                // Most are published within 20 working days; some are late.
                let delay = if stream.below(100) < 88 {
                    3 + stream.below(17)
                } else {
                    21 + stream.below(15)
                };
                let publish_on = add_working(calendar, check_end, delay as u32)?;
                let ids: Vec<String> = results.iter().map(|r| r.id.clone()).collect();
                for r in
                    results::publish(store, &ids, publish_on, at(publish_on, 10), &actor).await?
                {
                    if r.overdue(publish_on) {
                        late += 1;
                    } else {
                        on_time += 1;
                    }
                    published_ids.push(r.id);
                }
            }
        }
        rest += rest_started.elapsed();
    }

    let rest_started = Instant::now();
    // One published result corrected.
    if let Some(id) = published_ids.get(stream.below(published_ids.len().max(1) as u64) as usize)
        && let Some(original) = store
            .get::<domain::inspection::InspectionResult>(id)
            .await?
    {
        let entry = ResultEntry {
            category: ResultCategory::Corrected,
            method: original.method,
            follow_up: FollowUp::OrderCorrection,
            check_start: original.check_start,
            check_end: original.check_end,
            inspectors: original.inspectors.clone(),
            note: "复核后更正：现场发现问题已责令改正".into(),
        };
        let on = add_working(
            calendar,
            original.published_on.unwrap_or(original.check_end),
            5,
        )?;
        results::correct(
            store,
            id,
            &entry,
            "录入错误，经复核更正",
            on,
            at(on, 10),
            &format!("{}执法人员", original.department),
        )
        .await?;
    }
    // Out-of-plan inspections, one of them for a reason outside the permitted three.
    let active: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.status == EntityStatus::Active)
        .collect();
    let reasons = [
        OutOfPlanReason::Complaint,
        OutOfPlanReason::Complaint,
        OutOfPlanReason::Complaint,
        OutOfPlanReason::Complaint,
        OutOfPlanReason::Assigned,
        OutOfPlanReason::Hazard,
        OutOfPlanReason::Complaint,
        OutOfPlanReason::Other,
    ];
    let mut flagged = 0;
    for (n, reason) in reasons.iter().enumerate() {
        let Some(entity) = active.get(stream.below(active.len() as u64) as usize) else {
            break;
        };
        let Some(department) = dir
            .departments
            .get(stream.below(dir.departments.len() as u64) as usize)
        else {
            break;
        };
        let on = working_on_or_after(
            calendar,
            ymd(year, 2 + n as u32, 10 + stream.below(10) as u32)?,
        )?;
        let (detail, work_order) = match reason {
            OutOfPlanReason::Complaint => (
                "12345热线转办：群众反映经营场所存在安全隐患",
                complaint_order(store, department, on, stream.below(1_000_000)).await?,
            ),
            OutOfPlanReason::Assigned => ("省厅交办专项核查", None),
            OutOfPlanReason::Hazard => ("节前安全生产检查发现涉危线索", None),
            OutOfPlanReason::Other => ("执法人员自行决定入企检查", None),
        };
        let inspectors = store
            .search_inspectors(
                &InspectorFilter {
                    department: domain::DepartmentCode::parse(department).ok(),
                    certified_on: Some(on),
                    ..InspectorFilter::default()
                },
                &storage::PageRequest::first(2),
            )
            .await?
            .items
            .iter()
            .map(|i| i.cert_no.as_str().to_owned())
            .collect();
        let record = results::register_out_of_plan(
            store,
            &format!("{department}-{year}-{:04}", n + 1),
            &entity.uscc,
            department,
            *reason,
            detail,
            work_order,
            on,
            inspectors,
            at(on, 16),
            &format!("{department}执法科"),
        )
        .await?;
        if record.flagged {
            flagged += 1;
        }
    }
    let audit = audit::verify(store).await?;
    rest += rest_started.elapsed();
    Ok(YearSummary {
        plans: drafts.len(),
        joint_plans: joint,
        rounds: figures,
        results: entered,
        published_on_time: on_time,
        published_late: late,
        out_of_plan: reasons.len() as u64,
        flagged,
        reassigned,
        audit,
        rest,
    })
}

/// `k` certified inspectors of `department` for an unstaffed visit, not recused.
async fn replacement<S: WorkflowStore>(
    store: &S,
    visit: &Visit,
    department: &str,
    k: usize,
) -> Result<Option<Vec<String>>> {
    let Ok(code) = domain::DepartmentCode::parse(department) else {
        return Ok(None);
    };
    let filter = InspectorFilter {
        department: Some(code),
        certified_on: Some(visit.due_by),
        ..InspectorFilter::default()
    };
    let recused: Vec<String> = match domain::Uscc::parse_lenient(&visit.entity) {
        Ok((uscc, _)) => store
            .recusals_of_entity(&uscc)
            .await?
            .iter()
            .map(|r| r.inspector().as_str().to_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    let rules = rounds::team_rules(store, visit, department).await?;
    let page = store
        .search_inspectors(&filter, &storage::PageRequest::first(storage::MAX_PAGE))
        .await?;
    let chosen: Vec<String> = page
        .items
        .iter()
        .filter(|i| rules.fields.iter().all(|f| i.fields.contains(f)))
        .map(|i| i.cert_no.as_str().to_owned())
        .filter(|c| !recused.contains(c) && !rules.previous.contains(c))
        .take(k)
        .collect();
    Ok((chosen.len() == k).then_some(chosen))
}
