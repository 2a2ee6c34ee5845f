//! The reading page (Leptos, rendered on the server and hydrated in the browser) and the types
//! the server and the browser share.
//!
//! An article's way through this crate: the page posts it ([`api::CreateJob`]) and follows the
//! job's events ([`api::JobEvent`], over SSE); [`reading`] folds them into what the page shows,
//! with the same fold the server keeps its jobs with ([`progress`]); a finished paragraph's
//! sentences are paired with the French ones ([`pairing`]) so that pointing at one lights its
//! counterparts; the page itself is `page/` (compose, article, history, glossary).

pub mod api;
mod client;
mod example;
mod page;
pub mod pairing;
pub mod progress;
pub mod reading;

pub use example::EXAMPLE_ARTICLE;

use leptos::prelude::*;
use page::ReaderPage;

/// The name wasm-bindgen gives the page's files (`/pkg/app.js`, `/pkg/app_bg.wasm`).
pub const OUTPUT_NAME: &str = "app";

/// The whole document, rendered on the server. The paste limit, and whether the English is
/// written on inference servers elsewhere (`remote`), ride on `<body>` so the hydrating page
/// reads the same values.
pub fn shell(options: LeptosOptions, max_chars: usize, remote: bool) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <title>"Passerelle: French news in English"</title>
                <link rel="stylesheet" href="/style.css"/>
                <link rel="icon" href="data:,"/>
                <HydrationScripts options/>
            </head>
            <body data-max-chars=max_chars.to_string() data-remote=remote.to_string()>
                <ReaderPage max_chars remote/>
            </body>
        </html>
    }
}

/// Entry point of the WebAssembly: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let body = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body());
    let max_chars = body
        .as_ref()
        .and_then(|b| b.dataset().get("maxChars"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let remote = body
        .as_ref()
        .and_then(|b| b.dataset().get("remote"))
        .is_some_and(|v| v == "true");
    leptos::mount::hydrate_body(move || view! { <ReaderPage max_chars remote/> });
    // Tells tests (and anyone looking) that the buttons now work.
    if let Some(body) = body {
        let _ = body.dataset().set("hydrated", "true");
    }
}
