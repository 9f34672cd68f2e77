//! Connecting to the database and applying migrations.

use std::time::Duration;

use anyhow::Context;
use roster_migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::redact_url;

/// Opens a connection pool. SQLite files are created on first use.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    // A request waits at most this long for a connection: while the
    // database is down (connecting is retried until then) it is answered
    // `UNAVAILABLE` after 5 s, not at the request timeout.
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // WAL lets readers proceed while one connection writes. Commits stay
        // fully synchronous: a revocation must survive a power cut.
        options
            .max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            });
    } else {
        options.max_connections(16);
    }
    let db = Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to {}", redact_url(url)))?;
    Ok(db)
}

/// Applies every pending migration, under the [`StartupLock`].
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let lock = StartupLock::take(db).await?;
    let migrated = migrate_holding(db, &lock).await;
    lock.release().await;
    migrated
}

/// Applies every pending migration; the caller holds the [`StartupLock`].
pub async fn migrate_holding(db: &DatabaseConnection, _lock: &StartupLock) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("database migration failed")
}

/// On Postgres, processes starting at once (replicas, a CLI command beside
/// them) take turns to migrate and run their startup hooks: each holds this
/// advisory lock meanwhile, so the first applies what is pending and the
/// others find nothing left to do. Nothing on SQLite, whose writers queue
/// on its own lock.
pub struct StartupLock(Option<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>>);

/// The advisory lock key of [`StartupLock`] (`roster` in ASCII).
const STARTUP_LOCK: i64 = 0x726f_7374_6572;

impl StartupLock {
    pub async fn take(db: &DatabaseConnection) -> anyhow::Result<Self> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self(None));
        }
        let mut conn = db
            .get_postgres_connection_pool()
            .acquire()
            .await
            .context("cannot connect to take the startup lock")?;
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(STARTUP_LOCK)
            .execute(&mut *conn)
            .await
            .context("cannot take the startup lock")?;
        // Dropped without `release` (an error on the way), the connection
        // closes, and the lock goes with it instead of staying in the pool.
        conn.close_on_drop();
        Ok(Self(Some(conn)))
    }

    pub async fn release(self) {
        let Some(mut conn) = self.0 else {
            return;
        };
        if let Err(e) = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(STARTUP_LOCK)
            .execute(&mut *conn)
            .await
        {
            // Closing the connection (on drop) releases the lock too.
            tracing::warn!(error = %e, "cannot release the startup lock; closing its connection");
        }
    }
}

/// Connects and migrates: what every command that touches data does first.
pub async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Begins a transaction; the unit of work (`service::work`) is its one
/// caller. One that will `write` takes SQLite's write lock at `BEGIN`
/// (`IMMEDIATE`), so concurrent writers queue on the busy timeout instead of
/// failing with "database is locked" when a read transaction cannot be
/// upgraded; a read-only one is deferred and takes no lock. Postgres
/// ignores the mode.
pub async fn begin(db: &DatabaseConnection, write: bool) -> Result<DatabaseTransaction, DbErr> {
    let mode = if write {
        SqliteTransactionMode::Immediate
    } else {
        SqliteTransactionMode::Deferred
    };
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(mode),
        ..TransactionOptions::default()
    })
    .await
}

/// Begins a read-only transaction that sees one snapshot throughout
/// (`REPEATABLE READ` on Postgres; a deferred SQLite transaction holds its
/// snapshot from its first read): for a reader that walks many pages and
/// must not see a writer's commit half-way (`roster audit verify`).
pub async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    db.begin_with_options(TransactionOptions {
        isolation_level: postgres.then_some(IsolationLevel::RepeatableRead),
        access_mode: postgres.then_some(AccessMode::ReadOnly),
        sqlite_transaction_mode: Some(SqliteTransactionMode::Deferred),
    })
    .await
}

/// Listens on the Postgres channel `channel` for as long as it runs,
/// reconnecting after a failure; calls `changed` for every notification and
/// whenever notifications may have been missed (on connecting, after a
/// failure), so a caller never misses a change. `what` names the listener in
/// the log.
pub async fn listen(db: &DatabaseConnection, channel: &str, what: &str, changed: impl Fn()) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let pool = db.get_postgres_connection_pool();
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "{what} listener cannot connect; retrying");
                changed();
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(channel).await {
            tracing::warn!(error = %e, "{what} listener cannot LISTEN; retrying");
            changed();
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Anything may have changed while nobody listened.
        changed();
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => changed(),
                Ok(None) => {
                    // Reconnected: notifications in between are lost.
                    tracing::warn!("{what} listener reconnected");
                    changed();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "{what} listener failed; reconnecting");
                    changed();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

/// True when every connection the pool may open is open and in use.
pub fn pool_saturated(db: &DatabaseConnection) -> bool {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            pool.num_idle() == 0 && pool.size() >= pool.options().get_max_connections()
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            pool.num_idle() == 0 && pool.size() >= pool.options().get_max_connections()
        }
        _ => false,
    }
}

/// `sqlite` or `postgres`.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Runs `attempt` in a savepoint of `txn`: when it fails, what it did is
/// undone and the transaction goes on (on Postgres a failed statement would
/// otherwise abort the whole transaction).
pub async fn savepoint<T>(
    txn: &DatabaseTransaction,
    attempt: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, DbErr>,
) -> Result<Result<T, DbErr>, DbErr> {
    let inner = txn.begin().await?;
    match attempt(&inner).await {
        Ok(value) => {
            inner.commit().await?;
            Ok(Ok(value))
        }
        Err(e) => {
            inner.rollback().await?;
            Ok(Err(e))
        }
    }
}
