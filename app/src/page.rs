//! The reading page: paste, translate, watch the English appear beside the French, read the
//! summary.

use crate::api::{CreateJob, Flag, Glossary, HistoryEntry, JobStatus, Term};
use crate::client::{self, Connection};
use crate::example::EXAMPLE_ARTICLE;
use crate::reading::{
    describe_seconds, group_thousands, missing_notes, pieces, Phase, Piece, Reading, Side,
};
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

/// The whole page. `max_chars` is the server's limit on a paste.
#[component]
pub fn ReaderPage(max_chars: usize) -> impl IntoView {
    let page = Page::new();
    client::every_second(move || page.now_ms.set(client::now_ms()));
    // Effects run only in the browser: the list is fetched once the page is live.
    Effect::new(move |_| page.refresh_history());
    let job_id = Memo::new(move |_| page.reading.with(|r| r.as_ref().map(|r| r.job_id.clone())));

    view! {
        <header class="masthead">
            <h1>"Passerelle"</h1>
            <p class="tagline">"French news, read in English. Translated on this computer: nothing you paste leaves it."</p>
        </header>
        <main>
            <Compose page max_chars/>
            <History page/>
            <GlossaryEditor/>
            <Status page/>
            {move || job_id.get().map(|_| view! { <Results page/> })}
        </main>
        <footer class="colophon">
            <p>"The English and the summary are written by a small language model running locally. It can get names, numbers and nuances wrong: the French original stays beside it."</p>
        </footer>
    }
}

#[component]
fn Compose(page: Page, max_chars: usize) -> impl IntoView {
    let chars = move || page.paste.with(|p| p.chars().count());
    let too_long = move || chars() > max_chars;
    let empty = move || page.paste.with(|p| p.trim().is_empty());
    view! {
        <section class="compose" aria-labelledby="compose-title">
            <h2 id="compose-title" class="visually-hidden">"The French article"</h2>
            <label for="paste">"Paste a French article"</label>
            <textarea
                id="paste"
                class:dragging=move || page.dragging.get()
                lang="fr"
                rows="12"
                spellcheck="false"
                placeholder="Collez ici un article en français…"
                aria-describedby="paste-count paste-help"
                prop:value=move || page.paste.get()
                on:input=move |ev| {
                    page.paste.set(event_target_value(&ev));
                    // An edit after the paste makes the text the reader's, not the page's.
                    if !page.pasting.get_untracked() {
                        page.pasted_html.set(None);
                    }
                    page.pasting.set(false);
                }
                on:paste=move |ev: leptos::ev::ClipboardEvent| {
                    // Only a paste into an empty area is the whole article.
                    let whole = page.paste.with_untracked(|p| p.trim().is_empty());
                    page.pasted_html.set(client::pasted_html(&ev).filter(|_| whole));
                    page.pasting.set(true);
                }
                on:dragover=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    page.dragging.set(true);
                }
                on:dragleave=move |_| page.dragging.set(false)
                on:drop=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    page.dragging.set(false);
                    page.upload(ev.as_ref());
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if (ev.ctrl_key() || ev.meta_key()) && ev.key() == "Enter" {
                        ev.prevent_default();
                        if !page.running() && !too_long() {
                            page.translate();
                        }
                    }
                }
            ></textarea>
            <div class="compose-bar">
                <span id="paste-count" class="count" class:over=too_long>
                    {move || format!("{} / {} characters", group_thousands(chars()), group_thousands(max_chars))}
                </span>
                <button type="button" class="link" on:click=move |_| {
                    page.pasted_html.set(None);
                    page.paste.set(EXAMPLE_ARTICLE.to_string());
                }>
                    "Try an example"
                </button>
                <label class="link file-pick" for="file">"Open a file"</label>
                <input
                    type="file"
                    id="file"
                    class="visually-hidden"
                    accept=".txt,.html,.htm,.docx,.pdf,text/plain,text/html,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    on:change=move |ev| page.upload(&ev)
                />
                <span class="spacer"></span>
                <Show when=move || page.running()>
                    <button type="button" class="secondary" id="cancel" on:click=move |_| page.cancel()>"Cancel"</button>
                </Show>
                <button
                    type="button"
                    class="primary"
                    id="translate"
                    disabled=move || page.running() || too_long() || empty()
                    on:click=move |_| page.translate()
                >
                    "Translate"
                </button>
            </div>
            <form class="link-bar" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if !page.running() {
                    page.fetch_link();
                }
            }>
                <label for="link">"Or a link"</label>
                <input
                    type="url"
                    id="link"
                    placeholder="https://…"
                    prop:value=move || page.link.get()
                    on:input=move |ev| page.link.set(event_target_value(&ev))
                />
                <button
                    type="submit"
                    class="secondary"
                    id="fetch-link"
                    disabled=move || page.running() || page.link.with(|l| l.trim().is_empty())
                >
                    "Fetch and translate"
                </button>
            </form>
            <p id="paste-help" class="hint">
                {move || if too_long() {
                    format!("The article is over the limit of {} characters: shorten it to translate.", group_thousands(max_chars))
                } else {
                    "Ctrl+Enter translates; a text file, a saved web page, a Word file or a PDF can be dropped here too. Site menus, photo credits and repeated paragraphs are set aside; you can put them back.".to_string()
                }}
            </p>
        </section>
    }
}

