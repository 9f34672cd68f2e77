//! `organizations.name_key`: the name lowercased by Roster (Unicode, the
//! same on both backends). Names were unique by `lower(name)`, which folds
//! only ASCII on SQLite (and under Postgres's C locale), so "Été" and "été"
//! could both exist. The unique index is now on
//! `COALESCE(name_key, lower(name))`: the server writes the key, and a row
//! written without one (the default organization, seeded before this
//! column existed, or repaired by `ensure-defaults`) falls back to
//! `lower(name)`, which is the same for its ASCII name. Organizations that
//! already clash keep their names; the later one's key is made unique by
//! its id.

use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    NameKey,
    CreatedAt,
}

/// The key of a name, as the server's `OrgName::key` computes it.
fn key(name: &str) -> String {
    name.to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE organizations ADD COLUMN name_key TEXT")
            .await?;
        let rows = db
            .query_all_raw(
                db.get_database_backend().build(
                    Query::select()
                        .columns([Organizations::Id, Organizations::Name])
                        .from(Organizations::Table)
                        .order_by(Organizations::CreatedAt, Order::Asc)
                        .order_by(Organizations::Id, Order::Asc),
                ),
            )
            .await?;
        let mut seen = HashSet::new();
        for row in rows {
            let id: String = row.try_get_by_index(0)?;
            let name: String = row.try_get_by_index(1)?;
            let mut name_key = key(&name);
            if !seen.insert(name_key.clone()) {
                name_key = format!("{name_key}#{id}");
            }
            manager
                .exec_stmt(
                    Query::update()
                        .table(Organizations::Table)
                        .value(Organizations::NameKey, name_key)
                        .and_where(Expr::col(Organizations::Id).eq(id))
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared("DROP INDEX organizations_name_ci")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX organizations_name_key \
             ON organizations (COALESCE(name_key, lower(name)))",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX organizations_name_key")
            .await?;
        db.execute_unprepared("ALTER TABLE organizations DROP COLUMN name_key")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX organizations_name_ci ON organizations (lower(name))",
        )
        .await?;
        Ok(())
    }
}
