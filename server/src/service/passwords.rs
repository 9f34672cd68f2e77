//! Argon2id hashing on a fixed pool of threads, one per core.
//!
//! Hashing is deliberately expensive, so it never runs on the async workers:
//! requests put their hash on a queue that the hashing threads drain, so a
//! login flood queues there instead of stalling every other request. A
//! thread that finishes a hash takes the next one from the queue at once,
//! without a round trip through the async runtime, so the cores stay busy
//! hashing while there is work.
//!
//! Each thread keeps argon2's working memory (`ARGON2_MEMORY_KIB`) between
//! hashes, so a verification does not allocate, zero and fault in that much
//! memory every time (about a tenth of the cost at the defaults). Peak memory
//! is the same as without reuse; it is given back once a thread has had no
//! work for [`KEEP_MEMORY`], so an idle server is small again.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use flume::{Receiver, RecvTimeoutError, Sender};

use anyhow::Context;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;
use tokio::sync::{OnceCell, oneshot};

use crate::config::Argon2Config;
use crate::domain::PlainPassword;
use crate::error::{DomainError, Result};

/// One unit of hashing work, run on a hashing thread with its memory.
type Job = Box<dyn FnOnce(&Argon2<'static>, &mut Vec<Block>) + Send>;

/// Hashes and verifies passwords with the configured argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// The queue the hashing threads drain; they stop when every sender is gone.
    jobs: Sender<Job>,
    /// A hash of a random password, verified against when the account does not
    /// exist, so that unknown users cost the same as wrong passwords.
    dummy: Arc<OnceCell<String>>,
    /// Jobs sent and not yet started: `roster_password_hash_queue_depth`.
    queued: Arc<AtomicI64>,
}

/// After this long without a job, a hashing thread gives its working memory
/// back, so an idle server is small again (issue 17: 19 MiB per thread at
/// the defaults).
const KEEP_MEMORY: std::time::Duration = std::time::Duration::from_secs(30);

/// A hashing thread: takes jobs until the queue closes.
/// Each thread waits on the shared queue by itself (a multi-consumer
/// channel), so each gives its memory back after its own idle time.
fn hashing_thread(argon2: Argon2<'static>, jobs: Receiver<Job>) {
    let mut memory = Vec::new();
    loop {
        let job = if memory.is_empty() {
            jobs.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            jobs.recv_timeout(KEEP_MEMORY)
        };
        let job = match job {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                memory = Vec::new();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // A panicking job drops its answer channel (the caller gets an
        // error); the thread carries on.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&argon2, &mut memory)));
    }
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
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jobs, queue) = flume::unbounded::<Job>();
        for i in 0..cores {
            let (argon2, queue) = (argon2.clone(), queue.clone());
            std::thread::Builder::new()
                .name(format!("roster-argon2-{i}"))
                .spawn(move || hashing_thread(argon2, queue))
                .context("cannot start a password hashing thread")?;
        }
        Ok(Self {
            params,
            jobs,
            dummy: Arc::new(OnceCell::new()),
            queued: Arc::default(),
        })
    }

    /// Runs `work` on a hashing thread and waits for its answer.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>, &mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T> {
        let (answer, answered) = oneshot::channel();
        let queued = Arc::clone(&self.queued);
        let job: Job = Box::new(move |argon2, memory| {
            let depth = queued.fetch_sub(1, Ordering::Relaxed) - 1;
            metrics::gauge!("roster_password_hash_queue_depth").set(depth as f64);
            let _ = answer.send(work(argon2, memory));
        });
        let depth = self.queued.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::gauge!("roster_password_hash_queue_depth").set(depth as f64);
        self.jobs
            .send(job)
            .map_err(|_| anyhow::anyhow!("password hashing threads are gone"))?;
        Ok(answered.await.context("password hashing task failed")?)
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &PlainPassword) -> Result<String> {
        let password = password.expose().to_string();
        self.run(move |argon2, _| {
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
            .run(move |_, memory| match PasswordHash::new(&phc) {
                Ok(parsed) => verify_with_memory(memory, password.as_bytes(), &parsed),
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

/// Checks `password` against a PHC hash, exactly as argon2's
/// `PasswordVerifier` does (the hash's own algorithm, version, parameters and
/// salt; a constant-time comparison), but in `memory` instead of a fresh
/// allocation. Anything unreadable does not verify.
fn verify_with_memory(memory: &mut Vec<Block>, password: &[u8], phc: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm) else {
        return false;
    };
    let version = match phc.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(phc) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let argon2 = Argon2::new(algorithm, version, params);
    let computed = Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..])
            .map_err(Into::into)
    });
    computed.is_ok_and(|computed| computed == *expected)
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

    /// The pooled verification agrees with argon2's own verifier on hashes of
    /// every variant, version, output length and size, reusing one buffer.
    #[test]
    fn pooled_verification_matches_the_crate() {
        use argon2::password_hash::PasswordVerifier;
        let mut memory = Vec::new();
        let cases = [
            (Algorithm::Argon2id, Version::V0x13, 64, 2, 1, Some(32)),
            (Algorithm::Argon2id, Version::V0x13, 256, 1, 2, Some(16)),
            (Algorithm::Argon2i, Version::V0x13, 32, 3, 1, None),
            (Algorithm::Argon2d, Version::V0x10, 128, 1, 1, Some(64)),
            (Algorithm::Argon2id, Version::V0x13, 16, 1, 1, None),
        ];
        for (algorithm, version, m, t, p, len) in cases {
            let params = Params::new(m, t, p, len).expect("params");
            let argon2 = Argon2::new(algorithm, version, params);
            let salt = SaltString::generate(&mut OsRng);
            let phc = argon2
                .hash_password(b"Right-Horse-77", &salt)
                .expect("hash")
                .to_string();
            let parsed = PasswordHash::new(&phc).expect("parse");
            for (password, expected) in [
                (&b"Right-Horse-77"[..], true),
                (b"Right-Horse-78", false),
                (b"", false),
            ] {
                let by_crate = Argon2::default().verify_password(password, &parsed).is_ok();
                assert_eq!(by_crate, expected, "{phc}");
                assert_eq!(
                    verify_with_memory(&mut memory, password, &parsed),
                    expected,
                    "{phc}"
                );
            }
        }
        // A tampered hash or salt never verifies.
        let phc = Argon2::default()
            .hash_password(b"pw", &SaltString::generate(&mut OsRng))
            .expect("hash")
            .to_string();
        let at = phc.len() - 10;
        let was = &phc[at..=at];
        let flipped = format!(
            "{}{}{}",
            &phc[..at],
            if was == "A" { "B" } else { "A" },
            &phc[at + 1..]
        );
        let tampered = PasswordHash::new(&flipped).expect("parse");
        assert!(!verify_with_memory(&mut memory, b"pw", &tampered));
        let no_hash = PasswordHash::new("$argon2id$v=19$m=16,t=1,p=1$c29tZXNhbHQ").expect("parse");
        assert!(!verify_with_memory(&mut memory, b"pw", &no_hash));
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
