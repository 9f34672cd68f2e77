//! `/admin/users` and `/admin/users/:id`: seed 004's user list with search,
//! filters and pages, the create modal, and the user drawer.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{Value, json};

use super::sessions::SessionTable;
use crate::api::{self, ApiError};
use crate::components::{
    Confirm, ErrorAlert, FieldErrors, Loading, Modal, RoleBadges, StatusBadge, begin_submit,
};
use crate::model::{EmailResult, InvitationSent, Role, UserDetail, UserPage, short_time};

const PAGE_SIZE: i64 = 20;

/// Status filter choices: label, `status`, `includeDeleted`.
const STATUSES: &[(&str, &str, bool)] = &[
    ("All statuses", "", false),
    ("Active", "ACTIVE", false),
    ("Pending Invitation", "PENDING_INVITATION", false),
    ("Inactive", "DEACTIVATED", false),
    ("Deleted", "DELETED", true),
];

#[component]
pub fn UsersPage() -> impl IntoView {
    let state = crate::state();
    let navigate = use_navigate();
    let params = use_params_map();
    let selected = Memo::new(move |_| params.with(|p| p.get("id")));
    let can_manage = state.can("users:manage");

    let search_input = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(0usize);
    let role = RwSignal::new(String::new());
    // Cursors of the pages before this one, and this page's.
    let history = RwSignal::new(Vec::<Option<String>>::new());
    let after = RwSignal::new(None::<String>);
    let reload = RwSignal::new(0u32);
    let page = RwSignal::new(None::<UserPage>);
    let error = RwSignal::new(None::<ApiError>);
    let roles = RwSignal::new(Vec::<Role>::new());
    let creating = RwSignal::new(false);
    let created = RwSignal::new(None::<(String, InvitationSent)>);
    let sequence = StoredValue::new(0u32);

    leptos::task::spawn_local(async move {
        match api::call_field::<Vec<Role>>(api::ROLES, json!({}), "roles").await {
            Ok(list) => roles.set(list),
            Err(e) => error.set(Some(e)),
        }
    });

    // Any filter change starts again at the first page.
    let restart = move || {
        history.set(Vec::new());
        after.set(None);
    };
    let debounce = StoredValue::new(0u32);
    let on_search = move |e: leptos::ev::Event| {
        search_input.set(event_target_value(&e));
        debounce.update_value(|n| *n += 1);
        let mine = debounce.get_value();
        set_timeout(
            move || {
                // The page may be gone by now.
                if debounce.try_get_value() == Some(mine)
                    && let Some(term) = search_input.try_get_untracked()
                {
                    search.set(term.trim().to_string());
                    restart();
                }
            },
            std::time::Duration::from_millis(250),
        );
    };

    Effect::new(move |_| {
        let (_, status_value, include_deleted) = STATUSES[status.get().min(STATUSES.len() - 1)];
        let mut filter = json!({ "includeDeleted": include_deleted });
        let term = search.get();
        if !term.is_empty() {
            filter["search"] = json!(term);
        }
        if !status_value.is_empty() {
            filter["status"] = json!(status_value);
        }
        let role_name = role.get();
        if !role_name.is_empty() {
            filter["roles"] = json!([role_name]);
        }
        let vars = json!({ "first": PAGE_SIZE, "after": after.get(), "filter": filter });
        reload.track();
        sequence.update_value(|n| *n += 1);
        let mine = sequence.get_value();
        page.set(None);
        leptos::task::spawn_local(async move {
            let result = api::call_field::<UserPage>(api::USERS, vars, "users").await;
            if sequence.try_get_value() != Some(mine) {
                return;
            }
            match result {
                Ok(p) => {
                    error.set(None);
                    page.set(Some(p));
                    // The rows are on the next frame: the benchmark reads this mark.
                    request_animation_frame(|| {
                        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
                            let _ = perf.mark("roster:users-ready");
                        }
                    });
                }
                Err(e) => {
                    error.set(Some(e));
                    page.set(Some(UserPage {
                        total_count: 0,
                        page_info: crate::model::PageInfo {
                            has_next_page: false,
                            end_cursor: None,
                        },
                        nodes: Vec::new(),
                    }));
                }
            }
        });
    });

    let next_page = move |_| {
        if let Some(cursor) =
            page.with_untracked(|p| p.as_ref().and_then(|p| p.page_info.end_cursor.clone()))
        {
            history.update(|h| h.push(after.get_untracked()));
            after.set(Some(cursor));
        }
    };
    let previous_page = move |_| {
        let mut h = history.get_untracked();
        if let Some(previous) = h.pop() {
            history.set(h);
            after.set(previous);
        }
    };
    let clear = move |_| {
        search_input.set(String::new());
        search.set(String::new());
        status.set(0);
        role.set(String::new());
        restart();
    };
    let open = {
        let navigate = navigate.clone();
        move |id: String| navigate(&format!("/admin/users/{id}"), Default::default())
    };
    let close_drawer = {
        let navigate = navigate.clone();
        move || navigate("/admin/users", Default::default())
    };
    let refresh = move || reload.update(|n| *n += 1);

    let rows = move || {
        let open = open.clone();
        page.get().map(|p| {
            if error.with(Option::is_some) {
                return view! {
                    <tr><td colspan="7" class="text-muted">"The users could not be loaded (see above)."</td></tr>
                }
                .into_any();
            }
            if p.nodes.is_empty() {
                return view! {
                    <tr><td colspan="7">
                        <div class="empty" id="users-empty">
                            <p class="empty-title">"No users found"</p>
                            <p class="empty-subtitle text-muted">"No user matches this search and these filters."</p>
                            <button type="button" class="btn" on:click=clear>"Clear filters"</button>
                        </div>
                    </td></tr>
                }
                .into_any();
            }
            p.nodes
                .into_iter()
                .map(|u| {
                    let open = open.clone();
                    let id = u.id.clone();
                    let open_row = open.clone();
                    let row_id = u.id.clone();
                    let deleted = u.status == "DELETED";
                    view! {
                        <tr class:clickable=!deleted data-user=u.username.clone()
                            on:click=move |_| if !deleted { open_row(row_id.clone()) }>
                            <td><strong>{u.username.clone()}</strong>
                                {u.display_name.clone().map(|d| view! { <div class="text-muted small">{d}</div> })}</td>
                            <td>{u.email.clone()}</td>
                            <td><RoleBadges roles=u.roles.clone()/></td>
                            <td><StatusBadge status=u.status.clone()/></td>
                            <td>{short_time(&u.created_at)}</td>
                            <td>{u.last_active_at.as_deref().map(short_time).unwrap_or_else(|| "Never".into())}</td>
                            <td>{(!deleted).then(|| view! {
                                <button type="button" class="btn btn-sm" on:click=move |e| { e.stop_propagation(); open(id.clone()); }>
                                    {if can_manage { "Edit" } else { "View" }}</button>
                            })}</td>
                        </tr>
                    }
                })
                .collect_view()
                .into_any()
        })
    };

    view! {
        <div class="page-header">
            <h1>"Users"</h1>
            <Show when=move || can_manage>
                <button type="button" class="btn btn-primary" id="create-user" data-shortcut="create" on:click=move |_| creating.set(true)>
                    "Create User" <kbd>"Ctrl+N"</kbd>
                </button>
            </Show>
        </div>
        {move || created.get().map(|(email, sent)| view! {
            <div class=if sent.invitation_sent { "alert alert-success" } else { "alert alert-warning" } id="create-result" role="status">
                {if sent.invitation_sent {
                    format!("User created. Invitation sent to {email}; the link works until {}.", short_time(&sent.expires_at))
                } else {
                    format!("User created, but the invitation email could not be sent: {}. Use Resend Invitation once email works.",
                        sent.email_error.clone().unwrap_or_default())
                }}
                <button type="button" class="btn-close" on:click=move |_| created.set(None)>"×"</button>
            </div>
        })}
        <ErrorAlert error=error/>
        <div class="card">
            <div class="filters">
                <input class="form-control search" id="user-search" type="search" placeholder="Search username, email or name… (Ctrl+K)"
                    data-shortcut="search" prop:value=move || search_input.get() on:input=on_search/>
                <select class="form-select" id="status-filter" aria-label="Status" on:change=move |e| { status.set(event_target_value(&e).parse().unwrap_or(0)); restart(); }>
                    {STATUSES.iter().enumerate().map(|(i, (label, _, _))| view! {
                        <option value=i.to_string() selected=move || status.get() == i>{*label}</option>
                    }).collect_view()}
                </select>
                <select class="form-select" id="role-filter" aria-label="Role" on:change=move |e| { role.set(event_target_value(&e)); restart(); }>
                    <option value="" selected=move || role.with(String::is_empty)>"All roles"</option>
                    {move || roles.get().into_iter().map(|r| {
                        let name = r.name.clone();
                        view! { <option value=r.name.clone() selected=move || role.with(|x| *x == name)>{r.name.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <table class="table table-vcenter card-table" id="users-table">
                <thead>
                    <tr><th>"Username"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Created"</th><th>"Last Active"</th><th class="w-1">"Actions"</th></tr>
                </thead>
                <tbody>
                    {move || match rows() {
                        None => view! { <tr><td colspan="7"><Loading what="users"/></td></tr> }.into_any(),
                        Some(r) => r,
                    }}
                </tbody>
            </table>
            <div class="pager">
                <span class="text-muted" id="users-count">{move || page.get().map(|p| {
                    let start = history.with(Vec::len) as i64 * PAGE_SIZE;
                    if p.total_count == 0 { "No users".to_string() } else {
                        format!("Showing {}–{} of {}", start + 1, start + p.nodes.len() as i64, p.total_count)
                    }
                })}</span>
                <button type="button" class="btn btn-sm" id="previous-page" disabled=move || history.with(Vec::is_empty) on:click=previous_page>"Previous"</button>
                <button type="button" class="btn btn-sm" id="next-page"
                    disabled=move || !page.with(|p| p.as_ref().is_some_and(|p| p.page_info.has_next_page)) on:click=next_page>"Next"</button>
            </div>
        </div>
        <Show when=move || creating.get()>
            <CreateUser roles=roles.get_untracked() on_close=move |_| creating.set(false)
                on_created=move |result: (String, InvitationSent)| { creating.set(false); created.set(Some(result)); refresh(); }/>
        </Show>
        {move || {
            let close_drawer = close_drawer.clone();
            selected.get().map(|id| view! {
                <UserDrawer id roles=roles on_close=move |_| close_drawer() on_changed=move |_| refresh()/>
            })
        }}
    }
}

/// Seed 004's "Create New User" modal.
#[component]
fn CreateUser(
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
            let name = display_name.get_untracked();
            let input = json!({
                "username": username.get_untracked().trim(),
                "email": email.get_untracked().trim(),
                "displayName": if name.trim().is_empty() { Value::Null } else { json!(name.trim()) },
                "roles": [role.get_untracked()],
            });
            match api::call_field::<InvitationSent>(
                api::CREATE_USER,
                json!({ "input": input }),
                "createUser",
            )
            .await
            {
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

#[derive(Clone, Copy, PartialEq)]
enum Ask {
    Deactivate,
    Delete,
}

/// The user drawer: details, edit, roles, lifecycle actions, quotas and
/// sessions.
#[component]
fn UserDrawer(
    id: String,
    #[prop(into)] roles: Signal<Vec<Role>>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_changed: Callback<()>,
) -> impl IntoView {
    let state = crate::state();
    let can_manage = state.can("users:manage");
    let me = StoredValue::new(
        state
            .viewer
            .with_untracked(|v| v.as_ref().map(|v| v.user.id.clone()).unwrap_or_default()),
    );
    let user = RwSignal::new(None::<UserDetail>);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<(bool, String)>);
    let ask = RwSignal::new(None::<Ask>);
    let busy = RwSignal::new(false);
    let id = StoredValue::new(id);

    let loads = StoredValue::new(0u32);
    let load = move || {
        // After an action the drawer may already be closed.
        let Some(user_id) = id.try_get_value() else {
            return;
        };
        loads.update_value(|n| *n += 1);
        let mine = loads.get_value();
        let vars =
            json!({ "id": user_id, "withSessions": can_manage || user_id == me.get_value() });
        leptos::task::spawn_local(async move {
            let result = api::call_field::<UserDetail>(api::USER, vars, "user").await;
            // Only the latest load counts.
            if loads.try_get_value() != Some(mine) {
                return;
            }
            match result {
                Ok(u) => user.set(Some(u)),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    load();

    // Runs one mutation on this user, then reloads it and the list.
    let act =
        move |operation: &'static str, vars: Value, done: fn(&Value) -> Option<(bool, String)>| {
            busy.set(true);
            error.set(None);
            notice.set(None);
            leptos::task::spawn_local(async move {
                match api::call::<Value>(operation, vars).await {
                    Ok(v) => {
                        notice.set(done(&v));
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
    let with_id = move || json!({ "id": id.try_get_value() });
    let saved = move |text: &str| {
        notice.set(Some((true, text.to_string())));
        let _ = on_changed.try_run(());
        if id.try_get_value() == me.try_get_value() {
            crate::refresh_viewer();
        }
        load();
    };

    let resend = move |_| {
        act(api::RESEND_INVITATION, with_id(), |v| {
            let r: InvitationSent = serde_json::from_value(v["resendInvitation"].clone()).ok()?;
            Some(if r.invitation_sent {
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
        })
    };
    let send_reset = move |_| {
        act(api::SEND_PASSWORD_RESET, with_id(), |v| {
            let r: EmailResult = serde_json::from_value(v["sendPasswordReset"].clone()).ok()?;
            Some(if r.sent {
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
        })
    };
    let activate = move |_| {
        act(api::ACTIVATE_USER, with_id(), |_| {
            Some((true, "User activated; they can log in again.".into()))
        })
    };
    let confirm = move |_| match ask.get_untracked() {
        Some(Ask::Deactivate) => act(api::DEACTIVATE_USER, with_id(), |_| {
            Some((
                true,
                "User deactivated; their sessions and tokens have ended.".into(),
            ))
        }),
        Some(Ask::Delete) => {
            let myself = id.get_value() == me.get_value();
            busy.set(true);
            leptos::task::spawn_local(async move {
                match api::call::<Value>(api::DELETE_USER, with_id()).await {
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

    view! {
        <div class="drawer-backdrop" on:click=move |_| { let _ = on_close.try_run(()); }></div>
        <aside class="drawer" id="user-drawer" aria-label="User">
            {move || match user.get() {
                None => view! {
                    <div class="drawer-header"><h2>"User"</h2>
                        <button type="button" class="btn-close" aria-label="Close" on:click=move |_| { let _ = on_close.try_run(()); }>"×"</button></div>
                    {move || if error.with(Option::is_some) { view! { <ErrorAlert error=error/> }.into_any() } else { view! { <Loading what="user"/> }.into_any() }}
                }.into_any(),
                Some(u) => {
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
                        <section class="card-section">
                            <h3>"Sessions"</h3>
                            <SessionTable sessions=Signal::derive(move || user.with(|u| u.as_ref().map(|u| u.sessions.clone()).unwrap_or_default()))
                                on_revoke=move |sid: String| act(api::REVOKE_SESSION, json!({ "id": sid }), |_| Some((true, "Session ended.".into())))/>
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
        </aside>
    }
}

#[component]
fn EditUser(
    user: UserDetail,
    editable: bool,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let username = RwSignal::new(user.username.clone());
    let email = RwSignal::new(user.email.clone());
    let display_name = RwSignal::new(user.display_name.clone().unwrap_or_default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let id = user.id.clone();
    let submit = move |e: leptos::ev::SubmitEvent| {
        if !editable {
            e.prevent_default();
            return;
        }
        if !begin_submit(&e, busy, error) {
            return;
        }
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let input = json!({
                "username": username.get_untracked().trim(),
                "email": email.get_untracked().trim(),
                "displayName": display_name.get_untracked().trim(),
            });
            match api::call::<Value>(api::UPDATE_USER, json!({ "id": id, "input": input })).await {
                Ok(_) => {
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card-section">
            <h3>"Details"</h3>
            <form id="edit-user-form" data-save="" on:submit=submit>
                <ErrorAlert error=error fields=&["username", "email", "displayName"]/>
                <div class="mb-3">
                    <label class="form-label required" for="edit-username">"Username"</label>
                    <input class="form-control" id="edit-username" required disabled=!editable
                        prop:value=move || username.get() on:input=move |e| username.set(event_target_value(&e))/>
                    <FieldErrors error=error field="username"/>
                </div>
                <div class="mb-3">
                    <label class="form-label required" for="edit-email">"Email"</label>
                    <input class="form-control" id="edit-email" type="email" required disabled=!editable
                        prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e))/>
                    <FieldErrors error=error field="email"/>
                </div>
                <div class="mb-3">
                    <label class="form-label" for="edit-display-name">"Display name"</label>
                    <input class="form-control" id="edit-display-name" disabled=!editable
                        prop:value=move || display_name.get() on:input=move |e| display_name.set(event_target_value(&e))/>
                    <FieldErrors error=error field="displayName"/>
                </div>
                {editable.then(|| view! {
                    <button type="submit" class="btn btn-primary" id="save-user" disabled=move || busy.get()>"Save Changes" <kbd>"Ctrl+S"</kbd></button>
                })}
            </form>
        </section>
    }
}

#[component]
fn RolesCard(
    user: UserDetail,
    #[prop(into)] roles: Signal<Vec<Role>>,
    editable: bool,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let chosen = RwSignal::new(user.roles.clone());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let id = user.id.clone();
    let save = move |_| {
        busy.set(true);
        error.set(None);
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match api::call::<Value>(
                api::SET_USER_ROLES,
                json!({ "id": id, "roles": chosen.get_untracked() }),
            )
            .await
            {
                Ok(_) => {
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card-section" id="roles-card">
            <h3>"Roles"</h3>
            <ErrorAlert error=error/>
            <div class="checks">
                {move || roles.get().into_iter().map(|r| {
                    let name = r.name.clone();
                    let toggle = r.name.clone();
                    view! {
                        <label class="check" title=r.description.clone()>
                            <input type="checkbox" value=r.name.clone() disabled=!editable
                                prop:checked=move || chosen.with(|c| c.contains(&name))
                                on:change=move |_| chosen.update(|c| {
                                    if let Some(i) = c.iter().position(|x| *x == toggle) { c.remove(i); } else { c.push(toggle.clone()); }
                                })/>
                            " " <span class=crate::components::role_class(&r.name)>{r.name.clone()}</span>
                            " " <span class="text-muted small">{r.description.clone()}</span>
                        </label>
                    }
                }).collect_view()}
            </div>
            {editable.then(|| view! {
                <button type="button" class="btn btn-sm btn-primary" id="save-roles" disabled=move || busy.get() on:click=save>"Save Roles"</button>
            })}
        </section>
    }
}

#[component]
fn QuotasCard(
    user: UserDetail,
    editable: bool,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let id = StoredValue::new(user.id.clone());
    let set = move |resource: String, limit: Option<i64>| {
        error.set(None);
        leptos::task::spawn_local(async move {
            let vars = json!({ "id": id.get_value(), "resource": resource, "limit": limit });
            match api::call::<Value>(api::SET_USER_QUOTA, vars).await {
                Ok(_) => {
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card-section" id="quotas-card">
            <h3>"Quotas"</h3>
            <ErrorAlert error=error fields=&["limit"]/>
            <FieldErrors error=error field="limit"/>
            <table class="table">
                <thead><tr><th>"Resource"</th><th>"Used"</th><th>"Limit"</th><th></th></tr></thead>
                <tbody>
                    {user.quotas.into_iter().map(|q| {
                        let value = RwSignal::new(q.limit.to_string());
                        let resource = q.resource.clone();
                        let reset_resource = q.resource.clone();
                        view! {
                            <tr>
                                <td>{if q.resource == "TOKENS" { "Personal access tokens".to_string() } else { q.resource.clone() }}</td>
                                <td>{q.used}</td>
                                <td>
                                    <input class="form-control form-control-sm narrow" type="number" min="0" disabled=!editable
                                        aria-label=format!("Limit of {}", if q.resource == "TOKENS" { "personal access tokens" } else { q.resource.as_str() })
                                        prop:value=move || value.get() on:input=move |e| value.set(event_target_value(&e))/>
                                    {if q.overridden { " (set for this user)" } else { " (default)" }}
                                </td>
                                <td class="text-end">
                                    {editable.then(|| {
                                        let resource = resource.clone();
                                        let reset_resource = reset_resource.clone();
                                        view! {
                                            <button type="button" class="btn btn-sm" on:click=move |_| {
                                                match value.get_untracked().trim().parse::<i64>() {
                                                    Ok(n) => set(resource.clone(), Some(n)),
                                                    Err(_) => error.set(Some(ApiError { code: "BAD_USER_INPUT".into(), message: "The limit must be a whole number".into(), ..ApiError::default() })),
                                                }
                                            }>"Save"</button>
                                            {q.overridden.then(|| view! { <button type="button" class="btn btn-sm" on:click=move |_| set(reset_resource.clone(), None)>"Use default"</button> })}
                                        }
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
