//! The user drawer's memberships (organizations joined and left here), the
//! user's recent activity, and the identities at an identity provider
//! linked to the account.

use leptos::prelude::*;

use crate::api::{self, ApiError, ops};
use crate::components::{ErrorAlert, Loading};
use crate::model::{OrgRef, short_time};
use crate::pages::activity::{EVENT_COLUMNS, EventRow};
use crate::table::{HeaderRow, SearchBox};

#[component]
pub(super) fn RelatedCards(
    id: String,
    username: String,
    /// May add and remove memberships (`orgs:manage`).
    manage_orgs: bool,
) -> impl IntoView {
    let state = crate::state();
    let with_activity = state.can("audit:read");
    let id = StoredValue::new(id);
    let related = LocalResource::new(move || {
        api::send(ops::UserRelated {
            id: id.get_value(),
            with_activity,
        })
    });
    let text = RwSignal::new(String::new());
    let term = RwSignal::new(String::new());
    let matches = LocalResource::new(move || {
        let search = term.get();
        async move {
            if search.is_empty() {
                return Vec::new();
            }
            api::send(ops::OrganizationSearch {
                search: Some(search),
            })
            .await
            .map(|o| o.nodes)
            .unwrap_or_default()
        }
    });
    let change = Action::new_local(move |(remove, org): &(bool, String)| {
        let (remove, org, members) = (*remove, org.clone(), vec![id.get_value()]);
        async move {
            if remove {
                let op = ops::RemoveOrganizationMembers { id: org, members };
                api::send(op).await
            } else {
                api::send(ops::AddOrganizationMembers { id: org, members }).await
            }
        }
    });
    let error = RwSignal::new(None::<ApiError>);
    Effect::watch(
        move || change.version().get(),
        move |_, _, _| {
            match change.value().get_untracked() {
                Some(Err(e)) => error.set(Some(e)),
                _ => error.set(None),
            }
            text.set(String::new());
            term.set(String::new());
            related.refetch();
        },
        false,
    );
    let membership = move |o: OrgRef| {
        let org_id = o.id.clone();
        view! {
            <li data-org=o.slug.clone()><a href=format!("/admin/organizations/{}", o.id)>{o.name.clone()}</a>" "
                <code class="small">{o.slug.clone()}</code>
                {(manage_orgs && !o.is_default).then(|| view! {
                    " " <button type="button" class="btn btn-sm btn-ghost-danger" data-leave=o.slug.clone()
                        aria-label=format!("Remove from {}", o.name)
                        on:click=move |_| { change.dispatch_local((true, org_id.clone())); }>"Remove"</button>
                })}
            </li>
        }
    };
    view! {
        {move || match related.get() {
            None => view! { <section class="card-section"><Loading what="memberships"/></section> }.into_any(),
            Some(Err(e)) => view! { <section class="card-section"><ErrorAlert error=Signal::derive(move || Some(e.clone()))/></section> }.into_any(),
            Some(Ok(r)) => {
                let activity_link = format!(
                    "/admin/activity?user={}&who={}",
                    js_sys::encode_uri_component(&id.get_value()),
                    js_sys::encode_uri_component(&username)
                );
                view! {
                    <section class="card-section" aria-labelledby="memberships-title">
                        <h3 id="memberships-title">"Organizations"</h3>
                        <ErrorAlert error=error/>
                        <ul class="results" id="user-orgs">{r.organizations.into_iter().map(membership).collect_view()}</ul>
                        {manage_orgs.then(|| view! {
                            <SearchBox id="join-org" placeholder="Add to an organization: type to search" text=text
                                on_search=move |t: String| term.set(t)/>
                            {move || {
                                let found = matches.get().unwrap_or_default();
                                (!found.is_empty()).then(|| view! {
                                    <ul class="results" id="org-matches" aria-label="Matching organizations">
                                        {found.into_iter().map(|o| {
                                            let org_id = o.id.clone();
                                            view! { <li><button type="button" class="btn btn-sm btn-ghost-secondary" data-join=o.slug.clone()
                                                on:click=move |_| { change.dispatch_local((false, org_id.clone())); }>{format!("{} ({})", o.name, o.slug)}</button></li> }
                                        }).collect_view()}
                                    </ul>
                                })
                            }}
                        })}
                    </section>
                    {r.activity.map(|a| view! {
                        <section class="card-section" aria-labelledby="user-activity-title" tabindex="0">
                            <h3 id="user-activity-title">"Recent activity"</h3>
                            {if a.nodes.is_empty() {
                                view! { <p class="text-muted empty-inline">"Nothing recorded yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table" id="user-activity">
                                        <HeaderRow columns=EVENT_COLUMNS/>
                                        <tbody>{a.nodes.into_iter().map(|event| view! { <EventRow event/> }).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                            <a href=activity_link id="user-activity-link">"What they did, in the activity log"</a>
                        </section>
                    })}
                    <section class="card-section" aria-labelledby="identities-title">
                        <h3 id="identities-title">"Identity provider accounts"</h3>
                        {if r.identities.is_empty() {
                            view! { <p class="text-muted empty-inline" id="no-identities">"None linked: this account signs in with its password."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="results" id="user-identities">{r.identities.into_iter().map(|i| view! {
                                    <li><code>{i.subject.clone()}</code>" at " <span class="break">{i.issuer.clone()}</span>
                                        <div class="small text-muted">
                                            {i.email.clone().map(|e| format!("{e} · ")).unwrap_or_default()}
                                            "linked " {short_time(&i.linked_at)} ", last login "
                                            {i.last_seen_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}
                                        </div>
                                    </li>
                                }).collect_view()}</ul>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            }
        }}
    }
}
