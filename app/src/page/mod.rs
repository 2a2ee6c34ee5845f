//! The reading page: paste, translate, watch the English appear beside the French, read the
//! summary. [`Page`] holds what every control acts on; the components are grouped by what they
//! show: [`compose`] (the paste, a file, a link), [`article`] (the status, the paragraphs side by
//! side, the summary, exports), [`history`] (earlier articles) and [`glossary`] (the reader's
//! terms).

mod article;
mod compose;
mod glossary;
mod history;

use crate::api::{CreateJob, EngineInfo, HistoryEntry};
use crate::client::{self, Connection};
use crate::reading::{Reading, Side};
use article::{Results, Status};
use compose::Compose;
use glossary::GlossaryEditor;
use history::History;
use leptos::prelude::*;

/// Where an article comes from, so that "Try again" repeats the right request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Paste,
    Link,
    File,
}

/// Everything the page's controls act on.
#[derive(Clone, Copy)]
struct Page {
    paste: RwSignal<String>,
    /// Lines the reader put back: the cleaning keeps them next time.
    keep: RwSignal<Vec<String>>,
    reading: RwSignal<Option<Reading>>,
    /// The job could not be created (shown in place, with a retry).
    request_error: RwSignal<Option<String>>,
    submitting: RwSignal<bool>,
    /// The event stream gave up (the browser's own reconnecting failed).
    lost: RwSignal<bool>,
    now_ms: RwSignal<f64>,
    copied: RwSignal<Option<&'static str>>,
    connection: StoredValue<Option<Connection>, LocalStorage>,
    /// The HTML of the last paste, while the paste area holds that paste unedited.
    pasted_html: RwSignal<Option<String>>,
    /// A paste just happened: the input event that follows is the paste itself, not an edit.
    pasting: RwSignal<bool>,
    /// Where the last article submitted came from.
    source: RwSignal<Source>,
    /// The link typed in the link field.
    link: RwSignal<String>,
    /// A file is being dragged over the paste area: it shows where to drop it.
    dragging: RwSignal<bool>,
    /// The sentence the reader points at (hover or focus): paragraph, side, sentence.
    pointed: RwSignal<Option<(usize, Side, usize)>>,
    /// The kept articles shown, for the search words in `history_query`.
    history: RwSignal<Vec<HistoryEntry>>,
    history_query: RwSignal<String>,
    /// Why the history cannot be shown (history off, server gone).
    history_error: RwSignal<Option<String>>,
}

impl Page {
    fn new() -> Self {
        Self {
            paste: RwSignal::new(String::new()),
            keep: RwSignal::new(Vec::new()),
            reading: RwSignal::new(None),
            request_error: RwSignal::new(None),
            submitting: RwSignal::new(false),
            lost: RwSignal::new(false),
            now_ms: RwSignal::new(0.0),
            copied: RwSignal::new(None),
            connection: StoredValue::new_local(None),
            pasted_html: RwSignal::new(None),
            pasting: RwSignal::new(false),
            link: RwSignal::new(String::new()),
            source: RwSignal::new(Source::Paste),
            pointed: RwSignal::new(None),
            dragging: RwSignal::new(false),
            history: RwSignal::new(Vec::new()),
            history_query: RwSignal::new(String::new()),
            history_error: RwSignal::new(None),
        }
    }

    fn running(&self) -> bool {
        self.submitting.get()
            || self
                .reading
                .with(|r| r.as_ref().is_some_and(|r| !r.phase.is_over()))
    }

    /// Clears what the last article left, before `source` is submitted.
    fn begin(self, source: Source) {
        self.connection.set_value(None);
        self.request_error.set(None);
        self.lost.set(false);
        self.source.set(source);
    }

    /// Submits the last article again, after an error ("Try again").
    fn retry(self) {
        match self.source.get_untracked() {
            Source::Paste => self.translate(),
            Source::Link => self.fetch_link(),
            // The file is the reader's to pick again.
            Source::File => {}
        }
    }

    fn translate(self) {
        let text = self.paste.get_untracked();
        if text.trim().is_empty() || self.submitting.get_untracked() {
            return;
        }
        self.begin(Source::Paste);
        self.submitting.set(true);
        let body = CreateJob {
            text,
            keep: self.keep.get_untracked(),
            html: self.pasted_html.get_untracked(),
            url: None,
        };
        client::start_job(body, move |result| self.started(result));
    }

    /// Translates the article behind the link the reader gave; the server fetches it.
    fn fetch_link(self) {
        let url = self.link.get_untracked().trim().to_string();
        if url.is_empty() || self.submitting.get_untracked() {
            return;
        }
        self.begin(Source::Link);
        self.keep.set(Vec::new());
        self.submitting.set(true);
        let body = CreateJob {
            text: String::new(),
            keep: Vec::new(),
            html: None,
            url: Some(url),
        };
        client::start_job(body, move |result| self.started(result));
    }

    /// Translates the file the reader dropped or picked, cleaned like a paste.
    fn upload(self, ev: &leptos::ev::Event) {
        if self.submitting.get_untracked() {
            return;
        }
        self.begin(Source::File);
        self.keep.set(Vec::new());
        if client::upload_file(ev, move |result| self.started(result)) {
            self.submitting.set(true);
        }
    }

