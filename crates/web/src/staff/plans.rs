//! 抽查计划 (/plans): list, plan page, the creation form and the life-cycle
//! steps 备案 → 批准 → 公示. The checks live in the `pub(crate)` functions
//! here, shared with the JSON API (`http::api::workflow`).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use serde::Deserialize;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::flash::Done;
use crate::ops::lists::{PER_PAGE, offset, page_number};
use crate::ops::names::Names;
use crate::ops::plans::{
    FormPairs, PlanFilter, PlanStep, advance, answer, check_step, create_plan, partner_of,
    plan_conditions, split_list, visible_plan,
};
use crate::pages::{Chrome, render, url_encode};
use crate::staff::list_export::{self, ExportRequest, ListExport, for_each_page};
use crate::staff::lists::{ExportForm, Pager};
use crate::staff::rounds::Bulletin;
use crate::steps;
use domain::account::Permission;
use domain::item::InspectionItem;
use domain::plan::{
    Decision, Participant, Plan, PlanFields, PlanKind, PlanScope, PlanStatus, STRATA, StratumRate,
};
use domain::{DepartmentCode, EntityType};
use service::{self};
use storage::{DocQuery, Store, WorkflowStore, json_fragment};

/// This section's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/plans", get(index).post(create_from_form))
        .route("/plans/new", get(new_form))
        .route("/plans/export", post(export_plans))
        .route("/plans/{id}", get(show))
        .route("/plans/{id}/bulletin", get(bulletin))
        .route("/plans/{id}/confirm", post(answer_from_form))
        .route("/plans/{id}/{step}", post(step_from_form))
}

// ---- pages ----------------------------------------------------------------

/// What a row of the list shows.
struct PlanRow {
    plan: Plan,
    /// The participating departments' names.
    departments: String,
}

#[derive(Template)]
#[template(path = "staff/plans.html")]
struct Index {
    chrome: Chrome,
    rows: Vec<PlanRow>,
    names: Names,
    year: String,
    status: String,
    department: String,
    q: String,
    statuses: &'static [PlanStatus],
    departments: Vec<(String, String)>,
    may_create: bool,
    pager: Pager,
    export: ExportForm,
}

/// The participating departments of a plan by name.
fn department_names(names: &Names, plan: &Plan) -> String {
    plan.participants
        .iter()
        .map(|p| names.department(&p.department).text().to_owned())
        .collect::<Vec<_>>()
        .join("、")
}

async fn index(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(filter): Query<PlanFilter>,
) -> Result<Html<String>> {
    let page = page_number(filter.page);
    let mut query = plan_conditions(&user, &filter)?;
    query.offset = offset(page);
    query.limit = PER_PAGE;
    let found = state.db.page::<Plan>(&query).await?;
    let names = Names::directories(&state).await?;
    let rows = found
        .rows
        .into_iter()
        .map(|plan| PlanRow {
            departments: department_names(&names, &plan),
            plan,
        })
        .collect();
    let filters = filter.filters();
    render(&Index {
        chrome: Chrome::staff(&user, "抽查计划", "/plans"),
        pager: Pager::new("/plans", &filters, page, found.total),
        export: ExportForm::new("/plans/export", &user.0.csrf, &filters),
        departments: crate::pages::department_options(&state).await?,
        rows,
        names,
        year: filter.year.unwrap_or_default(),
        status: filter.status.unwrap_or_default(),
        department: filter.department.unwrap_or_default(),
        q: filter.q.unwrap_or_default(),
        statuses: PlanStatus::ALL,
        may_create: user.account().may(Permission::EditPlans),
    })
}

