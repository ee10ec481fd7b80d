//! The V2 HTTP infer body: JSON, or, with the binary tensor data extension,
//! a JSON header of `Inference-Header-Content-Length` bytes followed by the
//! raw data of the inputs whose `parameters` give a `binary_data_size`, in
//! order. Answers go back the same way for the outputs asked for as binary
//! (`binary_data` per output, or `binary_data_output` for all), as
//! tritonclient's defaults ask.

use mlflowrs_protocol::pyjson::{self, Json};
use mlflowrs_protocol::Reply;

use super::infer::{InferRequest, OutputTensor, RequestedOutput, Tensor};
use super::{tensor, ModelInfo};

/// The header that splits a body into its JSON and its raw tensor data.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// The content type of an answer carrying raw tensor data, as Triton's.
const OCTET_STREAM: &str = "application/octet-stream";

/// Parses an infer body; `header_length` is the value of
/// `Inference-Header-Content-Length`, when the request has one.
pub fn parse(body: &[u8], header_length: Option<&[u8]>) -> Result<InferRequest, String> {
    let (head, mut raw) = match header_length {
        None => (body, &body[body.len()..]),
        Some(value) => {
            let length = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or("Inference-Header-Content-Length is not a number")?;
            if length > body.len() {
                return Err(format!(
                    "Inference-Header-Content-Length {length} is longer than the body ({} bytes)",
                    body.len()
                ));
            }
            body.split_at(length)
        }
    };
    let req = pyjson::parse(head).map_err(|e| format!("invalid JSON: {}", e.message))?;
    let Some(Json::List(inputs)) = req.get("inputs") else {
        return Err("the request must have a list 'inputs'".into());
    };
    let mut tensors = Vec::with_capacity(inputs.len());
    for input in inputs {
        let Some(Json::Str(name)) = input.get("name") else {
            return Err("every input needs a string 'name'".into());
        };
        let Some(Json::Str(datatype)) = input.get("datatype") else {
            return Err(format!("input '{name}' needs a string 'datatype'"));
        };
        let shape: Vec<usize> = match input.get("shape") {
            Some(Json::List(dims)) => dims
                .iter()
                .map(|d| match d {
                    Json::Int(n) if *n >= 0 => Ok(*n as usize),
                    _ => Err(format!("input '{name}' has a bad shape")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(format!("input '{name}' needs a list 'shape'")),
        };
        let binary_size = match input
            .get("parameters")
            .and_then(|p| p.get("binary_data_size"))
        {
            None => None,
            Some(Json::Int(n)) if *n >= 0 => Some(*n as usize),
            Some(_) => return Err(format!("input '{name}' has a bad binary_data_size")),
        };
        let data = match binary_size {
            Some(size) => {
                if header_length.is_none() {
                    return Err(format!(
                        "input '{name}' has binary data but the request has no Inference-Header-Content-Length"
                    ));
                }
                if size > raw.len() {
                    return Err(format!(
                        "input '{name}' needs {size} bytes of binary data, {} are left",
                        raw.len()
                    ));
                }
                let (mine, rest) = raw.split_at(size);
                raw = rest;
                let elements = tensor::elements(name, &shape)?;
                Json::List(
                    tensor::decode(datatype, mine, elements)
                        .map_err(|e| format!("input '{name}': {e}"))?,
                )
            }
            None => input
                .get("data")
                .cloned()
                .ok_or_else(|| format!("input '{name}' needs 'data'"))?,
        };
        tensors.push(Tensor {
            name: name.clone(),
            datatype: datatype.clone(),
            shape,
            data,
        });
    }
    if !raw.is_empty() {
        return Err(format!(
            "{} bytes of binary data follow the inputs' data",
            raw.len()
        ));
    }
    let outputs = match req.get("outputs") {
        Some(Json::List(items)) => Some(
            items
                .iter()
                .filter_map(|o| match o.get("name") {
                    Some(Json::Str(n)) => Some(RequestedOutput {
                        name: n.clone(),
                        binary: match o.get("parameters").and_then(|p| p.get("binary_data")) {
                            Some(Json::Bool(b)) => Some(*b),
                            _ => None,
                        },
                    }),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    };
    let mut request = InferRequest {
        id: req.get("id").cloned(),
        inputs: tensors,
        outputs,
        parameters: Vec::new(),
        binary_outputs: false,
    };
    if let Some(Json::Dict(parameters)) = req.get("parameters") {
        request.take_parameters(parameters.clone());
    }
    Ok(request)
}

/// An HTTP answer: the reply, and the length of its JSON header when raw
/// tensor data follows it (for `Inference-Header-Content-Length`).
pub struct Answer {
    pub reply: Reply,
    pub header_length: Option<usize>,
}

/// The infer answer for `outputs`, binary where the request asked.
pub fn answer(info: &ModelInfo, request: &InferRequest, outputs: Vec<OutputTensor>) -> Answer {
    let mut raw = Vec::new();
    let outputs: Vec<Json> = outputs
        .into_iter()
        .map(|o| {
            let mut fields = vec![
                ("name".to_string(), Json::Str(o.name.clone())),
                (
                    "shape".into(),
                    Json::List(o.shape.iter().map(|&d| Json::Int(d)).collect()),
                ),
                ("datatype".into(), Json::Str(o.datatype.into())),
            ];
            if request.binary_output(&o.name) {
                let bytes = tensor::encode(o.datatype, &o.data);
                fields.push((
                    "parameters".into(),
                    Json::Dict(vec![(
                        "binary_data_size".into(),
                        Json::Int(bytes.len() as i64),
                    )]),
                ));
                raw.extend(bytes);
            } else {
                fields.push(("data".into(), Json::List(o.data)));
            }
            Json::Dict(fields)
        })
        .collect();
    let mut body = vec![
        ("model_name".to_string(), Json::Str(info.name.clone())),
        ("model_version".to_string(), Json::Str(info.version.clone())),
    ];
    if let Some(id) = &request.id {
        body.push(("id".into(), id.clone()));
    }
    body.push(("outputs".into(), Json::List(outputs)));
    let mut reply = Reply::json(200, pyjson::to_string(&Json::Dict(body)));
    if raw.is_empty() && !request.binary_outputs {
        return Answer {
            reply,
            header_length: None,
        };
    }
    let header_length = reply.body.len();
    reply.body.extend(raw);
    reply.content_type = OCTET_STREAM;
    Answer {
        reply,
        header_length: Some(header_length),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ModelInfo {
        ModelInfo {
            name: "m".into(),
            version: "1".into(),
            platform: "onnx",
            inputs: Vec::new(),
            outputs: Vec::new(),
            named_inputs: false,
        }
    }

    #[test]
    fn binary_inputs_follow_the_json_header() {
        let head = br#"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}], "parameters": {"binary_data_output": true, "k": 1}}"#;
        let mut body = head.to_vec();
        body.extend(0.5f32.to_le_bytes());
        body.extend(2.0f32.to_le_bytes());
        let length = head.len().to_string();
        let request = parse(&body, Some(length.as_bytes())).unwrap();
        assert_eq!(
            request.to_mlflow(&info()).unwrap(),
            r#"{"inputs": [[0.5, 2.0]], "params": {"k": 1}}"#
        );
        assert!(request.binary_output("anything"));
        // One byte short, one byte over, no header: refused.
        let short = (head.len() + 1).to_string();
        assert!(parse(&body, Some(short.as_bytes())).is_err());
        let mut over = body.clone();
        over.push(0);
        assert!(parse(&over, Some(length.as_bytes())).is_err());
        assert!(parse(&body, None).is_err());
    }

    #[test]
    fn binary_outputs_are_announced_by_their_size() {
        let request = parse(
            br#"{"inputs": [], "outputs": [{"name": "a", "parameters": {"binary_data": true}}, {"name": "b"}]}"#,
            None,
        )
        .unwrap();
        let outputs = vec![
            OutputTensor {
                name: "a".into(),
                datatype: "INT64",
                shape: vec![1],
                data: vec![Json::Int(7)],
            },
            OutputTensor {
                name: "b".into(),
                datatype: "INT64",
                shape: vec![1],
                data: vec![Json::Int(8)],
            },
        ];
        let answer = answer(&info(), &request, outputs);
        let length = answer.header_length.unwrap();
        let head = std::str::from_utf8(&answer.reply.body[..length]).unwrap();
        assert!(
            head.contains(r#""parameters": {"binary_data_size": 8}"#),
            "{head}"
        );
        assert!(head.contains(r#""data": [8]"#), "{head}");
        assert_eq!(&answer.reply.body[length..], &7i64.to_le_bytes());
    }
}
