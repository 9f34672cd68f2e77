//! Per-user limits: a configured default, overridable per user.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};
use serde_json::json;

use super::audit::AuditEvent;
use super::users::{self, UserKey};
use super::work::Work;
use crate::app::App;
use crate::entity::user_quota;
use crate::error::{DomainError, Result};

/// What a quota limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Live personal access tokens.
    Tokens,
}

impl Resource {
    pub const ALL: [Resource; 1] = [Resource::Tokens];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
        }
    }

    /// The configured default limit.
    pub fn default_limit(self, app: &App) -> u32 {
        match self {
            Self::Tokens => app.config.auth.token_quota,
        }
    }
}

/// A limit with its current use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub resource: Resource,
    pub limit: u32,
    pub used: u64,
    /// True when the limit is a per-user override of the default.
    pub overridden: bool,
}

/// A user's limits with usage, for someone who may read that account
/// (`users:read`, or the user themself).
pub async fn usage_for(work: &Work, user_id: &str) -> Result<Vec<Usage>> {
    super::policy::require_user_reader(work, user_id).await?;
    usage(work, user_id).await
}

/// Every quota of a user with its use.
pub async fn usage(work: &Work, user_id: &str) -> Result<Vec<Usage>> {
    let db = work.db().await?;
    let mut out = Vec::new();
    for resource in Resource::ALL {
        let row =
            user_quota::Entity::find_by_id((user_id.to_string(), resource.as_str().to_string()))
                .one(db)
                .await?;
        let used = match resource {
            Resource::Tokens => super::live_tokens::count_live(db, user_id, work.now()).await?,
        };
        out.push(Usage {
            resource,
            limit: row
                .as_ref()
                .map_or(resource.default_limit(work.app()), |r| {
                    u32::try_from(r.max_count).unwrap_or(0)
                }),
            used,
            overridden: row.is_some(),
        });
    }
    Ok(out)
}

/// Sets (or, with `None`, removes) a user's override of a quota.
pub async fn set(
    work: &Work,
    key: &UserKey,
    resource: Resource,
    limit: Option<u32>,
) -> Result<users::UserView> {
    let target = users::find_for_admin(work, key, "quota.set").await?;
    let max = limit
        .map(|l| {
            i32::try_from(l).map_err(|_| DomainError::bad_input("limit", "Limit is too large"))
        })
        .transpose()?;
    let id = (target.id.clone(), resource.as_str().to_string());
    let txn = work.db().await?;
    let before = user_quota::Entity::find_by_id(id.clone())
        .one(txn)
        .await?
        .map(|r| r.max_count);
    match max {
        Some(max) => {
            user_quota::Entity::insert(user_quota::ActiveModel {
                user_id: Set(id.0.clone()),
                resource: Set(id.1.clone()),
                max_count: Set(max),
                updated_at: Set(work.now()),
            })
            .on_conflict(
                OnConflict::columns([user_quota::Column::UserId, user_quota::Column::Resource])
                    .update_columns([user_quota::Column::MaxCount, user_quota::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(txn)
            .await?;
        }
        None => {
            user_quota::Entity::delete_by_id(id).exec(txn).await?;
        }
    }
    let event = AuditEvent::new("user.quota_updated")
        .resource("user", &target.id)
        .details(json!({
            "resource": resource.as_str(),
            "old_values": { "limit": before },
            "new_values": { "limit": max },
        }));
    work.record(event);
    users::get(txn, &target.id).await
}

/// The limit that applies to `user_id`: their override, else `default`.
pub async fn limit(
    db: &impl ConnectionTrait,
    user_id: &str,
    resource: Resource,
    default: u32,
) -> Result<u32> {
    let row = user_quota::Entity::find_by_id((user_id.to_string(), resource.as_str().to_string()))
        .one(db)
        .await?;
    Ok(row.map_or(default, |r| u32::try_from(r.max_count).unwrap_or(0)))
}