    /// Shows the job the server made, or why it could not.
    fn started(self, result: Result<crate::api::JobCreated, String>) {
        self.submitting.set(false);
        match result {
            Ok(created) => {
                let id = created.id.clone();
                self.reading.set(Some(Reading::new(created)));
                self.follow(&id, 0);
                self.refresh_history();
            }
            Err(message) => self.request_error.set(Some(message)),
        }
    }

    /// Shows a kept article again: its events are replayed from the first, so it reads exactly
    /// as it did (and goes on, if it is still being written).
    fn open(self, id: String) {
        self.connection.set_value(None);
        self.request_error.set(None);
        self.lost.set(false);
        client::open_job(id, move |result| match result {
            Ok(created) => {
                let id = created.id.clone();
                self.reading.set(Some(Reading::new(created)));
                self.follow(&id, 0);
            }
            Err(message) => self.request_error.set(Some(message)),
        });
    }

    fn refresh_history(self) {
        client::list_history(
            self.history_query.get_untracked(),
            move |result| match result {
                Ok(entries) => {
                    self.history.set(entries);
                    self.history_error.set(None);
                }
                Err(message) => self.history_error.set(Some(message)),
            },
        );
    }

    /// Deletes one kept article (`Some`) or all of them, once the reader confirms.
    fn delete(self, id: Option<String>, question: &str) {
        if !client::confirm(question) {
            return;
        }
        let open = self
            .reading
            .with_untracked(|r| r.as_ref().map(|r| r.job_id.clone()));
        let closes = id.is_none() || id == open;
        client::delete_history(id, move |result| {
            match result {
                Ok(()) if closes => {
                    self.connection.set_value(None);
                    self.reading.set(None);
                }
                Ok(()) => {}
                Err(message) => self.history_error.set(Some(message)),
            }
            self.refresh_history();
        });
    }

    fn follow(self, job_id: &str, after: usize) {
        let connection = client::follow(
            job_id,
            after,
            move |id, event| {
                let now = client::now_ms();
                self.now_ms.set(now);
                let last = event.is_final();
                self.reading.update(|r| {
                    if let Some(r) = r {
                        r.apply(id, event, now);
                    }
                });
                if last {
                    self.refresh_history();
                }
            },
            move || self.lost.set(true),
        );
        if connection.is_none() {
            self.lost.set(true);
        }
        self.connection.set_value(connection);
    }

    fn reconnect(self) {
        let Some((id, after)) = self
            .reading
            .with_untracked(|r| r.as_ref().map(|r| (r.job_id.clone(), r.last_event_id)))
        else {
            return;
        };
        self.lost.set(false);
        self.follow(&id, after);
    }

    fn cancel(self) {
        if let Some(id) = self
            .reading
            .with_untracked(|r| r.as_ref().map(|r| r.job_id.clone()))
        {
            client::cancel_job(id);
        }
    }

    fn copy(self, what: &'static str, text: String) {
        client::copy_text(text);
        self.copied.set(Some(what));
    }
}

/// The whole page. `max_chars` is the server's limit on a paste; `remote` says the English is
/// written by inference servers the operator chose, not on this computer.
#[component]
pub fn ReaderPage(max_chars: usize, remote: bool) -> impl IntoView {
    let page = Page::new();
    // The model that writes, named once the page is live (it may still be loading before).
    let writer = RwSignal::new(None::<EngineInfo>);
    client::every_second(move || page.now_ms.set(client::now_ms()));
    // Effects run only in the browser: the list is fetched once the page is live.
    Effect::new(move |_| page.refresh_history());
    let job_id = Memo::new(move |_| page.reading.with(|r| r.as_ref().map(|r| r.job_id.clone())));
    Effect::new(move |_| {
        job_id.track();
        client::load_info(move |result| {
            if let Ok(info) = result {
                writer.set(Some(info));
            }
        });
    });
    let tagline = if remote {
        "French news, read in English. Translated by the inference servers this Passerelle is set to use: what you paste is sent to them."
    } else {
        "French news, read in English. Translated on this computer: nothing you paste leaves it."
    };
    let colophon = move || {
        let who = writer.with(|w| {
            w.as_ref()
                .map(|w| format!("{}, a language model", w.name))
                .unwrap_or_else(|| "a small language model".to_string())
        });
        let place = if remote {
            "on the inference servers this Passerelle uses"
        } else {
            "on this computer"
        };
        format!(
            "The English and the summary are written by {who} running {place}. It can get names, numbers and nuances wrong: the French original stays beside it."
        )
    };

    view! {
        <header class="masthead">
            <h1>"Passerelle"</h1>
            <p class="tagline">{tagline}</p>
        </header>
        <main>
            <Compose page max_chars/>
            <History page/>
            <GlossaryEditor/>
            <Status page/>
            {move || job_id.get().map(|_| view! { <Results page/> })}
        </main>
        <footer class="colophon">
            <p>{colophon}</p>
        </footer>
    }
}
