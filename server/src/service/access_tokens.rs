//! Personal access tokens (SPEC §5, seed 002 `me/tokens`): for scripts. The
//! secret is shown once, carries a recognisable prefix, and is stored only as
//! its SHA-256. A token's scopes can only narrow its owner's permissions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::actor::{self, Authenticated, Client};
use super::audit::AuditEvent;
use super::credentials::Credential;
use super::live_tokens::live;
use super::policy::{self, Principal};
use super::quotas::{self, Resource};
use super::tokens::{digest, new_secret};
use super::work::{self, Work};
use crate::app::App;
use crate::domain::{Channel, Permission, UserStatus, new_id};
use crate::entity::{personal_access_token as pat, user};
use crate::error::{DomainError, FieldError, Result};

/// Every token secret starts with this, so leaked tokens are easy to spot.
pub const PREFIX: &str = "roster_pat_";

/// last_used_at is written at most this often per token.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// A token as listed: never its secret.
#[derive(Debug, Clone)]
pub struct TokenView {
    pub token: pat::Model,
    pub scopes: Vec<String>,
}

impl From<pat::Model> for TokenView {
    fn from(token: pat::Model) -> Self {
        let scopes = token
            .scopes
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Self { token, scopes }
    }
}

/// A new token and its secret, which is never shown again.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub token: TokenView,
    pub secret: String,
}

/// What a new token should be.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn parse(work: &Work, new: &NewToken) -> Result<(String, BTreeSet<Permission>)> {
    let mut errors = Vec::new();
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "Token name must be 1 to 100 characters",
        ));
    }
    let mut scopes = BTreeSet::new();
    for raw in &new.scopes {
        match Permission::parse(raw) {
            Ok(p) => {
                scopes.insert(p);
            }
            Err(e) => errors.push(FieldError::new("scopes", e.to_string())),
        }
    }
    if new.scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "A token needs at least one scope",
        ));
    }
    let lacking = policy::scopes_beyond_holder(work, &scopes);
    if !lacking.is_empty() {
        let names: Vec<&str> = lacking.iter().map(|p| p.as_str()).collect();
        errors.push(FieldError::new(
            "scopes",
            format!("You do not hold these permissions: {}", names.join(", ")),
        ));
    }
    if new.expires_at.is_some_and(|at| at <= work.now()) {
        errors.push(FieldError::new("expiresAt", "Expiry must be in the future"));
    }
    if errors.is_empty() {
        Ok((name, scopes))
    } else {
        Err(DomainError::BadInput(errors))
    }
}

