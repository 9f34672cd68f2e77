//! The identity provider's discovery document and signing keys (`App.oidc`).
//! A leaf: it knows the provider's configuration, nothing of the rest of
//! Roster.
//!
//! Discovery is fetched at the first use and kept for the process. The keys
//! (JWKS) come with it and are fetched again (SPEC §8 key rotation):
//! - when a token names a key id (`kid`) the set lacks ([`Discovery::refreshed`]),
//!   at most once per [`REFRESH_AT_MOST_EVERY`] — a stream of made-up key
//!   ids costs the provider one request per interval, not one per token;
//! - when the set is older than [`KEYS_MAX_AGE`], so a key the provider
//!   withdrew stops being trusted (by one request, at most every
//!   [`REFRESH_AT_MOST_EVERY`], the others going on with the old keys).
//!
//! A failed discovery is not tried again for [`RETRY_DISCOVERY_AFTER`].
//!
//! One fetch runs at a time; requests that wait for it use its result.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{IssuerUrl, JsonWebKey as _};
use tokio::sync::{Mutex, OnceCell};

use crate::config::OidcProvider;
use crate::error::{DomainError, Result};

/// The shortest time between two fetches of the keys for an unknown `kid`.
pub const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(30);

/// Keys older than this are fetched again before they are used.
pub const KEYS_MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// The provider's signing keys as one fetch returned them.
pub struct Keys {
    /// For ID tokens (the `openidconnect` crate's verifier).
    pub set: CoreJsonWebKeySet,
    /// For access tokens: the same keys, with their ids.
    access: Vec<AccessKey>,
    fetched: Instant,
}

/// One key, ready to verify access tokens.
pub struct AccessKey {
    kid: Option<String>,
    pub key: jsonwebtoken::DecodingKey,
    pub alg: Option<jsonwebtoken::Algorithm>,
}

impl Keys {
    fn new(set: CoreJsonWebKeySet) -> Self {
        let mut access = Vec::new();
        for jwk in set.keys() {
            // A key this crate cannot read (an unknown curve, say) is left
            // out: tokens signed with it are refused like any unknown key.
            let Some(parsed) = serde_json::to_value(jwk)
                .ok()
                .and_then(|v| serde_json::from_value::<jsonwebtoken::jwk::Jwk>(v).ok())
            else {
                continue;
            };
            // Only public signing keys: a symmetric key in a JWKS is a
            // mistake, never a way to sign tokens Roster trusts.
            let signing = !matches!(
                parsed.common.public_key_use,
                Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
            );
            if !signing
                || matches!(
                    parsed.algorithm,
                    jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
                )
            {
                continue;
            }
            let Ok(key) = jsonwebtoken::DecodingKey::from_jwk(&parsed) else {
                continue;
            };
            // A key for another purpose (`alg: RSA-OAEP`) never verifies.
            let alg = match parsed.common.key_algorithm {
                None => None,
                Some(declared) => match declared.to_string().parse() {
                    Ok(alg) => Some(alg),
                    Err(_) => continue,
                },
            };
            access.push(AccessKey {
                kid: jwk.key_id().map(|k| k.as_str().to_string()),
                key,
                alg,
            });
        }
        Self {
            set,
            access,
            fetched: Instant::now(),
        }
    }

    /// The keys a token with header `kid` may be signed with (all of
    /// them for a token without one).
    pub fn for_kid<'a>(&'a self, kid: Option<&'a str>) -> impl Iterator<Item = &'a AccessKey> {
        self.access
            .iter()
            .filter(move |k| kid.is_none() || k.kid.as_deref() == kid)
    }

    /// Whether a key that verifies access tokens has the id `kid` (a
    /// token without one matches any key).
    pub fn knows(&self, kid: Option<&str>) -> bool {
        kid.is_none_or(|kid| self.access.iter().any(|k| k.kid.as_deref() == Some(kid)))
    }
}

