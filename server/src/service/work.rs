//! The unit of work: one per GraphQL request (reads), per mutation field, and
//! per CLI command. It carries the acting [`Actor`], the database transaction
//! (begun on first use, the one place services get a connection from), the
//! audit events collected so far and the access denials to record whatever
//! the outcome. [`Work::finish`] ends it: on success the events are inserted
//! and committed with the change, the credential cache of this process is
//! invalidated when a change may end or narrow a credential, and each event
//! is logged; on failure the change is rolled back and only the denials (and
//! what a service marked to keep) are recorded.
//!
//! On Postgres the transaction begins with `set_config('app.user_id', <the
//! actor's id>, true)`: local to it, so a pooled connection never carries one
//! user's id into another's request (SPEC §10). Under row-level security
//! Roster's own owner-scoped tables (sessions, tokens, quotas) show a
//! transaction only its user's rows, plus those the policies' second branch
//! opens, through settings also local to it: `roster.read_ids` and
//! `roster.write_ids` (the users whose rows it may read, and change), and
//! `roster.scope` (`read` or `all`: every owner's rows). The policy adds a
//! user to the ids once it granted access to that user's account
//! ([`Work::reach_user`], called by `service::policy` only); a login names
//! the user who just proved who they are ([`Work::proven`]); the operator
//! reaches every row from the start; [`Work::read_any`] is the one read a
//! check needs before it can decide (the owner of a session or token named
//! by id). Credential lookups, which run before any unit of work knows its
//! actor, go through [`lookup`]. The settings are applied in order: a
//! change is applied before the transaction is next handed out.
//!
//! Password hashing stays outside the transaction where it is on a hot path
//! (login, accepting an invitation, resetting or changing one's password):
//! those services read what they need through [`Work::pool`] before the
//! transaction begins, hash, and only then write, so a login never holds
//! SQLite's write lock during an argon2 verification.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DatabaseTransaction, DbBackend,
    Statement,
};
use tokio::sync::OnceCell;

use super::actor::{Actor, Principal};
use super::audit::{self, AuditEvent};
use crate::app::App;
use crate::error::{DomainError, Result};

/// Whether the work will write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads only (a GraphQL query): on SQLite a deferred transaction, which
    /// takes no write lock.
    Read,
    /// May write (a mutation, a CLI command): on SQLite the write lock is
    /// taken at `BEGIN` (`IMMEDIATE`), so concurrent writers queue on the
    /// busy timeout instead of failing with "database is locked".
    Write,
    /// Reads only, all from one snapshot however long the work runs (a
    /// walk over the whole audit chain).
    Snapshot,
}

/// How far a unit of work sees into every owner's rows of Roster's own
/// tables, under row-level security (`roster.scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    /// Its user's rows and those of the users it was granted.
    Own,
    /// Every owner's rows, to read.
    Read,
    /// Every owner's rows, to read and change.
    All,
}

/// What the policy granted on another user's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Reach {
    /// The value of `roster.scope`.
    fn setting(self) -> &'static str {
        match self {
            Self::Own => "",
            Self::Read => "read",
            Self::All => "all",
        }
    }
}

/// Whose rows the work's transaction sees: `app.user_id`, `roster.scope`,
/// `roster.read_ids` and `roster.write_ids`.
#[derive(Debug, Clone)]
struct Scope {
    user_id: Option<String>,
    reach: Reach,
    read_ids: BTreeSet<String>,
    /// Each also in `read_ids`.
    write_ids: BTreeSet<String>,
    /// Counts the changes, so that the transaction is given each in order.
    version: u64,
}

impl Scope {
    /// What a transaction has before anything is set.
    fn is_blank(&self) -> bool {
        self.user_id.is_none()
            && self.reach == Reach::Own
            && self.read_ids.is_empty()
            && self.write_ids.is_empty()
    }
}

/// One unit of work; see the module documentation.
pub struct Work {
    app: App,
    actor: Actor,
    mode: Mode,
    txn: OnceCell<DatabaseTransaction>,
    pending: Mutex<Pending>,
    scope: Mutex<Scope>,
    /// The version of the scope the transaction has; held while applying.
    applied: tokio::sync::Mutex<Option<u64>>,
}

