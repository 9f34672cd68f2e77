//! The user drawer's **Role Overrides** card (seed 002): pause automatic
//! revocations, preserve roles a sync would revoke, suppress roles the
//! provider grants, clear them all; and **Why these roles**: each role with
//! every source that grants it, the groups the provider last reported, and
//! what the overrides withhold.

use leptos::prelude::*;

use crate::api::{self, ApiError, ops};
use crate::components::{ErrorAlert, Loading, RoleBadges};
use crate::model::{ExplainedRole, Role, RoleOverrides, RoleSource, short_time};

/// One source of a role, in words.
fn source_text(s: &RoleSource) -> String {
    let by = s
        .granted_by
        .as_deref()
        .map(|b| format!(" by {b}"))
        .unwrap_or_default();
    let group = s.group.as_deref().unwrap_or("?");
    match s.kind.as_str() {
        "MANUAL" => format!("Granted{by} on {}", short_time(&s.granted_at)),
        "IDP_GROUP" => format!("Provider group {group}"),
        "IDP_DEFAULT" => "Everyone's default (OIDC_GROUP_ROLE_DEFAULTS)".into(),
        "IDP_STALE" => "No longer given by the provider: the next sync revokes it".into(),
        "PRESERVED" => "No longer given by the provider; preserved by the overrides".into(),
        "REVOCATIONS_PAUSED" => "No longer given by the provider; revocations are paused".into(),
        other => other.to_lowercase(),
    }
}

/// Which list of the overrides an inline edit is on.
#[derive(Clone, Copy, PartialEq)]
enum List {
    Preserved,
    Suppressed,
}

#[component]
fn RoleList(
    list: List,
    overrides: RoleOverrides,
    #[prop(into)] roles: Signal<Vec<Role>>,
    editable: bool,
    /// A change is under way: nothing else until it is read back.
    busy: RwSignal<bool>,
    #[prop(into)] on_save: Callback<RoleOverrides>,
) -> impl IntoView {
    let (names, label, key) = match list {
        List::Preserved => (overrides.preserved.clone(), "Preserved roles", "preserved"),
        List::Suppressed => (
            overrides.suppressed.clone(),
            "Suppressed roles",
            "suppressed",
        ),
    };
    let picked = RwSignal::new(String::new());
    let base = StoredValue::new(overrides);
    let edit = move |f: &dyn Fn(&mut Vec<String>)| {
        let mut o = base.get_value();
        f(match list {
            List::Preserved => &mut o.preserved,
            List::Suppressed => &mut o.suppressed,
        });
        on_save.run(o);
    };
    let select_id = format!("add-{key}");
    view! {
        <div class="mb-3" data-list=key>
            <div class="form-label">{label}</div>
            {if names.is_empty() { view! { <span class="text-muted small">"None"</span> }.into_any() } else {
                names.into_iter().map(|n| {
                    let gone = n.clone();
                    view! {
                        <span class="chip" data-role=n.clone()>{n.clone()}
                            {editable.then(|| view! {
                                <button type="button" class="btn-close" aria-label=format!("Remove {n} from the {key} roles") disabled=move || busy.get()
                                    on:click=move |_| edit(&|l| l.retain(|x| *x != gone))>"×"</button>
                            })}
                        </span>" "
                    }
                }).collect_view().into_any()
            }}
            {editable.then(|| view! {
                <div class="secret-row mt-2">
                    <select class="form-select" id=select_id.clone() aria-label=format!("A role to add to the {key} roles")
                        on:change=move |e| picked.set(event_target_value(&e))>
                        <option value="">"Choose a role…"</option>
                        {move || roles.get().into_iter().map(|r| view! { <option value=r.name.clone()>{r.name.clone()}</option> }).collect_view()}
                    </select>
                    <button type="button" class="btn btn-sm" data-add=key disabled=move || busy.get() || picked.with(String::is_empty)
                        on:click=move |_| { let role = picked.get_untracked(); edit(&|l| l.push(role.clone())); }>"Add"</button>
                </div>
            })}
        </div>
    }
}

