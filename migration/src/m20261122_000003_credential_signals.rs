//! Signals every change that can end or narrow a session or access token, so
//! that each Roster process can drop what its credential cache remembers —
//! whether the change came from another process, the CLI or hand-written SQL.
//!
//! Postgres: statement triggers `NOTIFY roster_credentials` (delivered at
//! commit). SQLite: row triggers bump the single `credential_epoch` row,
//! which the server polls.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The watched changes: table, and the columns whose update matters (`None`
/// for every insert, update and delete). Last-seen and last-login columns are
/// left out on purpose: they change on every login and every minute of use.
const WATCHED: &[(&str, Option<&str>)] = &[
    (
        "sessions",
        Some("revoked_at, token_hash, user_id, expires_at"),
    ),
    (
        "personal_access_tokens",
        Some("revoked_at, token_hash, user_id, scopes, expires_at"),
    ),
    (
        "users",
        Some("username, email, display_name, status, claims, password_hash, deleted_at"),
    ),
    ("roles", Some("name, description")),
    ("role_permissions", None),
    ("user_roles", None),
];

fn postgres_up() -> Vec<String> {
    let mut sql = vec![
        "CREATE FUNCTION roster_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             PERFORM pg_notify('roster_credentials', TG_TABLE_NAME);
             RETURN NULL;
         END $$"
            .to_string(),
    ];
    for (table, columns) in WATCHED {
        let events = match columns {
            Some(columns) => format!("UPDATE OF {columns} OR DELETE"),
            None => "INSERT OR UPDATE OR DELETE".to_string(),
        };
        sql.push(format!(
            "CREATE TRIGGER {table}_credentials AFTER {events} ON {table}
             FOR EACH STATEMENT EXECUTE FUNCTION roster_credentials_changed()"
        ));
    }
    sql
}

fn sqlite_up() -> Vec<String> {
    let mut sql = vec![
        "CREATE TABLE credential_epoch (
            id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
            epoch INTEGER NOT NULL
        )"
        .to_string(),
        "INSERT INTO credential_epoch (id, epoch) VALUES (1, 0)".to_string(),
    ];
    for (table, columns) in WATCHED {
        let events: Vec<(&str, String)> = match columns {
            Some(columns) => vec![
                ("update", format!("UPDATE OF {columns}")),
                ("delete", "DELETE".into()),
            ],
            None => vec![
                ("insert", "INSERT".into()),
                ("update", "UPDATE".into()),
                ("delete", "DELETE".into()),
            ],
        };
        for (name, event) in events {
            sql.push(format!(
                "CREATE TRIGGER {table}_credentials_{name} AFTER {event} ON {table}
                 BEGIN UPDATE credential_epoch SET epoch = epoch + 1 WHERE id = 1; END"
            ));
        }
    }
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        for statement in sql {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "DROP FUNCTION IF EXISTS roster_credentials_changed() CASCADE",
                )
                .await?;
            }
            _ => {
                for (table, _) in WATCHED {
                    for name in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {table}_credentials_{name}"
                        ))
                        .await?;
                    }
                }
                db.execute_unprepared("DROP TABLE IF EXISTS credential_epoch")
                    .await?;
            }
        }
        Ok(())
    }
}
