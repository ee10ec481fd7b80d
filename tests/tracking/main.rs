//! The tracking product's integration tests (`mlflowrs server`), one
//! binary, beside their fixtures in this folder: the REST API replayed
//! against answers recorded from the real `mlflow server`, the real
//! `mlflow` client's scenarios, the basic-auth app, the limits, and MLflow's web UI.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod limits;
mod rest;
mod ui;
