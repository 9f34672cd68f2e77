//! `user_roles.granted_by`: the user who granted a role by hand, so
//! `User.roleExplanation` can say who (issue 13). Empty for roles granted
//! by the system (a sync from the identity provider, `bootstrap-superuser`)
//! and for grants made before this column existed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE user_roles ADD COLUMN granted_by TEXT")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE user_roles DROP COLUMN granted_by")
            .await?;
        Ok(())
    }
}