#[component]
fn Explanation(
    roles: Vec<ExplainedRole>,
    groups: Option<Vec<String>>,
    withheld: Vec<crate::model::WithheldRole>,
) -> impl IntoView {
    view! {
        <ul class="explain" id="role-explanation">
            {roles.into_iter().map(|r| view! {
                <li data-role=r.role.clone()><RoleBadges roles=vec![r.role.clone()]/>
                    <ul>{r.sources.iter().map(|s| view! { <li>{source_text(s)}</li> }).collect_view()}</ul>
                </li>
            }).collect_view()}
        </ul>
        <p class="small text-muted" id="reported-groups">{match groups {
            None => "No identity provider account: every role was granted by a person.".to_string(),
            Some(g) if g.is_empty() => "The identity provider last reported no groups.".to_string(),
            Some(g) => format!("The identity provider last reported the groups: {}", g.join(", ")),
        }}</p>
        {(!withheld.is_empty()).then(|| view! {
            <p class="small" id="withheld-roles">"Withheld by the overrides: "
                {withheld.into_iter().map(|w| format!("{} (from {})", w.role,
                    if w.groups.is_empty() { "the defaults".to_string() } else { w.groups.join(", ") })).collect::<Vec<_>>().join("; ")}
            </p>
        })}
    }
}

#[component]
pub(super) fn OverridesCard(
    id: String,
    #[prop(into)] roles: Signal<Vec<Role>>,
    editable: bool,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let detail = LocalResource::new(move || api::send(ops::UserRolesDetail { id: id.get_value() }));
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    // From a change's dispatch until the overrides are read again: every
    // edit starts from what the server holds, never from a stale copy.
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        detail.track();
        busy.set(false);
    });
    let save = Action::new_local(move |next: &Option<RoleOverrides>| {
        let (user_id, next) = (id.get_value(), next.clone());
        async move {
            match next {
                Some(o) => {
                    let input = ops::RoleOverridesInput {
                        enabled: o.enabled,
                        preserved: o.preserved,
                        suppressed: o.suppressed,
                    };
                    let op = ops::SetRoleOverrides { user_id, input };
                    api::run(op).await.map(|_| "Overrides saved.")
                }
                None => {
                    let op = ops::ClearRoleOverrides { user_id };
                    api::run(op).await.map(|_| "Overrides cleared.")
                }
            }
        }
    });
    Effect::watch(
        move || save.version().get(),
        move |_, _, _| match save.value().get_untracked() {
            Some(Ok(done)) => {
                error.set(None);
                notice.set(Some(done.to_string()));
                // The roles change at the next sync (the user's next login),
                // not now: the drawer above stays as it is.
                detail.refetch();
            }
            Some(Err(e)) => {
                notice.set(None);
                error.set(Some(e));
                // The controls show what the server holds again.
                detail.refetch();
            }
            None => {}
        },
        false,
    );
    let put = Callback::new(move |o: RoleOverrides| {
        busy.set(true);
        save.dispatch_local(Some(o));
    });
    view! {
        <section class="card-section" aria-labelledby="overrides-title" id="overrides-card">
            <h3 id="overrides-title">"Role Overrides"</h3>
            {move || notice.get().map(|n| view! { <div class="alert alert-success" role="status" id="overrides-notice">{n}</div> })}
            <ErrorAlert error=error/>
            {move || match detail.get() {
                None => view! { <Loading what="role overrides"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                Some(Ok(d)) => {
                    let set = d.role_overrides.is_some();
                    let o = d.role_overrides.unwrap_or_default();
                    let paused = o.clone();
                    let x = d.role_explanation;
                    view! {
                        <label class="switch mb-3" for="revocations-paused">
                            <input type="checkbox" role="switch" id="revocations-paused" disabled=move || !editable || busy.get() prop:checked=o.enabled
                                on:change=move |e| { let mut next = paused.clone(); next.enabled = event_target_checked(&e); put.run(next); }/>
                            " Automatic revocations paused"
                        </label>
                        <RoleList list=List::Preserved overrides=o.clone() roles editable busy on_save=put/>
                        <RoleList list=List::Suppressed overrides=o roles editable busy on_save=put/>
                        {(editable && set).then(|| view! {
                            <button type="button" class="btn btn-sm" id="clear-overrides" disabled=move || busy.get()
                                on:click=move |_| { busy.set(true); save.dispatch_local(None); }>"Clear overrides"</button>
                        })}
                        <h3 class="mt-3">"Why these roles"</h3>
                        <Explanation roles=x.roles groups=x.groups withheld=x.withheld/>
                    }.into_any()
                }
            }}
        </section>
    }
}