/// The discovery document and keys, once fetched.
#[derive(Default)]
pub struct Discovery {
    metadata: OnceCell<CoreProviderMetadata>,
    keys: RwLock<Option<Arc<Keys>>>,
    /// Held while the keys are fetched; the time of the last fetch.
    fetching: Mutex<Option<Instant>>,
    /// When discovery last failed: it is not tried again for
    /// [`RETRY_DISCOVERY_AFTER`], so a provider that is down is not asked
    /// once per request.
    discovery_failed: std::sync::Mutex<Option<Instant>>,
    /// Access tokens whose person could not be signed in, by digest: the
    /// refusal's message and until when it stands (`service::idp_tokens`).
    refusals: std::sync::Mutex<HashMap<String, (String, Instant)>>,
}

/// How long a refused first token is refused again without asking anyone.
pub const REMEMBER_REFUSALS: Duration = Duration::from_secs(60);

/// Refusals remembered at most; past this the memory starts over.
const MAX_REFUSALS: usize = 10_000;

/// How long after a failed discovery it is tried again.
pub const RETRY_DISCOVERY_AFTER: Duration = Duration::from_secs(10);

/// The HTTP client for the provider: no redirects (they would open the
/// client to SSRF), a 10-second timeout.
pub fn http() -> Result<openidconnect::reqwest::Client> {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("building the OIDC client: {e}")))
}

