//! Argon2id hashing on a bounded pool of blocking threads.
//!
//! Hashing is deliberately expensive, so it never runs on the async workers:
//! each hash takes a permit (one per core) and runs on tokio's blocking pool,
//! so a login flood queues here instead of stalling every other request.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use tokio::sync::{OnceCell, Semaphore};

use crate::config::Argon2Config;
use crate::domain::PlainPassword;
use crate::error::{DomainError, Result};

/// Hashes and verifies passwords with the configured argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the account does not
    /// exist, so that unknown users cost the same as wrong passwords.
    dummy: Arc<OnceCell<String>>,
}

impl PasswordHasher {
    pub fn new(config: Argon2Config) -> anyhow::Result<Self> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(OnceCell::new()),
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hashing pool closed")?;
        let argon2 = self.argon2.clone();
        let out = tokio::task::spawn_blocking(move || work(&argon2))
            .await
            .context("password hashing task failed")?;
        Ok(out)
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &PlainPassword) -> Result<String> {
        let password = password.expose().to_string();
        self.blocking(move |argon2| {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await?
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("hashing failed: {e}")))
    }

    /// Checks a password against a stored hash. With no hash (unknown user, or
    /// a user who never set a password) it verifies against a dummy hash and
    /// answers false, taking the same time.
    pub async fn verify(&self, password: &PlainPassword, stored: Option<&str>) -> Result<bool> {
        let (phc, real) = match stored {
            Some(phc) => (phc.to_string(), true),
            None => (self.dummy_hash().await?, false),
        };
        // Exported so that anyone can check that unknown users cost a full
        // verification too (`kind="dummy"`).
        metrics::counter!(
            "roster_password_verifications_total",
            "kind" => if real { "stored" } else { "dummy" }
        )
        .increment(1);
        let password = password.expose().to_string();
        let matched = self
            .blocking(move |argon2| match PasswordHash::new(&phc) {
                Ok(parsed) => argon2.verify_password(password.as_bytes(), &parsed).is_ok(),
                Err(_) => false,
            })
            .await?;
        Ok(real && matched)
    }

    async fn dummy_hash(&self) -> Result<String> {
        let hash = self
            .dummy
            .get_or_try_init(|| async {
                let random = hex::encode(rand::random::<[u8; 16]>());
                self.hash(&PlainPassword::unchecked(random)).await
            })
            .await?;
        Ok(hash.clone())
    }

    /// True when `stored` was made with other parameters than the current ones.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let current = Params::try_from(&parsed);
        parsed.algorithm.as_str() != "argon2id"
            || current.map_or(true, |p| {
                p.m_cost() != self.params.m_cost()
                    || p.t_cost() != self.params.t_cost()
                    || p.p_cost() != self.params.p_cost()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        match PasswordHasher::new(Argon2Config {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }) {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_reject() -> Result<()> {
        let hasher = cheap();
        let hash = hasher
            .hash(&PlainPassword::unchecked("Right-Horse-77"))
            .await?;
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(
            hasher
                .verify(&PlainPassword::unchecked("Right-Horse-77"), Some(&hash))
                .await?
        );
        assert!(
            !hasher
                .verify(&PlainPassword::unchecked("wrong"), Some(&hash))
                .await?
        );
        assert!(
            !hasher
                .verify(&PlainPassword::unchecked("x"), Some("not a hash"))
                .await?
        );
        Ok(())
    }

    #[tokio::test]
    async fn missing_hash_never_verifies() -> Result<()> {
        let hasher = cheap();
        assert!(!hasher.verify(&PlainPassword::unchecked(""), None).await?);
        Ok(())
    }

    #[tokio::test]
    async fn changed_parameters_ask_for_a_rehash() -> Result<()> {
        let hasher = cheap();
        let hash = hasher.hash(&PlainPassword::unchecked("x")).await?;
        assert!(!hasher.needs_rehash(&hash));
        let stronger =
            PasswordHasher::new(Argon2Config::default()).map_err(DomainError::Internal)?;
        assert!(stronger.needs_rehash(&hash));
        Ok(())
    }
}
