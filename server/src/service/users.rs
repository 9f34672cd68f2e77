//! User accounts: creation, credentials, roles and lifecycle (SPEC §2, §3).

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect,
};
use serde_json::json;

use super::access::{self, Actor};
use super::audit::{self, AuditEvent};
use super::roles::{self, RoleWithPermissions};
use super::tokens::{self, IssuedToken, Purpose};
use crate::app::App;
use crate::domain::{Email, PlainPassword, RoleName, RoleSource, UserStatus, Username, new_id};
use crate::entity::{
    organization, organization_membership, personal_access_token, role, session, user, user_role,
};
use crate::error::{DomainError, Result};

/// A user with the names of their roles (rank order).
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: user::Model,
    pub roles: Vec<String>,
}

impl UserView {
    pub fn status(&self) -> UserStatus {
        self.user.status.parse().unwrap_or(UserStatus::Deactivated)
    }
}

/// How an operator names a user: email, username, or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserKey {
    Email(Email),
    Username(String),
    Id(String),
}

impl UserKey {
    /// An email if it has an `@`, an id if it is a ULID, a username otherwise.
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        if raw.contains('@') {
            Ok(Self::Email(Email::parse(raw)?))
        } else if raw.len() == 26 && ulid::Ulid::from_string(raw).is_ok() {
            Ok(Self::Id(raw.to_ascii_uppercase()))
        } else {
            Ok(Self::Username(raw.to_string()))
        }
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Email(e) => write!(f, "{e}"),
            Self::Username(u) | Self::Id(u) => f.write_str(u),
        }
    }
}

/// `lower(column) = value`, which the case-insensitive unique indexes serve.
fn lower_eq(column: user::Column, value: String) -> sea_orm::sea_query::SimpleExpr {
    ExprTrait::eq(Expr::expr(Func::lower(Expr::col(column))), value)
}

/// Finds a user who has not been deleted.
pub async fn find(db: &impl ConnectionTrait, key: &UserKey) -> Result<user::Model> {
    let query = user::Entity::find().filter(user::Column::DeletedAt.is_null());
    let query = match key {
        UserKey::Email(email) => query.filter(lower_eq(user::Column::Email, email.to_string())),
        UserKey::Username(name) => {
            query.filter(lower_eq(user::Column::Username, name.to_lowercase()))
        }
        UserKey::Id(id) => query.filter(user::Column::Id.eq(id.as_str())),
    };
    query
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("User not found: {key}")))
}

/// A user who has not been deleted, by id, with their roles.
pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<UserView> {
    view(db, find(db, &UserKey::Id(id.to_string())).await?).await
}

async fn view(db: &impl ConnectionTrait, user: user::Model) -> Result<UserView> {
    let mut by_user = roles::names_by_user(db, std::slice::from_ref(&user.id)).await?;
    let roles = by_user.remove(&user.id).unwrap_or_default();
    Ok(UserView { user, roles })
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub display_name: Option<String>,
    /// Empty means the default role, `viewer`.
    pub roles: Vec<RoleName>,
    /// `None` creates a `pending_invitation` user and an invitation.
    pub password: Option<String>,
}

/// A created user, and the invitation to send when they have no password.
#[derive(Debug, Clone)]
pub struct Created {
    pub user: UserView,
    pub invitation: Option<IssuedToken>,
}

fn permissions_of(roles: &[RoleWithPermissions]) -> BTreeSet<String> {
    roles
        .iter()
        .flat_map(|r| r.permissions.iter().cloned())
        .collect()
}

fn role_names(roles: &[RoleWithPermissions]) -> Vec<String> {
    roles.iter().map(|r| r.role.name.clone()).collect()
}

