//! File downloads shared by pages and API.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A round's JSON record (`view` is `full` or `public`) as a download named
/// `round-<id>-<view>.json`.
pub fn round_json_download(id: &str, view: &str, bytes: Vec<u8>) -> Response {
    let file = format!(
        "attachment; filename=\"round-{}-{view}.json\"",
        id.replace(['"', '\\', '\r', '\n'], "")
    );
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        bytes,
    )
        .into_response()
}
