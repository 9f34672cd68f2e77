//! Create or edit an organization: name, slug and description. The slug is
//! checked as it is typed, against the server's rule and against the
//! organizations that exist; the server's own errors show under each field.

use leptos::prelude::*;

use crate::api::{self, ApiError, ops};
use crate::components::{ErrorAlert, FieldErrors, Modal, begin_submit};
use crate::model::Organization;

/// The server's slug rule (SPEC §7: a DNS label), or None when `slug` keeps it.
pub fn slug_problem(slug: &str) -> Option<&'static str> {
    let s = slug.trim();
    let chars_ok = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if chars_ok && (2..=63).contains(&s.len()) && !s.starts_with('-') && !s.ends_with('-') {
        return None;
    }
    Some(
        "Use 2-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    )
}

/// A slug made from a name: "Acme Corp." → `acme-corp`.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(63);
    out.trim_end_matches('-').to_string()
}

#[component]
pub(super) fn OrganizationForm(
    /// None to create one.
    org: Option<Organization>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<Organization>,
) -> impl IntoView {
    let editing = org.as_ref().map(|o| o.id.clone());
    let own_id = StoredValue::new(editing.clone().unwrap_or_default());
    let name = RwSignal::new(org.as_ref().map(|o| o.name.clone()).unwrap_or_default());
    let slug = RwSignal::new(org.as_ref().map(|o| o.slug.clone()).unwrap_or_default());
    let description = RwSignal::new(
        org.as_ref()
            .and_then(|o| o.description.clone())
            .unwrap_or_default(),
    );
    // On create the slug follows the name until it is typed by hand.
    let slug_typed = RwSignal::new(editing.is_some());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    // The slug as it was when typing paused, and who holds it.
    let settled = RwSignal::new(slug.get_untracked());
    let pauses = StoredValue::new(0u32);
    let slug_changed = move |value: String| {
        slug.set(value);
        pauses.update_value(|n| *n += 1);
        let mine = pauses.get_value();
        set_timeout(
            move || {
                if pauses.try_get_value() == Some(mine)
                    && let Some(s) = slug.try_get_untracked()
                {
                    settled.set(s.trim().to_string());
                }
            },
            std::time::Duration::from_millis(300),
        );
    };
    let holder = LocalResource::new(move || {
        let s = settled.get();
        async move {
            // Some(holder) when asked and answered: NOT_FOUND is free; any
            // other failure says nothing.
            let found = if slug_problem(&s).is_some() {
                None
            } else {
                let op = ops::Organization {
                    id: None,
                    slug: Some(s.clone()),
                };
                match api::send(op).await {
                    Ok(o) => Some(Some(o)),
                    Err(e) if e.code == "NOT_FOUND" => Some(None),
                    Err(_) => None,
                }
            };
            (s, found)
        }
    });
    let slug_note = move || {
        let s = slug.get();
        if s.is_empty() {
            return None;
        }
        if let Some(problem) = slug_problem(&s) {
            return Some((false, problem.to_string()));
        }
        // Only the answer about the slug now in the field counts.
        match holder.get().filter(|(checked, _)| checked == s.trim()) {
            Some((_, Some(Some(o)))) if o.id != own_id.get_value() => {
                Some((false, format!("Taken by {}", o.name)))
            }
            Some((_, Some(None))) => Some((true, "Available".to_string())),
            _ => None,
        }
    };

    let submit = move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        let name = name.get_untracked().trim().to_string();
        let slug = slug.get_untracked().trim().to_string();
        let text = description.get_untracked().trim().to_string();
        let id = own_id.get_value();
        leptos::task::spawn_local(async move {
            let saved = if id.is_empty() {
                let input = ops::CreateOrganizationInput {
                    name,
                    slug,
                    description: (!text.is_empty()).then_some(text),
                };
                api::send(ops::CreateOrganization { input }).await
            } else {
                // An empty description clears it.
                let input = ops::UpdateOrganizationInput {
                    name: Some(name),
                    slug: Some(slug),
                    description: Some(text),
                };
                api::send(ops::UpdateOrganization { id, input }).await
            };
            match saved {
                Ok(o) => {
                    let _ = on_saved.try_run(o);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let (title, action, busy_label) = if editing.is_some() {
        ("Edit Organization", "Save Changes", "Saving…")
    } else {
        ("Create Organization", "Create Organization", "Creating…")
    };
    view! {
        <Modal title=title.to_string() on_close=on_close id="org-form-modal">
            <form id="org-form" data-save="" on:submit=submit>
                <div class="modal-body">
                    <ErrorAlert error=error fields=&["name", "slug", "description"]/>
                    <div class="mb-3">
                        <label class="form-label required" for="org-name">"Name"</label>
                        <input class="form-control" id="org-name" name="name" required autofocus maxlength="100"
                            prop:value=move || name.get()
                            on:input=move |e| {
                                let value = event_target_value(&e);
                                if !slug_typed.get_untracked() { slug_changed(slugify(&value)); }
                                name.set(value);
                            }/>
                        <FieldErrors error=error field="name"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label required" for="org-slug">"Slug"</label>
                        <input class="form-control" id="org-slug" name="slug" required maxlength="63" aria-describedby="org-slug-note"
                            prop:value=move || slug.get()
                            on:input=move |e| { slug_typed.set(true); slug_changed(event_target_value(&e)); }/>
                        <div id="org-slug-note" aria-live="polite">
                            {move || match slug_note() {
                                Some((true, text)) => view! { <small class="form-hint text-success" data-slug="available">{text}</small> }.into_any(),
                                Some((false, text)) => view! { <div class="invalid-feedback" data-field="slug" data-slug="problem">{text}</div> }.into_any(),
                                None => view! { <small class="form-hint">"Lowercase letters, digits and hyphens; used in URLs"</small> }.into_any(),
                            }}
                        </div>
                        <FieldErrors error=error field="slug"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label" for="org-description">"Description"</label>
                        <textarea class="form-control" id="org-description" name="description" rows="2" maxlength="500"
                            prop:value=move || description.get() on:input=move |e| description.set(event_target_value(&e))></textarea>
                        <FieldErrors error=error field="description"/>
                    </div>
                </div>
                <div class="modal-footer">
                    <button type="button" class="btn" on:click=move |_| { let _ = on_close.try_run(()); }>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" id="org-form-submit" disabled=move || busy.get()>
                        {move || if busy.get() { busy_label } else { action }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