/// Creates a user on behalf of someone holding `users:manage` who also holds
/// every permission of the roles granted.
pub async fn create(app: &App, actor: &Actor, new: NewUser) -> Result<Created> {
    let enforce = app.config.flags.enforce;
    access::require(&app.db, enforce, actor, "users:manage", None).await?;
    let names = if new.roles.is_empty() {
        vec![RoleName::parse(roles::VIEWER)?]
    } else {
        new.roles.clone()
    };
    let granted = roles::resolve(&app.db, &names).await?;
    access::require_all(
        &app.db,
        enforce,
        actor,
        &permissions_of(&granted),
        json!({ "action": "user.create", "roles": role_names(&granted) }),
    )
    .await?;
    insert(app, actor, new, granted).await
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

/// Creates the first superuser; refuses once any superuser exists.
pub async fn bootstrap_superuser(app: &App, actor: &Actor, new: NewUser) -> Result<Created> {
    if !needs_bootstrap(&app.db).await? {
        return Err(DomainError::conflict(
            None,
            "A superuser already exists; use provision-user to add users",
        ));
    }
    let granted = roles::resolve(&app.db, &[RoleName::parse(roles::SUPERUSER)?]).await?;
    insert(app, actor, new, granted).await
}

async fn insert(
    app: &App,
    actor: &Actor,
    new: NewUser,
    granted: Vec<RoleWithPermissions>,
) -> Result<Created> {
    let password_hash = match &new.password {
        Some(raw) => {
            let checked =
                app.policy
                    .check(raw, None, &[new.username.as_str(), new.email.as_str()])?;
            Some(app.hasher.hash(&checked).await?)
        }
        None => None,
    };
    let status = if password_hash.is_some() {
        UserStatus::Active
    } else {
        UserStatus::PendingInvitation
    };
    let now = Utc::now();
    let id = new_id();
    let txn = crate::db::begin(&app.db).await?;
    ensure_free(&txn, Some(&new.email), Some(&new.username), None).await?;
    user::Entity::insert(user::ActiveModel {
        id: Set(id.clone()),
        username: Set(new.username.to_string()),
        email: Set(new.email.to_string()),
        display_name: Set(new.display_name.clone()),
        status: Set(status.as_str().to_string()),
        claims: Set(json!({})),
        password_hash: Set(password_hash),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        last_active_at: Set(None),
        deleted_at: Set(None),
    })
    .exec(&txn)
    .await?;
    assign_roles(&txn, &id, &granted, RoleSource::Manual, now).await?;
    join_default_org(&txn, &id, now).await?;
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
        let token = tokens::issue(&txn, &id, Purpose::Invitation, now).await?;
        events.push(
            AuditEvent::new("user.invited")
                .resource("user", &id)
                .details(json!({ "email": new.email.as_str(), "expires_at": token.expires_at })),
        );
        Some(token)
    } else {
        None
    };
    let created = view(&txn, find(&txn, &UserKey::Id(id)).await?).await?;
    audit::commit(txn, actor, events).await?;
    Ok(Created {
        user: created,
        invitation,
    })
}

/// Fails with the conflict operators search for when the email (checked
/// first, as seed 000 reports it) or the username is taken by any user other
/// than `except`, deleted ones included. The unique indexes stay the last
/// word under races.
async fn ensure_free(
    db: &impl ConnectionTrait,
    email: Option<&Email>,
    username: Option<&Username>,
    except: Option<&str>,
) -> Result<()> {
    let taken = |column, value: String| {
        let mut query = user::Entity::find().filter(lower_eq(column, value));
        if let Some(id) = except {
            query = query.filter(user::Column::Id.ne(id));
        }
        query.one(db)
    };
    if let Some(email) = email
        && taken(user::Column::Email, email.to_string())
            .await?
            .is_some()
    {
        return Err(DomainError::conflict(
            Some("email"),
            "Email is already taken",
        ));
    }
    if let Some(username) = username
        && taken(user::Column::Username, username.as_str().to_lowercase())
            .await?
            .is_some()
    {
        return Err(DomainError::conflict(
            Some("username"),
            "Username is already taken",
        ));
    }
    Ok(())
}

async fn assign_roles(
    txn: &DatabaseTransaction,
    user_id: &str,
    granted: &[RoleWithPermissions],
    source: RoleSource,
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
    });
    user_role::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
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

/// The user `key` names, for an actor who may do `action` to them
/// (invitations, password resets, quotas): `users:manage` and every
/// permission the user holds.
pub(crate) async fn find_for_admin(
    app: &App,
    actor: &Actor,
    key: &UserKey,
    action: &str,
) -> Result<user::Model> {
    let target = find(&app.db, key).await?;
    require_manage(app, actor, &target, action, false).await?;
    Ok(target)
}

/// Acting on a user needs `users:manage` (or being that user, for
/// `allow_self`) and every permission the target holds: nobody manages
/// someone more powerful than themselves.
async fn require_manage(
    app: &App,
    actor: &Actor,
    target: &user::Model,
    action: &str,
    allow_self: bool,
) -> Result<()> {
    require_manage_id(app, actor, &target.id, action, allow_self).await
}

