//! Roles and their permissions (SPEC §3): the catalogue (`catalog`), and
//! custom roles created, changed and deleted by those who may.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::work::Work;
use crate::domain::{Permission, RoleName};
use crate::entity::{role, role_permission, user_role};
use crate::error::{DomainError, Result};

mod builtin;
pub mod catalog;

pub use builtin::{ADMIN, BUILTIN_ROLES, BuiltinRole, EDITOR, SUPERUSER, VIEWER};
pub use catalog::{
    Grants, RoleWithPermissions, builtin, grants_of_user, list, names_by_user, of_user,
    permissions_of_user, rank, resolve,
};

/// The role catalogue for someone who may see it: `users:read` (to read
/// who holds what) or `roles:manage`.
pub async fn list_for(work: &Work) -> Result<Vec<RoleWithPermissions>> {
    super::policy::require_role_reader(work)?;
    list(work.db().await?).await
}

/// Fails, at `serve`'s start, when an alias of `ROLE_ALIASES` names no
/// role or is itself a role's name: a runbook's `--role user` would fail
/// or mean two things.
pub async fn check_aliases(app: &crate::app::App) -> anyhow::Result<()> {
    let aliases = &app.config.role_aliases;
    if aliases.is_empty() {
        return Ok(());
    }
    let known = list(&app.db).await?;
    let exists = |name: &RoleName| known.iter().any(|r| r.role.name == name.as_str());
    for (alias, role) in aliases.iter() {
        if exists(alias) && aliases.is_default() {
            // A database that already has a role of that name keeps it.
            tracing::warn!(
                %alias, %role,
                "the default alias names an existing role, which wins; set ROLE_ALIASES to choose"
            );
            continue;
        }
        if exists(alias) {
            anyhow::bail!(
                "ROLE_ALIASES: {alias} is the name of a role, so it cannot be an alias of {role}"
            );
        }
        if !exists(role) {
            let available: Vec<&str> = known.iter().map(|r| r.role.name.as_str()).collect();
            anyhow::bail!(
                "ROLE_ALIASES: alias {alias} names role {role}, which does not exist; \
                 available roles: {}",
                available.join(", ")
            );
        }
    }
    tracing::info!(%aliases, "role aliases name known roles");
    Ok(())
}

/// A custom role's definition.
#[derive(Debug, Clone)]
pub struct RoleInput {
    pub description: String,
    pub permissions: Vec<String>,
}

