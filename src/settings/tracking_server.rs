//! `mlflowrs server`: the tracking server's stores, limits and auth app.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{listen_addr, SettingsError};
use crate::cli::ServerArgs;
use mlflowrs_env::EnvVars;

/// `mlflowrs server`'s settings and listen address.
#[derive(Debug, Clone)]
pub struct TrackingServerSettings {
    pub tracking: mlflowrs_tracking::Settings,
    pub addr: SocketAddr,
    /// `--ui-bundle`: the UI the user named, which must be there.
    pub ui_bundle: Option<PathBuf>,
    /// An active virtualenv, where an installed `mlflow` may hold the UI.
    pub virtual_env: Option<PathBuf>,
    /// Where `mlflowrs ui fetch` keeps the wheel.
    pub ui_cache_dir: PathBuf,
    /// `--header-timeout` and `--max-drain-bytes`.
    pub connection: crate::listener::ConnectionLimits,
}

impl TrackingServerSettings {
    /// With `mlflow server`'s defaults: artifacts proxied from ./mlartifacts
    /// as `mlflow-artifacts:/`.
    pub fn from_args(args: &ServerArgs) -> Result<TrackingServerSettings, SettingsError> {
        let serve_artifacts = !args.no_serve_artifacts || args.serve_artifacts;
        let default_artifact_root = match &args.default_artifact_root {
            Some(root) if !root.is_empty() => root.clone(),
            _ if serve_artifacts => "mlflow-artifacts:/".to_string(),
            _ => std::env::current_dir()
                .map(|d| d.join("mlruns").display().to_string())
                .unwrap_or_else(|_| "./mlruns".into()),
        };
        if default_artifact_root.starts_with("mlflow-artifacts:") && !serve_artifacts {
            return Err(SettingsError::Invalid(
            "--default-artifact-root mlflow-artifacts:/ needs the artifact proxy; drop --no-serve-artifacts".into(),
        ));
        }
        for (flag, value) in [
            ("--max-request-bytes", args.max_request_bytes),
            ("--max-db-connections", args.max_db_connections),
            ("--header-timeout", args.header_timeout as usize),
            ("--max-concurrent-requests", args.max_concurrent_requests),
        ] {
            if value == 0 {
                return Err(SettingsError::Invalid(format!("{flag} must be at least 1")));
            }
        }
        let addr = listen_addr(&args.host, args.port)?;
        let model_version_source_regex = args
            .model_version_source_regex
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| {
                mlflowrs_tracking::source_pattern(p).map_err(|e| {
                    SettingsError::Invalid(format!("--model-version-source-regex {p:?}: {e}"))
                })
            })
            .transpose()?;
        let static_prefix = static_prefix(args.static_prefix.as_deref())?;
        let auth = match args.app_name.as_deref() {
            None => None,
            Some(_) => Some(
                mlflowrs_tracking::auth::config::settings(
                    &mlflowrs_tracking::auth::config::AuthInputs {
                        config_path: args.auth_config.as_deref(),
                        database_uri: args.auth_database_uri.as_deref(),
                        default_permission: args.auth_default_permission.as_deref(),
                        admin_username: args.auth_admin_username.as_deref(),
                        admin_password: args.auth_admin_password.as_ref().map(|p| p.expose()),
                        max_db_connections: args.max_db_connections,
                    },
                )
                .map_err(SettingsError::Invalid)?,
            ),
        };
        Ok(TrackingServerSettings {
            tracking: mlflowrs_tracking::Settings {
                backend_store_uri: args.backend_store_uri.clone(),
                default_artifact_root,
                artifacts_destination: args.artifacts_destination.clone(),
                serve_artifacts,
                max_request_bytes: args.max_request_bytes,
                max_db_connections: args.max_db_connections,
                auth,
                max_concurrent_requests: args.max_concurrent_requests,
                model_version_source_regex,
                ui: None,
                static_prefix,
                graphql_limits: mlflowrs_tracking::GraphqlLimits {
                    max_root_fields: args.graphql_max_root_fields,
                    max_aliases: args.graphql_max_aliases,
                },
            },
            addr,
            ui_bundle: args.ui_bundle.clone(),
            virtual_env: std::env::var_os(EnvVars::VIRTUAL_ENV).map(PathBuf::from),
            ui_cache_dir: super::ui_fetch::ui_cache_dir(),
            connection: crate::listener::ConnectionLimits {
                header_timeout: Duration::from_secs(args.header_timeout),
                max_drain_bytes: args.max_drain_bytes,
            },
        })
    }
}

/// MLflow's checks of `--static-prefix`, with its messages.
fn static_prefix(prefix: Option<&str>) -> Result<String, SettingsError> {
    let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
        return Ok(String::new());
    };
    let problem = if !prefix.starts_with('/') {
        Some("--static-prefix must begin with a '/'.")
    } else if prefix.ends_with('/') {
        Some("--static-prefix should not end with a '/'.")
    } else if prefix.contains(['{', '}']) {
        Some("--static-prefix must not contain '{' or '}'.")
    } else {
        None
    };
    match problem {
        Some(message) => Err(SettingsError::Invalid(message.to_string())),
        None => Ok(prefix.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn static_prefix_follows_mlflow_rules() {
        assert_eq!(super::static_prefix(None).unwrap(), "");
        assert_eq!(super::static_prefix(Some("/mlflow")).unwrap(), "/mlflow");
        for bad in ["mlflow", "/mlflow/", "/a{b}"] {
            assert!(super::static_prefix(Some(bad)).is_err(), "{bad}");
        }
    }
}
