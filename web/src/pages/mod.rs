pub mod account;
pub mod activity;
pub mod database;
pub mod invitation;
pub mod login;
pub mod organizations;
pub mod reset;
pub mod roles;
pub mod sessions;
pub mod tokens;
pub mod users;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{self, ApiError};
use crate::components::begin_submit;

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

/// The submit handler of the two set-a-password forms: sends `operation`
/// (`acceptInvitation` or `resetPassword`) with the link's token and both
/// passwords, then goes to `done`; errors stay on the form.
pub fn new_password_submit<O: api::Operation + 'static>(
    operation: fn(String, String, String) -> O,
    token: String,
    password: RwSignal<String>,
    confirm: RwSignal<String>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    done: &'static str,
) -> impl Fn(leptos::ev::SubmitEvent) + Clone + 'static {
    let navigate = use_navigate();
    move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        let navigate = navigate.clone();
        let op = operation(
            token.clone(),
            password.get_untracked(),
            confirm.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match api::send(op).await {
                Ok(_) => navigate(done, Default::default()),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    }
}
