//! The credential cache: who a session cookie or an access token belongs to,
//! kept in memory so that an authenticated request reads no database.
//!
//! Revocation stays immediate:
//! - **in this process**, every committed change that could end or narrow a
//!   credential (anything audited except logins, token creation and denials)
//!   invalidates the whole cache before its caller gets an answer
//!   ([`CredentialCache::invalidate_local`], called when the unit of work
//!   commits, `service::work`);
//! - **in other processes** (a second `roster serve`, the CLI, or hand-written
//!   SQL), database triggers on sessions, tokens, users, roles and their grants
//!   signal the change: Postgres with `NOTIFY roster_credentials` at commit,
//!   SQLite by bumping the `credential_epoch` row, which [`watch`] polls every
//!   [`SQLITE_POLL`];
//! - every entry is also dropped after `CREDENTIAL_CACHE_SECONDS`, whatever
//!   happens, and `0` turns the cache off (every request reads the database).
//!
//! `roster_credential_lookups_total{source="cache"|"database"}` counts where
//! authenticated requests were answered from.
//!
//! A reader that loaded a credential from the database before an
//! invalidation cannot store it afterwards: entries carry the generation read
//! before the load, and only entries of the current generation are used.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::actor::{Authenticated, Client};
use crate::entity::{personal_access_token as pat, session};

/// How often a SQLite-backed process looks for changes made by others.
pub const SQLITE_POLL: Duration = Duration::from_millis(100);

/// How long a change takes at most to reach every process: a few SQLite
/// polls (Postgres notifies at commit, well within it). The CLI waits this
/// long after a change before it returns.
pub const PROPAGATION: Duration = SQLITE_POLL.saturating_mul(3);

/// The Postgres channel the triggers notify.
pub const CHANNEL: &str = "roster_credentials";

/// Entries kept at most; past this the cache starts over.
const MAX_ENTRIES: usize = 100_000;

/// The credential a cache entry stands for, as loaded.
#[derive(Debug, Clone)]
pub enum Credential {
    Session(session::Model),
    Token(pat::Model),
    IdpToken(IdpToken),
}

/// An access token of the identity provider, verified (`service::idp_tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpToken {
    /// The provider's `sub`.
    pub subject: String,
    pub user_id: String,
    /// Its `exp`.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The state of knowledge an entry was loaded under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    local: u64,
    remote: u64,
}

struct Entry {
    generation: Generation,
    loaded: Instant,
    who: Authenticated,
    credential: Credential,
}

/// Authenticated credentials by the SHA-256 of their secret.
pub struct CredentialCache {
    ttl: Duration,
    /// Bumped by every committed change of this process that may end or
    /// narrow a credential.
    local: AtomicU64,
    /// Bumped when another process (or hand-written SQL) changed something.
    remote: AtomicU64,
    entries: Mutex<Entries>,
    /// Lookups answered from the cache and from the database, for
    /// `roster_credential_cache_hit_ratio`.
    hits: AtomicU64,
    loads: AtomicU64,
}

/// The entries, all loaded under `generation` (older ones are dropped when
/// the first entry of a newer generation is stored).
#[derive(Default)]
struct Entries {
    generation: Option<Generation>,
    map: HashMap<String, Entry>,
}

impl CredentialCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            local: AtomicU64::new(0),
            remote: AtomicU64::new(0),
            entries: Mutex::new(Entries::default()),
            hits: AtomicU64::new(0),
            loads: AtomicU64::new(0),
        }
    }

    /// Sets `roster_credential_cache_hit_ratio`: the share of lookups the
    /// cache answered since the process started.
    fn export_ratio(&self) {
        let hits = self.hits.load(Ordering::Relaxed) as f64;
        let loads = self.loads.load(Ordering::Relaxed) as f64;
        if hits + loads > 0.0 {
            metrics::gauge!("roster_credential_cache_hit_ratio").set(hits / (hits + loads));
        }
    }

    /// Read before loading a credential from the database; pass it to [`put`](Self::put).
    pub fn generation(&self) -> Generation {
        Generation {
            local: self.local.load(Ordering::SeqCst),
            remote: self.remote.load(Ordering::SeqCst),
        }
    }

    /// A change of this process may end or narrow a credential: drop
    /// everything.
    pub fn invalidate_local(&self) {
        self.local.fetch_add(1, Ordering::SeqCst);
    }

    /// How many local invalidations this cache has seen.
    pub fn local_generation(&self) -> u64 {
        self.local.load(Ordering::SeqCst)
    }

    /// Something changed elsewhere: drop everything.
    pub fn invalidate_remote(&self) {
        self.remote.fetch_add(1, Ordering::SeqCst);
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave a half-written entry
        // (inserts and removals are single calls), so a poisoned map is fine.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached owner of a credential (with this request's client), if
    /// it was loaded in the current generation within the time to live.
    pub fn get(&self, key: &str, client: &Client) -> Option<(Authenticated, Credential)> {
        if self.ttl.is_zero() {
            return None;
        }
        let current = self.generation();
        let mut entries = self.entries();
        let fresh = entries
            .map
            .get(key)
            .map(|e| e.generation == current && e.loaded.elapsed() < self.ttl);
        if fresh != Some(true) {
            if fresh.is_some() {
                entries.map.remove(key);
            }
            return None;
        }
        let entry = entries.map.get(key)?;
        metrics::counter!("roster_credential_lookups_total", "source" => "cache").increment(1);
        self.hits.fetch_add(1, Ordering::Relaxed);
        self.export_ratio();
        let mut who = entry.who.clone();
        who.actor.ip.clone_from(&client.ip);
        who.actor.user_agent.clone_from(&client.user_agent);
        Some((who, entry.credential.clone()))
    }

    /// Stores a credential loaded from the database under `generation`,
    /// unless something was invalidated since.
    pub fn put(
        &self,
        key: String,
        generation: Generation,
        who: &Authenticated,
        credential: Credential,
    ) {
        metrics::counter!("roster_credential_lookups_total", "source" => "database").increment(1);
        self.loads.fetch_add(1, Ordering::Relaxed);
        self.export_ratio();
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        // Checked under the lock: an invalidation that lands after this
        // point makes the entry stale on its next read.
        if generation != self.generation() {
            return;
        }
        if entries.generation != Some(generation) || entries.map.len() >= MAX_ENTRIES {
            entries.map.clear();
            entries.generation = Some(generation);
        }
        entries.map.insert(
            key,
            Entry {
                generation,
                loaded: Instant::now(),
                who: who.clone(),
                credential,
            },
        );
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries().map.is_empty()
    }
}

