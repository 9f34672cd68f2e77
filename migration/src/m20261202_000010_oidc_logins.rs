//! `oidc_logins`: OIDC logins under way (SPEC §8), between the redirect to
//! the provider and its callback, which may reach another replica. Keyed by
//! the SHA-256 of the `state` (the browser holds the state itself in a
//! cookie); each row is taken once and lives ten minutes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let ts = match db.get_database_backend() {
            DbBackend::Postgres => "TIMESTAMPTZ",
            _ => "TEXT",
        };
        db.execute_unprepared(&format!(
            "CREATE TABLE oidc_logins (
                state_hash TEXT PRIMARY KEY NOT NULL,
                nonce TEXT NOT NULL,
                pkce_verifier TEXT NOT NULL,
                return_to TEXT NOT NULL,
                expires_at {ts} NOT NULL
            )"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE oidc_logins")
            .await?;
        Ok(())
    }
}
