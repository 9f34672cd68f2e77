//! The GraphQL client: one JSON operation per request to `/graphql`, with the
//! session cookie and the CSRF header, and Roster's errors decoded.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

/// One GraphQL operation of the app, generated from `graphql/*.graphql` by
/// `build.rs`: the struct holds its variables, typed from the schema.
pub trait Operation: serde::Serialize {
    /// The operation's text, as sent.
    const TEXT: &'static str;
    /// The root field read as `Data`, or `None` for the whole answer.
    const FIELD: Option<&'static str>;
    /// What the app reads of the answer (`# reads:` in the file), checked
    /// against the selection at build time.
    type Data: DeserializeOwned;
}

/// The app's operations (`ops::Users { first, after, filter }`), with the
/// input objects and enums they send.
pub mod ops {
    include!(concat!(env!("OUT_DIR"), "/ops.rs"));
}

/// An error as the API reported it (`extensions.code` and friends).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// `(field, message)` for each broken rule of a `BAD_USER_INPUT`.
    pub fields: Vec<(String, String)>,
    /// The field a `CONFLICT` is about.
    pub field: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn network(message: impl Into<String>) -> Self {
        Self {
            code: "NETWORK".into(),
            message: message.into(),
            ..Self::default()
        }
    }

    /// An answer the app cannot read (a bug, or a server of another version).
    pub fn unexpected(e: impl std::fmt::Display) -> Self {
        Self {
            code: "INTERNAL".into(),
            message: format!("Unexpected answer from the server: {e}"),
            ..Self::default()
        }
    }

    /// The messages about `field`.
    pub fn for_field(&self, field: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .fields
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .collect();
        if self.field.as_deref() == Some(field) {
            out.push(self.message.clone());
        }
        out
    }

    /// The message to show as an alert: everything not tied to one of
    /// `shown` (the fields the form displays errors under).
    pub fn general(&self, shown: &[&str]) -> Option<String> {
        let placed = |f: &str| shown.contains(&f);
        if self.field.as_deref().is_some_and(placed) {
            return None;
        }
        if !self.fields.is_empty() {
            let rest: Vec<&str> = self
                .fields
                .iter()
                .filter(|(f, _)| !placed(f))
                .map(|(_, m)| m.as_str())
                .collect();
            return (!rest.is_empty()).then(|| rest.join("; "));
        }
        Some(match self.code.as_str() {
            "NETWORK" => format!("Cannot reach Roster: {}", self.message),
            _ => self.message.clone(),
        })
    }
}

#[derive(Deserialize)]
struct Reply<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    message: String,
    #[serde(default)]
    extensions: Option<Value>,
}

impl From<RawError> for ApiError {
    fn from(raw: RawError) -> Self {
        let ext = raw.extensions.unwrap_or(Value::Null);
        let text = |v: &Value| v.as_str().map(str::to_string);
        Self {
            code: text(&ext["code"]).unwrap_or_else(|| "INTERNAL".into()),
            message: raw.message,
            fields: ext["fieldErrors"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .map(|e| {
                            (
                                text(&e["field"]).unwrap_or_default(),
                                text(&e["message"]).unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            field: text(&ext["field"]),
            retry_after: ext["retryAfterSeconds"].as_u64(),
        }
    }
}

fn js_error(e: JsValue) -> ApiError {
    ApiError::network(
        e.as_string()
            .or_else(|| {
                js_sys::Reflect::get(&e, &"message".into())
                    .ok()?
                    .as_string()
            })
            .unwrap_or_else(|| "request failed".into()),
    )
}

/// Sends `operation` and reads its answer. When a signed-in page learns
/// that the session has ended, the app goes to the login page.
pub async fn send<O: Operation>(operation: O) -> Result<O::Data, ApiError> {
    let variables = serde_json::to_value(&operation).map_err(ApiError::unexpected)?;
    let mut data = post(O::TEXT, variables).await?;
    let data = match O::FIELD {
        Some(field) => data[field].take(),
        None => data,
    };
    serde_json::from_value(data).map_err(ApiError::unexpected)
}

/// Sends `operation` for its effect, ignoring what it answers.
pub async fn run<O: Operation>(operation: O) -> Result<(), ApiError> {
    send(operation).await.map(|_| ())
}

/// Posts one request and returns its `data`, or its first error.
async fn post(query: &str, variables: Value) -> Result<Value, ApiError> {
    let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
    let headers = Headers::new().map_err(js_error)?;
    headers
        .set("content-type", "application/json")
        .map_err(js_error)?;
    headers.set("x-roster-csrf", "1").map_err(js_error)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::SameOrigin);
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    let request = Request::new_with_str_and_init("/graphql", &init).map_err(js_error)?;
    let window = web_sys::window().ok_or_else(|| ApiError::network("no window"))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    let text = JsFuture::from(response.text().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .as_string()
        .unwrap_or_default();
    // Parsed once into a `Value`, then read into each answer type: every
    // type is read from a `Value` only, which compiles far smaller than a
    // reader of JSON text for each type (BENCHMARKS.md, "The admin app").
    let reply: Reply<Value> = serde_json::from_str(&text).map_err(|_| {
        ApiError::network(format!("unexpected answer (HTTP {})", response.status()))
    })?;
    if let Some(first) = reply.errors.into_iter().next() {
        let error = ApiError::from(first);
        if error.code == "UNAUTHENTICATED" {
            session_ended();
        }
        return Err(error);
    }
    reply.data.ok_or_else(|| ApiError::network("empty answer"))
}

/// Pages anyone may open; every other page needs a session.
pub const PUBLIC_PAGES: &[&str] = &[
    "/admin/login",
    "/admin/accept-invitation",
    "/admin/forgot-password",
    "/admin/reset-password",
];

/// The current path of the page.
pub fn current_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default()
}

/// A signed-in page was told the session is gone (logged out elsewhere,
/// revoked, the account deactivated): reload at the login page, which says so.
fn session_ended() {
    let path = current_path();
    if PUBLIC_PAGES.iter().any(|p| path.starts_with(p)) {
        return;
    }
    if let Some(window) = web_sys::window() {
        let next = js_sys::encode_uri_component(&path);
        let _ = window
            .location()
            .set_href(&format!("/admin/login?ended=1&next={next}"));
    }
}
