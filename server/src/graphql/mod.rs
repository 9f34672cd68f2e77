//! The GraphQL API: schema construction and SDL export.
//!
//! Resolvers stay thin: parse arguments into domain types, take the actor from
//! [`context`], call one service function (which checks access), and map the
//! result into a view type of [`types`].

mod access_review;
mod audit;
mod audit_live;
mod auth;
pub mod context;
mod database;
pub mod error;
pub mod limits;
mod organizations;
mod rls;
mod role_overrides;
mod roles;
mod server;
mod socket;
mod tokens;
pub mod types;
mod user_pages;
mod users;

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema, SchemaBuilder};

use crate::app::App;

pub use socket::socket_schema;

/// Every query.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    server::ServerQuery,
    auth::AuthQuery,
    tokens::TokenQuery,
    users::UserQuery,
    organizations::OrganizationQuery,
    audit::AuditQuery,
    access_review::AccessReviewQuery,
    rls::RlsQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutation,
    tokens::TokenMutation,
    users::UserMutation,
    roles::RoleMutation,
    database::DatabaseMutation,
    organizations::OrganizationMutation,
    role_overrides::RoleOverridesMutation,
    rls::RlsMutation,
);

/// Every subscription (served over graphql-ws at `/graphql/ws`).
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(audit_live::AuditSubscription);

/// Roster's executable schema.
pub type RosterSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Depth and complexity ceilings (SPEC §5); complexity also bounds aliases.
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 500;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
}

/// The schema serving requests against `app`.
pub fn schema(app: App) -> RosterSchema {
    builder().data(app).finish()
}

/// The same schema without the document-only validation rules, for requests
/// whose exact query, operation name and variables already passed them (see
/// `http::graphql`). Depth and complexity limits still apply.
pub fn prevalidated_schema(app: App) -> RosterSchema {
    builder()
        .validation_mode(async_graphql::ValidationMode::Fast)
        .data(app)
        .finish()
}

const ROOT_FIELDS: &str =
    "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }";

/// The names of the fields of the roots `roots` (`queryType`,
/// `mutationType`) that `schema` shows.
async fn root_field_names(
    schema: &RosterSchema,
    roots: &[&str],
) -> std::collections::BTreeSet<String> {
    let data = schema
        .execute(ROOT_FIELDS)
        .await
        .data
        .into_json()
        .unwrap_or_default();
    roots
        .iter()
        .filter_map(|root| data["__schema"][root]["fields"].as_array())
        .flatten()
        .filter_map(|f| f["name"].as_str().map(str::to_string))
        .collect()
}

/// The names of the schema's mutation fields.
pub async fn mutation_field_names(schema: &RosterSchema) -> std::collections::BTreeSet<String> {
    root_field_names(schema, &["mutationType"]).await
}

/// Root fields that exist but that this server's flags hide. Introspection
/// omits them; the HTTP edge refuses them as unknown.
pub async fn hidden_root_fields(schema: &RosterSchema) -> std::collections::BTreeSet<String> {
    const ROOTS: &[&str] = &["queryType", "mutationType"];
    let all = root_field_names(&builder().finish(), ROOTS).await;
    let visible = root_field_names(schema, ROOTS).await;
    all.difference(&visible).cloned().collect()
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
