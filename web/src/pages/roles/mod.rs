//! `/admin/roles` (SPEC §6, §12): the built-in and custom roles with their
//! permissions; custom roles created, edited and deleted (`form`, needs
//! `roles:manage` and never grants more than the viewer holds); and the
//! access review, who holds a permission and through which role, with its
//! CSV (`holders`).

mod form;
mod holders;

use leptos::prelude::*;

use crate::api;
use crate::components::{Confirm, ErrorAlert, Loading, RoleBadges};
use crate::model::Role;
use form::RoleForm;
use holders::AccessReview;

/// What the form is open for.
#[derive(Clone)]
enum Editing {
    New,
    Role(Role),
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let state = crate::state();
    let can_manage = state.can("roles:manage");
    let roles = LocalResource::new(|| api::send(api::ops::Roles {}));
    let editing = RwSignal::new(None::<Editing>);
    let deleting = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let delete =
        Action::new_local(|name: &String| api::run(api::ops::DeleteRole { name: name.clone() }));
    let delete_error = Signal::derive(move || delete.value().get().and_then(Result::err));
    Effect::watch(
        move || delete.version().get(),
        move |_, _, _| {
            if let Some(name) = deleting.get_untracked()
                && matches!(delete.value().get_untracked(), Some(Ok(_)))
            {
                notice.set(Some(format!("Role {name} deleted; its holders lost it.")));
            }
            deleting.set(None);
            roles.refetch();
        },
        false,
    );
    let error = Signal::derive(move || roles.get().and_then(Result::err));

    let row = move |r: Role| {
        let name = r.name.clone();
        let edited = r.clone();
        view! {
            <tr data-role=r.name.clone()>
                <td><RoleBadges roles=vec![r.name.clone()]/></td>
                <td>{r.description.clone()}</td>
                <td>{r.permissions.iter().map(|p| view! { <code class="scope">{p.clone()}</code>" " }).collect_view()}</td>
                <td>{if r.builtin { "Built-in" } else { "Custom" }}</td>
                <td class="text-end nowrap">{(can_manage && !r.builtin).then(|| view! {
                    <button type="button" class="btn btn-sm" data-edit=name.clone()
                        on:click=move |_| editing.set(Some(Editing::Role(edited.clone())))>"Edit"</button>
                    " "
                    <button type="button" class="btn btn-sm btn-ghost-danger" data-delete=name.clone()
                        on:click=move |_| deleting.set(Some(name.clone()))>"Delete"</button>
                })}</td>
            </tr>
        }
    };
    let permissions = Signal::derive(move || {
        // Every permission some role carries (the superuser's: all of them).
        let mut all: Vec<String> = roles
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|r| r.permissions)
            .collect();
        all.sort();
        all.dedup();
        all
    });

    view! {
        <div class="page-header">
            <h1>"Roles"</h1>
            <Show when=move || can_manage>
                <button type="button" class="btn btn-primary" id="create-role" data-shortcut="create"
                    on:click=move |_| editing.set(Some(Editing::New))>"Create Role" <kbd>"Ctrl+N"</kbd></button>
            </Show>
        </div>
        {move || notice.get().map(|text| view! {
            <div class="alert alert-success" id="roles-notice" role="status">{text}
                <button type="button" class="btn-close" aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
            </div>
        })}
        <ErrorAlert error=error/>
        <ErrorAlert error=delete_error/>
        <div class="card table-responsive">
            <table class="table table-vcenter card-table" id="roles-table">
                <thead><tr>
                    <th scope="col">"Role"</th><th scope="col">"Description"</th><th scope="col">"Permissions"</th>
                    <th scope="col">"Kind"</th><th scope="col" class="w-1"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>{move || match roles.get() {
                    None => view! { <tr><td colspan="5"><Loading what="roles"/></td></tr> }.into_any(),
                    Some(Err(_)) => ().into_any(),
                    Some(Ok(list)) => list.into_iter().map(row).collect_view().into_any(),
                }}</tbody>
            </table>
        </div>
        <AccessReview permissions=permissions/>
        {move || editing.get().map(|e| {
            let role = match e {
                Editing::New => None,
                Editing::Role(r) => Some(r),
            };
            view! {
                <RoleForm role on_close=move |_| editing.set(None) on_saved=move |message: String| {
                    editing.set(None);
                    notice.set(Some(message));
                    roles.refetch();
                }/>
            }
        })}
        {move || deleting.get().map(|name| view! {
            <Confirm id="delete-role" title=format!("Delete role {name}?")
                body=view! { "Everyone who holds it loses it, and its permissions with it. This cannot be undone." }.into_any()
                action="Delete Role" button_class="btn btn-danger" busy=delete.pending()
                on_confirm=move |_| { delete.dispatch_local(name.clone()); }
                on_cancel=move |_| deleting.set(None)/>
        })}
    }
}
