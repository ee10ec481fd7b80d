//! Picks a flavor for an MLmodel directory and loads it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flavor_api::Flavor;

use crate::mlmodel::{ColType, MlModel, MlModelError, Schema};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    MlModel(#[from] MlModelError),
    #[error("model at {path} has no flavor mlflowrs can serve natively (its flavors: {flavors}); mlflowrs serves the 'onnx' flavor, and Python-only flavors need the Python fallback, which this build does not have yet")]
    NoNativeFlavor { path: PathBuf, flavors: String },
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

/// Settings for native flavors, from the validated serve config.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub ort_library: Option<PathBuf>,
    pub sessions: usize,
    pub intra_op_threads: usize,
}

pub struct LoadedModel {
    pub mlmodel: MlModel,
    pub flavor: Arc<dyn Flavor>,
}

pub fn load(dir: &Path, opts: &LoadOptions) -> Result<LoadedModel, LoadError> {
    let mlmodel = MlModel::load(dir)?;
    let Some(onnx) = mlmodel.flavor("onnx") else {
        return Err(LoadError::NoNativeFlavor {
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
        flavor: Arc::new(model),
    })
}
