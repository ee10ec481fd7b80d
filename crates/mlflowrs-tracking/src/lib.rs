//! `mlflowrs server`: a tracking and model-registry server speaking MLflow's
//! REST API (`/api/2.0/mlflow/…`) and artifact proxy, storing in MLflow's
//! own SQL schema (SQLite by default, or PostgreSQL), so the real `mlflow`
//! client works against it unchanged and a database either server wrote
//! can be served by the other.

mod artifacts;
pub mod auth;
mod blocking;
pub mod db;
mod endpoints;
pub mod error;
mod experiments;
mod http;
mod json;
mod logged_models;
mod model_versions;
mod registered_model_rows;
mod registry;
pub mod request;
mod responses;
mod routes;
mod run_data;
mod run_tags;
mod runs;
pub mod search;

use std::path::PathBuf;
use std::sync::Arc;

pub use error::MlflowError;

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
    /// How long a client may take to send a request's headers.
    pub header_timeout: std::time::Duration,
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

pub struct Server {
    pub settings: Settings,
    pub db: db::Db,
    pub auth: Option<auth::Auth>,
}

/// The SQL schema this build creates: MLflow 3.17.2's, at its alembic head.
const SQLITE_SCHEMA: &str = include_str!("schema/sqlite.sql");
const POSTGRES_SCHEMA: &str = include_str!("schema/postgres.sql");

fn schema_head(script: &str) -> &str {
    script
        .lines()
        .find_map(|l| l.split("alembic head ").nth(1))
        .and_then(|s| s.split(')').next())
        .unwrap_or("")
}

impl Server {
    /// Opens the store, creating MLflow's schema in an empty database and
    /// refusing one at an alembic revision this build does not know.
    pub fn open(
        settings: Settings,
        runtime: tokio::runtime::Handle,
    ) -> Result<Server, MlflowError> {
        let db = db::Db::open(
            &settings.backend_store_uri,
            settings.max_db_connections,
            runtime.clone(),
        )?;
        let script = if db.is_postgres() {
            POSTGRES_SCHEMA
        } else {
            SQLITE_SCHEMA
        };
        let head = schema_head(script).to_string();
        let found = db.transaction(|tx| {
            let table = if tx.is_postgres() {
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version'"
            } else {
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            };
            if tx.one(table, &[])?.is_none() {
                return Ok(None);
            }
            Ok(tx
                .one("SELECT version_num FROM alembic_version", &[])?
                .map(|r| r.text(0)))
        })?;
        match found {
            None => {
                tracing::info!(store = %mlflowrs_protocol::display::redact(&settings.backend_store_uri), revision = %head, "creating MLflow's schema");
                db.batch(script)?;
            }
            Some(v) if v == head => {}
            Some(v) => {
                return Err(MlflowError::internal(format!(
                    "the database is at MLflow schema revision {v}, this mlflowrs serves revision {head} (MLflow {}). Upgrade it with `mlflow db upgrade`, or use a database made by that MLflow.",
                    mlflowrs_protocol::MLFLOW_COMPAT_VERSION
                )))
            }
        }
        db.transaction(|tx| experiments::ensure_default(tx, &settings))?;
        let auth = match &settings.auth {
            Some(a) => Some(auth::Auth::open(a, runtime)?),
            None => None,
        };
        Ok(Server { settings, db, auth })
    }
}

pub fn router(server: Arc<Server>) -> axum::Router {
    http::router(server)
}
