//! A loaded LightGBM model (`GBDT` in LightGBM's C++) and its prediction,
//! mirroring `GBDT::PredictRaw` / `GBDT::Predict`.

use crate::error::LightGbmError;
use crate::numparse::{clip, int_in, tokens};
use crate::objective::Objective;
use crate::text::{pandas_categorical, ModelText};
use crate::tree::Forest;

/// Rows evaluated together, tree by tree: a block of rows (20 features: 80 KiB)
/// stays in L2 while every tree of the model is applied to it.
const ROW_BLOCK: usize = 512;

/// The most features a model may declare (LightGBM itself uses `int`).
const MAX_FEATURES: i64 = 1 << 24;

/// A LightGBM text model, validated and laid out for evaluation.
#[derive(Debug, Clone)]
pub struct Booster {
    forest: Forest,
    num_class: usize,
    num_features: usize,
    feature_names: Vec<String>,
    average_output: bool,
    objective: Option<Objective>,
    /// The JSON after `pandas_categorical:` (None when the line is absent).
    pandas_categorical: Option<serde_json::Value>,
}

impl Booster {
    /// Parses a model as `lightgbm.Booster(model_file=...)` / `model_str=` reads it.
    pub fn parse(bytes: &[u8]) -> Result<Booster, LightGbmError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| LightGbmError::corrupt(format!("the model is not UTF-8 text: {e}")))?;
        let m = ModelText::parse(text)?;
        let header = |k: &str| m.header.get(k).copied();
        let required = |k: &str, msg: &str| header(k).ok_or_else(|| LightGbmError::corrupt(msg));

        let num_class = int_in(
            required(
                "num_class",
                "Model file doesn't specify the number of classes",
            )?,
            1,
            1 << 20,
            "num_class",
        )? as usize;
        let per_iteration = match header("num_tree_per_iteration") {
            Some(v) => int_in(v, 1, 1 << 20, "num_tree_per_iteration")? as usize,
            None => num_class,
        };
        // GBDT sizes its output by num_class but writes num_tree_per_iteration
        // scores: LightGBM only ever saves the two equal.
        if per_iteration != num_class {
            return Err(LightGbmError::corrupt(format!(
                "num_tree_per_iteration ({per_iteration}) differs from num_class ({num_class})"
            )));
        }
        required("label_index", "Model file doesn't specify the label index")?;
        let max_feature_idx = int_in(
            required(
                "max_feature_idx",
                "Model file doesn't specify max_feature_idx",
            )?,
            0,
            MAX_FEATURES,
            "max_feature_idx",
        )?;
        let num_features = (max_feature_idx + 1) as usize;
        let feature_names: Vec<String> = tokens(required(
            "feature_names",
            "Model file doesn't contain feature_names",
        )?)
        .map(str::to_owned)
        .collect();
        if feature_names.len() != num_features {
            return Err(LightGbmError::corrupt("Wrong size of feature_names"));
        }
        let infos = tokens(required(
            "feature_infos",
            "Model file doesn't contain feature_infos",
        )?)
        .count();
        if infos != num_features {
            return Err(LightGbmError::corrupt("Wrong size of feature_infos"));
        }
        let objective = match header("objective") {
            Some(line) => {
                let o = Objective::parse(line)?;
                if let Some(k) = Objective::declared_classes(line) {
                    if k != num_class {
                        return Err(LightGbmError::corrupt(format!(
                            "objective '{}' does not match num_class={num_class}",
                            clip(line)
                        )));
                    }
                }
                Some(o)
            }
            None => None,
        };

        let mut forest = Forest::default();
        for tree in &m.trees {
            forest.push_tree(tree, num_features)?;
        }
        // The output holds num_class scores per row: a class count larger
        // than the file's tree count would size it from an unchecked number.
        if num_class > 1 && forest.trees.len() < num_class {
            return Err(LightGbmError::corrupt(format!(
                "num_class={num_class} with only {} trees",
                forest.trees.len()
            )));
        }
        if forest.trees.len() % num_class != 0 {
            return Err(LightGbmError::corrupt(format!(
                "{} trees do not make whole iterations of {num_class}",
                forest.trees.len()
            )));
        }
        let pandas_categorical = pandas_categorical(text)?;
        if let Some(v) = &pandas_categorical {
            if !(v.is_null() || v.is_array()) {
                return Err(LightGbmError::unsupported(format!(
                    "pandas_categorical is {}, not a list",
                    clip(&v.to_string())
                )));
            }
        }
        Ok(Booster {
            forest,
            num_class,
            num_features,
            feature_names,
            average_output: header("average_output").is_some(),
            objective,
            pandas_categorical,
        })
    }

    /// Scores per row: `num_class` (1 for regression and binary models).
    pub fn num_class(&self) -> usize {
        self.num_class
    }

    /// `max_feature_idx + 1`: the column count LightGBM requires.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Complete boosting iterations in the model.
    pub fn num_iterations(&self) -> usize {
        self.forest.trees.len() / self.num_class
    }

    pub(crate) fn pandas_categorical(&self) -> Option<&serde_json::Value> {
        self.pandas_categorical.as_ref()
    }

    pub(crate) fn set_pandas_categorical(&mut self, value: Option<serde_json::Value>) {
        self.pandas_categorical = value;
    }

    /// What `Booster.predict` returns for the float64 matrix `x` (row-major,
    /// `num_features` columns), flat: `rows * num_class` values.
    /// `iterations` limits the boosting iterations used (LightGBM's
    /// `num_iteration`; 0, or more than the model has, means all).
    pub fn predict(&self, x: &[f64], iterations: usize) -> Vec<f64> {
        let buffer: Vec<f64> = x.iter().map(|&v| crate::input::squash(v)).collect();
        self.predict_prepared(&buffer, iterations)
    }

    /// [`Booster::predict`] on values already as LightGBM's predictor buffer
    /// holds them (`|v| <= kZeroThreshold` made 0.0, see `input`): raw scores
    /// summed tree by tree in iteration order, averaged for random forests,
    /// then transformed by the objective.
    pub(crate) fn predict_prepared(&self, x: &[f64], iterations: usize) -> Vec<f64> {
        let k = self.num_class;
        let nf = self.num_features;
        let rows = x.len().checked_div(nf).unwrap_or(0);
        let total = self.num_iterations();
        let used = if iterations == 0 || iterations > total {
            total
        } else {
            iterations
        };
        let trees = &self.forest.trees[..used * k];
        let mut out = vec![0.0f64; rows * k];
        for (xb, ob) in x.chunks(ROW_BLOCK * nf).zip(out.chunks_mut(ROW_BLOCK * k)) {
            for (t, &tree) in trees.iter().enumerate() {
                self.forest.accumulate(tree, xb, nf, ob, k, t % k);
            }
        }
        // LightGBM divides by the iteration count even when it is 0 (NaN then).
        if self.average_output {
            let n = used as f64;
            for v in &mut out {
                *v /= n;
            }
        }
        if let Some(obj) = &self.objective {
            for row in out.chunks_exact_mut(k) {
                obj.convert(row);
            }
        }
        out
    }
}
