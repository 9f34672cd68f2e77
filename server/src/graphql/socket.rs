//! The schema served over the WebSocket (`/graphql/ws`): subscriptions
//! only. Queries and mutations go to `POST /graphql`, which checks their
//! shape (hidden fields, one login per request, body size) before it runs
//! them; a socket would skip those checks.
//!
//! A subscription's document gets the same limits as one posted
//! (`graphql::limits`: size and tokens before it is parsed, then aliases,
//! directives, lists and NUL characters) and its errors the same codes
//! (`graphql::error::give_codes`), with no "Did you mean" suggestions for a
//! socket opened without a credential.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextSubscribe,
};
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Response, ServerError, ServerResult, Variables};
use futures_util::StreamExt;

use super::context::RequestState;
use super::error::give_codes;
use super::limits::{self, OverLimit};
use super::{RosterSchema, builder};
use crate::app::App;

/// The edge's checks for a socket: limits, subscriptions only, codes.
struct SocketChecks;

impl ExtensionFactory for SocketChecks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SocketChecks)
    }
}

fn with_code(message: impl Into<String>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// A request over a limit, with its code as on `POST /graphql`.
fn over_limit(over: OverLimit) -> ServerError {
    let code = over.code();
    with_code(over.message, code)
}

#[async_graphql::async_trait::async_trait]
impl Extension for SocketChecks {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        limits::check_text(query)
            .and_then(|()| limits::check_variables(variables))
            .map_err(over_limit)?;
        let doc = next.run(ctx, query, variables).await.map_err(|mut e| {
            give_codes(std::slice::from_mut(&mut e), true, false);
            e
        })?;
        limits::check_document(&doc).map_err(over_limit)?;
        if doc
            .operations
            .iter()
            .any(|(_, op)| op.node.ty != OperationType::Subscription)
        {
            return Err(with_code(
                "Only subscriptions are served here; send queries and mutations to POST /graphql",
                "BAD_USER_INPUT",
            ));
        }
        Ok(doc)
    }

    /// Every answer of the subscription, its refusal included: each error
    /// with its code.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let anonymous = ctx
            .data_opt::<RequestState>()
            .is_none_or(|state| state.actor.is_none());
        next.run(ctx, stream)
            .map(move |mut response| {
                give_codes(&mut response.errors, false, anonymous);
                response
            })
            .boxed()
    }
}

/// The schema of `/graphql/ws`.
pub fn socket_schema(app: App) -> RosterSchema {
    builder().extension(SocketChecks).data(app).finish()
}
