//! Password reset (SPEC §5, §6; planned in seed 004): a 1-hour, single-use
//! link by email. Asking never reveals whether an account exists.

use serde_json::json;

use super::audit::AuditEvent;
use super::mailer::{self, Delivery, Outgoing};
use super::tokens::{self, Purpose};
use super::users::{self, INVALID_RESET_TOKEN, UserKey};
use super::work::Work;
use crate::config::Config;
use crate::domain::{Channel, Email, UserStatus};
use crate::entity::user;
use crate::error::{DomainError, Result};

/// Issues a reset token for `target` in the work's transaction, audited, and
/// composes its email (sent once the work has committed it).
async fn issue(work: &Work, target: &user::Model, requested_by: &str) -> Result<Outgoing> {
    let txn = work.db().await?;
    let token = tokens::issue(txn, &target.id, Purpose::PasswordReset, work.now()).await?;
    let event = AuditEvent::new("password.reset_requested")
        .resource("user", &target.id)
        .details(json!({ "requested_by": requested_by, "expires_at": token.expires_at }));
    work.record(event);
    let link = link(&work.app().config, &token.secret);
    Ok(mailer::password_reset(
        &target.email,
        &target.username,
        &link,
        token.expires_at,
    ))
}

/// The reset-password link for `secret` (the admin app's page).
pub fn link(config: &Config, secret: &str) -> String {
    format!("{}/admin/reset-password?token={secret}", config.public_url)
}

/// Anyone may ask; an email goes out only for an active account, and the
/// answer (and its timing: delivery happens in the background) is the same
/// either way.
pub async fn request(work: &mut Work, email: &str) -> Result<()> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    // Looked up on the pool: an unknown address takes no lock.
    let target = match users::find(work.pool()?, &UserKey::Email(email)).await {
        Ok(user) if user.status == UserStatus::Active => user,
        Ok(_) | Err(DomainError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let mail = issue(work, &target, "self").await?;
    work.checkpoint().await?;
    let app = work.app().clone();
    tokio::spawn(async move {
        app.mailer.deliver(&mail, "password reset").await;
    });
    Ok(())
}

/// An admin sends a reset link to a user; the answer says whether it went out.
pub async fn send_for(work: &mut Work, key: &UserKey) -> Result<Delivery> {
    let target = users::find_for_admin(work, key, "password_reset.send").await?;
    users::require_status(&target, UserStatus::Active, "send a password reset to")?;
    let mail = issue(work, &target, "admin").await?;
    work.checkpoint().await?;
    Ok(work.app().mailer.deliver(&mail, "password reset").await)
}

/// Sets a new password through a reset link: policy first (a typo does not
/// burn the link) and the hash before the work's transaction begins, then
/// the token is redeemed in the same transaction that stores the password
/// and ends every session and token of the user.
pub async fn reset(work: &Work, secret: &str, password: &str, confirmation: &str) -> Result<()> {
    let app = work.app();
    let invalid = || DomainError::not_found(INVALID_RESET_TOKEN);
    let pool = work.pool()?;
    let token = tokens::find_live(pool, secret, Purpose::PasswordReset, work.now())
        .await?
        .ok_or_else(invalid)?;
    let target = users::find(pool, &UserKey::Id(token.user_id.clone()))
        .await
        .map_err(|e| e.when_missing(invalid))?;
    if target.status != UserStatus::Active {
        return Err(invalid());
    }
    let checked = app.policy.check(
        password,
        Some(confirmation),
        &[target.username.as_str(), target.email.as_str()],
    )?;
    let hash = app.hasher.hash(&checked).await?;
    let client = work.actor().client();
    let txn = work.db().await?;
    let actor = super::actor::actor_for(txn, target.clone(), Channel::Api, &client, None)
        .await?
        .actor;
    work.proven(&target.id).await?;
    users::replace_password(work, &actor, &target, hash, None, Some(&token.id)).await?;
    Ok(())
}
