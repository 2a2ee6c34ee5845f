//! The page's side of the API: create and cancel jobs, follow their events, the history, copy
//! text.
//!
//! In the browser these talk to the server; when the page is rendered on the server no event
//! handler ever runs, so there the same functions do nothing.

use crate::api::{CreateJob, EngineInfo, Glossary, HistoryEntry, JobCreated, JobEvent};

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::api::ErrorBody;
    use futures_util::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use gloo_net::http::Request;
    use leptos::task::spawn_local;

    const UNREACHABLE: &str = "The server cannot be reached. Is passerelle still running?";

    /// An open event stream; dropping it closes the connection.
    pub struct Connection(#[allow(dead_code)] EventSource);

    pub fn now_ms() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }

    /// Sends the request `make` builds, and gives the answer if it is a success, or else what
    /// went wrong. When the server asks for an API key (or refuses the one kept), the reader
    /// is asked for one, which is kept in a cookie that every later request and event stream
    /// carries, and the request is sent once more.
    async fn send(
        make: impl Fn() -> Result<Request, gloo_net::Error>,
    ) -> Result<gloo_net::http::Response, String> {
        let mut asked = false;
        loop {
            let sent_with = kept_key();
            let response = make()
                .map_err(|e| e.to_string())?
                .send()
                .await
                .map_err(|_| UNREACHABLE.to_string())?;
            if response.ok() {
                return Ok(response);
            }
            let (status, status_text) = (response.status(), response.status_text());
            match response.json::<ErrorBody>().await {
                Ok(body) if body.error.code.starts_with("key_") && !asked => {
                    asked = true;
                    // Another request of the page may have asked meanwhile: its key is tried
                    // before the reader is asked again.
                    if kept_key() == sent_with && !ask_for_key(&body.error.message) {
                        return Err(body.error.message);
                    }
                }
                Ok(body) => return Err(body.error.message),
                Err(_) => return Err(format!("The server answered {status} {status_text}.")),
            }
        }
    }

    /// The API key the page keeps, if any.
    fn kept_key() -> Option<String> {
        let document = web_sys::window()?.document()?;
        let cookies = js_sys::Reflect::get(&document, &"cookie".into())
            .ok()?
            .as_string()?;
        cookies.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == crate::api::KEY_COOKIE).then(|| value.to_string())
        })
    }

    /// Asks the reader for the server's API key and keeps it in the browser; false when the
    /// reader gave none.
    fn ask_for_key(why: &str) -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let question = format!("{why}\n\nYour API key for this Passerelle:");
        let Ok(Some(key)) = window.prompt_with_message(&question) else {
            return false;
        };
        let key = key.trim();
        let Some(document) = window.document().filter(|_| !key.is_empty()) else {
            return false;
        };
        let cookie = format!(
            "{}={key}; path=/; max-age=31536000; SameSite=Strict",
            crate::api::KEY_COOKIE
        );
        js_sys::Reflect::set(&document, &"cookie".into(), &cookie.into()).is_ok()
    }

    pub fn start_job(body: CreateJob, done: impl FnOnce(Result<JobCreated, String>) + 'static) {
        spawn_local(async move {
            done(json(|| Request::post("/api/jobs").json(&body)).await);
        });
    }

    /// The HTML the clipboard holds in a paste event, if any.
    pub fn pasted_html(ev: &web_sys::ClipboardEvent) -> Option<String> {
        ev.clipboard_data()
            .and_then(|data| data.get_data("text/html").ok())
            .filter(|html| !html.trim().is_empty())
    }

    /// Sends the file a reader dropped (`ev` a drop) or picked (`ev` a file input's change) to
    /// `POST /api/documents`; false when `ev` carries no file.
    pub fn upload_file(
        ev: &web_sys::Event,
        done: impl FnOnce(Result<JobCreated, String>) + 'static,
    ) -> bool {
        use wasm_bindgen::JsCast;
        let files = match ev.dyn_ref::<web_sys::DragEvent>() {
            Some(drag) => drag.data_transfer().and_then(|d| d.files()),
            None => ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files()),
        };
        let Some(file) = files.and_then(|f| f.get(0)) else {
            return false;
        };
        spawn_local(async move {
            let form = match web_sys::FormData::new() {
                Ok(form) => form,
                Err(_) => return done(Err("This browser cannot send files.".into())),
            };
            if form
                .append_with_blob_and_filename("file", &file, &file.name())
                .is_err()
            {
                return done(Err("The file could not be read by the browser.".into()));
            }
            done(json(|| Request::post("/api/documents").body(form.clone())).await);
        });
        true
    }

    /// Sends the request `make` builds ([`send`]) and reads its JSON answer, or the error the
    /// server or the network gave.
    async fn json<T: serde::de::DeserializeOwned>(
        make: impl Fn() -> Result<Request, gloo_net::Error>,
    ) -> Result<T, String> {
        let response = send(make).await?;
        response.json::<T>().await.map_err(|e| e.to_string())
    }

    /// The kept articles whose title holds every word of `query`, newest first.
    pub fn list_history(
        query: String,
        done: impl FnOnce(Result<Vec<HistoryEntry>, String>) + 'static,
    ) {
        spawn_local(async move {
            done(json(|| Request::get("/api/history").query([("q", &query)]).build()).await);
        });
    }

    /// The model that writes the English, and on which engine.
    pub fn load_info(done: impl FnOnce(Result<EngineInfo, String>) + 'static) {
        spawn_local(async move {
            done(json(|| Request::get("/api/info").build()).await);
        });
    }

    /// The reader's glossary.
    pub fn load_glossary(done: impl FnOnce(Result<Glossary, String>) + 'static) {
        spawn_local(async move {
            done(json(|| Request::get("/api/glossary").build()).await);
        });
    }

    /// Replaces the reader's glossary; answers with what the server kept.
    pub fn save_glossary(
        glossary: Glossary,
        done: impl FnOnce(Result<Glossary, String>) + 'static,
    ) {
        spawn_local(async move {
            done(json(|| Request::put("/api/glossary").json(&glossary)).await);
        });
    }

    /// A kept article, to be read again from its first event.
    pub fn open_job(id: String, done: impl FnOnce(Result<JobCreated, String>) + 'static) {
        spawn_local(async move {
            // The job's state holds what `JobCreated` does, and more.
            done(json(|| Request::get(&format!("/api/jobs/{id}")).build()).await);
        });
    }

    /// Deletes one kept article, or all of them with `None`.
    pub fn delete_history(id: Option<String>, done: impl FnOnce(Result<(), String>) + 'static) {
        spawn_local(async move {
            let url = match &id {
                Some(id) => format!("/api/history/{id}"),
                None => "/api/history".to_string(),
            };
            done(send(|| Request::delete(&url).build()).await.map(|_| ()));
        });
    }

    /// Asks the reader; false when the browser cannot ask.
    pub fn confirm(question: &str) -> bool {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
    }

    /// A date for the reader, in the browser's time zone.
    pub fn local_date(unix_seconds: i64) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            unix_seconds as f64 * 1000.0,
        ));
        String::from(date.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
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
        for name in JobEvent::NAMES {
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

    pub fn start_job(_: CreateJob, _: impl FnOnce(Result<JobCreated, String>) + 'static) {}

    pub fn load_glossary(_: impl FnOnce(Result<Glossary, String>) + 'static) {}

    pub fn load_info(_: impl FnOnce(Result<EngineInfo, String>) + 'static) {}

    pub fn save_glossary(_: Glossary, _: impl FnOnce(Result<Glossary, String>) + 'static) {}

    pub fn pasted_html(_: &leptos::ev::ClipboardEvent) -> Option<String> {
        None
    }

    pub fn cancel_job(_: String) {}

    pub fn upload_file(
        _: &leptos::ev::Event,
        _: impl FnOnce(Result<JobCreated, String>) + 'static,
    ) -> bool {
        false
    }

    pub fn list_history(_: String, _: impl FnOnce(Result<Vec<HistoryEntry>, String>) + 'static) {}

    pub fn open_job(_: String, _: impl FnOnce(Result<JobCreated, String>) + 'static) {}

    pub fn delete_history(_: Option<String>, _: impl FnOnce(Result<(), String>) + 'static) {}

    pub fn confirm(_: &str) -> bool {
        false
    }

    pub fn local_date(unix_seconds: i64) -> String {
        format!("{unix_seconds}")
    }

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
