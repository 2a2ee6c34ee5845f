//! The last step: the HTTP API (JSON for jobs, Server-Sent Events for their progress) and the
//! page, one file per resource; [`service`] starts and stops the listener, the worker and the
//! housekeeping together.

mod error;
mod events;
mod glossary;
mod history;
mod jobs;
mod page;
pub mod service;
mod status;

pub use error::ApiError;

use crate::intake::DOCUMENT_LIMIT;
use crate::service::jobs::{Job, Jobs};
use crate::service::queue::Queue;
use crate::service::worker::ModelStatus;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub jobs: Arc<Jobs>,
    pub queue: Arc<Queue>,
    pub model: watch::Receiver<ModelStatus>,
    /// Longest paste accepted, in characters.
    pub max_chars: usize,
    /// Turns true when the server stops; open event streams end then.
    pub shutdown: watch::Receiver<bool>,
    /// Where the page's WebAssembly and JavaScript are (`pkg/` inside).
    pub site_dir: std::path::PathBuf,
    /// What a link given instead of a paste may reach.
    pub links: Arc<crate::intake::links::LinkRules>,
    /// The reader's terms, attached to each new article's paragraphs.
    pub glossary: Arc<crate::service::glossary::Glossary>,
    /// The English is written by inference servers elsewhere (`--backend`): the page says so.
    pub remote: bool,
}

impl AppState {
    /// The job, from memory or the history, read off the async executor.
    async fn job(&self, id: String) -> Result<Arc<Job>, ApiError> {
        let jobs = Arc::clone(&self.jobs);
        let lookup = id.clone();
        blocking(move || jobs.get(&lookup))
            .await??
            .ok_or(ApiError::JobNotFound(id))
    }
}

/// Runs `work` (database writes, anything that may block) on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ApiError::Internal)
}

pub fn router(state: AppState) -> Router {
    // Room for the longest accepted text written as JSON escapes (up to 6 bytes a character).
    let body_limit = state.max_chars * 6 + 4096;
    let page = page::router(&state.site_dir, state.max_chars, state.remote);
    Router::new()
        .route("/api/health", get(status::health))
        .route("/api/info", get(status::info))
        .route("/api/jobs", axum::routing::post(jobs::create))
        .route(
            "/api/documents",
            axum::routing::post(jobs::create_from_document)
                .layer(DefaultBodyLimit::max(DOCUMENT_LIMIT)),
        )
        .route("/api/jobs/{id}", get(jobs::show).delete(jobs::cancel))
        .route("/api/jobs/{id}/events", get(events::stream))
        .route("/api/jobs/{id}/export", get(history::export))
        .route("/api/history", get(history::list).delete(history::clear))
        .route("/api/glossary", get(glossary::show).put(glossary::replace))
        .route("/api/history/{id}", axum::routing::delete(history::delete))
        .merge(page)
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
