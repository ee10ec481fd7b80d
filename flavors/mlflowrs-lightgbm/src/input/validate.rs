//! scikit-learn's checks on a numpy array given to an LGBM estimator.

use mlflowrs_flavor_api::{FlavorError, Tensor, TensorData};

use super::shared::err;
use crate::numpy_str::numpy_str;

/// `sklearn.utils.validation.validate_data(est, X, reset=False, accept_sparse=True,
/// ensure_all_finite=False, ensure_min_samples=1)` on a numpy array.
pub(super) fn validate_data(
    t: &Tensor,
    class: &str,
    n_features_in: usize,
) -> Result<(), FlavorError> {
    let ndim = t.shape.len();
    if ndim == 0 {
        return Err(err(format!(
            "Expected 2D array, got scalar array instead:\narray={}.\n\
             Reshape your data either using array.reshape(-1, 1) if your data has a single feature \
             or array.reshape(1, -1) if it contains a single sample.",
            numpy_str(&t.data)
        )));
    }
    if ndim == 1 {
        return Err(err(format!(
            "Expected 2D array, got 1D array instead:\narray={}.\n\
             Reshape your data either using array.reshape(-1, 1) if your data has a single feature \
             or array.reshape(1, -1) if it contains a single sample.",
            numpy_str(&t.data)
        )));
    }
    if matches!(t.data, TensorData::Str(_)) {
        return Err(err(
            "dtype='numeric' is not compatible with arrays of bytes/strings.\
             Convert your data to numeric values explicitly instead.",
        ));
    }
    if ndim >= 3 {
        return Err(err(format!(
            "Found array with dim {ndim}, while dim <= 2 is required by {class}."
        )));
    }
    let (rows, ncol) = (t.shape[0], t.shape[1]);
    if rows < 1 {
        return Err(err(format!(
            "Found array with {rows} sample(s) (shape=({rows}, {ncol})) while a minimum of 1 is required by {class}."
        )));
    }
    if ncol < 1 {
        return Err(err(format!(
            "Found array with {ncol} feature(s) (shape=({rows}, {ncol})) while a minimum of 1 is required by {class}."
        )));
    }
    if ncol != n_features_in {
        return Err(err(format!(
            "X has {ncol} features, but {class} is expecting {n_features_in} features as input."
        )));
    }
    Ok(())
}
