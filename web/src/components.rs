//! Pieces every screen uses: badges in seed 004's colours, modals, alerts,
//! field errors and the live password rules.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::ApiError;
use crate::model::PasswordRules;

/// Seed 004's role colours (superuser above admin; custom roles in blue-grey).
pub fn role_class(role: &str) -> &'static str {
    match role {
        "superuser" => "badge bg-dark",
        "admin" => "badge bg-danger",
        "editor" => "badge bg-primary",
        "viewer" => "badge bg-secondary",
        _ => "badge bg-info",
    }
}

#[component]
pub fn RoleBadges(roles: Vec<String>) -> impl IntoView {
    roles
        .into_iter()
        .map(|r| view! { <span class=role_class(&r)>{r.clone()}</span>" " })
        .collect_view()
}

/// Seed 004's state badges.
pub fn status_label(status: &str) -> (&'static str, &'static str) {
    match status {
        "PENDING_INVITATION" => ("badge bg-warning", "Pending Invitation"),
        "ACTIVE" => ("badge bg-success", "Active"),
        "DEACTIVATED" => ("badge bg-secondary", "Inactive"),
        _ => ("badge bg-dark", "Deleted"),
    }
}

#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let (class, label) = status_label(&status);
    view! { <span class=class data-status=status.clone()>{label}</span> }
}

/// A dialog over the page; Escape and the close button call `on_close`.
#[component]
pub fn Modal(
    title: String,
    #[prop(into)] on_close: Callback<()>,
    #[prop(optional, into)] id: String,
    #[prop(optional)] wide: bool,
    /// The id of what names the dialog, when not its title.
    #[prop(optional, into)]
    labelled_by: Option<String>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Div>::new();
    remember_opener();
    let handle = window_event_listener(leptos::ev::keydown, move |e| {
        if e.key() == "Escape" {
            let _ = on_close.try_run(());
        } else if e.key() == "Tab"
            && let Some(el) = dialog.get_untracked()
        {
            trap_tab(&el, &e);
        }
    });
    // Focus moves into the dialog when it opens, and back to what opened
    // it when it closes.
    Effect::new(move |_| {
        if dialog.get().is_some() {
            // After the browser has laid the dialog out: an element not
            // yet rendered cannot take the focus.
            request_animation_frame(move || {
                if let Some(el) = dialog.get_untracked() {
                    focus_first(&el);
                }
            });
        }
    });
    on_cleanup(move || {
        handle.remove();
        restore_opener();
    });
    // The dialog is named (for screen readers) by its title, or by
    // `labelled_by`.
    let title_id = format!(
        "{}-title",
        if id.is_empty() { "modal" } else { id.as_str() }
    );
    let name_id = labelled_by.unwrap_or_else(|| title_id.clone());
    view! {
        <div class="modal-backdrop" on:click=move |_| { let _ = on_close.try_run(()); }></div>
        <div class="modal" id=id role="dialog" aria-modal="true" aria-labelledby=name_id class:modal-lg=wide node_ref=dialog tabindex="-1">
            <div class="modal-header">
                <h5 class="modal-title" id=title_id>{title}</h5>
                <button type="button" class="btn-close" aria-label="Close" on:click=move |_| { let _ = on_close.try_run(()); }>"×"</button>
            </div>
            {children()}
        </div>
    }
}

thread_local! {
    /// What had the focus when each open dialog opened.
    static OPENERS: std::cell::RefCell<Vec<Option<web_sys::Element>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A drawer beside the page (`aside` with `tabindex="-1"`): the focus moves
/// into it when it opens and back to what opened it when it closes; Escape
/// closes it unless a dialog is open over it (the dialog's Escape is its own).
pub fn drawer_focus(aside: NodeRef<leptos::html::Aside>, on_close: Callback<()>) {
    remember_opener();
    let handle = window_event_listener(leptos::ev::keydown, move |e| {
        let dialog_open = document()
            .and_then(|d| d.query_selector(".modal").ok().flatten())
            .is_some();
        if e.key() == "Escape" && !dialog_open {
            let _ = on_close.try_run(());
        }
    });
    Effect::new(move |_| {
        if aside.get().is_some() {
            request_animation_frame(move || {
                if let Some(el) = aside.get_untracked() {
                    let _ = el.focus();
                }
            });
        }
    });
    on_cleanup(move || {
        handle.remove();
        restore_opener();
    });
}

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

fn remember_opener() {
    let active = document().and_then(|d| d.active_element());
    OPENERS.with(|o| o.borrow_mut().push(active));
}

fn restore_opener() {
    let opener = OPENERS.with(|o| o.borrow_mut().pop()).flatten();
    if let Some(el) = opener.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        && el.is_connected()
    {
        let _ = el.focus();
    }
}

/// The dialog's elements that take the focus, in order.
fn focusables(dialog: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = dialog.query_selector_all(
        "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])",
    ) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// Focuses the dialog's `autofocus` field, else its first control other
/// than the close button, else the dialog.
fn focus_first(dialog: &web_sys::HtmlElement) {
    let inside = document()
        .and_then(|d| d.active_element())
        .is_some_and(|a| dialog.contains(Some(&a)) && !a.is_same_node(Some(dialog)));
    if inside {
        return;
    }
    let all = focusables(dialog);
    let target = all
        .iter()
        .find(|e| e.has_attribute("autofocus"))
        .or_else(|| {
            all.iter()
                .find(|e| !e.class_name().split_whitespace().any(|c| c == "btn-close"))
        })
        .or(all.first());
    let _ = match target {
        Some(el) => el.focus(),
        None => dialog.focus(),
    };
}

/// Keeps Tab and Shift+Tab inside the dialog.
fn trap_tab(dialog: &web_sys::HtmlElement, e: &web_sys::KeyboardEvent) {
    let all = focusables(dialog);
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        e.prevent_default();
        return;
    };
    let active = document().and_then(|d| d.active_element());
    let at = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a.is_same_node(Some(el)));
    let outside = !active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
    let target = if e.shift_key() && (at(first) || outside) {
        Some(last)
    } else if !e.shift_key() && (at(last) || outside) {
        Some(first)
    } else {
        None
    };
    if let Some(el) = target {
        e.prevent_default();
        let _ = el.focus();
    }
}

