//! Who is acting, and the one decision point for what they may do (SPEC §3).

use std::collections::BTreeSet;

use serde_json::json;

pub use super::actor::{Actor, Principal};
use super::audit::AuditEvent;
use super::work::Work;
use crate::error::{DomainError, Result};

/// SPEC §3's `require_permission`: passes when allowed; otherwise records a
/// `permission.denied` event and, when enforcement is on, fails with
/// `FORBIDDEN`. In permissive mode the would-be denial is recorded and allowed.
pub fn require(work: &Work, permission: &str, owner_id: Option<&str>) -> Result<()> {
    if work.actor().has_permission(permission, owner_id) {
        return Ok(());
    }
    deny(work, &[permission], json!({}))
}

/// SPEC §3's question asked by a downstream service ("may the current user
/// do this?"): the answer, without failing. In permissive mode a would-be
/// denial is recorded and answered yes; with enforcement it is answered no.
pub fn answer(work: &Work, permission: &str, owner_id: Option<&str>) -> bool {
    if work.actor().has_permission(permission, owner_id) {
        return true;
    }
    if work.app().config.flags.enforce {
        return false;
    }
    // Permissive mode: the would-be denial is recorded, and allowed.
    deny(work, &[permission], json!({})).is_ok()
}

/// Creating users needs `users:manage` (and, when roles are granted, their
/// permissions: `require_all`); the CLI asks this before prompting for the
/// new user's password.
pub fn require_user_manager(work: &Work) -> Result<()> {
    require(work, "users:manage", None)
}

/// Reading a user's account (their profile, quotas): `users:read`, or being
/// that user.
pub fn require_user_reader(work: &Work, user_id: &str) -> Result<()> {
    require(work, "users:read", Some(user_id))
}

/// Passes when the actor holds at least one of `permissions` (e.g. reading
/// the role catalogue: `users:read` or `roles:manage`).
pub fn require_any(work: &Work, permissions: &[&str]) -> Result<()> {
    if permissions
        .iter()
        .any(|p| work.actor().has_permission(p, None))
    {
        return Ok(());
    }
    deny(work, permissions, json!({ "any_of": permissions }))
}

/// Acting on the account of `target_id` with `permission` (`users:manage`,
/// `tokens:manage`): the permission, or being that user when `allow_self`,
/// and every permission the target holds (nobody manages someone more
/// powerful).
pub async fn require_manager_of(
    work: &Work,
    permission: &str,
    target_id: &str,
    action: &str,
    allow_self: bool,
) -> Result<()> {
    let owner = allow_self.then_some(target_id);
    require(work, permission, owner)?;
    require_superset_of(work, target_id, action).await
}

/// Nobody manages someone more powerful: acting on another user's account
/// (their profile, lifecycle, sessions, tokens, quotas) also needs every
/// permission that user holds. Acting on oneself passes.
pub async fn require_superset_of(work: &Work, target_id: &str, action: &str) -> Result<()> {
    if work.actor().user_id() == Some(target_id) {
        return Ok(());
    }
    let held = super::roles::catalog::permissions_of_user(work.db().await?, target_id).await?;
    require_all(
        work,
        &held,
        json!({ "action": action, "user_id": target_id }),
    )
}

/// No escalation (SPEC §3): granting roles needs every permission they hold.
pub fn require_all(
    work: &Work,
    permissions: &BTreeSet<String>,
    context: serde_json::Value,
) -> Result<()> {
    let missing = work.actor().missing(permissions.iter().map(String::as_str));
    if missing.is_empty() {
        return Ok(());
    }
    deny(work, &missing, context)
}

/// Records the denial (whatever the work's outcome) and, when enforcement
/// is on, fails with `FORBIDDEN`.
fn deny(work: &Work, missing: &[&str], context: serde_json::Value) -> Result<()> {
    let enforce = work.app().config.flags.enforce;
    let event = AuditEvent::new("permission.denied").details(json!({
        "permissions": missing,
        "enforced": enforce,
        "context": context,
    }));
    work.record_denial(event);
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
