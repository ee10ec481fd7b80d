//! The serving product's integration tests (`mlflowrs models ...`), one
//! binary: each module drives the real `mlflowrs` binary against models
//! and answers recorded from the real `mlflow` (fixtures: tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod candle;
mod conformance;
mod docker;
mod documents;
mod features;
mod limits;
mod pyfunc;
mod registry;
mod registry_changes;
mod serve;
mod tract;
mod v2_clients;
