//! The GraphQL API: schema construction and SDL export.
//!
//! Resolvers stay thin: parse arguments into domain types, check access, call
//! one service function, map the result into a view type of this module.

mod query;

use async_graphql::{EmptyMutation, EmptySubscription, SDLExportOptions, Schema};

use crate::app::App;

pub use query::QueryRoot;

/// Roster's executable schema.
pub type RosterSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Depth and complexity ceilings (SPEC §5); complexity also bounds aliases.
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 500;

/// The schema without data, for printing.
fn builder() -> async_graphql::SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema serving requests against `app`.
pub fn schema(app: App) -> RosterSchema {
    builder().data(app).finish()
}

/// The SDL of the schema, sorted so that it diffs cleanly; `schema.graphql`
/// at the repository root is exactly this text.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
