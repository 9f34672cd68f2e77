//! Which key the audit chain is hashed with: `key_check`, a hash that only
//! that key (or no key) gives, written by the first seal. A process started
//! with another `AUDIT_CHAIN_KEY` refuses to write, seal or verify instead
//! of writing events that would never verify.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE audit_chain ADD COLUMN key_check TEXT")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE audit_chain DROP COLUMN key_check")
            .await?;
        Ok(())
    }
}
