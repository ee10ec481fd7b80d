//! mlflowrs: an MLflow-compatible model serving runtime.
//!
//! The binary's parts live here so that integration tests and benchmarks
//! can drive them: the MLmodel reader, Python-compatible JSON, the scoring
//! protocol, model loading, the HTTP server and the CLI.

pub mod cli;
pub mod commands;
pub mod config;
pub mod docker;
pub mod engine;
pub mod listener;
pub mod loader;
pub mod mlmodel;
pub mod pyjson;
pub mod python_scorer;
pub mod resolve;
pub mod scoring;
pub mod server;
pub mod telemetry;
pub mod tracking;
pub mod v2;

/// The MLflow release whose scoring protocol mlflowrs answers (`/version`).
pub const MLFLOW_COMPAT_VERSION: &str = "3.17.2";
