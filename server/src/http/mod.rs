//! The last step: the HTTP API (JSON for jobs, Server-Sent Events for their progress) and the
//! page, one file per resource; [`service`] starts and stops the listener, the worker and the
//! housekeeping together.

mod error;
mod events;
mod glossary;
mod history;
mod jobs;
pub mod keys;
mod page;
pub mod protocols;
pub mod service;
mod status;

pub use error::ApiError;

use crate::intake::DOCUMENT_LIMIT;
use crate::service::jobs::{Job, Jobs};
use crate::service::keys::Caller;
use crate::service::queue::Queue;
use crate::service::worker::ModelStatus;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
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
    /// Who may use the API (`--api-key-file`), and what each key used.
    pub keys: Arc<crate::service::keys::Keys>,
    /// The other protocols' jobs still running, so that a request sent again joins its first run.
    pub in_flight: Arc<protocols::InFlight>,
}

impl AppState {
    /// Whether a new text of `chars` characters may be queued: the page's articles and the
    /// other protocols' texts are held to the same limit, and refused while the model is
    /// known not to load.
    fn admits(&self, chars: usize) -> Result<(), ApiError> {
        if chars > self.max_chars {
            return Err(ApiError::TooLong {
                chars,
                max: self.max_chars,
            });
        }
        if let ModelStatus::Failed(message) = &*self.model.borrow() {
            return Err(ApiError::ModelUnavailable(message.clone()));
        }
        Ok(())
    }

    /// The job, from memory or the history, read off the async executor; with keys, only the
    /// caller's own (another's is not found, as if it did not exist).
    async fn job(&self, id: String, caller: &Caller) -> Result<Arc<Job>, ApiError> {
        let jobs = Arc::clone(&self.jobs);
        let lookup = id.clone();
        blocking(move || jobs.get(&lookup))
            .await??
            .filter(|job| !self.keys.required() || job.options.owner == caller.owner)
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
    // The page's API asks for a key when the server has keys; health stays open, for whatever
    // watches the server.
    let api = Router::new()
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
        .route_layer(middleware::from_fn_with_state(state.clone(), keys::guard));
    // The other protocols read their keys their own ways (LibreTranslate's in the body).
    let protocols = Router::new()
        .route("/translate", post(protocols::libretranslate::translate))
        .route("/languages", get(protocols::libretranslate::languages))
        .route("/detect", post(protocols::libretranslate::detect))
        .route("/v2/translate", post(protocols::deepl::translate))
        .route("/v2/languages", get(protocols::deepl::languages))
        .route(
            "/v2/usage",
            get(protocols::deepl::usage).post(protocols::deepl::usage),
        )
        .route("/v1/models", get(protocols::openai::models))
        .route("/v1/chat/completions", post(protocols::openai::chat));
    Router::new()
        .route("/api/health", get(status::health))
        .merge(api)
        .merge(protocols)
        .merge(page)
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        // The path only: a query string may hold an API key (`api_key=`), never logged.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
                tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
            }),
        )
        .with_state(state)
}
