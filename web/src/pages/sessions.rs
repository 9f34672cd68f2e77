//! `/admin/sessions`: where you are signed in.

use leptos::prelude::*;

use crate::api;
use crate::components::{ErrorAlert, Loading};
use crate::model::{Session, short_time};

/// A table of sessions with a button to end each one but the current.
#[component]
pub fn SessionTable(
    #[prop(into)] sessions: Signal<Vec<Session>>,
    #[prop(into)] on_revoke: Callback<String>,
) -> impl IntoView {
    view! {
        <Show when=move || !sessions.with(Vec::is_empty) fallback=|| view! { <p class="text-muted empty-inline">"No live sessions."</p> }>
            <table class="table sessions-table">
                <thead><tr><th>"Signed in"</th><th>"Last seen"</th><th>"Expires"</th><th>"Address"</th><th>"Browser"</th><th></th></tr></thead>
                <tbody>
                    {move || sessions.get().into_iter().map(|s| {
                        let id = s.id.clone();
                        view! {
                            <tr>
                                <td>{short_time(&s.created_at)}</td>
                                <td>{short_time(&s.last_seen_at)}</td>
                                <td>{short_time(&s.expires_at)}</td>
                                <td>{s.ip_address.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="truncate" title=s.user_agent.clone()>{s.user_agent.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="text-end">
                                    {if s.current {
                                        view! { <span class="badge bg-success">"This session"</span> }.into_any()
                                    } else {
                                        view! { <button type="button" class="btn btn-sm btn-ghost-danger" on:click=move |_| { let _ = on_revoke.try_run(id.clone()); }>"Sign out"</button> }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </Show>
    }
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    let sessions = LocalResource::new(|| api::send(api::ops::MySessions {}));
    let revoke =
        Action::new_local(|id: &String| api::run(api::ops::RevokeSession { id: id.clone() }));
    // A revocation shows at once.
    Effect::watch(
        move || revoke.version().get(),
        move |_, _, _| sessions.refetch(),
        false,
    );
    let error = Signal::derive(move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| sessions.get().and_then(Result::err))
    });
    view! {
        <div class="page-header"><h1>"My sessions"</h1></div>
        <ErrorAlert error=error/>
        <div class="card">
            {move || match sessions.get() {
                None => view! { <Loading what="sessions"/> }.into_any(),
                Some(Err(_)) => ().into_any(),
                Some(Ok(list)) => view! {
                    <SessionTable sessions=Signal::derive(move || list.clone())
                        on_revoke=move |id: String| { revoke.dispatch_local(id); }/>
                }.into_any(),
            }}
        </div>
    }
}
