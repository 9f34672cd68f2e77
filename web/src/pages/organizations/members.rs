//! An organization's members: pages of them, removal with confirmation, and
//! adding by user id, email or username with each entry's outcome shown.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{Confirm, ErrorAlert, FieldErrors, Loading, StatusBadge};
use crate::model::{MembershipResult, UserRow};
use crate::table::{Cursors, Pager, Shown};

const PAGE_SIZE: i64 = 20;

/// The entries of the add box: separated by commas, spaces or lines.
fn entries(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// An outcome as the list under the add box shows it.
fn outcome(code: &str) -> (&'static str, &'static str) {
    match code {
        "ADDED" => ("badge bg-success", "added"),
        "REMOVED" => ("badge bg-success", "removed"),
        "ALREADY_MEMBER" => ("badge badge-muted", "already a member"),
        "NOT_MEMBER" => ("badge badge-muted", "not a member"),
        "DELETED_USER" => ("badge bg-warning", "deleted user"),
        "UNKNOWN" => ("badge bg-danger", "no such user"),
        _ => ("badge badge-muted", "unknown outcome"),
    }
}

#[component]
pub(super) fn MembersCard(
    id: String,
    /// The default organization: nobody leaves it.
    default: bool,
    editable: bool,
    #[prop(into)] on_changed: Callback<()>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let cursors = Cursors::new();
    let reload = RwSignal::new(0u32);
    let page = LocalResource::new(move || {
        reload.track();
        let op = api::ops::OrganizationMembers {
            id: id.get_value(),
            first: Some(PAGE_SIZE),
            after: cursors.after.get(),
        };
        async move { api::send(op).await.map(|m| m.members) }
    });
    let shown = Signal::derive(move || {
        page.get()
            .and_then(Result::ok)
            .map(|p| Shown::of(Some(p.total_count), p.nodes.len(), &p.page_info))
    });
    let load_error = Signal::derive(move || page.get().and_then(Result::err));

    // One change at a time: add (the box's entries) or remove (one member).
    let change = Action::new_local(move |(remove, members): &(bool, Vec<String>)| {
        let (remove, id, members) = (*remove, id.get_value(), members.clone());
        async move {
            if remove {
                api::send(api::ops::RemoveOrganizationMembers { id, members }).await
            } else {
                api::send(api::ops::AddOrganizationMembers { id, members }).await
            }
        }
    });
    let text = RwSignal::new(String::new());
    let removing = RwSignal::new(None::<UserRow>);
    let results = RwSignal::new(Vec::<MembershipResult>::new());
    let change_error = RwSignal::new(None::<ApiError>);
    Effect::watch(
        move || change.value().get(),
        move |done, _, _| match done {
            Some(Ok(payload)) => {
                change_error.set(None);
                results.set(payload.results.clone());
                removing.set(None);
                text.set(String::new());
                reload.update(|n| *n += 1);
                let _ = on_changed.try_run(());
            }
            Some(Err(e)) => change_error.set(Some(e.clone())),
            None => {}
        },
        false,
    );
    let add = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let list = entries(&text.get_untracked());
        if list.is_empty() {
            change_error.set(Some(ApiError {
                code: "BAD_USER_INPUT".into(),
                message: "Enter at least one user id, email or username".into(),
                field: Some("members".into()),
                ..ApiError::default()
            }));
            return;
        }
        change.dispatch_local((false, list));
    };
    let removable = editable && !default;
    let row = move |u: UserRow| {
        let asked = u.clone();
        view! {
            <tr data-member=u.username.clone()>
                <td><strong>{u.username.clone()}</strong>
                    {u.display_name.clone().map(|d| view! { <div class="text-muted small">{d}</div> })}</td>
                <td>{u.email.clone()}</td>
                <td><StatusBadge status=u.status.clone()/></td>
                {removable.then(|| view! {
                    <td><button type="button" class="btn btn-sm btn-ghost-danger" data-remove=u.username.clone()
                        aria-label=format!("Remove {}", u.username)
                        on:click=move |_| removing.set(Some(asked.clone()))>"Remove"</button></td>
                })}
            </tr>
        }
    };
    let columns = if removable { "4" } else { "3" };
    let rows = move || {
        match page.get() {
        None => view! { <tr><td colspan=columns><Loading what="members"/></td></tr> }.into_any(),
        Some(Err(_)) => view! { <tr><td colspan=columns class="text-muted">"The members could not be loaded."</td></tr> }.into_any(),
        Some(Ok(p)) if p.nodes.is_empty() => view! {
            <tr><td colspan=columns class="text-muted" id="members-empty">"No members yet."</td></tr>
        }
        .into_any(),
        Some(Ok(p)) => p.nodes.into_iter().map(row).collect_view().into_any(),
    }
    };

    view! {
        <section class="card-section" aria-labelledby="members-title">
            <h3 id="members-title">"Members"</h3>
            <ErrorAlert error=load_error/>
            {editable.then(|| view! {
                <form class="mb-3" id="add-members-form" on:submit=add>
                    <label class="form-label" for="add-members">"Add members"</label>
                    <div class="secret-row">
                        <input class="form-control" id="add-members" name="members" aria-describedby="add-members-hint"
                            placeholder="alice, bob@example.com, 0192…"
                            prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))/>
                        <button type="submit" class="btn btn-primary" id="add-members-submit" disabled=move || change.pending().get()>"Add"</button>
                    </div>
                    <small class="form-hint" id="add-members-hint">"User ids, emails or usernames, separated by commas or spaces"</small>
                    <FieldErrors error=change_error field="members"/>
                </form>
            })}
            <ErrorAlert error=change_error fields=&["members"]/>
            {move || (!results.with(Vec::is_empty)).then(|| view! {
                <div role="status"><ul class="results" id="membership-results">
                    {results.get().into_iter().map(|r| {
                        let (class, label) = outcome(&r.outcome);
                        view! { <li data-entry=r.entry.clone() data-outcome=r.outcome.clone()><code>{r.entry.clone()}</code>" " <span class=class>{label}</span></li> }
                    }).collect_view()}
                </ul></div>
            })}
            <table class="table" id="members-table">
                <thead><tr>
                    <th scope="col">"Username"</th><th scope="col">"Email"</th><th scope="col">"Status"</th>
                    {removable.then(|| view! { <th scope="col" class="w-1">"Actions"</th> })}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <Pager cursors=cursors size=PAGE_SIZE id="members" none="No members" shown=shown/>
            {move || removing.get().map(|u| view! {
                <Confirm id="remove-member" title=format!("Remove {} from this organization?", u.username)
                    body=view! { "They keep their account and their other memberships." }.into_any()
                    action="Remove" button_class="btn btn-danger" busy=change.pending()
                    on_confirm=move |_| { change.dispatch_local((true, vec![u.id.clone()])); }
                    on_cancel=move |_| removing.set(None)/>
            })}
        </section>
    }
}
