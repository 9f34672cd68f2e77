//! One row of the activity log: seed 004's columns, the event type as a
//! badge in the seed's colours, and the details JSON folded under a summary.

use leptos::prelude::*;

use super::filters::badge_class;
use crate::model::AuditEvent;

/// "old_values, new_values" for an object's keys; "—" for none.
fn summary(details: &serde_json::Value) -> String {
    match details.as_object() {
        Some(map) if !map.is_empty() => map.keys().cloned().collect::<Vec<_>>().join(", "),
        _ => "—".into(),
    }
}

/// Who acted: their username (`[Deleted User]` once deleted), or the
/// channel for the CLI operator, the system and anonymous callers.
fn actor(e: &AuditEvent) -> String {
    e.actor_name
        .clone()
        .unwrap_or_else(|| format!("({})", e.channel))
}

/// `2026-12-03T13:57:04.265662+00:00` → `2026-12-03 13:57:04 UTC` (the
/// API answers in UTC; the full instant is the `<time>`'s `datetime`).
fn seconds(iso: &str) -> String {
    let mut out: String = iso.chars().take(19).collect();
    if out.len() == 19 {
        out.replace_range(10..11, " ");
        out.push_str(" UTC");
    }
    out
}

fn resource(e: &AuditEvent) -> String {
    let name = e.resource_name.as_ref().or(e.resource_id.as_ref());
    match (&e.resource_type, name) {
        (Some(kind), Some(name)) => format!("{kind}:{name}"),
        (Some(kind), None) => kind.clone(),
        (None, Some(name)) => name.clone(),
        (None, None) => "—".into(),
    }
}

/// Seed 004's columns, as `EventRow` fills them.
pub const EVENT_COLUMNS: &[&str] = &[
    "Timestamp",
    "User",
    "Event Type",
    "Resource",
    "IP Address",
    "Details",
];

#[component]
pub fn EventRow(event: AuditEvent, #[prop(optional)] fresh: bool) -> impl IntoView {
    let has_details = event.details.as_object().is_some_and(|m| !m.is_empty());
    let pretty = serde_json::to_string_pretty(&event.details).unwrap_or_default();
    view! {
        <tr class:fresh=fresh data-event=event.id.clone() data-type=event.event_type.clone()>
            <td class="nowrap"><time datetime=event.occurred_at.clone()>{seconds(&event.occurred_at)}</time></td>
            <td data-actor="">{actor(&event)}</td>
            <td><span class=badge_class(&event.event_type)>{event.event_type.clone()}</span></td>
            <td>{resource(&event)}</td>
            <td>{event.ip_address.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{if has_details {
                view! { <details><summary>{summary(&event.details)}</summary><pre class="json">{pretty}</pre></details> }.into_any()
            } else {
                view! { <span class="text-muted">"—"</span> }.into_any()
            }}</td>
        </tr>
    }
}