/// Listens for credential changes made by other processes until the task is
/// dropped: `LISTEN roster_credentials` on Postgres, a poll of the
/// `credential_epoch` row on SQLite. Errors invalidate the cache (a missed
/// change must not leave a credential alive) and are retried.
pub async fn watch(db: DatabaseConnection, cache: std::sync::Arc<CredentialCache>) {
    match db.get_database_backend() {
        DbBackend::Postgres => listen_postgres(&db, &cache).await,
        _ => poll_epoch(&db, &cache).await,
    }
}

async fn listen_postgres(db: &DatabaseConnection, cache: &CredentialCache) {
    crate::db::listen(db, CHANNEL, "credential", || cache.invalidate_remote()).await;
}

async fn poll_epoch(db: &DatabaseConnection, cache: &CredentialCache) {
    let query = Statement::from_string(
        DbBackend::Sqlite,
        "SELECT epoch FROM credential_epoch WHERE id = 1",
    );
    let mut seen: Option<i64> = None;
    let mut failing = false;
    let mut ticker = tokio::time::interval(SQLITE_POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let epoch = match db.query_one_raw(query.clone()).await {
            Ok(row) => {
                if failing {
                    tracing::info!("the credential epoch is readable again");
                    failing = false;
                }
                row.and_then(|r| r.try_get::<i64>("", "epoch").ok())
            }
            Err(e) => {
                // Once per outage, not ten times a second.
                if !failing {
                    tracing::warn!(error = %e, "cannot read the credential epoch; dropping cached credentials at every poll until it is back");
                    failing = true;
                }
                None
            }
        };
        // Any change, or not knowing (an error, or the first look), drops
        // what is cached: a credential loaded meanwhile may be stale.
        if epoch.is_none() || epoch != seen {
            cache.invalidate_remote();
            seen = epoch;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;
    use crate::service::policy::{Actor, Principal};
    use crate::service::users::UserView;

    fn who() -> Authenticated {
        let now = chrono::Utc::now();
        Authenticated {
            actor: Actor {
                principal: Principal::User {
                    id: "u1".into(),
                    username: "alice".into(),
                    permissions: Default::default(),
                },
                channel: Channel::Api,
                ip: None,
                user_agent: None,
            },
            user: UserView {
                user: crate::entity::user::Model {
                    id: "u1".into(),
                    username: "alice".into(),
                    email: "alice@example.com".into(),
                    display_name: None,
                    status: crate::domain::UserStatus::Active,
                    claims: serde_json::json!({}),
                    password_hash: None,
                    created_at: now,
                    updated_at: now,
                    last_login_at: None,
                    last_active_at: None,
                    deleted_at: None,
                },
                roles: vec![],
            },
        }
    }

    fn token() -> Credential {
        Credential::Token(pat::Model {
            id: "t1".into(),
            user_id: "u1".into(),
            name: "ci".into(),
            token_hash: "h".into(),
            scopes: serde_json::json!([]),
            created_at: chrono::Utc::now(),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
        })
    }

    #[test]
    fn an_invalidation_between_load_and_store_keeps_the_stale_load_out() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let client = Client {
            ip: Some("10.0.0.1".into()),
            user_agent: None,
        };
        let before = cache.generation();
        cache.invalidate_remote();
        cache.put("k".into(), before, &who(), token());
        assert!(cache.get("k", &client).is_none());

        cache.put("k".into(), cache.generation(), &who(), token());
        let (hit, _) = cache.get("k", &client).expect("cached");
        assert_eq!(hit.actor.ip.as_deref(), Some("10.0.0.1"));

        cache.invalidate_local();
        assert!(cache.get("k", &client).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn a_zero_time_to_live_turns_the_cache_off() {
        let cache = CredentialCache::new(Duration::ZERO);
        cache.put("k".into(), cache.generation(), &who(), token());
        assert!(cache.get("k", &Client::default()).is_none());
    }
}
