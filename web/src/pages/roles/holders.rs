//! The access review: who holds a permission, through which role and how
//! it was granted (by a person, or by the identity provider's groups), in
//! pages, with the CSV of all of them. The permission is kept in the
//! address (`?permission=users:manage`). Needs `users:read`.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::{ErrorAlert, Loading, StatusBadge};
use crate::model::short_time;
use crate::table::{Cursors, HeaderRow, Pager, Shown, same_screen};

const PAGE_SIZE: i64 = 50;

#[component]
pub(super) fn AccessReview(#[prop(into)] permissions: Signal<Vec<String>>) -> impl IntoView {
    let state = crate::state();
    let navigate = use_navigate();
    let query = use_query_map();
    let permission = Memo::new(move |_| query.with(|q| q.get("permission")).unwrap_or_default());
    let cursors = Cursors::new();
    Effect::watch(
        move || permission.get(),
        move |_, _, _| cursors.restart(),
        false,
    );
    let page = LocalResource::new(move || {
        let p = permission.get();
        let op = api::ops::PermissionHolders {
            permission: p.clone(),
            first: Some(PAGE_SIZE),
            after: cursors.after.get(),
        };
        async move {
            if p.is_empty() {
                return Ok(None);
            }
            api::send(op).await.map(Some)
        }
    });
    let shown = Signal::derive(move || {
        page.get()
            .and_then(Result::ok)
            .flatten()
            .map(|p| Shown::of(None, p.nodes.len(), &p.page_info))
    });
    let error = Signal::derive(move || page.get().and_then(Result::err));
    let choose = move |e: leptos::ev::Event| {
        let p = event_target_value(&e);
        let to = if p.is_empty() {
            "/admin/roles".to_string()
        } else {
            format!(
                "/admin/roles?permission={}",
                js_sys::encode_uri_component(&p)
            )
        };
        navigate(&to, same_screen());
    };
    let rows = move || {
        match page.get() {
        None => view! { <tr><td colspan="6"><Loading what="holders"/></td></tr> }.into_any(),
        Some(Ok(None)) => view! { <tr><td colspan="6" class="text-muted">"Choose a permission."</td></tr> }.into_any(),
        Some(Ok(Some(p))) if p.nodes.is_empty() => view! {
            <tr><td colspan="6" class="text-muted" id="holders-empty">"Nobody holds it."</td></tr>
        }.into_any(),
        Some(Ok(Some(p))) => p.nodes.into_iter().map(|h| view! {
            <tr data-holder=h.username.clone()>
                <td><a href=format!("/admin/users/{}", h.user_id)>{h.username.clone()}</a></td>
                <td>{h.email.clone()}</td>
                <td><StatusBadge status=h.status.clone()/></td>
                <td><code>{h.role.clone()}</code></td>
                <td>{if h.source == "idp" { "identity provider" } else { "manual" }}</td>
                <td>{short_time(&h.granted_at)}</td>
            </tr>
        }).collect_view().into_any(),
        Some(Err(_)) => ().into_any(),
    }
    };
    view! {
        <Show when=move || state.can("users:read")>
            <section class="card review" aria-labelledby="review-title">
                <div class="filters">
                    <h2 id="review-title" class="card-heading">"Who holds a permission"</h2>
                    <select class="form-select" id="review-permission" aria-label="Permission" on:change=choose.clone()>
                        <option value="" selected=move || permission.with(String::is_empty)>"Choose a permission…"</option>
                        {move || permissions.get().into_iter().map(|p| {
                            let key = p.clone();
                            view! { <option value=p.clone() selected=move || permission.with(|x| *x == key)>{p.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <Show when=move || !permission.with(String::is_empty)>
                        <a class="btn btn-sm" id="review-csv" rel="external" download=""
                            href=move || format!("/admin/api/permission-holders.csv?permission={}", js_sys::encode_uri_component(&permission.get()))>
                            "Export CSV"</a>
                    </Show>
                </div>
                <ErrorAlert error=error/>
                <div class="table-responsive">
                    <table class="table card-table" id="holders-table">
                        <HeaderRow columns=&["User", "Email", "Status", "Through role", "Granted by", "Since"]/>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <Pager cursors=cursors size=PAGE_SIZE id="holders" none="Nobody" shown=shown/>
            </section>
        </Show>
    }
}
