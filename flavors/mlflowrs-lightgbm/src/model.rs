//! The served model: a [`Booster`] plus what MLflow's `_LGBModelWrapper`
//! calls on it (`Booster.predict`, or a scikit-learn estimator's `predict`).

use mlflowrs_flavor_api::{Batch, DType, Flavor, FlavorError, IoSpec, Named, Tensor, TensorData};

use crate::booster::Booster;
use crate::error::LightGbmError;
use crate::input::{Frontend, Layout};

/// What `predict` returns on top of the booster's scores.
#[derive(Debug, Clone)]
pub(crate) enum Head {
    /// `Booster.predict` / `LGBMRegressor.predict` / `LGBMRanker.predict`: the scores.
    Scores,
    /// `LGBMClassifier.predict`: `_le.inverse_transform(argmax(predict_proba))`.
    Classes(TensorData),
}

/// A LightGBM model evaluated natively.
#[derive(Debug, Clone)]
pub struct LightGbmModel {
    booster: Booster,
    head: Head,
    frontend: Frontend,
    /// `num_iteration` passed to the C++ predictor (0 = all).
    iterations: usize,
    disable_shape_check: bool,
    inputs: Vec<IoSpec>,
    outputs: Vec<IoSpec>,
}

impl LightGbmModel {
    /// A `lightgbm.Booster` saved by `Booster.save_model` (MLflow's `model.lgb`).
    pub fn from_model_file(bytes: &[u8]) -> Result<LightGbmModel, LightGbmError> {
        // Booster(model_file=...) first checks the file's submodel type.
        let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        if first != b"tree" {
            return Err(LightGbmError::corrupt(
                "Unknown model format or submodel type in model file",
            ));
        }
        let booster = Booster::parse(bytes)?;
        Ok(Self::new(
            booster,
            Head::Scores,
            Frontend::Booster,
            0,
            false,
        ))
    }

    pub(crate) fn new(
        booster: Booster,
        head: Head,
        frontend: Frontend,
        iterations: usize,
        disable_shape_check: bool,
    ) -> LightGbmModel {
        let inputs = booster
            .feature_names()
            .iter()
            .map(|name| IoSpec {
                name: name.clone(),
                dtype: Some(DType::F64),
                shape: vec![-1],
            })
            .collect();
        let (dtype, shape) = match &head {
            Head::Classes(c) => (c.dtype(), vec![-1]),
            Head::Scores if booster.num_class() > 1 => {
                (DType::F64, vec![-1, booster.num_class() as i64])
            }
            Head::Scores => (DType::F64, vec![-1]),
        };
        LightGbmModel {
            booster,
            head,
            frontend,
            iterations,
            disable_shape_check,
            inputs,
            outputs: vec![IoSpec {
                name: "predictions".into(),
                dtype: Some(dtype),
                shape,
            }],
        }
    }

    pub fn booster(&self) -> &Booster {
        &self.booster
    }

    /// What `_LGBModelWrapper.predict` returns for these feeds.
    pub fn predict_tensor(&self, feeds: &[Named]) -> Result<Tensor, FlavorError> {
        let mismatch = matches!(self.booster.pandas_categorical(), Some(serde_json::Value::Array(a)) if !a.is_empty());
        let layout = Layout {
            num_features: self.booster.num_features(),
            disable_shape_check: self.disable_shape_check,
            pandas_categorical_mismatch: mismatch,
            frontend: &self.frontend,
        };
        let x = layout.build(feeds)?;
        let k = self.booster.num_class();
        let scores = self.booster.predict_prepared(&x.data, self.iterations);
        let rows = x.rows;
        let tensor = match &self.head {
            Head::Scores => {
                // Booster.predict reshapes to [n, k] only when size != nrow.
                let shape = if k > 1 && rows > 0 {
                    vec![rows, k]
                } else {
                    vec![scores.len()]
                };
                Tensor::new(shape, TensorData::F64(scores))
            }
            Head::Classes(classes) => {
                let idx: Vec<usize> = if k == 1 {
                    scores.iter().map(|&p| binary_argmax(p)).collect()
                } else {
                    scores.chunks_exact(k).map(argmax).collect()
                };
                unseen_labels(&idx, classes.len())?;
                Tensor::new(vec![rows], take(classes, &idx))
            }
        };
        tensor.map_err(FlavorError::Internal)
    }
}

/// `LabelEncoder.inverse_transform`'s check: indices past the classes (a
/// single-class classifier's booster still scores two columns) are refused.
fn unseen_labels(idx: &[usize], n: usize) -> Result<(), FlavorError> {
    let mut bad: Vec<usize> = idx.iter().copied().filter(|&i| i >= n).collect();
    if bad.is_empty() {
        return Ok(());
    }
    bad.sort_unstable();
    bad.dedup();
    let list: Vec<String> = bad.iter().map(usize::to_string).collect();
    Err(FlavorError::Inference(format!(
        "y contains previously unseen labels: [{}]",
        list.join(" ")
    )))
}

/// `np.argmax([1 - p, p])`: the first maximum, NaN counting as the maximum.
fn binary_argmax(p: f64) -> usize {
    let q = 1.0 - p;
    if q.is_nan() {
        0
    } else if p.is_nan() || p > q {
        1
    } else {
        0
    }
}

/// `np.argmax` of one row: the first NaN, else the first maximum.
fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v.is_nan() {
            return i;
        }
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// `classes[idx]`; indices are below `classes.len()` (checked at load).
fn take(classes: &TensorData, idx: &[usize]) -> TensorData {
    macro_rules! pick {
        ($v:ident, $var:ident) => {
            TensorData::$var(idx.iter().map(|&i| $v[i].clone()).collect())
        };
    }
    match classes {
        TensorData::Bool(v) => pick!(v, Bool),
        TensorData::I8(v) => pick!(v, I8),
        TensorData::I16(v) => pick!(v, I16),
        TensorData::I32(v) => pick!(v, I32),
        TensorData::I64(v) => pick!(v, I64),
        TensorData::U8(v) => pick!(v, U8),
        TensorData::U16(v) => pick!(v, U16),
        TensorData::U32(v) => pick!(v, U32),
        TensorData::U64(v) => pick!(v, U64),
        TensorData::F32(v) => pick!(v, F32),
        TensorData::F64(v) => pick!(v, F64),
        TensorData::Str(v) => pick!(v, Str),
    }
}

impl Flavor for LightGbmModel {
    fn backend_name(&self) -> &'static str {
        "lightgbm-native"
    }

    fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }

    fn outputs(&self) -> &[IoSpec] {
        &self.outputs
    }

    fn predict(&self, batch: Batch) -> Result<Vec<Named>, FlavorError> {
        let t = self.predict_tensor(&batch.feeds)?;
        Ok(vec![("predictions".to_string(), t)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LightGbmModel>();
    }

    #[test]
    fn argmax_follows_numpy() {
        assert_eq!(binary_argmax(0.5), 0);
        assert_eq!(binary_argmax(0.6), 1);
        assert_eq!(binary_argmax(f64::NAN), 0);
        assert_eq!(argmax(&[0.2, 0.5, 0.5]), 1);
        assert_eq!(argmax(&[0.2, f64::NAN, 0.9]), 1);
    }
}
