//! Seed 002's `/v1/me/tokens`: the caller's personal access tokens, listed,
//! created (the secret answered once) and revoked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ErrorBody, RestError};
use super::{Body, RestCaller, run};
use crate::http::HttpState;
use crate::service::access_tokens::{self, NewToken, TokenView};
use crate::service::work::Mode;

/// A live token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub name: String,
    /// The permissions it carries (a subset of its owner's).
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenView> for Token {
    fn from(t: TokenView) -> Self {
        Self {
            id: t.token.id,
            name: t.token.name,
            scopes: t.scopes,
            created_at: t.token.created_at,
            expires_at: t.token.expires_at,
            last_used_at: t.token.last_used_at,
        }
    }
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    pub name: String,
    /// Permissions you hold, e.g. `users:read`.
    pub scopes: Vec<String>,
    /// None: it lives until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The new token and its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: Token,
    /// `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[utoipa::path(get, path = "/v1/me/tokens", tag = "tokens", operation_id = "listMyTokens",
    responses((status = 200, body = [Token]), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<HttpState>,
    caller: RestCaller,
) -> Result<Json<Vec<Token>>, RestError> {
    let list = run(&state, &caller, Mode::Read, async |w| {
        let owner = w.actor().user_id().unwrap_or_default().to_string();
        access_tokens::list(w, &owner).await
    })
    .await?;
    Ok(Json(list.into_iter().map(Token::from).collect()))
}

#[utoipa::path(post, path = "/v1/me/tokens", tag = "tokens", operation_id = "createMyToken",
    request_body = NewTokenBody,
    responses((status = 201, body = CreatedToken), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<HttpState>,
    caller: RestCaller,
    body: Body<NewTokenBody>,
) -> Result<(StatusCode, Json<CreatedToken>), RestError> {
    let input = body.0?;
    let new = NewToken {
        name: input.name,
        scopes: input.scopes,
        expires_at: input.expires_at,
    };
    let created = run(&state, &caller, Mode::Write, async |w| {
        access_tokens::create(w, new).await
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: created.token.into(),
            secret: created.secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/v1/me/tokens/{id}", tag = "tokens", operation_id = "revokeMyToken",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, RestError> {
    run(&state, &caller, Mode::Write, async |w| {
        access_tokens::revoke(w, &id).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
