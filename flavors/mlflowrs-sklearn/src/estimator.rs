//! The estimator abstraction every natively served scikit-learn class
//! implements, and the data that flows between pipeline steps.
//!
//! A fitted estimator is built once from its skops node (see
//! [`crate::registry`]) into an [`Estimator`]: a [`Transformer`] (table in,
//! table out: scalers, encoders, imputers, ColumnTransformer) or a
//! [`Predictor`] (the last step: linear models, trees, a Pipeline). Both are
//! immutable after load and shared across threads.
//!
//! Input validation follows sklearn's `validate_data`/`check_array`: each
//! estimator declares an [`InputSpec`] and calls [`crate::validate::validate`]
//! (row-major [`Matrix`]) or [`crate::validate::validate_columns`]
//! (column-major [`crate::table::ColMatrix`]) to turn a [`Table`] into
//! numbers (feature-name and count checks, dtype conversion, NaN/inf checks,
//! each with sklearn's error text).
//!
//! Registering a class: add a [`crate::registry::BuildFn`] for its
//! `module.Class` in a `register(r: &mut Registry)` function called from
//! `crate::catalog::registry`; types that only appear as data
//! inside a registered estimator go in with `Registry::add_aux`.

use std::fmt::Debug;

use mlflowrs_flavor_api::{DType, Tensor};

pub use crate::classes::Classes;
pub use crate::error::{EvalError, SklearnError};
pub use crate::table::{Column, Matrix, Table};
pub use crate::validate::{FloatTarget, InputSpec, NanPolicy};

/// The method MLflow's pyfunc calls (`predict_fn` of the MLmodel's
/// python_function flavor; `_SklearnModelWrapper` exposes only these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Predict,
    PredictProba,
    PredictLogProba,
}

impl Method {
    /// Parses a `predict_fn` value; `None` for methods not served natively
    /// (`predict_joint_log_proba`, `score`, anything else).
    pub fn from_predict_fn(name: &str) -> Option<Method> {
        match name {
            "predict" => Some(Method::Predict),
            "predict_proba" => Some(Method::PredictProba),
            "predict_log_proba" => Some(Method::PredictLogProba),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Predict => "predict",
            Method::PredictProba => "predict_proba",
            Method::PredictLogProba => "predict_log_proba",
        }
    }
}

/// A final estimator: X -> predictions.
///
/// `predict` receives X exactly as the estimator's own `predict` receives it
/// (a DataFrame at the top level, an ndarray inside a Pipeline) and does its
/// own validation (usually `validate(x, self.input_spec())`).
pub trait Predictor: Send + Sync + Debug {
    /// The class name for messages (`LogisticRegression`).
    fn name(&self) -> &str;

    /// Whether `method` exists on this estimator *as fitted* (sklearn hides
    /// `predict_proba` of e.g. `SGDClassifier(loss="hinge")`); checked at load
    /// time so an unsupported `predict_fn` falls back to Python.
    fn supports(&self, method: Method) -> bool;

    /// Runs `method` on `x`. The output is what sklearn returns: shape
    /// `[rows]` or `[rows, k]`, dtype F64 for values/probabilities, and the
    /// `classes_` dtype (I64, F64, Bool, Str) for labels.
    fn call(&self, method: Method, x: &Table) -> Result<Tensor, EvalError>;

    /// The features a DataFrame must have (`feature_names_in_`), if known.
    fn feature_names_in(&self) -> Option<&[String]>;

    /// `n_features_in_`, if known.
    fn n_features_in(&self) -> Option<usize>;

    /// The dtype of each input feature, for [`mlflowrs_flavor_api::Flavor::inputs`]
    /// (`None`: all float64).
    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        None
    }

    /// The dtype `method` answers with (`None`: not known up front).
    fn output_dtype(&self, method: Method) -> Option<DType> {
        let _ = method;
        None
    }
}

/// A transformer step: table in, table out (sklearn's `transform`).
pub trait Transformer: Send + Sync + Debug {
    fn name(&self) -> &str;

    /// sklearn's `transform(X)`. The output is an ndarray (names `None`),
    /// as sklearn returns without `set_output(transform="pandas")`.
    fn transform(&self, x: &Table) -> Result<Table, EvalError>;

    fn feature_names_in(&self) -> Option<&[String]>;

    fn n_features_in(&self) -> Option<usize>;

    /// The dtype each input feature should have (`None`: all float64).
    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        None
    }
}

/// A loaded estimator of either kind.
#[derive(Debug)]
pub enum Estimator {
    Transformer(Box<dyn Transformer>),
    Predictor(Box<dyn Predictor>),
}

impl Estimator {
    pub fn name(&self) -> &str {
        match self {
            Estimator::Transformer(t) => t.name(),
            Estimator::Predictor(p) => p.name(),
        }
    }
}
