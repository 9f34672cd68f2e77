//! `/admin/users` and `/admin/users/:id`: seed 004's user list with search,
//! filters and pages; the create modal (`create`), the user drawer
//! (`drawer`) and its cards: edit, roles and quotas (`cards`), role
//! overrides and why these roles (`overrides`), organizations, recent
//! activity and identities (`related`).

mod cards;
mod create;
mod drawer;
mod overrides;
mod related;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::json;

use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, Loading, RoleBadges, StatusBadge};
use crate::model::{InvitationSent, Role, UserPage, short_time};

use create::CreateUser;
use drawer::UserDrawer;

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
