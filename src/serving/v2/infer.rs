//! One V2 inference, whatever carried it: the request as tensors, turned
//! into the equivalent MLflow `inputs` body, and MLflow's answer turned
//! back into output tensors.

use mlflowrs_protocol::pyjson::{self, Json};
use mlflowrs_protocol::Reply;

use super::{datatype, tensor, ModelInfo};

/// An input tensor; `data` is the JSON list (flat or nested) it carries.
pub struct Tensor {
    pub name: String,
    pub datatype: String,
    pub shape: Vec<usize>,
    pub data: Json,
}

/// An output the client asked for, and whether it wants it as raw bytes
/// (`None`: as the request as a whole says).
pub struct RequestedOutput {
    pub name: String,
    pub binary: Option<bool>,
}

pub struct InferRequest {
    /// Echoed in the answer.
    pub id: Option<Json>,
    pub inputs: Vec<Tensor>,
    /// `None`: all outputs.
    pub outputs: Option<Vec<RequestedOutput>>,
    /// The request's parameters that are the model's (MLflow's `params`).
    pub parameters: Vec<(String, Json)>,
    /// `binary_data_output`: every output as raw bytes unless it says not.
    pub binary_outputs: bool,
}

/// Request parameters that belong to the protocol (Triton's reserved
/// names), not to the model.
const PROTOCOL_PARAMETERS: &[&str] = &[
    "binary_data_output",
    "sequence_id",
    "sequence_start",
    "sequence_end",
    "priority",
    "timeout",
];

impl InferRequest {
    /// Splits the request parameters into the protocol's and the model's.
    pub fn take_parameters(&mut self, parameters: Vec<(String, Json)>) {
        for (name, value) in parameters {
            if name == "binary_data_output" {
                self.binary_outputs = matches!(value, Json::Bool(true));
            }
            if !PROTOCOL_PARAMETERS.contains(&name.as_str()) {
                self.parameters.push((name, value));
            }
        }
    }

    /// The equivalent MLflow `{"inputs": ..., "params": ...}` body.
    pub fn to_mlflow(&self, info: &ModelInfo) -> Result<String, String> {
        if self.inputs.is_empty() {
            return Err("'inputs' is empty".into());
        }
        let mut named = Vec::with_capacity(self.inputs.len());
        for input in &self.inputs {
            if !tensor::DATATYPES.contains(&input.datatype.as_str()) {
                return Err(format!(
                    "input '{}' has unknown datatype '{}'",
                    input.name, input.datatype
                ));
            }
            let data = nest(&input.data, &input.shape)
                .map_err(|e| format!("input '{}': {e}", input.name))?;
            named.push((input.name.clone(), data));
        }
        let inputs = if !info.named_inputs && named.len() == 1 {
            named.remove(0).1
        } else {
            Json::Dict(named)
        };
        let mut mlflow = vec![("inputs".to_string(), inputs)];
        if !self.parameters.is_empty() {
            mlflow.push(("params".into(), Json::Dict(self.parameters.clone())));
        }
        Ok(pyjson::to_string(&Json::Dict(mlflow)))
    }

    /// Whether output `name` goes back as raw bytes.
    pub fn binary_output(&self, name: &str) -> bool {
        self.outputs
            .iter()
            .flatten()
            .find(|o| o.name == name)
            .and_then(|o| o.binary)
            .unwrap_or(self.binary_outputs)
    }
}

/// Nests a flat V2 `data` list into `shape`; nested data is taken as given.
fn nest(data: &Json, shape: &[usize]) -> Result<Json, String> {
    let Json::List(items) = data else {
        return Err("'data' must be a list".into());
    };
    if items.iter().any(|i| matches!(i, Json::List(_))) || shape.len() <= 1 {
        return Ok(data.clone());
    }
    let want: usize = shape.iter().product();
    if want != items.len() {
        return Err(format!(
            "'data' has {} elements but 'shape' {:?} needs {want}",
            items.len(),
            shape
        ));
    }
    let mut level = items.clone();
    for &dim in shape[1..].iter().rev() {
        if dim == 0 {
            return Ok(Json::List(vec![Json::List(Vec::new()); shape[0]]));
        }
        level = level.chunks(dim).map(|c| Json::List(c.to_vec())).collect();
    }
    Ok(Json::List(level))
}

/// An output tensor, its data flat.
pub struct OutputTensor {
    pub name: String,
    pub datatype: &'static str,
    pub shape: Vec<i64>,
    pub data: Vec<Json>,
}

/// A failed inference: the status and message of the V2 error answer.
pub struct InferError {
    pub status: u16,
    pub message: String,
}

/// MLflow's `{"predictions": ...}` answer as V2 output tensors, those asked
/// for only.
pub fn from_mlflow(
    reply: &Reply,
    info: &ModelInfo,
    request: &InferRequest,
) -> Result<Vec<OutputTensor>, InferError> {
    let answer = pyjson::parse(&reply.body).map_err(|_| InferError {
        status: 500,
        message: "the model's answer was not JSON".into(),
    })?;
    if reply.status != 200 {
        let message = match answer.get("message") {
            Some(Json::Str(m)) => m.clone(),
            _ => String::from_utf8_lossy(&reply.body).into_owned(),
        };
        return Err(InferError {
            status: reply.status,
            message,
        });
    }
    // A dict of outputs, or DataFrame records (column signatures) to pivot.
    let columns: Vec<(String, Json)> = match answer.get("predictions") {
        Some(Json::Dict(items)) => items.clone(),
        Some(Json::List(records)) if records.iter().all(|r| matches!(r, Json::Dict(_))) => {
            let mut cols: Vec<(String, Vec<Json>)> = Vec::new();
            for r in records {
                if let Json::Dict(items) = r {
                    for (k, v) in items {
                        match cols.iter_mut().find(|(n, _)| n == k) {
                            Some((_, vals)) => vals.push(v.clone()),
                            None => cols.push((k.clone(), vec![v.clone()])),
                        }
                    }
                }
            }
            cols.into_iter().map(|(k, v)| (k, Json::List(v))).collect()
        }
        Some(other) => vec![("predictions".into(), other.clone())],
        None => Vec::new(),
    };
    let wanted = request.outputs.as_ref();
    Ok(columns
        .into_iter()
        .filter(|(name, _)| wanted.is_none_or(|w| w.iter().any(|o| &o.name == name)))
        .map(|(name, value)| {
            let declared = info
                .outputs
                .iter()
                .find(|o| o.name == name)
                .and_then(|o| o.dtype);
            let mut data = Vec::new();
            flatten(&value, &mut data);
            OutputTensor {
                datatype: match declared {
                    Some(_) => datatype(declared),
                    None => tensor::infer_datatype(&data),
                },
                shape: shape_of(&value),
                name,
                data,
            }
        })
        .collect())
}

fn shape_of(v: &Json) -> Vec<i64> {
    let mut shape = Vec::new();
    let mut cur = v;
    while let Json::List(items) = cur {
        shape.push(items.len() as i64);
        match items.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
    shape
}

fn flatten(v: &Json, out: &mut Vec<Json>) {
    match v {
        Json::List(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_data_is_nested_by_shape() {
        let data = pyjson::parse(b"[1, 2, 3, 4, 5, 6]").unwrap();
        assert_eq!(
            pyjson::to_string(&nest(&data, &[2, 3]).unwrap()),
            "[[1, 2, 3], [4, 5, 6]]"
        );
        assert!(nest(&data, &[4, 2]).is_err());
    }
}
