//! Raw CLI and environment values turned into one validated configuration.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::cli::{ModelArgs, ServeArgs, ServerArgs, StoreArgs};
use crate::resolve::{HttpSettings, StoreConfig};
use crate::serving::model_load::{LoadOptions, OnnxBackend, PythonOptions};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Uri(#[from] crate::resolve::ResolveError),
}

/// `mlflowrs server`'s settings and listen address, with `mlflow server`'s
/// defaults: artifacts proxied from ./mlartifacts as `mlflow-artifacts:/`.
pub fn tracking_settings(
    args: &ServerArgs,
) -> Result<(mlflowrs_tracking::Settings, SocketAddr), ConfigError> {
    let serve_artifacts = !args.no_serve_artifacts || args.serve_artifacts;
    let default_artifact_root = match &args.default_artifact_root {
        Some(root) if !root.is_empty() => root.clone(),
        _ if serve_artifacts => "mlflow-artifacts:/".to_string(),
        _ => std::env::current_dir()
            .map(|d| d.join("mlruns").display().to_string())
            .unwrap_or_else(|_| "./mlruns".into()),
    };
    if default_artifact_root.starts_with("mlflow-artifacts:") && !serve_artifacts {
        return Err(ConfigError::Invalid(
            "--default-artifact-root mlflow-artifacts:/ needs the artifact proxy; drop --no-serve-artifacts".into(),
        ));
    }
    for (flag, value) in [
        ("--max-request-bytes", args.max_request_bytes),
        ("--max-db-connections", args.max_db_connections),
        ("--header-timeout", args.header_timeout as usize),
    ] {
        if value == 0 {
            return Err(ConfigError::Invalid(format!("{flag} must be at least 1")));
        }
    }
    let addr = (args.host.as_str(), args.port)
        .to_socket_addrs()
        .map_err(|e| {
            ConfigError::Invalid(format!("cannot listen on {}:{}: {e}", args.host, args.port))
        })?
        .next()
        .ok_or_else(|| ConfigError::Invalid(format!("{} resolves to no address", args.host)))?;
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
            .map_err(ConfigError::Invalid)?,
        ),
    };
    Ok((
        mlflowrs_tracking::Settings {
            backend_store_uri: args.backend_store_uri.clone(),
            default_artifact_root,
            artifacts_destination: args.artifacts_destination.clone(),
            serve_artifacts,
            max_request_bytes: args.max_request_bytes,
            max_db_connections: args.max_db_connections,
            auth,
            header_timeout: Duration::from_secs(args.header_timeout),
        },
        addr,
    ))
}

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

