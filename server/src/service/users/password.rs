//! Passwords: an administrator or the user sets one ([`set_password`]);
//! [`replace_password`] stores it and revokes the user's other credentials,
//! also for password changes and resets elsewhere.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::UserKey;
use super::lifecycle::{revoke_credentials, transition};
use super::lookup::{find, require_manage};
use crate::domain::UserStatus;
use crate::entity::user;
use crate::error::{DomainError, Result};
use crate::service::actor::Actor;
use crate::service::audit::AuditEvent;
use crate::service::tokens::{self, Purpose};
use crate::service::work::Work;

/// Sets a user's password (policy checked). Every session and token of the
/// user stops working; a pending user becomes active and their invitation
/// link dies. Returns the number of sessions revoked.
pub async fn set_password(work: &Work, key: &UserKey, password: &str) -> Result<u64> {
    // Read ahead of the hash, on the pool: no lock waits for argon2. The
    // target is found again, and access checked, in the transaction.
    let named = find(work.pool()?, key).await?;
    let app = work.app();
    let checked = app.policy.check(
        password,
        None,
        &[named.username.as_str(), named.email.as_str()],
    )?;
    let hash = app.hasher.hash(&checked).await?;
    let target = find(work.db().await?, &UserKey::Id(named.id)).await?;
    require_manage(work, &target, "password.change", true).await?;
    replace_password(work, work.actor(), &target, hash, None, None).await
}

/// The answer to a used, expired, superseded or unknown reset link.
pub const INVALID_RESET_TOKEN: &str = "Invalid or expired password reset token";

/// Stores `hash`, of a policy-checked password, for `target` (audited as
/// done by `actor`) and revokes every
/// session but `keep_session` and every token, in one audited transaction.
/// Returns how many sessions ended.
/// With `reset_token`, the change redeems that password-reset token in the
/// same transaction (and is audited as `password.reset`).
pub(crate) async fn replace_password(
    work: &Work,
    actor: &Actor,
    target: &user::Model,
    hash: String,
    keep_session: Option<&str>,
    reset_token: Option<&str>,
) -> Result<u64> {
    let now = work.now();
    let txn = work.db().await?;
    if let Some(token_id) = reset_token
        && !tokens::redeem(txn, token_id, now).await?
    {
        return Err(DomainError::not_found(INVALID_RESET_TOKEN));
    }
    let pending = target.status == UserStatus::PendingInvitation;
    if pending {
        transition(txn, target, UserStatus::Active, now).await?;
        tokens::revoke_all(txn, &target.id, Purpose::Invitation, now).await?;
    }
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(target.id.as_str()))
        .exec(txn)
        .await?;
    tokens::revoke_all(txn, &target.id, Purpose::PasswordReset, now).await?;
    let (sessions, tokens_revoked) = revoke_credentials(txn, &target.id, keep_session, now).await?;
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
    work.record_as(actor.clone(), event);
    Ok(sessions)
}
