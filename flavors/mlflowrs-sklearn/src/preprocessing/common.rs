//! What the preprocessing estimators share: their imports and the checks
//! and conversions of their fitted attributes.

#![allow(unused_imports)]
pub(super) use std::collections::HashMap;

pub(super) use mlflowrs_flavor_api::DType;
pub(super) use mlflowrs_skops::{ArrayData, JsonValue, Node, NodeKind};

pub(super) use crate::error::{EvalError, SklearnError};
pub(super) use crate::estimator::{Estimator, Transformer};
pub(super) use crate::linear::{f64_array, fitted_features};
pub(super) use crate::pyrepr::{py_float_repr, py_str_repr};
pub(super) use crate::registry::{LoadCtx, Registry};
pub(super) use crate::table::{Column, IntKind, Layout, NpDType, PyValue, Table, TableKind};
pub(super) use crate::validate::{
    check_feature_names, check_finite, check_min_samples, check_n_features, validate_columns,
    FloatTarget, InputSpec, NanPolicy,
};

/// Refuses `set_output(transform="pandas")` and friends: sklearn would then
/// hand DataFrames between steps, which this crate does not model.
pub(crate) fn check_output_config(node: &Node) -> Result<(), SklearnError> {
    if let Some(cfg) = node.get("_sklearn_output_config") {
        if let Some(t) = cfg.get("transform") {
            if !t.str().is_ok_and(|s| s == "default") {
                return Err(SklearnError::unsupported(format!(
                    "{} with set_output(transform=...) is not served natively",
                    node.class()
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn float_spec(node: &Node, nan: NanPolicy) -> Result<InputSpec, SklearnError> {
    let (names, n) = fitted_features(node)?;
    Ok(InputSpec {
        estimator: node.class().to_owned(),
        feature_names_in: names,
        n_features_in: n,
        dtype: FloatTarget::Float64Or32,
        nan,
    })
}

/// An optional per-feature float64 vector (`None` for Python None).
pub(super) fn opt_vec(node: &Node, attr: &str, n: usize) -> Result<Option<Vec<f64>>, SklearnError> {
    match node.get(attr) {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => {
            let (vals, shape) = f64_array(v, attr)?;
            if shape.as_slice() != [n] {
                return Err(SklearnError::invalid(format!(
                    "{}.{attr} has shape {shape:?}, expected [{n}]",
                    node.class()
                )));
            }
            Ok(Some(vals))
        }
    }
}

pub(super) fn n_features(spec: &InputSpec, node: &Node) -> Result<usize, SklearnError> {
    spec.n_features_in
        .ok_or_else(|| SklearnError::invalid(format!("{} has no n_features_in_", node.class())))
}

/// Rounds to float32 when the array is float32 (numpy stores each result).
pub(super) fn store(v: f64, f32: bool) -> f64 {
    if f32 {
        f64::from(v as f32)
    } else {
        v
    }
}

pub(super) fn py_of_json(v: &JsonValue) -> Option<PyValue> {
    Some(match v {
        JsonValue::Str(s) => PyValue::Str(s.clone()),
        JsonValue::Float(f) => PyValue::Float(*f),
        JsonValue::Int(i) => PyValue::Int(*i),
        JsonValue::Bool(b) => PyValue::Bool(*b),
        JsonValue::Null => PyValue::None,
        _ => return None,
    })
}
