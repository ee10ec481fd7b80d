//! `mlflowrs healthcheck`: the URL split into what the probe sends.

use std::net::{SocketAddr, ToSocketAddrs};

use super::SettingsError;
use crate::cli::HealthcheckArgs;

#[derive(Debug, Clone)]
pub struct HealthcheckSettings {
    pub url: String,
    pub addr: SocketAddr,
    /// `host:port` as given, for the `Host` header.
    pub authority: String,
    pub path: String,
}

impl HealthcheckSettings {
    pub fn from_args(args: &HealthcheckArgs) -> Result<HealthcheckSettings, SettingsError> {
        let rest = args
            .url
            .strip_prefix("http://")
            .ok_or_else(|| SettingsError::Invalid("--url must be an http:// URL".into()))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = authority
            .to_socket_addrs()
            .map_err(|e| SettingsError::Invalid(format!("bad address {authority}: {e}")))?
            .next()
            .ok_or_else(|| SettingsError::Invalid("the host resolves to no address".into()))?;
        Ok(HealthcheckSettings {
            url: args.url.clone(),
            addr,
            authority: authority.to_string(),
            path: path.to_string(),
        })
    }
}
