//! `/admin/login`.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{PublicCard, query_param};
use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, begin_submit};

#[component]
pub fn LoginPage() -> impl IntoView {
    let state = crate::state();
    let navigate = use_navigate();
    let login = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let notice = if query_param("accepted").is_some() {
        Some("Password set successfully. Please log in.")
    } else if query_param("reset").is_some() {
        Some("Password changed. Please log in.")
    } else if query_param("ended").is_some() {
        Some("Your session has ended. Please log in again.")
    } else {
        None
    };
    let next =
        query_param("next").filter(|n| n.starts_with("/admin/") && !n.starts_with("/admin/login"));
    // "Sign in with SSO" comes back to the page asked for, or the app.
    let sso = {
        let back = js_sys::encode_uri_component(next.as_deref().unwrap_or("/admin/"));
        move || {
            state.info.with(|i| {
                let path = i.as_ref()?.sso_login_path.clone()?;
                Some(format!("{path}?return_to={back}"))
            })
        }
    };
    let submit = move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        let navigate = navigate.clone();
        let next = next.clone();
        leptos::task::spawn_local(async move {
            let op = api::ops::Login {
                login: login.get_untracked(),
                password: password.get_untracked(),
            };
            match api::send(op).await {
                Ok(payload) => {
                    state.viewer.set(Some(payload.viewer));
                    state.welcome.set(payload.first_login);
                    let to = next.unwrap_or_else(|| state.home().to_string());
                    navigate(&to, Default::default());
                }
                Err(e) => {
                    password.set(String::new());
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <PublicCard>
            <form id="login-form" class="card-body" on:submit=submit>
                <h2 class="card-title">"Sign in to Roster"</h2>
                {notice.map(|n| view! { <div class="alert alert-success" role="status">{n}</div> })}
                <ErrorAlert error=error/>
                <Show when=move || state.info.with(|i| i.as_ref().is_some_and(|i| i.needs_bootstrap))>
                    <div class="alert alert-warning" id="needs-bootstrap" role="status">
                        "No administrator exists yet, so nobody can sign in. An operator creates the first one on the server with "
                        <code>"roster bootstrap-superuser --email <EMAIL>"</code>
                        ", then signs in here."
                    </div>
                </Show>
                <div class="mb-3">
                    <label class="form-label" for="login">"Username or email"</label>
                    <input class="form-control" id="login" name="login" autocomplete="username" required autofocus
                        prop:value=move || login.get() on:input=move |e| login.set(event_target_value(&e))/>
                </div>
                <div class="mb-3">
                    <label class="form-label" for="password">"Password"</label>
                    <input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required
                        prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e))/>
                </div>
                <button type="submit" class="btn btn-primary w-100" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign In" }}
                </button>
                {move || sso().map(|href| view! {
                    <div class="divider"><span>"or"</span></div>
                    <a class="btn w-100" id="sso-login" href=href rel="external">"Sign in with SSO"</a>
                })}
                <p class="text-center mt-3"><a href="/admin/forgot-password">"Forgot password?"</a></p>
            </form>
        </PublicCard>
    }
}
