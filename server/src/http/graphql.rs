//! `POST /graphql`: authentication, cross-site request defence and request
//! shape checks happen here, before the schema executes anything.

use std::collections::HashMap;
use std::net::SocketAddr;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql_axum::GraphQLResponse;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{HttpState, cookies};
use crate::config::Config;
use crate::graphql::context::{Credential, RequestState};
use crate::service::auth::Client;
use crate::service::{access_tokens, sessions};

/// Header a browser client must send with cookie-authenticated requests and
/// with every mutation. Cross-site pages cannot set it without a CORS
/// preflight, which Roster never grants.
pub const CSRF_HEADER: &str = "x-roster-csrf";

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, Json(body)).into_response()
}

fn client(headers: &HeaderMap, peer: SocketAddr, config: &Config) -> Client {
    let forwarded = config
        .auth
        .trust_proxy_headers
        .then(|| headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    Client {
        ip: Some(forwarded.unwrap_or_else(|| peer.ip().to_string())),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect()),
    }
}

/// Who is calling: a bearer token wins over a cookie. A bad bearer token is
/// an error (scripts must hear about it); a stale cookie is just anonymous.
async fn authenticate(
    state: &HttpState,
    headers: &HeaderMap,
    client: Client,
) -> Result<(RequestState, bool), Response> {
    let app = &state.app;
    let internal = |e| {
        tracing::error!(error = ?e, "authentication failed");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Internal server error",
        )
    };
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let bearer = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let found = match bearer {
            Some(secret) => access_tokens::authenticate(app, secret, &client)
                .await
                .map_err(internal)?,
            None => None,
        };
        return match found {
            Some((who, token)) => Ok((
                RequestState::authenticated(who, Credential::Token(token.id), client),
                false,
            )),
            None => Err(error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "Invalid or expired token",
            )),
        };
    }
    let cookie_headers = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    if let Some(secret) = cookies::read(&app.config, cookie_headers) {
        if let Some((who, session)) = sessions::authenticate(app, &secret, &client)
            .await
            .map_err(internal)?
        {
            return Ok((
                RequestState::authenticated(who, Credential::Session(session.id), client),
                true,
            ));
        }
        // A cookie was sent: the request is as cross-site-sensitive as if it
        // had worked.
        return Ok((RequestState::anonymous(client), true));
    }
    Ok((RequestState::anonymous(client), false))
}

/// The cross-site defence of SPEC §5 for browser-style requests.
fn same_site(headers: &HeaderMap, config: &Config) -> bool {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header_str(CSRF_HEADER).is_none_or(str::is_empty) {
        return false;
    }
    if let Some(site) = header_str("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    if let Some(origin) = header_str("origin") {
        let host = header_str("host").unwrap_or_default();
        let allowed = [
            config.public_url.clone(),
            format!("http://{host}"),
            format!("https://{host}"),
        ];
        if !allowed.iter().any(|a| a == origin) {
            return false;
        }
    }
    true
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

/// One GraphQL operation per request, JSON only: the `Json` extractor refuses
/// batched arrays, `text/plain` and multipart bodies.
pub async fn post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(mut request): Json<async_graphql::Request>,
) -> Response {
    let config = &state.app.config;
    let key = ValidatedQueries::key(&request);
    let known = key.as_ref().and_then(|k| state.validated.get(k));
    let prevalidated = known.is_some();
    // The document to remember if this request turns out valid.
    let mut fresh = None;
    let mutation = match known {
        // Seen before: a query that passed every check below.
        Some(doc) => {
            request.set_parsed_query(doc);
            false
        }
        None => {
            // Parsed once: execution reuses the document.
            let shape = request.parsed_query().ok().map(shape);
            // Fields hidden by a flag are unknown, not merely left out of
            // introspection.
            if let Some(hidden) = shape
                .as_ref()
                .and_then(|s| s.fields.iter().find(|f| state.hidden_fields.contains(*f)))
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    &format!("Unknown field \"{hidden}\""),
                );
            }
            if shape.as_ref().is_some_and(|s| s.logins > 1) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    "A request may carry at most one login attempt",
                );
            }
            let mutation = shape.as_ref().is_none_or(|s| s.mutation);
            if !mutation && key.is_some() {
                fresh = request.parsed_query().ok().cloned();
            }
            mutation
        }
    };
    let (request_state, by_cookie) =
        match authenticate(&state, &headers, client(&headers, peer, config)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    if (by_cookie || mutation)
        && !matches!(request_state.credential, Credential::Token(_))
        && !same_site(&headers, config)
    {
        return error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "Cross-site request refused: send the X-Roster-CSRF header from the same origin",
        );
    }
    let schema = if prevalidated {
        &state.prevalidated
    } else {
        &state.schema
    };
    let response = schema.execute(request.data(request_state)).await;
    if response.errors.is_empty()
        && let (Some(key), Some(doc)) = (key, fresh)
    {
        state.validated.insert(key, doc);
    }
    GraphQLResponse::from(response).into_response()
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
