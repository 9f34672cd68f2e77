//! Seed 004's user paths (`/api/v1/admin/users…`, and seed 002's
//! `/v1/admin/users…`): each parses its input, calls the service functions
//! the GraphQL resolvers call in one unit of work, and maps the result.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ErrorBody, RestError};
use super::{Body, RestCaller, run};
use crate::domain::{DisplayName, Email, RoleName, UserStatus, Username};
use crate::error::DomainError;
use crate::http::HttpState;
use crate::service::directory::{self, Cursor, Order, UserFilter};
use crate::service::invitations;
use crate::service::users::{self, NewUser, UserChanges, UserKey, UserView};
use crate::service::work::Mode;

/// A user, as seed 004's API answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    /// The most powerful role held (seed 004 has one role per user).
    pub role: Option<String>,
    /// Every role held, most powerful first.
    pub roles: Vec<String>,
    /// `pending_invitation`, `active`, `deactivated` or `deleted`.
    pub status: String,
    /// Only an active user may log in.
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_active_at: Option<DateTime<Utc>>,
}

impl From<UserView> for User {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            role: v.roles.first().cloned(),
            roles: v.roles,
            status: u.status.as_str().to_string(),
            is_active: u.status.can_log_in(),
            id: u.id,
            username: u.username,
            email: u.email,
            display_name: u.display_name,
            created_at: u.created_at,
            updated_at: u.updated_at,
            last_login_at: u.last_login_at,
            last_active_at: u.last_active_at,
        }
    }
}

/// A user to invite (seed 004 "Creating Users").
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub email: String,
    /// Default `viewer`; aliases such as `user` are read (`ROLE_ALIASES`).
    pub role: Option<String>,
    pub display_name: Option<String>,
}

/// The invited user (`is_active: false`) and how the invitation went.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    #[serde(flatten)]
    pub user: User,
    pub invitation_sent: bool,
    /// Why the email did not go out; the user stays and can be re-invited.
    pub email_error: Option<String>,
    pub invitation_expires_at: DateTime<Utc>,
}

impl From<invitations::Invited> for Invited {
    fn from(i: invitations::Invited) -> Self {
        Self {
            invitation_sent: i.delivery.sent(),
            email_error: i.delivery.failure().map(str::to_string),
            invitation_expires_at: i.token.expires_at,
            user: i.user.into(),
        }
    }
}

/// Changes to a user (seed 004 "Updating User Details"); what is left out
/// stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    pub username: Option<String>,
    pub email: Option<String>,
    /// Replaces the user's roles with this one.
    pub role: Option<String>,
    /// An empty string clears it.
    pub display_name: Option<String>,
}

/// Which users to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `active`, `inactive` (deactivated), `pending` (invited) or `deleted`;
    /// the full names (`deactivated`, `pending_invitation`) work too.
    pub status: Option<String>,
    /// Users holding this role (or alias).
    pub role: Option<String>,
    /// Case-insensitive match on username, email or display name.
    pub search: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<u64>,
    /// The `next_cursor` of the page before.
    pub after: Option<String>,
}

/// One page of users, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
    pub has_more: bool,
    /// Pass as `after` for the next page.
    pub next_cursor: Option<String>,
}

fn status(raw: &str) -> Result<UserStatus, DomainError> {
    Ok(match raw.trim().to_ascii_lowercase().as_str() {
        "active" => UserStatus::Active,
        "inactive" | "deactivated" => UserStatus::Deactivated,
        "pending" | "pending_invitation" | "invited" => UserStatus::PendingInvitation,
        "deleted" => UserStatus::Deleted,
        _ => {
            return Err(DomainError::bad_input(
                "status",
                format!("Unknown status {raw:?}: use active, inactive, pending or deleted"),
            ));
        }
    })
}

/// A user named by id in a path (ids are upper case ULIDs).
pub(super) fn user_key(id: &str) -> UserKey {
    UserKey::Id(user_id(id))
}

