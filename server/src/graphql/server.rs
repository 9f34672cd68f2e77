//! Public facts about the server.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use super::context::public_read;
use crate::app::App;
use crate::config::Flags;
use crate::db;
use crate::domain::password::MAX_PASSWORD_CHARS;

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

/// The rules a new password must pass (SPEC §5), so forms can show them as
/// the user types. The server checks them again, with the guessability
/// estimate forms cannot run.
#[derive(SimpleObject, Debug, Clone)]
pub struct PasswordRules {
    pub min_length: i32,
    pub max_length: i32,
    /// An uppercase letter, a lowercase letter, a number and a special
    /// character are each required.
    pub character_classes: bool,
}

/// Public facts about this Roster server.
#[derive(SimpleObject, Debug, Clone)]
pub struct ServerInfo {
    /// Roster's version.
    pub version: String,
    pub database_backend: DatabaseBackend,
    pub flags: FeatureFlags,
    pub password_rules: PasswordRules,
    /// True while no superuser exists: nobody can sign in to administer this
    /// server until an operator runs `roster bootstrap-superuser` (CLI only).
    pub needs_bootstrap: bool,
    /// Where "Sign in with SSO" starts (`/auth/oidc/login`; add
    /// `?return_to=/admin/…`); none when OIDC login is not configured.
    pub sso_login_path: Option<String>,
}

#[derive(Default)]
pub struct ServerQuery;

#[Object]
impl ServerQuery {
    /// Public: version, database backend, effective flags, password rules,
    /// and whether the first superuser is still to be created.
    async fn server_info(&self, ctx: &Context<'_>) -> Result<ServerInfo> {
        let app = ctx.data::<App>()?;
        let database_backend = match db::backend_name(&app.db) {
            "postgres" => DatabaseBackend::Postgres,
            _ => DatabaseBackend::Sqlite,
        };
        Ok(ServerInfo {
            version: crate::VERSION.to_string(),
            sso_login_path: crate::service::oidc::enabled(app)
                .then(|| "/auth/oidc/login".to_string()),
            database_backend,
            flags: app.config.flags.into(),
            password_rules: PasswordRules {
                min_length: i32::try_from(app.policy.min_chars()).unwrap_or(i32::MAX),
                max_length: i32::try_from(MAX_PASSWORD_CHARS).unwrap_or(i32::MAX),
                character_classes: app.policy.requires_character_classes(),
            },
            // Public facts must not fail with the database: the sign-in
            // page needs the rest of them.
            needs_bootstrap: public_read(ctx, async |w| {
                crate::service::users::needs_bootstrap_cached(w).await
            })
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e.message, "cannot tell whether a superuser exists");
                false
            }),
        })
    }
}
