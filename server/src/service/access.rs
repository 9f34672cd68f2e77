//! Who is acting, and the one decision point for what they may do (SPEC §3).

use std::collections::BTreeSet;

use sea_orm::DatabaseConnection;
use serde_json::json;

pub use super::actor::{Actor, Principal};
use super::audit::{self, AuditEvent};
use crate::error::{DomainError, Result};

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

/// Acting on the account of `target_id` with `permission` (`users:manage`,
/// `tokens:manage`): the permission, or being that user when `allow_self`,
/// and every permission the target holds (nobody manages someone more
/// powerful).
pub async fn require_manager_of(
    db: &DatabaseConnection,
    enforce: bool,
    actor: &Actor,
    permission: &str,
    target_id: &str,
    action: &str,
    allow_self: bool,
) -> Result<()> {
    let owner = allow_self.then_some(target_id);
    require(db, enforce, actor, permission, owner).await?;
    require_superset_of(db, enforce, actor, target_id, action).await
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
    let held = super::roles::catalog::permissions_of_user(db, target_id).await?;
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