/// What the work will write when it ends.
#[derive(Default)]
struct Pending {
    /// Committed with the change, each with the actor it names.
    events: Vec<(Actor, AuditEvent)>,
    /// Recorded whatever the outcome: with the change on success, alone
    /// after the rollback on failure.
    denials: Vec<AuditEvent>,
    /// Commit the writes even when the work answers an error (a failed
    /// login's throttle counters and audit row are the record of it).
    keep_on_error: bool,
    /// A committed change may end or narrow a session or token.
    invalidate: bool,
}

/// Events whose changes cannot end or narrow anyone's session or token; any
/// other event invalidates this process's credential cache at commit.
const KEEPS_CREDENTIALS: &[&str] = &[
    "user.login",
    "user.login_failed",
    "apikey.created",
    "audit.pruned",
];

impl Work {
    /// A unit of work for `actor`. Nothing touches the database until a
    /// service asks for [`db`](Self::db).
    pub fn new(app: &App, actor: Actor, mode: Mode) -> Self {
        // The operator may do anything (`service::policy`), on every
        // user's rows.
        let reach = match actor.principal {
            Principal::Operator => Reach::All,
            _ => Reach::Own,
        };
        let scope = Scope {
            user_id: actor.user_id().map(str::to_string),
            reach,
            read_ids: BTreeSet::new(),
            write_ids: BTreeSet::new(),
            version: 0,
        };
        Self {
            app: app.clone(),
            actor,
            mode,
            txn: OnceCell::new(),
            pending: Mutex::default(),
            scope: Mutex::new(scope),
            applied: tokio::sync::Mutex::new(None),
        }
    }

