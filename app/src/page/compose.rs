//! Where an article comes in: the paste area (typed, pasted, or a dropped file), a file picker
//! and a link.

use super::Page;
use crate::client;
use crate::example::EXAMPLE_ARTICLE;
use crate::reading::group_thousands;
use leptos::prelude::*;

#[component]
pub(super) fn Compose(page: Page, max_chars: usize) -> impl IntoView {
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
            <LinkBar page/>
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

/// "Or a link": fetches the article behind an address and translates it.
#[component]
fn LinkBar(page: Page) -> impl IntoView {
    view! {
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
    }
}
