pub mod invitation;
pub mod login;
pub mod reset;
pub mod sessions;
pub mod tokens;
pub mod users;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A query parameter of the current address.
pub fn query_param(name: &str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(name))
}

/// The card-on-a-plain-page layout of the public screens.
#[component]
pub fn PublicCard(children: Children) -> impl IntoView {
    view! {
        <div class="centered">
            <div class="brand-large">"Roster"</div>
            <div class="card card-md">{children()}</div>
        </div>
    }
}
