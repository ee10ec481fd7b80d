//! The tracking server answers errors exactly as the scoring server does:
//! MLflow's `{"error_code", "message", "sqlstate", "error_class"}` payload.

pub use mlflowrs_protocol::{ErrorCode, MlflowError};

/// `Missing value for required parameter 'name'. …`, MLflow's wording.
pub fn missing(field: &str) -> MlflowError {
    MlflowError::invalid_parameter(format!(
        "Missing value for required parameter '{field}'. See the API docs for more information about request parameters."
    ))
}
