//! scikit-learn's input validation (`validate_data` -> `_check_feature_names`,
//! `check_array`, `_check_n_features`; sklearn/utils/validation.py), with its
//! messages, for the paths a served model can take.

use crate::error::EvalError;
use crate::table::{ColMatrix, Column, Layout, Matrix, NpDType, Table, TableKind};

/// The `dtype` argument of `check_array`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatTarget {
    /// `dtype="numeric"`: numbers keep their dtype (object -> float64).
    /// Kernels see float64 values; `Matrix::f32` is set for float32 input.
    Numeric,
    /// `dtype=[np.float64, np.float32]` (FLOAT_DTYPES): float32 stays.
    Float64Or32,
    /// `dtype=np.float64`.
    F64,
    /// `dtype=np.float32` (tree estimators).
    F32,
}

/// The `ensure_all_finite` argument of `check_array`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NanPolicy {
    /// `True`: NaN and infinity are errors.
    Reject,
    /// `"allow-nan"`: infinity is an error.
    AllowNan,
    /// `False`: nothing is checked.
    Skip,
}

/// What `validate_data(self, X, reset=False, ...)` checks for one estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    /// `self.__class__.__name__`, used in messages.
    pub estimator: String,
    /// `feature_names_in_`, when the estimator was fitted on a DataFrame.
    pub feature_names_in: Option<Vec<String>>,
    /// `n_features_in_`.
    pub n_features_in: Option<usize>,
    pub dtype: FloatTarget,
    pub nan: NanPolicy,
}

/// `_check_feature_names(estimator, X, reset=False)`; the warnings sklearn
/// emits for a missing side are logged at debug level.
pub fn check_feature_names(
    x: &Table,
    estimator: &str,
    fitted: Option<&[String]>,
) -> Result<(), EvalError> {
    let given = x.feature_names();
    let (fitted, given) = match (fitted, given) {
        (None, None) => return Ok(()),
        (None, Some(_)) => {
            tracing::debug!(
                "X has feature names, but {estimator} was fitted without feature names"
            );
            return Ok(());
        }
        (Some(_), None) => {
            tracing::debug!(
                "X does not have valid feature names, but {estimator} was fitted with feature names"
            );
            return Ok(());
        }
        (Some(f), Some(g)) => (f, g),
    };
    if fitted == given {
        return Ok(());
    }
    let mut message =
        String::from("The feature names should match those that were passed during fit.\n");
    let fitted_set: std::collections::BTreeSet<&String> = fitted.iter().collect();
    let given_set: std::collections::BTreeSet<&String> = given.iter().collect();
    let unexpected: Vec<&String> = given_set.difference(&fitted_set).copied().collect();
    let missing: Vec<&String> = fitted_set.difference(&given_set).copied().collect();
    let add_names = |names: &[&String]| {
        let mut out = String::new();
        for (i, n) in names.iter().enumerate() {
            if i >= 5 {
                out.push_str("- ...\n");
                break;
            }
            out.push_str(&format!("- {n}\n"));
        }
        out
    };
    if !unexpected.is_empty() {
        message.push_str("Feature names unseen at fit time:\n");
        message.push_str(&add_names(&unexpected));
    }
    if !missing.is_empty() {
        message.push_str("Feature names seen at fit time, yet now missing:\n");
        message.push_str(&add_names(&missing));
    }
    if missing.is_empty() && unexpected.is_empty() {
        message.push_str("Feature names must be in the same order as they were in fit.\n");
    }
    Err(EvalError(message))
}

/// `_check_n_features(estimator, X, reset=False)`.
pub fn check_n_features(
    n: usize,
    estimator: &str,
    expected: Option<usize>,
) -> Result<(), EvalError> {
    match expected {
        Some(e) if e != n => Err(EvalError(format!(
            "X has {n} features, but {estimator} is expecting {e} features as input."
        ))),
        _ => Ok(()),
    }
}

/// The "Expected 2D array" / "Found array with dim" errors of `check_array`
/// for an ndarray that is not 2-D.
pub fn check_2d(x: &Table, estimator: &str) -> Result<(), EvalError> {
    match x.ndim {
        2 => Ok(()),
        0 => Err(EvalError(
            "Expected 2D array, got scalar array instead:\narray=.\nReshape your data either \
             using array.reshape(-1, 1) if your data has a single feature or \
             array.reshape(1, -1) if it contains a single sample."
                .into(),
        )),
        1 => Err(EvalError(format!(
            "Expected 2D array, got 1D array instead:\narray={}.\nReshape your data either \
             using array.reshape(-1, 1) if your data has a single feature or \
             array.reshape(1, -1) if it contains a single sample.",
            crate::nprepr::array_repr_1d(x)
        ))),
        d => Err(EvalError(format!(
            "Found array with dim {d}, while dim <= 2 is required by {estimator}."
        ))),
    }
}

fn nan_message(estimator: &str) -> String {
    format!(
        "Input X contains NaN.\n{estimator} does not accept missing values encoded as NaN \
         natively. For supervised learning, you might want to consider \
         sklearn.ensemble.HistGradientBoostingClassifier and Regressor which accept missing \
         values encoded as NaNs natively. Alternatively, it is possible to preprocess the \
         data, for instance by using an imputer transformer in a pipeline or drop samples \
         with missing values. See https://scikit-learn.org/stable/modules/impute.html You \
         can find a list of all estimators that handle NaN values at the following page: \
         https://scikit-learn.org/stable/modules/impute.html#estimators-that-handle-nan-values"
    )
}

