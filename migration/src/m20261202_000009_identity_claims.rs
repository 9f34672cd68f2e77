//! `external_identities.claims`: what the identity provider last said about
//! the user (groups, email, names), so roles can be synced again from it
//! (`syncUserRoles`) without a new login.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let json = match db.get_database_backend() {
            DbBackend::Postgres => "JSONB",
            _ => "TEXT",
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE external_identities ADD COLUMN claims {json}"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE external_identities DROP COLUMN claims")
            .await?;
        Ok(())
    }
}
