//! The audit trail (SPEC §9): events are inserted in the transaction of the
//! change they describe, and logged as one structured line once it commits.

use sea_orm::{ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait};
use serde_json::{Value, json};

use super::actor::{Actor, Principal};
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

/// Events whose changes cannot end or narrow anyone's session or token; any
/// other committed event invalidates the credential cache of this process.
const KEEPS_CREDENTIALS: &[&str] = &[
    "user.login",
    "user.login_failed",
    "apikey.created",
    "permission.denied",
];

/// Inserts the events, commits the transaction, then logs them. Either the
/// change and its events are stored together, or neither is.
pub async fn commit(
    txn: DatabaseTransaction,
    actor: &Actor,
    events: Vec<AuditEvent>,
) -> Result<()> {
    let now = chrono::Utc::now();
    let (actor_id, actor_username) = match &actor.principal {
        Principal::User { id, username, .. } => (Some(id.clone()), Some(username.clone())),
        Principal::Operator | Principal::Anonymous => (None, None),
    };
    let ids: Vec<String> = events.iter().map(|_| crate::domain::new_id()).collect();
    if !events.is_empty() {
        let rows = events
            .iter()
            .zip(&ids)
            .map(|(event, id)| audit_event::ActiveModel {
                id: Set(id.clone()),
                occurred_at: Set(now),
                actor_id: Set(actor_id.clone()),
                actor_username: Set(actor_username.clone()),
                channel: Set(actor.channel.as_str().to_string()),
                event_type: Set(event.event_type.to_string()),
                resource_type: Set(event.resource_type.map(str::to_string)),
                resource_id: Set(event.resource_id.clone()),
                ip_address: Set(actor.ip.clone()),
                user_agent: Set(actor.user_agent.clone()),
                details: Set(event.details.clone()),
            });
        audit_event::Entity::insert_many(rows).exec(&txn).await?;
    }
    txn.commit().await?;
    if events
        .iter()
        .any(|e| !KEEPS_CREDENTIALS.contains(&e.event_type))
    {
        super::invalidation::invalidate_local();
    }
    for (event, id) in events.iter().zip(&ids) {
        tracing::info!(
            target: "roster::audit",
            id = %id,
            timestamp = %now.to_rfc3339(),
            user_id = actor_id.as_deref().unwrap_or(""),
            username = actor_username.as_deref().unwrap_or(""),
            channel = actor.channel.as_str(),
            event_type = event.event_type,
            resource_type = event.resource_type.unwrap_or(""),
            resource_id = event.resource_id.as_deref().unwrap_or(""),
            ip_address = actor.ip.as_deref().unwrap_or(""),
            details = %event.details,
            "audit"
        );
    }
    Ok(())
}

/// Records events that stand alone (a denial, a failed login) in their own
/// transaction.
pub async fn record(db: &DatabaseConnection, actor: &Actor, events: Vec<AuditEvent>) -> Result<()> {
    let txn = crate::db::begin(db).await?;
    commit(txn, actor, events).await
}