/// `_assert_all_finite` on float data, with sklearn's messages.
pub fn check_finite(
    values: &[f64],
    f32: bool,
    nan: NanPolicy,
    estimator: &str,
) -> Result<(), EvalError> {
    if nan == NanPolicy::Skip || values.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    let has_inf = values.iter().any(|v| v.is_infinite());
    let has_nan = nan == NanPolicy::Reject && values.iter().any(|v| v.is_nan());
    if has_nan {
        return Err(EvalError(nan_message(estimator)));
    }
    if has_inf {
        let d = if f32 { "float32" } else { "float64" };
        return Err(EvalError(format!(
            "Input X contains infinity or a value too large for dtype('{d}')."
        )));
    }
    Ok(())
}

/// `validate_data(self, X, reset=False, dtype=..., ensure_all_finite=...)`:
/// feature names, conversion to a dense float matrix, finiteness, sample
/// and feature counts, then `n_features_in_`.
pub fn validate(x: &Table, spec: &InputSpec) -> Result<Matrix, EvalError> {
    validate_columns(x, spec).map(|m| m.to_row_major())
}

/// `ensure_min_samples=1` and `ensure_min_features=1`.
pub fn check_min_samples(x: &Table, estimator: &str) -> Result<(), EvalError> {
    let shape = format!("({}, {})", x.rows, x.n_cols());
    if x.rows == 0 {
        return Err(EvalError(format!(
            "Found array with 0 sample(s) (shape={shape}) while a minimum of 1 is required by {estimator}."
        )));
    }
    if x.n_cols() == 0 {
        return Err(EvalError(format!(
            "Found array with 0 feature(s) (shape={shape}) while a minimum of 1 is required by {estimator}."
        )));
    }
    Ok(())
}

/// The dtype `check_array` converts X to, or `None` to keep X's own.
fn target_dtype(orig: Option<NpDType>, target: FloatTarget) -> Option<NpDType> {
    match target {
        FloatTarget::Numeric => match orig {
            Some(NpDType::Object) => Some(NpDType::F64),
            _ => None,
        },
        FloatTarget::Float64Or32 => match orig {
            Some(NpDType::F64) | Some(NpDType::F32) => None,
            _ => Some(NpDType::F64),
        },
        FloatTarget::F64 => Some(NpDType::F64),
        FloatTarget::F32 => Some(NpDType::F32),
    }
}

/// The numeric part of `check_array`, row-major (see [`to_columns`]).
pub fn to_matrix(x: &Table, target: FloatTarget, estimator: &str) -> Result<Matrix, EvalError> {
    to_columns(x, target, estimator).map(|m| m.to_row_major())
}

/// The numeric part of `check_array`: `np.asarray(X, dtype=...)`, with the
/// errors Python's `float()` or numpy raise on the way, stored by column.
pub fn to_columns(x: &Table, target: FloatTarget, estimator: &str) -> Result<ColMatrix, EvalError> {
    let _ = estimator;
    let orig = x.common_dtype();
    let to = target_dtype(orig, target);
    let effective = to.or(orig);
    if x.kind == TableKind::Array && orig == Some(NpDType::Unicode) && to.is_none() {
        return Err(EvalError(
            "dtype='numeric' is not compatible with arrays of bytes/strings.Convert your data \
             to numeric values explicitly instead."
                .into(),
        ));
    }
    let rows = x.rows;
    let cols = x.n_cols();
    let n = rows
        .checked_mul(cols)
        .ok_or_else(|| EvalError("input too large".into()))?;
    let mut data = Vec::with_capacity(n);
    // numpy converts the interleaved (row-major) object array, so the value
    // it reports is the first bad one in row-major order.
    let mut first_bad: Option<(usize, usize, String)> = None;
    for (j, c) in x.columns.iter().enumerate() {
        if c.len() != rows {
            return Err(EvalError("columns of different lengths".into()));
        }
        match c {
            Column::Bool(v) => data.extend(v.iter().map(|&b| f64::from(u8::from(b)))),
            Column::Int(_, v) => data.extend(v.iter().map(|&x| x as f64)),
            Column::F32(v) => data.extend(v.iter().map(|&x| f64::from(x))),
            Column::F64(v) => data.extend_from_slice(v),
            _ => {
                for i in 0..rows {
                    match c.f64_at(i) {
                        Ok(v) => data.push(v),
                        Err(e) => {
                            if first_bad.as_ref().is_none_or(|(r, _, _)| i < *r) {
                                first_bad = Some((i, j, e));
                            }
                            data.push(f64::NAN);
                            break;
                        }
                    }
                }
                data.resize((j + 1) * rows, f64::NAN);
            }
        }
    }
    if let Some((_, _, e)) = first_bad {
        return Err(EvalError(e));
    }
    let f32 = effective == Some(NpDType::F32);
    if f32 {
        for v in &mut data {
            *v = f64::from(*v as f32);
        }
    }
    let layout = match x.kind {
        TableKind::DataFrame => Layout::F,
        TableKind::Array => x.layout,
    };
    Ok(ColMatrix {
        rows,
        cols,
        data,
        f32,
        layout,
    })
}

/// `validate_data`, returning X by column (for the linear models and scalers).
pub fn validate_columns(x: &Table, spec: &InputSpec) -> Result<ColMatrix, EvalError> {
    let name = spec.estimator.as_str();
    check_feature_names(x, name, spec.feature_names_in.as_deref())?;
    let m = to_columns(x, spec.dtype, name)?;
    check_2d(x, name)?;
    check_finite(&m.data, m.f32, spec.nan, name)?;
    check_min_samples(x, name)?;
    check_n_features(m.cols, name, spec.n_features_in)?;
    Ok(m)
}
