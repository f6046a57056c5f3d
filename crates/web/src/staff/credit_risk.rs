//! 信用风险分类 (/credit/risk): the class distribution, the latest run, a
//! reclassification on demand, and one entity's explanation; 个人信用积分
//! (/credit/score): an authorized, logged query with the score explained rule
//! by rule, on a page that resists copying.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::jobs;
use crate::pages::{Chrome, render};
use domain::account::Permission;
use domain::entity::CreditClass;
use domain::personal_score::ScoreModel;
use domain::risk::{ClassCounts, ClassificationRun, RiskModel};
use service::{self, risk};
use storage::risk::RiskStore;

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/credit/risk", get(risk_page))
        .route("/credit/risk/classify", post(classify_page))
        .route("/credit/score", get(score_form).post(score_page))
}

#[derive(Debug, Deserialize)]
struct RiskQuery {
    #[serde(default)]
    uscc: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/credit_risk.html")]
struct RiskPage {
    chrome: Chrome,
    counts: ClassCounts,
    unclassified: u64,
    chart: String,
    run: Option<ClassificationRun>,
    query: String,
    explanation: Option<risk::Explanation>,
    not_found: bool,
    may_classify: bool,
    classes: &'static [CreditClass],
    job: Option<u64>,
}

/// The ECharts option of the class distribution.
fn distribution_chart(counts: &ClassCounts, unclassified: u64) -> String {
    let names = ["A 低风险", "B 一般风险", "C 较高风险", "D 高风险", "未分类"];
    let values = [counts.a, counts.b, counts.c, counts.d, unclassified];
    let colors = ["#2e7d32", "#1565c0", "#ef6c00", "#c62828", "#9e9e9e"];
    let data: Vec<_> = values
        .iter()
        .zip(colors)
        .map(|(value, color)| json!({"value": value, "itemStyle": {"color": color}}))
        .collect();
    json!({
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 60, "right": 20, "bottom": 30},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "name": "主体数", "minInterval": 1},
        "series": [{"name": "市场主体", "type": "bar", "data": data, "label": {"show": true, "position": "top"}}]
    })
    .to_string()
}

async fn risk_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<RiskQuery>,
) -> Result<Html<String>> {
    risk_view(&state, &user, query.uscc.unwrap_or_default(), None).await
}

/// The risk page: the distribution, the latest run, and the explanation of
/// `query` (a 统一社会信用代码) if given; `job`: a classification just started.
async fn risk_view(
    state: &AppState,
    user: &User,
    query: String,
    job: Option<u64>,
) -> Result<Html<String>> {
    user.require(Permission::SeeRiskClasses)?;
    let (counts, unclassified) = state.db.class_distribution().await?;
    let query = query.trim().to_uppercase();
    let explanation = if query.is_empty() {
        None
    } else {
        risk::explain(&state.db, &query).await?
    };
    render(&RiskPage {
        chart: distribution_chart(&counts, unclassified),
        counts,
        unclassified,
        run: state.db.latest_classification().await?,
        not_found: !query.is_empty() && explanation.is_none(),
        query,
        explanation,
        may_classify: user.account().may(Permission::ManageCredit),
        classes: CreditClass::ALL,
        job,
        chrome: Chrome::staff(user, "信用风险分类", "/credit/risk"),
    })
}

/// Runs a classification with the default model as of today, as a background job.
async fn classify_page(State(state): State<Arc<AppState>>, user: User) -> Result<Html<String>> {
    user.require(Permission::ManageCredit)?;
    let label = "信用风险分类（全部市场主体）".to_owned();
    let owner = user.account().username.clone();
    let actor = user.actor();
    let id = state.jobs.start(&label, &owner);
    let job_state = state.clone();
    jobs::spawn(&state, id, async move {
        let at = service::now();
        let run = risk::classify(
            &job_state.db,
            &RiskModel::default(),
            at.date_naive(),
            at,
            &actor,
        )
        .await
        .map_err(Error::from)?;
        job_state.figures.clear();
        let c = run.counts;
        Ok((
            format!(
                "已分类 {} 户：A {} · B {} · C {} · D {}；类别变化 {} 户",
                c.total(),
                c.a,
                c.b,
                c.c,
                c.d,
                run.changed
            ),
            Some(("/credit/risk".to_owned(), "查看分类结果".to_owned())),
        ))
    });
    risk_view(&state, &user, String::new(), Some(id)).await
}

#[derive(Debug, Deserialize)]
struct ScoreInput {
    id: String,
    purpose: String,
}

#[derive(Template)]
#[template(path = "staff/credit_score.html")]
struct ScorePage {
    chrome: Chrome,
    model: ScoreModel,
    watermark: String,
    report: Option<risk::ScoreReport>,
}

fn score_chrome(user: &User) -> (Chrome, String) {
    let watermark = format!(
        "{} {}",
        user.actor(),
        service::now().format("%Y-%m-%d %H:%M")
    );
    (
        Chrome::staff(user, "个人信用积分查询", "/credit/score"),
        watermark,
    )
}

async fn score_form(user: User) -> Result<Html<String>> {
    user.require(Permission::SeePersonalCredit)?;
    let (chrome, watermark) = score_chrome(&user);
    render(&ScorePage {
        chrome,
        model: ScoreModel::default(),
        watermark,
        report: None,
    })
}

async fn score_page(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(input): Form<ScoreInput>,
) -> Result<Html<String>> {
    user.require(Permission::SeePersonalCredit)?;
    let model = ScoreModel::default();
    let now = service::now();
    let report = risk::personal_score(
        &state.db,
        &model,
        &input.id,
        &input.purpose,
        now.date_naive(),
        now,
        &user.actor(),
    )
    .await?;
    let (chrome, watermark) = score_chrome(&user);
    render(&ScorePage {
        chrome,
        model,
        watermark,
        report: Some(report),
    })
}

/// The variable that sets the hours between scheduled classifications
/// (default [`DEFAULT_SCHEDULE_HOURS`]; `0` turns the schedule off).
pub const SCHEDULE_ENV: &str = "JIANGUAN_CLASSIFY_HOURS";

/// Hours between scheduled classifications by default: daily.
pub const DEFAULT_SCHEDULE_HOURS: u64 = 24;

/// The interval between scheduled classifications, from [`SCHEDULE_ENV`]; `None`: off.
pub fn schedule_interval() -> Option<std::time::Duration> {
    let hours = std::env::var(SCHEDULE_ENV)
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_SCHEDULE_HOURS);
    (hours > 0).then(|| std::time::Duration::from_secs(hours * 3600))
}

/// Reclassifies every entity with the default model every `every`, the first
/// time one interval after start (`jianguan serve` calls it; tests do not).
pub fn schedule_classification(state: Arc<AppState>, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let at = service::now();
            match risk::classify(
                &state.db,
                &RiskModel::default(),
                at.date_naive(),
                at,
                "scheduler",
            )
            .await
            {
                Ok(run) => {
                    state.figures.clear();
                    tracing::info!(run = %run.id, changed = run.changed, "scheduled credit-risk classification done");
                }
                Err(error) => tracing::warn!(%error, "scheduled credit-risk classification failed"),
            }
        }
    });
}
