//! The V2 / Open Inference Protocol (KServe, Triton, MLServer) beside
//! MLflow's routes. An `infer` request, over HTTP (`http_body`: JSON, with
//! the binary tensor data extension) or gRPC, becomes one `InferRequest`
//! (`infer`), which is turned into the equivalent MLflow `inputs` request
//! and scored by the same engine, so every protocol gives the same answers;
//! only the envelope differs.

pub mod http_body;
pub mod infer;
pub mod tensor;

use mlflowrs_flavor_api::{DType, IoSpec};

use mlflowrs_protocol::pyjson::{self, Json};
use mlflowrs_protocol::Reply;

/// What V2 metadata says about the served model.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub name: String,
    pub version: String,
    pub platform: &'static str,
    pub inputs: Vec<IoSpec>,
    pub outputs: Vec<IoSpec>,
    /// The MLflow signature names its inputs (or has none and the graph has several).
    pub named_inputs: bool,
}

pub fn datatype(d: Option<DType>) -> &'static str {
    match d {
        Some(DType::Bool) => "BOOL",
        Some(DType::I8) => "INT8",
        Some(DType::I16) => "INT16",
        Some(DType::I32) => "INT32",
        Some(DType::I64) => "INT64",
        Some(DType::U8) => "UINT8",
        Some(DType::U16) => "UINT16",
        Some(DType::U32) => "UINT32",
        Some(DType::U64) => "UINT64",
        Some(DType::F32) => "FP32",
        Some(DType::F64) => "FP64",
        Some(DType::Str) | None => "BYTES",
    }
}

/// The protocol extensions the server metadata advertises.
pub const EXTENSIONS: &[&str] = &["binary_tensor_data"];

/// A V2 error answer: `{"error": "..."}`.
pub fn error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        pyjson::to_string(&Json::Dict(vec![(
            "error".into(),
            Json::Str(message.into()),
        )])),
    )
}

fn tensor_meta(t: &IoSpec) -> Json {
    Json::Dict(vec![
        ("name".into(), Json::Str(t.name.clone())),
        ("datatype".into(), Json::Str(datatype(t.dtype).into())),
        (
            "shape".into(),
            Json::List(t.shape.iter().map(|&d| Json::Int(d)).collect()),
        ),
    ])
}

/// `GET /v2`: the server's name, version and extensions.
pub fn server_metadata() -> Reply {
    Reply::json(
        200,
        pyjson::to_string(&Json::Dict(vec![
            ("name".into(), Json::Str("mlflowrs".into())),
            (
                "version".into(),
                Json::Str(env!("CARGO_PKG_VERSION").into()),
            ),
            (
                "extensions".into(),
                Json::List(EXTENSIONS.iter().map(|e| Json::Str((*e).into())).collect()),
            ),
        ])),
    )
}

pub fn metadata(info: &ModelInfo) -> Reply {
    Reply::json(
        200,
        pyjson::to_string(&Json::Dict(vec![
            ("name".into(), Json::Str(info.name.clone())),
            (
                "versions".into(),
                Json::List(vec![Json::Str(info.version.clone())]),
            ),
            ("platform".into(), Json::Str(info.platform.into())),
            (
                "inputs".into(),
                Json::List(info.inputs.iter().map(tensor_meta).collect()),
            ),
            (
                "outputs".into(),
                Json::List(info.outputs.iter().map(tensor_meta).collect()),
            ),
        ])),
    )
}

pub fn ready(info: &ModelInfo) -> Reply {
    Reply::json(
        200,
        pyjson::to_string(&Json::Dict(vec![
            ("name".into(), Json::Str(info.name.clone())),
            ("ready".into(), Json::Bool(true)),
        ])),
    )
}

/// Which V2 route a path is, with the model name it names.
#[derive(Debug, PartialEq)]
pub enum Route<'a> {
    ServerMeta,
    Live,
    Ready,
    ModelMeta(&'a str),
    ModelReady(&'a str),
    Infer(&'a str),
}

pub fn parse_route(path: &str) -> Option<(Route<'_>, &'static str)> {
    let rest = path.strip_prefix("/v2")?;
    match rest {
        "" | "/" => return Some((Route::ServerMeta, "GET")),
        "/health/live" => return Some((Route::Live, "GET")),
        "/health/ready" => return Some((Route::Ready, "GET")),
        _ => {}
    }
    let model = rest.strip_prefix("/models/")?;
    let (name, tail) = model.split_once('/').unwrap_or((model, ""));
    // An optional `versions/{v}` segment: any version names the served one.
    let tail = match tail.strip_prefix("versions/") {
        Some(v) => v.split_once('/').map(|(_, t)| t).unwrap_or(""),
        None => tail,
    };
    match tail {
        "" => Some((Route::ModelMeta(name), "GET")),
        "ready" => Some((Route::ModelReady(name), "GET")),
        "infer" => Some((Route::Infer(name), "POST")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(parse_route("/v2/health/live"), Some((Route::Live, "GET")));
        assert_eq!(
            parse_route("/v2/models/m/infer"),
            Some((Route::Infer("m"), "POST"))
        );
        assert_eq!(
            parse_route("/v2/models/m/versions/3/infer"),
            Some((Route::Infer("m"), "POST"))
        );
        assert_eq!(
            parse_route("/v2/models/m/versions/3"),
            Some((Route::ModelMeta("m"), "GET"))
        );
        assert_eq!(
            parse_route("/v2/models/m/ready"),
            Some((Route::ModelReady("m"), "GET"))
        );
        assert_eq!(parse_route("/v2/models/m/nope"), None);
        assert_eq!(parse_route("/v3"), None);
    }
}
