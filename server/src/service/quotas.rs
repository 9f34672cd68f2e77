//! Per-user limits: a configured default, overridable per user.

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::entity::user_quota;
use crate::error::Result;

/// What a quota limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Live personal access tokens.
    Tokens,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
        }
    }
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
