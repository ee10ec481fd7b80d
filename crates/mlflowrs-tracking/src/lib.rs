//! `mlflowrs server`: a tracking and model-registry server speaking MLflow's
//! REST API (`/api/2.0/mlflow/…`) and artifact proxy, storing in MLflow's
//! own SQL schema (SQLite by default, or PostgreSQL), so the real `mlflow`
//! client works against it unchanged and a database either server wrote
//! can be served by the other.

mod ajax_routes;
mod artifact_downloads;
mod artifacts;
pub mod auth;
mod auth_gate;
mod blocking;
pub mod db;
mod endpoints;
pub mod error;
mod experiments;
mod graphql;
mod http;
mod json;
mod logged_model_artifacts;
mod logged_models;
mod model_versions;
mod registered_model_rows;
mod registry;
pub mod request;
mod request_schema;
mod responses;
mod routes;
mod run_data;
mod run_tags;
mod runs;
pub mod search;
mod server;
mod settings;
mod ui_routes;

pub use error::MlflowError;
pub use http::router;
pub use server::Server;
pub use settings::{source_pattern, GraphqlLimits, Settings};