/// The plans of the list (with its filters) as a CSV/XLSX job.
async fn export_plans(
    State(state): State<Arc<AppState>>,
    user: User,
    Form(request): Form<ExportRequest<PlanFilter>>,
) -> Result<Html<String>> {
    let conditions = plan_conditions(&user, &request.filter)?;
    let back = request.filter.filters().href("/plans");
    let export = ListExport {
        name: "抽查计划",
        back: &back,
        format: request.format(),
    };
    list_export::start(
        &state,
        &user,
        export,
        async move |state, mut writer, progress| {
            writer
                .row(&[
                    "计划编号",
                    "计划名称",
                    "类型",
                    "牵头部门",
                    "牵头部门代码",
                    "参与部门",
                    "执行开始",
                    "执行结束",
                    "版本",
                    "状态",
                ])
                .map_err(Error::internal)?;
            let names = Names::directories(&state).await?;
            for_each_page::<Plan>(&state, conditions, &progress, async |_, plans| {
                for plan in plans {
                    writer
                        .row(&[
                            plan.id.clone(),
                            plan.title.clone(),
                            plan.kind.to_string(),
                            names.department(&plan.lead).text().to_owned(),
                            plan.lead.clone(),
                            department_names(&names, plan),
                            plan.period_start.to_string(),
                            plan.period_end.to_string(),
                            plan.version.to_string(),
                            plan.status.as_str().to_owned(),
                        ])
                        .map_err(Error::internal)?;
                }
                Ok(())
            })
            .await?;
            Ok(writer)
        },
    )
}

/// The results bulletin of a plan, to print: its published results in every
/// round, as the public sees them (only for accounts that see the plan).
async fn bulletin(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let plan = visible_plan(&state, &user, &id).await?;
    let query = DocQuery {
        contains: vec![vec![json_fragment("plan", &plan.id)]],
        ..DocQuery::default()
    };
    let scope = format!("计划 {} {}", plan.id, plan.title);
    let back = format!("/plans/{}", url_encode(&plan.id));
    Bulletin::render(&state, &user, ("/plans", scope), back, query).await
}

/// A partner department's line in the 会签 table.
struct PartnerLine {
    code: String,
    /// 待会签, 已同意 or 不同意.
    state: String,
    /// Who answered and when, the reason given, or an answer to an earlier version.
    note: String,
}

#[derive(Template)]
#[template(path = "staff/plans_show.html")]
struct Show {
    chrome: Chrome,
    plan: Plan,
    names: Names,
    strata: Vec<(String, String)>,
    partners: Vec<PartnerLine>,
    /// The department the user may answer for, when the plan awaits it.
    may_answer: Option<String>,
    may_file: bool,
    may_approve: bool,
    may_publish: bool,
}

fn partner_line(plan: &Plan, code: &str) -> PartnerLine {
    let earlier = plan.confirmations.iter().find(|c| c.department == code);
    let (state, note) = match (plan.answer_of(code), earlier) {
        (Some(c), _) if c.decision == Decision::Confirmed => {
            ("已同意".to_owned(), format!("{}，{}", c.by, c.at))
        }
        (Some(c), _) => (
            "不同意".to_owned(),
            format!("{}：{}（{}）", c.by, c.reason, c.at),
        ),
        (None, Some(c)) => (
            "待会签".to_owned(),
            format!("第 {} 版{}，计划变更后须重新会签", c.version, c.decision),
        ),
        (None, None) => ("待会签".to_owned(), String::new()),
    };
    PartnerLine {
        code: code.to_owned(),
        state,
        note,
    }
}

/// A stratum's label and its rule in words.
fn stratum_text(rule: &StratumRate) -> (String, String) {
    let label = match rule.stratum.as_str() {
        "U" => "U（未分类）".to_owned(),
        "N" => "N（新设）".to_owned(),
        other => format!("{other} 类"),
    };
    let rule = match (rule.rate_bp, rule.count) {
        (Some(bp), _) => format!("{}%", f64::from(bp) / 100.0),
        (None, Some(count)) => format!("{count} 户"),
        (None, None) => "—".to_owned(),
    };
    (label, rule)
}

async fn show(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let plan = visible_plan(&state, &user, &id).await?;
    let names = Names::directories(&state).await?;
    let account = user.account();
    let partners = plan
        .partners()
        .map(|code| partner_line(&plan, code))
        .collect();
    let may_answer = partner_of(account, &plan)
        .filter(|_| plan.status == PlanStatus::Filed)
        .map(str::to_owned);
    render(&Show {
        chrome: Chrome::staff(&user, format!("计划 {}", plan.id), "/plans"),
        strata: plan.strata.iter().map(stratum_text).collect(),
        names,
        partners,
        may_answer,
        may_file: plan.status == PlanStatus::Draft
            && account.may_in(Permission::EditPlans, &plan.lead),
        may_approve: plan.status == PlanStatus::Filed
            && account.may_in(Permission::ApprovePlans, &plan.lead)
            && state.duties.refuse_approval(&plan, &user.actor()).is_none(),
        may_publish: plan.status == PlanStatus::Approved
            && account.may_in(Permission::ApprovePlans, &plan.lead),
        plan,
    })
}

