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
use super::identities::{self, Asserted};
use super::oidc_discovery::Keys;
use super::tokens::digest;
use super::users::{self, NewUser, UserKey};
use super::work::Work;
use super::{idp_roles, sessions};
use crate::app::App;
use crate::config::OidcProvider;
use crate::domain::{Channel, DisplayName, Email, UserStatus, Username};
use crate::entity::{oidc_login, user};
use crate::error::{DomainError, Result};

/// How long a login may take at the provider.
const PENDING: Duration = Duration::from_secs(10 * 60);

/// Why a callback did not sign anyone in.
enum Failure {
    /// Refused: the person sees `message`; `user.login_failed` records
    /// `reason`.
    Refused {
        reason: &'static str,
        message: String,
    },
    /// Anything else (the provider unreachable, a database error).
    Error(DomainError),
}

impl From<DomainError> for Failure {
    fn from(e: DomainError) -> Self {
        Self::Error(e)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Error(e.into())
    }
}

/// A step of a callback.
type Attempt<T> = std::result::Result<T, Failure>;

fn refusal(reason: &'static str, message: impl Into<String>) -> Failure {
    Failure::Refused {
        reason,
        message: message.into(),
    }
}

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

/// The claims of a verified ID token.
struct Claims {
    subject: String,
    email: Option<String>,
    email_verified: bool,
    all: Value,
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
    let lacks = |all: &Value, claim: &str| all.get(claim).is_none_or(Value::is_null);
    let sparse = lacks(&all, "email")
        || lacks(&all, &p.groups_claim)
        || (lacks(&all, "name") && lacks(&all, "preferred_username"));
    let userinfo = p
        .userinfo_endpoint
        .clone()
        .or_else(|| meta.userinfo_endpoint().map(|u| u.url().to_string()));
    if sparse && let Some(url) = userinfo {
        let access = openidconnect::OAuth2TokenResponse::access_token(&response);
        let extra = fetch_userinfo(&http, &url, access.secret(), &subject).await?;
        if let (Some(all), Value::Object(extra)) = (all.as_object_mut(), extra) {
            for (claim, value) in extra {
                all.entry(claim).or_insert(value);
            }
        }
    }
    Ok(Claims {
        email: all.get("email").and_then(Value::as_str).map(str::to_string),
        email_verified: all
            .get("email_verified")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        subject,
        all,
    })
}

/// The provider's userinfo claims for `access_token` (SPEC §8 claim
/// enrichment): they must be about `subject`, else the login is refused.
async fn fetch_userinfo(
    http: &openidconnect::reqwest::Client,
    url: &str,
    access_token: &str,
    subject: &str,
) -> Attempt<Value> {
    let failed = |e: &dyn std::fmt::Display| {
        DomainError::Internal(anyhow::anyhow!("OIDC userinfo at {url}: {e}"))
    };
    let body = http
        .get(url)
        .bearer_auth(access_token)
        .send()
        .await
        .and_then(openidconnect::reqwest::Response::error_for_status)
        .map_err(|e| failed(&e))?
        .bytes()
        .await
        .map_err(|e| failed(&e))?;
    let claims: Value = serde_json::from_slice(&body).map_err(|e| failed(&e))?;
    if claims.get("sub").and_then(Value::as_str) != Some(subject) {
        return Err(refusal(
            "userinfo_subject",
            "The identity provider's user information is about someone else",
        ));
    }
    Ok(claims)
}

