//! Earlier articles: the history list, its search, opening and deleting.

use super::Page;
use crate::api::JobStatus;
use crate::client;
use leptos::prelude::*;

/// The kept articles: search, open, delete.
#[component]
pub(super) fn History(page: Page) -> impl IntoView {
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
