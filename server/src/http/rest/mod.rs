//! The seeds' REST paths, over the same services as GraphQL (issue 16): seed
//! 004's `/api/v1/admin/users…` and `/api/v1/admin/activity`, and seed 002's
//! `/v1/admin/users…` and `/v1/admin/audit` (the same handlers). GraphQL
//! stays the primary API; this layer is thin: the shared authentication
//! (bearer personal token or IdP JWT; a session cookie with the CSRF
//! header), the service functions the resolvers call in one unit of work,
//! and one error shape ([`error`]). Not mounted when `USER_MGMT_CORE` is off
//! (404, as unknown). `GET /api/openapi.json` describes it ([`openapi`]),
//! served whatever the flags (it is documentation). Bodies over
//! `MAX_BODY_BYTES` are 413 in the same error shape.

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::Method;
use axum::http::request::Parts;
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

mod activity;
mod admin;
pub mod error;
mod orgs;
mod tokens;
mod users;

use super::json_object::JsonObject;
use super::{Caller, HttpState};
use crate::error::DomainError;
use crate::service::Actor;
use crate::service::work::{Mode, Work};
use error::RestError;

/// The REST routes, for [`super::router`] to merge when core is on, with
/// bodies limited to `max_body` bytes (answered as [`RestError`]s).
pub(super) fn routes(max_body: usize) -> Router<HttpState> {
    let users = || {
        Router::new()
            .route("/users", get(users::list).post(users::create))
            .route(
                "/users/{id}",
                get(users::one).put(users::update).delete(users::delete),
            )
            .route("/users/{id}/deactivate", post(users::deactivate))
            .route("/users/{id}/activate", post(users::activate))
            .route("/users/{id}/resend-invitation", post(users::resend))
    };
    Router::new()
        .nest(
            "/api/v1/admin",
            users().route("/activity", get(activity::list)),
        )
        .nest(
            "/v1/admin",
            users()
                .route("/audit", get(activity::list))
                .route(
                    "/users/{id}/role-overrides",
                    get(admin::get_overrides)
                        .put(admin::put_overrides)
                        .delete(admin::delete_overrides),
                )
                .route("/orgs", get(orgs::list).post(orgs::create))
                .route(
                    "/orgs/{id}",
                    get(orgs::one).patch(orgs::update).delete(orgs::delete),
                )
                .route(
                    "/orgs/{id}/members",
                    post(orgs::add_members).delete(orgs::remove_members),
                )
                .route("/postgres/enable-rls", post(admin::enable_rls)),
        )
        .route("/v1/status/db", get(admin::status))
        .route("/v1/me/tokens", get(tokens::list).post(tokens::create))
        .route("/v1/me/tokens/{id}", axum::routing::delete(tokens::revoke))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
}

/// The signed-in caller of a REST path. Anonymous callers get 401; a
/// request that changes state, or comes with a session cookie, must carry
/// the CSRF header unless it presents a bearer token (SPEC §5).
pub struct RestCaller {
    actor: Actor,
}

impl FromRequestParts<HttpState> for RestCaller {
    type Rejection = RestError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &HttpState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::extract(parts, state).await?;
        // Nobody signed in hears 401 first, whatever the method.
        let Some(actor) = caller.state.actor.clone() else {
            return Err(DomainError::Unauthenticated("Authentication required".into()).into());
        };
        let reads = matches!(parts.method, Method::GET | Method::HEAD);
        caller.require_same_site(!reads)?;
        Ok(Self { actor })
    }
}

/// A JSON body, or why it could not be read (read after the caller, so an
/// anonymous caller hears 401 whatever they sent).
pub struct Body<T>(pub Result<T, RestError>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            JsonObject::<T>::from_request(req, state)
                .await
                .map(|JsonObject(body)| body)
                .map_err(RestError::from),
        ))
    }
}

/// Runs `f` for the caller in one unit of work: its change and audit
/// events commit together, or nothing does.
async fn run<T>(
    state: &HttpState,
    caller: &RestCaller,
    mode: Mode,
    f: impl AsyncFnOnce(&mut Work) -> crate::error::Result<T>,
) -> Result<T, RestError> {
    Work::run(&state.app, caller.actor.clone(), mode, f)
        .await
        .map_err(RestError::from)
}

/// The OpenAPI document of the REST paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster REST API",
        description = "The seeds' REST paths over Roster's services. Seed 002's `/v1/admin/users…` paths answer as `/api/v1/admin/users…`, and `/v1/admin/audit` as `/api/v1/admin/activity`. Authenticate with `Authorization: Bearer <personal access token or IdP access token>`; a browser session also works with the `X-Roster-CSRF: 1` header. GraphQL (`/graphql`, `schema.graphql`) is the primary API."
    ),
    paths(
        users::list,
        users::create,
        users::one,
        users::update,
        users::delete,
        users::deactivate,
        users::activate,
        users::resend,
        activity::list,
        admin::get_overrides,
        admin::put_overrides,
        admin::delete_overrides,
        orgs::list,
        orgs::create,
        orgs::one,
        orgs::update,
        orgs::delete,
        orgs::add_members,
        orgs::remove_members,
        admin::enable_rls,
        admin::status,
        tokens::list,
        tokens::create,
        tokens::revoke
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "users", description = "Seed 004 \"User Management API Reference\""),
        (name = "activity", description = "Seed 004 \"Activity API Endpoint\": the audit log"),
        (name = "role overrides", description = "Seed 002 \"Override storage\""),
        (name = "organizations", description = "Seed 002 \"Organization management\""),
        (name = "database", description = "Seed 002 \"Postgres Row-Level Security\""),
        (name = "tokens", description = "Seed 002: your personal access tokens")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The OpenAPI document as served and checked in (`openapi.json`).
pub fn openapi() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::VERSION.to_string();
    let mut text = doc.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi(),
    )
}