/// Creates a token for the actor, within their token quota.
pub async fn create(work: &Work, new: NewToken) -> Result<CreatedToken> {
    let actor = work.actor();
    let Principal::User { id: owner, .. } = &actor.principal else {
        return Err(DomainError::bad_input("user", "Only users can hold tokens"));
    };
    let now = work.now();
    let (name, scopes) = parse(work, &new)?;
    let txn = work.db().await?;
    // Serialise concurrent creations by the same user so the quota holds.
    if txn.get_database_backend() == DbBackend::Postgres {
        user::Entity::find_by_id(owner.clone())
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    let quota = work.app().config.auth.token_quota;
    let limit = quotas::limit(txn, owner, Resource::Tokens, quota).await?;
    let in_use = live(owner, now).count(txn).await?;
    if in_use >= u64::from(limit) {
        return Err(DomainError::conflict(
            Some("quota"),
            format!("Token quota reached: {in_use} of {limit} tokens in use; revoke one first"),
        ));
    }
    let secret = format!("{PREFIX}{}", new_secret());
    let model = pat::Model {
        id: new_id(),
        user_id: owner.clone(),
        name,
        token_hash: digest(&secret),
        scopes: json!(scopes),
        created_at: now,
        expires_at: new.expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    pat::Entity::insert(pat::ActiveModel {
        id: Set(model.id.clone()),
        user_id: Set(model.user_id.clone()),
        name: Set(model.name.clone()),
        token_hash: Set(model.token_hash.clone()),
        scopes: Set(model.scopes.clone()),
        created_at: Set(now),
        expires_at: Set(model.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    })
    .exec(txn)
    .await?;
    let event = AuditEvent::new("apikey.created")
        .resource("apikey", &model.id)
        .details(json!({ "name": model.name, "scopes": scopes, "expires_at": model.expires_at }));
    work.record(event);
    Ok(CreatedToken {
        token: model.into(),
        secret,
    })
}

/// Another user's tokens need `tokens:manage` and every permission that user
/// holds (nobody manages someone more powerful); one's own need nothing.
async fn require_manage(work: &Work, owner_id: &str, action: &str) -> Result<()> {
    policy::require_token_manager_of(work, owner_id, action).await
}

/// The live tokens of `user_id`: the actor's own, or, with `tokens:manage`,
/// those of a user who is not more powerful.
pub async fn list(work: &Work, user_id: &str) -> Result<Vec<TokenView>> {
    require_manage(work, user_id, "apikey.list").await?;
    Ok(live(user_id, work.now())
        .order_by_desc(pat::Column::CreatedAt)
        .all(work.db().await?)
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect())
}

/// Revokes a token: the actor's own, or, with `tokens:manage`, one of a user
/// who is not more powerful.
pub async fn revoke(work: &Work, token_id: &str) -> Result<()> {
    let token = work
        .read_any(async |txn| {
            Ok(pat::Entity::find_by_id(token_id.to_string())
                .filter(pat::Column::RevokedAt.is_null())
                .one(txn)
                .await?)
        })
        .await?
        .ok_or_else(|| DomainError::not_found("Token not found"))?;
    require_manage(work, &token.user_id, "apikey.revoke").await?;
    let txn = work.db().await?;
    pat::Entity::update_many()
        .col_expr(pat::Column::RevokedAt, Expr::value(work.now()))
        .filter(pat::Column::Id.eq(token.id.as_str()))
        .exec(txn)
        .await?;
    let event = AuditEvent::new("apikey.revoked")
        .resource("apikey", &token.id)
        .details(json!({ "name": token.name, "user_id": token.user_id }));
    work.record(event);
    Ok(())
}

/// The owner of a bearer token, with their permissions narrowed to the
/// token's scopes; `None` when the token is unknown, revoked, expired or its
/// owner may not log in.
pub async fn authenticate(
    app: &App,
    secret: &str,
    client: &Client,
) -> Result<Option<(Authenticated, pat::Model)>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let now = app.clock.now();
    let key = digest(secret);
    if let Some((who, Credential::Token(token))) = app.credentials.get(&key, client)
        && token.expires_at.is_none_or(|at| at > now)
        && token
            .last_used_at
            .is_some_and(|at| (now - at).num_seconds() < TOUCH_INTERVAL_SECS)
    {
        return Ok(Some((who, token)));
    }
    let generation = app.credentials.generation();
    let found = work::lookup(app, async |db| {
        let found = pat::Entity::find()
            .filter(pat::Column::TokenHash.eq(key.as_str()))
            .filter(pat::Column::RevokedAt.is_null())
            .find_also_related(user::Entity)
            .one(db)
            .await?;
        let Some((mut token, Some(owner))) = found else {
            return Ok(None);
        };
        if token.expires_at.is_some_and(|at| at <= now) || owner.status != UserStatus::Active {
            return Ok(None);
        }
        if token
            .last_used_at
            .is_none_or(|at| (now - at).num_seconds() >= TOUCH_INTERVAL_SECS)
        {
            pat::Entity::update_many()
                .col_expr(pat::Column::LastUsedAt, Expr::value(now))
                .filter(pat::Column::Id.eq(token.id.as_str()))
                .exec(db)
                .await?;
            token.last_used_at = Some(now);
        }
        let view = TokenView::from(token.clone());
        let scopes: BTreeSet<Permission> =
            Permission::from_stored(view.scopes.iter().map(String::as_str))
                .into_iter()
                .collect();
        let who = actor::actor_for(db, owner, Channel::Api, client, Some(&scopes)).await?;
        Ok(Some((who, token)))
    })
    .await?;
    let Some((who, token)) = found else {
        return Ok(None);
    };
    app.credentials
        .put(key, generation, &who, Credential::Token(token.clone()));
    Ok(Some((who, token)))
}