    /// Runs `f` in a new unit of work and ends it with `f`'s outcome: how
    /// a mutation and a CLI command do their work.
    pub async fn run<T>(
        app: &App,
        actor: Actor,
        mode: Mode,
        f: impl AsyncFnOnce(&mut Work) -> Result<T>,
    ) -> Result<T> {
        let mut work = Self::new(app, actor, mode);
        let outcome = f(&mut work).await;
        work.finish(outcome).await
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Who is acting.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The time of the work, from the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    /// The connection pool, for the reads a service makes *before* its
    /// transaction begins (the ones ahead of a password hash). Fails once
    /// the transaction has begun: from then on every read goes through it.
    pub fn pool(&self) -> Result<&DatabaseConnection> {
        if self.txn.initialized() {
            return Err(DomainError::Internal(anyhow::anyhow!(
                "a read outside the unit of work after its transaction began"
            )));
        }
        Ok(&self.app.db)
    }

    /// The work's transaction, begun on first use, with the work's scope
    /// applied.
    pub async fn db(&self) -> Result<&DatabaseTransaction> {
        let txn = self.txn.get_or_try_init(|| self.start()).await?;
        self.sync_scope(txn).await?;
        Ok(txn)
    }

    async fn start(&self) -> Result<DatabaseTransaction> {
        let txn = match self.mode {
            Mode::Snapshot => crate::db::begin_snapshot(&self.app.db).await?,
            mode => crate::db::begin(&self.app.db, mode == Mode::Write).await?,
        };
        let mut applied = self.applied.lock().await;
        let scope = self.scope().clone();
        if !scope.is_blank() {
            set_scope(&txn, &scope).await?;
        }
        *applied = Some(scope.version);
        Ok(txn)
    }

    fn scope(&self) -> MutexGuard<'_, Scope> {
        // Every change under the lock is complete before it is released.
        self.scope.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `txn` the latest scope, if it has an older one.
    async fn sync_scope(&self, txn: &DatabaseTransaction) -> Result<()> {
        if txn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut applied = self.applied.lock().await;
        if *applied == Some(self.scope().version) {
            return Ok(());
        }
        let scope = self.scope().clone();
        set_scope(txn, &scope).await?;
        *applied = Some(scope.version);
        Ok(())
    }

    /// Changes the scope and, when the transaction has begun, applies it.
    async fn rescope(&self, change: impl FnOnce(&mut Scope) -> bool) -> Result<()> {
        {
            let mut scope = self.scope();
            if change(&mut scope) {
                scope.version += 1;
            }
        }
        if let Some(txn) = self.txn.get() {
            self.sync_scope(txn).await?;
        }
        Ok(())
    }

    /// From now on the work reads (and, with [`Access::Write`], changes) the
    /// rows of `user_id`: the policy's to call, once it granted access to
    /// that user's account (`service::policy`).
    pub(super) async fn reach_user(&self, user_id: &str, access: Access) -> Result<()> {
        self.rescope(|scope| {
            let read = scope.read_ids.insert(user_id.to_string());
            let write = access == Access::Write && scope.write_ids.insert(user_id.to_string());
            read || write
        })
        .await
    }

    /// From now on the work's rows are those of `user_id`, who just proved
    /// who they are (a login, a password reset by its emailed token).
    pub(super) async fn proven(&self, user_id: &str) -> Result<()> {
        self.rescope(|scope| {
            let other = scope.user_id.as_deref() != Some(user_id);
            if other {
                scope.user_id = Some(user_id.to_string());
            }
            other
        })
        .await
    }

    /// Runs `read` seeing every owner's rows, then narrows back: for the one
    /// read a policy check needs before it can decide (the owner of a
    /// session or token named by id). What `read` returns goes to the check,
    /// never to the caller unchecked. `read` uses the transaction it is
    /// given, never the work (whose scope waits for it).
    pub(super) async fn read_any<T>(
        &self,
        read: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
    ) -> Result<T> {
        let txn = self.db().await?;
        if txn.get_database_backend() != DbBackend::Postgres {
            return read(txn).await;
        }
        let mut applied = self.applied.lock().await;
        let scope = self.scope().clone();
        if scope.reach >= Reach::Read {
            drop(applied);
            return read(txn).await;
        }
        let wide = Scope {
            reach: Reach::Read,
            ..scope.clone()
        };
        *applied = None;
        set_scope(txn, &wide).await?;
        let out = read(txn).await?;
        set_scope(txn, &scope).await?;
        *applied = Some(scope.version);
        Ok(out)
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        // Every change under the lock is one push or one assignment: a
        // poisoned lock holds nothing half-written.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `event` as done by the work's actor, committed with the change.
    pub fn record(&self, event: AuditEvent) {
        self.record_as(self.actor.clone(), event);
    }

    /// Records `event` as done by `actor` (a login: the user who just
    /// proved who they are).
    pub fn record_as(&self, actor: Actor, event: AuditEvent) {
        let mut pending = self.pending();
        if !KEEPS_CREDENTIALS.contains(&event.event_type) {
            pending.invalidate = true;
        }
        pending.events.push((actor, event));
    }

    /// Records a `permission.denied` event, whatever the work's outcome.
    pub(super) fn record_denial(&self, event: AuditEvent) {
        self.pending().denials.push(event);
    }

    /// The writes made so far are the record of a failure: commit them even
    /// though the work ends with an error.
    pub fn keep_on_error(&self) {
        self.pending().keep_on_error = true;
    }

    /// Commits what was done so far, before an effect outside the database
    /// (an email) that must not precede the commit: a link in a mail must
    /// already work. Later reads and writes begin a new transaction. It
    /// commits everything the work did before: a service calls it last,
    /// right before its effect, and a service that calls one that
    /// checkpoints must be done writing.
    pub async fn checkpoint(&mut self) -> Result<()> {
        let txn = self.txn.take();
        let pending = std::mem::take(&mut *self.pending());
        self.end(txn, pending, true).await
    }

    /// Ends the work with the outcome of its services: see the module
    /// documentation.
    pub async fn finish<T>(mut self, outcome: Result<T>) -> Result<T> {
        let txn = self.txn.take();
        let pending = std::mem::take(&mut *self.pending());
        let ended = self.end(txn, pending, outcome.is_ok()).await;
        match (outcome, ended) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(e)) => Err(e),
            (Err(e), Ok(())) => Err(e),
            (Err(e), Err(lost)) => {
                // The caller hears of its own failure; this one would be
                // lost: the denials or kept writes it could not record.
                tracing::error!(error = %lost, "cannot record what a failed unit of work kept");
                Err(e)
            }
        }
    }

