//! `POST /graphql`: request shape checks happen here, and the cross-site
//! defence (with the caller from the shared extractor, `http/auth.rs`),
//! before the schema executes anything; the session cookie a resolver asked
//! for is written after.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql_axum::GraphQLResponse;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::auth::Caller;
use super::graphql_metrics::RequestMetrics;
use super::guard::MayChange;
use super::json_object::JsonObject;
use super::{HttpState, cookies};
use crate::error::{DomainError, FieldError};
use crate::graphql::context::{SessionChange, SharedRead};
use crate::graphql::error::give_codes;
use crate::graphql::limits::{self as graphql_limits, OverLimit};

/// A refused request shape: `BAD_USER_INPUT`, 400.
fn refused(message: String) -> Response {
    DomainError::BadInput(vec![FieldError {
        field: None,
        message,
    }])
    .into_response()
}

/// A request over one of the edge's limits (`graphql::limits`): 400, with
/// `GRAPHQL_VALIDATION_FAILED` for the document, `BAD_USER_INPUT` for the
/// variables.
fn over_limit(over: OverLimit) -> Response {
    if !over.in_document {
        return refused(over.message);
    }
    let body = serde_json::json!({
        "errors": [{
            "extensions": { "code": over.code() },
            "message": over.message,
        }]
    });
    (axum::http::StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Collects the names of the root fields a selection set would run,
/// following fragments (aliases do not hide a field's name).
fn root_fields<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    depth: usize,
    out: &mut Vec<&'a str>,
) {
    if depth > 8 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push(f.node.name.node.as_str()),
            Selection::InlineFragment(inline) => {
                root_fields(doc, &inline.node.selection_set.node, depth + 1, out)
            }
            Selection::FragmentSpread(spread) => {
                if let Some(f) = doc.fragments.get(&spread.node.fragment_name.node) {
                    root_fields(doc, &f.node.selection_set.node, depth + 1, out);
                }
            }
        }
    }
}

/// What the document asks for, as far as the edge cares.
struct Shape {
    mutation: bool,
    /// The most `login` fields any one mutation would run.
    logins: usize,
    /// Every root field any operation names.
    fields: Vec<String>,
}

fn shape(doc: &ExecutableDocument) -> Shape {
    let mut shape = Shape {
        mutation: false,
        logins: 0,
        fields: Vec::new(),
    };
    for (_, op) in doc.operations.iter() {
        let mut names = Vec::new();
        root_fields(doc, &op.node.selection_set.node, 0, &mut names);
        if op.node.ty == OperationType::Mutation {
            shape.mutation = true;
            let logins = names.iter().filter(|n| **n == "login").count();
            shape.logins = shape.logins.max(logins);
        }
        shape.fields.extend(names.into_iter().map(str::to_string));
    }
    shape
}

/// Read-only requests (exact query text, operation name and variables) that
/// passed every check and validation rule once and ran without an error, with
/// their parsed documents. The same request again skips parsing and the
/// document-only validation rules; the prevalidated schema still makes the
/// variable-dependent checks (depth, complexity, argument values at
/// execution). Keys are SHA-256 digests, so no variable (a token in an
/// `invitation` query, say) stays in memory; mutations are never kept.
/// Bounded: queries up to [`Self::MAX_QUERY`] bytes, and past
/// [`Self::MAX_ENTRIES`] entries it starts over.
#[derive(Default)]
pub struct ValidatedQueries(std::sync::Mutex<HashMap<[u8; 32], ExecutableDocument>>);

impl ValidatedQueries {
    const MAX_ENTRIES: usize = 1_000;
    const MAX_QUERY: usize = 8 * 1024;

    fn key(request: &async_graphql::Request) -> Option<[u8; 32]> {
        use sha2::Digest;
        if request.query.len() > Self::MAX_QUERY {
            return None;
        }
        let variables = serde_json::to_vec(&request.variables).ok()?;
        let mut hasher = sha2::Sha256::new();
        for part in [
            request.query.as_bytes(),
            request
                .operation_name
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
            &variables,
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Some(hasher.finalize().into())
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], ExecutableDocument>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &[u8; 32]) -> Option<ExecutableDocument> {
        self.map().get(key).cloned()
    }

    fn insert(&self, key: [u8; 32], doc: ExecutableDocument) {
        let mut map = self.map();
        if map.len() >= Self::MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, doc);
    }
}

