//! The crate's error types: one for loading, one for evaluation.

use mlflowrs_flavor_api::FlavorError;
use mlflowrs_skops::SkopsError;

/// Why a model could not be loaded natively.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SklearnError {
    /// Well-formed, but outside what this crate serves (an estimator class,
    /// option, `predict_fn` or serialization format). The core falls back to
    /// Python and logs this reason.
    #[error("{0}")]
    Unsupported(String),
    /// The file is corrupt or inconsistent (Python would fail on it too).
    #[error("invalid scikit-learn model: {0}")]
    Invalid(String),
    /// The model file could not be read.
    #[error("cannot read scikit-learn model: {0}")]
    Io(String),
}

impl SklearnError {
    pub fn unsupported(msg: impl Into<String>) -> SklearnError {
        SklearnError::Unsupported(msg.into())
    }

    pub fn invalid(msg: impl Into<String>) -> SklearnError {
        SklearnError::Invalid(msg.into())
    }

    /// True when the core should fall back to the Python worker.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, SklearnError::Unsupported(_))
    }
}

impl From<SkopsError> for SklearnError {
    fn from(e: SkopsError) -> SklearnError {
        match e {
            // An attribute of an unexpected type or missing is more likely a
            // scikit-learn version this crate does not know than a corrupt
            // file; Python may well load it, so fall back.
            SkopsError::Unsupported(m) => SklearnError::Unsupported(m),
            SkopsError::Access(m) => {
                SklearnError::Unsupported(format!("unexpected model layout: {m}"))
            }
            other => SklearnError::Invalid(other.to_string()),
        }
    }
}

/// An error raised while predicting, with scikit-learn's message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

impl EvalError {
    pub fn new(msg: impl Into<String>) -> EvalError {
        EvalError(msg.into())
    }
}

impl From<EvalError> for FlavorError {
    fn from(e: EvalError) -> FlavorError {
        FlavorError::Inference(e.0)
    }
}
