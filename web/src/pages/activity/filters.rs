//! The activity log's filters as the address keeps them (`?from=2026-12-01
//! &to=2026-12-03&types=user.login,user.created&user=<id>&who=<username>`),
//! so a view can be shared, and as `auditEvents` and the CSV export take
//! them. Dates are whole days in UTC; `to` includes its day.

use crate::api::ops::AuditEventsFilter;
use leptos_router::params::ParamsMap;

/// Seed 004's event types first, then the rest of what Roster records.
pub const EVENT_TYPES: &[&str] = &[
    "user.login",
    "user.login_failed",
    "user.logout",
    "user.created",
    "user.invited",
    "invitation.accepted",
    "user.provisioned",
    "user.updated",
    "user.deactivated",
    "user.activated",
    "user.deleted",
    "user.roles_synced",
    "role_overrides.updated",
    "role_overrides.cleared",
    "user.quota_updated",
    "user.sessions_revoked",
    "password.changed",
    "password.reset_requested",
    "password.reset",
    "session.revoked",
    "apikey.created",
    "apikey.revoked",
    "role.created",
    "role.updated",
    "role.deleted",
    "org.created",
    "org.updated",
    "org.deleted",
    "membership.added",
    "membership.removed",
    "identity.linked",
    "permission.denied",
    "rls.enabled",
    "rls.disabled",
    "database.prepared",
    "defaults.repaired",
    "audit.pruned",
];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    /// `YYYY-MM-DD`, or empty.
    pub from: String,
    /// `YYYY-MM-DD` (included), or empty.
    pub to: String,
    pub types: Vec<String>,
    /// The acting user's id, and their username as shown.
    pub user: String,
    pub who: String,
}

/// A `YYYY-MM-DD` date that is one, or nothing.
fn date(raw: Option<String>) -> String {
    raw.filter(|d| {
        let b = d.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    })
    .unwrap_or_default()
}

/// Midnight UTC of `day`, plus `days` days, as RFC 3339; none for a date
/// JavaScript cannot read (2026-02-31).
fn midnight(day: &str, days: f64) -> Option<String> {
    if day.is_empty() {
        return None;
    }
    let start = js_sys::Date::parse(&format!("{day}T00:00:00Z"));
    if start.is_nan() {
        return None;
    }
    let at = js_sys::Date::new(&(start + days * 86_400_000.0).into());
    at.to_iso_string().as_string()
}

impl Filters {
    pub fn from_query(q: &ParamsMap) -> Self {
        Self {
            from: date(q.get("from")),
            to: date(q.get("to")),
            types: q
                .get("types")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            user: q.get("user").unwrap_or_default(),
            who: q.get("who").unwrap_or_default(),
        }
    }

    /// The address's query string, without `?`.
    pub fn to_query(&self) -> String {
        let types = self.types.join(",");
        pairs(&[
            ("from", &self.from),
            ("to", &self.to),
            ("types", &types),
            ("user", &self.user),
            ("who", &self.who),
        ])
    }

    fn instants(&self) -> (Option<String>, Option<String>) {
        (midnight(&self.from, 0.0), midnight(&self.to, 1.0))
    }

    /// `auditEvents`' `filter`.
    pub fn graphql(&self) -> AuditEventsFilter {
        let (from, to) = self.instants();
        AuditEventsFilter {
            from,
            to,
            event_types: (!self.types.is_empty()).then(|| self.types.clone()),
            actor_id: (!self.user.is_empty()).then(|| self.user.clone()),
            ..AuditEventsFilter::default()
        }
    }

    /// The CSV export's address: exactly this view.
    pub fn csv_href(&self) -> String {
        let (from, to) = self.instants();
        let types = self.types.join(",");
        let query = pairs(&[
            ("actorId", &self.user),
            ("eventTypes", &types),
            ("from", &from.unwrap_or_default()),
            ("to", &to.unwrap_or_default()),
        ]);
        format!("/admin/api/audit.csv?{query}")
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `a=1&b=2` from the pairs whose value is not empty.
fn pairs(pairs: &[(&str, &String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Seed 004's `getEventTypeColor`, then the same colours by what the rest
/// of Roster's events do: green for what begins or grants, blue for
/// changes, red for what ends, refuses or removes, yellow for what pauses.
pub fn badge_class(event_type: &str) -> &'static str {
    let colour = match event_type {
        "user.login" | "event.created" | "apikey.created" | "user.created" => "success",
        "user.logout" | "event.updated" | "user.updated" => "info",
        "user.login_failed" | "event.deleted" | "apikey.revoked" | "user.deleted" => "danger",
        "event.merged" | "user.deactivated" => "warning",
        other => {
            let action = other.rsplit('.').next().unwrap_or_default();
            match action {
                "created" | "activated" | "accepted" | "added" | "provisioned" | "linked"
                | "enabled" => "success",
                "updated" | "invited" | "roles_synced" | "quota_updated" | "changed" | "reset"
                | "reset_requested" | "prepared" | "repaired" => "info",
                "deleted" | "revoked" | "sessions_revoked" | "removed" | "denied" | "disabled"
                | "cleared" => "danger",
                "deactivated" | "pruned" => "warning",
                _ => "secondary",
            }
        }
    };
    match colour {
        "success" => "badge bg-success",
        "info" => "badge bg-info",
        "danger" => "badge bg-danger",
        "warning" => "badge bg-warning",
        _ => "badge bg-secondary",
    }
}
