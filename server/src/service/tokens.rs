//! Secrets handed to people (invitation and reset links, later sessions and
//! access tokens): 256 random bits, of which only a SHA-256 digest is stored.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::domain::new_id;
use crate::entity::one_time_token;
use crate::error::Result;

/// A new random secret, hex-encoded.
pub fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The digest under which a secret is stored.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
        }
    }

    /// SPEC §5: invitations last 7 days, resets 1 hour.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::Invitation => Duration::days(7),
            Self::PasswordReset => Duration::hours(1),
        }
    }
}

/// An issued one-time token; `secret` goes into the link, nowhere else.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: String,
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a token for `user_id`, revoking every earlier unused one of the same
/// purpose so that only the newest link works.
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<IssuedToken> {
    revoke_all(db, user_id, purpose, now).await?;
    let secret = new_secret();
    let token = IssuedToken {
        id: new_id(),
        expires_at: now + purpose.lifetime(),
        secret,
    };
    one_time_token::Entity::insert(one_time_token::ActiveModel {
        id: Set(token.id.clone()),
        user_id: Set(user_id.to_string()),
        purpose: Set(purpose.as_str().to_string()),
        token_hash: Set(digest(&token.secret)),
        created_at: Set(now),
        expires_at: Set(token.expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    })
    .exec(db)
    .await?;
    Ok(token)
}

/// Revokes every unused token of `purpose` for the user; returns how many.
pub async fn revoke_all(
    db: &impl ConnectionTrait,
    user_id: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<u64> {
    let result = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::RevokedAt, Expr::value(now))
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The live (unused, unrevoked, unexpired) token of `purpose` behind `secret`.
pub async fn find_live(
    db: &impl ConnectionTrait,
    secret: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Option<one_time_token::Model>> {
    Ok(one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(digest(secret.trim())))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::RevokedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .one(db)
        .await?)
}

/// Marks a token used, atomically: true for exactly one caller, however many
/// race to redeem it.
pub async fn redeem(db: &impl ConnectionTrait, token_id: &str, now: DateTime<Utc>) -> Result<bool> {
    let result = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(token_id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bits_and_distinct() {
        let a = new_secret();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret());
    }

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
