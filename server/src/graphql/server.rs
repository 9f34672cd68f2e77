//! Public facts about the server.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use crate::app::App;
use crate::config::Flags;
use crate::db;

/// The database Roster runs on.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DatabaseBackend {
    Sqlite,
    Postgres,
}

/// The effective feature flags (SPEC §4), so clients can adapt.
#[derive(SimpleObject, Debug, Clone)]
pub struct FeatureFlags {
    /// `USER_MGMT_CORE`: user, organization and audit operations are available.
    pub core: bool,
    /// `USER_MGMT_UI`: the admin screens are shown.
    pub ui: bool,
    /// `USER_MGMT_ENFORCE`: permission checks deny; off means permissive mode.
    pub enforce: bool,
    /// `USER_MGMT_RLS_ENFORCE`: Postgres row-level security is applied at startup.
    pub rls_enforce: bool,
    /// `OIDC_AUTO_PROVISION_USERS`: unknown OIDC users are created on login.
    pub oidc_auto_provision_users: bool,
}

impl From<Flags> for FeatureFlags {
    fn from(f: Flags) -> Self {
        Self {
            core: f.core,
            ui: f.ui,
            enforce: f.enforce,
            rls_enforce: f.rls_enforce,
            oidc_auto_provision_users: f.oidc_auto_provision,
        }
    }
}

/// Public facts about this Roster server.
#[derive(SimpleObject, Debug, Clone)]
pub struct ServerInfo {
    /// Roster's version.
    pub version: String,
    pub database_backend: DatabaseBackend,
    pub flags: FeatureFlags,
}

#[derive(Default)]
pub struct ServerQuery;

#[Object]
impl ServerQuery {
    /// Public: version, database backend and effective flags.
    async fn server_info(&self, ctx: &Context<'_>) -> Result<ServerInfo> {
        let app = ctx.data::<App>()?;
        let database_backend = match db::backend_name(&app.db) {
            "postgres" => DatabaseBackend::Postgres,
            _ => DatabaseBackend::Sqlite,
        };
        Ok(ServerInfo {
            version: crate::VERSION.to_string(),
            database_backend,
            flags: app.config.flags.into(),
        })
    }
}
