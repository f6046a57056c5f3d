//! The dashboard's figures as the staff pages and the API both read them:
//! built per scope and year, cached while the ledger does not move.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Datelike;
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::Result;
use domain::account::{Account, Permission};
use domain::entity::CreditClass;
use domain::inspection::{RoundStatus, Visit};
use domain::plan::Plan;
use service::report::{self, Period};
use storage::{ClassFilter, EntityFilter, InspectorFilter, Store, WorkflowStore};

/// How long cached figures are trusted while the ledger head does not move.
pub const CACHE_TTL: Duration = Duration::from_secs(300);

/// Draws and visits of one month.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MonthFigures {
    /// 1–12.
    pub month: u32,
    /// Rounds drawn (with a plan of the scope).
    pub draws: u64,
    /// Visits of those rounds (of the scope's plans).
    pub visits: u64,
}

/// The dashboard's figures of one scope and year.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Department code, or `全市`.
    pub scope: String,
    /// Department name, or `全市`.
    pub scope_name: String,
    /// The year shown.
    pub year: i32,
    /// When these figures were computed (China time).
    pub built_at: String,
    /// Entities in the directory (city-wide: the directory is shared).
    pub entities: u64,
    /// Inspectors in the directory (of the department, when scoped).
    pub inspectors: u64,
    /// The year's report row of the scope.
    pub report: report::ReportRow,
    /// Draws and visits per month, January first.
    pub monthly: Vec<MonthFigures>,
    /// Entities per credit-risk class (`A`–`D`, `未分类`); only for accounts
    /// that may see risk classes, never public.
    pub risk_classes: Option<BTreeMap<String, u64>>,
}

/// The figures last built per (scope, year), with the ledger head they were
/// built at. A stale entry is served while a fresh one is built in the
/// background, so only the first request of a scope waits for a build.
#[derive(Default)]
pub struct FiguresCache {
    map: Mutex<HashMap<(String, i32), Cached>>,
}

struct Cached {
    head: i64,
    built: Instant,
    figures: Arc<Figures>,
    rebuilding: bool,
}

impl FiguresCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i32), Cached>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets everything (after a directory import).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Stores every scope's figures of `year`, built at ledger head `head`.
    fn store_all(&self, year: i32, head: i64, all: HashMap<String, Figures>) {
        let mut map = self.lock();
        for (scope, figures) in all {
            map.insert(
                (scope, year),
                Cached {
                    head,
                    built: Instant::now(),
                    figures: Arc::new(figures),
                    rebuilding: false,
                },
            );
        }
    }
}

/// The department whose figures `account` sees, or `None` for the city.
pub fn scope_of(account: &Account) -> Option<String> {
    if account.reads_all() {
        None
    } else {
        account.department.clone()
    }
}

/// The year of the latest draw, or this year when nothing was drawn.
pub async fn default_year(state: &AppState) -> Result<i32> {
    let rounds = service::rounds::inspection_rounds(&state.db).await?;
    Ok(rounds
        .iter()
        .filter_map(|r| r.drawn_at)
        .max()
        .map_or_else(|| domain::clock::now().year(), |at| at.year()))
}

/// Builds the city's and every department's figures of the default year in
/// the background, so that the first visitor of a dashboard does not wait for
/// a build (called when the server starts).
pub fn warm(state: &Arc<AppState>) {
    let state = state.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let warmed: Result<usize> = async {
            let year = default_year(&state).await?;
            let (head, _) = state.db.ledger_head().await?;
            let all = build_all(&state, year).await?;
            let count = all.len();
            state.figures.store_all(year, head, all);
            Ok(count)
        }
        .await;
        match warmed {
            Ok(count) => tracing::info!(
                scopes = count,
                seconds = started.elapsed().as_secs_f64(),
                "dashboard figures ready"
            ),
            Err(error) => tracing::warn!(error = %error, "dashboard figures not prepared"),
        }
    });
}

