//! The reader's glossary card.

use crate::api::{Glossary, Term};
use crate::client;
use leptos::prelude::*;

/// The reader's glossary: French terms and the English wanted for them, edited as a list and
/// saved whole. Articles translated after a save use it.
#[component]
pub(super) fn GlossaryEditor() -> impl IntoView {
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
                        <GlossaryRow row=key french english edit remove=move |key| {
                            rows.update(|r| r.retain(|row| row.0 != key));
                            message.set(None);
                        }/>
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

/// One term of the glossary: its French, its English, and a button that removes it.
#[component]
fn GlossaryRow(
    row: usize,
    french: String,
    english: String,
    edit: impl Fn(usize, bool, String) + Copy + Send + Sync + 'static,
    remove: impl Fn(usize) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <li>
            <TermInput lang="fr" value=french on_input=move |v| edit(row, true, v)/>
            <span aria-hidden="true">"→"</span>
            <TermInput lang="en" value=english on_input=move |v| edit(row, false, v)/>
            <button
                type="button"
                class="link"
                aria-label="Remove this term"
                on:click=move |_| remove(row)
            >
                "Remove"
            </button>
        </li>
    }
}

/// A term's French (`lang` "fr") or English (`lang` "en") side.
#[component]
fn TermInput(
    lang: &'static str,
    value: String,
    on_input: impl Fn(String) + Send + Sync + 'static,
) -> impl IntoView {
    let (class, label, placeholder) = if lang == "fr" {
        ("glossary-fr", "French term", "Terme français")
    } else {
        ("glossary-en", "English term", "English")
    };
    view! {
        <input
            type="text"
            lang=lang
            class=class
            aria-label=label
            placeholder=placeholder
            prop:value=value
            on:input=move |ev| on_input(event_target_value(&ev))
        />
    }
}
