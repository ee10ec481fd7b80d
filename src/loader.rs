//! Picks a flavor for an MLmodel directory and loads it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flavor_api::Flavor;

use crate::mlmodel::{ColType, MlModel, MlModelError, Schema};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    MlModel(#[from] MlModelError),
    #[error("model at {path} has no flavor mlflowrs can serve (its flavors: {flavors}); mlflowrs serves 'onnx' natively and any 'python_function' model through Python")]
    NoFlavor { path: PathBuf, flavors: String },
    #[error("the onnx flavor in {path} has no 'data' file name")]
    NoOnnxData { path: PathBuf },
    #[error("{path}: input signature column '{column}' has type {ty}, which mlflowrs's native flavors do not serve (supported: boolean, integer, long, float, double, string)")]
    UnsupportedColumn {
        path: PathBuf,
        column: String,
        ty: String,
    },
    #[error(transparent)]
    Ort(#[from] onnx_ort::OrtError),
    #[error(transparent)]
    Python(#[from] pyfunc::PyfuncError),
    #[error("--env-manager conda is not supported: mlflowrs builds Python environments with virtualenv or uv")]
    Conda,
}

/// Column types a native flavor can feed to a tensor; the rest (binary,
/// datetime, array, object, map, any) need the Python fallback.
fn check_signature(mlmodel: &MlModel, dir: &Path) -> Result<(), LoadError> {
    let Some(Schema::Columns(cols)) = mlmodel.input_schema() else {
        return Ok(());
    };
    for (i, c) in cols.iter().enumerate() {
        let served = matches!(&c.ty, ColType::Data(d) if d.numpy().is_some());
        if !served {
            return Err(LoadError::UnsupportedColumn {
                path: dir.join(crate::mlmodel::MLMODEL_FILE_NAME),
                column: c.name.clone().unwrap_or_else(|| i.to_string()),
                ty: c.ty.repr(),
            });
        }
    }
    Ok(())
}

/// Settings for loading, from the validated config.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub ort_library: Option<PathBuf>,
    /// ONNX sessions, or Python worker processes.
    pub sessions: usize,
    pub intra_op_threads: usize,
    pub python: PythonOptions,
}

/// How Python-only models are run.
#[derive(Debug, Clone)]
pub struct PythonOptions {
    /// `None`: conda, which mlflowrs refuses when a model needs Python.
    pub env_manager: Option<pyfunc::EnvManager>,
    pub python: Option<PathBuf>,
    pub batching: pyfunc::Batching,
    pub env_cache_dir: PathBuf,
    /// A call past this is answered 504 and its worker replaced.
    pub timeout: std::time::Duration,
}

/// What runs the model.
pub enum Backend {
    Native(Arc<dyn Flavor>),
    Python(pyfunc::Pool),
}

pub struct LoadedModel {
    pub mlmodel: MlModel,
    pub backend: Backend,
}

pub fn load(dir: &Path, opts: &LoadOptions) -> Result<LoadedModel, LoadError> {
    let mlmodel = MlModel::load(dir)?;
    let Some(onnx) = mlmodel.flavor("onnx") else {
        if mlmodel.flavor("python_function").is_some() {
            return load_python(mlmodel, opts);
        }
        return Err(LoadError::NoFlavor {
            path: dir.to_path_buf(),
            flavors: mlmodel.flavor_names().join(", "),
        });
    };
    check_signature(&mlmodel, dir)?;
    let data = onnx
        .get("data")
        .and_then(|d| d.as_str())
        .ok_or_else(|| LoadError::NoOnnxData {
            path: dir.to_path_buf(),
        })?;
    onnx_ort::init_runtime(opts.ort_library.as_deref())?;
    let config = onnx_ort::SessionConfig::from_flavor(onnx, opts.sessions, opts.intra_op_threads)?;
    let model = onnx_ort::OrtModel::load(&mlmodel.root.join(data), &config)?;
    tracing::info!(
        flavor = "onnx",
        backend = "onnx-ort",
        sessions = opts.sessions,
        "model loaded"
    );
    Ok(LoadedModel {
        mlmodel,
        backend: Backend::Native(Arc::new(model)),
    })
}

fn load_python(mlmodel: MlModel, opts: &LoadOptions) -> Result<LoadedModel, LoadError> {
    let py = &opts.python;
    let manager = py.env_manager.ok_or(LoadError::Conda)?;
    let env = pyfunc::prepare_python(
        manager,
        &mlmodel.root,
        py.python.as_deref(),
        &py.env_cache_dir,
    )?;
    let pool = pyfunc::Pool::start(pyfunc::PoolConfig {
        python: env.python,
        model_dir: mlmodel.root.clone(),
        workers: opts.sessions,
        batching: py.batching,
        timeout: py.timeout,
    })?;
    tracing::info!(
        flavor = "python_function",
        backend = "python",
        workers = opts.sessions,
        mlflow = %env.mlflow_version,
        "model loaded"
    );
    Ok(LoadedModel {
        mlmodel,
        backend: Backend::Python(pool),
    })
}