/// The figures `account` may see for `year`: from the cache when fresh; a
/// stale entry is served while a background task rebuilds it.
pub async fn figures_for(state: &Arc<AppState>, account: &Account, year: i32) -> Result<Figures> {
    let scope = scope_of(account);
    let key = (scope.clone().unwrap_or_default(), year);
    let (head, _) = state.db.ledger_head().await?;
    let (cached, rebuild) = {
        let mut map = state.figures.lock();
        match map.get_mut(&key) {
            Some(entry) => {
                let stale = entry.head != head || entry.built.elapsed() >= CACHE_TTL;
                let rebuild = stale && !entry.rebuilding;
                entry.rebuilding |= rebuild;
                (Some(entry.figures.clone()), rebuild)
            }
            None => (None, false),
        }
    };
    if rebuild {
        let (state, key) = (state.clone(), key.clone());
        tokio::spawn(async move {
            match build_all(&state, year).await {
                Ok(all) => state.figures.store_all(year, head, all),
                Err(error) => {
                    tracing::warn!(error = %error, "dashboard figures not rebuilt");
                    if let Some(entry) = state.figures.lock().get_mut(&key) {
                        entry.rebuilding = false;
                    }
                }
            }
        });
    }
    let figures = match cached {
        Some(figures) => figures,
        None => {
            let mut all = build_all(state, year).await?;
            let figures = all
                .remove(&key.0)
                .ok_or_else(|| crate::error::Error::NotFound(format!("部门 {} 不存在", key.0)))?;
            state.figures.store_all(year, head, all);
            let figures = Arc::new(figures);
            state.figures.lock().insert(
                key,
                Cached {
                    head,
                    built: Instant::now(),
                    figures: figures.clone(),
                    rebuilding: false,
                },
            );
            figures
        }
    };
    let mut figures = (*figures).clone();
    if !account.may(Permission::SeeRiskClasses) {
        figures.risk_classes = None;
    }
    Ok(figures)
}

/// Builds the figures of `year` for the city (key `""`) and every department
/// (key: its code) in one pass: one report, one read of the plans, rounds and
/// visits, and the city-wide risk-class counts shared by every scope.
async fn build_all(state: &AppState, year: i32) -> Result<HashMap<String, Figures>> {
    let db = &state.db;
    let today = domain::clock::now().date_naive();
    let built_at = domain::clock::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let mut rows = report::build(db, Period::Year(year), None, today)
        .await?
        .rows
        .into_iter();
    let city_row = rows.next().unwrap_or_default();
    let mut department_rows: HashMap<String, report::ReportRow> =
        rows.map(|row| (row.department.clone(), row)).collect();
    let plans: HashMap<String, Plan> = db
        .list::<Plan>(None)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let mut drawn = Vec::new();
    for round in service::rounds::inspection_rounds(db).await? {
        let Some(drawn_at) = round.drawn_at.filter(|at| at.year() == year) else {
            continue;
        };
        if round.status == RoundStatus::Committed {
            continue;
        }
        let visits = db.list::<Visit>(Some(("round", &round.id))).await?;
        drawn.push((drawn_at.month0() as usize, round, visits));
    }
    let risk_classes = risk_classes(state).await?;
    let entities = risk_classes.values().sum();
    let monthly = |department: Option<&str>| {
        let involves = |plan: &str| {
            department.is_none_or(|d| {
                plans
                    .get(plan)
                    .is_some_and(|p| p.participants.iter().any(|x| x.department == d))
            })
        };
        let mut months: Vec<MonthFigures> = (1..=12)
            .map(|month| MonthFigures {
                month,
                ..MonthFigures::default()
            })
            .collect();
        for (month0, round, visits) in &drawn {
            if !round.plans.keys().any(|p| involves(p)) {
                continue;
            }
            if let Some(month) = months.get_mut(*month0) {
                month.draws += 1;
                month.visits += visits
                    .iter()
                    .filter(|v| v.plans.iter().any(|p| involves(p)))
                    .count() as u64;
            }
        }
        months
    };
    let figures = |scope: &str,
                   name: &str,
                   inspectors: u64,
                   report: report::ReportRow,
                   department: Option<&str>| Figures {
        scope: scope.to_owned(),
        scope_name: name.to_owned(),
        year,
        built_at: built_at.clone(),
        entities,
        inspectors,
        report,
        monthly: monthly(department),
        risk_classes: Some(risk_classes.clone()),
    };
    let mut all = HashMap::new();
    let city_inspectors = db.count_inspectors(&InspectorFilter::default()).await?;
    all.insert(
        String::new(),
        figures("全市", "全市", city_inspectors, city_row, None),
    );
    for department in db.departments().await? {
        let code = department.code().as_str().to_owned();
        let filter = InspectorFilter {
            department: Some(department.code().clone()),
            ..InspectorFilter::default()
        };
        let inspectors = db.count_inspectors(&filter).await?;
        let row = department_rows
            .remove(&code)
            .unwrap_or_else(|| report::ReportRow {
                department: code.clone(),
                name: department.name().to_owned(),
                ..report::ReportRow::default()
            });
        let scoped = figures(&code, department.name(), inspectors, row, Some(&code));
        all.insert(code, scoped);
    }
    Ok(all)
}

