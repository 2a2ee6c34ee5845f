//! The page's side of the API: create and cancel jobs, follow their events, copy text.
//!
//! In the browser these talk to the server; when the page is rendered on the server no event
//! handler ever runs, so there the same functions do nothing.

use crate::api::{JobCreated, JobEvent};

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::api::{CreateJob, ErrorBody};
    use futures_util::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use gloo_net::http::Request;
    use leptos::task::spawn_local;

    /// Every event name the server sends (see `JobEvent`).
    pub const EVENT_NAMES: &[&str] = &[
        "queued",
        "translation.delta",
        "translation.done",
        "summary.delta",
        "summary.done",
        "done",
        "error",
        "cancelled",
    ];

    /// An open event stream; dropping it closes the connection.
    pub struct Connection(#[allow(dead_code)] EventSource);

    pub fn now_ms() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }

    async fn error_message(response: gloo_net::http::Response) -> String {
        match response.json::<ErrorBody>().await {
            Ok(body) => body.error.message,
            Err(_) => format!(
                "The server answered {} {}.",
                response.status(),
                response.status_text()
            ),
        }
    }

    pub fn start_job(
        text: String,
        keep: Vec<String>,
        done: impl FnOnce(Result<JobCreated, String>) + 'static,
    ) {
        spawn_local(async move {
            let result = async {
                let response = Request::post("/api/jobs")
                    .json(&CreateJob { text, keep })
                    .map_err(|e| e.to_string())?
                    .send()
                    .await
                    .map_err(|_| {
                        "The server cannot be reached. Is passerelle still running?".to_string()
                    })?;
                if response.ok() {
                    response
                        .json::<JobCreated>()
                        .await
                        .map_err(|e| e.to_string())
                } else {
                    Err(error_message(response).await)
                }
            }
            .await;
            done(result);
        });
    }

    pub fn cancel_job(id: String) {
        spawn_local(async move {
            let _ = Request::delete(&format!("/api/jobs/{id}")).send().await;
        });
    }

    /// Follows the job's events from `after` on. The browser reconnects by itself after a
    /// dropped connection, sending `Last-Event-ID`; `on_lost` is called only if it gives up.
    pub fn follow(
        job_id: &str,
        after: usize,
        on_event: impl Fn(usize, JobEvent) + 'static,
        on_lost: impl Fn() + 'static,
    ) -> Option<Connection> {
        let url = format!("/api/jobs/{job_id}/events?last_event_id={after}");
        let mut source = EventSource::new(&url).ok()?;
        let mut streams = Vec::new();
        for name in EVENT_NAMES {
            streams.push(source.subscribe(*name).ok()?);
        }
        let mut events = futures_util::stream::select_all(streams);
        spawn_local(async move {
            while let Some(item) = events.next().await {
                match item {
                    Ok((name, message)) => {
                        let id = message.last_event_id().parse().unwrap_or(0);
                        // The connection's own `error` events carry no data: not ours.
                        let Some(data) = message.data().as_string() else {
                            continue;
                        };
                        if let Ok(event) = JobEvent::from_wire(&name, &data) {
                            let last = event.is_final();
                            on_event(id, event);
                            if last {
                                return;
                            }
                        }
                    }
                    Err(_) => {
                        on_lost();
                        return;
                    }
                }
            }
        });
        Some(Connection(source))
    }

    pub fn copy_text(text: String) {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
        }
    }

    pub fn every_second(tick: impl Fn() + 'static) {
        let _ = leptos::prelude::set_interval_with_handle(tick, std::time::Duration::from_secs(1));
    }
}

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(not(feature = "hydrate"))]
mod on_server {
    use super::*;

    pub struct Connection;

    pub fn now_ms() -> f64 {
        0.0
    }

    pub fn start_job(
        _: String,
        _: Vec<String>,
        _: impl FnOnce(Result<JobCreated, String>) + 'static,
    ) {
    }

    pub fn cancel_job(_: String) {}

    pub fn follow(
        _: &str,
        _: usize,
        _: impl Fn(usize, JobEvent) + 'static,
        _: impl Fn() + 'static,
    ) -> Option<Connection> {
        None
    }

    pub fn copy_text(_: String) {}

    pub fn every_second(_: impl Fn() + 'static) {}
}

#[cfg(not(feature = "hydrate"))]
pub use on_server::*;
