//! ONNX models through ONNX Runtime, loaded at run time (`ort` with `load-dynamic`).
//!
//! The shared library is found at start-up (see [`library`]) so that a build
//! needs no ONNX Runtime and a missing library is an error, not a panic.

mod convert;
mod error;
pub mod library;
mod options;
mod pool;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mlflowrs_flavor_api::{Batch, Flavor, FlavorError, IoSpec, Named};
use ort::session::Session;

pub use error::OrtError;
pub use options::SessionConfig;
use pool::SessionPool;

static ENVIRONMENT: OnceLock<Result<(PathBuf, ort::environment::Environment), OrtError>> =
    OnceLock::new();

/// Loads ONNX Runtime once per process (ONNX Runtime allows one environment).
/// `python` is where the library is looked for last (see [`library::find`]).
pub fn init_runtime(
    explicit: Option<&Path>,
    python: Option<&Path>,
) -> Result<&'static Path, OrtError> {
    let entry = ENVIRONMENT.get_or_init(|| {
        let path = library::find(explicit, python)?;
        let builder = ort::init_from(&path).map_err(|e| OrtError::Init {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let env = builder
            .with_name("mlflowrs")
            .build()
            .map_err(|e| OrtError::Init {
                path: path.clone(),
                message: e.to_string(),
            })?;
        tracing::info!(library = %path.display(), "ONNX Runtime loaded");
        Ok((path, env))
    });
    match entry {
        Ok((path, _)) => Ok(path.as_path()),
        Err(e) => Err(e.clone()),
    }
}

fn environment() -> Result<&'static ort::environment::Environment, OrtError> {
    match ENVIRONMENT.get() {
        Some(Ok((_, env))) => Ok(env),
        Some(Err(e)) => Err(e.clone()),
        None => Err(OrtError::Config(
            "ONNX Runtime is not initialised; call init_runtime first".into(),
        )),
    }
}

/// An ONNX model served by a pool of ONNX Runtime sessions.
pub struct OrtModel {
    pool: SessionPool,
    inputs: Vec<IoSpec>,
    outputs: Vec<IoSpec>,
}

impl OrtModel {
    /// Loads `model_file` with the `onnx` flavor's settings into `sessions` sessions.
    pub fn load(model_file: &Path, config: &SessionConfig) -> Result<OrtModel, OrtError> {
        let env = environment()?;
        let sessions = (0..config.sessions.max(1))
            .map(|_| config.build_session(env, model_file))
            .collect::<Result<Vec<Session>, OrtError>>()?;
        let first = &sessions[0];
        let inputs = first.inputs().iter().map(convert::io_spec).collect();
        let outputs = first.outputs().iter().map(convert::io_spec).collect();
        Ok(OrtModel {
            pool: SessionPool::new(sessions),
            inputs,
            outputs,
        })
    }
}

impl Flavor for OrtModel {
    fn backend_name(&self) -> &'static str {
        "onnx-ort"
    }

    fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }

    fn outputs(&self) -> &[IoSpec] {
        &self.outputs
    }

    fn predict(&self, batch: Batch) -> Result<Vec<Named>, FlavorError> {
        let feeds = batch
            .feeds
            .iter()
            .map(|(name, t)| Ok((name.clone(), convert::to_ort(t)?)))
            .collect::<Result<Vec<_>, FlavorError>>()?;
        let mut session = self.pool.take();
        let outputs = session
            .run(feeds)
            .map_err(|e| FlavorError::Inference(e.to_string()))?;
        self.outputs
            .iter()
            .map(|spec| {
                let value = outputs.get(&spec.name).ok_or_else(|| {
                    FlavorError::Internal(format!("output '{}' missing", spec.name))
                })?;
                Ok((spec.name.clone(), convert::from_ort(&spec.name, value)?))
            })
            .collect()
    }
}
