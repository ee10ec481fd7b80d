//! LightGBM models saved by `mlflow.lightgbm.save_model`, evaluated natively.
//!
//! * `lightgbm.basic.Booster`: LightGBM's text model file (`model.lgb`).
//! * `lightgbm.sklearn.LGBMClassifier` / `LGBMRegressor` / `LGBMRanker`: a skops
//!   archive holding the estimator's state, whose `_Booster` carries the same
//!   text model as a string.
//!
//! Predictions equal `_LGBModelWrapper.predict(df)` (LightGBM 4.7.0) bit for
//! bit: thresholds and scores in double, LightGBM's missing-value and
//! categorical rules, its summation order and its output transforms.

mod booster;
mod conf;
mod error;
mod input;
mod model;
mod numparse;
mod numpy_str;
mod objective;
mod sklearn;
mod text;
mod tree;

pub use booster::Booster;
pub use conf::{load, FlavorConf, BOOSTER_CLASS};
pub use error::LightGbmError;
pub use model::LightGbmModel;
/// A scikit-learn estimator (`lightgbm.sklearn.LGBMClassifier`,
/// `LGBMRegressor`, `LGBMRanker`) in a skops archive; `trusted` is the
/// MLmodel's `skops_trusted_types`.
pub use sklearn::from_skops;
