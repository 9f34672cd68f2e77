//! Following the audit log live (`subscription { auditEvents }`): who may
//! start and keep watching, which sealed events a watcher's filter keeps,
//! and the events as shown. The events themselves come from this process's
//! feed (`audit_chain::feed`).

use super::audit_log::{self, AuditFilter, EventView, check_filter};
use super::policy;
use super::work::Work;
use crate::entity::audit_event;
use crate::error::Result;

/// Whether the work's actor may watch with `filter` (`audit:read`); a bad
/// filter is refused before anything is watched. The answer is the chain's
/// head: the watcher is shown the events sealed after it.
pub async fn start(work: &Work, filter: &AuditFilter) -> Result<i64> {
    policy::require_audit_reader(work)?;
    check_filter(filter)?;
    super::audit_chain::head(work.db().await?).await
}

/// Whether a watcher that began at `head` and watches with `filter` is
/// shown `event`.
pub fn shown(filter: &AuditFilter, head: i64, event: &audit_event::Model) -> bool {
    event.seq.is_some_and(|seq| seq > head) && matches(filter, event)
}

/// Whether `event` passes `filter`: the same rules as a listing's.
pub fn matches(filter: &AuditFilter, event: &audit_event::Model) -> bool {
    let eq = |want: &Option<String>, have: &Option<String>| {
        want.as_ref()
            .is_none_or(|w| have.as_deref() == Some(w.as_str()))
    };
    let actor = filter
        .actor_id
        .as_ref()
        .map(|a| a.trim().to_ascii_uppercase());
    let involving = filter.involving.as_ref().is_none_or(|user| {
        event.actor_id.as_ref() == Some(user) || event.subject_id.as_ref() == Some(user)
    });
    eq(&actor, &event.actor_id)
        && (filter.event_types.is_empty() || filter.event_types.contains(&event.event_type))
        && eq(&filter.resource_type, &event.resource_type)
        && eq(&filter.resource_id, &event.resource_id)
        && filter.from.is_none_or(|from| event.occurred_at >= from)
        && filter.to.is_none_or(|to| event.occurred_at < to)
        && involving
}

/// `event` as shown, for a watcher who still holds `audit:read`.
pub async fn show(work: &Work, event: audit_event::Model) -> Result<EventView> {
    policy::require_audit_reader(work)?;
    let mut named = audit_log::named(work.db().await?, vec![event]).await?;
    named.pop().ok_or_else(|| {
        crate::error::DomainError::Internal(anyhow::anyhow!("an event vanished while named"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(
        actor: Option<&str>,
        kind: &str,
        resource: Option<(&str, &str)>,
    ) -> audit_event::Model {
        let mut event = audit_event::Model {
            id: "01J".into(),
            occurred_at: chrono::DateTime::parse_from_rfc3339("2026-02-05T14:30:00Z")
                .map(|d| d.with_timezone(&chrono::Utc))
                .unwrap_or_default(),
            actor_id: actor.map(str::to_string),
            actor_username: None,
            channel: "api".into(),
            event_type: kind.into(),
            resource_type: resource.map(|r| r.0.to_string()),
            resource_id: resource.map(|r| r.1.to_string()),
            ip_address: None,
            user_agent: None,
            details: json!({}),
            row_hash: None,
            seq: None,
            chain_hash: None,
            subject_id: None,
        };
        event.subject_id = crate::service::audit::subject(&event);
        event
    }

    #[test]
    fn every_field_of_the_filter_narrows() {
        let e = event(Some("U1"), "user.updated", Some(("user", "U2")));
        let all = AuditFilter::default();
        assert!(matches(&all, &e));
        let by = |f: AuditFilter| matches(&f, &e);
        assert!(by(AuditFilter {
            actor_id: Some(" u1 ".into()),
            ..all.clone()
        }));
        assert!(!by(AuditFilter {
            actor_id: Some("U2".into()),
            ..all.clone()
        }));
        assert!(by(AuditFilter {
            event_types: vec!["x".into(), "user.updated".into()],
            ..all.clone()
        }));
        assert!(!by(AuditFilter {
            event_types: vec!["user.created".into()],
            ..all.clone()
        }));
        assert!(!by(AuditFilter {
            resource_type: Some("organization".into()),
            ..all.clone()
        }));
        assert!(by(AuditFilter {
            resource_id: Some("U2".into()),
            ..all.clone()
        }));
        assert!(by(AuditFilter {
            involving: Some("U2".into()),
            ..all.clone()
        }));
        assert!(by(AuditFilter {
            involving: Some("U1".into()),
            ..all.clone()
        }));
        assert!(!by(AuditFilter {
            involving: Some("U3".into()),
            ..all.clone()
        }));
        let at = e.occurred_at;
        assert!(by(AuditFilter {
            from: Some(at),
            ..all.clone()
        }));
        assert!(!by(AuditFilter {
            to: Some(at),
            ..all.clone()
        }));
        assert!(!matches(
            &AuditFilter {
                actor_id: Some("U1".into()),
                ..all
            },
            &event(None, "user.login", None)
        ));
    }
}
