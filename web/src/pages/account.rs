//! `/admin/account`: who you are (username, email, display name, roles)
//! and changing your own password, which signs out your other sessions and
//! revokes your tokens; this session goes on.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, FieldErrors, NewPasswordFields, RoleBadges, begin_submit};

#[component]
pub fn AccountPage() -> impl IntoView {
    let state = crate::state();
    let me = state.viewer.get_untracked().map(|v| v.user);
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let changed = RwSignal::new(false);
    let submit = move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        changed.set(false);
        let op = api::ops::ChangePassword {
            current_password: current.get_untracked(),
            new_password: password.get_untracked(),
            new_password_confirm: Some(confirm.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::send(op).await {
                Ok(_) => {
                    for field in [current, password, confirm] {
                        field.set(String::new());
                    }
                    changed.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="page-header"><h1>"My account"</h1></div>
        {me.map(|u| view! {
            <div class="card db-card">
                <dl class="facts card-body" id="account-facts">
                    <dt>"Username"</dt><dd>{u.username}</dd>
                    <dt>"Email"</dt><dd>{u.email}</dd>
                    <dt>"Display name"</dt><dd>{u.display_name.unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Roles"</dt><dd><RoleBadges roles=u.roles/></dd>
                </dl>
            </div>
        })}
        <section class="card card-md" aria-labelledby="change-password-title">
            <form class="card-body" id="change-password-form" data-save="" on:submit=submit>
                <h2 id="change-password-title" class="h3">"Change password"</h2>
                <p class="text-muted">"Your other sessions are signed out and your tokens stop working; this session goes on."</p>
                {move || changed.get().then(|| view! {
                    <div class="alert alert-success" id="password-changed" role="status">
                        "Password changed. Your other sessions were signed out and your tokens revoked."
                    </div>
                })}
                <ErrorAlert error=error fields=&["currentPassword", "password", "passwordConfirm"]/>
                <div class="mb-3">
                    <label class="form-label required" for="current-password">"Current Password"</label>
                    <input class="form-control" id="current-password" name="current_password" type="password"
                        autocomplete="current-password" required
                        prop:value=move || current.get() on:input=move |e| current.set(event_target_value(&e))/>
                    <FieldErrors error=error field="currentPassword"/>
                </div>
                <NewPasswordFields password confirm error new=true/>
                <button type="submit" class="btn btn-primary" id="change-password" disabled=move || busy.get()>
                    {move || if busy.get() { "Changing…" } else { "Change Password" }}
                </button>
            </form>
        </section>
    }
}
