//! `POST /api/jobs`, `POST /api/documents`, `GET /api/jobs/{id}`, `DELETE /api/jobs/{id}`
//! (cancels).

use super::error::json_rejection;
use super::{blocking, ApiError, AppState};
use crate::intake::{self, documents, links};
use crate::service::jobs::{Job, JobOptions, Submission};
use crate::service::keys::Caller;
use app::api::{CreateJob, JobCreated, JobSnapshot};
use axum::extract::multipart::MultipartError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Extension;
use axum::Json;
use std::sync::Arc;
use std::time::Duration;

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<CreateJob>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(CreateJob {
        text,
        keep,
        html,
        url,
    }) = body.map_err(|r| json_rejection(r, state.max_chars))?;
    if let Some(url) = url.filter(|u| !u.trim().is_empty()) {
        let page = links::fetch(&url, &state.links).await?;
        let text = blocking(move || documents::read(&page)).await??;
        return submit(&state, &caller, text, keep).await;
    }
    let text = match html.filter(|h| !h.trim().is_empty()) {
        // A rich paste: its article, or the plain text when the HTML holds none (a fragment
        // too short to tell).
        Some(html) => blocking(move || documents::html_article(&html).unwrap_or(text)).await?,
        None => text,
    };
    submit(&state, &caller, text, keep).await
}

/// A file in the multipart field `file`: its text, read by [`crate::intake::documents`],
/// becomes a job exactly as a paste does.
pub async fn create_from_document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    mut form: Multipart,
) -> Result<impl IntoResponse, ApiError> {
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(upload_error)? {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(upload_error)?;
            file = Some(bytes);
        }
    }
    let bytes = file.ok_or(ApiError::BadUpload(
        "the form has no field named \"file\"".into(),
    ))?;
    let text = blocking(move || documents::read(&bytes)).await??;
    submit(&state, &caller, text, Vec::new()).await
}

fn upload_error(err: MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::FileTooLarge {
            max_mb: intake::DOCUMENT_LIMIT / (1024 * 1024),
        }
    } else {
        ApiError::BadUpload(err.body_text())
    }
}

/// Cleans `text`, keeping the lines in `keep`, and queues the job it makes.
async fn submit(
    state: &AppState,
    caller: &Caller,
    text: String,
    keep: Vec<String>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<JobCreated>,
    ),
    ApiError,
> {
    if text.trim().is_empty() {
        return Err(ApiError::EmptyText);
    }
    let chars = text.chars().count();
    state.admits(chars)?;
    let article =
        intake::article(&text, &keep).map_err(|nothing| ApiError::NothingToTranslate {
            removed: nothing.removed.len(),
        })?;
    let (jobs, queue) = (Arc::clone(&state.jobs), Arc::clone(&state.queue));
    let glossary = Arc::clone(&state.glossary);
    let owner = caller.owner.clone();
    let job = blocking(move || {
        let new = Submission {
            article,
            options: JobOptions {
                owner,
                ..JobOptions::default()
            },
            paste: &text,
            keep: &keep,
        };
        jobs.submit(new, &queue, &glossary)
    })
    .await??;
    // Counted once taken, as the other protocols count theirs.
    caller.count(chars);
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
    Extension(caller): Extension<Caller>,
) -> Result<Json<JobSnapshot>, ApiError> {
    let job = state.job(id, &caller).await?;
    job.touch();
    Ok(Json(job.snapshot()))
}

/// Cancels the job and answers once it has stopped (the model stops between two tokens), so
/// the answer says `cancelled`, or how it ended if it ended first.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<JobSnapshot>, ApiError> {
    let job = state.job(id, &caller).await?;
    cancel_and_wait(&state, &job).await?;
    Ok(Json(job.snapshot()))
}

/// Cancels `job` wherever it is and waits (a few seconds at most) until it has stopped.
pub(super) async fn cancel_and_wait(state: &AppState, job: &Arc<Job>) -> Result<(), ApiError> {
    const WAIT_FOR_STOP: Duration = Duration::from_secs(5);
    let mut changes = job.watch();
    {
        let (queue, job) = (Arc::clone(&state.queue), Arc::clone(job));
        blocking(move || queue.cancel(&job)).await?;
    }
    let _ = tokio::time::timeout(WAIT_FOR_STOP, async {
        while !job.status().is_finished() {
            if changes.changed().await.is_err() {
                break;
            }
        }
    })
    .await;
    Ok(())
}
