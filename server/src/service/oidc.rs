//! OIDC login (SPEC §8): the authorization-code flow with PKCE (S256),
//! `state` and `nonce`, against the provider of `OIDC_ISSUER_URL`.
//!
//! [`begin`] stores the pending login in `oidc_logins` (a callback may reach
//! another replica), keyed by the SHA-256 of a random `state` that the
//! browser also keeps in a cookie, and answers the provider's authorization
//! URL. [`finish`] takes the pending login once (its state must match the
//! browser's cookie, and be under ten minutes old), exchanges the code with
//! the PKCE verifier, verifies the ID token (signature against the
//! provider's keys, `iss`, `aud`, `azp`, `exp`, `nonce`: the `openidconnect`
//! crate), then finds the user by (issuer, subject), links an existing
//! account by a verified email when `OIDC_LINK_BY_EMAIL` allows, or
//! provisions one when `USER_MGMT_CORE` and `OIDC_AUTO_PROVISION_USERS`
//! allow; syncs their provider roles and starts a session like a password
//! login (`user.login` with `method: oidc`). Every refusal writes nothing
//! but its `user.login_failed` event.
//!
//! `roster_oidc_login_step_seconds{step}` times a callback's two parts:
//! `token_exchange` (the code exchanged, the ID token verified, userinfo
//! fetched when needed: the provider's share) and `account` (the identity
//! found, linked or provisioned, roles synced, the session started).

use std::time::Duration;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, SignatureVerificationError,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::actor::actor_for;
use super::audit::AuditEvent;
use super::auth::LoggedIn;
use super::oidc_accounts::{Attempt, Claims, account, enrich, refusal, settle, sparse};
use super::oidc_discovery::Keys;
use super::sessions;
use super::tokens::digest;
use super::work::Work;
use crate::app::App;
use crate::config::OidcProvider;
use crate::domain::Channel;
use crate::entity::{oidc_login, user};
use crate::error::{DomainError, Result};

/// How long a login may take at the provider.
const PENDING: Duration = Duration::from_secs(10 * 60);

fn provider(app: &App) -> Result<&OidcProvider> {
    app.config
        .oidc
        .provider
        .as_ref()
        .ok_or_else(|| DomainError::not_found("OIDC login is not configured"))
}

async fn metadata<'a>(app: &'a App, p: &OidcProvider) -> Result<&'a CoreProviderMetadata> {
    app.oidc.metadata(p).await
}

/// Roster as the provider's client, as discovery describes the provider.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The client, trusting `keys` (the provider's current keys, not those
/// of discovery time).
fn client(app: &App, p: &OidcProvider, meta: &CoreProviderMetadata, keys: &Keys) -> Result<Client> {
    Ok(CoreClient::from_provider_metadata(
        meta.clone().set_jwks(keys.set.clone()),
        ClientId::new(p.client_id.clone()),
        p.client_secret
            .as_ref()
            .map(|s| ClientSecret::new(s.expose().to_string())),
    )
    .set_redirect_uri(redirect_url(app)?))
}

fn redirect_url(app: &App) -> Result<RedirectUrl> {
    RedirectUrl::new(format!("{}/auth/oidc/callback", app.config.public_url))
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("redirect URL: {e}")))
}

/// `return_to` if it is a path of this server (not `//host`, not `/\host`,
/// no scheme), else the admin app.
pub fn safe_return_to(raw: Option<&str>) -> Result<String> {
    let Some(path) = raw.filter(|r| !r.is_empty()) else {
        return Ok("/admin/".into());
    };
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    if !ok {
        return Err(DomainError::bad_input(
            "return_to",
            "return_to must be a path of this server",
        ));
    }
    Ok(path.to_string())
}

/// Starts a login: the provider's URL to send the browser to, and the state
/// for the browser's cookie.
pub async fn begin(app: &App, return_to: Option<&str>) -> Result<(String, String)> {
    let return_to = safe_return_to(return_to)?;
    let p = provider(app)?;
    let meta = metadata(app, p).await?;
    let client = client(app, p, meta, &*app.oidc.keys(p).await?)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in p.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.url();
    let now = app.clock.now();
    oidc_login::Entity::delete_many()
        .filter(oidc_login::Column::ExpiresAt.lt(now))
        .exec(&app.db)
        .await?;
    oidc_login::Entity::insert(oidc_login::ActiveModel::from(oidc_login::Model {
        state_hash: digest(state.secret()),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        return_to,
        expires_at: now + chrono::Duration::from_std(PENDING).unwrap_or_default(),
    }))
    .exec(&app.db)
    .await?;
    Ok((url.to_string(), state.secret().clone()))
}

/// What the provider's callback carried.
pub struct Callback {
    pub code: String,
    pub state: String,
    /// The state in the browser's cookie.
    pub cookie_state: Option<String>,
}

/// A finished login: the session, and where to send the browser.
pub struct Finished {
    pub logged_in: LoggedIn,
    pub return_to: String,
}

