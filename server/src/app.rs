//! [`App`]: the configuration and shared resources every service works with.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::PasswordPolicy;
use crate::service::audit_chain::ChainDigest;
use crate::service::audit_chain::feed::AuditFeed;
use crate::service::audit_lines::AuditLines;
use crate::service::credentials::CredentialCache;
use crate::service::mailer::Mailer;
use crate::service::passwords::PasswordHasher;

/// Audit CSV exports one process runs at once (each holds a database
/// connection); another is refused with `RATE_LIMITED`.
pub const CONCURRENT_AUDIT_EXPORTS: usize = 2;

/// Everything a request or a CLI command needs; cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub hasher: PasswordHasher,
    pub policy: PasswordPolicy,
    pub mailer: Arc<Mailer>,
    /// Authenticated sessions and tokens, so requests need not read the
    /// database (see `service::credentials`).
    pub credentials: Arc<CredentialCache>,
    /// Set once this process has seen a superuser: from then on the public
    /// `serverInfo.needsBootstrap` is answered without a query (nobody can
    /// remove the last active superuser through Roster).
    pub superuser_seen: Arc<AtomicBool>,
    /// Where every expiry, lockout and timestamp reads the time.
    pub clock: Clock,
    /// Where seed 004's audit line of each committed event goes.
    pub audit_lines: AuditLines,
    /// The hashes of the audit chain (`AUDIT_CHAIN_KEY`).
    pub chain_digest: ChainDigest,
    /// Newly sealed audit events, for this process's subscriptions.
    pub audit_feed: Arc<AuditFeed>,
    /// CSV exports under way in this process (each holds a connection).
    pub audit_exports: Arc<tokio::sync::Semaphore>,
    /// The identity provider's discovery document, fetched on first use.
    pub oidc: Arc<crate::service::oidc_discovery::Discovery>,
}

impl App {
    pub fn new(db: DatabaseConnection, config: Config) -> anyhow::Result<Self> {
        Ok(Self {
            hasher: PasswordHasher::new(config.argon2)?,
            policy: PasswordPolicy::new(config.password_profile),
            mailer: Arc::new(Mailer::new(&config.email)?),
            credentials: Arc::new(CredentialCache::new(config.auth.credential_cache)),
            superuser_seen: Arc::default(),
            clock: Clock::default(),
            audit_lines: match &config.audit.log_file {
                Some(path) => AuditLines::file(path)?,
                None => AuditLines::Off,
            },
            chain_digest: ChainDigest::new(config.audit.chain_key.clone()),
            audit_feed: Arc::default(),
            audit_exports: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_AUDIT_EXPORTS)),
            oidc: Arc::default(),
            config: Arc::new(config),
            db,
        })
    }
}
