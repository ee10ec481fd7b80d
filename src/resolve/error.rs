//! What can go wrong between a model URI and a local model directory.
//! Each kind has its own exit code so that scripts around `mlflowrs` can
//! tell a typo in a URI from a store that is down.

#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}")]
    InvalidUri(String),
    #[error("Registered Model with name={0} not found")]
    UnknownModel(String),
    #[error("Model Version (name={name}, version={version}) not found")]
    UnknownVersion { name: String, version: String },
    #[error("Registered model alias {alias} not found.")]
    UnknownAlias { name: String, alias: String },
    #[error("No versions of model with name '{name}' and stage '{stage}' found")]
    NoVersionInStage { name: String, stage: String },
    #[error("Invalid Model Version stage: {0}. Value must be one of None, Staging, Production, Archived.")]
    InvalidStage(String),
    #[error("Run with id={0} not found")]
    UnknownRun(String),
    #[error("Logged model with id={0} not found")]
    UnknownLoggedModel(String),
    #[error("could not reach the tracking store {store}: {reason}")]
    Unreachable { store: String, reason: String },
    #[error("permission denied by {store}: {reason}")]
    PermissionDenied { store: String, reason: String },
    #[error("{0}")]
    ArtifactMissing(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("the tracking store {store} answered unexpectedly: {reason}")]
    Store { store: String, reason: String },
    #[error("model cache: {0}")]
    Cache(String),
}

impl ResolveError {
    /// The process exit code for this failure (documented in the README).
    pub fn exit_code(&self) -> u8 {
        match self {
            ResolveError::InvalidUri(_) | ResolveError::InvalidStage(_) => 10,
            ResolveError::UnknownModel(_) => 11,
            ResolveError::UnknownVersion { .. } => 12,
            ResolveError::UnknownAlias { .. } => 13,
            ResolveError::NoVersionInStage { .. } => 14,
            ResolveError::UnknownRun(_) | ResolveError::UnknownLoggedModel(_) => 15,
            ResolveError::Unreachable { .. } => 16,
            ResolveError::PermissionDenied { .. } => 17,
            ResolveError::ArtifactMissing(_) => 18,
            ResolveError::Unsupported(_) => 19,
            ResolveError::Store { .. } | ResolveError::Cache(_) => 20,
        }
    }

    pub(crate) fn store(store: &str, reason: impl std::fmt::Display) -> ResolveError {
        ResolveError::Store {
            store: store.to_string(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn unreachable(store: &str, reason: impl std::fmt::Display) -> ResolveError {
        ResolveError::Unreachable {
            store: store.to_string(),
            reason: reason.to_string(),
        }
    }
}
