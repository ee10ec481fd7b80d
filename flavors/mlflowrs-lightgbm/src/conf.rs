//! The `lightgbm` section of an MLmodel file, and loading the model it names.

use std::path::{Component, Path};

use crate::error::LightGbmError;
use crate::model::LightGbmModel;

pub const BOOSTER_CLASS: &str = "lightgbm.basic.Booster";

/// The `flavors.lightgbm` entry of MLmodel, as `mlflow.lightgbm._load_model` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlavorConf {
    /// The model file, relative to the model directory (`model.lgb`, `model.skops`).
    pub data: String,
    /// Defaults to `lightgbm.basic.Booster`, as MLflow's loader does.
    pub model_class: String,
    /// MLflow's default for scikit-learn models without the key is cloudpickle.
    pub serialization_format: Option<String>,
    /// skops types the model's author trusted (MLflow adds LightGBM's own).
    pub skops_trusted_types: Vec<String>,
}

impl FlavorConf {
    /// Reads the flavor section (MLmodel YAML converted to JSON).
    pub fn from_json(v: &serde_json::Value) -> Result<FlavorConf, LightGbmError> {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        let data = s("data")
            .ok_or_else(|| LightGbmError::Io("the lightgbm flavor has no 'data' entry".into()))?;
        Ok(FlavorConf {
            data,
            model_class: s("model_class").unwrap_or_else(|| BOOSTER_CLASS.to_string()),
            serialization_format: s("serialization_format"),
            skops_trusted_types: v
                .get("skops_trusted_types")
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// Loads the model of an MLflow model directory whose MLmodel has this `lightgbm` section.
pub fn load(model_dir: &Path, conf: &FlavorConf) -> Result<LightGbmModel, LightGbmError> {
    let rel = Path::new(&conf.data);
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(LightGbmError::Io(format!(
            "the lightgbm flavor's data path '{}' leaves the model directory",
            conf.data
        )));
    }
    let read = || {
        let path = model_dir.join(rel);
        std::fs::read(&path)
            .map_err(|e| LightGbmError::Io(format!("cannot read {}: {e}", path.display())))
    };
    if conf.model_class == BOOSTER_CLASS {
        let bytes = read()?;
        let model = LightGbmModel::from_model_file(&bytes)?;
        tracing::debug!(
            trees = model.booster().num_iterations(),
            features = model.booster().num_features(),
            "loaded LightGBM booster natively"
        );
        return Ok(model);
    }
    crate::sklearn::check_class(&conf.model_class)?;
    let format = conf
        .serialization_format
        .as_deref()
        .unwrap_or("cloudpickle");
    if format != "skops" {
        return Err(LightGbmError::unsupported(format!(
            "{} saved as {format} is not served natively (only skops archives are read)",
            conf.model_class
        )));
    }
    let bytes = read()?;
    crate::sklearn::from_skops(&bytes, &conf.model_class, &conf.skops_trusted_types)
}
