//! The article being read: its status line, each French paragraph beside its English (sentence
//! pairs lit on pointing, marks on what the check could not verify), the summary, what the
//! cleaning removed, and the exports.

use super::{Page, Source};
use crate::api::Flag;
use crate::reading::{describe_seconds, missing_notes, pieces, Phase, Piece, Reading, Side};
use leptos::prelude::*;

#[component]
pub(super) fn Status(page: Page) -> impl IntoView {
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
            if let Some(waiting) = r.progress.waiting.as_ref().filter(|_| !r.phase.is_over()) {
                return Some(format!(
                    "{waiting} ({done} of {total} paragraphs translated)"
                ));
            }
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
pub(super) fn Results(page: Page) -> impl IntoView {
    let rows = page
        .reading
        .with_untracked(|r| r.as_ref().map_or(0, |r| r.rows.len()));
    let summary = move || {
        page.reading.with(|r| {
            r.as_ref()
                .map(|r| (r.progress.summary.clone(), r.progress.summary_done))
                .unwrap_or_default()
        })
    };
    // A job from another program's API (LibreTranslate, DeepL, OpenAI) is translated only.
    let without_summary = move || {
        page.reading.with(|r| {
            r.as_ref().is_some_and(|r| {
                r.progress.status == crate::api::JobStatus::Done && r.progress.summary.is_empty()
            })
        })
    };
    let summary_flags = move || {
        page.reading.with(|r| {
            r.as_ref()
                .map(|r| r.progress.summary_flags.clone())
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
                    if without_summary() {
                        "No summary: this text came from another program through its translation API, which asks for the English only.".into_any()
                    } else if text.is_empty() {
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
    let english = move || {
        page.reading.with(|r| {
            r.as_ref()
                .and_then(|r| r.paragraph(i).map(|(_, english)| english.clone()))
        })
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
                <p lang="en" class="en" class:done=move || english().is_some_and(|e| e.done) class:waiting=move || english().is_some_and(|e| e.text.is_empty())>
                    {move || match row().zip(english()) {
                        Some((r, e)) if e.done => r
                            .english_sentences(&e)
                            .into_iter()
                            .map(|(k, pieces)| match k {
                                Some(k) => view! { <Sentence page i side=Side::English k text=pieces/> }.into_any(),
                                None => view! { <Marked pieces/> }.into_any(),
                            })
                            .collect_view()
                            .into_any(),
                        Some((_, e)) => e.text.into_any(),
                        None => ().into_any(),
                    }}
                </p>
                <Show when=move || english().is_some_and(|e| e.from_memory)>
                    <p class="memory-note">"From memory: this French was translated in an earlier article."</p>
                </Show>
                <MissingNotes flags=Signal::derive(move || english().map(|e| e.flags).unwrap_or_default())/>
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

/// English with what the check could not verify marked, and the sentences the model is unsure
/// of marked apart: each mark can be reached with the keyboard and shows its explanation on
/// hover and focus.
#[component]
fn Marked(pieces: Vec<Piece>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Plain(text) => text.into_any(),
            Piece::Marked { text, note, unsure } => view! {
                <mark class="flag" class:unsure=unsure tabindex="0">
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
