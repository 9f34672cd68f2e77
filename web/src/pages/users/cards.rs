//! The user drawer's cards: profile, roles and quotas.

use leptos::prelude::*;

use crate::api::ops::{self, QuotaResource};
use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, FieldErrors, begin_submit};
use crate::model::{Role, UserDetail};

#[component]
pub(super) fn EditUser(
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
            let input = ops::UpdateUserInput {
                username: Some(username.get_untracked().trim().to_string()),
                email: Some(email.get_untracked().trim().to_string()),
                display_name: Some(display_name.get_untracked().trim().to_string()),
            };
            match api::run(ops::UpdateUser { id, input }).await {
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
pub(super) fn RolesCard(
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
            let roles = chosen.get_untracked();
            match api::run(ops::SetUserRoles { id, roles }).await {
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
pub(super) fn QuotasCard(
    user: UserDetail,
    editable: bool,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let id = StoredValue::new(user.id.clone());
    let set = move |resource: QuotaResource, limit: Option<i64>| {
        error.set(None);
        leptos::task::spawn_local(async move {
            let op = ops::SetUserQuota {
                id: id.get_value(),
                resource,
                limit,
            };
            match api::run(op).await {
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
                        let resource = q.resource;
                        let reset_resource = q.resource;
                        let label = match q.resource {
                            QuotaResource::Tokens => "Personal access tokens",
                        };
                        view! {
                            <tr>
                                <td>{label}</td>
                                <td>{q.used}</td>
                                <td>
                                    <input class="form-control form-control-sm narrow" type="number" min="0" disabled=!editable
                                        aria-label=format!("Limit of {}", label.to_lowercase())
                                        prop:value=move || value.get() on:input=move |e| value.set(event_target_value(&e))/>
                                    {if q.overridden { " (set for this user)" } else { " (default)" }}
                                </td>
                                <td class="text-end">
                                    {editable.then(|| {
                                        view! {
                                            <button type="button" class="btn btn-sm" on:click=move |_| {
                                                match value.get_untracked().trim().parse::<i64>() {
                                                    Ok(n) => set(resource, Some(n)),
                                                    Err(_) => error.set(Some(ApiError { code: "BAD_USER_INPUT".into(), message: "The limit must be a whole number".into(), ..ApiError::default() })),
                                                }
                                            }>"Save"</button>
                                            {q.overridden.then(|| view! { <button type="button" class="btn btn-sm" on:click=move |_| set(reset_resource, None)>"Use default"</button> })}
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