fn user_id(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

fn roles(role: Option<&str>) -> Result<Vec<RoleName>, DomainError> {
    role.map(RoleName::parse)
        .transpose()
        .map(|r| r.into_iter().collect())
}

#[utoipa::path(get, path = "/api/v1/admin/users", operation_id = "listUsers", tag = "users", params(ListQuery),
    responses((status = 200, body = UserList), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<HttpState>,
    caller: RestCaller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<UserList>, RestError> {
    let Query(q) = query?;
    let status = q.status.as_deref().map(status).transpose()?;
    let filter = UserFilter {
        status,
        roles: roles(q.role.as_deref())?,
        search: q.search.filter(|s| !s.trim().is_empty()),
        organization: None,
        include_deleted: status == Some(UserStatus::Deleted),
    };
    let after = q.after.as_deref().map(Cursor::decode).transpose()?;
    let limit = q.limit.unwrap_or(50);
    let page = run(&state, &caller, Mode::Read, async |w| {
        directory::page(
            w,
            &filter,
            Order::CreatedAtAsc,
            limit,
            after.as_ref(),
            false,
        )
        .await
    })
    .await?;
    let next_cursor = page
        .has_next_page
        .then(|| page.users.last().map(|u| Cursor::of(&u.user).encode()))
        .flatten();
    Ok(Json(UserList {
        has_more: page.has_next_page,
        next_cursor,
        users: page.users.into_iter().map(User::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/admin/users", operation_id = "createUser", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = Invited), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<HttpState>,
    caller: RestCaller,
    body: Body<NewUserBody>,
) -> Result<(StatusCode, Json<Invited>), RestError> {
    let input = body.0?;
    let new = NewUser {
        username: Username::parse(&input.username)?,
        email: Email::parse(&input.email)?,
        display_name: input
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?
            .flatten(),
        roles: roles(input.role.as_deref())?,
        password: None,
    };
    let invited = run(&state, &caller, Mode::Write, async |w| {
        invitations::invite(w, new).await
    })
    .await
    .map_err(|e| match e.code() {
        // The runbooks' wording (seed 000 "User already exists").
        "CONFLICT" => {
            let said = format!("User already exists: {}", e.message());
            e.said(said)
        }
        _ => e,
    })?;
    Ok((StatusCode::CREATED, Json(invited.into())))
}

#[utoipa::path(get, path = "/api/v1/admin/users/{id}", operation_id = "getUser", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn one(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<Json<User>, RestError> {
    let id = user_id(&id);
    let user = run(&state, &caller, Mode::Read, async |w| {
        directory::one(w, &id).await
    })
    .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(put, path = "/api/v1/admin/users/{id}", operation_id = "updateUser", tag = "users", request_body = UserUpdate,
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
    body: Body<UserUpdate>,
) -> Result<Json<User>, RestError> {
    let input = body.0?;
    let changes = UserChanges {
        username: input.username.as_deref().map(Username::parse).transpose()?,
        email: input.email.as_deref().map(Email::parse).transpose()?,
        display_name: input
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
    };
    let role = roles(input.role.as_deref())?;
    let key = user_key(&id);
    // The details and the role change together or not at all.
    let user = run(&state, &caller, Mode::Write, async |w| {
        let mut user = users::update(w, &key, changes).await?;
        if !role.is_empty() {
            user = users::set_roles(w, &key, &role).await?;
        }
        Ok(user)
    })
    .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", operation_id = "deleteUser", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 204), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, RestError> {
    let key = user_key(&id);
    run(&state, &caller, Mode::Write, async |w| {
        users::delete(w, &key).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/deactivate", operation_id = "deactivateUser", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn deactivate(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<Json<User>, RestError> {
    let key = user_key(&id);
    let user = run(&state, &caller, Mode::Write, async |w| {
        users::deactivate(w, &key).await
    })
    .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/activate", operation_id = "activateUser", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn activate(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<Json<User>, RestError> {
    let key = user_key(&id);
    let user = run(&state, &caller, Mode::Write, async |w| {
        users::activate(w, &key).await
    })
    .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/resend-invitation", operation_id = "resendInvitation", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, body = Invited), (status = "4XX", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resend(
    State(state): State<HttpState>,
    caller: RestCaller,
    Path(id): Path<String>,
) -> Result<Json<Invited>, RestError> {
    let key = user_key(&id);
    let invited = run(&state, &caller, Mode::Write, async |w| {
        invitations::resend(w, &key).await
    })
    .await?;
    Ok(Json(invited.into()))
}
