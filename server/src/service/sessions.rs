//! Login sessions (SPEC §5): an opaque random id in a cookie, stored only as
//! its SHA-256, with idle and absolute expiry. A revocation takes effect on
//! the very next request (see `service::credentials` for how the cache keeps
//! that promise).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use super::actor::{self, Authenticated, Client};
use super::audit::AuditEvent;
use super::credentials::Credential;
use super::tokens::{digest, new_secret};
use super::work::{self, Work};
use crate::app::App;
use crate::config::AuthConfig;
use crate::domain::{Channel, UserStatus, new_id};
use crate::entity::{session, user};
use crate::error::{DomainError, Result};

/// Last-seen is written at most this often per session, so that reads stay
/// reads.
const TOUCH_INTERVAL_SECS: i64 = 60;

fn duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

/// A new session's secret (for the cookie) and row.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub session: session::Model,
}

/// Whether presenting a credential is activity of its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// A request: it keeps a session from its idle timeout.
    Active,
    /// An open subscription checking that its credential still holds: a
    /// page left open is not activity, and the session still times out.
    Watching,
}

/// Creates a session for `user_id`; a new random id at every login.
pub async fn create(
    db: &impl ConnectionTrait,
    config: &AuthConfig,
    user_id: &str,
    client: &Client,
    now: DateTime<Utc>,
) -> Result<NewSession> {
    let secret = new_secret();
    let model = session::Model {
        id: new_id(),
        token_hash: digest(&secret),
        user_id: user_id.to_string(),
        created_at: now,
        last_seen_at: now,
        idle_expires_at: now + duration(config.session_idle),
        expires_at: now + duration(config.session_max_age),
        ip_address: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        revoked_at: None,
    };
    session::Entity::insert(session::ActiveModel {
        id: Set(model.id.clone()),
        token_hash: Set(model.token_hash.clone()),
        user_id: Set(model.user_id.clone()),
        created_at: Set(model.created_at),
        last_seen_at: Set(model.last_seen_at),
        idle_expires_at: Set(model.idle_expires_at),
        expires_at: Set(model.expires_at),
        ip_address: Set(model.ip_address.clone()),
        user_agent: Set(model.user_agent.clone()),
        revoked_at: Set(None),
    })
    .exec(db)
    .await?;
    Ok(NewSession {
        secret,
        session: model,
    })
}

/// The user behind a session cookie, or `None` when the session is unknown,
/// revoked, expired, or its user may no longer log in. Answered from the
/// credential cache when possible (see `service::credentials`); the database
/// is read when the session is not cached or is due for a last-seen update.
pub async fn authenticate(
    app: &App,
    secret: &str,
    client: &Client,
    presence: Presence,
) -> Result<Option<(Authenticated, session::Model)>> {
    let now = app.clock.now();
    let key = digest(secret);
    // Activity is recorded (the idle timeout pushed back) at most once a
    // touch interval, and never for a subscription watching.
    let touch = |session: &session::Model| {
        presence == Presence::Active
            && (now - session.last_seen_at).num_seconds() >= TOUCH_INTERVAL_SECS
    };
    if let Some((who, Credential::Session(session))) = app.credentials.get(&key, client)
        && session.expires_at > now
        && session.idle_expires_at > now
        && !touch(&session)
    {
        return Ok(Some((who, session)));
    }
    let generation = app.credentials.generation();
    let found = work::lookup(app, async |db| {
        let found = session::Entity::find()
            .filter(session::Column::TokenHash.eq(key.as_str()))
            .filter(session::Column::RevokedAt.is_null())
            .find_also_related(user::Entity)
            .one(db)
            .await?;
        let Some((mut session, Some(user))) = found else {
            return Ok(None);
        };
        if session.expires_at <= now
            || session.idle_expires_at <= now
            || user.status != UserStatus::Active
        {
            return Ok(None);
        }
        if touch(&session) {
            let idle_expires_at =
                (now + duration(app.config.auth.session_idle)).min(session.expires_at);
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, Expr::value(now))
                .col_expr(session::Column::IdleExpiresAt, Expr::value(idle_expires_at))
                .filter(session::Column::Id.eq(session.id.as_str()))
                .exec(db)
                .await?;
            user::Entity::update_many()
                .col_expr(user::Column::LastActiveAt, Expr::value(now))
                .filter(user::Column::Id.eq(user.id.as_str()))
                .exec(db)
                .await?;
            session.last_seen_at = now;
            session.idle_expires_at = idle_expires_at;
        }
        let who = actor::actor_for(db, user, Channel::Api, client, None).await?;
        Ok(Some((who, session)))
    })
    .await?;
    let Some((who, session)) = found else {
        return Ok(None);
    };
    app.credentials
        .put(key, generation, &who, Credential::Session(session.clone()));
    Ok(Some((who, session)))
}

/// A user's live sessions, newest first.
pub async fn list_live(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<session::Model>> {
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::IdleExpiresAt.gt(now))
        .order_by_desc(session::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The actor's own live sessions, newest first.
pub async fn list_mine(work: &Work) -> Result<Vec<session::Model>> {
    let Some(user_id) = work.actor().user_id() else {
        return Ok(Vec::new());
    };
    list_live(work.db().await?, user_id, work.now()).await
}

/// The live sessions of `user_id`, newest first: the actor's own, or
/// anyone's they may manage (`users:manage` and the user's permissions).
pub async fn list_of(work: &Work, user_id: &str) -> Result<Vec<session::Model>> {
    super::users::require_manage_id(work, user_id, "session.list", true).await?;
    list_live(work.db().await?, user_id, work.now()).await
}

/// Ends one session: the actor's own, or that of a user they may manage
/// (`users:manage` and the user's permissions).
pub async fn revoke(work: &Work, session_id: &str) -> Result<()> {
    let not_found = || DomainError::not_found("Session not found");
    let target = work
        .read_any(async |txn| {
            Ok(session::Entity::find_by_id(session_id.to_string())
                .filter(session::Column::RevokedAt.is_null())
                .one(txn)
                .await?)
        })
        .await?
        .ok_or_else(not_found)?;
    super::users::require_manage_id(work, &target.user_id, "session.revoke", true).await?;
    let txn = work.db().await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(work.now()))
        .filter(session::Column::Id.eq(target.id.as_str()))
        .exec(txn)
        .await?;
    let event = AuditEvent::new("session.revoked")
        .resource("session", &target.id)
        .details(json!({ "user_id": target.user_id }));
    work.record(event);
    Ok(())
}
