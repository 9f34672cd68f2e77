//! What the list screens share: cursor pages (the API's `first`/`after`
//! connections) with the pager under the table, and the search box.

use leptos::prelude::*;

/// The cursors of the pages before this one, and this page's.
#[derive(Clone, Copy)]
pub struct Cursors {
    history: RwSignal<Vec<Option<String>>>,
    pub after: RwSignal<Option<String>>,
}

impl Cursors {
    pub fn new() -> Self {
        Self {
            history: RwSignal::new(Vec::new()),
            after: RwSignal::new(None),
        }
    }

    /// Back to the first page (a filter changed).
    pub fn restart(&self) {
        self.history.set(Vec::new());
        self.after.set(None);
    }

    /// How many rows the pages before this one hold, for `size` a page.
    pub fn offset(&self, size: i64) -> i64 {
        self.history.with(Vec::len) as i64 * size
    }
}

/// What the pager needs of a page: the total (when the list counts), the
/// rows shown, and the cursor of the next page when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub total: Option<i64>,
    pub rows: usize,
    pub next: Option<String>,
}

impl Shown {
    /// A page of `rows` rows, `total` in all when the list counts.
    pub fn of(total: Option<i64>, rows: usize, info: &crate::model::PageInfo) -> Self {
        Self {
            total,
            rows,
            next: info.end_cursor.clone().filter(|_| info.has_next_page),
        }
    }
}

/// Going to another view of the same screen (new filters in the address):
/// it replaces the history entry and keeps the scroll.
pub fn same_screen() -> leptos_router::NavigateOptions {
    leptos_router::NavigateOptions {
        replace: true,
        scroll: false,
        ..Default::default()
    }
}

/// "Showing 21–40 of 57" with Previous and Next; `id` names the pager
/// (`{id}-count`, `{id}-previous`, `{id}-next`).
#[component]
pub fn Pager(
    cursors: Cursors,
    size: i64,
    id: &'static str,
    /// What the count says when there is nothing ("No organizations").
    none: &'static str,
    #[prop(into)] shown: Signal<Option<Shown>>,
) -> impl IntoView {
    let next = move |_| {
        if let Some(cursor) = shown.with_untracked(|s| s.as_ref().and_then(|s| s.next.clone())) {
            cursors
                .history
                .update(|h| h.push(cursors.after.get_untracked()));
            cursors.after.set(Some(cursor));
        }
    };
    let previous = move |_| {
        let mut h = cursors.history.get_untracked();
        if let Some(before) = h.pop() {
            cursors.history.set(h);
            cursors.after.set(before);
        }
    };
    view! {
        <div class="pager">
            <span class="text-muted" id=format!("{id}-count")>{move || shown.get().map(|s| {
                let start = cursors.offset(size);
                let end = start + s.rows as i64;
                match s.total {
                    _ if s.rows == 0 && start == 0 => none.to_string(),
                    Some(total) => format!("Showing {}–{end} of {total}", start + 1),
                    None => format!("Showing {}–{end}", start + 1),
                }
            })}</span>
            <button type="button" class="btn btn-sm" id=format!("{id}-previous")
                disabled=move || cursors.history.with(Vec::is_empty) on:click=previous>"Previous"</button>
            <button type="button" class="btn btn-sm" id=format!("{id}-next")
                disabled=move || shown.with(|s| s.as_ref().is_none_or(|s| s.next.is_none())) on:click=next>"Next"</button>
        </div>
    }
}

/// A search box that reports what was typed once typing pauses (250 ms);
/// Ctrl+K focuses it.
#[component]
pub fn SearchBox(
    id: &'static str,
    placeholder: &'static str,
    /// The text of the box, kept by the page (so "Clear filters" can empty it).
    text: RwSignal<String>,
    #[prop(into)] on_search: Callback<String>,
) -> impl IntoView {
    let typed = StoredValue::new(0u32);
    let on_input = move |e: leptos::ev::Event| {
        text.set(event_target_value(&e));
        typed.update_value(|n| *n += 1);
        let mine = typed.get_value();
        set_timeout(
            move || {
                // The page may be gone by now.
                if typed.try_get_value() == Some(mine)
                    && let Some(term) = text.try_get_untracked()
                {
                    let _ = on_search.try_run(term.trim().to_string());
                }
            },
            std::time::Duration::from_millis(250),
        );
    };
    view! {
        <input class="form-control search" id=id type="search" placeholder=placeholder aria-label=placeholder
            data-shortcut="search" prop:value=move || text.get() on:input=on_input/>
    }
}

/// A table's header row: one column header per label.
#[component]
pub fn HeaderRow(columns: &'static [&'static str]) -> impl IntoView {
    view! {
        <thead><tr>{columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr></thead>
    }
}
