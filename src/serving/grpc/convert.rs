//! gRPC messages to `v2::infer`'s request and its outputs back. Inputs come
//! as `raw_input_contents` (tritonclient's default) or typed `contents`;
//! outputs always go back as `raw_output_contents`, as Triton answers and
//! as tritonclient's `as_numpy` reads them.

use std::collections::BTreeMap;

use mlflowrs_protocol::pyjson::Json;

use super::proto::{
    infer_parameter::ParameterChoice, model_infer_request::InferInputTensor,
    model_infer_response::InferOutputTensor, InferParameter, InferTensorContents,
    ModelInferRequest, ModelInferResponse,
};
use crate::serving::v2::infer::{InferRequest, OutputTensor, RequestedOutput, Tensor};
use crate::serving::v2::{tensor, ModelInfo};

pub(super) fn request(message: ModelInferRequest) -> Result<InferRequest, String> {
    let raw = message.raw_input_contents;
    if !raw.is_empty() && raw.len() != message.inputs.len() {
        return Err(format!(
            "{} raw_input_contents for {} inputs",
            raw.len(),
            message.inputs.len()
        ));
    }
    let mut inputs = Vec::with_capacity(message.inputs.len());
    for (i, input) in message.inputs.into_iter().enumerate() {
        inputs.push(input_tensor(input, raw.get(i).map(Vec::as_slice))?);
    }
    let mut request = InferRequest {
        id: (!message.id.is_empty()).then_some(Json::Str(message.id)),
        inputs,
        outputs: (!message.outputs.is_empty()).then(|| {
            message
                .outputs
                .into_iter()
                .map(|o| RequestedOutput {
                    name: o.name,
                    binary: Some(true),
                })
                .collect()
        }),
        parameters: Vec::new(),
        binary_outputs: true,
    };
    request.take_parameters(parameters(message.parameters));
    Ok(request)
}

fn input_tensor(input: InferInputTensor, raw: Option<&[u8]>) -> Result<Tensor, String> {
    let name = input.name;
    let shape = input
        .shape
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("input '{name}' has a bad shape")))
        .collect::<Result<Vec<usize>, _>>()?;
    let elements = tensor::elements(&name, &shape)?;
    let data = match raw {
        Some(raw) => tensor::decode(&input.datatype, raw, elements)
            .map_err(|e| format!("input '{name}': {e}"))?,
        None => contents(input.contents.unwrap_or_default())
            .map_err(|e| format!("input '{name}': {e}"))?,
    };
    Ok(Tensor {
        name,
        datatype: input.datatype,
        shape,
        data: Json::List(data),
    })
}

/// Typed contents: whichever field is filled.
fn contents(c: InferTensorContents) -> Result<Vec<Json>, String> {
    let int = |v: i64| Json::Int(v);
    Ok(if !c.bool_contents.is_empty() {
        c.bool_contents.into_iter().map(Json::Bool).collect()
    } else if !c.int_contents.is_empty() {
        c.int_contents.into_iter().map(|v| int(v.into())).collect()
    } else if !c.int64_contents.is_empty() {
        c.int64_contents.into_iter().map(int).collect()
    } else if !c.uint_contents.is_empty() {
        c.uint_contents.into_iter().map(|v| int(v.into())).collect()
    } else if !c.uint64_contents.is_empty() {
        c.uint64_contents
            .into_iter()
            .map(|v| i64::try_from(v).map_or_else(|_| Json::BigInt(v.to_string()), Json::Int))
            .collect()
    } else if !c.fp32_contents.is_empty() {
        c.fp32_contents
            .into_iter()
            .map(|v| Json::Float(v.into()))
            .collect()
    } else if !c.fp64_contents.is_empty() {
        c.fp64_contents.into_iter().map(Json::Float).collect()
    } else {
        c.bytes_contents
            .into_iter()
            .map(|b| {
                String::from_utf8(b)
                    .map(Json::Str)
                    .map_err(|_| "a BYTES element is not UTF-8 text".to_string())
            })
            .collect::<Result<_, _>>()?
    })
}

fn parameters(map: BTreeMap<String, InferParameter>) -> Vec<(String, Json)> {
    map.into_iter()
        .filter_map(|(name, p)| {
            let value = match p.parameter_choice? {
                ParameterChoice::BoolParam(b) => Json::Bool(b),
                ParameterChoice::Int64Param(i) => Json::Int(i),
                ParameterChoice::StringParam(s) => Json::Str(s),
                ParameterChoice::DoubleParam(f) => Json::Float(f),
                ParameterChoice::Uint64Param(u) => {
                    i64::try_from(u).map_or_else(|_| Json::BigInt(u.to_string()), Json::Int)
                }
            };
            Some((name, value))
        })
        .collect()
}

pub(super) fn response(
    info: &ModelInfo,
    id: Option<Json>,
    outputs: Vec<OutputTensor>,
) -> ModelInferResponse {
    let mut raw_output_contents = Vec::with_capacity(outputs.len());
    let outputs = outputs
        .into_iter()
        .map(|o| {
            raw_output_contents.push(tensor::encode(o.datatype, &o.data));
            InferOutputTensor {
                name: o.name,
                datatype: o.datatype.into(),
                shape: o.shape,
                parameters: BTreeMap::new(),
                contents: None,
            }
        })
        .collect();
    ModelInferResponse {
        model_name: info.name.clone(),
        model_version: info.version.clone(),
        id: match id {
            Some(Json::Str(id)) => id,
            _ => String::new(),
        },
        parameters: BTreeMap::new(),
        outputs,
        raw_output_contents,
    }
}