/// 备案 at once; 批准 and 公示 only with the confirmation (see [`crate::steps`]);
/// a refusal in the app frame (`pages::html_errors`).
async fn step_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path((id, step_code)): Path<(String, String)>,
    body: String,
) -> Result<Response> {
    take_step(&state, &user, &id, &step_code, &body).await
}

async fn take_step(
    state: &AppState,
    user: &User,
    id: &str,
    step_code: &str,
    body: &str,
) -> Result<Response> {
    let step = PlanStep::parse(step_code)?;
    let form = FormPairs::parse(body);
    if step != PlanStep::File && !steps::confirmed(&form) {
        let plan = check_step(state, user, id, step).await?;
        let text = match step {
            PlanStep::Publish => format!(
                "公示计划 {} “{}”（第 {} 版）？公示后计划向社会公开，不能撤回。",
                plan.id, plan.title, plan.version
            ),
            _ => format!(
                "批准计划 {} “{}”（第 {} 版）？批准后计划即可纳入抽取。",
                plan.id, plan.title, plan.version
            ),
        };
        let title = format!("确认{}计划", step.label());
        let button = format!("确认{}", step.label());
        let question = steps::Question {
            title: &title,
            text: &text,
            button: &button,
            back: &format!("/plans/{id}"),
        };
        return steps::ask(user, &question, &format!("/plans/{id}/{step_code}"), &form);
    }
    let plan = advance(state, user, id, step).await?;
    let done = match step {
        PlanStep::File => Done::PlanFiled,
        PlanStep::Approve => Done::PlanApproved,
        PlanStep::Publish => Done::PlanPublished,
    };
    steps::done(&format!("/plans/{}", plan.id), done, &plan.id)
}

async fn answer_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    body: String,
) -> Result<Response> {
    let form = FormPairs::parse(&body);
    let decision = Decision::parse(form.get("decision"))
        .map_err(|_| Error::BadRequest("请选择同意或不同意".into()))?;
    let plan = answer(&state, &user, &id, decision, form.get("reason")).await?;
    steps::done(&format!("/plans/{}", plan.id), Done::PlanAnswered, &plan.id)
}

#[derive(Template)]
#[template(path = "staff/plans_new.html")]
struct NewForm {
    chrome: Chrome,
    lead: String,
    departments: Vec<(String, String)>,
    items: Vec<InspectionItem>,
    strata: &'static [&'static str],
    suggested_id: String,
    year: i32,
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    #[serde(default)]
    lead: Option<String>,
}

async fn new_form(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<NewQuery>,
) -> Result<Html<String>> {
    user.require(Permission::EditPlans)?;
    let lead = query
        .lead
        .filter(|l| !l.trim().is_empty())
        .or_else(|| user.account().department.clone())
        .unwrap_or_default();
    let items = if lead.is_empty() {
        Vec::new()
    } else {
        user.require_in(Permission::EditPlans, &lead)?;
        state
            .db
            .items(Some(&DepartmentCode::parse_as("lead", &lead)?))
            .await?
    };
    let departments = crate::pages::department_options(&state).await?;
    let year = service::now().year();
    let count = state
        .db
        .list::<Plan>(Some(("year", &year.to_string())))
        .await?
        .len();
    render(&NewForm {
        chrome: Chrome::staff(&user, "新建抽查计划", "/plans"),
        suggested_id: format!("{year}-{lead}-{:03}", count + 1),
        lead,
        departments,
        items,
        strata: &STRATA,
        year,
    })
}

