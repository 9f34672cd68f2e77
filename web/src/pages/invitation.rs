//! `/admin/accept-invitation?token=…`: seed 004's "Set Your Password" form,
//! or its "Invitation Expired" page.

use leptos::prelude::*;

use super::{PublicCard, new_password_submit, query_param};
use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, Loading, NewPasswordFields, RoleBadges};
use crate::model::Invitation;

#[derive(Clone)]
enum Stage {
    Loading,
    Expired,
    Failed(ApiError),
    Ready(Invitation),
}

#[component]
pub fn AcceptInvitation() -> impl IntoView {
    let token = query_param("token").unwrap_or_default();
    let stage = RwSignal::new(Stage::Loading);
    {
        let token = token.clone();
        leptos::task::spawn_local(async move {
            stage.set(match api::send(api::ops::Invitation { token }).await {
                Ok(inv) => Stage::Ready(inv),
                Err(e) if e.code == "NOT_FOUND" || e.code == "BAD_USER_INPUT" => Stage::Expired,
                Err(e) => Stage::Failed(e),
            });
        });
    }
    let token = StoredValue::new(token);
    move || {
        match stage.get() {
        Stage::Loading => view! { <div class="centered"><Loading what="your invitation"/></div> }.into_any(),
        Stage::Expired => view! { <InvitationExpired/> }.into_any(),
        Stage::Failed(e) => view! {
            <PublicCard><div class="card-body"><div class="alert alert-danger">{e.general(&[]).unwrap_or_default()}</div></div></PublicCard>
        }
        .into_any(),
        Stage::Ready(invitation) => view! { <SetPassword invitation token=token.get_value()/> }.into_any(),
    }
    }
}

#[component]
fn InvitationExpired() -> impl IntoView {
    view! {
        <div class="centered">
            <div class="empty" id="invitation-expired">
                <div class="empty-icon text-warning">"⚠"</div>
                <p class="empty-title">"Invitation Expired"</p>
                <p class="empty-subtitle text-muted">
                    "This invitation link has expired. Please contact your administrator to resend the invitation."
                </p>
            </div>
        </div>
    }
}

#[component]
fn SetPassword(invitation: Invitation, token: String) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = new_password_submit(
        |token, password, password_confirm| api::ops::AcceptInvitation {
            token,
            password,
            password_confirm,
        },
        token,
        password,
        confirm,
        busy,
        error,
        "/admin/login?accepted=1",
    );
    view! {
        <PublicCard>
            <form id="accept-invitation-form" class="card-body" data-save="" on:submit=submit>
                <h2 class="card-title">"Set Your Password"</h2>
                <ErrorAlert error=error fields=&["password", "passwordConfirm"]/>
                <div class="mb-3">
                    <label class="form-label" for="invited-username">"Username"</label>
                    <input class="form-control" id="invited-username" disabled value=invitation.username.clone()/>
                </div>
                <div class="mb-3">
                    <label class="form-label" for="invited-email">"Email"</label>
                    <input class="form-control" id="invited-email" type="email" disabled value=invitation.email.clone()/>
                </div>
                <div class="mb-3">
                    <label class="form-label">"Role"</label>
                    <div><RoleBadges roles=invitation.roles.clone()/></div>
                </div>
                <NewPasswordFields password confirm error/>
                <button type="submit" class="btn btn-primary w-100" disabled=move || busy.get()>
                    "Accept Invitation & Set Password"
                </button>
            </form>
        </PublicCard>
    }
}
