//! The audit log as people read it (SPEC §9, seed 004's Activity Log).

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{core_enabled, gql, read};
use crate::service::audit_log::{self, AuditCursor, AuditFilter, EventView};

/// One recorded event.
#[derive(SimpleObject, Debug, Clone)]
pub struct AuditEvent {
    pub id: ID,
    pub occurred_at: DateTime<Utc>,
    /// The acting user's id; none for the CLI operator and anonymous callers.
    pub actor_id: Option<ID>,
    /// Their username, or `[Deleted User]` once deleted.
    pub actor_name: Option<String>,
    /// `api`, `cli`, `oidc` or `system`.
    pub channel: String,
    /// `user.created`, `permission.denied`, …
    pub event_type: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// For a user resource, their username, or `[Deleted User]`.
    pub resource_name: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// What changed: old and new values, counts, reasons.
    pub details: Json<serde_json::Value>,
}

impl From<EventView> for AuditEvent {
    fn from(v: EventView) -> Self {
        let e = v.event;
        Self {
            id: ID(e.id),
            occurred_at: e.occurred_at,
            actor_id: e.actor_id.map(ID),
            actor_name: v.actor_name,
            channel: e.channel,
            event_type: e.event_type,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            resource_name: v.resource_name,
            ip_address: e.ip_address,
            user_agent: e.user_agent,
            details: Json(e.details),
        }
    }
}

/// Which events to list; every field narrows.
#[derive(InputObject, Default)]
pub struct AuditEventsFilter {
    pub actor_id: Option<ID>,
    /// Any of these event types.
    pub event_types: Option<Vec<String>>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// At or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
}

impl From<AuditEventsFilter> for AuditFilter {
    fn from(f: AuditEventsFilter) -> Self {
        Self {
            actor_id: f.actor_id.map(|id| id.0),
            event_types: f.event_types.unwrap_or_default(),
            resource_type: f.resource_type,
            resource_id: f.resource_id,
            from: f.from,
            to: f.to,
            involving: None,
        }
    }
}

/// A Relay page of events, newest first.
pub(super) async fn event_connection(
    ctx: &Context<'_>,
    filter: AuditFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, AuditEvent>> {
    let cursor = after
        .as_deref()
        .map(AuditCursor::decode)
        .transpose()
        .map_err(gql)?;
    let first = u64::try_from(first.unwrap_or(20)).unwrap_or(0);
    let page = read(ctx, async |w| {
        audit_log::page(w, &filter, first, cursor.as_ref()).await
    })
    .await?;
    let mut connection = Connection::new(cursor.is_some(), page.has_next_page);
    connection.edges.extend(
        page.events
            .into_iter()
            .map(|e| Edge::new(AuditCursor::of(&e.event).encode(), AuditEvent::from(e))),
    );
    Ok(connection)
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Recorded events, newest first, `first` (≤ 100, default 20) after the
    /// cursor `after`; cursors stay valid while events are added. Needs
    /// `audit:read`.
    #[graphql(visible = "core_enabled")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditEventsFilter>,
    ) -> Result<Connection<String, AuditEvent>> {
        event_connection(ctx, filter.unwrap_or_default().into(), first, after).await
    }
}
