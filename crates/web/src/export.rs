//! Files made for one user and file downloads, shared by pages and API.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::auth::random_token;
use crate::error::{Error, Result};
use crate::scratch;
use crate::text::url_encode;

/// How long a file made for a user stays downloadable.
const FILE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

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

struct Download {
    owner: String,
    path: PathBuf,
    file_name: String,
    made: Instant,
}

/// Files made for one user, by unguessable token; each is served to its
/// owner only and deleted after [`FILE_LIFETIME`].
#[derive(Default)]
pub struct Downloads {
    map: Mutex<HashMap<String, Download>>,
}

impl Downloads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Download>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new, empty file (mode 0600) with an unguessable name and extension
    /// `ext` in this server's files folder ([`crate::scratch`]).
    pub fn new_path(ext: &str) -> Result<PathBuf> {
        scratch::new_file(&format!("{}.{ext}", random_token()?)).map_err(Error::internal)
    }

    /// A new folder (mode 0700) with an unguessable name in the files folder.
    pub fn new_folder() -> Result<PathBuf> {
        scratch::new_folder(&random_token()?).map_err(Error::internal)
    }

    /// Offers the file at `path` to `owner` as `file_name`; returns its link.
    pub fn offer(&self, owner: &str, path: PathBuf, file_name: &str) -> Result<String> {
        scratch::make_private(&path).map_err(Error::internal)?;
        let token = random_token()?;
        let mut map = self.lock();
        map.retain(|_, d| {
            let fresh = d.made.elapsed() < FILE_LIFETIME;
            if !fresh {
                let _ = std::fs::remove_file(&d.path);
            }
            fresh
        });
        map.insert(
            token.clone(),
            Download {
                owner: owner.to_owned(),
                path,
                file_name: file_name.to_owned(),
                made: Instant::now(),
            },
        );
        Ok(format!("/files/{token}"))
    }

    /// The file behind `token`, if `owner` made it and it has not expired.
    pub fn find(&self, token: &str, owner: &str) -> Option<(PathBuf, String)> {
        self.lock()
            .get(token)
            .filter(|d| d.owner == owner && d.made.elapsed() < FILE_LIFETIME)
            .map(|d| (d.path.clone(), d.file_name.clone()))
    }
}

/// A file download answer: the content type from the extension, the name in
/// `Content-Disposition` (UTF-8, RFC 6266).
pub fn attachment(bytes: Vec<u8>, file_name: &str) -> Result<Response> {
    let content_type = match Path::new(file_name).extension().and_then(|e| e.to_str()) {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    let disposition = format!(
        "attachment; filename=\"download\"; filename*=UTF-8''{}",
        url_encode(file_name).replace('/', "%2F")
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(Error::internal)?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
