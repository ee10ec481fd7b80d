//! The tracking / registry stores a model URI is resolved against: a
//! tracking server's REST API, MLflow's SQL schema read directly, or its
//! file store. Each answers the same few questions.

mod file;
mod records;
pub(crate) mod rest;
mod sql;

use super::uri::scheme;
use super::ResolveError;

pub use records::{LoggedModelRecord, RunRecord, VersionRecord};
pub use rest::HttpSettings;

pub enum Store {
    Rest(rest::RestStore),
    Sql(sql::SqlStore),
    File(file::FileStore),
}

impl Store {
    /// The store behind a tracking or registry URI, chosen as MLflow does.
    pub fn open(uri: &str, http: &HttpSettings) -> Result<Store, ResolveError> {
        match scheme(uri).as_str() {
            "http" | "https" => Ok(Store::Rest(rest::RestStore::new(uri, http)?)),
            "" | "file" => Ok(Store::File(file::FileStore::new(uri)?)),
            s if s == "sqlite" || s.starts_with("postgresql") || s.starts_with("sqlite+") => {
                Ok(Store::Sql(sql::SqlStore::new(uri)?))
            }
            s => Err(ResolveError::Unsupported(format!(
                "tracking/registry URI '{uri}': '{s}' stores are not supported (http(s), sqlite, postgresql and file stores are)"
            ))),
        }
    }

    /// The URI as given, with any password hidden, for messages and logs.
    pub fn describe(&self) -> String {
        match self {
            Store::Rest(s) => s.describe(),
            Store::Sql(s) => s.describe(),
            Store::File(s) => s.describe(),
        }
    }

    /// The base URL of a tracking server, for `mlflow-artifacts:` URIs.
    pub fn http_base(&self) -> Option<&rest::RestStore> {
        match self {
            Store::Rest(s) => Some(s),
            _ => None,
        }
    }

    pub async fn check_registered_model(&self, name: &str) -> Result<(), ResolveError> {
        match self {
            Store::Rest(s) => s.check_registered_model(name).await,
            Store::Sql(s) => s.check_registered_model(name).await,
            Store::File(s) => s.check_registered_model(name),
        }
    }

    pub async fn model_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<VersionRecord, ResolveError> {
        match self {
            Store::Rest(s) => s.model_version(name, version).await,
            Store::Sql(s) => s.model_version(name, version).await,
            Store::File(s) => s.model_version(name, version),
        }
    }

    pub async fn alias_version(&self, name: &str, alias: &str) -> Result<String, ResolveError> {
        match self {
            Store::Rest(s) => s.alias_version(name, alias).await,
            Store::Sql(s) => s.alias_version(name, alias).await,
            Store::File(s) => s.alias_version(name, alias),
        }
        .map_err(|e| match e {
            ResolveError::UnknownAlias { .. } => ResolveError::UnknownAlias {
                name: name.into(),
                alias: alias.into(),
            },
            e => e,
        })
    }

    /// The highest version number, among versions in `stage` if given, as
    /// `get_latest_versions` + max does.
    pub async fn latest_version(
        &self,
        name: &str,
        stage: Option<&str>,
    ) -> Result<String, ResolveError> {
        let versions = match self {
            Store::Rest(s) => s.latest_versions(name, stage).await?,
            Store::Sql(s) => s.versions(name).await?,
            Store::File(s) => s.versions(name)?,
        };
        versions
            .into_iter()
            .filter(|v| v.stage != "Deleted_Internal")
            .filter(|v| stage.is_none_or(|s| v.stage.eq_ignore_ascii_case(s)))
            .filter_map(|v| v.version.parse::<u64>().ok())
            .max()
            .map(|v| v.to_string())
            .ok_or_else(|| ResolveError::NoVersionInStage {
                name: name.into(),
                stage: stage.unwrap_or("None").into(),
            })
    }

    pub async fn logged_model(&self, model_id: &str) -> Result<LoggedModelRecord, ResolveError> {
        match self {
            Store::Rest(s) => s.logged_model(model_id).await,
            Store::Sql(s) => s.logged_model(model_id).await,
            Store::File(s) => s.logged_model(model_id),
        }
    }

    pub async fn run(&self, run_id: &str) -> Result<RunRecord, ResolveError> {
        match self {
            Store::Rest(s) => s.run(run_id).await,
            Store::Sql(s) => s.run(run_id).await,
            Store::File(s) => s.run(run_id),
        }
    }

    /// The logged model named `name` that `run_id` produced (MLflow 3's
    /// `runs:/<run>/<name>` fallback).
    pub async fn find_logged_model(
        &self,
        experiment_id: &str,
        name: &str,
        run_id: &str,
    ) -> Result<Option<LoggedModelRecord>, ResolveError> {
        match self {
            Store::Rest(s) => s.find_logged_model(experiment_id, name, run_id).await,
            Store::Sql(s) => s.find_logged_model(experiment_id, name, run_id).await,
            Store::File(s) => s.find_logged_model(experiment_id, name, run_id),
        }
    }
}
