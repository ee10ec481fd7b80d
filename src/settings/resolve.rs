//! `mlflowrs models resolve`: a model URI and the stores behind it.

use super::{store_config, SettingsError};
use crate::cli::ResolveArgs;
use crate::resolve::StoreConfig;

#[derive(Debug, Clone)]
pub struct ResolveSettings {
    pub model_uri: String,
    pub stores: StoreConfig,
}

impl ResolveSettings {
    pub fn from_args(args: &ResolveArgs) -> Result<ResolveSettings, SettingsError> {
        crate::resolve::uri::parse(&args.model_uri)?;
        Ok(ResolveSettings {
            model_uri: args.model_uri.clone(),
            stores: store_config(&args.store),
        })
    }
}
