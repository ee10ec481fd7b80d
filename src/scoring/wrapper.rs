//! What `mlflow.onnx._OnnxModelWrapper.predict` does with the enforced input:
//! build the feed dict, cast float64 to float32 for `tensor(float)` inputs,
//! and shape the outputs as a DataFrame (for DataFrame input) or a dict.

use flavor_api::{Batch, DType, Flavor, FlavorError, Named, Tensor};

use super::encode::{rows_json, tensor_json};
use super::enforce::Enforced;
use super::error::{trace, ErrorCode, MlflowError};
use super::ndarray::NdArray;
use crate::pyjson::Json;

/// A model failure MLflow reports as an unexpected evaluation error.
pub fn unexpected(detail: &str) -> MlflowError {
    MlflowError::new(
        ErrorCode::BadRequest,
        "Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.",
    )
    .with_stack_trace(trace("model prediction", detail))
}

fn tensor_of(name: &str, a: NdArray) -> Result<Tensor, MlflowError> {
    match a {
        NdArray::Typed(t) => Ok(t),
        NdArray::Object { .. } => Err(unexpected(&format!(
            "input '{name}': object arrays (mixed or missing values) cannot be fed to an ONNX model"
        ))),
    }
}

/// Maps the enforced input to graph feeds; `true` when outputs must be a DataFrame.
pub fn feeds(
    flavor: &dyn Flavor,
    data: Enforced,
) -> Result<(Vec<Named>, Option<usize>), MlflowError> {
    let inputs = flavor.inputs();
    let (feeds, frame_rows) = match data {
        Enforced::Dict(items) => (
            items.into_iter().map(|(k, v)| Ok((k.clone(), tensor_of(&k, v)?))).collect::<Result<Vec<_>, MlflowError>>()?,
            None,
        ),
        Enforced::Array(a) => {
            if inputs.len() != 1 {
                let names: Vec<String> = inputs.iter().map(|i| crate::pyjson::py_str_repr(&i.name)).collect();
                return Err(MlflowError::new(
                    ErrorCode::InternalError,
                    format!(
                        "Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires {} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: [{}].",
                        inputs.len(),
                        names.join(", ")
                    ),
                ));
            }
            (vec![(inputs[0].name.clone(), tensor_of(&inputs[0].name, a)?)], None)
        }
        Enforced::Frame(frame) => {
            let rows = frame.nrows;
            let feeds = if inputs.len() > 1 {
                inputs
                    .iter()
                    .map(|i| {
                        let col = frame.column(&i.name).ok_or_else(|| unexpected(&format!("KeyError: '{}'", i.name)))?;
                        Ok((i.name.clone(), tensor_of(&i.name, col.values().map_err(|e| unexpected(&e))?)?))
                    })
                    .collect::<Result<Vec<_>, MlflowError>>()?
            } else {
                let values = frame.to_numpy().map_err(|e| unexpected(&e))?;
                vec![(inputs[0].name.clone(), tensor_of(&inputs[0].name, values)?)]
            };
            (feeds, Some(rows))
        }
        Enforced::Raw(v) => {
            return Err(unexpected(&format!(
                "TypeError: Input should be a dictionary or a numpy array or a pandas.DataFrame, got '{}'",
                v.py_type()
            )))
        }
    };
    let feeds = feeds
        .into_iter()
        .map(|(name, t)| {
            let wants_f32 = inputs
                .iter()
                .any(|i| i.name == name && i.dtype == Some(DType::F32));
            if wants_f32 && t.dtype() == DType::F64 {
                (name, t.cast(DType::F32))
            } else {
                (name, t)
            }
        })
        .collect();
    Ok((feeds, frame_rows))
}

pub fn run(flavor: &dyn Flavor, feeds: Vec<Named>) -> Result<Vec<Named>, MlflowError> {
    flavor.predict(Batch { feeds }).map_err(|e| match e {
        FlavorError::InvalidInput(m) => MlflowError::new(ErrorCode::InvalidParameterValue, m),
        FlavorError::Inference(m) | FlavorError::Load(m) => unexpected(&m),
        FlavorError::Internal(m) => MlflowError::new(ErrorCode::InternalError, m),
    })
}

/// The predictions JSON: a dict of outputs, or DataFrame records.
///
/// MLflow flattens every output with `reshape(-1)` for DataFrame input and
/// fails when their lengths differ (a classifier's label and probabilities);
/// mlflowrs instead keeps one row per input row, holding a list where an
/// output has more than one value per row.
pub fn outputs_json(outputs: Vec<Named>, frame_rows: Option<usize>) -> Result<Json, MlflowError> {
    let Some(rows) = frame_rows else {
        return Ok(Json::Dict(
            outputs
                .iter()
                .map(|(n, t)| (n.clone(), tensor_json(t)))
                .collect(),
        ));
    };
    let mut columns: Vec<(String, Vec<Json>)> = Vec::new();
    for (name, t) in &outputs {
        let flat_len = t.data.len();
        let cells = if flat_len == rows || t.shape.first() != Some(&rows) {
            super::encode::flat_json(t)
        } else {
            rows_json(t)
        };
        columns.push((name.clone(), cells));
    }
    let n = columns.first().map(|(_, c)| c.len()).unwrap_or(0);
    if columns.iter().any(|(_, c)| c.len() != n) {
        return Err(unexpected(
            "ValueError: All arrays must be of the same length",
        ));
    }
    Ok(Json::List(
        (0..n)
            .map(|i| {
                Json::Dict(
                    columns
                        .iter()
                        .map(|(k, c)| (k.clone(), c[i].clone()))
                        .collect(),
                )
            })
            .collect(),
    ))
}
