//! What `mlflow.onnx._OnnxModelWrapper.predict` does with the enforced input:
//! build the feed dict, cast float64 to float32 for `tensor(float)` inputs,
//! and shape the outputs as a DataFrame (for DataFrame input) or a dict.

use mlflowrs_flavor_api::{Batch, DType, Flavor, FlavorError, Named, Tensor};

use super::encode::{write_nested, write_tensor, write_tensor_row};
use super::enforce::Enforced;
use super::ndarray::NdArray;
use mlflowrs_protocol::error::trace;
use mlflowrs_protocol::pyjson::write_str;
use mlflowrs_protocol::{ErrorCode, MlflowError};

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
                let names: Vec<String> = inputs.iter().map(|i| mlflowrs_protocol::pyjson::py_str_repr(&i.name)).collect();
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

/// Writes `{"name": value, ...}` over the outputs; `value` writes each one.
fn write_object(
    outputs: &[Named],
    out: &mut String,
    mut value: impl FnMut(usize, &mlflowrs_flavor_api::Tensor, &mut String),
) {
    out.push('{');
    for (k, (name, t)) in outputs.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        write_str(name, out);
        out.push_str(": ");
        value(k, t, out);
    }
    out.push('}');
}

/// Writes the predictions JSON: a dict of outputs, or DataFrame records.
///
/// MLflow flattens every output with `reshape(-1)` for DataFrame input and
/// fails when their lengths differ (a classifier's label and probabilities);
/// mlflowrs instead keeps one row per input row, holding a list where an
/// output has more than one value per row.
pub fn write_outputs(
    outputs: &[Named],
    frame_rows: Option<usize>,
    out: &mut String,
) -> Result<(), MlflowError> {
    let Some(rows) = frame_rows else {
        write_object(outputs, out, |_, t, out| write_tensor(t, out));
        return Ok(());
    };
    // Each output as a column: flattened, or one (nested) value per row.
    let per_row: Vec<bool> = outputs
        .iter()
        .map(|(_, t)| t.data.len() != rows && t.shape.first() == Some(&rows))
        .collect();
    let len = |(i, (_, t)): (usize, &Named)| if per_row[i] { rows } else { t.data.len() };
    let n = outputs.iter().enumerate().map(len).next().unwrap_or(0);
    if outputs.iter().enumerate().any(|o| len(o) != n) {
        return Err(unexpected(
            "ValueError: All arrays must be of the same length",
        ));
    }
    out.push('[');
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        write_object(outputs, out, |k, t, out| {
            if per_row[k] {
                write_tensor_row(t, i, out);
            } else {
                write_nested(&t.data, &[], i, out);
            }
        });
    }
    out.push(']');
    Ok(())
}
