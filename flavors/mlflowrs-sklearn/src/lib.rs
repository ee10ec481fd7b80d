//! scikit-learn models saved by `mlflow.sklearn` (skops format), evaluated
//! natively with the answers MLflow's pyfunc wrapper (`_SklearnModelWrapper`)
//! gives.
//!
//! * [`SklearnModel::load`] / [`SklearnModel::load_with`] read a `model.skops`
//!   archive, refuse anything outside the registry ([`registry`]) with
//!   [`SklearnError::Unsupported`], and build the estimator tree.
//! * [`SklearnModel`] implements [`mlflowrs_flavor_api::Flavor`]: feeds are
//!   mapped to a pandas-like [`Table`] and passed to the estimator's
//!   `predict`/`predict_proba`/`predict_log_proba`.
//!
//! Estimators implement the traits of [`estimator`]; the classes served are
//! registered in `catalog::registry`:
//!
//! * linear models ([`linear`]): LinearRegression, Ridge, Lasso, ElasticNet,
//!   SGDRegressor, LogisticRegression, RidgeClassifier, SGDClassifier
//!   (predict; predict_proba / predict_log_proba where sklearn has them);
//! * preprocessing ([`preprocessing`]): StandardScaler, MinMaxScaler,
//!   SimpleImputer, OneHotEncoder;
//! * composition ([`compose`], [`pipeline`]): ColumnTransformer (with
//!   passthrough/drop/remainder), Pipeline;
//! * tree models (src/trees, registered by `trees::register`).
//!
//! `X @ coef_.T` follows OpenBLAS's summation order ([`blas`]), so answers
//! match numpy bit for bit except in the cases documented there.

pub mod blas;
mod catalog;
pub mod classes;
pub mod compose;
pub mod error;
pub mod estimator;
mod input;
pub mod linear;
mod model;
mod npfn;
pub mod nprepr;
pub mod pipeline;
pub mod preprocessing;
pub mod pyrepr;
pub mod registry;
pub mod table;
mod trees;
pub mod validate;

pub use error::{EvalError, SklearnError};
pub use estimator::{Estimator, Method, Predictor, Transformer};
pub use model::{check_serialization_format, LoadOptions, SklearnModel};
pub use table::{Column, Matrix, Table};