    async fn end(
        &self,
        txn: Option<DatabaseTransaction>,
        pending: Pending,
        succeeded: bool,
    ) -> Result<()> {
        let commit = succeeded || pending.keep_on_error;
        let mut events = if commit { pending.events } else { Vec::new() };
        events.extend(pending.denials.into_iter().map(|d| (self.actor.clone(), d)));
        let now = self.now();
        let stored = match txn {
            // A write transaction stores its events with the change.
            Some(txn) if commit && self.mode == Mode::Write => {
                let stored = audit::insert(&txn, &self.app.chain_digest, &events, now).await?;
                txn.commit().await?;
                stored
            }
            // A read transaction never writes (on SQLite, upgrading it could
            // fail when another connection wrote since it began), and a
            // rolled-back one keeps nothing: the events go alone.
            Some(txn) => {
                if commit {
                    txn.commit().await?;
                } else {
                    txn.rollback().await?;
                }
                store_alone(&self.app, &events, now).await?
            }
            None => store_alone(&self.app, &events, now).await?,
        };
        if commit && pending.invalidate {
            self.app.credentials.invalidate_local();
        }
        if !stored.is_empty() {
            self.app.audit_feed.committed();
        }
        audit::log(&stored);
        audit::count(&stored);
        self.app.audit_lines.write(&stored).await;
        Ok(())
    }
}

/// Sets `app.user_id`, `roster.scope`, `roster.read_ids` and
/// `roster.write_ids` for the rest of `txn` (Postgres only; all local to
/// the transaction), in one statement.
async fn set_scope(txn: &DatabaseTransaction, scope: &Scope) -> Result<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let ids = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(",");
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('app.user_id', $1, true), set_config('roster.scope', $2, true), \
                set_config('roster.read_ids', $3, true), set_config('roster.write_ids', $4, true)",
        [
            scope.user_id.clone().unwrap_or_default().into(),
            scope.reach.setting().into(),
            ids(&scope.read_ids).into(),
            ids(&scope.write_ids).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Runs a credential lookup (a session cookie or token presented, before
/// any unit of work knows its actor; its last-used touch included): on
/// Postgres in a short transaction of its own that reaches every owner's
/// rows (`roster.scope = all`), so it finds the credential under row-level
/// security; on SQLite, which has none, straight on the pool, so that a
/// read never waits for the write lock.
pub async fn lookup<T>(
    app: &App,
    find: impl AsyncFnOnce(&DatabaseExecutor<'_>) -> Result<T>,
) -> Result<T> {
    if app.db.get_database_backend() != DbBackend::Postgres {
        return find(&DatabaseExecutor::Connection(&app.db)).await;
    }
    let txn = crate::db::begin(&app.db, true).await?;
    let everyone = Scope {
        user_id: None,
        reach: Reach::All,
        read_ids: BTreeSet::new(),
        write_ids: BTreeSet::new(),
        version: 0,
    };
    set_scope(&txn, &everyone).await?;
    let found = find(&DatabaseExecutor::Transaction(&txn)).await?;
    txn.commit().await?;
    Ok(found)
}

/// Stores events in a write transaction of their own.
async fn store_alone(
    app: &App,
    events: &[(Actor, AuditEvent)],
    now: DateTime<Utc>,
) -> Result<Vec<audit::Stored>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let txn = crate::db::begin(&app.db, true).await?;
    let stored = audit::insert(&txn, &app.chain_digest, events, now).await?;
    txn.commit().await?;
    Ok(stored)
}

impl Drop for Work {
    /// A work dropped before it ended (its request went away mid-way) rolls
    /// back with its transaction; the denials it met are still recorded.
    fn drop(&mut self) {
        let denials = std::mem::take(&mut self.pending().denials);
        if denials.is_empty() {
            return;
        }
        let events: Vec<(Actor, AuditEvent)> = denials
            .into_iter()
            .map(|d| (self.actor.clone(), d))
            .collect();
        let app = self.app.clone();
        let now = self.now();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    match store_alone(&app, &events, now).await {
                        Ok(stored) => {
                            audit::log(&stored);
                            audit::count(&stored);
                            app.audit_lines.write(&stored).await;
                        }
                        Err(e) => tracing::error!(error = %e, "cannot record the denials of an abandoned unit of work"),
                    }
                });
            }
            Err(_) => tracing::error!("the denials of an abandoned unit of work were lost"),
        }
    }
}
