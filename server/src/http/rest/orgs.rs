//! Seed 002's organization paths (`/v1/admin/orgs…`): list, create, read,
//! change, delete, and add or remove members, over the services the GraphQL
//! resolvers call.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ErrorBody, RestError};
use super::{Body, RestCaller, run};
use crate::domain::{Description, OrgName, Slug};
use crate::http::HttpState;
use crate::service::organizations::{
    self, MemberOutcome, MemberResult, NewOrg, OrgChanges, OrgKey, OrgView,
};
use crate::service::work::Mode;

/// An organization (seed 002 "Data model overview").
#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// Every user belongs to it; it cannot be deleted.
    pub is_default: bool,
    /// Members that are not deleted.
    pub member_count: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrgView> for Organization {
    fn from(v: OrgView) -> Self {
        Self {
            id: v.org.id,
            slug: v.org.slug,
            name: v.org.name,
            description: v.org.description,
            is_default: v.org.is_default,
            member_count: v.member_count,
            created_at: v.org.created_at,
            updated_at: v.org.updated_at,
        }
    }
}

/// A new organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    /// 2–63 lowercase letters, digits and hyphens; unique.
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

/// Changes to an organization; what is left out stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    /// An empty string clears it.
    pub description: Option<String>,
}

/// Which organizations to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Slug or name contains this (any case).
    pub search: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<u64>,
    /// The `next_cursor` of the page before.
    pub after: Option<String>,
}

/// One page of organizations, by slug.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationList {
    pub organizations: Vec<Organization>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

/// Users to add or remove: ids, emails or usernames.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Members {
    pub members: Vec<String>,
}

/// What became of one entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberEntry {
    pub entry: String,
    /// `added`, `removed`, `already_member`, `not_member`, `unknown` or
    /// `deleted_user`.
    pub outcome: String,
    pub user_id: Option<String>,
}

impl From<MemberResult> for MemberEntry {
    fn from(r: MemberResult) -> Self {
        let outcome = match r.outcome {
            MemberOutcome::Added => "added",
            MemberOutcome::Removed => "removed",
            MemberOutcome::AlreadyMember => "already_member",
            MemberOutcome::NotMember => "not_member",
            MemberOutcome::Unknown => "unknown",
            MemberOutcome::DeletedUser => "deleted_user",
        };
        Self {
            entry: r.entry,
            outcome: outcome.into(),
            user_id: r.user_id,
        }
    }
}

/// The organization after the change, and each entry's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipChange {
    pub organization: Organization,
    pub results: Vec<MemberEntry>,
}

fn key(id: &str) -> OrgKey {
    OrgKey::Id(id.trim().to_ascii_uppercase())
}

#[utoipa::path(get, path = "/v1/admin/orgs", tag = "organizations", operation_id = "listOrganizations",
    params(OrgQuery),
    responses((status = 200, body = OrganizationList), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<HttpState>,
    caller: RestCaller,
    query: Result<Query<OrgQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OrganizationList>, RestError> {
    let Query(q) = query?;
    let limit = q.limit.unwrap_or(50);
    let search = q.search.filter(|s| !s.trim().is_empty());
    let page = run(&state, &caller, Mode::Read, async |w| {
        organizations::page(w, limit, q.after.as_deref(), search.as_deref(), false).await
    })
    .await?;
    let next_cursor = page
        .has_next_page
        .then(|| {
            page.orgs
                .last()
                .map(|o| organizations::encode_cursor(&o.org.slug))
        })
        .flatten();
    Ok(Json(OrganizationList {
        has_more: page.has_next_page,
        next_cursor,
        organizations: page.orgs.into_iter().map(Organization::from).collect(),
    }))
}

#[utoipa::path(post, path = "/v1/admin/orgs", tag = "organizations", operation_id = "createOrganization",
    request_body = NewOrganization,
    responses((status = 201, body = Organization), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<HttpState>,
    caller: RestCaller,
    body: Body<NewOrganization>,
) -> Result<(StatusCode, Json<Organization>), RestError> {
    let input = body.0?;
    let new = NewOrg {
        slug: Slug::parse(&input.slug)?,
        name: OrgName::parse(&input.name)?,
        description: input
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?
            .flatten(),
    };
    let org = run(&state, &caller, Mode::Write, async |w| {
        organizations::create(w, new).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

#[utoipa::path(get, path = "/v1/admin/orgs/{id}", tag = "organizations", operation_id = "getOrganization",
    params(("id" = String, Path, description = "The organization's id")),
    responses((status = 200, body = Organization), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn one(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<Json<Organization>, RestError> {
    let key = key(&id);
    let org = run(&state, &caller, Mode::Read, async |w| {
        organizations::get(w, &key).await
    })
    .await?;
    Ok(Json(org.into()))
}

#[utoipa::path(patch, path = "/v1/admin/orgs/{id}", tag = "organizations", operation_id = "updateOrganization",
    params(("id" = String, Path, description = "The organization's id")),
    request_body = OrganizationChanges,
    responses((status = 200, body = Organization), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
    body: Body<OrganizationChanges>,
) -> Result<Json<Organization>, RestError> {
    let input = body.0?;
    let changes = OrgChanges {
        slug: input.slug.as_deref().map(Slug::parse).transpose()?,
        name: input.name.as_deref().map(OrgName::parse).transpose()?,
        description: input
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
    };
    let key = key(&id);
    let org = run(&state, &caller, Mode::Write, async |w| {
        organizations::update(w, &key, changes).await
    })
    .await?;
    Ok(Json(org.into()))
}

#[utoipa::path(delete, path = "/v1/admin/orgs/{id}", tag = "organizations", operation_id = "deleteOrganization",
    params(("id" = String, Path, description = "The organization's id")),
    responses((status = 204), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, RestError> {
    let key = key(&id);
    run(&state, &caller, Mode::Write, async |w| {
        organizations::delete(w, &key).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/admin/orgs/{id}/members", tag = "organizations", operation_id = "addOrganizationMembers",
    params(("id" = String, Path, description = "The organization's id")),
    request_body = Members,
    responses((status = 200, body = MembershipChange), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_members(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
    body: Body<Members>,
) -> Result<Json<MembershipChange>, RestError> {
    change_members(&state, &caller, &id, body, true).await
}

#[utoipa::path(delete, path = "/v1/admin/orgs/{id}/members", tag = "organizations", operation_id = "removeOrganizationMembers",
    params(("id" = String, Path, description = "The organization's id")),
    request_body = Members,
    responses((status = 200, body = MembershipChange), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_members(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
    body: Body<Members>,
) -> Result<Json<MembershipChange>, RestError> {
    change_members(&state, &caller, &id, body, false).await
}

async fn change_members(
    state: &HttpState,
    caller: &RestCaller,
    id: &str,
    body: Body<Members>,
    add: bool,
) -> Result<Json<MembershipChange>, RestError> {
    let members = body.0?.members;
    let key = key(id);
    let (org, results) = run(state, caller, Mode::Write, async |w| {
        if add {
            organizations::add_members(w, &key, &members).await
        } else {
            organizations::remove_members(w, &key, &members).await
        }
    })
    .await?;
    Ok(Json(MembershipChange {
        organization: org.into(),
        results: results.into_iter().map(MemberEntry::from).collect(),
    }))
}
