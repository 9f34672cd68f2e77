//! The one mapping of [`DomainError`] to a GraphQL error: the public message
//! and `extensions` with the stable `code` (and `fieldErrors`, `field` or
//! `retryAfterSeconds`).

use async_graphql::ErrorExtensions;

use crate::error::DomainError;

impl ErrorExtensions for DomainError {
    fn extend(&self) -> async_graphql::Error {
        let extensions = self.extensions();
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            for (key, value) in extensions {
                if let Ok(value) = async_graphql::Value::from_json(value) {
                    ext.set(key, value);
                }
            }
        })
    }
}

/// Turns a domain error into a GraphQL error with its code.
pub fn gql(err: DomainError) -> async_graphql::Error {
    err.extend()
}

/// Gives every error an `extensions.code` (issue 17): a document that does
/// not parse is `GRAPHQL_PARSE_FAILED`; one the schema refuses (unknown
/// fields, depth, complexity: errors without a path) is
/// `GRAPHQL_VALIDATION_FAILED`; an argument that does not fit its type is
/// `BAD_USER_INPUT`. Anonymous callers get no "Did you mean" suggestions
/// (they would list the schema's fields).
pub fn give_codes(errors: &mut [async_graphql::ServerError], parse_failed: bool, anonymous: bool) {
    for error in errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let code = if parse_failed {
                "GRAPHQL_PARSE_FAILED"
            } else if error.path.is_empty() {
                "GRAPHQL_VALIDATION_FAILED"
            } else {
                "BAD_USER_INPUT"
            };
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
        }
        if anonymous && let Some(at) = error.message.find(" Did you mean") {
            error.message.truncate(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    #[test]
    fn every_error_gets_a_code() {
        use async_graphql::{ErrorExtensionValues, PathSegment, ServerError};
        let mut coded_one = ServerError::new("Denied", None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", "FORBIDDEN");
        coded_one.extensions = Some(ext);
        let mut errors = vec![
            ServerError::new(
                "Unknown field \"usrs\" on type \"QueryRoot\". Did you mean \"users\"?",
                None,
            ),
            coded_one,
            {
                let mut e = ServerError::new("Failed to parse \"Int\"", None);
                e.path = vec![PathSegment::Field("users".into())];
                e
            },
        ];
        give_codes(&mut errors, false, true);
        let code = |e: &ServerError| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code").cloned())
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        assert_eq!(code(&errors[0]), "\"GRAPHQL_VALIDATION_FAILED\"");
        assert_eq!(
            errors[0].message,
            "Unknown field \"usrs\" on type \"QueryRoot\"."
        );
        assert_eq!(code(&errors[1]), "\"FORBIDDEN\"");
        assert_eq!(code(&errors[2]), "\"BAD_USER_INPUT\"");
        let mut parse = vec![ServerError::new(" --> 1:3 expected selection", None)];
        give_codes(&mut parse, true, false);
        assert_eq!(code(&parse[0]), "\"GRAPHQL_PARSE_FAILED\"");
    }

    fn code_of(err: DomainError) -> (String, async_graphql::Value) {
        let gql = err.extend();
        let ext = gql
            .extensions
            .map(|e| e.get("code").cloned().unwrap_or(async_graphql::Value::Null));
        (gql.message, ext.unwrap_or(async_graphql::Value::Null))
    }

    #[test]
    fn every_variant_maps_to_its_code() {
        let cases = [
            (DomainError::Unauthenticated("x".into()), "UNAUTHENTICATED"),
            (DomainError::forbidden(), "FORBIDDEN"),
            (DomainError::not_found("User not found"), "NOT_FOUND"),
            (DomainError::bad_input("email", "bad"), "BAD_USER_INPUT"),
            (DomainError::conflict(Some("email"), "taken"), "CONFLICT"),
            (
                DomainError::RateLimited {
                    retry_after_secs: 3,
                },
                "RATE_LIMITED",
            ),
            (DomainError::unavailable("busy"), "UNAVAILABLE"),
            (DomainError::Internal(anyhow::anyhow!("boom")), "INTERNAL"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(code_of(err).1, async_graphql::Value::from(code));
        }
    }

    #[test]
    fn internal_errors_are_masked() {
        let (message, _) = code_of(DomainError::Internal(anyhow::anyhow!(
            "password=hunter2 at db.example"
        )));
        assert_eq!(message, "Internal server error");
    }

    #[test]
    fn bad_input_lists_every_rule_with_its_field() {
        let err = DomainError::BadInput(vec![
            FieldError::new("password", "at least 12 characters"),
            FieldError::new("password", "an uppercase letter"),
        ]);
        let gql = err.extend();
        let fields = gql
            .extensions
            .and_then(|e| e.get("fieldErrors").cloned())
            .map(|v| v.to_string());
        assert_eq!(
            fields.as_deref(),
            Some(
                r#"[{field: "password", message: "at least 12 characters"}, {field: "password", message: "an uppercase letter"}]"#
            )
        );
    }

    #[test]
    fn conflicts_name_their_field_and_limits_their_wait() {
        let gql = DomainError::conflict(Some("email"), "Email is already taken").extend();
        assert_eq!(gql.message, "Email is already taken");
        let field = gql.extensions.and_then(|e| e.get("field").cloned());
        assert_eq!(field, Some(async_graphql::Value::from("email")));
        let limited = DomainError::RateLimited {
            retry_after_secs: 7,
        }
        .extend();
        let wait = limited
            .extensions
            .and_then(|e| e.get("retryAfterSeconds").cloned());
        assert_eq!(wait, Some(async_graphql::Value::from(7)));
    }
}
