//! `GradientBoostingClassifier` / `GradientBoostingRegressor`
//! (sklearn/ensemble/_gb.py, _gradient_boosting.pyx `predict_stages`).

use super::flat::{RawTree, TreeSet};
use super::npmath::{self, argmax};
use crate::error::SklearnError;

/// The loss, as far as prediction cares: how raw scores become answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GbLoss {
    /// Regression losses (squared_error, absolute_error, huber, quantile):
    /// identity link.
    Regression,
    /// log_loss with two classes: `HalfBinomialLoss`, `expit(raw)`.
    Binomial,
    /// exponential: `ExponentialLoss`, `expit(2 * raw)`.
    Exponential,
    /// log_loss with K > 2 classes: `HalfMultinomialLoss`, softmax.
    Multinomial,
}

/// The fitted `init_` estimator, reduced to what it contributes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GbInit {
    /// `init='zero'`: raw scores start at `0.0`.
    Zero,
    /// A `DummyRegressor`: its `constant_` (regression).
    Constant(f64),
    /// A `DummyClassifier`: the class probabilities its `predict_proba`
    /// gives every row, before the clip and link `_init_raw_predictions`
    /// applies.
    Proba(Vec<f64>),
}

#[derive(Debug, Clone)]
pub(crate) struct GradientBoosting {
    trees: TreeSet,
    /// `n_trees_per_iteration_`: 1, or the class count for multinomial.
    k: usize,
    /// Raw score every row starts from (length `k`).
    init: Vec<f64>,
    loss: GbLoss,
    n_features: usize,
}

impl GradientBoosting {
    /// `stages` is `estimators_` in C order (`[n_stages, k]`), each a
    /// single-output regression tree.
    pub(crate) fn build(
        loss: GbLoss,
        k: usize,
        n_features: usize,
        learning_rate: f64,
        init: &GbInit,
        stages: &[RawTree],
    ) -> Result<GradientBoosting, SklearnError> {
        if k == 0 || !stages.len().is_multiple_of(k) {
            return Err(SklearnError::invalid(
                "estimators_ is not [n_stages, n_trees_per_iteration_]",
            ));
        }
        let want_k = match loss {
            GbLoss::Multinomial => k,
            _ => 1,
        };
        if k != want_k || (loss == GbLoss::Multinomial && k < 3) {
            return Err(SklearnError::invalid(
                "n_trees_per_iteration_ does not fit the loss",
            ));
        }
        if n_features == 0 {
            return Err(SklearnError::invalid("the model has no features"));
        }
        let init = init_raw(loss, k, init)?;
        let mut trees = TreeSet::new(1, n_features);
        for tree in stages {
            // `out += scale * value`: the product is the same double whether
            // it is taken now or per row.
            trees.push(tree, [1, 1], |v, out| out.push(learning_rate * v[0]))?;
        }
        Ok(GradientBoosting {
            trees,
            k,
            init,
            loss,
            n_features,
        })
    }

    pub(crate) fn loss(&self) -> GbLoss {
        self.loss
    }

    /// `_raw_predict`: `[rows, k]` raw scores.
    pub(crate) fn raw(&self, x: &[f32]) -> Vec<f64> {
        let rows = x.len() / self.n_features;
        let k = self.k;
        let mut acc = Vec::with_capacity(rows * k);
        for _ in 0..rows {
            acc.extend_from_slice(&self.init);
        }
        self.trees.accumulate(x, &mut acc, k, |a, t, leaf| {
            a[t % k] += leaf[0];
        });
        acc
    }

    /// `predict` of a classifier: the class index per row.
    pub(crate) fn class_indices(&self, raw: &[f64]) -> Vec<usize> {
        if self.k == 1 {
            // `(raw >= 0).astype(int)`
            raw.iter().map(|&r| usize::from(r >= 0.0)).collect()
        } else {
            raw.chunks_exact(self.k).map(argmax).collect()
        }
    }

    /// `predict_proba`: `[rows, n_classes]`.
    pub(crate) fn proba(&self, raw: &[f64]) -> Vec<f64> {
        match self.loss {
            GbLoss::Binomial | GbLoss::Exponential => {
                let mut out = Vec::with_capacity(raw.len() * 2);
                for &r in raw {
                    let p1 = if self.loss == GbLoss::Binomial {
                        npmath::expit(r)
                    } else {
                        npmath::expit(2.0 * r)
                    };
                    out.push(1.0 - p1);
                    out.push(p1);
                }
                out
            }
            GbLoss::Multinomial => {
                let mut out = raw.to_vec();
                npmath::softmax_rows(&mut out, self.k);
                out
            }
            GbLoss::Regression => raw.to_vec(),
        }
    }
}

/// `_init_raw_predictions` for one row (every row gets the same).
fn init_raw(loss: GbLoss, k: usize, init: &GbInit) -> Result<Vec<f64>, SklearnError> {
    match (init, loss) {
        (GbInit::Zero, _) => Ok(vec![0.0; k]),
        (GbInit::Constant(c), GbLoss::Regression) => Ok(vec![*c]),
        (GbInit::Proba(p), GbLoss::Binomial | GbLoss::Exponential) if p.len() == 2 => {
            let p1 = clip_proba(p[1]);
            let l = npmath::logit(p1);
            Ok(vec![if loss == GbLoss::Binomial { l } else { 0.5 * l }])
        }
        (GbInit::Proba(p), GbLoss::Multinomial) if p.len() == k => {
            // MultinomialLogit.link: log(p / gmean(p)), gmean = exp(mean(log p)).
            let clipped: Vec<f64> = p.iter().map(|&v| clip_proba(v)).collect();
            let mut logs = clipped.clone();
            npmath::np_log(&mut logs);
            let mut gm = [npmath::pairwise_sum(&logs) / k as f64];
            npmath::np_exp(&mut gm);
            let mut out: Vec<f64> = clipped.iter().map(|&v| v / gm[0]).collect();
            npmath::np_log(&mut out);
            Ok(out)
        }
        _ => Err(SklearnError::invalid(
            "the init_ estimator does not fit the loss",
        )),
    }
}

/// `np.clip(p, eps, 1 - eps)` with float64 machine epsilon.
fn clip_proba(p: f64) -> f64 {
    let eps = f64::EPSILON;
    // np.clip propagates NaN; min/max would drop it.
    if p.is_nan() {
        p
    } else {
        p.max(eps).min(1.0 - eps)
    }
}
