//! What a resolver knows about its request, and the one place access is
//! checked from GraphQL.

use async_graphql::{Context, ErrorExtensions};

use crate::app::App;
use crate::error::DomainError;
use crate::service::Actor;
use crate::service::auth::{Authenticated, Client};
use crate::service::users::UserView;

/// How the request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Anonymous,
    /// A session cookie; carries the session id.
    Session(String),
    /// A personal access token; carries the token id.
    Token(String),
}

/// Per-request data, built by the HTTP edge before execution.
#[derive(Debug, Clone)]
pub struct RequestState {
    pub actor: Option<Actor>,
    /// The authenticated user as loaded with the credential.
    pub user: Option<UserView>,
    pub credential: Credential,
    pub client: Client,
}

impl RequestState {
    pub fn authenticated(who: Authenticated, credential: Credential, client: Client) -> Self {
        Self {
            actor: Some(who.actor),
            user: Some(who.user),
            credential,
            client,
        }
    }

    pub fn anonymous(client: Client) -> Self {
        Self {
            actor: None,
            user: None,
            credential: Credential::Anonymous,
            client,
        }
    }
}

/// Turns a domain error into a GraphQL error with its code.
pub fn gql(err: DomainError) -> async_graphql::Error {
    err.extend()
}

pub fn app<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a App> {
    ctx.data::<App>()
}

pub fn state<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RequestState> {
    ctx.data::<RequestState>()
}

/// The authenticated actor, or `UNAUTHENTICATED`.
pub fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Actor> {
    state(ctx)?.actor.as_ref().ok_or_else(|| {
        gql(DomainError::Unauthenticated(
            "Authentication required".into(),
        ))
    })
}

/// `USER_MGMT_CORE`: hides user-management fields from the schema.
pub fn core_enabled(ctx: &Context<'_>) -> bool {
    ctx.data::<App>().map_or(true, |app| app.config.flags.core)
}
