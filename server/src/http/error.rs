//! The one mapping of [`DomainError`] to an HTTP answer, for every route that
//! is not GraphQL: a status, `Retry-After` when rate limited, and the same
//! JSON as a GraphQL error (`{"errors": [{"message", "extensions": {"code",
//! …}}]}`), so a client reads both alike. Internal text is logged, not sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::DomainError;

impl DomainError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadInput(_) => StatusCode::BAD_REQUEST,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for DomainError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.public_message(), "extensions": self.extensions() }]
        });
        let mut response = (self.status(), Json(body)).into_response();
        if let Self::RateLimited { retry_after_secs }
        | Self::Unavailable {
            retry_after_secs: Some(retry_after_secs),
            ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[tokio::test]
    async fn each_error_has_its_status_and_code() {
        let cases = [
            (
                DomainError::Unauthenticated("x".into()),
                401,
                "UNAUTHENTICATED",
            ),
            (DomainError::forbidden(), 403, "FORBIDDEN"),
            (DomainError::not_found("User not found"), 404, "NOT_FOUND"),
            (
                DomainError::bad_input("email", "bad"),
                400,
                "BAD_USER_INPUT",
            ),
            (
                DomainError::conflict(Some("email"), "taken"),
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
            (DomainError::unavailable("busy"), 503, "UNAVAILABLE"),
            (
                DomainError::Internal(anyhow::anyhow!("boom")),
                500,
                "INTERNAL",
            ),
        ];
        for (err, status, code) in cases {
            let response = err.into_response();
            assert_eq!(response.status().as_u16(), status, "{code}");
            assert_eq!(
                body(response).await["errors"][0]["extensions"]["code"],
                code
            );
        }
    }

    #[tokio::test]
    async fn internals_stay_inside_and_waits_are_told() {
        let response =
            DomainError::Internal(anyhow::anyhow!("SELECT secret FROM x")).into_response();
        let json = body(response).await;
        assert_eq!(json["errors"][0]["message"], "Internal server error");
        assert!(!json.to_string().contains("SELECT"));
        let limited = DomainError::RateLimited {
            retry_after_secs: 9,
        }
        .into_response();
        assert_eq!(limited.headers()[header::RETRY_AFTER], "9");
        assert_eq!(
            body(limited).await["errors"][0]["extensions"]["retryAfterSeconds"],
            9
        );
        let conflict =
            DomainError::conflict(Some("email"), "Email is already taken").into_response();
        let json = body(conflict).await;
        assert_eq!(json["errors"][0]["message"], "Email is already taken");
        assert_eq!(json["errors"][0]["extensions"]["field"], "email");
    }
}
