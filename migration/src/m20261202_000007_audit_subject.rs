//! `audit_events.subject_id`: the user an event is about, so one user's
//! activity (`User.activity`) is an index lookup. A user resource's id, or
//! the `user_id` the details name (a session or token revoked, a membership
//! changed, a denial on a user). Derived from the hashed content, so `roster
//! audit verify` checks it against that content; filled in here for the
//! events already written.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE audit_events ADD COLUMN subject_id TEXT")
            .await?;
        let named_in_details = match db.get_database_backend() {
            DbBackend::Postgres => {
                "CASE WHEN jsonb_typeof(details->'user_id') = 'string' THEN details->>'user_id' END"
            }
            _ => {
                "CASE WHEN json_type(details, '$.user_id') = 'text' \
                 THEN json_extract(details, '$.user_id') END"
            }
        };
        db.execute_unprepared(&format!(
            "UPDATE audit_events SET subject_id = CASE WHEN resource_type = 'user' \
             THEN resource_id ELSE {named_in_details} END"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX audit_events_subject ON audit_events (subject_id, occurred_at, id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX audit_events_subject")
            .await?;
        db.execute_unprepared("ALTER TABLE audit_events DROP COLUMN subject_id")
            .await?;
        Ok(())
    }
}
