//! Roster's database schema.
//!
//! One migration set serves SQLite (the embedded default) and Postgres (the
//! production backend). The DDL is written once as SQL with a handful of type
//! placeholders, so both backends get the same tables, constraints and indexes;
//! only the physical types differ (`TEXT` timestamps on SQLite, `TIMESTAMPTZ` and
//! `JSONB` on Postgres).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_schema;
mod m20261122_000002_seed;
mod m20261122_000003_credential_signals;
mod m20261122_000004_user_search;
pub mod m20261202_000005_audit_chain;
mod m20261202_000006_audit_chain_key;
mod m20261202_000007_audit_subject;
mod m20261202_000008_org_name_key;
mod m20261202_000009_identity_claims;
mod m20261202_000010_oidc_logins;
mod m20261202_000011_role_granted_by;
pub mod seed;

/// Applies Roster's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_schema::Migration),
            Box::new(m20261122_000002_seed::Migration),
            Box::new(m20261122_000003_credential_signals::Migration),
            Box::new(m20261122_000004_user_search::Migration),
            Box::new(m20261202_000005_audit_chain::Migration),
            Box::new(m20261202_000006_audit_chain_key::Migration),
            Box::new(m20261202_000007_audit_subject::Migration),
            Box::new(m20261202_000008_org_name_key::Migration),
            Box::new(m20261202_000009_identity_claims::Migration),
            Box::new(m20261202_000010_oidc_logins::Migration),
            Box::new(m20261202_000011_role_granted_by::Migration),
        ]
    }
}
