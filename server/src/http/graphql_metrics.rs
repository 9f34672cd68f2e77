//! `/metrics` for GraphQL requests: `roster_graphql_requests_total` and the
//! `roster_graphql_request_duration_seconds` histogram by operation name,
//! kind and outcome, and `roster_admin_mutations_total` by mutation field
//! and outcome (seed 002: counters that wrap mutating operations).
//!
//! Label values stay few whatever clients send: an operation name is kept
//! only if it looks like one and is among the first [`MAX_NAMES`] seen
//! (later ones count as `other`), mutation fields only if the schema has
//! them, and outcomes are `ok` or an error code.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

/// Distinct operation names kept as labels.
const MAX_NAMES: usize = 200;

/// One request being measured.
pub struct RequestMetrics {
    started: Instant,
    operation: String,
    kind: &'static str,
    mutations: Vec<String>,
}

impl RequestMetrics {
    pub fn start(operation_name: Option<&str>, mutation: bool) -> Self {
        Self {
            started: Instant::now(),
            operation: operation_label(operation_name),
            kind: if mutation { "mutation" } else { "query" },
            mutations: Vec::new(),
        }
    }

    /// The mutation fields the request runs, of those the schema has.
    pub fn mutations<'a>(
        &mut self,
        fields: impl IntoIterator<Item = &'a String>,
        known: &BTreeSet<String>,
    ) {
        self.mutations = fields
            .into_iter()
            .filter(|f| known.contains(*f))
            .cloned()
            .collect();
    }

    pub fn finish(self, response: &async_graphql::Response) {
        let outcome = outcome(response);
        metrics::counter!(
            "roster_graphql_requests_total",
            "operation" => self.operation.clone(),
            "kind" => self.kind,
            "outcome" => outcome.clone()
        )
        .increment(1);
        metrics::histogram!(
            "roster_graphql_request_duration_seconds",
            "operation" => self.operation,
            "kind" => self.kind
        )
        .record(self.started.elapsed().as_secs_f64());
        for field in self.mutations {
            metrics::counter!(
                "roster_admin_mutations_total",
                "mutation" => field,
                "outcome" => outcome.clone()
            )
            .increment(1);
        }
    }
}

/// `ok`, or the first error's `extensions.code` in lower case (`forbidden`,
/// `bad_user_input`, …; `error` when it has none).
fn outcome(response: &async_graphql::Response) -> String {
    match response.errors.first() {
        None => "ok".into(),
        Some(error) => error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(s) => Some(s.to_ascii_lowercase()),
                async_graphql::Value::Enum(s) => Some(s.as_str().to_ascii_lowercase()),
                _ => None,
            })
            .unwrap_or_else(|| "error".into()),
    }
}

/// The label for an operation name: `anonymous` without one, `other` past
/// the first [`MAX_NAMES`] names or for one that is not a GraphQL name.
fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<BTreeSet<String>>> = OnceLock::new();
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return "anonymous".into();
    };
    let valid = name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return "other".into();
    }
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if seen.contains(name) || seen.len() < MAX_NAMES {
        seen.insert(name.to_string());
        name.to_string()
    } else {
        "other".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_stay_few() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("")), "anonymous");
        assert_eq!(operation_label(Some("Users_Page2")), "Users_Page2");
        assert_eq!(operation_label(Some("drop table; --")), "other");
        assert_eq!(operation_label(Some(&"a".repeat(65))), "other");
        for i in 0..(MAX_NAMES + 10) {
            let _ = operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(operation_label(Some("OneTooMany")), "other");
        assert_eq!(operation_label(Some("Users_Page2")), "Users_Page2");
    }
}
