//! The one domain error type, and its single mapping to GraphQL errors.
//!
//! Services return [`DomainError`]; the GraphQL edge turns it into an error with
//! a stable `extensions.code`, and the CLI prints its message. Internal errors
//! are logged in full and reach clients only as "Internal server error".

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field at fault, when there is one.
    pub field: Option<&'static str>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            message: message.into(),
        }
    }
}

/// Every way a domain operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// No valid credentials (`UNAUTHENTICATED`).
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated but not allowed (`FORBIDDEN`).
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist, or is not visible (`NOT_FOUND`).
    #[error("{0}")]
    NotFound(String),
    /// Input that breaks a rule; every failed rule is listed (`BAD_USER_INPUT`).
    #[error("{}", join_messages(.0))]
    BadInput(Vec<FieldError>),
    /// The request clashes with the current state (`CONFLICT`).
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// Too many attempts (`RATE_LIMITED`).
    #[error("Too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// Anything else: a bug or an outage (`INTERNAL`). Never shown to clients.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

fn join_messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The message operators search for when the actor lacks a permission.
pub const INSUFFICIENT_PERMISSIONS: &str = "Insufficient permissions";

impl DomainError {
    pub fn forbidden() -> Self {
        Self::Forbidden(INSUFFICIENT_PERMISSIONS.into())
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadInput(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// The stable `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput(_) => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

/// Every database error goes through [`from_db`], so a unique-index
/// violation (two racing requests both passing a "is it free?" check) is the
/// field-named conflict wherever it happens, never an internal error.
impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        from_db(err)
    }
}

/// Names of unique indexes, and the conflict each one means.
const UNIQUE_CONFLICTS: &[(&str, &str, &str)] = &[
    ("users_email_ci", "email", "Email is already taken"),
    ("users_username_ci", "username", "Username is already taken"),
    ("roles_name_ci", "name", "Role name is already taken"),
    (
        "organizations_name_ci",
        "name",
        "Organization name is already taken",
    ),
    (
        "organizations.slug",
        "slug",
        "Organization slug is already taken",
    ),
    (
        "organizations_slug_key",
        "slug",
        "Organization slug is already taken",
    ),
];

/// Turns a unique-constraint violation into the conflict users understand,
/// and anything else into an internal error.
pub fn from_db(err: DbErr) -> DomainError {
    if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
        for (index, field, message) in UNIQUE_CONFLICTS {
            if detail.contains(index) {
                return DomainError::conflict(Some(*field), *message);
            }
        }
    }
    DomainError::Internal(anyhow::Error::new(err))
}

impl ErrorExtensions for DomainError {
    fn extend(&self) -> async_graphql::Error {
        let message = match self {
            Self::Internal(inner) => {
                tracing::error!(error = ?inner, "internal error");
                "Internal server error".to_string()
            }
            other => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::BadInput(errors) => {
                    let list: Vec<async_graphql::Value> = errors
                        .iter()
                        .map(|e| {
                            let mut map = async_graphql::indexmap::IndexMap::new();
                            if let Some(field) = e.field {
                                map.insert(
                                    async_graphql::Name::new("field"),
                                    async_graphql::Value::from(field),
                                );
                            }
                            map.insert(
                                async_graphql::Name::new("message"),
                                async_graphql::Value::from(e.message.as_str()),
                            );
                            async_graphql::Value::Object(map)
                        })
                        .collect();
                    ext.set("fieldErrors", list);
                }
                Self::Conflict {
                    field: Some(field), ..
                } => ext.set("field", *field),
                Self::RateLimited { retry_after_secs } => {
                    ext.set("retryAfterSeconds", *retry_after_secs)
                }
                _ => {}
            }
        })
    }
}

/// Shorthand for service results.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            err.to_string(),
            "at least 12 characters; an uppercase letter"
        );
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
    fn conflicts_name_their_field() {
        let gql = DomainError::conflict(Some("email"), "Email is already taken").extend();
        assert_eq!(gql.message, "Email is already taken");
        let field = gql.extensions.and_then(|e| e.get("field").cloned());
        assert_eq!(field, Some(async_graphql::Value::from("email")));
    }
}
