//! What the pyfunc wrappers of `mlflow.sklearn`, `mlflow.xgboost` and
//! `mlflow.lightgbm` do with the enforced input: hand the DataFrame (or the
//! array) to the estimator's `predict` and answer the array it returns.
//!
//! The flavor crates read the feeds as the library reads a pandas
//! DataFrame: one 1-D feed per column, named by its label, in the frame's
//! order; or, for a plain array, one feed named "" holding it whole.

use mlflowrs_flavor_api::{Named, Tensor};

use super::enforce::Enforced;
use super::frame::Column;
use super::ndarray::NdArray;
use super::onnx_pyfunc::unexpected;
use mlflowrs_protocol::pyjson::Json;
use mlflowrs_protocol::MlflowError;

/// The feed name of a plain (non-DataFrame) array input.
pub const ARRAY_FEED: &str = "";

pub fn feeds(data: Enforced) -> Result<Vec<Named>, MlflowError> {
    match data {
        Enforced::Frame(frame) => frame
            .columns
            .iter()
            .map(|c| Ok((c.label.key(), column_tensor(c)?)))
            .collect(),
        Enforced::Array(NdArray::Typed(t)) => Ok(vec![(ARRAY_FEED.to_string(), t)]),
        Enforced::Array(NdArray::Object { cells, shape }) => {
            Ok(vec![(ARRAY_FEED.to_string(), object_tensor(&cells, shape)?)])
        }
        // The estimators call np.asarray on these and fail; mlflow answers
        // the failure as an unexpected evaluation error.
        Enforced::Dict(_) => Err(unexpected(
            "ValueError: Expected 2D array, got scalar array instead (a dict is not a DataFrame)",
        )),
        Enforced::Raw(v) => Err(unexpected(&format!(
            "ValueError: Expected 2D array, got '{}' instead",
            v.py_type()
        ))),
    }
}

/// A column as the estimator sees `df[col].values`: typed, or strings for
/// an object column of strings (categorical features).
fn column_tensor(c: &Column) -> Result<Tensor, MlflowError> {
    match c.values().map_err(|e| unexpected(&e))? {
        NdArray::Typed(t) => Ok(t),
        NdArray::Object { cells, shape } => object_tensor(&cells, shape),
    }
}

/// An object array the native estimators can take: strings only. Anything
/// else (strings mixed with numbers or None) is refused with the error the
/// numeric conversion would raise, naming the first offending value.
fn object_tensor(cells: &[Json], shape: Vec<usize>) -> Result<Tensor, MlflowError> {
    let mut strings = Vec::with_capacity(cells.len());
    for cell in cells {
        match cell {
            Json::Str(s) => strings.push(s.clone()),
            other => {
                let first_str = cells.iter().find_map(|c| match c {
                    Json::Str(s) => Some(s.as_str()),
                    _ => None,
                });
                return Err(unexpected(&match first_str {
                    Some(s) => format!(
                        "ValueError: could not convert string to float: {}",
                        mlflowrs_protocol::pyjson::py_str_repr(s)
                    ),
                    None => format!(
                        "TypeError: unsupported value in an object column: {}",
                        other.py_type()
                    ),
                }));
            }
        }
    }
    Tensor::new(shape, mlflowrs_flavor_api::TensorData::Str(strings)).map_err(|e| unexpected(&e))
}
