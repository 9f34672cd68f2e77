//! `/admin/organizations` and `/admin/organizations/:id` (seed 002, SPEC
//! §7, §12): the organizations with search, member counts and pages; the
//! create and edit form (`form`); the drawer with the details, delete and
//! the members (`drawer`, `members`). Needs `orgs:read`; changes need
//! `orgs:manage`, the members list `users:read`.

mod drawer;
mod form;
mod members;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api;
use crate::components::{ErrorAlert, Loading};
use crate::model::{Organization, short_time};
use crate::table::{Cursors, Pager, SearchBox, Shown};

use drawer::OrganizationDrawer;
use form::OrganizationForm;

const PAGE_SIZE: i64 = 20;

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let state = crate::state();
    let can_manage = state.can("orgs:manage");
    let navigate = use_navigate();
    let params = use_params_map();
    let selected = Memo::new(move |_| params.with(|p| p.get("id")));

    let text = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let cursors = Cursors::new();
    let reload = RwSignal::new(0u32);
    let creating = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);

    let page = LocalResource::new(move || {
        let term = search.get();
        let op = api::ops::Organizations {
            first: Some(PAGE_SIZE),
            after: cursors.after.get(),
            filter: Some(api::ops::OrganizationsFilter {
                search: (!term.is_empty()).then_some(term),
            }),
        };
        reload.track();
        api::send(op)
    });
    let shown = Signal::derive(move || {
        page.get()
            .and_then(Result::ok)
            .map(|p| Shown::of(Some(p.total_count), p.nodes.len(), &p.page_info))
    });
    let error = Signal::derive(move || page.get().and_then(Result::err));
    let refresh = move || reload.update(|n| *n += 1);
    let open = {
        let navigate = navigate.clone();
        move |id: &str| navigate(&format!("/admin/organizations/{id}"), Default::default())
    };
    let close = move || navigate("/admin/organizations", Default::default());
    let changed = move |message: Option<String>| {
        if message.is_some() {
            notice.set(message);
        }
        refresh();
    };

    let row = move |o: Organization| {
        let open = open.clone();
        let open_button = open.clone();
        let id = o.id.clone();
        let button_id = o.id.clone();
        view! {
            <tr class="clickable" data-org=o.slug.clone() on:click=move |_| open(&id)>
                <td><strong>{o.name.clone()}</strong>
                    {o.is_default.then(|| view! { " " <span class="badge bg-secondary" data-default="">"default"</span> })}
                    {o.description.clone().map(|d| view! { <div class="text-muted small">{d}</div> })}</td>
                <td><code>{o.slug.clone()}</code></td>
                <td class="numeric" data-members="">{o.member_count}</td>
                <td>{short_time(&o.created_at)}</td>
                <td><button type="button" class="btn btn-sm"
                    on:click=move |e| { e.stop_propagation(); open_button(&button_id); }>"Open"</button></td>
            </tr>
        }
    };
    let rows = move || {
        match page.get() {
        None => view! { <tr><td colspan="5"><Loading what="organizations"/></td></tr> }.into_any(),
        Some(Err(_)) => view! {
            <tr><td colspan="5" class="text-muted">"The organizations could not be loaded (see above)."</td></tr>
        }
        .into_any(),
        Some(Ok(p)) if p.nodes.is_empty() => view! {
            <tr><td colspan="5"><div class="empty" id="orgs-empty">
                <p class="empty-title">"No organizations found"</p>
                <p class="empty-subtitle text-muted">"No organization's name or slug matches this search."</p>
            </div></td></tr>
        }
        .into_any(),
        Some(Ok(p)) => p.nodes.into_iter().map(row.clone()).collect_view().into_any(),
    }
    };

    view! {
        <div class="page-header">
            <h1>"Organizations"</h1>
            <Show when=move || can_manage>
                <button type="button" class="btn btn-primary" id="create-org" data-shortcut="create" on:click=move |_| creating.set(true)>
                    "Create Organization" <kbd>"Ctrl+N"</kbd>
                </button>
            </Show>
        </div>
        {move || notice.get().map(|text| view! {
            <div class="alert alert-success" id="orgs-notice" role="status">{text}
                <button type="button" class="btn-close" aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
            </div>
        })}
        <ErrorAlert error=error/>
        <div class="card">
            <div class="filters">
                <SearchBox id="org-search" placeholder="Search name or slug… (Ctrl+K)" text=text
                    on_search=move |term: String| { search.set(term); cursors.restart(); }/>
            </div>
            <table class="table table-vcenter card-table" id="orgs-table">
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Slug"</th><th scope="col">"Members"</th>
                        <th scope="col">"Created"</th><th scope="col" class="w-1">"Actions"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <Pager cursors=cursors size=PAGE_SIZE id="orgs" none="No organizations" shown=shown/>
        </div>
        <Show when=move || creating.get()>
            <OrganizationForm org=None on_close=move |_| creating.set(false)
                on_saved=move |o: Organization| {
                    creating.set(false);
                    notice.set(Some(format!("Organization {} created.", o.name)));
                    refresh();
                }/>
        </Show>
        {move || {
            let close = close.clone();
            selected.get().map(|id| view! {
                <OrganizationDrawer id on_close=move |_| close() on_changed=changed/>
            })
        }}
    }
}