#[component]
fn Status(page: Page) -> impl IntoView {
    let line = move || {
        let now = page.now_ms.get();
        page.reading.with(|r| {
            let r = r.as_ref()?;
            let total = r.rows.len();
            let done = r.paragraphs_done();
            let rate = r
                .tokens_per_second(now)
                .map(|t| format!(" · {t:.1} tokens/s"))
                .unwrap_or_default();
            let left = r
                .seconds_left(now)
                .map(|s| format!(" · {} left", describe_seconds(s)))
                .unwrap_or_default();
            Some(match &r.phase {
                Phase::Starting => "Starting…".to_string(),
                Phase::Queued { position: 1 } => "Waiting for the model: next in line.".to_string(),
                Phase::Queued { position } => format!("Waiting for the model: {position} in line."),
                Phase::Translating => {
                    format!("Translating: {done} of {total} paragraphs{rate}{left}")
                }
                Phase::Summarizing => format!(
                    "Writing the summary: {done} of {total} paragraphs translated{rate}{left}"
                ),
                Phase::Done(f) => format!(
                    "Done in {:.0} s: {} paragraph{}, {} tokens at {:.1} tokens/s.",
                    f.seconds,
                    total,
                    if total == 1 { "" } else { "s" },
                    f.generated_tokens,
                    f.tokens_per_second
                ),
                Phase::Cancelled => format!("Cancelled after {done} of {total} paragraphs."),
                Phase::Failed { message } => message.clone(),
            })
        })
    };
    let failed = move || {
        page.reading.with(|r| {
            r.as_ref()
                .is_some_and(|r| matches!(r.phase, Phase::Failed { .. }))
        })
    };
    let progress = move || {
        page.reading.with(|r| {
            r.as_ref()
                .map(|r| (r.paragraphs_done(), r.rows.len().max(1)))
        })
    };
    view! {
        <section class="status" aria-live="polite" aria-atomic="true">
            {move || page.request_error.get().map(|message| view! {
                <p class="error" role="alert">
                    {message} " "
                    <Show when=move || page.source.get() != Source::File>
                        <button type="button" class="link" on:click=move |_| page.retry()>"Try again"</button>
                    </Show>
                </p>
            })}
            {move || line().map(|text| view! {
                <p class="progress-line" class:error=failed>
                    {text}
                    <Show when=failed>
                        " " <button type="button" class="link" on:click=move |_| page.translate()>"Try again"</button>
                    </Show>
                </p>
            })}
            {move || progress().map(|(done, total)| view! {
                <progress max=total value=done aria-label="Paragraphs translated"></progress>
            })}
            <Show when=move || page.lost.get()>
                <p class="error" role="alert">
                    "The connection to the server was lost. "
                    <button type="button" class="link" on:click=move |_| page.reconnect()>"Reconnect"</button>
                </p>
            </Show>
        </section>
    }
}

