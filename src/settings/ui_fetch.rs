//! `mlflowrs ui fetch`: where the wheel comes from and where it goes.

use std::path::PathBuf;

use super::SettingsError;
use crate::cli::UiFetchArgs;

#[derive(Debug, Clone)]
pub struct UiFetchSettings {
    /// The index's page for the `mlflow` project (`…/simple/mlflow/`).
    pub project_page: String,
    pub cache_dir: PathBuf,
}

impl UiFetchSettings {
    pub fn from_args(args: &UiFetchArgs) -> Result<UiFetchSettings, SettingsError> {
        let index = args.index_url.trim_end_matches('/');
        if !(index.starts_with("https://") || index.starts_with("http://")) {
            return Err(SettingsError::Invalid(format!(
                "--index-url {index:?}: an http(s):// URL of a package index is needed"
            )));
        }
        Ok(UiFetchSettings {
            project_page: format!("{index}/mlflow/"),
            cache_dir: ui_cache_dir(),
        })
    }
}

/// `$XDG_CACHE_HOME/mlflowrs/ui`, else `~/.cache/mlflowrs/ui`.
pub(crate) fn ui_cache_dir() -> PathBuf {
    crate::resolve::Cache::base_dir().join("ui")
}
