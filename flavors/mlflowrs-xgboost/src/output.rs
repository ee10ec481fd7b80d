//! What `predict` returns: `Booster.predict`'s float32 values, or
//! `XGBClassifier.predict`'s labels (xgboost/sklearn.py), and the IoSpecs.

use mlflowrs_flavor_api::{DType, FlavorError, IoSpec, Tensor, TensorData};

use crate::booster::Booster;
use crate::objective::Transform;

/// What `predict` returns, decided at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// `Booster.predict` / `XGBRegressor.predict`: float32 values.
    Values,
    /// `XGBClassifier.predict`: class labels.
    Labels { n_classes: usize },
}

impl Output {
    /// The output tensor from transformed predictions (`per_row` values per
    /// row).
    pub(crate) fn build(
        self,
        raw: Vec<f32>,
        rows: usize,
        per_row: usize,
        objective: &str,
    ) -> Result<Tensor, FlavorError> {
        let tensor = |shape: Vec<usize>, data: TensorData| {
            Tensor::new(shape, data).map_err(FlavorError::Internal)
        };
        match self {
            Output::Values => {
                // CalcPredictShape: one value per row gives a vector.
                let shape = if rows == 0 || per_row == 1 {
                    vec![rows]
                } else {
                    vec![rows, per_row]
                };
                tensor(shape, TensorData::F32(raw))
            }
            Output::Labels { n_classes } => {
                if rows > 0 && per_row > 1 && n_classes != 2 {
                    // Multi-class: argmax of the probabilities (numpy: first max,
                    // a NaN wins).
                    let labels = raw.chunks_exact(per_row).map(np_argmax).collect();
                    tensor(vec![rows], TensorData::I64(labels))
                } else if rows > 0 && per_row > 1 {
                    // Several columns but `n_classes_ == 2` (multi-target
                    // binary): the wrapper's "multi-label" branch, float64
                    // 0/1 per column.
                    let labels = raw
                        .iter()
                        .map(|&p| if p > 0.5 { 1.0 } else { 0.0 })
                        .collect();
                    tensor(vec![rows, per_row], TensorData::F64(labels))
                } else if objective == "multi:softmax" {
                    let labels = raw.iter().map(|&c| c as i32).collect();
                    tensor(vec![rows], TensorData::I32(labels))
                } else {
                    let labels = raw.iter().map(|&p| i64::from(p > 0.5)).collect();
                    tensor(vec![rows], TensorData::I64(labels))
                }
            }
        }
    }
}

/// numpy's argmax over a row: the first maximum, or the first NaN.
fn np_argmax(row: &[f32]) -> i64 {
    let mut best = 0usize;
    for (i, &v) in row.iter().enumerate() {
        if v.is_nan() {
            return i as i64;
        }
        if v > row[best] {
            best = i;
        }
    }
    best as i64
}

/// One spec per model feature, named as the model names it (`f{i}` when it
/// has no names) and typed by its recorded `feature_types` ("int", "i" for
/// bool, float32 otherwise); any numeric feed is accepted regardless.
pub(crate) fn input_specs(b: &Booster) -> Vec<IoSpec> {
    (0..b.num_feature)
        .map(|f| {
            let name = b
                .feature_names
                .as_ref()
                .and_then(|n| n.get(f).cloned())
                .unwrap_or_else(|| format!("f{f}"));
            let ty = b.feature_types.as_ref().and_then(|t| t.get(f));
            let dtype = match ty.map(String::as_str) {
                Some("int") => DType::I64,
                Some("i") => DType::Bool,
                _ => DType::F32,
            };
            IoSpec {
                name,
                dtype: Some(dtype),
                shape: vec![-1],
            }
        })
        .collect()
}

/// The one "predictions" output, as `Output::build` shapes it.
pub(crate) fn output_spec(b: &Booster, output: Output) -> IoSpec {
    let per_row = if b.objective.transform == Transform::ArgMax {
        1
    } else {
        b.n_groups
    };
    let (dtype, shape) = match output {
        Output::Values if per_row == 1 => (DType::F32, vec![-1]),
        Output::Values => (DType::F32, vec![-1, per_row as i64]),
        Output::Labels { n_classes } if per_row > 1 && n_classes == 2 => {
            (DType::F64, vec![-1, per_row as i64])
        }
        Output::Labels { .. } if per_row == 1 && b.objective.name == "multi:softmax" => {
            (DType::I32, vec![-1])
        }
        Output::Labels { .. } => (DType::I64, vec![-1]),
    };
    IoSpec {
        name: "predictions".into(),
        dtype: Some(dtype),
        shape,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_like_numpy() {
        assert_eq!(np_argmax(&[0.1, 0.7, 0.7]), 1);
        assert_eq!(np_argmax(&[0.1, f32::NAN, 0.9]), 1);
    }
}
