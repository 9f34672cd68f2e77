//! Seed 002's remaining admin paths: a user's role overrides
//! (`/v1/admin/users/{user_id}/role-overrides`), row-level security
//! (`POST /v1/admin/postgres/enable-rls`) and the database's state
//! (`GET /v1/status/db`), over the services the GraphQL resolvers call.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ErrorBody, RestError};
use super::users::user_key;
use super::{Body, RestCaller, run};
use crate::domain::RoleOverrides;
use crate::http::HttpState;
use crate::service::rls::{self, TableReport};
use crate::service::users::overrides;
use crate::service::work::Mode;

/// A user's role overrides (seed 002 "Override storage").
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Automatic revocations paused.
    #[serde(default)]
    pub enabled: bool,
    /// Roles never revoked by a sync.
    #[serde(default)]
    pub preserved: Vec<String>,
    /// Roles the provider's groups do not grant.
    #[serde(default)]
    pub suppressed: Vec<String>,
}

impl From<Option<RoleOverrides>> for Overrides {
    fn from(o: Option<RoleOverrides>) -> Self {
        let Some(o) = o else {
            return Self::default();
        };
        let names = |set: std::collections::BTreeSet<crate::domain::RoleName>| {
            set.into_iter().map(|r| r.as_str().to_string()).collect()
        };
        Self {
            enabled: o.enabled,
            preserved: names(o.preserved),
            suppressed: names(o.suppressed),
        }
    }
}

#[utoipa::path(get, path = "/v1/admin/users/{user_id}/role-overrides", tag = "role overrides",
    operation_id = "getRoleOverrides",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 200, body = Overrides), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_overrides(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(user_id): Path<String>,
) -> Result<Json<Overrides>, RestError> {
    let id = user_id.trim().to_ascii_uppercase();
    let found = run(&state, &caller, Mode::Read, async |w| {
        overrides::of_user(w, &id).await
    })
    .await?;
    Ok(Json(found.into()))
}

#[utoipa::path(put, path = "/v1/admin/users/{user_id}/role-overrides", tag = "role overrides",
    operation_id = "setRoleOverrides",
    params(("user_id" = String, Path, description = "The user's id")),
    request_body = Overrides,
    responses((status = 200, body = Overrides), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_overrides(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(user_id): Path<String>,
    body: Body<Overrides>,
) -> Result<Json<Overrides>, RestError> {
    let input = body.0?;
    let parsed = RoleOverrides::parse(input.enabled, &input.preserved, &input.suppressed)?;
    let key = user_key(&user_id);
    let id = user_id.trim().to_ascii_uppercase();
    let stored = run(&state, &caller, Mode::Write, async |w| {
        overrides::set(w, &key, parsed).await?;
        overrides::of_user(w, &id).await
    })
    .await?;
    Ok(Json(stored.into()))
}

#[utoipa::path(delete, path = "/v1/admin/users/{user_id}/role-overrides", tag = "role overrides",
    operation_id = "clearRoleOverrides",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 204), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_overrides(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(user_id): Path<String>,
) -> Result<StatusCode, RestError> {
    let key = user_key(&user_id);
    run(&state, &caller, Mode::Write, async |w| {
        overrides::clear(w, &key).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One table under (or meant for) row-level security.
#[derive(Debug, Serialize, ToSchema)]
pub struct RlsTable {
    pub table: String,
    /// One of Roster's own tables (else one of `RLS_TABLES`).
    pub roster: bool,
    pub exists: bool,
    pub owner_column: bool,
    pub rls_enabled: bool,
    pub forced: bool,
    /// `select`, `insert`, `update`, `delete` → `created`, `present`,
    /// `dropped`, `absent`, `failed` or `skipped`.
    pub policies: BTreeMap<String, String>,
    /// Why something failed or was skipped (Postgres's own words).
    pub message: Option<String>,
}

impl From<TableReport> for RlsTable {
    fn from(r: TableReport) -> Self {
        Self {
            policies: r
                .policies
                .iter()
                .map(|(kind, change)| (kind.to_string(), change.as_str().to_string()))
                .collect(),
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

/// The database (seed 002: the admin app hides the Postgres actions when
/// the backend is not Postgres).
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseStatus {
    /// `postgres` or `sqlite`.
    pub backend: String,
    pub server_version: String,
    /// Postgres only: `pg_trgm` installed.
    pub pg_trgm: bool,
    /// Postgres only: each managed table as it is.
    pub tables: Vec<RlsTable>,
}

#[utoipa::path(get, path = "/v1/status/db", tag = "database", operation_id = "databaseStatus",
    responses((status = 200, body = DatabaseStatus), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn status(
    State(state): State<HttpState>,
    caller: RestCaller,
) -> Result<Json<DatabaseStatus>, RestError> {
    let status = run(&state, &caller, Mode::Read, async |w| rls::status(w).await).await?;
    Ok(Json(DatabaseStatus {
        backend: status.backend.to_string(),
        server_version: status.server_version,
        pg_trgm: status.pg_trgm,
        tables: status.tables.into_iter().map(RlsTable::from).collect(),
    }))
}

#[utoipa::path(post, path = "/v1/admin/postgres/enable-rls", tag = "database", operation_id = "enableRls",
    responses((status = 200, body = [RlsTable]), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn enable_rls(
    State(state): State<HttpState>,
    caller: RestCaller,
) -> Result<Json<Vec<RlsTable>>, RestError> {
    let reports = run(&state, &caller, Mode::Write, async |w| rls::enable(w).await).await?;
    Ok(Json(reports.into_iter().map(RlsTable::from).collect()))
}
