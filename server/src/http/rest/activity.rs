//! Seed 004's activity path (`GET /api/v1/admin/activity`, and seed 002's
//! `/v1/admin/audit`): the audit log, newest first, a page at a time (the
//! seed's "not yet implemented" is gone).

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ErrorBody, RestError};
use super::{RestCaller, run};
use crate::error::DomainError;
use crate::http::HttpState;
use crate::service::audit_log::{self, AuditCursor, AuditFilter, EventView};
use crate::service::work::Mode;

/// Which events to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Events by this user (its id).
    pub user_id: Option<String>,
    /// Events of these types, separated by commas (`user.login`).
    pub event_type: Option<String>,
    /// From this day (`2026-02-01`, UTC) or instant (RFC 3339) on.
    pub start_date: Option<String>,
    /// Up to this day, inclusive (`2026-02-28`), or before this instant.
    pub end_date: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<u64>,
    /// The `next_cursor` of the page before.
    pub after: Option<String>,
}

/// One event of the audit log (seed 004 "Understanding Audit Trail
/// Entries").
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    pub user_id: Option<String>,
    /// The actor's username; `[Deleted User]` once deleted; none for the
    /// command line and anonymous callers.
    pub user: Option<String>,
    /// `api`, `cli`, `system`, …
    pub channel: String,
    pub event_type: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

impl From<EventView> for Event {
    fn from(v: EventView) -> Self {
        let e = v.event;
        Self {
            id: e.id,
            timestamp: e.occurred_at,
            user_id: e.actor_id,
            user: v.actor_name,
            channel: e.channel,
            event_type: e.event_type,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            resource_name: v.resource_name,
            ip_address: e.ip_address,
            user_agent: e.user_agent,
            details: e.details,
        }
    }
}

/// One page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityPage {
    pub events: Vec<Event>,
    pub has_more: bool,
    /// Pass as `after` for the next page.
    pub next_cursor: Option<String>,
}

/// A day (its first instant, or the next day's for an inclusive end) or an
/// RFC 3339 instant.
fn instant(field: &'static str, raw: &str, end: bool) -> Result<DateTime<Utc>, DomainError> {
    let raw = raw.trim();
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            DomainError::bad_input(
                field,
                format!("{field} must be a date (2026-02-01) or an RFC 3339 instant"),
            )
        })
}

#[utoipa::path(get, path = "/api/v1/admin/activity", operation_id = "listActivity", tag = "activity", params(ActivityQuery),
    responses((status = 200, body = ActivityPage), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<HttpState>,
    caller: RestCaller,
    query: Result<Query<ActivityQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ActivityPage>, RestError> {
    let Query(q) = query?;
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let filter = AuditFilter {
        actor_id: blank(q.user_id),
        event_types: audit_log::event_types(q.event_type.as_deref()),
        resource_type: None,
        resource_id: None,
        from: blank(q.start_date)
            .map(|d| instant("start_date", &d, false))
            .transpose()?,
        to: blank(q.end_date)
            .map(|d| instant("end_date", &d, true))
            .transpose()?,
        involving: None,
    };
    let after = q.after.as_deref().map(AuditCursor::decode).transpose()?;
    let limit = q.limit.unwrap_or(50);
    let page = run(&state, &caller, Mode::Read, async |w| {
        audit_log::page(w, &filter, limit, after.as_ref()).await
    })
    .await?;
    let next_cursor = page
        .has_next_page
        .then(|| {
            page.events
                .last()
                .map(|e| AuditCursor::of(&e.event).encode())
        })
        .flatten();
    Ok(Json(ActivityPage {
        has_more: page.has_next_page,
        next_cursor,
        events: page.events.into_iter().map(Event::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_instants() {
        let start = instant("start_date", "2026-02-01", false).expect("day");
        assert_eq!(start.to_rfc3339(), "2026-02-01T00:00:00+00:00");
        let end = instant("end_date", "2026-02-28", true).expect("day");
        assert_eq!(end.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        let at = instant("end_date", "2026-02-01T10:00:00+02:00", true).expect("instant");
        assert_eq!(at.to_rfc3339(), "2026-02-01T08:00:00+00:00");
        assert!(instant("start_date", "yesterday", false).is_err());
    }
}
