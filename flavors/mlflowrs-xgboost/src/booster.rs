//! The learner: `Learner::LoadModel` and `Configure` of XGBoost 3.2 over a
//! parsed model document, validated for evaluation.

use std::collections::BTreeMap;

use crate::error::XgbError;
use crate::objective::Objective;
use crate::tree::{push_tree, Forest};
use crate::value::Value;

/// Widest model served natively: rows are materialised densely and the
/// model declares one input spec per feature, so a tiny file must not be
/// able to ask for millions of them.
const MAX_FEATURES: usize = 1 << 18;

/// How DART tree weights enter the margin; the two XGBoost code paths round
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DartMode {
    /// `Booster.predict(DMatrix)` (Dart::PredictBatchImpl): `margin += leaf * w`.
    DMatrix,
    /// `inplace_predict`, used by the scikit-learn wrappers
    /// (Dart::InplacePredict): `margin += ((base + leaf) - base) * w`.
    Inplace,
}

#[derive(Debug, Clone)]
pub(crate) struct Booster {
    pub num_feature: usize,
    /// `None` when the model has none (trained on an unnamed matrix).
    pub feature_names: Option<Vec<String>>,
    pub feature_types: Option<Vec<String>>,
    pub objective: Objective,
    pub num_class: usize,
    /// Outputs per row before the transform (classes or targets).
    pub n_groups: usize,
    /// Margin-space intercept per group.
    pub base_margin: Vec<f32>,
    pub forest: Forest,
    /// Trees of boosting round `r` are `indptr[r]..indptr[r + 1]`.
    pub iteration_indptr: Vec<usize>,
    pub attributes: BTreeMap<String, String>,
    /// Features the model recorded pandas categories for (`cats.enc`).
    pub categorical_inputs: Vec<usize>,
}

fn corrupt(msg: impl Into<String>) -> XgbError {
    XgbError::corrupt(msg)
}

fn field<'v>(v: &'v Value, key: &str, ctx: &str) -> Result<&'v Value, XgbError> {
    v.get(key)
        .ok_or_else(|| corrupt(format!("{ctx} is missing `{key}`")))
}

/// A dmlc parameter: XGBoost stores numbers as strings.
fn param_int(v: &Value, key: &str, ctx: &str) -> Result<Option<i64>, XgbError> {
    let Some(x) = v.get(key) else {
        return Ok(None);
    };
    let n = match x {
        Value::Str(s) => s.trim().parse::<i64>().ok(),
        other => other.as_i64(),
    };
    n.map(Some)
        .ok_or_else(|| corrupt(format!("{ctx} `{key}` is not an integer")))
}

fn non_negative(n: i64, what: &str) -> Result<usize, XgbError> {
    usize::try_from(n).map_err(|_| corrupt(format!("{what} is {n}")))
}

/// `ParamArray<float>`: a JSON number or array in a string, `(` `)`
/// accepted for brackets and all whitespace dropped.
fn parse_base_score(text: &str) -> Result<Vec<f32>, XgbError> {
    let mut s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if s.starts_with('(') {
        s.replace_range(0..1, "[");
    }
    if s.ends_with(')') {
        let n = s.len();
        s.replace_range(n - 1..n, "]");
    }
    let bad = || corrupt(format!("bad base_score {text:?}"));
    let v = crate::json::parse(s.as_bytes()).map_err(|_| bad())?;
    match &v {
        Value::Float(_) | Value::Int(_) => Ok(vec![v.as_f32().ok_or_else(bad)?]),
        other => other.to_f32_vec().ok_or_else(bad),
    }
}

