//! The account behind an identity the provider vouches for (SPEC §8),
//! shared by the browser login (`service::oidc`) and the provider's access
//! tokens (`service::idp_tokens`): the user of a known (issuer, subject);
//! else a local account linked by a verified email when
//! `OIDC_LINK_BY_EMAIL` allows; else a new account when `USER_MGMT_CORE`
//! and `OIDC_AUTO_PROVISION_USERS` allow. The identity's claims are
//! recorded and the user's provider roles synced (the system acting).
//! A refusal ([`Failure::Refused`]) writes nothing but its
//! `user.login_failed` event ([`settle`]).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::audit::AuditEvent;
use super::identities::{self, Asserted};
use super::idp_roles;
use super::users::{self, NewUser, UserKey};
use super::work::Work;
use crate::config::OidcProvider;
use crate::domain::{DisplayName, Email, UserStatus, Username};
use crate::entity::user;
use crate::error::{DomainError, Result};

/// Why a sign-in (a login's callback, a first access token) did not sign
/// anyone in.
pub enum Failure {
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

/// A step of a sign-in.
pub type Attempt<T> = std::result::Result<T, Failure>;

pub fn refusal(reason: &'static str, message: impl Into<String>) -> Failure {
    Failure::Refused {
        reason,
        message: message.into(),
    }
}

/// The outcome of a sign-in as the caller sees it: a refusal answers
/// `UNAUTHENTICATED` with its message and keeps only its
/// `user.login_failed` event (with `method` and the reason).
pub fn settle<T>(work: &mut Work, method: &'static str, outcome: Attempt<T>) -> Result<T> {
    match outcome {
        Ok(done) => Ok(done),
        Err(Failure::Error(e)) => Err(e),
        Err(Failure::Refused { reason, message }) => {
            work.record(
                AuditEvent::new("user.login_failed")
                    .details(json!({ "method": method, "reason": reason })),
            );
            work.keep_on_error();
            metrics::counter!("roster_login_failures_total").increment(1);
            Err(DomainError::Unauthenticated(message))
        }
    }
}

/// What the provider says about someone, verified: the claims of an ID
/// token or an access token, enriched from userinfo when sparse.
pub struct Claims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub all: Value,
}

impl Claims {
    pub fn new(subject: String, all: Value) -> Self {
        Self {
            email: all.get("email").and_then(Value::as_str).map(str::to_string),
            email_verified: all
                .get("email_verified")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            subject,
            all,
        }
    }
}

/// Whether `all` lacks the email, the groups claim, or any name: then the
/// provider's userinfo endpoint is asked (SPEC §8 claim enrichment).
pub fn sparse(p: &OidcProvider, all: &Value) -> bool {
    let lacks = |claim: &str| all.get(claim).is_none_or(Value::is_null);
    lacks("email") || lacks(&p.groups_claim) || (lacks("name") && lacks("preferred_username"))
}

/// Merges into `all` the claims of the userinfo endpoint at `url`, asked
/// with `access_token`; the token's own claims win.
pub async fn enrich(
    http: &openidconnect::reqwest::Client,
    url: &str,
    access_token: &str,
    subject: &str,
    all: &mut Value,
) -> Attempt<()> {
    let extra = fetch_userinfo(http, url, access_token, subject).await?;
    if let (Some(all), Value::Object(extra)) = (all.as_object_mut(), extra) {
        for (claim, value) in extra {
            all.entry(claim).or_insert(value);
        }
    }
    Ok(())
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
    let response = http
        .get(url)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| failed(&e))?;
    // The provider refuses this token at userinfo (one issued for another
    // audience, say): the person is refused, not the server in trouble.
    if response.status().is_client_error() {
        return Err(refusal(
            "userinfo_refused",
            format!(
                "The identity provider would not give the user information this sign-in needs (its userinfo endpoint answered {})",
                response.status()
            ),
        ));
    }
    let body = response
        .error_for_status()
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

/// The active account `claims` name, linked or provisioned if need be,
/// with the identity's claims recorded and its provider roles synced.
pub async fn account(work: &Work, p: &OidcProvider, claims: &Claims) -> Attempt<user::Model> {
    let db = work.db().await?;
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
        None => link_or_provision(work, p, claims).await?,
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
    Ok(user)
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
