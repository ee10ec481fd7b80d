//! The served model: a booster plus the Python class MLflow loads it as,
//! which decides the call path and the output (mlflow/xgboost/__init__.py,
//! `_XGBModelWrapper`; xgboost/sklearn.py).

use std::path::{Component, Path};

use mlflowrs_flavor_api::{Batch, Flavor, FlavorError, IoSpec, Named, Tensor};

use crate::booster::{Booster, DartMode};
use crate::class::{ModelClass, ModelFormat};
use crate::error::XgbError;
use crate::input::map_feeds;
use crate::objective::Transform;
use crate::output::{input_specs, output_spec, Output};
use crate::predict::margins;
use crate::value::Value;

/// Largest model file read.
const MAX_MODEL_BYTES: u64 = 2 << 30;

/// An XGBoost model served natively.
#[derive(Debug)]
pub struct XgbModel {
    booster: Booster,
    class: ModelClass,
    tree_end: usize,
    output: Output,
    inputs: Vec<IoSpec>,
    outputs: Vec<IoSpec>,
}

impl XgbModel {
    /// Loads the model of an MLflow model directory from its `xgboost`
    /// flavor configuration (`data`, `model_class`).
    pub fn load(model_dir: &Path, flavor: &serde_json::Value) -> Result<XgbModel, XgbError> {
        let data = flavor
            .get("data")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| XgbError::Io("xgboost flavor has no `data` path".into()))?;
        let rel = Path::new(data);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(XgbError::unsupported(format!(
                "xgboost model path {data:?} is not inside the model directory"
            )));
        }
        // MLflow's default for models saved before `model_class` existed.
        let class = flavor
            .get("model_class")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("xgboost.core.Booster");
        let class = ModelClass::from_qualified_name(class)?;
        let path = model_dir.join(rel);
        let bytes = read_bounded(&path)?;
        let format = ModelFormat::detect(data, &bytes)?;
        let model = XgbModel::from_bytes(&bytes, format, class)?;
        tracing::debug!(
            path = %path.display(),
            class = ?class,
            trees = model.tree_end,
            "loaded XGBoost model natively"
        );
        Ok(model)
    }

    /// Loads a model file's bytes as `class` would load them.
    pub fn from_bytes(
        bytes: &[u8],
        format: ModelFormat,
        class: ModelClass,
    ) -> Result<XgbModel, XgbError> {
        let doc = match format {
            ModelFormat::Json => crate::json::parse(bytes)?,
            ModelFormat::Ubj => crate::ubjson::parse(bytes)?,
        };
        XgbModel::from_document(&doc, class)
    }

    fn from_document(doc: &Value, class: ModelClass) -> Result<XgbModel, XgbError> {
        let dart_mode = match class {
            ModelClass::Booster => DartMode::DMatrix,
            _ => DartMode::Inplace,
        };
        let booster = Booster::from_document(doc, dart_mode)?;
        let mut rounds = None;
        if let Some(expected) = class.estimator_type() {
            // XGBModel.load_model refuses a saved estimator of another type.
            if let Some(meta) = booster.attributes.get("scikit_learn") {
                let meta = crate::json::parse(meta.as_bytes())
                    .map_err(|_| XgbError::corrupt("bad scikit_learn attribute"))?;
                if let Some(t) = meta.get("_estimator_type").and_then(Value::as_str) {
                    if t != expected {
                        return Err(XgbError::corrupt(format!(
                            "Loading an estimator with different type. Expecting: {expected}, got: {t}"
                        )));
                    }
                }
            }
            // XGBModel._get_iteration_range: best_iteration + 1 rounds.
            if let Some(best) = booster.attributes.get("best_iteration") {
                let best = parse_py_int(best).ok_or_else(|| {
                    XgbError::unsupported(format!("best_iteration {best:?} is not an integer"))
                })?;
                rounds = match best.checked_add(1) {
                    // iteration_range (0, 0) means every round.
                    Some(0) => None,
                    Some(r) if r > 0 => Some(r as usize),
                    _ => {
                        return Err(XgbError::unsupported(format!(
                            "best_iteration {best} is not served natively"
                        )))
                    }
                };
            }
        }
        if rounds.is_some_and(|r| r > booster.boosted_rounds()) {
            return Err(XgbError::corrupt(
                "best_iteration is past the last boosting round: Out of range for tree layers.",
            ));
        }
        let tree_end = booster.tree_end(rounds)?;
        let output = if class.is_classifier() {
            // _load_model_attributes: binary classification counts 2 classes.
            Output::Labels {
                n_classes: booster.num_class.max(2),
            }
        } else {
            Output::Values
        };
        let inputs = input_specs(&booster);
        let outputs = vec![output_spec(&booster, output)];
        Ok(XgbModel {
            booster,
            class,
            tree_end,
            output,
            inputs,
            outputs,
        })
    }

    pub fn model_class(&self) -> ModelClass {
        self.class
    }

    /// Trees used by `predict` (fewer than the model holds when the
    /// scikit-learn wrapper's `best_iteration` applies).
    pub fn trees_used(&self) -> usize {
        self.tree_end
    }

    /// The model's feature names, if it has them.
    pub fn feature_names(&self) -> Option<&[String]> {
        self.booster.feature_names.as_deref()
    }

    /// Runs the prediction MLflow's pyfunc would return for these feeds.
    pub fn predict_feeds(&self, feeds: &[Named]) -> Result<Tensor, FlavorError> {
        let b = &self.booster;
        let features = map_feeds(b, feeds, self.class.call_path())?;
        let rows = features.rows;
        let mut raw = margins(
            &b.forest,
            self.tree_end,
            &b.base_margin,
            b.num_feature,
            &features,
        );
        let g = b.n_groups;
        if g > 0 {
            for row in raw.chunks_exact_mut(g) {
                b.objective.transform_row(row);
            }
        }
        // multi:softmax leaves one value (the class index) per row.
        let per_row = if b.objective.transform == Transform::ArgMax {
            raw = raw.chunks_exact(g.max(1)).map(|r| r[0]).collect();
            1
        } else {
            g
        };
        self.output.build(raw, rows, per_row, &b.objective.name)
    }
}

/// Python's `int(str)` for the forms XGBoost writes (optional sign,
/// surrounding whitespace, `_` separators between digits).
fn parse_py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let v: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -v } else { v })
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, XgbError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| XgbError::Io(format!("cannot open {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_MODEL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| XgbError::Io(format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(XgbError::unsupported(format!(
            "XGBoost model file {} is larger than {MAX_MODEL_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

impl Flavor for XgbModel {
    fn backend_name(&self) -> &'static str {
        "xgboost-native"
    }

    fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }

    fn outputs(&self) -> &[IoSpec] {
        &self.outputs
    }

    fn predict(&self, batch: Batch) -> Result<Vec<Named>, FlavorError> {
        let out = self.predict_feeds(&batch.feeds)?;
        Ok(vec![("predictions".to_owned(), out)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_forms() {
        assert_eq!(parse_py_int(" 12 "), Some(12));
        assert_eq!(parse_py_int("-3"), Some(-3));
        assert_eq!(parse_py_int("1_0"), Some(10));
        assert_eq!(parse_py_int("1.0"), None);
        assert_eq!(parse_py_int("_1"), None);
        assert_eq!(parse_py_int(""), None);
    }
}
