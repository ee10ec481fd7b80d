//! Linear models: `X @ coef_.T + intercept_` and what sklearn derives from it
//! (sklearn/linear_model/_base.py, _logistic.py, _ridge.py,
//! _coordinate_descent.py, _stochastic_gradient.py).

use mlflowrs_flavor_api::{DType, Tensor, TensorData};
use mlflowrs_skops::{ArrayData, Node};

use crate::blas;
use crate::classes::Classes;
use crate::error::{EvalError, SklearnError};
use crate::estimator::{Estimator, Method, Predictor};
use crate::npfn;
use crate::registry::{LoadCtx, Registry};
use crate::table::Table;
use crate::validate::{validate_columns, FloatTarget, InputSpec, NanPolicy};

pub(crate) fn register(r: &mut Registry) {
    for name in [
        "sklearn.linear_model._base.LinearRegression",
        "sklearn.linear_model._ridge.Ridge",
        "sklearn.linear_model._coordinate_descent.Lasso",
        "sklearn.linear_model._coordinate_descent.ElasticNet",
        "sklearn.linear_model._stochastic_gradient.SGDRegressor",
    ] {
        r.add(name, build_regressor);
    }
    for name in [
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.linear_model._ridge.RidgeClassifier",
        "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    ] {
        r.add(name, build_classifier);
    }
    // Data inside the classifiers above, read (or ignored) by their builders.
    r.add_aux("sklearn.preprocessing._label.LabelBinarizer");
    for loss in [
        "sklearn._loss._loss.CyAbsoluteError",
        "sklearn._loss._loss.CyExponentialLoss",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss._loss.CyHalfGammaLoss",
        "sklearn._loss._loss.CyHalfMultinomialLoss",
        "sklearn._loss._loss.CyHalfPoissonLoss",
        "sklearn._loss._loss.CyHalfSquaredError",
        "sklearn._loss._loss.CyHalfTweedieLoss",
        "sklearn._loss._loss.CyHalfTweedieLossIdentity",
        "sklearn._loss._loss.CyHuberLoss",
        "sklearn._loss._loss.CyPinballLoss",
        "sklearn.linear_model._sgd_fast.EpsilonInsensitive",
        "sklearn.linear_model._sgd_fast.Hinge",
        "sklearn.linear_model._sgd_fast.ModifiedHuber",
        "sklearn.linear_model._sgd_fast.SquaredEpsilonInsensitive",
        "sklearn.linear_model._sgd_fast.SquaredHinge",
    ] {
        r.add_aux(loss);
    }
}

/// `feature_names_in_` / `n_features_in_` of a fitted estimator.
pub(crate) fn fitted_features(
    node: &Node,
) -> Result<(Option<Vec<String>>, Option<usize>), SklearnError> {
    let names = match node.get("feature_names_in_") {
        Some(n) if !n.is_none() => Some(n.str_list()?),
        _ => None,
    };
    let n = match node.get("n_features_in_") {
        Some(n) if !n.is_none() => Some(
            usize::try_from(n.i64()?)
                .map_err(|_| SklearnError::invalid("negative n_features_in_"))?,
        ),
        _ => None,
    };
    if let (Some(names), Some(n)) = (&names, n) {
        if names.len() != n {
            return Err(SklearnError::invalid(
                "feature_names_in_ and n_features_in_ disagree",
            ));
        }
    }
    Ok((names, n))
}

/// A float64 array attribute (float32 is refused: sklearn would then
/// compute in float32, which this crate does not reproduce).
pub(crate) fn f64_array(node: &Node, what: &str) -> Result<(Vec<f64>, Vec<usize>), SklearnError> {
    let a = node
        .array()
        .map_err(|e| SklearnError::unsupported(format!("{what}: {e}")))?;
    let v = match a.data() {
        ArrayData::F64(v) => v.clone(),
        ArrayData::F32(_) => {
            return Err(SklearnError::unsupported(format!(
                "{what} is float32 (model fitted on float32 data)"
            )))
        }
        _ => {
            return Err(SklearnError::unsupported(format!(
                "{what} is a {}",
                a.describe()
            )))
        }
    };
    Ok((v, a.shape().to_vec()))
}

/// A float64 scalar or array attribute.
fn f64_values(node: &Node, what: &str) -> Result<(Vec<f64>, Vec<usize>), SklearnError> {
    if node.as_json().is_some() || node.is_numpy_scalar() {
        return Ok((vec![node.f64()?], vec![]));
    }
    f64_array(node, what)
}

/// How predict_proba turns decision values into probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proba {
    None,
    /// LogisticRegression: expit (binary) or softmax (multinomial).
    Logistic,
    /// `_predict_proba_lr`: expit, stacked (binary) or OvR-normalised.
    OvrExpit,
    /// SGDClassifier(loss="modified_huber").
    ModifiedHuber,
}

