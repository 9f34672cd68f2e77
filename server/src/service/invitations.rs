//! Invitations (SPEC §6, seed 004): a pending user gets a 7-day, single-use
//! link by email; accepting it sets the password and activates the account.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::access::Actor;
use super::audit::{self, AuditEvent};
use super::mailer::{self, Delivery};
use super::roles;
use super::tokens::{self, IssuedToken, Purpose};
use super::users::{self, NewUser, UserKey, UserView};
use crate::app::App;
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
/// and emails the invitation. A failed send leaves the user for a resend.
pub async fn invite(app: &App, actor: &Actor, mut new: NewUser) -> Result<Invited> {
    new.password = None;
    let created = users::create(app, actor, new).await?;
    let token = created.invitation.ok_or_else(|| {
        DomainError::Internal(anyhow::anyhow!("a user without password got no invitation"))
    })?;
    Ok(send(app, created.user, token).await)
}

/// A new invitation for a pending user, emailed; earlier links stop working.
pub async fn resend(app: &App, actor: &Actor, key: &UserKey) -> Result<Invited> {
    let (user, token) = reissue(app, actor, key).await?;
    Ok(send(app, user, token).await)
}

/// Emails the invitation for `token`, with the roles it grants.
async fn send(app: &App, user: UserView, token: IssuedToken) -> Invited {
    let delivery = match roles::of_user(&app.db, &user.user.id).await {
        Ok(list) => {
            let granted: Vec<_> = list
                .into_iter()
                .map(|r| (r.role.name, r.permissions.into_iter().collect()))
                .collect();
            let mail = mailer::invitation(
                &user.user.email,
                &user.user.username,
                &granted,
                &link(&app.config, &token.secret),
                token.expires_at,
            );
            app.mailer.deliver(&mail, "invitation").await
        }
        Err(e) => Delivery::Failed {
            reason: e.public_message(),
        },
    };
    Invited {
        user,
        token,
        delivery,
    }
}

/// A new invitation for a pending user; earlier links stop working.
async fn reissue(app: &App, actor: &Actor, key: &UserKey) -> Result<(UserView, IssuedToken)> {
    let target = users::find_for_admin(app, actor, key, "invitation.resend").await?;
    users::require_status(&target, UserStatus::PendingInvitation, "re-invite")?;
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    let token = tokens::issue(&txn, &target.id, Purpose::Invitation, now).await?;
    let event = AuditEvent::new("user.invited")
        .resource("user", &target.id)
        .details(json!({ "email": target.email, "expires_at": token.expires_at, "resend": true }));
    audit::commit(txn, actor, vec![event]).await?;
    Ok((users::get(&app.db, &target.id).await?, token))
}

/// The live invitation behind `secret`, with its user.
pub async fn lookup(app: &App, secret: &str) -> Result<(UserView, one_time_token::Model)> {
    let invalid = || DomainError::not_found(INVALID_TOKEN);
    let token = tokens::find_live(&app.db, secret, Purpose::Invitation)
        .await?
        .ok_or_else(invalid)?;
    // A token whose user is gone is as invalid as no token; an outage is not.
    let user = users::get(&app.db, &token.user_id)
        .await
        .map_err(|e| e.when_missing(invalid))?;
    if user.user.status != UserStatus::PendingInvitation.as_str() {
        return Err(invalid());
    }
    Ok((user, token))
}

/// Accepts an invitation: checks the password policy first (a typo does not
/// burn the link), then redeems the token atomically — two racing requests
/// cannot both win — sets the password and activates the account.
pub async fn accept(
    app: &App,
    secret: &str,
    password: &str,
    confirmation: &str,
    client: &super::actor::Client,
) -> Result<UserView> {
    let (user, token) = lookup(app, secret).await?;
    let checked = app.policy.check(
        password,
        Some(confirmation),
        &[user.user.username.as_str(), user.user.email.as_str()],
    )?;
    let hash = app.hasher.hash(&checked).await?;
    let now = Utc::now();
    let txn = crate::db::begin(&app.db).await?;
    let redeemed = tokens::redeem(&txn, &token.id, now).await?;
    let activated = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(
            user::Column::Status,
            Expr::value(UserStatus::Active.as_str()),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.user.id.as_str()))
        .filter(user::Column::Status.eq(UserStatus::PendingInvitation.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    if !redeemed || activated != 1 {
        return Err(DomainError::not_found(INVALID_TOKEN));
    }
    let actor = super::actor::actor_for(
        &txn,
        user.user.clone(),
        crate::domain::Channel::Api,
        client,
        None,
    )
    .await?
    .actor;
    let event = AuditEvent::new("invitation.accepted")
        .resource("user", &user.user.id)
        .details(json!({ "token_id": token.id }));
    audit::commit(txn, &actor, vec![event]).await?;
    users::get(&app.db, &user.user.id).await
}
