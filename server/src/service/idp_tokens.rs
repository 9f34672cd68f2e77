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
//! A token whose identity no account is linked to yet signs its person in
//! the way a first browser login does (seed 002 "Identity claim
//! enrichment"): its claims, enriched from the userinfo endpoint (asked
//! with the token itself) when they lack the email, groups or a name, link
//! an account by a verified email or provision one under the same flags,
//! and the provider's roles are synced (`service::oidc_accounts`); a
//! refusal answers `UNAUTHENTICATED` with its reason, audited as
//! `user.login_failed` with `method: oidc_token`. Later tokens of a linked
//! identity change nothing: roles follow the provider at each browser login
//! and `syncUserRoles`.

use jsonwebtoken::{Algorithm, Validation};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::actor::Actor;
use super::actor::{Authenticated, Client, actor_for};
use super::credentials::Credential;
pub use super::credentials::IdpToken;
use super::oidc_accounts::{self, Claims};
use super::tokens::digest;
use super::work::{Mode, Work};
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

/// Whether a bearer secret is a JWT (three base64url parts, a JSON header)
/// rather than a personal access token.
pub fn looks_like_jwt(secret: &str) -> bool {
    secret.starts_with("eyJ") && secret.split('.').count() == 3
}

/// A verified token's claims: `sub` and `exp`, and all of them.
struct AccessClaims {
    sub: String,
    exp: i64,
    all: Value,
}

/// Who the access token `jwt` belongs to; `None` when it is not a valid
/// token of the configured provider, or its user is not active. A valid
/// token of a new identity signs its person in first (see above); a
/// refusal is an `UNAUTHENTICATED` error that says why.
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
    // A token whose person could not be signed in a moment ago is refused
    // again without asking the provider or writing another audit event.
    if let Some(message) = app.oidc.refused_before(&key) {
        return Err(DomainError::Unauthenticated(message));
    }
    let generation = app.credentials.generation();
    let Some(claims) = verify(app, p, jwt).await? else {
        metrics::counter!("roster_idp_token_refusals_total").increment(1);
        return Ok(None);
    };
    let user_id = match linked_user(app, p, &claims.sub).await? {
        Some(id) => id,
        None => match first_sight(app, p, jwt, &claims, client).await {
            Ok(user) => user.id,
            Err(e @ DomainError::Conflict { .. }) => {
                // Another request with a token of the same person won the
                // race; any other conflict stands.
                match linked_user(app, p, &claims.sub).await? {
                    Some(id) => id,
                    None => return Err(e),
                }
            }
            Err(DomainError::Unauthenticated(message)) => {
                let until = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
                let left = (until - now).to_std().unwrap_or_default();
                app.oidc.remember_refusal(key, message.clone(), left);
                return Err(DomainError::Unauthenticated(message));
            }
            Err(e) => return Err(e),
        },
    };
    let owner = user::Entity::find_by_id(user_id.as_str())
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
    // An access token, not an ID token: an ID token Roster's own client
    // received has the same issuer and (by default) audience, and must
    // not open the API (RFC 9068 §4).
    let typ = header.typ.as_deref().map(str::to_ascii_lowercase);
    if typ
        .as_deref()
        .is_some_and(|t| !matches!(t, "jwt" | "at+jwt" | "application/at+jwt"))
    {
        return refused(&format!("a token of type {typ:?} is not an access token"));
    }
    let mut last_error = None;
    for candidate in keys.for_kid(kid) {
        if candidate.alg.is_some_and(|alg| alg != header.alg) {
            continue;
        }
        match jsonwebtoken::decode::<Value>(jwt, &candidate.key, &validation) {
            Ok(data) => {
                let (Some(sub), Some(exp)) = (
                    data.claims.get("sub").and_then(Value::as_str),
                    data.claims.get("exp").and_then(Value::as_i64),
                ) else {
                    return refused(&"sub or exp is not of the expected type");
                };
                let id_token = ["nonce", "at_hash", "c_hash"]
                    .iter()
                    .any(|c| data.claims.get(*c).is_some())
                    || data.claims.get("typ").and_then(Value::as_str) == Some("ID");
                if id_token {
                    return refused(&"an ID token is not an access token");
                }
                return Ok(Some(AccessClaims {
                    sub: sub.to_string(),
                    exp,
                    all: data.claims,
                }));
            }
            Err(e) => last_error = Some(e),
        }
    }
    match last_error {
        Some(e) => refused(&e),
        None => refused(&"no key of the provider fits the token"),
    }
}

/// The user linked to the provider's `subject`, if any.
async fn linked_user(app: &App, p: &OidcProvider, subject: &str) -> Result<Option<String>> {
    Ok(external_identity::Entity::find()
        .filter(external_identity::Column::Issuer.eq(p.issuer_url.as_str()))
        .filter(external_identity::Column::Subject.eq(subject))
        .one(&app.db)
        .await?
        .map(|identity| identity.user_id))
}

/// The first token of an identity: its person signed in as at a first
/// browser login, in a unit of work of its own (the provider is asked
/// before it writes anything).
async fn first_sight(
    app: &App,
    p: &OidcProvider,
    jwt: &str,
    claims: &AccessClaims,
    client: &Client,
) -> Result<user::Model> {
    let meta = app.oidc.metadata(p).await?;
    let userinfo = p
        .userinfo_endpoint
        .clone()
        .or_else(|| meta.userinfo_endpoint().map(|u| u.url().to_string()));
    let actor = Actor::anonymous(client.ip.clone(), client.user_agent.clone());
    let mut all = claims.all.clone();
    let subject = claims.sub.clone();
    Work::run(app, actor, Mode::Write, async |w| {
        let outcome = async {
            if let Some(url) = userinfo.filter(|_| oidc_accounts::sparse(p, &all)) {
                let http = super::oidc_discovery::http()?;
                oidc_accounts::enrich(&http, &url, jwt, &subject, &mut all).await?;
            }
            oidc_accounts::account(w, p, &Claims::new(subject, all)).await
        }
        .await;
        oidc_accounts::settle(w, "oidc_token", outcome)
    })
    .await
}
