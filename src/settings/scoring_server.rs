//! `mlflowrs models serve`: the served models, the split, the limits.

use std::net::SocketAddr;
use std::time::Duration;

use super::{at_least_one, cores, listen_addr, load_options, store_config, SettingsError};
use crate::cli::ServeArgs;
use crate::resolve::StoreConfig;
use crate::serving::model_load::LoadOptions;

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

/// One model to serve: its name in routes and metrics, and its URI.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub name: String,
    pub uri: String,
}

/// `NAME=URI` or a bare URI, named after its directory.
fn model_spec(arg: &str) -> Result<ModelSpec, SettingsError> {
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
fn parse_split(text: &str, models: &[ModelSpec]) -> Result<Vec<(usize, u32)>, SettingsError> {
    let bad = |m: String| SettingsError::Invalid(format!("--split '{text}': {m}"));
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
pub struct ScoringServerSettings {
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
    /// `--header-timeout` and `--max-drain-bytes`.
    pub connection: crate::listener::ConnectionLimits,
    pub load: LoadOptions,
    pub stores: StoreConfig,
    /// How often model URIs are re-resolved to pick up moved aliases and stages.
    pub watch_interval: Option<Duration>,
    /// Where `/metrics` is served when not on the scoring port.
    pub metrics_addr: Option<SocketAddr>,
    /// Where the gRPC inference service listens (`--grpc-port`).
    pub grpc_addr: Option<SocketAddr>,
    /// The bearer token every request but the health checks must carry.
    pub api_key: Option<crate::serving::api_key::ApiKey>,
}

impl ScoringServerSettings {
    /// With every backend this build has (`mlflowrs`).
    pub fn from_args(args: &ServeArgs) -> Result<ScoringServerSettings, SettingsError> {
        Self::with_backends(args, crate::serving::model_load::NativeBackends::compiled())
    }

    /// With only `backends` (the image binaries).
    pub fn with_backends(
        args: &ServeArgs,
        backends: crate::serving::model_load::NativeBackends,
    ) -> Result<ScoringServerSettings, SettingsError> {
        let models = args
            .model
            .model_uri
            .iter()
            .map(|m| model_spec(m))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, m) in models.iter().enumerate() {
            if models[..i].iter().any(|o| o.name == m.name) {
                return Err(SettingsError::Invalid(format!(
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
                SettingsError::Invalid(format!(
                    "--split-header '{}' is not a header name",
                    args.split_header
                ))
            })?;
        // The cores are shared between the models unless -w says otherwise.
        let workers = args
            .workers
            .or_else(|| Some((cores() / models.len()).max(1)));
        let addr = listen_addr(&args.host, args.port)?;
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
        let mut load = load_options(&args.model, workers, backends)?;
        load.python.timeout = Duration::from_secs(args.timeout);
        Ok(ScoringServerSettings {
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
            connection: crate::listener::ConnectionLimits {
                header_timeout: Duration::from_secs(at_least_one(
                    args.header_timeout,
                    "--header-timeout",
                    " second",
                )?),
                max_drain_bytes: args.max_drain_bytes,
            },
            load,
            stores: store_config(&args.model.store),
            metrics_addr: args.metrics_port.map(|p| SocketAddr::new(addr.ip(), p)),
            grpc_addr: args.grpc_port.map(|p| SocketAddr::new(addr.ip(), p)),
            api_key: match args.api_key.as_deref() {
                None => None,
                Some("") => {
                    return Err(SettingsError::Invalid(
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

    fn serve(extra: &[&str]) -> Result<ScoringServerSettings, SettingsError> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/iris-onnx");
        let mut args = vec!["mlflowrs", "models", "serve", "-m", dir];
        args.extend(extra);
        let Command::Models(ModelsCommand::Serve(serve)) = Cli::parse_from(args).command else {
            panic!("serve parses")
        };
        ScoringServerSettings::from_args(&serve)
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
