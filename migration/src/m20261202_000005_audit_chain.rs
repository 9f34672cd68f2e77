//! Tamper evidence for the audit log (SPEC §9).
//!
//! Every event is written with `row_hash`, a hash over its content. A sealer
//! (`roster::service::audit_chain`) later gives committed events their place
//! in one chain: `seq` (1, 2, 3, … with no gap) and `chain_hash`, a hash over
//! the previous event's `chain_hash` and this event's `row_hash`. Writers
//! never wait for each other: only the sealer takes the chain's lock.
//!
//! `audit_chain` holds the chain's ends: where it starts (`start_seq` and the
//! hash the first event links to: the genesis value, or after a retention
//! prune the `chain_hash` of the last pruned event) and its head. Events
//! written before this migration have no `row_hash`; the sealer adopts those
//! up to `adopt_through` (the newest id at migration time) and refuses any
//! other event without a valid hash.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the first event of a fresh chain links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn up_sql(backend: DbBackend) -> Vec<String> {
    let seq = if backend == DbBackend::Postgres {
        "BIGINT"
    } else {
        "INTEGER"
    };
    vec![
        "ALTER TABLE audit_events ADD COLUMN row_hash TEXT".into(),
        format!("ALTER TABLE audit_events ADD COLUMN seq {seq}"),
        "ALTER TABLE audit_events ADD COLUMN chain_hash TEXT".into(),
        "CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq)".into(),
        // What the sealer looks for: committed events without a place yet.
        "CREATE INDEX audit_events_unsealed ON audit_events (occurred_at, id)
            WHERE seq IS NULL AND chain_hash IS NULL"
            .into(),
        format!(
            "CREATE TABLE audit_chain (
                id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                start_seq {seq} NOT NULL,
                start_hash TEXT NOT NULL,
                head_seq {seq} NOT NULL,
                head_hash TEXT NOT NULL,
                adopt_through TEXT
            )"
        ),
        format!(
            "INSERT INTO audit_chain (id, start_seq, start_hash, head_seq, head_hash, adopt_through)
                SELECT 1, 1, '{GENESIS}', 0, '{GENESIS}', MAX(id) FROM audit_events"
        ),
    ]
}

const DOWN: &[&str] = &[
    "DROP TABLE IF EXISTS audit_chain",
    "DROP INDEX IF EXISTS audit_events_unsealed",
    "DROP INDEX IF EXISTS audit_events_seq",
    "ALTER TABLE audit_events DROP COLUMN chain_hash",
    "ALTER TABLE audit_events DROP COLUMN seq",
    "ALTER TABLE audit_events DROP COLUMN row_hash",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in up_sql(manager.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in DOWN {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
