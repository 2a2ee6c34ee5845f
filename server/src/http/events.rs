//! `GET /api/jobs/{id}/events`: the job's events as Server-Sent Events (axum's SSE framing),
//! replayed from `Last-Event-ID` so that a reconnecting reader loses and repeats nothing.

use super::{ApiError, AppState};
use crate::service::jobs::{Job, ReaderGuard};
use crate::service::keys::Caller;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Debug, Deserialize)]
pub struct Resume {
    /// For clients that cannot set the header (a fresh `EventSource`).
    last_event_id: Option<usize>,
}

pub async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(resume): Query<Resume>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let job = state.job(id, &caller).await?;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or(resume.last_event_id)
        .unwrap_or(0);
    Ok(Sse::new(follow(job, after, state.shutdown.clone())).keep_alive(KeepAlive::default()))
}

struct Cursor {
    job: Arc<Job>,
    after: usize,
    changes: watch::Receiver<usize>,
    shutdown: watch::Receiver<bool>,
    finished: bool,
    // Held for as long as the stream lives: a job with a reader is not abandoned.
    _reader: ReaderGuard,
}

fn follow(
    job: Arc<Job>,
    after: usize,
    shutdown: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let cursor = Cursor {
        changes: job.watch(),
        _reader: job.reader(),
        job,
        after,
        shutdown,
        finished: false,
    };
    stream::unfold(cursor, |mut c| async move {
        loop {
            if c.finished || *c.shutdown.borrow() {
                return None;
            }
            let (batch, job_finished) = c.job.events_after(c.after);
            if batch.is_empty() && job_finished {
                // A reader resuming after the final event: nothing more will come.
                return None;
            }
            if let Some((last, event)) = batch.last() {
                c.after = *last;
                c.finished = event.is_final();
                let events: Vec<Result<Event, Infallible>> = batch
                    .into_iter()
                    .map(|(id, event)| {
                        let (name, data) = event.to_wire();
                        Ok(Event::default().id(id.to_string()).event(name).data(data))
                    })
                    .collect();
                return Some((stream::iter(events), c));
            }
            tokio::select! {
                changed = c.changes.changed() => if changed.is_err() { return None },
                _ = c.shutdown.changed() => {}
            }
        }
    })
    .flatten()
}
