//! A JSON body that must be an object, for every route that reads one (the
//! REST paths and `POST /graphql`). serde's derived `Deserialize` also fills
//! a struct from an array (`[]` for one whose fields all have defaults,
//! `["{ query }"]` for a GraphQL request), which no client means; it is
//! refused before `T` sees it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::{DomainError, FieldError};

/// What the server tells a body that is JSON but not an object.
pub const NOT_AN_OBJECT: &str = "The body must be a JSON object";

/// A JSON object read into `T`.
pub struct JsonObject<T>(pub T);

/// Why a body could not be read: axum's own rejection (not JSON, too large,
/// malformed, wrong fields) or [`NOT_AN_OBJECT`].
#[derive(Debug)]
pub enum ObjectRejection {
    Json(JsonRejection),
    NotAnObject,
}

impl From<JsonRejection> for ObjectRejection {
    fn from(rejection: JsonRejection) -> Self {
        Self::Json(rejection)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonObject<T> {
    type Rejection = ObjectRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The content type, the size limit and the syntax, as `Json` checks
        // them; then the shape; then the fields.
        let Json(raw) = Json::<Box<serde_json::value::RawValue>>::from_request(req, state).await?;
        if !raw.get().starts_with('{') {
            return Err(ObjectRejection::NotAnObject);
        }
        let Json(body) = Json::<T>::from_bytes(raw.get().as_bytes())?;
        Ok(Self(body))
    }
}

/// Outside the REST paths (which answer in their own shape): axum's answer
/// for its own rejections, and a GraphQL-shaped `BAD_USER_INPUT` (400) for a
/// body that is not an object.
impl IntoResponse for ObjectRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Json(rejection) => rejection.into_response(),
            Self::NotAnObject => DomainError::BadInput(vec![FieldError {
                field: None,
                message: NOT_AN_OBJECT.into(),
            }])
            .into_response(),
        }
    }
}
