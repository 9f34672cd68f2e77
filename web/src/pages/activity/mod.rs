//! `/admin/activity` (seed 004 "Viewing User Activity"; SPEC §9, §12): the
//! audit log, newest first, in pages; filtered by date range, event types
//! and user, the filters kept in the address (`filters`); each row's
//! details folded (`rows`); **Export CSV** (`Ctrl+E`) downloading exactly
//! the filtered view; **Live** streaming new events through the
//! subscription (`live`). Needs `audit:read`.

mod filters;
mod live;
mod rows;
mod user_picker;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::{ErrorAlert, Loading};
use crate::model::AuditEvent;
use crate::table::{Cursors, HeaderRow, Pager, Shown, same_screen};
use filters::{EVENT_TYPES, Filters};
pub use rows::{EVENT_COLUMNS, EventRow};
use user_picker::UserPicker;

const PAGE_SIZE: i64 = 50;

#[component]
pub fn ActivityPage() -> impl IntoView {
    let navigate = use_navigate();
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(Filters::from_query));
    let cursors = Cursors::new();
    // Another view (a link, the menu) starts at its first page too.
    Effect::watch(
        move || filters.get(),
        move |_, _, _| cursors.restart(),
        false,
    );
    // A new view starts at its first page.
    let set_filters = Callback::new(move |f: Filters| {
        cursors.restart();
        let q = f.to_query();
        let to = if q.is_empty() {
            "/admin/activity".to_string()
        } else {
            format!("/admin/activity?{q}")
        };
        navigate(&to, same_screen());
    });
    let change = move |edit: &dyn Fn(&mut Filters)| {
        let mut f = filters.get_untracked();
        edit(&mut f);
        set_filters.run(f);
    };

    let page = LocalResource::new(move || {
        api::send(api::ops::AuditEvents {
            first: Some(PAGE_SIZE),
            after: cursors.after.get(),
            filter: Some(filters.with(Filters::graphql)),
        })
    });
    let shown = Signal::derive(move || {
        page.get()
            .and_then(Result::ok)
            .map(|p| Shown::of(None, p.nodes.len(), &p.page_info))
    });
    let error = Signal::derive(move || page.get().and_then(Result::err));

    // Live: events of this view as they are sealed, above the first page.
    let live_on = RwSignal::new(false);
    let live_state = RwSignal::new(None::<live::State>);
    let fresh = RwSignal::new(Vec::<AuditEvent>::new());
    let feed = StoredValue::new_local(None::<live::Feed>);
    Effect::new(move |_| {
        let filter = filters.with(Filters::graphql);
        let on = live_on.get();
        fresh.set(Vec::new());
        feed.set_value(None);
        if !on {
            // Why a feed stopped stays said after the toggle goes off.
            live_state.update(|s| {
                if !matches!(s, Some(live::State::Ended(_))) {
                    *s = None;
                }
            });
            return;
        }
        let opened = live::open(
            filter,
            move |e| fresh.update(|list| list.insert(0, e)),
            move |s| {
                let ended = matches!(s, live::State::Ended(_));
                live_state.set(Some(s));
                if ended {
                    // After this message's handler returns: turning the
                    // toggle off drops the feed, and its handlers with it.
                    leptos::task::spawn_local(async move { live_on.set(false) });
                }
            },
        );
        match opened {
            Ok(f) => feed.set_value(Some(f)),
            Err(reason) => live_state.set(Some(live::State::Ended(reason))),
        }
    });
    on_cleanup(move || feed.set_value(None));

    let rows = move || {
        match page.get() {
        None => view! { <tr><td colspan="6"><Loading what="activity"/></td></tr> }.into_any(),
        Some(Err(_)) => view! {
            <tr><td colspan="6" class="text-muted">"The activity could not be loaded (see above)."</td></tr>
        }
        .into_any(),
        Some(Ok(p)) if p.nodes.is_empty() && fresh.with(Vec::is_empty) => view! {
            <tr><td colspan="6"><div class="empty" id="activity-empty">
                <p class="empty-title">"No activity found"</p>
                <p class="empty-subtitle text-muted">"Nothing was recorded that matches these filters."</p>
            </div></td></tr>
        }
        .into_any(),
        Some(Ok(p)) => {
            // Live events show above the first page only, once each.
            let first_page = cursors.after.with(Option::is_none);
            let live_rows = first_page.then(|| {
                fresh
                    .get()
                    .into_iter()
                    .filter(|e| !p.nodes.iter().any(|n| n.id == e.id))
                    .map(|event| view! { <EventRow event fresh=true/> })
                    .collect_view()
            });
            view! {
                {live_rows}
                {p.nodes.into_iter().map(|event| view! { <EventRow event/> }).collect_view()}
            }
            .into_any()
        }
    }
    };
    let type_chosen = move |t: &'static str| filters.with(|f| f.types.iter().any(|x| x == t));
    let toggle_type = move |t: &'static str| {
        change(&|f| {
            if let Some(i) = f.types.iter().position(|x| x == t) {
                f.types.remove(i);
            } else {
                f.types.push(t.to_string());
            }
        })
    };
    let pick_user = move |picked: Option<(String, String)>| {
        let (id, name) = picked.unwrap_or_default();
        change(&|f| {
            f.user = id.clone();
            f.who = name.clone();
        })
    };
    let live_status = move || {
        live_state.get().map(|s| match s {
            live::State::Connecting => "Connecting…".to_string(),
            live::State::Listening => "Listening for new events".to_string(),
            live::State::Ended(reason) => format!("Stopped: {reason}"),
        })
    };

    view! {
        <div class="page-header">
            <h1>"Activity Log"</h1>
            <div class="actions-inline">
                <label class="switch" for="live-toggle">
                    <input type="checkbox" role="switch" id="live-toggle" prop:checked=move || live_on.get()
                        on:change=move |e| live_on.set(event_target_checked(&e))/>
                    " Live"
                </label>
                <span class="text-muted small" id="live-status" role="status">{live_status}</span>
                <a class="btn btn-sm" id="export-csv" data-shortcut="export" rel="external" download=""
                    href=move || filters.with(Filters::csv_href)>"Export CSV " <kbd>"Ctrl+E"</kbd></a>
            </div>
        </div>
        <ErrorAlert error=error/>
        <div class="card">
            <div class="filters">
                <label class="inline-field">"From "
                    <input type="date" class="form-control" id="from-date" prop:value=move || filters.with(|f| f.from.clone())
                        on:change=move |e| { let v = event_target_value(&e); change(&|f| f.from = v.clone()); }/>
                </label>
                <label class="inline-field">"To "
                    <input type="date" class="form-control" id="to-date" prop:value=move || filters.with(|f| f.to.clone())
                        on:change=move |e| { let v = event_target_value(&e); change(&|f| f.to = v.clone()); }/>
                </label>
                <details class="type-filter" id="type-filter">
                    <summary class="form-select">{move || match filters.with(|f| f.types.len()) {
                        0 => "All Event Types".to_string(),
                        1 => filters.with(|f| f.types[0].clone()),
                        n => format!("{n} event types"),
                    }}</summary>
                    <fieldset class="type-list">
                        <legend class="small text-muted">"Event types (UTC dates)"</legend>
                        {EVENT_TYPES.iter().map(|t| view! {
                            <label class="check"><input type="checkbox" data-type=*t prop:checked=move || type_chosen(t)
                                on:change=move |_| toggle_type(t)/>" " {*t}</label>
                        }).collect_view()}
                    </fieldset>
                </details>
                <UserPicker chosen=Signal::derive(move || filters.with(|f| f.who.clone())) on_pick=pick_user/>
                <Show when=move || !filters.with(Filters::is_empty)>
                    <button type="button" class="btn btn-sm" id="clear-filters" on:click=move |_| set_filters.run(Filters::default())>"Clear filters"</button>
                </Show>
            </div>
            <div class="table-responsive">
                <table class="table table-vcenter card-table" id="activity-table">
                    <HeaderRow columns=EVENT_COLUMNS/>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Pager cursors=cursors size=PAGE_SIZE id="activity" none="No activity" shown=shown/>
        </div>
    }
}
