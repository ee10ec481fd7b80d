//! The commands behind the CLI.

pub mod docker;
pub mod healthcheck;
pub mod predict;
pub mod resolve;
pub mod serve;
pub mod server;
