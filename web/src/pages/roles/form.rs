//! Create or edit a custom role: its name (on create), description and
//! permissions. The picker offers what the viewer holds; a permission the
//! role has and the viewer lacks shows, locked (the server refuses to grant
//! more than its caller holds).

use leptos::prelude::*;

use crate::api::ops::{self, RoleDefinition};
use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, FieldErrors, Modal, begin_submit};
use crate::model::Role;

#[component]
pub(super) fn RoleForm(
    /// None to create one.
    role: Option<Role>,
    #[prop(into)] on_close: Callback<()>,
    /// What to tell the list.
    #[prop(into)]
    on_saved: Callback<String>,
) -> impl IntoView {
    let state = crate::state();
    let held: Vec<String> = state
        .viewer
        .with_untracked(|v| v.as_ref().map(|v| v.permissions.clone()))
        .unwrap_or_default();
    let creating = role.is_none();
    let name = RwSignal::new(role.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        role.as_ref()
            .map(|r| r.description.clone())
            .unwrap_or_default(),
    );
    let chosen = RwSignal::new(
        role.as_ref()
            .map(|r| r.permissions.clone())
            .unwrap_or_default(),
    );
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    // The viewer's permissions, then any the role has beyond them.
    let mut offered: Vec<(String, bool)> = held.iter().map(|p| (p.clone(), true)).collect();
    for p in role.iter().flat_map(|r| r.permissions.iter()) {
        if !held.contains(p) {
            offered.push((p.clone(), false));
        }
    }
    let submit = move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        let role_name = name.get_untracked().trim().to_string();
        let definition = RoleDefinition {
            description: description.get_untracked().trim().to_string(),
            permissions: chosen.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let (saved, done) = if creating {
                let op = ops::CreateRole {
                    name: role_name,
                    definition,
                };
                (api::send(op).await, "created")
            } else {
                let op = ops::UpdateRole {
                    name: role_name,
                    definition,
                };
                (api::send(op).await, "saved")
            };
            match saved {
                Ok(r) => {
                    let _ = on_saved.try_run(format!("Role {} {done}.", r.name));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let title = if creating { "Create Role" } else { "Edit Role" };
    view! {
        <Modal title=title.to_string() on_close=on_close id="role-form-modal">
            <form id="role-form" data-save="" on:submit=submit>
                <div class="modal-body">
                    <ErrorAlert error=error fields=&["role", "name", "description", "permissions"]/>
                    <div class="mb-3">
                        <label class="form-label required" for="role-name">"Name"</label>
                        <input class="form-control" id="role-name" name="name" required autofocus=creating readonly=!creating
                            prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                        <small class="form-hint">"2-50 lowercase letters, digits, '_' or '-'"</small>
                        <FieldErrors error=error field="role"/>
                        <FieldErrors error=error field="name"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label" for="role-description">"Description"</label>
                        <input class="form-control" id="role-description" name="description" autofocus=!creating
                            prop:value=move || description.get() on:input=move |e| description.set(event_target_value(&e))/>
                        <FieldErrors error=error field="description"/>
                    </div>
                    <fieldset class="mb-3" id="role-permissions">
                        <legend class="form-label">"Permissions"</legend>
                        {offered.into_iter().map(|(p, grantable)| {
                            let key = p.clone();
                            let toggled = p.clone();
                            view! {
                                <label class="check" class:text-muted=!grantable>
                                    <input type="checkbox" data-permission=p.clone() disabled=!grantable
                                        prop:checked=move || chosen.with(|c| c.contains(&key))
                                        on:change=move |_| chosen.update(|c| {
                                            if let Some(i) = c.iter().position(|x| *x == toggled) { c.remove(i); } else { c.push(toggled.clone()); }
                                        })/>
                                    " " <code>{p.clone()}</code>
                                    {(!grantable).then_some(" (you do not hold it)")}
                                </label>
                            }
                        }).collect_view()}
                        <small class="form-hint">"You can grant only permissions you hold."</small>
                        <FieldErrors error=error field="permissions"/>
                    </fieldset>
                </div>
                <div class="modal-footer">
                    <button type="button" class="btn" on:click=move |_| { let _ = on_close.try_run(()); }>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" id="role-form-submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Saving…" } else if creating { "Create Role" } else { "Save Changes" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
