//! The OpenAPI 3.1 document, built from each area's [`Operation`] list.

use serde_json::{Map, Value, json};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without login.
    Public,
    /// Any logged-in account (what it sees is still scoped by department).
    LoggedIn,
    /// Accounts with this permission.
    Permission(domain::account::Permission),
    /// Accounts with any of these permissions (what they see is still scoped).
    AnyOf(&'static [domain::account::Permission]),
}

/// A parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name.
    pub name: &'static str,
    /// `path` or `query`.
    pub location: &'static str,
    /// Required.
    pub required: bool,
    /// Description.
    pub description: &'static str,
    /// An example value, used by the tests that call every operation.
    pub example: &'static str,
}

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `get`, `post`, …
    pub method: &'static str,
    /// Path with `{name}` parameters.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Area, e.g. `public`.
    pub tag: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Parameters.
    pub params: Vec<Param>,
    /// JSON schema of the request body, if any.
    pub body: Option<Value>,
    /// JSON schema of the 200 answer.
    pub response: Value,
}

/// Shorthand for a parameter.
pub const fn param(
    name: &'static str,
    location: &'static str,
    required: bool,
    description: &'static str,
    example: &'static str,
) -> Param {
    Param {
        name,
        location,
        required,
        description,
        example,
    }
}

/// The document.
pub fn build(operations: &[Operation]) -> Value {
    let mut paths = Map::new();
    for op in operations {
        let security = match op.access {
            Access::Public => json!([]),
            _ => json!([{"bearer": []}, {"session": []}]),
        };
        let who = match op.access {
            Access::Public => "公开，无需登录 (public)".to_owned(),
            Access::LoggedIn => {
                "任何已登录账号 (any account; data scoped to its department)".to_owned()
            }
            Access::Permission(p) => format!("需要权限 {p:?} (permission {p:?})"),
            Access::AnyOf(ps) => format!(
                "需要以下权限之一 (any of the permissions) {ps:?}；部门账号只看派给本部门的"
            ),
        };
        let parameters: Vec<Value> = op
            .params
            .iter()
            .map(|p| {
                json!({"name": p.name, "in": p.location, "required": p.required,
                       "description": p.description, "schema": {"type": "string"}, "example": p.example})
            })
            .collect();
        let mut entry = json!({
            "summary": op.summary,
            "description": who,
            "tags": [op.tag],
            "operationId": format!("{}_{}", op.method, op.path.replace(['/', '{', '}', '-'], "_")),
            "security": security,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": op.response}}},
                "default": {"description": "错误 (error)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if let (Some(body), Some(map)) = (&op.body, entry.as_object_mut()) {
            map.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": body}}}),
            );
        }
        let item = paths
            .entry(op.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.insert(op.method.to_owned(), entry);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "jianguan API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "监管平台 JSON API。认证：Bearer 令牌（jianguan accounts token）或登录会话（写操作需 X-CSRF-Token）。"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE}
            },
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}}
        }
    })
}