/// One GraphQL operation per request, a JSON object only: batched arrays,
/// `text/plain` and multipart bodies are refused ([`JsonObject`]).
pub async fn post(
    State(state): State<HttpState>,
    caller: Caller,
    may_change: Option<Extension<MayChange>>,
    JsonObject(mut request): JsonObject<async_graphql::Request>,
) -> Response {
    let config = &state.app.config;
    let operation_name = request.operation_name.clone();
    let mut mutation_fields = Vec::new();
    let key = ValidatedQueries::key(&request);
    let known = key.as_ref().and_then(|k| state.validated.get(k));
    // A request seen before passed these already.
    if known.is_none()
        && let Err(over) = graphql_limits::check_text(&request.query)
            .and_then(|()| graphql_limits::check_variables(&request.variables))
    {
        return over_limit(over);
    }
    let prevalidated = known.is_some();
    // The document to remember if this request turns out valid.
    let mut fresh = None;
    let mut parse_failed = false;
    let mutation = match known {
        // Seen before: a query that passed every check below.
        Some(doc) => {
            request.set_parsed_query(doc);
            false
        }
        None => {
            // Parsed once: execution reuses the document.
            if let Ok(doc) = request.parsed_query()
                && let Err(over) = graphql_limits::check_document(doc)
            {
                return over_limit(over);
            }
            let shape = request.parsed_query().ok().map(shape);
            parse_failed = shape.is_none();
            // Fields hidden by a flag are unknown, not merely left out of
            // introspection.
            if let Some(hidden) = shape
                .as_ref()
                .and_then(|s| s.fields.iter().find(|f| state.hidden_fields.contains(*f)))
            {
                return refused(format!("Unknown field \"{hidden}\""));
            }
            if shape.as_ref().is_some_and(|s| s.logins > 1) {
                return refused("A request may carry at most one login attempt".into());
            }
            let mutation = shape.as_ref().is_none_or(|s| s.mutation);
            if mutation && let Some(shape) = shape {
                mutation_fields = shape.fields;
            }
            if !mutation && key.is_some() {
                fresh = request.parsed_query().ok().cloned();
            }
            mutation
        }
    };
    if let Err(refused) = caller.require_same_site(mutation) {
        return refused.into_response();
    }
    let mut measured = RequestMetrics::start(operation_name.as_deref(), mutation);
    measured.mutations(&mutation_fields, &state.mutation_fields);
    let anonymous = caller.state.actor.is_none();
    let request_state = caller.state;
    let session = request_state.clone();
    let schema = if prevalidated {
        &state.prevalidated
    } else {
        &state.schema
    };
    // A query's fields share one read unit of work (one snapshot); each
    // mutation field runs in a write work of its own and the fields of its
    // answer in a read work begun after it committed
    // (`graphql::context::{read, mutate}`).
    let shared = (!mutation).then(|| Arc::new(SharedRead::default()));
    let mut request = request.data(request_state);
    if let Some(slot) = &shared {
        request = request.data(Arc::clone(slot));
    }
    let executed = if mutation {
        // A mutation runs to its end even if the client goes away or the
        // guard answers it at the timeout: no unit of work is left
        // half-done. Shutdown waits for it too.
        let schema = schema.clone();
        if let Some(Extension(may_change)) = &may_change {
            may_change.mark();
        }
        state
            .lifecycle
            .spawn_held(async move {
                let response = schema.execute(request).await;
                if let Some(Extension(may_change)) = may_change {
                    let errors = response.errors.len();
                    may_change.finished(&format!("a GraphQL mutation, {errors} errors"));
                }
                response
            })
            .await
    } else {
        let response = schema.execute(request).await;
        if let Some(slot) = shared.filter(|s| s.in_use()) {
            // In a task of its own, so the denials it records survive a
            // client that leaves now; awaited, so they are stored before
            // the answer goes out.
            if let Err(e) = tokio::spawn(slot.end()).await {
                tracing::error!(error = %e, "ending a request's read unit of work failed");
            }
        }
        Ok(response)
    };
    let response = match executed {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a GraphQL request's task failed");
            return DomainError::Internal(anyhow::anyhow!("request task failed")).into_response();
        }
    };
    measured.finish(&response);
    let mut response = response;
    give_codes(&mut response.errors, parse_failed, anonymous);
    if response.errors.is_empty()
        && let (Some(key), Some(doc)) = (key, fresh)
    {
        state.validated.insert(key, doc);
    }
    // A query the database could not answer: 503 with Retry-After, so a
    // load balancer or script retries it. Never for a mutation: part of it
    // may have been made, and a blind retry would make it twice.
    let unavailable = !mutation
        && response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| *c == async_graphql::Value::from("UNAVAILABLE"))
        });
    let mut answer = GraphQLResponse::from(response).into_response();
    if unavailable {
        *answer.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(1));
    }
    let cookie = match session.session_change() {
        Some(SessionChange::Started { secret }) => Some(cookies::session(
            config,
            &secret,
            config.auth.session_max_age,
        )),
        Some(SessionChange::Ended) => Some(cookies::cleared(config)),
        None => None,
    };
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        answer.headers_mut().append(header::SET_COOKIE, value);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(query: &str) -> Option<Shape> {
        async_graphql::parser::parse_query(query)
            .ok()
            .map(|doc| super::shape(&doc))
    }

    #[test]
    fn counts_logins_through_aliases_and_fragments() {
        let q = r#"mutation { a: login(usernameOrEmail: "x", password: "y") { __typename }
                              b: login(usernameOrEmail: "x", password: "z") { __typename } }"#;
        assert_eq!(shape(q).map(|s| s.logins), Some(2));
        let q = r#"mutation { login(usernameOrEmail: "x", password: "y") { __typename } ...F
                              ... on MutationRoot { c: login(usernameOrEmail: "x", password: "w") { __typename } } }
                   fragment F on MutationRoot { b: login(usernameOrEmail: "x", password: "z") { __typename } }"#;
        assert_eq!(shape(q).map(|s| s.logins), Some(3));
        let q = r#"mutation { login(usernameOrEmail: "x", password: "y") { __typename } }"#;
        assert_eq!(shape(q).map(|s| (s.mutation, s.logins)), Some((true, 1)));
        let q = "query A { x: tokens(userId: 1) { id } ...F } fragment F on QueryRoot { viewer { user { id } } }";
        assert_eq!(
            shape(q).map(|s| s.fields),
            Some(vec!["tokens".into(), "viewer".into()])
        );
        assert_eq!(
            shape("{ viewer { permissions } }").map(|s| s.mutation),
            Some(false)
        );
    }
}
