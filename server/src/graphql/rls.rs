//! Row-level security and the database's state for the database page
//! (SPEC §10, §12): `databaseStatus` and `enableRls`.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use super::context::{core_enabled, mutate, read};
use crate::service::rls::{self, Change, TableReport};

/// What happened to (or is true of) one owner policy.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "Change")]
pub enum PolicyChange {
    Created,
    Present,
    Dropped,
    Absent,
    Failed,
    Skipped,
}

/// The owner policies of one table.
#[derive(SimpleObject, Debug, Clone)]
pub struct OwnerPolicies {
    pub select: PolicyChange,
    pub insert: PolicyChange,
    pub update: PolicyChange,
    pub delete: PolicyChange,
}

/// One managed table's row-level security.
#[derive(SimpleObject, Debug, Clone)]
pub struct RlsTable {
    pub table: String,
    /// One of Roster's own tables (sessions, personal access tokens,
    /// quotas; owner column `user_id`), else one of `RLS_TABLES`.
    pub roster: bool,
    pub exists: bool,
    /// The table has the owner column (`RLS_OWNER_COLUMN`).
    pub owner_column: bool,
    pub rls_enabled: bool,
    /// `FORCE ROW LEVEL SECURITY`: the table's owner is bound too.
    pub forced: bool,
    pub policies: OwnerPolicies,
    /// Why something failed or was skipped, in Postgres's words.
    pub message: Option<String>,
}

impl From<TableReport> for RlsTable {
    fn from(r: TableReport) -> Self {
        let of = |kind: &str| {
            r.policies
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(PolicyChange::Absent, |(_, c)| (*c).into())
        };
        Self {
            policies: OwnerPolicies {
                select: of("select"),
                insert: of("insert"),
                update: of("update"),
                delete: of("delete"),
            },
            table: r.table,
            roster: r.roster,
            exists: r.exists,
            owner_column: r.owner_column,
            rls_enabled: r.rls_enabled,
            forced: r.forced,
            message: r.message,
        }
    }
}

/// The database as the database page shows it.
#[derive(SimpleObject, Debug, Clone)]
pub struct DatabaseStatus {
    /// `postgres` or `sqlite`.
    pub backend: String,
    pub server_version: String,
    /// The trigram extension search uses (Postgres).
    pub pg_trgm: bool,
    /// The tables row-level security manages (Postgres): Roster's own, then
    /// `RLS_TABLES`.
    pub tables: Vec<RlsTable>,
}

#[derive(Default)]
pub struct RlsQuery;

#[Object]
impl RlsQuery {
    /// The backend, its version, `pg_trgm`, and each managed table's
    /// row-level security (needs `system:manage`).
    #[graphql(visible = "core_enabled")]
    async fn database_status(&self, ctx: &Context<'_>) -> Result<DatabaseStatus> {
        let status = read(ctx, async |w| rls::status(w).await).await?;
        Ok(DatabaseStatus {
            backend: status.backend.to_string(),
            server_version: status.server_version,
            pg_trgm: status.pg_trgm,
            tables: status.tables.into_iter().map(RlsTable::from).collect(),
        })
    }
}

#[derive(Default)]
pub struct RlsMutation;

#[Object]
impl RlsMutation {
    /// Turns on row-level security with the owner policies for every table
    /// of `RLS_TABLES` (Postgres only, needs `system:manage`; safe to
    /// repeat). A statement Postgres refuses for want of privilege is
    /// reported as `FAILED` with its message; the rest is still done.
    #[graphql(visible = "core_enabled")]
    async fn enable_rls(&self, ctx: &Context<'_>) -> Result<Vec<RlsTable>> {
        let reports = mutate(ctx, async |w| rls::enable(w).await).await?;
        Ok(reports.into_iter().map(RlsTable::from).collect())
    }
}
