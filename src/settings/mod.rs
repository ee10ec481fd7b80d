//! Raw arguments and environment values turned into one validated settings
//! struct per command (ripgrep's `HiArgs`): every check and default lives
//! here, so a command's logic starts from values that are known to be good.

mod healthcheck;
mod image;
mod model;
mod predict;
mod resolve;
mod run;
mod scoring_server;
mod store;
mod tracking_server;
mod ui_fetch;

use std::net::{SocketAddr, ToSocketAddrs};

pub use healthcheck::HealthcheckSettings;
pub use image::{ImageSettings, ImageTarget};
pub use model::load_options;
pub use predict::PredictSettings;
pub use resolve::ResolveSettings;
pub use run::{Backend, BackendConfig, RunSettings};
pub use scoring_server::{ModelSpec, ScoringServerSettings};
pub use store::store_config;
pub use tracking_server::TrackingServerSettings;
pub use ui_fetch::UiFetchSettings;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
    /// A usage error of a command that mirrors an MLflow CLI command:
    /// printed as click prints it, exit 2.
    #[error("{message}")]
    Usage {
        command: &'static str,
        message: String,
    },
    #[error(transparent)]
    Uri(#[from] crate::resolve::ResolveError),
}

pub(crate) fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Refuses 0 for a count flag; `unit` finishes the message ("", " second").
pub(crate) fn at_least_one<T: PartialEq + Default>(
    value: T,
    flag: &str,
    unit: &str,
) -> Result<T, SettingsError> {
    if value == T::default() {
        return Err(SettingsError::Invalid(format!(
            "{flag} must be at least 1{unit}"
        )));
    }
    Ok(value)
}

/// The address `--host` and `--port` name, for both servers.
pub(crate) fn listen_addr(host: &str, port: u16) -> Result<SocketAddr, SettingsError> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| SettingsError::Invalid(format!("bad --host/--port '{host}:{port}': {e}")))?
        .next()
        .ok_or_else(|| SettingsError::Invalid(format!("--host '{host}' resolves to no address")))
}
