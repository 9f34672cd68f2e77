//! Who is acting, and the one decision point for what they may do (SPEC §3).

use std::collections::BTreeSet;

use sea_orm::DatabaseConnection;
use serde_json::json;

use super::audit::{self, AuditEvent};
use crate::domain::Channel;
use crate::error::{DomainError, Result};

/// The identity behind an action.
#[derive(Debug, Clone)]
pub enum Principal {
    /// Someone with shell access to the server and its database, running an
    /// operator command of the CLI. They could edit the database directly, so
    /// Roster checks nothing, but still records what they do.
    Operator,
    /// Nobody signed in: a login, a password-reset request, an invitation
    /// being accepted before it is. Holds no permission at all.
    Anonymous,
    /// An authenticated Roster user with their effective permissions.
    User {
        id: String,
        username: String,
        permissions: BTreeSet<String>,
    },
}

/// The acting principal and where the action came from.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub channel: Channel,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// The operator at the server's command line.
    pub fn cli_operator() -> Self {
        Self {
            principal: Principal::Operator,
            channel: Channel::Cli,
            ip: None,
            user_agent: None,
        }
    }

    /// A caller over the API who has not authenticated.
    pub fn anonymous(ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            principal: Principal::Anonymous,
            channel: Channel::Api,
            ip,
            user_agent,
        }
    }

    pub fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::Operator | Principal::Anonymous => None,
        }
    }

    /// SPEC §3's `has_permission`: true when a role grants `permission`, or
    /// when `owner_id` is the actor's own id.
    pub fn has_permission(&self, permission: &str, owner_id: Option<&str>) -> bool {
        match &self.principal {
            Principal::Operator => true,
            Principal::Anonymous => false,
            Principal::User {
                id, permissions, ..
            } => permissions.contains(permission) || owner_id.is_some_and(|owner| owner == id),
        }
    }

    /// The permissions in `wanted` that the actor lacks.
    pub fn missing<'a>(&self, wanted: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        wanted
            .into_iter()
            .filter(|p| !self.has_permission(p, None))
            .collect()
    }
}

/// SPEC §3's `require_permission`: passes when allowed; otherwise records a
/// `permission.denied` event and, when enforcement is on, fails with
/// `FORBIDDEN`. In permissive mode the would-be denial is recorded and allowed.
pub async fn require(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    permission: &str,
    owner_id: Option<&str>,
) -> Result<()> {
    if actor.has_permission(permission, owner_id) {
        return Ok(());
    }
    deny(db, enforce, actor, &[permission], json!({})).await
}

/// SPEC §3's question asked by a downstream service ("may the current user
/// do this?"): the answer, without failing. In permissive mode a would-be
/// denial is recorded and answered yes; with enforcement it is answered no.
pub async fn answer(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    permission: &str,
    owner_id: Option<&str>,
) -> Result<bool> {
    if actor.has_permission(permission, owner_id) {
        return Ok(true);
    }
    if enforce {
        return Ok(false);
    }
    require(db, false, actor, permission, owner_id).await?;
    Ok(true)
}

/// Creating users needs `users:manage` (and, when roles are granted, their
/// permissions: `require_all`); the CLI asks this before prompting for the
/// new user's password.
pub async fn require_user_manager(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
) -> Result<()> {
    require(db, enforce, actor, "users:manage", None).await
}

/// Reading a user's account (their profile, quotas): `users:read`, or being
/// that user.
pub async fn require_user_reader(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    user_id: &str,
) -> Result<()> {
    require(db, enforce, actor, "users:read", Some(user_id)).await
}

/// Passes when the actor holds at least one of `permissions` (e.g. reading
/// the role catalogue: `users:read` or `roles:manage`).
pub async fn require_any(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    permissions: &[&str],
) -> Result<()> {
    if permissions.iter().any(|p| actor.has_permission(p, None)) {
        return Ok(());
    }
    deny(
        db,
        enforce,
        actor,
        permissions,
        json!({ "any_of": permissions }),
    )
    .await
}

/// Nobody manages someone more powerful: acting on another user's account
/// (their profile, lifecycle, sessions, tokens, quotas) also needs every
/// permission that user holds. Acting on oneself passes.
pub async fn require_superset_of(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    target_id: &str,
    action: &str,
) -> Result<()> {
    if actor.user_id() == Some(target_id) {
        return Ok(());
    }
    let held = super::roles::permissions_of_user(db, target_id).await?;
    require_all(
        db,
        enforce,
        actor,
        &held,
        json!({ "action": action, "user_id": target_id }),
    )
    .await
}

/// No escalation (SPEC §3): granting roles needs every permission they hold.
pub async fn require_all(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    permissions: &BTreeSet<String>,
    context: serde_json::Value,
) -> Result<()> {
    let missing = actor.missing(permissions.iter().map(String::as_str));
    if missing.is_empty() {
        return Ok(());
    }
    deny(db, enforce, actor, &missing, context).await
}

async fn deny(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    missing: &[&str],
    context: serde_json::Value,
) -> Result<()> {
    let event = AuditEvent::new("permission.denied").details(json!({
        "permissions": missing,
        "enforced": enforce,
        "context": context,
    }));
    audit::record(db, actor, vec![event]).await?;
    metrics::counter!(
        "roster_permission_denied_total",
        "enforced" => if enforce { "true" } else { "false" }
    )
    .increment(1);
    if enforce {
        Err(DomainError::forbidden())
    } else {
        tracing::warn!(permissions = ?missing, "permissive mode: allowing a denied action");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(perms: &[&str]) -> Actor {
        Actor {
            principal: Principal::User {
                id: "U1".into(),
                username: "jane".into(),
                permissions: perms.iter().map(|p| p.to_string()).collect(),
            },
            channel: Channel::Api,
            ip: None,
            user_agent: None,
        }
    }

    #[test]
    fn roles_grant_permissions() {
        let a = user(&["users:read"]);
        assert!(a.has_permission("users:read", None));
        assert!(!a.has_permission("users:manage", None));
    }

    #[test]
    fn owners_manage_what_they_own() {
        let a = user(&[]);
        assert!(a.has_permission("bookmarks:manage", Some("U1")));
        assert!(!a.has_permission("bookmarks:manage", Some("U2")));
    }

    #[test]
    fn the_operator_may_do_anything() {
        assert!(Actor::cli_operator().has_permission("system:manage", None));
    }

    #[test]
    fn anonymous_callers_hold_nothing_and_own_nothing() {
        let a = Actor::anonymous(Some("10.0.0.1".into()), None);
        for p in ["users:read", "system:manage", "tokens:manage"] {
            assert!(!a.has_permission(p, None), "{p}");
        }
        assert!(!a.has_permission("bookmarks:manage", Some("U1")));
        assert_eq!(a.user_id(), None);
        assert_eq!(a.channel, Channel::Api);
        assert_eq!(a.missing(["users:read"]), vec!["users:read"]);
    }

    #[test]
    fn missing_lists_exactly_what_is_lacking() {
        let a = user(&["users:read"]);
        assert_eq!(
            a.missing(["users:read", "users:manage", "system:manage"]),
            vec!["users:manage", "system:manage"]
        );
    }
}
