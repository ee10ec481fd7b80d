//! The Projects product's integration tests (`mlflowrs run`), one binary,
//! beside their fixtures in this folder: the differential suite against the
//! real `mlflow run`, and the Kubernetes Job rendering against MLflow's.

#[path = "../common/mod.rs"]
mod common;

mod differential;
mod example_loop;
mod kubernetes;
mod postgres;
