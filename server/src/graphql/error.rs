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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

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