/// Finishes a login from the provider's callback. A refusal answers
/// `UNAUTHENTICATED` with its message and keeps only its
/// `user.login_failed` event: every refusal comes before the login writes
/// anything (the spent pending login is already committed).
pub async fn finish(work: &mut Work, callback: Callback) -> Result<Finished> {
    match attempt(work, callback).await {
        Ok(finished) => Ok(finished),
        Err(Failure::Error(e)) => Err(e),
        Err(Failure::Refused { reason, message }) => {
            work.record(
                AuditEvent::new("user.login_failed")
                    .details(json!({ "method": "oidc", "reason": reason })),
            );
            work.keep_on_error();
            metrics::counter!("roster_login_failures_total").increment(1);
            Err(DomainError::Unauthenticated(message))
        }
    }
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
    let p = provider(app)?;
    let asserted = Asserted {
        issuer: p.issuer_url.clone(),
        subject: claims.subject.clone(),
        email: claims.email.clone(),
        claims: claims.all.clone(),
    };
    let user = match identities::find(work, &asserted.issuer, &asserted.subject).await? {
        Some(identity) => users::find(db, &UserKey::Id(identity.user_id))
            .await
            .map_err(|_| {
                refusal(
                    "account_deleted",
                    "The account linked to this identity was deleted",
                )
            })?,
        None => link_or_provision(work, p, &claims).await?,
    };
    if user.status != UserStatus::Active {
        return Err(refusal(
            "account_inactive",
            format!(
                "The account {} is {}; ask an administrator",
                user.username, user.status
            ),
        ));
    }
    identities::record(work, &user.id, &asserted).await?;
    let groups = identities::groups(&claims.all, &p.groups_claim);
    idp_roles::sync_from(work, &user.id, &groups).await?;
    let client = work.actor().client();
    let now = work.now();
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

/// An unknown identity: link a local account with the same verified email
/// when allowed, else provision a new one when allowed, else refuse.
async fn link_or_provision(work: &Work, p: &OidcProvider, claims: &Claims) -> Attempt<user::Model> {
    let app = work.app();
    let db = work.db().await?;
    if let Some(email) = &claims.email {
        let existing = user::Entity::find()
            .filter(user::Column::Email.eq(email.to_lowercase()))
            .filter(user::Column::DeletedAt.is_null())
            .one(db)
            .await?;
        if let Some(existing) = existing {
            if p.link_by_email && claims.email_verified {
                return Ok(existing);
            }
            return Err(refusal(
                "email_not_linked",
                if claims.email_verified {
                    "An account with this email exists, and linking accounts by email is off; ask an administrator"
                } else {
                    "An account with this email exists, but the identity provider has not verified the email"
                },
            ));
        }
    }
    let flags = &app.config.flags;
    if !(flags.core && flags.oidc_auto_provision) {
        return Err(refusal(
            "provisioning_off",
            "No account matches this identity, and accounts are not created at login; ask an administrator",
        ));
    }
    let email = claims
        .email
        .as_deref()
        .ok_or_else(|| refusal("no_email", "The identity provider sent no email address"))?;
    let email = Email::parse(email).map_err(|_| {
        refusal(
            "bad_email",
            "The identity provider's email address is not valid",
        )
    })?;
    let display = p
        .display_name_claim
        .as_deref()
        .and_then(|c| claims.all.get(c))
        .or_else(|| claims.all.get("name"))
        .or_else(|| claims.all.get("preferred_username"))
        .and_then(Value::as_str)
        .and_then(|n| DisplayName::parse(n).ok().flatten());
    let base = claims
        .all
        .get("preferred_username")
        .and_then(Value::as_str)
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("user"));
    let username = unique_username(db, base).await?;
    Ok(users::provision(
        work,
        NewUser {
            username,
            email,
            display_name: display,
            roles: Vec::new(),
            password: None,
        },
    )
    .await?)
}

/// A free username from `base`: cleaned, then `base2`, `base3`, …
async fn unique_username(db: &impl sea_orm::ConnectionTrait, base: &str) -> Result<Username> {
    let cleaned: String = base
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = if cleaned.len() < 3 {
        format!("{cleaned}_user")
    } else {
        cleaned
    };
    for n in 1..1000 {
        let candidate = if n == 1 {
            cleaned.clone()
        } else {
            format!("{cleaned}{n}")
        };
        let Ok(name) = Username::parse(&candidate) else {
            continue;
        };
        let taken = user::Entity::find()
            .filter(user::Column::Username.eq(name.as_str()))
            .one(db)
            .await?
            .is_some();
        if !taken {
            return Ok(name);
        }
    }
    Err(DomainError::Internal(anyhow::anyhow!(
        "no free username from {base:?}"
    )))
}

/// Whether OIDC login is configured.
pub fn enabled(app: &App) -> bool {
    app.config.oidc.provider.is_some()
}