/// Whether `actor` may do `action` to the user `target_id`: with
/// `users:manage` and every permission the target holds (nobody manages
/// someone more powerful), or, when `allow_self`, as that user.
pub async fn require_manage_id(
    app: &App,
    actor: &Actor,
    target_id: &str,
    action: &str,
    allow_self: bool,
) -> Result<()> {
    let enforce = app.config.flags.enforce;
    let owner = allow_self.then_some(target_id);
    access::require(&app.db, enforce, actor, "users:manage", owner).await?;
    access::require_superset_of(&app.db, enforce, actor, target_id, action).await
}

/// Ends every live session of a user but `keep`; returns how many.
async fn end_sessions(
    db: &impl ConnectionTrait,
    user_id: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Revokes every session (but `keep`) and personal access token of a user.
async fn revoke_credentials(
    db: &impl ConnectionTrait,
    user_id: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let sessions = end_sessions(db, user_id, keep, now).await?;
    let tokens = personal_access_token::Entity::update_many()
        .col_expr(personal_access_token::Column::RevokedAt, Expr::value(now))
        .filter(personal_access_token::Column::UserId.eq(user_id))
        .filter(personal_access_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok((sessions, tokens))
}

/// Fails when `user_id` is the last active superuser. On Postgres the
/// superuser role row is locked first, so two transactions cannot each remove
/// "the other" superuser; SQLite serialises writers anyway.
async fn ensure_not_last_superuser(
    txn: &DatabaseTransaction,
    user_id: &str,
    action: &str,
) -> Result<()> {
    let superuser = roles::builtin(txn, roles::SUPERUSER).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        role::Entity::find_by_id(superuser.id.clone())
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    let active_superusers: Vec<String> = user_role::Entity::find()
        .filter(user_role::Column::RoleId.eq(superuser.id.as_str()))
        .inner_join(user::Entity)
        .filter(user::Column::Status.eq(UserStatus::Active.as_str()))
        .all(txn)
        .await?
        .into_iter()
        .map(|ur| ur.user_id)
        .collect();
    if active_superusers.iter().any(|id| id == user_id) && active_superusers.len() == 1 {
        return Err(DomainError::conflict(
            None,
            format!("Cannot {action} the last active superuser"),
        ));
    }
    Ok(())
}

/// Moves a user from one status to another, failing if someone else changed
/// it first.
async fn transition(
    txn: &DatabaseTransaction,
    target: &user::Model,
    to: UserStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(to.as_str()))
        .col_expr(user::Column::UpdatedAt, Expr::value(now));
    if to == UserStatus::Deleted {
        update = update.col_expr(user::Column::DeletedAt, Expr::value(now));
    }
    let result = update
        .filter(user::Column::Id.eq(target.id.as_str()))
        .filter(user::Column::Status.eq(target.status.as_str()))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::conflict(
            Some("status"),
            "The user was changed by someone else; try again",
        ));
    }
    Ok(())
}

/// Fails with a `CONFLICT` naming the account's state unless it is `status`.
pub(crate) fn require_status(target: &user::Model, status: UserStatus, action: &str) -> Result<()> {
    if target.status == status.as_str() {
        return Ok(());
    }
    Err(DomainError::conflict(
        Some("status"),
        format!(
            "Cannot {action} user {}: the account is {}",
            target.username, target.status
        ),
    ))
}

/// Sets a user's password (policy checked). Every session and token of the
/// user stops working; a pending user becomes active and their invitation
/// link dies. Returns the number of sessions revoked.
pub async fn set_password(app: &App, actor: &Actor, key: &UserKey, password: &str) -> Result<u64> {
    let target = find(&app.db, key).await?;
    require_manage(app, actor, &target, "password.change", true).await?;
    let checked = app.policy.check(
        password,
        None,
        &[target.username.as_str(), target.email.as_str()],
    )?;
    replace_password(app, actor, &target, &checked, None, None).await
}

/// The answer to a used, expired, superseded or unknown reset link.
pub const INVALID_RESET_TOKEN: &str = "Invalid or expired password reset token";