/// Seed 004's confirmation dialog: a question, what it does, and the button.
#[component]
pub fn Confirm(
    id: &'static str,
    title: String,
    body: AnyView,
    action: &'static str,
    button_class: &'static str,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <Modal title=String::new() on_close=on_cancel id=format!("{id}-modal") labelled_by=format!("{id}-question")>
            <div class="modal-body text-center">
                <h3 id=format!("{id}-question")>{title}</h3>
                <div class="text-muted">{body}</div>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn" on:click=move |_| { let _ = on_cancel.try_run(()); }>"Cancel"</button>
                <button type="button" class=button_class id=format!("confirm-{id}")
                    disabled=move || busy.get() on:click=move |_| { let _ = on_confirm.try_run(()); }>
                    {move || if busy.get() { "Working…" } else { action }}
                </button>
            </div>
        </Modal>
    }
}

/// Starts a form's submission: stops the browser's own, refuses a second
/// one while the first runs, marks the form busy and clears its last error.
/// False when a submission is already running.
pub fn begin_submit(
    e: &leptos::ev::SubmitEvent,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
) -> bool {
    e.prevent_default();
    if busy.get_untracked() {
        return false;
    }
    busy.set(true);
    error.set(None);
    true
}

/// An error alert for whatever of `error` has no field of its own in the form.
#[component]
pub fn ErrorAlert(
    #[prop(into)] error: Signal<Option<ApiError>>,
    #[prop(optional)] fields: &'static [&'static str],
) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.general(fields))
            .map(|message| view! { <div class="alert alert-danger" role="alert">{message}</div> })
    }
}

/// The messages about one field, shown under it.
#[component]
pub fn FieldErrors(
    #[prop(into)] error: Signal<Option<ApiError>>,
    field: &'static str,
) -> impl IntoView {
    move || {
        error.with(|e| {
            e.as_ref()
                .map(|e| e.for_field(field))
                .unwrap_or_default()
                .into_iter()
                .map(|m| view! { <div class="invalid-feedback" data-field=field>{m}</div> })
                .collect_view()
        })
    }
}

/// The password rules, each ticked as the typed password meets it. The
/// server checks them again, with the guessability estimate.
#[component]
pub fn PasswordRulesList(
    rules: PasswordRules,
    #[prop(into)] password: Signal<String>,
) -> impl IntoView {
    type Rule = fn(&str, usize) -> bool;
    let mut checks: Vec<(String, Rule)> = vec![(
        format!("At least {} characters", rules.min_length),
        |p: &str, min: usize| p.chars().count() >= min,
    )];
    if rules.character_classes {
        checks.push(("Uppercase letter (A-Z)".into(), |p, _| {
            p.chars().any(char::is_uppercase)
        }));
        checks.push(("Lowercase letter (a-z)".into(), |p, _| {
            p.chars().any(char::is_lowercase)
        }));
        checks.push(("Number (0-9)".into(), |p, _| {
            p.chars().any(|c| c.is_ascii_digit())
        }));
        checks.push(("Special character (!@#$%^&*)".into(), |p, _| {
            p.chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
        }));
    }
    let min = rules.min_length;
    view! {
        <ul class="rules" id="password-rules">
            {checks
                .into_iter()
                .map(|(label, ok)| {
                    let met = move || password.with(|p| ok(p, min));
                    view! {
                        <li class:met=met>
                            <span class="tick">{move || if met() { "✓" } else { "•" }}</span>
                            " " {label}
                        </li>
                    }
                })
                .collect_view()}
            <li class="hint">"Not a common or easily guessed password"</li>
        </ul>
    }
}

#[component]
pub fn Loading(#[prop(optional)] what: &'static str) -> impl IntoView {
    view! { <div class="loading" role="status"><span class="spinner"></span>" Loading " {what} "…"</div> }
}

/// The new-password and confirmation fields of the accept-invitation and
/// reset pages, with the rules ticked as the user types and the server's
/// errors under each field.
#[component]
pub fn NewPasswordFields(
    password: RwSignal<String>,
    confirm: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// Labelled "New Password" (changing one) rather than "Password".
    #[prop(optional)]
    new: bool,
) -> impl IntoView {
    let (label, confirm_label) = if new {
        ("New Password", "Confirm New Password")
    } else {
        ("Password", "Confirm Password")
    };
    let state = crate::state();
    let rules = move || {
        state.info.with(|i| {
            i.as_ref()
                .map(|i| i.password_rules.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <div class="mb-3">
            <label class="form-label required" for="password">{label}</label>
            <input class="form-control" id="password" name="password" type="password" autocomplete="new-password" required
                prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e))/>
            <FieldErrors error=error field="password"/>
            {move || view! { <PasswordRulesList rules=rules() password=password/> }}
        </div>
        <div class="mb-3">
            <label class="form-label required" for="password-confirm">{confirm_label}</label>
            <input class="form-control" id="password-confirm" name="password_confirm" type="password" autocomplete="new-password" required
                prop:value=move || confirm.get() on:input=move |e| confirm.set(event_target_value(&e))/>
            <FieldErrors error=error field="passwordConfirm"/>
        </div>
    }
}
