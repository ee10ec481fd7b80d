//! What the pyfunc wrappers of `mlflow.sklearn`, `mlflow.xgboost` and
//! `mlflow.lightgbm` do with the enforced input: hand the DataFrame (or the
//! array) to the estimator's `predict` and answer the array it returns.
//!
//! The flavor crates read the feeds as the library reads a pandas
//! DataFrame: one 1-D feed per column, named by its label, in the frame's
//! order; or, for a plain array, one feed named "" holding it whole.

use mlflowrs_flavor_api::{Named, Tensor, TensorData, OBJECT_COLUMN_SUFFIX};

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
        Enforced::Frame(frame) => frame.columns.iter().map(column_feed).collect(),
        Enforced::Array(NdArray::Typed(t)) => Ok(vec![(ARRAY_FEED.to_string(), t)]),
        Enforced::Array(NdArray::Object { cells, shape }) => {
            Ok(vec![object_feed(ARRAY_FEED, &cells, shape)?])
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

/// A column as the estimator sees `df[col].values`: typed, strings (a
/// string column), or Python objects.
fn column_feed(c: &Column) -> Result<Named, MlflowError> {
    match c.values().map_err(|e| unexpected(&e))? {
        NdArray::Typed(t) => Ok((c.label.key(), t)),
        NdArray::Object { cells, shape } => object_feed(&c.label.key(), &cells, shape),
    }
}

/// An object array: a plain `Str` tensor when every cell is a string, else
/// the object-column form ([`OBJECT_COLUMN_SUFFIX`]) with each cell's JSON.
fn object_feed(label: &str, cells: &[Json], shape: Vec<usize>) -> Result<Named, MlflowError> {
    let strings: Option<Vec<String>> = cells
        .iter()
        .map(|c| match c {
            Json::Str(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let (name, data) = match strings {
        Some(s) => (label.to_string(), s),
        None => (
            format!("{label}{OBJECT_COLUMN_SUFFIX}"),
            cells
                .iter()
                .map(mlflowrs_protocol::pyjson::to_string)
                .collect(),
        ),
    };
    let t = Tensor::new(shape, TensorData::Str(data)).map_err(|e| unexpected(&e))?;
    Ok((name, t))
}
