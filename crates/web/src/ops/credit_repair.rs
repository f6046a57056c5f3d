//! Credit repair as the staff pages and the API both do it: who sees which
//! requests (persons' are logged), filing and reviewing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use domain::account::{Account, Permission};
use domain::credit::{EntryKey, ListType, Severity, Subject};
use domain::credit_repair::{RepairRequest, RepairStatus};
use service::{self, credit, credit_repair};
use storage::WorkflowStore;

/// The permission that files and reviews repair requests (信用办, 系统管理员).
pub const REVIEW: Permission = Permission::ReviewCreditRepair;

/// Whether `account` may see `request`.
pub fn sees(account: &Account, request: &RepairRequest) -> bool {
    account.may(REVIEW)
        || (!request.person
            && (account.reads_all()
                || request
                    .department
                    .as_deref()
                    .is_some_and(|d| account.sees_department(d))))
}

/// The requests the user may see, newest first, optionally of one status.
/// Persons' requests shown are logged in the access log.
pub async fn visible_requests(
    state: &AppState,
    user: &User,
    status: Option<RepairStatus>,
) -> Result<Vec<RepairRequest>> {
    let mut list = credit_repair::list(&state.db, status).await?;
    list.retain(|r| sees(user.account(), r));
    log_persons_seen(state, user, &list, "repair requests").await?;
    Ok(list)
}

/// A request, if the user may see it (a person's is logged in the access log).
pub async fn visible_request(state: &AppState, user: &User, id: &str) -> Result<RepairRequest> {
    let request = state
        .db
        .get::<RepairRequest>(id)
        .await?
        .filter(|r| sees(user.account(), r))
        .ok_or_else(|| {
            Error::NotFound(format!("信用修复申请 {id} 不存在 (no such repair request)"))
        })?;
    log_persons_seen(
        state,
        user,
        std::slice::from_ref(&request),
        "repair request",
    )
    .await?;
    Ok(request)
}

/// Every access to persons' credit data is logged: the persons among `requests`.
async fn log_persons_seen(
    state: &AppState,
    user: &User,
    requests: &[RepairRequest],
    what: &str,
) -> Result<()> {
    let persons: Vec<Subject> = requests
        .iter()
        .filter(|r| r.person)
        .filter_map(|r| {
            Subject::parse(&r.entry.subject)
                .ok()
                .map(|(subject, _)| subject)
        })
        .collect();
    if !persons.is_empty() {
        credit::log_person_access(&state.db, &user.actor(), &persons, what, "信用修复").await?;
    }
    Ok(())
}

/// What filing a request takes.
#[derive(Debug, Deserialize, Serialize)]
pub struct RequestInput {
    /// 统一社会信用代码 or 身份证号码 of the entry.
    pub subject: String,
    /// List type: `blacklist`, `abnormal`, `penalty` or the Chinese name.
    pub list_type: String,
    /// The entry's 列入日期.
    pub listed_on: NaiveDate,
    /// The entry's 文号.
    pub ref_no: String,
    /// Who applies (default: the subject's name).
    #[serde(default)]
    pub applicant: String,
    /// The statement and evidence.
    pub statement: String,
}

/// Files a request dated today.
pub async fn request(state: &AppState, user: &User, input: RequestInput) -> Result<RepairRequest> {
    user.require(REVIEW)?;
    let list_type = ListType::parse(&input.list_type)
        .map_err(|e| Error::BadRequest(format!("名单类型有误：{e}")))?;
    let at = service::now();
    let input = credit_repair::RequestInput {
        entry: EntryKey {
            subject: input.subject.trim().to_uppercase(),
            list_type,
            listed_on: input.listed_on,
            ref_no: input.ref_no.trim().to_owned(),
        },
        applicant: input.applicant,
        statement: input.statement,
        requested_on: at.date_naive(),
    };
    Ok(credit_repair::request(&state.db, input, at, &user.actor()).await?)
}

/// What reviewing a request takes.
#[derive(Debug, Deserialize, Serialize)]
pub struct ReviewInput {
    /// `approve` or `reject`.
    pub decision: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// A severity (轻微, 一般, 严重) for an entry without one; empty: none.
    #[serde(default)]
    pub severity: String,
}

/// Reviews a request today: approval repairs the entry from today.
pub async fn review(
    state: &AppState,
    user: &User,
    id: &str,
    input: ReviewInput,
) -> Result<RepairRequest> {
    user.require(REVIEW)?;
    let approve = match input.decision.trim() {
        "approve" | "通过" => true,
        "reject" | "驳回" => false,
        other => {
            return Err(Error::BadRequest(format!(
                "审核结论应为 approve 或 reject，而不是 {other:?}"
            )));
        }
    };
    let severity = match input.severity.trim() {
        "" => None,
        text => Some(
            Severity::parse(text).map_err(|e| Error::BadRequest(format!("严重程度有误：{e}")))?,
        ),
    };
    let at = service::now();
    let decision = credit_repair::Decision {
        approve,
        reason: input.reason,
        severity,
        on: at.date_naive(),
    };
    Ok(credit_repair::review(&state.db, id, decision, at, &user.actor()).await?)
}

/// A status filter as typed in a query: empty for every status.
pub fn status_filter(text: &str) -> Result<Option<RepairStatus>> {
    match text.trim() {
        "" => Ok(None),
        text => Ok(Some(RepairStatus::parse(text)?)),
    }
}
