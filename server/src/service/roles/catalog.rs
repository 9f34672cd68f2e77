//! The role catalogue as stored: roles with their permissions, who holds
//! which, ranked most powerful first. Reads only, no access checks: the
//! decisions built on it live in `service::policy`.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::{Permission, RoleAliases, RoleName};
use crate::entity::{role, role_permission, user_role};
use crate::error::{DomainError, Result};

use super::builtin::BUILTIN_ROLES;

/// A role with the permissions it grants.
#[derive(Debug, Clone)]
pub struct RoleWithPermissions {
    pub role: role::Model,
    pub permissions: BTreeSet<Permission>,
}

/// Ranks built-in roles first, most powerful first, then custom roles by name.
pub fn rank(name: &str) -> (usize, String) {
    let position = BUILTIN_ROLES
        .iter()
        .position(|r| r.name == name)
        .unwrap_or(BUILTIN_ROLES.len());
    (position, name.to_string())
}

/// Every role, built-ins first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<RoleWithPermissions>> {
    let rows = role::Entity::find()
        .find_with_related(role_permission::Entity)
        .all(db)
        .await?;
    Ok(ranked(rows))
}

fn ranked(rows: Vec<(role::Model, Vec<role_permission::Model>)>) -> Vec<RoleWithPermissions> {
    let mut roles: Vec<RoleWithPermissions> = rows
        .into_iter()
        .map(|(role, perms)| RoleWithPermissions {
            role,
            permissions: Permission::from_stored(perms.iter().map(|p| p.permission.as_str()))
                .into_iter()
                .collect(),
        })
        .collect();
    roles.sort_by_key(|r| rank(&r.role.name));
    roles
}

/// Resolves role names, each read through the aliases (`ROLE_ALIASES`)
/// first, failing with every unknown name and the known ones.
pub async fn resolve(
    db: &impl ConnectionTrait,
    aliases: &RoleAliases,
    names: &[RoleName],
) -> Result<Vec<RoleWithPermissions>> {
    let all = list(db).await?;
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        // A role's own name wins over an alias of the same name.
        let exact = all.iter().find(|r| r.role.name == name.as_str());
        let canonical = aliases.canonical(name);
        match exact.or_else(|| all.iter().find(|r| r.role.name == canonical.as_str())) {
            Some(r) => {
                if !found
                    .iter()
                    .any(|f: &RoleWithPermissions| f.role.id == r.role.id)
                {
                    found.push(r.clone());
                }
            }
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        let available: Vec<&str> = all.iter().map(|r| r.role.name.as_str()).collect();
        return Err(DomainError::bad_input(
            "roles",
            format!(
                "Unknown role {}; available roles: {}",
                unknown
                    .iter()
                    .map(|u| format!("'{u}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                available.join(", ")
            ) + &aliases_said(aliases),
        ));
    }
    Ok(found)
}

/// ` (aliases: user=viewer)`, or nothing without aliases.
fn aliases_said(aliases: &RoleAliases) -> String {
    if aliases.is_empty() {
        String::new()
    } else {
        format!(" (aliases: {aliases})")
    }
}

/// Role names per user, each list in rank order.
pub async fn names_by_user(
    db: &impl ConnectionTrait,
    user_ids: &[String],
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if user_ids.is_empty() {
        return Ok(out);
    }
    let rows = user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(user_ids.iter().cloned()))
        .find_also_related(role::Entity)
        .all(db)
        .await?;
    for (assignment, role) in rows {
        if let Some(role) = role {
            out.entry(assignment.user_id).or_default().push(role.name);
        }
    }
    for names in out.values_mut() {
        names.sort_by_key(|n| rank(n));
    }
    Ok(out)
}

/// The roles a user holds, rank order, with their permissions (one query).
pub async fn of_user(db: &impl ConnectionTrait, user_id: &str) -> Result<Vec<RoleWithPermissions>> {
    let rows = role::Entity::find()
        .inner_join(user_role::Entity)
        .filter(user_role::Column::UserId.eq(user_id))
        .find_with_related(role_permission::Entity)
        .all(db)
        .await?;
    Ok(ranked(rows))
}

/// What a user's roles give them.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Role names, rank order.
    pub roles: Vec<String>,
    /// The union of the roles' permissions.
    pub permissions: BTreeSet<Permission>,
}

/// A user's roles and effective permissions, in one query.
pub async fn grants_of_user(db: &impl ConnectionTrait, user_id: &str) -> Result<Grants> {
    let roles = of_user(db, user_id).await?;
    Ok(Grants {
        roles: roles.iter().map(|r| r.role.name.clone()).collect(),
        permissions: roles.into_iter().flat_map(|r| r.permissions).collect(),
    })
}

/// The permissions a user holds through all their roles.
pub async fn permissions_of_user(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<BTreeSet<Permission>> {
    Ok(grants_of_user(db, user_id).await?.permissions)
}

/// The built-in role with this name; it exists in every migrated database.
pub async fn builtin(db: &impl ConnectionTrait, name: &str) -> Result<role::Model> {
    role::Entity::find()
        .filter(role::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::Internal(anyhow::anyhow!(
                "built-in role {name} is missing; run `roster ensure-defaults`"
            ))
        })
}
