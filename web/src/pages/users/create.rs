//! Seed 004's "Create New User" modal.

use leptos::prelude::*;

use crate::api::{self, ApiError, ops};
use crate::components::{ErrorAlert, FieldErrors, Modal, begin_submit};
use crate::model::{InvitationSent, Role};

/// Seed 004's "Create New User" modal.
#[component]
pub(super) fn CreateUser(
    roles: Vec<Role>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_created: Callback<(String, InvitationSent)>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new("viewer".to_string());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        let sent_to = email.get_untracked().trim().to_string();
        leptos::task::spawn_local(async move {
            let name = display_name.get_untracked().trim().to_string();
            let input = ops::CreateUserInput {
                username: username.get_untracked().trim().to_string(),
                email: email.get_untracked().trim().to_string(),
                display_name: (!name.is_empty()).then_some(name),
                roles: Some(vec![role.get_untracked()]),
            };
            match api::send(ops::CreateUser { input }).await {
                Ok(sent) => {
                    let _ = on_created.try_run((sent_to, sent));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let choices: Vec<Role> = if roles.is_empty() {
        ["viewer", "editor", "admin"]
            .iter()
            .map(|n| Role {
                name: (*n).into(),
                description: String::new(),
                builtin: true,
                permissions: vec![],
            })
            .collect()
    } else {
        roles.into_iter().rev().collect()
    };
    view! {
        <Modal title="Create New User".to_string() on_close=on_close id="create-user-modal">
            <form id="create-user-form" data-save="" on:submit=submit>
                <div class="modal-body">
                    <ErrorAlert error=error fields=&["username", "email", "displayName", "roles"]/>
                    <div class="mb-3">
                        <label class="form-label required" for="new-username">"Username"</label>
                        <input class="form-control" id="new-username" name="username" required autofocus
                            prop:value=move || username.get() on:input=move |e| username.set(event_target_value(&e))/>
                        <small class="form-hint">"Letters, digits, '.', '_' or '-', 3-50 characters"</small>
                        <FieldErrors error=error field="username"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label required" for="new-email">"Email"</label>
                        <input class="form-control" id="new-email" name="email" type="email" required
                            prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e))/>
                        <small class="form-hint">"Invitation will be sent to this address"</small>
                        <FieldErrors error=error field="email"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label" for="new-display-name">"Display name"</label>
                        <input class="form-control" id="new-display-name" name="display_name"
                            prop:value=move || display_name.get() on:input=move |e| display_name.set(event_target_value(&e))/>
                        <FieldErrors error=error field="displayName"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label required" for="new-role">"Role"</label>
                        <select class="form-select" id="new-role" name="role" on:change=move |e| role.set(event_target_value(&e))>
                            {choices.into_iter().map(|r| {
                                let label = if r.description.is_empty() { r.name.clone() } else { format!("{} - {}", r.name, r.description) };
                                let name = r.name.clone();
                                view! { <option value=r.name.clone() selected=move || role.with(|x| *x == name)>{label}</option> }
                            }).collect_view()}
                        </select>
                        <FieldErrors error=error field="roles"/>
                    </div>
                </div>
                <div class="modal-footer">
                    <button type="button" class="btn" on:click=move |_| { let _ = on_close.try_run(()); }>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" id="create-user-submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Creating…" } else { "Create & Send Invitation" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
