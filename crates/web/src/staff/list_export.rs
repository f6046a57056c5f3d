//! Any staff list exported as CSV or XLSX, as a background job with progress
//! (`/jobs/{id}`), watermarked with whom it was made for, and offered to that
//! account only. A list page gives its filters to [`start`] with a closure that
//! writes the rows; the job page links back to the list.

use std::future::Future;
use std::sync::Arc;

use askama::Template;
use axum::response::Html;

use crate::AppState;
use crate::auth::User;
use crate::error::{Error, Result};
use crate::export::Downloads;
use crate::jobs;
use crate::pages::{Chrome, render};
use files::export::{Format, TableWriter};
use files::watermark::Watermark;

/// Reports a running export's progress to its job.
#[derive(Clone)]
pub struct Progress {
    state: Arc<AppState>,
    job: u64,
}

impl Progress {
    /// `done` of `total` rows written (`total` 0 when unknown).
    pub fn set(&self, done: u64, total: u64) {
        self.state.jobs.progress(self.job, done, total);
    }
}

/// Rows an export reads per query.
const CHUNK: u32 = 2_000;

/// Reads every document matching `query` a chunk at a time (in SQL, never
/// the whole table at once), hands each chunk to `each`, and reports progress.
pub async fn for_each_page<D: storage::Document>(
    state: &AppState,
    mut query: storage::DocQuery,
    progress: &Progress,
    mut each: impl AsyncFnMut(&AppState, &[D]) -> Result<()>,
) -> Result<()> {
    use storage::WorkflowStore;
    query.limit = CHUNK;
    query.offset = 0;
    loop {
        let page = state.db.page::<D>(&query).await?;
        if page.rows.is_empty() {
            return Ok(());
        }
        each(state, &page.rows).await?;
        query.offset += page.rows.len() as u64;
        progress.set(query.offset, page.total);
        if query.offset >= page.total {
            return Ok(());
        }
    }
}

/// What a list's export form posts: the list's own filters and the format.
#[derive(Debug, serde::Deserialize)]
pub struct ExportRequest<F> {
    /// The list's filters, as its page reads them from the query.
    #[serde(flatten)]
    pub filter: F,
    /// `xlsx` or `csv`.
    #[serde(default)]
    pub format: Option<String>,
}

impl<F> ExportRequest<F> {
    /// The format asked for.
    pub fn format(&self) -> Format {
        format(self.format.as_deref())
    }
}

/// The format asked for in a form or query: `xlsx`, else CSV.
pub fn format(text: Option<&str>) -> Format {
    match text.map(str::trim) {
        Some(f) if f.eq_ignore_ascii_case("xlsx") => Format::Xlsx,
        _ => Format::Csv,
    }
}

/// What a list export is: its name (e.g. `检查任务`), the list page to return
/// to, and the format.
pub struct ListExport<'a> {
    /// The list's name, used in the job label and the file name.
    pub name: &'a str,
    /// The list page (with its filters) the job page links back to.
    pub back: &'a str,
    /// CSV or XLSX.
    pub format: Format,
}

#[derive(Template)]
#[template(path = "staff/list_export.html")]
struct ExportJobPage {
    chrome: Chrome,
    heading: String,
    job: u64,
    back: String,
}

/// Starts the export job: `write` receives the open file (marked for `user`)
/// and a [`Progress`], writes the header and rows, and hands the file back.
/// Answers the job page.
pub fn start<W, F>(
    state: &Arc<AppState>,
    user: &User,
    export: ListExport<'_>,
    write: W,
) -> Result<Html<String>>
where
    W: FnOnce(Arc<AppState>, TableWriter, Progress) -> F + Send + 'static,
    F: Future<Output = Result<TableWriter>>,
{
    let label = format!("导出{}", export.name);
    let owner = user.account().username.clone();
    let id = state.jobs.start(&label, &owner);
    let watermark = Watermark::web(user.account(), label.clone());
    let (format, ext) = match export.format {
        Format::Xlsx => (Format::Xlsx, "xlsx"),
        Format::Csv => (Format::Csv, "csv"),
    };
    let file_name = format!(
        "{}-{}.{ext}",
        export.name,
        domain::clock::now().date_naive()
    );
    let job_state = state.clone();
    jobs::spawn(state, id, async move {
        let path = Downloads::new_path(ext)?;
        let progress = Progress {
            state: job_state.clone(),
            job: id,
        };
        // The XLSX writer is not `Send`: the rows are written on a blocking thread.
        let (writer_state, file) = (job_state.clone(), path.clone());
        let runtime = tokio::runtime::Handle::current();
        let rows = tokio::task::spawn_blocking(move || {
            runtime.block_on(async move {
                let writer =
                    TableWriter::create(&file, format, &watermark).map_err(Error::internal)?;
                let writer = write(writer_state, writer, progress).await?;
                let rows = writer.rows().saturating_sub(1);
                writer.finish().map_err(Error::internal)?;
                Ok::<u64, Error>(rows)
            })
        })
        .await
        .map_err(Error::internal)??;
        let href = job_state.downloads.offer(&owner, path, &file_name)?;
        Ok((
            format!("已导出 {rows} 条"),
            Some((href, format!("下载 {file_name}"))),
        ))
    });
    render(&ExportJobPage {
        chrome: Chrome::staff(
            user,
            label.clone(),
            export.back.split('?').next().unwrap_or(""),
        ),
        heading: label,
        job: id,
        back: export.back.to_owned(),
    })
}