/// Reads the creation form into plan fields.
fn fields_from_form(form: &FormPairs) -> Result<PlanFields> {
    let lead = form.get("lead").to_owned();
    let inspectors = parse_inspectors(form.get("inspectors"))?;
    let mut participants = vec![Participant {
        department: lead.clone(),
        inspectors,
        items: form.all("items"),
        field: None,
    }];
    // Joint plans: one line per other department, `代码 事项,事项 [人数]`.
    for line in form
        .get("partners")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let mut parts = line.split_whitespace();
        let department = parts.next().unwrap_or_default().to_owned();
        let items = split_list(parts.next().unwrap_or_default());
        let inspectors = match parts.next() {
            Some(n) => parse_inspectors(n)?,
            None => 2,
        };
        participants.push(Participant {
            department,
            inspectors,
            items,
            field: None,
        });
    }
    let mut strata = Vec::new();
    for stratum in STRATA {
        let text = form.get(&format!("rate_{stratum}"));
        if text.is_empty() {
            continue;
        }
        let percent: f64 = text.parse().map_err(|_| {
            Error::BadRequest(format!("{stratum} 类抽查比例应为百分数（收到 “{text}”）"))
        })?;
        let rate_bp = (percent * 100.0).round();
        if !(1.0..=10_000.0).contains(&rate_bp) {
            return Err(Error::BadRequest(format!(
                "{stratum} 类抽查比例应在 0.01% 到 100% 之间（收到 {text}%）"
            )));
        }
        strata.push(StratumRate {
            stratum: (*stratum).to_owned(),
            rate_bp: Some(rate_bp as u32),
            count: None,
        });
    }
    let entity_types = split_list(form.get("entity_types"))
        .iter()
        .map(|t| EntityType::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlanFields {
        id: form.get("id").to_owned(),
        title: form.get("title").to_owned(),
        kind: if participants.len() > 1 {
            PlanKind::Joint
        } else {
            PlanKind::Single
        },
        lead,
        participants,
        scope: PlanScope {
            districts: split_list(form.get("districts")),
            industries: split_list(form.get("industries")),
            entity_types,
            pools: Vec::new(),
            tags: Vec::new(),
        },
        strata,
        required_by_law: form.get("required_by_law") == "on",
        period_start: form.date("period_start", "开始日期")?,
        period_end: form.date("period_end", "结束日期")?,
        frequency: match form.get("frequency") {
            "" => "每年1次".to_owned(),
            text => text.to_owned(),
        },
        status: PlanStatus::Draft,
        version: 1,
        approved_version: None,
        filed_by: None,
        confirmations: Vec::new(),
    })
}

fn parse_inspectors(text: &str) -> Result<u32> {
    match text.trim() {
        "" => Ok(2),
        text => text
            .parse()
            .map_err(|_| Error::BadRequest(format!("每组检查人员数应为整数（收到 “{text}”）"))),
    }
}

async fn create_from_form(
    State(state): State<Arc<AppState>>,
    user: User,
    body: String,
) -> Result<Response> {
    let fields = fields_from_form(&FormPairs::parse(&body))?;
    let plan = create_plan(&state, &user, fields).await?;
    steps::done(&format!("/plans/{}", plan.id), Done::PlanCreated, &plan.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_with_check_boxes_becomes_a_single_plan() {
        let body = "id=2026-SCJG-001&title=%E6%B5%8B&lead=SCJG&items=SCJG-004-1&items=SCJG-011-2\
                    &inspectors=2&rate_A=1.5&rate_C=&period_start=2026-01-01&period_end=2026-03-31&partners=";
        let fields = fields_from_form(&FormPairs::parse(body));
        let fields = fields.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fields.kind, PlanKind::Single);
        assert_eq!(fields.participants[0].items, ["SCJG-004-1", "SCJG-011-2"]);
        assert_eq!(
            fields.strata,
            [StratumRate {
                stratum: "A".into(),
                rate_bp: Some(150),
                count: None
            }]
        );
        assert!(Plan::new(fields).is_ok());
        let joint = format!("{body}WJW+WJ-003%2CWJ-004+3");
        let fields = fields_from_form(&FormPairs::parse(&joint)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fields.kind, PlanKind::Joint);
        assert_eq!(fields.participants[1].items, ["WJ-003", "WJ-004"]);
        assert_eq!(fields.participants[1].inspectors, 3);
    }
}
