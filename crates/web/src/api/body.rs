//! The API's JSON request body.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::Error;

/// A JSON request body. Unlike axum's `Json`, a bad body is an [`Error`]: a
/// JSON answer with a Chinese message naming what is wrong.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let text = String::from_request(request, state)
            .await
            .map_err(|e| Error::BadRequest(format!("请求体无法读取：{e}")))?;
        serde_json::from_str(&text)
            .map(JsonBody)
            .map_err(|e| Error::BadRequest(format!("请求体不是有效的 JSON 或缺少字段：{e}")))
    }
}
