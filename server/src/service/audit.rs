//! The audit trail (SPEC §9): events are collected by the unit of work
//! (`service::work`), inserted in the transaction of the change they
//! describe with the hash that `service::audit_chain` later seals, and
//! logged as one structured line once it commits.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde_json::{Value, json};

use super::actor::{Actor, Principal};
use super::audit_chain::ChainDigest;
use crate::entity::audit_event;
use crate::error::Result;

/// One thing that happened, before it is stored.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub event_type: &'static str,
    pub resource_type: Option<&'static str>,
    pub resource_id: Option<String>,
    pub details: Value,
}

impl AuditEvent {
    pub fn new(event_type: &'static str) -> Self {
        Self {
            event_type,
            resource_type: None,
            resource_id: None,
            details: json!({}),
        }
    }

    pub fn resource(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.resource_type = Some(kind);
        self.resource_id = Some(id.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// The user an event is about: a user resource, or the `user_id` its
/// details name (a session or token revoked, a membership changed, a denial
/// on a user). Stored as `subject_id`, so one user's activity is an index
/// lookup.
pub fn subject(event: &audit_event::Model) -> Option<String> {
    match (event.resource_type.as_deref(), &event.resource_id) {
        (Some("user"), Some(id)) => Some(id.clone()),
        _ => event
            .details
            .get("user_id")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// An event as stored, for the log line that follows its commit.
pub type Stored = audit_event::Model;

/// Inserts the events, each with the actor it names, in `txn`: the change
/// and its events commit together or not at all (`service::work`).
pub async fn insert(
    txn: &DatabaseTransaction,
    digest: &ChainDigest,
    events: &[(Actor, AuditEvent)],
    now: DateTime<Utc>,
) -> Result<Vec<Stored>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    // Both databases keep microseconds; the hash covers what is kept.
    let now = now.trunc_subsecs(6);
    // Ids increase in the order the events happened, also within one
    // millisecond, so a listing by (time, id) keeps that order.
    let mut ids = ulid::Generator::new();
    let rows: Vec<Stored> = events
        .iter()
        .map(|(actor, event)| {
            let (actor_id, actor_username) = match &actor.principal {
                Principal::User { id, username, .. } => (Some(id.clone()), Some(username.clone())),
                Principal::Operator | Principal::Anonymous => (None, None),
            };
            let mut row = audit_event::Model {
                id: ids
                    .generate()
                    .map_or_else(|_| crate::domain::new_id(), |id| id.to_string()),
                occurred_at: now,
                actor_id,
                actor_username,
                channel: actor.channel.as_str().to_string(),
                event_type: event.event_type.to_string(),
                resource_type: event.resource_type.map(str::to_string),
                resource_id: event.resource_id.clone(),
                ip_address: actor.ip.clone(),
                user_agent: actor.user_agent.clone(),
                details: event.details.clone(),
                row_hash: None,
                seq: None,
                chain_hash: None,
                subject_id: None,
            };
            row.subject_id = subject(&row);
            row.row_hash = Some(digest.row(&row));
            row
        })
        .collect();
    // In parts: one statement holds at most 65,535 parameters on Postgres
    // and 32,766 on SQLite, and a bulk change records an event per entry.
    for part in rows.chunks(INSERT_ROWS) {
        audit_event::Entity::insert_many(part.iter().cloned().map(audit_event::ActiveModel::from))
            .exec(txn)
            .await?;
    }
    Ok(rows)
}

/// Events per `INSERT` (14 parameters each).
const INSERT_ROWS: usize = 1_000;

/// Counts committed events for `/metrics`: every event by type, and the
/// organization changes and provisioned users among them. Event types are
/// Roster's own names, so the labels stay few.
pub fn count(events: &[Stored]) {
    for event in events {
        let kind = event.event_type.as_str();
        metrics::counter!("roster_audit_events_total", "event_type" => kind.to_string())
            .increment(1);
        let change = match kind {
            "org.created" => Some("created"),
            "org.updated" => Some("updated"),
            "org.deleted" => Some("deleted"),
            "membership.added" => Some("member_added"),
            "membership.removed" => Some("member_removed"),
            _ => None,
        };
        if let Some(change) = change {
            metrics::counter!("roster_organization_changes_total", "change" => change).increment(1);
        }
        let method = match kind {
            "user.created" => Some("created"),
            "user.invited" => Some("invited"),
            "user.provisioned" => Some("oidc"),
            _ => None,
        };
        if let Some(method) = method {
            metrics::counter!("roster_users_provisioned_total", "method" => method).increment(1);
        }
    }
}

/// One structured log line per committed event.
pub fn log(events: &[Stored]) {
    for event in events {
        tracing::info!(
            target: "roster::audit",
            id = %event.id,
            timestamp = %event.occurred_at.to_rfc3339(),
            user_id = event.actor_id.as_deref().unwrap_or(""),
            username = event.actor_username.as_deref().unwrap_or(""),
            channel = event.channel.as_str(),
            event_type = event.event_type.as_str(),
            resource_type = event.resource_type.as_deref().unwrap_or(""),
            resource_id = event.resource_id.as_deref().unwrap_or(""),
            ip_address = event.ip_address.as_deref().unwrap_or(""),
            details = %event.details,
            "audit"
        );
    }
}
