//! The kept articles: `GET /api/history?q=words`, `DELETE /api/history` (all),
//! `DELETE /api/history/{id}` (one), and `GET /api/jobs/{id}/export?format=md|html|txt`.

use super::jobs::cancel_and_wait;
use super::{blocking, ApiError, AppState};
use crate::history::{self, Format, Store};
use crate::service::jobs::Job;
use crate::service::keys::Caller;
use app::api::HistoryEntry;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Extension;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

fn store(state: &AppState) -> Result<Arc<Store>, ApiError> {
    state.jobs.history().cloned().ok_or(ApiError::HistoryOff)
}

#[derive(Debug, Deserialize)]
pub struct Search {
    /// Words that must all be in the title.
    #[serde(default)]
    q: String,
}

pub async fn list(
    State(state): State<AppState>,
    Query(search): Query<Search>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    let store = store(&state)?;
    Ok(Json(
        blocking(move || store.list(&search.q, caller.owner.as_deref())).await??,
    ))
}

/// Deletes one article, stopping it first if it is still being written.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<StatusCode, ApiError> {
    let store = store(&state)?;
    let job = state.job(id.clone(), &caller).await?;
    if !job.status().is_finished() {
        cancel_and_wait(&state, &job).await?;
    }
    let jobs = Arc::clone(&state.jobs);
    blocking(move || {
        jobs.remove(&id);
        store.delete(&id)
    })
    .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes every kept article (with keys, every one of the caller's), stopping those still
/// being written.
pub async fn clear(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = store(&state)?;
    let owner = caller.owner.clone();
    let mine = move |job: &Job| owner.is_none() || job.options.owner == owner;
    for job in state.jobs.all() {
        if mine(&job) && !job.status().is_finished() {
            cancel_and_wait(&state, &job).await?;
        }
    }
    let jobs = Arc::clone(&state.jobs);
    let deleted = blocking(move || {
        for job in jobs.all() {
            if mine(&job) {
                jobs.remove(&job.id);
            }
        }
        store.clear(caller.owner.as_deref())
    })
    .await??;
    Ok(Json(serde_json::json!({ "deleted": deleted })))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

/// The article as a file to download.
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
    Extension(caller): Extension<Caller>,
) -> Result<impl IntoResponse, ApiError> {
    let name = query.format.unwrap_or_else(|| "md".into());
    let format = <Format as clap::ValueEnum>::from_str(&name, true)
        .map_err(|_| ApiError::ExportFormat(name))?;
    let job = state.job(id, &caller).await?;
    let title = history::title(&job.article);
    let body = history::export(&job.snapshot(), &title, format);
    let disposition = format!(
        "attachment; filename=\"passerelle-{}.{}\"",
        &job.id[..job.id.len().min(8)],
        format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    ))
}
