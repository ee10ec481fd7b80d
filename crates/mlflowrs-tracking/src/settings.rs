//! The validated `mlflowrs server` settings, as the CLI's settings layer
//! makes them.

use std::path::PathBuf;

use crate::auth;

/// The validated `mlflowrs server` settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub backend_store_uri: String,
    /// Where new experiments put artifacts (`mlflow-artifacts:/` when proxying).
    pub default_artifact_root: String,
    /// The directory behind `mlflow-artifacts:/`.
    pub artifacts_destination: PathBuf,
    pub serve_artifacts: bool,
    /// Largest JSON request body accepted by the REST API.
    pub max_request_bytes: usize,
    /// Database connections open at once; further requests wait for one.
    pub max_db_connections: usize,
    /// `--app-name basic-auth`: MLflow's authentication and permissions.
    pub auth: Option<auth::AuthSettings>,
    /// Requests handled at once (`/health` and `/version` aside); more get
    /// 429 REQUEST_LIMIT_EXCEEDED.
    pub max_concurrent_requests: usize,
    /// Sources a new model version may name (MLflow's
    /// MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX), searched anywhere in the source.
    pub model_version_source_regex: Option<regex::Regex>,
    /// MLflow's web UI, served at `/` and `/static-files/` (`None`: a page
    /// that says how to get it).
    pub ui: Option<std::sync::Arc<mlflowrs_ui::Bundle>>,
    /// MLflow's limits on a `/graphql` query's root fields and aliases.
    pub graphql_limits: GraphqlLimits,
    /// `--static-prefix`: every route lives under it (`/mlflow/health`).
    pub static_prefix: String,
}

/// A model-version source pattern, compiled.
pub fn source_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(pattern)
}

impl Settings {
    /// `<root>/<experiment id>`, as MLflow's append_to_uri_path joins them.
    pub fn artifact_root_for(&self, experiment_id: &str) -> String {
        format!(
            "{}/{experiment_id}",
            self.default_artifact_root.trim_end_matches('/')
        )
    }
}

/// The two limits MLflow lets operators raise (its environment variables
/// `MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS` / `_MAX_ALIASES`, default 10).
#[derive(Debug, Clone, Copy)]
pub struct GraphqlLimits {
    pub max_root_fields: usize,
    pub max_aliases: usize,
}

impl Default for GraphqlLimits {
    fn default() -> GraphqlLimits {
        GraphqlLimits {
            max_root_fields: 10,
            max_aliases: 10,
        }
    }
}
