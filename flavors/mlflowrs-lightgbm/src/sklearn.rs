//! LightGBM's scikit-learn estimators saved as skops archives
//! (`mlflow.sklearn._save_model(..., "skops")`).
//!
//! The archive holds the estimator's `__dict__`. What `predict` uses of it:
//! `_Booster` (a `lightgbm.basic.Booster` whose state carries the text model
//! in `_handle`, plus `best_iteration` and `pandas_categorical`),
//! `_n_features_in` (scikit-learn's feature-count check on arrays),
//! `_objective`, `_n_classes` and `_le.classes_` (the labels `LGBMClassifier`
//! decodes to), and `_other_params` (prediction options such as
//! `predict_disable_shape_check`).

use mlflowrs_flavor_api::TensorData;
use mlflowrs_skops::{Archive, ArrayData, JsonValue, Node, NodeKind, SkopsError};

use crate::booster::Booster;
use crate::error::LightGbmError;
use crate::input::Frontend;
use crate::model::{Head, LightGbmModel};

pub(crate) const CLASSIFIER: &str = "lightgbm.sklearn.LGBMClassifier";
pub(crate) const REGRESSOR: &str = "lightgbm.sklearn.LGBMRegressor";
pub(crate) const RANKER: &str = "lightgbm.sklearn.LGBMRanker";

/// Refuses estimator classes this crate does not evaluate.
pub(crate) fn check_class(model_class: &str) -> Result<(), LightGbmError> {
    match model_class {
        CLASSIFIER | REGRESSOR | RANKER => Ok(()),
        other => Err(LightGbmError::unsupported(format!(
            "{other} is not served natively"
        ))),
    }
}

fn from_skops_error(e: SkopsError) -> LightGbmError {
    match e {
        SkopsError::Unsupported(m) => LightGbmError::unsupported(format!("skops archive: {m}")),
        other => LightGbmError::corrupt(other.to_string()),
    }
}

fn attr<'a>(node: &'a Node, name: &str) -> Result<&'a Node, LightGbmError> {
    node.attr(name).map_err(from_skops_error)
}

/// Loads an estimator of class `model_class` from a skops archive, refusing
/// it when skops itself would (`trusted` is the MLmodel's `skops_trusted_types`).
pub fn from_skops(
    bytes: &[u8],
    model_class: &str,
    trusted: &[String],
) -> Result<LightGbmModel, LightGbmError> {
    let archive = Archive::from_bytes(bytes).map_err(from_skops_error)?;
    let untrusted = archive.untrusted_types(trusted);
    if !untrusted.is_empty() {
        // skops.io.load raises UntrustedTypesFoundException: MLflow cannot load it either.
        return Err(LightGbmError::unsupported(format!(
            "the skops archive holds untrusted types {untrusted:?}"
        )));
    }
    let est = archive.root();
    if est.type_name() != model_class || est.loader() != mlflowrs_skops::Loader::Object {
        return Err(LightGbmError::unsupported(format!(
            "the skops archive holds {}, not {model_class}",
            est.describe()
        )));
    }
    check_class(model_class)?;
    let class_name = est.class().to_string();

    let fitted = est
        .get("fitted_")
        .map(|n| n.bool().unwrap_or(false))
        .unwrap_or(false);
    if !fitted {
        return Err(LightGbmError::unsupported(format!(
            "{class_name} is not fitted (predict raises LGBMNotFittedError)"
        )));
    }
    let objective = attr(est, "_objective")?;
    if objective.str().is_err() {
        // A callable objective: predict returns raw scores with a warning.
        return Err(LightGbmError::unsupported(format!(
            "{class_name} with a custom objective function is not served natively"
        )));
    }
    let disable_shape_check = prediction_options(est)?;

    let booster_node = attr(est, "_Booster")?;
    if booster_node.type_name() != "lightgbm.basic.Booster" {
        return Err(LightGbmError::unsupported(format!(
            "_Booster is {}, not a lightgbm.basic.Booster",
            booster_node.describe()
        )));
    }
    let handle = attr(booster_node, "_handle")?
        .str()
        .map_err(|_| LightGbmError::corrupt("_Booster._handle is not a model string"))?;
    let mut booster = Booster::parse(handle.as_bytes())?;
    // Booster.__setstate__ updates __dict__ after loading the string: the
    // state's own pandas_categorical wins over the string's.
    if let Some(pc) = booster_node.get("pandas_categorical") {
        booster.set_pandas_categorical(pandas_categorical(pc)?);
    }
    // Booster.predict(num_iteration=None) uses best_iteration (set by early stopping).
    let best = match booster_node.get("best_iteration") {
        Some(n) => n
            .i64()
            .map_err(|_| LightGbmError::corrupt("_Booster.best_iteration is not an integer"))?,
        None => -1,
    };
    let iterations = usize::try_from(best).unwrap_or(0);

    let n_features_in = attr(est, "_n_features_in")?
        .i64()
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| LightGbmError::corrupt("_n_features_in is not a count"))?;
    let frontend = Frontend::Sklearn {
        class: class_name.clone(),
        n_features_in,
    };

    let head = if model_class == CLASSIFIER {
        let n_classes = attr(est, "_n_classes")?
            .i64()
            .map_err(|_| LightGbmError::corrupt("_n_classes is not an integer"))?;
        let classes = labels(attr(attr(est, "_le")?, "classes_")?)?;
        let k = booster.num_class();
        // One class trains a binary booster too; its label encoder then
        // rejects index 1 at predict time (see `model::decode_classes`).
        let consistent = classes.len() as i64 == n_classes
            && ((n_classes <= 2 && k == 1) || (n_classes > 2 && k as i64 == n_classes));
        if !consistent {
            return Err(LightGbmError::unsupported(format!(
                "{class_name} with {n_classes} classes ({} labels) over a booster of {k} scores is not served natively",
                classes.len()
            )));
        }
        Head::Classes(classes)
    } else {
        Head::Scores
    };
    tracing::debug!(
        class = %class_name,
        iterations,
        features = booster.num_features(),
        "loaded LightGBM estimator natively"
    );
    Ok(LightGbmModel::new(
        booster,
        head,
        frontend,
        iterations,
        disable_shape_check,
    ))
}