impl Booster {
    pub(crate) fn from_document(doc: &Value, dart_mode: DartMode) -> Result<Booster, XgbError> {
        if let Some(version) = doc.get("version").and_then(Value::to_i64_vec) {
            if version.first().is_some_and(|&major| major < 1) {
                return Err(XgbError::unsupported(format!(
                    "XGBoost model version {version:?} is not served natively"
                )));
            }
        }
        let learner = field(doc, "learner", "model")?;
        let mparam = field(learner, "learner_model_param", "learner")?;
        let ctx = "learner_model_param";
        let num_feature = non_negative(
            param_int(mparam, "num_feature", ctx)?
                .ok_or_else(|| corrupt("learner_model_param is missing `num_feature`"))?,
            "num_feature",
        )?;
        if num_feature > MAX_FEATURES {
            return Err(XgbError::unsupported(format!(
                "XGBoost model with {num_feature} features is too wide to serve natively"
            )));
        }
        let num_class = non_negative(
            param_int(mparam, "num_class", ctx)?.unwrap_or(0),
            "num_class",
        )?;
        let num_target = non_negative(
            param_int(mparam, "num_target", ctx)?.unwrap_or(1),
            "num_target",
        )?;
        // LearnerModelParamLegacy::OutputLength.
        let n_groups = num_target.max(num_class).max(1);
        if n_groups > 1 << 16 {
            return Err(corrupt(format!("{n_groups} outputs per row")));
        }

        let obj_v = field(learner, "objective", "learner")?;
        let obj_name = field(obj_v, "name", "objective")?
            .as_str()
            .ok_or_else(|| corrupt("objective name is not a string"))?;
        let objective = Objective::from_name(obj_name)?;
        if let Some(p) = obj_v.get("softmax_multiclass_param") {
            let k = param_int(p, "num_class", "softmax_multiclass_param")?;
            if k.is_some_and(|k| k as usize != num_class || k < 1) {
                return Err(corrupt(format!(
                    "objective num_class {k:?} differs from the model's {num_class}"
                )));
            }
        }

        // Base score: HandleOldFormat, ValidateLength, then ProbToMargin.
        let bs_text = field(mparam, "base_score", ctx)?
            .as_str()
            .ok_or_else(|| corrupt("base_score is not a string"))?;
        let mut base_score = parse_base_score(bs_text)?;
        if base_score.len() == 1 && n_groups > 1 {
            base_score = vec![base_score[0]; n_groups];
        }
        if base_score.len() != n_groups {
            return Err(corrupt(format!(
                "base_score has {} values for {n_groups} outputs",
                base_score.len()
            )));
        }
        let base_margin = base_score
            .iter()
            .map(|&b| objective.prob_to_margin(b))
            .collect::<Result<Vec<f32>, _>>()?;

        let gb = field(learner, "gradient_booster", "learner")?;
        let gb_name = field(gb, "name", "gradient_booster")?
            .as_str()
            .ok_or_else(|| corrupt("gradient_booster name is not a string"))?;
        let (gbtree, dart_weights) = match gb_name {
            "gbtree" => (gb, None),
            "dart" => {
                let w = field(gb, "weight_drop", "dart booster")?
                    .to_f32_vec()
                    .ok_or_else(|| corrupt("dart weight_drop is not a number array"))?;
                (field(gb, "gbtree", "dart booster")?, Some(w))
            }
            other => {
                return Err(XgbError::unsupported(format!(
                    "XGBoost booster {other:?} is not served natively"
                )))
            }
        };
        let model = field(gbtree, "model", "gbtree")?;
        let gparam = field(model, "gbtree_model_param", "gbtree model")?;
        let num_trees = non_negative(
            param_int(gparam, "num_trees", "gbtree_model_param")?.unwrap_or(0),
            "num_trees",
        )?;
        let trees_v = field(model, "trees", "gbtree model")?
            .as_array()
            .ok_or_else(|| corrupt("trees is not an array"))?;
        if trees_v.len() != num_trees {
            return Err(corrupt(format!(
                "model declares {num_trees} trees and holds {}",
                trees_v.len()
            )));
        }
        if num_trees == 0 {
            return Err(XgbError::unsupported(
                "XGBoost model without trees is not served natively",
            ));
        }
        let tree_info = field(model, "tree_info", "gbtree model")?
            .to_i64_vec()
            .ok_or_else(|| corrupt("tree_info is not an integer array"))?;
        if tree_info.len() != num_trees {
            return Err(corrupt("tree_info does not have one entry per tree"));
        }
        let groups = tree_info
            .iter()
            .map(|&g| {
                usize::try_from(g)
                    .ok()
                    .filter(|&g| g < n_groups)
                    .ok_or_else(|| corrupt(format!("tree group {g} out of range")))
            })
            .collect::<Result<Vec<usize>, _>>()?;
        if let Some(w) = &dart_weights {
            if w.len() != num_trees {
                return Err(corrupt(
                    "dart weight_drop does not have one weight per tree",
                ));
            }
        }

        // Trees are placed by their `id`, as GBTreeModel::LoadModel does.
        let mut order = vec![usize::MAX; num_trees];
        for (pos, t) in trees_v.iter().enumerate() {
            let id = t
                .get("id")
                .and_then(Value::as_i64)
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i < num_trees)
                .ok_or_else(|| corrupt(format!("tree {pos} has a bad id")))?;
            if order[id] != usize::MAX {
                return Err(corrupt(format!("two trees have id {id}")));
            }
            order[id] = pos;
        }
        let mut forest = Forest::default();
        for (id, &pos) in order.iter().enumerate() {
            let group = groups[id];
            let base = base_margin[group];
            let w = dart_weights.as_ref().map(|w| w[id]);
            let scale = move |leaf: f32| match (w, dart_mode) {
                (None, _) => leaf,
                (Some(w), DartMode::DMatrix) => leaf * w,
                (Some(w), DartMode::Inplace) => ((base + leaf) - base) * w,
            };
            push_tree(&mut forest, &trees_v[pos], num_feature, group, &scale).map_err(
                |e| match e {
                    XgbError::Corrupt(m) => corrupt(format!("tree {id}: {m}")),
                    other => other,
                },
            )?;
        }