/// Exchanges the code and verifies the ID token.
async fn verified_claims(app: &App, pending: &oidc_login::Model, code: String) -> Attempt<Claims> {
    let p = provider(app)?;
    let meta = metadata(app, p).await?;
    let mut keys = app.oidc.keys(p).await?;
    let mut client = client(app, p, meta, &keys)?;
    let http = super::oidc_discovery::http()?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("OIDC token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| {
            refusal(
                "code_rejected",
                format!("The identity provider refused the login ({e})"),
            )
        })?;
    let id_token = openidconnect::TokenResponse::id_token(&response)
        .ok_or_else(|| refusal("no_id_token", "The identity provider sent no ID token"))?;
    let nonce = Nonce::new(pending.nonce.clone());
    let mut checked = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .map(|c| c.subject().as_str().to_string());
    // Signed with a key Roster has not seen: the provider rotated its keys
    // (fetched again at most every 30 seconds).
    if let Err(ClaimsVerificationError::SignatureVerification(
        SignatureVerificationError::NoMatchingKey,
    )) = &checked
        && let Some(fresh) = app.oidc.refreshed(p, &keys).await?
    {
        keys = fresh;
        client = self::client(app, p, meta, &keys)?;
        checked = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .map(|c| c.subject().as_str().to_string());
    }
    let subject = checked.map_err(|e| {
        refusal(
            "invalid_id_token",
            format!("The ID token is not valid ({e})"),
        )
    })?;
    // The token is verified: every claim in its payload is the provider's.
    let raw = id_token.to_string();
    let mut all = raw
        .split('.')
        .nth(1)
        .and_then(|payload| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .unwrap_or(Value::Null);
    let userinfo = p
        .userinfo_endpoint
        .clone()
        .or_else(|| meta.userinfo_endpoint().map(|u| u.url().to_string()));
    if let Some(url) = userinfo.filter(|_| sparse(p, &all)) {
        let access = openidconnect::OAuth2TokenResponse::access_token(&response);
        enrich(&http, &url, access.secret(), &subject, &mut all).await?;
    }
    Ok(Claims::new(subject, all))
}

/// Finishes a login from the provider's callback. A refusal answers
/// `UNAUTHENTICATED` with its message and keeps only its
/// `user.login_failed` event: every refusal comes before the login writes
/// anything (the spent pending login is already committed).
pub async fn finish(work: &mut Work, callback: Callback) -> Result<Finished> {
    let outcome = attempt(work, callback).await;
    settle(work, "oidc", outcome)
}

async fn attempt(work: &mut Work, callback: Callback) -> Attempt<Finished> {
    if callback.cookie_state.as_deref() != Some(callback.state.as_str()) {
        return Err(refusal(
            "state_mismatch",
            "This login was not started in this browser; start again",
        ));
    }
    let pending = take_pending(work, &callback.state).await?;
    let app = work.app();
    if pending.expires_at <= work.now() {
        return Err(refusal("expired", "This login expired; start again"));
    }
    // The provider is asked before the work's transaction begins again: no
    // lock (SQLite's write lock) is held while it answers.
    let asked = std::time::Instant::now();
    let claims = verified_claims(app, &pending, callback.code).await?;
    metrics::histogram!("roster_oidc_login_step_seconds", "step" => "token_exchange")
        .record(asked.elapsed().as_secs_f64());
    let account_started = std::time::Instant::now();
    let db = work.db().await?;
    let user = account(work, provider(app)?, &claims).await?;
    let client = work.actor().client();
    let now = work.now();
    work.proven(&user.id).await?;
    let session = sessions::create(db, &app.config.auth, &user.id, &client, now).await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::LastLoginAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            user::Column::LastActiveAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(user::Column::Id.eq(user.id.as_str()))
        .exec(db)
        .await?;
    let first_login = user.last_login_at.is_none();
    let user_id = user.id.clone();
    let who = actor_for(db, user, Channel::Api, &client, None).await?;
    work.record_as(
        who.actor.clone(),
        AuditEvent::new("user.login")
            .resource("user", &user_id)
            .details(json!({ "session_id": session.session.id, "method": "oidc" })),
    );
    metrics::histogram!("roster_oidc_login_step_seconds", "step" => "account")
        .record(account_started.elapsed().as_secs_f64());
    Ok(Finished {
        logged_in: LoggedIn {
            who,
            session,
            first_login,
        },
        return_to: pending.return_to,
    })
}

/// Takes the pending login of `state`, once: the removal is committed
/// before anything else happens, so a refused or failed callback cannot be
/// replayed either.
async fn take_pending(work: &mut Work, state: &str) -> Attempt<oidc_login::Model> {
    let db = work.db().await?;
    let pending = oidc_login::Entity::find_by_id(digest(state))
        .one(db)
        .await?
        .ok_or_else(|| {
            refusal(
                "unknown_state",
                "This login expired or was already used; start again",
            )
        })?;
    let taken = oidc_login::Entity::delete_by_id(pending.state_hash.clone())
        .exec(db)
        .await?;
    if taken.rows_affected != 1 {
        return Err(refusal(
            "unknown_state",
            "This login expired or was already used; start again",
        ));
    }
    work.checkpoint().await?;
    Ok(pending)
}

/// Whether OIDC login is configured.
pub fn enabled(app: &App) -> bool {
    app.config.oidc.provider.is_some()
}
