//! How a model is loaded, shared by `models serve` and `models predict`.

use std::time::Duration;

use super::{at_least_one, cores, SettingsError};
use crate::cli::ModelArgs;
use crate::serving::model_load::{LoadOptions, NativeBackends, OnnxBackend, PythonOptions};

pub fn load_options(
    model: &ModelArgs,
    workers: Option<usize>,
    backends: NativeBackends,
) -> Result<LoadOptions, SettingsError> {
    let sessions = at_least_one(workers.unwrap_or_else(cores), "--workers", "")?;
    let intra = match model.intra_op_threads {
        Some(n) => at_least_one(n, "--intra-op-threads", "")?,
        // One session per core by default: never oversubscribe the cores.
        None => (cores() / sessions).max(1),
    };
    Ok(LoadOptions {
        ort_library: model.ort_library.clone(),
        onnx_backend: onnx_backend(model.onnx_backend, &backends)?,
        embedding_batch_size: at_least_one(
            model.embedding_batch_size,
            "--embedding-batch-size",
            "",
        )?,
        sessions,
        intra_op_threads: intra,
        python: python_options(model),
        backends,
    })
}

fn onnx_backend(
    flag: OnnxBackend,
    backends: &NativeBackends,
) -> Result<OnnxBackend, SettingsError> {
    match flag {
        OnnxBackend::Tract if backends.tract.is_none() => Err(SettingsError::Invalid(
            "--onnx-backend tract: this mlflowrs binary has no tract (cargo feature `tract`, or an image built for ONNX Runtime)"
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
