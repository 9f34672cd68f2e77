//! Invitations (SPEC §6, seed 004): a pending user gets a 7-day, single-use
//! link by email; accepting it sets the password and activates the account.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::audit::AuditEvent;
use super::mailer::{self, Delivery};
use super::roles;
use super::tokens::{self, IssuedToken, Purpose};
use super::users::{self, NewUser, UserKey, UserView};
use super::work::Work;
use crate::config::Config;
use crate::domain::UserStatus;
use crate::entity::{one_time_token, user};
use crate::error::{DomainError, Result};

/// The message operators and users search for.
pub const INVALID_TOKEN: &str = "Invalid or expired invitation token";

/// The accept-invitation link for `secret` (the admin app's page).
pub fn link(config: &Config, secret: &str) -> String {
    format!(
        "{}/admin/accept-invitation?token={secret}",
        config.public_url
    )
}

/// A pending user's invitation and whether its email went out.
#[derive(Debug, Clone)]
pub struct Invited {
    pub user: UserView,
    pub token: IssuedToken,
    pub delivery: Delivery,
}

/// Creates a `pending_invitation` user (any password in `new` is ignored)
/// and emails the invitation once the user is committed. A failed send
/// leaves the user for a resend.
pub async fn invite(work: &mut Work, mut new: NewUser) -> Result<Invited> {
    new.password = None;
    let created = users::create(work, new).await?;
    let token = created.invitation.ok_or_else(|| {
        DomainError::Internal(anyhow::anyhow!("a user without password got no invitation"))
    })?;
    send(work, created.user, token).await
}

/// A new invitation for a pending user, emailed; earlier links stop working.
pub async fn resend(work: &mut Work, key: &UserKey) -> Result<Invited> {
    let target = users::find_for_admin(work, key, "invitation.resend").await?;
    users::require_status(&target, UserStatus::PendingInvitation, "re-invite")?;
    let txn = work.db().await?;
    let token = tokens::issue(txn, &target.id, Purpose::Invitation, work.now()).await?;
    let event = AuditEvent::new("user.invited")
        .resource("user", &target.id)
        .details(json!({ "email": target.email, "expires_at": token.expires_at, "resend": true }));
    work.record(event);
    let user = users::get(txn, &target.id).await?;
    send(work, user, token).await
}

/// Commits the invitation, then emails it with the roles it grants: the
/// link in the mail works by the time it arrives, and no lock is held while
/// the mail server answers.
async fn send(work: &mut Work, user: UserView, token: IssuedToken) -> Result<Invited> {
    let granted: Vec<_> = roles::of_user(work.db().await?, &user.user.id)
        .await?
        .into_iter()
        .map(|r| {
            let permissions = r.permissions.iter().map(|p| p.as_str().to_string());
            (r.role.name, permissions.collect())
        })
        .collect();
    let mail = mailer::invitation(
        &user.user.email,
        &user.user.username,
        &granted,
        &link(&work.app().config, &token.secret),
        token.expires_at,
    );
    work.checkpoint().await?;
    let delivery = work.app().mailer.deliver(&mail, "invitation").await;
    Ok(Invited {
        user,
        token,
        delivery,
    })
}

/// The live invitation behind `secret`, with its user.
async fn lookup(
    db: &impl ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(UserView, one_time_token::Model)> {
    let invalid = || DomainError::not_found(INVALID_TOKEN);
    let token = tokens::find_live(db, secret, Purpose::Invitation, now)
        .await?
        .ok_or_else(invalid)?;
    // A token whose user is gone is as invalid as no token; an outage is not.
    let user = users::get(db, &token.user_id)
        .await
        .map_err(|e| e.when_missing(invalid))?;
    if user.user.status != UserStatus::PendingInvitation {
        return Err(invalid());
    }
    Ok((user, token))
}

/// What the accept-invitation page shows: the pending user behind a live
/// invitation, and the invitation.
pub async fn pending(work: &Work, secret: &str) -> Result<(UserView, one_time_token::Model)> {
    lookup(work.db().await?, secret, work.now()).await
}

/// Accepts an invitation: checks the password policy first (a typo does not
/// burn the link) and hashes before the work's transaction begins, then
/// redeems the token atomically — two racing requests cannot both win —
/// sets the password and activates the account.
pub async fn accept(
    work: &Work,
    secret: &str,
    password: &str,
    confirmation: &str,
) -> Result<UserView> {
    let app = work.app();
    let (user, token) = lookup(work.pool()?, secret, work.now()).await?;
    let checked = app.policy.check(
        password,
        Some(confirmation),
        &[user.user.username.as_str(), user.user.email.as_str()],
    )?;
    let hash = app.hasher.hash(&checked).await?;
    let now = work.now();
    let txn = work.db().await?;
    let redeemed = tokens::redeem(txn, &token.id, now).await?;
    let activated = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(
            user::Column::Status,
            Expr::value(UserStatus::Active.as_str()),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.user.id.as_str()))
        .filter(user::Column::Status.eq(UserStatus::PendingInvitation.as_str()))
        .exec(txn)
        .await?
        .rows_affected;
    if !redeemed || activated != 1 {
        return Err(DomainError::not_found(INVALID_TOKEN));
    }
    let client = work.actor().client();
    let actor = super::actor::actor_for(
        txn,
        user.user.clone(),
        crate::domain::Channel::Api,
        &client,
        None,
    )
    .await?
    .actor;
    let event = AuditEvent::new("invitation.accepted")
        .resource("user", &user.user.id)
        .details(json!({ "token_id": token.id }));
    work.record_as(actor, event);
    users::get(txn, &user.user.id).await
}
