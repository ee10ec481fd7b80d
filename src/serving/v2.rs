//! The V2 / Open Inference Protocol (KServe, Triton, MLServer) beside
//! MLflow's routes. An `infer` request is turned into the equivalent MLflow
//! `inputs` request and scored by the same engine, so both protocols give
//! the same answers; only the envelope differs.

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

const DATATYPES: &[&str] = &[
    "BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP16",
    "FP32", "FP64", "BYTES",
];

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

/// A V2 infer request as an MLflow request.
pub struct InferRequest {
    /// The equivalent MLflow `{"inputs": ...}` body.
    pub body: String,
    /// The request's `id`, echoed in the answer.
    pub id: Option<Json>,
    /// The outputs asked for; `None`: all.
    pub outputs: Option<Vec<String>>,
}

/// Turns a V2 infer request into an MLflow `inputs` request body.
pub fn to_mlflow(body: &[u8], info: &ModelInfo) -> Result<InferRequest, String> {
    let req = pyjson::parse(body).map_err(|e| format!("invalid JSON: {}", e.message))?;
    let Some(Json::List(inputs)) = req.get("inputs") else {
        return Err("the request must have a list 'inputs'".into());
    };
    if inputs.is_empty() {
        return Err("'inputs' is empty".into());
    }
    let mut named = Vec::new();
    for input in inputs {
        let Some(Json::Str(name)) = input.get("name") else {
            return Err("every input needs a string 'name'".into());
        };
        let Some(Json::Str(dt)) = input.get("datatype") else {
            return Err(format!("input '{name}' needs a string 'datatype'"));
        };
        if !DATATYPES.contains(&dt.as_str()) {
            return Err(format!("input '{name}' has unknown datatype '{dt}'"));
        }
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
        let data = input
            .get("data")
            .ok_or_else(|| format!("input '{name}' needs 'data'"))?;
        named.push((
            name.clone(),
            nest(data, &shape).map_err(|e| format!("input '{name}': {e}"))?,
        ));
    }
    let inputs = if !info.named_inputs && named.len() == 1 {
        named.remove(0).1
    } else {
        Json::Dict(named)
    };
    let outputs = match req.get("outputs") {
        Some(Json::List(items)) => Some(
            items
                .iter()
                .filter_map(|o| match o.get("name") {
                    Some(Json::Str(n)) => Some(n.clone()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    };
    let mut mlflow = vec![("inputs".to_string(), inputs)];
    if let Some(params) = req.get("parameters") {
        mlflow.push(("params".into(), params.clone()));
    }
    Ok(InferRequest {
        body: pyjson::to_string(&Json::Dict(mlflow)),
        id: req.get("id").cloned(),
        outputs,
    })
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

/// Turns MLflow's `{"predictions": ...}` answer into V2 `outputs`.
pub fn from_mlflow(
    reply: &Reply,
    info: &ModelInfo,
    id: Option<Json>,
    wanted: Option<Vec<String>>,
) -> Reply {
    let answer = match pyjson::parse(&reply.body) {
        Ok(a) => a,
        Err(_) => return error(500, "the model's answer was not JSON"),
    };
    if reply.status != 200 {
        let message = match answer.get("message") {
            Some(Json::Str(m)) => m.clone(),
            _ => String::from_utf8_lossy(&reply.body).into_owned(),
        };
        return error(reply.status, &message);
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
    let outputs: Vec<Json> = columns
        .into_iter()
        .filter(|(name, _)| wanted.as_ref().is_none_or(|w| w.contains(name)))
        .map(|(name, value)| {
            let dtype = info
                .outputs
                .iter()
                .find(|o| o.name == name)
                .and_then(|o| o.dtype);
            let mut flat = Vec::new();
            flatten(&value, &mut flat);
            Json::Dict(vec![
                ("name".into(), Json::Str(name)),
                (
                    "shape".into(),
                    Json::List(shape_of(&value).into_iter().map(Json::Int).collect()),
                ),
                ("datatype".into(), Json::Str(datatype(dtype).into())),
                ("data".into(), Json::List(flat)),
            ])
        })
        .collect();
    let mut body = vec![
        ("model_name".to_string(), Json::Str(info.name.clone())),
        ("model_version".to_string(), Json::Str(info.version.clone())),
    ];
    if let Some(id) = id {
        body.push(("id".into(), id));
    }
    body.push(("outputs".into(), Json::List(outputs)));
    Reply::json(200, pyjson::to_string(&Json::Dict(body)))
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