#[derive(Debug)]
enum Kind {
    Regressor {
        /// coef_ was 2-D: the answer is `(n, k)`.
        two_d: bool,
    },
    Classifier {
        classes: Classes,
        proba: Proba,
    },
}

/// A fitted linear model.
#[derive(Debug)]
pub struct Linear {
    name: String,
    spec: InputSpec,
    /// `(k, d)` row-major.
    coef: Vec<f64>,
    k: usize,
    d: usize,
    /// `k` values (a scalar intercept is broadcast).
    intercept: Vec<f64>,
    /// coef_ was Fortran-ordered in the file (changes numpy's BLAS call).
    coef_fortran: bool,
    kind: Kind,
}

/// coef_ (row-major), its `(k, d)`, whether it was 2-D, the intercept per
/// output, and whether the file stored coef_ Fortran-ordered.
type Coef = (Vec<f64>, usize, usize, bool, Vec<f64>, bool);

fn read_coef(node: &Node, name: &str) -> Result<Coef, SklearnError> {
    let coef_node = node.attr("coef_")?;
    let fortran = coef_node.as_array().is_some_and(|a| a.fortran_order());
    let (coef, shape) = f64_array(coef_node, "coef_")?;
    let (k, d, two_d) = match shape.as_slice() {
        [d] => (1, *d, false),
        [k, d] => (*k, *d, true),
        _ => {
            return Err(SklearnError::invalid(format!(
                "{name}.coef_ has shape {shape:?}"
            )))
        }
    };
    if k == 0 {
        return Err(SklearnError::invalid(format!("{name}.coef_ is empty")));
    }
    let (icpt, ishape) = f64_values(node.attr("intercept_")?, "intercept_")?;
    let intercept = match (ishape.as_slice(), icpt.len()) {
        ([], 1) | ([1], 1) => vec![icpt[0]; k],
        ([n], _) if *n == k => icpt,
        _ => {
            return Err(SklearnError::invalid(format!(
                "{name}.intercept_ of shape {ishape:?} does not match coef_ {shape:?}"
            )))
        }
    };
    Ok((coef, k, d, two_d, intercept, fortran))
}

fn spec_for(node: &Node, name: &str, d: usize) -> Result<InputSpec, SklearnError> {
    let (names, n) = fitted_features(node)?;
    if n.is_some_and(|n| n != d) {
        return Err(SklearnError::invalid(format!(
            "{name}.n_features_in_ does not match coef_"
        )));
    }
    Ok(InputSpec {
        estimator: name.to_owned(),
        feature_names_in: names,
        n_features_in: Some(n.unwrap_or(d)),
        dtype: FloatTarget::Numeric,
        nan: NanPolicy::Reject,
    })
}

fn build_regressor(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    let name = node.class().to_owned();
    let (coef, k, d, two_d, intercept, coef_fortran) = read_coef(node, &name)?;
    let spec = spec_for(node, &name, d)?;
    // SGDRegressor ravels `(n, 1)` scores; its coef_ is 1-D anyway.
    Ok(Estimator::Predictor(Box::new(Linear {
        name,
        spec,
        coef,
        k,
        d,
        intercept,
        coef_fortran,
        kind: Kind::Regressor { two_d },
    })))
}

fn build_classifier(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    let name = node.class().to_owned();
    // RidgeClassifier keeps a 1-D coef_ for two classes; sklearn's
    // decision_function handles both shapes alike.
    let (coef, k, d, _two_d, intercept, coef_fortran) = read_coef(node, &name)?;
    let classes_node = match node.get("classes_") {
        Some(c) => c,
        None => node.attr("_label_binarizer")?.attr("classes_")?,
    };
    let classes = Classes::from_node(classes_node)?;
    let n_classes = classes.len();
    let expected_k = if n_classes <= 2 { 1 } else { n_classes };
    if n_classes < 2 || k != expected_k {
        return Err(SklearnError::invalid(format!(
            "{name} has {n_classes} classes but coef_ has {k} rows"
        )));
    }
    let proba = match name.as_str() {
        "LogisticRegression" => Proba::Logistic,
        "SGDClassifier" => match node.attr("loss")?.str()? {
            "log_loss" => Proba::OvrExpit,
            "modified_huber" => Proba::ModifiedHuber,
            _ => Proba::None,
        },
        _ => Proba::None,
    };
    if name == "RidgeClassifier" {
        if let Some(lb) = node.get("_label_binarizer") {
            if let Some(t) = lb.get("y_type_") {
                if t.str()?.starts_with("multilabel") {
                    return Err(SklearnError::unsupported(
                        "multilabel RidgeClassifier is not served natively",
                    ));
                }
            }
        }
    }
    let spec = spec_for(node, &name, d)?;
    Ok(Estimator::Predictor(Box::new(Linear {
        name,
        spec,
        coef,
        k,
        d,
        intercept,
        coef_fortran,
        kind: Kind::Classifier { classes, proba },
    })))
}

