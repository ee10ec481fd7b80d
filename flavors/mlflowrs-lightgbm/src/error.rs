//! This crate's one error type.

use mlflowrs_flavor_api::FlavorError;

/// Why a LightGBM model could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LightGbmError {
    /// The model uses something this crate does not evaluate natively (an
    /// option, objective, estimator class or serialization format). The core
    /// serves such a model through Python instead and logs this reason.
    #[error("{0}")]
    Unsupported(String),
    /// The model file is malformed: LightGBM would refuse it, or it holds an
    /// index, size or value this crate cannot evaluate safely.
    #[error("corrupt LightGBM model: {0}")]
    Corrupt(String),
    /// The model files could not be read, or the flavor configuration is unusable.
    #[error("{0}")]
    Io(String),
}

impl LightGbmError {
    pub(crate) fn corrupt(msg: impl Into<String>) -> Self {
        LightGbmError::Corrupt(msg.into())
    }

    pub(crate) fn unsupported(msg: impl Into<String>) -> Self {
        LightGbmError::Unsupported(msg.into())
    }

    /// True when the model is well-formed but served through Python instead.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, LightGbmError::Unsupported(_))
    }
}

impl From<LightGbmError> for FlavorError {
    fn from(e: LightGbmError) -> Self {
        FlavorError::Load(e.to_string())
    }
}
