//! Native evaluation of scikit-learn's tree models.
//!
//! * [`flat`]: sklearn `Tree` objects compiled into one checked node array.
//! * [`forest`]: DecisionTree*/ExtraTree* and RandomForest*/ExtraTrees*.
//! * [`gb`]: GradientBoosting*.
//! * [`hgb`]: HistGradientBoosting*.
//! * [`npmath`]: NumPy/SciPy float64 math reproduced bit for bit.

mod build;
mod flat;
mod forest;
mod gb;
mod hgb;
mod hgb_pre;
mod model;
mod npmath;
mod read;
mod svml_tables;

pub(crate) use build::register;

/// Why a tree model could not be built (mapped onto the crate's error type
/// at the boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TreeError {
    /// The file contradicts itself or sklearn's invariants.
    Corrupt(String),
    /// Well-formed, but not served natively.
    Unsupported(String),
}

impl TreeError {
    pub(crate) fn corrupt(msg: impl Into<String>) -> TreeError {
        TreeError::Corrupt(msg.into())
    }

    pub(crate) fn unsupported(msg: impl Into<String>) -> TreeError {
        TreeError::Unsupported(msg.into())
    }
}
