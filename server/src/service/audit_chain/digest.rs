//! The two hashes of the chain: an event's `row_hash` over its content, and
//! its `chain_hash` over the previous link and its own `row_hash`. HMAC-SHA-256
//! under `AUDIT_CHAIN_KEY` when one is configured, else SHA-256. Each field
//! is framed (present or not, then its length), so no two different events
//! hash the same bytes; the details are written as canonical JSON (keys
//! sorted at every level), so a database that reorders JSON keys (Postgres
//! `jsonb`) keeps the hash.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::Secret;
use crate::entity::audit_event;

/// The hash function of the chain, keyed or not.
#[derive(Clone)]
pub struct ChainDigest {
    key: Option<Secret>,
}

/// A hasher that is either plain SHA-256 or HMAC-SHA-256.
enum Hasher {
    Plain(Sha256),
    Keyed(Hmac<Sha256>),
}

impl Hasher {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Plain(h) => h.update(bytes),
            Self::Keyed(h) => h.update(bytes),
        }
    }

    fn hex(self) -> String {
        match self {
            Self::Plain(h) => hex::encode(h.finalize()),
            Self::Keyed(h) => hex::encode(h.finalize().into_bytes()),
        }
    }
}

impl ChainDigest {
    pub fn new(key: Option<Secret>) -> Self {
        Self { key }
    }

    fn hasher(&self, domain: &[u8]) -> Hasher {
        let mut hasher = match self
            .key
            .as_ref()
            .and_then(|k| Hmac::<Sha256>::new_from_slice(k.expose().as_bytes()).ok())
        {
            Some(mac) => Hasher::Keyed(mac),
            None => Hasher::Plain(Sha256::new()),
        };
        hasher.update(domain);
        hasher
    }

    /// The `row_hash` of an event: over every field Roster writes.
    pub fn row(&self, event: &audit_event::Model) -> String {
        let mut h = self.hasher(b"roster-audit-row-v1\0");
        let mut field = |value: Option<&str>| match value {
            None => h.update(&[0]),
            Some(v) => {
                h.update(&[1]);
                h.update(&(v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
        };
        field(Some(&event.id));
        field(Some(&timestamp(event.occurred_at)));
        field(event.actor_id.as_deref());
        field(event.actor_username.as_deref());
        field(Some(&event.channel));
        field(Some(&event.event_type));
        field(event.resource_type.as_deref());
        field(event.resource_id.as_deref());
        field(event.ip_address.as_deref());
        field(event.user_agent.as_deref());
        let mut details = String::new();
        canonical(&event.details, &mut details);
        field(Some(&details));
        h.hex()
    }

    /// A value only this key (or no key) gives: recorded by the first seal,
    /// so a process with another key is stopped before it writes.
    pub fn key_check(&self) -> String {
        let mut h = self.hasher(b"roster-audit-key-check-v1\0");
        h.update(b"key check");
        h.hex()
    }

    /// The `chain_hash` of the event at `seq` whose `row_hash` is `row`,
    /// after the link `previous`.
    pub fn link(&self, previous: &str, seq: i64, row: &str) -> String {
        let mut h = self.hasher(b"roster-audit-link-v1\0");
        h.update(previous.as_bytes());
        h.update(&seq.to_le_bytes());
        h.update(row.as_bytes());
        h.hex()
    }
}

/// How an event's time is hashed: microseconds, as both databases keep it
/// (`service::audit::insert` stores no finer time).
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `value` as JSON with the keys of every object sorted.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> audit_event::Model {
        audit_event::Model {
            id: "01J".into(),
            occurred_at: DateTime::parse_from_rfc3339("2026-02-05T14:30:00.123456Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            actor_id: Some("u1".into()),
            actor_username: Some("admin".into()),
            channel: "api".into(),
            event_type: "user.updated".into(),
            resource_type: Some("user".into()),
            resource_id: Some("u2".into()),
            ip_address: None,
            user_agent: None,
            details: json!({"b": 1, "a": {"y": [1, 2], "x": "é"}}),
            row_hash: None,
            seq: None,
            chain_hash: None,
            subject_id: None,
        }
    }

    #[test]
    fn any_change_of_content_changes_the_row_hash() {
        let d = ChainDigest::new(None);
        let base = d.row(&event());
        let mut e = event();
        e.details = json!({"a": {"x": "é", "y": [1, 2]}, "b": 1});
        assert_eq!(d.row(&e), base, "key order does not matter");
        type Edit = Box<dyn Fn(&mut audit_event::Model)>;
        let edits: Vec<Edit> = vec![
            Box::new(|e| e.actor_username = Some("root".into())),
            Box::new(|e| e.actor_id = None),
            Box::new(|e| e.ip_address = Some(String::new())),
            Box::new(|e| e.event_type = "user.created".into()),
            Box::new(|e| e.details = json!({"b": 2, "a": {"y": [1, 2], "x": "é"}})),
            Box::new(|e| e.occurred_at += chrono::Duration::microseconds(1)),
            // Moving bytes between fields is caught by the framing.
            Box::new(|e| {
                e.actor_id = Some("u1admin".into());
                e.actor_username = Some(String::new());
            }),
        ];
        for edit in edits {
            let mut e = event();
            edit(&mut e);
            assert_ne!(d.row(&e), base);
        }
    }

    #[test]
    fn a_key_changes_every_hash() {
        let plain = ChainDigest::new(None);
        let keyed = ChainDigest::new(Some(Secret::new("k".repeat(32))));
        let other = ChainDigest::new(Some(Secret::new("j".repeat(32))));
        assert_ne!(plain.row(&event()), keyed.row(&event()));
        assert_ne!(keyed.row(&event()), other.row(&event()));
        assert_ne!(plain.link("0", 1, "r"), keyed.link("0", 1, "r"));
        assert_ne!(keyed.link("0", 1, "r"), keyed.link("0", 2, "r"));
        assert_eq!(keyed.link("0", 1, "r").len(), 64);
    }
}