#[component]
fn Results(page: Page) -> impl IntoView {
    let rows = page
        .reading
        .with_untracked(|r| r.as_ref().map_or(0, |r| r.rows.len()));
    let summary = move || {
        page.reading.with(|r| {
            r.as_ref()
                .map(|r| (r.summary.clone(), r.summary_done))
                .unwrap_or_default()
        })
    };
    let summary_flags = move || {
        page.reading.with(|r| {
            r.as_ref()
                .map(|r| r.summary_flags.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <section class="summary card" aria-labelledby="summary-title">
            <div class="card-head">
                <h2 id="summary-title">"Summary" <span class="badge">"machine-made"</span></h2>
                <CopyButton page what="summary" label="Copy summary" ready=Signal::derive(move || summary().1)
                    text=move || summary().0/>
            </div>
            <p id="summary" lang="en" class:pending=move || summary().0.is_empty()>
                {move || {
                    let (text, done) = summary();
                    if text.is_empty() {
                        "The summary is written once every paragraph is translated.".into_any()
                    } else if done {
                        view! { <Marked pieces=pieces(&text, &summary_flags())/> }.into_any()
                    } else {
                        text.into_any()
                    }
                }}
            </p>
            <MissingNotes flags=Signal::derive(summary_flags)/>
        </section>
        <section class="translation" aria-labelledby="translation-title">
            <div class="card-head">
                <h2 id="translation-title">"Translation" <span class="badge">"machine translation"</span></h2>
                <Export page/>
                <CopyButton page what="translation" label="Copy translation" ready=Signal::derive(|| true)
                    text=move || page.reading.with_untracked(|r| r.as_ref().map(Reading::translation_text).unwrap_or_default())/>
            </div>
            <div class="pairs">
                <div class="pair heading" aria-hidden="true"><span>"Français"</span><span>"English"</span></div>
                <For each=move || 0..rows key=|i| *i children=move |i| view! { <Pair page i/> }/>
            </div>
        </section>
        <RemovedLines page/>
    }
}

/// Links that download the open article.
#[component]
fn Export(page: Page) -> impl IntoView {
    let link = move |format: &'static str| {
        page.reading.with(|r| {
            r.as_ref()
                .map(|r| format!("/api/jobs/{}/export?format={format}", r.job_id))
        })
    };
    view! {
        <nav class="export" aria-label="Download this article">
            "Download: "
            <a href=move || link("md") download="">"Markdown"</a>
            <a href=move || link("html") download="">"HTML table"</a>
            <a href=move || link("txt") download="">"English text"</a>
        </nav>
    }
}

/// The kept articles: search, open, delete.
/// The reader's glossary: French terms and the English wanted for them, edited as a list and
/// saved whole. Articles translated after a save use it.
#[component]
fn GlossaryEditor() -> impl IntoView {
    // Each row with a key of its own, so that removing one keeps the others' inputs.
    let rows: RwSignal<Vec<(usize, String, String)>> = RwSignal::new(Vec::new());
    let next_key = StoredValue::new(0usize);
    let new_key = move || {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        key
    };
    let message: RwSignal<Option<(bool, String)>> = RwSignal::new(None);
    let fill = move |terms: Vec<Term>| {
        rows.set(
            terms
                .into_iter()
                .map(|t| (new_key(), t.french, t.english))
                .collect(),
        );
    };
    Effect::new(move |_| {
        client::load_glossary(move |result| match result {
            Ok(glossary) => fill(glossary.terms),
            Err(err) => message.set(Some((true, err))),
        })
    });
    let add = move || {
        let key = new_key();
        rows.update(|r| r.push((key, String::new(), String::new())));
        message.set(None);
    };
    let edit = move |key: usize, french: bool, value: String| {
        rows.update(|r| {
            if let Some(row) = r.iter_mut().find(|row| row.0 == key) {
                if french {
                    row.1 = value;
                } else {
                    row.2 = value;
                }
            }
        });
        message.set(None);
    };
    let save = move || {
        let terms = rows.with_untracked(|r| {
            r.iter()
                .filter(|(_, f, e)| !(f.trim().is_empty() && e.trim().is_empty()))
                .map(|(_, f, e)| Term {
                    french: f.clone(),
                    english: e.clone(),
                })
                .collect()
        });
        client::save_glossary(Glossary { terms }, move |result| match result {
            Ok(kept) => {
                let n = kept.terms.len();
                fill(kept.terms);
                message.set(Some((
                    false,
                    format!(
                        "Saved {n} term{}: articles translated from now on use them.",
                        if n == 1 { "" } else { "s" }
                    ),
                )));
            }
            Err(err) => message.set(Some((true, err))),
        });
    };
    view! {
        <details class="history card glossary" id="glossary">
            <summary>
                <h2>"Your glossary"</h2>
                <span class="count">{move || rows.with(Vec::len)}</span>
            </summary>
            <p class="hint">"Terms you want translated your way, such as OTSC → CSTO. The model is told them, and an English that does not use them is marked."</p>
            <ul class="glossary-list">
                <For
                    each=move || rows.get()
                    key=|row| row.0
                    children=move |(key, french, english)| view! {
                        <li>
                            <input
                                type="text"
                                lang="fr"
                                class="glossary-fr"
                                aria-label="French term"
                                placeholder="Terme français"
                                prop:value=french
                                on:input=move |ev| edit(key, true, event_target_value(&ev))
                            />
                            <span aria-hidden="true">"→"</span>
                            <input
                                type="text"
                                lang="en"
                                class="glossary-en"
                                aria-label="English term"
                                placeholder="English"
                                prop:value=english
                                on:input=move |ev| edit(key, false, event_target_value(&ev))
                            />
                            <button
                                type="button"
                                class="link"
                                aria-label="Remove this term"
                                on:click=move |_| {
                                    rows.update(|r| r.retain(|row| row.0 != key));
                                    message.set(None);
                                }
                            >
                                "Remove"
                            </button>
                        </li>
                    }
                />
            </ul>
            <div class="history-bar">
                <button type="button" class="secondary" id="glossary-add" on:click=move |_| add()>"Add a term"</button>
                <button type="button" class="primary" id="glossary-save" on:click=move |_| save()>"Save the glossary"</button>
            </div>
            {move || message.get().map(|(error, text)| view! {
                <p class="hint" class:error=error role="status">{text}</p>
            })}
        </details>
    }
}

#[component]
fn History(page: Page) -> impl IntoView {
    let status = |status: JobStatus| match status {
        JobStatus::Queued => "waiting",
        JobStatus::Running => "being translated",
        JobStatus::Done => "read",
        JobStatus::Failed => "failed",
        JobStatus::Cancelled => "cancelled",
    };
    view! {
        <details class="history card" id="history">
            <summary>
                <h2>"Earlier articles"</h2>
                <span class="count">{move || page.history.with(Vec::len)}</span>
            </summary>
            <Show
                when=move || page.history_error.get().is_none()
                fallback=move || view! { <p class="hint">{move || page.history_error.get()}</p> }
            >
                <div class="history-bar">
                    <label for="history-search" class="visually-hidden">"Search the titles"</label>
                    <input
                        id="history-search"
                        type="search"
                        placeholder="Search the titles"
                        prop:value=move || page.history_query.get()
                        on:input=move |ev| {
                            page.history_query.set(event_target_value(&ev));
                            page.refresh_history();
                        }
                    />
                    <button
                        type="button"
                        class="secondary"
                        disabled=move || page.history.with(Vec::is_empty)
                        on:click=move |_| page.delete(None, "Delete every kept article? This cannot be undone.")
                    >
                        "Delete all"
                    </button>
                </div>
                <Show
                    when=move || !page.history.with(Vec::is_empty)
                    fallback=|| view! { <p class="hint">"Articles you translate are kept here, on this computer only."</p> }
                >
                    <ul class="history-list">
                        <For
                            each=move || page.history.get()
                            key=|e| (e.id.clone(), e.status)
                            children=move |e| {
                                let open_id = e.id.clone();
                                let delete_id = e.id.clone();
                                view! {
                                    <li>
                                        <button type="button" class="link history-open" lang="fr" on:click=move |_| page.open(open_id.clone())>
                                            {e.title.clone()}
                                        </button>
                                        <span class="meta">
                                            {format!(
                                                "{} · {} paragraph{} · {}",
                                                client::local_date(e.created_at),
                                                e.paragraphs,
                                                if e.paragraphs == 1 { "" } else { "s" },
                                                status(e.status)
                                            )}
                                        </span>
                                        <button
                                            type="button"
                                            class="link danger"
                                            aria-label=format!("Delete “{}”", e.title)
                                            on:click=move |_| page.delete(Some(delete_id.clone()), "Delete this article? This cannot be undone.")
                                        >
                                            "Delete"
                                        </button>
                                    </li>
                                }
                            }
                        />
                    </ul>
                </Show>
            </Show>
        </details>
    }
}

/// A button that copies `text` and says so until something else is copied.
#[component]
fn CopyButton(
    page: Page,
    what: &'static str,
    label: &'static str,
    ready: Signal<bool>,
    text: impl Fn() -> String + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <button type="button" class="secondary" disabled=move || !ready.get() on:click=move |_| page.copy(what, text())>
            {move || if page.copied.get() == Some(what) { "Copied" } else { label }}
        </button>
    }
}

#[component]
fn Pair(page: Page, i: usize) -> impl IntoView {
    let row = move || {
        page.reading
            .with(|r| r.as_ref().and_then(|r| r.rows.get(i).cloned()))
    };
    view! {
        <div class="pair">
            <p lang="fr" class="fr">
                {move || row().map(|r| {
                    let last = r.sentences.len().saturating_sub(1);
                    r.sentences.iter().enumerate().map(|(k, s)| view! {
                        <Sentence page i side=Side::French k text=s.clone()/>
                        {(k < last).then_some(" ")}
                    }).collect_view()
                })}
            </p>
            <div class="en-cell">
                <p lang="en" class="en" class:done=move || row().is_some_and(|r| r.done) class:waiting=move || row().is_some_and(|r| r.english.is_empty())>
                    {move || match row() {
                        Some(r) if r.done => r
                            .english_sentences(&r.flags)
                            .into_iter()
                            .map(|(k, pieces)| match k {
                                Some(k) => view! { <Sentence page i side=Side::English k text=pieces/> }.into_any(),
                                None => view! { <Marked pieces/> }.into_any(),
                            })
                            .collect_view()
                            .into_any(),
                        Some(r) => r.english.into_any(),
                        None => ().into_any(),
                    }}
                </p>
                <Show when=move || row().is_some_and(|r| r.from_memory)>
                    <p class="memory-note">"From memory: this French was translated in an earlier article."</p>
                </Show>
                <MissingNotes flags=Signal::derive(move || row().map(|r| r.flags).unwrap_or_default())/>
            </div>
        </div>
    }
}

/// One sentence of a paragraph: pointing at it (mouse or keyboard focus) lights it and its
/// counterparts in the other column.
#[component]
fn Sentence(
    page: Page,
    i: usize,
    side: Side,
    k: usize,
    #[prop(into)] text: SentenceText,
) -> impl IntoView {
    let lit = move || {
        page.pointed.with(|p| {
            let Some((row, pointed_side, pointed)) = *p else {
                return false;
            };
            row == i
                && page.reading.with(|r| {
                    r.as_ref().and_then(|r| r.rows.get(i)).is_some_and(|r| {
                        let (french, english) = r.lit(pointed_side, pointed);
                        match side {
                            Side::French => french.contains(&k),
                            Side::English => english.contains(&k),
                        }
                    })
                })
        })
    };
    let point = move || page.pointed.set(Some((i, side, k)));
    let leave = move || {
        if page.pointed.get_untracked() == Some((i, side, k)) {
            page.pointed.set(None);
        }
    };
    let content = match text {
        SentenceText::Plain(text) => text.into_any(),
        SentenceText::Marked(pieces) => view! { <Marked pieces/> }.into_any(),
    };
    view! {
        <span
            class="sentence"
            class:lit=lit
            tabindex="0"
            data-side=match side { Side::French => "fr", Side::English => "en" }
            data-sentence=k.to_string()
            on:mouseenter=move |_| point()
            on:mouseleave=move |_| leave()
            on:focus=move |_| point()
            on:blur=move |_| leave()
        >
            {content}
        </span>
    }
}

/// A sentence's text: plain French, or English with what the check could not verify.
enum SentenceText {
    Plain(String),
    Marked(Vec<Piece>),
}

impl From<String> for SentenceText {
    fn from(text: String) -> Self {
        Self::Plain(text)
    }
}

impl From<Vec<Piece>> for SentenceText {
    fn from(pieces: Vec<Piece>) -> Self {
        Self::Marked(pieces)
    }
}

/// English with what the check could not verify marked: each mark can be reached with the
/// keyboard and shows its explanation on hover and focus.
#[component]
fn Marked(pieces: Vec<Piece>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Plain(text) => text.into_any(),
            Piece::Marked { text, note } => view! {
                <mark class="flag" tabindex="0">
                    {text}
                    <span class="flag-note" role="note">{note}</span>
                </mark>
            }
            .into_any(),
        })
        .collect_view()
}

