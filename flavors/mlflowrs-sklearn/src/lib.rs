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
//! listed in [`registry::Registry::global`].

pub mod blas;
pub mod classes;
pub mod compose;
pub mod error;
pub mod estimator;
mod input;
pub mod linear;
mod model;
mod npfn;
pub mod nprepr;
// The tree models' numpy math, shared by the linear models (see npfn.rs).
// TODO(lead): drop these two once src/trees exposes `pub(crate) mod npmath`.
pub mod pipeline;
pub mod preprocessing;
pub mod pyrepr;
pub mod registry;
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "trees/npmath.rs"]
mod shared_npmath;
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "trees/svml_tables.rs"]
mod svml_tables;
pub mod table;
mod trees;
pub mod validate;

pub use error::{EvalError, SklearnError};
pub use estimator::{Estimator, Method, Predictor, Transformer};
pub use model::{check_serialization_format, LoadOptions, SklearnModel};
pub use table::{Column, Matrix, Table};