/// Prediction parameters the estimator forwards to the C++ predictor from
/// its constructor keywords (`_other_params`): `predict_disable_shape_check`
/// is honoured, `pred_early_stop` (approximate predictions) is not served.
fn prediction_options(est: &Node) -> Result<bool, LightGbmError> {
    let mut disable_shape_check = false;
    let Some(other) = est.get("_other_params") else {
        return Ok(false);
    };
    for (key, value) in other.entries().unwrap_or(&[]) {
        match key.as_str() {
            Some("pred_early_stop") if truthy(value) != Some(false) => {
                return Err(LightGbmError::unsupported(
                    "pred_early_stop (approximate predictions) is not served natively",
                ));
            }
            Some("predict_disable_shape_check") => match truthy(value) {
                Some(b) => disable_shape_check = b,
                None => {
                    return Err(LightGbmError::unsupported(
                        "a non-boolean predict_disable_shape_check is not served natively",
                    ))
                }
            },
            _ => {}
        }
    }
    Ok(disable_shape_check)
}

/// A Python bool / int / string parameter as LightGBM's config reads a bool.
fn truthy(n: &Node) -> Option<bool> {
    match n.as_json()? {
        JsonValue::Bool(b) => Some(*b),
        JsonValue::Int(i) => Some(*i != 0),
        JsonValue::Str(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "+" => Some(true),
            "false" | "0" | "-" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `Booster.pandas_categorical` from the state: `None` or a list.
fn pandas_categorical(n: &Node) -> Result<Option<serde_json::Value>, LightGbmError> {
    if n.is_none() {
        return Ok(None);
    }
    match n.kind() {
        // Only emptiness matters: a non-empty list refuses every JSON-born frame.
        NodeKind::List(items) => Ok(Some(serde_json::Value::Array(
            items.iter().map(|_| serde_json::Value::Null).collect(),
        ))),
        _ => Err(LightGbmError::unsupported(format!(
            "pandas_categorical is {}",
            n.describe()
        ))),
    }
}

/// `LabelEncoder.classes_` as the tensor `inverse_transform` takes labels from.
fn labels(n: &Node) -> Result<TensorData, LightGbmError> {
    if let Some((items, shape)) = n.object_array() {
        if shape.len() != 1 {
            return Err(LightGbmError::unsupported("classes_ is not 1-D"));
        }
        // An object array: served when every label is a str (written as strings by MLflow).
        let strs = items
            .iter()
            .map(|i| i.str().map(str::to_owned))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|_| {
                LightGbmError::unsupported("classes_ is an object array of non-strings")
            })?;
        return Ok(TensorData::Str(strs));
    }
    let a = n
        .array()
        .map_err(|_| LightGbmError::unsupported(format!("classes_ is {}", n.describe())))?;
    if a.ndim() != 1 {
        return Err(LightGbmError::unsupported("classes_ is not 1-D"));
    }
    Ok(match a.data() {
        ArrayData::Bool(v) => TensorData::Bool(v.clone()),
        ArrayData::I8(v) => TensorData::I8(v.clone()),
        ArrayData::I16(v) => TensorData::I16(v.clone()),
        ArrayData::I32(v) => TensorData::I32(v.clone()),
        ArrayData::I64(v) => TensorData::I64(v.clone()),
        ArrayData::U8(v) => TensorData::U8(v.clone()),
        ArrayData::U16(v) => TensorData::U16(v.clone()),
        ArrayData::U32(v) => TensorData::U32(v.clone()),
        ArrayData::U64(v) => TensorData::U64(v.clone()),
        ArrayData::F32(v) => TensorData::F32(v.clone()),
        ArrayData::F64(v) => TensorData::F64(v.clone()),
        ArrayData::Str(v) => TensorData::Str(v.clone()),
        ArrayData::Bytes(_) | ArrayData::Record(_) => {
            return Err(LightGbmError::unsupported(format!(
                "classes_ of dtype {} is not served natively",
                a.describe()
            )))
        }
    })
}
