//! This crate's one error type.

use std::path::PathBuf;

use mlflowrs_flavor_api::FlavorError;

/// Errors of this crate: a model directory it cannot load.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CandleError {
    /// A pipeline candle does not run (another architecture, a Dense layer,
    /// weights only in pytorch_model.bin); mlflow's own loader can.
    #[error("{path}: {what} is not served by mlflowrs's candle backend")]
    Unsupported { path: PathBuf, what: String },
    #[error("{path}: {message}")]
    Load { path: PathBuf, message: String },
}

impl From<CandleError> for FlavorError {
    fn from(e: CandleError) -> Self {
        FlavorError::Load(e.to_string())
    }
}
