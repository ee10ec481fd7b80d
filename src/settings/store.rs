//! The stores and cache behind model URIs.

use crate::cli::StoreArgs;
use crate::resolve::{HttpSettings, StoreConfig};

/// The stores and cache behind model URIs, with MLflow's defaults.
pub fn store_config(args: &StoreArgs) -> StoreConfig {
    let tracking_uri = args
        .tracking_uri
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(StoreConfig::default_tracking_uri);
    StoreConfig {
        registry_uri: args
            .registry_uri
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| tracking_uri.clone()),
        tracking_uri,
        cache_dir: args
            .model_cache_dir
            .clone()
            .unwrap_or_else(crate::resolve::Cache::default_dir),
        http: HttpSettings::from_env(),
    }
}
