//! `mlflowrs run`'s validated settings: the checks `mlflow run`'s CLI makes
//! before anything runs (its click usage errors, word for word).

use std::path::PathBuf;

use mlflowrs_env::EnvVars;

use super::SettingsError;
use crate::cli::RunArgs;

/// `-b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Local,
    Kubernetes,
    Databricks,
    /// Anything else: MLflow looks for a plugin and, finding none, fails
    /// after creating the run.
    Other(String),
}

/// `-c`: inline JSON, or a file whose name ends in `.json` (read later, as
/// MLflow reads it).
#[derive(Debug, Clone)]
pub enum BackendConfig {
    Inline(serde_json::Value),
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RunSettings {
    pub uri: String,
    pub entry_point: String,
    pub version: Option<String>,
    /// `-P`, in the order given.
    pub params: Vec<(String, String)>,
    /// `-A name[=value]`, in the order given.
    pub docker_args: Vec<(String, Option<String>)>,
    pub experiment_name: Option<String>,
    pub experiment_id: Option<String>,
    pub backend: Backend,
    pub backend_config: Option<BackendConfig>,
    /// Checked when the run starts, as MLflow checks it.
    pub env_manager: Option<String>,
    pub storage_dir: Option<PathBuf>,
    pub run_id: Option<String>,
    pub run_name: Option<String>,
    pub build_image: bool,
    /// MLFLOW_TRACKING_URI, else MLflow's default.
    pub tracking_uri: String,
}

fn usage(message: String) -> SettingsError {
    SettingsError::Usage {
        command: "run [OPTIONS] URI",
        message,
    }
}

/// MLflow's `_user_args_to_dict`.
fn user_args(args: &[String], kind: char) -> Result<Vec<(String, Option<String>)>, SettingsError> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for arg in args {
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None if kind == 'A' => (arg.clone(), None),
            None => {
                return Err(usage(format!(
                    "Invalid format for -{kind} parameter: '{arg}'. Use -{kind} name=value."
                )))
            }
        };
        if out.iter().any(|(n, _)| *n == name) {
            return Err(usage(format!("Repeated parameter: '{name}'")));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// MLflow's default tracking URI: `./mlruns` when it already holds
/// experiments, else `sqlite:///<cwd>/mlflow.db`.
pub fn default_tracking_uri() -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mlruns = cwd.join("mlruns");
    let has_experiments = std::fs::read_dir(&mlruns).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().join("meta.yaml").is_file())
    });
    if has_experiments {
        format!("file://{}", mlruns.display())
    } else {
        format!("sqlite:///{}", cwd.join("mlflow.db").display())
    }
}

impl RunSettings {
    pub fn from_args(args: &RunArgs) -> Result<RunSettings, SettingsError> {
        if args.experiment_id.is_some() && args.experiment_name.is_some() {
            return Err(usage(
                "Specify only one of 'experiment-name' or 'experiment-id' options.".into(),
            ));
        }
        let params = user_args(&args.param_list, 'P')?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect();
        let docker_args = user_args(&args.docker_args, 'A')?;
        let backend_config = match &args.backend_config {
            None => None,
            Some(c) if c.ends_with(".json") && c.len() > 5 && !c.ends_with("/.json") => {
                Some(BackendConfig::File(PathBuf::from(c)))
            }
            // Python's json.loads, so a parse error reads as MLflow's does.
            Some(c) => {
                let parsed = mlflowrs_protocol::pyjson::parse(c.as_bytes()).map_err(|e| {
                    usage(format!(
                        "Invalid backend config JSON. Parse error: {}",
                        e.message
                    ))
                })?;
                let text = mlflowrs_protocol::pyjson::to_string(&parsed);
                Some(BackendConfig::Inline(
                    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
                ))
            }
        };
        let backend = match args.backend.as_str() {
            "local" => Backend::Local,
            "kubernetes" => Backend::Kubernetes,
            "databricks" => Backend::Databricks,
            other => Backend::Other(other.to_string()),
        };
        if backend == Backend::Kubernetes && backend_config.is_none() {
            return Err(usage(
                "Specify 'backend_config' when using kubernetes mode.".into(),
            ));
        }
        let tracking_uri = std::env::var(EnvVars::MLFLOW_TRACKING_URI)
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(default_tracking_uri);
        Ok(RunSettings {
            uri: args.uri.clone(),
            entry_point: args.entry_point.clone(),
            version: args.version.clone(),
            params,
            docker_args,
            experiment_name: args.experiment_name.clone(),
            experiment_id: args.experiment_id.clone(),
            backend,
            backend_config,
            env_manager: args.env_manager.clone(),
            storage_dir: args.storage_dir.clone(),
            run_id: args.run_id.clone(),
            run_name: args.run_name.clone(),
            build_image: args.build_image,
            tracking_uri,
        })
    }
}
