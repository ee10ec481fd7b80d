//! Native evaluation of scikit-learn's tree models: DecisionTree*,
//! ExtraTree*, RandomForest*, ExtraTrees*, GradientBoosting* and
//! HistGradientBoosting* (classifiers and regressors).
//!
//! - `build`: the registry entries, skops node -> model (`read` pulls the
//!   arrays out, `hgb_pre` the categorical preprocessor of HistGB).
//! - `flat` (+ `layout`): sklearn `Tree` objects compiled into one checked,
//!   breadth-first node array walked 8 rows at a time; `forest` and `gb`
//!   combine its leaves as forests and gradient boosting do.
//! - `hgb`: HistGradientBoosting's `TreePredictor` nodes, same layout.
//! - `model`: the `Predictor` (validation, outputs in sklearn's dtypes).
//! - `npmath`: NumPy/SciPy float64 math reproduced bit for bit (SVML
//!   exp/log on AVX-512, pairwise sums, expit, logit, softmax).

mod build;
mod flat;
mod forest;
mod gb;
mod hgb;
mod hgb_pre;
mod layout;
mod model;
pub(crate) mod npmath;
mod read;
mod svml_tables;

pub(crate) use build::register;