/// What the English lacks, under it.
#[component]
fn MissingNotes(flags: Signal<Vec<Flag>>) -> impl IntoView {
    view! {
        <Show when=move || !missing_notes(&flags.get()).is_empty()>
            <ul class="flag-notes" aria-label="Not verified">
                {move || missing_notes(&flags.get()).into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        </Show>
    }
}

#[component]
fn RemovedLines(page: Page) -> impl IntoView {
    let removed = move || {
        page.reading
            .with(|r| r.as_ref().map(|r| r.removed.clone()).unwrap_or_default())
    };
    let kept = move |text: &str| page.keep.with(|k| k.iter().any(|t| t == text));
    let toggle = move |text: String| {
        page.keep.update(|k| {
            if let Some(i) = k.iter().position(|t| *t == text) {
                k.remove(i);
            } else {
                k.push(text);
            }
        })
    };
    view! {
        <Show when=move || !removed().is_empty()>
            <details class="removed">
                <summary>{move || format!("Removed from the paste ({})", removed().len())}</summary>
                <ul>
                    <For
                        each=removed
                        key=|r| r.text.clone()
                        children=move |r| {
                            let text = r.text.clone();
                            let for_toggle = text.clone();
                            let for_state = text.clone();
                            view! {
                                <li>
                                    <span class="removed-text" lang="fr">{text}</span>
                                    <span class="reason">{r.reason.describe()}</span>
                                    <button type="button" class="link" aria-pressed=move || kept(&for_state).to_string()
                                        on:click=move |_| toggle(for_toggle.clone())>
                                        {let t = r.text.clone(); move || if kept(&t) { "Will be kept" } else { "Put back" }}
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
                <button
                    type="button"
                    class="secondary"
                    disabled=move || page.keep.with(Vec::is_empty) || page.running()
                    on:click=move |_| page.translate()
                >
                    {move || format!("Translate again with {} put back", page.keep.with(Vec::len))}
                </button>
            </details>
        </Show>
    }
}
