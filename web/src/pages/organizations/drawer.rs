//! The organization drawer: its details, edit and delete (refused for the
//! default organization, with the reason), and its members.

use leptos::prelude::*;

use super::form::OrganizationForm;
use super::members::MembersCard;
use crate::api;
use crate::components::{Confirm, ErrorAlert, Loading, drawer_focus};
use crate::model::{Organization, short_time};

#[component]
pub(super) fn OrganizationDrawer(
    id: String,
    #[prop(into)] on_close: Callback<()>,
    /// Something changed; the message, when there is one, is for the list.
    #[prop(into)]
    on_changed: Callback<Option<String>>,
) -> impl IntoView {
    let state = crate::state();
    let can_manage = state.can("orgs:manage");
    let can_list_members = state.can("users:read");
    let id = StoredValue::new(id);
    let aside = NodeRef::new();
    drawer_focus(aside, on_close);
    let org = LocalResource::new(move || {
        api::send(api::ops::Organization {
            id: Some(id.get_value()),
            slug: None,
        })
    });
    let editing = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete = Action::new_local(move |_: &()| {
        api::run(api::ops::DeleteOrganization { id: id.get_value() })
    });
    let delete_error = Signal::derive(move || delete.value().get().and_then(Result::err));
    Effect::watch(
        move || delete.value().get(),
        move |done, _, _| {
            if matches!(done, Some(Ok(_))) {
                let name = org
                    .get_untracked()
                    .and_then(Result::ok)
                    .map(|o| o.name)
                    .unwrap_or_default();
                let _ = on_changed.try_run(Some(format!("Organization {name} deleted.")));
                let _ = on_close.try_run(());
            }
            deleting.set(false);
        },
        false,
    );
    let changed = move || {
        org.refetch();
        let _ = on_changed.try_run(None);
    };

    let details = move |o: Organization| {
        let is_default = o.is_default;
        let edited = o.clone();
        view! {
            <div class="drawer-header">
                <h2 id="org-drawer-title">{o.name.clone()}</h2>
                <button type="button" class="btn-close" aria-label="Close" on:click=move |_| { let _ = on_close.try_run(()); }>"×"</button>
            </div>
            <dl class="details" id="org-facts">
                <dt>"Slug"</dt><dd><code>{o.slug.clone()}</code></dd>
                <dt>"Description"</dt><dd>{o.description.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Members"</dt><dd id="org-member-count">{o.member_count}</dd>
                <dt>"Created"</dt><dd>{short_time(&o.created_at)}</dd>
            </dl>
            {is_default.then(|| view! {
                <p class="alert alert-warning" id="default-org-note">
                    "This is the default organization: every user belongs to it, so nobody can be removed from it and it cannot be deleted."
                </p>
            })}
            {can_manage.then(|| view! {
                <div class="actions">
                    <button type="button" class="btn btn-sm" id="edit-org" on:click=move |_| editing.set(true)>"Edit"</button>
                    <button type="button" class="btn btn-sm btn-danger" id="delete-org" disabled=is_default
                        title=is_default.then_some("The default organization cannot be deleted")
                        on:click=move |_| deleting.set(true)>"Delete"</button>
                </div>
            })}
            <ErrorAlert error=delete_error/>
            <Show when=move || editing.get()>
                <OrganizationForm org=Some(edited.clone()) on_close=move |_| editing.set(false)
                    on_saved=move |_| { editing.set(false); changed(); }/>
            </Show>
            <Show when=move || deleting.get()>
                <Confirm id="delete-org" title=format!("Delete {}?", o.name)
                    body=view! { "Its memberships go with it; the users stay. This cannot be undone." }.into_any()
                    action="Delete Organization" button_class="btn btn-danger" busy=delete.pending()
                    on_confirm=move |_| { delete.dispatch_local(()); }
                    on_cancel=move |_| deleting.set(false)/>
            </Show>
        }
    };
    // The members card outlives the organization's refetches (its outcomes
    // and page stay): it is rebuilt only if the organization's kind changes.
    let kind = Memo::new(move |_| org.get().and_then(Result::ok).map(|o| o.is_default));
    let members = move || {
        let is_default = kind.get()?;
        can_list_members.then(|| view! {
            <MembersCard id=id.get_value() default=is_default editable=can_manage on_changed=move |_| changed()/>
        })
    };

    view! {
        <div class="drawer-backdrop" on:click=move |_| { let _ = on_close.try_run(()); }></div>
        <aside class="drawer" id="org-drawer" aria-labelledby="org-drawer-title" tabindex="-1" node_ref=aside>
            {move || match org.get() {
                None => view! { <Loading what="the organization"/> }.into_any(),
                Some(Err(e)) => view! {
                    <div class="drawer-header">
                        <h2 id="org-drawer-title">"Organization"</h2>
                        <button type="button" class="btn-close" aria-label="Close" on:click=move |_| { let _ = on_close.try_run(()); }>"×"</button>
                    </div>
                    <ErrorAlert error=Signal::derive(move || Some(e.clone()))/>
                }.into_any(),
                Some(Ok(o)) => details(o).into_any(),
            }}
            {members}
        </aside>
    }
}
