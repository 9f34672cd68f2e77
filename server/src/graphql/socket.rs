//! The schema served over the WebSocket (`/graphql/ws`): subscriptions
//! only. Queries and mutations go to `POST /graphql`, which checks their
//! shape (hidden fields, one login per request, body size) before it runs
//! them; a socket would skip those checks.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerError, ServerResult, Variables};

use super::{RosterSchema, builder};
use crate::app::App;

/// Refuses any operation but a subscription.
struct SubscriptionsOnly;

impl ExtensionFactory for SubscriptionsOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SubscriptionsOnly)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for SubscriptionsOnly {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if doc
            .operations
            .iter()
            .any(|(_, op)| op.node.ty != OperationType::Subscription)
        {
            let mut error = ServerError::new(
                "Only subscriptions are served here; send queries and mutations to POST /graphql",
                None,
            );
            error.extensions = Some({
                let mut e = async_graphql::ErrorExtensionValues::default();
                e.set("code", "BAD_USER_INPUT");
                e
            });
            return Err(error);
        }
        Ok(doc)
    }
}

/// The schema of `/graphql/ws`.
pub fn socket_schema(app: App) -> RosterSchema {
    builder().extension(SubscriptionsOnly).data(app).finish()
}
