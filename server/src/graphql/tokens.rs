//! Personal access tokens.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::context::{mutate, read};
use super::types::{CreatedToken, Token};
use crate::service::access_tokens::{self, NewToken};

#[derive(Default)]
pub struct TokenQuery;

#[Object]
impl TokenQuery {
    /// Your live personal access tokens.
    async fn my_tokens(&self, ctx: &Context<'_>) -> Result<Vec<Token>> {
        let list = read(ctx, async |w| {
            let owner = w.actor().user_id().unwrap_or_default().to_string();
            access_tokens::list(w, &owner).await
        })
        .await?;
        Ok(list.into_iter().map(Token::from).collect())
    }

    /// Anyone's live tokens (needs `tokens:manage`, or be that user).
    #[graphql(visible = "super::context::core_enabled")]
    async fn tokens(&self, ctx: &Context<'_>, user_id: ID) -> Result<Vec<Token>> {
        let list = read(ctx, async |w| access_tokens::list(w, &user_id).await).await?;
        Ok(list.into_iter().map(Token::from).collect())
    }
}

#[derive(Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
    /// Creates a token limited to `scopes` (a subset of your permissions).
    /// The secret is in the answer and never shown again.
    async fn create_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        scopes: Vec<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<CreatedToken> {
        let new = NewToken {
            name,
            scopes,
            expires_at,
        };
        let created = mutate(ctx, async |w| access_tokens::create(w, new).await).await?;
        Ok(CreatedToken {
            token: created.token.into(),
            secret: created.secret,
        })
    }

    /// Revokes a token of yours (or anyone's, with `tokens:manage`).
    async fn revoke_token(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        mutate(ctx, async |w| access_tokens::revoke(w, &id).await).await?;
        Ok(true)
    }
}