impl Linear {
    /// `safe_sparse_dot(X, coef_.T) + intercept_`, `(n, k)` row-major.
    fn decision(&self, x: &Table) -> Result<(usize, Vec<f64>), EvalError> {
        let m = validate_columns(x, &self.spec)?;
        if m.cols != self.d {
            return Err(EvalError(format!(
                "X has {} features, but {} is expecting {} features as input.",
                m.cols, self.name, self.d
            )));
        }
        let mut out = blas::matmat_t(&m, &self.coef, self.k, self.coef_fortran);
        for row in out.chunks_exact_mut(self.k) {
            for (v, b) in row.iter_mut().zip(&self.intercept) {
                *v += b;
            }
        }
        Ok((m.rows, out))
    }

    fn proba(&self, proba: Proba, n: usize, scores: Vec<f64>) -> Tensor {
        let k = self.k;
        let mut out;
        let cols;
        match (proba, k) {
            (Proba::Logistic | Proba::OvrExpit, 1) => {
                cols = 2;
                out = Vec::with_capacity(n * 2);
                for s in scores {
                    let p = npfn::expit(s);
                    out.push(1.0 - p);
                    out.push(p);
                }
            }
            (Proba::Logistic, _) => {
                cols = k;
                out = scores;
                npfn::softmax_rows(&mut out, k);
            }
            (Proba::OvrExpit, _) => {
                cols = k;
                out = scores.into_iter().map(npfn::expit).collect();
                normalize_rows(&mut out, k);
            }
            (Proba::ModifiedHuber, 1) => {
                cols = 2;
                out = Vec::with_capacity(n * 2);
                for s in scores {
                    let p = (clip(s) + 1.0) / 2.0;
                    out.push(1.0 - p);
                    out.push(p);
                }
            }
            (Proba::ModifiedHuber, _) => {
                cols = k;
                out = scores.into_iter().map(|s| (clip(s) + 1.0) / 2.0).collect();
                normalize_rows(&mut out, k);
            }
            (Proba::None, _) => {
                cols = k;
                out = scores;
            }
        }
        Tensor {
            shape: vec![n, cols],
            data: TensorData::F64(out),
        }
    }
}

/// `np.clip(x, -1, 1)` (NaN stays NaN).
fn clip(x: f64) -> f64 {
    x.clamp(-1.0, 1.0)
}

/// `prob /= prob.sum(axis=1)`, with all-zero rows made uniform.
fn normalize_rows(p: &mut [f64], k: usize) {
    for row in p.chunks_exact_mut(k) {
        let mut sum = npfn::pairwise_sum(row);
        if sum == 0.0 {
            row.iter_mut().for_each(|v| *v = 1.0);
            sum = k as f64;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
}

impl Predictor for Linear {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, method: Method) -> bool {
        match (&self.kind, method) {
            (_, Method::Predict) => true,
            (Kind::Classifier { proba, .. }, _) => *proba != Proba::None,
            (Kind::Regressor { .. }, _) => false,
        }
    }

    fn call(&self, method: Method, x: &Table) -> Result<Tensor, EvalError> {
        let (n, scores) = self.decision(x)?;
        match (&self.kind, method) {
            (Kind::Regressor { two_d }, Method::Predict) => Ok(if *two_d {
                Tensor {
                    shape: vec![n, self.k],
                    data: TensorData::F64(scores),
                }
            } else {
                Tensor {
                    shape: vec![n],
                    data: TensorData::F64(scores),
                }
            }),
            (Kind::Classifier { classes, .. }, Method::Predict) => {
                let idx: Vec<usize> = if self.k == 1 {
                    scores.iter().map(|&s| usize::from(s > 0.0)).collect()
                } else {
                    scores.chunks_exact(self.k).map(npfn::argmax).collect()
                };
                Ok(Tensor {
                    shape: vec![n],
                    data: classes.take(&idx),
                })
            }
            (Kind::Classifier { proba, .. }, Method::PredictProba) if *proba != Proba::None => {
                Ok(self.proba(*proba, n, scores))
            }
            (Kind::Classifier { proba, .. }, Method::PredictLogProba) if *proba != Proba::None => {
                let mut t = self.proba(*proba, n, scores);
                if let TensorData::F64(v) = &mut t.data {
                    npfn::np_log(v);
                }
                Ok(t)
            }
            _ => Err(EvalError(format!(
                "'{}' object has no attribute '{}'",
                self.name,
                method.name()
            ))),
        }
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.spec.feature_names_in.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        self.spec.n_features_in
    }

    fn output_dtype(&self, method: Method) -> Option<DType> {
        match (&self.kind, method) {
            (Kind::Classifier { classes, .. }, Method::Predict) => Some(classes.labels().dtype()),
            _ => Some(DType::F64),
        }
    }
}
