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

use crate::api::{self, ops, ops::UserStatus};
use crate::components::{ErrorAlert, Loading, RoleBadges, StatusBadge};
use crate::model::{InvitationSent, short_time};
use crate::table::{Cursors, Pager, SearchBox, Shown};

use create::CreateUser;
use drawer::UserDrawer;

const PAGE_SIZE: i64 = 20;

/// Status filter choices: label, `status`, `includeDeleted`.
const STATUSES: &[(&str, Option<UserStatus>, bool)] = &[
    ("All statuses", None, false),
    ("Active", Some(UserStatus::Active), false),
    (
        "Pending Invitation",
        Some(UserStatus::PendingInvitation),
        false,
    ),
    ("Inactive", Some(UserStatus::Deactivated), false),
    ("Deleted", Some(UserStatus::Deleted), true),
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
    let cursors = Cursors::new();
    let reload = RwSignal::new(0u32);
    let creating = RwSignal::new(false);
    let created = RwSignal::new(None::<(String, InvitationSent)>);
    let roles_list = LocalResource::new(|| api::send(ops::Roles {}));
    let roles = Signal::derive(move || roles_list.get().and_then(Result::ok).unwrap_or_default());

    let page = LocalResource::new(move || {
        let (_, status_value, include_deleted) = STATUSES[status.get().min(STATUSES.len() - 1)];
        let term = search.get();
        let role_name = role.get();
        let filter = ops::UsersFilter {
            include_deleted,
            status: status_value,
            search: (!term.is_empty()).then_some(term),
            roles: (!role_name.is_empty()).then(|| vec![role_name]),
            organization: None,
        };
        reload.track();
        api::send(ops::Users {
            first: Some(PAGE_SIZE),
            after: cursors.after.get(),
            filter: Some(filter),
        })
    });
    let error = Signal::derive(move || {
        page.get()
            .and_then(Result::err)
            .or_else(|| roles_list.get().and_then(Result::err))
    });
    let shown = Signal::derive(move || {
        page.get()
            .and_then(Result::ok)
            .map(|p| Shown::of(Some(p.total_count), p.nodes.len(), &p.page_info))
    });
    // The rows are on the next frame: the benchmark reads this mark.
    Effect::new(move |_| {
        if page.with(|p| matches!(p, Some(Ok(_)))) {
            request_animation_frame(|| {
                if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
                    let _ = perf.mark("roster:users-ready");
                }
            });
        }
    });

    let clear = move |_| {
        search_input.set(String::new());
        search.set(String::new());
        status.set(0);
        role.set(String::new());
        cursors.restart();
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
            let Ok(p) = p else {
                return view! {
                    <tr><td colspan="7" class="text-muted">"The users could not be loaded (see above)."</td></tr>
                }
                .into_any();
            };
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
                <SearchBox id="user-search" placeholder="Search username, email or name… (Ctrl+K)" text=search_input
                    on_search=move |term: String| { search.set(term); cursors.restart(); }/>
                <select class="form-select" id="status-filter" aria-label="Status" on:change=move |e| { status.set(event_target_value(&e).parse().unwrap_or(0)); cursors.restart(); }>
                    {STATUSES.iter().enumerate().map(|(i, (label, _, _))| view! {
                        <option value=i.to_string() selected=move || status.get() == i>{*label}</option>
                    }).collect_view()}
                </select>
                <select class="form-select" id="role-filter" aria-label="Role" on:change=move |e| { role.set(event_target_value(&e)); cursors.restart(); }>
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
            <Pager cursors=cursors size=PAGE_SIZE id="users" none="No users" shown=shown/>
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
