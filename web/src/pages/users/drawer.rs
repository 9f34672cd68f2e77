//! The user drawer: details, lifecycle actions and the cards.

use leptos::prelude::*;

use crate::api::{self, ApiError, Operation, ops};
use crate::components::{Confirm, ErrorAlert, Loading, RoleBadges, StatusBadge, drawer_focus};
use crate::model::{Role, short_time};

use super::cards::{EditUser, QuotasCard, RolesCard};
use super::overrides::OverridesCard;
use super::related::RelatedCards;
use crate::pages::sessions::SessionTable;

#[derive(Clone, Copy, PartialEq)]
enum Ask {
    Deactivate,
    Delete,
}

/// The user drawer: details, edit, roles, lifecycle actions, quotas and
/// sessions.
/// One mutation of the drawer, answering the notice to show.
type Step = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(bool, String), ApiError>>>>;

/// `operation`, then `said` as a success.
fn done<O: Operation + 'static>(operation: O, said: &'static str) -> Step {
    Box::pin(async move { api::run(operation).await.map(|_| (true, said.to_string())) })
}

#[component]
pub(super) fn UserDrawer(
    id: String,
    #[prop(into)] roles: Signal<Vec<Role>>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_changed: Callback<()>,
) -> impl IntoView {
    let state = crate::state();
    let can_manage = state.can("users:manage");
    let can_orgs = state.can("orgs:manage");
    let me = StoredValue::new(
        state
            .viewer
            .with_untracked(|v| v.as_ref().map(|v| v.user.id.clone()).unwrap_or_default()),
    );
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<(bool, String)>);
    let ask = RwSignal::new(None::<Ask>);
    let busy = RwSignal::new(false);
    let id = StoredValue::new(id);
    let aside = NodeRef::new();
    drawer_focus(aside, on_close);
    let user = LocalResource::new(move || {
        let user_id = id.get_value();
        let with_sessions = can_manage || user_id == me.get_value();
        api::send(ops::User {
            id: user_id,
            with_sessions,
        })
    });
    // After an action the drawer may already be closed.
    let load = move || {
        if id.try_get_value().is_some() {
            user.refetch();
        }
    };

    // Runs one mutation on this user, then reloads it and the list.
    let act = move |step: Step| {
        busy.set(true);
        error.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            match step.await {
                Ok(said) => {
                    notice.set(Some(said));
                    {
                        let _ = on_changed.try_run(());
                    };
                    load();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
            ask.set(None);
        });
    };
    let uid = move || id.try_get_value().unwrap_or_default();
    let saved = move |text: &str| {
        notice.set(Some((true, text.to_string())));
        let _ = on_changed.try_run(());
        if id.try_get_value() == me.try_get_value() {
            crate::refresh_viewer();
        }
        load();
    };

    let resend = move |_| {
        let op = ops::ResendInvitation { id: uid() };
        act(Box::pin(async move {
            let r = api::send(op).await?;
            Ok(if r.invitation_sent {
                (
                    true,
                    format!(
                        "A new invitation was sent; earlier links no longer work. It expires {}.",
                        short_time(&r.expires_at)
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "The invitation email could not be sent: {}",
                        r.email_error.unwrap_or_default()
                    ),
                )
            })
        }))
    };
    let send_reset = move |_| {
        let op = ops::SendPasswordReset { id: uid() };
        act(Box::pin(async move {
            let r = api::send(op).await?;
            Ok(if r.sent {
                (
                    true,
                    "A password reset link was sent (valid for 1 hour).".to_string(),
                )
            } else {
                (
                    false,
                    format!(
                        "The reset email could not be sent: {}",
                        r.email_error.unwrap_or_default()
                    ),
                )
            })
        }))
    };
    let activate = move |_| {
        let op = ops::ActivateUser { id: uid() };
        act(done(op, "User activated; they can log in again."))
    };
    let confirm = move |_| match ask.get_untracked() {
        Some(Ask::Deactivate) => act(done(
            ops::DeactivateUser { id: uid() },
            "User deactivated; their sessions and tokens have ended.",
        )),
        Some(Ask::Delete) => {
            let myself = id.get_value() == me.get_value();
            busy.set(true);
            leptos::task::spawn_local(async move {
                match api::run(ops::DeleteUser { id: uid() }).await {
                    Ok(_) if myself => {
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().set_href("/admin/login");
                        }
                    }
                    Ok(_) => {
                        {
                            let _ = on_changed.try_run(());
                        };
                        {
                            let _ = on_close.try_run(());
                        };
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
                ask.set(None);
            });
        }
        None => {}
    };

    // These cards outlive the user's refetches (their notices, errors and
    // search stay): rebuilt only when the user's name or deletion changes.
    let kind = Memo::new(move |_| {
        user.get()
            .and_then(Result::ok)
            .map(|u| (u.username, u.status == "DELETED"))
    });
    let cards = move || {
        let (username, deleted) = kind.get()?;
        let user_id = id.get_value();
        Some(view! {
            <OverridesCard id=user_id.clone() roles=roles editable=can_manage && !deleted/>
            <RelatedCards id=user_id username=username manage_orgs=can_orgs && !deleted/>
        })
    };

    view! {
        <div class="drawer-backdrop" on:click=move |_| { let _ = on_close.try_run(()); }></div>
        <aside class="drawer" id="user-drawer" aria-label="User" tabindex="-1" node_ref=aside>
            {move || match user.get() {
                None | Some(Err(_)) => view! {
                    <div class="drawer-header"><h2>"User"</h2>
                        <button type="button" class="btn-close" aria-label="Close" on:click=move |_| { let _ = on_close.try_run(()); }>"×"</button></div>
                    {move || match user.get() {
                        Some(Err(e)) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                        _ => view! { <Loading what="user"/> }.into_any(),
                    }}
                }.into_any(),
                Some(Ok(u)) => {
                    let status = u.status.clone();
                    let pending = status == "PENDING_INVITATION";
                    let active = status == "ACTIVE";
                    let deactivated = status == "DEACTIVATED";
                    let deleted = status == "DELETED";
                    let name = u.username.clone();
                    view! {
                        <div class="drawer-header">
                            <div>
                                <h2 id="drawer-username">{u.username.clone()}</h2>
                                <StatusBadge status=status.clone()/>" " <RoleBadges roles=u.roles.clone()/>
                            </div>
                            <button type="button" class="btn-close" aria-label="Close" on:click=move |_| { let _ = on_close.try_run(()); }>"×"</button>
                        </div>
                        {move || notice.get().map(|(ok, text)| view! {
                            <div class=if ok { "alert alert-success" } else { "alert alert-warning" } id="drawer-notice" role="status">{text}</div>
                        })}
                        <ErrorAlert error=error fields=&["username", "email", "displayName"]/>
                        <Show when=move || can_manage && !deleted>
                            <div class="actions" id="user-actions">
                                {pending.then(|| view! {
                                    <button type="button" class="btn btn-sm btn-ghost-secondary" id="resend-invitation" data-shortcut="resend"
                                        disabled=move || busy.get() on:click=resend>"Resend Invitation" <kbd>"Shift+R"</kbd></button>
                                })}
                                {active.then(|| view! {
                                    <button type="button" class="btn btn-sm" id="send-reset" disabled=move || busy.get() on:click=send_reset>"Send Password Reset"</button>
                                    <button type="button" class="btn btn-sm btn-warning" id="deactivate" on:click=move |_| ask.set(Some(Ask::Deactivate))>"Deactivate"</button>
                                })}
                                {deactivated.then(|| view! {
                                    <button type="button" class="btn btn-sm btn-success" id="activate" disabled=move || busy.get() on:click=activate>"Activate"</button>
                                })}
                                <button type="button" class="btn btn-sm btn-danger" id="delete" on:click=move |_| ask.set(Some(Ask::Delete))>"Delete"</button>
                            </div>
                        </Show>
                        <dl class="details">
                            <dt>"User ID"</dt><dd class="mono">{u.id.clone()}</dd>
                            <dt>"Created"</dt><dd>{short_time(&u.created_at)}</dd>
                            <dt>"Updated"</dt><dd>{short_time(&u.updated_at)}</dd>
                            <dt>"Last login"</dt><dd>{u.last_login_at.as_deref().map(short_time).unwrap_or_else(|| "Never".into())}</dd>
                            <dt>"Last active"</dt><dd>{u.last_active_at.as_deref().map(short_time).unwrap_or_else(|| "Never".into())}</dd>
                        </dl>
                        <EditUser user=u.clone() editable=can_manage && !deleted on_saved=move |_| saved("Changes saved.")/>
                        <RolesCard user=u.clone() roles=roles editable=can_manage && !deleted on_saved=move |_| saved("Roles saved.")/>
                        <QuotasCard user=u.clone() editable=can_manage && !deleted on_saved=move |_| load()/>
                        // Scrolls sideways on a narrow screen, so it takes the focus.
                        <section class="card-section" aria-labelledby="sessions-title" tabindex="0">
                            <h3 id="sessions-title">"Sessions"</h3>
                            <SessionTable sessions=Signal::derive(move || user.get().and_then(Result::ok).map(|u| u.sessions).unwrap_or_default())
                                on_revoke=move |sid: String| act(done(ops::RevokeSession { id: sid }, "Session ended."))/>
                        </section>
                        {move || ask.get().map(|a| {
                            let name = name.clone();
                            match a {
                                Ask::Deactivate => view! {
                                    <Confirm id="deactivate" title="Deactivate User?".into()
                                        body=view! { <strong id="deactivate-username">{name}</strong>" will no longer be able to log in. You can reactivate them later." }.into_any()
                                        action="Deactivate" button_class="btn btn-warning" busy=busy on_confirm=confirm on_cancel=move |_| ask.set(None)/>
                                }.into_any(),
                                Ask::Delete => {
                                    let myself = id.get_value() == me.get_value();
                                    view! {
                                        <Confirm id="delete" title="Delete User?".into()
                                            body=view! {
                                                "This will permanently remove " <strong id="delete-username">{name}</strong>
                                                " from the system. This action cannot be undone, but activity logs will be preserved."
                                                {myself.then(|| view! { <p class="text-danger"><strong>"Deleting yourself will log you out immediately."</strong></p> })}
                                            }.into_any()
                                            action="Delete User" button_class="btn btn-danger" busy=busy on_confirm=confirm on_cancel=move |_| ask.set(None)/>
                                    }.into_any()
                                }
                            }
                        })}
                    }.into_any()
                }
            }}
            {cards}
        </aside>
    }
}
