//! The identity provider's JWT access tokens as bearer credentials (SPEC
//! §8): a script that holds a token from the provider calls the API as the
//! user linked to the token's (issuer, `sub`).
//!
//! A token is accepted when it is signed by one of the provider's keys
//! (an asymmetric algorithm the key allows: never `none`, never HMAC), its
//! `iss` is the provider's, its `aud` names `OIDC_AUDIENCE`, and it is
//! within `exp` and `nbf`, with [`SKEW_SECONDS`] of clock skew either way.
//! An unknown `kid` makes Roster fetch the keys again, rate-limited
//! (`service::oidc_discovery`). A verified token is kept in the credential
//! cache until it expires, so a request with a known token does no
//! signature check and no query — and, like every credential, stops
//! working at once when its user is deactivated.
//!
//! The identity must already be linked (a first sign-in through SSO links
//! it, or provisions the user): a bearer request provisions nobody and does
//! not sync roles.

use jsonwebtoken::{Algorithm, Validation};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::actor::{Authenticated, Client, actor_for};
use super::credentials::Credential;
pub use super::credentials::IdpToken;
use super::tokens::digest;
use crate::app::App;
use crate::config::OidcProvider;
use crate::domain::{Channel, UserStatus};
use crate::entity::{external_identity, user};
use crate::error::{DomainError, Result};

/// The clock skew allowed on `exp` and `nbf`.
pub const SKEW_SECONDS: i64 = 60;

/// The algorithms a provider's access token may be signed with.
const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The message of a token linked to no account.
pub const NOT_LINKED: &str =
    "No account is linked to this identity; sign in through SSO once to link it";

/// Whether a bearer secret is a JWT (three base64url parts, a JSON header)
/// rather than a personal access token.
pub fn looks_like_jwt(secret: &str) -> bool {
    secret.starts_with("eyJ") && secret.split('.').count() == 3
}

#[derive(Deserialize)]
struct AccessClaims {
    sub: String,
    exp: i64,
}

/// Who the access token `jwt` belongs to; `None` when it is not a valid
/// token of the configured provider, or its user is not active. A valid
/// token of an identity linked to nobody is an `UNAUTHENTICATED` error that
/// says so.
pub async fn authenticate(
    app: &App,
    jwt: &str,
    client: &Client,
) -> Result<Option<(Authenticated, IdpToken)>> {
    let Some(p) = app.config.oidc.provider.as_ref() else {
        return Ok(None);
    };
    let now = app.clock.now();
    let key = digest(jwt);
    if let Some((who, Credential::IdpToken(token))) = app.credentials.get(&key, client)
        && token.expires_at + chrono::Duration::seconds(SKEW_SECONDS) > now
    {
        return Ok(Some((who, token)));
    }
    let generation = app.credentials.generation();
    let Some(claims) = verify(app, p, jwt).await? else {
        metrics::counter!("roster_idp_token_refusals_total").increment(1);
        return Ok(None);
    };
    let identity = external_identity::Entity::find()
        .filter(external_identity::Column::Issuer.eq(p.issuer_url.as_str()))
        .filter(external_identity::Column::Subject.eq(claims.sub.as_str()))
        .one(&app.db)
        .await?
        .ok_or_else(|| DomainError::Unauthenticated(NOT_LINKED.into()))?;
    let owner = user::Entity::find_by_id(identity.user_id.as_str())
        .filter(user::Column::DeletedAt.is_null())
        .one(&app.db)
        .await?;
    let Some(owner) = owner.filter(|u| u.status == UserStatus::Active) else {
        return Ok(None);
    };
    let token = IdpToken {
        subject: claims.sub,
        user_id: owner.id.clone(),
        expires_at: chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or(now),
    };
    let who = actor_for(&app.db, owner, Channel::Api, client, None).await?;
    app.credentials
        .put(key, generation, &who, Credential::IdpToken(token.clone()));
    Ok(Some((who, token)))
}

/// The claims of `jwt` if the provider signed it for Roster and it is
/// current; `None` otherwise (the reason is logged at debug level).
async fn verify(app: &App, p: &OidcProvider, jwt: &str) -> Result<Option<AccessClaims>> {
    let refused = |reason: &dyn std::fmt::Display| {
        tracing::debug!(%reason, "identity provider token refused");
        Ok(None)
    };
    let header = match jsonwebtoken::decode_header(jwt) {
        Ok(header) => header,
        Err(e) => return refused(&e),
    };
    if !ASYMMETRIC.contains(&header.alg) {
        return refused(&format!("algorithm {:?} is not allowed", header.alg));
    }
    let issuer = app.oidc.metadata(p).await?.issuer().as_str().to_string();
    let mut keys = app.oidc.keys(p).await?;
    let kid = header.kid.as_deref();
    if !keys.knows(kid) {
        match app.oidc.refreshed(p, &keys).await? {
            Some(fresh) => keys = fresh,
            None => return refused(&"unknown key id; the keys were fetched moments ago"),
        }
    }
    let mut validation = Validation::new(header.alg);
    validation.leeway = SKEW_SECONDS.unsigned_abs();
    validation.validate_nbf = true;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[p.audience.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let mut last_error = None;
    for candidate in keys.for_kid(kid) {
        if candidate.alg.is_some_and(|alg| alg != header.alg) {
            continue;
        }
        match jsonwebtoken::decode::<AccessClaims>(jwt, &candidate.key, &validation) {
            Ok(data) => return Ok(Some(data.claims)),
            Err(e) => last_error = Some(e),
        }
    }
    match last_error {
        Some(e) => refused(&e),
        None => refused(&"no key of the provider fits the token"),
    }
}
