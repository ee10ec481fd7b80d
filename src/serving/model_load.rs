//! Picks a flavor for an MLmodel directory and loads it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlflowrs_flavor_api::Flavor;

use crate::mlmodel::{ColType, MlModel, MlModelError, Schema};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    MlModel(#[from] MlModelError),
    #[error("model at {path} has no flavor mlflowrs can serve (its flavors: {flavors}); mlflowrs serves 'onnx', 'sklearn', 'xgboost' and 'lightgbm' natively and any 'python_function' model through Python")]
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
    Ort(#[from] mlflowrs_onnx_ort::OrtError),
    #[cfg(feature = "tract")]
    #[error(transparent)]
    Tract(#[from] mlflowrs_onnx_tract::TractError),
    #[cfg(feature = "candle")]
    #[error(transparent)]
    Candle(#[from] mlflowrs_sentence_transformers_candle::CandleError),
    #[error(transparent)]
    Python(#[from] mlflowrs_pyfunc::PyfuncError),
    #[error("{path}: graph inputs or outputs {names} are not tensors (sequences or maps, e.g. skl2onnx's ZipMap); mlflowrs's ONNX Runtime backend serves tensors only (convert with zipmap=False)")]
    NotTensors { path: PathBuf, names: String },
    /// What mlflowrs does not evaluate itself (an estimator, objective or
    /// format outside what is implemented): served through Python instead.
    #[error("{flavor} model not served natively: {reason}")]
    NotNative {
        flavor: &'static str,
        reason: String,
    },
    /// A model file mlflowrs reads natively but found corrupt or hostile.
    #[error("the {flavor} model file {path} cannot be loaded: {reason}")]
    BadNativeModel {
        flavor: &'static str,
        path: PathBuf,
        reason: String,
    },
    /// Not served natively, and no `python_function` flavor for Python.
    #[error("{native}; and the model at {path} has no 'python_function' flavor for Python to serve it instead (its flavors: {flavors})")]
    NoFallback {
        native: String,
        path: PathBuf,
        flavors: String,
    },
    #[error("{native}; serving it through Python instead failed: {python}")]
    Fallback {
        native: String,
        python: Box<LoadError>,
    },
    #[error(
        "this mlflowrs binary has no tract (cargo feature `tract`, or an image built for ONNX Runtime); use --onnx-backend ort"
    )]
    NoTract,
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
    pub onnx_backend: OnnxBackend,
    /// Sentences per candle forward pass (`--embedding-batch-size`).
    pub embedding_batch_size: usize,
    /// ONNX sessions, or Python worker processes.
    pub sessions: usize,
    pub intra_op_threads: usize,
    pub python: PythonOptions,
    pub backends: NativeBackends,
}

/// Loads an ONNX model with tract.
pub type TractLoader = fn(&Path) -> Result<Arc<dyn Flavor>, LoadError>;
/// Loads a `sentence_transformers` model with candle.
pub type CandleLoader = fn(&MlModel, &LoadOptions) -> Result<Arc<dyn Flavor>, LoadError>;

/// The optional backends a binary serves with. `mlflowrs` carries every one
/// its cargo features compiled in; the binaries `build-docker` puts into
/// images carry only what their image serves, and because nothing else
/// names the other loaders, the linker leaves tract and candle out of them.
#[derive(Debug, Clone, Copy)]
pub struct NativeBackends {
    pub tract: Option<TractLoader>,
    pub candle: Option<CandleLoader>,
}

impl NativeBackends {
    /// ONNX Runtime, the tabular flavors and Python only.
    pub const ORT_ONLY: NativeBackends = NativeBackends {
        tract: None,
        candle: None,
    };

    /// Everything this build's features compiled in.
    pub fn compiled() -> NativeBackends {
        NativeBackends {
            #[cfg(feature = "tract")]
            tract: Some(load_tract),
            #[cfg(not(feature = "tract"))]
            tract: None,
            #[cfg(feature = "candle")]
            candle: Some(load_candle),
            #[cfg(not(feature = "candle"))]
            candle: None,
        }
    }

    /// tract for ONNX models, without candle.
    #[cfg(feature = "tract")]
    pub fn tract_only() -> NativeBackends {
        NativeBackends {
            tract: Some(load_tract),
            candle: None,
        }
    }
}

/// What runs `onnx`-flavor models (`--onnx-backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnnxBackend {
    /// ONNX Runtime when its library is found, tract otherwise (in builds with tract).
    Auto,
    /// ONNX Runtime (loaded at run time).
    Ort,
    /// tract: pure Rust, no native library (cargo feature `tract`). The
    /// settings refuse it in builds without tract.
    Tract,
}

/// How Python-only models are run.
#[derive(Debug, Clone)]
pub struct PythonOptions {
    /// `None`: conda, which mlflowrs refuses when a model needs Python.
    pub env_manager: Option<mlflowrs_pyfunc::EnvManager>,
    pub python: Option<PathBuf>,
    pub batching: mlflowrs_pyfunc::Batching,
    pub env_cache_dir: PathBuf,
    /// A call past this is answered 504 and its worker replaced.
    pub timeout: std::time::Duration,
}

/// What runs a loaded model: a native flavor, or Python worker processes.
pub enum ModelRuntime {
    Native(Arc<dyn Flavor>),
    Python(mlflowrs_pyfunc::Pool),
}

pub struct LoadedModel {
    pub mlmodel: MlModel,
    pub runtime: ModelRuntime,
}

pub fn load(dir: &Path, opts: &LoadOptions) -> Result<LoadedModel, LoadError> {
    let mlmodel = MlModel::load(dir)?;
    let candle = opts
        .backends
        .candle
        .filter(|_| mlmodel.flavor("sentence_transformers").is_some());
    let (flavor, native) = if let Some(candle) = candle {
        ("sentence_transformers", candle(&mlmodel, opts))
    } else if let Some(onnx) = mlmodel.flavor("onnx") {
        ("onnx", load_onnx(&mlmodel, onnx, dir, opts))
    } else if let Some(flavor) = crate::scoring::tabular_flavor(&mlmodel) {
        (flavor, load_tabular_flavor(&mlmodel, flavor))
    } else if mlmodel.flavor("python_function").is_some() {
        return load_python(mlmodel, opts);
    } else {
        return Err(LoadError::NoFlavor {
            path: dir.to_path_buf(),
            flavors: mlmodel.flavor_names().join(", "),
        });
    };
    match native {
        Ok(model) => {
            tracing::info!(
                flavor,
                backend = model.backend_name(),
                sessions = opts.sessions,
                "model loaded"
            );
            Ok(LoadedModel {
                mlmodel,
                runtime: ModelRuntime::Native(model),
            })
        }
        // What the native backend cannot serve, mlflow can: same answers as
        // `mlflow models serve`, at Python's speed.
        Err(e) if e.python_can_serve() && mlmodel.flavor("python_function").is_some() => {
            tracing::warn!(reason = %e, flavor, "serving this model through the Python fallback");
            load_python(mlmodel, opts).map_err(|python| LoadError::Fallback {
                native: e.to_string(),
                python: Box::new(python),
            })
        }
        Err(e) if e.python_can_serve() => Err(LoadError::NoFallback {
            native: e.to_string(),
            path: dir.to_path_buf(),
            flavors: mlmodel.flavor_names().join(", "),
        }),
        Err(e) => Err(e),
    }
}

impl LoadError {
    /// Failures of a native backend that mlflow's own loader does not share.
    fn python_can_serve(&self) -> bool {
        match self {
            LoadError::UnsupportedColumn { .. }
            | LoadError::NotTensors { .. }
            | LoadError::NotNative { .. } => true,
            #[cfg(feature = "candle")]
            LoadError::Candle(
                mlflowrs_sentence_transformers_candle::CandleError::Unsupported { .. },
            ) => true,
            _ => false,
        }
    }
}

fn load_onnx(
    mlmodel: &MlModel,
    onnx: &serde_json::Value,
    dir: &Path,
    opts: &LoadOptions,
) -> Result<Arc<dyn Flavor>, LoadError> {
    check_signature(mlmodel, dir)?;
    let data = onnx
        .get("data")
        .and_then(|d| d.as_str())
        .ok_or_else(|| LoadError::NoOnnxData {
            path: dir.to_path_buf(),
        })?;
    let model_file = mlmodel.root.join(data);
    match opts.onnx_backend {
        OnnxBackend::Ort => load_ort(onnx, dir, &model_file, opts),
        OnnxBackend::Tract => match opts.backends.tract {
            Some(tract) => tract(&model_file),
            None => Err(LoadError::NoTract),
        },
        // A library named with --ort-library / ORT_DYLIB_PATH is a choice:
        // when it is missing, say so rather than serve with tract.
        OnnxBackend::Auto if opts.ort_library.is_some() => load_ort(onnx, dir, &model_file, opts),
        OnnxBackend::Auto => {
            match mlflowrs_onnx_ort::library::find(None, opts.python.python.as_deref()) {
                Ok(library) => {
                    tracing::info!(library = %library.display(), "ONNX Runtime found: serving with it (--onnx-backend auto)");
                    load_ort(onnx, dir, &model_file, opts)
                }
                Err(missing) => match opts.backends.tract {
                    Some(tract) => {
                        tracing::info!(reason = %missing, "ONNX Runtime not found: serving with tract, pure Rust (--onnx-backend auto)");
                        tract(&model_file)
                    }
                    None => Err(missing.into()),
                },
            }
        }
    }
}

/// The model directory `mlflow.sentence_transformers` saved (the pyfunc
/// flavor's `data`, `model.sentence_transformer` by default).
#[cfg(feature = "candle")]
fn load_candle(mlmodel: &MlModel, opts: &LoadOptions) -> Result<Arc<dyn Flavor>, LoadError> {
    let data = mlmodel
        .flavor("python_function")
        .and_then(|f| f.get("data"))
        .and_then(|d| d.as_str())
        .unwrap_or("model.sentence_transformer");
    let model = mlflowrs_sentence_transformers_candle::SentenceModel::load(
        &mlmodel.root.join(data),
        opts.embedding_batch_size,
    )?;
    Ok(Arc::new(model))
}

#[cfg(feature = "tract")]
fn load_tract(model_file: &Path) -> Result<Arc<dyn Flavor>, LoadError> {
    Ok(Arc::new(mlflowrs_onnx_tract::TractModel::load(model_file)?))
}

fn load_ort(
    onnx: &serde_json::Value,
    dir: &Path,
    model_file: &Path,
    opts: &LoadOptions,
) -> Result<Arc<dyn Flavor>, LoadError> {
    mlflowrs_onnx_ort::init_runtime(opts.ort_library.as_deref(), opts.python.python.as_deref())?;
    let config =
        mlflowrs_onnx_ort::SessionConfig::from_flavor(onnx, opts.sessions, opts.intra_op_threads)?;
    let model = mlflowrs_onnx_ort::OrtModel::load(model_file, &config)?;
    let not_tensors: Vec<String> = model
        .inputs()
        .iter()
        .chain(model.outputs())
        .filter(|io| io.dtype.is_none())
        .map(|io| io.name.clone())
        .collect();
    if !not_tensors.is_empty() {
        return Err(LoadError::NotTensors {
            path: dir.to_path_buf(),
            names: not_tensors.join(", "),
        });
    }
    Ok(Arc::new(model))
}

/// Loads a scikit-learn, XGBoost or LightGBM model natively; `None` when
/// the model has none of those flavors.
pub fn load_tabular(mlmodel: &MlModel) -> Option<Result<Arc<dyn Flavor>, LoadError>> {
    let flavor = crate::scoring::tabular_flavor(mlmodel)?;
    Some(load_tabular_flavor(mlmodel, flavor))
}

fn load_tabular_flavor(
    mlmodel: &MlModel,
    flavor: &'static str,
) -> Result<Arc<dyn Flavor>, LoadError> {
    check_signature(mlmodel, &mlmodel.root)?;
    let conf = mlmodel.flavor(flavor).cloned().unwrap_or_default();
    let text = |key: &str| conf.get(key).and_then(|v| v.as_str());
    let not_native = |reason: String| LoadError::NotNative { flavor, reason };
    let file_of = |key: &str| {
        text(key)
            .map(|f| mlmodel.root.join(f))
            .ok_or_else(|| not_native(format!("its MLmodel names no model file ('{key}')")))
    };
    match flavor {
        "sklearn" => {
            let file = file_of("pickled_model")?;
            let opts = mlflowrs_sklearn::LoadOptions {
                predict_fn: mlmodel
                    .flavor("python_function")
                    .and_then(|f| f.get("predict_fn"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("predict")
                    .to_string(),
                serialization_format: text("serialization_format").map(str::to_string),
                skops_trusted_types: conf
                    .get("skops_trusted_types")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    }),
                // A model skops itself would refuse goes to Python, which
                // then refuses it with skops's own error, as mlflow does.
                check_trusted_types: true,
                ..Default::default()
            };
            mlflowrs_sklearn::SklearnModel::load_with(&file, &opts)
                .map(|m| Arc::new(m) as Arc<dyn Flavor>)
                .map_err(|e| native_error(flavor, &file, e.is_unsupported(), e.to_string()))
        }
        "xgboost" => {
            let file = file_of("data")?;
            mlflowrs_xgboost::load(&mlmodel.root, &conf)
                .map(|m| Arc::new(m) as Arc<dyn Flavor>)
                .map_err(|e| native_error(flavor, &file, e.is_unsupported(), e.to_string()))
        }
        _ => {
            let file = file_of("data")?;
            mlflowrs_lightgbm::FlavorConf::from_json(&conf)
                .and_then(|c| mlflowrs_lightgbm::load(&mlmodel.root, &c))
                .map(|m| Arc::new(m) as Arc<dyn Flavor>)
                .map_err(|e| native_error(flavor, &file, e.is_unsupported(), e.to_string()))
        }
    }
}

/// A flavor crate's load failure: not implemented (the Python fallback
/// serves it) or a bad file (start-up fails).
fn native_error(flavor: &'static str, file: &Path, unsupported: bool, reason: String) -> LoadError {
    if unsupported {
        LoadError::NotNative { flavor, reason }
    } else {
        LoadError::BadNativeModel {
            flavor,
            path: file.to_path_buf(),
            reason,
        }
    }
}

fn load_python(mlmodel: MlModel, opts: &LoadOptions) -> Result<LoadedModel, LoadError> {
    let py = &opts.python;
    let manager = py.env_manager.ok_or(LoadError::Conda)?;
    let env = mlflowrs_pyfunc::prepare_python(
        manager,
        &mlmodel.root,
        py.python.as_deref(),
        &py.env_cache_dir,
    )?;
    let pool = mlflowrs_pyfunc::Pool::start(mlflowrs_pyfunc::PoolConfig {
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
        runtime: ModelRuntime::Python(pool),
    })
}
