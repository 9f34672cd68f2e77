//! The REST paths' one error shape, `{"error": {"code", "message",
//! "field"}}`, with the HTTP status of the code (401, 403, 404, 409, 422,
//! 429, 500, 503) and `Retry-After` when rate limited or unavailable. Mapped once from
//! [`DomainError`]; a body the server cannot read is a 4xx of its own
//! (malformed JSON 400, too large 413, not JSON 415, not an object or wrong
//! fields 422).
//! Internal text is logged, never sent.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::DomainError;
use crate::http::json_object::{NOT_AN_OBJECT, ObjectRejection};

/// An error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `BAD_USER_INPUT`,
    /// `CONFLICT`, `RATE_LIMITED`, `UNAVAILABLE` or `INTERNAL`, as
    /// GraphQL's `extensions.code`.
    pub code: String,
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
    /// Every field at fault, for bad input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

/// One broken rule of the input.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: Option<String>,
    pub message: String,
}

/// An error as a REST answer.
#[derive(Debug)]
pub struct RestError {
    status: StatusCode,
    detail: ErrorDetail,
    retry_after: Option<u64>,
}

impl RestError {
    /// A request the server could not read, with its own status.
    pub fn unreadable(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            detail: ErrorDetail {
                code: "BAD_USER_INPUT".into(),
                message: message.into(),
                field: None,
                fields: Vec::new(),
            },
            retry_after: None,
        }
    }

    /// Replaces the message (the runbooks' wording for a clash).
    pub fn said(mut self, message: String) -> Self {
        self.detail.message = message;
        self
    }

    pub fn code(&self) -> &str {
        &self.detail.code
    }

    pub fn message(&self) -> &str {
        &self.detail.message
    }
}

impl From<DomainError> for RestError {
    fn from(err: DomainError) -> Self {
        let status = match &err {
            DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::NotFound(_) => StatusCode::NOT_FOUND,
            DomainError::BadInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            DomainError::Conflict { .. } => StatusCode::CONFLICT,
            DomainError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            DomainError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let (field, fields, retry_after) = match &err {
            DomainError::BadInput(errors) => (
                errors.first().and_then(|e| e.field).map(str::to_string),
                errors
                    .iter()
                    .map(|e| FieldProblem {
                        field: e.field.map(str::to_string),
                        message: e.message.clone(),
                    })
                    .collect(),
                None,
            ),
            DomainError::Conflict { field, .. } => (field.map(|f| f.to_string()), Vec::new(), None),
            DomainError::RateLimited { retry_after_secs } => {
                (None, Vec::new(), Some(*retry_after_secs))
            }
            DomainError::Unavailable {
                retry_after_secs, ..
            } => (None, Vec::new(), *retry_after_secs),
            _ => (None, Vec::new(), None),
        };
        Self {
            status,
            detail: ErrorDetail {
                code: err.code().to_string(),
                message: err.public_message(),
                field,
                fields,
            },
            retry_after,
        }
    }
}

impl From<JsonRejection> for RestError {
    fn from(rejection: JsonRejection) -> Self {
        let (status, message) = match &rejection {
            JsonRejection::MissingJsonContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON with Content-Type: application/json".to_string(),
            ),
            JsonRejection::JsonSyntaxError(e) => (
                StatusCode::BAD_REQUEST,
                format!("Malformed JSON: {}", e.body_text()),
            ),
            JsonRejection::JsonDataError(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.body_text()),
            JsonRejection::BytesRejection(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The body is too large".to_string(),
            ),
            other => (StatusCode::BAD_REQUEST, other.body_text()),
        };
        Self::unreadable(status, message)
    }
}

impl From<ObjectRejection> for RestError {
    fn from(rejection: ObjectRejection) -> Self {
        match rejection {
            ObjectRejection::Json(rejection) => rejection.into(),
            ObjectRejection::NotAnObject => {
                Self::unreadable(StatusCode::UNPROCESSABLE_ENTITY, NOT_AN_OBJECT)
            }
        }
    }
}

impl From<QueryRejection> for RestError {
    fn from(rejection: QueryRejection) -> Self {
        Self::unreadable(StatusCode::UNPROCESSABLE_ENTITY, rejection.body_text())
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(ErrorBody { error: self.detail })).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_domain_error_has_its_status() {
        for (err, status, code) in [
            (
                DomainError::Unauthenticated("x".into()),
                401,
                "UNAUTHENTICATED",
            ),
            (DomainError::forbidden(), 403, "FORBIDDEN"),
            (DomainError::not_found("User not found"), 404, "NOT_FOUND"),
            (
                DomainError::bad_input("email", "bad"),
                422,
                "BAD_USER_INPUT",
            ),
            (
                DomainError::conflict(Some("email"), "Email is already taken"),
                409,
                "CONFLICT",
            ),
            (
                DomainError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
                "RATE_LIMITED",
            ),
            (
                DomainError::Internal(anyhow::anyhow!("SELECT secret")),
                500,
                "INTERNAL",
            ),
        ] {
            let rest = RestError::from(err);
            assert_eq!(rest.status.as_u16(), status, "{code}");
            assert_eq!(rest.detail.code, code);
            assert!(!rest.detail.message.contains("SELECT"));
        }
        let conflict = RestError::from(DomainError::conflict(Some("email"), "taken"));
        assert_eq!(conflict.detail.field.as_deref(), Some("email"));
    }
}
