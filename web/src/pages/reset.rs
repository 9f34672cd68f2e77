//! `/admin/forgot-password` and `/admin/reset-password?token=…`.

use leptos::prelude::*;

use super::{PublicCard, new_password_submit, query_param};
use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, FieldErrors, NewPasswordFields, begin_submit};

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let sent = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        leptos::task::spawn_local(async move {
            let op = api::ops::RequestPasswordReset {
                email: email.get_untracked(),
            };
            match api::send(op).await {
                Ok(_) => sent.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <PublicCard>
            <Show
                when=move || sent.get()
                fallback=move || view! {
                    <form id="forgot-password-form" class="card-body" on:submit=submit>
                        <h2 class="card-title">"Forgot your password?"</h2>
                        <p class="text-muted">"Enter your email address and we will send you a link to set a new password."</p>
                        <ErrorAlert error=error fields=&["email"]/>
                        <div class="mb-3">
                            <label class="form-label required" for="email">"Email"</label>
                            <input class="form-control" id="email" type="email" required autofocus
                                prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e))/>
                            <FieldErrors error=error field="email"/>
                        </div>
                        <button type="submit" class="btn btn-primary w-100" disabled=move || busy.get()>"Send Reset Link"</button>
                        <p class="text-center mt-3"><a href="/admin/login">"Back to sign in"</a></p>
                    </form>
                }
            >
                <div class="card-body" id="reset-requested">
                    <h2 class="card-title">"Check your email"</h2>
                    <p>"If an active account uses " <strong>{move || email.get()}</strong>
                       ", a link to set a new password is on its way. The link works for 1 hour."</p>
                    <p class="text-center"><a href="/admin/login">"Back to sign in"</a></p>
                </div>
            </Show>
        </PublicCard>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let token = query_param("token").unwrap_or_default();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = new_password_submit(
        |token, password, password_confirm| api::ops::ResetPassword {
            token,
            password,
            password_confirm,
        },
        token,
        password,
        confirm,
        busy,
        error,
        "/admin/login?reset=1",
    );
    let expired = move || error.with(|e| e.as_ref().is_some_and(|e| e.code == "NOT_FOUND"));
    view! {
        <PublicCard>
            <Show
                when=move || !expired()
                fallback=|| view! {
                    <div class="card-body empty" id="reset-expired">
                        <p class="empty-title">"Reset Link Expired"</p>
                        <p class="empty-subtitle text-muted">"This link has expired or was already used. Ask for a new one."</p>
                        <a class="btn btn-primary" href="/admin/forgot-password">"Send a new link"</a>
                    </div>
                }
            >
                <form id="reset-password-form" class="card-body" data-save="" on:submit=submit.clone()>
                    <h2 class="card-title">"Choose a new password"</h2>
                    <ErrorAlert error=error fields=&["password", "passwordConfirm"]/>
                    <NewPasswordFields password confirm error/>
                    <button type="submit" class="btn btn-primary w-100" disabled=move || busy.get()>"Set Password"</button>
                </form>
            </Show>
        </PublicCard>
    }
}
