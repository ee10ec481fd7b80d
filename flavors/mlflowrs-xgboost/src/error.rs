//! This crate's one error type.

use mlflowrs_flavor_api::FlavorError;

/// Why an XGBoost model could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XgbError {
    /// The model uses something this crate does not evaluate natively (a
    /// booster, objective, option, model class or file format). The core serves
    /// such a model through Python instead and logs this reason.
    #[error("{0}")]
    Unsupported(String),
    /// The model file is malformed: XGBoost would refuse it, or it holds an
    /// index, size or value this crate cannot evaluate safely.
    #[error("corrupt XGBoost model: {0}")]
    Corrupt(String),
    /// The model file could not be read, or the flavor configuration is unusable.
    #[error("{0}")]
    Io(String),
}

impl XgbError {
    pub(crate) fn corrupt(msg: impl Into<String>) -> Self {
        XgbError::Corrupt(msg.into())
    }

    pub(crate) fn unsupported(msg: impl Into<String>) -> Self {
        XgbError::Unsupported(msg.into())
    }

    /// True when the model is well-formed but served through Python instead.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, XgbError::Unsupported(_))
    }
}

impl From<XgbError> for FlavorError {
    fn from(e: XgbError) -> Self {
        FlavorError::Load(e.to_string())
    }
}
