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

pub fn load_options(model: &ModelArgs, workers: Option<usize>) -> Result<LoadOptions, ConfigError> {
    let sessions = workers.unwrap_or_else(cores);
    if sessions == 0 {
        return Err(ConfigError::Invalid("--workers must be at least 1".into()));
    }
    let intra = match model.intra_op_threads {
        Some(0) => {
            return Err(ConfigError::Invalid(
                "--intra-op-threads must be at least 1".into(),
            ))
        }
        Some(n) => n,
        // One session per core by default: never oversubscribe the cores.
        None => (cores() / sessions).max(1),
    };
    Ok(LoadOptions {
        ort_library: model.ort_library.clone(),
        sessions,
        intra_op_threads: intra,
    })
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub model_dir: PathBuf,
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
        let model_dir = resolve_model_uri(&args.model.model_uri)?;
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
        if args.timeout == 0 {
            return Err(ConfigError::Invalid(
                "--timeout must be at least 1 second".into(),
            ));
        }
        if args.max_concurrent_requests == 0 {
            return Err(ConfigError::Invalid(
                "--max-concurrent-requests must be at least 1".into(),
            ));
        }
        if args.max_batch_rows == 0 {
            return Err(ConfigError::Invalid(
                "--max-batch-rows must be at least 1 (1 turns batching off)".into(),
            ));
        }
        if args.max_queue == 0 {
            return Err(ConfigError::Invalid(
                "--max-queue must be at least 1".into(),
            ));
        }
        if args.max_body_bytes == 0 {
            return Err(ConfigError::Invalid(
                "--max-body-bytes must be at least 1".into(),
            ));
        }
        Ok(ServeConfig {
            model_dir,
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
            load: load_options(&args.model, args.workers)?,
        })
    }
}
