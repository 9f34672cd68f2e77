//! Seed 004's admin audit log: one line per committed event,
//!
//! ```text
//! 2026-02-05T14:30:00Z [INFO] user_id=01HQABC... action=user.created target_user_id=01HQDEF... target_username=john_doe role=editor ip=192.168.1.100
//! ```
//!
//! appended to `AUDIT_LOG_FILE` when set, else printed on standard output by
//! `roster serve` (CLI commands keep their standard output for their own
//! answers). A line names ids, usernames, roles and the address, never a
//! secret or an email.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::audit::Stored;

/// Where the lines go.
#[derive(Clone, Default)]
pub enum AuditLines {
    /// Nowhere (a CLI command without `AUDIT_LOG_FILE`).
    #[default]
    Off,
    Stdout,
    File(Arc<Mutex<std::fs::File>>),
}

impl AuditLines {
    /// Appends to `path`, created when missing.
    pub fn file(path: &Path) -> anyhow::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open AUDIT_LOG_FILE {}: {e}", path.display()))?;
        Ok(Self::File(Arc::new(Mutex::new(file))))
    }

    /// Writes one line per event, on a blocking thread (a stalled pipe or
    /// disk never holds up the server's workers). A failed write is logged,
    /// never raised: the events are committed already.
    pub async fn write(&self, events: &[Stored]) {
        if events.is_empty() || matches!(self, Self::Off) {
            return;
        }
        let text: String = events.iter().map(|e| line(e) + "\n").collect();
        let sink = self.clone();
        let written = tokio::task::spawn_blocking(move || match sink {
            Self::Off => Ok(()),
            Self::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
            Self::File(file) => file
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .write_all(text.as_bytes()),
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "cannot write the audit log line"),
            Err(e) => tracing::error!(error = %e, "the audit log writer failed"),
        }
    }
}

/// `key=value`, the value quoted when it holds a space, a quote or `=`.
fn pair(key: &str, value: &str) -> String {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '=' || c.is_control())
    {
        format!("{key}={}", Value::from(value))
    } else {
        format!("{key}={value}")
    }
}

/// The roles an event names (`roles` or `new_values.roles`), comma-joined.
fn roles(details: &Value) -> Option<String> {
    let list = details
        .get("roles")
        .or_else(|| details.get("new_values").and_then(|n| n.get("roles")))?
        .as_array()?;
    let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
    (!names.is_empty()).then(|| names.join(","))
}

/// One event as seed 004's line.
pub fn line(event: &Stored) -> String {
    let level = match event.event_type.as_str() {
        "permission.denied" | "user.login_failed" => "WARN",
        _ => "INFO",
    };
    let mut parts = vec![
        event
            .occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        format!("[{level}]"),
        pair("user_id", event.actor_id.as_deref().unwrap_or("-")),
        pair("action", &event.event_type),
    ];
    match (event.resource_type.as_deref(), event.resource_id.as_deref()) {
        (Some("user"), Some(id)) => {
            parts.push(pair("target_user_id", id));
            if let Some(name) = event.details.get("username").and_then(Value::as_str) {
                parts.push(pair("target_username", name));
            }
        }
        (Some(kind), Some(id)) => parts.push(pair("resource", &format!("{kind}:{id}"))),
        _ => {}
    }
    if let Some(roles) = roles(&event.details) {
        parts.push(pair("role", &roles));
    }
    parts.push(pair("ip", event.ip_address.as_deref().unwrap_or("-")));
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, resource: Option<(&str, &str)>, details: Value) -> Stored {
        Stored {
            id: "01J".into(),
            occurred_at: chrono::DateTime::parse_from_rfc3339("2026-02-05T14:30:00.123Z")
                .map(|d| d.with_timezone(&chrono::Utc))
                .unwrap_or_default(),
            actor_id: Some("01HQABC".into()),
            actor_username: Some("admin".into()),
            channel: "api".into(),
            event_type: kind.into(),
            resource_type: resource.map(|r| r.0.to_string()),
            resource_id: resource.map(|r| r.1.to_string()),
            ip_address: Some("192.168.1.100".into()),
            user_agent: Some("curl/8".into()),
            details,
            row_hash: None,
            seq: None,
            chain_hash: None,
            subject_id: None,
        }
    }

    #[test]
    fn a_created_user_reads_as_the_seed_shows() {
        let created = event(
            "user.created",
            Some(("user", "01HQDEF")),
            json!({ "username": "john_doe", "email": "john@example.com", "roles": ["editor"] }),
        );
        assert_eq!(
            line(&created),
            "2026-02-05T14:30:00Z [INFO] user_id=01HQABC action=user.created \
             target_user_id=01HQDEF target_username=john_doe role=editor ip=192.168.1.100"
        );
    }

    #[test]
    fn other_resources_denials_and_odd_values() {
        let mut denied = event(
            "permission.denied",
            None,
            json!({ "permissions": ["users:manage"] }),
        );
        denied.actor_id = None;
        denied.ip_address = None;
        assert_eq!(
            line(&denied),
            "2026-02-05T14:30:00Z [WARN] user_id=- action=permission.denied ip=-"
        );
        let org = event("org.updated", Some(("organization", "01ORG")), json!({}));
        assert!(
            line(&org).contains(" resource=organization:01ORG "),
            "{}",
            line(&org)
        );
        let odd = event(
            "user.updated",
            Some(("user", "01X")),
            json!({ "username": "a b\"c" }),
        );
        assert!(
            line(&odd).contains(r#"target_username="a b\"c""#),
            "{}",
            line(&odd)
        );
        assert!(
            !line(&created_with_email()).contains('@'),
            "no email in a line"
        );
    }

    fn created_with_email() -> Stored {
        event(
            "user.invited",
            Some(("user", "01HQDEF")),
            json!({ "email": "john@example.com" }),
        )
    }
}
