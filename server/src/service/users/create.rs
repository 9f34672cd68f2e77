//! Creating users: by an administrator ([`create`]) or, while none exists,
//! the first superuser ([`bootstrap_superuser`], [`needs_bootstrap`]). Every
//! new user joins the default organization; one without a password is
//! pending and gets an invitation.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::json;

use super::assign::{assign_roles, permissions_of, role_names};
use super::lookup::{ensure_free, find, view};
use super::{Created, NewUser, UserKey};
use crate::domain::{RoleName, RoleSource, UserStatus, new_id};
use crate::entity::{organization, organization_membership, user, user_role};
use crate::error::{DomainError, Result};
use crate::service::audit::AuditEvent;
use crate::service::policy;
use crate::service::roles::{self, RoleWithPermissions};
use crate::service::tokens::{self, Purpose};
use crate::service::work::Work;

/// Creates a user on behalf of someone holding `users:manage` who also holds
/// every permission of the roles granted.
pub async fn create(work: &Work, new: NewUser) -> Result<Created> {
    policy::require_user_manager(work)?;
    let password_hash = hash_password(work, &new).await?;
    let names = if new.roles.is_empty() {
        vec![RoleName::parse(roles::VIEWER)?]
    } else {
        new.roles.clone()
    };
    let aliases = &work.app().config.role_aliases;
    let granted = roles::resolve(work.db().await?, aliases, &names).await?;
    policy::require_grant(
        work,
        &permissions_of(&granted),
        json!({ "action": "user.create", "roles": role_names(&granted) }),
    )?;
    insert(work, new, password_hash, granted).await
}

/// The hash of the new user's password, if any (policy checked), made
/// before the work's transaction begins so no lock waits for argon2.
async fn hash_password(work: &Work, new: &NewUser) -> Result<Option<String>> {
    let Some(raw) = &new.password else {
        return Ok(None);
    };
    let app = work.app();
    let checked = app
        .policy
        .check(raw, None, &[new.username.as_str(), new.email.as_str()])?;
    Ok(Some(app.hasher.hash(&checked).await?))
}

/// True while no superuser exists (deleted ones aside): nobody can sign in to
/// administer this server, and `roster bootstrap-superuser` would be accepted.
pub async fn needs_bootstrap(db: &impl ConnectionTrait) -> Result<bool> {
    let superuser = roles::builtin(db, roles::SUPERUSER).await?;
    let existing = user_role::Entity::find()
        .filter(user_role::Column::RoleId.eq(superuser.id.as_str()))
        .inner_join(user::Entity)
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await?;
    Ok(existing.is_none())
}

/// [`needs_bootstrap`] for the public `serverInfo`, asked on every load of
/// the admin app: once a superuser was seen, answered from memory.
pub async fn needs_bootstrap_cached(work: &Work) -> Result<bool> {
    use std::sync::atomic::Ordering;
    let app = work.app();
    if app.superuser_seen.load(Ordering::Relaxed) {
        return Ok(false);
    }
    let needed = needs_bootstrap(work.db().await?).await?;
    if !needed {
        app.superuser_seen.store(true, Ordering::Relaxed);
    }
    Ok(needed)
}

/// Creates the first superuser; refuses once any superuser exists.
pub async fn bootstrap_superuser(work: &Work, new: NewUser) -> Result<Created> {
    let password_hash = hash_password(work, &new).await?;
    let txn = work.db().await?;
    if !needs_bootstrap(txn).await? {
        return Err(DomainError::conflict(
            None,
            "A superuser already exists; use provision-user to add users",
        ));
    }
    let superuser = [RoleName::parse(roles::SUPERUSER)?];
    let granted = roles::resolve(txn, &Default::default(), &superuser).await?;
    insert(work, new, password_hash, granted).await
}

/// Inserts the user with `granted` roles; without a password hash the user
/// is pending and gets an invitation.
async fn insert(
    work: &Work,
    new: NewUser,
    password_hash: Option<String>,
    granted: Vec<RoleWithPermissions>,
) -> Result<Created> {
    let status = if password_hash.is_some() {
        UserStatus::Active
    } else {
        UserStatus::PendingInvitation
    };
    let now = work.now();
    let txn = work.db().await?;
    let id = insert_row(txn, &new, status, password_hash, now).await?;
    let by = work.actor().user_id();
    assign_roles(txn, &id, &granted, RoleSource::Manual, by, now).await?;
    let roles = role_names(&granted);
    let mut events = vec![
        AuditEvent::new("user.created")
            .resource("user", &id)
            .details(json!({
                "username": new.username.as_str(),
                "email": new.email.as_str(),
                "roles": roles,
                "status": status.as_str(),
            })),
    ];
    let invitation = if status == UserStatus::PendingInvitation {
        let token = tokens::issue(txn, &id, Purpose::Invitation, now).await?;
        events.push(
            AuditEvent::new("user.invited")
                .resource("user", &id)
                .details(json!({ "email": new.email.as_str(), "expires_at": token.expires_at })),
        );
        Some(token)
    } else {
        None
    };
    let created = view(txn, find(txn, &UserKey::Id(id)).await?).await?;
    for event in events {
        work.record(event);
    }
    Ok(Created {
        user: created,
        invitation,
    })
}

/// Inserts the user row, after checking the email and username are free,
/// and joins the default organization; the new id.
async fn insert_row(
    txn: &DatabaseTransaction,
    new: &NewUser,
    status: UserStatus,
    password_hash: Option<String>,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    ensure_free(txn, Some(&new.email), Some(&new.username), None).await?;
    user::Entity::insert(user::ActiveModel {
        id: Set(id.clone()),
        username: Set(new.username.to_string()),
        email: Set(new.email.to_string()),
        display_name: Set(new.display_name.as_ref().map(ToString::to_string)),
        status: Set(status),
        claims: Set(json!({})),
        password_hash: Set(password_hash),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        last_active_at: Set(None),
        deleted_at: Set(None),
    })
    .exec(txn)
    .await?;
    join_default_org(txn, &id, now).await?;
    Ok(id)
}

/// A user created at their first OIDC login (SPEC §8), the system acting
/// on the provider's word (no permission check): active, without a password
/// (they sign in through the provider), with no roles by hand (the
/// provider's groups give theirs), in the default organization. Audited as
/// `user.provisioned`.
pub async fn provision(work: &Work, new: NewUser) -> Result<user::Model> {
    let now = work.now();
    let txn = work.db().await?;
    let id = insert_row(txn, &new, UserStatus::Active, None, now).await?;
    work.record(
        AuditEvent::new("user.provisioned")
            .resource("user", &id)
            .details(json!({
                "username": new.username.as_str(),
                "email": new.email.as_str(),
                "method": "oidc",
            })),
    );
    find(txn, &UserKey::Id(id)).await
}

async fn join_default_org(
    txn: &DatabaseTransaction,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let org = organization::Entity::find()
        .filter(organization::Column::IsDefault.eq(true))
        .one(txn)
        .await?
        .ok_or_else(|| {
            DomainError::Internal(anyhow::anyhow!(
                "default organization is missing; run `roster ensure-defaults`"
            ))
        })?;
    organization_membership::Entity::insert(organization_membership::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(user_id.to_string()),
        created_at: Set(now),
    })
    .exec(txn)
    .await?;
    Ok(())
}