/// Stores a new (policy-checked) password for `target` and revokes every
/// session but `keep_session` and every token, in one audited transaction.
/// Returns how many sessions ended.
/// With `reset_token`, the change redeems that password-reset token in the
/// same transaction (and is audited as `password.reset`).
pub(crate) async fn replace_password(
    app: &App,
    actor: &Actor,
    target: &user::Model,
    password: &PlainPassword,
    keep_session: Option<&str>,
    reset_token: Option<&str>,
) -> Result<u64> {
    let hash = app.hasher.hash(password).await?;
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    if let Some(token_id) = reset_token
        && !tokens::redeem(&txn, token_id, now).await?
    {
        return Err(DomainError::not_found(INVALID_RESET_TOKEN));
    }
    let pending = target.status == UserStatus::PendingInvitation.as_str();
    if pending {
        transition(&txn, target, UserStatus::Active, now).await?;
        tokens::revoke_all(&txn, &target.id, Purpose::Invitation, now).await?;
    }
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(target.id.as_str()))
        .exec(&txn)
        .await?;
    tokens::revoke_all(&txn, &target.id, Purpose::PasswordReset, now).await?;
    let (sessions, tokens_revoked) =
        revoke_credentials(&txn, &target.id, keep_session, now).await?;
    let kind = if reset_token.is_some() {
        "password.reset"
    } else {
        "password.changed"
    };
    let event = AuditEvent::new(kind)
        .resource("user", &target.id)
        .details(json!({
            "sessions_revoked": sessions,
            "tokens_revoked": tokens_revoked,
            "activated": pending,
        }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok(sessions)
}

/// Replaces a user's roles with exactly `names` (all `manual`).
pub async fn set_roles(
    app: &App,
    actor: &Actor,
    key: &UserKey,
    names: &[RoleName],
) -> Result<UserView> {
    if names.is_empty() {
        return Err(DomainError::bad_input(
            "roles",
            "At least one role is required",
        ));
    }
    let target = find(&app.db, key).await?;
    let wanted = roles::resolve(&app.db, names).await?;
    let current = roles::of_user(&app.db, &target.id).await?;
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
    let enforce = app.config.flags.enforce;
    access::require(&app.db, enforce, actor, "users:manage", None).await?;
    let mut touched = permissions_of(&added);
    touched.extend(permissions_of(&removed));
    access::require_all(
        &app.db,
        enforce,
        actor,
        &touched,
        json!({ "action": "user.set_roles", "user_id": target.id, "roles": role_names(&wanted) }),
    )
    .await?;

    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    if removed.iter().any(|r| r.role.name == roles::SUPERUSER) {
        ensure_not_last_superuser(&txn, &target.id, "demote").await?;
    }
    let keep: Vec<String> = wanted.iter().map(|r| r.role.id.clone()).collect();
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(target.id.as_str()))
        .filter(user_role::Column::RoleId.is_not_in(keep))
        .exec(&txn)
        .await?;
    assign_roles(&txn, &target.id, &added, RoleSource::Manual, now).await?;
    user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(target.id.as_str()))
        .exec(&txn)
        .await?;
    let updated = view(&txn, find(&txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.updated")
        .resource("user", &target.id)
        .details(json!({
            "changed_fields": ["roles"],
            "old_values": { "roles": before },
            "new_values": { "roles": updated.roles },
        }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok(updated)
}

/// New values for a user's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub username: Option<Username>,
    pub email: Option<Email>,
    /// `Some(None)` clears the display name.
    pub display_name: Option<Option<String>>,
}

/// Edits username, email or display name, audited with old and new values.
pub async fn update(
    app: &App,
    actor: &Actor,
    key: &UserKey,
    changes: UserChanges,
) -> Result<UserView> {
    let target = find(&app.db, key).await?;
    require_manage(app, actor, &target, "user.update", false).await?;
    let display_name = changes
        .display_name
        .map(|d| d.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    if display_name
        .as_ref()
        .is_some_and(|d| d.as_ref().is_some_and(|s| s.chars().count() > 100))
    {
        return Err(DomainError::bad_input(
            "displayName",
            "Display name must be at most 100 characters",
        ));
    }
    let mut changed = Vec::new();
    let mut old = serde_json::Map::new();
    let mut new = serde_json::Map::new();
    let mut record = |field: &'static str, before: Option<&str>, after: Option<&str>| {
        if before != after {
            changed.push(field);
            old.insert(field.into(), json!(before));
            new.insert(field.into(), json!(after));
            true
        } else {
            false
        }
    };
    let username = changes
        .username
        .filter(|u| record("username", Some(&target.username), Some(u.as_str())));
    let email = changes
        .email
        .filter(|e| record("email", Some(&target.email), Some(e.as_str())));
    let display_name = display_name
        .filter(|d| record("display_name", target.display_name.as_deref(), d.as_deref()));
    if changed.is_empty() {
        return view(&app.db, target).await;
    }
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    ensure_free(&txn, email.as_ref(), username.as_ref(), Some(&target.id)).await?;
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(target.id.as_str()));
    if let Some(username) = &username {
        update = update.col_expr(user::Column::Username, Expr::value(username.as_str()));
    }
    if let Some(email) = &email {
        update = update.col_expr(user::Column::Email, Expr::value(email.as_str()));
    }
    if let Some(display_name) = display_name {
        update = update.col_expr(user::Column::DisplayName, Expr::value(display_name));
    }
    update.exec(&txn).await?;
    let updated = view(&txn, find(&txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.updated")
        .resource("user", &target.id)
        .details(json!({
            "changed_fields": changed,
            "old_values": old,
            "new_values": new,
        }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok(updated)
}

/// Active → deactivated: the user can no longer log in, and every session and
/// token stops working at once.
pub async fn deactivate(app: &App, actor: &Actor, key: &UserKey) -> Result<UserView> {
    let target = find(&app.db, key).await?;
    require_manage(app, actor, &target, "user.deactivate", false).await?;
    require_status(&target, UserStatus::Active, "deactivate")?;
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    ensure_not_last_superuser(&txn, &target.id, "deactivate").await?;
    transition(&txn, &target, UserStatus::Deactivated, now).await?;
    let (sessions, tokens_revoked) = revoke_credentials(&txn, &target.id, None, now).await?;
    let updated = view(&txn, find(&txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.deactivated")
        .resource("user", &target.id)
        .details(json!({
            "username": target.username,
            "sessions_revoked": sessions,
            "tokens_revoked": tokens_revoked,
        }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok(updated)
}

/// Deactivated → active.
pub async fn activate(app: &App, actor: &Actor, key: &UserKey) -> Result<UserView> {
    let target = find(&app.db, key).await?;
    require_manage(app, actor, &target, "user.activate", false).await?;
    require_status(&target, UserStatus::Deactivated, "activate")?;
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    transition(&txn, &target, UserStatus::Active, now).await?;
    let updated = view(&txn, find(&txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.activated")
        .resource("user", &target.id)
        .details(json!({ "username": target.username }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok(updated)
}

/// Soft delete: the row stays (for the audit trail, and so its email and
/// username stay taken), the account is gone from lists and can never log in.
pub async fn delete(app: &App, actor: &Actor, key: &UserKey) -> Result<()> {
    let target = find(&app.db, key).await?;
    require_manage(app, actor, &target, "user.delete", true).await?;
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    ensure_not_last_superuser(&txn, &target.id, "delete").await?;
    transition(&txn, &target, UserStatus::Deleted, now).await?;
    let (sessions, tokens_revoked) = revoke_credentials(&txn, &target.id, None, now).await?;
    tokens::revoke_all(&txn, &target.id, Purpose::Invitation, now).await?;
    tokens::revoke_all(&txn, &target.id, Purpose::PasswordReset, now).await?;
    let event = AuditEvent::new("user.deleted")
        .resource("user", &target.id)
        .details(json!({
            "username": target.username,
            "email": target.email,
            "previous_status": target.status,
            "sessions_revoked": sessions,
            "tokens_revoked": tokens_revoked,
        }));
    audit::commit(txn, actor, vec![event]).await
}

/// Ends every session of a user (forces a new login); returns how many.
pub async fn revoke_sessions(app: &App, actor: &Actor, key: &UserKey) -> Result<u64> {
    let target = find(&app.db, key).await?;
    require_manage(app, actor, &target, "user.revoke_sessions", true).await?;
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    let revoked = end_sessions(&txn, &target.id, None, now).await?;
    let event = AuditEvent::new("user.sessions_revoked")
        .resource("user", &target.id)
        .details(json!({ "sessions_revoked": revoked }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok(revoked)
}
