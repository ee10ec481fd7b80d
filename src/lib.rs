//! mlflowrs: MLflow rebuilt in Rust. This crate is the `mlflowrs` binary's
//! serving side and its CLI; the tracking server (`mlflowrs-tracking`), the
//! wire format both share (`mlflowrs-protocol`) and the flavors are crates
//! of their own. ARCHITECTURE.md has the map.

pub mod cli;
pub mod commands;
pub mod docker;
pub mod listener;
pub mod mlmodel;
pub mod projects;
pub mod resolve;
pub mod scoring;
pub mod serving;
pub mod settings;
pub mod telemetry;
