//! What a resolver knows about its request, and the one place access is
//! checked from GraphQL.

use std::sync::{Arc, Mutex};

use async_graphql::Context;

use crate::app::App;
use crate::error::DomainError;
use crate::service::Actor;
use crate::service::auth::{Authenticated, Client};
use crate::service::users::UserView;
use crate::service::work::{Mode, Work};

/// How the request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Anonymous,
    /// A session cookie; carries the session id.
    Session(String),
    /// A personal access token; carries the token id.
    Token(String),
    /// The identity provider's access token; carries its `sub`.
    IdpToken(String),
}

/// What a resolver asks of the session cookie; the HTTP edge writes it
/// once execution is over (resolvers know nothing of cookies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChange {
    /// A session began: store its secret for its lifetime.
    Started { secret: String },
    /// The caller's session is over: remove the cookie.
    Ended,
}

/// Per-request data, built by the HTTP edge before execution.
#[derive(Debug, Clone)]
pub struct RequestState {
    pub actor: Option<Actor>,
    /// The authenticated user as loaded with the credential.
    pub user: Option<UserView>,
    pub credential: Credential,
    pub client: Client,
    /// The last [`SessionChange`] a resolver asked for.
    session_change: Arc<Mutex<Option<SessionChange>>>,
}

impl RequestState {
    pub fn authenticated(who: Authenticated, credential: Credential, client: Client) -> Self {
        Self {
            actor: Some(who.actor),
            user: Some(who.user),
            credential,
            client,
            session_change: Arc::default(),
        }
    }

    pub fn anonymous(client: Client) -> Self {
        Self {
            actor: None,
            user: None,
            credential: Credential::Anonymous,
            client,
            session_change: Arc::default(),
        }
    }

    /// Asks the edge to set or clear the session cookie.
    pub fn change_session(&self, change: SessionChange) {
        let mut slot = self
            .session_change
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = Some(change);
    }

    /// What the resolvers asked of the session cookie, if anything.
    pub fn session_change(&self) -> Option<SessionChange> {
        self.session_change
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// What a live subscription checks again while it runs: the credential as
/// the caller presented it when the connection opened.
#[derive(Debug, Clone)]
pub struct LiveCredential {
    pub presented: Option<crate::service::auth::Presented>,
    pub client: Client,
}

pub use super::error::gql;

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

/// Runs `f` on the request's reads, for a signed-in caller
/// (`UNAUTHENTICATED` otherwise): in a query, the request's one read work
/// (every field sees the same snapshot); in the answer of a mutation, a read
/// work of its own, begun after the mutation committed.
pub async fn read<T>(
    ctx: &Context<'_>,
    f: impl AsyncFnOnce(&Work) -> crate::error::Result<T>,
) -> async_graphql::Result<T> {
    let actor = actor(ctx)?.clone();
    read_as(ctx, actor, f).await
}

/// [`read`] for whoever calls, signed in or not.
pub async fn public_read<T>(
    ctx: &Context<'_>,
    f: impl AsyncFnOnce(&Work) -> crate::error::Result<T>,
) -> async_graphql::Result<T> {
    let state = state(ctx)?;
    let actor = state.actor.clone().unwrap_or_else(|| {
        Actor::anonymous(state.client.ip.clone(), state.client.user_agent.clone())
    });
    read_as(ctx, actor, f).await
}

async fn read_as<T>(
    ctx: &Context<'_>,
    actor: Actor,
    f: impl AsyncFnOnce(&Work) -> crate::error::Result<T>,
) -> async_graphql::Result<T> {
    match ctx.data_opt::<Arc<SharedRead>>() {
        Some(shared) => {
            let app = app(ctx)?;
            let work = shared.0.get_or_init(|| Work::new(app, actor, Mode::Read));
            f(work).await.map_err(gql)
        }
        None => Work::run(app(ctx)?, actor, Mode::Read, async |w| f(&*w).await)
            .await
            .map_err(gql),
    }
}

/// The read unit of work a query's fields share, made when the first field
/// needs it (most requests of a signed-in app need none: `viewer` is
/// answered from the credential).
#[derive(Default)]
pub struct SharedRead(std::sync::OnceLock<Work>);

impl SharedRead {
    /// A field made the work (most requests need none).
    pub fn in_use(&self) -> bool {
        self.0.get().is_some()
    }

    /// Ends the shared work, if a field made one: records the denials its
    /// fields met.
    pub async fn end(self: Arc<Self>) {
        let Ok(slot) = Arc::try_unwrap(self) else {
            tracing::error!("a request's read unit of work outlived its execution");
            return;
        };
        if let Some(work) = slot.0.into_inner()
            && let Err(e) = work.finish(Ok(())).await
        {
            tracing::error!(error = %e, "cannot end a request's read unit of work");
        }
    }
}

/// Runs a mutation field in a unit of work of its own, for a signed-in
/// caller: committed when `f` succeeds, rolled back when it fails (GraphQL
/// runs mutation fields one after another, and each answers for itself).
pub async fn mutate<T>(
    ctx: &Context<'_>,
    f: impl AsyncFnOnce(&mut Work) -> crate::error::Result<T>,
) -> async_graphql::Result<T> {
    let actor = actor(ctx)?.clone();
    Work::run(app(ctx)?, actor, Mode::Write, f)
        .await
        .map_err(gql)
}

/// [`mutate`] for the public mutations (logging in, accepting an
/// invitation, resetting a password): the work acts as nobody in
/// particular, from the caller's address, even when a session is present.
pub async fn mutate_anonymous<T>(
    ctx: &Context<'_>,
    f: impl AsyncFnOnce(&mut Work) -> crate::error::Result<T>,
) -> async_graphql::Result<T> {
    let client = &state(ctx)?.client;
    let actor = Actor::anonymous(client.ip.clone(), client.user_agent.clone());
    Work::run(app(ctx)?, actor, Mode::Write, f)
        .await
        .map_err(gql)
}
