//! The tracking server answers errors exactly as the scoring server does:
//! MLflow's `{"error_code", "message", "sqlstate", "error_class"}` payload.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub use crate::scoring::error::{ErrorCode, MlflowError as ApiError};

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code == ErrorCode::InternalError {
            tracing::error!(message = %self.message, "tracking server error");
        }
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            self.to_json(),
        )
            .into_response()
    }
}

/// `Missing value for required parameter 'name'. …`, MLflow's wording.
pub fn missing(field: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "Missing value for required parameter '{field}'. See the API docs for more information about request parameters."
    ))
}
