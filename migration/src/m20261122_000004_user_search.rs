//! A trigram index for user search on SQLite (FTS5 with the `trigram`
//! tokenizer), kept in step with `users` by triggers, so that search by any
//! part of a username, email or display name does not scan every user.
//!
//! FTS5 rows are keyed by an integer; `users` has a text key and its implicit
//! rowid may change on `VACUUM`, so `users_search_ids` gives every user a
//! stable number. Postgres gets `pg_trgm` indexes instead, from
//! `roster prepare-postgres` (SPEC §10), as installing an extension may need
//! privileges a migration does not have.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE users_search_ids (
        seq INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL UNIQUE
    )",
    "CREATE VIRTUAL TABLE users_search USING fts5(
        username, email, display_name, tokenize = 'trigram'
    )",
    "CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
        INSERT INTO users_search_ids (user_id) VALUES (new.id);
        INSERT INTO users_search (rowid, username, email, display_name)
            VALUES (last_insert_rowid(), new.username, new.email, new.display_name);
    END",
    "CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, display_name ON users BEGIN
        UPDATE users_search
            SET username = new.username, email = new.email, display_name = new.display_name
            WHERE rowid = (SELECT seq FROM users_search_ids WHERE user_id = new.id);
    END",
    "CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
        DELETE FROM users_search
            WHERE rowid = (SELECT seq FROM users_search_ids WHERE user_id = old.id);
        DELETE FROM users_search_ids WHERE user_id = old.id;
    END",
    // Users that exist already.
    "INSERT INTO users_search_ids (user_id) SELECT id FROM users ORDER BY created_at, id",
    "INSERT INTO users_search (rowid, username, email, display_name)
        SELECT i.seq, u.username, u.email, u.display_name
        FROM users u JOIN users_search_ids i ON i.user_id = u.id",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS users_search_insert",
    "DROP TRIGGER IF EXISTS users_search_update",
    "DROP TRIGGER IF EXISTS users_search_delete",
    "DROP TABLE IF EXISTS users_search",
    "DROP TABLE IF EXISTS users_search_ids",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for sql in SQLITE_UP {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for sql in SQLITE_DOWN {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
