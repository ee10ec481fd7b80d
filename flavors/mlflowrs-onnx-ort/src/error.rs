//! This crate's one error type.

use std::path::PathBuf;

use mlflowrs_flavor_api::FlavorError;

/// Errors of this crate: finding and initialising ONNX Runtime, loading a model.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OrtError {
    #[error("{0}")]
    LibraryNotFound(String),
    #[error("could not initialise ONNX Runtime from '{path}': {message}")]
    Init { path: PathBuf, message: String },
    #[error("could not load ONNX model '{path}': {message}")]
    Load { path: PathBuf, message: String },
    #[error("invalid onnx flavor configuration: {0}")]
    Config(String),
}

impl From<OrtError> for FlavorError {
    fn from(e: OrtError) -> Self {
        FlavorError::Load(e.to_string())
    }
}
