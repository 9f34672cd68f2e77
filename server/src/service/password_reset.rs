//! Password reset (SPEC §5, §6; planned in seed 004): a 1-hour, single-use
//! link by email. Asking never reveals whether an account exists.

use chrono::Utc;
use serde_json::json;

use super::access::Actor;
use super::actor::Client;
use super::audit::{self, AuditEvent};
use super::mailer::{self, Delivery};
use super::tokens::{self, IssuedToken, Purpose};
use super::users::{self, INVALID_RESET_TOKEN, UserKey};
use crate::app::App;
use crate::config::Config;
use crate::domain::{Channel, Email, UserStatus};
use crate::entity::user;
use crate::error::{DomainError, Result};

async fn issue(
    app: &App,
    actor: &Actor,
    target: &user::Model,
    requested_by: &str,
) -> Result<IssuedToken> {
    let txn = crate::db::begin(&app.db).await?;
    let token = tokens::issue(&txn, &target.id, Purpose::PasswordReset, Utc::now()).await?;
    let event = AuditEvent::new("password.reset_requested")
        .resource("user", &target.id)
        .details(json!({ "requested_by": requested_by, "expires_at": token.expires_at }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok(token)
}

/// The reset-password link for `secret` (the admin app's page).
pub fn link(config: &Config, secret: &str) -> String {
    format!("{}/admin/reset-password?token={secret}", config.public_url)
}

async fn deliver(app: &App, target: &user::Model, token: &IssuedToken) -> Delivery {
    let link = link(&app.config, &token.secret);
    let mail = mailer::password_reset(&target.email, &target.username, &link, token.expires_at);
    app.mailer.deliver(&mail, "password reset").await
}

/// Anyone may ask; an email goes out only for an active account, and the
/// answer (and its timing: delivery happens in the background) is the same
/// either way.
pub async fn request(app: &App, email: &str, client: &Client) -> Result<()> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let target = match users::find(&app.db, &UserKey::Email(email)).await {
        Ok(user) if user.status == UserStatus::Active.as_str() => user,
        Ok(_) | Err(DomainError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let anonymous = Actor::anonymous(client.ip.clone(), client.user_agent.clone());
    let token = issue(app, &anonymous, &target, "self").await?;
    let app = app.clone();
    tokio::spawn(async move {
        deliver(&app, &target, &token).await;
    });
    Ok(())
}

/// An admin sends a reset link to a user; the answer says whether it went out.
pub async fn send_for(app: &App, actor: &Actor, key: &UserKey) -> Result<Delivery> {
    let target = users::find_for_admin(app, actor, key, "password_reset.send").await?;
    users::require_status(&target, UserStatus::Active, "send a password reset to")?;
    let token = issue(app, actor, &target, "admin").await?;
    Ok(deliver(app, &target, &token).await)
}

/// Sets a new password through a reset link: policy first (a typo does not
/// burn the link), then the token is redeemed in the same transaction that
/// stores the password and ends every session and token of the user.
pub async fn reset(
    app: &App,
    secret: &str,
    password: &str,
    confirmation: &str,
    client: &Client,
) -> Result<()> {
    let invalid = || DomainError::not_found(INVALID_RESET_TOKEN);
    let token = tokens::find_live(&app.db, secret, Purpose::PasswordReset)
        .await?
        .ok_or_else(invalid)?;
    // A token whose user is gone is as invalid as no token; an outage is not.
    let target = users::find(&app.db, &UserKey::Id(token.user_id.clone()))
        .await
        .map_err(|e| e.when_missing(invalid))?;
    if target.status != UserStatus::Active.as_str() {
        return Err(invalid());
    }
    let checked = app.policy.check(
        password,
        Some(confirmation),
        &[target.username.as_str(), target.email.as_str()],
    )?;
    let actor = super::actor::actor_for(&app.db, target.clone(), Channel::Api, client, None)
        .await?
        .actor;
    users::replace_password(app, &actor, &target, &checked, None, Some(&token.id)).await?;
    Ok(())
}
