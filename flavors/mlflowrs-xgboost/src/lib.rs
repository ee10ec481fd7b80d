//! Native evaluation of XGBoost models saved by `mlflow.xgboost.save_model`
//! (XGBoost 3.2 JSON or UBJSON model files), answering exactly what MLflow's
//! pyfunc wrapper answers: `Booster.predict(DMatrix(df))` for a Booster and
//! the scikit-learn wrapper's `predict` for `XGBClassifier`, `XGBRegressor`,
//! `XGBRanker` and the random-forest variants.
//!
//! Loading never trusts the file: every child, feature and group index is
//! checked once, so evaluation indexes only validated positions. Anything
//! not evaluated natively is an [`XgbError::Unsupported`] naming the reason.

mod booster;
mod class;
mod error;
mod input;
mod json;
mod model;
mod objective;
mod output;
mod predict;
mod pyrepr;
mod tree;
mod ubjson;
mod value;

pub use class::{ModelClass, ModelFormat};
pub use error::XgbError;
pub use model::XgbModel;

/// Loads the model of an MLflow model directory from its `xgboost` flavor
/// configuration (the MLmodel's `flavors.xgboost` mapping).
pub fn load(model_dir: &std::path::Path, flavor: &serde_json::Value) -> Result<XgbModel, XgbError> {
    XgbModel::load(model_dir, flavor)
}
