//! The activity log's user filter: search as you type (usernames, emails,
//! names; deleted users too), pick one of the first matches. No list of
//! every user is loaded.

use leptos::prelude::*;

use crate::api;
use crate::model::UserHit;
use crate::table::SearchBox;

#[component]
pub(super) fn UserPicker(
    /// The username of the user filtered on, or empty.
    #[prop(into)]
    chosen: Signal<String>,
    /// `(id, username)`, or None to clear.
    #[prop(into)]
    on_pick: Callback<Option<(String, String)>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let term = RwSignal::new(String::new());
    let hits = LocalResource::new(move || {
        let search = term.get();
        async move {
            if search.is_empty() {
                return Ok(Vec::new());
            }
            api::send(api::ops::UserSearch {
                search: Some(search),
            })
            .await
            .map(|h| h.nodes)
        }
    });
    let pick = move |hit: Option<UserHit>| {
        text.set(String::new());
        term.set(String::new());
        let _ = on_pick.try_run(hit.map(|h| (h.id, h.username)));
    };
    view! {
        <div class="user-picker">
            {move || {
                let name = chosen.get();
                if name.is_empty() {
                    view! {
                        <SearchBox id="user-filter" placeholder="Any user: type to search" text=text
                            on_search=move |t: String| term.set(t)/>
                    }.into_any()
                } else {
                    view! {
                        <span class="chip" id="user-chosen">"User: " <strong>{name.clone()}</strong>
                            <button type="button" class="btn-close" aria-label=format!("Any user, not only {name}")
                                on:click=move |_| pick(None)>"×"</button>
                        </span>
                    }.into_any()
                }
            }}
            {move || match hits.get() {
                Some(Ok(list)) if !list.is_empty() && chosen.with(String::is_empty) => view! {
                    <ul class="picker-list" id="user-matches" aria-label="Matching users">
                        {list.into_iter().map(|h| {
                            let label = format!("{} <{}>", h.username, h.email);
                            let username = h.username.clone();
                            view! { <li><button type="button" class="btn btn-sm btn-ghost-secondary" data-pick=username
                                on:click=move |_| pick(Some(h.clone()))>{label}</button></li> }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Some(Ok(_)) if !term.with(String::is_empty) && chosen.with(String::is_empty) => view! {
                    <p class="text-muted small" id="user-matches">"No user matches."</p>
                }.into_any(),
                Some(Err(e)) => view! { <p class="text-danger small">{e.message}</p> }.into_any(),
                _ => ().into_any(),
            }}
        </div>
    }
}
