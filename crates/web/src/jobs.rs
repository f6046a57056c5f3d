//! Long operations (an import, a full-scale draw) run in the background; the
//! page that started one polls `/jobs/{id}` (htmx, every second; the page is
//! `staff::jobs`) for a progress bar and, at the end, the outcome with its links.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::AppState;
use super::error::Result;

/// A job's state.
#[derive(Debug, Clone, Default)]
pub struct JobStatus {
    /// What it does, e.g. `导入市场主体名录`.
    pub label: String,
    /// The account that started it: only it sees the job.
    pub owner: String,
    /// Units done.
    pub done: u64,
    /// Units in all (0 when unknown).
    pub total: u64,
    /// Finished (successfully or not).
    pub finished: bool,
    /// The outcome, or the error, when finished.
    pub outcome: String,
    /// Whether it failed.
    pub failed: bool,
    /// A link to follow when finished (the result page, a report download).
    pub link: Option<(String, String)>,
}

/// The jobs of this server process.
#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    map: Mutex<HashMap<u64, JobStatus>>,
}

impl Jobs {
    /// Registers a job; returns its id.
    pub fn start(&self, label: &str, owner: &str) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().insert(
            id,
            JobStatus {
                label: label.to_owned(),
                owner: owner.to_owned(),
                ..JobStatus::default()
            },
        );
        id
    }

    /// Updates a job's progress.
    pub fn progress(&self, id: u64, done: u64, total: u64) {
        if let Some(job) = self.lock().get_mut(&id) {
            job.done = done;
            job.total = total;
        }
    }

    /// Finishes a job.
    pub fn finish(&self, id: u64, outcome: Result<(String, Option<(String, String)>), String>) {
        if let Some(job) = self.lock().get_mut(&id) {
            job.finished = true;
            match outcome {
                Ok((message, link)) => {
                    job.outcome = message;
                    job.link = link;
                }
                Err(message) => {
                    job.outcome = message;
                    job.failed = true;
                }
            }
        }
    }

    /// A job's state.
    pub fn get(&self, id: u64) -> Option<JobStatus> {
        self.lock().get(&id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, JobStatus>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Runs `work` in the background as job `id`, reporting its outcome.
pub fn spawn<F>(state: &Arc<AppState>, id: u64, work: F)
where
    F: Future<Output = Result<(String, Option<(String, String)>)>> + Send + 'static,
{
    let state = state.clone();
    tokio::spawn(async move {
        let outcome = work.await.map_err(|error| error.to_string());
        state.jobs.finish(id, outcome);
    });
}
