//! Connecting to the database and applying migrations.

use std::time::Duration;

use anyhow::Context;
use roster_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::config::redact_url;

/// Opens a connection pool. SQLite files are created on first use.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time is what SQLite supports; a small pool avoids
        // lock contention between our own connections.
        options.max_connections(8).min_connections(1);
    } else {
        options.max_connections(16);
    }
    let db = Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to {}", redact_url(url)))?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while one connection writes, and is kept by
        // the file. (sqlx already gives every connection a busy timeout.)
        db.execute_unprepared("PRAGMA journal_mode = WAL")
            .await
            .context("cannot configure SQLite")?;
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("database migration failed")
}

/// Connects and migrates: what every command that touches data does first.
pub async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// `sqlite` or `postgres`.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}
