//! Raw CLI and environment values turned into one validated configuration.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{ModelArgs, ServeArgs};
use crate::loader::LoadOptions;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
}

/// Resolves `-m`: a local directory or a `file://` URI.
pub fn resolve_model_uri(uri: &str) -> Result<PathBuf, ConfigError> {
    let path = if let Some(rest) = uri.strip_prefix("file://") {
        PathBuf::from(rest)
    } else if uri.contains(":/") && !uri.starts_with('/') {
        return Err(ConfigError::Invalid(format!(
            "model URI '{uri}': only local paths and file:// URIs are supported by this build (models:/, runs:/ and remote stores come with the URI-resolution feature)"
        )));
    } else {
        PathBuf::from(uri)
    };
    if !path.exists() {
        return Err(ConfigError::Invalid(format!(
            "model path '{}' does not exist",
            path.display()
        )));
    }
    Ok(path)
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
        sessions,
        intra_op_threads: intra,
    })
}

/// One model to serve: its name in routes and metrics, and its directory.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub name: String,
    pub dir: PathBuf,
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
    let dir = resolve_model_uri(uri)?;
    let name = match name {
        Some(n) => n,
        None => std::fs::canonicalize(&dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "model".into()),
    };
    Ok(ModelSpec { name, dir })
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
    pub batching: crate::engine::Batching,
    /// `None`: no row limit.
    pub max_rows: Option<usize>,
    pub shutdown_timeout: Duration,
    pub load: LoadOptions,
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
        Ok(ServeConfig {
            models,
            split,
            split_header,
            addr,
            timeout: Duration::from_secs(args.timeout),
            max_body_bytes: args.max_body_bytes,
            queue_len: args.max_queue,
            max_concurrent_requests: args.max_concurrent_requests,
            batching: crate::engine::Batching {
                max_rows: args.max_batch_rows,
                max_delay: Duration::from_millis(args.max_batch_delay_ms),
            },
            max_rows: (args.max_rows > 0).then_some(args.max_rows),
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
            load: load_options(&args.model, workers)?,
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
