//! `POST /api/jobs`, `GET /api/jobs/{id}`, `DELETE /api/jobs/{id}`.

use super::error::json_rejection;
use super::{ApiError, AppState};
use crate::clean;
use crate::jobs::{Job, JobSnapshot};
use crate::worker::ModelStatus;
use app::api::{CreateJob, JobCreated};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use std::sync::Arc;
use std::time::Duration;

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<CreateJob>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(CreateJob { text, keep }) = body.map_err(|r| json_rejection(r, state.max_chars))?;
    if text.trim().is_empty() {
        return Err(ApiError::EmptyText);
    }
    let chars = text.chars().count();
    if chars > state.max_chars {
        return Err(ApiError::TooLong {
            chars,
            max: state.max_chars,
        });
    }
    if let ModelStatus::Failed(message) = &*state.model.borrow() {
        return Err(ApiError::ModelUnavailable(message.clone()));
    }
    let article = clean::clean_keeping(&text, &keep);
    if article.paragraphs.is_empty() {
        return Err(ApiError::NothingToTranslate {
            removed: article.removed.len(),
        });
    }
    let job = Job::new(article);
    state.queue.push(Arc::clone(&job))?;
    state.jobs.insert(Arc::clone(&job));
    tracing::info!(id = %job.id, paragraphs = job.article.paragraphs.len(), removed = job.article.removed.len(), "job created");
    let created = JobCreated {
        id: job.id.clone(),
        paragraphs: job.article.paragraphs.clone(),
        removed: job.article.removed.clone(),
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/jobs/{}", job.id))],
        Json(created),
    ))
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobSnapshot>, ApiError> {
    let job = state.jobs.get(&id).ok_or(ApiError::JobNotFound(id))?;
    job.touch();
    Ok(Json(job.snapshot()))
}

/// Cancels the job and answers once it has stopped (the model stops between two tokens), so
/// the answer says `cancelled`, or how it ended if it ended first.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobSnapshot>, ApiError> {
    const WAIT_FOR_STOP: Duration = Duration::from_secs(5);
    let job = state.jobs.get(&id).ok_or(ApiError::JobNotFound(id))?;
    let mut changes = job.watch();
    state.queue.cancel(&job);
    let _ = tokio::time::timeout(WAIT_FOR_STOP, async {
        while !job.status().is_finished() {
            if changes.changed().await.is_err() {
                break;
            }
        }
    })
    .await;
    Ok(Json(job.snapshot()))
}
