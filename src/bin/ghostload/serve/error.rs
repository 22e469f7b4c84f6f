//! The API's JSON errors: `{"error", "field", "value", "allowed"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered as JSON with its status.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
}

/// The JSON body of an error.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// What went wrong, in words.
    pub error: String,
    /// Dotted path of the field at fault, if one is.
    pub field: Option<String>,
    /// The value given for it, if known.
    pub value: Option<serde_json::Value>,
    /// What would have been allowed, in words.
    pub allowed: Option<String>,
}

impl ApiError {
    /// An error with a message only.
    pub fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                field: None,
                value: None,
                allowed: None,
            },
        }
    }

    /// Names the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.body.field = Some(field.into());
        self
    }

    /// The value given.
    pub fn value(mut self, value: impl Into<serde_json::Value>) -> ApiError {
        self.body.value = Some(value.into());
        self
    }

    /// What is allowed.
    pub fn allowed(mut self, allowed: impl Into<String>) -> ApiError {
        self.body.allowed = Some(allowed.into());
        self
    }

    /// 404 for an unknown dataset.
    pub fn no_dataset(id: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("no dataset `{id}`"))
            .field("id")
            .value(id)
    }

    /// 500 for an unexpected failure (I/O, a task that panicked).
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
