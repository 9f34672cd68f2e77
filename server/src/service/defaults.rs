//! `roster ensure-defaults` (SPEC §3, §7): restores the built-in roles and
//! their permissions, the default organization and every user's membership
//! of it, in the caller's unit of work, with one `defaults.repaired` audit
//! event naming what was repaired (none when nothing drifted).

use roster_migration::seed::{self, Repairs};
use serde_json::json;

use super::audit::AuditEvent;
use super::policy;
use super::work::Work;
use crate::error::Result;

/// Repairs drift (`system:manage`); answers what was repaired.
pub async fn ensure(work: &Work) -> Result<Repairs> {
    policy::require_system_manager(work)?;
    let repairs = seed::ensure_defaults(work.db().await?).await?;
    if !repairs.is_empty() {
        work.record(AuditEvent::new("defaults.repaired").details(json!({
            "roles_created": repairs.roles_created,
            "roles_marked_builtin": repairs.roles_marked_builtin,
            "permissions_added": repairs.permissions_added,
            "permissions_removed": repairs.permissions_removed,
            "default_org_created": repairs.default_org_created,
            "default_org_restored": repairs.default_org_restored,
            "memberships_added": repairs.memberships_added,
        })));
    }
    Ok(repairs)
}