impl Discovery {
    /// The provider's metadata, fetched on first use; a failed fetch is
    /// tried again [`RETRY_DISCOVERY_AFTER`] later. Its `jwks` are those of
    /// discovery time: use [`keys`](Self::keys).
    pub async fn metadata(&self, p: &OidcProvider) -> Result<&CoreProviderMetadata> {
        if let Some(meta) = self.metadata.get() {
            return Ok(meta);
        }
        let failed_at = *self
            .discovery_failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_DISCOVERY_AFTER) {
            return Err(DomainError::Internal(anyhow::anyhow!(
                "OIDC discovery at {} failed moments ago; it is tried again after {} s",
                p.issuer_url,
                RETRY_DISCOVERY_AFTER.as_secs()
            )));
        }
        let discovered = self
            .metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(p.issuer_url.clone())
                    .map_err(|e| DomainError::Internal(anyhow::anyhow!("OIDC_ISSUER_URL: {e}")))?;
                CoreProviderMetadata::discover_async(issuer, &http()?)
                    .await
                    .map_err(|e| {
                        DomainError::Internal(anyhow::anyhow!(
                            "OIDC discovery at {}: {e}",
                            p.issuer_url
                        ))
                    })
            })
            .await;
        if discovered.is_err() {
            *self
                .discovery_failed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        }
        discovered
    }

    fn refusals(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.refusals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers that the token of digest `key` was refused with `message`,
    /// for [`REMEMBER_REFUSALS`] or until the token expires (`left`).
    pub fn remember_refusal(&self, key: String, message: String, left: Duration) {
        let mut refusals = self.refusals();
        if refusals.len() >= MAX_REFUSALS {
            refusals.clear();
        }
        refusals.insert(key, (message, Instant::now() + left.min(REMEMBER_REFUSALS)));
    }

    /// The message of a refusal of the token of digest `key` that still
    /// stands.
    pub fn refused_before(&self, key: &str) -> Option<String> {
        let mut refusals = self.refusals();
        match refusals.get(key) {
            Some((message, until)) if Instant::now() < *until => Some(message.clone()),
            Some(_) => {
                refusals.remove(key);
                None
            }
            None => None,
        }
    }

    fn current(&self) -> Option<Arc<Keys>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn store(&self, keys: Keys) -> Arc<Keys> {
        let keys = Arc::new(keys);
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(keys.clone());
        keys
    }

    /// The provider's current keys: those of discovery at first, fetched
    /// again once they are [`KEYS_MAX_AGE`] old. That fetch is tried by one
    /// request at a time, at most every [`REFRESH_AT_MOST_EVERY`], while
    /// the others go on with the old keys; if it fails, the old keys serve
    /// until a later try succeeds (fail-open for availability: a provider
    /// that is down does not stop sign-ins with the keys it last published).
    pub async fn keys(&self, p: &OidcProvider) -> Result<Arc<Keys>> {
        match self.current() {
            Some(keys) if keys.fetched.elapsed() < KEYS_MAX_AGE => Ok(keys),
            Some(old) => {
                let Ok(mut last) = self.fetching.try_lock() else {
                    return Ok(old);
                };
                if last.is_some_and(|at| at.elapsed() < REFRESH_AT_MOST_EVERY) {
                    return Ok(old);
                }
                *last = Some(Instant::now());
                match self.download(p).await {
                    Ok(keys) => Ok(self.store(keys)),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not fetch the identity provider's keys again; the old ones serve meanwhile");
                        Ok(old)
                    }
                }
            }
            None => {
                let meta = self.metadata(p).await?;
                // Discovery's keys do not count as a fetch: a token with a
                // new key right after startup fetches them at once.
                let _fetching = self.fetching.lock().await;
                if let Some(keys) = self.current() {
                    return Ok(keys);
                }
                Ok(self.store(Keys::new(meta.jwks().clone())))
            }
        }
    }

    /// New keys after a token named a key `stale` lacks: fetched unless the
    /// last fetch is under [`REFRESH_AT_MOST_EVERY`] old (then `None`, and
    /// the token is refused). When another request fetched meanwhile, its
    /// keys are the answer.
    pub async fn refreshed(
        &self,
        p: &OidcProvider,
        stale: &Arc<Keys>,
    ) -> Result<Option<Arc<Keys>>> {
        let mut last = self.fetching.lock().await;
        if let Some(current) = self.current()
            && !Arc::ptr_eq(&current, stale)
        {
            return Ok(Some(current));
        }
        if last.is_some_and(|at| at.elapsed() < REFRESH_AT_MOST_EVERY) {
            metrics::counter!("roster_oidc_key_fetches_total", "outcome" => "throttled")
                .increment(1);
            return Ok(None);
        }
        *last = Some(Instant::now());
        Ok(Some(self.store(self.download(p).await?)))
    }

    /// The provider's keys, fetched now.
    async fn download(&self, p: &OidcProvider) -> Result<Keys> {
        let meta = self.metadata(p).await?;
        let set = CoreJsonWebKeySet::fetch_async(meta.jwks_uri(), &http()?)
            .await
            .map_err(|e| {
                metrics::counter!("roster_oidc_key_fetches_total", "outcome" => "failed")
                    .increment(1);
                DomainError::Internal(anyhow::anyhow!(
                    "fetching the OIDC keys at {}: {e}",
                    meta.jwks_uri().url()
                ))
            })?;
        metrics::counter!("roster_oidc_key_fetches_total", "outcome" => "fetched").increment(1);
        tracing::info!(
            keys = set.keys().len(),
            "fetched the identity provider's keys"
        );
        Ok(Keys::new(set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(json: serde_json::Value) -> Keys {
        Keys::new(serde_json::from_value(json).unwrap_or_else(|e| panic!("jwks: {e}")))
    }

    #[test]
    fn only_public_signing_keys_verify_access_tokens() {
        let n = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";
        let k = keys(serde_json::json!({ "keys": [
            { "kty": "RSA", "kid": "sig", "use": "sig", "alg": "RS256", "n": n, "e": "AQAB" },
            { "kty": "RSA", "kid": "enc", "use": "enc", "n": n, "e": "AQAB" },
            { "kty": "oct", "kid": "mac", "k": "c2VjcmV0" },
        ] }));
        assert!(k.knows(Some("sig")));
        assert!(!k.knows(Some("other")));
        assert!(k.knows(None));
        assert_eq!(k.for_kid(Some("sig")).count(), 1);
        assert_eq!(
            k.for_kid(Some("sig")).next().and_then(|a| a.alg),
            Some(jsonwebtoken::Algorithm::RS256)
        );
        assert_eq!(k.for_kid(Some("enc")).count(), 0);
        assert_eq!(k.for_kid(Some("mac")).count(), 0);
        // A token without a key id may be checked against every signing key.
        assert_eq!(k.for_kid(None).count(), 1);
    }
}
