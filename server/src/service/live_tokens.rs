//! The live personal access tokens of a user: neither revoked nor expired.
//! Listing them (`access_tokens`) and counting them against the quota
//! (`quotas`) read the same rows.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entity::personal_access_token as pat;
use crate::error::Result;

/// The query for `user_id`'s tokens that are live at `now`.
pub fn live(user_id: &str, now: DateTime<Utc>) -> sea_orm::Select<pat::Entity> {
    pat::Entity::find()
        .filter(pat::Column::UserId.eq(user_id))
        .filter(pat::Column::RevokedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(pat::Column::ExpiresAt.is_null())
                .add(pat::Column::ExpiresAt.gt(now)),
        )
}

/// How many live tokens a user holds (the usage side of the token quota).
pub async fn count_live(
    db: &impl sea_orm::ConnectionTrait,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(live(user_id, now).count(db).await?)
}
