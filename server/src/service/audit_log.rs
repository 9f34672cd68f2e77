//! Reading the audit log (SPEC §9, seed 004 "Viewing User Activity"):
//! events newest first, filtered by actor, event types, resource and time,
//! cut into pages by `(occurred_at, id)` — a cursor, never an offset — so
//! events recorded while someone pages never shift a page. A user who was
//! deleted shows as [`DELETED_USER`] (the id is kept).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use super::directory::MAX_PAGE;
use super::policy;
use super::work::Work;
use crate::entity::audit_event;
use crate::error::{DomainError, Result};

/// How a deleted user is shown, as actor or as resource.
pub use super::users::DELETED_USER;

/// Which events to list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    /// Any of these types (`user.created`, …).
    pub event_types: Vec<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Events by this user or about them (`User.activity`).
    pub involving: Option<String>,
}

/// Event types as a query string lists them: `user.login, user.logout`
/// (blank entries left out).
pub fn event_types(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// A position in the listing: the last event seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: String,
}

impl AuditCursor {
    pub fn of(event: &audit_event::Model) -> Self {
        Self {
            occurred_at: event.occurred_at,
            id: event.id.clone(),
        }
    }

    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}|{}", self.occurred_at.to_rfc3339(), self.id))
    }

    pub fn decode(raw: &str) -> Result<Self> {
        let invalid = || DomainError::bad_input("after", "Invalid cursor");
        let text = hex::decode(raw)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid)?;
        let (at, id) = text.split_once('|').ok_or_else(invalid)?;
        let occurred_at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| invalid())?
            .with_timezone(&Utc);
        Ok(Self {
            occurred_at,
            id: id.to_string(),
        })
    }
}

/// An event as shown: who acted and on what, by name when a user.
#[derive(Debug, Clone)]
pub struct EventView {
    pub event: audit_event::Model,
    /// The actor's username, [`DELETED_USER`] once deleted; none for the
    /// CLI operator and anonymous callers.
    pub actor_name: Option<String>,
    /// For a user resource, their username (or [`DELETED_USER`]).
    pub resource_name: Option<String>,
}

/// One page of events.
#[derive(Debug, Clone)]
pub struct Page {
    pub events: Vec<EventView>,
    pub has_next_page: bool,
}

/// The events matching `filter`, newest first, `first` (1–100) after
/// `after`. Needs `audit:read`, or, for
/// one user's own activity, to be that user.
pub async fn page(
    work: &Work,
    filter: &AuditFilter,
    first: u64,
    after: Option<&AuditCursor>,
) -> Result<Page> {
    match &filter.involving {
        Some(user_id) => policy::require_activity_reader(work, user_id)?,
        None => policy::require_audit_reader(work)?,
    }
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(DomainError::bad_input(
            "first",
            format!("first must be between 1 and {MAX_PAGE}"),
        ));
    }
    let mut page = fetch(work, filter, first, after).await?;
    if !policy::reads_whole_log(work) {
        // A user reading their own activity: where someone else acted, that
        // person's address and browser are not theirs to see.
        let me = work.actor().user_id();
        for view in &mut page.events {
            if view.event.actor_id.as_deref() != me {
                view.event.ip_address = None;
                view.event.user_agent = None;
            }
        }
    }
    Ok(page)
}

/// The most event types one filter may name, and the longest id.
const MAX_EVENT_TYPES: usize = 50;
const MAX_ID_CHARS: usize = 100;

async fn fetch(
    work: &Work,
    filter: &AuditFilter,
    first: u64,
    after: Option<&AuditCursor>,
) -> Result<Page> {
    let db = work.db().await?;
    let mut query = select(filter)?;
    if let Some(cursor) = after {
        let row = Expr::tuple([
            Expr::col((audit_event::Entity, audit_event::Column::OccurredAt)),
            Expr::col((audit_event::Entity, audit_event::Column::Id)),
        ]);
        let at = Expr::tuple([Expr::val(cursor.occurred_at), Expr::val(cursor.id.as_str())]);
        query = query.filter(row.lt(at));
    }
    let mut events = query
        .order_by_desc(audit_event::Column::OccurredAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next_page = events.len() as u64 > first;
    events.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Page {
        events: named(db, events).await?,
        has_next_page,
    })
}

/// Refuses a filter that asks too much or makes no sense.
pub(super) fn check_filter(filter: &AuditFilter) -> Result<()> {
    if filter.event_types.len() > MAX_EVENT_TYPES {
        return Err(DomainError::bad_input(
            "eventTypes",
            format!("At most {MAX_EVENT_TYPES} event types at a time"),
        ));
    }
    let long = [&filter.actor_id, &filter.resource_type, &filter.resource_id]
        .into_iter()
        .flatten()
        .chain(&filter.event_types)
        .any(|v| v.chars().count() > MAX_ID_CHARS);
    if long {
        return Err(DomainError::bad_input(
            "filter",
            format!("Filter values are at most {MAX_ID_CHARS} characters"),
        ));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(DomainError::bad_input(
            "to",
            "The end must come after the start",
        ));
    }
    Ok(())
}

/// The events matching `filter`, unordered; refuses a bad filter.
pub(super) fn select(filter: &AuditFilter) -> Result<Select<audit_event::Entity>> {
    check_filter(filter)?;
    let mut query = audit_event::Entity::find();
    if let Some(actor) = &filter.actor_id {
        query = query.filter(audit_event::Column::ActorId.eq(actor.trim().to_ascii_uppercase()));
    }
    if !filter.event_types.is_empty() {
        query = query.filter(audit_event::Column::EventType.is_in(filter.event_types.clone()));
    }
    if let Some(kind) = &filter.resource_type {
        query = query.filter(audit_event::Column::ResourceType.eq(kind.as_str()));
    }
    if let Some(id) = &filter.resource_id {
        query = query.filter(audit_event::Column::ResourceId.eq(id.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_event::Column::OccurredAt.lt(to));
    }
    if let Some(user_id) = &filter.involving {
        query = query.filter(
            Condition::any()
                .add(audit_event::Column::ActorId.eq(user_id.as_str()))
                .add(audit_event::Column::SubjectId.eq(user_id.as_str())),
        );
    }
    Ok(query)
}

/// Names the users a page mentions, a few queries per page.
pub(super) async fn named(
    db: &impl ConnectionTrait,
    events: Vec<audit_event::Model>,
) -> Result<Vec<EventView>> {
    let ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.actor_id.clone())
        .chain(
            events
                .iter()
                .filter(|e| e.resource_type.as_deref() == Some("user"))
                .filter_map(|e| e.resource_id.clone()),
        )
        .collect();
    let users = super::users::names(db, ids).await?;
    Ok(events
        .into_iter()
        .map(|event| {
            let actor_name = event.actor_id.as_ref().map(|id| {
                users
                    .get(id)
                    .cloned()
                    .or_else(|| event.actor_username.clone())
                    .unwrap_or_else(|| DELETED_USER.to_string())
            });
            let resource_name = match (&event.resource_type, &event.resource_id) {
                (Some(kind), Some(id)) if kind == "user" => users.get(id).cloned(),
                _ => None,
            };
            EventView {
                event,
                actor_name,
                resource_name,
            }
        })
        .collect())
}
