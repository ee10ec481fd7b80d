//! Decision trees and forests of them: `DecisionTree*`, `ExtraTree*`,
//! `RandomForest*`, `ExtraTrees*` (sklearn/tree/_classes.py,
//! sklearn/ensemble/_forest.py).

use super::flat::{RawTree, TreeSet};
use super::npmath::argmax;
use crate::error::SklearnError;

/// How leaf values combine into the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Combine {
    /// A lone tree: its leaf value as stored (no `0.0 +`, so a `-0.0`
    /// regression leaf stays `-0.0` as sklearn returns it).
    Single,
    /// A forest: `zeros` plus each tree in order, then `/= n_estimators`
    /// (`_accumulate_prediction` with `n_jobs=1`; with more jobs sklearn
    /// adds trees in completion order, which may change the last bit).
    Mean,
}

/// A fitted tree or forest, classifier or regressor.
#[derive(Debug, Clone)]
pub(crate) struct TreeEnsemble {
    trees: TreeSet,
    combine: Combine,
    n_features: usize,
    /// Per output: the class count (classifier) or `None` (regressor).
    n_classes: Option<Vec<usize>>,
    n_outputs: usize,
}

/// What [`TreeEnsemble::build`] needs besides the trees.
#[derive(Debug, Clone)]
pub(crate) struct EnsembleSpec {
    pub combine: Combine,
    pub n_features: usize,
    pub n_outputs: usize,
    /// Classes per output for a classifier; `None` for a regressor.
    pub n_classes: Option<Vec<usize>>,
}

impl TreeEnsemble {
    /// Checks and compiles `trees`; each one's `values` must have the shape
    /// `[nodes, n_outputs, max(n_classes)]` (`[nodes, n_outputs, 1]` for
    /// regression).
    pub(crate) fn build(
        spec: EnsembleSpec,
        trees: &[RawTree],
    ) -> Result<TreeEnsemble, SklearnError> {
        if trees.is_empty() {
            return Err(SklearnError::invalid("the ensemble has no trees"));
        }
        if spec.combine == Combine::Single && trees.len() != 1 {
            return Err(SklearnError::invalid(
                "a single decision tree holds several trees",
            ));
        }
        if spec.n_outputs == 0 || spec.n_features == 0 {
            return Err(SklearnError::invalid(
                "the model has no outputs or no features",
            ));
        }
        let (max_classes, stride) = match &spec.n_classes {
            Some(nc) => {
                if nc.len() != spec.n_outputs || nc.contains(&0) {
                    return Err(SklearnError::invalid(
                        "n_classes_ does not match n_outputs_",
                    ));
                }
                let max = nc.iter().copied().max().unwrap_or(1);
                let sum = nc
                    .iter()
                    .try_fold(0usize, |a, &c| a.checked_add(c))
                    .ok_or_else(|| SklearnError::invalid("n_classes_ is huge"))?;
                (max, sum)
            }
            None => (1, spec.n_outputs),
        };
        let mut set = TreeSet::new(stride, spec.n_features);
        let n_classes = spec.n_classes.clone();
        let n_outputs = spec.n_outputs;
        for tree in trees {
            // Keep the columns predict_proba reads: `value[:, k, :n_classes[k]]`.
            set.push(tree, [n_outputs, max_classes], |v, out| match &n_classes {
                Some(nc) => {
                    for (k, &c) in nc.iter().enumerate() {
                        out.extend_from_slice(&v[k * max_classes..k * max_classes + c]);
                    }
                }
                None => out.extend_from_slice(v),
            })?;
        }
        Ok(TreeEnsemble {
            trees: set,
            combine: spec.combine,
            n_features: spec.n_features,
            n_classes: spec.n_classes,
            n_outputs: spec.n_outputs,
        })
    }

    pub(crate) fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    pub(crate) fn n_classes(&self) -> Option<&[usize]> {
        self.n_classes.as_deref()
    }

    /// Per row, the combined leaf values: for a classifier the class
    /// probabilities of every output side by side (`predict_proba`), for a
    /// regressor the `n_outputs` predictions (`predict`). `x` is row-major
    /// float32 with `n_features` columns.
    pub(crate) fn combined(&self, x: &[f32]) -> Vec<f64> {
        let width = self.trees.stride();
        let rows = x.len() / self.n_features;
        let mut acc = vec![0.0; rows * width];
        match self.combine {
            Combine::Single => self.trees.accumulate(x, &mut acc, width, |a, _, leaf| {
                a.copy_from_slice(leaf);
            }),
            Combine::Mean => {
                self.trees.accumulate(x, &mut acc, width, |a, _, leaf| {
                    for (s, v) in a.iter_mut().zip(leaf) {
                        *s += v;
                    }
                });
                let n = self.trees.n_trees() as f64;
                for v in &mut acc {
                    *v /= n;
                }
            }
        }
        acc
    }

    /// Class index per row and output (`argmax` of each output's
    /// probabilities, first maximum wins as in `np.argmax`), row-major
    /// `[rows, n_outputs]`. Empty for a regressor.
    pub(crate) fn class_indices(&self, proba: &[f64]) -> Vec<usize> {
        let Some(nc) = &self.n_classes else {
            return Vec::new();
        };
        let width: usize = nc.iter().sum();
        let rows = proba.len() / width.max(1);
        let mut out = Vec::with_capacity(rows * nc.len());
        for r in 0..rows {
            let row = &proba[r * width..(r + 1) * width];
            let mut at = 0;
            for &c in nc {
                out.push(argmax(&row[at..at + c]));
                at += c;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump(threshold: f64, left: [f64; 2], right: [f64; 2]) -> RawTree {
        RawTree {
            left_child: vec![1, -1, -1],
            right_child: vec![2, -1, -1],
            feature: vec![0, -2, -2],
            threshold: vec![threshold, -2.0, -2.0],
            missing_go_to_left: vec![1, 0, 0],
            values: vec![0.5, 0.5, left[0], left[1], right[0], right[1]],
            values_shape: vec![3, 1, 2],
        }
    }

    #[test]
    fn forest_mean_matches_sklearn_order() {
        let spec = EnsembleSpec {
            combine: Combine::Mean,
            n_features: 1,
            n_outputs: 1,
            n_classes: Some(vec![2]),
        };
        let e = TreeEnsemble::build(
            spec,
            &[
                stump(0.0, [0.1, 0.9], [0.7, 0.3]),
                stump(1.0, [0.2, 0.8], [0.6, 0.4]),
            ],
        )
        .unwrap();
        let p = e.combined(&[-1.0, 0.5, 2.0]);
        assert_eq!(
            p,
            vec![
                (0.1 + 0.2) / 2.0,
                (0.9 + 0.8) / 2.0,
                (0.7 + 0.2) / 2.0,
                (0.3 + 0.8) / 2.0,
                (0.7 + 0.6) / 2.0,
                (0.3 + 0.4) / 2.0
            ]
        );
        assert_eq!(e.class_indices(&p), vec![1, 1, 0]);
    }
}
