//! An account's lifecycle: [`deactivate`], [`activate`], [`delete`] (soft),
//! [`revoke_sessions`]; the guards they share ([`require_status`], never
//! removing the last active superuser); status transitions and revoking a
//! user's sessions and tokens.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;

use super::lookup::{find, require_manage, view};
use super::{UserKey, UserView};
use crate::domain::UserStatus;
use crate::entity::{personal_access_token, role, session, user, user_role};
use crate::error::{DomainError, Result};
use crate::service::audit::AuditEvent;
use crate::service::roles;
use crate::service::tokens::{self, Purpose};
use crate::service::work::Work;

/// Active → deactivated: the user can no longer log in, and every session and
/// token stops working at once.
pub async fn deactivate(work: &Work, key: &UserKey) -> Result<UserView> {
    let txn = work.db().await?;
    let target = find(txn, key).await?;
    require_manage(work, &target, "user.deactivate", false).await?;
    require_status(&target, UserStatus::Active, "deactivate")?;
    let now = work.now();
    ensure_not_last_superuser(txn, &target.id, "deactivate").await?;
    transition(txn, &target, UserStatus::Deactivated, now).await?;
    let (sessions, tokens_revoked) = revoke_credentials(txn, &target.id, None, now).await?;
    let updated = view(txn, find(txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.deactivated")
        .resource("user", &target.id)
        .details(json!({
            "username": target.username,
            "sessions_revoked": sessions,
            "tokens_revoked": tokens_revoked,
        }));
    work.record(event);
    Ok(updated)
}

/// Deactivated → active.
pub async fn activate(work: &Work, key: &UserKey) -> Result<UserView> {
    let txn = work.db().await?;
    let target = find(txn, key).await?;
    require_manage(work, &target, "user.activate", false).await?;
    require_status(&target, UserStatus::Deactivated, "activate")?;
    transition(txn, &target, UserStatus::Active, work.now()).await?;
    let updated = view(txn, find(txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.activated")
        .resource("user", &target.id)
        .details(json!({ "username": target.username }));
    work.record(event);
    Ok(updated)
}

/// Soft delete: the row stays (for the audit trail, and so its email and
/// username stay taken), the account is gone from lists and can never log in.
pub async fn delete(work: &Work, key: &UserKey) -> Result<()> {
    let txn = work.db().await?;
    let target = find(txn, key).await?;
    require_manage(work, &target, "user.delete", true).await?;
    let now = work.now();
    ensure_not_last_superuser(txn, &target.id, "delete").await?;
    transition(txn, &target, UserStatus::Deleted, now).await?;
    let (sessions, tokens_revoked) = revoke_credentials(txn, &target.id, None, now).await?;
    tokens::revoke_all(txn, &target.id, Purpose::Invitation, now).await?;
    tokens::revoke_all(txn, &target.id, Purpose::PasswordReset, now).await?;
    let event = AuditEvent::new("user.deleted")
        .resource("user", &target.id)
        .details(json!({
            "username": target.username,
            "email": target.email,
            "previous_status": target.status.as_str(),
            "sessions_revoked": sessions,
            "tokens_revoked": tokens_revoked,
        }));
    work.record(event);
    Ok(())
}

/// Ends every session of a user (forces a new login); returns how many.
pub async fn revoke_sessions(work: &Work, key: &UserKey) -> Result<u64> {
    let txn = work.db().await?;
    let target = find(txn, key).await?;
    require_manage(work, &target, "user.revoke_sessions", true).await?;
    let revoked = end_sessions(txn, &target.id, None, work.now()).await?;
    let event = AuditEvent::new("user.sessions_revoked")
        .resource("user", &target.id)
        .details(json!({ "sessions_revoked": revoked }));
    work.record(event);
    Ok(revoked)
}

/// Fails with a `CONFLICT` naming the account's state unless it is `status`.
pub(crate) fn require_status(target: &user::Model, status: UserStatus, action: &str) -> Result<()> {
    if target.status == status {
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

/// Fails when `user_id` is the last active superuser. On Postgres the
/// superuser role row is locked first, so two transactions cannot each remove
/// "the other" superuser; SQLite serialises writers anyway.
pub(crate) async fn ensure_not_last_superuser(
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
pub(super) async fn transition(
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
pub(super) async fn revoke_credentials(
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
