//! Logging in and out, and changing one's own password (SPEC §5).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

pub use super::actor::{Authenticated, Client, actor_for};
use super::audit::AuditEvent;
use super::sessions::{self, NewSession};
use super::throttle::{self, Scope};
use super::users::{self, UserKey};
use super::work::Work;
use crate::app::App;
use crate::domain::{Channel, PlainPassword, UserStatus};
use crate::entity::{session, user};
use crate::error::{DomainError, Result};

/// The one answer to every failed login, whatever the reason.
pub const INVALID_LOGIN: &str = "Invalid username or password";

/// Checks a login (email or username) and password, and returns the user when
/// both are right and the user may log in. Unknown users, wrong passwords and
/// users who may not log in all cost one full hash verification and get the
/// same `None`. A hash made with old parameters is upgraded. Part of
/// authenticating (a login, the CLI's `provision-user`): it reads the pool,
/// before any unit of work begins.
pub async fn verify_credentials(
    app: &App,
    login: &str,
    password: &PlainPassword,
) -> Result<Option<user::Model>> {
    let user = match UserKey::parse(login) {
        Ok(key) => match users::find(&app.db, &key).await {
            Ok(user) => Some(user),
            Err(DomainError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        Err(_) => None,
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = app.hasher.verify(password, stored.as_deref()).await?;
    let user = match user {
        Some(u) if verified && u.status == UserStatus::Active => u,
        _ => return Ok(None),
    };
    if let Some(old) = stored
        && app.hasher.needs_rehash(&old)
    {
        let rehashed = app.hasher.hash(password).await?;
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(rehashed))
            .filter(user::Column::Id.eq(user.id.as_str()))
            .filter(user::Column::PasswordHash.eq(old))
            .exec(&app.db)
            .await?;
    }
    Ok(Some(user))
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub who: Authenticated,
    pub session: NewSession,
    /// No login of this user had succeeded before (the app's welcome).
    pub first_login: bool,
}

fn account_key(login: &str) -> String {
    login.trim().to_lowercase()
}

/// Logs in: throttled per account and per address, audited either way, and
/// a fresh session on success. The lockout check, the user and the password
/// hash are read before the work's transaction begins, so no lock is held
/// during the hash verification; a failure's counters and audit row are
/// committed although the work answers an error.
pub async fn login(work: &Work, login: &str, password: &PlainPassword) -> Result<LoggedIn> {
    let app = work.app();
    let limits = &app.config.auth;
    let client = work.actor().client();
    let account = account_key(login);
    let address = client.ip.clone().unwrap_or_else(|| "unknown".into());
    let had_failures =
        throttle::check(work.pool()?, limits, &account, &address, work.now()).await?;

    let verified = verify_credentials(app, login, password).await?;
    let now = work.now();
    let txn = work.db().await?;
    let Some(user) = verified else {
        throttle::record_failure(txn, limits, Scope::Account, &account, now).await?;
        throttle::record_failure(txn, limits, Scope::Address, &address, now).await?;
        work.record(AuditEvent::new("user.login_failed").details(json!({ "login": account })));
        work.keep_on_error();
        metrics::counter!("roster_login_failures_total").increment(1);
        return Err(DomainError::Unauthenticated(INVALID_LOGIN.into()));
    };

    if had_failures {
        throttle::clear(txn, Scope::Account, &account).await?;
    }
    work.proven(&user.id).await?;
    let session = sessions::create(txn, limits, &user.id, &client, now).await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .col_expr(user::Column::LastActiveAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.id.as_str()))
        .exec(txn)
        .await?;
    let user_id = user.id.clone();
    let first_login = user.last_login_at.is_none();
    let who = actor_for(txn, user, Channel::Api, &client, None).await?;
    let event = AuditEvent::new("user.login")
        .resource("user", &user_id)
        .details(json!({ "session_id": session.session.id }));
    work.record_as(who.actor.clone(), event);
    metrics::counter!("roster_logins_total").increment(1);
    Ok(LoggedIn {
        who,
        session,
        first_login,
    })
}

/// Ends the current session.
pub async fn logout(work: &Work, session_id: &str) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(work.now()))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(work.db().await?)
        .await?;
    let mut event = AuditEvent::new("user.logout").details(json!({ "session_id": session_id }));
    if let Some(id) = work.actor().user_id() {
        event = event.resource("user", id);
    }
    work.record(event);
    Ok(())
}

/// Changes the actor's own password after checking the current one. Every
/// other session and every token of the user stops working; `keep_session`
/// (the one making the change) survives. Both hashes are computed before the
/// work's transaction begins.
pub async fn change_password(
    work: &Work,
    current: &PlainPassword,
    new_password: &str,
    confirmation: Option<&str>,
    keep_session: Option<&str>,
) -> Result<()> {
    let app = work.app();
    let user_id = work
        .actor()
        .user_id()
        .ok_or_else(|| DomainError::Unauthenticated("Authentication required".into()))?;
    let user = users::find(work.pool()?, &UserKey::Id(user_id.to_string())).await?;
    let verified = app
        .hasher
        .verify(current, user.password_hash.as_deref())
        .await?;
    if !verified {
        return Err(DomainError::bad_input(
            "currentPassword",
            "Current password is incorrect",
        ));
    }
    let checked = app.policy.check(
        new_password,
        confirmation,
        &[user.username.as_str(), user.email.as_str()],
    )?;
    let hash = app.hasher.hash(&checked).await?;
    users::replace_password(work, work.actor(), &user, hash, keep_session, None)
        .await
        .map(|_| ())
}

/// A credential as a caller presented it: the secret of a personal access
/// token (bearer) or of a session (cookie). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub enum Presented {
    Token(String),
    Session(String),
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Presented::Token(***)"),
            Self::Session(_) => f.write_str("Presented::Session(***)"),
        }
    }
}

pub use super::sessions::Presence;

/// The credential that authenticated a caller, by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// A session; its id.
    Session(String),
    /// A personal access token; its id.
    Token(String),
    /// The identity provider's access token; the provider's `sub`.
    IdpToken(String),
}

/// Who `presented` belongs to now, with the credential that proved it;
/// `None` when it is not (or no longer) valid: revoked, expired, or its
/// user deactivated. Every request authenticates through here
/// ([`Presence::Active`]), and a live subscription again every second
/// ([`Presence::Watching`]). A bearer secret is a personal access token
/// when it has their prefix, else the identity provider's JWT when OIDC is
/// configured.
pub async fn authenticate(
    app: &App,
    presented: &Presented,
    client: &Client,
    presence: Presence,
) -> Result<Option<(Authenticated, Proof)>> {
    Ok(match presented {
        Presented::Token(secret) if super::idp_tokens::looks_like_jwt(secret) => {
            super::idp_tokens::authenticate(app, secret, client)
                .await?
                .map(|(who, token)| (who, Proof::IdpToken(token.subject)))
        }
        Presented::Token(secret) => super::access_tokens::authenticate(app, secret, client)
            .await?
            .map(|(who, token)| (who, Proof::Token(token.id))),
        Presented::Session(secret) => sessions::authenticate(app, secret, client, presence)
            .await?
            .map(|(who, session)| (who, Proof::Session(session.id))),
    })
}