/// Entities per credit-risk class, city-wide (the directory is shared).
async fn risk_classes(state: &AppState) -> Result<BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    for class in CreditClass::ALL {
        let filter = EntityFilter {
            credit_class: Some(ClassFilter::Class(*class)),
            ..EntityFilter::default()
        };
        counts.insert(
            class.as_str().to_owned(),
            state.db.count_entities(&filter).await?,
        );
    }
    let unclassified = EntityFilter {
        credit_class: Some(ClassFilter::Unclassified),
        ..EntityFilter::default()
    };
    counts.insert(
        "未分类".to_owned(),
        state.db.count_entities(&unclassified).await?,
    );
    Ok(counts)
}

/// The ECharts options of the dashboard's charts: (title, option JSON).
pub fn charts(figures: &Figures) -> Vec<(&'static str, String)> {
    let months: Vec<String> = figures
        .monthly
        .iter()
        .map(|m| format!("{}月", m.month))
        .collect();
    let draws: Vec<u64> = figures.monthly.iter().map(|m| m.draws).collect();
    let visits: Vec<u64> = figures.monthly.iter().map(|m| m.visits).collect();
    let row = &figures.report;
    let pie = |name: &str, data: Vec<Value>| {
        json!({
            "tooltip": {"trigger": "item", "formatter": "{b}: {c}（{d}%）"},
            // The legend below, the ring above it: labels and legend never meet.
            "legend": {"type": "scroll", "bottom": 0},
            "series": [{"name": name, "type": "pie", "radius": ["30%", "55%"], "center": ["50%", "45%"],
                        "avoidLabelOverlap": true, "label": {"overflow": "truncate", "width": 90}, "data": data}]
        })
    };
    let mut charts = vec![
        (
            "每月抽取与检查户次",
            json!({
                "tooltip": {"trigger": "axis"},
                // The legend in its own band above the axis names.
                "legend": {"data": ["抽取批次", "检查户次"], "top": 0},
                "grid": {"top": 56, "left": 40, "right": 40, "bottom": 30, "containLabel": true},
                "xAxis": {"type": "category", "data": months},
                "yAxis": [{"type": "value", "name": "批次", "minInterval": 1}, {"type": "value", "name": "户次"}],
                "series": [
                    {"name": "抽取批次", "type": "bar", "data": draws},
                    {"name": "检查户次", "type": "line", "yAxisIndex": 1, "data": visits}
                ]
            }),
        ),
        (
            "联合抽查占比",
            pie(
                "抽查计划",
                vec![
                    json!({"name": "部门联合抽查", "value": row.joint_plans_drawn}),
                    json!({"name": "单部门抽查", "value": row.plans_drawn.saturating_sub(row.joint_plans_drawn)}),
                ],
            ),
        ),
        (
            "结果公示情况",
            pie(
                "检查结果",
                vec![
                    json!({"name": "按时公示", "value": row.published_on_time}),
                    json!({"name": "逾期公示", "value": row.published_late}),
                    json!({"name": "逾期未公示", "value": row.overdue_unpublished}),
                ],
            ),
        ),
        (
            "计划外检查（按事由）",
            json!({
                "tooltip": {"trigger": "axis"},
                "grid": {"left": 40, "right": 20, "bottom": 30},
                "xAxis": {"type": "category", "data": row.out_of_plan.keys().collect::<Vec<_>>()},
                "yAxis": {"type": "value", "minInterval": 1},
                "series": [{"name": "计划外检查", "type": "bar", "data": row.out_of_plan.values().collect::<Vec<_>>()}]
            }),
        ),
    ];
    if let Some(classes) = &figures.risk_classes {
        let data = classes
            .iter()
            .map(|(class, count)| {
                let name = if class.len() == 1 {
                    format!("{class}类")
                } else {
                    class.clone()
                };
                json!({"name": name, "value": count})
            })
            .collect();
        charts.push(("检查对象信用风险分类（内部）", pie("信用风险分类", data)));
    }
    charts
        .into_iter()
        .map(|(title, option)| (title, option.to_string()))
        .collect()
}

/// The year asked for, or the default one.
pub async fn year_or_default(state: &AppState, year: Option<i32>) -> Result<i32> {
    match year {
        Some(year) if (2000..=2100).contains(&year) => Ok(year),
        Some(year) => Err(crate::error::Error::BadRequest(format!(
            "年份 {year} 无效 (year out of range)"
        ))),
        None => default_year(state).await,
    }
}
