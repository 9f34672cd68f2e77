//! A user's roles: [`set_roles`] replaces them, and the helpers that grant
//! roles and name the permissions they carry, shared with user creation.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::lifecycle::ensure_not_last_superuser;
use super::lookup::{find, view};
use super::{UserKey, UserView};
use crate::domain::{Permission, RoleName, RoleSource};
use crate::entity::{user, user_role};
use crate::error::{DomainError, Result};
use crate::service::audit::AuditEvent;
use crate::service::policy;
use crate::service::roles::{self, RoleWithPermissions};
use crate::service::work::Work;

/// Replaces a user's roles with exactly `names` (all `manual`).
pub async fn set_roles(work: &Work, key: &UserKey, names: &[RoleName]) -> Result<UserView> {
    if names.is_empty() {
        return Err(DomainError::bad_input(
            "roles",
            "At least one role is required",
        ));
    }
    let txn = work.db().await?;
    let target = find(txn, key).await?;
    let wanted = roles::resolve(txn, &work.app().config.role_aliases, names).await?;
    let current = roles::of_user(txn, &target.id).await?;
    let before = role_names(&current);
    let added: Vec<RoleWithPermissions> = wanted
        .iter()
        .filter(|w| !current.iter().any(|c| c.role.id == w.role.id))
        .cloned()
        .collect();
    let removed: Vec<RoleWithPermissions> = current
        .iter()
        .filter(|c| !wanted.iter().any(|w| w.role.id == c.role.id))
        .cloned()
        .collect();
    // Granting or taking away a role both need every permission it holds.
    policy::require_user_manager(work)?;
    let mut touched = permissions_of(&added);
    touched.extend(permissions_of(&removed));
    policy::require_grant(
        work,
        &touched,
        json!({ "action": "user.set_roles", "user_id": target.id, "roles": role_names(&wanted) }),
    )?;

    let now = work.now();
    if removed.iter().any(|r| r.role.name == roles::SUPERUSER) {
        ensure_not_last_superuser(txn, &target.id, "demote").await?;
    }
    let keep: Vec<String> = wanted.iter().map(|r| r.role.id.clone()).collect();
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(target.id.as_str()))
        .filter(user_role::Column::RoleId.is_not_in(keep))
        .exec(txn)
        .await?;
    let by = work.actor().user_id();
    assign_roles(txn, &target.id, &added, RoleSource::Manual, by, now).await?;
    user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(target.id.as_str()))
        .exec(txn)
        .await?;
    let updated = view(txn, find(txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.updated")
        .resource("user", &target.id)
        .details(json!({
            "changed_fields": ["roles"],
            "old_values": { "roles": before },
            "new_values": { "roles": updated.roles },
        }));
    work.record(event);
    Ok(updated)
}

/// Grants the user `granted` (roles they do not hold yet), marked `source`,
/// by the user `by` (`None`: the system).
pub(super) async fn assign_roles(
    txn: &DatabaseTransaction,
    user_id: &str,
    granted: &[RoleWithPermissions],
    source: RoleSource,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    if granted.is_empty() {
        return Ok(());
    }
    let rows = granted.iter().map(|r| user_role::ActiveModel {
        user_id: Set(user_id.to_string()),
        role_id: Set(r.role.id.clone()),
        source: Set(source.as_str().to_string()),
        created_at: Set(now),
        granted_by: Set(by.map(str::to_string)),
    });
    user_role::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

/// Every permission the roles hold.
pub(super) fn permissions_of(roles: &[RoleWithPermissions]) -> BTreeSet<Permission> {
    roles
        .iter()
        .flat_map(|r| r.permissions.iter().copied())
        .collect()
}

/// The roles' names, in the order given.
pub(super) fn role_names(roles: &[RoleWithPermissions]) -> Vec<String> {
    roles.iter().map(|r| r.role.name.clone()).collect()
}
