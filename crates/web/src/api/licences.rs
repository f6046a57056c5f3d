//! API of the e-licence library: a holder's licences (一证通办 lookups at the
//! window), for accounts that check applicants. Persons' ID numbers are
//! answered masked.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::openapi::{Access, Operation, param};
use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use domain::account::Permission;
use domain::credit::Subject;
use storage::licences::LicenceStore;

/// Routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/licences", get(holder_licences))
}

/// The query of `GET /api/v1/licences`.
#[derive(Debug, Deserialize)]
struct HolderQuery {
    #[serde(default)]
    holder: String,
}

async fn holder_licences(
    State(state): State<Arc<AppState>>,
    user: User,
    Query(query): Query<HolderQuery>,
) -> Result<Json<Vec<Value>>> {
    user.require(Permission::CheckCredit)?;
    let holder = Subject::parse_valid(&query.holder).map_err(|_| {
        Error::BadRequest("holder 应为有效的统一社会信用代码或居民身份证号码".into())
    })?;
    let today = service::now().date_naive();
    let licences = state.db.licences_of(&holder).await?;
    Ok(Json(
        licences
            .iter()
            .map(|stored| {
                let l = &stored.licence;
                json!({
                    "no": l.no,
                    "type_code": l.type_code,
                    "type_name": l.type_name,
                    "holder": l.holder.masked(),
                    "holder_name": l.holder_name,
                    "issuer": l.issuer,
                    "issued_on": l.issued_on,
                    "valid_from": l.valid_from,
                    "valid_until": l.valid_until,
                    "status": l.status_on(today).as_str(),
                    "fields": l.fields,
                })
            })
            .collect(),
    ))
}

/// Documented operations.
pub fn operations() -> Vec<Operation> {
    let licence = json!({"type": "object", "properties": {
        "no": {"type": "string"}, "type_code": {"type": "string"}, "type_name": {"type": "string"},
        "holder": {"type": "string", "description": "代码；个人证件号码脱敏"},
        "holder_name": {"type": "string"}, "issuer": {"type": "string"},
        "issued_on": {"type": "string", "format": "date"},
        "valid_from": {"type": "string", "format": "date"},
        "valid_until": {"type": ["string", "null"], "format": "date", "description": "null：长期"},
        "status": {"type": "string", "enum": ["有效", "注销", "过期"], "description": "今天的状态"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}});
    vec![Operation {
        method: "get",
        path: "/api/v1/licences",
        summary: "一个持证主体的电子证照（一证通办查询）",
        tag: "licences",
        access: Access::Permission(Permission::CheckCredit),
        params: vec![param(
            "holder",
            "query",
            true,
            "统一社会信用代码或居民身份证号码",
            "91420200MA4KLTGX86",
        )],
        body: None,
        response: json!({"type": "array", "items": licence}),
    }]
}