/// The name a model URI is served under unless `NAME=URI` says otherwise:
/// the registered model, logged model id, or last path segment.
fn default_name(uri: &str) -> String {
    use crate::resolve::uri::{parse, ModelUri};
    let last_segment = |s: &str| {
        s.trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    };
    let name = match parse(uri) {
        Ok(ModelUri::Registered { name, .. }) => Some(name),
        Ok(ModelUri::LoggedModel { model_id, .. }) => Some(model_id),
        Ok(ModelUri::Run { run_id, path }) => last_segment(&path).or(Some(run_id)),
        Ok(ModelUri::Local(path)) => std::fs::canonicalize(&path)
            .unwrap_or(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        Ok(ModelUri::Remote(u)) => last_segment(&u),
        Err(_) => None,
    };
    name.unwrap_or_else(|| "model".into())
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Refuses 0 for a count flag; `unit` finishes the message ("", " second").
fn at_least_one<T: PartialEq + Default>(
    value: T,
    flag: &str,
    unit: &str,
) -> Result<T, ConfigError> {
    if value == T::default() {
        return Err(ConfigError::Invalid(format!(
            "{flag} must be at least 1{unit}"
        )));
    }
    Ok(value)
}

pub fn load_options(model: &ModelArgs, workers: Option<usize>) -> Result<LoadOptions, ConfigError> {
    let sessions = at_least_one(workers.unwrap_or_else(cores), "--workers", "")?;
    let intra = match model.intra_op_threads {
        Some(n) => at_least_one(n, "--intra-op-threads", "")?,
        // One session per core by default: never oversubscribe the cores.
        None => (cores() / sessions).max(1),
    };
    Ok(LoadOptions {
        ort_library: model.ort_library.clone(),
        onnx_backend: onnx_backend(model.onnx_backend)?,
        embedding_batch_size: at_least_one(
            model.embedding_batch_size,
            "--embedding-batch-size",
            "",
        )?,
        sessions,
        intra_op_threads: intra,
        python: python_options(model),
    })
}

fn onnx_backend(flag: OnnxBackend) -> Result<OnnxBackend, ConfigError> {
    match flag {
        OnnxBackend::Tract if !cfg!(feature = "tract") => Err(ConfigError::Invalid(
            "--onnx-backend tract: this mlflowrs was built without tract (cargo feature `tract`)"
                .into(),
        )),
        other => Ok(other),
    }
}

fn python_options(model: &ModelArgs) -> PythonOptions {
    use crate::cli::{EnvManager, PyfuncBatching};
    let env_manager = match (model.no_conda, model.env_manager) {
        (true, _) | (_, EnvManager::Local) => Some(mlflowrs_pyfunc::EnvManager::Local),
        (_, EnvManager::Virtualenv) => Some(mlflowrs_pyfunc::EnvManager::Virtualenv),
        (_, EnvManager::Uv) => Some(mlflowrs_pyfunc::EnvManager::Uv),
        (_, EnvManager::Conda) => None,
    };
    PythonOptions {
        env_manager,
        python: model.python.clone(),
        batching: match model.pyfunc_batching {
            PyfuncBatching::Auto => mlflowrs_pyfunc::Batching::Auto,
            PyfuncBatching::Always => mlflowrs_pyfunc::Batching::Always,
            PyfuncBatching::Off => mlflowrs_pyfunc::Batching::Off,
        },
        env_cache_dir: model.env_cache_dir.clone().unwrap_or_else(|| {
            crate::resolve::Cache::default_dir()
                .parent()
                .map(|p| p.join("envs"))
                .unwrap_or_else(|| ".mlflowrs-envs".into())
        }),
        // `models predict` has no request timeout; serve sets its own.
        timeout: Duration::from_secs(365 * 24 * 3600),
    }
}

/// One model to serve: its name in routes and metrics, and its URI.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub name: String,
    pub uri: String,
}

/// `NAME=URI` or a bare URI, named after its directory.
fn model_spec(arg: &str) -> Result<ModelSpec, ConfigError> {
    let named = arg.split_once('=').filter(|(n, rest)| {
        !n.is_empty()
            && !rest.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    let (name, uri) = match named {
        Some((n, uri)) => (Some(n.to_string()), uri),
        None => (None, arg),
    };
    // Malformed URIs fail here, before anything is started.
    crate::resolve::uri::parse(uri)?;
    Ok(ModelSpec {
        name: name.unwrap_or_else(|| default_name(uri)),
        uri: uri.to_string(),
    })
}

/// `a=90,b=10` into (model index, weight) pairs.
fn parse_split(text: &str, models: &[ModelSpec]) -> Result<Vec<(usize, u32)>, ConfigError> {
    let bad = |m: String| ConfigError::Invalid(format!("--split '{text}': {m}"));
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| bad(format!("'{part}' is not NAME=WEIGHT")))?;
        let weight: u32 = weight
            .trim()
            .parse()
            .map_err(|_| bad(format!("'{weight}' is not a whole number")))?;
        let index = models
            .iter()
            .position(|m| m.name == name.trim())
            .ok_or_else(|| bad(format!("no served model is named '{name}'")))?;
        out.push((index, weight));
    }
    if out.iter().map(|(_, w)| u64::from(*w)).sum::<u64>() == 0 {
        return Err(bad("the weights add up to 0".into()));
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub models: Vec<ModelSpec>,
    /// Weighted routing of `/invocations`: (model index, weight).
    pub split: Option<Vec<(usize, u32)>>,
    pub split_header: axum::http::HeaderName,
    pub addr: SocketAddr,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// Requests that may wait for a free inference thread.
    pub queue_len: usize,
    pub max_concurrent_requests: usize,
    pub batching: crate::serving::engine::Batching,
    /// `None`: no row limit.
    pub max_rows: Option<usize>,
    pub shutdown_timeout: Duration,
    /// How long a client may take to send its request headers.
    pub header_timeout: Duration,
    pub load: LoadOptions,
    pub stores: StoreConfig,
    /// How often model URIs are re-resolved to pick up moved aliases and stages.
    pub watch_interval: Option<Duration>,
    /// Where `/metrics` is served when not on the scoring port.
    pub metrics_addr: Option<SocketAddr>,
    /// The bearer token every request but the health checks must carry.
    pub api_key: Option<crate::serving::api_key::ApiKey>,
}

impl ServeConfig {
    pub fn from_args(args: &ServeArgs) -> Result<ServeConfig, ConfigError> {
        let models = args
            .model
            .model_uri
            .iter()
            .map(|m| model_spec(m))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, m) in models.iter().enumerate() {
            if models[..i].iter().any(|o| o.name == m.name) {
                return Err(ConfigError::Invalid(format!(
                    "two models are named '{}'; name them with -m NAME=URI",
                    m.name
                )));
            }
        }
        let split = args
            .split
            .as_deref()
            .map(|s| parse_split(s, &models))
            .transpose()?;
        let split_header =
            axum::http::HeaderName::from_bytes(args.split_header.to_ascii_lowercase().as_bytes())
                .map_err(|_| {
                ConfigError::Invalid(format!(
                    "--split-header '{}' is not a header name",
                    args.split_header
                ))
            })?;
        // The cores are shared between the models unless -w says otherwise.
        let workers = args
            .workers
            .or_else(|| Some((cores() / models.len()).max(1)));
        let addr = (args.host.as_str(), args.port)
            .to_socket_addrs()
            .map_err(|e| {
                ConfigError::Invalid(format!(
                    "bad --host/--port '{}:{}': {e}",
                    args.host, args.port
                ))
            })?
            .next()
            .ok_or_else(|| {
                ConfigError::Invalid(format!("--host '{}' resolves to no address", args.host))
            })?;
        at_least_one(args.timeout, "--timeout", " second")?;
        at_least_one(
            args.max_concurrent_requests,
            "--max-concurrent-requests",
            "",
        )?;
        at_least_one(
            args.max_batch_rows,
            "--max-batch-rows",
            " (1 turns batching off)",
        )?;
        at_least_one(args.max_queue, "--max-queue", "")?;
        at_least_one(args.max_body_bytes, "--max-body-bytes", "")?;
        let mut load = load_options(&args.model, workers)?;
        load.python.timeout = Duration::from_secs(args.timeout);
        Ok(ServeConfig {
            models,
            split,
            split_header,
            addr,
            timeout: Duration::from_secs(args.timeout),
            max_body_bytes: args.max_body_bytes,
            queue_len: args.max_queue,
            max_concurrent_requests: args.max_concurrent_requests,
            batching: crate::serving::engine::Batching {
                max_rows: args.max_batch_rows,
                max_delay: Duration::from_millis(args.max_batch_delay_ms),
            },
            max_rows: (args.max_rows > 0).then_some(args.max_rows),
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
            header_timeout: Duration::from_secs(at_least_one(
                args.header_timeout,
                "--header-timeout",
                " second",
            )?),
            load,
            stores: store_config(&args.model.store),
            metrics_addr: args.metrics_port.map(|p| SocketAddr::new(addr.ip(), p)),
            api_key: match args.api_key.as_deref() {
                None => None,
                Some("") => {
                    return Err(ConfigError::Invalid(
                        "--api-key / MLFLOWRS_API_KEY is set but empty".into(),
                    ))
                }
                Some(key) => Some(crate::serving::api_key::ApiKey::new(key)),
            },
            watch_interval: (args.watch_interval > 0)
                .then(|| Duration::from_secs(args.watch_interval)),
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command, ModelsCommand};

    fn serve(extra: &[&str]) -> Result<ServeConfig, ConfigError> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/iris-onnx");
        let mut args = vec!["mlflowrs", "models", "serve", "-m", dir];
        args.extend(extra);
        let Command::Models(ModelsCommand::Serve(serve)) = Cli::parse_from(args).command else {
            panic!("serve parses")
        };
        ServeConfig::from_args(&serve)
    }

    #[test]
    fn every_count_flag_refuses_zero_and_accepts_one() {
        for flag in [
            "-t",
            "-w",
            "--intra-op-threads",
            "--max-concurrent-requests",
            "--max-batch-rows",
            "--max-queue",
            "--max-body-bytes",
        ] {
            let err = serve(&[flag, "0"]).unwrap_err().to_string();
            assert!(err.contains("must be at least 1"), "{flag}: {err}");
            assert!(serve(&[flag, "1"]).is_ok(), "{flag} 1");
        }
    }
}