fn parse_permissions(raw: &[String]) -> Result<BTreeSet<Permission>> {
    let mut errors = Vec::new();
    let mut out = BTreeSet::new();
    for p in raw {
        match Permission::parse(p) {
            Ok(p) => {
                out.insert(p);
            }
            Err(e) => errors.push(crate::error::FieldError::new("permissions", e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DomainError::BadInput(errors))
    }
}

fn require_roles_manage(work: &Work, touched: &BTreeSet<Permission>, action: &str) -> Result<()> {
    super::policy::require_role_manager(work, touched, action)
}

/// The custom role `name` names (or its alias names).
async fn custom(work: &Work, name: &RoleName) -> Result<RoleWithPermissions> {
    let db = work.db().await?;
    let aliases = &work.app().config.role_aliases;
    let found = resolve(db, aliases, std::slice::from_ref(name))
        .await
        .map_err(|e| match e {
            DomainError::Internal(_) => e,
            _ => DomainError::not_found(format!("Role not found: {name}")),
        })?;
    let role = found
        .into_iter()
        .next()
        .ok_or_else(|| DomainError::not_found(format!("Role not found: {name}")))?;
    if role.role.is_builtin {
        return Err(DomainError::conflict(
            Some("name"),
            format!("Built-in role {name} cannot be changed"),
        ));
    }
    Ok(role)
}

/// Creates a custom role with permissions the actor holds (no escalation).
pub async fn create(work: &Work, name: &RoleName, input: RoleInput) -> Result<RoleWithPermissions> {
    use sea_orm::ActiveValue::Set;
    let permissions = parse_permissions(&input.permissions)?;
    require_roles_manage(work, &permissions, "role.create")?;
    let aliases = &work.app().config.role_aliases;
    if let Some(role) = aliases.target(name).filter(|_| !aliases.is_default()) {
        return Err(DomainError::conflict(
            Some("name"),
            format!("{name} is an alias of role {role} (ROLE_ALIASES); choose another name"),
        ));
    }
    let now = work.now();
    let id = crate::domain::new_id();
    let txn = work.db().await?;
    role::Entity::insert(role::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.to_string()),
        description: Set(input.description.trim().to_string()),
        is_builtin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(txn)
    .await?;
    insert_permissions(txn, &id, &permissions).await?;
    let event = super::AuditEvent::new("role.created")
        .resource("role", &id)
        .details(serde_json::json!({ "name": name.as_str(), "permissions": permissions }));
    work.record(event);
    custom(work, name).await
}

async fn insert_permissions(
    db: &impl ConnectionTrait,
    role_id: &str,
    permissions: &BTreeSet<Permission>,
) -> Result<()> {
    use sea_orm::ActiveValue::Set;
    if permissions.is_empty() {
        return Ok(());
    }
    role_permission::Entity::insert_many(permissions.iter().map(|p| {
        role_permission::ActiveModel {
            role_id: Set(role_id.to_string()),
            permission: Set(p.as_str().to_string()),
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Replaces a custom role's description and permissions; the actor must hold
/// every permission it had and every one it gets.
pub async fn update(work: &Work, name: &RoleName, input: RoleInput) -> Result<RoleWithPermissions> {
    use sea_orm::sea_query::Expr;
    let current = custom(work, name).await?;
    let txn = work.db().await?;
    let permissions = parse_permissions(&input.permissions)?;
    let mut touched = permissions.clone();
    touched.extend(current.permissions.iter().cloned());
    require_roles_manage(work, &touched, "role.update")?;
    role::Entity::update_many()
        .col_expr(
            role::Column::Description,
            Expr::value(input.description.trim()),
        )
        .col_expr(role::Column::UpdatedAt, Expr::value(work.now()))
        .filter(role::Column::Id.eq(current.role.id.as_str()))
        .exec(txn)
        .await?;
    role_permission::Entity::delete_many()
        .filter(role_permission::Column::RoleId.eq(current.role.id.as_str()))
        .exec(txn)
        .await?;
    insert_permissions(txn, &current.role.id, &permissions).await?;
    let event = super::AuditEvent::new("role.updated")
        .resource("role", &current.role.id)
        .details(serde_json::json!({
            "name": current.role.name,
            "changed_fields": ["description", "permissions"],
            "old_values": { "description": current.role.description, "permissions": current.permissions },
            "new_values": { "description": input.description.trim(), "permissions": permissions },
        }));
    work.record(event);
    custom(work, name).await
}

/// Deletes a custom role; its holders lose it. A role an alias names stays
/// (the alias would name nothing, and the server would not start).
pub async fn delete(work: &Work, name: &RoleName) -> Result<()> {
    use sea_orm::PaginatorTrait;
    let current = custom(work, name).await?;
    let txn = work.db().await?;
    require_roles_manage(work, &current.permissions, "role.delete")?;
    let aliases = &work.app().config.role_aliases;
    if let Some(alias) = aliases.of(&current.role.name).next() {
        return Err(DomainError::conflict(
            Some("name"),
            format!(
                "Role {} is named by the alias {alias} (ROLE_ALIASES); remove the alias first",
                current.role.name
            ),
        ));
    }
    let holders = user_role::Entity::find()
        .filter(user_role::Column::RoleId.eq(current.role.id.as_str()))
        .count(txn)
        .await?;
    role::Entity::delete_by_id(current.role.id.clone())
        .exec(txn)
        .await?;
    let event = super::AuditEvent::new("role.deleted")
        .resource("role", &current.role.id)
        .details(serde_json::json!({
            "name": current.role.name,
            "permissions": current.permissions,
            "holders": holders,
        }));
    work.record(event);
    Ok(())
}
