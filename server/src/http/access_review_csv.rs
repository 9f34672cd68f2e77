//! `GET /admin/api/permission-holders.csv?permission=users:manage`: the
//! access review (`permissionHolders`) as a CSV download, every holder in
//! one snapshot. Authenticated by the shared extractor; a read that changes
//! nothing, so a plain download link works (no CSRF header needed). Hidden
//! (404) when `USER_MGMT_CORE` is off, like the GraphQL field.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Caller, HttpState};
use crate::domain::Permission;
use crate::error::DomainError;
use crate::service::access_review;
use crate::service::work::{Mode, Work};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldersQuery {
    permission: Option<String>,
}

pub async fn get(
    State(state): State<HttpState>,
    caller: Caller,
    query: Result<Query<HoldersQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let app = &state.app;
    if !app.config.flags.core {
        return DomainError::not_found("Not found").into_response();
    }
    let Some(actor) = caller.state.actor else {
        return DomainError::Unauthenticated("Authentication required".into()).into_response();
    };
    let raw = match query {
        Ok(Query(q)) => q.permission.unwrap_or_default(),
        Err(e) => return DomainError::bad_input("query", e.body_text()).into_response(),
    };
    let permission = match Permission::parse(raw.trim()) {
        Ok(p) => p,
        Err(e) => return DomainError::bad_input("permission", e.to_string()).into_response(),
    };
    let csv = Work::run(app, actor, Mode::Snapshot, async |w| {
        access_review::csv(w, permission).await
    })
    .await;
    let body = match csv {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let file_name = format!(
        "permission_holders_{}_{}.csv",
        permission.as_str().replace(':', "_"),
        app.clock.now().format("%Y%m%d")
    );
    super::audit_csv::download(body.into(), &file_name)
}
