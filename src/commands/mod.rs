//! The commands behind the CLI.

pub mod predict;
pub mod resolve;
pub mod serve;