        let iteration_indptr = match model.get("iteration_indptr") {
            Some(v) => {
                let raw = v
                    .to_i64_vec()
                    .ok_or_else(|| corrupt("iteration_indptr is not an integer array"))?;
                let ok = raw.first() == Some(&0)
                    && raw.last() == Some(&(num_trees as i64))
                    && raw.windows(2).all(|w| w[0] <= w[1]);
                if !ok {
                    return Err(corrupt("iteration_indptr does not cover the trees"));
                }
                raw.into_iter().map(|x| x as usize).collect()
            }
            None => {
                // MakeIndptr for models saved before the field existed.
                let npt = non_negative(
                    param_int(gparam, "num_parallel_tree", "gbtree_model_param")?.unwrap_or(1),
                    "num_parallel_tree",
                )?;
                let groups_used = groups.iter().max().map_or(1, |g| g + 1);
                let layer = npt.max(1) * groups_used;
                let rounds = num_trees / layer;
                let mut v: Vec<usize> = (0..=rounds).map(|r| r * layer).collect();
                if v.last() != Some(&num_trees) {
                    return Err(corrupt("trees do not fill whole boosting rounds"));
                }
                v.shrink_to_fit();
                v
            }
        };

        let mut attributes = BTreeMap::new();
        if let Some(attrs) = learner.get("attributes").and_then(Value::as_object) {
            for (k, v) in attrs {
                let s = v
                    .as_str()
                    .ok_or_else(|| corrupt(format!("attribute {k:?} is not a string")))?;
                attributes.insert(k.clone(), s.to_owned());
            }
        }
        let strings = |key: &str| -> Result<Option<Vec<String>>, XgbError> {
            match learner.get(key) {
                None => Ok(None),
                Some(v) => v
                    .to_string_vec()
                    .map(|names| (!names.is_empty()).then_some(names))
                    .ok_or_else(|| corrupt(format!("{key} is not a list of strings"))),
            }
        };
        let feature_names = strings("feature_names")?;
        let feature_types = strings("feature_types")?;
        for (what, list) in [
            ("feature_names", &feature_names),
            ("feature_types", &feature_types),
        ] {
            if let Some(l) = list {
                if l.len() != num_feature {
                    return Err(XgbError::unsupported(format!(
                        "XGBoost model has {} {what} for {num_feature} features",
                        l.len()
                    )));
                }
            }
        }
        let categorical_inputs = match model.get("cats") {
            Some(cats) => categorical_features(cats)?,
            None => Vec::new(),
        };

        Ok(Booster {
            num_feature,
            feature_names,
            feature_types,
            objective,
            num_class,
            n_groups,
            base_margin,
            forest,
            iteration_indptr,
            attributes,
            categorical_inputs,
        })
    }

    pub(crate) fn boosted_rounds(&self) -> usize {
        self.iteration_indptr.len().saturating_sub(1)
    }

    /// Number of leading trees used when predicting `rounds` boosting rounds
    /// (`LayerToTree(0, rounds)`); `None` for all rounds.
    pub(crate) fn tree_end(&self, rounds: Option<usize>) -> Result<usize, XgbError> {
        let r = rounds.unwrap_or(self.boosted_rounds());
        self.iteration_indptr
            .get(r)
            .copied()
            .ok_or_else(|| corrupt("Out of range for tree layers."))
    }
}

/// Features with recorded categories in `cats.enc` (CatContainer::Load): a
/// string column with offsets, or a numeric column with values.
fn categorical_features(cats: &Value) -> Result<Vec<usize>, XgbError> {
    let Some(enc) = cats.get("enc") else {
        return Ok(Vec::new());
    };
    let columns = enc
        .as_array()
        .or_else(|| (enc.array_len() == Some(0)).then_some(&[][..]))
        .ok_or_else(|| corrupt("cats.enc is not an array"))?;
    let mut out = Vec::new();
    for (f, col) in columns.iter().enumerate() {
        let non_empty = match col.get("offsets") {
            Some(off) => off.array_len().is_some_and(|n| n > 0),
            None => col
                .get("values")
                .and_then(Value::array_len)
                .is_some_and(|n| n > 0),
        };
        if non_empty {
            out.push(f);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_score_forms() {
        assert_eq!(parse_base_score("5E-1").unwrap(), vec![0.5]);
        assert_eq!(parse_base_score("[5.4E-1]").unwrap(), vec![0.54]);
        assert_eq!(parse_base_score("( 1 , 2.5E0 )").unwrap(), vec![1.0, 2.5]);
        assert!(parse_base_score("[x]").is_err());
        assert!(parse_base_score("").is_err());
    }
}
